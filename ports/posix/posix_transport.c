/* SPDX-License-Identifier: MIT */
/*
 * posix_transport.c: H4 over a file descriptor (Core 5.4 Vol 4 Part A 2):
 * unix stream sockets, TCP, serial ports and ptys, named by one spec string.
 *
 * Transmit: send() writes the indicator and the packet at once; what the fd
 * does not take is kept in a bounded queue that wait() flushes on POLLOUT.
 * When the queue cannot take a packet, send() waits for the fd (up to
 * POSIX_TX_BLOCK_MS) rather than drop it. Receive: wait() reads at most what
 * the host's ring can take and keeps any bytes it could not push. Framing and
 * parsing belong to src/hci; this file moves bytes only.
 *
 * Threads: send() may run on an application thread (under the host lock)
 * while the host thread is in wait(); the tx state is guarded by a mutex.
 * The rx state is touched only by the thread that runs wait(), so reading
 * goes on while a sender waits for room. open/close run with no host thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "blehost/bh_hci_transport.h"
#include "blehost/bh_os.h"
#include "bh_posix.h"
#include "posix_internal.h"

#define POSIX_TX_QUEUE_SIZE 4096
#define POSIX_RX_CHUNK 1024
#define POSIX_TX_BLOCK_MS 1000
#define POSIX_NAME_MAX 160
#define POSIX_TTY_DEFAULT_BAUD 1000000

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on the socket instead */
#endif

struct posix_transport_ctx {
    pthread_mutex_t lock; /* fd, tx queue */
    int fd;
    bool is_socket;
    atomic_bool alive;
    char name[POSIX_NAME_MAX];
    struct bh_hci_transport hci;
    struct bh_posix_transport_stats stats;
    size_t tx_off; /* queued bytes are tx_q[tx_off .. tx_off + tx_len) */
    size_t tx_len;
    size_t rx_off; /* bytes read but not yet pushed: rx_buf[rx_off .. rx_off + rx_len) */
    size_t rx_len;
    uint8_t tx_q[POSIX_TX_QUEUE_SIZE];
    uint8_t rx_buf[POSIX_RX_CHUNK];
};

static struct posix_transport_ctx posix_tr = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .fd = -1,
};

/* ---- helpers ---------------------------------------------------------- */

static uint64_t posix_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Any thread. Logs once, with the transport's name. */
static void tr_mark_dead(const char *what, int err)
{
    if (atomic_exchange(&posix_tr.alive, false)) {
        if (err != 0) {
            bh_posix_logf(BH_POSIX_LOG_ERR, "%s: %s: %s", posix_tr.name, what, strerror(err));
        } else {
            bh_posix_logf(BH_POSIX_LOG_WRN, "%s: %s", posix_tr.name, what);
        }
    }
}

/* Lock held. Bytes written (0 if the fd would block), or -EIO (now dead). */
static ssize_t tr_writev(const struct iovec *iov, int iovcnt)
{
    for (;;) {
        ssize_t n;

        if (posix_tr.is_socket) {
            struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt};
            n = sendmsg(posix_tr.fd, &msg, MSG_NOSIGNAL);
        } else {
            n = writev(posix_tr.fd, iov, iovcnt);
        }
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        tr_mark_dead("write failed", errno);
        return -EIO;
    }
}

/* Lock held. Write as much of the queue as the fd takes now. */
static int tr_flush(void)
{
    while (posix_tr.tx_len > 0) {
        struct iovec iov = {.iov_base = posix_tr.tx_q + posix_tr.tx_off,
                            .iov_len = posix_tr.tx_len};
        ssize_t n = tr_writev(&iov, 1);
        if (n < 0) {
            return -EIO;
        }
        if (n == 0) {
            return 0;
        }
        posix_tr.tx_off += (size_t)n;
        posix_tr.tx_len -= (size_t)n;
        posix_tr.stats.tx_queued = (uint32_t)posix_tr.tx_len;
    }
    posix_tr.tx_off = 0;
    posix_tr.stats.tx_queued = 0;
    return 0;
}

/* Lock held. Append bytes [skip, 1 + len) of the packet "type, pkt" to the
 * queue; the caller made sure they fit. */
static void tr_queue_put(uint8_t type, const uint8_t *pkt, size_t len, size_t skip)
{
    size_t need = 1 + len - skip;

    if (posix_tr.tx_off + posix_tr.tx_len + need > sizeof(posix_tr.tx_q)) {
        memmove(posix_tr.tx_q, posix_tr.tx_q + posix_tr.tx_off, posix_tr.tx_len);
        posix_tr.tx_off = 0;
    }
    uint8_t *dst = posix_tr.tx_q + posix_tr.tx_off + posix_tr.tx_len;
    if (skip == 0) {
        *dst++ = type;
        skip = 1;
    }
    memcpy(dst, pkt + (skip - 1), len - (skip - 1));
    posix_tr.tx_len += need;
    posix_tr.stats.tx_queued = (uint32_t)posix_tr.tx_len;
}

/* Lock held. Sleep until the fd is writable or the deadline passes. */
static int tr_wait_writable(uint64_t deadline)
{
    uint64_t now = posix_mono_ms();
    struct pollfd pfd = {.fd = posix_tr.fd, .events = POLLOUT};

    if (now >= deadline) {
        return -ETIMEDOUT;
    }
    if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR) {
        tr_mark_dead("poll failed", errno);
        return -EIO;
    }
    if ((pfd.revents & (POLLERR | POLLNVAL)) != 0) {
        tr_mark_dead("error while writing", 0);
        return -EIO;
    }
    return 0;
}

/* ---- send --------------------------------------------------------------- */

/* Lock held, queue empty: write "type, pkt" directly; queue what is left,
 * waiting for the fd when the rest is bigger than the whole queue. */
static int tr_send_direct(uint8_t type, const uint8_t *pkt, size_t len, uint64_t deadline)
{
    size_t done = 0;
    size_t total = 1 + len;

    while (total - done > sizeof(posix_tr.tx_q)) {
        struct iovec iov[2] = {{.iov_base = &type, .iov_len = 1},
                               {.iov_base = (void *)pkt, .iov_len = len}};
        struct iovec *v = iov;
        int cnt = 2;

        if (done > 0) {
            iov[1].iov_base = (void *)(pkt + done - 1);
            iov[1].iov_len = len - (done - 1);
            v = &iov[1];
            cnt = 1;
        }
        ssize_t n = tr_writev(v, cnt);
        if (n < 0) {
            return -EIO;
        }
        done += (size_t)n;
        if (n == 0 && tr_wait_writable(deadline) != 0) {
            /* Part of the packet is on the wire: the stream is broken. */
            tr_mark_dead("peer stopped reading in the middle of a packet", 0);
            return -EIO;
        }
    }
    if (done == 0) {
        struct iovec iov[2] = {{.iov_base = &type, .iov_len = 1},
                               {.iov_base = (void *)pkt, .iov_len = len}};
        ssize_t n = tr_writev(iov, 2);
        if (n < 0) {
            return -EIO;
        }
        done = (size_t)n;
    }
    if (done < total) {
        tr_queue_put(type, pkt, len, done);
    }
    return 0;
}

static int tr_send_locked(uint8_t type, const uint8_t *pkt, size_t len)
{
    uint64_t deadline = posix_mono_ms() + POSIX_TX_BLOCK_MS;
    size_t total = 1 + len;

    if (!atomic_load(&posix_tr.alive) || tr_flush() != 0) {
        return -EIO;
    }
    /* Back-pressure: wait until the queue has room for the whole packet, or
     * is empty (then a packet larger than the queue goes out directly). */
    if (posix_tr.tx_len > 0 && sizeof(posix_tr.tx_q) - posix_tr.tx_len < total) {
        posix_tr.stats.tx_blocked++;
    }
    while (posix_tr.tx_len > 0 && sizeof(posix_tr.tx_q) - posix_tr.tx_len < total) {
        if (tr_wait_writable(deadline) != 0 || tr_flush() != 0) {
            bh_posix_logf(BH_POSIX_LOG_WRN, "%s: peer not reading, packet not sent", posix_tr.name);
            return -EIO;
        }
    }
    if (posix_tr.tx_len > 0) {
        tr_queue_put(type, pkt, len, 0);
        return 0;
    }
    return tr_send_direct(type, pkt, len, deadline);
}

static int tr_send(void *ctx, uint8_t h4_type, const uint8_t *pkt, size_t len)
{
    bool was_empty;
    int err;

    (void)ctx;
    if (pkt == NULL && len > 0) {
        return -EINVAL;
    }
    pthread_mutex_lock(&posix_tr.lock);
    was_empty = posix_tr.tx_len == 0;
    err = tr_send_locked(h4_type, pkt, len);
    if (err == 0) {
        posix_tr.stats.tx_packets++;
    } else {
        posix_tr.stats.tx_refused++;
    }
    bool now_queued = posix_tr.tx_len > 0;
    pthread_mutex_unlock(&posix_tr.lock);
    if (err == 0 && was_empty && now_queued) {
        bh_port_wake(); /* a host thread in poll() must add POLLOUT */
    }
    return err;
}

/* ---- receive and the poll loop's hooks -------------------------------------- */

/* Push kept bytes; returns whether any went in. */
static bool tr_push_kept(void)
{
    size_t n;

    if (posix_tr.rx_len == 0) {
        return false;
    }
    n = bh_hci_rx_push(posix_tr.rx_buf + posix_tr.rx_off, posix_tr.rx_len);
    posix_tr.rx_off += n;
    posix_tr.rx_len -= n;
    if (posix_tr.rx_len == 0) {
        posix_tr.rx_off = 0;
    }
    return n > 0;
}

bool bh_posix_transport_prepare(struct pollfd *pfd)
{
    /* rx state belongs to the one thread that runs wait(): no lock. */
    bool pushed = tr_push_kept();

    pfd->fd = -1;
    pfd->events = 0;
    pfd->revents = 0;
    if (posix_tr.fd < 0 || !atomic_load(&posix_tr.alive)) {
        return pushed;
    }
    if (posix_tr.rx_len == 0 && bh_hci_rx_space() > 0) {
        pfd->events |= POLLIN;
    }
    pthread_mutex_lock(&posix_tr.lock);
    if (posix_tr.tx_len > 0) {
        pfd->events |= POLLOUT;
    }
    pthread_mutex_unlock(&posix_tr.lock);
    /* Even with no events wanted, poll() reports hang-up and errors. */
    pfd->fd = posix_tr.fd;
    return pushed;
}

static void tr_read(void)
{
    size_t room = bh_hci_rx_space();
    ssize_t n;

    if (room == 0 || posix_tr.rx_len > 0) {
        return;
    }
    room = room < sizeof(posix_tr.rx_buf) ? room : sizeof(posix_tr.rx_buf);
    do {
        n = read(posix_tr.fd, posix_tr.rx_buf, room);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        tr_mark_dead("closed by the peer", 0);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            /* A pty whose other side closed reads EIO. */
            tr_mark_dead("read failed", errno);
        }
        return;
    }
    posix_tr.rx_off = 0;
    posix_tr.rx_len = (size_t)n;
    posix_tr.stats.rx_bytes += (uint32_t)n;
    tr_push_kept();
    if (posix_tr.rx_len > 0) {
        posix_tr.stats.rx_kept++;
    }
}

void bh_posix_transport_service(short revents)
{
    if (posix_tr.fd < 0 || !atomic_load(&posix_tr.alive)) {
        return;
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        tr_read(); /* also how EOF and errors show up; the reader keeps going
                    * while a sender waits for room under the tx lock */
    }
    if ((revents & POLLNVAL) != 0) {
        tr_mark_dead("descriptor not valid", 0);
    }
    if ((revents & POLLOUT) != 0) {
        pthread_mutex_lock(&posix_tr.lock);
        tr_flush();
        pthread_mutex_unlock(&posix_tr.lock);
    }
}

/* ---- opening ---------------------------------------------------------------- */

static int tr_open_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (path[0] == '\0') {
        return -EINVAL;
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    posix_tr.is_socket = true;
    return fd;
}

/* "host:port", "[v6]:port". Splits into host and port buffers. */
static int tr_split_host_port(const char *s, char *host, size_t host_cap, const char **port)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t hlen;

    if (colon == NULL || colon[1] == '\0') {
        return -EINVAL;
    }
    hlen = (size_t)(colon - s);
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        h = s + 1;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= host_cap) {
        return -EINVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = colon + 1;
    return 0;
}

static int tr_open_tcp(const char *hostport)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res, *ai;
    char host[POSIX_NAME_MAX];
    const char *port;
    int err = tr_split_host_port(hostport, host, sizeof(host), &port);
    int fd = -1;

    if (err != 0) {
        return err;
    }
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        return -EHOSTUNREACH;
    }
    err = -ECONNREFUSED;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            err = -errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = -errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return err;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* H4 is latency-bound */
    posix_tr.is_socket = true;
    return fd;
}

static int tr_baud(unsigned long baud, speed_t *out)
{
    static const struct {
        unsigned long baud;
        speed_t speed;
    } map[] = {
        {9600, B9600},       {19200, B19200},   {38400, B38400},
        {57600, B57600},     {115200, B115200}, {230400, B230400},
#ifdef B460800
        {460800, B460800},
#endif
#ifdef B500000
        {500000, B500000},
#endif
#ifdef B921600
        {921600, B921600},
#endif
#ifdef B1000000
        {1000000, B1000000},
#endif
#ifdef B1500000
        {1500000, B1500000},
#endif
#ifdef B2000000
        {2000000, B2000000},
#endif
#ifdef B3000000
        {3000000, B3000000},
#endif
#ifdef B4000000
        {4000000, B4000000},
#endif
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (map[i].baud == baud) {
            *out = map[i].speed;
            return 0;
        }
    }
    return -EINVAL;
}

/* "/dev/X[@baud]": path into path_out, speed into *speed. */
static int tr_parse_tty(const char *s, char *path, size_t cap, speed_t *speed)
{
    const char *at = strchr(s, '@');
    size_t plen = at != NULL ? (size_t)(at - s) : strlen(s);
    unsigned long baud = POSIX_TTY_DEFAULT_BAUD;

    if (plen == 0) {
        return -EINVAL;
    }
    if (plen >= cap) {
        return -ENAMETOOLONG;
    }
    memcpy(path, s, plen);
    path[plen] = '\0';
    if (at != NULL) {
        char *end;
        errno = 0;
        baud = strtoul(at + 1, &end, 10);
        if (errno != 0 || end == at + 1 || *end != '\0') {
            return -EINVAL;
        }
    }
    return tr_baud(baud, speed);
}

static int tr_open_tty(const char *spec)
{
    char path[POSIX_NAME_MAX];
    struct termios tio;
    speed_t speed;
    int err = tr_parse_tty(spec, path, sizeof(path), &speed);
    int fd;

    if (err != 0) {
        return err;
    }
    fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return -errno;
    }
    if (tcgetattr(fd, &tio) != 0) {
        goto fail;
    }
    /* Raw 8N1 with hardware flow control: Core 5.4 Vol 4 Part A 1 (UART
     * settings for the H4 transport). */
    cfmakeraw(&tio);
    tio.c_cflag &= ~(tcflag_t)(PARENB | CSTOPB | CSIZE);
    tio.c_cflag |= CS8 | CLOCAL | CREAD | CRTSCTS;
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    if (cfsetispeed(&tio, speed) != 0 || cfsetospeed(&tio, speed) != 0 ||
        tcsetattr(fd, TCSANOW, &tio) != 0) {
        goto fail;
    }
    tcflush(fd, TCIOFLUSH);
    posix_tr.is_socket = false;
    return fd;
fail:
    err = -errno;
    close(fd);
    return err;
}

static int tr_open_fd(const char *spec)
{
    if (strncmp(spec, "unix:", 5) == 0) {
        return tr_open_unix(spec + 5);
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        return tr_open_tcp(spec + 4);
    }
    if (strncmp(spec, "tty:", 4) == 0) {
        return tr_open_tty(spec + 4);
    }
    return -EINVAL;
}

static int tr_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return -errno;
    }
#if defined(SO_NOSIGPIPE)
    if (posix_tr.is_socket) {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
    }
#endif
    return 0;
}

int bh_posix_transport_open(const char *spec)
{
    int fd, err;

    if (spec == NULL) {
        return -EINVAL;
    }
    pthread_mutex_lock(&posix_tr.lock);
    if (posix_tr.fd >= 0) {
        pthread_mutex_unlock(&posix_tr.lock);
        return -EALREADY;
    }
    snprintf(posix_tr.name, sizeof(posix_tr.name), "%s", spec);
    fd = tr_open_fd(spec);
    err = fd < 0 ? fd : tr_set_nonblock(fd);
    if (err != 0) {
        if (fd >= 0) {
            close(fd);
        }
        pthread_mutex_unlock(&posix_tr.lock);
        bh_posix_logf(BH_POSIX_LOG_ERR, "cannot open transport %s: %s", spec,
                      err == -EINVAL
                          ? "bad spec or baud rate (unix:PATH, tcp:HOST:PORT, tty:DEV[@BAUD])"
                          : strerror(-err));
        return err;
    }
    posix_tr.fd = fd;
    memset(&posix_tr.stats, 0, sizeof(posix_tr.stats));
    posix_tr.tx_off = posix_tr.tx_len = 0;
    posix_tr.rx_off = posix_tr.rx_len = 0;
    posix_tr.hci.send = tr_send;
    posix_tr.hci.ctx = NULL;
    atomic_store(&posix_tr.alive, true);
    pthread_mutex_unlock(&posix_tr.lock);
    bh_hci_set_transport(&posix_tr.hci);
    bh_posix_logf(BH_POSIX_LOG_INF, "transport %s open", spec);
    return 0;
}

void bh_posix_transport_close(void)
{
    pthread_mutex_lock(&posix_tr.lock);
    if (posix_tr.fd < 0) {
        pthread_mutex_unlock(&posix_tr.lock);
        return;
    }
    atomic_store(&posix_tr.alive, false);
    close(posix_tr.fd);
    posix_tr.fd = -1;
    posix_tr.tx_off = posix_tr.tx_len = 0;
    posix_tr.rx_off = posix_tr.rx_len = 0;
    posix_tr.stats.tx_queued = 0;
    pthread_mutex_unlock(&posix_tr.lock);
    bh_hci_set_transport(NULL);
}

bool bh_posix_transport_alive(void)
{
    return atomic_load(&posix_tr.alive);
}

const char *bh_posix_transport_name(void)
{
    return posix_tr.name;
}

const struct bh_hci_transport *bh_posix_transport(void)
{
    return posix_tr.fd >= 0 ? &posix_tr.hci : NULL;
}

const struct bh_posix_transport_stats *bh_posix_transport_stats(void)
{
    return &posix_tr.stats;
}

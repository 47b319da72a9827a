/* SPDX-License-Identifier: MIT */
/*
 * hcic.c: raw-HCI test client for blesim (see hcic.h). Waits use poll()
 * with a deadline on CLOCK_MONOTONIC; nothing sleeps.
 */
#include "hcic.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HCIC_ANY 0xFFFF

struct hcic_sim {
    pid_t pid;
    int out_fd; /* blesim's stdout */
    char sock[108];
    bool atexit_set;
    unsigned runs;
};

static struct hcic_sim hcic_sim = {.pid = -1, .out_fd = -1};

static int64_t hcic_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *hcic_sim_socket(void)
{
    return hcic_sim.sock;
}

pid_t hcic_sim_pid(void)
{
    return hcic_sim.pid;
}

static void hcic_drain_sim_out(void)
{
    char buf[1024];

    while (hcic_sim.out_fd >= 0 && read(hcic_sim.out_fd, buf, sizeof(buf)) > 0) {
    }
}

int hcic_sim_stop(void)
{
    int status = 0;

    if (hcic_sim.pid <= 0) {
        return -1;
    }
    kill(hcic_sim.pid, SIGTERM);
    while (waitpid(hcic_sim.pid, &status, 0) < 0 && errno == EINTR) {
    }
    hcic_sim.pid = -1;
    if (hcic_sim.out_fd >= 0) {
        close(hcic_sim.out_fd);
        hcic_sim.out_fd = -1;
    }
    if (access(hcic_sim.sock, F_OK) == 0) {
        unlink(hcic_sim.sock);
        return -2; /* blesim must remove its socket */
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void hcic_atexit(void)
{
    hcic_sim_stop();
}

static void hcic_child(const char *blesim, const char *const *args, int out)
{
    const char *argv[64];
    char listen[128];
    int n = 0;

    snprintf(listen, sizeof(listen), "unix:%s", hcic_sim.sock);
    argv[n++] = blesim;
    argv[n++] = "--listen";
    argv[n++] = listen;
    for (int i = 0; args != NULL && args[i] != NULL && n < 63; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test must not leave blesim behind */
    dup2(out, STDOUT_FILENO);
    execv(blesim, (char *const *)argv);
    _exit(127);
}

/* Reads blesim's stdout until its unix listening line. */
static int hcic_wait_listening(int timeout_ms)
{
    char buf[2048];
    size_t len = 0;
    int64_t end = hcic_now_ms() + timeout_ms;

    while (hcic_now_ms() < end) {
        struct pollfd p = {.fd = hcic_sim.out_fd, .events = POLLIN};
        if (poll(&p, 1, (int)(end - hcic_now_ms())) <= 0) {
            continue;
        }
        ssize_t n = read(hcic_sim.out_fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0) {
            return -EIO;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "blesim: listening on unix:") != NULL && strchr(buf, '\n') != NULL) {
            return 0;
        }
    }
    return -ETIMEDOUT;
}

int hcic_sim_start(const char *blesim, const char *const *args)
{
    int pfd[2];

    hcic_sim_stop();
    if (!hcic_sim.atexit_set) {
        atexit(hcic_atexit);
        hcic_sim.atexit_set = true;
    }
    snprintf(hcic_sim.sock, sizeof(hcic_sim.sock), "/tmp/blesim-test-%d-%u.sock", (int)getpid(),
             hcic_sim.runs++);
    if (pipe(pfd) != 0) {
        return -errno;
    }
    hcic_sim.pid = fork();
    if (hcic_sim.pid == 0) {
        close(pfd[0]);
        hcic_child(blesim, args, pfd[1]);
    }
    close(pfd[1]);
    if (hcic_sim.pid < 0) {
        close(pfd[0]);
        return -errno;
    }
    hcic_sim.out_fd = pfd[0];
    int rc = hcic_wait_listening(5000);
    fcntl(hcic_sim.out_fd, F_SETFL, O_NONBLOCK);
    return rc;
}

int hcic_connect(struct hcic *h, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    memset(h, 0, sizeof(*h));
    h->backlog = calloc(HCIC_BACKLOG, sizeof(*h->backlog));
    h->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (h->backlog == NULL || h->fd < 0) {
        return -ENOMEM;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        return -errno;
    }
    return 0;
}

void hcic_close(struct hcic *h)
{
    if (h->fd >= 0) {
        close(h->fd);
    }
    h->fd = -1;
    free(h->backlog);
    h->backlog = NULL;
}

int hcic_send_raw(struct hcic *h, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len > 0) {
        ssize_t n = write(h->fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int hcic_send_cmd(struct hcic *h, uint16_t op, const void *params, uint8_t len)
{
    uint8_t pkt[4 + 255] = {0x01, (uint8_t)op, (uint8_t)(op >> 8), len};

    if (len > 0) {
        memcpy(pkt + 4, params, len);
    }
    return hcic_send_raw(h, pkt, 4u + len);
}

int hcic_send_acl(struct hcic *h, uint16_t handle, uint8_t pb, const void *data, uint16_t len)
{
    uint8_t pkt[5 + HCIC_PKT_MAX];
    uint16_t hdr = (uint16_t)(handle | ((pb & 3u) << 12));

    if (len > HCIC_PKT_MAX) {
        return -EMSGSIZE;
    }
    pkt[0] = 0x02;
    pkt[1] = (uint8_t)hdr;
    pkt[2] = (uint8_t)(hdr >> 8);
    pkt[3] = (uint8_t)len;
    pkt[4] = (uint8_t)(len >> 8);
    memcpy(pkt + 5, data, len);
    return hcic_send_raw(h, pkt, 5u + len);
}

static void hcic_push(struct hcic *h, uint8_t type, const uint8_t *p, uint16_t len)
{
    struct hcic_pkt *e;

    if (h->bl_n == HCIC_BACKLOG) { /* forget the oldest */
        h->bl_head = (h->bl_head + 1) % HCIC_BACKLOG;
        h->bl_n--;
    }
    e = &h->backlog[(h->bl_head + h->bl_n) % HCIC_BACKLOG];
    e->type = type;
    e->len = len;
    memcpy(e->data, p, len);
    h->bl_n++;
}

/* Splits h->rx into packets; returns -EPROTO on a framing error. */
static int hcic_parse(struct hcic *h)
{
    size_t off = 0;

    while (off < h->rx_len) {
        uint8_t *p = h->rx + off;
        size_t have = h->rx_len - off;
        size_t hdr = p[0] == 0x04 ? 2 : (p[0] == 0x02 ? 4 : 0);
        if (hdr == 0) {
            return -EPROTO;
        }
        if (have < 1 + hdr) {
            break;
        }
        size_t plen = p[0] == 0x04 ? p[2] : (size_t)(p[3] | (p[4] << 8));
        if (hdr + plen > HCIC_PKT_MAX) {
            return -EPROTO;
        }
        if (have < 1 + hdr + plen) {
            break;
        }
        hcic_push(h, p[0], p + 1, (uint16_t)(hdr + plen));
        off += 1 + hdr + plen;
    }
    memmove(h->rx, h->rx + off, h->rx_len - off);
    h->rx_len -= off;
    return 0;
}

/* Reads what arrives within timeout_ms (at most one read). 0, -ETIMEDOUT or -EPIPE. */
static int hcic_read_some(struct hcic *h, int timeout_ms)
{
    struct pollfd p = {.fd = h->fd, .events = POLLIN};

    hcic_drain_sim_out();
    if (poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms) <= 0) {
        return -ETIMEDOUT;
    }
    ssize_t n = read(h->fd, h->rx + h->rx_len, sizeof(h->rx) - h->rx_len);
    if (n <= 0) {
        return -EPIPE;
    }
    h->rx_len += (size_t)n;
    return hcic_parse(h);
}

static bool hcic_match(const struct hcic_pkt *e, uint8_t type, uint8_t code, uint16_t sub)
{
    if (e->type != type) {
        return false;
    }
    if (type == 0x02 || sub == HCIC_ANY) {
        return type == 0x02 || e->data[0] == code;
    }
    if (e->data[0] != code || e->len < 3) {
        return false;
    }
    if (code == 0x3E) {
        return e->data[2] == sub;
    }
    if (code == 0x0E && e->len >= 5) {
        return (e->data[3] | (e->data[4] << 8)) == sub;
    }
    if (code == 0x0F && e->len >= 6) {
        return (e->data[4] | (e->data[5] << 8)) == sub;
    }
    return true;
}

/* Removes and returns the first backlog match (copied to out), or -1. */
static int hcic_take(struct hcic *h, uint8_t type, uint8_t code, uint16_t sub, uint8_t *out,
                     size_t cap)
{
    for (unsigned i = 0; i < h->bl_n; i++) {
        struct hcic_pkt *e = &h->backlog[(h->bl_head + i) % HCIC_BACKLOG];
        if (!hcic_match(e, type, code, sub)) {
            continue;
        }
        int len = e->len;
        memcpy(out, e->data, (size_t)len < cap ? (size_t)len : cap);
        for (unsigned j = i; j + 1 < h->bl_n; j++) { /* close the gap */
            h->backlog[(h->bl_head + j) % HCIC_BACKLOG] =
                h->backlog[(h->bl_head + j + 1) % HCIC_BACKLOG];
        }
        h->bl_n--;
        return len;
    }
    return -1;
}

static int hcic_wait(struct hcic *h, uint8_t type, uint8_t code, uint16_t sub, uint8_t *out,
                     size_t cap, int timeout_ms)
{
    int64_t end = hcic_now_ms() + timeout_ms;

    for (;;) {
        int len = hcic_take(h, type, code, sub, out, cap);
        if (len >= 0) {
            return len;
        }
        int64_t left = end - hcic_now_ms();
        if (left <= 0) {
            return -ETIMEDOUT;
        }
        int rc = hcic_read_some(h, (int)left);
        if (rc == -EPIPE || rc == -EPROTO) {
            return rc;
        }
    }
}

int hcic_wait_evt(struct hcic *h, uint8_t code, uint16_t sub, uint8_t *params, size_t cap,
                  int timeout_ms)
{
    uint8_t pkt[HCIC_PKT_MAX];
    int len = hcic_wait(h, 0x04, code, sub, pkt, sizeof(pkt), timeout_ms);

    if (len < 2) {
        return len < 0 ? len : -EPROTO;
    }
    memcpy(params, pkt + 2, (size_t)(len - 2) < cap ? (size_t)(len - 2) : cap);
    return len - 2;
}

int hcic_wait_acl(struct hcic *h, uint8_t *pkt, size_t cap, int timeout_ms)
{
    return hcic_wait(h, 0x02, 0, 0, pkt, cap, timeout_ms);
}

bool hcic_got_evt(struct hcic *h, uint8_t code, uint16_t sub, int timeout_ms)
{
    uint8_t p[256];

    return hcic_wait_evt(h, code, sub, p, sizeof(p), timeout_ms) >= 0;
}

int hcic_cmd(struct hcic *h, uint16_t op, const void *params, uint8_t len, uint8_t *ret,
             size_t cap)
{
    uint8_t p[256];
    int64_t end;

    if (hcic_send_cmd(h, op, params, len) != 0) {
        return -EPIPE;
    }
    end = hcic_now_ms() + 3000;
    while (hcic_now_ms() < end) {
        int n = hcic_wait_evt(h, 0x0E, op, p, sizeof(p), 0);
        if (n >= 4) {
            if (ret != NULL) {
                memcpy(ret, p + 3, (size_t)(n - 3) < cap ? (size_t)(n - 3) : cap);
            }
            return p[3];
        }
        n = hcic_wait_evt(h, 0x0F, op, p, sizeof(p), 0);
        if (n >= 4) {
            return p[0];
        }
        int rc = hcic_read_some(h, (int)(end - hcic_now_ms()));
        if (rc == -EPIPE || rc == -EPROTO) {
            return rc;
        }
    }
    return -ETIMEDOUT;
}

int hcic_pump(struct hcic *h)
{
    return hcic_read_some(h, 0);
}

bool hcic_next(struct hcic *h, struct hcic_pkt *out)
{
    if (h->bl_n == 0) {
        return false;
    }
    *out = h->backlog[h->bl_head];
    h->bl_head = (h->bl_head + 1) % HCIC_BACKLOG;
    h->bl_n--;
    return true;
}

bool hcic_wait_closed(struct hcic *h, int timeout_ms)
{
    int64_t end = hcic_now_ms() + timeout_ms;

    while (hcic_now_ms() < end) {
        if (hcic_read_some(h, (int)(end - hcic_now_ms())) == -EPIPE) {
            return true;
        }
    }
    return false;
}

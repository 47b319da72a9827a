/* SPDX-License-Identifier: MIT */
/*
 * posix_port.c: the cooperative POSIX port (struct bh_port): monotonic
 * clock, nestable critical sections, the poll() loop behind wait(), the
 * self-pipe behind wake(), entropy and logging to stderr.
 *
 * wait() polls the wake pipe and the transport fd together; reading and
 * writing the transport is posix_transport.c's job, called from here. The
 * threaded variant (posix_thread.c) reuses all of this.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "bh_posix.h"
#include "posix_internal.h"

#define POSIX_LOG_DEFAULT 2

struct posix_port_ctx {
    pthread_once_t once;
    pthread_once_t log_once;
    pthread_mutex_t crit; /* recursive */
    int wake_rd;          /* self-pipe: wake() writes a byte, wait() polls and drains */
    int wake_wr;
    int log_level; /* from BLEHOST_LOG */
};

static struct posix_port_ctx posix_port_ctx = {
    .once = PTHREAD_ONCE_INIT,
    .log_once = PTHREAD_ONCE_INIT,
    .wake_rd = -1,
    .wake_wr = -1,
    .log_level = POSIX_LOG_DEFAULT,
};

static int posix_set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return -errno;
    }
    return 0;
}

static void posix_port_setup(void)
{
    struct posix_port_ctx *c = &posix_port_ctx;
    pthread_mutexattr_t attr;
    int fds[2];

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&c->crit, &attr);
    pthread_mutexattr_destroy(&attr);

    if (pipe(fds) != 0 || posix_set_flags(fds[0]) != 0 || posix_set_flags(fds[1]) != 0) {
        /* Without the pipe wait() still sleeps and times out, but wake() is lost. */
        bh_posix_logf(BH_POSIX_LOG_ERR, "cannot create the wake pipe: %s", strerror(errno));
        return;
    }
    c->wake_rd = fds[0];
    c->wake_wr = fds[1];
}

static uint32_t posix_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static void posix_crit_enter(void)
{
    pthread_mutex_lock(&posix_port_ctx.crit);
}

static void posix_crit_exit(void)
{
    pthread_mutex_unlock(&posix_port_ctx.crit);
}

/* Any context, async-signal-safe: one write() to a non-blocking pipe. A full
 * pipe already holds a pending wake, so EAGAIN loses nothing. */
static void posix_wake(void)
{
    int saved = errno;
    uint8_t one = 1;

    if (posix_port_ctx.wake_wr >= 0) {
        ssize_t n = write(posix_port_ctx.wake_wr, &one, 1);
        (void)n;
    }
    errno = saved;
}

static void posix_wake_drain(void)
{
    uint8_t sink[64];

    while (read(posix_port_ctx.wake_rd, sink, sizeof(sink)) > 0) {
    }
}

void bh_posix_wait(uint32_t timeout_ms)
{
    struct pollfd pfd[2];
    int timeout =
        timeout_ms == BH_FOREVER ? -1 : (timeout_ms > INT_MAX ? INT_MAX : (int)timeout_ms);

    pfd[0].fd = posix_port_ctx.wake_rd;
    pfd[0].events = POLLIN;
    pfd[0].revents = 0;
    if (bh_posix_transport_prepare(&pfd[1])) {
        timeout = 0; /* kept bytes went into the ring: the host has work now */
    }
    if (poll(pfd, 2, timeout) < 0) {
        return; /* EINTR: an early return is a legal wait() */
    }
    if (pfd[1].fd >= 0 && pfd[1].revents != 0) {
        bh_posix_transport_service(pfd[1].revents);
    }
    /* Drain last: wakes raised by the reads above, or by anyone before this
     * point, are answered by this return; later ones stay in the pipe. */
    if (pfd[0].fd >= 0 && (pfd[0].revents & POLLIN) != 0) {
        posix_wake_drain();
    }
}

static int posix_entropy(void *buf, size_t len)
{
    uint8_t *p = buf;

#if defined(__linux__)
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* ENOSYS on old kernels: fall back to the device */
        }
        p += n;
        len -= (size_t)n;
    }
    if (len == 0) {
        return 0;
    }
#endif
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -EIO;
    }
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    close(fd);
    return len == 0 ? 0 : -EIO;
}

static void posix_log_setup(void)
{
    const char *env = getenv("BLEHOST_LOG");

    if (env != NULL && env[0] >= '0' && env[0] <= '4' && env[1] == '\0') {
        posix_port_ctx.log_level = env[0] - '0';
    }
}

static void posix_log(int level, const char *tag, const char *fmt, va_list ap)
{
    static const char letters[] = "?EWID";
    char line[512];
    int n;

    pthread_once(&posix_port_ctx.log_once, posix_log_setup);
    if (level > posix_port_ctx.log_level || level < 1) {
        return;
    }
    n = snprintf(line, sizeof(line), "%c %s: ", letters[level > 4 ? 0 : level], tag);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        return;
    }
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    /* One fprintf per line keeps lines from two threads whole. */
    fprintf(stderr, "%s\n", line);
}

void bh_posix_logf(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    posix_log(level, "posix", fmt, ap);
    va_end(ap);
}

static const struct bh_port posix_port = {
    .now_ms = posix_now_ms,
    .crit_enter = posix_crit_enter,
    .crit_exit = posix_crit_exit,
    .wait = bh_posix_wait,
    .wake = posix_wake,
    .entropy = posix_entropy,
    .log = posix_log,
};

const struct bh_port *bh_posix_port(void)
{
    pthread_once(&posix_port_ctx.once, posix_port_setup);
    return &posix_port;
}

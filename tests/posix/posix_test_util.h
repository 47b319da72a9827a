/* SPDX-License-Identifier: MIT */
/*
 * posix_test_util.h: helpers shared by the tests of ports/posix: a peer
 * end for the unix-socket transport, full reads and writes with a deadline,
 * and a recorder of the packets the HCI layer received (via the snoop hook).
 * Header-only (static functions) because tests/posix holds only test_*.c.
 */
#ifndef POSIX_TEST_UTIL_H
#define POSIX_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bh_posix.h"
#include "bh_test.h"
#include "blehost/bh_hci_transport.h"
#include "blehost/bh_os.h"

static inline uint64_t pt_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A listening unix socket in a fresh temp dir; spec gets "unix:<path>". */
struct pt_listener {
    char dir[32];
    char path[64];
    char spec[160];
    int fd;
};

static inline void pt_listen(struct pt_listener *l)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    snprintf(l->dir, sizeof(l->dir), "/tmp/bh_posix_XXXXXX");
    BH_CHECK(mkdtemp(l->dir) != NULL);
    snprintf(l->path, sizeof(l->path), "%s/hci.sock", l->dir);
    snprintf(l->spec, sizeof(l->spec), "unix:%s", l->path);
    memcpy(sa.sun_path, l->path, strlen(l->path) + 1);
    l->fd = socket(AF_UNIX, SOCK_STREAM, 0);
    BH_CHECK(l->fd >= 0);
    BH_CHECK_EQ(bind(l->fd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
    BH_CHECK_EQ(listen(l->fd, 1), 0);
}

static inline void pt_unlisten(struct pt_listener *l)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    unlink(l->path);
    rmdir(l->dir);
}

/* Read exactly n bytes from fd (blocking or not), failing after timeout_ms. */
static inline void pt_read_all(int fd, uint8_t *out, size_t n, uint32_t timeout_ms)
{
    uint64_t deadline = pt_now_ms() + timeout_ms;
    size_t got = 0;

    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint64_t now = pt_now_ms();
        BH_CHECK(now < deadline);
        if (poll(&pfd, 1, (int)(deadline - now)) <= 0) {
            continue;
        }
        ssize_t r = read(fd, out + got, n - got);
        BH_CHECK(r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)));
        if (r > 0) {
            got += (size_t)r;
        }
    }
}

static inline void pt_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, 1000);
            continue;
        }
        BH_CHECK(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Packets the HCI layer received, recorded through the snoop hook. */
#define PT_REC_BYTES 65536
struct pt_rx {
    unsigned packets;
    unsigned sent; /* host-to-controller packets seen by the hook */
    size_t used;
    uint8_t bytes[PT_REC_BYTES]; /* type byte then packet, back to back */
};

static inline void pt_rx_cb(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len,
                            bool received)
{
    struct pt_rx *r = ctx;

    if (!received) {
        r->sent++;
        return;
    }
    if (r->used + 1u + len <= sizeof(r->bytes)) {
        r->bytes[r->used++] = type;
        memcpy(r->bytes + r->used, pkt, len);
        r->used += len;
    }
    r->packets++;
}

/* Cooperative loop: bh_process() and the port's wait() until the recorder
 * holds `packets` packets or timeout_ms passes. */
static inline void pt_pump_until(struct pt_rx *r, unsigned packets, uint32_t timeout_ms)
{
    uint64_t deadline = pt_now_ms() + timeout_ms;

    for (;;) {
        uint32_t next = bh_process();
        if (r->packets >= packets) {
            return;
        }
        BH_CHECK(pt_now_ms() < deadline);
        bh_os_port()->wait(next < 100 ? next : 100);
    }
}

#endif /* POSIX_TEST_UTIL_H */

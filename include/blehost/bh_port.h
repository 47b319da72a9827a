/* SPDX-License-Identifier: MIT */
/*
 * bh_port.h: the seam between the host and the platform it runs on.
 *
 * A port fills one struct bh_port and hands it to bh_os_init(). The host
 * never calls the platform any other way. Cooperative ports (bare metal,
 * the POSIX poll loop) leave block/unblock NULL: a waiting API call then
 * pumps bh_process() itself. Threaded ports (a dedicated host thread) set
 * them: a waiting API call releases the host lock inside block() and the
 * host thread wakes it with unblock().
 */
#ifndef BH_PORT_H
#define BH_PORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A timeout or "time until the next deadline" meaning "none". */
#define BH_FOREVER UINT32_MAX

struct bh_port {
    /* Monotonic milliseconds; wraps at 2^32 (all comparisons are wrap-safe). */
    uint32_t (*now_ms)(void);
    /* Mask whatever may call bh_hci_rx_push()/bh_port_wake() concurrently. Nestable. */
    void (*crit_enter)(void);
    void (*crit_exit)(void);
    /* Sleep until wake() is called or timeout_ms passes (BH_FOREVER: no timeout).
     * Must not lose a wake() that happened since the last return (race-free idle). */
    void (*wait)(uint32_t timeout_ms);
    /* Make a current or the next wait() return. Any context (ISR, other thread). */
    void (*wake)(void);
    /* Fill buf with len bytes from a cryptographically strong source: 0 or -EIO. */
    int (*entropy)(void *buf, size_t len);
    /* Optional log sink; NULL: logs are dropped. */
    void (*log)(int level, const char *tag, const char *fmt, va_list ap);
    /* Threaded variant only (NULL otherwise). block(): called by an API entry
     * holding the host lock; releases it, sleeps until unblock() or timeout,
     * re-takes it. unblock(): called by the host thread, wakes all blockers. */
    void (*block)(uint32_t timeout_ms);
    void (*unblock)(void);
};

#endif /* BH_PORT_H */

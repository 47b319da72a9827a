/* SPDX-License-Identifier: MIT */
/*
 * bh_posix.h: the POSIX platform layer (Linux, macOS): clock, poll loop,
 * HCI transports, btsnoop file capture and a threaded variant.
 *
 * Cooperative use (one thread does everything):
 *
 *     bh_os_init(bh_posix_port());
 *     bh_posix_transport_open("unix:/tmp/blesim.sock");
 *     ...API calls; they pump bh_process() and the port's wait() themselves...
 *
 * The port's wait(timeout) sleeps in poll() on the transport and a wake pipe.
 * When the transport is readable it reads at most bh_hci_rx_space() bytes
 * and hands them to bh_hci_rx_push() (bytes the ring cannot take yet are kept
 * and pushed on a later wait(): nothing is lost). Bytes that send() could not
 * write at once are queued and flushed by wait() when the fd is writable.
 *
 * Threaded use (a host thread runs bh_process() and reads the transport):
 *
 *     bh_os_init(bh_posix_threaded_port());
 *     bh_posix_transport_open(...);
 *     bh_posix_thread_start();
 *     bh_posix_lock(); err = bh_hci_up(); bh_posix_unlock();
 *
 * Rules of the threaded variant:
 *  - Application threads call every blehost API entry point with
 *    bh_posix_lock() held, and release it afterwards. The lock is recursive.
 *  - bh_process() runs on the host thread only, with the lock held, so event
 *    callbacks run on the host thread with the lock held. They must not
 *    block; they may call non-waiting API functions.
 *  - A waiting API call (a semaphore take) releases the lock while it sleeps
 *    (the port's block()), so the host thread can make progress.
 *  - bh_port_wake() and bh_hci_rx_push() may be called from any thread.
 *  - Open the transport before bh_posix_thread_start() and close it after
 *    bh_posix_thread_stop().
 */
#ifndef BH_POSIX_H
#define BH_POSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_hci_transport.h"
#include "blehost/bh_port.h"

/* ---- the port --------------------------------------------------------- */

/* The cooperative port: now_ms (CLOCK_MONOTONIC), nestable critical
 * sections, wait/wake (poll on the transport and a self-pipe), entropy
 * (getrandom or /dev/urandom), log to stderr. The log level comes from the
 * environment variable BLEHOST_LOG (0 off, 1 error, 2 warning (default),
 * 3 info, 4 debug). Never NULL. Any context. */
const struct bh_port *bh_posix_port(void);

/* The same port plus block()/unblock() for the threaded variant. */
const struct bh_port *bh_posix_threaded_port(void);

/* ---- HCI transports ----------------------------------------------------- */

/* Open the H4 transport named by spec and install it with
 * bh_hci_set_transport(). spec is one of:
 *   unix:/path/to/socket       a stream unix socket (blesim)
 *   tcp:host:port              a TCP connection (host may be [v6-addr])
 *   tty:/dev/ttyX[@baud]       a serial port or pty: raw 8N1, RTS/CTS,
 *                              default 1000000 baud
 * The fd is non-blocking. Host context, before bh_posix_thread_start().
 * Returns 0, -EALREADY (one is open), -EINVAL (bad spec or unsupported baud
 * rate), -ENAMETOOLONG, or the negative errno of the failed system call
 * (e.g. -ENOENT, -ECONNREFUSED). Failures are logged with the spec tried. */
int bh_posix_transport_open(const char *spec);

/* Uninstall and close the transport; queued bytes not yet written are
 * dropped. Safe when none is open. Host context, host thread stopped. */
void bh_posix_transport_close(void);

/* False when no transport is open, or after the peer closed it or an I/O
 * error happened (send() then returns -EIO). Any context. */
bool bh_posix_transport_alive(void);

/* The spec of the transport opened or last tried ("" if none), for messages. */
const char *bh_posix_transport_name(void);

/* The transport installed by bh_posix_transport_open() (its send() writes one
 * H4 packet), for tools and tests that speak H4 without the HCI layer. Valid
 * while open; NULL otherwise. */
const struct bh_hci_transport *bh_posix_transport(void);

/* Counters since the last open. Any context (values may be slightly stale). */
struct bh_posix_transport_stats {
    uint32_t tx_packets; /* packets accepted by send() */
    uint32_t tx_blocked; /* send() calls that had to wait for the peer to read */
    uint32_t tx_refused; /* send() calls that returned -EIO */
    uint32_t tx_queued;  /* bytes waiting in the tx queue now */
    uint32_t rx_bytes;   /* bytes read and pushed to the host */
    uint32_t rx_kept;    /* reads whose bytes the ring could not take at once */
};
const struct bh_posix_transport_stats *bh_posix_transport_stats(void);

/* ---- threaded variant ---------------------------------------------------- */

/* Start the host thread: it loops { lock; bh_process(); unlock; wait() }.
 * Call after bh_os_init(bh_posix_threaded_port()) and the transport open.
 * Returns 0, -EALREADY, or -EAGAIN if the thread could not be created. */
int bh_posix_thread_start(void);

/* Ask the host thread to finish its pass and join it. Must not be called
 * with the host lock held. Safe when not running. */
void bh_posix_thread_stop(void);

/* The host lock (recursive). Application threads hold it around API calls. */
void bh_posix_lock(void);
void bh_posix_unlock(void);

/* ---- btsnoop capture ------------------------------------------------------ */

/* Create (truncate) a btsnoop file at path and record every HCI packet into
 * it through bh_hci_set_snoop(). Host context. Returns 0, -EALREADY, or the
 * negative errno of fopen/fwrite. */
int bh_posix_snoop_open(const char *path);

/* Unhook and close the capture file. Safe when none is open. Host context. */
void bh_posix_snoop_close(void);

#endif /* BH_POSIX_H */

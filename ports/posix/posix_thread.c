/* SPDX-License-Identifier: MIT */
/*
 * posix_thread.c: the threaded variant of the POSIX port (DESIGN.md,
 * "Threaded variant"). A host thread runs bh_process() under the host lock
 * and sleeps in the port's wait() (which reads the transport) between
 * passes. Application threads hold the host lock around API calls; a
 * waiting API call sleeps in block(), which releases the lock on a
 * condition variable that the host thread signals through unblock().
 *
 * The host lock is recursive. pthread condition variables release a mutex
 * only once, so the lock is a plain mutex plus a per-thread depth count:
 * block() saves the depth, releases fully, and restores it on return.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "blehost/bh_os.h"
#include "bh_posix.h"
#include "posix_internal.h"

struct posix_thread_ctx {
    pthread_once_t once;
    pthread_mutex_t lock; /* the host lock (depth counted per thread) */
    pthread_cond_t cond;  /* block() sleeps here; unblock() broadcasts */
    pthread_t thread;
    bool running;
    atomic_bool stop;
    struct bh_port port;
};

static struct posix_thread_ctx posix_thr = {
    .once = PTHREAD_ONCE_INIT,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

/* How many times this thread holds the host lock. */
static _Thread_local unsigned posix_lock_depth;

void bh_posix_lock(void)
{
    if (posix_lock_depth++ == 0) {
        pthread_mutex_lock(&posix_thr.lock);
    }
}

void bh_posix_unlock(void)
{
    if (posix_lock_depth == 0) {
        return; /* not held: misuse, ignored rather than corrupting the mutex */
    }
    if (--posix_lock_depth == 0) {
        pthread_mutex_unlock(&posix_thr.lock);
    }
}

#if !defined(__APPLE__)
static struct timespec posix_deadline(uint32_t timeout_ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(timeout_ms / 1000u);
    ts.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
#endif

static void posix_cond_wait(uint32_t timeout_ms)
{
    if (timeout_ms == BH_FOREVER) {
        pthread_cond_wait(&posix_thr.cond, &posix_thr.lock);
        return;
    }
#if defined(__APPLE__)
    struct timespec rel = {.tv_sec = (time_t)(timeout_ms / 1000u),
                           .tv_nsec = (long)(timeout_ms % 1000u) * 1000000L};
    pthread_cond_timedwait_relative_np(&posix_thr.cond, &posix_thr.lock, &rel);
#else
    struct timespec abs = posix_deadline(timeout_ms);
    pthread_cond_timedwait(&posix_thr.cond, &posix_thr.lock, &abs);
#endif
}

/* API entry point on an application thread, host lock held: sleep until
 * unblock() or the timeout, with the lock released meanwhile. A spurious
 * return is allowed: the caller re-checks its condition. */
static void posix_block(uint32_t timeout_ms)
{
    unsigned depth = posix_lock_depth;

    if (depth == 0) {
        pthread_mutex_lock(&posix_thr.lock); /* called unlocked: still sleep */
    }
    posix_lock_depth = 0;
    posix_cond_wait(timeout_ms);
    posix_lock_depth = depth;
    if (depth == 0) {
        pthread_mutex_unlock(&posix_thr.lock);
    }
}

static void posix_unblock(void)
{
    pthread_cond_broadcast(&posix_thr.cond);
}

static void posix_thread_setup(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
#if !defined(__APPLE__)
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
#endif
    pthread_cond_init(&posix_thr.cond, &attr);
    pthread_condattr_destroy(&attr);

    posix_thr.port = *bh_posix_port();
    posix_thr.port.block = posix_block;
    posix_thr.port.unblock = posix_unblock;
}

const struct bh_port *bh_posix_threaded_port(void)
{
    pthread_once(&posix_thr.once, posix_thread_setup);
    return &posix_thr.port;
}

static void *posix_host_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&posix_thr.stop)) {
        uint32_t next;

        bh_posix_lock();
        next = bh_process();
        bh_posix_unlock();
        /* Blocked API calls re-check after every pass, whatever woke them. */
        posix_unblock();
        if (!atomic_load(&posix_thr.stop)) {
            bh_posix_wait(next);
        }
    }
    return NULL;
}

int bh_posix_thread_start(void)
{
    int err;

    bh_posix_threaded_port();
    if (posix_thr.running) {
        return -EALREADY;
    }
    atomic_store(&posix_thr.stop, false);
    err = pthread_create(&posix_thr.thread, NULL, posix_host_main, NULL);
    if (err != 0) {
        bh_posix_logf(BH_POSIX_LOG_ERR, "cannot start the host thread: %s", strerror(err));
        return -EAGAIN;
    }
    posix_thr.running = true;
    return 0;
}

void bh_posix_thread_stop(void)
{
    if (!posix_thr.running) {
        return;
    }
    atomic_store(&posix_thr.stop, true);
    bh_posix_port()->wake();
    pthread_join(posix_thr.thread, NULL);
    posix_thr.running = false;
}

/* SPDX-License-Identifier: MIT */
/*
 * sim_loop.c: blesim's one execution context. A ppoll() loop over every
 * client and listener fd, and a queue of timers sorted by virtual time in
 * microseconds. Virtual time is CLOCK_MONOTONIC since start (real time, in
 * both the default and --fast modes: --fast only shortens what the radio
 * waits for). ppoll sleeps until the next timer with microsecond precision.
 * SIGINT/SIGTERM are blocked except inside ppoll, so a signal can never be
 * lost between the check of the stop flag and the sleep.
 *
 * Manual clock (the fuzz target's seam): after sim_loop_manual(), virtual
 * time stands still until sim_loop_advance() moves it, firing each due
 * timer at its own instant; no fd is polled and nothing sleeps, so a run is
 * a pure function of its input.
 */
#include "sim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define LOOP_MAX_FDS 256
#define LOOP_MAX_TIMERS_PER_ROUND 100000

struct loop_ctx {
    uint64_t t0_ns;
    struct sim_timer *timers; /* sorted by at_us */
    struct sim_fd *fds;
    volatile sig_atomic_t stop;
    sigset_t run_mask; /* mask inside ppoll: signals unblocked */
    bool manual;       /* time moves only through sim_loop_advance() */
    uint64_t manual_us;
};

static struct loop_ctx loop_ctx;

static uint64_t loop_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t sim_now(void)
{
    if (loop_ctx.manual) {
        return loop_ctx.manual_us;
    }
    return (loop_mono_ns() - loop_ctx.t0_ns) / 1000u;
}

void sim_timer_stop(struct sim_timer *t)
{
    struct sim_timer **pp = &loop_ctx.timers;

    if (!t->armed) {
        return;
    }
    while (*pp != NULL) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
        pp = &(*pp)->next;
    }
    t->armed = false;
    t->next = NULL;
}

void sim_timer_start(struct sim_timer *t, uint64_t at_us)
{
    struct sim_timer **pp = &loop_ctx.timers;

    sim_timer_stop(t);
    t->at_us = at_us;
    while (*pp != NULL && (*pp)->at_us <= at_us) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
    t->armed = true;
}

void sim_fd_add(struct sim_fd *f)
{
    f->next = loop_ctx.fds;
    loop_ctx.fds = f;
}

void sim_fd_remove(struct sim_fd *f)
{
    struct sim_fd **pp = &loop_ctx.fds;

    while (*pp != NULL) {
        if (*pp == f) {
            *pp = f->next;
            f->next = NULL;
            return;
        }
        pp = &(*pp)->next;
    }
}

static void loop_on_signal(int sig)
{
    (void)sig;
    loop_ctx.stop = 1;
}

void sim_loop_manual(void)
{
    memset(&loop_ctx, 0, sizeof(loop_ctx));
    loop_ctx.manual = true;
}

void sim_loop_init(void)
{
    struct sigaction sa;
    sigset_t block;

    memset(&loop_ctx, 0, sizeof(loop_ctx));
    loop_ctx.t0_ns = loop_mono_ns();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = loop_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &loop_ctx.run_mask);
    sigdelset(&loop_ctx.run_mask, SIGINT);
    sigdelset(&loop_ctx.run_mask, SIGTERM);
}

void sim_loop_stop(void)
{
    loop_ctx.stop = 1;
}

/* Fire every timer that is due; a timer may re-arm itself or others. */
static void loop_run_timers(void)
{
    for (int n = 0; n < LOOP_MAX_TIMERS_PER_ROUND && !loop_ctx.stop; n++) {
        struct sim_timer *t = loop_ctx.timers;

        if (t == NULL || t->at_us > sim_now()) {
            return;
        }
        loop_ctx.timers = t->next;
        t->next = NULL;
        t->armed = false;
        t->fn(t);
        ctrl_reap();
    }
}

static void loop_poll_once(void)
{
    struct pollfd pfd[LOOP_MAX_FDS];
    struct sim_fd *who[LOOP_MAX_FDS];
    struct timespec ts;
    struct timespec *tsp = NULL;
    nfds_t n = 0;

    for (struct sim_fd *f = loop_ctx.fds; f != NULL && n < LOOP_MAX_FDS; f = f->next) {
        pfd[n].fd = f->fd;
        pfd[n].events = f->events;
        pfd[n].revents = 0;
        who[n++] = f;
    }
    if (loop_ctx.timers != NULL) {
        uint64_t now = sim_now();
        uint64_t wait = loop_ctx.timers->at_us > now ? loop_ctx.timers->at_us - now : 0;

        ts.tv_sec = (time_t)(wait / 1000000u);
        ts.tv_nsec = (long)(wait % 1000000u) * 1000;
        tsp = &ts;
    }
    int rc = ppoll(pfd, n, tsp, &loop_ctx.run_mask);
    if (rc <= 0) {
        return;
    }
    for (nfds_t i = 0; i < n && !loop_ctx.stop; i++) {
        if (pfd[i].revents != 0) {
            who[i]->on_ready(who[i], pfd[i].revents);
        }
    }
}

void sim_loop_advance(uint64_t us)
{
    uint64_t end = loop_ctx.manual_us + us;

    if (!loop_ctx.manual) {
        return;
    }
    for (int n = 0; n < LOOP_MAX_TIMERS_PER_ROUND; n++) {
        struct sim_timer *t = loop_ctx.timers;
        if (t == NULL || t->at_us > end) {
            break;
        }
        if (t->at_us > loop_ctx.manual_us) {
            loop_ctx.manual_us = t->at_us;
        }
        loop_run_timers();
    }
    loop_ctx.manual_us = end;
    loop_run_timers();
    ctrl_reap();
}

bool sim_loop_idle(void)
{
    return loop_ctx.timers == NULL;
}

int sim_loop_run(void)
{
    while (!loop_ctx.stop) {
        loop_run_timers();
        ctrl_reap();
        if (loop_ctx.stop) {
            break;
        }
        loop_poll_once();
        ctrl_reap();
    }
    return 0;
}

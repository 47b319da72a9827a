/* SPDX-License-Identifier: MIT */
/*
 * sem.c: counting semaphores with a limit, and the waiting take.
 *
 * A cooperative port (port->block == NULL) has one execution context, so a
 * take that must wait keeps the host running itself: it pumps bh_process()
 * and sleeps in port->wait() for no longer than the next deadline or the
 * time left. Such takes may nest (an API called from an event callback);
 * the depth is bounded by BH_CONFIG_SEM_MAX_NESTING and a deeper take fails
 * at once with -EDEADLK instead of piling up stack. A threaded port
 * (port->block set) has a host thread that runs bh_process(); the take only
 * sleeps in port->block(), which releases the host lock meanwhile, and
 * bh_sem_give() wakes it through port->unblock().
 */
#include "sem.h"

#include <errno.h>

#include "bh_assert.h"
#include "blehost/bh_os.h"
#include "work.h"

static struct sem_ctx {
    unsigned depth; /* cooperative takes currently waiting, outermost first */
} sem_ctx;

void bh_os_sem_reset(void)
{
    sem_ctx.depth = 0;
}

void bh_sem_init(struct bh_sem *s, uint16_t initial, uint16_t limit)
{
    BH_ASSERT(limit > 0 && initial <= limit);
    s->count = initial;
    s->limit = limit;
}

void bh_sem_give(struct bh_sem *s)
{
    const struct bh_port *port = bh_os_port();

    if (s->count < s->limit) {
        s->count++;
    }
    if (port != NULL && port->unblock != NULL) {
        port->unblock();
    }
}

static bool sem_try(struct bh_sem *s)
{
    if (s->count == 0) {
        return false;
    }
    s->count--;
    return true;
}

static int sem_take_threaded(struct bh_sem *s, uint32_t timeout_ms, const struct bh_port *port)
{
    uint32_t start = bh_now_ms();

    for (;;) {
        uint32_t left = bh_os_time_left(start, timeout_ms, bh_now_ms());

        if (left == 0) {
            return -ETIMEDOUT;
        }
        port->block(left);
        if (sem_try(s)) {
            return 0;
        }
    }
}

static int sem_take_coop(struct bh_sem *s, uint32_t timeout_ms, const struct bh_port *port)
{
    uint32_t start = bh_now_ms();
    int err = -ETIMEDOUT;

    if (sem_ctx.depth >= BH_CONFIG_SEM_MAX_NESTING) {
        return -EDEADLK;
    }
    BH_ASSERT(port->wait != NULL);
    sem_ctx.depth++;
    for (;;) {
        uint32_t next = bh_process();
        uint32_t left;

        if (sem_try(s)) {
            err = 0;
            break;
        }
        left = bh_os_time_left(start, timeout_ms, bh_now_ms());
        if (left == 0) {
            break;
        }
        if (next > 0) {
            port->wait(next < left ? next : left);
        }
    }
    sem_ctx.depth--;
    return err;
}

int bh_sem_take(struct bh_sem *s, uint32_t timeout_ms)
{
    const struct bh_port *port = bh_os_port();

    if (sem_try(s)) {
        return 0;
    }
    if (timeout_ms == 0) {
        return -EAGAIN;
    }
    BH_ASSERT(port != NULL);
    if (port->block != NULL) {
        return sem_take_threaded(s, timeout_ms, port);
    }
    return sem_take_coop(s, timeout_ms, port);
}

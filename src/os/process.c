/* SPDX-License-Identifier: MIT */
/*
 * process.c: the port binding and the host's main pass, bh_process().
 *
 * A pass calls the poll hook (the HCI layer frames received bytes there),
 * fires the due timeouts, then runs the work that is queued, and reports
 * how long the port may sleep. The queues themselves live in work.c.
 */
#include <errno.h>

#include "bh_assert.h"
#include "blehost/bh_os.h"
#include "sem.h"
#include "work.h"

static struct os_ctx {
    const struct bh_port *port;
    void (*poll)(void);
    unsigned depth; /* bh_process() passes running (they nest in cooperative waits) */
} os_ctx;

void bh_os_init(const struct bh_port *port)
{
    BH_ASSERT(port != NULL && port->now_ms != NULL);
    os_ctx.port = port;
    os_ctx.poll = NULL;
    os_ctx.depth = 0;
    bh_os_work_reset();
    bh_os_sem_reset();
}

const struct bh_port *bh_os_port(void)
{
    return os_ctx.port;
}

void bh_os_set_poll(void (*poll)(void))
{
    os_ctx.poll = poll;
}

uint32_t bh_now_ms(void)
{
    BH_ASSERT(os_ctx.port != NULL);
    return os_ctx.port->now_ms();
}

/* Any context: only reads the port pointer, set once before interrupts run. */
void bh_port_wake(void)
{
    const struct bh_port *port = os_ctx.port;

    if (port != NULL && port->wake != NULL) {
        port->wake();
    }
}

void bh_os_wake_loop(void)
{
    /* Inside a pass the loop is awake and will compute its next sleep from
     * the lists as they are when the pass ends. */
    if (os_ctx.depth == 0) {
        bh_port_wake();
    }
}

uint32_t bh_process(void)
{
    uint32_t next;

    BH_ASSERT(os_ctx.port != NULL);
    os_ctx.depth++;
    if (os_ctx.poll != NULL) {
        os_ctx.poll();
    }
    bh_os_timeouts_fire(bh_now_ms());
    /* Work submitted by the timeouts above runs in this pass too: a delayable
     * work item runs in the pass where its deadline passes. */
    bh_os_work_run();
    next = bh_os_work_next_ms(bh_now_ms());
    os_ctx.depth--;
    return next;
}

int bh_run_until(const volatile bool *done, uint32_t timeout_ms)
{
    uint32_t start;

    BH_ASSERT(os_ctx.port != NULL && os_ctx.port->wait != NULL);
    start = bh_now_ms();
    while (!*done) {
        uint32_t next = bh_process();
        uint32_t left;

        if (*done) {
            break;
        }
        left = bh_os_time_left(start, timeout_ms, bh_now_ms());
        if (left == 0) {
            return -ETIMEDOUT;
        }
        if (next > 0) {
            os_ctx.port->wait(next < left ? next : left);
        }
    }
    return 0;
}

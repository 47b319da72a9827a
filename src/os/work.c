/* SPDX-License-Identifier: MIT */
/*
 * work.c: the work queue, the sorted deadline list, delayable work, timers
 * and wait lists.
 *
 * Work items run from bh_process() in submission order. A pass first moves
 * the whole queue to a "running" list, so an item resubmitted from its own
 * handler runs on the next pass instead of looping inside this one. Timeouts
 * sit in one list sorted by deadline (wrap-safe, equal deadlines in arming
 * order). A pass moves the due ones to a "due" list and fires them one by
 * one, so a callback may still cancel a later one of the same pass.
 * Both lists are only touched from the host context; bh_process() may nest
 * (a cooperative bh_sem_take() inside a handler), and a nested pass simply
 * continues the outer pass's lists.
 * Scheduling and ports are elsewhere: process.c drives a pass, sem.c waits.
 */
#include "work.h"

#include "bh_assert.h"

/* Deadlines more than 2^31 - 1 ms away would compare as past: clamp. */
#define WORK_MAX_DELAY_MS 0x7FFFFFFFu

static struct work_ctx {
    struct bh_fifo queue;    /* submitted, waiting for the next pass */
    struct bh_fifo running;  /* taken by the current pass, not yet run */
    struct bh_fifo timeouts; /* armed, sorted by deadline */
    struct bh_fifo due;      /* expired in the current pass, not yet fired */
} work_ctx;

static struct bh_work *work_from_node(struct bh_snode *n)
{
    return BH_CONTAINER_OF(n, struct bh_work, node);
}

static struct bh_timeout *timeout_from_node(struct bh_snode *n)
{
    return BH_CONTAINER_OF(n, struct bh_timeout, node);
}

/* Move all of src to the tail of dst in O(1). */
static void fifo_append(struct bh_fifo *dst, struct bh_fifo *src)
{
    if (src->head == NULL) {
        return;
    }
    if (dst->tail == NULL) {
        dst->head = src->head;
    } else {
        dst->tail->next = src->head;
    }
    dst->tail = src->tail;
    bh_fifo_init(src);
}

static bool fifo_contains(const struct bh_fifo *f, const struct bh_snode *n)
{
    for (const struct bh_snode *cur = f->head; cur != NULL; cur = cur->next) {
        if (cur == n) {
            return true;
        }
    }
    return false;
}

static uint32_t clamp_delay(uint32_t delay_ms)
{
    return delay_ms > WORK_MAX_DELAY_MS ? WORK_MAX_DELAY_MS : delay_ms;
}

void bh_os_work_reset(void)
{
    bh_fifo_init(&work_ctx.queue);
    bh_fifo_init(&work_ctx.running);
    bh_fifo_init(&work_ctx.timeouts);
    bh_fifo_init(&work_ctx.due);
}

/* ---- work items ---------------------------------------------------------- */

static void work_unpark(struct bh_work *w)
{
    if (w->wait_list != NULL) {
        bh_fifo_remove(w->wait_list, &w->node);
        w->wait_list = NULL;
    }
}

void bh_work_init(struct bh_work *work, bh_work_fn_t fn)
{
    work->node.next = NULL;
    work->fn = fn;
    work->pending = false;
    work->wait_list = NULL;
}

bool bh_work_submit(struct bh_work *work)
{
    BH_ASSERT(work->fn != NULL);
    if (work->pending) {
        return false;
    }
    work_unpark(work);
    work->pending = true;
    if (bh_fifo_is_empty(&work_ctx.queue)) {
        /* The loop may be asleep for the old deadline (a threaded port's
         * host thread, when an API call submits): make it look again. */
        bh_os_wake_loop();
    }
    bh_fifo_put(&work_ctx.queue, &work->node);
    return true;
}

/* Also drops a wait-list registration; returns whether it was queued to run. */
bool bh_work_cancel(struct bh_work *work)
{
    work_unpark(work);
    if (!work->pending) {
        return false;
    }
    if (!bh_fifo_remove(&work_ctx.queue, &work->node)) {
        bh_fifo_remove(&work_ctx.running, &work->node);
    }
    work->pending = false;
    return true;
}

void bh_os_work_run(void)
{
    struct bh_snode *n;

    fifo_append(&work_ctx.running, &work_ctx.queue);
    while ((n = bh_fifo_get(&work_ctx.running)) != NULL) {
        struct bh_work *w = work_from_node(n);

        w->pending = false; /* before the call: the handler may resubmit */
        w->fn(w);
    }
}

/* ---- wait lists ------------------------------------------------------------ */

void bh_os_wait_list_add(struct bh_fifo *list, struct bh_work *w)
{
    if (w->pending) {
        return; /* it runs anyway */
    }
    /* wait_list may be stale if its owner rebuilt the list: check membership. */
    if (w->wait_list == list && fifo_contains(list, &w->node)) {
        return;
    }
    work_unpark(w);
    bh_fifo_put(list, &w->node);
    w->wait_list = list;
}

void bh_os_wait_list_remove(struct bh_fifo *list, struct bh_work *w)
{
    if (w->wait_list == list) {
        work_unpark(w);
    }
}

void bh_os_wait_list_wake(struct bh_fifo *list)
{
    struct bh_snode *n;

    while ((n = bh_fifo_get(list)) != NULL) {
        struct bh_work *w = work_from_node(n);

        w->wait_list = NULL;
        bh_work_submit(w);
    }
}

/* ---- the deadline list ------------------------------------------------------ */

static void timeout_init(struct bh_timeout *t, bh_timeout_fn_t fn)
{
    t->node.next = NULL;
    t->fn = fn;
    t->deadline = 0;
    t->armed = false;
}

/* Insert after every deadline at or before t's, keeping arming order. */
static void timeout_insert(struct bh_timeout *t)
{
    struct bh_snode *prev = NULL;
    struct bh_snode *cur = bh_fifo_peek(&work_ctx.timeouts);

    while (cur != NULL && !bh_time_after(timeout_from_node(cur)->deadline, t->deadline)) {
        prev = cur;
        cur = cur->next;
    }
    if (prev == NULL) {
        /* A new earliest deadline: a loop sleeping for the old one must
         * wake and recompute (threaded ports; harmless otherwise). */
        bh_fifo_put_head(&work_ctx.timeouts, &t->node);
        bh_os_wake_loop();
    } else if (cur == NULL) {
        bh_fifo_put(&work_ctx.timeouts, &t->node);
    } else {
        t->node.next = cur;
        prev->next = &t->node;
    }
    t->armed = true;
}

static bool timeout_disarm(struct bh_timeout *t)
{
    if (!t->armed) {
        return false;
    }
    if (!bh_fifo_remove(&work_ctx.timeouts, &t->node)) {
        bh_fifo_remove(&work_ctx.due, &t->node);
    }
    t->armed = false;
    return true;
}

static void timeout_arm(struct bh_timeout *t, uint32_t deadline)
{
    timeout_disarm(t);
    t->deadline = deadline;
    timeout_insert(t);
}

void bh_os_timeouts_fire(uint32_t now)
{
    struct bh_snode *n;

    while ((n = bh_fifo_peek(&work_ctx.timeouts)) != NULL &&
           !bh_time_after(timeout_from_node(n)->deadline, now)) {
        bh_fifo_get(&work_ctx.timeouts);
        bh_fifo_put(&work_ctx.due, n);
    }
    while ((n = bh_fifo_get(&work_ctx.due)) != NULL) {
        struct bh_timeout *t = timeout_from_node(n);

        t->armed = false; /* before the call: the callback may re-arm */
        t->fn(t);
    }
}

uint32_t bh_os_work_next_ms(uint32_t now)
{
    struct bh_snode *head = bh_fifo_peek(&work_ctx.timeouts);

    if (!bh_fifo_is_empty(&work_ctx.queue) || !bh_fifo_is_empty(&work_ctx.running) ||
        !bh_fifo_is_empty(&work_ctx.due)) {
        return 0;
    }
    if (head == NULL) {
        return BH_FOREVER;
    }
    return bh_time_until(timeout_from_node(head)->deadline, now);
}

/* ---- delayable work ------------------------------------------------------------ */

static void dwork_expired(struct bh_timeout *t)
{
    struct bh_dwork *dw = BH_CONTAINER_OF(t, struct bh_dwork, timeout);

    bh_work_submit(&dw->work);
}

void bh_dwork_init(struct bh_dwork *dw, bh_work_fn_t fn)
{
    bh_work_init(&dw->work, fn);
    timeout_init(&dw->timeout, dwork_expired);
}

void bh_dwork_schedule(struct bh_dwork *dw, uint32_t delay_ms)
{
    uint32_t deadline = bh_now_ms() + clamp_delay(delay_ms);

    if (dw->work.pending) {
        return;
    }
    if (dw->timeout.armed && !bh_time_after(dw->timeout.deadline, deadline)) {
        return; /* the earlier deadline wins */
    }
    timeout_arm(&dw->timeout, deadline);
}

void bh_dwork_reschedule(struct bh_dwork *dw, uint32_t delay_ms)
{
    bh_work_cancel(&dw->work);
    timeout_arm(&dw->timeout, bh_now_ms() + clamp_delay(delay_ms));
}

bool bh_dwork_cancel(struct bh_dwork *dw)
{
    bool armed = timeout_disarm(&dw->timeout);
    bool queued = bh_work_cancel(&dw->work);

    return armed || queued;
}

bool bh_dwork_is_pending(const struct bh_dwork *dw)
{
    return dw->timeout.armed || dw->work.pending;
}

uint32_t bh_dwork_remaining_ms(const struct bh_dwork *dw)
{
    if (!dw->timeout.armed) {
        return 0;
    }
    return bh_time_until(dw->timeout.deadline, bh_now_ms());
}

/* ---- timers ------------------------------------------------------------------- */

static void timer_expired(struct bh_timeout *to)
{
    struct bh_timer *t = BH_CONTAINER_OF(to, struct bh_timer, timeout);

    if (t->period_ms != 0) {
        /* From the previous deadline, not from now: no drift. The callback
         * below may still stop or restart the timer. */
        to->deadline += t->period_ms;
        timeout_insert(to);
    }
    t->fn(t);
}

void bh_timer_init(struct bh_timer *t, bh_timer_fn_t fn)
{
    timeout_init(&t->timeout, timer_expired);
    t->fn = fn;
    t->period_ms = 0;
}

void bh_timer_start(struct bh_timer *t, uint32_t delay_ms, uint32_t period_ms)
{
    BH_ASSERT(t->fn != NULL);
    t->period_ms = clamp_delay(period_ms);
    timeout_arm(&t->timeout, bh_now_ms() + clamp_delay(delay_ms));
}

bool bh_timer_stop(struct bh_timer *t)
{
    return timeout_disarm(&t->timeout);
}

bool bh_timer_is_running(const struct bh_timer *t)
{
    return t->timeout.armed;
}

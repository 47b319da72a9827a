/* SPDX-License-Identifier: MIT */
/*
 * bh_os.h: the cooperative kernel primitives the host is written on.
 *
 * Calling context: every function here is for the host context (inside
 * bh_process() or an API call on the application side), except those
 * marked "any context". Nothing here allocates: objects live in the
 * caller's structures or in static storage declared with the macros.
 */
#ifndef BH_OS_H
#define BH_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bh_config.h"
#include "bh_port.h"

/* ---- intrusive singly linked nodes, lists and FIFOs ------------------ */

struct bh_snode {
    struct bh_snode *next;
};

/* O(1) put at the tail, get from the head. */
struct bh_fifo {
    struct bh_snode *head;
    struct bh_snode *tail;
};

void bh_fifo_init(struct bh_fifo *f);
void bh_fifo_put(struct bh_fifo *f, struct bh_snode *n);
void bh_fifo_put_head(struct bh_fifo *f, struct bh_snode *n);
struct bh_snode *bh_fifo_get(struct bh_fifo *f); /* NULL when empty */
/* Unlinks n if it is queued (O(n) walk); returns whether it was. */
bool bh_fifo_remove(struct bh_fifo *f, struct bh_snode *n);

static inline bool bh_fifo_is_empty(const struct bh_fifo *f)
{
    return f->head == NULL;
}

static inline struct bh_snode *bh_fifo_peek(const struct bh_fifo *f)
{
    return f->head;
}

#define BH_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---- time ------------------------------------------------------------ */

uint32_t bh_now_ms(void);

/* Wrap-safe: is a strictly later than b (within 2^31 ms)? */
static inline bool bh_time_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* Wrap-safe: milliseconds from now until deadline, 0 if it has passed. */
static inline uint32_t bh_time_until(uint32_t deadline, uint32_t now)
{
    return bh_time_after(deadline, now) ? deadline - now : 0;
}

/* ---- work items -------------------------------------------------------- */

struct bh_work;
typedef void (*bh_work_fn_t)(struct bh_work *work);

struct bh_work {
    struct bh_snode node;
    bh_work_fn_t fn;
    bool pending;
    /* Non-NULL while registered (through node) in a wait list such as a buffer
     * pool's waiters; submit and cancel unlink it from there first. */
    struct bh_fifo *wait_list;
};

void bh_work_init(struct bh_work *work, bh_work_fn_t fn);
/* Queue work to run from bh_process(), in FIFO order. Returns true if queued,
 * false if it was already pending (then nothing changes). */
bool bh_work_submit(struct bh_work *work);
/* Dequeue if pending; returns whether it was. Safe from inside its own handler.
 * Also drops a bh_buf_pool_wait() registration. */
bool bh_work_cancel(struct bh_work *work);

static inline bool bh_work_is_pending(const struct bh_work *work)
{
    return work->pending;
}

/* ---- timeouts: the sorted deadline list behind dwork and timers --------- */

struct bh_timeout;
typedef void (*bh_timeout_fn_t)(struct bh_timeout *t);

struct bh_timeout {
    struct bh_snode node;
    bh_timeout_fn_t fn;
    uint32_t deadline;
    bool armed;
};

/* ---- delayable work: a work item submitted when its deadline passes ---- */

struct bh_dwork {
    struct bh_work work;
    struct bh_timeout timeout;
};

void bh_dwork_init(struct bh_dwork *dw, bh_work_fn_t fn);
/* Run after delay_ms. If already scheduled, the earlier deadline is kept;
 * if already queued to run, nothing changes. */
void bh_dwork_schedule(struct bh_dwork *dw, uint32_t delay_ms);
/* Run after delay_ms, replacing any deadline (and dequeuing a queued run). */
void bh_dwork_reschedule(struct bh_dwork *dw, uint32_t delay_ms);
/* Stop the timer and dequeue; returns whether anything was pending. */
bool bh_dwork_cancel(struct bh_dwork *dw);
/* Scheduled or queued to run. */
bool bh_dwork_is_pending(const struct bh_dwork *dw);
/* Milliseconds until it fires; 0 if queued or not scheduled. */
uint32_t bh_dwork_remaining_ms(const struct bh_dwork *dw);

/* Recover the owning dwork inside a handler: bh_dwork_from_work(work). */
static inline struct bh_dwork *bh_dwork_from_work(struct bh_work *w)
{
    return BH_CONTAINER_OF(w, struct bh_dwork, work);
}

/* ---- timers: callbacks from bh_process(), one-shot or periodic ---------- */

struct bh_timer;
typedef void (*bh_timer_fn_t)(struct bh_timer *timer);

struct bh_timer {
    struct bh_timeout timeout;
    bh_timer_fn_t fn;
    uint32_t period_ms; /* 0: one-shot */
};

void bh_timer_init(struct bh_timer *t, bh_timer_fn_t fn);
/* (Re)start: first expiry after delay_ms, then every period_ms if non-zero.
 * Periodic deadlines advance by the period, so they do not drift. */
void bh_timer_start(struct bh_timer *t, uint32_t delay_ms, uint32_t period_ms);
bool bh_timer_stop(struct bh_timer *t);
bool bh_timer_is_running(const struct bh_timer *t);

/* ---- semaphores ---------------------------------------------------------- */

struct bh_sem {
    uint16_t count;
    uint16_t limit;
};

void bh_sem_init(struct bh_sem *s, uint16_t initial, uint16_t limit);
/* Count up (saturating at limit) and wake a blocked taker. */
void bh_sem_give(struct bh_sem *s);
/* Take one count, waiting up to timeout_ms (BH_FOREVER, or 0 to poll).
 * Cooperative ports: pumps bh_process() and the port's wait() meanwhile.
 * API entry points only, never from a handler or work item.
 * Returns 0, -EAGAIN (timeout 0 and no count), -ETIMEDOUT, or -EDEADLK when
 * called nested deeper than BH_CONFIG_SEM_MAX_NESTING. */
int bh_sem_take(struct bh_sem *s, uint32_t timeout_ms);

static inline uint16_t bh_sem_count(const struct bh_sem *s)
{
    return s->count;
}

/* ---- memory slabs: fixed-size blocks from static storage ---------------- */

struct bh_slab {
    uint8_t *mem;
    struct bh_snode *free_list;
    uint16_t block_size;
    uint16_t count;
    uint16_t free_count;
    uint16_t min_free; /* low-water mark, for sizing pools */
    bool ready;        /* free list built; alloc on a never-initialised slab builds it */
};

#define BH_ALIGN_UP(n, a) (((n) + (a)-1) / (a) * (a))

/* Static storage and a slab named `name` of `count` blocks of `size` bytes. */
#define BH_SLAB_BLOCK_SIZE(sz)                                                              \
    BH_ALIGN_UP((sz) < sizeof(void *) ? sizeof(void *) : (sz), _Alignof(max_align_t))
#define BH_SLAB_DEFINE(nm, sz, cnt)                                                         \
    static _Alignas(max_align_t) uint8_t nm##_mem[(cnt)*BH_SLAB_BLOCK_SIZE(sz)];            \
    static struct bh_slab nm = {                                                            \
        .mem = nm##_mem,                                                                    \
        .block_size = BH_SLAB_BLOCK_SIZE(sz),                                               \
        .count = (cnt),                                                                     \
    }

/* (Re)build the free list: every block free again. */
void bh_slab_init(struct bh_slab *s);
/* A zeroed block, or NULL when the slab is empty. */
void *bh_slab_alloc(struct bh_slab *s);
/* Return a block (NULL is ignored). Asserts it belongs to s and is not free. */
void bh_slab_free(struct bh_slab *s, void *block);

static inline uint16_t bh_slab_free_count(const struct bh_slab *s)
{
    return s->free_count;
}

/* ---- byte ring: single producer (any context), single consumer (host) --- */

struct bh_ring {
    uint8_t *buf;
    uint32_t size; /* power of two */
    volatile uint32_t head; /* written by the producer only */
    volatile uint32_t tail; /* written by the consumer only */
};

void bh_ring_init(struct bh_ring *r, uint8_t *buf, uint32_t size_pow2);
/* Any context (one producer). Copies what fits; returns the bytes written. */
size_t bh_ring_put(struct bh_ring *r, const uint8_t *data, size_t len);
/* Host context (one consumer). Longest contiguous readable run at *data. */
size_t bh_ring_peek(struct bh_ring *r, const uint8_t **data);
void bh_ring_consume(struct bh_ring *r, size_t n);
size_t bh_ring_used(const struct bh_ring *r);

/* ---- the main entry point ------------------------------------------------ */

/* Install the port and reset all queues and timers. Call once before
 * anything else, and again to start over (tests, soft reset). Work items,
 * dworks and timers that were queued or armed must be re-initialised with
 * their *_init() before reuse (each layer's init does). */
void bh_os_init(const struct bh_port *port);
const struct bh_port *bh_os_port(void);

/* A hook bh_process() calls first on every pass; the HCI layer installs one
 * that drains the received-bytes ring. NULL removes it. */
void bh_os_set_poll(void (*poll)(void));

/* One pass of the host: drain received HCI bytes, fire due timers, run the
 * work that is ready. Returns milliseconds until the next deadline: 0 if
 * more is ready now, BH_FOREVER if nothing is scheduled. A port sleeps in
 * its wait() for exactly that long (or until woken). Host context only. */
uint32_t bh_process(void);

/* Drive bh_process() and the port's wait() until *done is true or
 * timeout_ms passes: 0 or -ETIMEDOUT. For ports and tests. */
int bh_run_until(const volatile bool *done, uint32_t timeout_ms);

/* Wake the host loop. Any context. */
void bh_port_wake(void);

#endif /* BH_OS_H */

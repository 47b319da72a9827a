/* SPDX-License-Identifier: MIT */
/*
 * work.h: internal interface between work.c (the work queue and the sorted
 * deadline list) and its users in src/os: process.c (the bh_process() pass
 * that drives them), buf.c (wait lists) and sem.c (timeout arithmetic).
 */
#ifndef BH_OS_WORK_H
#define BH_OS_WORK_H

#include <stdint.h>

#include "blehost/bh_os.h"

/* Forget every queued work item and armed deadline (bh_os_init). */
void bh_os_work_reset(void);
/* process.c: new work or an earlier deadline appeared outside bh_process()
 * (an API call, possibly on another thread than a sleeping host loop). */
void bh_os_wake_loop(void);
/* Fire every timeout whose deadline is at or before now, in deadline order.
 * One pass fires each at most once: a periodic timer re-armed into the past
 * fires again on the next pass. */
void bh_os_timeouts_fire(uint32_t now);
/* Run the work queued at the moment of the call, in FIFO order; work
 * submitted meanwhile waits for the next pass. */
void bh_os_work_run(void);
/* 0 if work or due deadlines wait, ms until the next deadline, or BH_FOREVER. */
uint32_t bh_os_work_next_ms(uint32_t now);

/* Wait lists: work items parked (through their node) until an event, then
 * submitted all at once. A work item is in at most one wait list, and never
 * while queued to run. Used by buffer pools (bh_buf_pool_wait). */
/* Park w in list; no-op if it is queued to run or already parked there. */
void bh_os_wait_list_add(struct bh_fifo *list, struct bh_work *w);
void bh_os_wait_list_remove(struct bh_fifo *list, struct bh_work *w);
/* Submit every parked work item, emptying the list. */
void bh_os_wait_list_wake(struct bh_fifo *list);

/* Wrap-safe milliseconds left of timeout_ms counted from start
 * (BH_FOREVER stays BH_FOREVER); 0 once it has passed. */
static inline uint32_t bh_os_time_left(uint32_t start, uint32_t timeout_ms, uint32_t now)
{
    uint32_t elapsed = now - start;

    if (timeout_ms == BH_FOREVER) {
        return BH_FOREVER;
    }
    return elapsed >= timeout_ms ? 0 : timeout_ms - elapsed;
}

#endif /* BH_OS_WORK_H */

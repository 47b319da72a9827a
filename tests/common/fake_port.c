/* SPDX-License-Identifier: MIT */
/* fake_port.c: the deterministic test port described in fake_port.h. */
#include "fake_port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh_test.h"
#include "blehost/bh_os.h"

/* Waits in a row that left the clock where it was: the host is spinning. */
#define FAKE_PORT_MAX_IDLE_WAITS 10000
#define FAKE_PORT_LOG_LEVELS 5

static struct fake_port_ctx {
    struct bh_port ops; /* what bh_os_init() gets; block/unblock set in threaded mode */
    uint32_t now;
    uint32_t rng;
    bool entropy_fail;
    bool log_on;
    bool woken;
    bool unblocked;
    bool has_event;
    uint32_t event_at;
    fake_port_wait_hook_t hook;
    void *hook_ctx;
    int crit_depth;
    unsigned idle_waits;
    unsigned wait_count;
    unsigned block_count;
    unsigned unblock_count;
    unsigned wake_count;
    uint32_t last_wait_ms;
    unsigned log_count[FAKE_PORT_LOG_LEVELS];
} fp;

static uint32_t fake_now_ms(void)
{
    return fp.now;
}

static void fake_crit_enter(void)
{
    fp.crit_depth++;
}

static void fake_crit_exit(void)
{
    if (fp.crit_depth <= 0) {
        bh_test_fail(__FILE__, __LINE__, "fake port: crit_exit() without crit_enter()");
    }
    fp.crit_depth--;
}

/* The part of wait() and block() after the hook: how far the clock moves. */
static void fake_sleep(uint32_t timeout_ms, bool *early)
{
    uint32_t step = timeout_ms;
    uint32_t before = fp.now;

    if (*early) {
        *early = false;
        step = 0;
    } else if (fp.has_event && bh_time_until(fp.event_at, fp.now) <= step) {
        step = bh_time_until(fp.event_at, fp.now);
        fp.has_event = false;
    } else if (timeout_ms == BH_FOREVER) {
        bh_test_fail(__FILE__, __LINE__,
                     "fake port: wait(BH_FOREVER) with nothing to wake it: the host would hang");
    }
    fp.now += step;
    fp.idle_waits = fp.now == before ? fp.idle_waits + 1 : 0;
    if (fp.idle_waits >= FAKE_PORT_MAX_IDLE_WAITS) {
        bh_test_fail(__FILE__, __LINE__, "fake port: host spins: waits never let time pass");
    }
}

/* Runs the hook; true if it moved the clock itself (then that was the event
 * that ends this wait, and the clock moves no further). */
static bool fake_run_hook(uint32_t timeout_ms)
{
    uint32_t before = fp.now;

    if (fp.hook == NULL) {
        return false;
    }
    fp.hook(fp.hook_ctx, timeout_ms);
    if (fp.now == before) {
        return false;
    }
    fp.idle_waits = 0;
    return true;
}

static void fake_wait(uint32_t timeout_ms)
{
    fp.wait_count++;
    fp.last_wait_ms = timeout_ms;
    if (fake_run_hook(timeout_ms)) {
        return;
    }
    fake_sleep(timeout_ms, &fp.woken);
}

static void fake_wake(void)
{
    fp.wake_count++;
    fp.woken = true;
}

static void fake_block(uint32_t timeout_ms)
{
    fp.block_count++;
    fp.last_wait_ms = timeout_ms;
    if (fake_run_hook(timeout_ms)) {
        return;
    }
    fake_sleep(timeout_ms, &fp.unblocked);
}

static void fake_unblock(void)
{
    fp.unblock_count++;
    fp.unblocked = true;
}

static int fake_entropy(void *buf, size_t len)
{
    uint8_t *p = buf;

    if (fp.entropy_fail) {
        return -EIO;
    }
    for (size_t i = 0; i < len; i++) {
        fp.rng ^= fp.rng << 13; /* xorshift32 */
        fp.rng ^= fp.rng >> 17;
        fp.rng ^= fp.rng << 5;
        p[i] = (uint8_t)(fp.rng >> 24);
    }
    return 0;
}

static void fake_log(int level, const char *tag, const char *fmt, va_list ap)
{
    static const char names[FAKE_PORT_LOG_LEVELS] = {'-', 'E', 'W', 'I', 'D'};
    int lv = level >= 0 && level < FAKE_PORT_LOG_LEVELS ? level : 0;

    fp.log_count[lv]++;
    if (!fp.log_on && strcmp(tag, "assert") != 0) {
        return;
    }
    fprintf(stderr, "[%10" PRIu32 "] %c %s: ", fp.now, names[lv], tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void fake_port_init(uint32_t seed)
{
    memset(&fp, 0, sizeof(fp));
    fp.ops.now_ms = fake_now_ms;
    fp.ops.crit_enter = fake_crit_enter;
    fp.ops.crit_exit = fake_crit_exit;
    fp.ops.wait = fake_wait;
    fp.ops.wake = fake_wake;
    fp.ops.entropy = fake_entropy;
    fp.ops.log = fake_log;
    fp.rng = seed != 0 ? seed : 0x2545F491u; /* xorshift must not start at 0 */
    fp.log_on = getenv("BH_TEST_LOG") != NULL;
    bh_os_init(&fp.ops);
}

const struct bh_port *fake_port(void)
{
    return &fp.ops;
}

uint32_t fake_port_now(void)
{
    return fp.now;
}

void fake_port_set_now(uint32_t ms)
{
    fp.now = ms;
}

void fake_port_advance(uint32_t ms)
{
    fp.now += ms;
}

void fake_port_run(uint32_t ms)
{
    unsigned busy = 0;

    for (;;) {
        uint32_t next = bh_process();

        if (next == 0) {
            if (++busy >= FAKE_PORT_MAX_IDLE_WAITS) {
                bh_test_fail(__FILE__, __LINE__, "fake port: host never goes idle");
            }
            continue;
        }
        busy = 0;
        if (ms == 0) {
            return;
        }
        next = next < ms ? next : ms;
        fp.now += next;
        ms -= next;
    }
}

void fake_port_set_next_event(uint32_t at_ms)
{
    fp.has_event = true;
    fp.event_at = at_ms;
}

void fake_port_set_wait_hook(fake_port_wait_hook_t fn, void *ctx)
{
    fp.hook = fn;
    fp.hook_ctx = ctx;
}

void fake_port_set_threaded(bool on)
{
    fp.ops.block = on ? fake_block : NULL;
    fp.ops.unblock = on ? fake_unblock : NULL;
}

void fake_port_set_entropy_fail(bool fail)
{
    fp.entropy_fail = fail;
}

unsigned fake_port_wait_count(void)
{
    return fp.wait_count;
}

uint32_t fake_port_last_wait_ms(void)
{
    return fp.last_wait_ms;
}

unsigned fake_port_block_count(void)
{
    return fp.block_count;
}

unsigned fake_port_unblock_count(void)
{
    return fp.unblock_count;
}

unsigned fake_port_wake_count(void)
{
    return fp.wake_count;
}

bool fake_port_woken(void)
{
    return fp.woken;
}

int fake_port_crit_depth(void)
{
    return fp.crit_depth;
}

unsigned fake_port_log_count(int level)
{
    return level >= 0 && level < FAKE_PORT_LOG_LEVELS ? fp.log_count[level] : 0;
}

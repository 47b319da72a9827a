/* SPDX-License-Identifier: MIT */
/* test_sem.c: semaphores, cooperative and threaded takes (src/os/sem.c). */
#include <errno.h>

#include "bh_test.h"
#include "blehost/bh_os.h"
#include "fake_port.h"

#define NEST_MAX (BH_CONFIG_SEM_MAX_NESTING + 1)

static struct {
    struct bh_sem sem;
    struct bh_sem inner;
    struct bh_timer giver;       /* gives sem when it fires */
    struct bh_timer inner_giver; /* gives inner when it fires */
    struct bh_timer tick;        /* periodic, only to cut waits short */
    struct bh_work inner_taker;  /* takes inner (nested), then gives sem */
    int inner_err;
    uint32_t inner_done_at;
    unsigned polls;
    unsigned hook_calls;
    /* nesting chain */
    struct bh_work nest[NEST_MAX];
    struct bh_sem nest_sem[NEST_MAX];
    int nest_err[NEST_MAX];
    uint32_t nest_at[NEST_MAX];
    bool nest_ran[NEST_MAX];
} t;

static void on_giver(struct bh_timer *timer)
{
    (void)timer;
    bh_sem_give(&t.sem);
}

static void on_inner_giver(struct bh_timer *timer)
{
    (void)timer;
    bh_sem_give(&t.inner);
}

static void on_tick(struct bh_timer *timer)
{
    (void)timer;
}

static void on_inner_taker(struct bh_work *w)
{
    (void)w;
    /* An API call from inside a handler: a nested cooperative take. */
    t.inner_err = bh_sem_take(&t.inner, 500);
    t.inner_done_at = fake_port_now();
    bh_sem_give(&t.sem);
}

static void on_poll(void)
{
    t.polls++;
}

static void setup(void)
{
    memset(&t, 0, sizeof(t));
    fake_port_init(1);
    bh_sem_init(&t.sem, 0, 1);
    bh_sem_init(&t.inner, 0, 1);
    bh_timer_init(&t.giver, on_giver);
    bh_timer_init(&t.inner_giver, on_inner_giver);
    bh_timer_init(&t.tick, on_tick);
    bh_work_init(&t.inner_taker, on_inner_taker);
}

static void test_sem_give_then_take_returns_at_once(void)
{
    setup();
    bh_sem_give(&t.sem);
    BH_CHECK_EQ(bh_sem_count(&t.sem), 1);
    BH_CHECK_EQ(bh_sem_take(&t.sem, 1000), 0);
    BH_CHECK_EQ(bh_sem_count(&t.sem), 0);
    BH_CHECK_EQ(fake_port_now(), 0);
    BH_CHECK_EQ(fake_port_wait_count(), 0);
}

static void test_sem_give_saturates_at_limit(void)
{
    setup();
    bh_sem_init(&t.sem, 1, 3);
    for (int i = 0; i < 5; i++) {
        bh_sem_give(&t.sem);
    }
    BH_CHECK_EQ(bh_sem_count(&t.sem), 3);
    for (int i = 0; i < 3; i++) {
        BH_CHECK_EQ(bh_sem_take(&t.sem, 0), 0);
    }
    BH_CHECK_EQ(bh_sem_take(&t.sem, 0), -EAGAIN);
    BH_CHECK_EQ(fake_port_unblock_count(), 0); /* cooperative: nobody to unblock */
}

static void test_sem_timeout_zero_without_count_gives_eagain(void)
{
    setup();
    t.polls = 0;
    bh_os_set_poll(on_poll);
    BH_CHECK_EQ(bh_sem_take(&t.sem, 0), -EAGAIN);
    BH_CHECK_EQ(t.polls, 0); /* did not pump */
    BH_CHECK_EQ(fake_port_wait_count(), 0);
}

static void test_sem_timeout_gives_etimedout_after_exactly_timeout(void)
{
    uint32_t t0;

    setup();
    fake_port_advance(777);
    t0 = fake_port_now();
    BH_CHECK_EQ(bh_sem_take(&t.sem, 100), -ETIMEDOUT);
    BH_CHECK_EQ(fake_port_now() - t0, 100);
    BH_CHECK_EQ(fake_port_wait_count(), 1);
    BH_CHECK_EQ(fake_port_last_wait_ms(), 100);
}

/* New work or a new earliest deadline from outside bh_process() wakes the
 * loop; inside a pass (a timer re-arming itself) it does not. */
static void on_noop_timer(struct bh_timer *tm)
{
    (void)tm;
}

static void test_sem_arming_outside_process_wakes_loop(void)
{
    struct bh_timer tm;

    setup();
    bh_timer_init(&tm, on_noop_timer);
    BH_CHECK_EQ(fake_port_wake_count(), 0);
    bh_timer_start(&tm, 50, 50);
    BH_CHECK_EQ(fake_port_wake_count(), 1);
    fake_port_run(120); /* two periodic re-arms inside passes: no wake */
    BH_CHECK_EQ(fake_port_wake_count(), 1);
    bh_work_submit(&t.inner_taker);
    BH_CHECK_EQ(fake_port_wake_count(), 2);
    bh_work_cancel(&t.inner_taker);
    bh_timer_stop(&tm);
}

static void test_sem_timeout_across_clock_wrap_still_exact(void)
{
    setup();
    fake_port_set_now(0xFFFFFFC0u);
    bh_timer_start(&t.tick, 0x30, 0x30); /* deadlines on both sides of the wrap */
    BH_CHECK_EQ(bh_sem_take(&t.sem, 100), -ETIMEDOUT);
    BH_CHECK_EQ(fake_port_now(), 0x24); /* 0xFFFFFFC0 + 100 */
}

static void test_sem_timeout_with_deadlines_between_still_exact(void)
{
    uint32_t t0;

    setup();
    bh_timer_start(&t.tick, 7, 7); /* waits are cut at every tick */
    t0 = fake_port_now();
    BH_CHECK_EQ(bh_sem_take(&t.sem, 100), -ETIMEDOUT);
    BH_CHECK_EQ(fake_port_now() - t0, 100);
    /* Arming the timer outside bh_process() woke the loop (a sleeping host
     * thread must see the new deadline), so the first wait returns at once;
     * then 14 ticks of 7 ms, then 2 ms. */
    BH_CHECK_EQ(fake_port_wait_count(), 16);
    BH_CHECK_EQ(fake_port_last_wait_ms(), 2);
}

static void test_sem_given_from_timer_while_waiting_returns_zero(void)
{
    setup();
    t.polls = 0;
    bh_os_set_poll(on_poll);
    bh_timer_start(&t.giver, 40, 0);
    BH_CHECK_EQ(bh_sem_take(&t.sem, 1000), 0);
    BH_CHECK_EQ(fake_port_now(), 40);
    BH_CHECK(t.polls >= 2); /* the take pumped bh_process() */
    BH_CHECK_EQ(bh_sem_count(&t.sem), 0);
}

static void test_sem_forever_given_from_timer_returns_zero(void)
{
    setup();
    bh_timer_start(&t.giver, 123456, 0);
    BH_CHECK_EQ(bh_sem_take(&t.sem, BH_FOREVER), 0);
    BH_CHECK_EQ(fake_port_now(), 123456);
}

static void hook_give_and_wake(void *ctx, uint32_t timeout_ms)
{
    (void)timeout_ms;
    t.hook_calls++;
    bh_sem_give(ctx);
    bh_port_wake(); /* as an interrupt handler would */
}

static void test_sem_given_during_wait_hook_returns_without_time_passing(void)
{
    setup();
    fake_port_set_wait_hook(hook_give_and_wake, &t.sem);
    BH_CHECK_EQ(bh_sem_take(&t.sem, 1000), 0);
    BH_CHECK_EQ(t.hook_calls, 1);
    BH_CHECK_EQ(fake_port_now(), 0);
    BH_CHECK(!fake_port_woken()); /* the wake was consumed by the wait */
}

static void test_sem_nested_cooperative_takes_both_complete(void)
{
    setup();
    /* Outer take pumps the host; a work item takes a second semaphore
     * (nested), which a timer gives at 30; the work then gives the outer. */
    bh_work_submit(&t.inner_taker);
    bh_timer_start(&t.inner_giver, 30, 0);
    BH_CHECK_EQ(bh_sem_take(&t.sem, 1000), 0);
    BH_CHECK_EQ(t.inner_err, 0);
    BH_CHECK_EQ(t.inner_done_at, 30);
    BH_CHECK_EQ(fake_port_now(), 30);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
}

static void test_sem_nested_inner_timeout_exact_outer_continues(void)
{
    setup();
    bh_work_submit(&t.inner_taker); /* inner never given: times out at 500 */
    BH_CHECK_EQ(bh_sem_take(&t.sem, 2000), 0);
    BH_CHECK_EQ(t.inner_err, -ETIMEDOUT);
    BH_CHECK_EQ(t.inner_done_at, 500);
    BH_CHECK_EQ(fake_port_now(), 500);
}

/* Each level submits the next, then takes its own semaphore (never given). */
static void on_nest(struct bh_work *w)
{
    unsigned i = (unsigned)(w - t.nest);

    t.nest_ran[i] = true;
    if (i + 1 < NEST_MAX) {
        bh_work_submit(&t.nest[i + 1]);
    }
    t.nest_err[i] = bh_sem_take(&t.nest_sem[i], 10);
    t.nest_at[i] = fake_port_now();
}

static void test_sem_nesting_beyond_limit_gives_edeadlk_at_once(void)
{
    setup();
    for (unsigned i = 0; i < NEST_MAX; i++) {
        bh_work_init(&t.nest[i], on_nest);
        bh_sem_init(&t.nest_sem[i], 0, 1);
    }
    bh_work_submit(&t.nest[0]);
    /* Depth 1 is this take; nest[i] takes at depth i + 2. */
    BH_CHECK_EQ(bh_sem_take(&t.sem, 100), -ETIMEDOUT);
    for (unsigned i = 0; i + 1 < BH_CONFIG_SEM_MAX_NESTING; i++) {
        BH_CHECK(t.nest_ran[i]);
        BH_CHECK_EQ(t.nest_err[i], -ETIMEDOUT);
    }
    BH_CHECK(t.nest_ran[BH_CONFIG_SEM_MAX_NESTING - 1]);
    BH_CHECK_EQ(t.nest_err[BH_CONFIG_SEM_MAX_NESTING - 1], -EDEADLK);
    BH_CHECK_EQ(t.nest_at[BH_CONFIG_SEM_MAX_NESTING - 1], 0); /* immediately */
    /* The depth counter unwound: a fresh take waits normally again. */
    BH_CHECK_EQ(bh_sem_take(&t.sem, 5), -ETIMEDOUT);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
}

static void test_sem_nesting_limit_does_not_apply_when_count_available(void)
{
    setup();
    for (unsigned i = 0; i < NEST_MAX; i++) {
        bh_work_init(&t.nest[i], on_nest);
        bh_sem_init(&t.nest_sem[i], 1, 1); /* every take succeeds at once */
    }
    bh_work_submit(&t.nest[0]);
    BH_CHECK_EQ(bh_sem_take(&t.sem, 100), -ETIMEDOUT);
    for (unsigned i = 0; i < NEST_MAX; i++) {
        BH_CHECK_EQ(t.nest_err[i], 0);
    }
}

static void test_sem_threaded_take_blocks_without_pumping(void)
{
    uint32_t t0;

    setup();
    fake_port_set_threaded(true);
    t.polls = 0;
    bh_os_set_poll(on_poll);
    bh_timer_start(&t.giver, 10, 0); /* must NOT fire: nobody runs the host */
    t0 = fake_port_now();
    BH_CHECK_EQ(bh_sem_take(&t.sem, 50), -ETIMEDOUT);
    BH_CHECK_EQ(fake_port_now() - t0, 50);
    BH_CHECK_EQ(t.polls, 0);
    BH_CHECK_EQ(fake_port_block_count(), 1);
    BH_CHECK_EQ(fake_port_wait_count(), 0);
    BH_CHECK(bh_timer_is_running(&t.giver));
    fake_port_set_threaded(false);
}

static void hook_give_only(void *ctx, uint32_t timeout_ms)
{
    (void)timeout_ms;
    t.hook_calls++;
    bh_sem_give(ctx); /* the "host thread" gives: unblock() wakes the taker */
}

static void test_sem_threaded_give_unblocks_taker(void)
{
    setup();
    fake_port_set_threaded(true);
    fake_port_set_wait_hook(hook_give_only, &t.sem);
    BH_CHECK_EQ(bh_sem_take(&t.sem, BH_FOREVER), 0);
    BH_CHECK_EQ(t.hook_calls, 1);
    BH_CHECK_EQ(fake_port_unblock_count(), 1);
    BH_CHECK_EQ(fake_port_now(), 0);
    fake_port_set_threaded(false);
}

BH_TEST_MAIN(BH_TEST(test_sem_give_then_take_returns_at_once),
             BH_TEST(test_sem_give_saturates_at_limit),
             BH_TEST(test_sem_timeout_zero_without_count_gives_eagain),
             BH_TEST(test_sem_timeout_gives_etimedout_after_exactly_timeout),
             BH_TEST(test_sem_arming_outside_process_wakes_loop),
             BH_TEST(test_sem_timeout_across_clock_wrap_still_exact),
             BH_TEST(test_sem_timeout_with_deadlines_between_still_exact),
             BH_TEST(test_sem_given_from_timer_while_waiting_returns_zero),
             BH_TEST(test_sem_forever_given_from_timer_returns_zero),
             BH_TEST(test_sem_given_during_wait_hook_returns_without_time_passing),
             BH_TEST(test_sem_nested_cooperative_takes_both_complete),
             BH_TEST(test_sem_nested_inner_timeout_exact_outer_continues),
             BH_TEST(test_sem_nesting_beyond_limit_gives_edeadlk_at_once),
             BH_TEST(test_sem_nesting_limit_does_not_apply_when_count_available),
             BH_TEST(test_sem_threaded_take_blocks_without_pumping),
             BH_TEST(test_sem_threaded_give_unblocks_taker))

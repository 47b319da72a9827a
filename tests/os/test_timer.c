/* SPDX-License-Identifier: MIT */
/* test_timer.c: one-shot and periodic timers, deadline order and clock wrap
 * (src/os/work.c, driven by bh_process()). */
#include "bh_test.h"
#include "blehost/bh_os.h"
#include "fake_port.h"

#define FIRE_MAX 128

static struct {
    struct bh_timer a;
    struct bh_timer b;
    struct bh_timer c;
    char order[FIRE_MAX];
    uint32_t at[FIRE_MAX];
    unsigned n;
    unsigned stop_after; /* a stops itself after this many firings (0: never) */
} t;

static void record(char name)
{
    BH_CHECK(t.n < FIRE_MAX);
    t.order[t.n] = name;
    t.at[t.n] = fake_port_now();
    t.n++;
}

static void on_a(struct bh_timer *timer)
{
    BH_CHECK(timer == &t.a);
    record('a');
    if (t.stop_after != 0 && t.n >= t.stop_after) {
        BH_CHECK(bh_timer_stop(timer)); /* periodic: re-armed before the call */
    }
}

static void on_b(struct bh_timer *timer)
{
    (void)timer;
    record('b');
}

/* Stops a and b when it fires. */
static void on_c(struct bh_timer *timer)
{
    (void)timer;
    record('c');
    bh_timer_stop(&t.a);
    bh_timer_stop(&t.b);
}

static void setup(uint32_t start_ms)
{
    memset(&t, 0, sizeof(t));
    fake_port_init(1);
    fake_port_set_now(start_ms);
    bh_timer_init(&t.a, on_a);
    bh_timer_init(&t.b, on_b);
    bh_timer_init(&t.c, on_c);
}

static void test_timer_one_shot_fires_once_at_deadline(void)
{
    setup(500);
    bh_timer_start(&t.a, 30, 0);
    BH_CHECK(bh_timer_is_running(&t.a));
    BH_CHECK_EQ(bh_process(), 30);
    fake_port_run(1000);
    BH_CHECK_EQ(t.n, 1);
    BH_CHECK_EQ(t.at[0], 530);
    BH_CHECK(!bh_timer_is_running(&t.a));
    BH_CHECK(!bh_timer_stop(&t.a));
}

static void test_timer_zero_delay_fires_on_next_pass(void)
{
    setup(0);
    bh_timer_start(&t.a, 0, 0);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 1);
    BH_CHECK_EQ(t.at[0], 0);
}

static void test_timer_restart_replaces_deadline(void)
{
    setup(0);
    bh_timer_start(&t.a, 100, 0);
    fake_port_run(60);
    bh_timer_start(&t.a, 100, 0);
    fake_port_run(1000);
    BH_CHECK_EQ(t.n, 1);
    BH_CHECK_EQ(t.at[0], 160);
}

static void test_timer_periodic_late_pass_does_not_drift(void)
{
    setup(0);
    bh_timer_start(&t.a, 10, 10);
    /* The host comes 3 ms late: the next deadline is still 20, not 23. */
    fake_port_advance(13);
    BH_CHECK_EQ(bh_process(), 7);
    BH_CHECK_EQ(t.n, 1);
    fake_port_advance(7);
    BH_CHECK_EQ(bh_process(), 10);
    BH_CHECK_EQ(t.n, 2);
    BH_CHECK_EQ(t.at[1], 20);
    fake_port_run(1000 - 20);
    BH_CHECK_EQ(t.n, 100); /* 10, 20, ... 1000 */
    BH_CHECK_EQ(t.at[99], 1000);
    BH_CHECK(bh_timer_stop(&t.a));
    BH_CHECK(!bh_timer_is_running(&t.a));
}

static void test_timer_periodic_far_behind_fires_once_per_pass(void)
{
    setup(0);
    bh_timer_start(&t.a, 10, 10);
    fake_port_advance(45); /* deadlines 10, 20, 30, 40 all passed */
    BH_CHECK_EQ(bh_process(), 0);
    BH_CHECK_EQ(t.n, 1);
    BH_CHECK_EQ(bh_process(), 0);
    BH_CHECK_EQ(bh_process(), 0);
    BH_CHECK_EQ(bh_process(), 5); /* caught up; the next deadline is 50 */
    BH_CHECK_EQ(t.n, 4);
}

static void test_timer_periodic_stop_from_own_callback_ends_it(void)
{
    setup(0);
    t.stop_after = 3;
    bh_timer_start(&t.a, 5, 20);
    fake_port_run(1000);
    BH_CHECK_EQ(t.n, 3);
    BH_CHECK_EQ(t.at[2], 45);
    BH_CHECK(!bh_timer_is_running(&t.a));
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
}

static void test_timer_due_together_fire_in_deadline_order(void)
{
    setup(0);
    bh_timer_start(&t.b, 30, 0);
    bh_timer_start(&t.a, 10, 0);
    bh_timer_start(&t.c, 50, 0);
    bh_timer_start(&t.c, 20, 0); /* re-armed earlier: moves in the list */
    bh_timer_stop(&t.c);
    bh_timer_start(&t.c, 40, 0);
    fake_port_advance(100);
    bh_process();
    BH_CHECK_EQ(t.n, 3);
    BH_CHECK_MEM(t.order, "abc", 3);
}

static void test_timer_stopped_from_other_callback_same_pass_does_not_fire(void)
{
    setup(0);
    bh_timer_start(&t.c, 10, 0);
    bh_timer_start(&t.a, 11, 0);
    bh_timer_start(&t.b, 12, 5);
    fake_port_advance(20);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 1);
    BH_CHECK_EQ(t.order[0], 'c');
    BH_CHECK(!bh_timer_is_running(&t.a));
    BH_CHECK(!bh_timer_is_running(&t.b));
}

static void test_timer_clock_wrap_keeps_order_and_period(void)
{
    setup(0xFFFFFF00u);
    bh_timer_start(&t.a, 0x80, 0x100); /* 0xFFFFFF80, then 0x80 after the wrap */
    bh_timer_start(&t.b, 0x180, 0);    /* 0x00000080: after the wrap */
    bh_timer_start(&t.c, 0x1000, 0);   /* keeps the list non-trivial */
    BH_CHECK_EQ(bh_process(), 0x80);
    fake_port_run(0x180);
    BH_CHECK_EQ(fake_port_now(), 0x80);
    BH_CHECK_EQ(t.n, 3);
    BH_CHECK_EQ(t.at[0], 0xFFFFFF80u);
    BH_CHECK_EQ(t.order[0], 'a');
    /* a's second deadline and b's are both 0x80. Equal deadlines fire in
     * arming order: b was armed at the start, a only when it first fired. */
    BH_CHECK_EQ(t.order[1], 'b');
    BH_CHECK_EQ(t.order[2], 'a');
    BH_CHECK_EQ(t.at[1], 0x80);
    BH_CHECK_EQ(t.at[2], 0x80);
    BH_CHECK_EQ(bh_process(), 0x100); /* a's next: 0x180 */
    bh_timer_stop(&t.a);
    BH_CHECK_EQ(bh_process(), 0x1000 - 0x180);
}

static void test_timer_time_helpers_are_wrap_safe(void)
{
    BH_CHECK(bh_time_after(0x00000010u, 0xFFFFFFF0u));
    BH_CHECK(!bh_time_after(0xFFFFFFF0u, 0x00000010u));
    BH_CHECK(!bh_time_after(5, 5));
    BH_CHECK_EQ(bh_time_until(0x00000010u, 0xFFFFFFF0u), 0x20);
    BH_CHECK_EQ(bh_time_until(0xFFFFFFF0u, 0x00000010u), 0);
}

BH_TEST_MAIN(BH_TEST(test_timer_one_shot_fires_once_at_deadline),
             BH_TEST(test_timer_zero_delay_fires_on_next_pass),
             BH_TEST(test_timer_restart_replaces_deadline),
             BH_TEST(test_timer_periodic_late_pass_does_not_drift),
             BH_TEST(test_timer_periodic_far_behind_fires_once_per_pass),
             BH_TEST(test_timer_periodic_stop_from_own_callback_ends_it),
             BH_TEST(test_timer_due_together_fire_in_deadline_order),
             BH_TEST(test_timer_stopped_from_other_callback_same_pass_does_not_fire),
             BH_TEST(test_timer_clock_wrap_keeps_order_and_period),
             BH_TEST(test_timer_time_helpers_are_wrap_safe))

/* SPDX-License-Identifier: MIT */
/* test_dwork.c: delayable work (src/os/work.c). */
#include "bh_test.h"
#include "blehost/bh_os.h"
#include "fake_port.h"

static struct {
    struct bh_dwork dw;
    struct bh_dwork other;
    struct bh_timer killer;
    unsigned runs;
    uint32_t ran_at;
    unsigned other_runs;
    bool other_before_dw;
} t;

static void on_dwork(struct bh_work *w)
{
    BH_CHECK(bh_dwork_from_work(w) == &t.dw);
    t.runs++;
    t.ran_at = fake_port_now();
}

static void on_other(struct bh_work *w)
{
    (void)w;
    t.other_runs++;
    t.other_before_dw = t.runs == 0;
}

static void on_killer(struct bh_timer *timer)
{
    (void)timer;
    BH_CHECK(bh_dwork_cancel(&t.dw));
}

static void setup(void)
{
    memset(&t, 0, sizeof(t));
    fake_port_init(1);
    bh_dwork_init(&t.dw, on_dwork);
    bh_dwork_init(&t.other, on_other);
    bh_timer_init(&t.killer, on_killer);
}

static void test_dwork_schedule_runs_at_deadline_not_before(void)
{
    setup();
    fake_port_advance(1000);
    bh_dwork_schedule(&t.dw, 50);
    BH_CHECK(bh_dwork_is_pending(&t.dw));
    BH_CHECK_EQ(bh_process(), 50);
    fake_port_advance(49);
    BH_CHECK_EQ(bh_process(), 1);
    BH_CHECK_EQ(t.runs, 0);
    fake_port_advance(1);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.runs, 1);
    BH_CHECK_EQ(t.ran_at, 1050);
    BH_CHECK(!bh_dwork_is_pending(&t.dw));
}

static void test_dwork_schedule_keeps_earlier_deadline(void)
{
    setup();
    bh_dwork_schedule(&t.dw, 100);
    bh_dwork_schedule(&t.dw, 300); /* later: ignored */
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 100);
    bh_dwork_schedule(&t.dw, 40); /* earlier: wins */
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 40);
    fake_port_run(500);
    BH_CHECK_EQ(t.runs, 1);
    BH_CHECK_EQ(t.ran_at, 40);
}

static void test_dwork_reschedule_replaces_deadline(void)
{
    setup();
    bh_dwork_schedule(&t.dw, 100);
    bh_dwork_reschedule(&t.dw, 300);
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 300);
    fake_port_run(200);
    BH_CHECK_EQ(t.runs, 0);
    bh_dwork_reschedule(&t.dw, 10); /* earlier works too */
    fake_port_run(500);
    BH_CHECK_EQ(t.runs, 1);
    BH_CHECK_EQ(t.ran_at, 210);
}

static void test_dwork_remaining_ms_counts_down_then_zero(void)
{
    setup();
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 0); /* not scheduled */
    bh_dwork_schedule(&t.dw, 250);
    fake_port_run(100);
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 150);
    fake_port_advance(150);
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 0); /* due, not yet run */
    BH_CHECK(bh_dwork_is_pending(&t.dw));
    bh_process();
    BH_CHECK_EQ(t.runs, 1);
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 0);
}

static void test_dwork_schedule_while_queued_changes_nothing(void)
{
    setup();
    bh_work_submit(&t.dw.work); /* queued to run now */
    bh_dwork_schedule(&t.dw, 100);
    BH_CHECK_EQ(bh_dwork_remaining_ms(&t.dw), 0);
    BH_CHECK_EQ(bh_process(), BH_FOREVER); /* nothing armed */
    BH_CHECK_EQ(t.runs, 1);
}

static void test_dwork_reschedule_while_queued_dequeues_and_delays(void)
{
    setup();
    bh_work_submit(&t.dw.work);
    bh_dwork_reschedule(&t.dw, 100);
    BH_CHECK(!bh_work_is_pending(&t.dw.work));
    BH_CHECK_EQ(bh_process(), 100);
    BH_CHECK_EQ(t.runs, 0);
    fake_port_run(100);
    BH_CHECK_EQ(t.runs, 1);
    BH_CHECK_EQ(t.ran_at, 100);
}

static void test_dwork_cancel_scheduled_never_runs(void)
{
    setup();
    bh_dwork_schedule(&t.dw, 20);
    BH_CHECK(bh_dwork_cancel(&t.dw));
    BH_CHECK(!bh_dwork_is_pending(&t.dw));
    BH_CHECK(!bh_dwork_cancel(&t.dw));
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    fake_port_run(100);
    BH_CHECK_EQ(t.runs, 0);
}

static void test_dwork_cancel_after_expiry_before_run_dequeues(void)
{
    setup();
    /* The dwork's deadline passes first (its work is queued), then the
     * timer, in the same pass, cancels it before the work phase. */
    bh_dwork_schedule(&t.dw, 10);
    bh_dwork_schedule(&t.other, 10);
    bh_timer_start(&t.killer, 12, 0);
    fake_port_advance(20);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.runs, 0);
    BH_CHECK_EQ(t.other_runs, 1);
    BH_CHECK(!bh_dwork_is_pending(&t.dw));
}

static void test_dwork_cancelled_from_timer_same_pass_does_not_run(void)
{
    setup();
    /* The timer's deadline is first, the dwork's a little later; both are
     * due in the same pass. */
    bh_timer_start(&t.killer, 10, 0);
    bh_dwork_schedule(&t.dw, 11);
    fake_port_advance(20);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.runs, 0);
    BH_CHECK(!bh_dwork_is_pending(&t.dw));
}

static void test_dwork_same_deadline_runs_in_schedule_order(void)
{
    setup();
    bh_dwork_schedule(&t.other, 30);
    bh_dwork_schedule(&t.dw, 30);
    fake_port_advance(30);
    bh_process();
    BH_CHECK_EQ(t.runs, 1);
    BH_CHECK_EQ(t.other_runs, 1);
    BH_CHECK(t.other_before_dw);
}

BH_TEST_MAIN(BH_TEST(test_dwork_schedule_runs_at_deadline_not_before),
             BH_TEST(test_dwork_schedule_keeps_earlier_deadline),
             BH_TEST(test_dwork_reschedule_replaces_deadline),
             BH_TEST(test_dwork_remaining_ms_counts_down_then_zero),
             BH_TEST(test_dwork_schedule_while_queued_changes_nothing),
             BH_TEST(test_dwork_reschedule_while_queued_dequeues_and_delays),
             BH_TEST(test_dwork_cancel_scheduled_never_runs),
             BH_TEST(test_dwork_cancel_after_expiry_before_run_dequeues),
             BH_TEST(test_dwork_cancelled_from_timer_same_pass_does_not_run),
             BH_TEST(test_dwork_same_deadline_runs_in_schedule_order))

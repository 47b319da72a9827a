/* SPDX-License-Identifier: MIT */
/* test_work.c: work items and the work part of bh_process() (src/os/work.c). */
#include "bh_test.h"
#include "blehost/bh_os.h"
#include "fake_port.h"

#define LOG_MAX 32

static struct {
    int log[LOG_MAX];
    unsigned n;
    unsigned resubmits_left;
    bool cancel_self;
    bool cancel_result;
    struct bh_work *victim;
} t;

struct tagged {
    struct bh_work work;
    int id;
};

static struct tagged items[4];

static void record(struct bh_work *w)
{
    struct tagged *tg = BH_CONTAINER_OF(w, struct tagged, work);

    BH_CHECK(t.n < LOG_MAX);
    t.log[t.n++] = tg->id;
}

static void on_record(struct bh_work *w)
{
    record(w);
}

static void on_resubmit(struct bh_work *w)
{
    record(w);
    BH_CHECK(!bh_work_is_pending(w)); /* not pending while it runs */
    if (t.resubmits_left > 0) {
        t.resubmits_left--;
        BH_CHECK(bh_work_submit(w));
    }
    if (t.cancel_self) {
        t.cancel_result = bh_work_cancel(w);
    }
}

static void on_cancel_victim(struct bh_work *w)
{
    record(w);
    t.cancel_result = bh_work_cancel(t.victim);
}

static void setup(bh_work_fn_t fn)
{
    memset(&t, 0, sizeof(t));
    fake_port_init(1);
    for (int i = 0; i < 4; i++) {
        bh_work_init(&items[i].work, fn);
        items[i].id = i;
    }
}

static void test_work_submitted_runs_in_fifo_order(void)
{
    setup(on_record);
    BH_CHECK(bh_work_submit(&items[2].work));
    BH_CHECK(bh_work_submit(&items[0].work));
    BH_CHECK(bh_work_submit(&items[3].work));
    BH_CHECK(bh_work_submit(&items[1].work));
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 4);
    BH_CHECK_EQ(t.log[0], 2);
    BH_CHECK_EQ(t.log[1], 0);
    BH_CHECK_EQ(t.log[2], 3);
    BH_CHECK_EQ(t.log[3], 1);
    BH_CHECK(!bh_work_is_pending(&items[2].work));
}

static void test_work_submit_while_pending_returns_false_and_runs_once(void)
{
    setup(on_record);
    BH_CHECK(bh_work_submit(&items[0].work));
    BH_CHECK(bh_work_is_pending(&items[0].work));
    BH_CHECK(!bh_work_submit(&items[0].work));
    BH_CHECK(bh_work_submit(&items[1].work));
    BH_CHECK(!bh_work_submit(&items[0].work)); /* keeps its place ahead of 1 */
    bh_process();
    BH_CHECK_EQ(t.n, 2);
    BH_CHECK_EQ(t.log[0], 0);
    BH_CHECK_EQ(t.log[1], 1);
}

static void test_work_resubmitted_from_handler_runs_next_pass(void)
{
    setup(on_resubmit);
    t.resubmits_left = 3;
    bh_work_submit(&items[0].work);
    bh_work_submit(&items[1].work);
    /* One pass runs each once; the resubmitted 0 waits, so the pass says "more now". */
    BH_CHECK_EQ(bh_process(), 0);
    BH_CHECK_EQ(t.n, 2);
    BH_CHECK_EQ(t.log[0], 0);
    BH_CHECK_EQ(t.log[1], 1);
    /* Two resubmits were used in pass one (0 then 1), the last by 0 in pass two. */
    BH_CHECK_EQ(bh_process(), 0);
    BH_CHECK_EQ(t.n, 4);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 5);
    BH_CHECK_EQ(t.log[4], 0);
}

static void test_work_cancel_pending_never_runs(void)
{
    setup(on_record);
    bh_work_submit(&items[0].work);
    bh_work_submit(&items[1].work);
    bh_work_submit(&items[2].work);
    BH_CHECK(bh_work_cancel(&items[1].work));
    BH_CHECK(!bh_work_is_pending(&items[1].work));
    BH_CHECK(!bh_work_cancel(&items[1].work));
    BH_CHECK(!bh_work_cancel(&items[3].work)); /* never submitted */
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 2);
    BH_CHECK_EQ(t.log[0], 0);
    BH_CHECK_EQ(t.log[1], 2);
    /* Cancelled work can be submitted again. */
    BH_CHECK(bh_work_submit(&items[1].work));
    bh_process();
    BH_CHECK_EQ(t.n, 3);
    BH_CHECK_EQ(t.log[2], 1);
}

static void test_work_cancel_from_own_handler_returns_false(void)
{
    setup(on_resubmit);
    t.cancel_self = true;
    bh_work_submit(&items[0].work);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 1);
    BH_CHECK(!t.cancel_result); /* running is not pending */
    /* Resubmit then cancel inside the handler: nothing is left queued. */
    t.resubmits_left = 1;
    bh_work_submit(&items[0].work);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK(t.cancel_result);
    BH_CHECK_EQ(t.n, 2);
    BH_CHECK(!bh_work_is_pending(&items[0].work));
}

static void test_work_cancel_later_item_from_handler_same_pass_skips_it(void)
{
    setup(on_record);
    bh_work_init(&items[0].work, on_cancel_victim);
    t.victim = &items[2].work;
    bh_work_submit(&items[0].work);
    bh_work_submit(&items[1].work);
    bh_work_submit(&items[2].work);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK(t.cancel_result);
    BH_CHECK_EQ(t.n, 2);
    BH_CHECK_EQ(t.log[0], 0);
    BH_CHECK_EQ(t.log[1], 1);
}

static void test_work_os_init_forgets_queued_work(void)
{
    setup(on_record);
    bh_work_submit(&items[0].work);
    fake_port_init(1);
    bh_work_init(&items[0].work, on_record);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 0);
}

BH_TEST_MAIN(BH_TEST(test_work_submitted_runs_in_fifo_order),
             BH_TEST(test_work_submit_while_pending_returns_false_and_runs_once),
             BH_TEST(test_work_resubmitted_from_handler_runs_next_pass),
             BH_TEST(test_work_cancel_pending_never_runs),
             BH_TEST(test_work_cancel_from_own_handler_returns_false),
             BH_TEST(test_work_cancel_later_item_from_handler_same_pass_skips_it),
             BH_TEST(test_work_os_init_forgets_queued_work))

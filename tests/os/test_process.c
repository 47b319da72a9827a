/* SPDX-License-Identifier: MIT */
/* test_process.c: bh_process(), bh_run_until(), bh_os_init(), the port seam
 * and logging (src/os/process.c, log.c). */
#include <errno.h>

#include "bh_test.h"
#include "blehost/bh_os.h"
#include "fake_port.h"
#define BH_LOG_TAG "test"
#include "os/bh_log.h"

static struct {
    char order[16];
    unsigned n;
    struct bh_timer timer;
    struct bh_work work;
    struct bh_dwork dwork;
    volatile bool done;
} t;

static void mark(char c)
{
    BH_CHECK(t.n < sizeof(t.order));
    t.order[t.n++] = c;
}

static void on_poll(void)
{
    mark('p');
}

static void on_timer(struct bh_timer *timer)
{
    (void)timer;
    mark('t');
    t.done = true;
}

static void on_work(struct bh_work *w)
{
    (void)w;
    mark('w');
}

static void on_dwork(struct bh_work *w)
{
    (void)w;
    mark('d');
}

static void setup(void)
{
    memset((void *)&t, 0, sizeof(t));
    fake_port_init(1);
    bh_timer_init(&t.timer, on_timer);
    bh_work_init(&t.work, on_work);
    bh_dwork_init(&t.dwork, on_dwork);
}

static void test_process_idle_returns_forever(void)
{
    setup();
    BH_CHECK(bh_os_port() == fake_port());
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
}

static void test_process_pass_order_is_poll_timers_then_work(void)
{
    setup();
    bh_os_set_poll(on_poll);
    bh_work_submit(&t.work);
    bh_dwork_schedule(&t.dwork, 5);
    bh_timer_start(&t.timer, 5, 0);
    fake_port_advance(5);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    /* The dwork's deadline passed in this pass: its work runs in it too. */
    BH_CHECK_EQ(t.n, 4);
    BH_CHECK_MEM(t.order, "ptwd", 4);
    bh_os_set_poll(NULL);
    bh_process();
    BH_CHECK_EQ(t.n, 4);
}

static void test_process_returns_ms_until_next_deadline(void)
{
    setup();
    bh_timer_start(&t.timer, 250, 0);
    BH_CHECK_EQ(bh_process(), 250);
    fake_port_advance(100);
    BH_CHECK_EQ(bh_process(), 150);
    bh_work_submit(&t.work);
    bh_dwork_schedule(&t.dwork, 10);
    BH_CHECK_EQ(bh_process(), 10); /* the work ran; the dwork is next */
    BH_CHECK_EQ(t.n, 1);
}

static void test_process_os_init_resets_timers_and_poll(void)
{
    setup();
    bh_os_set_poll(on_poll);
    bh_timer_start(&t.timer, 10, 10);
    bh_work_submit(&t.work);
    fake_port_init(1);
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    BH_CHECK_EQ(t.n, 0);
}

static void test_process_run_until_done_by_timer_returns_zero(void)
{
    setup();
    bh_timer_start(&t.timer, 70, 0);
    BH_CHECK_EQ(bh_run_until(&t.done, 1000), 0);
    BH_CHECK_EQ(fake_port_now(), 70);
}

static void test_process_run_until_not_done_gives_etimedout_exactly(void)
{
    setup();
    bh_timer_start(&t.timer, 500, 0);
    BH_CHECK_EQ(bh_run_until(&t.done, 200), -ETIMEDOUT);
    BH_CHECK_EQ(fake_port_now(), 200);
    BH_CHECK(!t.done);
}

static void test_process_run_until_already_done_returns_at_once(void)
{
    setup();
    t.done = true;
    BH_CHECK_EQ(bh_run_until(&t.done, 0), 0);
    BH_CHECK_EQ(fake_port_wait_count(), 0);
}

static void test_process_port_wake_reaches_port(void)
{
    setup();
    bh_port_wake();
    BH_CHECK_EQ(fake_port_wake_count(), 1);
    BH_CHECK(fake_port_woken());
}

static void test_process_log_emit_reaches_port_log(void)
{
    setup();
    BH_LOG_ERR("err %d", 1);
    BH_LOG_WRN("wrn %s", "x");
    BH_LOG_DBG("dbg %u", 3u); /* compiled out at the default level */
    BH_CHECK_EQ(fake_port_log_count(BH_LOG_LEVEL_ERR), 1);
    BH_CHECK_EQ(fake_port_log_count(BH_LOG_LEVEL_WRN), BH_CONFIG_LOG_LEVEL >= 2 ? 1 : 0);
    BH_CHECK_EQ(fake_port_log_count(BH_LOG_LEVEL_DBG), BH_CONFIG_LOG_LEVEL >= 4 ? 1 : 0);
}

static void test_process_entropy_is_seeded_and_deterministic(void)
{
    uint8_t a[8], b[8], c[8];
    const struct bh_port *port;

    fake_port_init(7);
    port = bh_os_port();
    BH_CHECK_EQ(port->entropy(a, sizeof(a)), 0);
    fake_port_init(7);
    BH_CHECK_EQ(port->entropy(b, sizeof(b)), 0);
    BH_CHECK_MEM(a, b, sizeof(a));
    fake_port_init(8);
    BH_CHECK_EQ(port->entropy(c, sizeof(c)), 0);
    BH_CHECK(memcmp(a, c, sizeof(a)) != 0);
    fake_port_set_entropy_fail(true);
    BH_CHECK_EQ(port->entropy(c, sizeof(c)), -EIO);
}

static void test_process_crit_sections_nest(void)
{
    const struct bh_port *port;

    fake_port_init(1);
    port = bh_os_port();
    port->crit_enter();
    port->crit_enter();
    BH_CHECK_EQ(fake_port_crit_depth(), 2);
    port->crit_exit();
    port->crit_exit();
    BH_CHECK_EQ(fake_port_crit_depth(), 0);
}

BH_TEST_MAIN(BH_TEST(test_process_idle_returns_forever),
             BH_TEST(test_process_pass_order_is_poll_timers_then_work),
             BH_TEST(test_process_returns_ms_until_next_deadline),
             BH_TEST(test_process_os_init_resets_timers_and_poll),
             BH_TEST(test_process_run_until_done_by_timer_returns_zero),
             BH_TEST(test_process_run_until_not_done_gives_etimedout_exactly),
             BH_TEST(test_process_run_until_already_done_returns_at_once),
             BH_TEST(test_process_port_wake_reaches_port),
             BH_TEST(test_process_log_emit_reaches_port_log),
             BH_TEST(test_process_entropy_is_seeded_and_deterministic),
             BH_TEST(test_process_crit_sections_nest))

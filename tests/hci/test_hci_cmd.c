/* SPDX-License-Identifier: MIT */
/* test_hci_cmd.c: the command queue, credits, matching and timeouts. */
#include <errno.h>

#include "bh_test.h"
#include "blehost/bh_hci.h"
#include "fake_ctrl.h"
#include "fake_port.h"

struct done {
    int calls;
    int err;
    uint8_t status;
    uint16_t rp_len;
    uint8_t rp[16];
};

static void on_done(void *ctx, int err, uint8_t status, const uint8_t *rp, uint16_t rp_len)
{
    struct done *d = ctx;

    d->calls++;
    d->err = err;
    d->status = status;
    d->rp_len = rp_len;
    if (rp_len > 0) {
        memcpy(d->rp, rp, rp_len < sizeof(d->rp) ? rp_len : sizeof(d->rp));
    }
}

static uint8_t last_evt;
static uint8_t last_evt_len;
static unsigned evt_calls;

static void on_evt(uint8_t evt, const uint8_t *p, uint8_t len)
{
    (void)p;
    last_evt = evt;
    last_evt_len = len;
    evt_calls++;
}

/* HCI up with manual answers from here on; 4 LE ACL buffers of 27 bytes. */
static void setup(void)
{
    fake_ctrl_init();
    fake_ctrl_up();
    fake_ctrl_set_auto(false);
    fake_ctrl_clear_sent();
    evt_calls = 0;
    bh_hci_set_evt_handler(on_evt);
}

static void test_hci_cmd_zero_credits_hold_queue_until_nop(void)
{
    struct done a = {0}, b = {0}, c = {0};

    setup();
    BH_CHECK_EQ(bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a), 0);
    BH_CHECK_EQ(bh_hci_cmd_send(0x2018, NULL, 0, on_done, &b), 0);
    BH_CHECK_EQ(bh_hci_cmd_send(0x1405, (const uint8_t *)"\x40\x00", 2, on_done, &c), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1); /* the credit left by init's last answer */
    /* Complete the first with zero credits: nothing more may go. */
    fake_ctrl_cmd_complete(0x2018, 0, "00 01 02 03 04 05 06 07 08");
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.rp_len, 8);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    /* A NOP Command Complete (opcode 0) grants two: both queued ones go. */
    fake_ctrl_cmd_complete(0x0000, 2, "");
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    BH_CHECK_EQ(bh_hci_stats()->cmd_unexpected, 0);
    fake_ctrl_cmd_complete(0x1405, 1, "00 40 00 c4");
    fake_ctrl_cmd_complete(0x2018, 1, "00 11 22 33 44 55 66 77 88");
    BH_CHECK_EQ(b.calls, 1);
    BH_CHECK_EQ(b.rp[0], 0x11);
    BH_CHECK_EQ(c.calls, 1);
    BH_CHECK_EQ(c.rp_len, 3);
    bh_hci_down();
}

static void test_hci_cmd_many_credits_send_at_once_and_match_by_opcode(void)
{
    struct done a = {0}, b = {0}, c = {0};

    setup();
    fake_ctrl_cmd_complete(0x0000, 0, ""); /* take the credit away */
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a);
    bh_hci_cmd_send(0x1405, (const uint8_t *)"\x41\x00", 2, on_done, &b);
    bh_hci_cmd_send(0x200E, NULL, 0, on_done, &c);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 0);
    fake_ctrl_cmd_complete(0x0000, 3, "");
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    /* Answers out of order are matched by opcode. */
    fake_ctrl_cmd_status(0x200E, 1, 0x0C);
    BH_CHECK_EQ(c.calls, 1);
    BH_CHECK_EQ(c.status, 0x0C);
    BH_CHECK_EQ(c.rp_len, 0);
    fake_ctrl_cmd_complete(0x1405, 1, "00 41 00 d0");
    BH_CHECK_EQ(b.calls, 1);
    BH_CHECK_EQ(a.calls, 0);
    fake_ctrl_cmd_complete(0x2018, 1, "00 00 00 00 00 00 00 00 00");
    BH_CHECK_EQ(a.calls, 1);
    bh_hci_down();
}

static void test_hci_cmd_unexpected_complete_counted_credits_kept(void)
{
    struct done a = {0};

    setup();
    fake_ctrl_cmd_complete(0x0000, 0, "");
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a);
    fake_ctrl_cmd_complete(0x0C03, 1, "00"); /* nobody sent Reset */
    BH_CHECK_EQ(bh_hci_stats()->cmd_unexpected, 1);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1); /* its credit still let ours go */
    fake_ctrl_cmd_status(0x0406, 1, 0x00);  /* unexpected Command Status too */
    BH_CHECK_EQ(bh_hci_stats()->cmd_unexpected, 2);
    BH_CHECK_EQ(a.calls, 0);
    bh_hci_down();
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.err, -ECANCELED);
}

static void test_hci_cmd_timeout_after_exactly_configured_time(void)
{
    struct done a = {0}, b = {0};

    setup();
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a);
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &b);
    fake_ctrl_advance(BH_CONFIG_HCI_CMD_TIMEOUT_MS - 1);
    BH_CHECK_EQ(a.calls, 0);
    fake_ctrl_advance(1);
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.err, -ETIMEDOUT);
    BH_CHECK_EQ(bh_hci_stats()->cmd_timeout, 1);
    /* The lost command's credit is assumed back: the next one went out. */
    BH_CHECK_EQ(fake_ctrl_sent_count(), 2);
    fake_ctrl_cmd_complete(0x2018, 1, "00 01 01 01 01 01 01 01 01");
    BH_CHECK_EQ(b.calls, 1);
    BH_CHECK_EQ(b.err, 0);
    bh_hci_down();
}

static void test_hci_cmd_complete_without_status_is_eio(void)
{
    struct done a = {0};

    setup();
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a);
    fake_ctrl_cmd_complete(0x2018, 1, "");
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.err, -EIO);
    bh_hci_down();
}

static void test_hci_cmd_short_status_event_dropped_and_counted(void)
{
    struct done a = {0};

    setup();
    bh_hci_cmd_send(0x200D, NULL, 0, on_done, &a);
    fake_ctrl_inject_hex("04 0f 03 00 01 0d"); /* one byte short */
    BH_CHECK_EQ(a.calls, 0);
    BH_CHECK_EQ(bh_hci_stats()->evt_bad_len, 1);
    fake_ctrl_inject_hex("04 0f 05 00 01 0d 20 ff"); /* one byte long */
    BH_CHECK_EQ(a.calls, 0);
    BH_CHECK_EQ(bh_hci_stats()->evt_bad_len, 2);
    bh_hci_down();
}

static void test_hci_cmd_limits_give_einval_and_enobufs(void)
{
    uint8_t big[BH_CONFIG_HCI_CMD_PARAM_MAX + 1] = {0};
    int err = 0;
    unsigned n = 0;

    setup();
    BH_CHECK_EQ(bh_hci_cmd_send(0x2008, big, sizeof(big), NULL, NULL), -EINVAL);
    while ((err = bh_hci_cmd_send(0x2018, NULL, 0, NULL, NULL)) == 0) {
        n++;
    }
    BH_CHECK_EQ(err, -ENOBUFS);
    BH_CHECK_EQ(n, BH_CONFIG_HCI_CMD_COUNT);
    bh_hci_down();
    /* All slots are back. */
    fake_ctrl_init();
    fake_ctrl_up();
    bh_hci_down();
}

static void test_hci_cmd_sync_maps_status_and_copies_return(void)
{
    uint8_t rp[8];
    uint16_t rp_len = 0;
    uint8_t status = 0xFF;

    fake_ctrl_init();
    fake_ctrl_up();
    fake_ctrl_set_reply(0x2018, "00 a1 a2 a3 a4 a5 a6 a7 a8");
    BH_CHECK_EQ(bh_hci_cmd_sync(0x2018, NULL, 0, rp, sizeof(rp), &rp_len, &status), 0);
    BH_CHECK_EQ(status, 0);
    BH_CHECK_EQ(rp_len, 8);
    BH_CHECK_HEX(rp, 8, "a1 a2 a3 a4 a5 a6 a7 a8");
    /* A short response buffer gets what fits. */
    BH_CHECK_EQ(bh_hci_cmd_sync(0x2018, NULL, 0, rp, 3, &rp_len, NULL), 0);
    BH_CHECK_EQ(rp_len, 3);
    fake_ctrl_set_reply(0x200A, "0c");
    BH_CHECK_EQ(bh_hci_cmd_sync(0x200A, (const uint8_t *)"\x01", 1, NULL, 0, NULL, &status),
                -EPERM);
    BH_CHECK_EQ(status, 0x0C);
    bh_hci_down();
}

static void test_hci_cmd_raw_reports_status_not_error(void)
{
    uint8_t rsp[4];
    uint16_t n = 0;
    uint8_t status = 0;

    fake_ctrl_init();
    fake_ctrl_up();
    fake_ctrl_set_reply(0x0C7F, "01");
    BH_CHECK_EQ(bh_hci_cmd_raw(0x03, 0x7F, NULL, 0, rsp, sizeof(rsp), &n, &status), 0);
    BH_CHECK_EQ(status, 0x01);
    BH_CHECK_EQ(bh_hci_cmd_raw(0x40, 0x01, NULL, 0, rsp, sizeof(rsp), &n, &status), -EINVAL);
    fake_ctrl_set_reply(0x1001, NULL);
    BH_CHECK_EQ(bh_hci_cmd_raw(0x04, 0x01, NULL, 0, rsp, sizeof(rsp), &n, &status), -ETIMEDOUT);
    bh_hci_down();
}

static void test_hci_cmd_hardware_error_fails_in_flight_and_is_forwarded(void)
{
    struct done a = {0};

    setup();
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a);
    fake_ctrl_inject_hex("04 10 01 42");
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.err, -EIO);
    BH_CHECK_EQ(bh_hci_stats()->hw_error, 1);
    BH_CHECK_EQ(evt_calls, 1);
    BH_CHECK_EQ(last_evt, 0x10);
    bh_hci_down();
}

static void test_hci_cmd_other_events_forwarded_to_host(void)
{
    setup();
    fake_ctrl_inject_hex("04 3e 0b 03 00 40 00 28 00 00 00 c8 00 00");
    BH_CHECK_EQ(evt_calls, 1);
    BH_CHECK_EQ(last_evt, 0x3E);
    BH_CHECK_EQ(last_evt_len, 11);
    /* Buffer overflow is ours: counted, not forwarded. */
    fake_ctrl_inject_hex("04 1a 01 01");
    BH_CHECK_EQ(evt_calls, 1);
    BH_CHECK_EQ(bh_hci_stats()->buffer_overflow, 1);
    bh_hci_down();
}

static void test_hci_cmd_transport_failure_completes_with_error(void)
{
    struct done a = {0};

    setup();
    fake_ctrl_set_send_fail(true);
    BH_CHECK_EQ(bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a), 0);
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.err, -EIO);
    fake_ctrl_set_send_fail(false);
    bh_hci_down();
}

static void test_hci_cmd_garbage_from_controller_resyncs(void)
{
    struct done a = {0};

    setup();
    bh_hci_cmd_send(0x2018, NULL, 0, on_done, &a);
    /* Junk bytes that are no packet indicator, then a valid answer. */
    fake_ctrl_inject_hex("ff 00 77 04 0e 0c 01 18 20 00 01 02 03 04 05 06 07 08");
    BH_CHECK_EQ(a.calls, 1);
    BH_CHECK_EQ(a.err, 0);
    BH_CHECK(bh_hci_stats()->h4_errors >= 1);
    bh_hci_down();
}

/* An application callback that waits for the controller from inside an
 * event handler runs bh_process() nested; the events already queued behind
 * the current one must each be dispatched once, in order. */
static uint8_t seen[8];
static unsigned n_seen;
static int nested_err = 1;

static void on_evt_nested(uint8_t evt, const uint8_t *p, uint8_t len)
{
    (void)evt;
    if (len < 2 || n_seen >= sizeof(seen)) {
        return;
    }
    seen[n_seen++] = p[1];
    if (p[1] == 0xA1) {
        uint8_t rp[8];
        nested_err = bh_hci_cmd_sync(0x2018, NULL, 0, rp, sizeof(rp), NULL, NULL);
    }
}

static void test_hci_cmd_sync_inside_event_handler_keeps_order(void)
{
    fake_ctrl_init();
    fake_ctrl_up();
    n_seen = 0;
    bh_hci_set_evt_handler(on_evt_nested);
    /* Three vendor-looking LE meta events in one push, then the answer to
     * the nested command comes from the auto responder after them. */
    fake_ctrl_inject_hex("04 3e 02 7f a1  04 3e 02 7f a2  04 3e 02 7f a3");
    BH_CHECK_EQ(nested_err, 0);
    BH_CHECK_EQ(n_seen, 3);
    BH_CHECK_HEX(seen, n_seen, "a1 a2 a3");
    bh_hci_down();
}

BH_TEST_MAIN(BH_TEST(test_hci_cmd_sync_inside_event_handler_keeps_order),
             BH_TEST(test_hci_cmd_zero_credits_hold_queue_until_nop),
             BH_TEST(test_hci_cmd_many_credits_send_at_once_and_match_by_opcode),
             BH_TEST(test_hci_cmd_unexpected_complete_counted_credits_kept),
             BH_TEST(test_hci_cmd_timeout_after_exactly_configured_time),
             BH_TEST(test_hci_cmd_complete_without_status_is_eio),
             BH_TEST(test_hci_cmd_short_status_event_dropped_and_counted),
             BH_TEST(test_hci_cmd_limits_give_einval_and_enobufs),
             BH_TEST(test_hci_cmd_sync_maps_status_and_copies_return),
             BH_TEST(test_hci_cmd_raw_reports_status_not_error),
             BH_TEST(test_hci_cmd_hardware_error_fails_in_flight_and_is_forwarded),
             BH_TEST(test_hci_cmd_other_events_forwarded_to_host),
             BH_TEST(test_hci_cmd_transport_failure_completes_with_error),
             BH_TEST(test_hci_cmd_garbage_from_controller_resyncs))

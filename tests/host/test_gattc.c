/* SPDX-License-Identifier: MIT */
/*
 * test_gattc.c: the GATT client procedure engine (src/host/gattc.c) and its
 * API layer (src/ble/ble_gattc.c): queueing on one link and interleaving
 * across links, the pool limit, stalls on transmit buffers, disconnect and
 * transaction timeout in the middle of a procedure, responses nobody asked
 * for or of the wrong kind, notifications and indications, and events that
 * start new procedures from inside the callback.
 */
#include "gattc_harness.h"

#define C40 0x0040
#define C41 0x0041

/* Discovery, read and write queued at once go out one after another. */
static void test_gattc_three_procs_one_link_run_in_order(void)
{
    static const uint8_t v[] = {0xaa, 0xbb};
    struct bh_conn *c;

    h_setup();
    h_connect(C40);
    c = h_conn(C40);
    BH_CHECK_EQ(bh_gattc_disc_svcs(c, NULL), 0);
    BH_CHECK_EQ(bh_gattc_read(c, 0x0003), 0);
    BH_CHECK_EQ(bh_gattc_write(c, 0x0005, v, sizeof(v)), 0);
    BH_CHECK_EQ(bh_gattc_procs_in_use(), 3);
    h_expect_att(C40, "10 0100 ffff 0028");
    h_expect_no_att();
    h_rx_att(C40, "11 06 0100 ffff 0018");
    h_expect_events("c40 svc 0001-ffff 1800", "c40 svc_done 0", NULL);
    h_expect_att(C40, "0a 0300");
    h_expect_no_att();
    h_rx_att(C40, "0b 4142");
    h_expect_events("c40 read 0003 4142", "c40 read_done 0003 0", NULL);
    h_expect_att(C40, "12 0500 aabb");
    h_rx_att(C40, "13");
    h_expect_events("c40 write_done 0005 0", NULL);
    h_expect_no_att();
    h_disconnect(C40);
    h_expect_no_events();
    h_teardown();
}

/* Each link has its own queue: both requests are out at once and the
 * answers may come in any order. */
static void test_gattc_two_links_interleave(void)
{
    h_setup();
    h_connect(C40);
    h_connect(C41);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0007), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C41), 0x0009), 0);
    h_expect_att(C40, "0a 0300");
    h_expect_att(C41, "0a 0900");
    h_expect_no_att();
    h_rx_att(C41, "0b 09");
    h_expect_events("c41 read 0009 09", "c41 read_done 0009 0", NULL);
    h_expect_no_att();
    h_rx_att(C40, "0b 03");
    h_expect_att(C40, "0a 0700");
    h_rx_att(C40, "01 0a 0700 02");
    h_expect_events("c40 read 0003 03", "c40 read_done 0003 0", "c40 read_done 0007 2", NULL);
    h_disconnect(C40);
    h_disconnect(C41);
    h_teardown();
}

/* As NimBLE's binding: every procedure of the link reports its done event
 * with a non-zero status, the running one and the queued ones. */
static void test_gattc_disconnect_mid_discovery_reports_done(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 1, 0x20, NULL), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    BH_CHECK_EQ(bh_gattc_exchange_mtu(h_conn(C40)), 0);
    h_expect_att(C40, "08 0100 2000 0328");
    h_rx_att(C40, "09 07 0200 02 0300 002a 0400 02 0500 012a");
    h_expect_att(C40, "08 0500 2000 0328");
    h_expect_events("c40 chr end=0003 val=0003 props=02 2a00", NULL);
    h_disconnect(C40);
    h_expect_events("c40 chr_done 103", "c40 read_done 0003 103", NULL);
    BH_CHECK_EQ(bh_ble_gattc_read(C40, 3), -ENOTCONN);
    h_expect_no_att();
    h_teardown();
}

/* Core 5.4 Vol 3 Part F 3.3.3: after 30 s without a response the
 * transaction fails, and so does everything queued; the bearer is dead. */
static void test_gattc_timeout_fails_current_and_queued(void)
{
    h_setup();
    h_connect(C40);
    h_connect(C41);
    BH_CHECK_EQ(bh_gattc_disc_svcs(h_conn(C40), NULL), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C41), 0x0004), 0);
    h_expect_att(C40, "10 0100 ffff 0028");
    h_expect_att(C41, "0a 0400");
    h_rx_att(C41, "0b 00");
    h_skip_events();
    fake_ctrl_advance(BH_ATT_TIMEOUT_MS - 1);
    h_expect_no_events();
    fake_ctrl_advance(1);
    h_expect_events("c40 svc_done 102", "c40 read_done 0003 102", NULL);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), -ENOTCONN);
    BH_CHECK_EQ(bh_gattc_write_no_rsp(h_conn(C40), 0x0003, NULL, 0), -ENOTCONN);
    /* the other link is unaffected */
    BH_CHECK_EQ(bh_gattc_read(h_conn(C41), 0x0004), 0);
    h_expect_att(C41, "0a 0400");
    h_rx_att(C41, "0b 01");
    h_expect_events("c41 read 0004 01", "c41 read_done 0004 0", NULL);
    h_expect_no_att();
    h_disconnect(C40);
    h_disconnect(C41);
    h_teardown();
}

/* A response with no request outstanding is dropped and counted (by att.c
 * or by us); no event, nothing sent. */
static void test_gattc_unsolicited_response_dropped(void)
{
    uint32_t unexpected;

    h_setup();
    h_connect(C40);
    unexpected = bh_att_stats()->rx_unexpected_rsp;
    h_rx_att(C40, "0b 0102");
    h_rx_att(C40, "01 0a 0300 0a");
    h_expect_no_events();
    h_expect_no_att();
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected + bh_gattc_stats()->rx_unexpected,
                2);
    h_disconnect(C40);
    h_teardown();
}

/* A response of another kind than the request: att.c drops and counts it,
 * and the read keeps waiting for its own answer. (gattc itself would fail
 * the procedure with 0x101 should one reach it.) */
static void test_gattc_mismatched_response_dropped_by_att(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0004), 0);
    h_expect_att(C40, "0a 0300");
    uint32_t unexpected = bh_att_stats()->rx_unexpected_rsp;
    h_rx_att(C40, "13");
    h_expect_no_events();
    h_expect_no_att();
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 1);
    h_rx_att(C40, "0b 33");
    h_expect_events("c40 read 0003 33", "c40 read_done 0003 0", NULL);
    /* the queue goes on */
    h_expect_att(C40, "0a 0400");
    h_rx_att(C40, "0b");
    h_expect_events("c40 read 0004 ", "c40 read_done 0004 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* Never -EBUSY: the pool is the limit, then -ENOMEM. */
static void test_gattc_pool_full_gives_enomem(void)
{
    h_setup();
    h_connect(C40);
    for (unsigned i = 0; i < BH_CONFIG_GATTC_MAX_PROCS; i++) {
        BH_CHECK_EQ(bh_gattc_read(h_conn(C40), (uint16_t)(i + 1)), 0);
    }
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0100), -ENOMEM);
    BH_CHECK_EQ(bh_ble_gattc_read(C40, 0x0100), -ENOMEM);
    BH_CHECK_EQ(bh_gattc_stats()->no_proc, 2);
    h_expect_att(C40, "0a 0100");
    h_rx_att(C40, "0b 01");
    h_skip_events();
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0100), 0);
    h_disconnect(C40);
    BH_CHECK_EQ(h.n_evts - h.next_evt, BH_CONFIG_GATTC_MAX_PROCS);
    h_teardown();
}

/* No transmit buffer: the procedure waits for one instead of failing. */
static void test_gattc_stalls_without_buffer_then_resumes(void)
{
    struct bh_buf *held[64];
    unsigned n = 0;

    h_setup();
    h_connect(C40);
    while (n < BH_ARRAY_SIZE(held) && (held[n] = bh_hci_acl_buf_alloc(4)) != NULL) {
        n++;
    }
    BH_CHECK(n > 0 && n < BH_ARRAY_SIZE(held));
    BH_CHECK_EQ(bh_gattc_disc_dscs(h_conn(C40), 0x0003, 0x0005), 0);
    /* write-no-rsp cannot wait: it reports -ENOMEM at once */
    BH_CHECK_EQ(bh_gattc_write_no_rsp(h_conn(C40), 0x0003, (const uint8_t *)"x", 1), -ENOMEM);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0003, (const uint8_t *)"x", 1, 0), -ENOMEM);
    BH_CHECK_EQ(bh_gattc_write(h_conn(C40), 0x0003, (const uint8_t *)"x", 1), -ENOMEM);
    fake_ctrl_pump();
    h_expect_no_att();
    BH_CHECK_EQ(bh_gattc_stats()->tx_stalled, 1);
    while (n > 0) {
        bh_buf_unref(held[--n]);
    }
    h_expect_att(C40, "04 0400 0500");
    h_rx_att(C40, "05 01 0400 0229 0500 0129");
    h_expect_events("c40 dsc 0004 2902", "c40 dsc 0005 2901", "c40 dsc_done 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* IRQ 18 and 19 with the value; att.c confirms the indication. */
static void test_gattc_notify_and_indicate_delivered(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    /* notifications do not disturb the outstanding read */
    h_rx_att(C40, "1b 0900 010203");
    h_rx_att(C40, "1d 0b00 ff");
    h_expect_att(C40, "1e");
    h_rx_att(C40, "1b 0900");
    h_rx_att(C40, "0b 07");
    h_expect_events("c40 notify 0009 010203", "c40 indicate 000b ff", "c40 notify 0009 ",
                    "c40 read 0003 07", "c40 read_done 0003 0", NULL);
    BH_CHECK_EQ(bh_gattc_stats()->notify_rx, 3);
    h_disconnect(C40);
    h_teardown();
}

/* The API layer: -ENODEV when inactive, -ENOTCONN for unknown links,
 * -EINVAL for a bad write mode or UUID. */
static void test_gattc_api_errors(void)
{
    static const struct bh_uuid bad = {.type = 5};

    h_setup();
    h_set_active(false);
    BH_CHECK_EQ(bh_ble_gattc_read(C40, 3), -ENODEV);
    BH_CHECK_EQ(bh_ble_gattc_discover_services(C40, NULL), -ENODEV);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 3, NULL, 0, 2), -ENODEV);
    BH_CHECK_EQ(bh_ble_gattc_exchange_mtu(C40), -ENODEV);
    h_set_active(true);
    h_connect(C40);
    BH_CHECK_EQ(bh_ble_gattc_read(0x0123, 3), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gattc_discover_services(0x0123, NULL), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gattc_discover_characteristics(0x0123, 1, 0xffff, NULL), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gattc_discover_descriptors(0x0123, 1, 0xffff), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gattc_exchange_mtu(0x0123), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gattc_write(0x0123, 3, NULL, 0, 1), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 3, NULL, 0, 2), -EINVAL);
    BH_CHECK_EQ(bh_ble_gattc_discover_services(C40, &bad), -EINVAL);
    BH_CHECK_EQ(bh_ble_gattc_discover_characteristics(C40, 1, 0xffff, &bad), -EINVAL);
    BH_CHECK_EQ(bh_ble_gattc_read(C40, 0), -EINVAL);
    BH_CHECK_EQ(bh_ble_gattc_discover_services(C40, NULL), 0);
    h_expect_att(C40, "10 0100 ffff 0028");
    h_expect_no_events();
    h_disconnect(C40);
    h_expect_events("c40 svc_done 103", NULL);
    h_teardown();
}

/* ble_irq_calls chains discovery steps from inside the callback. */
static void chain_hook(const struct bh_ble_event *ev)
{
    if (ev->irq == BH_IRQ_GATTC_SERVICE_DONE) {
        BH_CHECK_EQ(bh_ble_gattc_discover_characteristics(ev->conn, 1, 5, NULL), 0);
    } else if (ev->irq == BH_IRQ_GATTC_CHARACTERISTIC_RESULT) {
        BH_CHECK_EQ(bh_ble_gattc_read(ev->conn, ev->chr.value_handle), 0);
    }
}

static void test_gattc_callback_starts_next_procedure(void)
{
    h_setup();
    h_connect(C40);
    h.hook = chain_hook;
    BH_CHECK_EQ(bh_ble_gattc_discover_services(C40, NULL), 0);
    h_expect_att(C40, "10 0100 ffff 0028");
    h_rx_att(C40, "11 06 0100 ffff 0018");
    h_expect_att(C40, "08 0100 0500 0328");
    h_rx_att(C40, "09 07 0200 02 0300 002a 0400 02 0500 012a");
    h_expect_att(C40, "08 0500 0500 0328");
    h_rx_att(C40, "01 08 0500 0a");
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, "0b 61");
    h_expect_att(C40, "0a 0500");
    h_rx_att(C40, "0b 62");
    h_expect_no_att();
    h_expect_events("c40 svc 0001-ffff 1800", "c40 svc_done 0",
                    "c40 chr end=0003 val=0003 props=02 2a00",
                    "c40 chr end=0005 val=0005 props=02 2a01", "c40 chr_done 0",
                    "c40 read 0003 61", "c40 read_done 0003 0", "c40 read 0005 62",
                    "c40 read_done 0005 0", NULL);
    h.hook = NULL;
    h_disconnect(C40);
    h_teardown();
}

/* The link goes down inside a result callback (as in deinit): the rest of
 * the response is not reported and nothing touches the freed procedure. */
static void down_hook(const struct bh_ble_event *ev)
{
    if (ev->irq == BH_IRQ_GATTC_SERVICE_RESULT) {
        h.hook = NULL;
        bh_gattc_conn_down(bh_conn_lookup(ev->conn));
    }
}

static void test_gattc_link_down_inside_callback(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_svcs(h_conn(C40), NULL), 0);
    h_expect_att(C40, "10 0100 ffff 0028");
    h.hook = down_hook;
    h_rx_att(C40, "11 06 0100 0500 0018 0600 0900 0118");
    h_expect_events("c40 svc 0001-0005 1800", "c40 svc_done 103", NULL);
    h_expect_no_att();
    BH_CHECK_EQ(bh_gattc_procs_in_use(), 0);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 3), -ENOTCONN);
    h_disconnect(C40);
    h_expect_no_events();
    h_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gattc_three_procs_one_link_run_in_order),
             BH_TEST(test_gattc_two_links_interleave),
             BH_TEST(test_gattc_disconnect_mid_discovery_reports_done),
             BH_TEST(test_gattc_timeout_fails_current_and_queued),
             BH_TEST(test_gattc_unsolicited_response_dropped),
             BH_TEST(test_gattc_mismatched_response_dropped_by_att),
             BH_TEST(test_gattc_pool_full_gives_enomem),
             BH_TEST(test_gattc_stalls_without_buffer_then_resumes),
             BH_TEST(test_gattc_notify_and_indicate_delivered), BH_TEST(test_gattc_api_errors),
             BH_TEST(test_gattc_callback_starts_next_procedure),
             BH_TEST(test_gattc_link_down_inside_callback))

/* SPDX-License-Identifier: MIT */
/*
 * test_gap_scan.c: scanning (gap_scan.c) against fake_ctrl: the commands,
 * every report of an event delivered as IRQ 5, malformed report events
 * dropped whole and counted, IRQ 6 on timeout and (synchronously) on stop.
 */
#include "hostA_util.h"

#include "host/gap_spec.h"

static void check_report(unsigned i, uint8_t addr_type, uint8_t last_addr_byte, uint8_t adv_type,
                         int8_t rssi, const char *data_hex)
{
    const struct bh_ble_event *ev = ha_ev(i);

    BH_CHECK_EQ(ev->irq, BH_IRQ_SCAN_RESULT);
    BH_CHECK_EQ(ev->scan.addr_type, addr_type);
    BH_CHECK_EQ(ev->scan.addr[5], last_addr_byte); /* display order: wire byte 0 last */
    BH_CHECK_EQ(ev->scan.adv_type, adv_type);
    BH_CHECK_EQ(ev->scan.rssi, rssi);
    BH_CHECK_HEX(ev->scan.data, ev->scan.len, data_hex);
}

static void test_gap_scan_passive_commands_and_report(void)
{
    ha_setup();
    /* 1.28 s / 11.25 ms, passive, forever. */
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_PARAMS, "00 00 08 12 00 00 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_ENABLE, "01 00");
    BH_CHECK(bh_gap_scan_active());
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), -EALREADY);
    /* One ADV_IND from 06:05:04:03:02:01, 3 bytes of data, -60 dBm. */
    ha_inject("04 3e 0f 02 01 00 00 01 02 03 04 05 06 03 02 01 06 c4");
    BH_CHECK_EQ(ha.n, 1);
    check_report(0, 0, 0x01, 0, -60, "02 01 06");
    BH_CHECK_EQ(ha_ev(0)->scan.addr[0], 0x06);
    /* Nothing more until the application stops it: no duration. */
    fake_ctrl_advance(60000);
    BH_CHECK_EQ(ha.n, 1);
    ha_teardown(); /* stopping on deinit raises IRQ 6 too */
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_SCAN_DONE);
}

static void test_gap_scan_active_window_clamped(void)
{
    ha_setup();
    /* Active; window larger than the interval is cut to it. */
    BH_CHECK_EQ(bh_ble_gap_scan_start(1000, 100000, 200000, true), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_PARAMS, "01 a0 00 a0 00 00 00");
    ha_teardown();
}

static void test_gap_scan_several_reports_in_one_event(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, true), 0);
    /* Three: ADV_IND with 2 bytes, SCAN_RSP random with none, ADV_NONCONN_IND. */
    ha_inject("04 3e 23 02 03"
              " 00 00 11 11 11 11 11 11 02 aa bb d0"
              " 04 01 22 22 22 22 22 c2 00 b0"
              " 03 00 33 33 33 33 33 33 01 cc 7f");
    BH_CHECK_EQ(ha.n, 3);
    check_report(0, 0, 0x11, BH_GAP_REPORT_ADV_IND, -48, "aa bb");
    check_report(1, 1, 0x22, BH_GAP_REPORT_SCAN_RSP, -80, "");
    BH_CHECK_EQ(ha_ev(1)->scan.addr[0], 0xc2);
    check_report(2, 0, 0x33, BH_GAP_REPORT_ADV_NONCONN_IND, 127, "cc");
    BH_CHECK_EQ(bh_gap_stats()->adv_reports, 3);
    ha_teardown();
}

/* Report events whose lengths lie: each is dropped whole and counted. */
static const struct {
    const char *name;
    const char *evt;
} bad_reports[] = {
    {"num_reports 2, one present", "04 3e 0f 02 02 00 00 01 02 03 04 05 06 03 02 01 06 c4"},
    {"num_reports 0", "04 3e 0c 02 00 00 00 01 02 03 04 05 06 00 c4"},
    {"num_reports 26", "04 3e 0c 02 1a 00 00 01 02 03 04 05 06 00 c4"},
    {"data_length past the end", "04 3e 0f 02 01 00 00 01 02 03 04 05 06 09 02 01 06 c4"},
    {"data_length short, trailing", "04 3e 0f 02 01 00 00 01 02 03 04 05 06 01 02 01 06 c4"},
    {"data_length above 31", "04 3e 2c 02 01 00 00 01 02 03 04 05 06 20"
                             " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                             " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 c4"},
    {"second report cut", "04 3e 14 02 02 00 00 01 02 03 04 05 06 00 c4"
                          " 00 00 01 02 03 04 05 06"},
    {"rssi missing", "04 3e 0c 02 01 00 00 01 02 03 04 05 06 01 02"},
};

static void test_gap_scan_malformed_reports_dropped_and_counted(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), 0);
    for (unsigned i = 0; i < BH_ARRAY_SIZE(bad_reports); i++) {
        ha_inject("%s", bad_reports[i].evt);
        if (ha.n != 0 || bh_gap_stats()->adv_report_bad != i + 1) {
            bh_test_fail(__FILE__, __LINE__, bad_reports[i].name);
        }
    }
    /* Too short for the row's minimum: dropped by the dispatch. */
    ha_inject("04 3e 0a 02 01 00 00 01 02 03 04 05 06");
    BH_CHECK_EQ(bh_host_evt_stats()->evt_short, 1);
    BH_CHECK_EQ(ha.n, 0);
    /* A good one still goes through afterwards. */
    ha_inject("04 3e 0c 02 01 00 00 01 02 03 04 05 06 00 c4");
    BH_CHECK_EQ(ha.n, 1);
    ha_teardown();
}

static void test_gap_scan_duration_ends_with_irq6(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(500, 1280000, 11250, false), 0);
    fake_ctrl_clear_sent();
    fake_ctrl_advance(499);
    BH_CHECK_EQ(ha.n, 0);
    fake_ctrl_advance(1);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_SCAN_DONE);
    BH_CHECK(!bh_gap_scan_active());
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_ENABLE, "00 00");
    /* Late reports are not delivered; stop is now a no-op without IRQ. */
    ha_inject("04 3e 0c 02 01 00 00 01 02 03 04 05 06 00 c4");
    BH_CHECK_EQ(bh_ble_gap_scan_stop(), 0);
    BH_CHECK_EQ(ha.n, 1);
    ha_teardown();
    BH_CHECK_EQ(ha.n, 1);
}

static void test_gap_scan_stop_raises_irq6_inside_the_call(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(5000, 1280000, 11250, false), 0);
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_ble_gap_scan_stop(), 0);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_SCAN_DONE);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_ENABLE, "00 00");
    /* The duration timer is gone with it. */
    fake_ctrl_advance(6000);
    BH_CHECK_EQ(ha.n, 1);
    /* And a new scan can start. */
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), 0);
    ha_teardown();
}

static void stop_in_callback(const struct bh_ble_event *ev)
{
    if (ev->irq == BH_IRQ_SCAN_RESULT) {
        BH_CHECK_EQ(bh_ble_gap_scan_stop(), 0);
    }
}

static void test_gap_scan_stop_from_callback_ends_delivery(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), 0);
    ha.hook = stop_in_callback;
    ha_inject("04 3e 16 02 02"
              " 00 00 11 11 11 11 11 11 00 d0"
              " 00 00 22 22 22 22 22 22 00 d0");
    ha.hook = NULL;
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_SCAN_RESULT);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_SCAN_DONE);
    ha_teardown();
}

static void test_gap_scan_directed_report(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), 0);
    ha_inject("04 3e 12 0b 01 01 01 11 11 11 11 11 d1 00 01 00 00 dc 1b 00 c8");
    BH_CHECK_EQ(ha.n, 1);
    check_report(0, 1, 0x11, BH_GAP_REPORT_ADV_DIRECT_IND, -56, "");
    ha_inject("04 3e 13 0b 01 01 01 11 11 11 11 11 d1 00 01 00 00 dc 1b 00 c8 00");
    BH_CHECK_EQ(bh_gap_stats()->adv_report_bad, 1);
    BH_CHECK_EQ(ha.n, 1);
    ha_teardown();
}

static void test_gap_scan_reports_without_scan_ignored(void)
{
    ha_setup();
    ha_inject("04 3e 0c 02 01 00 00 01 02 03 04 05 06 00 c4");
    BH_CHECK_EQ(ha.n, 0);
    BH_CHECK_EQ(bh_ble_gap_scan_stop(), 0);
    BH_CHECK_EQ(ha.n, 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 0);
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gap_scan_passive_commands_and_report),
             BH_TEST(test_gap_scan_active_window_clamped),
             BH_TEST(test_gap_scan_several_reports_in_one_event),
             BH_TEST(test_gap_scan_malformed_reports_dropped_and_counted),
             BH_TEST(test_gap_scan_duration_ends_with_irq6),
             BH_TEST(test_gap_scan_stop_raises_irq6_inside_the_call),
             BH_TEST(test_gap_scan_stop_from_callback_ends_delivery),
             BH_TEST(test_gap_scan_directed_report),
             BH_TEST(test_gap_scan_reports_without_scan_ignored))

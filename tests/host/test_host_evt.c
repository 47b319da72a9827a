/* SPDX-License-Identifier: MIT */
/*
 * test_host_evt.c: the host's event dispatch (host_evt.c): minimum
 * lengths checked before any handler runs, unknown events and subevents
 * ignored and counted, the ACL handler installed.
 */
#include "hostA_util.h"

#include "host/gap_spec.h"

/* Events shorter than their row's minimum: dropped, counted, no effect. */
static const struct {
    const char *name;
    const char *evt;
} short_evts[] = {
    {"LE Meta, no subevent", "04 3e 00"},
    {"Encryption Change", "04 08 03 00 40 00"},
    {"Encryption Change v2", "04 59 04 00 40 00 01"},
    {"Key Refresh Complete", "04 30 02 00 40"},
    {"Remote Version Complete", "04 0c 07 00 40 00 0a 00 00 00"},
    {"LE Connection Complete", "04 3e 12 01 00 40 00 01 00 01 02 03 04 05 06 28 00 00 00 00 01"},
    {"LE Advertising Report", "04 3e 0a 02 01 00 00 01 02 03 04 05 06"},
    {"LE Connection Update Complete", "04 3e 09 03 00 40 00 18 00 00 00 48"},
    {"LE Remote Features Complete", "04 3e 0b 04 00 40 00 01 00 00 00 00 00 00"},
    {"LE LTK Request", "04 3e 0c 05 40 00 00 00 00 00 00 00 00 00 00"},
    {"LE Remote Conn Param Request", "04 3e 0a 06 40 00 10 00 20 00 00 00 00"},
    {"LE Data Length Change", "04 3e 0a 07 40 00 fb 00 48 08 fb 00 48"},
    {"LE Enhanced Connection Complete", "04 3e 1e 0a 00 40 00 01 00 01 02 03 04 05 06"
                                        " 00 00 00 00 00 00 00 00 00 00 00 00 28 00 00 00 00 01"},
    {"LE Directed Advertising Report",
     "04 3e 11 0b 01 01 01 11 11 11 11 11 d1 00 01 00 00 dc 1b 00"},
    {"LE PHY Update Complete", "04 3e 05 0c 00 40 00 02"},
};

static void test_host_evt_short_events_dropped_and_counted(void)
{
    struct bh_conn *c;

    ha_setup();
    c = ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    BH_CHECK_EQ(bh_gap_scan_start(0, 0x800, 0x12, false), 0);
    ha_clear();
    for (unsigned i = 0; i < BH_ARRAY_SIZE(short_evts); i++) {
        ha_inject("%s", short_evts[i].evt);
        if (bh_host_evt_stats()->evt_short != i + 1) {
            bh_test_fail(__FILE__, __LINE__, short_evts[i].name);
        }
    }
    BH_CHECK_EQ(ha.n, 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 0); /* not even the LTK negative reply */
    BH_CHECK(!c->encrypted);
    BH_CHECK_EQ(c->itvl_1250us, 0x28);
    BH_CHECK_EQ(bh_gap_stats()->evt_bad, 0);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_host_evt_unknown_codes_ignored(void)
{
    uint32_t before;

    ha_setup();
    before = bh_host_evt_stats()->evt_rx;
    ha_inject("04 ff 02 01 02"); /* vendor event */
    ha_inject("04 3e 02 14 00"); /* an LE subevent we do not use */
    ha_inject("04 3e 21 08"
              " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
              " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"); /* P-256, 32 < 65: short */
    BH_CHECK_EQ(bh_host_evt_stats()->evt_unhandled, 2);
    BH_CHECK_EQ(bh_host_evt_stats()->evt_short, 1);
    BH_CHECK_EQ(bh_host_evt_stats()->evt_rx - before, 3);
    BH_CHECK_EQ(bh_hci_stats()->h4_errors, 0);
    BH_CHECK_EQ(ha.n, 0);
    /* Hardware Error reaches the host (logged); nothing else changes. */
    ha_inject("04 10 01 03");
    BH_CHECK_EQ(bh_host_evt_stats()->evt_unhandled, 2);
    BH_CHECK(bh_ble_is_active());
    ha_teardown();
}

static void test_host_evt_acl_handler_installed(void)
{
    ha_setup();
    ha_acl(0x0099, BH_L2CAP_CID_ATT, "0a 01 00");
    BH_CHECK_EQ(bh_l2cap_stats()->rx_no_conn, 1);
    ha_teardown();
}

static void test_host_evt_reinit_resets_stats(void)
{
    ha_setup();
    ha_inject("04 ff 00");
    BH_CHECK_EQ(bh_host_evt_stats()->evt_unhandled, 1);
    ha_teardown();
    ha_setup();
    BH_CHECK_EQ(bh_host_evt_stats()->evt_unhandled, 0);
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_host_evt_short_events_dropped_and_counted),
             BH_TEST(test_host_evt_unknown_codes_ignored),
             BH_TEST(test_host_evt_acl_handler_installed),
             BH_TEST(test_host_evt_reinit_resets_stats))

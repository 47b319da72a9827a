/* SPDX-License-Identifier: MIT */
/*
 * test_gap_adv.c: legacy advertising (gap_adv.c) through bh_ble.h, against
 * fake_ctrl: the exact commands, payload keep/clear rules, restart, stop
 * on connection, errors; the name and own address (API.md 1.3).
 */
#include "hostA_util.h"

#include "host/gap_spec.h"

static const char *const zeros31 =
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

static void test_gap_adv_connectable_sends_exact_commands(void)
{
    static const uint8_t adv[] = {0x02, 0x01, 0x06, 0x03, 0x09, 'a', 'b'};
    char want[256];

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, adv, sizeof(adv), NULL, 0), 0);
    BH_CHECK(bh_gap_adv_active());
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4);
    /* 100 ms = 160 * 625 us, ADV_IND, public, all channels, no filter. */
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "a0 00 a0 00 00 00 00 00 00 00 00 00 00 07 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_DATA, "07 02 01 06 03 09 61 62 00 00 00 00 00 00 00 00"
                                            " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    snprintf(want, sizeof(want), "00 %s", zeros31);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_RSP_DATA, want);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_ENABLE, "01");
    /* The order: parameters, data, scan response, enable. */
    BH_CHECK_EQ(fake_ctrl_sent(0)->data[0] | fake_ctrl_sent(0)->data[1] << 8,
                BH_HCI_OP_LE_SET_ADV_PARAMS);
    BH_CHECK_EQ(fake_ctrl_sent(3)->data[0] | fake_ctrl_sent(3)->data[1] << 8,
                BH_HCI_OP_LE_SET_ADV_ENABLE);
    ha_teardown();
}

static void test_gap_adv_nonconnectable_is_adv_scan_ind(void)
{
    static const uint8_t sr[] = {0x02, 0x0a, 0x00};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_adv_start(false, 500000, NULL, 0, sr, sizeof(sr)), 0);
    /* 500 ms = 800 = 0x0320, ADV_SCAN_IND. */
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "20 03 20 03 02 00 00 00 00 00 00 00 00 07 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_RSP_DATA,
                 "03 02 0a 00 00 00 00 00 00 00 00 00 00 00 00 00"
                 " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    ha_teardown();
}

static void test_gap_adv_null_keeps_empty_clears_and_restarts(void)
{
    static const uint8_t adv[] = {0x02, 0x01, 0x06};
    static const uint8_t sr[] = {0x02, 0x0a, 0x04};
    char want[256];

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, adv, sizeof(adv), sr, sizeof(sr)), 0);
    fake_ctrl_clear_sent();
    /* NULL: keep both. Advertising is restarted: disable first. */
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 200000, NULL, 0, NULL, 0), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 5);
    BH_CHECK_HEX(fake_ctrl_sent(0)->data, fake_ctrl_sent(0)->len, "0a 20 01 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_DATA, "03 02 01 06 00 00 00 00 00 00 00 00 00 00 00 00"
                                            " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_RSP_DATA,
                 "03 02 0a 04 00 00 00 00 00 00 00 00 00 00 00 00"
                 " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    /* Empty: clear (adv data) while NULL still keeps the scan response. */
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 200000, adv, 0, NULL, 0), 0);
    snprintf(want, sizeof(want), "00 %s", zeros31);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_DATA, want);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_RSP_DATA,
                 "03 02 0a 04 00 00 00 00 00 00 00 00 00 00 00 00"
                 " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    ha_teardown();
}

static void test_gap_adv_too_long_is_einval_and_sends_nothing(void)
{
    uint8_t big[32] = {0};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, big, sizeof(big), NULL, 0), -EINVAL);
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, big, sizeof(big)), -EINVAL);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 0);
    BH_CHECK(!bh_gap_adv_active());
    /* 31 bytes is the maximum and fine. */
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, big, 31, NULL, 0), 0);
    ha_teardown();
}

static void test_gap_adv_stop_and_interval_clamp(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_adv_stop(), 0); /* not advertising: no-op */
    BH_CHECK_EQ(fake_ctrl_sent_count(), 0);
    /* 1 us rounds down to 0: clamped to 20 ms (0x20); 20 s clamps to 0x4000. */
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 1, NULL, 0, NULL, 0), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "20 00 20 00 00 00 00 00 00 00 00 00 00 07 00");
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 20000000, NULL, 0, NULL, 0), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "00 40 00 40 00 00 00 00 00 00 00 00 00 07 00");
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_ble_gap_adv_stop(), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_ENABLE, "00");
    BH_CHECK(!bh_gap_adv_active());
    ha_teardown();
}

static void test_gap_adv_stops_when_central_connects(void)
{
    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    ha_conn_complete(0x0040, BH_GAP_ROLE_PERIPHERAL);
    BH_CHECK(!bh_gap_adv_active());
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_ble_gap_adv_stop(), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_ADV_ENABLE), 0);
    /* Re-advertise after the disconnect, as the tests do. */
    ha_disconn_complete(0x0040, 0x13);
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    BH_CHECK(bh_gap_adv_active());
    ha_teardown();
}

static void test_gap_adv_controller_refusal_reported(void)
{
    ha_setup();
    fake_ctrl_set_reply(BH_HCI_OP_LE_SET_ADV_PARAMS, "12");
    BH_CHECK(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0) < 0);
    BH_CHECK(!bh_gap_adv_active());
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_ADV_ENABLE), 0);
    ha_teardown();
}

static void test_gap_adv_inactive_is_enodev(void)
{
    ha_setup();
    ha_teardown();
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), -ENODEV);
    BH_CHECK_EQ(bh_ble_gap_adv_stop(), -ENODEV);
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 0, 0, false), -ENODEV);
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x40), -ENODEV);
    BH_CHECK_EQ(bh_ble_get_preferred_mtu(), -ENODEV);
}

static void test_gap_adv_name_any_time(void)
{
    const uint8_t *name;
    uint8_t big[BH_CONFIG_GAP_NAME_MAX + 1] = {0};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_set_name((const uint8_t *)"dev", 3), 0);
    BH_CHECK_EQ(bh_ble_gap_get_name(&name), 3);
    BH_CHECK_MEM(name, "dev", 3);
    BH_CHECK_EQ(bh_gap_name(&name), 3);
    BH_CHECK_EQ(bh_ble_gap_set_name(big, sizeof(big)), -EINVAL);
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    BH_CHECK_EQ(bh_ble_gap_set_name((const uint8_t *)"connected", 9), 0);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
    /* Kept across active(False) and settable while inactive. */
    BH_CHECK_EQ(bh_ble_gap_get_name(&name), 9);
    BH_CHECK_EQ(bh_ble_gap_set_name((const uint8_t *)"", 0), 0);
    BH_CHECK_EQ(bh_ble_gap_get_name(&name), 0);
}

static void test_gap_adv_addresses_and_modes(void)
{
    static const uint8_t pub[6] = {0x00, 0x1b, 0xdc, 0x00, 0x00, 0x01};
    uint8_t type, addr[6], rnd[6];
    const struct fake_pkt *p;

    ha_setup();
    BH_CHECK_EQ(bh_ble_get_addr(&type, addr), 0);
    BH_CHECK_EQ(type, 0);
    BH_CHECK_MEM(addr, pub, 6);
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RANDOM), 0);
    p = fake_ctrl_last_cmd(BH_HCI_OP_LE_SET_RANDOM_ADDRESS);
    BH_CHECK(p != NULL && p->len == 9);
    BH_CHECK_EQ(p->data[8] & 0xC0, 0xC0); /* static: two top bits set */
    BH_CHECK_EQ(bh_ble_get_addr(&type, rnd), 0);
    BH_CHECK_EQ(type, 1);
    BH_CHECK_EQ(rnd[0], p->data[8]);
    BH_CHECK_EQ(rnd[5], p->data[3]);
    /* Advertising now uses the random address. */
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "a0 00 a0 00 00 01 00 00 00 00 00 00 00 07 00");
    /* Private modes (gap_privacy.c) cannot start while advertising; without
     * the Security Manager there is no IRK for an RPA at all. */
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), BH_CONFIG_SMP ? -EBUSY : -EOPNOTSUPP);
    BH_CHECK_EQ(bh_ble_set_addr_mode(7), -EINVAL);
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_PUBLIC), 0);
    BH_CHECK_EQ(bh_ble_get_addr(&type, addr), 0);
    BH_CHECK_EQ(type, 0);
    BH_CHECK_MEM(addr, pub, 6);
    /* Back to random while advertising: the same address, no command. */
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RANDOM), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 0);
    ha_teardown();
    BH_CHECK_EQ(bh_ble_get_addr(&type, addr), -ENODEV);
}

static void test_gap_adv_pairing_and_channel_calls_without_link(void)
{
    size_t len = 0;
    bool stalled;

    ha_setup();
    if (BH_CONFIG_SMP) {
        /* With the Security Manager: no such link. */
        BH_CHECK_EQ(bh_ble_gap_pair(0x40), -ENOTCONN);
    } else {
        BH_CHECK_EQ(bh_ble_gap_pair(0x40), -EOPNOTSUPP);
        BH_CHECK_EQ(bh_ble_gap_passkey(0x40, 2, 0), -EOPNOTSUPP);
        BH_CHECK_EQ(bh_ble_gap_unpair(0, NULL), -EOPNOTSUPP);
    }
    /* Credit-based channels: listening works; the rest needs a link. */
    BH_CHECK_EQ(bh_ble_l2cap_listen(0x80, 512), 0);
    BH_CHECK_EQ(bh_ble_l2cap_connect(0x40, 0x80, 512), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(0x40, 0x40), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_l2cap_send(0x40, 0x40, NULL, 0, &stalled), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(0x40, 0x40, NULL, &len), -ENOTCONN);
    ha_teardown();
}

static void test_gap_adv_raw_hci_cmd(void)
{
    uint8_t rsp[8] = {0};
    uint8_t status = 0xFF;

    ha_setup();
    /* Read BD_ADDR (OGF 4, OCF 9) through hci_cmd. */
    BH_CHECK_EQ(bh_ble_hci_cmd(0x04, 0x0009, NULL, 0, rsp, sizeof(rsp), &status), 0);
    BH_CHECK_EQ(status, 0);
    BH_CHECK_HEX(rsp, 6, "01 00 00 dc 1b 00");
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gap_adv_connectable_sends_exact_commands),
             BH_TEST(test_gap_adv_nonconnectable_is_adv_scan_ind),
             BH_TEST(test_gap_adv_null_keeps_empty_clears_and_restarts),
             BH_TEST(test_gap_adv_too_long_is_einval_and_sends_nothing),
             BH_TEST(test_gap_adv_stop_and_interval_clamp),
             BH_TEST(test_gap_adv_stops_when_central_connects),
             BH_TEST(test_gap_adv_controller_refusal_reported),
             BH_TEST(test_gap_adv_inactive_is_enodev), BH_TEST(test_gap_adv_name_any_time),
             BH_TEST(test_gap_adv_addresses_and_modes),
             BH_TEST(test_gap_adv_pairing_and_channel_calls_without_link),
             BH_TEST(test_gap_adv_raw_hci_cmd))

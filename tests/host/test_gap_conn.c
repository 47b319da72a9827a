/* SPDX-License-Identifier: MIT */
/*
 * test_gap_conn.c: connections (gap_conn.c) against fake_ctrl: both roles,
 * the events of each side, disconnects from each side, four links at
 * once, parameter updates both ways with IRQ 27 only on a real change,
 * data length and PHY after connecting, malformed events.
 */
#include "hostA_util.h"

#include "host/gap_spec.h"
#include "host/l2cap_sig.h"

static void check_connect_ev(unsigned i, uint8_t irq, uint16_t handle)
{
    const struct bh_ble_event *ev = ha_ev(i);
    static const uint8_t display[6] = {0x06, 0x05, 0x04, 0x03, 0x02, 0x01};

    BH_CHECK_EQ(ev->irq, irq);
    BH_CHECK_EQ(ev->conn, handle);
    BH_CHECK_EQ(ev->connect.addr_type, 0);
    BH_CHECK_MEM(ev->connect.addr, display, 6);
}

static void check_failed_ev(unsigned i)
{
    static const uint8_t zero[6];
    const struct bh_ble_event *ev = ha_ev(i);

    BH_CHECK_EQ(ev->irq, BH_IRQ_PERIPHERAL_DISCONNECT);
    BH_CHECK_EQ(ev->conn, 0xFFFF);
    BH_CHECK_EQ(ev->connect.addr_type, 0xFF);
    BH_CHECK_MEM(ev->connect.addr, zero, 6);
}

static void test_gap_conn_peripheral_gets_irq1_and_link_setup(void)
{
    struct bh_gap_link_info info;
    struct bh_conn *c;

    ha_setup();
    ha_conn_complete(0x0040, BH_GAP_ROLE_PERIPHERAL);
    c = bh_conn_lookup(0x0040);
    BH_CHECK(c != NULL);
    BH_CHECK_EQ(c->role, BH_CONN_ROLE_PERIPHERAL);
    BH_CHECK_EQ(c->itvl_1250us, 0x28);
    BH_CHECK_EQ(c->sup_timeout_10ms, 0x100);
    BH_CHECK_EQ(ha.n, 1);
    check_connect_ev(0, BH_IRQ_CENTRAL_CONNECT, 0x0040);
    /* Remote features, then the maximum data length. */
    HA_CHECK_CMD(BH_HCI_OP_LE_READ_REMOTE_FEATURES, "40 00");
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_READ_MAXIMUM_DATA_LENGTH), 1);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_DATA_LENGTH, "40 00 fb 00 48 08");
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_PHY), 0);
    /* The peer supports 2M: LE Set PHY follows. */
    ha_inject("04 3e 0c 04 00 40 00 21 01 00 00 00 00 00 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_PHY, "40 00 00 02 02 00 00");
    ha_inject("04 3e 0b 07 40 00 fb 00 48 08 fb 00 48 08");
    ha_inject("04 3e 06 0c 00 40 00 02 02");
    BH_CHECK_EQ(bh_gap_link_info(0x0040, &info), 0);
    BH_CHECK_EQ(info.tx_octets, 251);
    BH_CHECK_EQ(info.rx_time_us, 2120);
    BH_CHECK_EQ(info.tx_phy, BH_GAP_PHY_2M);
    BH_CHECK(info.remote_features_valid);
    BH_CHECK_EQ(ha.n, 1); /* data length and PHY raise no IRQ */
    BH_CHECK_EQ(bh_gap_link_info(0x0041, &info), -ENOTCONN);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_dle_and_2m_switched_off_send_nothing(void)
{
    ha_setup();
    bh_gap_set_auto_data_length(false);
    bh_gap_set_auto_2m_phy(false);
    ha_conn_complete(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_inject("04 3e 0c 04 00 40 00 21 01 00 00 00 00 00 00");
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_READ_MAXIMUM_DATA_LENGTH), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_DATA_LENGTH), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_PHY), 0);
    /* By hand still works. */
    BH_CHECK_EQ(bh_gap_set_data_length(0x0040, 100, 1000), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_DATA_LENGTH, "40 00 64 00 e8 03");
    BH_CHECK_EQ(bh_gap_set_data_length(0x0040, 300, 1000), -EINVAL);
    BH_CHECK_EQ(bh_gap_set_phy(0x0040, 0x02, 0x03), 0);
    fake_ctrl_pump();
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_PHY, "40 00 00 02 03 00 00");
    BH_CHECK_EQ(bh_gap_set_phy(0x0040, 0x04, 0x01), -EINVAL);
    BH_CHECK_EQ(bh_gap_set_phy(0x0041, 0x01, 0x01), -ENOTCONN);
    bh_gap_set_auto_data_length(true);
    bh_gap_set_auto_2m_phy(true);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_central_connect_gets_irq7(void)
{
    static const uint8_t addr[6] = {0x06, 0x05, 0x04, 0x03, 0x02, 0x01};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_connect(0, addr, 2000, 0, 0), 0);
    /* 10 ms scan, peer 01:02..:06 public, own public, 30..50 ms, 2.56 s. */
    HA_CHECK_CMD(BH_HCI_OP_LE_CREATE_CONN,
                 "10 00 10 00 00 00 01 02 03 04 05 06 00 18 00 28 00 00 00 00 01 00 00 00 00");
    BH_CHECK(bh_gap_connect_pending());
    BH_CHECK_EQ(bh_ble_gap_connect(0, addr, 2000, 0, 0), -EALREADY);
    ha_conn_complete(0x0041, BH_GAP_ROLE_CENTRAL);
    BH_CHECK(!bh_gap_connect_pending());
    BH_CHECK_EQ(ha.n, 1);
    check_connect_ev(0, BH_IRQ_PERIPHERAL_CONNECT, 0x0041);
    /* The timer is gone: nothing happens at the old deadline. */
    fake_ctrl_advance(3000);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_CREATE_CONN_CANCEL), 0);
    BH_CHECK_EQ(ha.n, 1);
    ha_disconn_complete(0x0041, 0x13);
    ha_teardown();
}

static void test_gap_conn_connect_intervals_converted(void)
{
    static const uint8_t addr[6] = {0xc0, 0x00, 0x00, 0x00, 0x00, 0x01};

    ha_setup();
    /* 7.5..100 ms: 6..80 units; timeout 2.56 s still valid. */
    BH_CHECK_EQ(bh_ble_gap_connect(1, addr, 500, 7500, 100000), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_CREATE_CONN,
                 "10 00 10 00 00 01 01 00 00 00 00 c0 00 06 00 50 00 00 00 00 01 00 00 00 00");
    BH_CHECK_EQ(bh_ble_gap_connect_cancel(), 0);
    ha_inject("04 3e 13 01 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    BH_CHECK_EQ(bh_ble_gap_connect(2, addr, 500, 0, 0), -EINVAL);
    ha_teardown();
}

static void test_gap_conn_connect_timeout_gets_irq8_failed(void)
{
    static const uint8_t addr[6] = {1, 2, 3, 4, 5, 6};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_connect(0, addr, 2000, 0, 0), 0);
    fake_ctrl_advance(1999);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_CREATE_CONN_CANCEL), 0);
    fake_ctrl_advance(1);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_CREATE_CONN_CANCEL), 1);
    BH_CHECK_EQ(ha.n, 0);
    /* Unknown Connection Identifier: the cancel took. */
    ha_inject("04 3e 13 01 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    BH_CHECK_EQ(ha.n, 1);
    check_failed_ev(0);
    BH_CHECK(!bh_gap_connect_pending());
    BH_CHECK_EQ(bh_ble_gap_connect_cancel(), -EALREADY);
    ha_teardown();
}

static void test_gap_conn_connect_cancel_gets_irq8(void)
{
    static const uint8_t addr[6] = {1, 2, 3, 4, 5, 6};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_connect(0, addr, 0, 0, 0), 0);
    BH_CHECK_EQ(bh_ble_gap_connect_cancel(), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_CREATE_CONN_CANCEL), 1);
    ha_inject("04 3e 13 01 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    BH_CHECK_EQ(ha.n, 1);
    check_failed_ev(0);
    ha_teardown();
}

static void test_gap_conn_connect_stops_scan_with_irq6_first(void)
{
    static const uint8_t addr[6] = {1, 2, 3, 4, 5, 6};

    ha_setup();
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), 0);
    BH_CHECK_EQ(bh_ble_gap_connect(0, addr, 2000, 0, 0), 0);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_SCAN_DONE);
    BH_CHECK(!bh_gap_scan_active());
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_ENABLE, "00 00");
    /* No scanning while connecting. */
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 1280000, 11250, false), -EBUSY);
    ha_teardown(); /* deinit aborts the attempt: IRQ 8 */
    BH_CHECK_EQ(ha.n, 2);
    check_failed_ev(1);
}

static void test_gap_conn_local_disconnect_each_role(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_conn_up(0x0041, BH_GAP_ROLE_CENTRAL);
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0040), 0);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 13");
    BH_CHECK_EQ(bh_conn_lookup(0x0040)->state, BH_CONN_STATE_DISCONNECTING);
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0040), -EALREADY);
    BH_CHECK_EQ(ha.n, 0); /* nothing until the controller confirms */
    ha_disconn_complete(0x0040, 0x16);
    BH_CHECK_EQ(ha.n, 1);
    check_connect_ev(0, BH_IRQ_CENTRAL_DISCONNECT, 0x0040);
    BH_CHECK(bh_conn_lookup(0x0040) == NULL);
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0041), 0);
    ha_disconn_complete(0x0041, 0x16);
    BH_CHECK_EQ(ha.n, 2);
    check_connect_ev(1, BH_IRQ_PERIPHERAL_DISCONNECT, 0x0041);
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0041), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0123), -ENOTCONN);
    ha_teardown();
}

static void test_gap_conn_remote_disconnect_each_role(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_CENTRAL);
    ha_conn_up(0x0041, BH_GAP_ROLE_PERIPHERAL);
    ha_disconn_complete(0x0040, 0x13);
    ha_disconn_complete(0x0041, 0x08);
    BH_CHECK_EQ(ha.n, 2);
    check_connect_ev(0, BH_IRQ_PERIPHERAL_DISCONNECT, 0x0040);
    check_connect_ev(1, BH_IRQ_CENTRAL_DISCONNECT, 0x0041);
    /* Again, for a handle no longer known: counted, no event. */
    ha_disconn_complete(0x0041, 0x08);
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(bh_gap_stats()->evt_unknown_conn, 1);
    ha_teardown();
}

static void test_gap_conn_disconnect_refused_keeps_link(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    fake_ctrl_set_reply(BH_HCI_OP_DISCONNECT, "0c"); /* Command Disallowed */
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0040), 0);
    fake_ctrl_pump();
    BH_CHECK_EQ(bh_conn_lookup(0x0040)->state, BH_CONN_STATE_CONNECTED);
    /* Disconnection Complete with a failed status: the link stays. */
    fake_ctrl_set_reply(BH_HCI_OP_DISCONNECT, "00");
    BH_CHECK_EQ(bh_ble_gap_disconnect(0x0040), 0);
    ha_inject("04 05 04 0c 40 00 00");
    BH_CHECK_EQ(bh_conn_lookup(0x0040)->state, BH_CONN_STATE_CONNECTED);
    BH_CHECK_EQ(ha.n, 0);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_four_links_then_fifth_refused(void)
{
    ha_setup();
    ha_conn_complete(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_conn_complete(0x0041, BH_GAP_ROLE_CENTRAL);
    ha_conn_complete(0x0042, BH_GAP_ROLE_PERIPHERAL);
    ha_conn_complete(0x0043, BH_GAP_ROLE_CENTRAL);
    BH_CHECK_EQ(ha.n, 4);
    check_connect_ev(0, BH_IRQ_CENTRAL_CONNECT, 0x0040);
    check_connect_ev(1, BH_IRQ_PERIPHERAL_CONNECT, 0x0041);
    check_connect_ev(2, BH_IRQ_CENTRAL_CONNECT, 0x0042);
    check_connect_ev(3, BH_IRQ_PERIPHERAL_CONNECT, 0x0043);
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        BH_CHECK(bh_conn_at(i) != NULL);
        BH_CHECK_EQ(bh_conn_index(bh_conn_at(i)), i);
    }
    fake_ctrl_clear_sent();
    ha_conn_complete(0x0044, BH_GAP_ROLE_PERIPHERAL);
    BH_CHECK_EQ(ha.n, 4);
    BH_CHECK_EQ(bh_gap_stats()->conn_no_slot, 1);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "44 00 14");
    BH_CHECK(bh_conn_lookup(0x0044) == NULL);
    /* A duplicate handle is a controller bug: dropped and counted. */
    ha_disconn_complete(0x0042, 0x13);
    ha_conn_complete(0x0041, BH_GAP_ROLE_PERIPHERAL);
    BH_CHECK_EQ(bh_gap_stats()->evt_bad, 1);
    BH_CHECK_EQ(bh_conn_lookup(0x0041)->role, BH_CONN_ROLE_CENTRAL);
    ha_disconn_complete(0x0043, 0x13);
    ha_disconn_complete(0x0041, 0x13);
    ha_disconn_complete(0x0040, 0x13);
    BH_CHECK_EQ(ha.n, 8);
    check_connect_ev(4, BH_IRQ_CENTRAL_DISCONNECT, 0x0042);
    check_connect_ev(5, BH_IRQ_PERIPHERAL_DISCONNECT, 0x0043);
    check_connect_ev(6, BH_IRQ_PERIPHERAL_DISCONNECT, 0x0041);
    check_connect_ev(7, BH_IRQ_CENTRAL_DISCONNECT, 0x0040);
    ha_teardown();
}

static void test_gap_conn_malformed_conn_complete_dropped(void)
{
    ha_setup();
    /* Too short (17 parameter bytes): the table row drops it. */
    ha_inject("04 3e 12 01 00 40 00 01 00 01 02 03 04 05 06 28 00 00 00 00 01");
    BH_CHECK_EQ(bh_host_evt_stats()->evt_short, 1);
    /* Handle beyond 0x0EFF and a role that does not exist. */
    ha_inject("04 3e 13 01 00 00 0f 01 00 01 02 03 04 05 06 28 00 00 00 00 01 00");
    ha_inject("04 3e 13 01 00 40 00 02 00 01 02 03 04 05 06 28 00 00 00 00 01 00");
    BH_CHECK_EQ(bh_gap_stats()->evt_bad, 2);
    BH_CHECK_EQ(ha.n, 0);
    BH_CHECK(bh_conn_at(0) == NULL);
    /* Enhanced Connection Complete works the same. */
    ha_inject("04 3e 1f 0a 00 40 00 01 00 01 02 03 04 05 06"
              " 00 00 00 00 00 00 00 00 00 00 00 00 28 00 00 00 00 01 00");
    BH_CHECK_EQ(ha.n, 1);
    check_connect_ev(0, BH_IRQ_CENTRAL_CONNECT, 0x0040);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_update_central_irq27_only_on_change(void)
{
    struct bh_gap_conn_params p = {0x18, 0x18, 0, 0x48};
    const struct bh_ble_event *ev;

    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_CENTRAL);
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_CONN_UPDATE, "40 00 18 00 18 00 00 00 48 00 00 00 00 00");
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), -EBUSY);
    ha_inject("04 3e 0a 03 00 40 00 18 00 00 00 48 00");
    BH_CHECK_EQ(ha.n, 1);
    ev = ha_ev(0);
    BH_CHECK_EQ(ev->irq, BH_IRQ_CONNECTION_UPDATE);
    BH_CHECK_EQ(ev->conn, 0x0040);
    BH_CHECK_EQ(ev->conn_update.itvl, 0x18);
    BH_CHECK_EQ(ev->conn_update.latency, 0);
    BH_CHECK_EQ(ev->conn_update.timeout, 0x48);
    BH_CHECK_EQ(ev->conn_update.status, 0);
    /* Same parameters again (e.g. an update to what we had): no IRQ. */
    ha_inject("04 3e 0a 03 00 40 00 18 00 00 00 48 00");
    BH_CHECK_EQ(ha.n, 1);
    /* A failed update nobody here asked for: no IRQ either. */
    ha_inject("04 3e 0a 03 3b 40 00 18 00 00 00 48 00");
    BH_CHECK_EQ(ha.n, 1);
    /* The peer changed them: IRQ 27. */
    ha_inject("04 3e 0a 03 00 40 00 30 00 02 00 c8 00");
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(1)->conn_update.itvl, 0x30);
    BH_CHECK_EQ(ha_ev(1)->conn_update.latency, 2);
    /* Our request failing at the controller: IRQ 27 with the status. */
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    ha_inject("04 3e 0a 03 3b 40 00 30 00 02 00 c8 00");
    BH_CHECK_EQ(ha.n, 3);
    BH_CHECK_EQ(ha_ev(2)->conn_update.status, 0x3b);
    BH_CHECK_EQ(ha_ev(2)->conn_update.itvl, 0x30);
    /* Bad arguments. */
    p.itvl_min_1250us = 5;
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), -EINVAL);
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0099, &p), -ENOTCONN);
    /* Unknown handle and short event: counted. */
    ha_inject("04 3e 0a 03 00 41 00 30 00 02 00 c8 00");
    BH_CHECK_EQ(bh_gap_stats()->evt_unknown_conn, 1);
    ha_inject("04 3e 09 03 00 40 00 30 00 02 00 c8");
    BH_CHECK_EQ(bh_host_evt_stats()->evt_short, 1);
    BH_CHECK_EQ(ha.n, 3);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_update_peripheral_uses_l2cap(void)
{
    struct bh_gap_conn_params p = {0x10, 0x20, 1, 0x100};
    const uint8_t *pl;
    uint16_t len;

    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    /* Neither side has the Connection Parameters Request procedure. */
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_CONN_UPDATE), 0);
    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_LE_SIGNALING, 0, &pl, &len));
    BH_CHECK_HEX(pl, len, "12 01 08 00 10 00 20 00 01 00 00 01");
    /* Accepted: nothing yet; the central's update brings IRQ 27. */
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "13 01 02 00 00 00");
    BH_CHECK_EQ(ha.n, 0);
    ha_inject("04 3e 0a 03 00 40 00 20 00 01 00 00 01");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CONNECTION_UPDATE);
    BH_CHECK_EQ(ha_ev(0)->conn_update.itvl, 0x20);
    /* Rejected: IRQ 27 with a failed status, parameters unchanged. */
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "13 02 02 00 01 00");
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(1)->conn_update.status, BH_HCI_ERR_UNACCEPTABLE_CONN_PARAMS);
    BH_CHECK_EQ(ha_ev(1)->conn_update.itvl, 0x20);
    fake_ctrl_ncp(0x0040, 2);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_update_peripheral_with_cpr_uses_ll(void)
{
    struct bh_gap_conn_params p = {0x10, 0x20, 0, 0x100};

    fake_ctrl_init();
    /* Our controller: encryption, Connection Parameters Request, DLE, 2M. */
    fake_ctrl_set_reply(BH_HCI_OP_LE_READ_LOCAL_SUPPORTED_FEATURES, "00 23 01 00 00 00 00 00 00");
    memset(&ha, 0, sizeof(ha));
    bh_ble_set_event_cb(ha_cb, NULL);
    BH_CHECK_EQ(bh_ble_init(), 0);
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_inject("04 3e 0c 04 00 40 00 02 00 00 00 00 00 00 00");
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_CONN_UPDATE, "40 00 10 00 20 00 00 00 00 01 00 00 00 00");
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 0);
    /* The peer's LL turns out not to support it: fall back to L2CAP. */
    ha_inject("04 3e 0a 03 1a 40 00 28 00 00 00 00 01");
    BH_CHECK_EQ(ha.n, 0);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 1);
    fake_ctrl_ncp(0x0040, 1);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_remote_conn_param_request_answered(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_inject("04 3e 0b 06 40 00 10 00 20 00 00 00 00 01");
    HA_CHECK_CMD(BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_REPLY,
                 "40 00 10 00 20 00 00 00 00 01 00 00 00 00");
    /* Timeout too short for the interval: Unacceptable Connection Parameters. */
    ha_inject("04 3e 0b 06 40 00 10 00 20 00 04 00 0a 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_NEGATIVE_REPLY, "40 00 3b");
    ha_inject("04 3e 0b 06 45 00 10 00 20 00 00 00 00 01");
    HA_CHECK_CMD(BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_NEGATIVE_REPLY, "45 00 02");
    BH_CHECK_EQ(ha.n, 0);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_gap_conn_params_valid_ranges(void)
{
    static const struct {
        struct bh_gap_conn_params p;
        bool ok;
    } rows[] = {
        {{6, 6, 0, 10}, true},
        {{5, 6, 0, 10}, false},      /* interval below 7.5 ms */
        {{6, 3201, 0, 3200}, false}, /* interval above 4 s */
        {{20, 10, 0, 100}, false},   /* min above max */
        {{6, 6, 499, 3200}, true},
        {{6, 6, 500, 3200}, false}, /* latency above 499 */
        {{6, 6, 0, 9}, false},      /* timeout below 100 ms */
        {{6, 6, 0, 3201}, false},   /* timeout above 32 s */
        {{3200, 3200, 0, 3200}, true},
        {{3200, 3200, 3, 3200}, false}, /* timeout not above 2 * (1 + latency) intervals */
        {{40, 40, 4, 51}, true},        /* 510 ms > 5 * 50 ms * 2 */
        {{40, 40, 4, 50}, false},
    };

    for (unsigned i = 0; i < BH_ARRAY_SIZE(rows); i++) {
        if (bh_gap_conn_params_valid(&rows[i].p) != rows[i].ok) {
            char m[64];
            snprintf(m, sizeof(m), "row %u", i);
            bh_test_fail(__FILE__, __LINE__, m);
        }
    }
}

static void test_gap_conn_encryption_change_updates_conn(void)
{
    struct bh_conn *c;

    ha_setup();
    c = ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_inject("04 08 04 00 40 00 01");
    BH_CHECK(c->encrypted);
    ha_inject("04 59 05 00 40 00 01 10");
    BH_CHECK_EQ(c->key_size, 16);
    ha_inject("04 08 04 00 40 00 00");
    BH_CHECK(!c->encrypted);
    ha_inject("04 30 03 00 40 00");
    ha_inject("04 08 04 00 41 00 01");
    BH_CHECK_EQ(bh_gap_stats()->evt_unknown_conn, 1);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

/* deinit: the wait hook plays the controller's Disconnection Complete. */
static void deinit_wait_hook(void *ctx, uint32_t timeout_ms)
{
    static const uint8_t dc[] = {0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x16};

    (void)ctx;
    (void)timeout_ms;
    if (fake_ctrl_last_cmd(BH_HCI_OP_DISCONNECT) != NULL && bh_conn_lookup(0x0040) != NULL) {
        bh_hci_rx_push(dc, sizeof(dc));
        bh_port_wake();
    }
}

static void test_gap_conn_deinit_disconnects_and_waits(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    fake_port_set_wait_hook(deinit_wait_hook, NULL);
    BH_CHECK_EQ(bh_ble_deinit(), 0);
    fake_port_set_wait_hook(NULL, NULL);
    BH_CHECK_EQ(ha.n, 1);
    check_connect_ev(0, BH_IRQ_CENTRAL_DISCONNECT, 0x0040);
    BH_CHECK(fake_port_now() < 2000);
    /* Again, and this time the controller never answers: bounded. */
    BH_CHECK_EQ(bh_ble_init(), 0);
    ha_conn_up(0x0041, BH_GAP_ROLE_CENTRAL);
    BH_CHECK_EQ(bh_ble_deinit(), -ETIMEDOUT);
    BH_CHECK_EQ(ha.n, 1);
    check_connect_ev(0, BH_IRQ_PERIPHERAL_DISCONNECT, 0x0041);
    BH_CHECK(!bh_ble_is_active());
    BH_CHECK(bh_conn_at(0) == NULL);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    /* And once more, from scratch. */
    BH_CHECK_EQ(bh_ble_init(), 0);
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gap_conn_peripheral_gets_irq1_and_link_setup),
             BH_TEST(test_gap_conn_dle_and_2m_switched_off_send_nothing),
             BH_TEST(test_gap_conn_central_connect_gets_irq7),
             BH_TEST(test_gap_conn_connect_intervals_converted),
             BH_TEST(test_gap_conn_connect_timeout_gets_irq8_failed),
             BH_TEST(test_gap_conn_connect_cancel_gets_irq8),
             BH_TEST(test_gap_conn_connect_stops_scan_with_irq6_first),
             BH_TEST(test_gap_conn_local_disconnect_each_role),
             BH_TEST(test_gap_conn_remote_disconnect_each_role),
             BH_TEST(test_gap_conn_disconnect_refused_keeps_link),
             BH_TEST(test_gap_conn_four_links_then_fifth_refused),
             BH_TEST(test_gap_conn_malformed_conn_complete_dropped),
             BH_TEST(test_gap_conn_update_central_irq27_only_on_change),
             BH_TEST(test_gap_conn_update_peripheral_uses_l2cap),
             BH_TEST(test_gap_conn_update_peripheral_with_cpr_uses_ll),
             BH_TEST(test_gap_conn_remote_conn_param_request_answered),
             BH_TEST(test_gap_conn_params_valid_ranges),
             BH_TEST(test_gap_conn_encryption_change_updates_conn),
             BH_TEST(test_gap_conn_deinit_disconnects_and_waits))

/* SPDX-License-Identifier: MIT */
/*
 * test_l2cap.c: the basic header and fixed-channel routing of l2cap.c,
 * bh_l2cap_send, and the SMP stub's answer (smp_off.c), against fake_ctrl.
 */
#include "hostA_util.h"

#include "host/gap_spec.h"

static void test_l2cap_routes_fixed_channels(void)
{
    const uint8_t *p;
    uint16_t len;

    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    /* ATT (0x0004): a Read Request of handle 0 gets an ATT Error Response. */
    ha_acl(0x0040, BH_L2CAP_CID_ATT, "0a 00 00");
    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_ATT, 0, &p, &len));
    BH_CHECK(len >= 1 && p[0] == 0x01);
    /* SMP (0x0006): a Pairing Request reaches the Security Manager, which
     * answers with a Pairing Response, or, built without it (smp_off.c),
     * with Pairing Failed, Pairing Not Supported. */
    ha_acl(0x0040, BH_L2CAP_CID_SMP, "01 03 00 01 10 07 07");
    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_SMP, 0, &p, &len));
    if (BH_CONFIG_SMP) {
        BH_CHECK(len == 7 && p[0] == 0x02);
    } else {
        BH_CHECK_HEX(p, len, "05 05");
        /* A Security Request gets the same; other SMP codes are dropped. */
        ha_acl(0x0040, BH_L2CAP_CID_SMP, "0b 01");
        ha_acl(0x0040, BH_L2CAP_CID_SMP, "04 00");
        ha_acl(0x0040, BH_L2CAP_CID_SMP, "");
        BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_SMP), 2);
    }
    /* Signalling (0x0005): an unknown code gets a Command Reject. */
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "7f 01 00 00");
    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_LE_SIGNALING, 0, &p, &len));
    BH_CHECK_HEX(p, len, "01 01 02 00 00 00");
    BH_CHECK_EQ(bh_l2cap_stats()->sig_rejected, 1);
    fake_ctrl_ncp(0x0040, 4);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

/* Hand l2cap.c one frame directly (the HCI layer only ever delivers
 * frames whose length matches their basic header). */
static void recv_raw(uint16_t handle, const char *hex)
{
    struct bh_buf *b = bh_buf_alloc(bh_hci_acl_rx_pool(), 0);
    uint8_t tmp[64];
    int n = bh_test_hex(hex, tmp, sizeof(tmp));

    BH_CHECK(b != NULL && n >= 0);
    BH_CHECK_EQ(bh_buf_add_mem(b, tmp, (uint16_t)n), 0);
    bh_l2cap_recv(handle, b);
    bh_buf_unref(b);
}

static void test_l2cap_bad_header_and_unknown_cid_dropped(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    /* Basic header length longer, shorter than the frame; header cut. */
    recv_raw(0x0040, "05 00 04 00 0a 01 00");
    recv_raw(0x0040, "02 00 04 00 0a 01 00");
    recv_raw(0x0040, "00 00 04");
    BH_CHECK_EQ(bh_l2cap_stats()->rx_bad_len, 3);
    /* Unknown fixed CID and a dynamic CID (no credit-based channels yet). */
    ha_acl(0x0040, 0x0003, "00");
    ha_acl(0x0040, 0x0040, "00 01");
    BH_CHECK_EQ(bh_l2cap_stats()->rx_unknown_cid, 2);
    /* A handle that is not connected. */
    ha_acl(0x0055, BH_L2CAP_CID_ATT, "0a 01 00");
    BH_CHECK_EQ(bh_l2cap_stats()->rx_no_conn, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_ATT), 0);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_l2cap_send_prepends_header_and_consumes(void)
{
    struct bh_conn *c;
    struct bh_buf *buf;
    const uint8_t *p;
    uint16_t len;

    ha_setup();
    c = ha_conn_up(0x0041, BH_GAP_ROLE_CENTRAL);
    buf = bh_l2cap_buf_alloc();
    BH_CHECK(buf != NULL);
    BH_CHECK_EQ(bh_buf_add_mem(buf, "\x01\x02\x03", 3), 0);
    BH_CHECK_EQ(bh_l2cap_send(c, 0x0004, buf), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    BH_CHECK_HEX(fake_ctrl_sent(0)->data, fake_ctrl_sent(0)->len,
                 "41 00 07 00 03 00 04 00 01 02 03");
    BH_CHECK(ha_sent_l2cap(0x0004, 0, &p, &len));
    /* No link: -ENOTCONN, and the buffer is still consumed. */
    buf = bh_l2cap_buf_alloc();
    BH_CHECK(buf != NULL);
    BH_CHECK_EQ(bh_l2cap_send(NULL, 0x0004, buf), -ENOTCONN);
    BH_CHECK_EQ(bh_l2cap_send(c, 0x0004, NULL), -EINVAL);
    fake_ctrl_ncp(0x0041, 1);
    ha_disconn_complete(0x0041, 0x13);
    ha_teardown();
}

/* Without a bond (or without the Security Manager) there is no key. */
static void test_l2cap_ltk_request_without_smp_gets_negative_reply(void)
{
    ha_setup();
    ha_conn_up(0x0040, BH_GAP_ROLE_PERIPHERAL);
    ha_inject("04 3e 0d 05 40 00 00 00 00 00 00 00 00 00 00 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, "40 00");
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_l2cap_routes_fixed_channels),
             BH_TEST(test_l2cap_bad_header_and_unknown_cid_dropped),
             BH_TEST(test_l2cap_send_prepends_header_and_consumes),
             BH_TEST(test_l2cap_ltk_request_without_smp_gets_negative_reply))

/* SPDX-License-Identifier: MIT */
/*
 * test_l2cap_sig.c: the LE signalling channel (l2cap_sig.c) as a table of
 * PDU rows: for every handler, too short, trailing bytes, bad range, wrong
 * role, unsolicited response, plus unknown codes (Command Reject: Command
 * not understood), oversize commands (Signalling MTU exceeded), identifier
 * zero; then our own request under the RTX timer; then replies owed
 * while every ACL transmit buffer is taken (sent in order when one frees,
 * bounded per link, gone with the link).
 */
#include "hostA_util.h"

#include "host/gap_spec.h"
#include "host/l2cap_sig.h"

#define C BH_GAP_ROLE_CENTRAL
#define P BH_GAP_ROLE_PERIPHERAL

struct sig_case {
    const char *name;
    uint8_t role;     /* our role on the link */
    const char *peer; /* C-frame the peer sends */
    const char *host; /* what we answer on CID 5 ("" = nothing) */
    bool conn_update; /* an LE Connection Update follows */
};

static const struct sig_case sig_cases[] = {
    /* ---- framing ---- */
    {"empty frame", C, "", "", false},
    {"header cut", C, "12 01 08", "", false},
    {"identifier zero", C, "12 00 08 00 06 00 0c 00 00 00 c8 00", "", false},
    {"length beyond data", C, "12 02 08 00 06 00", "01 02 02 00 00 00", false},
    {"length short of data", C, "12 03 02 00 06 00 0c 00", "01 03 02 00 00 00", false},
    {"unknown code", C, "7f 04 00 00", "01 04 02 00 00 00", false},
    {"code zero", C, "00 05 00 00", "01 05 02 00 00 00", false},
    {"MTU exceeded", C, "7f 06 14 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
     "01 06 04 00 01 00 17 00", false},
    /* ---- credit-based channels (l2cap_coc.c; its own tests go deeper) ---- */
    /* No such channel: Command Reject, Invalid CID in request (4.1), both CIDs echoed. */
    {"disconnection req", C, "06 07 04 00 40 00 40 00", "01 07 06 00 02 00 40 00 40 00", false},
    /* Nobody listens on PSM 0x0080: LE Credit Based Connection Response, result 0x0002. */
    {"le credit based conn req", P, "14 08 0a 00 80 00 40 00 00 02 00 02 0a 00",
     "15 08 0a 00 00 00 00 00 00 00 00 00 02 00", false},
    /* ---- Connection Parameter Update Request (4.20) ---- */
    {"cpu req ok", C, "12 09 08 00 06 00 0c 00 00 00 c8 00", "13 09 02 00 00 00", true},
    {"cpu req short", C, "12 0a 06 00 06 00 0c 00 00 00", "01 0a 02 00 00 00", false},
    {"cpu req trailing", C, "12 0b 0a 00 06 00 0c 00 00 00 c8 00 ff ff", "01 0b 02 00 00 00",
     false},
    {"cpu req on peripheral", P, "12 0c 08 00 06 00 0c 00 00 00 c8 00", "01 0c 02 00 00 00", false},
    {"cpu req itvl below 7.5 ms", C, "12 0d 08 00 05 00 0c 00 00 00 c8 00", "13 0d 02 00 01 00",
     false},
    {"cpu req min above max", C, "12 0e 08 00 10 00 0c 00 00 00 c8 00", "13 0e 02 00 01 00", false},
    {"cpu req latency 500", C, "12 0f 08 00 06 00 0c 00 f4 01 80 0c", "13 0f 02 00 01 00", false},
    {"cpu req timeout too short", C, "12 10 08 00 06 00 80 0c 00 00 0a 00", "13 10 02 00 01 00",
     false},
    /* ---- responses nobody asked for: dropped ---- */
    {"cpu rsp unsolicited", P, "13 11 02 00 00 00", "", false},
    {"cpu rsp short", P, "13 12 01 00 00", "", false},
    {"cpu rsp trailing", P, "13 13 03 00 00 00 00", "", false},
    {"command reject unsolicited", C, "01 14 02 00 00 00", "", false},
    {"command reject short", C, "01 15 01 00 00", "", false},
};

static void run_case(const struct sig_case *k)
{
    const uint8_t *p;
    uint16_t len;
    uint8_t want[64];
    int n = bh_test_hex(k->host, want, sizeof(want));

    ha_setup();
    ha_conn_up(0x0040, k->role);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, k->peer);
    if (n == 0) {
        if (ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING) != 0) {
            bh_test_fail(__FILE__, __LINE__, k->name);
        }
    } else if (!ha_sent_l2cap(BH_L2CAP_CID_LE_SIGNALING, 0, &p, &len) || len != n ||
               memcmp(p, want, (size_t)n) != 0 ||
               ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING) != 1) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    if ((fake_ctrl_cmd_count(BH_HCI_OP_LE_CONN_UPDATE) == 1) != k->conn_update) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    BH_CHECK_EQ(ha.n, 0); /* no IRQ from any of these */
    fake_ctrl_ncp(0x0040, 1);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_l2cap_sig_table(void)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(sig_cases); i++) {
        run_case(&sig_cases[i]);
    }
}

static void test_l2cap_sig_cpu_req_applied_by_central(void)
{
    ha_setup();
    ha_conn_up(0x0040, C);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "12 21 08 00 06 00 0c 00 02 00 c8 00");
    HA_CHECK_CMD(BH_HCI_OP_LE_CONN_UPDATE, "40 00 06 00 0c 00 02 00 c8 00 00 00 00 00");
    ha_inject("04 3e 0a 03 00 40 00 0c 00 02 00 c8 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CONNECTION_UPDATE);
    BH_CHECK_EQ(ha_ev(0)->conn_update.itvl, 0x0c);
    fake_ctrl_ncp(0x0040, 1);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_l2cap_sig_our_request_ids_and_matching(void)
{
    struct bh_gap_conn_params p = {0x10, 0x20, 0, 0x100};
    const uint8_t *pl;
    uint16_t len;

    ha_setup();
    ha_conn_up(0x0040, P);
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_LE_SIGNALING, 0, &pl, &len));
    BH_CHECK_HEX(pl, len, "12 01 08 00 10 00 20 00 00 00 00 01");
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), -EBUSY);
    /* Wrong identifier, then a Command Reject for another id: dropped. */
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "13 02 02 00 00 00");
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "01 03 02 00 00 00");
    BH_CHECK_EQ(bh_l2cap_sig_stats()->rx_unexpected_rsp, 2);
    BH_CHECK_EQ(ha.n, 0);
    /* The peer rejects our id 1 with Command Reject: IRQ 27 with a status. */
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "01 01 02 00 00 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->conn_update.status, BH_HCI_ERR_UNACCEPTABLE_CONN_PARAMS);
    /* Next request: identifier 2; the old answer to 1 is now unsolicited. */
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_LE_SIGNALING, 1, &pl, &len));
    BH_CHECK_EQ(pl[1], 0x02);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "13 01 02 00 00 00");
    BH_CHECK_EQ(bh_l2cap_sig_stats()->rx_unexpected_rsp, 3);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "13 02 02 00 00 00");
    BH_CHECK_EQ(ha.n, 1);
    fake_ctrl_ncp(0x0040, 2);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_l2cap_sig_rtx_expiry_fails_request(void)
{
    struct bh_gap_conn_params p = {0x10, 0x20, 0, 0x100};

    ha_setup();
    ha_conn_up(0x0040, P);
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    fake_ctrl_advance(BH_CONFIG_L2CAP_SIG_TIMEOUT_MS - 1);
    BH_CHECK_EQ(ha.n, 0);
    fake_ctrl_advance(1);
    BH_CHECK_EQ(bh_l2cap_sig_stats()->rtx_timeouts, 1);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CONNECTION_UPDATE);
    BH_CHECK(ha_ev(0)->conn_update.status != 0);
    /* The late response is unsolicited now. */
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "13 01 02 00 00 00");
    BH_CHECK_EQ(ha.n, 1);
    /* A disconnect stops a running RTX: nothing fires afterwards. */
    BH_CHECK_EQ(bh_gap_conn_param_update(0x0040, &p), 0);
    fake_ctrl_ncp(0x0040, 2);
    ha_disconn_complete(0x0040, 0x13);
    fake_ctrl_advance(BH_CONFIG_L2CAP_SIG_TIMEOUT_MS);
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(bh_l2cap_sig_stats()->rtx_timeouts, 1);
    ha_teardown();
}

static void test_l2cap_sig_central_cannot_send_request(void)
{
    struct bh_gap_conn_params p = {0x10, 0x20, 0, 0x100};
    struct bh_conn *c;

    ha_setup();
    c = ha_conn_up(0x0040, C);
    BH_CHECK_EQ(bh_l2cap_sig_conn_param_update(c, &p), -EINVAL);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

static void test_l2cap_sig_identifiers_skip_zero(void)
{
    struct bh_conn *c;

    ha_setup();
    c = ha_conn_up(0x0040, P);
    for (unsigned i = 1; i <= 255; i++) {
        BH_CHECK_EQ(bh_l2cap_sig_next_id(c), i);
    }
    BH_CHECK_EQ(bh_l2cap_sig_next_id(c), 1);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

/* Take every ACL transmit buffer out of the pool; returns how many. */
static unsigned sig_hold_acl_pool(struct bh_buf **held)
{
    unsigned n = 0;
    struct bh_buf *b;

    while ((b = bh_hci_acl_buf_alloc(0)) != NULL) {
        BH_CHECK(n < BH_CONFIG_ACL_TX_BUF_COUNT);
        held[n++] = b;
    }
    BH_CHECK_EQ(n, BH_CONFIG_ACL_TX_BUF_COUNT);
    return n;
}

static void sig_release_acl(struct bh_buf **held, unsigned *n, unsigned count)
{
    while (count-- > 0 && *n > 0) {
        bh_buf_unref(held[--*n]);
    }
    fake_ctrl_pump(); /* the pool's waiters run */
}

static void sig_check_sent(unsigned i, const char *hex)
{
    const uint8_t *p;
    uint16_t len;

    BH_CHECK(ha_sent_l2cap(BH_L2CAP_CID_LE_SIGNALING, i, &p, &len));
    BH_CHECK_HEX(p, len, hex);
}

/* No ACL buffer free: a Command Reject and a Connection Parameter Update
 * Response are owed (the update itself is applied at once); one freed
 * buffer lets them out in order, byte for byte. Then the record's bound:
 * five owed on a full record of four, the newest is dropped and counted. */
static void test_l2cap_sig_replies_wait_for_acl_buffer(void)
{
    struct bh_buf *held[BH_CONFIG_ACL_TX_BUF_COUNT];
    unsigned n;

    ha_setup();
    ha_conn_up(0x0040, C);
    n = sig_hold_acl_pool(held);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "7f 04 00 00");
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "12 05 08 00 06 00 0c 00 00 00 c8 00");
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_CONN_UPDATE), 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 0);
    BH_CHECK_EQ(bh_l2cap_sig_stats()->tx_owed, 2);
    sig_release_acl(held, &n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 2);
    sig_check_sent(0, "01 04 02 00 00 00");
    sig_check_sent(1, "13 05 02 00 00 00");
    fake_ctrl_ncp(0x0040, 2);
    ha_clear();
    /* bounded: the record holds four */
    sig_release_acl(held, &n, n);
    n = sig_hold_acl_pool(held);
    for (unsigned i = 0; i <= BH_L2CAP_SIG_OWED_MAX; i++) {
        char hex[16];

        snprintf(hex, sizeof(hex), "7f %02x 00 00", 0x10 + i);
        ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, hex);
    }
    BH_CHECK_EQ(bh_l2cap_sig_stats()->tx_owed_dropped, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 0);
    sig_release_acl(held, &n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), BH_L2CAP_SIG_OWED_MAX);
    sig_check_sent(0, "01 10 02 00 00 00");
    sig_check_sent(1, "01 11 02 00 00 00");
    sig_check_sent(2, "01 12 02 00 00 00");
    sig_check_sent(3, "01 13 02 00 00 00");
    sig_release_acl(held, &n, n);
    fake_ctrl_ncp(0x0040, BH_L2CAP_SIG_OWED_MAX);
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

/* The link drops while replies are owed: they go with it (nothing sent
 * when buffers free, no pool leak), and the next link on the same slot
 * starts with an empty record. */
static void test_l2cap_sig_owed_replies_go_with_the_link(void)
{
    struct bh_buf *held[BH_CONFIG_ACL_TX_BUF_COUNT];
    unsigned n;

    ha_setup();
    ha_conn_up(0x0040, C);
    n = sig_hold_acl_pool(held);
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "7f 04 00 00");
    ha_acl(0x0040, BH_L2CAP_CID_LE_SIGNALING, "12 05 08 00 06 00 0c 00 00 00 c8 00");
    ha_disconn_complete(0x0040, 0x13);
    sig_release_acl(held, &n, n);
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 0);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    ha_conn_up(0x0041, C);
    ha_acl(0x0041, BH_L2CAP_CID_LE_SIGNALING, "7f 06 00 00");
    BH_CHECK_EQ(ha_sent_l2cap_count(BH_L2CAP_CID_LE_SIGNALING), 1);
    sig_check_sent(0, "01 06 02 00 00 00");
    fake_ctrl_ncp(0x0041, 1);
    ha_disconn_complete(0x0041, 0x13);
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_l2cap_sig_table), BH_TEST(test_l2cap_sig_cpu_req_applied_by_central),
             BH_TEST(test_l2cap_sig_our_request_ids_and_matching),
             BH_TEST(test_l2cap_sig_rtx_expiry_fails_request),
             BH_TEST(test_l2cap_sig_central_cannot_send_request),
             BH_TEST(test_l2cap_sig_identifiers_skip_zero),
             BH_TEST(test_l2cap_sig_replies_wait_for_acl_buffer),
             BH_TEST(test_l2cap_sig_owed_replies_go_with_the_link))

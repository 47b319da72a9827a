/* SPDX-License-Identifier: MIT */
/*
 * test_l2cap_sig.c: the LE signalling channel (l2cap_sig.c) as a table of
 * PDU rows: for every handler, too short, trailing bytes, bad range, wrong
 * role, unsolicited response, plus unknown codes (Command Reject: Command
 * not understood), oversize commands (Signalling MTU exceeded), identifier
 * zero; then our own request under the RTX timer.
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

BH_TEST_MAIN(BH_TEST(test_l2cap_sig_table), BH_TEST(test_l2cap_sig_cpu_req_applied_by_central),
             BH_TEST(test_l2cap_sig_our_request_ids_and_matching),
             BH_TEST(test_l2cap_sig_rtx_expiry_fails_request),
             BH_TEST(test_l2cap_sig_central_cannot_send_request),
             BH_TEST(test_l2cap_sig_identifiers_skip_zero))

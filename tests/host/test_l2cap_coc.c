/* SPDX-License-Identifier: MIT */
/*
 * test_l2cap_coc.c: LE credit-based channels (l2cap_coc.c) against
 * fake_ctrl. Signalling as tables of hex rows (LE Credit Based Connection
 * Request with every result code, the response to our request, Flow
 * Control Credit Indication, Disconnection Request/Response: short,
 * trailing, bad CID, bad values, wrong state, unsolicited); then
 * segmentation and reassembly byte for byte, credits, the rules a peer
 * can break (no credit, above MPS, above MTU, past 65535 credits),
 * disconnects mid-transfer, several channels and links, and the API layer.
 * The controller has 8 LE ACL buffers of 251 bytes: a K-frame of our MPS
 * (247) is one ACL packet.
 */
#include "hostA_util.h"

#include "host/gap_spec.h"
#include "host/l2cap_coc.h"
#include "host/l2cap_sig.h"

#define C BH_GAP_ROLE_CENTRAL
#define P BH_GAP_ROLE_PERIPHERAL
#define H 0x0040 /* connection handle */
#define SIG BH_L2CAP_CID_LE_SIGNALING
#define PSM 0x0080
#define MPS 247    /* ours, BH_CONFIG_L2CAP_COC_MPS with the default ATT MTU */
#define CREDITS 16 /* 4096 / 247 */

static struct {
    int accept_ret;     /* what IRQ 22 answers */
    bool drain_on_recv; /* IRQ 25 drains the channel at once */
    uint8_t drained[4096];
    size_t drained_len;
} t;

static int coc_cb(void *ctx, const struct bh_ble_event *ev)
{
    (void)ha_cb(ctx, ev);
    if (ev->irq == BH_IRQ_L2CAP_ACCEPT) {
        return t.accept_ret;
    }
    if (ev->irq == BH_IRQ_L2CAP_RECV && t.drain_on_recv) {
        size_t n = sizeof(t.drained) - t.drained_len;

        BH_CHECK_EQ(bh_ble_l2cap_recvinto(ev->conn, ev->l2cap.cid, &t.drained[t.drained_len], &n),
                    0);
        t.drained_len += n;
    }
    return 0;
}

/* ha_setup() with a controller of 8 ACL buffers of 251 bytes. */
static void coc_setup(void)
{
    fake_ctrl_init();
    memset(&ha, 0, sizeof(ha));
    memset(&t, 0, sizeof(t));
    bh_ble_set_event_cb(coc_cb, NULL);
    bh_gap_set_auto_data_length(false);
    bh_gap_set_auto_2m_phy(false);
    fake_ctrl_set_reply(BH_HCI_OP_LE_READ_BUFFER_SIZE, "00 fb 00 08");
    BH_CHECK_EQ(bh_ble_init(), 0);
    ha.h4_errors = bh_hci_stats()->h4_errors;
    ha_clear();
}

/* ACL packets the host sent since the last clear are returned to it with
 * Number Of Completed Packets; the record then holds only what follows. */
static void coc_complete_all(uint16_t handle)
{
    unsigned n = 0;

    for (unsigned k = 0; k < fake_ctrl_sent_count(); k++) {
        const struct fake_pkt *s = fake_ctrl_sent(k);

        if (s->type == BH_H4_ACL && (s->data[0] | (s->data[1] & 0x0F) << 8) == handle) {
            n++;
        }
    }
    fake_ctrl_clear_sent(); /* before: what the completion lets out is recorded */
    if (n > 0) {
        fake_ctrl_ncp(handle, (uint16_t)n);
    }
}

static void coc_disconn(uint16_t handle)
{
    coc_complete_all(handle);
    ha_disconn_complete(handle, 0x13);
}

/* A K-frame (or any L2CAP payload) from the peer, built from bytes. */
static void coc_inject(uint16_t handle, uint16_t cid, const uint8_t *pl, uint16_t n)
{
    static uint8_t h4[9 + 600];

    BH_CHECK(n <= 600);
    h4[0] = BH_H4_ACL;
    h4[1] = (uint8_t)handle;
    h4[2] = (uint8_t)(0x20 | (handle >> 8));
    h4[3] = (uint8_t)(n + 4);
    h4[4] = (uint8_t)((n + 4) >> 8);
    h4[5] = (uint8_t)n;
    h4[6] = (uint8_t)(n >> 8);
    h4[7] = (uint8_t)cid;
    h4[8] = (uint8_t)(cid >> 8);
    memcpy(&h4[9], pl, n);
    fake_ctrl_inject(h4, (size_t)n + 9);
}

static void coc_check_sig(unsigned i, const char *hex)
{
    const uint8_t *p;
    uint16_t len;

    BH_CHECK(ha_sent_l2cap(SIG, i, &p, &len));
    BH_CHECK_HEX(p, len, hex);
}

static const struct bh_ble_event *coc_last_ev(void)
{
    BH_CHECK(ha.n > 0);
    return ha_ev(ha.n - 1);
}

/* The peer opens a channel to our PSM: its CID 0x0041, MTU 1024, MPS
 * mps, credits. Ours is returned (the first is 0x0040). */
static uint16_t coc_peer_opens(uint16_t handle, uint16_t mps, uint16_t credits)
{
    char hex[128];
    const struct bh_ble_event *ev;

    snprintf(hex, sizeof(hex), "14 21 0a 00 80 00 00 04 %02x %02x %02x %02x 41 00", mps & 0xFF,
             mps >> 8, credits & 0xFF, credits >> 8);
    fake_ctrl_clear_sent();
    ha_acl(handle, SIG, hex);
    ev = coc_last_ev();
    BH_CHECK_EQ(ev->irq, BH_IRQ_L2CAP_CONNECT);
    BH_CHECK_EQ(ev->conn, handle);
    coc_complete_all(handle);
    return ev->l2cap.cid;
}

/* ---- LE Credit Based Connection Request (4.22) -------------------------------------------- */

struct req_case {
    const char *name;
    const char *peer; /* C-frame */
    const char *host; /* our answer on CID 5 */
    uint8_t sec;      /* listener's BH_L2CAP_COC_SEC_* */
    uint8_t link;     /* 1 encrypted, 2 encrypted+authenticated, 4 bonded, 8 key size 7 */
    int accept_ret;
    unsigned irqs; /* IRQ 22 and 23 on success: 2; a refusal by the hook: 1 */
};

/* Success: DCID 0x0040, MTU 512, MPS 247, 16 credits. */
#define RSP_OK(id) "15 " id " 0a 00 40 00 00 02 f7 00 10 00 00 00"
#define RSP_ERR(id, r) "15 " id " 0a 00 00 00 00 00 00 00 00 00 " r " 00"
#define REQ(id, psm, mtu, mps, cr, scid) "14 " id " 0a 00 " psm " " mtu " " mps " " cr " " scid

static const struct req_case req_cases[] = {
    {"accepted", REQ("01", "80 00", "00 02", "f7 00", "05 00", "41 00"), RSP_OK("01"), 0, 0, 0, 2},
    {"psm not supported", REQ("02", "81 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_ERR("02", "02"), 0, 0, 0, 0},
    {"psm zero", REQ("03", "00 00", "00 02", "f7 00", "05 00", "41 00"), RSP_ERR("03", "02"), 0, 0,
     0, 0},
    {"scid below dynamic", REQ("04", "80 00", "00 02", "f7 00", "05 00", "3f 00"),
     RSP_ERR("04", "09"), 0, 0, 0, 0},
    {"scid above LE range", REQ("05", "80 00", "00 02", "f7 00", "05 00", "80 00"),
     RSP_ERR("05", "09"), 0, 0, 0, 0},
    {"mtu 22", REQ("06", "80 00", "16 00", "f7 00", "05 00", "41 00"), RSP_ERR("06", "0b"), 0, 0, 0,
     0},
    {"mtu 23 ok", REQ("07", "80 00", "17 00", "17 00", "05 00", "41 00"), RSP_OK("07"), 0, 0, 0, 2},
    {"mps 22", REQ("08", "80 00", "00 02", "16 00", "05 00", "41 00"), RSP_ERR("08", "0b"), 0, 0, 0,
     0},
    {"mps 65534", REQ("09", "80 00", "00 02", "fe ff", "05 00", "41 00"), RSP_ERR("09", "0b"), 0, 0,
     0, 0},
    {"mps 65533 ok", REQ("0a", "80 00", "00 02", "fd ff", "00 00", "41 00"), RSP_OK("0a"), 0, 0, 0,
     2},
    {"needs encryption, never paired", REQ("0b", "80 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_ERR("0b", "05"), BH_L2CAP_COC_SEC_ENCRYPT, 0, 0, 0},
    {"needs encryption, bonded", REQ("0c", "80 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_ERR("0c", "08"), BH_L2CAP_COC_SEC_ENCRYPT, 4, 0, 0},
    {"needs encryption, encrypted", REQ("0d", "80 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_OK("0d"), BH_L2CAP_COC_SEC_ENCRYPT, 1, 0, 2},
    {"needs authentication, unauthenticated",
     REQ("0e", "80 00", "00 02", "f7 00", "05 00", "41 00"), RSP_ERR("0e", "05"),
     BH_L2CAP_COC_SEC_AUTHEN, 1, 0, 0},
    {"needs authentication, authenticated", REQ("0f", "80 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_OK("0f"), BH_L2CAP_COC_SEC_AUTHEN, 2, 0, 2},
    {"needs 128-bit key, has 56", REQ("10", "80 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_ERR("10", "07"), BH_L2CAP_COC_SEC_KEY16, 1 | 8, 0, 0},
    {"hook refuses", REQ("11", "80 00", "00 02", "f7 00", "05 00", "41 00"), RSP_ERR("11", "04"), 0,
     0, 1, 1},
    {"hook refuses, authorization", REQ("12", "80 00", "00 02", "f7 00", "05 00", "41 00"),
     RSP_ERR("12", "06"), BH_L2CAP_COC_SEC_AUTHOR, 0, 7, 1},
    {"short", "14 13 09 00 80 00 00 02 f7 00 05 00 41", "01 13 02 00 00 00", 0, 0, 0, 0},
    {"trailing", "14 14 0b 00 80 00 00 02 f7 00 05 00 41 00 00", "01 14 02 00 00 00", 0, 0, 0, 0},
};

static void run_req_case(const struct req_case *k)
{
    const uint8_t *p;
    uint16_t len;
    uint8_t want[64];
    int n = bh_test_hex(k->host, want, sizeof(want));
    struct bh_conn *c;

    coc_setup();
    t.accept_ret = k->accept_ret;
    c = ha_conn_up(H, P);
    c->encrypted = (k->link & 3) != 0;
    c->authenticated = (k->link & 2) != 0;
    c->bonded = (k->link & 4) != 0;
    c->key_size = (k->link & 8) ? 7 : 16;
    BH_CHECK_EQ(bh_l2cap_coc_listen(PSM, 512, k->sec), 0);
    ha_acl(H, SIG, k->peer);
    if (!ha_sent_l2cap(SIG, 0, &p, &len) || len != n || memcmp(p, want, (size_t)n) != 0 ||
        ha_sent_l2cap_count(SIG) != 1 || ha.n != k->irqs) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    if (k->irqs >= 1 && (ha_ev(0)->irq != BH_IRQ_L2CAP_ACCEPT || ha_ev(0)->l2cap.psm != PSM ||
                         ha_ev(0)->l2cap.our_mtu != 512 || ha_ev(0)->l2cap.cid != 0x0040)) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    if (k->irqs == 2 && ha_ev(1)->irq != BH_IRQ_L2CAP_CONNECT) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_conn_req_table(void)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(req_cases); i++) {
        run_req_case(&req_cases[i]);
    }
}

static void test_l2cap_coc_conn_req_scid_in_use_and_no_resources(void)
{
    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    ha_acl(H, SIG, REQ("01", "80 00", "00 02", "f7 00", "05 00", "41 00"));
    ha_acl(H, SIG, REQ("02", "80 00", "00 02", "f7 00", "05 00", "41 00"));
    coc_check_sig(1, RSP_ERR("02", "0a"));
    /* Fill the pool: channels 0x0041.. of ours for peer CIDs 0x42.. */
    for (unsigned i = 1; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        char hex[64];

        snprintf(hex, sizeof(hex), REQ("%02x", "80 00", "00 02", "f7 00", "05 00", "%02x 00"),
                 0x10 + i, 0x41 + i);
        ha_acl(H, SIG, hex);
    }
    BH_CHECK_EQ(ha.n, 2 * BH_CONFIG_L2CAP_COC_MAX_CHAN);
    ha_acl(H, SIG, REQ("30", "80 00", "00 02", "f7 00", "05 00", "7f 00"));
    coc_check_sig(1 + BH_CONFIG_L2CAP_COC_MAX_CHAN, RSP_ERR("30", "04"));
    BH_CHECK_EQ(bh_l2cap_coc_stats()->conn_refused, 2);
    coc_disconn(H);
    BH_CHECK_EQ(ha.n, 3 * BH_CONFIG_L2CAP_COC_MAX_CHAN + 1); /* IRQ 24 each, then 2 */
    ha_teardown();
}

/* ---- our LE Credit Based Connection Request and its response (4.23) ----------------------- */

struct rsp_case {
    const char *name;
    const char *peer; /* the answer to our request (id 01) */
    uint8_t irq;      /* 0: nothing happens */
    uint16_t status;  /* IRQ 24's */
    const char *then; /* a Disconnection Request we send, or "" */
};

static const struct rsp_case rsp_cases[] = {
    {"success", "15 01 0a 00 41 00 00 01 40 00 03 00 00 00", BH_IRQ_L2CAP_CONNECT, 0, ""},
    {"psm not supported", "15 01 0a 00 00 00 00 00 00 00 00 00 02 00", BH_IRQ_L2CAP_DISCONNECT, 2,
     ""},
    {"insufficient encryption", "15 01 0a 00 00 00 00 00 00 00 00 00 08 00",
     BH_IRQ_L2CAP_DISCONNECT, 8, ""},
    {"wrong identifier", "15 02 0a 00 41 00 00 01 40 00 03 00 00 00", 0, 0, ""},
    {"short", "15 01 09 00 41 00 00 01 40 00 03 00 00", 0, 0, ""},
    {"trailing", "15 01 0b 00 41 00 00 01 40 00 03 00 00 00 00", 0, 0, ""},
    {"dcid invalid", "15 01 0a 00 01 00 00 01 40 00 03 00 00 00", BH_IRQ_L2CAP_DISCONNECT, 0x0b,
     ""},
    {"mtu 22", "15 01 0a 00 41 00 16 00 40 00 03 00 00 00", BH_IRQ_L2CAP_DISCONNECT, 0x0b,
     "06 02 04 00 41 00 40 00"},
    {"mps 22", "15 01 0a 00 41 00 00 01 16 00 03 00 00 00", BH_IRQ_L2CAP_DISCONNECT, 0x0b,
     "06 02 04 00 41 00 40 00"},
    {"command reject", "01 01 02 00 00 00", BH_IRQ_L2CAP_DISCONNECT, BH_L2CAP_COC_STATUS_REFUSED,
     ""},
    {"disconnection rsp instead", "07 01 04 00 41 00 40 00", 0, 0, ""},
};

static void run_rsp_case(const struct rsp_case *k)
{
    coc_setup();
    ha_conn_up(H, C);
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 256), 0);
    /* SPSM 0x80, MTU 256, MPS 247, 16 credits, our CID 0x0040. */
    coc_check_sig(0, "14 01 0a 00 80 00 00 01 f7 00 10 00 40 00");
    fake_ctrl_clear_sent();
    ha_acl(H, SIG, k->peer);
    if (ha.n != (k->irq != 0) || (k->irq != 0 && coc_last_ev()->irq != k->irq) ||
        (k->irq != 0 && coc_last_ev()->l2cap.status != k->status)) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    if (k->irq == BH_IRQ_L2CAP_CONNECT &&
        (coc_last_ev()->l2cap.cid != 0x40 || coc_last_ev()->l2cap.peer_mtu != 256 ||
         coc_last_ev()->l2cap.our_mtu != 256 || coc_last_ev()->l2cap.psm != PSM)) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    if (k->then[0] != '\0') {
        coc_check_sig(0, k->then);
    } else if (ha_sent_l2cap_count(SIG) != 0) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_conn_rsp_table(void)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(rsp_cases); i++) {
        run_rsp_case(&rsp_cases[i]);
    }
}

static void test_l2cap_coc_conn_rtx_expiry_fails_connect(void)
{
    coc_setup();
    ha_conn_up(H, C);
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 256), 0);
    fake_ctrl_advance(BH_CONFIG_L2CAP_SIG_TIMEOUT_MS - 1);
    BH_CHECK_EQ(ha.n, 0);
    fake_ctrl_advance(1);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, BH_L2CAP_COC_STATUS_TIMEOUT);
    BH_CHECK_EQ(bh_l2cap_coc_stats()->rtx_timeouts, 1);
    /* The late answer is unsolicited; a new connect works. */
    ha_acl(H, SIG, "15 01 0a 00 41 00 00 01 40 00 03 00 00 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(bh_l2cap_coc_stats()->rx_unexpected_rsp, 1);
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 256), 0);
    coc_check_sig(1, "14 02 0a 00 80 00 00 01 f7 00 10 00 40 00");
    /* The link drops while we wait: IRQ 24 with ENOTCONN, no RTX later. */
    coc_disconn(H);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(1)->l2cap.status, BH_L2CAP_COC_STATUS_NOT_CONNECTED);
    fake_ctrl_advance(BH_CONFIG_L2CAP_SIG_TIMEOUT_MS);
    BH_CHECK_EQ(bh_l2cap_coc_stats()->rtx_timeouts, 1);
    ha_teardown();
}

/* ---- Flow Control Credit Indication (4.24) and Disconnection (4.6, 4.7) ------------------- */

struct ind_case {
    const char *name;
    const char *peer;
    const char *host; /* our answer on CID 5, or "" */
    uint8_t irq;      /* what the application sees, or 0 */
};

static const struct ind_case ind_cases[] = {
    {"credits", "16 05 04 00 41 00 05 00", "", 0},
    {"credits for an unknown cid", "16 05 04 00 42 00 05 00", "", 0},
    {"credits for our own cid", "16 05 04 00 40 00 05 00", "", 0},
    {"credits short", "16 05 03 00 41 00 05", "01 05 02 00 00 00", 0},
    {"credits trailing", "16 05 05 00 41 00 05 00 00", "01 05 02 00 00 00", 0},
    /* 10 held + 65526 = 65536: the channel goes. */
    {"credits past 65535", "16 05 04 00 41 00 f6 ff", "06 01 04 00 41 00 40 00", 0},
    {"credits up to 65535", "16 05 04 00 41 00 f5 ff", "", 0},
    {"disconnection req", "06 06 04 00 40 00 41 00", "07 06 04 00 40 00 41 00",
     BH_IRQ_L2CAP_DISCONNECT},
    {"disconnection req unknown dcid", "06 06 04 00 42 00 41 00", "01 06 06 00 02 00 42 00 41 00",
     0},
    {"disconnection req wrong scid", "06 06 04 00 40 00 45 00", "01 06 06 00 02 00 40 00 45 00", 0},
    {"disconnection req short", "06 06 03 00 40 00 41", "01 06 02 00 00 00", 0},
    {"disconnection req trailing", "06 06 05 00 40 00 41 00 00", "01 06 02 00 00 00", 0},
    {"disconnection rsp unsolicited", "07 06 04 00 41 00 40 00", "", 0},
    {"disconnection rsp short", "07 06 03 00 41 00 40", "", 0},
    {"conn rsp unsolicited", "15 06 0a 00 41 00 00 01 40 00 03 00 00 00", "", 0},
};

static void run_ind_case(const struct ind_case *k)
{
    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    ha.n = 0;
    ha_acl(H, SIG, k->peer);
    if (k->host[0] == '\0' ? ha_sent_l2cap_count(SIG) != 0 : ha_sent_l2cap_count(SIG) != 1) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    if (k->host[0] != '\0') {
        coc_check_sig(0, k->host);
    }
    if (ha.n != (k->irq != 0) || (k->irq != 0 && ha_ev(0)->irq != k->irq)) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_ind_and_disconn_table(void)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(ind_cases); i++) {
        run_ind_case(&ind_cases[i]);
    }
}

static void test_l2cap_coc_our_disconnect_both_sides_get_irq24(void)
{
    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    ha.n = 0;
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(H, 0x0040), 0);
    coc_check_sig(0, "06 01 04 00 41 00 40 00");
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(H, 0x0040), -EALREADY);
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(H, 0x0041), -EINVAL);
    /* Data in flight is dropped; a response with other CIDs is not ours. */
    ha_acl(H, 0x0040, "02 00 aa bb");
    ha_acl(H, SIG, "07 01 04 00 40 00 41 00");
    BH_CHECK_EQ(ha.n, 0);
    ha_acl(H, SIG, "07 01 04 00 41 00 40 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, 0);
    BH_CHECK_EQ(ha_ev(0)->l2cap.cid, 0x0040);
    /* The listener accepts again, with the same CID. */
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    /* RTX on our Disconnection Request: closed anyway, status 0. */
    ha.n = 0;
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(H, 0x0040), 0);
    fake_ctrl_advance(BH_CONFIG_L2CAP_SIG_TIMEOUT_MS);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, 0);
    coc_disconn(H);
    ha_teardown();
}

/* ---- data ---------------------------------------------------------------------------------- */

static void coc_pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
    }
}

/* Reassemble what we sent on peer CID 0x0041 as the peer would: returns
 * the SDU count and checks every frame against mps. */
static unsigned coc_collect(uint8_t *out, size_t *out_len, uint16_t mps, unsigned *frames)
{
    const uint8_t *p;
    uint16_t len;
    unsigned sdus = 0;
    size_t left = 0;

    for (unsigned i = 0; ha_sent_l2cap(0x0041, i, &p, &len); i++) {
        BH_CHECK(len <= mps);
        (*frames)++;
        if (left == 0) {
            BH_CHECK(len >= 2);
            left = bh_get_le16(p);
            p += 2;
            len = (uint16_t)(len - 2);
            sdus++;
        }
        BH_CHECK(len <= left);
        memcpy(&out[*out_len], p, len);
        *out_len += len;
        left -= len;
    }
    BH_CHECK_EQ(left, 0);
    return sdus;
}

static void test_l2cap_coc_send_segments_byte_for_byte(void)
{
    static uint8_t sdu[1100];
    static uint8_t got[1100];
    size_t got_len = 0;
    unsigned frames = 0;
    const uint8_t *p;
    uint16_t len;
    bool stalled;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 100), 0x0040);
    coc_pattern(sdu, sizeof(sdu), 1);
    /* 600 bytes: 2+245, 247, 108 */
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 600, &stalled), 0);
    BH_CHECK(!stalled);
    BH_CHECK_EQ(ha_sent_l2cap_count(0x0041), 3);
    BH_CHECK(ha_sent_l2cap(0x0041, 0, &p, &len));
    BH_CHECK_EQ(len, 247);
    BH_CHECK_EQ(bh_get_le16(p), 600);
    BH_CHECK_MEM(p + 2, sdu, 245);
    BH_CHECK(ha_sent_l2cap(0x0041, 2, &p, &len));
    BH_CHECK_EQ(len, 108);
    BH_CHECK_MEM(p, sdu + 492, 108);
    coc_complete_all(H);
    /* Every size 0..1022, MPS 247: reassembled byte for byte. */
    for (unsigned n = 0; n <= 1022; n += (n < 40 ? 1 : 37)) {
        got_len = 0;
        frames = 0;
        coc_pattern(sdu, n, n);
        BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, n, &stalled), 0);
        BH_CHECK_EQ(coc_collect(got, &got_len, MPS, &frames), 1);
        BH_CHECK_EQ(got_len, n);
        BH_CHECK_MEM(got, sdu, n);
        BH_CHECK_EQ(frames, (n + 2 + MPS - 1) / MPS);
        coc_complete_all(H);
        ha_acl(H, SIG, "16 05 04 00 41 00 10 00");
        coc_complete_all(H);
    }
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_send_small_peer_mps_and_limits(void)
{
    static uint8_t sdu[1022];
    static uint8_t got[1100];
    size_t got_len = 0;
    unsigned frames = 0;
    bool stalled;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, 23, 200), 0x0040); /* peer MTU 1024, MPS 23 */
    coc_pattern(sdu, sizeof(sdu), 9);
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 100, &stalled), 0);
    BH_CHECK_EQ(coc_collect(got, &got_len, 23, &frames), 1);
    BH_CHECK_EQ(frames, 5); /* 21 + 4 x 23 = 113 > 100 */
    BH_CHECK_MEM(got, sdu, 100);
    coc_complete_all(H);
    /* Above the transmit ring (1022) or the peer's MTU: EINVAL. */
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 1023, &stalled), -EINVAL);
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x41, sdu, 10, &stalled), -EINVAL);
    BH_CHECK_EQ(bh_ble_l2cap_send(H + 1, 0x40, sdu, 10, &stalled), -ENOTCONN);
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_send_waits_for_credits_then_irq26(void)
{
    static uint8_t sdu[1000];
    static uint8_t got[1300];
    size_t got_len = 0;
    unsigned frames = 0;
    bool stalled;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 2), 0x0040);
    ha.n = 0;
    coc_pattern(sdu, sizeof(sdu), 3);
    /* 600 bytes need 3 frames; 2 credits: one frame waits, and a second SDU
     * of the largest size (1022) would not fit: stalled. */
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 600, &stalled), 0);
    BH_CHECK(stalled);
    BH_CHECK_EQ(ha_sent_l2cap_count(0x0041), 2);
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 1000, &stalled), -ENOMEM);
    BH_CHECK(stalled);
    /* One credit: the last frame goes, the ring is empty: IRQ 26. */
    ha_acl(H, SIG, "16 05 04 00 41 00 01 00");
    BH_CHECK_EQ(ha_sent_l2cap_count(0x0041), 3);
    BH_CHECK_EQ(coc_collect(got, &got_len, MPS, &frames), 1);
    BH_CHECK_MEM(got, sdu, 600);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_SEND_READY);
    BH_CHECK_EQ(ha_ev(0)->l2cap.cid, 0x0040);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, 0);
    coc_complete_all(H);
    /* No credit left: even a small SDU waits, stalled until it is out. */
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 10, &stalled), 0);
    BH_CHECK(stalled);
    BH_CHECK_EQ(ha_sent_l2cap_count(0x0041), 0);
    ha_acl(H, SIG, "16 05 04 00 41 00 05 00");
    BH_CHECK_EQ(ha_sent_l2cap_count(0x0041), 1);
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_L2CAP_SEND_READY);
    /* With credits in hand nothing stalls. */
    coc_complete_all(H);
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 10, &stalled), 0);
    BH_CHECK(!stalled);
    BH_CHECK_EQ(ha.n, 2);
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_send_waits_for_acl_buffers(void)
{
    static uint8_t sdu[1022];
    bool stalled;
    unsigned total = 0;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 1000), 0x0040);
    ha.n = 0;
    /* 8 controller buffers, 8 host buffers: 5 SDUs of 1022 = 25 frames. */
    for (int i = 0; i < 5; i++) {
        int err = bh_ble_l2cap_send(H, 0x40, sdu, sizeof(sdu), &stalled);

        if (err == -ENOMEM) {
            BH_CHECK(stalled);
            while (ha.n == 0) {
                unsigned n = ha_sent_l2cap_count(0x0041);

                BH_CHECK(n > 0);
                total += n;
                coc_complete_all(H);
            }
            ha.n = 0;
            err = bh_ble_l2cap_send(H, 0x40, sdu, sizeof(sdu), &stalled);
        }
        BH_CHECK_EQ(err, 0);
    }
    while (ha_sent_l2cap_count(0x0041) > 0) {
        total += ha_sent_l2cap_count(0x0041);
        coc_complete_all(H);
    }
    BH_CHECK_EQ(total, 25);
    BH_CHECK(bh_l2cap_coc_stats()->tx_no_buf > 0);
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_recv_reassembles_and_returns_credits(void)
{
    static uint8_t sdu[600];
    uint8_t frame[300];
    uint8_t out[700];
    size_t n;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 700), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    ha.n = 0;
    coc_pattern(sdu, sizeof(sdu), 5);
    /* 600 bytes in three K-frames: 2+245, 247, 108. */
    bh_put_le16(frame, 600);
    memcpy(frame + 2, sdu, 245);
    coc_inject(H, 0x0040, frame, 247);
    coc_inject(H, 0x0040, sdu + 245, 247);
    n = 99;
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, NULL, &n), 0);
    BH_CHECK_EQ(n, 0); /* incomplete SDU: nothing to read */
    BH_CHECK_EQ(ha.n, 0);
    coc_inject(H, 0x0040, sdu + 492, 108);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_RECV);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, NULL, &n), 0);
    BH_CHECK_EQ(n, 600);
    /* A partial read keeps the credits (13 of 16 free < half)... */
    n = 100;
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, out, &n), 0);
    BH_CHECK_EQ(n, 100);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    /* ...draining returns the 3 the peer used. */
    n = sizeof(out) - 100;
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, out + 100, &n), 0);
    BH_CHECK_EQ(n, 500);
    BH_CHECK_MEM(out, sdu, 600);
    coc_check_sig(0, "16 01 04 00 40 00 03 00");
    n = 5;
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, out, &n), 0);
    BH_CHECK_EQ(n, 0);
    /* An empty SDU: no IRQ 25, its credit comes back at once. */
    coc_inject(H, 0x0040, (const uint8_t *)"\0\0", 2);
    BH_CHECK_EQ(ha.n, 1);
    coc_check_sig(1, "16 02 04 00 40 00 01 00");
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_recv_pipelines_full_window(void)
{
    static uint8_t sdu[3950];
    static uint8_t frame[MPS];
    size_t off = 0;
    unsigned nframes = 0;

    coc_setup();
    ha_conn_up(H, P);
    t.drain_on_recv = true;
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 65535), 0); /* clamped to 16 x 247 - 2 */
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    BH_CHECK_EQ(ha_ev(0)->l2cap.our_mtu, 3950);
    coc_pattern(sdu, sizeof(sdu), 11);
    /* The largest SDU takes all 16 credits without a credit in between. */
    while (off < sizeof(sdu)) {
        uint16_t n = 0;

        if (off == 0) {
            bh_put_le16(frame, sizeof(sdu));
            n = 2;
        }
        size_t room = (size_t)(MPS - n);
        uint16_t take = (uint16_t)(sizeof(sdu) - off < room ? sizeof(sdu) - off : room);
        memcpy(frame + n, sdu + off, take);
        coc_inject(H, 0x0040, frame, (uint16_t)(n + take));
        off += take;
        nframes++;
    }
    BH_CHECK_EQ(nframes, CREDITS);
    BH_CHECK_EQ(t.drained_len, sizeof(sdu));
    BH_CHECK_MEM(t.drained, sdu, sizeof(sdu));
    coc_check_sig(0, "16 01 04 00 40 00 10 00");
    BH_CHECK_EQ(bh_l2cap_coc_stats()->rx_no_credit, 0);
    coc_disconn(H);
    ha_teardown();
}

/* ---- a peer that breaks the rules loses the channel ---------------------------------------- */

struct bad_case {
    const char *name;
    const char *frames[4]; /* K-frames on CID 0x0040, NULL-terminated */
    uint32_t stat_off;     /* which counter goes up */
};

#define STAT(f) offsetof(struct bh_l2cap_coc_stats, f)

static const struct bad_case bad_cases[] = {
    {"sdu above mtu", {"21 00 00", NULL}, STAT(rx_over_mtu)},
    {"first frame short", {"05", NULL}, STAT(rx_bad_sdu)},
    {"frames beyond the sdu", {"03 00 01 02", "03 04", NULL}, STAT(rx_bad_sdu)},
    {"frame beyond the sdu at once", {"02 00 01 02 03", NULL}, STAT(rx_bad_sdu)},
    {"frame without credit", {"01 00 01", "01 00 02", "01 00 03", NULL}, STAT(rx_no_credit)},
};

static void run_bad_case(const struct bad_case *k)
{
    uint32_t before;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 32), 0);
    ha_acl(H, SIG, "14 21 0a 00 80 00 00 04 f7 00 0a 00 41 00");
    coc_complete_all(H);
    /* The first two cases but one: give the peer only 2 credits left. */
    before = *(const uint32_t *)((const uint8_t *)bh_l2cap_coc_stats() + k->stat_off);
    if (k->stat_off == STAT(rx_no_credit)) {
        static uint8_t one[3] = {1, 0, 0};

        for (int i = 0; i < CREDITS - 2; i++) {
            coc_inject(H, 0x0040, one, 3);
        }
    }
    ha.n = 0;
    for (unsigned i = 0; k->frames[i] != NULL; i++) {
        ha_acl(H, 0x0040, k->frames[i]);
    }
    if (*(const uint32_t *)((const uint8_t *)bh_l2cap_coc_stats() + k->stat_off) != before + 1) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    /* Disconnection Request, then IRQ 24 when the peer answers. */
    coc_check_sig(0, "06 01 04 00 41 00 40 00");
    ha_acl(H, SIG, "07 01 04 00 41 00 40 00");
    if (coc_last_ev()->irq != BH_IRQ_L2CAP_DISCONNECT) {
        bh_test_fail(__FILE__, __LINE__, k->name);
    }
    coc_disconn(H);
    ha_teardown();
}

static void test_l2cap_coc_peer_violations_disconnect(void)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(bad_cases); i++) {
        run_bad_case(&bad_cases[i]);
    }
}

static void test_l2cap_coc_frame_above_mps_disconnects(void)
{
    static uint8_t big[MPS + 1];

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    bh_put_le16(big, 300);
    coc_inject(H, 0x0040, big, MPS + 1);
    BH_CHECK_EQ(bh_l2cap_coc_stats()->rx_over_mps, 1);
    coc_check_sig(0, "06 01 04 00 41 00 40 00");
    /* The peer asks too, in the crossing: we answer and close. */
    ha_acl(H, SIG, "06 07 04 00 40 00 41 00");
    coc_check_sig(1, "07 07 04 00 40 00 41 00");
    BH_CHECK_EQ(coc_last_ev()->irq, BH_IRQ_L2CAP_DISCONNECT);
    coc_disconn(H);
    ha_teardown();
}

/* ---- several channels, links; disconnect mid-transfer --------------------------------------- */

static void test_l2cap_coc_link_drop_mid_transfer_then_next_channel_works(void)
{
    static uint8_t sdu[1000];
    bool stalled;
    size_t n;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 2), 0x0040);
    /* Half an SDU each way, and frames queued in the host. */
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, 1000, &stalled), 0);
    BH_CHECK(stalled);
    ha_acl(H, 0x0040, "10 00 01 02 03");
    ha.n = 0;
    coc_disconn(H);
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, 0);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_CENTRAL_DISCONNECT);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, NULL, &n), -ENOTCONN);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    /* A new link: the listener still accepts, data flows. */
    ha_conn_up(H + 1, P);
    BH_CHECK_EQ(coc_peer_opens(H + 1, MPS, 2), 0x0040);
    ha.n = 0;
    ha_acl(H + 1, 0x0040, "03 00 01 02 03");
    n = 3;
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H + 1, 0x40, sdu, &n), 0);
    BH_CHECK_EQ(n, 3);
    BH_CHECK_HEX(sdu, 3, "01 02 03");
    coc_disconn(H + 1);
    ha_teardown();
}

static void test_l2cap_coc_channels_across_links_are_independent(void)
{
    uint8_t out[8];
    size_t n;

    coc_setup();
    ha_conn_up(H, P);
    ha_conn_up(H + 1, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(bh_ble_l2cap_listen(0x0081, 100), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    BH_CHECK_EQ(coc_peer_opens(H + 1, MPS, 10), 0x0040); /* same CID, other link */
    ha_acl(H, SIG, "14 22 0a 00 81 00 00 04 f7 00 0a 00 42 00");
    coc_check_sig(0, "15 22 0a 00 41 00 64 00 f7 00 10 00 00 00");
    coc_complete_all(H);
    ha_acl(H, 0x0040, "02 00 aa 01");
    ha_acl(H, 0x0041, "02 00 bb 02");
    ha_acl(H + 1, 0x0040, "02 00 cc 03");
    n = sizeof(out);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x41, out, &n), 0);
    BH_CHECK_HEX(out, n, "bb 02");
    n = sizeof(out);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H + 1, 0x40, out, &n), 0);
    BH_CHECK_HEX(out, n, "cc 03");
    n = sizeof(out);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, out, &n), 0);
    BH_CHECK_HEX(out, n, "aa 01");
    /* One link goes: only its two channels close. */
    ha.n = 0;
    coc_disconn(H);
    BH_CHECK_EQ(ha.n, 3);
    n = 1;
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H + 1, 0x40, NULL, &n), 0);
    coc_disconn(H + 1);
    ha_teardown();
}

/* Our data frames on channel 0x0040 take every ACL transmit buffer (the
 * sent record keeps them, for coc_complete_all()). */
static void coc_fill_acl_pool(void)
{
    static uint8_t sdu[1022];
    bool stalled;

    for (int i = 0; i < 4 && bh_buf_pool_free_count(bh_hci_acl_pool()) > 0; i++) {
        BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, sdu, sizeof(sdu), &stalled), 0);
    }
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), 0);
}

/* The peer's Disconnection Request while our data holds every ACL buffer:
 * IRQ 24 at once; the Disconnection Response is owed, not dropped (the
 * peer would wait for its RTX), and goes out when a buffer returns; only
 * then are the slot and CID free. If the link drops first, the owed
 * response goes with it, without a second IRQ 24. */
static void test_l2cap_coc_disconn_rsp_waits_for_acl_buffer(void)
{
    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 1000), 0x0040);
    coc_fill_acl_pool();
    ha.n = 0;
    ha_acl(H, SIG, "06 07 04 00 40 00 41 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(0)->l2cap.cid, 0x0040);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, 0);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    for (int k = 0; k < 8 && ha_sent_l2cap_count(SIG) == 0; k++) {
        coc_complete_all(H);
    }
    coc_check_sig(0, "07 07 04 00 40 00 41 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 1000), 0x0040);
    /* again, and the link drops before any buffer returns */
    coc_fill_acl_pool();
    ha.n = 0;
    ha_acl(H, SIG, "06 08 04 00 40 00 41 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    ha_disconn_complete(H, 0x13);
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_CENTRAL_DISCONNECT);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    ha_conn_up(H + 1, P);
    BH_CHECK_EQ(coc_peer_opens(H + 1, MPS, 10), 0x0040);
    coc_disconn(H + 1);
    ha_teardown();
}

/* Take every ACL transmit buffer out of the pool; returns how many. */
static unsigned coc_hold_acl_pool(struct bh_buf **held)
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

static void coc_release_acl(struct bh_buf **held, unsigned *n, unsigned count)
{
    while (count-- > 0 && *n > 0) {
        bh_buf_unref(held[--*n]);
    }
    fake_ctrl_pump(); /* the pool's waiters run */
}

/* Every ACL buffer held: the accepted channel's Connection Response, a
 * refusal and a Command Reject are all owed, not dropped. The channel
 * stays ACCEPTING (no IRQ 23, no data) until its response goes out; the
 * peer's repeated request is answered once, with its newest identifier.
 * One freed buffer lets all three out, in the order they became owed. */
static void test_l2cap_coc_conn_rsp_and_reject_wait_for_acl_buffer(void)
{
    struct bh_buf *held[BH_CONFIG_ACL_TX_BUF_COUNT];
    unsigned n;
    bool stalled;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    n = coc_hold_acl_pool(held);
    ha_acl(H, SIG, REQ("21", "80 00", "00 04", "f7 00", "0a 00", "41 00"));
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_ACCEPT);
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, (const uint8_t *)"x", 1, &stalled), -EINVAL);
    ha_acl(H, SIG, REQ("22", "80 00", "00 04", "f7 00", "0a 00", "41 00")); /* its RTX */
    BH_CHECK_EQ(bh_l2cap_coc_stats()->tx_owed_dropped, 1);
    ha_acl(H, SIG, REQ("23", "81 00", "00 04", "f7 00", "0a 00", "42 00"));
    ha_acl(H, SIG, "06 24 04 00 45 00 41 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    BH_CHECK_EQ(bh_l2cap_sig_stats()->tx_owed, 2);
    coc_release_acl(held, &n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 3);
    coc_check_sig(0, RSP_OK("22"));
    coc_check_sig(1, RSP_ERR("23", "02"));
    coc_check_sig(2, "01 24 06 00 02 00 45 00 41 00");
    BH_CHECK_EQ(ha.n, 2);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_L2CAP_CONNECT);
    BH_CHECK_EQ(ha_ev(1)->l2cap.cid, 0x0040);
    BH_CHECK_EQ(bh_l2cap_sig_stats()->tx_owed_dropped, 0);
    coc_release_acl(held, &n, n);
    /* the channel is open for real now */
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, (const uint8_t *)"x", 1, &stalled), 0);
    coc_disconn(H);
    ha_teardown();
}

/* A bad Connection Response while no buffer is free: IRQ 24 at once, and
 * the Disconnection Request naming the peer's CID is owed until one frees. */
static void test_l2cap_coc_disconn_req_after_bad_rsp_waits_for_acl_buffer(void)
{
    struct bh_buf *held[BH_CONFIG_ACL_TX_BUF_COUNT];
    const uint8_t *p;
    uint16_t len;
    unsigned n;
    char hex[64];

    coc_setup();
    ha_conn_up(H, C);
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 512), 0);
    BH_CHECK(ha_sent_l2cap(SIG, 0, &p, &len));
    BH_CHECK_EQ(p[0], 0x14);
    snprintf(hex, sizeof(hex), "15 %02x 0a 00 41 00 16 00 f7 00 05 00 00 00", p[1]); /* MTU 22 */
    coc_complete_all(H);
    n = coc_hold_acl_pool(held);
    ha.n = 0;
    ha_acl(H, SIG, hex);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(0)->l2cap.status, BH_L2CAP_LE_RESULT_UNACCEPTABLE_PARAMS);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    coc_release_acl(held, &n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 1);
    BH_CHECK(ha_sent_l2cap(SIG, 0, &p, &len));
    BH_CHECK_EQ(len, 8);
    BH_CHECK_HEX(p, 1, "06");
    BH_CHECK_HEX(&p[2], 6, "04 00 41 00 40 00");
    coc_release_acl(held, &n, n);
    coc_disconn(H);
    ha_teardown();
}

/* The peer repeats its Disconnection Request (its RTX) while our response
 * is owed: no Command Reject for the closed channel, one response, with
 * the newest identifier; the superseded one is counted. */
static void test_l2cap_coc_repeated_disconn_req_while_rsp_owed(void)
{
    struct bh_buf *held[BH_CONFIG_ACL_TX_BUF_COUNT];
    unsigned n;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040);
    n = coc_hold_acl_pool(held);
    ha.n = 0;
    ha_acl(H, SIG, "06 07 04 00 40 00 41 00");
    ha_acl(H, SIG, "06 09 04 00 40 00 41 00");
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(bh_l2cap_coc_stats()->tx_owed_dropped, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    coc_release_acl(held, &n, 1);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 1);
    coc_check_sig(0, "07 09 04 00 40 00 41 00");
    coc_release_acl(held, &n, n);
    BH_CHECK_EQ(coc_peer_opens(H, MPS, 10), 0x0040); /* the slot and CID are free */
    coc_disconn(H);
    ha_teardown();
}

/* The link drops while a Connection Response, a refusal and a Command
 * Reject are owed: the accepting channel ends with IRQ 24 (not
 * connected), nothing goes out when buffers free, nothing leaks, and the
 * slot serves the next link. */
static void test_l2cap_coc_owed_replies_go_with_the_link(void)
{
    struct bh_buf *held[BH_CONFIG_ACL_TX_BUF_COUNT];
    unsigned n;

    coc_setup();
    ha_conn_up(H, P);
    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), 0);
    n = coc_hold_acl_pool(held);
    ha_acl(H, SIG, REQ("31", "80 00", "00 04", "f7 00", "0a 00", "41 00"));
    ha_acl(H, SIG, REQ("32", "81 00", "00 04", "f7 00", "0a 00", "42 00"));
    ha_acl(H, SIG, "06 33 04 00 45 00 41 00");
    BH_CHECK_EQ(ha.n, 1);
    ha_disconn_complete(H, 0x13);
    BH_CHECK_EQ(ha.n, 3);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_L2CAP_DISCONNECT);
    BH_CHECK_EQ(ha_ev(1)->l2cap.cid, 0x0040);
    BH_CHECK_EQ(ha_ev(1)->l2cap.status, BH_L2CAP_COC_STATUS_NOT_CONNECTED);
    BH_CHECK_EQ(ha_ev(2)->irq, BH_IRQ_CENTRAL_DISCONNECT);
    coc_release_acl(held, &n, n);
    BH_CHECK_EQ(ha_sent_l2cap_count(SIG), 0);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    ha_conn_up(H + 1, P);
    BH_CHECK_EQ(coc_peer_opens(H + 1, MPS, 10), 0x0040);
    coc_disconn(H + 1);
    ha_teardown();
}

/* ---- the API layer --------------------------------------------------------------------------- */

static void test_l2cap_coc_api_errors(void)
{
    size_t n = 0;
    bool stalled;

    BH_CHECK_EQ(bh_ble_l2cap_listen(PSM, 512), -ENODEV);
    coc_setup();
    BH_CHECK_EQ(bh_ble_l2cap_listen(0, 512), -EINVAL);
    BH_CHECK_EQ(bh_ble_l2cap_listen(0x100, 512), -EINVAL);
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_LISTEN; i++) {
        BH_CHECK_EQ(bh_ble_l2cap_listen((uint16_t)(0x80 + i), 512), 0);
    }
    BH_CHECK_EQ(bh_ble_l2cap_listen(0x90, 512), -ENOMEM);
    BH_CHECK_EQ(bh_ble_l2cap_listen(0x80, 10), 0); /* again: updated, MTU 32 */
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 512), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(H, 0x40), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_l2cap_send(H, 0x40, NULL, 0, &stalled), -ENOTCONN);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, NULL, &n), -ENOTCONN);
    ha_conn_up(H, C);
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, 0, 512), -EINVAL);
    BH_CHECK_EQ(bh_ble_l2cap_disconnect(H, 0x40), -EINVAL);
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, NULL, &n), -EINVAL);
    ha_acl(H, SIG, "14 21 0a 00 80 00 00 04 f7 00 0a 00 41 00");
    coc_check_sig(0, "15 21 0a 00 40 00 20 00 f7 00 10 00 00 00");
    for (unsigned i = 1; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 512), 0);
    }
    BH_CHECK_EQ(bh_ble_l2cap_connect(H, PSM, 512), -ENOMEM);
    coc_disconn(H);
    ha_teardown();
    BH_CHECK_EQ(bh_ble_l2cap_recvinto(H, 0x40, NULL, &n), -ENODEV);
}

BH_TEST_MAIN(BH_TEST(test_l2cap_coc_conn_req_table),
             BH_TEST(test_l2cap_coc_conn_req_scid_in_use_and_no_resources),
             BH_TEST(test_l2cap_coc_conn_rsp_table),
             BH_TEST(test_l2cap_coc_conn_rtx_expiry_fails_connect),
             BH_TEST(test_l2cap_coc_ind_and_disconn_table),
             BH_TEST(test_l2cap_coc_our_disconnect_both_sides_get_irq24),
             BH_TEST(test_l2cap_coc_send_segments_byte_for_byte),
             BH_TEST(test_l2cap_coc_send_small_peer_mps_and_limits),
             BH_TEST(test_l2cap_coc_send_waits_for_credits_then_irq26),
             BH_TEST(test_l2cap_coc_send_waits_for_acl_buffers),
             BH_TEST(test_l2cap_coc_recv_reassembles_and_returns_credits),
             BH_TEST(test_l2cap_coc_recv_pipelines_full_window),
             BH_TEST(test_l2cap_coc_peer_violations_disconnect),
             BH_TEST(test_l2cap_coc_frame_above_mps_disconnects),
             BH_TEST(test_l2cap_coc_link_drop_mid_transfer_then_next_channel_works),
             BH_TEST(test_l2cap_coc_channels_across_links_are_independent),
             BH_TEST(test_l2cap_coc_disconn_rsp_waits_for_acl_buffer),
             BH_TEST(test_l2cap_coc_conn_rsp_and_reject_wait_for_acl_buffer),
             BH_TEST(test_l2cap_coc_disconn_req_after_bad_rsp_waits_for_acl_buffer),
             BH_TEST(test_l2cap_coc_repeated_disconn_req_while_rsp_owed),
             BH_TEST(test_l2cap_coc_owed_replies_go_with_the_link),
             BH_TEST(test_l2cap_coc_api_errors))

/* SPDX-License-Identifier: MIT */
/*
 * test_smp_cccd.c: subscriptions of bonded peers persist (Core 5.4 Vol 3
 * Part G 3.3.3.3) through the secret store (type 3, the gatts blob of
 * src/host/gatts_cccd.c). The host is the GATT server and peripheral against
 * fake_ctrl; the test plays the central: it pairs with legacy Just Works
 * (bonding), writes CCCDs over ATT, restarts the host with the same store,
 * re-encrypts with the bonded LTK and checks that a send_update reaches it
 * without a new CCCD write; stale stored entries are dropped; unpairing
 * deletes the record.
 *
 * Our database: GAP 1-5, GATT 6-9 (Service Changed CCCD 9), then service
 * 10, characteristic declaration 11, value 12 (READ NOTIFY INDICATE), CCCD 13.
 */
#include "host/att_spec.h"
#include "host/gatts.h"
#include "smp_util.h"

#define CS_VALUE 12
#define CS_CCCD 13
#define CS_SC_CCCD 9

/* The record key of the peer's identity (PEER_ID_ADDR): type, LE address. */
static const uint8_t cs_key[7] = {1, 0x55, 0x44, 0x33, 0x22, 0x11, 0xc0};
static const uint8_t cs_peer_nonce[16] = {0x5a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                          0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f};

static struct {
    uint8_t att[8][64];
    uint16_t att_len[8];
    unsigned n_att;
    uint8_t ltk[16]; /* the host's distributed LTK, EDIV and Rand */
    uint16_t ediv;
    uint8_t rand[8];
} cs;

/* Take what the host sent: ATT frames (single fragment here) are kept in
 * cs.att, SMP frames and commands go to smp_util's records. */
static void cs_drain(void)
{
    struct fake_pkt pkt;
    uint16_t acl = 0;

    while (fake_ctrl_pop(&pkt)) {
        if (pkt.type == BH_H4_ACL && pkt.len >= 8 &&
            bh_get_le16(&pkt.data[6]) == BH_L2CAP_CID_ATT) {
            uint16_t n = (uint16_t)(pkt.len - 8);

            BH_CHECK(cs.n_att < 8 && n <= 64);
            memcpy(cs.att[cs.n_att], &pkt.data[8], n);
            cs.att_len[cs.n_att++] = n;
            acl++;
        } else if (pkt.type == BH_H4_ACL) {
            su_acl_fragment(&pkt);
            acl++;
        } else if (pkt.type == BH_H4_CMD && su.ncmd < 32) {
            struct su_cmd *c = &su.cmds[su.ncmd++];

            c->op = (uint16_t)(pkt.data[0] | pkt.data[1] << 8);
            c->len = pkt.data[2];
            memcpy(c->p, &pkt.data[3], c->len < 64 ? c->len : 64);
        }
    }
    if (acl != 0) {
        fake_ctrl_ncp(SU_HANDLE, acl);
    }
}

/* The only ATT PDU the host sent since the last call must be hex ("" none). */
static void cs_expect_att(const char *hex)
{
    cs_drain();
    if (hex[0] == '\0') {
        BH_CHECK_EQ(cs.n_att, 0);
    } else {
        BH_CHECK_EQ(cs.n_att, 1);
        BH_CHECK_HEX(cs.att[0], cs.att_len[0], hex);
    }
    cs.n_att = 0;
}

/* The central sends one ATT PDU. */
static void cs_att_send(const char *hex)
{
    uint8_t pdu[64], h4[80];
    int n = bh_test_hex(hex, pdu, sizeof(pdu));

    BH_CHECK(n > 0);
    h4[0] = BH_H4_ACL;
    h4[1] = (uint8_t)SU_HANDLE;
    h4[2] = (uint8_t)(0x20 | (SU_HANDLE >> 8));
    bh_put_le16(&h4[3], (uint16_t)(n + 4));
    bh_put_le16(&h4[5], (uint16_t)n);
    bh_put_le16(&h4[7], BH_L2CAP_CID_ATT);
    memcpy(&h4[9], pdu, (size_t)n);
    fake_ctrl_inject(h4, (size_t)n + 9);
}

/* Write Request to a CCCD, Write Response expected. */
static void cs_write_cccd(uint16_t handle, uint16_t v)
{
    char hex[32];

    snprintf(hex, sizeof(hex), "12 %02x 00 %02x %02x", handle, v & 0xFF, v >> 8);
    cs_att_send(hex);
    cs_expect_att("13");
}

static void cs_register(void)
{
    static const uint8_t svc_le[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                       0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    struct bh_uuid svc = {.type = 16}, chr = {.type = 2, .data = {0x19, 0x2a}};
    const struct bh_uuid *chrs[1] = {&chr};
    const uint16_t flags[1] = {BH_FLAG_READ | BH_FLAG_NOTIFY | BH_FLAG_INDICATE};
    const uint8_t ndsc[1] = {0};
    uint16_t handles[1] = {0};

    memcpy(svc.data, svc_le, 16);
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(bh_ble_gatts_register_service(&svc, chrs, flags, NULL, NULL, ndsc, handles, 1), 0);
    BH_CHECK_EQ(bh_ble_gatts_register_end(), 0);
    BH_CHECK_EQ(handles[0], CS_VALUE);
    BH_CHECK_EQ(bh_gatts_db_attr(CS_CCCD)->kind, BH_GATTS_KIND_CCCD);
    BH_CHECK_EQ(bh_ble_gatts_write(CS_VALUE, (const uint8_t *)"v1", 2, false), 0);
}

/* A host (keep: with the store of the previous one, as after a restart),
 * bonding on, our database registered, then the link (we are peripheral). */
static struct bh_conn *cs_setup(bool keep)
{
    struct su_secret saved[16];
    struct bh_conn *c;

    memcpy(saved, su.store, sizeof(saved));
    memset(&su, 0, sizeof(su));
    if (keep) {
        memcpy(su.store, saved, sizeof(saved));
    }
    cs.n_att = 0;
    fake_ctrl_init();
    bh_ble_set_event_cb(su_cb, NULL);
    bh_ble_set_secret_store(&su_store_ops);
    bh_gap_set_auto_data_length(false);
    bh_gap_set_auto_2m_phy(false);
    BH_CHECK_EQ(bh_ble_init(), 0);
    bh_smp_set_bonding(true);
    bh_smp_set_mitm(false);
    bh_smp_set_le_secure(false);
    BH_CHECK_EQ(bh_smp_set_io_capability(BH_SMP_IO_NO_INPUT_NO_OUTPUT), 0);
    cs_register();
    su.nset = 0;
    c = su_connect(BH_CONN_ROLE_PERIPHERAL);
    cs_drain();
    cs.n_att = 0;
    return c;
}

/* The secret store's type 3 record of the peer must be hex ("" none). */
static void cs_expect_record(const char *hex)
{
    const struct su_secret *s = su_secret_find(BH_KEYS_TYPE_CCCD, cs_key, sizeof(cs_key));

    if (hex[0] == '\0') {
        BH_CHECK(s == NULL);
        return;
    }
    BH_CHECK(s != NULL);
    BH_CHECK_HEX(s->val, s->vlen, hex);
}

/* Legacy Just Works with bonding, the host responding; both sides
 * distribute LTK and identity. Ends with IRQ 28 (1, 0, 1, 16). */
static void cs_pair(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x01, 0x10, 0x03, 0x03};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x09, 0x10, 0x03, 0x03};
    static const uint8_t zero[16];
    uint8_t sconfirm[16], srand[16], v[16], stk[16], b[80];

    su_send(preq, 7);
    SU_EXPECT("02 03 00 09 10 03 03");
    su_c1(zero, cs_peer_nonce, preq, pres, false, v);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, sconfirm);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, cs_peer_nonce);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, srand);
    su_c1(zero, srand, preq, pres, false, v);
    BH_CHECK_MEM(v, sconfirm, 16);
    BH_CHECK_EQ(bh_crypto_s1(zero, srand, cs_peer_nonce, stk), 0);
    su_ltk_request(zero, 0);
    su_check_ltk_reply(stk);
    su_enc_change(0);
    su_pop16(BH_SMP_OP_ENCRYPTION_INFO, cs.ltk);
    BH_CHECK_EQ(su_pop(b), 11);
    cs.ediv = bh_get_le16(&b[1]);
    memcpy(cs.rand, &b[3], 8);
    su_pop16(BH_SMP_OP_IDENTITY_INFO, v);
    SU_EXPECT("09 00 01 00 00 dc 1b 00");
    su_send_hex("06 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f");
    su_send_hex("07 34 12 a1 a2 a3 a4 a5 a6 a7 a8");
    su_send_hex("08 f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff");
    su_send_hex("09 01 55 44 33 22 11 c0");
    su_check_enc(1, 0, 1, 16);
}

/* The central re-encrypts with the bonded LTK (EDIV/Rand). */
static void cs_reencrypt(void)
{
    su_ltk_request(cs.rand, cs.ediv);
    su_check_ltk_reply(cs.ltk);
    su_enc_change(0);
    su_check_enc(1, 0, 1, 16);
}

static void cs_teardown(void)
{
    cs_drain();
    su_teardown();
}

/* A subscription made before pairing is saved once the bond exists; later
 * changes are saved as they happen (and only when they change). */
static void test_smp_cccd_saved_at_bonding_and_on_change(void)
{
    struct bh_conn *c = cs_setup(false);

    cs_write_cccd(CS_CCCD, 0x0001);
    BH_CHECK_EQ(su.nset, 0); /* not bonded: nothing persisted */
    cs_pair();
    BH_CHECK(c->bonded);
    BH_CHECK(strcmp(su.setlog, "213") == 0);
    cs_expect_record("01 01 0d 00 01 00");
    cs_write_cccd(CS_CCCD, 0x0002);
    cs_expect_record("01 01 0d 00 02 00");
    cs_write_cccd(CS_CCCD, 0x0002); /* same value: no store traffic */
    cs_write_cccd(CS_SC_CCCD, 0x0002);
    cs_expect_record("01 01 09 00 02 00 0d 00 02 00");
    BH_CHECK(strcmp(su.setlog, "21333") == 0);
    cs_write_cccd(CS_SC_CCCD, 0x0000);
    cs_expect_record("01 01 0d 00 02 00");
    /* A refused CCCD write (wrong length) changes nothing. */
    cs_att_send("12 0d 00 01");
    cs_expect_att("01 12 0d 00 0d");
    BH_CHECK(strcmp(su.setlog, "213333") == 0);
    cs_teardown();
}

/* Restart with the same store: no subscription until the peer is
 * identified by encrypting with its bond, then notifications flow without
 * a CCCD write and nothing is stored anew. */
static void test_smp_cccd_restored_after_restart(void)
{
    struct bh_conn *c = cs_setup(false);

    cs_pair();
    cs_write_cccd(CS_CCCD, 0x0001);
    cs_expect_record("01 01 0d 00 01 00");
    su_disconnect();
    cs_teardown();

    c = cs_setup(true);
    BH_CHECK_EQ(bh_keys_count(), 1);
    BH_CHECK_EQ(bh_gatts_cccd(c, CS_CCCD), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(CS_VALUE, (const uint8_t *)"v2", 2, true), 0);
    cs_expect_att(""); /* not identified yet */
    cs_reencrypt();
    BH_CHECK(c->bonded);
    BH_CHECK_EQ(bh_gatts_cccd(c, CS_CCCD), BH_GATT_CCCD_NOTIFY);
    BH_CHECK_EQ(bh_gatts_stats()->cccd_restored, 1);
    BH_CHECK_EQ(su.nset, 0);
    BH_CHECK_EQ(bh_ble_gatts_write(CS_VALUE, (const uint8_t *)"v3", 2, true), 0);
    cs_expect_att("1b 0c 00 76 33");

    /* Unpair: the record goes; the link keeps its CCCDs but saves no more. */
    BH_CHECK_EQ(bh_ble_gap_unpair(1, (const uint8_t[6]){0xc0, 0x11, 0x22, 0x33, 0x44, 0x55}), 0);
    cs_expect_record("");
    BH_CHECK(!c->bonded);
    su.nset = 0;
    cs_write_cccd(CS_CCCD, 0x0002);
    BH_CHECK_EQ(su.nset, 0);
    cs_teardown();

    /* After the unpair the central's LTK is unknown: negative reply. */
    cs_setup(true);
    BH_CHECK_EQ(bh_keys_count(), 0);
    su_ltk_request(cs.rand, cs.ediv);
    BH_CHECK(su_cmd(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY) != NULL);
    cs_teardown();
}

/* A subscription written on the link before encryption keeps its value and
 * is merged with the stored ones; entries that no longer fit the database
 * are dropped, and the cleaned set is stored. */
static void test_smp_cccd_merge_and_stale_entries(void)
{
    struct bh_conn *c = cs_setup(false);
    struct su_secret *s;

    cs_pair();
    cs_write_cccd(CS_CCCD, 0x0001);
    su_disconnect();
    cs_teardown();

    /* Doctor the record: 0x000c is a value, 0x0040 beyond the database,
     * 0x0009 with 0x0004 (no known bit): all stale. */
    s = su_secret_find(BH_KEYS_TYPE_CCCD, cs_key, sizeof(cs_key));
    BH_CHECK(s != NULL);
    BH_CHECK_EQ(bh_test_hex("01 01 0c 00 01 00 0d 00 01 00 40 00 01 00 09 00 04 00", s->val,
                            sizeof(s->val)),
                18);
    s->vlen = 18;
    c = cs_setup(true);
    cs_write_cccd(CS_SC_CCCD, 0x0002);
    BH_CHECK_EQ(su.nset, 0);
    cs_reencrypt();
    BH_CHECK_EQ(bh_gatts_cccd(c, CS_CCCD), BH_GATT_CCCD_NOTIFY);
    BH_CHECK_EQ(bh_gatts_cccd(c, CS_SC_CCCD), BH_GATT_CCCD_INDICATE);
    BH_CHECK_EQ(bh_gatts_stats()->cccd_restore_bad, 3);
    cs_expect_record("01 01 09 00 02 00 0d 00 01 00");
    BH_CHECK(strcmp(su.setlog, "3") == 0);
    cs_teardown();

    /* A blob of an unknown gatts version is replaced by the link's set. */
    s = su_secret_find(BH_KEYS_TYPE_CCCD, cs_key, sizeof(cs_key));
    BH_CHECK(s != NULL);
    s->val[1] = 0x7f;
    c = cs_setup(true);
    cs_reencrypt();
    BH_CHECK_EQ(bh_gatts_cccd(c, CS_CCCD), 0);
    cs_expect_record("01 01");
    cs_teardown();
}

/* A peer that pairs again replaces its bond: the old subscriptions go with
 * it (SET(3, None)), and the link's current ones are stored. */
static void test_smp_cccd_repair_replaces_subscriptions(void)
{
    cs_setup(false);
    cs_pair();
    cs_write_cccd(CS_CCCD, 0x0002);
    su_disconnect();
    cs_teardown();

    cs_setup(true);
    cs_pair(); /* the central lost its keys: a new pairing, no CCCD written */
    BH_CHECK(strcmp(su.setlog, "d1d2d321") == 0);
    cs_expect_record("");
    cs_write_cccd(CS_CCCD, 0x0001);
    cs_expect_record("01 01 0d 00 01 00");
    cs_teardown();
}

BH_TEST_MAIN(BH_TEST(test_smp_cccd_saved_at_bonding_and_on_change),
             BH_TEST(test_smp_cccd_restored_after_restart),
             BH_TEST(test_smp_cccd_merge_and_stale_entries),
             BH_TEST(test_smp_cccd_repair_replaces_subscriptions))

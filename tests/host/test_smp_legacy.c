/* SPDX-License-Identifier: MIT */
/*
 * test_smp_legacy.c: LE legacy pairing (Core 5.4 Vol 3 Part H 2.3.5.2-5)
 * in both roles, Just Works and Passkey Entry, played against a peer whose
 * confirm values the test computes with c1/s1; key distribution, bonds in
 * the secret store, re-encryption with the bonded LTK (also after a
 * restart), a peer that lost its keys, a wrong passkey and the Repeated
 * Attempts wait that follows it.
 */
#include "smp_util.h"

#include "os/bh_assert.h"

static const uint8_t peer_nonce[16] = {0x5a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                       0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f};
/* The peer's distributed keys, on-air order. */
#define PEER_ENC_INFO "06 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f"
#define PEER_CENTRAL_IDENT "07 34 12 a1 a2 a3 a4 a5 a6 a7 a8"
#define PEER_ID_INFO "08 f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff"
#define PEER_ID_ADDR "09 01 55 44 33 22 11 c0"

/* Host central, after the feature exchange: Mconfirm, Sconfirm, Mrand, Srand;
 * returns the STK the host must encrypt with. */
static void central_exchange(const uint8_t *preq, const uint8_t *pres, const uint8_t tk[16],
                             uint8_t stk[16])
{
    uint8_t mconfirm[16], mrand[16], v[16];

    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, mconfirm);
    su_c1(tk, peer_nonce, preq, pres, true, v);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, mrand);
    su_c1(tk, mrand, preq, pres, true, v);
    BH_CHECK_MEM(v, mconfirm, 16);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, peer_nonce);
    BH_CHECK_EQ(bh_crypto_s1(tk, peer_nonce, mrand, stk), 0);
}

/* Host peripheral: Mconfirm, Sconfirm, Mrand, Srand, then the LTK request for the STK. */
static void peripheral_exchange(const uint8_t *preq, const uint8_t *pres, const uint8_t tk[16],
                                unsigned key_size)
{
    static const uint8_t zero[8];
    uint8_t sconfirm[16], srand[16], v[16], stk[16];

    su_c1(tk, peer_nonce, preq, pres, false, v);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, sconfirm);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, peer_nonce);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, srand);
    su_c1(tk, srand, preq, pres, false, v);
    BH_CHECK_MEM(v, sconfirm, 16);
    BH_CHECK_EQ(bh_crypto_s1(tk, srand, peer_nonce, stk), 0);
    memset(stk, 0, 16 - key_size); /* Vol 3 Part H 2.3.4 */
    BH_CHECK_EQ(bh_smp_link_state(bh_conn_lookup(SU_HANDLE)), BH_SMP_STATE_WAIT_ENCRYPTION);
    su_ltk_request(zero, 0);
    su_check_ltk_reply(stk);
}

static void test_smp_legacy_just_works_central(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x08, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x00, 0x10, 0x00, 0x00};
    static const uint8_t zero[16];
    struct bh_conn *c = su_setup(BH_CONN_ROLE_CENTRAL, false, false, false, 3);
    uint8_t stk[16];

    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 08 10 00 00");
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -EALREADY);
    su_send(pres, 7);
    central_exchange(preq, pres, zero, stk);
    su_check_enable_encryption(stk, 0, zero);
    BH_CHECK_EQ(su.nevt, 0);
    su_enc_change(0);
    su_check_enc(1, 0, 0, 16);
    SU_EXPECT_NONE();
    BH_CHECK(c->encrypted && !c->authenticated && !c->bonded);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
    BH_CHECK_EQ(bh_smp_stats()->pairings_ok, 1);
    BH_CHECK_EQ(su.nset, 0);
    su_teardown();
}

/* Host peripheral, both bond: keys both ways, bond stored, re-encryption
 * on reconnect and after a restart of the host, with no pairing. */
static void test_smp_legacy_bond_peripheral_reencrypts(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x01, 0x10, 0x03, 0x03};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x09, 0x10, 0x03, 0x03};
    static const uint8_t zero[16];
    struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, true, false, false, 3);
    uint8_t b[80], ltk[16], rand[8], irk[16];
    uint16_t ediv;

    su_send(preq, 7);
    SU_EXPECT("02 03 00 09 10 03 03");
    peripheral_exchange(preq, pres, zero, 16);
    su_enc_change(0);
    /* The responder distributes first: LTK, EDIV/Rand, IRK, identity address. */
    su_pop16(BH_SMP_OP_ENCRYPTION_INFO, ltk);
    BH_CHECK_EQ(su_pop(b), 11);
    BH_CHECK_EQ(b[0], BH_SMP_OP_CENTRAL_IDENT);
    ediv = bh_get_le16(&b[1]);
    memcpy(rand, &b[3], 8);
    su_pop16(BH_SMP_OP_IDENTITY_INFO, irk);
    BH_CHECK_MEM(irk, bh_keys_own_irk(), 16);
    SU_EXPECT("09 00 01 00 00 dc 1b 00");
    BH_CHECK_EQ(su.nevt, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_KEY_DIST);
    su_send_hex(PEER_ENC_INFO);
    su_send_hex(PEER_CENTRAL_IDENT);
    su_send_hex(PEER_ID_INFO);
    BH_CHECK_EQ(su.nevt, 0);
    su_send_hex(PEER_ID_ADDR);
    su_check_enc(1, 0, 1, 16);
    BH_CHECK_EQ(su_store_count(BH_KEYS_TYPE_OUR), 1);
    BH_CHECK_EQ(su_store_count(BH_KEYS_TYPE_PEER), 1);
    BH_CHECK(strcmp(su.setlog, "21") == 0);
    BH_CHECK_EQ(bh_keys_count(), 1);

    /* Reconnect: the central asks for our LTK by EDIV and Rand. */
    su_disconnect();
    c = su_connect(BH_CONN_ROLE_PERIPHERAL);
    su_ltk_request(rand, ediv);
    su_check_ltk_reply(ltk);
    su_enc_change(0);
    su_check_enc(1, 0, 1, 16);
    SU_EXPECT_NONE();
    BH_CHECK(c->bonded);

    /* Unknown EDIV: negative reply. */
    su_disconnect();
    su_connect(BH_CONN_ROLE_PERIPHERAL);
    su_ltk_request(rand, (uint16_t)(ediv + 1));
    BH_CHECK(su_cmd(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY) != NULL);
    BH_CHECK(su_cmd(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_REPLY) == NULL);
    su_teardown();

    /* Restart with the same store: the bond is loaded and used. */
    c = su_setup_keep(BH_CONN_ROLE_PERIPHERAL, true, false, false, 3, true);
    BH_CHECK_EQ(bh_keys_count(), 1);
    su_ltk_request(rand, ediv);
    su_check_ltk_reply(ltk);
    su_enc_change(0);
    su_check_enc(1, 0, 1, 16);
    su_teardown();
}

/* Host central, keyboard; peer display-only asking for MITM: the host types. */
static void test_smp_legacy_passkey_central_input(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x0c, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x00, 0x00, 0x04, 0x10, 0x00, 0x00};
    static const uint8_t zero[8];
    uint8_t tk[16], stk[16];

    su_setup(BH_CONN_ROLE_CENTRAL, false, true, false, BH_SMP_IO_KEYBOARD_ONLY);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 02 00 0c 10 00 00");
    su_send(pres, 7);
    BH_CHECK_EQ(su_check_passkey(BH_SMP_ACTION_INPUT), 0);
    SU_EXPECT_NONE(); /* nothing before the passkey is typed */
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_DISPLAY, 1), -EINVAL);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_INPUT, 1000000), -EINVAL);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_INPUT, 123456), 0);
    su_tk(123456, tk);
    central_exchange(preq, pres, tk, stk);
    su_check_enable_encryption(stk, 0, zero);
    su_enc_change(0);
    su_check_enc(1, 1, 0, 16);
    su_teardown();
}

/* Host peripheral, display; peer keyboard: the host shows a passkey (IRQ 31). */
static void test_smp_legacy_passkey_peripheral_display(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x04, 0x0c, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x00, 0x00, 0x0c, 0x10, 0x00, 0x00};
    uint8_t tk[16];
    uint32_t pk;

    su_setup(BH_CONN_ROLE_PERIPHERAL, false, true, false, BH_SMP_IO_DISPLAY_ONLY);
    su_send(preq, 7);
    SU_EXPECT("02 00 00 0c 10 00 00");
    pk = su_check_passkey(BH_SMP_ACTION_DISPLAY);
    BH_CHECK(pk <= 999999);
    su_tk(pk, tk);
    peripheral_exchange(preq, pres, tk, 12);
    su_enc_change(0);
    /* Key size 12 (the central's maximum): the STK was masked, 2.3.4. */
    su_check_enc(1, 1, 0, 12);
    su_teardown();
}

/* Wrong passkey: Confirm Value Failed; then Repeated Attempts until the wait ends. */
static void test_smp_legacy_wrong_passkey_fails_then_waits(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x0c, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x00, 0x00, 0x04, 0x10, 0x00, 0x00};
    uint8_t tk[16], mconfirm[16], mrand[16], v[16];
    struct bh_conn *c = su_setup(BH_CONN_ROLE_CENTRAL, false, true, false, 2);

    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 02 00 0c 10 00 00");
    su_send(pres, 7);
    (void)su_check_passkey(BH_SMP_ACTION_INPUT);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_INPUT, 123456), 0);
    su_tk(111111, tk); /* the peer displayed another number */
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, mconfirm);
    su_c1(tk, peer_nonce, preq, pres, true, v);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, mrand);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, peer_nonce);
    SU_EXPECT("05 04");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
    BH_CHECK(su_cmd(BH_HCI_OP_LE_ENABLE_ENCRYPTION) == NULL);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -EAGAIN);
    fake_ctrl_advance(1999);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -EAGAIN);
    fake_ctrl_advance(1);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 02 00 0c 10 00 00");
    su_teardown();
}

/* As peripheral, a Pairing Request inside the wait gets Repeated Attempts. */
static void test_smp_legacy_repeated_attempts_peripheral(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x04, 0x10, 0x00, 0x00};
    static const uint8_t bad[16] = {1};

    su_setup(BH_CONN_ROLE_PERIPHERAL, false, true, false, BH_SMP_IO_DISPLAY_ONLY);
    su_send(preq, 7);
    SU_EXPECT("02 00 00 0c 10 00 00");
    (void)su_check_passkey(BH_SMP_ACTION_DISPLAY);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, bad);
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, (uint8_t[16]){0});
    su_send16(BH_SMP_OP_PAIRING_RANDOM, peer_nonce);
    SU_EXPECT("05 04");
    su_check_enc(0, 0, 0, 0);
    su_send(preq, 7);
    SU_EXPECT("05 09");
    BH_CHECK_EQ(su.nevt, 0);
    fake_ctrl_advance(2000);
    su_send(preq, 7);
    SU_EXPECT("02 00 00 0c 10 00 00");
    su_teardown();
}

/* Host central, both bond: the peer's keys come first; the bonded link
 * re-encrypts with the peer's LTK; a peer that lost the bond (PIN or Key
 * Missing) gets paired again and the new bond replaces the old one. */
static void test_smp_legacy_bond_central_reencrypts_and_repairs(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x09, 0x10, 0x03, 0x03};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x01, 0x10, 0x03, 0x03};
    static const uint8_t zero[16];
    static const uint8_t peer_ltk[16] = {0x1f, 0x1e, 0x1d, 0x1c, 0x1b, 0x1a, 0x19, 0x18,
                                         0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0x10};
    static const uint8_t peer_rand[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
    struct bh_conn *c = su_setup(BH_CONN_ROLE_CENTRAL, true, false, false, 3);
    uint8_t stk[16], b[80];

    for (int round = 0; round < 2; round++) {
        BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
        SU_EXPECT("01 03 00 09 10 03 03");
        su_send(pres, 7);
        central_exchange(preq, pres, zero, stk);
        su_check_enable_encryption(stk, 0, zero);
        su_enc_change(0);
        SU_EXPECT_NONE(); /* the responder's keys first */
        su_send_hex(PEER_ENC_INFO);
        su_send_hex(PEER_CENTRAL_IDENT);
        su_send_hex(PEER_ID_INFO);
        su_send_hex(PEER_ID_ADDR);
        BH_CHECK_EQ(su_pop(b), 17);
        BH_CHECK_EQ(su_pop(b), 11);
        BH_CHECK_EQ(su_pop(b), 17);
        SU_EXPECT("09 00 01 00 00 dc 1b 00");
        su_check_enc(1, 0, 1, 16);
        BH_CHECK(strcmp(su.setlog, "21") == 0);
        BH_CHECK_EQ(su_store_count(BH_KEYS_TYPE_PEER), 1);

        su_disconnect();
        c = su_connect(BH_CONN_ROLE_CENTRAL);
        BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
        SU_EXPECT_NONE();
        su_check_enable_encryption(peer_ltk, 0x1234, peer_rand);
        BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_ENCRYPTING);
        su_enc_change(0);
        su_check_enc(1, 0, 1, 16);
        BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -EALREADY);

        su_disconnect();
        c = su_connect(BH_CONN_ROLE_CENTRAL);
        BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
        su_cmds_clear();
        su.nset = 0;
        memset(su.setlog, 0, sizeof(su.setlog));
        su_enc_change(BH_HCI_ERR_PIN_OR_KEY_MISSING); /* the loop pairs again */
        BH_CHECK_EQ(su.nevt, 0);
        BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -EALREADY);
        SU_EXPECT("01 03 00 09 10 03 03");
        su_send(pres, 7);
        central_exchange(preq, pres, zero, stk);
        su_check_enable_encryption(stk, 0, zero);
        su_enc_change(0);
        su_send_hex(PEER_ENC_INFO);
        su_send_hex(PEER_CENTRAL_IDENT);
        su_send_hex(PEER_ID_INFO);
        su_send_hex(PEER_ID_ADDR);
        for (int i = 0; i < 4; i++) {
            BH_CHECK(su_pop(b) > 0);
        }
        su_check_enc(1, 0, 1, 16);
        BH_CHECK(strcmp(su.setlog, "d1d2d321") == 0);
        BH_CHECK_EQ(bh_keys_count(), 1);
        su_disconnect();
        c = su_connect(BH_CONN_ROLE_CENTRAL);
        su.nset = 0;
        memset(su.setlog, 0, sizeof(su.setlog));
        BH_CHECK_EQ(bh_keys_delete(1, (const uint8_t[6]){0x55, 0x44, 0x33, 0x22, 0x11, 0xc0}), 0);
        BH_CHECK(strcmp(su.setlog, "d1d2d3") == 0);
        BH_CHECK_EQ(bh_keys_count(), 0);
        su.nset = 0;
        memset(su.setlog, 0, sizeof(su.setlog));
        if (round == 0) {
            continue; /* unpaired: the next round pairs from scratch */
        }
    }
    BH_CHECK_EQ(bh_keys_delete(1, (const uint8_t[6]){0x55, 0x44, 0x33, 0x22, 0x11, 0xc0}), -ENOENT);
    su_teardown();
}

/* Host peripheral, both bond, legacy Just Works up to the point where the
 * host has sent its four key PDUs and waits for the central's (KEY_DIST). */
static struct bh_conn *bond_to_key_dist(const uint8_t preq[7], const char *pres_hex)
{
    static const uint8_t zero[16];
    struct bh_conn *c = bh_conn_lookup(SU_HANDLE);
    uint8_t pres[7];

    BH_CHECK_EQ(bh_test_hex(pres_hex, pres, sizeof(pres)), 7);
    su_send(preq, 7);
    SU_EXPECT(pres_hex);
    peripheral_exchange(preq, pres, zero, 16);
    su_enc_change(0);
    for (int i = 0; i < 4; i++) {
        BH_CHECK(su_pop((uint8_t[80]){0}) > 0);
    }
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_KEY_DIST);
    return c;
}

static const uint8_t bond_preq[7] = {0x01, 0x03, 0x00, 0x01, 0x10, 0x03, 0x03};
#define BOND_PRES "02 03 00 09 10 03 03"

/* Identity Address Information (Vol 3 Part H 3.6.5) must carry a public or
 * a static random address: a private address, an all-0/all-1 static one or
 * a reserved type gets Invalid Parameters, and nothing is bonded. */
static void test_smp_legacy_identity_addr_not_identity_refused(void)
{
    static const char *const bad[] = {
        "09 01 55 44 33 22 11 40", /* resolvable private (0b01) */
        "09 01 55 44 33 22 11 00", /* non-resolvable private (0b00) */
        "09 01 ff ff ff ff ff ff", /* static, random part all 1 */
        "09 01 00 00 00 00 00 c0", /* static, random part all 0 */
        "09 02 55 44 33 22 11 c0", /* reserved type */
    };

    for (unsigned i = 0; i < BH_ARRAY_SIZE(bad); i++) {
        struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, true, false, false, 3);

        fprintf(stderr, "  row: %s\n", bad[i]);
        bond_to_key_dist(bond_preq, BOND_PRES);
        su_send_hex(PEER_ENC_INFO);
        su_send_hex(PEER_CENTRAL_IDENT);
        su_send_hex(PEER_ID_INFO);
        su_send_hex(bad[i]);
        SU_EXPECT("05 0a");
        SU_EXPECT_NONE();
        su_check_enc(1, 0, 0, 16);
        BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
        BH_CHECK_EQ(bh_keys_count(), 0);
        BH_CHECK_EQ(su_store_count(BH_KEYS_TYPE_PEER), 0);
        su_teardown();
    }
}

/* Key distribution runs on the link this pairing encrypted (3.6.1): an
 * Encryption Change that fails or turns encryption off ends the pairing,
 * and key PDUs after it are refused, not bonded. */
static void test_smp_legacy_key_dist_ends_when_encryption_lost(void)
{
    struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, true, false, false, 3);

    bond_to_key_dist(bond_preq, BOND_PRES);
    su_send_hex(PEER_ENC_INFO);
    fake_ctrl_inject_hex("04 08 04 00 40 00 00"); /* success, Encryption_Enabled 0 */
    BH_CHECK(!c->encrypted);
    SU_EXPECT("05 08");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
    su_send_hex(PEER_CENTRAL_IDENT);
    SU_EXPECT("05 08");
    SU_EXPECT_NONE();
    BH_CHECK_EQ(su.nevt, 0);
    BH_CHECK_EQ(bh_keys_count(), 0);
    su_teardown();

    /* A failed Encryption Change (the link keeps its encryption). */
    c = su_setup(BH_CONN_ROLE_PERIPHERAL, true, false, false, 3);
    bond_to_key_dist(bond_preq, BOND_PRES);
    su_enc_change(BH_HCI_ERR_PIN_OR_KEY_MISSING);
    SU_EXPECT("05 08");
    su_check_enc(1, 0, 0, 16);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
    BH_CHECK_EQ(bh_keys_count(), 0);
    su_teardown();
}

/* Host central, bonded: a stray SMP PDU while LE Enable Encryption runs
 * gets Pairing Failed but does not end the re-encryption; its Encryption
 * Change reports the bonded link once (IRQ 28 with bond and key size). */
static void test_smp_legacy_stray_pdu_keeps_reencryption(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x09, 0x10, 0x03, 0x03};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x01, 0x10, 0x03, 0x03};
    static const uint8_t zero[16];
    struct bh_conn *c = su_setup(BH_CONN_ROLE_CENTRAL, true, false, false, 3);
    uint8_t stk[16];

    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 09 10 03 03");
    su_send(pres, 7);
    central_exchange(preq, pres, zero, stk);
    su_enc_change(0);
    su_send_hex(PEER_ENC_INFO);
    su_send_hex(PEER_CENTRAL_IDENT);
    su_send_hex(PEER_ID_INFO);
    su_send_hex(PEER_ID_ADDR);
    for (int i = 0; i < 4; i++) {
        BH_CHECK(su_pop((uint8_t[80]){0}) > 0);
    }
    su_check_enc(1, 0, 1, 16);

    su_disconnect();
    c = su_connect(BH_CONN_ROLE_CENTRAL);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_ENCRYPTING);
    su_send_hex("03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    SU_EXPECT("05 08");
    BH_CHECK_EQ(su.nevt, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_ENCRYPTING);
    BH_CHECK_EQ(bh_smp_stats()->pairings_failed, 0);
    su_enc_change(0);
    su_check_enc(1, 0, 1, 16);
    BH_CHECK_EQ(bh_smp_stats()->reencryptions, 1);
    su_teardown();
}

/* Host peripheral (display): a passkey pairing whose confirm fails (0x04). */
static void fail_passkey_pairing(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x04, 0x10, 0x00, 0x00};
    static const uint8_t bad[16] = {1};

    su_send(preq, 7);
    SU_EXPECT("02 00 00 0c 10 00 00");
    (void)su_check_passkey(BH_SMP_ACTION_DISPLAY);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, bad);
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, (uint8_t[16]){0});
    su_send16(BH_SMP_OP_PAIRING_RANDOM, peer_nonce);
    SU_EXPECT("05 04");
    su_check_enc(0, 0, 0, 0);
}

/* Repeated attempts (2.3.6) past 2^31 ms of uptime: another peer's failure
 * takes a free entry of the table, not the one of a peer still waiting. */
static void test_smp_legacy_repeated_attempts_kept_after_2_31_ms(void)
{
    static const uint8_t other[7] = {1, 0xd1, 0x22, 0x33, 0x44, 0x55, 0x66};

    su_setup(BH_CONN_ROLE_PERIPHERAL, false, true, false, BH_SMP_IO_DISPLAY_ONLY);
    fake_port_advance(0x80000000u);
    fake_ctrl_advance(0);
    su_cmds_clear();
    fail_passkey_pairing();
    su_disconnect();
    su_connect_addr(BH_CONN_ROLE_PERIPHERAL, other);
    fail_passkey_pairing();
    su_disconnect();
    su_connect(BH_CONN_ROLE_PERIPHERAL);
    su_send_hex("01 02 00 04 10 00 00");
    SU_EXPECT("05 09"); /* the first peer still waits */
    fake_ctrl_advance(2000);
    su_send_hex("01 02 00 04 10 00 00");
    SU_EXPECT("02 00 00 0c 10 00 00");
    su_teardown();
}

/* A bonded peer using a resolvable private address pairs again without
 * distributing its identity: the new bond replaces the old one under the
 * identity the address resolved to (one bond, the new keys), instead of a
 * second bond under the private address. */
static void test_smp_legacy_repair_from_rpa_replaces_bond(void)
{
    static const uint8_t preq2[7] = {0x01, 0x03, 0x00, 0x01, 0x10, 0x01, 0x03};
    static const uint8_t id[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06}; /* little-endian */
    static const uint8_t prand[3] = {0x12, 0x34, 0x56};
    static const uint8_t peer_irk_air[16] = {0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
                                             0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff};
    uint8_t irk[16], rpa[7] = {1}, rpa_le[6];
    const struct bh_keys_bond *b;
    struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, true, false, false, 3);

    bond_to_key_dist(bond_preq, BOND_PRES);
    su_send_hex("06 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f");
    su_send_hex("07 99 00 b1 b2 b3 b4 b5 b6 b7 b8");
    su_send_hex(PEER_ID_INFO);              /* its IRK: peer_irk_air */
    su_send_hex("09 00 01 02 03 04 05 06"); /* public identity 06:05:04:03:02:01 */
    su_check_enc(1, 0, 1, 16);
    BH_CHECK_EQ(bh_keys_count(), 1);
    su_disconnect();

    /* The same peer, now from a private address made with its IRK. */
    bh_crypto_swap(irk, peer_irk_air, 16);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, &rpa[1]), 0);
    c = su_connect_addr(BH_CONN_ROLE_PERIPHERAL, rpa);
    BH_CHECK_EQ(c->id_addr_type, 0);
    BH_CHECK_MEM(c->id_addr, id, 6);

    /* Pairing again; it distributes its LTK only. */
    bond_to_key_dist(preq2, "02 03 00 09 10 01 03");
    su_send_hex(PEER_ENC_INFO);
    su_send_hex(PEER_CENTRAL_IDENT);
    su_check_enc(1, 0, 1, 16);
    BH_CHECK_EQ(bh_keys_count(), 1);
    b = bh_keys_find(0, id);
    BH_CHECK(b != NULL);
    BH_CHECK_EQ(b->peer_ediv, 0x1234);
    bh_crypto_swap(rpa_le, &rpa[1], 6);
    BH_CHECK(bh_keys_find(1, rpa_le) == NULL);
    BH_CHECK_EQ(su_store_count(BH_KEYS_TYPE_PEER), 1);
    su_teardown();
}

BH_TEST_MAIN(BH_TEST(test_smp_legacy_just_works_central),
             BH_TEST(test_smp_legacy_bond_peripheral_reencrypts),
             BH_TEST(test_smp_legacy_passkey_central_input),
             BH_TEST(test_smp_legacy_passkey_peripheral_display),
             BH_TEST(test_smp_legacy_wrong_passkey_fails_then_waits),
             BH_TEST(test_smp_legacy_repeated_attempts_peripheral),
             BH_TEST(test_smp_legacy_bond_central_reencrypts_and_repairs),
             BH_TEST(test_smp_legacy_identity_addr_not_identity_refused),
             BH_TEST(test_smp_legacy_key_dist_ends_when_encryption_lost),
             BH_TEST(test_smp_legacy_stray_pdu_keeps_reencryption),
             BH_TEST(test_smp_legacy_repeated_attempts_kept_after_2_31_ms),
             BH_TEST(test_smp_legacy_repair_from_rpa_replaces_bond))

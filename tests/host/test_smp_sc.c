/* SPDX-License-Identifier: MIT */
/*
 * test_smp_sc.c: LE Secure Connections pairing (Core 5.4 Vol 3 Part H
 * 2.3.5.6) in both roles: Just Works, Numeric Comparison (accepted and
 * rejected) and Passkey Entry (20 rounds), the peer computing its side with
 * its own P-256 key and f4/f5/f6/g2; bonding with identity distribution and
 * re-encryption by identity (EDIV = Rand = 0); the debug public key and an
 * invalid point refused; le_secure refusing a legacy peer.
 */
#include "smp_util.h"

enum { SC_JW, SC_NC, SC_PASSKEY };

static struct {
    uint8_t priv[32], x[32], y[32]; /* the peer's key pair */
    uint8_t hx[32];                 /* the host's public X */
    uint8_t dhkey[32];
    uint8_t na[16], nb[16];
} peer;

static const uint8_t peer_nonce[16] = {0x6b, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                       0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};

static void send_public_key(const uint8_t x[32], const uint8_t y[32])
{
    uint8_t b[65];

    b[0] = BH_SMP_OP_PAIRING_PUBLIC_KEY;
    bh_crypto_swap(&b[1], x, 32);
    bh_crypto_swap(&b[33], y, 32);
    su_send(b, 65);
}

static void pop_public_key(void)
{
    uint8_t b[80], hy[32];

    BH_CHECK_EQ(su_pop(b), 65);
    BH_CHECK_EQ(b[0], BH_SMP_OP_PAIRING_PUBLIC_KEY);
    bh_crypto_swap(peer.hx, &b[1], 32);
    bh_crypto_swap(hy, &b[33], 32);
    BH_CHECK_EQ(bh_crypto_p256_dhkey(peer.priv, peer.hx, hy, peer.dhkey), 0);
}

/* Public keys both ways, the initiator's first. */
static void exchange_keys(bool host_central)
{
    BH_CHECK_EQ(bh_crypto_p256_keygen(peer.priv, peer.x, peer.y), 0);
    if (host_central) {
        pop_public_key();
        send_public_key(peer.x, peer.y);
    } else {
        send_public_key(peer.x, peer.y);
        pop_public_key();
    }
}

/* Stage 1 of Just Works / Numeric Comparison: Cb, Na, Nb. */
static void stage1_jw(bool host_central)
{
    uint8_t v[16], cb[16];

    if (host_central) {
        memcpy(peer.nb, peer_nonce, 16);
        BH_CHECK_EQ(bh_crypto_f4(peer.x, peer.hx, peer.nb, 0, v), 0);
        su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
        su_pop16(BH_SMP_OP_PAIRING_RANDOM, peer.na);
        su_send16(BH_SMP_OP_PAIRING_RANDOM, peer.nb);
        return;
    }
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, cb);
    memcpy(peer.na, peer_nonce, 16);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, peer.na);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, peer.nb);
    BH_CHECK_EQ(bh_crypto_f4(peer.hx, peer.x, peer.nb, 0, v), 0);
    BH_CHECK_MEM(v, cb, 16);
}

/* Stage 1 of Passkey Entry: 20 commitments, one per passkey bit. */
static void stage1_passkey(bool host_central, uint32_t pk)
{
    uint8_t v[16], c[16], n[16];

    for (unsigned i = 0; i < 20; i++) {
        uint8_t z = (uint8_t)(0x80 | ((pk >> i) & 1));

        memcpy(n, peer_nonce, 16);
        n[15] = (uint8_t)i;
        if (host_central) {
            su_pop16(BH_SMP_OP_PAIRING_CONFIRM, c);
            BH_CHECK_EQ(bh_crypto_f4(peer.x, peer.hx, n, z, v), 0);
            su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
            su_pop16(BH_SMP_OP_PAIRING_RANDOM, peer.na);
            BH_CHECK_EQ(bh_crypto_f4(peer.hx, peer.x, peer.na, z, v), 0);
            BH_CHECK_MEM(v, c, 16);
            memcpy(peer.nb, n, 16);
            su_send16(BH_SMP_OP_PAIRING_RANDOM, peer.nb);
        } else {
            BH_CHECK_EQ(bh_crypto_f4(peer.x, peer.hx, n, z, v), 0);
            su_send16(BH_SMP_OP_PAIRING_CONFIRM, v);
            su_pop16(BH_SMP_OP_PAIRING_CONFIRM, c);
            memcpy(peer.na, n, 16);
            su_send16(BH_SMP_OP_PAIRING_RANDOM, peer.na);
            su_pop16(BH_SMP_OP_PAIRING_RANDOM, peer.nb);
            BH_CHECK_EQ(bh_crypto_f4(peer.hx, peer.x, peer.nb, z, v), 0);
            BH_CHECK_MEM(v, c, 16);
        }
    }
}

/* Ea or Eb (initiator true: Ea) with MacKey, Vol 3 Part H 2.3.5.6.5. */
static void check_value(const uint8_t mackey[16], bool initiator, bool host_central,
                        const uint8_t *preq, const uint8_t *pres, uint32_t pk, uint8_t out[16])
{
    uint8_t a[7], b[7], r[16];
    const uint8_t *f = initiator ? preq : pres;
    uint8_t io[3] = {f[3], f[2], f[1]};

    su_addrs(host_central, a, b);
    su_tk(pk, r);
    if (initiator) {
        BH_CHECK_EQ(bh_crypto_f6(mackey, peer.na, peer.nb, r, io, a, b, out), 0);
    } else {
        BH_CHECK_EQ(bh_crypto_f6(mackey, peer.nb, peer.na, r, io, b, a, out), 0);
    }
}

/* Stage 2: f5, then the DHKey checks; the LTK in ltk. NC: the user accepts
 * in between (the peer's Ea arrives before the host's user answers). */
static void stage2(bool host_central, int kind, const uint8_t *preq, const uint8_t *pres,
                   uint32_t pk, uint8_t ltk[16])
{
    uint8_t a[7], b[7], mackey[16], v[16], e[16];
    uint32_t num;

    su_addrs(host_central, a, b);
    BH_CHECK_EQ(bh_crypto_f5(peer.dhkey, peer.na, peer.nb, a, b, mackey, ltk), 0);
    if (kind == SC_NC) {
        BH_CHECK_EQ(bh_crypto_g2(host_central ? peer.hx : peer.x, host_central ? peer.x : peer.hx,
                                 peer.na, peer.nb, &num),
                    0);
        BH_CHECK_EQ(su_check_passkey(BH_SMP_ACTION_NUMERIC_COMPARISON), num % 1000000);
    }
    if (!host_central) {
        check_value(mackey, true, host_central, preq, pres, pk, v);
        su_send16(BH_SMP_OP_PAIRING_DHKEY_CHECK, v);
    }
    if (kind == SC_NC) {
        SU_EXPECT_NONE();
        BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_NUMERIC_COMPARISON, 1), 0);
    }
    su_pop16(BH_SMP_OP_PAIRING_DHKEY_CHECK, e);
    check_value(mackey, host_central, host_central, preq, pres, pk, v);
    BH_CHECK_MEM(v, e, 16);
    if (host_central) {
        check_value(mackey, false, host_central, preq, pres, pk, v);
        su_send16(BH_SMP_OP_PAIRING_DHKEY_CHECK, v);
    }
}

/* From the feature exchange to the encrypted link, checking the key used. */
static void sc_pair(bool host_central, int kind, const uint8_t *preq, const uint8_t *pres,
                    uint32_t pk, uint8_t ltk[16])
{
    static const uint8_t zero[8];

    exchange_keys(host_central);
    if (kind == SC_PASSKEY) {
        stage1_passkey(host_central, pk);
    } else {
        stage1_jw(host_central);
    }
    stage2(host_central, kind, preq, pres, kind == SC_PASSKEY ? pk : 0, ltk);
    if (host_central) {
        su_check_enable_encryption(ltk, 0, zero);
    } else {
        su_ltk_request(zero, 0);
        su_check_ltk_reply(ltk);
    }
    su_enc_change(0);
}

static void test_smp_sc_just_works_central(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x08, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x08, 0x10, 0x00, 0x00};
    uint8_t ltk[16];

    su_setup(BH_CONN_ROLE_CENTRAL, false, false, true, 3);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 08 10 00 00");
    su_send(pres, 7);
    sc_pair(true, SC_JW, preq, pres, 0, ltk);
    su_check_enc(1, 0, 0, 16);
    SU_EXPECT_NONE();
    su_teardown();
}

static void test_smp_sc_just_works_peripheral(void)
{
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x0c, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x03, 0x00, 0x08, 0x10, 0x00, 0x00};
    uint8_t ltk[16];

    su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, 3);
    su_send(preq, 7);
    SU_EXPECT("02 03 00 08 10 00 00");
    sc_pair(false, SC_JW, preq, pres, 0, ltk);
    su_check_enc(1, 0, 0, 16); /* MITM asked, but no IO: unauthenticated */
    su_teardown();
}

/* Numeric comparison, host peripheral, both bond: identity keys only
 * (EncKey is not distributed with SC); reconnect encrypts by identity. */
static void test_smp_sc_numeric_comparison_peripheral_bond(void)
{
    static const uint8_t preq[7] = {0x01, 0x01, 0x00, 0x0d, 0x10, 0x03, 0x03};
    static const uint8_t pres[7] = {0x02, 0x01, 0x00, 0x09, 0x10, 0x03, 0x03};
    static const uint8_t zero[8];
    uint8_t ltk[16];

    su_setup(BH_CONN_ROLE_PERIPHERAL, true, false, false, BH_SMP_IO_DISPLAY_YES_NO);
    su_send(preq, 7);
    SU_EXPECT("02 01 00 09 10 03 03");
    sc_pair(false, SC_NC, preq, pres, 0, ltk);
    BH_CHECK_EQ(su.nevt, 0);
    BH_CHECK_EQ(su_pop((uint8_t[80]){0}), 17); /* our IRK */
    SU_EXPECT("09 00 01 00 00 dc 1b 00");
    su_send_hex("08 f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff");
    su_send_hex("09 01 55 44 33 22 11 c0");
    su_check_enc(1, 1, 1, 16);
    su_disconnect();
    su_connect(BH_CONN_ROLE_PERIPHERAL);
    su_ltk_request(zero, 0);
    su_check_ltk_reply(ltk);
    su_enc_change(0);
    su_check_enc(1, 1, 1, 16);
    su_teardown();
}

static void test_smp_sc_numeric_comparison_central(void)
{
    static const uint8_t preq[7] = {0x01, 0x04, 0x00, 0x08, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x01, 0x00, 0x0c, 0x10, 0x00, 0x00};
    uint8_t ltk[16];

    su_setup(BH_CONN_ROLE_CENTRAL, false, false, false, BH_SMP_IO_KEYBOARD_DISPLAY);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 04 00 08 10 00 00");
    su_send(pres, 7);
    sc_pair(true, SC_NC, preq, pres, 0, ltk);
    su_check_enc(1, 1, 0, 16);
    su_teardown();
}

/* The user rejects the number: Numeric Comparison Failed, no state left. */
static void test_smp_sc_numeric_comparison_rejected(void)
{
    static const uint8_t preq[7] = {0x01, 0x01, 0x00, 0x0c, 0x10, 0x00, 0x00};
    struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, 1);

    su_send(preq, 7);
    SU_EXPECT("02 01 00 08 10 00 00");
    exchange_keys(false);
    stage1_jw(false);
    (void)su_check_passkey(BH_SMP_ACTION_NUMERIC_COMPARISON);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_INPUT, 0), -EINVAL);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_NUMERIC_COMPARISON, 0), 0);
    SU_EXPECT("05 0c");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_NUMERIC_COMPARISON, 1), -EINVAL);
    /* The next pairing works. */
    su_send(preq, 7);
    SU_EXPECT("02 01 00 08 10 00 00");
    su_teardown();
}

/* Passkey entry, host central typing what the peer displays. */
static void test_smp_sc_passkey_central_input(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x0c, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x00, 0x00, 0x0c, 0x10, 0x00, 0x00};
    uint8_t ltk[16];

    su_setup(BH_CONN_ROLE_CENTRAL, false, true, false, BH_SMP_IO_KEYBOARD_ONLY);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 02 00 0c 10 00 00");
    su_send(pres, 7);
    BH_CHECK_EQ(su_check_passkey(BH_SMP_ACTION_INPUT), 0);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_INPUT, 987654), 0);
    sc_pair(true, SC_PASSKEY, preq, pres, 987654, ltk);
    su_check_enc(1, 1, 0, 16);
    su_teardown();
}

/* Passkey entry, host peripheral displaying; the application picks the
 * number from inside the IRQ 31 callback (NimBLE style). */
static void pick_passkey(const struct bh_ble_event *ev)
{
    if (ev->irq == BH_IRQ_PASSKEY_ACTION && ev->passkey.action == BH_SMP_ACTION_DISPLAY) {
        BH_CHECK_EQ(bh_smp_passkey(ev->conn, BH_SMP_ACTION_DISPLAY, 42), 0);
    }
}

static void test_smp_sc_passkey_peripheral_display(void)
{
    static const uint8_t preq[7] = {0x01, 0x02, 0x00, 0x0c, 0x10, 0x00, 0x00};
    static const uint8_t pres[7] = {0x02, 0x00, 0x00, 0x08, 0x10, 0x00, 0x00};
    uint8_t ltk[16];

    su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, BH_SMP_IO_DISPLAY_ONLY);
    su.hook = pick_passkey;
    su_send(preq, 7);
    SU_EXPECT("02 00 00 08 10 00 00");
    (void)su_check_passkey(BH_SMP_ACTION_DISPLAY);
    sc_pair(false, SC_PASSKEY, preq, pres, 42, ltk);
    su_check_enc(1, 1, 0, 16);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_DISPLAY, 42), -EINVAL);
    su_teardown();
}

/* The debug public key (Vol 3 Part H 2.3.5.6.1) and a point off the curve are refused. */
static void test_smp_sc_bad_public_keys_refused(void)
{
    static const uint8_t debug_x[32] = {0x20, 0xb0, 0x03, 0xd2, 0xf2, 0x97, 0xbe, 0x2c,
                                        0x5e, 0x2c, 0x83, 0xa7, 0xe9, 0xf9, 0xa5, 0xb9,
                                        0xef, 0xf4, 0x91, 0x11, 0xac, 0xf4, 0xfd, 0xdb,
                                        0xcc, 0x03, 0x01, 0x48, 0x0e, 0x35, 0x9d, 0xe6};
    static const uint8_t debug_y[32] = {0xdc, 0x80, 0x9c, 0x49, 0x65, 0x2a, 0xeb, 0x6d,
                                        0x63, 0x32, 0x9a, 0xbf, 0x5a, 0x52, 0x15, 0x5c,
                                        0x76, 0x63, 0x45, 0xc2, 0x8f, 0xed, 0x30, 0x24,
                                        0x74, 0x1c, 0x8e, 0xd0, 0x15, 0x89, 0xd2, 0x8b};
    static const uint8_t preq[7] = {0x01, 0x03, 0x00, 0x08, 0x10, 0x00, 0x00};
    uint8_t y[32];
    struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, 3);

    BH_CHECK(bh_crypto_p256_is_debug_key(debug_x));
    su_send(preq, 7);
    SU_EXPECT("02 03 00 08 10 00 00");
    send_public_key(debug_x, debug_y);
    SU_EXPECT("05 03");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);

    su_send(preq, 7);
    SU_EXPECT("02 03 00 08 10 00 00");
    BH_CHECK_EQ(bh_crypto_p256_keygen(peer.priv, peer.x, y), 0);
    y[31] ^= 1; /* off the curve */
    send_public_key(peer.x, y);
    SU_EXPECT("05 0b");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
    su_teardown();
}

/* le_secure (Secure Connections Only): a legacy-only peer is refused. */
static void test_smp_sc_only_refuses_legacy(void)
{
    su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, true, 3);
    su_send_hex("01 03 00 01 10 00 00");
    SU_EXPECT("05 03");
    BH_CHECK_EQ(su.nevt, 0); /* nothing had started */
    su_teardown();

    su_setup(BH_CONN_ROLE_CENTRAL, false, false, true, 3);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 08 10 00 00");
    su_send_hex("02 03 00 00 10 00 00");
    SU_EXPECT("05 03");
    su_check_enc(0, 0, 0, 0);
    su_teardown();
}

BH_TEST_MAIN(BH_TEST(test_smp_sc_just_works_central), BH_TEST(test_smp_sc_just_works_peripheral),
             BH_TEST(test_smp_sc_numeric_comparison_peripheral_bond),
             BH_TEST(test_smp_sc_numeric_comparison_central),
             BH_TEST(test_smp_sc_numeric_comparison_rejected),
             BH_TEST(test_smp_sc_passkey_central_input),
             BH_TEST(test_smp_sc_passkey_peripheral_display),
             BH_TEST(test_smp_sc_bad_public_keys_refused), BH_TEST(test_smp_sc_only_refuses_legacy))

/* SPDX-License-Identifier: MIT */
/*
 * test_smp_p256.c: LE Secure Connections with P-256 from the controller
 * (BH_CONFIG_SMP_P256_CONTROLLER, src/host/smp_ecdh.c). This executable
 * compiles smp_ecdh.c itself with the option on; its definitions take the
 * place of the library's (the archive member is then never linked), so the
 * rest of the host is the ordinary build. fake_ctrl plays the controller:
 * it reports the two commands in Supported Commands, answers LE Read Local
 * P-256 Public Key and LE Generate DHKey with Command Status, and the test
 * sends their LE Meta subevents (Core 5.4 Vol 4 Part E 7.7.65.8/9) with a
 * key pair and DHKeys computed by bh_crypto. The test is the SC peer (Just
 * Works) and checks every value the host sends.
 */
#define BH_CONFIG_SMP_P256_CONTROLLER 1
#include "host/smp_ecdh.c"

#include "smp_util.h"

/* Supported Commands with octet 34 = 0x06 (the two P-256 commands). */
#define P2_CMDS_WITH                                                                               \
    "00"                                                                                           \
    "00000000000000000000000000000000 00000000000000000000000000000000"                            \
    "0000 06 00000000000000000000000000 00000000000000000000000000000000"

static struct {
    uint8_t ctrl_priv[32], ctrl_x[32], ctrl_y[32]; /* the fake controller's key pair */
    uint8_t peer_priv[32], peer_x[32], peer_y[32]; /* the test peer's */
} p2;

static const uint8_t p2_nb[16] = {0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
                                  0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};

static struct bh_conn *p2_setup(uint8_t role, bool with_cmds)
{
    memset(&su, 0, sizeof(su));
    fake_ctrl_init();
    if (with_cmds) {
        fake_ctrl_set_reply(0x1002, P2_CMDS_WITH);
    }
    fake_ctrl_set_reply(BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY, NULL); /* the test answers */
    fake_ctrl_set_reply(BH_HCI_OP_LE_GENERATE_DHKEY, NULL);
    bh_ble_set_event_cb(su_cb, NULL);
    bh_ble_set_secret_store(&su_store_ops);
    bh_gap_set_auto_data_length(false);
    bh_gap_set_auto_2m_phy(false);
    BH_CHECK_EQ(bh_ble_init(), 0);
    bh_smp_set_bonding(false);
    bh_smp_set_mitm(false);
    bh_smp_set_le_secure(false);
    BH_CHECK_EQ(bh_smp_set_io_capability(BH_SMP_IO_NO_INPUT_NO_OUTPUT), 0);
    BH_CHECK_EQ(bh_crypto_p256_keygen(p2.ctrl_priv, p2.ctrl_x, p2.ctrl_y), 0);
    BH_CHECK_EQ(bh_crypto_p256_keygen(p2.peer_priv, p2.peer_x, p2.peer_y), 0);
    return su_connect(role);
}

/* Command Status (success) for op, Vol 4 Part E 7.7.15. */
static void p2_status(uint16_t op)
{
    BH_CHECK(su_cmd(op) != NULL);
    fake_ctrl_cmd_status(op, 1, 0);
}

/* LE Read Local P-256 Public Key Complete with the controller's key. */
static void p2_key_event(void)
{
    uint8_t h4[3 + 66] = {BH_H4_EVT, 0x3e, 66, 0x08, 0x00};

    bh_crypto_swap(&h4[5], p2.ctrl_x, 32);
    bh_crypto_swap(&h4[37], p2.ctrl_y, 32);
    fake_ctrl_inject(h4, sizeof(h4));
}

/* LE Generate DHKey Complete: status, then the DHKey (LE) if 0. The LE
 * Generate DHKey command must carry the peer's key. */
static void p2_dhkey_event(uint8_t status)
{
    const struct su_cmd *c = su_cmd(BH_HCI_OP_LE_GENERATE_DHKEY);
    uint8_t h4[3 + 34] = {BH_H4_EVT, 0x3e, 34, 0x09, status};
    uint8_t le[32], dh[32];

    BH_CHECK(c != NULL);
    BH_CHECK_EQ(c->len, 64);
    bh_crypto_swap(le, p2.peer_x, 32);
    BH_CHECK_MEM(c->p, le, 32);
    bh_crypto_swap(le, p2.peer_y, 32);
    BH_CHECK_MEM(&c->p[32], le, 32);
    if (status == 0) {
        BH_CHECK_EQ(bh_crypto_p256_dhkey(p2.ctrl_priv, p2.peer_x, p2.peer_y, dh), 0);
        bh_crypto_swap(&h4[5], dh, 32);
    }
    fake_ctrl_inject(h4, sizeof(h4));
}

static void p2_send_public_key(void)
{
    uint8_t pdu[65];

    pdu[0] = BH_SMP_OP_PAIRING_PUBLIC_KEY;
    bh_crypto_swap(&pdu[1], p2.peer_x, 32);
    bh_crypto_swap(&pdu[33], p2.peer_y, 32);
    su_send(pdu, sizeof(pdu));
}

/* The host's Pairing Public Key must be the controller's. */
static void p2_expect_public_key(void)
{
    uint8_t b[80], le[32];

    BH_CHECK_EQ(su_pop(b), 65);
    BH_CHECK_EQ(b[0], BH_SMP_OP_PAIRING_PUBLIC_KEY);
    bh_crypto_swap(le, p2.ctrl_x, 32);
    BH_CHECK_MEM(&b[1], le, 32);
    bh_crypto_swap(le, p2.ctrl_y, 32);
    BH_CHECK_MEM(&b[33], le, 32);
}

/* Host central, SC Just Works: up to the nonces exchanged (the DHKey still
 * with the controller). na: the host's nonce. */
static void p2_central_to_nonces(uint8_t na[16])
{
    uint8_t cb[16];

    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 08 10 00 00");
    p2_status(BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY);
    su_send_hex("02 03 00 08 10 00 00");
    SU_EXPECT_NONE(); /* no key yet: the Pairing Public Key waits */
    p2_key_event();
    p2_expect_public_key();
    p2_send_public_key();
    p2_status(BH_HCI_OP_LE_GENERATE_DHKEY);
    BH_CHECK_EQ(bh_crypto_f4(p2.peer_x, p2.ctrl_x, p2_nb, 0, cb), 0);
    su_send16(BH_SMP_OP_PAIRING_CONFIRM, cb);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, na);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, p2_nb);
    SU_EXPECT_NONE(); /* stage 2 waits for the DHKey */
    BH_CHECK_EQ(bh_smp_link_state(bh_conn_lookup(SU_HANDLE)), BH_SMP_STATE_WAIT_DHKEY_CHECK);
}

static void test_smp_p256_controller_central_just_works(void)
{
    static const uint8_t zero[16];
    static const uint8_t io_a[3] = {0x08, 0x00, 0x03}, io_b[3] = {0x08, 0x00, 0x03};
    uint8_t na[16], dh[32], mackey[16], ltk[16], ea[16], v[16];

    p2_setup(BH_CONN_ROLE_CENTRAL, true);
    p2_central_to_nonces(na);
    p2_dhkey_event(0);
    /* The test's side: the same DHKey from the peer's private key. */
    BH_CHECK_EQ(bh_crypto_p256_dhkey(p2.peer_priv, p2.ctrl_x, p2.ctrl_y, dh), 0);
    BH_CHECK_EQ(bh_crypto_f5(dh, na, p2_nb, su_host_addr, su_peer_addr, mackey, ltk), 0);
    BH_CHECK_EQ(bh_crypto_f6(mackey, na, p2_nb, zero, io_a, su_host_addr, su_peer_addr, v), 0);
    su_pop16(BH_SMP_OP_PAIRING_DHKEY_CHECK, ea);
    BH_CHECK_MEM(ea, v, 16);
    BH_CHECK_EQ(bh_crypto_f6(mackey, p2_nb, na, zero, io_b, su_peer_addr, su_host_addr, v), 0);
    su_send16(BH_SMP_OP_PAIRING_DHKEY_CHECK, v);
    su_check_enable_encryption(ltk, 0, zero);
    su_enc_change(0);
    su_check_enc(1, 0, 0, 16);
    BH_CHECK_EQ(bh_smp_stats()->pairings_ok, 1);
    su_teardown();
}

/* The controller refuses the peer's key (Invalid HCI Command Parameters):
 * DHKey Check Failed on the air, IRQ 28 with nothing encrypted. */
static void test_smp_p256_controller_refuses_dhkey(void)
{
    uint8_t na[16];

    p2_setup(BH_CONN_ROLE_CENTRAL, true);
    p2_central_to_nonces(na);
    p2_dhkey_event(BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
    SU_EXPECT("05 0b");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(bh_conn_lookup(SU_HANDLE)), BH_SMP_STATE_IDLE);
    su_teardown();
}

/* Any other failure of LE Generate DHKey is the controller's, not the
 * peer's: Unspecified Reason, and no repeated-attempts wait for the peer
 * (Vol 3 Part H 2.3.6), so pairing can start again at once. */
static void test_smp_p256_controller_dhkey_fails_otherwise(void)
{
    uint8_t na[16];

    p2_setup(BH_CONN_ROLE_CENTRAL, true);
    p2_central_to_nonces(na);
    p2_dhkey_event(BH_HCI_ERR_CMD_DISALLOWED);
    SU_EXPECT("05 08");
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(bh_conn_lookup(SU_HANDLE)), BH_SMP_STATE_IDLE);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0); /* not -EAGAIN */
    SU_EXPECT("01 03 00 08 10 00 00");
    su_teardown();
}

/* Host peripheral: the initiator's key arrives before the controller's;
 * the host answers it once its own key exists, and its DHKey Check waits
 * for the DHKey while the initiator's is held. */
static void test_smp_p256_controller_responder_waits(void)
{
    static const uint8_t zero[16];
    static const uint8_t io_a[3] = {0x08, 0x00, 0x03}, io_b[3] = {0x08, 0x00, 0x03};
    uint8_t cb[16], v[16], dh[32], mackey[16], ltk[16];
    static const uint8_t na[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                   0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
    uint8_t nb[16];

    p2_setup(BH_CONN_ROLE_PERIPHERAL, true);
    su_send_hex("01 03 00 08 10 00 00");
    SU_EXPECT("02 03 00 08 10 00 00");
    p2_status(BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY);
    p2_send_public_key();
    SU_EXPECT_NONE();
    p2_key_event();
    p2_expect_public_key();
    su_pop16(BH_SMP_OP_PAIRING_CONFIRM, cb);
    p2_status(BH_HCI_OP_LE_GENERATE_DHKEY);
    su_send16(BH_SMP_OP_PAIRING_RANDOM, na);
    su_pop16(BH_SMP_OP_PAIRING_RANDOM, nb);
    BH_CHECK_EQ(bh_crypto_f4(p2.ctrl_x, p2.peer_x, nb, 0, v), 0);
    BH_CHECK_MEM(cb, v, 16);
    /* The initiator's check comes before the DHKey: held. */
    BH_CHECK_EQ(bh_crypto_p256_dhkey(p2.peer_priv, p2.ctrl_x, p2.ctrl_y, dh), 0);
    BH_CHECK_EQ(bh_crypto_f5(dh, na, nb, su_peer_addr, su_host_addr, mackey, ltk), 0);
    BH_CHECK_EQ(bh_crypto_f6(mackey, na, nb, zero, io_a, su_peer_addr, su_host_addr, v), 0);
    su_send16(BH_SMP_OP_PAIRING_DHKEY_CHECK, v);
    SU_EXPECT_NONE();
    p2_dhkey_event(0);
    BH_CHECK_EQ(bh_crypto_f6(mackey, nb, na, zero, io_b, su_host_addr, su_peer_addr, v), 0);
    su_pop16(BH_SMP_OP_PAIRING_DHKEY_CHECK, cb);
    BH_CHECK_MEM(cb, v, 16);
    su_ltk_request(zero, 0);
    su_check_ltk_reply(ltk);
    su_enc_change(0);
    su_check_enc(1, 0, 0, 16);
    su_teardown();
}

/* Without the two commands in Supported Commands, SC is not offered and
 * nothing is asked of the controller: legacy pairing. */
static void test_smp_p256_controller_without_commands_is_legacy(void)
{
    p2_setup(BH_CONN_ROLE_CENTRAL, false);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 00 10 00 00");
    BH_CHECK(su_cmd(BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY) == NULL);
    su_teardown();
}

BH_TEST_MAIN(BH_TEST(test_smp_p256_controller_central_just_works),
             BH_TEST(test_smp_p256_controller_refuses_dhkey),
             BH_TEST(test_smp_p256_controller_dhkey_fails_otherwise),
             BH_TEST(test_smp_p256_controller_responder_waits),
             BH_TEST(test_smp_p256_controller_without_commands_is_legacy))

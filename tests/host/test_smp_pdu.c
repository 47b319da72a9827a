/* SPDX-License-Identifier: MIT */
/*
 * test_smp_pdu.c: hostile and misordered SMP PDUs (Core 5.4 Vol 3 Part H 3),
 * as a table: too short, trailing bytes, bad values, wrong role, wrong
 * state, unsolicited, reserved codes; each gets the Pairing Failed reason
 * it deserves (or is ignored), leaves no state behind, and the next pairing
 * works. Also the SMP timeout (3.4) and the Security Request (3.6.7).
 */
#include "smp_util.h"

#include "os/bh_assert.h"

#define Z16 "00000000000000000000000000000000"

struct pdu_case {
    const char *name;
    bool mid;           /* sent after Pairing Request/Response (legacy Just Works) */
    const char *pdu;    /* what the peer sends */
    const char *answer; /* Pairing Failed the host sends, NULL: nothing */
};

static const struct pdu_case smp_pdu_cases[] = {
    {"req short", false, "01 03 00 01 10 03", "05 0a"},
    {"req trailing", false, "01 03 00 01 10 03 03 ff", "05 0a"},
    {"req io 5", false, "01 05 00 01 10 00 00", "05 0a"},
    {"req key size 6", false, "01 03 00 01 06 00 00", "05 06"},
    {"req key size 17", false, "01 03 00 01 11 00 00", "05 0a"},
    {"rsp to responder", false, "02 03 00 01 10 00 00", "05 07"},
    {"security req to peripheral", false, "0b 01", "05 07"},
    {"unsolicited confirm", false, "03" Z16, "05 08"},
    {"unsolicited random", false, "04" Z16, "05 08"},
    {"unsolicited public key", false, "0c" Z16 Z16 Z16 Z16, "05 08"},
    {"unsolicited dhkey check", false, "0d" Z16, "05 08"},
    {"unsolicited encryption info", false, "06" Z16, "05 08"},
    {"unsolicited central ident", false, "07 00 00 00 00 00 00 00 00 00 00", "05 08"},
    {"unsolicited identity info", false, "08" Z16, "05 08"},
    {"unsolicited identity addr", false, "09 00 01 02 03 04 05 06", "05 08"},
    {"signing info", false, "0a" Z16, "05 08"},
    {"confirm short", false, "03 00", "05 0a"},
    {"failed short", false, "05", "05 0a"},
    {"failed when idle", false, "05 08", NULL},
    {"keypress", false, "0e 00", NULL},
    {"reserved code", false, "0f 00", NULL},
    {"reserved code ff", false, "ff", NULL},
    {"empty", false, "", NULL},
    {"repeated req", true, "01 03 00 00 10 00 00", "05 08"},
    {"random before confirm", true, "04" Z16, "05 08"},
    {"public key in legacy", true, "0c" Z16 Z16 Z16 Z16, "05 08"},
    {"dhkey check in legacy", true, "0d" Z16, "05 08"},
    {"keys before encryption", true, "06" Z16, "05 08"},
    {"confirm trailing", true, "03" Z16 "00", "05 0a"},
    {"peer fails", true, "05 04", NULL},
};

static void test_smp_pdu_table(void)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(smp_pdu_cases); i++) {
        const struct pdu_case *t = &smp_pdu_cases[i];
        struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, 3);

        fprintf(stderr, "  row: %s\n", t->name);
        if (t->mid) {
            su_send_hex("01 03 00 00 10 00 00");
            SU_EXPECT("02 03 00 08 10 00 00");
        }
        su_send_hex(t->pdu);
        if (t->answer != NULL) {
            SU_EXPECT(t->answer);
        }
        SU_EXPECT_NONE();
        if (t->mid) {
            su_check_enc(0, 0, 0, 0); /* the procedure ended, once */
        }
        BH_CHECK_EQ(su.nevt, 0);
        BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_IDLE);
        BH_CHECK(!c->encrypted);
        /* No state left: the next pairing starts normally. */
        su_send_hex("01 03 00 00 10 00 00");
        SU_EXPECT("02 03 00 08 10 00 00");
        BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_WAIT_CONFIRM);
        su_teardown();
    }
}

/* Counters: each kind of bad input is counted where it is dropped. */
static void test_smp_pdu_counted(void)
{
    su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, 3);
    su_send_hex("01 03");
    su_send_hex("04" Z16);
    su_send_hex("0f");
    SU_EXPECT("05 0a");
    SU_EXPECT("05 08");
    SU_EXPECT_NONE();
    BH_CHECK_EQ(bh_smp_stats()->rx_pdus, 3);
    BH_CHECK_EQ(bh_smp_stats()->rx_bad_len, 1);
    BH_CHECK_EQ(bh_smp_stats()->rx_bad_state, 1);
    BH_CHECK_EQ(bh_smp_stats()->rx_unknown, 1);
    su_teardown();
}

/* 30 s without progress: IRQ 28 once, then no SMP on the link until it reconnects. */
static void test_smp_pdu_timeout_ends_smp_on_link(void)
{
    struct bh_conn *c = su_setup(BH_CONN_ROLE_PERIPHERAL, false, false, false, 3);

    su_send_hex("01 03 00 00 10 00 00");
    SU_EXPECT("02 03 00 08 10 00 00");
    fake_ctrl_advance(BH_CONFIG_SMP_TIMEOUT_MS - 1);
    BH_CHECK_EQ(su.nevt, 0);
    fake_ctrl_advance(1);
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_link_state(c), BH_SMP_STATE_TIMED_OUT);
    BH_CHECK_EQ(bh_smp_stats()->timeouts, 1);
    su_send_hex("01 03 00 00 10 00 00");
    su_send_hex("03" Z16);
    SU_EXPECT_NONE(); /* not even Pairing Failed */
    BH_CHECK_EQ(bh_smp_stats()->rx_dropped, 2);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -ETIMEDOUT);
    fake_ctrl_advance(60000);
    BH_CHECK_EQ(su.nevt, 0);
    su_disconnect();
    c = su_connect(BH_CONN_ROLE_PERIPHERAL);
    su_send_hex("01 03 00 00 10 00 00");
    SU_EXPECT("02 03 00 08 10 00 00");
    su_teardown();

    /* As central, waiting for the Pairing Response. */
    c = su_setup(BH_CONN_ROLE_CENTRAL, false, false, false, 3);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("01 03 00 08 10 00 00");
    fake_ctrl_advance(BH_CONFIG_SMP_TIMEOUT_MS);
    su_check_enc(0, 0, 0, 0);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), -ETIMEDOUT);
    su_send_hex("02 03 00 00 10 00 00");
    SU_EXPECT_NONE();
    su_teardown();
}

/* Peripheral gap_pair sends a Security Request; a central answers one with pairing. */
static void test_smp_pdu_security_request(void)
{
    su_setup(BH_CONN_ROLE_PERIPHERAL, true, true, false, 3);
    BH_CHECK_EQ(bh_smp_pair(SU_HANDLE), 0);
    SU_EXPECT("0b 0d");
    BH_CHECK_EQ(bh_smp_link_state(bh_conn_lookup(SU_HANDLE)), BH_SMP_STATE_IDLE);
    su_teardown();

    su_setup(BH_CONN_ROLE_CENTRAL, true, false, false, 3);
    su_send_hex("0b 01");
    SU_EXPECT("01 03 00 09 10 03 03");
    su_send_hex("0b 01"); /* again, while pairing: ignored */
    SU_EXPECT_NONE();
    BH_CHECK_EQ(bh_smp_link_state(bh_conn_lookup(SU_HANDLE)), BH_SMP_STATE_WAIT_PAIRING_RSP);
    su_teardown();
}

/* API errors: unknown link, bad IO capability, passkey with nothing pending. */
static void test_smp_pdu_api_errors(void)
{
    su_setup(BH_CONN_ROLE_CENTRAL, false, false, false, 3);
    BH_CHECK_EQ(bh_smp_pair(0x0041), -ENOTCONN);
    BH_CHECK_EQ(bh_smp_passkey(0x0041, BH_SMP_ACTION_INPUT, 1), -ENOTCONN);
    BH_CHECK_EQ(bh_smp_passkey(SU_HANDLE, BH_SMP_ACTION_INPUT, 1), -EINVAL);
    BH_CHECK_EQ(bh_smp_set_io_capability(5), -EINVAL);
    BH_CHECK_EQ(bh_keys_delete(0, (const uint8_t[6]){1, 2, 3, 4, 5, 6}), -ENOENT);
    su_teardown();
}

BH_TEST_MAIN(BH_TEST(test_smp_pdu_table), BH_TEST(test_smp_pdu_counted),
             BH_TEST(test_smp_pdu_timeout_ends_smp_on_link), BH_TEST(test_smp_pdu_security_request),
             BH_TEST(test_smp_pdu_api_errors))

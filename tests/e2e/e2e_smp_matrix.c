/* SPDX-License-Identifier: MIT */
/*
 * e2e_smp_matrix.c: the pairing matrix between two hosts over blesim
 * (Core 5.4 Vol 3 Part H 2.3.5.1, Table 2.8), and pairing failures that the
 * user causes (a wrong passkey, a rejected numeric comparison).
 *
 * pair_matrix_legacy (param 0) and pair_matrix_sc (param 1) walk all 25
 * IO-capability cells of Table 2.8, legacy pairing (SC not offered:
 * bh_smp_set_sc(false) on both hosts) or LE Secure Connections, plus two
 * cells without MITM. Each cell runs once on a fresh connection; which side
 * starts (the central with gap_pair, or the peripheral with a Security
 * Request), bonding on or off, and which side asks for MITM (both, only
 * the responder, only the initiator) rotate with the cell's index; seven
 * more cells (mx_extra) make every method meet both starters and both
 * bonding settings (34 pairings per scenario). The expected
 * method comes from the test's own copy of Table 2.8; IRQ 31 is answered
 * as a user would (the displaying side tells its number to the typing side
 * through the driver; comparisons are checked equal, then accepted), and
 * IRQ 28 must say (1, authenticated unless Just Works, bonded as asked, 16)
 * on both sides, with no IRQ 31 for Just Works.
 *
 * pair_failures (param 2): a wrong passkey (legacy, then SC) fails on both
 * sides (IRQ 28 all zero); the peripheral, which detects the mismatch,
 * refuses the next Pairing Request with Repeated Attempts (2.3.6) until
 * its wait ends, then pairing works; a numeric comparison rejected by the
 * peripheral fails on both sides (the central's late answer gets -EINVAL)
 * and the next pairing on the same link works at once.
 *
 * pair_bad_public_key: a Pairing Public Key off the curve (e2e_smp_seam.c
 * flips a bit of Y as it leaves), from the central, then from the
 * peripheral. The side that receives it refuses it (Vol 3 Part H 2.3.5.6.1)
 * with Pairing Failed, DHKey Check Failed (what smp_sc.c answers for a
 * DHKey that cannot be computed): mbedTLS finds the point invalid, or, in
 * e2e_host_p256, the controller completes LE Generate DHKey with Invalid
 * HCI Command Parameters (Vol 4 Part E 7.7.65.9). Having detected a failed
 * pairing it imposes the Repeated Attempts wait (2.3.6); after it, the same
 * link pairs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2e_roles.h"

#if BH_CONFIG_SMP

#include "host/keys.h"
#include "host/smp.h"
#include "host/smp_spec.h"

#define DO BH_SMP_IO_DISPLAY_ONLY
#define DYN BH_SMP_IO_DISPLAY_YES_NO
#define KO BH_SMP_IO_KEYBOARD_ONLY
#define NIO BH_SMP_IO_NO_INPUT_NO_OUTPUT
#define KD BH_SMP_IO_KEYBOARD_DISPLAY

/* Table 2.8 as printed: rows the responder's IO, columns the initiator's.
 * J Just Works; I initiator inputs, responder displays; R responder
 * inputs, initiator displays; B both input; N numeric comparison. */
static const char mx_legacy[5][6] = {"JJIJI", "JJIJI", "RRBJR", "JJJJJ", "RRIJR"};
static const char mx_sc[5][6] = {"JJIJI", "JNIJN", "RRBJR", "JJJJJ", "RNIJN"};

struct mx_case {
    uint8_t io_c, io_p; /* central (initiator), peripheral (responder) */
    bool mitm_c, mitm_p;
    bool sc;
    bool bond;
    bool secreq; /* the peripheral starts with a Security Request */
};

/* After the 25 cells and the 2 without MITM: cells again (MITM on both
 * sides) with the starter and bonding that the rotation left out for
 * their method: {io_c, io_p, secreq, bond}. */
static const uint8_t mx_extra[][4] = {
    {KO, KO, 1, 0},   {KO, KO, 0, 1}, {KO, KO, 1, 1}, /* both input */
    {KO, DO, 1, 0},   {DO, KO, 1, 0},                 /* SC passkey, peripheral starts */
    {DYN, DYN, 1, 1}, {KD, KD, 1, 1},                 /* SC comparison, bonding */
};
#define MX_CELLS (27 + sizeof(mx_extra) / sizeof(mx_extra[0]))

/* Case i of the matrix (param 0 legacy, 1 SC). */
static struct mx_case mx_case(unsigned i, bool sc)
{
    struct mx_case k = {.sc = sc};

    if (i >= 27) {
        const uint8_t *x = mx_extra[i - 27];

        k.io_c = x[0];
        k.io_p = x[1];
        k.mitm_c = k.mitm_p = true;
        k.secreq = x[2] != 0;
        k.bond = x[3] != 0;
        return k;
    }
    if (i < 25) {
        k.io_c = (uint8_t)(i % 5);
        k.io_p = (uint8_t)(i / 5);
        k.mitm_c = i % 3 != 1;
        k.mitm_p = i % 3 != 2;
    } else { /* MITM on neither side: Just Works whatever the IO */
        k.io_c = i == 25 ? KD : DYN;
        k.io_p = i == 25 ? KD : DYN;
    }
    k.secreq = (i & 1) != 0;
    k.bond = (i & 2) != 0;
    return k;
}

static char mx_method(const struct mx_case *k)
{
    if (!k->mitm_c && !k->mitm_p) {
        return 'J';
    }
    return k->sc ? mx_sc[k->io_p][k->io_c] : mx_legacy[k->io_p][k->io_c];
}

static void mx_config(uint8_t io, bool mitm, bool bond, bool sc)
{
    bh_ble_set_io_capability(io);
    bh_ble_set_mitm(mitm);
    bh_ble_set_bonding(bond);
    bh_ble_set_le_secure(false);
    bh_smp_set_sc(sc);
}

static void mx_adv(void)
{
    static const uint8_t adv[] = {2, 0x01, 0x06, 3, 0x09, 'm', 'x'};

    E2E_OK(bh_ble_gap_adv_start(true, 20000, adv, sizeof(adv), NULL, 0));
}

static void mx_expect_enc(uint16_t conn, int enc, int auth, int bonded)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_ENCRYPTION_UPDATE, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->enc.encrypted, enc);
    E2E_CHECK_EQ(ev->enc.authenticated, auth);
    E2E_CHECK_EQ(ev->enc.bonded, bonded);
    E2E_CHECK_EQ(ev->enc.key_size, enc ? 16 : 0);
}

static const struct bh_ble_event *mx_expect_action(uint16_t conn, uint8_t action)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_PASSKEY_ACTION, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->passkey.action, action);
    return ev;
}

/* IRQ 31 DISPLAY: tell the number to the other side as "<tag> n". */
static uint32_t mx_display(uint16_t conn, const char *tag)
{
    uint32_t pk = mx_expect_action(conn, BH_SMP_ACTION_DISPLAY)->passkey.passkey;

    E2E_CHECK(pk <= 999999);
    e2e_send("%s %u", tag, (unsigned)pk);
    return pk;
}

/* IRQ 31 INPUT: type what the other side displays (plus delta: a typo). */
static void mx_input(uint16_t conn, const char *tag, uint32_t delta)
{
    char rest[32];
    uint32_t pk;

    (void)mx_expect_action(conn, BH_SMP_ACTION_INPUT)->passkey.passkey;
    e2e_wait(tag, rest, sizeof(rest));
    pk = (uint32_t)strtoul(rest, NULL, 10);
    E2E_OK(bh_ble_gap_passkey(conn, BH_SMP_ACTION_INPUT, (pk ^ delta) % 1000000u));
}

/* IRQ 31 NUMERIC COMPARISON: both numbers must match; then answer accept. */
static void mx_compare(uint16_t conn, const char *tag, bool central, int accept)
{
    char key[32], rest[32];
    uint32_t n = mx_expect_action(conn, BH_SMP_ACTION_NUMERIC_COMPARISON)->passkey.passkey;

    E2E_CHECK(n <= 999999);
    e2e_send("%s.%c %u", tag, central ? 'c' : 'p', (unsigned)n);
    snprintf(key, sizeof(key), "%s.%c", tag, central ? 'p' : 'c');
    e2e_wait(key, rest, sizeof(rest));
    E2E_CHECK_EQ(strtoul(rest, NULL, 10), n);
    if (accept >= 0) {
        E2E_OK(bh_ble_gap_passkey(conn, BH_SMP_ACTION_NUMERIC_COMPARISON, (uint32_t)accept));
    }
}

/* What a user does with IRQ 31 for method m, on either side. */
static void mx_user(uint16_t conn, char m, bool central, unsigned i)
{
    char tag[16];

    snprintf(tag, sizeof(tag), "mx%u", i);
    if (m == 'I' || m == 'R') {
        if (central == (m == 'I')) {
            mx_input(conn, tag, 0);
        } else {
            (void)mx_display(conn, tag);
        }
    } else if (m == 'B') {
        (void)mx_expect_action(conn, BH_SMP_ACTION_INPUT);
        E2E_OK(bh_ble_gap_passkey(conn, BH_SMP_ACTION_INPUT, 100000u + i * 7919u));
    } else if (m == 'N') {
        mx_compare(conn, tag, central, 1);
    }
}

/* One cell from either side; the central disconnects at the end. */
static void mx_cell(unsigned i, bool sc, bool central)
{
    struct mx_case k = mx_case(i, sc);
    char m = mx_method(&k), key[16];
    uint16_t conn;

    mx_config(central ? k.io_c : k.io_p, central ? k.mitm_c : k.mitm_p, k.bond, k.sc);
    snprintf(key, sizeof(key), "ready%u", i);
    if (central) {
        e2e_wait(key, NULL, 0);
        conn = e2e_connect_to("peripheral");
        if (!k.secreq) {
            E2E_OK(bh_ble_gap_pair(conn));
        }
    } else {
        mx_adv();
        e2e_send("%s", key);
        conn = e2e_wait_central(NULL);
        if (k.secreq) {
            E2E_OK(bh_ble_gap_pair(conn));
        }
    }
    mx_user(conn, m, central, i);
    mx_expect_enc(conn, 1, m != 'J', k.bond);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PASSKEY_ACTION), 0);
    E2E_CHECK_EQ(bh_keys_count(), k.bond ? 1u : 0u);
    snprintf(key, sizeof(key), "done%u", i);
    if (central) {
        e2e_wait(key, NULL, 0);
        E2E_OK(bh_ble_gap_disconnect(conn));
        (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
    } else {
        e2e_send("%s", key);
        (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
    }
    E2E_OK(bh_ble_gap_unpair(0, NULL));
}

/* P-256 from the controller: one key pair for every pairing (it is renewed
 * only after a failure), one DHKey per SC pairing. */
static void mx_check_p256(bool sc)
{
    const struct e2e_p256_count *p = e2e_p256_count();
    bool ctrl = sc && e2e_p256_controller();

    E2E_CHECK_EQ(p->key_cmds, ctrl ? 1 : 0);
    E2E_CHECK_EQ(p->key_ok, ctrl ? 1 : 0);
    E2E_CHECK_EQ(p->dh_cmds, ctrl ? MX_CELLS : 0);
    E2E_CHECK_EQ(p->dh_ok, ctrl ? MX_CELLS : 0);
}

void smp_matrix_central(void)
{
    for (unsigned i = 0; i < MX_CELLS; i++) {
        mx_cell(i, e2e_param() == 1, true);
    }
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, MX_CELLS);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 0);
    mx_check_p256(e2e_param() == 1);
}

void smp_matrix_peripheral(void)
{
    e2e_announce();
    for (unsigned i = 0; i < MX_CELLS; i++) {
        mx_cell(i, e2e_param() == 1, false);
    }
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, MX_CELLS);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 0);
    mx_check_p256(e2e_param() == 1);
}

/* ---- failures ------------------------------------------------------------------ */

/* Pump the host through the peripheral's Repeated Attempts wait (2 s after
 * the first failure it detected, Vol 3 Part H 2.3.6): a protocol timer,
 * not synchronisation. */
#define MX_ATTEMPT_WAIT_MS 2100

static void mx_pump(uint32_t ms)
{
    (void)e2e_try_irq(0, E2E_ANY_CONN, ms); /* no event has IRQ 0 */
}

void smp_fail_central(void)
{
    uint16_t conn;

    /* Legacy Passkey Entry (we type, the peripheral displays), one typo. */
    mx_config(KO, true, false, false);
    e2e_wait("ready", NULL, 0);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    mx_input(conn, "pk1", 1);
    mx_expect_enc(conn, 0, 0, 0);
    /* The peripheral now refuses us for a while: Pairing Failed 0x09. */
    E2E_OK(bh_ble_gap_pair(conn));
    mx_expect_enc(conn, 0, 0, 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PASSKEY_ACTION), 0);
    mx_pump(MX_ATTEMPT_WAIT_MS);
    E2E_OK(bh_ble_gap_pair(conn));
    mx_input(conn, "pk2", 0);
    mx_expect_enc(conn, 1, 1, 0);
    e2e_wait("legacy_ok", NULL, 0); /* the peripheral is done too */
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);

    /* SC Passkey Entry (the peripheral types), a typo in bit 0: it detects
     * the mismatch in the first round. */
    mx_config(DO, true, false, true);
    e2e_wait("ready", NULL, 0);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    (void)mx_display(conn, "pk3");
    mx_expect_enc(conn, 0, 0, 0);
    mx_pump(MX_ATTEMPT_WAIT_MS);
    E2E_OK(bh_ble_gap_pair(conn));
    (void)mx_display(conn, "pk4");
    mx_expect_enc(conn, 1, 1, 0);
    e2e_wait("sc_ok", NULL, 0); /* the peripheral is done too */
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);

    /* Numeric Comparison rejected by the peripheral: we never answer. */
    mx_config(DYN, true, true, true);
    e2e_wait("ready", NULL, 0);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    mx_compare(conn, "nc1", true, -1);
    mx_expect_enc(conn, 0, 0, 0);
    E2E_CHECK_EQ(bh_ble_gap_passkey(conn, BH_SMP_ACTION_NUMERIC_COMPARISON, 1), -EINVAL);
    /* No wait after a rejection: the same link pairs at once. */
    E2E_OK(bh_ble_gap_pair(conn));
    mx_compare(conn, "nc2", true, 1);
    mx_expect_enc(conn, 1, 1, 1);
    e2e_wait("nc_ok", NULL, 0); /* the peripheral is done too */
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 3);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 4);
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
}

void smp_fail_peripheral(void)
{
    uint16_t conn;

    e2e_announce();
    mx_config(DO, true, false, false);
    mx_adv();
    e2e_send("ready");
    conn = e2e_wait_central(NULL);
    (void)mx_display(conn, "pk1");
    mx_expect_enc(conn, 0, 0, 0);
    (void)mx_display(conn, "pk2"); /* after the wait: this one works */
    mx_expect_enc(conn, 1, 1, 0);
    e2e_send("legacy_ok");
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 1); /* the refusal raised no IRQ 28 */
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);

    mx_config(KO, true, false, true);
    mx_adv();
    e2e_send("ready");
    conn = e2e_wait_central(NULL);
    mx_input(conn, "pk3", 1);
    mx_expect_enc(conn, 0, 0, 0);
    mx_input(conn, "pk4", 0);
    mx_expect_enc(conn, 1, 1, 0);
    e2e_send("sc_ok");
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);

    mx_config(DYN, true, true, true);
    mx_adv();
    e2e_send("ready");
    conn = e2e_wait_central(NULL);
    mx_compare(conn, "nc1", false, 0);
    mx_expect_enc(conn, 0, 0, 0);
    mx_compare(conn, "nc2", false, 1);
    mx_expect_enc(conn, 1, 1, 1);
    e2e_send("nc_ok");
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 3);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 3);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_ENCRYPTION_UPDATE), 0);
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
}

/* ---- a public key off the curve ---------------------------------------------------- */

/* We refused the peer's key (the n-th time): Pairing Failed 0x0B sent, and
 * the DHKey was refused where it is computed. */
static void bk_refused(unsigned n)
{
    const struct e2e_p256_count *p = e2e_p256_count();

    E2E_CHECK_EQ(e2e_smp_failed_tx(), BH_SMP_ERR_DHKEY_CHECK_FAILED);
    if (e2e_p256_controller()) {
        E2E_CHECK_EQ(p->dh_failed, n);
        E2E_CHECK_EQ(p->dh_status, 0x12); /* Invalid HCI Command Parameters */
    } else {
        E2E_CHECK_EQ(p->dh_cmds, 0);
    }
}

/* PDUs that crossed a Pairing Failed arrive after the pairing ended, and
 * each is answered with Pairing Failed, Unspecified Reason (a PDU out of
 * order): sent by whichever side failed, after its Pairing Failed. Such
 * an answer would abort our next attempt. An ATT round trip on the same
 * link brings them all in (either side sent or answered them before the
 * Read Request or its Response): then they are forgotten. */
static void bk_settle(uint16_t conn)
{
    static const uint8_t read_name[] = {0x0A, 0x03, 0x00}; /* Device Name value */
    uint8_t rsp[64];

    E2E_CHECK(e2e_att_raw(conn, read_name, sizeof(read_name), rsp, sizeof(rsp)) > 0);
    E2E_CHECK_EQ(rsp[0], 0x0B); /* Read Response */
    (void)e2e_smp_failed_rx();
    (void)e2e_smp_failed_tx();
}

/* At the end, on both sides: a key pair at the start and a new one after
 * each failed SC pairing of ours (2), three DHKeys computed, one refused. */
static void bk_check_p256(void)
{
    const struct e2e_p256_count *p = e2e_p256_count();
    unsigned n = e2e_p256_controller() ? 1 : 0;

    E2E_CHECK_EQ(p->key_ok, 3 * n);
    E2E_CHECK_EQ(p->dh_ok, 3 * n);
    E2E_CHECK_EQ(p->dh_failed, n);
}

static void bk_disconnect(uint16_t conn, bool central)
{
    if (central) {
        E2E_OK(bh_ble_gap_disconnect(conn));
        (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
    } else {
        (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
    }
}

void smp_badkey_central(void)
{
    uint16_t conn;

    /* Our key is spoiled: the peripheral refuses it, then makes us wait. */
    mx_config(NIO, false, false, true);
    e2e_wait("ready", NULL, 0);
    conn = e2e_connect_to("peripheral");
    e2e_smp_spoil_public_key();
    E2E_OK(bh_ble_gap_pair(conn));
    mx_expect_enc(conn, 0, 0, 0);
    E2E_CHECK_EQ(e2e_smp_failed_rx(), BH_SMP_ERR_DHKEY_CHECK_FAILED);
    E2E_CHECK_EQ(e2e_smp_failed_tx(), 0);
    e2e_wait("refused", NULL, 0);
    bk_settle(conn);
    e2e_send("settled");
    e2e_wait("go", NULL, 0);
    E2E_OK(bh_ble_gap_pair(conn));
    mx_expect_enc(conn, 0, 0, 0);
    E2E_CHECK_EQ(e2e_smp_failed_rx(), BH_SMP_ERR_REPEATED_ATTEMPTS);
    mx_pump(MX_ATTEMPT_WAIT_MS);
    E2E_OK(bh_ble_gap_pair(conn));
    mx_expect_enc(conn, 1, 0, 0);
    E2E_CHECK_EQ(e2e_smp_failed_rx(), 0);
    e2e_wait("ok1", NULL, 0);
    bk_disconnect(conn, true);

    /* The peripheral's key is spoiled: we refuse it, and wait ourselves. */
    e2e_wait("ready", NULL, 0);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    mx_expect_enc(conn, 0, 0, 0);
    bk_refused(1);
    bk_settle(conn);
    E2E_CHECK_EQ(bh_ble_gap_pair(conn), -EAGAIN);
    mx_pump(MX_ATTEMPT_WAIT_MS);
    E2E_OK(bh_ble_gap_pair(conn));
    mx_expect_enc(conn, 1, 0, 0);
    E2E_CHECK_EQ(e2e_smp_failed_tx(), 0);
    e2e_wait("ok2", NULL, 0);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 2);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 3);
    bk_check_p256();
    bk_disconnect(conn, true);
}

void smp_badkey_peripheral(void)
{
    uint16_t conn;

    e2e_announce();
    mx_config(NIO, false, false, true);
    mx_adv();
    e2e_send("ready");
    conn = e2e_wait_central(NULL);
    mx_expect_enc(conn, 0, 0, 0);
    bk_refused(1);
    e2e_send("refused");
    e2e_wait("settled", NULL, 0);
    (void)e2e_smp_failed_tx(); /* our answers to the PDUs that crossed ours */
    e2e_send("go");
    mx_expect_enc(conn, 1, 0, 0); /* after the Repeated Attempts refusal */
    E2E_CHECK_EQ(e2e_smp_failed_tx(), BH_SMP_ERR_REPEATED_ATTEMPTS);
    e2e_send("ok1");
    bk_disconnect(conn, false);

    mx_adv();
    e2e_smp_spoil_public_key();
    e2e_send("ready");
    conn = e2e_wait_central(NULL);
    mx_expect_enc(conn, 0, 0, 0);
    E2E_CHECK_EQ(e2e_smp_failed_rx(), BH_SMP_ERR_DHKEY_CHECK_FAILED);
    E2E_CHECK_EQ(e2e_smp_failed_tx(), 0);
    mx_expect_enc(conn, 1, 0, 0);
    e2e_send("ok2");
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 2);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_failed, 2); /* the refusal raised no IRQ 28 */
    bk_check_p256();
    bk_disconnect(conn, false);
}

#else /* the scenarios are not registered without SMP (tests/e2e/CMakeLists.txt) */

void smp_matrix_central(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

void smp_matrix_peripheral(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

void smp_fail_central(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

void smp_fail_peripheral(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

void smp_badkey_central(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

void smp_badkey_peripheral(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

#endif /* BH_CONFIG_SMP */

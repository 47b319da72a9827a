/* SPDX-License-Identifier: MIT */
/*
 * smp_sc.c: LE Secure Connections pairing phase 2 (Core 5.4 Vol 3 Part H
 * 2.3.5.6): the public key exchange and Diffie-Hellman key (P-256 through
 * bh_crypto; the peer's debug key and invalid points are refused), the
 * authentication stage 1 of Just Works and Numeric Comparison (f4, g2:
 * 2.3.5.6.2) and of Passkey Entry (20 rounds of f4 commitments, one bit of
 * the passkey each: 2.3.5.6.3), then stage 2: MacKey and LTK from f5 and
 * the DHKey checks from f6 (2.3.5.6.5). smp.c owns the state machine,
 * smp_pairing.c the feature exchange, smp_enc.c the encryption start;
 * smp_ecdh.c our key pair and
 * the DHKey, from bh_crypto or (BH_CONFIG_SMP_P256_CONTROLLER) from the
 * controller, in which case both may arrive later: a link then waits for
 * its key before sending or answering a public key, and stage 2 waits for
 * the DHKey (bh_smp_sc_on_key, bh_smp_sc_on_dhkey continue). Out-of-band
 * data is not supported.
 */
#include <errno.h>
#include <string.h>

#include "crypto/bh_crypto.h"
#include "smp.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

#define SC_PASSKEY_ROUNDS 20

/* Our public key X (MSB-first), or NULL if there is none (yet). */
static const uint8_t *sc_our_x(void)
{
    const uint8_t *x = NULL;

    return bh_smp_ecdh_key(&x, NULL) == 0 ? x : NULL;
}

/* Na, Nb: the initiator's and the responder's nonces. */
static const uint8_t *sc_na(const struct bh_smp_link *l)
{
    return l->central ? l->lrand : l->prand;
}

static const uint8_t *sc_nb(const struct bh_smp_link *l)
{
    return l->central ? l->prand : l->lrand;
}

/* The passkey locked: the application may no longer replace it. */
static void sc_lock_passkey(struct bh_smp_link *l)
{
    if (l->user == BH_SMP_ACTION_DISPLAY) {
        bh_work_cancel(&l->resume);
        l->user = BH_SMP_ACTION_NONE;
    }
}

static uint8_t sc_send16(struct bh_smp_link *l, uint8_t op, const uint8_t v[16])
{
    uint8_t pdu[16];

    bh_crypto_swap(pdu, v, 16);
    return bh_smp_send(l, op, pdu, 16) == 0 ? 0 : BH_SMP_ERR_UNSPECIFIED_REASON;
}

/* Our Pairing Public Key, or BH_SMP_P256_WAIT_KEY until the controller has it. */
static uint8_t sc_send_public_key(struct bh_smp_link *l)
{
    uint8_t pdu[64];
    const uint8_t *x, *y;
    int err = bh_smp_ecdh_key(&x, &y);

    if (err == -EINPROGRESS) {
        l->p256_wait |= BH_SMP_P256_WAIT_KEY;
        return 0;
    }
    if (err != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    bh_crypto_swap(pdu, x, 32);
    bh_crypto_swap(&pdu[32], y, 32);
    return bh_smp_send(l, BH_SMP_OP_PAIRING_PUBLIC_KEY, pdu, 64) == 0
               ? 0
               : BH_SMP_ERR_UNSPECIFIED_REASON;
}

/* Our commitment with a fresh nonce: f4(PKx ours, PKx peer's, N, z), 2.3.5.6.2/3. */
static uint8_t sc_send_confirm(struct bh_smp_link *l, uint8_t z)
{
    uint8_t v[16];
    const uint8_t *x = sc_our_x();

    if (x == NULL || bh_smp_random(l->lrand, 16) != 0 ||
        bh_crypto_f4(x, l->lesc.peer_x, l->lrand, z, v) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    l->confirm_sent = true;
    return sc_send16(l, BH_SMP_OP_PAIRING_CONFIRM, v);
}

/* z of passkey round i: 0x80 | bit i of the passkey. */
static uint8_t sc_passkey_z(const struct bh_smp_link *l)
{
    return (uint8_t)(0x80 | ((l->passkey >> l->round) & 1));
}

static uint8_t sc_send_passkey_confirm(struct bh_smp_link *l)
{
    sc_lock_passkey(l);
    return sc_send_confirm(l, sc_passkey_z(l));
}

uint8_t bh_smp_sc_begin(struct bh_smp_link *l)
{
    /* 2.3.5.6.1: the initiator sends its public key first. */
    return l->central ? sc_send_public_key(l) : 0;
}

/* Check the peer's key (its X in peer_x, its Y held in lesc.dhkey) and
 * start the DHKey, 2.3.5.6.1. */
static uint8_t sc_dhkey(struct bh_smp_link *l)
{
    const uint8_t *x = sc_our_x();
    int err;

    if (x == NULL) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (bh_crypto_p256_is_debug_key(l->lesc.peer_x) || memcmp(l->lesc.peer_x, x, 32) == 0) {
        BH_LOG_WRN("conn 0x%04x: peer uses the debug key or ours: refused", l->conn->handle);
        return BH_SMP_ERR_AUTH_REQUIREMENTS;
    }
    err = bh_smp_ecdh_dhkey(l);
    if (err == -EINVAL) {
        BH_LOG_WRN("conn 0x%04x: peer public key not on the curve", l->conn->handle);
        return BH_SMP_ERR_DHKEY_CHECK_FAILED;
    }
    return err == 0 || err == -EINPROGRESS ? 0 : BH_SMP_ERR_UNSPECIFIED_REASON;
}

/* The peer's key is in and ours exists: DHKey, then the next step. */
static uint8_t sc_peer_key_ready(struct bh_smp_link *l)
{
    uint8_t reason;

    if ((reason = sc_dhkey(l)) != 0) {
        return reason;
    }
    if (!l->central && (reason = sc_send_public_key(l)) != 0) {
        return reason;
    }
    if (l->method == BH_SMP_METHOD_PASSKEY_INPUT || l->method == BH_SMP_METHOD_PASSKEY_DISPLAY) {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_CONFIRM);
        return l->central && l->user_ok ? sc_send_passkey_confirm(l) : 0;
    }
    if (l->central) {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_CONFIRM); /* Cb comes first */
        return 0;
    }
    bh_smp_set_state(l, BH_SMP_STATE_WAIT_RANDOM);
    return sc_send_confirm(l, 0);
}

uint8_t bh_smp_sc_rx_public_key(struct bh_smp_link *l, const uint8_t pk[64])
{
    int err;

    if (l->p256_wait & BH_SMP_P256_WAIT_KEY) {
        return BH_SMP_ERR_UNSPECIFIED_REASON; /* the initiator's key came before ours went */
    }
    bh_crypto_swap(l->lesc.peer_x, pk, 32);
    bh_crypto_swap(l->lesc.dhkey, &pk[32], 32); /* Y, until the DHKey replaces it */
    err = bh_smp_ecdh_key(NULL, NULL);
    if (err == -EINPROGRESS) {
        l->p256_wait |= BH_SMP_P256_WAIT_KEY; /* responder: on once our key exists */
        return 0;
    }
    return err == 0 ? sc_peer_key_ready(l) : BH_SMP_ERR_UNSPECIFIED_REASON;
}

uint8_t bh_smp_sc_on_key(struct bh_smp_link *l)
{
    if (l->state != BH_SMP_STATE_WAIT_PUBLIC_KEY) {
        return 0;
    }
    /* The initiator sends its key first; the responder had the peer's. */
    return l->central ? sc_send_public_key(l) : sc_peer_key_ready(l);
}

uint8_t bh_smp_sc_rx_confirm(struct bh_smp_link *l)
{
    uint8_t reason;
    bool passkey =
        l->method == BH_SMP_METHOD_PASSKEY_INPUT || l->method == BH_SMP_METHOD_PASSKEY_DISPLAY;

    if (l->central) {
        if (passkey && !l->confirm_sent) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_RANDOM);
        if (!passkey && bh_smp_random(l->lrand, 16) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        return sc_send16(l, BH_SMP_OP_PAIRING_RANDOM, l->lrand);
    }
    if (!passkey || l->confirm_sent || l->peer_confirm_held) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (!l->user_ok) {
        l->peer_confirm_held = true; /* answered once the passkey is typed */
        return 0;
    }
    reason = sc_send_passkey_confirm(l);
    if (reason == 0) {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_RANDOM);
    }
    return reason;
}

/* ra/rb of f6: the passkey for Passkey Entry, else zero (2.3.5.6.5). */
static void sc_r(const struct bh_smp_link *l, uint8_t r[16])
{
    memset(r, 0, 16);
    if (l->method == BH_SMP_METHOD_PASSKEY_INPUT || l->method == BH_SMP_METHOD_PASSKEY_DISPLAY) {
        r[12] = (uint8_t)(l->passkey >> 24);
        r[13] = (uint8_t)(l->passkey >> 16);
        r[14] = (uint8_t)(l->passkey >> 8);
        r[15] = (uint8_t)l->passkey;
    }
}

/* Ea (initiator's = true) or Eb: f6(MacKey, N1, N2, r, IOcap, A1, A2), 2.3.5.6.5. */
static int sc_check_value(const struct bh_smp_link *l, bool initiator, uint8_t out[16])
{
    uint8_t a[7], b[7], r[16], io[3];
    const uint8_t *f = initiator ? l->preq : l->pres;

    bh_smp_addrs(l, a, b);
    sc_r(l, r);
    io[0] = f[3]; /* AuthReq */
    io[1] = f[2]; /* OOB data flag */
    io[2] = f[1]; /* IO Capability */
    if (initiator) {
        return bh_crypto_f6(l->lesc.mackey, sc_na(l), sc_nb(l), r, io, a, b, out);
    }
    return bh_crypto_f6(l->lesc.mackey, sc_nb(l), sc_na(l), r, io, b, a, out);
}

/* Both nonces final: MacKey and LTK = f5(DHKey, Na, Nb, A, B); the
 * comparison shown to the user; our DHKey Check or the held one of the
 * peer, when the user has agreed. */
static uint8_t sc_stage2_run(struct bh_smp_link *l)
{
    uint8_t a[7], b[7];
    const uint8_t *x = sc_our_x();
    uint32_t num;

    bh_smp_addrs(l, a, b);
    if (x == NULL ||
        bh_crypto_f5(l->lesc.dhkey, sc_na(l), sc_nb(l), a, b, l->lesc.mackey, l->key) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    memset(l->lesc.dhkey, 0, sizeof(l->lesc.dhkey));
    if (l->method == BH_SMP_METHOD_NUMERIC_COMPARISON) {
        /* Va = Vb = g2(PKax, PKbx, Na, Nb), 2.3.5.6.2: shown to the user, last. */
        if (bh_crypto_g2(l->central ? x : l->lesc.peer_x, l->central ? l->lesc.peer_x : x, sc_na(l),
                         sc_nb(l), &num) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        bh_smp_ask_user(l, BH_SMP_ACTION_NUMERIC_COMPARISON, num % 1000000u);
        return 0;
    }
    return bh_smp_sc_resume(l);
}

/* Stage 2 starts now, or when the controller delivers the DHKey. */
static uint8_t sc_stage2(struct bh_smp_link *l)
{
    bh_smp_set_state(l, BH_SMP_STATE_WAIT_DHKEY_CHECK);
    if (l->p256_wait & BH_SMP_P256_DH_PENDING) {
        l->p256_wait |= BH_SMP_P256_WAIT_STAGE2;
        return 0;
    }
    return sc_stage2_run(l);
}

uint8_t bh_smp_sc_on_dhkey(struct bh_smp_link *l, int err)
{
    if (err == -EINVAL) {
        BH_LOG_WRN("conn 0x%04x: the controller refused the peer's key", l->conn->handle);
        return BH_SMP_ERR_DHKEY_CHECK_FAILED; /* as for an invalid key here, 2.3.5.6.1 */
    }
    if (err != 0) {
        /* The controller failed on its own: no fault of the peer, so no
         * DHKey Check Failed (which would start the repeated-attempts wait). */
        BH_LOG_WRN("conn 0x%04x: LE Generate DHKey failed (%d)", l->conn->handle, err);
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (!(l->p256_wait & BH_SMP_P256_WAIT_STAGE2)) {
        return 0;
    }
    l->p256_wait &= (uint8_t)~BH_SMP_P256_WAIT_STAGE2;
    return sc_stage2_run(l);
}

/* One passkey round ends (the peer's commitment checked): the next, or stage 2. */
static uint8_t sc_passkey_round_done(struct bh_smp_link *l)
{
    l->round++;
    l->confirm_sent = false;
    if (l->round >= SC_PASSKEY_ROUNDS) {
        return sc_stage2(l);
    }
    bh_smp_set_state(l, BH_SMP_STATE_WAIT_CONFIRM);
    return l->central ? sc_send_passkey_confirm(l) : 0;
}

uint8_t bh_smp_sc_rx_random(struct bh_smp_link *l)
{
    bool passkey =
        l->method == BH_SMP_METHOD_PASSKEY_INPUT || l->method == BH_SMP_METHOD_PASSKEY_DISPLAY;
    uint8_t z = passkey ? sc_passkey_z(l) : 0;
    uint8_t v[16], reason;
    const uint8_t *x = sc_our_x();

    /* Only the responder's commitment is checked in Just Works / Numeric Comparison. */
    if (passkey || l->central) {
        if (x == NULL || bh_crypto_f4(l->lesc.peer_x, x, l->prand, z, v) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        if (memcmp(v, l->pconfirm, 16) != 0) {
            BH_LOG_WRN("conn 0x%04x: confirm value mismatch", l->conn->handle);
            return BH_SMP_ERR_CONFIRM_VALUE_FAILED;
        }
    }
    if (!l->central && (reason = sc_send16(l, BH_SMP_OP_PAIRING_RANDOM, l->lrand)) != 0) {
        return reason;
    }
    if (passkey) {
        return sc_passkey_round_done(l);
    }
    return sc_stage2(l);
}

/* Responder: check Ea, answer Eb, and wait for the LTK request. */
static uint8_t sc_responder_check(struct bh_smp_link *l)
{
    uint8_t v[16];
    uint8_t reason;

    if (sc_check_value(l, true, v) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (memcmp(v, l->lesc.peer_check, 16) != 0) {
        BH_LOG_WRN("conn 0x%04x: DHKey check mismatch", l->conn->handle);
        return BH_SMP_ERR_DHKEY_CHECK_FAILED;
    }
    if (sc_check_value(l, false, v) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if ((reason = sc_send16(l, BH_SMP_OP_PAIRING_DHKEY_CHECK, v)) != 0) {
        return reason;
    }
    return bh_smp_key_ready(l);
}

uint8_t bh_smp_sc_rx_dhkey_check(struct bh_smp_link *l, const uint8_t check[16])
{
    uint8_t v[16];

    if (l->central) {
        if (!l->check_sent) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        if (sc_check_value(l, false, v) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        if (memcmp(v, check, 16) != 0) {
            BH_LOG_WRN("conn 0x%04x: DHKey check mismatch", l->conn->handle);
            return BH_SMP_ERR_DHKEY_CHECK_FAILED;
        }
        return bh_smp_key_ready(l);
    }
    if (l->peer_check_held) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    memcpy(l->lesc.peer_check, check, 16);
    if (!l->user_ok || (l->p256_wait & BH_SMP_P256_WAIT_STAGE2)) {
        l->peer_check_held = true; /* checked once the user confirms the number */
        return 0;
    }
    return sc_responder_check(l);
}

uint8_t bh_smp_sc_resume(struct bh_smp_link *l)
{
    uint8_t v[16], reason;

    if (!l->user_ok) {
        return 0;
    }
    if (l->state == BH_SMP_STATE_WAIT_CONFIRM &&
        (l->method == BH_SMP_METHOD_PASSKEY_INPUT || l->method == BH_SMP_METHOD_PASSKEY_DISPLAY)) {
        if (l->central) {
            return l->confirm_sent ? 0 : sc_send_passkey_confirm(l);
        }
        if (!l->peer_confirm_held) {
            return 0;
        }
        l->peer_confirm_held = false;
        reason = sc_send_passkey_confirm(l);
        if (reason == 0) {
            bh_smp_set_state(l, BH_SMP_STATE_WAIT_RANDOM);
        }
        return reason;
    }
    if (l->state != BH_SMP_STATE_WAIT_DHKEY_CHECK || (l->p256_wait & BH_SMP_P256_WAIT_STAGE2)) {
        return 0; /* no MacKey before the DHKey */
    }
    if (l->central && !l->check_sent) { /* numeric comparison accepted */
        if (sc_check_value(l, true, v) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        l->check_sent = true;
        return sc_send16(l, BH_SMP_OP_PAIRING_DHKEY_CHECK, v);
    }
    if (!l->central && l->peer_check_held) {
        l->peer_check_held = false;
        return sc_responder_check(l);
    }
    return 0;
}

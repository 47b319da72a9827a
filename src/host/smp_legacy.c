/* SPDX-License-Identifier: MIT */
/*
 * smp_legacy.c: LE legacy pairing phase 2 (Core 5.4 Vol 3 Part H 2.3.5.2
 * to 2.3.5.5): the TK of Just Works (zero) or Passkey Entry (the passkey),
 * the Pairing Confirm / Pairing Random exchange with c1 (2.2.3), and the
 * STK from s1 (2.2.4, 2.4.4.1). smp.c owns the state machine,
 * smp_pairing.c the feature exchange, smp_enc.c the encryption start;
 * this file only moves a link from
 * WAIT_CONFIRM through WAIT_RANDOM to a known key. Out-of-band data is not
 * supported (we never set the OOB flag).
 */
#include <string.h>

#include "crypto/bh_crypto.h"
#include "smp.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

/* TK, Vol 3 Part H 2.3.5.3: the passkey as a 128-bit value, or zero. */
static void legacy_tk(struct bh_smp_link *l)
{
    memset(l->legacy.tk, 0, 16);
    if (l->method != BH_SMP_METHOD_JUST_WORKS) {
        l->legacy.tk[12] = (uint8_t)(l->passkey >> 24);
        l->legacy.tk[13] = (uint8_t)(l->passkey >> 16);
        l->legacy.tk[14] = (uint8_t)(l->passkey >> 8);
        l->legacy.tk[15] = (uint8_t)l->passkey;
    }
}

/* c1(TK, r, preq, pres, iat, ia, rat, ra), Vol 3 Part H 2.2.3. */
static int legacy_c1(struct bh_smp_link *l, const uint8_t r[16], uint8_t out[16])
{
    uint8_t preq[7], pres[7], ia[7], ra[7];

    bh_crypto_swap(preq, l->preq, 7);
    bh_crypto_swap(pres, l->pres, 7);
    bh_smp_addrs(l, ia, ra);
    legacy_tk(l);
    return bh_crypto_c1(l->legacy.tk, r, preq, pres, ia[0], &ia[1], ra[0], &ra[1], out);
}

/* The displayed passkey is in use from now on: no more overriding. */
static void legacy_lock_passkey(struct bh_smp_link *l)
{
    if (l->user == BH_SMP_ACTION_DISPLAY) {
        bh_work_cancel(&l->resume);
        l->user = BH_SMP_ACTION_NONE;
    }
}

/* Mconfirm / Sconfirm over a fresh nonce. */
static uint8_t legacy_send_confirm(struct bh_smp_link *l)
{
    uint8_t v[16], pdu[16];

    legacy_lock_passkey(l);
    if (bh_smp_random(l->lrand, 16) != 0 || legacy_c1(l, l->lrand, v) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    bh_crypto_swap(pdu, v, 16);
    if (bh_smp_send(l, BH_SMP_OP_PAIRING_CONFIRM, pdu, 16) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    l->confirm_sent = true;
    return 0;
}

static uint8_t legacy_send_random(struct bh_smp_link *l)
{
    uint8_t pdu[16];

    bh_crypto_swap(pdu, l->lrand, 16);
    return bh_smp_send(l, BH_SMP_OP_PAIRING_RANDOM, pdu, 16) == 0 ? 0
                                                                  : BH_SMP_ERR_UNSPECIFIED_REASON;
}

uint8_t bh_smp_legacy_begin(struct bh_smp_link *l)
{
    /* The initiator sends Mconfirm first (2.3.5.5), once the TK is known. */
    if (l->central && l->user_ok && l->user != BH_SMP_ACTION_DISPLAY) {
        return legacy_send_confirm(l);
    }
    return 0;
}

uint8_t bh_smp_legacy_resume(struct bh_smp_link *l)
{
    uint8_t reason;

    if (l->state != BH_SMP_STATE_WAIT_CONFIRM || !l->user_ok) {
        return 0;
    }
    if (l->central) {
        return l->confirm_sent ? 0 : legacy_send_confirm(l);
    }
    if (!l->peer_confirm_held) {
        return 0;
    }
    l->peer_confirm_held = false;
    reason = legacy_send_confirm(l);
    if (reason == 0) {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_RANDOM);
    }
    return reason;
}

uint8_t bh_smp_legacy_rx_confirm(struct bh_smp_link *l)
{
    uint8_t reason;

    if (l->central) {
        /* Sconfirm: only after our Mconfirm; answer with Mrand. */
        if (!l->confirm_sent) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        reason = legacy_send_random(l);
    } else {
        if (l->peer_confirm_held || l->confirm_sent) {
            return BH_SMP_ERR_UNSPECIFIED_REASON; /* repeated */
        }
        if (!l->user_ok) {
            l->peer_confirm_held = true; /* answered once the passkey is typed */
            return 0;
        }
        reason = legacy_send_confirm(l);
    }
    if (reason == 0) {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_RANDOM);
    }
    return reason;
}

/* Check the peer's confirm against its nonce, then STK = s1(TK, Srand, Mrand). */
uint8_t bh_smp_legacy_rx_random(struct bh_smp_link *l)
{
    uint8_t v[16];
    uint8_t reason;
    int err;

    if (legacy_c1(l, l->prand, v) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (memcmp(v, l->pconfirm, 16) != 0) {
        BH_LOG_WRN("conn 0x%04x: confirm value mismatch", l->conn->handle);
        return BH_SMP_ERR_CONFIRM_VALUE_FAILED;
    }
    if (!l->central && (reason = legacy_send_random(l)) != 0) {
        return reason;
    }
    if (l->central) {
        err = bh_crypto_s1(l->legacy.tk, l->prand, l->lrand, l->key);
    } else {
        err = bh_crypto_s1(l->legacy.tk, l->lrand, l->prand, l->key);
    }
    memset(l->legacy.tk, 0, 16);
    if (err != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    return bh_smp_key_ready(l);
}

/* SPDX-License-Identifier: MIT */
/*
 * smp_pairing.c: how a Security Manager procedure starts and which pairing
 * it becomes (Core 5.4 Vol 3 Part H 2.3): bh_smp_pair (the central secures
 * the link with its bonded key or a Pairing Request, 3.5.1; the peripheral
 * sends a Security Request, 3.6.7), the answer to a received Security
 * Request, the Pairing Request / Pairing Response feature exchange (3.5.1,
 * 3.5.2) with key size, bonding and key distribution agreed, method
 * selection (2.3.5.1 Table 2.8), and the user's part: the passkey prompt
 * (IRQ 31) and bh_smp_passkey. Phase 2 itself belongs to smp_legacy.c and
 * smp_sc.c, the link table and the state machine to smp.c, the bonded-key
 * encryption to smp_enc.c.
 */
#include "smp.h"

#include <errno.h>

#include "ble/ble_internal.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

/* Vol 3 Part H 2.3.5.1 Table 2.8, [initiator IO][responder IO], as seen by
 * the initiator: JW Just Works, II initiator inputs (responder displays),
 * RI responder inputs (initiator displays), BI both input, NC numeric
 * comparison (Secure Connections only; legacy uses the other table). */
enum { JW, II, RI, BI, NC };
static const uint8_t smp_method_legacy[5][5] = {
    {JW, JW, RI, JW, RI}, {JW, JW, RI, JW, RI}, {II, II, BI, JW, II},
    {JW, JW, JW, JW, JW}, {II, II, RI, JW, RI}, /* KeyboardDisplay both: initiator displays */
};
static const uint8_t smp_method_sc[5][5] = {
    {JW, JW, RI, JW, RI}, {JW, NC, RI, JW, NC}, {II, II, BI, JW, II},
    {JW, JW, JW, JW, JW}, {II, NC, RI, JW, NC},
};

/* We offer LE Secure Connections: allowed, and P-256 works here. */
static bool smp_sc_offered(void)
{
    return !bh_smp_cfg()->no_sc && bh_smp_sc_supported();
}

static uint8_t smp_our_auth(void)
{
    uint8_t auth = 0;

    if (bh_smp_cfg()->bonding) {
        auth |= BH_SMP_AUTH_BONDING;
    }
    if (bh_smp_cfg()->mitm) {
        auth |= BH_SMP_AUTH_MITM;
    }
    if (smp_sc_offered()) {
        auth |= BH_SMP_AUTH_SC;
    }
    return auth;
}

static uint8_t smp_our_dist(void)
{
    return bh_smp_cfg()->bonding ? (BH_SMP_DIST_ENC_KEY | BH_SMP_DIST_ID_KEY) : 0;
}

/* ---- starting a procedure, Security Request (3.6.7) ------------------------------------- */

/* Central: Pairing Request, Vol 3 Part H 3.5.1. */
int bh_smp_send_pairing_req(struct bh_smp_link *l)
{
    uint8_t *p = &l->preq[1];
    int err;

    if (bh_smp_cfg()->le_secure && !smp_sc_offered()) {
        return -EOPNOTSUPP;
    }
    l->preq[0] = BH_SMP_OP_PAIRING_REQ;
    p[0] = bh_smp_cfg()->io;
    p[1] = BH_SMP_OOB_NOT_PRESENT;
    p[2] = smp_our_auth();
    p[3] = BH_SMP_KEY_SIZE_MAX;
    p[4] = smp_our_dist();
    p[5] = smp_our_dist();
    err = bh_smp_send(l, BH_SMP_OP_PAIRING_REQ, p, BH_SMP_LEN_PAIRING_REQ);
    if (err == 0) {
        l->central = true;
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_PAIRING_RSP);
    }
    return err;
}

/* Central: secure the link, by the bonded key if good enough, else by pairing. */
static int smp_central_secure(struct bh_smp_link *l, bool want_mitm)
{
    const struct bh_keys_bond *b = bh_keys_find_conn(l->conn);

    if (b != NULL && (b->flags & BH_KEYS_F_PEER_LTK) &&
        (!want_mitm || (b->flags & BH_KEYS_F_AUTH))) {
        if (l->conn->encrypted) {
            return -EALREADY;
        }
        return bh_smp_reencrypt(l, b);
    }
    if (bh_smp_attempt_blocked(l->conn)) {
        return -EAGAIN;
    }
    return bh_smp_send_pairing_req(l);
}

int bh_smp_pair(uint16_t handle)
{
    struct bh_smp_link *l = bh_smp_link_by_handle(handle);
    uint8_t auth;

    if (l == NULL) {
        return -ENOTCONN;
    }
    if (l->state == BH_SMP_STATE_TIMED_OUT) {
        return -ETIMEDOUT;
    }
    if (l->state != BH_SMP_STATE_IDLE) {
        return -EALREADY;
    }
    if (l->conn->role == BH_CONN_ROLE_CENTRAL) {
        return smp_central_secure(l, bh_smp_cfg()->mitm);
    }
    if (l->conn->encrypted && (l->conn->authenticated || !bh_smp_cfg()->mitm)) {
        return -EALREADY;
    }
    /* Peripheral: Security Request, Vol 3 Part H 3.6.7. */
    auth = smp_our_auth();
    return bh_smp_send(l, BH_SMP_OP_SECURITY_REQ, &auth, 1);
}

/* Security Request, Vol 3 Part H 3.6.7: we are central; pair or re-encrypt. */
uint8_t bh_smp_rx_security_req(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t auth = bh_rd_u8(r);
    int err;

    if (l->conn->role != BH_CONN_ROLE_CENTRAL) {
        return BH_SMP_ERR_COMMAND_NOT_SUPPORTED;
    }
    if (l->state != BH_SMP_STATE_IDLE) {
        return 0; /* a procedure already runs: nothing to do */
    }
    err = smp_central_secure(l, (auth & BH_SMP_AUTH_MITM) || bh_smp_cfg()->mitm);
    if (err == -EALREADY) {
        return 0;
    }
    if (err == -EAGAIN) {
        return BH_SMP_ERR_REPEATED_ATTEMPTS;
    }
    if (err == -EOPNOTSUPP) {
        return BH_SMP_ERR_PAIRING_NOT_SUPPORTED;
    }
    return err != 0 ? BH_SMP_ERR_UNSPECIFIED_REASON : 0;
}

/* ---- feature exchange, Vol 3 Part H 2.3 --------------------------------------------------- */

/* The method as seen from our side. */
static uint8_t smp_method(const struct bh_smp_link *l, uint8_t iio, uint8_t rio)
{
    uint8_t m = l->sc ? smp_method_sc[iio][rio] : smp_method_legacy[iio][rio];

    switch (m) {
    case II:
        return l->central ? BH_SMP_METHOD_PASSKEY_INPUT : BH_SMP_METHOD_PASSKEY_DISPLAY;
    case RI:
        return l->central ? BH_SMP_METHOD_PASSKEY_DISPLAY : BH_SMP_METHOD_PASSKEY_INPUT;
    case BI:
        return BH_SMP_METHOD_PASSKEY_INPUT;
    case NC:
        return BH_SMP_METHOD_NUMERIC_COMPARISON;
    default:
        return BH_SMP_METHOD_JUST_WORKS;
    }
}

/* Both feature PDUs are in preq/pres: decide SC, bonding, method, key size
 * and what each side distributes. 0 or the reason to fail with. */
static uint8_t smp_negotiate(struct bh_smp_link *l)
{
    const uint8_t *rq = &l->preq[1], *rs = &l->pres[1];
    uint8_t idist = rs[4], rdist = rs[5];
    uint8_t peer_dist;

    if (rq[0] > BH_SMP_IO_MAX || rs[0] > BH_SMP_IO_MAX || rq[3] > BH_SMP_KEY_SIZE_MAX ||
        rs[3] > BH_SMP_KEY_SIZE_MAX) {
        return BH_SMP_ERR_INVALID_PARAMETERS;
    }
    if (rq[3] < BH_SMP_KEY_SIZE_MIN || rs[3] < BH_SMP_KEY_SIZE_MIN) {
        return BH_SMP_ERR_ENCRYPTION_KEY_SIZE;
    }
    l->key_size = rq[3] < rs[3] ? rq[3] : rs[3];
    l->sc = (rq[2] & BH_SMP_AUTH_SC) && (rs[2] & BH_SMP_AUTH_SC);
    if (bh_smp_cfg()->le_secure && !l->sc) {
        return BH_SMP_ERR_AUTH_REQUIREMENTS; /* Secure Connections Only mode, 2.3.5.1 */
    }
    l->bond = (rq[2] & BH_SMP_AUTH_BONDING_MASK) == BH_SMP_AUTH_BONDING &&
              (rs[2] & BH_SMP_AUTH_BONDING_MASK) == BH_SMP_AUTH_BONDING;
    if ((rq[2] | rs[2]) & BH_SMP_AUTH_MITM) {
        l->method = smp_method(l, rq[0], rs[0]);
    } else {
        l->method = BH_SMP_METHOD_JUST_WORKS;
    }
    if (l->sc) { /* 3.6.1: EncKey and LinkKey are ignored with Secure Connections */
        idist &= (uint8_t) ~(BH_SMP_DIST_ENC_KEY | BH_SMP_DIST_LINK_KEY);
        rdist &= (uint8_t) ~(BH_SMP_DIST_ENC_KEY | BH_SMP_DIST_LINK_KEY);
    }
    l->our_dist = l->central ? idist : rdist;
    peer_dist = l->central ? rdist : idist;
    l->dist_wait = 0;
    if (peer_dist & BH_SMP_DIST_ENC_KEY) {
        l->dist_wait |= BH_SMP_WAIT_ENC_INFO | BH_SMP_WAIT_CENTRAL_IDENT;
    }
    if (peer_dist & BH_SMP_DIST_ID_KEY) {
        l->dist_wait |= BH_SMP_WAIT_ID_INFO | BH_SMP_WAIT_ID_ADDR;
    }
    l->user_ok = l->method == BH_SMP_METHOD_JUST_WORKS;
    return 0;
}

/* After the feature exchange: the passkey prompt (IRQ 31), as the last step. */
static uint8_t smp_prompt(struct bh_smp_link *l)
{
    uint32_t pk;

    if (l->method == BH_SMP_METHOD_PASSKEY_DISPLAY) {
        if (bh_smp_random((uint8_t *)&pk, sizeof(pk)) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        bh_smp_ask_user(l, BH_SMP_ACTION_DISPLAY, pk % (BH_SMP_PASSKEY_MAX + 1u));
    } else if (l->method == BH_SMP_METHOD_PASSKEY_INPUT) {
        bh_smp_ask_user(l, BH_SMP_ACTION_INPUT, 0);
    }
    return 0;
}

/* Phase 2 starts: legacy or Secure Connections. */
static uint8_t smp_begin(struct bh_smp_link *l)
{
    uint8_t reason;

    BH_LOG_INF("conn 0x%04x: pairing %s, method %u, key size %u, bond %d", l->conn->handle,
               l->sc ? "LE SC" : "legacy", l->method, l->key_size, l->bond);
    if (l->sc) {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_PUBLIC_KEY);
        reason = bh_smp_sc_begin(l);
    } else {
        bh_smp_set_state(l, BH_SMP_STATE_WAIT_CONFIRM);
        reason = bh_smp_legacy_begin(l);
    }
    return reason != 0 ? reason : smp_prompt(l);
}

/* Pairing Request, Vol 3 Part H 3.5.1: we are the responder. */
uint8_t bh_smp_rx_pairing_req(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t *p = &l->pres[1];
    uint8_t reason;

    if (l->conn->role != BH_CONN_ROLE_PERIPHERAL) {
        return BH_SMP_ERR_COMMAND_NOT_SUPPORTED;
    }
    if (l->state != BH_SMP_STATE_IDLE) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (bh_smp_attempt_blocked(l->conn)) {
        return BH_SMP_ERR_REPEATED_ATTEMPTS;
    }
    if (bh_smp_cfg()->le_secure && !smp_sc_offered()) {
        return BH_SMP_ERR_PAIRING_NOT_SUPPORTED;
    }
    l->preq[0] = BH_SMP_OP_PAIRING_REQ;
    bh_rd_copy(r, &l->preq[1], BH_SMP_LEN_PAIRING_REQ);
    l->pres[0] = BH_SMP_OP_PAIRING_RSP;
    p[0] = bh_smp_cfg()->io;
    p[1] = BH_SMP_OOB_NOT_PRESENT;
    p[2] = smp_our_auth();
    p[3] = BH_SMP_KEY_SIZE_MAX;
    /* 3.5.2: the responder distributes at most what was asked, and only to bond. */
    p[4] = (l->preq[3] & BH_SMP_AUTH_BONDING) ? l->preq[5] & smp_our_dist() : 0;
    p[5] = (l->preq[3] & BH_SMP_AUTH_BONDING) ? l->preq[6] & smp_our_dist() : 0;
    l->central = false;
    reason = smp_negotiate(l);
    if (reason != 0) {
        return reason;
    }
    if (bh_smp_send(l, BH_SMP_OP_PAIRING_RSP, p, BH_SMP_LEN_PAIRING_RSP) != 0) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    return smp_begin(l);
}

/* Pairing Response, Vol 3 Part H 3.5.2: we are the initiator. */
uint8_t bh_smp_rx_pairing_rsp(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t reason;

    if (l->conn->role != BH_CONN_ROLE_CENTRAL) {
        return BH_SMP_ERR_COMMAND_NOT_SUPPORTED;
    }
    if (l->state != BH_SMP_STATE_WAIT_PAIRING_RSP) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    l->pres[0] = BH_SMP_OP_PAIRING_RSP;
    bh_rd_copy(r, &l->pres[1], BH_SMP_LEN_PAIRING_RSP);
    if ((l->pres[5] & ~l->preq[5]) || (l->pres[6] & ~l->preq[6])) {
        return BH_SMP_ERR_INVALID_PARAMETERS; /* more keys than we asked for */
    }
    reason = smp_negotiate(l);
    return reason != 0 ? reason : smp_begin(l);
}

/* ---- user input: the passkey prompt and its answer ------------------------------------------ */

void bh_smp_ask_user(struct bh_smp_link *l, uint8_t action, uint32_t number)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_PASSKEY_ACTION, .conn = l->conn->handle};

    l->user = action;
    if (action == BH_SMP_ACTION_DISPLAY) {
        l->passkey = number;
        l->user_ok = true;
        bh_work_submit(&l->resume); /* go on once the application has seen it */
    }
    ev.passkey.action = action;
    ev.passkey.passkey = action == BH_SMP_ACTION_INPUT ? 0 : number;
    (void)bh_ble_emit(&ev);
}

static uint8_t smp_resume(struct bh_smp_link *l)
{
    if (!bh_smp_pairing_state(l->state)) {
        return 0;
    }
    return l->sc ? bh_smp_sc_resume(l) : bh_smp_legacy_resume(l);
}

/* The displayed passkey is now final: carry on. */
void bh_smp_on_resume(struct bh_work *w)
{
    struct bh_smp_link *l = BH_CONTAINER_OF(w, struct bh_smp_link, resume);
    uint8_t reason;

    if (l->user == BH_SMP_ACTION_DISPLAY) {
        l->user = BH_SMP_ACTION_NONE;
    }
    reason = smp_resume(l);
    if (reason != 0) {
        bh_smp_fail(l, reason, true);
    }
}

int bh_smp_passkey(uint16_t handle, uint8_t action, uint32_t passkey)
{
    struct bh_smp_link *l = bh_smp_link_by_handle(handle);
    uint8_t reason;

    if (l == NULL) {
        return -ENOTCONN;
    }
    if (l->user == BH_SMP_ACTION_NONE || action != l->user || !bh_smp_pairing_state(l->state)) {
        return -EINVAL;
    }
    if (action != BH_SMP_ACTION_NUMERIC_COMPARISON && passkey > BH_SMP_PASSKEY_MAX) {
        return -EINVAL;
    }
    if (action == BH_SMP_ACTION_DISPLAY) {
        l->passkey = passkey; /* used when the resume work runs */
        return 0;
    }
    l->user = BH_SMP_ACTION_NONE;
    if (action == BH_SMP_ACTION_NUMERIC_COMPARISON && passkey == 0) {
        bh_smp_fail(l, BH_SMP_ERR_NUMERIC_COMPARISON_FAILED, true);
        return 0;
    }
    l->passkey = passkey;
    l->user_ok = true;
    reason = smp_resume(l);
    if (reason != 0) {
        bh_smp_fail(l, reason, true);
    }
    return 0;
}

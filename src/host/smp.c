/* SPDX-License-Identifier: MIT */
/*
 * smp.c: the Security Manager Protocol on the LE fixed channel 0x0006
 * (Core 5.4 Vol 3 Part H 3), both roles: the PDU dispatch table, the
 * per-link pairing state machine and its 30 s timeout (3.4), pairing
 * feature exchange and method selection (2.3.5.1), Pairing Failed reasons,
 * protection against repeated attempts (2.3.6), key distribution (3.6),
 * starting encryption (central: LE Enable Encryption, Vol 4 Part E 7.8.24;
 * peripheral: answering the LE Long Term Key Request, 7.7.65.5, 7.8.25/26),
 * re-encryption with bonded keys, and the Security Request (3.6.7).
 * Leaves to smp_legacy.c and smp_sc.c the confirm/random/key exchange of
 * each pairing kind, to keys.c the bond table and its secret store, to
 * bh_crypto the cryptography. IRQ 28 (once per completed or failed
 * procedure) and IRQ 31 go out through bh_ble_emit.
 */
#include "smp.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "blehost/bh_hci.h"
#include "ble/ble_internal.h"
#include "crypto/bh_crypto.h"
#include "gap.h"
#include "gatts.h"
#include "hci/hci_spec.h"
#include "host_evt.h"
#include "l2cap.h"
#include "os/bh_assert.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

/* Peer key PDUs still due, in the order of Vol 3 Part H 3.6.1 Figure 3.11. */
#define SMP_WAIT_ENC_INFO 0x01
#define SMP_WAIT_CENTRAL_IDENT 0x02
#define SMP_WAIT_ID_INFO 0x04
#define SMP_WAIT_ID_ADDR 0x08

/* Repeated attempts (Vol 3 Part H 2.3.6): the wait after the n-th failure. */
#define SMP_ATTEMPT_WAIT_MS 2000u
#define SMP_ATTEMPT_MAX_SHIFT 5u /* at most 64 s */
#define SMP_ATTEMPTS (2 * BH_CONFIG_MAX_CONN)

struct smp_cfg {
    bool bonding;
    bool mitm;
    bool le_secure;
    bool no_sc; /* bh_smp_set_sc(false): legacy pairing only */
    uint8_t io;
};

struct smp_attempt {
    uint8_t addr[7]; /* type, address little-endian */
    uint8_t fails;
    uint32_t until;
};

struct smp_ctx {
    struct smp_cfg cfg;
    struct bh_smp_link links[BH_CONFIG_MAX_CONN];
    struct smp_attempt attempts[SMP_ATTEMPTS];
    struct bh_smp_stats stats;
};

static struct smp_ctx smp = {.cfg = {.io = BH_SMP_IO_NO_INPUT_NO_OUTPUT}};

typedef uint8_t (*smp_rx_fn_t)(struct bh_smp_link *l, struct bh_rd *r);

struct smp_rx_row {
    uint8_t op;
    uint8_t len; /* exact parameter length after the code */
    smp_rx_fn_t fn;
};

static uint8_t smp_rx_pairing_req(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_rsp(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_confirm(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_random(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_failed(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_encryption_info(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_central_ident(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_identity_info(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_identity_addr_info(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_signing_info(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_security_req(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_public_key(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_dhkey_check(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_keypress_notification(struct bh_smp_link *l, struct bh_rd *r);

/* Vol 3 Part H 3.3 Table 3.4; lengths of 3.5 and 3.6. */
static const struct smp_rx_row smp_rx_table[] = {
    {BH_SMP_OP_PAIRING_REQ, BH_SMP_LEN_PAIRING_REQ, smp_rx_pairing_req},
    {BH_SMP_OP_PAIRING_RSP, BH_SMP_LEN_PAIRING_RSP, smp_rx_pairing_rsp},
    {BH_SMP_OP_PAIRING_CONFIRM, BH_SMP_LEN_PAIRING_CONFIRM, smp_rx_pairing_confirm},
    {BH_SMP_OP_PAIRING_RANDOM, BH_SMP_LEN_PAIRING_RANDOM, smp_rx_pairing_random},
    {BH_SMP_OP_PAIRING_FAILED, BH_SMP_LEN_PAIRING_FAILED, smp_rx_pairing_failed},
    {BH_SMP_OP_ENCRYPTION_INFO, BH_SMP_LEN_ENCRYPTION_INFO, smp_rx_encryption_info},
    {BH_SMP_OP_CENTRAL_IDENT, BH_SMP_LEN_CENTRAL_IDENT, smp_rx_central_ident},
    {BH_SMP_OP_IDENTITY_INFO, BH_SMP_LEN_IDENTITY_INFO, smp_rx_identity_info},
    {BH_SMP_OP_IDENTITY_ADDR_INFO, BH_SMP_LEN_IDENTITY_ADDR_INFO, smp_rx_identity_addr_info},
    {BH_SMP_OP_SIGNING_INFO, BH_SMP_LEN_SIGNING_INFO, smp_rx_signing_info},
    {BH_SMP_OP_SECURITY_REQ, BH_SMP_LEN_SECURITY_REQ, smp_rx_security_req},
    {BH_SMP_OP_PAIRING_PUBLIC_KEY, BH_SMP_LEN_PAIRING_PUBLIC_KEY, smp_rx_pairing_public_key},
    {BH_SMP_OP_PAIRING_DHKEY_CHECK, BH_SMP_LEN_PAIRING_DHKEY_CHECK, smp_rx_pairing_dhkey_check},
    {BH_SMP_OP_KEYPRESS_NOTIFICATION, BH_SMP_LEN_KEYPRESS_NOTIFICATION,
     smp_rx_keypress_notification},
};

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

static const char *const smp_state_names[] = {
    "IDLE",        "WAIT_PAIRING_RSP", "WAIT_PUBLIC_KEY", "WAIT_CONFIRM",
    "WAIT_RANDOM", "WAIT_DHKEY_CHECK", "WAIT_ENCRYPTION", "KEY_DIST",
    "ENCRYPTING",  "TIMED_OUT",
};

static void smp_on_timeout(struct bh_work *w);
static void smp_on_resume(struct bh_work *w);

/* ---- small helpers ------------------------------------------------------------------ */

static struct bh_smp_link *smp_link(const struct bh_conn *c)
{
    unsigned i;

    if (c == NULL) {
        return NULL;
    }
    i = bh_conn_index(c);
    if (i >= BH_CONFIG_MAX_CONN || smp.links[i].conn != c) {
        return NULL;
    }
    return &smp.links[i];
}

static struct bh_smp_link *smp_link_by_handle(uint16_t handle)
{
    struct bh_conn *c = bh_conn_lookup(handle);

    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
        return NULL;
    }
    return smp_link(c);
}

static bool smp_pairing_state(enum bh_smp_state s)
{
    return s != BH_SMP_STATE_IDLE && s != BH_SMP_STATE_ENCRYPTING && s != BH_SMP_STATE_TIMED_OUT;
}

int bh_smp_random(uint8_t *out, uint16_t len)
{
    return bh_crypto_random(out, len) == 0 ? 0 : -EIO;
}

/* We offer LE Secure Connections: allowed, and P-256 works here. */
static bool smp_sc_offered(void)
{
    return !smp.cfg.no_sc && bh_smp_sc_supported();
}

static uint8_t smp_our_auth(void)
{
    uint8_t auth = 0;

    if (smp.cfg.bonding) {
        auth |= BH_SMP_AUTH_BONDING;
    }
    if (smp.cfg.mitm) {
        auth |= BH_SMP_AUTH_MITM;
    }
    if (smp_sc_offered()) {
        auth |= BH_SMP_AUTH_SC;
    }
    return auth;
}

static uint8_t smp_our_dist(void)
{
    return smp.cfg.bonding ? (BH_SMP_DIST_ENC_KEY | BH_SMP_DIST_ID_KEY) : 0;
}

static void smp_peer_key(const struct bh_conn *c, uint8_t key[7])
{
    key[0] = c->peer_addr_type & 1;
    memcpy(&key[1], c->peer_addr, 6);
}

void bh_smp_addrs(const struct bh_smp_link *l, uint8_t ia[7], uint8_t ra[7])
{
    uint8_t peer[7];
    uint8_t *ours = l->central ? ia : ra;
    uint8_t *theirs = l->central ? ra : ia;

    smp_peer_key(l->conn, peer);
    ours[0] = l->own[0];
    bh_crypto_swap(&ours[1], &l->own[1], 6);
    theirs[0] = peer[0];
    bh_crypto_swap(&theirs[1], &peer[1], 6);
}

/* ---- repeated attempts, Vol 3 Part H 2.3.6 -------------------------------------------- */

static struct smp_attempt *smp_attempt_find(const struct bh_conn *c, bool create)
{
    uint8_t key[7];
    struct smp_attempt *old = &smp.attempts[0];

    smp_peer_key(c, key);
    for (unsigned i = 0; i < SMP_ATTEMPTS; i++) {
        struct smp_attempt *a = &smp.attempts[i];

        if (a->fails > 0 && memcmp(a->addr, key, 7) == 0) {
            return a;
        }
        if (a->fails == 0 || bh_time_after(old->until, a->until)) {
            old = a; /* free, or the one whose wait ends first */
        }
    }
    if (!create) {
        return NULL;
    }
    memset(old, 0, sizeof(*old));
    memcpy(old->addr, key, 7);
    return old;
}

static bool smp_attempt_blocked(const struct bh_conn *c)
{
    const struct smp_attempt *a = smp_attempt_find(c, false);

    return a != NULL && bh_time_after(a->until, bh_now_ms());
}

/* We detected a failed authentication: the wait doubles with each one. */
static void smp_attempt_failed(const struct bh_conn *c)
{
    struct smp_attempt *a = smp_attempt_find(c, true);
    unsigned shift;

    if (a->fails < 255) {
        a->fails++;
    }
    shift = a->fails - 1u < SMP_ATTEMPT_MAX_SHIFT ? a->fails - 1u : SMP_ATTEMPT_MAX_SHIFT;
    a->until = bh_now_ms() + (SMP_ATTEMPT_WAIT_MS << shift);
    BH_LOG_WRN("conn 0x%04x: failed attempt %u, next pairing refused for %u ms", c->handle,
               a->fails, SMP_ATTEMPT_WAIT_MS << shift);
}

static void smp_attempt_ok(const struct bh_conn *c)
{
    struct smp_attempt *a = smp_attempt_find(c, false);

    if (a != NULL) {
        memset(a, 0, sizeof(*a));
    }
}

/* ---- state, timer, events ------------------------------------------------------------- */

/* Forget one pairing's data (nonces, keys, passkey). */
static void smp_wipe(struct bh_smp_link *l)
{
    memset(&l->method, 0, sizeof(*l) - offsetof(struct bh_smp_link, method));
}

void bh_smp_set_state(struct bh_smp_link *l, enum bh_smp_state state)
{
    enum bh_smp_state old = l->state;

    BH_LOG_DBG("conn 0x%04x: %s -> %s", l->conn->handle, smp_state_names[old],
               smp_state_names[state]);
    if (!smp_pairing_state(state)) {
        bh_dwork_cancel(&l->timeout);
        bh_work_cancel(&l->resume);
    }
    if (state == BH_SMP_STATE_IDLE || state == BH_SMP_STATE_TIMED_OUT) {
        smp_wipe(l);
    }
    if (!smp_pairing_state(old) && smp_pairing_state(state)) {
        bh_dwork_reschedule(&l->timeout, BH_CONFIG_SMP_TIMEOUT_MS);
    }
    l->state = state;
}

/* IRQ 28 with the link's security now. */
static void smp_emit_enc(const struct bh_conn *c)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_ENCRYPTION_UPDATE, .conn = c->handle};

    ev.enc.encrypted = c->encrypted ? 1 : 0;
    ev.enc.authenticated = c->encrypted && c->authenticated ? 1 : 0;
    ev.enc.bonded = c->encrypted && c->bonded ? 1 : 0;
    ev.enc.key_size = c->encrypted ? c->key_size : 0;
    (void)bh_ble_emit(&ev);
}

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

int bh_smp_send(struct bh_smp_link *l, uint8_t op, const uint8_t *p, uint16_t len)
{
    struct bh_buf *buf = bh_l2cap_buf_alloc();
    struct bh_wr w;

    if (buf == NULL) {
        smp.stats.tx_no_buf++;
        BH_LOG_WRN("conn 0x%04x: no buffer for SMP 0x%02x", l->conn->handle, op);
        return -ENOBUFS;
    }
    bh_wr_init(&w, buf, 1u + BH_SMP_LEN_PAIRING_PUBLIC_KEY);
    bh_wr_u8(&w, op);
    bh_wr_mem(&w, p, len);
    if (w.err) {
        bh_buf_unref(buf);
        return -EMSGSIZE;
    }
    if (smp_pairing_state(l->state)) {
        bh_dwork_reschedule(&l->timeout, BH_CONFIG_SMP_TIMEOUT_MS); /* Vol 3 Part H 3.4 */
    }
    return bh_l2cap_send(l->conn, BH_L2CAP_CID_SMP, buf); /* consumes buf */
}

/* A failed Secure Connections pairing renews our key pair (Vol 3 Part H
 * 2.3.5.6.1), once no other link is in the middle of one with it. */
static void smp_sc_renew(void)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        const struct bh_smp_link *o = &smp.links[i];

        if (o->conn != NULL && o->sc && smp_pairing_state(o->state)) {
            return;
        }
    }
    bh_smp_sc_renew();
}

/* End the running procedure as failed: Pairing Failed (send), back to IDLE, IRQ 28. */
static void smp_fail(struct bh_smp_link *l, uint8_t reason, bool send)
{
    bool active = l->state != BH_SMP_STATE_IDLE;
    struct bh_conn *c = l->conn;
    bool was_sc;

    BH_LOG_INF("conn 0x%04x: pairing failed in %s, reason 0x%02x (%s)", c->handle,
               smp_state_names[l->state], reason, send ? "ours" : "peer's");
    if (send) {
        (void)bh_smp_send(l, BH_SMP_OP_PAIRING_FAILED, &reason, 1);
    }
    if (send &&
        (reason == BH_SMP_ERR_CONFIRM_VALUE_FAILED || reason == BH_SMP_ERR_DHKEY_CHECK_FAILED)) {
        smp_attempt_failed(c);
    }
    if (!active) {
        return;
    }
    was_sc = l->sc;
    smp.stats.pairings_failed++;
    bh_smp_set_state(l, BH_SMP_STATE_IDLE);
    if (was_sc) {
        smp_sc_renew();
    }
    smp_emit_enc(c);
}

/* ---- HCI: starting encryption ---------------------------------------------------------- */

static void smp_on_enable_encryption(void *ctx, int err, uint8_t status, const uint8_t *rp,
                                     uint16_t rp_len)
{
    struct bh_smp_link *l = smp_link_by_handle((uint16_t)(uintptr_t)ctx);

    if (l == NULL || (err == 0 && status == 0)) {
        return;
    }
    BH_LOG_WRN("LE Enable Encryption failed: err %d status 0x%02x", err, status);
    if (l->state == BH_SMP_STATE_WAIT_ENCRYPTION) {
        smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
    } else if (l->state == BH_SMP_STATE_ENCRYPTING) {
        bh_smp_set_state(l, BH_SMP_STATE_IDLE);
        smp_emit_enc(l->conn);
    }
}

/* LE Enable Encryption, Vol 4 Part E 7.8.24. key MSB-first. */
static int smp_enable_encryption(struct bh_smp_link *l, const uint8_t key[16], uint16_t ediv,
                                 const uint8_t rand[8])
{
    uint8_t p[28];

    bh_put_le16(&p[0], l->conn->handle);
    memcpy(&p[2], rand, 8);
    bh_put_le16(&p[10], ediv);
    bh_crypto_swap(&p[12], key, 16);
    return bh_hci_cmd_send(BH_HCI_OP_LE_ENABLE_ENCRYPTION, p, sizeof(p), smp_on_enable_encryption,
                           (void *)(uintptr_t)l->conn->handle);
}

/* LE Long Term Key Request Reply (key non-NULL) or Negative Reply, 7.8.25/26. */
static void smp_ltk_reply(const struct bh_conn *c, const uint8_t *key)
{
    uint8_t p[18];

    bh_put_le16(&p[0], c->handle);
    if (key == NULL) {
        (void)bh_hci_cmd_send(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, p, 2, NULL, NULL);
        return;
    }
    bh_crypto_swap(&p[2], key, 16);
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_REPLY, p, sizeof(p), NULL, NULL);
    memset(p, 0, sizeof(p));
}

uint8_t bh_smp_key_ready(struct bh_smp_link *l)
{
    /* Vol 3 Part H 2.3.4: a shorter key is masked in its most significant octets. */
    memset(l->key, 0, (size_t)(BH_SMP_KEY_SIZE_MAX - l->key_size));
    bh_smp_set_state(l, BH_SMP_STATE_WAIT_ENCRYPTION);
    if (l->central) {
        static const uint8_t zero[8];

        if (smp_enable_encryption(l, l->key, 0, zero) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
    }
    return 0;
}

/* Re-encrypt (central) with the bonded LTK the peer gave us. */
static int smp_reencrypt(struct bh_smp_link *l, const struct bh_keys_bond *b)
{
    int err = smp_enable_encryption(l, b->peer_ltk, b->peer_ediv, b->peer_rand);

    if (err == 0) {
        bh_smp_set_state(l, BH_SMP_STATE_ENCRYPTING);
        l->reenc_auth = (b->flags & BH_KEYS_F_AUTH) != 0;
        l->key_size = b->key_size;
    }
    return err;
}

/* ---- starting a procedure ---------------------------------------------------------------- */

/* Central: Pairing Request, Vol 3 Part H 3.5.1. */
static int smp_send_pairing_req(struct bh_smp_link *l)
{
    uint8_t *p = &l->preq[1];
    int err;

    if (smp.cfg.le_secure && !smp_sc_offered()) {
        return -EOPNOTSUPP;
    }
    l->preq[0] = BH_SMP_OP_PAIRING_REQ;
    p[0] = smp.cfg.io;
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
        return smp_reencrypt(l, b);
    }
    if (smp_attempt_blocked(l->conn)) {
        return -EAGAIN;
    }
    return smp_send_pairing_req(l);
}

int bh_smp_pair(uint16_t handle)
{
    struct bh_smp_link *l = smp_link_by_handle(handle);
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
        return smp_central_secure(l, smp.cfg.mitm);
    }
    if (l->conn->encrypted && (l->conn->authenticated || !smp.cfg.mitm)) {
        return -EALREADY;
    }
    /* Peripheral: Security Request, Vol 3 Part H 3.6.7. */
    auth = smp_our_auth();
    return bh_smp_send(l, BH_SMP_OP_SECURITY_REQ, &auth, 1);
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
    if (smp.cfg.le_secure && !l->sc) {
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
        l->dist_wait |= SMP_WAIT_ENC_INFO | SMP_WAIT_CENTRAL_IDENT;
    }
    if (peer_dist & BH_SMP_DIST_ID_KEY) {
        l->dist_wait |= SMP_WAIT_ID_INFO | SMP_WAIT_ID_ADDR;
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
static uint8_t smp_rx_pairing_req(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t *p = &l->pres[1];
    uint8_t reason;

    if (l->conn->role != BH_CONN_ROLE_PERIPHERAL) {
        return BH_SMP_ERR_COMMAND_NOT_SUPPORTED;
    }
    if (l->state != BH_SMP_STATE_IDLE) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    if (smp_attempt_blocked(l->conn)) {
        return BH_SMP_ERR_REPEATED_ATTEMPTS;
    }
    if (smp.cfg.le_secure && !smp_sc_offered()) {
        return BH_SMP_ERR_PAIRING_NOT_SUPPORTED;
    }
    l->preq[0] = BH_SMP_OP_PAIRING_REQ;
    bh_rd_copy(r, &l->preq[1], BH_SMP_LEN_PAIRING_REQ);
    l->pres[0] = BH_SMP_OP_PAIRING_RSP;
    p[0] = smp.cfg.io;
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
static uint8_t smp_rx_pairing_rsp(struct bh_smp_link *l, struct bh_rd *r)
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

/* ---- phase 2 PDUs: routed to legacy or Secure Connections --------------------------------- */

/* Pairing Confirm, Vol 3 Part H 3.5.3. */
static uint8_t smp_rx_pairing_confirm(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16];

    if (l->state != BH_SMP_STATE_WAIT_CONFIRM) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(l->pconfirm, v, 16);
    return l->sc ? bh_smp_sc_rx_confirm(l) : bh_smp_legacy_rx_confirm(l);
}

/* Pairing Random, Vol 3 Part H 3.5.4. */
static uint8_t smp_rx_pairing_random(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16];

    if (l->state != BH_SMP_STATE_WAIT_RANDOM) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(l->prand, v, 16);
    return l->sc ? bh_smp_sc_rx_random(l) : bh_smp_legacy_rx_random(l);
}

/* Pairing Public Key, Vol 3 Part H 3.5.6. */
static uint8_t smp_rx_pairing_public_key(struct bh_smp_link *l, struct bh_rd *r)
{
    const uint8_t *pk = bh_rd_mem(r, BH_SMP_LEN_PAIRING_PUBLIC_KEY);

    if (l->state != BH_SMP_STATE_WAIT_PUBLIC_KEY || !l->sc || pk == NULL) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    return bh_smp_sc_rx_public_key(l, pk);
}

/* Pairing DHKey Check, Vol 3 Part H 3.5.7. */
static uint8_t smp_rx_pairing_dhkey_check(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16], check[16];

    if (l->state != BH_SMP_STATE_WAIT_DHKEY_CHECK || !l->sc) {
        return BH_SMP_ERR_UNSPECIFIED_REASON;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(check, v, 16);
    return bh_smp_sc_rx_dhkey_check(l, check);
}

/* Pairing Failed, Vol 3 Part H 3.5.5: end quietly (never answered). */
static uint8_t smp_rx_pairing_failed(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t reason = bh_rd_u8(r);

    if (l->state == BH_SMP_STATE_IDLE || l->state == BH_SMP_STATE_ENCRYPTING) {
        smp.stats.rx_bad_state++;
        return 0;
    }
    smp_fail(l, reason, false);
    return 0;
}

/* Keypress Notification, Vol 3 Part H 3.5.8: we never ask for them; ignored. */
static uint8_t smp_rx_keypress_notification(struct bh_smp_link *l, struct bh_rd *r)
{
    (void)bh_rd_u8(r);
    return 0;
}

/* ---- phase 3: key distribution, Vol 3 Part H 3.6 ------------------------------------------ */

/* Our keys, in the order of 3.6.1: LTK + EDIV/Rand (legacy), then IRK + identity address. */
static uint8_t smp_send_keys(struct bh_smp_link *l)
{
    uint8_t p[16];
    const struct bh_hci_info *hci = bh_hci_info();
    int err = 0;

    if (l->our_dist & BH_SMP_DIST_ENC_KEY) {
        struct bh_keys_bond *b = &l->rx;

        if (bh_smp_random(b->our_ltk, 16) != 0 || bh_smp_random(p, 10) != 0) {
            return BH_SMP_ERR_UNSPECIFIED_REASON;
        }
        memset(b->our_ltk, 0, (size_t)(BH_SMP_KEY_SIZE_MAX - l->key_size));
        b->our_ediv = bh_get_le16(p);
        memcpy(b->our_rand, &p[2], 8);
        b->flags |= BH_KEYS_F_OUR_LTK;
        bh_crypto_swap(p, b->our_ltk, 16);
        err |= bh_smp_send(l, BH_SMP_OP_ENCRYPTION_INFO, p, 16);
        bh_put_le16(p, b->our_ediv);
        memcpy(&p[2], b->our_rand, 8);
        err |= bh_smp_send(l, BH_SMP_OP_CENTRAL_IDENT, p, 10);
    }
    if (l->our_dist & BH_SMP_DIST_ID_KEY) {
        bh_crypto_swap(p, bh_keys_own_irk(), 16);
        err |= bh_smp_send(l, BH_SMP_OP_IDENTITY_INFO, p, 16);
        p[0] = hci->id_addr_type & 1;
        memcpy(&p[1], hci->id_addr, 6);
        err |= bh_smp_send(l, BH_SMP_OP_IDENTITY_ADDR_INFO, p, 7);
    }
    memset(p, 0, sizeof(p));
    return err != 0 ? BH_SMP_ERR_UNSPECIFIED_REASON : 0;
}

/* Every key exchanged: record the bond, back to IDLE, IRQ 28. */
static void smp_complete(struct bh_smp_link *l)
{
    struct bh_conn *c = l->conn;
    struct bh_keys_bond *b = &l->rx;

    if (!l->id_received) {
        b->addr_type = c->peer_addr_type & 1;
        memcpy(b->addr, c->peer_addr, 6);
    } else {
        c->id_addr_type = b->addr_type;
        memcpy(c->id_addr, b->addr, 6);
    }
    b->key_size = l->key_size;
    if (l->method != BH_SMP_METHOD_JUST_WORKS) {
        b->flags |= BH_KEYS_F_AUTH;
    }
    if (l->sc) {
        b->flags |= BH_KEYS_F_SC | BH_KEYS_F_OUR_LTK | BH_KEYS_F_PEER_LTK;
        memcpy(b->our_ltk, l->key, 16);
        memcpy(b->peer_ltk, l->key, 16);
    }
    c->bonded = false;
    if (l->bond && (b->flags & (BH_KEYS_F_OUR_LTK | BH_KEYS_F_PEER_LTK))) {
        if (bh_keys_store(b) != 0) {
            BH_LOG_WRN("conn 0x%04x: the secret store refused the bond", c->handle);
        }
        c->bonded = true;
    }
    smp_attempt_ok(c);
    smp.stats.pairings_ok++;
    BH_LOG_INF("conn 0x%04x: paired (auth %d, bonded %d)", c->handle, c->authenticated, c->bonded);
    bh_smp_set_state(l, BH_SMP_STATE_IDLE);
    bh_gatts_bond_sync(c); /* subscriptions made before bonding are saved now */
    smp_emit_enc(c);
}

/* Encrypted with the STK/LTK: the responder's keys first, then the initiator's. */
static uint8_t smp_dist_start(struct bh_smp_link *l)
{
    uint8_t reason;

    if (!l->central && (reason = smp_send_keys(l)) != 0) {
        return reason;
    }
    if (l->dist_wait != 0) {
        bh_smp_set_state(l, BH_SMP_STATE_KEY_DIST);
        return 0;
    }
    if (l->central && (reason = smp_send_keys(l)) != 0) {
        return reason;
    }
    smp_complete(l);
    return 0;
}

/* The peer key PDU `bit` arrived: in order? Then the next step once all are in. */
static uint8_t smp_key_check(const struct bh_smp_link *l, uint8_t bit)
{
    uint8_t next = (uint8_t)(l->dist_wait & -l->dist_wait);

    return l->state == BH_SMP_STATE_KEY_DIST && next == bit ? 0 : BH_SMP_ERR_UNSPECIFIED_REASON;
}

static uint8_t smp_key_done(struct bh_smp_link *l, uint8_t bit)
{
    uint8_t reason;

    l->dist_wait &= (uint8_t)~bit;
    if (l->dist_wait != 0) {
        return 0;
    }
    if (l->central && (reason = smp_send_keys(l)) != 0) {
        return reason;
    }
    smp_complete(l);
    return 0;
}

/* Encryption Information, Vol 3 Part H 3.6.2. */
static uint8_t smp_rx_encryption_info(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16];
    uint8_t reason = smp_key_check(l, SMP_WAIT_ENC_INFO);

    if (reason != 0) {
        return reason;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(l->rx.peer_ltk, v, 16);
    memset(v, 0, sizeof(v));
    return smp_key_done(l, SMP_WAIT_ENC_INFO);
}

/* Central Identification, Vol 3 Part H 3.6.3. */
static uint8_t smp_rx_central_ident(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t reason = smp_key_check(l, SMP_WAIT_CENTRAL_IDENT);

    if (reason != 0) {
        return reason;
    }
    l->rx.peer_ediv = bh_rd_le16(r);
    bh_rd_copy(r, l->rx.peer_rand, 8);
    l->rx.flags |= BH_KEYS_F_PEER_LTK;
    return smp_key_done(l, SMP_WAIT_CENTRAL_IDENT);
}

/* Identity Information, Vol 3 Part H 3.6.4. */
static uint8_t smp_rx_identity_info(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16];
    uint8_t reason = smp_key_check(l, SMP_WAIT_ID_INFO);

    if (reason != 0) {
        return reason;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(l->rx.irk, v, 16);
    l->rx.flags |= BH_KEYS_F_IRK;
    return smp_key_done(l, SMP_WAIT_ID_INFO);
}

/* Identity Address Information, Vol 3 Part H 3.6.5: public or static random. */
static uint8_t smp_rx_identity_addr_info(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t type;
    uint8_t reason = smp_key_check(l, SMP_WAIT_ID_ADDR);

    if (reason != 0) {
        return reason;
    }
    type = bh_rd_u8(r);
    if (type > 1) {
        return BH_SMP_ERR_INVALID_PARAMETERS;
    }
    l->rx.addr_type = type;
    bh_rd_copy(r, l->rx.addr, 6);
    l->id_received = true;
    return smp_key_done(l, SMP_WAIT_ID_ADDR);
}

/* Signing Information, Vol 3 Part H 3.6.6: we never ask for a CSRK. */
static uint8_t smp_rx_signing_info(struct bh_smp_link *l, struct bh_rd *r)
{
    return BH_SMP_ERR_UNSPECIFIED_REASON;
}

/* Security Request, Vol 3 Part H 3.6.7: we are central; pair or re-encrypt. */
static uint8_t smp_rx_security_req(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t auth = bh_rd_u8(r);
    int err;

    if (l->conn->role != BH_CONN_ROLE_CENTRAL) {
        return BH_SMP_ERR_COMMAND_NOT_SUPPORTED;
    }
    if (l->state != BH_SMP_STATE_IDLE) {
        return 0; /* a procedure already runs: nothing to do */
    }
    err = smp_central_secure(l, (auth & BH_SMP_AUTH_MITM) || smp.cfg.mitm);
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

/* ---- receive ------------------------------------------------------------------------------ */

void bh_smp_rx(struct bh_conn *c, struct bh_rd *r)
{
    struct bh_smp_link *l = smp_link(c);
    const struct smp_rx_row *row = NULL;
    uint8_t op, reason;

    if (l == NULL) {
        return;
    }
    smp.stats.rx_pdus++;
    if (l->state == BH_SMP_STATE_TIMED_OUT) {
        smp.stats.rx_dropped++; /* Vol 3 Part H 3.4: no SMP until reconnection */
        return;
    }
    op = bh_rd_u8(r);
    for (unsigned i = 0; !r->err && i < BH_ARRAY_SIZE(smp_rx_table); i++) {
        if (smp_rx_table[i].op == op) {
            row = &smp_rx_table[i];
        }
    }
    if (row == NULL) {
        smp.stats.rx_unknown++; /* Vol 3 Part H 3.3: a reserved code is ignored */
        BH_LOG_WRN("conn 0x%04x: SMP code 0x%02x ignored", c->handle, op);
        return;
    }
    BH_LOG_DBG("conn 0x%04x: rx code 0x%02x in %s", c->handle, op, smp_state_names[l->state]);
    if (r->left != row->len) {
        smp.stats.rx_bad_len++;
        BH_LOG_WRN("conn 0x%04x: SMP 0x%02x of %u octets", c->handle, op, r->left);
        reason = BH_SMP_ERR_INVALID_PARAMETERS;
    } else {
        reason = row->fn(l, r);
    }
    if (reason == BH_SMP_ERR_UNSPECIFIED_REASON || reason == BH_SMP_ERR_COMMAND_NOT_SUPPORTED) {
        smp.stats.rx_bad_state++;
    }
    if (reason != 0 && l->state != BH_SMP_STATE_TIMED_OUT) {
        smp_fail(l, reason, true);
    }
}

/* ---- user input and timers ------------------------------------------------------------------ */

static uint8_t smp_resume(struct bh_smp_link *l)
{
    if (!smp_pairing_state(l->state)) {
        return 0;
    }
    return l->sc ? bh_smp_sc_resume(l) : bh_smp_legacy_resume(l);
}

/* The displayed passkey is now final: carry on. */
static void smp_on_resume(struct bh_work *w)
{
    struct bh_smp_link *l = BH_CONTAINER_OF(w, struct bh_smp_link, resume);
    uint8_t reason;

    if (l->user == BH_SMP_ACTION_DISPLAY) {
        l->user = BH_SMP_ACTION_NONE;
    }
    reason = smp_resume(l);
    if (reason != 0) {
        smp_fail(l, reason, true);
    }
}

int bh_smp_passkey(uint16_t handle, uint8_t action, uint32_t passkey)
{
    struct bh_smp_link *l = smp_link_by_handle(handle);
    uint8_t reason;

    if (l == NULL) {
        return -ENOTCONN;
    }
    if (l->user == BH_SMP_ACTION_NONE || action != l->user || !smp_pairing_state(l->state)) {
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
        smp_fail(l, BH_SMP_ERR_NUMERIC_COMPARISON_FAILED, true);
        return 0;
    }
    l->passkey = passkey;
    l->user_ok = true;
    reason = smp_resume(l);
    if (reason != 0) {
        smp_fail(l, reason, true);
    }
    return 0;
}

/* Vol 3 Part H 3.4: 30 s without progress ends pairing, and SMP, on this link. */
static void smp_on_timeout(struct bh_work *w)
{
    struct bh_dwork *dw = bh_dwork_from_work(w);
    struct bh_smp_link *l = BH_CONTAINER_OF(dw, struct bh_smp_link, timeout);

    BH_LOG_WRN("conn 0x%04x: SMP timeout in %s", l->conn->handle, smp_state_names[l->state]);
    bool was_sc = l->sc;

    smp.stats.timeouts++;
    smp.stats.pairings_failed++;
    bh_smp_set_state(l, BH_SMP_STATE_TIMED_OUT);
    if (was_sc) {
        smp_sc_renew();
    }
    smp_emit_enc(l->conn);
}

/* ---- controller events ------------------------------------------------------------------------
 */

void bh_smp_on_encryption_change(struct bh_conn *c, uint8_t status)
{
    struct bh_smp_link *l = smp_link(c);
    uint8_t reason;

    if (l == NULL) {
        return;
    }
    /* gap_conn.c has set c->encrypted from the event; the rest is ours. */
    switch (l->state) {
    case BH_SMP_STATE_WAIT_ENCRYPTION:
        if (status != 0 || !c->encrypted) {
            smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
            return;
        }
        c->key_size = l->key_size;
        c->authenticated = l->method != BH_SMP_METHOD_JUST_WORKS;
        c->bonded = false;
        reason = smp_dist_start(l);
        if (reason != 0) {
            smp_fail(l, reason, true);
        }
        return;
    case BH_SMP_STATE_ENCRYPTING:
        if (status == BH_HCI_ERR_PIN_OR_KEY_MISSING && c->role == BH_CONN_ROLE_CENTRAL) {
            /* The peer lost the bond: pair again; the new bond replaces the old. */
            BH_LOG_INF("conn 0x%04x: peer has no key for us, pairing again", c->handle);
            bh_smp_set_state(l, BH_SMP_STATE_IDLE);
            if (smp_send_pairing_req(l) == 0) {
                return;
            }
        } else if (status == 0 && c->encrypted) {
            c->key_size = l->key_size;
            c->authenticated = l->reenc_auth;
            c->bonded = true;
            smp.stats.reencryptions++;
        }
        bh_smp_set_state(l, BH_SMP_STATE_IDLE);
        bh_gatts_bond_sync(c); /* the peer is identified: its subscriptions resume */
        smp_emit_enc(c);
        return;
    case BH_SMP_STATE_IDLE:
        if (status == 0) {
            smp_emit_enc(c); /* e.g. Key Refresh started by the peer */
        }
        return;
    default:
        return;
    }
}

/* Peripheral: a bonded LTK for this request, or NULL (Vol 3 Part H 2.4.4). */
static const struct bh_keys_bond *smp_ltk_lookup(const struct bh_conn *c, const uint8_t rand[8],
                                                 uint16_t ediv)
{
    static const uint8_t zero[8];
    const struct bh_keys_bond *b;

    if (ediv == 0 && memcmp(rand, zero, 8) == 0) {
        b = bh_keys_find_conn(c); /* Secure Connections: by the peer's identity */
        return b != NULL && (b->flags & BH_KEYS_F_SC) ? b : NULL;
    }
    return bh_keys_find_ediv(ediv, rand);
}

void bh_smp_on_ltk_request(struct bh_conn *c, const uint8_t rand[8], uint16_t ediv)
{
    static const uint8_t zero[8];
    struct bh_smp_link *l = smp_link(c);
    const struct bh_keys_bond *b;

    if (l == NULL || c->role != BH_CONN_ROLE_PERIPHERAL) {
        smp_ltk_reply(c, NULL);
        return;
    }
    if (l->state == BH_SMP_STATE_WAIT_ENCRYPTION) {
        /* STK or SC LTK: EDIV and Rand are zero, Vol 3 Part H 2.4.4.1 */
        bool ok = ediv == 0 && memcmp(rand, zero, 8) == 0;

        smp_ltk_reply(c, ok ? l->key : NULL);
        if (!ok) {
            smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
        }
        return;
    }
    b = l->state == BH_SMP_STATE_IDLE ? smp_ltk_lookup(c, rand, ediv) : NULL;
    if (b == NULL) {
        BH_LOG_INF("conn 0x%04x: no LTK for EDIV 0x%04x", c->handle, ediv);
        smp_ltk_reply(c, NULL);
        return;
    }
    smp_ltk_reply(c, b->our_ltk);
    bh_smp_set_state(l, BH_SMP_STATE_ENCRYPTING);
    l->reenc_auth = (b->flags & BH_KEYS_F_AUTH) != 0;
    l->key_size = b->key_size;
}

/* LE Long Term Key Request event, Vol 4 Part E 7.7.65.5. */
void smp_on_le_long_term_key_request(struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint8_t rand[8];
    uint16_t ediv;
    struct bh_conn *c;

    bh_rd_copy(r, rand, sizeof(rand));
    ediv = bh_rd_le16(r);
    c = bh_conn_lookup(handle & 0x0FFF);
    if (r->err || c == NULL) {
        BH_LOG_WRN("LTK request for unknown handle 0x%04x", handle);
        return;
    }
    bh_smp_on_ltk_request(c, rand, ediv);
}

/* ---- lifecycle and configuration
 * ------------------------------------------------------------------ */

void bh_smp_conn_up(struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);
    struct bh_smp_link *l;
    uint8_t own_type;

    if (i >= BH_CONFIG_MAX_CONN) {
        return;
    }
    l = &smp.links[i];
    memset(l, 0, sizeof(*l));
    l->conn = c;
    bh_dwork_init(&l->timeout, smp_on_timeout);
    bh_work_init(&l->resume, smp_on_resume);
    own_type = bh_gap_own_addr_type();
    l->own[0] = own_type == 0 ? 0 : 1;
    memcpy(&l->own[1], own_type == 0 ? bh_hci_info()->bd_addr : bh_gap_random_addr(), 6);
    c->encrypted = false;
    c->authenticated = false;
    c->bonded = false;
    c->key_size = 0;
}

void bh_smp_conn_down(struct bh_conn *c)
{
    struct bh_smp_link *l = smp_link(c);

    if (l == NULL) {
        return;
    }
    bool was_sc = l->sc && smp_pairing_state(l->state);

    bh_dwork_cancel(&l->timeout);
    bh_work_cancel(&l->resume);
    memset(l, 0, sizeof(*l));
    if (was_sc) {
        smp_sc_renew();
    }
}

void bh_smp_init(void)
{
    memset(smp.links, 0, sizeof(smp.links));
    memset(smp.attempts, 0, sizeof(smp.attempts));
    memset(&smp.stats, 0, sizeof(smp.stats));
    bh_crypto_set_rng(bh_os_port()->entropy);
    bh_smp_sc_reset();
}

void bh_smp_set_bonding(bool on)
{
    smp.cfg.bonding = on;
}

void bh_smp_set_mitm(bool on)
{
    smp.cfg.mitm = on;
}

void bh_smp_set_le_secure(bool on)
{
    smp.cfg.le_secure = on;
}

void bh_smp_set_sc(bool on)
{
    smp.cfg.no_sc = !on;
}

int bh_smp_set_io_capability(uint8_t io)
{
    if (io > BH_SMP_IO_MAX) {
        return -EINVAL;
    }
    smp.cfg.io = io;
    return 0;
}

struct bh_smp_link *bh_smp_link_at(unsigned i)
{
    return i < BH_CONFIG_MAX_CONN && smp.links[i].conn != NULL ? &smp.links[i] : NULL;
}

void bh_smp_async_done(struct bh_smp_link *l, uint8_t reason)
{
    if (reason != 0 && smp_pairing_state(l->state)) {
        smp_fail(l, reason, true);
    }
}

const struct bh_smp_stats *bh_smp_stats(void)
{
    return &smp.stats;
}

enum bh_smp_state bh_smp_link_state(const struct bh_conn *c)
{
    const struct bh_smp_link *l = smp_link(c);

    return l != NULL ? l->state : BH_SMP_STATE_IDLE;
}

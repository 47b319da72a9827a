/* SPDX-License-Identifier: MIT */
/*
 * smp.c: the core of the Security Manager Protocol on the LE fixed channel
 * 0x0006 (Core 5.4 Vol 3 Part H 3), both roles: the per-link table and the
 * pairing state machine with its 30 s timeout (3.4), the end of a pairing
 * (Pairing Failed reasons, success with the bond recorded), protection
 * against repeated attempts (2.3.6), the PDU dispatch table (3.3 Table 3.4)
 * with the phase 2 PDUs routed to legacy or Secure Connections, the
 * lifecycle, the configuration and the statistics.
 * The other jobs live beside it (see smp.h): smp_pairing.c starts a
 * procedure, runs the feature exchange and asks the user; smp_dist.c the key
 * distribution (3.6); smp_enc.c starts encryption and answers the
 * controller; smp_legacy.c and smp_sc.c the confirm/random/key exchange of
 * each pairing kind; keys.c the bond table and its secret store; bh_crypto
 * the cryptography. IRQ 28 (once per completed or failed procedure) goes
 * out through bh_ble_emit.
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
#include "l2cap.h"
#include "os/bh_assert.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

/* Repeated attempts (Vol 3 Part H 2.3.6): the wait after the n-th failure. */
#define SMP_ATTEMPT_WAIT_MS 2000u
#define SMP_ATTEMPT_MAX_SHIFT 5u /* at most 64 s */
#define SMP_ATTEMPTS (2 * BH_CONFIG_MAX_CONN)

struct smp_attempt {
    uint8_t addr[7]; /* type, address little-endian */
    uint8_t fails;
    uint32_t until;
};

struct smp_ctx {
    struct bh_smp_link links[BH_CONFIG_MAX_CONN];
    struct smp_attempt attempts[SMP_ATTEMPTS];
    struct bh_smp_stats stats;
};

static struct smp_ctx smp;

/* The configuration lives apart from `smp` so that the link table stays
 * zero-initialised (.bss): only these few bytes need an initial value. */
static struct bh_smp_cfg smp_cfg = {.io = BH_SMP_IO_NO_INPUT_NO_OUTPUT};

typedef uint8_t (*smp_rx_fn_t)(struct bh_smp_link *l, struct bh_rd *r);

struct smp_rx_row {
    uint8_t op;
    uint8_t len; /* exact parameter length after the code */
    smp_rx_fn_t fn;
};

static uint8_t smp_rx_pairing_confirm(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_random(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_failed(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_public_key(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_pairing_dhkey_check(struct bh_smp_link *l, struct bh_rd *r);
static uint8_t smp_rx_keypress_notification(struct bh_smp_link *l, struct bh_rd *r);

/* Vol 3 Part H 3.3 Table 3.4; lengths of 3.5 and 3.6. The smp_rx_* handlers
 * are below in this file; bh_smp_rx_pairing_req/_rsp and
 * bh_smp_rx_security_req are in smp_pairing.c, the other bh_smp_rx_* (the
 * key distribution PDUs) in smp_dist.c. */
static const struct smp_rx_row smp_rx_table[] = {
    {BH_SMP_OP_PAIRING_REQ, BH_SMP_LEN_PAIRING_REQ, bh_smp_rx_pairing_req},
    {BH_SMP_OP_PAIRING_RSP, BH_SMP_LEN_PAIRING_RSP, bh_smp_rx_pairing_rsp},
    {BH_SMP_OP_PAIRING_CONFIRM, BH_SMP_LEN_PAIRING_CONFIRM, smp_rx_pairing_confirm},
    {BH_SMP_OP_PAIRING_RANDOM, BH_SMP_LEN_PAIRING_RANDOM, smp_rx_pairing_random},
    {BH_SMP_OP_PAIRING_FAILED, BH_SMP_LEN_PAIRING_FAILED, smp_rx_pairing_failed},
    {BH_SMP_OP_ENCRYPTION_INFO, BH_SMP_LEN_ENCRYPTION_INFO, bh_smp_rx_encryption_info},
    {BH_SMP_OP_CENTRAL_IDENT, BH_SMP_LEN_CENTRAL_IDENT, bh_smp_rx_central_ident},
    {BH_SMP_OP_IDENTITY_INFO, BH_SMP_LEN_IDENTITY_INFO, bh_smp_rx_identity_info},
    {BH_SMP_OP_IDENTITY_ADDR_INFO, BH_SMP_LEN_IDENTITY_ADDR_INFO, bh_smp_rx_identity_addr_info},
    {BH_SMP_OP_SIGNING_INFO, BH_SMP_LEN_SIGNING_INFO, bh_smp_rx_signing_info},
    {BH_SMP_OP_SECURITY_REQ, BH_SMP_LEN_SECURITY_REQ, bh_smp_rx_security_req},
    {BH_SMP_OP_PAIRING_PUBLIC_KEY, BH_SMP_LEN_PAIRING_PUBLIC_KEY, smp_rx_pairing_public_key},
    {BH_SMP_OP_PAIRING_DHKEY_CHECK, BH_SMP_LEN_PAIRING_DHKEY_CHECK, smp_rx_pairing_dhkey_check},
    {BH_SMP_OP_KEYPRESS_NOTIFICATION, BH_SMP_LEN_KEYPRESS_NOTIFICATION,
     smp_rx_keypress_notification},
};

static const char *const smp_state_names[] = {
    "IDLE",        "WAIT_PAIRING_RSP", "WAIT_PUBLIC_KEY", "WAIT_CONFIRM",
    "WAIT_RANDOM", "WAIT_DHKEY_CHECK", "WAIT_ENCRYPTION", "KEY_DIST",
    "ENCRYPTING",  "TIMED_OUT",
};

static void smp_on_timeout(struct bh_work *w);

/* ---- small helpers ------------------------------------------------------------------ */

struct bh_smp_link *bh_smp_link_of(const struct bh_conn *c)
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

struct bh_smp_link *bh_smp_link_by_handle(uint16_t handle)
{
    struct bh_conn *c = bh_conn_lookup(handle);

    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
        return NULL;
    }
    return bh_smp_link_of(c);
}

bool bh_smp_pairing_state(enum bh_smp_state s)
{
    return s != BH_SMP_STATE_IDLE && s != BH_SMP_STATE_ENCRYPTING && s != BH_SMP_STATE_TIMED_OUT;
}

int bh_smp_random(uint8_t *out, uint16_t len)
{
    return bh_crypto_random(out, len) == 0 ? 0 : -EIO;
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
        /* A free entry, else the one whose wait ends first. A free entry's
         * `until` (0) is no time: comparing it would wrap once the clock
         * passes 2^31 ms and evict a running wait (2.3.6) with room to spare. */
        if (old->fails != 0 && (a->fails == 0 || bh_time_after(old->until, a->until))) {
            old = a;
        }
    }
    if (!create) {
        return NULL;
    }
    memset(old, 0, sizeof(*old));
    memcpy(old->addr, key, 7);
    return old;
}

bool bh_smp_attempt_blocked(const struct bh_conn *c)
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

/* ---- state machine, sending, the end of a pairing -------------------------------------- */

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
    if (!bh_smp_pairing_state(state)) {
        bh_dwork_cancel(&l->timeout);
        bh_work_cancel(&l->resume);
    }
    if (state == BH_SMP_STATE_IDLE || state == BH_SMP_STATE_TIMED_OUT) {
        smp_wipe(l);
    }
    if (!bh_smp_pairing_state(old) && bh_smp_pairing_state(state)) {
        bh_dwork_reschedule(&l->timeout, BH_CONFIG_SMP_TIMEOUT_MS);
    }
    l->state = state;
}

/* IRQ 28 with the link's security now. */
void bh_smp_emit_enc(const struct bh_conn *c)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_ENCRYPTION_UPDATE, .conn = c->handle};

    ev.enc.encrypted = c->encrypted ? 1 : 0;
    ev.enc.authenticated = c->encrypted && c->authenticated ? 1 : 0;
    ev.enc.bonded = c->encrypted && c->bonded ? 1 : 0;
    ev.enc.key_size = c->encrypted ? c->key_size : 0;
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
    if (bh_smp_pairing_state(l->state)) {
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

        if (o->conn != NULL && o->sc && bh_smp_pairing_state(o->state)) {
            return;
        }
    }
    bh_smp_sc_renew();
}

/* End the running pairing as failed: Pairing Failed (send), back to IDLE, IRQ 28.
 * Outside a pairing only the PDU goes: a re-encryption (ENCRYPTING) is an
 * LL procedure that a stray SMP PDU does not end (Vol 3 Part H 3.5.5: Pairing
 * Failed ends pairing); its Encryption Change still completes it. */
void bh_smp_fail(struct bh_smp_link *l, uint8_t reason, bool send)
{
    bool active = bh_smp_pairing_state(l->state);
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
    bh_smp_emit_enc(c);
}

/* Every key exchanged: record the bond, back to IDLE, IRQ 28. */
void bh_smp_complete(struct bh_smp_link *l)
{
    struct bh_conn *c = l->conn;
    struct bh_keys_bond *b = &l->rx;

    if (!l->id_received) {
        /* No Identity Address Information: the bond goes by the identity the
         * link already has (c->id_addr: the peer's address, or the bonded
         * identity its private address resolved to, Vol 3 Part C 10.8.2.3),
         * so that a peer that pairs again replaces its bond rather than
         * leaving the old one to answer for it (bh_keys_find_conn). */
        b->addr_type = c->id_addr_type & 1;
        memcpy(b->addr, c->id_addr, 6);
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
    bh_smp_emit_enc(c);
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
    bh_smp_fail(l, reason, false);
    return 0;
}

/* Keypress Notification, Vol 3 Part H 3.5.8: we never ask for them; ignored. */
static uint8_t smp_rx_keypress_notification(struct bh_smp_link *l, struct bh_rd *r)
{
    (void)bh_rd_u8(r);
    return 0;
}

/* ---- receive ------------------------------------------------------------------------------ */

void bh_smp_rx(struct bh_conn *c, struct bh_rd *r)
{
    struct bh_smp_link *l = bh_smp_link_of(c);
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
        bh_smp_fail(l, reason, true);
    }
}

/* ---- timer ---------------------------------------------------------------------------------- */

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
    bh_smp_emit_enc(l->conn);
}

/* ---- lifecycle, configuration, statistics ------------------------------------------------- */

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
    bh_work_init(&l->resume, bh_smp_on_resume);
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
    struct bh_smp_link *l = bh_smp_link_of(c);

    if (l == NULL) {
        return;
    }
    bool was_sc = l->sc && bh_smp_pairing_state(l->state);

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
    smp_cfg.bonding = on;
}

void bh_smp_set_mitm(bool on)
{
    smp_cfg.mitm = on;
}

void bh_smp_set_le_secure(bool on)
{
    smp_cfg.le_secure = on;
}

void bh_smp_set_sc(bool on)
{
    smp_cfg.no_sc = !on;
}

int bh_smp_set_io_capability(uint8_t io)
{
    if (io > BH_SMP_IO_MAX) {
        return -EINVAL;
    }
    smp_cfg.io = io;
    return 0;
}

struct bh_smp_link *bh_smp_link_at(unsigned i)
{
    return i < BH_CONFIG_MAX_CONN && smp.links[i].conn != NULL ? &smp.links[i] : NULL;
}

void bh_smp_async_done(struct bh_smp_link *l, uint8_t reason)
{
    if (reason != 0 && bh_smp_pairing_state(l->state)) {
        bh_smp_fail(l, reason, true);
    }
}

const struct bh_smp_cfg *bh_smp_cfg(void)
{
    return &smp_cfg;
}

const struct bh_smp_stats *bh_smp_stats(void)
{
    return &smp.stats;
}

struct bh_smp_stats *bh_smp_stats_mut(void)
{
    return &smp.stats;
}

enum bh_smp_state bh_smp_link_state(const struct bh_conn *c)
{
    const struct bh_smp_link *l = bh_smp_link_of(c);

    return l != NULL ? l->state : BH_SMP_STATE_IDLE;
}

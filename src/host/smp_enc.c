/* SPDX-License-Identifier: MIT */
/*
 * smp_enc.c: the Security Manager's side of link encryption. Starting it
 * once pairing has a key (central: LE Enable Encryption, Core 5.4 Vol 4
 * Part E 7.8.24; peripheral: waiting for the LE Long Term Key Request,
 * 7.7.65.5, and answering with the Reply or Negative Reply, 7.8.25/26),
 * re-encryption with a bonded LTK (Vol 3 Part H 2.4.4), and the Encryption
 * Change that follows (Vol 4 Part E 7.7.8): key distribution starts
 * (smp_dist.c), a re-encryption completes, or a central whose peer lost
 * the bond pairs again. gap_conn.c sets the link's encrypted flag from the
 * event; the rest of the link's security state is set here.
 */
#include "smp.h"

#include <string.h>

#include "blehost/bh_hci.h"
#include "crypto/bh_crypto.h"
#include "gatts.h"
#include "hci/hci_spec.h"
#include "host_evt.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

/* ---- HCI: starting encryption ---------------------------------------------------------- */

static void smp_on_enable_encryption(void *ctx, int err, uint8_t status, const uint8_t *rp,
                                     uint16_t rp_len)
{
    struct bh_smp_link *l = bh_smp_link_by_handle((uint16_t)(uintptr_t)ctx);

    if (l == NULL || (err == 0 && status == 0)) {
        return;
    }
    BH_LOG_WRN("LE Enable Encryption failed: err %d status 0x%02x", err, status);
    if (l->state == BH_SMP_STATE_WAIT_ENCRYPTION) {
        bh_smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
    } else if (l->state == BH_SMP_STATE_ENCRYPTING) {
        bh_smp_set_state(l, BH_SMP_STATE_IDLE);
        bh_smp_emit_enc(l->conn);
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
int bh_smp_reencrypt(struct bh_smp_link *l, const struct bh_keys_bond *b)
{
    int err = smp_enable_encryption(l, b->peer_ltk, b->peer_ediv, b->peer_rand);

    if (err == 0) {
        bh_smp_set_state(l, BH_SMP_STATE_ENCRYPTING);
        l->reenc_auth = (b->flags & BH_KEYS_F_AUTH) != 0;
        l->key_size = b->key_size;
    }
    return err;
}

/* ---- controller events ------------------------------------------------------------------- */

void bh_smp_on_encryption_change(struct bh_conn *c, uint8_t status)
{
    struct bh_smp_link *l = bh_smp_link_of(c);
    uint8_t reason;

    if (l == NULL) {
        return;
    }
    /* gap_conn.c has set c->encrypted from the event; the rest is ours. */
    switch (l->state) {
    case BH_SMP_STATE_WAIT_ENCRYPTION:
        if (status != 0 || !c->encrypted) {
            bh_smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
            return;
        }
        c->key_size = l->key_size;
        c->authenticated = l->method != BH_SMP_METHOD_JUST_WORKS;
        c->bonded = false;
        reason = bh_smp_dist_start(l);
        if (reason != 0) {
            bh_smp_fail(l, reason, true);
        }
        return;
    case BH_SMP_STATE_ENCRYPTING:
        if (status == BH_HCI_ERR_PIN_OR_KEY_MISSING && c->role == BH_CONN_ROLE_CENTRAL) {
            /* The peer lost the bond: pair again; the new bond replaces the old. */
            BH_LOG_INF("conn 0x%04x: peer has no key for us, pairing again", c->handle);
            bh_smp_set_state(l, BH_SMP_STATE_IDLE);
            if (bh_smp_send_pairing_req(l) == 0) {
                return;
            }
        } else if (status == 0 && c->encrypted) {
            c->key_size = l->key_size;
            c->authenticated = l->reenc_auth;
            c->bonded = true;
            bh_smp_stats_mut()->reencryptions++;
        }
        bh_smp_set_state(l, BH_SMP_STATE_IDLE);
        bh_gatts_bond_sync(c); /* the peer is identified: its subscriptions resume */
        bh_smp_emit_enc(c);
        return;
    case BH_SMP_STATE_KEY_DIST:
        /* Vol 3 Part H 3.6.1: keys travel only on the link this pairing
         * encrypted. A failed refresh or encryption switched off ends it. */
        if (status != 0 || !c->encrypted) {
            bh_smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
        }
        return;
    case BH_SMP_STATE_IDLE:
        if (status == 0) {
            bh_smp_emit_enc(c); /* e.g. Key Refresh started by the peer */
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
    struct bh_smp_link *l = bh_smp_link_of(c);
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
            bh_smp_fail(l, BH_SMP_ERR_UNSPECIFIED_REASON, true);
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

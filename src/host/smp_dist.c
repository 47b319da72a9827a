/* SPDX-License-Identifier: MIT */
/*
 * smp_dist.c: phase 3 of pairing, key distribution (Core 5.4 Vol 3 Part H
 * 3.6), once the link is encrypted with the STK or LTK: our keys (LTK with
 * EDIV and Rand for legacy pairing, 3.6.2/3.6.3; IRK and identity address,
 * 3.6.4/3.6.5) in the order of 3.6.1, and the peer's key PDUs, each checked
 * against the order and the set agreed in the feature exchange. Signing keys
 * are never asked for (3.6.6). The bond is recorded by bh_smp_complete
 * (smp.c) once every key is in; the keys and their store belong to keys.c.
 */
#include "smp.h"

#include <string.h>

#include "blehost/bh_hci.h"
#include "crypto/bh_crypto.h"
#include "smp_spec.h"

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

/* Encrypted with the STK/LTK: the responder's keys first, then the initiator's. */
uint8_t bh_smp_dist_start(struct bh_smp_link *l)
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
    bh_smp_complete(l);
    return 0;
}

/* The peer key PDU `bit` arrived: in order, on the encrypted link (3.6.1)?
 * Then the next step once all are in. */
static uint8_t smp_key_check(const struct bh_smp_link *l, uint8_t bit)
{
    uint8_t next = (uint8_t)(l->dist_wait & -l->dist_wait);

    return l->state == BH_SMP_STATE_KEY_DIST && l->conn->encrypted && next == bit
               ? 0
               : BH_SMP_ERR_UNSPECIFIED_REASON;
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
    bh_smp_complete(l);
    return 0;
}

/* Encryption Information, Vol 3 Part H 3.6.2. */
uint8_t bh_smp_rx_encryption_info(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16];
    uint8_t reason = smp_key_check(l, BH_SMP_WAIT_ENC_INFO);

    if (reason != 0) {
        return reason;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(l->rx.peer_ltk, v, 16);
    memset(v, 0, sizeof(v));
    return smp_key_done(l, BH_SMP_WAIT_ENC_INFO);
}

/* Central Identification, Vol 3 Part H 3.6.3. */
uint8_t bh_smp_rx_central_ident(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t reason = smp_key_check(l, BH_SMP_WAIT_CENTRAL_IDENT);

    if (reason != 0) {
        return reason;
    }
    l->rx.peer_ediv = bh_rd_le16(r);
    bh_rd_copy(r, l->rx.peer_rand, 8);
    l->rx.flags |= BH_KEYS_F_PEER_LTK;
    return smp_key_done(l, BH_SMP_WAIT_CENTRAL_IDENT);
}

/* Identity Information, Vol 3 Part H 3.6.4. */
uint8_t bh_smp_rx_identity_info(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t v[16];
    uint8_t reason = smp_key_check(l, BH_SMP_WAIT_ID_INFO);

    if (reason != 0) {
        return reason;
    }
    bh_rd_copy(r, v, sizeof(v));
    bh_crypto_swap(l->rx.irk, v, 16);
    l->rx.flags |= BH_KEYS_F_IRK;
    return smp_key_done(l, BH_SMP_WAIT_ID_INFO);
}

/* Identity Address Information, Vol 3 Part H 3.6.5: public or static random. */
uint8_t bh_smp_rx_identity_addr_info(struct bh_smp_link *l, struct bh_rd *r)
{
    uint8_t type, addr[6];
    uint8_t reason = smp_key_check(l, BH_SMP_WAIT_ID_ADDR);

    if (reason != 0) {
        return reason;
    }
    type = bh_rd_u8(r);
    bh_rd_copy(r, addr, 6);
    /* 3.6.5: the distributing device's public or static random address
     * (Vol 6 Part B 1.3.2.1); any other (a resolvable or non-resolvable
     * private address, a reserved type) would be bonded as an identity it
     * is not. */
    if (type > 1 || (type == 1 && !bh_hci_addr_is_static(addr))) {
        return BH_SMP_ERR_INVALID_PARAMETERS;
    }
    l->rx.addr_type = type;
    memcpy(l->rx.addr, addr, 6);
    l->id_received = true;
    return smp_key_done(l, BH_SMP_WAIT_ID_ADDR);
}

/* Signing Information, Vol 3 Part H 3.6.6: we never ask for a CSRK. */
uint8_t bh_smp_rx_signing_info(struct bh_smp_link *l, struct bh_rd *r)
{
    return BH_SMP_ERR_UNSPECIFIED_REASON;
}

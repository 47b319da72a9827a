/* SPDX-License-Identifier: MIT */
/*
 * keys.h: bonds (the keys SMP exchanged with a peer, by the peer's
 * identity address), our IRK, and the CCCD subscriptions of bonded peers,
 * in a static table of BH_CONFIG_SMP_MAX_BONDS mirrored in the
 * application's secret store (API.md 2.6, IRQ 29/30). Owned by keys.c.
 *
 * Secret store records (the format is ours; see README-smp.md):
 *   type 1  BH_KEYS_TYPE_OUR    our keys for a peer (the LTK we distributed)
 *   type 2  BH_KEYS_TYPE_PEER   the peer's keys (its LTK, IRK) and the bond flags
 *   type 3  BH_KEYS_TYPE_CCCD   the peer's CCCD subscriptions (opaque, gatts')
 *   type 10 BH_KEYS_TYPE_OUR_IRK our IRK, key "irk"
 * Key of types 1-3: 7 octets, address type then the 6-octet identity address
 * little-endian. Values start with a version octet (BH_KEYS_VERSION).
 *
 * Addresses in this header are little-endian (as on the wire), keys
 * MSB-first (as bh_crypto). Host context only.
 */
#ifndef BH_HOST_KEYS_H
#define BH_HOST_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

#define BH_KEYS_TYPE_OUR 1
#define BH_KEYS_TYPE_PEER 2
#define BH_KEYS_TYPE_CCCD 3
#define BH_KEYS_TYPE_OUR_IRK 10
#define BH_KEYS_VERSION 1

/* bh_keys_bond.flags */
#define BH_KEYS_F_SC 0x01       /* LE Secure Connections LTK (EDIV = Rand = 0) */
#define BH_KEYS_F_AUTH 0x02     /* MITM-protected pairing */
#define BH_KEYS_F_OUR_LTK 0x04  /* our_ltk valid: used when we are peripheral */
#define BH_KEYS_F_PEER_LTK 0x08 /* peer_ltk valid: used when we are central */
#define BH_KEYS_F_IRK 0x10      /* irk valid: the peer uses resolvable private addresses */

struct bh_keys_bond {
    uint8_t addr_type; /* identity address: 0 public, 1 random static */
    uint8_t addr[6];
    uint8_t flags;
    uint8_t key_size;
    uint16_t our_ediv;
    uint8_t our_rand[8]; /* on-air order, as in the LTK Request event */
    uint8_t our_ltk[16];
    uint16_t peer_ediv;
    uint8_t peer_rand[8];
    uint8_t peer_ltk[16];
    uint8_t irk[16];
};

/* Empty the table (nothing is deleted from the store). Host init. */
void bh_keys_init(void);
/* Load the bonds (enumerating type 2, then type 1 by key) and our IRK
 * (generated and stored if missing) from the secret store: active(True).
 * Returns the number of bonds loaded. */
int bh_keys_load(void);

/* The bond for this identity address, or NULL. */
const struct bh_keys_bond *bh_keys_find(uint8_t addr_type, const uint8_t addr[6]);
/* The bond whose LTK we distributed with this EDIV and Rand, or NULL. */
const struct bh_keys_bond *bh_keys_find_ediv(uint16_t ediv, const uint8_t rand[8]);
/* The bond of the peer on c (by its identity address), or NULL. */
const struct bh_keys_bond *bh_keys_find_conn(const struct bh_conn *c);
/* Store a bond. An existing bond for the same address is deleted first
 * (the store sees SET(type, key, None) then SET(type, key, value)); a full
 * table drops the oldest bond. 0, -EIO (the store refused: the bond is
 * still kept in RAM for this session). */
int bh_keys_store(const struct bh_keys_bond *b);
/* Delete one bond (table and store): 0 or -ENOENT. */
int bh_keys_delete(uint8_t addr_type, const uint8_t addr[6]);
/* Delete every bond; returns how many there were. */
int bh_keys_delete_all(void);
/* Bonds in the table. */
unsigned bh_keys_count(void);

/* Our IRK (MSB-first), valid after bh_keys_load(). */
const uint8_t *bh_keys_own_irk(void);
/* Resolve a resolvable private address (little-endian) with the bonded
 * IRKs: true and the identity if one matches. */
bool bh_keys_resolve(const uint8_t rpa[6], uint8_t *id_type, uint8_t id_addr[6]);

/* CCCD subscriptions of a bonded peer, for the GATT server. blob is opaque
 * here (its format belongs to gatts); stored with a version octet in front.
 * store: 0, -ENOENT (peer not bonded), -EINVAL (len > 250), -EIO.
 * load: the blob length copied (0..cap), -ENOENT (not bonded or none
 * stored), -ENOSPC (cap too small). */
int bh_keys_cccd_store(const struct bh_conn *c, const uint8_t *blob, uint16_t len);
int bh_keys_cccd_load(const struct bh_conn *c, uint8_t *blob, uint16_t cap);

#endif /* BH_HOST_KEYS_H */

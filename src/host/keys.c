/* SPDX-License-Identifier: MIT */
/*
 * keys.c: the bond table and its mirror in the application's secret store
 * (API.md 2.6). Owns the record formats of secret types 1, 2, 3 and 10
 * (keys.h); SMP (smp.c) decides what to bond, the GATT server owns the
 * CCCD blob's contents. Resolvable private addresses are checked with
 * bh_crypto (Core 5.4 Vol 6 Part B 1.3.2.3).
 *
 * Value layout, version 1 (types 1 and 2; little-endian integers):
 *   [0] version  [1] address type  [2..7] address  [8] flags  [9] key size
 *   [10..11] EDIV  [12..19] Rand  [20..35] LTK (MSB-first)
 *   type 2 only: [36..51] IRK (MSB-first)
 * The address is repeated in the value so that enumeration (GET with no
 * key) finds it. Type 3: [0] version, then the gatts blob. Type 10:
 * [0] version, [1..16] IRK. A value of another version or size is ignored.
 */
#include "keys.h"

#include <errno.h>
#include <string.h>

#include "ble/ble_internal.h"
#include "crypto/bh_crypto.h"
#include "os/bh_assert.h"
#include "os/bh_rdwr.h"

#define BH_LOG_TAG "keys"
#include "os/bh_log.h"

#define KEYS_KEY_LEN 7
#define KEYS_OUR_LEN 36
#define KEYS_PEER_LEN 52
#define KEYS_CCCD_MAX 250
#define KEYS_ENUM_MAX 64 /* store entries looked at when loading */

struct keys_slot {
    bool used;
    uint32_t seq; /* age: the smallest is dropped when the table is full */
    struct bh_keys_bond bond;
};

struct keys_ctx {
    struct keys_slot slots[BH_CONFIG_SMP_MAX_BONDS];
    uint32_t seq;
    uint8_t irk[16];
};

static struct keys_ctx keys;

static const uint8_t keys_irk_key[3] = {'i', 'r', 'k'};

void bh_keys_init(void)
{
    memset(keys.slots, 0, sizeof(keys.slots));
    keys.seq = 0;
}

static void keys_key(uint8_t key[KEYS_KEY_LEN], uint8_t addr_type, const uint8_t addr[6])
{
    key[0] = addr_type;
    memcpy(&key[1], addr, 6);
}

/* Encode a type 1 (peer false) or type 2 (peer true) value; returns its length. */
static uint16_t keys_encode(const struct bh_keys_bond *b, bool peer, uint8_t *v)
{
    v[0] = BH_KEYS_VERSION;
    keys_key(&v[1], b->addr_type, b->addr);
    v[8] = b->flags;
    v[9] = b->key_size;
    bh_put_le16(&v[10], peer ? b->peer_ediv : b->our_ediv);
    memcpy(&v[12], peer ? b->peer_rand : b->our_rand, 8);
    memcpy(&v[20], peer ? b->peer_ltk : b->our_ltk, 16);
    if (!peer) {
        return KEYS_OUR_LEN;
    }
    memcpy(&v[36], b->irk, 16);
    return KEYS_PEER_LEN;
}

/* Decode a type 2 value into b (our half left empty). */
static bool keys_decode_peer(const uint8_t *v, size_t len, struct bh_keys_bond *b)
{
    if (len != KEYS_PEER_LEN || v[0] != BH_KEYS_VERSION || v[1] > 1) {
        return false;
    }
    memset(b, 0, sizeof(*b));
    b->addr_type = v[1];
    memcpy(b->addr, &v[2], 6);
    b->flags = v[8];
    b->key_size = v[9];
    b->peer_ediv = bh_get_le16(&v[10]);
    memcpy(b->peer_rand, &v[12], 8);
    memcpy(b->peer_ltk, &v[20], 16);
    memcpy(b->irk, &v[36], 16);
    b->flags &= (uint8_t)~BH_KEYS_F_OUR_LTK; /* set again from type 1 */
    return b->key_size >= 7 && b->key_size <= 16;
}

/* Merge a type 1 value (our LTK) into b if it belongs to the same peer. */
static void keys_decode_our(const uint8_t *v, size_t len, struct bh_keys_bond *b)
{
    if (len != KEYS_OUR_LEN || v[0] != BH_KEYS_VERSION || v[1] != b->addr_type ||
        memcmp(&v[2], b->addr, 6) != 0 || !(v[8] & BH_KEYS_F_OUR_LTK)) {
        return;
    }
    b->flags |= BH_KEYS_F_OUR_LTK;
    b->our_ediv = bh_get_le16(&v[10]);
    memcpy(b->our_rand, &v[12], 8);
    memcpy(b->our_ltk, &v[20], 16);
}

static struct keys_slot *keys_slot_find(uint8_t addr_type, const uint8_t addr[6])
{
    for (unsigned i = 0; i < BH_CONFIG_SMP_MAX_BONDS; i++) {
        struct keys_slot *s = &keys.slots[i];

        if (s->used && s->bond.addr_type == addr_type && memcmp(s->bond.addr, addr, 6) == 0) {
            return s;
        }
    }
    return NULL;
}

/* A free slot, or the oldest one (its bond is dropped from the store). */
static struct keys_slot *keys_slot_new(void)
{
    struct keys_slot *old = &keys.slots[0];

    for (unsigned i = 0; i < BH_CONFIG_SMP_MAX_BONDS; i++) {
        if (!keys.slots[i].used) {
            return &keys.slots[i];
        }
        if (keys.slots[i].seq < old->seq) {
            old = &keys.slots[i];
        }
    }
    BH_LOG_INF("bond table full: dropping the oldest bond");
    bh_keys_delete(old->bond.addr_type, old->bond.addr);
    return old;
}

static void keys_load_irk(void)
{
    const uint8_t *v;
    size_t len;
    uint8_t rec[17];

    if (bh_ble_secret_get(BH_KEYS_TYPE_OUR_IRK, 0, keys_irk_key, sizeof(keys_irk_key), &v, &len) &&
        len == sizeof(rec) && v[0] == BH_KEYS_VERSION) {
        memcpy(keys.irk, &v[1], 16);
        return;
    }
    if (bh_crypto_random(keys.irk, sizeof(keys.irk)) != 0) {
        BH_LOG_WRN("no entropy for our IRK");
    }
    rec[0] = BH_KEYS_VERSION;
    memcpy(&rec[1], keys.irk, 16);
    (void)bh_ble_secret_set(BH_KEYS_TYPE_OUR_IRK, keys_irk_key, sizeof(keys_irk_key), rec,
                            sizeof(rec));
}

int bh_keys_load(void)
{
    int n = 0;

    bh_keys_init();
    keys_load_irk();
    for (uint8_t i = 0; i < KEYS_ENUM_MAX && n < BH_CONFIG_SMP_MAX_BONDS; i++) {
        const uint8_t *v;
        size_t len;
        struct keys_slot *s = &keys.slots[n];
        uint8_t key[KEYS_KEY_LEN];

        if (!bh_ble_secret_get(BH_KEYS_TYPE_PEER, i, NULL, 0, &v, &len)) {
            break;
        }
        if (!keys_decode_peer(v, len, &s->bond) ||
            keys_slot_find(s->bond.addr_type, s->bond.addr) != NULL) {
            continue;
        }
        keys_key(key, s->bond.addr_type, s->bond.addr);
        if (bh_ble_secret_get(BH_KEYS_TYPE_OUR, 0, key, sizeof(key), &v, &len)) {
            keys_decode_our(v, len, &s->bond);
        }
        s->used = true;
        s->seq = ++keys.seq;
        n++;
    }
    BH_LOG_INF("%d bond(s) loaded", n);
    return n;
}

const struct bh_keys_bond *bh_keys_find(uint8_t addr_type, const uint8_t addr[6])
{
    struct keys_slot *s = keys_slot_find(addr_type, addr);

    return s != NULL ? &s->bond : NULL;
}

const struct bh_keys_bond *bh_keys_find_ediv(uint16_t ediv, const uint8_t rand[8])
{
    for (unsigned i = 0; i < BH_CONFIG_SMP_MAX_BONDS; i++) {
        const struct bh_keys_bond *b = &keys.slots[i].bond;

        if (keys.slots[i].used && (b->flags & BH_KEYS_F_OUR_LTK) && !(b->flags & BH_KEYS_F_SC) &&
            b->our_ediv == ediv && memcmp(b->our_rand, rand, 8) == 0) {
            return b;
        }
    }
    return NULL;
}

const struct bh_keys_bond *bh_keys_find_conn(const struct bh_conn *c)
{
    return bh_keys_find(c->id_addr_type & 1, c->id_addr);
}

/* Write both records of b; false if the store refused one. */
static bool keys_persist(const struct bh_keys_bond *b)
{
    uint8_t key[KEYS_KEY_LEN];
    uint8_t v[KEYS_PEER_LEN];
    uint16_t n;
    bool ok;

    keys_key(key, b->addr_type, b->addr);
    n = keys_encode(b, true, v);
    ok = bh_ble_secret_set(BH_KEYS_TYPE_PEER, key, sizeof(key), v, n);
    n = keys_encode(b, false, v);
    ok = bh_ble_secret_set(BH_KEYS_TYPE_OUR, key, sizeof(key), v, n) && ok;
    memset(v, 0, sizeof(v));
    return ok;
}

int bh_keys_store(const struct bh_keys_bond *b)
{
    struct keys_slot *s;

    if (bh_keys_find(b->addr_type, b->addr) != NULL) {
        BH_LOG_INF("replacing the bond of a peer that paired again");
        bh_keys_delete(b->addr_type, b->addr);
    }
    s = keys_slot_new();
    s->used = true;
    s->seq = ++keys.seq;
    s->bond = *b;
    return keys_persist(b) ? 0 : -EIO;
}

static void keys_unstore(const struct bh_keys_bond *b)
{
    uint8_t key[KEYS_KEY_LEN];

    keys_key(key, b->addr_type, b->addr);
    (void)bh_ble_secret_set(BH_KEYS_TYPE_OUR, key, sizeof(key), NULL, 0);
    (void)bh_ble_secret_set(BH_KEYS_TYPE_PEER, key, sizeof(key), NULL, 0);
    (void)bh_ble_secret_set(BH_KEYS_TYPE_CCCD, key, sizeof(key), NULL, 0);
}

/* Connections to this peer are no longer bonded. */
static void keys_unmark_conns(uint8_t addr_type, const uint8_t addr[6])
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct bh_conn *c = bh_conn_at(i);

        if (c != NULL && (c->id_addr_type & 1) == addr_type && memcmp(c->id_addr, addr, 6) == 0) {
            c->bonded = false;
        }
    }
}

int bh_keys_delete(uint8_t addr_type, const uint8_t addr[6])
{
    struct keys_slot *s = keys_slot_find(addr_type, addr);

    if (s == NULL) {
        return -ENOENT;
    }
    keys_unstore(&s->bond);
    keys_unmark_conns(addr_type, addr);
    memset(s, 0, sizeof(*s));
    return 0;
}

int bh_keys_delete_all(void)
{
    int n = 0;

    for (unsigned i = 0; i < BH_CONFIG_SMP_MAX_BONDS; i++) {
        if (keys.slots[i].used) {
            (void)bh_keys_delete(keys.slots[i].bond.addr_type, keys.slots[i].bond.addr);
            n++;
        }
    }
    return n;
}

unsigned bh_keys_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < BH_CONFIG_SMP_MAX_BONDS; i++) {
        n += keys.slots[i].used ? 1u : 0u;
    }
    return n;
}

const uint8_t *bh_keys_own_irk(void)
{
    return keys.irk;
}

bool bh_keys_resolve(const uint8_t rpa[6], uint8_t *id_type, uint8_t id_addr[6])
{
    uint8_t msb[6];

    bh_crypto_swap(msb, rpa, 6);
    for (unsigned i = 0; i < BH_CONFIG_SMP_MAX_BONDS; i++) {
        const struct bh_keys_bond *b = &keys.slots[i].bond;

        if (keys.slots[i].used && (b->flags & BH_KEYS_F_IRK) &&
            bh_crypto_rpa_matches(b->irk, msb)) {
            *id_type = b->addr_type;
            memcpy(id_addr, b->addr, 6);
            return true;
        }
    }
    return false;
}

int bh_keys_cccd_store(const struct bh_conn *c, const uint8_t *blob, uint16_t len)
{
    const struct bh_keys_bond *b = bh_keys_find_conn(c);
    uint8_t key[KEYS_KEY_LEN];
    uint8_t v[1 + KEYS_CCCD_MAX];

    if (b == NULL) {
        return -ENOENT;
    }
    if (len > KEYS_CCCD_MAX || (len > 0 && blob == NULL)) {
        return -EINVAL;
    }
    keys_key(key, b->addr_type, b->addr);
    v[0] = BH_KEYS_VERSION;
    if (len > 0) {
        memcpy(&v[1], blob, len);
    }
    return bh_ble_secret_set(BH_KEYS_TYPE_CCCD, key, sizeof(key), v, 1u + len) ? 0 : -EIO;
}

int bh_keys_cccd_load(const struct bh_conn *c, uint8_t *blob, uint16_t cap)
{
    const struct bh_keys_bond *b = bh_keys_find_conn(c);
    uint8_t key[KEYS_KEY_LEN];
    const uint8_t *v;
    size_t len;

    if (b == NULL) {
        return -ENOENT;
    }
    keys_key(key, b->addr_type, b->addr);
    if (!bh_ble_secret_get(BH_KEYS_TYPE_CCCD, 0, key, sizeof(key), &v, &len) || len < 1 ||
        v[0] != BH_KEYS_VERSION) {
        return -ENOENT;
    }
    if (len - 1 > cap) {
        return -ENOSPC;
    }
    if (len > 1) {
        memcpy(blob, &v[1], len - 1);
    }
    return (int)(len - 1);
}

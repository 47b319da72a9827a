/* SPDX-License-Identifier: MIT */
/*
 * gatts_cccd.c: Client Characteristic Configuration descriptors as the
 * client writes them and as they persist (Core 5.4 Vol 3 Part G 3.3.3.3):
 * the check of a written value against the characteristic's properties,
 * the write itself (Write Request and Execute Write, through gatts_write.c),
 * and the subscriptions of bonded peers: saved in the secret store (keys.c)
 * when a bonded peer changes one, restored and merged when a link becomes
 * bonded (bh_gatts_bond_sync, called by smp.c). gatts.c holds each link's
 * CCCD bits; notifications and indications read them there.
 */
#include "gatts_internal.h"

#include <string.h>

#include "att_spec.h"
#include "keys.h"

#define BH_LOG_TAG "gatts"
#include "os/bh_log.h"

/* ---- subscriptions of bonded peers, Core 5.4 Vol 3 Part G 3.3.3.3 ----------
 *
 * "The Client Characteristic Configuration descriptor value shall persist
 * across connections for bonded devices." We keep them in the secret store
 * through keys.c (type 3, keyed by the peer's identity address; keys.c puts
 * its own version octet in front). The blob below is ours:
 *   [0]  GATTS_BLOB_VERSION (1)
 *   then one entry per CCCD whose value is not zero, in handle order:
 *        handle (LE16), CCCD value (LE16: 0x0001 notify, 0x0002 indicate)
 * At most GATTS_BLOB_PAIRS entries (1 + 4 * 62 = 249 octets, within the 250
 * keys.c accepts); further subscriptions stay per connection only.
 * Saved when a bonded peer changes a CCCD and when a link becomes bonded;
 * restored when a link becomes bonded (pairing that bonds, or encryption
 * with the stored bond: bh_gatts_bond_sync, called by smp.c). */
#define GATTS_BLOB_VERSION 1
#define GATTS_BLOB_PAIRS 62
#define GATTS_BLOB_MAX (1 + 4 * GATTS_BLOB_PAIRS)

/* Encode c's non-zero CCCDs; returns the blob length. */
static uint16_t cccd_encode(const struct bh_conn *c, uint8_t blob[GATTS_BLOB_MAX])
{
    uint16_t n = 1;
    uint16_t last = bh_gatts_db_last_handle();

    blob[0] = GATTS_BLOB_VERSION;
    for (uint16_t h = 1; h <= last && n + 4 <= GATTS_BLOB_MAX; h++) {
        const struct bh_gatts_attr *a = bh_gatts_db_attr(h);
        uint16_t v = bh_gatts_cccd(c, h);

        if (a == NULL || a->kind != BH_GATTS_KIND_CCCD || v == 0) {
            continue;
        }
        bh_put_le16(&blob[n], h);
        bh_put_le16(&blob[n + 2], v);
        n = (uint16_t)(n + 4);
    }
    return n;
}

/* Save c's subscriptions if its peer is bonded. */
static void cccd_persist(const struct bh_conn *c)
{
    uint8_t blob[GATTS_BLOB_MAX];
    uint16_t n;
    int err;

    if (!c->bonded) {
        return;
    }
    n = cccd_encode(c, blob);
    err = bh_keys_cccd_store(c, blob, n);
    if (err != 0) {
        bh_gatts_stats_mut()->cccd_store_failed++;
        BH_LOG_WRN("conn 0x%04x: subscriptions not saved (%d)", c->handle, err);
    }
}

/* Apply a stored blob to c: a CCCD the peer already wrote on this link keeps
 * its value; entries that no longer match the database (not a CCCD, or bits
 * the characteristic does not support) are skipped and counted. */
static void cccd_restore(struct bh_conn *c, const uint8_t *blob, uint16_t len)
{
    struct bh_rd r = {.p = blob, .left = len};
    unsigned applied = 0;

    if (bh_rd_u8(&r) != GATTS_BLOB_VERSION || r.err || r.left % 4 != 0) {
        bh_gatts_stats_mut()->cccd_restore_bad++;
        return; /* unknown layout: bh_gatts_bond_sync replaces it */
    }
    while (r.left >= 4) {
        uint16_t h = bh_rd_le16(&r);
        uint8_t v[2];
        uint16_t bits;
        const struct bh_gatts_attr *a = bh_gatts_db_attr(h);

        bh_rd_copy(&r, v, 2);
        bits = bh_get_le16(v);
        if (a == NULL || a->kind != BH_GATTS_KIND_CCCD || bits == 0 ||
            (bits & ~(BH_GATT_CCCD_NOTIFY | BH_GATT_CCCD_INDICATE)) != 0 ||
            bh_gatts_cccd_check(h, v, 2) != 0) {
            bh_gatts_stats_mut()->cccd_restore_bad++;
            continue;
        }
        if (bh_gatts_cccd(c, h) == 0) {
            bh_gatts_cccd_set(c, h, bits);
            applied++;
        }
    }
    bh_gatts_stats_mut()->cccd_restored += applied;
    BH_LOG_INF("conn 0x%04x: %u subscription(s) restored", c->handle, applied);
}

void bh_gatts_bond_sync(struct bh_conn *c)
{
    uint8_t stored[GATTS_BLOB_MAX];
    uint8_t now[GATTS_BLOB_MAX];
    int n;
    uint16_t len;

    if (c == NULL || !c->bonded || c->state != BH_CONN_STATE_CONNECTED) {
        return;
    }
    n = bh_keys_cccd_load(c, stored, sizeof(stored));
    if (n > 0) {
        cccd_restore(c, stored, (uint16_t)n);
    }
    len = cccd_encode(c, now);
    if ((n > 0 && (uint16_t)n == len && memcmp(stored, now, len) == 0) || (n <= 0 && len == 1)) {
        return; /* the store already says what the link has */
    }
    cccd_persist(c);
}

/* ---- CCCD values written by the client -------------------------------------- */

/* Check a CCCD value against what its characteristic supports. */
uint8_t bh_gatts_cccd_check(uint16_t handle, const uint8_t *v, uint16_t len)
{
    const struct bh_gatts_attr *chr = bh_gatts_db_attr((uint16_t)(handle - 1));
    uint16_t bits;

    if (len != 2) {
        return BH_ATT_ERR_INVALID_ATTRIBUTE_VALUE_LENGTH;
    }
    bits = bh_get_le16(v);
    if (((bits & BH_GATT_CCCD_NOTIFY) != 0 && (chr->flags & BH_FLAG_NOTIFY) == 0) ||
        ((bits & BH_GATT_CCCD_INDICATE) != 0 && (chr->flags & BH_FLAG_INDICATE) == 0)) {
        return BH_ATT_ERR_CCCD_IMPROPERLY_CONFIGURED;
    }
    return 0;
}

/* The client wrote a CCCD: saved for a bonded peer when the bits change. */
uint8_t bh_gatts_cccd_write(struct bh_conn *c, uint16_t handle, const uint8_t *v, uint16_t len)
{
    uint16_t was = bh_gatts_cccd(c, handle);
    uint16_t bits;
    uint8_t err;

    err = bh_gatts_cccd_check(handle, v, len);
    if (err != 0) {
        return err;
    }
    bits = bh_get_le16(v) & (BH_GATT_CCCD_NOTIFY | BH_GATT_CCCD_INDICATE);
    bh_gatts_cccd_set(c, handle, bits);
    if (bits != was) {
        cccd_persist(c);
    }
    return 0;
}

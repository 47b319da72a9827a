/* SPDX-License-Identifier: MIT */
/*
 * gatts_db.c: the local attribute database and the value store of the GATT
 * server.
 *
 * Layout (Core 5.4 Vol 3 Part G 3.1-3.3, API.md 1.3): per service a primary
 * service declaration, then per characteristic its declaration, its value,
 * a CCCD (0x2902) right after the value when it can notify or indicate, and
 * its user descriptors. Handles are array index + 1, so lookups are O(1).
 * GAP (0x1800) and GATT (0x1801) always come first (bh_gatts_reset()).
 *
 * Value store (API.md 1.5): every user characteristic value and descriptor
 * has an entry {offset, capacity (default 20), length, append} whose bytes
 * live in one static pool of BH_CONFIG_GATTS_VALUE_POOL bytes. Allocation is
 * a bump pointer; when a capacity grows (local write, set_buffer) the old
 * region is abandoned, and when the pool end is reached the live regions
 * are compacted to the front before giving up with -ENOMEM. A reset
 * (re-registration) starts the pool empty.
 *
 * Permissions are gatts.c's, CCCDs gatts_cccd.c's, the ATT handlers
 * gatts_read.c's and gatts_write.c's; the Device Name
 * itself is gap's (bh_gap_name / bh_gap_set_name).
 */
#include "gatts.h"

#include <errno.h>
#include <string.h>

#include "att_spec.h"
#include "gap.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "gatts"
#include "os/bh_log.h"

_Static_assert(BH_CONFIG_GATTS_VALUE_POOL <= 0xFFFF, "value pool offsets are 16-bit");
_Static_assert(BH_CONFIG_GATTS_MAX_ATTRS >= 16 && BH_CONFIG_GATTS_MAX_ATTRS < 0xFFFF,
               "GATT database size");

#define GATTS_DEFAULT_CAP 20 /* MP_BLUETOOTH_DEFAULT_ATTR_LEN, API.md 1.5 */

static struct {
    struct bh_gatts_attr attrs[BH_CONFIG_GATTS_MAX_ATTRS];
    uint16_t count;     /* attributes in use; the last handle */
    uint16_t pool_used; /* bump pointer into pool */
    uint16_t sc_handle; /* Service Changed value */
    uint8_t pool[BH_CONFIG_GATTS_VALUE_POOL];
} gdb;

/* Bluetooth Base UUID, little-endian, Core 5.4 Vol 3 Part B 2.5.1 */
static const uint8_t gatts_base_uuid[16] = {0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80,
                                            0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static bool attr_has_entry(const struct bh_gatts_attr *a)
{
    return (a->kind == BH_GATTS_KIND_VALUE || a->kind == BH_GATTS_KIND_DESC) &&
           a->special == BH_GATTS_SPECIAL_NONE;
}

static struct bh_gatts_attr *attr_mut(uint16_t handle)
{
    if (handle == 0 || handle > gdb.count) {
        return NULL;
    }
    return &gdb.attrs[handle - 1];
}

static struct bh_gatts_attr *entry_mut(uint16_t handle)
{
    struct bh_gatts_attr *a = attr_mut(handle);

    return (a != NULL && attr_has_entry(a)) ? a : NULL;
}

/* ---- value pool ------------------------------------------------------------- */

/* Slide every live region to the front, in offset order. */
static void pool_compact(void)
{
    uint16_t cursor = 0;

    for (;;) {
        struct bh_gatts_attr *next = NULL;

        for (uint16_t i = 0; i < gdb.count; i++) {
            struct bh_gatts_attr *a = &gdb.attrs[i];
            if (attr_has_entry(a) && a->val_cap != 0 && a->val_off >= cursor &&
                (next == NULL || a->val_off < next->val_off)) {
                next = a;
            }
        }
        if (next == NULL) {
            break;
        }
        memmove(&gdb.pool[cursor], &gdb.pool[next->val_off], next->val_len);
        next->val_off = cursor;
        cursor = (uint16_t)(cursor + next->val_cap);
    }
    gdb.pool_used = cursor;
}

/* Give a a fresh region of cap bytes; its old bytes are not kept. On
 * -ENOMEM the entry is left as it was. */
static int pool_alloc(struct bh_gatts_attr *a, size_t cap)
{
    if (cap > sizeof(gdb.pool)) {
        return -ENOMEM;
    }
    if (gdb.pool_used + cap > sizeof(gdb.pool)) {
        pool_compact();
        if (gdb.pool_used + cap > sizeof(gdb.pool)) {
            return -ENOMEM;
        }
    }
    a->val_off = gdb.pool_used;
    a->val_cap = (uint16_t)cap;
    a->val_len = 0;
    gdb.pool_used = (uint16_t)(gdb.pool_used + cap);
    return 0;
}

/* ---- building --------------------------------------------------------------- */

static void uuid_store(struct bh_gatts_attr *a, const uint8_t *uuid, uint8_t len)
{
    /* A 32-bit UUID cannot appear in ATT PDUs: keep its 128-bit form
     * (Core 5.4 Vol 3 Part G 3.3.1, Part B 2.5.1). */
    if (len == 4) {
        memcpy(a->uuid, gatts_base_uuid, 12);
        memcpy(&a->uuid[12], uuid, 4);
        a->uuid_len = 16;
        return;
    }
    memcpy(a->uuid, uuid, len);
    a->uuid_len = len;
}

static struct bh_gatts_attr *db_add(uint8_t kind, const uint8_t *uuid, uint8_t uuid_len,
                                    uint16_t flags)
{
    struct bh_gatts_attr *a;

    if (gdb.count >= BH_CONFIG_GATTS_MAX_ATTRS) {
        return NULL;
    }
    a = &gdb.attrs[gdb.count++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->flags = flags;
    if (uuid != NULL) {
        uuid_store(a, uuid, uuid_len);
    }
    return a;
}

static bool db_add16(uint8_t kind, uint16_t uuid16, uint16_t flags, uint8_t special)
{
    uint8_t u[2] = {(uint8_t)uuid16, (uint8_t)(uuid16 >> 8)};
    struct bh_gatts_attr *a = db_add(kind, u, 2, flags);

    if (a != NULL) {
        a->special = special;
    }
    return a != NULL;
}

static bool uuid_valid(const struct bh_uuid *u)
{
    return u != NULL && (u->type == 2 || u->type == 4 || u->type == 16);
}

/* A user value or descriptor with its store entry. */
static struct bh_gatts_attr *db_add_entry(uint8_t kind, const struct bh_uuid *u, uint16_t flags)
{
    struct bh_gatts_attr *a = db_add(kind, u->data, u->type, flags);

    if (a == NULL || pool_alloc(a, GATTS_DEFAULT_CAP) != 0) {
        return NULL;
    }
    return a;
}

int bh_gatts_reset(void)
{
    bool ok = true;

    memset(&gdb, 0, sizeof(gdb));
    /* GAP service, Core 5.4 Vol 3 Part C 12 */
    ok = ok && db_add16(BH_GATTS_KIND_SERVICE, BH_GATT_UUID_GAP_SERVICE, 0, 0);
    ok = ok && db_add16(BH_GATTS_KIND_CHR_DECL, BH_GATT_UUID_DEVICE_NAME,
                        BH_FLAG_READ | BH_FLAG_WRITE, 0);
    ok = ok && db_add16(BH_GATTS_KIND_VALUE, BH_GATT_UUID_DEVICE_NAME, BH_FLAG_READ | BH_FLAG_WRITE,
                        BH_GATTS_SPECIAL_NAME);
    ok = ok && db_add16(BH_GATTS_KIND_CHR_DECL, BH_GATT_UUID_APPEARANCE, BH_FLAG_READ, 0);
    ok = ok && db_add16(BH_GATTS_KIND_VALUE, BH_GATT_UUID_APPEARANCE, BH_FLAG_READ,
                        BH_GATTS_SPECIAL_APPEARANCE);
    /* GATT service, Core 5.4 Vol 3 Part G 7 */
    ok = ok && db_add16(BH_GATTS_KIND_SERVICE, BH_GATT_UUID_GATT_SERVICE, 0, 0);
    ok = ok && db_add16(BH_GATTS_KIND_CHR_DECL, BH_GATT_UUID_SERVICE_CHANGED, BH_FLAG_INDICATE, 0);
    ok = ok && db_add16(BH_GATTS_KIND_VALUE, BH_GATT_UUID_SERVICE_CHANGED, BH_FLAG_INDICATE,
                        BH_GATTS_SPECIAL_SC);
    gdb.sc_handle = gdb.count;
    ok = ok && db_add16(BH_GATTS_KIND_CCCD, BH_GATT_UUID_CCCD, BH_FLAG_READ | BH_FLAG_WRITE, 0);
    bh_gatts_cccd_reset();
    return ok ? 0 : -ENOMEM;
}

static int db_add_chr(const struct bh_uuid *u, uint16_t flags, const struct bh_uuid **dsc_uuids,
                      const uint16_t *dsc_flags, size_t n_dsc, uint16_t **handles)
{
    if (!uuid_valid(u) || db_add(BH_GATTS_KIND_CHR_DECL, u->data, u->type, flags) == NULL ||
        db_add_entry(BH_GATTS_KIND_VALUE, u, flags) == NULL) {
        return uuid_valid(u) ? -ENOMEM : -EINVAL;
    }
    *(*handles)++ = gdb.count;
    if ((flags & (BH_FLAG_NOTIFY | BH_FLAG_INDICATE)) != 0 &&
        !db_add16(BH_GATTS_KIND_CCCD, BH_GATT_UUID_CCCD, BH_FLAG_READ | BH_FLAG_WRITE, 0)) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_dsc; i++) {
        if (!uuid_valid(dsc_uuids[i])) {
            return -EINVAL;
        }
        if (db_add_entry(BH_GATTS_KIND_DESC, dsc_uuids[i], dsc_flags[i]) == NULL) {
            return -ENOMEM;
        }
        *(*handles)++ = gdb.count;
    }
    return 0;
}

int bh_gatts_db_add_service(const struct bh_uuid *svc, const struct bh_uuid **chr_uuids,
                            const uint16_t *chr_flags, const struct bh_uuid **dsc_uuids,
                            const uint16_t *dsc_flags, const uint8_t *n_dsc_per_chr,
                            uint16_t *handles, size_t n_chr)
{
    uint16_t count0 = gdb.count, pool0 = gdb.pool_used;
    size_t dsc = 0;
    int err = 0;

    if (!uuid_valid(svc) ||
        (n_chr != 0 && (chr_uuids == NULL || chr_flags == NULL || handles == NULL))) {
        return -EINVAL;
    }
    if (db_add(BH_GATTS_KIND_SERVICE, svc->data, svc->type, 0) == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_chr && err == 0; i++) {
        size_t n = n_dsc_per_chr != NULL ? n_dsc_per_chr[i] : 0;
        if (n != 0 && (dsc_uuids == NULL || dsc_flags == NULL)) {
            err = -EINVAL;
            break;
        }
        err = db_add_chr(chr_uuids[i], chr_flags[i], dsc_uuids != NULL ? &dsc_uuids[dsc] : NULL,
                         dsc_flags != NULL ? &dsc_flags[dsc] : NULL, n, &handles);
        dsc += n;
    }
    if (err != 0) {
        gdb.count = count0; /* roll back: the database is as before the call */
        gdb.pool_used = pool0;
        BH_LOG_WRN("register service failed: %d", err);
    }
    return err;
}

/* ---- lookups ---------------------------------------------------------------- */

uint16_t bh_gatts_db_last_handle(void)
{
    return gdb.count;
}

const struct bh_gatts_attr *bh_gatts_db_attr(uint16_t handle)
{
    return attr_mut(handle);
}

uint16_t bh_gatts_db_sc_handle(void)
{
    return gdb.sc_handle;
}

uint8_t bh_gatts_db_type(uint16_t handle, uint8_t out[16])
{
    const struct bh_gatts_attr *a = attr_mut(handle);
    uint16_t t;

    BH_ASSERT(a != NULL);
    switch (a->kind) {
    case BH_GATTS_KIND_SERVICE:
        t = BH_GATT_UUID_PRIMARY_SERVICE;
        break;
    case BH_GATTS_KIND_CHR_DECL:
        t = BH_GATT_UUID_CHARACTERISTIC;
        break;
    case BH_GATTS_KIND_CCCD:
        t = BH_GATT_UUID_CCCD;
        break;
    default:
        memcpy(out, a->uuid, a->uuid_len);
        return a->uuid_len;
    }
    bh_put_le16(out, t);
    return 2;
}

uint16_t bh_gatts_db_group_end(uint16_t handle)
{
    uint16_t h = handle;

    while (h < gdb.count && gdb.attrs[h].kind != BH_GATTS_KIND_SERVICE) {
        h++; /* attrs[h] is handle h + 1 */
    }
    return h;
}

uint16_t bh_gatts_db_value(uint16_t handle, const uint8_t **p, uint8_t *scratch)
{
    const struct bh_gatts_attr *a = attr_mut(handle);
    size_t n;

    BH_ASSERT(a != NULL);
    *p = scratch;
    switch (a->kind) {
    case BH_GATTS_KIND_SERVICE:
        *p = a->uuid;
        return a->uuid_len;
    case BH_GATTS_KIND_CHR_DECL: /* Core 5.4 Vol 3 Part G 3.3.1 Table 3.4 */
        scratch[0] = (uint8_t)a->flags;
        bh_put_le16(&scratch[1], (uint16_t)(handle + 1));
        memcpy(&scratch[3], a->uuid, a->uuid_len);
        return (uint16_t)(3 + a->uuid_len);
    case BH_GATTS_KIND_CCCD:
        return 0;
    default:
        break;
    }
    switch (a->special) {
    case BH_GATTS_SPECIAL_NAME:
        n = bh_gap_name(p);
        return (uint16_t)BH_MIN(n, (size_t)0xFFFF);
    case BH_GATTS_SPECIAL_APPEARANCE: /* Generic Unknown, Assigned Numbers 2.6 */
        bh_put_le16(scratch, 0x0000);
        return 2;
    case BH_GATTS_SPECIAL_SC: /* Core 5.4 Vol 3 Part G 7.1: affected handle range */
        bh_put_le16(&scratch[0], 0x0001);
        bh_put_le16(&scratch[2], 0xFFFF);
        return 4;
    default:
        *p = &gdb.pool[a->val_off];
        return a->val_len;
    }
}

/* ---- value store ------------------------------------------------------------ */

int bh_gatts_store_write(uint16_t handle, const uint8_t *v, size_t len)
{
    struct bh_gatts_attr *a = entry_mut(handle);
    int err;

    if (a == NULL) {
        return -EINVAL;
    }
    if (len > a->val_cap) {
        err = pool_alloc(a, len); /* grow: a local write raises the capacity */
        if (err != 0) {
            return err;
        }
    }
    if (len != 0) {
        memmove(&gdb.pool[a->val_off], v, len);
    }
    a->val_len = (uint16_t)len;
    return 0;
}

int bh_gatts_store_remote_write(uint16_t handle, const uint8_t *v, size_t len)
{
    struct bh_gatts_attr *a = entry_mut(handle);
    size_t n;

    if (a == NULL) {
        return -EINVAL;
    }
    if (a->append) {
        n = BH_MIN(len, (size_t)(a->val_cap - a->val_len));
        memcpy(&gdb.pool[a->val_off + a->val_len], v, n);
        a->val_len = (uint16_t)(a->val_len + n);
        return 0;
    }
    n = BH_MIN(len, (size_t)a->val_cap);
    if (n != 0) {
        memcpy(&gdb.pool[a->val_off], v, n);
    }
    a->val_len = (uint16_t)n;
    return 0;
}

int bh_gatts_store_write_at(uint16_t handle, uint16_t offset, const uint8_t *v, uint16_t len)
{
    struct bh_gatts_attr *a = entry_mut(handle);

    if (a == NULL || offset > a->val_cap || len > a->val_cap - offset) {
        return -EINVAL;
    }
    if (a->append) {
        return bh_gatts_store_remote_write(handle, v, len);
    }
    if (len != 0) {
        memcpy(&gdb.pool[a->val_off + offset], v, len);
    }
    a->val_len = (uint16_t)(offset + len);
    return 0;
}

int bh_gatts_store_read(uint16_t handle, const uint8_t **v, size_t *len)
{
    struct bh_gatts_attr *a = entry_mut(handle);

    if (a == NULL) {
        return -EINVAL;
    }
    *v = &gdb.pool[a->val_off];
    *len = a->val_len;
    if (a->append) {
        a->val_len = 0; /* API.md 1.3 gatts_set_buffer: a read drains */
    }
    return 0;
}

int bh_gatts_store_set_buffer(uint16_t handle, size_t len, bool append)
{
    struct bh_gatts_attr *a = entry_mut(handle);
    int err;

    if (a == NULL) {
        return -EINVAL;
    }
    err = pool_alloc(a, len);
    if (err != 0) {
        return err;
    }
    a->append = append;
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * gatts.c: the GATT server's side of ATT (Core 5.4 Vol 3 Part F 3.4 and
 * Part G 4): one handler per request PDU, called from att.c's dispatch
 * table (att.c parses nothing of a server request but its opcode, owns the
 * response buffer and sends the response or Error Response these handlers
 * choose); the per-connection CCCDs; the Prepare Write queue; notifications
 * and indications with their one-at-a-time rule.
 *
 * Permissions come from the API flags (API.md 1.1): READ / WRITE /
 * WRITE_NO_RESPONSE, and READ_/WRITE_ ENCRYPTED / AUTHENTICATED checked
 * against struct bh_conn (encrypted, authenticated). AUTHORIZED flags are
 * accepted (the read-request hook, IRQ 4, is the application's authorisation
 * point), as NimBLE does.
 *
 * Choices: the Prepare Write queue is one buffer of
 * BH_CONFIG_GATTS_PREP_WRITE_MAX bytes owned by one link at a time (another
 * link gets Prepare Queue Full until the owner executes, cancels or
 * disconnects), to keep static RAM small. Indications: one outstanding per
 * link (Vol 3 Part F 3.4.7.2); indications of the stored value are queued
 * (BH_GATTS_IND_QUEUE per link, sent as each confirmation arrives) and one
 * with a caller value is refused with -EBUSY while another is outstanding.
 */
#include "gatts.h"

#include <errno.h>
#include <string.h>

#include "att.h"
#include "att_spec.h"
#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "gap.h"
#include "keys.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "gatts"
#include "os/bh_log.h"

#define GATTS_CCCD_BYTES ((BH_CONFIG_GATTS_MAX_ATTRS * 2 + 7) / 8)

struct gatts_conn {
    struct bh_conn *conn;           /* NULL: slot unused */
    uint8_t cccd[GATTS_CCCD_BYTES]; /* 2 bits per attribute index */
    uint16_t ind_handle;            /* indication awaiting confirmation, 0: none */
    uint16_t ind_queue[BH_GATTS_IND_QUEUE];
    uint8_t ind_queued;
};

static struct {
    struct gatts_conn conns[BH_CONFIG_MAX_CONN];
    struct bh_work ind_work; /* retry queued indications once a buffer frees */
    struct bh_conn *prep_owner;
    uint16_t prep_used;
    uint8_t prep[BH_CONFIG_GATTS_PREP_WRITE_MAX];
    struct bh_gatts_stats stats;
} gs;

/* Bluetooth Base UUID, little-endian, Core 5.4 Vol 3 Part B 2.5.1 */
static const uint8_t gatts_base[12] = {0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00,
                                       0x00, 0x80, 0x00, 0x10, 0x00, 0x00};

static struct gatts_conn *gconn(const struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);

    BH_ASSERT(i < BH_CONFIG_MAX_CONN);
    return &gs.conns[i];
}

/* ---- CCCDs ------------------------------------------------------------------ */

uint16_t bh_gatts_cccd(const struct bh_conn *c, uint16_t cccd_handle)
{
    unsigned bit = (unsigned)(cccd_handle - 1) * 2;

    if (cccd_handle == 0 || cccd_handle > BH_CONFIG_GATTS_MAX_ATTRS) {
        return 0;
    }
    return (uint16_t)((gconn(c)->cccd[bit / 8] >> (bit % 8)) & 0x3);
}

static void cccd_set(struct bh_conn *c, uint16_t cccd_handle, uint16_t v)
{
    unsigned bit = (unsigned)(cccd_handle - 1) * 2;
    uint8_t *p = &gconn(c)->cccd[bit / 8];

    *p = (uint8_t)((*p & ~(0x3u << (bit % 8))) | ((v & 0x3u) << (bit % 8)));
}

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

static uint8_t cccd_check(uint16_t handle, const uint8_t *v, uint16_t len);

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
        gs.stats.cccd_store_failed++;
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
        gs.stats.cccd_restore_bad++;
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
            cccd_check(h, v, 2) != 0) {
            gs.stats.cccd_restore_bad++;
            continue;
        }
        if (bh_gatts_cccd(c, h) == 0) {
            cccd_set(c, h, bits);
            applied++;
        }
    }
    gs.stats.cccd_restored += applied;
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

/* ---- access checks ---------------------------------------------------------- */

/* Security of the link against the flags, Core 5.4 Vol 3 Part C 10.3. */
static uint8_t check_security(const struct bh_conn *c, uint16_t flags, uint16_t enc_flag,
                              uint16_t authn_flag)
{
    if ((flags & authn_flag) != 0 && !c->authenticated) {
        return BH_ATT_ERR_INSUFFICIENT_AUTHENTICATION;
    }
    if ((flags & enc_flag) != 0 && !c->encrypted) {
        return BH_ATT_ERR_INSUFFICIENT_ENCRYPTION;
    }
    return 0;
}

static uint8_t check_read(const struct bh_conn *c, const struct bh_gatts_attr *a)
{
    if (a->kind == BH_GATTS_KIND_SERVICE || a->kind == BH_GATTS_KIND_CHR_DECL ||
        a->kind == BH_GATTS_KIND_CCCD) {
        return 0;
    }
    if ((a->flags & BH_FLAG_READ) == 0) {
        return BH_ATT_ERR_READ_NOT_PERMITTED;
    }
    return check_security(c, a->flags, BH_FLAG_READ_ENCRYPTED, BH_FLAG_READ_AUTHENTICATED);
}

static uint8_t check_write(const struct bh_conn *c, const struct bh_gatts_attr *a)
{
    if (a->kind == BH_GATTS_KIND_CCCD) {
        return 0;
    }
    if (a->kind == BH_GATTS_KIND_SERVICE || a->kind == BH_GATTS_KIND_CHR_DECL ||
        (a->flags & (BH_FLAG_WRITE | BH_FLAG_WRITE_NO_RESPONSE)) == 0) {
        return BH_ATT_ERR_WRITE_NOT_PERMITTED;
    }
    return check_security(c, a->flags, BH_FLAG_WRITE_ENCRYPTED, BH_FLAG_WRITE_AUTHENTICATED);
}

static bool is_user_value(const struct bh_gatts_attr *a)
{
    return (a->kind == BH_GATTS_KIND_VALUE || a->kind == BH_GATTS_KIND_DESC) &&
           a->special == BH_GATTS_SPECIAL_NONE;
}

/* The value as stored, no checks: CCCDs come from this connection. */
static uint16_t raw_value(struct bh_conn *c, uint16_t handle, const uint8_t **p, uint8_t *scratch)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);

    if (a->kind == BH_GATTS_KIND_CCCD) {
        bh_put_le16(scratch, bh_gatts_cccd(c, handle));
        *p = scratch;
        return 2;
    }
    return bh_gatts_db_value(handle, p, scratch);
}

/* Permission, security and the application's read-request hook (IRQ 4,
 * API.md 1.4), then the value. Returns 0 or an ATT error code. */
static uint8_t read_checked(struct bh_conn *c, uint16_t handle, const uint8_t **p, uint16_t *len,
                            uint8_t *scratch)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);
    uint8_t err = check_read(c, a);

    if (err != 0) {
        return err;
    }
    if (is_user_value(a)) {
        struct bh_ble_event ev = {.irq = BH_IRQ_GATTS_READ_REQUEST, .conn = c->handle};
        int rc;

        ev.gatts.handle = handle;
        rc = bh_ble_emit(&ev);
        if (rc != 0) {
            return (uint8_t)rc;
        }
    }
    *len = raw_value(c, handle, p, scratch);
    return 0;
}

/* ---- helpers for range requests --------------------------------------------- */

/* Compare two UUIDs of 2 or 16 bytes in their 128-bit forms (Vol 3 Part F 3.2.1). */
static bool uuid_eq(const uint8_t *a, uint8_t alen, const uint8_t *b, uint8_t blen)
{
    if (alen == blen) {
        return memcmp(a, b, alen) == 0;
    }
    if (alen == 16) {
        const uint8_t *t = a;
        a = b;
        b = t;
    }
    /* a is 16-bit, b is 128-bit */
    return memcmp(b, gatts_base, 12) == 0 && b[12] == a[0] && b[13] == a[1] && b[14] == 0 &&
           b[15] == 0;
}

/* Start/end checks common to the range requests, Vol 3 Part F 3.4.3.1. */
static int check_range(uint16_t start, uint16_t end)
{
    if (start == 0 || start > end) {
        return BH_GATTS_ERR(start, BH_ATT_ERR_INVALID_HANDLE);
    }
    return 0;
}

static uint16_t range_last(uint16_t end)
{
    return BH_MIN(end, bh_gatts_db_last_handle());
}

/* ---- Find Information, Vol 3 Part F 3.4.3.1 --------------------------------- */

int bh_gatts_rx_find_information_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t start = bh_rd_le16(r), end = bh_rd_le16(r);
    uint8_t fmt_len = 0;
    int err;

    if (!bh_rd_done(r)) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    err = check_range(start, end);
    if (err != 0) {
        return err;
    }
    bh_wr_u8(w, BH_ATT_OP_FIND_INFORMATION_RSP);
    for (uint32_t h = start; h <= range_last(end); h++) {
        uint8_t type[16];
        uint8_t n = bh_gatts_db_type((uint16_t)h, type);

        if (fmt_len == 0) {
            fmt_len = n;
            bh_wr_u8(w, n == 2 ? BH_ATT_FIND_INFO_FORMAT_16 : BH_ATT_FIND_INFO_FORMAT_128);
        }
        if (n != fmt_len || w->limit < 2 + n) {
            break;
        }
        bh_wr_le16(w, (uint16_t)h);
        bh_wr_mem(w, type, n);
    }
    if (fmt_len == 0) {
        return BH_GATTS_ERR(start, BH_ATT_ERR_ATTRIBUTE_NOT_FOUND);
    }
    return 0;
}

/* ---- Find By Type Value, Vol 3 Part F 3.4.3.3 ------------------------------- */

int bh_gatts_rx_find_by_type_value_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t start = bh_rd_le16(r), end = bh_rd_le16(r), type = bh_rd_le16(r);
    uint16_t vlen;
    const uint8_t *val = bh_rd_rest(r, &vlen);
    bool found = false;
    int err;

    if (r->err) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    err = check_range(start, end);
    if (err != 0) {
        return err;
    }
    bh_wr_u8(w, BH_ATT_OP_FIND_BY_TYPE_VALUE_RSP);
    for (uint32_t h = start; h <= range_last(end) && w->limit >= 4; h++) {
        uint8_t t[16], scratch[BH_GATTS_SCRATCH];
        const uint8_t *v;
        const struct bh_gatts_attr *a = bh_gatts_db_attr((uint16_t)h);

        if (bh_gatts_db_type((uint16_t)h, t) != 2 || bh_get_le16(t) != type) {
            continue;
        }
        if (raw_value(c, (uint16_t)h, &v, scratch) != vlen || memcmp(v, val, vlen) != 0) {
            continue;
        }
        bh_wr_le16(w, (uint16_t)h);
        bh_wr_le16(w, a->kind == BH_GATTS_KIND_SERVICE ? bh_gatts_db_group_end((uint16_t)h)
                                                       : (uint16_t)h);
        found = true;
    }
    return found ? 0 : BH_GATTS_ERR(start, BH_ATT_ERR_ATTRIBUTE_NOT_FOUND);
}

/* ---- Read By Type, Vol 3 Part F 3.4.4.1 ------------------------------------- */

/* Parse start, end and a 2- or 16-byte type. */
static int rd_range_type(struct bh_rd *r, uint16_t *start, uint16_t *end, uint8_t *type,
                         uint8_t *tlen)
{
    *start = bh_rd_le16(r);
    *end = bh_rd_le16(r);
    *tlen = (uint8_t)r->left;
    if (r->err || (*tlen != 2 && *tlen != 16)) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    bh_rd_copy(r, type, *tlen);
    return check_range(*start, *end);
}

/* Append one (handle, value) pair; false when the list must stop here. */
static bool read_by_type_add(struct bh_conn *c, uint16_t h, struct bh_wr *w, uint8_t *pair_len)
{
    uint8_t scratch[BH_GATTS_SCRATCH];
    const uint8_t *v;
    uint16_t len = 0;
    uint16_t max = BH_MIN((uint16_t)253, (uint16_t)(w->limit - 2));

    if (w->limit < 2 || check_read(c, bh_gatts_db_attr(h)) != 0 ||
        read_checked(c, h, &v, &len, scratch) != 0) {
        return false;
    }
    len = BH_MIN(len, max);
    if (*pair_len != 0 && len + 2 != *pair_len) {
        return false;
    }
    *pair_len = (uint8_t)(len + 2);
    bh_wr_le16(w, h);
    bh_wr_mem(w, v, len);
    return true;
}

int bh_gatts_rx_read_by_type_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t start, end;
    uint8_t type[16], tlen, pair_len = 0;
    uint8_t *len_field;
    int err = rd_range_type(r, &start, &end, type, &tlen);

    if (err != 0) {
        return err;
    }
    bh_wr_u8(w, BH_ATT_OP_READ_BY_TYPE_RSP);
    len_field = bh_wr_reserve(w, 1);
    for (uint32_t h = start; h <= range_last(end); h++) {
        uint8_t t[16];
        uint8_t n = bh_gatts_db_type((uint16_t)h, t);

        if (!uuid_eq(t, n, type, tlen)) {
            continue;
        }
        if (pair_len == 0) {
            /* The first match decides: its error is the answer (3.4.4.1). */
            uint8_t scratch[BH_GATTS_SCRATCH];
            const uint8_t *v;
            uint16_t len;
            uint8_t e = read_checked(c, (uint16_t)h, &v, &len, scratch);
            if (e != 0) {
                return BH_GATTS_ERR(h, e);
            }
            len = BH_MIN(len, BH_MIN((uint16_t)253, (uint16_t)(w->limit - 2)));
            pair_len = (uint8_t)(len + 2);
            bh_wr_le16(w, (uint16_t)h);
            bh_wr_mem(w, v, len);
            continue;
        }
        if (!read_by_type_add(c, (uint16_t)h, w, &pair_len)) {
            break;
        }
    }
    if (pair_len == 0 || len_field == NULL) {
        return BH_GATTS_ERR(start, BH_ATT_ERR_ATTRIBUTE_NOT_FOUND);
    }
    *len_field = pair_len;
    return 0;
}

/* ---- Read and Read Blob, Vol 3 Part F 3.4.4.3 and 3.4.4.5 ------------------- */

int bh_gatts_rx_read_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t handle = bh_rd_le16(r);
    uint8_t scratch[BH_GATTS_SCRATCH];
    const uint8_t *v;
    uint16_t len;
    uint8_t err;

    if (!bh_rd_done(r)) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    if (bh_gatts_db_attr(handle) == NULL) {
        return BH_GATTS_ERR(handle, BH_ATT_ERR_INVALID_HANDLE);
    }
    err = read_checked(c, handle, &v, &len, scratch);
    if (err != 0) {
        return BH_GATTS_ERR(handle, err);
    }
    bh_wr_u8(w, BH_ATT_OP_READ_RSP);
    bh_wr_mem(w, v, BH_MIN(len, w->limit));
    return 0;
}

/* Fixed-length attributes that always fit in a Read Response. */
static bool attr_fixed(const struct bh_gatts_attr *a)
{
    return a->kind == BH_GATTS_KIND_SERVICE || a->kind == BH_GATTS_KIND_CHR_DECL ||
           a->kind == BH_GATTS_KIND_CCCD || a->special == BH_GATTS_SPECIAL_APPEARANCE ||
           a->special == BH_GATTS_SPECIAL_SC;
}

int bh_gatts_rx_read_blob_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t handle = bh_rd_le16(r), offset = bh_rd_le16(r);
    const struct bh_gatts_attr *a;
    uint8_t scratch[BH_GATTS_SCRATCH];
    const uint8_t *v;
    uint16_t len;
    uint8_t err;

    if (!bh_rd_done(r)) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    a = bh_gatts_db_attr(handle);
    if (a == NULL) {
        return BH_GATTS_ERR(handle, BH_ATT_ERR_INVALID_HANDLE);
    }
    err = check_read(c, a);
    if (err == 0 && attr_fixed(a)) {
        err = BH_ATT_ERR_ATTRIBUTE_NOT_LONG;
    }
    if (err == 0) {
        err = read_checked(c, handle, &v, &len, scratch);
    }
    if (err == 0 && offset > len) {
        err = BH_ATT_ERR_INVALID_OFFSET;
    }
    if (err != 0) {
        return BH_GATTS_ERR(handle, err);
    }
    bh_wr_u8(w, BH_ATT_OP_READ_BLOB_RSP);
    bh_wr_mem(w, v + offset, BH_MIN((uint16_t)(len - offset), w->limit));
    return 0;
}

/* ---- Read Multiple (Variable), Vol 3 Part F 3.4.4.7 and 3.4.4.11 ------------ */

static int read_multiple(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w, bool variable)
{
    if (r->left < 4 || (r->left & 1) != 0) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    bh_wr_u8(w, variable ? BH_ATT_OP_READ_MULTIPLE_VARIABLE_RSP : BH_ATT_OP_READ_MULTIPLE_RSP);
    while (r->left != 0) {
        uint16_t h = bh_rd_le16(r), len;
        uint8_t scratch[BH_GATTS_SCRATCH], err;
        const uint8_t *v;

        if (bh_gatts_db_attr(h) == NULL) {
            return BH_GATTS_ERR(h, BH_ATT_ERR_INVALID_HANDLE);
        }
        err = read_checked(c, h, &v, &len, scratch);
        if (err != 0) {
            return BH_GATTS_ERR(h, err);
        }
        if (variable && w->limit >= 2) {
            bh_wr_le16(w, len);
        }
        bh_wr_mem(w, v, BH_MIN(len, w->limit)); /* the list is cut at ATT_MTU - 1 */
    }
    return 0;
}

int bh_gatts_rx_read_multiple_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    return read_multiple(c, r, w, false);
}

int bh_gatts_rx_read_multiple_variable_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    return read_multiple(c, r, w, true);
}

/* ---- Read By Group Type, Vol 3 Part F 3.4.4.9 (primary services only) ------- */

int bh_gatts_rx_read_by_group_type_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    static const uint8_t primary[2] = {0x00, 0x28};
    uint16_t start, end;
    uint8_t type[16], tlen, entry_len = 0;
    uint8_t *len_field;
    int err = rd_range_type(r, &start, &end, type, &tlen);

    if (err != 0) {
        return err;
    }
    if (!uuid_eq(type, tlen, primary, 2)) {
        return BH_GATTS_ERR(start, BH_ATT_ERR_UNSUPPORTED_GROUP_TYPE);
    }
    bh_wr_u8(w, BH_ATT_OP_READ_BY_GROUP_TYPE_RSP);
    len_field = bh_wr_reserve(w, 1);
    for (uint32_t h = start; h <= range_last(end); h++) {
        const struct bh_gatts_attr *a = bh_gatts_db_attr((uint16_t)h);

        if (a->kind != BH_GATTS_KIND_SERVICE) {
            continue;
        }
        if ((entry_len != 0 && entry_len != 4 + a->uuid_len) || w->limit < 4 + a->uuid_len) {
            break;
        }
        entry_len = (uint8_t)(4 + a->uuid_len);
        bh_wr_le16(w, (uint16_t)h);
        bh_wr_le16(w, bh_gatts_db_group_end((uint16_t)h));
        bh_wr_mem(w, a->uuid, a->uuid_len);
    }
    if (entry_len == 0 || len_field == NULL) {
        return BH_GATTS_ERR(start, BH_ATT_ERR_ATTRIBUTE_NOT_FOUND);
    }
    *len_field = entry_len;
    return 0;
}

/* ---- writes, Vol 3 Part F 3.4.5 --------------------------------------------- */

static void emit_write(struct bh_conn *c, uint16_t handle)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_GATTS_WRITE, .conn = c->handle};

    ev.gatts.handle = handle;
    bh_ble_emit(&ev);
}

/* Check a CCCD value against what its characteristic supports. */
static uint8_t cccd_check(uint16_t handle, const uint8_t *v, uint16_t len)
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

/* Store a written value. Returns 0 or an ATT error; *emit tells whether
 * the application hears of it (IRQ 3: user values, never CCCDs). */
static uint8_t write_apply(struct bh_conn *c, uint16_t handle, const uint8_t *v, uint16_t len,
                           bool *emit)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);
    uint8_t err;

    *emit = false;
    if (a->kind == BH_GATTS_KIND_CCCD) {
        uint16_t was = bh_gatts_cccd(c, handle);
        uint16_t bits;

        err = cccd_check(handle, v, len);
        if (err != 0) {
            return err;
        }
        bits = bh_get_le16(v) & (BH_GATT_CCCD_NOTIFY | BH_GATT_CCCD_INDICATE);
        cccd_set(c, handle, bits);
        if (bits != was) {
            cccd_persist(c);
        }
        return 0;
    }
    if (a->special == BH_GATTS_SPECIAL_NAME) {
        return bh_gap_set_name(v, len) == 0 ? 0 : BH_ATT_ERR_INVALID_ATTRIBUTE_VALUE_LENGTH;
    }
    if (bh_gatts_store_remote_write(handle, v, len) != 0) {
        return BH_ATT_ERR_UNLIKELY_ERROR;
    }
    *emit = true;
    return 0;
}

/* Write Request and Write Command share everything but the answer. */
static int write_common(struct bh_conn *c, struct bh_rd *r, bool *emit, uint16_t *handle)
{
    uint16_t len;
    const uint8_t *v;
    const struct bh_gatts_attr *a;
    uint8_t err;

    *handle = bh_rd_le16(r);
    v = bh_rd_rest(r, &len);
    *emit = false;
    if (r->err) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    a = bh_gatts_db_attr(*handle);
    if (a == NULL) {
        return BH_GATTS_ERR(*handle, BH_ATT_ERR_INVALID_HANDLE);
    }
    err = check_write(c, a);
    if (err == 0) {
        err = write_apply(c, *handle, v, len, emit);
    }
    return err != 0 ? BH_GATTS_ERR(*handle, err) : 0;
}

int bh_gatts_rx_write_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t handle;
    bool emit;
    int res = write_common(c, r, &emit, &handle);

    if (res != 0) {
        return res;
    }
    bh_wr_u8(w, BH_ATT_OP_WRITE_RSP);
    if (emit) {
        emit_write(c, handle);
    }
    return 0;
}

int bh_gatts_rx_write_cmd(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t handle;
    bool emit;
    int res = write_common(c, r, &emit, &handle);

    if (res != 0) {
        gs.stats.rx_write_cmd_dropped++; /* commands get no error (3.4.5.3) */
        return 0;
    }
    if (emit) {
        emit_write(c, handle);
    }
    return 0;
}

/* ---- Prepare and Execute Write, Vol 3 Part F 3.4.6 -------------------------- */

/* Queue entries: handle (2), offset (2), length (2), value. */
#define PREP_HDR 6

static void prep_clear(void)
{
    gs.prep_owner = NULL;
    gs.prep_used = 0;
}

int bh_gatts_rx_prepare_write_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t handle = bh_rd_le16(r), offset = bh_rd_le16(r), len;
    const uint8_t *v = bh_rd_rest(r, &len);
    const struct bh_gatts_attr *a;
    uint8_t err;
    uint8_t *e;

    if (r->err) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    a = bh_gatts_db_attr(handle);
    if (a == NULL) {
        return BH_GATTS_ERR(handle, BH_ATT_ERR_INVALID_HANDLE);
    }
    err = check_write(c, a);
    if (err != 0) {
        return BH_GATTS_ERR(handle, err);
    }
    if ((gs.prep_owner != NULL && gs.prep_owner != c) ||
        (uint32_t)gs.prep_used + PREP_HDR + len > sizeof(gs.prep)) {
        return BH_GATTS_ERR(handle, BH_ATT_ERR_PREPARE_QUEUE_FULL);
    }
    gs.prep_owner = c;
    e = &gs.prep[gs.prep_used];
    bh_put_le16(&e[0], handle);
    bh_put_le16(&e[2], offset);
    bh_put_le16(&e[4], len);
    memcpy(&e[PREP_HDR], v, len);
    gs.prep_used = (uint16_t)(gs.prep_used + PREP_HDR + len);
    bh_wr_u8(w, BH_ATT_OP_PREPARE_WRITE_RSP); /* echo, 3.4.6.2 */
    bh_wr_le16(w, handle);
    bh_wr_le16(w, offset);
    bh_wr_mem(w, v, BH_MIN(len, w->limit));
    return 0;
}

/* Length of handle's value once entries before `upto` are applied. */
static uint32_t prep_sim_len(uint16_t handle, uint16_t upto)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);
    uint32_t len = a->val_len;

    for (uint16_t o = 0; o < upto;) {
        const uint8_t *e = &gs.prep[o];
        if (bh_get_le16(e) == handle) {
            len = a->append ? len + bh_get_le16(&e[4])
                            : (uint32_t)bh_get_le16(&e[2]) + bh_get_le16(&e[4]);
        }
        o = (uint16_t)(o + PREP_HDR + bh_get_le16(&e[4]));
    }
    return len;
}

/* Validate one queued entry at o (3.4.6.3: errors come at execute time). */
static uint8_t prep_check(uint16_t o)
{
    const uint8_t *e = &gs.prep[o];
    uint16_t h = bh_get_le16(e), off = bh_get_le16(&e[2]), len = bh_get_le16(&e[4]);
    const struct bh_gatts_attr *a = bh_gatts_db_attr(h);

    if (a == NULL) {
        return BH_ATT_ERR_INVALID_HANDLE; /* the database changed meanwhile */
    }
    if (!is_user_value(a)) {
        if (off != 0) {
            return BH_ATT_ERR_INVALID_OFFSET;
        }
        if (a->kind == BH_GATTS_KIND_CCCD) {
            return cccd_check(h, &e[PREP_HDR], len);
        }
        return len > BH_CONFIG_GAP_NAME_MAX ? BH_ATT_ERR_INVALID_ATTRIBUTE_VALUE_LENGTH : 0;
    }
    if (a->append) {
        return 0; /* appended up to the capacity, like any remote write */
    }
    if (off > prep_sim_len(h, o)) {
        return BH_ATT_ERR_INVALID_OFFSET;
    }
    if ((uint32_t)off + len > a->val_cap) {
        return BH_ATT_ERR_INVALID_ATTRIBUTE_VALUE_LENGTH;
    }
    return 0;
}

static void prep_apply(struct bh_conn *c)
{
    for (uint16_t o = 0; o < gs.prep_used;) {
        const uint8_t *e = &gs.prep[o];
        uint16_t h = bh_get_le16(e), len = bh_get_le16(&e[4]);
        bool emit;

        if (is_user_value(bh_gatts_db_attr(h))) {
            bh_gatts_store_write_at(h, bh_get_le16(&e[2]), &e[PREP_HDR], len);
        } else {
            write_apply(c, h, &e[PREP_HDR], len, &emit);
        }
        o = (uint16_t)(o + PREP_HDR + len);
    }
}

/* IRQ 3 once per written user value, after everything is stored. */
static void prep_emit(struct bh_conn *c, uint16_t used)
{
    for (uint16_t o = 0; o < used;) {
        uint16_t h = bh_get_le16(&gs.prep[o]);
        bool first = true;

        for (uint16_t p = 0; p < o; p = (uint16_t)(p + PREP_HDR + bh_get_le16(&gs.prep[p + 4]))) {
            first = first && bh_get_le16(&gs.prep[p]) != h;
        }
        o = (uint16_t)(o + PREP_HDR + bh_get_le16(&gs.prep[o + 4]));
        if (first && is_user_value(bh_gatts_db_attr(h))) {
            emit_write(c, h);
        }
    }
}

int bh_gatts_rx_execute_write_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint8_t flags = bh_rd_u8(r);
    uint16_t used;

    if (!bh_rd_done(r) || flags > BH_ATT_EXEC_WRITE_WRITE) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    if (gs.prep_owner != c || flags == BH_ATT_EXEC_WRITE_CANCEL) {
        if (gs.prep_owner == c) {
            prep_clear();
        }
        bh_wr_u8(w, BH_ATT_OP_EXECUTE_WRITE_RSP);
        return 0;
    }
    for (uint16_t o = 0; o < gs.prep_used;) {
        uint8_t err = prep_check(o);
        if (err != 0) {
            uint16_t h = bh_get_le16(&gs.prep[o]);
            prep_clear(); /* the whole queue is discarded on error */
            return BH_GATTS_ERR(h, err);
        }
        o = (uint16_t)(o + PREP_HDR + bh_get_le16(&gs.prep[o + 4]));
    }
    prep_apply(c);
    used = gs.prep_used;
    gs.prep_owner = NULL; /* the bytes stay readable for prep_emit */
    gs.prep_used = 0;
    bh_wr_u8(w, BH_ATT_OP_EXECUTE_WRITE_RSP);
    prep_emit(c, used);
    return 0;
}

/* ---- notifications and indications, Vol 3 Part F 3.4.7 and Part G 4.10/4.11 --- */

static int send_value(struct bh_conn *c, uint16_t handle, int op, const uint8_t *value, size_t len)
{
    uint8_t scratch[BH_GATTS_SCRATCH];
    struct bh_buf *buf;
    struct bh_wr w;
    uint16_t mtu = bh_att_mtu(c);

    if (value == NULL) {
        len = raw_value(c, handle, &value, scratch);
    }
    buf = bh_att_buf_alloc();
    if (buf == NULL) {
        gs.stats.tx_no_buf++;
        return -ENOMEM;
    }
    bh_wr_init(&w, buf, mtu);
    bh_wr_u8(&w, op == BH_GATTS_INDICATE ? BH_ATT_OP_HANDLE_VALUE_IND : BH_ATT_OP_HANDLE_VALUE_NTF);
    bh_wr_le16(&w, handle);
    bh_wr_mem(&w, value, (uint16_t)BH_MIN(len, (size_t)(mtu - 3)));
    return bh_att_server_send(c, buf); /* consumes buf */
}

static void ind_queue_pop(struct gatts_conn *g)
{
    memmove(&g->ind_queue[0], &g->ind_queue[1], (size_t)(g->ind_queued - 1) * 2);
    g->ind_queued--;
}

/* Send the next queued indication if the link is free. */
static void ind_kick(struct gatts_conn *g)
{
    int err;

    if (g->conn == NULL || g->ind_handle != 0 || g->ind_queued == 0) {
        return;
    }
    err = send_value(g->conn, g->ind_queue[0], BH_GATTS_INDICATE, NULL, 0);
    if (err == -ENOMEM) {
        bh_buf_pool_wait(bh_hci_acl_pool(), &gs.ind_work);
        return;
    }
    if (err == 0) {
        g->ind_handle = g->ind_queue[0];
    }
    ind_queue_pop(g);
}

static void ind_work_fn(struct bh_work *work)
{
    (void)work;
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        ind_kick(&gs.conns[i]);
    }
}

int bh_gatts_notify_indicate(struct bh_conn *c, uint16_t handle, int op, const uint8_t *value,
                             size_t len)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);
    struct gatts_conn *g;
    int err;

    if (a == NULL || a->kind != BH_GATTS_KIND_VALUE ||
        (op != BH_GATTS_NOTIFY && op != BH_GATTS_INDICATE)) {
        return -EINVAL;
    }
    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED || gconn(c)->conn != c) {
        return -ENOTCONN;
    }
    if (op == BH_GATTS_NOTIFY) {
        return send_value(c, handle, op, value, len);
    }
    g = gconn(c);
    if (g->ind_handle != 0 || g->ind_queued != 0) {
        if (value != NULL || g->ind_queued == BH_GATTS_IND_QUEUE) {
            return -EBUSY;
        }
        g->ind_queue[g->ind_queued++] = handle;
        gs.stats.ind_queued++;
        return 0;
    }
    err = send_value(c, handle, op, value, len);
    if (err == 0) {
        g->ind_handle = handle;
    }
    return err;
}

static void emit_ind_done(struct bh_conn *c, uint16_t handle, uint8_t status)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_GATTS_INDICATE_DONE, .conn = c->handle};

    if (handle == bh_gatts_db_sc_handle()) {
        return; /* Service Changed is ours, not the application's */
    }
    ev.status.handle = handle;
    ev.status.status = status;
    bh_ble_emit(&ev);
}

/* Fail what is queued (the bearer is gone or dead). */
static void ind_fail_all(struct gatts_conn *g, uint8_t status)
{
    while (g->ind_queued != 0) {
        uint16_t h = g->ind_queue[0];
        ind_queue_pop(g);
        emit_ind_done(g->conn, h, status);
    }
}

void bh_gatts_on_indication_done(struct bh_conn *c, uint8_t status)
{
    struct gatts_conn *g = gconn(c);
    uint16_t handle = g->ind_handle;

    g->ind_handle = 0;
    if (status == 0) {
        ind_kick(g);
    }
    if (handle != 0) {
        emit_ind_done(c, handle, status);
    }
    if (status != 0) {
        ind_fail_all(g, status);
    }
}

/* An indication of the stored value of handle waits in g's queue. */
static bool ind_is_queued(const struct gatts_conn *g, uint16_t handle)
{
    for (unsigned i = 0; i < g->ind_queued; i++) {
        if (g->ind_queue[i] == handle) {
            return true;
        }
    }
    return false;
}

/* A queued indication sends the value stored when its turn comes, so
 * updates while one waits coalesce into it (NimBLE does the same): the
 * client gets the latest value once, not the same value several times. */
void bh_gatts_send_update(uint16_t handle)
{
    const struct bh_gatts_attr *cccd = bh_gatts_db_attr((uint16_t)(handle + 1));

    if (cccd == NULL || cccd->kind != BH_GATTS_KIND_CCCD) {
        return;
    }
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct bh_conn *c = gs.conns[i].conn;
        uint16_t bits;

        if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
            continue;
        }
        bits = bh_gatts_cccd(c, (uint16_t)(handle + 1));
        if ((bits & BH_GATT_CCCD_INDICATE) != 0) {
            if (!ind_is_queued(&gs.conns[i], handle)) {
                bh_gatts_notify_indicate(c, handle, BH_GATTS_INDICATE, NULL, 0);
            }
        } else if ((bits & BH_GATT_CCCD_NOTIFY) != 0) {
            bh_gatts_notify_indicate(c, handle, BH_GATTS_NOTIFY, NULL, 0);
        }
    }
}

void bh_gatts_service_changed(void)
{
    bh_gatts_send_update(bh_gatts_db_sc_handle());
}

/* ---- lifecycle -------------------------------------------------------------- */

void bh_gatts_init(void)
{
    memset(&gs, 0, sizeof(gs));
    bh_work_init(&gs.ind_work, ind_work_fn);
}

/* The database was rebuilt: subscriptions to old handles mean nothing now,
 * except Service Changed, whose handle never moves. */
void bh_gatts_cccd_reset(void)
{
    uint16_t sc_cccd = (uint16_t)(bh_gatts_db_sc_handle() + 1);

    prep_clear();
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct gatts_conn *g = &gs.conns[i];
        uint16_t keep = g->conn != NULL ? bh_gatts_cccd(g->conn, sc_cccd) : 0;

        memset(g->cccd, 0, sizeof(g->cccd));
        if (g->conn != NULL) {
            cccd_set(g->conn, sc_cccd, keep);
        }
    }
}

void bh_gatts_conn_up(struct bh_conn *c)
{
    struct gatts_conn *g = gconn(c);

    if (gs.ind_work.fn == NULL) {
        bh_work_init(&gs.ind_work, ind_work_fn);
    }
    memset(g, 0, sizeof(*g));
    g->conn = c;
}

void bh_gatts_conn_down(struct bh_conn *c)
{
    struct gatts_conn *g = gconn(c);
    uint16_t handle = g->ind_handle;

    if (gs.prep_owner == c) {
        prep_clear();
    }
    g->ind_handle = 0;
    if (handle != 0) {
        emit_ind_done(c, handle, ENOTCONN);
    }
    ind_fail_all(g, ENOTCONN);
    memset(g, 0, sizeof(*g));
}

void bh_gatts_on_security_change(struct bh_conn *c)
{
    (void)c; /* nothing waits for security on the server: the client retries */
}

const struct bh_gatts_stats *bh_gatts_stats(void)
{
    return &gs.stats;
}

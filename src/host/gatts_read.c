/* SPDX-License-Identifier: MIT */
/*
 * gatts_read.c: the GATT server's discovery and read requests (Core 5.4
 * Vol 3 Part F 3.4.3 and 3.4.4), one handler per request PDU, called from
 * att.c's dispatch table: Find Information, Find By Type Value, Read By
 * Type, Read, Read Blob, Read Multiple (Variable) and Read By Group Type
 * (primary services only). Each parses its PDU, walks the database of
 * gatts_db.c and writes the response into att.c's buffer, or returns the
 * handle and code of the Error Response. Every value read goes through
 * the permission and security checks and the application's read hook
 * (IRQ 4, API.md 1.4).
 */
#include "gatts_internal.h"

#include <string.h>

#include "att_spec.h"
#include "ble/ble_internal.h"
#include "os/bh_assert.h"

/* Bluetooth Base UUID, little-endian, Core 5.4 Vol 3 Part B 2.5.1 */
static const uint8_t gatts_base[12] = {0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00,
                                       0x00, 0x80, 0x00, 0x10, 0x00, 0x00};

/* ---- reading one value ------------------------------------------------------ */

/* Permission, security and the application's read-request hook (IRQ 4,
 * API.md 1.4), then the value. Returns 0 or an ATT error code. */
static uint8_t read_checked(struct bh_conn *c, uint16_t handle, const uint8_t **p, uint16_t *len,
                            uint8_t *scratch)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);
    uint8_t err = bh_gatts_check_read(c, a);

    if (err != 0) {
        return err;
    }
    if (bh_gatts_is_user_value(a)) {
        struct bh_ble_event ev = {.irq = BH_IRQ_GATTS_READ_REQUEST, .conn = c->handle};
        int rc;

        ev.gatts.handle = handle;
        rc = bh_ble_emit(&ev);
        if (rc != 0) {
            return (uint8_t)rc;
        }
    }
    *len = bh_gatts_raw_value(c, handle, p, scratch);
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
        if (bh_gatts_raw_value(c, (uint16_t)h, &v, scratch) != vlen || memcmp(v, val, vlen) != 0) {
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

    if (w->limit < 2 || bh_gatts_check_read(c, bh_gatts_db_attr(h)) != 0 ||
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
    err = bh_gatts_check_read(c, a);
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

/* SPDX-License-Identifier: MIT */
/*
 * gatts_write.c: the GATT server's write requests (Core 5.4 Vol 3 Part F
 * 3.4.5 and 3.4.6), called from att.c's dispatch table: Write Request,
 * Write Command (never answered: a failed one is dropped and counted), and
 * the Prepare Write queue with Execute Write (entries checked only at
 * execute time, 3.4.6.3). A written user value goes to gatts_db.c's value
 * store and raises IRQ 3; the Device Name goes to gap; a CCCD to
 * gatts_cccd.c.
 *
 * Choice: the Prepare Write queue is one buffer of
 * BH_CONFIG_GATTS_PREP_WRITE_MAX bytes owned by one link at a time (another
 * link gets Prepare Queue Full until the owner executes, cancels or
 * disconnects), to keep static RAM small.
 */
#include "gatts_internal.h"

#include <string.h>

#include "att_spec.h"
#include "ble/ble_internal.h"
#include "gap.h"
#include "os/bh_assert.h"

/* The Prepare Write queue, Vol 3 Part F 3.4.6. */
static struct {
    struct bh_conn *prep_owner;
    uint16_t prep_used;
    uint8_t prep[BH_CONFIG_GATTS_PREP_WRITE_MAX];
} gw;

/* ---- writes, Vol 3 Part F 3.4.5 --------------------------------------------- */

static void emit_write(struct bh_conn *c, uint16_t handle)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_GATTS_WRITE, .conn = c->handle};

    ev.gatts.handle = handle;
    bh_ble_emit(&ev);
}

/* Store a written value. Returns 0 or an ATT error; *emit tells whether
 * the application hears of it (IRQ 3: user values, never CCCDs). */
static uint8_t write_apply(struct bh_conn *c, uint16_t handle, const uint8_t *v, uint16_t len,
                           bool *emit)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);

    *emit = false;
    if (a->kind == BH_GATTS_KIND_CCCD) {
        return bh_gatts_cccd_write(c, handle, v, len);
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
    err = bh_gatts_check_write(c, a);
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
        bh_gatts_stats_mut()->rx_write_cmd_dropped++; /* commands get no error (3.4.5.3) */
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
    gw.prep_owner = NULL;
    gw.prep_used = 0;
}

void bh_gatts_prep_clear(const struct bh_conn *c)
{
    if (c == NULL || gw.prep_owner == c) {
        prep_clear();
    }
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
    err = bh_gatts_check_write(c, a);
    if (err != 0) {
        return BH_GATTS_ERR(handle, err);
    }
    if ((gw.prep_owner != NULL && gw.prep_owner != c) ||
        (uint32_t)gw.prep_used + PREP_HDR + len > sizeof(gw.prep)) {
        return BH_GATTS_ERR(handle, BH_ATT_ERR_PREPARE_QUEUE_FULL);
    }
    gw.prep_owner = c;
    e = &gw.prep[gw.prep_used];
    bh_put_le16(&e[0], handle);
    bh_put_le16(&e[2], offset);
    bh_put_le16(&e[4], len);
    memcpy(&e[PREP_HDR], v, len);
    gw.prep_used = (uint16_t)(gw.prep_used + PREP_HDR + len);
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
        const uint8_t *e = &gw.prep[o];
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
    const uint8_t *e = &gw.prep[o];
    uint16_t h = bh_get_le16(e), off = bh_get_le16(&e[2]), len = bh_get_le16(&e[4]);
    const struct bh_gatts_attr *a = bh_gatts_db_attr(h);

    if (a == NULL) {
        return BH_ATT_ERR_INVALID_HANDLE; /* the database changed meanwhile */
    }
    if (!bh_gatts_is_user_value(a)) {
        if (off != 0) {
            return BH_ATT_ERR_INVALID_OFFSET;
        }
        if (a->kind == BH_GATTS_KIND_CCCD) {
            return bh_gatts_cccd_check(h, &e[PREP_HDR], len);
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
    for (uint16_t o = 0; o < gw.prep_used;) {
        const uint8_t *e = &gw.prep[o];
        uint16_t h = bh_get_le16(e), len = bh_get_le16(&e[4]);
        bool emit;

        if (bh_gatts_is_user_value(bh_gatts_db_attr(h))) {
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
        uint16_t h = bh_get_le16(&gw.prep[o]);
        bool first = true;

        for (uint16_t p = 0; p < o; p = (uint16_t)(p + PREP_HDR + bh_get_le16(&gw.prep[p + 4]))) {
            first = first && bh_get_le16(&gw.prep[p]) != h;
        }
        o = (uint16_t)(o + PREP_HDR + bh_get_le16(&gw.prep[o + 4]));
        if (first && bh_gatts_is_user_value(bh_gatts_db_attr(h))) {
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
    if (gw.prep_owner != c || flags == BH_ATT_EXEC_WRITE_CANCEL) {
        if (gw.prep_owner == c) {
            prep_clear();
        }
        bh_wr_u8(w, BH_ATT_OP_EXECUTE_WRITE_RSP);
        return 0;
    }
    for (uint16_t o = 0; o < gw.prep_used;) {
        uint8_t err = prep_check(o);
        if (err != 0) {
            uint16_t h = bh_get_le16(&gw.prep[o]);
            prep_clear(); /* the whole queue is discarded on error */
            return BH_GATTS_ERR(h, err);
        }
        o = (uint16_t)(o + PREP_HDR + bh_get_le16(&gw.prep[o + 4]));
    }
    prep_apply(c);
    used = gw.prep_used;
    gw.prep_owner = NULL; /* the bytes stay readable for prep_emit */
    gw.prep_used = 0;
    bh_wr_u8(w, BH_ATT_OP_EXECUTE_WRITE_RSP);
    prep_emit(c, used);
    return 0;
}

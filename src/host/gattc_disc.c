/* SPDX-License-Identifier: MIT */
/*
 * gattc_disc.c: GATT client discovery, Core 5.4 Vol 3 Part G 4.4 (primary
 * services: all, by UUID), 4.6.1 (all characteristics of a range, our own
 * UUID filter on top) and 4.7.1 (all descriptors: Find Information).
 *
 * Every response is checked whole before any result is reported: entry
 * length, entry count, handles inside the range and strictly increasing,
 * group ends not before their starts. A response that fails ends the
 * procedure with BH_GATTC_STATUS_BAD_RSP; because every accepted response
 * moves the next start past its last handle, a hostile server cannot make
 * us loop. The engine (queueing, sending, events at the end) is gattc.c.
 */
#include "gattc.h"

#include <errno.h>
#include <string.h>

#include "att.h"
#include "att_spec.h"

#define BH_LOG_TAG "gattc"
#include "os/bh_log.h"

/* Build and send <op> <start> <end> [<type16>] [<value uuid>], the shape of
 * every discovery request (Part F 3.4.3.1, 3.4.3.3, 3.4.4.1, 3.4.4.9). */
static enum bh_gattc_step disc_send(struct bh_gattc_proc *p, uint8_t op, uint16_t start,
                                    uint16_t end, uint16_t type, const struct bh_uuid *value)
{
    struct bh_buf *buf = bh_gattc_buf_alloc(p);
    struct bh_wr w;

    if (buf == NULL) {
        return BH_GATTC_STEP_STALL;
    }
    bh_wr_init(&w, buf, bh_att_mtu(p->conn));
    bh_wr_u8(&w, op);
    bh_wr_le16(&w, start);
    bh_wr_le16(&w, end);
    if (type != 0) {
        bh_wr_le16(&w, type);
    }
    if (value != NULL) {
        bh_gattc_uuid_to_wire(&w, value);
    }
    if (w.err) {
        bh_buf_unref(buf);
        return bh_gattc_finish_with(p, BH_GATTC_STATUS_SEND_FAILED);
    }
    return bh_gattc_send(p, buf);
}

/* Attribute Not Found ends a discovery normally (Part G 4.4.1, 4.6.1, 4.7.1). */
static enum bh_gattc_step disc_err(struct bh_gattc_proc *p, uint16_t handle, uint8_t code)
{
    (void)handle;
    return bh_gattc_finish_with(p, code == BH_ATT_ERR_ATTRIBUTE_NOT_FOUND ? 0 : code);
}

static bool disc_done_evt(const struct bh_gattc_proc *p, struct bh_ble_event *ev, uint8_t irq)
{
    ev->irq = irq;
    ev->done.status = p->status;
    return true;
}

/* A list of `size`-byte entries filling the rest of the PDU (at least one). */
static bool disc_list_ok(const struct bh_rd *r, uint16_t size)
{
    return !r->err && size != 0 && r->left != 0 && r->left % size == 0;
}

/* ---- primary services ------------------------------------------------------------ */

/* Group entries (handle, end group handle, value_len bytes), Part F
 * 3.4.4.10 / 3.4.3.4: handles at or after `first`, each group after the
 * previous one, end not before start. *last gets the final end. */
static bool svc_groups_ok(struct bh_rd r, uint16_t value_len, uint16_t first, uint16_t *last)
{
    uint32_t min = first;

    while (r.left != 0) {
        uint16_t start = bh_rd_le16(&r);
        uint16_t end = bh_rd_le16(&r);

        (void)bh_rd_mem(&r, value_len);
        if (r.err || start < min || end < start) {
            return false;
        }
        min = (uint32_t)end + 1;
        *last = end;
    }
    return true;
}

static enum bh_gattc_step svc_advance(struct bh_gattc_proc *p, uint16_t last)
{
    if (last == 0xFFFF) {
        return bh_gattc_finish_with(p, 0);
    }
    p->svc.next = (uint16_t)(last + 1);
    return BH_GATTC_STEP_NEXT;
}

static bool svc_emit(struct bh_gattc_proc *p, uint16_t start, uint16_t end,
                     const struct bh_uuid *uuid)
{
    struct bh_ble_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.irq = BH_IRQ_GATTC_SERVICE_RESULT;
    ev.service.start = start;
    ev.service.end = end;
    ev.service.uuid = *uuid;
    return bh_gattc_emit_result(p, &ev);
}

static enum bh_gattc_step svc_all_start(struct bh_gattc_proc *p)
{
    return disc_send(p, BH_ATT_OP_READ_BY_GROUP_TYPE_REQ, p->svc.next, 0xFFFF,
                     BH_GATT_UUID_PRIMARY_SERVICE, NULL);
}

/* Read By Group Type Response, Part F 3.4.4.10: Length (6 or 20: handle,
 * end group handle, 16- or 128-bit service UUID), then the entries. */
static enum bh_gattc_step svc_all_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint8_t len = bh_rd_u8(r);
    uint16_t last = 0;

    if ((len != 6 && len != 20) || !disc_list_ok(r, len)) {
        return bh_gattc_bad_rsp(p, "group type rsp length");
    }
    if (!svc_groups_ok(*r, (uint16_t)(len - 4), p->svc.next, &last)) {
        return bh_gattc_bad_rsp(p, "group type rsp handles");
    }
    while (r->left != 0) {
        uint16_t start = bh_rd_le16(r);
        uint16_t end = bh_rd_le16(r);
        struct bh_uuid uuid;

        bh_gattc_uuid_from_wire(&uuid, bh_rd_mem(r, (uint16_t)(len - 4)), (uint16_t)(len - 4));
        if (!svc_emit(p, start, end, &uuid)) {
            return BH_GATTC_STEP_GONE;
        }
    }
    return svc_advance(p, last);
}

static bool svc_done(const struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    return disc_done_evt(p, ev, BH_IRQ_GATTC_SERVICE_DONE);
}

static enum bh_gattc_step svc_uuid_start(struct bh_gattc_proc *p)
{
    return disc_send(p, BH_ATT_OP_FIND_BY_TYPE_VALUE_REQ, p->svc.next, 0xFFFF,
                     BH_GATT_UUID_PRIMARY_SERVICE, &p->svc.uuid);
}

/* Find By Type Value Response, Part F 3.4.3.4: Handles Information List of
 * (Found Attribute Handle, Group End Handle). */
static enum bh_gattc_step svc_uuid_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint16_t last = 0;

    if (!disc_list_ok(r, 4)) {
        return bh_gattc_bad_rsp(p, "type value rsp length");
    }
    if (!svc_groups_ok(*r, 0, p->svc.next, &last)) {
        return bh_gattc_bad_rsp(p, "type value rsp handles");
    }
    while (r->left != 0) {
        uint16_t start = bh_rd_le16(r);
        uint16_t end = bh_rd_le16(r);

        if (!svc_emit(p, start, end, &p->svc.uuid)) {
            return BH_GATTC_STEP_GONE;
        }
    }
    return svc_advance(p, last);
}

const struct bh_gattc_ops bh_gattc_disc_svc_all_ops = {
    .start = svc_all_start, .rx = svc_all_rx, .err = disc_err, .done = svc_done,
};

const struct bh_gattc_ops bh_gattc_disc_svc_uuid_ops = {
    .start = svc_uuid_start, .rx = svc_uuid_rx, .err = disc_err, .done = svc_done,
};

int bh_gattc_disc_svcs(struct bh_conn *c, const struct bh_uuid *uuid)
{
    struct bh_gattc_proc *p;
    int err;

    if (uuid != NULL && !bh_gattc_uuid_valid(uuid)) {
        return -EINVAL;
    }
    err = bh_gattc_proc_new(
        c, uuid ? BH_GATTC_KIND_DISC_SVC_UUID : BH_GATTC_KIND_DISC_SVC_ALL, &p);
    if (err != 0) {
        return err;
    }
    p->svc.next = 0x0001;
    if (uuid != NULL) {
        p->svc.uuid = *uuid;
    }
    bh_gattc_proc_submit(p);
    return 0;
}

/* ---- characteristics --------------------------------------------------------------- */

/* Characteristic declarations (handle, properties, value handle, UUID),
 * Part G 3.3.1: inside [first, end], increasing, value after declaration. */
static bool chr_decls_ok(struct bh_rd r, uint16_t uuid_len, uint16_t first, uint16_t end,
                         uint16_t *last)
{
    uint32_t min = first;

    while (r.left != 0) {
        uint16_t handle = bh_rd_le16(&r);
        uint16_t value_handle;

        (void)bh_rd_u8(&r);
        value_handle = bh_rd_le16(&r);
        (void)bh_rd_mem(&r, uuid_len);
        if (r.err || handle < min || handle > end || value_handle <= handle) {
            return false;
        }
        min = (uint32_t)handle + 1;
        *last = handle;
    }
    return true;
}

/* Report the held characteristic, now that its end is known; the filter
 * applies here. False if the procedure ended during the callback. */
static bool chr_release(struct bh_gattc_proc *p, uint16_t end_handle)
{
    struct bh_ble_event ev;

    if (!p->chr.held) {
        return true;
    }
    p->chr.held = false;
    if (p->chr.filter.type != 0 && !bh_gattc_uuid_eq(&p->chr.filter, &p->chr.chr.uuid)) {
        return true;
    }
    memset(&ev, 0, sizeof(ev));
    ev.irq = BH_IRQ_GATTC_CHARACTERISTIC_RESULT;
    ev.chr.end_handle = end_handle;
    ev.chr.value_handle = p->chr.chr.value_handle;
    ev.chr.properties = p->chr.chr.props;
    ev.chr.uuid = p->chr.chr.uuid;
    return bh_gattc_emit_result(p, &ev);
}

static enum bh_gattc_step chr_start(struct bh_gattc_proc *p)
{
    return disc_send(p, BH_ATT_OP_READ_BY_TYPE_REQ, p->chr.next, p->chr.end,
                     BH_GATT_UUID_CHARACTERISTIC, NULL);
}

/* Read By Type Response, Part F 3.4.4.2: Length (7 or 21), then entries of
 * (declaration handle, properties, value handle, 16- or 128-bit UUID).
 * Each declaration is held until the next one gives its end (handle - 1),
 * or the range's end does (API.md 1.3). */
static enum bh_gattc_step chr_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint8_t len = bh_rd_u8(r);
    uint16_t last = 0;

    if ((len != 7 && len != 21) || !disc_list_ok(r, len)) {
        return bh_gattc_bad_rsp(p, "read by type rsp length");
    }
    if (!chr_decls_ok(*r, (uint16_t)(len - 5), p->chr.next, p->chr.end, &last)) {
        return bh_gattc_bad_rsp(p, "read by type rsp handles");
    }
    while (r->left != 0) {
        struct bh_gattc_chr chr;

        chr.decl_handle = bh_rd_le16(r);
        chr.props = bh_rd_u8(r);
        chr.value_handle = bh_rd_le16(r);
        bh_gattc_uuid_from_wire(&chr.uuid, bh_rd_mem(r, (uint16_t)(len - 5)),
                                (uint16_t)(len - 5));
        if (!chr_release(p, (uint16_t)(chr.decl_handle - 1))) {
            return BH_GATTC_STEP_GONE;
        }
        p->chr.chr = chr;
        p->chr.held = true;
    }
    if (last >= p->chr.end) {
        return chr_release(p, p->chr.end) ? bh_gattc_finish_with(p, 0) : BH_GATTC_STEP_GONE;
    }
    p->chr.next = (uint16_t)(last + 1);
    return BH_GATTC_STEP_NEXT;
}

/* Attribute Not Found: the held characteristic runs to the range's end.
 * Any other error: it is dropped with the procedure. */
static enum bh_gattc_step chr_err(struct bh_gattc_proc *p, uint16_t handle, uint8_t code)
{
    (void)handle;
    if (code != BH_ATT_ERR_ATTRIBUTE_NOT_FOUND) {
        p->chr.held = false;
        return bh_gattc_finish_with(p, code);
    }
    return chr_release(p, p->chr.end) ? bh_gattc_finish_with(p, 0) : BH_GATTC_STEP_GONE;
}

static bool chr_done(const struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    return disc_done_evt(p, ev, BH_IRQ_GATTC_CHARACTERISTIC_DONE);
}

const struct bh_gattc_ops bh_gattc_disc_chr_ops = {
    .start = chr_start, .rx = chr_rx, .err = chr_err, .done = chr_done,
};

int bh_gattc_disc_chrs(struct bh_conn *c, uint16_t start, uint16_t end,
                       const struct bh_uuid *uuid)
{
    struct bh_gattc_proc *p;
    int err;

    if (start == 0 || start > end || (uuid != NULL && !bh_gattc_uuid_valid(uuid))) {
        return -EINVAL;
    }
    err = bh_gattc_proc_new(c, BH_GATTC_KIND_DISC_CHR, &p);
    if (err != 0) {
        return err;
    }
    p->chr.next = start;
    p->chr.end = end;
    if (uuid != NULL) {
        p->chr.filter = *uuid;
    }
    bh_gattc_proc_submit(p);
    return 0;
}

/* ---- descriptors ---------------------------------------------------------------------- */

/* next == 0 marks an empty range: nothing to ask, done at once. */
static enum bh_gattc_step dsc_start(struct bh_gattc_proc *p)
{
    if (p->dsc.next == 0) {
        return bh_gattc_finish_with(p, 0);
    }
    return disc_send(p, BH_ATT_OP_FIND_INFORMATION_REQ, p->dsc.next, p->dsc.end, 0, NULL);
}

/* Handles inside [first, end] and increasing. */
static bool dsc_infos_ok(struct bh_rd r, uint16_t uuid_len, uint16_t first, uint16_t end,
                         uint16_t *last)
{
    uint32_t min = first;

    while (r.left != 0) {
        uint16_t handle = bh_rd_le16(&r);

        (void)bh_rd_mem(&r, uuid_len);
        if (r.err || handle < min || handle > end) {
            return false;
        }
        min = (uint32_t)handle + 1;
        *last = handle;
    }
    return true;
}

/* Find Information Response, Part F 3.4.3.2: Format (1: 16-bit UUIDs, 2:
 * 128-bit), then (handle, UUID) pairs. Every attribute is reported. */
static enum bh_gattc_step dsc_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint8_t format = bh_rd_u8(r);
    uint16_t uuid_len = format == BH_ATT_FIND_INFO_FORMAT_16 ? 2 : 16;
    uint16_t last = 0;

    if (format != BH_ATT_FIND_INFO_FORMAT_16 && format != BH_ATT_FIND_INFO_FORMAT_128) {
        return bh_gattc_bad_rsp(p, "find info rsp format");
    }
    if (!disc_list_ok(r, (uint16_t)(2 + uuid_len))) {
        return bh_gattc_bad_rsp(p, "find info rsp length");
    }
    if (!dsc_infos_ok(*r, uuid_len, p->dsc.next, p->dsc.end, &last)) {
        return bh_gattc_bad_rsp(p, "find info rsp handles");
    }
    while (r->left != 0) {
        struct bh_ble_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.irq = BH_IRQ_GATTC_DESCRIPTOR_RESULT;
        ev.dsc.handle = bh_rd_le16(r);
        bh_gattc_uuid_from_wire(&ev.dsc.uuid, bh_rd_mem(r, uuid_len), uuid_len);
        if (!bh_gattc_emit_result(p, &ev)) {
            return BH_GATTC_STEP_GONE;
        }
    }
    if (last >= p->dsc.end) {
        return bh_gattc_finish_with(p, 0);
    }
    p->dsc.next = (uint16_t)(last + 1);
    return BH_GATTC_STEP_NEXT;
}

static bool dsc_done(const struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    return disc_done_evt(p, ev, BH_IRQ_GATTC_DESCRIPTOR_DONE);
}

const struct bh_gattc_ops bh_gattc_disc_dsc_ops = {
    .start = dsc_start, .rx = dsc_rx, .err = disc_err, .done = dsc_done,
};

/* The range excludes start, the characteristic value handle (API.md 1.3). */
int bh_gattc_disc_dscs(struct bh_conn *c, uint16_t start, uint16_t end)
{
    struct bh_gattc_proc *p;
    int err;

    if (start == 0 || start > end) {
        return -EINVAL;
    }
    err = bh_gattc_proc_new(c, BH_GATTC_KIND_DISC_DSC, &p);
    if (err != 0) {
        return err;
    }
    p->dsc.next = start < end ? (uint16_t)(start + 1) : 0;
    p->dsc.end = end;
    bh_gattc_proc_submit(p);
    return 0;
}

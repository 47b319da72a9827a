/* SPDX-License-Identifier: MIT */
/*
 * gattc_rw.c: GATT client reads, writes and the MTU exchange, Core 5.4
 * Vol 3 Part G 4.8.1 (read), 4.8.3 (long read with Read Blob), 4.9.1
 * (write without response), 4.9.3 (write with response) and 4.3.1
 * (Exchange MTU). Values are truncated to ATT_MTU-3 as MicroPython does
 * (API.md 1.3): no implicit long write. The engine is gattc.c; the bearer
 * and its MTU are att.c's.
 */
#include "gattc.h"

#include <errno.h>
#include <string.h>

#include "att.h"
#include "att_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "gattc"
#include "os/bh_log.h"

/* ---- read and long read ---------------------------------------------------------- */

/* Read Request (Part F 3.4.4.3) first, then Read Blob Requests (3.4.4.5)
 * from the offset reached. */
static enum bh_gattc_step read_start(struct bh_gattc_proc *p)
{
    struct bh_buf *buf = bh_gattc_buf_alloc(p);
    struct bh_wr w;

    if (buf == NULL) {
        return BH_GATTC_STEP_STALL;
    }
    bh_wr_init(&w, buf, bh_att_mtu(p->conn));
    bh_wr_u8(&w, p->read.offset == 0 ? BH_ATT_OP_READ_REQ : BH_ATT_OP_READ_BLOB_REQ);
    bh_wr_le16(&w, p->read.handle);
    if (p->read.offset != 0) {
        bh_wr_le16(&w, p->read.offset);
    }
    if (w.err) {
        bh_buf_unref(buf);
        return bh_gattc_finish_with(p, BH_GATTC_STATUS_SEND_FAILED);
    }
    return bh_gattc_send(p, buf);
}

/* Read Response / Read Blob Response (3.4.4.4, 3.4.4.6): the value (part),
 * at most ATT_MTU-1 bytes. Reported as one IRQ 15. */
static enum bh_gattc_step read_rx_part(struct bh_gattc_proc *p, struct bh_rd *r,
                                       uint16_t *n)
{
    struct bh_ble_event ev;
    uint16_t room = (uint16_t)(bh_att_mtu(p->conn) - 1);

    if (r->left > room) {
        return bh_gattc_bad_rsp(p, "read rsp longer than ATT_MTU-1");
    }
    memset(&ev, 0, sizeof(ev));
    ev.irq = BH_IRQ_GATTC_READ_RESULT;
    ev.data.handle = p->read.handle;
    ev.data.data = bh_rd_rest(r, n);
    ev.data.len = *n;
    return bh_gattc_emit_result(p, &ev) ? BH_GATTC_STEP_NEXT : BH_GATTC_STEP_GONE;
}

static enum bh_gattc_step read_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint16_t n = 0;
    enum bh_gattc_step step = read_rx_part(p, r, &n);

    return step == BH_GATTC_STEP_NEXT ? bh_gattc_finish_with(p, 0) : step;
}

/* Part G 4.8.3: a part shorter than ATT_MTU-1 is the last. The value can
 * be at most 512 bytes (Part F 3.2.9), which bounds the loop. */
static enum bh_gattc_step read_long_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint16_t n = 0;
    enum bh_gattc_step step = read_rx_part(p, r, &n);
    uint32_t offset = (uint32_t)p->read.offset + n;

    if (step != BH_GATTC_STEP_NEXT) {
        return step;
    }
    if (n < bh_att_mtu(p->conn) - 1 || offset >= BH_GATTC_ATTR_VALUE_MAX) {
        return bh_gattc_finish_with(p, 0);
    }
    p->read.offset = (uint16_t)offset;
    return BH_GATTC_STEP_NEXT;
}

/* A value that is an exact multiple of the part size ends with one of
 * these on the next Read Blob (Part F 3.4.4.5): the value is complete. */
static enum bh_gattc_step read_long_err(struct bh_gattc_proc *p, uint16_t handle, uint8_t code)
{
    (void)handle;
    if (p->read.offset != 0 &&
        (code == BH_ATT_ERR_INVALID_OFFSET || code == BH_ATT_ERR_ATTRIBUTE_NOT_LONG)) {
        return bh_gattc_finish_with(p, 0);
    }
    return bh_gattc_finish_with(p, code);
}

static bool read_done(const struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    ev->irq = BH_IRQ_GATTC_READ_DONE;
    ev->status.handle = p->read.handle;
    ev->status.status = p->status;
    return true;
}

const struct bh_gattc_ops bh_gattc_read_ops = {
    .start = read_start, .rx = read_rx, .err = NULL, .done = read_done,
};

const struct bh_gattc_ops bh_gattc_read_long_ops = {
    .start = read_start, .rx = read_long_rx, .err = read_long_err, .done = read_done,
};

static int read_submit(struct bh_conn *c, uint16_t handle, enum bh_gattc_kind kind)
{
    struct bh_gattc_proc *p;
    int err;

    if (handle == 0) {
        return -EINVAL;
    }
    err = bh_gattc_proc_new(c, kind, &p);
    if (err != 0) {
        return err;
    }
    p->read.handle = handle;
    bh_gattc_proc_submit(p);
    return 0;
}

int bh_gattc_read(struct bh_conn *c, uint16_t handle)
{
    return read_submit(c, handle, BH_GATTC_KIND_READ);
}

int bh_gattc_read_long(struct bh_conn *c, uint16_t handle)
{
    return read_submit(c, handle, BH_GATTC_KIND_READ_LONG);
}

/* ---- writes ------------------------------------------------------------------------------ */

/* <op> <handle> <value truncated to ATT_MTU-3> in a fresh buffer, or NULL. */
static struct bh_buf *write_build(struct bh_conn *c, uint8_t op, uint16_t handle,
                                  const uint8_t *value, size_t len)
{
    uint16_t mtu = bh_att_mtu(c);
    uint16_t n = (uint16_t)BH_MIN(len, (size_t)(mtu - 3));
    struct bh_buf *buf = bh_att_buf_alloc();
    struct bh_wr w;

    if (buf == NULL) {
        return NULL;
    }
    bh_wr_init(&w, buf, mtu);
    bh_wr_u8(&w, op);
    bh_wr_le16(&w, handle);
    bh_wr_mem(&w, value, n);
    if (w.err) {
        BH_LOG_ERR("write pdu does not fit its buffer (mtu %u)", mtu);
        bh_buf_unref(buf);
        return NULL;
    }
    return buf;
}

/* The PDU was built at the call; a bearer refusing it ends the write. */
static enum bh_gattc_step write_start(struct bh_gattc_proc *p)
{
    struct bh_buf *pdu = p->write.pdu;
    enum bh_gattc_step step;

    p->write.pdu = NULL;
    step = bh_gattc_send(p, pdu);
    if (step == BH_GATTC_STEP_STALL) {
        return bh_gattc_finish_with(p, BH_GATTC_STATUS_SEND_FAILED);
    }
    return step;
}

/* Write Response, Part F 3.4.5.2: no parameters. */
static enum bh_gattc_step write_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    if (r->left != 0) {
        return bh_gattc_bad_rsp(p, "write rsp with parameters");
    }
    return bh_gattc_finish_with(p, 0);
}

static bool write_done(const struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    ev->irq = BH_IRQ_GATTC_WRITE_DONE;
    ev->status.handle = p->write.handle;
    ev->status.status = p->status;
    return true;
}

const struct bh_gattc_ops bh_gattc_write_ops = {
    .start = write_start, .rx = write_rx, .err = NULL, .done = write_done,
};

int bh_gattc_write(struct bh_conn *c, uint16_t handle, const uint8_t *value, size_t len)
{
    struct bh_gattc_proc *p;
    int err;

    if (handle == 0 || (value == NULL && len != 0)) {
        return -EINVAL;
    }
    err = bh_gattc_proc_new(c, BH_GATTC_KIND_WRITE, &p);
    if (err != 0) {
        return err;
    }
    p->write.handle = handle;
    p->write.pdu = write_build(c, BH_ATT_OP_WRITE_REQ, handle, value, len);
    if (p->write.pdu == NULL) {
        bh_gattc_proc_discard(p);
        return -ENOMEM;
    }
    bh_gattc_proc_submit(p);
    return 0;
}

/* Write Command (Part F 3.4.5.3) takes no transaction: it goes now, beside
 * whatever request is outstanding. */
int bh_gattc_write_no_rsp(struct bh_conn *c, uint16_t handle, const uint8_t *value, size_t len)
{
    struct bh_buf *buf;
    int err = bh_gattc_link_check(c);

    if (err != 0) {
        return err;
    }
    if (handle == 0 || (value == NULL && len != 0)) {
        return -EINVAL;
    }
    buf = write_build(c, BH_ATT_OP_WRITE_CMD, handle, value, len);
    if (buf == NULL) {
        return -ENOMEM;
    }
    err = bh_att_client_send(c, buf); /* consumes buf */
    if (err == -ENOBUFS) {
        return -ENOMEM;
    }
    if (err == -EPIPE) {
        return -ENOTCONN;
    }
    return err;
}

/* ---- MTU exchange ---------------------------------------------------------------------- */

/* Exchange MTU Request, Part F 3.4.2.1: Client Rx MTU. */
static enum bh_gattc_step mtu_start(struct bh_gattc_proc *p)
{
    struct bh_buf *buf = bh_gattc_buf_alloc(p);
    struct bh_wr w;

    if (buf == NULL) {
        return BH_GATTC_STEP_STALL;
    }
    p->mtu.ours = bh_att_preferred_mtu();
    bh_wr_init(&w, buf, bh_att_mtu(p->conn));
    bh_wr_u8(&w, BH_ATT_OP_EXCHANGE_MTU_REQ);
    bh_wr_le16(&w, p->mtu.ours);
    if (w.err) {
        bh_buf_unref(buf);
        return bh_gattc_finish_with(p, BH_GATTC_STATUS_SEND_FAILED);
    }
    return bh_gattc_send(p, buf);
}

/* Exchange MTU Response, Part F 3.4.2.2: Server Rx MTU, exactly 2 bytes.
 * The link's ATT_MTU is the smaller of the two, never below 23 (3.4.2.2:
 * a smaller value is taken as 23). */
static enum bh_gattc_step mtu_rx(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint16_t theirs = bh_rd_le16(r);
    uint16_t mtu;

    if (!bh_rd_done(r)) {
        return bh_gattc_bad_rsp(p, "mtu rsp length");
    }
    mtu = BH_MIN(p->mtu.ours, theirs);
    mtu = BH_MAX(mtu, (uint16_t)BH_ATT_MTU_MIN);
    bh_att_set_mtu(p->conn, mtu);
    p->mtu.ours = mtu; /* the outcome, for the event */
    return bh_gattc_finish_with(p, 0);
}

static bool mtu_done(const struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    if (p->status != 0) {
        return false;
    }
    ev->irq = BH_IRQ_MTU_EXCHANGED;
    ev->mtu.mtu = p->mtu.ours;
    return true;
}

const struct bh_gattc_ops bh_gattc_mtu_ops = {
    .start = mtu_start, .rx = mtu_rx, .err = NULL, .done = mtu_done,
};

int bh_gattc_exchange_mtu(struct bh_conn *c)
{
    struct bh_gattc_proc *p;
    int err = bh_gattc_proc_new(c, BH_GATTC_KIND_MTU, &p);

    if (err != 0) {
        return err;
    }
    if (!bh_gattc_mtu_claim(c)) {
        bh_gattc_proc_discard(p);
        return -EALREADY;
    }
    bh_gattc_proc_submit(p);
    return 0;
}

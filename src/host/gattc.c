/* SPDX-License-Identifier: MIT */
/*
 * gattc.c: the GATT client procedure engine (Core 5.4 Vol 3 Part G 4).
 *
 * Owns the pool of procedures, one queue per link, the work item that
 * starts (or, after a buffer shortage, resumes) the procedure at the head of
 * each queue, and the client callbacks of att.h: the response to our
 * request, notifications/indications, the transaction timeout, link up and
 * down. What each kind of procedure sends and how it reads its responses is
 * in gattc_disc.c and gattc_rw.c, reached through one table of ops per kind.
 *
 * Requests are only ever sent from the work item, never from inside
 * bh_gattc_rx_rsp() (att.c may still be closing the previous transaction)
 * nor from an API call (so no event is emitted synchronously inside one).
 */
#include "gattc.h"

#include <errno.h>
#include <string.h>

#include "att.h"
#include "att_spec.h"
#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "gattc"
#include "os/bh_log.h"

struct gattc_link {
    struct bh_fifo queue; /* head = the running procedure */
    bool up;
    bool dead;           /* ATT transaction timed out: no more requests */
    bool mtu_requested;  /* Exchange MTU is allowed once per link */
};

static void gattc_resume(struct bh_work *work);

static struct gattc_ctx {
    struct bh_gattc_proc procs[BH_CONFIG_GATTC_MAX_PROCS];
    struct gattc_link links[BH_CONFIG_MAX_CONN];
    struct bh_work resume;
    struct bh_gattc_stats stats;
    uint16_t serial;
} gattc_ctx; /* zero-initialised (.bss); bh_gattc_init() sets the work up */

static const struct bh_gattc_ops *const gattc_ops[BH_GATTC_KIND_COUNT] = {
    [BH_GATTC_KIND_DISC_SVC_ALL] = &bh_gattc_disc_svc_all_ops,
    [BH_GATTC_KIND_DISC_SVC_UUID] = &bh_gattc_disc_svc_uuid_ops,
    [BH_GATTC_KIND_DISC_CHR] = &bh_gattc_disc_chr_ops,
    [BH_GATTC_KIND_DISC_DSC] = &bh_gattc_disc_dsc_ops,
    [BH_GATTC_KIND_READ] = &bh_gattc_read_ops,
    [BH_GATTC_KIND_READ_LONG] = &bh_gattc_read_long_ops,
    [BH_GATTC_KIND_WRITE] = &bh_gattc_write_ops,
    [BH_GATTC_KIND_MTU] = &bh_gattc_mtu_ops,
};

/* Bluetooth Base UUID 00000000-0000-1000-8000-00805F9B34FB, little-endian,
 * Core 5.4 Vol 3 Part B 2.5.1 */
static const uint8_t gattc_base_uuid[16] = {
    0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0, 0, 0, 0,
};

static const char *const gattc_state_names[] = {"IDLE", "READY", "STALLED", "WAIT_RSP", "DONE"};

static const struct bh_gattc_ops *gattc_ops_of(const struct bh_gattc_proc *p)
{
    BH_ASSERT(p->kind > BH_GATTC_KIND_NONE && p->kind < BH_GATTC_KIND_COUNT);
    return gattc_ops[p->kind];
}

static struct gattc_link *gattc_link_of(const struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);

    BH_ASSERT(i < BH_CONFIG_MAX_CONN);
    return &gattc_ctx.links[i];
}

/* Entering IDLE releases what the procedure holds; nothing else is armed
 * per procedure (the transaction timer is att.c's, the buffer wait is the
 * engine's shared work item). */
static void gattc_set_state(struct bh_gattc_proc *p, enum bh_gattc_state st)
{
    BH_LOG_DBG("conn 0x%04x proc %u kind %u %s -> %s", p->conn ? p->conn->handle : 0xffffu,
               (unsigned)(p - gattc_ctx.procs), p->kind, gattc_state_names[p->state],
               gattc_state_names[st]);
    if (st == BH_GATTC_STATE_IDLE && p->kind == BH_GATTC_KIND_WRITE) {
        bh_buf_unref(p->write.pdu);
        p->write.pdu = NULL;
    }
    p->state = (uint8_t)st;
}

void bh_gattc_init(void)
{
    bh_work_cancel(&gattc_ctx.resume);
    for (unsigned i = 0; i < BH_CONFIG_GATTC_MAX_PROCS; i++) {
        if (gattc_ctx.procs[i].state != BH_GATTC_STATE_IDLE) {
            gattc_set_state(&gattc_ctx.procs[i], BH_GATTC_STATE_IDLE);
        }
    }
    memset(&gattc_ctx, 0, sizeof(gattc_ctx));
    bh_work_init(&gattc_ctx.resume, gattc_resume);
}

const struct bh_gattc_stats *bh_gattc_stats(void)
{
    return &gattc_ctx.stats;
}

unsigned bh_gattc_procs_in_use(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < BH_CONFIG_GATTC_MAX_PROCS; i++) {
        n += gattc_ctx.procs[i].state != BH_GATTC_STATE_IDLE;
    }
    return n;
}

/* ---- procedures: allocation, queueing, completion ---------------------------- */

int bh_gattc_link_check(const struct bh_conn *c)
{
    const struct gattc_link *link;

    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
        return -ENOTCONN;
    }
    link = gattc_link_of(c);
    if (!link->up || link->dead || bh_att_is_dead(c)) {
        return -ENOTCONN;
    }
    return 0;
}

int bh_gattc_proc_new(struct bh_conn *c, enum bh_gattc_kind kind, struct bh_gattc_proc **out)
{
    int err = bh_gattc_link_check(c);

    *out = NULL;
    if (err != 0) {
        return err;
    }
    for (unsigned i = 0; i < BH_CONFIG_GATTC_MAX_PROCS; i++) {
        struct bh_gattc_proc *p = &gattc_ctx.procs[i];

        if (p->state != BH_GATTC_STATE_IDLE) {
            continue;
        }
        memset(p, 0, sizeof(*p));
        p->conn = c;
        p->kind = (uint8_t)kind;
        p->serial = ++gattc_ctx.serial;
        gattc_set_state(p, BH_GATTC_STATE_READY);
        *out = p;
        return 0;
    }
    gattc_ctx.stats.no_proc++;
    return -ENOMEM;
}

void bh_gattc_proc_submit(struct bh_gattc_proc *p)
{
    bh_fifo_put(&gattc_link_of(p->conn)->queue, &p->node);
    bh_work_submit(&gattc_ctx.resume);
}

void bh_gattc_proc_discard(struct bh_gattc_proc *p)
{
    gattc_set_state(p, BH_GATTC_STATE_IDLE);
}

/* Take p off its queue and free it, then give the application the final
 * event: last, because the callback may start new procedures. */
static void gattc_finish(struct bh_gattc_proc *p)
{
    struct bh_ble_event ev;
    bool emit;

    memset(&ev, 0, sizeof(ev));
    gattc_set_state(p, BH_GATTC_STATE_DONE);
    emit = gattc_ops_of(p)->done(p, &ev);
    ev.conn = p->conn->handle;
    bh_fifo_remove(&gattc_link_of(p->conn)->queue, &p->node);
    gattc_set_state(p, BH_GATTC_STATE_IDLE);
    bh_work_submit(&gattc_ctx.resume); /* the next in the queue, if any */
    if (emit) {
        bh_ble_emit(&ev);
    }
}

enum bh_gattc_step bh_gattc_finish_with(struct bh_gattc_proc *p, uint16_t status)
{
    p->status = status;
    return BH_GATTC_STEP_DONE;
}

enum bh_gattc_step bh_gattc_bad_rsp(struct bh_gattc_proc *p, const char *why)
{
    gattc_ctx.stats.rx_bad_rsp++;
    BH_LOG_WRN("conn 0x%04x bad response to op 0x%02x: %s", p->conn->handle, p->req_op, why);
    return bh_gattc_finish_with(p, BH_GATTC_STATUS_BAD_RSP);
}

/* End every procedure of the link with status (timeout, link down). New
 * ones cannot join meanwhile: the caller has marked the link unusable. */
static void gattc_fail_link(struct gattc_link *link, uint16_t status)
{
    struct bh_snode *n;

    while ((n = bh_fifo_peek(&link->queue)) != NULL) {
        struct bh_gattc_proc *p = BH_CONTAINER_OF(n, struct bh_gattc_proc, node);

        p->status = status;
        gattc_finish(p);
    }
}

/* ---- sending -------------------------------------------------------------------- */

struct bh_buf *bh_gattc_buf_alloc(struct bh_gattc_proc *p)
{
    struct bh_buf *buf = bh_att_buf_alloc();

    if (buf == NULL) {
        BH_LOG_DBG("conn 0x%04x no transmit buffer: proc stalls", p->conn->handle);
    }
    return buf;
}

enum bh_gattc_step bh_gattc_send(struct bh_gattc_proc *p, struct bh_buf *buf)
{
    uint8_t op = buf->len > 0 ? buf->data[0] : 0;
    int err = bh_att_client_send(p->conn, buf); /* consumes buf */

    if (err == 0) {
        p->req_op = op;
        return BH_GATTC_STEP_SENT;
    }
    if (err == -ENOBUFS || err == -ENOMEM) {
        return BH_GATTC_STEP_STALL;
    }
    BH_LOG_WRN("conn 0x%04x op 0x%02x not sent: %d", p->conn->handle, op, err);
    if (err == -ENOTCONN) {
        return bh_gattc_finish_with(p, BH_GATTC_STATUS_DISCONNECTED);
    }
    if (err == -EPIPE) {
        return bh_gattc_finish_with(p, BH_GATTC_STATUS_TIMEOUT);
    }
    return bh_gattc_finish_with(p, BH_GATTC_STATUS_SEND_FAILED);
}

/* Start (or resume) the head of one link's queue; a procedure that ends
 * without sending anything lets the next one start at once. */
static void gattc_run_link(struct gattc_link *link)
{
    struct bh_snode *n;

    while (link->up && (n = bh_fifo_peek(&link->queue)) != NULL) {
        struct bh_gattc_proc *p = BH_CONTAINER_OF(n, struct bh_gattc_proc, node);
        enum bh_gattc_step step;

        if (p->state != BH_GATTC_STATE_READY && p->state != BH_GATTC_STATE_STALLED) {
            return;
        }
        step = gattc_ops_of(p)->start(p);
        if (step == BH_GATTC_STEP_SENT) {
            gattc_set_state(p, BH_GATTC_STATE_WAIT_RSP);
            return;
        }
        if (step == BH_GATTC_STEP_STALL) {
            gattc_set_state(p, BH_GATTC_STATE_STALLED);
            gattc_ctx.stats.tx_stalled++;
            bh_buf_pool_wait(bh_hci_acl_pool(), &gattc_ctx.resume);
            return;
        }
        BH_ASSERT(step == BH_GATTC_STEP_DONE);
        gattc_finish(p);
    }
}

static void gattc_resume(struct bh_work *work)
{
    (void)work;
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        gattc_run_link(&gattc_ctx.links[i]);
    }
}

/* ---- receiving -------------------------------------------------------------------- */

bool bh_gattc_emit_result(struct bh_gattc_proc *p, struct bh_ble_event *ev)
{
    uint16_t serial = p->serial;

    ev->conn = p->conn->handle;
    bh_ble_emit(ev);
    return p->state != BH_GATTC_STATE_IDLE && p->serial == serial;
}

/* Error Response, Core 5.4 Vol 3 Part F 3.4.1.1: Request Opcode In Error,
 * Attribute Handle In Error, Error Code; exactly 4 bytes. It must name our
 * request, and code 0 is reserved (it would read as success). */
static enum bh_gattc_step gattc_rx_error_rsp(struct bh_gattc_proc *p, struct bh_rd *r)
{
    uint8_t req = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t code = bh_rd_u8(r);
    const struct bh_gattc_ops *ops = gattc_ops_of(p);

    if (!bh_rd_done(r)) {
        return bh_gattc_bad_rsp(p, "error rsp length");
    }
    if (req != p->req_op || code == 0) {
        return bh_gattc_bad_rsp(p, "error rsp names another request");
    }
    if (ops->err == NULL) {
        return bh_gattc_finish_with(p, code);
    }
    return ops->err(p, handle, code);
}

void bh_gattc_rx_rsp(struct bh_conn *c, uint8_t opcode, struct bh_rd *r)
{
    struct gattc_link *link = gattc_link_of(c);
    struct bh_snode *n = bh_fifo_peek(&link->queue);
    struct bh_gattc_proc *p = n ? BH_CONTAINER_OF(n, struct bh_gattc_proc, node) : NULL;
    enum bh_gattc_step step;

    if (p == NULL || p->state != BH_GATTC_STATE_WAIT_RSP) {
        gattc_ctx.stats.rx_unexpected++;
        BH_LOG_WRN("conn 0x%04x op 0x%02x: no request outstanding, dropped", c->handle, opcode);
        return;
    }
    if (opcode == BH_ATT_OP_ERROR_RSP) {
        step = gattc_rx_error_rsp(p, r);
    } else if (opcode != (uint8_t)(p->req_op + 1)) {
        /* Every ATT response opcode is its request's plus one (Part F 3.4.8). */
        step = bh_gattc_bad_rsp(p, "unexpected response opcode");
    } else {
        step = gattc_ops_of(p)->rx(p, r);
    }
    if (step == BH_GATTC_STEP_NEXT) {
        gattc_set_state(p, BH_GATTC_STATE_READY);
        bh_work_submit(&gattc_ctx.resume);
    } else if (step == BH_GATTC_STEP_DONE) {
        gattc_finish(p);
    }
}

void bh_gattc_rx_notify(struct bh_conn *c, bool indication, uint16_t handle,
                        const uint8_t *value, uint16_t len)
{
    struct bh_ble_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.irq = indication ? BH_IRQ_GATTC_INDICATE : BH_IRQ_GATTC_NOTIFY;
    ev.conn = c->handle;
    ev.data.handle = handle;
    ev.data.data = value;
    ev.data.len = len;
    gattc_ctx.stats.notify_rx++;
    bh_ble_emit(&ev);
}

void bh_gattc_on_timeout(struct bh_conn *c)
{
    struct gattc_link *link = gattc_link_of(c);

    BH_LOG_WRN("conn 0x%04x ATT transaction timeout: client procedures fail", c->handle);
    link->dead = true;
    gattc_fail_link(link, BH_GATTC_STATUS_TIMEOUT);
}

/* ---- link lifecycle (called by gap_conn.c) ------------------------------------------ */

void bh_gattc_conn_up(struct bh_conn *c)
{
    struct gattc_link *link = gattc_link_of(c);

    BH_ASSERT(bh_fifo_is_empty(&link->queue));
    bh_fifo_init(&link->queue);
    link->up = true;
    link->dead = false;
    link->mtu_requested = false;
}

/* Like NimBLE's binding (MicroPython's reference), every procedure of the
 * link still reports its done-event, with BH_GATTC_STATUS_DISCONNECTED, so
 * an application waiting for "done" is never left hanging. */
void bh_gattc_conn_down(struct bh_conn *c)
{
    struct gattc_link *link = gattc_link_of(c);

    link->up = false;
    gattc_fail_link(link, BH_GATTC_STATUS_DISCONNECTED);
}

bool bh_gattc_mtu_claim(struct bh_conn *c)
{
    struct gattc_link *link = gattc_link_of(c);
    bool first = !link->mtu_requested;

    link->mtu_requested = true;
    return first;
}

/* ---- UUIDs -------------------------------------------------------------------------------- */

bool bh_gattc_uuid_valid(const struct bh_uuid *u)
{
    return u != NULL && (u->type == 2 || u->type == 4 || u->type == 16);
}

void bh_gattc_uuid_from_wire(struct bh_uuid *u, const uint8_t *p, uint16_t len)
{
    memset(u, 0, sizeof(*u));
    BH_ASSERT(len == 2 || len == 16);
    u->type = (uint8_t)len;
    memcpy(u->data, p, len);
}

static void gattc_uuid_to128(const struct bh_uuid *u, uint8_t out[16])
{
    if (u->type == 16) {
        memcpy(out, u->data, 16);
        return;
    }
    memcpy(out, gattc_base_uuid, 16);
    memcpy(&out[12], u->data, u->type); /* 2 or 4 bytes */
}

bool bh_gattc_uuid_eq(const struct bh_uuid *a, const struct bh_uuid *b)
{
    uint8_t x[16], y[16];

    gattc_uuid_to128(a, x);
    gattc_uuid_to128(b, y);
    return memcmp(x, y, sizeof(x)) == 0;
}

/* ATT carries 16- and 128-bit UUIDs only (Part F 3.2.1): 32-bit ones widen. */
void bh_gattc_uuid_to_wire(struct bh_wr *w, const struct bh_uuid *u)
{
    uint8_t full[16];

    if (u->type == 2) {
        bh_wr_mem(w, u->data, 2);
        return;
    }
    gattc_uuid_to128(u, full);
    bh_wr_mem(w, full, sizeof(full));
}

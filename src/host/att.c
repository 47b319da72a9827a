/* SPDX-License-Identifier: MIT */
/*
 * att.c: the ATT bearer on L2CAP CID 0x0004 (Core 5.4 Vol 3 Part F).
 *
 * Owns, per connection (array indexed by bh_conn_index()): ATT_MTU, the
 * one-outstanding-request rule in each direction (3.3.2), the 30 s
 * transaction timers of our own requests and indications (3.3.3: after one
 * expires the bearer is dead and nothing more is sent or accepted), the
 * Exchange MTU server side (3.4.2), and the dispatch of every received PDU
 * through one table, att_rx_table[], whose rows give the opcode, the PDU
 * kind and the handler. Server requests go to gatts_read.c and
 * gatts_write.c (bh_gatts_rx_*),
 * client-side PDUs to gattc.c (bh_gattc_rx_rsp, bh_gattc_rx_notify).
 *
 * "Owe it, send when allowed": a request is answered from one place
 * (att_rx_request) which allocates the response buffer before the handler
 * runs, so a handler never acts without being able to answer. When the
 * transmit pool is empty the request is copied (into a buffer of the ACL
 * receive pool, which is sized for whole PDUs) and replayed by the bearer's
 * work item once bh_buf_pool_wait() reports a free buffer. An owed Handle
 * Value Confirmation is a flag served by the same work item.
 */
#include "att.h"

#include <errno.h>
#include <string.h>

#include "att_spec.h"
#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "gatts.h"
#include "l2cap.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "att"
#include "os/bh_log.h"

enum att_kind {
    ATT_KIND_REQ = 0, /* needs a response from us */
    ATT_KIND_CMD,     /* no response, errors dropped */
    ATT_KIND_RSP,     /* answers our request */
    ATT_KIND_NTF,
    ATT_KIND_IND, /* needs our confirmation */
    ATT_KIND_CFM, /* confirms our indication */
};

struct att_bearer {
    struct bh_conn *conn; /* NULL: no bearer */
    uint16_t mtu;
    bool dead;           /* a transaction timed out (3.3.3) */
    uint8_t client_op;   /* our outstanding request, 0: none */
    bool ind_out;        /* our indication waits for its confirmation */
    bool owe_cfm;        /* a confirmation found no buffer */
    struct bh_buf *owed; /* copy of a request whose response found no buffer */
    struct bh_dwork client_timer;
    struct bh_dwork ind_timer;
    struct bh_work tx_work;
};

static struct {
    struct att_bearer bearers[BH_CONFIG_MAX_CONN];
    uint16_t preferred_mtu; /* 0: BH_CONFIG_ATT_MTU_DEFAULT */
    uint8_t rx_op;          /* opcode of the PDU being dispatched */
    struct bh_att_stats stats;
} att;

_Static_assert(BH_CONFIG_ATT_MTU_DEFAULT >= BH_ATT_MTU_MIN &&
                   BH_CONFIG_ATT_MTU_DEFAULT <= BH_CONFIG_ATT_MTU_MAX,
               "preferred ATT_MTU out of range");

typedef int (*att_handler_t)(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);

struct att_row {
    uint8_t op;
    uint8_t kind; /* enum att_kind */
    att_handler_t fn;
};

static int att_rx_exchange_mtu_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
static int att_rx_rsp(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
static int att_rx_handle_value_ntf(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
static int att_rx_multiple_handle_value_ntf(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
static int att_rx_handle_value_ind(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
static int att_rx_handle_value_cfm(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
static int att_rx_signed_write_cmd(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);

/* Every PDU of Core 5.4 Vol 3 Part F 3.4.8 Table 3.37 we know. Server
 * requests: gatts_read.c / gatts_write.c; responses: matched here, then
 * gattc.c. */
static const struct att_row att_rx_table[] = {
    {BH_ATT_OP_ERROR_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_EXCHANGE_MTU_REQ, ATT_KIND_REQ, att_rx_exchange_mtu_req},
    {BH_ATT_OP_EXCHANGE_MTU_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_FIND_INFORMATION_REQ, ATT_KIND_REQ, bh_gatts_rx_find_information_req},
    {BH_ATT_OP_FIND_INFORMATION_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_FIND_BY_TYPE_VALUE_REQ, ATT_KIND_REQ, bh_gatts_rx_find_by_type_value_req},
    {BH_ATT_OP_FIND_BY_TYPE_VALUE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_READ_BY_TYPE_REQ, ATT_KIND_REQ, bh_gatts_rx_read_by_type_req},
    {BH_ATT_OP_READ_BY_TYPE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_READ_REQ, ATT_KIND_REQ, bh_gatts_rx_read_req},
    {BH_ATT_OP_READ_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_READ_BLOB_REQ, ATT_KIND_REQ, bh_gatts_rx_read_blob_req},
    {BH_ATT_OP_READ_BLOB_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_READ_MULTIPLE_REQ, ATT_KIND_REQ, bh_gatts_rx_read_multiple_req},
    {BH_ATT_OP_READ_MULTIPLE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_READ_BY_GROUP_TYPE_REQ, ATT_KIND_REQ, bh_gatts_rx_read_by_group_type_req},
    {BH_ATT_OP_READ_BY_GROUP_TYPE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_WRITE_REQ, ATT_KIND_REQ, bh_gatts_rx_write_req},
    {BH_ATT_OP_WRITE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_PREPARE_WRITE_REQ, ATT_KIND_REQ, bh_gatts_rx_prepare_write_req},
    {BH_ATT_OP_PREPARE_WRITE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_EXECUTE_WRITE_REQ, ATT_KIND_REQ, bh_gatts_rx_execute_write_req},
    {BH_ATT_OP_EXECUTE_WRITE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_HANDLE_VALUE_NTF, ATT_KIND_NTF, att_rx_handle_value_ntf},
    {BH_ATT_OP_HANDLE_VALUE_IND, ATT_KIND_IND, att_rx_handle_value_ind},
    {BH_ATT_OP_HANDLE_VALUE_CFM, ATT_KIND_CFM, att_rx_handle_value_cfm},
    {BH_ATT_OP_READ_MULTIPLE_VARIABLE_REQ, ATT_KIND_REQ, bh_gatts_rx_read_multiple_variable_req},
    {BH_ATT_OP_READ_MULTIPLE_VARIABLE_RSP, ATT_KIND_RSP, att_rx_rsp},
    {BH_ATT_OP_MULTIPLE_HANDLE_VALUE_NTF, ATT_KIND_NTF, att_rx_multiple_handle_value_ntf},
    {BH_ATT_OP_WRITE_CMD, ATT_KIND_CMD, bh_gatts_rx_write_cmd},
    {BH_ATT_OP_SIGNED_WRITE_CMD, ATT_KIND_CMD, att_rx_signed_write_cmd},
};

static const struct att_row *att_row_find(uint8_t op)
{
    for (size_t i = 0; i < BH_ARRAY_SIZE(att_rx_table); i++) {
        if (att_rx_table[i].op == op) {
            return &att_rx_table[i];
        }
    }
    return NULL;
}

void bh_att_init(void)
{
    /* Links are all down here (bh_att_conn_down ran for each); the preferred
     * MTU is a setting and survives a restart. */
    memset(att.bearers, 0, sizeof(att.bearers));
    memset(&att.stats, 0, sizeof(att.stats));
}

static struct att_bearer *bearer(const struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);

    BH_ASSERT(i < BH_CONFIG_MAX_CONN);
    return &att.bearers[i];
}

/* ---- MTU -------------------------------------------------------------------- */

uint16_t bh_att_mtu(const struct bh_conn *c)
{
    const struct att_bearer *b = bearer(c);

    return b->conn != NULL ? b->mtu : BH_ATT_MTU_MIN;
}

int bh_att_set_preferred_mtu(uint16_t mtu)
{
    if (mtu < BH_ATT_MTU_MIN || mtu > BH_CONFIG_ATT_MTU_MAX) {
        return -EINVAL;
    }
    att.preferred_mtu = mtu;
    return 0;
}

uint16_t bh_att_preferred_mtu(void)
{
    return att.preferred_mtu != 0 ? att.preferred_mtu : BH_CONFIG_ATT_MTU_DEFAULT;
}

void bh_att_set_mtu(struct bh_conn *c, uint16_t mtu)
{
    struct att_bearer *b = bearer(c);

    b->mtu = BH_MAX(BH_MIN(mtu, (uint16_t)BH_CONFIG_ATT_MTU_MAX), (uint16_t)BH_ATT_MTU_MIN);
}

bool bh_att_is_dead(const struct bh_conn *c)
{
    return bearer(c)->dead;
}

bool bh_att_indication_pending(const struct bh_conn *c)
{
    return bearer(c)->ind_out;
}

const struct bh_att_stats *bh_att_stats(void)
{
    return &att.stats;
}

struct bh_buf *bh_att_buf_alloc(void)
{
    return bh_l2cap_buf_alloc();
}

/* ---- transmit --------------------------------------------------------------- */

static int att_send(struct att_bearer *b, struct bh_buf *buf)
{
    if (b->conn == NULL) {
        bh_buf_unref(buf);
        return -ENOTCONN;
    }
    if (b->dead) {
        bh_buf_unref(buf);
        return -EPIPE;
    }
    return bh_l2cap_send(b->conn, BH_L2CAP_CID_ATT, buf); /* consumes buf */
}

/* Wait for the transmit pool, then run the bearer's work item. */
static void att_wait_buf(struct att_bearer *b)
{
    att.stats.tx_no_buf++;
    bh_buf_pool_wait(bh_hci_acl_pool(), &b->tx_work);
}

static int att_send_cfm(struct att_bearer *b)
{
    struct bh_buf *buf = bh_att_buf_alloc();

    if (buf == NULL) {
        b->owe_cfm = true;
        att_wait_buf(b);
        return -ENOBUFS;
    }
    b->owe_cfm = false;
    bh_buf_add_u8(buf, BH_ATT_OP_HANDLE_VALUE_CFM);
    return att_send(b, buf);
}

int bh_att_client_send(struct bh_conn *c, struct bh_buf *buf)
{
    struct att_bearer *b = bearer(c);
    const struct att_row *row = buf != NULL && buf->len != 0 ? att_row_find(buf->data[0]) : NULL;

    if (row == NULL || (row->kind != ATT_KIND_REQ && row->kind != ATT_KIND_CMD)) {
        bh_buf_unref(buf);
        return -EINVAL;
    }
    if (b->conn == NULL || b->dead) {
        bh_buf_unref(buf);
        return b->conn == NULL ? -ENOTCONN : -EPIPE;
    }
    if (row->kind == ATT_KIND_CMD) {
        return att_send(b, buf);
    }
    if (b->client_op != 0) {
        bh_buf_unref(buf);
        return -EBUSY; /* one request at a time, 3.3.2 */
    }
    b->client_op = row->op;
    bh_dwork_reschedule(&b->client_timer, BH_ATT_TIMEOUT_MS);
    return att_send(b, buf);
}

int bh_att_server_send(struct bh_conn *c, struct bh_buf *buf)
{
    struct att_bearer *b = bearer(c);
    uint8_t op = buf != NULL && buf->len != 0 ? buf->data[0] : 0;

    if (op != BH_ATT_OP_HANDLE_VALUE_NTF && op != BH_ATT_OP_HANDLE_VALUE_IND) {
        bh_buf_unref(buf);
        return -EINVAL;
    }
    if (op == BH_ATT_OP_HANDLE_VALUE_IND && b->conn != NULL && !b->dead) {
        if (b->ind_out) {
            bh_buf_unref(buf);
            return -EBUSY; /* one indication at a time, 3.4.7.2 */
        }
        b->ind_out = true;
        bh_dwork_reschedule(&b->ind_timer, BH_ATT_TIMEOUT_MS);
    }
    return att_send(b, buf);
}

/* ---- requests from the peer: one place answers ------------------------------ */

/* Keep a copy of the request to answer when a buffer frees ("owe it"). */
static void att_owe(struct att_bearer *b, uint8_t op, struct bh_rd *r)
{
    struct bh_buf *copy = bh_buf_alloc(bh_hci_acl_rx_pool(), 0);

    if (copy == NULL || bh_buf_add_u8(copy, op) != 0 || bh_buf_add_mem(copy, r->p, r->left) != 0) {
        /* Both pools empty: nothing left to keep the request in. */
        BH_LOG_ERR("conn 0x%04x op 0x%02x: no buffer to defer the response", b->conn->handle, op);
        bh_buf_unref(copy);
        att.stats.tx_no_buf++;
        return;
    }
    b->owed = copy;
    att_wait_buf(b);
}

static void att_write_err(struct bh_wr *w, struct bh_buf *buf, uint16_t mtu, uint8_t op,
                          uint16_t handle, uint8_t code)
{
    bh_buf_truncate(buf, 0);
    bh_wr_init(w, buf, mtu);
    bh_wr_u8(w, BH_ATT_OP_ERROR_RSP); /* Core 5.4 Vol 3 Part F 3.4.1.1 */
    bh_wr_u8(w, op);
    bh_wr_le16(w, handle);
    bh_wr_u8(w, code);
    if (code == BH_ATT_ERR_INVALID_PDU) {
        att.stats.rx_invalid_pdu++;
    } else if (code == BH_ATT_ERR_REQUEST_NOT_SUPPORTED) {
        att.stats.rx_unsupported++;
    }
}

/* Answer one request: fn (NULL: Request Not Supported) writes the response
 * or returns the error to send. */
static void att_rx_request(struct att_bearer *b, uint8_t op, att_handler_t fn, struct bh_rd *r)
{
    struct bh_buf *buf = bh_att_buf_alloc();
    struct bh_wr w;
    int res;

    if (buf == NULL) {
        att_owe(b, op, r);
        return;
    }
    bh_wr_init(&w, buf, b->mtu);
    res = fn != NULL ? fn(b->conn, r, &w) : BH_GATTS_ERR(0, BH_ATT_ERR_REQUEST_NOT_SUPPORTED);
    if (res == 0 && w.err) {
        BH_LOG_ERR("op 0x%02x: response overflowed", op);
        res = BH_GATTS_ERR(0, BH_ATT_ERR_UNLIKELY_ERROR);
    }
    if (res != 0) {
        BH_LOG_DBG("conn 0x%04x op 0x%02x: error 0x%02x handle 0x%04x", b->conn->handle, op,
                   BH_GATTS_ERR_CODE(res), BH_GATTS_ERR_HANDLE(res));
        att_write_err(&w, buf, b->mtu, op, BH_GATTS_ERR_HANDLE(res), BH_GATTS_ERR_CODE(res));
    }
    att_send(b, buf);
}

/* Exchange MTU Request, Core 5.4 Vol 3 Part F 3.4.2.1: answer with ours;
 * ATT_MTU = min(theirs, ours), never below 23. IRQ 21 on this side too. */
static int att_rx_exchange_mtu_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    struct att_bearer *b = bearer(c);
    uint16_t client_mtu = bh_rd_le16(r);
    uint16_t ours = bh_att_preferred_mtu();
    struct bh_ble_event ev = {.irq = BH_IRQ_MTU_EXCHANGED, .conn = c->handle};

    if (!bh_rd_done(r)) {
        return BH_GATTS_ERR(0, BH_ATT_ERR_INVALID_PDU);
    }
    bh_wr_u8(w, BH_ATT_OP_EXCHANGE_MTU_RSP);
    bh_wr_le16(w, ours);
    bh_att_set_mtu(c, BH_MIN(client_mtu, ours));
    ev.mtu.mtu = b->mtu;
    bh_ble_emit(&ev);
    return 0;
}

/* ---- client side ------------------------------------------------------------ */

/* A response (or Error Response) must answer our outstanding request:
 * its opcode is the request's + 1 (3.3.1). Anything else is dropped. */
static int att_rx_rsp(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    struct att_bearer *b = bearer(c);
    uint8_t op = att.rx_op;
    bool match = b->client_op != 0 &&
                 (op == b->client_op + 1 ||
                  (op == BH_ATT_OP_ERROR_RSP && r->left >= 1 && r->p[0] == b->client_op));

    if (!match) {
        att.stats.rx_unexpected_rsp++;
        BH_LOG_WRN("conn 0x%04x: unexpected response 0x%02x", c->handle, op);
        return 0;
    }
    b->client_op = 0; /* before the callback: gattc may send the next request */
    bh_dwork_cancel(&b->client_timer);
    bh_gattc_rx_rsp(c, op, r);
    return 0;
}

/* Handle Value Notification, 3.4.7.1. */
static int att_rx_handle_value_ntf(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    uint16_t handle = bh_rd_le16(r), len;
    const uint8_t *v = bh_rd_rest(r, &len);

    if (r->err) {
        att.stats.rx_dropped++;
        return 0;
    }
    bh_gattc_rx_notify(c, false, handle, v, len);
    return 0;
}

/* Multiple Handle Value Notification, 3.4.7.4: (handle, length, value)... */
static int att_rx_multiple_handle_value_ntf(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    struct bh_rd scan = *r;

    while (scan.left != 0) { /* validate the whole PDU before delivering any of it */
        bh_rd_le16(&scan);
        bh_rd_mem(&scan, bh_rd_le16(&scan));
    }
    if (scan.err || r->left < 8) {
        att.stats.rx_dropped++;
        return 0;
    }
    while (r->left != 0) {
        uint16_t handle = bh_rd_le16(r), len = bh_rd_le16(r);
        const uint8_t *v = bh_rd_mem(r, len);
        bh_gattc_rx_notify(c, false, handle, v, len);
    }
    return 0;
}

/* Handle Value Indication, 3.4.7.2: deliver, then confirm (3.4.7.3). */
static int att_rx_handle_value_ind(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    struct att_bearer *b = bearer(c);
    uint16_t handle = bh_rd_le16(r), len;
    const uint8_t *v = bh_rd_rest(r, &len);

    if (r->err) {
        att.stats.rx_dropped++;
        return 0;
    }
    bh_gattc_rx_notify(c, true, handle, v, len);
    if (b->conn == c) {
        att_send_cfm(b);
    }
    return 0;
}

/* ---- server side: confirmations, commands ----------------------------------- */

static int att_rx_handle_value_cfm(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    struct att_bearer *b = bearer(c);

    if (r->left != 0) {
        att.stats.rx_dropped++; /* malformed (3.4.7.3 has no parameters) */
        return 0;
    }
    if (!b->ind_out) {
        att.stats.rx_unexpected_rsp++;
        BH_LOG_WRN("conn 0x%04x: unexpected confirmation", c->handle);
        return 0;
    }
    b->ind_out = false;
    bh_dwork_cancel(&b->ind_timer);
    bh_gatts_on_indication_done(c, 0);
    return 0;
}

/* Signed Write Command, 3.4.5.4: we keep no CSRK, so it is dropped. */
static int att_rx_signed_write_cmd(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w)
{
    att.stats.rx_dropped++;
    return 0;
}

/* ---- dispatch --------------------------------------------------------------- */

void bh_att_rx(struct bh_conn *c, struct bh_rd *r)
{
    struct att_bearer *b = bearer(c);
    uint8_t op = bh_rd_u8(r);
    const struct att_row *row = att_row_find(op);

    if (r->err || b->conn != c || b->dead) {
        att.stats.rx_dropped++; /* empty PDU, no bearer, or a dead one (3.3.3) */
        return;
    }
    BH_LOG_DBG("conn 0x%04x rx op 0x%02x len %u", c->handle, op, (unsigned)r->left);
    if (row == NULL && (op & BH_ATT_OP_CMD_FLAG) != 0) {
        att.stats.rx_dropped++; /* an unknown command is ignored, 3.3.1 */
        return;
    }
    if (row == NULL || row->kind == ATT_KIND_REQ) {
        if (b->owed != NULL) {
            /* The client sent a second request before our answer (3.3.2). */
            att.stats.rx_dropped++;
            BH_LOG_WRN("conn 0x%04x: request 0x%02x while one is pending", c->handle, op);
            return;
        }
        att_rx_request(b, op, row != NULL ? row->fn : NULL, r);
        return;
    }
    att.rx_op = op;
    row->fn(c, r, NULL);
}

/* ---- timers and deferred transmit ------------------------------------------- */

static void att_set_dead(struct att_bearer *b)
{
    BH_LOG_WRN("conn 0x%04x: ATT transaction timeout, bearer closed", b->conn->handle);
    b->dead = true;
    att.stats.timeouts++;
}

/* Core 5.4 Vol 3 Part F 3.3.3: our request got no response in 30 s. */
static void att_client_timeout(struct bh_work *work)
{
    struct att_bearer *b =
        BH_CONTAINER_OF(bh_dwork_from_work(work), struct att_bearer, client_timer);

    if (b->conn == NULL) {
        return;
    }
    att_set_dead(b);
    b->client_op = 0;
    bh_gattc_on_timeout(b->conn);
}

/* Our indication got no confirmation in 30 s. */
static void att_ind_timeout(struct bh_work *work)
{
    struct att_bearer *b = BH_CONTAINER_OF(bh_dwork_from_work(work), struct att_bearer, ind_timer);

    if (b->conn == NULL) {
        return;
    }
    att_set_dead(b);
    b->ind_out = false;
    bh_gatts_on_indication_done(b->conn, ETIMEDOUT);
}

/* A buffer came back: answer the owed request, then the owed confirmation. */
static void att_tx_work(struct bh_work *work)
{
    struct att_bearer *b = BH_CONTAINER_OF(work, struct att_bearer, tx_work);
    struct bh_buf *owed = b->owed;

    if (b->conn == NULL || b->dead) {
        return;
    }
    if (owed != NULL) {
        struct bh_rd r;
        const struct att_row *row;
        uint8_t op;

        b->owed = NULL;
        bh_rd_init(&r, owed->data, owed->len);
        op = bh_rd_u8(&r);
        row = att_row_find(op);
        att_rx_request(b, op, row != NULL ? row->fn : NULL, &r);
        bh_buf_unref(owed);
        if (b->owed != NULL) {
            return; /* still no buffer: the wait is registered again */
        }
    }
    if (b->owe_cfm) {
        att_send_cfm(b);
    }
}

/* ---- lifecycle -------------------------------------------------------------- */

void bh_att_conn_up(struct bh_conn *c)
{
    struct att_bearer *b = bearer(c);

    memset(b, 0, sizeof(*b));
    b->conn = c;
    b->mtu = BH_ATT_MTU_MIN;
    bh_dwork_init(&b->client_timer, att_client_timeout);
    bh_dwork_init(&b->ind_timer, att_ind_timeout);
    bh_work_init(&b->tx_work, att_tx_work);
}

void bh_att_conn_down(struct bh_conn *c)
{
    struct att_bearer *b = bearer(c);

    if (b->conn == NULL) {
        return;
    }
    bh_dwork_cancel(&b->client_timer);
    bh_dwork_cancel(&b->ind_timer);
    bh_buf_pool_unwait(bh_hci_acl_pool(), &b->tx_work);
    bh_work_cancel(&b->tx_work);
    bh_buf_unref(b->owed);
    memset(b, 0, sizeof(*b));
}

/* SPDX-License-Identifier: MIT */
/*
 * l2cap_sig.c: the LE signalling channel, CID 0x0005 (Core 5.4 Vol 3
 * Part A 4). One command per C-frame on LE-U. Commands dispatch through
 * one table {code, request or response, length bounds, handler}: unknown
 * codes and malformed requests get a Command Reject (4.1); malformed or
 * unsolicited responses are dropped and counted. Implemented today: the
 * Connection Parameter Update Request/Response (4.20, 4.21), sent by a
 * peripheral and answered by a central. Our outstanding request per link
 * runs under the RTX timer (6.2.1). The credit-based channel commands
 * (4.6, 4.7, 4.22-4.24) are rows here whose handlers live in l2cap_coc.c,
 * which runs its own RTX per channel.
 *
 * Replies are owed, never silently dropped (STYLE.md 2.5): a response or
 * Command Reject that finds no ACL transmit buffer is kept in a small
 * per-link record, in arrival order, and sent by a work item when the ACL
 * pool frees a buffer. A reply owed while earlier ones wait queues behind
 * them; a full record drops the newest and counts it (tx_owed_dropped).
 * The record goes with the link.
 */
#include "l2cap_sig.h"

#include <errno.h>
#include <string.h>

#include "blehost/bh_hci.h"
#include "hci/hci_spec.h"
#include "l2cap_coc.h"
#include "l2cap_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "l2cap"
#include "os/bh_log.h"

enum l2cap_sig_kind {
    L2CAP_SIG_REQ = 0,
    L2CAP_SIG_RSP,
};

struct l2cap_sig_row {
    uint8_t code;
    uint8_t kind;     /* enum l2cap_sig_kind */
    uint16_t min_len; /* bounds of the data after the header */
    uint16_t max_len;
    void (*fn)(struct bh_conn *c, uint8_t id, struct bh_rd *r);
};

/* The longest reply we may owe: an LE Credit Based Connection Response. */
#define SIG_OWED_DATA_MAX BH_L2CAP_LE_CREDIT_BASED_CONN_RSP_LEN

/* One command owed to the peer, waiting for an ACL transmit buffer. */
struct sig_owed {
    uint8_t code;
    uint8_t id;
    uint8_t len;
    uint8_t data[SIG_OWED_DATA_MAX];
};

/* Per link: our identifier sequence, our one outstanding request, and
 * the replies we owe (a ring of BH_L2CAP_SIG_OWED_MAX from owed_head). */
struct l2cap_sig_link {
    struct bh_dwork rtx;
    struct bh_work resume; /* an ACL buffer came back: send what we owe */
    uint8_t next_id;
    uint8_t pending_id;   /* 0: nothing outstanding */
    uint8_t pending_code; /* the request's code */
    uint8_t owed_head;
    uint8_t owed_count;
    struct sig_owed owed[BH_L2CAP_SIG_OWED_MAX];
};

struct l2cap_sig_ctx {
    struct l2cap_sig_link links[BH_CONFIG_MAX_CONN];
    struct bh_l2cap_sig_stats stats;
};

static struct l2cap_sig_ctx l2cap_sig;

static void l2cap_sig_rx_command_reject_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r);
static void l2cap_sig_rx_conn_param_update_req(struct bh_conn *c, uint8_t id, struct bh_rd *r);
static void l2cap_sig_rx_conn_param_update_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r);

/* Vol 3 Part A 4 Table 4.2; lengths from each command's section. */
static const struct l2cap_sig_row l2cap_sig_table[] = {
    {BH_L2CAP_SIG_COMMAND_REJECT_RSP, L2CAP_SIG_RSP, 2, 6, l2cap_sig_rx_command_reject_rsp},
    {BH_L2CAP_SIG_CONN_PARAM_UPDATE_REQ, L2CAP_SIG_REQ, BH_L2CAP_CONN_PARAM_UPDATE_REQ_LEN,
     BH_L2CAP_CONN_PARAM_UPDATE_REQ_LEN, l2cap_sig_rx_conn_param_update_req},
    {BH_L2CAP_SIG_CONN_PARAM_UPDATE_RSP, L2CAP_SIG_RSP, BH_L2CAP_CONN_PARAM_UPDATE_RSP_LEN,
     BH_L2CAP_CONN_PARAM_UPDATE_RSP_LEN, l2cap_sig_rx_conn_param_update_rsp},
    /* Credit-based channels (l2cap_coc.c): Vol 3 Part A 4.6, 4.7, 4.22-4.24. The
     * indication carries no response, so a malformed one is rejected like a request. */
    {BH_L2CAP_SIG_DISCONNECTION_REQ, L2CAP_SIG_REQ, BH_L2CAP_DISCONNECTION_REQ_LEN,
     BH_L2CAP_DISCONNECTION_REQ_LEN, bh_l2cap_coc_rx_disconnection_req},
    {BH_L2CAP_SIG_DISCONNECTION_RSP, L2CAP_SIG_RSP, BH_L2CAP_DISCONNECTION_RSP_LEN,
     BH_L2CAP_DISCONNECTION_RSP_LEN, bh_l2cap_coc_rx_disconnection_rsp},
    {BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_REQ, L2CAP_SIG_REQ, BH_L2CAP_LE_CREDIT_BASED_CONN_REQ_LEN,
     BH_L2CAP_LE_CREDIT_BASED_CONN_REQ_LEN, bh_l2cap_coc_rx_le_credit_based_conn_req},
    {BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_RSP, L2CAP_SIG_RSP, BH_L2CAP_LE_CREDIT_BASED_CONN_RSP_LEN,
     BH_L2CAP_LE_CREDIT_BASED_CONN_RSP_LEN, bh_l2cap_coc_rx_le_credit_based_conn_rsp},
    {BH_L2CAP_SIG_FLOW_CONTROL_CREDIT_IND, L2CAP_SIG_REQ, BH_L2CAP_FLOW_CONTROL_CREDIT_IND_LEN,
     BH_L2CAP_FLOW_CONTROL_CREDIT_IND_LEN, bh_l2cap_coc_rx_flow_control_credit_ind},
    /* TODO(#7): Credit Based Connection/Reconfigure Req/Rsp (enhanced mode). */
};

const struct bh_l2cap_sig_stats *bh_l2cap_sig_stats(void)
{
    return &l2cap_sig.stats;
}

static struct l2cap_sig_link *sig_link(const struct bh_conn *c)
{
    return &l2cap_sig.links[bh_conn_index(c)];
}

static void sig_on_rtx(struct bh_work *work);
static void sig_on_resume(struct bh_work *work);

void bh_l2cap_sig_init(void)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        bh_dwork_cancel(&l2cap_sig.links[i].rtx);
        bh_work_cancel(&l2cap_sig.links[i].resume);
    }
    l2cap_sig = (struct l2cap_sig_ctx){0};
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        bh_dwork_init(&l2cap_sig.links[i].rtx, sig_on_rtx);
        bh_work_init(&l2cap_sig.links[i].resume, sig_on_resume);
    }
}

/* Forget the owed replies of a link that is gone (or new). */
static void sig_owed_clear(struct l2cap_sig_link *l)
{
    bh_work_cancel(&l->resume); /* also leaves the pool's wait list */
    l->owed_head = 0;
    l->owed_count = 0;
}

void bh_l2cap_sig_conn_up(struct bh_conn *c)
{
    struct l2cap_sig_link *l = sig_link(c);

    bh_dwork_cancel(&l->rtx);
    sig_owed_clear(l);
    l->next_id = 1;
    l->pending_id = 0;
    l->pending_code = 0;
}

void bh_l2cap_sig_conn_down(struct bh_conn *c)
{
    struct l2cap_sig_link *l = sig_link(c);

    bh_dwork_cancel(&l->rtx);
    if (l->owed_count > 0) {
        BH_LOG_INF("conn 0x%04x: %u owed replies go with the link", c->handle, l->owed_count);
    }
    sig_owed_clear(l);
    l->pending_id = 0;
    l->pending_code = 0;
}

uint8_t bh_l2cap_sig_next_id(struct bh_conn *c)
{
    struct l2cap_sig_link *l = sig_link(c);
    uint8_t id = l->next_id;

    /* Vol 3 Part A 4: 0x00 is never a valid identifier. */
    l->next_id = (uint8_t)(id == 0xFF ? 0x01 : id + 1);
    return id == 0 ? 0x01 : id;
}

/* One command: header then data, Vol 3 Part A 4 Figure 4.3. */
static int sig_send(struct bh_conn *c, uint8_t code, uint8_t id, const uint8_t *data, uint16_t len)
{
    struct bh_buf *buf = bh_l2cap_buf_alloc();
    struct bh_wr w;

    if (buf == NULL) {
        l2cap_sig.stats.tx_no_buf++;
        return -ENOBUFS;
    }
    bh_wr_init(&w, buf, BH_L2CAP_SIG_MTU_LE);
    bh_wr_u8(&w, code);
    bh_wr_u8(&w, id);
    bh_wr_le16(&w, len);
    bh_wr_mem(&w, data, len);
    if (w.err) {
        bh_buf_unref(buf);
        return -EMSGSIZE;
    }
    return bh_l2cap_send(c, BH_L2CAP_CID_LE_SIGNALING, buf); /* consumes buf */
}

int bh_l2cap_sig_send(struct bh_conn *c, uint8_t code, uint8_t id, const uint8_t *data,
                      uint16_t len)
{
    return sig_send(c, code, id, data, len);
}

/* Keep a reply for later, behind those already owed; the newest is the
 * one dropped when the record is full (the older ones keep their order). */
static int sig_owed_push(struct l2cap_sig_link *l, uint8_t code, uint8_t id, const uint8_t *data,
                         uint16_t len)
{
    struct sig_owed *o;

    if (l->owed_count >= BH_L2CAP_SIG_OWED_MAX) {
        l2cap_sig.stats.tx_owed_dropped++;
        BH_LOG_WRN("owed replies full: code 0x%02x id 0x%02x dropped", code, id);
        return -ENOBUFS;
    }
    o = &l->owed[(l->owed_head + l->owed_count) % BH_L2CAP_SIG_OWED_MAX];
    o->code = code;
    o->id = id;
    o->len = (uint8_t)len;
    if (len > 0) {
        memcpy(o->data, data, len);
    }
    l->owed_count++;
    l2cap_sig.stats.tx_owed++;
    bh_buf_pool_wait(bh_hci_acl_pool(), &l->resume);
    return 0;
}

int bh_l2cap_sig_send_owed(struct bh_conn *c, uint8_t code, uint8_t id, const uint8_t *data,
                           uint16_t len)
{
    struct l2cap_sig_link *l = sig_link(c);
    int err;

    if (len > SIG_OWED_DATA_MAX || (data == NULL && len != 0)) {
        return -EINVAL;
    }
    if (l->owed_count == 0) {
        err = sig_send(c, code, id, data, len);
        if (err != -ENOBUFS) {
            return err;
        }
    }
    return sig_owed_push(l, code, id, data, len);
}

/* A buffer came back: send the owed replies in order while buffers last. */
static void sig_on_resume(struct bh_work *work)
{
    struct l2cap_sig_link *l = BH_CONTAINER_OF(work, struct l2cap_sig_link, resume);
    struct bh_conn *c = bh_conn_at((unsigned)(l - l2cap_sig.links));

    while (l->owed_count > 0) {
        const struct sig_owed *o = &l->owed[l->owed_head];
        int err = c == NULL ? -ENOTCONN : sig_send(c, o->code, o->id, o->data, o->len);

        if (err == -ENOBUFS) {
            bh_buf_pool_wait(bh_hci_acl_pool(), &l->resume);
            return;
        }
        l->owed_head = (uint8_t)((l->owed_head + 1) % BH_L2CAP_SIG_OWED_MAX);
        l->owed_count--;
    }
}

int bh_l2cap_sig_send_reject(struct bh_conn *c, uint8_t id, uint16_t reason, const uint8_t *data,
                             uint16_t len)
{
    uint8_t p[6];

    if (len > sizeof(p) - 2) {
        return -EINVAL;
    }
    bh_put_le16(p, reason);
    if (len > 0) {
        memcpy(&p[2], data, len);
    }
    l2cap_sig.stats.tx_reject++;
    bh_l2cap_stats_mut()->sig_rejected++;
    BH_LOG_WRN("conn 0x%04x: Command Reject id 0x%02x reason 0x%04x", c->handle, id, reason);
    return bh_l2cap_sig_send_owed(c, BH_L2CAP_SIG_COMMAND_REJECT_RSP, id, p, (uint16_t)(2 + len));
}

static void sig_reject_not_understood(struct bh_conn *c, uint8_t id)
{
    (void)bh_l2cap_sig_send_reject(c, id, BH_L2CAP_REJECT_CMD_NOT_UNDERSTOOD, NULL, 0);
}

/* Send a request of ours and arm the RTX timer (Vol 3 Part A 6.2.1). */
static int sig_send_req(struct bh_conn *c, uint8_t code, const uint8_t *data, uint16_t len)
{
    struct l2cap_sig_link *l = sig_link(c);
    uint8_t id;
    int err;

    if (l->pending_id != 0) {
        return -EBUSY;
    }
    id = bh_l2cap_sig_next_id(c);
    err = sig_send(c, code, id, data, len);
    if (err < 0) {
        return err;
    }
    l->pending_id = id;
    l->pending_code = code;
    bh_dwork_reschedule(&l->rtx, BH_CONFIG_L2CAP_SIG_TIMEOUT_MS);
    return 0;
}

/* The response (or Command Reject) with id ends our request of that
 * code; returns false when we asked nothing of the kind. */
static bool sig_take_pending(struct bh_conn *c, uint8_t id, uint8_t code)
{
    struct l2cap_sig_link *l = sig_link(c);

    if (l->pending_id == 0 || l->pending_id != id || (code != 0 && l->pending_code != code)) {
        l2cap_sig.stats.rx_unexpected_rsp++;
        BH_LOG_WRN("conn 0x%04x: unexpected response id 0x%02x dropped", c->handle, id);
        return false;
    }
    l->pending_id = 0;
    bh_dwork_cancel(&l->rtx);
    return true;
}

/* Our request failed (rejected or timed out): tell its owner. */
static void sig_request_failed(struct bh_conn *c, uint8_t code)
{
    if (code == BH_L2CAP_SIG_CONN_PARAM_UPDATE_REQ) {
        bh_gap_conn_param_update_failed(c, BH_HCI_ERR_UNACCEPTABLE_CONN_PARAMS);
    }
}

static void sig_on_rtx(struct bh_work *work)
{
    struct l2cap_sig_link *l =
        BH_CONTAINER_OF(bh_dwork_from_work(work), struct l2cap_sig_link, rtx);
    struct bh_conn *c = bh_conn_at((unsigned)(l - l2cap_sig.links));
    uint8_t code = l->pending_code;

    if (c == NULL || l->pending_id == 0) {
        return;
    }
    l2cap_sig.stats.rtx_timeouts++;
    BH_LOG_WRN("conn 0x%04x: no response to code 0x%02x id 0x%02x", c->handle, code, l->pending_id);
    l->pending_id = 0;
    sig_request_failed(c, code);
}

/* Command Reject, Vol 3 Part A 4.1: Reason, then up to 4 bytes of data. */
static void l2cap_sig_rx_command_reject_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    uint16_t reason = bh_rd_le16(r);
    uint8_t code = sig_link(c)->pending_code;

    if (r->err) {
        l2cap_sig.stats.rx_bad_rsp++;
        return;
    }
    if (bh_l2cap_coc_rx_command_reject(c, id)) {
        return; /* it answered a channel's request */
    }
    if (!sig_take_pending(c, id, 0)) {
        return;
    }
    BH_LOG_INF("conn 0x%04x: peer rejected code 0x%02x (reason 0x%04x)", c->handle, code, reason);
    sig_request_failed(c, code);
}

/* Connection Parameter Update Request, Vol 3 Part A 4.20: only a
 * peripheral sends it; a peripheral receiving one answers Command Reject. */
static void l2cap_sig_rx_conn_param_update_req(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    struct bh_gap_conn_params p;
    uint8_t rsp[BH_L2CAP_CONN_PARAM_UPDATE_RSP_LEN];
    bool ok;

    p.itvl_min_1250us = bh_rd_le16(r);
    p.itvl_max_1250us = bh_rd_le16(r);
    p.latency = bh_rd_le16(r);
    p.sup_timeout_10ms = bh_rd_le16(r);
    if (!bh_rd_done(r) || c->role != BH_CONN_ROLE_CENTRAL) {
        sig_reject_not_understood(c, id);
        return;
    }
    ok = bh_gap_conn_params_valid(&p);
    bh_put_le16(rsp, ok ? BH_L2CAP_CONN_PARAM_ACCEPTED : BH_L2CAP_CONN_PARAM_REJECTED);
    (void)bh_l2cap_sig_send_owed(c, BH_L2CAP_SIG_CONN_PARAM_UPDATE_RSP, id, rsp, sizeof(rsp));
    if (ok) {
        (void)bh_gap_conn_param_apply(c, &p);
    }
}

/* Connection Parameter Update Response, Vol 3 Part A 4.21: Result. On
 * acceptance the central's LE Connection Update follows (IRQ 27 then). */
static void l2cap_sig_rx_conn_param_update_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    uint16_t result = bh_rd_le16(r);

    if (!bh_rd_done(r)) {
        l2cap_sig.stats.rx_bad_rsp++;
        return;
    }
    if (!sig_take_pending(c, id, BH_L2CAP_SIG_CONN_PARAM_UPDATE_REQ)) {
        return;
    }
    if (result != BH_L2CAP_CONN_PARAM_ACCEPTED) {
        sig_request_failed(c, BH_L2CAP_SIG_CONN_PARAM_UPDATE_REQ);
    }
}

int bh_l2cap_sig_conn_param_update(struct bh_conn *c, const struct bh_gap_conn_params *p)
{
    uint8_t d[BH_L2CAP_CONN_PARAM_UPDATE_REQ_LEN];

    if (c->role != BH_CONN_ROLE_PERIPHERAL) {
        return -EINVAL;
    }
    bh_put_le16(&d[0], p->itvl_min_1250us);
    bh_put_le16(&d[2], p->itvl_max_1250us);
    bh_put_le16(&d[4], p->latency);
    bh_put_le16(&d[6], p->sup_timeout_10ms);
    return sig_send_req(c, BH_L2CAP_SIG_CONN_PARAM_UPDATE_REQ, d, sizeof(d));
}

static const struct l2cap_sig_row *sig_find(uint8_t code)
{
    for (unsigned i = 0; i < BH_ARRAY_SIZE(l2cap_sig_table); i++) {
        if (l2cap_sig_table[i].code == code) {
            return &l2cap_sig_table[i];
        }
    }
    return NULL;
}

/* A C-frame, Vol 3 Part A 4: Code, Identifier, Length, data. */
void bh_l2cap_sig_rx(struct bh_conn *c, struct bh_rd *r)
{
    uint16_t frame_len = r->left;
    uint8_t code = bh_rd_u8(r);
    uint8_t id = bh_rd_u8(r);
    uint16_t len = bh_rd_le16(r);
    const struct l2cap_sig_row *row;

    if (r->err) {
        l2cap_sig.stats.rx_short++;
        return;
    }
    if (id == 0) {
        l2cap_sig.stats.rx_bad_id++;
        return;
    }
    if (frame_len > BH_L2CAP_SIG_MTU_LE) {
        uint8_t mtu[2] = {BH_L2CAP_SIG_MTU_LE, 0};

        (void)bh_l2cap_sig_send_reject(c, id, BH_L2CAP_REJECT_SIG_MTU_EXCEEDED, mtu, 2);
        return;
    }
    row = sig_find(code);
    if (row != NULL && row->kind == L2CAP_SIG_RSP) {
        if (len != r->left || len < row->min_len || len > row->max_len) {
            l2cap_sig.stats.rx_bad_rsp++;
            return;
        }
    } else if (row == NULL || len != r->left || len < row->min_len || len > row->max_len) {
        sig_reject_not_understood(c, id);
        return;
    }
    row->fn(c, id, r);
}

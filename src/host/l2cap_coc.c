/* SPDX-License-Identifier: MIT */
/*
 * l2cap_coc.c: LE credit-based connection-oriented channels (Core 5.4
 * Vol 3 Part A), the channel pool and its signalling: the LE Credit Based
 * Connection Request/Response (4.22, 4.23), the Flow Control Credit
 * Indication we receive (4.24), the Disconnection Request/Response (4.6,
 * 4.7), the RTX (6.2.1), the listen table and the application's connect
 * and disconnect. The signalling table in l2cap_sig.c calls the
 * bh_l2cap_coc_rx_* handlers. The data path (K-frames, 3.4; SDU
 * segmentation and reassembly in the rings; the credits we return, 10.1)
 * is l2cap_coc_data.c, which reaches the channels through l2cap_coc.h.
 *
 * A reply we owe is never dropped for lack of a buffer (STYLE.md 2.5). A
 * channel slot owes at most one: our successful Connection Response
 * (the slot stays ACCEPTING, IRQ 23 follows the response) or our
 * Disconnection Response (the slot stays CLOSED, keeping its CIDs); it
 * waits on the ACL pool and goes when a buffer frees. Replies without a
 * channel (refusals, Command Rejects, the Disconnection Request after a
 * bad Connection Response) go through l2cap_sig.c's per-link record.
 */
#include "l2cap_coc.h"

#include <errno.h>
#include <string.h>

#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "l2cap.h"
#include "l2cap_sig.h"
#include "l2cap_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "l2cap"
#include "os/bh_log.h"

#define COC_MPS BH_CONFIG_L2CAP_COC_MPS
#define COC_RX_CREDITS_MAX BH_L2CAP_COC_RX_CREDITS_MAX

_Static_assert(BH_CONFIG_L2CAP_COC_MAX_CHAN >= 1 && BH_CONFIG_L2CAP_COC_MAX_CHAN <= 255,
               "BH_CONFIG_L2CAP_COC_MAX_CHAN");

struct coc_listener {
    uint16_t psm; /* 0: free */
    uint16_t mtu;
    uint8_t sec; /* BH_L2CAP_COC_SEC_* */
};

/* The reply a channel slot owes the peer, waiting for an ACL buffer. */
enum coc_owed {
    COC_OWED_NONE = 0,
    COC_OWED_CONN_RSP,    /* ACCEPTING: our successful Connection Response */
    COC_OWED_DISCONN_RSP, /* CLOSED: our Disconnection Response */
};

struct coc_ctx {
    struct bh_l2cap_coc_chan chans[BH_CONFIG_L2CAP_COC_MAX_CHAN];
    struct coc_listener listeners[BH_CONFIG_L2CAP_COC_MAX_LISTEN];
    struct bh_l2cap_coc_stats stats;
};

static struct coc_ctx coc;

static void coc_on_rtx(struct bh_work *work);
static void coc_on_resume(struct bh_work *work);
static void coc_accept_finish(struct bh_l2cap_coc_chan *ch);

const struct bh_l2cap_coc_stats *bh_l2cap_coc_stats(void)
{
    return &coc.stats;
}

struct bh_l2cap_coc_stats *bh_l2cap_coc_stats_mut(void)
{
    return &coc.stats;
}

void bh_l2cap_coc_init(void)
{
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        bh_dwork_cancel(&coc.chans[i].rtx);
        bh_work_cancel(&coc.chans[i].resume);
    }
    memset(&coc.chans, 0, sizeof(coc.chans));
    memset(&coc.listeners, 0, sizeof(coc.listeners));
    memset(&coc.stats, 0, sizeof(coc.stats));
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        bh_dwork_init(&coc.chans[i].rtx, coc_on_rtx);
        bh_work_init(&coc.chans[i].resume, coc_on_resume);
    }
}

/* ---- channels ---------------------------------------------------------------------------- */

unsigned bh_l2cap_coc_chan_index(const struct bh_l2cap_coc_chan *ch)
{
    return (unsigned)(ch - coc.chans);
}

struct bh_conn *bh_l2cap_coc_chan_conn(const struct bh_l2cap_coc_chan *ch)
{
    struct bh_conn *c = bh_conn_at(ch->conn_idx);

    return c != NULL && c->handle == ch->handle ? c : NULL;
}

static bool coc_on_link(const struct bh_l2cap_coc_chan *ch, const struct bh_conn *c)
{
    return ch->state != BH_L2CAP_COC_STATE_IDLE && ch->conn_idx == bh_conn_index(c) &&
           ch->handle == c->handle;
}

/* The channel on c whose CID of ours is lcid, in any state but IDLE. */
struct bh_l2cap_coc_chan *bh_l2cap_coc_chan_by_lcid(const struct bh_conn *c, uint16_t lcid)
{
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        if (coc_on_link(&coc.chans[i], c) && coc.chans[i].lcid == lcid) {
            return &coc.chans[i];
        }
    }
    return NULL;
}

static struct bh_l2cap_coc_chan *coc_by_rcid(const struct bh_conn *c, uint16_t rcid)
{
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        struct bh_l2cap_coc_chan *ch = &coc.chans[i];

        if (coc_on_link(ch, c) && ch->rcid == rcid &&
            ch->state != BH_L2CAP_COC_STATE_WAIT_CONN_RSP) {
            return ch;
        }
    }
    return NULL;
}

/* Our request with identifier id on c, if a channel waits for its answer. */
static struct bh_l2cap_coc_chan *coc_by_sig_id(const struct bh_conn *c, uint8_t id)
{
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        struct bh_l2cap_coc_chan *ch = &coc.chans[i];

        if (coc_on_link(ch, c) && ch->sig_id == id &&
            (ch->state == BH_L2CAP_COC_STATE_WAIT_CONN_RSP ||
             ch->state == BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP)) {
            return ch;
        }
    }
    return NULL;
}

/* A free slot bound to c with a fresh CID of ours (0x0040-0x007F, unique
 * on the link, Vol 3 Part A 2.1), or NULL. The caller sets its state. */
static struct bh_l2cap_coc_chan *coc_alloc(struct bh_conn *c)
{
    struct bh_l2cap_coc_chan *ch = NULL;
    uint16_t cid;

    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN && ch == NULL; i++) {
        if (coc.chans[i].state == BH_L2CAP_COC_STATE_IDLE) {
            ch = &coc.chans[i];
        }
    }
    if (ch == NULL) {
        return NULL;
    }
    for (cid = BH_L2CAP_CID_DYN_MIN; cid <= BH_L2CAP_CID_DYN_MAX; cid++) {
        if (bh_l2cap_coc_chan_by_lcid(c, cid) == NULL) {
            break;
        }
    }
    if (cid > BH_L2CAP_CID_DYN_MAX) {
        return NULL;
    }
    ch->conn_idx = (uint8_t)bh_conn_index(c);
    ch->handle = c->handle;
    ch->lcid = cid;
    return ch;
}

static void coc_set_state(struct bh_l2cap_coc_chan *ch, enum bh_l2cap_coc_state new_state)
{
    enum bh_l2cap_coc_state old = (enum bh_l2cap_coc_state)ch->state;

    BH_LOG_DBG("conn 0x%04x cid 0x%04x: state %d -> %d", ch->handle, ch->lcid, old, new_state);
    if (old == BH_L2CAP_COC_STATE_WAIT_CONN_RSP || old == BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP) {
        bh_dwork_cancel(&ch->rtx);
    }
    ch->state = (uint8_t)new_state;
    switch (new_state) {
    case BH_L2CAP_COC_STATE_WAIT_CONN_RSP:
    case BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP:
        bh_dwork_reschedule(&ch->rtx, BH_CONFIG_L2CAP_SIG_TIMEOUT_MS);
        /* Nothing more goes to or comes from the application. */
        ch->tx_len = 0;
        ch->tx_sdu_left = 0;
        ch->tx_stalled = false;
        ch->rx_pend = 0;
        ch->rx_in_sdu = false;
        break;
    case BH_L2CAP_COC_STATE_CLOSED:
        bh_work_cancel(&ch->resume);
        break;
    case BH_L2CAP_COC_STATE_IDLE:
        bh_work_cancel(&ch->resume);
        memset((uint8_t *)ch + offsetof(struct bh_l2cap_coc_chan, state), 0,
               sizeof(*ch) - offsetof(struct bh_l2cap_coc_chan, state));
        break;
    default:
        break;
    }
}

int bh_l2cap_coc_emit(uint8_t irq, const struct bh_l2cap_coc_chan *ch, uint16_t status)
{
    struct bh_ble_event ev = {.irq = irq, .conn = ch->handle};

    ev.l2cap.cid = ch->lcid;
    ev.l2cap.psm = ch->psm;
    ev.l2cap.our_mtu = ch->our_mtu;
    ev.l2cap.peer_mtu = ch->peer_mtu;
    ev.l2cap.status = status;
    return bh_ble_emit(&ev);
}

/* The channel ends: free the slot, then IRQ 24 as the last step. While
 * our Disconnection Response is owed the slot stays CLOSED, keeping its
 * CIDs (the peer still holds them), until a buffer lets it go out. */
static void coc_close(struct bh_l2cap_coc_chan *ch, uint16_t status)
{
    struct bh_l2cap_coc_chan copy;

    coc_set_state(ch, BH_L2CAP_COC_STATE_CLOSED);
    copy = *ch;
    BH_LOG_INF("conn 0x%04x cid 0x%04x: closed (status %u)", ch->handle, ch->lcid, status);
    if (ch->owed == COC_OWED_DISCONN_RSP) {
        bh_buf_pool_wait(bh_hci_acl_pool(), &ch->resume);
    } else {
        coc_set_state(ch, BH_L2CAP_COC_STATE_IDLE);
    }
    (void)bh_l2cap_coc_emit(BH_IRQ_L2CAP_DISCONNECT, &copy, status);
}

/* ---- signalling we send --------------------------------------------------------------------- */

static void coc_put_le16s(uint8_t *p, const uint16_t *v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        bh_put_le16(&p[2 * i], v[i]);
    }
}

/* Disconnection Request, Vol 3 Part A 4.6: DCID (the peer's), SCID (ours). */
static void coc_send_disconn_req(struct bh_l2cap_coc_chan *ch)
{
    struct bh_conn *c = bh_l2cap_coc_chan_conn(ch);
    uint16_t v[2] = {ch->rcid, ch->lcid};
    uint8_t d[BH_L2CAP_DISCONNECTION_REQ_LEN];
    int err;

    if (c == NULL) {
        return;
    }
    coc_put_le16s(d, v, 2);
    ch->sig_id = bh_l2cap_sig_next_id(c);
    err = bh_l2cap_sig_send(c, BH_L2CAP_SIG_DISCONNECTION_REQ, ch->sig_id, d, sizeof(d));
    ch->disc_owed = err == -ENOBUFS;
    if (ch->disc_owed) {
        coc.stats.tx_no_buf++;
        bh_buf_pool_wait(bh_hci_acl_pool(), &ch->resume);
    }
}

/* Disconnection Response, Vol 3 Part A 4.7: DCID (ours), SCID (the peer's),
 * with the identifier of the peer's request. 0, -ENOBUFS, -ENOTCONN. */
static int coc_send_disconn_rsp(struct bh_l2cap_coc_chan *ch)
{
    struct bh_conn *c = bh_l2cap_coc_chan_conn(ch);
    uint16_t v[2] = {ch->lcid, ch->rcid};
    uint8_t d[BH_L2CAP_DISCONNECTION_RSP_LEN];
    int err;

    if (c == NULL) {
        return -ENOTCONN;
    }
    coc_put_le16s(d, v, 2);
    err = bh_l2cap_sig_send(c, BH_L2CAP_SIG_DISCONNECTION_RSP, ch->rsp_id, d, sizeof(d));
    if (err == -ENOBUFS) {
        coc.stats.tx_no_buf++;
    }
    return err;
}

/* We end an open channel (application, or a peer breaking the rules). */
static void coc_start_disconnect(struct bh_l2cap_coc_chan *ch)
{
    coc_set_state(ch, BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP);
    coc_send_disconn_req(ch);
}

void bh_l2cap_coc_violation(struct bh_l2cap_coc_chan *ch, uint32_t *counter, const char *what)
{
    (*counter)++;
    BH_LOG_WRN("conn 0x%04x cid 0x%04x: %s: disconnecting the channel", ch->handle, ch->lcid, what);
    coc_start_disconnect(ch);
}

static void coc_on_resume(struct bh_work *work)
{
    struct bh_l2cap_coc_chan *ch = BH_CONTAINER_OF(work, struct bh_l2cap_coc_chan, resume);

    if (ch->state == BH_L2CAP_COC_STATE_ACCEPTING && ch->owed == COC_OWED_CONN_RSP) {
        coc_accept_finish(ch);
        return;
    }
    if (ch->state == BH_L2CAP_COC_STATE_CLOSED && ch->owed == COC_OWED_DISCONN_RSP) {
        if (coc_send_disconn_rsp(ch) == -ENOBUFS) {
            bh_buf_pool_wait(bh_hci_acl_pool(), &ch->resume);
            return;
        }
        coc_set_state(ch, BH_L2CAP_COC_STATE_IDLE);
        return;
    }
    if (ch->state == BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP && ch->disc_owed) {
        coc_send_disconn_req(ch);
        return;
    }
    if (ch->state == BH_L2CAP_COC_STATE_OPEN) {
        bh_l2cap_coc_give_credits(ch);
        bh_l2cap_coc_tx_pump(ch, true);
    }
}

static void coc_on_rtx(struct bh_work *work)
{
    struct bh_l2cap_coc_chan *ch =
        BH_CONTAINER_OF(bh_dwork_from_work(work), struct bh_l2cap_coc_chan, rtx);

    if (ch->state != BH_L2CAP_COC_STATE_WAIT_CONN_RSP &&
        ch->state != BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP) {
        return;
    }
    coc.stats.rtx_timeouts++;
    BH_LOG_WRN("conn 0x%04x cid 0x%04x: no response to id 0x%02x", ch->handle, ch->lcid,
               ch->sig_id);
    /* Vol 3 Part A 6.2.1: the channel is given up; a late answer is dropped. */
    coc_close(ch, ch->state == BH_L2CAP_COC_STATE_WAIT_CONN_RSP ? BH_L2CAP_COC_STATUS_TIMEOUT : 0);
}

/* ---- signalling we receive ------------------------------------------------------------------ */

static const struct coc_listener *coc_listener_find(uint16_t psm)
{
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_LISTEN; i++) {
        if (psm != 0 && coc.listeners[i].psm == psm) {
            return &coc.listeners[i];
        }
    }
    return NULL;
}

/* The result a listener's security demands give on link c, Vol 3 Part A
 * 4.23 Table 4.16 (and Vol 3 Part C 10.3): no encryption yet is
 * Insufficient Encryption if we hold keys for the peer (it may just
 * encrypt), else Insufficient Authentication (it must pair). */
static uint16_t coc_check_security(const struct bh_conn *c, uint8_t sec)
{
    if ((sec & (BH_L2CAP_COC_SEC_ENCRYPT | BH_L2CAP_COC_SEC_AUTHEN | BH_L2CAP_COC_SEC_KEY16)) &&
        !c->encrypted) {
        return c->bonded ? BH_L2CAP_LE_RESULT_INSUFFICIENT_ENCRYPTION
                         : BH_L2CAP_LE_RESULT_INSUFFICIENT_AUTHENTICATION;
    }
    if ((sec & BH_L2CAP_COC_SEC_AUTHEN) && !c->authenticated) {
        return BH_L2CAP_LE_RESULT_INSUFFICIENT_AUTHENTICATION;
    }
    if ((sec & BH_L2CAP_COC_SEC_KEY16) && c->key_size < 16) {
        return BH_L2CAP_LE_RESULT_ENCRYPTION_KEY_SIZE_TOO_SHORT;
    }
    return BH_L2CAP_LE_RESULT_SUCCESS;
}

struct coc_conn_req {
    uint16_t psm, mtu, mps, credits, scid;
};

/* Everything a request can fail on before a channel is taken. */
static uint16_t coc_check_conn_req(const struct bh_conn *c, const struct coc_conn_req *q,
                                   const struct coc_listener **l)
{
    uint16_t result;

    *l = coc_listener_find(q->psm);
    if (*l == NULL) {
        return BH_L2CAP_LE_RESULT_SPSM_NOT_SUPPORTED;
    }
    result = coc_check_security(c, (*l)->sec);
    if (result != BH_L2CAP_LE_RESULT_SUCCESS) {
        return result;
    }
    if (q->scid < BH_L2CAP_CID_DYN_MIN || q->scid > BH_L2CAP_CID_DYN_MAX) {
        return BH_L2CAP_LE_RESULT_INVALID_SOURCE_CID;
    }
    if (coc_by_rcid(c, q->scid) != NULL) {
        return BH_L2CAP_LE_RESULT_SOURCE_CID_ALREADY_ALLOCATED;
    }
    if (q->mtu < BH_L2CAP_LE_MTU_MIN || q->mps < BH_L2CAP_LE_MPS_MIN ||
        q->mps > BH_L2CAP_LE_MPS_MAX) {
        return BH_L2CAP_LE_RESULT_UNACCEPTABLE_PARAMS;
    }
    return BH_L2CAP_LE_RESULT_SUCCESS;
}

/* LE Credit Based Connection Response, Vol 3 Part A 4.23: on failure every
 * field but the result is zero. A refusal is owed through l2cap_sig.c's
 * record; a success is sent now or not (-ENOBUFS: the slot owes it). */
static int coc_send_conn_rsp(struct bh_conn *c, uint8_t id, const struct bh_l2cap_coc_chan *ch,
                             uint16_t result)
{
    uint16_t v[5] = {0, 0, 0, 0, result};
    uint8_t d[BH_L2CAP_LE_CREDIT_BASED_CONN_RSP_LEN];

    if (result == BH_L2CAP_LE_RESULT_SUCCESS) {
        v[0] = ch->lcid;
        v[1] = ch->our_mtu;
        v[2] = COC_MPS;
        v[3] = ch->rx_credits;
    } else {
        coc.stats.conn_refused++;
        BH_LOG_INF("conn 0x%04x: LE credit based connection refused (0x%04x)", c->handle, result);
    }
    coc_put_le16s(d, v, 5);
    if (result != BH_L2CAP_LE_RESULT_SUCCESS) {
        return bh_l2cap_sig_send_owed(c, BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_RSP, id, d, sizeof(d));
    }
    return bh_l2cap_sig_send(c, BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_RSP, id, d, sizeof(d));
}

/* The accepted channel's response goes out, then it opens (IRQ 23). With
 * no buffer it stays ACCEPTING and owes the response: the peer cannot use
 * the channel before it, and IRQ 23 waits for it too. */
static void coc_accept_finish(struct bh_l2cap_coc_chan *ch)
{
    struct bh_conn *c = bh_l2cap_coc_chan_conn(ch);
    int err =
        c == NULL ? -ENOTCONN : coc_send_conn_rsp(c, ch->rsp_id, ch, BH_L2CAP_LE_RESULT_SUCCESS);

    if (err == -ENOBUFS) {
        coc.stats.tx_no_buf++;
        ch->owed = COC_OWED_CONN_RSP;
        bh_buf_pool_wait(bh_hci_acl_pool(), &ch->resume);
        return;
    }
    ch->owed = COC_OWED_NONE;
    if (err < 0) {
        coc_set_state(ch, BH_L2CAP_COC_STATE_IDLE); /* the peer never learns: forget it */
        return;
    }
    coc_set_state(ch, BH_L2CAP_COC_STATE_OPEN);
    BH_LOG_INF("conn 0x%04x cid 0x%04x: accepted psm 0x%04x", ch->handle, ch->lcid, ch->psm);
    (void)bh_l2cap_coc_emit(BH_IRQ_L2CAP_CONNECT, ch, 0);
    bh_l2cap_coc_tx_pump(ch, true); /* the application may have queued data from IRQ 23 */
}

/* The peer repeats its request (its RTX ran out) while our success waits
 * for a buffer: one response, with the newest identifier. */
static bool coc_conn_req_repeated(const struct bh_conn *c, const struct coc_conn_req *q, uint8_t id)
{
    struct bh_l2cap_coc_chan *ch = coc_by_rcid(c, q->scid);

    if (ch == NULL || ch->owed != COC_OWED_CONN_RSP || ch->psm != q->psm) {
        return false;
    }
    coc.stats.tx_owed_dropped++;
    ch->rsp_id = id;
    return true;
}

/* LE Credit Based Connection Request, Vol 3 Part A 4.22: SPSM, MTU, MPS,
 * Initial Credits, Source CID. The application's accept hook (IRQ 22)
 * may refuse: No Resources Available (0x0004), the result NimBLE gives
 * for an application's refusal, or Insufficient Authorization (0x0006)
 * when the listener asked for BH_L2CAP_COC_SEC_AUTHOR. */
void bh_l2cap_coc_rx_le_credit_based_conn_req(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    struct coc_conn_req q;
    const struct coc_listener *l;
    struct bh_l2cap_coc_chan *ch = NULL;
    uint16_t result;

    q.psm = bh_rd_le16(r);
    q.mtu = bh_rd_le16(r);
    q.mps = bh_rd_le16(r);
    q.credits = bh_rd_le16(r);
    q.scid = bh_rd_le16(r);
    BH_ASSERT(bh_rd_done(r)); /* the table row checked the length */
    if (coc_conn_req_repeated(c, &q, id)) {
        return;
    }
    result = coc_check_conn_req(c, &q, &l);
    if (result == BH_L2CAP_LE_RESULT_SUCCESS) {
        ch = coc_alloc(c);
        result = ch == NULL ? BH_L2CAP_LE_RESULT_NO_RESOURCES : result;
    }
    if (ch != NULL) {
        ch->psm = q.psm;
        ch->rcid = q.scid;
        ch->our_mtu = l->mtu;
        ch->peer_mtu = q.mtu;
        ch->peer_mps = q.mps;
        ch->tx_credits = q.credits;
        ch->rx_credits = COC_RX_CREDITS_MAX;
        coc_set_state(ch, BH_L2CAP_COC_STATE_ACCEPTING);
        if (bh_l2cap_coc_emit(BH_IRQ_L2CAP_ACCEPT, ch, 0) != 0) {
            result = (l->sec & BH_L2CAP_COC_SEC_AUTHOR) != 0
                         ? BH_L2CAP_LE_RESULT_INSUFFICIENT_AUTHORIZATION
                         : BH_L2CAP_LE_RESULT_NO_RESOURCES;
        }
        if (ch->state != BH_L2CAP_COC_STATE_ACCEPTING) {
            return; /* the hook dropped the link: the channel went with it */
        }
    }
    if (result != BH_L2CAP_LE_RESULT_SUCCESS) {
        (void)coc_send_conn_rsp(c, id, ch, result); /* owed if need be */
        if (ch != NULL) {
            coc_set_state(ch, BH_L2CAP_COC_STATE_IDLE);
        }
        return;
    }
    ch->rsp_id = id;
    coc_accept_finish(ch);
}

/* LE Credit Based Connection Response, Vol 3 Part A 4.23: DCID, MTU, MPS,
 * Initial Credits, Result. A success with bad values is unusable: we say
 * so with a Disconnection Request (if the CID can be named) and fail. */
void bh_l2cap_coc_rx_le_credit_based_conn_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    struct bh_l2cap_coc_chan *ch = coc_by_sig_id(c, id);
    uint16_t dcid = bh_rd_le16(r);
    uint16_t mtu = bh_rd_le16(r);
    uint16_t mps = bh_rd_le16(r);
    uint16_t credits = bh_rd_le16(r);
    uint16_t result = bh_rd_le16(r);
    bool cid_ok;

    if (ch == NULL || ch->state != BH_L2CAP_COC_STATE_WAIT_CONN_RSP) {
        coc.stats.rx_unexpected_rsp++;
        return;
    }
    if (result != BH_L2CAP_LE_RESULT_SUCCESS) {
        coc_close(ch, result);
        return;
    }
    cid_ok = dcid >= BH_L2CAP_CID_DYN_MIN && dcid <= BH_L2CAP_CID_DYN_MAX &&
             coc_by_rcid(c, dcid) == NULL;
    if (!cid_ok || mtu < BH_L2CAP_LE_MTU_MIN || mps < BH_L2CAP_LE_MPS_MIN ||
        mps > BH_L2CAP_LE_MPS_MAX) {
        BH_LOG_WRN("conn 0x%04x: connection response with bad values", c->handle);
        if (cid_ok) {
            uint16_t v[2] = {dcid, ch->lcid};
            uint8_t d[BH_L2CAP_DISCONNECTION_REQ_LEN];

            /* Owed like a reply: the peer holds dcid until it hears. */
            coc_put_le16s(d, v, 2);
            (void)bh_l2cap_sig_send_owed(c, BH_L2CAP_SIG_DISCONNECTION_REQ, bh_l2cap_sig_next_id(c),
                                         d, sizeof(d));
        }
        coc_close(ch, BH_L2CAP_LE_RESULT_UNACCEPTABLE_PARAMS);
        return;
    }
    ch->rcid = dcid;
    ch->peer_mtu = mtu;
    ch->peer_mps = mps;
    ch->tx_credits = credits;
    coc_set_state(ch, BH_L2CAP_COC_STATE_OPEN);
    BH_LOG_INF("conn 0x%04x cid 0x%04x: connected to psm 0x%04x", c->handle, ch->lcid, ch->psm);
    (void)bh_l2cap_coc_emit(BH_IRQ_L2CAP_CONNECT, ch, 0);
}

/* Flow Control Credit Indication, Vol 3 Part A 4.24: the CID is the
 * sender's, our destination. 10.1: past 65535 credits the channel goes. */
void bh_l2cap_coc_rx_flow_control_credit_ind(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    uint16_t cid = bh_rd_le16(r);
    uint16_t credits = bh_rd_le16(r);
    struct bh_l2cap_coc_chan *ch = coc_by_rcid(c, cid);

    (void)id;
    if (ch == NULL || ch->state != BH_L2CAP_COC_STATE_OPEN) {
        coc.stats.rx_unexpected_rsp++;
        return;
    }
    if ((uint32_t)ch->tx_credits + credits > BH_L2CAP_LE_CREDITS_MAX) {
        bh_l2cap_coc_violation(ch, &coc.stats.credit_overflow, "credits past 65535");
        return;
    }
    ch->tx_credits = (uint16_t)(ch->tx_credits + credits);
    bh_l2cap_coc_tx_pump(ch, true);
}

/* Disconnection Request, Vol 3 Part A 4.6: DCID (ours), SCID (the
 * peer's). No such channel: Command Reject, Invalid CID (4.1) with both.
 * The response is owed, never dropped: without it the peer's channel
 * would hang until its RTX (our data frames may hold every ACL buffer). */
void bh_l2cap_coc_rx_disconnection_req(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    uint8_t d[BH_L2CAP_DISCONNECTION_RSP_LEN];
    uint16_t dcid = bh_rd_le16(r);
    uint16_t scid = bh_rd_le16(r);
    struct bh_l2cap_coc_chan *ch = bh_l2cap_coc_chan_by_lcid(c, dcid);
    uint16_t v[2] = {dcid, scid};

    coc_put_le16s(d, v, 2);
    if (ch != NULL && ch->rcid == scid && ch->state == BH_L2CAP_COC_STATE_CLOSED &&
        ch->owed == COC_OWED_DISCONN_RSP) {
        /* The peer repeats its request (RTX) while our response waits: one
         * response, with the newest identifier; the older one is dropped. */
        coc.stats.tx_owed_dropped++;
        ch->rsp_id = id;
        return;
    }
    if (ch == NULL || ch->rcid != scid ||
        (ch->state != BH_L2CAP_COC_STATE_OPEN &&
         ch->state != BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP)) {
        (void)bh_l2cap_sig_send_reject(c, id, BH_L2CAP_REJECT_INVALID_CID, d, sizeof(d));
        return;
    }
    ch->rsp_id = id;
    ch->owed = coc_send_disconn_rsp(ch) == -ENOBUFS ? COC_OWED_DISCONN_RSP : COC_OWED_NONE;
    coc_close(ch, 0);
}

/* Disconnection Response, Vol 3 Part A 4.7: DCID (the peer's), SCID (ours). */
void bh_l2cap_coc_rx_disconnection_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r)
{
    uint16_t dcid = bh_rd_le16(r);
    uint16_t scid = bh_rd_le16(r);
    struct bh_l2cap_coc_chan *ch = coc_by_sig_id(c, id);

    if (ch == NULL || ch->state != BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP || ch->lcid != scid ||
        ch->rcid != dcid) {
        coc.stats.rx_unexpected_rsp++;
        return;
    }
    coc_close(ch, 0);
}

bool bh_l2cap_coc_rx_command_reject(struct bh_conn *c, uint8_t id)
{
    struct bh_l2cap_coc_chan *ch = coc_by_sig_id(c, id);

    if (ch == NULL) {
        return false;
    }
    /* A peer without credit-based channels, or one that lost ours. */
    coc_close(ch, ch->state == BH_L2CAP_COC_STATE_WAIT_CONN_RSP ? BH_L2CAP_COC_STATUS_REFUSED : 0);
    return true;
}

void bh_l2cap_coc_conn_down(struct bh_conn *c)
{
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_CHAN; i++) {
        struct bh_l2cap_coc_chan *ch = &coc.chans[i];

        if (!coc_on_link(ch, c)) {
            continue;
        }
        if (ch->state == BH_L2CAP_COC_STATE_CLOSED) {
            coc_set_state(ch, BH_L2CAP_COC_STATE_IDLE); /* its IRQ 24 went already */
            continue;
        }
        /* A channel that never opened (ours asked, or our response was
         * still owed) ends with "not connected"; an open one with 0. */
        coc_close(ch, ch->state == BH_L2CAP_COC_STATE_WAIT_CONN_RSP || ch->owed == COC_OWED_CONN_RSP
                          ? BH_L2CAP_COC_STATUS_NOT_CONNECTED
                          : 0);
    }
}

/* ---- the application's side ------------------------------------------------------------------ */

static uint16_t coc_clamp_mtu(uint16_t mtu)
{
    uint16_t max = bh_l2cap_coc_mtu_max();

    if (mtu < BH_L2CAP_LE_MTU_MIN) {
        return BH_L2CAP_LE_MTU_MIN;
    }
    return mtu > max ? max : mtu;
}

int bh_l2cap_coc_listen(uint16_t psm, uint16_t mtu, uint8_t sec)
{
    struct coc_listener *slot = NULL;

    if (psm == 0 || psm > BH_L2CAP_LE_PSM_MAX) {
        return -EINVAL;
    }
    for (unsigned i = 0; i < BH_CONFIG_L2CAP_COC_MAX_LISTEN; i++) {
        struct coc_listener *l = &coc.listeners[i];

        if (l->psm == psm || (slot == NULL && l->psm == 0)) {
            slot = l;
        }
        if (l->psm == psm) {
            break;
        }
    }
    if (slot == NULL) {
        return -ENOMEM;
    }
    slot->psm = psm;
    slot->mtu = coc_clamp_mtu(mtu);
    slot->sec = sec;
    return 0;
}

int bh_l2cap_coc_connect(struct bh_conn *c, uint16_t psm, uint16_t mtu)
{
    struct bh_l2cap_coc_chan *ch;
    uint8_t d[BH_L2CAP_LE_CREDIT_BASED_CONN_REQ_LEN];
    uint16_t v[5];
    int err;

    if (psm == 0 || psm > BH_L2CAP_LE_PSM_MAX) {
        return -EINVAL;
    }
    ch = coc_alloc(c);
    if (ch == NULL) {
        return -ENOMEM;
    }
    ch->psm = psm;
    ch->our_mtu = coc_clamp_mtu(mtu);
    ch->rx_credits = COC_RX_CREDITS_MAX;
    ch->sig_id = bh_l2cap_sig_next_id(c);
    v[0] = psm;
    v[1] = ch->our_mtu;
    v[2] = COC_MPS;
    v[3] = ch->rx_credits;
    v[4] = ch->lcid;
    coc_put_le16s(d, v, 5);
    err = bh_l2cap_sig_send(c, BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_REQ, ch->sig_id, d, sizeof(d));
    if (err < 0) {
        coc_set_state(ch, BH_L2CAP_COC_STATE_IDLE);
        return err;
    }
    coc_set_state(ch, BH_L2CAP_COC_STATE_WAIT_CONN_RSP);
    return 0;
}

int bh_l2cap_coc_disconnect(struct bh_conn *c, uint16_t cid)
{
    struct bh_l2cap_coc_chan *ch = bh_l2cap_coc_chan_by_lcid(c, cid);

    if (ch == NULL) {
        return -EINVAL;
    }
    if (ch->state == BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP) {
        return -EALREADY;
    }
    if (ch->state != BH_L2CAP_COC_STATE_OPEN) {
        return -EINVAL;
    }
    coc_start_disconnect(ch);
    return 0;
}

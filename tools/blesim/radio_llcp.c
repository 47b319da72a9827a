/* SPDX-License-Identifier: MIT */
/*
 * radio_llcp.c: LL control procedures between the two sides of a link
 * (Core 5.4 Vol 6 Part B 5.1): connection update and connection parameters
 * request with an instant, data length update, PHY update with an instant,
 * encryption start/refresh with the LTK check, version and feature
 * exchange, termination. Control PDUs travel in the connection events
 * (radio_conn.c gives them priority over data and counts their airtime);
 * their fields are kept decoded in struct ll_ctl. Instants are taken as
 * connEventCounter + 6 at the event that delivers the PDU, so a PDU late
 * because of loss never misses its instant.
 */
#include "sim.h"

#include <string.h>

#include "hci/hci_spec.h"

#define LLCP_INSTANT_OFFSET 6
#define LLCP_VERSION 0x0B       /* Core 5.2 */
#define LLCP_COMPANY 0xFFFF
#define LLCP_SUBVERSION 0x0000

/* CtrData lengths + 1 opcode octet, Vol 6 Part B 2.4.2 */
static uint8_t llcp_len(uint8_t op)
{
    switch (op) {
    case LL_CONNECTION_UPDATE_IND: return 12;
    case LL_TERMINATE_IND: return 2;
    case LL_ENC_REQ: return 23;
    case LL_ENC_RSP: return 13;
    case LL_FEATURE_REQ:
    case LL_FEATURE_RSP:
    case LL_PERIPHERAL_FEATURE_REQ: return 9;
    case LL_VERSION_IND: return 6;
    case LL_REJECT_IND: return 2;
    case LL_CONNECTION_PARAM_REQ: return 24;
    case LL_REJECT_EXT_IND: return 3;
    case LL_LENGTH_REQ:
    case LL_LENGTH_RSP: return 9;
    case LL_PHY_REQ:
    case LL_PHY_RSP: return 3;
    case LL_PHY_UPDATE_IND: return 5;
    default: return 1;
    }
}

int radio_llcp_queue(struct sim_link *l, int from, const struct ll_ctl *ctl)
{
    struct link_side *s = &l->s[from];
    struct ll_ctl *q;

    if (s->ctl_n >= SIM_CTL_QUEUE) {
        sim_log("blesim: LL control queue full, opcode 0x%02x dropped", ctl->op);
        return -1;
    }
    q = &s->ctl[(s->ctl_head + s->ctl_n) % SIM_CTL_QUEUE];
    *q = *ctl;
    q->len = llcp_len(ctl->op);
    s->ctl_n++;
    radio_conn_kick(l);
    return 0;
}

static void llcp_send(struct sim_link *l, int from, uint8_t op)
{
    struct ll_ctl ctl = {.op = op};

    radio_llcp_queue(l, from, &ctl);
}

static void llcp_reject(struct sim_link *l, int from, uint8_t rej_op, uint8_t reason)
{
    struct ll_ctl ctl = {.op = LL_REJECT_EXT_IND, .rej_op = rej_op, .reason = reason};

    radio_llcp_queue(l, from, &ctl);
}

bool radio_llcp_busy(const struct sim_link *l)
{
    return l->upd_state == 2 || l->phy_state == 2;
}

/* ---- events to the hosts ------------------------------------------------------------- */

static struct ctrl *llcp_ctrl(const struct sim_link *l, int k)
{
    return l->s[k].ctrl;
}

static void llcp_evt_conn_update(struct sim_link *l, int k, uint8_t status)
{
    uint8_t p[9] = {status};

    sim_put_le16(p + 1, l->s[k].handle);
    sim_put_le16(p + 3, l->itvl_1250us);
    sim_put_le16(p + 5, l->latency);
    sim_put_le16(p + 7, l->timeout_10ms);
    ctrl_le_evt(llcp_ctrl(l, k), BH_HCI_SUBEVT_LE_CONN_UPDATE_COMPLETE, p, 9);
}

static void llcp_evt_phy_update(struct sim_link *l, int k, uint8_t status)
{
    uint8_t p[5] = {status};

    sim_put_le16(p + 1, l->s[k].handle);
    p[3] = l->phy[k];
    p[4] = l->phy[1 - k];
    ctrl_le_evt(llcp_ctrl(l, k), BH_HCI_SUBEVT_LE_PHY_UPDATE_COMPLETE, p, 5);
}

/* Vol 4 Part E 7.7.8 (enabled 0x01: AES-CCM) and 7.7.39 on a refresh. */
static void llcp_evt_encryption(struct sim_link *l, int k, uint8_t status)
{
    uint8_t p[4] = {status};

    sim_put_le16(p + 1, l->s[k].handle);
    if (l->enc_refresh && status == BH_HCI_ERR_SUCCESS) {
        ctrl_evt(llcp_ctrl(l, k), BH_HCI_EVT_ENCRYPTION_KEY_REFRESH_COMPLETE, p, 3);
        return;
    }
    p[3] = status == BH_HCI_ERR_SUCCESS ? 0x01 : 0x00;
    ctrl_evt(llcp_ctrl(l, k), BH_HCI_EVT_ENCRYPTION_CHANGE, p, 4);
}

static uint16_t llcp_time_us(uint16_t octets)
{
    return (uint16_t)((octets + 14u) * 8u); /* Vol 6 Part B 4.5.10, 1M PHY */
}

static void llcp_evt_data_length(struct sim_link *l, int k)
{
    uint8_t p[10];

    sim_put_le16(p, l->s[k].handle);
    sim_put_le16(p + 2, l->eff_octets[k]);
    sim_put_le16(p + 4, llcp_time_us(l->eff_octets[k]));
    sim_put_le16(p + 6, l->eff_octets[1 - k]);
    sim_put_le16(p + 8, llcp_time_us(l->eff_octets[1 - k]));
    ctrl_le_evt(llcp_ctrl(l, k), BH_HCI_SUBEVT_LE_DATA_LENGTH_CHANGE, p, 10);
}

/* ---- procedures started by a host ------------------------------------------------------- */

void radio_llcp_version_start(struct sim_link *l, int side)
{
    struct link_side *s = &l->s[side];

    s->ver_req = true;
    if (s->ver_rcvd) {
        struct ll_ctl none = {.op = LL_VERSION_IND};
        s->ver_sent = true;
        radio_llcp_rx(l, side, &none); /* already known: complete from the cache */
        return;
    }
    if (!s->ver_sent) {
        s->ver_sent = true;
        llcp_send(l, side, LL_VERSION_IND);
    }
}

void radio_llcp_features_start(struct sim_link *l, int side)
{
    l->s[side].feat_req = true;
    llcp_send(l, side, side == 0 ? LL_FEATURE_REQ : LL_PERIPHERAL_FEATURE_REQ);
}

void radio_llcp_data_length_start(struct sim_link *l, int side)
{
    struct ll_ctl ctl = {.op = LL_LENGTH_REQ, .octets_rx = 251};

    if (l->s[side].len_req) {
        return; /* the REQ in flight carries the newest value once answered */
    }
    l->s[side].len_req = true;
    ctl.octets_tx = l->s[side].max_tx_octets;
    radio_llcp_queue(l, side, &ctl);
}

void radio_llcp_phy_start(struct sim_link *l, int side)
{
    l->phy_state = 1;
    l->phy_initiator = side;
    llcp_send(l, side, LL_PHY_REQ);
}

void radio_llcp_conn_update_start(struct sim_link *l, int side, uint16_t itvl_min,
                                  uint16_t itvl_max, uint16_t latency, uint16_t timeout)
{
    struct ll_ctl ctl = {.itvl_min = itvl_min, .itvl_max = itvl_max, .latency = latency,
                         .timeout = timeout};

    if (side == 0) {
        l->upd_state = 1;
        l->upd_itvl = itvl_min;
        l->upd_latency = latency;
        l->upd_timeout = timeout;
        l->upd_notify_periph = false;
        ctl.op = LL_CONNECTION_UPDATE_IND;
    } else {
        l->cpr_local = true;
        ctl.op = LL_CONNECTION_PARAM_REQ;
    }
    radio_llcp_queue(l, side, &ctl);
}

void radio_llcp_cpr_reply(struct sim_link *l, bool accept, uint16_t itvl_min, uint16_t itvl_max,
                          uint16_t latency, uint16_t timeout, uint8_t reason)
{
    l->cpr_pending = false;
    if (!accept) {
        llcp_reject(l, 0, LL_CONNECTION_PARAM_REQ, reason);
        return;
    }
    radio_llcp_conn_update_start(l, 0, itvl_min, itvl_max, latency, timeout);
    l->upd_notify_periph = true;
}

void radio_llcp_enc_start(struct sim_link *l)
{
    l->enc_refresh = l->encrypted;
    l->enc_state = LINK_ENC_REQ_SENT;
    if (l->enc_refresh) {
        llcp_send(l, 0, LL_PAUSE_ENC_REQ);
    }
    llcp_send(l, 0, LL_ENC_REQ);
}

/* ltk NULL: the peripheral host's negative reply. */
void radio_llcp_ltk_reply(struct sim_link *l, const uint8_t *ltk)
{
    if (ltk == NULL) {
        llcp_reject(l, 1, LL_ENC_REQ, BH_HCI_ERR_PIN_OR_KEY_MISSING);
        return;
    }
    l->enc_ltk_ok = memcmp(ltk, l->enc_ltk, 16) == 0;
    l->enc_state = LINK_ENC_STARTING;
    llcp_send(l, 1, LL_ENC_RSP);
    llcp_send(l, 1, LL_START_ENC_REQ);
}

void radio_llcp_terminate(struct sim_link *l, int side, uint8_t reason)
{
    struct ll_ctl ctl = {.op = LL_TERMINATE_IND, .reason = reason};

    l->term_side = (int8_t)side;
    l->term_reason = reason;
    radio_llcp_queue(l, side, &ctl);
}

/* ---- instants ---------------------------------------------------------------------------- */

static bool llcp_at_instant(const struct sim_link *l, uint16_t instant)
{
    return (int16_t)(l->counter - instant) >= 0;
}

void radio_llcp_instants(struct sim_link *l)
{
    if (l->upd_state == 2 && llcp_at_instant(l, l->upd_instant)) {
        bool changed = l->itvl_1250us != l->upd_itvl || l->latency != l->upd_latency ||
                       l->timeout_10ms != l->upd_timeout;
        l->itvl_1250us = l->upd_itvl;
        l->latency = l->upd_latency;
        l->timeout_10ms = l->upd_timeout;
        l->upd_state = 0;
        llcp_evt_conn_update(l, 0, BH_HCI_ERR_SUCCESS);
        if (changed || l->upd_notify_periph || l->cpr_local) {
            llcp_evt_conn_update(l, 1, BH_HCI_ERR_SUCCESS);
        }
        l->cpr_local = false;
    }
    if (l->phy_state == 2 && llcp_at_instant(l, l->phy_instant)) {
        l->phy[0] = l->phy_new[0];
        l->phy[1] = l->phy_new[1];
        l->phy_state = 0;
        llcp_evt_phy_update(l, 0, BH_HCI_ERR_SUCCESS);
        llcp_evt_phy_update(l, 1, BH_HCI_ERR_SUCCESS);
        l->s[0].phy_host_req = false;
        l->s[1].phy_host_req = false;
    }
}

/* ---- received control PDUs ------------------------------------------------------------------ */

static uint8_t llcp_pick_phy(uint8_t prefs, uint8_t cur)
{
    if (prefs & PHY_2M) {
        return PHY_2M;
    }
    return (prefs & PHY_1M) ? PHY_1M : cur;
}

static void llcp_side_prefs(const struct sim_link *l, int k, uint8_t *tx, uint8_t *rx)
{
    const struct link_side *s = &l->s[k];

    if (s->phy_host_req) {
        *tx = s->phy_tx_pref;
        *rx = s->phy_rx_pref;
    } else if (s->ctrl != NULL) {
        *tx = s->ctrl->def_tx_phys;
        *rx = s->ctrl->def_rx_phys;
    } else {
        *tx = *rx = PHY_1M;
    }
}

/* Central decides (Vol 6 Part B 5.1.10) and sends LL_PHY_UPDATE_IND. */
static void llcp_phy_decide(struct sim_link *l)
{
    uint8_t ctx, crx, ptx, prx;

    llcp_side_prefs(l, 0, &ctx, &crx);
    llcp_side_prefs(l, 1, &ptx, &prx);
    l->phy_new[0] = llcp_pick_phy(ctx & prx, l->phy[0]);
    l->phy_new[1] = llcp_pick_phy(ptx & crx, l->phy[1]);
    llcp_send(l, 0, LL_PHY_UPDATE_IND);
}

static void llcp_rx_phy_update_ind(struct sim_link *l)
{
    if (l->phy_new[0] != l->phy[0] || l->phy_new[1] != l->phy[1]) {
        l->phy_state = 2;
        l->phy_instant = (uint16_t)(l->counter + LLCP_INSTANT_OFFSET);
        return;
    }
    /* No change: no instant; only a host that asked hears about it. */
    l->phy_state = 0;
    for (int k = 0; k < 2; k++) {
        if (l->s[k].phy_host_req) {
            llcp_evt_phy_update(l, k, BH_HCI_ERR_SUCCESS);
            l->s[k].phy_host_req = false;
        }
    }
}

static void llcp_rx_length(struct sim_link *l, int to, const struct ll_ctl *ctl)
{
    uint16_t old[2] = {l->eff_octets[0], l->eff_octets[1]};
    int from = 1 - to;

    l->s[from].max_tx_octets = ctl->octets_tx;
    if (ctl->op == LL_LENGTH_REQ) {
        struct ll_ctl rsp = {.op = LL_LENGTH_RSP, .octets_rx = 251};
        rsp.octets_tx = l->s[to].max_tx_octets;
        radio_llcp_queue(l, to, &rsp);
        return;
    }
    l->s[to].len_req = false;
    for (int k = 0; k < 2; k++) {
        uint16_t want = l->s[k].max_tx_octets;
        l->eff_octets[k] = want < 27 ? 27 : (want > 251 ? 251 : want);
    }
    if (old[0] == l->eff_octets[0] && old[1] == l->eff_octets[1]) {
        return;
    }
    llcp_evt_data_length(l, 0);
    llcp_evt_data_length(l, 1);
}

static void llcp_rx_cpr(struct sim_link *l, const struct ll_ctl *ctl)
{
    uint8_t p[10];

    if (!ctrl_le_evt_enabled(llcp_ctrl(l, 0), BH_HCI_SUBEVT_LE_REMOTE_CONN_PARAM_REQUEST)) {
        llcp_reject(l, 0, LL_CONNECTION_PARAM_REQ, BH_HCI_ERR_UNSUPPORTED_REMOTE_FEATURE);
        return;
    }
    l->cpr_pending = true;
    sim_put_le16(p, l->s[0].handle);
    sim_put_le16(p + 2, ctl->itvl_min);
    sim_put_le16(p + 4, ctl->itvl_max);
    sim_put_le16(p + 6, ctl->latency);
    sim_put_le16(p + 8, ctl->timeout);
    ctrl_le_evt(llcp_ctrl(l, 0), BH_HCI_SUBEVT_LE_REMOTE_CONN_PARAM_REQUEST, p, 10);
}

static void llcp_rx_reject(struct sim_link *l, int to, const struct ll_ctl *ctl)
{
    if (ctl->rej_op == LL_CONNECTION_PARAM_REQ && to == 1) {
        l->cpr_local = false;
        llcp_evt_conn_update(l, 1, ctl->reason);
        return;
    }
    if (ctl->rej_op == LL_ENC_REQ && to == 0) {
        l->enc_state = LINK_ENC_IDLE;
        if (l->enc_refresh) {
            /* Encryption was paused and cannot resume: Vol 6 Part B 5.1.3.2. */
            radio_conn_close(l, ctl->reason, ctl->reason);
            return;
        }
        llcp_evt_encryption(l, 0, ctl->reason);
    }
}

static void llcp_rx_enc_req(struct sim_link *l)
{
    uint8_t p[12];

    if (!ctrl_le_evt_enabled(llcp_ctrl(l, 1), BH_HCI_SUBEVT_LE_LONG_TERM_KEY_REQUEST)) {
        llcp_reject(l, 1, LL_ENC_REQ, BH_HCI_ERR_PIN_OR_KEY_MISSING);
        return;
    }
    l->enc_state = LINK_ENC_WAIT_LTK;
    sim_put_le16(p, l->s[1].handle);
    memcpy(p + 2, l->enc_rand, 8);
    sim_put_le16(p + 10, l->enc_ediv);
    ctrl_le_evt(llcp_ctrl(l, 1), BH_HCI_SUBEVT_LE_LONG_TERM_KEY_REQUEST, p, 12);
}

/* START_ENC_RSP: the first encrypted PDU each way; a wrong key fails its MIC. */
static void llcp_rx_start_enc_rsp(struct sim_link *l, int to)
{
    if (to == 1) {
        if (!l->enc_ltk_ok) {
            radio_conn_close(l, BH_HCI_ERR_CONN_TERMINATED_MIC_FAILURE,
                             BH_HCI_ERR_CONN_TERMINATED_MIC_FAILURE);
            return;
        }
        llcp_evt_encryption(l, 1, BH_HCI_ERR_SUCCESS);
        llcp_send(l, 1, LL_START_ENC_RSP);
        return;
    }
    l->enc_state = LINK_ENC_IDLE;
    llcp_evt_encryption(l, 0, BH_HCI_ERR_SUCCESS);
}

static void llcp_rx_version(struct sim_link *l, int to)
{
    struct link_side *s = &l->s[to];
    uint8_t p[8] = {BH_HCI_ERR_SUCCESS};

    s->ver_rcvd = true;
    if (!s->ver_sent) {
        s->ver_sent = true;
        llcp_send(l, to, LL_VERSION_IND);
    }
    if (!s->ver_req) {
        return;
    }
    s->ver_req = false;
    sim_put_le16(p + 1, s->handle);
    p[3] = LLCP_VERSION;
    sim_put_le16(p + 4, LLCP_COMPANY);
    sim_put_le16(p + 6, LLCP_SUBVERSION);
    ctrl_evt(s->ctrl, BH_HCI_EVT_READ_REMOTE_VERSION_INFO_COMPLETE, p, 8);
}

static void llcp_rx_feature_rsp(struct sim_link *l, int to)
{
    uint8_t p[11] = {BH_HCI_ERR_SUCCESS};

    if (!l->s[to].feat_req) {
        return;
    }
    l->s[to].feat_req = false;
    sim_put_le16(p + 1, l->s[to].handle);
    sim_put_le64(p + 3, ctrl_le_features());
    ctrl_le_evt(llcp_ctrl(l, to), BH_HCI_SUBEVT_LE_READ_REMOTE_FEATURES_COMPLETE, p, 11);
}

static void llcp_rx_terminate(struct sim_link *l, int to, const struct ll_ctl *ctl)
{
    uint8_t reason[2];

    reason[to] = ctl->reason;
    reason[1 - to] = BH_HCI_ERR_CONN_TERMINATED_BY_LOCAL_HOST;
    radio_conn_close(l, reason[0], reason[1]);
}

void radio_llcp_rx(struct sim_link *l, int to, const struct ll_ctl *ctl)
{
    switch (ctl->op) {
    case LL_TERMINATE_IND: llcp_rx_terminate(l, to, ctl); break;
    case LL_VERSION_IND: llcp_rx_version(l, to); break;
    case LL_FEATURE_REQ:
    case LL_PERIPHERAL_FEATURE_REQ: llcp_send(l, to, LL_FEATURE_RSP); break;
    case LL_FEATURE_RSP: llcp_rx_feature_rsp(l, to); break;
    case LL_CONNECTION_UPDATE_IND:
        l->upd_state = 2;
        l->upd_instant = (uint16_t)(l->counter + LLCP_INSTANT_OFFSET);
        break;
    case LL_CONNECTION_PARAM_REQ: llcp_rx_cpr(l, ctl); break;
    case LL_REJECT_IND:
    case LL_REJECT_EXT_IND: llcp_rx_reject(l, to, ctl); break;
    case LL_LENGTH_REQ:
    case LL_LENGTH_RSP: llcp_rx_length(l, to, ctl); break;
    case LL_PHY_REQ:
        if (to == 0) {
            llcp_phy_decide(l);
        } else {
            llcp_send(l, 1, LL_PHY_RSP);
        }
        break;
    case LL_PHY_RSP: llcp_phy_decide(l); break;
    case LL_PHY_UPDATE_IND: llcp_rx_phy_update_ind(l); break;
    case LL_PAUSE_ENC_REQ: llcp_send(l, 1, LL_PAUSE_ENC_RSP); break;
    case LL_ENC_REQ: llcp_rx_enc_req(l); break;
    case LL_START_ENC_REQ:
        l->encrypted = true;
        llcp_send(l, 0, LL_START_ENC_RSP);
        break;
    case LL_START_ENC_RSP: llcp_rx_start_enc_rsp(l, to); break;
    default: break;
    }
}

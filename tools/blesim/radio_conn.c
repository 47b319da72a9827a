/* SPDX-License-Identifier: MIT */
/*
 * radio_conn.c: connections between two virtual controllers (Core 5.4
 * Vol 6 Part B 4.5). A link runs one connection event per interval. In an
 * event the central and the peripheral exchange PDU pairs, each side sending
 * its next LL control PDU, else its next data PDU, else an empty PDU,
 * until neither has more data (MD) or the next pair would end after the
 * next anchor. A pair lasts airtime(C) + T_IFS + airtime(P) + T_IFS, with
 * airtime from the PHY and the payload (Vol 6 Part B 2.1; README.md gives
 * the formula). Data reaches the peer's host in the event that carries it,
 * and the sender's host gets Number Of Completed Packets when the last PDU
 * of its HCI packet is received (acknowledged) by the peer. A lost PDU is
 * sent again at the next opportunity. Supervision timeout (4.5.2) ends a
 * link whose peer went silent. LL control procedures: radio_llcp.c.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "hci/hci_spec.h"

#define CONN_T_IFS_US 150u
#define CONN_FIRST_ANCHOR_US 2500u
#define CONN_MAX_PAIRS_FAST 10000
#define CONN_MAX_PAIRS 1000

struct conn_ctx {
    struct sim_link *graveyard;
};

static struct conn_ctx conn_ctx;

/* What one side puts on air in a pair. */
struct conn_pdu {
    enum { CONN_PDU_EMPTY, CONN_PDU_CTL, CONN_PDU_DATA } kind;
    uint16_t len;
};

uint32_t radio_pdu_airtime_us(uint8_t phy, uint16_t n, bool mic)
{
    uint32_t body = 4u + 2u + n + (mic ? 4u : 0u) + 3u; /* AA, header, payload, MIC, CRC */

    if (phy == PHY_2M) {
        return (2u + body) * 4u;
    }
    return (1u + body) * 8u;
}

static uint64_t conn_itvl_us(const struct sim_link *l)
{
    return (uint64_t)l->itvl_1250us * 1250u;
}

static void conn_free_queue(struct link_side *s)
{
    while (s->head != NULL) {
        struct ctrl_acl_pkt *p = s->head;
        s->head = p->next;
        if (s->ctrl != NULL && s->ctrl->acl_used > 0) {
            s->ctrl->acl_used--;
        }
        free(p);
    }
    s->tail = NULL;
}

static void conn_unlink_side(struct sim_link *l, int k)
{
    struct link_side *s = &l->s[k];

    conn_free_queue(s);
    if (s->ctrl != NULL && s->handle >= 1 && s->handle <= SIM_MAX_CONN &&
        s->ctrl->links[s->handle - 1] == l) {
        s->ctrl->links[s->handle - 1] = NULL;
    }
    s->ctrl = NULL;
}

void radio_conn_close(struct sim_link *l, uint8_t reason_c, uint8_t reason_p)
{
    uint8_t reason[2] = {reason_c, reason_p};

    if (l->closed) {
        return;
    }
    l->closed = true;
    sim_timer_stop(&l->timer);
    for (int k = 0; k < 2; k++) {
        struct ctrl *c = l->s[k].ctrl;
        conn_unlink_side(l, k);
        if (c != NULL) {
            ctrl_evt_disconn_complete(c, l->s[k].handle, reason[k]);
        }
    }
    l->grave_next = conn_ctx.graveyard;
    conn_ctx.graveyard = l;
}

void radio_conn_reap(void)
{
    while (conn_ctx.graveyard != NULL) {
        struct sim_link *l = conn_ctx.graveyard;
        conn_ctx.graveyard = l->grave_next;
        free(l);
    }
}

void radio_conn_detach(struct ctrl *c)
{
    for (int i = 0; i < SIM_MAX_CONN; i++) {
        struct sim_link *l = c->links[i];
        if (l == NULL) {
            continue;
        }
        conn_unlink_side(l, ctrl_link_side(c, l));
        if (l->s[0].ctrl == NULL && l->s[1].ctrl == NULL) {
            radio_conn_close(l, 0, 0);
        }
    }
}

/* Side k has a data PDU to send that the peer can take. A peer whose host
 * is out of buffers (controller to host flow control) would not acknowledge
 * it, so it waits; the side sends empty PDUs meanwhile. */
static bool conn_side_data_ready(const struct sim_link *l, int k)
{
    const struct ctrl_acl_pkt *p = l->s[k].head;
    uint16_t n;

    if (p == NULL || l->enc_state != LINK_ENC_IDLE) {
        return false;
    }
    n = (uint16_t)(p->len - p->off);
    n = n < l->eff_octets[k] ? n : l->eff_octets[k];
    return ctrl_acl_to_host_fits(l->s[1 - k].ctrl, n);
}

static bool conn_side_has_more(const struct sim_link *l, int k)
{
    return l->s[k].ctrl != NULL && (l->s[k].ctl_n > 0 || conn_side_data_ready(l, k));
}

/* Anything for the next event to do at once (--fast). */
static bool conn_pending(const struct sim_link *l)
{
    if (l->s[0].ctrl == NULL || l->s[1].ctrl == NULL) {
        return false;
    }
    return conn_side_has_more(l, 0) || conn_side_has_more(l, 1) || radio_llcp_busy(l);
}

void radio_conn_kick(struct sim_link *l)
{
    uint64_t now = sim_now();

    if (!sim_opts.fast || l->closed || !conn_pending(l)) {
        return;
    }
    if (!l->timer.armed || l->timer.at_us > now) {
        l->anchor_us = now;
        sim_timer_start(&l->timer, now);
    }
}

static void conn_next_pdu(const struct sim_link *l, int k, struct conn_pdu *pdu)
{
    const struct link_side *s = &l->s[k];

    if (s->ctrl != NULL && s->ctl_n > 0) {
        pdu->kind = CONN_PDU_CTL;
        pdu->len = s->ctl[s->ctl_head].len;
    } else if (s->ctrl != NULL && conn_side_data_ready(l, k)) {
        uint16_t left = (uint16_t)(s->head->len - s->head->off);
        pdu->kind = CONN_PDU_DATA;
        pdu->len = left < l->eff_octets[k] ? left : l->eff_octets[k];
    } else {
        pdu->kind = CONN_PDU_EMPTY;
        pdu->len = 0;
    }
}

/* The data PDU from side k was received by the peer. */
static void conn_deliver_data(struct sim_link *l, int k, uint16_t n)
{
    struct link_side *s = &l->s[k];
    struct link_side *peer = &l->s[1 - k];
    struct ctrl_acl_pkt *p = s->head;
    bool start = p->start && p->off == 0;

    ctrl_acl_to_host(peer->ctrl, peer->handle, start, p->data + p->off, n);
    p->off = (uint16_t)(p->off + n);
    if (p->off >= p->len) {
        s->head = p->next;
        if (s->head == NULL) {
            s->tail = NULL;
        }
        free(p);
        if (s->ctrl->acl_used > 0) {
            s->ctrl->acl_used--;
        }
        s->nocp++;
    }
    l->data_pdus++;
    if (sim_opts.disc_after_pdus != 0 && l->data_pdus >= sim_opts.disc_after_pdus) {
        radio_conn_close(l, sim_opts.disc_reason, sim_opts.disc_reason);
    }
}

static void conn_deliver(struct sim_link *l, int k, const struct conn_pdu *pdu, uint64_t at)
{
    struct link_side *s = &l->s[k];

    l->s[1 - k].last_rx_us = at;
    if (pdu->kind == CONN_PDU_CTL) {
        struct ll_ctl ctl = s->ctl[s->ctl_head];
        s->ctl_head = (uint8_t)((s->ctl_head + 1) % SIM_CTL_QUEUE);
        s->ctl_n--;
        radio_llcp_rx(l, 1 - k, &ctl);
    } else if (pdu->kind == CONN_PDU_DATA) {
        conn_deliver_data(l, k, pdu->len);
    }
}

static uint32_t conn_pair_us(const struct sim_link *l, const struct conn_pdu *c,
                             const struct conn_pdu *p)
{
    if (sim_opts.fast) {
        return 0;
    }
    return radio_pdu_airtime_us(l->phy[0], c->len, l->encrypted && c->len > 0) + CONN_T_IFS_US +
           radio_pdu_airtime_us(l->phy[1], p->len, l->encrypted && p->len > 0) + CONN_T_IFS_US;
}

/* One connection event's PDU exchange, starting at the anchor. */
static void conn_exchange(struct sim_link *l, uint64_t anchor)
{
    uint64_t budget = conn_itvl_us(l);
    uint64_t t = 0;
    int max = sim_opts.fast ? CONN_MAX_PAIRS_FAST : CONN_MAX_PAIRS;

    for (int pairs = 0; pairs < max && !l->closed; pairs++) {
        struct conn_pdu cp;
        struct conn_pdu pp;
        conn_next_pdu(l, 0, &cp);
        conn_next_pdu(l, 1, &pp);
        uint32_t dur = conn_pair_us(l, &cp, &pp);
        if (pairs > 0 && t + dur > budget) {
            break;
        }
        /* The peripheral answers only a packet it received (Vol 6 Part B 4.5.1). */
        if (l->s[0].ctrl == NULL || l->s[1].ctrl == NULL || sim_fault_pdu_lost()) {
            break;
        }
        conn_deliver(l, 0, &cp, anchor + t);
        if (l->closed) {
            return;
        }
        if (!sim_fault_pdu_lost() && l->s[0].ctrl != NULL) {
            conn_deliver(l, 1, &pp, anchor + t);
        }
        t += dur;
        if (!conn_side_has_more(l, 0) && !conn_side_has_more(l, 1)) {
            break;
        }
    }
}

static void conn_report_completed(struct sim_link *l)
{
    for (int k = 0; k < 2; k++) {
        struct link_side *s = &l->s[k];
        if (s->ctrl != NULL && s->nocp > 0) {
            ctrl_evt_num_completed(s->ctrl, s->handle, s->nocp);
        }
        s->nocp = 0;
    }
}

/* Vol 6 Part B 4.5.2; a side whose own LL_TERMINATE_IND went unacknowledged
 * reports 0x16 (5.1.3.1: the terminate timer is the supervision timeout). */
static bool conn_supervision(struct sim_link *l, uint64_t now)
{
    uint64_t to = (uint64_t)l->timeout_10ms * 10000u;
    bool expired = false;
    uint8_t reason[2] = {BH_HCI_ERR_CONN_TIMEOUT, BH_HCI_ERR_CONN_TIMEOUT};

    for (int k = 0; k < 2; k++) {
        if (l->s[k].ctrl != NULL && now > l->s[k].last_rx_us + to) {
            expired = true;
        }
    }
    if (!expired) {
        return false;
    }
    if (l->term_side >= 0) {
        reason[l->term_side] = BH_HCI_ERR_CONN_TERMINATED_BY_LOCAL_HOST;
    }
    radio_conn_close(l, reason[0], reason[1]);
    return true;
}

static void conn_on_event(struct sim_timer *t)
{
    struct sim_link *l = SIM_CONTAINER_OF(t, struct sim_link, timer);
    uint64_t now = t->at_us;

    if (l->closed) {
        return;
    }
    if (sim_opts.disc_after_ms != 0 &&
        now - l->created_us >= (uint64_t)sim_opts.disc_after_ms * 1000u) {
        radio_conn_close(l, sim_opts.disc_reason, sim_opts.disc_reason);
        return;
    }
    if (conn_supervision(l, now)) {
        return;
    }
    radio_llcp_instants(l);
    conn_exchange(l, now);
    if (l->closed) {
        return;
    }
    conn_report_completed(l);
    l->counter++;
    l->anchor_us = now + conn_itvl_us(l);
    if (sim_opts.fast && conn_pending(l)) {
        l->anchor_us = sim_now();
    }
    sim_timer_start(&l->timer, l->anchor_us);
}

/* Vol 4 Part E 7.7.65.1 and 7.7.65.10 */
static void conn_evt_complete(struct sim_link *l, int k, uint8_t ptype, const uint8_t *paddr)
{
    struct ctrl *c = l->s[k].ctrl;
    uint8_t p[30] = {BH_HCI_ERR_SUCCESS};
    bool enh = ctrl_le_evt_enabled(c, BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE);
    uint8_t *q = p + 11 + (enh ? 12 : 0);

    sim_put_le16(p + 1, l->s[k].handle);
    p[3] = (uint8_t)k;
    p[4] = ptype;
    memcpy(p + 5, paddr, 6);
    sim_put_le16(q, l->itvl_1250us);
    sim_put_le16(q + 2, l->latency);
    sim_put_le16(q + 4, l->timeout_10ms);
    q[6] = 0x00; /* Central_Clock_Accuracy: 500 ppm */
    if (enh) {
        ctrl_le_evt(c, BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE, p, 30);
    } else {
        ctrl_le_evt(c, BH_HCI_SUBEVT_LE_CONN_COMPLETE, p, 18);
    }
}

static int conn_slot(struct ctrl *c)
{
    for (int i = 0; i < SIM_MAX_CONN; i++) {
        if (c->links[i] == NULL) {
            return i;
        }
    }
    return -1;
}

void radio_conn_establish(struct ctrl *central, struct ctrl *periph, uint8_t c_type,
                          const uint8_t c_addr[6], uint8_t p_type, const uint8_t p_addr[6])
{
    struct sim_link *l = calloc(1, sizeof(*l));
    struct ctrl *cs[2] = {central, periph};
    uint64_t now = sim_now();

    if (l == NULL) {
        return;
    }
    l->itvl_1250us = central->init.itvl_min_1250us;
    l->latency = central->init.latency;
    l->timeout_10ms = central->init.timeout_10ms;
    l->created_us = now;
    l->term_side = -1;
    l->timer.fn = conn_on_event;
    for (int k = 0; k < 2; k++) {
        int slot = conn_slot(cs[k]);
        l->s[k].ctrl = cs[k];
        l->s[k].handle = (uint16_t)(slot + 1);
        l->s[k].last_rx_us = now;
        l->s[k].max_tx_octets = cs[k]->sugg_tx_octets;
        cs[k]->links[slot] = l;
        l->eff_octets[k] = 27;
        l->phy[k] = PHY_1M;
    }
    conn_evt_complete(l, 0, p_type, p_addr);
    conn_evt_complete(l, 1, c_type, c_addr);
    /* Vol 6 Part B 5.1.9: controllers whose suggested length is above the
     * minimum start the data length update on their own. */
    if (l->s[0].max_tx_octets > 27 || l->s[1].max_tx_octets > 27) {
        radio_llcp_data_length_start(l, l->s[0].max_tx_octets > 27 ? 0 : 1);
    }
    l->anchor_us = now + (sim_opts.fast ? 0 : CONN_FIRST_ANCHOR_US);
    sim_timer_start(&l->timer, l->anchor_us);
}

/* Vol 4 Part E 5.4.2: LE host to controller PB 0x00 starts an L2CAP PDU,
 * 0x01 continues it (0x02 is tolerated as a start). */
void radio_conn_acl_from_host(struct ctrl *c, uint16_t handle, uint8_t pb, const uint8_t *data,
                              uint16_t len)
{
    struct sim_link *l = ctrl_link(c, handle);
    struct link_side *s;
    struct ctrl_acl_pkt *p;

    if (l == NULL || l->closed) {
        sim_log("blesim: controller %d: ACL for unknown handle 0x%04x dropped", c->idx, handle);
        return;
    }
    if (pb == 0x03) {
        sim_log("blesim: controller %d: ACL with PB 0x3 dropped", c->idx);
        return;
    }
    s = &l->s[ctrl_link_side(c, l)];
    if (len == 0) {
        ctrl_evt_num_completed(c, handle, 1); /* nothing to send: done at once */
        return;
    }
    p = malloc(sizeof(*p) + len);
    if (p == NULL) {
        return;
    }
    p->next = NULL;
    p->len = len;
    p->off = 0;
    p->start = pb != BH_HCI_ACL_PB_CONT;
    memcpy(p->data, data, len);
    if (s->tail != NULL) {
        s->tail->next = p;
    } else {
        s->head = p;
    }
    s->tail = p;
    c->acl_used++;
    radio_conn_kick(l);
}

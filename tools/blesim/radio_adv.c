/* SPDX-License-Identifier: MIT */
/*
 * radio_adv.c: the advertising physical channel. Each advertising
 * controller has a timer firing one advertising event every advInterval
 * plus advDelay, a pseudo-random 0..10 ms (Core 5.4 Vol 6 Part B 4.4.2.2.1);
 * high duty cycle directed advertising repeats every 3.75 ms and times out
 * after 1.28 s (4.4.2.4.3). In an event, every other controller whose scan
 * or initiator window is open hears it once (the three primary channels
 * are not modelled apart): an initiator that accepts it connects (the
 * advertiser stops), a scanner gets an LE Advertising Report and, when
 * active and the PDU is scannable, a scan response report too.
 * In --fast mode events repeat every 1 ms and windows are always open.
 */
#include "sim.h"

#include <string.h>

#include "hci/hci_spec.h"

#define ADV_FAST_PERIOD_US 1000u
#define ADV_HDC_PERIOD_US 3750u
#define ADV_HDC_TIMEOUT_US 1280000u
#define ADV_DELAY_MAX_US 10000u

/* Advertising PDU types as reported, Vol 4 Part E 7.7.65.2 */
#define ADV_RPT_IND 0x00
#define ADV_RPT_DIRECT_IND 0x01
#define ADV_RPT_SCAN_IND 0x02
#define ADV_RPT_NONCONN_IND 0x03
#define ADV_RPT_SCAN_RSP 0x04

bool radio_window_open(uint64_t start_us, uint16_t itvl_625us, uint16_t window_625us,
                       uint64_t now)
{
    uint64_t itvl = (uint64_t)itvl_625us * 625u;

    if (sim_opts.fast) {
        return true;
    }
    if (now < start_us || itvl == 0) {
        return false;
    }
    return (now - start_us) % itvl < (uint64_t)window_625us * 625u;
}

static bool adv_directed(const struct ctrl *c)
{
    return c->adv.type == 0x01 || c->adv.type == 0x04;
}

static void adv_schedule(struct ctrl *c, uint64_t from)
{
    uint64_t next;

    if (sim_opts.fast) {
        next = from + ADV_FAST_PERIOD_US;
    } else if (c->adv.type == 0x01) {
        next = from + ADV_HDC_PERIOD_US;
    } else {
        next = from + (uint64_t)c->adv.itvl_min_625us * 625u +
               sim_rand_u32() % (ADV_DELAY_MAX_US + 1);
    }
    sim_timer_start(&c->adv.timer, next);
}

/* Is (type, addr) the target of c's directed advertising? */
static bool adv_targets(const struct ctrl *c, uint8_t type, const uint8_t addr[6])
{
    return c->adv.peer_type == type && memcmp(c->adv.peer, addr, 6) == 0;
}

/* Vol 4 Part E 7.7.65.1: advertising timeout of high duty cycle directed advertising. */
static void adv_timeout(struct ctrl *c)
{
    uint8_t p[30] = {BH_HCI_ERR_ADV_TIMEOUT};

    radio_adv_stop(c);
    p[3] = 0x01;
    if (ctrl_le_evt_enabled(c, BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE)) {
        ctrl_le_evt(c, BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE, p, 30);
    } else {
        ctrl_le_evt(c, BH_HCI_SUBEVT_LE_CONN_COMPLETE, p, 18);
    }
}

static bool adv_has_slot(const struct ctrl *c)
{
    for (int i = 0; i < SIM_MAX_CONN; i++) {
        if (c->links[i] == NULL) {
            return true;
        }
    }
    return false;
}

/* Vol 6 Part B 4.3.2 and 4.3.5: does initiator o connect to advertiser c? */
static bool adv_try_connect(struct ctrl *c, struct ctrl *o, uint8_t atype, const uint8_t *addr,
                            uint64_t now)
{
    uint8_t otype;
    uint8_t oaddr[6];

    if (!o->init.pending || c->adv.type == 0x02 || c->adv.type == 0x03 ||
        !radio_window_open(o->init.start_us, o->init.scan_itvl_625us,
                           o->init.scan_window_625us, now)) {
        return false;
    }
    ctrl_own_addr(o, o->init.own_type, &otype, oaddr);
    if (adv_directed(c) && !adv_targets(c, otype, oaddr)) {
        return false;
    }
    if (o->init.filter == 0 &&
        (o->init.peer_type != atype || memcmp(o->init.peer, addr, 6) != 0)) {
        return false;
    }
    if (o->init.filter == 1 && !ctrl_fal_has(o, atype, addr)) {
        return false;
    }
    if (!adv_directed(c) && (c->adv.filter & 0x02) && !ctrl_fal_has(c, otype, oaddr)) {
        return false;
    }
    if (!adv_has_slot(c) || !adv_has_slot(o)) {
        return false;
    }
    o->init.pending = false;
    radio_adv_stop(c);
    radio_conn_establish(o, c, otype, oaddr, atype, addr);
    return true;
}

/* Duplicate filter of scanner o; true if already reported since scan enable. */
static bool adv_dup_seen(struct ctrl *o, uint8_t atype, const uint8_t *addr, uint8_t evt)
{
    struct ctrl_scan *s = &o->scan;

    if (!s->filter_dup) {
        return false;
    }
    for (unsigned i = 0; i < s->dup_n; i++) {
        if (s->dup[i].type == atype && s->dup[i].evt == evt &&
            memcmp(s->dup[i].addr, addr, 6) == 0) {
            return true;
        }
    }
    struct ctrl_dup *d = &s->dup[s->dup_next];
    d->type = atype;
    d->evt = evt;
    memcpy(d->addr, addr, 6);
    s->dup_next = (uint8_t)((s->dup_next + 1) % SIM_DUP_MAX);
    if (s->dup_n < SIM_DUP_MAX) {
        s->dup_n++;
    }
    return false;
}

/* Vol 4 Part E 7.7.65.2: one report per event. */
static void adv_report(struct ctrl *o, uint8_t evt, uint8_t atype, const uint8_t *addr,
                       const uint8_t *data, uint8_t len)
{
    uint8_t p[2 + 1 + 6 + 1 + 31 + 1];

    if (adv_dup_seen(o, atype, addr, evt)) {
        return;
    }
    p[0] = 1;
    p[1] = evt;
    p[2] = atype;
    memcpy(p + 3, addr, 6);
    p[9] = len;
    if (len > 0) {
        memcpy(p + 10, data, len);
    }
    p[10 + len] = (uint8_t)(int8_t)SIM_RSSI;
    ctrl_le_evt(o, BH_HCI_SUBEVT_LE_ADV_REPORT, p, (uint8_t)(11 + len));
}

static void adv_scan(struct ctrl *c, struct ctrl *o, uint8_t atype, const uint8_t *addr,
                     uint64_t now)
{
    static const uint8_t rpt_type[5] = {ADV_RPT_IND, ADV_RPT_DIRECT_IND, ADV_RPT_SCAN_IND,
                                        ADV_RPT_NONCONN_IND, ADV_RPT_DIRECT_IND};
    uint8_t otype;
    uint8_t oaddr[6];

    if (!o->scan.enabled ||
        !radio_window_open(o->scan.start_us, o->scan.itvl_625us, o->scan.window_625us, now)) {
        return;
    }
    ctrl_own_addr(o, o->scan.own_type, &otype, oaddr);
    if (adv_directed(c) && !adv_targets(c, otype, oaddr)) {
        return;
    }
    if (o->scan.filter == 1 && !ctrl_fal_has(o, atype, addr)) {
        return;
    }
    if (adv_directed(c)) {
        adv_report(o, ADV_RPT_DIRECT_IND, atype, addr, NULL, 0);
        return;
    }
    adv_report(o, rpt_type[c->adv.type], atype, addr, c->adv.data, c->adv.data_len);
    /* Active scanning: SCAN_REQ to ADV_IND / ADV_SCAN_IND, filtered by the
     * advertiser's policy (bit 0: scan requests from the list only). */
    if (o->scan.type == 1 && (c->adv.type == 0x00 || c->adv.type == 0x02) &&
        (!(c->adv.filter & 0x01) || ctrl_fal_has(c, otype, oaddr))) {
        adv_report(o, ADV_RPT_SCAN_RSP, atype, addr, c->adv.sr, c->adv.sr_len);
    }
}

static void adv_on_timer(struct sim_timer *t)
{
    struct ctrl *c = SIM_CONTAINER_OF(t, struct ctrl, adv.timer);
    uint64_t now = t->at_us;
    uint8_t atype;
    uint8_t addr[6];

    if (!c->adv.enabled || c->dead) {
        return;
    }
    if (c->adv.type == 0x01 && now - c->adv.start_us >= ADV_HDC_TIMEOUT_US) {
        adv_timeout(c);
        return;
    }
    ctrl_own_addr(c, c->adv.own_type, &atype, addr);
    for (struct ctrl *o = ctrl_first(); o != NULL; o = o->next) {
        if (o != c && !o->dead && adv_try_connect(c, o, atype, addr, now)) {
            return;
        }
    }
    for (struct ctrl *o = ctrl_first(); o != NULL; o = o->next) {
        if (o != c && !o->dead) {
            adv_scan(c, o, atype, addr, now);
        }
    }
    adv_schedule(c, now);
}

void radio_adv_start(struct ctrl *c)
{
    uint64_t now = sim_now();

    c->adv.enabled = true;
    c->adv.start_us = now;
    c->adv.timer.fn = adv_on_timer;
    sim_timer_start(&c->adv.timer,
                    sim_opts.fast ? now : now + sim_rand_u32() % (ADV_DELAY_MAX_US + 1));
}

void radio_adv_stop(struct ctrl *c)
{
    c->adv.enabled = false;
    sim_timer_stop(&c->adv.timer);
}

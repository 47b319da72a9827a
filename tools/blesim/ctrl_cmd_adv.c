/* SPDX-License-Identifier: MIT */
/*
 * ctrl_cmd_adv.c: legacy advertising, scanning, initiating and filter
 * accept list commands (Core 5.4 Vol 4 Part E 7.8.5 to 7.8.16). Each handler
 * checks its parameter ranges (0x12) and the controller state (0x0C) and
 * stores the parameters; radio_adv.c does the radio side.
 */
#include "sim.h"

#include <string.h>

#include "hci/hci_spec.h"

static bool adv_own_type_ok(const struct ctrl *c, uint8_t own_type)
{
    if (own_type > 0x03) {
        return false;
    }
    return !((own_type == 0x01 || own_type == 0x03) && !c->rand_set);
}

static bool adv_fal_in_use(const struct ctrl *c)
{
    bool adv = c->adv.enabled && c->adv.filter != 0 && c->adv.type != 0x01 &&
               c->adv.type != 0x04;

    return adv || (c->scan.enabled && c->scan.filter == 1) ||
           (c->init.pending && c->init.filter == 1);
}

/* Vol 4 Part E 7.8.4 */
static void adv_le_set_random_address(struct ctrl *c, struct bh_rd *r)
{
    if (c->adv.enabled || c->scan.enabled || c->init.pending) {
        ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    bh_rd_copy(r, c->rand_addr, 6);
    c->rand_set = true;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.5 */
static void adv_le_set_adv_params(struct ctrl *c, struct bh_rd *r)
{
    uint16_t min = bh_rd_le16(r);
    uint16_t max = bh_rd_le16(r);
    uint8_t type = bh_rd_u8(r);
    uint8_t own = bh_rd_u8(r);
    uint8_t peer_type = bh_rd_u8(r);
    const uint8_t *peer = bh_rd_mem(r, 6);
    uint8_t chmap = bh_rd_u8(r);
    uint8_t filter = bh_rd_u8(r);
    bool hdc = type == 0x01; /* high duty cycle directed: intervals unused */

    if (c->adv.enabled) {
        ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    if ((!hdc && (min < 0x0020 || max > 0x4000 || min > max)) || type > 0x04 || own > 0x03 ||
        peer_type > 0x01 || chmap == 0 || chmap > 0x07 || filter > 0x03) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    c->adv.itvl_min_625us = min;
    c->adv.itvl_max_625us = max;
    c->adv.type = type;
    c->adv.own_type = own;
    c->adv.peer_type = peer_type;
    memcpy(c->adv.peer, peer, 6);
    c->adv.chmap = chmap;
    c->adv.filter = filter;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

static void adv_le_read_adv_tx_power(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[2] = {BH_HCI_ERR_SUCCESS, (uint8_t)SIM_TX_POWER};

    ctrl_cmd_complete(c, p, 2);
}

/* Vol 4 Part E 7.8.7 and 7.8.8: one length octet, 31 octets of data. */
static void adv_le_set_data(struct ctrl *c, struct bh_rd *r)
{
    uint8_t len = bh_rd_u8(r);
    const uint8_t *data = bh_rd_mem(r, 31);
    bool sr = c->cur_op == BH_HCI_OP_LE_SET_SCAN_RSP_DATA;

    if (len > 31 || data == NULL) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    memcpy(sr ? c->adv.sr : c->adv.data, data, len);
    if (sr) {
        c->adv.sr_len = len;
    } else {
        c->adv.data_len = len;
    }
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.9 */
static void adv_le_set_adv_enable(struct ctrl *c, struct bh_rd *r)
{
    uint8_t en = bh_rd_u8(r);

    if (en > 1) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (en && !c->adv.enabled) {
        if (!adv_own_type_ok(c, c->adv.own_type)) {
            ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
            return;
        }
        radio_adv_start(c);
    } else if (!en) {
        radio_adv_stop(c);
    }
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.10: filter policies 2 and 3 need a feature we lack. */
static void adv_le_set_scan_params(struct ctrl *c, struct bh_rd *r)
{
    uint8_t type = bh_rd_u8(r);
    uint16_t itvl = bh_rd_le16(r);
    uint16_t window = bh_rd_le16(r);
    uint8_t own = bh_rd_u8(r);
    uint8_t filter = bh_rd_u8(r);

    if (c->scan.enabled) {
        ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    if (type > 1 || itvl < 0x0004 || itvl > 0x4000 || window < 0x0004 || window > itvl ||
        own > 0x03 || filter > 0x01) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    c->scan.type = type;
    c->scan.itvl_625us = itvl;
    c->scan.window_625us = window;
    c->scan.own_type = own;
    c->scan.filter = filter;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.11: enabling restarts duplicate filtering. */
static void adv_le_set_scan_enable(struct ctrl *c, struct bh_rd *r)
{
    uint8_t en = bh_rd_u8(r);
    uint8_t dup = bh_rd_u8(r);

    if (en > 1 || dup > 1) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (en && !adv_own_type_ok(c, c->scan.own_type)) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (en) {
        if (!c->scan.enabled) {
            c->scan.start_us = sim_now();
        }
        c->scan.dup_n = 0;
        c->scan.dup_next = 0;
        c->scan.filter_dup = dup != 0;
    }
    c->scan.enabled = en != 0;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

static bool adv_conn_params_ok(uint16_t min, uint16_t max, uint16_t lat, uint16_t to)
{
    if (min < 0x0006 || max > 0x0C80 || min > max || lat > 0x01F3 || to < 0x000A ||
        to > 0x0C80) {
        return false;
    }
    /* Vol 4 Part E 7.8.12: timeout (10 ms) > (1 + latency) * interval max (1.25 ms) * 2 */
    return (uint32_t)to * 4u > (1u + lat) * (uint32_t)max;
}

static int adv_free_slot(const struct ctrl *c)
{
    for (int i = 0; i < SIM_MAX_CONN; i++) {
        if (c->links[i] == NULL) {
            return i;
        }
    }
    return -1;
}

/* Vol 4 Part E 7.8.12: stays pending until the advertiser is heard. */
static void adv_le_create_conn(struct ctrl *c, struct bh_rd *r)
{
    struct ctrl_init in = {0};

    in.scan_itvl_625us = bh_rd_le16(r);
    in.scan_window_625us = bh_rd_le16(r);
    in.filter = bh_rd_u8(r);
    in.peer_type = bh_rd_u8(r);
    bh_rd_copy(r, in.peer, 6);
    in.own_type = bh_rd_u8(r);
    in.itvl_min_1250us = bh_rd_le16(r);
    in.itvl_max_1250us = bh_rd_le16(r);
    in.latency = bh_rd_le16(r);
    in.timeout_10ms = bh_rd_le16(r);
    if (c->init.pending) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    if (in.scan_itvl_625us < 4 || in.scan_itvl_625us > 0x4000 || in.scan_window_625us < 4 ||
        in.scan_window_625us > in.scan_itvl_625us || in.filter > 1 || in.peer_type > 3 ||
        !adv_own_type_ok(c, in.own_type) ||
        !adv_conn_params_ok(in.itvl_min_1250us, in.itvl_max_1250us, in.latency,
                            in.timeout_10ms)) {
        ctrl_cmd_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (adv_free_slot(c) < 0) {
        ctrl_cmd_status(c, BH_HCI_ERR_CONN_LIMIT_EXCEEDED);
        return;
    }
    in.peer_type &= 0x01; /* identity address types: no resolving list here */
    in.pending = true;
    in.start_us = sim_now();
    c->init = in;
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.13: Command Complete, then LE Connection Complete 0x02. */
static void adv_le_create_conn_cancel(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[30] = {BH_HCI_ERR_UNKNOWN_CONN_ID};
    bool enh = ctrl_le_evt_enabled(c, BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE);

    if (!c->init.pending) {
        ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    c->init.pending = false;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
    p[4] = c->init.peer_type;
    memcpy(p + 5, c->init.peer, 6);
    if (enh) {
        ctrl_le_evt(c, BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE, p, 30);
    } else {
        ctrl_le_evt(c, BH_HCI_SUBEVT_LE_CONN_COMPLETE, p, 18);
    }
}

static void adv_le_read_fal_size(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[2] = {BH_HCI_ERR_SUCCESS, SIM_FAL_SIZE};

    ctrl_cmd_complete(c, p, 2);
}

static void adv_le_clear_fal(struct ctrl *c, struct bh_rd *r)
{
    if (adv_fal_in_use(c)) {
        ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    c->fal_n = 0;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.16 and 7.8.17; type 0xFF: anonymous advertisements. */
static void adv_le_fal_change(struct ctrl *c, struct bh_rd *r)
{
    uint8_t type = bh_rd_u8(r);
    uint8_t addr[6];
    bool add = c->cur_op == BH_HCI_OP_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST;

    bh_rd_copy(r, addr, 6);
    if (type > 0x01 && type != 0xFF) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (adv_fal_in_use(c)) {
        ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    for (unsigned i = 0; i < c->fal_n; i++) {
        if (c->fal[i].type == type && memcmp(c->fal[i].addr, addr, 6) == 0) {
            if (!add) {
                c->fal[i] = c->fal[--c->fal_n];
            }
            ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
            return;
        }
    }
    if (add && c->fal_n >= SIM_FAL_SIZE) {
        ctrl_cc_status(c, BH_HCI_ERR_MEMORY_CAPACITY_EXCEEDED);
        return;
    }
    if (add) {
        c->fal[c->fal_n].type = type;
        memcpy(c->fal[c->fal_n++].addr, addr, 6);
    }
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

#define X CTRL_CMD_EXACT
const struct ctrl_cmd_def ctrl_cmds_adv[] = {
    {BH_HCI_OP_LE_SET_RANDOM_ADDRESS, 6, X, 25, 4, adv_le_set_random_address},
    {BH_HCI_OP_LE_SET_ADV_PARAMS, 15, X, 25, 5, adv_le_set_adv_params},
    {BH_HCI_OP_LE_READ_ADV_PHYSICAL_CHANNEL_TX_POWER, 0, X, 25, 6, adv_le_read_adv_tx_power},
    {BH_HCI_OP_LE_SET_ADV_DATA, 32, X, 25, 7, adv_le_set_data},
    {BH_HCI_OP_LE_SET_SCAN_RSP_DATA, 32, X, 26, 0, adv_le_set_data},
    {BH_HCI_OP_LE_SET_ADV_ENABLE, 1, X, 26, 1, adv_le_set_adv_enable},
    {BH_HCI_OP_LE_SET_SCAN_PARAMS, 7, X, 26, 2, adv_le_set_scan_params},
    {BH_HCI_OP_LE_SET_SCAN_ENABLE, 2, X, 26, 3, adv_le_set_scan_enable},
    {BH_HCI_OP_LE_CREATE_CONN, 25, X | CTRL_CMD_CS, 26, 4, adv_le_create_conn},
    {BH_HCI_OP_LE_CREATE_CONN_CANCEL, 0, X, 26, 5, adv_le_create_conn_cancel},
    {BH_HCI_OP_LE_READ_FILTER_ACCEPT_LIST_SIZE, 0, X, 26, 6, adv_le_read_fal_size},
    {BH_HCI_OP_LE_CLEAR_FILTER_ACCEPT_LIST, 0, X, 26, 7, adv_le_clear_fal},
    {BH_HCI_OP_LE_ADD_DEVICE_TO_FILTER_ACCEPT_LIST, 7, X, 27, 0, adv_le_fal_change},
    {BH_HCI_OP_LE_REMOVE_DEVICE_FROM_FILTER_ACCEPT_LIST, 7, X, 27, 1, adv_le_fal_change},
};
const size_t ctrl_cmds_adv_n = sizeof(ctrl_cmds_adv) / sizeof(ctrl_cmds_adv[0]);

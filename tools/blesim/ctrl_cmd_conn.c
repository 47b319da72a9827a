/* SPDX-License-Identifier: MIT */
/*
 * ctrl_cmd_conn.c: commands on an existing connection (Core 5.4 Vol 4
 * Part E 7.1.6, 7.1.23, 7.3.35, 7.5.4, 7.8.18, 7.8.20, 7.8.21, 7.8.31, 7.8.32,
 * 7.8.33, 7.8.47, 7.8.49): handle and parameter checks here, the LL
 * procedures they start in radio_llcp.c.
 */
#include "sim.h"

#include <string.h>

#include "hci/hci_spec.h"

#define CONN_OP_LE_READ_CHANNEL_MAP 0x2015
#define CONN_OP_READ_TRANSMIT_POWER_LEVEL 0x0C2D
#define CONN_TX_POWER_MAX 10 /* dBm, as LE Read Transmit Power reports */

/* The link of a command's handle, and this controller's side of it. */
static struct sim_link *conn_get(struct ctrl *c, uint16_t handle, int *side)
{
    struct sim_link *l = ctrl_link(c, handle);

    if (l == NULL || l->closed) {
        return NULL;
    }
    *side = ctrl_link_side(c, l);
    return l;
}

static bool conn_params_ok(uint16_t min, uint16_t max, uint16_t lat, uint16_t to)
{
    if (min < 0x0006 || max > 0x0C80 || min > max || lat > 0x01F3 || to < 0x000A ||
        to > 0x0C80) {
        return false;
    }
    return (uint32_t)to * 4u > (1u + lat) * (uint32_t)max;
}

/* Vol 4 Part E 7.1.6: the reasons a host may give. */
static void conn_disconnect(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint8_t reason = bh_rd_u8(r);
    int side;
    struct sim_link *l = conn_get(c, handle, &side);

    if (reason != 0x05 && reason != 0x13 && reason != 0x14 && reason != 0x15 &&
        reason != 0x1A && reason != 0x29 && reason != 0x3B) {
        ctrl_cmd_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (l == NULL) {
        ctrl_cmd_status(c, BH_HCI_ERR_UNKNOWN_CONN_ID);
        return;
    }
    if (l->term_side >= 0) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    radio_llcp_terminate(l, side, reason);
}

static void conn_read_remote_version(struct ctrl *c, struct bh_rd *r)
{
    int side;
    struct sim_link *l = conn_get(c, bh_rd_le16(r), &side);

    if (l == NULL) {
        ctrl_cmd_status(c, BH_HCI_ERR_UNKNOWN_CONN_ID);
        return;
    }
    if (l->s[side].ver_req) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    radio_llcp_version_start(l, side);
}

static void conn_read_rssi(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    int side;
    uint8_t p[4] = {BH_HCI_ERR_SUCCESS};

    sim_put_le16(p + 1, handle);
    p[3] = (uint8_t)(int8_t)SIM_RSSI;
    if (conn_get(c, handle, &side) == NULL) {
        p[0] = BH_HCI_ERR_UNKNOWN_CONN_ID;
        p[3] = 0;
    }
    ctrl_cmd_complete(c, p, 4);
}

/* Vol 4 Part E 7.3.35: Type 0x00 current, 0x01 maximum level (dBm). */
static void conn_read_transmit_power_level(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint8_t type = bh_rd_u8(r);
    int side;
    uint8_t p[4] = {BH_HCI_ERR_SUCCESS};

    sim_put_le16(p + 1, handle);
    if (conn_get(c, handle, &side) == NULL) {
        p[0] = BH_HCI_ERR_UNKNOWN_CONN_ID;
    } else if (type > 0x01) {
        p[0] = BH_HCI_ERR_INVALID_HCI_CMD_PARAMS;
    } else {
        p[3] = (uint8_t)(int8_t)(type == 0x00 ? SIM_TX_POWER : CONN_TX_POWER_MAX);
    }
    ctrl_cmd_complete(c, p, 4);
}

/* Vol 4 Part E 7.8.18: as peripheral this runs the Connection Parameters
 * Request procedure (Vol 6 Part B 5.1.7). */
static void conn_le_conn_update(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint16_t min = bh_rd_le16(r);
    uint16_t max = bh_rd_le16(r);
    uint16_t lat = bh_rd_le16(r);
    uint16_t to = bh_rd_le16(r);
    int side = 0; /* set by conn_get() when it finds the link */
    struct sim_link *l = conn_get(c, handle, &side);

    if (!conn_params_ok(min, max, lat, to)) {
        ctrl_cmd_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (l == NULL) {
        ctrl_cmd_status(c, BH_HCI_ERR_UNKNOWN_CONN_ID);
        return;
    }
    if (l->upd_state != 0 || l->cpr_local || l->cpr_pending) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    radio_llcp_conn_update_start(l, side, min, max, lat, to);
}

static void conn_le_read_channel_map(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    int side;
    uint8_t p[8] = {BH_HCI_ERR_SUCCESS, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F};

    sim_put_le16(p + 1, handle);
    if (conn_get(c, handle, &side) == NULL) {
        memset(p + 3, 0, 5);
        p[0] = BH_HCI_ERR_UNKNOWN_CONN_ID;
    }
    ctrl_cmd_complete(c, p, 8);
}

static void conn_le_read_remote_features(struct ctrl *c, struct bh_rd *r)
{
    int side;
    struct sim_link *l = conn_get(c, bh_rd_le16(r), &side);

    if (l == NULL) {
        ctrl_cmd_status(c, BH_HCI_ERR_UNKNOWN_CONN_ID);
        return;
    }
    if (l->s[side].feat_req) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    radio_llcp_features_start(l, side);
}

/* Vol 4 Part E 7.8.31 and 7.8.32: only the central host, only when asked. */
static void conn_le_cpr_reply(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    bool accept = c->cur_op == BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_REPLY;
    uint16_t min = 0, max = 0, lat = 0, to = 0;
    uint8_t reason = 0;
    int side;
    struct sim_link *l = conn_get(c, handle, &side);

    if (accept) {
        min = bh_rd_le16(r);
        max = bh_rd_le16(r);
        lat = bh_rd_le16(r);
        to = bh_rd_le16(r);
    } else {
        reason = bh_rd_u8(r);
    }
    if (l == NULL) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_UNKNOWN_CONN_ID, handle);
        return;
    }
    if (side != 0 || !l->cpr_pending) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_CMD_DISALLOWED, handle);
        return;
    }
    if (accept && !conn_params_ok(min, max, lat, to)) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS, handle);
        return;
    }
    ctrl_cc_status_handle(c, BH_HCI_ERR_SUCCESS, handle);
    radio_llcp_cpr_reply(l, accept, min, max, lat, to, reason);
}

/* Vol 4 Part E 7.8.33 */
static void conn_le_set_data_length(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint16_t octets = bh_rd_le16(r);
    uint16_t time = bh_rd_le16(r);
    int side;
    struct sim_link *l = conn_get(c, handle, &side);

    if (l == NULL) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_UNKNOWN_CONN_ID, handle);
        return;
    }
    if (octets < 27 || octets > 251 || time < 328 || time > 17040) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS, handle);
        return;
    }
    ctrl_cc_status_handle(c, BH_HCI_ERR_SUCCESS, handle);
    l->s[side].max_tx_octets = octets;
    radio_llcp_data_length_start(l, side);
}

static void conn_le_read_phy(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    int side;
    struct sim_link *l = conn_get(c, handle, &side);
    uint8_t p[5] = {BH_HCI_ERR_SUCCESS};

    sim_put_le16(p + 1, handle);
    if (l == NULL) {
        p[0] = BH_HCI_ERR_UNKNOWN_CONN_ID;
    } else {
        p[3] = l->phy[side];
        p[4] = l->phy[1 - side];
    }
    ctrl_cmd_complete(c, p, 5);
}

/* Vol 4 Part E 7.8.49 */
static void conn_le_set_phy(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint8_t all = bh_rd_u8(r);
    uint8_t tx = bh_rd_u8(r);
    uint8_t rx = bh_rd_u8(r);
    int side;
    struct sim_link *l = conn_get(c, handle, &side);

    if ((all & ~0x03) || (!(all & 1) && tx == 0) || (!(all & 2) && rx == 0) || (tx & ~0x07) ||
        (rx & ~0x07)) {
        ctrl_cmd_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (l == NULL) {
        ctrl_cmd_status(c, BH_HCI_ERR_UNKNOWN_CONN_ID);
        return;
    }
    if (l->phy_state != 0) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    l->s[side].phy_host_req = true;
    l->s[side].phy_tx_pref = (all & 1) ? (PHY_1M | PHY_2M) : (uint8_t)(tx & 0x03);
    l->s[side].phy_rx_pref = (all & 2) ? (PHY_1M | PHY_2M) : (uint8_t)(rx & 0x03);
    radio_llcp_phy_start(l, side);
}

#define X CTRL_CMD_EXACT
#define S (CTRL_CMD_EXACT | CTRL_CMD_CS)
const struct ctrl_cmd_def ctrl_cmds_conn[] = {
    {BH_HCI_OP_DISCONNECT, 3, S, 0, 5, conn_disconnect},
    {BH_HCI_OP_READ_REMOTE_VERSION_INFO, 2, S, 2, 7, conn_read_remote_version},
    {CONN_OP_READ_TRANSMIT_POWER_LEVEL, 3, X, 10, 2, conn_read_transmit_power_level},
    {BH_HCI_OP_READ_RSSI, 2, X, 15, 5, conn_read_rssi},
    {BH_HCI_OP_LE_CONN_UPDATE, 14, S, 27, 2, conn_le_conn_update},
    {CONN_OP_LE_READ_CHANNEL_MAP, 2, X, 27, 4, conn_le_read_channel_map},
    {BH_HCI_OP_LE_READ_REMOTE_FEATURES, 2, S, 27, 5, conn_le_read_remote_features},
    {BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_REPLY, 14, X, 33, 4, conn_le_cpr_reply},
    {BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_NEGATIVE_REPLY, 3, X, 33, 5, conn_le_cpr_reply},
    {BH_HCI_OP_LE_SET_DATA_LENGTH, 6, X, BH_HCI_CMD_BIT_LE_SET_DATA_LENGTH,
     conn_le_set_data_length},
    {BH_HCI_OP_LE_READ_PHY, 2, X, 35, 4, conn_le_read_phy},
    {BH_HCI_OP_LE_SET_PHY, 7, S, 35, 6, conn_le_set_phy},
};
const size_t ctrl_cmds_conn_n = sizeof(ctrl_cmds_conn) / sizeof(ctrl_cmds_conn[0]);

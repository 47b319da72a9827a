/* SPDX-License-Identifier: MIT */
/*
 * ctrl_cmd_info.c: informational, controller & baseband and LE
 * configuration commands a host's init sequence sends (Core 5.4 Vol 4
 * Part E 7.3, 7.4, 7.8). blesim is an LE-only controller reporting HCI and
 * LL version 5.2; what it reports supported is exactly what it implements.
 */
#include "sim.h"

#include <string.h>

#include "hci/hci_spec.h"

#define INFO_HCI_VERSION 0x0B /* Core 5.2, Assigned Numbers */
#define INFO_MANUFACTURER 0xFFFF /* no company: reserved for testing */

#define INFO_OP_WRITE_LOCAL_NAME 0x0C13
#define INFO_OP_READ_LOCAL_NAME 0x0C14
#define INFO_LOCAL_NAME_LEN 248
#define INFO_OP_READ_LE_HOST_SUPPORTED 0x0C6C
#define INFO_OP_HOST_NUM_COMPLETED_PACKETS 0x0C35
#define INFO_OP_SET_CONTROLLER_TO_HOST_FLOW_CONTROL 0x0C31
#define INFO_OP_READ_LOCAL_SUPPORTED_CODECS_V2 0x100D
#define INFO_OP_LE_SET_HOST_CHANNEL_CLASSIFICATION 0x2014
#define INFO_OP_LE_READ_TRANSMIT_POWER 0x204B

/* LE features, Vol 6 Part B 4.6 */
uint64_t ctrl_le_features(void)
{
    return (1ull << 0) |  /* LE Encryption */
           (1ull << 1) |  /* Connection Parameters Request procedure */
           (1ull << 2) |  /* Extended Reject Indication */
           (1ull << 3) |  /* Peripheral-initiated Features Exchange */
           (1ull << 5) |  /* LE Data Packet Length Extension */
           (1ull << 8);   /* LE 2M PHY */
}

static void info_set_event_mask(struct ctrl *c, struct bh_rd *r)
{
    c->evt_mask = bh_rd_le64(r);
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

static void info_reset(struct ctrl *c, struct bh_rd *r)
{
    ctrl_reset_state(c);
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

static void info_set_event_mask_page_2(struct ctrl *c, struct bh_rd *r)
{
    c->evt_mask2 = bh_rd_le64(r);
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.3.38: 0x01/0x03 turn ACL flow control on (there is no
 * synchronous data on LE); changed only while no connection exists. */
static void info_set_c2h_flow_control(struct ctrl *c, struct bh_rd *r)
{
    uint8_t enable = bh_rd_u8(r);

    if (enable > 0x03) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    for (int i = 0; i < SIM_MAX_CONN; i++) {
        if (c->links[i] != NULL) {
            ctrl_cc_status(c, BH_HCI_ERR_CMD_DISALLOWED);
            return;
        }
    }
    c->c2h_fc = (enable & 0x01) != 0;
    c->host_acl_used = 0;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.3.39: ACL packets to the host are cut to
 * Host_ACL_Data_Packet_Length; the synchronous fields do not apply to LE. */
static void info_host_buffer_size(struct ctrl *c, struct bh_rd *r)
{
    uint16_t acl_len = bh_rd_le16(r);
    (void)bh_rd_u8(r);
    uint16_t acl_num = bh_rd_le16(r);

    if (acl_len == 0 || acl_num == 0) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    c->host_acl_len = acl_len;
    c->host_acl_num = acl_num;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.3.40: no event. Ignored while flow control is off or when
 * the pairs do not match Num_Handles; returned buffers resume held links. */
static void info_host_num_completed_packets(struct ctrl *c, struct bh_rd *r)
{
    uint8_t n = bh_rd_u8(r);

    if (!c->c2h_fc || r->left != 4u * n) {
        return;
    }
    for (uint8_t i = 0; i < n; i++) {
        (void)bh_rd_le16(r);
        uint16_t done = bh_rd_le16(r);
        c->host_acl_used = done >= c->host_acl_used ? 0 : (uint16_t)(c->host_acl_used - done);
    }
    for (int i = 0; i < SIM_MAX_CONN; i++) {
        if (c->links[i] != NULL) {
            radio_conn_kick(c->links[i]);
        }
    }
}

/* Vol 4 Part E 7.3.11 and 7.3.12: BR/EDR commands, but hosts' init
 * sequences send Read Local Name to any controller (BTstack does), and a
 * Command Complete holding only 0x01 decodes as malformed in Wireshark. */
static void info_write_local_name(struct ctrl *c, struct bh_rd *r)
{
    bh_rd_copy(r, c->local_name, INFO_LOCAL_NAME_LEN);
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

static void info_read_local_name(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[1 + INFO_LOCAL_NAME_LEN] = {BH_HCI_ERR_SUCCESS};

    memcpy(p + 1, c->local_name, INFO_LOCAL_NAME_LEN);
    ctrl_cmd_complete(c, p, sizeof(p));
}

static void info_read_le_host_supported(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[3] = {BH_HCI_ERR_SUCCESS, 1, 0};

    ctrl_cmd_complete(c, p, 3);
}

static void info_write_le_host_supported(struct ctrl *c, struct bh_rd *r)
{
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.4.1 */
static void info_read_local_version(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[9] = {BH_HCI_ERR_SUCCESS, INFO_HCI_VERSION};

    sim_put_le16(p + 2, 0x0000);
    p[4] = INFO_HCI_VERSION;
    sim_put_le16(p + 5, INFO_MANUFACTURER);
    sim_put_le16(p + 7, 0x0000);
    ctrl_cmd_complete(c, p, 9);
}

static void info_read_local_commands(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[65] = {BH_HCI_ERR_SUCCESS};

    ctrl_supported_commands(p + 1);
    ctrl_cmd_complete(c, p, 65);
}

/* Vol 2 Part C 3.3: only "BR/EDR Not Supported" (37) and "LE Supported (Controller)" (38). */
static void info_read_local_features(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[9] = {BH_HCI_ERR_SUCCESS};

    p[1 + 4] = (1u << 5) | (1u << BH_HCI_LMP_FEAT_LE_SUPPORTED_BIT);
    ctrl_cmd_complete(c, p, 9);
}

/* Vol 4 Part E 7.4.5: no BR/EDR buffers; hosts use LE Read Buffer Size. */
static void info_read_buffer_size(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[8] = {BH_HCI_ERR_SUCCESS};

    ctrl_cmd_complete(c, p, 8);
}

static void info_read_bd_addr(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[7] = {BH_HCI_ERR_SUCCESS};

    memcpy(p + 1, c->pub_addr, 6);
    ctrl_cmd_complete(c, p, 7);
}

/* Vol 4 Part E 7.4.8 [v2]: no standard and no vendor codecs. [v1] is
 * excluded for an LE-only controller (Part E 3, Table 3.1), so unknown here. */
static void info_read_local_codecs_v2(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[3] = {BH_HCI_ERR_SUCCESS, 0, 0};

    ctrl_cmd_complete(c, p, 3);
}

static void info_le_set_event_mask(struct ctrl *c, struct bh_rd *r)
{
    c->le_evt_mask = bh_rd_le64(r);
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.2 and 7.8.2 v2 */
static void info_le_read_buffer_size(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[7] = {BH_HCI_ERR_SUCCESS};

    sim_put_le16(p + 1, sim_opts.acl_len);
    p[3] = sim_opts.acl_num;
    ctrl_cmd_complete(c, p, c->cur_op == BH_HCI_OP_LE_READ_BUFFER_SIZE_V2 ? 7 : 4);
}

static void info_le_read_local_features(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[9] = {BH_HCI_ERR_SUCCESS};

    sim_put_le64(p + 1, ctrl_le_features());
    ctrl_cmd_complete(c, p, 9);
}

/* Vol 4 Part E 7.8.27: the legacy states and role combinations (bits 0..41). */
static void info_le_read_supported_states(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[9] = {BH_HCI_ERR_SUCCESS};

    sim_put_le64(p + 1, 0x000003FFFFFFFFFFull);
    ctrl_cmd_complete(c, p, 9);
}

static void info_le_read_transmit_power(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[3] = {BH_HCI_ERR_SUCCESS, (uint8_t)(int8_t)-20, (uint8_t)(int8_t)10};

    ctrl_cmd_complete(c, p, 3);
}

/* Vol 4 Part E 7.8.34 */
static void info_le_read_suggested_dl(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[5] = {BH_HCI_ERR_SUCCESS};

    sim_put_le16(p + 1, c->sugg_tx_octets);
    sim_put_le16(p + 3, c->sugg_tx_time);
    ctrl_cmd_complete(c, p, 5);
}

/* Vol 4 Part E 7.8.35 */
static void info_le_write_suggested_dl(struct ctrl *c, struct bh_rd *r)
{
    uint16_t octets = bh_rd_le16(r);
    uint16_t time = bh_rd_le16(r);

    if (octets < 27 || octets > 251 || time < 328 || time > 17040) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    c->sugg_tx_octets = octets;
    c->sugg_tx_time = time;
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.46: 251 octets; times as on the 1M PHY (no Coded PHY). */
static void info_le_read_max_dl(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[9] = {BH_HCI_ERR_SUCCESS};

    sim_put_le16(p + 1, 251);
    sim_put_le16(p + 3, 2120);
    sim_put_le16(p + 5, 251);
    sim_put_le16(p + 7, 2120);
    ctrl_cmd_complete(c, p, 9);
}

/* Vol 4 Part E 7.8.48: bit 0/1 of All_PHYs: no TX/RX preference. */
static void info_le_set_default_phy(struct ctrl *c, struct bh_rd *r)
{
    uint8_t all = bh_rd_u8(r);
    uint8_t tx = bh_rd_u8(r);
    uint8_t rx = bh_rd_u8(r);

    if ((all & ~0x03) || (!(all & 1) && tx == 0) || (!(all & 2) && rx == 0) || (tx & ~0x07) ||
        (rx & ~0x07)) {
        ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if ((!(all & 1) && !(tx & 0x03)) || (!(all & 2) && !(rx & 0x03))) {
        ctrl_cc_status(c, BH_HCI_ERR_UNSUPPORTED_FEATURE_OR_PARAM); /* Coded only */
        return;
    }
    c->def_all_phys = all;
    c->def_tx_phys = (all & 1) ? (PHY_1M | PHY_2M) : (uint8_t)(tx & 0x03);
    c->def_rx_phys = (all & 2) ? (PHY_1M | PHY_2M) : (uint8_t)(rx & 0x03);
    ctrl_cc_status(c, BH_HCI_ERR_SUCCESS);
}

/* Vol 4 Part E 7.8.19: at least 2 of the 37 data channels. */
static void info_le_set_host_channel_classification(struct ctrl *c, struct bh_rd *r)
{
    const uint8_t *map = bh_rd_mem(r, 5);
    unsigned used = 0;

    for (int i = 0; i < 37; i++) {
        used += (map[i / 8] >> (i % 8)) & 1u;
    }
    ctrl_cc_status(c, (used < 2 || (map[4] & 0xE0)) ? BH_HCI_ERR_INVALID_HCI_CMD_PARAMS
                                                    : BH_HCI_ERR_SUCCESS);
}

#define X CTRL_CMD_EXACT
const struct ctrl_cmd_def ctrl_cmds_info[] = {
    {BH_HCI_OP_SET_EVENT_MASK, 8, X, 5, 6, info_set_event_mask},
    {BH_HCI_OP_RESET, 0, X, 5, 7, info_reset},
    {INFO_OP_SET_CONTROLLER_TO_HOST_FLOW_CONTROL, 1, X, 10, 5, info_set_c2h_flow_control},
    {BH_HCI_OP_HOST_BUFFER_SIZE, 7, X, 10, 6, info_host_buffer_size},
    {INFO_OP_HOST_NUM_COMPLETED_PACKETS, 1, CTRL_CMD_MIN | CTRL_CMD_SILENT, 10, 7,
     info_host_num_completed_packets},
    {BH_HCI_OP_SET_EVENT_MASK_PAGE_2, 8, X, BH_HCI_CMD_BIT_SET_EVENT_MASK_PAGE_2,
     info_set_event_mask_page_2},
    {INFO_OP_WRITE_LOCAL_NAME, INFO_LOCAL_NAME_LEN, X, 7, 0, info_write_local_name},
    {INFO_OP_READ_LOCAL_NAME, 0, X, 7, 1, info_read_local_name},
    {INFO_OP_READ_LE_HOST_SUPPORTED, 0, X, 24, 5, info_read_le_host_supported},
    {BH_HCI_OP_WRITE_LE_HOST_SUPPORTED, 2, X, BH_HCI_CMD_BIT_WRITE_LE_HOST_SUPPORTED,
     info_write_le_host_supported},
    {BH_HCI_OP_READ_LOCAL_VERSION_INFO, 0, X, 14, 3, info_read_local_version},
    {BH_HCI_OP_READ_LOCAL_SUPPORTED_COMMANDS, 0, X, 0xFF, 0, info_read_local_commands},
    {BH_HCI_OP_READ_LOCAL_SUPPORTED_FEATURES, 0, X, 14, 5, info_read_local_features},
    {BH_HCI_OP_READ_BUFFER_SIZE, 0, X, 14, 7, info_read_buffer_size},
    {BH_HCI_OP_READ_BD_ADDR, 0, X, 15, 1, info_read_bd_addr},
    {INFO_OP_READ_LOCAL_SUPPORTED_CODECS_V2, 0, X, 45, 2, info_read_local_codecs_v2},
    {BH_HCI_OP_LE_SET_EVENT_MASK, 8, X, 25, 0, info_le_set_event_mask},
    {BH_HCI_OP_LE_READ_BUFFER_SIZE, 0, X, 25, 1, info_le_read_buffer_size},
    {BH_HCI_OP_LE_READ_BUFFER_SIZE_V2, 0, X, BH_HCI_CMD_BIT_LE_READ_BUFFER_SIZE_V2,
     info_le_read_buffer_size},
    {BH_HCI_OP_LE_READ_LOCAL_SUPPORTED_FEATURES, 0, X, 25, 2, info_le_read_local_features},
    {BH_HCI_OP_LE_READ_SUPPORTED_STATES, 0, X, 28, 3, info_le_read_supported_states},
    {INFO_OP_LE_READ_TRANSMIT_POWER, 0, X, 38, 7, info_le_read_transmit_power},
    {BH_HCI_OP_LE_READ_SUGGESTED_DEFAULT_DATA_LENGTH, 0, X, 33, 7, info_le_read_suggested_dl},
    {BH_HCI_OP_LE_WRITE_SUGGESTED_DEFAULT_DATA_LENGTH, 4, X, 34, 0, info_le_write_suggested_dl},
    {BH_HCI_OP_LE_READ_MAXIMUM_DATA_LENGTH, 0, X, 35, 3, info_le_read_max_dl},
    {BH_HCI_OP_LE_SET_DEFAULT_PHY, 3, X, 35, 5, info_le_set_default_phy},
    {INFO_OP_LE_SET_HOST_CHANNEL_CLASSIFICATION, 5, X, 27, 3,
     info_le_set_host_channel_classification},
};
const size_t ctrl_cmds_info_n = sizeof(ctrl_cmds_info) / sizeof(ctrl_cmds_info[0]);

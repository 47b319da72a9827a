/* SPDX-License-Identifier: MIT */
/*
 * host_evt.c: the host's HCI event dispatch. Every event the HCI layer
 * forwards (all but Command Complete/Status, Number Of Completed Packets
 * and Data Buffer Overflow, Core 5.4 Vol 4 Part E 7.7) finds its row here:
 * {event code or LE subevent, minimum parameter length, handler}. The
 * length is checked once, before the handler runs; the handler checks the
 * rest of its format. LE Meta subevents (7.7.65) have their own table.
 * Also installs l2cap.c as the receiver of reassembled ACL frames.
 * The handlers live with their owners (gap_conn.c, gap_scan.c, smp*.c).
 */
#include "host_evt.h"

#include "blehost/bh_hci.h"
#include "hci/hci_spec.h"
#include "l2cap.h"
#include "os/bh_assert.h"
#include "smp.h"

#define BH_LOG_TAG "host"
#include "os/bh_log.h"

struct host_evt_row {
    uint8_t code;    /* event code, or LE subevent code in host_le_table */
    uint8_t min_len; /* parameters (after the subevent code for LE) */
    void (*fn)(struct bh_rd *r);
};

struct host_evt_ctx {
    struct bh_host_evt_stats stats;
};

static struct host_evt_ctx host_evt;

static void host_on_le_meta(struct bh_rd *r);

/* Vol 4 Part E 7.7: the lengths are those of each event's definition. */
static const struct host_evt_row host_evt_table[] = {
    {BH_HCI_EVT_DISCONN_COMPLETE, 4, gap_on_disconn_complete},   /* 7.7.5 */
    {BH_HCI_EVT_ENCRYPTION_CHANGE, 4, gap_on_encryption_change}, /* 7.7.8 */
    {BH_HCI_EVT_READ_REMOTE_VERSION_INFO_COMPLETE, 8,
     gap_on_read_remote_version_info_complete},            /* 7.7.12 */
    {BH_HCI_EVT_HARDWARE_ERROR, 1, gap_on_hardware_error}, /* 7.7.16 */
    {BH_HCI_EVT_ENCRYPTION_KEY_REFRESH_COMPLETE, 3,
     gap_on_encryption_key_refresh_complete},                          /* 7.7.39 */
    {BH_HCI_EVT_LE_META, 1, host_on_le_meta},                          /* 7.7.65 */
    {BH_HCI_EVT_ENCRYPTION_CHANGE_V2, 5, gap_on_encryption_change_v2}, /* 7.7.8 */
};

/* Vol 4 Part E 7.7.65.x. The P-256 and DHKey completions (0x08, 0x09)
 * serve SMP with BH_CONFIG_SMP_P256_CONTROLLER (smp_ecdh.c). */
static const struct host_evt_row host_le_table[] = {
    {BH_HCI_SUBEVT_LE_CONN_COMPLETE, 18, gap_on_le_conn_complete},              /* .1 */
    {BH_HCI_SUBEVT_LE_ADV_REPORT, 11, gap_on_le_adv_report},                    /* .2 */
    {BH_HCI_SUBEVT_LE_CONN_UPDATE_COMPLETE, 9, gap_on_le_conn_update_complete}, /* .3 */
    {BH_HCI_SUBEVT_LE_READ_REMOTE_FEATURES_COMPLETE, 11,
     gap_on_le_read_remote_features_complete},                                             /* .4 */
    {BH_HCI_SUBEVT_LE_LONG_TERM_KEY_REQUEST, 12, smp_on_le_long_term_key_request},         /* .5 */
    {BH_HCI_SUBEVT_LE_REMOTE_CONN_PARAM_REQUEST, 10, gap_on_le_remote_conn_param_request}, /* .6 */
    {BH_HCI_SUBEVT_LE_DATA_LENGTH_CHANGE, 10, gap_on_le_data_length_change},               /* .7 */
    {BH_HCI_SUBEVT_LE_READ_LOCAL_P256_PUBLIC_KEY_COMPLETE, 65,
     smp_on_le_read_local_p256_public_key_complete},                                   /* .8 */
    {BH_HCI_SUBEVT_LE_GENERATE_DHKEY_COMPLETE, 33, smp_on_le_generate_dhkey_complete}, /* .9 */
    {BH_HCI_SUBEVT_LE_ENHANCED_CONN_COMPLETE, 30, gap_on_le_enhanced_conn_complete},   /* .10 */
    {BH_HCI_SUBEVT_LE_DIRECTED_ADV_REPORT, 17, gap_on_le_directed_adv_report},         /* .11 */
    {BH_HCI_SUBEVT_LE_PHY_UPDATE_COMPLETE, 5, gap_on_le_phy_update_complete},          /* .12 */
};

const struct bh_host_evt_stats *bh_host_evt_stats(void)
{
    return &host_evt.stats;
}

/* Find code's row, check the length, run the handler. */
static void host_dispatch(const struct host_evt_row *table, unsigned n, uint8_t code,
                          struct bh_rd *r)
{
    for (unsigned i = 0; i < n; i++) {
        if (table[i].code != code) {
            continue;
        }
        if (r->left < table[i].min_len) {
            host_evt.stats.evt_short++;
            BH_LOG_WRN("event/subevent 0x%02x too short (%u < %u)", code, r->left,
                       table[i].min_len);
            return;
        }
        table[i].fn(r);
        return;
    }
    host_evt.stats.evt_unhandled++;
    BH_LOG_DBG("event/subevent 0x%02x not handled", code);
}

/* LE Meta event, Vol 4 Part E 7.7.65: Subevent_Code, then its parameters. */
static void host_on_le_meta(struct bh_rd *r)
{
    uint8_t sub = bh_rd_u8(r);

    host_dispatch(host_le_table, BH_ARRAY_SIZE(host_le_table), sub, r);
}

static void host_on_event(uint8_t evt, const uint8_t *p, uint8_t len)
{
    struct bh_rd r;

    host_evt.stats.evt_rx++;
    bh_rd_init(&r, p, len);
    host_dispatch(host_evt_table, BH_ARRAY_SIZE(host_evt_table), evt, &r);
}

void bh_host_evt_init(void)
{
    host_evt = (struct host_evt_ctx){0};
    bh_hci_set_evt_handler(host_on_event);
    bh_hci_set_acl_handler(bh_l2cap_recv);
}

/* SPDX-License-Identifier: MIT */
/*
 * hci_evt.c: dispatch of received HCI events (Core 5.4 Vol 4 Part E 5.4.4,
 * 7.7). The events the HCI layer owns are handled here through one table
 * whose rows give the minimum parameter length, checked before the handler
 * runs; everything else goes to the host's handler (src/host/host_evt.c).
 */
#include "hci.h"

#include <errno.h>

#include "hci_spec.h"

#define BH_LOG_TAG "hci"
#include "os/bh_log.h"

struct hci_evt_handler {
    uint8_t evt;
    uint8_t min_len;
    bool forward; /* the host also sees it, after us */
    void (*fn)(struct bh_rd *r);
};

/* Hardware Error, 7.7.16: the controller needs a reset; what was in flight
 * will never complete. The host decides about recovery (it is forwarded). */
static void hci_on_hardware_error(struct bh_rd *r)
{
    uint8_t code = bh_rd_u8(r);

    hci_stats_mut()->hw_error++;
    BH_LOG_ERR("Hardware Error 0x%02x", code);
    hci_cmd_fail_in_flight();
}

/* Data Buffer Overflow, 7.7.26: we sent more than the controller had
 * buffers for, which our accounting should make impossible. */
static void hci_on_data_buffer_overflow(struct bh_rd *r)
{
    uint8_t link_type = bh_rd_u8(r);

    hci_stats_mut()->buffer_overflow++;
    BH_LOG_ERR("Data Buffer Overflow (link type 0x%02x)", link_type);
}

/* Disconnection Complete, 7.7.5: the controller flushed the handle's
 * buffers (Vol 4 Part E 4.3), so its packets in flight count as returned. */
static void hci_on_disconn_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r) & BH_HCI_HANDLE_MASK;

    if (status == BH_HCI_ERR_SUCCESS) {
        bh_hci_acl_conn_gone(handle);
    }
}

static const struct hci_evt_handler hci_evt_table[] = {
    {BH_HCI_EVT_CMD_COMPLETE, 3, false, hci_cmd_on_complete},
    {BH_HCI_EVT_CMD_STATUS, 4, false, hci_cmd_on_status},
    {BH_HCI_EVT_NUM_COMPLETED_PACKETS, 1, false, hci_acl_on_num_completed},
    {BH_HCI_EVT_DATA_BUFFER_OVERFLOW, 1, false, hci_on_data_buffer_overflow},
    {BH_HCI_EVT_HARDWARE_ERROR, 1, true, hci_on_hardware_error},
    {BH_HCI_EVT_DISCONN_COMPLETE, 4, true, hci_on_disconn_complete},
};

void hci_evt_rx(const uint8_t *pkt, uint16_t len)
{
    uint8_t evt, plen;
    struct bh_rd r;

    /* The H4 framer gave us exactly header + announced length. */
    if (len < BH_HCI_EVT_HDR_LEN || len != BH_HCI_EVT_HDR_LEN + pkt[1]) {
        hci_stats_mut()->evt_bad_len++;
        return;
    }
    evt = pkt[0];
    plen = pkt[1];
    hci_stats_mut()->evt_rx++;
    for (unsigned i = 0; i < sizeof(hci_evt_table) / sizeof(hci_evt_table[0]); i++) {
        const struct hci_evt_handler *h = &hci_evt_table[i];

        if (h->evt != evt) {
            continue;
        }
        if (plen < h->min_len) {
            hci_stats_mut()->evt_bad_len++;
            BH_LOG_WRN("event 0x%02x too short (%u)", evt, plen);
            return;
        }
        bh_rd_init(&r, pkt + BH_HCI_EVT_HDR_LEN, plen);
        h->fn(&r);
        if (!h->forward) {
            return;
        }
        break;
    }
    hci_evt_forward(evt, pkt + BH_HCI_EVT_HDR_LEN, plen);
}

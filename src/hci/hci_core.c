/* SPDX-License-Identifier: MIT */
/*
 * hci_core.c: the HCI layer's plumbing. Owns the transport, the receive
 * ring that transports push raw H4 bytes into (any context), the H4 framer
 * that bh_process() drains the ring through, packet dispatch to hci_evt.c
 * and hci_acl.c, the capture hook, and HCI up/down bookkeeping.
 * The init sequence is in hci_init.c, commands in hci_cmd.c, ACL in
 * hci_acl.c. Transport framing: Core 5.4 Vol 4 Part A 2.
 */
#include "hci.h"

#include <errno.h>
#include <string.h>

#include "blehost/bh_os.h"
#include "hci/h4.h"
#include "hci_spec.h"

#define BH_LOG_TAG "hci"
#include "os/bh_log.h"

_Static_assert((BH_CONFIG_HCI_RX_RING_SIZE & (BH_CONFIG_HCI_RX_RING_SIZE - 1)) == 0,
               "BH_CONFIG_HCI_RX_RING_SIZE must be a power of two");

struct hci_core_ctx {
    const struct bh_hci_transport *transport;
    bh_hci_evt_cb_t evt_cb;
    bh_hci_acl_cb_t acl_cb;
    bh_hci_snoop_cb_t snoop_cb;
    void *snoop_ctx;
    struct bh_ring ring;
    struct bh_h4 h4;
    struct bh_hci_stats stats;
    bool ring_ready;
    uint8_t ready_type; /* the packet the framer just completed */
    uint16_t ready_len;
    const uint8_t *ready_pkt;
    uint8_t ring_mem[BH_CONFIG_HCI_RX_RING_SIZE];
    uint8_t pkt[BH_CONFIG_HCI_RX_PKT_SIZE];
};

static struct hci_core_ctx hci_core;

struct bh_hci_stats *hci_stats_mut(void)
{
    return &hci_core.stats;
}

const struct bh_hci_stats *bh_hci_stats(void)
{
    return &hci_core.stats;
}

void bh_hci_set_evt_handler(bh_hci_evt_cb_t cb)
{
    hci_core.evt_cb = cb;
}

void bh_hci_set_acl_handler(bh_hci_acl_cb_t cb)
{
    hci_core.acl_cb = cb;
}

void bh_hci_set_snoop(bh_hci_snoop_cb_t cb, void *ctx)
{
    hci_core.snoop_cb = cb;
    hci_core.snoop_ctx = ctx;
}

void hci_evt_forward(uint8_t evt, const uint8_t *p, uint8_t len)
{
    if (hci_core.evt_cb != NULL) {
        hci_core.evt_cb(evt, p, len);
    }
}

void hci_acl_deliver(uint16_t handle, struct bh_buf *buf)
{
    if (hci_core.acl_cb != NULL) {
        hci_core.acl_cb(handle, buf);
    }
}

bool hci_transport_ready(void)
{
    return hci_core.transport != NULL && hci_core.transport->send != NULL;
}

int hci_send_packet(uint8_t h4_type, const uint8_t *pkt, uint16_t len)
{
    if (!hci_transport_ready()) {
        return -ENETDOWN;
    }
    if (hci_core.snoop_cb != NULL) {
        hci_core.snoop_cb(hci_core.snoop_ctx, h4_type, pkt, len, false);
    }
    return hci_core.transport->send(hci_core.transport->ctx, h4_type, pkt, len);
}

/* The framer only marks a packet ready; hci_drain_ring() dispatches it. */
static void hci_on_h4_packet(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len)
{
    (void)ctx;
    hci_core.ready_type = type;
    hci_core.ready_pkt = pkt;
    hci_core.ready_len = len;
}

static void hci_dispatch(uint8_t type, const uint8_t *pkt, uint16_t len)
{
    uint8_t evt[BH_HCI_EVT_HDR_LEN + 255];

    if (hci_core.snoop_cb != NULL) {
        hci_core.snoop_cb(hci_core.snoop_ctx, type, pkt, len, true);
    }
    if (type == BH_H4_EVT && len <= sizeof(evt)) {
        /* Handlers may nest bh_process() (an application callback calling
         * a waiting API), which frames the next packets into the same
         * buffer: events are dispatched from a copy. ACL is copied into
         * reassembly buffers before anything is delivered. */
        memcpy(evt, pkt, len);
        hci_evt_rx(evt, len);
    } else if (type == BH_H4_ACL) {
        hci_acl_rx(pkt, len);
    }
}

/* The poll hook bh_process() calls first: frame what the transport pushed,
 * one packet at a time, consuming its bytes before dispatching it, so a
 * nested pass (see hci_dispatch) continues exactly where this one stopped. */
static void hci_drain_ring(void)
{
    unsigned budget = BH_CONFIG_PROCESS_MAX_RX;
    const uint8_t *data;
    size_t n, used;

    while (budget > 0 && (n = bh_ring_peek(&hci_core.ring, &data)) > 0) {
        hci_core.ready_pkt = NULL;
        if (bh_h4_feed_one(&hci_core.h4, data, n, &used) < 0) {
            hci_core.stats.h4_errors++;
            BH_LOG_WRN("H4 framing error from controller (resynchronising)");
        }
        bh_ring_consume(&hci_core.ring, used);
        if (hci_core.ready_pkt != NULL) {
            budget--;
            hci_dispatch(hci_core.ready_type, hci_core.ready_pkt, hci_core.ready_len);
        }
    }
    if (budget == 0 && bh_ring_used(&hci_core.ring) > 0) {
        bh_port_wake(); /* bounded per pass: timers and work keep their latency */
    }
}

static void hci_ring_setup(void)
{
    if (!hci_core.ring_ready) {
        bh_ring_init(&hci_core.ring, hci_core.ring_mem, sizeof(hci_core.ring_mem));
        bh_h4_init(&hci_core.h4, hci_core.pkt, sizeof(hci_core.pkt),
                   BH_H4_ACCEPT(BH_H4_EVT) | BH_H4_ACCEPT(BH_H4_ACL), hci_on_h4_packet, NULL);
        hci_core.ring_ready = true;
    }
    bh_os_set_poll(hci_drain_ring);
}

void bh_hci_set_transport(const struct bh_hci_transport *t)
{
    hci_core.transport = t;
    hci_ring_setup();
}

size_t bh_hci_rx_push(const uint8_t *data, size_t len)
{
    size_t n;

    if (!hci_core.ring_ready) {
        return 0;
    }
    n = bh_ring_put(&hci_core.ring, data, len);
    if (n > 0) {
        bh_port_wake();
    }
    return n;
}

size_t bh_hci_rx_space(void)
{
    if (!hci_core.ring_ready) {
        return 0;
    }
    return hci_core.ring.size - bh_ring_used(&hci_core.ring);
}

void hci_core_reset_rx(void)
{
    if (hci_core.ring_ready) {
        bh_ring_consume(&hci_core.ring, bh_ring_used(&hci_core.ring));
        bh_h4_reset(&hci_core.h4);
    }
}

int bh_hci_status_to_errno(uint8_t status)
{
    switch (status) {
    case BH_HCI_ERR_SUCCESS:
        return 0;
    case BH_HCI_ERR_UNKNOWN_HCI_CMD:
    case BH_HCI_ERR_UNSUPPORTED_FEATURE_OR_PARAM:
    case BH_HCI_ERR_UNSUPPORTED_REMOTE_FEATURE:
        return -EOPNOTSUPP;
    case BH_HCI_ERR_UNKNOWN_CONN_ID:
        return -ENOTCONN;
    case BH_HCI_ERR_MEMORY_CAPACITY_EXCEEDED:
    case BH_HCI_ERR_CONN_LIMIT_EXCEEDED:
    case BH_HCI_ERR_CONN_REJECTED_LIMITED_RESOURCES:
        return -ENOMEM;
    case BH_HCI_ERR_CMD_DISALLOWED:
        return -EPERM;
    case BH_HCI_ERR_INVALID_HCI_CMD_PARAMS:
    case BH_HCI_ERR_INVALID_LL_PARAMS:
    case BH_HCI_ERR_UNACCEPTABLE_CONN_PARAMS:
        return -EINVAL;
    case BH_HCI_ERR_CONN_ALREADY_EXISTS:
        return -EALREADY;
    case BH_HCI_ERR_CONN_TIMEOUT:
    case BH_HCI_ERR_CONN_ACCEPT_TIMEOUT_EXCEEDED:
    case BH_HCI_ERR_LL_RESPONSE_TIMEOUT:
    case BH_HCI_ERR_ADV_TIMEOUT:
        return -ETIMEDOUT;
    case BH_HCI_ERR_PIN_OR_KEY_MISSING:
    case BH_HCI_ERR_AUTHENTICATION_FAILURE:
        return -EACCES;
    default:
        return -EIO;
    }
}

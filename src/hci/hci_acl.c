/* SPDX-License-Identifier: MIT */
/*
 * hci_acl.c: ACL data between the host and the controller.
 *
 * Transmit: L2CAP frames queue per handle and go out in fragments of the
 * controller's LE ACL data length, one controller buffer per fragment, as
 * many as it has free (LE Read Buffer Size, Number Of Completed Packets:
 * Core 5.4 Vol 4 Part E 4.1.1, 7.7.19). Handles are served round-robin, a
 * fragment each, so one busy link cannot starve the others. The ACL header
 * of each fragment is written in place in front of it (first fragment: the
 * headroom; later ones: over bytes already handed to the transport, saved
 * and restored, so a shared buffer is never changed).
 *
 * A link is drained when nothing of it is queued here and the controller
 * has completed every fragment we gave it; Number Of Completed Packets
 * tells the drained handler so, which lets GAP hold a Disconnect back
 * until the data in front of it left (gap_disc.c).
 *
 * Receive: fragments are reassembled per handle into whole L2CAP frames
 * (the basic header gives the length, Vol 3 Part A 3.1) using the packet
 * boundary flags (Vol 4 Part E 5.4.2). Anything inconsistent is dropped and
 * counted, and the fragments that belong to it are skipped.
 */
#include "hci.h"

#include <errno.h>
#include <string.h>

#include "hci/h4.h"
#include "hci_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "acl"
#include "os/bh_log.h"

#define L2CAP_HDR_LEN 4

BH_BUF_POOL_DEFINE(acl_rx_pool, BH_CONFIG_ACL_RX_BUF_COUNT, BH_CONFIG_ACL_RX_BUF_SIZE);
BH_BUF_POOL_DEFINE(acl_tx_pool, BH_CONFIG_ACL_TX_BUF_COUNT, BH_CONFIG_ACL_TX_BUF_SIZE);

struct acl_link {
    bool used;
    uint16_t handle;
    /* transmit */
    struct bh_fifo tx_queue; /* bh_buf frames; the head may be partly sent */
    uint16_t tx_sent;        /* bytes of the head frame already given to the controller */
    uint16_t tx_queued;      /* frames in tx_queue */
    uint16_t in_flight;      /* fragments the controller has not completed */
    /* receive */
    struct bh_buf *rx_buf;   /* frame being reassembled */
    uint16_t rx_expect;      /* its total length, once known (0: not yet) */
    bool rx_skip;            /* dropping the continuations of a dropped frame */
};

struct acl_ctx {
    struct acl_link links[BH_CONFIG_MAX_CONN];
    uint16_t acl_len;  /* controller's LE ACL data length */
    uint16_t acl_num;  /* controller's LE ACL buffers */
    uint16_t free_bufs;
    uint8_t rr;        /* next link to serve */
    void (*tx_ready_cb)(void);
    bh_hci_acl_drained_cb_t drained_cb;
};

static struct acl_ctx acl;

static struct acl_link *acl_find(uint16_t handle)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        if (acl.links[i].used && acl.links[i].handle == handle) {
            return &acl.links[i];
        }
    }
    return NULL;
}

static struct acl_link *acl_get(uint16_t handle)
{
    struct acl_link *l = acl_find(handle);

    for (unsigned i = 0; l == NULL && i < BH_CONFIG_MAX_CONN; i++) {
        if (!acl.links[i].used) {
            l = &acl.links[i];
            memset(l, 0, sizeof(*l));
            l->used = true;
            l->handle = handle;
            bh_fifo_init(&l->tx_queue);
        }
    }
    return l;
}

static void acl_rx_drop(struct acl_link *l, bool skip_rest)
{
    bh_buf_unref(l->rx_buf);
    l->rx_buf = NULL;
    l->rx_expect = 0;
    l->rx_skip = skip_rest;
}

static void acl_link_clear(struct acl_link *l)
{
    struct bh_snode *n;

    while ((n = bh_fifo_get(&l->tx_queue)) != NULL) {
        bh_buf_unref(BH_CONTAINER_OF(n, struct bh_buf, node));
    }
    acl_rx_drop(l, false);
    acl.free_bufs = (uint16_t)(acl.free_bufs + l->in_flight);
    if (acl.free_bufs > acl.acl_num) {
        acl.free_bufs = acl.acl_num;
    }
    l->used = false;
}

void hci_acl_init(void)
{
    memset(&acl, 0, sizeof(acl));
    bh_buf_pool_init(&acl_rx_pool);
    bh_buf_pool_init(&acl_tx_pool);
}

void hci_acl_reset(void)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        if (acl.links[i].used) {
            acl_link_clear(&acl.links[i]);
        }
    }
    acl.acl_len = 0;
    acl.acl_num = 0;
    acl.free_bufs = 0;
}

void hci_acl_configure(uint16_t acl_len, uint16_t acl_num)
{
    acl.acl_len = acl_len;
    acl.acl_num = acl_num;
    acl.free_bufs = acl_num;
}

void bh_hci_set_acl_tx_ready_handler(void (*cb)(void))
{
    acl.tx_ready_cb = cb;
}

void bh_hci_set_acl_drained_handler(bh_hci_acl_drained_cb_t cb)
{
    acl.drained_cb = cb;
}

struct bh_buf_pool *bh_hci_acl_pool(void)
{
    return &acl_tx_pool;
}

struct bh_buf_pool *bh_hci_acl_rx_pool(void)
{
    return &acl_rx_pool;
}

struct bh_buf *bh_hci_acl_buf_alloc(uint16_t extra_headroom)
{
    return bh_buf_alloc(&acl_tx_pool, (uint16_t)(BH_HCI_ACL_HEADROOM + extra_headroom));
}

/* ---- transmit -------------------------------------------------------------- */

/* Give the controller the next fragment of link l's head frame. */
static int acl_send_fragment(struct acl_link *l)
{
    struct bh_buf *b = BH_CONTAINER_OF(bh_fifo_peek(&l->tx_queue), struct bh_buf, node);
    uint16_t left = (uint16_t)(b->len - l->tx_sent);
    uint16_t n = left < acl.acl_len ? left : acl.acl_len;
    uint8_t pb = l->tx_sent == 0 ? BH_HCI_ACL_PB_FIRST_NON_FLUSH : BH_HCI_ACL_PB_CONT;
    uint8_t *hdr = b->data + l->tx_sent - BH_HCI_ACL_HDR_LEN;
    uint8_t saved[BH_HCI_ACL_HDR_LEN];
    int err;

    memcpy(saved, hdr, sizeof(saved));
    bh_put_le16(hdr, (uint16_t)(l->handle | (pb << 12)));
    bh_put_le16(hdr + 2, n);
    err = hci_send_packet(BH_H4_ACL, hdr, (uint16_t)(BH_HCI_ACL_HDR_LEN + n));
    memcpy(hdr, saved, sizeof(saved));
    if (err < 0) {
        return err;
    }
    hci_stats_mut()->acl_tx_frags++;
    acl.free_bufs--;
    l->in_flight++;
    l->tx_sent = (uint16_t)(l->tx_sent + n);
    if (l->tx_sent == b->len) {
        bh_fifo_get(&l->tx_queue);
        l->tx_queued--;
        l->tx_sent = 0;
        bh_buf_unref(b);
    }
    return 0;
}

/* Hand out free controller buffers, a fragment per link in turn. */
static void acl_kick(void)
{
    unsigned idle = 0;

    while (acl.free_bufs > 0 && idle < BH_CONFIG_MAX_CONN) {
        struct acl_link *l = &acl.links[acl.rr];

        acl.rr = (uint8_t)((acl.rr + 1) % BH_CONFIG_MAX_CONN);
        if (!l->used || bh_fifo_is_empty(&l->tx_queue)) {
            idle++;
            continue;
        }
        idle = 0;
        if (acl_send_fragment(l) < 0) {
            BH_LOG_ERR("handle 0x%04x: transport refused ACL; dropping its queue", l->handle);
            acl_link_clear(l);
        }
    }
}

int bh_hci_acl_send(uint16_t handle, struct bh_buf *buf)
{
    struct acl_link *l;
    int err = 0;

    if (buf == NULL) {
        return -EINVAL;
    }
    if (handle > BH_HCI_HANDLE_MAX || buf->len == 0 ||
        bh_buf_headroom(buf) < BH_HCI_ACL_HEADROOM) {
        err = -EINVAL;
        goto out;
    }
    if (acl.acl_num == 0 || acl.acl_len == 0 || !hci_transport_ready()) {
        err = -ENETDOWN;
        goto out;
    }
    l = acl_get(handle);
    if (l == NULL) {
        err = -ENOMEM;
        goto out;
    }
    bh_fifo_put(&l->tx_queue, &buf->node);
    l->tx_queued++;
    buf = NULL;
    acl_kick();
out:
    bh_buf_unref(buf);
    return err;
}

unsigned bh_hci_acl_queued(uint16_t handle)
{
    struct acl_link *l = acl_find(handle);

    return l != NULL ? l->tx_queued : 0;
}

unsigned bh_hci_acl_in_flight(uint16_t handle)
{
    struct acl_link *l = acl_find(handle);

    return l != NULL ? l->in_flight : 0;
}

static bool acl_drained(const struct acl_link *l)
{
    return l->in_flight == 0 && bh_fifo_is_empty(&l->tx_queue);
}

/* Tell the drained handler about the links an event just emptied. A link
 * is looked up again: an earlier call may have queued data or dropped it. */
static void acl_notify_drained(const uint16_t *handles, unsigned n)
{
    for (unsigned i = 0; i < n && acl.drained_cb != NULL; i++) {
        struct acl_link *l = acl_find(handles[i]);

        if (l != NULL && acl_drained(l)) {
            acl.drained_cb(handles[i]);
        }
    }
}

void bh_hci_acl_conn_gone(uint16_t handle)
{
    struct acl_link *l = acl_find(handle);

    if (l != NULL) {
        acl_link_clear(l);
        acl_kick();
    }
}

/* Number Of Completed Packets, 7.7.19: num_handles(1), then per handle
 * handle(2) count(2) (interleaved, as controllers send it). */
void hci_acl_on_num_completed(struct bh_rd *r)
{
    uint8_t num = bh_rd_u8(r);
    uint16_t drained[BH_CONFIG_MAX_CONN];
    unsigned n_drained = 0;
    bool freed = false;

    if (r->err || r->left != 4u * num) {
        hci_stats_mut()->evt_bad_len++;
        return;
    }
    for (uint8_t i = 0; i < num; i++) {
        uint16_t handle = bh_rd_le16(r) & BH_HCI_HANDLE_MASK;
        uint16_t count = bh_rd_le16(r);
        struct acl_link *l = acl_find(handle);

        if (l == NULL || count > l->in_flight) {
            /* Never trust the controller past what we sent. */
            hci_stats_mut()->ncp_bad++;
            BH_LOG_WRN("completed %u for handle 0x%04x, %u in flight", count, handle,
                       l != NULL ? l->in_flight : 0);
            count = l != NULL ? l->in_flight : 0;
        }
        if (l == NULL || count == 0) {
            continue;
        }
        l->in_flight = (uint16_t)(l->in_flight - count);
        acl.free_bufs = (uint16_t)(acl.free_bufs + count);
        freed = true;
        if (acl_drained(l) && n_drained < BH_CONFIG_MAX_CONN) {
            drained[n_drained++] = l->handle;
        }
    }
    BH_ASSERT(acl.free_bufs <= acl.acl_num);
    if (freed) {
        acl_kick();
        if (acl.tx_ready_cb != NULL) {
            acl.tx_ready_cb();
        }
        acl_notify_drained(drained, n_drained);
    }
}

/* ---- receive --------------------------------------------------------------- */

static void acl_rx_start(struct acl_link *l)
{
    if (l->rx_buf != NULL) {
        hci_stats_mut()->acl_rx_bad_flags++;
        BH_LOG_WRN("handle 0x%04x: start fragment inside a frame; old frame dropped", l->handle);
        acl_rx_drop(l, false);
    }
    l->rx_skip = false;
    l->rx_buf = bh_buf_alloc(&acl_rx_pool, 0);
    if (l->rx_buf == NULL) {
        hci_stats_mut()->acl_rx_no_buf++;
        acl_rx_drop(l, true);
    }
}

/* Append a fragment; deliver the frame once complete. */
static void acl_rx_append(struct acl_link *l, const uint8_t *data, uint16_t n)
{
    struct bh_buf *b = l->rx_buf;

    if (bh_buf_tailroom(b) < n) {
        hci_stats_mut()->acl_rx_too_long++;
        acl_rx_drop(l, true);
        return;
    }
    bh_buf_add_mem(b, data, n);
    if (l->rx_expect == 0 && b->len >= L2CAP_HDR_LEN) {
        l->rx_expect = (uint16_t)(L2CAP_HDR_LEN + bh_get_le16(b->data));
        if (l->rx_expect > b->size) {
            hci_stats_mut()->acl_rx_too_long++;
            BH_LOG_WRN("handle 0x%04x: L2CAP frame of %u bytes exceeds buffers", l->handle,
                       l->rx_expect);
            acl_rx_drop(l, true);
            return;
        }
    }
    if (l->rx_expect == 0 || b->len < l->rx_expect) {
        return;
    }
    if (b->len > l->rx_expect) {
        hci_stats_mut()->acl_rx_too_long++;
        acl_rx_drop(l, false);
        return;
    }
    l->rx_buf = NULL;
    l->rx_expect = 0;
    hci_stats_mut()->acl_rx_frames++;
    hci_acl_deliver(l->handle, b);
    bh_buf_unref(b);
}

void hci_acl_rx(const uint8_t *pkt, uint16_t len)
{
    struct bh_rd r;
    uint16_t hdr, dlen, handle;
    uint8_t pb;
    const uint8_t *data;
    struct acl_link *l;

    bh_rd_init(&r, pkt, len);
    hdr = bh_rd_le16(&r);
    dlen = bh_rd_le16(&r);
    data = bh_rd_mem(&r, dlen);
    handle = hdr & BH_HCI_HANDLE_MASK;
    pb = BH_HCI_ACL_PB(hdr);
    if (!bh_rd_done(&r) || BH_HCI_ACL_BC(hdr) != 0 || pb == 0x3) {
        hci_stats_mut()->acl_rx_bad_flags++;
        return;
    }
    l = acl_get(handle);
    if (l == NULL) {
        hci_stats_mut()->acl_rx_no_slot++;
        return;
    }
    if (pb != BH_HCI_ACL_PB_CONT) {
        acl_rx_start(l);
    } else if (l->rx_buf == NULL) {
        if (!l->rx_skip) {
            hci_stats_mut()->acl_rx_bad_flags++;
        }
        return;
    }
    if (l->rx_buf != NULL) {
        acl_rx_append(l, data, dlen);
    }
}

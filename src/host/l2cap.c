/* SPDX-License-Identifier: MIT */
/*
 * l2cap.c: L2CAP basic mode on LE (Core 5.4 Vol 3 Part A 3.1): the basic
 * header of received frames is checked, and the frame routed by channel ID
 * to the fixed channels (ATT 0x0004, LE signalling 0x0005, SMP 0x0006,
 * Vol 3 Part A 2.1 Table 2.3); outgoing payloads get their header here.
 * The HCI layer reassembles ACL fragments into whole frames before we see
 * them. Signalling is in l2cap_sig.c; credit-based channels (dynamic CIDs)
 * are in l2cap_coc.c.
 */
#include "l2cap.h"

#include <errno.h>

#include "blehost/bh_hci.h"
#include "l2cap_coc.h"
#include "l2cap_sig.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "l2cap"
#include "os/bh_log.h"

struct l2cap_fixed_chan {
    uint16_t cid;
    void (*rx)(struct bh_conn *c, struct bh_rd *r);
};

struct l2cap_ctx {
    struct bh_l2cap_stats stats;
};

static struct l2cap_ctx l2cap;

/* Fixed channels on LE-U, Vol 3 Part A 2.1 Table 2.3. */
static const struct l2cap_fixed_chan l2cap_fixed[] = {
    {BH_L2CAP_CID_ATT, bh_att_rx},
    {BH_L2CAP_CID_LE_SIGNALING, bh_l2cap_sig_rx},
    {BH_L2CAP_CID_SMP, bh_smp_rx},
};

void bh_l2cap_init(void)
{
    l2cap = (struct l2cap_ctx){0};
    bh_l2cap_sig_init();
    bh_l2cap_coc_init();
}

const struct bh_l2cap_stats *bh_l2cap_stats(void)
{
    return &l2cap.stats;
}

struct bh_l2cap_stats *bh_l2cap_stats_mut(void)
{
    return &l2cap.stats;
}

void bh_l2cap_conn_up(struct bh_conn *c)
{
    bh_l2cap_sig_conn_up(c);
}

void bh_l2cap_conn_down(struct bh_conn *c)
{
    bh_l2cap_coc_conn_down(c);
    bh_l2cap_sig_conn_down(c);
}

/* Basic L2CAP header, Vol 3 Part A 3.1: Length (of the payload), Channel ID. */
void bh_l2cap_recv(uint16_t handle, struct bh_buf *buf)
{
    struct bh_conn *c = bh_conn_lookup(handle);
    struct bh_rd r;
    uint16_t len, cid;

    if (c == NULL) {
        l2cap.stats.rx_no_conn++;
        BH_LOG_WRN("frame for unknown handle 0x%04x", handle);
        return;
    }
    bh_rd_init(&r, buf->data, buf->len);
    len = bh_rd_le16(&r);
    cid = bh_rd_le16(&r);
    if (r.err || r.left != len) {
        l2cap.stats.rx_bad_len++;
        BH_LOG_WRN("conn 0x%04x: basic header length %u, frame holds %u", handle, len, r.left);
        return;
    }
    for (unsigned i = 0; i < BH_ARRAY_SIZE(l2cap_fixed); i++) {
        if (l2cap_fixed[i].cid == cid) {
            l2cap_fixed[i].rx(c, &r);
            return;
        }
    }
    /* Dynamic CIDs: LE credit-based channels (l2cap_coc.c). */
    if (cid >= BH_L2CAP_CID_DYN_MIN && cid <= BH_L2CAP_CID_DYN_MAX && bh_l2cap_coc_rx(c, cid, &r)) {
        return;
    }
    l2cap.stats.rx_unknown_cid++;
    BH_LOG_WRN("conn 0x%04x: frame for unknown CID 0x%04x dropped", handle, cid);
}

struct bh_buf *bh_l2cap_buf_alloc(void)
{
    return bh_hci_acl_buf_alloc(BH_L2CAP_HDR_LEN);
}

int bh_l2cap_send(struct bh_conn *c, uint16_t cid, struct bh_buf *buf)
{
    uint16_t len;
    int err;

    if (buf == NULL) {
        return -EINVAL;
    }
    if (c == NULL || c->state == BH_CONN_STATE_IDLE) {
        err = -ENOTCONN;
        goto out;
    }
    len = buf->len;
    if (bh_buf_push_le16(buf, cid) < 0 || bh_buf_push_le16(buf, len) < 0) {
        err = -EMSGSIZE;
        goto out;
    }
    err = bh_hci_acl_send(c->handle, buf); /* consumes buf */
    buf = NULL;
    if (err == -ENETDOWN) {
        err = -ENOTCONN;
    }
out:
    bh_buf_unref(buf);
    return err;
}

/* SPDX-License-Identifier: MIT */
/*
 * l2cap_coc_data.c: the data path of LE credit-based connection-oriented
 * channels (Core 5.4 Vol 3 Part A): K-frames (3.4.2, 3.4.3), SDU
 * segmentation and reassembly, and LE credit-based flow control (10.1):
 * the credits we spend, and those we return with Flow Control Credit
 * Indications (4.24). The channels, their states and the signalling are
 * l2cap_coc.c's; we reach them through l2cap_coc.h. l2cap.c hands us the
 * K-frames.
 *
 * Each channel has two rings from static storage. Receive: complete SDUs
 * (available to recvinto) followed by the SDU being reassembled; the peer
 * never holds more credits than the free space can take in MPS-sized
 * frames, so it can pipeline up to the ring size and never overrun it.
 * Transmit: SDUs as [length][bytes], cut into K-frames of at most the
 * peer's MPS (and ours, so one frame fills one LL PDU) while we hold
 * credits and an ACL buffer; with no buffer we wait on the pool.
 * A peer that breaks the flow-control rules (frame without credit, frame
 * above MPS, SDU above MTU, credits past 65535) loses the channel.
 */
#include "l2cap_coc.h"

#include <errno.h>
#include <string.h>

#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "l2cap.h"
#include "l2cap_sig.h"
#include "l2cap_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "l2cap"
#include "os/bh_log.h"

#define COC_MPS BH_CONFIG_L2CAP_COC_MPS
#define COC_RX_SIZE BH_CONFIG_L2CAP_COC_RX_BUF_SIZE
#define COC_TX_SIZE BH_CONFIG_L2CAP_COC_TX_BUF_SIZE
#define COC_RX_CREDITS_MAX BH_L2CAP_COC_RX_CREDITS_MAX

_Static_assert(COC_MPS >= BH_L2CAP_LE_MPS_MIN && COC_MPS <= BH_L2CAP_LE_MPS_MAX,
               "BH_CONFIG_L2CAP_COC_MPS outside 23..65533 (Vol 3 Part A 4.22)");
_Static_assert(COC_MPS + BH_L2CAP_HDR_LEN <= BH_CONFIG_ACL_RX_BUF_SIZE,
               "a K-frame of MPS must fit an ACL receive buffer");
_Static_assert(COC_MPS + BH_L2CAP_HEADROOM <= BH_CONFIG_ACL_TX_BUF_SIZE,
               "a K-frame of MPS must fit an ACL transmit buffer");
_Static_assert(COC_RX_SIZE <= 65535 && COC_RX_SIZE / COC_MPS * COC_MPS >= BH_L2CAP_LE_MTU_MIN + 2,
               "BH_CONFIG_L2CAP_COC_RX_BUF_SIZE must hold an SDU of 23 bytes, at most 65535");
_Static_assert(COC_TX_SIZE <= 65535 && COC_TX_SIZE >= 3, "BH_CONFIG_L2CAP_COC_TX_BUF_SIZE");

/* The rings' storage, one receive and one transmit ring per channel slot
 * (indexed by bh_l2cap_coc_chan_index); their cursors are in the slots. */
struct coc_data_ctx {
    uint8_t rx_mem[BH_CONFIG_L2CAP_COC_MAX_CHAN][COC_RX_SIZE];
    uint8_t tx_mem[BH_CONFIG_L2CAP_COC_MAX_CHAN][COC_TX_SIZE];
};

static struct coc_data_ctx coc_data;

uint16_t bh_l2cap_coc_mtu_max(void)
{
    /* An SDU needs at most RX_SIZE / MPS frames, which the empty ring backs
     * with credits: then reassembly can never wait for space it lacks. */
    uint32_t m = (uint32_t)COC_RX_CREDITS_MAX * COC_MPS - 2u;

    return (uint16_t)(m > 65535u ? 65535u : m);
}

/* ---- rings ---------------------------------------------------------------------------------- */

static void ring_put(uint8_t *mem, uint16_t size, uint32_t at, const uint8_t *src, uint16_t n)
{
    uint16_t off = (uint16_t)(at % size);
    uint16_t first = (uint16_t)(size - off < n ? size - off : n);

    memcpy(&mem[off], src, first);
    memcpy(mem, src + first, (size_t)(n - first));
}

static void ring_get(const uint8_t *mem, uint16_t size, uint16_t at, uint8_t *dst, uint16_t n)
{
    uint16_t first = (uint16_t)(size - at < n ? size - at : n);

    memcpy(dst, &mem[at], first);
    memcpy(dst + first, mem, (size_t)(n - first));
}

/* ---- transmit ------------------------------------------------------------------------------- */

static uint16_t coc_tx_take(struct bh_l2cap_coc_chan *ch, uint8_t *dst, uint16_t n)
{
    ring_get(coc_data.tx_mem[bh_l2cap_coc_chan_index(ch)], COC_TX_SIZE, ch->tx_head, dst, n);
    ch->tx_head = (uint16_t)((ch->tx_head + n) % COC_TX_SIZE);
    ch->tx_len = (uint16_t)(ch->tx_len - n);
    return n;
}

/* Largest SDU send() takes: the peer's MTU, and what the ring holds. */
static uint16_t coc_tx_sdu_max(const struct bh_l2cap_coc_chan *ch)
{
    return ch->peer_mtu < COC_TX_SIZE - 2 ? ch->peer_mtu : (uint16_t)(COC_TX_SIZE - 2);
}

/* One K-frame (Vol 3 Part A 3.4.2): the first of an SDU starts with the
 * 2-byte SDU length; payload at most min(peer MPS, our MPS). */
static void coc_build_kframe(struct bh_l2cap_coc_chan *ch, struct bh_buf *buf)
{
    uint16_t room = ch->peer_mps < COC_MPS ? ch->peer_mps : COC_MPS;
    uint16_t n;
    uint8_t *p;

    if (ch->tx_sdu_left == 0) {
        uint8_t hdr[2];

        coc_tx_take(ch, hdr, 2);
        ch->tx_sdu_left = bh_get_le16(hdr);
        p = bh_buf_add(buf, 2);
        BH_ASSERT(p != NULL);
        memcpy(p, hdr, 2);
        room = (uint16_t)(room - 2);
    }
    n = ch->tx_sdu_left < room ? ch->tx_sdu_left : room;
    p = bh_buf_add(buf, n);
    BH_ASSERT(p != NULL);
    coc_tx_take(ch, p, n);
    ch->tx_sdu_left = (uint16_t)(ch->tx_sdu_left - n);
}

/* Send K-frames while we hold credits and ACL buffers; then IRQ 26 if it
 * was owed and an SDU of the largest size fits again. */
void bh_l2cap_coc_tx_pump(struct bh_l2cap_coc_chan *ch, bool may_emit)
{
    struct bh_conn *c = bh_l2cap_coc_chan_conn(ch);

    while (c != NULL && ch->state == BH_L2CAP_COC_STATE_OPEN && ch->tx_len > 0 &&
           ch->tx_credits > 0) {
        struct bh_buf *buf = bh_l2cap_buf_alloc();

        if (buf == NULL) {
            bh_l2cap_coc_stats_mut()->tx_no_buf++;
            bh_buf_pool_wait(bh_hci_acl_pool(), &ch->resume);
            break;
        }
        coc_build_kframe(ch, buf);
        ch->tx_credits--;
        bh_l2cap_coc_stats_mut()->tx_frames++;
        if (bh_l2cap_send(c, ch->rcid, buf) < 0) { /* consumes buf */
            break;
        }
    }
    if (may_emit && ch->state == BH_L2CAP_COC_STATE_OPEN && ch->tx_stalled &&
        COC_TX_SIZE - ch->tx_len >= coc_tx_sdu_max(ch) + 2) {
        ch->tx_stalled = false;
        (void)bh_l2cap_coc_emit(BH_IRQ_L2CAP_SEND_READY, ch, 0);
    }
}

/* ---- receive -------------------------------------------------------------------------------- */

/* A K-frame, Vol 3 Part A 3.4.2, under the rules of 10.1 and 3.4.3. */
bool bh_l2cap_coc_rx(struct bh_conn *c, uint16_t cid, struct bh_rd *r)
{
    struct bh_l2cap_coc_chan *ch = bh_l2cap_coc_chan_by_lcid(c, cid);
    const uint8_t *data;
    uint16_t n;

    if (ch == NULL || ch->state != BH_L2CAP_COC_STATE_OPEN) {
        bh_l2cap_coc_stats_mut()->rx_unknown_cid++; /* closed, or closing: discarded */
        return false;
    }
    if (ch->rx_credits == 0) {
        bh_l2cap_coc_violation(ch, &bh_l2cap_coc_stats_mut()->rx_no_credit,
                               "K-frame without credit");
        return true;
    }
    ch->rx_credits--;
    if (r->left > COC_MPS) {
        bh_l2cap_coc_violation(ch, &bh_l2cap_coc_stats_mut()->rx_over_mps, "K-frame above MPS");
        return true;
    }
    if (!ch->rx_in_sdu) {
        ch->rx_sdu_len = bh_rd_le16(r);
        if (r->err) {
            bh_l2cap_coc_violation(ch, &bh_l2cap_coc_stats_mut()->rx_bad_sdu,
                                   "first K-frame without SDU length");
            return true;
        }
        if (ch->rx_sdu_len > ch->our_mtu) {
            bh_l2cap_coc_violation(ch, &bh_l2cap_coc_stats_mut()->rx_over_mtu, "SDU above MTU");
            return true;
        }
        ch->rx_in_sdu = true;
        ch->rx_pend = 0;
    }
    data = bh_rd_rest(r, &n);
    if ((uint32_t)ch->rx_pend + n > ch->rx_sdu_len ||
        (uint32_t)ch->rx_avail + ch->rx_pend + n > COC_RX_SIZE) {
        bh_l2cap_coc_violation(ch, &bh_l2cap_coc_stats_mut()->rx_bad_sdu,
                               "K-frames beyond the SDU length");
        return true;
    }
    ring_put(coc_data.rx_mem[bh_l2cap_coc_chan_index(ch)], COC_RX_SIZE,
             (uint32_t)ch->rx_head + ch->rx_avail + ch->rx_pend, data, n);
    ch->rx_pend = (uint16_t)(ch->rx_pend + n);
    if (ch->rx_pend < ch->rx_sdu_len) {
        return true;
    }
    ch->rx_avail = (uint16_t)(ch->rx_avail + ch->rx_pend);
    ch->rx_pend = 0;
    ch->rx_in_sdu = false;
    if (ch->rx_sdu_len == 0) {
        bh_l2cap_coc_give_credits(ch); /* an empty SDU: nothing to read, nothing held */
        return true;
    }
    (void)bh_l2cap_coc_emit(BH_IRQ_L2CAP_RECV, ch, 0);
    return true;
}

/* Flow Control Credit Indication, Vol 3 Part A 4.24: our CID, credits.
 * Give the peer what the free space backs beyond what it holds: at once
 * when the application emptied the ring, else in batches of half the
 * maximum, so that a slow reader does not cost one PDU per read. */
void bh_l2cap_coc_give_credits(struct bh_l2cap_coc_chan *ch)
{
    uint32_t free_bytes = (uint32_t)COC_RX_SIZE - ch->rx_avail - ch->rx_pend;
    uint32_t backed = free_bytes / COC_MPS;
    uint32_t grant;
    uint8_t d[BH_L2CAP_FLOW_CONTROL_CREDIT_IND_LEN];
    struct bh_conn *c = bh_l2cap_coc_chan_conn(ch);
    int err;

    if (c == NULL || ch->state != BH_L2CAP_COC_STATE_OPEN || backed <= ch->rx_credits) {
        return;
    }
    grant = backed - ch->rx_credits;
    if (grant > BH_L2CAP_LE_CREDITS_MAX - (uint32_t)ch->rx_credits) {
        grant = BH_L2CAP_LE_CREDITS_MAX - (uint32_t)ch->rx_credits;
    }
    if (grant == 0 || (ch->rx_avail != 0 && grant * 2 < COC_RX_CREDITS_MAX)) {
        return;
    }
    bh_put_le16(&d[0], ch->lcid);
    bh_put_le16(&d[2], (uint16_t)grant);
    err = bh_l2cap_sig_send(c, BH_L2CAP_SIG_FLOW_CONTROL_CREDIT_IND, bh_l2cap_sig_next_id(c), d,
                            sizeof(d));
    if (err == -ENOBUFS) {
        bh_l2cap_coc_stats_mut()->tx_no_buf++;
        bh_buf_pool_wait(bh_hci_acl_pool(), &ch->resume);
        return;
    }
    if (err == 0) {
        ch->rx_credits = (uint16_t)(ch->rx_credits + grant);
        bh_l2cap_coc_stats_mut()->credits_sent += grant;
    }
}

/* ---- the application's side ------------------------------------------------------------------ */

int bh_l2cap_coc_send(struct bh_conn *c, uint16_t cid, const uint8_t *data, size_t len,
                      bool *stalled)
{
    struct bh_l2cap_coc_chan *ch = bh_l2cap_coc_chan_by_lcid(c, cid);
    uint8_t hdr[2];
    uint16_t max;

    if (ch == NULL || ch->state != BH_L2CAP_COC_STATE_OPEN || (data == NULL && len != 0)) {
        return -EINVAL;
    }
    max = coc_tx_sdu_max(ch);
    if (len > max) {
        return -EINVAL;
    }
    if ((size_t)(COC_TX_SIZE - ch->tx_len) < len + 2) {
        ch->tx_stalled = true;
        *stalled = true;
        return -ENOMEM;
    }
    bh_put_le16(hdr, (uint16_t)len);
    ring_put(coc_data.tx_mem[bh_l2cap_coc_chan_index(ch)], COC_TX_SIZE,
             (uint32_t)ch->tx_head + ch->tx_len, hdr, 2);
    ring_put(coc_data.tx_mem[bh_l2cap_coc_chan_index(ch)], COC_TX_SIZE,
             (uint32_t)ch->tx_head + ch->tx_len + 2, data, (uint16_t)len);
    ch->tx_len = (uint16_t)(ch->tx_len + 2 + len);
    bh_l2cap_coc_tx_pump(ch, false);
    *stalled = COC_TX_SIZE - ch->tx_len < max + 2;
    ch->tx_stalled = *stalled;
    return 0;
}

int bh_l2cap_coc_recv(struct bh_conn *c, uint16_t cid, uint8_t *buf, size_t *len)
{
    struct bh_l2cap_coc_chan *ch = bh_l2cap_coc_chan_by_lcid(c, cid);
    uint16_t n;

    if (ch == NULL || ch->state != BH_L2CAP_COC_STATE_OPEN) {
        return -EINVAL;
    }
    if (buf == NULL) {
        *len = ch->rx_avail;
        return 0;
    }
    n = *len < ch->rx_avail ? (uint16_t)*len : ch->rx_avail;
    ring_get(coc_data.rx_mem[bh_l2cap_coc_chan_index(ch)], COC_RX_SIZE, ch->rx_head, buf, n);
    ch->rx_head = (uint16_t)((ch->rx_head + n) % COC_RX_SIZE);
    ch->rx_avail = (uint16_t)(ch->rx_avail - n);
    *len = n;
    bh_l2cap_coc_give_credits(ch);
    return 0;
}

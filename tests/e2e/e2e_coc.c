/* SPDX-License-Identifier: MIT */
/*
 * e2e_coc.c: L2CAP LE credit-based channels between two hosts (issue 7,
 * Tests), through the application API (bh_ble_l2cap_*, IRQ 22..26):
 *
 *   l2cap_coc_sizes        every SDU size from 1 to the MTU (512), one way,
 *                          then the other, then both at once (sizes MTU..1)
 *   l2cap_coc_multi        3 channels on one link (one opened by the
 *                          peripheral) and 1 on a second link, every PSM
 *                          and MTU different, sends interleaved
 *   l2cap_coc_disconnect_* a channel disconnect in the middle of a two-way
 *                          transfer, by the central (param 0) or the
 *                          peripheral (1); then the whole channel pool
 *                          opens again on the same link
 *   l2cap_coc_relisten     one listener, six channels one after the other,
 *                          then the link drops mid-transfer, reconnects,
 *                          and the listener still accepts
 *   l2cap_coc_reject       the accept hook refuses (IRQ 22 returns non-zero)
 *   l2cap_coc_flow         the receiver stops reading until the sender's
 *                          credits run out, three times, then reads slowly
 *
 * Data: byte off of SDU i of a stream is a hash of (seed, i, off), so the
 * receiver regenerates what it must get and checks every byte, in order;
 * the number of IRQ 25 equals the number of SDUs. Seeds depend on the PSM,
 * the direction, the receiver's MTU and a phase number, which both sides
 * know. Leaks: after every channel and link closes, the ACL transmit and
 * receive pools are full again; the channel pool is shown full by opening
 * BH_CONFIG_L2CAP_COC_MAX_CHAN channels afterwards.
 *
 * The accept hook: the role's event callback (e2e_role.c) answers 0 to
 * IRQ 22, so the test links with -Wl,--wrap=bh_ble_emit and replaces the
 * answer for the PSM a role chose to refuse.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blehost/bh_buf.h"
#include "blehost/bh_config.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "e2e_roles.h"
#include "host/l2cap_coc.h"

#define PSM_A 0x0080
#define PSM_B 0x0081
#define PSM_C 0x0090    /* the central listens here (multi) */
#define PSM_NONE 0x00C0 /* nobody listens */
#define MAX_CHAN BH_CONFIG_L2CAP_COC_MAX_CHAN
#define SDU_MAX 1024
#define QUIET_MS 300 /* no IRQ 26 for this long: the sender is blocked */

_Static_assert(MAX_CHAN >= 4, "the multi scenario opens 4 channels on the central");

enum plan_kind { PLAN_NONE = 0, PLAN_UP, PLAN_DOWN, PLAN_RANDOM };

/* One direction of a channel: count SDUs, sizes by kind, at most max. */
struct plan {
    enum plan_kind kind;
    uint16_t count;
    uint16_t max; /* the receiver's MTU */
    uint32_t seed;
};

/* One channel's transfer, as each side sees it. */
struct xfer {
    uint16_t conn, cid;
    struct plan tx, rx;
    uint16_t tx_next; /* SDUs queued so far */
    bool stalled;     /* send() said stalled: waiting for IRQ 26 */
    bool hold;        /* the receiver does not read */
    bool closed;
    unsigned stalls, ready, rx_irqs; /* stalled sends, IRQ 26, IRQ 25 */
    uint16_t rx_sdu, rx_off;         /* where the next byte falls */
    uint32_t rx_bytes;
};

static struct {
    uint16_t reject_psm; /* the accept hook refuses this PSM (0: none) */
    int reject_rc;
    uint8_t buf[SDU_MAX];
    uint8_t rx[4096];
} cx;

/* ---- the accept hook ---------------------------------------------------------------------- */

int __real_bh_ble_emit(const struct bh_ble_event *ev);
int __wrap_bh_ble_emit(const struct bh_ble_event *ev);

int __wrap_bh_ble_emit(const struct bh_ble_event *ev)
{
    int rc = __real_bh_ble_emit(ev);

    if (ev->irq == BH_IRQ_L2CAP_ACCEPT && rc == 0 && cx.reject_psm != 0 &&
        ev->l2cap.psm == cx.reject_psm) {
        rc = cx.reject_rc;
    }
    return rc;
}

/* ---- data --------------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint32_t coc_seed(uint16_t psm, bool from_central, uint16_t rx_mtu, unsigned phase)
{
    return (uint32_t)mix64((uint64_t)psm << 32 | (uint64_t)from_central << 31 |
                           (uint64_t)rx_mtu << 8 | phase);
}

static uint8_t coc_byte(uint32_t seed, uint16_t sdu, uint16_t off)
{
    return (uint8_t)(mix64((uint64_t)seed << 32 | (uint64_t)sdu << 16 | off) >> 24);
}

static struct plan plan_make(enum plan_kind kind, uint16_t count, uint16_t max, uint32_t seed)
{
    struct plan p = {kind, count, max, seed};

    if (kind == PLAN_UP || kind == PLAN_DOWN) {
        p.count = max;
    }
    return p;
}

/* SDU i: UP 1..max, DOWN max..1, RANDOM max, 1, then random in 1..max. */
static uint16_t plan_size(const struct plan *p, uint16_t i)
{
    switch (p->kind) {
    case PLAN_UP:
        return (uint16_t)(i + 1);
    case PLAN_DOWN:
        return (uint16_t)(p->max - i);
    case PLAN_RANDOM:
        if (i < 2) {
            return i == 0 ? p->max : 1;
        }
        return (uint16_t)(1 + mix64((uint64_t)p->seed << 16 | i) % p->max);
    default:
        return 0;
    }
}

static uint32_t plan_bytes(const struct plan *p)
{
    uint32_t n = 0;

    for (uint16_t i = 0; i < p->count; i++) {
        n += plan_size(p, i);
    }
    return n;
}

/* Both directions of a channel seen from one side. */
static void xfer_init(struct xfer *x, uint16_t conn, uint16_t cid, struct plan tx, struct plan rx)
{
    memset(x, 0, sizeof(*x));
    x->conn = conn;
    x->cid = cid;
    x->tx = tx;
    x->rx = rx;
}

/* A channel of psm with MTUs ours/peer, count SDUs of kind each way. */
static void xfer_setup(struct xfer *x, uint16_t conn, uint16_t cid, uint16_t psm, bool central,
                       uint16_t our_mtu, uint16_t peer_mtu, enum plan_kind kind, uint16_t count,
                       unsigned phase)
{
    struct plan tx = plan_make(kind, count, peer_mtu, coc_seed(psm, central, peer_mtu, phase));
    struct plan rx = plan_make(kind, count, our_mtu, coc_seed(psm, !central, our_mtu, phase));

    xfer_init(x, conn, cid, tx, rx);
}

/* ---- the transfer engine ------------------------------------------------------------------ */

static struct xfer *xfer_find(struct xfer *xs, unsigned n, uint16_t conn, uint16_t cid)
{
    for (unsigned i = 0; i < n; i++) {
        if (xs[i].conn == conn && xs[i].cid == cid) {
            return &xs[i];
        }
    }
    e2e_fail(__FILE__, __LINE__, "event for conn 0x%04x cid 0x%04x: no such channel", conn, cid);
}

static void xfer_account(struct xfer *xs, unsigned n, const struct bh_ble_event *ev)
{
    struct xfer *x = xfer_find(xs, n, ev->conn, ev->l2cap.cid);

    if (ev->irq == BH_IRQ_L2CAP_SEND_READY) {
        E2E_CHECK(x->stalled); /* IRQ 26 only answers a stalled send */
        x->stalled = false;
        x->ready++;
    } else {
        x->rx_irqs++;
    }
}

/* Take every IRQ 25 and 26 recorded so far. */
static void xfer_events(struct xfer *xs, unsigned n)
{
    const struct bh_ble_event *ev;

    while ((ev = e2e_try_irq(BH_IRQ_L2CAP_SEND_READY, E2E_ANY_CONN, 0)) != NULL) {
        xfer_account(xs, n, ev);
    }
    while ((ev = e2e_try_irq(BH_IRQ_L2CAP_RECV, E2E_ANY_CONN, 0)) != NULL) {
        xfer_account(xs, n, ev);
    }
}

static void xfer_check(struct xfer *x, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t want;

        if (x->rx_sdu >= x->rx.count) {
            e2e_fail(__FILE__, __LINE__, "cid 0x%04x: %zu bytes beyond the stream", x->cid, n - i);
        }
        want = coc_byte(x->rx.seed, x->rx_sdu, x->rx_off);
        if (p[i] != want) {
            e2e_fail(__FILE__, __LINE__, "cid 0x%04x: SDU %u byte %u: 0x%02x, want 0x%02x", x->cid,
                     x->rx_sdu, x->rx_off, p[i], want);
        }
        if (++x->rx_off == plan_size(&x->rx, x->rx_sdu)) {
            x->rx_off = 0;
            x->rx_sdu++;
        }
    }
    x->rx_bytes += (uint32_t)n;
}

/* Read up to max bytes (0: all that waits) and check them: the count. */
static size_t xfer_read(struct xfer *x, size_t max)
{
    size_t avail = 0, n;

    E2E_OK(bh_ble_l2cap_recvinto(x->conn, x->cid, NULL, &avail));
    n = avail < sizeof(cx.rx) ? avail : sizeof(cx.rx);
    if (max != 0 && n > max) {
        n = max;
    }
    if (n == 0) {
        return 0;
    }
    avail = n;
    E2E_OK(bh_ble_l2cap_recvinto(x->conn, x->cid, cx.rx, &n));
    E2E_CHECK_EQ(n, avail);
    xfer_check(x, cx.rx, n);
    return n;
}

/* Queue the next SDU of the plan unless stalled or done: true if sent. */
static bool xfer_send_one(struct xfer *x)
{
    uint16_t len;
    bool stalled = false;

    if (x->closed || x->stalled || x->tx_next >= x->tx.count) {
        return false;
    }
    len = plan_size(&x->tx, x->tx_next);
    for (uint16_t i = 0; i < len; i++) {
        cx.buf[i] = coc_byte(x->tx.seed, x->tx_next, i);
    }
    E2E_OK(bh_ble_l2cap_send(x->conn, x->cid, cx.buf, len, &stalled));
    x->tx_next++;
    if (stalled) {
        x->stalled = true;
        x->stalls++;
    }
    return true;
}

static bool xfer_done(const struct xfer *x)
{
    return x->closed || (x->tx_next == x->tx.count && !x->stalled && x->rx_sdu == x->rx.count);
}

/* One pass: events, reads, then sends one SDU per channel per round
 * (interleaved) until every channel is stalled or done. */
static void xfer_step(struct xfer *xs, unsigned n)
{
    bool any;

    xfer_events(xs, n);
    for (unsigned i = 0; i < n; i++) {
        if (!xs[i].closed && !xs[i].hold) {
            while (xfer_read(&xs[i], 0) > 0) {
            }
        }
    }
    do {
        any = false;
        for (unsigned i = 0; i < n; i++) {
            any |= xfer_send_one(&xs[i]);
        }
    } while (any);
}

static uint32_t xfer_progress(const struct xfer *xs, unsigned n)
{
    uint32_t p = 0;

    for (unsigned i = 0; i < n; i++) {
        p += xs[i].rx_bytes + xs[i].tx_next + xs[i].ready;
    }
    return p;
}

/* Run until every channel is done (true), or until xs[0] received
 * stop_at bytes (stop_at 0: never) or an IRQ 24 is recorded (false).
 * Fails if nothing moves for E2E_WAIT_MS. */
static bool xfer_run(struct xfer *xs, unsigned n, uint32_t stop_at)
{
    uint32_t last = bh_now_ms(), prog = xfer_progress(xs, n);

    for (;;) {
        bool done = true, stalled = false;
        const struct bh_ble_event *ev;

        if (e2e_pending_irq(BH_IRQ_L2CAP_DISCONNECT) > 0) {
            return false;
        }
        xfer_step(xs, n);
        for (unsigned i = 0; i < n; i++) {
            done = done && xfer_done(&xs[i]);
            stalled = stalled || xs[i].stalled;
        }
        if (done || (stop_at != 0 && xs[0].rx_bytes >= stop_at)) {
            return done;
        }
        ev = e2e_try_irq(stalled ? BH_IRQ_L2CAP_SEND_READY : BH_IRQ_L2CAP_RECV, E2E_ANY_CONN, 2);
        if (ev != NULL) {
            xfer_account(xs, n, ev);
        }
        if (xfer_progress(xs, n) != prog) {
            prog = xfer_progress(xs, n);
            last = bh_now_ms();
        } else if (bh_now_ms() - last > E2E_WAIT_MS) {
            for (unsigned i = 0; i < n; i++) {
                e2e_log("cid 0x%04x: tx %u/%u stalled %d, rx SDU %u/%u", xs[i].cid, xs[i].tx_next,
                        xs[i].tx.count, xs[i].stalled, xs[i].rx_sdu, xs[i].rx.count);
            }
            e2e_fail(__FILE__, __LINE__, "the transfer stopped moving");
        }
    }
}

/* Run to the end, then check the counts: one IRQ 25 per SDU, one IRQ 26
 * per stalled send. */
static void xfer_finish(struct xfer *xs, unsigned n)
{
    E2E_CHECK(xfer_run(xs, n, 0));
    for (unsigned i = 0; i < n; i++) {
        E2E_CHECK_EQ(xs[i].rx_bytes, plan_bytes(&xs[i].rx));
        E2E_CHECK_EQ(xs[i].rx_irqs, xs[i].rx.count);
        E2E_CHECK_EQ(xs[i].stalls, xs[i].ready);
    }
}

/* ---- channels ----------------------------------------------------------------------------- */

static void pump(uint32_t ms)
{
    static const volatile bool never = false;

    (void)bh_run_until(&never, ms);
}

static void check_l2cap_ev(const struct bh_ble_event *ev, uint16_t psm, uint16_t our_mtu,
                           uint16_t peer_mtu)
{
    E2E_CHECK_EQ(ev->l2cap.psm, psm);
    E2E_CHECK_EQ(ev->l2cap.our_mtu, our_mtu);
    E2E_CHECK_EQ(ev->l2cap.peer_mtu, peer_mtu);
    E2E_CHECK_EQ(ev->l2cap.status, 0);
    E2E_CHECK(ev->l2cap.cid >= 0x0040 && ev->l2cap.cid <= 0x007F);
}

/* Connector: IRQ 23 of a channel asked with bh_ble_l2cap_connect(): its CID. */
static uint16_t coc_connected(uint16_t conn, uint16_t psm, uint16_t our_mtu, uint16_t peer_mtu)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_L2CAP_CONNECT, conn, E2E_WAIT_MS);

    check_l2cap_ev(ev, psm, our_mtu, peer_mtu);
    return ev->l2cap.cid;
}

static uint16_t coc_open(uint16_t conn, uint16_t psm, uint16_t our_mtu, uint16_t peer_mtu)
{
    E2E_OK(bh_ble_l2cap_connect(conn, psm, our_mtu));
    return coc_connected(conn, psm, our_mtu, peer_mtu);
}

/* Listener: IRQ 22 then IRQ 23 for the same channel: its CID. */
static uint16_t coc_accept(uint16_t conn, uint16_t psm, uint16_t our_mtu, uint16_t peer_mtu)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_L2CAP_ACCEPT, conn, E2E_WAIT_MS);
    uint16_t cid = ev->l2cap.cid;

    check_l2cap_ev(ev, psm, our_mtu, peer_mtu);
    ev = e2e_wait_irq(BH_IRQ_L2CAP_CONNECT, conn, E2E_WAIT_MS);
    check_l2cap_ev(ev, psm, our_mtu, peer_mtu);
    E2E_CHECK_EQ(ev->l2cap.cid, cid);
    return cid;
}

/* count IRQ 24 (status 0) on conn (0: one per channel of xs still open
 * there), each for an open channel of xs, in any order; a closed channel
 * is gone for send and recvinto (if the link is still up). */
static void coc_wait_closed(struct xfer *xs, unsigned n, uint16_t conn, unsigned count)
{
    bool all = count == 0;

    for (unsigned i = 0; i < n && all; i++) {
        count += xs[i].conn == conn && !xs[i].closed;
    }
    for (; count > 0; count--) {
        const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_L2CAP_DISCONNECT, conn, E2E_WAIT_MS);
        struct xfer *x = xfer_find(xs, n, conn, ev->l2cap.cid);
        bool stalled = false;
        size_t len = 0;
        int rc;

        E2E_CHECK(!x->closed);
        E2E_CHECK_EQ(ev->l2cap.status, 0);
        x->closed = true;
        rc = bh_ble_l2cap_send(conn, x->cid, cx.buf, 1, &stalled);
        if (rc != -ENOTCONN) {
            E2E_CHECK_EQ(rc, -EINVAL);
            E2E_CHECK_EQ(bh_ble_l2cap_recvinto(conn, x->cid, NULL, &len), -EINVAL);
        }
    }
    xfer_events(xs, n); /* what the channels raised before IRQ 24 */
}

/* Every ACL buffer is back in its pool (in-flight ones return with
 * Number Of Completed Packets, or when their link goes). */
static void coc_pools_full(void)
{
    uint32_t t0 = bh_now_ms();

    while (bh_buf_pool_free_count(bh_hci_acl_pool()) != BH_CONFIG_ACL_TX_BUF_COUNT ||
           bh_buf_pool_free_count(bh_hci_acl_rx_pool()) != BH_CONFIG_ACL_RX_BUF_COUNT) {
        if (bh_now_ms() - t0 > E2E_WAIT_MS) {
            e2e_fail(__FILE__, __LINE__, "ACL pools not full: tx %u/%u, rx %u/%u",
                     bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT,
                     bh_buf_pool_free_count(bh_hci_acl_rx_pool()), BH_CONFIG_ACL_RX_BUF_COUNT);
        }
        pump(5);
    }
}

/* Central: drop the link, IRQ 24 for each channel still open, IRQ 8. */
static void coc_drop_link(struct xfer *xs, unsigned n, uint16_t conn)
{
    E2E_OK(bh_ble_gap_disconnect(conn));
    coc_wait_closed(xs, n, conn, 0);
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
}

/* Peripheral: the central dropped the link. */
static void coc_link_dropped(struct xfer *xs, unsigned n, uint16_t conn)
{
    coc_wait_closed(xs, n, conn, 0);
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
}

/* Nothing left over: no channel event unconsumed, every pool full. */
static void coc_end_clean(void)
{
    for (uint8_t irq = BH_IRQ_L2CAP_ACCEPT; irq <= BH_IRQ_L2CAP_SEND_READY; irq++) {
        E2E_CHECK_EQ(e2e_pending_irq(irq), 0);
    }
    coc_pools_full();
}

/* ---- every size, both directions ---------------------------------------------------------- */

#define SIZES_MTU 512

/* Phase 0: central -> peripheral 1..MTU; 1: the other way; 2: both at
 * once, MTU..1. Byte for byte, one channel, no stall left unanswered. */
static void sizes_side(uint16_t conn, uint16_t cid, bool central)
{
    for (unsigned ph = 0; ph < 3; ph++) {
        enum plan_kind k = ph == 2 ? PLAN_DOWN : PLAN_UP;
        struct plan none = plan_make(PLAN_NONE, 0, SIZES_MTU, 0);
        struct plan out = plan_make(k, 0, SIZES_MTU, coc_seed(PSM_A, central, SIZES_MTU, ph));
        struct plan in = plan_make(k, 0, SIZES_MTU, coc_seed(PSM_A, !central, SIZES_MTU, ph));
        bool sends = ph == 2 || (ph == 0) == central;
        bool gets = ph == 2 || (ph == 0) != central;
        struct xfer x;
        char name[16];

        xfer_init(&x, conn, cid, sends ? out : none, gets ? in : none);
        xfer_finish(&x, 1);
        e2e_log("phase %u: sent %u SDUs (%u stalls), got %u SDUs, %u bytes", ph, x.tx_next,
                x.stalls, x.rx_sdu, (unsigned)x.rx_bytes);
        snprintf(name, sizeof(name), "sizes%u", ph);
        e2e_barrier(name);
    }
}

void coc_sizes_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");
    uint16_t cid = coc_open(conn, PSM_A, SIZES_MTU, SIZES_MTU);
    struct xfer x;
    bool stalled = false;

    /* above the peer's MTU: refused, nothing queued */
    E2E_CHECK_EQ(bh_ble_l2cap_send(conn, cid, cx.buf, SIZES_MTU + 1, &stalled), -EINVAL);
    sizes_side(conn, cid, true);
    xfer_init(&x, conn, cid, plan_make(PLAN_NONE, 0, 0, 0), plan_make(PLAN_NONE, 0, 0, 0));
    E2E_OK(bh_ble_l2cap_disconnect(conn, cid));
    E2E_CHECK_EQ(bh_ble_l2cap_disconnect(conn, cid), -EALREADY);
    coc_wait_closed(&x, 1, conn, 0);
    coc_drop_link(&x, 1, conn);
    coc_end_clean();
}

void coc_sizes_peripheral(void)
{
    uint16_t conn, cid;
    struct xfer x;

    E2E_OK(bh_ble_l2cap_listen(PSM_A, SIZES_MTU));
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    cid = coc_accept(conn, PSM_A, SIZES_MTU, SIZES_MTU);
    sizes_side(conn, cid, false);
    xfer_init(&x, conn, cid, plan_make(PLAN_NONE, 0, 0, 0), plan_make(PLAN_NONE, 0, 0, 0));
    coc_wait_closed(&x, 1, conn, 0);
    coc_link_dropped(&x, 1, conn);
    coc_end_clean();
}

/* ---- several channels at once ------------------------------------------------------------- */

/* Central <-> p1: A (PSM_A, MTU 100 / 300), B (PSM_B, 512 / 600), C
 * (PSM_C, opened by p1, 200 / 250); central <-> p2: D (PSM_A, 1000 / 700).
 * MTUs as (central's, peripheral's). Then A and C close while B and D
 * carry more data, and the links drop with B and D open. */
#define MULTI_SDUS 60

void coc_multi_central(void)
{
    struct xfer xs[4]; /* A, C (closed after phase 0), B, D */
    uint16_t l1, l2, cid[4];

    E2E_OK(bh_ble_l2cap_listen(PSM_C, 200));
    l1 = e2e_connect_to("p1");
    l2 = e2e_connect_to("p2");
    E2E_OK(bh_ble_l2cap_connect(l1, PSM_A, 100));
    E2E_OK(bh_ble_l2cap_connect(l1, PSM_B, 512));
    E2E_OK(bh_ble_l2cap_connect(l2, PSM_A, 1000));
    cid[0] = coc_connected(l1, PSM_A, 100, 300);
    cid[2] = coc_connected(l1, PSM_B, 512, 600);
    cid[3] = coc_connected(l2, PSM_A, 1000, 700);
    e2e_send("open");
    cid[1] = coc_accept(l1, PSM_C, 200, 250);
    if (MAX_CHAN == 4) { /* the pool is full: nothing more, either way */
        E2E_CHECK_EQ(bh_ble_l2cap_connect(l2, PSM_A, 100), -ENOMEM);
        e2e_wait("refused", NULL, 0);
        E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_L2CAP_ACCEPT), 0);
    }
    xfer_setup(&xs[0], l1, cid[0], PSM_A, true, 100, 300, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_setup(&xs[1], l1, cid[1], PSM_C, true, 200, 250, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_setup(&xs[2], l1, cid[2], PSM_B, true, 512, 600, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_setup(&xs[3], l2, cid[3], PSM_A, true, 1000, 700, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_finish(xs, 4);
    e2e_barrier("multi0");
    /* we close A, p1 closes C; B and D carry on meanwhile */
    xfer_setup(&xs[2], l1, cid[2], PSM_B, true, 512, 600, PLAN_RANDOM, MULTI_SDUS / 3, 1);
    xfer_setup(&xs[3], l2, cid[3], PSM_A, true, 1000, 700, PLAN_RANDOM, MULTI_SDUS / 3, 1);
    E2E_OK(bh_ble_l2cap_disconnect(l1, cid[0]));
    coc_wait_closed(xs, 4, l1, 2);
    E2E_CHECK(xs[0].closed && xs[1].closed);
    xfer_finish(&xs[2], 2);
    e2e_barrier("multi1");
    coc_drop_link(xs, 4, l2);
    coc_drop_link(xs, 4, l1);
    coc_end_clean();
}

static void multi_p1(uint16_t conn)
{
    const struct bh_ble_event *ev;
    struct xfer xs[3]; /* A, C, B */
    uint16_t cid[3];

    cid[0] = coc_accept(conn, PSM_A, 300, 100);
    cid[2] = coc_accept(conn, PSM_B, 600, 512);
    e2e_wait("open", NULL, 0);
    cid[1] = coc_open(conn, PSM_C, 250, 200);
    if (MAX_CHAN == 4) { /* the central's pool is full: No Resources */
        E2E_OK(bh_ble_l2cap_connect(conn, PSM_C, 250));
        ev = e2e_wait_irq(BH_IRQ_L2CAP_DISCONNECT, conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->l2cap.status, BH_L2CAP_LE_RESULT_NO_RESOURCES);
        E2E_CHECK_EQ(ev->l2cap.psm, PSM_C);
        e2e_send("refused");
    }
    xfer_setup(&xs[0], conn, cid[0], PSM_A, false, 300, 100, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_setup(&xs[1], conn, cid[1], PSM_C, false, 250, 200, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_setup(&xs[2], conn, cid[2], PSM_B, false, 600, 512, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_finish(xs, 3);
    e2e_barrier("multi0");
    xfer_setup(&xs[2], conn, cid[2], PSM_B, false, 600, 512, PLAN_RANDOM, MULTI_SDUS / 3, 1);
    E2E_OK(bh_ble_l2cap_disconnect(conn, cid[1]));
    coc_wait_closed(xs, 3, conn, 2);
    E2E_CHECK(xs[0].closed && xs[1].closed);
    xfer_finish(&xs[2], 1);
    e2e_barrier("multi1");
    coc_link_dropped(xs, 3, conn);
}

static void multi_p2(uint16_t conn)
{
    struct xfer x;
    uint16_t cid = coc_accept(conn, PSM_A, 700, 1000);

    xfer_setup(&x, conn, cid, PSM_A, false, 700, 1000, PLAN_RANDOM, MULTI_SDUS, 0);
    xfer_finish(&x, 1);
    e2e_barrier("multi0");
    xfer_setup(&x, conn, cid, PSM_A, false, 700, 1000, PLAN_RANDOM, MULTI_SDUS / 3, 1);
    xfer_finish(&x, 1);
    e2e_barrier("multi1");
    coc_link_dropped(&x, 1, conn);
}

void coc_multi_peripheral(void)
{
    bool p1 = strcmp(e2e_role_name(), "p1") == 0;
    uint16_t conn;

    E2E_OK(bh_ble_l2cap_listen(PSM_A, p1 ? 300 : 700));
    if (p1) {
        E2E_OK(bh_ble_l2cap_listen(PSM_B, 600));
    }
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    if (p1) {
        multi_p1(conn);
    } else {
        multi_p2(conn);
    }
    coc_end_clean();
}

/* ---- disconnect mid-transfer -------------------------------------------------------------- */

#define DISC_MTU 1000
#define DISC_SDUS 400
#define DISC_AT 20000 /* bytes received before the disconnect */

/* The whole pool again on the same link: MAX_CHAN channels, each carries
 * data both ways, then the central drops the link. */
static void disc_refill(uint16_t conn, bool central)
{
    struct xfer xs[MAX_CHAN];

    if (central) {
        for (unsigned i = 0; i < MAX_CHAN; i++) {
            E2E_OK(bh_ble_l2cap_connect(conn, PSM_A, 300));
        }
        E2E_CHECK_EQ(bh_ble_l2cap_connect(conn, PSM_A, 300), -ENOMEM);
    }
    for (unsigned i = 0; i < MAX_CHAN; i++) {
        uint16_t cid = central ? coc_connected(conn, PSM_A, 300, DISC_MTU)
                               : coc_accept(conn, PSM_A, DISC_MTU, 300);
        uint16_t ours = central ? 300 : DISC_MTU, theirs = central ? DISC_MTU : 300;

        xfer_setup(&xs[i], conn, cid, PSM_A, central, ours, theirs, PLAN_RANDOM, 16, 1 + i);
    }
    xfer_finish(xs, MAX_CHAN);
    e2e_barrier("refilled");
    if (central) {
        coc_drop_link(xs, MAX_CHAN, conn);
    } else {
        coc_link_dropped(xs, MAX_CHAN, conn);
    }
}

/* param 0: the central disconnects the channel, 1: the peripheral. Both
 * send and receive when it happens. */
static void disc_side(uint16_t conn, uint16_t cid, bool central)
{
    uint16_t ours = central ? 512 : DISC_MTU, theirs = central ? DISC_MTU : 512;
    bool active = central == (e2e_param() == 0);
    struct xfer x;

    xfer_setup(&x, conn, cid, PSM_A, central, ours, theirs, PLAN_RANDOM, DISC_SDUS, 0);
    if (active) {
        E2E_CHECK(!xfer_run(&x, 1, DISC_AT));
        e2e_log("disconnecting after %u bytes in, %u SDUs out", (unsigned)x.rx_bytes, x.tx_next);
        E2E_CHECK(x.tx_next < DISC_SDUS);
        E2E_OK(bh_ble_l2cap_disconnect(conn, cid));
    } else {
        E2E_CHECK(!xfer_run(&x, 1, 0)); /* runs until IRQ 24 */
        e2e_log("peer disconnected after %u bytes in, %u SDUs out", (unsigned)x.rx_bytes,
                x.tx_next);
        E2E_CHECK(x.rx_sdu < DISC_SDUS);
    }
    coc_wait_closed(&x, 1, conn, 0);
    coc_pools_full();
    e2e_barrier("closed");
    disc_refill(conn, central);
    coc_end_clean();
}

void coc_disc_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");

    disc_side(conn, coc_open(conn, PSM_A, 512, DISC_MTU), true);
}

void coc_disc_peripheral(void)
{
    uint16_t conn;

    E2E_OK(bh_ble_l2cap_listen(PSM_A, DISC_MTU));
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    disc_side(conn, coc_accept(conn, PSM_A, DISC_MTU, 512), false);
}

/* ---- a listener keeps accepting ----------------------------------------------------------- */

#define RL_MTU 256
#define RL_CYCLES 6

/* Cycle i: a channel, 12 SDUs each way, closed by the central (even i)
 * or the peripheral (odd). The freed slot and CID are used again. */
static void relisten_cycles(uint16_t conn, bool central)
{
    for (unsigned i = 0; i < RL_CYCLES; i++) {
        uint16_t cid = central ? coc_open(conn, PSM_A, RL_MTU, RL_MTU)
                               : coc_accept(conn, PSM_A, RL_MTU, RL_MTU);
        struct xfer x;
        char name[16];

        E2E_CHECK_EQ(cid, 0x0040);
        xfer_setup(&x, conn, cid, PSM_A, central, RL_MTU, RL_MTU, PLAN_RANDOM, 12, i);
        xfer_finish(&x, 1);
        snprintf(name, sizeof(name), "cycle%u", i);
        e2e_barrier(name);
        if ((i % 2 == 0) == central) {
            E2E_OK(bh_ble_l2cap_disconnect(conn, cid));
        }
        coc_wait_closed(&x, 1, conn, 0);
        coc_pools_full();
        snprintf(name, sizeof(name), "closed%u", i); /* the CID is checked free first */
        e2e_barrier(name);
    }
}

/* Then the link drops in the middle of a transfer (the central drops it
 * once it received 4000 bytes), and a new link's channel is accepted. */
void coc_relisten_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");
    struct xfer x;

    relisten_cycles(conn, true);
    xfer_setup(&x, conn, coc_open(conn, PSM_A, RL_MTU, RL_MTU), PSM_A, true, RL_MTU, RL_MTU,
               PLAN_RANDOM, 400, 100);
    E2E_CHECK(!xfer_run(&x, 1, 4000));
    coc_drop_link(&x, 1, conn);
    coc_pools_full();
    e2e_wait("adv-again", NULL, 0);
    conn = e2e_connect_to("peripheral");
    xfer_setup(&x, conn, coc_open(conn, PSM_A, RL_MTU, RL_MTU), PSM_A, true, RL_MTU, RL_MTU,
               PLAN_RANDOM, 12, 101);
    xfer_finish(&x, 1);
    e2e_barrier("relinked");
    coc_drop_link(&x, 1, conn);
    coc_end_clean();
}

void coc_relisten_peripheral(void)
{
    uint16_t conn;
    struct xfer x;

    E2E_OK(bh_ble_l2cap_listen(PSM_A, RL_MTU));
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    relisten_cycles(conn, false);
    xfer_setup(&x, conn, coc_accept(conn, PSM_A, RL_MTU, RL_MTU), PSM_A, false, RL_MTU, RL_MTU,
               PLAN_RANDOM, 400, 100);
    E2E_CHECK(!xfer_run(&x, 1, 0));
    coc_link_dropped(&x, 1, conn);
    coc_pools_full();
    E2E_OK(bh_ble_gap_adv_start(true, 20000, NULL, 0, NULL, 0)); /* same payload */
    e2e_send("adv-again");
    conn = e2e_wait_central(NULL);
    xfer_setup(&x, conn, coc_accept(conn, PSM_A, RL_MTU, RL_MTU), PSM_A, false, RL_MTU, RL_MTU,
               PLAN_RANDOM, 12, 101);
    xfer_finish(&x, 1);
    e2e_barrier("relinked");
    coc_link_dropped(&x, 1, conn);
    coc_end_clean();
}

/* ---- the accept hook refuses -------------------------------------------------------------- */

#define REJECTS (MAX_CHAN + 2) /* more than the pool: a refused channel frees its slot */

void coc_reject_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");
    const struct bh_ble_event *ev;
    struct xfer x;

    for (unsigned i = 0; i < REJECTS; i++) {
        E2E_OK(bh_ble_l2cap_connect(conn, PSM_A, 100));
        ev = e2e_wait_irq(BH_IRQ_L2CAP_DISCONNECT, conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->l2cap.status, BH_L2CAP_LE_RESULT_NO_RESOURCES);
        E2E_CHECK_EQ(ev->l2cap.psm, PSM_A);
        E2E_CHECK_EQ(ev->l2cap.our_mtu, 100);
    }
    /* a PSM nobody listens on: refused before any hook */
    E2E_OK(bh_ble_l2cap_connect(conn, PSM_NONE, 100));
    ev = e2e_wait_irq(BH_IRQ_L2CAP_DISCONNECT, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->l2cap.status, BH_L2CAP_LE_RESULT_SPSM_NOT_SUPPORTED);
    E2E_CHECK_EQ(ev->l2cap.psm, PSM_NONE);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_L2CAP_CONNECT), 0);
    e2e_send("accept");
    e2e_wait("accepting", NULL, 0);
    xfer_setup(&x, conn, coc_open(conn, PSM_A, 100, 128), PSM_A, true, 100, 128, PLAN_RANDOM, 30,
               0);
    xfer_finish(&x, 1);
    e2e_barrier("accepted");
    coc_drop_link(&x, 1, conn);
    coc_end_clean();
}

void coc_reject_peripheral(void)
{
    const struct bh_ble_event *ev;
    uint16_t conn;
    struct xfer x;

    E2E_OK(bh_ble_l2cap_listen(PSM_A, 128));
    /* set before the link is up: the first request may come with it */
    cx.reject_psm = PSM_A;
    cx.reject_rc = 1;
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    for (unsigned i = 0; i < REJECTS; i++) {
        ev = e2e_wait_irq(BH_IRQ_L2CAP_ACCEPT, conn, E2E_WAIT_MS);
        check_l2cap_ev(ev, PSM_A, 128, 100);
        cx.reject_rc = i % 2 == 0 ? -EPERM : 1; /* any non-zero refuses */
    }
    e2e_wait("accept", NULL, 0);
    /* refused channels never opened here; the unknown PSM raised nothing */
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_L2CAP_ACCEPT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_L2CAP_CONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_L2CAP_DISCONNECT), 0);
    cx.reject_psm = 0;
    e2e_send("accepting");
    xfer_setup(&x, conn, coc_accept(conn, PSM_A, 128, 100), PSM_A, false, 128, 100, PLAN_RANDOM, 30,
               0);
    xfer_finish(&x, 1);
    e2e_barrier("accepted");
    coc_link_dropped(&x, 1, conn);
    coc_end_clean();
}

/* ---- flow control under pressure ---------------------------------------------------------- */

#define FLOW_MTU 512
#define FLOW_SDUS 300
#define FLOW_HOLDS 3

/* Sender: queue until stalled, and again at each IRQ 26, until no IRQ 26
 * comes: then over a second quiet window no K-frame goes out although
 * data waits: the credits ran out. */
static void flow_fill(struct xfer *x)
{
    const struct bh_ble_event *ev;
    uint32_t frames;
    bool stalled = false;

    for (;;) {
        while (xfer_send_one(x)) {
        }
        E2E_CHECK(x->stalled && x->tx_next < x->tx.count);
        ev = e2e_try_irq(BH_IRQ_L2CAP_SEND_READY, x->conn, QUIET_MS);
        if (ev == NULL) {
            break;
        }
        xfer_account(x, 1, ev);
    }
    frames = bh_l2cap_coc_stats()->tx_frames;
    E2E_CHECK(e2e_try_irq(BH_IRQ_L2CAP_SEND_READY, x->conn, QUIET_MS) == NULL);
    E2E_CHECK_EQ(bh_l2cap_coc_stats()->tx_frames, frames);
    /* an SDU of the largest size does not fit now */
    E2E_CHECK_EQ(bh_ble_l2cap_send(x->conn, x->cid, cx.buf, FLOW_MTU, &stalled), -ENOMEM);
    E2E_CHECK(stalled);
}

void coc_flow_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");
    uint16_t cid = coc_open(conn, PSM_A, FLOW_MTU, FLOW_MTU);
    struct xfer x;

    xfer_setup(&x, conn, cid, PSM_A, true, FLOW_MTU, FLOW_MTU, PLAN_RANDOM, FLOW_SDUS, 0);
    x.rx = plan_make(PLAN_NONE, 0, 0, 0);
    for (unsigned r = 0; r < FLOW_HOLDS; r++) {
        flow_fill(&x);
        e2e_log("hold %u: blocked after %u SDUs", r, x.tx_next);
        e2e_send("blocked %u", r);
        xfer_account(&x, 1, e2e_wait_irq(BH_IRQ_L2CAP_SEND_READY, conn, E2E_WAIT_MS));
    }
    xfer_finish(&x, 1);
    e2e_barrier("flowed");
    coc_drop_link(&x, 1, conn);
    coc_end_clean();
}

/* Receiver: hold r ends when the sender is blocked; then the ring holds
 * whole SDUs within its size and no credit went back. Drain: hold 0
 * reads 37 bytes at a time with the host running in between (credits
 * trickle back and the sender resumes while we read), 1 all at once, 2
 * half. The rest streams freely. */
void coc_flow_peripheral(void)
{
    uint16_t conn, cid;
    struct xfer x;

    E2E_OK(bh_ble_l2cap_listen(PSM_A, FLOW_MTU));
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    cid = coc_accept(conn, PSM_A, FLOW_MTU, FLOW_MTU);
    xfer_setup(&x, conn, cid, PSM_A, false, FLOW_MTU, FLOW_MTU, PLAN_RANDOM, FLOW_SDUS, 0);
    x.tx = plan_make(PLAN_NONE, 0, 0, 0);
    for (unsigned r = 0; r < FLOW_HOLDS; r++) {
        uint32_t credits = bh_l2cap_coc_stats()->credits_sent;
        size_t avail = 0, drain;

        e2e_wait("blocked", NULL, 0);
        E2E_OK(bh_ble_l2cap_recvinto(conn, cid, NULL, &avail));
        e2e_log("hold %u: %zu bytes wait", r, avail);
        E2E_CHECK(avail > 0 && avail <= BH_CONFIG_L2CAP_COC_RX_BUF_SIZE);
        E2E_CHECK_EQ(bh_l2cap_coc_stats()->credits_sent, credits);
        drain = r == 2 ? avail / 2 : avail;
        while (drain > 0) {
            size_t n = xfer_read(&x, r == 0 ? 37 : drain);

            drain -= n < drain ? n : drain;
            if (r == 0) {
                pump(1);
            }
        }
        xfer_events(&x, 1);
    }
    xfer_finish(&x, 1);
    e2e_barrier("flowed");
    coc_link_dropped(&x, 1, conn);
    coc_end_clean();
}

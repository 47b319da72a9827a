/* SPDX-License-Identifier: MIT */
/*
 * gap_conn.c: LE connections (conn.h): the pool, LE Connection Complete in
 * both roles (Core 5.4 Vol 4 Part E 7.7.65.1/.10), Disconnection Complete
 * (7.7.5), connection parameter updates from either side (LE Connection
 * Update 7.8.18 and its completion 7.7.65.3, the LL Connection Parameters
 * Request 7.7.65.6 answered with 7.8.31, and the L2CAP request through
 * l2cap_sig.c), encryption events (7.7.8, 7.7.39), and the link set-up
 * after connecting: remote features (7.8.21), maximum data length
 * (7.8.46, 7.8.33) and 2M PHY (7.8.49). The lifecycle calls of conn.h are
 * made here and nowhere else. A local Disconnect (7.1.6), held until the
 * link's ACL drains, is gap_disc.c's; scanning and the central's
 * connection attempt are gap_scan.c's; advertising is gap_adv.c's.
 */
#include "gap_internal.h"

#include <errno.h>
#include <string.h>

#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "gap_spec.h"
#include "hci/hci_spec.h"
#include "host_evt.h"
#include "l2cap_sig.h"
#include "os/bh_assert.h"
#include "os/bh_rdwr.h"

#define BH_LOG_TAG "gap"
#include "os/bh_log.h"

/* What GAP keeps per link beyond struct bh_conn. */
struct gap_link {
    struct bh_gap_conn_params want; /* our outstanding update request */
    bool upd_pending;
    bool feat_valid;
    uint8_t remote_feat[8];
    uint16_t tx_octets, tx_time, rx_octets, rx_time;
    uint8_t tx_phy, rx_phy;
};

struct gap_conn_ctx {
    struct bh_conn conns[BH_CONFIG_MAX_CONN];
    struct gap_link links[BH_CONFIG_MAX_CONN];
    struct bh_gap_stats stats;
    struct bh_sem gone; /* given at each Disconnection Complete */
    bool max_dl_valid;
    uint16_t max_tx_octets, max_tx_time;
};

static struct gap_conn_ctx gap_conn;

/* Kept across bh_gap_init(), and apart from gap_conn so that the link table
 * stays zero-initialised (.bss) while these have their configured defaults. */
static struct {
    bool dle;    /* Data Length Update after connecting */
    bool phy_2m; /* 2M PHY after connecting */
} gap_auto = {.dle = BH_CONFIG_GAP_DATA_LENGTH, .phy_2m = BH_CONFIG_GAP_2M_PHY};

/* An LE (Enhanced) Connection Complete, fields copied out. */
struct gap_conn_evt {
    uint8_t status;
    uint16_t handle;
    uint8_t role;
    uint8_t peer_type;
    uint8_t peer[6];
    uint16_t itvl, latency, timeout;
};

/* ---- pool ------------------------------------------------------------------ */

struct bh_conn *bh_conn_lookup(uint16_t handle)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct bh_conn *c = &gap_conn.conns[i];

        if (c->state != BH_CONN_STATE_IDLE && c->handle == handle) {
            return c;
        }
    }
    return NULL;
}

struct bh_conn *bh_conn_at(unsigned i)
{
    if (i >= BH_CONFIG_MAX_CONN || gap_conn.conns[i].state == BH_CONN_STATE_IDLE) {
        return NULL;
    }
    return &gap_conn.conns[i];
}

unsigned bh_conn_index(const struct bh_conn *c)
{
    BH_ASSERT(c >= gap_conn.conns && c < gap_conn.conns + BH_CONFIG_MAX_CONN);
    return (unsigned)(c - gap_conn.conns);
}

static struct gap_link *gap_link(const struct bh_conn *c)
{
    return &gap_conn.links[bh_conn_index(c)];
}

const struct bh_gap_stats *bh_gap_stats(void)
{
    return &gap_conn.stats;
}

struct bh_gap_stats *bh_gap_stats_mut(void)
{
    return &gap_conn.stats;
}

void bh_gap_init(void)
{
    gap_conn = (struct gap_conn_ctx){0};
    bh_sem_init(&gap_conn.gone, 0, 1);
    bh_gap_disc_init();
    bh_gap_adv_init();
    bh_gap_scan_init();
    bh_gap_privacy_init();
}

/* Entry into CONNECTED from IDLE brings the layers up (conn.h order);
 * entry into IDLE takes them down in reverse and frees the slot. Leaving
 * DISCONNECTING forgets a Disconnect still held back, and its timer. */
void bh_gap_conn_set_state(struct bh_conn *c, enum bh_conn_state st)
{
    enum bh_conn_state old = c->state;

    BH_LOG_DBG("conn 0x%04x state %d -> %d", c->handle, (int)old, (int)st);
    if (old == BH_CONN_STATE_DISCONNECTING && st != old) {
        bh_gap_disc_forget(c);
    }
    c->state = st;
    if (old == BH_CONN_STATE_IDLE && st != BH_CONN_STATE_IDLE) {
        bh_l2cap_conn_up(c);
        bh_att_conn_up(c);
        bh_gatts_conn_up(c);
        bh_gattc_conn_up(c);
        bh_smp_conn_up(c);
    } else if (old != BH_CONN_STATE_IDLE && st == BH_CONN_STATE_IDLE) {
        bh_smp_conn_down(c);
        bh_gattc_conn_down(c);
        bh_gatts_conn_down(c);
        bh_att_conn_down(c);
        bh_l2cap_conn_down(c);
        *gap_link(c) = (struct gap_link){0};
        *c = (struct bh_conn){0};
    }
}

/* ---- events to the application ------------------------------------------------ */

static void gap_emit_connect(uint8_t irq, uint16_t handle, uint8_t addr_type,
                             const uint8_t *addr_le)
{
    struct bh_ble_event ev = {.irq = irq, .conn = handle};

    ev.connect.addr_type = addr_type;
    if (addr_le != NULL) {
        bh_ble_addr_swap(ev.connect.addr, addr_le);
    }
    (void)bh_ble_emit(&ev);
}

static void gap_emit_conn_update(const struct bh_conn *c, uint8_t status)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_CONNECTION_UPDATE, .conn = c->handle};

    ev.conn_update.itvl = c->itvl_1250us;
    ev.conn_update.latency = c->latency;
    ev.conn_update.timeout = c->sup_timeout_10ms;
    ev.conn_update.status = status;
    gap_conn.stats.conn_updates++;
    (void)bh_ble_emit(&ev);
}

/* ---- commands ---------------------------------------------------------------------- */

static bool local_le_feature(unsigned bit)
{
    return bh_hci_le_feature(bh_hci_info(), bit);
}

/* LE Set Data Length, Vol 4 Part E 7.8.33. */
static int gap_send_set_data_length(uint16_t handle, uint16_t octets, uint16_t time)
{
    uint8_t p[6];

    bh_put_le16(&p[0], handle);
    bh_put_le16(&p[2], octets);
    bh_put_le16(&p[4], time);
    return bh_hci_cmd_send(BH_HCI_OP_LE_SET_DATA_LENGTH, p, sizeof(p), NULL, NULL);
}

/* LE Set PHY, Vol 4 Part E 7.8.49: All_PHYs 0 (both directions given). */
static int gap_send_set_phy(uint16_t handle, uint8_t tx_phys, uint8_t rx_phys)
{
    uint8_t p[7];

    bh_put_le16(&p[0], handle);
    p[2] = 0x00;
    p[3] = tx_phys;
    p[4] = rx_phys;
    bh_put_le16(&p[5], 0x0000); /* PHY_Options: no preference */
    return bh_hci_cmd_send(BH_HCI_OP_LE_SET_PHY, p, sizeof(p), NULL, NULL);
}

/* LE Read Maximum Data Length, 7.8.46: max TX octets, TX time, RX octets,
 * RX time. ctx is the link waiting for it. */
static void gap_on_read_max_data_length(void *ctx, int err, uint8_t status, const uint8_t *rp,
                                        uint16_t rp_len)
{
    struct bh_conn *c;
    struct bh_rd r;

    if (err != 0 || status != BH_HCI_ERR_SUCCESS) {
        return;
    }
    bh_rd_init(&r, rp, rp_len);
    gap_conn.max_tx_octets = bh_rd_le16(&r);
    gap_conn.max_tx_time = bh_rd_le16(&r);
    if (r.err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    gap_conn.max_dl_valid = true;
    c = bh_conn_lookup(bh_gap_ctx_handle(ctx));
    if (c != NULL && c->state == BH_CONN_STATE_CONNECTED) {
        (void)gap_send_set_data_length(c->handle, gap_conn.max_tx_octets, gap_conn.max_tx_time);
    }
}

/* After connecting: learn the peer's features (for 2M and the Connection
 * Parameters Request procedure) and ask for the largest data length. */
static void gap_link_start(struct bh_conn *c)
{
    uint8_t p[2];

    bh_put_le16(p, c->handle);
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_READ_REMOTE_FEATURES, p, sizeof(p), NULL, NULL);
    if (!gap_auto.dle || !local_le_feature(BH_HCI_LE_FEAT_DATA_LENGTH_EXT)) {
        return;
    }
    if (gap_conn.max_dl_valid) {
        (void)gap_send_set_data_length(c->handle, gap_conn.max_tx_octets, gap_conn.max_tx_time);
        return;
    }
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_READ_MAXIMUM_DATA_LENGTH, NULL, 0,
                          gap_on_read_max_data_length, bh_gap_handle_ctx(c->handle));
}

/* ---- connection complete ------------------------------------------------------------- */

static struct bh_conn *conn_alloc(void)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        if (gap_conn.conns[i].state == BH_CONN_STATE_IDLE) {
            return &gap_conn.conns[i];
        }
    }
    return NULL;
}

/* A connection that failed to be established: the central's attempt
 * (IRQ 8) or a directed advertising that timed out (IRQ 2). */
static void gap_conn_failed(const struct gap_conn_evt *e)
{
    BH_LOG_INF("connection failed, status 0x%02x", e->status);
    if (bh_gap_connect_on_complete(e->status)) {
        gap_emit_connect(BH_IRQ_PERIPHERAL_DISCONNECT, 0xFFFF, 0xFF, NULL);
    } else if (bh_gap_adv_active() && e->role == BH_GAP_ROLE_PERIPHERAL) {
        bh_gap_adv_on_peripheral_conn();
        gap_emit_connect(BH_IRQ_CENTRAL_DISCONNECT, 0xFFFF, 0xFF, NULL);
    }
}

/* The controller holds a link we have no slot for: refuse it. */
static void gap_conn_refuse(const struct gap_conn_evt *e)
{
    uint8_t p[3];

    gap_conn.stats.conn_no_slot++;
    BH_LOG_WRN("no slot for conn 0x%04x: disconnecting", e->handle);
    bh_put_le16(p, e->handle);
    p[2] = BH_HCI_ERR_REMOTE_LOW_RESOURCES;
    (void)bh_hci_cmd_send(BH_HCI_OP_DISCONNECT, p, sizeof(p), NULL, NULL);
    if (e->role == BH_GAP_ROLE_CENTRAL && bh_gap_connect_on_complete(e->status)) {
        gap_emit_connect(BH_IRQ_PERIPHERAL_DISCONNECT, 0xFFFF, 0xFF, NULL);
    } else if (e->role == BH_GAP_ROLE_PERIPHERAL) {
        bh_gap_adv_on_peripheral_conn();
    }
}

static void gap_conn_complete(const struct gap_conn_evt *e)
{
    struct bh_conn *c;

    if (e->status != BH_HCI_ERR_SUCCESS) {
        gap_conn_failed(e);
        return;
    }
    if (e->handle > BH_HCI_HANDLE_MAX || e->role > BH_GAP_ROLE_PERIPHERAL ||
        bh_conn_lookup(e->handle) != NULL) {
        gap_conn.stats.evt_bad++;
        BH_LOG_WRN("bad connection complete (handle 0x%04x role %u)", e->handle, e->role);
        return;
    }
    c = conn_alloc();
    if (c == NULL) {
        gap_conn_refuse(e);
        return;
    }
    c->handle = e->handle;
    c->role = e->role == BH_GAP_ROLE_CENTRAL ? BH_CONN_ROLE_CENTRAL : BH_CONN_ROLE_PERIPHERAL;
    c->peer_addr_type = e->peer_type;
    memcpy(c->peer_addr, e->peer, 6);
    c->id_addr_type = e->peer_type & 0x01; /* 0x02/0x03: identity resolved by the controller */
    memcpy(c->id_addr, e->peer, 6);
    bh_gap_privacy_resolve_conn(c); /* a bonded peer behind a resolvable private address */
    c->itvl_1250us = e->itvl;
    c->latency = e->latency;
    c->sup_timeout_10ms = e->timeout;
    *gap_link(c) = (struct gap_link){.tx_octets = BH_GAP_DATA_LEN_DEFAULT_OCTETS,
                                     .rx_octets = BH_GAP_DATA_LEN_DEFAULT_OCTETS,
                                     .tx_time = BH_GAP_DATA_LEN_DEFAULT_TIME,
                                     .rx_time = BH_GAP_DATA_LEN_DEFAULT_TIME,
                                     .tx_phy = BH_GAP_PHY_1M,
                                     .rx_phy = BH_GAP_PHY_1M};
    BH_LOG_INF("conn 0x%04x up, role %u, itvl %u", c->handle, c->role, c->itvl_1250us);
    bh_gap_conn_set_state(c, BH_CONN_STATE_CONNECTED);
    if (c->role == BH_CONN_ROLE_CENTRAL) {
        (void)bh_gap_connect_on_complete(e->status);
    } else {
        bh_gap_adv_on_peripheral_conn();
    }
    gap_link_start(c);
    gap_emit_connect(c->role == BH_CONN_ROLE_CENTRAL ? BH_IRQ_PERIPHERAL_CONNECT
                                                     : BH_IRQ_CENTRAL_CONNECT,
                     c->handle, c->id_addr_type, c->id_addr);
}

/* Shared head of 7.7.65.1 and 7.7.65.10 up to Peer_Address. */
static void gap_read_conn_head(struct bh_rd *r, struct gap_conn_evt *e)
{
    e->status = bh_rd_u8(r);
    e->handle = bh_rd_le16(r);
    e->role = bh_rd_u8(r);
    e->peer_type = bh_rd_u8(r);
    bh_rd_copy(r, e->peer, 6);
}

static void gap_read_conn_tail(struct bh_rd *r, struct gap_conn_evt *e)
{
    e->itvl = bh_rd_le16(r);
    e->latency = bh_rd_le16(r);
    e->timeout = bh_rd_le16(r);
    (void)bh_rd_u8(r); /* Central_Clock_Accuracy */
}

/* LE Connection Complete, Vol 4 Part E 7.7.65.1. */
void gap_on_le_conn_complete(struct bh_rd *r)
{
    struct gap_conn_evt e;

    gap_read_conn_head(r, &e);
    gap_read_conn_tail(r, &e);
    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    gap_conn_complete(&e);
}

/* LE Enhanced Connection Complete, 7.7.65.10: two resolvable private
 * addresses between the peer address and the interval. */
void gap_on_le_enhanced_conn_complete(struct bh_rd *r)
{
    struct gap_conn_evt e;

    gap_read_conn_head(r, &e);
    (void)bh_rd_mem(r, 12); /* Local_Resolvable_Private_Address, Peer_... */
    gap_read_conn_tail(r, &e);
    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    gap_conn_complete(&e);
}

/* ---- disconnection ----------------------------------------------------------------------- */

/* The link is gone: layers down, slot freed, then IRQ 2 (we were the
 * peripheral, the peer a central) or 8 (we were the central). */
static void gap_conn_gone(struct bh_conn *c, uint8_t reason)
{
    uint16_t handle = c->handle;
    uint8_t irq =
        c->role == BH_CONN_ROLE_CENTRAL ? BH_IRQ_PERIPHERAL_DISCONNECT : BH_IRQ_CENTRAL_DISCONNECT;
    uint8_t type = c->id_addr_type;
    uint8_t addr[6];

    memcpy(addr, c->id_addr, sizeof(addr));
    BH_LOG_INF("conn 0x%04x down, reason 0x%02x", handle, reason);
    bh_gap_conn_set_state(c, BH_CONN_STATE_IDLE);
    bh_sem_give(&gap_conn.gone);
    gap_emit_connect(irq, handle, type, addr);
}

void bh_gap_conn_drop(struct bh_conn *c, uint8_t reason)
{
    if (c != NULL && c->state != BH_CONN_STATE_IDLE) {
        gap_conn_gone(c, reason);
    }
}

int bh_gap_conn_wait_gone(uint32_t timeout_ms)
{
    return bh_sem_take(&gap_conn.gone, timeout_ms);
}

/* The connection an event's fields name, once the fields were all there:
 * NULL (and counted) for a short event or a handle we do not know. */
static struct bh_conn *gap_evt_conn(const struct bh_rd *r, uint16_t handle)
{
    struct bh_conn *c;

    if (r->err) {
        gap_conn.stats.evt_bad++;
        return NULL;
    }
    c = bh_conn_lookup(handle);
    if (c == NULL) {
        gap_conn.stats.evt_unknown_conn++;
    }
    return c;
}

/* Disconnection Complete, Vol 4 Part E 7.7.5: Status, Handle, Reason. A
 * failed status means our Disconnect did not happen: the link stays. */
void gap_on_disconn_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t reason = bh_rd_u8(r);
    struct bh_conn *c;

    c = gap_evt_conn(r, handle);
    if (c == NULL) {
        return;
    }
    if (status != BH_HCI_ERR_SUCCESS) {
        if (c->state == BH_CONN_STATE_DISCONNECTING && !bh_gap_disc_owed(c)) {
            bh_gap_conn_set_state(c, BH_CONN_STATE_CONNECTED);
        }
        return;
    }
    gap_conn_gone(c, reason);
}

/* ---- connection parameters ------------------------------------------------------------------ */

bool bh_gap_conn_params_valid(const struct bh_gap_conn_params *p)
{
    /* Vol 3 Part A 4.20; the timeout must exceed (1 + latency) * max * 2,
     * in 10 ms against 1.25 ms units: timeout * 4 > (1 + latency) * max. */
    return p->itvl_min_1250us >= BH_GAP_CONN_ITVL_MIN &&
           p->itvl_max_1250us <= BH_GAP_CONN_ITVL_MAX && p->itvl_min_1250us <= p->itvl_max_1250us &&
           p->latency <= BH_GAP_CONN_LATENCY_MAX && p->sup_timeout_10ms >= BH_GAP_SUP_TIMEOUT_MIN &&
           p->sup_timeout_10ms <= BH_GAP_SUP_TIMEOUT_MAX &&
           (uint32_t)p->sup_timeout_10ms * 4 > (uint32_t)(1 + p->latency) * p->itvl_max_1250us;
}

/* Our LE Connection Update was refused by the controller. */
static void gap_on_conn_update_status(void *ctx, int err, uint8_t status, const uint8_t *rp,
                                      uint16_t rp_len)
{
    struct bh_conn *c = bh_conn_lookup(bh_gap_ctx_handle(ctx));

    if ((err == 0 && status == BH_HCI_ERR_SUCCESS) || err == -ECANCELED || c == NULL) {
        return;
    }
    bh_gap_conn_param_update_failed(c, err == 0 ? status : BH_HCI_ERR_UNSPECIFIED);
}

/* LE Connection Update, Vol 4 Part E 7.8.18 (CE lengths left to the controller). */
static int gap_send_conn_update(struct bh_conn *c, const struct bh_gap_conn_params *p)
{
    uint8_t b[14];

    bh_put_le16(&b[0], c->handle);
    bh_put_le16(&b[2], p->itvl_min_1250us);
    bh_put_le16(&b[4], p->itvl_max_1250us);
    bh_put_le16(&b[6], p->latency);
    bh_put_le16(&b[8], p->sup_timeout_10ms);
    bh_put_le16(&b[10], 0x0000);
    bh_put_le16(&b[12], 0x0000);
    return bh_hci_cmd_send(BH_HCI_OP_LE_CONN_UPDATE, b, sizeof(b), gap_on_conn_update_status,
                           bh_gap_handle_ctx(c->handle));
}

/* Both controllers run the Connection Parameters Request procedure
 * (Vol 6 Part B 5.1.7), so a peripheral may use LE Connection Update. */
static bool gap_cpr_supported(const struct bh_conn *c)
{
    const struct gap_link *l = gap_link(c);

    return local_le_feature(BH_HCI_LE_FEAT_CONN_PARAM_REQ) && l->feat_valid &&
           (l->remote_feat[0] >> BH_HCI_LE_FEAT_CONN_PARAM_REQ) & 1;
}

int bh_gap_conn_param_update(uint16_t handle, const struct bh_gap_conn_params *p)
{
    struct bh_conn *c = bh_conn_lookup(handle);
    struct gap_link *l;
    int err;

    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
        return -ENOTCONN;
    }
    if (!bh_gap_conn_params_valid(p)) {
        return -EINVAL;
    }
    l = gap_link(c);
    if (l->upd_pending) {
        return -EBUSY;
    }
    l->want = *p;
    if (c->role == BH_CONN_ROLE_CENTRAL || gap_cpr_supported(c)) {
        err = gap_send_conn_update(c, p);
    } else {
        err = bh_l2cap_sig_conn_param_update(c, p);
    }
    if (err == 0) {
        l->upd_pending = true;
    }
    return err;
}

int bh_gap_conn_param_apply(struct bh_conn *c, const struct bh_gap_conn_params *p)
{
    if (c->role != BH_CONN_ROLE_CENTRAL || !bh_gap_conn_params_valid(p)) {
        return -EINVAL;
    }
    return gap_send_conn_update(c, p);
}

void bh_gap_conn_param_update_failed(struct bh_conn *c, uint8_t status)
{
    struct gap_link *l = gap_link(c);

    if (!l->upd_pending) {
        return;
    }
    l->upd_pending = false;
    gap_emit_conn_update(c, status);
}

/* A peripheral whose LL request the peer does not support falls back to
 * the L2CAP request (Vol 3 Part A 4.20). Returns whether it did. */
static bool gap_conn_update_fallback(struct bh_conn *c, uint8_t status)
{
    if (status != BH_HCI_ERR_UNSUPPORTED_REMOTE_FEATURE || c->role != BH_CONN_ROLE_PERIPHERAL) {
        return false;
    }
    return bh_l2cap_sig_conn_param_update(c, &gap_link(c)->want) == 0;
}

/* LE Connection Update Complete, Vol 4 Part E 7.7.65.3. IRQ 27 only when
 * the parameters changed, or when an update we asked for failed. */
void gap_on_le_conn_update_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint16_t itvl = bh_rd_le16(r);
    uint16_t latency = bh_rd_le16(r);
    uint16_t timeout = bh_rd_le16(r);
    struct bh_conn *c;

    c = gap_evt_conn(r, handle);
    if (c == NULL) {
        return;
    }
    if (status != BH_HCI_ERR_SUCCESS) {
        if (gap_link(c)->upd_pending && !gap_conn_update_fallback(c, status)) {
            bh_gap_conn_param_update_failed(c, status);
        }
        return;
    }
    gap_link(c)->upd_pending = false;
    if (c->itvl_1250us == itvl && c->latency == latency && c->sup_timeout_10ms == timeout) {
        return;
    }
    c->itvl_1250us = itvl;
    c->latency = latency;
    c->sup_timeout_10ms = timeout;
    gap_emit_conn_update(c, BH_HCI_ERR_SUCCESS);
}

/* LE Remote Connection Parameter Request, 7.7.65.6: accept what is valid
 * with the Reply (7.8.31), else the Negative Reply (7.8.32). */
void gap_on_le_remote_conn_param_request(struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    struct bh_gap_conn_params p = {
        .itvl_min_1250us = bh_rd_le16(r),
        .itvl_max_1250us = bh_rd_le16(r),
        .latency = bh_rd_le16(r),
        .sup_timeout_10ms = bh_rd_le16(r),
    };
    uint8_t b[14];

    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    bh_put_le16(&b[0], handle);
    if (bh_conn_lookup(handle) == NULL || !bh_gap_conn_params_valid(&p)) {
        b[2] = bh_conn_lookup(handle) == NULL ? BH_HCI_ERR_UNKNOWN_CONN_ID
                                              : BH_HCI_ERR_UNACCEPTABLE_CONN_PARAMS;
        (void)bh_hci_cmd_send(BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_NEGATIVE_REPLY, b, 3, NULL,
                              NULL);
        return;
    }
    bh_put_le16(&b[2], p.itvl_min_1250us);
    bh_put_le16(&b[4], p.itvl_max_1250us);
    bh_put_le16(&b[6], p.latency);
    bh_put_le16(&b[8], p.sup_timeout_10ms);
    bh_put_le16(&b[10], 0x0000);
    bh_put_le16(&b[12], 0x0000);
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_REMOTE_CONN_PARAM_REQUEST_REPLY, b, sizeof(b), NULL, NULL);
}

/* ---- features, data length, PHY
 * ------------------------------------------------------------------ */

/* LE Read Remote Features Complete, 7.7.65.4: then 2M PHY if both have it. */
void gap_on_le_read_remote_features_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t feat[8];
    struct bh_conn *c;
    struct gap_link *l;

    bh_rd_copy(r, feat, sizeof(feat));
    c = gap_evt_conn(r, handle);
    if (c == NULL) {
        return;
    }
    if (status != BH_HCI_ERR_SUCCESS) {
        return;
    }
    l = gap_link(c);
    memcpy(l->remote_feat, feat, sizeof(feat));
    l->feat_valid = true;
    if (gap_auto.phy_2m && local_le_feature(BH_HCI_LE_FEAT_2M_PHY) &&
        (feat[BH_HCI_LE_FEAT_2M_PHY / 8] >> (BH_HCI_LE_FEAT_2M_PHY % 8)) & 1) {
        (void)gap_send_set_phy(c->handle, BH_GAP_PHY_BIT_2M, BH_GAP_PHY_BIT_2M);
    }
}

/* LE Data Length Change, 7.7.65.7. */
void gap_on_le_data_length_change(struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    struct gap_link v = {0};
    struct bh_conn *c;
    struct gap_link *l;

    v.tx_octets = bh_rd_le16(r);
    v.tx_time = bh_rd_le16(r);
    v.rx_octets = bh_rd_le16(r);
    v.rx_time = bh_rd_le16(r);
    c = gap_evt_conn(r, handle);
    if (c == NULL) {
        return;
    }
    l = gap_link(c);
    l->tx_octets = v.tx_octets;
    l->tx_time = v.tx_time;
    l->rx_octets = v.rx_octets;
    l->rx_time = v.rx_time;
}

/* LE PHY Update Complete, 7.7.65.12. */
void gap_on_le_phy_update_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t tx = bh_rd_u8(r);
    uint8_t rx = bh_rd_u8(r);
    struct bh_conn *c;

    c = gap_evt_conn(r, handle);
    if (c == NULL) {
        return;
    }
    if (status == BH_HCI_ERR_SUCCESS) {
        gap_link(c)->tx_phy = tx;
        gap_link(c)->rx_phy = rx;
    }
}

void bh_gap_set_auto_data_length(bool on)
{
    gap_auto.dle = on;
}

bool bh_gap_auto_data_length(void)
{
    return gap_auto.dle;
}

void bh_gap_set_auto_2m_phy(bool on)
{
    gap_auto.phy_2m = on;
}

bool bh_gap_auto_2m_phy(void)
{
    return gap_auto.phy_2m;
}

int bh_gap_link_info(uint16_t handle, struct bh_gap_link_info *info)
{
    struct bh_conn *c = bh_conn_lookup(handle);
    const struct gap_link *l;

    if (c == NULL) {
        return -ENOTCONN;
    }
    l = gap_link(c);
    *info = (struct bh_gap_link_info){
        .tx_octets = l->tx_octets,
        .tx_time_us = l->tx_time,
        .rx_octets = l->rx_octets,
        .rx_time_us = l->rx_time,
        .tx_phy = l->tx_phy,
        .rx_phy = l->rx_phy,
        .remote_features_valid = l->feat_valid,
    };
    memcpy(info->remote_features, l->remote_feat, sizeof(info->remote_features));
    return 0;
}

int bh_gap_set_data_length(uint16_t handle, uint16_t tx_octets, uint16_t tx_time_us)
{
    if (bh_conn_lookup(handle) == NULL) {
        return -ENOTCONN;
    }
    if (!local_le_feature(BH_HCI_LE_FEAT_DATA_LENGTH_EXT)) {
        return -EOPNOTSUPP;
    }
    if (tx_octets < BH_GAP_DATA_LEN_DEFAULT_OCTETS || tx_octets > BH_GAP_DATA_LEN_MAX_OCTETS ||
        tx_time_us < BH_GAP_DATA_LEN_DEFAULT_TIME || tx_time_us > BH_GAP_DATA_LEN_MAX_TIME) {
        return -EINVAL;
    }
    return gap_send_set_data_length(handle, tx_octets, tx_time_us);
}

int bh_gap_set_phy(uint16_t handle, uint8_t tx_phys, uint8_t rx_phys)
{
    const uint8_t known = BH_GAP_PHY_BIT_1M | BH_GAP_PHY_BIT_2M;

    if (bh_conn_lookup(handle) == NULL) {
        return -ENOTCONN;
    }
    if (tx_phys == 0 || rx_phys == 0 || (tx_phys & ~known) != 0 || (rx_phys & ~known) != 0) {
        return -EINVAL;
    }
    if (((tx_phys | rx_phys) & BH_GAP_PHY_BIT_2M) && !local_le_feature(BH_HCI_LE_FEAT_2M_PHY)) {
        return -EOPNOTSUPP;
    }
    return gap_send_set_phy(handle, tx_phys, rx_phys);
}

/* ---- security and other events
 * -------------------------------------------------------------------- */

static void gap_security_changed(uint16_t handle, uint8_t status, int enabled, int key_size)
{
    struct bh_conn *c = bh_conn_lookup(handle);

    if (c == NULL) {
        gap_conn.stats.evt_unknown_conn++;
        return;
    }
    if (status == BH_HCI_ERR_SUCCESS && enabled >= 0) {
        c->encrypted = enabled != 0;
    }
    if (status == BH_HCI_ERR_SUCCESS && key_size >= 0) {
        c->key_size = (uint8_t)key_size;
    }
    bh_smp_on_encryption_change(c, status);
    bh_gatts_on_security_change(c);
}

/* Encryption Change, Vol 4 Part E 7.7.8: Status, Handle, Encryption_Enabled. */
void gap_on_encryption_change(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t enabled = bh_rd_u8(r);

    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    gap_security_changed(handle, status, enabled, -1);
}

/* Encryption Change v2, 7.7.8: adds Encryption_Key_Size. */
void gap_on_encryption_change_v2(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t enabled = bh_rd_u8(r);
    uint8_t key_size = bh_rd_u8(r);

    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    gap_security_changed(handle, status, enabled, key_size);
}

/* Encryption Key Refresh Complete, 7.7.39: Status, Handle. */
void gap_on_encryption_key_refresh_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);

    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    gap_security_changed(handle, status, -1, -1);
}

/* Read Remote Version Information Complete, 7.7.12: for the log only. */
void gap_on_read_remote_version_info_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint16_t handle = bh_rd_le16(r);
    uint8_t version = bh_rd_u8(r);
    uint16_t company = bh_rd_le16(r);

    if (r->err) {
        gap_conn.stats.evt_bad++;
        return;
    }
    BH_LOG_DBG("conn 0x%04x: status 0x%02x version %u company 0x%04x", handle, status, version,
               company);
}

/* Hardware Error, 7.7.16: the controller lost its state, links included.
 * Recovery (reset and re-init) is the application's: active(False/True). */
void gap_on_hardware_error(struct bh_rd *r)
{
    uint8_t code = bh_rd_u8(r);

    BH_LOG_ERR("controller hardware error 0x%02x", code);
}

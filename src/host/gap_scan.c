/* SPDX-License-Identifier: MIT */
/*
 * gap_scan.c: the observer and the initiator. Scanning (Core 5.4 Vol 4
 * Part E 7.8.10, 7.8.11) passive or active, for a duration or until
 * stopped, every report delivered as IRQ 5 (no duplicate filtering) and
 * IRQ 6 at the end, whether by timeout or by a stop (inside the stop
 * call, as MicroPython's sync mode does). Reports: LE Advertising Report
 * (7.7.65.2), several per event, each checked before any is delivered, and
 * LE Directed Advertising Report (7.7.65.11).
 * Connecting as central: LE Create Connection (7.8.12) under a timeout,
 * LE Create Connection Cancel (7.8.13); the outcome arrives as LE
 * Connection Complete in gap_conn.c, which calls bh_gap_connect_on_complete.
 */
#include "gap.h"

#include <errno.h>
#include <string.h>

#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "gap_spec.h"
#include "hci/hci_spec.h"
#include "host_evt.h"
#include "os/bh_assert.h"
#include "os/bh_rdwr.h"

#define BH_LOG_TAG "gap"
#include "os/bh_log.h"

enum gap_scan_state {
    GAP_SCAN_STATE_IDLE = 0,
    GAP_SCAN_STATE_SCANNING,
};

enum gap_connect_state {
    GAP_CONNECT_STATE_IDLE = 0,
    GAP_CONNECT_STATE_PENDING,    /* LE Create Connection sent */
    GAP_CONNECT_STATE_CANCELLING, /* cancel sent; Connection Complete to come */
};

struct gap_scan_ctx {
    enum gap_scan_state scan_state;
    enum gap_connect_state connect_state;
    struct bh_dwork scan_timer;
    struct bh_dwork connect_timer;
};

static struct gap_scan_ctx gap_scan;

static void scan_on_timeout(struct bh_work *work);
static void connect_on_timeout(struct bh_work *work);

void bh_gap_scan_init(void)
{
    bh_dwork_cancel(&gap_scan.scan_timer);
    bh_dwork_cancel(&gap_scan.connect_timer);
    gap_scan = (struct gap_scan_ctx){0};
    bh_dwork_init(&gap_scan.scan_timer, scan_on_timeout);
    bh_dwork_init(&gap_scan.connect_timer, connect_on_timeout);
}

/* ---- scanning ---------------------------------------------------------------- */

/* Leaving SCANNING stops the duration timer and raises IRQ 6. */
static void scan_set_state(enum gap_scan_state st)
{
    enum gap_scan_state old = gap_scan.scan_state;
    struct bh_ble_event ev = {.irq = BH_IRQ_SCAN_DONE};

    BH_LOG_DBG("scan state %d -> %d", (int)old, (int)st);
    gap_scan.scan_state = st;
    if (old == GAP_SCAN_STATE_SCANNING && st == GAP_SCAN_STATE_IDLE) {
        bh_dwork_cancel(&gap_scan.scan_timer);
        (void)bh_ble_emit(&ev);
    }
}

bool bh_gap_scan_active(void)
{
    return gap_scan.scan_state == GAP_SCAN_STATE_SCANNING;
}

/* LE Set Scan Enable, 7.8.11; duplicates are not filtered (API.md 1.3). */
static uint8_t scan_enable_params(uint8_t *p, bool on)
{
    p[0] = on ? 0x01 : 0x00;
    p[1] = 0x00; /* Filter_Duplicates */
    return 2;
}

static int scan_set_params(uint16_t itvl, uint16_t window, bool active)
{
    uint8_t p[7];

    p[0] = active ? BH_GAP_SCAN_TYPE_ACTIVE : BH_GAP_SCAN_TYPE_PASSIVE;
    bh_put_le16(&p[1], itvl);
    bh_put_le16(&p[3], window);
    p[5] = bh_gap_own_addr_type();
    p[6] = 0x00; /* Scanning_Filter_Policy: everyone */
    return bh_hci_cmd_sync(BH_HCI_OP_LE_SET_SCAN_PARAMS, p, sizeof(p), NULL, 0, NULL, NULL);
}

static uint16_t scan_clamp(uint16_t v)
{
    if (v < BH_GAP_SCAN_ITVL_MIN) {
        return BH_GAP_SCAN_ITVL_MIN;
    }
    return v > BH_GAP_SCAN_ITVL_MAX ? BH_GAP_SCAN_ITVL_MAX : v;
}

int bh_gap_scan_start(uint32_t duration_ms, uint16_t itvl_625us, uint16_t window_625us, bool active)
{
    uint8_t p[2];
    uint16_t itvl = scan_clamp(itvl_625us);
    uint16_t window = scan_clamp(window_625us);
    int err;

    if (gap_scan.scan_state != GAP_SCAN_STATE_IDLE) {
        return -EALREADY;
    }
    if (gap_scan.connect_state != GAP_CONNECT_STATE_IDLE) {
        return -EBUSY;
    }
    err = scan_set_params(itvl, window > itvl ? itvl : window, active);
    if (err == 0) {
        err = bh_hci_cmd_sync(BH_HCI_OP_LE_SET_SCAN_ENABLE, p, scan_enable_params(p, true), NULL, 0,
                              NULL, NULL);
    }
    if (err < 0) {
        return err;
    }
    scan_set_state(GAP_SCAN_STATE_SCANNING);
    if (duration_ms > 0) {
        bh_dwork_reschedule(&gap_scan.scan_timer, duration_ms);
    }
    return 0;
}

int bh_gap_scan_stop(void)
{
    uint8_t p[2];

    if (gap_scan.scan_state == GAP_SCAN_STATE_IDLE) {
        return 0;
    }
    /* Whatever the controller says, the scan is over for the application
     * (late reports are ignored), so the disable is not waited for: this
     * is often called from the application's event callback. */
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_SET_SCAN_ENABLE, p, scan_enable_params(p, false), NULL,
                          NULL);
    scan_set_state(GAP_SCAN_STATE_IDLE);
    return 0;
}

/* The duration ran out: a work item must not wait, so the disable goes
 * out asynchronously and IRQ 6 is raised at once. */
static void scan_on_timeout(struct bh_work *work)
{
    uint8_t p[2];

    (void)work;
    if (gap_scan.scan_state != GAP_SCAN_STATE_SCANNING) {
        return;
    }
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_SET_SCAN_ENABLE, p, scan_enable_params(p, false), NULL,
                          NULL);
    scan_set_state(GAP_SCAN_STATE_IDLE);
}

/* ---- reports ------------------------------------------------------------------------ */

struct gap_report {
    uint8_t type;
    uint8_t addr_type;
    const uint8_t *addr;
    uint8_t len;
    const uint8_t *data;
    int8_t rssi;
};

/* One report of 7.7.65.2: Event_Type, Address_Type, Address, Data_Length,
 * Data, RSSI (in this order for each report, as controllers send them). */
static void report_read(struct bh_rd *r, struct gap_report *rep)
{
    rep->type = bh_rd_u8(r);
    rep->addr_type = bh_rd_u8(r);
    rep->addr = bh_rd_mem(r, 6);
    rep->len = bh_rd_u8(r);
    if (rep->len > BH_GAP_ADV_DATA_MAX) {
        bh_rd_fail(r);
    }
    rep->data = bh_rd_mem(r, rep->len);
    rep->rssi = (int8_t)bh_rd_u8(r);
}

static void report_emit(const struct gap_report *rep)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_SCAN_RESULT};

    /* Public/random identity addresses (0x02/0x03) keep their kind. */
    ev.scan.addr_type = rep->addr_type & 0x01;
    bh_ble_addr_swap(ev.scan.addr, rep->addr);
    ev.scan.adv_type = rep->type;
    ev.scan.rssi = rep->rssi;
    ev.scan.data = rep->len > 0 ? rep->data : rep->addr; /* never NULL: an empty view */
    ev.scan.len = rep->len;
    bh_gap_stats_mut()->adv_reports++;
    (void)bh_ble_emit(&ev);
}

/* LE Advertising Report, 7.7.65.2. The whole event is checked first: if
 * Num_Reports or a Data_Length lies, nothing of it is delivered. */
void gap_on_le_adv_report(struct bh_rd *r)
{
    struct bh_rd check = *r;
    uint8_t num = bh_rd_u8(&check);
    struct gap_report rep;

    if (num == 0 || num > BH_GAP_REPORT_NUM_MAX) {
        bh_rd_fail(&check);
    }
    for (unsigned i = 0; i < num && !check.err; i++) {
        report_read(&check, &rep);
    }
    if (!bh_rd_done(&check)) {
        bh_gap_stats_mut()->adv_report_bad++;
        BH_LOG_WRN("malformed advertising report dropped");
        return;
    }
    (void)bh_rd_u8(r);
    for (unsigned i = 0; i < num; i++) {
        report_read(r, &rep);
        /* The application may stop the scan from its callback. */
        if (gap_scan.scan_state == GAP_SCAN_STATE_SCANNING) {
            report_emit(&rep);
        }
    }
}

/* LE Directed Advertising Report, 7.7.65.11: Event_Type, Address_Type,
 * Address, Direct_Address_Type, Direct_Address, RSSI; no data. */
void gap_on_le_directed_adv_report(struct bh_rd *r)
{
    struct bh_rd check = *r;
    uint8_t num = bh_rd_u8(&check);
    struct gap_report rep = {0};

    if (num == 0 || num > BH_GAP_REPORT_NUM_MAX || !bh_rd_mem(&check, (uint16_t)(num * 16u)) ||
        check.left != 0) {
        bh_gap_stats_mut()->adv_report_bad++;
        return;
    }
    (void)bh_rd_u8(r);
    for (unsigned i = 0; i < num; i++) {
        rep.type = bh_rd_u8(r);
        rep.addr_type = bh_rd_u8(r);
        rep.addr = bh_rd_mem(r, 6);
        (void)bh_rd_mem(r, 7); /* Direct_Address_Type, Direct_Address: ours */
        rep.rssi = (int8_t)bh_rd_u8(r);
        if (gap_scan.scan_state == GAP_SCAN_STATE_SCANNING) {
            report_emit(&rep);
        }
    }
}

/* ---- connecting as central ----------------------------------------------------------------- */

static void connect_set_state(enum gap_connect_state st)
{
    BH_LOG_DBG("connect state %d -> %d", (int)gap_scan.connect_state, (int)st);
    gap_scan.connect_state = st;
    if (st == GAP_CONNECT_STATE_IDLE) {
        bh_dwork_cancel(&gap_scan.connect_timer);
    }
}

bool bh_gap_connect_pending(void)
{
    return gap_scan.connect_state != GAP_CONNECT_STATE_IDLE;
}

/* LE Create Connection, 7.8.12: scan 10 ms every 10 ms, no filter list,
 * CE lengths left to the controller. */
static int connect_send(uint8_t addr_type, const uint8_t addr[6],
                        const struct bh_gap_conn_params *p)
{
    uint8_t b[25];

    bh_put_le16(&b[0], 0x0010); /* LE_Scan_Interval */
    bh_put_le16(&b[2], 0x0010); /* LE_Scan_Window */
    b[4] = 0x00;                /* Initiator_Filter_Policy: the peer address */
    b[5] = addr_type;
    memcpy(&b[6], addr, 6);
    b[12] = bh_gap_own_addr_type();
    bh_put_le16(&b[13], p->itvl_min_1250us);
    bh_put_le16(&b[15], p->itvl_max_1250us);
    bh_put_le16(&b[17], p->latency);
    bh_put_le16(&b[19], p->sup_timeout_10ms);
    bh_put_le16(&b[21], 0x0000);
    bh_put_le16(&b[23], 0x0000);
    return bh_hci_cmd_sync(BH_HCI_OP_LE_CREATE_CONN, b, sizeof(b), NULL, 0, NULL, NULL);
}

int bh_gap_connect(uint8_t addr_type, const uint8_t addr[6], int32_t timeout_ms,
                   const struct bh_gap_conn_params *p)
{
    const struct bh_gap_conn_params defaults = {
        BH_GAP_CONN_ITVL_MIN_DEFAULT, BH_GAP_CONN_ITVL_MAX_DEFAULT, 0, BH_GAP_SUP_TIMEOUT_DEFAULT};
    int err;

    if (p == NULL) {
        p = &defaults;
    }
    if (addr == NULL || addr_type > BH_HCI_ADDR_RANDOM || !bh_gap_conn_params_valid(p)) {
        return -EINVAL;
    }
    if (gap_scan.connect_state != GAP_CONNECT_STATE_IDLE) {
        return -EALREADY;
    }
    err = bh_gap_scan_stop(); /* IRQ 6 if a scan was running */
    if (err < 0) {
        return err;
    }
    /* PENDING before the command: its Connection Complete may be handled
     * while we still wait for the Command Status. */
    connect_set_state(GAP_CONNECT_STATE_PENDING);
    err = connect_send(addr_type, addr, p);
    if (err < 0) {
        connect_set_state(GAP_CONNECT_STATE_IDLE);
        return err;
    }
    if (gap_scan.connect_state == GAP_CONNECT_STATE_PENDING && timeout_ms >= 0) {
        bh_dwork_reschedule(&gap_scan.connect_timer, timeout_ms == 0
                                                         ? BH_GAP_CONNECT_TIMEOUT_DEFAULT_MS
                                                         : (uint32_t)timeout_ms);
    }
    return 0;
}

/* LE Create Connection Cancel, 7.8.13: Connection Complete with Unknown
 * Connection Identifier (0x02) follows, and raises IRQ 8. Not waited for:
 * if the connection won the race (Command Disallowed), IRQ 7 comes instead. */
static int connect_send_cancel(void)
{
    return bh_hci_cmd_send(BH_HCI_OP_LE_CREATE_CONN_CANCEL, NULL, 0, NULL, NULL);
}

static void connect_on_timeout(struct bh_work *work)
{
    (void)work;
    if (gap_scan.connect_state != GAP_CONNECT_STATE_PENDING) {
        return;
    }
    BH_LOG_INF("connection attempt timed out");
    connect_set_state(GAP_CONNECT_STATE_CANCELLING);
    (void)connect_send_cancel();
}

int bh_gap_connect_cancel(void)
{
    int err;

    if (gap_scan.connect_state == GAP_CONNECT_STATE_IDLE) {
        return -EALREADY;
    }
    if (gap_scan.connect_state == GAP_CONNECT_STATE_CANCELLING) {
        return 0;
    }
    err = connect_send_cancel();
    if (err < 0) {
        return err;
    }
    connect_set_state(GAP_CONNECT_STATE_CANCELLING);
    return 0;
}

void bh_gap_connect_abort(void)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_PERIPHERAL_DISCONNECT, .conn = 0xFFFF};

    if (gap_scan.connect_state == GAP_CONNECT_STATE_IDLE) {
        return;
    }
    if (gap_scan.connect_state == GAP_CONNECT_STATE_PENDING) {
        (void)connect_send_cancel();
    }
    /* A link that still completes is no attempt of ours any more: it is
     * reported and disconnected like any other. */
    connect_set_state(GAP_CONNECT_STATE_IDLE);
    ev.connect.addr_type = 0xFF;
    (void)bh_ble_emit(&ev);
}

bool bh_gap_connect_on_complete(uint8_t status)
{
    if (gap_scan.connect_state == GAP_CONNECT_STATE_IDLE) {
        return false;
    }
    BH_LOG_DBG("connection attempt ended, status 0x%02x", status);
    connect_set_state(GAP_CONNECT_STATE_IDLE);
    return true;
}

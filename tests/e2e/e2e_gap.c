/* SPDX-License-Identifier: MIT */
/*
 * e2e_gap.c: connections between processes: connect and disconnect from
 * each side (IRQ 1/2 on the peripheral, 7/8 on the central, also on the
 * side that asked), connection parameter updates from each side (IRQ 27 on
 * both), the supervision timeout when the peer's process dies, and four
 * links at once (one central, four peripherals).
 */
#include <errno.h>
#include <stdio.h>

#include "bh_posix.h"
#include "blehost/bh_os.h"
#include "e2e_roles.h"
#include "host/gap.h"

/* ---- connect and disconnect ---------------------------------------------------- */

void gap_conn_central(void)
{
    const struct bh_ble_event *ev;
    uint8_t type, addr[6];
    uint16_t conn;

    e2e_announce();
    conn = e2e_connect_to("peripheral");
    e2e_peer_addr("peripheral", &type, addr);
    e2e_wait("up", NULL, 0);
    if (e2e_param() == 0) {
        E2E_OK(bh_ble_gap_disconnect(conn));
        E2E_CHECK_EQ(bh_ble_gap_disconnect(conn), -EALREADY);
    } else {
        e2e_send("go");
    }
    ev = e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->connect.addr_type, type);
    E2E_CHECK_MEM(ev->connect.addr, addr, 6);
    E2E_CHECK_EQ(bh_ble_gap_disconnect(conn), -ENOTCONN);
    e2e_barrier("down");
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_CENTRAL_CONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_CENTRAL_DISCONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PERIPHERAL_DISCONNECT), 0);
}

void gap_conn_peripheral(void)
{
    const struct bh_ble_event *ev;
    uint8_t type, addr[6];
    uint16_t conn;

    e2e_advertise();
    e2e_peer_addr("central", &type, addr);
    ev = e2e_wait_irq(BH_IRQ_CENTRAL_CONNECT, E2E_ANY_CONN, E2E_WAIT_MS);
    conn = ev->conn;
    E2E_CHECK_EQ(ev->connect.addr_type, type);
    E2E_CHECK_MEM(ev->connect.addr, addr, 6);
    E2E_CHECK(!bh_gap_adv_active()); /* a central connected: advertising stopped */
    e2e_send("up");
    if (e2e_param() == 1) {
        e2e_wait("go", NULL, 0);
        E2E_OK(bh_ble_gap_disconnect(conn));
    }
    ev = e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->connect.addr_type, type);
    E2E_CHECK_MEM(ev->connect.addr, addr, 6);
    e2e_barrier("down");
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PERIPHERAL_CONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PERIPHERAL_DISCONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_CENTRAL_DISCONNECT), 0);
}

/* ---- connection parameter update (real time) ------------------------------------------- */

static void check_update(const struct bh_ble_event *ev, uint16_t itvl_min, uint16_t itvl_max,
                         uint16_t latency, uint16_t timeout)
{
    E2E_CHECK_EQ(ev->conn_update.status, 0);
    E2E_CHECK(ev->conn_update.itvl >= itvl_min && ev->conn_update.itvl <= itvl_max);
    E2E_CHECK_EQ(ev->conn_update.latency, latency);
    E2E_CHECK_EQ(ev->conn_update.timeout, timeout);
}

/* param 0: the central asks 50 ms, latency 0, 3 s; param 1: the peripheral
 * asks 75-100 ms, latency 2, 5 s. Both sides report the same values. */
static const struct bh_gap_conn_params upd_central = {40, 40, 0, 300};
static const struct bh_gap_conn_params upd_peripheral = {60, 80, 2, 500};

static void update_side(uint16_t conn, bool asks)
{
    const struct bh_gap_conn_params *p = e2e_param() == 0 ? &upd_central : &upd_peripheral;
    struct bh_ble_event up;
    const struct bh_ble_event *ev = &up;
    char text[E2E_MSG_MAX];
    unsigned itvl, lat, to;

    if (asks) {
        E2E_OK(bh_gap_conn_param_update(conn, p));
    }
    up = *e2e_wait_irq(BH_IRQ_CONNECTION_UPDATE, conn, 5000);
    check_update(ev, p->itvl_min_1250us, p->itvl_max_1250us, p->latency, p->sup_timeout_10ms);
    e2e_send("seen.%s %u %u %u", e2e_role_name(), ev->conn_update.itvl, ev->conn_update.latency,
             ev->conn_update.timeout);
    snprintf(text, sizeof(text), "seen.%s",
             strcmp(e2e_role_name(), "central") == 0 ? "peripheral" : "central");
    e2e_wait(text, text, sizeof(text));
    E2E_CHECK_EQ(sscanf(text, "%u %u %u", &itvl, &lat, &to), 3);
    E2E_CHECK_EQ(itvl, ev->conn_update.itvl);
    E2E_CHECK_EQ(lat, p->latency);
    E2E_CHECK_EQ(to, p->sup_timeout_10ms);
    e2e_barrier("updated");
    /* never spuriously: exactly one IRQ 27 each */
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_CONNECTION_UPDATE), 0);
}

void gap_update_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");

    e2e_wait("up", NULL, 0);
    update_side(conn, e2e_param() == 0);
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, 5000);
}

void gap_update_peripheral(void)
{
    uint16_t conn;

    e2e_advertise();
    conn = e2e_wait_central(NULL);
    e2e_send("up");
    update_side(conn, e2e_param() == 1);
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, 5000);
}

/* ---- supervision timeout (real time) -------------------------------------------------------- */

/* The victim closes its capture (it is about to be SIGKILLed, which would
 * leave half a record) and waits; the survivor has it killed and expects
 * its disconnect after the supervision timeout (2.56 s by default). */
static void sup_victim(void)
{
    bh_posix_snoop_close();
    e2e_send("victim-ready");
    e2e_wait("never", NULL, 0);
}

static void sup_survivor(uint16_t conn, const char *victim, uint8_t irq)
{
    uint32_t t0;
    uint32_t elapsed;

    e2e_wait("victim-ready", NULL, 0);
    t0 = bh_now_ms();
    e2e_kill(victim);
    (void)e2e_wait_irq(irq, conn, 10000);
    elapsed = bh_now_ms() - t0;
    e2e_log("link lost after %u ms", (unsigned)elapsed);
    E2E_CHECK(elapsed >= 2000 && elapsed <= 6000);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PERIPHERAL_DISCONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_CENTRAL_DISCONNECT), 0);
}

void gap_sup_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");

    e2e_wait("up", NULL, 0);
    if (e2e_param() == 0) {
        sup_survivor(conn, "peripheral", BH_IRQ_PERIPHERAL_DISCONNECT);
    } else {
        sup_victim();
    }
}

void gap_sup_peripheral(void)
{
    uint16_t conn;

    e2e_advertise();
    conn = e2e_wait_central(NULL);
    e2e_send("up");
    if (e2e_param() == 1) {
        sup_survivor(conn, "central", BH_IRQ_CENTRAL_DISCONNECT);
    } else {
        sup_victim();
    }
}

/* ---- four links at once ------------------------------------------------------------------------
 */

void gap_four_central(void)
{
    static const char *const names[4] = {"p1", "p2", "p3", "p4"};
    uint16_t conns[4];
    const struct bh_ble_event *ev;
    char want[8];

    for (unsigned i = 0; i < 4; i++) {
        conns[i] = e2e_connect_to(names[i]);
    }
    e2e_send("all-up");
    /* one read on every link at once */
    for (unsigned i = 0; i < 4; i++) {
        E2E_OK(bh_ble_gattc_read(conns[i], SRV_C1));
    }
    for (unsigned i = 0; i < 4; i++) {
        ev = e2e_wait_irq(BH_IRQ_GATTC_READ_RESULT, conns[i], E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->data.len, 2);
        E2E_CHECK_MEM(ev->data.data, names[i], 2);
        ev = e2e_wait_irq(BH_IRQ_GATTC_READ_DONE, conns[i], E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->status.status, 0);
    }
    /* each peripheral notifies its name */
    for (unsigned i = 0; i < 4; i++) {
        snprintf(want, sizeof(want), "n-%s", names[i]);
        ev = e2e_wait_irq(BH_IRQ_GATTC_NOTIFY, conns[i], E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->data.len, 4);
        E2E_CHECK_MEM(ev->data.data, want, 4);
    }
    /* we drop p1 and p2; p3 and p4 drop us */
    E2E_OK(bh_ble_gap_disconnect(conns[0]));
    E2E_OK(bh_ble_gap_disconnect(conns[1]));
    e2e_send("drop");
    for (unsigned i = 0; i < 4; i++) {
        (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conns[i], E2E_WAIT_MS);
    }
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_CENTRAL_DISCONNECT), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PERIPHERAL_DISCONNECT), 0);
}

void gap_four_peripheral(void)
{
    const char *me = e2e_role_name();
    char n[8];
    uint16_t conn;

    srv_register();
    srv_set(SRV_C1, me, 2);
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    e2e_wait("all-up", NULL, 0);
    snprintf(n, sizeof(n), "n-%s", me);
    E2E_OK(bh_ble_gatts_notify_indicate(conn, SRV_C1, BH_GATTS_NOTIFY, (const uint8_t *)n, 4));
    if (strcmp(me, "p3") == 0 || strcmp(me, "p4") == 0) {
        e2e_wait("drop", NULL, 0);
        E2E_OK(bh_ble_gap_disconnect(conn));
    }
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_PERIPHERAL_DISCONNECT), 0);
}

/* ---- deinit with a live link, init again ------------------------------------------------------
 */

/* active(False) while connected disconnects first (the peer sees its IRQ);
 * active(True) again gives a working host (it advertises, connects and
 * serves GATT). Each side does it once. */
void gap_reinit_central(void)
{
    uint16_t conn = e2e_connect_to("peripheral");
    uint8_t v[64];

    e2e_wait("up", NULL, 0);
    e2e_send("deinit");
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
    e2e_wait("again", NULL, 0);
    conn = e2e_connect_to("peripheral");
    (void)cli_read(conn, 3, v, sizeof(v));
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 2);
    E2E_CHECK_MEM(v, "r2", 2);
    E2E_OK(bh_ble_deinit());
    E2E_CHECK(!bh_ble_is_active());
    E2E_CHECK_EQ(bh_ble_gap_disconnect(conn), -ENODEV);
    E2E_OK(bh_ble_init());
    e2e_flush_irqs();
    e2e_barrier("reinit");
}

void gap_reinit_peripheral(void)
{
    uint16_t conn;

    srv_register();
    srv_set(SRV_C1, "r1", 2);
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    e2e_send("up");
    e2e_wait("deinit", NULL, 0);
    E2E_OK(bh_ble_deinit());
    E2E_CHECK(!bh_ble_is_active());
    E2E_OK(bh_ble_deinit()); /* no-op when inactive */
    E2E_OK(bh_ble_init());
    e2e_flush_irqs();
    srv_register();
    srv_set(SRV_C1, "r2", 2);
    e2e_advertise();
    e2e_send("again");
    conn = e2e_wait_central(NULL);
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
    e2e_barrier("reinit");
}

/* ---- scanning
 * ------------------------------------------------------------------------------------ */

static const uint8_t scan_adv[] = {2, 0x01, 0x06, 5, 0x09, 'e', '2', 'e', '!'};
static const uint8_t scan_rsp[] = {3, 0xFF, 0x34, 0x12};

/* Scan for duration_ms; count the peer's reports of each type that carry
 * the expected payload. IRQ 6 ends it. */
static void scan_collect(uint32_t duration_ms, const uint8_t addr[6], unsigned counts[5])
{
    const struct bh_ble_event *ev;

    memset(counts, 0, 5 * sizeof(counts[0]));
    E2E_OK(bh_ble_gap_scan_start((int32_t)duration_ms, 30000, 30000, true));
    (void)e2e_wait_irq(BH_IRQ_SCAN_DONE, E2E_ANY_CONN, duration_ms + 5000);
    while ((ev = e2e_try_irq(BH_IRQ_SCAN_RESULT, E2E_ANY_CONN, 0)) != NULL) {
        if (memcmp(ev->scan.addr, addr, 6) != 0 || ev->scan.adv_type > 4) {
            continue;
        }
        if (ev->scan.adv_type == 4) {
            E2E_CHECK_EQ(ev->scan.len, sizeof(scan_rsp));
            E2E_CHECK_MEM(ev->scan.data, scan_rsp, sizeof(scan_rsp));
        } else {
            E2E_CHECK_EQ(ev->scan.len, sizeof(scan_adv));
            E2E_CHECK_MEM(ev->scan.data, scan_adv, sizeof(scan_adv));
        }
        counts[ev->scan.adv_type]++;
    }
}

void gap_scan_central(void)
{
    uint8_t type, addr[6];
    unsigned counts[5];

    e2e_peer_addr("peripheral", &type, addr);
    /* connectable: ADV_IND (0) and, scanning actively, SCAN_RSP (4) */
    scan_collect(50, addr, counts);
    E2E_CHECK(counts[0] > 0 && counts[4] > 0);
    E2E_CHECK_EQ(counts[2], 0);
    e2e_send("scanned");
    /* non-connectable: ADV_SCAN_IND (2) */
    e2e_wait("nonconn", NULL, 0);
    scan_collect(50, addr, counts);
    E2E_CHECK(counts[2] > 0 && counts[4] > 0);
    E2E_CHECK_EQ(counts[0], 0);
    /* stopping raises IRQ 6 before returning; stopping again is a no-op */
    E2E_OK(bh_ble_gap_scan_start(0, 30000, 30000, false));
    E2E_OK(bh_ble_gap_scan_stop());
    E2E_CHECK(e2e_try_irq(BH_IRQ_SCAN_DONE, E2E_ANY_CONN, 0) != NULL);
    E2E_OK(bh_ble_gap_scan_stop());
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_SCAN_DONE), 0);
}

void gap_scan_peripheral(void)
{
    E2E_OK(
        bh_ble_gap_adv_start(true, 20000, scan_adv, sizeof(scan_adv), scan_rsp, sizeof(scan_rsp)));
    e2e_announce();
    e2e_wait("scanned", NULL, 0);
    /* NULL payloads: the previous ones are kept */
    E2E_OK(bh_ble_gap_adv_start(false, 20000, NULL, 0, NULL, 0));
    e2e_send("nonconn");
}

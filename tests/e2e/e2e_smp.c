/* SPDX-License-Identifier: MIT */
/*
 * e2e_smp.c: pairing through SMP between two hosts (Just Works: both sides
 * keep the default IO capability, no MITM), bonding into each process's
 * in-memory secret store, and a bonded reconnect that encrypts with the
 * stored keys instead of pairing again (no new secret is stored). The
 * peripheral is the GATT server of e2e_gatt.c, driven by its commands.
 *
 * bond_subscriptions (smp_persist_*): subscriptions of a bonded client
 * survive a restart of both hosts (bh_ble_deinit/bh_ble_init in each role
 * process; the in-memory secret store lives in the process, as a file
 * store would across a process restart); after an unpair on the server the
 * client's stale key is refused and pairing happens again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "e2e_roles.h"
#include "host/conn.h"
#include "host/gatts.h"
#include "host/smp.h"

#define srv(...) srv_cmd(NULL, 0, __VA_ARGS__)

static unsigned srv_sets(void)
{
    char res[32];

    srv_cmd(res, sizeof(res), "sets");
    return (unsigned)strtoul(res, NULL, 10);
}

/* IRQ 28 on both sides: encrypted, not authenticated (Just Works), bonded,
 * 16-byte key. */
static void expect_encrypted(uint16_t conn)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_ENCRYPTION_UPDATE, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->enc.encrypted, 1);
    E2E_CHECK_EQ(ev->enc.authenticated, 0);
    E2E_CHECK_EQ(ev->enc.bonded, 1);
    E2E_CHECK_EQ(ev->enc.key_size, 16);
    srv("expect_enc 1 0 1 16");
}

/* The encrypted-read characteristic answers only on an encrypted link. */
static void read_secret(uint16_t conn)
{
    uint8_t v[16];

    E2E_CHECK_EQ(cli_read(conn, SRV_C4, v, sizeof(v)), 6);
    E2E_CHECK_MEM(v, "secret", 6);
}

static uint16_t reconnect(uint16_t conn)
{
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
    srv("disc");
    srv("adv");
    conn = e2e_connect_to("peripheral");
    srv("conn");
    return conn;
}

void smp_central(void)
{
    uint16_t conn;
    unsigned ours, theirs;

    bh_ble_set_bonding(true);
    conn = e2e_connect_to("peripheral");
    srv("bond");
    E2E_CHECK_EQ(cli_read_err(conn, SRV_C4), 0x0F); /* Insufficient Encryption */
    if (e2e_param() == 1) {
        srv("pair"); /* Security Request: we pair */
    } else {
        E2E_OK(bh_ble_gap_pair(conn));
    }
    expect_encrypted(conn);
    read_secret(conn);
    ours = e2e_secret_sets();
    theirs = srv_sets();
    E2E_CHECK(ours > 0);
    E2E_CHECK(theirs > 0);
    if (e2e_param() == 2) {
        /* bonded: we encrypt with the stored LTK, nothing is stored anew */
        conn = reconnect(conn);
        E2E_CHECK_EQ(cli_read_err(conn, SRV_C4), 0x0F);
        E2E_OK(bh_ble_gap_pair(conn));
        expect_encrypted(conn);
        read_secret(conn);
        /* and when the peripheral asks (Security Request) */
        conn = reconnect(conn);
        srv("pair");
        expect_encrypted(conn);
        read_secret(conn);
        E2E_CHECK_EQ(e2e_secret_sets(), ours);
        E2E_CHECK_EQ(srv_sets(), theirs);
    }
    cli_end(conn);
}

/* ---- subscriptions of a bonded client across a restart ----------------------- */

#if BH_CONFIG_SMP

static void persist_expect_enc(uint16_t conn)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_ENCRYPTION_UPDATE, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->enc.encrypted, 1);
    E2E_CHECK_EQ(ev->enc.authenticated, 0);
    E2E_CHECK_EQ(ev->enc.bonded, 1);
    E2E_CHECK_EQ(ev->enc.key_size, 16);
}

static void persist_expect_notify(uint16_t conn, const char *v)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_GATTC_NOTIFY, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->data.handle, SRV_C1);
    E2E_CHECK_EQ(ev->data.len, strlen(v));
    E2E_CHECK_MEM(ev->data.data, v, strlen(v));
}

/* Both hosts restart: deinit, init (the store stays), bonding on again. */
static void persist_restart(void)
{
    E2E_OK(bh_ble_deinit());
    E2E_OK(bh_ble_init());
    e2e_flush_irqs();
    bh_ble_set_bonding(true);
}

void smp_persist_central(void)
{
    uint16_t conn;
    unsigned sets;

    bh_ble_set_bonding(true);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    persist_expect_enc(conn);
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_CCCD, "\x01\x00", 2), 0);
    e2e_send("subscribed");
    persist_expect_notify(conn, "n1");
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);

    /* Restart, reconnect: encryption with the bond, no pairing, and the
     * subscription holds without a CCCD write. */
    persist_restart();
    sets = e2e_secret_sets();
    e2e_wait("again", NULL, 0);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    persist_expect_enc(conn);
    E2E_CHECK_EQ(bh_smp_stats()->reencryptions, 1);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 0);
    E2E_CHECK_EQ(bh_smp_stats()->rx_pdus, 0);
    persist_expect_notify(conn, "n2");
    E2E_CHECK_EQ(e2e_secret_sets(), sets);
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);

    /* The server unpaired us. Our LE Enable Encryption with the old LTK is
     * refused (LTK Request Negative Reply: Encryption Change status 0x06,
     * PIN or Key Missing), so we pair again and the new bond replaces ours
     * (IRQ 28 once, bonded). The old subscription is gone. */
    e2e_wait("unpaired", NULL, 0);
    conn = e2e_connect_to("peripheral");
    E2E_OK(bh_ble_gap_pair(conn));
    persist_expect_enc(conn);
    E2E_CHECK_EQ(bh_smp_stats()->reencryptions, 1);
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 1);
    E2E_CHECK(e2e_secret_sets() > sets);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_ENCRYPTION_UPDATE), 0);
    e2e_send("repaired");
    e2e_wait("checked", NULL, 0);
    /* A notification sent before our read would arrive before its response. */
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, (uint8_t[8]){0}, 8), 2);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_NOTIFY), 0);
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
}

static void persist_server_up(void)
{
    srv_register();
    srv_set(SRV_C1, "hello", 5);
    e2e_advertise();
}

void smp_persist_peripheral(void)
{
    const struct bh_ble_event *ev;
    struct bh_conn *c;
    uint16_t conn;
    uint8_t central_type, central[6];
    unsigned sets;

    bh_ble_set_bonding(true);
    persist_server_up();
    ev = e2e_wait_irq(BH_IRQ_CENTRAL_CONNECT, E2E_ANY_CONN, E2E_WAIT_MS);
    conn = ev->conn;
    central_type = ev->connect.addr_type;
    memcpy(central, ev->connect.addr, 6);
    persist_expect_enc(conn);
    e2e_wait("subscribed", NULL, 0);
    E2E_OK(bh_ble_gatts_write(SRV_C1, (const uint8_t *)"n1", 2, true));
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);

    persist_restart();
    sets = e2e_secret_sets();
    persist_server_up();
    e2e_send("again");
    conn = e2e_wait_central(NULL);
    c = bh_conn_lookup(conn);
    E2E_CHECK(c != NULL);
    E2E_CHECK_EQ(bh_gatts_cccd(c, SRV_C1_CCCD), 0); /* not identified yet */
    persist_expect_enc(conn);
    E2E_CHECK_EQ(bh_gatts_cccd(c, SRV_C1_CCCD), 1); /* restored at encryption */
    E2E_CHECK_EQ(bh_gatts_stats()->cccd_restored, 1);
    E2E_CHECK_EQ(bh_smp_stats()->rx_pdus, 0); /* no Pairing Request */
    E2E_CHECK_EQ(bh_smp_stats()->reencryptions, 1);
    E2E_OK(bh_ble_gatts_write(SRV_C1, (const uint8_t *)"n2", 2, true));
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(e2e_secret_sets(), sets);

    /* Unpair the central (its identity: IRQ 1's address), then let it in. */
    E2E_OK(bh_ble_gap_unpair(central_type, central));
    E2E_CHECK_EQ(bh_ble_gap_unpair(central_type, central), -ENOENT);
    e2e_advertise();
    e2e_send("unpaired");
    conn = e2e_wait_central(NULL);
    c = bh_conn_lookup(conn);
    persist_expect_enc(conn);
    E2E_CHECK(bh_smp_stats()->rx_pdus > 0); /* it paired again */
    E2E_CHECK_EQ(bh_smp_stats()->pairings_ok, 1);
    E2E_CHECK_EQ(bh_smp_stats()->reencryptions, 1);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_ENCRYPTION_UPDATE), 0);
    e2e_wait("repaired", NULL, 0);
    E2E_CHECK(c != NULL);
    E2E_CHECK_EQ(bh_gatts_cccd(c, SRV_C1_CCCD), 0);
    E2E_OK(bh_ble_gatts_write(SRV_C1, (const uint8_t *)"n3", 2, true));
    e2e_send("checked");
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
}

#else /* the scenario is not registered without SMP (tests/e2e/CMakeLists.txt) */

void smp_persist_central(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

void smp_persist_peripheral(void)
{
    e2e_fail(__FILE__, __LINE__, "built without SMP");
}

#endif /* BH_CONFIG_SMP */

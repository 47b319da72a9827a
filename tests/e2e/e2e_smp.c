/* SPDX-License-Identifier: MIT */
/*
 * e2e_smp.c: pairing through SMP between two hosts (Just Works: both sides
 * keep the default IO capability, no MITM), bonding into each process's
 * in-memory secret store, and a bonded reconnect that encrypts with the
 * stored keys instead of pairing again (no new secret is stored). The
 * peripheral is the GATT server of e2e_gatt.c, driven by its commands.
 */
#include <stdio.h>
#include <stdlib.h>

#include "e2e_roles.h"

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

/* SPDX-License-Identifier: MIT */
/*
 * e2e_gatt.c: the GATT scenarios. The server role (gatt_server) registers
 * the test database, advertises, accepts one central and then executes the
 * commands the client sends it ("srv <command> ...", answered "srv.ok"), so
 * each client function reads as the whole scenario. Values in commands are
 * "s:text", "x:hex" or "p:len:seed" (pattern()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "blehost/bh_os.h"
#include "e2e_roles.h"
#include "host/conn.h"
#include "host/gap.h"
#include "host/gap_spec.h"
#include "host/gattc.h"

const uint8_t srv_uuid_a[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
const uint8_t srv_uuid_c1[16] = {0x11, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
const uint8_t srv_uuid_c3[16] = {0x13, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

#define PROPS_C1 0x3A /* read, write, notify, indicate */
#define PROPS_C2 0x0E /* read, write without response, write */
#define PROPS_C3 0x08 /* write */
#define PROPS_C4 0x02 /* read */

void pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(i * 7 + seed);
    }
}

/* ---- the server ------------------------------------------------------------------ */

void srv_register(void)
{
    struct bh_uuid a = e2e_uuid128(srv_uuid_a), c1 = e2e_uuid128(srv_uuid_c1);
    struct bh_uuid c2 = e2e_uuid16(SRV_UUID_C2), c3 = e2e_uuid128(srv_uuid_c3);
    struct bh_uuid b = e2e_uuid16(SRV_UUID_B), c4 = e2e_uuid16(SRV_UUID_C4);
    struct bh_uuid user = e2e_uuid16(0x2901);
    const struct bh_uuid *chrs_a[3] = {&c1, &c2, &c3}, *dscs_a[1] = {&user}, *chrs_b[1] = {&c4};
    const uint16_t flags_a[3] = {BH_FLAG_READ | BH_FLAG_WRITE | BH_FLAG_NOTIFY | BH_FLAG_INDICATE,
                                 BH_FLAG_READ | BH_FLAG_WRITE_NO_RESPONSE | BH_FLAG_WRITE,
                                 BH_FLAG_WRITE};
    const uint16_t dflags_a[1] = {BH_FLAG_READ};
    const uint16_t flags_b[1] = {BH_FLAG_READ | BH_FLAG_READ_ENCRYPTED};
    const uint8_t ndsc_a[3] = {1, 0, 0}, ndsc_b[1] = {0};
    uint16_t ha[4] = {0}, hb[1] = {0};

    E2E_OK(bh_ble_gatts_register_begin(false));
    E2E_OK(bh_ble_gatts_register_service(&a, chrs_a, flags_a, dscs_a, dflags_a, ndsc_a, ha, 3));
    E2E_OK(bh_ble_gatts_register_service(&b, chrs_b, flags_b, NULL, NULL, ndsc_b, hb, 1));
    E2E_OK(bh_ble_gatts_register_end());
    E2E_CHECK_EQ(ha[0], SRV_C1);
    E2E_CHECK_EQ(ha[1], SRV_C1_USER);
    E2E_CHECK_EQ(ha[2], SRV_C2);
    E2E_CHECK_EQ(ha[3], SRV_C3);
    E2E_CHECK_EQ(hb[0], SRV_C4);
}

void srv_set(uint16_t handle, const void *v, size_t len)
{
    E2E_OK(bh_ble_gatts_set_buffer(handle, 512, false));
    E2E_OK(bh_ble_gatts_write(handle, v, len, false));
}

static size_t parse_val(const char *spec, uint8_t *out, size_t cap)
{
    unsigned len, seed;
    size_t n = 0;

    if (spec[0] == 's' && spec[1] == ':') {
        n = strlen(spec + 2);
        E2E_CHECK(n <= cap);
        memcpy(out, spec + 2, n);
    } else if (spec[0] == 'x' && spec[1] == ':') {
        for (const char *p = spec + 2; p[0] != '\0' && p[1] != '\0'; p += 2) {
            unsigned byte;

            E2E_CHECK(n < cap && sscanf(p, "%2x", &byte) == 1);
            out[n++] = (uint8_t)byte;
        }
    } else if (sscanf(spec, "p:%u:%u", &len, &seed) == 2) {
        E2E_CHECK(len <= cap);
        pattern(out, len, (uint8_t)seed);
        n = len;
    } else {
        e2e_fail(__FILE__, __LINE__, "bad value spec '%s'", spec);
    }
    return n;
}

static void srv_expect_value(uint16_t handle, const char *spec)
{
    uint8_t want[600];
    size_t n = parse_val(spec, want, sizeof(want)), len;
    const uint8_t *v;

    E2E_OK(bh_ble_gatts_read(handle, &v, &len));
    E2E_CHECK_EQ(len, n);
    E2E_CHECK_MEM(v, want, n);
}

static void srv_notify(uint16_t conn, unsigned h, int op, const char *spec)
{
    uint8_t v[600];
    size_t n;

    if (spec == NULL) {
        E2E_OK(bh_ble_gatts_notify_indicate(conn, (uint16_t)h, op, NULL, 0));
    } else {
        n = parse_val(spec, v, sizeof(v));
        E2E_OK(bh_ble_gatts_notify_indicate(conn, (uint16_t)h, op, v, n));
    }
    if (op == BH_GATTS_INDICATE) {
        const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_GATTS_INDICATE_DONE, conn, E2E_WAIT_MS);

        E2E_CHECK_EQ(ev->status.handle, h);
        E2E_CHECK_EQ(ev->status.status, 0);
    }
}

/* n notifications of len bytes, the i-th pattern(len, i). Out of transmit
 * buffers (-ENOMEM), the host runs until one is free again. */
static void srv_stream(uint16_t conn, uint16_t h, unsigned n, size_t len)
{
    static const volatile bool never;
    uint8_t v[600];
    unsigned waits = 0;

    E2E_CHECK(len <= sizeof(v));
    for (unsigned i = 0; i < n; i++) {
        int err;

        pattern(v, len, (uint8_t)i);
        while ((err = bh_ble_gatts_notify_indicate(conn, h, BH_GATTS_NOTIFY, v, len)) == -ENOMEM) {
            (void)bh_run_until(&never, 2);
            E2E_CHECK(++waits < 5000);
        }
        E2E_OK(err);
    }
    e2e_log("stream: %u notifications, %u waits for a buffer", n, waits);
}

/* n value updates in a row to a subscribed client: the first goes out at
 * once, the others coalesce into one queued indication that carries the
 * latest value (as NimBLE): two confirmations (IRQ 20), no more. */
static void srv_update_burst(uint16_t conn, uint16_t h, unsigned n)
{
    char v[16];
    const struct bh_ble_event *ev;

    for (unsigned i = 0; i < n; i++) {
        snprintf(v, sizeof(v), "v%u", i);
        E2E_OK(bh_ble_gatts_write(h, (const uint8_t *)v, strlen(v), true));
    }
    for (unsigned i = 0; i < 2; i++) {
        ev = e2e_wait_irq(BH_IRQ_GATTS_INDICATE_DONE, conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->status.handle, h);
        E2E_CHECK_EQ(ev->status.status, 0);
    }
}

/* Commands about values and events. Returns false if cmd is not one. */
static bool srv_cmd_gatt(uint16_t conn, const char *cmd, const char *a1, const char *a2,
                         const char *a3)
{
    unsigned h = (unsigned)strtoul(a1, NULL, 0);
    const struct bh_ble_event *ev;
    uint8_t v[600];

    if (strcmp(cmd, "notify") == 0 || strcmp(cmd, "indicate") == 0) {
        srv_notify(conn, h, cmd[0] == 'n' ? BH_GATTS_NOTIFY : BH_GATTS_INDICATE, a2);
    } else if (strcmp(cmd, "notify_stored") == 0) {
        srv_notify(conn, h, BH_GATTS_NOTIFY, NULL);
    } else if (strcmp(cmd, "burst") == 0) {
        for (unsigned i = 0; i < (unsigned)atoi(a2); i++) {
            char s[16];

            snprintf(s, sizeof(s), "s:b%u", i);
            srv_notify(conn, h, BH_GATTS_NOTIFY, s);
        }
    } else if (strcmp(cmd, "write") == 0) {
        size_t n = parse_val(a2, v, sizeof(v));

        E2E_OK(bh_ble_gatts_write((uint16_t)h, v, n, atoi(a3) != 0));
    } else if (strcmp(cmd, "expect_write") == 0) {
        ev = e2e_wait_irq(BH_IRQ_GATTS_WRITE, conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->gatts.handle, h);
        srv_expect_value((uint16_t)h, a2);
    } else if (strcmp(cmd, "expect_value") == 0) {
        srv_expect_value((uint16_t)h, a2);
    } else if (strcmp(cmd, "expect_read") == 0) {
        ev = e2e_wait_irq(BH_IRQ_GATTS_READ_REQUEST, conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->gatts.handle, h);
    } else if (strcmp(cmd, "expect_ind_done") == 0) {
        ev = e2e_wait_irq(BH_IRQ_GATTS_INDICATE_DONE, conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->status.handle, h);
        E2E_CHECK_EQ(ev->status.status, 0);
    } else if (strcmp(cmd, "no_irq") == 0) {
        E2E_CHECK_EQ(e2e_pending_irq((uint8_t)h), 0);
    } else if (strcmp(cmd, "stream") == 0) {
        srv_stream(conn, (uint16_t)h, (unsigned)atoi(a2), (size_t)atoi(a3));
    } else if (strcmp(cmd, "update_burst") == 0) {
        srv_update_burst(conn, (uint16_t)h, (unsigned)atoi(a2));
    } else if (strcmp(cmd, "reregister") == 0) {
        srv_register();
    } else if (strcmp(cmd, "rc") == 0) {
        e2e_set_read_req_rc((int)h);
    } else {
        return false;
    }
    return true;
}

/* Commands about the link: MTU, name, advertising, pairing. */
static bool srv_cmd_link(uint16_t *conn, const char *cmd, const char *a1, const char *a2,
                         const char *a3, const char *a4, char *res)
{
    unsigned n = (unsigned)strtoul(a1, NULL, 0);
    const struct bh_ble_event *ev;
    uint8_t v[64];

    if (strcmp(cmd, "mtu") == 0) {
        E2E_OK(bh_ble_set_preferred_mtu((uint16_t)n));
    } else if (strcmp(cmd, "exchange") == 0) {
        E2E_OK(bh_ble_gattc_exchange_mtu(*conn));
    } else if (strcmp(cmd, "expect_mtu") == 0) {
        ev = e2e_wait_irq(BH_IRQ_MTU_EXCHANGED, *conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->mtu.mtu, n);
    } else if (strcmp(cmd, "name") == 0) {
        size_t len = parse_val(a1, v, sizeof(v));

        E2E_OK(bh_ble_gap_set_name(v, len));
    } else if (strcmp(cmd, "adv") == 0) {
        e2e_advertise();
    } else if (strcmp(cmd, "conn") == 0) {
        *conn = e2e_wait_central(NULL);
    } else if (strcmp(cmd, "disc") == 0) {
        (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, *conn, E2E_WAIT_MS);
    } else if (strcmp(cmd, "bond") == 0) {
        bh_ble_set_bonding(true);
    } else if (strcmp(cmd, "pair") == 0) {
        E2E_OK(bh_ble_gap_pair(*conn));
    } else if (strcmp(cmd, "expect_enc") == 0) {
        ev = e2e_wait_irq(BH_IRQ_ENCRYPTION_UPDATE, *conn, E2E_WAIT_MS);
        E2E_CHECK_EQ(ev->enc.encrypted, n);
        E2E_CHECK_EQ(ev->enc.authenticated, atoi(a2));
        E2E_CHECK_EQ(ev->enc.bonded, atoi(a3));
        E2E_CHECK_EQ(ev->enc.key_size, atoi(a4));
    } else if (strcmp(cmd, "sets") == 0) {
        snprintf(res, 32, " %u", e2e_secret_sets());
    } else {
        return false;
    }
    return true;
}

void gatt_server(void)
{
    uint16_t conn;

    srv_register();
    srv_set(SRV_C1, "hello", 5);
    srv_set(SRV_C2, "c2", 2);
    srv_set(SRV_C4, "secret", 6);
    e2e_advertise();
    conn = e2e_wait_central(NULL);
    for (;;) {
        char line[E2E_MSG_MAX], cmd[32] = "", a[4][E2E_MSG_MAX] = {"", "", "", ""}, res[32] = "";

        e2e_wait("srv", line, sizeof(line));
        if (sscanf(line, "%31s %255s %255s %255s %255s", cmd, a[0], a[1], a[2], a[3]) < 1) {
            e2e_fail(__FILE__, __LINE__, "empty command");
        }
        if (strcmp(cmd, "end") == 0) {
            e2e_send("srv.ok");
            break;
        }
        if (!srv_cmd_gatt(conn, cmd, a[0], a[1], a[2]) &&
            !srv_cmd_link(&conn, cmd, a[0], a[1], a[2], a[3], res)) {
            e2e_fail(__FILE__, __LINE__, "unknown command '%s'", cmd);
        }
        e2e_send("srv.ok%s", res);
    }
    (void)e2e_wait_irq(BH_IRQ_CENTRAL_DISCONNECT, conn, E2E_WAIT_MS);
}

/* ---- client helpers ------------------------------------------------------------------- */

/* Run one server command; the result text (after "srv.ok") into res. */
void srv_cmd(char *res, size_t cap, const char *fmt, ...)
{
    va_list ap;
    char buf[E2E_MSG_MAX - 8];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    e2e_send("srv %s", buf);
    e2e_wait("srv.ok", res, cap);
}

#define srv(...) srv_cmd(NULL, 0, __VA_ARGS__)

size_t cli_read(uint16_t conn, uint16_t handle, uint8_t *out, size_t cap)
{
    const struct bh_ble_event *ev;
    size_t n;

    E2E_OK(bh_ble_gattc_read(conn, handle));
    ev = e2e_wait_irq(BH_IRQ_GATTC_READ_RESULT, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->data.handle, handle);
    n = ev->data.len;
    E2E_CHECK(n <= cap);
    memcpy(out, ev->data.data, n);
    ev = e2e_wait_irq(BH_IRQ_GATTC_READ_DONE, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->status.handle, handle);
    E2E_CHECK_EQ(ev->status.status, 0);
    return n;
}

uint16_t cli_read_err(uint16_t conn, uint16_t handle)
{
    const struct bh_ble_event *ev;

    E2E_OK(bh_ble_gattc_read(conn, handle));
    ev = e2e_wait_irq(BH_IRQ_GATTC_READ_DONE, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->status.handle, handle);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_READ_RESULT), 0);
    return ev->status.status;
}

uint16_t cli_write(uint16_t conn, uint16_t handle, const void *v, size_t len)
{
    const struct bh_ble_event *ev;

    E2E_OK(bh_ble_gattc_write(conn, handle, v, len, BH_GATTC_WRITE_RSP));
    ev = e2e_wait_irq(BH_IRQ_GATTC_WRITE_DONE, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->status.handle, handle);
    return ev->status.status;
}

/* A long read through src/host/gattc.h: the parts concatenated. */
static size_t cli_read_long(uint16_t conn, uint16_t handle, uint8_t *out, size_t cap,
                            size_t part_max)
{
    const struct bh_ble_event *ev;
    size_t n = 0;

    E2E_OK(bh_gattc_read_long(bh_conn_lookup(conn), handle));
    ev = e2e_wait_irq(BH_IRQ_GATTC_READ_DONE, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->status.handle, handle);
    E2E_CHECK_EQ(ev->status.status, 0);
    while ((ev = e2e_try_irq(BH_IRQ_GATTC_READ_RESULT, conn, 0)) != NULL) {
        E2E_CHECK_EQ(ev->data.handle, handle);
        E2E_CHECK(ev->data.len <= part_max);
        E2E_CHECK(n + ev->data.len <= cap);
        memcpy(out + n, ev->data.data, ev->data.len);
        n += ev->data.len;
    }
    return n;
}

static void cli_expect_notify(uint16_t conn, uint8_t irq, uint16_t handle, const void *v,
                              size_t len)
{
    const struct bh_ble_event *ev = e2e_wait_irq(irq, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->data.handle, handle);
    E2E_CHECK_EQ(ev->data.len, len);
    E2E_CHECK_MEM(ev->data.data, v, len);
}

void cli_end(uint16_t conn)
{
    srv("end");
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
}

/* ---- discovery ---------------------------------------------------------------------------- */

/* Wait for the done event (status 0), then take the results before it. */
static unsigned collect(uint16_t conn, uint8_t irq, uint8_t done, struct bh_ble_event *out,
                        unsigned max)
{
    const struct bh_ble_event *ev = e2e_wait_irq(done, conn, E2E_WAIT_MS);
    unsigned n = 0;

    E2E_CHECK_EQ(ev->done.status, 0);
    while ((ev = e2e_try_irq(irq, conn, 0)) != NULL) {
        E2E_CHECK(n < max);
        out[n++] = *ev;
    }
    return n;
}

static void check_svc(const struct bh_ble_event *ev, uint16_t start, uint16_t end,
                      struct bh_uuid uuid)
{
    E2E_CHECK_EQ(ev->service.start, start);
    E2E_CHECK_EQ(ev->service.end, end);
    E2E_CHECK(e2e_uuid_eq(&ev->service.uuid, &uuid));
}

static void check_chr(const struct bh_ble_event *ev, uint16_t value, uint16_t end, uint8_t props,
                      struct bh_uuid uuid)
{
    E2E_CHECK_EQ(ev->chr.value_handle, value);
    E2E_CHECK_EQ(ev->chr.end_handle, end);
    E2E_CHECK_EQ(ev->chr.properties, props);
    E2E_CHECK(e2e_uuid_eq(&ev->chr.uuid, &uuid));
}

static void discover_services(uint16_t conn)
{
    struct bh_ble_event r[8];
    struct bh_uuid a = e2e_uuid128(srv_uuid_a), b = e2e_uuid16(SRV_UUID_B);

    E2E_OK(bh_ble_gattc_discover_services(conn, NULL));
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_SERVICE_RESULT, BH_IRQ_GATTC_SERVICE_DONE, r, 8), 4);
    check_svc(&r[0], 1, 5, e2e_uuid16(0x1800));
    check_svc(&r[1], 6, 9, e2e_uuid16(0x1801));
    check_svc(&r[2], SRV_A_DECL, SRV_C3, a);
    check_svc(&r[3], SRV_B_DECL, SRV_LAST, b);

    E2E_OK(bh_ble_gattc_discover_services(conn, &a));
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_SERVICE_RESULT, BH_IRQ_GATTC_SERVICE_DONE, r, 8), 1);
    check_svc(&r[0], SRV_A_DECL, SRV_C3, a);
    E2E_OK(bh_ble_gattc_discover_services(conn, &b));
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_SERVICE_RESULT, BH_IRQ_GATTC_SERVICE_DONE, r, 8), 1);
    check_svc(&r[0], SRV_B_DECL, SRV_LAST, b);
}

static void discover_chrs(uint16_t conn)
{
    struct bh_ble_event r[8];
    struct bh_uuid c2 = e2e_uuid16(SRV_UUID_C2);

    E2E_OK(bh_ble_gattc_discover_characteristics(conn, SRV_A_DECL, SRV_C3, NULL));
    E2E_CHECK_EQ(
        collect(conn, BH_IRQ_GATTC_CHARACTERISTIC_RESULT, BH_IRQ_GATTC_CHARACTERISTIC_DONE, r, 8),
        3);
    check_chr(&r[0], SRV_C1, SRV_C1_USER, PROPS_C1, e2e_uuid128(srv_uuid_c1));
    check_chr(&r[1], SRV_C2, SRV_C2, PROPS_C2, c2);
    check_chr(&r[2], SRV_C3, SRV_C3, PROPS_C3, e2e_uuid128(srv_uuid_c3));

    E2E_OK(bh_ble_gattc_discover_characteristics(conn, SRV_B_DECL, SRV_LAST, NULL));
    E2E_CHECK_EQ(
        collect(conn, BH_IRQ_GATTC_CHARACTERISTIC_RESULT, BH_IRQ_GATTC_CHARACTERISTIC_DONE, r, 8),
        1);
    check_chr(&r[0], SRV_C4, SRV_LAST, PROPS_C4, e2e_uuid16(SRV_UUID_C4));

    /* GAP: Device Name and Appearance; GATT: Service Changed (indicate) */
    E2E_OK(bh_ble_gattc_discover_characteristics(conn, 1, 5, NULL));
    E2E_CHECK_EQ(
        collect(conn, BH_IRQ_GATTC_CHARACTERISTIC_RESULT, BH_IRQ_GATTC_CHARACTERISTIC_DONE, r, 8),
        2);
    check_chr(&r[0], 3, 3, 0x0A, e2e_uuid16(0x2A00)); /* the name is writable */
    check_chr(&r[1], 5, 5, 0x02, e2e_uuid16(0x2A01));
    E2E_OK(bh_ble_gattc_discover_characteristics(conn, 6, 9, NULL));
    E2E_CHECK_EQ(
        collect(conn, BH_IRQ_GATTC_CHARACTERISTIC_RESULT, BH_IRQ_GATTC_CHARACTERISTIC_DONE, r, 8),
        1);
    check_chr(&r[0], 8, 9, 0x20, e2e_uuid16(0x2A05));

    /* by UUID: only c2, with its end handle */
    E2E_OK(bh_ble_gattc_discover_characteristics(conn, 1, 0xFFFF, &c2));
    E2E_CHECK_EQ(
        collect(conn, BH_IRQ_GATTC_CHARACTERISTIC_RESULT, BH_IRQ_GATTC_CHARACTERISTIC_DONE, r, 8),
        1);
    check_chr(&r[0], SRV_C2, SRV_C2, PROPS_C2, c2);
}

static void discover_dscs(uint16_t conn)
{
    struct bh_ble_event r[8];
    struct bh_uuid cccd = e2e_uuid16(0x2902), user = e2e_uuid16(0x2901);

    E2E_OK(bh_ble_gattc_discover_descriptors(conn, SRV_C1, SRV_C1_USER));
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_DESCRIPTOR_RESULT, BH_IRQ_GATTC_DESCRIPTOR_DONE, r, 8),
                 2);
    E2E_CHECK_EQ(r[0].dsc.handle, SRV_C1_CCCD);
    E2E_CHECK(e2e_uuid_eq(&r[0].dsc.uuid, &cccd));
    E2E_CHECK_EQ(r[1].dsc.handle, SRV_C1_USER);
    E2E_CHECK(e2e_uuid_eq(&r[1].dsc.uuid, &user));

    E2E_OK(bh_ble_gattc_discover_descriptors(conn, 8, 9));
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_DESCRIPTOR_RESULT, BH_IRQ_GATTC_DESCRIPTOR_DONE, r, 8),
                 1);
    E2E_CHECK_EQ(r[0].dsc.handle, 9);
    E2E_CHECK(e2e_uuid_eq(&r[0].dsc.uuid, &cccd));

    /* a characteristic without descriptors: only the done event */
    E2E_OK(bh_ble_gattc_discover_descriptors(conn, SRV_C2, SRV_C2));
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_DESCRIPTOR_RESULT, BH_IRQ_GATTC_DESCRIPTOR_DONE, r, 8),
                 0);
}

/* After connecting, the host asked for the longest data length and 2M PHY
 * (both controllers support them): long done by now, several round trips
 * later, and visible through the C API. */
static void link_info_check(uint16_t conn)
{
    struct bh_gap_link_info info;

    E2E_OK(bh_gap_link_info(conn, &info));
    E2E_CHECK_EQ(info.tx_octets, 251);
    E2E_CHECK_EQ(info.rx_octets, 251);
    E2E_CHECK_EQ(info.tx_phy, BH_GAP_PHY_2M);
    E2E_CHECK_EQ(info.rx_phy, BH_GAP_PHY_2M);
}

void gatt_discover_client(void)
{
    uint16_t conn = e2e_connect_to("server");

    discover_services(conn);
    discover_chrs(conn);
    discover_dscs(conn);
    link_info_check(conn);
    cli_end(conn);
}

/* ---- read, write, notify, indicate ------------------------------------------------------------
 */

void gatt_rw_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    uint8_t v[64];

    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 5);
    E2E_CHECK_MEM(v, "hello", 5);
    srv("expect_read %u", SRV_C1);
    /* the read-request hook's return value is the ATT error */
    srv("rc 128");
    E2E_CHECK_EQ(cli_read_err(conn, SRV_C2), 0x80);
    srv("expect_read %u", SRV_C2);
    srv("rc 0");

    E2E_CHECK_EQ(cli_write(conn, SRV_C1, "world!", 6), 0);
    srv("expect_write %u s:world!", SRV_C1);
    E2E_OK(bh_ble_gattc_write(conn, SRV_C2, (const uint8_t *)"abc", 3, BH_GATTC_WRITE_NO_RSP));
    srv("expect_write %u s:abc", SRV_C2);
    E2E_CHECK_EQ(cli_read(conn, SRV_C2, v, sizeof(v)), 3);
    E2E_CHECK_MEM(v, "abc", 3);

    E2E_CHECK_EQ(cli_read_err(conn, SRV_C3), 0x02);           /* Read Not Permitted */
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_USER, "x", 1), 0x03); /* Write Not Permitted */
    E2E_CHECK_EQ(cli_read_err(conn, 0x0100), 0x01);           /* Invalid Handle */
    E2E_CHECK_EQ(cli_write(conn, SRV_C3, "w3", 2), 0);
    srv("expect_write %u s:w3", SRV_C3);
    srv("no_irq %u", BH_IRQ_GATTS_WRITE);
    cli_end(conn);
}

void gatt_notify_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    char s[8];

    /* gatts_notify/indicate send whatever the CCCD says (none written) */
    srv("notify %u s:n1", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_NOTIFY, SRV_C1, "n1", 2);
    srv("notify_stored %u", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_NOTIFY, SRV_C1, "hello", 5);
    /* the server waits for IRQ 20 (status 0) inside the command */
    srv("indicate %u s:i1", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, SRV_C1, "i1", 2);
    srv("indicate %u s:i2", SRV_C2);
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, SRV_C2, "i2", 2);
    srv("burst %u 10", SRV_C1);
    for (unsigned i = 0; i < 10; i++) {
        snprintf(s, sizeof(s), "b%u", i);
        cli_expect_notify(conn, BH_IRQ_GATTC_NOTIFY, SRV_C1, s, strlen(s));
    }
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_NOTIFY), 0);
    cli_end(conn);
}

void gatt_subscribe_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    uint8_t v[8];

    /* notifications: a CCCD write never raises IRQ 3 */
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_CCCD, "\x01\x00", 2), 0);
    srv("no_irq %u", BH_IRQ_GATTS_WRITE);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1_CCCD, v, sizeof(v)), 2);
    E2E_CHECK_MEM(v, "\x01\x00", 2);
    srv("write %u s:u1 1", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_NOTIFY, SRV_C1, "u1", 2);

    /* indications: IRQ 20 on the server */
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_CCCD, "\x02\x00", 2), 0);
    srv("write %u s:u2 1", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, SRV_C1, "u2", 2);
    srv("expect_ind_done %u", SRV_C1);

    /* send_update false sends nothing; neither does an unsubscribed CCCD.
     * Anything sent would arrive before the read response. */
    srv("write %u s:u3 0", SRV_C1);
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_CCCD, "\x00\x00", 2), 0);
    srv("write %u s:u4 1", SRV_C1);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 2);
    E2E_CHECK_MEM(v, "u4", 2);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_NOTIFY), 0);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_INDICATE), 0);
    srv("no_irq %u", BH_IRQ_GATTS_WRITE);
    srv("no_irq %u", BH_IRQ_GATTS_INDICATE_DONE);

    /* updates in a row: the first value, then the latest, nothing else
     * (a read after the burst is answered after any indication) */
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_CCCD, "\x02\x00", 2), 0);
    srv("update_burst %u 4", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, SRV_C1, "v0", 2);
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, SRV_C1, "v3", 2);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 2);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_INDICATE), 0);
    srv("no_irq %u", BH_IRQ_GATTS_INDICATE_DONE);
    cli_end(conn);
}

/* ---- MTU
 * ------------------------------------------------------------------------------------------ */

void gatt_mtu_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    const struct bh_ble_event *ev;
    uint8_t v[200], p[200];

    E2E_OK(bh_ble_set_preferred_mtu(200));
    srv("mtu 158");
    if (e2e_param() == 0) {
        E2E_OK(bh_ble_gattc_exchange_mtu(conn));
    } else {
        srv("exchange");
    }
    ev = e2e_wait_irq(BH_IRQ_MTU_EXCHANGED, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->mtu.mtu, 158);
    srv("expect_mtu 158");
    if (e2e_param() == 0) {
        E2E_CHECK_EQ(bh_ble_gattc_exchange_mtu(conn), -EALREADY);
    }

    /* notifications and indications are cut at ATT_MTU-3 */
    pattern(p, sizeof(p), 3);
    srv("notify %u p:200:3", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_NOTIFY, SRV_C1, p, 155);
    srv("indicate %u p:200:3", SRV_C1);
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, SRV_C1, p, 155);
    /* writes too, by the client, as MicroPython */
    pattern(v, sizeof(v), 4);
    E2E_CHECK_EQ(cli_write(conn, SRV_C1, v, sizeof(v)), 0);
    srv("expect_write %u p:155:4", SRV_C1);
    pattern(v, sizeof(v), 5);
    E2E_OK(bh_ble_gattc_write(conn, SRV_C2, v, sizeof(v), BH_GATTC_WRITE_NO_RSP));
    srv("expect_write %u p:155:5", SRV_C2);
    /* a read returns up to ATT_MTU-1 */
    srv("write %u p:200:6 0", SRV_C2);
    pattern(p, sizeof(p), 6);
    E2E_CHECK_EQ(cli_read(conn, SRV_C2, v, sizeof(v)), 157);
    E2E_CHECK_MEM(v, p, 157);
    cli_end(conn);
}

/* Many full-size notifications after a large MTU exchange: none is lost,
 * none is out of order, whatever the buffer pools and the links do. */
void gatt_stream_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    uint8_t p[244];

    E2E_OK(bh_ble_set_preferred_mtu(247));
    srv("mtu 247");
    E2E_OK(bh_ble_gattc_exchange_mtu(conn));
    E2E_CHECK_EQ(e2e_wait_irq(BH_IRQ_MTU_EXCHANGED, conn, E2E_WAIT_MS)->mtu.mtu, 247);
    srv("stream %u 200 244", SRV_C1);
    for (unsigned i = 0; i < 200; i++) {
        pattern(p, sizeof(p), (uint8_t)i);
        cli_expect_notify(conn, BH_IRQ_GATTC_NOTIFY, SRV_C1, p, sizeof(p));
    }
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_NOTIFY), 0);
    cli_end(conn);
}

/* ---- long reads and writes
 * ------------------------------------------------------------------------ */

static void long_read_check(uint16_t conn, size_t len, uint8_t seed, size_t part_max)
{
    uint8_t v[600], p[600];

    srv("write %u p:%zu:%u 0", SRV_C1, len, seed);
    pattern(p, len, seed);
    E2E_CHECK_EQ(cli_read_long(conn, SRV_C1, v, sizeof(v), part_max), len);
    E2E_CHECK_MEM(v, p, len);
}

void gatt_long_read_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    const struct bh_ble_event *ev;
    uint8_t v[64], p[64];

    long_read_check(conn, 300, 1, 22);
    long_read_check(conn, 512, 2, 22);
    /* (A value of a multiple of ATT_MTU-1 ends on an empty Read Blob Response,
     * which is right (Vol 3 Part F 3.4.4.6) but which tshark 4.0 calls
     * malformed; tests/host covers it.) */
    long_read_check(conn, 5, 4, 22);
    /* a plain read gets the first ATT_MTU-1 bytes */
    srv("write %u p:300:7 0", SRV_C1);
    pattern(p, 22, 7);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 22);
    E2E_CHECK_MEM(v, p, 22);

    E2E_OK(bh_ble_set_preferred_mtu(100));
    E2E_OK(bh_ble_gattc_exchange_mtu(conn));
    ev = e2e_wait_irq(BH_IRQ_MTU_EXCHANGED, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->mtu.mtu, 100);
    long_read_check(conn, 300, 5, 99);
    long_read_check(conn, 512, 6, 99);
    cli_end(conn);
}

/* An Error Response (Core 5.4 Vol 3 Part F 3.4.1.1) for op on handle with code. */
#define CHECK_ATT_ERR(rsp, op, handle, code)                                                       \
    do {                                                                                           \
        E2E_CHECK_EQ((rsp)[0], 0x01);                                                              \
        E2E_CHECK_EQ((rsp)[1], (op));                                                              \
        E2E_CHECK_EQ((rsp)[2] | ((rsp)[3] << 8), (handle));                                        \
        E2E_CHECK_EQ((rsp)[4], (code));                                                            \
    } while (0)

/* One Prepare Write Request (Core 5.4 Vol 3 Part F 3.4.6.1): its response. */
static size_t prepare(uint16_t conn, uint16_t handle, uint16_t offset, const uint8_t *v, size_t n,
                      uint8_t *rsp)
{
    uint8_t req[64] = {0x16, (uint8_t)handle, (uint8_t)(handle >> 8), (uint8_t)offset,
                       (uint8_t)(offset >> 8)};

    E2E_CHECK(n <= sizeof(req) - 5);
    memcpy(req + 5, v, n);
    return e2e_att_raw(conn, req, n + 5, rsp, 64);
}

static size_t execute(uint16_t conn, uint8_t flags, uint8_t *rsp)
{
    uint8_t req[2] = {0x18, flags};

    return e2e_att_raw(conn, req, 2, rsp, 64);
}

void gatt_long_write_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    uint8_t v[300], rsp[64], got[600];

    /* a 300-byte value in parts of ATT_MTU-5, each echoed (3.4.6.2) */
    pattern(v, sizeof(v), 9);
    for (size_t off = 0; off < sizeof(v); off += 18) {
        size_t n = sizeof(v) - off < 18 ? sizeof(v) - off : 18;

        E2E_CHECK_EQ(prepare(conn, SRV_C1, (uint16_t)off, v + off, n, rsp), n + 5);
        E2E_CHECK_EQ(rsp[0], 0x17);
        E2E_CHECK_EQ(rsp[1] | (rsp[2] << 8), SRV_C1);
        E2E_CHECK_EQ(rsp[3] | (rsp[4] << 8), off);
        E2E_CHECK_MEM(rsp + 5, v + off, n);
    }
    E2E_CHECK_EQ(execute(conn, 0x01, rsp), 1);
    E2E_CHECK_EQ(rsp[0], 0x19);
    srv("expect_write %u p:300:9", SRV_C1);
    E2E_CHECK_EQ(cli_read_long(conn, SRV_C1, got, sizeof(got), 22), 300);
    E2E_CHECK_MEM(got, v, 300);

    /* cancelled: nothing written, no IRQ 3 */
    E2E_CHECK_EQ(prepare(conn, SRV_C1, 0, (const uint8_t *)"zz", 2, rsp), 7);
    E2E_CHECK_EQ(execute(conn, 0x00, rsp), 1);
    E2E_CHECK_EQ(rsp[0], 0x19);
    srv("no_irq %u", BH_IRQ_GATTS_WRITE);
    srv("expect_value %u p:300:9", SRV_C1);

    /* not writable: refused at once */
    E2E_CHECK_EQ(prepare(conn, SRV_C1_USER, 0, (const uint8_t *)"u", 1, rsp), 5);
    CHECK_ATT_ERR(rsp, 0x16, SRV_C1_USER, 0x03);

    /* an offset past the value's end: Invalid Offset at Execute Write */
    E2E_CHECK_EQ(prepare(conn, SRV_C1, 400, (const uint8_t *)"a", 1, rsp), 6);
    E2E_CHECK_EQ(rsp[0], 0x17);
    E2E_CHECK_EQ(execute(conn, 0x01, rsp), 5);
    CHECK_ATT_ERR(rsp, 0x18, SRV_C1, 0x07);
    srv("no_irq %u", BH_IRQ_GATTS_WRITE);
    srv("expect_value %u p:300:9", SRV_C1);
    cli_end(conn);
}

/* ---- device name
 * ---------------------------------------------------------------------------------- */

void gatt_name_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    struct bh_ble_event r[4];
    struct bh_uuid name_uuid = e2e_uuid16(0x2A00);
    const char *long_name = "a-device-name-of-thirty-two-byte";
    uint8_t v[64];

    E2E_OK(bh_ble_gattc_discover_characteristics(conn, 1, 0xFFFF, &name_uuid));
    E2E_CHECK_EQ(
        collect(conn, BH_IRQ_GATTC_CHARACTERISTIC_RESULT, BH_IRQ_GATTC_CHARACTERISTIC_DONE, r, 4),
        1);
    E2E_CHECK_EQ(r[0].chr.value_handle, 3);

    srv("name s:second-name");
    E2E_CHECK_EQ(cli_read(conn, 3, v, sizeof(v)), 11);
    E2E_CHECK_MEM(v, "second-name", 11);
    srv("name s:x");
    E2E_CHECK_EQ(cli_read(conn, 3, v, sizeof(v)), 1);
    E2E_CHECK_MEM(v, "x", 1);
    srv("name s:%s", long_name);
    E2E_CHECK_EQ(cli_read_long(conn, 3, v, sizeof(v), 22), 32);
    E2E_CHECK_MEM(v, long_name, 32);
    cli_end(conn);
}

/* ---- queued procedures -------------------------------------------------------------------------
 */

static void expect_read_result(uint16_t conn, uint16_t handle, const char *want)
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_GATTC_READ_RESULT, conn, E2E_WAIT_MS);

    E2E_CHECK_EQ(ev->data.handle, handle);
    E2E_CHECK_EQ(ev->data.len, strlen(want));
    E2E_CHECK_MEM(ev->data.data, want, strlen(want));
    ev = e2e_wait_irq(BH_IRQ_GATTC_READ_DONE, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->status.handle, handle);
    E2E_CHECK_EQ(ev->status.status, 0);
}

/* Several procedures on one link are queued, never refused with -EBUSY,
 * and run in order (the reads around the write see before and after). A
 * disconnect ends the queued ones with a done event each. */
void gatt_queue_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    struct bh_ble_event r[8];
    const struct bh_ble_event *ev;

    E2E_OK(bh_ble_gattc_read(conn, SRV_C1));
    E2E_OK(bh_ble_gattc_write(conn, SRV_C1, (const uint8_t *)"q1", 2, BH_GATTC_WRITE_RSP));
    E2E_OK(bh_ble_gattc_read(conn, SRV_C1));
    E2E_OK(bh_ble_gattc_discover_services(conn, NULL));
    E2E_OK(bh_ble_gattc_read(conn, SRV_C2));
    E2E_OK(bh_ble_gattc_exchange_mtu(conn));
    expect_read_result(conn, SRV_C1, "hello");
    expect_read_result(conn, SRV_C1, "q1");
    expect_read_result(conn, SRV_C2, "c2");
    ev = e2e_wait_irq(BH_IRQ_GATTC_WRITE_DONE, conn, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->status.status, 0);
    E2E_CHECK_EQ(collect(conn, BH_IRQ_GATTC_SERVICE_RESULT, BH_IRQ_GATTC_SERVICE_DONE, r, 8), 4);
    (void)e2e_wait_irq(BH_IRQ_MTU_EXCHANGED, conn, E2E_WAIT_MS);

    srv("end");
    for (unsigned i = 0; i < 3; i++) {
        E2E_OK(bh_ble_gattc_read(conn, SRV_C1));
    }
    E2E_OK(bh_ble_gap_disconnect(conn));
    (void)e2e_wait_irq(BH_IRQ_PERIPHERAL_DISCONNECT, conn, E2E_WAIT_MS);
    for (unsigned i = 0; i < 3; i++) {
        ev = e2e_wait_irq(BH_IRQ_GATTC_READ_DONE, conn, 0);
        E2E_CHECK(ev->status.status == 0 || ev->status.status == BH_GATTC_STATUS_DISCONNECTED);
    }
    E2E_CHECK_EQ(bh_ble_gattc_read(conn, SRV_C1), -ENOTCONN);
}

/* ---- Service Changed
 * ------------------------------------------------------------------------------- */

/* Re-registering indicates Service Changed (0x0001-0xFFFF) to a client that
 * subscribed (Core 5.4 Vol 3 Part G 7.1), forgets the other subscriptions
 * and resets the values. */
void gatt_svc_changed_client(void)
{
    uint16_t conn = e2e_connect_to("server");
    uint8_t v[8];

    E2E_CHECK_EQ(cli_write(conn, 9, "\x02\x00", 2), 0);
    E2E_CHECK_EQ(cli_write(conn, SRV_C1_CCCD, "\x01\x00", 2), 0);
    srv("reregister");
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, 8, "\x01\x00\xff\xff", 4);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 0);
    srv("write %u s:z 1", SRV_C1);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1, v, sizeof(v)), 1);
    E2E_CHECK_EQ(e2e_pending_irq(BH_IRQ_GATTC_NOTIFY), 0);
    E2E_CHECK_EQ(cli_read(conn, SRV_C1_CCCD, v, sizeof(v)), 2);
    E2E_CHECK_MEM(v, "\x00\x00", 2);
    /* the Service Changed subscription stays */
    srv("reregister");
    cli_expect_notify(conn, BH_IRQ_GATTC_INDICATE, 8, "\x01\x00\xff\xff", 4);
    cli_end(conn);
}

/* ---- SMP (e2e_smp.c uses the server commands) --------------------------------------------------
 */

void smp_peripheral(void)
{
    gatt_server();
}

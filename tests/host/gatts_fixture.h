/* SPDX-License-Identifier: MIT */
/*
 * gatts_fixture.h: what test_att.c, test_gatts.c and test_gatts_db.c share
 * (include once per test executable). The whole host runs against
 * fake_ctrl: bh_ble_init() brings it up, an LE Connection Complete event
 * makes a link (handle 0x0040, we are peripheral), ATT PDUs go in as ACL
 * frames on CID 0x0004 and what the host sends on CID 0x0004 is taken back
 * out of fake_ctrl's record, reassembled from ACL fragments and compared
 * byte by byte. Application events are recorded in order.
 *
 * PDU tables: rows of { name, peer sends, host answers ("" = nothing) },
 * run by fx_run_table().
 */
#ifndef GATTS_FIXTURE_H
#define GATTS_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bh_test.h"
#include "ble/ble_internal.h"
#include "blehost/bh_ble.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "fake_ctrl.h"
#include "os/bh_assert.h"
#include "fake_port.h"
#include "host/att.h"
#include "host/att_spec.h"
#include "host/conn.h"
#include "host/gatts.h"

#define FX_CONN 0x0040
#define FX_EVT_MAX 32

struct fx_evt {
    uint8_t irq;
    uint16_t conn;
    uint16_t a; /* handle or mtu */
    uint16_t b; /* status */
};

static struct {
    struct fx_evt evts[FX_EVT_MAX];
    unsigned n_evts;
    int read_rsp; /* what the IRQ 4 handler returns */
    void (*hook)(const struct bh_ble_event *ev);
} fx;

static int fx_cb(void *ctx, const struct bh_ble_event *ev)
{
    struct fx_evt *e = &fx.evts[fx.n_evts % FX_EVT_MAX];

    (void)ctx;
    fx.n_evts++;
    e->irq = ev->irq;
    e->conn = ev->conn;
    e->a = 0;
    e->b = 0;
    switch (ev->irq) {
    case BH_IRQ_GATTS_WRITE:
    case BH_IRQ_GATTS_READ_REQUEST:
        e->a = ev->gatts.handle;
        break;
    case BH_IRQ_GATTS_INDICATE_DONE:
        e->a = ev->status.handle;
        e->b = ev->status.status;
        break;
    case BH_IRQ_MTU_EXCHANGED:
        e->a = ev->mtu.mtu;
        break;
    default:
        break;
    }
    if (fx.hook != NULL) {
        fx.hook(ev);
    }
    return ev->irq == BH_IRQ_GATTS_READ_REQUEST ? fx.read_rsp : 0;
}

/* Count recorded events with this irq (and handle, when a != 0). */
static inline unsigned fx_count(uint8_t irq, uint16_t a)
{
    unsigned n = 0;

    for (unsigned i = 0; i < fx.n_evts && i < FX_EVT_MAX; i++) {
        if (fx.evts[i].irq == irq && (a == 0 || fx.evts[i].a == a)) {
            n++;
        }
    }
    return n;
}

static inline const struct fx_evt *fx_last(uint8_t irq)
{
    const struct fx_evt *last = NULL;

    for (unsigned i = 0; i < fx.n_evts && i < FX_EVT_MAX; i++) {
        if (fx.evts[i].irq == irq) {
            last = &fx.evts[i];
        }
    }
    return last;
}

static inline void fx_clear_events(void)
{
    fx.n_evts = 0;
}

/* LE Connection Complete (Core 5.4 Vol 4 Part E 7.7.65.1), peripheral role. */
static inline void fx_connect(uint16_t handle)
{
    char hex[128];

    snprintf(hex, sizeof(hex),
             "04 3e 13 01 00 %02x %02x 01 00 11 22 33 44 55 66 18 00 00 00 c8 00 00", handle & 0xFF,
             handle >> 8);
    fake_ctrl_inject_hex(hex);
    fake_ctrl_pump();
    BH_CHECK(bh_conn_lookup(handle) != NULL);
}

static inline struct bh_conn *fx_conn(void)
{
    struct bh_conn *c = bh_conn_lookup(FX_CONN);

    BH_CHECK(c != NULL);
    return c;
}

static inline void fx_setup(void)
{
    memset(&fx, 0, sizeof(fx));
    fake_ctrl_init();
    bh_ble_set_event_cb(fx_cb, NULL);
    BH_CHECK_EQ(bh_ble_init(), 0);
    fx_connect(FX_CONN);
    fake_ctrl_clear_sent();
    fx_clear_events();
}

/* Inject one ATT PDU (hex) from the peer on handle. */
static inline void fx_send_on(uint16_t handle, const char *att_hex)
{
    uint8_t pdu[600], h4[620];
    int n = bh_test_hex(att_hex, pdu, sizeof(pdu));

    BH_CHECK(n >= 0);
    h4[0] = 0x02;
    h4[1] = (uint8_t)handle;
    h4[2] = (uint8_t)(0x20 | (handle >> 8)); /* first automatically flushable */
    h4[3] = (uint8_t)(n + 4);
    h4[4] = (uint8_t)((n + 4) >> 8);
    h4[5] = (uint8_t)n;
    h4[6] = (uint8_t)(n >> 8);
    h4[7] = 0x04;
    h4[8] = 0x00;
    memcpy(&h4[9], pdu, (size_t)n);
    fake_ctrl_inject(h4, (size_t)n + 9);
}

static inline void fx_send(const char *att_hex)
{
    fx_send_on(FX_CONN, att_hex);
}

/* The next ATT PDU the host sent (reassembled, CID 0x0004 only), its
 * length, or -1 when there is none. Controller buffers are returned as
 * each fragment is taken, so longer PDUs keep flowing. */
static inline int fx_recv_on(uint16_t handle, uint8_t *out, size_t cap)
{
    struct fake_pkt p;
    uint8_t frame[600];
    size_t have = 0, want = 0;

    for (;;) {
        if (!fake_ctrl_pop(&p)) {
            if (have == 0) {
                return -1;
            }
            fake_ctrl_pump();
            if (!fake_ctrl_pop(&p)) {
                BH_CHECK(!"frame cut short");
                return -1;
            }
        }
        if (p.type != 0x02 || p.len < 4 || (bh_get_le16(p.data) & 0x0FFF) != handle) {
            continue;
        }
        memcpy(&frame[have], &p.data[4], p.len - 4u);
        have += p.len - 4u;
        fake_ctrl_ncp(handle, 1);
        if (want == 0 && have >= 4) {
            want = 4u + bh_get_le16(frame);
        }
        if (want != 0 && have >= want) {
            if (bh_get_le16(&frame[2]) != 0x0004) {
                have = 0;
                want = 0;
                continue; /* another channel (signalling) */
            }
            BH_CHECK(want - 4 <= cap && want <= sizeof(frame));
            /* Bounded again so the optimiser can see it (-Warray-bounds). */
            memcpy(out, &frame[4], BH_MIN((size_t)(want - 4), sizeof(frame) - 4));
            return (int)(want - 4);
        }
    }
}

static inline int fx_recv(uint8_t *out, size_t cap)
{
    return fx_recv_on(FX_CONN, out, cap);
}

/* The host's next ATT PDU is exactly hex ("" = nothing at all). */
#define FX_EXPECT(hex)                                                                             \
    do {                                                                                           \
        uint8_t fx_b_[600];                                                                        \
        int fx_n_ = fx_recv(fx_b_, sizeof(fx_b_));                                                 \
        if ((hex)[0] == '\0') {                                                                    \
            BH_CHECK_EQ(fx_n_, -1);                                                                \
        } else {                                                                                   \
            BH_CHECK(fx_n_ >= 0);                                                                  \
            BH_CHECK_HEX(fx_b_, fx_n_, (hex));                                                     \
        }                                                                                          \
    } while (0)

struct fx_case {
    const char *name;
    const char *peer;
    const char *host;
};

static inline void fx_run_table(const struct fx_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b[600];
        int got;

        fx_send(cases[i].peer);
        got = fx_recv(b, sizeof(b));
        if (cases[i].host[0] == '\0') {
            if (got != -1) {
                fprintf(stderr, "row '%s': host answered %s\n", cases[i].name,
                        bh_test_tohex(b, (size_t)got));
            }
            BH_CHECK_EQ(got, -1);
            continue;
        }
        if (got < 0) {
            fprintf(stderr, "row '%s': no answer\n", cases[i].name);
        }
        BH_CHECK(got >= 0);
        {
            uint8_t want[600];
            int wn = bh_test_hex(cases[i].host, want, sizeof(want));
            if (wn != got || memcmp(want, b, (size_t)got) != 0) {
                fprintf(stderr, "row '%s'\n    want %s\n", cases[i].name, cases[i].host);
                fprintf(stderr, "    got  %s\n", bh_test_tohex(b, (size_t)got));
                BH_CHECK(!"row mismatch");
            }
        }
    }
}

/* Disconnection Complete (7.7.5), then shut down; every pool must be full. */
static inline void fx_teardown(void)
{
    if (bh_conn_lookup(FX_CONN) != NULL) {
        fake_ctrl_inject_hex("04 05 04 00 40 00 13");
        fake_ctrl_pump();
    }
    BH_CHECK_EQ(bh_ble_deinit(), 0);
    fake_ctrl_pump();
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), bh_hci_acl_pool()->count);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_rx_pool()), bh_hci_acl_rx_pool()->count);
}

/* Register the test database (after GAP 1-5 and GATT 6-9):
 *  10 service 0xAAAA
 *  11/12/13 chr 0xA001 READ|WRITE|NOTIFY, CCCD 13; 14 descriptor 0x2901 READ
 *  15/16    chr 0xA002 READ|READ_ENCRYPTED
 *  17/18    chr 0xA003 WRITE (no READ)
 *  19/20/21 chr 128-bit READ|INDICATE, CCCD 21
 *  22/23    chr 0xA005 READ|WRITE|WRITE_AUTHENTICATED
 *  24 service 128-bit; 25/26 chr 0xB001 READ|WRITE_NO_RESPONSE */
static const struct bh_uuid fx_u_svc_a = {2, {0xAA, 0xAA}};
static const struct bh_uuid fx_u_a001 = {2, {0x01, 0xA0}};
static const struct bh_uuid fx_u_a002 = {2, {0x02, 0xA0}};
static const struct bh_uuid fx_u_a003 = {2, {0x03, 0xA0}};
static const struct bh_uuid fx_u_a004 = {16,
                                         {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                          0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}};
static const struct bh_uuid fx_u_a005 = {2, {0x05, 0xA0}};
static const struct bh_uuid fx_u_2901 = {2, {0x01, 0x29}};
static const struct bh_uuid fx_u_svc_b = {16,
                                          {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78,
                                           0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f}};
static const struct bh_uuid fx_u_b001 = {2, {0x01, 0xB0}};

static inline void fx_register(void)
{
    const struct bh_uuid *chrs[] = {&fx_u_a001, &fx_u_a002, &fx_u_a003, &fx_u_a004, &fx_u_a005};
    const uint16_t flags[] = {BH_FLAG_READ | BH_FLAG_WRITE | BH_FLAG_NOTIFY,
                              BH_FLAG_READ | BH_FLAG_READ_ENCRYPTED, BH_FLAG_WRITE,
                              BH_FLAG_READ | BH_FLAG_INDICATE,
                              BH_FLAG_READ | BH_FLAG_WRITE | BH_FLAG_WRITE_AUTHENTICATED};
    const struct bh_uuid *dscs[] = {&fx_u_2901};
    const uint16_t dflags[] = {BH_FLAG_READ};
    const uint8_t ndsc[] = {1, 0, 0, 0, 0};
    uint16_t handles[6];
    const struct bh_uuid *chrs_b[] = {&fx_u_b001};
    const uint16_t flags_b[] = {BH_FLAG_READ | BH_FLAG_WRITE_NO_RESPONSE};
    uint16_t handles_b[1];

    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(
        bh_ble_gatts_register_service(&fx_u_svc_a, chrs, flags, dscs, dflags, ndsc, handles, 5), 0);
    BH_CHECK_EQ(handles[0], 12);
    BH_CHECK_EQ(handles[1], 14);
    BH_CHECK_EQ(handles[2], 16);
    BH_CHECK_EQ(handles[3], 18);
    BH_CHECK_EQ(handles[4], 20);
    BH_CHECK_EQ(handles[5], 23);
    BH_CHECK_EQ(
        bh_ble_gatts_register_service(&fx_u_svc_b, chrs_b, flags_b, NULL, NULL, NULL, handles_b, 1),
        0);
    BH_CHECK_EQ(handles_b[0], 26);
    BH_CHECK_EQ(bh_ble_gatts_register_end(), 0);
}

#endif /* GATTS_FIXTURE_H */

/* SPDX-License-Identifier: MIT */
/*
 * gattc_harness.h: what test_gattc*.c share (include it once per test
 * executable). The host runs against fake_ctrl: ATT PDUs go in as ACL
 * frames (H4 "02 <handle> <len> <L2CAP len> 04 00 <PDU>") and the requests
 * the host sends are taken back out of fake_ctrl's record, reassembled
 * from ACL fragments and compared byte by byte. Events delivered to the
 * application callback are recorded as short text lines ("c40 svc
 * 0001-0005 1800") and compared in order.
 * The whole host runs: bh_ble_init() over fake_ctrl, links come up with
 * LE Connection Complete and go down with Disconnection Complete.
 */
#ifndef GATTC_HARNESS_H
#define GATTC_HARNESS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bh_test.h"
#include "blehost/bh_ble.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "fake_ctrl.h"
#include "fake_port.h"
#include "host/att.h"
#include "host/conn.h"
#include "ble/ble_internal.h"
#include "host/gattc.h"
#include "os/bh_assert.h"

#define H_EVT_MAX 64
#define H_EVT_LEN 400

static struct {
    char evts[H_EVT_MAX][H_EVT_LEN];
    unsigned n_evts, next_evt;
    /* optional hook run after recording each event (re-entrancy tests) */
    void (*hook)(const struct bh_ble_event *ev);
} h;

/* ---- the host: ble.c, gap_conn.c, att.c, l2cap.c ------------------------------------ */

static inline void h_host_init(void)
{
    BH_CHECK_EQ(bh_ble_init(), 0);
}

static inline void h_set_active(bool on)
{
    if (on) {
        BH_CHECK_EQ(bh_ble_init(), 0);
    } else {
        BH_CHECK_EQ(bh_ble_deinit(), 0);
    }
}

/* LE Connection Complete, Vol 4 Part E 7.7.65.1, as central, 50 ms. */
static inline void h_connect(uint16_t handle)
{
    char hex[120];

    snprintf(hex, sizeof(hex),
             "04 3e 13 01 00 %02x %02x 00 00 01 02 03 04 05 06 28 00 00 00 00 01 00",
             handle & 0xff, handle >> 8);
    fake_ctrl_inject_hex(hex);
    BH_CHECK(bh_conn_lookup(handle) != NULL);
    h.next_evt = h.n_evts; /* IRQ 7 */
}

/* Disconnection Complete, Vol 4 Part E 7.7.5, reason 0x13. */
static inline void h_disconnect(uint16_t handle)
{
    char hex[40];

    unsigned n = h.n_evts;

    snprintf(hex, sizeof(hex), "04 05 04 00 %02x %02x 13", handle & 0xff, handle >> 8);
    fake_ctrl_inject_hex(hex);
    fake_ctrl_pump();
    /* drop the IRQ 8 that gap_conn.c emits last */
    if (h.n_evts > n && strncmp(h.evts[h.n_evts - 1] + 4, "irq 8", 5) == 0) {
        h.n_evts--;
    }
}


/* ---- events ----------------------------------------------------------------------- */

static inline void h_uuid_str(char *out, size_t cap, const struct bh_uuid *u)
{
    size_t o = 0;

    for (int i = u->type - 1; i >= 0 && o + 3 < cap; i--) {
        o += (size_t)snprintf(out + o, cap - o, "%02x", u->data[i]);
    }
    out[o] = '\0';
}

static inline void h_hex_str(char *out, size_t cap, const uint8_t *p, uint16_t n)
{
    size_t o = 0;

    out[0] = '\0';
    for (uint16_t i = 0; i < n && o + 3 < cap; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%02x", p[i]);
    }
}

static inline void h_format(char *s, const struct bh_ble_event *ev)
{
    char u[40], d[340];
    int o = snprintf(s, H_EVT_LEN, "c%x ", ev->conn);

    switch (ev->irq) {
    case BH_IRQ_GATTC_SERVICE_RESULT:
        h_uuid_str(u, sizeof(u), &ev->service.uuid);
        snprintf(s + o, H_EVT_LEN - o, "svc %04x-%04x %s", ev->service.start, ev->service.end, u);
        break;
    case BH_IRQ_GATTC_CHARACTERISTIC_RESULT:
        h_uuid_str(u, sizeof(u), &ev->chr.uuid);
        snprintf(s + o, H_EVT_LEN - o, "chr end=%04x val=%04x props=%02x %s", ev->chr.end_handle,
                 ev->chr.value_handle, ev->chr.properties, u);
        break;
    case BH_IRQ_GATTC_DESCRIPTOR_RESULT:
        h_uuid_str(u, sizeof(u), &ev->dsc.uuid);
        snprintf(s + o, H_EVT_LEN - o, "dsc %04x %s", ev->dsc.handle, u);
        break;
    case BH_IRQ_GATTC_SERVICE_DONE:
    case BH_IRQ_GATTC_CHARACTERISTIC_DONE:
    case BH_IRQ_GATTC_DESCRIPTOR_DONE:
        snprintf(s + o, H_EVT_LEN - o, "%s_done %x",
                 ev->irq == BH_IRQ_GATTC_SERVICE_DONE          ? "svc"
                 : ev->irq == BH_IRQ_GATTC_CHARACTERISTIC_DONE ? "chr"
                                                               : "dsc",
                 ev->done.status);
        break;
    case BH_IRQ_GATTC_READ_RESULT:
    case BH_IRQ_GATTC_NOTIFY:
    case BH_IRQ_GATTC_INDICATE:
        h_hex_str(d, sizeof(d), ev->data.data, ev->data.len);
        snprintf(s + o, H_EVT_LEN - o, "%s %04x %s",
                 ev->irq == BH_IRQ_GATTC_READ_RESULT ? "read"
                 : ev->irq == BH_IRQ_GATTC_NOTIFY    ? "notify"
                                                     : "indicate",
                 ev->data.handle, d);
        break;
    case BH_IRQ_GATTC_READ_DONE:
    case BH_IRQ_GATTC_WRITE_DONE:
        snprintf(s + o, H_EVT_LEN - o, "%s %04x %x",
                 ev->irq == BH_IRQ_GATTC_READ_DONE ? "read_done" : "write_done",
                 ev->status.handle, ev->status.status);
        break;
    case BH_IRQ_MTU_EXCHANGED:
        snprintf(s + o, H_EVT_LEN - o, "mtu %u", ev->mtu.mtu);
        break;
    default:
        snprintf(s + o, H_EVT_LEN - o, "irq %u", ev->irq);
        break;
    }
}

static inline int h_event_cb(void *ctx, const struct bh_ble_event *ev)
{
    (void)ctx;
    BH_CHECK(h.n_evts < H_EVT_MAX);
    h_format(h.evts[h.n_evts++], ev);
    if (h.hook != NULL) {
        h.hook(ev);
    }
    return 0;
}

/* The next recorded events must be exactly these lines (NULL-terminated). */
static inline void h_expect_events(const char *first, ...)
{
    va_list ap;
    const char *want = first;

    va_start(ap, first);
    while (want != NULL) {
        if (h.next_evt >= h.n_evts) {
            char m[1000];
            snprintf(m, sizeof(m), "missing event \"%s\"", want);
            va_end(ap);
            bh_test_fail(__FILE__, __LINE__, m);
        }
        if (strcmp(h.evts[h.next_evt], want) != 0) {
            char m[1000];
            snprintf(m, sizeof(m), "event \"%s\", wanted \"%s\"", h.evts[h.next_evt], want);
            va_end(ap);
            bh_test_fail(__FILE__, __LINE__, m);
        }
        h.next_evt++;
        want = va_arg(ap, const char *);
    }
    va_end(ap);
    if (h.next_evt != h.n_evts) {
        char m[1000];
        snprintf(m, sizeof(m), "unexpected event \"%s\"", h.evts[h.next_evt]);
        bh_test_fail(__FILE__, __LINE__, m);
    }
}

/* The same from a NULL-terminated array (table-driven tests). */
static inline void h_expect_event_list(const char *const *list)
{
    for (unsigned i = 0; list[i] != NULL; i++) {
        if (h.next_evt >= h.n_evts || strcmp(h.evts[h.next_evt], list[i]) != 0) {
            char m[1000];
            snprintf(m, sizeof(m), "event \"%s\", wanted \"%s\"",
                     h.next_evt < h.n_evts ? h.evts[h.next_evt] : "(none)", list[i]);
            bh_test_fail(__FILE__, __LINE__, m);
        }
        h.next_evt++;
    }
    if (h.next_evt != h.n_evts) {
        char m[1000];
        snprintf(m, sizeof(m), "unexpected event \"%s\"", h.evts[h.next_evt]);
        bh_test_fail(__FILE__, __LINE__, m);
    }
}

/* Forget the events recorded so far. */
static inline void h_skip_events(void)
{
    h.next_evt = h.n_evts;
}

static inline void h_expect_no_events(void)
{
    h_expect_events(NULL);
}

/* ---- ATT in and out ------------------------------------------------------------------- */

/* One ATT PDU from the peer on handle, as ACL fragments of at most 251. */
static inline void h_rx_att(uint16_t handle, const char *pdu_hex)
{
    uint8_t frame[1100], h4[260];
    int n = bh_test_hex(pdu_hex, &frame[4], sizeof(frame) - 4);
    uint16_t total, off = 0;

    BH_CHECK(n >= 0);
    frame[0] = (uint8_t)n;
    frame[1] = (uint8_t)(n >> 8);
    frame[2] = 0x04;
    frame[3] = 0x00;
    total = (uint16_t)(n + 4);
    while (off < total) {
        uint16_t len = (uint16_t)BH_MIN(total - off, 251);
        uint16_t hf = (uint16_t)(handle | (off == 0 ? 0x2000 : 0x1000));

        h4[0] = 0x02;
        h4[1] = (uint8_t)hf;
        h4[2] = (uint8_t)(hf >> 8);
        h4[3] = (uint8_t)len;
        h4[4] = 0;
        memcpy(&h4[5], &frame[off], len);
        fake_ctrl_inject(h4, 5u + len);
        off = (uint16_t)(off + len);
    }
    fake_ctrl_pump();
}

/* Pop the next L2CAP frame the host sent (skipping HCI commands), give the
 * controller buffers back, and return its ATT payload. False if none. */
static inline bool h_pop_att(uint16_t *handle, uint8_t *pdu, uint16_t *len)
{
    struct fake_pkt pkt;
    uint8_t frame[1100];
    uint16_t have = 0, want = 0;
    unsigned frags = 0;

    fake_ctrl_pump();
    while (fake_ctrl_pop(&pkt)) {
        uint16_t dlen;

        if (pkt.type != 0x02) {
            continue;
        }
        BH_CHECK(pkt.len >= 4);
        dlen = (uint16_t)(pkt.data[2] | pkt.data[3] << 8);
        BH_CHECK(dlen + 4u == pkt.len && have + dlen <= sizeof(frame));
        if (frags == 0) {
            *handle = (uint16_t)((pkt.data[0] | pkt.data[1] << 8) & 0x0fff);
        }
        memcpy(&frame[have], &pkt.data[4], dlen);
        have = (uint16_t)(have + dlen);
        frags++;
        if (have >= 4) {
            want = (uint16_t)(4 + (frame[0] | frame[1] << 8));
        }
        if (have >= 4 && have >= want) {
            fake_ctrl_ncp(*handle, (uint16_t)frags);
            BH_CHECK_EQ(have, want);
            BH_CHECK_EQ(frame[2] | frame[3] << 8, 0x0004);
            *len = (uint16_t)(want - 4);
            memcpy(pdu, &frame[4], *len);
            return true;
        }
        if (fake_ctrl_sent_count() == 0) {
            /* the rest waits for controller buffers */
            fake_ctrl_ncp(*handle, (uint16_t)frags);
            frags = 0;
        }
    }
    BH_CHECK_EQ(have, 0);
    return false;
}

#define h_expect_att(handle_, hex_)                                                        \
    do {                                                                                   \
        uint8_t pdu_[1100];                                                                \
        uint16_t len_ = 0, hd_ = 0;                                                        \
        BH_CHECK(h_pop_att(&hd_, pdu_, &len_));                                            \
        BH_CHECK_EQ(hd_, (handle_));                                                       \
        BH_CHECK_HEX(pdu_, len_, (hex_));                                                  \
    } while (0)

#define h_expect_no_att()                                                                  \
    do {                                                                                   \
        uint8_t pdu_[1100];                                                                \
        uint16_t len_ = 0, hd_ = 0;                                                        \
        BH_CHECK(!h_pop_att(&hd_, pdu_, &len_));                                           \
    } while (0)

/* ---- set-up and tear-down ------------------------------------------------------------------ */

static inline void h_setup(void)
{
    memset(&h, 0, sizeof(h));
    fake_ctrl_init();
    fake_ctrl_up();
    h_host_init();
    bh_ble_set_event_cb(h_event_cb, NULL);
    fake_ctrl_clear_sent();
}

static inline struct bh_conn *h_conn(uint16_t handle)
{
    struct bh_conn *c = bh_conn_lookup(handle);

    BH_CHECK(c != NULL);
    return c;
}

/* Every procedure and every buffer back home. */
static inline void h_teardown(void)
{
    fake_ctrl_pump();
    BH_CHECK_EQ(bh_gattc_procs_in_use(), 0);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), bh_hci_acl_pool()->count);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_rx_pool()), bh_hci_acl_rx_pool()->count);
}

#endif /* GATTC_HARNESS_H */

/* SPDX-License-Identifier: MIT */
/*
 * hostA_util.h: what the GAP, L2CAP and host-event tests share (include
 * once per test executable). The host runs whole against fake_ctrl:
 * ha_setup() brings it up with bh_ble_init(); events and ACL frames are
 * injected as hex; what the host sends is read back from fake_ctrl's
 * record; application events are recorded (with a copy of their data).
 */
#ifndef HOSTA_UTIL_H
#define HOSTA_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bh_test.h"
#include "ble/ble_internal.h"
#include "blehost/bh_ble.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "fake_ctrl.h"
#include "fake_port.h"
#include "hci/h4.h"
#include "hci/hci_spec.h"
#include "host/conn.h"
#include "host/gap.h"
#include "host/host_evt.h"
#include "host/l2cap.h"
#include "os/bh_assert.h"

#define HA_EVT_MAX 48

struct ha_evt {
    struct bh_ble_event ev;
    uint8_t data[64];
};

static struct {
    struct ha_evt evts[HA_EVT_MAX];
    unsigned n;
    void (*hook)(const struct bh_ble_event *ev);
    uint32_t h4_errors; /* at setup: a test's hex must frame cleanly */
} ha;

static __attribute__((unused)) int ha_cb(void *ctx, const struct bh_ble_event *ev)
{
    struct ha_evt *e = &ha.evts[ha.n % HA_EVT_MAX];

    (void)ctx;
    ha.n++;
    e->ev = *ev;
    if (ev->irq == BH_IRQ_SCAN_RESULT && ev->scan.data != NULL) {
        memcpy(e->data, ev->scan.data, ev->scan.len < 64 ? ev->scan.len : 64);
        e->ev.scan.data = e->data;
    }
    if (ha.hook != NULL) {
        ha.hook(ev);
    }
    return 0;
}

static __attribute__((unused)) const struct bh_ble_event *ha_ev(unsigned i)
{
    BH_CHECK(i < ha.n && i < HA_EVT_MAX);
    return &ha.evts[i].ev;
}

static __attribute__((unused)) void ha_clear(void)
{
    ha.n = 0;
    fake_ctrl_clear_sent();
}

/* Fresh fake controller and an active host; nothing recorded yet. */
static __attribute__((unused)) void ha_setup(void)
{
    fake_ctrl_init();
    memset(&ha, 0, sizeof(ha));
    bh_ble_set_event_cb(ha_cb, NULL);
    bh_gap_set_auto_data_length(true);
    bh_gap_set_auto_2m_phy(true);
    /* LE Read Maximum Data Length: 251 octets, 2120 us both ways. */
    fake_ctrl_set_reply(BH_HCI_OP_LE_READ_MAXIMUM_DATA_LENGTH, "00 fb 00 48 08 fb 00 48 08");
    BH_CHECK_EQ(bh_ble_init(), 0);
    BH_CHECK(bh_ble_is_active());
    ha.h4_errors = bh_hci_stats()->h4_errors;
    ha_clear();
}

/* Shut down and check that nothing leaked. */
static __attribute__((unused)) void ha_teardown(void)
{
    BH_CHECK_EQ(bh_ble_deinit(), 0);
    BH_CHECK(!bh_ble_is_active());
    BH_CHECK_EQ(bh_hci_stats()->h4_errors, ha.h4_errors);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_rx_pool()), BH_CONFIG_ACL_RX_BUF_COUNT);
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        BH_CHECK(bh_conn_at(i) == NULL);
    }
}

static void ha_inject(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void ha_inject(const char *fmt, ...)
{
    char hex[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(hex, sizeof(hex), fmt, ap);
    va_end(ap);
    fake_ctrl_inject_hex(hex);
}

/* LE Connection Complete (7.7.65.1), peer 06:05:04:03:02:01 public,
 * interval 0x0028, latency 0, timeout 0x0100. */
static __attribute__((unused)) void ha_conn_complete(uint16_t handle, uint8_t role)
{
    ha_inject("04 3e 13 01 00 %02x %02x %02x 00 01 02 03 04 05 06 28 00 00 00 00 01 00",
              handle & 0xFF, handle >> 8, role);
}

static __attribute__((unused)) struct bh_conn *ha_conn_up(uint16_t handle, uint8_t role)
{
    struct bh_conn *c;

    ha_conn_complete(handle, role);
    c = bh_conn_lookup(handle);
    BH_CHECK(c != NULL);
    ha_clear();
    return c;
}

/* Disconnection Complete (7.7.5), success. */
static __attribute__((unused)) void ha_disconn_complete(uint16_t handle, uint8_t reason)
{
    ha_inject("04 05 04 00 %02x %02x %02x", handle & 0xFF, handle >> 8, reason);
}

/* An L2CAP frame from the peer on handle: one ACL packet, PB first. */
static __attribute__((unused)) void ha_acl(uint16_t handle, uint16_t cid, const char *payload_hex)
{
    uint8_t pl[512];
    uint8_t h4[600];
    int n = bh_test_hex(payload_hex, pl, sizeof(pl));

    BH_CHECK(n >= 0);
    h4[0] = BH_H4_ACL;
    h4[1] = (uint8_t)handle;
    h4[2] = (uint8_t)(0x20 | (handle >> 8));
    h4[3] = (uint8_t)(n + 4);
    h4[4] = (uint8_t)((n + 4) >> 8);
    h4[5] = (uint8_t)n;
    h4[6] = (uint8_t)(n >> 8);
    h4[7] = (uint8_t)cid;
    h4[8] = (uint8_t)(cid >> 8);
    memcpy(&h4[9], pl, (size_t)n);
    fake_ctrl_inject(h4, (size_t)n + 9);
}

/* The i-th (0: oldest) ACL frame sent on cid: its payload (after the
 * L2CAP header) in *p and *len. False if there is none. Single fragments. */
static __attribute__((unused)) bool ha_sent_l2cap(uint16_t cid, unsigned i, const uint8_t **p,
                                                  uint16_t *len)
{
    for (unsigned k = 0; k < fake_ctrl_sent_count(); k++) {
        const struct fake_pkt *s = fake_ctrl_sent(k);

        if (s->type != BH_H4_ACL || s->len < 8 || (s->data[6] | s->data[7] << 8) != cid) {
            continue;
        }
        if (i-- == 0) {
            *p = &s->data[8];
            *len = (uint16_t)(s->len - 8);
            BH_CHECK_EQ(s->data[4] | s->data[5] << 8, *len);
            return true;
        }
    }
    return false;
}

static __attribute__((unused)) unsigned ha_sent_l2cap_count(uint16_t cid)
{
    const uint8_t *p;
    uint16_t len;
    unsigned n = 0;

    while (ha_sent_l2cap(cid, n, &p, &len)) {
        n++;
    }
    return n;
}

/* Parameters (after opcode and length) of the last command with opcode op. */
#define HA_CHECK_CMD(op, hex)                                                                      \
    do {                                                                                           \
        const struct fake_pkt *c_ = fake_ctrl_last_cmd(op);                                        \
        BH_CHECK(c_ != NULL);                                                                      \
        BH_CHECK_EQ(c_->data[2], c_->len - 3);                                                     \
        BH_CHECK_HEX(&c_->data[3], c_->len - 3, hex);                                              \
    } while (0)

#endif /* HOSTA_UTIL_H */

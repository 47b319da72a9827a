/* SPDX-License-Identifier: MIT */
/*
 * ble.c: the core of the API layer (bh_ble.h): the event callback and the
 * secret store, active(True/False), addresses, the GAP name, advertising,
 * scanning, connecting and disconnecting, the preferred MTU and raw HCI
 * commands, with MicroPython's semantics (shared/API.md 1.3 and 2.2) and
 * units converted at this edge. The GATT server and client calls are in
 * ble_gatts.c and ble_gattc.c, pairing in ble_smp.c (ble_smp_off.c without
 * the Security Manager), credit-based channels in ble_l2cap.c.
 */
#include "blehost/bh_ble.h"

#include <errno.h>
#include <string.h>

#include "ble_internal.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "hci/hci_spec.h"
#include "host/att.h"
#include "host/gap.h"
#include "host/gap_spec.h"
#include "host/keys.h"
#include "host/smp.h"
#include "host/gattc.h"
#include "host/gatts.h"
#include "host/host_evt.h"
#include "host/l2cap.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "ble"
#include "os/bh_log.h"

/* active(False) waits this long for links to close (NimBLE-like). */
#define BLE_DEINIT_TIMEOUT_MS 2000

struct ble_ctx {
    bh_ble_event_cb_t cb;
    void *cb_ctx;
    struct bh_ble_secret_store store;
    bool has_store;
    bool active;
    uint8_t addr_mode; /* BH_ADDR_MODE_PUBLIC or _RANDOM */
};

static struct ble_ctx ble;

/* ---- events and secrets ------------------------------------------------------ */

void bh_ble_set_event_cb(bh_ble_event_cb_t cb, void *ctx)
{
    ble.cb = cb;
    ble.cb_ctx = ctx;
}

int bh_ble_emit(const struct bh_ble_event *ev)
{
    if (ble.cb == NULL) {
        return 0;
    }
    return ble.cb(ble.cb_ctx, ev);
}

void bh_ble_set_secret_store(const struct bh_ble_secret_store *store)
{
    ble.has_store = store != NULL;
    if (store != NULL) {
        ble.store = *store;
    }
}

bool bh_ble_secret_get(uint8_t type, uint8_t index, const uint8_t *key, uint16_t key_len,
                       const uint8_t **value, size_t *value_len)
{
    if (!ble.has_store || ble.store.get == NULL) {
        return false;
    }
    return ble.store.get(ble.store.ctx, type, index, key, key_len, value, value_len);
}

bool bh_ble_secret_set(uint8_t type, const uint8_t *key, uint16_t key_len, const uint8_t *value,
                       size_t value_len)
{
    if (!ble.has_store || ble.store.set == NULL) {
        return false;
    }
    return ble.store.set(ble.store.ctx, type, key, key_len, value, value_len);
}

/* ---- lifecycle ------------------------------------------------------------------- */

static void ble_host_reset(void)
{
    bh_gap_init();
    bh_l2cap_init();
    bh_att_init();
    bh_gatts_init();
    bh_gattc_init();
    bh_smp_init();
    bh_host_evt_init();
}

int bh_ble_conn_get(uint16_t handle, struct bh_conn **out)
{
    struct bh_conn *c;

    *out = NULL;
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    c = bh_conn_lookup(handle);
    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
        return -ENOTCONN;
    }
    *out = c;
    return 0;
}

int bh_ble_init(void)
{
    const struct bh_hci_info *info;
    int err;

    if (ble.active) {
        (void)bh_ble_deinit(); /* NimBLE restarts an active stack */
    }
    ble_host_reset();
    err = bh_hci_up();
    if (err < 0 && err != -EALREADY) {
        BH_LOG_ERR("controller did not come up (%d)", err);
        return err;
    }
    /* Bonds and our IRK from the secret store (API.md 2.6): asked for here,
     * inside active(True), as NimBLE does at stack sync. */
    bh_keys_load();
    info = bh_hci_info();
    bh_gap_own_addr_init(info->id_addr_type,
                         info->id_addr_type == BH_HCI_ADDR_RANDOM ? info->id_addr : NULL);
    ble.addr_mode =
        info->id_addr_type == BH_HCI_ADDR_PUBLIC ? BH_ADDR_MODE_PUBLIC : BH_ADDR_MODE_RANDOM;
    err = bh_gatts_reset();
    if (err < 0) {
        bh_hci_down();
        return err;
    }
    ble.active = true;
    BH_LOG_INF("active");
    return 0;
}

int bh_ble_deinit(void)
{
    int err;

    if (!ble.active) {
        return 0;
    }
    (void)bh_gap_adv_stop();
    (void)bh_gap_scan_stop();
    bh_gap_connect_abort();
    err = bh_gap_disconnect_all(BLE_DEINIT_TIMEOUT_MS);
    bh_hci_down();
    ble_host_reset();
    ble.active = false;
    BH_LOG_INF("inactive");
    return err;
}

bool bh_ble_is_active(void)
{
    return ble.active;
}

/* ---- addresses and name ---------------------------------------------------------------- */

int bh_ble_get_addr(uint8_t *addr_type, uint8_t addr[6])
{
    const uint8_t *a;

    if (!ble.active) {
        return -ENODEV;
    }
    if (ble.addr_mode >= BH_ADDR_MODE_RPA) {
        return -EINVAL; /* as NimBLE: no mac in RPA/NRPA modes (API.md 1.3) */
    }
    if (bh_gap_own_addr_type() == BH_GAP_OWN_ADDR_PUBLIC) {
        a = bh_hci_info()->bd_addr;
        *addr_type = BH_HCI_ADDR_PUBLIC;
    } else {
        a = bh_gap_random_addr();
        *addr_type = BH_HCI_ADDR_RANDOM;
    }
    bh_ble_addr_swap(addr, a);
    return 0;
}

/* A static random address, Vol 6 Part B 1.3.2.1: the two top bits 1, the
 * other 46 bits neither all 0 nor all 1. */
static int ble_make_static_addr(uint8_t a[6])
{
    const struct bh_port *port = bh_os_port();

    for (int tries = 0; tries < 8; tries++) {
        if (port == NULL || port->entropy == NULL || port->entropy(a, 6) < 0) {
            return -EIO;
        }
        a[5] |= 0xC0;
        if (bh_hci_addr_is_static(a)) {
            return 0;
        }
    }
    return -EIO;
}

int bh_ble_set_addr_mode(uint8_t mode)
{
    static const uint8_t zero[6];
    const struct bh_hci_info *info = bh_hci_info();
    uint8_t a[6];
    int err;

    if (!ble.active) {
        return -ENODEV;
    }
    if (mode == BH_ADDR_MODE_PUBLIC) {
        if (memcmp(info->bd_addr, zero, 6) == 0) {
            return -EINVAL;
        }
        err = bh_gap_privacy_set_mode(BH_GAP_PRIVACY_OFF); /* leaving RPA/NRPA */
        err = err < 0 ? err : bh_gap_set_own_addr(BH_GAP_OWN_ADDR_PUBLIC, NULL);
    } else if (mode == BH_ADDR_MODE_RANDOM) {
        if (info->id_addr_type == BH_HCI_ADDR_RANDOM) {
            memcpy(a, info->id_addr, 6); /* the static address init chose */
        } else if (!bh_gap_privacy_static_addr(a)) {
            err = ble_make_static_addr(a); /* none made before (privacy keeps it) */
            if (err < 0) {
                return err;
            }
        }
        err = bh_gap_privacy_set_mode(BH_GAP_PRIVACY_OFF);
        err = err < 0 ? err : bh_gap_set_own_addr(BH_GAP_OWN_ADDR_RANDOM, a);
    } else if (mode <= BH_ADDR_MODE_NRPA) {
        /* gap_privacy.c: a fresh private address now, a new one every
         * BH_CONFIG_GAP_RPA_TIMEOUT_MS. */
        err = bh_gap_privacy_set_mode(mode == BH_ADDR_MODE_RPA ? BH_GAP_PRIVACY_RPA
                                                               : BH_GAP_PRIVACY_NRPA);
    } else {
        return -EINVAL;
    }
    if (err == 0) {
        ble.addr_mode = mode;
    }
    return err;
}

size_t bh_ble_gap_get_name(const uint8_t **name)
{
    return bh_gap_name(name);
}

int bh_ble_gap_set_name(const uint8_t *name, size_t len)
{
    return bh_gap_set_name(name, len);
}

/* ---- advertising, scanning, connecting ------------------------------------------------------ */

/* Microseconds to a spec unit, rounded down, clamped to [lo, hi]. */
static uint16_t ble_us_to_units(int32_t us, uint32_t unit_us, uint16_t lo, uint16_t hi)
{
    uint32_t v = us <= 0 ? 0 : (uint32_t)us / unit_us;

    if (v < lo) {
        return lo;
    }
    return v > hi ? hi : (uint16_t)v;
}

int bh_ble_gap_adv_start(bool connectable, int32_t interval_us, const uint8_t *adv, size_t adv_len,
                         const uint8_t *sr, size_t sr_len)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_gap_adv_start(
        connectable, ble_us_to_units(interval_us, 625, BH_GAP_ADV_ITVL_MIN, BH_GAP_ADV_ITVL_MAX),
        adv, adv_len, sr, sr_len);
}

int bh_ble_gap_adv_stop(void)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_gap_adv_stop();
}

int bh_ble_gap_scan_start(int32_t duration_ms, int32_t interval_us, int32_t window_us, bool active)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_gap_scan_start(
        duration_ms <= 0 ? 0 : (uint32_t)duration_ms,
        ble_us_to_units(interval_us, 625, BH_GAP_SCAN_ITVL_MIN, BH_GAP_SCAN_ITVL_MAX),
        ble_us_to_units(window_us, 625, BH_GAP_SCAN_ITVL_MIN, BH_GAP_SCAN_ITVL_MAX), active);
}

int bh_ble_gap_scan_stop(void)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_gap_scan_stop();
}

/* Intervals: 0 means NimBLE's default; the supervision timeout grows to
 * stay valid for long intervals (Vol 3 Part A 4.20). */
static void ble_conn_params(int32_t min_us, int32_t max_us, struct bh_gap_conn_params *p)
{
    uint32_t need;

    p->itvl_min_1250us =
        min_us > 0 ? ble_us_to_units(min_us, 1250, BH_GAP_CONN_ITVL_MIN, BH_GAP_CONN_ITVL_MAX)
                   : BH_GAP_CONN_ITVL_MIN_DEFAULT;
    p->itvl_max_1250us =
        max_us > 0 ? ble_us_to_units(max_us, 1250, BH_GAP_CONN_ITVL_MIN, BH_GAP_CONN_ITVL_MAX)
                   : BH_GAP_CONN_ITVL_MAX_DEFAULT;
    if (p->itvl_max_1250us < p->itvl_min_1250us) {
        p->itvl_max_1250us = p->itvl_min_1250us;
    }
    p->latency = 0;
    need = (uint32_t)p->itvl_max_1250us / 4 + 1; /* timeout * 4 > max */
    p->sup_timeout_10ms = (uint16_t)BH_MAX(need * 2, (uint32_t)BH_GAP_SUP_TIMEOUT_DEFAULT);
}

int bh_ble_gap_connect(uint8_t addr_type, const uint8_t addr[6], int32_t duration_ms,
                       int32_t min_itvl_us, int32_t max_itvl_us)
{
    struct bh_gap_conn_params p;
    uint8_t le[6];

    if (!ble.active) {
        return -ENODEV;
    }
    if (addr == NULL || addr_type > BH_HCI_ADDR_RANDOM) {
        return -EINVAL;
    }
    bh_ble_addr_swap(le, addr);
    ble_conn_params(min_itvl_us, max_itvl_us, &p);
    return bh_gap_connect(addr_type, le, duration_ms, &p);
}

int bh_ble_gap_connect_cancel(void)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_gap_connect_cancel();
}

int bh_ble_gap_disconnect(uint16_t conn)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_gap_disconnect(conn, BH_HCI_ERR_REMOTE_USER_TERMINATED_CONN);
}

/* ---- MTU and raw HCI ------------------------------------------------------------------------ */

int bh_ble_get_preferred_mtu(void)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_att_preferred_mtu();
}

int bh_ble_set_preferred_mtu(uint16_t mtu)
{
    if (!ble.active) {
        return -ENODEV;
    }
    return bh_att_set_preferred_mtu(mtu);
}

int bh_ble_hci_cmd(uint16_t ogf, uint16_t ocf, const uint8_t *req, size_t req_len, uint8_t *rsp,
                   size_t rsp_len, uint8_t *status)
{
    uint16_t n = 0;

    if (!ble.active) {
        return -ENODEV;
    }
    if (req_len > UINT8_MAX) {
        return -EINVAL;
    }
    return bh_hci_cmd_raw(ogf, ocf, req, (uint8_t)req_len, rsp,
                          (uint16_t)BH_MIN(rsp_len, (size_t)UINT16_MAX), &n, status);
}

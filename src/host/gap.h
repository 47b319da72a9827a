/* SPDX-License-Identifier: MIT */
/*
 * gap.h: GAP inside the host, for the other host layers and src/ble.
 *
 * gap_conn.c: the connection pool (conn.h), Disconnection Complete,
 * connection parameter updates, data length and PHY. gap_disc.c: local
 * disconnect, held until the link's ACL drains. gap_adv.c: legacy
 * advertising, the local name and own address. gap_scan.c: scanning and
 * connecting as central. Their HCI event handlers are declared in
 * host_evt.h; what gap_conn.c and gap_disc.c share, in gap_internal.h.
 *
 * Units are the spec's (itvl_625us, itvl_1250us, sup_timeout_10ms);
 * src/ble converts from MicroPython's microseconds. Addresses here are
 * little-endian, as on the wire. Functions that wait for the controller
 * (marked "waits") are for API entry points only; the rest never block.
 * Every function: host context; returns 0 or a negative errno.
 */
#ifndef BH_HOST_GAP_H
#define BH_HOST_GAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "gap_privacy.h"

struct bh_gap_conn_params {
    uint16_t itvl_min_1250us;
    uint16_t itvl_max_1250us;
    uint16_t latency;
    uint16_t sup_timeout_10ms;
};

/* NimBLE-like defaults for connecting: 30..50 ms, no latency, 2.56 s. */
#define BH_GAP_CONN_ITVL_MIN_DEFAULT 24
#define BH_GAP_CONN_ITVL_MAX_DEFAULT 40
#define BH_GAP_SUP_TIMEOUT_DEFAULT 256
/* LE Create Connection with timeout_ms 0 (NimBLE: 30 s). */
#define BH_GAP_CONNECT_TIMEOUT_DEFAULT_MS 30000

struct bh_gap_stats {
    uint32_t evt_bad;          /* event malformed (beyond the minimum length): dropped */
    uint32_t evt_unknown_conn; /* event naming a handle we do not know: dropped */
    uint32_t adv_report_bad;   /* advertising report lying about lengths: whole event dropped */
    uint32_t adv_reports;      /* reports delivered (IRQ 5) */
    uint32_t conn_no_slot;     /* connection beyond BH_CONFIG_MAX_CONN: disconnected */
    uint32_t conn_updates;     /* IRQ 27 emitted */
    uint32_t disc_held;        /* local Disconnects held back for queued ACL */
    uint32_t disc_undrained;   /* ... sent at BH_CONFIG_DISCONNECT_DRAIN_MS, ACL still pending */
};
const struct bh_gap_stats *bh_gap_stats(void);
struct bh_gap_stats *bh_gap_stats_mut(void);

/* Reset every GAP state (connections, advertising, scanning); the name
 * is kept. Host init, before bh_hci_up(). */
void bh_gap_init(void);

/* The per-file parts of bh_gap_init() (gap_adv.c, gap_scan.c, gap_disc.c). */
void bh_gap_adv_init(void);
void bh_gap_scan_init(void);
void bh_gap_disc_init(void);

/* ---- local identity (gap_adv.c) ------------------------------------------ */

/* The Device Name served at 0x2A00 (the GATT server reads it here). */
size_t bh_gap_name(const uint8_t **name);
/* Any time, even while connected. -EINVAL beyond BH_CONFIG_GAP_NAME_MAX. */
int bh_gap_set_name(const uint8_t *name, size_t len);
/* Own_Address_Type used for advertising, scanning and connecting, and the
 * random address currently set in the controller (valid for RANDOM). */
uint8_t bh_gap_own_addr_type(void);
const uint8_t *bh_gap_random_addr(void);
/* Use the public address (type 0), or a random address: set it in the
 * controller with LE Set Random Address (waits) unless already set.
 * -EBUSY while advertising, scanning or connecting. */
int bh_gap_set_own_addr(uint8_t type, const uint8_t random_addr[6]);
/* Record an address the HCI init already set (no command). */
void bh_gap_own_addr_init(uint8_t type, const uint8_t random_addr[6]);

/* ---- advertising (gap_adv.c) ------------------------------------------------ */

/* (Re)start legacy advertising, Vol 4 Part E 7.8.5-7.8.9: connectable ->
 * ADV_IND, else ADV_SCAN_IND. adv/sr NULL: keep the previous payload; len 0
 * clears; > 31 bytes -EINVAL. Restarts if advertising. Waits. */
int bh_gap_adv_start(bool connectable, uint16_t itvl_625us, const uint8_t *adv, size_t adv_len,
                     const uint8_t *sr, size_t sr_len);
/* No-op (0) when not advertising. Waits. */
int bh_gap_adv_stop(void);
bool bh_gap_adv_active(void);
/* A central connected: the controller stopped advertising (Vol 6 Part B 4.4.2). */
void bh_gap_adv_on_peripheral_conn(void);

/* ---- scanning and connecting (gap_scan.c) ------------------------------------ */

/* duration_ms 0: until stopped. -EALREADY if scanning, -EBUSY while
 * connecting. Every report -> IRQ 5; the end -> IRQ 6. Waits. */
int bh_gap_scan_start(uint32_t duration_ms, uint16_t itvl_625us, uint16_t window_625us,
                      bool active);
/* Stop and raise IRQ 6 before returning; no-op (0, no event) when idle.
 * Does not wait (safe from the application's event callback). */
int bh_gap_scan_stop(void);
bool bh_gap_scan_active(void);

/* LE Create Connection to addr (little-endian). Stops a running scan first
 * (IRQ 6). p NULL: defaults above. timeout_ms 0: default, < 0: none.
 * Success -> IRQ 7; failure, timeout or cancel -> IRQ 8 (0xFF, zero
 * address). -EALREADY if an attempt is pending, -EINVAL. Waits. */
int bh_gap_connect(uint8_t addr_type, const uint8_t addr[6], int32_t timeout_ms,
                   const struct bh_gap_conn_params *p);
/* Cancel the pending attempt (IRQ 8 follows). -EALREADY if none. Does
 * not wait. */
int bh_gap_connect_cancel(void);
/* Cancel and report the failure at once (IRQ 8), for shutdown. */
void bh_gap_connect_abort(void);
bool bh_gap_connect_pending(void);
/* From gap_conn.c: LE Connection Complete in the central role. Returns
 * whether it ends an attempt of ours (then its timer is stopped). */
bool bh_gap_connect_on_complete(uint8_t status);

/* ---- disconnecting (gap_disc.c) -------------------------------------------------- */

/* HCI Disconnect (Vol 4 Part E 7.1.6) without losing data already sent:
 * the link turns DISCONNECTING at once, but the command goes to the
 * controller only when the link has no ACL left in the host queue and
 * none unacknowledged in the controller (Number Of Completed Packets,
 * 7.7.19), or after BH_CONFIG_DISCONNECT_DRAIN_MS at the latest. A link
 * with nothing pending (or a bound of 0) is disconnected within this call,
 * as before. While it waits the API refuses new sends on the link
 * (-ENOTCONN, it is not CONNECTED), but the host's own replies still queue
 * and are drained too. A Disconnection Complete from the peer meanwhile
 * ends the wait. Returns 0, -ENOTCONN if unknown, -EALREADY if already
 * disconnecting, or the bh_hci_cmd_send() error of an immediate Disconnect
 * (link unchanged). A held-back Disconnect that finds the command queue
 * full is retried; any other failure then leaves the link CONNECTED, as a
 * refusal by the controller does. Completion: IRQ 2 (we are peripheral)
 * or 8. Does not wait. */
int bh_gap_disconnect(uint16_t handle, uint8_t reason);
/* Disconnect every link and wait for their Disconnection Complete, at most
 * timeout_ms; links still up then are dropped locally (-ETIMEDOUT). Data
 * draining (above) may use at most half of timeout_ms. Waits. */
int bh_gap_disconnect_all(uint32_t timeout_ms);

/* ---- connections (gap_conn.c) --------------------------------------------------- */

/* The ranges of Vol 3 Part A 4.20 (and the supervision timeout rule). */
bool bh_gap_conn_params_valid(const struct bh_gap_conn_params *p);
/* Ask for new parameters: as central with LE Connection Update; as
 * peripheral the same when both controllers support the Connection
 * Parameters Request procedure, else the L2CAP Connection Parameter
 * Update Request. IRQ 27 when the parameters change. -ENOTCONN, -EINVAL,
 * -EBUSY (an update is outstanding). */
int bh_gap_conn_param_update(uint16_t handle, const struct bh_gap_conn_params *p);
/* Central: apply parameters the peer asked for over L2CAP (l2cap_sig.c). */
int bh_gap_conn_param_apply(struct bh_conn *c, const struct bh_gap_conn_params *p);
/* Peripheral: our L2CAP request was rejected or timed out (l2cap_sig.c). */
void bh_gap_conn_param_update_failed(struct bh_conn *c, uint8_t status);

/* ---- data length and PHY (gap_conn.c) ---------------------------------------------- */

/* Run-time switches of what happens after each connection (defaults:
 * BH_CONFIG_GAP_DATA_LENGTH, BH_CONFIG_GAP_2M_PHY). Some controllers
 * misbehave with one or the other. */
void bh_gap_set_auto_data_length(bool on);
bool bh_gap_auto_data_length(void);
void bh_gap_set_auto_2m_phy(bool on);
bool bh_gap_auto_2m_phy(void);

struct bh_gap_link_info {
    uint16_t tx_octets, tx_time_us, rx_octets, rx_time_us; /* LE Data Length Change */
    uint8_t tx_phy, rx_phy;                                /* BH_GAP_PHY_* */
    bool remote_features_valid;
    uint8_t remote_features[8];
};
/* What the controller reported about a link. -ENOTCONN. */
int bh_gap_link_info(uint16_t handle, struct bh_gap_link_info *info);
/* LE Set Data Length / LE Set PHY on one link, by hand. -ENOTCONN,
 * -EINVAL, -EOPNOTSUPP (the controller lacks the feature). */
int bh_gap_set_data_length(uint16_t handle, uint16_t tx_octets, uint16_t tx_time_us);
int bh_gap_set_phy(uint16_t handle, uint8_t tx_phys, uint8_t rx_phys);

/* Tear a connection down locally (no HCI): lifecycle calls, slot freed,
 * IRQ 2 or 8 raised with reason. For shutdown and Hardware Error. */
void bh_gap_conn_drop(struct bh_conn *c, uint8_t reason);

#endif /* BH_HOST_GAP_H */

/* SPDX-License-Identifier: MIT */
/*
 * bh_ble.h: the API layer. One function per call of MicroPython's bluetooth
 * backend interface (extmod/modbluetooth.h, see shared/API.md section 2),
 * events out through one callback with MicroPython's IRQ numbers and fields,
 * bond secrets in and out through two callbacks. The CPython module
 * (bindings/python) and a MicroPython backend (ports/micropython) are thin
 * layers over this header.
 *
 * Conventions: functions return 0 or a negative errno (-ENODEV when not
 * active, -EINVAL, -ENOTCONN, -ENOMEM, -EBUSY, -EALREADY, -ETIMEDOUT,
 * -EOPNOTSUPP). Addresses crossing this interface are 6 bytes in display
 * (big-endian) order, as MicroPython's. UUIDs are struct bh_uuid (type 2, 4
 * or 16 and little-endian bytes). Calling context: the application context
 * (cooperative ports) or with the host lock held (threaded ports). The event
 * callback runs from bh_process() (or synchronously inside a call where
 * API.md says so, e.g. scan stop) and may call any function here.
 */
#ifndef BH_BLE_H
#define BH_BLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IRQ event numbers, API.md 1.4 */
#define BH_IRQ_CENTRAL_CONNECT 1
#define BH_IRQ_CENTRAL_DISCONNECT 2
#define BH_IRQ_GATTS_WRITE 3
#define BH_IRQ_GATTS_READ_REQUEST 4
#define BH_IRQ_SCAN_RESULT 5
#define BH_IRQ_SCAN_DONE 6
#define BH_IRQ_PERIPHERAL_CONNECT 7
#define BH_IRQ_PERIPHERAL_DISCONNECT 8
#define BH_IRQ_GATTC_SERVICE_RESULT 9
#define BH_IRQ_GATTC_SERVICE_DONE 10
#define BH_IRQ_GATTC_CHARACTERISTIC_RESULT 11
#define BH_IRQ_GATTC_CHARACTERISTIC_DONE 12
#define BH_IRQ_GATTC_DESCRIPTOR_RESULT 13
#define BH_IRQ_GATTC_DESCRIPTOR_DONE 14
#define BH_IRQ_GATTC_READ_RESULT 15
#define BH_IRQ_GATTC_READ_DONE 16
#define BH_IRQ_GATTC_WRITE_DONE 17
#define BH_IRQ_GATTC_NOTIFY 18
#define BH_IRQ_GATTC_INDICATE 19
#define BH_IRQ_GATTS_INDICATE_DONE 20
#define BH_IRQ_MTU_EXCHANGED 21
#define BH_IRQ_L2CAP_ACCEPT 22
#define BH_IRQ_L2CAP_CONNECT 23
#define BH_IRQ_L2CAP_DISCONNECT 24
#define BH_IRQ_L2CAP_RECV 25
#define BH_IRQ_L2CAP_SEND_READY 26
#define BH_IRQ_CONNECTION_UPDATE 27
#define BH_IRQ_ENCRYPTION_UPDATE 28
#define BH_IRQ_GET_SECRET 29
#define BH_IRQ_SET_SECRET 30
#define BH_IRQ_PASSKEY_ACTION 31

/* IRQ 31 actions, API.md 1.1 (1 = OOB is never raised) */
#define BH_PASSKEY_ACTION_INPUT 2
#define BH_PASSKEY_ACTION_DISPLAY 3
#define BH_PASSKEY_ACTION_NUMERIC_COMPARISON 4

/* Characteristic and descriptor flags, API.md 1.1 (low byte = GATT properties) */
#define BH_FLAG_BROADCAST 0x0001
#define BH_FLAG_READ 0x0002
#define BH_FLAG_WRITE_NO_RESPONSE 0x0004
#define BH_FLAG_WRITE 0x0008
#define BH_FLAG_NOTIFY 0x0010
#define BH_FLAG_INDICATE 0x0020
#define BH_FLAG_AUTHENTICATED_SIGNED_WRITE 0x0040
#define BH_FLAG_AUX_WRITE 0x0100
#define BH_FLAG_READ_ENCRYPTED 0x0200
#define BH_FLAG_READ_AUTHENTICATED 0x0400
#define BH_FLAG_READ_AUTHORIZED 0x0800
#define BH_FLAG_WRITE_ENCRYPTED 0x1000
#define BH_FLAG_WRITE_AUTHENTICATED 0x2000
#define BH_FLAG_WRITE_AUTHORIZED 0x4000

/* Address modes for bh_ble_set_addr_mode(), API.md 1.3 config(addr_mode) */
#define BH_ADDR_MODE_PUBLIC 0
#define BH_ADDR_MODE_RANDOM 1
#define BH_ADDR_MODE_RPA 2
#define BH_ADDR_MODE_NRPA 3

/* gattc_write modes */
#define BH_GATTC_WRITE_NO_RSP 0
#define BH_GATTC_WRITE_RSP 1

/* gatts_notify_indicate op */
#define BH_GATTS_NOTIFY 1
#define BH_GATTS_INDICATE 2

struct bh_uuid {
    uint8_t type;     /* 2, 4 or 16: also the length */
    uint8_t data[16]; /* little-endian */
};

/* One event. Pointers (data, uuid) are valid only during the callback. */
struct bh_ble_event {
    uint8_t irq;
    uint16_t conn;
    union {
        struct { /* 1, 2, 7, 8 */
            uint8_t addr_type; /* 0xFF with a zero address when unknown/failed */
            uint8_t addr[6];
        } connect;
        struct { /* 3, 4 */
            uint16_t handle;
        } gatts;
        struct { /* 5 */
            uint8_t addr_type;
            uint8_t addr[6];
            uint8_t adv_type;
            int8_t rssi;
            const uint8_t *data;
            uint16_t len;
        } scan;
        struct { /* 9 */
            uint16_t start, end;
            struct bh_uuid uuid;
        } service;
        struct { /* 11 */
            uint16_t end_handle, value_handle;
            uint8_t properties;
            struct bh_uuid uuid;
        } chr;
        struct { /* 13 */
            uint16_t handle;
            struct bh_uuid uuid;
        } dsc;
        struct { /* 10, 12, 14 */
            uint16_t status;
        } done;
        struct { /* 15, 18, 19 */
            uint16_t handle;
            const uint8_t *data;
            uint16_t len;
        } data;
        struct { /* 16, 17, 20 */
            uint16_t handle;
            uint16_t status;
        } status;
        struct { /* 21 */
            uint16_t mtu;
        } mtu;
        struct { /* 22, 23, 24, 25, 26 */
            uint16_t cid, psm, our_mtu, peer_mtu;
            uint16_t status;
        } l2cap;
        struct { /* 27 */
            uint16_t itvl, latency, timeout;
            uint8_t status;
        } conn_update;
        struct { /* 28 */
            uint8_t encrypted, authenticated, bonded, key_size;
        } enc;
        struct { /* 31 */
            uint8_t action;
            uint32_t passkey;
        } passkey;
    };
};

/* The return value matters for BH_IRQ_GATTS_READ_REQUEST (0 allow, else the
 * ATT error to send) and BH_IRQ_L2CAP_ACCEPT (0 accept, else reject). */
typedef int (*bh_ble_event_cb_t)(void *ctx, const struct bh_ble_event *ev);
void bh_ble_set_event_cb(bh_ble_event_cb_t cb, void *ctx);

/* Secret store (API.md 2.6). get: key NULL enumerates by index. Returns
 * true and sets *value and *value_len (valid until the next call) if found.
 * set: value NULL deletes. Returns true on success. */
struct bh_ble_secret_store {
    bool (*get)(void *ctx, uint8_t type, uint8_t index, const uint8_t *key, uint16_t key_len,
                const uint8_t **value, size_t *value_len);
    bool (*set)(void *ctx, uint8_t type, const uint8_t *key, uint16_t key_len,
                const uint8_t *value, size_t value_len);
    void *ctx;
};
void bh_ble_set_secret_store(const struct bh_ble_secret_store *store);

/* ---- lifecycle ------------------------------------------------------------- */

/* active(True): bring HCI up (the transport must be installed), register the
 * GAP and GATT services. Blocks until ready: 0, -ETIMEDOUT, -EIO. If already
 * active, restarts (as NimBLE). */
int bh_ble_init(void);
/* active(False): disconnect every link, stop advertising and scanning, drop
 * services and values, bring HCI down. No-op when inactive. */
int bh_ble_deinit(void);
bool bh_ble_is_active(void);

/* ---- GAP --------------------------------------------------------------------- */

int bh_ble_get_addr(uint8_t *addr_type, uint8_t addr[6]);
int bh_ble_set_addr_mode(uint8_t mode);
size_t bh_ble_gap_get_name(const uint8_t **name);
int bh_ble_gap_set_name(const uint8_t *name, size_t len);
/* adv/sr NULL: keep the previous payload; len 0 clears. > 31 bytes: -EINVAL. */
int bh_ble_gap_adv_start(bool connectable, int32_t interval_us, const uint8_t *adv,
                         size_t adv_len, const uint8_t *sr, size_t sr_len);
int bh_ble_gap_adv_stop(void);
int bh_ble_gap_scan_start(int32_t duration_ms, int32_t interval_us, int32_t window_us,
                          bool active);
int bh_ble_gap_scan_stop(void);
int bh_ble_gap_connect(uint8_t addr_type, const uint8_t addr[6], int32_t duration_ms,
                       int32_t min_itvl_us, int32_t max_itvl_us);
int bh_ble_gap_connect_cancel(void);
int bh_ble_gap_disconnect(uint16_t conn);
int bh_ble_get_preferred_mtu(void);
int bh_ble_set_preferred_mtu(uint16_t mtu);

/* ---- GATT server -------------------------------------------------------------- */

int bh_ble_gatts_register_begin(bool append);
/* As mp_bluetooth_gatts_register_service: descriptor arrays flattened across
 * characteristics; handles[] receives, per characteristic, its value handle
 * then its user descriptors' handles. */
int bh_ble_gatts_register_service(const struct bh_uuid *svc, const struct bh_uuid **chr_uuids,
                                  const uint16_t *chr_flags, const struct bh_uuid **dsc_uuids,
                                  const uint16_t *dsc_flags, const uint8_t *n_dsc_per_chr,
                                  uint16_t *handles, size_t n_chr);
int bh_ble_gatts_register_end(void);
int bh_ble_gatts_read(uint16_t handle, const uint8_t **value, size_t *len);
int bh_ble_gatts_write(uint16_t handle, const uint8_t *value, size_t len, bool send_update);
/* value NULL: send the stored value. op: BH_GATTS_NOTIFY or BH_GATTS_INDICATE. */
int bh_ble_gatts_notify_indicate(uint16_t conn, uint16_t handle, int op, const uint8_t *value,
                                 size_t len);
int bh_ble_gatts_set_buffer(uint16_t handle, size_t len, bool append);

/* ---- GATT client ---------------------------------------------------------------- */

int bh_ble_gattc_discover_services(uint16_t conn, const struct bh_uuid *uuid);
int bh_ble_gattc_discover_characteristics(uint16_t conn, uint16_t start, uint16_t end,
                                          const struct bh_uuid *uuid);
int bh_ble_gattc_discover_descriptors(uint16_t conn, uint16_t start, uint16_t end);
int bh_ble_gattc_read(uint16_t conn, uint16_t handle);
int bh_ble_gattc_write(uint16_t conn, uint16_t handle, const uint8_t *value, size_t len,
                       unsigned mode);
int bh_ble_gattc_exchange_mtu(uint16_t conn);

/* ---- pairing and bonding ------------------------------------------------------------ */

void bh_ble_set_bonding(bool bonding);
void bh_ble_set_mitm(bool mitm);
void bh_ble_set_le_secure(bool le_secure);
/* blehost only: whether we offer LE Secure Connections (default true).
 * false makes every pairing LE legacy pairing (interop with peers that
 * mishandle SC, and tests); with le_secure also set, pairing is refused. */
void bh_ble_set_sc(bool sc);
void bh_ble_set_io_capability(uint8_t io);
int bh_ble_gap_pair(uint16_t conn);
int bh_ble_gap_passkey(uint16_t conn, uint8_t action, uint32_t passkey);
/* addr NULL: remove every bond. */
int bh_ble_gap_unpair(uint8_t addr_type, const uint8_t *addr);

/* ---- L2CAP credit-based channels ------------------------------------------------------ */

int bh_ble_l2cap_listen(uint16_t psm, uint16_t mtu);
int bh_ble_l2cap_connect(uint16_t conn, uint16_t psm, uint16_t mtu);
int bh_ble_l2cap_disconnect(uint16_t conn, uint16_t cid);
int bh_ble_l2cap_send(uint16_t conn, uint16_t cid, const uint8_t *buf, size_t len,
                      bool *stalled);
/* buf NULL: *len gets the bytes available. Else *len in: capacity, out: copied. */
int bh_ble_l2cap_recvinto(uint16_t conn, uint16_t cid, uint8_t *buf, size_t *len);

/* ---- raw HCI ----------------------------------------------------------------------------- */

int bh_ble_hci_cmd(uint16_t ogf, uint16_t ocf, const uint8_t *req, size_t req_len, uint8_t *rsp,
                   size_t rsp_len, uint8_t *status);

#endif /* BH_BLE_H */

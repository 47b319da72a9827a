/* SPDX-License-Identifier: MIT */
/*
 * gatts.h: the GATT server, internal interface.
 *
 * gatts_db.c owns the attribute database (Core 5.4 Vol 3 Part G 3: service
 * declaration, characteristic declaration, value, CCCD, user descriptors)
 * and the value store of API.md 1.5. The server is gatts.c (per-connection
 * CCCDs, access checks, notifications and indications), gatts_read.c and
 * gatts_write.c (the ATT request handlers, named bh_gatts_rx_<pdu>, called
 * from att.c's dispatch table; the Prepare Write queue) and gatts_cccd.c
 * (CCCD writes, subscriptions of bonded peers); gatts_internal.h is what
 * those files share. src/ble/ble_gatts.c maps the bh_ble_gatts_* API onto
 * the database and the server. Host context only.
 */
#ifndef BH_HOST_GATTS_H
#define BH_HOST_GATTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blehost/bh_ble.h"
#include "conn.h"
#include "os/bh_rdwr.h"

/* ---- attribute database (gatts_db.c) ---------------------------------------- */

enum bh_gatts_kind {
    BH_GATTS_KIND_SERVICE = 0, /* primary service declaration (0x2800) */
    BH_GATTS_KIND_CHR_DECL,    /* characteristic declaration (0x2803) */
    BH_GATTS_KIND_VALUE,       /* characteristic value */
    BH_GATTS_KIND_CCCD,        /* client characteristic configuration (0x2902) */
    BH_GATTS_KIND_DESC,        /* user descriptor */
};

/* Values the database computes instead of storing (GAP/GATT services). */
enum bh_gatts_special {
    BH_GATTS_SPECIAL_NONE = 0, /* user value or descriptor: in the value store */
    BH_GATTS_SPECIAL_NAME,     /* Device Name, through gap.c */
    BH_GATTS_SPECIAL_APPEARANCE,
    BH_GATTS_SPECIAL_SC, /* Service Changed: indicate only */
};

struct bh_gatts_attr {
    uint8_t kind;     /* enum bh_gatts_kind */
    uint8_t special;  /* enum bh_gatts_special */
    uint8_t uuid_len; /* 2, 4 or 16: the service, characteristic or descriptor UUID */
    bool append;      /* store entry in append mode */
    uint16_t flags;   /* BH_FLAG_* of the characteristic or descriptor */
    uint16_t val_off; /* store entry: offset in the value pool */
    uint16_t val_cap; /* store entry: capacity (0: no entry) */
    uint16_t val_len; /* store entry: current length */
    uint8_t uuid[16]; /* little-endian */
};

/* Wipe the database and the value store, then add GAP (0x1800: Device Name,
 * Appearance) and GATT (0x1801: Service Changed + CCCD). 0 or -ENOMEM. */
int bh_gatts_reset(void);
/* Append one service from the API's flat description (see
 * bh_ble_gatts_register_service). Returns 0, -EINVAL or -ENOMEM; on error
 * the database is left as before the call. */
int bh_gatts_db_add_service(const struct bh_uuid *svc, const struct bh_uuid **chr_uuids,
                            const uint16_t *chr_flags, const struct bh_uuid **dsc_uuids,
                            const uint16_t *dsc_flags, const uint8_t *n_dsc_per_chr,
                            uint16_t *handles, size_t n_chr);
/* Highest handle in use (0 when empty). */
uint16_t bh_gatts_db_last_handle(void);
/* The attribute at handle, or NULL (0 or beyond the database). */
const struct bh_gatts_attr *bh_gatts_db_attr(uint16_t handle);
/* The attribute type as sent in PDUs: 2 or 16 bytes written to out. */
uint8_t bh_gatts_db_type(uint16_t handle, uint8_t out[16]);
/* Last handle of the service whose declaration is at handle. */
uint16_t bh_gatts_db_group_end(uint16_t handle);
/* Value of a declaration, a stored value or a special value (CCCDs are
 * per connection: gatts.c). *p points into the store or into scratch
 * (BH_GATTS_SCRATCH bytes); valid until the store changes. Returns the
 * length. */
#define BH_GATTS_SCRATCH 20
uint16_t bh_gatts_db_value(uint16_t handle, const uint8_t **p, uint8_t *scratch);
/* The value handle of the Service Changed characteristic. */
uint16_t bh_gatts_db_sc_handle(void);

/* Value store (API.md 1.5). Each returns -EINVAL for a handle without an
 * entry (not a user characteristic value or descriptor). */
/* Local write: replace, growing the capacity to fit (may compact the pool,
 * so v must not point into the store). 0, -EINVAL, -ENOMEM. */
int bh_gatts_store_write(uint16_t handle, const uint8_t *v, size_t len);
/* Remote write: min(len, capacity) bytes, or appended up to capacity. */
int bh_gatts_store_remote_write(uint16_t handle, const uint8_t *v, size_t len);
/* Write len bytes at offset (Execute Write). The caller checked the bounds. */
int bh_gatts_store_write_at(uint16_t handle, uint16_t offset, const uint8_t *v, uint16_t len);
/* Local read; in append mode the value is drained (the bytes stay valid
 * until the next write). */
int bh_gatts_store_read(uint16_t handle, const uint8_t **v, size_t *len);
/* New capacity, value cleared, append mode set. 0, -EINVAL, -ENOMEM. */
int bh_gatts_store_set_buffer(uint16_t handle, size_t len, bool append);

/* ---- server (gatts.c, gatts_read.c, gatts_write.c, gatts_cccd.c) ----------- */

/* Request handlers: called by att.c's dispatch table with r after the
 * opcode and w a response buffer bounded by ATT_MTU (NULL for commands).
 * They return 0 when the response is written to w, or BH_GATTS_ERR(handle,
 * code) for att.c to send an Error Response instead. */
#define BH_GATTS_ERR(handle, code) ((int)(((uint32_t)(handle) << 8) | (uint32_t)(code)))
#define BH_GATTS_ERR_CODE(res) ((uint8_t)((unsigned)(res)&0xFF))
#define BH_GATTS_ERR_HANDLE(res) ((uint16_t)((unsigned)(res) >> 8))

/* gatts_read.c */
int bh_gatts_rx_find_information_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_find_by_type_value_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_read_by_type_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_read_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_read_blob_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_read_multiple_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_read_multiple_variable_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_read_by_group_type_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
/* gatts_write.c */
int bh_gatts_rx_write_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_write_cmd(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_prepare_write_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);
int bh_gatts_rx_execute_write_req(struct bh_conn *c, struct bh_rd *r, struct bh_wr *w);

/* Send a notification (BH_GATTS_NOTIFY) or indication (BH_GATTS_INDICATE)
 * of handle to c, whatever its CCCD says; value NULL sends the stored
 * value. Truncated to ATT_MTU - 3. While an indication is outstanding on
 * the link, an indication of the stored value is queued (up to
 * BH_GATTS_IND_QUEUE per link) and sent when the previous one is
 * confirmed; one with its own value gets -EBUSY. Returns 0, -EINVAL
 * (unknown handle), -ENOTCONN, -ENOMEM (no buffer), -EBUSY, -EPIPE (bearer
 * timed out). */
#define BH_GATTS_IND_QUEUE 4
int bh_gatts_notify_indicate(struct bh_conn *c, uint16_t handle, int op, const uint8_t *value,
                             size_t len);
/* After a local write with send_update: notify or indicate every connected
 * client according to its CCCD for handle. */
void bh_gatts_send_update(uint16_t handle);
/* The database changed: indicate Service Changed (0x0001-0xFFFF) to every
 * connected client that subscribed to it. */
void bh_gatts_service_changed(void);
/* The CCCD value of handle (a CCCD attribute) for c. */
uint16_t bh_gatts_cccd(const struct bh_conn *c, uint16_t cccd_handle);
/* Subscriptions of bonded peers (Core 5.4 Vol 3 Part G 3.3.3.3; blob format
 * in gatts_cccd.c and src/host/README-smp.md). c has just become bonded: pairing
 * with bonding completed, or encryption with the peer's stored bond. Loads
 * the peer's stored CCCDs into the link (values the peer already wrote on
 * this link win), then saves the link's set if it differs from the stored
 * one. Afterwards every CCCD change of a bonded link is saved as it
 * happens. No-op for a link that is not bonded. smp.c and smp_enc.c call
 * it, before they raise IRQ 28. */
void bh_gatts_bond_sync(struct bh_conn *c);

struct bh_gatts_stats {
    uint32_t rx_signed_write_dropped; /* Signed Write Command: not supported, dropped */
    uint32_t rx_write_cmd_dropped;    /* Write Command that failed a check: dropped */
    uint32_t ind_queued;              /* indications queued behind an outstanding one */
    uint32_t tx_no_buf;               /* notify/indicate found no buffer */
    uint32_t cccd_restored;           /* subscriptions of bonded peers restored */
    uint32_t cccd_restore_bad;        /* stored entries that no longer fit the database */
    uint32_t cccd_store_failed;       /* subscriptions the secret store did not take */
};
const struct bh_gatts_stats *bh_gatts_stats(void);
/* Reset the server's per-connection state and statistics (host init,
 * before any connection). */
void bh_gatts_init(void);
/* The database was rebuilt (bh_gatts_reset calls this): forget every
 * subscription but Service Changed's, and the Prepare Write queue. */
void bh_gatts_cccd_reset(void);

#endif /* BH_HOST_GATTS_H */

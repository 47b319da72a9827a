/* SPDX-License-Identifier: MIT */
/*
 * gattc.h: the GATT client (Core 5.4 Vol 3 Part G 4), owned by gattc.c (the
 * procedure engine), gattc_disc.c (discovery, 4.4 to 4.7) and gattc_rw.c
 * (read, write, MTU exchange: 4.3, 4.8, 4.9). The ATT bearer below is att.c
 * (att.h); the API layer above is src/ble/ble_gattc.c.
 *
 * Every call below is for the host context. Each starts a procedure: an
 * object from a pool of BH_CONFIG_GATTC_MAX_PROCS shared by all links.
 * Procedures of one link are queued and run one after another (ATT allows
 * one outstanding request, Vol 3 Part F 3.3.2); a call never refuses with
 * -EBUSY while the pool has room. Results and the final event go to the
 * application through bh_ble_emit() with MicroPython's IRQ numbers (API.md
 * 1.4); no event is ever emitted from inside one of these calls.
 *
 * Status in done-events: 0 success, 0x01..0xFF the peer's ATT error code,
 * or one of the local codes below (above 0xFF, so never an ATT code).
 */
#ifndef BH_HOST_GATTC_H
#define BH_HOST_GATTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blehost/bh_ble.h"
#include "blehost/bh_buf.h"
#include "conn.h"
#include "os/bh_rdwr.h"

/* Local statuses of done-events (never ATT error codes, which are 8-bit) */
#define BH_GATTC_STATUS_BAD_RSP 0x0101      /* malformed or mismatched response */
#define BH_GATTC_STATUS_TIMEOUT 0x0102      /* ATT transaction timeout, bearer dead */
#define BH_GATTC_STATUS_DISCONNECTED 0x0103 /* link went down */
#define BH_GATTC_STATUS_SEND_FAILED 0x0104  /* the request could not be queued */

/* Largest attribute value, Vol 3 Part F 3.2.9: bounds long reads. */
#define BH_GATTC_ATTR_VALUE_MAX 512

void bh_gattc_init(void);

/* Discover primary services: all (uuid NULL) or by UUID (4.4.1, 4.4.2).
 * IRQ 9 per service, then 10. 0, -EINVAL (bad uuid), -ENOMEM (pool full),
 * -ENOTCONN (link down or bearer dead). */
int bh_gattc_disc_svcs(struct bh_conn *c, const struct bh_uuid *uuid);
/* Characteristics in [start, end], optionally filtered by uuid (4.6.1).
 * IRQ 11 per characteristic (end handle = before the next declaration, or
 * end for the last), then 12. -EINVAL if start is 0 or after end. */
int bh_gattc_disc_chrs(struct bh_conn *c, uint16_t start, uint16_t end,
                       const struct bh_uuid *uuid);
/* Every attribute in (start, end] (4.7.1, Find Information). IRQ 13 each,
 * then 14. start == end: just 14 with status 0. */
int bh_gattc_disc_dscs(struct bh_conn *c, uint16_t start, uint16_t end);

/* One ATT Read (4.8.1): IRQ 15 then 16; on error only 16. */
int bh_gattc_read(struct bh_conn *c, uint16_t handle);
/* Long read (4.8.3): Read, then Read Blob while responses fill ATT_MTU-1,
 * up to BH_GATTC_ATTR_VALUE_MAX bytes. One IRQ 15 per part, in order (the
 * parts concatenated are the value), then 16. */
int bh_gattc_read_long(struct bh_conn *c, uint16_t handle);
/* Write Request (4.9.3), value truncated to ATT_MTU-3: IRQ 17 with status.
 * The PDU is built now (value copied): -ENOMEM if no transmit buffer. */
int bh_gattc_write(struct bh_conn *c, uint16_t handle, const uint8_t *value, size_t len);
/* Write Command (4.9.1), sent at once, truncated to ATT_MTU-3, no event.
 * -ENOMEM when no transmit buffer, -ENOTCONN. */
int bh_gattc_write_no_rsp(struct bh_conn *c, uint16_t handle, const uint8_t *value, size_t len);
/* Exchange MTU (4.3.1) offering bh_att_preferred_mtu(); on the response
 * the link's MTU becomes min(ours, theirs) (at least 23) and IRQ 21 goes
 * out. An Error Response ends it without an event (NimBLE does the same).
 * Once per link (Vol 3 Part F 3.4.2.1): a second call gives -EALREADY. */
int bh_gattc_exchange_mtu(struct bh_conn *c);

struct bh_gattc_stats {
    uint32_t rx_unexpected; /* response while no procedure waited: dropped */
    uint32_t rx_bad_rsp;    /* malformed/mismatched response: procedure failed */
    uint32_t no_proc;       /* pool empty: -ENOMEM */
    uint32_t tx_stalled;    /* no transmit buffer: procedure waited for one */
    uint32_t notify_rx;     /* notifications and indications delivered */
};
const struct bh_gattc_stats *bh_gattc_stats(void);
/* Procedures in use (tests: every one must be back at the end). */
unsigned bh_gattc_procs_in_use(void);

/* ---- engine internals shared by gattc.c, gattc_disc.c, gattc_rw.c ---------- */

enum bh_gattc_kind {
    BH_GATTC_KIND_NONE = 0,
    BH_GATTC_KIND_DISC_SVC_ALL,
    BH_GATTC_KIND_DISC_SVC_UUID,
    BH_GATTC_KIND_DISC_CHR,
    BH_GATTC_KIND_DISC_DSC,
    BH_GATTC_KIND_READ,
    BH_GATTC_KIND_READ_LONG,
    BH_GATTC_KIND_WRITE,
    BH_GATTC_KIND_MTU,
    BH_GATTC_KIND_COUNT,
};

enum bh_gattc_state {
    BH_GATTC_STATE_IDLE = 0, /* free pool slot */
    BH_GATTC_STATE_READY,    /* queued: has a request to send when it is its turn */
    BH_GATTC_STATE_STALLED,  /* no transmit buffer: waits for the pool */
    BH_GATTC_STATE_WAIT_RSP, /* request outstanding */
    BH_GATTC_STATE_DONE,     /* terminal: outcome in status, being released */
};

/* What a start or rx step asks the engine to do next. */
enum bh_gattc_step {
    BH_GATTC_STEP_SENT,  /* request sent: wait for the response */
    BH_GATTC_STEP_STALL, /* no transmit buffer: wait for one, then start again */
    BH_GATTC_STEP_NEXT,  /* response consumed: start the next request */
    BH_GATTC_STEP_DONE,  /* finished with p->status */
    BH_GATTC_STEP_GONE,  /* the proc ended during an event callback: touch nothing */
};

struct bh_gattc_chr {
    uint16_t decl_handle;
    uint16_t value_handle;
    uint8_t props;
    struct bh_uuid uuid;
};

struct bh_gattc_proc {
    struct bh_snode node; /* in its link's queue */
    struct bh_conn *conn;
    uint16_t serial;      /* changes on every allocation */
    uint16_t status;      /* outcome once DONE */
    uint8_t kind;         /* enum bh_gattc_kind */
    uint8_t state;        /* enum bh_gattc_state, only via gattc_set_state */
    uint8_t req_op;       /* opcode of the request in flight */
    union {
        struct {
            uint16_t next;
            struct bh_uuid uuid; /* DISC_SVC_UUID only */
        } svc;
        struct {
            uint16_t next, end;
            bool held;           /* `chr` waits for its end handle */
            struct bh_uuid filter; /* type 0: none */
            struct bh_gattc_chr chr;
        } chr;
        struct {
            uint16_t next, end;
        } dsc;
        struct {
            uint16_t handle;
            uint16_t offset; /* long read: bytes received so far */
        } read;
        struct {
            uint16_t handle;
            struct bh_buf *pdu; /* built at the call, sent when its turn comes */
        } write;
        struct {
            uint16_t ours; /* the MTU we offered */
        } mtu;
    };
};

/* Per-kind behaviour, one table row per kind (gattc.c holds the table). */
struct bh_gattc_ops {
    /* Build and send the next request: SENT, STALL or DONE. */
    enum bh_gattc_step (*start)(struct bh_gattc_proc *p);
    /* The expected response (opcode already checked; r after it): NEXT, DONE
     * or GONE. */
    enum bh_gattc_step (*rx)(struct bh_gattc_proc *p, struct bh_rd *r);
    /* Error Response for our request: NEXT, DONE or GONE (NULL: DONE with
     * the ATT code as status). */
    enum bh_gattc_step (*err)(struct bh_gattc_proc *p, uint16_t handle, uint8_t code);
    /* The final event for p->status; false: no event. */
    bool (*done)(const struct bh_gattc_proc *p, struct bh_ble_event *ev);
};

extern const struct bh_gattc_ops bh_gattc_disc_svc_all_ops;
extern const struct bh_gattc_ops bh_gattc_disc_svc_uuid_ops;
extern const struct bh_gattc_ops bh_gattc_disc_chr_ops;
extern const struct bh_gattc_ops bh_gattc_disc_dsc_ops;
extern const struct bh_gattc_ops bh_gattc_read_ops;
extern const struct bh_gattc_ops bh_gattc_read_long_ops;
extern const struct bh_gattc_ops bh_gattc_write_ops;
extern const struct bh_gattc_ops bh_gattc_mtu_ops;

/* A READY procedure of this kind for c in *out: 0, -ENOTCONN (link not up
 * or bearer dead), -ENOMEM (pool empty). */
int bh_gattc_proc_new(struct bh_conn *c, enum bh_gattc_kind kind, struct bh_gattc_proc **out);
/* True the first time per link (Exchange MTU is allowed once). */
bool bh_gattc_mtu_claim(struct bh_conn *c);
/* 0 if c can carry client requests, else -ENOTCONN. */
int bh_gattc_link_check(const struct bh_conn *c);
/* Queue p on its link and schedule the engine. */
void bh_gattc_proc_submit(struct bh_gattc_proc *p);
/* Release a procedure that was never submitted (argument check failed late). */
void bh_gattc_proc_discard(struct bh_gattc_proc *p);
/* Send a request built in buf (consumed) for p: SENT, or DONE with a local
 * status when the bearer refuses it. */
enum bh_gattc_step bh_gattc_send(struct bh_gattc_proc *p, struct bh_buf *buf);
/* A buffer for p's next request, or NULL: then return STALL. */
struct bh_buf *bh_gattc_buf_alloc(struct bh_gattc_proc *p);
/* Emit a result event (conn filled in). False when p ended during the
 * callback (the application deinitialised or the link went down). */
bool bh_gattc_emit_result(struct bh_gattc_proc *p, struct bh_ble_event *ev);
/* A response that breaks the protocol: count it, finish with BAD_RSP. */
enum bh_gattc_step bh_gattc_bad_rsp(struct bh_gattc_proc *p, const char *why);
/* Finish with a status (DONE). */
enum bh_gattc_step bh_gattc_finish_with(struct bh_gattc_proc *p, uint16_t status);

/* UUIDs: read a 2- or 16-byte wire UUID; compare (16/32/128-bit forms of the
 * same UUID are equal, Vol 3 Part B 2.5.1); write as 2 or 16 bytes. */
void bh_gattc_uuid_from_wire(struct bh_uuid *u, const uint8_t *p, uint16_t len);
bool bh_gattc_uuid_eq(const struct bh_uuid *a, const struct bh_uuid *b);
void bh_gattc_uuid_to_wire(struct bh_wr *w, const struct bh_uuid *u);
bool bh_gattc_uuid_valid(const struct bh_uuid *u);

#endif /* BH_HOST_GATTC_H */

/* SPDX-License-Identifier: MIT */
/*
 * bh_hci.h: the HCI layer as the rest of the host and applications see it.
 *
 * Commands go through a queue that honours the controller's command credits
 * (Num_HCI_Command_Packets, Core 5.4 Vol 4 Part E 4.4) and time out after
 * BH_CONFIG_HCI_CMD_TIMEOUT_MS. Asynchronous commands report through a
 * callback from bh_process(); synchronous ones wait on a semaphore (API
 * entry points only: see bh_sem_take()). ACL data is flow-controlled by the
 * controller's LE buffer count and fragmented to its buffer length
 * (Vol 4 Part E 4.1); received ACL is reassembled into whole L2CAP frames.
 * All functions: host context, unless marked otherwise.
 */
#ifndef BH_HCI_H
#define BH_HCI_H

#include <stdbool.h>
#include <stdint.h>

#include "bh_buf.h"
#include "bh_hci_transport.h"

/* Completion of a command. err: 0 when the controller answered (status is
 * its HCI status, rp/rp_len the return parameters after the status byte,
 * empty for Command Status), -ETIMEDOUT, or -ECANCELED (HCI shut down).
 * rp is valid only during the call. */
typedef void (*bh_hci_cmd_cb_t)(void *ctx, int err, uint8_t status, const uint8_t *rp,
                                uint16_t rp_len);

/* Queue a command; cb (may be NULL) runs when it completes. Returns 0,
 * -EINVAL (len > BH_CONFIG_HCI_CMD_PARAM_MAX), -ENOBUFS (queue full) or
 * -ENETDOWN (no transport / HCI down). */
int bh_hci_cmd_send(uint16_t opcode, const uint8_t *params, uint8_t len, bh_hci_cmd_cb_t cb,
                    void *ctx);

/* Send and wait for completion (API entry points only). Copies up to rp_cap
 * return-parameter bytes (after the status) to rp and their count to
 * *rp_len (both may be NULL), and the HCI status to *status (may be NULL).
 * Returns 0 if the controller answered with success, the mapped errno of a
 * failure status (bh_hci_status_to_errno), or -ETIMEDOUT, -ENOBUFS,
 * -ENETDOWN, -EDEADLK (waits nested too deep), -EINVAL. */
int bh_hci_cmd_sync(uint16_t opcode, const uint8_t *params, uint8_t len, uint8_t *rp,
                    uint16_t rp_cap, uint16_t *rp_len, uint8_t *status);

/* HCI status to negative errno (0 stays 0). Vol 1 Part F. */
int bh_hci_status_to_errno(uint8_t status);

/* What init learnt about the controller. */
struct bh_hci_info {
    uint8_t hci_version;
    uint16_t hci_revision;
    uint8_t lmp_version;
    uint16_t manufacturer;
    uint16_t lmp_subversion;
    uint8_t commands[64];  /* Supported Commands, Vol 4 Part E 6.27 */
    uint8_t features[8];   /* LMP features page 0 */
    uint8_t le_features[8];
    uint8_t bd_addr[6];    /* public address, little-endian as on the wire; zero if none */
    uint8_t id_addr[6];    /* identity address used, little-endian */
    uint8_t id_addr_type;  /* BH_HCI_ADDR_PUBLIC or BH_HCI_ADDR_RANDOM (static) */
    uint16_t acl_len;      /* controller's LE ACL data length */
    uint16_t acl_num;      /* controller's LE ACL buffers */
};

/* Reset all HCI state: queues, pools, statistics. Call once after
 * bh_os_init() and before bh_hci_set_transport()/bh_hci_up(). */
void bh_hci_init(void);

/* Bring HCI up: reset the controller and run the init sequence (Reset, Read
 * Local Version, Supported Commands and Features, LE features, BD_ADDR, event
 * masks, buffer sizes, identity address). Waits (API entry point). Returns 0,
 * -ETIMEDOUT when the controller does not answer, -EIO on a failed step,
 * -ENODEV if the controller does not support LE, -EALREADY if up. */
int bh_hci_up(void);
/* Asynchronous form: done(ctx, err) runs from bh_process() at the end. */
int bh_hci_up_async(void (*done)(void *ctx, int err), void *ctx);
/* Tear down: cancel queued and in-flight commands (callbacks get -ECANCELED),
 * drop queued and partial ACL, stop timers. Leaves nothing pending, so
 * bh_hci_up() can run again. Idempotent. */
void bh_hci_down(void);
bool bh_hci_is_up(void);
const struct bh_hci_info *bh_hci_info(void);
/* A static random address (Core 5.4 Vol 6 Part B 1.3.2.1): the two most
 * significant bits 1, the other 46 neither all 0 nor all 1. Little-endian. */
bool bh_hci_addr_is_static(const uint8_t addr[6]);
static inline bool bh_hci_cmd_supported(const struct bh_hci_info *i, unsigned octet, unsigned bit)
{
    return octet < sizeof(i->commands) && (i->commands[octet] >> bit) & 1;
}
static inline bool bh_hci_le_feature(const struct bh_hci_info *i, unsigned bit)
{
    return (i->le_features[bit / 8] >> (bit % 8)) & 1;
}

/* Raw command API (MicroPython's hci_cmd): ogf/ocf, parameters, response
 * buffer for return parameters after status. Returns 0 or negative errno
 * (-EINVAL for a bad ogf/ocf or length); *status gets the HCI status. */
int bh_hci_cmd_raw(uint16_t ogf, uint16_t ocf, const uint8_t *req, uint8_t req_len, uint8_t *rsp,
                   uint16_t rsp_cap, uint16_t *rsp_len, uint8_t *status);

/* ---- upper-layer hooks (the host installs them) ------------------------ */

/* Every event the HCI layer does not consume itself (it consumes Command
 * Complete/Status, Number Of Completed Packets, Data Buffer Overflow; it
 * observes Disconnection Complete and Hardware Error, then forwards them).
 * p/len: event parameters, valid during the call. */
typedef void (*bh_hci_evt_cb_t)(uint8_t evt, const uint8_t *p, uint8_t len);
void bh_hci_set_evt_handler(bh_hci_evt_cb_t cb);

/* A whole reassembled L2CAP frame (basic header included) on a handle.
 * The buffer is borrowed: take a reference to keep it. */
typedef void (*bh_hci_acl_cb_t)(uint16_t handle, struct bh_buf *buf);
void bh_hci_set_acl_handler(bh_hci_acl_cb_t cb);

/* Called when controller buffers come back (Number Of Completed Packets):
 * a layer that stalled on a full ACL queue may send again. */
void bh_hci_set_acl_tx_ready_handler(void (*cb)(void));

/* Called from Number Of Completed Packets (Vol 4 Part E 7.7.19) for each
 * handle whose last outstanding packet it completed while nothing more is
 * queued for it: every byte the host gave that link was transmitted or
 * flushed. GAP uses it to send a held-back Disconnect. Not called when a
 * handle is forgotten (bh_hci_acl_conn_gone, bh_hci_down). */
typedef void (*bh_hci_acl_drained_cb_t)(uint16_t handle);
void bh_hci_set_acl_drained_handler(bh_hci_acl_drained_cb_t cb);

/* ---- ACL transmit -------------------------------------------------------- */

/* Headroom an ACL transmit buffer needs before its L2CAP frame. */
#define BH_HCI_ACL_HEADROOM 4

/* A transmit buffer with ACL headroom reserved, from the ACL TX pool, or
 * NULL when empty (see bh_hci_acl_pool() to wait for one). */
struct bh_buf *bh_hci_acl_buf_alloc(uint16_t extra_headroom);
struct bh_buf_pool *bh_hci_acl_pool(void);
/* The pool reassembled frames come from (for diagnostics and tests). */
struct bh_buf_pool *bh_hci_acl_rx_pool(void);

/* Queue one L2CAP frame for handle; sent in fragments of the controller's
 * ACL length as controller buffers allow, handles served round-robin.
 * Consumes buf on every path. Returns 0, -EINVAL (bad handle, empty, or not
 * enough headroom) or -ENETDOWN. */
int bh_hci_acl_send(uint16_t handle, struct bh_buf *buf);
/* Frames queued for handle but not yet wholly given to the controller. */
unsigned bh_hci_acl_queued(uint16_t handle);
/* Fragments given to the controller for handle that it has not yet
 * reported completed (Number Of Completed Packets). With
 * bh_hci_acl_queued() both 0, the link has nothing left to send. */
unsigned bh_hci_acl_in_flight(uint16_t handle);
/* Forget a handle: drop its queued and partial frames, return its in-flight
 * controller buffers (Vol 4 Part E 4.3: a disconnection flushes them). The
 * HCI layer calls this itself on Disconnection Complete. */
void bh_hci_acl_conn_gone(uint16_t handle);

/* ---- statistics (tests read them) ---------------------------------------- */

struct bh_hci_stats {
    uint32_t cmd_sent;
    uint32_t cmd_timeout;
    uint32_t cmd_unexpected;  /* Command Complete/Status matching no command */
    uint32_t evt_rx;
    uint32_t evt_bad_len;       /* event of a length its definition forbids: dropped */
    uint32_t h4_errors;       /* garbage or oversize H4 from the controller */
    uint32_t hw_error;        /* Hardware Error events */
    uint32_t buffer_overflow; /* Data Buffer Overflow events */
    uint32_t acl_tx_frags;
    uint32_t acl_rx_frames;   /* whole L2CAP frames delivered */
    uint32_t acl_rx_bad_flags;/* continuation without start, start during a frame, bad PB/BC */
    uint32_t acl_rx_too_long; /* frame longer than buffers, or more data than announced */
    uint32_t acl_rx_no_buf;   /* pool empty: frame dropped */
    uint32_t acl_rx_no_slot;  /* too many handles reassembling at once */
    uint32_t ncp_bad;         /* completed packets for unknown handles or beyond in-flight */
};
const struct bh_hci_stats *bh_hci_stats(void);

#endif /* BH_HCI_H */

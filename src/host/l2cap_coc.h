/* SPDX-License-Identifier: MIT */
/*
 * l2cap_coc.h: LE credit-based connection-oriented channels (Core 5.4 Vol 3
 * Part A 3.4, 4.22-4.24, 4.6/4.7, 10.1), owned by l2cap_coc.c. Used by
 * l2cap.c (K-frames on dynamic CIDs, lifecycle), l2cap_sig.c (the
 * signalling commands of the channels) and src/ble/ble_l2cap.c (the API).
 * The data path (K-frames, rings, credits) is l2cap_coc_data.c; the last
 * part of this header is what the two files share and nobody else uses.
 *
 * Channels come from a pool of BH_CONFIG_L2CAP_COC_MAX_CHAN shared by all
 * links; each has a receive ring and a transmit ring from static storage
 * (bh_config.h). Events to the application: IRQ 22..26 (API.md 1.4).
 * Host context only.
 */
#ifndef BH_HOST_L2CAP_COC_H
#define BH_HOST_L2CAP_COC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blehost/bh_os.h"
#include "conn.h"
#include "os/bh_rdwr.h"

/* LE Credit Based Connection Response results, Vol 3 Part A 4.23 Table 4.16.
 * (Wire constants: they belong in l2cap_spec.h, which l2cap_coc.c does not own.) */
#define BH_L2CAP_LE_RESULT_SUCCESS 0x0000
#define BH_L2CAP_LE_RESULT_SPSM_NOT_SUPPORTED 0x0002
#define BH_L2CAP_LE_RESULT_NO_RESOURCES 0x0004
#define BH_L2CAP_LE_RESULT_INSUFFICIENT_AUTHENTICATION 0x0005
#define BH_L2CAP_LE_RESULT_INSUFFICIENT_AUTHORIZATION 0x0006
#define BH_L2CAP_LE_RESULT_ENCRYPTION_KEY_SIZE_TOO_SHORT 0x0007
#define BH_L2CAP_LE_RESULT_INSUFFICIENT_ENCRYPTION 0x0008
#define BH_L2CAP_LE_RESULT_INVALID_SOURCE_CID 0x0009
#define BH_L2CAP_LE_RESULT_SOURCE_CID_ALREADY_ALLOCATED 0x000A
#define BH_L2CAP_LE_RESULT_UNACCEPTABLE_PARAMS 0x000B

/* Lengths of the commands' data, Vol 3 Part A 4.6, 4.7, 4.22-4.24 */
#define BH_L2CAP_DISCONNECTION_REQ_LEN 4
#define BH_L2CAP_DISCONNECTION_RSP_LEN 4
#define BH_L2CAP_LE_CREDIT_BASED_CONN_REQ_LEN 10
#define BH_L2CAP_LE_CREDIT_BASED_CONN_RSP_LEN 10
#define BH_L2CAP_FLOW_CONTROL_CREDIT_IND_LEN 4

/* Bounds, Vol 3 Part A 4.22: MTU >= 23, 23 <= MPS <= 65533; credits <= 65535 (10.1) */
#define BH_L2CAP_LE_MTU_MIN 23
#define BH_L2CAP_LE_MPS_MIN 23
#define BH_L2CAP_LE_MPS_MAX 65533
#define BH_L2CAP_LE_CREDITS_MAX 65535
/* Credits an empty receive ring backs: frames of up to our MPS each (10.1). */
#define BH_L2CAP_COC_RX_CREDITS_MAX                                                                \
    (BH_CONFIG_L2CAP_COC_RX_BUF_SIZE / BH_CONFIG_L2CAP_COC_MPS > BH_L2CAP_LE_CREDITS_MAX           \
         ? BH_L2CAP_LE_CREDITS_MAX                                                                 \
         : BH_CONFIG_L2CAP_COC_RX_BUF_SIZE / BH_CONFIG_L2CAP_COC_MPS)
/* LE_PSM ranges, Vol 3 Part A 4.22: 0x0001-0x007F fixed (SIG), 0x0080-0x00FF dynamic */
#define BH_L2CAP_LE_PSM_MAX 0x00FF

/* IRQ 24 status for a channel that never opened, besides the peer's result
 * code (0x0002..0x000B): positive errno values, above every result code. */
#define BH_L2CAP_COC_STATUS_NOT_CONNECTED 107 /* ENOTCONN: the link went down */
#define BH_L2CAP_COC_STATUS_TIMEOUT 110       /* ETIMEDOUT: no response (RTX) */
#define BH_L2CAP_COC_STATUS_REFUSED 111       /* ECONNREFUSED: Command Reject */

/* Security a listener demands before it accepts (bit flags). */
#define BH_L2CAP_COC_SEC_ENCRYPT 0x01 /* encrypted link */
#define BH_L2CAP_COC_SEC_AUTHEN 0x02  /* authenticated (MITM) keys; implies ENCRYPT */
#define BH_L2CAP_COC_SEC_KEY16 0x04   /* 128-bit encryption key */
#define BH_L2CAP_COC_SEC_AUTHOR 0x08  /* the accept hook authorizes: refusal is 0x0006 */

enum bh_l2cap_coc_state {
    BH_L2CAP_COC_STATE_IDLE = 0,      /* free slot */
    BH_L2CAP_COC_STATE_WAIT_CONN_RSP, /* our connection request is out (RTX) */
    BH_L2CAP_COC_STATE_ACCEPTING,     /* the application's accept hook runs */
    BH_L2CAP_COC_STATE_OPEN,
    BH_L2CAP_COC_STATE_WAIT_DISCONN_RSP, /* our disconnection request is out (RTX) */
    BH_L2CAP_COC_STATE_CLOSED,           /* terminal: IRQ 24 owed, then IDLE */
};

struct bh_l2cap_coc_stats {
    uint32_t rx_unknown_cid;    /* K-frame for no open channel: dropped */
    uint32_t rx_no_credit;      /* K-frame while the peer had no credit: channel disconnected */
    uint32_t rx_over_mps;       /* K-frame longer than our MPS: disconnected */
    uint32_t rx_over_mtu;       /* SDU length above our MTU: disconnected */
    uint32_t rx_bad_sdu;        /* first K-frame short, or frames beyond the SDU length */
    uint32_t credit_overflow;   /* credits past 65535: disconnected */
    uint32_t rx_unexpected_rsp; /* response or indication for no channel of ours: dropped */
    uint32_t conn_refused;      /* connection requests we answered with a failure */
    uint32_t rtx_timeouts;      /* our request got no response in time */
    uint32_t tx_no_buf;         /* had to wait for an ACL transmit buffer */
    uint32_t tx_owed_dropped;   /* owed response superseded by the peer's repeated request */
    uint32_t tx_frames;         /* K-frames sent */
    uint32_t credits_sent;      /* credits returned with Flow Control Credit Indications */
};
const struct bh_l2cap_coc_stats *bh_l2cap_coc_stats(void);

/* Reset every channel and listener (host init; no events). */
void bh_l2cap_coc_init(void);
/* The link is gone: every channel on it closes, IRQ 24 for each. */
void bh_l2cap_coc_conn_down(struct bh_conn *c);

/* A K-frame on a dynamic CID (0x0040-0x007F), basic header removed.
 * False (nothing done) if no open channel has this CID. */
bool bh_l2cap_coc_rx(struct bh_conn *c, uint16_t cid, struct bh_rd *r);

/* Signalling commands, called from l2cap_sig_table[] once the table row
 * checked the length. id is the command's identifier. */
void bh_l2cap_coc_rx_le_credit_based_conn_req(struct bh_conn *c, uint8_t id, struct bh_rd *r);
void bh_l2cap_coc_rx_le_credit_based_conn_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r);
void bh_l2cap_coc_rx_flow_control_credit_ind(struct bh_conn *c, uint8_t id, struct bh_rd *r);
void bh_l2cap_coc_rx_disconnection_req(struct bh_conn *c, uint8_t id, struct bh_rd *r);
void bh_l2cap_coc_rx_disconnection_rsp(struct bh_conn *c, uint8_t id, struct bh_rd *r);
/* A Command Reject with id: true if it answered a request of ours. */
bool bh_l2cap_coc_rx_command_reject(struct bh_conn *c, uint8_t id);

/* Largest MTU a channel can have: a whole SDU must fit the receive ring. */
uint16_t bh_l2cap_coc_mtu_max(void);

/* Listen on psm (0x0001-0x00FF) with our MTU mtu (clamped to
 * [23, bh_l2cap_coc_mtu_max()]) and sec (BH_L2CAP_COC_SEC_*). Listening
 * again on a PSM updates it. 0, -EINVAL (psm), -ENOMEM (table full). */
int bh_l2cap_coc_listen(uint16_t psm, uint16_t mtu, uint8_t sec);
/* Open a channel to psm on c: LE Credit Based Connection Request. IRQ 23
 * on success, IRQ 24 with a non-zero status on failure. 0, -EINVAL,
 * -ENOMEM (no free channel), -ENOBUFS, -ENOTCONN. */
int bh_l2cap_coc_connect(struct bh_conn *c, uint16_t psm, uint16_t mtu);
/* Disconnection Request; IRQ 24 (status 0) when answered or timed out.
 * 0, -EINVAL (no such channel), -EALREADY (disconnecting). */
int bh_l2cap_coc_disconnect(struct bh_conn *c, uint16_t cid);
/* Queue one SDU (copied). *stalled: the channel cannot take an SDU of the
 * largest size now; IRQ 26 follows when it can. 0, -EINVAL (no open
 * channel, or len above the peer's MTU or the transmit ring), -ENOMEM
 * (the ring has no room for it now: wait for IRQ 26). */
int bh_l2cap_coc_send(struct bh_conn *c, uint16_t cid, const uint8_t *data, size_t len,
                      bool *stalled);
/* buf NULL: *len gets the bytes of complete SDUs waiting. Else copy up to
 * *len of them, set *len to the count and return credits to the peer.
 * 0, -EINVAL (no open channel). */
int bh_l2cap_coc_recv(struct bh_conn *c, uint16_t cid, uint8_t *buf, size_t *len);

/* ---- shared by l2cap_coc.c and l2cap_coc_data.c only ---- */

/* One channel slot of l2cap_coc.c's pool. */
struct bh_l2cap_coc_chan {
    struct bh_dwork rtx;   /* our request's RTX (Vol 3 Part A 6.2.1) */
    struct bh_work resume; /* an ACL buffer came back: send what we owe */
    uint8_t state;         /* enum bh_l2cap_coc_state, via coc_set_state() */
    uint8_t conn_idx;
    uint8_t sig_id;  /* identifier of our outstanding request */
    bool tx_stalled; /* send() said stalled: IRQ 26 owed */
    bool disc_owed;  /* Disconnection Request not sent yet (no buffer) */
    bool rx_in_sdu;  /* a first K-frame arrived, the SDU is incomplete */
    uint8_t owed;    /* enum coc_owed: a reply of ours waits for a buffer */
    uint8_t rsp_id;  /* identifier of the peer's request we answer */
    uint16_t handle;
    uint16_t psm;
    uint16_t lcid; /* ours (source) */
    uint16_t rcid; /* the peer's (destination) */
    uint16_t our_mtu;
    uint16_t peer_mtu;
    uint16_t peer_mps;
    uint16_t tx_credits; /* K-frames we may send */
    uint16_t rx_credits; /* K-frames the peer may send */
    uint16_t rx_head;    /* receive ring: [avail][pend] from head */
    uint16_t rx_avail;   /* bytes of complete SDUs */
    uint16_t rx_pend;    /* bytes of the SDU being reassembled */
    uint16_t rx_sdu_len;
    uint16_t tx_head; /* transmit ring: tx_len bytes from head */
    uint16_t tx_len;
    uint16_t tx_sdu_left; /* bytes of the SDU being cut still in the ring */
};

/* l2cap_coc.c: the counters, writable. */
struct bh_l2cap_coc_stats *bh_l2cap_coc_stats_mut(void);
/* l2cap_coc.c: the slot's index in the pool (0..BH_CONFIG_L2CAP_COC_MAX_CHAN-1). */
unsigned bh_l2cap_coc_chan_index(const struct bh_l2cap_coc_chan *ch);
/* l2cap_coc.c: the channel's link, or NULL if that link is gone. */
struct bh_conn *bh_l2cap_coc_chan_conn(const struct bh_l2cap_coc_chan *ch);
/* l2cap_coc.c: the channel on c whose CID of ours is lcid, in any state but IDLE, or NULL. */
struct bh_l2cap_coc_chan *bh_l2cap_coc_chan_by_lcid(const struct bh_conn *c, uint16_t lcid);
/* l2cap_coc.c: application event irq (IRQ 22..26) for ch; bh_ble_emit's result. */
int bh_l2cap_coc_emit(uint8_t irq, const struct bh_l2cap_coc_chan *ch, uint16_t status);
/* l2cap_coc.c: the peer broke a rule: count it in *counter, disconnect the channel. */
void bh_l2cap_coc_violation(struct bh_l2cap_coc_chan *ch, uint32_t *counter, const char *what);

/* l2cap_coc_data.c: return the credits the free receive space backs (Flow Control Credit Ind). */
void bh_l2cap_coc_give_credits(struct bh_l2cap_coc_chan *ch);
/* l2cap_coc_data.c: send K-frames while credits and buffers last; IRQ 26 if owed and may_emit. */
void bh_l2cap_coc_tx_pump(struct bh_l2cap_coc_chan *ch, bool may_emit);

#endif /* BH_HOST_L2CAP_COC_H */

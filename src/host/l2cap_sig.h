/* SPDX-License-Identifier: MIT */
/*
 * l2cap_sig.h: the LE signalling channel (CID 0x0005, Core 5.4 Vol 3
 * Part A 4), owned by l2cap_sig.c; used by l2cap.c (lifecycle), gap_conn.c
 * (Connection Parameter Update Request) and, later, l2cap_coc.c (#7:
 * identifiers, Command Reject, the RTX timer). Host context only.
 */
#ifndef BH_HOST_L2CAP_SIG_H
#define BH_HOST_L2CAP_SIG_H

#include <stdint.h>

#include "gap.h"
#include "l2cap.h"

struct bh_l2cap_sig_stats {
    uint32_t rx_short;          /* no complete command header: dropped */
    uint32_t rx_bad_id;         /* identifier 0x00 (Vol 3 Part A 4): dropped */
    uint32_t rx_bad_rsp;        /* malformed response: dropped */
    uint32_t rx_unexpected_rsp; /* response to no request of ours: dropped */
    uint32_t tx_reject;         /* Command Reject sent */
    uint32_t tx_no_buf;         /* nothing sent for lack of a buffer */
    uint32_t tx_owed;           /* replies kept until an ACL buffer freed */
    uint32_t tx_owed_dropped;   /* owed replies dropped: the link's record was full */
    uint32_t rtx_timeouts;      /* our request got no response in time */
};
const struct bh_l2cap_sig_stats *bh_l2cap_sig_stats(void);

void bh_l2cap_sig_init(void);
void bh_l2cap_sig_conn_up(struct bh_conn *c);
void bh_l2cap_sig_conn_down(struct bh_conn *c);

/* Peripheral: send a Connection Parameter Update Request (Vol 3 Part A
 * 4.20). The outcome reaches gap_conn.c: rejection or RTX expiry through
 * bh_gap_conn_param_update_failed(), acceptance as the central's LE
 * Connection Update. 0, -EINVAL (we are central), -EBUSY (a request is
 * outstanding), -ENOBUFS. */
int bh_l2cap_sig_conn_param_update(struct bh_conn *c, const struct bh_gap_conn_params *p);

/* Replies owed per link while no ACL transmit buffer is free (the
 * bounded record of bh_l2cap_sig_send_owed). */
#define BH_L2CAP_SIG_OWED_MAX 4

/* Send a command we owe the peer (a response, a Command Reject, or
 * l2cap_coc.c's Disconnection Request after a bad Connection Response;
 * at most 10 bytes of data) on c: at once if an ACL buffer is free and no earlier
 * reply waits, else kept (copied) behind the earlier ones and sent, in
 * order, by a work item when the ACL pool frees a buffer; forgotten if
 * the link goes first. Host context. 0 (sent or owed), -ENOBUFS (the
 * record of BH_L2CAP_SIG_OWED_MAX is full: dropped, counted in
 * tx_owed_dropped), -EINVAL (len), -ENOTCONN. */
int bh_l2cap_sig_send_owed(struct bh_conn *c, uint8_t code, uint8_t id, const uint8_t *data,
                           uint16_t len);

/* Send a Command Reject (Vol 3 Part A 4.1) with reason and its data, owed
 * like any reply (bh_l2cap_sig_send_owed) when no buffer is free. */
int bh_l2cap_sig_send_reject(struct bh_conn *c, uint8_t id, uint16_t reason, const uint8_t *data,
                             uint16_t len);
/* l2cap.c's statistics, for the sig_rejected count. */
struct bh_l2cap_stats *bh_l2cap_stats_mut(void);

/* Send one command (header + data) on c; l2cap_coc.c sends its own
 * requests, responses and indications with it. 0 or -ENOBUFS, -ENOTCONN. */
int bh_l2cap_sig_send(struct bh_conn *c, uint8_t code, uint8_t id, const uint8_t *data,
                      uint16_t len);

/* Next identifier for a request of ours on c: 0x01..0xFF, never 0x00. */
uint8_t bh_l2cap_sig_next_id(struct bh_conn *c);

#endif /* BH_HOST_L2CAP_SIG_H */

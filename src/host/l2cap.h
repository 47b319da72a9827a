/* SPDX-License-Identifier: MIT */
/*
 * l2cap.h: L2CAP basic mode over LE (Core 5.4 Vol 3 Part A), owned by
 * l2cap.c (fixed-channel routing) and l2cap_sig.c (LE signalling channel).
 * Received frames arrive whole from the HCI layer; l2cap.c checks the basic
 * header and routes by CID to ATT, SMP or signalling (and, later, to
 * credit-based channels in l2cap_coc.c).
 */
#ifndef BH_HOST_L2CAP_H
#define BH_HOST_L2CAP_H

#include <stdint.h>

#include "blehost/bh_buf.h"
#include "conn.h"
#include "os/bh_rdwr.h"

#define BH_L2CAP_HDR_LEN 4
/* Headroom a PDU buffer needs below the L2CAP payload (ACL + L2CAP headers). */
#define BH_L2CAP_HEADROOM (4 + BH_L2CAP_HDR_LEN)

/* Fixed channels on LE, Vol 3 Part A 2.1 Table 2.3 */
#define BH_L2CAP_CID_ATT 0x0004
#define BH_L2CAP_CID_LE_SIGNALING 0x0005
#define BH_L2CAP_CID_SMP 0x0006
#define BH_L2CAP_CID_DYN_MIN 0x0040
#define BH_L2CAP_CID_DYN_MAX 0x007F

/* Reset channel state and statistics (host init). */
void bh_l2cap_init(void);
/* A whole reassembled L2CAP frame (basic header included) received on
 * handle: the HCI layer's ACL handler (installed by host_evt.c). buf is
 * borrowed. */
void bh_l2cap_recv(uint16_t handle, struct bh_buf *buf);

/* A buffer for one L2CAP payload, headroom reserved, or NULL if the ACL
 * transmit pool is empty (then bh_buf_pool_wait(bh_hci_acl_pool(), work)). */
struct bh_buf *bh_l2cap_buf_alloc(void);
/* Prepend the basic header and queue on the link. Consumes buf on every
 * path. 0, -ENOTCONN, -EMSGSIZE, -ENOBUFS. */
int bh_l2cap_send(struct bh_conn *c, uint16_t cid, struct bh_buf *buf);

/* Receivers of fixed channels (the frame's L2CAP header already removed;
 * r covers the payload only). Implemented by att.c, smp.c, l2cap_sig.c. */
void bh_att_rx(struct bh_conn *c, struct bh_rd *r);
void bh_smp_rx(struct bh_conn *c, struct bh_rd *r);
void bh_l2cap_sig_rx(struct bh_conn *c, struct bh_rd *r);

struct bh_l2cap_stats {
    uint32_t rx_bad_len;     /* basic header length disagrees with the frame */
    uint32_t rx_unknown_cid; /* no such channel: dropped */
    uint32_t rx_no_conn;     /* frame for a handle that is not connected */
    uint32_t sig_rejected;   /* Command Reject sent */
};
const struct bh_l2cap_stats *bh_l2cap_stats(void);

#endif /* BH_HOST_L2CAP_H */

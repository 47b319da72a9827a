/* SPDX-License-Identifier: MIT */
/*
 * att.h: the ATT bearer on the fixed channel 0x0004 (Core 5.4 Vol 3 Part F),
 * owned by att.c: per-connection MTU, PDU dispatch (one table, server and
 * client rows), the one-outstanding-request rule in each direction, and the
 * 30 s transaction timeout (3.3.3) after which the bearer is unusable.
 *
 * Server side: att.c parses requests and hands them to the GATT server
 * (gatts.h; handlers in gatts_read.c and gatts_write.c).
 * Client side: gattc.c builds requests and sends them with
 * bh_att_client_send(); att.c routes the matching response or Error
 * Response back through bh_gattc_rx_rsp() and notifications/indications
 * through bh_gattc_rx_notify() (confirming indications itself).
 */
#ifndef BH_HOST_ATT_H
#define BH_HOST_ATT_H

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_buf.h"
#include "conn.h"
#include "os/bh_rdwr.h"

#define BH_ATT_MTU_MIN 23 /* LE default ATT_MTU, Vol 3 Part G 5.2.1 */
#define BH_ATT_TIMEOUT_MS 30000

/* Forget every bearer and the statistics (host start). */
void bh_att_init(void);

/* Current ATT_MTU of the link (23 until exchanged). */
uint16_t bh_att_mtu(const struct bh_conn *c);
/* The MTU we offer in exchanges (config(mtu=...)): 23..BH_CONFIG_ATT_MTU_MAX. */
int bh_att_set_preferred_mtu(uint16_t mtu);
uint16_t bh_att_preferred_mtu(void);
/* Apply the outcome of an exchange (client side, from gattc.c). */
void bh_att_set_mtu(struct bh_conn *c, uint16_t mtu);
/* Bearer dead after a transaction timeout (3.3.3): nothing more may be sent. */
bool bh_att_is_dead(const struct bh_conn *c);

/* A buffer for one ATT PDU (L2CAP headroom reserved), or NULL. */
struct bh_buf *bh_att_buf_alloc(void);

/* Client: send a request (opcode in buf->data[0]); starts the transaction
 * timer. Consumes buf. -EBUSY if a request is outstanding, -ENOTCONN,
 * -EPIPE if the bearer timed out. Commands (Write Command) also go here:
 * they take no transaction. */
int bh_att_client_send(struct bh_conn *c, struct bh_buf *buf);
/* Server: send a notification or indication PDU already built in buf.
 * Indications wait for the confirmation (one at a time: -EBUSY). Consumes
 * buf. */
int bh_att_server_send(struct bh_conn *c, struct bh_buf *buf);
bool bh_att_indication_pending(const struct bh_conn *c);

/* ---- implemented by gattc.c (client side) -------------------------------- */
/* The response (or Error Response) to the outstanding request; r starts after
 * the opcode. */
void bh_gattc_rx_rsp(struct bh_conn *c, uint8_t opcode, struct bh_rd *r);
/* Handle Value Notification/Indication received (att.c confirms indications
 * after this returns). */
void bh_gattc_rx_notify(struct bh_conn *c, bool indication, uint16_t handle,
                        const uint8_t *value, uint16_t len);
/* The client transaction timed out: fail the procedure, bearer is dead. */
void bh_gattc_on_timeout(struct bh_conn *c);

/* ---- implemented by gatts.c (server side) ----------------------------------- */
/* The indication was confirmed (status 0) or failed (timeout, disconnect). */
void bh_gatts_on_indication_done(struct bh_conn *c, uint8_t status);

struct bh_att_stats {
    uint32_t rx_invalid_pdu;    /* malformed requests answered with Invalid PDU */
    uint32_t rx_unsupported;    /* unknown requests answered Request Not Supported */
    uint32_t rx_unexpected_rsp; /* responses/confirmations nobody waited for: dropped */
    uint32_t rx_dropped;        /* commands/notifications malformed or unknown: dropped */
    uint32_t timeouts;
    uint32_t tx_no_buf;
};
const struct bh_att_stats *bh_att_stats(void);

#endif /* BH_HOST_ATT_H */

/* SPDX-License-Identifier: MIT */
/*
 * conn.h: LE connections as the host layers see them (owned by gap_conn.c).
 *
 * A connection is a slot in a fixed pool of BH_CONFIG_MAX_CONN. Protocol
 * layers keep their per-connection state in their own arrays indexed by
 * bh_conn_index(), and learn about links coming and going through the
 * explicit calls made by gap_conn.c (see "lifecycle" below), in this order:
 * up: l2cap, att, gatts, gattc, smp; down: the reverse.
 */
#ifndef BH_HOST_CONN_H
#define BH_HOST_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_config.h"

enum bh_conn_role {
    BH_CONN_ROLE_CENTRAL = 0,
    BH_CONN_ROLE_PERIPHERAL = 1,
};

enum bh_conn_state {
    BH_CONN_STATE_IDLE = 0, /* free slot */
    BH_CONN_STATE_CONNECTED,
    BH_CONN_STATE_DISCONNECTING, /* Disconnect sent (or held back until the link's ACL is
                                  * drained), waiting for Disconnection Complete */
};

struct bh_conn {
    enum bh_conn_state state;
    uint16_t handle;
    uint8_t role;            /* enum bh_conn_role */
    uint8_t peer_addr_type;  /* as reported by the controller */
    uint8_t peer_addr[6];    /* little-endian, as on the wire */
    uint8_t id_addr_type;    /* peer identity (after IRK resolution; else = peer) */
    uint8_t id_addr[6];
    uint16_t itvl_1250us;
    uint16_t latency;
    uint16_t sup_timeout_10ms;
    /* security state, written by smp_enc.c / host_evt.c */
    bool encrypted;
    bool authenticated;
    bool bonded;
    uint8_t key_size;
};

/* The connection with this HCI handle in state CONNECTED or DISCONNECTING,
 * or NULL. */
struct bh_conn *bh_conn_lookup(uint16_t handle);
/* Slot i (0..BH_CONFIG_MAX_CONN-1) if in use, else NULL: for iteration. */
struct bh_conn *bh_conn_at(unsigned i);
/* Index of c in the pool, for per-connection arrays of other layers. */
unsigned bh_conn_index(const struct bh_conn *c);

/* ---- lifecycle: gap_conn.c calls these, nothing else does ---------------- */
void bh_l2cap_conn_up(struct bh_conn *c);
void bh_l2cap_conn_down(struct bh_conn *c);
void bh_att_conn_up(struct bh_conn *c);
void bh_att_conn_down(struct bh_conn *c);
void bh_gatts_conn_up(struct bh_conn *c);
void bh_gatts_conn_down(struct bh_conn *c);
void bh_gattc_conn_up(struct bh_conn *c);
void bh_gattc_conn_down(struct bh_conn *c);
void bh_smp_conn_up(struct bh_conn *c);
void bh_smp_conn_down(struct bh_conn *c);
/* Encryption changed (Encryption Change / Key Refresh): att/gatts retry
 * what waited for security; smp completes pairing. */
void bh_smp_on_encryption_change(struct bh_conn *c, uint8_t status);
/* LE Long Term Key Request (we are peripheral, Vol 4 Part E 7.7.65.5): smp
 * answers with LE Long Term Key Request Reply or Negative Reply. rand is
 * the 8 bytes as on the wire. host_evt.c calls it. */
void bh_smp_on_ltk_request(struct bh_conn *c, const uint8_t rand[8], uint16_t ediv);
void bh_gatts_on_security_change(struct bh_conn *c);

#endif /* BH_HOST_CONN_H */

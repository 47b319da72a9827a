/* SPDX-License-Identifier: MIT */
/*
 * gap_privacy.h: LE privacy done by the host (gap_privacy.c), for gap*.c
 * and src/ble.
 *
 * Our side (Core 5.4 Vol 3 Part C 10.7, Vol 6 Part B 1.3.2.2): in RPA mode
 * the own address is a resolvable private address made from our IRK
 * (keys.h), in NRPA mode a non-resolvable private address; either is set
 * with LE Set Random Address and replaced every BH_CONFIG_GAP_RPA_TIMEOUT_MS.
 * The peer's side (Vol 3 Part C 10.8.2.3): a resolvable private address is
 * resolved with the IRKs of our bonds, in software (no controller
 * resolving list), when a connection comes up.
 *
 * Addresses are little-endian, as on the wire. Host context only.
 */
#ifndef BH_HOST_GAP_PRIVACY_H
#define BH_HOST_GAP_PRIVACY_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"

enum bh_gap_privacy_mode {
    BH_GAP_PRIVACY_OFF = 0, /* public or static random address: not ours to manage */
    BH_GAP_PRIVACY_RPA,     /* resolvable private address (needs the Security Manager) */
    BH_GAP_PRIVACY_NRPA,    /* non-resolvable private address */
};

/* A rotation that is due but cannot happen yet (scanning or initiating,
 * or the controller refused) is tried again after this long. */
#define BH_GAP_PRIVACY_RETRY_MS 1000

struct bh_gap_privacy_stats {
    uint32_t rotations; /* new private addresses set in the controller */
    uint32_t deferred;  /* rotations put off (scanning, initiating, refused) */
    uint32_t resolved;  /* peer RPAs resolved to a bonded identity */
};
const struct bh_gap_privacy_stats *bh_gap_privacy_stats(void);

/* Mode off, timer stopped, statistics cleared. From bh_gap_init(). */
void bh_gap_privacy_init(void);

/* Switch mode (config(addr_mode)). RPA/NRPA: a fresh address is set at
 * once (LE Set Random Address) and the rotation timer started; OFF stops
 * the timer, and the caller then sets the public or static address. Waits.
 * Returns 0, -EBUSY (advertising, scanning or connecting while an address
 * would change), -EOPNOTSUPP (RPA without the Security Manager), -EIO (no
 * entropy), -EINVAL, or the controller's refusal. */
int bh_gap_privacy_set_mode(enum bh_gap_privacy_mode mode);
enum bh_gap_privacy_mode bh_gap_privacy_mode(void);

/* Hook at the API entry points that change advertising (gap_adv.c): wait
 * until an address change running in the background (stop advertising,
 * set the address, restart) has finished, so that the application's
 * commands never interleave with it. Waits; returns at once when idle. */
void bh_gap_privacy_sync(void);

/* The static random address to return to when leaving a private mode: the
 * current random address if it is static, else the one in use before
 * privacy was switched on. False if there is none. */
bool bh_gap_privacy_static_addr(uint8_t addr[6]);

/* Resolve a peer address: true, with its identity, if addr is a resolvable
 * private address (type random, top bits 0b01) matching a bonded IRK. */
bool bh_gap_privacy_resolve(uint8_t addr_type, const uint8_t addr[6], uint8_t *id_type,
                            uint8_t id_addr[6]);
/* Hook in gap_conn.c, before the layers come up: replace c->id_addr(_type)
 * by the bonded identity when the peer connected with a resolvable
 * private address. */
void bh_gap_privacy_resolve_conn(struct bh_conn *c);

#endif /* BH_HOST_GAP_PRIVACY_H */

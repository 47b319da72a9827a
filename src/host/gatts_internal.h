/* SPDX-License-Identifier: MIT */
/*
 * gatts_internal.h: what the GATT server's files share among themselves
 * and nobody else uses (the interface for att.c, src/ble and smp.c is
 * gatts.h, included here).
 *
 * Files: gatts.c the core (per-connection CCCD bits and indication queue,
 * access checks, notifications and indications, lifecycle, statistics);
 * gatts_read.c discovery and read requests (Core 5.4 Vol 3 Part F 3.4.3,
 * 3.4.4); gatts_write.c write requests and the Prepare Write queue (3.4.5,
 * 3.4.6); gatts_cccd.c CCCD writes and the subscriptions of bonded peers
 * (Vol 3 Part G 3.3.3.3); gatts_db.c the database and the value store.
 * Host context only.
 */
#ifndef BH_HOST_GATTS_INTERNAL_H
#define BH_HOST_GATTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gatts.h"

/* gatts.c: set the CCCD bits of cccd_handle for c (no check, no saving). */
void bh_gatts_cccd_set(struct bh_conn *c, uint16_t cccd_handle, uint16_t v);
/* gatts.c: may c read / write a? 0 or the ATT error (Vol 3 Part C 10.3). */
uint8_t bh_gatts_check_read(const struct bh_conn *c, const struct bh_gatts_attr *a);
uint8_t bh_gatts_check_write(const struct bh_conn *c, const struct bh_gatts_attr *a);
/* gatts.c: a user characteristic value or descriptor (in the value store). */
bool bh_gatts_is_user_value(const struct bh_gatts_attr *a);
/* gatts.c: handle's value as c sees it, no checks (CCCDs are c's); see bh_gatts_db_value. */
uint16_t bh_gatts_raw_value(struct bh_conn *c, uint16_t handle, const uint8_t **p,
                            uint8_t *scratch);
/* gatts.c: the statistics, for the other gatts*.c to count in. */
struct bh_gatts_stats *bh_gatts_stats_mut(void);

/* gatts_cccd.c: check a CCCD value against its characteristic: 0 or the ATT error. */
uint8_t bh_gatts_cccd_check(uint16_t handle, const uint8_t *v, uint16_t len);
/* gatts_cccd.c: the client writes a CCCD: checked, set, saved if bonded. 0 or the ATT error. */
uint8_t bh_gatts_cccd_write(struct bh_conn *c, uint16_t handle, const uint8_t *v, uint16_t len);

/* gatts_write.c: drop the Prepare Write queue if c owns it (c NULL: whoever does). */
void bh_gatts_prep_clear(const struct bh_conn *c);

#endif /* BH_HOST_GATTS_INTERNAL_H */

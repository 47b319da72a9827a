/* SPDX-License-Identifier: MIT */
/*
 * gap_internal.h: what gap_conn.c and gap_disc.c share and nobody else
 * uses (the interface for src/ble and the other host layers is gap.h,
 * included here). gap_conn.c owns the connection pool and its one
 * state-change function; gap_disc.c owns local disconnection and the
 * Disconnects it holds back until a link's ACL is drained (Core 5.4 Vol 4
 * Part E 7.1.6, 7.7.19). Host context only.
 */
#ifndef BH_HOST_GAP_INTERNAL_H
#define BH_HOST_GAP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gap.h"

/* gap_conn.c: the one place a connection changes state (lifecycle calls on
 * IDLE <-> up; leaving DISCONNECTING calls bh_gap_disc_forget). */
void bh_gap_conn_set_state(struct bh_conn *c, enum bh_conn_state st);
/* gap_conn.c: wait at most timeout_ms for a Disconnection Complete; bh_sem_take's result. */
int bh_gap_conn_wait_gone(uint32_t timeout_ms);

/* A connection handle carried as an HCI command callback's ctx. */
static inline void *bh_gap_handle_ctx(uint16_t handle)
{
    return (void *)(uintptr_t)handle;
}
static inline uint16_t bh_gap_ctx_handle(void *ctx)
{
    return (uint16_t)(uintptr_t)ctx;
}

/* gap_disc.c: c leaves DISCONNECTING: cancel its drain timer, forget a held Disconnect. */
void bh_gap_disc_forget(const struct bh_conn *c);
/* gap_disc.c: c's Disconnect is still held back, waiting for its ACL to drain. */
bool bh_gap_disc_owed(const struct bh_conn *c);

#endif /* BH_HOST_GAP_INTERNAL_H */

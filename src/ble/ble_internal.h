/* SPDX-License-Identifier: MIT */
/*
 * ble_internal.h: what the host layers use to reach the application
 * through src/ble (owned by ble.c).
 */
#ifndef BH_BLE_INTERNAL_H
#define BH_BLE_INTERNAL_H

#include "blehost/bh_ble.h"

/* Deliver one event to the application callback and return its result
 * (0 when no callback is set). Call it as a handler's last step, once state
 * is consistent: the application may call any bh_ble_* function from it. */
int bh_ble_emit(const struct bh_ble_event *ev);

struct bh_conn;
/* The connected link behind an API connection handle: 0 and *out set, or
 * -ENODEV (not active) or -ENOTCONN (no such link, or disconnecting). */
int bh_ble_conn_get(uint16_t handle, struct bh_conn **out);

/* Secret store access for smp/keys (false when no store is set). */
bool bh_ble_secret_get(uint8_t type, uint8_t index, const uint8_t *key, uint16_t key_len,
                       const uint8_t **value, size_t *value_len);
bool bh_ble_secret_set(uint8_t type, const uint8_t *key, uint16_t key_len, const uint8_t *value,
                       size_t value_len);

/* Addresses: the wire is little-endian, the API big-endian (display). */
static inline void bh_ble_addr_swap(uint8_t dst[6], const uint8_t src[6])
{
    for (int i = 0; i < 6; i++) {
        dst[i] = src[5 - i];
    }
}

#endif /* BH_BLE_INTERNAL_H */

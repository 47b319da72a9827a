/* SPDX-License-Identifier: MIT */
/*
 * ble_smp.c: the pairing and bonding calls of the API layer (API.md 1.3:
 * config(bond, mitm, le_secure, io), gap_pair, gap_passkey; issue 6:
 * gap_unpair) over the Security Manager (src/host/smp.h) and the bond
 * table (src/host/keys.h). The settings are accepted before and after
 * active(True) and survive it. Addresses cross this interface big-endian
 * (display order) and are little-endian below it.
 */
#include <errno.h>

#include "ble_internal.h"
#include "host/keys.h"
#include "host/smp.h"
#include "host/smp_spec.h"

void bh_ble_set_bonding(bool bonding)
{
    bh_smp_set_bonding(bonding);
}

void bh_ble_set_mitm(bool mitm)
{
    bh_smp_set_mitm(mitm);
}

void bh_ble_set_le_secure(bool le_secure)
{
    bh_smp_set_le_secure(le_secure);
}

void bh_ble_set_sc(bool sc)
{
    bh_smp_set_sc(sc);
}

/* Values outside 0..4 are ignored (the previous capability stays). */
void bh_ble_set_io_capability(uint8_t io)
{
    (void)bh_smp_set_io_capability(io);
}

int bh_ble_gap_pair(uint16_t conn)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    return bh_smp_pair(conn);
}

/* NimBLE accepts INPUT, DISPLAY and NUMERIC_COMPARISON only (API.md 1.3). */
int bh_ble_gap_passkey(uint16_t conn, uint8_t action, uint32_t passkey)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    if (action != BH_SMP_ACTION_INPUT && action != BH_SMP_ACTION_DISPLAY &&
        action != BH_SMP_ACTION_NUMERIC_COMPARISON) {
        return -EINVAL;
    }
    return bh_smp_passkey(conn, action, passkey);
}

int bh_ble_gap_unpair(uint8_t addr_type, const uint8_t *addr)
{
    uint8_t le[6];

    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    if (addr == NULL) {
        (void)bh_keys_delete_all();
        return 0;
    }
    if (addr_type > 1) {
        return -EINVAL;
    }
    bh_ble_addr_swap(le, addr);
    return bh_keys_delete(addr_type, le);
}

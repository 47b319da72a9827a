/* SPDX-License-Identifier: MIT */
/*
 * ble_smp_off.c: the pairing and bonding calls of bh_ble.h in a build
 * without the Security Manager (CMake -DBH_SMP=OFF; src/host/smp_off.c
 * answers peers). Settings are accepted and ignored; procedures report
 * -EOPNOTSUPP, as MicroPython's BTstack backend does for gap_passkey.
 */
#include "blehost/bh_ble.h"

#include <errno.h>

void bh_ble_set_bonding(bool bonding)
{
    (void)bonding;
}

void bh_ble_set_mitm(bool mitm)
{
    (void)mitm;
}

void bh_ble_set_le_secure(bool le_secure)
{
    (void)le_secure;
}

void bh_ble_set_sc(bool sc)
{
    (void)sc;
}

void bh_ble_set_io_capability(uint8_t io)
{
    (void)io;
}

int bh_ble_gap_pair(uint16_t conn)
{
    (void)conn;
    return bh_ble_is_active() ? -EOPNOTSUPP : -ENODEV;
}

int bh_ble_gap_passkey(uint16_t conn, uint8_t action, uint32_t passkey)
{
    (void)conn;
    (void)action;
    (void)passkey;
    return bh_ble_is_active() ? -EOPNOTSUPP : -ENODEV;
}

int bh_ble_gap_unpair(uint8_t addr_type, const uint8_t *addr)
{
    (void)addr_type;
    (void)addr;
    return -EOPNOTSUPP;
}

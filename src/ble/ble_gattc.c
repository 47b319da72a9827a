/* SPDX-License-Identifier: MIT */
/*
 * ble_gattc.c: the GATT client calls of the API layer (bh_ble.h, API.md
 * 1.3 gattc_*), one per MicroPython backend function. They check the
 * radio is active (-ENODEV) and the connection exists (-ENOTCONN), then
 * start a procedure in src/host/gattc.c, which delivers IRQ 9..17 and 21.
 * Procedures on one link are queued, never refused with -EBUSY; a full
 * procedure pool gives -ENOMEM.
 */
#include <errno.h>

#include "ble_internal.h"
#include "host/conn.h"
#include "host/gattc.h"

int bh_ble_gattc_discover_services(uint16_t conn, const struct bh_uuid *uuid)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_gattc_disc_svcs(c, uuid);
}

int bh_ble_gattc_discover_characteristics(uint16_t conn, uint16_t start, uint16_t end,
                                          const struct bh_uuid *uuid)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_gattc_disc_chrs(c, start, end, uuid);
}

int bh_ble_gattc_discover_descriptors(uint16_t conn, uint16_t start, uint16_t end)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_gattc_disc_dscs(c, start, end);
}

/* A single ATT Read, as MicroPython's gattc_read (no long read here). */
int bh_ble_gattc_read(uint16_t conn, uint16_t handle)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_gattc_read(c, handle);
}

int bh_ble_gattc_write(uint16_t conn, uint16_t handle, const uint8_t *value, size_t len,
                       unsigned mode)
{
    struct bh_conn *c;
    int err;

    /* NimBLE's binding checks the mode before the connection */
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    if (mode != BH_GATTC_WRITE_NO_RSP && mode != BH_GATTC_WRITE_RSP) {
        return -EINVAL;
    }
    err = bh_ble_conn_get(conn, &c);
    if (err != 0) {
        return err;
    }
    if (mode == BH_GATTC_WRITE_NO_RSP) {
        return bh_gattc_write_no_rsp(c, handle, value, len);
    }
    return bh_gattc_write(c, handle, value, len);
}

int bh_ble_gattc_exchange_mtu(uint16_t conn)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_gattc_exchange_mtu(c);
}

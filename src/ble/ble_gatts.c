/* SPDX-License-Identifier: MIT */
/*
 * ble_gatts.c: the GATT server calls of the API layer (bh_ble.h, API.md
 * 1.3 gatts_* and 2.2), one per MicroPython backend function. Each checks
 * the radio is active (-ENODEV), then works on src/host/gatts_db.c (the
 * database and value store) or src/host/gatts.c (notify, indicate).
 * Unknown handles give -EINVAL, unknown connections -ENOTCONN.
 */
#include <errno.h>

#include "ble_internal.h"
#include "host/conn.h"
#include "host/gatts.h"

int bh_ble_gatts_register_begin(bool append)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    if (append) {
        return -EOPNOTSUPP; /* as NimBLE: registration always starts over */
    }
    return bh_gatts_reset();
}

int bh_ble_gatts_register_service(const struct bh_uuid *svc, const struct bh_uuid **chr_uuids,
                                  const uint16_t *chr_flags, const struct bh_uuid **dsc_uuids,
                                  const uint16_t *dsc_flags, const uint8_t *n_dsc_per_chr,
                                  uint16_t *handles, size_t n_chr)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    return bh_gatts_db_add_service(svc, chr_uuids, chr_flags, dsc_uuids, dsc_flags, n_dsc_per_chr,
                                   handles, n_chr);
}

/* Handles are valid as soon as each service is added; what is left is to
 * tell subscribed clients the database changed (Core 5.4 Vol 3 Part G 7.1). */
int bh_ble_gatts_register_end(void)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    bh_gatts_service_changed();
    return 0;
}

int bh_ble_gatts_read(uint16_t handle, const uint8_t **value, size_t *len)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    return bh_gatts_store_read(handle, value, len);
}

int bh_ble_gatts_write(uint16_t handle, const uint8_t *value, size_t len, bool send_update)
{
    int err;

    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    err = bh_gatts_store_write(handle, value, len);
    if (err == 0 && send_update) {
        bh_gatts_send_update(handle);
    }
    return err;
}

int bh_ble_gatts_notify_indicate(uint16_t conn, uint16_t handle, int op, const uint8_t *value,
                                 size_t len)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    if (err < 0) {
        return err;
    }
    return bh_gatts_notify_indicate(c, handle, op, value, len);
}

int bh_ble_gatts_set_buffer(uint16_t handle, size_t len, bool append)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    return bh_gatts_store_set_buffer(handle, len, append);
}

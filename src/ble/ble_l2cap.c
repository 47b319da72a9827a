/* SPDX-License-Identifier: MIT */
/*
 * ble_l2cap.c: the L2CAP channel calls of the API layer (bh_ble.h, API.md
 * 1.3 l2cap_*), one per MicroPython backend function, over
 * src/host/l2cap_coc.c, which raises IRQ 22..26. Each call checks that the
 * radio is active (-ENODEV) and, where a connection is named, that it
 * exists (-ENOTCONN). Unlike NimBLE's binding (one channel system-wide)
 * several channels and listeners may be open at once.
 *
 * MTUs: MicroPython clamps to [32, 65535]; ours is further bounded by the
 * receive ring, bh_l2cap_coc_mtu_max() (a whole SDU must fit it). Sends:
 * len above the peer's MTU or BH_CONFIG_L2CAP_COC_TX_BUF_SIZE - 2 is
 * -EINVAL; a ring without room now is -ENOMEM (wait for IRQ 26).
 */
#include <errno.h>

#include "ble_internal.h"
#include "host/conn.h"
#include "host/l2cap_coc.h"

#define BLE_L2CAP_MTU_MIN 32 /* MicroPython's lower clamp */

static uint16_t ble_l2cap_mtu(uint16_t mtu)
{
    return mtu < BLE_L2CAP_MTU_MIN ? BLE_L2CAP_MTU_MIN : mtu;
}

int bh_ble_l2cap_listen(uint16_t psm, uint16_t mtu)
{
    if (!bh_ble_is_active()) {
        return -ENODEV;
    }
    return bh_l2cap_coc_listen(psm, ble_l2cap_mtu(mtu), 0);
}

int bh_ble_l2cap_connect(uint16_t conn, uint16_t psm, uint16_t mtu)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_l2cap_coc_connect(c, psm, ble_l2cap_mtu(mtu));
}

int bh_ble_l2cap_disconnect(uint16_t conn, uint16_t cid)
{
    struct bh_conn *c;
    int err = bh_ble_conn_get(conn, &c);

    return err != 0 ? err : bh_l2cap_coc_disconnect(c, cid);
}

int bh_ble_l2cap_send(uint16_t conn, uint16_t cid, const uint8_t *buf, size_t len, bool *stalled)
{
    struct bh_conn *c;
    bool st = false;
    int err = bh_ble_conn_get(conn, &c);

    if (err == 0) {
        err = bh_l2cap_coc_send(c, cid, buf, len, &st);
    }
    if (stalled != NULL) {
        *stalled = st;
    }
    return err;
}

int bh_ble_l2cap_recvinto(uint16_t conn, uint16_t cid, uint8_t *buf, size_t *len)
{
    struct bh_conn *c;
    int err;

    if (len == NULL) {
        return -EINVAL;
    }
    err = bh_ble_conn_get(conn, &c);
    if (err != 0) {
        *len = 0;
        return err;
    }
    return bh_l2cap_coc_recv(c, cid, buf, len);
}

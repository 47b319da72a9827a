/* SPDX-License-Identifier: MIT */
/*
 * mod_gattc.c: the GATT client methods of BLE (API.md 1.3 gattc_*). Each
 * starts one procedure in the host; results come back as IRQ 9..17 and 21.
 */
#include "mod_internal.h"

#include <errno.h>

/* An optional UUID filter: None gives NULL, a non-UUID is a TypeError. */
static int gattc_uuid_arg(PyObject *args, Py_ssize_t i, struct bh_uuid *u, bool *present)
{
    PyObject *o = i < PyTuple_GET_SIZE(args) ? PyTuple_GET_ITEM(args, i) : Py_None;

    *present = false;
    if (o == Py_None) {
        return 0;
    }
    if (!mod_uuid_check(o)) {
        PyErr_SetString(PyExc_TypeError, "UUID");
        return -1;
    }
    mod_uuid_get(o, u);
    *present = true;
    return 0;
}

PyObject *mod_gattc_discover_services(PyObject *self, PyObject *args)
{
    long long conn;
    struct bh_uuid u;
    bool has_uuid;
    int err;

    if (mod_args_check(args, "gattc_discover_services", 1, 2) < 0 ||
        mod_arg_int(args, 0, &conn) < 0 || gattc_uuid_arg(args, 1, &u, &has_uuid) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gattc_discover_services((uint16_t)conn, has_uuid ? &u : NULL);
    mod_api_exit();
    return mod_result(err);
}

PyObject *mod_gattc_discover_characteristics(PyObject *self, PyObject *args)
{
    long long v[3];
    struct bh_uuid u;
    bool has_uuid;
    int err;

    if (mod_args_check(args, "gattc_discover_characteristics", 3, 4) < 0) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < 3; i++) {
        if (mod_arg_int(args, i, &v[i]) < 0) {
            return NULL;
        }
    }
    if (gattc_uuid_arg(args, 3, &u, &has_uuid) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gattc_discover_characteristics((uint16_t)v[0], (uint16_t)v[1], (uint16_t)v[2],
                                                has_uuid ? &u : NULL);
    mod_api_exit();
    return mod_result(err);
}

PyObject *mod_gattc_discover_descriptors(PyObject *self, PyObject *args)
{
    long long v[3];
    int err;

    if (mod_args_ints(args, "gattc_discover_descriptors", 3, v) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gattc_discover_descriptors((uint16_t)v[0], (uint16_t)v[1], (uint16_t)v[2]);
    mod_api_exit();
    return mod_result(err);
}

PyObject *mod_gattc_read(PyObject *self, PyObject *args)
{
    long long v[2];
    int err;

    if (mod_args_ints(args, "gattc_read", 2, v) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gattc_read((uint16_t)v[0], (uint16_t)v[1]);
    mod_api_exit();
    return mod_result(err);
}

/* gattc_write(conn, handle, data, mode=0): mode 0 write command, 1 write
 * request (ints or bools); anything else is EINVAL. */
PyObject *mod_gattc_write(PyObject *self, PyObject *args)
{
    long long v[2];
    long long mode = 0;
    struct mod_buf b;
    int err;

    if (mod_args_check(args, "gattc_write", 3, 4) < 0 || mod_arg_int(args, 0, &v[0]) < 0 ||
        mod_arg_int(args, 1, &v[1]) < 0) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 4 && mod_arg_int(args, 3, &mode) < 0) {
        return NULL;
    }
    if (mode != BH_GATTC_WRITE_NO_RSP && mode != BH_GATTC_WRITE_RSP) {
        return mod_raise_errno(-EINVAL);
    }
    if (mod_buf_get(PyTuple_GET_ITEM(args, 2), &b, false) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gattc_write((uint16_t)v[0], (uint16_t)v[1], b.p, b.len, (unsigned)mode);
    mod_api_exit();
    mod_buf_release(&b);
    return mod_result(err);
}

PyObject *mod_gattc_exchange_mtu(PyObject *self, PyObject *args)
{
    long long conn;
    int err;

    if (mod_args_ints(args, "gattc_exchange_mtu", 1, &conn) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gattc_exchange_mtu((uint16_t)conn);
    mod_api_exit();
    return mod_result(err);
}

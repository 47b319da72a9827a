/* SPDX-License-Identifier: MIT */
/*
 * mod_gap.c: the GAP methods of BLE (API.md 1.3): gap_advertise, gap_scan,
 * gap_connect, gap_disconnect, gap_pair, gap_passkey, gap_unpair. Argument rules
 * (defaults, None meaning "stop"/"cancel"/"default", str as a buffer) are
 * MicroPython's; the work is one bh_ble_* call under the host lock.
 */
#include "mod_internal.h"

#include <errno.h>

#define GAP_ADV_ITVL_DEFAULT_US 500000
#define GAP_SCAN_ITVL_DEFAULT_US 1280000
#define GAP_SCAN_WINDOW_DEFAULT_US 11250
#define GAP_CONNECT_TIMEOUT_DEFAULT_MS 2000

static PyObject *gap_adv_stop(void)
{
    mod_api_enter();
    (void)bh_ble_gap_adv_stop(); /* a no-op when stopped or inactive, as MicroPython's */
    mod_api_exit();
    Py_RETURN_NONE;
}

PyObject *mod_gap_advertise(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"interval_us", "adv_data", "resp_data", "connectable", NULL};
    PyObject *itvl = NULL;
    PyObject *adv = Py_None;
    PyObject *resp = Py_None;
    PyObject *connectable = Py_True;
    struct mod_buf a;
    struct mod_buf r;
    long long itvl_us = GAP_ADV_ITVL_DEFAULT_US;
    int conn;
    int err;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$OO:gap_advertise", kwlist, &itvl, &adv,
                                     &resp, &connectable)) {
        return NULL;
    }
    if (itvl == Py_None) {
        return gap_adv_stop();
    }
    if (itvl != NULL && mod_get_int(itvl, &itvl_us) < 0) {
        return NULL;
    }
    conn = PyObject_IsTrue(connectable);
    if (conn < 0 || mod_buf_get(adv, &a, true) < 0) {
        return NULL;
    }
    if (mod_buf_get(resp, &r, true) < 0) {
        mod_buf_release(&a);
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_adv_start(conn != 0, (int32_t)itvl_us, a.p, a.len, r.p, r.len);
    mod_api_exit();
    mod_buf_release(&a);
    mod_buf_release(&r);
    return mod_result(err);
}

PyObject *mod_gap_scan(PyObject *self, PyObject *args)
{
    long long v[3] = {0, GAP_SCAN_ITVL_DEFAULT_US, GAP_SCAN_WINDOW_DEFAULT_US};
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    int active = 0;
    int err;

    if (mod_args_check(args, "gap_scan", 0, 4) < 0) {
        return NULL;
    }
    if (n == 1 && PyTuple_GET_ITEM(args, 0) == Py_None) {
        mod_api_enter();
        err = bh_ble_gap_scan_stop(); /* raises IRQ 6, delivered before we return */
        mod_api_exit();
        return mod_result(err);
    }
    for (Py_ssize_t i = 0; i < n && i < 3; i++) {
        if (mod_arg_int(args, i, &v[i]) < 0) {
            return NULL;
        }
    }
    if (n == 4 && (active = PyObject_IsTrue(PyTuple_GET_ITEM(args, 3))) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_scan_start((int32_t)v[0], (int32_t)v[1], (int32_t)v[2], active != 0);
    mod_api_exit();
    return mod_result(err);
}

static PyObject *gap_connect_cancel(PyObject *arg)
{
    int err;

    if (arg != Py_None) {
        PyErr_SetString(PyExc_TypeError, "invalid addr");
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_connect_cancel();
    mod_api_exit();
    return mod_result(err);
}

/* args[i] as a 6-byte address buffer (display order): 0 with addr held
 * (release it), or -1 with ValueError("invalid addr") as MicroPython. */
static int gap_arg_addr(PyObject *args, Py_ssize_t i, struct mod_buf *addr)
{
    if (mod_buf_get(PyTuple_GET_ITEM(args, i), addr, false) < 0 || addr->len != 6) {
        if (!PyErr_Occurred()) {
            mod_buf_release(addr);
        }
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "invalid addr");
        return -1;
    }
    return 0;
}

/* Optional int argument i: None or absent gives dflt. */
static int gap_opt_int(PyObject *args, Py_ssize_t i, long long dflt, long long *out)
{
    *out = dflt;
    if (i >= PyTuple_GET_SIZE(args) || PyTuple_GET_ITEM(args, i) == Py_None) {
        return 0;
    }
    return mod_arg_int(args, i, out);
}

PyObject *mod_gap_connect(PyObject *self, PyObject *args)
{
    long long type;
    long long timeout_ms;
    long long min_us;
    long long max_us;
    struct mod_buf addr;
    int err;

    if (mod_args_check(args, "gap_connect", 1, 5) < 0) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 1) {
        return gap_connect_cancel(PyTuple_GET_ITEM(args, 0));
    }
    if (mod_arg_int(args, 0, &type) < 0 ||
        gap_opt_int(args, 2, GAP_CONNECT_TIMEOUT_DEFAULT_MS, &timeout_ms) < 0 ||
        gap_opt_int(args, 3, 0, &min_us) < 0 || gap_opt_int(args, 4, 0, &max_us) < 0) {
        return NULL;
    }
    if (gap_arg_addr(args, 1, &addr) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_connect((uint8_t)type, addr.p, (int32_t)timeout_ms, (int32_t)min_us,
                             (int32_t)max_us);
    mod_api_exit();
    mod_buf_release(&addr);
    return mod_result(err);
}

PyObject *mod_gap_disconnect(PyObject *self, PyObject *args)
{
    long long conn;
    int err;

    if (mod_args_ints(args, "gap_disconnect", 1, &conn) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_disconnect((uint16_t)conn);
    mod_api_exit();
    if (err == -ENOTCONN) {
        Py_RETURN_FALSE;
    }
    if (err != 0) {
        return mod_raise_errno(err);
    }
    Py_RETURN_TRUE;
}

PyObject *mod_gap_pair(PyObject *self, PyObject *args)
{
    long long conn;
    int err;

    if (mod_args_ints(args, "gap_pair", 1, &conn) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_pair((uint16_t)conn);
    mod_api_exit();
    return mod_result(err);
}

PyObject *mod_gap_passkey(PyObject *self, PyObject *args)
{
    long long v[3];
    int err;

    if (mod_args_ints(args, "gap_passkey", 3, v) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_passkey((uint16_t)v[0], (uint8_t)v[1], (uint32_t)v[2]);
    mod_api_exit();
    return mod_result(err);
}

/* gap_unpair() forgets every bond; gap_unpair(addr_type, addr) one peer
 * (address in display order, as everywhere in the API). Issue 6. */
PyObject *mod_gap_unpair(PyObject *self, PyObject *args)
{
    long long type;
    struct mod_buf addr;
    int err;

    if (mod_args_check(args, "gap_unpair", 0, 2) < 0) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 0) {
        mod_api_enter();
        err = bh_ble_gap_unpair(0, NULL);
        mod_api_exit();
        return mod_result(err);
    }
    if (PyTuple_GET_SIZE(args) != 2) {
        PyErr_SetString(PyExc_TypeError, "gap_unpair takes 0 or 2 arguments");
        return NULL;
    }
    if (mod_arg_int(args, 0, &type) < 0) {
        return NULL;
    }
    if (gap_arg_addr(args, 1, &addr) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gap_unpair((uint8_t)type, addr.p);
    mod_api_exit();
    mod_buf_release(&addr);
    return mod_result(err);
}

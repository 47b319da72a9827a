/* SPDX-License-Identifier: MIT */
/*
 * mod_l2cap.c: the L2CAP credit-based channel methods of BLE (API.md 1.3
 * l2cap_*) and the raw hci_cmd(). Channel events are IRQ 22..26.
 */
#include "mod_internal.h"

#include <errno.h>

#define L2CAP_MTU_MIN 32
#define L2CAP_MTU_MAX 65535

static uint16_t l2cap_clamp_mtu(long long mtu)
{
    if (mtu < L2CAP_MTU_MIN) {
        return L2CAP_MTU_MIN;
    }
    return mtu > L2CAP_MTU_MAX ? L2CAP_MTU_MAX : (uint16_t)mtu;
}

PyObject *mod_l2cap_listen(PyObject *self, PyObject *args)
{
    long long v[2];
    int err;

    if (mod_args_ints(args, "l2cap_listen", 2, v) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_l2cap_listen((uint16_t)v[0], l2cap_clamp_mtu(v[1]));
    mod_api_exit();
    return mod_result(err);
}

PyObject *mod_l2cap_connect(PyObject *self, PyObject *args)
{
    long long v[3];
    int err;

    if (mod_args_ints(args, "l2cap_connect", 3, v) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_l2cap_connect((uint16_t)v[0], (uint16_t)v[1], l2cap_clamp_mtu(v[2]));
    mod_api_exit();
    return mod_result(err);
}

PyObject *mod_l2cap_disconnect(PyObject *self, PyObject *args)
{
    long long v[2];
    int err;

    if (mod_args_ints(args, "l2cap_disconnect", 2, v) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_l2cap_disconnect((uint16_t)v[0], (uint16_t)v[1]);
    mod_api_exit();
    return mod_result(err);
}

/* True: send again at once; False: stalled, wait for IRQ 26 (the data was
 * accepted either way). */
PyObject *mod_l2cap_send(PyObject *self, PyObject *args)
{
    long long v[2];
    struct mod_buf b;
    bool stalled = false;
    int err;

    if (mod_args_check(args, "l2cap_send", 3, 3) < 0 || mod_arg_int(args, 0, &v[0]) < 0 ||
        mod_arg_int(args, 1, &v[1]) < 0 || mod_buf_get(PyTuple_GET_ITEM(args, 2), &b, false) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_l2cap_send((uint16_t)v[0], (uint16_t)v[1], b.p, b.len, &stalled);
    mod_api_exit();
    mod_buf_release(&b);
    if (err != 0) {
        return mod_raise_errno(err);
    }
    return PyBool_FromLong(!stalled);
}

/* Bytes copied into buf, or with buf None the bytes available. */
PyObject *mod_l2cap_recvinto(PyObject *self, PyObject *args)
{
    long long v[2];
    PyObject *dst;
    Py_buffer view;
    size_t len = 0;
    int err;

    if (mod_args_check(args, "l2cap_recvinto", 3, 3) < 0 || mod_arg_int(args, 0, &v[0]) < 0 ||
        mod_arg_int(args, 1, &v[1]) < 0) {
        return NULL;
    }
    dst = PyTuple_GET_ITEM(args, 2);
    if (dst == Py_None) {
        mod_api_enter();
        err = bh_ble_l2cap_recvinto((uint16_t)v[0], (uint16_t)v[1], NULL, &len);
        mod_api_exit();
        return err != 0 ? mod_raise_errno(err) : PyLong_FromSize_t(len);
    }
    if (PyObject_GetBuffer(dst, &view, PyBUF_WRITABLE) < 0) {
        return NULL;
    }
    len = (size_t)view.len;
    mod_api_enter();
    err = bh_ble_l2cap_recvinto((uint16_t)v[0], (uint16_t)v[1], view.buf, &len);
    mod_api_exit();
    PyBuffer_Release(&view);
    return err != 0 ? mod_raise_errno(err) : PyLong_FromSize_t(len);
}

/* hci_cmd(ogf, ocf, request, response) -> HCI status; the return
 * parameters are copied into the writable response buffer. */
PyObject *mod_hci_cmd(PyObject *self, PyObject *args)
{
    long long v[2];
    struct mod_buf req;
    Py_buffer rsp;
    uint8_t status = 0;
    int err;

    if (mod_args_check(args, "hci_cmd", 4, 4) < 0 || mod_arg_int(args, 0, &v[0]) < 0 ||
        mod_arg_int(args, 1, &v[1]) < 0 ||
        mod_buf_get(PyTuple_GET_ITEM(args, 2), &req, false) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, 3), &rsp, PyBUF_WRITABLE) < 0) {
        mod_buf_release(&req);
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_hci_cmd((uint16_t)v[0], (uint16_t)v[1], req.p, req.len, rsp.buf,
                         (size_t)rsp.len, &status);
    mod_api_exit();
    PyBuffer_Release(&rsp);
    mod_buf_release(&req);
    return err != 0 ? mod_raise_errno(err) : PyLong_FromLong(status);
}

/* SPDX-License-Identifier: MIT */
/*
 * mod_internal.h: what the files of the CPython `bluetooth` extension share
 * (bindings/python/mod*.c). The module implements shared/API.md section 1
 * on top of include/blehost/bh_ble.h and the threaded POSIX port; the event
 * delivery design is described in README-module.md.
 *
 * Locks, in the only order they may be taken: the GIL, then the host lock
 * (bh_posix_lock), then the event queue mutex (mod_events.c, a leaf). Nobody
 * waits for the host lock while holding the GIL: mod_api_enter() releases
 * the GIL while it waits, and a blocking API call releases it inside the
 * port's block() (mod_events.c).
 */
#ifndef BH_PY_MOD_INTERNAL_H
#define BH_PY_MOD_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_ble.h"

/* Cast a METH_VARARGS | METH_KEYWORDS function for a PyMethodDef. */
#define MOD_KWFN(fn) ((PyCFunction)(void (*)(void))(fn))

/* ---- modbluetooth.c ---------------------------------------------------------- */

/* Raise OSError for a negative errno (MicroPython numbering and "[Errno n]
 * NAME" text); returns NULL. */
PyObject *mod_raise_errno(int err);
/* None for err == 0, else mod_raise_errno(err). */
PyObject *mod_result(int err);

/* Take the host lock for a blehost call (GIL held by the caller; the GIL is
 * released while the lock is contended). mod_api_exit() drops it again and
 * then delivers the events the call raised synchronously (API.md 1.4). */
void mod_api_enter(void);
void mod_api_exit(void);

/* A read-only view of any buffer or str (UTF-8), as MicroPython's
 * mp_get_buffer_raise. None is refused unless allow_none (then p == NULL). */
struct mod_buf {
    Py_buffer view;
    bool has_view;
    const uint8_t *p;
    size_t len;
};
int mod_buf_get(PyObject *o, struct mod_buf *b, bool allow_none);
void mod_buf_release(struct mod_buf *b);

/* Integer argument as MicroPython's mp_obj_get_int (ints and bools; floats
 * are a TypeError), truncated to the C type by the caller. */
int mod_get_int(PyObject *o, long long *out);
/* Positional arguments: TypeError unless min <= len(args) <= max. */
int mod_args_check(PyObject *args, const char *fn, Py_ssize_t min, Py_ssize_t max);
/* args[i] as an int (mod_get_int). */
int mod_arg_int(PyObject *args, Py_ssize_t i, long long *out);
/* args[0..n-1] as ints, after mod_args_check(args, fn, n, n). */
int mod_args_ints(PyObject *args, const char *fn, Py_ssize_t n, long long *out);

/* ---- mod_uuid.c ------------------------------------------------------------------- */

extern PyTypeObject mod_uuid_type;
int mod_uuid_ready(void);
bool mod_uuid_check(PyObject *o);
/* The blehost form of a UUID object (mod_uuid_check(o) must hold). */
void mod_uuid_get(PyObject *o, struct bh_uuid *out);
PyObject *mod_uuid_new(const struct bh_uuid *u);

/* ---- mod_gap.c, mod_gatts.c, mod_gattc.c, mod_l2cap.c: BLE methods ----------------- */

PyObject *mod_gap_advertise(PyObject *self, PyObject *args, PyObject *kw);
PyObject *mod_gap_scan(PyObject *self, PyObject *args);
PyObject *mod_gap_connect(PyObject *self, PyObject *args);
PyObject *mod_gap_disconnect(PyObject *self, PyObject *args);
PyObject *mod_gap_pair(PyObject *self, PyObject *args);
PyObject *mod_gap_unpair(PyObject *self, PyObject *args);
PyObject *mod_gap_passkey(PyObject *self, PyObject *args);

PyObject *mod_gatts_register_services(PyObject *self, PyObject *args);
PyObject *mod_gatts_read(PyObject *self, PyObject *args);
PyObject *mod_gatts_write(PyObject *self, PyObject *args);
PyObject *mod_gatts_notify(PyObject *self, PyObject *args);
PyObject *mod_gatts_indicate(PyObject *self, PyObject *args);
PyObject *mod_gatts_set_buffer(PyObject *self, PyObject *args);

PyObject *mod_gattc_discover_services(PyObject *self, PyObject *args);
PyObject *mod_gattc_discover_characteristics(PyObject *self, PyObject *args);
PyObject *mod_gattc_discover_descriptors(PyObject *self, PyObject *args);
PyObject *mod_gattc_read(PyObject *self, PyObject *args);
PyObject *mod_gattc_write(PyObject *self, PyObject *args);
PyObject *mod_gattc_exchange_mtu(PyObject *self, PyObject *args);

PyObject *mod_l2cap_listen(PyObject *self, PyObject *args);
PyObject *mod_l2cap_connect(PyObject *self, PyObject *args);
PyObject *mod_l2cap_disconnect(PyObject *self, PyObject *args);
PyObject *mod_l2cap_send(PyObject *self, PyObject *args);
PyObject *mod_l2cap_recvinto(PyObject *self, PyObject *args);
PyObject *mod_hci_cmd(PyObject *self, PyObject *args);

/* ---- mod_events.c ------------------------------------------------------------------ */

/* Once, at import: hooks into _blehost_compat (if importable) and the
 * structures below. 0 or -1 with a Python error set. */
int mod_events_init(void);
/* The port handed to bh_os_init(): the threaded POSIX port whose block()
 * also answers Python-bound requests (see README-module.md). */
const struct bh_port *mod_events_port(void);
/* Install the event callback and the secret store (host lock held). */
void mod_events_install(void);
/* Start the fallback dispatcher thread (idempotent). */
void mod_events_start(void);
/* Before active(False): make host-thread requests stop waiting for Python
 * and wait until none is parked; mod_events_resume() after the stop. */
void mod_events_quiesce(void);
void mod_events_resume(void);
/* At interpreter exit: stop the dispatcher thread (GIL held). */
void mod_events_shutdown(void);

/* irq(handler): handler is callable or None (checked by the caller). */
void mod_events_set_handler(PyObject *handler);

/* Called by mod_api_exit() with the host lock released (if this thread
 * holds it no more) and the GIL held: deliver what the call raised. */
void mod_events_after_api(void);
/* Depth of blehost calls on this thread (mod_api_enter nesting). */
extern _Thread_local int mod_api_depth;

#endif /* BH_PY_MOD_INTERNAL_H */

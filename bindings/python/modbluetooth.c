/* SPDX-License-Identifier: MIT */
/*
 * modbluetooth.c: the CPython extension module `bluetooth` (API.md 1.1 and
 * 1.3): the module object, the BLE singleton with active(), config() and
 * irq(), and the helpers every method file shares (errno to OSError,
 * buffer and int arguments, the host-lock bracket around blehost calls).
 * The GAP/GATT/L2CAP methods live in mod_gap.c, mod_gatts.c, mod_gattc.c
 * and mod_l2cap.c; UUID in mod_uuid.c; event delivery in mod_events.c.
 *
 * The stack runs on the threaded POSIX port: active(True) opens the
 * transport named by BLEHOST_HCI, starts the host thread and calls
 * bh_ble_init(); active(False) undoes all three, so the pair can repeat.
 */
#include "mod_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bh_posix.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"

#ifndef MOD_PAIRING
#define MOD_PAIRING 0
#endif

#define MOD_HCI_ENV "BLEHOST_HCI"
#define MOD_SNOOP_ENV "BLEHOST_BTSNOOP"

PyMODINIT_FUNC PyInit_bluetooth(void);

struct mod_ctx {
    PyObject *ble;  /* the BLE singleton, created on first BLE() */
    bool running;   /* os initialised, transport open, host thread started */
    char spec[256]; /* the transport tried last, for messages */
};
static struct mod_ctx mod;

/* ---- errors --------------------------------------------------------------------- */

static const struct {
    int num;
    const char *name;
} mod_errno_names[] = {
    {ENOENT, "ENOENT"},     {EIO, "EIO"},       {E2BIG, "E2BIG"},
    {EAGAIN, "EAGAIN"},     {ENOMEM, "ENOMEM"}, {EBUSY, "EBUSY"},
    {ENODEV, "ENODEV"},     {EINVAL, "EINVAL"}, {EOPNOTSUPP, "EOPNOTSUPP"},
    {ENOTCONN, "ENOTCONN"}, {ETIMEDOUT, "ETIMEDOUT"}, {EALREADY, "EALREADY"},
};

/* The host's errno space is wider than MicroPython's (API.md 1.6): fold the
 * few extra codes into the nearest MicroPython one. */
static int mod_errno_fold(int e)
{
    switch (e) {
    case ENOBUFS:
        return ENOMEM;
    case EMSGSIZE:
        return EINVAL;
    case EDEADLK:
        return EBUSY;
    case ECANCELED:
        return EIO;
    default:
        return e;
    }
}

static PyObject *mod_raise_errno_msg(int e, const char *detail)
{
    const char *name = NULL;
    PyObject *exc;

    for (size_t i = 0; i < sizeof(mod_errno_names) / sizeof(mod_errno_names[0]); i++) {
        if (mod_errno_names[i].num == e) {
            name = mod_errno_names[i].name;
        }
    }
    if (name == NULL) {
        name = strerror(e);
    }
    /* OSError(n, "NAME") prints as MicroPython's "[Errno n] NAME". */
    if (detail != NULL) {
        exc = PyObject_CallFunction(PyExc_OSError, "is", e, detail);
    } else {
        exc = PyObject_CallFunction(PyExc_OSError, "is", e, name);
    }
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return NULL;
}

PyObject *mod_raise_errno(int err)
{
    return mod_raise_errno_msg(mod_errno_fold(err < 0 ? -err : err), NULL);
}

PyObject *mod_result(int err)
{
    if (err != 0) {
        return mod_raise_errno(err);
    }
    Py_RETURN_NONE;
}

/* ---- argument helpers -------------------------------------------------------------- */

int mod_buf_get(PyObject *o, struct mod_buf *b, bool allow_none)
{
    memset(b, 0, sizeof(*b));
    if (o == Py_None && allow_none) {
        return 0;
    }
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);

        if (s == NULL) {
            return -1;
        }
        b->p = (const uint8_t *)s;
        b->len = (size_t)n;
        return 0;
    }
    if (PyObject_GetBuffer(o, &b->view, PyBUF_SIMPLE) < 0) {
        return -1;
    }
    b->has_view = true;
    b->p = b->view.buf;
    b->len = (size_t)b->view.len;
    return 0;
}

void mod_buf_release(struct mod_buf *b)
{
    if (b->has_view) {
        PyBuffer_Release(&b->view);
        b->has_view = false;
    }
}

int mod_get_int(PyObject *o, long long *out)
{
    PyObject *idx = PyNumber_Index(o);
    int overflow = 0;

    if (idx == NULL) {
        return -1;
    }
    *out = PyLong_AsLongLongAndOverflow(idx, &overflow);
    Py_DECREF(idx);
    if (*out == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow != 0) {
        PyErr_SetString(PyExc_OverflowError, "overflow converting long int to machine word");
        return -1;
    }
    return 0;
}

int mod_args_check(PyObject *args, const char *fn, Py_ssize_t min, Py_ssize_t max)
{
    Py_ssize_t n = PyTuple_GET_SIZE(args);

    if (n < min || n > max) {
        if (min == max) {
            PyErr_Format(PyExc_TypeError, "%s() takes %zd positional arguments but %zd were given",
                         fn, min, n);
        } else {
            PyErr_Format(PyExc_TypeError, "%s() takes %zd to %zd positional arguments but %zd "
                         "were given", fn, min, max, n);
        }
        return -1;
    }
    return 0;
}

int mod_arg_int(PyObject *args, Py_ssize_t i, long long *out)
{
    return mod_get_int(PyTuple_GET_ITEM(args, i), out);
}

int mod_args_ints(PyObject *args, const char *fn, Py_ssize_t n, long long *out)
{
    if (mod_args_check(args, fn, n, n) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (mod_arg_int(args, i, &out[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- the host-lock bracket ------------------------------------------------------------ */

_Thread_local int mod_api_depth;

void mod_api_enter(void)
{
    if (mod_api_depth == 0) {
        /* Never wait for the host lock with the GIL held (lock order). */
        Py_BEGIN_ALLOW_THREADS
        bh_posix_lock();
        Py_END_ALLOW_THREADS
    } else {
        bh_posix_lock(); /* already ours: recursive, does not wait */
    }
    mod_api_depth++;
}

void mod_api_exit(void)
{
    mod_api_depth--;
    bh_posix_unlock();
    if (mod_api_depth == 0 && mod.running) {
        /* The call may have armed a timer while the host thread sleeps in
         * poll() with a deadline computed before: make it look again. */
        bh_port_wake();
    }
    mod_events_after_api();
}

/* ---- active() --------------------------------------------------------------------------- */

static void stack_teardown(void)
{
    Py_BEGIN_ALLOW_THREADS
    bh_posix_thread_stop();
    Py_END_ALLOW_THREADS
    bh_posix_snoop_close();
    bh_posix_transport_close();
    mod.running = false;
}

static PyObject *raise_no_controller(int err, const char *what)
{
    char msg[400];

    snprintf(msg, sizeof(msg), "ETIMEDOUT: no controller answered on %s (%s: %s)", mod.spec,
             what, strerror(err < 0 ? -err : err));
    return mod_raise_errno_msg(ETIMEDOUT, msg);
}

/* Open the transport and start the host thread (not yet running). */
static int stack_open(void)
{
    const char *spec = getenv(MOD_HCI_ENV);
    const char *snoop = getenv(MOD_SNOOP_ENV);
    int err;

    if (spec == NULL || spec[0] == '\0') {
        snprintf(mod.spec, sizeof(mod.spec), "%s", "(none)");
        mod_raise_errno_msg(ETIMEDOUT, "ETIMEDOUT: no controller: set " MOD_HCI_ENV
                                       " to unix:/path, tcp:host:port or tty:/dev/X[@baud]");
        return -1;
    }
    snprintf(mod.spec, sizeof(mod.spec), "%s", spec);
    bh_os_init(mod_events_port());
    bh_hci_init();
    err = bh_posix_transport_open(spec);
    if (err < 0) {
        raise_no_controller(err, "open");
        return -1;
    }
    if (snoop != NULL && snoop[0] != '\0' && bh_posix_snoop_open(snoop) < 0) {
        fprintf(stderr, "bluetooth: cannot write btsnoop file %s\n", snoop);
    }
    err = bh_posix_thread_start();
    if (err < 0) {
        bh_posix_snoop_close();
        bh_posix_transport_close();
        mod_raise_errno(err);
        return -1;
    }
    mod.running = true;
    mod_events_start();
    return 0;
}

static int stack_start(void)
{
    int err;

    if (!mod.running && stack_open() < 0) {
        return -1;
    }
    mod_api_enter();
    mod_events_install();
    err = bh_ble_init();
    mod_api_exit();
    if (err == 0) {
        return 0;
    }
    mod_events_quiesce();
    mod_api_enter();
    (void)bh_ble_deinit();
    mod_api_exit();
    stack_teardown();
    mod_events_resume();
    if (err == -ETIMEDOUT) {
        raise_no_controller(err, "HCI init");
    } else {
        mod_raise_errno(err);
    }
    return -1;
}

static int stack_stop(void)
{
    int err;

    if (!mod.running) {
        return 0;
    }
    mod_events_quiesce();
    mod_api_enter();
    err = bh_ble_deinit();
    mod_api_exit();
    stack_teardown();
    mod_events_resume();
    if (err < 0) {
        mod_raise_errno(err);
        return -1;
    }
    return 0;
}

static bool stack_is_active(void)
{
    bool on;

    mod_api_enter();
    on = bh_ble_is_active();
    mod_api_exit();
    return on;
}

static PyObject *ble_active(PyObject *self, PyObject *args)
{
    PyObject *state = NULL;

    if (!PyArg_ParseTuple(args, "|O:active", &state)) {
        return NULL;
    }
    if (state != NULL) {
        int on = PyObject_IsTrue(state);

        if (on < 0) {
            return NULL;
        }
        if ((on ? stack_start() : stack_stop()) < 0) {
            return NULL;
        }
    }
    return PyBool_FromLong(stack_is_active());
}

/* ---- config() ----------------------------------------------------------------------------- */

static PyObject *config_unknown(void)
{
    PyErr_SetString(PyExc_ValueError, "unknown config param");
    return NULL;
}

static PyObject *config_get_mac(void)
{
    uint8_t type = 0;
    uint8_t addr[6] = {0};
    int err;

    mod_api_enter();
    err = bh_ble_get_addr(&type, addr);
    mod_api_exit();
    if (err != 0) {
        return mod_raise_errno(err);
    }
    return Py_BuildValue("(iy#)", (int)type, (const char *)addr, (Py_ssize_t)6);
}

static PyObject *config_get(PyObject *name)
{
    const char *key;

    if (!PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "config query must be a str");
        return NULL;
    }
    key = PyUnicode_AsUTF8(name);
    if (key == NULL) {
        return NULL;
    }
    if (strcmp(key, "mac") == 0) {
        return config_get_mac();
    }
    if (strcmp(key, "gap_name") == 0) {
        const uint8_t *p = NULL;
        PyObject *r;

        mod_api_enter();
        size_t n = bh_ble_gap_get_name(&p);
        r = PyBytes_FromStringAndSize((const char *)p, p != NULL ? (Py_ssize_t)n : 0);
        mod_api_exit();
        return r;
    }
    if (strcmp(key, "mtu") == 0) {
        int mtu;

        mod_api_enter();
        mtu = bh_ble_get_preferred_mtu();
        mod_api_exit();
        return mtu < 0 ? mod_raise_errno(mtu) : PyLong_FromLong(mtu);
    }
    /* rxbuf exists only in ringbuffer mode; this module is always sync mode. */
    return config_unknown();
}

static int config_set_int(PyObject *value, long long lo, long long hi, long long *out)
{
    if (mod_get_int(value, out) < 0) {
        return -1;
    }
    if (*out < lo || *out > hi) {
        mod_raise_errno(-EINVAL);
        return -1;
    }
    return 0;
}

#if MOD_PAIRING
/* bond, mitm, le_secure, io (and sc): accepted while inactive (API.md 1.3). */
static int config_set_pairing(const char *key, PyObject *value, bool *handled)
{
    int truth;
    long long io;

    *handled = true;
    if (strcmp(key, "io") == 0) {
        if (config_set_int(value, 0, 4, &io) < 0) {
            return -1;
        }
        mod_api_enter();
        bh_ble_set_io_capability((uint8_t)io);
        mod_api_exit();
        return 0;
    }
    /* sc is blehost's own: False offers LE legacy pairing only (README-module.md). */
    if (strcmp(key, "bond") != 0 && strcmp(key, "mitm") != 0 && strcmp(key, "le_secure") != 0 &&
        strcmp(key, "sc") != 0) {
        *handled = false;
        return 0;
    }
    truth = PyObject_IsTrue(value);
    if (truth < 0) {
        return -1;
    }
    mod_api_enter();
    if (key[0] == 'b') {
        bh_ble_set_bonding(truth != 0);
    } else if (key[0] == 'm') {
        bh_ble_set_mitm(truth != 0);
    } else if (key[0] == 's') {
        bh_ble_set_sc(truth != 0);
    } else {
        bh_ble_set_le_secure(truth != 0);
    }
    mod_api_exit();
    return 0;
}
#endif

static int config_set_one(const char *key, PyObject *value)
{
    long long v;
    int err;

    if (strcmp(key, "gap_name") == 0) {
        struct mod_buf b;

        if (mod_buf_get(value, &b, false) < 0) {
            return -1;
        }
        mod_api_enter();
        err = bh_ble_gap_set_name(b.p, b.len);
        mod_api_exit();
        mod_buf_release(&b);
    } else if (strcmp(key, "mtu") == 0 || strcmp(key, "addr_mode") == 0) {
        bool mtu = key[0] == 'm';

        if (config_set_int(value, 0, mtu ? 65535 : 3, &v) < 0) {
            return -1;
        }
        mod_api_enter();
        err = mtu ? bh_ble_set_preferred_mtu((uint16_t)v) : bh_ble_set_addr_mode((uint8_t)v);
        mod_api_exit();
    } else {
#if MOD_PAIRING
        bool handled = false;

        if (config_set_pairing(key, value, &handled) < 0) {
            return -1;
        }
        if (handled) {
            return 0;
        }
#endif
        config_unknown();
        return -1;
    }
    if (err != 0) {
        mod_raise_errno(err);
        return -1;
    }
    return 0;
}

static PyObject *ble_config(PyObject *self, PyObject *args, PyObject *kw)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    Py_ssize_t nkw = kw != NULL ? PyDict_GET_SIZE(kw) : 0;
    PyObject *key;
    PyObject *value;
    Py_ssize_t pos = 0;

    if (nkw == 0) {
        if (nargs != 1) {
            PyErr_SetString(PyExc_TypeError, "must query one param");
            return NULL;
        }
        return config_get(PyTuple_GET_ITEM(args, 0));
    }
    if (nargs != 0) {
        PyErr_SetString(PyExc_TypeError, "config: query by name or set by keyword, not both");
        return NULL;
    }
    while (PyDict_Next(kw, &pos, &key, &value)) {
        const char *k = PyUnicode_AsUTF8(key);

        if (k == NULL || config_set_one(k, value) < 0) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

/* ---- irq() -------------------------------------------------------------------------------- */

static PyObject *ble_irq(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"handler", NULL};
    PyObject *handler;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:irq", kwlist, &handler)) {
        return NULL;
    }
    if (handler != Py_None && !PyCallable_Check(handler)) {
        PyErr_SetString(PyExc_ValueError, "invalid handler");
        return NULL;
    }
    mod_events_set_handler(handler);
    Py_RETURN_NONE;
}

/* ---- the BLE type ------------------------------------------------------------------------ */

static PyMethodDef ble_methods[] = {
    {"active", ble_active, METH_VARARGS, "active([state]) -> bool"},
    {"config", MOD_KWFN(ble_config), METH_VARARGS | METH_KEYWORDS, "config('name') / config(k=v)"},
    {"irq", MOD_KWFN(ble_irq), METH_VARARGS | METH_KEYWORDS, "irq(handler)"},
    {"gap_advertise", MOD_KWFN(mod_gap_advertise), METH_VARARGS | METH_KEYWORDS, NULL},
    {"gap_scan", mod_gap_scan, METH_VARARGS, NULL},
    {"gap_connect", mod_gap_connect, METH_VARARGS, NULL},
    {"gap_disconnect", mod_gap_disconnect, METH_VARARGS, NULL},
#if MOD_PAIRING
    {"gap_pair", mod_gap_pair, METH_VARARGS, NULL},
    {"gap_passkey", mod_gap_passkey, METH_VARARGS, NULL},
    {"gap_unpair", mod_gap_unpair, METH_VARARGS, NULL},
#endif
    {"gatts_register_services", mod_gatts_register_services, METH_VARARGS, NULL},
    {"gatts_read", mod_gatts_read, METH_VARARGS, NULL},
    {"gatts_write", mod_gatts_write, METH_VARARGS, NULL},
    {"gatts_notify", mod_gatts_notify, METH_VARARGS, NULL},
    {"gatts_indicate", mod_gatts_indicate, METH_VARARGS, NULL},
    {"gatts_set_buffer", mod_gatts_set_buffer, METH_VARARGS, NULL},
    {"gattc_discover_services", mod_gattc_discover_services, METH_VARARGS, NULL},
    {"gattc_discover_characteristics", mod_gattc_discover_characteristics, METH_VARARGS, NULL},
    {"gattc_discover_descriptors", mod_gattc_discover_descriptors, METH_VARARGS, NULL},
    {"gattc_read", mod_gattc_read, METH_VARARGS, NULL},
    {"gattc_write", mod_gattc_write, METH_VARARGS, NULL},
    {"gattc_exchange_mtu", mod_gattc_exchange_mtu, METH_VARARGS, NULL},
    {"l2cap_listen", mod_l2cap_listen, METH_VARARGS, NULL},
    {"l2cap_connect", mod_l2cap_connect, METH_VARARGS, NULL},
    {"l2cap_disconnect", mod_l2cap_disconnect, METH_VARARGS, NULL},
    {"l2cap_send", mod_l2cap_send, METH_VARARGS, NULL},
    {"l2cap_recvinto", mod_l2cap_recvinto, METH_VARARGS, NULL},
    {"hci_cmd", mod_hci_cmd, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

/* BLE(...) always returns the one instance; arguments are ignored. */
static PyObject *ble_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    if (mod.ble == NULL) {
        mod.ble = type->tp_alloc(type, 0);
        if (mod.ble == NULL) {
            return NULL;
        }
    }
    Py_INCREF(mod.ble);
    return mod.ble;
}

static PyTypeObject ble_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bluetooth.BLE",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "BLE(): the Bluetooth LE radio (a singleton)",
    .tp_new = ble_new,
    .tp_methods = ble_methods,
};

/* ---- the module -------------------------------------------------------------------------- */

/* atexit: stop delivering and shut the stack down, as MicroPython's unix
 * port calls mp_bluetooth_deinit() at exit. */
static PyObject *mod_atexit(PyObject *unused, PyObject *noargs)
{
    mod_events_shutdown();
    if (stack_stop() < 0) {
        PyErr_Clear();
    }
    Py_RETURN_NONE;
}

static PyMethodDef mod_atexit_def = {"_bluetooth_atexit", mod_atexit, METH_NOARGS, NULL};

static int mod_register_atexit(void)
{
    PyObject *fn = PyCFunction_New(&mod_atexit_def, NULL);
    PyObject *atexit_mod = PyImport_ImportModule("atexit");
    PyObject *r = NULL;

    if (fn != NULL && atexit_mod != NULL) {
        r = PyObject_CallMethod(atexit_mod, "register", "O", fn);
    }
    Py_XDECREF(fn);
    Py_XDECREF(atexit_mod);
    Py_XDECREF(r);
    return r != NULL ? 0 : -1;
}

static struct PyModuleDef mod_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "bluetooth",
    .m_doc = "MicroPython's bluetooth API over the blehost BLE host stack",
    .m_size = -1,
};

static int mod_add_flags(PyObject *m)
{
    static const struct {
        const char *name;
        long value;
    } flags[] = {
        {"FLAG_READ", BH_FLAG_READ},
        {"FLAG_WRITE", BH_FLAG_WRITE},
        {"FLAG_NOTIFY", BH_FLAG_NOTIFY},
        {"FLAG_INDICATE", BH_FLAG_INDICATE},
        {"FLAG_WRITE_NO_RESPONSE", BH_FLAG_WRITE_NO_RESPONSE},
    };

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (PyModule_AddIntConstant(m, flags[i].name, flags[i].value) < 0) {
            return -1;
        }
    }
    return 0;
}

PyMODINIT_FUNC PyInit_bluetooth(void)
{
    PyObject *m;

    if (PyType_Ready(&ble_type) < 0 || mod_uuid_ready() < 0) {
        return NULL;
    }
    m = PyModule_Create(&mod_def);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&ble_type);
    Py_INCREF(&mod_uuid_type);
    if (PyModule_AddObject(m, "BLE", (PyObject *)&ble_type) < 0 ||
        PyModule_AddObject(m, "UUID", (PyObject *)&mod_uuid_type) < 0 || mod_add_flags(m) < 0 ||
        mod_events_init() < 0 || mod_register_atexit() < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

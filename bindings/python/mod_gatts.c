/* SPDX-License-Identifier: MIT */
/*
 * mod_gatts.c: the GATT server methods of BLE (API.md 1.3 gatts_*, 1.5).
 * gatts_register_services parses the whole definition first (so argument
 * errors register nothing), then registers every service between
 * bh_ble_gatts_register_begin() and _end() and returns the value and user
 * descriptor handles per service, as tuples. The attribute value store
 * itself lives in the host (src/host/gatts_db.c).
 */
#include "mod_internal.h"

#include <errno.h>
#include <string.h>

/* One service, flattened the way bh_ble_gatts_register_service() wants it. */
struct gatts_svc {
    struct bh_uuid uuid;
    size_t n_chr;
    size_t n_dsc;
    struct bh_uuid *uuids;        /* n_chr characteristics, then n_dsc descriptors */
    const struct bh_uuid **ptrs;  /* pointers into uuids, same order */
    uint16_t *flags;              /* same order */
    uint8_t *n_dsc_per_chr;
    uint16_t *handles;            /* n_chr + n_dsc */
};

static void gatts_svcs_free(struct gatts_svc *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        PyMem_Free(s[i].uuids);
        PyMem_Free(s[i].ptrs);
        PyMem_Free(s[i].flags);
        PyMem_Free(s[i].n_dsc_per_chr);
        PyMem_Free(s[i].handles);
    }
    PyMem_Free(s);
}

static int gatts_bad(const char *what)
{
    PyErr_SetString(PyExc_ValueError, what);
    return -1;
}

/* (UUID, flags): store into slot k of s. */
static int gatts_parse_attr(struct gatts_svc *s, size_t k, PyObject *uuid, PyObject *flags,
                            const char *bad_uuid)
{
    long long f;

    if (!mod_uuid_check(uuid)) {
        return gatts_bad(bad_uuid);
    }
    if (mod_get_int(flags, &f) < 0) {
        return -1;
    }
    mod_uuid_get(uuid, &s->uuids[k]);
    s->flags[k] = (uint16_t)(f & 0xFFFF); /* higher bits (aioble's 0x10000) are dropped */
    return 0;
}

/* Count descriptors of every characteristic and check the tuple shapes. */
static int gatts_count(PyObject *chrs, struct gatts_svc *s)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(chrs);

    s->n_chr = (size_t)n;
    s->n_dsc = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PySequence_Fast_GET_ITEM(chrs, i);
        Py_ssize_t len;

        if (!PyTuple_Check(c) && !PyList_Check(c)) {
            return gatts_bad("invalid characteristic tuple");
        }
        len = PySequence_Size(c);
        if (len != 2 && len != 3) {
            return gatts_bad("invalid characteristic tuple");
        }
        if (len == 3) {
            PyObject *d = PySequence_GetItem(c, 2);
            Py_ssize_t nd = d != NULL ? PyObject_Length(d) : -1;

            Py_XDECREF(d);
            if (nd < 0) {
                return -1;
            }
            if (nd > 255) {
                return gatts_bad("too many descriptors");
            }
            s->n_dsc += (size_t)nd;
        }
    }
    return 0;
}

static int gatts_parse_dscs(PyObject *dscs, struct gatts_svc *s, size_t *k, uint8_t *count)
{
    PyObject *seq = PySequence_Fast(dscs, "descriptors must be a sequence");
    Py_ssize_t n;
    int err = 0;

    if (seq == NULL) {
        return -1;
    }
    n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n && err == 0; i++) {
        PyObject *d = PySequence_Fast_GET_ITEM(seq, i);

        if (!PyTuple_Check(d) || PyTuple_GET_SIZE(d) != 2) {
            err = gatts_bad("invalid descriptor tuple");
        } else if (*k >= s->n_chr + s->n_dsc) {
            err = gatts_bad("descriptors changed while registering");
        } else {
            err = gatts_parse_attr(s, *k, PyTuple_GET_ITEM(d, 0), PyTuple_GET_ITEM(d, 1),
                                   "invalid descriptor UUID");
            (*k)++;
        }
    }
    *count = (uint8_t)n;
    Py_DECREF(seq);
    return err;
}

static int gatts_alloc(struct gatts_svc *s)
{
    size_t n = s->n_chr + s->n_dsc;
    size_t m = n > 0 ? n : 1;

    s->uuids = PyMem_Calloc(m, sizeof(*s->uuids));
    s->ptrs = PyMem_Calloc(m, sizeof(*s->ptrs));
    s->flags = PyMem_Calloc(m, sizeof(*s->flags));
    s->n_dsc_per_chr = PyMem_Calloc(s->n_chr > 0 ? s->n_chr : 1, 1);
    s->handles = PyMem_Calloc(m, sizeof(*s->handles));
    if (!s->uuids || !s->ptrs || !s->flags || !s->n_dsc_per_chr || !s->handles) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        s->ptrs[i] = &s->uuids[i];
    }
    return 0;
}

/* Characteristics go to slots 0..n_chr-1, descriptors after them in order. */
static int gatts_parse_chrs(PyObject *chrs, struct gatts_svc *s)
{
    size_t k = s->n_chr;

    for (size_t i = 0; i < s->n_chr; i++) {
        PyObject *c = PySequence_Fast(PySequence_Fast_GET_ITEM(chrs, i), "characteristic");
        int err;

        if (c == NULL) {
            return -1;
        }
        err = gatts_parse_attr(s, i, PySequence_Fast_GET_ITEM(c, 0),
                               PySequence_Fast_GET_ITEM(c, 1), "invalid characteristic UUID");
        if (err == 0 && PySequence_Fast_GET_SIZE(c) == 3) {
            err = gatts_parse_dscs(PySequence_Fast_GET_ITEM(c, 2), s, &k, &s->n_dsc_per_chr[i]);
        }
        Py_DECREF(c);
        if (err < 0) {
            return -1;
        }
    }
    return 0;
}

static int gatts_parse_svc(PyObject *item, struct gatts_svc *s)
{
    PyObject *svc = PySequence_Fast(item, "invalid service tuple");
    PyObject *chrs = NULL;
    int err = -1;

    if (svc == NULL) {
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(svc) != 2) {
        gatts_bad("invalid service tuple");
        goto out;
    }
    if (!mod_uuid_check(PySequence_Fast_GET_ITEM(svc, 0))) {
        gatts_bad("invalid service UUID");
        goto out;
    }
    mod_uuid_get(PySequence_Fast_GET_ITEM(svc, 0), &s->uuid);
    chrs = PySequence_Fast(PySequence_Fast_GET_ITEM(svc, 1), "characteristics must be a sequence");
    if (chrs == NULL || gatts_count(chrs, s) < 0 || gatts_alloc(s) < 0) {
        goto out;
    }
    err = gatts_parse_chrs(chrs, s);
out:
    Py_XDECREF(chrs);
    Py_DECREF(svc);
    return err;
}

static int gatts_register(struct gatts_svc *s, size_t n)
{
    int err;

    mod_api_enter();
    err = bh_ble_gatts_register_begin(false);
    for (size_t i = 0; i < n && err == 0; i++) {
        const struct bh_uuid **dsc = s[i].ptrs + s[i].n_chr;

        err = bh_ble_gatts_register_service(&s[i].uuid, s[i].ptrs, s[i].flags, dsc,
                                            s[i].flags + s[i].n_chr, s[i].n_dsc_per_chr,
                                            s[i].handles, s[i].n_chr);
    }
    if (err == 0) {
        err = bh_ble_gatts_register_end();
    }
    mod_api_exit();
    return err;
}

/* Per service: each characteristic's value handle, then its descriptors'. */
static PyObject *gatts_handles(const struct gatts_svc *s, size_t n)
{
    PyObject *result = PyTuple_New((Py_ssize_t)n);

    for (size_t i = 0; result != NULL && i < n; i++) {
        const struct gatts_svc *v = &s[i];
        PyObject *t = PyTuple_New((Py_ssize_t)(v->n_chr + v->n_dsc));

        if (t == NULL) {
            Py_CLEAR(result);
            break;
        }
        for (size_t j = 0; j < v->n_chr + v->n_dsc; j++) {
            PyTuple_SET_ITEM(t, (Py_ssize_t)j, PyLong_FromLong(v->handles[j]));
        }
        PyTuple_SET_ITEM(result, (Py_ssize_t)i, t);
    }
    return result;
}

PyObject *mod_gatts_register_services(PyObject *self, PyObject *args)
{
    PyObject *services;
    PyObject *seq;
    PyObject *result = NULL;
    struct gatts_svc *s;
    Py_ssize_t n;
    int err = 0;

    if (!PyArg_ParseTuple(args, "O:gatts_register_services", &services)) {
        return NULL;
    }
    seq = PySequence_Fast(services, "services must be a sequence");
    if (seq == NULL) {
        return NULL;
    }
    n = PySequence_Fast_GET_SIZE(seq);
    s = PyMem_Calloc(n > 0 ? (size_t)n : 1, sizeof(*s));
    if (s == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n && err == 0; i++) {
        err = gatts_parse_svc(PySequence_Fast_GET_ITEM(seq, i), &s[i]);
    }
    if (err == 0) {
        err = gatts_register(s, (size_t)n);
        result = err == 0 ? gatts_handles(s, (size_t)n) : mod_raise_errno(err);
    }
    gatts_svcs_free(s, (size_t)n);
    Py_DECREF(seq);
    return result;
}

PyObject *mod_gatts_read(PyObject *self, PyObject *args)
{
    const uint8_t *v = NULL;
    size_t len = 0;
    long long h;
    PyObject *r;
    int err;

    if (mod_args_ints(args, "gatts_read", 1, &h) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gatts_read((uint16_t)h, &v, &len);
    /* Copy while the host lock keeps the value still. Errors read as b''. */
    r = PyBytes_FromStringAndSize((const char *)v, (err == 0 && v != NULL) ? (Py_ssize_t)len : 0);
    mod_api_exit();
    return r;
}

PyObject *mod_gatts_write(PyObject *self, PyObject *args)
{
    long long h;
    int update = 0;
    struct mod_buf b;
    int err;

    if (mod_args_check(args, "gatts_write", 2, 3) < 0 || mod_arg_int(args, 0, &h) < 0) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 3 && (update = PyObject_IsTrue(PyTuple_GET_ITEM(args, 2))) < 0) {
        return NULL;
    }
    if (mod_buf_get(PyTuple_GET_ITEM(args, 1), &b, false) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gatts_write((uint16_t)h, b.p, b.len, update != 0);
    mod_api_exit();
    mod_buf_release(&b);
    if (err != 0) {
        return mod_raise_errno(err);
    }
    return PyLong_FromSize_t(b.len);
}

static PyObject *gatts_notify_indicate(PyObject *args, const char *fn, int op)
{
    long long v[2];
    struct mod_buf b;
    int err;

    if (mod_args_check(args, fn, 2, 3) < 0 || mod_arg_int(args, 0, &v[0]) < 0 ||
        mod_arg_int(args, 1, &v[1]) < 0) {
        return NULL;
    }
    if (mod_buf_get(PyTuple_GET_SIZE(args) == 3 ? PyTuple_GET_ITEM(args, 2) : Py_None, &b,
                    true) < 0) {
        return NULL;
    }
    mod_api_enter();
    err = bh_ble_gatts_notify_indicate((uint16_t)v[0], (uint16_t)v[1], op, b.p, b.len);
    mod_api_exit();
    mod_buf_release(&b);
    return mod_result(err);
}

PyObject *mod_gatts_notify(PyObject *self, PyObject *args)
{
    return gatts_notify_indicate(args, "gatts_notify", BH_GATTS_NOTIFY);
}

PyObject *mod_gatts_indicate(PyObject *self, PyObject *args)
{
    return gatts_notify_indicate(args, "gatts_indicate", BH_GATTS_INDICATE);
}

PyObject *mod_gatts_set_buffer(PyObject *self, PyObject *args)
{
    long long v[2];
    int append = 0;
    int err;

    if (mod_args_check(args, "gatts_set_buffer", 2, 3) < 0 || mod_arg_int(args, 0, &v[0]) < 0 ||
        mod_arg_int(args, 1, &v[1]) < 0) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 3 && (append = PyObject_IsTrue(PyTuple_GET_ITEM(args, 2))) < 0) {
        return NULL;
    }
    if (v[1] < 0) {
        return mod_raise_errno(-EINVAL);
    }
    mod_api_enter();
    err = bh_ble_gatts_set_buffer((uint16_t)v[0], (size_t)v[1], append != 0);
    mod_api_exit();
    return mod_result(err);
}

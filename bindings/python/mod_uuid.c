/* SPDX-License-Identifier: MIT */
/*
 * mod_uuid.c: bluetooth.UUID (API.md 1.2). A UUID is a width (2, 4 or 16
 * bytes) and 16 bytes of little-endian data. It is built from an int (16-bit),
 * from any buffer of 2, 4 or 16 bytes (raw little-endian bytes; str counts as
 * its UTF-8 bytes, hence UUID("AB12") == UUID(0x32314241)) or from text with
 * exactly 32 hex digits and any '-'. It exposes its bytes through the
 * read-only buffer protocol, compares only with other UUIDs (width first,
 * then the bytes in storage order) and hashes its bytes.
 */
#include "mod_internal.h"

#include <string.h>

struct mod_uuid {
    PyObject_HEAD
    uint8_t type;     /* 2, 4 or 16 */
    uint8_t data[16]; /* little-endian */
};

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Text form: digits fill the value from its most significant nibble down;
 * '-' is skipped wherever it is. Errors are checked in MicroPython's order:
 * a bad character first, then too many digits, then too few. */
static int uuid_parse_text(struct mod_uuid *u, const uint8_t *s, size_t len)
{
    int left = 32; /* nibbles still to fill */

    u->type = 16;
    memset(u->data, 0, sizeof(u->data));
    for (size_t i = 0; i < len; i++) {
        int v;

        if (s[i] == '-') {
            continue;
        }
        v = hex_value(s[i]);
        if (v < 0) {
            PyErr_SetString(PyExc_ValueError, "invalid char in UUID");
            return -1;
        }
        if (left == 0) {
            PyErr_SetString(PyExc_ValueError, "UUID too long");
            return -1;
        }
        left--;
        u->data[left / 2] |= (uint8_t)((left % 2) ? (v << 4) : v);
    }
    if (left > 0) {
        PyErr_SetString(PyExc_ValueError, "UUID too short");
        return -1;
    }
    return 0;
}

static int uuid_from_int(struct mod_uuid *u, PyObject *arg)
{
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(arg, &overflow);

    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow != 0 || v > 65535) {
        PyErr_SetString(PyExc_ValueError, "invalid UUID");
        return -1;
    }
    /* Like MicroPython, a negative value is kept modulo 2^16. */
    u->type = 2;
    u->data[0] = (uint8_t)(v & 0xff);
    u->data[1] = (uint8_t)((v >> 8) & 0xff);
    return 0;
}

static int uuid_from_buffer(struct mod_uuid *u, PyObject *arg)
{
    struct mod_buf b;
    int err = 0;

    if (mod_buf_get(arg, &b, false) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "can't convert '%s' object to UUID", Py_TYPE(arg)->tp_name);
        return -1;
    }
    if (b.len == 2 || b.len == 4 || b.len == 16) {
        u->type = (uint8_t)b.len;
        memcpy(u->data, b.p, b.len);
    } else {
        err = uuid_parse_text(u, b.p, b.len);
    }
    mod_buf_release(&b);
    return err;
}

static PyObject *uuid_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    struct mod_uuid *u;
    PyObject *arg;
    int err;

    if ((kw != NULL && PyDict_GET_SIZE(kw) != 0) || PyTuple_GET_SIZE(args) != 1) {
        PyErr_SetString(PyExc_TypeError, "UUID() takes exactly one positional argument");
        return NULL;
    }
    arg = PyTuple_GET_ITEM(args, 0);
    u = (struct mod_uuid *)type->tp_alloc(type, 0);
    if (u == NULL) {
        return NULL;
    }
    memset(u->data, 0, sizeof(u->data));
    err = PyLong_Check(arg) ? uuid_from_int(u, arg) : uuid_from_buffer(u, arg);
    if (err < 0) {
        Py_DECREF(u);
        return NULL;
    }
    return (PyObject *)u;
}

static PyObject *uuid_repr(PyObject *self)
{
    const struct mod_uuid *u = (const struct mod_uuid *)self;
    const uint8_t *d = u->data;

    if (u->type == 2) {
        return PyUnicode_FromFormat("UUID(0x%04x)", (unsigned)(d[0] | (d[1] << 8)));
    }
    if (u->type == 4) {
        unsigned long v = (unsigned long)d[0] | ((unsigned long)d[1] << 8) |
                          ((unsigned long)d[2] << 16) | ((unsigned long)d[3] << 24);
        char s[16];

        snprintf(s, sizeof(s), "%08lx", v);
        return PyUnicode_FromFormat("UUID(0x%s)", s);
    }
    /* 128-bit: big-endian text, 8-4-4-4-12. */
    char s[40];
    size_t n = 0;

    for (int i = 15; i >= 0; i--) {
        n += (size_t)snprintf(s + n, sizeof(s) - n, "%02x", d[i]);
        if (i == 12 || i == 10 || i == 8 || i == 6) {
            s[n++] = '-';
        }
    }
    s[n] = '\0';
    return PyUnicode_FromFormat("UUID('%s')", s);
}

static PyObject *uuid_richcompare(PyObject *a, PyObject *b, int op)
{
    const struct mod_uuid *x = (const struct mod_uuid *)a;
    const struct mod_uuid *y = (const struct mod_uuid *)b;
    int c;

    if (!mod_uuid_check(a) || !mod_uuid_check(b)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    /* Different widths compare by width only: a 16-bit UUID never equals its
     * 128-bit base-UUID expansion (API.md 1.2). */
    c = (x->type != y->type) ? (int)x->type - (int)y->type : memcmp(x->data, y->data, x->type);
    Py_RETURN_RICHCOMPARE(c, 0, op);
}

static Py_hash_t uuid_hash(PyObject *self)
{
    const struct mod_uuid *u = (const struct mod_uuid *)self;
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the data bytes */
    Py_hash_t r;

    for (unsigned i = 0; i < u->type; i++) {
        h = (h ^ u->data[i]) * 1099511628211ull;
    }
    r = (Py_hash_t)(h >> 1);
    return r == -1 ? -2 : r;
}

static int uuid_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    struct mod_uuid *u = (struct mod_uuid *)self;

    return PyBuffer_FillInfo(view, self, u->data, u->type, 1, flags);
}

static PyBufferProcs uuid_as_buffer = {
    .bf_getbuffer = uuid_getbuffer,
};

PyTypeObject mod_uuid_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "bluetooth.UUID",
    .tp_basicsize = sizeof(struct mod_uuid),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "UUID(value): a 16-, 32- or 128-bit Bluetooth UUID",
    .tp_new = uuid_new,
    .tp_repr = uuid_repr,
    .tp_str = uuid_repr,
    .tp_richcompare = uuid_richcompare,
    .tp_hash = uuid_hash,
    .tp_as_buffer = &uuid_as_buffer,
};

int mod_uuid_ready(void)
{
    return PyType_Ready(&mod_uuid_type);
}

bool mod_uuid_check(PyObject *o)
{
    return PyObject_TypeCheck(o, &mod_uuid_type);
}

void mod_uuid_get(PyObject *o, struct bh_uuid *out)
{
    const struct mod_uuid *u = (const struct mod_uuid *)o;

    memset(out, 0, sizeof(*out));
    out->type = u->type;
    memcpy(out->data, u->data, u->type);
}

PyObject *mod_uuid_new(const struct bh_uuid *src)
{
    struct mod_uuid *u = PyObject_New(struct mod_uuid, &mod_uuid_type);
    uint8_t t = src->type;

    if (u == NULL) {
        return NULL;
    }
    if (t != 2 && t != 4 && t != 16) {
        t = 16; /* never from a correct stack; keep the object valid */
    }
    u->type = t;
    memset(u->data, 0, sizeof(u->data));
    memcpy(u->data, src->data, t);
    return (PyObject *)u;
}

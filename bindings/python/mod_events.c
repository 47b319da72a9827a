/* SPDX-License-Identifier: MIT */
/*
 * mod_events.c: event delivery for the `bluetooth` module, MicroPython's
 * sync mode on a threaded host (API.md 1.4; the design and its reasons are
 * in README-module.md).
 *
 * The host thread's event callback copies each event into a queue and
 * returns. Python threads drain the queue with the GIL held, one event at a
 * time, never nested inside a running handler: the main thread between
 * bytecodes (Py_AddPendingCall) and inside time.sleep_ms/machine.idle (the
 * _blehost_compat wait hook); a dispatcher thread when nobody else did
 * within EV_DISPATCH_DELAY_MS (the main thread blocks in a system call).
 * Events raised inside an API call on the calling thread (scan stop -> 6)
 * are delivered before that call returns. Events whose answer matters (4,
 * 22, 29, 30) raised on the host thread make it wait, host lock released,
 * for a Python thread's answer; a blocked API call answers them from the
 * port's block() (ev_block), and the wait is bounded (EV_ANSWER_TIMEOUT_MS).
 */
#include "mod_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bh_posix.h"
#include "blehost/bh_os.h"

#define EV_ANSWER_TIMEOUT_MS 2000 /* host thread's wait for a Python answer */
#define EV_DISPATCH_DELAY_MS 10   /* age at which the dispatcher thread steps in */
#define EV_HOOK_SLICE_MS 10       /* longest sleep inside the compat wait hook */
#define EV_QUEUE_MAX 8192         /* queued events beyond this are dropped */
#define EV_DRAIN_ROUNDS 4         /* host passes one drain waits for (no starvation) */
#define EV_L2CAP_REJECT 0x0004    /* "no resources available" when no answer came */

enum ev_state { EV_QUEUED, EV_TAKEN, EV_DONE, EV_ABANDONED };

struct ev_entry {
    struct ev_entry *next;
    struct bh_ble_event ev; /* data pointers redirected into payload */
    bool sync;              /* a waiter wants the answer */
    enum ev_state state;
    uint64_t seq;
    uint64_t t_ms;
    /* 29 GET_SECRET / 30 SET_SECRET (pointers into payload) */
    uint8_t sec_type;
    uint8_t sec_index;
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
    /* the answer: 4/22 the int, 29 found, 30 success; 29's value (malloc) */
    int result;
    uint8_t *answer;
    size_t answer_len;
    uint8_t payload[];
};

static struct ev_ctx {
    /* GIL-protected */
    PyObject *handler;
    int depth;     /* handler calls in progress */
    bool draining; /* a thread is in ev_drain() */
    struct ev_entry *direct_head;
    struct ev_entry *direct_tail;
    PyObject *compat;
    PyObject *hook_fn;
    PyObject *traceback;
    /* mu-protected */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ev_entry *head;
    struct ev_entry *tail;
    size_t count;
    uint64_t seq_next;
    unsigned parked;
    bool stopping;
    bool disp_running;
    bool disp_stop;
    unsigned long dropped;
    pthread_t disp;
    /* any thread */
    atomic_bool has_handler;
    atomic_bool pending_requested;
    /* host-lock protected: GET_SECRET's answer, valid until the next get */
    uint8_t *secret;
    /* the port */
    struct bh_port port;
    const struct bh_port *base;
} ev = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
};

/* ---- small helpers ------------------------------------------------------------------- */

static uint64_t ev_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait on ev.cv (ev.mu held) for at most ms milliseconds. */
static void ev_cv_wait_ms(uint64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000u);
    ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&ev.cv, &ev.mu, &ts);
}

/* Events the host waits on: those whose answer is the handler's return
 * value, and IRQ 31 DISPLAY, whose handler may choose the passkey shown with
 * gap_passkey(conn, 3, n) before the pairing goes on with it (NimBLE asks
 * the application for that number; API.md 1.3). */
static bool ev_is_sync(const struct bh_ble_event *src)
{
    uint8_t irq = src->irq;

    return irq == BH_IRQ_GATTS_READ_REQUEST || irq == BH_IRQ_L2CAP_ACCEPT ||
           irq == BH_IRQ_GET_SECRET || irq == BH_IRQ_SET_SECRET ||
           (irq == BH_IRQ_PASSKEY_ACTION && src->passkey.action == BH_PASSKEY_ACTION_DISPLAY);
}

/* The answer when nobody answered in time (the handler gets no say). */
static int ev_timeout_result(uint8_t irq)
{
    return irq == BH_IRQ_L2CAP_ACCEPT ? EV_L2CAP_REJECT : 0;
}

static void ev_entry_free(struct ev_entry *e)
{
    if (e != NULL) {
        free(e->answer);
        free(e);
    }
}

static struct ev_entry *ev_entry_alloc(size_t payload_len)
{
    struct ev_entry *e = calloc(1, sizeof(*e) + payload_len);

    if (e == NULL) {
        fprintf(stderr, "bluetooth: out of memory, event dropped\n");
    }
    return e;
}

/* Copy an event and the bytes it points to. */
static struct ev_entry *ev_entry_from_event(const struct bh_ble_event *src)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    struct ev_entry *e;

    if (src->irq == BH_IRQ_SCAN_RESULT) {
        data = src->scan.data;
        len = data != NULL ? src->scan.len : 0;
    } else if (src->irq == BH_IRQ_GATTC_READ_RESULT || src->irq == BH_IRQ_GATTC_NOTIFY ||
               src->irq == BH_IRQ_GATTC_INDICATE) {
        data = src->data.data;
        len = data != NULL ? src->data.len : 0;
    }
    e = ev_entry_alloc(len);
    if (e == NULL) {
        return NULL;
    }
    e->ev = *src;
    if (len > 0) {
        memcpy(e->payload, data, len);
    }
    if (src->irq == BH_IRQ_SCAN_RESULT) {
        e->ev.scan.data = e->payload;
    } else if (data != NULL || src->irq == BH_IRQ_GATTC_READ_RESULT ||
               src->irq == BH_IRQ_GATTC_NOTIFY || src->irq == BH_IRQ_GATTC_INDICATE) {
        e->ev.data.data = e->payload;
    }
    e->sync = ev_is_sync(src);
    return e;
}

/* ---- the queue (ev.mu) --------------------------------------------------------------- */

static void ev_q_push(struct ev_entry *e)
{
    e->seq = ev.seq_next++;
    e->t_ms = ev_now_ms();
    e->next = NULL;
    if (ev.tail != NULL) {
        ev.tail->next = e;
    } else {
        ev.head = e;
    }
    ev.tail = e;
    ev.count++;
}

static void ev_q_unlink(struct ev_entry *e)
{
    struct ev_entry **pp = &ev.head;
    struct ev_entry *prev = NULL;

    while (*pp != NULL && *pp != e) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL) {
        return;
    }
    *pp = e->next;
    if (ev.tail == e) {
        ev.tail = prev;
    }
    ev.count--;
}

/* Take the next entry up to seq `limit`: the head, or with sync_only the
 * first entry waiting for an answer. */
static struct ev_entry *ev_q_take(bool sync_only, uint64_t limit)
{
    struct ev_entry *e;

    pthread_mutex_lock(&ev.mu);
    e = ev.head;
    while (e != NULL && sync_only && !e->sync) {
        e = e->next;
    }
    if (e != NULL && e->seq <= limit) {
        ev_q_unlink(e);
        e->state = EV_TAKEN;
    } else {
        e = NULL;
    }
    pthread_mutex_unlock(&ev.mu);
    return e;
}

static bool ev_q_has_sync(void)
{
    for (struct ev_entry *e = ev.head; e != NULL; e = e->next) {
        if (e->sync) {
            return true;
        }
    }
    return false;
}

/* The deliverer is done with e: hand the answer to its waiter or free it. */
static void ev_finish(struct ev_entry *e)
{
    pthread_mutex_lock(&ev.mu);
    if (e->sync && e->state == EV_TAKEN) {
        e->state = EV_DONE;
        e = NULL; /* the waiter frees it */
        pthread_cond_broadcast(&ev.cv);
    }
    pthread_mutex_unlock(&ev.mu);
    ev_entry_free(e);
}

/* ---- calling Python (GIL held) ----------------------------------------------------------- */

static void ev_compat_call(const char *name)
{
    PyObject *r;

    if (ev.compat == NULL) {
        return;
    }
    r = PyObject_CallMethod(ev.compat, name, NULL);
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
}

static void ev_flush(const char *stream)
{
    PyObject *f = PySys_GetObject(stream);
    PyObject *r;

    if (f == NULL || f == Py_None) {
        return;
    }
    r = PyObject_CallMethod(f, "flush", NULL);
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
}

/* An exception escaped the handler: report it as MicroPython does and
 * unregister the handler (API.md 1.4). */
static void ev_report_exception(void)
{
    PyObject *type;
    PyObject *value;
    PyObject *tb;
    PyObject *r = NULL;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    ev_flush("stdout");
    PySys_WriteStderr("Unhandled exception in IRQ callback handler\n");
    if (ev.traceback != NULL && value != NULL) {
        r = PyObject_CallMethod(ev.traceback, "print_exception", "O", value);
    }
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
    ev_flush("stderr");
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    mod_events_set_handler(Py_None);
}

/* A memoryview over a private copy, released after the handler returns so
 * it is only valid during the callback (API.md 1.4). */
static PyObject *ev_mv(const uint8_t *p, size_t len, PyObject **keep)
{
    PyObject *b = PyBytes_FromStringAndSize((const char *)p, (Py_ssize_t)len);
    PyObject *mv;

    if (b == NULL) {
        return NULL;
    }
    mv = PyMemoryView_FromObject(b);
    Py_DECREF(b);
    if (mv != NULL) {
        Py_INCREF(mv);
        *keep = mv;
    }
    return mv;
}

static PyObject *ev_mv_or_none(const uint8_t *p, size_t len, bool present, PyObject **keep)
{
    if (!present) {
        Py_RETURN_NONE;
    }
    return ev_mv(p, len, keep);
}

static PyObject *ev_tuple_secret(const struct ev_entry *e, PyObject **mv)
{
    if (e->ev.irq == BH_IRQ_GET_SECRET) {
        return Py_BuildValue("(iiN)", e->sec_type, e->sec_index,
                             ev_mv_or_none(e->key, e->key_len, e->key != NULL, &mv[0]));
    }
    return Py_BuildValue("(iNN)", e->sec_type, ev_mv(e->key, e->key_len, &mv[0]),
                         ev_mv_or_none(e->value, e->value_len, e->value != NULL, &mv[1]));
}

/* The data tuple of API.md 1.4: ints, memoryviews, UUIDs, None. */
static PyObject *ev_tuple(const struct ev_entry *e, PyObject **mv)
{
    const struct bh_ble_event *v = &e->ev;
    int c = v->conn;

    switch (v->irq) {
    case BH_IRQ_CENTRAL_CONNECT:
    case BH_IRQ_CENTRAL_DISCONNECT:
    case BH_IRQ_PERIPHERAL_CONNECT:
    case BH_IRQ_PERIPHERAL_DISCONNECT:
        return Py_BuildValue("(iiN)", c, v->connect.addr_type, ev_mv(v->connect.addr, 6, &mv[0]));
    case BH_IRQ_GATTS_WRITE:
    case BH_IRQ_GATTS_READ_REQUEST:
        return Py_BuildValue("(ii)", c, v->gatts.handle);
    case BH_IRQ_SCAN_RESULT:
        return Py_BuildValue("(iNiiN)", v->scan.addr_type, ev_mv(v->scan.addr, 6, &mv[0]),
                             v->scan.adv_type, (int)v->scan.rssi,
                             ev_mv(v->scan.data, v->scan.len, &mv[1]));
    case BH_IRQ_SCAN_DONE:
        return PyTuple_New(0);
    case BH_IRQ_GATTC_SERVICE_RESULT:
        return Py_BuildValue("(iiiN)", c, v->service.start, v->service.end,
                             mod_uuid_new(&v->service.uuid));
    case BH_IRQ_GATTC_CHARACTERISTIC_RESULT:
        return Py_BuildValue("(iiiiN)", c, v->chr.end_handle, v->chr.value_handle,
                             v->chr.properties, mod_uuid_new(&v->chr.uuid));
    case BH_IRQ_GATTC_DESCRIPTOR_RESULT:
        return Py_BuildValue("(iiN)", c, v->dsc.handle, mod_uuid_new(&v->dsc.uuid));
    case BH_IRQ_GATTC_SERVICE_DONE:
    case BH_IRQ_GATTC_CHARACTERISTIC_DONE:
    case BH_IRQ_GATTC_DESCRIPTOR_DONE:
        return Py_BuildValue("(ii)", c, v->done.status);
    case BH_IRQ_GATTC_READ_RESULT:
    case BH_IRQ_GATTC_NOTIFY:
    case BH_IRQ_GATTC_INDICATE:
        return Py_BuildValue("(iiN)", c, v->data.handle, ev_mv(v->data.data, v->data.len, &mv[0]));
    case BH_IRQ_GATTC_READ_DONE:
    case BH_IRQ_GATTC_WRITE_DONE:
    case BH_IRQ_GATTS_INDICATE_DONE:
        return Py_BuildValue("(iii)", c, v->status.handle, v->status.status);
    case BH_IRQ_MTU_EXCHANGED:
        return Py_BuildValue("(ii)", c, v->mtu.mtu);
    case BH_IRQ_L2CAP_ACCEPT:
    case BH_IRQ_L2CAP_CONNECT:
        return Py_BuildValue("(iiiii)", c, v->l2cap.cid, v->l2cap.psm, v->l2cap.our_mtu,
                             v->l2cap.peer_mtu);
    case BH_IRQ_L2CAP_DISCONNECT:
        return Py_BuildValue("(iiii)", c, v->l2cap.cid, v->l2cap.psm, v->l2cap.status);
    case BH_IRQ_L2CAP_RECV:
        return Py_BuildValue("(ii)", c, v->l2cap.cid);
    case BH_IRQ_L2CAP_SEND_READY:
        return Py_BuildValue("(iii)", c, v->l2cap.cid, v->l2cap.status);
    case BH_IRQ_CONNECTION_UPDATE:
        return Py_BuildValue("(iiiii)", c, v->conn_update.itvl, v->conn_update.latency,
                             v->conn_update.timeout, v->conn_update.status);
    case BH_IRQ_ENCRYPTION_UPDATE:
        return Py_BuildValue("(iiiii)", c, v->enc.encrypted, v->enc.authenticated,
                             v->enc.bonded, v->enc.key_size);
    case BH_IRQ_GET_SECRET:
    case BH_IRQ_SET_SECRET:
        return ev_tuple_secret(e, mv);
    case BH_IRQ_PASSKEY_ACTION:
        return Py_BuildValue("(iik)", c, v->passkey.action, (unsigned long)v->passkey.passkey);
    default:
        return PyTuple_New(0);
    }
}

/* The handler's return value, per event (API.md 1.4 and 2.6). */
static void ev_take_result(struct ev_entry *e, PyObject *r)
{
    struct mod_buf b;
    long long v;

    switch (e->ev.irq) {
    case BH_IRQ_GATTS_READ_REQUEST:
    case BH_IRQ_L2CAP_ACCEPT:
        e->result = 0;
        if (r != Py_None && mod_get_int(r, &v) == 0) {
            e->result = (int)v;
        }
        break;
    case BH_IRQ_GET_SECRET:
        e->result = 0;
        if (r != Py_None && mod_buf_get(r, &b, false) == 0) {
            e->answer = malloc(b.len > 0 ? b.len : 1);
            if (e->answer != NULL) {
                memcpy(e->answer, b.p, b.len);
                e->answer_len = b.len;
                e->result = 1;
            }
            mod_buf_release(&b);
        }
        break;
    case BH_IRQ_SET_SECRET:
        e->result = PyObject_IsTrue(r) > 0;
        break;
    default:
        break;
    }
    PyErr_Clear();
}

static void ev_release_views(PyObject **mv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        PyObject *r;

        if (mv[i] == NULL) {
            continue;
        }
        r = PyObject_CallMethod(mv[i], "release", NULL);
        if (r == NULL) {
            PyErr_Clear(); /* exported elsewhere: the copy stays valid, fine */
        }
        Py_XDECREF(r);
        Py_DECREF(mv[i]);
    }
}

/* Call the handler for one event (GIL held). No handler: the event is
 * dropped and the answer is the "nobody cares" default (0, not found, failed). */
static void ev_dispatch(struct ev_entry *e)
{
    PyObject *mv[2] = {NULL, NULL};
    PyObject *h = ev.handler;
    PyObject *data;
    PyObject *r = NULL;

    e->result = 0;
    if (h == NULL) {
        return;
    }
    Py_INCREF(h);
    data = ev_tuple(e, mv);
    if (data != NULL) {
        ev_compat_call("sched_lock");
        ev.depth++;
        r = PyObject_CallFunction(h, "iO", (int)e->ev.irq, data);
        ev.depth--;
        if (r == NULL) {
            ev_report_exception();
        }
        ev_compat_call("sched_unlock");
        Py_DECREF(data);
    } else {
        ev_report_exception();
    }
    ev_release_views(mv, 2);
    if (r != NULL) {
        ev_take_result(e, r);
        Py_DECREF(r);
    }
    Py_DECREF(h);
}

/* Wait until the host thread ends its current bh_process() pass, so that
 * every event that pass raises is queued: events raised together (e.g. READ
 * RESULT then READ DONE) are then delivered together, before the program
 * resumes, as MicroPython delivers them from one stack callback. */
static void ev_host_barrier(void)
{
    if (mod_api_depth > 0) {
        return; /* we hold the host lock: the host thread is parked or idle */
    }
    Py_BEGIN_ALLOW_THREADS
    bh_posix_lock();
    bh_posix_unlock();
    Py_END_ALLOW_THREADS
}

/* Deliver queued events in order (or only those waiting for an answer),
 * up to what was queued when the call began. Returns how many. */
static int ev_drain(bool sync_only)
{
    PyObject *et;
    PyObject *evv;
    PyObject *etb;
    uint64_t limit;
    struct ev_entry *e;
    int n = 0;

    if (!sync_only && (ev.draining || ev.depth > 0)) {
        return 0;
    }
    PyErr_Fetch(&et, &evv, &etb);
    if (!sync_only) {
        ev.draining = true;
    }
    for (int round = 0; round < EV_DRAIN_ROUNDS; round++) {
        int got = 0;

        pthread_mutex_lock(&ev.mu);
        limit = ev.seq_next;
        pthread_mutex_unlock(&ev.mu);
        while ((e = ev_q_take(sync_only, limit)) != NULL) {
            ev_dispatch(e);
            ev_finish(e);
            got++;
        }
        n += got;
        if (got == 0 || sync_only) {
            break;
        }
        ev_host_barrier();
    }
    if (!sync_only) {
        ev.draining = false;
    }
    if (n > 0) {
        ev_compat_call("notify");
    }
    PyErr_Restore(et, evv, etb);
    return n;
}

/* From a blocked API call or a sleep inside a handler: everything if we may
 * drain, else only the requests a host thread is waiting on. */
static int ev_service(void)
{
    bool sync;

    if (!ev.draining && ev.depth == 0) {
        return ev_drain(false);
    }
    pthread_mutex_lock(&ev.mu);
    sync = ev_q_has_sync();
    pthread_mutex_unlock(&ev.mu);
    return sync ? ev_drain(true) : 0;
}

/* ---- raising an event (any thread) ------------------------------------------------------ */

static int ev_pending_call(void *arg);

static void ev_wake_locked(bool sync)
{
    pthread_cond_broadcast(&ev.cv);
    if (!atomic_exchange(&ev.pending_requested, true)) {
        /* Py_AddPendingCall needs no thread state (CPython C API docs). */
        if (Py_AddPendingCall(ev_pending_call, NULL) != 0) {
            atomic_store(&ev.pending_requested, false);
        }
    }
    if (sync && ev.base != NULL && ev.base->unblock != NULL) {
        ev.base->unblock(); /* wakes an API call sleeping in ev_block() */
    }
}

/* Host thread, host lock held: the waiting half of a request. */
static int ev_post_wait(struct ev_entry *e, uint8_t **answer, size_t *answer_len)
{
    uint64_t deadline = ev_now_ms() + EV_ANSWER_TIMEOUT_MS;
    int result = ev_timeout_result(e->ev.irq);
    uint8_t irq = e->ev.irq;

    ev.parked++;
    bh_posix_unlock(); /* let Python threads call the API meanwhile */
    while (e->state != EV_DONE && !ev.stopping) {
        uint64_t now = ev_now_ms();

        if (now >= deadline) {
            break;
        }
        ev_cv_wait_ms(deadline - now);
    }
    if (e->state == EV_DONE) {
        result = e->result;
        if (answer != NULL) {
            *answer = e->answer;
            *answer_len = e->answer_len;
            e->answer = NULL;
        }
        ev_entry_free(e);
    } else {
        if (e->state == EV_QUEUED) {
            ev_q_unlink(e);
            ev_entry_free(e);
        } else {
            e->state = EV_ABANDONED; /* the deliverer frees it */
        }
        if (!ev.stopping) {
            fprintf(stderr, "bluetooth: no answer to IRQ %u within %d ms, using the default\n",
                    (unsigned)irq, EV_ANSWER_TIMEOUT_MS);
        }
    }
    ev.parked--;
    pthread_cond_broadcast(&ev.cv);
    pthread_mutex_unlock(&ev.mu);
    bh_posix_lock();
    return result;
}

/* Not on a Python API thread: queue e; wait for the answer if it needs one. */
static int ev_post(struct ev_entry *e, uint8_t **answer, size_t *answer_len)
{
    int sync_default = ev_timeout_result(e->ev.irq);

    pthread_mutex_lock(&ev.mu);
    if ((e->sync && ev.stopping) || (!e->sync && ev.count >= EV_QUEUE_MAX)) {
        if (!e->sync && ev.dropped++ == 0) {
            fprintf(stderr, "bluetooth: event queue full, dropping events\n");
        }
        pthread_mutex_unlock(&ev.mu);
        ev_entry_free(e);
        return sync_default;
    }
    e->state = EV_QUEUED;
    ev_q_push(e);
    ev_wake_locked(e->sync);
    if (!e->sync) {
        pthread_mutex_unlock(&ev.mu);
        return 0;
    }
    return ev_post_wait(e, answer, answer_len);
}

/* On the thread of an API call (GIL held): answer now, or deliver the event
 * before the call returns (mod_events_after_api). */
static int ev_direct(struct ev_entry *e, uint8_t **answer, size_t *answer_len)
{
    PyObject *et;
    PyObject *evv;
    PyObject *etb;
    int r;

    if (!e->sync) {
        e->next = NULL;
        if (ev.direct_tail != NULL) {
            ev.direct_tail->next = e;
        } else {
            ev.direct_head = e;
        }
        ev.direct_tail = e;
        return 0;
    }
    ev_drain(false); /* what came earlier goes first (no-op inside a handler) */
    PyErr_Fetch(&et, &evv, &etb);
    ev_dispatch(e);
    PyErr_Restore(et, evv, etb);
    r = e->result;
    if (answer != NULL) {
        *answer = e->answer;
        *answer_len = e->answer_len;
        e->answer = NULL;
    }
    ev_entry_free(e);
    return r;
}

/* Owns e. Returns the answer (0 for events without one). */
static int ev_raise(struct ev_entry *e, uint8_t **answer, size_t *answer_len)
{
    if (mod_api_depth > 0) {
        return ev_direct(e, answer, answer_len);
    }
    return ev_post(e, answer, answer_len);
}

static int ev_on_event(void *ctx, const struct bh_ble_event *src)
{
    struct ev_entry *e;

    (void)ctx;
    if (!atomic_load(&ev.has_handler)) {
        return 0; /* dropped; 4 allowed, 22 accepted, as with a None handler */
    }
    e = ev_entry_from_event(src);
    if (e == NULL) {
        return ev_is_sync(src) ? ev_timeout_result(src->irq) : 0;
    }
    return ev_raise(e, NULL, NULL);
}

static struct ev_entry *ev_entry_secret(uint8_t irq, uint8_t type, const uint8_t *key,
                                        size_t key_len, const uint8_t *value, size_t value_len)
{
    struct ev_entry *e;

    key_len = key != NULL ? key_len : 0;
    value_len = value != NULL ? value_len : 0;
    e = ev_entry_alloc(key_len + value_len);
    if (e == NULL) {
        return NULL;
    }
    e->ev.irq = irq;
    e->sync = true;
    e->sec_type = type;
    if (key != NULL) {
        memcpy(e->payload, key, key_len);
        e->key = e->payload;
        e->key_len = key_len;
    }
    if (value != NULL) {
        memcpy(e->payload + key_len, value, value_len);
        e->value = e->payload + key_len;
        e->value_len = value_len;
    }
    return e;
}

static bool ev_secret_get(void *ctx, uint8_t type, uint8_t index, const uint8_t *key,
                          uint16_t key_len, const uint8_t **value, size_t *value_len)
{
    struct ev_entry *e;
    uint8_t *answer = NULL;
    size_t len = 0;

    (void)ctx;
    if (!atomic_load(&ev.has_handler)) {
        return false;
    }
    e = ev_entry_secret(BH_IRQ_GET_SECRET, type, key, key_len, NULL, 0);
    if (e == NULL) {
        return false;
    }
    e->sec_index = index;
    if (!ev_raise(e, &answer, &len) || answer == NULL) {
        free(answer);
        return false;
    }
    free(ev.secret);
    ev.secret = answer;
    *value = answer;
    *value_len = len;
    return true;
}

static bool ev_secret_set(void *ctx, uint8_t type, const uint8_t *key, uint16_t key_len,
                          const uint8_t *value, size_t value_len)
{
    struct ev_entry *e;

    (void)ctx;
    if (!atomic_load(&ev.has_handler)) {
        return false;
    }
    e = ev_entry_secret(BH_IRQ_SET_SECRET, type, key, key_len, value, value_len);
    return e != NULL && ev_raise(e, NULL, NULL) != 0;
}

static const struct bh_ble_secret_store ev_store = {
    .get = ev_secret_get,
    .set = ev_secret_set,
};

/* ---- where delivery happens ------------------------------------------------------------ */

/* Main thread between bytecodes (Py_AddPendingCall). */
static int ev_pending_call(void *arg)
{
    (void)arg;
    atomic_store(&ev.pending_requested, false);
    ev_drain(false);
    return 0;
}

/* The port's block(): an API call on a Python thread waits for the host.
 * It answers queued requests first (the host thread may be waiting for
 * exactly that), and sleeps with the GIL released. */
static void ev_block(uint32_t timeout_ms)
{
    PyThreadState *ts;

    if (mod_api_depth == 0) {
        bh_port_wake();
        ev.base->block(timeout_ms);
        return;
    }
    ev_service();
    /* The caller may have armed a timer (e.g. an HCI command timeout) after
     * the host thread computed how long to sleep: wake it to look again. */
    bh_port_wake();
    ts = PyEval_SaveThread();
    ev.base->block(timeout_ms);
    PyEval_RestoreThread(ts);
}

/* _blehost_compat wait hook: the blocking step of time.sleep_ms, machine.idle
 * and friends on the main thread. Delivers events as they arrive. */
static PyObject *ev_wait_hook(PyObject *unused, PyObject *arg)
{
    double t = PyFloat_AsDouble(arg);
    uint64_t ms;
    bool may_drain;

    if (t == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    if (ev_service() > 0) {
        Py_RETURN_NONE;
    }
    ms = t <= 0 ? 0 : (uint64_t)(t * 1000.0 + 0.5);
    ms = ms > EV_HOOK_SLICE_MS ? EV_HOOK_SLICE_MS : (ms == 0 ? 1 : ms);
    may_drain = !ev.draining && ev.depth == 0;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&ev.mu);
    if (may_drain ? ev.head == NULL : !ev_q_has_sync()) {
        ev_cv_wait_ms(ms);
    }
    pthread_mutex_unlock(&ev.mu);
    Py_END_ALLOW_THREADS
    ev_service();
    Py_RETURN_NONE;
}

static PyMethodDef ev_hook_def = {"_bluetooth_wait_hook", ev_wait_hook, METH_O, NULL};

/* The fallback: events nobody delivered for EV_DISPATCH_DELAY_MS (the main
 * thread is blocked in a system call, e.g. reading stdin). */
static void *ev_dispatcher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ev.mu);
    while (!ev.disp_stop) {
        uint64_t age;
        PyGILState_STATE g;
        int n;

        if (ev.head == NULL) {
            pthread_cond_wait(&ev.cv, &ev.mu);
            continue;
        }
        age = ev_now_ms() - ev.head->t_ms;
        if (age < EV_DISPATCH_DELAY_MS) {
            ev_cv_wait_ms(EV_DISPATCH_DELAY_MS - age);
            continue;
        }
        pthread_mutex_unlock(&ev.mu);
        g = PyGILState_Ensure();
        n = ev_drain(false);
        PyGILState_Release(g);
        pthread_mutex_lock(&ev.mu);
        if (n == 0 && !ev.disp_stop) {
            ev_cv_wait_ms(EV_DISPATCH_DELAY_MS); /* a handler is running elsewhere */
        }
    }
    pthread_mutex_unlock(&ev.mu);
    return NULL;
}

/* ---- interface ------------------------------------------------------------------------------ */

int mod_events_init(void)
{
    pthread_condattr_t attr;
    PyObject *r;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&ev.cv, &attr);
    pthread_condattr_destroy(&attr);
    ev.traceback = PyImport_ImportModule("traceback");
    if (ev.traceback == NULL) {
        return -1;
    }
    ev.compat = PyImport_ImportModule("_blehost_compat");
    if (ev.compat == NULL) {
        PyErr_Clear(); /* plain CPython: pending calls and the dispatcher suffice */
        return 0;
    }
    ev.hook_fn = PyCFunction_New(&ev_hook_def, NULL);
    if (ev.hook_fn == NULL) {
        return -1;
    }
    r = PyObject_CallMethod(ev.compat, "set_wait_hook", "O", ev.hook_fn);
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
    return 0;
}

const struct bh_port *mod_events_port(void)
{
    if (ev.base == NULL) {
        ev.base = bh_posix_threaded_port();
        ev.port = *ev.base;
        ev.port.block = ev_block;
    }
    return &ev.port;
}

void mod_events_install(void)
{
    bh_ble_set_event_cb(ev_on_event, NULL);
    bh_ble_set_secret_store(&ev_store);
}

void mod_events_start(void)
{
    pthread_mutex_lock(&ev.mu);
    if (!ev.disp_running) {
        ev.disp_stop = false;
        if (pthread_create(&ev.disp, NULL, ev_dispatcher_main, NULL) == 0) {
            ev.disp_running = true;
        } else {
            fprintf(stderr, "bluetooth: cannot start the event dispatcher thread\n");
        }
    }
    pthread_mutex_unlock(&ev.mu);
}

void mod_events_quiesce(void)
{
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&ev.mu);
    ev.stopping = true;
    pthread_cond_broadcast(&ev.cv);
    while (ev.parked > 0) {
        ev_cv_wait_ms(10);
    }
    pthread_mutex_unlock(&ev.mu);
    Py_END_ALLOW_THREADS
}

void mod_events_resume(void)
{
    pthread_mutex_lock(&ev.mu);
    ev.stopping = false;
    pthread_mutex_unlock(&ev.mu);
}

void mod_events_shutdown(void)
{
    bool join;

    pthread_mutex_lock(&ev.mu);
    join = ev.disp_running;
    ev.disp_stop = true;
    pthread_cond_broadcast(&ev.cv);
    pthread_mutex_unlock(&ev.mu);
    if (join) {
        Py_BEGIN_ALLOW_THREADS
        pthread_join(ev.disp, NULL);
        Py_END_ALLOW_THREADS
        ev.disp_running = false;
    }
}

void mod_events_set_handler(PyObject *handler)
{
    PyObject *old = ev.handler;

    if (handler == Py_None) {
        ev.handler = NULL;
    } else {
        Py_INCREF(handler);
        ev.handler = handler;
    }
    atomic_store(&ev.has_handler, ev.handler != NULL);
    Py_XDECREF(old);
}

void mod_events_after_api(void)
{
    struct ev_entry *e;
    PyObject *et;
    PyObject *evv;
    PyObject *etb;

    if (ev.direct_head == NULL) {
        return;
    }
    ev_drain(false); /* queued events came first (no-op inside a handler) */
    PyErr_Fetch(&et, &evv, &etb);
    while ((e = ev.direct_head) != NULL) {
        ev.direct_head = e->next;
        if (ev.direct_head == NULL) {
            ev.direct_tail = NULL;
        }
        ev_dispatch(e);
        ev_entry_free(e);
    }
    ev_compat_call("notify");
    PyErr_Restore(et, evv, etb);
}

/* SPDX-License-Identifier: MIT */
/*
 * e2e_role.c: one role process of an end-to-end scenario: a whole host on
 * the cooperative POSIX port, the event recorder, the in-memory secret
 * store, the line channel to the driver and the helpers of e2e.h.
 *
 * Lines from the driver are read by a small thread that queues them and
 * wakes the host loop (bh_port_wake() is callable from any thread), so a
 * role waiting for a message keeps pumping its host: a peer's request never
 * waits on our synchronisation.
 *
 * Raw ATT: the test links with -Wl,--wrap=bh_gattc_rx_rsp, so the response
 * to a request sent by e2e_att_raw() is taken here instead of reaching the
 * GATT client (which has no procedure waiting for it).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blehost/bh_buf.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "bh_posix.h"
#include "e2e.h"
#include "host/att.h"
#include "host/conn.h"

#define E2E_MAX_EVTS 1024
#define E2E_MAX_MSGS 64
#define E2E_MAX_SECRETS 16

struct e2e_secret {
    bool used;
    uint8_t type;
    uint8_t key[16];
    uint16_t key_len;
    uint8_t value[96];
    size_t value_len;
};

static struct {
    const struct e2e_scenario *s;
    unsigned idx;
    int rd_fd, wr_fd;

    /* events */
    struct e2e_evt evts[E2E_MAX_EVTS];
    unsigned n_evts;
    volatile bool evt_flag;
    int read_req_rc;

    /* messages from the driver (reader thread -> role) */
    pthread_mutex_t lock;
    char msgs[E2E_MAX_MSGS][E2E_MSG_MAX];
    unsigned n_msgs;
    volatile bool msg_flag;
    bool driver_gone;

    /* secrets */
    struct e2e_secret secrets[E2E_MAX_SECRETS];
    unsigned secret_sets;

    /* addresses the other roles announced */
    struct {
        char name[32];
        uint8_t type;
        uint8_t addr[6];
    } peers[E2E_MAX_ROLES];

    /* raw ATT */
    bool raw_active;
    volatile bool raw_done;
    uint8_t raw_rsp[E2E_DATA_MAX];
    size_t raw_len;
} role = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- logging and failure ----------------------------------------------------------- */

const char *e2e_role_name(void)
{
    return role.s->roles[role.idx].name;
}

int e2e_param(void)
{
    return role.s->param;
}

/* One write per line, so the lines of the processes do not mix. */
static void say(const char *tag, const char *text)
{
    char line[700];
    int n = snprintf(line, sizeof(line), "[%s] %s%s\n", e2e_role_name(), tag, text);

    if (n > 0) {
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line));
    }
}

void e2e_log(const char *fmt, ...)
{
    va_list ap;
    char buf[512];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    say("", buf);
}

_Noreturn void e2e_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    char buf[512], msg[600];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof(msg), "%s:%d: %s", file, line, buf);
    say("FAIL ", msg);
    exit(1);
}

/* ---- the line channel ----------------------------------------------------------------- */

static void to_driver(const char *prefix, const char *text)
{
    char line[E2E_MSG_MAX + 4];
    size_t n = (size_t)snprintf(line, sizeof(line), "%s %s\n", prefix, text);

    if (n >= sizeof(line) || write(role.wr_fd, line, n) != (ssize_t)n) {
        e2e_fail(__FILE__, __LINE__, "cannot write to the driver");
    }
}

static void *reader_main(void *arg)
{
    char line[E2E_MSG_MAX];
    size_t n = 0;
    char ch;

    (void)arg;
    while (read(role.rd_fd, &ch, 1) == 1) {
        if (ch != '\n') {
            if (n + 1 < sizeof(line)) {
                line[n++] = ch;
            }
            continue;
        }
        line[n] = '\0';
        n = 0;
        pthread_mutex_lock(&role.lock);
        if (role.n_msgs < E2E_MAX_MSGS) {
            memcpy(role.msgs[role.n_msgs++], line, sizeof(line));
        }
        role.msg_flag = true;
        pthread_mutex_unlock(&role.lock);
        bh_port_wake();
    }
    pthread_mutex_lock(&role.lock);
    role.driver_gone = true;
    role.msg_flag = true;
    pthread_mutex_unlock(&role.lock);
    bh_port_wake();
    return NULL;
}

void e2e_send(const char *fmt, ...)
{
    va_list ap;
    char buf[E2E_MSG_MAX];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    to_driver("S", buf);
}

/* Take the first queued line whose first word is key. Lock held. */
static bool take_msg(const char *key, char *rest, size_t cap)
{
    size_t klen = strlen(key);

    for (unsigned i = 0; i < role.n_msgs; i++) {
        const char *m = role.msgs[i];

        if (strncmp(m, key, klen) != 0 || (m[klen] != ' ' && m[klen] != '\0')) {
            continue;
        }
        if (rest != NULL && cap > 0) {
            snprintf(rest, cap, "%s", m[klen] == ' ' ? m + klen + 1 : "");
        }
        memmove(role.msgs[i], role.msgs[i + 1], (role.n_msgs - i - 1) * sizeof(role.msgs[0]));
        role.n_msgs--;
        return true;
    }
    return false;
}

void e2e_wait(const char *key, char *rest, size_t cap)
{
    uint32_t start = bh_now_ms();

    for (;;) {
        bool found, gone;

        pthread_mutex_lock(&role.lock);
        role.msg_flag = false;
        found = take_msg(key, rest, cap);
        gone = role.driver_gone;
        pthread_mutex_unlock(&role.lock);
        if (found) {
            return;
        }
        if (gone || bh_now_ms() - start > 3 * E2E_WAIT_MS) {
            e2e_fail(__FILE__, __LINE__, "no message '%s'", key);
        }
        (void)bh_run_until(&role.msg_flag, E2E_WAIT_MS);
    }
}

void e2e_barrier(const char *name)
{
    char key[E2E_MSG_MAX];

    to_driver("B", name);
    snprintf(key, sizeof(key), "!bar");
    for (;;) {
        char got[E2E_MSG_MAX];

        e2e_wait(key, got, sizeof(got));
        if (strcmp(got, name) == 0) {
            return;
        }
        e2e_fail(__FILE__, __LINE__, "barrier %s released instead of %s", got, name);
    }
}

void e2e_kill(const char *name)
{
    to_driver("K", name);
}

/* ---- events ----------------------------------------------------------------------------- */

static void evt_compact(void)
{
    unsigned j = 0;

    for (unsigned i = 0; i < role.n_evts; i++) {
        if (!role.evts[i].used) {
            if (i != j) {
                role.evts[j] = role.evts[i];
            }
            j++;
        }
    }
    role.n_evts = j;
}

static int on_event(void *ctx, const struct bh_ble_event *ev)
{
    struct e2e_evt *e;

    (void)ctx;
    if (role.n_evts == E2E_MAX_EVTS) {
        evt_compact();
    }
    if (role.n_evts == E2E_MAX_EVTS) {
        e2e_fail(__FILE__, __LINE__, "too many unconsumed events");
    }
    e = &role.evts[role.n_evts++];
    e->ev = *ev;
    e->used = false;
    if (ev->irq == BH_IRQ_SCAN_RESULT || ev->irq == BH_IRQ_GATTC_READ_RESULT ||
        ev->irq == BH_IRQ_GATTC_NOTIFY || ev->irq == BH_IRQ_GATTC_INDICATE) {
        size_t n = ev->irq == BH_IRQ_SCAN_RESULT ? ev->scan.len : ev->data.len;

        if (n > sizeof(e->data)) {
            e2e_fail(__FILE__, __LINE__, "event %u with %zu bytes", ev->irq, n);
        }
        if (ev->irq == BH_IRQ_SCAN_RESULT) {
            memcpy(e->data, ev->scan.data, n);
            e->ev.scan.data = e->data;
        } else {
            memcpy(e->data, ev->data.data, n);
            e->ev.data.data = e->data;
        }
    }
    role.evt_flag = true;
    return ev->irq == BH_IRQ_GATTS_READ_REQUEST ? role.read_req_rc : 0;
}

static struct e2e_evt *find_evt(uint8_t irq, uint16_t conn)
{
    for (unsigned i = 0; i < role.n_evts; i++) {
        struct e2e_evt *e = &role.evts[i];

        if (!e->used && e->ev.irq == irq && (conn == E2E_ANY_CONN || e->ev.conn == conn)) {
            return e;
        }
    }
    return NULL;
}

const struct bh_ble_event *e2e_try_irq(uint8_t irq, uint16_t conn, uint32_t timeout_ms)
{
    uint32_t start = bh_now_ms();

    for (;;) {
        struct e2e_evt *e;
        uint32_t spent;

        role.evt_flag = false;
        e = find_evt(irq, conn);
        if (e != NULL) {
            e->used = true;
            return &e->ev;
        }
        spent = bh_now_ms() - start;
        if (spent >= timeout_ms) {
            return NULL;
        }
        (void)bh_run_until(&role.evt_flag, timeout_ms - spent);
    }
}

const struct bh_ble_event *e2e_wait_irq(uint8_t irq, uint16_t conn, uint32_t timeout_ms)
{
    const struct bh_ble_event *ev = e2e_try_irq(irq, conn, timeout_ms);

    if (ev == NULL) {
        e2e_fail(__FILE__, __LINE__, "no IRQ %u (conn 0x%04x) within %u ms", irq, conn,
                 (unsigned)timeout_ms);
    }
    return ev;
}

unsigned e2e_pending_irq(uint8_t irq)
{
    unsigned n = 0;

    for (unsigned i = 0; i < role.n_evts; i++) {
        n += !role.evts[i].used && role.evts[i].ev.irq == irq;
    }
    return n;
}

void e2e_flush_irqs(void)
{
    role.n_evts = 0;
}

void e2e_set_read_req_rc(int rc)
{
    role.read_req_rc = rc;
}

/* ---- secret store ------------------------------------------------------------------------- */

static struct e2e_secret *secret_find(uint8_t type, const uint8_t *key, uint16_t key_len)
{
    for (unsigned i = 0; i < E2E_MAX_SECRETS; i++) {
        struct e2e_secret *s = &role.secrets[i];

        if (s->used && s->type == type && s->key_len == key_len &&
            memcmp(s->key, key, key_len) == 0) {
            return s;
        }
    }
    return NULL;
}

static bool secret_get(void *ctx, uint8_t type, uint8_t index, const uint8_t *key, uint16_t key_len,
                       const uint8_t **value, size_t *value_len)
{
    struct e2e_secret *s = NULL;

    (void)ctx;
    if (key == NULL) {
        for (unsigned i = 0, n = 0; i < E2E_MAX_SECRETS && s == NULL; i++) {
            if (role.secrets[i].used && role.secrets[i].type == type && n++ == index) {
                s = &role.secrets[i];
            }
        }
    } else if (key_len <= sizeof(s->key)) {
        s = secret_find(type, key, key_len);
    }
    if (s == NULL) {
        return false;
    }
    *value = s->value;
    *value_len = s->value_len;
    return true;
}

static bool secret_set(void *ctx, uint8_t type, const uint8_t *key, uint16_t key_len,
                       const uint8_t *value, size_t value_len)
{
    struct e2e_secret *s;

    (void)ctx;
    if (key_len > sizeof(s->key) || value_len > sizeof(s->value)) {
        return false;
    }
    s = secret_find(type, key, key_len);
    if (value == NULL) {
        if (s != NULL) {
            s->used = false;
        }
        return true;
    }
    for (unsigned i = 0; i < E2E_MAX_SECRETS && s == NULL; i++) {
        if (!role.secrets[i].used) {
            s = &role.secrets[i];
        }
    }
    if (s == NULL) {
        return false;
    }
    s->used = true;
    s->type = type;
    memcpy(s->key, key, key_len);
    s->key_len = key_len;
    memcpy(s->value, value, value_len);
    s->value_len = value_len;
    role.secret_sets++;
    return true;
}

unsigned e2e_secret_sets(void)
{
    return role.secret_sets;
}

static const struct bh_ble_secret_store e2e_store = {
    .get = secret_get,
    .set = secret_set,
};

/* ---- raw ATT -------------------------------------------------------------------------------- */

void __real_bh_gattc_rx_rsp(struct bh_conn *c, uint8_t opcode, struct bh_rd *r);
void __wrap_bh_gattc_rx_rsp(struct bh_conn *c, uint8_t opcode, struct bh_rd *r);

void __wrap_bh_gattc_rx_rsp(struct bh_conn *c, uint8_t opcode, struct bh_rd *r)
{
    if (!role.raw_active) {
        __real_bh_gattc_rx_rsp(c, opcode, r);
        return;
    }
    role.raw_rsp[0] = opcode;
    role.raw_len = 1;
    if (r->left < sizeof(role.raw_rsp)) {
        memcpy(role.raw_rsp + 1, r->p, r->left);
        role.raw_len += r->left;
    }
    role.raw_active = false;
    role.raw_done = true;
}

size_t e2e_att_raw(uint16_t conn, const uint8_t *req, size_t req_len, uint8_t *rsp, size_t cap)
{
    struct bh_conn *c = bh_conn_lookup(conn);
    struct bh_buf *buf = bh_att_buf_alloc();

    E2E_CHECK(c != NULL);
    E2E_CHECK(buf != NULL);
    E2E_OK(bh_buf_add_mem(buf, req, (uint16_t)req_len));
    role.raw_active = true;
    role.raw_done = false;
    E2E_OK(bh_att_client_send(c, buf));
    E2E_OK(bh_run_until(&role.raw_done, E2E_WAIT_MS));
    E2E_CHECK(role.raw_len <= cap);
    memcpy(rsp, role.raw_rsp, role.raw_len);
    return role.raw_len;
}

/* ---- helpers ------------------------------------------------------------------------------ */

struct bh_uuid e2e_uuid16(uint16_t v)
{
    struct bh_uuid u = {.type = 2, .data = {(uint8_t)v, (uint8_t)(v >> 8)}};

    return u;
}

struct bh_uuid e2e_uuid128(const uint8_t le[16])
{
    struct bh_uuid u = {.type = 16};

    memcpy(u.data, le, 16);
    return u;
}

bool e2e_uuid_eq(const struct bh_uuid *a, const struct bh_uuid *b)
{
    return a->type == b->type && memcmp(a->data, b->data, a->type) == 0;
}

void e2e_own_addr(uint8_t *type, uint8_t addr[6])
{
    E2E_OK(bh_ble_get_addr(type, addr));
}

void e2e_announce(void)
{
    uint8_t type, a[6];

    e2e_own_addr(&type, a);
    e2e_send("addr.%s %u %02x%02x%02x%02x%02x%02x", e2e_role_name(), type, a[0], a[1], a[2], a[3],
             a[4], a[5]);
}

void e2e_advertise(void)
{
    uint8_t adv[31];
    const char *name = e2e_role_name();
    size_t n = strlen(name) > 20 ? 20 : strlen(name);

    adv[0] = 2;
    adv[1] = 0x01;
    adv[2] = 0x06;
    adv[3] = (uint8_t)(n + 1);
    adv[4] = 0x09;
    memcpy(adv + 5, name, n);
    E2E_OK(bh_ble_gap_adv_start(true, 20000, adv, n + 5, NULL, 0));
    e2e_announce();
}

void e2e_peer_addr(const char *peer, uint8_t *type, uint8_t a[6])
{
    char key[64], text[E2E_MSG_MAX];
    unsigned t, v[6], i;

    for (i = 0; i < E2E_MAX_ROLES && role.peers[i].name[0] != '\0'; i++) {
        if (strcmp(role.peers[i].name, peer) == 0) {
            *type = role.peers[i].type;
            memcpy(a, role.peers[i].addr, 6);
            return;
        }
    }
    snprintf(key, sizeof(key), "addr.%s", peer);
    e2e_wait(key, text, sizeof(text));
    if (sscanf(text, "%u %2x%2x%2x%2x%2x%2x", &t, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 7) {
        e2e_fail(__FILE__, __LINE__, "bad address line '%s'", text);
    }
    *type = (uint8_t)t;
    for (int k = 0; k < 6; k++) {
        a[k] = (uint8_t)v[k];
    }
    if (i < E2E_MAX_ROLES) {
        snprintf(role.peers[i].name, sizeof(role.peers[i].name), "%s", peer);
        role.peers[i].type = *type;
        memcpy(role.peers[i].addr, a, 6);
    }
}

uint16_t e2e_connect_to(const char *peer)
{
    uint8_t type, a[6];
    const struct bh_ble_event *ev;

    e2e_peer_addr(peer, &type, a);
    E2E_OK(bh_ble_gap_connect(type, a, 5000, 0, 0));
    ev = e2e_wait_irq(BH_IRQ_PERIPHERAL_CONNECT, E2E_ANY_CONN, E2E_WAIT_MS);
    E2E_CHECK_EQ(ev->connect.addr_type, type);
    E2E_CHECK_MEM(ev->connect.addr, a, 6);
    return ev->conn;
}

uint16_t e2e_wait_central(uint8_t addr_out[6])
{
    const struct bh_ble_event *ev = e2e_wait_irq(BH_IRQ_CENTRAL_CONNECT, E2E_ANY_CONN, E2E_WAIT_MS);

    if (addr_out != NULL) {
        memcpy(addr_out, ev->connect.addr, 6);
    }
    return ev->conn;
}

/* ---- the role process ------------------------------------------------------------------------ */

static void host_up(const char *sock_path, const char *out_dir)
{
    char spec[160], snoop[600];

    snprintf(spec, sizeof(spec), "unix:%s", sock_path);
    snprintf(snoop, sizeof(snoop), "%s/%s.btsnoop", out_dir, e2e_role_name());
    bh_os_init(bh_posix_port());
    bh_hci_init();
    E2E_OK(bh_posix_transport_open(spec));
    E2E_OK(bh_posix_snoop_open(snoop));
    bh_ble_set_event_cb(on_event, NULL);
    bh_ble_set_secret_store(&e2e_store);
    E2E_OK(bh_ble_init());
}

static void host_down(void)
{
    E2E_OK(bh_ble_deinit());
    bh_posix_snoop_close();
    bh_posix_transport_close();
}

_Noreturn void e2e_role_main(const struct e2e_scenario *s, unsigned idx, int rd_fd, int wr_fd,
                             const char *sock_path, const char *out_dir)
{
    pthread_t th;

    role.s = s;
    role.idx = idx;
    role.rd_fd = rd_fd;
    role.wr_fd = wr_fd;
    setvbuf(stderr, NULL, _IOLBF, 0);
    host_up(sock_path, out_dir);
    /* The reader wakes the host: start it once the port is installed. */
    if (pthread_create(&th, NULL, reader_main, NULL) != 0) {
        e2e_fail(__FILE__, __LINE__, "pthread_create");
    }
    s->roles[idx].fn();
    e2e_barrier("fin");
    e2e_p256_check_end();
    host_down();
    e2e_log("done");
    exit(0);
}

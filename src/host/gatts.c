/* SPDX-License-Identifier: MIT */
/*
 * gatts.c: the GATT server's core (Core 5.4 Vol 3 Part F 3.4 and Part G 4):
 * the per-connection state (the CCCD bits of each link, the indication
 * awaiting confirmation and the queue behind it), the access checks every
 * request goes through (permissions and security, Vol 3 Part C 10.3), the
 * value of an attribute as one link sees it, notifications and indications
 * with their one-at-a-time rule (Part F 3.4.7, Part G 4.10/4.11), Service
 * Changed, the lifecycle and the statistics.
 * The request handlers live beside it (gatts_internal.h lists the files):
 * gatts_read.c discovery and reads, gatts_write.c writes and the Prepare
 * Write queue, gatts_cccd.c CCCD writes and the subscriptions of bonded
 * peers; gatts_db.c owns the database and the value store.
 *
 * Permissions come from the API flags (API.md 1.1): READ / WRITE /
 * WRITE_NO_RESPONSE, and READ_/WRITE_ ENCRYPTED / AUTHENTICATED checked
 * against struct bh_conn (encrypted, authenticated). AUTHORIZED flags are
 * accepted (the read-request hook, IRQ 4, is the application's authorisation
 * point), as NimBLE does.
 *
 * Choices: indications: one outstanding per link (Vol 3 Part F 3.4.7.2);
 * indications of the stored value are queued (BH_GATTS_IND_QUEUE per link,
 * sent as each confirmation arrives) and one with a caller value is refused
 * with -EBUSY while another is outstanding.
 */
#include "gatts_internal.h"

#include <errno.h>
#include <string.h>

#include "att.h"
#include "att_spec.h"
#include "ble/ble_internal.h"
#include "blehost/bh_hci.h"
#include "os/bh_assert.h"

#define GATTS_CCCD_BYTES ((BH_CONFIG_GATTS_MAX_ATTRS * 2 + 7) / 8)

struct gatts_conn {
    struct bh_conn *conn;           /* NULL: slot unused */
    uint8_t cccd[GATTS_CCCD_BYTES]; /* 2 bits per attribute index */
    uint16_t ind_handle;            /* indication awaiting confirmation, 0: none */
    uint16_t ind_queue[BH_GATTS_IND_QUEUE];
    uint8_t ind_queued;
};

static struct {
    struct gatts_conn conns[BH_CONFIG_MAX_CONN];
    struct bh_work ind_work; /* retry queued indications once a buffer frees */
    struct bh_gatts_stats stats;
} gs;

static struct gatts_conn *gconn(const struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);

    BH_ASSERT(i < BH_CONFIG_MAX_CONN);
    return &gs.conns[i];
}

/* ---- CCCD bits of each link (writes and persistence: gatts_cccd.c) ---------- */

uint16_t bh_gatts_cccd(const struct bh_conn *c, uint16_t cccd_handle)
{
    unsigned bit = (unsigned)(cccd_handle - 1) * 2;

    if (cccd_handle == 0 || cccd_handle > BH_CONFIG_GATTS_MAX_ATTRS) {
        return 0;
    }
    return (uint16_t)((gconn(c)->cccd[bit / 8] >> (bit % 8)) & 0x3);
}

void bh_gatts_cccd_set(struct bh_conn *c, uint16_t cccd_handle, uint16_t v)
{
    unsigned bit = (unsigned)(cccd_handle - 1) * 2;
    uint8_t *p = &gconn(c)->cccd[bit / 8];

    *p = (uint8_t)((*p & ~(0x3u << (bit % 8))) | ((v & 0x3u) << (bit % 8)));
}

/* ---- access checks ---------------------------------------------------------- */

/* Security of the link against the flags, Core 5.4 Vol 3 Part C 10.3. */
static uint8_t check_security(const struct bh_conn *c, uint16_t flags, uint16_t enc_flag,
                              uint16_t authn_flag)
{
    if ((flags & authn_flag) != 0 && !c->authenticated) {
        return BH_ATT_ERR_INSUFFICIENT_AUTHENTICATION;
    }
    if ((flags & enc_flag) != 0 && !c->encrypted) {
        return BH_ATT_ERR_INSUFFICIENT_ENCRYPTION;
    }
    return 0;
}

uint8_t bh_gatts_check_read(const struct bh_conn *c, const struct bh_gatts_attr *a)
{
    if (a->kind == BH_GATTS_KIND_SERVICE || a->kind == BH_GATTS_KIND_CHR_DECL ||
        a->kind == BH_GATTS_KIND_CCCD) {
        return 0;
    }
    if ((a->flags & BH_FLAG_READ) == 0) {
        return BH_ATT_ERR_READ_NOT_PERMITTED;
    }
    return check_security(c, a->flags, BH_FLAG_READ_ENCRYPTED, BH_FLAG_READ_AUTHENTICATED);
}

uint8_t bh_gatts_check_write(const struct bh_conn *c, const struct bh_gatts_attr *a)
{
    if (a->kind == BH_GATTS_KIND_CCCD) {
        return 0;
    }
    if (a->kind == BH_GATTS_KIND_SERVICE || a->kind == BH_GATTS_KIND_CHR_DECL ||
        (a->flags & (BH_FLAG_WRITE | BH_FLAG_WRITE_NO_RESPONSE)) == 0) {
        return BH_ATT_ERR_WRITE_NOT_PERMITTED;
    }
    return check_security(c, a->flags, BH_FLAG_WRITE_ENCRYPTED, BH_FLAG_WRITE_AUTHENTICATED);
}

bool bh_gatts_is_user_value(const struct bh_gatts_attr *a)
{
    return (a->kind == BH_GATTS_KIND_VALUE || a->kind == BH_GATTS_KIND_DESC) &&
           a->special == BH_GATTS_SPECIAL_NONE;
}

/* The value as stored, no checks: CCCDs come from this connection. */
uint16_t bh_gatts_raw_value(struct bh_conn *c, uint16_t handle, const uint8_t **p, uint8_t *scratch)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);

    if (a->kind == BH_GATTS_KIND_CCCD) {
        bh_put_le16(scratch, bh_gatts_cccd(c, handle));
        *p = scratch;
        return 2;
    }
    return bh_gatts_db_value(handle, p, scratch);
}

/* ---- notifications and indications, Vol 3 Part F 3.4.7 and Part G 4.10/4.11 --- */

static int send_value(struct bh_conn *c, uint16_t handle, int op, const uint8_t *value, size_t len)
{
    uint8_t scratch[BH_GATTS_SCRATCH];
    struct bh_buf *buf;
    struct bh_wr w;
    uint16_t mtu = bh_att_mtu(c);

    if (value == NULL) {
        len = bh_gatts_raw_value(c, handle, &value, scratch);
    }
    buf = bh_att_buf_alloc();
    if (buf == NULL) {
        gs.stats.tx_no_buf++;
        return -ENOMEM;
    }
    bh_wr_init(&w, buf, mtu);
    bh_wr_u8(&w, op == BH_GATTS_INDICATE ? BH_ATT_OP_HANDLE_VALUE_IND : BH_ATT_OP_HANDLE_VALUE_NTF);
    bh_wr_le16(&w, handle);
    bh_wr_mem(&w, value, (uint16_t)BH_MIN(len, (size_t)(mtu - 3)));
    return bh_att_server_send(c, buf); /* consumes buf */
}

static void ind_queue_pop(struct gatts_conn *g)
{
    memmove(&g->ind_queue[0], &g->ind_queue[1], (size_t)(g->ind_queued - 1) * 2);
    g->ind_queued--;
}

/* Send the next queued indication if the link is free. */
static void ind_kick(struct gatts_conn *g)
{
    int err;

    if (g->conn == NULL || g->ind_handle != 0 || g->ind_queued == 0) {
        return;
    }
    err = send_value(g->conn, g->ind_queue[0], BH_GATTS_INDICATE, NULL, 0);
    if (err == -ENOMEM) {
        bh_buf_pool_wait(bh_hci_acl_pool(), &gs.ind_work);
        return;
    }
    if (err == 0) {
        g->ind_handle = g->ind_queue[0];
    }
    ind_queue_pop(g);
}

static void ind_work_fn(struct bh_work *work)
{
    (void)work;
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        ind_kick(&gs.conns[i]);
    }
}

int bh_gatts_notify_indicate(struct bh_conn *c, uint16_t handle, int op, const uint8_t *value,
                             size_t len)
{
    const struct bh_gatts_attr *a = bh_gatts_db_attr(handle);
    struct gatts_conn *g;
    int err;

    if (a == NULL || a->kind != BH_GATTS_KIND_VALUE ||
        (op != BH_GATTS_NOTIFY && op != BH_GATTS_INDICATE)) {
        return -EINVAL;
    }
    if (c == NULL || c->state != BH_CONN_STATE_CONNECTED || gconn(c)->conn != c) {
        return -ENOTCONN;
    }
    if (op == BH_GATTS_NOTIFY) {
        return send_value(c, handle, op, value, len);
    }
    g = gconn(c);
    if (g->ind_handle != 0 || g->ind_queued != 0) {
        if (value != NULL || g->ind_queued == BH_GATTS_IND_QUEUE) {
            return -EBUSY;
        }
        g->ind_queue[g->ind_queued++] = handle;
        gs.stats.ind_queued++;
        return 0;
    }
    err = send_value(c, handle, op, value, len);
    if (err == 0) {
        g->ind_handle = handle;
    }
    return err;
}

static void emit_ind_done(struct bh_conn *c, uint16_t handle, uint8_t status)
{
    struct bh_ble_event ev = {.irq = BH_IRQ_GATTS_INDICATE_DONE, .conn = c->handle};

    if (handle == bh_gatts_db_sc_handle()) {
        return; /* Service Changed is ours, not the application's */
    }
    ev.status.handle = handle;
    ev.status.status = status;
    bh_ble_emit(&ev);
}

/* Fail what is queued (the bearer is gone or dead). */
static void ind_fail_all(struct gatts_conn *g, uint8_t status)
{
    while (g->ind_queued != 0) {
        uint16_t h = g->ind_queue[0];
        ind_queue_pop(g);
        emit_ind_done(g->conn, h, status);
    }
}

void bh_gatts_on_indication_done(struct bh_conn *c, uint8_t status)
{
    struct gatts_conn *g = gconn(c);
    uint16_t handle = g->ind_handle;

    g->ind_handle = 0;
    if (status == 0) {
        ind_kick(g);
    }
    if (handle != 0) {
        emit_ind_done(c, handle, status);
    }
    if (status != 0) {
        ind_fail_all(g, status);
    }
}

/* An indication of the stored value of handle waits in g's queue. */
static bool ind_is_queued(const struct gatts_conn *g, uint16_t handle)
{
    for (unsigned i = 0; i < g->ind_queued; i++) {
        if (g->ind_queue[i] == handle) {
            return true;
        }
    }
    return false;
}

/* A queued indication sends the value stored when its turn comes, so
 * updates while one waits coalesce into it (NimBLE does the same): the
 * client gets the latest value once, not the same value several times. */
void bh_gatts_send_update(uint16_t handle)
{
    const struct bh_gatts_attr *cccd = bh_gatts_db_attr((uint16_t)(handle + 1));

    if (cccd == NULL || cccd->kind != BH_GATTS_KIND_CCCD) {
        return;
    }
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct bh_conn *c = gs.conns[i].conn;
        uint16_t bits;

        if (c == NULL || c->state != BH_CONN_STATE_CONNECTED) {
            continue;
        }
        bits = bh_gatts_cccd(c, (uint16_t)(handle + 1));
        if ((bits & BH_GATT_CCCD_INDICATE) != 0) {
            if (!ind_is_queued(&gs.conns[i], handle)) {
                bh_gatts_notify_indicate(c, handle, BH_GATTS_INDICATE, NULL, 0);
            }
        } else if ((bits & BH_GATT_CCCD_NOTIFY) != 0) {
            bh_gatts_notify_indicate(c, handle, BH_GATTS_NOTIFY, NULL, 0);
        }
    }
}

void bh_gatts_service_changed(void)
{
    bh_gatts_send_update(bh_gatts_db_sc_handle());
}

/* ---- lifecycle -------------------------------------------------------------- */

void bh_gatts_init(void)
{
    memset(&gs, 0, sizeof(gs));
    bh_gatts_prep_clear(NULL);
    bh_work_init(&gs.ind_work, ind_work_fn);
}

/* The database was rebuilt: subscriptions to old handles mean nothing now,
 * except Service Changed, whose handle never moves. */
void bh_gatts_cccd_reset(void)
{
    uint16_t sc_cccd = (uint16_t)(bh_gatts_db_sc_handle() + 1);

    bh_gatts_prep_clear(NULL);
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct gatts_conn *g = &gs.conns[i];
        uint16_t keep = g->conn != NULL ? bh_gatts_cccd(g->conn, sc_cccd) : 0;

        memset(g->cccd, 0, sizeof(g->cccd));
        if (g->conn != NULL) {
            bh_gatts_cccd_set(g->conn, sc_cccd, keep);
        }
    }
}

void bh_gatts_conn_up(struct bh_conn *c)
{
    struct gatts_conn *g = gconn(c);

    if (gs.ind_work.fn == NULL) {
        bh_work_init(&gs.ind_work, ind_work_fn);
    }
    memset(g, 0, sizeof(*g));
    g->conn = c;
}

void bh_gatts_conn_down(struct bh_conn *c)
{
    struct gatts_conn *g = gconn(c);
    uint16_t handle = g->ind_handle;

    bh_gatts_prep_clear(c);
    g->ind_handle = 0;
    if (handle != 0) {
        emit_ind_done(c, handle, ENOTCONN);
    }
    ind_fail_all(g, ENOTCONN);
    memset(g, 0, sizeof(*g));
}

void bh_gatts_on_security_change(struct bh_conn *c)
{
    (void)c; /* nothing waits for security on the server: the client retries */
}

const struct bh_gatts_stats *bh_gatts_stats(void)
{
    return &gs.stats;
}

struct bh_gatts_stats *bh_gatts_stats_mut(void)
{
    return &gs.stats;
}

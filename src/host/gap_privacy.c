/* SPDX-License-Identifier: MIT */
/*
 * gap_privacy.c: LE privacy in the host (gap_privacy.h).
 *
 * Own address: a resolvable private address, prand (top bits 0b01) and
 * ah(IRK, prand) (Core 5.4 Vol 6 Part B 1.3.2.2, Vol 3 Part H 2.2.2), or a
 * non-resolvable one (top bits 0b00, the rest neither all 0 nor all 1, not
 * our public address). It is replaced every BH_CONFIG_GAP_RPA_TIMEOUT_MS
 * (T_GAP(private_addr_int), Vol 3 Part C Appendix A: 15 min recommended).
 * LE Set Random Address is refused while advertising, scanning or
 * initiating (Vol 4 Part E 7.8.4, Command Disallowed), and a work item
 * must not wait, so the rotation runs as a chain of asynchronous commands
 * (enum privacy_step): idle -> set the address; advertising -> disable,
 * set, enable again; scanning or initiating -> put off and retried. Each
 * step re-checks GAP's state in its completion, since a central may
 * connect (which stops advertising) before our disable reaches the
 * controller. API calls that touch advertising wait for the chain first
 * (bh_gap_privacy_sync), so their commands never interleave with ours.
 *
 * Peer addresses: a resolvable private address is resolved against the
 * IRKs of our bonds (bh_keys_resolve, Vol 3 Part C 10.8.2.3) when a link
 * comes up, so GAP events, SMP and the bond table see the identity.
 * Advertising reports keep the address as received: without a resolving
 * list in the controller, that is the address gap_connect needs.
 */
#include "gap_privacy.h"

#include <errno.h>
#include <string.h>

#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "crypto/bh_crypto.h"
#include "gap.h"
#include "gap_spec.h"
#include "hci/hci_spec.h"
#include "keys.h"

#define BH_LOG_TAG "gap"
#include "os/bh_log.h"

_Static_assert(BH_CONFIG_GAP_RPA_TIMEOUT_MS > 0, "BH_CONFIG_GAP_RPA_TIMEOUT_MS must be > 0");

/* An address change waits at most for its three commands to time out. */
#define PRIVACY_SYNC_TIMEOUT_MS (3u * BH_CONFIG_HCI_CMD_TIMEOUT_MS + 1000u)
/* Draws of random bits before giving up on a valid address. */
#define PRIVACY_DRAWS 8

/* Address kinds, Vol 6 Part B 1.3.2: the two most significant bits. */
#define PRIVACY_ADDR_KIND_MASK 0xC0
#define PRIVACY_ADDR_KIND_RPA 0x40
#define PRIVACY_ADDR_KIND_STATIC 0xC0

/* The background address change. IDLE is both its start and its end. */
enum privacy_step {
    PRIVACY_STEP_IDLE = 0,
    PRIVACY_STEP_ADV_DISABLE, /* LE Set Advertising Enable (0) sent */
    PRIVACY_STEP_SET_ADDR,    /* LE Set Random Address sent */
    PRIVACY_STEP_ADV_ENABLE,  /* LE Set Advertising Enable (1) sent */
};

struct gap_privacy_ctx {
    enum bh_gap_privacy_mode mode;
    enum privacy_step step;
    bool due;         /* the address has expired and is not replaced yet */
    bool restart_adv; /* the chain disabled advertising: enable it again */
    uintptr_t gen;    /* bumped at init and mode changes: older completions are ignored */
    uint8_t next[6];  /* the address being set */
    bool has_static;
    uint8_t saved_static[6]; /* the static address in use before privacy */
    struct bh_dwork timer;   /* rotation, or retry of a deferred one */
    struct bh_sem idle;      /* given when a chain ends */
    struct bh_gap_privacy_stats stats;
};

static struct gap_privacy_ctx privacy;

static void privacy_on_timer(struct bh_work *work);

void bh_gap_privacy_init(void)
{
    uintptr_t gen = privacy.gen;

    bh_dwork_cancel(&privacy.timer);
    privacy = (struct gap_privacy_ctx){.gen = gen + 1};
    bh_dwork_init(&privacy.timer, privacy_on_timer);
    bh_sem_init(&privacy.idle, 0, 1);
}

const struct bh_gap_privacy_stats *bh_gap_privacy_stats(void)
{
    return &privacy.stats;
}

enum bh_gap_privacy_mode bh_gap_privacy_mode(void)
{
    return privacy.mode;
}

/* ---- address generation ------------------------------------------------------ */

static int privacy_random(uint8_t *buf, size_t len)
{
    const struct bh_port *port = bh_os_port();

    if (port == NULL || port->entropy == NULL || port->entropy(buf, len) < 0) {
        return -EIO;
    }
    return 0;
}

/* Our IRK, or NULL without the Security Manager (no IRK, no bonds). */
static const uint8_t *privacy_own_irk(void)
{
#if BH_CONFIG_SMP
    return bh_keys_own_irk();
#else
    return NULL;
#endif
}

/* Vol 6 Part B 1.3.2.2: resolvable private address, little-endian. */
static int privacy_make_rpa(uint8_t addr[6])
{
    const uint8_t *irk = privacy_own_irk();
    uint8_t prand[3];
    uint8_t msb[6];
    int err = -EIO;

    if (irk == NULL) {
        return -EOPNOTSUPP;
    }
    for (int i = 0; i < PRIVACY_DRAWS && err != 0; i++) {
        err = privacy_random(prand, sizeof(prand));
        if (err == 0) {
            err = bh_crypto_rpa_generate(irk, prand, msb);
        }
        if (err == -EIO) {
            break;
        }
    }
    if (err == 0) {
        bh_crypto_swap(addr, msb, 6);
    }
    return err;
}

/* Vol 6 Part B 1.3.2.2: non-resolvable private address, little-endian. */
static int privacy_make_nrpa(uint8_t addr[6])
{
    for (int i = 0; i < PRIVACY_DRAWS; i++) {
        uint8_t ones = 0x3F;
        uint8_t zeros = 0x00;

        if (privacy_random(addr, 6) < 0) {
            return -EIO;
        }
        addr[5] &= (uint8_t)~PRIVACY_ADDR_KIND_MASK;
        for (int k = 0; k < 6; k++) {
            ones &= addr[k];
            zeros |= addr[k];
        }
        if (ones != 0x3F && zeros != 0x00 && memcmp(addr, bh_hci_info()->bd_addr, 6) != 0) {
            return 0;
        }
    }
    return -EIO;
}

static int privacy_make_addr(enum bh_gap_privacy_mode mode, uint8_t addr[6])
{
    return mode == BH_GAP_PRIVACY_RPA ? privacy_make_rpa(addr) : privacy_make_nrpa(addr);
}

/* ---- the background rotation ------------------------------------------------------ */

static void privacy_on_cmd(void *ctx, int err, uint8_t status, const uint8_t *rp, uint16_t rp_len);

static void privacy_set_step(enum privacy_step st)
{
    BH_LOG_DBG("privacy step %d -> %d", (int)privacy.step, (int)st);
    privacy.step = st;
    if (st == PRIVACY_STEP_IDLE) {
        bh_sem_give(&privacy.idle);
    }
}

/* A due rotation could not happen now: try again shortly. */
static void privacy_defer(void)
{
    privacy.stats.deferred++;
    bh_dwork_reschedule(&privacy.timer, BH_GAP_PRIVACY_RETRY_MS);
}

static void privacy_end(void)
{
    privacy_set_step(PRIVACY_STEP_IDLE);
    if (privacy.due) {
        privacy_defer();
    }
}

static void privacy_send(enum privacy_step st, uint16_t op, const uint8_t *p, uint8_t len)
{
    int err;

    privacy_set_step(st);
    err = bh_hci_cmd_send(op, p, len, privacy_on_cmd, (void *)privacy.gen);
    if (err < 0) {
        BH_LOG_WRN("address change: command 0x%04x not sent (%d)", op, err);
        privacy_end();
    }
}

static void privacy_send_adv_enable(enum privacy_step st, bool on)
{
    uint8_t p = on ? 0x01 : 0x00;

    privacy_send(st, BH_HCI_OP_LE_SET_ADV_ENABLE, &p, 1);
}

/* The new address is in the controller: GAP uses it from now on. */
static void privacy_commit(void)
{
    bh_gap_own_addr_init(BH_GAP_OWN_ADDR_RANDOM, privacy.next);
    privacy.due = false;
    privacy.stats.rotations++;
    bh_dwork_reschedule(&privacy.timer, BH_CONFIG_GAP_RPA_TIMEOUT_MS);
    BH_LOG_INF("new %s address", privacy.mode == BH_GAP_PRIVACY_RPA ? "resolvable" : "private");
}

/* Completion of each step; ctx is the generation that sent it. */
static void privacy_on_cmd(void *ctx, int err, uint8_t status, const uint8_t *rp, uint16_t rp_len)
{
    bool ok = err == 0 && status == BH_HCI_ERR_SUCCESS;

    (void)rp;
    (void)rp_len;
    if ((uintptr_t)ctx != privacy.gen || privacy.step == PRIVACY_STEP_IDLE) {
        return;
    }
    switch (privacy.step) {
    case PRIVACY_STEP_ADV_DISABLE:
        /* Not advertising any more (a central connected, or the disable
         * failed and it still is): leave it to the retry. */
        if (!ok || !bh_gap_adv_active()) {
            privacy_end();
            return;
        }
        privacy_send(PRIVACY_STEP_SET_ADDR, BH_HCI_OP_LE_SET_RANDOM_ADDRESS, privacy.next, 6);
        return;
    case PRIVACY_STEP_SET_ADDR:
        if (ok) {
            privacy_commit();
        }
        if (privacy.restart_adv && bh_gap_adv_active()) {
            privacy_send_adv_enable(PRIVACY_STEP_ADV_ENABLE, true);
            return;
        }
        privacy_end();
        return;
    default:
        if (!ok) {
            BH_LOG_WRN("advertising not restarted after the address change (%d, 0x%02x)", err,
                       status);
        }
        privacy_end();
        return;
    }
}

static void privacy_rotate(void)
{
    if (!privacy.due || privacy.step != PRIVACY_STEP_IDLE) {
        return;
    }
    if (bh_gap_scan_active() || bh_gap_connect_pending() ||
        privacy_make_addr(privacy.mode, privacy.next) < 0) {
        privacy_defer();
        return;
    }
    privacy.restart_adv = bh_gap_adv_active();
    if (privacy.restart_adv) {
        privacy_send_adv_enable(PRIVACY_STEP_ADV_DISABLE, false);
    } else {
        privacy_send(PRIVACY_STEP_SET_ADDR, BH_HCI_OP_LE_SET_RANDOM_ADDRESS, privacy.next, 6);
    }
}

static void privacy_on_timer(struct bh_work *work)
{
    (void)work;
    if (privacy.mode == BH_GAP_PRIVACY_OFF) {
        return;
    }
    privacy.due = true;
    privacy_rotate();
}

void bh_gap_privacy_sync(void)
{
    while (privacy.step != PRIVACY_STEP_IDLE) {
        if (bh_sem_take(&privacy.idle, PRIVACY_SYNC_TIMEOUT_MS) < 0) {
            BH_LOG_WRN("address change still running");
            return;
        }
    }
}

/* ---- mode ------------------------------------------------------------------------------ */

static bool privacy_addr_is_static(const uint8_t addr[6])
{
    static const uint8_t zero[6];

    return (addr[5] & PRIVACY_ADDR_KIND_MASK) == PRIVACY_ADDR_KIND_STATIC &&
           memcmp(addr, zero, 6) != 0;
}

bool bh_gap_privacy_static_addr(uint8_t addr[6])
{
    const uint8_t *cur = bh_gap_random_addr();

    if (privacy_addr_is_static(cur)) {
        memcpy(addr, cur, 6);
        return true;
    }
    if (privacy.has_static) {
        memcpy(addr, privacy.saved_static, 6);
    }
    return privacy.has_static;
}

static bool privacy_gap_busy(void)
{
    return bh_gap_adv_active() || bh_gap_scan_active() || bh_gap_connect_pending();
}

static int privacy_stop(void)
{
    if (privacy.mode == BH_GAP_PRIVACY_OFF) {
        return 0;
    }
    if (privacy_gap_busy()) {
        return -EBUSY;
    }
    bh_dwork_cancel(&privacy.timer);
    privacy.mode = BH_GAP_PRIVACY_OFF;
    privacy.due = false;
    privacy.gen++;
    return 0;
}

int bh_gap_privacy_set_mode(enum bh_gap_privacy_mode mode)
{
    uint8_t addr[6];
    int err;

    if (mode > BH_GAP_PRIVACY_NRPA) {
        return -EINVAL;
    }
    if (mode == BH_GAP_PRIVACY_RPA && privacy_own_irk() == NULL) {
        return -EOPNOTSUPP;
    }
    bh_gap_privacy_sync();
    if (mode == BH_GAP_PRIVACY_OFF) {
        return privacy_stop();
    }
    if (privacy_gap_busy()) {
        return -EBUSY;
    }
    err = privacy_make_addr(mode, addr);
    if (err < 0) {
        return err;
    }
    if (privacy_addr_is_static(bh_gap_random_addr())) {
        privacy.has_static = true;
        memcpy(privacy.saved_static, bh_gap_random_addr(), 6);
    }
    /* No rotation may start while we wait for the controller. */
    bh_dwork_cancel(&privacy.timer);
    err = bh_gap_set_own_addr(BH_GAP_OWN_ADDR_RANDOM, addr);
    if (err < 0) {
        if (privacy.mode != BH_GAP_PRIVACY_OFF) {
            privacy_defer(); /* the old mode goes on rotating */
        }
        return err;
    }
    privacy.mode = mode;
    privacy.due = false;
    privacy.stats.rotations++;
    bh_dwork_reschedule(&privacy.timer, BH_CONFIG_GAP_RPA_TIMEOUT_MS);
    return 0;
}

/* ---- peers --------------------------------------------------------------------------- */

bool bh_gap_privacy_resolve(uint8_t addr_type, const uint8_t addr[6], uint8_t *id_type,
                            uint8_t id_addr[6])
{
    if (addr_type != BH_HCI_ADDR_RANDOM ||
        (addr[5] & PRIVACY_ADDR_KIND_MASK) != PRIVACY_ADDR_KIND_RPA) {
        return false;
    }
#if BH_CONFIG_SMP
    return bh_keys_resolve(addr, id_type, id_addr);
#else
    (void)id_type;
    (void)id_addr;
    return false;
#endif
}

void bh_gap_privacy_resolve_conn(struct bh_conn *c)
{
    uint8_t type;
    uint8_t id[6];

    if (!bh_gap_privacy_resolve(c->peer_addr_type, c->peer_addr, &type, id)) {
        return;
    }
    c->id_addr_type = type;
    memcpy(c->id_addr, id, 6);
    privacy.stats.resolved++;
    BH_LOG_INF("conn 0x%04x: peer resolved to its bonded identity", c->handle);
}

/* SPDX-License-Identifier: MIT */
/*
 * gap_disc.c: local disconnection. bh_gap_disconnect and
 * bh_gap_disconnect_all send HCI Disconnect (Core 5.4 Vol 4 Part E 7.1.6)
 * and handle its Command Status; a refusal leaves the link up. So that the
 * command never overtakes data already given to the link, it is held back
 * (bounded by BH_CONFIG_DISCONNECT_DRAIN_MS) until hci_acl.c has nothing
 * queued for the handle and Number Of Completed Packets (7.7.19) has
 * returned every fragment in flight; a delayable work item per slot bounds
 * the wait and retries a held Disconnect that met a full command queue.
 * The connection pool, its state changes and Disconnection Complete
 * (7.7.5) are gap_conn.c's; this file reaches them through
 * gap_internal.h.
 */
#include "gap_internal.h"

#include <errno.h>

#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "hci/hci_spec.h"
#include "os/bh_rdwr.h"

#define BH_LOG_TAG "gap"
#include "os/bh_log.h"

/* A held-back Disconnect that found the command queue full tries again. */
#define BH_GAP_DISCONNECT_RETRY_MS 10

/* Per connection slot (bh_conn_index). */
struct gap_disc_ctx {
    /* the drain bound of a held-back Disconnect, then its retries */
    struct bh_dwork work[BH_CONFIG_MAX_CONN];
    bool owed[BH_CONFIG_MAX_CONN];      /* DISCONNECTING, Disconnect held back until drained */
    uint8_t reason[BH_CONFIG_MAX_CONN]; /* its Reason */
};

static struct gap_disc_ctx gap_disc;

static void gap_on_disconnect_work(struct bh_work *w);
static void gap_on_acl_drained(uint16_t handle);

void bh_gap_disc_init(void)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        (void)bh_dwork_cancel(&gap_disc.work[i]);
    }
    gap_disc = (struct gap_disc_ctx){0};
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        bh_dwork_init(&gap_disc.work[i], gap_on_disconnect_work);
    }
    bh_hci_set_acl_drained_handler(gap_on_acl_drained);
}

void bh_gap_disc_forget(const struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);

    (void)bh_dwork_cancel(&gap_disc.work[i]);
    gap_disc.owed[i] = false;
}

bool bh_gap_disc_owed(const struct bh_conn *c)
{
    return gap_disc.owed[bh_conn_index(c)];
}

static unsigned gap_conn_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        n += bh_conn_at(i) != NULL;
    }
    return n;
}

/* Command Status of our Disconnect: a refusal leaves the link up. */
static void gap_on_disconnect_status(void *ctx, int err, uint8_t status, const uint8_t *rp,
                                     uint16_t rp_len)
{
    struct bh_conn *c = bh_conn_lookup(bh_gap_ctx_handle(ctx));

    if ((err == 0 && status == BH_HCI_ERR_SUCCESS) || err == -ECANCELED) {
        return;
    }
    if (c != NULL && c->state == BH_CONN_STATE_DISCONNECTING) {
        bh_gap_conn_set_state(c, BH_CONN_STATE_CONNECTED);
    }
}

/* HCI Disconnect, 7.1.6. */
static int gap_send_disconnect(uint16_t handle, uint8_t reason)
{
    uint8_t p[3];

    bh_put_le16(p, handle);
    p[2] = reason;
    return bh_hci_cmd_send(BH_HCI_OP_DISCONNECT, p, sizeof(p), gap_on_disconnect_status,
                           bh_gap_handle_ctx(handle));
}

/* Nothing of the link is queued in the host or unacknowledged in the
 * controller: a Disconnect now cannot overtake data. */
static bool gap_link_drained(const struct bh_conn *c)
{
    return bh_hci_acl_queued(c->handle) == 0 && bh_hci_acl_in_flight(c->handle) == 0;
}

/* Send the Disconnect a DISCONNECTING link owes. A full command queue is
 * retried shortly (commands complete or time out, so it frees); any other
 * failure leaves the link up, as a refused Disconnect does. */
static void gap_disconnect_owed(struct bh_conn *c)
{
    unsigned i = bh_conn_index(c);
    struct bh_dwork *dw = &gap_disc.work[i];
    bool drained = gap_link_drained(c);
    int err = gap_send_disconnect(c->handle, gap_disc.reason[i]);

    if (err == -ENOBUFS) {
        bh_dwork_reschedule(dw, BH_GAP_DISCONNECT_RETRY_MS);
        return;
    }
    if (err < 0) {
        BH_LOG_ERR("conn 0x%04x: Disconnect not sent (%d); link stays", c->handle, err);
        bh_gap_conn_set_state(c, BH_CONN_STATE_CONNECTED);
        return;
    }
    gap_disc.owed[i] = false;
    (void)bh_dwork_cancel(dw);
    if (!drained) {
        bh_gap_stats_mut()->disc_undrained++;
        BH_LOG_WRN("conn 0x%04x: ACL not drained in time; Disconnect sent anyway", c->handle);
    }
}

/* c's held Disconnect is due now, if it still owes one. */
static void gap_disconnect_due(struct bh_conn *c)
{
    if (c != NULL && c->state == BH_CONN_STATE_DISCONNECTING && bh_gap_disc_owed(c)) {
        gap_disconnect_owed(c);
    }
}

/* The drain bound expired, or a retry is due. */
static void gap_on_disconnect_work(struct bh_work *w)
{
    struct bh_dwork *dw = bh_dwork_from_work(w);

    gap_disconnect_due(bh_conn_at((unsigned)(dw - gap_disc.work)));
}

/* From hci_acl.c: the controller completed the link's last packet. */
static void gap_on_acl_drained(uint16_t handle)
{
    gap_disconnect_due(bh_conn_lookup(handle));
}

/* Disconnect at once when the link is drained (or drain_ms is 0), else
 * hold the command back until it is, at most drain_ms. */
static int gap_disconnect(struct bh_conn *c, uint8_t reason, uint32_t drain_ms)
{
    unsigned i;
    int err;

    if (c == NULL) {
        return -ENOTCONN;
    }
    if (c->state == BH_CONN_STATE_DISCONNECTING) {
        return -EALREADY;
    }
    if (drain_ms == 0 || gap_link_drained(c)) {
        err = gap_send_disconnect(c->handle, reason);
        if (err < 0) {
            return err;
        }
        bh_gap_conn_set_state(c, BH_CONN_STATE_DISCONNECTING);
        return 0;
    }
    BH_LOG_DBG("conn 0x%04x: Disconnect waits for %u frames, %u in flight", c->handle,
               bh_hci_acl_queued(c->handle), bh_hci_acl_in_flight(c->handle));
    bh_gap_conn_set_state(c, BH_CONN_STATE_DISCONNECTING);
    i = bh_conn_index(c);
    gap_disc.owed[i] = true;
    gap_disc.reason[i] = reason;
    bh_dwork_reschedule(&gap_disc.work[i], drain_ms);
    bh_gap_stats_mut()->disc_held++;
    return 0;
}

int bh_gap_disconnect(uint16_t handle, uint8_t reason)
{
    return gap_disconnect(bh_conn_lookup(handle), reason, BH_CONFIG_DISCONNECT_DRAIN_MS);
}

/* The drain may use at most half of timeout_ms, so that the Disconnect
 * still has time to complete; a Disconnect already held back is brought
 * forward to the same bound. */
int bh_gap_disconnect_all(uint32_t timeout_ms)
{
    uint32_t start = bh_now_ms();
    uint32_t drain_ms = BH_CONFIG_DISCONNECT_DRAIN_MS;

    if (drain_ms > timeout_ms / 2) {
        drain_ms = timeout_ms / 2;
    }
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct bh_conn *c = bh_conn_at(i);

        if (c == NULL) {
            continue;
        }
        if (c->state == BH_CONN_STATE_CONNECTED) {
            (void)gap_disconnect(c, BH_HCI_ERR_REMOTE_POWER_OFF, drain_ms);
        } else if (c->state == BH_CONN_STATE_DISCONNECTING && gap_disc.owed[i]) {
            bh_dwork_schedule(&gap_disc.work[i], drain_ms);
        }
    }
    while (gap_conn_count() > 0) {
        uint32_t elapsed = bh_now_ms() - start;

        if (elapsed >= timeout_ms || bh_gap_conn_wait_gone(timeout_ms - elapsed) == -EDEADLK) {
            break;
        }
    }
    if (gap_conn_count() == 0) {
        return 0;
    }
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        bh_gap_conn_drop(bh_conn_at(i), BH_HCI_ERR_CONN_TERMINATED_BY_LOCAL_HOST);
    }
    return -ETIMEDOUT;
}

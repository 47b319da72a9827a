/* SPDX-License-Identifier: MIT */
/*
 * hci_cmd.c: the HCI command queue.
 *
 * Commands wait in a FIFO until the controller grants a credit
 * (Num_HCI_Command_Packets in every Command Complete/Status, Core 5.4 Vol 4
 * Part E 4.4 and 7.7.14/7.7.15; the host starts with one credit). A sent
 * command is matched to its Command Complete or Command Status by opcode,
 * oldest first. Each in-flight command has a deadline; when it passes the
 * command completes with -ETIMEDOUT and one credit is assumed back so the
 * queue cannot wedge. Synchronous commands are the async path plus a
 * semaphore.
 */
#include "hci.h"

#include <errno.h>
#include <string.h>

#include "hci/h4.h"
#include "hci_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "hci"
#include "os/bh_log.h"

struct hci_cmd {
    struct bh_snode node;
    uint32_t deadline;
    bh_hci_cmd_cb_t cb;
    void *ctx;
    uint16_t opcode;
    uint8_t pkt_len;
    uint8_t pkt[BH_HCI_CMD_HDR_LEN + BH_CONFIG_HCI_CMD_PARAM_MAX];
};

BH_SLAB_DEFINE(hci_cmd_slab, sizeof(struct hci_cmd), BH_CONFIG_HCI_CMD_COUNT);

struct hci_cmd_ctx {
    struct bh_fifo queue;     /* waiting for a credit */
    struct bh_fifo in_flight; /* sent, oldest first */
    struct bh_dwork timeout;  /* deadline of the oldest in-flight command */
    uint8_t credits;
};

static struct hci_cmd_ctx hci_cmd;

static struct hci_cmd *cmd_from_node(struct bh_snode *n)
{
    return BH_CONTAINER_OF(n, struct hci_cmd, node);
}

static void cmd_arm_timeout(void)
{
    struct bh_snode *head = bh_fifo_peek(&hci_cmd.in_flight);

    if (head == NULL) {
        bh_dwork_cancel(&hci_cmd.timeout);
        return;
    }
    bh_dwork_reschedule(&hci_cmd.timeout,
                        bh_time_until(cmd_from_node(head)->deadline, bh_now_ms()));
}

/* Unlink cmd (already removed from its list), free it, then report. The
 * callback may queue new commands, so the slot is free before it runs. */
static void cmd_finish(struct hci_cmd *cmd, int err, uint8_t status, const uint8_t *rp,
                       uint16_t rp_len)
{
    bh_hci_cmd_cb_t cb = cmd->cb;
    void *ctx = cmd->ctx;

    bh_slab_free(&hci_cmd_slab, cmd);
    if (cb != NULL) {
        cb(ctx, err, status, rp, rp_len);
    }
}

/* Send queued commands while credits last. */
static void cmd_kick(void)
{
    while (hci_cmd.credits > 0 && !bh_fifo_is_empty(&hci_cmd.queue)) {
        struct hci_cmd *cmd = cmd_from_node(bh_fifo_get(&hci_cmd.queue));
        int err = hci_send_packet(BH_H4_CMD, cmd->pkt, cmd->pkt_len);

        if (err < 0) {
            BH_LOG_ERR("op 0x%04x: transport send failed (%d)", cmd->opcode, err);
            cmd_finish(cmd, err, 0, NULL, 0);
            continue;
        }
        hci_stats_mut()->cmd_sent++;
        hci_cmd.credits--;
        cmd->deadline = bh_now_ms() + BH_CONFIG_HCI_CMD_TIMEOUT_MS;
        bh_fifo_put(&hci_cmd.in_flight, &cmd->node);
    }
    cmd_arm_timeout();
}

static void cmd_on_timeout(struct bh_work *work)
{
    uint32_t now = bh_now_ms();
    struct bh_snode *head;

    (void)work;
    while ((head = bh_fifo_peek(&hci_cmd.in_flight)) != NULL &&
           !bh_time_after(cmd_from_node(head)->deadline, now)) {
        struct hci_cmd *cmd = cmd_from_node(bh_fifo_get(&hci_cmd.in_flight));

        BH_LOG_ERR("op 0x%04x: no Command Complete/Status in %u ms", cmd->opcode,
                   (unsigned)BH_CONFIG_HCI_CMD_TIMEOUT_MS);
        hci_stats_mut()->cmd_timeout++;
        /* The controller lost it; assume its credit back rather than wedge. */
        if (hci_cmd.credits == 0) {
            hci_cmd.credits = 1;
        }
        cmd_finish(cmd, -ETIMEDOUT, 0, NULL, 0);
    }
    cmd_kick();
}

void hci_cmd_init(void)
{
    bh_slab_init(&hci_cmd_slab);
    bh_fifo_init(&hci_cmd.queue);
    bh_fifo_init(&hci_cmd.in_flight);
    bh_dwork_init(&hci_cmd.timeout, cmd_on_timeout);
    hci_cmd.credits = 1; /* Vol 4 Part E 4.4: one command before the first event */
}

int bh_hci_cmd_send(uint16_t opcode, const uint8_t *params, uint8_t len, bh_hci_cmd_cb_t cb,
                    void *ctx)
{
    struct hci_cmd *cmd;

    if (len > BH_CONFIG_HCI_CMD_PARAM_MAX || (len > 0 && params == NULL)) {
        return -EINVAL;
    }
    if (!hci_transport_ready()) {
        return -ENETDOWN;
    }
    cmd = bh_slab_alloc(&hci_cmd_slab);
    if (cmd == NULL) {
        return -ENOBUFS;
    }
    cmd->opcode = opcode;
    cmd->cb = cb;
    cmd->ctx = ctx;
    cmd->pkt[0] = (uint8_t)opcode;
    cmd->pkt[1] = (uint8_t)(opcode >> 8);
    cmd->pkt[2] = len;
    if (len > 0) {
        memcpy(&cmd->pkt[BH_HCI_CMD_HDR_LEN], params, len);
    }
    cmd->pkt_len = (uint8_t)(BH_HCI_CMD_HDR_LEN + len);
    bh_fifo_put(&hci_cmd.queue, &cmd->node);
    cmd_kick();
    return 0;
}

/* The oldest in-flight command with this opcode, unlinked; NULL if none. */
static struct hci_cmd *cmd_take_in_flight(uint16_t opcode)
{
    for (struct bh_snode *n = bh_fifo_peek(&hci_cmd.in_flight); n != NULL; n = n->next) {
        if (cmd_from_node(n)->opcode == opcode) {
            bh_fifo_remove(&hci_cmd.in_flight, n);
            return cmd_from_node(n);
        }
    }
    return NULL;
}

/* Command Complete, Vol 4 Part E 7.7.14: ncmd(1) opcode(2) return params. */
void hci_cmd_on_complete(struct bh_rd *r)
{
    uint8_t ncmd = bh_rd_u8(r);
    uint16_t opcode = bh_rd_le16(r);
    uint16_t rp_len;
    const uint8_t *rp = bh_rd_rest(r, &rp_len);
    struct hci_cmd *cmd;

    if (r->err) {
        hci_stats_mut()->evt_bad_len++;
        return;
    }
    hci_cmd.credits = ncmd;
    if (opcode != 0x0000) { /* opcode 0: credits only (7.7.14) */
        cmd = cmd_take_in_flight(opcode);
        if (cmd == NULL) {
            hci_stats_mut()->cmd_unexpected++;
            BH_LOG_WRN("Command Complete for op 0x%04x, which is not pending", opcode);
        } else if (rp_len == 0) {
            /* Every Command Complete carries at least a status. */
            hci_stats_mut()->evt_bad_len++;
            cmd_finish(cmd, -EIO, BH_HCI_ERR_UNSPECIFIED, NULL, 0);
        } else {
            cmd_finish(cmd, 0, rp[0], rp + 1, (uint16_t)(rp_len - 1));
        }
    }
    cmd_kick();
}

/* Command Status, Vol 4 Part E 7.7.15: status(1) ncmd(1) opcode(2). */
void hci_cmd_on_status(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    uint8_t ncmd = bh_rd_u8(r);
    uint16_t opcode = bh_rd_le16(r);
    struct hci_cmd *cmd;

    if (!bh_rd_done(r)) {
        hci_stats_mut()->evt_bad_len++;
        return;
    }
    hci_cmd.credits = ncmd;
    if (opcode != 0x0000) {
        cmd = cmd_take_in_flight(opcode);
        if (cmd == NULL) {
            hci_stats_mut()->cmd_unexpected++;
            BH_LOG_WRN("Command Status for op 0x%04x, which is not pending", opcode);
        } else {
            cmd_finish(cmd, 0, status, NULL, 0);
        }
    }
    cmd_kick();
}

static void cmd_cancel_list(struct bh_fifo *list, int err)
{
    struct bh_snode *n;

    while ((n = bh_fifo_get(list)) != NULL) {
        cmd_finish(cmd_from_node(n), err, 0, NULL, 0);
    }
}

void hci_cmd_fail_in_flight(void)
{
    cmd_cancel_list(&hci_cmd.in_flight, -EIO);
    hci_cmd.credits = 1;
    cmd_kick();
}

void hci_cmd_cancel_all(void)
{
    /* Callbacks may queue more; they land in the queue and go in the next round. */
    for (int round = 0; round < 4; round++) {
        cmd_cancel_list(&hci_cmd.in_flight, -ECANCELED);
        cmd_cancel_list(&hci_cmd.queue, -ECANCELED);
    }
    BH_ASSERT(bh_fifo_is_empty(&hci_cmd.queue) && bh_fifo_is_empty(&hci_cmd.in_flight));
    bh_dwork_cancel(&hci_cmd.timeout);
    hci_cmd.credits = 1;
}

/* ---- synchronous commands ------------------------------------------------ */

struct hci_sync {
    struct bh_sem done;
    uint8_t *rp;
    uint16_t rp_cap;
    uint16_t rp_len;
    uint8_t status;
    int err;
};

static void hci_sync_cb(void *ctx, int err, uint8_t status, const uint8_t *rp, uint16_t rp_len)
{
    struct hci_sync *s = ctx;
    uint16_t n = rp_len < s->rp_cap ? rp_len : s->rp_cap;

    s->err = err;
    s->status = status;
    s->rp_len = n;
    if (n > 0 && s->rp != NULL) {
        memcpy(s->rp, rp, n);
    }
    bh_sem_give(&s->done);
}

/* The waiter gave up (its stack frame goes away): make sure no command
 * will ever call back into it. */
static void hci_sync_detach(struct hci_sync *s)
{
    struct bh_fifo *lists[] = {&hci_cmd.queue, &hci_cmd.in_flight};

    for (unsigned i = 0; i < BH_ARRAY_SIZE(lists); i++) {
        for (struct bh_snode *n = bh_fifo_peek(lists[i]); n != NULL; n = n->next) {
            if (cmd_from_node(n)->ctx == s) {
                cmd_from_node(n)->cb = NULL;
            }
        }
    }
}

/* Send and wait. Returns only local failures (-ETIMEDOUT, -ENOBUFS,
 * -ENETDOWN, -EDEADLK, -EINVAL, -ECANCELED, -EIO); the controller's answer,
 * success or not, is in *status. */
static int hci_cmd_wait(uint16_t opcode, const uint8_t *params, uint8_t len, uint8_t *rp,
                        uint16_t rp_cap, uint16_t *rp_len, uint8_t *status)
{
    struct hci_sync s = {.rp = rp, .rp_cap = rp != NULL ? rp_cap : 0};
    int err;

    bh_sem_init(&s.done, 0, 1);
    err = bh_hci_cmd_send(opcode, params, len, hci_sync_cb, &s);
    if (err < 0) {
        return err;
    }
    /* The command's own deadline completes it first; the margin is a backstop. */
    err = bh_sem_take(&s.done, BH_CONFIG_HCI_CMD_TIMEOUT_MS + 1000);
    if (err < 0) {
        hci_sync_detach(&s);
        return err;
    }
    if (rp_len != NULL) {
        *rp_len = s.rp_len;
    }
    if (status != NULL) {
        *status = s.status;
    }
    return s.err;
}

int bh_hci_cmd_sync(uint16_t opcode, const uint8_t *params, uint8_t len, uint8_t *rp,
                    uint16_t rp_cap, uint16_t *rp_len, uint8_t *status)
{
    uint8_t st = 0;
    int err = hci_cmd_wait(opcode, params, len, rp, rp_cap, rp_len, &st);

    if (status != NULL) {
        *status = st;
    }
    return err < 0 ? err : bh_hci_status_to_errno(st);
}

int bh_hci_cmd_raw(uint16_t ogf, uint16_t ocf, const uint8_t *req, uint8_t req_len, uint8_t *rsp,
                   uint16_t rsp_cap, uint16_t *rsp_len, uint8_t *status)
{
    if (!BH_CONFIG_HCI_RAW_CMD) {
        return -EOPNOTSUPP;
    }
    if (ogf > 0x3F || ocf > 0x3FF) {
        return -EINVAL;
    }
    /* A failure status is the caller's to interpret: only local errors fail. */
    return hci_cmd_wait(BH_HCI_OP(ogf, ocf), req, req_len, rsp, rsp_cap, rsp_len, status);
}

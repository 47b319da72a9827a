/* SPDX-License-Identifier: MIT */
/*
 * ctrl.c: one virtual LE controller per attached H4 client. Owns the
 * client fd, the H4 parser (commands and ACL in), the output buffer (events
 * and ACL out, H4 framed), btsnoop capture, the event masks (Core 5.4 Vol 4
 * Part E 7.3.1, 7.3.69, 7.8.1), controller buffer accounting for host ACL
 * (7.8.2) and table-driven command dispatch: every command's parameter
 * length is checked against its row before its handler runs. The handlers
 * live in ctrl_cmd_*.c, the radio in radio_*.c.
 */
#include "sim.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hci/hci_spec.h"

struct ctrl_ctx {
    struct ctrl *list;
    int next_idx;
};

static struct ctrl_ctx ctrl_ctx;

static const struct {
    const struct ctrl_cmd_def *tab;
    const size_t *n;
} ctrl_tables[] = {
    {ctrl_cmds_info, &ctrl_cmds_info_n},
    {ctrl_cmds_adv, &ctrl_cmds_adv_n},
    {ctrl_cmds_conn, &ctrl_cmds_conn_n},
    {ctrl_cmds_enc, &ctrl_cmds_enc_n},
};

struct ctrl *ctrl_first(void)
{
    return ctrl_ctx.list;
}

/* ---- output ---------------------------------------------------------------- */

static void ctrl_mark_dead(struct ctrl *c, const char *why)
{
    if (c->dead) {
        return;
    }
    if (why != NULL) {
        sim_log("blesim: controller %d: %s, dropping client", c->idx, why);
    }
    c->dead = true;
}

static void ctrl_flush(struct ctrl *c)
{
    if (c->fd < 0) {
        c->out_len = 0; /* a virtual client (fd -1): output is dropped once captured */
        return;
    }
    while (c->out_len > 0 && !c->dead) {
        ssize_t n = write(c->fd, c->out, c->out_len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ctrl_mark_dead(c, NULL);
            }
            break;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    c->fdw.events = (short)(POLLIN | (c->out_len > 0 ? POLLOUT : 0));
}

void ctrl_send(struct ctrl *c, uint8_t type, const uint8_t *pkt, uint16_t len)
{
    size_t need;

    if (c == NULL || c->dead) {
        return;
    }
    sim_snoop_write(c->snoop, type, pkt, len, true);
    need = c->out_len + 1u + len;
    if (need > SIM_OUT_MAX) {
        if (c->is_pty) {
            c->out_len = 0; /* nobody reads the pty: forget what is pending */
            return;
        }
        ctrl_mark_dead(c, "host does not read its events");
        return;
    }
    if (need > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < need) {
            cap *= 2;
        }
        uint8_t *p = realloc(c->out, cap);
        if (p == NULL) {
            ctrl_mark_dead(c, "out of memory");
            return;
        }
        c->out = p;
        c->out_cap = cap;
    }
    c->out[c->out_len] = type;
    memcpy(c->out + c->out_len + 1, pkt, len);
    c->out_len = need;
    ctrl_flush(c);
}

/* Event mask bit of an event code, Vol 4 Part E 7.3.1 and 7.3.69; -1: not maskable. */
static int ctrl_evt_bit(uint8_t code, bool *page2)
{
    *page2 = false;
    switch (code) {
    case BH_HCI_EVT_CMD_COMPLETE:
    case BH_HCI_EVT_CMD_STATUS:
    case BH_HCI_EVT_NUM_COMPLETED_PACKETS:
        return -1;
    case BH_HCI_EVT_ENCRYPTION_CHANGE_V2:
        *page2 = true;
        return 25;
    default:
        return code >= 1 && code <= 0x3F ? code - 1 : -1;
    }
}

bool ctrl_evt_enabled(const struct ctrl *c, uint8_t code)
{
    bool page2;
    int bit = ctrl_evt_bit(code, &page2);

    if (bit < 0) {
        return true;
    }
    return ((page2 ? c->evt_mask2 : c->evt_mask) >> bit) & 1u;
}

bool ctrl_le_evt_enabled(const struct ctrl *c, uint8_t subevt)
{
    if (!ctrl_evt_enabled(c, BH_HCI_EVT_LE_META) || subevt == 0 || subevt > 64) {
        return false;
    }
    return (c->le_evt_mask >> (subevt - 1)) & 1u;
}

void ctrl_evt(struct ctrl *c, uint8_t code, const uint8_t *params, uint8_t len)
{
    uint8_t pkt[2 + 255];

    if (c == NULL || !ctrl_evt_enabled(c, code)) {
        return;
    }
    pkt[0] = code;
    pkt[1] = len;
    memcpy(pkt + 2, params, len);
    sim_vlog("blesim: controller %d: event 0x%02x len %u", c->idx, code, len);
    ctrl_send(c, BH_H4_EVT, pkt, (uint16_t)(2 + len));
}

void ctrl_le_evt(struct ctrl *c, uint8_t subevt, const uint8_t *params, uint8_t len)
{
    uint8_t p[255];

    if (c == NULL || !ctrl_le_evt_enabled(c, subevt) || len > 254) {
        return;
    }
    p[0] = subevt;
    memcpy(p + 1, params, len);
    ctrl_evt(c, BH_HCI_EVT_LE_META, p, (uint8_t)(len + 1));
}

/* Vol 4 Part E 7.7.14: Num_HCI_Command_Packets is always 1 here. */
void ctrl_cmd_complete(struct ctrl *c, const uint8_t *ret, uint8_t len)
{
    uint8_t p[255];

    if (len > 252) {
        return;
    }
    p[0] = 1;
    sim_put_le16(p + 1, c->cur_op);
    memcpy(p + 3, ret, len);
    ctrl_evt(c, BH_HCI_EVT_CMD_COMPLETE, p, (uint8_t)(3 + len));
}

void ctrl_cc_status(struct ctrl *c, uint8_t status)
{
    ctrl_cmd_complete(c, &status, 1);
}

void ctrl_cc_status_handle(struct ctrl *c, uint8_t status, uint16_t handle)
{
    uint8_t p[3] = {status};

    sim_put_le16(p + 1, handle);
    ctrl_cmd_complete(c, p, 3);
}

/* Vol 4 Part E 7.7.15 */
void ctrl_cmd_status(struct ctrl *c, uint8_t status)
{
    uint8_t p[4] = {status, 1};

    sim_put_le16(p + 2, c->cur_op);
    ctrl_evt(c, BH_HCI_EVT_CMD_STATUS, p, 4);
}

/* Vol 4 Part E 7.7.5 */
void ctrl_evt_disconn_complete(struct ctrl *c, uint16_t handle, uint8_t reason)
{
    uint8_t p[4] = {0};

    sim_put_le16(p + 1, handle);
    p[3] = reason;
    ctrl_evt(c, BH_HCI_EVT_DISCONN_COMPLETE, p, 4);
}

/* Vol 4 Part E 7.7.19 */
void ctrl_evt_num_completed(struct ctrl *c, uint16_t handle, uint16_t count)
{
    uint8_t p[5] = {1};

    sim_put_le16(p + 1, handle);
    sim_put_le16(p + 3, count);
    ctrl_evt(c, BH_HCI_EVT_NUM_COMPLETED_PACKETS, p, 5);
}

/* Vol 4 Part E 5.4.2: controller to host, PB 0x02 starts an L2CAP PDU,
 * 0x01 continues it. Pieces never exceed our LE ACL buffer length. */
static uint16_t ctrl_acl_to_host_max(const struct ctrl *c)
{
    uint16_t max = sim_opts.acl_len;

    return (c->host_acl_len != 0 && c->host_acl_len < max) ? c->host_acl_len : max;
}

/* Vol 4 Part E 7.3.39 and 7.3.40: with flow control on, at most
 * Host_Total_Num_ACL_Data_Packets wait in the host at any time. */
bool ctrl_acl_to_host_fits(const struct ctrl *c, uint16_t len)
{
    uint16_t max;
    uint32_t need;

    if (c == NULL || !c->c2h_fc) {
        return true;
    }
    max = ctrl_acl_to_host_max(c);
    need = len == 0 ? 1u : ((uint32_t)len + max - 1u) / max;
    return (uint32_t)c->host_acl_used + need <= c->host_acl_num;
}

void ctrl_acl_to_host(struct ctrl *c, uint16_t handle, bool start, const uint8_t *data,
                      uint16_t len)
{
    uint8_t pkt[4 + 1024];
    uint16_t max;
    uint16_t off = 0;

    if (c == NULL || c->dead) {
        return;
    }
    max = ctrl_acl_to_host_max(c);
    do {
        uint16_t n = (uint16_t)(len - off) < max ? (uint16_t)(len - off) : max;
        uint16_t pb = (start && off == 0) ? BH_HCI_ACL_PB_FIRST_FLUSH : BH_HCI_ACL_PB_CONT;

        sim_put_le16(pkt, (uint16_t)(handle | (pb << 12)));
        sim_put_le16(pkt + 2, n);
        memcpy(pkt + 4, data + off, n);
        ctrl_send(c, BH_H4_ACL, pkt, (uint16_t)(4 + n));
        if (c->c2h_fc) {
            c->host_acl_used++;
        }
        off = (uint16_t)(off + n);
    } while (off < len);
}

/* ---- addresses and lookups ---------------------------------------------------- */

void ctrl_own_addr(const struct ctrl *c, uint8_t own_type, uint8_t *type, uint8_t addr[6])
{
    /* Vol 4 Part E 7.8.5: 0x02/0x03 fall back to public/random without a
     * resolving list entry, and blesim has no resolving list. */
    if (own_type == 0x01 || own_type == 0x03) {
        *type = BH_HCI_ADDR_RANDOM;
        memcpy(addr, c->rand_addr, 6);
    } else {
        *type = BH_HCI_ADDR_PUBLIC;
        memcpy(addr, c->pub_addr, 6);
    }
}

bool ctrl_fal_has(const struct ctrl *c, uint8_t type, const uint8_t addr[6])
{
    for (unsigned i = 0; i < c->fal_n; i++) {
        if (c->fal[i].type == type && memcmp(c->fal[i].addr, addr, 6) == 0) {
            return true;
        }
    }
    return false;
}

struct sim_link *ctrl_link(const struct ctrl *c, uint16_t handle)
{
    if (handle < 1 || handle > SIM_MAX_CONN) {
        return NULL;
    }
    return c->links[handle - 1];
}

int ctrl_link_side(const struct ctrl *c, const struct sim_link *l)
{
    return l->s[0].ctrl == c ? 0 : 1;
}

/* ---- command dispatch ------------------------------------------------------------- */

static const struct ctrl_cmd_def *ctrl_cmd_find(uint16_t op)
{
    for (size_t t = 0; t < sizeof(ctrl_tables) / sizeof(ctrl_tables[0]); t++) {
        for (size_t i = 0; i < *ctrl_tables[t].n; i++) {
            if (ctrl_tables[t].tab[i].op == op) {
                return &ctrl_tables[t].tab[i];
            }
        }
    }
    return NULL;
}

void ctrl_supported_commands(uint8_t out[64])
{
    memset(out, 0, 64);
    for (size_t t = 0; t < sizeof(ctrl_tables) / sizeof(ctrl_tables[0]); t++) {
        for (size_t i = 0; i < *ctrl_tables[t].n; i++) {
            const struct ctrl_cmd_def *d = &ctrl_tables[t].tab[i];
            if (d->sc_octet < 64) {
                out[d->sc_octet] |= (uint8_t)(1u << d->sc_bit);
            }
        }
    }
}

/* Vol 4 Part E 4.5 and 7.7.14: unknown commands get status 0x01, bad
 * parameter lengths 0x12, in the command's own kind of response. */
static void ctrl_cmd_exec(struct ctrl *c, const uint8_t *pkt, uint16_t len)
{
    uint16_t op = bh_get_le16(pkt);
    uint8_t plen = pkt[2];
    const struct ctrl_cmd_def *d = ctrl_cmd_find(op);
    struct bh_rd r;

    c->cur_op = op;
    sim_vlog("blesim: controller %d: command 0x%04x len %u", c->idx, op, plen);
    if (d == NULL) {
        ctrl_cc_status(c, BH_HCI_ERR_UNKNOWN_HCI_CMD);
        return;
    }
    bool ok = (d->flags & CTRL_CMD_MIN) ? plen >= d->len : plen == d->len;
    if (!ok || (uint16_t)(plen + 3) != len) {
        if (d->flags & CTRL_CMD_SILENT) {
            return;
        }
        if (d->flags & CTRL_CMD_CS) {
            ctrl_cmd_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        } else {
            ctrl_cc_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        }
        return;
    }
    bh_rd_init(&r, pkt + 3, plen);
    d->handler(c, &r);
}

static void ctrl_cmd_timer(struct sim_timer *t)
{
    struct ctrl *c = SIM_CONTAINER_OF(t, struct ctrl, cmd_timer);
    uint64_t now = sim_now();

    while (c->cmdq_n > 0 && !c->dead) {
        struct ctrl_cmd *q = &c->cmdq[c->cmdq_head];
        if (q->due_us > now) {
            sim_timer_start(t, q->due_us);
            return;
        }
        ctrl_cmd_exec(c, q->pkt, q->len);
        c->cmdq_head = (c->cmdq_head + 1) % SIM_CMD_QUEUE;
        c->cmdq_n--;
    }
}

static void ctrl_on_cmd(struct ctrl *c, const uint8_t *pkt, uint16_t len)
{
    struct ctrl_cmd *q;

    if (sim_opts.cmd_delay_ms == 0 && c->cmdq_n == 0) {
        ctrl_cmd_exec(c, pkt, len);
        return;
    }
    if (c->cmdq_n >= SIM_CMD_QUEUE || len > sizeof(q->pkt)) {
        sim_log("blesim: controller %d: command queue full, command 0x%04x dropped", c->idx,
                bh_get_le16(pkt));
        return;
    }
    q = &c->cmdq[(c->cmdq_head + c->cmdq_n) % SIM_CMD_QUEUE];
    q->due_us = sim_now() + (uint64_t)sim_opts.cmd_delay_ms * 1000u;
    q->len = len;
    memcpy(q->pkt, pkt, len);
    if (c->cmdq_n++ == 0) {
        sim_timer_start(&c->cmd_timer, q->due_us);
    }
}

/* Vol 4 Part E 5.4.2 host to controller ACL; broadcast flags must be 0. */
static void ctrl_on_acl(struct ctrl *c, const uint8_t *pkt, uint16_t len)
{
    uint16_t hdr = bh_get_le16(pkt);
    uint16_t dlen = bh_get_le16(pkt + 2);
    uint16_t handle = hdr & BH_HCI_HANDLE_MASK;

    if ((uint16_t)(dlen + 4) != len || dlen > sim_opts.acl_len) {
        sim_log("blesim: controller %d: ACL length %u invalid (buffer %u), dropped", c->idx,
                dlen, sim_opts.acl_len);
        return;
    }
    if (BH_HCI_ACL_BC(hdr) != 0) {
        sim_log("blesim: controller %d: ACL with broadcast flags, dropped", c->idx);
        return;
    }
    if (c->acl_used >= sim_opts.acl_num) {
        uint8_t link_type = 0x01; /* Vol 4 Part E 7.7.26: ACL */
        if (c->acl_overflows++ % 1000 == 0) {
            sim_log("blesim: controller %d: host exceeded %u ACL buffers, dropped (%u times)",
                    c->idx, sim_opts.acl_num, c->acl_overflows);
        }
        ctrl_evt(c, BH_HCI_EVT_DATA_BUFFER_OVERFLOW, &link_type, 1);
        return;
    }
    radio_conn_acl_from_host(c, handle, BH_HCI_ACL_PB(hdr), pkt + 4, dlen);
}

static void ctrl_on_packet(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len)
{
    struct ctrl *c = ctx;

    if (c->dead) {
        return;
    }
    sim_snoop_write(c->snoop, type, pkt, len, false);
    if (type == BH_H4_CMD) {
        ctrl_on_cmd(c, pkt, len);
    } else if (type == BH_H4_ACL) {
        ctrl_on_acl(c, pkt, len);
    }
}

/* ---- client fd ---------------------------------------------------------------------- */

/* Bytes from the host: H4 framing, then commands and ACL. A byte that is
 * not a command/ACL indicator, or a packet longer than our buffers, drops
 * the client (its peers see a supervision timeout). */
void ctrl_feed(struct ctrl *c, const uint8_t *buf, size_t n)
{
    if (c->dead) {
        return;
    }
    int err = bh_h4_feed(&c->h4, buf, n);
    if (err == -EPROTO) {
        ctrl_mark_dead(c, "invalid H4 packet indicator");
    } else if (err == -EMSGSIZE) {
        ctrl_mark_dead(c, "oversize H4 packet");
    }
}

static void ctrl_on_ready(struct sim_fd *f, short revents)
{
    struct ctrl *c = SIM_CONTAINER_OF(f, struct ctrl, fdw);
    uint8_t buf[4096];

    if (c->dead) {
        return;
    }
    if (revents & POLLOUT) {
        ctrl_flush(c);
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR))) {
        return;
    }
    ssize_t n = read(c->fd, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == EWOULDBLOCK)) {
        return;
    }
    if (n <= 0) {
        ctrl_mark_dead(c, NULL);
        return;
    }
    ctrl_feed(c, buf, (size_t)n);
}

void ctrl_reset_state(struct ctrl *c)
{
    /* Vol 4 Part E 7.3.2: the link layer forgets its links without telling
     * its host; the peers see their supervision timeout. */
    radio_conn_detach(c);
    radio_adv_stop(c);
    sim_timer_stop(&c->cmd_timer);
    memset(&c->adv, 0, sizeof(c->adv));
    memset(&c->scan, 0, sizeof(c->scan));
    memset(&c->init, 0, sizeof(c->init));
    c->adv.itvl_min_625us = 0x0800;
    c->adv.itvl_max_625us = 0x0800;
    c->adv.chmap = 0x07;
    c->scan.itvl_625us = 0x0010;
    c->scan.window_625us = 0x0010;
    c->fal_n = 0;
    memset(c->local_name, 0, sizeof(c->local_name));
    memcpy(c->local_name, "blesim", 6);
    c->rand_set = false;
    memset(c->rand_addr, 0, 6);
    /* Vol 4 Part E 7.3.1, 7.3.69, 7.8.1: default masks */
    c->evt_mask = 0x00001FFFFFFFFFFFull;
    c->evt_mask2 = 0;
    c->le_evt_mask = 0x1F;
    c->sugg_tx_octets = 27;
    c->sugg_tx_time = 328;
    c->def_all_phys = 0x03;
    c->def_tx_phys = PHY_1M | PHY_2M;
    c->def_rx_phys = PHY_1M | PHY_2M;
    c->p256_have = false;
    c->c2h_fc = false;
    c->host_acl_len = 0;
    c->host_acl_num = 0;
    c->host_acl_used = 0;
}

struct ctrl *ctrl_attach(int fd, bool is_pty)
{
    struct ctrl *c = calloc(1, sizeof(*c));
    uint16_t bufsz = (uint16_t)(4 + sim_opts.acl_len > 3 + 255 ? 4 + sim_opts.acl_len : 3 + 255);
    uint32_t carry = (uint32_t)ctrl_ctx.next_idx;

    if (c == NULL || (c->rxbuf = malloc(bufsz)) == NULL) {
        free(c);
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    c->idx = ctrl_ctx.next_idx++;
    c->fd = fd;
    c->is_pty = is_pty;
    for (int i = 0; i < 6; i++) { /* address = base + idx, little-endian arithmetic */
        uint32_t v = sim_opts.addr_base[i] + carry;
        c->pub_addr[i] = (uint8_t)v;
        carry = v >> 8;
    }
    bh_h4_init(&c->h4, c->rxbuf, bufsz, BH_H4_ACCEPT(BH_H4_CMD) | BH_H4_ACCEPT(BH_H4_ACL),
               ctrl_on_packet, c);
    c->adv.timer.fn = NULL;
    c->cmd_timer.fn = ctrl_cmd_timer;
    ctrl_reset_state(c);
    c->snoop = sim_snoop_open(c->idx);
    c->fdw.fd = fd;
    c->fdw.events = POLLIN;
    c->fdw.on_ready = ctrl_on_ready;
    if (fd >= 0) {
        sim_fd_add(&c->fdw);
    }
    c->next = ctrl_ctx.list;
    ctrl_ctx.list = c;
    if (sim_opts.quiet) {
        return c;
    }
    printf("blesim: controller %d attached addr %02X:%02X:%02X:%02X:%02X:%02X\n", c->idx,
           c->pub_addr[5], c->pub_addr[4], c->pub_addr[3], c->pub_addr[2], c->pub_addr[1],
           c->pub_addr[0]);
    fflush(stdout);
    return c;
}

static void ctrl_free(struct ctrl *c)
{
    radio_conn_detach(c);
    radio_adv_stop(c);
    sim_timer_stop(&c->cmd_timer);
    sim_fd_remove(&c->fdw);
    if (c->fd >= 0) {
        close(c->fd);
    }
    if (c->snoop != NULL) {
        fclose(c->snoop);
    }
    if (!sim_opts.quiet) {
        printf("blesim: controller %d detached\n", c->idx);
        fflush(stdout);
    }
    free(c->rxbuf);
    free(c->out);
    free(c);
}

void ctrl_reap(void)
{
    struct ctrl **pp = &ctrl_ctx.list;

    radio_conn_reap();
    while (*pp != NULL) {
        struct ctrl *c = *pp;
        if (c->dead) {
            *pp = c->next;
            ctrl_free(c);
        } else {
            pp = &c->next;
        }
    }
    radio_conn_reap();
}

void ctrl_shutdown(void)
{
    for (struct ctrl *c = ctrl_ctx.list; c != NULL; c = c->next) {
        c->dead = true;
    }
    ctrl_reap();
    ctrl_ctx.next_idx = 0; /* a fresh simulation numbers from 0 again */
}

/* SPDX-License-Identifier: MIT */
/*
 * hci_init.c: bringing the controller up and down.
 *
 * The init sequence is a table of steps, each one command, an optional
 * predicate that skips it, an optional parameter builder and an optional
 * parser of its return parameters. It runs asynchronously from command
 * completions (so it can also run from inside bh_process(), e.g. after a
 * Hardware Error), and bh_hci_up() waits for it on a semaphore.
 * Commands: Core 5.4 Vol 4 Part E 7.3.2 (Reset), 7.4 (informational),
 * 7.3.1 and 7.8.1 (event masks), 7.8.2/7.8.93 and 7.4.5 (buffer sizes),
 * 7.8.4 (random address). Identity address: Vol 6 Part B 1.3.2.1.
 */
#include "hci.h"

#include <errno.h>
#include <string.h>

#include "hci_spec.h"
#include "os/bh_assert.h"

#define BH_LOG_TAG "hci"
#include "os/bh_log.h"

/* Events the host uses (Vol 4 Part E 7.3.1): Disconnection Complete (4),
 * Encryption Change (7), Read Remote Version Complete (11), Hardware Error
 * (15), Data Buffer Overflow (25), Encryption Key Refresh Complete (47),
 * LE Meta (61). */
#define HCI_INIT_EVENT_MASK                                                                 \
    ((1ull << 4) | (1ull << 7) | (1ull << 11) | (1ull << 15) | (1ull << 25) | (1ull << 47) | \
     (1ull << 61))
/* LE subevents 0x01..0x0C except Enhanced Connection Complete (bit 9), so
 * the controller reports connections with LE Connection Complete. 7.8.1 */
#define HCI_INIT_LE_EVENT_MASK 0x0DFFull

enum hci_init_state {
    HCI_INIT_IDLE = 0,
    HCI_INIT_RUNNING,
    HCI_INIT_UP,
    HCI_INIT_FAILED, /* terminal until bh_hci_down() */
};

struct hci_init_step {
    uint16_t opcode;
    bool (*wanted)(void);                       /* NULL: always */
    uint8_t (*build)(uint8_t *params);          /* NULL: no parameters; returns length */
    int (*parse)(struct bh_rd *r);              /* NULL: nothing to keep */
};

struct hci_init_ctx {
    enum hci_init_state state;
    uint8_t step;
    struct bh_hci_info info;
    void (*done)(void *ctx, int err);
    void *done_ctx;
};

static struct hci_init_ctx hci_init;

const struct bh_hci_info *bh_hci_info(void)
{
    return &hci_init.info;
}

bool bh_hci_is_up(void)
{
    return hci_init.state == HCI_INIT_UP;
}

/* ---- parsers of return parameters (status already removed) ------------- */

static int init_parse_local_version(struct bh_rd *r)
{
    struct bh_hci_info *i = &hci_init.info;

    i->hci_version = bh_rd_u8(r);
    i->hci_revision = bh_rd_le16(r);
    i->lmp_version = bh_rd_u8(r);
    i->manufacturer = bh_rd_le16(r);
    i->lmp_subversion = bh_rd_le16(r);
    return r->err ? -EIO : 0;
}

static int init_parse_commands(struct bh_rd *r)
{
    bh_rd_copy(r, hci_init.info.commands, sizeof(hci_init.info.commands));
    return r->err ? -EIO : 0;
}

static int init_parse_features(struct bh_rd *r)
{
    bh_rd_copy(r, hci_init.info.features, sizeof(hci_init.info.features));
    if (r->err) {
        return -EIO;
    }
    if (!((hci_init.info.features[BH_HCI_LMP_FEAT_LE_SUPPORTED_OCTET] >>
           BH_HCI_LMP_FEAT_LE_SUPPORTED_BIT) & 1)) {
        BH_LOG_ERR("controller does not support LE");
        return -ENODEV;
    }
    return 0;
}

static int init_parse_le_features(struct bh_rd *r)
{
    bh_rd_copy(r, hci_init.info.le_features, sizeof(hci_init.info.le_features));
    return r->err ? -EIO : 0;
}

static int init_parse_bd_addr(struct bh_rd *r)
{
    bh_rd_copy(r, hci_init.info.bd_addr, sizeof(hci_init.info.bd_addr));
    return r->err ? -EIO : 0;
}

/* LE Read Buffer Size v1 (7.8.2) and v2 (7.8.93) start alike. */
static int init_parse_le_buffer_size(struct bh_rd *r)
{
    hci_init.info.acl_len = bh_rd_le16(r);
    hci_init.info.acl_num = bh_rd_u8(r);
    return r->err ? -EIO : 0;
}

/* Read Buffer Size (7.4.5): used when the LE buffers are shared with BR/EDR. */
static int init_parse_buffer_size(struct bh_rd *r)
{
    uint16_t acl_len = bh_rd_le16(r);
    uint8_t sco_len = bh_rd_u8(r);
    uint16_t acl_num = bh_rd_le16(r);

    (void)sco_len;
    if (r->err) {
        return -EIO;
    }
    hci_init.info.acl_len = acl_len;
    hci_init.info.acl_num = acl_num;
    return 0;
}

/* ---- predicates and builders ---------------------------------------------- */

static bool init_want_le_buffer_v1(void)
{
    return !bh_hci_cmd_supported(&hci_init.info, BH_HCI_CMD_BIT_LE_READ_BUFFER_SIZE_V2);
}

static bool init_want_le_buffer_v2(void)
{
    return !init_want_le_buffer_v1();
}

static bool init_want_buffer_size(void)
{
    return hci_init.info.acl_len == 0 || hci_init.info.acl_num == 0;
}

static bool init_want_random_addr(void)
{
    static const uint8_t zero[6];

    return memcmp(hci_init.info.bd_addr, zero, sizeof(zero)) == 0;
}

static uint8_t init_build_event_mask(uint8_t *p)
{
    uint64_t m = HCI_INIT_EVENT_MASK;

    for (unsigned i = 0; i < 8; i++) {
        p[i] = (uint8_t)(m >> (8 * i));
    }
    return 8;
}

static uint8_t init_build_le_event_mask(uint8_t *p)
{
    uint64_t m = HCI_INIT_LE_EVENT_MASK;

    for (unsigned i = 0; i < 8; i++) {
        p[i] = (uint8_t)(m >> (8 * i));
    }
    return 8;
}

bool bh_hci_addr_is_static(const uint8_t addr[6])
{
    uint8_t all_and = addr[5] | 0xC0, all_or = addr[5] & 0x3F;

    for (unsigned i = 0; i < 5; i++) {
        all_and &= addr[i];
        all_or |= addr[i];
    }
    return (addr[5] & 0xC0) == 0xC0 && all_and != 0xFF && all_or != 0;
}

static uint8_t init_build_random_addr(uint8_t *p)
{
    const struct bh_port *port = bh_os_port();

    for (unsigned tries = 0; tries < 8; tries++) {
        if (port == NULL || port->entropy == NULL || port->entropy(p, 6) < 0) {
            BH_LOG_WRN("no entropy source: using a fixed static address");
            memset(p, 0x5A, 6);
        }
        p[5] |= 0xC0;
        if (bh_hci_addr_is_static(p)) {
            break;
        }
    }
    memcpy(hci_init.info.id_addr, p, 6);
    hci_init.info.id_addr_type = BH_HCI_ADDR_RANDOM;
    return 6;
}

static const struct hci_init_step hci_init_steps[] = {
    {BH_HCI_OP_RESET, NULL, NULL, NULL},
    {BH_HCI_OP_READ_LOCAL_VERSION_INFO, NULL, NULL, init_parse_local_version},
    {BH_HCI_OP_READ_LOCAL_SUPPORTED_COMMANDS, NULL, NULL, init_parse_commands},
    {BH_HCI_OP_READ_LOCAL_SUPPORTED_FEATURES, NULL, NULL, init_parse_features},
    {BH_HCI_OP_LE_READ_LOCAL_SUPPORTED_FEATURES, NULL, NULL, init_parse_le_features},
    {BH_HCI_OP_READ_BD_ADDR, NULL, NULL, init_parse_bd_addr},
    {BH_HCI_OP_SET_EVENT_MASK, NULL, init_build_event_mask, NULL},
    {BH_HCI_OP_LE_SET_EVENT_MASK, NULL, init_build_le_event_mask, NULL},
    {BH_HCI_OP_LE_READ_BUFFER_SIZE, init_want_le_buffer_v1, NULL, init_parse_le_buffer_size},
    {BH_HCI_OP_LE_READ_BUFFER_SIZE_V2, init_want_le_buffer_v2, NULL, init_parse_le_buffer_size},
    {BH_HCI_OP_READ_BUFFER_SIZE, init_want_buffer_size, NULL, init_parse_buffer_size},
    {BH_HCI_OP_LE_SET_RANDOM_ADDRESS, init_want_random_addr, init_build_random_addr, NULL},
};

/* ---- the sequence ---------------------------------------------------------- */

static void init_finish(int err)
{
    void (*done)(void *, int) = hci_init.done;

    if (err == 0) {
        struct bh_hci_info *i = &hci_init.info;

        if (init_want_random_addr() == false) {
            memcpy(i->id_addr, i->bd_addr, sizeof(i->id_addr));
            i->id_addr_type = BH_HCI_ADDR_PUBLIC;
        }
        hci_acl_configure(i->acl_len, i->acl_num);
        hci_init.state = HCI_INIT_UP;
        BH_LOG_INF("up: HCI version 0x%02x, manufacturer 0x%04x, ACL %u x %u", i->hci_version,
                   i->manufacturer, i->acl_num, i->acl_len);
    } else {
        hci_init.state = HCI_INIT_FAILED;
        BH_LOG_ERR("init failed at step %u: %d", hci_init.step, err);
    }
    hci_init.done = NULL;
    if (done != NULL) {
        done(hci_init.done_ctx, err);
    }
}

static void init_next(void);

static void init_on_cmd(void *ctx, int err, uint8_t status, const uint8_t *rp, uint16_t rp_len)
{
    const struct hci_init_step *s = &hci_init_steps[hci_init.step];
    struct bh_rd r;

    (void)ctx;
    if (hci_init.state != HCI_INIT_RUNNING) {
        return;
    }
    if (err == 0 && status != BH_HCI_ERR_SUCCESS) {
        BH_LOG_ERR("op 0x%04x failed: status 0x%02x", s->opcode, status);
        err = -EIO;
    }
    if (err == 0 && s->parse != NULL) {
        bh_rd_init(&r, rp, rp_len);
        err = s->parse(&r);
    }
    if (err < 0) {
        init_finish(err);
        return;
    }
    hci_init.step++;
    init_next();
}

static void init_next(void)
{
    uint8_t params[BH_CONFIG_HCI_CMD_PARAM_MAX];

    while (hci_init.step < BH_ARRAY_SIZE(hci_init_steps)) {
        const struct hci_init_step *s = &hci_init_steps[hci_init.step];
        uint8_t len = 0;
        int err;

        if (s->wanted != NULL && !s->wanted()) {
            hci_init.step++;
            continue;
        }
        if (s->build != NULL) {
            len = s->build(params);
        }
        err = bh_hci_cmd_send(s->opcode, params, len, init_on_cmd, NULL);
        if (err < 0) {
            init_finish(err);
        }
        return;
    }
    init_finish(0);
}

int bh_hci_up_async(void (*done)(void *ctx, int err), void *ctx)
{
    if (hci_init.state == HCI_INIT_UP || hci_init.state == HCI_INIT_RUNNING) {
        return -EALREADY;
    }
    if (!hci_transport_ready()) {
        return -ENETDOWN;
    }
    bh_hci_down(); /* a failed earlier attempt may have left state behind */
    hci_init.state = HCI_INIT_RUNNING;
    hci_init.done = done;
    hci_init.done_ctx = ctx;
    init_next();
    return 0;
}

struct hci_up_wait {
    struct bh_sem sem;
    int err;
};

static void hci_up_done(void *ctx, int err)
{
    struct hci_up_wait *w = ctx;

    w->err = err;
    bh_sem_give(&w->sem);
}

int bh_hci_up(void)
{
    struct hci_up_wait w;
    int err;

    bh_sem_init(&w.sem, 0, 1);
    err = bh_hci_up_async(hci_up_done, &w);
    if (err < 0) {
        return err;
    }
    /* Every step has its own command timeout, so the sequence always ends. */
    err = bh_sem_take(&w.sem, BH_FOREVER);
    if (err < 0) {
        hci_init.done = NULL;
        bh_hci_down();
        return err;
    }
    return w.err;
}

void bh_hci_down(void)
{
    hci_init.done = NULL;
    hci_cmd_cancel_all();
    hci_acl_reset();
    hci_core_reset_rx();
    hci_init.state = HCI_INIT_IDLE;
    hci_init.step = 0;
    memset(&hci_init.info, 0, sizeof(hci_init.info));
}

void bh_hci_init(void)
{
    memset(&hci_init, 0, sizeof(hci_init));
    memset(hci_stats_mut(), 0, sizeof(struct bh_hci_stats));
    hci_cmd_init();
    hci_acl_init();
}

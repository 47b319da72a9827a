/* SPDX-License-Identifier: MIT */
/* fake_ctrl.c: the scripted controller of fake_ctrl.h. */
#include "fake_ctrl.h"

#include <errno.h>
#include <string.h>

#include "bh_test.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "fake_port.h"
#include "hci/h4.h"

#define FAKE_REPLY_MAX 16

struct fake_reply {
    uint16_t op;
    bool silent;
    uint8_t len;
    uint8_t rp[80];
};

static struct {
    bool auto_on;
    bool send_fail;
    struct fake_pkt sent[FAKE_SENT_MAX];
    unsigned head, count; /* ring of sent packets */
    unsigned total;
    struct fake_reply replies[FAKE_REPLY_MAX];
    unsigned n_replies;
} fc;

/* Default answers: enough for the init sequence of a BLE 5.3 LE controller
 * with 4 LE ACL buffers of 27 bytes and public address 00:1B:DC:00:00:01. */
static const struct {
    uint16_t op;
    const char *rp;
} fake_defaults[] = {
    {0x1001, "00 0c 0000 0c 5f00 0000"},
    {0x1002, "00"
             "00000000000000000000000000000000 00000000000000000000000000000000"
             "00000000000000000000000000000000 00000000000000000000000000000000"},
    {0x1003, "00 00 00 00 00 40 00 00 00"},
    {0x2003, "00 21 01 00 00 00 00 00 00"},
    {0x1009, "00 01 00 00 dc 1b 00"},
    {0x2002, "00 1b 00 04"},
};

static int fake_send(void *ctx, uint8_t type, const uint8_t *pkt, size_t len);
static const struct bh_hci_transport fake_transport = {.send = fake_send};

static void fake_push_evt(uint8_t evt, const uint8_t *p, uint8_t len)
{
    uint8_t h4[2 + 2 + 255];

    h4[0] = BH_H4_EVT;
    h4[1] = evt;
    h4[2] = len;
    memcpy(&h4[3], p, len);
    BH_CHECK_EQ(bh_hci_rx_push(h4, 3u + len), 3u + len);
}

static void fake_answer(uint16_t op)
{
    uint8_t p[3 + 80];
    int n = -1;

    for (unsigned i = 0; i < fc.n_replies; i++) {
        if (fc.replies[i].op == op) {
            if (fc.replies[i].silent) {
                return;
            }
            memcpy(&p[3], fc.replies[i].rp, fc.replies[i].len);
            n = fc.replies[i].len;
        }
    }
    for (unsigned i = 0; n < 0 && i < sizeof(fake_defaults) / sizeof(fake_defaults[0]); i++) {
        if (fake_defaults[i].op == op) {
            n = bh_test_hex(fake_defaults[i].rp, &p[3], 80);
        }
    }
    if (n < 0) {
        p[3] = 0x00; /* success, no return parameters */
        n = 1;
    }
    p[0] = 1;
    p[1] = (uint8_t)op;
    p[2] = (uint8_t)(op >> 8);
    fake_push_evt(0x0E, p, (uint8_t)(3 + n));
}

static int fake_send(void *ctx, uint8_t type, const uint8_t *pkt, size_t len)
{
    struct fake_pkt *s;

    (void)ctx;
    if (fc.send_fail) {
        return -EIO;
    }
    BH_CHECK(len <= FAKE_PKT_MAX);
    s = &fc.sent[(fc.head + fc.count) % FAKE_SENT_MAX];
    if (fc.count == FAKE_SENT_MAX) {
        fc.head = (fc.head + 1) % FAKE_SENT_MAX; /* keep the newest */
    } else {
        fc.count++;
    }
    s->type = type;
    s->len = (uint16_t)len;
    memcpy(s->data, pkt, len);
    fc.total++;
    if (fc.auto_on && type == BH_H4_CMD && len >= 3) {
        fake_answer((uint16_t)(pkt[0] | pkt[1] << 8));
    }
    return 0;
}

void fake_ctrl_init(void)
{
    memset(&fc, 0, sizeof(fc));
    fc.auto_on = true;
    fake_port_init(1);
    bh_hci_init();
    bh_hci_set_transport(&fake_transport);
}

void fake_ctrl_set_auto(bool on)
{
    fc.auto_on = on;
}

void fake_ctrl_set_send_fail(bool fail)
{
    fc.send_fail = fail;
}

void fake_ctrl_set_reply(uint16_t op, const char *rp_hex)
{
    struct fake_reply *r = NULL;

    for (unsigned i = 0; i < fc.n_replies; i++) {
        if (fc.replies[i].op == op) {
            r = &fc.replies[i];
        }
    }
    if (r == NULL) {
        BH_CHECK(fc.n_replies < FAKE_REPLY_MAX);
        r = &fc.replies[fc.n_replies++];
    }
    r->op = op;
    r->silent = rp_hex == NULL;
    if (rp_hex != NULL) {
        int n = bh_test_hex(rp_hex, r->rp, sizeof(r->rp));
        BH_CHECK(n >= 0);
        r->len = (uint8_t)n;
    }
}

unsigned fake_ctrl_sent_count(void)
{
    return fc.count;
}

const struct fake_pkt *fake_ctrl_sent(unsigned i)
{
    return i < fc.count ? &fc.sent[(fc.head + i) % FAKE_SENT_MAX] : NULL;
}

bool fake_ctrl_pop(struct fake_pkt *out)
{
    if (fc.count == 0) {
        return false;
    }
    *out = fc.sent[fc.head];
    fc.head = (fc.head + 1) % FAKE_SENT_MAX;
    fc.count--;
    return true;
}

void fake_ctrl_clear_sent(void)
{
    fc.head = 0;
    fc.count = 0;
}

const struct fake_pkt *fake_ctrl_last_cmd(uint16_t op)
{
    const struct fake_pkt *last = NULL;

    for (unsigned i = 0; i < fc.count; i++) {
        const struct fake_pkt *p = fake_ctrl_sent(i);
        if (p->type == BH_H4_CMD && p->len >= 3 && (p->data[0] | p->data[1] << 8) == op) {
            last = p;
        }
    }
    return last;
}

unsigned fake_ctrl_cmd_count(uint16_t op)
{
    unsigned n = 0;

    for (unsigned i = 0; i < fc.count; i++) {
        const struct fake_pkt *p = fake_ctrl_sent(i);
        if (p->type == BH_H4_CMD && p->len >= 3 && (p->data[0] | p->data[1] << 8) == op) {
            n++;
        }
    }
    return n;
}

void fake_ctrl_pump(void)
{
    for (int i = 0; i < 1000; i++) {
        /* Idle means nothing ready and no received byte left unread (an
         * answer to a command sent from a timer lands after the drain). */
        if (bh_process() != 0 && bh_hci_rx_space() == BH_CONFIG_HCI_RX_RING_SIZE) {
            return;
        }
    }
    bh_test_fail(__FILE__, __LINE__, "host never went idle");
}

void fake_ctrl_inject(const uint8_t *h4, size_t len)
{
    size_t off = 0;

    /* Push in ring-sized slices, pumping in between, as a transport would. */
    while (off < len) {
        size_t n = bh_hci_rx_push(h4 + off, len - off);
        off += n;
        fake_ctrl_pump();
    }
    fake_ctrl_pump();
}

void fake_ctrl_inject_hex(const char *hex)
{
    uint8_t b[2048];
    int n = bh_test_hex(hex, b, sizeof(b));

    BH_CHECK(n >= 0);
    fake_ctrl_inject(b, (size_t)n);
}

void fake_ctrl_cmd_complete(uint16_t op, uint8_t ncmd, const char *rp_hex)
{
    uint8_t p[255];
    int n = bh_test_hex(rp_hex, &p[3], sizeof(p) - 3);

    BH_CHECK(n >= 0);
    p[0] = ncmd;
    p[1] = (uint8_t)op;
    p[2] = (uint8_t)(op >> 8);
    fake_push_evt(0x0E, p, (uint8_t)(3 + n));
    fake_ctrl_pump();
}

void fake_ctrl_cmd_status(uint16_t op, uint8_t ncmd, uint8_t status)
{
    uint8_t p[4] = {status, ncmd, (uint8_t)op, (uint8_t)(op >> 8)};

    fake_push_evt(0x0F, p, sizeof(p));
    fake_ctrl_pump();
}

void fake_ctrl_ncp(uint16_t handle, uint16_t count)
{
    uint8_t p[5] = {1, (uint8_t)handle, (uint8_t)(handle >> 8), (uint8_t)count,
                    (uint8_t)(count >> 8)};

    fake_push_evt(0x13, p, sizeof(p));
    fake_ctrl_pump();
}

void fake_ctrl_advance(uint32_t ms)
{
    while (ms > 0) {
        uint32_t next = bh_process();
        uint32_t step;

        if (next == 0) {
            continue;
        }
        step = next < ms ? next : ms;
        fake_port_advance(step);
        ms -= step;
    }
    fake_ctrl_pump();
}

void fake_ctrl_up(void)
{
    BH_CHECK_EQ(bh_hci_up(), 0);
    BH_CHECK(bh_hci_is_up());
}

/* SPDX-License-Identifier: MIT */
/*
 * smp_util.h: what the SMP protocol tests share (include once per test
 * executable). The host runs whole against fake_ctrl with one LE link
 * (handle 0x0040); the test plays the peer: it injects SMP PDUs as ACL on
 * CID 0x0006, reads back (and reassembles) the SMP PDUs the host sends,
 * records HCI commands, application events and secret store traffic, and
 * computes the peer's side of each pairing with bh_crypto (MSB-first).
 */
#ifndef SMP_UTIL_H
#define SMP_UTIL_H

#include <errno.h>
#include <string.h>

#include "bh_test.h"
#include "ble/ble_internal.h"
#include "blehost/bh_ble.h"
#include "blehost/bh_hci.h"
#include "crypto/bh_crypto.h"
#include "fake_ctrl.h"
#include "fake_port.h"
#include "hci/h4.h"
#include "hci/hci_spec.h"
#include "host/conn.h"
#include "host/gap.h"
#include "host/keys.h"
#include "host/l2cap.h"
#include "host/smp.h"
#include "host/smp_spec.h"
#include "os/bh_rdwr.h"

#define SU_HANDLE 0x0040
#define SU_UNUSED __attribute__((unused))

struct su_secret {
    bool used;
    uint8_t type;
    uint8_t key[16];
    uint16_t klen;
    uint8_t val[300];
    size_t vlen;
};

struct su_cmd {
    uint16_t op;
    uint8_t len;
    uint8_t p[64];
};

static struct {
    struct su_secret store[16];
    char setlog[64]; /* one char per SET: type digit, or 'd' + type for deletes */
    unsigned nset;
    struct bh_ble_event evts[32];
    unsigned nevt;
    struct su_cmd cmds[32];
    unsigned ncmd;
    uint8_t frames[24][80];
    uint16_t flen[24];
    unsigned fhead, fcount;
    uint8_t cur[80];
    uint16_t cur_len, cur_want, cur_cid;
    uint8_t peer_air[7]; /* the peer's address on this link: type, MSB-first */
    void (*hook)(const struct bh_ble_event *ev);
} su;

/* ---- fake secret store (API.md 2.6 semantics) ------------------------------------- */

static SU_UNUSED struct su_secret *su_secret_find(uint8_t type, const uint8_t *key, uint16_t klen)
{
    for (unsigned i = 0; i < 16; i++) {
        struct su_secret *s = &su.store[i];

        if (s->used && s->type == type && s->klen == klen && memcmp(s->key, key, klen) == 0) {
            return s;
        }
    }
    return NULL;
}

static SU_UNUSED bool su_get(void *ctx, uint8_t type, uint8_t index, const uint8_t *key,
                             uint16_t key_len, const uint8_t **value, size_t *value_len)
{
    struct su_secret *s = NULL;

    (void)ctx;
    if (key == NULL) {
        for (unsigned i = 0; i < 16 && s == NULL; i++) {
            if (su.store[i].used && su.store[i].type == type && index-- == 0) {
                s = &su.store[i];
            }
        }
    } else {
        s = su_secret_find(type, key, key_len);
    }
    if (s == NULL) {
        return false;
    }
    *value = s->val;
    *value_len = s->vlen;
    return true;
}

static SU_UNUSED bool su_set(void *ctx, uint8_t type, const uint8_t *key, uint16_t key_len,
                             const uint8_t *value, size_t value_len)
{
    struct su_secret *s = su_secret_find(type, key, key_len);

    (void)ctx;
    if (su.nset + 2 < sizeof(su.setlog)) {
        if (value == NULL) {
            su.setlog[su.nset++] = 'd';
        }
        su.setlog[su.nset++] = (char)('0' + type % 10);
    }
    if (value == NULL) {
        if (s == NULL) {
            return false;
        }
        s->used = false;
        return true;
    }
    for (unsigned i = 0; i < 16 && s == NULL; i++) {
        if (!su.store[i].used) {
            s = &su.store[i];
        }
    }
    BH_CHECK(s != NULL && key_len <= 16 && value_len <= 300);
    s->used = true;
    s->type = type;
    memcpy(s->key, key, key_len);
    s->klen = key_len;
    memcpy(s->val, value, value_len);
    s->vlen = value_len;
    return true;
}

static SU_UNUSED unsigned su_store_count(uint8_t type)
{
    unsigned n = 0;

    for (unsigned i = 0; i < 16; i++) {
        n += su.store[i].used && su.store[i].type == type;
    }
    return n;
}

static const struct bh_ble_secret_store su_store_ops = {.get = su_get, .set = su_set};

/* ---- events ---------------------------------------------------------------------------- */

static SU_UNUSED int su_cb(void *ctx, const struct bh_ble_event *ev)
{
    (void)ctx;
    if (ev->irq != BH_IRQ_ENCRYPTION_UPDATE && ev->irq != BH_IRQ_PASSKEY_ACTION) {
        return 0;
    }
    if (su.nevt < 32) {
        su.evts[su.nevt++] = *ev;
    }
    if (su.hook != NULL) {
        su.hook(ev);
    }
    return 0;
}

/* The only event since the last call must be IRQ 28 with these values. */
static SU_UNUSED void su_check_enc(int enc, int auth, int bonded, int key_size)
{
    BH_CHECK_EQ(su.nevt, 1);
    BH_CHECK_EQ(su.evts[0].irq, BH_IRQ_ENCRYPTION_UPDATE);
    BH_CHECK_EQ(su.evts[0].conn, SU_HANDLE);
    BH_CHECK_EQ(su.evts[0].enc.encrypted, enc);
    BH_CHECK_EQ(su.evts[0].enc.authenticated, auth);
    BH_CHECK_EQ(su.evts[0].enc.bonded, bonded);
    BH_CHECK_EQ(su.evts[0].enc.key_size, key_size);
    su.nevt = 0;
}

/* The only event since the last call must be IRQ 31 with this action; its number. */
static SU_UNUSED uint32_t su_check_passkey(uint8_t action)
{
    BH_CHECK_EQ(su.nevt, 1);
    BH_CHECK_EQ(su.evts[0].irq, BH_IRQ_PASSKEY_ACTION);
    BH_CHECK_EQ(su.evts[0].passkey.action, action);
    su.nevt = 0;
    return su.evts[0].passkey.passkey;
}

/* ---- what the host sends ------------------------------------------------------------------ */

static SU_UNUSED void su_acl_fragment(const struct fake_pkt *pkt)
{
    uint8_t pb = (uint8_t)((pkt->data[1] >> 4) & 3);
    uint16_t len = (uint16_t)(pkt->data[2] | pkt->data[3] << 8);
    const uint8_t *d = &pkt->data[4];

    BH_CHECK_EQ(len + 4, pkt->len);
    if (pb != 1) { /* first fragment: basic L2CAP header */
        BH_CHECK(len >= 4);
        su.cur_want = (uint16_t)(d[0] | d[1] << 8);
        su.cur_cid = (uint16_t)(d[2] | d[3] << 8);
        su.cur_len = 0;
        d += 4;
        len -= 4;
    }
    BH_CHECK(su.cur_len + len <= sizeof(su.cur));
    memcpy(&su.cur[su.cur_len], d, len);
    su.cur_len += len;
    if (su.cur_len == su.cur_want && su.cur_cid == BH_L2CAP_CID_SMP) {
        unsigned i = (su.fhead + su.fcount) % 24;

        BH_CHECK(su.fcount < 24);
        memcpy(su.frames[i], su.cur, su.cur_len);
        su.flen[i] = su.cur_len;
        su.fcount++;
    }
}

/* Take everything the host sent: SMP frames queued, commands recorded,
 * controller buffers given back (Number Of Completed Packets). */
static SU_UNUSED void su_drain(void)
{
    for (;;) {
        struct fake_pkt pkt;
        uint16_t acl = 0;

        while (fake_ctrl_pop(&pkt)) {
            if (pkt.type == BH_H4_ACL) {
                su_acl_fragment(&pkt);
                acl++;
            } else if (pkt.type == BH_H4_CMD && su.ncmd < 32) {
                struct su_cmd *c = &su.cmds[su.ncmd++];

                c->op = (uint16_t)(pkt.data[0] | pkt.data[1] << 8);
                c->len = pkt.data[2];
                memcpy(c->p, &pkt.data[3], c->len < 64 ? c->len : 64);
            }
        }
        if (acl == 0) {
            return;
        }
        fake_ctrl_ncp(SU_HANDLE, acl);
    }
}

/* The next SMP PDU the host sent, or -1. */
static SU_UNUSED int su_pop(uint8_t *out)
{
    unsigned i = su.fhead;
    int n;

    su_drain();
    if (su.fcount == 0) {
        return -1;
    }
    n = su.flen[i];
    memcpy(out, su.frames[i], (size_t)n);
    su.fhead = (su.fhead + 1) % 24;
    su.fcount--;
    return n;
}

#define SU_EXPECT(hex)                                                                             \
    do {                                                                                           \
        uint8_t su_b_[80];                                                                         \
        int su_n_ = su_pop(su_b_);                                                                 \
        BH_CHECK(su_n_ >= 0);                                                                      \
        BH_CHECK_HEX(su_b_, su_n_, hex);                                                           \
    } while (0)

#define SU_EXPECT_NONE() BH_CHECK_EQ(su_pop((uint8_t[80]){0}), -1)

/* The next PDU must be op with 16 octets: their value, MSB-first. */
static SU_UNUSED void su_pop16(uint8_t op, uint8_t v[16])
{
    uint8_t b[80];
    int n = su_pop(b);

    BH_CHECK_EQ(n, 17);
    BH_CHECK_EQ(b[0], op);
    bh_crypto_swap(v, &b[1], 16);
}

/* The last command with opcode op (NULL if none) since the last su_cmds_clear(). */
static SU_UNUSED const struct su_cmd *su_cmd(uint16_t op)
{
    const struct su_cmd *c = NULL;

    su_drain();
    for (unsigned i = 0; i < su.ncmd; i++) {
        if (su.cmds[i].op == op) {
            c = &su.cmds[i];
        }
    }
    return c;
}

static SU_UNUSED void su_cmds_clear(void)
{
    su_drain();
    su.ncmd = 0;
}

/* ---- what the peer sends ------------------------------------------------------------------- */

static SU_UNUSED void su_send(const uint8_t *pdu, uint16_t n)
{
    uint8_t h4[9 + 80];

    BH_CHECK(n <= 80);
    h4[0] = BH_H4_ACL;
    h4[1] = (uint8_t)SU_HANDLE;
    h4[2] = (uint8_t)(0x20 | (SU_HANDLE >> 8));
    bh_put_le16(&h4[3], (uint16_t)(n + 4));
    bh_put_le16(&h4[5], n);
    bh_put_le16(&h4[7], BH_L2CAP_CID_SMP);
    memcpy(&h4[9], pdu, n);
    fake_ctrl_inject(h4, (size_t)n + 9);
}

static SU_UNUSED void su_send_hex(const char *hex)
{
    uint8_t b[80];
    int n = bh_test_hex(hex, b, sizeof(b));

    BH_CHECK(n >= 0);
    su_send(b, (uint16_t)n);
}

/* op + 16 octets given MSB-first. */
static SU_UNUSED void su_send16(uint8_t op, const uint8_t v[16])
{
    uint8_t b[17];

    b[0] = op;
    bh_crypto_swap(&b[1], v, 16);
    su_send(b, 17);
}

/* Encryption Change (Vol 4 Part E 7.7.8) on the link. */
static SU_UNUSED void su_enc_change(uint8_t status)
{
    uint8_t h4[] = {BH_H4_EVT, 0x08, 4, status, (uint8_t)SU_HANDLE, 0, status == 0 ? 1 : 0};

    fake_ctrl_inject(h4, sizeof(h4));
}

/* LE Long Term Key Request (7.7.65.5): rand on-air order. */
static SU_UNUSED void su_ltk_request(const uint8_t rand[8], uint16_t ediv)
{
    uint8_t h4[3 + 13] = {BH_H4_EVT, 0x3e, 13, 0x05, (uint8_t)SU_HANDLE, 0};

    memcpy(&h4[6], rand, 8);
    bh_put_le16(&h4[14], ediv);
    fake_ctrl_inject(h4, sizeof(h4));
}

/* ---- link setup ---------------------------------------------------------------------------- */

/* Host address (fake_ctrl: public 00:1B:DC:00:00:01) and the peer's
 * (random static C0:11:22:33:44:55), type octet then MSB-first. */
static const uint8_t su_host_addr[7] = {0, 0x00, 0x1b, 0xdc, 0x00, 0x00, 0x01};
static const uint8_t su_peer_addr[7] = {1, 0xc0, 0x11, 0x22, 0x33, 0x44, 0x55};

/* Linked in role with a peer at addr (type octet, then MSB-first). */
static SU_UNUSED struct bh_conn *su_connect_addr(uint8_t role, const uint8_t addr[7])
{
    /* LE Connection Complete, 7.7.65.1: interval 0x28, timeout 0x100. */
    uint8_t h4[3 + 19] = {BH_H4_EVT, 0x3e, 19, 0x01, 0x00, (uint8_t)SU_HANDLE, 0};
    struct bh_conn *c;

    h4[7] = role == BH_CONN_ROLE_CENTRAL ? 0 : 1;
    h4[8] = addr[0];
    bh_crypto_swap(&h4[9], &addr[1], 6);
    h4[15] = 0x28;
    h4[20] = 0x01;
    memcpy(su.peer_air, addr, 7);
    fake_ctrl_inject(h4, sizeof(h4));
    c = bh_conn_lookup(SU_HANDLE);
    BH_CHECK(c != NULL);
    su_cmds_clear();
    su.fcount = 0;
    su.nevt = 0;
    return c;
}

/* Linked in role with the usual peer, random static C0:11:22:33:44:55. */
static SU_UNUSED struct bh_conn *su_connect(uint8_t role)
{
    return su_connect_addr(role, su_peer_addr);
}

static SU_UNUSED void su_disconnect(void)
{
    fake_ctrl_inject_hex("04 05 04 00 40 00 13");
    BH_CHECK(bh_conn_lookup(SU_HANDLE) == NULL);
    su_drain();
    su.fcount = 0;
    su.nevt = 0;
}

/* A fresh host (keep_store: the secret store survives, as across a restart)
 * with the given SMP settings, linked in role. */
static SU_UNUSED struct bh_conn *su_setup_keep(uint8_t role, bool bond, bool mitm, bool sc_only,
                                               uint8_t io, bool keep_store)
{
    struct su_secret saved[16];

    memcpy(saved, su.store, sizeof(saved));
    memset(&su, 0, sizeof(su));
    if (keep_store) {
        memcpy(su.store, saved, sizeof(saved));
    }
    fake_ctrl_init();
    bh_ble_set_event_cb(su_cb, NULL);
    bh_ble_set_secret_store(&su_store_ops);
    bh_gap_set_auto_data_length(false);
    bh_gap_set_auto_2m_phy(false);
    BH_CHECK_EQ(bh_ble_init(), 0);
    bh_smp_set_bonding(bond);
    bh_smp_set_mitm(mitm);
    bh_smp_set_le_secure(sc_only);
    BH_CHECK_EQ(bh_smp_set_io_capability(io), 0);
    su.nset = 0;
    return su_connect(role);
}

static SU_UNUSED struct bh_conn *su_setup(uint8_t role, bool bond, bool mitm, bool sc_only,
                                          uint8_t io)
{
    return su_setup_keep(role, bond, mitm, sc_only, io, false);
}

static SU_UNUSED void su_teardown(void)
{
    if (bh_conn_lookup(SU_HANDLE) != NULL) {
        su_disconnect();
    }
    BH_CHECK_EQ(bh_ble_deinit(), 0);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_rx_pool()), BH_CONFIG_ACL_RX_BUF_COUNT);
}

/* ---- the peer's cryptography ------------------------------------------------------------------
 */

/* Initiator and responder addresses (type, MSB-first) by the host's role. */
static SU_UNUSED void su_addrs(bool host_central, uint8_t ia[7], uint8_t ra[7])
{
    memcpy(ia, host_central ? su_host_addr : su.peer_air, 7);
    memcpy(ra, host_central ? su.peer_air : su_host_addr, 7);
}

/* TK of legacy pairing, Vol 3 Part H 2.3.5.3. */
static SU_UNUSED void su_tk(uint32_t passkey, uint8_t tk[16])
{
    memset(tk, 0, 16);
    tk[12] = (uint8_t)(passkey >> 24);
    tk[13] = (uint8_t)(passkey >> 16);
    tk[14] = (uint8_t)(passkey >> 8);
    tk[15] = (uint8_t)passkey;
}

/* c1 with the feature PDUs given on-air (opcode first). */
static SU_UNUSED void su_c1(const uint8_t tk[16], const uint8_t r[16], const uint8_t preq_air[7],
                            const uint8_t pres_air[7], bool host_central, uint8_t out[16])
{
    uint8_t preq[7], pres[7], ia[7], ra[7];

    bh_crypto_swap(preq, preq_air, 7);
    bh_crypto_swap(pres, pres_air, 7);
    su_addrs(host_central, ia, ra);
    BH_CHECK_EQ(bh_crypto_c1(tk, r, preq, pres, ia[0], &ia[1], ra[0], &ra[1], out), 0);
}

/* Expect LE Enable Encryption with this key (MSB-first), EDIV and Rand. */
static SU_UNUSED void su_check_enable_encryption(const uint8_t key[16], uint16_t ediv,
                                                 const uint8_t rand[8])
{
    const struct su_cmd *c = su_cmd(BH_HCI_OP_LE_ENABLE_ENCRYPTION);
    uint8_t le[16];

    BH_CHECK(c != NULL);
    BH_CHECK_EQ(c->len, 28);
    BH_CHECK_EQ(bh_get_le16(c->p), SU_HANDLE);
    BH_CHECK_MEM(&c->p[2], rand, 8);
    BH_CHECK_EQ(bh_get_le16(&c->p[10]), ediv);
    bh_crypto_swap(le, key, 16);
    BH_CHECK_MEM(&c->p[12], le, 16);
}

/* Expect LE Long Term Key Request Reply with this key (MSB-first). */
static SU_UNUSED void su_check_ltk_reply(const uint8_t key[16])
{
    const struct su_cmd *c = su_cmd(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_REPLY);
    uint8_t le[16];

    BH_CHECK(c != NULL);
    BH_CHECK_EQ(c->len, 18);
    BH_CHECK_EQ(bh_get_le16(c->p), SU_HANDLE);
    bh_crypto_swap(le, key, 16);
    BH_CHECK_MEM(&c->p[2], le, 16);
}

#endif /* SMP_UTIL_H */

/* SPDX-License-Identifier: MIT */
/*
 * e2e_smp_seam.c: link-time seams of the SMP scenarios. Both executables
 * link with -Wl,--wrap for each function below (tests/e2e/CMakeLists.txt);
 * every wrapper passes the call on.
 *
 *  - bh_hci_cmd_send and the two LE Meta handlers of smp_ecdh.c count LE
 *    Read Local P-256 Public Key and LE Generate DHKey (Core 5.4 Vol 4
 *    Part E 7.8.36, 7.8.37) and their completions (7.7.65.8, 7.7.65.9), so
 *    a role proves which P-256 provider ran: the controller in
 *    e2e_host_p256 (built with E2E_P256 1, e2e_p256.c), never in e2e_host.
 *    e2e_p256_check_end() holds every role to that at its end.
 *  - bh_l2cap_send spoils our next Pairing Public Key when asked (Vol 3
 *    Part H 3.5.6: the lowest bit of Y flipped, so the point leaves the
 *    curve) and records the Pairing Failed we send; bh_smp_rx records the
 *    Pairing Failed we receive (3.5.5).
 */
#include "e2e.h"

#include "blehost/bh_buf.h"
#include "blehost/bh_hci.h"
#include "hci/hci_spec.h"
#include "host/l2cap.h"
#include "host/smp.h"
#include "host/smp_spec.h"

#ifndef E2E_P256
#define E2E_P256 0
#endif

/* LE Generate DHKey [v2], Vol 4 Part E 7.8.138 (the host sends v1 only). */
#define SEAM_OP_LE_GENERATE_DHKEY_V2 0x205E

static struct {
    struct e2e_p256_count p256;
    bool spoil_key;  /* the next Pairing Public Key we send */
    uint8_t fail_tx; /* reason of the first Pairing Failed sent since taken (0: none) */
    uint8_t fail_rx; /* ... and received */
} seam;

bool e2e_p256_controller(void)
{
    return E2E_P256;
}

const struct e2e_p256_count *e2e_p256_count(void)
{
    return &seam.p256;
}

void e2e_p256_check_end(void)
{
    const struct e2e_p256_count *p = &seam.p256;

    e2e_log("P-256: %u key reads (%u ok), %u DHKeys (%u ok, %u refused)", p->key_cmds, p->key_ok,
            p->dh_cmds, p->dh_ok, p->dh_failed);
    if (!E2E_P256) {
        E2E_CHECK_EQ(p->key_cmds + p->dh_cmds, 0);
        E2E_CHECK_EQ(p->key_ok + p->key_failed + p->dh_ok + p->dh_failed, 0);
        return;
    }
    /* Every role of a p256 scenario pairs with LE Secure Connections. */
    E2E_CHECK(p->key_ok >= 1);
    E2E_CHECK(p->dh_ok >= 1);
    E2E_CHECK_EQ(p->key_ok + p->key_failed, p->key_cmds);
    E2E_CHECK_EQ(p->dh_ok + p->dh_failed, p->dh_cmds);
}

void e2e_smp_spoil_public_key(void)
{
    seam.spoil_key = true;
}

uint8_t e2e_smp_failed_tx(void)
{
    uint8_t r = seam.fail_tx;

    seam.fail_tx = 0;
    return r;
}

uint8_t e2e_smp_failed_rx(void)
{
    uint8_t r = seam.fail_rx;

    seam.fail_rx = 0;
    return r;
}

/* ---- the wrappers ---------------------------------------------------------------- */

int __real_bh_hci_cmd_send(uint16_t opcode, const uint8_t *params, uint8_t len, bh_hci_cmd_cb_t cb,
                           void *ctx);
int __wrap_bh_hci_cmd_send(uint16_t opcode, const uint8_t *params, uint8_t len, bh_hci_cmd_cb_t cb,
                           void *ctx);
void __real_smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r);
void __wrap_smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r);
void __real_smp_on_le_generate_dhkey_complete(struct bh_rd *r);
void __wrap_smp_on_le_generate_dhkey_complete(struct bh_rd *r);
int __real_bh_l2cap_send(struct bh_conn *c, uint16_t cid, struct bh_buf *buf);
int __wrap_bh_l2cap_send(struct bh_conn *c, uint16_t cid, struct bh_buf *buf);
void __real_bh_smp_rx(struct bh_conn *c, struct bh_rd *r);
void __wrap_bh_smp_rx(struct bh_conn *c, struct bh_rd *r);

int __wrap_bh_hci_cmd_send(uint16_t opcode, const uint8_t *params, uint8_t len, bh_hci_cmd_cb_t cb,
                           void *ctx)
{
    int err = __real_bh_hci_cmd_send(opcode, params, len, cb, ctx);

    if (err == 0 && opcode == BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY) {
        seam.p256.key_cmds++;
    }
    if (err == 0 &&
        (opcode == BH_HCI_OP_LE_GENERATE_DHKEY || opcode == SEAM_OP_LE_GENERATE_DHKEY_V2)) {
        seam.p256.dh_cmds++;
    }
    return err;
}

/* Both events start with Status (7.7.65.8, 7.7.65.9); the handler reads it again. */
void __wrap_smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r)
{
    if (r->left > 0) {
        seam.p256.key_ok += r->p[0] == 0;
        seam.p256.key_failed += r->p[0] != 0;
    }
    __real_smp_on_le_read_local_p256_public_key_complete(r);
}

void __wrap_smp_on_le_generate_dhkey_complete(struct bh_rd *r)
{
    if (r->left > 0) {
        seam.p256.dh_ok += r->p[0] == 0;
        seam.p256.dh_failed += r->p[0] != 0;
        seam.p256.dh_status = r->p[0];
    }
    __real_smp_on_le_generate_dhkey_complete(r);
}

/* buf holds the SMP PDU (code first); the L2CAP header comes after us. */
int __wrap_bh_l2cap_send(struct bh_conn *c, uint16_t cid, struct bh_buf *buf)
{
    if (cid == BH_L2CAP_CID_SMP && buf != NULL && buf->len > 0) {
        uint8_t code = buf->data[0];

        if (code == BH_SMP_OP_PAIRING_FAILED && buf->len == 2) {
            e2e_log("Pairing Failed sent, reason 0x%02x", buf->data[1]);
            seam.fail_tx = seam.fail_tx != 0 ? seam.fail_tx : buf->data[1];
        }
        if (code == BH_SMP_OP_PAIRING_PUBLIC_KEY && buf->len == 1 + 64 && seam.spoil_key) {
            buf->data[1 + 32] ^= 0x01; /* Y, little-endian: its lowest bit */
            seam.spoil_key = false;
            e2e_log("Pairing Public Key spoiled: Y off by one bit");
        }
    }
    return __real_bh_l2cap_send(c, cid, buf);
}

void __wrap_bh_smp_rx(struct bh_conn *c, struct bh_rd *r)
{
    if (r->left == 2 && r->p[0] == BH_SMP_OP_PAIRING_FAILED) {
        e2e_log("Pairing Failed received, reason 0x%02x", r->p[1]);
        seam.fail_rx = seam.fail_rx != 0 ? seam.fail_rx : r->p[1];
    }
    __real_bh_smp_rx(c, r);
}

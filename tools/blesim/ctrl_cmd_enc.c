/* SPDX-License-Identifier: MIT */
/*
 * ctrl_cmd_enc.c: security commands (Core 5.4 Vol 4 Part E 7.8.22 to
 * 7.8.26, 7.8.36, 7.8.37): LE Encrypt and LE Rand, encryption start and
 * the peripheral host's LTK replies (the LL procedure and the LTK check are
 * in radio_llcp.c), the P-256 public key and DHKey (v1 and v2) through
 * src/crypto/bh_crypto.h. HCI carries every key and number little-endian,
 * bh_crypto takes them MSB-first: converted here at the boundary.
 */
#include "sim.h"

#include <errno.h>
#include <string.h>

#include "crypto/bh_crypto.h"
#include "hci/hci_spec.h"

#define ENC_OP_LE_GENERATE_DHKEY_V2 0x205E

/* Core 5.4 Vol 3 Part H 2.3.5.6.1: the debug private key, MSB-first. */
static const uint8_t enc_debug_priv[32] = {
    0x3f, 0x49, 0xf6, 0xd4, 0xa3, 0xc5, 0x5f, 0x38, 0x74, 0xc9, 0xb3, 0xe3, 0xd2, 0x10, 0x3f, 0x50,
    0x4a, 0xff, 0x60, 0x7b, 0xeb, 0x40, 0xb7, 0x99, 0x58, 0x99, 0xb8, 0xa6, 0xcd, 0x3c, 0x1a, 0xbd,
};

/* Vol 4 Part E 7.8.22 */
static void enc_le_encrypt(struct ctrl *c, struct bh_rd *r)
{
    uint8_t key[16];
    uint8_t in[16];
    uint8_t out[17] = {BH_HCI_ERR_SUCCESS};

    bh_rd_copy(r, key, 16);
    bh_rd_copy(r, in, 16);
    bh_crypto_swap(key, key, 16);
    bh_crypto_swap(in, in, 16);
    if (bh_crypto_aes128(key, in, out + 1) != 0) {
        ctrl_cc_status(c, BH_HCI_ERR_UNSPECIFIED);
        return;
    }
    bh_crypto_swap(out + 1, out + 1, 16);
    ctrl_cmd_complete(c, out, 17);
}

/* Vol 4 Part E 7.8.23: from the seeded generator, so runs repeat. */
static void enc_le_rand(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[9] = {BH_HCI_ERR_SUCCESS};

    sim_rand_bytes(p + 1, 8);
    ctrl_cmd_complete(c, p, 9);
}

/* Vol 4 Part E 7.8.24: central only, one procedure at a time. */
static void enc_le_enable_encryption(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    struct sim_link *l = ctrl_link(c, handle);

    if (l == NULL || l->closed) {
        ctrl_cmd_status(c, BH_HCI_ERR_UNKNOWN_CONN_ID);
        return;
    }
    if (ctrl_link_side(c, l) != 0 || l->enc_state != LINK_ENC_IDLE) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    bh_rd_copy(r, l->enc_rand, 8);
    l->enc_ediv = bh_rd_le16(r);
    bh_rd_copy(r, l->enc_ltk, 16);
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    radio_llcp_enc_start(l);
}

/* Vol 4 Part E 7.8.25 and 7.8.26 */
static void enc_le_ltk_reply(struct ctrl *c, struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    struct sim_link *l = ctrl_link(c, handle);
    bool positive = c->cur_op == BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_REPLY;
    uint8_t ltk[16];

    if (positive) {
        bh_rd_copy(r, ltk, 16);
    }
    if (l == NULL || l->closed) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_UNKNOWN_CONN_ID, handle);
        return;
    }
    if (ctrl_link_side(c, l) != 1 || l->enc_state != LINK_ENC_WAIT_LTK) {
        ctrl_cc_status_handle(c, BH_HCI_ERR_CMD_DISALLOWED, handle);
        return;
    }
    ctrl_cc_status_handle(c, BH_HCI_ERR_SUCCESS, handle);
    radio_llcp_ltk_reply(l, positive ? ltk : NULL);
}

/* Vol 4 Part E 7.8.36 and 7.7.65.8 */
static void enc_le_read_local_p256(struct ctrl *c, struct bh_rd *r)
{
    uint8_t p[65] = {BH_HCI_ERR_SUCCESS};

    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    if (bh_crypto_p256_keygen(c->p256_priv, p + 1, p + 33) != 0) {
        memset(p, 0, sizeof(p));
        p[0] = BH_HCI_ERR_UNSPECIFIED;
        c->p256_have = false;
    } else {
        bh_crypto_swap(p + 1, p + 1, 32);
        bh_crypto_swap(p + 33, p + 33, 32);
        c->p256_have = true;
    }
    ctrl_le_evt(c, BH_HCI_SUBEVT_LE_READ_LOCAL_P256_PUBLIC_KEY_COMPLETE, p, 65);
}

/* Vol 4 Part E 7.8.37 and 7.8.138 (v2: Key_Type 1 selects the debug key);
 * an invalid remote key completes with 0x12. */
static void enc_le_generate_dhkey(struct ctrl *c, struct bh_rd *r)
{
    uint8_t x[32];
    uint8_t y[32];
    uint8_t key_type = 0;
    uint8_t p[33] = {BH_HCI_ERR_SUCCESS};

    bh_rd_copy(r, x, 32);
    bh_rd_copy(r, y, 32);
    if (c->cur_op == ENC_OP_LE_GENERATE_DHKEY_V2) {
        key_type = bh_rd_u8(r);
    }
    if (key_type > 1) {
        ctrl_cmd_status(c, BH_HCI_ERR_INVALID_HCI_CMD_PARAMS);
        return;
    }
    if (key_type == 0 && !c->p256_have) {
        ctrl_cmd_status(c, BH_HCI_ERR_CMD_DISALLOWED);
        return;
    }
    ctrl_cmd_status(c, BH_HCI_ERR_SUCCESS);
    bh_crypto_swap(x, x, 32);
    bh_crypto_swap(y, y, 32);
    int err = bh_crypto_p256_dhkey(key_type ? enc_debug_priv : c->p256_priv, x, y, p + 1);
    if (err != 0) {
        p[0] = err == -EINVAL ? BH_HCI_ERR_INVALID_HCI_CMD_PARAMS : BH_HCI_ERR_UNSPECIFIED;
        memset(p + 1, 0xFF, 32);
    } else {
        bh_crypto_swap(p + 1, p + 1, 32);
    }
    ctrl_le_evt(c, BH_HCI_SUBEVT_LE_GENERATE_DHKEY_COMPLETE, p, 33);
}

#define X CTRL_CMD_EXACT
#define S (CTRL_CMD_EXACT | CTRL_CMD_CS)
const struct ctrl_cmd_def ctrl_cmds_enc[] = {
    {BH_HCI_OP_LE_ENCRYPT, 32, X, 27, 6, enc_le_encrypt},
    {BH_HCI_OP_LE_RAND, 0, X, 27, 7, enc_le_rand},
    {BH_HCI_OP_LE_ENABLE_ENCRYPTION, 28, S, 28, 0, enc_le_enable_encryption},
    {BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_REPLY, 18, X, 28, 1, enc_le_ltk_reply},
    {BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, 2, X, 28, 2, enc_le_ltk_reply},
    {BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY, 0, S, 34, 1, enc_le_read_local_p256},
    {BH_HCI_OP_LE_GENERATE_DHKEY, 64, S, 34, 2, enc_le_generate_dhkey},
    {ENC_OP_LE_GENERATE_DHKEY_V2, 65, S, 41, 2, enc_le_generate_dhkey},
};
const size_t ctrl_cmds_enc_n = sizeof(ctrl_cmds_enc) / sizeof(ctrl_cmds_enc[0]);

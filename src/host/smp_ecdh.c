/* SPDX-License-Identifier: MIT */
/*
 * smp_ecdh.c: the P-256 (ECDH) side of LE Secure Connections (Core 5.4 Vol 3
 * Part H 2.3.5.6.1): our key pair, shared by every link and renewed after
 * a failed SC pairing, and the DHKey of a pairing.
 *
 * Two providers, chosen at build time:
 *  - bh_crypto (BH_CONFIG_SMP_P256_CONTROLLER 0, the default): keygen and
 *    DHKey are computed on the spot.
 *  - the controller (BH_CONFIG_SMP_P256_CONTROLLER 1), for small targets
 *    whose bh_crypto backend has no P-256 (BH_CRYPTO=builtin): LE Read
 *    Local P-256 Public Key (Vol 4 Part E 7.8.36) and LE Generate DHKey
 *    (7.8.37) answer with Command Status, then with the LE Meta subevents
 *    0x08 and 0x09 (7.7.65.8/9), which host_evt.c routes here. The key is
 *    fetched when SC is first offered; a link that needs it earlier waits
 *    (BH_SMP_P256_WAIT_KEY). One DHKey is computed at a time (the command
 *    carries no link): the others queue (BH_SMP_P256_DH_QUEUED). The
 *    controller refusing a DHKey (an invalid peer key) fails the pairing
 *    with DHKey Check Failed, like bh_crypto's -EINVAL. A controller that
 *    lacks either command (Supported Commands octet 34 bits 1, 2) makes SC
 *    unsupported: legacy pairing only.
 * smp_sc.c owns the protocol; smp.c the links and the failure path.
 */
#include <errno.h>
#include <string.h>

#include "blehost/bh_hci.h"
#include "crypto/bh_crypto.h"
#include "hci/hci_spec.h"
#include "smp.h"
#include "smp_spec.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

#define P256_NO_LINK 0xFF

/* Supported Commands, Vol 4 Part E 6.27: octet 34, bit 1 LE Read Local
 * P-256 Public Key, bit 2 LE Generate DHKey. */
#define P256_CMDS_OCTET 34
#define P256_CMDS_BITS 0x06

struct p256_ctx {
    bool valid;       /* x, y (and priv) hold our key pair */
    bool unsupported; /* no P-256 here: SC is not offered */
    bool key_pending; /* controller: LE Read Local P-256 Public Key runs */
    uint8_t dh_link;  /* controller: the link whose LE Generate DHKey runs */
#if !BH_CONFIG_SMP_P256_CONTROLLER
    uint8_t priv[32];
#endif
    uint8_t x[32]; /* MSB-first */
    uint8_t y[32];
};

static struct p256_ctx p256 = {.dh_link = P256_NO_LINK};

void bh_smp_sc_reset(void)
{
    memset(&p256, 0, sizeof(p256));
    p256.dh_link = P256_NO_LINK;
}

void bh_smp_sc_renew(void)
{
    bool pending = p256.key_pending;
    bool unsupported = p256.unsupported;
    uint8_t dh = p256.dh_link;

    memset(&p256, 0, sizeof(p256));
    p256.key_pending = pending; /* the key on its way is a new one anyway */
    p256.unsupported = unsupported;
    p256.dh_link = dh;
}

#if !BH_CONFIG_SMP_P256_CONTROLLER

/* ---- bh_crypto ------------------------------------------------------------------- */

int bh_smp_ecdh_key(const uint8_t **x, const uint8_t **y)
{
    int err = 0;

    if (p256.unsupported) {
        return -EOPNOTSUPP;
    }
    if (!p256.valid) {
        err = bh_crypto_p256_keygen(p256.priv, p256.x, p256.y);
        p256.unsupported = err == -EOPNOTSUPP;
        p256.valid = err == 0;
    }
    if (err == 0 && x != NULL) {
        *x = p256.x;
    }
    if (err == 0 && y != NULL) {
        *y = p256.y;
    }
    return err;
}

bool bh_smp_sc_supported(void)
{
    return bh_smp_ecdh_key(NULL, NULL) == 0;
}

int bh_smp_ecdh_dhkey(struct bh_smp_link *l)
{
    uint8_t y[32];
    int err;

    if (!p256.valid) {
        return -EIO;
    }
    memcpy(y, l->lesc.dhkey, 32);
    err = bh_crypto_p256_dhkey(p256.priv, l->lesc.peer_x, y, l->lesc.dhkey);
    return err == 0 || err == -EINVAL ? err : -EIO;
}

/* The controller's events are not ours in this build: ignored. */
void smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r)
{
    (void)r;
}

void smp_on_le_generate_dhkey_complete(struct bh_rd *r)
{
    (void)r;
}

#else /* BH_CONFIG_SMP_P256_CONTROLLER */

/* ---- the controller --------------------------------------------------------------- */

/* Our key arrived (err 0) or will not: every link waiting for it goes on. */
static void p256_key_done(int err)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN; i++) {
        struct bh_smp_link *l = bh_smp_link_at(i);

        if (l == NULL || !(l->p256_wait & BH_SMP_P256_WAIT_KEY)) {
            continue;
        }
        l->p256_wait &= (uint8_t)~BH_SMP_P256_WAIT_KEY;
        bh_smp_async_done(l, err == 0 ? bh_smp_sc_on_key(l) : BH_SMP_ERR_UNSPECIFIED_REASON);
    }
}

static void p256_on_key_status(void *ctx, int err, uint8_t status, const uint8_t *rp,
                               uint16_t rp_len)
{
    (void)ctx;
    (void)rp;
    (void)rp_len;
    if (err == 0 && status == 0) {
        return; /* Command Status: the subevent follows */
    }
    BH_LOG_WRN("LE Read Local P-256 Public Key failed: err %d status 0x%02x", err, status);
    p256.key_pending = false;
    if (status == BH_HCI_ERR_UNKNOWN_HCI_CMD) {
        p256.unsupported = true;
    }
    p256_key_done(-EIO);
}

static int p256_read_key(void)
{
    int err;

    if (p256.key_pending) {
        return -EINPROGRESS;
    }
    err =
        bh_hci_cmd_send(BH_HCI_OP_LE_READ_LOCAL_P256_PUBLIC_KEY, NULL, 0, p256_on_key_status, NULL);
    if (err != 0) {
        return -EIO;
    }
    p256.key_pending = true;
    return -EINPROGRESS;
}

bool bh_smp_sc_supported(void)
{
    if (!p256.unsupported &&
        (bh_hci_info()->commands[P256_CMDS_OCTET] & P256_CMDS_BITS) != P256_CMDS_BITS) {
        BH_LOG_INF("controller without P-256 commands: no Secure Connections");
        p256.unsupported = true;
    }
    if (p256.unsupported) {
        return false;
    }
    if (!p256.valid) {
        (void)p256_read_key(); /* ready by the time pairing needs it, mostly */
    }
    return true;
}

int bh_smp_ecdh_key(const uint8_t **x, const uint8_t **y)
{
    if (p256.unsupported) {
        return -EOPNOTSUPP;
    }
    if (!p256.valid) {
        return p256_read_key();
    }
    if (x != NULL) {
        *x = p256.x;
    }
    if (y != NULL) {
        *y = p256.y;
    }
    return 0;
}

/* LE Read Local P-256 Public Key Complete, 7.7.65.8: Status, X, Y (LE). */
void smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    const uint8_t *k = bh_rd_mem(r, 64);

    if (r->err || !p256.key_pending) {
        BH_LOG_WRN("unexpected P-256 key event dropped");
        return;
    }
    p256.key_pending = false;
    if (status != 0) {
        BH_LOG_WRN("controller P-256 key failed: status 0x%02x", status);
        p256_key_done(-EIO);
        return;
    }
    bh_crypto_swap(p256.x, k, 32);
    bh_crypto_swap(p256.y, &k[32], 32);
    p256.valid = true;
    p256_key_done(0);
}

static void p256_dh_done(uint8_t status, const uint8_t *key);

static void p256_on_dh_status(void *ctx, int err, uint8_t status, const uint8_t *rp,
                              uint16_t rp_len)
{
    (void)ctx;
    (void)rp;
    (void)rp_len;
    if (err == 0 && status == 0) {
        return;
    }
    BH_LOG_WRN("LE Generate DHKey failed: err %d status 0x%02x", err, status);
    p256_dh_done(status != 0 ? status : BH_HCI_ERR_UNKNOWN_HCI_CMD, NULL);
}

/* LE Generate DHKey (7.8.37) with the peer's key: X then Y, little-endian. */
static int p256_dh_issue(struct bh_smp_link *l)
{
    uint8_t p[64];

    bh_crypto_swap(p, l->lesc.peer_x, 32);
    bh_crypto_swap(&p[32], l->lesc.dhkey, 32);
    if (bh_hci_cmd_send(BH_HCI_OP_LE_GENERATE_DHKEY, p, sizeof(p), p256_on_dh_status, NULL) != 0) {
        return -EIO;
    }
    p256.dh_link = (uint8_t)bh_conn_index(l->conn);
    l->p256_wait = (uint8_t)((l->p256_wait & ~BH_SMP_P256_DH_QUEUED) | BH_SMP_P256_DH_RUNNING);
    return -EINPROGRESS;
}

int bh_smp_ecdh_dhkey(struct bh_smp_link *l)
{
    if (!p256.valid) {
        return -EIO;
    }
    if (p256.dh_link != P256_NO_LINK) {
        l->p256_wait |= BH_SMP_P256_DH_QUEUED;
        return -EINPROGRESS;
    }
    return p256_dh_issue(l);
}

/* The next queued link's turn. */
static void p256_dh_next(void)
{
    for (unsigned i = 0; i < BH_CONFIG_MAX_CONN && p256.dh_link == P256_NO_LINK; i++) {
        struct bh_smp_link *l = bh_smp_link_at(i);

        if (l != NULL && (l->p256_wait & BH_SMP_P256_DH_QUEUED) &&
            p256_dh_issue(l) != -EINPROGRESS) {
            l->p256_wait &= (uint8_t)~BH_SMP_P256_DH_QUEUED;
            bh_smp_async_done(l, BH_SMP_ERR_UNSPECIFIED_REASON);
        }
    }
}

/* Only Invalid HCI Command Parameters says the peer's key is not a valid
 * point (Vol 4 Part E 7.7.65.9); any other failure is the controller's. */
static int p256_dh_err(uint8_t status)
{
    if (status == 0) {
        return 0;
    }
    return status == BH_HCI_ERR_INVALID_HCI_CMD_PARAMS ? -EINVAL : -EIO;
}

/* The running DHKey ended: key (LE) or a failure status. A link that went
 * away or failed meanwhile (its flags wiped) is not resumed. */
static void p256_dh_done(uint8_t status, const uint8_t *key)
{
    struct bh_smp_link *l = p256.dh_link != P256_NO_LINK ? bh_smp_link_at(p256.dh_link) : NULL;

    p256.dh_link = P256_NO_LINK;
    if (l != NULL && (l->p256_wait & BH_SMP_P256_DH_RUNNING)) {
        l->p256_wait &= (uint8_t)~BH_SMP_P256_DH_RUNNING;
        if (status == 0) {
            bh_crypto_swap(l->lesc.dhkey, key, 32);
        }
        bh_smp_async_done(l, bh_smp_sc_on_dhkey(l, p256_dh_err(status)));
    }
    p256_dh_next();
}

/* LE Generate DHKey Complete, 7.7.65.9: Status, DHKey (LE). */
void smp_on_le_generate_dhkey_complete(struct bh_rd *r)
{
    uint8_t status = bh_rd_u8(r);
    const uint8_t *k = bh_rd_mem(r, 32);

    if (r->err || p256.dh_link == P256_NO_LINK) {
        BH_LOG_WRN("unexpected DHKey event dropped");
        return;
    }
    p256_dh_done(status, k);
}

#endif /* BH_CONFIG_SMP_P256_CONTROLLER */

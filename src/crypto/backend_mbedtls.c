/* SPDX-License-Identifier: MIT */
/*
 * backend_mbedtls.c: the crypto backend for POSIX (BH_CRYPTO=mbedtls), on
 * Debian's libmbedcrypto 2.28: AES-128 (the spec's e, Core 5.4 Vol 3 Part H
 * 2.2.1) and the P-256 key pair and DHKey of LE Secure Connections (Core 5.4
 * Vol 3 Part H 2.3.5.6.1, curve of FIPS 186-4 D.1.2.3).
 *
 * Our arrays are MSB-first, which is mbedtls' binary big-number format, so
 * no byte swapping happens here. Every peer point is checked to lie on the
 * curve before use (the invalid curve attack, Core 5.4 Vol 3 Part H
 * 2.3.5.6.1). mbedtls allocates its big numbers from the C heap; this file
 * is for hosted builds only. Holds no state between calls.
 */
#include "bh_crypto.h"

#include <errno.h>

#include <mbedtls/aes.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>

/* Carries the first error of our entropy source through mbedtls' f_rng. */
struct p256_rng_ctx {
    int err;
};

/* All the mbedtls objects of one P-256 operation, set up and freed together. */
struct p256_op {
    mbedtls_ecp_group grp;
    mbedtls_mpi d;
    mbedtls_mpi z;
    mbedtls_ecp_point q;
};

int bh_crypto_aes128(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    mbedtls_aes_context aes;
    int err = -EIO;

    mbedtls_aes_init(&aes);
    if (mbedtls_aes_setkey_enc(&aes, key, 128) == 0 &&
        mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, in, out) == 0) {
        err = 0;
    }
    mbedtls_aes_free(&aes); /* zeroes the key schedule */
    return err;
}

static int p256_rng(void *p_rng, unsigned char *buf, size_t len)
{
    struct p256_rng_ctx *ctx = p_rng;
    int err = bh_crypto_random(buf, len);

    if (err) {
        ctx->err = err;
        return MBEDTLS_ERR_ECP_RANDOM_FAILED;
    }
    return 0;
}

static int p256_op_init(struct p256_op *op)
{
    mbedtls_ecp_group_init(&op->grp);
    mbedtls_mpi_init(&op->d);
    mbedtls_mpi_init(&op->z);
    mbedtls_ecp_point_init(&op->q);
    return mbedtls_ecp_group_load(&op->grp, MBEDTLS_ECP_DP_SECP256R1) == 0 ? 0 : -EIO;
}

static void p256_op_free(struct p256_op *op)
{
    mbedtls_ecp_point_free(&op->q);
    mbedtls_mpi_free(&op->z); /* mbedtls zeroes MPIs on free */
    mbedtls_mpi_free(&op->d);
    mbedtls_ecp_group_free(&op->grp);
}

int bh_crypto_p256_keygen(uint8_t priv[32], uint8_t pub_x[32], uint8_t pub_y[32])
{
    struct p256_rng_ctx rng = {0};
    struct p256_op op;
    int err;

    err = p256_op_init(&op);
    if (err) {
        goto out;
    }
    if (bh_crypto_random(NULL, 0) != 0) {
        err = -EOPNOTSUPP; /* no entropy source set */
        goto out;
    }
    if (mbedtls_ecp_gen_keypair(&op.grp, &op.d, &op.q, p256_rng, &rng) != 0) {
        err = rng.err ? rng.err : -EIO;
        goto out;
    }
    if (mbedtls_mpi_write_binary(&op.d, priv, 32) != 0 ||
        mbedtls_mpi_write_binary(&op.q.X, pub_x, 32) != 0 ||
        mbedtls_mpi_write_binary(&op.q.Y, pub_y, 32) != 0) {
        err = -EIO;
    }
out:
    p256_op_free(&op);
    return err;
}

/* Loads the peer's affine point and our private key; -EINVAL unless both are valid. */
static int p256_load(struct p256_op *op, const uint8_t priv[32], const uint8_t x[32],
                     const uint8_t y[32])
{
    if (mbedtls_mpi_read_binary(&op->q.X, x, 32) != 0 ||
        mbedtls_mpi_read_binary(&op->q.Y, y, 32) != 0 || mbedtls_mpi_lset(&op->q.Z, 1) != 0 ||
        mbedtls_mpi_read_binary(&op->d, priv, 32) != 0) {
        return -EIO;
    }
    if (mbedtls_ecp_check_pubkey(&op->grp, &op->q) != 0 ||
        mbedtls_ecp_check_privkey(&op->grp, &op->d) != 0) {
        return -EINVAL;
    }
    return 0;
}

int bh_crypto_p256_dhkey(const uint8_t priv[32], const uint8_t peer_x[32],
                         const uint8_t peer_y[32], uint8_t dhkey[32])
{
    struct p256_rng_ctx rng = {0};
    struct p256_op op;
    int err;

    err = p256_op_init(&op);
    if (err == 0) {
        err = p256_load(&op, priv, peer_x, peer_y);
    }
    if (err) {
        goto out;
    }
    /* Blinding draws from our entropy source when one is set; otherwise mbedtls 2.x
     * blinds with its internal deterministic generator (f_rng NULL). */
    if (mbedtls_ecdh_compute_shared(&op.grp, &op.z, &op.q, &op.d,
                                    bh_crypto_random(NULL, 0) == 0 ? p256_rng : NULL,
                                    &rng) != 0) {
        err = rng.err ? rng.err : -EIO;
        goto out;
    }
    if (mbedtls_mpi_write_binary(&op.z, dhkey, 32) != 0) {
        err = -EIO;
    }
out:
    p256_op_free(&op);
    return err;
}

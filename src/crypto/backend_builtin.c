/* SPDX-License-Identifier: MIT */
/*
 * backend_builtin.c: the crypto backend for small targets (BH_CRYPTO=builtin).
 *
 * AES-128 is the compact C cipher of common_aes_builtin.c. P-256 is not
 * here: such targets ask the controller instead (LE Read Local P-256 Public
 * Key and LE Generate DHKey, Core 5.4 Vol 4 Part E 7.8.36 and 7.8.37), so
 * the P-256 entry points answer -EOPNOTSUPP and SMP takes that path.
 */
#include "bh_crypto.h"

#include <errno.h>

int bh_crypto_aes128(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    return bh_crypto_builtin_aes128(key, in, out);
}

int bh_crypto_p256_keygen(uint8_t priv[32], uint8_t pub_x[32], uint8_t pub_y[32])
{
    return -EOPNOTSUPP;
}

int bh_crypto_p256_dhkey(const uint8_t priv[32], const uint8_t peer_x[32],
                         const uint8_t peer_y[32], uint8_t dhkey[32])
{
    return -EOPNOTSUPP;
}

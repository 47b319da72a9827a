/* SPDX-License-Identifier: MIT */
/*
 * common_cmac.c: AES-CMAC with a 128-bit tag (RFC 4493), the MAC behind the
 * LE Secure Connections functions f4, f5, f6, g2, h6, h7 (Core 5.4 Vol 3
 * Part H 2.2.5). Built on bh_crypto_aes128(), so it works with any backend.
 *
 * The message may come in segments, so callers MAC their fields where they
 * lie. Bytes are XORed straight into the chaining value; a full block is
 * encrypted only once a further byte arrives, so the last block (complete
 * or not) is always still open when the message ends (RFC 4493 2.4 step 4).
 * Also holds bh_crypto_swap(), the byte-order helper of the interface.
 */
#include "bh_crypto.h"

#include <string.h>

#define CMAC_RB 0x87 /* RFC 4493 2.3: R_128 constant */

void bh_crypto_swap(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t lo = src[i];

        dst[i] = src[n - 1 - i];
        dst[n - 1 - i] = lo;
    }
    if (n & 1) {
        dst[n / 2] = src[n / 2];
    }
}

/* RFC 4493 2.3: v <<= 1 over 128 bits, then XOR Rb if the bit shifted out was set. */
static void cmac_double(uint8_t v[16])
{
    uint8_t carry = (uint8_t)(v[0] >> 7);

    for (unsigned i = 0; i < 15; i++) {
        v[i] = (uint8_t)((v[i] << 1) | (v[i + 1] >> 7));
    }
    v[15] = (uint8_t)((v[15] << 1) ^ (carry * CMAC_RB));
}

/* RFC 4493 2.4 steps 4-6 for the last block, already XORed into x with fill bytes. */
static int cmac_finish(const uint8_t key[16], uint8_t x[16], unsigned fill, uint8_t mac[16])
{
    uint8_t sub[16] = {0};
    int err = bh_crypto_aes128(key, sub, sub); /* L = AES-128(K, const_Zero) */

    if (err) {
        return err;
    }
    cmac_double(sub); /* K1 */
    if (fill < 16) {
        x[fill] ^= 0x80; /* padding(M_n) = M_n || 10^i */
        cmac_double(sub); /* K2 */
    }
    for (unsigned i = 0; i < 16; i++) {
        x[i] ^= sub[i];
    }
    return bh_crypto_aes128(key, x, mac);
}

int bh_crypto_cmac_segs(const uint8_t key[16], const struct bh_crypto_seg *segs, size_t nsegs,
                        uint8_t mac[16])
{
    uint8_t x[16] = {0};
    unsigned fill = 0;
    int err;

    for (size_t s = 0; s < nsegs; s++) {
        for (size_t i = 0; i < segs[s].len; i++) {
            if (fill == 16) {
                err = bh_crypto_aes128(key, x, x); /* X := AES-128(K, X xor M_i) */
                if (err) {
                    return err;
                }
                fill = 0;
            }
            x[fill++] ^= segs[s].p[i];
        }
    }
    return cmac_finish(key, x, fill, mac);
}

int bh_crypto_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16])
{
    const struct bh_crypto_seg seg = {msg, len};

    return bh_crypto_cmac_segs(key, &seg, 1, mac);
}

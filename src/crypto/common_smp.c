/* SPDX-License-Identifier: MIT */
/*
 * common_smp.c: the cryptographic toolbox of the Security Manager, Core 5.4
 * Vol 3 Part H 2.2 (ah, c1, s1, f4, f5, f6, g2, h6, h7), the debug-key check
 * of 2.3.5.6.1, and resolvable private addresses (Core 5.4 Vol 6 Part B
 * 1.3.2.2 and 1.3.2.3).
 *
 * Every value is MSB-first, as printed in the spec, so the concatenations
 * "a || b" of 2.2 are plain byte sequences: the left operand comes first.
 * The CMAC-based functions hand their fields to bh_crypto_cmac_segs() in
 * place. Converting to and from the air's little-endian is the caller's job
 * (see bh_crypto.h). Holds no state.
 */
#include "bh_crypto.h"

#include <errno.h>
#include <string.h>

#define SEGS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Core 5.4 Vol 3 Part H 2.3.5.6.1: X coordinate of the debug public key. */
static const uint8_t smp_debug_pub_x[32] = {
    0x20, 0xb0, 0x03, 0xd2, 0xf2, 0x97, 0xbe, 0x2c, 0x5e, 0x2c, 0x83, 0xa7, 0xe9, 0xf9, 0xa5, 0xb9,
    0xef, 0xf4, 0x91, 0x11, 0xac, 0xf4, 0xfd, 0xdb, 0xcc, 0x03, 0x01, 0x48, 0x0e, 0x35, 0x9d, 0xe6,
};

/* Core 5.4 Vol 3 Part H 2.2.7: SALT of f5. */
static const uint8_t smp_f5_salt[16] = {
    0x6c, 0x88, 0x83, 0x91, 0xaa, 0xf5, 0xa5, 0x38, 0x60, 0x37, 0x0b, 0xdb, 0x5a, 0x60, 0x83, 0xbe,
};

/* Core 5.4 Vol 3 Part H 2.2.7: keyID "btle" and Length 256 of f5. */
static const uint8_t smp_f5_key_id[4] = {0x62, 0x74, 0x6c, 0x65};
static const uint8_t smp_f5_length[2] = {0x01, 0x00};

bool bh_crypto_p256_is_debug_key(const uint8_t x[32])
{
    return memcmp(x, smp_debug_pub_x, sizeof(smp_debug_pub_x)) == 0;
}

static void smp_xor16(uint8_t dst[16], const uint8_t a[16], const uint8_t b[16])
{
    for (unsigned i = 0; i < 16; i++) {
        dst[i] = (uint8_t)(a[i] ^ b[i]);
    }
}

/* Core 5.4 Vol 3 Part H 2.2.2: ah(k, r) = e(k, r') mod 2^24, r' = 104 zero bits || r. */
int bh_crypto_ah(const uint8_t k[16], const uint8_t r[3], uint8_t hash[3])
{
    uint8_t block[16] = {0};
    int err;

    memcpy(&block[13], r, 3);
    err = bh_crypto_aes128(k, block, block);
    if (err) {
        return err;
    }
    memcpy(hash, &block[13], 3);
    return 0;
}

/* Core 5.4 Vol 3 Part H 2.2.3: c1 = e(k, e(k, r XOR p1) XOR p2) with
 * p1 = pres || preq || rat' || iat' and p2 = padding(32 bits) || ia || ra. */
int bh_crypto_c1(const uint8_t k[16], const uint8_t r[16], const uint8_t preq[7],
                 const uint8_t pres[7], uint8_t iat, const uint8_t ia[6], uint8_t rat,
                 const uint8_t ra[6], uint8_t out[16])
{
    uint8_t p[16];
    uint8_t t[16];
    int err;

    memcpy(&p[0], pres, 7);
    memcpy(&p[7], preq, 7);
    p[14] = (uint8_t)(rat & 1);
    p[15] = (uint8_t)(iat & 1);
    smp_xor16(t, r, p);
    err = bh_crypto_aes128(k, t, t);
    if (err) {
        return err;
    }
    memset(&p[0], 0, 4);
    memcpy(&p[4], ia, 6);
    memcpy(&p[10], ra, 6);
    smp_xor16(t, t, p);
    return bh_crypto_aes128(k, t, out);
}

/* Core 5.4 Vol 3 Part H 2.2.4: s1 = e(k, r1' || r2'), the low 64 bits of each. */
int bh_crypto_s1(const uint8_t k[16], const uint8_t r1[16], const uint8_t r2[16],
                 uint8_t out[16])
{
    uint8_t r[16];

    memcpy(&r[0], &r1[8], 8);
    memcpy(&r[8], &r2[8], 8);
    return bh_crypto_aes128(k, r, out);
}

/* Core 5.4 Vol 3 Part H 2.2.6: f4(U, V, X, Z) = AES-CMAC_X(U || V || Z). */
int bh_crypto_f4(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16], uint8_t z,
                 uint8_t out[16])
{
    const struct bh_crypto_seg m[] = {{u, 32}, {v, 32}, {&z, 1}};

    return bh_crypto_cmac_segs(x, m, SEGS_COUNT(m), out);
}

/* Core 5.4 Vol 3 Part H 2.2.7: T = AES-CMAC_SALT(W); then
 * AES-CMAC_T(Counter || keyID || N1 || N2 || A1 || A2 || Length), Counter 0 gives the
 * MacKey and Counter 1 the LTK. */
int bh_crypto_f5(const uint8_t w[32], const uint8_t n1[16], const uint8_t n2[16],
                 const uint8_t a1[7], const uint8_t a2[7], uint8_t mackey[16], uint8_t ltk[16])
{
    uint8_t t[16];
    uint8_t counter = 0;
    const struct bh_crypto_seg m[] = {
        {&counter, 1}, {smp_f5_key_id, 4}, {n1, 16}, {n2, 16},
        {a1, 7},       {a2, 7},            {smp_f5_length, 2},
    };
    int err;

    err = bh_crypto_cmac(smp_f5_salt, w, 32, t);
    if (err == 0) {
        err = bh_crypto_cmac_segs(t, m, SEGS_COUNT(m), mackey);
    }
    if (err == 0) {
        counter = 1; /* m[0] points at it */
        err = bh_crypto_cmac_segs(t, m, SEGS_COUNT(m), ltk);
    }
    return err;
}

/* Core 5.4 Vol 3 Part H 2.2.8: f6 = AES-CMAC_W(N1 || N2 || R || IOcap || A1 || A2). */
int bh_crypto_f6(const uint8_t w[16], const uint8_t n1[16], const uint8_t n2[16],
                 const uint8_t r[16], const uint8_t iocap[3], const uint8_t a1[7],
                 const uint8_t a2[7], uint8_t out[16])
{
    const struct bh_crypto_seg m[] = {{n1, 16}, {n2, 16}, {r, 16}, {iocap, 3}, {a1, 7}, {a2, 7}};

    return bh_crypto_cmac_segs(w, m, SEGS_COUNT(m), out);
}

/* Core 5.4 Vol 3 Part H 2.2.9: g2 = AES-CMAC_X(U || V || Y) mod 2^32. */
int bh_crypto_g2(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16],
                 const uint8_t y[16], uint32_t *val)
{
    const struct bh_crypto_seg m[] = {{u, 32}, {v, 32}, {y, 16}};
    uint8_t mac[16];
    int err = bh_crypto_cmac_segs(x, m, SEGS_COUNT(m), mac);

    if (err) {
        return err;
    }
    *val = ((uint32_t)mac[12] << 24) | ((uint32_t)mac[13] << 16) | ((uint32_t)mac[14] << 8) |
           mac[15];
    return 0;
}

/* Core 5.4 Vol 3 Part H 2.2.10: h6(W, keyID) = AES-CMAC_W(keyID). */
int bh_crypto_h6(const uint8_t w[16], const uint8_t key_id[4], uint8_t out[16])
{
    return bh_crypto_cmac(w, key_id, 4, out);
}

/* Core 5.4 Vol 3 Part H 2.2.11: h7(SALT, W) = AES-CMAC_SALT(W). */
int bh_crypto_h7(const uint8_t salt[16], const uint8_t w[16], uint8_t out[16])
{
    return bh_crypto_cmac(salt, w, 16, out);
}

/* Core 5.4 Vol 6 Part B 1.3.2.2: prand's two top bits are 0b01, and its random part
 * shall hold at least one 0 bit and one 1 bit; hash = ah(IRK, prand). */
int bh_crypto_rpa_generate(const uint8_t irk[16], const uint8_t prand[3], uint8_t addr[6])
{
    uint8_t p[3] = {(uint8_t)((prand[0] & 0x3f) | 0x40), prand[1], prand[2]};
    uint8_t hash[3];
    int err;

    if ((p[0] == 0x40 && p[1] == 0x00 && p[2] == 0x00) ||
        (p[0] == 0x7f && p[1] == 0xff && p[2] == 0xff)) {
        return -EINVAL;
    }
    err = bh_crypto_ah(irk, p, hash);
    if (err) {
        return err;
    }
    memcpy(&addr[0], p, 3);
    memcpy(&addr[3], hash, 3);
    return 0;
}

/* Core 5.4 Vol 6 Part B 1.3.2.3: recompute the hash from the upper 24 bits and compare it
 * with the lower 24. Anything that is not an RPA (top bits other than 0b01) never matches. */
bool bh_crypto_rpa_matches(const uint8_t irk[16], const uint8_t addr[6])
{
    uint8_t hash[3];

    if ((addr[0] & 0xc0) != 0x40) {
        return false;
    }
    if (bh_crypto_ah(irk, &addr[0], hash) != 0) {
        return false;
    }
    return memcmp(hash, &addr[3], 3) == 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * test_crypto_smp.c: the SMP toolbox against the sample data of Core 5.4
 * Vol 3 Part H Appendix D (ah, f4, f5, f6, g2, h6, h7) and the worked
 * examples of 2.2.3 (c1) and 2.2.4 (s1); resolvable private addresses; and
 * P-256 against the debug key pair of 2.3.5.6.1 and the P-256 sample data
 * of Core 5.4 Vol 2 Part G 7.1.2. All values MSB-first, as the spec prints
 * them. With BH_CRYPTO=builtin the P-256 tests check -EOPNOTSUPP instead.
 */
#include <errno.h>

#include "bh_test.h"
#include "crypto/bh_crypto.h"

/* Parses a hex string of exactly n bytes into out (fails the test otherwise). */
static void hex(const char *s, uint8_t *out, size_t n)
{
    BH_CHECK_EQ(bh_test_hex(s, out, n), (int)n);
}

/* Appendix D sample values shared by several functions. */
#define D_DHKEY "ec0234a3 57c8ad05 341010a6 0a397d9b 99796b13 b4f866f1 868d34f3 73bfa698"
#define D_W128 "ec0234a3 57c8ad05 341010a6 0a397d9b"
#define D_U "20b003d2 f297be2c 5e2c83a7 e9f9a5b9 eff49111 acf4fddb cc030148 0e359de6"
#define D_V "55188b3d 32f6bb9a 900afcfb eed4e72a 59cb9ac2 f19d7cfb 6b4fdd49 f47fc5fd"
#define D_N1 "d5cb8454 d177733e ffffb2ec 712baeab"
#define D_N2 "a6e8e7cc 25a75f6e 216583f7 ff3dc4cf"
#define D_A1 "00561237 37bfce"
#define D_A2 "00a71370 2dcfc1"
#define D_MACKEY "2965f176 a1084a02 fd3f6a20 ce636e20"

/* Core 5.4 Vol 3 Part H 2.3.5.6.1: the debug key pair. */
#define DEBUG_PRIV "3f49f6d4 a3c55f38 74c9b3e3 d2103f50 4aff607b eb40b799 5899b8a6 cd3c1abd"
#define DEBUG_PUB_X D_U
#define DEBUG_PUB_Y "dc809c49 652aeb6d 63329abf 5a52155c 766345c2 8fed3024 741c8ed0 1589d28b"

static void test_crypto_ah_appendix_d_matches(void)
{
    uint8_t irk[16], r[3], out[3];

    hex(D_W128, irk, 16);
    hex("708194", r, 3);
    BH_CHECK_EQ(bh_crypto_ah(irk, r, out), 0);
    BH_CHECK_HEX(out, 3, "0dfbaa");
}

/* Core 5.4 Vol 3 Part H 2.2.3: the example of the c1 description. */
static void test_crypto_c1_spec_example_matches(void)
{
    uint8_t k[16] = {0}, r[16], preq[7], pres[7], ia[6], ra[6], out[16];

    hex("5783d521 56ad6f0e 6388274e c6702ee0", r, 16);
    hex("07071000000101", preq, 7);
    hex("05000800000302", pres, 7);
    hex("a1a2a3a4a5a6", ia, 6);
    hex("b1b2b3b4b5b6", ra, 6);
    BH_CHECK_EQ(bh_crypto_c1(k, r, preq, pres, 1, ia, 0, ra, out), 0);
    BH_CHECK_HEX(out, 16, "1e1e3fef 878988ea d2a74dc5 bef13b86");

    /* preq as built from the Pairing Request PDU bytes, swapped at the boundary. */
    uint8_t pdu[7] = {0x01, 0x01, 0x00, 0x00, 0x10, 0x07, 0x07};
    uint8_t preq_from_pdu[7];

    bh_crypto_swap(preq_from_pdu, pdu, 7);
    BH_CHECK_MEM(preq_from_pdu, preq, 7);
    BH_CHECK_EQ(bh_crypto_c1(k, r, preq, pres, 0, ia, 0, ra, out), 0); /* iat enters p1 */
    BH_CHECK(out[0] != 0x1e || out[1] != 0x1e);
}

/* Core 5.4 Vol 3 Part H 2.2.4: the example of the s1 description. */
static void test_crypto_s1_spec_example_matches(void)
{
    uint8_t k[16] = {0}, r1[16], r2[16], out[16];

    hex("000f0e0d 0c0b0a09 11223344 55667788", r1, 16);
    hex("01020304 05060708 99aabbcc ddeeff00", r2, 16);
    BH_CHECK_EQ(bh_crypto_s1(k, r1, r2, out), 0);
    BH_CHECK_HEX(out, 16, "9a1fe1f0 e8b0f49b 5b4216ae 796da062");
}

static void test_crypto_f4_appendix_d_matches(void)
{
    uint8_t u[32], v[32], x[16], out[16];

    hex(D_U, u, 32);
    hex(D_V, v, 32);
    hex(D_N1, x, 16);
    BH_CHECK_EQ(bh_crypto_f4(u, v, x, 0x00, out), 0);
    BH_CHECK_HEX(out, 16, "f2c916f1 07a9bd1c f1eda1be a974872d");
}

static void test_crypto_f5_appendix_d_matches(void)
{
    uint8_t w[32], n1[16], n2[16], a1[7], a2[7], mackey[16], ltk[16];

    hex(D_DHKEY, w, 32);
    hex(D_N1, n1, 16);
    hex(D_N2, n2, 16);
    hex(D_A1, a1, 7);
    hex(D_A2, a2, 7);
    BH_CHECK_EQ(bh_crypto_f5(w, n1, n2, a1, a2, mackey, ltk), 0);
    BH_CHECK_HEX(mackey, 16, D_MACKEY);
    BH_CHECK_HEX(ltk, 16, "69867911 69d7cd23 980522b5 94750a38");
}

static void test_crypto_f6_appendix_d_matches(void)
{
    uint8_t w[16], n1[16], n2[16], r[16], iocap[3], a1[7], a2[7], out[16];

    hex(D_MACKEY, w, 16);
    hex(D_N1, n1, 16);
    hex(D_N2, n2, 16);
    hex("12a3343b b453bb54 08da42d2 0c2d0fc8", r, 16);
    hex("010102", iocap, 3);
    hex(D_A1, a1, 7);
    hex(D_A2, a2, 7);
    BH_CHECK_EQ(bh_crypto_f6(w, n1, n2, r, iocap, a1, a2, out), 0);
    BH_CHECK_HEX(out, 16, "e3c47398 9cd0e8c5 d26c0b09 da958f61");
}

static void test_crypto_g2_appendix_d_matches(void)
{
    uint8_t u[32], v[32], x[16], y[16];
    uint32_t val = 0;

    hex(D_U, u, 32);
    hex(D_V, v, 32);
    hex(D_N1, x, 16);
    hex(D_N2, y, 16);
    BH_CHECK_EQ(bh_crypto_g2(u, v, x, y, &val), 0);
    BH_CHECK_EQ(val, 0x2f9ed5bau);
    BH_CHECK_EQ(val % 1000000u, 938554u); /* the six digits shown to the user */
}

static void test_crypto_h6_appendix_d_matches(void)
{
    uint8_t w[16], key_id[4], out[16];

    hex(D_W128, w, 16);
    hex("6c656272", key_id, 4); /* "lebr" */
    BH_CHECK_EQ(bh_crypto_h6(w, key_id, out), 0);
    BH_CHECK_HEX(out, 16, "2d9ae102 e76dc91c e8d3a9e2 80b16399");
}

static void test_crypto_h7_appendix_d_matches(void)
{
    uint8_t salt[16], w[16], out[16];

    hex("00000000 00000000 00000000 746d7031", salt, 16); /* "tmp1" */
    hex(D_W128, w, 16);
    BH_CHECK_EQ(bh_crypto_h7(salt, w, out), 0);
    BH_CHECK_HEX(out, 16, "fb173597 c6a3c0ec d2998c2a 75a57011");
}

static void test_crypto_rpa_generate_uses_ah_and_resolves(void)
{
    uint8_t irk[16], other[16], prand[3], addr[6];

    hex(D_W128, irk, 16);
    hex("708194", prand, 3);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), 0);
    BH_CHECK_HEX(addr, 6, "708194 0dfbaa");
    BH_CHECK(bh_crypto_rpa_matches(irk, addr));

    memcpy(other, irk, 16);
    other[15] ^= 0x01;
    BH_CHECK(!bh_crypto_rpa_matches(other, addr));
    addr[5] ^= 0x01;
    BH_CHECK(!bh_crypto_rpa_matches(irk, addr));
    addr[5] ^= 0x01;
    addr[0] |= 0xc0; /* static random address type bits: not an RPA */
    BH_CHECK(!bh_crypto_rpa_matches(irk, addr));
}

static void test_crypto_rpa_generate_forces_type_bits_and_rejects_flat_prand(void)
{
    uint8_t irk[16], prand[3], addr[6];

    hex(D_W128, irk, 16);
    hex("f08194", prand, 3); /* top bits 11: forced to 01 */
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), 0);
    BH_CHECK_HEX(addr, 6, "708194 0dfbaa");
    BH_CHECK(bh_crypto_rpa_matches(irk, addr));

    hex("000000", prand, 3);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), -EINVAL);
    hex("c00000", prand, 3);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), -EINVAL);
    hex("ffffff", prand, 3);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), -EINVAL);
    hex("3fffff", prand, 3);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), -EINVAL);
    hex("400001", prand, 3);
    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, addr), 0);
}

/* ---- Entropy and P-256 -------------------------------------------------------------- */

static uint32_t rng_state;
static int rng_calls;

static int rng_xorshift(void *buf, size_t len)
{
    uint8_t *p = buf;

    rng_calls++;
    for (size_t i = 0; i < len; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        p[i] = (uint8_t)(rng_state >> 24);
    }
    return 0;
}

static int rng_broken(void *buf, size_t len)
{
    memset(buf, 0xa5, len);
    return -EIO;
}

static void test_crypto_random_without_source_fails(void)
{
    uint8_t buf[4] = {1, 2, 3, 4};

    bh_crypto_set_rng(NULL);
    BH_CHECK_EQ(bh_crypto_random(buf, sizeof(buf)), -EOPNOTSUPP);
    BH_CHECK_EQ(bh_crypto_random(NULL, 0), -EOPNOTSUPP);

    bh_crypto_set_rng(rng_broken);
    BH_CHECK_EQ(bh_crypto_random(buf, sizeof(buf)), -EIO);
    BH_CHECK_HEX(buf, 4, "00000000");

    rng_state = 1;
    rng_calls = 0;
    bh_crypto_set_rng(rng_xorshift);
    BH_CHECK_EQ(bh_crypto_random(NULL, 0), 0); /* probe: callback not called */
    BH_CHECK_EQ(rng_calls, 0);
    BH_CHECK_EQ(bh_crypto_random(buf, sizeof(buf)), 0);
    BH_CHECK_EQ(rng_calls, 1);
    bh_crypto_set_rng(NULL);
}

/* False (after checking the builtin backend's contract) when there is no P-256 here. */
static bool p256_available(void)
{
    uint8_t priv[32] = {0}, x[32] = {0}, y[32] = {0}, out[32];
    int err = bh_crypto_p256_dhkey(priv, x, y, out);

    if (err != -EOPNOTSUPP) {
        return true;
    }
    rng_state = 7;
    bh_crypto_set_rng(rng_xorshift);
    BH_CHECK_EQ(bh_crypto_p256_keygen(priv, x, y), -EOPNOTSUPP);
    bh_crypto_set_rng(NULL);
    return false;
}

static void check_dhkey(const char *priv_hex, const char *x_hex, const char *y_hex,
                        const char *want)
{
    uint8_t priv[32], x[32], y[32], dhkey[32];

    hex(priv_hex, priv, 32);
    hex(x_hex, x, 32);
    hex(y_hex, y, 32);
    BH_CHECK_EQ(bh_crypto_p256_dhkey(priv, x, y, dhkey), 0);
    BH_CHECK_HEX(dhkey, 32, want);
}

/* Core 5.4 Vol 2 Part G 7.1.2.1 (data set 1): device A holds the debug key pair, and its
 * DHKey is the W of the f5 sample in Appendix D. Both sides get it, and the debug key
 * with its own public key gives d^2 G, the same whichever side computes it. */
static void test_crypto_p256_debug_key_sample_data_agree(void)
{
    static const char priv_b[] =
        "55188b3d 32f6bb9a 900afcfb eed4e72a 59cb9ac2 f19d7cfb 6b4fdd49 f47fc5fd";
    static const char pub_b_x[] =
        "1ea1f0f0 1faf1d96 09592284 f19e4c00 47b58afd 8615a69f 559077b2 2faaa190";
    static const char pub_b_y[] =
        "4c55f33e 429dad37 7356703a 9ab85160 472d1130 e28e3676 5f89aff9 15b1214a";

    if (!p256_available()) {
        return;
    }
    bh_crypto_set_rng(NULL); /* DHKey needs no entropy source */
    check_dhkey(DEBUG_PRIV, pub_b_x, pub_b_y, D_DHKEY);
    check_dhkey(priv_b, DEBUG_PUB_X, DEBUG_PUB_Y, D_DHKEY);
    check_dhkey(DEBUG_PRIV, DEBUG_PUB_X, DEBUG_PUB_Y,
                "70aad7e6 49f91c7c ae5f79fc 32992787 c38757a8 728b7b55 da7bb3cb 4800ab2d");
    rng_state = 3;
    bh_crypto_set_rng(rng_xorshift); /* blinding from our source: same result */
    check_dhkey(priv_b, DEBUG_PUB_X, DEBUG_PUB_Y, D_DHKEY);
    bh_crypto_set_rng(NULL);
}

/* Core 5.4 Vol 2 Part G 7.1.2.2: P-256 data set 2. */
static void test_crypto_p256_sample_set2_agree(void)
{
    if (!p256_available()) {
        return;
    }
    static const char dhkey[] =
        "ab85843a 2f6d883f 62e5684b 38e30733 5fe6e194 5ecd1960 4105c6f2 3221eb69";

    check_dhkey("06a51669 3c9aa31a 6084545d 0c5db641 b48572b9 7203ddff b7ac73f7 d0457663",
                "f465e43f f23d3f1b 9dc7dfc0 4da87581 84dbc966 204796ec cf0d6cf5 e16500cc",
                "0201d048 bcbbd899 eeefc424 164e33c2 01c2b010 ca6b4d43 a8a155ca d8ecb279", dhkey);
    check_dhkey("529aa067 0d72cd64 97502ed4 73502b03 7e8803b5 c60829a5 a3caa219 505530ba",
                "2c31a47b 5779809e f44cb5ea af5c3e43 d5f8faad 4a8794cb 987e9b03 745c78dd",
                "91951218 3898dfbe cd52e240 8e43871f d0211091 17bd3ed4 eaf84377 43715d4f", dhkey);
}

static void test_crypto_p256_keygen_pairs_agree(void)
{
    uint8_t a_priv[32], a_x[32], a_y[32], b_priv[32], b_x[32], b_y[32];
    uint8_t ab[32], ba[32];

    if (!p256_available()) {
        return;
    }
    rng_state = 0x12345678;
    bh_crypto_set_rng(rng_xorshift);
    for (int i = 0; i < 4; i++) {
        BH_CHECK_EQ(bh_crypto_p256_keygen(a_priv, a_x, a_y), 0);
        BH_CHECK_EQ(bh_crypto_p256_keygen(b_priv, b_x, b_y), 0);
        BH_CHECK(memcmp(a_priv, b_priv, 32) != 0);
        BH_CHECK(memcmp(a_x, b_x, 32) != 0);
        BH_CHECK(!bh_crypto_p256_is_debug_key(a_x));
        BH_CHECK_EQ(bh_crypto_p256_dhkey(a_priv, b_x, b_y, ab), 0);
        BH_CHECK_EQ(bh_crypto_p256_dhkey(b_priv, a_x, a_y, ba), 0);
        BH_CHECK_MEM(ab, ba, 32);
    }
    bh_crypto_set_rng(NULL);
}

static void test_crypto_p256_keygen_without_entropy_fails(void)
{
    uint8_t priv[32], x[32], y[32];

    if (!p256_available()) {
        return;
    }
    bh_crypto_set_rng(NULL);
    BH_CHECK_EQ(bh_crypto_p256_keygen(priv, x, y), -EOPNOTSUPP);
    bh_crypto_set_rng(rng_broken);
    BH_CHECK_EQ(bh_crypto_p256_keygen(priv, x, y), -EIO);
    bh_crypto_set_rng(NULL);
}

/* Core 5.4 Vol 3 Part H 2.3.5.6.1: a public key not on the curve fails the pairing. */
static void test_crypto_p256_invalid_point_gets_einval(void)
{
    uint8_t priv[32], x[32], y[32], out[32];

    if (!p256_available()) {
        return;
    }
    hex(DEBUG_PRIV, priv, 32);
    hex(DEBUG_PUB_X, x, 32);
    hex(DEBUG_PUB_Y, y, 32);
    y[31] ^= 0x01; /* off the curve */
    BH_CHECK_EQ(bh_crypto_p256_dhkey(priv, x, y, out), -EINVAL);
    y[31] ^= 0x01;

    uint8_t zero[32] = {0};
    BH_CHECK_EQ(bh_crypto_p256_dhkey(priv, zero, zero, out), -EINVAL);

    uint8_t p[32]; /* x = p, the field prime: out of range */
    hex("ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff ffffffff", p, 32);
    BH_CHECK_EQ(bh_crypto_p256_dhkey(priv, p, y, out), -EINVAL);

    BH_CHECK_EQ(bh_crypto_p256_dhkey(zero, x, y, out), -EINVAL); /* private key 0 */
    uint8_t n[32]; /* private key n, the group order */
    hex("ffffffff 00000000 ffffffff ffffffff bce6faad a7179e84 f3b9cac2 fc632551", n, 32);
    BH_CHECK_EQ(bh_crypto_p256_dhkey(n, x, y, out), -EINVAL);

    BH_CHECK_EQ(bh_crypto_p256_dhkey(priv, x, y, out), 0); /* the fixed point is fine */
}

static void test_crypto_p256_is_debug_key_matches_only_debug_x(void)
{
    uint8_t x[32];

    hex(DEBUG_PUB_X, x, 32);
    BH_CHECK(bh_crypto_p256_is_debug_key(x));
    x[31] ^= 0x01;
    BH_CHECK(!bh_crypto_p256_is_debug_key(x));
    hex(DEBUG_PUB_Y, x, 32);
    BH_CHECK(!bh_crypto_p256_is_debug_key(x));
}

BH_TEST_MAIN(BH_TEST(test_crypto_ah_appendix_d_matches),
             BH_TEST(test_crypto_c1_spec_example_matches),
             BH_TEST(test_crypto_s1_spec_example_matches),
             BH_TEST(test_crypto_f4_appendix_d_matches),
             BH_TEST(test_crypto_f5_appendix_d_matches),
             BH_TEST(test_crypto_f6_appendix_d_matches),
             BH_TEST(test_crypto_g2_appendix_d_matches),
             BH_TEST(test_crypto_h6_appendix_d_matches),
             BH_TEST(test_crypto_h7_appendix_d_matches),
             BH_TEST(test_crypto_rpa_generate_uses_ah_and_resolves),
             BH_TEST(test_crypto_rpa_generate_forces_type_bits_and_rejects_flat_prand),
             BH_TEST(test_crypto_random_without_source_fails),
             BH_TEST(test_crypto_p256_debug_key_sample_data_agree),
             BH_TEST(test_crypto_p256_sample_set2_agree),
             BH_TEST(test_crypto_p256_keygen_pairs_agree),
             BH_TEST(test_crypto_p256_keygen_without_entropy_fails),
             BH_TEST(test_crypto_p256_invalid_point_gets_einval),
             BH_TEST(test_crypto_p256_is_debug_key_matches_only_debug_x))

/* SPDX-License-Identifier: MIT */
/*
 * test_crypto_aes_cmac.c: AES-128 against FIPS-197 (Appendix B and C.1), the
 * builtin cipher against the configured backend on random keys and blocks,
 * AES-CMAC against the four examples of RFC 4493 4, and the segmented CMAC
 * against the contiguous one for every way of cutting a message.
 */
#include "bh_test.h"
#include "crypto/bh_crypto.h"

/* Parses a hex string of exactly n bytes into out (fails the test otherwise). */
static void hex(const char *s, uint8_t *out, size_t n)
{
    BH_CHECK_EQ(bh_test_hex(s, out, n), (int)n);
}

/* Deterministic xorshift32, so a failure reproduces. */
static uint32_t prng_state = 0x2545f491u;

static uint8_t prng_byte(void)
{
    prng_state ^= prng_state << 13;
    prng_state ^= prng_state >> 17;
    prng_state ^= prng_state << 5;
    return (uint8_t)(prng_state >> 24);
}

static void prng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = prng_byte();
    }
}

struct aes_case {
    const char *key;
    const char *in;
    const char *out;
};

static const struct aes_case fips197_cases[] = {
    /* FIPS-197 Appendix B, cipher example */
    {"2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
     "3925841d02dc09fbdc118597196a0b32"},
    /* FIPS-197 Appendix C.1, AES-128 */
    {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
     "69c4e0d86a7b0430d8cdb78070b4c55a"},
};

static void run_aes_cases(int (*aes)(const uint8_t *, const uint8_t *, uint8_t *))
{
    for (size_t i = 0; i < sizeof(fips197_cases) / sizeof(fips197_cases[0]); i++) {
        uint8_t key[16], in[16], out[16];

        hex(fips197_cases[i].key, key, 16);
        hex(fips197_cases[i].in, in, 16);
        BH_CHECK_EQ(aes(key, in, out), 0);
        BH_CHECK_HEX(out, 16, fips197_cases[i].out);
        BH_CHECK_EQ(aes(key, in, in), 0); /* in place */
        BH_CHECK_HEX(in, 16, fips197_cases[i].out);
    }
}

static void test_crypto_aes_backend_fips197_vectors_match(void)
{
    run_aes_cases(bh_crypto_aes128);
}

static void test_crypto_aes_builtin_fips197_vectors_match(void)
{
    run_aes_cases(bh_crypto_builtin_aes128);
}

/* With BH_CRYPTO=mbedtls this compares our cipher with mbedtls' on 1000 random inputs. */
static void test_crypto_aes_builtin_random_blocks_match_backend(void)
{
    for (int i = 0; i < 1000; i++) {
        uint8_t key[16], in[16], want[16], got[16];

        prng_fill(key, sizeof(key));
        prng_fill(in, sizeof(in));
        BH_CHECK_EQ(bh_crypto_aes128(key, in, want), 0);
        BH_CHECK_EQ(bh_crypto_builtin_aes128(key, in, got), 0);
        BH_CHECK_MEM(got, want, 16);
    }
}

static const char rfc4493_key[] = "2b7e151628aed2a6abf7158809cf4f3c";
static const char rfc4493_msg[] = "6bc1bee22e409f96e93d7e117393172a"
                                  "ae2d8a571e03ac9c9eb76fac45af8e51"
                                  "30c81c46a35ce411e5fbc1191a0a52ef"
                                  "f69f2445df4f9b17ad2b417be66c3710";

struct cmac_case {
    size_t len;
    const char *mac;
};

/* RFC 4493 4: Examples 1-4 (Mlen 0, 128, 320, 512 bits). */
static const struct cmac_case rfc4493_cases[] = {
    {0, "bb1d6929e95937287fa37d129b756746"},
    {16, "070a16b46b4d4144f79bdd9dd04a287c"},
    {40, "dfa66747de9ae63030ca32611497c827"},
    {64, "51f0bebf7e3b9d92fc49741779363cfe"},
};

static void test_crypto_cmac_rfc4493_examples_match(void)
{
    uint8_t key[16], msg[64], mac[16];

    hex(rfc4493_key, key, 16);
    hex(rfc4493_msg, msg, 64);
    for (size_t i = 0; i < sizeof(rfc4493_cases) / sizeof(rfc4493_cases[0]); i++) {
        BH_CHECK_EQ(bh_crypto_cmac(key, msg, rfc4493_cases[i].len, mac), 0);
        BH_CHECK_HEX(mac, 16, rfc4493_cases[i].mac);
    }
    BH_CHECK_EQ(bh_crypto_cmac(key, NULL, 0, mac), 0); /* empty message, no pointer */
    BH_CHECK_HEX(mac, 16, rfc4493_cases[0].mac);
}

/* Every split of every prefix into three segments (some empty) gives the same MAC. */
static void test_crypto_cmac_segments_match_contiguous(void)
{
    uint8_t key[16], msg[64], want[16], got[16];

    hex(rfc4493_key, key, 16);
    hex(rfc4493_msg, msg, 64);
    for (size_t len = 0; len <= 48; len++) {
        BH_CHECK_EQ(bh_crypto_cmac(key, msg, len, want), 0);
        for (size_t a = 0; a <= len; a++) {
            for (size_t b = a; b <= len; b++) {
                const struct bh_crypto_seg segs[] = {
                    {msg, a}, {msg + a, b - a}, {NULL, 0}, {msg + b, len - b}};

                BH_CHECK_EQ(bh_crypto_cmac_segs(key, segs, 4, got), 0);
                BH_CHECK_MEM(got, want, 16);
            }
        }
    }
    BH_CHECK_EQ(bh_crypto_cmac_segs(key, NULL, 0, got), 0);
    BH_CHECK_HEX(got, 16, rfc4493_cases[0].mac);
}

static void test_crypto_swap_reverses_copy_and_in_place(void)
{
    uint8_t src[7] = {1, 2, 3, 4, 5, 6, 7};
    uint8_t dst[7];
    uint8_t even[6] = {1, 2, 3, 4, 5, 6};

    bh_crypto_swap(dst, src, sizeof(src));
    BH_CHECK_HEX(dst, 7, "07 06 05 04 03 02 01");
    bh_crypto_swap(src, src, sizeof(src));
    BH_CHECK_HEX(src, 7, "07 06 05 04 03 02 01");
    bh_crypto_swap(even, even, sizeof(even));
    BH_CHECK_HEX(even, 6, "06 05 04 03 02 01");
    bh_crypto_swap(dst, src, 0);
    BH_CHECK_HEX(dst, 7, "07 06 05 04 03 02 01");
}

BH_TEST_MAIN(BH_TEST(test_crypto_aes_backend_fips197_vectors_match),
             BH_TEST(test_crypto_aes_builtin_fips197_vectors_match),
             BH_TEST(test_crypto_aes_builtin_random_blocks_match_backend),
             BH_TEST(test_crypto_cmac_rfc4493_examples_match),
             BH_TEST(test_crypto_cmac_segments_match_contiguous),
             BH_TEST(test_crypto_swap_reverses_copy_and_in_place))

/* SPDX-License-Identifier: MIT */
/*
 * bh_test.h: the minimal unit-test harness every C test uses.
 *
 * A test file defines `static void test_x(void)` functions and lists them in
 * BH_TEST_MAIN(...). A failed check prints file:line and the expression and
 * fails the current test, which stops at once (longjmp); the rest still run.
 * The binary prints "N passed, N failed" and exits non-zero on any failure.
 */
#ifndef BH_TEST_H
#define BH_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bh_test_case {
    const char *name;
    void (*fn)(void);
};

extern jmp_buf bh_test_jmp;
extern const char *bh_test_current;

void bh_test_fail(const char *file, int line, const char *msg);
int bh_test_run(const struct bh_test_case *cases, size_t n, int argc, char **argv);
/* Parses "01 0a ff" (spaces optional) into out; returns the byte count or -1. */
int bh_test_hex(const char *hex, uint8_t *out, size_t cap);
/* Formats bytes as "01 0a ff" into a static buffer (for failure messages). */
const char *bh_test_tohex(const uint8_t *p, size_t n);

#define BH_CHECK(expr)                                                                     \
    do {                                                                                   \
        if (!(expr)) {                                                                     \
            bh_test_fail(__FILE__, __LINE__, #expr);                                       \
        }                                                                                  \
    } while (0)

#define BH_CHECK_EQ(a, b)                                                                  \
    do {                                                                                   \
        long long bh_a_ = (long long)(a), bh_b_ = (long long)(b);                          \
        if (bh_a_ != bh_b_) {                                                              \
            char bh_m_[256];                                                               \
            snprintf(bh_m_, sizeof(bh_m_), "%s == %s (%lld != %lld)", #a, #b, bh_a_, bh_b_); \
            bh_test_fail(__FILE__, __LINE__, bh_m_);                                       \
        }                                                                                  \
    } while (0)

#define BH_CHECK_MEM(a, b, n)                                                              \
    do {                                                                                   \
        if (memcmp((a), (b), (n)) != 0) {                                                  \
            char bh_m_[1024];                                                              \
            snprintf(bh_m_, sizeof(bh_m_), "memcmp(%s, %s, %s): got %s", #a, #b, #n,      \
                     bh_test_tohex((const uint8_t *)(a), (n)));                            \
            bh_test_fail(__FILE__, __LINE__, bh_m_);                                       \
        }                                                                                  \
    } while (0)

/* Compares n bytes at p with a hex string ("01 0a 00"), length included. */
#define BH_CHECK_HEX(p, n, hex)                                                            \
    do {                                                                                   \
        uint8_t bh_x_[1024];                                                               \
        int bh_xn_ = bh_test_hex((hex), bh_x_, sizeof(bh_x_));                             \
        if (bh_xn_ < 0 || (size_t)bh_xn_ != (size_t)(n) ||                                 \
            memcmp((p), bh_x_, (size_t)bh_xn_) != 0) {                                     \
            char bh_m_[2600];                                                              \
            snprintf(bh_m_, sizeof(bh_m_), "bytes differ\n    want %s\n    got  %s", (hex),  \
                     bh_test_tohex((const uint8_t *)(p), (n)));                            \
            bh_test_fail(__FILE__, __LINE__, bh_m_);                                       \
        }                                                                                  \
    } while (0)

#define BH_TEST(fn) {#fn, fn}
#define BH_TEST_MAIN(...)                                                                  \
    int main(int argc, char **argv)                                                        \
    {                                                                                      \
        static const struct bh_test_case cases[] = {__VA_ARGS__};                          \
        return bh_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);           \
    }

#endif /* BH_TEST_H */

/* SPDX-License-Identifier: MIT */
/*
 * bh_assert.h: checks of our own invariants (never of input: input is
 * checked with if, in every build). BH_CONFIG_ASSERT=0 compiles them out.
 */
#ifndef BH_ASSERT_H
#define BH_ASSERT_H

#include "blehost/bh_config.h"

_Noreturn void bh_assert_failed(const char *file, int line, const char *expr);

#if BH_CONFIG_ASSERT
#define BH_ASSERT(expr)                                                                     \
    do {                                                                                    \
        if (!(expr)) {                                                                      \
            bh_assert_failed(__FILE__, __LINE__, #expr);                                    \
        }                                                                                   \
    } while (0)
#else
#define BH_ASSERT(expr) ((void)sizeof(expr))
#endif

#define BH_MUST_CHECK __attribute__((warn_unused_result))
#define BH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BH_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BH_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif /* BH_ASSERT_H */

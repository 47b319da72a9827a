/* SPDX-License-Identifier: MIT */
/*
 * common_rng.c: the entropy source of the crypto layer. The port or the
 * application supplies it (getrandom() on POSIX, a TRNG, or bytes the HCI
 * layer gathered with LE Rand, Core 5.4 Vol 4 Part E 7.8.23); the P-256
 * backend and SMP's nonces draw from it through bh_crypto_random().
 */
#include "bh_crypto.h"

#include <errno.h>
#include <string.h>

static struct {
    bh_crypto_rng_t rng;
} rng_ctx;

void bh_crypto_set_rng(bh_crypto_rng_t rng)
{
    rng_ctx.rng = rng;
}

int bh_crypto_random(void *buf, size_t len)
{
    if (rng_ctx.rng == NULL) {
        return -EOPNOTSUPP;
    }
    if (len == 0) {
        return 0; /* a probe: is a source set? The callback is not called. */
    }
    if (rng_ctx.rng(buf, len) != 0) {
        memset(buf, 0, len); /* never leave a half-filled "random" value behind */
        return -EIO;
    }
    return 0;
}

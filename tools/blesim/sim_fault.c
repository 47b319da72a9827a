/* SPDX-License-Identifier: MIT */
/*
 * sim_fault.c: the seeded pseudo-random source behind every random choice
 * blesim makes (advertising delay, PDU loss, LE Rand, key generation seeds),
 * so a run with the same --seed and the same host traffic repeats.
 * xorshift64* (Vigna 2014): small, fast, and good enough for a simulator;
 * not for secrets.
 */
#include "sim.h"

#include "crypto/bh_crypto.h"

struct fault_ctx {
    uint64_t state;
};

static struct fault_ctx fault_ctx = {.state = 0x9E3779B97F4A7C15ull};

static int fault_crypto_rng(void *buf, size_t len)
{
    sim_rand_bytes(buf, len);
    return 0;
}

void sim_rand_seed(uint64_t seed)
{
    /* splitmix64 step so that small seeds (0, 1, 2) give unrelated streams */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    fault_ctx.state = z != 0 ? z : 1;
    bh_crypto_set_rng(fault_crypto_rng);
}

uint32_t sim_rand_u32(void)
{
    uint64_t x = fault_ctx.state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fault_ctx.state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

void sim_rand_bytes(uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint8_t)sim_rand_u32();
    }
}

bool sim_fault_pdu_lost(void)
{
    if (sim_opts.loss <= 0.0) {
        return false;
    }
    return (double)sim_rand_u32() < sim_opts.loss * 4294967296.0;
}

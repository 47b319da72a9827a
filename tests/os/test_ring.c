/* SPDX-License-Identifier: MIT */
/* test_ring.c: the SPSC byte ring (src/os/ring.c). */
#include <pthread.h>

#include "bh_test.h"
#include "blehost/bh_os.h"

static uint8_t mem[16];

static size_t drain(struct bh_ring *r, uint8_t *out, size_t cap)
{
    size_t got = 0;
    const uint8_t *p;
    size_t n;

    while (got < cap && (n = bh_ring_peek(r, &p)) > 0) {
        if (n > cap - got) {
            n = cap - got;
        }
        memcpy(out + got, p, n);
        bh_ring_consume(r, n);
        got += n;
    }
    return got;
}

static void test_ring_empty_peek_returns_zero(void)
{
    struct bh_ring r;
    const uint8_t *p = mem;

    bh_ring_init(&r, mem, sizeof(mem));
    BH_CHECK_EQ(bh_ring_used(&r), 0);
    BH_CHECK_EQ(bh_ring_peek(&r, &p), 0);
    BH_CHECK(p == NULL);
}

static void test_ring_put_peek_consume_roundtrip(void)
{
    struct bh_ring r;
    const uint8_t *p;
    uint8_t out[16];

    bh_ring_init(&r, mem, sizeof(mem));
    BH_CHECK_EQ(bh_ring_put(&r, (const uint8_t *)"hello", 5), 5);
    BH_CHECK_EQ(bh_ring_used(&r), 5);
    BH_CHECK_EQ(bh_ring_peek(&r, &p), 5);
    BH_CHECK_MEM(p, "hello", 5);
    bh_ring_consume(&r, 2);
    BH_CHECK_EQ(bh_ring_used(&r), 3);
    BH_CHECK_EQ(drain(&r, out, sizeof(out)), 3);
    BH_CHECK_MEM(out, "llo", 3);
    BH_CHECK_EQ(bh_ring_used(&r), 0);
}

static void test_ring_full_put_copies_what_fits(void)
{
    struct bh_ring r;
    uint8_t in[20], out[20];

    for (int i = 0; i < 20; i++) {
        in[i] = (uint8_t)i;
    }
    bh_ring_init(&r, mem, sizeof(mem));
    BH_CHECK_EQ(bh_ring_put(&r, in, 20), 16);
    BH_CHECK_EQ(bh_ring_put(&r, in, 1), 0);
    BH_CHECK_EQ(bh_ring_used(&r), 16);
    BH_CHECK_EQ(drain(&r, out, sizeof(out)), 16);
    BH_CHECK_MEM(out, in, 16);
}

static void test_ring_wrapping_data_peeks_in_two_runs(void)
{
    struct bh_ring r;
    const uint8_t *p;
    uint8_t in[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t out[16];

    bh_ring_init(&r, mem, sizeof(mem));
    BH_CHECK_EQ(bh_ring_put(&r, in, 10), 10);
    bh_ring_consume(&r, 10);
    BH_CHECK_EQ(bh_ring_put(&r, in, 10), 10); /* 6 at the end, 4 at the start */
    BH_CHECK_EQ(bh_ring_peek(&r, &p), 6);
    BH_CHECK(p == mem + 10);
    bh_ring_consume(&r, 6);
    BH_CHECK_EQ(bh_ring_peek(&r, &p), 4);
    BH_CHECK(p == mem);
    BH_CHECK_MEM(p, in + 6, 4);
    bh_ring_consume(&r, 4);
    BH_CHECK_EQ(drain(&r, out, sizeof(out)), 0);
}

static void test_ring_counters_wrap_at_2_pow_32(void)
{
    struct bh_ring r;
    uint8_t in[12] = "abcdefghijk";
    uint8_t out[12];

    bh_ring_init(&r, mem, sizeof(mem));
    r.head = 0xFFFFFFFAu; /* as after 4 GiB of traffic */
    r.tail = 0xFFFFFFFAu;
    BH_CHECK_EQ(bh_ring_put(&r, in, 12), 12);
    BH_CHECK_EQ(r.head, 6);
    BH_CHECK_EQ(bh_ring_used(&r), 12);
    BH_CHECK_EQ(bh_ring_put(&r, in, 12), 4); /* room for exactly 4 more */
    BH_CHECK_EQ(drain(&r, out, 12), 12);
    BH_CHECK_MEM(out, in, 12);
    BH_CHECK_EQ(bh_ring_used(&r), 4);
}

#define STRESS_BYTES 300000u

static void *producer(void *arg)
{
    struct bh_ring *r = arg;
    uint32_t sent = 0;

    while (sent < STRESS_BYTES) {
        uint8_t chunk[7];
        size_t n = STRESS_BYTES - sent < sizeof(chunk) ? STRESS_BYTES - sent : sizeof(chunk);

        for (size_t i = 0; i < n; i++) {
            chunk[i] = (uint8_t)((sent + i) * 31u);
        }
        sent += (uint32_t)bh_ring_put(r, chunk, n); /* spins while full */
    }
    return NULL;
}

static void test_ring_concurrent_producer_delivers_every_byte_in_order(void)
{
    static uint8_t big[64];
    struct bh_ring r;
    pthread_t th;
    uint32_t got = 0;
    bool ok = true;

    bh_ring_init(&r, big, sizeof(big));
    BH_CHECK_EQ(pthread_create(&th, NULL, producer, &r), 0);
    while (got < STRESS_BYTES) {
        const uint8_t *p;
        size_t n = bh_ring_peek(&r, &p);

        for (size_t i = 0; i < n; i++) {
            ok = ok && p[i] == (uint8_t)((got + i) * 31u);
        }
        bh_ring_consume(&r, n);
        got += (uint32_t)n;
    }
    BH_CHECK_EQ(pthread_join(th, NULL), 0);
    BH_CHECK(ok);
    BH_CHECK_EQ(bh_ring_used(&r), 0);
}

BH_TEST_MAIN(BH_TEST(test_ring_empty_peek_returns_zero),
             BH_TEST(test_ring_put_peek_consume_roundtrip),
             BH_TEST(test_ring_full_put_copies_what_fits),
             BH_TEST(test_ring_wrapping_data_peeks_in_two_runs),
             BH_TEST(test_ring_counters_wrap_at_2_pow_32),
             BH_TEST(test_ring_concurrent_producer_delivers_every_byte_in_order))

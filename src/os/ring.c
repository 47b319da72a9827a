/* SPDX-License-Identifier: MIT */
/*
 * ring.c: single-producer single-consumer byte ring.
 *
 * The producer (an ISR, a reader thread) calls bh_ring_put(); the host
 * consumes with bh_ring_peek()/bh_ring_consume(). Head and tail are free
 * running 32-bit counters (used = head - tail, wrap-safe because the size
 * is a power of two no larger than 2^31). Each side writes only its own
 * counter. Ordering uses the GCC/Clang __atomic builtins (C11 memory model):
 * the producer copies the bytes, then publishes head with release; the
 * consumer reads head with acquire before touching the bytes, and publishes
 * tail with release after it is done with them, which the producer reads
 * with acquire before overwriting. On a single core these are plain 32-bit
 * loads and stores plus compiler barriers, so no critical section is needed.
 */
#include <string.h>

#include "bh_assert.h"
#include "blehost/bh_os.h"

void bh_ring_init(struct bh_ring *r, uint8_t *buf, uint32_t size_pow2)
{
    BH_ASSERT(buf != NULL && size_pow2 != 0 && (size_pow2 & (size_pow2 - 1)) == 0);
    BH_ASSERT(size_pow2 <= 0x80000000u);
    r->buf = buf;
    r->size = size_pow2;
    __atomic_store_n(&r->head, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->tail, 0, __ATOMIC_RELAXED);
}

size_t bh_ring_put(struct bh_ring *r, const uint8_t *data, size_t len)
{
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED); /* our own */
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint32_t space = r->size - (head - tail);
    uint32_t n = len < space ? (uint32_t)len : space;
    uint32_t off = head & (r->size - 1);
    uint32_t first = n < r->size - off ? n : r->size - off;

    if (n == 0) {
        return 0;
    }
    memcpy(r->buf + off, data, first);
    memcpy(r->buf, data + first, n - first);
    __atomic_store_n(&r->head, head + n, __ATOMIC_RELEASE);
    return n;
}

size_t bh_ring_peek(struct bh_ring *r, const uint8_t **data)
{
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED); /* our own */
    uint32_t used = head - tail;
    uint32_t off = tail & (r->size - 1);
    uint32_t run = used < r->size - off ? used : r->size - off;

    *data = run > 0 ? r->buf + off : NULL;
    return run;
}

void bh_ring_consume(struct bh_ring *r, size_t n)
{
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
    uint32_t used = head - tail;

    BH_ASSERT(n <= used);
    if (n > used) {
        n = used;
    }
    __atomic_store_n(&r->tail, tail + (uint32_t)n, __ATOMIC_RELEASE);
}

size_t bh_ring_used(const struct bh_ring *r)
{
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

    return head - tail;
}

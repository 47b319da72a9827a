/* SPDX-License-Identifier: MIT */
/*
 * bh_buf.h: packet buffers from fixed pools, in the style of network buffers.
 *
 * A buffer has a data area with headroom (lower layers prepend headers in
 * place with push), the data itself (pull consumes from the front, add
 * appends at the tail), a reference count and a small user-data area for
 * the owning layer's metadata. The last unref returns it to its pool.
 * Every accessor checks its bounds and fails soft (NULL), in every build:
 * a length from the air can never move a pointer outside the buffer.
 * Host context only.
 */
#ifndef BH_BUF_H
#define BH_BUF_H

#include <stdbool.h>
#include <stdint.h>

#include "bh_os.h"

struct bh_buf_pool;

struct bh_buf {
    struct bh_snode node; /* for queueing in a bh_fifo while owned */
    struct bh_buf_pool *pool;
    uint8_t *data;        /* first byte of data (after headroom) */
    uint16_t len;         /* bytes of data */
    uint16_t size;        /* bytes of the whole area */
    uint8_t ref;
    uint8_t flags;        /* owner's use */
    _Alignas(void *) uint8_t user_data[BH_CONFIG_BUF_USER_DATA];
    uint8_t *area;        /* start of the whole area */
};

struct bh_buf_pool {
    const char *name;
    struct bh_buf *bufs;
    uint8_t *storage;
    uint16_t count;
    uint16_t data_size;
    struct bh_snode *free_list;
    uint16_t free_count;
    uint16_t min_free;      /* low-water mark */
    uint32_t alloc_failed;  /* allocations that found the pool empty */
    struct bh_fifo waiters; /* bh_work submitted once a buffer comes back */
};

/* Static storage and a pool `name` of `count` buffers of `size` bytes each. */
#define BH_BUF_POOL_DEFINE(nm, cnt, sz)                                                     \
    static struct bh_buf nm##_bufs[cnt];                                                    \
    static uint8_t nm##_storage[(cnt) * (sz)];                                              \
    static struct bh_buf_pool nm = {                                                        \
        .name = #nm, .bufs = nm##_bufs, .storage = nm##_storage, .count = (cnt),            \
        .data_size = (sz),                                                                  \
    }

/* (Re)build: every buffer free, waiters dropped. Call when no buffer of
 * the pool is referenced any more (init, or after a full shutdown). */
void bh_buf_pool_init(struct bh_buf_pool *pool);
/* A buffer with `headroom` bytes reserved before data, len 0, ref 1,
 * user data zeroed; NULL if the pool is empty or headroom > size. */
struct bh_buf *bh_buf_alloc(struct bh_buf_pool *pool, uint16_t headroom);
/* Register work to submit when a buffer returns to the pool (one-shot;
 * no-op if already registered or already queued to run; submitted at once
 * if a buffer is free now). For "owe it, send when a buffer frees". */
void bh_buf_pool_wait(struct bh_buf_pool *pool, struct bh_work *work);
void bh_buf_pool_unwait(struct bh_buf_pool *pool, struct bh_work *work);

static inline uint16_t bh_buf_pool_free_count(const struct bh_buf_pool *pool)
{
    return pool->free_count;
}

struct bh_buf *bh_buf_ref(struct bh_buf *buf);
/* Drop a reference; the last returns it to its pool. NULL is a no-op. */
void bh_buf_unref(struct bh_buf *buf);

uint16_t bh_buf_headroom(const struct bh_buf *buf);
uint16_t bh_buf_tailroom(const struct bh_buf *buf);
/* Only on an empty buffer: move the start of data to leave n bytes headroom. */
int bh_buf_reserve(struct bh_buf *buf, uint16_t n);
/* Prepend n bytes (returns their start) or NULL if headroom is short. */
uint8_t *bh_buf_push(struct bh_buf *buf, uint16_t n);
/* Consume n bytes from the front (returns their old start) or NULL if len < n. */
uint8_t *bh_buf_pull(struct bh_buf *buf, uint16_t n);
/* Append n bytes at the tail (returns their start) or NULL if tailroom is short. */
uint8_t *bh_buf_add(struct bh_buf *buf, uint16_t n);
/* Append a copy of n bytes: 0 or -EMSGSIZE. */
int bh_buf_add_mem(struct bh_buf *buf, const void *mem, uint16_t n);
int bh_buf_add_u8(struct bh_buf *buf, uint8_t v);
int bh_buf_add_le16(struct bh_buf *buf, uint16_t v);
int bh_buf_push_u8(struct bh_buf *buf, uint8_t v);
int bh_buf_push_le16(struct bh_buf *buf, uint16_t v);
/* Drop bytes beyond len (len must not exceed the current length). */
void bh_buf_truncate(struct bh_buf *buf, uint16_t len);

static inline void *bh_buf_user_data(struct bh_buf *buf)
{
    return buf->user_data;
}

#endif /* BH_BUF_H */

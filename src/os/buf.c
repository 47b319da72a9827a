/* SPDX-License-Identifier: MIT */
/*
 * buf.c: packet buffers from fixed pools (bh_buf.h).
 *
 * Each pool is static storage cut into equal data areas, one per struct
 * bh_buf. A pool defined with BH_BUF_POOL_DEFINE is zeroed data until its
 * first use: alloc and wait build it on demand (a built pool has every
 * buffer pointing back at it), and bh_buf_pool_init() rebuilds it.
 * Every length check here is a real check in every build: lengths may come
 * from the air, so a bad one fails soft (NULL or -EMSGSIZE), never asserts.
 * Reference-count misuse is our own bug and asserts.
 */
#include "blehost/bh_buf.h"

#include <errno.h>
#include <string.h>

#include "bh_assert.h"
#include "work.h"

static bool pool_is_built(const struct bh_buf_pool *pool)
{
    return pool->bufs[0].pool == pool;
}

void bh_buf_pool_init(struct bh_buf_pool *pool)
{
    BH_ASSERT(pool->count > 0 && pool->bufs != NULL && pool->storage != NULL);
    pool->free_list = NULL;
    for (uint16_t i = pool->count; i-- > 0;) {
        struct bh_buf *b = &pool->bufs[i];

        memset(b, 0, sizeof(*b));
        b->pool = pool;
        b->area = pool->storage + (size_t)i * pool->data_size;
        b->data = b->area;
        b->size = pool->data_size;
        b->node.next = pool->free_list;
        pool->free_list = &b->node;
    }
    pool->free_count = pool->count;
    pool->min_free = pool->count;
    pool->alloc_failed = 0;
    bh_fifo_init(&pool->waiters);
}

static void pool_build_once(struct bh_buf_pool *pool)
{
    if (!pool_is_built(pool)) {
        bh_buf_pool_init(pool);
    }
}

struct bh_buf *bh_buf_alloc(struct bh_buf_pool *pool, uint16_t headroom)
{
    struct bh_snode *n;
    struct bh_buf *b;

    pool_build_once(pool);
    if (headroom > pool->data_size) {
        return NULL;
    }
    n = pool->free_list;
    if (n == NULL) {
        pool->alloc_failed++;
        return NULL;
    }
    pool->free_list = n->next;
    pool->free_count--;
    if (pool->free_count < pool->min_free) {
        pool->min_free = pool->free_count;
    }
    b = BH_CONTAINER_OF(n, struct bh_buf, node);
    BH_ASSERT(b->pool == pool && b->ref == 0);
    b->node.next = NULL;
    b->data = b->area + headroom;
    b->len = 0;
    b->ref = 1;
    b->flags = 0;
    memset(b->user_data, 0, sizeof(b->user_data));
    return b;
}

void bh_buf_pool_wait(struct bh_buf_pool *pool, struct bh_work *work)
{
    pool_build_once(pool);
    if (pool->free_count > 0) {
        bh_work_submit(work); /* one is free already: do not wait for the next */
        return;
    }
    bh_os_wait_list_add(&pool->waiters, work);
}

void bh_buf_pool_unwait(struct bh_buf_pool *pool, struct bh_work *work)
{
    bh_os_wait_list_remove(&pool->waiters, work);
}

struct bh_buf *bh_buf_ref(struct bh_buf *buf)
{
    BH_ASSERT(buf != NULL && buf->ref > 0 && buf->ref < UINT8_MAX);
    buf->ref++;
    return buf;
}

void bh_buf_unref(struct bh_buf *buf)
{
    struct bh_buf_pool *pool;

    if (buf == NULL) {
        return;
    }
    BH_ASSERT(buf->ref > 0);
    if (--buf->ref > 0) {
        return;
    }
    pool = buf->pool;
    buf->node.next = pool->free_list;
    pool->free_list = &buf->node;
    pool->free_count++;
    BH_ASSERT(pool->free_count <= pool->count);
    bh_os_wait_list_wake(&pool->waiters);
}

uint16_t bh_buf_headroom(const struct bh_buf *buf)
{
    return (uint16_t)(buf->data - buf->area);
}

uint16_t bh_buf_tailroom(const struct bh_buf *buf)
{
    return (uint16_t)(buf->size - bh_buf_headroom(buf) - buf->len);
}

int bh_buf_reserve(struct bh_buf *buf, uint16_t n)
{
    if (buf->len != 0 || n > buf->size) {
        return -EINVAL;
    }
    buf->data = buf->area + n;
    return 0;
}

uint8_t *bh_buf_push(struct bh_buf *buf, uint16_t n)
{
    if (n > bh_buf_headroom(buf)) {
        return NULL;
    }
    buf->data -= n;
    buf->len = (uint16_t)(buf->len + n);
    return buf->data;
}

uint8_t *bh_buf_pull(struct bh_buf *buf, uint16_t n)
{
    uint8_t *old = buf->data;

    if (n > buf->len) {
        return NULL;
    }
    buf->data += n;
    buf->len = (uint16_t)(buf->len - n);
    return old;
}

uint8_t *bh_buf_add(struct bh_buf *buf, uint16_t n)
{
    uint8_t *tail = buf->data + buf->len;

    if (n > bh_buf_tailroom(buf)) {
        return NULL;
    }
    buf->len = (uint16_t)(buf->len + n);
    return tail;
}

int bh_buf_add_mem(struct bh_buf *buf, const void *mem, uint16_t n)
{
    uint8_t *p = bh_buf_add(buf, n);

    if (p == NULL) {
        return -EMSGSIZE;
    }
    if (n > 0) {
        memcpy(p, mem, n);
    }
    return 0;
}

int bh_buf_add_u8(struct bh_buf *buf, uint8_t v)
{
    return bh_buf_add_mem(buf, &v, 1);
}

int bh_buf_add_le16(struct bh_buf *buf, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    return bh_buf_add_mem(buf, le, sizeof(le));
}

int bh_buf_push_u8(struct bh_buf *buf, uint8_t v)
{
    uint8_t *p = bh_buf_push(buf, 1);

    if (p == NULL) {
        return -EMSGSIZE;
    }
    p[0] = v;
    return 0;
}

int bh_buf_push_le16(struct bh_buf *buf, uint16_t v)
{
    uint8_t *p = bh_buf_push(buf, 2);

    if (p == NULL) {
        return -EMSGSIZE;
    }
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return 0;
}

void bh_buf_truncate(struct bh_buf *buf, uint16_t len)
{
    if (len < buf->len) {
        buf->len = len;
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * slab.c: fixed-size blocks from static storage (BH_SLAB_DEFINE).
 *
 * Free blocks are chained through their first word. When a block has room
 * for a second word, it also holds a mark derived from its address while
 * free, so bh_slab_free() can tell a double free in O(1) in the common
 * case (the mark is only a hint; a match is confirmed on the free list).
 * Allocation zeroes the block, which also wipes the mark.
 */
#include <string.h>

#include "bh_assert.h"
#include "blehost/bh_os.h"

#define SLAB_FREE_KEY ((uintptr_t)0x5AB1F4EEu)

struct slab_free {
    struct bh_snode node;
    uintptr_t mark; /* address ^ SLAB_FREE_KEY while free */
};

static bool slab_has_mark(const struct bh_slab *s)
{
    return s->block_size >= sizeof(struct slab_free);
}

static void slab_push(struct bh_slab *s, uint8_t *block)
{
    struct slab_free *f = (struct slab_free *)(void *)block;

    f->node.next = s->free_list;
    s->free_list = &f->node;
    if (slab_has_mark(s)) {
        f->mark = (uintptr_t)block ^ SLAB_FREE_KEY;
    }
}

void bh_slab_init(struct bh_slab *s)
{
    BH_ASSERT(s->mem != NULL && s->block_size >= sizeof(void *));
    BH_ASSERT(s->block_size % _Alignof(void *) == 0);
    s->free_list = NULL;
    /* Pushed last to first, so blocks come out in address order. */
    for (uint16_t i = s->count; i-- > 0;) {
        slab_push(s, s->mem + (size_t)i * s->block_size);
    }
    s->free_count = s->count;
    s->min_free = s->count;
    s->ready = true;
}

void *bh_slab_alloc(struct bh_slab *s)
{
    struct bh_snode *n;

    if (!s->ready) {
        bh_slab_init(s);
    }
    n = s->free_list;
    if (n == NULL) {
        return NULL;
    }
    s->free_list = n->next;
    s->free_count--;
    if (s->free_count < s->min_free) {
        s->min_free = s->free_count;
    }
    memset(n, 0, s->block_size);
    return n;
}

#if BH_CONFIG_ASSERT
static bool slab_owns(const struct bh_slab *s, const void *block)
{
    uintptr_t p = (uintptr_t)block;
    uintptr_t base = (uintptr_t)s->mem;

    return p >= base && p - base < (uintptr_t)s->count * s->block_size &&
           (p - base) % s->block_size == 0;
}

static bool slab_is_free(const struct bh_slab *s, const void *block)
{
    if (slab_has_mark(s) &&
        ((const struct slab_free *)block)->mark != ((uintptr_t)block ^ SLAB_FREE_KEY)) {
        return false; /* in use for sure */
    }
    for (const struct bh_snode *n = s->free_list; n != NULL; n = n->next) {
        if ((const void *)n == block) {
            return true;
        }
    }
    return false;
}

/* A block coming back must be one of ours, at a block boundary, and in use. */
static void slab_check_return(const struct bh_slab *s, const void *block)
{
    BH_ASSERT(s->ready);
    BH_ASSERT(slab_owns(s, block));
    BH_ASSERT(!slab_is_free(s, block));
}
#else
static void slab_check_return(const struct bh_slab *s, const void *block)
{
    (void)s;
    (void)block;
}
#endif

void bh_slab_free(struct bh_slab *s, void *block)
{
    if (block == NULL) {
        return;
    }
    slab_check_return(s, block);
    slab_push(s, block);
    s->free_count++;
    BH_ASSERT(s->free_count <= s->count);
}

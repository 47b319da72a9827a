/* SPDX-License-Identifier: MIT */
/*
 * fifo.c: intrusive singly linked FIFOs (struct bh_fifo of struct bh_snode).
 *
 * Queueing never allocates: the node lives inside the queued object. Put and
 * get are O(1); remove walks the list. Not concurrency-safe by itself: host
 * context only, like everything that is not marked "any context".
 */
#include "blehost/bh_os.h"

#include "bh_assert.h"

void bh_fifo_init(struct bh_fifo *f)
{
    f->head = NULL;
    f->tail = NULL;
}

void bh_fifo_put(struct bh_fifo *f, struct bh_snode *n)
{
    BH_ASSERT(n != NULL);
    n->next = NULL;
    if (f->tail == NULL) {
        f->head = n;
    } else {
        f->tail->next = n;
    }
    f->tail = n;
}

void bh_fifo_put_head(struct bh_fifo *f, struct bh_snode *n)
{
    BH_ASSERT(n != NULL);
    n->next = f->head;
    f->head = n;
    if (f->tail == NULL) {
        f->tail = n;
    }
}

struct bh_snode *bh_fifo_get(struct bh_fifo *f)
{
    struct bh_snode *n = f->head;

    if (n == NULL) {
        return NULL;
    }
    f->head = n->next;
    if (f->head == NULL) {
        f->tail = NULL;
    }
    n->next = NULL;
    return n;
}

bool bh_fifo_remove(struct bh_fifo *f, struct bh_snode *n)
{
    struct bh_snode *prev = NULL;

    for (struct bh_snode *cur = f->head; cur != NULL; prev = cur, cur = cur->next) {
        if (cur != n) {
            continue;
        }
        if (prev == NULL) {
            f->head = n->next;
        } else {
            prev->next = n->next;
        }
        if (f->tail == n) {
            f->tail = prev;
        }
        n->next = NULL;
        return true;
    }
    return false;
}

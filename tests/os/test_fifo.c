/* SPDX-License-Identifier: MIT */
/* test_fifo.c: intrusive FIFOs (src/os/fifo.c). */
#include "bh_test.h"
#include "blehost/bh_os.h"

struct item {
    int id;
    struct bh_snode node;
};

static int id_of(struct bh_snode *n)
{
    return n == NULL ? -1 : BH_CONTAINER_OF(n, struct item, node)->id;
}

static void test_fifo_empty_get_returns_null(void)
{
    struct bh_fifo f;

    bh_fifo_init(&f);
    BH_CHECK(bh_fifo_is_empty(&f));
    BH_CHECK(bh_fifo_peek(&f) == NULL);
    BH_CHECK(bh_fifo_get(&f) == NULL);
}

static void test_fifo_put_get_keeps_order(void)
{
    struct item it[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};
    struct bh_fifo f;

    bh_fifo_init(&f);
    for (int i = 0; i < 4; i++) {
        bh_fifo_put(&f, &it[i].node);
    }
    BH_CHECK_EQ(id_of(bh_fifo_peek(&f)), 0);
    for (int i = 0; i < 4; i++) {
        BH_CHECK_EQ(id_of(bh_fifo_get(&f)), i);
    }
    BH_CHECK(bh_fifo_is_empty(&f));
    /* Reusable after draining: the tail was reset too. */
    bh_fifo_put(&f, &it[2].node);
    BH_CHECK_EQ(id_of(bh_fifo_get(&f)), 2);
    BH_CHECK(bh_fifo_get(&f) == NULL);
}

static void test_fifo_put_head_goes_first(void)
{
    struct item it[3] = {{.id = 0}, {.id = 1}, {.id = 2}};
    struct bh_fifo f;

    bh_fifo_init(&f);
    bh_fifo_put_head(&f, &it[1].node); /* into an empty fifo: also the tail */
    bh_fifo_put(&f, &it[2].node);
    bh_fifo_put_head(&f, &it[0].node);
    for (int i = 0; i < 3; i++) {
        BH_CHECK_EQ(id_of(bh_fifo_get(&f)), i);
    }
    BH_CHECK(bh_fifo_is_empty(&f));
}

static void test_fifo_remove_head_middle_tail_relinks(void)
{
    struct item it[4] = {{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}};
    struct item stranger = {.id = 9};
    struct bh_fifo f;

    bh_fifo_init(&f);
    for (int i = 0; i < 4; i++) {
        bh_fifo_put(&f, &it[i].node);
    }
    BH_CHECK(!bh_fifo_remove(&f, &stranger.node));
    BH_CHECK(bh_fifo_remove(&f, &it[3].node)); /* tail */
    BH_CHECK(bh_fifo_remove(&f, &it[0].node)); /* head */
    BH_CHECK(bh_fifo_remove(&f, &it[1].node)); /* now head, was middle */
    BH_CHECK(!bh_fifo_remove(&f, &it[1].node));
    /* The tail must be right: a put after removing the tail appends correctly. */
    bh_fifo_put(&f, &it[3].node);
    BH_CHECK_EQ(id_of(bh_fifo_get(&f)), 2);
    BH_CHECK_EQ(id_of(bh_fifo_get(&f)), 3);
    BH_CHECK(bh_fifo_get(&f) == NULL);
}

static void test_fifo_remove_only_item_empties(void)
{
    struct item it = {.id = 5};
    struct bh_fifo f;

    bh_fifo_init(&f);
    bh_fifo_put(&f, &it.node);
    BH_CHECK(bh_fifo_remove(&f, &it.node));
    BH_CHECK(bh_fifo_is_empty(&f));
    BH_CHECK(f.tail == NULL);
    bh_fifo_put(&f, &it.node);
    BH_CHECK_EQ(id_of(bh_fifo_get(&f)), 5);
}

BH_TEST_MAIN(BH_TEST(test_fifo_empty_get_returns_null), BH_TEST(test_fifo_put_get_keeps_order),
             BH_TEST(test_fifo_put_head_goes_first),
             BH_TEST(test_fifo_remove_head_middle_tail_relinks),
             BH_TEST(test_fifo_remove_only_item_empties))

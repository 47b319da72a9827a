/* SPDX-License-Identifier: MIT */
/* test_buf.c: packet buffers and pools (src/os/buf.c). */
#include <errno.h>

#include "bh_test.h"
#include "blehost/bh_buf.h"
#include "fake_port.h"

#define POOL_COUNT 3
#define POOL_SIZE 32

BH_BUF_POOL_DEFINE(test_pool, POOL_COUNT, POOL_SIZE);
BH_BUF_POOL_DEFINE(lazy_pool, 2, 16);

static struct {
    struct bh_work waiter[2];
    unsigned runs[2];
} t;

static void on_waiter(struct bh_work *w)
{
    t.runs[w - t.waiter]++;
}

static void setup(void)
{
    memset(&t, 0, sizeof(t));
    fake_port_init(1);
    bh_buf_pool_init(&test_pool);
    bh_work_init(&t.waiter[0], on_waiter);
    bh_work_init(&t.waiter[1], on_waiter);
}

static void check_pool_full(void)
{
    BH_CHECK_EQ(bh_buf_pool_free_count(&test_pool), POOL_COUNT);
}

static void test_buf_alloc_reserves_headroom_len_zero_ref_one(void)
{
    struct bh_buf *b;

    setup();
    b = bh_buf_alloc(&test_pool, 8);
    BH_CHECK(b != NULL);
    BH_CHECK(b->pool == &test_pool);
    BH_CHECK_EQ(b->len, 0);
    BH_CHECK_EQ(b->ref, 1);
    BH_CHECK_EQ(bh_buf_headroom(b), 8);
    BH_CHECK_EQ(bh_buf_tailroom(b), POOL_SIZE - 8);
    BH_CHECK_EQ(bh_buf_pool_free_count(&test_pool), POOL_COUNT - 1);
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_headroom_larger_than_size_returns_null(void)
{
    setup();
    BH_CHECK(bh_buf_alloc(&test_pool, POOL_SIZE + 1) == NULL);
    BH_CHECK_EQ(test_pool.alloc_failed, 0);            /* a bad argument, not exhaustion */
    bh_buf_unref(bh_buf_alloc(&test_pool, POOL_SIZE)); /* all headroom is fine */
    check_pool_full();
}

static void test_buf_push_past_headroom_returns_null(void)
{
    struct bh_buf *b;

    setup();
    b = bh_buf_alloc(&test_pool, 4);
    BH_CHECK_EQ(bh_buf_add_u8(b, 0xEE), 0);
    BH_CHECK_EQ(bh_buf_push_le16(b, 0x1234), 0);
    BH_CHECK_EQ(bh_buf_push_u8(b, 0xAB), 0);
    BH_CHECK_EQ(bh_buf_headroom(b), 1);
    BH_CHECK(bh_buf_push(b, 2) == NULL);
    BH_CHECK_EQ(bh_buf_push_le16(b, 0xFFFF), -EMSGSIZE);
    BH_CHECK_EQ(b->len, 4); /* unchanged by the failures */
    BH_CHECK_HEX(b->data, b->len, "ab 34 12 ee");
    BH_CHECK(bh_buf_push(b, 1) != NULL);
    BH_CHECK_EQ(bh_buf_push_u8(b, 0), -EMSGSIZE);
    BH_CHECK(bh_buf_push(b, UINT16_MAX) == NULL);
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_pull_past_len_returns_null(void)
{
    struct bh_buf *b;
    uint8_t *p;

    setup();
    b = bh_buf_alloc(&test_pool, 0);
    BH_CHECK_EQ(bh_buf_add_mem(b, "\x01\x02\x03", 3), 0);
    BH_CHECK(bh_buf_pull(b, 4) == NULL);
    BH_CHECK(bh_buf_pull(b, UINT16_MAX) == NULL);
    BH_CHECK_EQ(b->len, 3);
    p = bh_buf_pull(b, 1);
    BH_CHECK(p != NULL);
    BH_CHECK_EQ(p[0], 0x01);
    BH_CHECK_EQ(b->len, 2);
    BH_CHECK_EQ(b->data[0], 0x02);
    BH_CHECK(bh_buf_pull(b, 3) == NULL);
    BH_CHECK(bh_buf_pull(b, 2) != NULL);
    BH_CHECK_EQ(b->len, 0);
    BH_CHECK(bh_buf_pull(b, 1) == NULL);
    BH_CHECK(bh_buf_pull(b, 0) != NULL); /* zero bytes always fit */
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_add_past_tailroom_returns_null(void)
{
    struct bh_buf *b;
    uint8_t big[POOL_SIZE];

    setup();
    memset(big, 0x5A, sizeof(big));
    b = bh_buf_alloc(&test_pool, 4);
    BH_CHECK(bh_buf_add(b, POOL_SIZE - 3) == NULL);
    BH_CHECK_EQ(bh_buf_add_mem(b, big, POOL_SIZE - 3), -EMSGSIZE);
    BH_CHECK(bh_buf_add(b, UINT16_MAX) == NULL);
    BH_CHECK_EQ(b->len, 0);
    BH_CHECK_EQ(bh_buf_add_mem(b, big, POOL_SIZE - 5), 0);
    BH_CHECK_EQ(bh_buf_tailroom(b), 1);
    BH_CHECK_EQ(bh_buf_add_le16(b, 0x0102), -EMSGSIZE);
    BH_CHECK_EQ(bh_buf_add_u8(b, 0x77), 0);
    BH_CHECK_EQ(bh_buf_add_u8(b, 0x78), -EMSGSIZE);
    BH_CHECK_EQ(b->len, POOL_SIZE - 4);
    BH_CHECK_EQ(b->data[b->len - 1], 0x77);
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_add_le16_writes_little_endian(void)
{
    struct bh_buf *b;

    setup();
    b = bh_buf_alloc(&test_pool, 0);
    BH_CHECK_EQ(bh_buf_add_le16(b, 0xBEEF), 0);
    BH_CHECK_EQ(bh_buf_add_mem(b, NULL, 0), 0);
    BH_CHECK_HEX(b->data, b->len, "ef be");
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_reserve_only_on_empty_buffer(void)
{
    struct bh_buf *b;

    setup();
    b = bh_buf_alloc(&test_pool, 0);
    BH_CHECK_EQ(bh_buf_reserve(b, 10), 0);
    BH_CHECK_EQ(bh_buf_headroom(b), 10);
    BH_CHECK_EQ(bh_buf_reserve(b, POOL_SIZE + 1), -EINVAL);
    bh_buf_add_u8(b, 1);
    BH_CHECK_EQ(bh_buf_reserve(b, 2), -EINVAL);
    BH_CHECK_EQ(bh_buf_headroom(b), 10);
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_truncate_never_grows(void)
{
    struct bh_buf *b;

    setup();
    b = bh_buf_alloc(&test_pool, 0);
    bh_buf_add_mem(b, "abcdef", 6);
    bh_buf_truncate(b, 10);
    BH_CHECK_EQ(b->len, 6);
    bh_buf_truncate(b, 2);
    BH_CHECK_EQ(b->len, 2);
    BH_CHECK_EQ(bh_buf_tailroom(b), POOL_SIZE - 2);
    bh_buf_unref(b);
    check_pool_full();
}

static void test_buf_ref_unref_returns_to_pool_on_last(void)
{
    struct bh_buf *b;

    setup();
    b = bh_buf_alloc(&test_pool, 0);
    BH_CHECK(bh_buf_ref(b) == b);
    BH_CHECK_EQ(b->ref, 2);
    bh_buf_unref(b);
    BH_CHECK_EQ(bh_buf_pool_free_count(&test_pool), POOL_COUNT - 1);
    bh_buf_unref(b);
    bh_buf_unref(NULL);
    check_pool_full();
}

static void test_buf_exhaustion_returns_null_and_counts(void)
{
    struct bh_buf *b[POOL_COUNT];

    setup();
    for (int i = 0; i < POOL_COUNT; i++) {
        b[i] = bh_buf_alloc(&test_pool, 0);
        BH_CHECK(b[i] != NULL);
    }
    BH_CHECK(bh_buf_alloc(&test_pool, 0) == NULL);
    BH_CHECK(bh_buf_alloc(&test_pool, 0) == NULL);
    BH_CHECK_EQ(test_pool.alloc_failed, 2);
    BH_CHECK_EQ(test_pool.min_free, 0);
    bh_buf_unref(b[1]);
    b[1] = bh_buf_alloc(&test_pool, 0);
    BH_CHECK(b[1] != NULL);
    for (int i = 0; i < POOL_COUNT; i++) {
        bh_buf_unref(b[i]);
    }
    check_pool_full();
    BH_CHECK_EQ(test_pool.min_free, 0);
}

static void test_buf_user_data_and_flags_zeroed_on_alloc(void)
{
    struct bh_buf *b;

    setup();
    for (int round = 0; round < POOL_COUNT + 1; round++) {
        uint8_t *ud;

        b = bh_buf_alloc(&test_pool, 0);
        ud = bh_buf_user_data(b);
        BH_CHECK_EQ(b->flags, 0);
        for (int i = 0; i < BH_CONFIG_BUF_USER_DATA; i++) {
            BH_CHECK_EQ(ud[i], 0);
        }
        memset(ud, 0xCC, BH_CONFIG_BUF_USER_DATA);
        b->flags = 0xFF;
        bh_buf_unref(b);
    }
    check_pool_full();
}

static void test_buf_waiters_submitted_once_on_free(void)
{
    struct bh_buf *b[POOL_COUNT];

    setup();
    for (int i = 0; i < POOL_COUNT; i++) {
        b[i] = bh_buf_alloc(&test_pool, 0);
    }
    bh_buf_pool_wait(&test_pool, &t.waiter[0]);
    bh_buf_pool_wait(&test_pool, &t.waiter[1]);
    bh_buf_pool_wait(&test_pool, &t.waiter[0]); /* already registered: no-op */
    BH_CHECK(!bh_work_is_pending(&t.waiter[0]));
    bh_process();
    BH_CHECK_EQ(t.runs[0] + t.runs[1], 0);
    bh_buf_unref(b[0]);
    BH_CHECK(bh_work_is_pending(&t.waiter[0]));
    BH_CHECK(bh_work_is_pending(&t.waiter[1]));
    bh_process();
    BH_CHECK_EQ(t.runs[0], 1);
    BH_CHECK_EQ(t.runs[1], 1);
    /* One-shot: the next free submits nothing. */
    bh_buf_unref(b[1]);
    bh_process();
    BH_CHECK_EQ(t.runs[0], 1);
    BH_CHECK_EQ(t.runs[1], 1);
    bh_buf_unref(b[2]);
    check_pool_full();
}

static void test_buf_unwait_and_cancel_drop_registration(void)
{
    struct bh_buf *b[POOL_COUNT];

    setup();
    for (int i = 0; i < POOL_COUNT; i++) {
        b[i] = bh_buf_alloc(&test_pool, 0);
    }
    bh_buf_pool_wait(&test_pool, &t.waiter[0]);
    bh_buf_pool_wait(&test_pool, &t.waiter[1]);
    bh_buf_pool_unwait(&test_pool, &t.waiter[0]);
    BH_CHECK(!bh_work_cancel(&t.waiter[1])); /* not queued, but unregistered */
    bh_buf_unref(b[0]);
    bh_process();
    BH_CHECK_EQ(t.runs[0] + t.runs[1], 0);
    bh_buf_unref(b[1]);
    bh_buf_unref(b[2]);
    check_pool_full();
}

static void test_buf_waiter_submitted_directly_leaves_wait_list(void)
{
    struct bh_buf *b[POOL_COUNT];

    setup();
    for (int i = 0; i < POOL_COUNT; i++) {
        b[i] = bh_buf_alloc(&test_pool, 0);
    }
    bh_buf_pool_wait(&test_pool, &t.waiter[0]);
    bh_buf_pool_wait(&test_pool, &t.waiter[1]);
    BH_CHECK(bh_work_submit(&t.waiter[0])); /* leaves the wait list first */
    bh_process();
    BH_CHECK_EQ(t.runs[0], 1);
    bh_buf_unref(b[0]); /* only waiter 1 is still registered */
    bh_process();
    BH_CHECK_EQ(t.runs[0], 1);
    BH_CHECK_EQ(t.runs[1], 1);
    bh_buf_unref(b[1]);
    bh_buf_unref(b[2]);
    check_pool_full();
}

static void test_buf_wait_with_free_buffer_submits_at_once(void)
{
    setup();
    bh_buf_pool_wait(&test_pool, &t.waiter[0]);
    BH_CHECK(bh_work_is_pending(&t.waiter[0]));
    bh_process();
    BH_CHECK_EQ(t.runs[0], 1);
    check_pool_full();
}

static void test_buf_pool_init_drops_waiters(void)
{
    struct bh_buf *b;

    setup();
    for (int i = 0; i < POOL_COUNT; i++) {
        b = bh_buf_alloc(&test_pool, 0);
    }
    (void)b;
    bh_buf_pool_wait(&test_pool, &t.waiter[0]);
    bh_buf_pool_init(&test_pool); /* full shutdown: every buffer free again */
    check_pool_full();
    bh_process();
    BH_CHECK_EQ(t.runs[0], 0);
    /* The stale registration does not block a new one. */
    for (int i = 0; i < POOL_COUNT; i++) {
        b = bh_buf_alloc(&test_pool, 0);
    }
    bh_buf_pool_wait(&test_pool, &t.waiter[0]);
    bh_buf_unref(b);
    bh_process();
    BH_CHECK_EQ(t.runs[0], 1);
    bh_buf_pool_init(&test_pool);
    check_pool_full();
}

static void test_buf_never_initialised_pool_builds_on_first_alloc(void)
{
    struct bh_buf *a, *b;

    setup();
    BH_CHECK_EQ(bh_buf_pool_free_count(&lazy_pool), 0); /* zeroed static data */
    a = bh_buf_alloc(&lazy_pool, 2);
    BH_CHECK(a != NULL);
    BH_CHECK_EQ(bh_buf_tailroom(a), 14);
    b = bh_buf_alloc(&lazy_pool, 0);
    BH_CHECK(b != NULL && b != a);
    BH_CHECK(bh_buf_alloc(&lazy_pool, 0) == NULL);
    bh_buf_unref(a);
    bh_buf_unref(b);
    BH_CHECK_EQ(bh_buf_pool_free_count(&lazy_pool), 2);
}

BH_TEST_MAIN(BH_TEST(test_buf_alloc_reserves_headroom_len_zero_ref_one),
             BH_TEST(test_buf_headroom_larger_than_size_returns_null),
             BH_TEST(test_buf_push_past_headroom_returns_null),
             BH_TEST(test_buf_pull_past_len_returns_null),
             BH_TEST(test_buf_add_past_tailroom_returns_null),
             BH_TEST(test_buf_add_le16_writes_little_endian),
             BH_TEST(test_buf_reserve_only_on_empty_buffer), BH_TEST(test_buf_truncate_never_grows),
             BH_TEST(test_buf_ref_unref_returns_to_pool_on_last),
             BH_TEST(test_buf_exhaustion_returns_null_and_counts),
             BH_TEST(test_buf_user_data_and_flags_zeroed_on_alloc),
             BH_TEST(test_buf_waiters_submitted_once_on_free),
             BH_TEST(test_buf_unwait_and_cancel_drop_registration),
             BH_TEST(test_buf_waiter_submitted_directly_leaves_wait_list),
             BH_TEST(test_buf_wait_with_free_buffer_submits_at_once),
             BH_TEST(test_buf_pool_init_drops_waiters),
             BH_TEST(test_buf_never_initialised_pool_builds_on_first_alloc))

/* SPDX-License-Identifier: MIT */
/* test_slab.c: memory slabs (src/os/slab.c). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bh_test.h"
#include "blehost/bh_os.h"
#include "fake_port.h"

#define OBJ_COUNT 4

struct obj {
    uint32_t a;
    uint8_t b[13];
};

BH_SLAB_DEFINE(obj_slab, sizeof(struct obj), OBJ_COUNT);
BH_SLAB_DEFINE(lazy_slab, 24, 2);
BH_SLAB_DEFINE(tiny_slab, 1, 3); /* smaller than a pointer: rounded up */

static void test_slab_block_size_rounds_to_alignment(void)
{
    BH_CHECK(obj_slab.block_size >= sizeof(struct obj));
    BH_CHECK_EQ(obj_slab.block_size % _Alignof(max_align_t), 0);
    BH_CHECK(tiny_slab.block_size >= sizeof(void *));
}

static void test_slab_exhaustion_returns_null_then_free_reallocs(void)
{
    void *blocks[OBJ_COUNT];

    bh_slab_init(&obj_slab);
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), OBJ_COUNT);
    for (int i = 0; i < OBJ_COUNT; i++) {
        blocks[i] = bh_slab_alloc(&obj_slab);
        BH_CHECK(blocks[i] != NULL);
        BH_CHECK_EQ(((uintptr_t)blocks[i]) % _Alignof(max_align_t), 0);
        for (int j = 0; j < i; j++) {
            BH_CHECK(blocks[i] != blocks[j]);
        }
    }
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), 0);
    BH_CHECK(bh_slab_alloc(&obj_slab) == NULL);
    BH_CHECK(bh_slab_alloc(&obj_slab) == NULL);
    bh_slab_free(&obj_slab, blocks[2]);
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), 1);
    BH_CHECK(bh_slab_alloc(&obj_slab) == blocks[2]);
    for (int i = 0; i < OBJ_COUNT; i++) {
        bh_slab_free(&obj_slab, blocks[i]);
    }
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), OBJ_COUNT);
    BH_CHECK_EQ(obj_slab.min_free, 0);
}

static void test_slab_alloc_returns_zeroed_block(void)
{
    struct obj *o;

    bh_slab_init(&obj_slab);
    for (int round = 0; round < 3; round++) {
        o = bh_slab_alloc(&obj_slab);
        BH_CHECK(o != NULL);
        BH_CHECK_EQ(o->a, 0);
        for (size_t i = 0; i < sizeof(o->b); i++) {
            BH_CHECK_EQ(o->b[i], 0);
        }
        memset(o, 0xA5, obj_slab.block_size); /* dirty all of it */
        bh_slab_free(&obj_slab, o);
    }
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), OBJ_COUNT);
}

static void test_slab_min_free_tracks_low_water(void)
{
    void *a, *b;

    bh_slab_init(&obj_slab);
    BH_CHECK_EQ(obj_slab.min_free, OBJ_COUNT);
    a = bh_slab_alloc(&obj_slab);
    b = bh_slab_alloc(&obj_slab);
    bh_slab_free(&obj_slab, a);
    a = bh_slab_alloc(&obj_slab);
    BH_CHECK_EQ(obj_slab.min_free, OBJ_COUNT - 2);
    bh_slab_free(&obj_slab, a);
    bh_slab_free(&obj_slab, b);
    BH_CHECK_EQ(obj_slab.min_free, OBJ_COUNT - 2);
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), OBJ_COUNT);
}

static void test_slab_free_null_is_ignored(void)
{
    bh_slab_init(&obj_slab);
    bh_slab_free(&obj_slab, NULL);
    BH_CHECK_EQ(bh_slab_free_count(&obj_slab), OBJ_COUNT);
}

static void test_slab_never_initialised_builds_on_first_alloc(void)
{
    void *a, *b;

    BH_CHECK(!lazy_slab.ready);
    a = bh_slab_alloc(&lazy_slab);
    b = bh_slab_alloc(&lazy_slab);
    BH_CHECK(a != NULL && b != NULL && a != b);
    BH_CHECK(bh_slab_alloc(&lazy_slab) == NULL);
    bh_slab_free(&lazy_slab, a);
    bh_slab_free(&lazy_slab, b);
    BH_CHECK_EQ(bh_slab_free_count(&lazy_slab), 2);
}

static void test_slab_tiny_blocks_work(void)
{
    uint8_t *p[3];

    bh_slab_init(&tiny_slab);
    for (int i = 0; i < 3; i++) {
        p[i] = bh_slab_alloc(&tiny_slab);
        BH_CHECK(p[i] != NULL);
        BH_CHECK_EQ(p[i][0], 0);
        p[i][0] = 0xFF;
    }
    BH_CHECK(bh_slab_alloc(&tiny_slab) == NULL);
    for (int i = 0; i < 3; i++) {
        bh_slab_free(&tiny_slab, p[i]);
    }
    BH_CHECK_EQ(bh_slab_free_count(&tiny_slab), 3);
}

/* Runs fn in a child process; true if the child died of SIGABRT (BH_ASSERT). */
static bool aborts(void (*fn)(void))
{
    int status = 0;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    BH_CHECK(pid >= 0);
    if (pid == 0) {
        if (getenv("BH_TEST_LOG") == NULL) {
            BH_CHECK(freopen("/dev/null", "w", stderr) != NULL); /* expected assert noise */
        }
        fake_port_init(1);
        fn();
        _exit(0);
    }
    BH_CHECK_EQ(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void double_free(void)
{
    void *a;

    bh_slab_init(&obj_slab);
    a = bh_slab_alloc(&obj_slab);
    bh_slab_free(&obj_slab, a);
    bh_slab_free(&obj_slab, a);
}

static void foreign_free(void)
{
    static _Alignas(max_align_t) uint8_t other[64];

    bh_slab_init(&obj_slab);
    bh_slab_free(&obj_slab, other);
}

static void misaligned_free(void)
{
    uint8_t *a;

    bh_slab_init(&obj_slab);
    a = bh_slab_alloc(&obj_slab);
    bh_slab_free(&obj_slab, a + 8);
}

static void clean_cycle(void)
{
    bh_slab_init(&obj_slab);
    bh_slab_free(&obj_slab, bh_slab_alloc(&obj_slab));
}

static void test_slab_double_free_asserts(void)
{
    BH_CHECK(!aborts(clean_cycle)); /* the harness itself tells the cases apart */
    BH_CHECK(aborts(double_free));
}

static void test_slab_free_of_foreign_or_misaligned_block_asserts(void)
{
    BH_CHECK(aborts(foreign_free));
    BH_CHECK(aborts(misaligned_free));
}

BH_TEST_MAIN(BH_TEST(test_slab_block_size_rounds_to_alignment),
             BH_TEST(test_slab_exhaustion_returns_null_then_free_reallocs),
             BH_TEST(test_slab_alloc_returns_zeroed_block),
             BH_TEST(test_slab_min_free_tracks_low_water), BH_TEST(test_slab_free_null_is_ignored),
             BH_TEST(test_slab_never_initialised_builds_on_first_alloc),
             BH_TEST(test_slab_tiny_blocks_work), BH_TEST(test_slab_double_free_asserts),
             BH_TEST(test_slab_free_of_foreign_or_misaligned_block_asserts))

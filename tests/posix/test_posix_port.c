/* SPDX-License-Identifier: MIT */
/*
 * test_posix_port.c: the POSIX port's clock, critical sections, entropy,
 * wait/wake (including wake from another thread) and the threaded variant
 * (host thread, host lock, block/unblock).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "hci/h4.h"
#include "posix_test_util.h"

static void test_posix_now_ms_is_monotonic_milliseconds(void)
{
    const struct bh_port *p = bh_posix_port();
    uint32_t a = p->now_ms();
    uint64_t t = pt_now_ms();
    uint32_t b;

    /* Busy-wait on the clock itself (not a sleep): 20 ms must show as ~20. */
    while (pt_now_ms() - t < 20) {
    }
    b = p->now_ms();
    BH_CHECK((uint32_t)(b - a) >= 19);
    BH_CHECK((uint32_t)(b - a) < 2000);
}

static atomic_bool crit_other_in;

static void *crit_thread(void *arg)
{
    (void)arg;
    bh_posix_port()->crit_enter();
    crit_other_in = true;
    bh_posix_port()->crit_exit();
    return NULL;
}

static void test_posix_crit_nests_and_excludes_other_threads(void)
{
    const struct bh_port *p = bh_posix_port();
    pthread_t th;
    uint64_t t0;

    BH_CHECK(p->block == NULL && p->unblock == NULL); /* cooperative */
    crit_other_in = false;
    p->crit_enter();
    p->crit_enter();
    BH_CHECK_EQ(pthread_create(&th, NULL, crit_thread, NULL), 0);
    p->crit_exit();
    /* Still held once: the other thread cannot be inside for these 20 ms. */
    t0 = pt_now_ms();
    while (pt_now_ms() - t0 < 20) {
        BH_CHECK(!crit_other_in);
    }
    p->crit_exit();
    pthread_join(th, NULL);
    BH_CHECK(crit_other_in);
}

static void test_posix_entropy_fills_buffer(void)
{
    uint8_t a[64], b[64];
    const struct bh_port *p = bh_posix_port();

    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    BH_CHECK_EQ(p->entropy(a, sizeof(a)), 0);
    BH_CHECK_EQ(p->entropy(b, sizeof(b)), 0);
    BH_CHECK(memcmp(a, b, sizeof(a)) != 0); /* 2^-512 chance of a false failure */
    BH_CHECK_EQ(p->entropy(a, 0), 0);
}

static void test_posix_wait_times_out_without_wake(void)
{
    const struct bh_port *p = bh_posix_port();
    uint64_t t0;

    p->wait(0); /* drain any earlier wake */
    t0 = pt_now_ms();
    p->wait(50);
    BH_CHECK(pt_now_ms() - t0 >= 49);
}

static void test_posix_wake_before_wait_is_not_lost(void)
{
    const struct bh_port *p = bh_posix_port();
    uint64_t t0;

    p->wait(0);
    p->wake();
    p->wake();
    t0 = pt_now_ms();
    p->wait(20000);
    BH_CHECK(pt_now_ms() - t0 < 10000);
    /* Consumed: the next wait sleeps until its timeout again. */
    t0 = pt_now_ms();
    p->wait(30);
    BH_CHECK(pt_now_ms() - t0 >= 29);
}

static void *wake_thread(void *arg)
{
    (void)arg;
    bh_posix_port()->wake();
    return NULL;
}

static void test_posix_wake_from_other_thread_interrupts_wait(void)
{
    const struct bh_port *p = bh_posix_port();
    pthread_t th;
    uint64_t t0;

    p->wait(0);
    t0 = pt_now_ms();
    BH_CHECK_EQ(pthread_create(&th, NULL, wake_thread, NULL), 0);
    /* Whether the wake lands before or during the wait, it ends it. */
    p->wait(BH_FOREVER - 1);
    BH_CHECK(pt_now_ms() - t0 < 10000);
    pthread_join(th, NULL);
}

/* ---- threaded variant ----------------------------------------------------- */

struct thr_rx {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned packets;
    bool on_host_thread;
    pthread_t host;
};

static struct thr_rx thr = {.m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER};

static void thr_cb(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len, bool received)
{
    (void)ctx;
    (void)type;
    (void)pkt;
    (void)len;
    if (!received) {
        return;
    }
    pthread_mutex_lock(&thr.m);
    thr.packets++;
    thr.host = pthread_self();
    pthread_cond_broadcast(&thr.c);
    pthread_mutex_unlock(&thr.m);
}

static void test_posix_threaded_host_reads_and_block_releases_lock(void)
{
    struct pt_listener l;
    const struct bh_port *p = bh_posix_threaded_port();
    uint64_t t0;
    int peer;

    BH_CHECK(p->block != NULL && p->unblock != NULL);
    bh_os_init(p);
    pt_listen(&l);
    BH_CHECK_EQ(bh_posix_transport_open(l.spec), 0);
    peer = accept(l.fd, NULL, NULL);
    BH_CHECK(peer >= 0);
    bh_hci_set_snoop(thr_cb, NULL);
    BH_CHECK_EQ(bh_posix_thread_start(), 0);
    BH_CHECK_EQ(bh_posix_thread_start(), -EALREADY);

    /* The application holds the host lock (twice: it is recursive) and
     * blocks. Only if block() releases it can the host thread run
     * bh_process(), frame the event and unblock us. */
    bh_posix_lock();
    bh_posix_lock();
    pt_write_all(peer, (const uint8_t[]){0x04, 0xff, 0x01, 0x5a}, 4);
    t0 = pt_now_ms();
    while (thr.packets == 0) {
        BH_CHECK(pt_now_ms() - t0 < 10000);
        p->block(5000);
    }
    bh_posix_unlock();
    bh_posix_unlock();
    BH_CHECK(!pthread_equal(thr.host, pthread_self()));

    /* A second event, waited for on our own condition variable. */
    pt_write_all(peer, (const uint8_t[]){0x04, 0xff, 0x01, 0x5b}, 4);
    pthread_mutex_lock(&thr.m);
    while (thr.packets < 2) {
        pthread_cond_wait(&thr.c, &thr.m);
    }
    pthread_mutex_unlock(&thr.m);

    bh_posix_thread_stop();
    bh_posix_thread_stop(); /* idempotent */
    bh_hci_set_snoop(NULL, NULL);
    bh_posix_transport_close();
    close(peer);
    pt_unlisten(&l);
    BH_CHECK_EQ(thr.packets, 2);
}

static void test_posix_block_times_out_with_lock_retaken(void)
{
    const struct bh_port *p = bh_posix_threaded_port();
    uint64_t t0 = pt_now_ms();

    bh_posix_lock();
    p->block(30);
    BH_CHECK(pt_now_ms() - t0 >= 29);
    bh_posix_unlock();
}

BH_TEST_MAIN(BH_TEST(test_posix_now_ms_is_monotonic_milliseconds),
             BH_TEST(test_posix_crit_nests_and_excludes_other_threads),
             BH_TEST(test_posix_entropy_fills_buffer),
             BH_TEST(test_posix_wait_times_out_without_wake),
             BH_TEST(test_posix_wake_before_wait_is_not_lost),
             BH_TEST(test_posix_wake_from_other_thread_interrupts_wait),
             BH_TEST(test_posix_threaded_host_reads_and_block_releases_lock),
             BH_TEST(test_posix_block_times_out_with_lock_retaken))

/* SPDX-License-Identifier: MIT */
/*
 * fake_port.h: a deterministic struct bh_port for every C test.
 *
 * Time is a variable that only moves when the test (or a wait) moves it, so
 * nothing sleeps and every run is identical:
 *  - now_ms() reads the fake clock; fake_port_advance() moves it forward.
 *  - wait(timeout) first calls the wait hook (if any), then returns at once
 *    if wake() was called since the last wait; otherwise it advances the
 *    clock by timeout, or only up to the "next event" the test scheduled
 *    with fake_port_set_next_event() if that comes first. A cooperative
 *    bh_sem_take() with a timeout therefore ends after exactly that many
 *    fake milliseconds. wait(BH_FOREVER) with no wake and no next event
 *    would sleep forever: it fails the current test instead, and so do
 *    10000 waits in a row that never move the clock (a spinning host).
 *  - crit_enter/exit count nesting (fake_port_crit_depth()).
 *  - wake() sets a flag (consumed by the next wait) and counts.
 *  - entropy() is an xorshift32 stream seeded by fake_port_init(seed).
 *  - log() prints to stderr when the environment has BH_TEST_LOG set (any
 *    value); failed BH_ASSERT()s (tag "assert") are always printed.
 *  - Threaded mode (fake_port_set_threaded(true)) also sets block/unblock:
 *    block(timeout) behaves like wait() but returns at once after an
 *    unblock() instead of a wake().
 *
 * Typical test:
 *     fake_port_init(1);                  // also calls bh_os_init()
 *     ...arm timers, submit work...
 *     fake_port_advance(100);             // the clock only; then:
 *     bh_process();                       // fires what is due
 *
 * Host context only, like the rest of the test; not thread-safe.
 */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_port.h"

/* Called inside every wait()/block(), before the clock moves, with that
 * call's timeout. It may inject HCI bytes, give a semaphore, call
 * bh_port_wake() to make this wait return at once (as an interrupt would),
 * or advance the clock itself (then the wait returns without moving it
 * further). It runs in the waiting context: it must not call bh_process()
 * or take semaphores. */
typedef void (*fake_port_wait_hook_t)(void *ctx, uint32_t timeout_ms);

/* Reset every fake (clock 0, no hook, no event, cooperative mode, PRNG
 * seeded with seed) and call bh_os_init() with the fake port. */
void fake_port_init(uint32_t seed);
/* The port itself (the one bh_os_init() got). */
const struct bh_port *fake_port(void);

uint32_t fake_port_now(void);
/* Jump the clock to ms (tests of the 2^32 wrap). Use right after
 * fake_port_init(), before anything is armed: it may move backwards. */
void fake_port_set_now(uint32_t ms);
/* Move the clock forward by ms. Fires nothing: call bh_process() for that. */
void fake_port_advance(uint32_t ms);
/* Advance the clock by ms as a cooperative main loop would: bh_process() at
 * every deadline on the way (each fires at exactly its time) and once at
 * the end. Fails the test if the host never goes idle. */
void fake_port_run(uint32_t ms);
/* Make the next wait()/block() stop at absolute time at_ms (if that comes
 * before its timeout), as if an interrupt arrived then. One-shot. */
void fake_port_set_next_event(uint32_t at_ms);

void fake_port_set_wait_hook(fake_port_wait_hook_t fn, void *ctx);
/* Install (true) or remove block/unblock: threaded or cooperative takes. */
void fake_port_set_threaded(bool on);
/* Make entropy() fail with -EIO from now on (true) or work again (false). */
void fake_port_set_entropy_fail(bool fail);

/* Counters and observations. */
unsigned fake_port_wait_count(void);     /* wait() calls */
uint32_t fake_port_last_wait_ms(void);   /* timeout of the last wait()/block() */
unsigned fake_port_block_count(void);    /* block() calls */
unsigned fake_port_unblock_count(void);  /* unblock() calls */
unsigned fake_port_wake_count(void);     /* wake() calls */
bool fake_port_woken(void);              /* a wake() not yet consumed by a wait() */
int fake_port_crit_depth(void);          /* current crit_enter() nesting */
unsigned fake_port_log_count(int level); /* records logged at this level */

#endif /* FAKE_PORT_H */

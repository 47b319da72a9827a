/* SPDX-License-Identifier: MIT */
/*
 * fuzz_blesim: arbitrary bytes as the H4 streams of one or two hosts into
 * blesim's controllers, on the manual clock (no sockets, no sleeps, no
 * wall time: one input always runs the same way).
 *
 * Input: one configuration octet, then records.
 *   config bit 0 --fast, bit 1 --loss 0.25, bit 2 --cmd-delay-ms 3,
 *          bit 3 --acl-len 27, bit 4 --acl-num 2, bit 5 --disconnect-after-pdus 40,
 *          bit 6 a second client, bit 7 --disconnect-after-ms 700
 *   record 0x00..0x7F, LEN, LEN bytes: the bytes go to client (op & 1), then
 *          virtual time moves by ((op >> 1) & 0x3F) * 1.25 ms
 *   record 0x80..0xFF, N: time moves by (N + 1) * 1.25 ms << (op & 7)
 * After the last record time moves 2 s more, then every controller detaches
 * and the harness checks that nothing is left armed or allocated (LeakSanitizer).
 * FUZZ_BLESIM_VERBOSE=1 in the environment traces commands and events on
 * stderr (to read a reproducer).
 */
#include <stdint.h>
#include <stdlib.h>

#include "sim.h"

#define FZ_STEP_US 1250u
#define FZ_TAIL_US 2000000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_ctx {
    struct ctrl *cl[2];
    int n;
};

static struct fz_ctx fz_ctx;

static void fz_configure(uint8_t cfg)
{
    sim_opts.fast = cfg & 0x01;
    sim_opts.loss = (cfg & 0x02) ? 0.25 : 0.0;
    sim_opts.cmd_delay_ms = (cfg & 0x04) ? 3 : 0;
    sim_opts.acl_len = (cfg & 0x08) ? 27 : 251;
    sim_opts.acl_num = (cfg & 0x10) ? 2 : 8;
    sim_opts.disc_after_pdus = (cfg & 0x20) ? 40 : 0;
    sim_opts.disc_after_ms = (cfg & 0x80) ? 700 : 0;
    sim_opts.disc_reason = 0x08;
    sim_opts.seed = 1;
    sim_opts.verbose = getenv("FUZZ_BLESIM_VERBOSE") != NULL;
    sim_opts.quiet = !sim_opts.verbose;
    sim_opts.btsnoop_dir = NULL;
    fz_ctx.n = (cfg & 0x40) ? 2 : 1;
}

/* Client i's controller if it is still attached (a dropped client is freed). */
static struct ctrl *fz_client(int i)
{
    if (i >= fz_ctx.n || fz_ctx.cl[i] == NULL) {
        return NULL;
    }
    for (struct ctrl *c = ctrl_first(); c != NULL; c = c->next) {
        if (c == fz_ctx.cl[i]) {
            return c;
        }
    }
    fz_ctx.cl[i] = NULL;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 1;

    if (size < 1) {
        return 0;
    }
    fz_configure(data[0]);
    sim_loop_manual();
    sim_rand_seed(sim_opts.seed);
    for (int i = 0; i < fz_ctx.n; i++) {
        fz_ctx.cl[i] = ctrl_attach(-1, false);
    }
    while (off + 2 <= size) {
        uint8_t op = data[off];
        uint8_t len = data[off + 1];
        off += 2;
        if (op & 0x80) {
            sim_loop_advance(((uint64_t)len + 1u) * FZ_STEP_US << (op & 7));
            continue;
        }
        size_t n = size - off < len ? size - off : len;
        struct ctrl *c = fz_client(op & 1);
        if (c != NULL) {
            ctrl_feed(c, data + off, n);
        }
        off += n;
        sim_loop_advance((uint64_t)((op >> 1) & 0x3F) * FZ_STEP_US);
    }
    sim_loop_advance(FZ_TAIL_US);
    ctrl_shutdown();
    if (!sim_loop_idle()) {
        abort(); /* a timer outlived its controller or link */
    }
    fz_ctx.cl[0] = fz_ctx.cl[1] = NULL;
    return 0;
}

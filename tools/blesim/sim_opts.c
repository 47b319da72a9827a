/* SPDX-License-Identifier: MIT */
/*
 * sim_opts.c: blesim's options with their defaults (main.c fills them from
 * the command line; the fuzz target sets them itself) and its two log
 * functions: sim_log for the one-line diagnostics a user should see,
 * sim_vlog for the per-packet trace of --verbose. Both go to stderr and
 * are silent under sim_opts.quiet.
 */
#include "sim.h"

#include <stdarg.h>

struct sim_opts sim_opts = {
    .seed = 1,
    .disc_reason = 0x08,
    .addr_base = {0x01, 0x00, 0x00, 0xEE, 0xFF, 0xC0}, /* C0:FF:EE:00:00:01 */
    .acl_len = 251,
    .acl_num = 8,
};

void sim_log(const char *fmt, ...)
{
    va_list ap;

    if (sim_opts.quiet) {
        return;
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void sim_vlog(const char *fmt, ...)
{
    va_list ap;

    if (!sim_opts.verbose || sim_opts.quiet) {
        return;
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

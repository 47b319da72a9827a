/* SPDX-License-Identifier: MIT */
/*
 * assert.c: what a failed BH_ASSERT() does: one ERR record with tag
 * "assert" through the port's log hook (if any), then abort().
 */
#include "bh_assert.h"

#include <stdbool.h>
#include <stdlib.h>

#include "bh_log.h"

static struct assert_ctx {
    bool failing; /* an assert inside the log hook must not recurse */
} assert_ctx;

_Noreturn void bh_assert_failed(const char *file, int line, const char *expr)
{
    if (!assert_ctx.failing) {
        assert_ctx.failing = true;
        bh_log_emit(BH_LOG_LEVEL_ERR, "assert", "%s:%d: assertion failed: %s", file, line, expr);
    }
    abort();
}

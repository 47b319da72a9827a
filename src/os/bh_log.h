/* SPDX-License-Identifier: MIT */
/*
 * bh_log.h: levelled logging through the port's log hook.
 *
 * Define BH_LOG_TAG ("att", "hci" ...) before including. Levels above
 * BH_CONFIG_LOG_LEVEL compile to nothing (no strings, no argument
 * evaluation) while the format is still type-checked.
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include "blehost/bh_config.h"

#ifndef BH_LOG_TAG
#define BH_LOG_TAG "bh"
#endif

#define BH_LOG_LEVEL_ERR 1
#define BH_LOG_LEVEL_WRN 2
#define BH_LOG_LEVEL_INF 3
#define BH_LOG_LEVEL_DBG 4

void bh_log_emit(int level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Never called; keeps the format checked when a level is compiled out. */
static inline __attribute__((format(printf, 1, 2))) void bh_log_none(const char *fmt, ...)
{
    (void)fmt;
}

#define BH_LOG_AT(level, ...)                                                               \
    do {                                                                                    \
        if (BH_CONFIG_LOG_LEVEL >= (level)) {                                               \
            bh_log_emit((level), BH_LOG_TAG, __VA_ARGS__);                                  \
        } else if (0) {                                                                     \
            bh_log_none(__VA_ARGS__);                                                       \
        }                                                                                   \
    } while (0)

#define BH_LOG_ERR(...) BH_LOG_AT(BH_LOG_LEVEL_ERR, __VA_ARGS__)
#define BH_LOG_WRN(...) BH_LOG_AT(BH_LOG_LEVEL_WRN, __VA_ARGS__)
#define BH_LOG_INF(...) BH_LOG_AT(BH_LOG_LEVEL_INF, __VA_ARGS__)
#define BH_LOG_DBG(...) BH_LOG_AT(BH_LOG_LEVEL_DBG, __VA_ARGS__)

#endif /* BH_LOG_H */

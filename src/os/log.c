/* SPDX-License-Identifier: MIT */
/*
 * log.c: hands BH_LOG_* records to the port's log hook. Formatting is the
 * port's job (it receives the format and a va_list), so src/ needs no stdio.
 */
#include "bh_log.h"

#include <stdarg.h>

#include "blehost/bh_os.h"

void bh_log_emit(int level, const char *tag, const char *fmt, ...)
{
    const struct bh_port *port = bh_os_port();
    va_list ap;

    if (port == NULL || port->log == NULL) {
        return;
    }
    va_start(ap, fmt);
    port->log(level, tag, fmt, ap);
    va_end(ap);
}

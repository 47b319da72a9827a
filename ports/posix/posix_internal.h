/* SPDX-License-Identifier: MIT */
/*
 * posix_internal.h: what the files of ports/posix share with each other and
 * nobody else: the poll loop's hooks into the transport, the wait function
 * the host thread uses, and the port's own logging.
 */
#ifndef BH_POSIX_INTERNAL_H
#define BH_POSIX_INTERNAL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define BH_POSIX_LOG_ERR 1
#define BH_POSIX_LOG_WRN 2
#define BH_POSIX_LOG_INF 3
#define BH_POSIX_LOG_DBG 4

/* posix_port.c: the port's wait(), used by the host thread too. */
void bh_posix_wait(uint32_t timeout_ms);
/* Log through the port's sink with the tag "posix", filtered by BLEHOST_LOG. */
void bh_posix_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* posix_transport.c, called by bh_posix_wait() only. prepare(): push bytes
 * kept from an earlier read, then fill pfd (fd -1 when there is nothing to
 * poll). Returns true when it pushed bytes (the host has work: do not sleep).
 * service(): act on what poll() reported for that pfd. */
bool bh_posix_transport_prepare(struct pollfd *pfd);
void bh_posix_transport_service(short revents);

#endif /* BH_POSIX_INTERNAL_H */

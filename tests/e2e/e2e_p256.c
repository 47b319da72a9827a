/* SPDX-License-Identifier: MIT */
/*
 * e2e_p256.c: what makes e2e_host_p256 differ from e2e_host. It compiles
 * src/host/smp_ecdh.c itself with BH_CONFIG_SMP_P256_CONTROLLER 1, so the
 * host of every role takes its P-256 key pair and DHKeys from blesim (LE
 * Read Local P-256 Public Key and LE Generate DHKey, Core 5.4 Vol 4 Part E
 * 7.8.36 and 7.8.37, completed by LE Meta subevents 7.7.65.8 and 7.7.65.9)
 * instead of mbedTLS. Its definitions take the place of the library's: the
 * archive member smp_ecdh.o is then never linked (a symbol defined in both
 * would fail the link), as in tests/host/test_smp_p256.c; the rest of the
 * host is the ordinary build. e2e_smp_seam.c counts the two commands, and
 * every role of e2e_host_p256 must have used them (e2e_p256_check_end).
 */
#define BH_CONFIG_SMP_P256_CONTROLLER 1
#include "host/smp_ecdh.c"

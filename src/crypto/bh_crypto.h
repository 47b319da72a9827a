/* SPDX-License-Identifier: MIT */
/*
 * bh_crypto.h: the host's cryptographic toolbox, one small interface.
 *
 * Owns: AES-128 encryption (the security function e, Core 5.4 Vol 3 Part H
 * 2.2.1), AES-CMAC (RFC 4493), the P-256 key pair and Diffie-Hellman key of
 * LE Secure Connections (Core 5.4 Vol 3 Part H 2.3.5.6), the SMP toolbox
 * functions of Core 5.4 Vol 3 Part H 2.2 (ah, c1, s1, f4, f5, f6, g2, h6,
 * h7) and resolvable private addresses (Core 5.4 Vol 6 Part B 1.3.2.2/1.3.2.3).
 * Leaves to others: the SMP state machine (src/host/smp*.c), key storage,
 * and the controller's LE Encrypt / LE Read Local P-256 Public Key /
 * LE Generate DHKey path that small targets use instead of a P-256 backend.
 *
 * Backends (CMake cache variable BH_CRYPTO):
 *   mbedtls  backend_mbedtls.c: AES and P-256 from libmbedcrypto (POSIX).
 *   builtin  backend_builtin.c: compact AES-128 (common_aes_builtin.c);
 *            the P-256 functions return -EOPNOTSUPP.
 * Everything else (CMAC, the SMP functions, RPA) is common_*.c on top of
 * bh_crypto_aes128(), so it is the same code with either backend.
 *
 * BYTE ORDER: every array in this interface is MSB-first (big-endian): byte
 * [0] holds the most significant octet, exactly as the spec prints values
 * in Core 5.4 Vol 3 Part H 2.2 and Appendix D, and as FIPS-197 and RFC 4493
 * order their blocks. That includes keys (LTK, IRK, DHKey), random numbers,
 * the P-256 coordinates and private key, and device addresses (addr[0] is
 * the most significant octet of the BD_ADDR, the one printed first).
 * SMP PDUs, HCI commands and HCI events carry all of these LITTLE-endian;
 * the code that parses or builds a PDU converts with bh_crypto_swap() at
 * that boundary and nowhere else. Likewise the 7-octet pairing request and
 * response taken by bh_crypto_c1() are the PDUs (opcode first on the air)
 * reversed, i.e. the 56-bit values preq/pres as the spec writes them.
 *
 * Calling context: host context only (inside bh_process() or an API call).
 * Nothing here keeps a pointer to its arguments after returning; outputs may
 * not overlap inputs unless stated. No function allocates memory (the
 * mbedtls backend's P-256 uses mbedtls' own heap, POSIX only).
 *
 * Errors: 0 on success; -EINVAL for a bad argument (point not on the curve,
 * private key out of range, RPA random part all zeros/ones); -EOPNOTSUPP when
 * the backend has no such primitive or no entropy source is set; -EIO when
 * the backend or the entropy callback failed.
 */
#ifndef BH_CRYPTO_H
#define BH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Byte order ------------------------------------------------------------------------ */

/* Reverses n bytes: dst[i] = src[n - 1 - i]. dst == src swaps in place; other overlap is
 * not allowed. Converts between the air's little-endian and this interface's MSB-first. */
void bh_crypto_swap(uint8_t *dst, const uint8_t *src, size_t n);

/* ---- Entropy --------------------------------------------------------------------------- */

/* Fills buf with len bytes from a cryptographically secure source; returns 0 or a negative
 * errno. Called from the host context only, never from an interrupt. */
typedef int (*bh_crypto_rng_t)(void *buf, size_t len);

/* Sets (or with NULL clears) the entropy source used for P-256 key generation and blinding
 * and by bh_crypto_random(). Call before bh_crypto_p256_keygen(). */
void bh_crypto_set_rng(bh_crypto_rng_t rng);

/* Fills buf from the entropy source. Returns 0, -EOPNOTSUPP (none set) or -EIO (it failed;
 * buf is then zeroed). len 0 only asks whether a source is set (buf may be NULL). */
int bh_crypto_random(void *buf, size_t len);

/* ---- Backend primitives ---------------------------------------------------------------- */

/* AES-128 encryption of one block, FIPS-197 byte order (the spec's e(key, in), Core 5.4 Vol 3
 * Part H 2.2.1: key[0] and in[0] are the most significant octets). out may equal in.
 * Returns 0 or -EIO. */
int bh_crypto_aes128(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

/* The compact C AES-128 (common_aes_builtin.c), always compiled so that it can be tested
 * whatever the backend; the builtin backend's bh_crypto_aes128() forwards to it. Same
 * contract as bh_crypto_aes128(); always returns 0. No T-tables: one 256-byte S-box. */
int bh_crypto_builtin_aes128(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

/* Generates a P-256 key pair (Core 5.4 Vol 3 Part H 2.3.5.6.1) from the entropy source.
 * All three outputs are 32-byte MSB-first integers. Returns 0, -EOPNOTSUPP (builtin backend,
 * or no entropy source set) or -EIO. */
int bh_crypto_p256_keygen(uint8_t priv[32], uint8_t pub_x[32], uint8_t pub_y[32]);

/* DHKey = x coordinate of priv * (peer_x, peer_y), 32 bytes MSB-first (Core 5.4 Vol 3 Part H
 * 2.3.5.6.1). Returns 0; -EINVAL if the peer point is not on the curve (SMP then fails the
 * pairing: Core 5.4 Vol 3 Part H 2.3.5.6.1, invalid curve attacks) or priv is not in
 * [1, n-1]; -EOPNOTSUPP (builtin backend); -EIO. */
int bh_crypto_p256_dhkey(const uint8_t priv[32], const uint8_t peer_x[32],
                         const uint8_t peer_y[32], uint8_t dhkey[32]);

/* True if x is the X coordinate of the debug public key of Core 5.4 Vol 3 Part H 2.3.5.6.1,
 * which a device not in debug mode must refuse from a peer. */
bool bh_crypto_p256_is_debug_key(const uint8_t x[32]);

/* ---- AES-CMAC (RFC 4493), common_cmac.c ------------------------------------------------ */

/* One piece of a scattered message: len bytes at p (p may be NULL when len is 0). */
struct bh_crypto_seg {
    const uint8_t *p;
    size_t len;
};

/* AES-CMAC of the concatenation of nsegs segments, with a 128-bit tag (RFC 4493 2.4).
 * Lets f5/f6 MAC their fields in place, without a message buffer. Returns 0 or -EIO. */
int bh_crypto_cmac_segs(const uint8_t key[16], const struct bh_crypto_seg *segs, size_t nsegs,
                        uint8_t mac[16]);

/* AES-CMAC of len contiguous bytes. Returns 0 or -EIO. */
int bh_crypto_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16]);

/* ---- SMP toolbox, Core 5.4 Vol 3 Part H 2.2, common_smp.c (all MSB-first) --------------- */

/* ah: random address hash, Core 5.4 Vol 3 Part H 2.2.2. hash = e(k, padding || r) mod 2^24. */
int bh_crypto_ah(const uint8_t k[16], const uint8_t r[3], uint8_t hash[3]);

/* c1: legacy confirm value, Core 5.4 Vol 3 Part H 2.2.3.
 * preq/pres: the 7-octet Pairing Request/Response PDUs (opcode included) reversed, as in the
 * spec's example (preq = 07071000000101 for the PDU 01 01 00 00 10 07 07). iat/rat: the
 * address types (0 public, 1 random). ia/ra: initiating/responding addresses MSB-first. */
int bh_crypto_c1(const uint8_t k[16], const uint8_t r[16], const uint8_t preq[7],
                 const uint8_t pres[7], uint8_t iat, const uint8_t ia[6], uint8_t rat,
                 const uint8_t ra[6], uint8_t out[16]);

/* s1: legacy STK, Core 5.4 Vol 3 Part H 2.2.4: e(k, r1[8..15] || r2[8..15]). */
int bh_crypto_s1(const uint8_t k[16], const uint8_t r1[16], const uint8_t r2[16],
                 uint8_t out[16]);

/* f4: LE SC confirm value, Core 5.4 Vol 3 Part H 2.2.6: AES-CMAC_x(u || v || z).
 * u, v: P-256 X coordinates; x: the key (a nonce); z: 0, or 0x80|bit for passkey entry. */
int bh_crypto_f4(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16], uint8_t z,
                 uint8_t out[16]);

/* f5: LE SC key generation, Core 5.4 Vol 3 Part H 2.2.7. w: DHKey; n1, n2: nonces;
 * a1, a2: 7 octets each, address type (0x00 public, 0x01 random) then the 6-octet address. */
int bh_crypto_f5(const uint8_t w[32], const uint8_t n1[16], const uint8_t n2[16],
                 const uint8_t a1[7], const uint8_t a2[7], uint8_t mackey[16], uint8_t ltk[16]);

/* f6: LE SC check value, Core 5.4 Vol 3 Part H 2.2.8: AES-CMAC_w(n1||n2||r||iocap||a1||a2).
 * iocap: AuthReq, OOB data flag, IO Capability (iocap[0] = AuthReq). */
int bh_crypto_f6(const uint8_t w[16], const uint8_t n1[16], const uint8_t n2[16],
                 const uint8_t r[16], const uint8_t iocap[3], const uint8_t a1[7],
                 const uint8_t a2[7], uint8_t out[16]);

/* g2: LE SC numeric comparison value, Core 5.4 Vol 3 Part H 2.2.9: the low 32 bits of
 * AES-CMAC_x(u || v || y). The six digits shown to the user are *val % 1000000. */
int bh_crypto_g2(const uint8_t u[32], const uint8_t v[32], const uint8_t x[16],
                 const uint8_t y[16], uint32_t *val);

/* h6: link key conversion, Core 5.4 Vol 3 Part H 2.2.10: AES-CMAC_w(key_id). */
int bh_crypto_h6(const uint8_t w[16], const uint8_t key_id[4], uint8_t out[16]);

/* h7: link key conversion with SALT, Core 5.4 Vol 3 Part H 2.2.11: AES-CMAC_salt(w). */
int bh_crypto_h7(const uint8_t salt[16], const uint8_t w[16], uint8_t out[16]);

/* ---- Resolvable private addresses ------------------------------------------------------ */

/* Builds an RPA (Core 5.4 Vol 6 Part B 1.3.2.2) into addr (MSB-first): prand in the upper
 * 24 bits, ah(irk, prand) in the lower 24. The two most significant bits of prand are forced
 * to 0b01, so prand may be any 3 random bytes. Returns 0; -EINVAL if the other 22 bits of
 * prand are all 0 or all 1 (draw again); -EIO. */
int bh_crypto_rpa_generate(const uint8_t irk[16], const uint8_t prand[3], uint8_t addr[6]);

/* True if addr (MSB-first) is a resolvable private address that resolves with irk
 * (Core 5.4 Vol 6 Part B 1.3.2.3, Core 5.4 Vol 3 Part C 10.8.2.3). */
bool bh_crypto_rpa_matches(const uint8_t irk[16], const uint8_t addr[6]);

#endif /* BH_CRYPTO_H */

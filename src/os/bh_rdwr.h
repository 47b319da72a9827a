/* SPDX-License-Identifier: MIT */
/*
 * bh_rdwr.h: the only way bytes from the air or the controller are read,
 * and the way PDUs are written.
 *
 * struct bh_rd is a cursor over received bytes with a sticky error flag: a
 * read past the end returns 0 (or NULL) and sets err, so a handler reads all
 * its fields and checks err once. struct bh_wr appends into a bh_buf's
 * tailroom, bounded by a limit (e.g. the ATT MTU), with the same flag.
 */
#ifndef BH_RDWR_H
#define BH_RDWR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "blehost/bh_buf.h"

struct bh_rd {
    const uint8_t *p;
    uint16_t left;
    bool err; /* sticky */
};

static inline void bh_rd_init(struct bh_rd *r, const uint8_t *p, uint16_t len)
{
    r->p = p;
    r->left = len;
    r->err = false;
}

static inline void bh_rd_fail(struct bh_rd *r)
{
    r->err = true;
    r->left = 0;
}

static inline uint8_t bh_rd_u8(struct bh_rd *r)
{
    if (r->left < 1) {
        bh_rd_fail(r);
        return 0;
    }
    r->left--;
    return *r->p++;
}

static inline uint16_t bh_rd_le16(struct bh_rd *r)
{
    if (r->left < 2) {
        bh_rd_fail(r);
        return 0;
    }
    uint16_t v = (uint16_t)(r->p[0] | (r->p[1] << 8));
    r->p += 2;
    r->left -= 2;
    return v;
}

static inline uint32_t bh_rd_le24(struct bh_rd *r)
{
    if (r->left < 3) {
        bh_rd_fail(r);
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16);
    r->p += 3;
    r->left -= 3;
    return v;
}

static inline uint32_t bh_rd_le32(struct bh_rd *r)
{
    if (r->left < 4) {
        bh_rd_fail(r);
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16) |
                 ((uint32_t)r->p[3] << 24);
    r->p += 4;
    r->left -= 4;
    return v;
}

static inline uint64_t bh_rd_le64(struct bh_rd *r)
{
    uint64_t lo = bh_rd_le32(r);
    uint64_t hi = bh_rd_le32(r);
    return r->err ? 0 : (lo | (hi << 32));
}

/* n bytes in place, or NULL (and err) if fewer are left. */
static inline const uint8_t *bh_rd_mem(struct bh_rd *r, uint16_t n)
{
    if (r->left < n) {
        bh_rd_fail(r);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

/* Copy n bytes out; on error dst is zeroed. */
static inline void bh_rd_copy(struct bh_rd *r, void *dst, uint16_t n)
{
    const uint8_t *p = bh_rd_mem(r, n);
    if (p == NULL) {
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, p, n);
}

/* All remaining bytes (possibly zero); *n receives their count. */
static inline const uint8_t *bh_rd_rest(struct bh_rd *r, uint16_t *n)
{
    *n = r->left;
    return bh_rd_mem(r, r->left);
}

/* True when every field was there and nothing is left over. */
static inline bool bh_rd_done(const struct bh_rd *r)
{
    return !r->err && r->left == 0;
}

struct bh_wr {
    struct bh_buf *buf;
    uint16_t limit; /* bytes this writer may still add (<= tailroom) */
    bool err;       /* sticky */
};

/* Write into buf's tailroom, at most `limit` bytes (e.g. MTU). */
static inline void bh_wr_init(struct bh_wr *w, struct bh_buf *buf, uint16_t limit)
{
    uint16_t room = bh_buf_tailroom(buf);
    w->buf = buf;
    w->limit = limit < room ? limit : room;
    w->err = false;
}

static inline uint8_t *bh_wr_reserve(struct bh_wr *w, uint16_t n)
{
    if (w->err || w->limit < n) {
        w->err = true;
        return NULL;
    }
    w->limit -= n;
    return bh_buf_add(w->buf, n);
}

static inline void bh_wr_u8(struct bh_wr *w, uint8_t v)
{
    uint8_t *p = bh_wr_reserve(w, 1);
    if (p != NULL) {
        p[0] = v;
    }
}

static inline void bh_wr_le16(struct bh_wr *w, uint16_t v)
{
    uint8_t *p = bh_wr_reserve(w, 2);
    if (p != NULL) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
    }
}

static inline void bh_wr_le24(struct bh_wr *w, uint32_t v)
{
    uint8_t *p = bh_wr_reserve(w, 3);
    if (p != NULL) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
    }
}

static inline void bh_wr_le32(struct bh_wr *w, uint32_t v)
{
    uint8_t *p = bh_wr_reserve(w, 4);
    if (p != NULL) {
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    }
}

static inline void bh_wr_mem(struct bh_wr *w, const void *mem, uint16_t n)
{
    uint8_t *p = bh_wr_reserve(w, n);
    if (p != NULL && n != 0) {
        memcpy(p, mem, n);
    }
}

/* Little-endian helpers on plain arrays (our own, already-checked storage). */
static inline void bh_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline uint16_t bh_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

#endif /* BH_RDWR_H */

/* SPDX-License-Identifier: MIT */
/* bh_test.c: runner and helpers for bh_test.h. */
#include "bh_test.h"

#include <ctype.h>

jmp_buf bh_test_jmp;
const char *bh_test_current;

void bh_test_fail(const char *file, int line, const char *msg)
{
    fprintf(stderr, "FAIL %s\n  %s:%d: %s\n", bh_test_current, file, line, msg);
    longjmp(bh_test_jmp, 1);
}

int bh_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex != '\0'; hex++) {
        if (isspace((unsigned char)*hex)) {
            continue;
        }
        if (!isxdigit((unsigned char)*hex)) {
            return -1;
        }
        int v = isdigit((unsigned char)*hex) ? *hex - '0' : (tolower((unsigned char)*hex) - 'a' + 10);
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n >= cap) {
            return -1;
        }
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 ? (int)n : -1;
}

const char *bh_test_tohex(const uint8_t *p, size_t n)
{
    static char s[2048];
    size_t o = 0;

    for (size_t i = 0; i < n && o + 4 < sizeof(s); i++) {
        o += (size_t)snprintf(s + o, sizeof(s) - o, i ? " %02x" : "%02x", p[i]);
    }
    s[o] = '\0';
    return s;
}

int bh_test_run(const struct bh_test_case *cases, size_t n, int argc, char **argv)
{
    /* volatile: they live across setjmp/longjmp (C11 7.13.2.1). */
    volatile unsigned passed = 0, failed = 0;
    const char *only = argc > 1 ? argv[1] : NULL;

    for (volatile size_t i = 0; i < n; i++) {
        if (only != NULL && strstr(cases[i].name, only) == NULL) {
            continue;
        }
        bh_test_current = cases[i].name;
        if (setjmp(bh_test_jmp) == 0) {
            cases[i].fn();
            printf("ok   %s\n", cases[i].name);
            passed++;
        } else {
            printf("FAIL %s\n", cases[i].name);
            failed++;
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* crc32c.c - CRC-32C with SSE4.2 (three interleaved streams combined
 * with "append zeros" operators, after Mark Adler's crc32c.c) and a
 * byte-wise table fallback.
 *
 * One stream of _mm_crc32_u64 is bound by the instruction's 3-cycle
 * latency (~7 GB/s here); three independent streams use its throughput
 * of one per cycle, about 3x that, so that checksumming a checkpoint adds
 * a few percent to a disk write instead of ~15 %.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define HAVE_SSE42_PATH 1
#endif

#define POLY 0x82f63b78u /* reflected Castagnoli polynomial */
#define LONG_BLOCK 8192  /* bytes per stream in the long loop */
#define SHORT_BLOCK 256  /* bytes per stream in the short loop */

static uint32_t table[256];
static uint32_t zeros_long[4][256], zeros_short[4][256];
static int have_sse42;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Multiply the 32x32 GF(2) matrix mat by vec. */
static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
    uint32_t sum = 0;

    for (; vec; vec >>= 1, mat++)
        if (vec & 1)
            sum ^= *mat;
    return sum;
}

static void gf2_square(uint32_t *square, const uint32_t *mat)
{
    for (int n = 0; n < 32; n++)
        square[n] = gf2_times(mat, mat[n]);
}

/* op = the operator that appends len zero bytes (len a power of two) to a
 * raw (not pre/post-inverted) CRC. */
static void zeros_op(uint32_t *op, size_t len)
{
    uint32_t odd[32], even[32], row = 1;

    odd[0] = POLY; /* one zero bit */
    for (int n = 1; n < 32; n++, row <<= 1)
        odd[n] = row;
    gf2_square(even, odd); /* two bits */
    gf2_square(odd, even); /* four bits */
    for (;;) {
        gf2_square(even, odd); /* one byte, then 4, 16 ... */
        len >>= 1;
        if (len == 0) {
            memcpy(op, even, sizeof(even));
            return;
        }
        gf2_square(odd, even); /* two bytes, then 8, 32 ... */
        len >>= 1;
        if (len == 0) {
            memcpy(op, odd, sizeof(odd));
            return;
        }
    }
}

/* The operator for len zero bytes as four byte-indexed tables. */
static void zeros_tables(uint32_t zeros[4][256], size_t len)
{
    uint32_t op[32];

    zeros_op(op, len);
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 0; k < 4; k++)
            zeros[k][n] = gf2_times(op, n << (8 * k));
}

static uint32_t shift(uint32_t zeros[4][256], uint32_t crc)
{
    return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^
           zeros[2][(crc >> 16) & 0xff] ^ zeros[3][crc >> 24];
}

static void init_tables(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        table[n] = c;
    }
    zeros_tables(zeros_long, LONG_BLOCK);
    zeros_tables(zeros_short, SHORT_BLOCK);
#ifdef HAVE_SSE42_PATH
    __builtin_cpu_init();
    have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t sw_raw(uint32_t crc, const unsigned char *p, size_t len)
{
    while (len--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&once, init_tables);
    return ~sw_raw(~crc, buf, len);
}

#ifdef HAVE_SSE42_PATH
/* Three streams of block bytes each, while 3 x block bytes remain. */
__attribute__((target("sse4.2"))) static uint64_t
hw_blocks(uint64_t crc0, const unsigned char **pp, size_t *lenp, size_t block,
          uint32_t zeros[4][256])
{
    const unsigned char *p = *pp;

    for (; *lenp >= 3 * block; *lenp -= 3 * block, p += 2 * block) {
        uint64_t crc1 = 0, crc2 = 0, w0, w1, w2;
        const unsigned char *end = p + block;
        for (; p < end; p += 8) {
            memcpy(&w0, p, 8);
            memcpy(&w1, p + block, 8);
            memcpy(&w2, p + 2 * block, 8);
            crc0 = _mm_crc32_u64(crc0, w0);
            crc1 = _mm_crc32_u64(crc1, w1);
            crc2 = _mm_crc32_u64(crc2, w2);
        }
        crc0 = shift(zeros, (uint32_t)crc0) ^ crc1;
        crc0 = shift(zeros, (uint32_t)crc0) ^ crc2;
    }
    *pp = p;
    return crc0;
}

__attribute__((target("sse4.2"))) static uint32_t
hw_raw(uint32_t crc, const unsigned char *p, size_t len)
{
    uint64_t c = crc, w;

    for (; len && ((uintptr_t)p & 7); len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    c = hw_blocks(c, &p, &len, LONG_BLOCK, zeros_long);
    c = hw_blocks(c, &p, &len, SHORT_BLOCK, zeros_short);
    for (; len >= 8; len -= 8, p += 8) {
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
    }
    for (; len; len--)
        c = _mm_crc32_u8((uint32_t)c, *p++);
    return (uint32_t)c;
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&once, init_tables);
#ifdef HAVE_SSE42_PATH
    if (have_sse42)
        return ~hw_raw(~crc, buf, len);
#endif
    return ~sw_raw(~crc, buf, len);
}

/* half.c - float <-> bfloat16 and float <-> IEEE binary16, rounding to
 * nearest even (contracts in half.h). */
#include "half.h"

#include <string.h>

static uint32_t float_bits(float f)
{
    uint32_t u;

    memcpy(&u, &f, sizeof(u));
    return u;
}

static float bits_float(uint32_t u)
{
    float f;

    memcpy(&f, &u, sizeof(f));
    return f;
}

/* Shift m right by `shift` (1..31) bits, rounding to nearest even. A carry
 * out of the kept bits is what the callers want: it moves a mantissa into
 * the next binade (or to infinity). */
static uint32_t shift_round_even(uint32_t m, unsigned shift)
{
    uint32_t kept = m >> shift;
    uint32_t rest = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);

    if (rest > half || (rest == half && (kept & 1)))
        kept++;
    return kept;
}

uint16_t half_bf16_from_float(float f)
{
    uint32_t u = float_bits(f);

    if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it quiet and a NaN */
        return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)shift_round_even(u, 16);
}

float half_bf16_to_float(uint16_t h)
{
    return bits_float((uint32_t)h << 16);
}

/* |f| below 2^-14, the smallest normal binary16: a subnormal (or zero)
 * that counts units of 2^-24. abs_bits is f's bit pattern without sign. */
static uint32_t fp16_subnormal(uint32_t abs_bits)
{
    uint32_t exp = abs_bits >> 23;
    uint32_t mant = (abs_bits & 0x7fffffu) | 0x800000u;
    /* |f| = mant * 2^(exp - 150), in units of 2^-24: mant >> (126 - exp) */
    uint32_t shift = 126 - exp;

    if (shift > 24) /* below half of 2^-24 (ties go to even 0) */
        return 0;
    return shift_round_even(mant, shift);
}

uint16_t half_fp16_from_float(float f)
{
    uint32_t u = float_bits(f);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t abs_bits = u & 0x7fffffffu;

    if (abs_bits > 0x7f800000u) /* NaN */
        return (uint16_t)(sign | 0x7e00u | ((abs_bits >> 13) & 0x3ffu));
    if (abs_bits >= 0x47800000u) /* >= 65536 (and inf): infinity */
        return (uint16_t)(sign | 0x7c00u);
    if (abs_bits < 0x38800000u) /* below 2^-14 */
        return (uint16_t)(sign | fp16_subnormal(abs_bits));
    /* Rebias the exponent (127 -> 15) and round 23 mantissa bits to 10;
     * 65520 and above round up into 0x7c00, infinity, as they should. */
    return (uint16_t)(sign | shift_round_even(abs_bits - 0x38000000u, 13));
}

float half_fp16_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    float sub;

    if (exp == 0x1f) /* inf, NaN */
        return bits_float(sign | 0x7f800000u | (mant << 13));
    if (exp != 0)
        return bits_float(sign | ((exp + 112) << 23) | (mant << 13));
    sub = (float)mant * 0x1p-24f; /* zero or subnormal, exact */
    return sign ? -sub : sub;
}

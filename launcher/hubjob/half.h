/* half.h - conversions between float and the 16-bit floating-point formats
 * of hub_dtype_t: bfloat16 (8-bit exponent, 7-bit mantissa) and IEEE 754
 * binary16 (5-bit exponent, 10-bit mantissa), held as uint16_t bit
 * patterns.
 *
 * Float to 16 bits rounds to nearest, ties to even, in both formats;
 * values too large become infinity of the same sign; float16 results
 * below its normal range become float16 subnormals (or zero), correctly
 * rounded. A NaN stays a NaN (quiet, same sign, the top payload bits
 * kept). 16 bits to float is exact.
 *
 * Non-goals: vectorised conversion, rounding modes other than
 * nearest-even, signalling-NaN preservation.
 */
#ifndef HUBJOB_HALF_H
#define HUBJOB_HALF_H

#include <stdint.h>

/* bfloat16 bits nearest to f (ties to even). */
uint16_t half_bf16_from_float(float f);

/* The float whose value bfloat16 bits h hold (exact). */
float half_bf16_to_float(uint16_t h);

/* IEEE binary16 bits nearest to f (ties to even, subnormals included). */
uint16_t half_fp16_from_float(float f);

/* The float whose value binary16 bits h hold (exact). */
float half_fp16_to_float(uint16_t h);

#endif /* HUBJOB_HALF_H */

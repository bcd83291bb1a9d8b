/* test_half.c - float <-> bfloat16 and float <-> IEEE binary16 conversions:
 * exactness, round-to-nearest-even at every midpoint, NaN, infinities and
 * binary16 subnormals. */
#include "cmocka_all.h"

#include <math.h>
#include <string.h>

#include "half.h"

typedef uint16_t (*from_fn)(float);
typedef float (*to_fn)(uint16_t);

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

/* Every positive finite pattern below `last` and its successor: the value,
 * the midpoint (exact in float for both formats) and its neighbours must
 * round to the right side, ties to the even pattern. */
static void check_midpoints(from_fn from, to_fn to, uint16_t last)
{
    for (uint32_t h = 0; h < last; h++) {
        float a = to((uint16_t)h), b = to((uint16_t)(h + 1));
        float mid = (float)(((double)a + (double)b) / 2);
        uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;

        assert_int_equal(from(a), h);
        assert_int_equal(from(mid), even);
        assert_int_equal(from(nextafterf(mid, 0)), h);
        assert_int_equal(from(nextafterf(mid, INFINITY)), h + 1);
        assert_int_equal(from(-mid), 0x8000 | even);
    }
}

static void test_fp16_rounds_every_midpoint_to_even(void **state)
{
    check_midpoints(half_fp16_from_float, half_fp16_to_float, 0x7bff);
}

static void test_bf16_rounds_every_midpoint_to_even(void **state)
{
    check_midpoints(half_bf16_from_float, half_bf16_to_float, 0x7f7f);
}

static void test_every_pattern_round_trips(void **state)
{
    for (uint32_t h = 0; h <= 0xffff; h++) {
        float f16 = half_fp16_to_float((uint16_t)h);
        float b16 = half_bf16_to_float((uint16_t)h);

        if (isnan(f16))
            assert_true(isnan(half_fp16_to_float(half_fp16_from_float(f16))));
        else
            assert_int_equal(half_fp16_from_float(f16), h);
        if (isnan(b16))
            assert_true(isnan(half_bf16_to_float(half_bf16_from_float(b16))));
        else
            assert_int_equal(half_bf16_from_float(b16), h);
    }
}

static void test_known_values_convert_exactly(void **state)
{
    assert_int_equal(half_fp16_from_float(1.0f), 0x3c00);
    assert_int_equal(half_fp16_from_float(-2.0f), 0xc000);
    assert_int_equal(half_fp16_from_float(65504.0f), 0x7bff);
    assert_int_equal(half_fp16_from_float(0x1p-14f), 0x0400);
    assert_int_equal(half_fp16_from_float(0x1p-24f), 0x0001);
    assert_int_equal(half_bf16_from_float(1.0f), 0x3f80);
    assert_int_equal(half_bf16_from_float(-3.0f), 0xc040);
    assert_true(half_fp16_to_float(0x3555) == 0x1.554p-2f);
    assert_true(half_bf16_to_float(0x4049) == 3.140625f);
}

static void test_overflow_becomes_infinity(void **state)
{
    assert_int_equal(half_fp16_from_float(65519.99f), 0x7bff);
    assert_int_equal(half_fp16_from_float(65520.0f), 0x7c00);
    assert_int_equal(half_fp16_from_float(-1e6f), 0xfc00);
    assert_int_equal(half_fp16_from_float(INFINITY), 0x7c00);
    assert_int_equal(half_fp16_from_float(-INFINITY), 0xfc00);
    assert_int_equal(half_bf16_from_float(3.4028235e38f), 0x7f80);
    assert_int_equal(half_bf16_from_float(-INFINITY), 0xff80);
    assert_true(isinf(half_fp16_to_float(0x7c00)));
    assert_true(half_bf16_to_float(0xff80) == -INFINITY);
}

static void test_nan_stays_quiet_nan_with_sign(void **state)
{
    uint16_t h = half_fp16_from_float(NAN);
    uint16_t b = half_bf16_from_float(-NAN);

    assert_int_equal(h & 0x7e00, 0x7e00);
    assert_int_equal(b & 0xffc0, 0xffc0);
    /* A NaN whose payload lies only in the low float bits must not turn
     * into infinity. */
    assert_true(isnan(half_bf16_to_float(half_bf16_from_float(nanf("1")))));
    assert_true(isnan(half_fp16_to_float(half_fp16_from_float(nanf("1")))));
    assert_true(isnan(half_fp16_to_float(0x7c01)));
    assert_true(isnan(half_bf16_to_float(0x7fc1)));
}

static void test_fp16_subnormals_and_underflow(void **state)
{
    assert_int_equal(half_fp16_from_float(0x1p-25f), 0x0000); /* tie: 0 */
    assert_int_equal(half_fp16_from_float(0x1.8p-25f), 0x0001);
    assert_int_equal(half_fp16_from_float(0x1.8p-24f), 0x0002); /* tie */
    assert_int_equal(half_fp16_from_float(-0x1p-26f), 0x8000);
    assert_int_equal(half_fp16_from_float(1e-40f), 0x0000); /* float sub */
    assert_int_equal(half_fp16_from_float(-0.0f), 0x8000);
    /* the largest subnormal rounds up into the smallest normal */
    assert_int_equal(half_fp16_from_float(0x1.ffep-15f), 0x0400);
    assert_true(half_fp16_to_float(0x03ff) == 0x1.ff8p-15f);
    assert_int_equal(bits(half_fp16_to_float(0x8000)), 0x80000000u);
    assert_int_equal(bits(half_bf16_to_float(0x8000)), 0x80000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp16_rounds_every_midpoint_to_even),
        cmocka_unit_test(test_bf16_rounds_every_midpoint_to_even),
        cmocka_unit_test(test_every_pattern_round_trips),
        cmocka_unit_test(test_known_values_convert_exactly),
        cmocka_unit_test(test_overflow_becomes_infinity),
        cmocka_unit_test(test_nan_stays_quiet_nan_with_sign),
        cmocka_unit_test(test_fp16_subnormals_and_underflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

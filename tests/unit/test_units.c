/* test_units.c - durations and sizes in Slurm's forms: parsing, refusals
 * with readable messages, formatting and round trips. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#define MIN 60
#define HOUR 3600
#define DAY 86400
#define KIB ((uint64_t)1 << 10)
#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)
#define TIB ((uint64_t)1 << 40)
#define PIB ((uint64_t)1 << 50)

static void assert_duration(const char *s, int64_t want)
{
    hub_error_t err = {""};
    int64_t secs = -7;
    int rc = hub_parse_duration(s, &secs, &err);

    if (rc != 0)
        print_error("'%s': %s\n", s, err.text);
    assert_int_equal(rc, 0);
    assert_int_equal(secs, want);
}

/* s is refused, secs is untouched and the message contains each of the
 * (up to two) fragments. */
static void assert_bad_duration(const char *s, const char *frag1,
                                const char *frag2)
{
    hub_error_t err = {""};
    int64_t secs = -7;

    assert_int_equal(hub_parse_duration(s, &secs, &err), -EINVAL);
    assert_int_equal(secs, -7);
    if (!strstr(err.text, frag1) || (frag2 && !strstr(err.text, frag2)))
        fail_msg("'%s': message '%s' lacks '%s' / '%s'", s ? s : "(null)",
                 err.text, frag1, frag2 ? frag2 : "");
}

static void test_duration_bare_number_is_minutes(void **state)
{
    assert_duration("30", 30 * MIN);
    assert_duration("0", 0);
    assert_duration("1440", DAY);
}

static void test_duration_accepts_unit_suffixes(void **state)
{
    assert_duration("30s", 30);
    assert_duration("90m", 90 * MIN);
    assert_duration("2h", 2 * HOUR);
    assert_duration("1d", DAY);
    assert_duration("2H", 2 * HOUR);
    assert_duration("7D", 7 * DAY);
}

static void test_duration_accepts_slurm_colon_forms(void **state)
{
    assert_duration("1:30", 90);              /* MM:SS */
    assert_duration("75:00", 75 * MIN);       /* leading minutes unbounded */
    assert_duration("1:02:03", 3723);         /* HH:MM:SS */
    assert_duration("100:00:00", 100 * HOUR); /* leading hours unbounded */
    assert_duration("0:59", 59);
}

static void test_duration_accepts_slurm_day_forms(void **state)
{
    assert_duration("2-12", 2 * DAY + 12 * HOUR);          /* D-HH */
    assert_duration("1-02:30", DAY + 2 * HOUR + 30 * MIN); /* D-HH:MM */
    assert_duration("3-23:59:59", 3 * DAY + 23 * HOUR + 59 * MIN + 59);
    assert_duration("0-0:0:1", 1);
    assert_duration("365-00:00:00", 365 * DAY);
}

static void test_duration_unlimited_any_case(void **state)
{
    assert_duration("UNLIMITED", HUB_DURATION_INFINITE);
    assert_duration("unlimited", HUB_DURATION_INFINITE);
    assert_duration("INFINITE", HUB_DURATION_INFINITE);
    assert_duration("infinite", HUB_DURATION_INFINITE);
    assert_duration("Infinite", HUB_DURATION_INFINITE);
}

static void test_duration_rejects_out_of_range_fields(void **state)
{
    assert_bad_duration("1:75", "'1:75'", "seconds 75");
    assert_bad_duration("1:60:00", "'1:60:00'", "minutes 60");
    assert_bad_duration("1:00:60", "'1:00:60'", "seconds 60");
    assert_bad_duration("1-24", "'1-24'", "hours 24");
    assert_bad_duration("1-23:60", "'1-23:60'", "minutes 60");
    assert_bad_duration("1-0:0:60", "'1-0:0:60'", "seconds 60");
}

static void test_duration_rejects_garbage(void **state)
{
    assert_bad_duration("abc", "'abc'", "expected");
    assert_bad_duration("", "empty", NULL);
    assert_bad_duration(NULL, "empty", NULL);
    assert_bad_duration("-5", "'-5'", "negative");
    assert_bad_duration("5x", "'5x'", "unknown unit 'x'");
    assert_bad_duration("5ss", "'5ss'", "unknown unit 'ss'");
    assert_bad_duration("1.5h", "'1.5h'", "unknown unit '.5h'");
    assert_bad_duration(" 5", "' 5'", NULL);
    assert_bad_duration("5 ", "'5 '", NULL);
    assert_bad_duration("1::2", "'1::2'", "empty field");
    assert_bad_duration("1:", "'1:'", "empty field");
    assert_bad_duration(":5", "':5'", "empty field");
    assert_bad_duration("1-", "'1-'", "empty field");
    assert_bad_duration("1:a", "'1:a'", "'a' is not a number");
    assert_bad_duration("x-1", "'x-1'", "'x' is not a number");
    assert_bad_duration("1:2:3:4", "'1:2:3:4'", "too many fields");
    assert_bad_duration("1-2:3:4:5", "'1-2:3:4:5'", "too many fields");
    assert_bad_duration("1-2-3", "'1-2-3'", "more than one '-'");
    assert_bad_duration("UNLIMITEDx", "'UNLIMITEDx'", NULL);
}

static void test_duration_rejects_overflow(void **state)
{
    assert_bad_duration("99999999999999999999", "too large", NULL);
    assert_bad_duration("999999999999999999d", "too large", NULL);
    assert_bad_duration("999999999999999999-00", "too large", NULL);
    assert_bad_duration("153722867280912931", "too large", NULL);
    assert_duration("153722867280912930", 9223372036854775800LL);
    assert_bad_duration("9223372036854775807s", "too large", NULL);
    assert_duration("9223372036854775806s", HUB_DURATION_INFINITE - 1);
}

static void assert_format_duration(int64_t secs, const char *want)
{
    char buf[64];
    int n = hub_format_duration(secs, buf, sizeof(buf));

    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_duration_formats_like_squeue(void **state)
{
    assert_format_duration(0, "0:00");
    assert_format_duration(59, "0:59");
    assert_format_duration(90, "1:30");
    assert_format_duration(HOUR - 1, "59:59");
    assert_format_duration(HOUR, "1:00:00");
    assert_format_duration(3723, "1:02:03");
    assert_format_duration(DAY - 1, "23:59:59");
    assert_format_duration(DAY, "1-00:00:00");
    assert_format_duration(2 * DAY + 12 * HOUR + 30 * MIN + 5, "2-12:30:05");
    assert_format_duration(HUB_DURATION_INFINITE, "UNLIMITED");
    assert_format_duration(-1, "INVALID");
}

static void test_duration_format_reports_full_length_when_truncated(void **s)
{
    char buf[4];

    assert_int_equal(hub_format_duration(3723, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "1:0");
}

static void test_duration_format_round_trips(void **state)
{
    const int64_t values[] = {0,
                              1,
                              59,
                              60,
                              61,
                              3599,
                              3600,
                              3661,
                              86399,
                              86400,
                              86401,
                              90061,
                              999 * DAY + 23 * HOUR + 59 * MIN + 59,
                              HUB_DURATION_INFINITE};
    char buf[64];

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        int64_t back = -1;
        hub_format_duration(values[i], buf, sizeof(buf));
        assert_int_equal(hub_parse_duration(buf, &back, NULL), 0);
        assert_int_equal(back, values[i]);
    }
}

static void assert_size(const char *s, uint64_t unit, uint64_t want)
{
    hub_error_t err = {""};
    uint64_t bytes = 7;
    int rc = hub_parse_size(s, unit, &bytes, &err);

    if (rc != 0)
        print_error("'%s': %s\n", s, err.text);
    assert_int_equal(rc, 0);
    assert_int_equal(bytes, want);
}

static void assert_bad_size(const char *s, int rc, const char *frag)
{
    hub_error_t err = {""};
    uint64_t bytes = 7;

    assert_int_equal(hub_parse_size(s, 1, &bytes, &err), rc);
    assert_int_equal(bytes, 7);
    if (!strstr(err.text, frag))
        fail_msg("'%s': message '%s' lacks '%s'", s ? s : "(null)", err.text,
                 frag);
}

static void test_size_accepts_each_suffix(void **state)
{
    assert_size("2K", 1, 2 * KIB);
    assert_size("512M", 1, 512 * MIB);
    assert_size("4G", 1, 4 * GIB);
    assert_size("3T", 1, 3 * TIB);
    assert_size("2P", 1, 2 * PIB);
    assert_size("4g", 1, 4 * GIB);
    assert_size("512m", 1, 512 * MIB);
}

static void test_size_accepts_b_and_ib_endings(void **state)
{
    assert_size("4GB", 1, 4 * GIB);
    assert_size("4GiB", 1, 4 * GIB);
    assert_size("4gib", 1, 4 * GIB);
    assert_size("1kb", 1, KIB);
    assert_size("100B", MIB, 100); /* an explicit B overrides the default */
    assert_size("100b", MIB, 100);
}

static void test_size_bare_number_uses_default_unit(void **state)
{
    assert_size("512", MIB, 512 * MIB);
    assert_size("512", 1, 512);
    assert_size("512", 0, 512); /* 0 is taken as bytes */
    assert_size("0", MIB, 0);
    assert_size("1.5", MIB, MIB + MIB / 2);
}

static void test_size_accepts_fractions(void **state)
{
    assert_size("1.5G", 1, GIB + GIB / 2);
    assert_size("0.5K", 1, 512);
    assert_size("1.25M", 1, MIB + MIB / 4);
    assert_size("1.5T", 1, TIB + TIB / 2);
    assert_size("0.1K", 1, 102); /* 102.4, truncated */
    assert_size("2.0G", 1, 2 * GIB);
    assert_size("1.000000000000000000001G", 1, GIB);
    assert_size("0.999999999P", 1, PIB - PIB / 1000000000 - 1);
}

static void test_size_rejects_garbage(void **state)
{
    assert_bad_size("", -EINVAL, "empty");
    assert_bad_size(NULL, -EINVAL, "empty");
    assert_bad_size("abc", -EINVAL, "'abc'");
    assert_bad_size("-5", -EINVAL, "negative");
    assert_bad_size("-5G", -EINVAL, "'-5G' is negative");
    assert_bad_size("5x", -EINVAL, "unknown suffix 'x'");
    assert_bad_size("5KX", -EINVAL, "unknown suffix 'KX'");
    assert_bad_size("5iB", -EINVAL, "unknown suffix 'iB'");
    assert_bad_size("5 G", -EINVAL, "unknown suffix ' G'");
    assert_bad_size("1.", -EINVAL, "'1.'");
    assert_bad_size(".5G", -EINVAL, "'.5G'");
    assert_bad_size("1.2.3", -EINVAL, "unknown suffix '.3'");
    assert_bad_size("1E", -EINVAL, "unknown suffix 'E'");
}

static void test_size_overflow_is_erange(void **state)
{
    assert_size("18446744073709551615", 1, UINT64_MAX);
    assert_bad_size("18446744073709551616", -ERANGE, "too large");
    assert_bad_size("99999999999999999999999", -ERANGE, "too large");
    assert_size("16383P", 1, 16383 * PIB);
    assert_bad_size("16384P", -ERANGE, "'16384P' is too large");
    assert_size("16383.9999999999P", 1, 16383 * PIB + 1125899905716724);
    assert_bad_size("17592186044416T", -ERANGE, "too large");

    uint64_t bytes = 7;
    assert_int_equal(hub_parse_size("17592186044416", MIB, &bytes, NULL),
                     -ERANGE);
    assert_int_equal(bytes, 7);
}

static void assert_format_size(uint64_t bytes, const char *want)
{
    char buf[64];
    int n = hub_format_size(bytes, buf, sizeof(buf));

    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_size_formats_with_largest_suffix(void **state)
{
    assert_format_size(0, "0");
    assert_format_size(100, "100");
    assert_format_size(1023, "1023");
    assert_format_size(KIB, "1K");
    assert_format_size(KIB + KIB / 2, "1.5K");
    assert_format_size(512 * MIB, "512M");
    assert_format_size(4 * GIB, "4G");
    assert_format_size(TIB + TIB / 2, "1.5T");
    assert_format_size(3 * PIB, "3P");
    assert_format_size(2048 * PIB, "2048P"); /* nothing above P */
    assert_format_size(UINT64_MAX, "16384P");
}

static void test_size_format_rounds_to_one_decimal(void **state)
{
    assert_format_size(KIB + 1, "1K");
    assert_format_size(KIB + KIB / 4, "1.3K"); /* 1.25 rounds half up */
    assert_format_size(1395864371, "1.3G");
    assert_format_size(MIB - 1, "1M"); /* 1023.999K */
    assert_format_size(1023 * MIB, "1023M");
}

static void test_size_format_round_trips(void **state)
{
    const uint64_t values[] = {
        0,       1,           1023,          KIB,     3 * KIB / 2, 512 * MIB,
        4 * GIB, 5 * GIB / 2, TIB + TIB / 2, 7 * PIB, 100 * GIB,   1000 * TIB};
    char buf[64];

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint64_t back = 7;
        hub_format_size(values[i], buf, sizeof(buf));
        assert_int_equal(hub_parse_size(buf, 1, &back, NULL), 0);
        assert_int_equal(back, values[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_bare_number_is_minutes),
        cmocka_unit_test(test_duration_accepts_unit_suffixes),
        cmocka_unit_test(test_duration_accepts_slurm_colon_forms),
        cmocka_unit_test(test_duration_accepts_slurm_day_forms),
        cmocka_unit_test(test_duration_unlimited_any_case),
        cmocka_unit_test(test_duration_rejects_out_of_range_fields),
        cmocka_unit_test(test_duration_rejects_garbage),
        cmocka_unit_test(test_duration_rejects_overflow),
        cmocka_unit_test(test_duration_formats_like_squeue),
        cmocka_unit_test(
            test_duration_format_reports_full_length_when_truncated),
        cmocka_unit_test(test_duration_format_round_trips),
        cmocka_unit_test(test_size_accepts_each_suffix),
        cmocka_unit_test(test_size_accepts_b_and_ib_endings),
        cmocka_unit_test(test_size_bare_number_uses_default_unit),
        cmocka_unit_test(test_size_accepts_fractions),
        cmocka_unit_test(test_size_rejects_garbage),
        cmocka_unit_test(test_size_overflow_is_erange),
        cmocka_unit_test(test_size_formats_with_largest_suffix),
        cmocka_unit_test(test_size_format_rounds_to_one_decimal),
        cmocka_unit_test(test_size_format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

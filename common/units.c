/* units.c - parse and print durations and sizes in Slurm's forms (see
 * units.h). Non-goals: locales, decimal (SI) size units, fractional
 * durations. All arithmetic is overflow-checked integer arithmetic.
 */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Fraction digits of a size taken into account; later ones are checked to
 * be digits and ignored (the error is below one byte per 1G of unit). */
#define MAX_FRACTION_DIGITS 9

/* Largest finite duration; INT64_MAX itself means "infinite". */
#define DURATION_MAX (INT64_MAX - 1)

/* Multiply-add with a ceiling: *acc = *acc * mul + add, or -1 (and *acc
 * untouched) when the result would exceed limit. */
static int checked_mul_add(uint64_t *acc, uint64_t mul, uint64_t add,
                           uint64_t limit)
{
    if (mul != 0 && *acc > limit / mul)
        return -1;
    if (*acc * mul > limit - add)
        return -1;
    *acc = *acc * mul + add;
    return 0;
}

/* Count the leading decimal digits of s. */
static size_t digit_span(const char *s)
{
    size_t n = 0;

    while (isdigit((unsigned char)s[n]))
        n++;
    return n;
}

/* Value of the n digits at s into *v, or -1 if it would exceed limit. */
static int digits_value(const char *s, size_t n, uint64_t limit, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++)
        if (checked_mul_add(v, 10, (uint64_t)(s[i] - '0'), limit) < 0)
            return -1;
    return 0;
}

/* ---- durations ---------------------------------------------------------- */

static int is_infinite(const char *s)
{
    return strcasecmp(s, "UNLIMITED") == 0 || strcasecmp(s, "INFINITE") == 0;
}

/* Parse the n characters at f, which must all be digits, into *v. */
static int duration_field(const char *s, const char *f, size_t n, uint64_t *v,
                          hub_error_t *err)
{
    if (n == 0)
        return hub_errorf(err, EINVAL, "duration '%s': empty field", s);
    if (digit_span(f) < n)
        return hub_errorf(err, EINVAL, "duration '%s': '%.*s' is not a number",
                          s, (int)n, f);
    if (digits_value(f, n, DURATION_MAX, v) < 0)
        return hub_errorf(err, EINVAL, "duration '%s' is too large", s);
    return 0;
}

/* Split rest ("HH", "MM:SS", "HH:MM:SS") at ':' into f[0..*n-1]. */
static int colon_fields(const char *s, const char *rest, uint64_t f[3], int *n,
                        hub_error_t *err)
{
    const char *p = rest;
    int rc;

    for (*n = 0;; (*n)++) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (*n == 3)
            return hub_errorf(err, EINVAL, "duration '%s': too many fields", s);
        if ((rc = duration_field(s, p, len, &f[*n], err)) < 0)
            return rc;
        if (!colon)
            break;
        p = colon + 1;
    }
    (*n)++;
    return 0;
}

static int out_of_range(const char *s, const char *what, uint64_t v, int max,
                        hub_error_t *err)
{
    return hub_errorf(err, EINVAL,
                      "duration '%s': %s %" PRIu64 " out of range (0-%d)", s,
                      what, v, max);
}

/* Check the ranges of h, m, sec, then store the total. first_is_min says
 * the minutes are the leading field ("MM:SS") and so unbounded. */
static int hms_total(const char *s, uint64_t days, const uint64_t hms[3],
                     int hours_bounded, int first_is_min, int64_t *secs,
                     hub_error_t *err)
{
    uint64_t t = days;

    if (hours_bounded && hms[0] > 23)
        return out_of_range(s, "hours", hms[0], 23, err);
    if (!first_is_min && hms[1] > 59)
        return out_of_range(s, "minutes", hms[1], 59, err);
    if (hms[2] > 59)
        return out_of_range(s, "seconds", hms[2], 59, err);
    if (checked_mul_add(&t, 24, hms[0], DURATION_MAX) < 0 ||
        checked_mul_add(&t, 60, hms[1], DURATION_MAX) < 0 ||
        checked_mul_add(&t, 60, hms[2], DURATION_MAX) < 0)
        return hub_errorf(err, EINVAL, "duration '%s' is too large", s);
    *secs = (int64_t)t;
    return 0;
}

/* "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS". */
static int slurm_form(const char *s, int64_t *secs, hub_error_t *err)
{
    const char *dash = strchr(s, '-');
    const char *rest = s;
    uint64_t days = 0, f[3], hms[3] = {0, 0, 0};
    int n, rc;

    if (dash) {
        if (strchr(dash + 1, '-'))
            return hub_errorf(err, EINVAL, "duration '%s': more than one '-'",
                              s);
        if ((rc = duration_field(s, s, (size_t)(dash - s), &days, err)) < 0)
            return rc;
        rest = dash + 1;
    }
    if ((rc = colon_fields(s, rest, f, &n, err)) < 0)
        return rc;
    if (dash || n == 3)
        memcpy(hms, f, (size_t)n * sizeof(f[0])); /* H[:M[:S]] */
    else
        memcpy(hms + 1, f, 2 * sizeof(f[0])); /* M:S */
    return hms_total(s, days, hms, dash != NULL, !dash && n == 2, secs, err);
}

/* "30" (minutes), "30s", "90m", "2h", "1d". */
static int suffixed_form(const char *s, int64_t *secs, hub_error_t *err)
{
    size_t n = digit_span(s);
    uint64_t v, mul = 60;

    if (n == 0)
        return hub_errorf(err, EINVAL,
                          "duration '%s': expected minutes, a number with s, "
                          "m, h or d, [D-]HH:MM:SS or UNLIMITED",
                          s);
    if (s[n] != '\0') {
        const char *units = "sSmMhHdD";
        const uint64_t muls[] = {1, 1, 60, 60, 3600, 3600, 86400, 86400};
        const char *u = strchr(units, s[n]);
        if (!u || s[n + 1] != '\0')
            return hub_errorf(err, EINVAL,
                              "duration '%s': unknown unit "
                              "'%s' (use s, m, h or d)",
                              s, s + n);
        mul = muls[u - units];
    }
    if (digits_value(s, n, DURATION_MAX, &v) < 0 ||
        checked_mul_add(&v, mul, 0, DURATION_MAX) < 0)
        return hub_errorf(err, EINVAL, "duration '%s' is too large", s);
    *secs = (int64_t)v;
    return 0;
}

int hub_parse_duration(const char *s, int64_t *secs, hub_error_t *err)
{
    if (!s || *s == '\0')
        return hub_errorf(err, EINVAL, "empty duration");
    if (is_infinite(s)) {
        *secs = HUB_DURATION_INFINITE;
        return 0;
    }
    if (s[0] == '-')
        return hub_errorf(err, EINVAL, "duration '%s' is negative", s);
    if (strchr(s, '-') || strchr(s, ':'))
        return slurm_form(s, secs, err);
    return suffixed_form(s, secs, err);
}

/* Negative values have no squeue form; like squeue, print "INVALID". */
int hub_format_duration(int64_t secs, char *buf, size_t len)
{
    int64_t days, h, m, s;

    if (secs == HUB_DURATION_INFINITE)
        return snprintf(buf, len, "UNLIMITED");
    if (secs < 0)
        return snprintf(buf, len, "INVALID");
    days = secs / 86400;
    h = secs / 3600 % 24;
    m = secs / 60 % 60;
    s = secs % 60;
    if (days > 0)
        return snprintf(buf, len,
                        "%" PRId64 "-%02" PRId64 ":%02" PRId64 ":%02" PRId64,
                        days, h, m, s);
    if (h > 0)
        return snprintf(buf, len, "%" PRId64 ":%02" PRId64 ":%02" PRId64, h, m,
                        s);
    return snprintf(buf, len, "%" PRId64 ":%02" PRId64, m, s);
}

/* ---- sizes -------------------------------------------------------------- */

static const char size_letters[] = "KMGTP";

/* The unit named by the suffix at p ("", "B", "K", "KB", "KiB", ...) or 0
 * if p is not a suffix. A missing suffix means default_unit. */
static uint64_t size_unit(const char *p, uint64_t default_unit)
{
    const char *l;

    if (*p == '\0')
        return default_unit;
    if (strcasecmp(p, "B") == 0)
        return 1;
    l = strchr(size_letters, toupper((unsigned char)*p));
    if (!l)
        return 0;
    p++;
    if (*p != '\0' && strcasecmp(p, "B") != 0 && strcasecmp(p, "iB") != 0)
        return 0;
    return (uint64_t)1 << (10 * (l - size_letters + 1));
}

/* The bytes in 0.frac units (frac has k <= MAX_FRACTION_DIGITS digits),
 * truncated: frac * unit / 10^k without overflow, as unit = q * 10^k + r
 * and frac < 10^k. */
static uint64_t fraction_bytes(uint64_t frac, size_t k, uint64_t unit)
{
    uint64_t pow = 1;

    for (size_t i = 0; i < k; i++)
        pow *= 10;
    return frac * (unit / pow) + frac * (unit % pow) / pow;
}

static int size_syntax(const char *s, hub_error_t *err)
{
    return hub_errorf(err, EINVAL,
                      "size '%s': expected a number with an optional K, M, "
                      "G, T or P suffix",
                      s);
}

/* A default_unit of 0 is taken as 1 (bytes). */
int hub_parse_size(const char *s, uint64_t default_unit, uint64_t *bytes,
                   hub_error_t *err)
{
    size_t ni, nf = 0;
    uint64_t total, unit, frac;
    const char *p;

    if (!s || *s == '\0')
        return hub_errorf(err, EINVAL, "empty size");
    if (s[0] == '-')
        return hub_errorf(err, EINVAL, "size '%s' is negative", s);
    if ((ni = digit_span(s)) == 0)
        return size_syntax(s, err);
    p = s + ni;
    if (*p == '.' && (nf = digit_span(p + 1)) == 0)
        return size_syntax(s, err);
    p += nf ? nf + 1 : 0;
    if ((unit = size_unit(p, default_unit ? default_unit : 1)) == 0)
        return hub_errorf(err, EINVAL, "size '%s': unknown suffix '%s'", s, p);
    if (nf > MAX_FRACTION_DIGITS)
        nf = MAX_FRACTION_DIGITS; /* the rest were checked to be digits */
    digits_value(s + ni + 1, nf, UINT64_MAX, &frac); /* < 10^9 */
    if (digits_value(s, ni, UINT64_MAX, &total) < 0 ||
        checked_mul_add(&total, unit, 0, UINT64_MAX) < 0 ||
        checked_mul_add(&total, 1, fraction_bytes(frac, nf, unit), UINT64_MAX) <
            0)
        return hub_errorf(err, ERANGE, "size '%s' is too large", s);
    *bytes = total;
    return 0;
}

/* Rounds to the nearest tenth; a whole number prints without ".0". */
int hub_format_size(uint64_t bytes, char *buf, size_t len)
{
    uint64_t unit = 1024, tenths;
    int k = 0;

    if (bytes < 1024)
        return snprintf(buf, len, "%" PRIu64, bytes);
    while (k < 4 && bytes / unit >= 1024) {
        unit <<= 10;
        k++;
    }
    tenths = bytes / unit * 10 + ((bytes % unit) * 10 + unit / 2) / unit;
    if (tenths >= 10240 && k < 4) {
        tenths = 10; /* 1023.95K and up round to 1M */
        k++;
    }
    if (tenths % 10 == 0)
        return snprintf(buf, len, "%" PRIu64 "%c", tenths / 10,
                        size_letters[k]);
    return snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", tenths / 10,
                    tenths % 10, size_letters[k]);
}

/* harness.c - the benchmarks' shared harness (see harness.h). */
#include "harness.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool smoke;
static int repeats;

int hub_bench_init(int argc, char **argv)
{
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0)
            smoke = true;
        else if (strncmp(argv[i], "--repeats=", 10) == 0)
            repeats = atoi(argv[i] + 10);
        else
            break;
    }
    return i;
}

bool hub_bench_smoke(void)
{
    return smoke;
}

int hub_bench_repeats(int dflt)
{
    if (smoke)
        return 1;
    return repeats > 0 ? repeats : dflt;
}

double hub_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Value at quantile q of sorted v (linear interpolation). */
static double quantile(const double *v, int n, double q)
{
    double pos = q * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

void hub_bench_summarise(double *samples, int n, hub_bench_stats_t *out)
{
    double sum = 0;

    memset(out, 0, sizeof(*out));
    if (n <= 0)
        return;
    qsort(samples, n, sizeof(*samples), cmp_double);
    for (int i = 0; i < n; i++)
        sum += samples[i];
    out->n = n;
    out->min = samples[0];
    out->max = samples[n - 1];
    out->median = quantile(samples, n, 0.5);
    out->p05 = quantile(samples, n, 0.05);
    out->p95 = quantile(samples, n, 0.95);
    out->mean = sum / n;
}

static void json_stats(const char *key, const hub_bench_stats_t *s)
{
    printf("\"%s\":{\"n\":%d,\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,"
           "\"p05\":%.6g,\"p95\":%.6g,\"mean\":%.6g}",
           key, s->n, s->median, s->min, s->max, s->p05, s->p95, s->mean);
}

static bool meets(const hub_bench_case_t *c)
{
    if (c->target <= 0)
        return true;
    return c->higher_better ? c->stats.median >= c->target
                            : c->stats.median <= c->target;
}

static double ratio(const hub_bench_case_t *c)
{
    /* > 1 means we are better than the baseline. */
    if (!c->has_baseline || c->stats.median <= 0 || c->baseline.median <= 0)
        return 0;
    return c->higher_better ? c->stats.median / c->baseline.median
                            : c->baseline.median / c->stats.median;
}

static void print_json(const hub_bench_case_t *c)
{
    printf("{\"bench\":\"%s\",\"case\":\"%s\",\"unit\":\"%s\","
           "\"higher_better\":%s,\"smoke\":%s,",
           c->bench, c->name, c->unit, c->higher_better ? "true" : "false",
           smoke ? "true" : "false");
    json_stats("result", &c->stats);
    if (c->target > 0)
        printf(",\"target\":%.6g,\"meets_target\":%s", c->target,
               meets(c) ? "true" : "false");
    if (c->has_baseline) {
        printf(",\"baseline_name\":\"%s\",", c->baseline_name);
        json_stats("baseline", &c->baseline);
        printf(",\"ratio\":%.4g", ratio(c));
    }
    printf("}\n");
    fflush(stdout);
}

static void print_human(const hub_bench_case_t *c)
{
    fprintf(stderr, "%-14s %-44s median %10.4g %-7s [p05 %.4g, p95 %.4g, n=%d]",
            c->bench, c->name, c->stats.median, c->unit, c->stats.p05,
            c->stats.p95, c->stats.n);
    if (c->target > 0)
        fprintf(stderr, " target %s%g: %s",
                c->higher_better ? ">=" : "<=", c->target,
                meets(c) ? "met" : "MISSED");
    if (c->has_baseline)
        fprintf(stderr, " | %s median %.4g, ratio %.3gx", c->baseline_name,
                c->baseline.median, ratio(c));
    fprintf(stderr, "\n");
}

int hub_bench_report(const hub_bench_case_t *c)
{
    print_json(c);
    print_human(c);
    return meets(c) ? 0 : 1;
}

void hub_bench_fail(const char *bench, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: FAILED correctness check: ", bench);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

/* harness.h - the benchmarks' shared harness: time repeats, summarise
 * (median, spread), report one JSON line per case on stdout and a human
 * line on stderr, beside the baseline measured in the same run.
 *
 * Every benchmark checks its result is correct before it times anything
 * (a wrong fast answer is not a result) and exits 1 if it is not.
 * `--smoke` (hub_bench_smoke()) asks for tiny sizes and one repeat so that
 * `make check` keeps every benchmark compiling and running.
 */
#ifndef HUB_BENCH_HARNESS_H
#define HUB_BENCH_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#define HUB_BENCH_MAX_SAMPLES 1024

typedef struct hub_bench_stats {
    int n;
    double median, min, max, p05, p95, mean;
} hub_bench_stats_t;

/* One measured case. */
typedef struct hub_bench_case {
    const char *bench;  /* program, e.g. "sched_pass" */
    const char *name;   /* case, e.g. "10000 jobs, 1000 nodes x 8 GPUs" */
    const char *unit;   /* "ms", "jobs/s", "GB/s" ... */
    bool higher_better; /* throughput (true) or time (false) */
    double target;      /* the target in unit; 0 = none */
    hub_bench_stats_t stats;
    bool has_baseline;
    const char *baseline_name; /* e.g. "slurm sbatch" */
    hub_bench_stats_t baseline;
} hub_bench_case_t;

/* Parse the common options (--smoke, --repeats=N); returns the index of
 * the first argument it did not take. */
int hub_bench_init(int argc, char **argv);
bool hub_bench_smoke(void);
int hub_bench_repeats(int dflt);

/* Monotonic time in seconds. */
double hub_bench_now(void);

/* Summarise n samples (sorted in place). */
void hub_bench_summarise(double *samples, int n, hub_bench_stats_t *out);

/* Print the case: JSON line to stdout, human line to stderr. Returns 0,
 * or 1 when a target is given and the median misses it (the caller decides
 * whether that fails the run; benchmarks report, tests assert). */
int hub_bench_report(const hub_bench_case_t *c);

/* Print "bench: FAILED correctness check: ..." to stderr and exit 1. */
void hub_bench_fail(const char *bench, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif /* HUB_BENCH_HARNESS_H */

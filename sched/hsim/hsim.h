/* hsim.h - hsim internals: traces, the replay, metrics, reports, and the
 * inflation experiment. hsim.c is the command; the rest is libhsim, which
 * the unit tests link too.
 *
 * A trace is a cluster (hub.conf text) and jobs (hsim_job_t); readers
 * turn the Parallel Workloads Archive's SWF (swf.c), Alibaba's GPU trace
 * v2023 (alibaba.c), hsim's own CSV (csvtrace.c) and a synthetic workload
 * (synth.c) into one. A replay (sim.c) runs the jobs through libhubsched
 * on a virtual clock for one policy (scheduler and select plugins) and
 * fills an hsim_metrics_t (metrics.c); report.c prints policies side by
 * side. The inflation experiment (inflation.c) fills the cluster with
 * sampled tasks that never leave. doc/hsim.md is the user's page.
 *
 * Units: trace times are seconds from the trace's start; memory MB; GPU
 * amounts milli-GPUs (HUB_GPU_MILLI = 1000 per GPU).
 */
#ifndef HUB_HSIM_H
#define HUB_HSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "sched.h"

/* ---- traces -------------------------------------------------------------- */

/* One job of a trace: what it asks for and how long it really runs. */
typedef struct hsim_job {
    uint32_t id;            /* unique, >= 1 (the trace's number) */
    int64_t submit_s;       /* seconds from the trace's start, >= 0 */
    int64_t run_s;          /* actual run time, s, >= 0 */
    int64_t limit_s;        /* time limit, s, >= 1; a longer run times out */
    uint32_t nodes;         /* nodes asked for; 0 = as few as fit */
    uint32_t ntasks;        /* tasks (SWF: processors), >= 1 */
    uint32_t cpus_per_task; /* hub.conf CPUs per task, >= 1 */
    uint64_t mem_mb;        /* per node; 0 = none */
    uint32_t gpus_milli;    /* per node, milli-GPUs; 0 = none */
    uint32_t uid;
    hub_job_kind_t kind;     /* batch (0), train or infer */
    char region[16];         /* infer: where its users are; "" = none */
    uint32_t latency_slo_ms; /* infer: latency SLO to region; 0 = none */
} hsim_job_t;

typedef struct hsim_trace {
    char name[64];    /* for reports: "KTH-SP2", "alibaba-v2023" ... */
    char *conf;       /* hub.conf text of the cluster, malloc'd */
    hsim_job_t *jobs; /* by submit time once hsim_trace_sort() ran */
    size_t njobs, cap;
    size_t skipped;  /* records left out (cancelled, never fits ...) */
    int64_t epoch_s; /* Unix time of t = 0, or 0 when unknown */
    double cpu_w;    /* power of one busy hub.conf CPU, W */
    const char *default_policies; /* "fifo,easy" ... (hsim_policy_parse) */
} hsim_trace_t;

/* Power of a busy CPU core when hub.conf says nothing better: a 2020s
 * server core at full load, socket TDP / cores (~250 W / 24). */
#define HSIM_CORE_W 10.0
/* Power of a busy GPU whose type gives no PowerW: a 300 W PCIe board. */
#define HSIM_GPU_W 300.0

void hsim_trace_init(hsim_trace_t *tr);
void hsim_trace_fini(hsim_trace_t *tr);
/* Room for one more job; NULL on ENOMEM. */
hsim_job_t *hsim_trace_add(hsim_trace_t *tr);
/* GPU milli of the trace's cluster; 0 when its hub.conf does not parse. */
uint64_t hsim_trace_gpus(const hsim_trace_t *tr);
/* Order the jobs by submit time, then id (stable for equal times). */
void hsim_trace_sort(hsim_trace_t *tr);

/* A line reader over a file, gzip-compressed when the name ends ".gz"
 * (read through `gzip -dc`). */
typedef struct hsim_lines {
    FILE *f;
    bool piped;
    const char *path;
    long lineno; /* of the line last read */
    char *buf;
    size_t cap;
} hsim_lines_t;

int hsim_lines_open(hsim_lines_t *lr, const char *path, hub_error_t *err);
/* The next line without its newline, or NULL at the end. */
char *hsim_lines_next(hsim_lines_t *lr);
/* Close; -EIO with err when the decompressor failed before the end. */
int hsim_lines_close(hsim_lines_t *lr, hub_error_t *err);

/* Split s in place at sep (or at runs of blanks for sep 0) into at most
 * max fields; returns how many there were (may exceed max). */
int hsim_split(char *s, char sep, char **fields, int max);
/* A whole decimal integer (leading/trailing blanks allowed). */
bool hsim_parse_i64(const char *s, int64_t *v);
bool hsim_parse_double(const char *s, double *v);

/* The readers. max_jobs 0 = all. Errors name FILE:LINE. */
int hsim_swf_read(const char *path, size_t max_jobs, hsim_trace_t *tr,
                  hub_error_t *err);
int hsim_alibaba_read(const char *node_csv, const char *pod_csv,
                      size_t max_jobs, hsim_trace_t *tr, hub_error_t *err);
/* hsim's CSV (doc/hsim.md) on the cluster of conf_text (copied). */
int hsim_csv_read(const char *path, const char *conf_text, size_t max_jobs,
                  hsim_trace_t *tr, hub_error_t *err);
/* The two-hub scenario (twohub.c): a cheap, green west training hub and
 * a dear east inference hub 30 ms apart, njobs train and infer jobs. */
int hsim_twohub(uint32_t njobs, uint64_t seed, hsim_trace_t *tr,
                hub_error_t *err);
/* njobs jobs on nnodes nodes of 8 GPUs at about 90 % offered load. */
int hsim_synth(uint32_t njobs, uint32_t nnodes, uint64_t seed, hsim_trace_t *tr,
               hub_error_t *err);

/* ---- policies ------------------------------------------------------------ */

typedef struct hsim_policy {
    char label[32];    /* column name: "easy", "fgd" */
    char globals[256]; /* hub.conf global lines, one per "\n" */
} hsim_policy_t;

/* Parse "LABEL" (a built-in: fifo, easy, backfill, random, bestfit, fgd,
 * local, cost) or "LABEL=ITEM,ITEM..." where an item is a plugin
 * (sched/x, select/y, priority/z, hubsel/w) or a global Key=Value. */
int hsim_policy_parse(const char *spec, hsim_policy_t *p, hub_error_t *err);

/* The trace's hub.conf with the policy's globals, malloc'd. */
char *hsim_policy_conf(const hsim_policy_t *p, const hsim_trace_t *tr);

/* ---- metrics ---------------------------------------------------------------
 */

/* One time-series point. */
typedef struct hsim_sample {
    double t_s;       /* trace time */
    double gpu_alloc; /* allocated / total GPU milli, 0-1 */
    double cpu_alloc; /* allocated / total CPUs, 0-1 */
    double frag;      /* stranded / total GPU milli, 0-1 */
    uint32_t pending, running;
} hsim_sample_t;

/* Energy, cost and emissions of one hub. */
typedef struct hsim_hub_use {
    char name[HUB_NAME_MAX];
    double kwh;    /* facility energy: IT energy x PUE */
    double cost;   /* kwh x PowerPrice */
    double co2_kg; /* kwh x CarbonIntensity */
} hsim_hub_use_t;

typedef struct hsim_metrics {
    char label[32];
    uint64_t gpu_total, cpu_total; /* cluster capacity */
    uint32_t frag_size; /* milli-GPU task size fragmentation is for */
    /* per job, by trace index: when it started and ended (trace s; -1
     * never) */
    double *start_s, *end_s;
    size_t njobs, done, timeouts;
    size_t rejected;   /* refused at submission: could never run */
    size_t slo_misses; /* started on a hub too far from its region */
    double wait_sum, bsld_sum, jct_sum, wait_max;
    double first_submit_s, last_end_s;
    /* time integrals over [first submit, last end] */
    double t_last, gpu_int, cpu_int, frag_int, frag_t;
    uint64_t gpu_used, cpu_used; /* now */
    hsim_sample_t *series;
    size_t nseries, series_cap;
    double series_step_s, next_sample_s;
    /* pass durations, us */
    uint32_t *pass_us;
    size_t npass, pass_cap;
    hsim_hub_use_t *hubs;
    size_t nhubs;
    double wall_s;   /* the replay's wall time */
    double cpu_s;    /* ... and this process's CPU time over it */
    long max_rss_kb; /* process peak after the replay */
} hsim_metrics_t;

int hsim_metrics_init(hsim_metrics_t *m, const hub_conf_t *conf,
                      const hsim_trace_t *tr, const char *label);
void hsim_metrics_fini(hsim_metrics_t *m);
/* Advance the integrals to t_s (before anything changes at t_s). */
void hsim_metrics_advance(hsim_metrics_t *m, double t_s);
void hsim_metrics_started(hsim_metrics_t *m, const hub_job_t *job, size_t idx,
                          double t_s, double submit_s);
/* job (trace index idx) ended at t_s; its energy goes to its hub. */
void hsim_metrics_ended(hsim_metrics_t *m, const hub_cluster_t *c,
                        const hsim_trace_t *tr, const hub_job_t *job,
                        size_t idx, double t_s, bool timeout);
/* Record a series point now when one is due (cluster for the
 * fragmentation, which costs a scan). */
int hsim_metrics_sample(hsim_metrics_t *m, const hub_cluster_t *c, double t_s,
                        uint32_t pending, uint32_t running, bool force);
int hsim_metrics_pass(hsim_metrics_t *m, int64_t us);

/* Summary values derived from a finished run. */
double hsim_metrics_avg_wait(const hsim_metrics_t *m);
double hsim_metrics_avg_bsld(const hsim_metrics_t *m);
double hsim_metrics_avg_jct(const hsim_metrics_t *m);
double hsim_metrics_makespan(const hsim_metrics_t *m);
double hsim_metrics_gpu_alloc(const hsim_metrics_t *m);
double hsim_metrics_cpu_alloc(const hsim_metrics_t *m);
double hsim_metrics_frag(const hsim_metrics_t *m);
/* The run is over: sort what percentiles read. */
void hsim_metrics_done(hsim_metrics_t *m);
/* The p-th percentile (0-100) of pass durations, ms (after
 * hsim_metrics_done). */
double hsim_metrics_pass_ms(const hsim_metrics_t *m, double p);

/* Bounded slowdown with the 10 s threshold of Feitelson et al.:
 * max(1, (wait + run) / max(run, 10)). */
static inline double hsim_bsld(double wait_s, double run_s)
{
    double r = (wait_s + run_s) / (run_s > 10 ? run_s : 10);
    return r > 1 ? r : 1;
}

/* ---- the replay ---------------------------------------------------------- */

/* Replay tr (sorted) under policy p into m (initialised here; the caller
 * finalises). Passes run at event times, at least interval_s apart (0:
 * at every event time with a job pending; more: a pass due sooner waits,
 * as a controller's minimum pass interval makes it). Returns 0, or
 * -EINVAL with err (bad policy) or -ENOMEM. */
int hsim_run(const hsim_trace_t *tr, const hsim_policy_t *p, double interval_s,
             hsim_metrics_t *m, hub_error_t *err);

/* ---- the inflation experiment ---------------------------------------------
 */

/* One point of the curve: after a task arrived. */
typedef struct hsim_inflate_point {
    double arrived; /* requested GPU milli so far / cluster's, 0-1.3 */
    double alloc;   /* allocated GPU milli / cluster's */
} hsim_inflate_point_t;

typedef struct hsim_inflate {
    char label[32];
    hsim_inflate_point_t *pts; /* one per arrival */
    size_t npts;
    size_t placed, failed;
    double wall_s;
} hsim_inflate_t;

/* Indexes into tr->jobs drawn uniformly with replacement (xorshift64*
 * seeded with seed) until their GPU requests reach pct percent of the
 * cluster's GPUs (gpu_total milli); malloc'd into *order. */
int hsim_inflate_sample(const hsim_trace_t *tr, uint64_t gpu_total, double pct,
                        uint64_t seed, uint32_t **order, size_t *n);
/* Tasks order[0..n) arrive one by one on an otherwise empty cluster under
 * policy p; each gets one pass and, if it did not start, is dropped; none
 * leaves. Fills r. 0, -EINVAL with err, -ENOMEM. */
int hsim_inflate_run(const hsim_trace_t *tr, const hsim_policy_t *p,
                     const uint32_t *order, size_t n, hsim_inflate_t *r,
                     hub_error_t *err);
void hsim_inflate_fini(hsim_inflate_t *r);
/* Allocation ratio when arrived first reached x (0-1.3), or the last. */
double hsim_inflate_at(const hsim_inflate_t *r, double x);

/* ---- reports ------------------------------------------------------------- */

/* The table of the policies side by side. */
void hsim_report_table(FILE *out, const hsim_trace_t *tr, hsim_metrics_t *m,
                       size_t n);
/* One JSON line per policy. */
void hsim_report_json(FILE *out, const hsim_trace_t *tr, hsim_metrics_t *m,
                      size_t n);
/* DIR/series-LABEL.dat, DIR/series.gp and, when gnuplot runs, the PNGs.
 * 0, or -errno with err; a missing gnuplot is not an error (*plotted
 * false). */
int hsim_report_plots(const char *dir, const hsim_metrics_t *m, size_t n,
                      bool *plotted, hub_error_t *err);
void hsim_report_inflate(FILE *out, const hsim_inflate_t *r, size_t n,
                         bool json);
int hsim_report_inflate_plot(const char *dir, const hsim_inflate_t *r, size_t n,
                             bool *plotted, hub_error_t *err);

#endif /* HUB_HSIM_H */

/* report.c - hsim's output: the policies side by side as a table, one
 * JSON line per policy, and time series for gnuplot (PNG plots when
 * gnuplot is installed; the .dat and .gp files always). */
#include "hsim.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- replays ---------------------------------------------------------------
 */

typedef double (*metric_fn)(const hsim_metrics_t *m);

static void row(FILE *out, const char *name, hsim_metrics_t *m, size_t n,
                metric_fn fn, const char *fmt)
{
    fprintf(out, "%-32s", name);
    for (size_t i = 0; i < n; i++)
        fprintf(out, fmt, fn(&m[i]));
    fputc('\n', out);
}

static double done(const hsim_metrics_t *m)
{
    return (double)m->done;
}
static double timeouts(const hsim_metrics_t *m)
{
    return (double)m->timeouts;
}
static double slo_misses(const hsim_metrics_t *m)
{
    return (double)m->slo_misses;
}
static double rejected(const hsim_metrics_t *m)
{
    return (double)m->rejected;
}
static double wait_max(const hsim_metrics_t *m)
{
    return m->wait_max;
}
static double passes(const hsim_metrics_t *m)
{
    return (double)m->npass;
}
static double wall(const hsim_metrics_t *m)
{
    return m->wall_s;
}
static double cpu(const hsim_metrics_t *m)
{
    return m->cpu_s;
}
static double rss_mb(const hsim_metrics_t *m)
{
    return m->max_rss_kb / 1024.0;
}
static double pct(double v)
{
    return 100 * v;
}
static double gpu_pct(const hsim_metrics_t *m)
{
    return pct(hsim_metrics_gpu_alloc(m));
}
static double cpu_pct(const hsim_metrics_t *m)
{
    return pct(hsim_metrics_cpu_alloc(m));
}
static double frag_pct(const hsim_metrics_t *m)
{
    return pct(hsim_metrics_frag(m));
}
static double p50(const hsim_metrics_t *m)
{
    return hsim_metrics_pass_ms(m, 50);
}
static double p99(const hsim_metrics_t *m)
{
    return hsim_metrics_pass_ms(m, 99);
}

static void hub_rows(FILE *out, hsim_metrics_t *m, size_t n)
{
    for (size_t h = 0; n && h < m[0].nhubs; h++) {
        static const char *const what[] = {"energy kWh", "cost", "CO2 kg"};
        for (int w = 0; w < 3; w++) {
            char name[96];
            snprintf(name, sizeof(name), "%s [%s]", what[w], m[0].hubs[h].name);
            fprintf(out, "%-32s", name);
            for (size_t i = 0; i < n; i++) {
                const hsim_hub_use_t *u = &m[i].hubs[h];
                fprintf(out, " %12.1f",
                        w == 0 ? u->kwh : (w == 1 ? u->cost : u->co2_kg));
            }
            fputc('\n', out);
        }
    }
}

void hsim_report_table(FILE *out, const hsim_trace_t *tr, hsim_metrics_t *m,
                       size_t n)
{
    fprintf(out, "hsim: %s, %zu jobs (%zu records skipped)\n", tr->name,
            tr->njobs, tr->skipped);
    fprintf(out, "%-32s", "policy");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %12s", m[i].label);
    fputc('\n', out);
    row(out, "jobs done", m, n, done, " %12.0f");
    row(out, "jobs refused (never fit)", m, n, rejected, " %12.0f");
    row(out, "timeouts", m, n, timeouts, " %12.0f");
    row(out, "latency SLO misses", m, n, slo_misses, " %12.0f");
    row(out, "avg wait (s)", m, n, hsim_metrics_avg_wait, " %12.1f");
    row(out, "max wait (s)", m, n, wait_max, " %12.0f");
    row(out, "avg bounded slowdown (10 s)", m, n, hsim_metrics_avg_bsld,
        " %12.2f");
    row(out, "avg job completion time (s)", m, n, hsim_metrics_avg_jct,
        " %12.1f");
    row(out, "makespan (s)", m, n, hsim_metrics_makespan, " %12.0f");
    row(out, "GPU allocation (time avg, %)", m, n, gpu_pct, " %12.2f");
    row(out, "CPU allocation (time avg, %)", m, n, cpu_pct, " %12.2f");
    row(out, "GPU fragmentation (avg, %)", m, n, frag_pct, " %12.2f");
    hub_rows(out, m, n);
    row(out, "passes", m, n, passes, " %12.0f");
    row(out, "pass p50 (ms)", m, n, p50, " %12.3f");
    row(out, "pass p99 (ms)", m, n, p99, " %12.3f");
    row(out, "replay wall time (s)", m, n, wall, " %12.2f");
    row(out, "replay CPU time (s)", m, n, cpu, " %12.2f");
    row(out, "peak RSS after replay (MB)", m, n, rss_mb, " %12.1f");
}

static json_t *hubs_json(const hsim_metrics_t *m)
{
    json_t *a = json_array();

    for (size_t h = 0; a && h < m->nhubs; h++)
        json_array_append_new(
            a, json_pack("{s:s, s:f, s:f, s:f}", "hub", m->hubs[h].name, "kwh",
                         m->hubs[h].kwh, "cost", m->hubs[h].cost, "co2_kg",
                         m->hubs[h].co2_kg));
    return a;
}

void hsim_report_json(FILE *out, const hsim_trace_t *tr, hsim_metrics_t *m,
                      size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
            "s:f, s:f, s:f, s:I, s:f, s:f, s:f, s:f, s:o, s:I}",
            "trace", tr->name, "policy", m[i].label, "jobs_done",
            (json_int_t)m[i].done, "timeouts", (json_int_t)m[i].timeouts,
            "refused", (json_int_t)m[i].rejected, "avg_wait_s",
            hsim_metrics_avg_wait(&m[i]), "max_wait_s", m[i].wait_max,
            "avg_bsld", hsim_metrics_avg_bsld(&m[i]), "avg_jct_s",
            hsim_metrics_avg_jct(&m[i]), "makespan_s",
            hsim_metrics_makespan(&m[i]), "gpu_alloc",
            hsim_metrics_gpu_alloc(&m[i]), "cpu_alloc",
            hsim_metrics_cpu_alloc(&m[i]), "gpu_frag", hsim_metrics_frag(&m[i]),
            "wall_s", m[i].wall_s, "cpu_s", m[i].cpu_s, "passes",
            (json_int_t)m[i].npass, "pass_p50_ms", p50(&m[i]), "pass_p99_ms",
            p99(&m[i]), "pass_max_ms", hsim_metrics_pass_ms(&m[i], 100),
            "max_rss_mb", rss_mb(&m[i]), "hubs", hubs_json(&m[i]), "slo_misses",
            (json_int_t)m[i].slo_misses);
        char *s =
            o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
        if (s)
            fprintf(out, "%s\n", s);
        free(s);
        json_decref(o);
    }
}

/* ---- plots --------------------------------------------------------------- */

static FILE *open_in(const char *dir, const char *name, hub_error_t *err)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "w")))
        hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    return f;
}

static int write_series(const char *dir, const hsim_metrics_t *m,
                        hub_error_t *err)
{
    char name[64];
    FILE *f;

    snprintf(name, sizeof(name), "series-%s.dat", m->label);
    if (!(f = open_in(dir, name, err)))
        return -EIO;
    fprintf(f, "# t_h gpu_alloc_pct cpu_alloc_pct frag_pct pending running\n");
    for (size_t k = 0; k < m->nseries; k++) {
        const hsim_sample_t *s = &m->series[k];
        fprintf(f, "%.4f %.3f %.3f %.3f %u %u\n", s->t_s / 3600,
                100 * s->gpu_alloc, 100 * s->cpu_alloc, 100 * s->frag,
                s->pending, s->running);
    }
    return fclose(f) == 0 ? 0 : hub_errorf(err, EIO, "%s: write failed", name);
}

/* One gnuplot figure: column col of every series file. */
static void figure(FILE *gp, const char *png, const char *ylabel,
                   const char *prefix, const char (*labels)[32], size_t n,
                   const char *using)
{
    /* a fixed range for percentages: no warning when a series is flat */
    fprintf(gp, "set output '%s'\nset ylabel '%s'\n%s\nplot ", png, ylabel,
            strchr(ylabel, '%') ? "set yrange [0:100]" : "set autoscale y");
    for (size_t i = 0; i < n; i++)
        fprintf(gp, "%s'%s%s.dat' using %s with lines title '%s'",
                i ? ", " : "", prefix, labels[i], using, labels[i]);
    fputc('\n', gp);
}

static bool have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* Write script (already in dir) and run gnuplot on it there. */
static int run_gnuplot(const char *dir, const char *script, bool *plotted,
                       hub_error_t *err)
{
    char cmd[4200];

    *plotted = false;
    if (!have_gnuplot())
        return 0;
    if (strchr(dir, '\''))
        return hub_errorf(err, EINVAL, "%s: a quote in the output directory",
                          dir);
    snprintf(cmd, sizeof(cmd), "cd '%s' && gnuplot %s", dir, script);
    if (system(cmd) != 0)
        return hub_errorf(err, EIO, "gnuplot %s/%s failed", dir, script);
    *plotted = true;
    return 0;
}

int hsim_report_plots(const char *dir, const hsim_metrics_t *m, size_t n,
                      bool *plotted, hub_error_t *err)
{
    char labels[16][32];
    FILE *gp;

    *plotted = false;
    for (size_t i = 0; i < n && i < 16; i++) {
        memcpy(labels[i], m[i].label, sizeof(labels[i]));
        if (write_series(dir, &m[i], err) < 0)
            return -EIO;
    }
    if (!(gp = open_in(dir, "series.gp", err)))
        return -EIO;
    fprintf(gp, "set terminal png size 1000,560\nset xlabel 'time (h)'\n"
                "set key outside right\nset grid\n");
    n = n < 16 ? n : 16;
    figure(gp, "gpu_alloc.png", "GPU allocation (%)", "series-", labels, n,
           "1:2");
    figure(gp, "cpu_alloc.png", "CPU allocation (%)", "series-", labels, n,
           "1:3");
    figure(gp, "fragmentation.png", "stranded GPU (%)", "series-", labels, n,
           "1:4");
    figure(gp, "queue.png", "pending jobs", "series-", labels, n, "1:5");
    if (fclose(gp) != 0)
        return hub_errorf(err, EIO, "%s/series.gp: write failed", dir);
    return run_gnuplot(dir, "series.gp", plotted, err);
}

/* ---- inflation ----------------------------------------------------------- */

void hsim_report_inflate(FILE *out, const hsim_inflate_t *r, size_t n,
                         bool json)
{
    static const int at[] = {50, 80, 90, 100, 110, 120, 130};

    for (size_t i = 0; json && i < n; i++) {
        fprintf(out,
                "{\"experiment\":\"inflation\",\"policy\":\"%s\","
                "\"tasks\":%zu,\"placed\":%zu,\"failed\":%zu,"
                "\"wall_s\":%.3f",
                r[i].label, r[i].npts, r[i].placed, r[i].failed, r[i].wall_s);
        for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
            fprintf(out, ",\"alloc_at_%d\":%.5f", at[k],
                    hsim_inflate_at(&r[i], at[k] / 100.0));
        fprintf(out, "}\n");
    }
    if (json)
        return;
    fprintf(out, "%-28s", "GPU allocation (%) at");
    for (size_t i = 0; i < n; i++)
        fprintf(out, " %10s", r[i].label);
    fputc('\n', out);
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
        fprintf(out, "  %3d %% of GPUs requested     ", at[k]);
        for (size_t i = 0; i < n; i++)
            fprintf(out, " %10.2f",
                    100 * hsim_inflate_at(&r[i], at[k] / 100.0));
        fputc('\n', out);
    }
    fprintf(out, "%-28s", "tasks placed / failed");
    for (size_t i = 0; i < n; i++) {
        char s[32];
        snprintf(s, sizeof(s), "%zu/%zu", r[i].placed, r[i].failed);
        fprintf(out, " %10s", s);
    }
    fputc('\n', out);
}

int hsim_report_inflate_plot(const char *dir, const hsim_inflate_t *r, size_t n,
                             bool *plotted, hub_error_t *err)
{
    char labels[16][32], name[64];
    FILE *f;

    *plotted = false;
    n = n < 16 ? n : 16;
    for (size_t i = 0; i < n; i++) {
        memcpy(labels[i], r[i].label, sizeof(labels[i]));
        snprintf(name, sizeof(name), "inflate-%s.dat", r[i].label);
        if (!(f = open_in(dir, name, err)))
            return -EIO;
        fprintf(f, "# arrived_pct alloc_pct\n");
        for (size_t k = 0; k < r[i].npts; k++)
            fprintf(f, "%.4f %.4f\n", 100 * r[i].pts[k].arrived,
                    100 * r[i].pts[k].alloc);
        if (fclose(f) != 0)
            return hub_errorf(err, EIO, "%s/%s: write failed", dir, name);
    }
    if (!(f = open_in(dir, "inflate.gp", err)))
        return -EIO;
    fprintf(f, "set terminal png size 1000,560\nset grid\nset key left top\n"
               "set xlabel 'arrived GPU requests (%% of the cluster)'\n");
    figure(f, "inflate.png", "GPU allocation ratio (%)", "inflate-", labels, n,
           "1:2");
    if (fclose(f) != 0)
        return hub_errorf(err, EIO, "%s/inflate.gp: write failed", dir);
    return run_gnuplot(dir, "inflate.gp", plotted, err);
}

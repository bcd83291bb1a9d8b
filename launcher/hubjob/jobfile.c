/* jobfile.c - the job's HDF5 file: create or reopen-and-append, identity
 * attributes, /metrics and /events tables, /summary. Rank 0 only. */
#include "jobfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5util.h"
#include "log.h"

#define METRICS_CHUNK_ROWS 256 /* 16 KiB chunks: a flush rewrites one */
#define EVENTS_CHUNK_ROWS 16

struct jobfile {
    hid_t file, metrics, events;
    hid_t row_type, ev_type; /* in memory and in the file (no conversion:
                                a converted write cost 2x the time) */
};

#define ADD(t, s, f, h) H5Tinsert(t, #f, HOFFSET(s, f), h)

static hid_t make_row_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(jobfile_row_t));

    ADD(t, jobfile_row_t, step, H5T_NATIVE_INT64);
    ADD(t, jobfile_row_t, run, H5T_NATIVE_INT32);
    ADD(t, jobfile_row_t, time_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobfile_row_t, step_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobfile_row_t, loss, H5T_NATIVE_DOUBLE);
    ADD(t, jobfile_row_t, tokens, H5T_NATIVE_INT64);
    ADD(t, jobfile_row_t, model_flops, H5T_NATIVE_DOUBLE);
    ADD(t, jobfile_row_t, mfu, H5T_NATIVE_DOUBLE);
    return t;
}

static hid_t make_event_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(jobfile_event_t));
    hid_t name = h5u_str_type(JOBFILE_NAME_MAX);
    hid_t detail = h5u_str_type(JOBFILE_DETAIL_MAX);

    ADD(t, jobfile_event_t, time_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobfile_event_t, run, H5T_NATIVE_INT32);
    ADD(t, jobfile_event_t, step, H5T_NATIVE_INT64);
    ADD(t, jobfile_event_t, duration_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobfile_event_t, name, name);
    ADD(t, jobfile_event_t, detail, detail);
    H5Tclose(name);
    H5Tclose(detail);
    return t;
}

void jobfile_close(struct jobfile *jf)
{
    if (!jf)
        return;
    if (jf->row_type >= 0)
        H5Tclose(jf->row_type);
    if (jf->ev_type >= 0)
        H5Tclose(jf->ev_type);
    if (jf->metrics >= 0)
        H5Dclose(jf->metrics);
    if (jf->events >= 0)
        H5Dclose(jf->events);
    if (jf->file >= 0)
        H5Fclose(jf->file);
    H5Eclear2(H5E_DEFAULT);
    free(jf);
}

/* A new file at path with the job's constant attributes and empty
 * tables. */
static int create_file(struct jobfile *jf, const hub_ctx_t *ctx, double now_s,
                       hub_error_t *err)
{
    int rc;

    jf->file =
        H5Fcreate(ctx->job_file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (jf->file < 0)
        return h5u_fail(err, ctx->job_file);
    if ((rc = h5u_attr_int64(jf->file, "schema_version", JOBFILE_SCHEMA_VERSION,
                             err)) < 0 ||
        (rc = h5u_attr_str(jf->file, "job_id", ctx->job_id, err)) < 0 ||
        (rc = h5u_attr_double(jf->file, "start_time", now_s, err)) < 0 ||
        (rc = h5u_attr_int64(jf->file, "runs", 0, err)) < 0 ||
        (rc = h5u_attr_int64(jf->file, "last_run", -1, err)) < 0)
        return rc;
    jf->metrics = h5u_table_create(jf->file, "metrics", jf->row_type,
                                   METRICS_CHUNK_ROWS, err);
    if (jf->metrics < 0)
        return (int)jf->metrics;
    jf->events = h5u_table_create(jf->file, "events", jf->ev_type,
                                  EVENTS_CHUNK_ROWS, err);
    return jf->events < 0 ? (int)jf->events : 0;
}

/* The earlier runs' state of an open file of the same job. */
static int read_prev(struct jobfile *jf, const hub_ctx_t *ctx,
                     jobfile_prev_t *prev, hub_error_t *err)
{
    char job_id[sizeof(ctx->job_id)] = "";
    int64_t runs = 0, last_run = -1, version = 0;
    uint64_t n;
    int rc;

    if ((rc = h5u_read_attr_int64(jf->file, "schema_version", &version, err)) <
            0 ||
        (rc = h5u_read_attr_str(jf->file, "job_id", job_id, sizeof(job_id),
                                err)) < 0)
        return hub_errorf(err, EEXIST, "not a hubjob job file");
    if (strcmp(job_id, ctx->job_id) != 0)
        return hub_errorf(err, EEXIST,
                          "belongs to job '%s', not '%s': set "
                          "HUB_JOB_FILE or move it",
                          job_id, ctx->job_id);
    if (version > JOBFILE_SCHEMA_VERSION)
        return hub_errorf(err, EEXIST,
                          "schema version %lld; this "
                          "libhubjob writes %d",
                          (long long)version, JOBFILE_SCHEMA_VERSION);
    if ((rc = h5u_read_attr_int64(jf->file, "runs", &runs, err)) < 0 ||
        (rc = h5u_read_attr_int64(jf->file, "last_run", &last_run, err)) < 0)
        return rc;
    if ((jf->metrics = H5Dopen2(jf->file, "metrics", H5P_DEFAULT)) < 0 ||
        (jf->events = H5Dopen2(jf->file, "events", H5P_DEFAULT)) < 0)
        return h5u_fail(err, "open /metrics and /events");
    prev->runs = (int)runs;
    prev->last_run = (int)last_run;
    if ((n = h5u_table_rows(jf->metrics)) > 0) {
        jobfile_row_t last;
        if ((rc = h5u_table_read(jf->metrics, jf->row_type, n - 1, 1, &last,
                                 err)) < 0)
            return rc;
        prev->last_step = last.step;
    }
    return 0;
}

/* Open an existing file, or move an unreadable one aside (1: create). */
static int reopen(struct jobfile *jf, const hub_ctx_t *ctx, double now_s,
                  jobfile_prev_t *prev, hub_error_t *err)
{
    char aside[4200];

    if (access(ctx->job_file, F_OK) != 0)
        return 1;
    jf->file = H5Fopen(ctx->job_file, H5F_ACC_RDWR, H5P_DEFAULT);
    if (jf->file >= 0)
        return read_prev(jf, ctx, prev, err);
    H5Eclear2(H5E_DEFAULT);
    snprintf(aside, sizeof(aside), "%s.corrupt-%.0f", ctx->job_file, now_s);
    if (rename(ctx->job_file, aside) != 0)
        return hub_errorf(err, errno, "%s cannot be opened nor moved: %s",
                          ctx->job_file, strerror(errno));
    hub_log_warn("hubjob: %s could not be opened by HDF5 (a crash while "
                 "writing?); moved to %s and started a new one",
                 ctx->job_file, aside);
    return 1;
}

/* The run's attributes: counts, devices, peak. */
static int run_attrs(struct jobfile *jf, const hub_ctx_t *ctx, int runs,
                     hub_error_t *err)
{
    char version[16];
    int rc;

    if ((rc = h5u_attr_int64(jf->file, "runs", runs + 1, err)) < 0 ||
        (rc = h5u_attr_double(jf->file, "peak_flops", ctx->peak_flops, err)) <
            0 ||
        (rc = h5u_attr_str(jf->file, "precision", ctx->precision, err)) < 0 ||
        (rc = h5u_attr_str(jf->file, "devices", ctx->devices, err)) < 0 ||
        (rc = h5u_attr_int64(jf->file, "world_size", ctx->world, err)) < 0 ||
        (rc = h5u_attr_double(jf->file, "gpus", ctx->job_gpus, err)) < 0 ||
        (rc = h5u_attr_double(jf->file, "cpu_cores", ctx->job_cores, err)) < 0)
        return rc;
    snprintf(version, sizeof(version), "%d.%d", HUBJOB_VERSION_MAJOR,
             HUBJOB_VERSION_MINOR);
    return h5u_attr_str(jf->file, "hubjob_version", version, err);
}

int jobfile_open(const hub_ctx_t *ctx, double now_s, struct jobfile **out,
                 jobfile_prev_t *prev, hub_error_t *err)
{
    struct jobfile *jf = calloc(1, sizeof(*jf));
    int rc;

    *out = NULL;
    *prev = (jobfile_prev_t){0, -1, -1};
    if (!jf)
        return hub_errorf(err, ENOMEM, "job file: out of memory");
    jf->file = jf->metrics = jf->events = -1;
    jf->row_type = make_row_type();
    jf->ev_type = make_event_type();
    rc = reopen(jf, ctx, now_s, prev, err);
    if (rc == 1)
        rc = create_file(jf, ctx, now_s, err);
    if (rc == 0)
        rc = run_attrs(jf, ctx, prev->runs, err);
    if (rc < 0) {
        jobfile_close(jf);
        return hub_error_prefix(err, rc, "job file %s", ctx->job_file);
    }
    *out = jf;
    return 0;
}

int jobfile_set_run(struct jobfile *jf, int run, hub_error_t *err)
{
    return h5u_attr_int64(jf->file, "last_run", run, err);
}

int jobfile_set_model(struct jobfile *jf, const hub_model_t *m,
                      double flops_per_token, hub_error_t *err)
{
    hid_t f = jf->file;
    int rc;

    if ((rc = h5u_attr_str(f, "model_name", m->name ? m->name : "", err)) < 0 ||
        (rc = h5u_attr_double(f, "model_params", m->params, err)) < 0 ||
        (rc = h5u_attr_int64(f, "model_layers", m->layers, err)) < 0 ||
        (rc = h5u_attr_int64(f, "model_heads", m->heads, err)) < 0 ||
        (rc = h5u_attr_int64(f, "model_head_dim", m->head_dim, err)) < 0 ||
        (rc = h5u_attr_int64(f, "model_seq_len", m->seq_len, err)) < 0)
        return rc;
    return h5u_attr_double(f, "model_flops_per_token", flops_per_token, err);
}

static int flush(struct jobfile *jf, hub_error_t *err)
{
    return H5Fflush(jf->file, H5F_SCOPE_LOCAL) < 0
               ? h5u_fail(err, "flush the job file")
               : 0;
}

int jobfile_append_rows(struct jobfile *jf, const jobfile_row_t *rows, size_t n,
                        hub_error_t *err)
{
    int rc = h5u_table_append(jf->metrics, jf->row_type, rows, n, err);

    return rc < 0 ? rc : flush(jf, err);
}

int jobfile_append_event(struct jobfile *jf, const jobfile_event_t *ev,
                         hub_error_t *err)
{
    int rc = h5u_table_append(jf->events, jf->ev_type, ev, 1, err);

    return rc < 0 ? rc : flush(jf, err);
}

/* The columns the summary reads. */
typedef struct scan_row {
    int64_t step;
    int32_t run;
    double step_s;
    int64_t tokens;
    double mfu;
} scan_row_t;

#define SCAN_CHUNK_ROWS 65536

static hid_t scan_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(scan_row_t));

    ADD(t, scan_row_t, step, H5T_NATIVE_INT64);
    ADD(t, scan_row_t, run, H5T_NATIVE_INT32);
    ADD(t, scan_row_t, step_s, H5T_NATIVE_DOUBLE);
    ADD(t, scan_row_t, tokens, H5T_NATIVE_INT64);
    ADD(t, scan_row_t, mfu, H5T_NATIVE_DOUBLE);
    return t;
}

/* Walk back from the last row. Entering an earlier run, every step at
 * or after the first step of the later runs was done again: lost. */
typedef struct scan {
    int64_t floor;      /* rows with step >= floor are lost */
    int32_t run;        /* run of the row seen last (-1: none yet) */
    int64_t later_step; /* step of the row seen last */
    double mfu_time;    /* sum of mfu x step_s */
    double tokens;
    float *mfu, *tps; /* per row, for the medians */
} scan_t;

static void scan_row(scan_t *sc, const scan_row_t *r, int64_t i,
                     jobfile_summary_t *s)
{
    if (sc->run >= 0 && r->run != sc->run && sc->later_step < sc->floor)
        sc->floor = sc->later_step;
    sc->run = r->run;
    sc->later_step = r->step;
    s->steps++;
    s->step_s += r->step_s;
    if (r->step >= sc->floor) {
        s->lost_steps++;
        s->lost_s += r->step_s;
    }
    sc->mfu_time += r->mfu * r->step_s;
    sc->tokens += (double)r->tokens;
    sc->mfu[i] = (float)r->mfu;
    sc->tps[i] = r->step_s > 0 ? (float)(r->tokens / r->step_s) : 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;

    return (x > y) - (x < y);
}

static double median(float *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_float);
    return n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + v[n / 2]);
}

static int scan_all(struct jobfile *jf, scan_t *sc, uint64_t n,
                    jobfile_summary_t *s, hub_error_t *err)
{
    size_t cap = n < SCAN_CHUNK_ROWS ? n : SCAN_CHUNK_ROWS;
    scan_row_t *rows = malloc(cap * sizeof(*rows));
    hid_t t = scan_type();
    int rc = rows ? 0 : hub_errorf(err, ENOMEM, "summary: out of memory");

    for (uint64_t end = n; rc == 0 && end > 0;) {
        size_t k = end < cap ? end : cap;
        end -= k;
        rc = h5u_table_read(jf->metrics, t, end, k, rows, err);
        for (size_t i = k; rc == 0 && i-- > 0;)
            scan_row(sc, &rows[i], (int64_t)(end + i), s);
    }
    H5Tclose(t);
    free(rows);
    return rc;
}

int jobfile_summarise(struct jobfile *jf, double now_s, jobfile_summary_t *out,
                      hub_error_t *err)
{
    uint64_t n = h5u_table_rows(jf->metrics);
    scan_t sc = {INT64_MAX, -1, 0, 0, 0, NULL, NULL};
    double start_s = now_s;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = h5u_read_attr_double(jf->file, "start_time", &start_s, err)))
        return rc;
    sc.mfu = malloc((n ? n : 1) * sizeof(float));
    sc.tps = malloc((n ? n : 1) * sizeof(float));
    rc = sc.mfu && sc.tps ? scan_all(jf, &sc, n, out, err)
                          : hub_errorf(err, ENOMEM, "summary: out of memory");
    if (rc == 0) {
        out->wall_s = now_s - start_s;
        out->goodput =
            out->wall_s > 0 ? (out->step_s - out->lost_s) / out->wall_s : 0;
        out->mean_mfu = out->step_s > 0 ? sc.mfu_time / out->step_s : 0;
        out->tokens_per_s = out->step_s > 0 ? sc.tokens / out->step_s : 0;
        out->median_mfu = median(sc.mfu, n);
        out->median_tokens_per_s = median(sc.tps, n);
    }
    free(sc.mfu);
    free(sc.tps);
    return rc;
}

int jobfile_write_summary(struct jobfile *jf, const jobfile_summary_t *s,
                          hub_error_t *err)
{
    const struct {
        const char *name;
        double v;
    } attrs[] = {
        {"step_time_s", s->step_s},
        {"lost_time_s", s->lost_s},
        {"wall_time_s", s->wall_s},
        {"goodput", s->goodput},
        {"mean_mfu", s->mean_mfu},
        {"median_mfu", s->median_mfu},
        {"tokens_per_s", s->tokens_per_s},
        {"median_tokens_per_s", s->median_tokens_per_s},
    };
    hid_t g = H5Lexists(jf->file, "summary", H5P_DEFAULT) > 0
                  ? H5Gopen2(jf->file, "summary", H5P_DEFAULT)
                  : H5Gcreate2(jf->file, "summary", H5P_DEFAULT, H5P_DEFAULT,
                               H5P_DEFAULT);
    int rc = 0;

    if (g < 0)
        return h5u_fail(err, "/summary");
    if ((rc = h5u_attr_int64(g, "steps", s->steps, err)) == 0)
        rc = h5u_attr_int64(g, "lost_steps", s->lost_steps, err);
    for (size_t i = 0; rc == 0 && i < sizeof(attrs) / sizeof(attrs[0]); i++)
        rc = h5u_attr_double(g, attrs[i].name, attrs[i].v, err);
    H5Gclose(g);
    return rc < 0 ? rc : flush(jf, err);
}

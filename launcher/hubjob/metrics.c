/* metrics.c - steps, MFU and progress: hub_step_begin/end buffer one row
 * per step and, at a flush, rank 0 appends the rows to the job file and
 * rewrites the progress record.
 *
 * A flush is due after HUB_FLUSH_STEPS rows (default 50) once a second
 * has passed since the last one, after HUB_FLUSH_SECONDS (default 5)
 * whatever the rows, and when FLUSH_MAX_ROWS rows wait. Measured here
 * (ext4, HDF5 1.10): one flush costs about 0.5 ms, mostly H5Fflush and
 * the rename of the progress record, which makes ext4 write the data out;
 * flushing every 50 steps of a 10-us step loop cost 10 us a step, at most
 * once a second costs nothing a training step would notice.
 *
 * No communication: hub_step_end's tokens are the whole job's, and step
 * times agree across ranks of a synchronous job, so every rank computes
 * the job's MFU by itself; rank 0's is the one recorded.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "events.h"
#include "jobfile.h"
#include "progress.h"

#define FLUSH_STEPS_DEFAULT 50
#define FLUSH_SECONDS_DEFAULT 5.0
#define FLUSH_MIN_SECONDS 1.0
#define FLUSH_MAX_ROWS 65536 /* 4 MiB of rows */
#define ROWS_INITIAL 64

struct metrics_state {
    double flops_per_token; /* 0 until the model is described */
    int64_t step;           /* the step begun, when in_step */
    double step_t0;
    bool in_step;

    jobfile_row_t *rows; /* not yet flushed */
    size_t nrows, cap;   /* cap grows to FLUSH_MAX_ROWS */
    size_t flush_rows;   /* HUB_FLUSH_STEPS */
    double flush_s;      /* HUB_FLUSH_SECONDS */
    double last_flush;

    double win_time, win_flops, win_tokens; /* since the last flush */
    hub_stats_t stats;
    double run_time, run_mfu_time; /* for mean_mfu */
    double last_end_s;             /* Epoch seconds of the last step end */

    double epoch_offset; /* Epoch seconds = now_s() + epoch_offset */
    int64_t total_steps; /* HUB_TOTAL_STEPS, 0 unknown */
    char progress_path[4200];

    pthread_t owner;      /* the thread that called init */
    pthread_mutex_t lock; /* guards the pending checkpoint below */
    int64_t ckpt_step;    /* last durable checkpoint, -1 none */
    int64_t pending_ckpt; /* committed by another thread, -1 none */
    double pending_ckpt_s;
};

static double monotonic_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double hub_model_flops_per_token(const hub_model_t *m)
{
    if (!m)
        return 0;
    if (m->flops_per_token > 0)
        return m->flops_per_token;
    return 6.0 * m->params +
           12.0 * m->layers * m->heads * (double)m->head_dim * m->seq_len;
}

static double env_number(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    double x = v && *v ? strtod(v, &end) : dflt;

    return v && *v && (*end || !(x > 0)) ? dflt : x;
}

void metrics_set_clock(hub_ctx_t *ctx, double (*now_s)(void))
{
    struct metrics_state *m = ctx->metrics;

    ctx->now_s = now_s;
    m->last_flush = now_s();
    m->epoch_offset = events_epoch_s() - m->last_flush;
}

int metrics_init(hub_ctx_t *ctx)
{
    struct metrics_state *m = calloc(1, sizeof(*m));
    const char *p = getenv("HUB_PROGRESS_FILE");

    if (!m)
        return ctx_error(ctx, ENOMEM, "metrics: out of memory");
    m->flush_rows = (size_t)env_number("HUB_FLUSH_STEPS", FLUSH_STEPS_DEFAULT);
    m->flush_rows =
        m->flush_rows < FLUSH_MAX_ROWS ? m->flush_rows : FLUSH_MAX_ROWS;
    m->flush_s = env_number("HUB_FLUSH_SECONDS", FLUSH_SECONDS_DEFAULT);
    m->cap = ROWS_INITIAL;
    m->total_steps = (int64_t)env_number("HUB_TOTAL_STEPS", 0);
    if (!(m->rows = calloc(m->cap, sizeof(*m->rows)))) {
        free(m);
        return ctx_error(ctx, ENOMEM, "metrics: out of memory");
    }
    snprintf(m->progress_path, sizeof(m->progress_path), "%s%s",
             p && *p ? p : ctx->job_file, p && *p ? "" : ".progress");
    m->stats.last_step = m->ckpt_step = m->pending_ckpt = -1;
    m->owner = pthread_self();
    pthread_mutex_init(&m->lock, NULL);
    ctx->metrics = m;
    metrics_set_clock(ctx, ctx->now_s ? ctx->now_s : monotonic_s);
    return 0;
}

int hub_job_set_model(hub_ctx_t *ctx, const hub_model_t *model)
{
    double fpt = hub_model_flops_per_token(model);
    hub_error_t err;
    int rc;

    if (!ctx)
        return -EINVAL;
    if (!model || !(fpt > 0) || !isfinite(fpt) || model->params < 0 ||
        model->layers < 0 || model->heads < 0 || model->head_dim < 0 ||
        model->seq_len < 0)
        return ctx_error(ctx, EINVAL,
                         "hub_job_set_model: the model needs "
                         "params, layers, heads, head_dim, seq_len >= 0 "
                         "giving FLOPs per token > 0, or flops_per_token");
    ctx->metrics->flops_per_token = fpt;
    if (ctx->jobfile &&
        (rc = jobfile_set_model(ctx->jobfile, model, fpt, &err)) < 0)
        return ctx_error(ctx, -rc, "job file: %s", err.text);
    return 0;
}

int hub_step_begin(hub_ctx_t *ctx, int64_t step)
{
    struct metrics_state *m = ctx ? ctx->metrics : NULL;

    if (!m)
        return -EINVAL;
    m->step = step;
    m->in_step = true;
    m->step_t0 = ctx->now_s();
    return 0;
}

/* The progress record as of now (last flush window). */
static void progress_fill(const hub_ctx_t *ctx, progress_rec_t *r)
{
    const struct metrics_state *m = ctx->metrics;
    const hub_stats_t *s = &m->stats;
    double per_step = s->steps ? m->run_time / (double)s->steps : 0;

    *r = (progress_rec_t){.job_id = ctx->job_id,
                          .step = s->last_step,
                          .mfu = s->mfu,
                          .tokens_per_s = s->tokens_per_s,
                          .restarts = ctx->restart_count,
                          .ckpt_step = m->ckpt_step,
                          .total_steps = m->total_steps,
                          .eta_s = -1};
    r->time_s = m->last_end_s;
    if (m->total_steps > 0 && s->steps) {
        int64_t left = m->total_steps - (s->last_step + 1);
        r->eta_s = left > 0 ? (double)left * per_step : 0;
    }
}

static int write_progress(hub_ctx_t *ctx, int finished)
{
    progress_rec_t r;
    hub_error_t err;
    int rc;

    if (ctx->rank != 0)
        return 0;
    progress_fill(ctx, &r);
    r.finished = finished;
    if ((rc = progress_write(ctx->metrics->progress_path, &r, &err)) < 0)
        return ctx_error(ctx, -rc, "%s", err.text);
    return 0;
}

/* Record a checkpoint committed by another thread, now, on this one. */
static int take_pending_ckpt(hub_ctx_t *ctx)
{
    struct metrics_state *m = ctx->metrics;
    int64_t step;
    double s;

    pthread_mutex_lock(&m->lock);
    step = m->pending_ckpt, s = m->pending_ckpt_s;
    m->pending_ckpt = -1;
    pthread_mutex_unlock(&m->lock);
    if (step < 0)
        return 0;
    m->ckpt_step = step > m->ckpt_step ? step : m->ckpt_step;
    return events_record(ctx, "ckpt_commit", step, s, "durable");
}

/* Tokens/s and MFU of the window since the last flush, if it has steps. */
static void window_stats(const struct metrics_state *m, double peak_flops,
                         hub_stats_t *s)
{
    if (m->win_time <= 0)
        return;
    s->tokens_per_s = m->win_tokens / m->win_time;
    s->mfu = peak_flops > 0 ? m->win_flops / m->win_time / peak_flops : 0;
}

/* Close the window, write the buffered rows (rank 0) and the progress
 * record. The rows are dropped even if writing fails. */
static int flush(hub_ctx_t *ctx, double now)
{
    struct metrics_state *m = ctx->metrics;
    hub_error_t err;
    int rc = 0;

    window_stats(m, ctx->peak_flops, &m->stats);
    if (ctx->jobfile && m->nrows &&
        (rc = jobfile_append_rows(ctx->jobfile, m->rows, m->nrows, &err)) < 0)
        rc = ctx_error(ctx, -rc, "job file: %s", err.text);
    int rc2 = take_pending_ckpt(ctx);
    int rc3 = write_progress(ctx, 0);
    m->nrows = 0;
    m->win_time = m->win_flops = m->win_tokens = 0;
    m->last_flush = now;
    return rc ? rc : rc2 ? rc2 : rc3;
}

/* Whether to flush now; grows the buffer when it is full and not. */
static bool flush_due(struct metrics_state *m, double now)
{
    double since = now - m->last_flush;
    jobfile_row_t *more;

    if (since >= m->flush_s ||
        (m->nrows >= m->flush_rows && since >= FLUSH_MIN_SECONDS))
        return true;
    if (m->nrows < m->cap)
        return false;
    if (m->cap >= FLUSH_MAX_ROWS ||
        !(more = realloc(m->rows, 2 * m->cap * sizeof(*more))))
        return true;
    m->rows = more;
    m->cap *= 2;
    return false;
}

int hub_step_end_flops(hub_ctx_t *ctx, int64_t tokens, double loss,
                       double model_flops)
{
    struct metrics_state *m = ctx ? ctx->metrics : NULL;
    double now, dt, mfu;
    jobfile_row_t *r;

    if (!m || !m->in_step)
        return m ? ctx_error(ctx, EINVAL,
                             "hub_step_end without "
                             "hub_step_begin")
                 : -EINVAL;
    now = ctx->now_s();
    dt = now - m->step_t0;
    mfu =
        dt > 0 && ctx->peak_flops > 0 ? model_flops / dt / ctx->peak_flops : 0;
    m->in_step = false;
    r = &m->rows[m->nrows++];
    *r = (jobfile_row_t){m->step,
                         ctx->restart_count,
                         now + m->epoch_offset,
                         dt,
                         loss,
                         tokens,
                         model_flops,
                         mfu};
    m->win_time += dt;
    m->win_flops += model_flops;
    m->win_tokens += (double)tokens;
    m->run_time += dt;
    m->run_mfu_time += mfu * dt;
    m->stats.steps++;
    m->stats.last_step = m->step;
    m->stats.last_step_s = dt;
    m->last_end_s = r->time_s;
    return flush_due(m, now) ? flush(ctx, now) : 0;
}

int hub_step_end(hub_ctx_t *ctx, int64_t tokens, double loss)
{
    double fpt = ctx && ctx->metrics ? ctx->metrics->flops_per_token : 0;

    return hub_step_end_flops(ctx, tokens, loss, (double)tokens * fpt);
}

int hub_job_stats(const hub_ctx_t *ctx, hub_stats_t *out)
{
    const struct metrics_state *m = ctx ? ctx->metrics : NULL;

    if (!m || !out)
        return -EINVAL;
    *out = m->stats;
    window_stats(m, ctx->peak_flops, out);
    out->mean_mfu = m->run_time > 0 ? m->run_mfu_time / m->run_time : 0;
    return 0;
}

void metrics_ckpt_committed(hub_ctx_t *ctx, int64_t step, double seconds)
{
    struct metrics_state *m = ctx->metrics;

    pthread_mutex_lock(&m->lock);
    if (step > m->pending_ckpt) {
        m->pending_ckpt = step;
        m->pending_ckpt_s = seconds;
    }
    pthread_mutex_unlock(&m->lock);
    if (pthread_equal(pthread_self(), m->owner) && take_pending_ckpt(ctx) == 0)
        write_progress(ctx, 0);
}

void metrics_resumed(hub_ctx_t *ctx, int64_t step)
{
    struct metrics_state *m = ctx->metrics;
    int64_t redo =
        ctx->prev_last_step >= step ? ctx->prev_last_step - step + 1 : 0;

    m->ckpt_step = step;
    events_record(ctx, "resume", step, 0,
                  "restart=%d previous_last_step=%lld redo_steps=%lld",
                  ctx->restart_count, (long long)ctx->prev_last_step,
                  (long long)redo);
    write_progress(ctx, 0);
}

/* Rank 0: the job's summary into the file and the "end" event. */
static int summarise(hub_ctx_t *ctx)
{
    struct metrics_state *m = ctx->metrics;
    jobfile_summary_t s;
    hub_error_t err;
    int rc;

    rc = jobfile_summarise(ctx->jobfile, ctx->now_s() + m->epoch_offset, &s,
                           &err);
    if (rc == 0)
        rc = jobfile_write_summary(ctx->jobfile, &s, &err);
    if (rc < 0)
        return ctx_error(ctx, -rc, "job file summary: %s", err.text);
    return events_record(ctx, "end", m->stats.last_step, s.wall_s,
                         "goodput=%.4f mean_mfu=%.4f lost_steps=%lld",
                         s.goodput, s.mean_mfu, (long long)s.lost_steps);
}

int metrics_fini(hub_ctx_t *ctx)
{
    struct metrics_state *m = ctx ? ctx->metrics : NULL;
    int rc = 0, rc2 = 0;

    if (!m)
        return 0;
    rc = flush(ctx, ctx->now_s());
    if (ctx->jobfile)
        rc2 = summarise(ctx);
    rc = rc ? rc : rc2 ? rc2 : write_progress(ctx, 1);
    pthread_mutex_destroy(&m->lock);
    free(m->rows);
    free(m);
    ctx->metrics = NULL;
    return rc;
}

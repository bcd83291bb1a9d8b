/* jobfile.h - the job's HDF5 file (rank 0 only): identity attributes,
 * /metrics and /events tables that grow by appending, and /summary,
 * written at a clean finalize. A restarted job appends to the file its
 * earlier runs wrote. Schema: doc/hubjob.md ("The job file").
 *
 * Non-goals: parallel writes (one writer), concurrent readers while the
 * job runs (no SWMR: read the progress record instead).
 */
#ifndef HUBJOB_JOBFILE_H
#define HUBJOB_JOBFILE_H

#include <stdint.h>

#include "ctx.h"
#include "error.h"

#define JOBFILE_SCHEMA_VERSION 1
#define JOBFILE_NAME_MAX 32    /* event names, with the NUL */
#define JOBFILE_DETAIL_MAX 256 /* event details, with the NUL */

/* One row of /metrics: one training step. */
typedef struct jobfile_row {
    int64_t step;
    int32_t run;        /* restart number of the run that did the step */
    double time_s;      /* end of the step, seconds since the Epoch */
    double step_s;      /* its duration, seconds */
    double loss;        /* NaN if unknown */
    int64_t tokens;     /* processed by the whole job in the step */
    double model_flops; /* of the whole job in the step */
    double mfu;         /* model FLOP/s / peak, 0 when the peak is unknown */
} jobfile_row_t;

/* One row of /events. */
typedef struct jobfile_event {
    double time_s;     /* seconds since the Epoch */
    int32_t run;       /* restart number */
    int64_t step;      /* the step it concerns, -1 if none */
    double duration_s; /* 0 if none */
    char name[JOBFILE_NAME_MAX];
    char detail[JOBFILE_DETAIL_MAX];
} jobfile_event_t;

/* What an existing file says about the job's earlier runs. */
typedef struct jobfile_prev {
    int runs;          /* runs recorded before this one; 0 for a new file */
    int last_run;      /* restart number of the latest of them, -1 if none */
    int64_t last_step; /* last step in /metrics, -1 if none */
} jobfile_prev_t;

/* The job's summary, over every run recorded in the file. */
typedef struct jobfile_summary {
    int64_t steps;       /* rows of /metrics */
    int64_t lost_steps;  /* rows whose step a later run did again */
    double step_s;       /* sum of step durations */
    double lost_s;       /* of those, the lost rows' */
    double wall_s;       /* since the job first started */
    double goodput;      /* (step_s - lost_s) / wall_s */
    double mean_mfu;     /* mean of the rows' MFU weighted by step_s */
    double median_mfu;   /* median over the rows */
    double tokens_per_s; /* sum tokens / step_s */
    double median_tokens_per_s;
} jobfile_summary_t;

/* Open ctx->job_file at now_s (Epoch seconds) into *out: create it, or
 * reopen the file of an earlier run of the same job id and describe its
 * runs in *prev. A file that HDF5 cannot open is moved
 * aside to path.corrupt-<time> with a warning and a new one made; a file
 * of another job is refused (-EEXIST). Records runs, peak, devices and
 * precision as attributes. */
int jobfile_open(const hub_ctx_t *ctx, double now_s, struct jobfile **out,
                 jobfile_prev_t *prev, hub_error_t *err);

/* Close (NULL-safe); flushes what HDF5 still buffers. */
void jobfile_close(struct jobfile *jf);

/* Record the run's restart number (after the ranks agreed on it). */
int jobfile_set_run(struct jobfile *jf, int run, hub_error_t *err);

/* Record the model description as attributes (replacing earlier ones). */
int jobfile_set_model(struct jobfile *jf, const hub_model_t *m,
                      double flops_per_token, hub_error_t *err);

/* Append rows to /metrics, or one event to /events, then let the data
 * reach the operating system (H5Fflush) so that a crash keeps them. */
int jobfile_append_rows(struct jobfile *jf, const jobfile_row_t *rows, size_t n,
                        hub_error_t *err);
int jobfile_append_event(struct jobfile *jf, const jobfile_event_t *ev,
                         hub_error_t *err);

/* Compute the summary from every row of /metrics at now_s (Epoch): a
 * row survived unless a later run did its step again (it was after the
 * checkpoint that run resumed from). */
int jobfile_summarise(struct jobfile *jf, double now_s, jobfile_summary_t *out,
                      hub_error_t *err);

/* Write out as the attributes of group /summary (replacing any). */
int jobfile_write_summary(struct jobfile *jf, const jobfile_summary_t *s,
                          hub_error_t *err);

#endif /* HUBJOB_JOBFILE_H */

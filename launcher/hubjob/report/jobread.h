/* jobread.h - reading a job's HDF5 file (doc/hubjob.md, "The job file"),
 * for hub-report and hacct: its attributes, /summary, /metrics and
 * /events. Read-only, no MPI; HDF5 failures become a negative errno and a
 * message through libhubjob's h5util.c (compiled in).
 *
 * Non-goals: writing, reading a file a job is writing (no SWMR: a file
 * being written may fail to open, which is reported as for any other).
 */
#ifndef HUBJOB_JOBREAD_H
#define HUBJOB_JOBREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The root attributes a report shows ("" or 0 when absent). */
typedef struct jobread_info {
    char job_id[64];
    char model_name[128];
    char precision[16];
    char devices[64];
    double start_time_s; /* the job's first start, Epoch seconds */
    double peak_flops;   /* of the job's devices (latest run) */
    double model_flops_per_token;
    int64_t runs;       /* runs that opened the file */
    int64_t world_size; /* ranks (latest run) */
} jobread_info_t;

/* /summary, over every run (written at each clean finalize). */
typedef struct jobread_summary {
    int64_t steps, lost_steps;
    double step_s, lost_s, wall_s; /* seconds */
    double goodput;                /* 0..1 */
    double mean_mfu, median_mfu;   /* 0..1 */
    double tokens_per_s, median_tokens_per_s;
} jobread_summary_t;

/* The fields of a /metrics row a report uses. */
typedef struct jobread_row {
    int64_t step;
    int32_t run;
    double time_s; /* end of the step, Epoch seconds */
    double step_s;
    double loss; /* NaN if unknown */
    double mfu;  /* 0..1 */
} jobread_row_t;

/* A row of /events. */
typedef struct jobread_event {
    double time_s;
    int32_t run;
    int64_t step;
    double duration_s;
    char name[32];
    char detail[256];
} jobread_event_t;

/* A whole job file. */
typedef struct jobread {
    jobread_info_t info;
    bool has_summary; /* false until a run finalized cleanly */
    jobread_summary_t summary;
    jobread_row_t *rows; /* [nrows], in the order written */
    size_t nrows;
    jobread_event_t *events; /* [nevents] */
    size_t nevents;
} jobread_t;

/* Read all of path into *out (freed by jobread_free). 0, or a negative
 * errno with why: -ENOENT, -EACCES for a file that cannot be opened,
 * -EIO for one HDF5 cannot read or that is not a job file. */
int jobread_load(const char *path, jobread_t **out, hub_error_t *err);

/* NULL-safe. */
void jobread_free(jobread_t *jr);

/* Only /summary of path (cheap: what hacct shows). -ENODATA when the
 * file has none yet; else as jobread_load. */
int jobread_summary(const char *path, jobread_summary_t *out, hub_error_t *err);

#endif /* HUBJOB_JOBREAD_H */

/* progress.h - the progress record: a few key=value lines that hrun and
 * the controller read without HDF5 (format: doc/hubjob.md, "The progress
 * record"). Rank 0 rewrites it atomically (a temporary file renamed over
 * it) at every metrics flush, checkpoint commit and at finalize.
 */
#ifndef HUBJOB_PROGRESS_H
#define HUBJOB_PROGRESS_H

#include <stdint.h>

#include "error.h"

#define PROGRESS_VERSION 1

typedef struct progress_rec {
    const char *job_id;  /* "" outside a job */
    int64_t step;        /* last step ended, -1 if none */
    double time_s;       /* its end, Epoch seconds; 0 if none */
    double mfu;          /* over the last flush window, 0..1 */
    double tokens_per_s; /* over the last flush window */
    int restarts;        /* restart number of this run */
    int64_t ckpt_step;   /* last durable checkpoint, -1 if none */
    int64_t total_steps; /* HUB_TOTAL_STEPS, 0 if unknown */
    double eta_s;        /* seconds to total_steps, -1 if unknown */
    int finished;        /* 1 after a clean hub_job_finalize */
} progress_rec_t;

/* Rewrite path with r (and this process's pid) atomically: path.tmp is
 * written, then renamed over path. */
int progress_write(const char *path, const progress_rec_t *r, hub_error_t *err);

#endif /* HUBJOB_PROGRESS_H */

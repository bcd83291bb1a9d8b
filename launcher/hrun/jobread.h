/* jobread.h - what hrun reads from the job's HDF5 file once the ranks are
 * gone (doc/hubjob.md, "The job file"): per run, when MPI was up (the
 * "start" event), when the checkpoint was restored ("resume") and when
 * its first step ended (/metrics); and the /summary libhubjob wrote at
 * the final clean finalize. HDF5 errors are translated here only.
 */
#ifndef HUB_HRUN_JOBREAD_H
#define HUB_HRUN_JOBREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Times of one run (restart number run), Epoch seconds; 0: not found. */
typedef struct jobread_run {
    int run;
    double start_s;      /* "start": MPI initialised, job file open */
    double resume_s;     /* "resume": first checkpoint tensor restored */
    int64_t resume_step; /* the checkpoint's step, -1 none */
    double first_step_s; /* end of the run's first step */
} jobread_run_t;

typedef struct jobread_summary {
    bool present;       /* /summary exists (a clean finalize) */
    double goodput;     /* 0..1 */
    double lost_time_s; /* work lost: time of steps done again */
    double wall_time_s;
    double mean_mfu;
    int64_t steps, lost_steps;
} jobread_summary_t;

/* Fill runs[0..max) for the runs in the file (in run order; *n of them)
 * and *sum. -ENOENT when the file does not exist, another negative errno
 * with err when it cannot be read. */
int jobread(const char *path, jobread_run_t *runs, int max, int *n,
            jobread_summary_t *sum, hub_error_t *err);

#endif /* HUB_HRUN_JOBREAD_H */

/* summary.h - the end-of-job summary of a batch job: run hub-jobsummary
 * as the job's user in the job's directory, its output going to the
 * descriptor given (slurmstepd's stderr in the batch step: the job's
 * stderr file, which is its output file unless sbatch -e split them;
 * Slurm writes its own "slurmstepd: error: *** JOB ..." lines there).
 *
 * Writing through a descriptor slurmstepd opened for the job, from a
 * process that has become the job's user, touches no path as root.
 * Non-goals: steps other than the batch step, collecting the line.
 */
#ifndef HUB_SLURM_SUMMARY_H
#define HUB_SLURM_SUMMARY_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* A job whose program does not end this soon is killed (it reads one
 * small HDF5 file and perhaps runs scontrol once). */
#define SUMMARY_TIMEOUT_MS 10000

typedef struct summary_job {
    const char *prog;     /* hub-jobsummary, absolute path */
    const char *job_file; /* libhubjob's job file, relative to cwd or not */
    const char *cwd;      /* the job's working directory */
    uint32_t job_id;      /* for --comment */
    int comment;          /* also set the job's Comment (scontrol) */
    uid_t uid;            /* the job's user and groups */
    gid_t gid;
    const gid_t *gids; /* ngids supplementary groups */
    int ngids;
    int out_fd; /* where the line (and any error) goes */
} summary_job_t;

/* Run the program and wait for it (at most SUMMARY_TIMEOUT_MS). 0 when
 * it ran and exited 0; a negative errno with err set otherwise. */
int summary_run(const summary_job_t *job, hub_error_t *err);

#endif /* HUB_SLURM_SUMMARY_H */

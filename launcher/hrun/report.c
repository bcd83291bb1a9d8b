/* report.c - the end of hrun: every recovery's timeline (what hrun timed
 * itself, and from the job file when MPI was up, the checkpoint restored
 * and the first step done), goodput and work lost from the job file's
 * /summary, on stderr, as JSON lines in --timeline, and to the
 * controller (job_report).
 *
 * A timeline line reads, in seconds after the failure was detected:
 *   hrun: restart 2 (rank 1 (pid 812) on vm killed by signal 9):
 *     teardown 0.02, relaunch 0.00, MPI up 0.61, checkpoint loaded 0.93
 *     (step 40), first step 1.10
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "hrun.h"
#include "jobread.h"

#define MAX_RUNS 1024

/* The job file's run for recovery r (its restart number). */
static const jobread_run_t *file_run(const hrun_t *h, const hrun_recovery_t *r,
                                     const jobread_run_t *runs, int n)
{
    int want = r->job_run >= 0 ? r->job_run : h->restart_base + r->run;

    for (int i = 0; i < n; i++)
        if (runs[i].run == want)
            return &runs[i];
    return NULL;
}

/* Seconds from t0 to t, or -1 when t is unknown. */
static double after(double t0, double t)
{
    return t > 0 ? t - t0 : -1;
}

static void print_rec(const hrun_recovery_t *r, const jobread_run_t *f)
{
    double t0 = r->failed_s;

    fprintf(stderr,
            "hrun: restart %d (%s):\n"
            "hrun:   teardown %.2f s, relaunch %.2f s",
            r->run, r->cause, after(t0, r->down_s), after(t0, r->relaunch_s));
    if (f)
        fprintf(stderr,
                ", MPI up %.2f s, checkpoint loaded %.2f s (step %lld), "
                "first step %.2f s",
                after(t0, f->start_s), after(t0, f->resume_s),
                (long long)f->resume_step, after(t0, f->first_step_s));
    fprintf(stderr, " after detection\n");
}

static json_t *rec_json(const hrun_recovery_t *r, const jobread_run_t *f)
{
    json_t *j = json_pack(
        "{s:i, s:s, s:f, s:f, s:f, s:f}", "restart", r->run, "cause", r->cause,
        "last_progress", r->last_progress_s, "detected", r->failed_s,
        "teardown_done", r->down_s, "relaunch_started", r->relaunch_s);

    if (j && f) {
        json_object_set_new(j, "mpi_init", json_real(f->start_s));
        json_object_set_new(j, "ckpt_loaded", json_real(f->resume_s));
        json_object_set_new(j, "resume_step", json_integer(f->resume_step));
        json_object_set_new(j, "first_step", json_real(f->first_step_s));
    }
    return j;
}

static json_t *summary_json(const hrun_t *h, const jobread_summary_t *s)
{
    return json_pack(
        "{s:i, s:i, s:I, s:b, s:f, s:f, s:f, s:f, s:I, s:I}", "restarts",
        h->run, "exit", h->exit_code, "last_step", (json_int_t)h->best_step,
        "summary", s->present, "goodput", s->goodput, "work_lost_s",
        s->lost_time_s, "wall_s", s->wall_time_s, "mean_mfu", s->mean_mfu,
        "steps", (json_int_t)s->steps, "lost_steps", (json_int_t)s->lost_steps);
}

static void emit_json(FILE *f, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    if (s && f)
        fprintf(f, "%s\n", s);
    free(s);
    json_decref(j);
}

static void timeline(const hrun_t *h, const jobread_run_t *runs, int n,
                     const jobread_summary_t *sum)
{
    FILE *f = NULL;

    if (h->opt.timeline && !(f = fopen(h->opt.timeline, "a")))
        fprintf(stderr, "hrun: warning: --timeline %s: cannot write it\n",
                h->opt.timeline);
    for (int i = 0; i < h->nrecs; i++) {
        const jobread_run_t *fr = file_run(h, &h->recs[i], runs, n);
        print_rec(&h->recs[i], fr);
        emit_json(f, rec_json(&h->recs[i], fr));
    }
    emit_json(f, summary_json(h, sum));
    if (f)
        fclose(f);
}

void report_final(hrun_t *h)
{
    static jobread_run_t runs[MAX_RUNS];
    jobread_summary_t sum;
    struct stat sb;
    hub_error_t err;
    int n = 0, rc;

    /* a file this job did not write (an earlier job's) says nothing */
    sum = (jobread_summary_t){0};
    rc = -ENOENT;
    if (stat(h->job_file, &sb) == 0 && sb.st_mtime + 1 >= (time_t)h->start_s)
        rc = jobread(h->job_file, runs, MAX_RUNS, &n, &sum, &err);
    if (rc < 0 && rc != -ENOENT)
        fprintf(stderr, "hrun: warning: %s\n", err.text);
    timeline(h, runs, n, &sum);
    if (sum.present)
        fprintf(stderr,
                "hrun: %d restart%s; goodput %.1f %%, work lost %.1f s "
                "(%lld step%s), mean MFU %.2f %% (%s)\n",
                h->run, h->run == 1 ? "" : "s", 100 * sum.goodput,
                sum.lost_time_s, (long long)sum.lost_steps,
                sum.lost_steps == 1 ? "" : "s", 100 * sum.mean_mfu,
                h->job_file);
    else if (h->run > 0)
        fprintf(stderr, "hrun: %d restart%s\n", h->run, h->run == 1 ? "" : "s");
    ctl_report(h, &sum);
}

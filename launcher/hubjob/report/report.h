/* report.h - hub-report's parts: the runs of a job file (restarts and
 * their phases), the summary as text or JSON (report_text.c), and the
 * plot through gnuplot (report_plot.c). */
#ifndef HUBJOB_REPORT_H
#define HUBJOB_REPORT_H

#include <stdio.h>

#include "error.h"
#include "jobread.h"

#define REPORT_PHASES_MAX 8

/* One run of the job (run 0, then one per restart), from /metrics and
 * /events. */
typedef struct report_run {
    int run;             /* restart number */
    double start_s;      /* its "start" event, Epoch seconds; 0 if none */
    size_t rows;         /* its /metrics rows */
    int64_t first_step;  /* -1 when it has no rows */
    int64_t last_step;   /* -1 when it has no rows */
    double first_s;      /* end of its first step, 0 if none */
    double last_s;       /* end of its last step, 0 if none */
    int64_t resume_step; /* the checkpoint it resumed from, -1 if none */
    double gap_s;        /* previous run's last step to this run's first;
                            -1 when either has none */
    size_t nphases;      /* launcher phases (HUB_LAUNCH_TIMINGS events) */
    struct {
        char name[32];
        double s;
    } phase[REPORT_PHASES_MAX];
} report_run_t;

/* The runs of jr, ordered by restart number, into a malloc'd *runs.
 * -ENOMEM or 0. */
int report_runs(const jobread_t *jr, report_run_t **runs, size_t *n);

/* The summary as "Key:  value" lines, then one line per restart. png is
 * the plot written, or NULL. */
void report_print_text(FILE *out, const char *path, const jobread_t *jr,
                       const report_run_t *runs, size_t nruns, const char *png);

/* The same as one JSON object (and a newline); -ENOMEM or 0. */
int report_print_json(FILE *out, const char *path, const jobread_t *jr,
                      const report_run_t *runs, size_t nruns, const char *png);

/* Plot MFU (%) and loss over wall time, one panel each, with a red
 * line at each restart, into png with gnuplot (HUB_GNUPLOT, else
 * "gnuplot" in PATH; the "png" terminal, which gnuplot-nox has). Data
 * and script go to a temporary directory, removed afterwards. -ENOENT
 * when there is no gnuplot, -ENODATA when jr has no rows, -EIO when
 * gnuplot failed; err says why. */
int report_plot(const jobread_t *jr, const report_run_t *runs, size_t nruns,
                const char *png, hub_error_t *err);

#endif /* HUBJOB_REPORT_H */

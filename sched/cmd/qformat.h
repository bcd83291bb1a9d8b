/* qformat.h - squeue's output format language (-o/--format), for hqueue
 * and anything else that lists jobs one line each.
 *
 * A format is literal text with fields "%[.|-][WIDTH]TYPE", as squeue's:
 * without WIDTH the value is printed as is; with WIDTH it is padded to
 * WIDTH and cut to WIDTH when longer; '.' right-justifies, '-' (or
 * nothing) left-justifies; "%%" is a '%'. Types:
 *
 *   %i id ("A_T" for array tasks)  %j name        %u user
 *   %T state ("RUNNING")           %t state ("R") %M time used
 *   %l time limit                  %L time left   %D nodes
 *   %C CPUs                        %b GPUs ("gpu:h100:8", "gpu:0.25")
 *   %R "(Reason)" while pending, else the nodelist
 *   %N nodelist    %P partition    %Q priority    %r reason
 *   %V submit time %S start time   %e end time    %a account
 *   %m memory per node (or per CPU) %A array job id  %K array task id
 *   %h hub (hubsched)              %k kind: batch, train, infer (hubsched)
 *
 * Times are local "YYYY-MM-DDTHH:MM:SS", durations squeue's "M:SS",
 * "H:MM:SS", "D-HH:MM:SS"; empty names print as "(null)" and unknown
 * times as "N/A", as squeue does. Formatting needs no controller: the
 * module is tested with built rows (tests/unit/test_qformat.c).
 * Non-goals: squeue's -O/--Format field names.
 */
#ifndef HUB_QFORMAT_H
#define HUB_QFORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmdutil.h"
#include "error.h"

/* squeue's default and -l (long) formats. */
#define QFORMAT_DEFAULT "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"
#define QFORMAT_LONG                                                           \
    "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %.8I %.6Y %.8X %R"

/* Longest format accepted, bytes. */
#define QFORMAT_MAX 1024
/* Widest field, characters (squeue has no limit; this stops typos such
 * as "%99999i" from printing megabytes per line). */
#define QFORMAT_WIDTH_MAX 1024

typedef struct qformat qformat_t;

/* Parse fmt. NULL with err ("invalid field '%z' at column 5 of the
 * format") on an unknown type, a '%' at the end, a width over
 * QFORMAT_WIDTH_MAX or a format over QFORMAT_MAX; NULL on ENOMEM. */
qformat_t *qformat_create(const char *fmt, hub_error_t *err);

/* NULL-safe. */
void qformat_destroy(qformat_t *f);

/* The header line (squeue's column names, "JOBID", "PARTITION"...), and
 * one job's line with times relative to now_ms, each written straight to
 * out with a newline (hqueue's 100,000 lines: no string per line); the
 * caller checks out for errors (ferror, fflush). */
void qformat_print_header(const qformat_t *f, FILE *out);
void qformat_print_job(const qformat_t *f, const cmd_job_t *row, int64_t now_ms,
                       FILE *out);

/* Append to the JSON array names the answer columns that the format's
 * fields and qformat_sort read ("id", "req.name", "nodelist"...), for a
 * table request that asks only for those (doc/protocol.md); repeats are
 * left in. Returns 0 or -ENOMEM. */
int qformat_columns(const qformat_t *f, json_t *names, hub_error_t *err);

/* Sort rows the way hqueue lists them: running (and completing) jobs
 * first, then pending jobs by priority, highest first, then the rest;
 * ties by job id, then array task. */
void qformat_sort(cmd_job_t *rows, size_t n);

#endif /* HUB_QFORMAT_H */

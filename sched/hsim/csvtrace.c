/* csvtrace.c - hsim's own trace format: one job per CSV line
 * (doc/hsim.md, "CSV traces"):
 *
 *   id,submit_s,run_s,limit_s,nodes,tasks,cpus_per_task,mem_mb,gpus,user
 *
 * id >= 1; submit_s, run_s >= 0 (seconds); limit_s >= 0 (0: the run
 * time); nodes >= 0 (0: as few as fit); tasks, cpus_per_task >= 1;
 * mem_mb >= 0 per node; gpus per node, decimal (0.25 = a quarter GPU);
 * user a numeric uid, or empty. Blank lines and lines starting with '#'
 * are skipped, as is a header line starting with "id,". The cluster is a
 * hub.conf given beside the trace.
 */
#include "hsim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CSV_FIELDS 10

static const char *const col_name[CSV_FIELDS] = {
    "id",    "submit_s",      "run_s",  "limit_s", "nodes",
    "tasks", "cpus_per_task", "mem_mb", "gpus",    "user"};

/* Smallest value of each integer column (gpus is checked apart). */
static const int64_t col_min[CSV_FIELDS] = {1, 0, 0, 0, 0, 1, 1, 0, 0, 0};

static int bad(hsim_lines_t *lr, int col, const char *v, const char *what,
               hub_error_t *err)
{
    return hub_errorf(err, EINVAL, "%s:%ld: column %d (%s): '%s' %s", lr->path,
                      lr->lineno, col + 1, col_name[col], v, what);
}

static int parse_gpus(hsim_lines_t *lr, const char *s, uint32_t *milli,
                      hub_error_t *err)
{
    double g;

    if (!hsim_parse_double(s, &g) || g < 0 || g > HUB_NODE_MAX_GPUS)
        return bad(lr, 8, s, "is not a GPU count from 0 to 16", err);
    *milli = (uint32_t)lround(g * HUB_GPU_MILLI);
    if (*milli > HUB_GPU_MILLI && *milli % HUB_GPU_MILLI)
        return bad(lr, 8, s,
                   "is neither a fraction of one GPU nor whole "
                   "GPUs",
                   err);
    return 0;
}

static int parse_line(hsim_lines_t *lr, char *line, hsim_job_t *j,
                      hub_error_t *err)
{
    char *f[CSV_FIELDS];
    int64_t v[CSV_FIELDS] = {0};
    int n = hsim_split(line, ',', f, CSV_FIELDS);

    if (n != CSV_FIELDS)
        return hub_errorf(err, EINVAL, "%s:%ld: expected %d fields, found %d",
                          lr->path, lr->lineno, CSV_FIELDS, n);
    for (int i = 0; i < CSV_FIELDS; i++) {
        if (i == 8 || (i == 9 && f[i][0] == '\0'))
            continue;
        if (!hsim_parse_i64(f[i], &v[i]) || v[i] < col_min[i] ||
            v[i] > UINT32_MAX)
            return bad(lr, i, f[i], "is not a valid integer here", err);
    }
    j->id = (uint32_t)v[0];
    j->submit_s = v[1];
    j->run_s = v[2];
    j->limit_s = v[3] > 0 ? v[3] : (v[2] > 0 ? v[2] : 1);
    j->nodes = (uint32_t)v[4];
    j->ntasks = (uint32_t)v[5];
    j->cpus_per_task = (uint32_t)v[6];
    j->mem_mb = (uint64_t)v[7];
    j->uid = (uint32_t)v[9];
    return parse_gpus(lr, f[8], &j->gpus_milli, err);
}

static int read_jobs(hsim_lines_t *lr, size_t max_jobs, hsim_trace_t *tr,
                     hub_error_t *err)
{
    char *line;
    hsim_job_t *j;

    while ((!max_jobs || tr->njobs < max_jobs) &&
           (line = hsim_lines_next(lr))) {
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#' || strncmp(p, "id,", 3) == 0)
            continue;
        if (!(j = hsim_trace_add(tr)))
            return hub_errorf(err, ENOMEM, "out of memory");
        if (parse_line(lr, p, j, err) < 0) {
            tr->njobs--;
            return -EINVAL;
        }
    }
    return 0;
}

int hsim_csv_read(const char *path, const char *conf_text, size_t max_jobs,
                  hsim_trace_t *tr, hub_error_t *err)
{
    const char *base = strrchr(path, '/');
    hsim_lines_t lr;
    int rc;

    snprintf(tr->name, sizeof(tr->name), "%s", base ? base + 1 : path);
    tr->default_policies = "fifo,backfill";
    if (!(tr->conf = strdup(conf_text)))
        return hub_errorf(err, ENOMEM, "out of memory");
    if (hsim_lines_open(&lr, path, err) < 0)
        return -EINVAL;
    rc = read_jobs(&lr, max_jobs, tr, err);
    if (hsim_lines_close(&lr, rc < 0 ? NULL : err) < 0 && rc == 0)
        rc = -EIO;
    hsim_trace_sort(tr);
    return rc;
}

/* swf.c - the Standard Workload Format of the Parallel Workloads Archive
 * (Chapin, Feitelson et al.; www.cs.huji.ac.il/labs/parallel/workload/)
 * read into an hsim trace.
 *
 * A log is header lines starting with ';' ("; MaxNodes: 100") and one
 * line per job of 18 blank-separated numbers. hsim reads: 1 job number,
 * 2 submit time (s), 4 run time (s), 5 allocated processors, 8 requested
 * processors, 9 requested time (s), 12 user. A job asks for field 8
 * processors (field 5 when 8 is -1) for field 9 seconds (the run time
 * when 9 is -1): that is its time limit, the user's estimate that EASY
 * backfilling plans with; it ends after its run time, or at its limit
 * when the run time is longer (TIMEOUT). Jobs with no run time (-1:
 * cancelled before starting), no processor count, or more processors
 * than the machine has are skipped and counted.
 *
 * The machine: MaxNodes nodes of MaxProcs / MaxNodes CPUs each (KTH-SP2:
 * 100 x 1, HPC2N: 240 x 1 as their headers give it), one SWF processor
 * being one hub.conf CPU; a job's processors are tasks of one CPU packed
 * on as few nodes as hold them. Without those header lines, the largest
 * request in the log gives the machine, of 1-CPU nodes.
 */
#include "hsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SWF_FIELDS 18

/* What the header says about the machine. */
typedef struct swf_head {
    int64_t max_nodes, max_procs;
    int64_t most_procs; /* largest request seen, for a headerless log */
} swf_head_t;

static void parse_header(const char *line, swf_head_t *h, hsim_trace_t *tr)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"MaxNodes:", offsetof(swf_head_t, max_nodes)},
        {"MaxProcs:", offsetof(swf_head_t, max_procs)},
    };
    const char *p = line + 1;
    int64_t v;

    while (*p == ' ' || *p == '\t')
        p++;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t n = strlen(keys[i].key);
        if (strncmp(p, keys[i].key, n) == 0 && hsim_parse_i64(p + n, &v))
            *(int64_t *)((char *)h + keys[i].off) = v;
    }
    if (strncmp(p, "UnixStartTime:", 14) == 0 && hsim_parse_i64(p + 14, &v))
        tr->epoch_s = v;
}

static const char *const field_name[SWF_FIELDS + 1] = {
    "",
    "job number",
    "submit time",
    "wait time",
    "run time",
    "allocated processors",
    "average CPU time",
    "used memory",
    "requested processors",
    "requested time",
    "requested memory",
    "status",
    "user",
    "group",
    "executable",
    "queue",
    "partition",
    "preceding job",
    "think time",
};

/* Fields 1-18 as integers (the average CPU time, 6, may be a decimal and
 * is not read). */
static int parse_fields(hsim_lines_t *lr, char *line, int64_t v[],
                        hub_error_t *err)
{
    char *f[SWF_FIELDS];
    int n = hsim_split(line, 0, f, SWF_FIELDS);

    if (n != SWF_FIELDS)
        return hub_errorf(err, EINVAL, "%s:%ld: expected %d fields, found %d",
                          lr->path, lr->lineno, SWF_FIELDS, n);
    for (int i = 1; i <= SWF_FIELDS; i++) {
        if (i == 6)
            continue;
        if (!hsim_parse_i64(f[i - 1], &v[i]))
            return hub_errorf(err, EINVAL,
                              "%s:%ld: field %d (%s): '%s' is not an "
                              "integer",
                              lr->path, lr->lineno, i, field_name[i], f[i - 1]);
    }
    return 0;
}

/* Turn one record into a job; false when it is skipped. */
static bool make_job(const int64_t v[], hsim_job_t *j, swf_head_t *h)
{
    int64_t procs = v[8] > 0 ? v[8] : v[5];
    int64_t limit = v[9] > 0 ? v[9] : v[4];

    if (v[4] < 0 || procs <= 0 || v[2] < 0 ||
        (h->max_procs > 0 && procs > h->max_procs))
        return false;
    j->id = (uint32_t)v[1];
    j->submit_s = v[2];
    j->run_s = v[4];
    j->limit_s = limit > 0 ? limit : 1;
    j->ntasks = (uint32_t)procs;
    j->cpus_per_task = 1;
    j->uid = v[12] > 0 ? (uint32_t)v[12] : 0;
    if (procs > h->most_procs)
        h->most_procs = procs;
    return true;
}

/* hub.conf of the machine the header describes. */
static int make_conf(hsim_trace_t *tr, const swf_head_t *h, hub_error_t *err)
{
    int64_t nodes = h->max_nodes, procs = h->max_procs;
    int64_t cpus = 1;
    char *text = NULL;

    if (procs <= 0)
        procs = h->most_procs > 0 ? h->most_procs : 1;
    if (nodes > 0 && procs % nodes == 0)
        cpus = procs / nodes;
    else
        nodes = procs;
    if (asprintf(&text,
                 "HubName=site PUE=1.3 PowerPrice=0.10 CarbonIntensity=400\n"
                 "NodeName=n[1-%lld] CPUs=%lld RealMemory=1\n"
                 "PartitionName=swf Nodes=ALL Default=YES "
                 "MaxTime=UNLIMITED\n",
                 (long long)nodes, (long long)cpus) < 0)
        return hub_errorf(err, ENOMEM, "out of memory");
    tr->conf = text;
    return 0;
}

static void trace_name(hsim_trace_t *tr, const char *path)
{
    const char *base = strrchr(path, '/');
    char *dot;

    snprintf(tr->name, sizeof(tr->name), "%s", base ? base + 1 : path);
    if ((dot = strstr(tr->name, ".swf")))
        *dot = '\0';
}

/* Read records until the end or max_jobs kept. */
static int read_records(hsim_lines_t *lr, size_t max_jobs, hsim_trace_t *tr,
                        swf_head_t *h, hub_error_t *err)
{
    int64_t v[SWF_FIELDS + 1];
    char *line;

    while ((line = hsim_lines_next(lr))) {
        char *p = line + strspn(line, " \t");
        hsim_job_t *j;
        if (*p == ';') {
            parse_header(p, h, tr);
            continue;
        }
        if (*p == '\0')
            continue;
        if (parse_fields(lr, p, v, err) < 0)
            return -EINVAL;
        if (!(j = hsim_trace_add(tr)))
            return hub_errorf(err, ENOMEM, "out of memory");
        if (!make_job(v, j, h)) {
            tr->njobs--;
            tr->skipped++;
        } else if (max_jobs && tr->njobs >= max_jobs) {
            break;
        }
    }
    return 0;
}

int hsim_swf_read(const char *path, size_t max_jobs, hsim_trace_t *tr,
                  hub_error_t *err)
{
    swf_head_t h = {0};
    hsim_lines_t lr;
    int rc;

    if (hsim_lines_open(&lr, path, err) < 0)
        return -EINVAL;
    trace_name(tr, path);
    rc = read_records(&lr, max_jobs, tr, &h, err);
    if (hsim_lines_close(&lr, rc < 0 ? NULL : err) < 0 && rc == 0)
        rc = -EIO;
    if (rc == 0)
        rc = make_conf(tr, &h, err);
    tr->default_policies = "fifo,easy";
    hsim_trace_sort(tr);
    return rc;
}

/* hacct.c - accounting of finished jobs, as sacct does.
 *
 * Asks hubctld for the final jobs of a time window (op "acct") and prints
 * them in sacct's table (right-justified columns, values too long cut
 * and marked '+', a dashed line under the header), as CSV (--csv), as
 * '|'-separated text (-P) or as the answer's JSON (--json). The window is
 * sacct's: from midnight today (from the epoch when -j names jobs) to
 * now. Without -u or --allusers only the caller's jobs are listed, all
 * users' for root. The MFU and Goodput columns come from each job's HDF5
 * job file (hacct_perf.c); --report JOB runs hub-report on one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmdutil.h"
#include "hacct_perf.h"
#include "units.h"

static const char usage_text[] =
    "Usage: hacct [OPTIONS]\n"
    "Show finished jobs from the accounting store, as sacct.\n"
    "\n"
    "  -S, --starttime=TIME  jobs ended after TIME (default: midnight,\n"
    "                        or the epoch with -j)\n"
    "  -E, --endtime=TIME    jobs started before TIME (default: now)\n"
    "  -u, --user=LIST       these users' jobs (names or uids)\n"
    "  -a, --allusers        every user's jobs\n"
    "  -s, --state=LIST      only these states (CD,F,CA,TO or long names)\n"
    "  -j, --jobs=LIST       only these jobs (123, 123_4, 123_[1-3])\n"
    "  -o, --format=FIELDS   columns, e.g. jobid,jobname%20,gpuhours\n"
    "  -n, --noheader        no header lines\n"
    "  -P, --parsable2       values separated by '|', nothing cut\n"
    "      --csv             comma-separated values with a header\n"
    "      --json            the controller's answer as JSON\n"
    "      --report=JOB      run hub-report on JOB's job file (summary,\n"
    "                        plot of MFU and loss)\n"
    "  -X, --allocations     accepted for sacct users (no job steps here)\n"
    "      --helpformat      list the fields -o accepts\n"
    "      --help            this text\n"
    "\n"
    "TIME: YYYY-MM-DD[THH:MM[:SS]], HH:MM[:SS], now, now-1hour,\n"
    "now-2days, today, midnight, noon, tomorrow.\n";

enum { OPT_CSV = 256, OPT_JSON, OPT_HELP, OPT_HELPFORMAT, OPT_REPORT };

static const struct option longopts[] = {
    {"starttime", required_argument, NULL, 'S'},
    {"endtime", required_argument, NULL, 'E'},
    {"user", required_argument, NULL, 'u'},
    {"allusers", no_argument, NULL, 'a'},
    {"state", required_argument, NULL, 's'},
    {"jobs", required_argument, NULL, 'j'},
    {"format", required_argument, NULL, 'o'},
    {"noheader", no_argument, NULL, 'n'},
    {"parsable2", no_argument, NULL, 'P'},
    {"csv", no_argument, NULL, OPT_CSV},
    {"json", no_argument, NULL, OPT_JSON},
    {"report", required_argument, NULL, OPT_REPORT},
    {"allocations", no_argument, NULL, 'X'},
    {"helpformat", no_argument, NULL, OPT_HELPFORMAT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* ---- columns ----------------------------------------------------------- */

typedef struct colctx {
    const cmd_job_t *row;
    int64_t now_ms;
    hacct_perf_t perf; /* from the job's file, when a column shows it */
} colctx_t;

typedef void (*col_fn)(const colctx_t *c, char *buf, size_t len);

typedef struct column {
    const char *name;   /* as -o takes it, any case */
    const char *header; /* sacct's spelling */
    int width;          /* default width */
    col_fn fn;
} column_t;

static void c_jobid(const colctx_t *c, char *buf, size_t len)
{
    cmd_format_jobid(&c->row->job, buf, len);
}

static void c_jobname(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", c->row->job.req.name);
}

static void c_user(const colctx_t *c, char *buf, size_t len)
{
    if (c->row->job.user[0])
        snprintf(buf, len, "%s", c->row->job.user);
    else
        cmd_user_name(c->row->job.uid, buf, len);
}

static void c_partition(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", c->row->job.req.partition);
}

static void c_account(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", c->row->job.req.account);
}

static void c_state(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", hub_job_state_name(c->row->job.state));
}

static void c_exitcode(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%d:%d", c->row->job.exit_code, c->row->job.term_signal);
}

static void c_submit(const colctx_t *c, char *buf, size_t len)
{
    cmd_format_time(c->row->job.submit_ms, "Unknown", buf, len);
}

static void c_start(const colctx_t *c, char *buf, size_t len)
{
    cmd_format_time(c->row->job.start_ms, "Unknown", buf, len);
}

static void c_end(const colctx_t *c, char *buf, size_t len)
{
    cmd_format_time(c->row->job.end_ms, "Unknown", buf, len);
}

static void c_elapsed(const colctx_t *c, char *buf, size_t len)
{
    hub_format_duration(cmd_job_elapsed_s(&c->row->job, c->now_ms), buf, len);
}

static void c_timelimit(const colctx_t *c, char *buf, size_t len)
{
    int64_t limit = c->row->job.req.time_limit_s;

    if (limit > 0)
        hub_format_duration(limit, buf, len);
    else
        snprintf(buf, len, "Partition_Limit");
}

static void c_nnodes(const colctx_t *c, char *buf, size_t len)
{
    const hub_job_t *j = &c->row->job;

    snprintf(buf, len, "%u",
             j->alloc.nnodes ? j->alloc.nnodes : j->req.nodes_min);
}

static void c_gpus(const colctx_t *c, char *buf, size_t len)
{
    cmd_format_milli(cmd_job_gpus_milli(&c->row->job), buf, len);
}

/* The controller's figure when it sent one, else elapsed x GPUs. */
static void c_gpuhours(const colctx_t *c, char *buf, size_t len)
{
    double hours = c->row->gpu_hours;

    if (hours < 0)
        hours = (double)cmd_job_elapsed_s(&c->row->job, c->now_ms) *
                (double)cmd_job_gpus_milli(&c->row->job) / HUB_GPU_MILLI /
                3600.0;
    snprintf(buf, len, "%.2f", hours);
}

/* Compute metering from the controller; blank when it sent none. */
static void metered(double v, char *buf, size_t len)
{
    if (v < 0)
        snprintf(buf, len, " ");
    else
        snprintf(buf, len, "%.2f", v);
}
static void c_pflop_hours(const colctx_t *c, char *buf, size_t len)
{
    metered(c->row->pflop_hours, buf, len);
}
static void c_kwh(const colctx_t *c, char *buf, size_t len)
{
    metered(c->row->energy_kwh, buf, len);
}
static void c_co2(const colctx_t *c, char *buf, size_t len)
{
    metered(c->row->co2_kg, buf, len);
}

static void c_hub(const colctx_t *c, char *buf, size_t len)
{
    const char *hub =
        c->row->hub_name[0] ? c->row->hub_name : c->row->job.req.hub;

    snprintf(buf, len, "%s", hub);
}

static void c_kind(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", hub_job_kind_name(c->row->job.req.kind));
}

static void c_nodelist(const colctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", c->row->nodelist);
}

static void c_mfu(const colctx_t *c, char *buf, size_t len)
{
    hacct_perf_cell(c->perf.known, c->perf.mfu, buf, len);
}

static void c_goodput(const colctx_t *c, char *buf, size_t len)
{
    hacct_perf_cell(c->perf.known, c->perf.goodput, buf, len);
}

/* hrun's restarts (job_report / job_progress); "" when hrun sent none. */
static void c_restarts(const colctx_t *c, char *buf, size_t len)
{
    const hub_job_t *j = &c->row->job;

    if (j->hrun_restarts || j->hrun_step || j->hrun_goodput_ppm)
        snprintf(buf, len, "%u", j->hrun_restarts);
    else
        buf[0] = '\0';
}

static const column_t columns[] = {
    {"jobid", "JobID", 12, c_jobid},
    {"jobname", "JobName", 10, c_jobname},
    {"user", "User", 9, c_user},
    {"partition", "Partition", 10, c_partition},
    {"state", "State", 10, c_state},
    {"exitcode", "ExitCode", 8, c_exitcode},
    {"start", "Start", 19, c_start},
    {"end", "End", 19, c_end},
    {"elapsed", "Elapsed", 10, c_elapsed},
    {"nnodes", "NNodes", 8, c_nnodes},
    {"gpus", "GPUs", 6, c_gpus},
    {"gpuhours", "GPU-hours", 10, c_gpuhours},
    {"pflophours", "PFLOPh", 9, c_pflop_hours},
    {"kwh", "kWh", 9, c_kwh},
    {"co2kg", "CO2kg", 8, c_co2},
    {"mfu", "MFU%", 6, c_mfu},
    {"goodput", "Goodput%", 8, c_goodput},
    {"restarts", "Restarts", 8, c_restarts},
    {"submit", "Submit", 19, c_submit},
    {"account", "Account", 10, c_account},
    {"timelimit", "Timelimit", 10, c_timelimit},
    {"hub", "Hub", 10, c_hub},
    {"kind", "Kind", 6, c_kind},
    {"nodelist", "NodeList", 15, c_nodelist},
};

#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))
#define DEFAULT_FIELDS                                                         \
    "jobid,jobname,user,partition,state,exitcode,start,end,elapsed,nnodes,"    \
    "gpus,gpuhours,mfu,goodput"
#define MAX_SHOWN 32 /* columns one -o may ask for */

typedef struct shown {
    const column_t *col;
    int width;
} shown_t;

typedef enum style { STYLE_TABLE, STYLE_PIPE, STYLE_CSV } style_t;

typedef struct opts {
    shown_t shown[MAX_SHOWN]; /* the columns, from -o */
    size_t nshown;
    json_t *args;  /* the acct request */
    json_t *users; /* user names to keep (several -u) */
    json_t *ids;   /* -j, matched here: acct has no id filter */
    const char *start, *end, *fields;
    const char *report; /* --report: the job */
    style_t style;
    bool all_users, noheader, json, help, helpformat;
    bool perf; /* a shown column needs the job files */
} opts_t;

/* A column by name: case is ignored, and so are '-' ("gpu-hours"). */
static const column_t *find_column(const char *name, size_t n)
{
    char want[32];
    size_t k = 0;

    for (size_t i = 0; i < n && k < sizeof(want) - 1; i++) {
        if (name[i] != '-')
            want[k++] = name[i];
    }
    want[k] = '\0';
    for (size_t i = 0; i < NCOLUMNS; i++) {
        if (strcasecmp(columns[i].name, want) == 0)
            return &columns[i];
    }
    return NULL;
}

/* One "name[%width]" of -o. */
static int parse_field(const char *item, size_t n, shown_t *s, hub_error_t *err)
{
    const char *pct = memchr(item, '%', n);
    size_t name_len = pct ? (size_t)(pct - item) : n;
    char *end;
    long w;

    s->col = find_column(item, name_len);
    if (!s->col)
        return hub_errorf(err, EINVAL,
                          "invalid field '%.*s' (see --helpformat)",
                          (int)name_len, item);
    s->width = s->col->width;
    if (!pct)
        return 0;
    w = strtol(pct + 1, &end, 10);
    if (end != item + n || w < 1 || w > 1024)
        return hub_errorf(err, EINVAL, "invalid width in '%.*s'", (int)n, item);
    s->width = (int)w;
    return 0;
}

static int parse_fields(const char *list, shown_t *shown, size_t *nshown,
                        hub_error_t *err)
{
    const char *p = list;

    *nshown = 0;
    for (;;) {
        size_t n = strcspn(p, ",");
        int rc;

        if (n == 0 || *nshown == MAX_SHOWN)
            return hub_errorf(err, EINVAL, "invalid field list '%s'", list);
        rc = parse_field(p, n, &shown[*nshown], err);
        if (rc < 0)
            return rc;
        ++*nshown;
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

/* ---- printing ---------------------------------------------------------- */

/* A CSV cell: quoted when it holds a comma, a quote or a line end. */
static void csv_cell(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void print_cell(const shown_t *s, size_t i, const char *text,
                       style_t style)
{
    if (i > 0)
        putchar(style == STYLE_CSV ? ',' : (style == STYLE_PIPE ? '|' : ' '));
    if (style == STYLE_CSV)
        csv_cell(text);
    else if (style == STYLE_PIPE)
        fputs(text, stdout);
    else
        cmd_cell(stdout, text, s->width,
                 CMD_CELL_PLUS | (s->col->fn == c_jobid ? 0 : CMD_CELL_RIGHT));
}

static void print_header(const shown_t *shown, size_t n, style_t style)
{
    for (size_t i = 0; i < n; i++)
        print_cell(&shown[i], i, shown[i].col->header, style);
    putchar('\n');
    if (style != STYLE_TABLE)
        return;
    for (size_t i = 0; i < n; i++) {
        printf("%s", i > 0 ? " " : "");
        for (int k = 0; k < shown[i].width; k++)
            putchar('-');
    }
    putchar('\n');
}

static void print_row(const shown_t *shown, size_t n, const colctx_t *c,
                      style_t style)
{
    for (size_t i = 0; i < n; i++) {
        char text[256];
        shown[i].col->fn(c, text, sizeof(text));
        print_cell(&shown[i], i, text, style);
    }
    putchar('\n');
}

/* The job file the answer names for its i-th job, or NULL. */
static const char *job_file(const json_t *resp, size_t i)
{
    const json_t *job = json_array_get(json_object_get(resp, "jobs"), i);

    return json_string_value(json_object_get(job, "job_file"));
}

static int print_jobs(const opts_t *o, const json_t *resp)
{
    cmd_job_t *rows = NULL;
    size_t n = 0;
    hub_error_t err;
    int rc = cmd_jobs_from_answer(resp, &rows, &n, &err);

    if (rc < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    if (!o->noheader)
        print_header(o->shown, o->nshown, o->style);
    for (size_t i = 0; i < n; i++) {
        colctx_t c = {&rows[i], cmd_now_ms(), {0}};
        if (o->perf)
            hacct_perf_read(job_file(resp, i), &c.perf);
        print_row(o->shown, o->nshown, &c, o->style);
    }
    cmd_jobs_destroy(rows, n);
    if (fflush(stdout) != 0) {
        cmd_error("cannot write the list: %s", strerror(errno));
        return CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

static void print_helpformat(void)
{
    for (size_t i = 0; i < NCOLUMNS; i++)
        printf("%-12s%s", columns[i].header, i % 5 == 4 ? "\n" : "");
    putchar('\n');
}

/* ---- options ----------------------------------------------------------- */

static int apply_option(void *opts, int c, const char *arg, hub_error_t *err)
{
    opts_t *o = opts;

    switch (c) {
    case 'S':
        o->start = arg;
        return 0;
    case 'E':
        o->end = arg;
        return 0;
    case 'u':
        return cmd_users_append(o->users, arg, err);
    case 's':
        if (!json_object_get(o->args, "states"))
            json_object_set_new(o->args, "states", json_array());
        return cmd_states_append(json_object_get(o->args, "states"), arg, err);
    case 'j':
        return cmd_jobids_append(o->ids, arg, err);
    case 'o':
        o->fields = arg;
        return 0;
    case 'a':
        o->all_users = true;
        return 0;
    case 'n':
        o->noheader = true;
        return 0;
    case 'P':
    case OPT_CSV:
        o->style = c == 'P' ? STYLE_PIPE : STYLE_CSV;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    case OPT_REPORT:
        o->report = arg;
        return cmd_jobids_append(o->ids, arg, err);
    case OPT_HELPFORMAT:
        o->helpformat = true;
        return 0;
    case 'X':
        return 0;
    default:
        o->help = true;
        return 0;
    }
}

/* The window and the user into the request. */
static int finish_args(opts_t *o, hub_error_t *err)
{
    int64_t now = cmd_now_ms();
    int64_t start = json_array_size(o->ids) > 0 ? 0 : cmd_midnight_ms(now);
    int64_t end = now;
    int rc = 0;

    if (o->start)
        rc = cmd_parse_time_arg(o->start, now, &start, err);
    if (rc == 0 && o->end)
        rc = cmd_parse_time_arg(o->end, now, &end, err);
    if (rc < 0)
        return rc;
    if (end < start)
        return hub_errorf(err, EINVAL,
                          "the end time is before the start "
                          "time");
    json_object_set_new(o->args, "start_ms", json_integer(start));
    json_object_set_new(o->args, "end_ms", json_integer(end));
    if (json_array_size(o->users) == 1 && !o->all_users)
        json_object_set(o->args, "user", json_array_get(o->users, 0));
    else if (json_array_size(o->users) == 0 && !o->all_users && getuid())
        json_object_set_new(o->args, "uid", json_integer(getuid()));
    return 0;
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(opts_t *o, int argc, char **argv)
{
    hub_error_t err;
    int rc = cmd_parse_options(argc, argv, "S:E:u:as:j:o:nPX", longopts,
                               apply_option, o);

    if (rc != -1)
        return rc;
    if (optind < argc)
        return cmd_usage_error("unexpected argument '%s'", argv[optind]);
    if (o->help || o->helpformat)
        return -1;
    if (parse_fields(o->fields, o->shown, &o->nshown, &err) < 0)
        return cmd_usage_error("--format: %s", err.text);
    for (size_t i = 0; i < o->nshown; i++)
        o->perf |=
            o->shown[i].col->fn == c_mfu || o->shown[i].col->fn == c_goodput;
    if (o->perf || o->report)
        json_object_set_new(o->args, "job_file", json_true());
    if (finish_args(o, &err) < 0)
        return cmd_usage_error("%s", err.text);
    return -1;
}

/* ---- main -------------------------------------------------------------- */

/* Filters the acct op does not take: -j, and several -u. */
static bool keep_job(const json_t *job, const void *arg)
{
    const opts_t *o = arg;
    const char *user = json_string_value(json_object_get(job, "user"));

    if (json_array_size(o->ids) > 0 && !cmd_jobids_match(o->ids, job))
        return false;
    return o->all_users || json_array_size(o->users) < 2 ||
           cmd_list_has(o->users, user ? user : "");
}

/* path of a program installed next to this one, if there is one. */
static bool sibling(const char *name, char *path, size_t len)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (n <= 0)
        return false;
    self[n] = '\0';
    if (!(slash = strrchr(self, '/')))
        return false;
    *slash = '\0';
    snprintf(path, len, "%s/%s", self, name);
    return access(path, X_OK) == 0;
}

/* --report: exec hub-report (next to hacct, else from PATH) on the
 * job's file; returns only on failure. */
static int run_report(const opts_t *o, const json_t *resp)
{
    const char *file = job_file(resp, 0);
    char prog[4200];

    if (json_array_size(json_object_get(resp, "jobs")) == 0) {
        cmd_error("job %s: not among the finished jobs you may see", o->report);
        return CMD_EXIT_FAIL;
    }
    if (!file) {
        cmd_error("job %s: its job file is not known (no launch data)",
                  o->report);
        return CMD_EXIT_FAIL;
    }
    fflush(stdout);
    if (sibling("hub-report", prog, sizeof(prog)))
        execl(prog, "hub-report", file, (char *)NULL);
    execlp("hub-report", "hub-report", file, (char *)NULL);
    cmd_error("cannot run hub-report: %s", strerror(errno));
    return CMD_EXIT_FAIL;
}

static int run(opts_t *o)
{
    hub_error_t err;
    json_t *resp = NULL;
    int rc = cmd_call("acct", json_incref(o->args), &resp, &err);

    if (rc < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    cmd_jobs_filter(resp, keep_job, o);
    if (o->report)
        rc = run_report(o, resp);
    else
        rc = o->json ? cmd_print_json(resp) : print_jobs(o, resp);
    json_decref(resp);
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o = {.args = json_object(),
                .users = json_array(),
                .ids = json_array(),
                .fields = DEFAULT_FIELDS};
    int rc;

    cmd_init("hacct");
    rc = !o.args || !o.users || !o.ids ? CMD_EXIT_FAIL
                                       : parse_args(&o, argc, argv);
    if (rc < 0 && (o.help || o.helpformat)) {
        if (o.help)
            fputs(usage_text, stdout);
        else
            print_helpformat();
        rc = CMD_EXIT_OK;
    }
    if (rc < 0)
        rc = run(&o);
    json_decref(o.args);
    json_decref(o.users);
    json_decref(o.ids);
    return rc;
}

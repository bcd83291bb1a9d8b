/* cmdutil.c - the user commands' shared messages, option errors, calls to
 * hubctld, --json output and job rows (see cmdutil.h). The parsers of ids,
 * lists, times, users and signals are in cmdutil_parse.c. */
#include "cmdutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *prog_name = "hub";

void cmd_init(const char *prog)
{
    prog_name = prog;
}

const char *cmd_prog(void)
{
    return prog_name;
}

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s: ", prog_name, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cmd_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
}

void cmd_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage("warning", fmt, ap);
    va_end(ap);
}

int cmd_usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage("error", fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try '%s --help' for more information.\n", prog_name);
    return CMD_EXIT_USAGE;
}

/* getopt_long failed with c ('?' or ':'); say why as GNU getopt would,
 * in our message shape. argv[optind - 1] is the offending argument except
 * for a bad letter inside a bundle ("-xh"), which optopt names. */
static int option_error(int c, char *const argv[])
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = strncmp(arg, "--", 2) == 0;
    const char *eq = strchr(arg, '=');

    if (c == ':' && is_long)
        return cmd_usage_error("option '%s' requires an argument", arg);
    if (c == ':')
        return cmd_usage_error("option requires an argument -- '%c'", optopt);
    if (optopt == 0)
        return cmd_usage_error("unrecognized option '%s'", arg);
    if (is_long && eq)
        return cmd_usage_error("option '%.*s' doesn't allow an argument",
                               (int)(eq - arg), arg);
    return cmd_usage_error("invalid option -- '%c'", optopt);
}

int cmd_getopt(int argc, char *const argv[], const char *shortopts,
               const struct option *longopts)
{
    char opts[128];
    bool posix = shortopts[0] == '+';
    int c;

    /* A leading ':' makes getopt return ':' for a missing argument; it
     * must follow a leading '+' (stop at the first non-option). */
    snprintf(opts, sizeof(opts), "%s:%s", posix ? "+" : "",
             shortopts + (posix ? 1 : 0));
    opterr = 0;
    c = getopt_long(argc, argv, opts, longopts, NULL);
    if (c == '?' || c == ':') {
        option_error(c, argv);
        return '?';
    }
    return c;
}

/* ---- talking to hubctld ------------------------------------------------ */

int cmd_call_on(hub_client_t *c, const char *op, json_t *args, json_t **resp,
                hub_error_t *err)
{
    json_t *req = args ? args : json_object();
    int rc;

    if (!req || json_object_set_new(req, "op", json_string(op))) {
        json_decref(req);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    rc = hub_client_call(c, req, resp, CMD_TIMEOUT_MS, err);
    json_decref(req);
    return rc;
}

int cmd_call(const char *op, json_t *args, json_t **resp, hub_error_t *err)
{
    hub_client_t *c = hub_client_connect(NULL, err);
    int rc;

    if (!c) {
        json_decref(args);
        return -EHOSTUNREACH;
    }
    rc = cmd_call_on(c, op, args, resp, err);
    hub_client_close(c);
    return rc;
}

int cmd_print_json(const json_t *resp)
{
    json_t *data = json_copy((json_t *)resp);
    int rc = data ? 0 : -1;

    json_object_del(data, "rc");
    json_object_del(data, "seq");
    if (rc == 0)
        rc = json_dumpf(data, stdout, JSON_INDENT(2));
    json_decref(data);
    if (rc == 0 && fputc('\n', stdout) != EOF && fflush(stdout) == 0)
        return CMD_EXIT_OK;
    cmd_error("cannot write the answer: %s", strerror(errno));
    return CMD_EXIT_FAIL;
}

/* An id as the answer gives it: a number or an "A_T" string. */
static void format_answer_id(const json_t *id, char *buf, size_t len)
{
    if (json_is_integer(id))
        snprintf(buf, len, "%lld", (long long)json_integer_value(id));
    else if (json_is_string(id))
        snprintf(buf, len, "%s", json_string_value(id));
    else
        snprintf(buf, len, "?");
}

size_t cmd_report_job_errors(const json_t *resp, const char *what)
{
    const json_t *errors = json_object_get(resp, "errors");
    const json_t *e;
    size_t i;

    json_array_foreach((json_t *)errors, i, e)
    {
        const char *msg = json_string_value(json_object_get(e, "error"));
        char id[32];

        format_answer_id(json_object_get(e, "id"), id, sizeof(id));
        cmd_error("%s error on job id %s: %s", what, id,
                  msg ? msg : "unknown error");
    }
    return json_array_size(errors);
}

/* ---- GPU capacity ---------------------------------------------------- */

void cmd_gpus_add_node(cmd_gpus_t *g, const json_t *node)
{
    const json_t *free_milli = json_object_get(node, "gpu_free_milli");
    const json_t *v;
    size_t i;

    g->total_milli +=
        (uint64_t)json_integer_value(json_object_get(node, "gpus")) *
        HUB_GPU_MILLI;
    json_array_foreach((json_t *)free_milli, i, v)
    {
        json_int_t f = json_integer_value(v);
        g->free_milli += f > 0 ? (uint64_t)f : 0;
        g->idle += f >= HUB_GPU_MILLI;
    }
}

int cmd_format_gpu_use(const cmd_gpus_t *g, char *buf, size_t len)
{
    uint64_t free_milli =
        g->free_milli < g->total_milli ? g->free_milli : g->total_milli;
    uint64_t frac = free_milli - (g->idle * HUB_GPU_MILLI < free_milli
                                      ? g->idle * HUB_GPU_MILLI
                                      : free_milli);
    char used[32], total[32], part[32];

    cmd_format_milli(g->total_milli - free_milli, used, sizeof(used));
    cmd_format_milli(g->total_milli, total, sizeof(total));
    if (frac == 0)
        return snprintf(buf, len, "%s/%s", used, total);
    cmd_format_milli(frac, part, sizeof(part));
    return snprintf(buf, len, "%s/%s (%s frac)", used, total, part);
}

bool cmd_partition_has_node(const json_t *part, size_t idx, const json_t *node)
{
    const json_t *refs = json_object_get(part, "nodes");
    const char *name = json_string_value(json_object_get(node, "name"));
    const json_t *ref;
    size_t i;

    json_array_foreach((json_t *)refs, i, ref)
    {
        if (json_is_integer(ref) && json_integer_value(ref) == (json_int_t)idx)
            return true;
        if (json_is_string(ref) && name &&
            strcmp(json_string_value(ref), name) == 0)
            return true;
    }
    return json_array_size(refs) == 0;
}

/* ---- job rows ---------------------------------------------------------- */

/* Keys that answers add around hub_job_to_json()'s object. */
static const char *const row_extras[] = {"nodelist", "hub_name", "gpu_hours",
                                         NULL};

static int row_extras_from_json(const json_t *obj, cmd_job_t *row,
                                hub_error_t *err)
{
    const char *nodelist = json_string_value(json_object_get(obj, "nodelist"));
    const char *hub = json_string_value(json_object_get(obj, "hub_name"));
    const json_t *hours = json_object_get(obj, "gpu_hours");

    row->nodelist = strdup(nodelist ? nodelist : "");
    if (!row->nodelist)
        return hub_errorf(err, ENOMEM, "out of memory");
    snprintf(row->hub_name, sizeof(row->hub_name), "%s", hub ? hub : "");
    row->gpu_hours = json_is_number(hours) ? json_number_value(hours) : -1;
    return 0;
}

int cmd_job_from_json(const json_t *obj, cmd_job_t *row, hub_error_t *err)
{
    json_t *core;
    int rc;

    memset(row, 0, sizeof(*row));
    row->job.array_task_id = -1;
    row->gpu_hours = -1;
    if (!json_is_object(obj))
        return hub_errorf(err, EPROTO, "expected a job object");
    rc = row_extras_from_json(obj, row, err);
    if (rc < 0)
        return rc;
    core = json_copy((json_t *)obj);
    if (!core)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; row_extras[i]; i++)
        json_object_del(core, row_extras[i]);
    rc = hub_job_from_json(core, &row->job, err);
    json_decref(core);
    return rc;
}

void cmd_job_fini(cmd_job_t *row)
{
    if (!row)
        return;
    hub_job_clear(&row->job);
    free(row->nodelist);
    row->nodelist = NULL;
}

/* The answer's own columns in the table form, beside the job's. */
enum { COL_NODELIST = -2, COL_HUB_NAME = -3, COL_GPU_HOURS = -4 };

static int column_of(const json_t *name, size_t i, int *col, hub_error_t *err)
{
    const char *s = json_string_value(name);

    *col = s ? hub_job_column_find(s) : -1;
    if (*col >= 0)
        return 0;
    *col = !s                            ? -1
           : strcmp(s, "nodelist") == 0  ? COL_NODELIST
           : strcmp(s, "hub_name") == 0  ? COL_HUB_NAME
           : strcmp(s, "gpu_hours") == 0 ? COL_GPU_HOURS
                                         : -1;
    if (*col == -1)
        return hub_errorf(err, EPROTO, "columns[%zu]: not a job column", i);
    return 0;
}

static int row_cell(cmd_job_t *row, int col, const json_t *v, hub_error_t *err)
{
    const char *s = json_string_value(v);

    switch (col) {
    case COL_NODELIST:
        free(row->nodelist);
        row->nodelist = strdup(s ? s : "");
        return row->nodelist ? 0 : hub_errorf(err, ENOMEM, "out of memory");
    case COL_HUB_NAME:
        snprintf(row->hub_name, sizeof(row->hub_name), "%s", s ? s : "");
        return 0;
    case COL_GPU_HOURS:
        row->gpu_hours = json_is_number(v) ? json_number_value(v) : -1;
        return 0;
    default:
        return hub_job_column_from_json(&row->job, col, v, err);
    }
}

static int job_from_row(const json_t *cells, const int *cols, size_t ncols,
                        cmd_job_t *row, hub_error_t *err)
{
    memset(row, 0, sizeof(*row));
    row->job.array_task_id = -1;
    row->gpu_hours = -1;
    if (!json_is_array(cells) || json_array_size(cells) != ncols)
        return hub_errorf(err, EPROTO, "expected a row of %zu values", ncols);
    for (size_t i = 0; i < ncols; i++) {
        int rc = row_cell(row, cols[i], json_array_get(cells, i), err);
        if (rc < 0)
            return rc;
    }
    if (!row->nodelist && !(row->nodelist = strdup("")))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* The table form of doc/protocol.md: "columns" and "rows". */
static int jobs_from_table(const json_t *resp, cmd_job_t **rows, size_t *n,
                           hub_error_t *err)
{
    const json_t *names = json_object_get(resp, "columns");
    const json_t *cells = json_object_get(resp, "rows");
    size_t ncols = json_array_size(names), count = json_array_size(cells);
    int *cols = calloc(ncols + 1, sizeof(*cols));
    cmd_job_t *r = calloc(count + 1, sizeof(*r));
    size_t i = 0;
    int rc = cols && r ? 0 : hub_errorf(err, ENOMEM, "out of memory");

    if (rc == 0 && (!json_is_array(names) || !json_is_array(cells)))
        rc = hub_errorf(err, EPROTO, "bad answer from hubctld: no rows");
    for (size_t c = 0; rc == 0 && c < ncols; c++)
        rc = column_of(json_array_get(names, c), c, &cols[c], err);
    for (; rc == 0 && i < count; i++) {
        rc = job_from_row(json_array_get(cells, i), cols, ncols, &r[i], err);
        if (rc < 0)
            rc = hub_error_prefix(err, rc, "rows[%zu]", i);
    }
    free(cols);
    if (rc < 0) {
        cmd_jobs_destroy(r, i);
        return hub_error_prefix(err, rc, "bad answer from hubctld");
    }
    *rows = r;
    *n = count;
    return 0;
}

int cmd_jobs_from_answer(const json_t *resp, cmd_job_t **rows, size_t *n,
                         hub_error_t *err)
{
    const json_t *jobs = json_object_get(resp, "jobs");
    size_t count = json_array_size(jobs);
    cmd_job_t *r = NULL;

    *rows = NULL;
    *n = 0;
    if (json_object_get(resp, "rows"))
        return jobs_from_table(resp, rows, n, err);
    if (!json_is_array(jobs))
        return hub_errorf(err, EPROTO, "bad answer from hubctld: no jobs");
    if (count > 0 && !(r = calloc(count, sizeof(*r))))
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        int rc = cmd_job_from_json(json_array_get(jobs, i), &r[i], err);
        if (rc < 0) {
            cmd_jobs_destroy(r, i + 1);
            return hub_error_prefix(err, rc,
                                    "bad answer from hubctld: "
                                    "jobs[%zu]",
                                    i);
        }
    }
    *rows = r;
    *n = count;
    return 0;
}

void cmd_jobs_destroy(cmd_job_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        cmd_job_fini(&rows[i]);
    free(rows);
}

void cmd_jobs_filter(json_t *resp,
                     bool (*keep)(const json_t *job, const void *arg),
                     const void *arg)
{
    json_t *jobs = json_object_get(resp, "jobs");
    size_t i = 0;

    while (i < json_array_size(jobs)) {
        if (keep(json_array_get(jobs, i), arg))
            i++;
        else
            json_array_remove(jobs, i);
    }
}

/* ---- cells ------------------------------------------------------------- */

void cmd_cell(FILE *f, const char *s, int width, unsigned flags)
{
    int len = (int)strlen(s);

    if (width <= 0) {
        fputs(s, f);
    } else if (len > width && (flags & CMD_CELL_PLUS)) {
        fprintf(f, "%.*s+", width - 1, s);
    } else if (len > width && (flags & CMD_CELL_CUT)) {
        fprintf(f, "%.*s", width, s);
    } else {
        fprintf(f, (flags & CMD_CELL_RIGHT) ? "%*s" : "%-*s", width, s);
    }
}

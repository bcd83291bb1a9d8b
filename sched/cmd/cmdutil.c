/* cmdutil.c - the user commands' shared messages, option errors, calls to
 * hubctld, --json output, GPU capacity and cells (see cmdutil.h). The
 * parsers of ids, lists, times, users and signals are in cmdutil_parse.c,
 * the job rows of answers in cmdutil_table.c. */
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

int cmd_parse_options(int argc, char **argv, const char *shortopts,
                      const struct option *longopts, cmd_option_fn apply,
                      void *opts)
{
    hub_error_t err;
    int c;

    while ((c = cmd_getopt(argc, argv, shortopts, longopts)) != -1) {
        if (c == '?')
            return CMD_EXIT_USAGE;
        if (apply(opts, c, optarg, &err) < 0)
            return cmd_usage_error("%s", err.text);
    }
    return -1;
}

/* ---- talking to hubctld ------------------------------------------------ */

/* The request {"op": op, ...args} (args stolen), or NULL on ENOMEM. */
static json_t *request(const char *op, json_t *args)
{
    json_t *req = args ? args : json_object();

    if (!req || json_object_set_new(req, "op", json_string(op))) {
        json_decref(req);
        return NULL;
    }
    return req;
}

int cmd_call_on(hub_client_t *c, const char *op, json_t *args, json_t **resp,
                hub_error_t *err)
{
    json_t *req = request(op, args);
    int rc;

    if (!req)
        return hub_errorf(err, ENOMEM, "out of memory");
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

int cmd_call_table(const char *op, json_t *args, json_t **resp,
                   cmd_job_t **rows, size_t *n, hub_error_t *err)
{
    hub_client_t *c = hub_client_connect(NULL, err);
    json_t *req = request(op, args);
    const char *text;
    size_t len;
    int rc = req ? 0 : hub_errorf(err, ENOMEM, "out of memory");

    *resp = NULL;
    *rows = NULL;
    *n = 0;
    if (!c)
        rc = -EHOSTUNREACH;
    if (rc == 0)
        rc = hub_client_call_text(c, req, &text, &len, CMD_TIMEOUT_MS, err);
    if (rc == 0)
        rc = cmd_table_from_text(text, len, resp, rows, n, err);
    json_decref(req);
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

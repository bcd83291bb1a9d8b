/* hqueue.c - list pending and running jobs, as squeue does.
 *
 * Asks hubctld for the queue (op "queue") with the filters given, then
 * prints one line per job in squeue's format language (qformat.h):
 * running jobs first, then pending jobs by priority, highest first.
 * Without -t only jobs that have not ended are listed (the controller
 * also returns jobs that ended in the last MinJobAge, which "-t all" or
 * "-t CD" show), as squeue does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdutil.h"
#include "qformat.h"

static const char usage_text[] =
    "Usage: hqueue [OPTIONS]\n"
    "List pending and running jobs, as squeue.\n"
    "\n"
    "  -u, --user=LIST       only these users' jobs (names or uids)\n"
    "      --me              only your own jobs\n"
    "  -j, --jobs=LIST       only these jobs (123, 123_4, 123_[1-3])\n"
    "  -p, --partition=LIST  only these partitions\n"
    "  -t, --states=LIST     only these states (PD,R or PENDING,RUNNING;\n"
    "                        'all' for every state, ended jobs included)\n"
    "      --hub=NAME        only jobs running on or asking for this hub\n"
    "  -n, --name=LIST       only jobs with these names\n"
    "  -o, --format=FORMAT   squeue's output format, default\n"
    "                        \"" QFORMAT_DEFAULT "\"\n"
    "  -l, --long            the long format: state names, time limits\n"
    "  -h, --noheader        no header line\n"
    "      --json            the controller's answer as JSON\n"
    "      --help            this text\n"
    "\n"
    "Format fields: %i id, %j name, %u user, %T/%t state, %M time used,\n"
    "%l time limit, %L time left, %D nodes, %C CPUs, %b GPUs, %R reason\n"
    "or nodelist, %N nodelist, %P partition, %Q priority, %r reason,\n"
    "%V submit, %S start, %e end, %a account, %m memory, %A array job,\n"
    "%K array task, %h hub, %k kind; from hrun: %I step, %Y MFU,\n"
    "%X restarts. \"%.8j\" right-justifies in 8 columns, \"%8j\"\n"
    "left-justifies; both cut longer values.\n";

enum { OPT_ME = 256, OPT_HUB, OPT_JSON, OPT_HELP };

static const struct option longopts[] = {
    {"user", required_argument, NULL, 'u'},
    {"me", no_argument, NULL, OPT_ME},
    {"jobs", required_argument, NULL, 'j'},
    {"partition", required_argument, NULL, 'p'},
    {"states", required_argument, NULL, 't'},
    {"hub", required_argument, NULL, OPT_HUB},
    {"name", required_argument, NULL, 'n'},
    {"format", required_argument, NULL, 'o'},
    {"long", no_argument, NULL, 'l'},
    {"noheader", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct opts {
    json_t *args;       /* the queue request's filters */
    json_t *ids;        /* -j as given, matched here (see run) */
    json_t *users;      /* user names to keep; empty: all */
    const char *format; /* qformat text */
    bool noheader, json, help, states_given;
} opts_t;

/* Add list's items to the request's array filter key. */
static int add_filter(opts_t *o, const char *key, const char *list,
                      const char *what, hub_error_t *err)
{
    json_t *arr = json_object_get(o->args, key);

    if (!arr) {
        arr = json_array();
        json_object_set_new(o->args, key, arr);
    }
    if (strcmp(key, "states") == 0)
        return cmd_states_append(arr, list, err);
    return cmd_list_append(arr, list, what, err);
}

static int apply_option(void *opts, int c, const char *arg, hub_error_t *err)
{
    opts_t *o = opts;

    char me[HUB_NAME_MAX];

    switch (c) {
    case 'u':
        return cmd_users_append(o->users, arg, err);
    case OPT_ME:
        cmd_user_name((uint32_t)getuid(), me, sizeof(me));
        return cmd_users_append(o->users, me, err);
    case 'j':
        return cmd_jobids_append(o->ids, arg, err);
    case 'p':
        return add_filter(o, "partitions", arg, "partition", err);
    case 't':
        o->states_given = true;
        return add_filter(o, "states", arg, "state", err);
    case 'n':
        return add_filter(o, "names", arg, "name", err);
    case OPT_HUB:
        json_object_set_new(o->args, "hub", json_string(arg));
        return 0;
    case 'o':
        o->format = arg;
        return 0;
    case 'l':
        o->format = QFORMAT_LONG;
        return 0;
    case 'h':
        o->noheader = true;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    default:
        o->help = true;
        return 0;
    }
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(opts_t *o, int argc, char **argv)
{
    int rc = cmd_parse_options(argc, argv, "u:j:p:t:n:o:lh", longopts,
                               apply_option, o);

    if (rc != -1)
        return rc;
    if (optind < argc)
        return cmd_usage_error("unexpected argument '%s'", argv[optind]);
    if (json_array_size(o->users) == 1)
        json_object_set(o->args, "user", json_array_get(o->users, 0));
    /* The queue filter takes numbers: "12_3" asks for array 12, and
     * keep_job keeps task 3. */
    if (json_array_size(o->ids) > 0)
        json_object_set_new(o->args, "ids", cmd_jobids_numeric(o->ids));
    return -1;
}

/* Whether a job of the answer is listed. The controller applied the
 * filters it knows; exact ids, several users and the default states
 * (jobs that have not ended, unless -t or -j asks) are ours. */
static bool keep(const opts_t *o, const hub_job_t *job)
{
    if (json_array_size(o->ids) > 0 && !cmd_jobids_match_job(o->ids, job))
        return false;
    if (json_array_size(o->users) > 0 && !cmd_list_has(o->users, job->user))
        return false;
    return o->states_given || json_array_size(o->ids) > 0 ||
           !hub_job_state_is_final(job->state);
}

/* What keep() reads. */
static const char *const keep_columns[] = {
    "id", "array_job_id", "array_task_id", "user", "state", NULL};

/* The table's columns to ask for: what keep() and the format read, so
 * that the controller writes and we read only those (at 100,000 jobs of
 * the default format, 6 values a row instead of 14). */
static int ask_columns(const opts_t *o, const qformat_t *f, hub_error_t *err)
{
    json_t *names = json_array();
    int rc = names ? qformat_columns(f, names, err)
                   : hub_errorf(err, ENOMEM, "out of memory");

    for (size_t i = 0; rc == 0 && keep_columns[i]; i++) {
        if (json_array_append_new(names, json_string(keep_columns[i])))
            rc = hub_errorf(err, ENOMEM, "out of memory");
    }
    if (rc < 0) {
        json_decref(names);
        return rc;
    }
    if (json_object_set_new(o->args, "columns", names))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* keep() for --json, which prints the answer's job objects. */
static bool keep_object(const json_t *obj, const void *arg)
{
    cmd_job_t row;
    bool kept = cmd_job_from_json(obj, &row, NULL) < 0 || keep(arg, &row.job);

    cmd_job_fini(&row);
    return kept;
}

/* Drop the rows keep() refuses; *n becomes the number kept. */
static void keep_rows(const opts_t *o, cmd_job_t *rows, size_t *n)
{
    size_t kept = 0;

    for (size_t i = 0; i < *n; i++) {
        if (!keep(o, &rows[i].job)) {
            cmd_job_fini(&rows[i]);
            continue;
        }
        if (kept != i) /* rows are 1 KB: move only those that move */
            rows[kept] = rows[i];
        kept++;
    }
    *n = kept;
}

/* Ask for the table form (doc/protocol.md) and print it; the rows are
 * read from the answer's text (cmd_call_table) and printed straight to
 * stdout. */
static int print_table(const opts_t *o, const qformat_t *f)
{
    json_t *resp, *now;
    cmd_job_t *rows;
    size_t n;
    hub_error_t err;
    int64_t now_ms;
    int rc;

    json_object_set_new(o->args, "table", json_true());
    rc = ask_columns(o, f, &err);
    if (rc == 0)
        rc = cmd_call_table("queue", json_incref(o->args), &resp, &rows, &n,
                            &err);
    if (rc < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    now = json_object_get(resp, "now_ms");
    now_ms = json_is_integer(now) ? json_integer_value(now) : cmd_now_ms();
    keep_rows(o, rows, &n);
    qformat_sort(rows, n);
    if (!o->noheader)
        qformat_print_header(f, stdout);
    for (size_t i = 0; i < n; i++)
        qformat_print_job(f, &rows[i], now_ms, stdout);
    cmd_jobs_destroy(rows, n);
    json_decref(resp);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cmd_error("cannot write the list: %s", strerror(errno));
        return CMD_EXIT_FAIL;
    }
    return CMD_EXIT_OK;
}

/* --json: the answer's job objects. */
static int print_json(opts_t *o)
{
    json_t *resp = NULL;
    hub_error_t err;
    int rc = cmd_call("queue", json_incref(o->args), &resp, &err);

    if (rc < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    cmd_jobs_filter(resp, keep_object, o);
    rc = cmd_print_json(resp);
    json_decref(resp);
    return rc;
}

static int run(opts_t *o)
{
    hub_error_t err;
    qformat_t *f = qformat_create(o->format, &err);
    int rc;

    if (!f)
        return cmd_usage_error("--format: %s", err.text);
    rc = o->json ? print_json(o) : print_table(o, f);
    qformat_destroy(f);
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o = {.args = json_object(),
                .ids = json_array(),
                .users = json_array(),
                .format = QFORMAT_DEFAULT};
    int rc;

    cmd_init("hqueue");
    if (!o.args || !o.ids || !o.users) {
        cmd_error("out of memory");
        return CMD_EXIT_FAIL;
    }
    rc = parse_args(&o, argc, argv);
    if (rc < 0 && o.help) {
        fputs(usage_text, stdout);
        rc = CMD_EXIT_OK;
    }
    if (rc < 0)
        rc = run(&o);
    json_decref(o.args);
    json_decref(o.ids);
    json_decref(o.users);
    return rc;
}

/* hcancel.c - cancel or signal jobs, as scancel does.
 *
 * Jobs are named by id ("12", "12_3" for an array task, "12" for a whole
 * array, "12_[1-3]") and/or by filters (user, name, states, partition);
 * with both, the filters restrict the ids. One "cancel" request does it
 * all; the controller answers which jobs it ended and which it could not
 * touch, and each refusal is printed as scancel prints it:
 *   hcancel: error: Kill job error on job id 12: Permission denied
 * With -i the matching jobs are listed first (op "queue") and each is
 * confirmed on the terminal before one request cancels the chosen ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"

static const char usage_text[] =
    "Usage: hcancel [OPTIONS] [JOBID[_TASK]...]\n"
    "Cancel or signal jobs, as scancel.\n"
    "\n"
    "  JOBID                 123, 123_4 (an array task), 123_[1-3], or\n"
    "                        the array's id for the whole array\n"
    "  -u, --user=USER       only (or all of) this user's jobs\n"
    "  -n, --name=NAME       only jobs with this name\n"
    "  -t, --state=LIST      only jobs in these states (PD,R or PENDING)\n"
    "  -p, --partition=NAME  only jobs in this partition\n"
    "  -s, --signal=SIG      send SIG (TERM, USR1, 10...) instead of\n"
    "                        ending the jobs\n"
    "  -i, --interactive     confirm each job\n"
    "  -Q, --quiet           do not report jobs that could not be touched\n"
    "      --json            the controller's answer as JSON\n"
    "      --help            this text\n"
    "\n"
    "Exit status: 0 when every job was handled, 1 otherwise, 2 for bad\n"
    "options.\n";

enum { OPT_JSON = 256, OPT_HELP };

static const struct option longopts[] = {
    {"user", required_argument, NULL, 'u'},
    {"name", required_argument, NULL, 'n'},
    {"state", required_argument, NULL, 't'},
    {"partition", required_argument, NULL, 'p'},
    {"signal", required_argument, NULL, 's'},
    {"interactive", no_argument, NULL, 'i'},
    {"quiet", no_argument, NULL, 'Q'},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct opts {
    json_t *args; /* the cancel request: ids, filters, signal */
    bool interactive, quiet, json, help;
} opts_t;

static int set_user(opts_t *o, const char *name, hub_error_t *err)
{
    char canon[HUB_NAME_MAX];
    int rc = cmd_user_canon(name, canon, sizeof(canon), err);

    if (rc < 0)
        return rc;
    json_object_set_new(o->args, "user", json_string(canon));
    return 0;
}

static int set_signal(opts_t *o, const char *arg, hub_error_t *err)
{
    int sig;
    int rc = cmd_parse_signal(arg, &sig, err);

    if (rc == 0)
        json_object_set_new(o->args, "signal", json_integer(sig));
    return rc;
}

static int apply_option(void *opts, int c, const char *arg, hub_error_t *err)
{
    opts_t *o = opts;

    json_t *states;

    switch (c) {
    case 'u':
        return set_user(o, arg, err);
    case 'n':
        json_object_set_new(o->args, "name", json_string(arg));
        return 0;
    case 'p':
        json_object_set_new(o->args, "partition", json_string(arg));
        return 0;
    case 't':
        states = json_object_get(o->args, "states");
        if (!states)
            json_object_set_new(o->args, "states", states = json_array());
        return cmd_states_append(states, arg, err);
    case 's':
        return set_signal(o, arg, err);
    case 'i':
        o->interactive = true;
        return 0;
    case 'Q':
        o->quiet = true;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    default:
        o->help = true;
        return 0;
    }
}

static bool has_filter(const opts_t *o)
{
    static const char *const keys[] = {"ids",    "user",      "name",
                                       "states", "partition", NULL};

    for (size_t i = 0; keys[i]; i++) {
        if (json_object_get(o->args, keys[i]))
            return true;
    }
    return false;
}

static int parse_ids(opts_t *o, int argc, char **argv, hub_error_t *err)
{
    json_t *ids;

    if (optind >= argc)
        return 0;
    ids = json_array();
    json_object_set_new(o->args, "ids", ids);
    for (int i = optind; i < argc; i++) {
        int rc = cmd_jobids_append(ids, argv[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(opts_t *o, int argc, char **argv)
{
    hub_error_t err;
    int rc = cmd_parse_options(argc, argv, "u:n:t:p:s:iQ", longopts,
                               apply_option, o);

    if (rc != -1)
        return rc;
    if (o->help)
        return -1;
    if (parse_ids(o, argc, argv, &err) < 0)
        return cmd_usage_error("%s", err.text);
    if (!has_filter(o))
        return cmd_usage_error("No job identification provided");
    return -1;
}

/* ---- interactive ------------------------------------------------------- */

static bool confirm(const cmd_job_t *row)
{
    char id[32], answer[16];

    cmd_format_jobid(&row->job, id, sizeof(id));
    printf("Cancel job_id=%s name=%s partition=%s [y/n]? ", id,
           row->job.req.name, row->job.req.partition);
    fflush(stdout);
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    return answer[0] == 'y' || answer[0] == 'Y';
}

/* The queue request matching the cancel request's filters. */
static json_t *queue_filters(const opts_t *o)
{
    json_t *q = json_object();
    const json_t *v;

    if ((v = json_object_get(o->args, "ids")))
        json_object_set(q, "ids", (json_t *)v);
    if ((v = json_object_get(o->args, "user")))
        json_object_set(q, "user", (json_t *)v);
    if ((v = json_object_get(o->args, "states")))
        json_object_set(q, "states", (json_t *)v);
    if ((v = json_object_get(o->args, "name")))
        json_object_set_new(q, "names", json_pack("[O]", v));
    if ((v = json_object_get(o->args, "partition")))
        json_object_set_new(q, "partitions", json_pack("[O]", v));
    return q;
}

/* Ask about each matching job; the request then names the chosen ids
 * only. Returns 0, 1 when none was chosen, or a negative errno. */
static int choose_jobs(opts_t *o, hub_error_t *err)
{
    json_t *resp = NULL, *ids = json_array();
    cmd_job_t *rows = NULL;
    size_t n = 0;
    int rc = cmd_call("queue", queue_filters(o), &resp, err);

    if (rc == 0)
        rc = cmd_jobs_from_answer(resp, &rows, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char id[32];
        if (hub_job_state_is_final(rows[i].job.state) || !confirm(&rows[i]))
            continue;
        cmd_format_jobid(&rows[i].job, id, sizeof(id));
        json_array_append_new(ids, json_string(id));
    }
    if (rc == 0 && json_array_size(ids) == 0)
        rc = 1;
    if (rc == 0) {
        static const char *const drop[] = {"user", "name", "states",
                                           "partition", NULL};
        for (size_t i = 0; drop[i]; i++)
            json_object_del(o->args, drop[i]);
        json_object_set(o->args, "ids", ids);
    }
    cmd_jobs_destroy(rows, n);
    json_decref(ids);
    json_decref(resp);
    return rc;
}

/* ---- main -------------------------------------------------------------- */

static int run(opts_t *o)
{
    hub_error_t err;
    json_t *resp = NULL;
    int rc = o->interactive ? choose_jobs(o, &err) : 0;
    size_t failed;

    if (rc == 1)
        return CMD_EXIT_OK;
    if (rc == 0)
        rc = cmd_call("cancel", json_incref(o->args), &resp, &err);
    if (rc < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    if (o->json)
        rc = cmd_print_json(resp);
    failed = o->quiet || o->json
                 ? json_array_size(json_object_get(resp, "errors"))
                 : cmd_report_job_errors(resp, "Kill job");
    json_decref(resp);
    return rc != CMD_EXIT_OK || failed > 0 ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}

int main(int argc, char **argv)
{
    opts_t o = {json_object(), false, false, false, false};
    int rc;

    cmd_init("hcancel");
    if (!o.args) {
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
    return rc;
}

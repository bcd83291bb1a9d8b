/* hbatch.c - submit a batch script, as sbatch does.
 *
 *   hbatch [OPTIONS] SCRIPT [ARGS...]     hbatch [OPTIONS] --wrap=CMD
 *
 * Options and the script's "#SBATCH" / "#HUB" directives are parsed by
 * jobspec (sched/jobspec.h), the command line winning over directives;
 * this file adds the options of the command itself (--parsable,
 * --test-only, --wait, --strict, --quiet, --json, --help), reads the
 * script (a file, or stdin when none is named), sends one "submit"
 * request and prints sbatch's answer: "Submitted batch job N".
 *
 * --wait then polls op "job" every WAIT_POLL_MS, keeps a one-line status
 * on stderr (rewritten in place on a terminal, a new line per change
 * otherwise) and exits with the job's exit code, as sbatch --wait; for an
 * array, with the highest of its tasks'. Interrupting hbatch --wait
 * leaves the job running.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdutil.h"
#include "jobspec.h"
#include "units.h"

extern char **environ;

/* How often --wait asks: often enough that a short job's end shows at
 * once, 4 small requests a second per waiting hbatch for the controller
 * (it answers "job" from memory). */
#define WAIT_POLL_MS 250

static const char usage_text[] =
    "Usage: hbatch [OPTIONS] SCRIPT [ARGS...]\n"
    "       hbatch [OPTIONS] --wrap=COMMAND\n"
    "Submit a batch script, as sbatch. Options may also be given in the\n"
    "script as '#SBATCH' or '#HUB' lines; the command line wins.\n"
    "\n"
    "Job options (sbatch's):\n"
    "  -J, --job-name=NAME        -p, --partition=NAME\n"
    "  -N, --nodes=MIN[-MAX]      -n, --ntasks=N\n"
    "      --ntasks-per-node=N    -c, --cpus-per-task=N\n"
    "  -G, --gpus=[TYPE:]N        --gpus-per-node=[TYPE:]N, --gres=gpu:...\n"
    "                             (N may be a fraction: --gpus=0.25)\n"
    "      --mem=SIZE             --mem-per-cpu=SIZE\n"
    "  -t, --time=LIMIT           -a, --array=INDEXES[%MAX]\n"
    "  -d, --dependency=LIST      -b, --begin=TIME\n"
    "  -o, --output=PATTERN       -e, --error=PATTERN  -i, --input=PATTERN\n"
    "  -D, --chdir=DIR            --export=ALL|NONE|VARS\n"
    "  -A, --account=NAME         -q, --qos=NAME  -C, --constraint=FEATURE\n"
    "  -H, --hold                 --nice[=N]  --exclusive  --requeue\n"
    "      --signal=[B:]SIG[@SECS] --comment=TEXT  --wrap=COMMAND\n"
    "hubsched options: --hub, --kind=batch|train|infer, --spare-nodes,\n"
    "  --data-hub, --region, --latency-slo (see doc/commands.md).\n"
    "\n"
    "Command options:\n"
    "      --parsable             print the job id only\n"
    "      --test-only            say when and where the job would start;\n"
    "                             submit nothing\n"
    "  -W, --wait                 wait for the job to end; exit with its\n"
    "                             exit code\n"
    "      --strict               refuse sbatch options hubsched ignores\n"
    "  -Q, --quiet                no 'Submitted batch job', no warnings\n"
    "      --json                 the controller's answer as JSON\n"
    "  -h, --help                 this text\n";

enum { C_PARSABLE, C_TEST_ONLY, C_WAIT, C_STRICT, C_QUIET, C_JSON, C_HELP };

static const hub_jobspec_client_opt_t client_opts[] = {
    {"parsable", 0, HUB_JOBSPEC_NO_ARG, C_PARSABLE},
    {"test-only", 0, HUB_JOBSPEC_NO_ARG, C_TEST_ONLY},
    {"wait", 'W', HUB_JOBSPEC_NO_ARG, C_WAIT},
    {"strict", 0, HUB_JOBSPEC_NO_ARG, C_STRICT},
    {"quiet", 'Q', HUB_JOBSPEC_NO_ARG, C_QUIET},
    {"json", 0, HUB_JOBSPEC_NO_ARG, C_JSON},
    {"help", 'h', HUB_JOBSPEC_NO_ARG, C_HELP},
    {"usage", 0, HUB_JOBSPEC_NO_ARG, C_HELP},
};

typedef struct opts {
    bool flags[C_HELP + 1]; /* by client option id */
} opts_t;

static int on_client(void *arg, int id, const char *value, const char *where,
                     hub_error_t *err)
{
    opts_t *o = arg;

    o->flags[id] = true;
    return 0;
}

/* ---- building the spec ------------------------------------------------- */

/* Read all of f, at most HUB_JOBSPEC_SCRIPT_MAX bytes. */
static int read_all(FILE *f, const char *name, char **text, size_t *len,
                    hub_error_t *err)
{
    size_t cap = HUB_JOBSPEC_SCRIPT_MAX + 1;
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;

    if (!buf)
        return hub_errorf(err, ENOMEM, "out of memory");
    if (ferror(f) || n == cap) {
        free(buf);
        return n == cap ? hub_errorf(err, EFBIG,
                                     "batch script %s is larger than %u "
                                     "bytes",
                                     name, HUB_JOBSPEC_SCRIPT_MAX)
                        : hub_errorf(err, EIO, "cannot read %s", name);
    }
    *text = buf;
    *len = n;
    return 0;
}

/* The script from path, or from stdin when path is NULL. */
static int load_script(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                       const char *path, hub_error_t *err)
{
    FILE *f = path ? fopen(path, "r") : stdin;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!f)
        return hub_errorf(err, errno, "unable to open batch script '%s': %s",
                          path, strerror(errno));
    if (!path && isatty(STDIN_FILENO))
        return hub_errorf(err, EINVAL,
                          "no batch script: name one, use "
                          "--wrap, or pipe it on stdin");
    rc = read_all(f, path ? path : "(stdin)", &text, &len, err);
    if (path)
        fclose(f);
    if (rc == 0)
        rc = hub_jobspec_parse_script(spec, ctx, text, len, path ? path : "",
                                      err);
    free(text);
    return rc;
}

/* Under --strict, finish refuses the spec and says why instead. */
static void print_warnings(const opts_t *o, const hub_jobspec_t *spec)
{
    for (uint32_t i = 0; i < spec->nwarnings; i++) {
        if (!o->flags[C_STRICT] && !o->flags[C_QUIET])
            cmd_warn("%s", spec->warnings[i]);
    }
}

/* Messages about the command line drop jobspec's "command line: ". */
static const char *cli_message(const char *text)
{
    static const char prefix[] = "command line: ";

    return strncmp(text, prefix, sizeof(prefix) - 1) == 0
               ? text + sizeof(prefix) - 1
               : text;
}

/* Returns -1 to go on and submit, or the exit code. */
static int build_spec(opts_t *o, hub_jobspec_t *spec, int argc, char **argv)
{
    char cwd[PATH_MAX];
    hub_jobspec_ctx_t ctx = {
        client_opts,  sizeof(client_opts) / sizeof(client_opts[0]),
        on_client,    o,
        environ,      getcwd(cwd, sizeof(cwd)),
        cmd_now_ms(), false};
    hub_error_t err;
    int idx = hub_jobspec_parse_args(spec, &ctx, argc, argv, &err);

    if (idx < 0)
        return cmd_usage_error("%s", cli_message(err.text));
    if (o->flags[C_HELP]) {
        fputs(usage_text, stdout);
        return CMD_EXIT_OK;
    }
    if (!spec->script &&
        load_script(spec, &ctx, idx < argc ? argv[idx] : NULL, &err) < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    ctx.strict = o->flags[C_STRICT];
    print_warnings(o, spec);
    if (hub_jobspec_finish(spec, &ctx, &err) < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    return -1;
}

/* ---- --wait ------------------------------------------------------------ */

typedef struct waiter {
    hub_client_t *client;
    bool tty;        /* stderr is a terminal: one line rewritten */
    char shown[256]; /* the state part of the last line printed */
} waiter_t;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* "RUNNING 1:02 on n[1-2]" / "PENDING (Resources)". */
static void status_line(const cmd_job_t *row, int64_t now_ms, char *state,
                        size_t slen, char *elapsed, size_t elen)
{
    const hub_job_t *j = &row->job;

    if (j->state == HUB_JOB_PENDING)
        snprintf(state, slen, "PENDING (%s)", hub_job_reason_name(j->reason));
    else if (row->nodelist[0])
        snprintf(state, slen, "%s on %s", hub_job_state_name(j->state),
                 row->nodelist);
    else
        snprintf(state, slen, "%s", hub_job_state_name(j->state));
    hub_format_duration(cmd_job_elapsed_s(j, now_ms), elapsed, elen);
}

/* ", step N, MFU x%, restarts k" once the job's hrun has reported
 * (job_progress), else "". */
static void progress_text(const hub_job_t *j, char *buf, size_t len)
{
    buf[0] = '\0';
    if (j->hrun_step > 0 || j->hrun_mfu_ppm)
        snprintf(buf, len, ", step %lld, MFU %.1f%%, restarts %u",
                 (long long)j->hrun_step, j->hrun_mfu_ppm / 1e4,
                 j->hrun_restarts);
}

static void show_status(waiter_t *w, const cmd_job_t *row, int64_t now_ms)
{
    char id[32], state[200], elapsed[32], prog[96];

    cmd_format_jobid(&row->job, id, sizeof(id));
    status_line(row, now_ms, state, sizeof(state), elapsed, sizeof(elapsed));
    progress_text(&row->job, prog, sizeof(prog));
    if (w->tty) {
        fprintf(stderr, "\r%s: job %s: %s, %s elapsed%s\033[K", cmd_prog(), id,
                state, elapsed, prog);
    } else if (strcmp(state, w->shown) != 0) {
        fprintf(stderr, "%s: job %s: %s, %s elapsed%s\n", cmd_prog(), id, state,
                elapsed, prog);
    }
    snprintf(w->shown, sizeof(w->shown), "%s", state);
    fflush(stderr);
}

/* sbatch --wait's exit code for a final job. */
static int job_exit_code(const hub_job_t *j)
{
    if (j->term_signal > 0)
        return 128 + j->term_signal;
    if (j->exit_code != 0)
        return j->exit_code & 0xff ? j->exit_code & 0xff : 1;
    return j->state == HUB_JOB_COMPLETED ? 0 : 1;
}

/* Poll job id until it ends; *code gets its exit code. */
static int wait_job(waiter_t *w, json_int_t id, int *code, hub_error_t *err)
{
    for (;;) {
        json_t *resp = NULL;
        cmd_job_t row;
        bool done;
        int rc = cmd_call_on(w->client, "job", json_pack("{s:I}", "id", id),
                             &resp, err);

        if (rc == 0)
            rc = cmd_job_from_json(json_object_get(resp, "job"), &row, err);
        if (rc < 0) {
            json_decref(resp);
            return rc;
        }
        show_status(w, &row,
                    json_integer_value(json_object_get(resp, "now_ms")));
        done = hub_job_state_is_final(row.job.state);
        *code = job_exit_code(&row.job);
        cmd_job_fini(&row);
        json_decref(resp);
        if (done)
            return 0;
        sleep_ms(WAIT_POLL_MS);
    }
}

/* Wait for the count jobs from first; the highest exit code. */
static int wait_all(hub_client_t *c, json_int_t first, json_int_t count)
{
    waiter_t w = {.client = c, .tty = isatty(STDERR_FILENO)};
    hub_error_t err;
    int worst = 0;

    for (json_int_t i = 0; i < count; i++) {
        int code = 0;
        if (wait_job(&w, first + i, &code, &err) < 0) {
            if (w.tty)
                fputc('\n', stderr);
            cmd_error("--wait: %s", err.text);
            return CMD_EXIT_FAIL;
        }
        worst = code > worst ? code : worst;
    }
    if (w.tty)
        fputc('\n', stderr);
    return worst;
}

/* ---- submitting -------------------------------------------------------- */

static void print_test_only(const json_t *resp)
{
    const json_t *id = json_object_get(resp, "job_id");
    const char *nodes = json_string_value(json_object_get(resp, "nodelist"));
    const char *part = json_string_value(json_object_get(resp, "partition"));
    char start[32], idtext[32] = "";

    cmd_format_time(json_integer_value(json_object_get(resp, "start_ms")),
                    "Unknown", start, sizeof(start));
    if (json_is_integer(id))
        snprintf(idtext, sizeof(idtext), " %lld",
                 (long long)json_integer_value(id));
    fprintf(stderr,
            "%s: Job%s to start at %s using %lld processors on nodes %s "
            "in partition %s\n",
            cmd_prog(), idtext, start,
            (long long)json_integer_value(json_object_get(resp, "cpus")),
            nodes && nodes[0] ? nodes : "(null)", part ? part : "(null)");
}

static void print_answer_warnings(const opts_t *o, const json_t *resp)
{
    const json_t *v;
    size_t i;

    json_array_foreach(json_object_get(resp, "warnings"), i, v)
    {
        if (json_is_string(v) && !o->flags[C_QUIET])
            cmd_warn("%s", json_string_value(v));
    }
}

/* Print the answer of a stored submission; returns the exit code. */
static int report(const opts_t *o, hub_client_t *c, const json_t *resp)
{
    json_int_t id = json_integer_value(json_object_get(resp, "job_id"));
    json_int_t count = json_integer_value(json_object_get(resp, "count"));
    int rc = CMD_EXIT_OK;

    print_answer_warnings(o, resp);
    if (o->flags[C_JSON])
        rc = cmd_print_json(resp);
    else if (o->flags[C_PARSABLE])
        printf("%lld\n", (long long)id);
    else if (!o->flags[C_QUIET])
        printf("Submitted batch job %lld\n", (long long)id);
    fflush(stdout);
    if (rc == CMD_EXIT_OK && o->flags[C_WAIT])
        rc = wait_all(c, id, count > 0 ? count : 1);
    return rc;
}

static int submit(const opts_t *o, const hub_jobspec_t *spec)
{
    json_t *resp = NULL, *args;
    hub_error_t err;
    hub_client_t *c = hub_client_connect(NULL, &err);
    int rc;

    if (!c) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    args = json_pack("{s:o, s:b}", "spec", hub_jobspec_to_json(spec),
                     "test_only", o->flags[C_TEST_ONLY]);
    rc = args ? cmd_call_on(c, "submit", args, &resp, &err)
              : hub_errorf(&err, ENOMEM, "out of memory");
    if (rc < 0) {
        cmd_error("%s", err.text);
        rc = CMD_EXIT_FAIL;
    } else if (o->flags[C_TEST_ONLY]) {
        rc = o->flags[C_JSON] ? cmd_print_json(resp) : CMD_EXIT_OK;
        if (!o->flags[C_JSON])
            print_test_only(resp);
    } else {
        rc = report(o, c, resp);
    }
    json_decref(resp);
    hub_client_close(c);
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o = {{false}};
    hub_jobspec_t spec;
    int rc;

    cmd_init("hbatch");
    hub_jobspec_init(&spec);
    rc = build_spec(&o, &spec, argc, argv);
    if (rc < 0)
        rc = submit(&o, &spec);
    hub_jobspec_fini(&spec);
    return rc;
}

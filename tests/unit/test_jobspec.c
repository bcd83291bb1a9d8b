/* test_jobspec.c - the submission spec: real-world sbatch scripts from
 * tests/unit/scripts/, command-line rules, every class of bad input,
 * output patterns and the spec's JSON form. Fixtures are found under
 * $HUB_SRCDIR (default "."). */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobspec.h"

#define NOW_MS 1700000000000LL /* 2023-11-14T22:13:20Z */

static char *test_env[] = {
    "HOME=/home/alice",
    "PATH=/usr/bin:/bin",
    "SLURM_CONF=/etc/slurm.conf",
    "HUB_DEBUG=sched",
    "OMP_NUM_THREADS=4",
    "WANDB_API_KEY=secret",
    NULL,
};

enum { CLIENT_PARSABLE = 1, CLIENT_WAIT, CLIENT_TEST_ONLY };

static const hub_jobspec_client_opt_t client_opts[] = {
    {"parsable", 0, HUB_JOBSPEC_NO_ARG, CLIENT_PARSABLE},
    {"wait", 'W', HUB_JOBSPEC_NO_ARG, CLIENT_WAIT},
    {"test-only", 0, HUB_JOBSPEC_NO_ARG, CLIENT_TEST_ONLY},
};

/* What the client callback saw. */
static struct {
    int ids[8];
    char where[8][64];
    int n;
} seen;

static int on_client(void *arg, int id, const char *value, const char *where,
                     hub_error_t *err)
{
    if (seen.n < 8) {
        seen.ids[seen.n] = id;
        snprintf(seen.where[seen.n], sizeof(seen.where[0]), "%s", where);
    }
    seen.n++;
    return 0;
}

static hub_jobspec_ctx_t test_ctx(void)
{
    hub_jobspec_ctx_t ctx = {
        .client_opts = client_opts,
        .nclient = 3,
        .on_client = on_client,
        .environ = test_env,
        .cwd = "/home/alice/proj",
        .now_ms = NOW_MS,
    };
    memset(&seen, 0, sizeof(seen));
    return ctx;
}

static char *fixture_path(const char *name)
{
    const char *dir = getenv("HUB_SRCDIR");
    static char path[1024];

    snprintf(path, sizeof(path), "%s/tests/unit/scripts/%s", dir ? dir : ".",
             name);
    return path;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);

    if (!f)
        fail_msg("cannot open %s (set HUB_SRCDIR)", path);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* hbatch's order: options, then the script named by argv, then finish.
 * argv is NULL-terminated and starts after "hbatch". */
static int submit_ctx(hub_jobspec_t *spec, hub_jobspec_ctx_t *ctx,
                      const char **args, hub_error_t *err)
{
    char *argv[32] = {"hbatch"};
    int argc = 1, idx, rc;
    size_t len;
    char *text;

    for (; args && args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    hub_jobspec_init(spec);
    idx = hub_jobspec_parse_args(spec, ctx, argc, argv, err);
    if (idx < 0)
        return idx;
    if (!spec->script && idx < argc) {
        text = read_file(argv[idx], &len);
        rc = hub_jobspec_parse_script(spec, ctx, text, len, argv[idx], err);
        free(text);
        if (rc < 0)
            return rc;
    }
    return hub_jobspec_finish(spec, ctx, err);
}

static int submit(hub_jobspec_t *spec, const char **args, hub_error_t *err)
{
    hub_jobspec_ctx_t ctx = test_ctx();

    return submit_ctx(spec, &ctx, args, err);
}

/* Parse a fixture with extra command-line options before it. */
static int submit_fixture(hub_jobspec_t *spec, const char *name,
                          const char **opts, hub_error_t *err)
{
    const char *args[24];
    int n = 0;

    for (; opts && opts[n]; n++)
        args[n] = opts[n];
    args[n++] = fixture_path(name);
    args[n] = NULL;
    return submit(spec, args, err);
}

/* Parse a script given as text, with command-line options. */
static int submit_text(hub_jobspec_t *spec, const char *text, const char **opts,
                       hub_error_t *err)
{
    hub_jobspec_ctx_t ctx = test_ctx();
    char *argv[24] = {"hbatch"};
    int argc = 1, rc;

    for (; opts && opts[argc - 1]; argc++)
        argv[argc] = (char *)opts[argc - 1];
    argv[argc++] = "job.sh";
    hub_jobspec_init(spec);
    rc = hub_jobspec_parse_args(spec, &ctx, argc, argv, err);
    if (rc >= 0)
        rc = hub_jobspec_parse_script(spec, &ctx, text, strlen(text), "job.sh",
                                      err);
    return rc < 0 ? rc : hub_jobspec_finish(spec, &ctx, err);
}

/* Expect failure with every given fragment in the message. */
static void expect_error(int rc, const hub_error_t *err, const char *a,
                         const char *b)
{
    if (rc >= 0)
        fail_msg("expected an error containing '%s'", a);
    if (!strstr(err->text, a) || (b && !strstr(err->text, b)))
        fail_msg("error '%s' lacks '%s' / '%s'", err->text, a, b ? b : "");
}

static const char *find_env(const hub_jobspec_t *spec, const char *name)
{
    size_t n = strlen(name);

    for (uint32_t i = 0; i < spec->nenv; i++)
        if (strncmp(spec->env[i], name, n) == 0 && spec->env[i][n] == '=')
            return spec->env[i] + n + 1;
    return NULL;
}

static bool has_warning(const hub_jobspec_t *spec, const char *a, const char *b)
{
    for (uint32_t i = 0; i < spec->nwarnings; i++)
        if (strstr(spec->warnings[i], a) &&
            (!b || strstr(spec->warnings[i], b)))
            return true;
    return false;
}

/* ---- real-world scripts ---------------------------------------------------
 */

static void test_ddp_script_asks_for_four_nodes_of_eight_h100(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const hub_job_req_t *r = &s.req;

    assert_int_equal(submit_fixture(&s, "ddp_multinode.sh", NULL, &err), 0);
    assert_string_equal(r->name, "gpt-ddp");
    assert_int_equal(r->nodes_min, 4);
    assert_int_equal(r->nodes_max, 0);
    assert_int_equal(r->ntasks_per_node, 8);
    assert_int_equal(r->cpus_per_task, 12);
    assert_int_equal(r->gpus_per_node_milli, 8000);
    assert_string_equal(r->gpu_type, "h100");
    assert_int_equal(r->mem_per_node_mb, 480 * 1024);
    assert_int_equal(r->time_limit_s, 2 * 86400);
    assert_string_equal(r->partition, "gpu");
    assert_string_equal(r->account, "llm-pretrain");
    assert_string_equal(s.output, "logs/%x-%j.out");
    assert_string_equal(s.error, "logs/%x-%j.err");
    assert_true(r->requeue);
    assert_int_equal(r->kind, HUB_KIND_TRAIN);
    assert_int_equal(r->spare_nodes, 1);
    assert_null(s.input);
    assert_int_equal(s.narray, 0);
    /* the "#SBATCH --time=5" after the first command is not applied */
    assert_int_equal(s.nwarnings, 1);
    assert_true(has_warning(&s, "ddp_multinode.sh:21:", "ignored"));
    assert_string_equal(s.workdir, "/home/alice/proj");
    assert_string_equal(find_env(&s, "WANDB_API_KEY"), "secret");
    assert_int_equal(s.nenv, 6);
    assert_non_null(strstr(s.script, "torchrun"));
    hub_jobspec_fini(&s);
}

static void test_mpi_script_keeps_mem_per_cpu_for_a_node_range(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const hub_job_req_t *r = &s.req;

    assert_int_equal(submit_fixture(&s, "mpi_cpu.sh", NULL, &err), 0);
    assert_string_equal(r->name, "lammps");
    assert_int_equal(r->nodes_min, 2);
    assert_int_equal(r->nodes_max, 4);
    assert_int_equal(r->ntasks, 128);
    assert_int_equal(r->cpus_per_task, 1);
    assert_int_equal(r->mem_per_cpu_mb, 2048);
    assert_int_equal(r->mem_per_node_mb, 0);
    assert_int_equal(r->time_limit_s, 12 * 3600);
    assert_string_equal(r->partition, "cpu");
    assert_string_equal(r->qos, "normal");
    assert_true(r->exclusive);
    assert_string_equal(s.workdir, "/scratch/alice/lj");
    /* --export=NONE keeps only SLURM_* and HUB_* */
    assert_int_equal(s.nenv, 2);
    assert_non_null(find_env(&s, "SLURM_CONF"));
    assert_non_null(find_env(&s, "HUB_DEBUG"));
    assert_null(find_env(&s, "HOME"));
    assert_int_equal(s.nwarnings, 0);
    hub_jobspec_fini(&s);
}

static void test_array_script_parses_throttled_range(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit_fixture(&s, "array_sweep.sh", NULL, &err), 0);
    assert_string_equal(s.array, "0-99%10");
    assert_int_equal(s.narray, 100);
    assert_int_equal(s.array_ids[0], 0);
    assert_int_equal(s.array_ids[99], 99);
    assert_int_equal(s.array_max_running, 10);
    assert_string_equal(s.output, "sweep/%A_%a.out");
    assert_int_equal(s.req.gpus_per_node_milli, 1000);
    assert_string_equal(s.req.gpu_type, "");
    assert_int_equal(s.req.time_limit_s, 1800);
    assert_int_equal(s.req.mem_per_node_mb, 16000);
    hub_jobspec_fini(&s);
}

static void test_pipeline_script_sets_deps_signal_and_begin(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const hub_job_req_t *r = &s.req;

    assert_int_equal(submit_fixture(&s, "pipeline_deps.sh", NULL, &err), 0);
    assert_int_equal(r->ndeps, 3);
    assert_int_equal(r->deps[0].type, HUB_DEP_AFTEROK);
    assert_int_equal(r->deps[0].job_id, 1001);
    assert_int_equal(r->deps[1].type, HUB_DEP_AFTEROK);
    assert_int_equal(r->deps[1].job_id, 1002);
    assert_int_equal(r->deps[2].type, HUB_DEP_AFTERANY);
    assert_int_equal(r->deps[2].job_id, 1003);
    assert_false(r->deps_any);
    assert_int_equal(r->signal_num, 10); /* SIGUSR1 on Linux */
    assert_int_equal(r->signal_secs, 120);
    assert_true(r->signal_batch_only);
    assert_int_equal(r->time_limit_s, 4 * 3600);
    assert_int_equal(r->nice, 50);
    assert_string_equal(s.comment, "nightly eval run");
    assert_int_equal(r->begin_ms, NOW_MS + 3600 * 1000);
    assert_false(r->requeue);
    assert_true(r->hold);
    assert_string_equal(r->name, "eval");
    hub_jobspec_fini(&s);
}

static void test_a100_script_sets_type_feature_and_folds_memory(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const hub_job_req_t *r = &s.req;

    assert_int_equal(submit_fixture(&s, "a100_exclusive.sh", NULL, &err), 0);
    assert_int_equal(r->nodes_min, 2);
    assert_int_equal(r->gpus_per_node_milli, 4000);
    assert_string_equal(r->gpu_type, "a100");
    assert_string_equal(r->constraint, "nvlink");
    assert_true(r->exclusive);
    /* 8G per CPU x 8 CPUs per task x 4 tasks per node */
    assert_int_equal(r->mem_per_node_mb, 8192 * 8 * 4);
    assert_int_equal(r->mem_per_cpu_mb, 0);
    assert_string_equal(r->hub, "gansu");
    assert_string_equal(r->data_hub, "shanghai");
    assert_string_equal(r->region, "east");
    assert_string_equal(r->name, "a100_exclusive.sh");
    hub_jobspec_fini(&s);
}

static void test_unsupported_options_warn_with_file_and_line(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit_fixture(&s, "unsupported.sh", NULL, &err), 0);
    assert_int_equal(s.nwarnings, 3);
    assert_true(
        has_warning(&s, "unsupported.sh:2: --mail-type:", "not supported"));
    assert_true(has_warning(&s, "unsupported.sh:3: --mail-user:", NULL));
    assert_true(has_warning(&s, "unsupported.sh:4: --gres:", "'nvme:1'"));
    assert_int_equal(s.req.gpus_per_node_milli, 2000);
    assert_int_equal(s.req.time_limit_s, 600);
    hub_jobspec_fini(&s);
}

static void test_strict_mode_turns_warnings_into_errors(void **state)
{
    hub_jobspec_ctx_t ctx = test_ctx();
    const char *args[] = {fixture_path("unsupported.sh"), NULL};
    hub_jobspec_t s;
    hub_error_t err;

    ctx.strict = true;
    expect_error(submit_ctx(&s, &ctx, args, &err), &err, "strict",
                 "--mail-type");
    hub_jobspec_fini(&s);
}

static void test_unsupported_option_on_command_line_says_so(void **state)
{
    const char *args[] = {"--mail-user", "bob@example.org", "-x",
                          "n1",          "--wrap=true",     NULL};
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit(&s, args, &err), 0);
    assert_true(has_warning(&s, "command line: --mail-user:", NULL));
    assert_true(has_warning(&s, "command line: --exclude:", NULL));
    hub_jobspec_fini(&s);
}

static void test_malformed_directive_names_file_line_and_option(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    expect_error(submit_fixture(&s, "malformed.sh", NULL, &err), &err,
                 "malformed.sh:3: --time:", "'forever'");
    hub_jobspec_fini(&s);
}

static void test_infer_script_takes_a_quarter_gpu_and_slo(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit_fixture(&s, "infer_fraction.sh", NULL, &err), 0);
    assert_int_equal(s.req.kind, HUB_KIND_INFER);
    assert_int_equal(s.req.gpus_milli, 250);
    assert_int_equal(s.req.latency_slo_ms, 200);
    assert_string_equal(s.req.region, "west");
    assert_int_equal(s.req.time_limit_s, INT64_MAX);
    hub_jobspec_fini(&s);
}

/* ---- command line over directives ---------------------------------------- */

static void test_command_line_overrides_directives(void **state)
{
    const char *opts[] = {"-N",
                          "2",
                          "-t",
                          "1:00:00",
                          "--mem-per-cpu=4G",
                          "--gpus-per-node=a100:4",
                          "-J",
                          "short run",
                          "--no-requeue",
                          NULL};
    hub_jobspec_t s;
    hub_error_t err;
    const hub_job_req_t *r = &s.req;

    assert_int_equal(submit_fixture(&s, "ddp_multinode.sh", opts, &err), 0);
    assert_int_equal(r->nodes_min, 2);
    assert_int_equal(r->time_limit_s, 3600);
    assert_string_equal(r->name, "short run");
    /* --mem from the script is masked by --mem-per-cpu, and the folded
     * value uses the script's 8 tasks x 12 CPUs per node */
    assert_int_equal(r->mem_per_node_mb, 4096 * 12 * 8);
    /* --gres from the script is masked by --gpus-per-node */
    assert_int_equal(r->gpus_per_node_milli, 4000);
    assert_string_equal(r->gpu_type, "a100");
    assert_false(r->requeue);
    /* what the command line did not give still comes from the script */
    assert_int_equal(r->ntasks_per_node, 8);
    assert_string_equal(r->account, "llm-pretrain");
    hub_jobspec_fini(&s);
}

static void test_overridden_directive_is_still_checked(void **state)
{
    const char *opts[] = {"-t", "10", NULL};
    hub_jobspec_t s;
    hub_error_t err;

    expect_error(submit_fixture(&s, "malformed.sh", opts, &err), &err,
                 "malformed.sh:3: --time:", NULL);
    hub_jobspec_fini(&s);
}

static void test_directives_stop_at_first_command(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const char *text = "#!/bin/bash\n"
                       "\n"
                       "# a comment\n"
                       "   # indented comment\n"
                       "#SBATCH -N 3\n"
                       "echo start\n"
                       "#SBATCH -N 5\n"
                       "#HUB --kind=train\n";

    assert_int_equal(submit_text(&s, text, NULL, &err), 0);
    assert_int_equal(s.req.nodes_min, 3);
    assert_int_equal(s.req.kind, HUB_KIND_BATCH);
    assert_int_equal(s.nwarnings, 2);
    assert_true(has_warning(&s, "job.sh:7: #SBATCH", "ignored"));
    assert_true(has_warning(&s, "job.sh:8: #HUB", "ignored"));
    hub_jobspec_fini(&s);
}

static void test_only_exact_directive_prefixes_count(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const char *text = "#!/bin/sh\n"
                       "# SBATCH -N 7\n"
                       "#SBATCHX -N 7\n"
                       "##SBATCH -N 7\n"
                       "#sbatch -N 7\n"
                       "#HUBS -N 7\n"
                       "#SBATCH\n"
                       "#SBATCH\t-n 6\n"
                       "true\n";

    assert_int_equal(submit_text(&s, text, NULL, &err), 0);
    assert_int_equal(s.req.nodes_min, 0);
    assert_int_equal(s.req.ntasks, 6);
    hub_jobspec_fini(&s);
}

static void test_directive_quotes_escapes_and_comments(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const char *text = "#!/bin/sh\n"
                       "#SBATCH --job-name=\"my job\" # trailing comment\n"
                       "#SBATCH --comment='it''s \"fine\"' -n 2#4\n"
                       "#SBATCH --output=out\\ file.log\n"
                       "true\n";

    assert_int_equal(submit_text(&s, text, NULL, &err), 0);
    assert_string_equal(s.req.name, "my job");
    assert_string_equal(s.comment, "its \"fine\"");
    assert_int_equal(s.req.ntasks, 2);
    assert_string_equal(s.output, "out file.log");
    hub_jobspec_fini(&s);
}

static void test_directive_refuses_arguments_quotes_and_wrap(void **state)
{
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"#!/bin/sh\n#SBATCH --job-name=my job\n", "job.sh:2: unexpected "
                                                   "argument 'job'"},
        {"#!/bin/sh\n#SBATCH -J 'open\n", "job.sh:2: unterminated quote"},
        {"#!/bin/sh\n\n#SBATCH --wrap=ls\n", "job.sh:3: --wrap is only"},
        {"#!/bin/sh\n#SBATCH --frobnicate\n", "job.sh:2: unrecognized "
                                              "option '--frobnicate'"},
        {"#!/bin/sh\n#SBATCH -t\n", "job.sh:2: option requires an argument"},
        {"#!/bin/sh\n#HUB --kind=quantum\n", "job.sh:2: --kind: 'quantum'"},
        {"#!/bin/sh\n#SBATCH --mem=4G --mem-per-cpu=1G\n",
         "job.sh:2: --mem and --mem-per-cpu are mutually exclusive"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hub_jobspec_t s;
        hub_error_t err;
        expect_error(submit_text(&s, cases[i].text, NULL, &err), &err,
                     cases[i].want, NULL);
        hub_jobspec_fini(&s);
    }
}

/* ---- getopt rules ------------------------------------------------------- */

static void expect_time(const char **args, int64_t secs)
{
    hub_jobspec_t s;
    hub_error_t err;

    if (submit(&s, args, &err) != 0)
        fail_msg("%s: %s", args[0], err.text);
    assert_int_equal(s.req.time_limit_s, secs);
    hub_jobspec_fini(&s);
}

static void test_getopt_forms_of_values_all_work(void **state)
{
    const char *a1[] = {"-t5", "--wrap=true", NULL};
    const char *a2[] = {"-t", "5", "--wrap=true", NULL};
    const char *a3[] = {"--time=5", "--wrap=true", NULL};
    const char *a4[] = {"--time", "5", "--wrap", "true", NULL};
    const char *a5[] = {"-t", "00:05:00", "--wrap=true", NULL};

    expect_time(a1, 300);
    expect_time(a2, 300);
    expect_time(a3, 300);
    expect_time(a4, 300);
    expect_time(a5, 300);
}

static void test_bundled_short_flags_and_prefixes(void **state)
{
    const char *args[] = {"-HN2",   "--part=gpu", "--exclusive", "-Wn4",
                          "--wrap", "true",       NULL};
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit(&s, args, &err), 0);
    assert_true(s.req.hold);
    assert_int_equal(s.req.nodes_min, 2);
    assert_string_equal(s.req.partition, "gpu");
    assert_true(s.req.exclusive);
    assert_int_equal(s.req.ntasks, 4);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.ids[0], CLIENT_WAIT);
    hub_jobspec_fini(&s);
}

static void test_bad_command_lines_name_the_problem(void **state)
{
    static const struct {
        const char *args[4];
        const char *want;
    } cases[] = {
        {{"--cpus=2", "--wrap=true"}, "'--cpus' is ambiguous"},
        {{"--ti=5", "--wrap=true"}, "could be --time --time-min"},
        {{"--frobnicate", "--wrap=true"},
         "unrecognized option "
         "'--frobnicate'"},
        {{"-Z", "--wrap=true"}, "invalid option -- 'Z'"},
        {{"--wrap=true", "--time"}, "option '--time' requires an argument"},
        {{"--hold=yes", "--wrap=true"},
         "'--hold' doesn't allow an "
         "argument"},
        {{"--wrap=true", "-t"}, "requires an argument -- 't'"},
        {{"--nodes=0", "--wrap=true"}, "command line: --nodes: '0'"},
        {{"--wrap=true", "extra"}, "--wrap: no script"},
        {{"--ntasks=-3", "--wrap=true"}, "--ntasks: '-3'"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hub_jobspec_t s;
        hub_error_t err;
        expect_error(submit(&s, (const char **)cases[i].args, &err), &err,
                     cases[i].want, NULL);
        hub_jobspec_fini(&s);
    }
}

static void test_script_arguments_follow_the_script(void **state)
{
    hub_jobspec_ctx_t ctx = test_ctx();
    char *argv[] = {"hbatch", "-N1", "job.sh", "--lr", "3e-4", "-N", "8"};
    hub_jobspec_t s;
    hub_error_t err;

    hub_jobspec_init(&s);
    assert_int_equal(hub_jobspec_parse_args(&s, &ctx, 7, argv, &err), 2);
    assert_string_equal(s.script_name, "job.sh");
    assert_int_equal(s.argc, 4);
    assert_string_equal(s.argv[0], "--lr");
    assert_string_equal(s.argv[3], "8");
    assert_int_equal(s.req.nodes_min, 1);
    hub_jobspec_fini(&s);
}

static void test_double_dash_ends_options(void **state)
{
    hub_jobspec_ctx_t ctx = test_ctx();
    char *argv[] = {"hbatch", "-n", "2", "--", "-weird.sh", "a"};
    hub_jobspec_t s;
    hub_error_t err;

    hub_jobspec_init(&s);
    assert_int_equal(hub_jobspec_parse_args(&s, &ctx, 6, argv, &err), 4);
    assert_string_equal(s.script_name, "-weird.sh");
    assert_int_equal(s.argc, 1);
    hub_jobspec_fini(&s);
}

static void test_client_options_reach_the_callback(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const char *opts[] = {"--parsable", "--test-only", NULL};
    const char *text = "#!/bin/sh\n#SBATCH --wait\ntrue\n";
    hub_jobspec_ctx_t ctx = test_ctx();
    char *argv[] = {"hbatch", "--parsable", "--wrap=true"};

    assert_int_equal(submit_text(&s, text, opts, &err), 0);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.ids[0], CLIENT_PARSABLE);
    assert_int_equal(seen.ids[1], CLIENT_TEST_ONLY);
    assert_int_equal(seen.ids[2], CLIENT_WAIT);
    assert_string_equal(seen.where[2], "job.sh:2");
    assert_string_equal(seen.where[0], "command line");
    hub_jobspec_fini(&s);
    /* without the client's list, --parsable is an sbatch option we warn
     * about; with the list but no callback it is an error */
    ctx.client_opts = NULL;
    hub_jobspec_init(&s);
    assert_int_equal(hub_jobspec_parse_args(&s, &ctx, 3, argv, &err), 3);
    assert_true(has_warning(&s, "--parsable", "not supported"));
    hub_jobspec_fini(&s);
    ctx = test_ctx();
    ctx.on_client = NULL;
    hub_jobspec_init(&s);
    expect_error(hub_jobspec_parse_args(&s, &ctx, 3, argv, &err), &err,
                 "--parsable is not accepted here", NULL);
    hub_jobspec_fini(&s);
}

static void test_wrap_builds_a_sh_script_named_wrap(void **state)
{
    const char *args[] = {"--wrap", "python train.py --epochs 3", NULL};
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit(&s, args, &err), 0);
    assert_string_equal(s.script, "#!/bin/sh\npython train.py --epochs 3\n");
    assert_null(s.script_name);
    assert_string_equal(s.req.name, "wrap");
    assert_string_equal(s.output, "slurm-%j.out");
    expect_error(
        hub_jobspec_parse_script(&s, NULL, "#!/bin/sh\n", 10, "x.sh", &err),
        &err, "--wrap was given", NULL);
    hub_jobspec_fini(&s);
}

/* ---- values -----------------------------------------------------------------
 */

/* Run one option (with --wrap) and return the spec for inspection. */
static int one_opt(hub_jobspec_t *s, const char *opt, hub_error_t *err)
{
    const char *args[] = {opt, "--wrap=true", NULL};

    return submit(s, args, err);
}

static void test_export_modes(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(one_opt(&s, "--export=ALL,OMP_NUM_THREADS=8", &err), 0);
    assert_int_equal(s.nenv, 6);
    assert_string_equal(find_env(&s, "OMP_NUM_THREADS"), "8");
    hub_jobspec_fini(&s);
    assert_int_equal(one_opt(&s, "--export=HOME,MODE=fast,NOPE", &err), 0);
    assert_int_equal(s.nenv, 4);
    assert_string_equal(find_env(&s, "HOME"), "/home/alice");
    assert_string_equal(find_env(&s, "MODE"), "fast");
    assert_null(find_env(&s, "PATH"));
    assert_true(has_warning(&s, "NOPE is not set", NULL));
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "--export=NONE,HOME", &err), &err,
                 "--export:", "NONE stands alone");
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "--export=1BAD", &err), &err, "--export:", NULL);
    hub_jobspec_fini(&s);
}

static void test_gpu_forms_and_limits(void **state)
{
    static const struct {
        const char *opt;
        uint32_t gpn, total;
        const char *type;
    } good[] = {
        {"--gres=gpu", 1000, 0, ""},
        {"--gres=gpu:2", 2000, 0, ""},
        {"--gres=gpu:a100:2", 2000, 0, "a100"},
        {"--gres=gpu:a100", 1000, 0, "a100"},
        {"--gres=gres/gpu:3", 3000, 0, ""},
        {"--gpus=h100:16", 0, 16000, "h100"},
        {"-G4", 0, 4000, ""},
        {"--gpus-per-node=0.5", 500, 0, ""},
        {"--gpus=0.125", 0, 125, ""},
    };
    static const char *const bad[] = {
        "--gpus=1.5",  "--gpus=0.3333",      "--gpus-per-node=17",
        "--gpus=a100", "--gres=gpu:x:y:2",   "--gpus=a b:1",
        "--gpus=:2",   "--gres=gpu:1,gpu:2", "--gpus=2.",
    };
    hub_jobspec_t s;
    hub_error_t err;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (one_opt(&s, good[i].opt, &err) != 0)
            fail_msg("%s: %s", good[i].opt, err.text);
        assert_int_equal(s.req.gpus_per_node_milli, good[i].gpn);
        assert_int_equal(s.req.gpus_milli, good[i].total);
        assert_string_equal(s.req.gpu_type, good[i].type);
        hub_jobspec_fini(&s);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (one_opt(&s, bad[i], &err) == 0)
            fail_msg("%s accepted", bad[i]);
        hub_jobspec_fini(&s);
    }
}

static void test_gres_and_gpus_per_node_conflict_in_one_source(void **state)
{
    const char *args[] = {"--gres=gpu:2", "--gpus-per-node=2", "--wrap=x",
                          NULL};
    hub_jobspec_t s;
    hub_error_t err;

    expect_error(submit(&s, args, &err), &err, "mutually exclusive", NULL);
    hub_jobspec_fini(&s);
}

static void test_memory_units(void **state)
{
    static const struct {
        const char *opt;
        uint64_t node_mb, cpu_mb;
        bool all;
    } good[] = {
        {"--mem=512", 512, 0, false},    {"--mem=4G", 4096, 0, false},
        {"--mem=1T", 1048576, 0, false}, {"--mem=1536K", 2, 0, false},
        {"--mem=0", 0, 0, true},         {"--mem-per-cpu=3G", 3072, 0, false},
    };
    hub_jobspec_t s;
    hub_error_t err;

    /* --mem-per-cpu alone: one task on one node, folded */
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(one_opt(&s, good[i].opt, &err), 0);
        assert_int_equal(s.req.mem_per_node_mb, good[i].node_mb);
        assert_int_equal(s.req.mem_per_cpu_mb, good[i].cpu_mb);
        assert_int_equal(s.req.mem_all, good[i].all);
        hub_jobspec_fini(&s);
    }
    expect_error(one_opt(&s, "--mem=4X", &err), &err, "--mem:", "'4X'");
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "--mem-per-cpu=0", &err), &err,
                 "--mem-per-cpu:", NULL);
    hub_jobspec_fini(&s);
}

static void test_node_counts(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(one_opt(&s, "-N2-4", &err), 0);
    assert_int_equal(s.req.nodes_min, 2);
    assert_int_equal(s.req.nodes_max, 4);
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "-N4-2", &err), &err, "--nodes:", "below");
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "-Nx", &err), &err, "--nodes: 'x'", NULL);
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "--ntasks-per-node=0", &err), &err,
                 "--ntasks-per-node:", NULL);
    hub_jobspec_fini(&s);
}

static void test_dependency_forms(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    static const char *const bad[] = {
        "-dafterok:1,afterany:2?after:3",
        "-daftercorr:5",
        "-dafterok:12_3",
        "-dafterok:",
        "-dbefore:4",
        "-d",
        "-dafterok:1,,afterok:2",
        "-dafterok:0",
        "-dafterok:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17",
    };

    assert_int_equal(one_opt(&s, "-dafterok:5?afternotok:6", &err), 0);
    assert_true(s.req.deps_any);
    assert_int_equal(s.req.ndeps, 2);
    assert_int_equal(s.req.deps[1].type, HUB_DEP_AFTERNOTOK);
    hub_jobspec_fini(&s);
    assert_int_equal(one_opt(&s, "--dependency=singleton,after:7+30", &err), 0);
    assert_true(s.req.singleton);
    assert_int_equal(s.req.deps[0].type, HUB_DEP_AFTER);
    assert_int_equal(s.req.deps[0].job_id, 7);
    assert_true(has_warning(&s, "--dependency:", "+time"));
    hub_jobspec_fini(&s);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (one_opt(&s, bad[i], &err) == 0)
            fail_msg("%s accepted", bad[i]);
        hub_jobspec_fini(&s);
    }
}

static void test_signal_forms(void **state)
{
    static const struct {
        const char *opt;
        int num;
        uint32_t secs;
        bool batch;
    } good[] = {
        {"--signal=USR1", 10, 60, false},
        {"--signal=SIGUSR2@30", 12, 30, false},
        {"--signal=10@5", 10, 5, false},
        {"--signal=B:term", 15, 60, true},
        {"--signal=RB:INT@9", 2, 9, true},
    };
    static const char *const bad[] = {"--signal=USR3",       "--signal=65",
                                      "--signal=USR1@70000", "--signal=X:USR1",
                                      "--signal=USR1@",      "--signal=B:"};
    hub_jobspec_t s;
    hub_error_t err;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (one_opt(&s, good[i].opt, &err) != 0)
            fail_msg("%s: %s", good[i].opt, err.text);
        assert_int_equal(s.req.signal_num, good[i].num);
        assert_int_equal(s.req.signal_secs, good[i].secs);
        assert_int_equal(s.req.signal_batch_only, good[i].batch);
        hub_jobspec_fini(&s);
    }
    assert_int_equal(one_opt(&s, "--signal=R:USR1", &err), 0);
    assert_true(has_warning(&s, "--signal:", "'R:'"));
    hub_jobspec_fini(&s);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (one_opt(&s, bad[i], &err) == 0)
            fail_msg("%s accepted", bad[i]);
        hub_jobspec_fini(&s);
    }
}

static void test_begin_forms(void **state)
{
    static const struct {
        const char *opt;
        int64_t ms;
    } good[] = {
        {"--begin=now", NOW_MS},
        {"--begin=now+60", NOW_MS + 60000},
        {"--begin=now+2hours", NOW_MS + 7200000},
        {"--begin=now+1day", NOW_MS + 86400000},
        {"--begin=now+5min", NOW_MS + 300000},
        /* NOW is 22:13:20 UTC: 23:00 is today, 08:30 tomorrow */
        {"--begin=23:00", 1700002800000LL},
        {"--begin=08:30:15", 1700037015000LL},
        {"--begin=2024-01-02", 1704153600000LL},
        {"--begin=2024-01-02T03:04:05", 1704164645000LL},
        {"--begin=midnight", 1700006400000LL},
    };
    static const char *const bad[] = {"--begin=later", "--begin=25:00",
                                      "--begin=now+3fortnights",
                                      "--begin=2024-13-01", "--begin=now+"};
    hub_jobspec_t s;
    hub_error_t err;

    setenv("TZ", "UTC", 1);
    tzset();
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (one_opt(&s, good[i].opt, &err) != 0)
            fail_msg("%s: %s", good[i].opt, err.text);
        if (s.req.begin_ms != good[i].ms)
            fail_msg("%s: got %lld", good[i].opt, (long long)s.req.begin_ms);
        hub_jobspec_fini(&s);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (one_opt(&s, bad[i], &err) == 0)
            fail_msg("%s accepted", bad[i]);
        hub_jobspec_fini(&s);
    }
}

static void test_array_forms_and_max_array_size(void **state)
{
    uint32_t *ids, n, max;
    hub_error_t err;
    static const char *const bad[] = {"1001",  "0-1001", "%5",    "1-",   "5-1",
                                      "0-9%0", "a",      "0-9:0", "1,,2", ""};

    assert_int_equal(hub_jobspec_parse_array("1,3,5-7", &ids, &n, &max, &err),
                     0);
    assert_int_equal(n, 5);
    assert_int_equal(ids[4], 7);
    assert_int_equal(max, 0);
    free(ids);
    assert_int_equal(hub_jobspec_parse_array("0-15:4%2", &ids, &n, &max, &err),
                     0);
    assert_int_equal(n, 4);
    assert_int_equal(ids[3], 12);
    assert_int_equal(max, 2);
    free(ids);
    assert_int_equal(
        hub_jobspec_parse_array("5,0-1000,5", &ids, &n, &max, &err), 0);
    assert_int_equal(n, HUB_JOBSPEC_ARRAY_SIZE_MAX);
    free(ids);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hub_jobspec_parse_array(bad[i], &ids, &n, &max, &err) == 0)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err.text, bad[i]));
    }
    assert_non_null(strstr(err.text, ""));
    assert_int_equal(hub_jobspec_parse_array("1001", &ids, &n, &max, &err),
                     -EINVAL);
    assert_non_null(strstr(err.text, "MaxArraySize"));
}

static void test_time_nice_kind_and_requeue(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const char *a1[] = {"--time=0",     "--nice",   "--requeue", "--no-requeue",
                        "--kind=train", "--wrap=x", NULL};
    const char *a2[] = {"--nice=-5", "-t1-12", "--wrap=x", NULL};

    assert_int_equal(submit(&s, a1, &err), 0);
    assert_int_equal(s.req.time_limit_s, INT64_MAX);
    assert_int_equal(s.req.nice, HUB_JOBSPEC_NICE_DEFAULT);
    assert_false(s.req.requeue);
    assert_int_equal(s.req.kind, HUB_KIND_TRAIN);
    hub_jobspec_fini(&s);
    assert_int_equal(submit(&s, a2, &err), 0);
    assert_int_equal(s.req.nice, -5);
    assert_int_equal(s.req.time_limit_s, 86400 + 12 * 3600);
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "--nice=lots", &err), &err, "--nice:", NULL);
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "--exclusive=node", &err), &err,
                 "--exclusive:", NULL);
    hub_jobspec_fini(&s);
    assert_int_equal(one_opt(&s, "--exclusive=user", &err), 0);
    assert_false(s.req.exclusive);
    assert_true(has_warning(&s, "--exclusive:", "'user'"));
    hub_jobspec_fini(&s);
}

static void test_names_are_checked(void **state)
{
    static const char *const bad[] = {
        "-J0123456789012345678901234567890123456789012345678901234567890123",
        "-pgpu a",
        "-Cnvlink&ib",
        "--hub=",
        "-Aacc\tx",
        "--region=a b",
        "--latency-slo=0",
        "--spare-nodes=2000",
        "--comment=",
    };
    hub_jobspec_t s;
    hub_error_t err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (one_opt(&s, bad[i], &err) == 0)
            fail_msg("%s accepted", bad[i]);
        hub_jobspec_fini(&s);
    }
}

/* ---- finish -----------------------------------------------------------------
 */

static void test_defaults_for_output_name_and_workdir(void **state)
{
    const char *arr[] = {"--array=1-3", "-D", "runs/a", "--wrap=x", NULL};
    hub_jobspec_t s;
    hub_error_t err;

    assert_int_equal(submit(&s, arr, &err), 0);
    assert_string_equal(s.output, "slurm-%A_%a.out");
    assert_null(s.error);
    assert_string_equal(s.workdir, "/home/alice/proj/runs/a");
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "-ox-%q.out", &err), &err, "--output:", "%q");
    hub_jobspec_fini(&s);
    expect_error(one_opt(&s, "-ex-%", &err), &err, "--error:", NULL);
    hub_jobspec_fini(&s);
}

static void test_script_text_checks(void **state)
{
    static const struct {
        const char *text;
        size_t len;
        const char *want;
    } cases[] = {
        {"echo hi\n", 8, "job.sh:1: the first line must start with #!"},
        {"#!/bin/sh\r\necho\r\n", 17, "DOS line breaks"},
        {"", 0, "empty"},
        {"#!/bin/sh\n\0x", 12, "NUL"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hub_jobspec_t s;
        hub_error_t err;
        hub_jobspec_init(&s);
        expect_error(hub_jobspec_parse_script(&s, NULL, cases[i].text,
                                              cases[i].len, "job.sh", &err),
                     &err, cases[i].want, NULL);
        hub_jobspec_fini(&s);
    }
}

static void test_finish_without_script_is_an_error(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    const char *args[] = {"-N", "1", NULL};

    expect_error(submit(&s, args, &err), &err, "no batch script", NULL);
    hub_jobspec_fini(&s);
}

static void test_script_from_stdin_is_named_hbatch(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;

    hub_jobspec_init(&s);
    assert_int_equal(hub_jobspec_parse_script(&s, NULL,
                                              "#!/bin/sh\n#SBATCH "
                                              "-t x\n",
                                              23, "", &err),
                     -EINVAL);
    assert_non_null(strstr(err.text, "(stdin):2: --time"));
    hub_jobspec_fini(&s);
    hub_jobspec_init(&s);
    assert_int_equal(
        hub_jobspec_parse_script(&s, NULL, "#!/bin/sh\n", 10, "", &err), 0);
    assert_int_equal(hub_jobspec_finish(&s, NULL, &err), 0);
    assert_string_equal(s.req.name, "hbatch");
    assert_int_equal(s.nenv, 0);
    hub_jobspec_fini(&s);
}

static void test_warnings_are_capped_and_counted(void **state)
{
    hub_jobspec_t s;
    hub_error_t err;
    char text[8192] = "#!/bin/sh\n";

    for (int i = 0; i < HUB_JOBSPEC_WARNINGS_MAX + 10; i++)
        strcat(text, "#SBATCH --tmp=1\n");
    assert_int_equal(submit_text(&s, text, NULL, &err), 0);
    assert_int_equal(s.nwarnings, HUB_JOBSPEC_WARNINGS_MAX);
    assert_non_null(strstr(s.warnings[s.nwarnings - 1], "11 more"));
    hub_jobspec_fini(&s);
}

/* ---- patterns
 * ---------------------------------------------------------------- */

static void test_expand_pattern_specifiers(void **state)
{
    hub_pattern_vars_t v = {1234, 1200, 7, "train", "alice", "gs-n001.cluster"};
    hub_pattern_vars_t plain = {55, 0, -1, "x", "bob", NULL};
    hub_error_t err;
    char buf[256];

    assert_int_equal(hub_jobspec_expand_pattern("%x-%j_%A_%a.%u.%N.%n%t%%", &v,
                                                buf, sizeof(buf), &err),
                     0);
    assert_string_equal(buf, "train-1234_1200_7.alice.gs-n001.00%");
    assert_int_equal(hub_jobspec_expand_pattern("slurm-%j.out", &plain, buf,
                                                sizeof(buf), &err),
                     0);
    assert_string_equal(buf, "slurm-55.out");
    assert_int_equal(hub_jobspec_expand_pattern("%A_%a-%J-%s", &plain, buf,
                                                sizeof(buf), &err),
                     0);
    assert_string_equal(buf, "55_4294967294-55.batch-batch");
}

static void test_expand_pattern_padding_backslash_and_errors(void **state)
{
    hub_pattern_vars_t v = {1234, 1200, 7, "train", "alice", "n1"};
    hub_error_t err;
    char buf[16];

    assert_int_equal(
        hub_jobspec_expand_pattern("%4a.%3x", &v, buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "0007.train");
    assert_int_equal(
        hub_jobspec_expand_pattern("%12a", &v, buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "0000000007");
    assert_int_equal(
        hub_jobspec_expand_pattern("a\\%j", &v, buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "a%j");
    assert_int_equal(
        hub_jobspec_expand_pattern("%q", &v, buf, sizeof(buf), &err), -EINVAL);
    assert_non_null(strstr(err.text, "'%q'"));
    assert_int_equal(
        hub_jobspec_expand_pattern("a%", &v, buf, sizeof(buf), &err), -EINVAL);
    assert_int_equal(
        hub_jobspec_expand_pattern("%x-%x-%x-%x", &v, buf, sizeof(buf), &err),
        -ENAMETOOLONG);
    assert_int_equal(hub_jobspec_expand_pattern("0123456789abcde", &v, buf,
                                                sizeof(buf), &err),
                     0);
}

/* ---- JSON
 * ----------------------------------------------------------------------- */

static void test_jobspec_json_round_trip(void **state)
{
    const char *opts[] = {"-e", "err-%j.log", "-i", "in.txt",
                          "-a", "0-9%2",      NULL};
    hub_jobspec_t a, b;
    hub_error_t err;
    json_t *ja, *jb;
    char *text;

    assert_int_equal(submit_fixture(&a, "pipeline_deps.sh", opts, &err), 0);
    ja = hub_jobspec_to_json(&a);
    text = json_dumps(ja, JSON_COMPACT);
    json_decref(ja);
    ja = json_loads(text, 0, NULL);
    free(text);
    hub_jobspec_init(&b);
    assert_int_equal(hub_jobspec_from_json(ja, &b, &err), 0);
    jb = hub_jobspec_to_json(&b);
    assert_true(json_equal(ja, jb));
    assert_string_equal(b.script, a.script);
    assert_string_equal(b.error, "err-%j.log");
    assert_int_equal(b.nenv, a.nenv);
    assert_int_equal(b.narray, 10);
    assert_int_equal(b.array_max_running, 2);
    assert_int_equal(b.req.ndeps, 3);
    assert_null(json_object_get(ja, "warnings"));
    json_decref(ja);
    json_decref(jb);
    hub_jobspec_fini(&a);
    hub_jobspec_fini(&b);
}

/* A valid spec with one field replaced by value (NULL removes it). */
static json_t *spec_with(const char *key, json_t *value)
{
    json_t *j =
        json_pack("{s:{s:s}, s:s, s:[s], s:[s]}", "req", "name", "ok", "script",
                  "#!/bin/sh\ntrue\n", "argv", "a", "env", "A=1");
    if (value)
        json_object_set_new(j, key, value);
    else
        json_object_del(j, key);
    return j;
}

static json_t *many_strings(size_t n, const char *s)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(s));
    return arr;
}

/* A malloc'd string of n bytes: head, then 'x's. */
static char *filled(size_t n, const char *head)
{
    char *s = malloc(n + 1);

    memset(s, 'x', n);
    memcpy(s, head, strlen(head));
    s[n] = '\0';
    return s;
}

static void test_jobspec_from_json_rejects_untrusted_input(void **state)
{
    char *big = filled(HUB_JOBSPEC_SCRIPT_MAX + 1, "#!");
    char *long_env = filled(HUB_JOBSPEC_STRING_MAX + 7, "V=");
    char *mid_env = filled(100000, "M=");
    struct {
        json_t *j;
        const char *want;
    } cases[] = {
        {spec_with("surprise", json_true()), "surprise: unknown field"},
        {spec_with("req", NULL), "req: missing"},
        {spec_with("script", NULL), "script: expected"},
        {spec_with("script", json_string("echo no shebang")), "script:"},
        {spec_with("script", json_string(big)), "script: expected a string"},
        {spec_with("env", json_pack("[s]", "NOEQUALS")), "env[0]: expected "
                                                         "NAME=value"},
        {spec_with("env", json_pack("[s]", "=x")), "env[0]"},
        {spec_with("env", many_strings(HUB_JOBSPEC_ENV_MAX + 1, "A=1")),
         "env: expected an array of at most"},
        {spec_with("env", json_pack("[s]", long_env)), "env[0]"},
        {spec_with("env", many_strings(30, mid_env)), "more than"},
        {spec_with("argv", json_pack("[i]", 3)), "argv[0]"},
        {spec_with("argv", json_string("a")), "argv: expected an array"},
        {spec_with("output", json_string("o-%Z")), "--output"},
        {spec_with("array", json_string("0-5000")), "array: '0-5000'"},
        {spec_with("req", json_pack("{s:s}", "partition", "a\tb")),
         "req.partition"},
        {spec_with("req", json_pack("{s:i}", "nodes_min", -1)),
         "req.nodes_min"},
        {spec_with("req", json_pack("{s:i}", "gpus_per_node_milli", 17000)),
         "req.gpus_per_node_milli"},
        {spec_with("comment", json_integer(1)), "comment: expected"},
        {json_array(), "jobspec: expected an object"},
    };
    hub_jobspec_t s;
    hub_error_t err;

    hub_jobspec_init(&s);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = hub_jobspec_from_json(cases[i].j, &s, &err);
        if (rc != -EINVAL || !strstr(err.text, cases[i].want))
            fail_msg("case %zu: rc %d '%s', want '%s'", i, rc, err.text,
                     cases[i].want);
        json_decref(cases[i].j);
    }
    assert_null(s.script); /* untouched by the failures */
    free(big);
    free(long_env);
    free(mid_env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ddp_script_asks_for_four_nodes_of_eight_h100),
        cmocka_unit_test(test_mpi_script_keeps_mem_per_cpu_for_a_node_range),
        cmocka_unit_test(test_array_script_parses_throttled_range),
        cmocka_unit_test(test_pipeline_script_sets_deps_signal_and_begin),
        cmocka_unit_test(test_a100_script_sets_type_feature_and_folds_memory),
        cmocka_unit_test(test_unsupported_options_warn_with_file_and_line),
        cmocka_unit_test(test_strict_mode_turns_warnings_into_errors),
        cmocka_unit_test(test_unsupported_option_on_command_line_says_so),
        cmocka_unit_test(test_malformed_directive_names_file_line_and_option),
        cmocka_unit_test(test_infer_script_takes_a_quarter_gpu_and_slo),
        cmocka_unit_test(test_command_line_overrides_directives),
        cmocka_unit_test(test_overridden_directive_is_still_checked),
        cmocka_unit_test(test_directives_stop_at_first_command),
        cmocka_unit_test(test_only_exact_directive_prefixes_count),
        cmocka_unit_test(test_directive_quotes_escapes_and_comments),
        cmocka_unit_test(test_directive_refuses_arguments_quotes_and_wrap),
        cmocka_unit_test(test_getopt_forms_of_values_all_work),
        cmocka_unit_test(test_bundled_short_flags_and_prefixes),
        cmocka_unit_test(test_bad_command_lines_name_the_problem),
        cmocka_unit_test(test_script_arguments_follow_the_script),
        cmocka_unit_test(test_double_dash_ends_options),
        cmocka_unit_test(test_client_options_reach_the_callback),
        cmocka_unit_test(test_wrap_builds_a_sh_script_named_wrap),
        cmocka_unit_test(test_export_modes),
        cmocka_unit_test(test_gpu_forms_and_limits),
        cmocka_unit_test(test_gres_and_gpus_per_node_conflict_in_one_source),
        cmocka_unit_test(test_memory_units),
        cmocka_unit_test(test_node_counts),
        cmocka_unit_test(test_dependency_forms),
        cmocka_unit_test(test_signal_forms),
        cmocka_unit_test(test_begin_forms),
        cmocka_unit_test(test_array_forms_and_max_array_size),
        cmocka_unit_test(test_time_nice_kind_and_requeue),
        cmocka_unit_test(test_names_are_checked),
        cmocka_unit_test(test_defaults_for_output_name_and_workdir),
        cmocka_unit_test(test_script_text_checks),
        cmocka_unit_test(test_finish_without_script_is_an_error),
        cmocka_unit_test(test_script_from_stdin_is_named_hbatch),
        cmocka_unit_test(test_warnings_are_capped_and_counted),
        cmocka_unit_test(test_expand_pattern_specifiers),
        cmocka_unit_test(test_expand_pattern_padding_backslash_and_errors),
        cmocka_unit_test(test_jobspec_json_round_trip),
        cmocka_unit_test(test_jobspec_from_json_rejects_untrusted_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

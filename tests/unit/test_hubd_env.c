/* test_hubd_env.c - what a job sees on a node: its environment (captured
 * variables, Slurm's and hubsched's on top, GPUs) and its file names from
 * the -o/-e patterns. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hubd.h"

static char *captured[] = {
    "PATH=/usr/bin",         "PWD=/home/ada/run",      "SLURM_JOB_ID=999",
    "SLURM_ARRAY_TASK_ID=7", "CUDA_VISIBLE_DEVICES=5", "HOME=/home/ada",
};

typedef struct fixture {
    hub_job_t job;
    hub_jobspec_t spec;
    jobenv_in_t in;
    int gpus[2];
} fixture_t;

static void fixture_init(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    f->job.id = 42;
    f->job.uid = 1000;
    f->job.array_task_id = -1;
    strcpy(f->job.user, "ada");
    strcpy(f->job.req.name, "train");
    strcpy(f->job.req.partition, "gpu");
    f->job.req.ntasks = 5;
    f->job.req.cpus_per_task = 4;
    f->spec.env = captured;
    f->spec.nenv = sizeof(captured) / sizeof(captured[0]);
    f->spec.workdir = "/home/ada/run";
    f->gpus[0] = 1;
    f->gpus[1] = 3;
    f->in = (jobenv_in_t){
        .job = &f->job,
        .spec = &f->spec,
        .node = "n2",
        .node_index = 1,
        .nodelist = "n[1-2]",
        .nnodes = 2,
        .cpus_on_node = 8,
        .mem_mb_on_node = 1024,
        .gpus = f->gpus,
        .ngpus = 2,
        .node_has_gpus = true,
        .cluster = "hpc",
        .conf = "/etc/hub.conf",
        .exec = "/usr/bin/hub-exec",
    };
}

static void assert_var(char **env, const char *name, const char *want)
{
    const char *got = jobenv_get(env, name);

    if (!got || strcmp(got, want) != 0)
        print_error("%s: want '%s', got '%s'\n", name, want,
                    got ? got : "(unset)");
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void test_env_slurm_vars_replace_captured_ones(void **state)
{
    fixture_t f;
    hub_error_t err;
    char **env;

    fixture_init(&f);
    env = jobenv_build(&f.in, &err);
    assert_non_null(env);
    assert_var(env, "PATH", "/usr/bin");
    assert_var(env, "SLURM_JOB_ID", "42");
    assert_var(env, "SLURM_JOB_NAME", "train");
    assert_var(env, "SLURM_JOB_NODELIST", "n[1-2]");
    assert_var(env, "SLURM_NNODES", "2");
    assert_var(env, "SLURM_NTASKS", "5");
    assert_var(env, "SLURM_TASKS_PER_NODE", "3,2");
    assert_var(env, "SLURM_CPUS_PER_TASK", "4");
    assert_var(env, "SLURM_NODEID", "1");
    assert_var(env, "SLURM_SUBMIT_DIR", "/home/ada/run");
    assert_var(env, "SLURM_RESTART_COUNT", "0");
    assert_var(env, "SLURM_JOB_PARTITION", "gpu");
    assert_null(jobenv_get(env, "SLURM_NTASKS_PER_NODE")); /* 5 on 2 */
    assert_null(jobenv_get(env, "SLURM_ARRAY_TASK_ID"));   /* not an array */
    jobenv_free(env);
}

static void test_env_has_hub_vars_and_mpi_agent(void **state)
{
    fixture_t f;
    hub_error_t err;
    char **env;

    fixture_init(&f);
    env = jobenv_build(&f.in, &err);
    assert_non_null(env);
    assert_var(env, "HUB_JOB_ID", "42");
    assert_var(env, "HUB_NODE", "n2");
    assert_var(env, "HUB_NODELIST", "n[1-2]");
    assert_var(env, "HUB_CONF", "/etc/hub.conf");
    assert_var(env, "HUB_EXEC", "/usr/bin/hub-exec");
    assert_var(env, "OMPI_MCA_plm_rsh_agent", "/usr/bin/hub-exec");
    jobenv_free(env);
}

static void test_env_gpus_of_this_node(void **state)
{
    fixture_t f;
    hub_error_t err;
    char **env;

    fixture_init(&f);
    env = jobenv_build(&f.in, &err);
    assert_var(env, "CUDA_VISIBLE_DEVICES", "1,3");
    assert_var(env, "SLURM_JOB_GPUS", "1,3");
    assert_var(env, "SLURM_GPUS_ON_NODE", "2");
    jobenv_free(env);

    f.in.ngpus = 0; /* a GPU node, but none for this job: hide them all */
    env = jobenv_build(&f.in, &err);
    assert_var(env, "CUDA_VISIBLE_DEVICES", "");
    assert_null(jobenv_get(env, "SLURM_JOB_GPUS"));
    jobenv_free(env);
}

static void test_env_array_and_even_tasks(void **state)
{
    fixture_t f;
    hub_error_t err;
    char **env;

    fixture_init(&f);
    f.job.array_job_id = 40;
    f.job.array_task_id = 2;
    f.job.restart_count = 3;
    f.job.req.ntasks = 4;
    env = jobenv_build(&f.in, &err);
    assert_var(env, "SLURM_ARRAY_JOB_ID", "40");
    assert_var(env, "SLURM_ARRAY_TASK_ID", "2");
    assert_var(env, "SLURM_RESTART_COUNT", "3");
    assert_var(env, "SLURM_NTASKS_PER_NODE", "2");
    assert_var(env, "SLURM_TASKS_PER_NODE", "2(x2)");
    jobenv_free(env);
}

static void test_env_extra_from_controller(void **state)
{
    fixture_t f;
    hub_error_t err;
    json_t *extra = json_pack("{s:s, s:I}", "HUB_GPU_TYPE", "h100",
                              "HUB_PEAK_FLOPS", (json_int_t)989);
    char **env;

    fixture_init(&f);
    f.in.extra = extra;
    env = jobenv_build(&f.in, &err);
    assert_var(env, "HUB_GPU_TYPE", "h100");
    assert_var(env, "HUB_PEAK_FLOPS", "989");
    jobenv_free(env);
    json_decref(extra);

    extra = json_pack("{s:s}", "LD_PRELOAD", "/evil.so");
    f.in.extra = extra;
    assert_null(jobenv_build(&f.in, &err));
    assert_non_null(strstr(err.text, "LD_PRELOAD"));
    json_decref(extra);
}

static void test_paths_relative_to_workdir(void **state)
{
    hub_pattern_vars_t v = {.job_id = 42,
                            .array_task_id = -1,
                            .job_name = "train",
                            .user = "ada",
                            .node = "n1"};
    hub_error_t err;
    char buf[256];

    assert_int_equal(
        jobpath_resolve("slurm-%j.out", &v, "/w", buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "/w/slurm-42.out");
    assert_int_equal(
        jobpath_resolve("logs/%x-%u-%N.err", &v, "/w/", buf, sizeof(buf), &err),
        0);
    assert_string_equal(buf, "/w/logs/train-ada-n1.err");
    assert_int_equal(
        jobpath_resolve("/abs/%j", &v, "/w", buf, sizeof(buf), &err), 0);
    assert_string_equal(buf, "/abs/42");
    assert_int_equal(jobpath_resolve("out", &v, "/w", buf, 5, &err),
                     -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_slurm_vars_replace_captured_ones),
        cmocka_unit_test(test_env_has_hub_vars_and_mpi_agent),
        cmocka_unit_test(test_env_gpus_of_this_node),
        cmocka_unit_test(test_env_array_and_even_tasks),
        cmocka_unit_test(test_env_extra_from_controller),
        cmocka_unit_test(test_paths_relative_to_workdir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

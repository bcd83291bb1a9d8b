/* test_ctld_nodes.c - hubctld's pure translations for node agents
 * (sched/hubctld/agent_wire.c): a job_exit's reason as a final state, and
 * the alloc and env parts of job_launch. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctld.h"

static const char *const conf_text =
    "ClusterName=testc\n"
    "GpuType=h100 PeakTFLOPS_BF16=989.4\n"
    "GpuType=nopeak\n"
    "NodeName=g1 CPUs=16 RealMemory=64000 Gres=gpu:h100:8\n"
    "NodeName=g2 CPUs=16 RealMemory=64000 Gres=gpu:nopeak:2\n"
    "NodeName=c1 CPUs=8 RealMemory=32000\n"
    "PartitionName=p Nodes=ALL Default=YES\n";

typedef struct fixture {
    hub_conf_t *conf;
    hub_cluster_t *cl;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    hub_error_t err;

    fx->conf = hub_conf_parse_string(conf_text, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->cl = hub_cluster_create(fx->conf, true, &err);
    assert_non_null(fx->cl);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    hub_cluster_destroy(fx->cl);
    hub_conf_destroy(fx->conf);
    free(fx);
    return 0;
}

/* The state agent_exit_state gives, with exit code and signal. */
static hub_job_state_t exit_state(const char *reason, int status, int sig,
                                  int *code, int *term)
{
    hub_job_state_t st = HUB_JOB_PENDING;
    assert_int_equal(agent_exit_state(reason, status, sig, &st, code, term), 0);
    return st;
}

static void test_exit_zero_completes_nonzero_or_signal_fails(void **state)
{
    int code, term;

    (void)state;
    assert_int_equal(exit_state("exited", 0, 0, &code, &term),
                     HUB_JOB_COMPLETED);
    assert_int_equal(exit_state("exited", 3, 0, &code, &term), HUB_JOB_FAILED);
    assert_int_equal(code, 3);
    assert_int_equal(term, 0);
    assert_int_equal(exit_state("exited", 0, 11, &code, &term), HUB_JOB_FAILED);
    assert_int_equal(term, 11);
}

static void test_exit_reasons_map_to_slurm_states(void **state)
{
    int code, term;

    (void)state;
    assert_int_equal(exit_state("timeout", 0, 15, &code, &term),
                     HUB_JOB_TIMEOUT);
    assert_int_equal(term, 15);
    assert_int_equal(exit_state("cancelled", 0, 9, &code, &term),
                     HUB_JOB_CANCELLED);
    assert_int_equal(exit_state("oom", 137, 9, &code, &term),
                     HUB_JOB_OUT_OF_MEMORY);
    assert_int_equal(exit_state("launch_failed", 1, 0, &code, &term),
                     HUB_JOB_FAILED);
    assert_int_equal(code, 1);
    assert_int_equal(exit_state("node_lost", 0, 0, &code, &term),
                     HUB_JOB_NODE_FAIL);
}

static void test_exit_unknown_reason_is_refused(void **state)
{
    hub_job_state_t st;
    int code, term;

    (void)state;
    assert_int_equal(agent_exit_state("bogus", 0, 0, &st, &code, &term),
                     -EINVAL);
    assert_int_equal(agent_exit_state(NULL, 0, 0, &st, &code, &term), -EINVAL);
}

static const char *env_get(json_t *env, const char *name)
{
    return json_string_value(json_object_get(env, name));
}

static void test_env_peak_is_sum_of_gpu_fractions(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t an = {.node = 0, .cpus = 4};
    json_t *env;

    an.gpu_milli[0] = 1000;
    an.gpu_milli[3] = 1000;
    an.gpu_milli[5] = 500; /* 2.5 GPUs of 989.4 TFLOP/s */
    env = agent_launch_env(fx->conf, fx->cl, &an);
    assert_string_equal(env_get(env, "HUB_CLUSTER"), "testc");
    assert_string_equal(env_get(env, "HUB_GPU_TYPE"), "h100");
    assert_string_equal(env_get(env, "HUB_GPU_PEAK_TFLOPS_BF16"), "989.4");
    assert_string_equal(env_get(env, "HUB_PEAK_FLOPS_BF16"),
                        "2473500000000000");
    json_decref(env);
}

static void test_env_has_no_peak_without_gpus_or_known_peak(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t cpu_only = {.node = 2, .cpus = 2};
    hub_alloc_node_t nopeak = {.node = 1, .cpus = 2};
    json_t *env;

    env = agent_launch_env(fx->conf, fx->cl, &cpu_only);
    assert_string_equal(env_get(env, "HUB_CLUSTER"), "testc");
    assert_null(json_object_get(env, "HUB_PEAK_FLOPS_BF16"));
    assert_null(json_object_get(env, "HUB_GPU_TYPE"));
    json_decref(env);

    nopeak.gpu_milli[1] = 1000;
    env = agent_launch_env(fx->conf, fx->cl, &nopeak);
    assert_string_equal(env_get(env, "HUB_GPU_TYPE"), "nopeak");
    assert_null(json_object_get(env, "HUB_PEAK_FLOPS_BF16"));
    json_decref(env);
}

static void test_alloc_lists_nodes_and_held_gpus(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t nodes[2] = {{.node = 0, .cpus = 8, .mem_mb = 1000},
                                 {.node = 2, .cpus = 1}};
    hub_alloc_t alloc = {.nnodes = 2, .nodes = nodes};
    json_t *j, *n0;

    nodes[0].gpu_milli[2] = 250;
    nodes[0].gpu_milli[7] = 1000;
    j = agent_alloc_json(fx->cl, &alloc);
    assert_string_equal(json_string_value(json_object_get(j, "nodelist")),
                        "g1,c1"); /* in rank order */
    assert_int_equal(json_array_size(json_object_get(j, "nodes")), 2);
    n0 = json_array_get(json_object_get(j, "nodes"), 0);
    assert_string_equal(json_string_value(json_object_get(n0, "name")), "g1");
    assert_int_equal(json_integer_value(json_object_get(n0, "cpus")), 8);
    assert_int_equal(json_integer_value(json_object_get(n0, "mem_mb")), 1000);
    assert_int_equal(json_array_size(json_object_get(n0, "gpus")), 2);
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(n0, "gpus"), 1)), 7);
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(n0, "gpu_milli"), 0)),
        250);
    json_decref(j);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_zero_completes_nonzero_or_signal_fails),
        cmocka_unit_test(test_exit_reasons_map_to_slurm_states),
        cmocka_unit_test(test_exit_unknown_reason_is_refused),
        T(test_env_peak_is_sum_of_gpu_fractions),
        T(test_env_has_no_peak_without_gpus_or_known_peak),
        T(test_alloc_lists_nodes_and_held_gpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

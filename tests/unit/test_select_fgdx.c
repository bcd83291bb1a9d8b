/* test_select_fgdx.c - select/fgdx against select/fgd on small clusters:
 * where FGD strands GPUs behind exhausted CPUs and FGD-x does not, and
 * where both place alike. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "plugins.h"

extern const hub_plugin_desc_t hub_select_fgd_desc;
extern const hub_plugin_desc_t hub_select_fgdx_desc;

/* n1: 4 GPUs and 16 CPUs, 4 per GPU; n2: 4 GPUs and 64 CPUs. */
static const char two_nodes[] =
    "NodeName=n1 CPUs=16 RealMemory=100000 Gres=gpu:4\n"
    "NodeName=n2 CPUs=64 RealMemory=100000 Gres=gpu:4\n"
    "PartitionName=p Nodes=ALL Default=YES\n";

typedef struct fixture {
    hub_conf_t *conf;
    hub_cluster_t *c;
    const hub_select_ops_t *ops;
    void *ctx;
    uint32_t cand[2];
} fixture_t;

static void fx_open(fixture_t *fx, const hub_plugin_desc_t *desc)
{
    hub_error_t err;

    memset(fx, 0, sizeof(*fx));
    fx->conf = hub_conf_parse_string(two_nodes, "t.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->c = hub_cluster_create(fx->conf, true, &err);
    assert_non_null(fx->c);
    fx->ops = desc->ops;
    assert_int_equal(fx->ops->create(&fx->ctx, fx->conf, &err), 0);
    fx->cand[0] = 0;
    fx->cand[1] = 1;
}

static void fx_close(fixture_t *fx)
{
    fx->ops->destroy(fx->ctx);
    hub_cluster_destroy(fx->c);
    hub_conf_destroy(fx->conf);
}

/* Ask for job id: one task of cpus CPUs and milli GPU; out is filled. */
static int ask(fixture_t *fx, hub_job_id_t id, uint32_t cpus, uint32_t milli,
               hub_alloc_t *out)
{
    hub_job_t job = {.id = id};
    hub_place_req_t pr = {
        .cluster = fx->c, .job = &job, .cand = fx->cand, .ncand = 2};

    job.req.ntasks = job.req.nodes_min = job.req.nodes_max = 1;
    job.req.cpus_per_task = cpus;
    job.req.gpus_per_node_milli = milli;
    memset(out, 0, sizeof(*out));
    return fx->ops->place(fx->ctx, &pr, out);
}

/* The workload so far: three 1-GPU tasks of 4 CPUs (asked, not taken),
 * then a CPU-only job of 8 CPUs; returns the node it goes to. */
static uint32_t cpu_job_node(const hub_plugin_desc_t *desc)
{
    fixture_t fx;
    hub_alloc_t out;
    uint32_t node;

    fx_open(&fx, desc);
    for (hub_job_id_t id = 1; id <= 3; id++) {
        assert_int_equal(ask(&fx, id, 4, 1000, &out), 0);
        free(out.nodes);
    }
    assert_int_equal(ask(&fx, 4, 8, 0, &out), 0);
    assert_int_equal(out.nnodes, 1);
    assert_int_equal(out.nodes[0].cpus, 8);
    node = out.nodes[0].node;
    free(out.nodes);
    fx_close(&fx);
    return node;
}

/* On n1 the CPU job leaves 8 CPUs for 4 GPUs: two 4-CPU tasks, two GPUs
 * stranded. FGD sees the 1-GPU type still fit on both nodes (no change in
 * fragmentation) and breaks the tie towards the node left with fewer
 * CPUs, n1. */
static void test_fgd_strands_gpus_behind_a_cpu_job(void **state)
{
    (void)state;
    assert_int_equal(cpu_job_node(&hub_select_fgd_desc), 0);
}

/* FGD-x counts the GPUs n1's CPUs could no longer feed and sends the CPU
 * job to n2, whose 56 CPUs left still feed its 4 GPUs. */
static void test_fgdx_keeps_the_cpus_the_gpus_need(void **state)
{
    (void)state;
    assert_int_equal(cpu_job_node(&hub_select_fgdx_desc), 1);
}

/* With CPUs to spare FGD-x places as FGD: n1's GPUs free 400 and 600 (the
 * others idle), 0.3-GPU and whole-GPU tasks seen; a 0.3 task goes to the
 * 600 GPU, leaving 300 a 0.3 task can use, not 100 nobody can. */
static void test_fgdx_places_fractions_as_fgd(void **state)
{
    static const uint32_t seen[] = {300, 1000, 1000, 1000};
    hub_alloc_node_t an = {.node = 0, .cpus = 1, .gpu_milli = {600, 400, 0, 0}};
    hub_alloc_t taken = {1, &an}, out;
    fixture_t fx;

    (void)state;
    fx_open(&fx, &hub_select_fgdx_desc);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(ask(&fx, i + 1, 1, seen[i], &out), 0);
        free(out.nodes);
    }
    /* n2 taken whole, so the choice is among n1's GPUs */
    hub_alloc_node_t an2 = {
        .node = 1, .cpus = 1, .gpu_milli = {1000, 1000, 1000, 1000}};
    hub_alloc_t taken2 = {1, &an2};
    assert_int_equal(hub_cluster_take(fx.c, &taken, false), 0);
    assert_int_equal(hub_cluster_take(fx.c, &taken2, false), 0);
    assert_int_equal(ask(&fx, 5, 1, 300, &out), 0);
    assert_int_equal(out.nnodes, 1);
    assert_int_equal(out.nodes[0].node, 0);
    assert_int_equal(out.nodes[0].gpu_milli[0], 0);
    assert_int_equal(out.nodes[0].gpu_milli[1], 300);
    free(out.nodes);
    fx_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fgd_strands_gpus_behind_a_cpu_job),
        cmocka_unit_test(test_fgdx_keeps_the_cpus_the_gpus_need),
        cmocka_unit_test(test_fgdx_places_fractions_as_fgd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

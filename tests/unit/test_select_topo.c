/* test_select_topo.c - select/topo: leaf switches, NVLink, fractions,
 * fragmentation, and GPU type / --constraint through the scheduler. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "plugins.h"
#include "sched.h"

extern const hub_plugin_desc_t hub_select_topo_desc;

/* Eleven 8-GPU nodes (two NVLink domains of four) under three leaves:
 * leaf1 = n1-n4 (indexes 0-3), leaf2 = n5-n8 (4-7), leaf3 = n9-n11
 * (8-10), joined by a spine. */
static const char three_leaves[] =
    "NodeName=n[1-11] CPUs=16 RealMemory=64000 Gres=gpu:8 NVLink=4\n"
    "SwitchName=leaf1 Nodes=n[1-4]\n"
    "SwitchName=leaf2 Nodes=n[5-8]\n"
    "SwitchName=leaf3 Nodes=n[9-11]\n"
    "SwitchName=spine Switches=leaf[1-3]\n";

typedef struct fixture {
    hub_conf_t *conf;
    hub_cluster_t *c;
    const hub_select_ops_t *ops;
    void *ctx;
    uint32_t cand[16];
    uint32_t ncand;
    hub_job_id_t next_id;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    hub_error_t err;

    fx->conf = hub_conf_parse_string(three_leaves, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->c = hub_cluster_create(fx->conf, true, &err);
    assert_non_null(fx->c);
    fx->ops = hub_select_topo_desc.ops;
    assert_int_equal(fx->ops->create(&fx->ctx, fx->conf, &err), 0);
    for (uint32_t i = 0; i < fx->c->nnodes; i++)
        fx->cand[i] = i;
    fx->ncand = fx->c->nnodes;
    fx->next_id = 1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;

    fx->ops->destroy(fx->ctx);
    hub_cluster_destroy(fx->c);
    hub_conf_destroy(fx->conf);
    free(fx);
    return 0;
}

static hub_job_req_t req_gpus(uint32_t nodes, uint32_t per_node_milli)
{
    hub_job_req_t r;

    memset(&r, 0, sizeof(r));
    r.nodes_min = nodes;
    r.gpus_per_node_milli = per_node_milli;
    hub_job_req_defaults(&r);
    return r;
}

static int place(fixture_t *fx, const hub_job_req_t *req, hub_alloc_t *out)
{
    hub_job_t job;
    hub_place_req_t pr = {
        .cluster = fx->c, .job = &job, .cand = fx->cand, .ncand = fx->ncand};

    memset(&job, 0, sizeof(job));
    job.id = fx->next_id++;
    job.req = *req;
    memset(out, 0, sizeof(*out));
    return fx->ops->place(fx->ctx, &pr, out);
}

/* Place req, take it, and return the allocation (caller frees nodes). */
static hub_alloc_t place_take(fixture_t *fx, const hub_job_req_t *req)
{
    hub_alloc_t out;

    assert_int_equal(place(fx, req, &out), 0);
    assert_int_equal(hub_cluster_take(fx->c, &out, req->exclusive), 0);
    return out;
}

/* Occupy every GPU of node (index) with one CPU. */
static void fill_node(fixture_t *fx, uint32_t node)
{
    hub_alloc_node_t an;
    hub_alloc_t alloc = {1, &an};

    memset(&an, 0, sizeof(an));
    an.node = node;
    an.cpus = 1;
    for (int g = 0; g < 8; g++)
        an.gpu_milli[g] = HUB_GPU_MILLI;
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), 0);
}

/* Bit mask of the leaf switches (by switch index) alloc uses. */
static unsigned leaves_of(const fixture_t *fx, const hub_alloc_t *a)
{
    unsigned mask = 0;

    for (uint32_t i = 0; i < a->nnodes; i++)
        mask |= 1u << fx->conf->nodes[a->nodes[i].node].switch_idx;
    return mask;
}

static bool uses_node(const hub_alloc_t *a, uint32_t node)
{
    for (uint32_t i = 0; i < a->nnodes; i++)
        if (a->nodes[i].node == node)
            return true;
    return false;
}

#define LEAF1 (1u << 0)
#define LEAF2 (1u << 1)
#define LEAF3 (1u << 2)

/* leaf1 has 2 free nodes left, leaf2 4, leaf3 3: a 2-node job fits in
 * each; the best fit is leaf1, which it fills. */
static void test_job_goes_to_best_fitting_single_leaf(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(2, 8000);
    hub_alloc_t a;

    fill_node(fx, 0);
    fill_node(fx, 1);
    a = place_take(fx, &r);
    assert_int_equal(a.nnodes, 2);
    assert_int_equal(leaves_of(fx, &a), LEAF1);
    assert_true(uses_node(&a, 2) && uses_node(&a, 3));
    free(a.nodes);
}

/* leaf1 keeps 2 free nodes, leaf2 3, leaf3 2: a 3-node job fits in leaf2
 * alone; node order alone (select/bestfit) would take n3, n4 and n6 under
 * two leaves. */
static void test_job_stays_under_one_leaf_rather_than_by_index(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(3, 8000);
    hub_alloc_t a;

    fill_node(fx, 0);
    fill_node(fx, 1);
    fill_node(fx, 4);
    fill_node(fx, 8);
    a = place_take(fx, &r);
    assert_int_equal(a.nnodes, 3);
    assert_int_equal(leaves_of(fx, &a), LEAF2);
    free(a.nodes);
}

/* All idle: 6 nodes fit under no leaf (4, 4, 3). The largest leaf first
 * (leaf1, lower index of two equal), then the smallest that holds the
 * other 2 (leaf3): exactly two leaves, and leaf2 stays whole, so a 4-node
 * job then still fits under one leaf. */
static void test_job_needing_two_leaves_takes_exactly_two(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t six = req_gpus(6, 8000), four = req_gpus(4, 8000);
    hub_alloc_t a, b;

    a = place_take(fx, &six);
    assert_int_equal(a.nnodes, 6);
    assert_int_equal(leaves_of(fx, &a), LEAF1 | LEAF3);
    b = place_take(fx, &four);
    assert_int_equal(leaves_of(fx, &b), LEAF2);
    free(a.nodes);
    free(b.nodes);
}

/* Fragmented leaves with 2, 3 and 2 free nodes: 5 nodes need two leaves;
 * the 3 of leaf2 are all used, plus 2 of one other leaf. */
static void test_fragmented_leaves_use_largest_then_tail_that_fits(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(5, 8000);
    hub_alloc_t a;
    unsigned leaves;

    fill_node(fx, 0);
    fill_node(fx, 1);
    fill_node(fx, 4);
    fill_node(fx, 8);
    a = place_take(fx, &r);
    leaves = leaves_of(fx, &a);
    assert_int_equal(a.nnodes, 5);
    assert_true(leaves == (LEAF1 | LEAF2) || leaves == (LEAF2 | LEAF3));
    assert_true(uses_node(&a, 5) && uses_node(&a, 6) && uses_node(&a, 7));
    free(a.nodes);
}

/* 12 nodes never fit on 11; 9 do, but not while 3 are full. */
static void test_never_is_enospc_not_now_is_eagain(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t twelve = req_gpus(12, 8000), nine = req_gpus(9, 8000);
    hub_alloc_t a;

    assert_int_equal(place(fx, &twelve, &a), -ENOSPC);
    fill_node(fx, 0);
    fill_node(fx, 4);
    fill_node(fx, 8);
    assert_int_equal(place(fx, &nine, &a), -EAGAIN);
}

/* A quarter takes GPU 0 of n1 (domain 0-3): on n1 a 4-GPU job then gets
 * the whole other domain, GPUs 4-7, not 1-3 plus one across. */
static void test_whole_gpus_stay_in_one_nvlink_domain(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t quarter = req_gpus(1, 250), four = req_gpus(1, 4000);
    hub_alloc_t q, a;

    q = place_take(fx, &quarter);
    assert_int_equal(q.nodes[0].node, 0);
    assert_int_equal(q.nodes[0].gpu_milli[0], 250);
    fx->ncand = 1; /* n1 only */
    a = place_take(fx, &four);
    for (int g = 0; g < 8; g++)
        assert_int_equal(a.nodes[0].gpu_milli[g], g < 4 ? 0 : HUB_GPU_MILLI);
    free(q.nodes);
    free(a.nodes);
}

/* n5 (leaf2) runs a job: a one-node job goes to leaf2 (n6), not to the
 * idle n1 that comes first by index, so leaf1 and leaf3 stay whole. */
static void test_one_node_job_prefers_busy_leaf(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(1, 250);
    hub_alloc_t a;

    fill_node(fx, 4);
    a = place_take(fx, &r);
    assert_int_equal(a.nnodes, 1);
    assert_true(a.nodes[0].node >= 5 && a.nodes[0].node <= 7);
    free(a.nodes);
}

/* Two halves share one GPU and two quarters the next one (select/fgd:
 * neither leaves a remainder the half or quarter type cannot use). */
static void test_fractions_pack_onto_shared_gpus(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t half = req_gpus(1, 500), quarter = req_gpus(1, 250);
    hub_alloc_t a[4];
    uint32_t used = 0;

    a[0] = place_take(fx, &half);
    a[1] = place_take(fx, &half);
    a[2] = place_take(fx, &quarter);
    a[3] = place_take(fx, &quarter);
    for (uint32_t i = 0; i < fx->c->nnodes; i++)
        for (uint32_t g = 0; g < 8; g++)
            used += fx->c->nodes[i].gpu_free_milli[g] < HUB_GPU_MILLI;
    assert_int_equal(used, 2);
    assert_int_equal(fx->c->nodes[0].gpu_free_milli[0], 0);
    assert_int_equal(fx->c->nodes[0].gpu_free_milli[1], 500);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 500), 0);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 250), 0);
    for (int i = 0; i < 4; i++)
        free(a[i].nodes);
}

/* Fragmentation by hand: after a half and a 0.3 on their own GPUs (the
 * 0.3 cannot share the half's: 500 - 300 would strand 200 for the half
 * type), 500 and 700 milli are free there and 86 GPUs are idle.
 * Whole-GPU jobs cannot use 500 + 700 = 1200; half-GPU jobs cannot use
 * 700 % 500 = 200; 0.3-GPU jobs cannot use 500 % 300 + 700 % 300 + 86 x
 * (1000 % 300) = 200 + 100 + 8600 = 8900. */
static void test_fragmentation_by_hand(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t half = req_gpus(1, 500), third = req_gpus(1, 300);
    hub_alloc_t a = place_take(fx, &half), b = place_take(fx, &third);

    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 1000), 1200);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 500), 200);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 300), 8900);
    free(a.nodes);
    free(b.nodes);
}

/* ---- through the scheduler: GPU types and --constraint ------------------ */

/* Two H100 nodes with feature ib under one leaf, two A100 nodes under
 * another. */
static const char typed[] =
    "SchedulerType=sched/fifo\nSelectType=select/topo\n"
    "PriorityType=priority/basic\nPriorityWeightAge=1\n"
    "GpuType=h100 PeakTFLOPS_BF16=989.4\nGpuType=a100 PeakTFLOPS_BF16=312\n"
    "NodeName=h[1-2] CPUs=16 RealMemory=64000 Gres=gpu:h100:8 Features=ib\n"
    "NodeName=a[1-2] CPUs=16 RealMemory=64000 Gres=gpu:a100:8\n"
    "SwitchName=leafh Nodes=h[1-2]\nSwitchName=leafa Nodes=a[1-2]\n"
    "PartitionName=p Nodes=ALL Default=YES MaxTime=UNLIMITED\n";

typedef struct sfx {
    hub_conf_t *conf;
    hub_sched_t *s;
    int64_t now;
    hub_clock_t clock;
} sfx_t;

static int setup_sched(void **state)
{
    sfx_t *fx = calloc(1, sizeof(*fx));
    hub_sched_opts_t opts = {.nodes_up = true};
    hub_error_t err;

    fx->conf = hub_conf_parse_string(typed, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->now = 1000000000;
    fx->clock = (hub_clock_t){hub_clock_virtual_now, &fx->now};
    opts.clock = &fx->clock;
    fx->s = hub_sched_create(fx->conf, &opts, &err);
    if (!fx->s)
        fail_msg("sched: %s", err.text);
    *state = fx;
    return 0;
}

static int teardown_sched(void **state)
{
    sfx_t *fx = *state;

    hub_sched_destroy(fx->s);
    hub_conf_destroy(fx->conf);
    free(fx);
    return 0;
}

static hub_job_req_t typed_req(uint32_t nodes, uint32_t gpus, const char *type,
                               const char *feature)
{
    hub_job_req_t r = req_gpus(nodes, gpus * HUB_GPU_MILLI);

    snprintf(r.partition, sizeof(r.partition), "p");
    snprintf(r.gpu_type, sizeof(r.gpu_type), "%s", type);
    snprintf(r.constraint, sizeof(r.constraint), "%s", feature);
    return r;
}

/* Validate, add and run one pass; the node names the job got. */
static void run_job(sfx_t *fx, hub_job_id_t id, hub_job_req_t r, char *names,
                    size_t size)
{
    hub_job_t j;
    hub_job_t *job;
    hub_error_t err;
    size_t len = 0;

    if (hub_sched_validate(fx->s, &r, &err) < 0)
        fail_msg("validate: %s", err.text);
    memset(&j, 0, sizeof(j));
    j.id = id;
    j.uid = j.gid = 1000;
    snprintf(j.user, sizeof(j.user), "u");
    j.req = r;
    j.array_task_id = -1;
    j.state = HUB_JOB_PENDING;
    j.submit_ms = fx->now;
    if (!(job = hub_sched_add(fx->s, &j, &err)))
        fail_msg("add: %s", err.text);
    assert_true(hub_sched_pass(fx->s, NULL) >= 1);
    assert_int_equal(job->state, HUB_JOB_RUNNING);
    names[0] = '\0';
    for (uint32_t i = 0; i < job->alloc.nnodes; i++)
        len += (size_t)snprintf(names + len, size - len, "%s%s", i ? "," : "",
                                fx->conf->nodes[job->alloc.nodes[i].node].name);
}

static void test_gpu_type_picks_nodes_of_that_type(void **state)
{
    sfx_t *fx = *state;
    char names[64];

    run_job(fx, 1, typed_req(2, 8, "a100", ""), names, sizeof(names));
    assert_string_equal(names, "a1,a2");
    run_job(fx, 2, typed_req(1, 4, "h100", ""), names, sizeof(names));
    assert_true(strcmp(names, "h1") == 0 || strcmp(names, "h2") == 0);
}

static void test_constraint_picks_nodes_with_feature(void **state)
{
    sfx_t *fx = *state;
    char names[64];

    /* the A100s come first by fit otherwise: fill one partly */
    run_job(fx, 1, typed_req(1, 2, "a100", ""), names, sizeof(names));
    run_job(fx, 2, typed_req(1, 2, "", "ib"), names, sizeof(names));
    assert_true(strcmp(names, "h1") == 0 || strcmp(names, "h2") == 0);
}

static void test_type_or_constraint_that_never_fits_is_refused(void **state)
{
    sfx_t *fx = *state;
    hub_job_req_t three = typed_req(3, 8, "h100", "");
    hub_job_req_t a100_ib = typed_req(1, 1, "a100", "ib");
    hub_error_t err;

    assert_int_equal(hub_sched_validate(fx->s, &three, &err), -EINVAL);
    assert_non_null(strstr(err.text, "2 matching nodes"));
    assert_int_equal(hub_sched_validate(fx->s, &a100_ib, &err), -EINVAL);
    assert_non_null(strstr(err.text, "--constraint=ib"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TS(fn) cmocka_unit_test_setup_teardown(fn, setup_sched, teardown_sched)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_job_goes_to_best_fitting_single_leaf),
        T(test_job_stays_under_one_leaf_rather_than_by_index),
        T(test_job_needing_two_leaves_takes_exactly_two),
        T(test_fragmented_leaves_use_largest_then_tail_that_fits),
        T(test_never_is_enospc_not_now_is_eagain),
        T(test_whole_gpus_stay_in_one_nvlink_domain),
        T(test_one_node_job_prefers_busy_leaf),
        T(test_fractions_pack_onto_shared_gpus),
        T(test_fragmentation_by_hand),
        TS(test_gpu_type_picks_nodes_of_that_type),
        TS(test_constraint_picks_nodes_with_feature),
        TS(test_type_or_constraint_that_never_fits_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_hsim_inflation.c - the inflation experiment on a tiny cluster,
 * worked out by hand, and the placements of select/fgd and select/random
 * that it compares.
 *
 * The cluster: one node of 2 GPUs. Tasks of 0.6, 0.6, 0.5 and 0.4 GPU
 * arrive in that order and never leave. select/bestfit puts the first
 * on GPU 0 (0.4 left), the second on GPU 1 (no used GPU has 0.6), turns
 * the third away (0.4 and 0.4 left), and puts the fourth on GPU 0:
 * 1.6 of 2 GPUs allocated after 2.1 asked for.
 */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hsim.h"
#include "plugin.h"

static void tiny_trace(hsim_trace_t *tr, const uint32_t *milli, size_t n)
{
    hsim_trace_init(tr);
    tr->conf = strdup("NodeName=n1 CPUs=8 RealMemory=1000 Gres=gpu:2\n"
                      "PartitionName=p Nodes=ALL Default=YES\n");
    for (size_t i = 0; i < n; i++) {
        hsim_job_t *j = hsim_trace_add(tr);
        j->id = (uint32_t)i + 1;
        j->nodes = j->ntasks = j->cpus_per_task = 1;
        j->run_s = j->limit_s = 1;
        j->gpus_milli = milli[i];
    }
}

static void test_inflation_by_hand_with_bestfit(void **state)
{
    static const uint32_t milli[] = {600, 600, 500, 400};
    static const uint32_t order[] = {0, 1, 2, 3};
    static const double arrived[] = {0.3, 0.6, 0.85, 1.05};
    static const double alloc[] = {0.3, 0.6, 0.6, 0.8};
    hsim_trace_t tr;
    hsim_policy_t p;
    hsim_inflate_t r;
    hub_error_t err;

    tiny_trace(&tr, milli, 4);
    assert_int_equal(hsim_policy_parse("bestfit", &p, &err), 0);
    if (hsim_inflate_run(&tr, &p, order, 4, &r, &err) < 0)
        fail_msg("%s", err.text);
    assert_int_equal(r.npts, 4);
    for (int k = 0; k < 4; k++) {
        assert_true(r.pts[k].arrived > arrived[k] - 1e-9 &&
                    r.pts[k].arrived < arrived[k] + 1e-9);
        assert_true(r.pts[k].alloc > alloc[k] - 1e-9 &&
                    r.pts[k].alloc < alloc[k] + 1e-9);
    }
    assert_int_equal(r.placed, 3);
    assert_int_equal(r.failed, 1);
    assert_true(hsim_inflate_at(&r, 1.0) > 0.8 - 1e-9);
    hsim_inflate_fini(&r);
    hsim_trace_fini(&tr);
}

static void test_sampling_stops_once_the_demand_is_reached(void **state)
{
    static const uint32_t milli[] = {600, 600, 500, 400};
    hsim_trace_t tr;
    uint32_t *order;
    size_t n;
    double sum = 0;

    tiny_trace(&tr, milli, 4);
    assert_int_equal(hsim_inflate_sample(&tr, 2000, 130, 7, &order, &n), 0);
    for (size_t k = 0; k + 1 < n; k++)
        sum += tr.jobs[order[k]].gpus_milli;
    assert_true(sum < 2600);
    assert_true(sum + tr.jobs[order[n - 1]].gpus_milli >= 2600);
    free(order);
    hsim_trace_fini(&tr);
}

static void test_random_never_oversubscribes_and_repeats(void **state)
{
    static const uint32_t milli[] = {300, 700, 1000, 200, 500};
    hsim_trace_t tr;
    hsim_policy_t p;
    hsim_inflate_t a, b;
    hub_error_t err;
    uint32_t *order;
    size_t n;

    tiny_trace(&tr, milli, 5);
    assert_int_equal(hsim_inflate_sample(&tr, 2000, 300, 3, &order, &n), 0);
    assert_int_equal(hsim_policy_parse("random", &p, &err), 0);
    assert_int_equal(hsim_inflate_run(&tr, &p, order, n, &a, &err), 0);
    assert_int_equal(hsim_inflate_run(&tr, &p, order, n, &b, &err), 0);
    for (size_t k = 0; k < n; k++) {
        assert_true(a.pts[k].alloc <= 1.0 + 1e-9);
        assert_true(a.pts[k].alloc == b.pts[k].alloc);
    }
    hsim_inflate_fini(&a);
    hsim_inflate_fini(&b);
    free(order);
    hsim_trace_fini(&tr);
}

/* ---- select/fgd on a node set up by hand --------------------------------- */

typedef struct fgd_fx {
    hub_conf_t *conf;
    hub_cluster_t *c;
    hub_plugin_t *pl;
    const hub_select_ops_t *ops;
    void *ctx;
} fgd_fx_t;

static void fgd_open(fgd_fx_t *fx)
{
    hub_error_t err;

    fx->conf = hub_conf_parse_string(
        "NodeName=n1 CPUs=64 RealMemory=100000 Gres=gpu:4\n"
        "PartitionName=p Nodes=ALL Default=YES\n",
        "t.conf", &err);
    assert_non_null(fx->conf);
    fx->c = hub_cluster_create(fx->conf, true, &err);
    hub_sched_register_builtins();
    fx->pl = hub_plugin_load(&hub_select_plugin_type, "select/fgd", NULL, &err);
    if (!fx->pl)
        fail_msg("%s", err.text);
    fx->ops = hub_plugin_ops(fx->pl);
    assert_int_equal(fx->ops->create(&fx->ctx, fx->conf, &err), 0);
}

static void fgd_close(fgd_fx_t *fx)
{
    fx->ops->destroy(fx->ctx);
    hub_plugin_unload(fx->pl);
    hub_cluster_destroy(fx->c);
    hub_conf_destroy(fx->conf);
}

/* Ask for a one-task job of id and milli-GPUs; fills *out. */
static int fgd_ask(fgd_fx_t *fx, hub_job_id_t id, uint32_t milli,
                   hub_alloc_t *out)
{
    uint32_t cand = 0;
    hub_job_t job = {.id = id};
    hub_place_req_t pr = {
        .cluster = fx->c, .job = &job, .cand = &cand, .ncand = 1};

    job.req.ntasks = job.req.nodes_min = job.req.nodes_max = 1;
    job.req.gpus_per_node_milli = milli;
    memset(out, 0, sizeof(*out));
    return fx->ops->place(fx->ctx, &pr, out);
}

/* GPU frees 600 and 400 (the others full); whole-GPU and 0.3-GPU tasks
 * are the workload. A 0.3 task on the 400 GPU (best fit) would leave 100
 * nobody can use; on the 600 GPU it leaves 300, a whole task's worth for
 * the 0.3 tasks: FGD takes GPU 0. */
static void test_fgd_leaves_remainders_the_workload_can_use(void **state)
{
    hub_alloc_node_t an = {
        .node = 0, .cpus = 1, .gpu_milli = {400, 600, 1000, 1000}};
    hub_alloc_t taken = {1, &an}, out;
    fgd_fx_t fx;

    fgd_open(&fx);
    /* the workload seen so far: one 0.3-GPU task, three whole-GPU ones */
    static const uint32_t seen[] = {300, 1000, 1000, 1000};
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(fgd_ask(&fx, i + 1, seen[i], &out), 0);
        free(out.nodes);
    }
    assert_int_equal(hub_cluster_take(fx.c, &taken, false), 0);
    assert_int_equal(fgd_ask(&fx, 5, 300, &out), 0);
    assert_int_equal(out.nnodes, 1);
    assert_int_equal(out.nodes[0].gpu_milli[0], 300);
    assert_int_equal(out.nodes[0].gpu_milli[1], 0);
    free(out.nodes);
    fgd_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inflation_by_hand_with_bestfit),
        cmocka_unit_test(test_sampling_stops_once_the_demand_is_reached),
        cmocka_unit_test(test_random_never_oversubscribes_and_repeats),
        cmocka_unit_test(test_fgd_leaves_remainders_the_workload_can_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_select_bestfit.c - select/bestfit: where jobs land, and why not. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "plugins.h"

extern const hub_plugin_desc_t hub_select_bestfit_desc;

typedef struct fixture {
    hub_conf_t *conf;
    hub_cluster_t *c;
    const hub_select_ops_t *ops;
    void *ctx;
    uint32_t *cand;
    uint32_t ncand;
    const int64_t *deadline;
    int64_t end_ms;
} fixture_t;

static fixture_t *fixture_new(const char *text)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    hub_error_t err;

    fx->conf = hub_conf_parse_string(text, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->c = hub_cluster_create(fx->conf, true, &err);
    assert_non_null(fx->c);
    fx->ops = hub_select_bestfit_desc.ops;
    assert_int_equal(fx->ops->create(&fx->ctx, fx->conf, &err), 0);
    fx->cand = calloc(fx->c->nnodes, sizeof(*fx->cand));
    for (uint32_t i = 0; i < fx->c->nnodes; i++)
        fx->cand[i] = i;
    fx->ncand = fx->c->nnodes;
    return fx;
}

static void fixture_free(fixture_t *fx)
{
    fx->ops->destroy(fx->ctx);
    free(fx->cand);
    hub_cluster_destroy(fx->c);
    hub_conf_destroy(fx->conf);
    free(fx);
}

static int teardown(void **state)
{
    if (*state)
        fixture_free(*state);
    return 0;
}

/* Eight 8-GPU nodes in two NVLink domains of four, 16 CPUs, 64 GB. */
static int setup_gpu8(void **state)
{
    *state = fixture_new("NodeName=n[1-4] CPUs=16 RealMemory=64000 "
                         "Gres=gpu:8 NVLink=4\n");
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
        .cluster = fx->c,
        .job = &job,
        .cand = fx->cand,
        .ncand = fx->ncand,
        .node_deadline_ms = fx->deadline,
        .end_ms = fx->end_ms,
    };

    memset(&job, 0, sizeof(job));
    job.req = *req;
    memset(out, 0, sizeof(*out));
    return fx->ops->place(fx->ctx, &pr, out);
}

/* Place req and take the result; returns the first node. */
static uint32_t place_take(fixture_t *fx, const hub_job_req_t *req,
                           hub_alloc_t *out)
{
    assert_int_equal(place(fx, req, out), 0);
    assert_int_equal(hub_cluster_take(fx->c, out, req->exclusive), 0);
    return out->nodes[0].node;
}

/* Occupy `whole` GPUs of node, from GPU `first` up, with one CPU. */
static void occupy(fixture_t *fx, uint32_t node, int first, int whole)
{
    hub_alloc_node_t an;
    hub_alloc_t alloc = {1, &an};

    memset(&an, 0, sizeof(an));
    an.node = node;
    an.cpus = 1;
    for (int g = first; g < first + whole; g++)
        an.gpu_milli[g] = HUB_GPU_MILLI;
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), 0);
}

static void occupy_milli(fixture_t *fx, uint32_t node, int g, uint16_t milli)
{
    hub_alloc_node_t an;
    hub_alloc_t alloc = {1, &an};

    memset(&an, 0, sizeof(an));
    an.node = node;
    an.cpus = 1;
    an.gpu_milli[g] = milli;
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), 0);
}

static uint32_t gpus_taken(const hub_alloc_node_t *an)
{
    uint32_t sum = 0;
    for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
        sum += an->gpu_milli[g];
    return sum;
}

static void test_bestfit_picks_fullest_node_that_fits(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t one = req_gpus(1, 1000), three = req_gpus(1, 3000);
    hub_alloc_t out;

    occupy(fx, 0, 0, 6); /* n1: 2 idle */
    occupy(fx, 1, 0, 4); /* n2: 4 idle */
    occupy(fx, 3, 0, 7); /* n4: 1 idle */
    assert_int_equal(place(fx, &one, &out), 0);
    assert_int_equal(out.nnodes, 1);
    assert_int_equal(out.nodes[0].node, 3);
    assert_int_equal(out.nodes[0].gpu_milli[7], HUB_GPU_MILLI);
    assert_int_equal(out.nodes[0].cpus, 1);
    free(out.nodes);
    assert_int_equal(place(fx, &three, &out), 0);
    assert_int_equal(out.nodes[0].node, 1);
    assert_int_equal(gpus_taken(&out.nodes[0]), 3000);
    free(out.nodes);
}

static void test_place_leaves_cluster_unchanged(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t two = req_gpus(2, 4000);
    hub_cluster_t *before;
    hub_alloc_t out;

    occupy(fx, 2, 0, 3);
    before = hub_cluster_clone(fx->c);
    assert_int_equal(place(fx, &two, &out), 0);
    assert_memory_equal(fx->c->nodes, before->nodes,
                        fx->c->nnodes * sizeof(*fx->c->nodes));
    free(out.nodes);
    hub_cluster_destroy(before);
}

static void test_four_quarter_jobs_pack_on_one_gpu(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t quarter = req_gpus(1, 250);
    hub_alloc_t out[4];
    int gpu = -1;

    for (int j = 0; j < 4; j++) {
        place_take(fx, &quarter, &out[j]);
        for (int g = 0; g < 8; g++) {
            if (out[j].nodes[0].gpu_milli[g] == 250 && gpu < 0)
                gpu = g;
        }
        assert_int_equal(out[j].nodes[0].node, out[0].nodes[0].node);
        assert_int_equal(out[j].nodes[0].gpu_milli[gpu], 250);
        assert_int_equal(gpus_taken(&out[j].nodes[0]), 250);
    }
    assert_int_equal(fx->c->nodes[out[0].nodes[0].node].gpus_idle, 7);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 1000), 0);
    for (int j = 0; j < 4; j++)
        free(out[j].nodes);
}

static void test_half_job_joins_partly_used_gpu_not_fresh_one(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t half = req_gpus(1, 500);
    hub_alloc_t out;

    occupy_milli(fx, 2, 5, 250); /* n3 GPU 5: 750 free */
    occupy_milli(fx, 1, 3, 500); /* n2 GPU 3: 500 free, the tightest */
    occupy(fx, 0, 0, 7);         /* n1: one idle GPU, the fullest node */
    assert_int_equal(place(fx, &half, &out), 0);
    assert_int_equal(out.nodes[0].node, 1);
    assert_int_equal(out.nodes[0].gpu_milli[3], 500);
    assert_int_equal(gpus_taken(&out.nodes[0]), 500);
    free(out.nodes);
}

static void test_fraction_of_job_total_packs_like_per_node(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(1, 0);
    hub_alloc_t out;

    r.gpus_milli = 250;
    occupy_milli(fx, 3, 6, 700);
    assert_int_equal(place(fx, &r, &out), 0);
    assert_int_equal(out.nodes[0].node, 3);
    assert_int_equal(out.nodes[0].gpu_milli[6], 250);
    free(out.nodes);
}

static void test_whole_gpus_come_from_one_nvlink_domain(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t three = req_gpus(1, 3000), four = req_gpus(1, 4000);
    hub_alloc_t out;

    for (uint32_t n = 1; n < 4; n++)
        occupy(fx, n, 0, 8); /* only n1 is free */
    occupy(fx, 0, 0, 1);     /* domain 0: GPUs 1-3 idle, domain 1: 4-7 */
    assert_int_equal(place(fx, &three, &out), 0);
    for (int g = 1; g <= 3; g++)
        assert_int_equal(out.nodes[0].gpu_milli[g], HUB_GPU_MILLI);
    assert_int_equal(gpus_taken(&out.nodes[0]), 3000);
    free(out.nodes);
    assert_int_equal(place(fx, &four, &out), 0);
    for (int g = 4; g <= 7; g++)
        assert_int_equal(out.nodes[0].gpu_milli[g], HUB_GPU_MILLI);
    assert_int_equal(gpus_taken(&out.nodes[0]), 4000);
    free(out.nodes);
}

static void test_gpus_span_domains_only_when_none_has_enough(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t five = req_gpus(1, 5000);
    hub_alloc_t out;

    for (uint32_t n = 1; n < 4; n++)
        occupy(fx, n, 0, 8);
    occupy(fx, 0, 0, 1);
    assert_int_equal(place(fx, &five, &out), 0);
    /* the whole idle domain 1, then one of domain 0 */
    for (int g = 4; g <= 7; g++)
        assert_int_equal(out.nodes[0].gpu_milli[g], HUB_GPU_MILLI);
    assert_int_equal(gpus_taken(&out.nodes[0]), 5000);
    free(out.nodes);
}

static void test_cpu_only_job_prefers_node_without_gpus(void **state)
{
    fixture_t *fx = fixture_new("NodeName=g1 CPUs=16 Gres=gpu:8\n"
                                "NodeName=c1 CPUs=16\n");
    hub_job_req_t cpu = req_gpus(1, 0);
    hub_alloc_t out;

    *state = fx;
    cpu.ntasks = 4;
    assert_int_equal(place(fx, &cpu, &out), 0);
    assert_int_equal(out.nodes[0].node, 1);
    assert_int_equal(out.nodes[0].cpus, 4);
    free(out.nodes);
}

static void test_equal_nodes_go_by_weight_then_index(void **state)
{
    fixture_t *fx = fixture_new("NodeName=a[1-2] CPUs=8 Gres=gpu:4\n"
                                "NodeName=b1 CPUs=8 Gres=gpu:4 Weight=0\n");
    hub_job_req_t one = req_gpus(1, 1000);
    hub_alloc_t out;

    *state = fx;
    assert_int_equal(place(fx, &one, &out), 0);
    assert_int_equal(out.nodes[0].node, 2);
    free(out.nodes);
    fx->ncand = 2; /* a1, a2 only */
    assert_int_equal(place(fx, &one, &out), 0);
    assert_int_equal(out.nodes[0].node, 0);
    free(out.nodes);
}

static int setup_hubs(void **state)
{
    *state = fixture_new("HubName=a\nHubName=b\nHubName=c\n"
                         "NodeName=a[1-2] Hub=a CPUs=16 Gres=gpu:8\n"
                         "NodeName=b[1-2] Hub=b CPUs=16 Gres=gpu:8\n"
                         "NodeName=c[1-2] Hub=c CPUs=16 Gres=gpu:8\n");
    return 0;
}

static void test_job_never_spans_hubs(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t two = req_gpus(2, 8000);
    hub_alloc_t out;

    occupy(fx, 0, 0, 1); /* a1 busy: hub a has one free node */
    occupy(fx, 3, 0, 1); /* b2 busy: hub b has one free node */
    fx->ncand = 4;       /* hubs a and b only */
    assert_int_equal(place(fx, &two, &out), -EAGAIN);
    fx->ncand = 6; /* hub c has two free nodes */
    assert_int_equal(place(fx, &two, &out), 0);
    assert_int_equal(out.nnodes, 2);
    assert_int_equal(fx->c->nodes[out.nodes[0].node].hub, 2);
    assert_int_equal(fx->c->nodes[out.nodes[1].node].hub, 2);
    assert_int_equal(gpus_taken(&out.nodes[0]), 8000);
    assert_int_equal(gpus_taken(&out.nodes[1]), 8000);
    free(out.nodes);
}

static void test_multi_node_job_picks_fullest_hub(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t two = req_gpus(2, 2000);
    hub_alloc_t out;

    occupy(fx, 2, 0, 5); /* b1: 3 idle */
    occupy(fx, 3, 0, 6); /* b2: 2 idle */
    assert_int_equal(place(fx, &two, &out), 0);
    assert_int_equal(out.nnodes, 2);
    assert_int_equal(fx->c->nodes[out.nodes[0].node].hub, 1);
    assert_int_equal(fx->c->nodes[out.nodes[1].node].hub, 1);
    free(out.nodes);
}

static void test_exclusive_takes_smallest_whole_free_node(void **state)
{
    fixture_t *fx = fixture_new("NodeName=big CPUs=64 RealMemory=512000 "
                                "Gres=gpu:8\n"
                                "NodeName=small[1-2] CPUs=16 "
                                "RealMemory=64000 Gres=gpu:2\n");
    hub_job_req_t excl = req_gpus(1, 1000), small = req_gpus(1, 1000);
    hub_alloc_t out, other;

    *state = fx;
    excl.exclusive = true;
    occupy(fx, 1, 0, 1); /* small1 has a job: not whole */
    assert_int_equal(place_take(fx, &excl, &out), 2);
    assert_int_equal(out.nodes[0].cpus, 16);
    assert_int_equal(out.nodes[0].mem_mb, 64000);
    assert_int_equal(gpus_taken(&out.nodes[0]), 2000);
    assert_false(hub_node_usable(&fx->c->nodes[2]));
    /* small2 is held whole now; a 1-GPU job goes to small1 */
    assert_int_equal(place(fx, &small, &other), 0);
    assert_int_equal(other.nodes[0].node, 1);
    free(other.nodes);
    free(out.nodes);
}

static void test_deadline_keeps_job_off_reserved_node(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t one = req_gpus(1, 1000);
    int64_t deadline[4] = {1000, 5000, 5000, 5000};
    hub_alloc_t out;

    occupy(fx, 0, 0, 7); /* n1, the best fit, is reserved from t=1000 */
    fx->deadline = deadline;
    fx->end_ms = 2000;
    assert_int_equal(place(fx, &one, &out), 0);
    assert_int_not_equal(out.nodes[0].node, 0);
    free(out.nodes);
    fx->end_ms = 1000; /* ends as the reservation starts: allowed */
    assert_int_equal(place(fx, &one, &out), 0);
    assert_int_equal(out.nodes[0].node, 0);
    free(out.nodes);
    fx->end_ms = 6000;
    assert_int_equal(place(fx, &one, &out), -EAGAIN);
}

static void test_never_fits_is_enospc_not_now_is_eagain(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t sixteen = req_gpus(1, 16000), five = req_gpus(5, 1000);
    hub_job_req_t cpus = req_gpus(1, 0), mem = req_gpus(1, 0);
    hub_job_req_t eight = req_gpus(1, 8000), mixed = req_gpus(1, 7500);
    hub_alloc_t out;

    cpus.ntasks = 17;
    mem.mem_per_node_mb = 64001;
    assert_int_equal(place(fx, &sixteen, &out), -ENOSPC);
    assert_int_equal(place(fx, &five, &out), -ENOSPC);
    assert_int_equal(place(fx, &cpus, &out), -ENOSPC);
    assert_int_equal(place(fx, &mem, &out), -ENOSPC);
    for (uint32_t n = 0; n < 4; n++)
        occupy_milli(fx, n, 0, 500); /* 7 idle GPUs and a half */
    assert_int_equal(place(fx, &eight, &out), -EAGAIN);
    assert_int_equal(place(fx, &mixed, &out), 0);
    assert_int_equal(out.nodes[0].gpu_milli[0], 500);
    assert_int_equal(gpus_taken(&out.nodes[0]), 7500);
    free(out.nodes);
    fx->ncand = 0;
    assert_int_equal(place(fx, &eight, &out), -ENOSPC);
}

static void test_tasks_per_node_job_fills_given_nodes(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(3, 8000);
    hub_alloc_t out;

    r.ntasks = 24;
    r.ntasks_per_node = 8;
    r.cpus_per_task = 2;
    occupy(fx, 0, 0, 1); /* n1 lacks a GPU */
    assert_int_equal(place(fx, &r, &out), 0);
    assert_int_equal(out.nnodes, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_not_equal(out.nodes[i].node, 0);
        assert_int_equal(out.nodes[i].cpus, 16);
        assert_int_equal(gpus_taken(&out.nodes[i]), 8000);
    }
    free(out.nodes);
}

static void test_flexible_tasks_use_fewest_nodes_and_tightest_tail(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(1, 0);
    hub_alloc_t out;

    r.ntasks = 24;
    r.nodes_max = 4;
    occupy(fx, 1, 0, 0); /* n2: 15 CPUs free */
    for (int i = 0; i < 8; i++)
        occupy(fx, 2, 0, 0); /* n3: 8 CPUs free */
    assert_int_equal(place(fx, &r, &out), 0);
    assert_int_equal(out.nnodes, 2);
    assert_int_equal(out.nodes[0].cpus + out.nodes[1].cpus, 24);
    /* 16 on a free node, the last 8 on n3, which has exactly 8 free */
    assert_int_equal(out.nodes[0].cpus, 16);
    assert_int_equal(out.nodes[1].node, 2);
    assert_int_equal(out.nodes[1].cpus, 8);
    free(out.nodes);
}

static void test_job_gpu_total_spreads_over_nodes(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t r = req_gpus(1, 0);
    hub_alloc_t out;

    r.gpus_milli = 12000;
    r.ntasks = 2;
    r.nodes_max = 2;
    occupy(fx, 3, 0, 4); /* n4: 4 idle, takes the remainder */
    assert_int_equal(place(fx, &r, &out), 0);
    assert_int_equal(out.nnodes, 2);
    assert_int_equal(gpus_taken(&out.nodes[0]), 8000);
    assert_int_equal(out.nodes[1].node, 3);
    assert_int_equal(gpus_taken(&out.nodes[1]), 4000);
    free(out.nodes);
}

static void test_down_drained_and_exclusive_nodes_are_skipped(void **state)
{
    fixture_t *fx = *state;
    hub_job_req_t one = req_gpus(1, 1000);
    hub_alloc_t out;

    fx->c->nodes[0].state = HUB_NODE_DOWN;
    fx->c->nodes[1].state = HUB_NODE_DRAIN;
    fx->c->nodes[2].exclusive = true;
    assert_int_equal(place(fx, &one, &out), 0);
    assert_int_equal(out.nodes[0].node, 3);
    free(out.nodes);
    fx->c->nodes[3].state = HUB_NODE_UNKNOWN;
    assert_int_equal(place(fx, &one, &out), -EAGAIN);
}

/* 1,000 nodes x 8 GPUs: fill with 1-GPU jobs, then ask on a full cluster.
 * A sanity check of the fast paths, not a timing. */
static void test_fills_large_cluster_gpu_by_gpu(void **state)
{
    fixture_t *fx = fixture_new("NodeName=n[0001-1000] CPUs=64 "
                                "RealMemory=512000 Gres=gpu:8 NVLink=4\n");
    hub_job_req_t one = req_gpus(1, 1000), two = req_gpus(2, 8000);
    hub_alloc_t out;
    uint32_t placed = 0;

    *state = fx;
    while (place(fx, &one, &out) == 0) {
        assert_int_equal(hub_cluster_take(fx->c, &out, false), 0);
        /* best fit fills one node before starting the next */
        assert_int_equal(out.nodes[0].node, placed / 8);
        free(out.nodes);
        placed++;
    }
    assert_int_equal(placed, 8000);
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(place(fx, &one, &out), -EAGAIN);
        assert_int_equal(place(fx, &two, &out), -EAGAIN);
    }
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static int setup_none(void **state)
{
    *state = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bestfit_picks_fullest_node_that_fits, setup_gpu8),
        T(test_place_leaves_cluster_unchanged, setup_gpu8),
        T(test_four_quarter_jobs_pack_on_one_gpu, setup_gpu8),
        T(test_half_job_joins_partly_used_gpu_not_fresh_one, setup_gpu8),
        T(test_fraction_of_job_total_packs_like_per_node, setup_gpu8),
        T(test_whole_gpus_come_from_one_nvlink_domain, setup_gpu8),
        T(test_gpus_span_domains_only_when_none_has_enough, setup_gpu8),
        T(test_cpu_only_job_prefers_node_without_gpus, setup_none),
        T(test_equal_nodes_go_by_weight_then_index, setup_none),
        T(test_job_never_spans_hubs, setup_hubs),
        T(test_multi_node_job_picks_fullest_hub, setup_hubs),
        T(test_exclusive_takes_smallest_whole_free_node, setup_none),
        T(test_deadline_keeps_job_off_reserved_node, setup_gpu8),
        T(test_never_fits_is_enospc_not_now_is_eagain, setup_gpu8),
        T(test_tasks_per_node_job_fills_given_nodes, setup_gpu8),
        T(test_flexible_tasks_use_fewest_nodes_and_tightest_tail, setup_gpu8),
        T(test_job_gpu_total_spreads_over_nodes, setup_gpu8),
        T(test_down_drained_and_exclusive_nodes_are_skipped, setup_gpu8),
        T(test_fills_large_cluster_gpu_by_gpu, setup_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

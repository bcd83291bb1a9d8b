/* test_hubsel.c - hubsel/cost scores by hand, its latency SLO filter,
 * hubsel/local's order, and submissions no hub can serve refused. */
#include "cmocka_all.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "plugins.h"
#include "sched.h"

extern const hub_plugin_desc_t hub_hubsel_cost_desc;
extern const hub_plugin_desc_t hub_hubsel_local_desc;

/* Two hubs, one 8-GPU node each, 500 W GPUs, a 30 ms link. */
static const char conf_text[] =
    "CostWeightEnergy=1\nCostWeightCarbon=2\nCostWeightTransfer=1\n"
    "CostWeightWait=1\n"
    "GpuType=g PeakTFLOPS_BF16=100 PowerW=500\n"
    "HubName=west Region=west PUE=1.2 PowerPrice=0.10 CarbonIntensity=200\n"
    "HubName=east Region=east PUE=1.5 PowerPrice=0.40 CarbonIntensity=500\n"
    "HubLink=west,east LatencyMs=30 BandwidthGbps=100 TransferCost=0.05\n"
    "NodeName=w1 Hub=west CPUs=8 Gres=gpu:g:8\n"
    "NodeName=e1 Hub=east CPUs=8 Gres=gpu:g:8\n"
    "PartitionName=all Nodes=ALL Default=YES\n";

typedef struct fixture {
    hub_conf_t *conf;
    hub_cluster_t *c;
    const hub_hubsel_ops_t *ops;
    void *ctx;
    hub_hubsel_score_t out[2];
    bool any;
} fixture_t;

static fixture_t *fixture_new(const hub_plugin_desc_t *desc)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    hub_error_t err;

    fx->conf = hub_conf_parse_string(conf_text, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->c = hub_cluster_create(fx->conf, true, &err);
    assert_non_null(fx->c);
    fx->ops = desc->ops;
    assert_int_equal(fx->ops->create(&fx->ctx, fx->conf, &err), 0);
    return fx;
}

static void fixture_free(fixture_t *fx)
{
    fx->ops->destroy(fx->ctx);
    hub_cluster_destroy(fx->c);
    hub_conf_destroy(fx->conf);
    free(fx);
}

static int rank(fixture_t *fx, const hub_job_t *job)
{
    hub_hubsel_view_t v = {.cluster = fx->c, .mean_limit_s = 3600};
    return fx->ops->rank(fx->ctx, &v, job, fx->out, &fx->any);
}

/* 4 GPUs for 2 h, data in east. west: 4.8 kWh -> energy 0.48, carbon
 * 2 x 0.96 = 1.92, transfer 0.05 x 100 GB = 5: 7.4. east: 6 kWh ->
 * energy 2.4, carbon 2 x 3 = 6, transfer 0: 8.4. */
static void test_cost_scores_energy_carbon_transfer(void **state)
{
    fixture_t *fx = fixture_new(&hub_hubsel_cost_desc);
    hub_job_t job = {0};

    job.req.kind = HUB_KIND_TRAIN;
    job.req.gpus_per_node_milli = 4000;
    job.req.nodes_min = 1;
    job.req.time_limit_s = 7200;
    strcpy(job.req.data_hub, "east");
    assert_int_equal(rank(fx, &job), 2);
    assert_false(fx->any);
    assert_int_equal(fx->out[0].hub, 0);
    assert_true(fabs(fx->out[0].energy - 0.48) < 1e-9);
    assert_true(fabs(fx->out[0].carbon - 1.92) < 1e-9);
    assert_true(fabs(fx->out[0].transfer - 5.0) < 1e-9);
    assert_true(fabs(fx->out[0].wait) < 1e-9);
    assert_true(fabs(fx->out[0].score - 7.4) < 1e-9);
    assert_int_equal(fx->out[1].hub, 1);
    assert_true(fabs(fx->out[1].score - 8.4) < 1e-9);
    fixture_free(fx);
}

/* A full hub gets a wait term: (pending 0 + 4 GPUs) / 8 x 1 h = 0.5. */
static void test_cost_prices_wait_on_full_hub(void **state)
{
    fixture_t *fx = fixture_new(&hub_hubsel_cost_desc);
    hub_job_t job = {0};

    job.req.gpus_milli = 4000;
    job.req.time_limit_s = 3600;
    fx->c->nodes[0].gpu_milli_free = 0;
    assert_int_equal(rank(fx, &job), 2);
    assert_int_equal(fx->out[0].hub, 0);
    assert_true(fabs(fx->out[0].wait - 0.5) < 1e-9);
    assert_true(fabs(fx->out[1].wait) < 1e-9);
    fixture_free(fx);
}

static void test_cost_slo_leaves_out_far_hubs(void **state)
{
    fixture_t *fx = fixture_new(&hub_hubsel_cost_desc);
    hub_job_t job = {0};

    job.req.kind = HUB_KIND_INFER;
    job.req.gpus_milli = 1000;
    strcpy(job.req.region, "east");
    job.req.latency_slo_ms = 20; /* the link is 30 ms: east only */
    assert_int_equal(rank(fx, &job), 1);
    assert_int_equal(fx->out[0].hub, 1);
    job.req.latency_slo_ms = 50; /* both; west is cheaper */
    assert_int_equal(rank(fx, &job), 2);
    assert_int_equal(fx->out[0].hub, 0);
    strcpy(job.req.region, "north"); /* no hub reaches it */
    assert_int_equal(rank(fx, &job), 0);
    fixture_free(fx);
}

static void test_local_lists_hubs_in_order_as_any(void **state)
{
    fixture_t *fx = fixture_new(&hub_hubsel_local_desc);
    hub_job_t job = {0};

    strcpy(job.req.region, "east");
    job.req.latency_slo_ms = 1;
    assert_int_equal(rank(fx, &job), 2);
    assert_true(fx->any);
    assert_int_equal(fx->out[0].hub, 0);
    assert_int_equal(fx->out[1].hub, 1);
    fixture_free(fx);
}

/* ---- at submission: hub_sched_validate ---------------------------------- */

/* west and east hold a node each; south, where some users are, has no
 * node, 40 ms from west and 60 ms from east. */
static const char slo_conf[] =
    "SchedulerType=sched/fifo\nSelectType=select/bestfit\n"
    "HubSelectType=hubsel/cost\n"
    "GpuType=g PeakTFLOPS_BF16=100 PowerW=500\n"
    "HubName=west Region=west\nHubName=east Region=east\n"
    "HubName=south Region=south\n"
    "HubLink=west,east LatencyMs=30 BandwidthGbps=100\n"
    "HubLink=west,south LatencyMs=40 BandwidthGbps=100\n"
    "HubLink=east,south LatencyMs=60 BandwidthGbps=100\n"
    "NodeName=w1 Hub=west CPUs=8 Gres=gpu:g:8\n"
    "NodeName=e1 Hub=east CPUs=8 Gres=gpu:g:8\n"
    "PartitionName=all Nodes=ALL Default=YES\n";

/* Validate one GPU for an inference job of region within slo_ms, on hub
 * ("": the plugin's choice). */
static int validate_slo_on(const char *hub, const char *region, uint32_t slo_ms,
                           hub_error_t *err)
{
    hub_error_t e;
    hub_conf_t *conf = hub_conf_parse_string(slo_conf, "test.conf", &e);
    hub_sched_opts_t opts = {.nodes_up = true};
    hub_sched_t *s;
    hub_job_req_t req;
    int rc;

    if (!conf)
        fail_msg("conf: %s", e.text);
    if (!(s = hub_sched_create(conf, &opts, &e)))
        fail_msg("sched: %s", e.text);
    memset(&req, 0, sizeof(req));
    req.kind = HUB_KIND_INFER;
    req.gpus_milli = 1000;
    snprintf(req.region, sizeof(req.region), "%s", region);
    snprintf(req.hub, sizeof(req.hub), "%s", hub);
    req.latency_slo_ms = slo_ms;
    rc = hub_sched_validate(s, &req, err);
    hub_sched_destroy(s);
    hub_conf_destroy(conf);
    return rc;
}

static int validate_slo(const char *region, uint32_t slo_ms, hub_error_t *err)
{
    return validate_slo_on("", region, slo_ms, err);
}

/* south itself meets 20 ms but has no node; west, the nearest hub with
 * one, is 40 ms away: refused, naming the SLO, the region and 40 ms. */
static void test_submit_refuses_slo_no_hub_can_meet(void **state)
{
    hub_error_t err;

    assert_int_equal(validate_slo("south", 20, &err), -EINVAL);
    assert_non_null(strstr(err.text, "--latency-slo=20ms"));
    assert_non_null(strstr(err.text, "--region=south"));
    assert_non_null(strstr(err.text, "hub 'west' at 40 ms"));
    assert_int_equal(validate_slo("south", 50, &err), 0);
    assert_int_equal(validate_slo("east", 20, &err), 0);
}

static void test_submit_refuses_region_no_hub_reaches(void **state)
{
    hub_error_t err;

    assert_int_equal(validate_slo("mars", 100, &err), -EINVAL);
    assert_non_null(strstr(err.text, "in or linked to --region=mars"));
}

/* --hub with an SLO the hub cannot meet contradicts itself: refused,
 * naming the hub, its latency, the region and the SLO. */
static void test_submit_refuses_named_hub_beyond_slo(void **state)
{
    hub_error_t err;

    assert_int_equal(validate_slo_on("east", "south", 50, &err), -EINVAL);
    assert_non_null(
        strstr(err.text, "--hub=east is 60 ms from --region=south"));
    assert_non_null(strstr(err.text, "--latency-slo=50ms"));
    assert_int_equal(validate_slo_on("east", "mars", 50, &err), -EINVAL);
    assert_non_null(strstr(err.text, "neither in nor linked to --region=mars"));
    assert_int_equal(validate_slo_on("west", "south", 50, &err), 0);
    assert_int_equal(validate_slo_on("east", "south", 0, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_scores_energy_carbon_transfer),
        cmocka_unit_test(test_cost_prices_wait_on_full_hub),
        cmocka_unit_test(test_cost_slo_leaves_out_far_hubs),
        cmocka_unit_test(test_local_lists_hubs_in_order_as_any),
        cmocka_unit_test(test_submit_refuses_slo_no_hub_can_meet),
        cmocka_unit_test(test_submit_refuses_region_no_hub_reaches),
        cmocka_unit_test(test_submit_refuses_named_hub_beyond_slo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

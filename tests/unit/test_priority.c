/* test_priority.c - priority/basic and priority/multifactor: each factor by
 * hand, nice, weights, explain(), and fair-share with decayed usage, all on
 * a fixed clock (every call gets its now_ms explicitly).
 */
#include "cmocka_all.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "job.h"
#include "plugins.h"

extern const hub_plugin_desc_t hub_priority_basic_desc;
extern const hub_plugin_desc_t hub_priority_multifactor_desc;

#define T0 INT64_C(1700000000000) /* the fixed clock's start, ms */
#define HOUR_MS INT64_C(3600000)
#define EPS 1e-9

/* 4 nodes x 32 CPUs x 8 GPUs: 128 CPUs and 32 GPUs in all. */
static const char cluster_text[] =
    "NodeName=n[1-4] CPUs=32 Gres=gpu:8\n"
    "PartitionName=batch Nodes=n[1-4] Default=YES PriorityJobFactor=1\n"
    "PartitionName=urgent Nodes=n[1-2] PriorityJobFactor=4\n";

/* Distinct weights, so that each factor's part of a sum can be told. */
static const char weights_text[] = "PriorityWeightAge=1000\n"
                                   "PriorityWeightJobSize=2000\n"
                                   "PriorityWeightPartition=4000\n"
                                   "PriorityWeightFairshare=8000\n"
                                   "PriorityMaxAge=1d\n"
                                   "PriorityDecayHalfLife=2h\n";

typedef struct fixture {
    hub_conf_t *conf;
    const hub_priority_ops_t *ops;
    void *ctx;
} fixture_t;

static void open_plugin(fixture_t *fx, const hub_plugin_desc_t *desc,
                        const char *globals)
{
    char text[2048];
    hub_error_t err = {{0}};

    snprintf(text, sizeof(text), "%s%s", globals, cluster_text);
    fx->conf = hub_conf_parse_string(text, "test.conf", &err);
    if (!fx->conf)
        fail_msg("hub.conf: %s", err.text);
    fx->ops = desc->ops;
    assert_int_equal(fx->ops->create(&fx->ctx, fx->conf, &err), 0);
}

static void close_plugin(fixture_t *fx)
{
    fx->ops->destroy(fx->ctx);
    hub_conf_destroy(fx->conf);
}

/* A one-task, one-CPU job of uid in account, submitted and eligible at
 * T0, in the default partition. */
static hub_job_t job_of(uint32_t uid, const char *account)
{
    hub_job_t job;

    memset(&job, 0, sizeof(job));
    job.id = uid;
    job.uid = uid;
    job.array_task_id = -1;
    snprintf(job.req.account, sizeof(job.req.account), "%s", account);
    hub_job_req_defaults(&job.req);
    job.submit_ms = T0;
    job.eligible_ms = T0;
    return job;
}

static int64_t prio(fixture_t *fx, const hub_job_t *job, int64_t now_ms)
{
    return fx->ops->priority(fx->ctx, job, now_ms);
}

/* explain()'s factors.<factor>.<key>. */
static double explained(fixture_t *fx, const hub_job_t *job, int64_t now_ms,
                        const char *factor, const char *key)
{
    json_t *e = fx->ops->explain(fx->ctx, job, now_ms);
    json_t *v;
    double x;

    assert_non_null(e);
    v = json_object_get(json_object_get(json_object_get(e, "factors"), factor),
                        key);
    if (!json_is_number(v))
        fail_msg("explain has no number factors.%s.%s", factor, key);
    x = json_number_value(v);
    json_decref(e);
    return x;
}

static double factor_of(fixture_t *fx, const hub_job_t *job, int64_t now_ms,
                        const char *factor)
{
    return explained(fx, job, now_ms, factor, "factor");
}

/* ---- priority/basic ---- */

static void test_basic_descriptor_is_priority_basic(void **state)
{
    const hub_plugin_desc_t *d = &hub_priority_basic_desc;
    const hub_priority_ops_t *ops = d->ops;

    assert_int_equal(d->magic, HUB_PLUGIN_MAGIC);
    assert_string_equal(d->type, "priority");
    assert_string_equal(d->name, "basic");
    assert_int_equal(d->abi_major, HUB_PRIORITY_ABI_MAJOR);
    assert_int_equal(d->ops_size, sizeof(hub_priority_ops_t));
    assert_non_null(ops->create);
    assert_non_null(ops->destroy);
    assert_non_null(ops->priority);
    assert_non_null(ops->explain);
    assert_null(ops->charge);
}

static void test_create_refuses_missing_conf(void **state)
{
    hub_error_t err = {{0}};
    const hub_priority_ops_t *ops = hub_priority_basic_desc.ops;
    void *ctx = NULL;

    assert_int_equal(ops->create(&ctx, NULL, &err), -EINVAL);
    assert_true(strlen(err.text) > 0);
    ops = hub_priority_multifactor_desc.ops;
    assert_int_equal(ops->create(&ctx, NULL, &err), -EINVAL);
}

static void test_priority_is_rounded_weighted_sum_by_hand(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    /* age 6h/24h = .25, size 1/128 CPUs, partition batch 1/4:
     * 1000*.25 + 2000/128 + 4000*.25 = 1265.625 */
    assert_true(fabs(factor_of(&fx, &job, T0 + 6 * HOUR_MS, "age") - 0.25) <
                EPS);
    assert_true(fabs(factor_of(&fx, &job, T0, "job_size") - 1.0 / 128) < EPS);
    assert_true(fabs(factor_of(&fx, &job, T0, "partition") - 0.25) < EPS);
    assert_int_equal(prio(&fx, &job, T0 + 6 * HOUR_MS), 1266);
    close_plugin(&fx);
}

static void test_age_saturates_at_max_age(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    assert_true(fabs(factor_of(&fx, &job, T0 + 24 * HOUR_MS, "age") - 1.0) <
                EPS);
    assert_true(fabs(factor_of(&fx, &job, T0 + 900 * HOUR_MS, "age") - 1.0) <
                EPS);
    assert_int_equal(prio(&fx, &job, T0 + 24 * HOUR_MS),
                     prio(&fx, &job, T0 + 900 * HOUR_MS));
    assert_true(prio(&fx, &job, T0 + 12 * HOUR_MS) <
                prio(&fx, &job, T0 + 24 * HOUR_MS));
    close_plugin(&fx);
}

static void test_age_counts_from_eligibility_else_submission(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    job.eligible_ms = 0; /* held or waiting on a dependency */
    assert_true(fabs(factor_of(&fx, &job, T0 + 12 * HOUR_MS, "age") - 0.5) <
                EPS);
    job.eligible_ms = T0 + 12 * HOUR_MS;
    assert_true(fabs(factor_of(&fx, &job, T0 + 18 * HOUR_MS, "age") - 0.25) <
                EPS);
    assert_true(factor_of(&fx, &job, T0, "age") == 0.0); /* not negative */
    close_plugin(&fx);
}

static void test_job_size_is_share_of_cluster_gpus_else_cpus(void **state)
{
    fixture_t fx;
    hub_job_t gpus = job_of(1, "ml"), per_node = gpus, cpus = gpus;
    hub_job_t huge = gpus;

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    gpus.req.gpus_milli = 8 * HUB_GPU_MILLI;
    per_node.req.nodes_min = 2;
    per_node.req.gpus_per_node_milli = 4 * HUB_GPU_MILLI;
    cpus.req.ntasks = 16;
    cpus.req.cpus_per_task = 4;
    huge.req.gpus_milli = 64 * HUB_GPU_MILLI;
    assert_true(fabs(factor_of(&fx, &gpus, T0, "job_size") - 0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &per_node, T0, "job_size") - 0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &cpus, T0, "job_size") - 0.5) < EPS);
    assert_true(fabs(factor_of(&fx, &huge, T0, "job_size") - 1.0) < EPS);
    close_plugin(&fx);
}

static void test_larger_job_ranks_higher_with_only_size_weight(void **state)
{
    fixture_t fx;
    hub_job_t small = job_of(1, "ml"), large = job_of(2, "ml");

    open_plugin(&fx, &hub_priority_basic_desc, "PriorityWeightJobSize=1000\n");
    small.req.gpus_milli = 8 * HUB_GPU_MILLI;
    large.req.gpus_milli = 16 * HUB_GPU_MILLI;
    large.submit_ms = large.eligible_ms = T0 + HOUR_MS; /* younger */
    assert_int_equal(prio(&fx, &small, T0 + 2 * HOUR_MS), 250);
    assert_int_equal(prio(&fx, &large, T0 + 2 * HOUR_MS), 500);
    close_plugin(&fx);
}

static void test_partition_factor_is_job_factor_over_largest(void **state)
{
    fixture_t fx;
    hub_job_t dflt = job_of(1, "ml"), batch = dflt, urgent = dflt;
    hub_job_t unknown = dflt;

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    strcpy(batch.req.partition, "batch");
    strcpy(urgent.req.partition, "urgent");
    strcpy(unknown.req.partition, "nosuch");
    assert_true(fabs(factor_of(&fx, &dflt, T0, "partition") - 0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &batch, T0, "partition") - 0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &urgent, T0, "partition") - 1.0) < EPS);
    assert_true(factor_of(&fx, &unknown, T0, "partition") == 0.0);
    assert_int_equal(prio(&fx, &urgent, T0) - prio(&fx, &batch, T0), 3000);
    close_plugin(&fx);
}

static void test_nice_lowers_priority_but_not_below_zero(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");
    int64_t base;

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    base = prio(&fx, &job, T0);
    job.req.nice = 100;
    assert_int_equal(prio(&fx, &job, T0), base - 100);
    job.req.nice = -100; /* operators may raise a job */
    assert_int_equal(prio(&fx, &job, T0), base + 100);
    job.req.nice = 1000000;
    assert_int_equal(prio(&fx, &job, T0), 0);
    close_plugin(&fx);
}

static void test_all_zero_weights_fall_back_to_defaults(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_basic_desc, "");
    assert_true(explained(&fx, &job, T0, "age", "weight") == 1000.0);
    assert_true(explained(&fx, &job, T0, "job_size", "weight") == 1000.0);
    assert_true(explained(&fx, &job, T0, "partition", "weight") == 1000.0);
    /* age .5 (3.5 of 7 default days), size 1/128, partition .25 */
    assert_int_equal(prio(&fx, &job, T0 + 84 * HOUR_MS), 758);
    close_plugin(&fx);
}

static void test_basic_explain_holds_each_factor_and_weight(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");
    json_t *e, *f;

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    job.req.nice = 5;
    e = fx.ops->explain(fx.ctx, &job, T0 + 6 * HOUR_MS);
    assert_non_null(e);
    assert_int_equal(json_integer_value(json_object_get(e, "priority")),
                     prio(&fx, &job, T0 + 6 * HOUR_MS));
    assert_int_equal(json_integer_value(json_object_get(e, "nice")), 5);
    f = json_object_get(e, "factors");
    assert_true(json_number_value(json_object_get(json_object_get(f, "age"),
                                                  "value")) == 250.0);
    assert_non_null(json_object_get(f, "job_size"));
    assert_non_null(json_object_get(f, "partition"));
    assert_null(json_object_get(f, "fairshare")); /* basic has none */
    json_decref(e);
    close_plugin(&fx);
}

static void test_qos_factor_is_zero_and_weightless_without_qos(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_basic_desc, weights_text);
    strcpy(job.req.qos, "high");
    assert_true(factor_of(&fx, &job, T0, "qos") == 0.0);
    assert_true(explained(&fx, &job, T0, "qos", "weight") == 0.0);
    close_plugin(&fx);
}

/* ---- priority/multifactor ---- */

/* One scheduling pass over jobs at now_ms: begin_pass, then a priority for
 * each, as sched_pass.c does. */
static void pass(fixture_t *fx, hub_job_t *jobs, size_t n, int64_t now_ms)
{
    fx->ops->begin_pass(fx->ctx, now_ms);
    for (size_t i = 0; i < n; i++)
        jobs[i].priority = prio(fx, &jobs[i], now_ms);
}

static void test_multifactor_descriptor_has_fairshare_ops(void **state)
{
    const hub_plugin_desc_t *d = &hub_priority_multifactor_desc;
    const hub_priority_ops_t *ops = d->ops;

    assert_string_equal(d->type, "priority");
    assert_string_equal(d->name, "multifactor");
    assert_int_equal(d->abi_major, HUB_PRIORITY_ABI_MAJOR);
    assert_non_null(ops->begin_pass);
    assert_non_null(ops->charge);
    assert_non_null(ops->explain);
}

static void test_multifactor_keeps_basic_factors(void **state)
{
    fixture_t basic, mf;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&basic, &hub_priority_basic_desc, weights_text);
    open_plugin(&mf, &hub_priority_multifactor_desc, weights_text);
    /* No usage anywhere: fair-share factor 1, worth its full weight. */
    assert_true(factor_of(&mf, &job, T0, "fairshare") == 1.0);
    assert_int_equal(prio(&mf, &job, T0 + 6 * HOUR_MS),
                     prio(&basic, &job, T0 + 6 * HOUR_MS) + 8000);
    close_plugin(&basic);
    close_plugin(&mf);
}

static void test_heavy_user_ranks_below_idle_user(void **state)
{
    fixture_t fx;
    hub_job_t jobs[2] = {job_of(1, "ml"), job_of(2, "ml")};

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &jobs[0], 3600.0 * 8, T0);
    pass(&fx, jobs, 2, T0);
    pass(&fx, jobs, 2, T0); /* uid 2 is seen in "ml" from now on */
    /* S = 1/2 each; U = 1 and 0; UE = 1 and 0 + (1 - 0)/2 */
    assert_true(fabs(factor_of(&fx, &jobs[0], T0, "fairshare") - 0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &jobs[1], T0, "fairshare") - 0.5) < EPS);
    assert_int_equal(jobs[1].priority - jobs[0].priority, 2000);
    close_plugin(&fx);
}

static void test_usage_halves_after_exactly_one_half_life(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");
    double f0;

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &job, 1000.0, T0);
    f0 = factor_of(&fx, &job, T0, "fairshare");
    fx.ops->begin_pass(fx.ctx, T0 + 2 * HOUR_MS);
    assert_true(
        fabs(explained(&fx, &job, T0, "fairshare", "usage_raw") - 500.0) < EPS);
    /* Lazily, over uneven steps, still exact: 2^-(1/4) * 2^-(3/4). */
    fx.ops->begin_pass(fx.ctx, T0 + 2 * HOUR_MS + 30 * 60000);
    fx.ops->begin_pass(fx.ctx, T0 + 4 * HOUR_MS);
    assert_true(
        fabs(explained(&fx, &job, T0, "fairshare", "usage_raw") - 250.0) < EPS);
    /* Decay scales all usage alike: the factor does not move. */
    assert_true(fabs(factor_of(&fx, &job, T0, "fairshare") - f0) < EPS);
    close_plugin(&fx);
}

static void test_charge_adds_to_decayed_usage(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &job, 1000.0, T0);
    fx.ops->charge(fx.ctx, &job, 100.0, T0 + 2 * HOUR_MS);
    assert_true(
        fabs(explained(&fx, &job, T0, "fairshare", "usage_raw") - 600.0) < EPS);
    assert_true(
        fabs(explained(&fx, &job, T0, "fairshare", "account_usage_raw") -
             600.0) < EPS);
    close_plugin(&fx);
}

static void
test_idle_user_of_idle_account_beats_idle_user_of_busy_account(void **state)
{
    fixture_t fx;
    /* heavy and idle share "ml"; other is alone in "bio" */
    hub_job_t jobs[3] = {job_of(1, "ml"), job_of(2, "ml"), job_of(3, "bio")};

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &jobs[0], 1000.0, T0);
    pass(&fx, jobs, 3, T0);
    pass(&fx, jobs, 3, T0);
    /* 2 accounts, 2 users in ml: S = 1/4, 1/4, 1/2.
     * UE = 1, 0 + (1 - 0)/2, 0 -> F = 2^-4, 2^-2, 2^0 */
    assert_true(fabs(explained(&fx, &jobs[0], T0, "fairshare", "shares_norm") -
                     0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &jobs[0], T0, "fairshare") - 0.0625) < EPS);
    assert_true(
        fabs(explained(&fx, &jobs[1], T0, "fairshare", "usage_effective") -
             0.5) < EPS);
    assert_true(fabs(factor_of(&fx, &jobs[1], T0, "fairshare") - 0.25) < EPS);
    assert_true(fabs(factor_of(&fx, &jobs[2], T0, "fairshare") - 1.0) < EPS);
    assert_true(jobs[2].priority > jobs[1].priority);
    assert_true(jobs[1].priority > jobs[0].priority);
    close_plugin(&fx);
}

static void test_same_user_in_two_accounts_has_two_usages(void **state)
{
    fixture_t fx;
    hub_job_t ml = job_of(1, "ml"), bio = job_of(1, "bio");

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &ml, 300.0, T0);
    fx.ops->charge(fx.ctx, &bio, 100.0, T0);
    assert_true(explained(&fx, &ml, T0, "fairshare", "usage_raw") == 300.0);
    assert_true(explained(&fx, &bio, T0, "fairshare", "usage_raw") == 100.0);
    assert_true(explained(&fx, &bio, T0, "fairshare", "usage_norm") == 0.25);
    assert_true(factor_of(&fx, &bio, T0, "fairshare") >
                factor_of(&fx, &ml, T0, "fairshare"));
    close_plugin(&fx);
}

static void test_priced_jobs_do_not_change_shares_until_next_pass(void **state)
{
    fixture_t fx;
    hub_job_t jobs[2] = {job_of(1, "ml"), job_of(2, "ml")};
    int64_t first;

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &jobs[0], 1000.0, T0);
    fx.ops->begin_pass(fx.ctx, T0);
    first = prio(&fx, &jobs[0], T0);
    prio(&fx, &jobs[1], T0); /* uid 2 noted, not yet a sharer */
    assert_int_equal(prio(&fx, &jobs[0], T0), first);
    fx.ops->begin_pass(fx.ctx, T0);
    assert_true(prio(&fx, &jobs[0], T0) < first);
    close_plugin(&fx);
}

static void test_multifactor_explain_holds_fairshare_numbers(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");
    json_t *e, *fs;

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    fx.ops->charge(fx.ctx, &job, 10.0, T0);
    e = fx.ops->explain(fx.ctx, &job, T0);
    assert_non_null(e);
    fs = json_object_get(json_object_get(e, "factors"), "fairshare");
    assert_true(json_number_value(json_object_get(fs, "weight")) == 8000.0);
    assert_true(json_number_value(json_object_get(fs, "factor")) == 0.5);
    assert_true(json_number_value(json_object_get(fs, "shares_norm")) == 1.0);
    assert_true(json_number_value(json_object_get(fs, "usage_norm")) == 1.0);
    assert_int_equal(json_integer_value(json_object_get(fs, "accounts")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(fs, "users_in_account")), 1);
    assert_non_null(json_object_get(json_object_get(e, "factors"), "age"));
    json_decref(e);
    close_plugin(&fx);
}

static void test_many_users_and_accounts_keep_their_own_usage(void **state)
{
    fixture_t fx;
    char acct[16];
    hub_job_t job;

    open_plugin(&fx, &hub_priority_multifactor_desc, weights_text);
    for (uint32_t uid = 1; uid <= 300; uid++) {
        snprintf(acct, sizeof(acct), "a%u", uid % 50);
        job = job_of(uid, acct);
        fx.ops->charge(fx.ctx, &job, uid, T0);
    }
    for (uint32_t uid = 1; uid <= 300; uid += 37) {
        snprintf(acct, sizeof(acct), "a%u", uid % 50);
        job = job_of(uid, acct);
        assert_true(explained(&fx, &job, T0, "fairshare", "usage_raw") ==
                    (double)uid);
        assert_true(explained(&fx, &job, T0, "fairshare", "accounts") == 50.0);
        assert_true(explained(&fx, &job, T0, "fairshare", "users_in_account") ==
                    6.0);
    }
    job = job_of(301, "a7"); /* new user, seen account */
    assert_true(explained(&fx, &job, T0, "fairshare", "users_in_account") ==
                7.0);
    assert_true(explained(&fx, &job, T0, "fairshare", "usage_raw") == 0.0);
    close_plugin(&fx);
}

static void test_zero_half_life_keeps_usage(void **state)
{
    fixture_t fx;
    hub_job_t job = job_of(1, "ml");

    open_plugin(&fx, &hub_priority_multifactor_desc,
                "PriorityDecayHalfLife=0\n");
    fx.ops->charge(fx.ctx, &job, 1000.0, T0);
    fx.ops->begin_pass(fx.ctx, T0 + 900 * HOUR_MS);
    assert_true(explained(&fx, &job, T0, "fairshare", "usage_raw") == 1000.0);
    /* all weights 0 in hub.conf: fair-share takes the default too */
    assert_true(explained(&fx, &job, T0, "fairshare", "weight") == 1000.0);
    close_plugin(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_descriptor_is_priority_basic),
        cmocka_unit_test(test_create_refuses_missing_conf),
        cmocka_unit_test(test_priority_is_rounded_weighted_sum_by_hand),
        cmocka_unit_test(test_age_saturates_at_max_age),
        cmocka_unit_test(test_age_counts_from_eligibility_else_submission),
        cmocka_unit_test(test_job_size_is_share_of_cluster_gpus_else_cpus),
        cmocka_unit_test(test_larger_job_ranks_higher_with_only_size_weight),
        cmocka_unit_test(test_partition_factor_is_job_factor_over_largest),
        cmocka_unit_test(test_nice_lowers_priority_but_not_below_zero),
        cmocka_unit_test(test_all_zero_weights_fall_back_to_defaults),
        cmocka_unit_test(test_basic_explain_holds_each_factor_and_weight),
        cmocka_unit_test(test_qos_factor_is_zero_and_weightless_without_qos),
        cmocka_unit_test(test_multifactor_descriptor_has_fairshare_ops),
        cmocka_unit_test(test_multifactor_keeps_basic_factors),
        cmocka_unit_test(test_heavy_user_ranks_below_idle_user),
        cmocka_unit_test(test_usage_halves_after_exactly_one_half_life),
        cmocka_unit_test(test_charge_adds_to_decayed_usage),
        cmocka_unit_test(
            test_idle_user_of_idle_account_beats_idle_user_of_busy_account),
        cmocka_unit_test(test_same_user_in_two_accounts_has_two_usages),
        cmocka_unit_test(test_priced_jobs_do_not_change_shares_until_next_pass),
        cmocka_unit_test(test_multifactor_explain_holds_fairshare_numbers),
        cmocka_unit_test(test_many_users_and_accounts_keep_their_own_usage),
        cmocka_unit_test(test_zero_half_life_keeps_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

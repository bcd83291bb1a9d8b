/* test_sched.c - libhubsched passes with sched/fifo and sched/backfill:
 * order, backfill and reservations, eligibility (dependencies, holds,
 * limits, array throttles), requeue, and a randomised check that backfill
 * never delays the top job's reservation. A fixed virtual clock drives
 * every test. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "sched.h"

#define SEC 1000 /* ms */
#define MAX_JOBS 256

/* A scheduler on a virtual clock, recording what it starts. */
typedef struct fx {
    hub_conf_t *conf;
    hub_sched_t *s;
    int64_t now;
    hub_clock_t clock;
    hub_job_id_t next_id;
    hub_job_id_t started[MAX_JOBS]; /* in start order */
    uint32_t nstarted;
    uint32_t nupdated; /* job_updated calls */
} fx_t;

static void on_started(void *arg, hub_job_t *job)
{
    fx_t *fx = arg;

    if (fx->nstarted < MAX_JOBS)
        fx->started[fx->nstarted++] = job->id;
}

static void on_updated(void *arg, hub_job_t *job)
{
    ((fx_t *)arg)->nupdated++;
}

/* Clusters of four and of two nodes with 8 GPUs each. */
#define NODES4 "NodeName=n[1-4] CPUs=32 RealMemory=256000 Gres=gpu:8\n"
#define NODES2 "NodeName=n[1-2] CPUs=32 RealMemory=256000 Gres=gpu:8\n"

/* A scheduler of type sched on nodes, with extra global lines (or NULL)
 * and extra keys of its one partition p (or NULL). */
static fx_t *fx_new(const char *sched, const char *nodes, const char *globals,
                    const char *part)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    char text[2048];
    hub_error_t err;
    hub_sched_opts_t opts = {.nodes_up = true};

    /* Age only, below one unit: every priority is 0 and the queue is in
     * submit order, so that tests know which job is on top. */
    snprintf(text, sizeof(text),
             "SchedulerType=sched/%s\nSelectType=select/bestfit\n"
             "PriorityType=priority/basic\nPriorityWeightAge=1\n%s%s"
             "PartitionName=p Nodes=ALL Default=YES MaxTime=UNLIMITED %s\n",
             sched, globals ? globals : "", nodes, part ? part : "");
    fx->conf = hub_conf_parse_string(text, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->now = 1000000 * SEC;
    fx->clock = (hub_clock_t){hub_clock_virtual_now, &fx->now};
    fx->next_id = 1;
    opts.clock = &fx->clock;
    opts.host = (hub_sched_host_t){on_started, on_updated, fx};
    fx->s = hub_sched_create(fx->conf, &opts, &err);
    if (!fx->s)
        fail_msg("sched: %s", err.text);
    return fx;
}

static void fx_free(fx_t *fx)
{
    hub_sched_destroy(fx->s);
    hub_conf_destroy(fx->conf);
    free(fx);
}

/* A pending job of uid on `nodes` nodes with gpus whole GPUs each and a
 * time limit (0 = none), not yet added. */
static hub_job_t job_make(fx_t *fx, uint32_t uid, uint32_t nodes, uint32_t gpus,
                          int64_t limit_s)
{
    hub_job_t j;

    memset(&j, 0, sizeof(j));
    j.id = fx->next_id++;
    j.uid = j.gid = uid;
    snprintf(j.user, sizeof(j.user), "u%u", uid);
    snprintf(j.req.partition, sizeof(j.req.partition), "p");
    j.req.nodes_min = nodes;
    j.req.gpus_per_node_milli = gpus * HUB_GPU_MILLI;
    j.req.time_limit_s = limit_s;
    hub_job_req_defaults(&j.req);
    j.array_task_id = -1;
    j.state = HUB_JOB_PENDING;
    j.submit_ms = fx->now;
    return j;
}

static hub_job_t *job_add(fx_t *fx, hub_job_t *j)
{
    hub_error_t err;
    hub_job_t *job = hub_sched_add(fx->s, j, &err);

    if (!job)
        fail_msg("add: %s", err.text);
    return job;
}

static hub_job_t *submit(fx_t *fx, uint32_t nodes, uint32_t gpus,
                         int64_t limit_s)
{
    hub_job_t j = job_make(fx, 1, nodes, gpus, limit_s);
    return job_add(fx, &j);
}

static int pass(fx_t *fx)
{
    int n = hub_sched_pass(fx->s, NULL);

    assert_true(n >= 0);
    return n;
}

static void end_job(fx_t *fx, hub_job_t *job, hub_job_state_t st, int code)
{
    assert_int_equal(hub_sched_job_end(fx->s, job, st, code, 0), 0);
}

static void assert_reason(const hub_job_t *job, hub_job_reason_t r)
{
    if (job->reason != r)
        fail_msg("job %u: reason %s, expected %s", job->id,
                 hub_job_reason_name(job->reason), hub_job_reason_name(r));
}

/* ---- sched/fifo ---------------------------------------------------------- */

static void test_fifo_starts_in_priority_order(void **state)
{
    fx_t *fx = fx_new("fifo", NODES4, NULL, NULL);
    hub_job_t *a = submit(fx, 1, 8, 100);
    hub_job_t *b = submit(fx, 2, 4, 100);
    hub_job_t *c = submit(fx, 1, 2, 100);

    assert_int_equal(pass(fx), 3);
    assert_int_equal(fx->nstarted, 3);
    assert_int_equal(fx->started[0], a->id);
    assert_int_equal(fx->started[1], b->id);
    assert_int_equal(fx->started[2], c->id);
    assert_int_equal(c->start_ms, fx->now);
    fx_free(fx);
}

static void
test_fifo_blocks_everything_behind_first_job_that_waits(void **state)
{
    fx_t *fx = fx_new("fifo", NODES2, NULL, NULL);
    hub_job_t *a = submit(fx, 1, 8, 100);
    hub_job_t *b = submit(fx, 2, 8, 100);
    hub_job_t *c = submit(fx, 1, 1, 10);

    assert_int_equal(pass(fx), 1);
    assert_int_equal(a->state, HUB_JOB_RUNNING);
    assert_int_equal(b->state, HUB_JOB_PENDING);
    assert_reason(b, HUB_REASON_RESOURCES);
    assert_int_equal(c->state, HUB_JOB_PENDING); /* fits, but behind b */
    assert_reason(c, HUB_REASON_PRIORITY);

    fx->now += 100 * SEC;
    end_job(fx, a, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(b->state, HUB_JOB_RUNNING);
    assert_reason(c, HUB_REASON_RESOURCES);
    fx->now += 50 * SEC;
    end_job(fx, b, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(c->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

static void test_fifo_skips_job_that_can_never_fit(void **state)
{
    fx_t *fx = fx_new("fifo", NODES2, NULL, NULL);
    hub_job_t *big = submit(fx, 3, 8, 100); /* 3 nodes of 2 */
    hub_job_t *ok = submit(fx, 1, 8, 100);

    assert_int_equal(pass(fx), 1);
    assert_int_equal(big->state, HUB_JOB_PENDING);
    assert_reason(big, HUB_REASON_RESOURCES);
    assert_int_equal(ok->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

/* ---- sched/backfill ------------------------------------------------------ */

/* n1 busy until +100 s; the top job needs both nodes. */
static fx_t *hole_setup(const char *sched, hub_job_t **a, hub_job_t **top)
{
    fx_t *fx = fx_new(sched, NODES2, NULL, NULL);

    *a = submit(fx, 1, 8, 100);
    assert_int_equal(pass(fx), 1);
    fx->now += 1 * SEC;
    *top = submit(fx, 2, 8, 100);
    return fx;
}

static void test_backfill_starts_short_job_in_hole(void **state)
{
    hub_job_t *a, *top, *longj, *shortj;
    fx_t *fx = hole_setup("backfill", &a, &top);

    longj = submit(fx, 1, 8, 200);
    shortj = submit(fx, 1, 8, 50);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(shortj->state, HUB_JOB_RUNNING);
    assert_int_equal(longj->state, HUB_JOB_PENDING);
    assert_reason(longj, HUB_REASON_RESOURCES); /* it has a reservation */
    assert_int_equal(top->state, HUB_JOB_PENDING);
    assert_reason(top, HUB_REASON_RESOURCES);
    assert_int_equal(top->planned_start_ms, a->start_ms + 100 * SEC);
    /* longj waits for top's reservation to end. */
    assert_int_equal(longj->planned_start_ms, a->start_ms + 200 * SEC);
    fx_free(fx);
}

static void test_backfill_never_delays_the_reservation(void **state)
{
    hub_job_t *a, *top, *shortj;
    fx_t *fx = hole_setup("backfill", &a, &top);
    int64_t planned;

    shortj = submit(fx, 1, 8, 99); /* ends exactly at the reservation */
    assert_int_equal(pass(fx), 1);
    assert_int_equal(shortj->state, HUB_JOB_RUNNING);
    planned = top->planned_start_ms;
    fx->now = planned;
    end_job(fx, a, HUB_JOB_COMPLETED, 0);
    end_job(fx, shortj, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(top->state, HUB_JOB_RUNNING);
    assert_int_equal(top->start_ms, planned);
    fx_free(fx);
}

static void test_backfill_keeps_unlimited_job_off_reserved_nodes(void **state)
{
    hub_job_t *a, *top, *forever;
    fx_t *fx = hole_setup("backfill", &a, &top);

    forever = submit(fx, 1, 1, 0);
    assert_int_equal(pass(fx), 0);
    assert_int_equal(forever->state, HUB_JOB_PENDING);
    fx_free(fx);
}

static void test_fifo_leaves_the_hole_empty(void **state)
{
    hub_job_t *a, *top, *shortj;
    fx_t *fx = hole_setup("fifo", &a, &top);

    shortj = submit(fx, 1, 8, 10);
    assert_int_equal(pass(fx), 0);
    assert_int_equal(shortj->state, HUB_JOB_PENDING);
    assert_int_equal(top->planned_start_ms, 0);
    fx_free(fx);
}

/* n1 busy until +100 s, n2 until +300 s. */
static fx_t *two_busy_setup(const char *extra)
{
    fx_t *fx = fx_new("backfill", NODES2, extra, NULL);

    submit(fx, 1, 8, 100);
    submit(fx, 1, 8, 300);
    assert_int_equal(pass(fx), 2);
    return fx;
}

static void test_backfill_later_reservations_respect_earlier_ones(void **state)
{
    fx_t *fx = two_busy_setup(NULL);
    int64_t t0 = fx->now;
    hub_job_t *b = submit(fx, 2, 8, 100); /* both nodes at 300 */
    hub_job_t *c = submit(fx, 1, 8, 150); /* n1 over [100, 250) */
    hub_job_t *d = submit(fx, 1, 8, 250); /* fits nowhere before 400 */

    assert_int_equal(pass(fx), 0);
    assert_int_equal(b->planned_start_ms, t0 + 300 * SEC);
    assert_int_equal(c->planned_start_ms, t0 + 100 * SEC);
    assert_int_equal(d->planned_start_ms, t0 + 400 * SEC);
    assert_reason(d, HUB_REASON_RESOURCES);
    fx_free(fx);
}

static void test_backfill_plans_around_jobs_started_in_the_pass(void **state)
{
    fx_t *fx = fx_new("backfill", NODES4, NULL, NULL);
    int64_t t0 = fx->now;
    hub_job_t *a, *b, *c;

    /* n1-n3 full of 1-GPU jobs ending every 10 s up to 240 s; n4 free. */
    for (int i = 0; i < 24; i++)
        submit(fx, 1, 1, 10 * (i + 1));
    assert_int_equal(pass(fx), 24);
    a = submit(fx, 4, 8, 100); /* everything at 240 */
    b = submit(fx, 1, 8, 50);  /* n4 now, gone by 50 */
    c = submit(fx, 1, 8, 30);  /* n4 again once b ends */
    assert_int_equal(pass(fx), 1);
    assert_int_equal(a->planned_start_ms, t0 + 240 * SEC);
    assert_int_equal(b->state, HUB_JOB_RUNNING);
    /* c's search sees b, started after a's search, holding n4. */
    assert_int_equal(c->planned_start_ms, t0 + 50 * SEC);
    fx_free(fx);
}

static void test_backfill_depth_bounds_reservations(void **state)
{
    fx_t *fx = two_busy_setup("BackfillDepth=1\n");
    hub_job_t *b = submit(fx, 2, 8, 100);
    hub_job_t *c = submit(fx, 1, 8, 150);

    assert_int_equal(pass(fx), 0);
    assert_true(b->planned_start_ms > 0);
    assert_int_equal(c->planned_start_ms, 0);
    assert_reason(c, HUB_REASON_PRIORITY);
    fx_free(fx);
}

static void test_backfill_reuses_failures_of_a_shape(void **state)
{
    fx_t *fx = fx_new("backfill", NODES4, "BackfillDepth=1\n", NULL);
    hub_job_t *jobs[40];
    int started = 0;

    /* 40 identical 8-GPU jobs and shorter ones of the same shape: four
     * start, the rest wait; the memo must not hide the short ones that
     * fit before the reservation. */
    for (int i = 0; i < 40; i++)
        jobs[i] = submit(fx, 1, 8, i < 4 ? 100 : (i % 2 ? 1000 : 50));
    assert_int_equal(pass(fx), 4);
    for (int i = 0; i < 40; i++)
        started += jobs[i]->state == HUB_JOB_RUNNING;
    assert_int_equal(started, 4);
    fx->now += 100 * SEC;
    for (int i = 0; i < 4; i++)
        end_job(fx, jobs[i], HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 4);
    assert_int_equal(jobs[4]->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

/* ---- eligibility (sched_pass.c, sched_place.c) --------------------------- */

static hub_job_t *submit_dep(fx_t *fx, hub_dep_type_t type, hub_job_id_t on)
{
    hub_job_t j = job_make(fx, 1, 1, 1, 100);

    j.req.ndeps = 1;
    j.req.deps[0] = (hub_job_dep_t){type, on};
    return job_add(fx, &j);
}

static void test_afterok_starts_after_success(void **state)
{
    fx_t *fx = fx_new("backfill", NODES2, NULL, NULL);
    hub_job_t *x = submit(fx, 1, 1, 100);
    hub_job_t *y = submit_dep(fx, HUB_DEP_AFTEROK, x->id);

    assert_int_equal(pass(fx), 1);
    assert_reason(y, HUB_REASON_DEPENDENCY);
    fx->now += 10 * SEC;
    end_job(fx, x, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(y->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

static void test_afterok_on_failure_is_never_satisfied(void **state)
{
    fx_t *fx = fx_new("backfill", NODES2, NULL, NULL);
    hub_job_t *x = submit(fx, 1, 1, 100);
    hub_job_t *y = submit_dep(fx, HUB_DEP_AFTEROK, x->id);

    pass(fx);
    end_job(fx, x, HUB_JOB_FAILED, 1);
    assert_int_equal(pass(fx), 0);
    assert_reason(y, HUB_REASON_DEP_NEVER);
    assert_int_equal(fx->nupdated, 1);
    assert_int_equal(pass(fx), 0);
    assert_int_equal(fx->nupdated, 1); /* told once */
    fx_free(fx);
}

static void test_afterany_starts_after_cancel(void **state)
{
    fx_t *fx = fx_new("fifo", NODES2, NULL, NULL);
    hub_job_t *x = submit(fx, 1, 1, 100);
    hub_job_t *y = submit_dep(fx, HUB_DEP_AFTERANY, x->id);

    pass(fx);
    assert_int_equal(y->state, HUB_JOB_PENDING);
    end_job(fx, x, HUB_JOB_CANCELLED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(y->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

static void test_afternotok_waits_for_failure(void **state)
{
    fx_t *fx = fx_new("fifo", NODES2, NULL, NULL);
    hub_job_t *x = submit(fx, 1, 1, 100);
    hub_job_t *ok = submit(fx, 1, 1, 100);
    hub_job_t *on_x = submit_dep(fx, HUB_DEP_AFTERNOTOK, x->id);
    hub_job_t *on_ok = submit_dep(fx, HUB_DEP_AFTERNOTOK, ok->id);

    assert_int_equal(pass(fx), 2);
    end_job(fx, x, HUB_JOB_TIMEOUT, 0);
    end_job(fx, ok, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(on_x->state, HUB_JOB_RUNNING);
    assert_reason(on_ok, HUB_REASON_DEP_NEVER);
    fx_free(fx);
}

static hub_job_t *submit_singleton(fx_t *fx)
{
    hub_job_t j = job_make(fx, 7, 1, 1, 100);

    snprintf(j.req.name, sizeof(j.req.name), "train");
    j.req.singleton = true;
    return job_add(fx, &j);
}

static void test_singleton_runs_one_at_a_time(void **state)
{
    fx_t *fx = fx_new("backfill", NODES4, NULL, NULL);
    hub_job_t *s1 = submit_singleton(fx);
    hub_job_t *s2 = submit_singleton(fx);
    hub_job_t *s3 = submit_singleton(fx);

    assert_int_equal(pass(fx), 1);
    assert_int_equal(s1->state, HUB_JOB_RUNNING);
    assert_reason(s2, HUB_REASON_DEPENDENCY);
    assert_reason(s3, HUB_REASON_DEPENDENCY);
    end_job(fx, s1, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(s2->state, HUB_JOB_RUNNING);
    assert_int_equal(s3->state, HUB_JOB_PENDING);
    fx_free(fx);
}

static void test_held_job_waits_until_released(void **state)
{
    fx_t *fx = fx_new("backfill", NODES2, NULL, NULL);
    hub_job_t *j = submit(fx, 1, 1, 100);

    assert_int_equal(hub_sched_hold(fx->s, j, true), 0);
    assert_int_equal(pass(fx), 0);
    assert_reason(j, HUB_REASON_HELD_ADMIN);
    assert_int_equal(hub_sched_release(fx->s, j, false), -EPERM);
    assert_int_equal(hub_sched_release(fx->s, j, true), 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(j->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

static void test_array_throttle_limits_running_tasks(void **state)
{
    fx_t *fx = fx_new("fifo", NODES4, NULL, NULL);
    hub_job_t *t[4];

    for (int i = 0; i < 4; i++) {
        hub_job_t j = job_make(fx, 1, 1, 1, 100);
        j.array_job_id = 1;
        j.array_task_id = i;
        j.array_max_running = 2;
        t[i] = job_add(fx, &j);
    }
    assert_int_equal(pass(fx), 2);
    assert_reason(t[2], HUB_REASON_ARRAY_LIMIT);
    assert_reason(t[3], HUB_REASON_ARRAY_LIMIT);
    end_job(fx, t[0], HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(t[2]->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

static void check_user_limit(const char *sched)
{
    fx_t *fx = fx_new(sched, NODES4, NULL, "MaxJobsPerUser=1");
    hub_job_t a = job_make(fx, 1, 1, 1, 100);
    hub_job_t b = job_make(fx, 1, 1, 1, 100);
    hub_job_t c = job_make(fx, 2, 1, 1, 100);
    hub_job_t *pa = job_add(fx, &a), *pb = job_add(fx, &b);
    hub_job_t *pc = job_add(fx, &c);

    /* b is within limits when the pass begins and out of them once a
     * starts: it is skipped and does not block c. */
    assert_int_equal(pass(fx), 2);
    assert_int_equal(pa->state, HUB_JOB_RUNNING);
    assert_int_equal(pb->state, HUB_JOB_PENDING);
    assert_reason(pb, HUB_REASON_JOB_LIMIT);
    assert_int_equal(pc->state, HUB_JOB_RUNNING);
    assert_int_equal(pass(fx), 0); /* b is filtered out before the plugin */
    assert_reason(pb, HUB_REASON_JOB_LIMIT);
    end_job(fx, pa, HUB_JOB_COMPLETED, 0);
    assert_int_equal(pass(fx), 1);
    assert_int_equal(pb->state, HUB_JOB_RUNNING);
    fx_free(fx);
}

static void test_max_jobs_per_user_skips_without_blocking(void **state)
{
    check_user_limit("fifo");
    check_user_limit("backfill");
}

static void test_requeued_job_runs_again(void **state)
{
    fx_t *fx = fx_new("backfill", NODES2, NULL, NULL);
    hub_job_t *j = submit(fx, 1, 8, 100);

    assert_int_equal(pass(fx), 1);
    fx->now += 5 * SEC;
    assert_int_equal(hub_sched_requeue(fx->s, j), 0);
    assert_int_equal(j->state, HUB_JOB_PENDING);
    assert_int_equal(j->restart_count, 1);
    assert_int_equal(hub_sched_count_pending(fx->s), 1);
    fx->now += 5 * SEC;
    assert_int_equal(pass(fx), 1);
    assert_int_equal(j->state, HUB_JOB_RUNNING);
    assert_int_equal(j->start_ms, fx->now);
    fx_free(fx);
}

/* ---- what a sched plugin sees -------------------------------------------- */

/* sched/probe: records the view and hub_sched_within_limits() around the
 * first start, for the test below. */
static struct {
    uint32_t npending;
    bool before[4], after[4];
} probe;

static int probe_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    *ctx = &probe;
    return 0;
}

static void probe_destroy(void *ctx)
{
}

static int probe_pass(void *ctx, hub_sched_t *s, const hub_sched_view_t *v)
{
    hub_alloc_t alloc = {0};
    uint32_t n = v->npending < 4 ? v->npending : 4;

    probe.npending = v->npending;
    for (uint32_t i = 0; i < n; i++)
        probe.before[i] = hub_sched_within_limits(s, v->pending[i]);
    if (n == 0 ||
        hub_sched_place(s, v->cluster, v->pending[0], NULL, INT64_MAX, &alloc) <
            0 ||
        hub_sched_start(s, v->pending[0], &alloc) < 0)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        probe.after[i] = hub_sched_within_limits(s, v->pending[i]);
    return 1;
}

static const hub_sched_ops_t probe_ops = {probe_create, probe_destroy,
                                          probe_pass};
static const hub_plugin_desc_t probe_desc = HUB_PLUGIN_DESC_INIT(
    "sched", "probe", HUB_SCHED_ABI_MAJOR, HUB_SCHED_ABI_MINOR, probe_ops);

static void test_view_holds_only_jobs_within_limits(void **state)
{
    uint32_t uids[3] = {1, 2, 1};
    hub_job_t *jobs[3];
    fx_t *fx;

    hub_plugin_register_builtin(&probe_desc);
    fx = fx_new("probe", NODES4, NULL, "MaxJobsPerUser=1");
    for (int i = 0; i < 3; i++) {
        hub_job_t j = job_make(fx, uids[i], 1, 1, 100);
        jobs[i] = job_add(fx, &j);
    }
    /* Nothing runs: all three are offered; starting u1's first job puts
     * u1's second out of limits, u2's stays in. */
    assert_int_equal(pass(fx), 1);
    assert_int_equal(probe.npending, 3);
    assert_true(probe.before[0] && probe.before[1] && probe.before[2]);
    assert_true(probe.after[1]);
    assert_false(probe.after[2]);
    assert_reason(jobs[2], HUB_REASON_JOB_LIMIT);
    /* u1 runs one: its second job is not offered at all. */
    assert_int_equal(pass(fx), 1);
    assert_int_equal(probe.npending, 1);
    assert_int_equal(jobs[1]->state, HUB_JOB_RUNNING);
    assert_int_equal(jobs[2]->state, HUB_JOB_PENDING);
    fx_free(fx);
}

/* ---- property: backfill never delays the top job's reservation ----------- */

/* A tiny deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t rnd_next(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(uint64_t *st, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rnd_next(st) % (hi - lo + 1));
}

typedef struct simjob {
    hub_job_t *job; /* NULL until submitted */
    int64_t submit_ms;
    uint32_t nodes, gpus; /* per node */
    int64_t run_ms;       /* how long it runs: at most its limit */
    int64_t limit_s;
    int64_t first_resv_ms; /* first reservation while it was top; 0 none */
} simjob_t;

/* One family of random job mixes. */
typedef struct sim_shape {
    const char *nodes; /* NodeName lines */
    uint32_t wide;     /* nodes of the widest jobs */
    uint32_t jobs_min, jobs_max;
    uint32_t submit_span_s; /* submits spread over this long */
} sim_shape_t;

typedef struct sim {
    fx_t *fx;
    const sim_shape_t *shape;
    simjob_t j[MAX_JOBS]; /* by submit time */
    int n, nsubmitted;
} sim_t;

static void sim_sort(sim_t *sm)
{
    for (int i = 1; i < sm->n; i++) {
        for (int k = i; k > 0 && sm->j[k - 1].submit_ms > sm->j[k].submit_ms;
             k--) {
            simjob_t tmp = sm->j[k];
            sm->j[k] = sm->j[k - 1];
            sm->j[k - 1] = tmp;
        }
    }
}

/* Jobs of the shape's mix: mostly single-node, some of half and all of
 * the widest size that must wait for reservations; limits at or above
 * run times. */
static void sim_make_jobs(sim_t *sm, uint64_t *st)
{
    const sim_shape_t *sh = sm->shape;
    int64_t t0 = sm->fx->now;

    sm->n = (int)rnd(st, sh->jobs_min, sh->jobs_max);
    for (int i = 0; i < sm->n; i++) {
        simjob_t *sj = &sm->j[i];
        uint32_t k = rnd(st, 0, 9);

        memset(sj, 0, sizeof(*sj));
        sj->submit_ms = t0 + rnd(st, 0, sh->submit_span_s) * SEC;
        sj->nodes = k < 2 ? sh->wide : k < 4 ? sh->wide / 2 : 1;
        sj->gpus = rnd(st, 1, 8);
        sj->run_ms = rnd(st, 10, 600) * SEC;
        sj->limit_s = sj->run_ms / SEC + rnd(st, 0, 1) * rnd(st, 0, 300);
    }
    sim_sort(sm);
}

static void sim_submit(sim_t *sm, int i)
{
    simjob_t *sj = &sm->j[i];
    hub_job_t j = job_make(sm->fx, 1, sj->nodes, sj->gpus, sj->limit_s);

    sj->job = job_add(sm->fx, &j);
    sm->nsubmitted++;
}

/* The next event time: a submit or a running job's end. */
static int64_t sim_next(const sim_t *sm)
{
    int64_t t = INT64_MAX;

    if (sm->nsubmitted < sm->n)
        t = sm->j[sm->nsubmitted].submit_ms;
    for (int i = 0; i < sm->nsubmitted; i++) {
        const hub_job_t *job = sm->j[i].job;
        if (job->state == HUB_JOB_RUNNING &&
            job->start_ms + sm->j[i].run_ms < t)
            t = job->start_ms + sm->j[i].run_ms;
    }
    return t;
}

static void sim_events_at(sim_t *sm, int64_t t)
{
    for (int i = 0; i < sm->nsubmitted; i++) {
        hub_job_t *job = sm->j[i].job;
        if (job->state == HUB_JOB_RUNNING &&
            job->start_ms + sm->j[i].run_ms == t)
            end_job(sm->fx, job, HUB_JOB_COMPLETED, 0);
    }
    while (sm->nsubmitted < sm->n && sm->j[sm->nsubmitted].submit_ms == t)
        sim_submit(sm, sm->nsubmitted);
}

/* After a pass: remember the top pending job's first reservation; check
 * every job that started against its own. */
static void sim_check(sim_t *sm, uint64_t seed)
{
    bool top_seen = false;

    for (int i = 0; i < sm->nsubmitted; i++) {
        simjob_t *sj = &sm->j[i];
        hub_job_t *job = sj->job;
        if (job->state == HUB_JOB_PENDING && !top_seen) {
            top_seen = true;
            if (!sj->first_resv_ms && job->planned_start_ms)
                sj->first_resv_ms = job->planned_start_ms;
        }
        if (job->start_ms && sj->first_resv_ms &&
            job->start_ms > sj->first_resv_ms)
            fail_msg("seed %llu: job %u started at %lld, reserved %lld",
                     (unsigned long long)seed, job->id,
                     (long long)job->start_ms, (long long)sj->first_resv_ms);
    }
}

static int sim_run(const sim_shape_t *shape, uint64_t seed)
{
    sim_t sm = {.fx = fx_new("backfill", shape->nodes, NULL, NULL),
                .shape = shape};
    uint64_t st = seed * 0x9e3779b97f4a7c15ull + 1;
    int64_t t;
    int reserved = 0;

    sim_make_jobs(&sm, &st);
    while ((t = sim_next(&sm)) != INT64_MAX) {
        sm.fx->now = t;
        sim_events_at(&sm, t);
        pass(sm.fx);
        sim_check(&sm, seed);
    }
    for (int i = 0; i < sm.n; i++) {
        assert_int_equal(sm.j[i].job->state, HUB_JOB_COMPLETED);
        reserved += sm.j[i].first_resv_ms != 0;
    }
    fx_free(sm.fx);
    return reserved;
}

/* Many random mixes on a virtual clock, a pass at every submit and end:
 * the top job never starts later than the first reservation it got, and
 * every job runs in the end. */
static void
test_backfill_never_starts_top_job_after_its_reservation(void **state)
{
    static const sim_shape_t small = {NODES4, 4, 30, 60, 2000};
    static const sim_shape_t wide = {
        "NodeName=n[01-16] CPUs=32 RealMemory=256000 Gres=gpu:8\n", 8, 150, 250,
        3000};
    int reserved = 0;

    for (uint64_t seed = 1; seed <= 200; seed++)
        reserved += sim_run(&small, seed);
    assert_true(reserved > 200); /* the property was exercised */
    for (uint64_t seed = 1; seed <= 20; seed++)
        reserved += sim_run(&wide, seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_starts_in_priority_order),
        cmocka_unit_test(
            test_fifo_blocks_everything_behind_first_job_that_waits),
        cmocka_unit_test(test_fifo_skips_job_that_can_never_fit),
        cmocka_unit_test(test_backfill_starts_short_job_in_hole),
        cmocka_unit_test(test_backfill_never_delays_the_reservation),
        cmocka_unit_test(test_backfill_keeps_unlimited_job_off_reserved_nodes),
        cmocka_unit_test(test_fifo_leaves_the_hole_empty),
        cmocka_unit_test(test_backfill_later_reservations_respect_earlier_ones),
        cmocka_unit_test(test_backfill_plans_around_jobs_started_in_the_pass),
        cmocka_unit_test(test_backfill_depth_bounds_reservations),
        cmocka_unit_test(test_backfill_reuses_failures_of_a_shape),
        cmocka_unit_test(test_afterok_starts_after_success),
        cmocka_unit_test(test_afterok_on_failure_is_never_satisfied),
        cmocka_unit_test(test_afterany_starts_after_cancel),
        cmocka_unit_test(test_afternotok_waits_for_failure),
        cmocka_unit_test(test_singleton_runs_one_at_a_time),
        cmocka_unit_test(test_held_job_waits_until_released),
        cmocka_unit_test(test_array_throttle_limits_running_tasks),
        cmocka_unit_test(test_max_jobs_per_user_skips_without_blocking),
        cmocka_unit_test(test_requeued_job_runs_again),
        cmocka_unit_test(test_view_holds_only_jobs_within_limits),
        cmocka_unit_test(
            test_backfill_never_starts_top_job_after_its_reservation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

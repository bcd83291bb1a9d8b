/* test_store_usage.c - fair-share usage across a controller restart: the
 * store's usage rows (put, commit, reopen, last put wins, the upgrade of
 * a version 1 store) and the round trip of priority/multifactor's usage
 * through them, decayed for the time the controller was down.
 */
#include "cmocka_all.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conf.h"
#include "plugins.h"
#include "store.h"
#include "store_fixture.h"

extern const hub_plugin_desc_t hub_priority_multifactor_desc;

#define T0 INT64_C(1700000000000) /* the fixed clock's start, ms */
#define HOUR_MS INT64_C(3600000)
#define EPS 1e-9
#define RECS_MAX 16

static const char conf_text[] = "PriorityWeightFairshare=1000\n"
                                "PriorityDecayHalfLife=2h\n"
                                "NodeName=n[1-2] CPUs=32 Gres=gpu:8\n"
                                "PartitionName=batch Nodes=ALL Default=YES\n";

/* Records handed to a callback. */
typedef struct recs {
    hub_usage_rec_t r[RECS_MAX];
    int n;
    int fail_at; /* return -ENOMEM for the record with this index; -1 never */
} recs_t;

/* ---- helpers -------------------------------------------------------------
 */

static int collect(const hub_usage_rec_t *rec, void *arg)
{
    recs_t *recs = arg;

    if (recs->n >= RECS_MAX || recs->n == recs->fail_at)
        return -ENOMEM;
    recs->r[recs->n++] = *rec;
    return 0;
}

/* Every stored record, sorted by uid. */
static int by_uid(const void *a, const void *b)
{
    const hub_usage_rec_t *x = a, *y = b;

    return (x->uid > y->uid) - (x->uid < y->uid);
}

static void load_usage_ok(hub_store_t *st, recs_t *recs)
{
    hub_error_t err = {""};

    *recs = (recs_t){.fail_at = -1};
    if (hub_store_load_usage(st, collect, recs, &err) != 0)
        fail_msg("hub_store_load_usage: %s", err.text);
    qsort(recs->r, (size_t)recs->n, sizeof(recs->r[0]), by_uid);
}

static hub_usage_rec_t rec_of(uint32_t uid, const char *account, double usage,
                              int64_t decayed_ms)
{
    hub_usage_rec_t r = {.uid = uid, .usage = usage, .decayed_ms = decayed_ms};

    snprintf(r.account, sizeof(r.account), "%s", account);
    return r;
}

static void put_usage_ok(hub_store_t *st, uint32_t uid, const char *account,
                         double usage, int64_t decayed_ms)
{
    hub_usage_rec_t r = rec_of(uid, account, usage, decayed_ms);

    assert_int_equal(hub_store_put_usage(st, &r), 0);
}

static void raw_sql(const store_fixture_t *fx, const char *sql)
{
    char path[128];
    sqlite3 *db = NULL;

    snprintf(path, sizeof(path), "%s/hubctld.db", fx->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* priority/multifactor on conf_text. */
typedef struct mf {
    hub_conf_t *conf;
    const hub_priority_ops_t *ops;
    void *ctx;
} mf_t;

static void mf_open(mf_t *mf)
{
    hub_error_t err = {""};

    mf->conf = hub_conf_parse_string(conf_text, "test.conf", &err);
    if (!mf->conf)
        fail_msg("hub.conf: %s", err.text);
    mf->ops = hub_priority_multifactor_desc.ops;
    assert_int_equal(mf->ops->create(&mf->ctx, mf->conf, &err), 0);
}

static void mf_close(mf_t *mf)
{
    mf->ops->destroy(mf->ctx);
    hub_conf_destroy(mf->conf);
}

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

/* explain()'s factors.fairshare.<key> for job at now_ms. */
static double fairshare(mf_t *mf, const hub_job_t *job, int64_t now_ms,
                        const char *key)
{
    json_t *e = mf->ops->explain(mf->ctx, job, now_ms);
    json_t *v = json_object_get(
        json_object_get(json_object_get(e, "factors"), "fairshare"), key);
    double x;

    if (!json_is_number(v))
        fail_msg("explain has no number factors.fairshare.%s", key);
    x = json_number_value(v);
    json_decref(e);
    return x;
}

static int put_into_store(const hub_usage_rec_t *rec, void *arg)
{
    return hub_store_put_usage(arg, rec);
}

static int restore_into(const hub_usage_rec_t *rec, void *arg)
{
    mf_t *mf = arg;

    return mf->ops->usage_restore(mf->ctx, rec, T0 + 2 * HOUR_MS);
}

/* ---- the store's usage rows ----------------------------------------------
 */

static void test_usage_rows_survive_reopen(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    recs_t recs;

    put_usage_ok(st, 1000, "ml", 12.5, T0);
    put_usage_ok(st, 1001, "", 0.25, T0 + 7);
    assert_int_equal(hub_store_pending(st), 2);
    store_fx_commit(st);
    assert_int_equal(hub_store_pending(st), 0);
    hub_store_close(st);

    st = store_fx_open(fx);
    load_usage_ok(st, &recs);
    assert_int_equal(recs.n, 2);
    assert_int_equal(recs.r[0].uid, 1000);
    assert_string_equal(recs.r[0].account, "ml");
    assert_true(recs.r[0].usage == 12.5);
    assert_int_equal(recs.r[0].decayed_ms, T0);
    assert_int_equal(recs.r[1].uid, 1001);
    assert_string_equal(recs.r[1].account, "");
    assert_true(recs.r[1].usage == 0.25);
    assert_int_equal(recs.r[1].decayed_ms, T0 + 7);
    hub_store_close(st);
}

static void test_last_usage_put_wins_within_and_across_batches(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    recs_t recs;

    put_usage_ok(st, 1000, "ml", 1.0, T0);
    put_usage_ok(st, 1000, "ml", 2.0, T0 + 1);
    store_fx_commit(st);
    put_usage_ok(st, 1000, "ml", 3.0, T0 + 2);
    put_usage_ok(st, 1000, "bio", 4.0, T0 + 2); /* another association */
    store_fx_commit(st);
    load_usage_ok(st, &recs);
    assert_int_equal(recs.n, 2);
    for (int i = 0; i < 2; i++) {
        bool ml = strcmp(recs.r[i].account, "ml") == 0;
        assert_true(recs.r[i].usage == (ml ? 3.0 : 4.0));
        assert_int_equal(recs.r[i].decayed_ms, T0 + 2);
    }
    hub_store_close(st);
}

static void test_version_1_store_gets_the_usage_table(void **state)
{
    store_fixture_t *fx = *state;
    hub_error_t err = {""};
    hub_store_t *st = store_fx_open(fx);
    hub_store_t *rd;
    recs_t recs;

    hub_store_close(st);
    raw_sql(fx, "DROP TABLE usage; PRAGMA user_version = 1");
    st = store_fx_open(fx);
    put_usage_ok(st, 7, "ml", 5.0, T0);
    store_fx_commit(st);
    load_usage_ok(st, &recs);
    assert_int_equal(recs.n, 1);
    rd = hub_store_open_reader(fx->dir, &err);
    if (!rd)
        fail_msg("hub_store_open_reader: %s", err.text);
    hub_store_close(rd);
    hub_store_close(st);
}

/* ---- priority/multifactor's usage through the store ----------------------
 */

static void test_charges_are_saved_once_and_restored_undirty(void **state)
{
    mf_t mf;
    hub_job_t a = job_of(1, "ml");
    recs_t recs = {.fail_at = -1};

    mf_open(&mf);
    mf.ops->charge(mf.ctx, &a, 100.0, T0);
    assert_int_equal(mf.ops->usage_save(mf.ctx, false, collect, &recs), 0);
    assert_int_equal(recs.n, 1);
    assert_true(recs.r[0].usage == 100.0);
    assert_int_equal(recs.r[0].decayed_ms, T0);
    /* Saved: nothing changed since. */
    assert_int_equal(mf.ops->usage_save(mf.ctx, false, collect, &recs), 0);
    assert_int_equal(recs.n, 1);
    /* A restored record is not a change; all still lists it. */
    recs = (recs_t){.fail_at = -1};
    mf.ops->usage_restore(
        mf.ctx, &(hub_usage_rec_t){.uid = 2, .usage = 5.0, .decayed_ms = T0},
        T0);
    assert_int_equal(mf.ops->usage_save(mf.ctx, false, collect, &recs), 0);
    assert_int_equal(recs.n, 0);
    assert_int_equal(mf.ops->usage_save(mf.ctx, true, collect, &recs), 0);
    assert_int_equal(recs.n, 2);
    mf_close(&mf);
}

static void test_failed_save_keeps_what_was_not_taken(void **state)
{
    mf_t mf;
    hub_job_t a = job_of(1, "ml"), b = job_of(2, "ml");
    recs_t recs = {.fail_at = 1};

    mf_open(&mf);
    mf.ops->charge(mf.ctx, &a, 100.0, T0);
    mf.ops->charge(mf.ctx, &b, 200.0, T0);
    assert_int_equal(mf.ops->usage_save(mf.ctx, false, collect, &recs),
                     -ENOMEM);
    assert_int_equal(recs.n, 1);
    recs.fail_at = -1;
    assert_int_equal(mf.ops->usage_save(mf.ctx, false, collect, &recs), 0);
    assert_int_equal(recs.n, 2);
    assert_int_not_equal(recs.r[0].uid, recs.r[1].uid);
    mf_close(&mf);
}

/* Two users charge, the usage goes to the store, the controller stops;
 * it comes back 2 h (one half-life) later: the usage is halved and the
 * fair-share factors are what they were. */
static void test_usage_survives_restart_decayed_for_the_downtime(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    hub_job_t a = job_of(1, "ml"), b = job_of(2, "ml");
    hub_error_t err = {""};
    double fa, fb;
    mf_t mf;

    mf_open(&mf);
    mf.ops->charge(mf.ctx, &a, 1000.0, T0);
    mf.ops->charge(mf.ctx, &b, 3000.0, T0);
    fa = fairshare(&mf, &a, T0, "factor");
    fb = fairshare(&mf, &b, T0, "factor");
    assert_true(fa > fb);
    assert_int_equal(mf.ops->usage_save(mf.ctx, false, put_into_store, st), 0);
    store_fx_commit(st);
    hub_store_close(st);
    mf_close(&mf);

    st = store_fx_open(fx);
    mf_open(&mf);
    assert_int_equal(hub_store_load_usage(st, restore_into, &mf, &err), 0);
    assert_true(fabs(fairshare(&mf, &a, T0, "usage_raw") - 500.0) < EPS);
    assert_true(fabs(fairshare(&mf, &b, T0, "usage_raw") - 1500.0) < EPS);
    assert_true(fabs(fairshare(&mf, &a, T0, "account_usage_raw") - 2000.0) <
                EPS);
    assert_true(fabs(fairshare(&mf, &a, T0, "factor") - fa) < EPS);
    assert_true(fabs(fairshare(&mf, &b, T0, "factor") - fb) < EPS);
    mf_close(&mf);
    hub_store_close(st);
}

int main(void)
{
#define T(f)                                                                   \
    cmocka_unit_test_setup_teardown(f, store_fx_setup, store_fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_usage_rows_survive_reopen),
        T(test_last_usage_put_wins_within_and_across_batches),
        T(test_version_1_store_gets_the_usage_table),
        cmocka_unit_test(test_charges_are_saved_once_and_restored_undirty),
        cmocka_unit_test(test_failed_save_keeps_what_was_not_taken),
        T(test_usage_survives_restart_decayed_for_the_downtime),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_store.c - the controller's SQLite store: schema and version check,
 * group commit, recovery, accounting queries, concurrent readers and the
 * durability of every commit that returned (child processes that exit or
 * are killed without closing).
 */
#include "cmocka_all.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_fixture.h"

#define SEEN_MAX 64

/* Jobs handed to a load/query callback, allocations taken over. */
typedef struct seen {
    hub_job_t jobs[SEEN_MAX];
    int n;
} seen_t;

/* ---- helpers -------------------------------------------------------------
 */

static void make_job(hub_job_t *job, hub_job_id_t id, hub_job_state_t state,
                     uint32_t uid, int64_t end_ms)
{
    memset(job, 0, sizeof(*job));
    hub_job_req_defaults(&job->req);
    job->id = id;
    job->array_task_id = -1;
    job->uid = uid;
    job->gid = uid;
    snprintf(job->user, sizeof(job->user), "user%u", uid);
    snprintf(job->req.name, sizeof(job->req.name), "job%u", id);
    snprintf(job->req.partition, sizeof(job->req.partition), "gpu");
    job->state = state;
    job->submit_ms = 1700000000000 + id;
    job->start_ms = state == HUB_JOB_PENDING ? 0 : job->submit_ms + 10;
    job->end_ms = end_ms;
}

/* A running job on two nodes, with fractional GPUs. */
static void give_alloc(hub_job_t *job)
{
    job->alloc.nnodes = 2;
    job->alloc.nodes = calloc(2, sizeof(hub_alloc_node_t));
    for (uint32_t i = 0; i < 2; i++) {
        job->alloc.nodes[i].node = 7 + i;
        job->alloc.nodes[i].cpus = 16;
        job->alloc.nodes[i].mem_mb = 64000;
        job->alloc.nodes[i].gpu_milli[0] = 1000;
        job->alloc.nodes[i].gpu_milli[3] = 250;
    }
}

static void put_ok(hub_store_t *st, const hub_job_t *job, const json_t *spec)
{
    assert_int_equal(hub_store_put_job(st, job, spec), 0);
}

/* Put a job built by make_job (no allocation). */
static void put_simple(hub_store_t *st, hub_job_id_t id, hub_job_state_t state,
                       uint32_t uid, int64_t end_ms)
{
    hub_job_t job;

    make_job(&job, id, state, uid, end_ms);
    put_ok(st, &job, NULL);
}

static int collect(hub_job_t *job, void *arg)
{
    seen_t *seen = arg;

    if (seen->n >= SEEN_MAX)
        return -ENOSPC;
    seen->jobs[seen->n++] = *job;
    job->alloc.nodes = NULL; /* taken over */
    return 0;
}

static void seen_clear(seen_t *seen)
{
    for (int i = 0; i < seen->n; i++)
        hub_job_clear(&seen->jobs[i]);
    seen->n = 0;
}

static void load_ok(hub_store_t *st, int64_t since_ms, seen_t *seen)
{
    hub_error_t err = {""};
    int rc = hub_store_load(st, since_ms, collect, seen, &err);

    if (rc != 0)
        fail_msg("hub_store_load: %s", err.text);
}

static void query_ok(hub_store_t *st, const hub_store_query_t *q, seen_t *seen)
{
    hub_error_t err = {""};
    int rc = hub_store_query(st, q, collect, seen, &err);

    if (rc != 0)
        fail_msg("hub_store_query: %s", err.text);
}

static int count_job(hub_job_t *job, void *arg)
{
    (*(uint32_t *)arg)++;
    return 0;
}

static uint32_t count_all(hub_store_t *st)
{
    hub_error_t err = {""};
    uint32_t n = 0;

    if (hub_store_load(st, 0, count_job, &n, &err) != 0)
        fail_msg("hub_store_load: %s", err.text);
    return n;
}

/* Run SQL on the database behind the store's back. */
static void raw_sql(const store_fixture_t *fx, const char *sql)
{
    char path[128];
    sqlite3 *db = NULL;

    snprintf(path, sizeof(path), "%s/hubctld.db", fx->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- schema --------------------------------------------------------------
 */

static void test_open_creates_an_empty_store(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    char path[128];

    snprintf(path, sizeof(path), "%s/hubctld.db", fx->dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(hub_store_next_job_id(st), 1);
    assert_int_equal(hub_store_pending(st), 0);
    assert_null(hub_store_take_batch(st));
    assert_int_equal(count_all(st), 0);
    hub_store_close(st);
    hub_store_close(NULL);
}

static void test_open_fails_in_a_missing_directory(void **state)
{
    hub_error_t err = {""};

    assert_null(hub_store_open("/nonexistent/hubstore", &err));
    assert_non_null(strstr(err.text, "/nonexistent/hubstore/hubctld.db"));
}

static void test_other_schema_version_is_refused_with_advice(void **state)
{
    store_fixture_t *fx = *state;
    hub_error_t err = {""};

    hub_store_close(store_fx_open(fx));
    raw_sql(fx, "PRAGMA user_version = 99");
    assert_null(hub_store_open(fx->dir, &err));
    assert_non_null(strstr(err.text, "schema version 99"));
    assert_non_null(strstr(err.text, "uses version 2"));
    assert_non_null(strstr(err.text, "move the file aside"));
    assert_null(hub_store_open_reader(fx->dir, &err));
    assert_non_null(strstr(err.text, "schema version 99"));
}

static void test_foreign_database_is_refused(void **state)
{
    store_fixture_t *fx = *state;
    hub_error_t err = {""};

    raw_sql(fx, "CREATE TABLE other(x INTEGER)");
    assert_null(hub_store_open(fx->dir, &err));
    assert_non_null(strstr(err.text, "not a hubctld database"));
}

/* ---- writes and recovery -------------------------------------------------
 */

static void assert_same_alloc(const hub_alloc_t *a, const hub_alloc_t *b)
{
    assert_int_equal(a->nnodes, b->nnodes);
    for (uint32_t i = 0; i < a->nnodes; i++)
        assert_memory_equal(&a->nodes[i], &b->nodes[i], sizeof(a->nodes[i]));
}

static void assert_same_job(const hub_job_t *a, const hub_job_t *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->uid, b->uid);
    assert_string_equal(a->user, b->user);
    assert_string_equal(a->req.name, b->req.name);
    assert_string_equal(a->req.partition, b->req.partition);
    assert_int_equal(a->submit_ms, b->submit_ms);
    assert_int_equal(a->eligible_ms, b->eligible_ms);
    assert_int_equal(a->start_ms, b->start_ms);
    assert_int_equal(a->end_ms, b->end_ms);
    assert_int_equal(a->exit_code, b->exit_code);
    assert_same_alloc(&a->alloc, &b->alloc);
}

static void test_committed_jobs_load_exactly_after_reopen(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    hub_job_t jobs[3];
    seen_t seen = {.n = 0};

    make_job(&jobs[0], 1, HUB_JOB_PENDING, 1000, 0);
    make_job(&jobs[1], 2, HUB_JOB_RUNNING, 1001, 0);
    give_alloc(&jobs[1]);
    jobs[1].eligible_ms = jobs[1].submit_ms + 5;
    make_job(&jobs[2], 3, HUB_JOB_FAILED, 1000, 1700000009999);
    jobs[2].exit_code = 3;
    for (int i = 0; i < 3; i++)
        put_ok(st, &jobs[i], NULL);
    assert_int_equal(hub_store_pending(st), 3);
    store_fx_commit(st);
    assert_int_equal(hub_store_pending(st), 0);
    hub_store_close(st);

    st = store_fx_open(fx);
    load_ok(st, 0, &seen);
    assert_int_equal(seen.n, 3);
    for (int i = 0; i < 3; i++)
        assert_same_job(&seen.jobs[i], &jobs[i]);
    seen_clear(&seen);
    hub_job_clear(&jobs[1]);
    hub_store_close(st);
}

/* Rows leave out members equal to their decoded defaults; array_task_id
 * 0 is not the default (-1) and must come back as 0. */
static void test_rows_restore_every_field_left_out(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    hub_job_t job;
    seen_t seen = {.n = 0};

    make_job(&job, 1, HUB_JOB_PENDING, 0, 0);
    job.array_job_id = 1;
    job.array_task_id = 0;
    job.req.ndeps = 1;
    job.req.deps[0].type = HUB_DEP_AFTEROK;
    job.req.deps[0].job_id = 77;
    job.req.nice = -5;
    put_ok(st, &job, NULL);
    store_fx_commit(st);
    load_ok(st, 0, &seen);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.jobs[0].array_task_id, 0);
    assert_int_equal(seen.jobs[0].array_job_id, 1);
    assert_int_equal(seen.jobs[0].uid, 0);
    assert_memory_equal(&seen.jobs[0].req, &job.req, sizeof(job.req));
    seen_clear(&seen);
    hub_store_close(st);
}

static void test_put_copies_the_job_at_put_time(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    hub_job_t job;
    seen_t seen = {.n = 0};

    make_job(&job, 1, HUB_JOB_PENDING, 1000, 0);
    put_ok(st, &job, NULL);
    job.state = HUB_JOB_RUNNING; /* after put: not in this batch */
    store_fx_commit(st);
    load_ok(st, 0, &seen);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.jobs[0].state, HUB_JOB_PENDING);
    seen_clear(&seen);
    hub_store_close(st);
}

static void test_same_job_put_twice_in_a_batch_keeps_the_last(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    seen_t seen = {.n = 0};

    put_simple(st, 5, HUB_JOB_PENDING, 1000, 0);
    put_simple(st, 5, HUB_JOB_CANCELLED, 1000, 1700000000100);
    store_fx_commit(st);
    load_ok(st, 0, &seen);
    assert_int_equal(seen.n, 1);
    assert_int_equal(seen.jobs[0].state, HUB_JOB_CANCELLED);
    assert_int_equal(seen.jobs[0].end_ms, 1700000000100);
    seen_clear(&seen);
    hub_store_close(st);
}

static void test_next_job_id_survives_reopen(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);

    hub_store_put_next_id(st, 42);
    hub_store_put_next_id(st, 17); /* the largest queued wins */
    assert_int_equal(hub_store_pending(st), 1);
    store_fx_commit(st);
    hub_store_put_next_id(st, 30); /* lower than stored: ignored */
    store_fx_commit(st);
    hub_store_close(st);

    st = store_fx_open(fx);
    assert_int_equal(hub_store_next_job_id(st), 42);
    hub_store_close(st);
}

static void test_next_job_id_is_above_every_stored_job(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);

    hub_store_put_next_id(st, 3);
    put_simple(st, 9, HUB_JOB_PENDING, 1000, 0);
    store_fx_commit(st);
    hub_store_close(st);
    st = store_fx_open(fx);
    assert_int_equal(hub_store_next_job_id(st), 10);
    hub_store_close(st);
}

static void test_spec_is_kept_when_later_puts_give_none(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    json_t *spec = json_pack("{s:s, s:[s]}", "script", "#!/bin/sh\necho hi\n",
                             "env", "A=1");
    hub_error_t err = {""};
    json_t *got;

    put_simple(st, 1, HUB_JOB_PENDING, 1000, 0);
    /* the spec is the one given at put time, even if changed after */
    assert_int_equal(hub_store_put_job(st, &(hub_job_t){.id = 2}, spec), 0);
    json_object_set_new(spec, "changed", json_true());
    store_fx_commit(st);
    put_simple(st, 2, HUB_JOB_RUNNING, 1000, 0);
    store_fx_commit(st);

    got = hub_store_get_spec(st, 2, &err);
    assert_non_null(got);
    assert_string_equal(json_string_value(json_object_get(got, "script")),
                        "#!/bin/sh\necho hi\n");
    assert_null(json_object_get(got, "changed"));
    json_decref(got);
    assert_null(hub_store_get_spec(st, 1, &err));
    assert_non_null(strstr(err.text, "job 1: no launch data"));
    json_decref(spec);
    hub_store_close(st);
}

static void test_failed_commit_rolls_back_and_keeps_the_batch(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    hub_store_batch_t *b;
    hub_error_t err = {""};

    raw_sql(fx, "CREATE TRIGGER refuse BEFORE INSERT ON jobs"
                " WHEN new.id = 666 BEGIN SELECT RAISE(ABORT, 'no'); END");
    put_simple(st, 1, HUB_JOB_PENDING, 1000, 0);
    put_simple(st, 666, HUB_JOB_PENDING, 1000, 0);
    put_simple(st, 3, HUB_JOB_PENDING, 1000, 0);
    hub_store_put_next_id(st, 700);
    b = hub_store_take_batch(st);
    assert_true(hub_store_commit(st, b, &err) < 0);
    assert_non_null(strstr(err.text, "job 666"));
    assert_int_equal(hub_store_batch_count(b), 3);
    assert_int_equal(count_all(st), 0); /* job 1 rolled back */

    raw_sql(fx, "DROP TRIGGER refuse");
    assert_int_equal(hub_store_commit(st, b, &err), 0);
    hub_store_batch_destroy(b);
    assert_int_equal(count_all(st), 3);
    hub_store_close(st);
    st = store_fx_open(fx);
    assert_int_equal(hub_store_next_job_id(st), 700);
    hub_store_close(st);
}

/* ---- recovery window and accounting queries ------------------------------
 */

static void test_old_final_jobs_are_not_loaded_but_queryable(void **state)
{
    store_fixture_t *fx = *state;
    hub_store_t *st = store_fx_open(fx);
    hub_store_query_t q = {.start_ms = 0, .end_ms = 5000, .uid = -1};
    seen_t seen = {.n = 0};

    put_simple(st, 1, HUB_JOB_COMPLETED, 1000, 1000); /* old: forgotten */
    put_simple(st, 2, HUB_JOB_PENDING, 1000, 0);
    put_simple(st, 3, HUB_JOB_REQUEUED, 1000, 500); /* not final */
    put_simple(st, 4, HUB_JOB_TIMEOUT, 1000, 2000); /* at since: kept */
    store_fx_commit(st);

    load_ok(st, 2000, &seen);
    assert_int_equal(seen.n, 3);
    assert_int_equal(seen.jobs[0].id, 2);
    assert_int_equal(seen.jobs[1].id, 3);
    assert_int_equal(seen.jobs[2].id, 4);
    seen_clear(&seen);

    query_ok(st, &q, &seen);
    assert_int_equal(seen.n, 2); /* final jobs only */
    assert_int_equal(seen.jobs[0].id, 1);
    assert_int_equal(seen.jobs[1].id, 4);
    seen_clear(&seen);
    hub_store_close(st);
}

/* Jobs 1..8 end in reverse id order, two users, mixed final states. */
static hub_store_t *accounting_store(const store_fixture_t *fx)
{
    static const hub_job_state_t states[] = {
        HUB_JOB_COMPLETED, HUB_JOB_FAILED,    HUB_JOB_CANCELLED,
        HUB_JOB_COMPLETED, HUB_JOB_TIMEOUT,   HUB_JOB_COMPLETED,
        HUB_JOB_FAILED,    HUB_JOB_COMPLETED,
    };
    hub_store_t *st = store_fx_open(fx);

    for (uint32_t id = 1; id <= 8; id++)
        put_simple(st, id, states[id - 1], id % 2 ? 1000 : 2000,
                   10000 - 100 * id);
    put_simple(st, 9, HUB_JOB_RUNNING, 1000, 0);
    store_fx_commit(st);
    return st;
}

static void assert_ids(const seen_t *seen, const hub_job_id_t *ids, int n)
{
    assert_int_equal(seen->n, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(seen->jobs[i].id, ids[i]);
}

static void test_query_returns_final_jobs_in_end_order(void **state)
{
    hub_store_t *st = accounting_store(*state);
    hub_store_query_t q = {.start_ms = 0, .end_ms = INT64_MAX, .uid = -1};
    const hub_job_id_t ids[] = {8, 7, 6, 5, 4, 3, 2, 1};
    seen_t seen = {.n = 0};

    query_ok(st, &q, &seen);
    assert_ids(&seen, ids, 8);
    seen_clear(&seen);
    hub_store_close(st);
}

static void test_query_window_includes_start_excludes_end(void **state)
{
    hub_store_t *st = accounting_store(*state);
    hub_store_query_t q = {.start_ms = 9400, .end_ms = 9700, .uid = -1};
    const hub_job_id_t ids[] = {6, 5, 4}; /* ended 9400, 9500, 9600 */
    seen_t seen = {.n = 0};

    query_ok(st, &q, &seen);
    assert_ids(&seen, ids, 3);
    seen_clear(&seen);
    hub_store_close(st);
}

static void test_query_filters_by_uid_state_and_limit(void **state)
{
    hub_store_t *st = accounting_store(*state);
    hub_store_query_t q = {.start_ms = 0, .end_ms = INT64_MAX, .uid = 2000};
    const hub_job_id_t by_uid[] = {8, 6, 4, 2};
    const hub_job_id_t by_state[] = {7, 2};
    const hub_job_id_t limited[] = {8, 6};
    seen_t seen = {.n = 0};

    query_ok(st, &q, &seen);
    assert_ids(&seen, by_uid, 4);
    seen_clear(&seen);
    q.uid = -1;
    q.state_mask = 1u << HUB_JOB_FAILED | 1u << HUB_JOB_RUNNING;
    query_ok(st, &q, &seen);
    assert_ids(&seen, by_state, 2); /* running job 9 is not accounting */
    seen_clear(&seen);
    q.state_mask = 1u << HUB_JOB_COMPLETED;
    q.limit = 2;
    query_ok(st, &q, &seen);
    assert_ids(&seen, limited, 2);
    seen_clear(&seen);
    hub_store_close(st);
}

static int stop_at_second(hub_job_t *job, void *arg)
{
    return ++*(int *)arg == 2 ? 99 : 0;
}

static void test_callback_return_stops_the_walk(void **state)
{
    hub_store_t *st = accounting_store(*state);
    hub_store_query_t q = {.start_ms = 0, .end_ms = INT64_MAX, .uid = -1};
    int calls = 0;

    assert_int_equal(hub_store_query(st, &q, stop_at_second, &calls, NULL), 99);
    assert_int_equal(calls, 2);
    calls = 0;
    assert_int_equal(hub_store_load(st, 0, stop_at_second, &calls, NULL), 99);
    assert_int_equal(calls, 2);
    hub_store_close(st);
}

/* ---- threads and readers -------------------------------------------------
 */

#define THREAD_JOBS 3000

typedef struct handoff {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hub_store_t *st;
    hub_store_batch_t *batch; /* waiting for the worker */
    int done;
    int failures, commits;
} handoff_t;

static hub_store_batch_t *next_batch(handoff_t *h)
{
    hub_store_batch_t *b;

    pthread_mutex_lock(&h->mu);
    while (!h->batch && !h->done)
        pthread_cond_wait(&h->cv, &h->mu);
    b = h->batch;
    h->batch = NULL;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return b;
}

static void *committer(void *arg)
{
    handoff_t *h = arg;
    hub_store_batch_t *b;

    while ((b = next_batch(h))) {
        if (hub_store_commit(h->st, b, NULL) != 0)
            h->failures++;
        h->commits++;
        hub_store_batch_destroy(b);
    }
    return NULL;
}

/* Hand the open batch over if the worker is free (wait if must). */
static void hand_over(handoff_t *h, int must)
{
    pthread_mutex_lock(&h->mu);
    while (must && h->batch)
        pthread_cond_wait(&h->cv, &h->mu);
    if (!h->batch) {
        h->batch = hub_store_take_batch(h->st);
        pthread_cond_broadcast(&h->cv);
    }
    pthread_mutex_unlock(&h->mu);
}

static void test_commit_in_a_thread_while_the_next_batch_fills(void **state)
{
    store_fixture_t *fx = *state;
    handoff_t h = {.mu = PTHREAD_MUTEX_INITIALIZER,
                   .cv = PTHREAD_COND_INITIALIZER};
    pthread_t tid;

    h.st = store_fx_open(fx);
    assert_int_equal(pthread_create(&tid, NULL, committer, &h), 0);
    for (hub_job_id_t id = 1; id <= THREAD_JOBS; id++) {
        put_simple(h.st, id, HUB_JOB_PENDING, 1000, 0);
        hub_store_put_next_id(h.st, id + 1);
        hand_over(&h, 0);
    }
    hand_over(&h, 1);
    hand_over(&h, 1); /* the worker took the last one */
    pthread_mutex_lock(&h.mu);
    h.done = 1;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.mu);
    pthread_join(tid, NULL);
    assert_int_equal(h.failures, 0);
    assert_true(h.commits > 1);
    hub_store_close(h.st);

    h.st = store_fx_open(fx);
    assert_int_equal(count_all(h.st), THREAD_JOBS);
    assert_int_equal(hub_store_next_job_id(h.st), THREAD_JOBS + 1);
    hub_store_close(h.st);
}

typedef struct mid_commit {
    hub_store_t *writer;
    int rows;
} mid_commit_t;

/* On the reader's first row, commit a new job through the writer. */
static int commit_during_read(hub_job_t *job, void *arg)
{
    mid_commit_t *m = arg;

    if (m->rows++ == 0) {
        put_simple(m->writer, 100, HUB_JOB_PENDING, 1000, 0);
        store_fx_commit(m->writer);
    }
    return 0;
}

static void test_reader_reads_while_the_writer_commits(void **state)
{
    store_fixture_t *fx = *state;
    mid_commit_t m = {.writer = store_fx_open(fx)};
    hub_error_t err = {""};
    hub_store_batch_t *b;
    hub_store_t *rd;

    for (hub_job_id_t id = 1; id <= 10; id++)
        put_simple(m.writer, id, HUB_JOB_PENDING, 1000, 0);
    store_fx_commit(m.writer);
    rd = hub_store_open_reader(fx->dir, &err);
    assert_non_null(rd);
    assert_int_equal(hub_store_load(rd, 0, commit_during_read, &m, &err), 0);
    assert_int_equal(m.rows, 10); /* the reader's snapshot */
    assert_int_equal(count_all(rd), 11);

    put_simple(rd, 200, HUB_JOB_PENDING, 1000, 0);
    b = hub_store_take_batch(rd);
    assert_int_equal(hub_store_commit(rd, b, &err), -EROFS);
    hub_store_batch_destroy(b);
    hub_store_close(rd);
    hub_store_close(m.writer);
}

/* ---- crash durability ----------------------------------------------------
 */

#define BATCH_JOBS 4

/* Commit batches of BATCH_JOBS jobs; report each batch's last id on fd
 * after its commit returned. Never returns. */
static void child_commit(const char *dir, int nbatches, int fd)
{
    hub_store_t *st = hub_store_open(dir, NULL);
    hub_job_id_t id = 1;

    if (!st)
        _exit(2);
    for (int i = 0; nbatches < 0 || i < nbatches; i++) {
        for (int j = 0; j < BATCH_JOBS; j++, id++)
            put_simple(st, id, HUB_JOB_PENDING, 1000, 0);
        hub_store_put_next_id(st, id);
        hub_store_batch_t *b = hub_store_take_batch(st);
        if (hub_store_commit(st, b, NULL) != 0)
            _exit(3);
        hub_store_batch_destroy(b);
        hub_job_id_t last = id - 1;
        if (fd >= 0 && write(fd, &last, sizeof(last)) != sizeof(last))
            _exit(4);
    }
    _exit(0); /* no close, no checkpoint, no atexit */
}

static int ids_in_order(hub_job_t *job, void *arg)
{
    hub_job_id_t *expect = arg;

    return job->id == (*expect)++ ? 0 : -EILSEQ;
}

/* Every job 1..n present, in order, nothing else. */
static void assert_jobs_1_to(const store_fixture_t *fx, hub_job_id_t n)
{
    hub_store_t *st = store_fx_open(fx);
    hub_job_id_t expect = 1;

    assert_int_equal(hub_store_load(st, 0, ids_in_order, &expect, NULL), 0);
    assert_int_equal(expect - 1, n);
    assert_int_equal(hub_store_next_job_id(st), n + 1);
    hub_store_close(st);
}

static void test_commits_survive_exit_without_close(void **state)
{
    store_fixture_t *fx = *state;
    int status = 0;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0)
        child_commit(fx->dir, 25, -1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_jobs_1_to(fx, 25 * BATCH_JOBS);
}

/* The last id the child reported: read until the pipe closes. */
static hub_job_id_t last_reported(int fd, hub_job_id_t last)
{
    hub_job_id_t id;

    while (read(fd, &id, sizeof(id)) == sizeof(id))
        last = id;
    return last;
}

static void test_every_returned_commit_survives_kill_9(void **state)
{
    store_fixture_t *fx = *state;
    int fds[2], status = 0;
    hub_job_id_t id = 0, last;
    hub_store_t *st;
    uint32_t n;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_commit(fx->dir, -1, fds[1]);
    }
    close(fds[1]);
    while (id < 40 * BATCH_JOBS)
        assert_int_equal(read(fds[0], &id, sizeof(id)), sizeof(id));
    kill(pid, SIGKILL); /* most likely in the middle of a commit */
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    last = last_reported(fds[0], id);
    close(fds[0]);

    st = store_fx_open(fx);
    n = count_all(st);
    hub_store_close(st);
    /* what returned is there; at most the batch in flight besides, and
     * only whole batches */
    assert_true(n >= last && n <= last + BATCH_JOBS);
    assert_int_equal(n % BATCH_JOBS, 0);
    assert_jobs_1_to(fx, n);
}

#define T(f)                                                                   \
    cmocka_unit_test_setup_teardown(f, store_fx_setup, store_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_creates_an_empty_store),
        cmocka_unit_test(test_open_fails_in_a_missing_directory),
        T(test_other_schema_version_is_refused_with_advice),
        T(test_foreign_database_is_refused),
        T(test_committed_jobs_load_exactly_after_reopen),
        T(test_rows_restore_every_field_left_out),
        T(test_put_copies_the_job_at_put_time),
        T(test_same_job_put_twice_in_a_batch_keeps_the_last),
        T(test_next_job_id_survives_reopen),
        T(test_next_job_id_is_above_every_stored_job),
        T(test_spec_is_kept_when_later_puts_give_none),
        T(test_failed_commit_rolls_back_and_keeps_the_batch),
        T(test_old_final_jobs_are_not_loaded_but_queryable),
        T(test_query_returns_final_jobs_in_end_order),
        T(test_query_window_includes_start_excludes_end),
        T(test_query_filters_by_uid_state_and_limit),
        T(test_callback_return_stops_the_walk),
        T(test_commit_in_a_thread_while_the_next_batch_fills),
        T(test_reader_reads_while_the_writer_commits),
        T(test_commits_survive_exit_without_close),
        T(test_every_returned_commit_survives_kill_9),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

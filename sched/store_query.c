/* store_query.c - reading the store: recovery at start (hub_store_load),
 * accounting queries (hacct) and a job's launch data.
 *
 * Rows are parsed straight from SQLite's buffer (sqlite3_column_text,
 * json_loadb: no copy), one temporary job at a time, because restart with
 * 100,000 jobs must leave the controller serving within 2 s.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>

typedef int (*job_fn_t)(hub_job_t *job, void *arg);

/* Parse column col of the current row as JSON; NULL + err if it is not. */
static json_t *column_json(sqlite3_stmt *s, int col, hub_error_t *err)
{
    const char *text = (const char *)sqlite3_column_text(s, col);
    size_t len = (size_t)sqlite3_column_bytes(s, col);
    json_error_t jerr;
    json_t *v = text ? json_loadb(text, len, JSON_DECODE_ANY, &jerr) : NULL;

    if (!v)
        hub_errorf(err, EINVAL, "bad JSON: %s",
                   text ? jerr.text : "no text stored");
    return v;
}

/* The row is (id, job): hand its job to fn as a temporary. */
static int row_to_job(sqlite3_stmt *s, job_fn_t fn, void *arg, hub_error_t *err)
{
    hub_job_id_t id = (hub_job_id_t)sqlite3_column_int64(s, 0);
    json_t *obj = column_json(s, 1, err);
    hub_job_t job;
    int rc;

    if (!obj)
        return hub_error_prefix(err, -EINVAL, "stored job %u", id);
    rc = hub_job_from_json(obj, &job, err);
    json_decref(obj);
    if (rc < 0)
        return hub_error_prefix(err, rc, "stored job %u", id);
    rc = fn(&job, arg);
    hub_job_clear(&job);
    return rc;
}

/* Step s to its end, calling fn on each row; stops at fn's first
 * non-zero return. Resets s in every case. */
static int for_each_job(hub_store_t *st, sqlite3_stmt *s, job_fn_t fn,
                        void *arg, hub_error_t *err)
{
    int step = SQLITE_DONE, rc = 0;

    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW)
        rc = row_to_job(s, fn, arg, err);
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sql_error(st, step, "reading jobs", err);
    sqlite3_reset(s);
    return rc;
}

/* The states that are not final as a JSON array, e.g. "[0,1,2,9]". */
static void live_states(char *buf, size_t size)
{
    uint32_t final = store_final_mask();
    size_t used = 0;

    for (int s = 0; s < HUB_JOB_STATE_COUNT && used < size; s++)
        if (!(final & 1u << s))
            used += (size_t)snprintf(buf + used, size - used, "%c%d",
                                     used ? ',' : '[', s);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

int hub_store_load(hub_store_t *st, int64_t since_ms, job_fn_t fn, void *arg,
                   hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_LOAD, err);
    char states[4 * HUB_JOB_STATE_COUNT + 3];
    int rc;

    if (!s)
        return -EIO;
    live_states(states, sizeof(states));
    rc = sqlite3_bind_text(s, 1, states, -1, SQLITE_TRANSIENT);
    rc = rc ? rc : sqlite3_bind_int64(s, 2, since_ms);
    if (rc != SQLITE_OK)
        return store_sql_error(st, rc, "binding", err);
    return for_each_job(st, s, fn, arg, err);
}

static int bind_query(sqlite3_stmt *s, const hub_store_query_t *q)
{
    uint32_t final = store_final_mask();
    uint32_t mask = q->state_mask ? q->state_mask & final : final;
    int rc = sqlite3_bind_int64(s, 1, q->start_ms);

    rc = rc ? rc : sqlite3_bind_int64(s, 2, q->end_ms);
    rc = rc ? rc : sqlite3_bind_int64(s, 3, mask);
    rc = rc ? rc : sqlite3_bind_int64(s, 4, q->uid < 0 ? -1 : q->uid);
    return rc ? rc
              : sqlite3_bind_int64(s, 5, q->limit ? (int64_t)q->limit : -1);
}

int hub_store_query(hub_store_t *st, const hub_store_query_t *q, job_fn_t fn,
                    void *arg, hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_QUERY, err);
    int rc;

    if (!s)
        return -EIO;
    rc = bind_query(s, q);
    if (rc != SQLITE_OK)
        return store_sql_error(st, rc, "binding", err);
    return for_each_job(st, s, fn, arg, err);
}

json_t *hub_store_get_spec(hub_store_t *st, hub_job_id_t id, hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_GET_SPEC, err);
    json_t *spec = NULL;
    int rc;

    if (!s)
        return NULL;
    rc = sqlite3_bind_int64(s, 1, id);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        spec = column_json(s, 0, err);
        if (!spec)
            hub_error_prefix(err, -EINVAL, "job %u: launch data", id);
    } else if (rc == SQLITE_DONE) {
        hub_errorf(err, ENOENT, "job %u: no launch data stored", id);
    } else {
        store_sql_error(st, rc, "reading launch data", err);
    }
    sqlite3_reset(s);
    return spec;
}

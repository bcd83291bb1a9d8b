/* store_batch.c - group commit: the loop thread appends job changes to the
 * open batch without touching SQLite, the worker thread writes a whole
 * batch in one transaction (one fsync for every change in it).
 *
 * A batch is two growing buffers: the changes (fixed-size records) and an
 * arena holding their text (names and the job's compact JSON, dumped at
 * put time because the job changes right after). A new batch starts with
 * the previous one's sizes, so that a steady load allocates twice per
 * batch and never regrows. Rows leave out the members that decoding
 * restores (store_job_defaults). Every put of a job is kept and written
 * in put order: the last one wins, as in memory.
 */
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MIN_CHANGES 16
#define BATCH_MIN_BYTES (16 * 1024) /* about 8 jobs' JSON */

/* ---- building (loop thread) ---------------------------------------------
 */

static hub_store_batch_t *batch_new(uint32_t hint_n, size_t hint_bytes)
{
    hub_store_batch_t *b = calloc(1, sizeof(*b));

    if (!b)
        return NULL;
    b->cap = hint_n > BATCH_MIN_CHANGES ? hint_n : BATCH_MIN_CHANGES;
    b->arena_cap = hint_bytes > BATCH_MIN_BYTES ? hint_bytes : BATCH_MIN_BYTES;
    b->changes = malloc(b->cap * sizeof(*b->changes));
    b->arena = malloc(b->arena_cap);
    if (!b->changes || !b->arena) {
        hub_store_batch_destroy(b);
        return NULL;
    }
    return b;
}

hub_store_batch_t *store_open_batch(hub_store_t *st)
{
    if (!st->open)
        st->open = batch_new(st->hint_n, st->hint_bytes);
    return st->open;
}

/* Room for one more change. */
static int grow_changes(hub_store_batch_t *b)
{
    store_change_t *p;
    uint32_t cap;

    if (b->n < b->cap)
        return 0;
    if (b->cap > UINT32_MAX / 2)
        return -ENOMEM;
    cap = b->cap * 2;
    p = realloc(b->changes, cap * sizeof(*p));
    if (!p)
        return -ENOMEM;
    b->changes = p;
    b->cap = cap;
    return 0;
}

/* Room for more bytes in the arena. */
static int reserve(hub_store_batch_t *b, size_t more)
{
    size_t cap = b->arena_cap;
    char *p;

    if (more <= cap - b->used)
        return 0;
    while (more > cap - b->used) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    p = realloc(b->arena, cap);
    if (!p)
        return -ENOMEM;
    b->arena = p;
    b->arena_cap = cap;
    return 0;
}

static int put_name(hub_store_batch_t *b, const char *s, size_t *off,
                    size_t *len)
{
    size_t n = strnlen(s, HUB_NAME_MAX);
    int rc = reserve(b, n);

    if (rc < 0)
        return rc;
    memcpy(b->arena + b->used, s, n);
    *off = b->used;
    *len = n;
    b->used += n;
    return 0;
}

/* Dump v as compact JSON straight into the arena (json_dumpb: the same
 * text as json_dumps, without a malloc per job). */
static int put_json(hub_store_batch_t *b, const json_t *v, size_t *off,
                    size_t *len)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t n = json_dumpb(v, b->arena + b->used, b->arena_cap - b->used, flags);

    if (n == 0)
        return -ENOMEM;
    if (n > b->arena_cap - b->used) {
        if (reserve(b, n) < 0)
            return -ENOMEM;
        if (json_dumpb(v, b->arena + b->used, n, flags) != n)
            return -ENOMEM;
    }
    *off = b->used;
    *len = n;
    b->used += n;
    return 0;
}

json_t *store_job_defaults(void)
{
    json_t *empty = json_object();
    json_t *defaults = NULL;
    hub_job_t job;

    if (empty && hub_job_from_json(empty, &job, NULL) == 0) {
        defaults = hub_job_to_json(&job);
        hub_job_clear(&job);
    }
    json_decref(empty);
    return defaults;
}

/* Leave out the members of obj equal to defaults' (recursing into
 * objects): decoding gives them back. A pending job's row shrinks from
 * 860 to 230 bytes, which makes loading it 3.4x faster (29 -> 8.4 us
 * here) and the put itself cheaper (16.5 -> 11 us: less to dump). */
static void strip_defaults(json_t *obj, const json_t *defaults)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(obj, tmp, key, v)
    {
        const json_t *d = json_object_get(defaults, key);
        if (!d)
            continue;
        if (json_is_object(v) && json_is_object(d))
            strip_defaults(v, d);
        else if (json_equal(v, d))
            json_object_del(obj, key);
    }
}

static int put_change(hub_store_batch_t *b, store_change_t *c,
                      const hub_job_t *job, const json_t *obj,
                      const json_t *spec)
{
    int rc = put_name(b, job->user, &c->user_off, &c->user_len);

    if (rc == 0)
        rc = put_name(b, job->req.name, &c->name_off, &c->name_len);
    if (rc == 0)
        rc = put_name(b, job->req.partition, &c->part_off, &c->part_len);
    if (rc == 0)
        rc = put_json(b, obj, &c->job_off, &c->job_len);
    if (rc == 0 && spec)
        rc = put_json(b, spec, &c->spec_off, &c->spec_len);
    return rc;
}

int hub_store_put_job(hub_store_t *st, const hub_job_t *job, const json_t *spec)
{
    hub_store_batch_t *b = store_open_batch(st);
    store_change_t *c;
    json_t *obj;
    size_t mark;
    int rc;

    if (!b || grow_changes(b) < 0 || !(obj = hub_job_to_json(job)))
        return -ENOMEM;
    if (st->defaults)
        strip_defaults(obj, st->defaults);
    mark = b->used;
    c = &b->changes[b->n];
    memset(c, 0, sizeof(*c));
    c->id = job->id;
    c->state = (int32_t)job->state;
    c->uid = job->uid;
    c->submit_ms = job->submit_ms;
    c->start_ms = job->start_ms;
    c->end_ms = job->end_ms;
    c->has_spec = spec != NULL;
    rc = put_change(b, c, job, obj, spec);
    json_decref(obj);
    if (rc < 0) {
        b->used = mark; /* no trace of the failed put */
        return rc;
    }
    b->n++;
    return 0;
}

void hub_store_put_next_id(hub_store_t *st, hub_job_id_t next_id)
{
    if (next_id > st->pending_next_id)
        st->pending_next_id = next_id;
}

uint32_t hub_store_pending(const hub_store_t *st)
{
    uint32_t n = st->open ? st->open->n + st->open->nusage : 0;

    return n + (st->pending_next_id != HUB_JOB_ID_NONE);
}

/* A batch holding only a next id still needs a struct; if even that
 * cannot be allocated, the id stays queued and NULL says "nothing now". */
hub_store_batch_t *hub_store_take_batch(hub_store_t *st)
{
    hub_store_batch_t *b = st->open;

    if (hub_store_pending(st) == 0)
        return NULL;
    if (!b && !(b = calloc(1, sizeof(*b))))
        return NULL;
    b->next_id = st->pending_next_id;
    st->pending_next_id = HUB_JOB_ID_NONE;
    if (b->n > 0) {
        st->hint_n = b->n;
        st->hint_bytes = b->used;
    }
    st->open = NULL;
    return b;
}

uint32_t hub_store_batch_count(const hub_store_batch_t *batch)
{
    return batch ? batch->n : 0;
}

void hub_store_batch_destroy(hub_store_batch_t *batch)
{
    if (!batch)
        return;
    free(batch->changes);
    free(batch->arena);
    free(batch->usage);
    free(batch);
}

/* ---- commit (worker thread) ---------------------------------------------
 */

/* Bind arena text without a copy: the batch outlives the step. */
static int bind_text(sqlite3_stmt *s, int col, const hub_store_batch_t *b,
                     size_t off, size_t len)
{
    return sqlite3_bind_text64(s, col, b->arena + off, len, SQLITE_STATIC,
                               SQLITE_UTF8);
}

static int bind_job(sqlite3_stmt *s, const hub_store_batch_t *b,
                    const store_change_t *c)
{
    int rc = sqlite3_bind_int64(s, 1, c->id);

    rc = rc ? rc : sqlite3_bind_int(s, 2, c->state);
    rc = rc ? rc : sqlite3_bind_int64(s, 3, c->uid);
    rc = rc ? rc : bind_text(s, 4, b, c->user_off, c->user_len);
    rc = rc ? rc : bind_text(s, 5, b, c->name_off, c->name_len);
    rc = rc ? rc : bind_text(s, 6, b, c->part_off, c->part_len);
    rc = rc ? rc : sqlite3_bind_int64(s, 7, c->submit_ms);
    rc = rc ? rc : sqlite3_bind_int64(s, 8, c->start_ms);
    rc = rc ? rc : sqlite3_bind_int64(s, 9, c->end_ms);
    return rc ? rc : bind_text(s, 10, b, c->job_off, c->job_len);
}

static int write_spec(hub_store_t *st, const hub_store_batch_t *b,
                      const store_change_t *c, hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_PUT_SPEC, err);
    int rc;

    if (!s)
        return -EIO;
    rc = sqlite3_bind_int64(s, 1, c->id);
    rc = rc ? rc : bind_text(s, 2, b, c->spec_off, c->spec_len);
    if (rc != SQLITE_OK)
        return store_sql_error(st, rc, "binding a job's launch data", err);
    return store_step_done(st, s, "writing a job's launch data", err);
}

static int write_change(hub_store_t *st, const hub_store_batch_t *b,
                        const store_change_t *c, hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_PUT_JOB, err);
    int rc;

    if (!s)
        return -EIO;
    rc = bind_job(s, b, c);
    if (rc != SQLITE_OK)
        rc = store_sql_error(st, rc, "binding a job", err);
    else
        rc = store_step_done(st, s, "writing a job", err);
    if (rc == 0 && c->has_spec)
        rc = write_spec(st, b, c, err);
    return rc < 0 ? hub_error_prefix(err, rc, "job %u", c->id) : 0;
}

static int write_next_id(hub_store_t *st, hub_job_id_t next_id,
                         hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_PUT_NEXT_ID, err);
    int rc;

    if (!s)
        return -EIO;
    rc = sqlite3_bind_int64(s, 1, next_id);
    if (rc != SQLITE_OK)
        return store_sql_error(st, rc, "binding the next job id", err);
    return store_step_done(st, s, "writing the next job id", err);
}

static int run(hub_store_t *st, store_stmt_id_t id, const char *what,
               hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, id, err);

    return s ? store_step_done(st, s, what, err) : -EIO;
}

static int write_batch(hub_store_t *st, const hub_store_batch_t *b,
                       hub_error_t *err)
{
    int rc = 0;

    for (uint32_t i = 0; rc == 0 && i < b->n; i++)
        rc = write_change(st, b, &b->changes[i], err);
    if (rc == 0)
        rc = store_write_usage(st, b, err);
    if (rc == 0 && b->next_id != HUB_JOB_ID_NONE)
        rc = write_next_id(st, b->next_id, err);
    return rc;
}

int hub_store_commit(hub_store_t *st, hub_store_batch_t *batch,
                     hub_error_t *err)
{
    int rc;

    if (st->readonly)
        return hub_errorf(err, EROFS, "%s: a reader cannot commit", st->path);
    if (!batch)
        return 0;
    rc = run(st, STMT_BEGIN, "starting a transaction", err);
    if (rc < 0)
        return rc;
    rc = write_batch(st, batch, err);
    if (rc == 0)
        rc = run(st, STMT_COMMIT, "committing", err);
    /* A failed COMMIT may have rolled back already (I/O errors do). */
    if (rc < 0 && !sqlite3_get_autocommit(st->db))
        run(st, STMT_ROLLBACK, "rolling back", NULL);
    return rc;
}

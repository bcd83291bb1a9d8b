/* store.c - opening the controller's SQLite store: the file, WAL and
 * durability settings, the schema and its version check, the statement
 * cache and the translation of SQLite errors into negative errnos.
 *
 * Batches and commits are in store_batch.c, reads in store_query.c,
 * fair-share usage rows in store_usage.c.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_FILE "hubctld.db"
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* How long a connection waits for another one's lock before SQLITE_BUSY.
 * Only checkpoints and a second writer (a mistake) take locks that WAL
 * readers and our writer can meet; 5 s rides out a slow checkpoint. */
#define STORE_BUSY_TIMEOUT_MS 5000

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_PUT_JOB] =
        "INSERT INTO jobs(id, state, uid, user, name, partition, submit_ms,"
        " start_ms, end_ms, job) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " ?10) ON CONFLICT(id) DO UPDATE SET state = excluded.state,"
        " uid = excluded.uid, user = excluded.user, name = excluded.name,"
        " partition = excluded.partition, submit_ms = excluded.submit_ms,"
        " start_ms = excluded.start_ms, end_ms = excluded.end_ms,"
        " job = excluded.job",
    [STMT_PUT_SPEC] = "INSERT OR REPLACE INTO job_specs(id, spec)"
                      " VALUES(?1, ?2)",
    [STMT_PUT_NEXT_ID] =
        "INSERT INTO meta(key, value) VALUES('next_job_id', ?1)"
        " ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
    /* ?1: the unfinished states as a JSON array. Both indexes give ids,
     * the IN list holds them in order: no sort, and the accounting rows
     * that ended before ?2 are never read (a scan of the whole table
     * took 2x as long with 2 old rows per live one). */
    [STMT_LOAD] = "SELECT id, job FROM jobs WHERE id IN (SELECT id FROM jobs"
                  " WHERE state IN (SELECT value FROM json_each(?1))"
                  " UNION ALL SELECT id FROM jobs WHERE end_ms >= ?2)"
                  " ORDER BY id",
    /* The end_ms index gives end order, ties in id order. */
    [STMT_QUERY] = "SELECT id, job FROM jobs WHERE end_ms >= ?1 AND end_ms < ?2"
                   " AND ((1 << state) & ?3) != 0 AND (?4 < 0 OR uid = ?4)"
                   " ORDER BY end_ms, id LIMIT ?5",
    [STMT_GET_SPEC] = "SELECT spec FROM job_specs WHERE id = ?1",
    [STMT_PUT_USAGE] =
        "INSERT INTO usage(account, uid, value, decayed_ms)"
        " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(account, uid) DO UPDATE SET"
        " value = excluded.value, decayed_ms = excluded.decayed_ms",
    [STMT_LOAD_USAGE] = "SELECT account, uid, value, decayed_ms FROM usage",
};

/* What version 2 added: fair-share usage per association. */
static const char usage_schema_sql[] =
    "CREATE TABLE usage(account TEXT NOT NULL, uid INTEGER NOT NULL,"
    " value REAL NOT NULL, decayed_ms INTEGER NOT NULL,"
    " PRIMARY KEY(account, uid));";

/* Version 1's tables: a new store is made as version 1, then upgraded,
 * so that both paths run the same SQL. */
static const char schema_sql[] =
    "CREATE TABLE jobs(id INTEGER PRIMARY KEY, state INTEGER NOT NULL,"
    " uid INTEGER NOT NULL, user TEXT NOT NULL, name TEXT NOT NULL,"
    " partition TEXT NOT NULL, submit_ms INTEGER NOT NULL,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
    " job TEXT NOT NULL);"
    "CREATE INDEX jobs_end_ms ON jobs(end_ms);"
    "CREATE INDEX jobs_state ON jobs(state);"
    "CREATE TABLE job_specs(id INTEGER PRIMARY KEY, spec TEXT NOT NULL);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

/* SQLite's primary result codes as errnos; I/O errors carry the
 * system's errno, which says more (ENOSPC, EACCES...). */
static int errno_of(sqlite3 *db, int rc)
{
    int sys = db ? sqlite3_system_errno(db) : 0;

    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return EBUSY;
    case SQLITE_FULL:
        return ENOSPC;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return EACCES;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_NOTADB:
        return EINVAL;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return sys > 0 ? sys : EIO;
    default:
        return EIO;
    }
}

int store_sql_error(hub_store_t *st, int rc, const char *what, hub_error_t *err)
{
    sqlite3 *db = st ? st->db : NULL;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

    return hub_errorf(err, errno_of(db, rc), "%s: %s: %s",
                      st && st->path ? st->path : STORE_FILE, what, msg);
}

sqlite3_stmt *store_stmt(hub_store_t *st, store_stmt_id_t id, hub_error_t *err)
{
    int rc;

    if (st->stmt[id])
        return st->stmt[id];
    rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                            &st->stmt[id], NULL);
    if (rc != SQLITE_OK) {
        store_sql_error(st, rc, "preparing a statement", err);
        st->stmt[id] = NULL;
        return NULL;
    }
    return st->stmt[id];
}

int store_step_done(hub_store_t *st, sqlite3_stmt *stmt, const char *what,
                    hub_error_t *err)
{
    int rc = sqlite3_step(stmt);

    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return store_sql_error(st, rc, what, err);
    return 0;
}

uint32_t store_final_mask(void)
{
    uint32_t mask = 0;

    for (int s = 0; s < HUB_JOB_STATE_COUNT; s++)
        if (hub_job_state_is_final((hub_job_state_t)s))
            mask |= 1u << s;
    return mask;
}

/* Run a one-row, one-integer statement (PRAGMA user_version...). */
static int query_int(hub_store_t *st, const char *sql, int64_t *out,
                     hub_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(stmt, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        rc = store_sql_error(st, rc, sql, err);
    sqlite3_finalize(stmt);
    return rc;
}

static int exec(hub_store_t *st, const char *sql, const char *what,
                hub_error_t *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : store_sql_error(st, rc, what, err);
}

/* WAL so that readers never block the commit, FULL so that a commit is
 * on disk when it returns (the controller acknowledges after it). */
static int set_durability(hub_store_t *st, hub_error_t *err)
{
    sqlite3_stmt *stmt = NULL;
    int rc =
        sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL);
    int wal = 0;

    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(stmt, 0);
        wal = mode && strcmp(mode, "wal") == 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK)
        return store_sql_error(st, rc, "setting WAL mode", err);
    if (!wal)
        return hub_errorf(err, ENOTSUP,
                          "%s: the file system does not support SQLite's "
                          "WAL mode (shared memory): use a local disk",
                          st->path);
    return exec(st, "PRAGMA synchronous=FULL", "setting synchronous", err);
}

/* The version check; a database is ours only if it says so. */
static int check_version(hub_store_t *st, int64_t version, hub_error_t *err)
{
    if (version == HUB_STORE_SCHEMA_VERSION)
        return 0;
    if (version == 0)
        return hub_errorf(err, EINVAL,
                          "%s: not a hubctld database (no schema version): "
                          "point StateSaveLocation elsewhere or move the "
                          "file aside",
                          st->path);
    return hub_errorf(err, EINVAL,
                      "%s: schema version %lld, but this hubctld uses "
                      "version %d: run the hubctld release that wrote it, "
                      "or move the file aside to start with no jobs",
                      st->path, (long long)version, HUB_STORE_SCHEMA_VERSION);
}

static int set_version(hub_store_t *st, hub_error_t *err)
{
    return exec(st,
                "PRAGMA user_version = " STRINGIFY(HUB_STORE_SCHEMA_VERSION),
                "setting the schema version", err);
}

/* Version 1 lacks only the usage table. */
static int upgrade_from_1(hub_store_t *st, hub_error_t *err)
{
    int rc = exec(st, usage_schema_sql, "adding the usage table", err);

    return rc < 0 ? rc : set_version(st, err);
}

/* Create the schema in an empty database, upgrade a version 1 one, or
 * check the existing one. */
static int create_or_check(hub_store_t *st, hub_error_t *err)
{
    int64_t version = 0, tables = 0;
    int rc = query_int(st, "PRAGMA user_version", &version, err);

    if (rc == 0)
        rc = query_int(st, "SELECT count(*) FROM sqlite_schema", &tables, err);
    if (rc == 0 && tables > 0 && version == 1)
        return upgrade_from_1(st, err);
    if (rc < 0 || tables > 0)
        return rc < 0 ? rc : check_version(st, version, err);
    rc = exec(st, schema_sql, "creating the schema", err);
    return rc < 0 ? rc : upgrade_from_1(st, err);
}

static int init_schema(hub_store_t *st, hub_error_t *err)
{
    int rc = exec(st, "BEGIN IMMEDIATE", "starting the schema check", err);

    if (rc < 0)
        return rc;
    rc = create_or_check(st, err);
    if (rc == 0)
        rc = exec(st, "COMMIT", "committing the schema", err);
    if (rc < 0)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int read_next_id(hub_store_t *st, hub_error_t *err)
{
    int64_t next = 1;
    int rc = query_int(st,
                       "SELECT max(1, ifnull((SELECT value FROM meta"
                       " WHERE key = 'next_job_id'), 1),"
                       " ifnull((SELECT max(id) FROM jobs), 0) + 1)",
                       &next, err);

    if (rc < 0)
        return rc;
    if (next > UINT32_MAX)
        return hub_errorf(err, ERANGE, "%s: job ids are exhausted", st->path);
    st->next_id = (hub_job_id_t)next;
    return 0;
}

static hub_store_t *store_new(const char *dir, hub_error_t *err)
{
    hub_store_t *st = calloc(1, sizeof(*st));
    size_t len = strlen(dir) + sizeof("/" STORE_FILE);

    if (!st || !(st->path = malloc(len))) {
        free(st);
        hub_errorf(err, ENOMEM, "store: out of memory");
        return NULL;
    }
    snprintf(st->path, len, "%s/%s", dir, STORE_FILE);
    st->defaults = store_job_defaults();
    return st;
}

static int open_db(hub_store_t *st, int flags, hub_error_t *err)
{
    int rc = sqlite3_open_v2(st->path, &st->db, flags, NULL);

    if (rc != SQLITE_OK)
        return store_sql_error(st, rc, "opening", err);
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    return 0;
}

hub_store_t *hub_store_open(const char *dir, hub_error_t *err)
{
    hub_store_t *st = store_new(dir, err);
    int rc;

    if (!st)
        return NULL;
    rc = open_db(st, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (rc == 0)
        rc = set_durability(st, err);
    if (rc == 0)
        rc = init_schema(st, err);
    if (rc == 0)
        rc = read_next_id(st, err);
    if (rc < 0) {
        hub_store_close(st);
        return NULL;
    }
    return st;
}

hub_store_t *hub_store_open_reader(const char *dir, hub_error_t *err)
{
    hub_store_t *st = store_new(dir, err);
    int64_t version = 0;
    int rc;

    if (!st)
        return NULL;
    st->readonly = 1;
    rc = open_db(st, SQLITE_OPEN_READONLY, err);
    if (rc == 0)
        rc = query_int(st, "PRAGMA user_version", &version, err);
    if (rc == 0)
        rc = check_version(st, version, err);
    if (rc == 0)
        rc = read_next_id(st, err);
    if (rc < 0) {
        hub_store_close(st);
        return NULL;
    }
    return st;
}

void hub_store_close(hub_store_t *st)
{
    if (!st)
        return;
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    sqlite3_close(st->db);
    hub_store_batch_destroy(st->open);
    json_decref(st->defaults);
    free(st->path);
    free(st);
}

hub_job_id_t hub_store_next_job_id(hub_store_t *st)
{
    return st->next_id;
}

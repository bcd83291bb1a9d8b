/* store.h - the controller's durable state in SQLite (WAL mode).
 *
 * Every job the controller accepted is a row of `jobs`: its scheduling
 * fields as JSON (hub_job_to_json) plus indexed columns for queries, and
 * its launch data (script, environment: the jobspec JSON) in `job_specs`.
 * `meta` holds the next job id. Finished jobs stay as accounting records
 * (hacct reads them); the controller forgets them from memory after a
 * while, the store keeps them. `usage` holds fair-share usage per
 * association (account, uid) with the time it was decayed to, so that a
 * restarted controller does not reset everyone's fair share.
 *
 * Group commit: the controller's loop thread appends changes to the open
 * batch (hub_store_put_*), never touching SQLite; a worker thread takes
 * the batch (hub_store_take_batch) and commits it in ONE transaction with
 * synchronous=FULL (hub_store_commit), so one fsync covers every client
 * whose request arrived meanwhile. A submission is acknowledged only after
 * the commit that holds it returned 0. While a commit runs, the loop fills
 * the next batch.
 *
 * Threads: put/take/batch functions from the loop thread only; commit and
 * the read functions may run in one other thread at a time (the writer
 * connection), or use hub_store_open_reader for concurrent reads.
 */
#ifndef HUB_STORE_H
#define HUB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "job.h"
#include "usage_rec.h"

/* 2 added `usage`; a version 1 store is upgraded in place at open. */
#define HUB_STORE_SCHEMA_VERSION 2

typedef struct hub_store hub_store_t;
typedef struct hub_store_batch hub_store_batch_t;

/* Open (creating if needed) dir/hubctld.db with WAL and the schema. A
 * version 1 database gets the `usage` table; one of another schema
 * version is refused with a message saying what to do. NULL + err on
 * failure. */
hub_store_t *hub_store_open(const char *dir, hub_error_t *err);

/* NULL-safe; commits nothing: take and commit the open batch first. */
void hub_store_close(hub_store_t *st);

/* ---- recovery (at start, before the loop runs) ---------------------------
 */

/* The next job id to assign (1 for a new store). */
hub_job_id_t hub_store_next_job_id(hub_store_t *st);

/* Call fn for every job not in a final state, and every final job that
 * ended at or after since_ms (kept in memory for dependencies and hqueue),
 * in id order. job is a temporary: fn copies what it keeps (the
 * allocation's nodes array may be taken over, then set job->alloc.nodes =
 * NULL). Stops at fn's first non-zero return and returns it. */
int hub_store_load(hub_store_t *st, int64_t since_ms,
                   int (*fn)(hub_job_t *job, void *arg), void *arg,
                   hub_error_t *err);

/* Call fn for every stored usage record (any order); stops at fn's first
 * non-zero return and returns it. */
int hub_store_load_usage(hub_store_t *st, hub_usage_fn fn, void *arg,
                         hub_error_t *err);

/* ---- writes (loop thread) -------------------------------------------------
 */

/* Record job's current state (insert or replace). spec is the job's
 * launch data (jobspec JSON) on first insert, NULL afterwards (kept).
 * Returns 0 or -ENOMEM. */
int hub_store_put_job(hub_store_t *st, const hub_job_t *job,
                      const json_t *spec);

/* Record one association's usage (insert or replace; the last put of a
 * batch wins). Returns 0 or -ENOMEM. */
int hub_store_put_usage(hub_store_t *st, const hub_usage_rec_t *rec);

/* Record the next job id (monotonic; the largest value queued wins). */
void hub_store_put_next_id(hub_store_t *st, hub_job_id_t next_id);

/* Number of changes (jobs, usage records, a next id) waiting in the open
 * batch. */
uint32_t hub_store_pending(const hub_store_t *st);

/* Detach the open batch (NULL if empty) and open a new one. */
hub_store_batch_t *hub_store_take_batch(hub_store_t *st);

/* ---- commit (worker thread) ----------------------------------------------
 */

/* Write batch in one transaction and make it durable. Returns 0, or a
 * negative errno with err (the batch is left intact so that the caller
 * can report every request in it as failed). */
int hub_store_commit(hub_store_t *st, hub_store_batch_t *batch,
                     hub_error_t *err);

/* Number of job changes in batch. */
uint32_t hub_store_batch_count(const hub_store_batch_t *batch);

void hub_store_batch_destroy(hub_store_batch_t *batch);

/* ---- reads ---------------------------------------------------------------
 */

/* A read-only connection to the same database for queries that run while
 * the writer commits (WAL readers do not block the writer). */
hub_store_t *hub_store_open_reader(const char *dir, hub_error_t *err);

/* The launch data stored with job id (new reference), or NULL. */
json_t *hub_store_get_spec(hub_store_t *st, hub_job_id_t id, hub_error_t *err);

/* Accounting query: jobs in a final state that ended within
 * [start_ms, end_ms), optionally only user uid (uid < 0: all) and only the
 * states whose bits are set in state_mask (0: all final states), in end
 * order. Calls fn with a temporary job (as in hub_store_load). */
typedef struct hub_store_query {
    int64_t start_ms, end_ms;
    int64_t uid;         /* -1 = every user */
    uint32_t state_mask; /* 1u << hub_job_state_t; 0 = all */
    uint32_t limit;      /* 0 = no limit */
} hub_store_query_t;

int hub_store_query(hub_store_t *st, const hub_store_query_t *q,
                    int (*fn)(hub_job_t *job, void *arg), void *arg,
                    hub_error_t *err);

#endif /* HUB_STORE_H */

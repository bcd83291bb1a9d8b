/* store_int.h - the store's internals shared by store*.c: the connection
 * with its cached statements, the batch layout, and SQLite error wrapping.
 */
#ifndef HUB_STORE_INT_H
#define HUB_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* Cached statements, prepared on first use and kept until close. */
typedef enum store_stmt_id {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_PUT_JOB,
    STMT_PUT_SPEC,
    STMT_PUT_NEXT_ID,
    STMT_LOAD,
    STMT_QUERY,
    STMT_GET_SPEC,
    STMT_PUT_USAGE,
    STMT_LOAD_USAGE,
    STMT_COUNT
} store_stmt_id_t;

/* One job change. Strings live in the batch's arena as (offset, length)
 * pairs so that growing the arena does not invalidate them. */
typedef struct store_change {
    hub_job_id_t id;
    int32_t state;
    uint32_t uid;
    int64_t submit_ms, start_ms, end_ms;
    size_t user_off, name_off, part_off, job_off, spec_off; /* bytes */
    size_t user_len, name_len, part_len, job_len, spec_len; /* bytes */
    int has_spec; /* 0: keep the stored spec */
} store_change_t;

struct hub_store_batch {
    store_change_t *changes; /* n used of cap */
    uint32_t n, cap;
    char *arena; /* used bytes of arena_cap; not NUL-terminated strings */
    size_t used, arena_cap;
    hub_job_id_t next_id;   /* HUB_JOB_ID_NONE: none queued */
    hub_usage_rec_t *usage; /* nusage used of usage_cap, in put order */
    uint32_t nusage, usage_cap;
};

struct hub_store {
    sqlite3 *db;
    char *path;
    int readonly;
    hub_job_id_t next_id; /* as read at open (recovery) */
    sqlite3_stmt *stmt[STMT_COUNT];
    json_t *defaults;             /* store_job_defaults(), or NULL */
    hub_store_batch_t *open;      /* loop thread only; NULL until first put */
    hub_job_id_t pending_next_id; /* loop thread: queued, not yet in open */
    uint32_t hint_n;              /* sizes of the last batch taken, so the */
    size_t hint_bytes;            /* next one rarely grows */
};

/* The cached statement id, prepared on first use; NULL + err on failure. */
sqlite3_stmt *store_stmt(hub_store_t *st, store_stmt_id_t id, hub_error_t *err);

/* Translate SQLite result rc into a negative errno with err saying what
 * failed and SQLite's message. */
int store_sql_error(hub_store_t *st, int rc, const char *what,
                    hub_error_t *err);

/* Step stmt expecting SQLITE_DONE, then reset it. */
int store_step_done(hub_store_t *st, sqlite3_stmt *stmt, const char *what,
                    hub_error_t *err);

/* The open batch, created on first use; NULL when out of memory. */
hub_store_batch_t *store_open_batch(hub_store_t *st);

/* Write batch's usage records (inside the commit's transaction). */
int store_write_usage(hub_store_t *st, const hub_store_batch_t *b,
                      hub_error_t *err);

/* A job's JSON as decoded from {}: what hub_job_from_json gives each
 * missing field. Members equal to it are left out of stored rows. NULL if
 * job_json refuses {} (then rows keep every member). */
json_t *store_job_defaults(void);

/* Bit mask (1u << state) of the final states. */
uint32_t store_final_mask(void);

#endif /* HUB_STORE_INT_H */

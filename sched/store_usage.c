/* store_usage.c - fair-share usage rows of the store: queued in the open
 * batch by the loop thread (fixed-size records, no SQLite), written in the
 * batch's transaction by the worker, read back at recovery.
 *
 * Rows are written only for associations charged since their last write
 * (the priority plugin tracks them), so a batch carries a few records at
 * most; each row holds its own decayed_ms and is decayed on load.
 */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define USAGE_MIN_RECORDS 8

/* Room for one more record. */
static int grow_usage(hub_store_batch_t *b)
{
    hub_usage_rec_t *p;
    uint32_t cap;

    if (b->nusage < b->usage_cap)
        return 0;
    if (b->usage_cap > UINT32_MAX / 2)
        return -ENOMEM;
    cap = b->usage_cap ? 2 * b->usage_cap : USAGE_MIN_RECORDS;
    if (!(p = realloc(b->usage, cap * sizeof(*p))))
        return -ENOMEM;
    b->usage = p;
    b->usage_cap = cap;
    return 0;
}

int hub_store_put_usage(hub_store_t *st, const hub_usage_rec_t *rec)
{
    hub_store_batch_t *b = store_open_batch(st);

    if (!b || grow_usage(b) < 0)
        return -ENOMEM;
    b->usage[b->nusage++] = *rec;
    return 0;
}

static int bind_usage(sqlite3_stmt *s, const hub_usage_rec_t *r)
{
    int rc = sqlite3_bind_text(s, 1, r->account, -1, SQLITE_STATIC);

    rc = rc ? rc : sqlite3_bind_int64(s, 2, r->uid);
    rc = rc ? rc : sqlite3_bind_double(s, 3, r->usage);
    return rc ? rc : sqlite3_bind_int64(s, 4, r->decayed_ms);
}

int store_write_usage(hub_store_t *st, const hub_store_batch_t *b,
                      hub_error_t *err)
{
    sqlite3_stmt *s;
    int rc = 0;

    if (b->nusage == 0)
        return 0;
    if (!(s = store_stmt(st, STMT_PUT_USAGE, err)))
        return -EIO;
    for (uint32_t i = 0; rc == 0 && i < b->nusage; i++) {
        rc = bind_usage(s, &b->usage[i]);
        if (rc != SQLITE_OK)
            rc = store_sql_error(st, rc, "binding a usage record", err);
        else
            rc = store_step_done(st, s, "writing a usage record", err);
    }
    return rc;
}

/* The current row as a record. */
static void row_to_usage(sqlite3_stmt *s, hub_usage_rec_t *r)
{
    const char *account = (const char *)sqlite3_column_text(s, 0);

    *r = (hub_usage_rec_t){
        .uid = (uint32_t)sqlite3_column_int64(s, 1),
        .usage = sqlite3_column_double(s, 2),
        .decayed_ms = sqlite3_column_int64(s, 3),
    };
    snprintf(r->account, sizeof(r->account), "%s", account ? account : "");
}

int hub_store_load_usage(hub_store_t *st, hub_usage_fn fn, void *arg,
                         hub_error_t *err)
{
    sqlite3_stmt *s = store_stmt(st, STMT_LOAD_USAGE, err);
    int step = SQLITE_DONE, rc = 0;
    hub_usage_rec_t rec;

    if (!s)
        return -EIO;
    while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
        row_to_usage(s, &rec);
        rc = fn(&rec, arg);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store_sql_error(st, step, "reading usage", err);
    sqlite3_reset(s);
    return rc;
}

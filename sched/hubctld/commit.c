/* commit.c - group commit: changes made on the loop thread go into the
 * store's open batch; one commit at a time runs in the thread pool and
 * makes a whole batch durable with one fsync; the waiters queued with a
 * batch (acknowledgements, launches) run after it, on the loop thread. */
#include "ctld.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

int commit_after(ctld_t *c, waiter_fn fn, void *arg)
{
    waiter_t *w = malloc(sizeof(*w));

    if (!w)
        return -ENOMEM;
    w->next = NULL;
    w->fn = fn;
    w->arg = arg;
    *c->open_tail = w;
    c->open_tail = &w->next;
    return 0;
}

static void work_commit(uv_work_t *req)
{
    ctld_t *c = req->data;
    c->commit_rc = hub_store_commit(c->store, c->commit_batch, &c->commit_err);
}

static void run_waiters(ctld_t *c, waiter_t *w, int rc, const hub_error_t *err)
{
    while (w) {
        waiter_t *next = w->next;
        w->fn(c, w->arg, rc, err);
        free(w);
        w = next;
    }
}

static void after_commit(uv_work_t *req, int status)
{
    ctld_t *c = req->data;
    waiter_t *w = c->commit_waiters;
    int rc = status < 0 ? status : c->commit_rc;

    if (rc < 0)
        hub_log_error("state commit failed: %s", c->commit_err.text);
    c->commits++;
    c->committed_jobs += hub_store_batch_count(c->commit_batch);
    hub_store_batch_destroy(c->commit_batch);
    c->commit_batch = NULL;
    c->commit_waiters = NULL;
    c->committing = false;
    run_waiters(c, w, rc, &c->commit_err);
    commit_kick(c);
}

/* Detach the open batch and its waiters. */
static void take_open(ctld_t *c, hub_store_batch_t **batch, waiter_t **w)
{
    *batch = hub_store_take_batch(c->store);
    *w = c->open_waiters;
    c->open_waiters = NULL;
    c->open_tail = &c->open_waiters;
}

void commit_kick(ctld_t *c)
{
    if (c->committing || (!c->open_waiters && !hub_store_pending(c->store)))
        return;
    take_open(c, &c->commit_batch, &c->commit_waiters);
    if (!c->commit_batch) {
        /* Waiters without changes: what they wait for is durable. */
        waiter_t *w = c->commit_waiters;
        c->commit_waiters = NULL;
        run_waiters(c, w, 0, NULL);
        return;
    }
    c->committing = true;
    c->commit_req.data = c;
    if (uv_queue_work(c->loop, &c->commit_req, work_commit, after_commit)) {
        c->commit_rc = -EIO;
        after_commit(&c->commit_req, -EIO);
    }
}

int commit_drain(ctld_t *c, hub_error_t *err)
{
    hub_store_batch_t *batch;
    waiter_t *w;
    int rc = 0;

    take_open(c, &batch, &w);
    if (batch)
        rc = hub_store_commit(c->store, batch, err);
    hub_store_batch_destroy(batch);
    run_waiters(c, w, rc, err);
    return rc;
}

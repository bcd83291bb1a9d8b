/* ctld.h - hubctld internals shared by its files.
 *
 * One libuv loop thread runs everything but SQLite commits, which run in
 * libuv's thread pool one at a time (group commit, see store.h). The loop
 * owns the scheduler, the connections and the open store batch.
 *
 *   hubctld.c   main: options, config, recovery, signals
 *   conn.c      Unix socket server, connections, in-order replies
 *   commit.c    group commit: batches, waiters run after durability
 *   dispatch.c  request -> op handler, permissions
 *   op_submit.c submit
 *   op_query.c  ping, queue, job, info, acct
 *   op_admin.c  cancel, hold, release, requeue, update, node_update,
 *               reconfigure
 *   run.c       passes (coalesced), job start/end, virtual nodes, purge
 *   reconf.c    hcontrol reconfigure: a new scheduler on the new hub.conf
 */
#ifndef HUB_CTLD_H
#define HUB_CTLD_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "conf.h"
#include "error.h"
#include "rpc.h"
#include "sched.h"
#include "store.h"

/* Finished jobs stay in memory (hqueue, dependencies) this long, as
 * Slurm's MinJobAge default. */
#define CTLD_MIN_JOB_AGE_MS (300 * 1000)

typedef struct ctld ctld_t;
typedef struct conn conn_t;

/* A reply slot: answers go out in request order per connection. */
typedef struct reply {
    struct reply *next;
    json_int_t seq;
    json_t *answer; /* NULL until ready */
} reply_t;

struct conn {
    uv_pipe_t pipe;
    ctld_t *ctld;
    uid_t uid;
    gid_t gid;
    bool privileged; /* root or an operator */
    hub_rpc_reader_t *reader;
    reply_t *head, *tail;
    int refs;    /* the handle itself + pending deferred replies */
    bool closed; /* handle closing: drop further replies */
    struct conn *next_conn, *prev_conn;
};

/* Runs on the loop thread once the batch it was queued with is durable
 * (rc 0) or failed (rc < 0, err says why). */
typedef void (*waiter_fn)(ctld_t *c, void *arg, int rc, const hub_error_t *err);

typedef struct waiter {
    struct waiter *next;
    waiter_fn fn;
    void *arg;
} waiter_t;

struct ctld {
    uv_loop_t *loop;
    char *conf_path;
    hub_conf_t *conf;
    hub_sched_t *sched;
    hub_store_t *store;  /* writer: used by the commit thread */
    hub_store_t *reader; /* queries on the loop thread */
    const char *socket_path;
    bool virtual_nodes; /* no agents: jobs "run" for HUB_VIRTUAL_RUNTIME */
    hub_job_id_t next_id;
    uid_t *operators;
    size_t noperators;

    uv_pipe_t server;
    conn_t *conns;
    uv_signal_t sig_term, sig_int, sig_hup;
    bool stopping;

    /* group commit */
    bool committing;
    uv_work_t commit_req;
    hub_store_batch_t *commit_batch;
    waiter_t *commit_waiters;            /* of the batch being committed */
    waiter_t *open_waiters, **open_tail; /* of the open batch */
    int commit_rc;
    hub_error_t commit_err;
    uint64_t commits, committed_jobs;

    /* passes */
    uv_timer_t pass_timer; /* periodic: SchedulerInterval */
    uv_timer_t pass_soon;  /* coalesced pass after events */
    bool pass_queued;
    uv_timer_t purge_timer;
    hub_pass_stats_t last_pass;
    struct vjob *vjobs; /* virtual nodes: running jobs' end timers */
};

/* conn.c */
int conn_listen(ctld_t *c, hub_error_t *err);
void conn_close_all(ctld_t *c);
/* Reserve the next reply slot of conn (for the request being handled). */
reply_t *conn_reply_slot(conn_t *conn, json_int_t seq);
/* Fill slot with answer (reference stolen) and send what is in order. */
void conn_reply(conn_t *conn, reply_t *slot, json_t *answer);
void conn_ref(conn_t *conn);
void conn_unref(conn_t *conn);

/* commit.c */
/* Run fn(arg) after everything queued so far is durable. */
int commit_after(ctld_t *c, waiter_fn fn, void *arg);
/* Start a commit if none runs and something waits. */
void commit_kick(ctld_t *c);
/* Commit everything synchronously (shutdown). */
int commit_drain(ctld_t *c, hub_error_t *err);

/* dispatch.c */
void dispatch(conn_t *conn, json_t *req);
json_t *answer_ok(void);
json_t *answer_error(int rc, const hub_error_t *err);
bool may_touch_job(const conn_t *conn, const hub_job_t *job);

/* A job reference: "12" or 12 (a job, or every task when 12 is an
 * array's id), "12_3" (task 3 of array 12). */
typedef struct job_ref {
    hub_job_id_t id;
    int32_t task; /* -1 = none given */
} job_ref_t;

/* Parse ref (integer or string) into *out; -EINVAL if it is neither. */
int job_ref_parse(const json_t *ref, job_ref_t *out);
/* Does job match ref? */
bool job_ref_matches(const job_ref_t *ref, const hub_job_t *job);
/* The one job ref names ("12_3", or a job that is not an array). */
hub_job_t *job_ref_find(ctld_t *c, const json_t *ref, hub_error_t *err);
/* "12" or "12_3" for messages. */
void job_ref_text(const hub_job_t *job, char *buf, size_t len);

/* op_*.c: handlers return the answer (new reference), or NULL when they
 * reply later through slot. */
json_t *op_submit(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_ping(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_queue(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_job(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_info(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_acct(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_cancel(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_hold(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_release(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_requeue(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_update(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_node_update(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_reconfigure(conn_t *conn, json_t *req, reply_t *slot);

/* run.c */
int run_start(ctld_t *c);
void run_stop(ctld_t *c);
/* Ask for a pass soon (coalesced with other requests). */
void run_pass_soon(ctld_t *c);
/* Record a job's change durably (no one waits). */
void run_persist(ctld_t *c, const hub_job_t *job);
/* End a job (cancel, time limit, virtual completion) and record it. */
void run_end_job(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                 int exit_code, int term_signal);
/* After recovery: carry on with the jobs that were running. */
void run_resume_running(ctld_t *c);
/* Send sig to a running job's processes (not ending it). */
int run_signal_job(ctld_t *c, hub_job_t *job, int sig, hub_error_t *err);
/* Put a running job back in the queue. */
void run_requeue_job(ctld_t *c, hub_job_t *job);
/* Mark a node DOWN: its jobs end NODE_FAIL, or requeue if they asked. */
void run_node_down(ctld_t *c, uint32_t node, const char *reason);
/* Re-read hub.conf and carry every job over to a scheduler built on it. */
int run_reconfigure(ctld_t *c, hub_error_t *err);
/* The scheduler's host callbacks. */
void run_job_started(void *arg, hub_job_t *job);
void run_job_updated(void *arg, hub_job_t *job);
/* A job with its allocation as hostlist and hub name, for answers. */
json_t *run_job_json(ctld_t *c, const hub_job_t *job);

#endif /* HUB_CTLD_H */

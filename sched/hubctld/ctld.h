/* ctld.h - hubctld internals shared by its files.
 *
 * One libuv loop thread runs everything but SQLite commits, which run in
 * libuv's thread pool one at a time (group commit, see store.h). The loop
 * owns the scheduler, the connections and the open store batch.
 *
 *   hubctld.c   main: options, config, recovery, signals
 *   conn.c      Unix socket and TCP servers, connections, in-order
 *               replies, events
 *   commit.c    group commit: batches, waiters run after durability
 *   dispatch.c  request -> op handler, permissions
 *   op_submit.c submit
 *   op_query.c  ping, queue, job, info, acct
 *   op_admin.c  cancel, hold, release, requeue, update, node_update,
 *               reconfigure
 *   run.c       passes (coalesced), job start/end, virtual nodes, purge
 *   reconf.c    hcontrol reconfigure: a new scheduler on the new hub.conf
 *   nodes.c     node registry: agents, registration, heartbeat timeouts
 *   node_sync.c what an agent runs vs what the controller thinks, at
 *               registration
 *   op_agent.c  node_register, node_heartbeat, job_exit
 *   launch.c    events to agents: job_launch, job_kill, job_signal, job_end
 *   agent_wire.c pure translations for agents: exit -> state, launch env
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
    json_t *answer; /* NULL until ready (or frame is) */
    char *frame;    /* or the answer already encoded, frame_len bytes */
    size_t frame_len;
} reply_t;

struct conn {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe; /* the Unix socket */
        uv_tcp_t tcp;   /* ControllerPort: node agents only */
    } h;
    ctld_t *ctld;
    uid_t uid; /* SO_PEERCRED; over TCP (uid_t)-1 until node_register */
    gid_t gid;
    bool privileged; /* root or an operator (never over TCP) */
    bool tcp;        /* node ops only; identity from a MUNGE credential */
    long node;       /* the node whose registered agent this is, or -1 */
    char peer[48];   /* "uid 1000" or "10.0.0.5:41234", for messages */
    hub_rpc_reader_t *reader;
    reply_t *head, *tail;
    int refs;    /* the handle itself + pending deferred replies */
    bool closed; /* handle closing: drop further replies */
    struct conn *next_conn, *prev_conn;
};

/* Runs on the loop thread once the batch it was queued with is durable
 * (rc 0) or failed (rc < 0, err says why). */
typedef void (*waiter_fn)(ctld_t *c, void *arg, int rc, const hub_error_t *err);

/* What the controller knows of one node's agent (nodes.c). */
typedef struct ctld_node {
    conn_t *agent;     /* the registered agent's connection, or NULL */
    uint64_t heard_ms; /* uv_now() of its last message (or of the start) */
    bool down_silent;  /* set DOWN by us for silence: registering clears */
    bool drained_low;  /* drained by us for registering too little */
    bool registered;   /* has registered since the controller started */
    uint32_t cpus;     /* as registered */
    uint64_t mem_mb;
    uint32_t gpus;
    char gpu_source[8]; /* "nvml", "conf", "fake" */
} ctld_node_t;

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
    uv_tcp_t tcp_server; /* for agents on other hosts */
    bool tcp_listening;
    const char *listen_addr; /* TCP address (default 0.0.0.0) */
    int listen_port;         /* ControllerPort; 0 = no TCP listener */
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

    /* node agents (not with virtual nodes) */
    ctld_node_t *nodes; /* one per cluster node, same index */
    uint32_t nnodes;
    uv_timer_t node_timer;   /* NodeTimeout checks, every second */
    hub_job_id_t *launching; /* started, job_launch not yet sent */
    size_t nlaunching, launching_cap;
};

/* conn.c */
int conn_listen(ctld_t *c, hub_error_t *err);
/* Listen on c->listen_addr:c->listen_port for node agents over TCP. */
int conn_listen_tcp(ctld_t *c, hub_error_t *err);
void conn_close_all(ctld_t *c);
/* Close one connection (its pending replies are dropped). */
void conn_close(conn_t *conn);
/* Send msg (borrowed) now, outside the reply order: events to agents. */
void conn_send(conn_t *conn, const json_t *msg);
/* Reserve the next reply slot of conn (for the request being handled). */
reply_t *conn_reply_slot(conn_t *conn, json_int_t seq);
/* Fill slot with answer (reference stolen) and send what is in order. */
void conn_reply(conn_t *conn, reply_t *slot, json_t *answer);
/* conn_reply for an answer the op encoded itself (hub_rpc_writer_t):
 * frame is a whole frame (malloc'd, stolen) whose object carries
 * "seq": slot->seq. */
void conn_reply_frame(conn_t *conn, reply_t *slot, char *frame, size_t len);
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
json_t *op_node_register(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_node_heartbeat(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_job_exit(conn_t *conn, json_t *req, reply_t *slot);
/* op_progress.c: hrun's job_progress and job_report (doc/protocol.md). */
json_t *op_job_progress(conn_t *conn, json_t *req, reply_t *slot);
json_t *op_job_report(conn_t *conn, json_t *req, reply_t *slot);
/* May conn use op name? Over TCP only the node agent ops. */
bool op_allowed(const conn_t *conn, const char *name);

/* run.c */
int run_start(ctld_t *c);
void run_stop(ctld_t *c);
/* Ask for a pass soon (coalesced with other requests). */
void run_pass_soon(ctld_t *c);
/* Record a job's change durably (no one waits), with the fair-share
 * usage changed since the last record (run_save_usage). */
void run_persist(ctld_t *c, const hub_job_t *job);
/* Queue the fair-share usage that changed since the last call in the
 * open batch (a failure keeps it for the next call). */
void run_save_usage(ctld_t *c);
/* End a job (cancel, time limit, virtual completion) and record it. */
void run_end_job(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                 int exit_code, int term_signal);
/* After recovery: carry on with the jobs that were running. */
void run_resume_running(ctld_t *c);
/* Send sig to a running job's processes (not ending it). */
int run_signal_job(ctld_t *c, hub_job_t *job, int sig, hub_error_t *err);
/* Cancel a job. A pending (or virtual) job ends CANCELLED now; a running
 * one is killed by its batch node's agent and stays COMPLETING until its
 * job_exit arrives (CANCELLED now when that agent is not connected). */
void run_cancel_job(ctld_t *c, hub_job_t *job, int sig);
/* The batch node's agent reports the job's end (state from
 * agent_exit_state, end_ms its end time or 0): record it, end the job on
 * the other nodes; a NODE_FAIL of a --requeue job goes back to the
 * queue. COMPLETING (cancelled) jobs end CANCELLED whatever the reason. */
void run_job_exit(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                  int exit_code, int term_signal, int64_t end_ms);
/* A running job was lost (its node failed, its agent did not know it):
 * NODE_FAIL, or back to the queue when it asked for --requeue; a
 * COMPLETING one was being cancelled and ends CANCELLED. */
void run_fail_job(ctld_t *c, hub_job_t *job);
/* Put a running job back in the queue. */
void run_requeue_job(ctld_t *c, hub_job_t *job);
/* Mark a node DOWN: its jobs end NODE_FAIL, or requeue if they asked. */
void run_node_down(ctld_t *c, uint32_t node, const char *reason);
/* Re-read hub.conf and carry every job over to a scheduler built on it. */
int run_reconfigure(ctld_t *c, hub_error_t *err);
/* Operators= of conf as uids, for new connections (users the system does
 * not know are skipped with a warning); on failure nothing changes. */
int run_set_operators(ctld_t *c, const hub_conf_t *conf, hub_error_t *err);
/* The scheduler's host callbacks. */
void run_job_started(void *arg, hub_job_t *job);
void run_job_updated(void *arg, hub_job_t *job);
/* A job with its allocation as hostlist and hub name, for answers. */
json_t *run_job_json(ctld_t *c, const hub_job_t *job);
/* Does job hold part of node? Its index in the allocation, or -1. */
int run_alloc_index(const hub_job_t *job, uint32_t node);

/* nodes.c - the node registry. Every cluster node has an entry; a node
 * whose agent (or, before any agent, the controller's start) was last
 * heard more than NodeTimeout ago is set DOWN "Not responding". A closed
 * agent connection does not set the node down: the agent may reconnect
 * within NodeTimeout. */

/* What an agent registers (node_register's arguments). */
typedef struct node_report {
    uint32_t cpus;
    uint64_t mem_mb;
    uint32_t gpus;
    const char *gpu_source; /* "nvml", "conf", "fake" or NULL */
    const json_t *running;  /* [{id, restart_count}] or NULL */
} node_report_t;

/* Registry for the current cluster and the timeout timer. */
int nodes_start(ctld_t *c);
void nodes_stop(ctld_t *c);
/* Carry the registry over to scheduler s, built on a new hub.conf
 * (reconfigure), by node name; agents of nodes that are gone are closed,
 * new nodes are UNKNOWN until their agents register. Call before the
 * node states are copied over. */
int nodes_remap(ctld_t *c, hub_sched_t *s);
/* conn (an agent) sent something: its node is alive. */
void nodes_heard(ctld_t *c, conn_t *conn);
/* conn is closing: forget it as its node's agent. */
void nodes_agent_closed(ctld_t *c, conn_t *conn);
/* Add "agent" to node's info object: {connected, and what it registered:
 * cpus, mem_mb, gpus, gpu_source}; nothing with virtual nodes. */
void nodes_info(ctld_t *c, uint32_t node, json_t *info);
/* The connected agent of node, or NULL. */
conn_t *nodes_agent(ctld_t *c, uint32_t node);
/* conn registered as node's agent (permission already checked): record
 * it, set the node up (drained when it has less than hub.conf says),
 * reconcile its jobs. */
void nodes_register(ctld_t *c, conn_t *conn, uint32_t node,
                    const node_report_t *r);

/* node_sync.c: at registration, compare what the agent runs (running)
 * with the jobs the controller runs on node; see the file. */
void node_sync(ctld_t *c, uint32_t node, const json_t *running);

/* launch.c - events to agents. Jobs started but not yet durable are
 * "launching": their job_launch is still to come. */
void launch_pending(ctld_t *c, hub_job_id_t id);
void launch_done(ctld_t *c, hub_job_id_t id);
bool launch_is_pending(const ctld_t *c, hub_job_id_t id);
void launch_fini(ctld_t *c);
/* job_launch to every connected agent of the allocation (the batch node
 * last). -ENOTCONN when the batch node's agent is not connected (nothing
 * is sent then), -ENOENT when the job's spec is not in the store. */
int launch_job(ctld_t *c, const hub_job_t *job);
/* job_launch to the agent of allocation node i only (a resend). */
int launch_to_node(ctld_t *c, const hub_job_t *job, uint32_t i);
/* job_kill to the batch node; -ENOTCONN when its agent is absent. */
int launch_kill(ctld_t *c, const hub_job_t *job, const char *reason);
/* job_kill for an incarnation the controller does not run, to conn. */
void launch_kill_stale(conn_t *conn, hub_job_id_t id, uint32_t restart_count);
/* job_signal to every connected agent of the allocation; -ENOTCONN
 * when none is. */
int launch_signal(ctld_t *c, const hub_job_t *job, int sig, bool batch_only);
/* job_end to every connected agent of the allocation (but the batch
 * node when skip_batch: it reported the end itself). */
void launch_end(ctld_t *c, const hub_job_t *job, bool skip_batch);

/* agent_wire.c - pure translations (unit-tested). */
/* job_exit's reason/status/signal as a final state with exit code and
 * terminating signal. -EINVAL for an unknown reason. */
int agent_exit_state(const char *reason, int status, int sig,
                     hub_job_state_t *state, int *exit_code, int *term_signal);
/* The extra HUB_* variables of job_launch for one allocation node:
 * HUB_CLUSTER, and with GPUs HUB_GPU_TYPE, HUB_GPU_PEAK_TFLOPS_BF16 (per
 * GPU) and HUB_PEAK_FLOPS_BF16 (sum over its GPUs of peak x fraction
 * held). An object of strings, new reference. */
json_t *agent_launch_env(const hub_conf_t *conf, const hub_cluster_t *cl,
                         const hub_alloc_node_t *an);
/* The allocation for job_launch: {nodelist, nodes: [{name, cpus, mem_mb,
 * gpus [indices], gpu_milli [per index]}]}, new reference. */
json_t *agent_alloc_json(const hub_cluster_t *cl, const hub_alloc_t *alloc);

#endif /* HUB_CTLD_H */

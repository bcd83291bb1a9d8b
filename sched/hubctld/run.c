/* run.c - what happens to jobs over time in hubctld: coalesced scheduling
 * passes, a started job recorded durably before it is launched on its
 * nodes' agents (launch.c), job ends, cancels, node failures, purging old
 * jobs from memory, and reconfiguration. Virtual nodes (run.c's vjob
 * timers) let a job "run" for HUB_VIRTUAL_RUNTIME seconds taken from its
 * environment, with no agents. */
#include "ctld.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Passes run at most this often when events pile up (ms). */
#define PASS_COALESCE_MS 2
/* Finished jobs are purged from memory this often (ms). */
#define PURGE_INTERVAL_MS 30000

typedef struct vjob {
    uv_timer_t timer;
    ctld_t *ctld;
    hub_job_id_t id;
    struct vjob *next, *prev;
} vjob_t;

/* ---- passes --------------------------------------------------------------
 */

static void do_pass(ctld_t *c)
{
    int started;

    c->pass_queued = false;
    started = hub_sched_pass(c->sched, &c->last_pass);
    if (started < 0)
        hub_log_error("scheduling pass failed: %s", strerror(-started));
    commit_kick(c);
}

static void on_pass_soon(uv_timer_t *t)
{
    do_pass(t->data);
}

static void on_pass_timer(uv_timer_t *t)
{
    do_pass(t->data);
}

void run_pass_soon(ctld_t *c)
{
    if (c->pass_queued || c->stopping)
        return;
    c->pass_queued = true;
    uv_timer_start(&c->pass_soon, on_pass_soon, PASS_COALESCE_MS, 0);
}

/* ---- persistence ---------------------------------------------------------
 */

static int put_usage(const hub_usage_rec_t *rec, void *arg)
{
    return hub_store_put_usage(arg, rec);
}

void run_save_usage(ctld_t *c)
{
    if (hub_sched_usage_save(c->sched, false, put_usage, c->store) < 0)
        hub_log_error("out of memory recording fair-share usage (kept for "
                      "the next change)");
}

/* Only a job's end or requeue charges usage, and both come here: the
 * usage goes into the same batch as the job's new state. */
void run_persist(ctld_t *c, const hub_job_t *job)
{
    if (hub_store_put_job(c->store, job, NULL) < 0)
        hub_log_error("job %u: out of memory recording its state", job->id);
    run_save_usage(c);
    commit_kick(c);
}

json_t *run_job_json(ctld_t *c, const hub_job_t *job)
{
    json_t *j = hub_job_to_json(job);
    char *nodes = NULL;

    if (job->alloc.nnodes)
        nodes = hub_cluster_alloc_nodelist(hub_sched_cluster(c->sched),
                                           &job->alloc);
    json_object_set_new(j, "nodelist", json_string(nodes ? nodes : ""));
    if (job->alloc.nnodes)
        json_object_set_new(j, "hub_name",
                            json_string(c->conf->hubs[job->hub].name));
    free(nodes);
    return j;
}

/* ---- virtual nodes -------------------------------------------------------
 */

static void vjob_closed(uv_handle_t *h)
{
    free(h->data);
}

static void vjob_cancel(ctld_t *c, hub_job_id_t id)
{
    for (vjob_t *v = c->vjobs; v; v = v->next) {
        if (v->id != id)
            continue;
        if (v->prev)
            v->prev->next = v->next;
        else
            c->vjobs = v->next;
        if (v->next)
            v->next->prev = v->prev;
        uv_close((uv_handle_t *)&v->timer, vjob_closed);
        return;
    }
}

static void on_vjob_end(uv_timer_t *t)
{
    vjob_t *v = t->data;
    ctld_t *c = v->ctld;
    hub_job_t *job = hub_sched_find(c->sched, v->id);

    if (!job || job->state != HUB_JOB_RUNNING)
        return;
    if (hub_sched_now(c->sched) >= hub_job_expected_end_ms(job))
        run_end_job(c, job, HUB_JOB_TIMEOUT, 0, SIGTERM);
    else
        run_end_job(c, job, HUB_JOB_COMPLETED, 0, 0);
}

/* HUB_VIRTUAL_RUNTIME from the job's environment, in ms (0 if absent). */
static int64_t virtual_runtime_ms(ctld_t *c, hub_job_id_t id)
{
    hub_error_t err;
    json_t *spec = hub_store_get_spec(c->reader, id, &err);
    json_t *env = json_object_get(spec, "env");
    int64_t ms = 0;
    size_t i;
    json_t *x;

    json_array_foreach(env, i, x)
    {
        const char *s = json_string_value(x);
        if (s && strncmp(s, "HUB_VIRTUAL_RUNTIME=", 20) == 0)
            ms = (int64_t)(strtod(s + 20, NULL) * 1000);
    }
    json_decref(spec);
    return ms > 0 ? ms : 0;
}

static void vjob_start(ctld_t *c, hub_job_t *job)
{
    vjob_t *v = calloc(1, sizeof(*v));
    int64_t now = hub_sched_now(c->sched);
    int64_t run_ms = job->start_ms + virtual_runtime_ms(c, job->id) - now;
    int64_t limit_ms = hub_job_expected_end_ms(job) - now;

    if (!v)
        return;
    v->ctld = c;
    v->id = job->id;
    uv_timer_init(c->loop, &v->timer);
    v->timer.data = v;
    v->next = c->vjobs;
    if (c->vjobs)
        c->vjobs->prev = v;
    c->vjobs = v;
    run_ms = run_ms < limit_ms ? run_ms : limit_ms;
    uv_timer_start(&v->timer, on_vjob_end, (uint64_t)(run_ms > 0 ? run_ms : 0),
                   0);
}

static int resume_one(hub_job_t *job, void *arg)
{
    if (job->state == HUB_JOB_RUNNING)
        vjob_start(arg, job);
    return 0;
}

void run_resume_running(ctld_t *c)
{
    if (c->virtual_nodes)
        hub_sched_foreach(c->sched, resume_one, c);
}

/* ---- job start and end ---------------------------------------------------
 */

/* A start waiting for durability: the job and its incarnation (a job
 * requeued and started again before the first start was durable has two
 * starts waiting, and only the second may launch). */
typedef struct started {
    hub_job_id_t id;
    uint32_t restart_count;
} started_t;

/* The RUNNING state is durable: launch (a job never runs unrecorded). */
static void launch_durable(ctld_t *c, void *arg, int rc, const hub_error_t *err)
{
    started_t st = *(started_t *)arg;
    hub_job_t *job = hub_sched_find(c->sched, st.id);

    free(arg);
    if (!c->virtual_nodes)
        launch_done(c, st.id);
    if (rc < 0 || !job || job->state != HUB_JOB_RUNNING ||
        job->restart_count != st.restart_count || c->stopping)
        return; /* stopping: agents report it, or not, at the restart */
    if (c->virtual_nodes) {
        vjob_start(c, job);
        return;
    }
    if ((rc = launch_job(c, job)) == -ENOTCONN) {
        hub_log_warn("job %u: cannot launch: the agent of its batch node "
                     "is not connected",
                     job->id);
        run_fail_job(c, job);
    } else if (rc < 0) {
        run_end_job(c, job, HUB_JOB_FAILED, 1, 0); /* would fail again */
    }
}

void run_job_started(void *arg, hub_job_t *job)
{
    ctld_t *c = arg;
    started_t *st = malloc(sizeof(*st));

    hub_log_info("job %u started on %u node(s)", job->id, job->alloc.nnodes);
    if (!st || hub_store_put_job(c->store, job, NULL) < 0 ||
        commit_after(c, launch_durable, st) < 0) {
        hub_log_error("job %u: out of memory recording its start", job->id);
        free(st);
        return;
    }
    st->id = job->id;
    st->restart_count = job->restart_count;
    if (!c->virtual_nodes)
        launch_pending(c, job->id);
}

void run_job_updated(void *arg, hub_job_t *job)
{
    run_persist(arg, job);
}

static bool on_nodes(const hub_job_t *job)
{
    return job->state == HUB_JOB_RUNNING || job->state == HUB_JOB_COMPLETING;
}

/* End job; its processes are stopped on its nodes (but on the batch node
 * when that reported the end: skip_batch). */
static int end_job(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                   int exit_code, int term_signal, bool skip_batch)
{
    if (c->virtual_nodes && job->state == HUB_JOB_RUNNING)
        vjob_cancel(c, job->id);
    if (!c->virtual_nodes && on_nodes(job))
        launch_end(c, job, skip_batch);
    if (hub_sched_job_end(c->sched, job, state, exit_code, term_signal) < 0)
        return -EINVAL;
    hub_log_info("job %u ended %s", job->id, hub_job_state_name(state));
    return 0;
}

void run_end_job(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                 int exit_code, int term_signal)
{
    if (end_job(c, job, state, exit_code, term_signal, false) < 0)
        return;
    run_persist(c, job);
    run_pass_soon(c);
}

static void requeue_job(ctld_t *c, hub_job_t *job, bool skip_batch)
{
    if (c->virtual_nodes)
        vjob_cancel(c, job->id);
    else if (on_nodes(job))
        launch_end(c, job, skip_batch);
    if (hub_sched_requeue(c->sched, job) == 0) {
        hub_log_info("job %u requeued", job->id);
        run_persist(c, job);
        run_pass_soon(c);
    }
}

void run_requeue_job(ctld_t *c, hub_job_t *job)
{
    requeue_job(c, job, false);
}

void run_job_exit(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                  int exit_code, int term_signal, int64_t end_ms)
{
    if (job->state == HUB_JOB_COMPLETING)
        state = HUB_JOB_CANCELLED;
    if (state == HUB_JOB_NODE_FAIL && job->req.requeue) {
        requeue_job(c, job, true);
        return;
    }
    if (end_job(c, job, state, exit_code, term_signal, true) < 0)
        return;
    /* An exit resent after a reconnect ended before it arrived. */
    if (end_ms > job->start_ms && end_ms < job->end_ms)
        job->end_ms = end_ms;
    run_persist(c, job);
    run_pass_soon(c);
}

void run_fail_job(ctld_t *c, hub_job_t *job)
{
    if (job->state == HUB_JOB_COMPLETING)
        run_end_job(c, job, HUB_JOB_CANCELLED, 0, SIGKILL);
    else if (job->req.requeue)
        run_requeue_job(c, job);
    else
        run_end_job(c, job, HUB_JOB_NODE_FAIL, 0, SIGKILL);
}

void run_cancel_job(ctld_t *c, hub_job_t *job, int sig)
{
    /* Not launched yet (start not durable): nothing runs to kill. */
    if (c->virtual_nodes || job->state != HUB_JOB_RUNNING ||
        launch_is_pending(c, job->id) || launch_kill(c, job, "cancelled") < 0) {
        run_end_job(c, job, HUB_JOB_CANCELLED, 0, sig);
        return;
    }
    job->state = HUB_JOB_COMPLETING;
    hub_log_info("job %u: cancelled, waiting for its processes to end",
                 job->id);
    run_persist(c, job);
}

int run_signal_job(ctld_t *c, hub_job_t *job, int sig, hub_error_t *err)
{
    if (c->virtual_nodes)
        return 0; /* virtual processes have nothing to signal */
    if (launch_signal(c, job, sig, false) < 0)
        return hub_errorf(err, ENOTCONN,
                          "signal %d: no agent of the job's "
                          "nodes is connected",
                          sig);
    return 0;
}

typedef struct node_fail {
    ctld_t *ctld;
    uint32_t node;
} node_fail_t;

int run_alloc_index(const hub_job_t *job, uint32_t node)
{
    for (uint32_t i = 0; i < job->alloc.nnodes; i++) {
        if (job->alloc.nodes[i].node == node)
            return (int)i;
    }
    return -1;
}

static int fail_job_on(hub_job_t *job, void *arg)
{
    node_fail_t *nf = arg;

    if (on_nodes(job) && run_alloc_index(job, nf->node) >= 0)
        run_fail_job(nf->ctld, job);
    return 0;
}

void run_node_down(ctld_t *c, uint32_t node, const char *reason)
{
    node_fail_t nf = {.ctld = c, .node = node};

    hub_sched_node_state(c->sched, node, HUB_NODE_DOWN, 0, reason);
    hub_log_warn("node %s DOWN: %s",
                 hub_sched_cluster(c->sched)->nodes[node].conf->name, reason);
    hub_sched_foreach(c->sched, fail_job_on, &nf);
}

/* ---- purging -------------------------------------------------------------
 */

typedef struct purge {
    hub_job_t **old;
    size_t n, cap;
    int64_t before_ms;
} purge_t;

static int collect_old(hub_job_t *job, void *arg)
{
    purge_t *p = arg;

    if (!hub_job_state_is_final(job->state) || job->end_ms >= p->before_ms)
        return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        hub_job_t **v = realloc(p->old, cap * sizeof(*v));
        if (!v)
            return 1;
        p->old = v;
        p->cap = cap;
    }
    p->old[p->n++] = job;
    return 0;
}

static void on_purge(uv_timer_t *t)
{
    ctld_t *c = t->data;
    purge_t p = {.before_ms = hub_sched_now(c->sched) - CTLD_MIN_JOB_AGE_MS};

    hub_sched_foreach(c->sched, collect_old, &p);
    for (size_t i = 0; i < p.n; i++)
        hub_sched_remove(c->sched, p.old[i]);
    free(p.old);
}

int run_start(ctld_t *c)
{
    uint64_t every = (uint64_t)c->conf->globals.scheduler_interval_s * 1000;

    uv_timer_init(c->loop, &c->pass_soon);
    uv_timer_init(c->loop, &c->pass_timer);
    uv_timer_init(c->loop, &c->purge_timer);
    c->pass_soon.data = c->pass_timer.data = c->purge_timer.data = c;
    uv_timer_start(&c->pass_timer, on_pass_timer, every ? every : 30000,
                   every ? every : 30000);
    uv_timer_start(&c->purge_timer, on_purge, PURGE_INTERVAL_MS,
                   PURGE_INTERVAL_MS);
    run_pass_soon(c);
    return 0;
}

void run_stop(ctld_t *c)
{
    while (c->vjobs)
        vjob_cancel(c, c->vjobs->id);
    uv_close((uv_handle_t *)&c->pass_soon, NULL);
    uv_close((uv_handle_t *)&c->pass_timer, NULL);
    uv_close((uv_handle_t *)&c->purge_timer, NULL);
}

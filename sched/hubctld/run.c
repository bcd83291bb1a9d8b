/* run.c - what happens to jobs over time in hubctld: coalesced scheduling
 * passes, a started job recorded durably before it is launched, job ends,
 * node failures, purging old jobs from memory, and reconfiguration.
 * Launching on real node agents comes with hubd; virtual nodes (run.c's
 * vjob timers) let a job "run" for HUB_VIRTUAL_RUNTIME seconds taken from
 * its environment. */
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

void run_persist(ctld_t *c, const hub_job_t *job)
{
    if (hub_store_put_job(c->store, job, NULL) < 0)
        hub_log_error("job %u: out of memory recording its state", job->id);
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

/* The RUNNING state is durable: launch (a job never runs unrecorded). */
static void launch_durable(ctld_t *c, void *arg, int rc, const hub_error_t *err)
{
    hub_job_id_t id = (hub_job_id_t)(uintptr_t)arg;
    hub_job_t *job = hub_sched_find(c->sched, id);

    if (rc < 0 || !job || job->state != HUB_JOB_RUNNING)
        return;
    if (c->virtual_nodes)
        vjob_start(c, job);
}

void run_job_started(void *arg, hub_job_t *job)
{
    ctld_t *c = arg;

    hub_log_info("job %u started on %u node(s)", job->id, job->alloc.nnodes);
    if (hub_store_put_job(c->store, job, NULL) < 0 ||
        commit_after(c, launch_durable, (void *)(uintptr_t)job->id) < 0)
        hub_log_error("job %u: out of memory recording its start", job->id);
}

void run_job_updated(void *arg, hub_job_t *job)
{
    run_persist(arg, job);
}

void run_end_job(ctld_t *c, hub_job_t *job, hub_job_state_t state,
                 int exit_code, int term_signal)
{
    if (c->virtual_nodes && job->state == HUB_JOB_RUNNING)
        vjob_cancel(c, job->id);
    if (hub_sched_job_end(c->sched, job, state, exit_code, term_signal) < 0)
        return;
    hub_log_info("job %u ended %s", job->id, hub_job_state_name(state));
    run_persist(c, job);
    run_pass_soon(c);
}

int run_signal_job(ctld_t *c, hub_job_t *job, int sig, hub_error_t *err)
{
    if (c->virtual_nodes)
        return 0; /* virtual processes have nothing to signal */
    return hub_errorf(err, ENOTSUP, "no node agent to deliver signal %d", sig);
}

void run_requeue_job(ctld_t *c, hub_job_t *job)
{
    if (c->virtual_nodes)
        vjob_cancel(c, job->id);
    if (hub_sched_requeue(c->sched, job) == 0) {
        run_persist(c, job);
        run_pass_soon(c);
    }
}

typedef struct node_fail {
    ctld_t *ctld;
    uint32_t node;
} node_fail_t;

static bool uses_node(const hub_job_t *job, uint32_t node)
{
    for (uint32_t i = 0; i < job->alloc.nnodes; i++) {
        if (job->alloc.nodes[i].node == node)
            return true;
    }
    return false;
}

static int fail_job_on(hub_job_t *job, void *arg)
{
    node_fail_t *nf = arg;

    if (job->state != HUB_JOB_RUNNING || !uses_node(job, nf->node))
        return 0;
    if (job->req.requeue)
        run_requeue_job(nf->ctld, job);
    else
        run_end_job(nf->ctld, job, HUB_JOB_NODE_FAIL, 0, SIGKILL);
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

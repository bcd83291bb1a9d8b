/* sim.c - the replay: a trace's jobs through libhubsched on a virtual
 * clock, with virtual nodes and no processes.
 *
 * Events are job submissions (the trace, in submit order) and job ends
 * (a heap: start + run time, or start + time limit when the run is longer
 * - TIMEOUT). The clock jumps from one event time to the next; all events
 * of one millisecond are handled together, ends first (their resources
 * come back), then submissions, then one scheduling pass, exactly as a
 * controller whose passes coalesce requests would. A pass runs only when
 * something changed and a job is pending. Jobs the scheduler started get
 * their end event from the job_started callback; ended jobs are removed
 * from the scheduler at once, so that it holds only pending and running
 * jobs, as hubctld does after its retention time.
 *
 * Each request is checked with hub_sched_validate() as hubctld checks a
 * submission; the answer is remembered per request shape (a check places
 * the job on an empty cluster, which costs a scan of the nodes). A job
 * refused (it could never run) is counted and left out.
 */
#include "hsim.h"
#include "hubsel_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* Virtual epoch when the trace has none: 2020-09-13 (any time > 0). */
#define SIM_EPOCH_MS INT64_C(1600000000000)

/* A job ends at t_ms. */
typedef struct end_ev {
    int64_t t_ms;
    hub_job_t *job;
    uint32_t idx; /* trace index */
    bool timeout;
} end_ev_t;

/* A checked request shape and the check's answer. */
typedef struct shape_ent {
    hsim_job_t key;    /* id, submit_s, run_s and uid zeroed */
    hub_job_req_t req; /* as hub_sched_validate() completed it */
    int rc;
    bool used;
} shape_ent_t;

typedef struct sim {
    const hsim_trace_t *tr;
    hsim_metrics_t *m;
    hub_sched_t *s;
    int64_t now_ms, epoch_ms;
    hub_clock_t clock;
    end_ev_t *heap;
    size_t nheap, heap_cap;
    shape_ent_t *shapes;
    size_t nshapes, shapes_cap; /* cap: power of two */
    int64_t interval_ms;        /* least time between passes */
    int64_t last_pass_ms;       /* INT64_MIN before the first */
    int64_t pass_due_ms;        /* a deferred pass; INT64_MAX: none */
    int error;                  /* -ENOMEM from a callback */
} sim_t;

/* ---- the end-event heap -------------------------------------------------- */

static bool ev_before(const end_ev_t *a, const end_ev_t *b)
{
    return a->t_ms != b->t_ms ? a->t_ms < b->t_ms : a->idx < b->idx;
}

static int heap_push(sim_t *sim, const end_ev_t *ev)
{
    size_t i;

    if (sim->nheap == sim->heap_cap) {
        size_t cap = sim->heap_cap ? sim->heap_cap * 2 : 1024;
        end_ev_t *v = realloc(sim->heap, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        sim->heap = v;
        sim->heap_cap = cap;
    }
    for (i = sim->nheap++; i > 0; i = (i - 1) / 2) {
        if (!ev_before(ev, &sim->heap[(i - 1) / 2]))
            break;
        sim->heap[i] = sim->heap[(i - 1) / 2];
    }
    sim->heap[i] = *ev;
    return 0;
}

static end_ev_t heap_pop(sim_t *sim)
{
    end_ev_t top = sim->heap[0], last = sim->heap[--sim->nheap];
    size_t i = 0, c;

    while ((c = 2 * i + 1) < sim->nheap) {
        if (c + 1 < sim->nheap && ev_before(&sim->heap[c + 1], &sim->heap[c]))
            c++;
        if (!ev_before(&sim->heap[c], &last))
            break;
        sim->heap[i] = sim->heap[c];
        i = c;
    }
    if (sim->nheap)
        sim->heap[i] = last;
    return top;
}

/* ---- callbacks ----------------------------------------------------------- */

static double trace_s(const sim_t *sim, int64_t ms)
{
    return (double)(ms - sim->epoch_ms) / 1000.0;
}

static void on_started(void *arg, hub_job_t *job)
{
    sim_t *sim = arg;
    uint32_t idx = job->id - 1;
    const hsim_job_t *tj = &sim->tr->jobs[idx];
    bool timeout = tj->run_s > tj->limit_s;
    end_ev_t ev = {
        .t_ms = job->start_ms + (timeout ? tj->limit_s : tj->run_s) * 1000,
        .job = job,
        .idx = idx,
        .timeout = timeout,
    };

    hsim_metrics_started(sim->m, job, idx, trace_s(sim, job->start_ms),
                         (double)tj->submit_s);
    if (!hub_meets_slo(hub_sched_conf(sim->s), job->hub, &job->req))
        sim->m->slo_misses++;
    if (heap_push(sim, &ev) < 0)
        sim->error = -ENOMEM;
}

/* ---- request checks, remembered per shape -------------------------------- */

static uint64_t shape_hash(const hsim_job_t *k)
{
    uint64_t h = 1469598103934665603u;
    const unsigned char *p = (const unsigned char *)k;

    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static int shapes_grow(sim_t *sim)
{
    size_t cap = sim->shapes_cap ? sim->shapes_cap * 2 : 256;
    shape_ent_t *v = calloc(cap, sizeof(*v));

    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < sim->shapes_cap; i++) {
        size_t h;
        if (!sim->shapes[i].used)
            continue;
        for (h = shape_hash(&sim->shapes[i].key) & (cap - 1); v[h].used;
             h = (h + 1) & (cap - 1))
            ;
        v[h] = sim->shapes[i];
    }
    free(sim->shapes);
    sim->shapes = v;
    sim->shapes_cap = cap;
    return 0;
}

/* The remembered answer for key's shape, or a new slot for it. */
static shape_ent_t *shape_slot(sim_t *sim, const hsim_job_t *key)
{
    size_t h;

    if ((sim->nshapes + 1) * 2 > sim->shapes_cap && shapes_grow(sim) < 0)
        return NULL;
    for (h = shape_hash(key) & (sim->shapes_cap - 1); sim->shapes[h].used;
         h = (h + 1) & (sim->shapes_cap - 1))
        if (memcmp(&sim->shapes[h].key, key, sizeof(*key)) == 0)
            return &sim->shapes[h];
    return &sim->shapes[h];
}

static void make_req(const hsim_job_t *tj, hub_job_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->nodes_min = tj->nodes;
    req->nodes_max = tj->nodes;
    req->ntasks = tj->ntasks;
    req->cpus_per_task = tj->cpus_per_task;
    req->mem_per_node_mb = tj->mem_mb;
    req->gpus_per_node_milli = tj->gpus_milli;
    req->time_limit_s = tj->limit_s;
    req->kind = tj->kind;
    snprintf(req->region, sizeof(req->region), "%s", tj->region);
    req->latency_slo_ms = tj->latency_slo_ms;
}

/* The request of tj, checked and completed (remembered per shape).
 * 0, -EINVAL (never runs), -ENOMEM. */
static int check_req(sim_t *sim, const hsim_job_t *tj, hub_job_req_t *req)
{
    hsim_job_t key = *tj;
    shape_ent_t *e;

    key.id = key.uid = 0;
    key.submit_s = key.run_s = 0;
    if (!(e = shape_slot(sim, &key)))
        return -ENOMEM;
    if (!e->used) {
        e->key = key;
        make_req(tj, &e->req);
        e->rc = hub_sched_validate(sim->s, &e->req, NULL);
        e->used = true;
        sim->nshapes++;
    }
    *req = e->req;
    return e->rc;
}

/* ---- events -------------------------------------------------------------- */

static int submit(sim_t *sim, uint32_t idx, hub_error_t *err)
{
    const hsim_job_t *tj = &sim->tr->jobs[idx];
    hub_job_t j;
    int rc;

    memset(&j, 0, sizeof(j));
    rc = check_req(sim, tj, &j.req);
    if (rc == -EINVAL) {
        sim->m->rejected++;
        return 0;
    }
    if (rc < 0)
        return hub_errorf(err, ENOMEM, "out of memory");
    j.id = idx + 1;
    j.uid = j.gid = tj->uid;
    snprintf(j.user, sizeof(j.user), "u%u", tj->uid);
    j.array_task_id = -1;
    j.state = HUB_JOB_PENDING;
    j.submit_ms = sim->now_ms;
    if (!hub_sched_add(sim->s, &j, err))
        return -EINVAL;
    return 0;
}

static void end_job(sim_t *sim, const end_ev_t *ev)
{
    hub_sched_job_end(sim->s, ev->job,
                      ev->timeout ? HUB_JOB_TIMEOUT : HUB_JOB_COMPLETED, 0, 0);
    hsim_metrics_ended(sim->m, hub_sched_cluster(sim->s), sim->tr, ev->job,
                       ev->idx, trace_s(sim, sim->now_ms), ev->timeout);
    hub_sched_remove(sim->s, ev->job);
}

static int64_t submit_ms(const sim_t *sim, size_t i)
{
    return sim->epoch_ms + sim->tr->jobs[i].submit_s * 1000;
}

static int run_pass(sim_t *sim, hub_error_t *err)
{
    hub_pass_stats_t st;
    int rc = hub_sched_pass(sim->s, &st);

    if (rc < 0 || sim->error < 0)
        return hub_errorf(err, ENOMEM, "scheduling pass failed: %s",
                          strerror(rc < 0 ? -rc : -sim->error));
    return hsim_metrics_pass(sim->m, st.duration_us) < 0
               ? hub_errorf(err, ENOMEM, "out of memory")
               : 0;
}

/* A pass now, or deferred until the interval since the last has
 * passed. */
static int maybe_pass(sim_t *sim, int64_t t, hub_error_t *err)
{
    if (hub_sched_count_pending(sim->s) == 0) {
        sim->pass_due_ms = INT64_MAX;
        return 0;
    }
    if (sim->last_pass_ms != INT64_MIN &&
        t < sim->last_pass_ms + sim->interval_ms) {
        sim->pass_due_ms = sim->last_pass_ms + sim->interval_ms;
        return 0;
    }
    sim->last_pass_ms = t;
    sim->pass_due_ms = INT64_MAX;
    return run_pass(sim, err);
}

/* Handle everything due at the next event time: ends, submissions, then
 * a pass. */
static int step(sim_t *sim, size_t *next, hub_error_t *err)
{
    const hsim_trace_t *tr = sim->tr;
    int64_t t = sim->pass_due_ms;
    uint32_t pending, count;
    int rc = 0;

    if (*next < tr->njobs && submit_ms(sim, *next) < t)
        t = submit_ms(sim, *next);
    if (sim->nheap && sim->heap[0].t_ms < t)
        t = sim->heap[0].t_ms;
    hsim_metrics_advance(sim->m, trace_s(sim, t));
    sim->now_ms = t;
    while (sim->nheap && sim->heap[0].t_ms == t) {
        end_ev_t ev = heap_pop(sim);
        end_job(sim, &ev);
    }
    while (rc == 0 && *next < tr->njobs && submit_ms(sim, *next) == t)
        rc = submit(sim, (uint32_t)(*next)++, err);
    if (rc == 0)
        rc = maybe_pass(sim, t, err);
    pending = hub_sched_count_pending(sim->s);
    count = hub_sched_count(sim->s);
    if (rc == 0 &&
        hsim_metrics_sample(sim->m, hub_sched_cluster(sim->s), trace_s(sim, t),
                            pending, count - pending, false) < 0)
        rc = hub_errorf(err, ENOMEM, "out of memory");
    return rc;
}

static int sim_open(sim_t *sim, const hsim_trace_t *tr, const hsim_policy_t *p,
                    hub_conf_t **conf, hub_error_t *err)
{
    char *text = hsim_policy_conf(p, tr);
    hub_sched_opts_t opts = {.nodes_up = true};

    if (!text)
        return hub_errorf(err, ENOMEM, "out of memory");
    *conf = hub_conf_parse_string(text, "hsim.conf", err);
    free(text);
    if (!*conf)
        return hub_error_prefix(err, -EINVAL, "policy %s", p->label);
    sim->tr = tr;
    sim->epoch_ms = tr->epoch_s > 0 ? tr->epoch_s * 1000 : SIM_EPOCH_MS;
    sim->now_ms = sim->epoch_ms;
    sim->clock = (hub_clock_t){hub_clock_virtual_now, &sim->now_ms};
    opts.clock = &sim->clock;
    opts.host = (hub_sched_host_t){on_started, NULL, sim};
    sim->s = hub_sched_create(*conf, &opts, err);
    if (!sim->s)
        return hub_error_prefix(err, -EINVAL, "policy %s", p->label);
    return 0;
}

static void sim_close(sim_t *sim, hub_conf_t *conf)
{
    hub_sched_destroy(sim->s);
    hub_conf_destroy(conf);
    free(sim->heap);
    free(sim->shapes);
}

/* CPU time of this process (user + system), s. */
static double cpu_s(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long max_rss_kb(void)
{
    struct rusage ru;

    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int hsim_run(const hsim_trace_t *tr, const hsim_policy_t *p, double interval_s,
             hsim_metrics_t *m, hub_error_t *err)
{
    sim_t sim = {.m = m,
                 .interval_ms = (int64_t)(interval_s * 1000),
                 .last_pass_ms = INT64_MIN,
                 .pass_due_ms = INT64_MAX};
    hub_conf_t *conf = NULL;
    double t0 = mono_s(), cpu0 = cpu_s();
    size_t next = 0;
    int rc;

    memset(m, 0, sizeof(*m));
    rc = sim_open(&sim, tr, p, &conf, err);
    if (rc == 0 && hsim_metrics_init(m, conf, tr, p->label) < 0)
        rc = hub_errorf(err, ENOMEM, "out of memory");
    while (rc == 0 &&
           (next < tr->njobs || sim.nheap || sim.pass_due_ms != INT64_MAX))
        rc = step(&sim, &next, err);
    if (rc == 0)
        rc = hsim_metrics_sample(m, hub_sched_cluster(sim.s), m->t_last, 0, 0,
                                 true) < 0
                 ? hub_errorf(err, ENOMEM, "out of memory")
                 : 0;
    hsim_metrics_done(m);
    m->wall_s = mono_s() - t0;
    m->cpu_s = cpu_s() - cpu0;
    m->max_rss_kb = max_rss_kb();
    sim_close(&sim, conf);
    return rc;
}

/* bf_plan.c - sched/backfill: the what-if timeline and reservations.
 *
 * The timeline is the running jobs' release events (expected end = start +
 * time limit) plus the jobs started in this pass, and the reservations
 * made so far, each a set of nodes held over [start, start + limit).
 *
 * A reservation search copies the live cluster into one what-if cluster
 * kept across searches and passes (hub_cluster_copy, no allocation), then
 * walks the candidate times in order - the distinct release times and the
 * ends of earlier reservations - giving back the allocations that end by
 * then. At each time a cheap necessary check on running counts (enough
 * free GPUs in total, enough nodes with enough whole free GPUs, idle nodes
 * for an exclusive job, CPUs) filters out most times before the select
 * plugin is asked. The plugin gets per-node deadlines for the window
 * [t, t + limit): a node inside an earlier reservation at t is unusable
 * (deadline INT64_MIN), otherwise its deadline is the next reservation
 * start on it. Reservations hold whole nodes, as Slurm's backfill does:
 * simple and safe, at the price of leaving the rest of a reserved node to
 * jobs that end before the reservation starts.
 *
 * Cost of one search: O(nodes) for the copy and the counts, O(nodes
 * released) per release event, O(nodes + reserved spans) per placement
 * tried.
 */
#include "backfill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bf_plan_init(bf_plan_t *p, uint32_t nnodes)
{
    memset(p, 0, sizeof(*p));
    p->nnodes = nnodes;
    p->deadline_now = malloc((nnodes + 1) * sizeof(*p->deadline_now));
    p->deadline_win = malloc((nnodes + 1) * sizeof(*p->deadline_win));
    if (!p->deadline_now || !p->deadline_win)
        return -ENOMEM;
    for (uint32_t i = 0; i < nnodes; i++)
        p->deadline_win[i] = INT64_MAX;
    return 0;
}

void bf_plan_fini(bf_plan_t *p)
{
    free(p->ev);
    free(p->ev_tmp);
    free(p->spans);
    free(p->resv_ends);
    free(p->deadline_now);
    free(p->deadline_win);
    hub_cluster_destroy(p->wi.c);
    memset(p, 0, sizeof(*p));
}

static int grow_events(bf_plan_t *p, uint32_t need)
{
    uint32_t cap = p->ev_cap ? p->ev_cap : 256;
    bf_event_t *ev, *tmp;

    if (need <= p->ev_cap)
        return 0;
    while (cap < need)
        cap *= 2;
    if (!(ev = realloc(p->ev, cap * sizeof(*ev))))
        return -ENOMEM;
    p->ev = ev;
    if (!(tmp = realloc(p->ev_tmp, cap * sizeof(*tmp))))
        return -ENOMEM;
    p->ev_tmp = tmp;
    p->ev_cap = cap;
    return 0;
}

int bf_plan_started(bf_plan_t *p, const hub_job_t *job, int64_t end_ms)
{
    if (end_ms == INT64_MAX)
        return 0;
    if (grow_events(p, p->nev + 1) < 0)
        return -ENOMEM;
    p->ev[p->nev++] = (bf_event_t){.t_ms = end_ms, .job = job};
    return 0;
}

int bf_plan_begin(bf_plan_t *p, const hub_sched_view_t *view)
{
    p->now_ms = view->now_ms;
    p->nev = p->nsorted = p->nspans = p->nresv = p->nends = 0;
    if (grow_events(p, view->nrunning) < 0)
        return -ENOMEM;
    for (uint32_t i = 0; i < view->nrunning; i++) {
        int64_t end = hub_job_expected_end_ms(view->running[i]);
        bf_plan_started(p, view->running[i],
                        end < p->now_ms ? p->now_ms : end);
    }
    return 0;
}

const int64_t *bf_plan_deadlines(const bf_plan_t *p)
{
    return p->nresv ? p->deadline_now : NULL;
}

/* ---- release events ----------------------------------------------------- */

static int by_time(const void *a, const void *b)
{
    int64_t ta = ((const bf_event_t *)a)->t_ms;
    int64_t tb = ((const bf_event_t *)b)->t_ms;
    return (ta > tb) - (ta < tb);
}

/* Sort the events added since the last search into the sorted prefix. */
static void sync_events(bf_plan_t *p)
{
    bf_event_t *a = p->ev, *b = p->ev + p->nsorted;
    uint32_t na = p->nsorted, nb = p->nev - p->nsorted, i = 0, j = 0, k = 0;

    if (nb == 0)
        return;
    qsort(b, nb, sizeof(*b), by_time);
    if (na == 0) {
        p->nsorted = p->nev;
        return;
    }
    while (i < na || j < nb) {
        bool take_a = j == nb || (i < na && a[i].t_ms <= b[j].t_ms);
        p->ev_tmp[k++] = take_a ? a[i++] : b[j++];
    }
    memcpy(p->ev, p->ev_tmp, p->nev * sizeof(*p->ev));
    p->nsorted = p->nev;
}

/* ---- the what-if cluster and its counts --------------------------------- */

static void count_node(bf_whatif_t *w, const hub_node_t *n, int sign)
{
    uint32_t b = n->gpu_milli_free / HUB_GPU_MILLI;

    w->by_gpus[b > HUB_NODE_MAX_GPUS ? HUB_NODE_MAX_GPUS : b] += sign;
    w->idle_nodes += sign * (n->njobs == 0);
    w->gpu_milli_free += sign * (int64_t)n->gpu_milli_free;
    w->cpus_free += sign * (int64_t)n->cpus_free;
}

static int whatif_reset(bf_whatif_t *w, const hub_cluster_t *live)
{
    if (!w->c && !(w->c = hub_cluster_clone(live)))
        return -ENOMEM;
    hub_cluster_copy(w->c, live);
    memset(w->by_gpus, 0, sizeof(w->by_gpus));
    w->idle_nodes = 0;
    w->gpu_milli_free = w->cpus_free = 0;
    for (uint32_t i = 0; i < w->c->nnodes; i++)
        count_node(w, &w->c->nodes[i], 1);
    return 0;
}

static void whatif_release(bf_whatif_t *w, const hub_job_t *job)
{
    const hub_alloc_t *a = &job->alloc;

    for (uint32_t i = 0; i < a->nnodes; i++)
        count_node(w, &w->c->nodes[a->nodes[i].node], -1);
    hub_cluster_give(w->c, a, job->req.exclusive);
    for (uint32_t i = 0; i < a->nnodes; i++)
        count_node(w, &w->c->nodes[a->nodes[i].node], 1);
}

/* A necessary condition for d to fit on the what-if cluster. */
static bool whatif_may_fit(const bf_whatif_t *w, const hub_select_demand_t *d)
{
    uint64_t node_milli = d->node_gpus * HUB_GPU_MILLI + d->node_gpu_frac;
    uint64_t gpus = node_milli * d->nodes_min + d->job_gpus * HUB_GPU_MILLI +
                    d->job_gpu_frac;
    uint32_t nodes = 0;

    if (w->gpu_milli_free < gpus ||
        w->cpus_free < (uint64_t)d->ntasks * d->cpus_per_task)
        return false;
    if (d->exclusive && w->idle_nodes < d->nodes_min)
        return false;
    for (uint32_t b = d->node_gpus; b <= HUB_NODE_MAX_GPUS; b++)
        nodes += w->by_gpus[b];
    return nodes >= d->nodes_min;
}

/* ---- reservations ------------------------------------------------------- */

/* Deadlines for a window starting at t_ms (see the file header); NULL
 * when there is no reservation. Undo with window_done(). */
static const int64_t *window_at(bf_plan_t *p, int64_t t_ms)
{
    int64_t *dl = p->deadline_win;

    if (!p->nspans)
        return NULL;
    for (uint32_t i = 0; i < p->nspans; i++) {
        const bf_span_t *sp = &p->spans[i];
        if (sp->start_ms <= t_ms && t_ms < sp->end_ms)
            dl[sp->node] = INT64_MIN;
        else if (sp->start_ms > t_ms && sp->start_ms < dl[sp->node])
            dl[sp->node] = sp->start_ms;
    }
    return dl;
}

static void window_done(bf_plan_t *p)
{
    for (uint32_t i = 0; i < p->nspans; i++)
        p->deadline_win[p->spans[i].node] = INT64_MAX;
}

static int grow_resv(bf_plan_t *p, uint32_t nnodes)
{
    if (p->nspans + nnodes > p->spans_cap) {
        uint32_t cap = (p->nspans + nnodes) * 2;
        bf_span_t *v = realloc(p->spans, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->spans = v;
        p->spans_cap = cap;
    }
    if (p->nresv + 1 > p->resv_cap) {
        uint32_t cap = (p->nresv + 1) * 2;
        int64_t *v = realloc(p->resv_ends, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->resv_ends = v;
        p->resv_cap = cap;
    }
    return 0;
}

/* Hold alloc's nodes over [start_ms, end_ms). */
static int add_resv(bf_plan_t *p, const hub_alloc_t *alloc, int64_t start_ms,
                    int64_t end_ms)
{
    uint32_t i;

    if (grow_resv(p, alloc->nnodes) < 0)
        return -ENOMEM;
    if (p->nresv == 0) {
        for (i = 0; i < p->nnodes; i++)
            p->deadline_now[i] = INT64_MAX;
    }
    for (i = 0; i < alloc->nnodes; i++) {
        uint32_t node = alloc->nodes[i].node;
        p->spans[p->nspans++] = (bf_span_t){node, start_ms, end_ms};
        if (start_ms < p->deadline_now[node])
            p->deadline_now[node] = start_ms;
    }
    if (end_ms != INT64_MAX) {
        for (i = p->nends; i > 0 && p->resv_ends[i - 1] > end_ms; i--)
            p->resv_ends[i] = p->resv_ends[i - 1];
        p->resv_ends[i] = end_ms;
        p->nends++;
    }
    p->nresv++;
    return 0;
}

/* The search's cursor over the two sorted time lists. */
typedef struct cursor {
    uint32_t ev, resv;
} cursor_t;

/* The next candidate time after those consumed, releasing the events up
 * to it; INT64_MAX when there is none. */
static int64_t next_time(bf_plan_t *p, cursor_t *c)
{
    int64_t te = c->ev < p->nev ? p->ev[c->ev].t_ms : INT64_MAX;
    int64_t tr = c->resv < p->nends ? p->resv_ends[c->resv] : INT64_MAX;
    int64_t t = te < tr ? te : tr;

    while (c->ev < p->nev && p->ev[c->ev].t_ms <= t)
        whatif_release(&p->wi, p->ev[c->ev++].job);
    while (c->resv < p->nends && p->resv_ends[c->resv] <= t)
        c->resv++;
    return t;
}

/* Try job at t_ms on the what-if cluster; on success reserve it. */
static int try_at(bf_plan_t *p, hub_sched_t *s, const hub_job_t *job,
                  int64_t t_ms, int64_t limit_ms)
{
    int64_t end = bf_time_add(t_ms, limit_ms);
    hub_alloc_t alloc = {0};
    int rc = hub_sched_place(s, p->wi.c, job, window_at(p, t_ms), end, &alloc);

    window_done(p);
    if (rc == 0) {
        rc = add_resv(p, &alloc, t_ms, end);
        free(alloc.nodes);
    }
    return rc;
}

int bf_plan_reserve(bf_plan_t *p, hub_sched_t *s,
                    const hub_sched_view_t *view, const hub_job_t *job,
                    int64_t limit_ms, uint32_t max_tries, int64_t *start_ms)
{
    cursor_t c = {0, 0};
    hub_select_demand_t d;
    uint32_t tries = 0;
    int64_t t;
    int rc;

    sync_events(p);
    if (whatif_reset(&p->wi, view->cluster) < 0)
        return -ENOMEM;
    hub_select_demand(&job->req, &d);
    while ((t = next_time(p, &c)) != INT64_MAX) {
        if (!whatif_may_fit(&p->wi, &d))
            continue;
        if (tries++ == max_tries)
            return -EAGAIN;
        rc = try_at(p, s, job, t, limit_ms);
        if (rc == 0)
            *start_ms = t;
        if (rc != -EAGAIN)
            return rc;
    }
    return -EAGAIN;
}

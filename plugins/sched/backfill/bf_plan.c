/* bf_plan.c - sched/backfill: the what-if timeline and reservations.
 *
 * The timeline is the running jobs' release events (expected end = start +
 * time limit) plus the jobs started in this pass, and the reservations
 * made so far, each a set of nodes held over [start, start + limit).
 *
 * A reservation search walks the candidate times t in order - the
 * distinct release times and the ends of earlier reservations - on a
 * what-if cluster, giving back the allocations that end by t. It starts
 * not from the live cluster but from a snapshot (bf_whatif.c): the one
 * before the first interval between snapshots where a cheap check does
 * not rule the job out (search_start). A node is blocked for the window
 * [t, t + limit) while an earlier reservation on it overlaps the window;
 * reservations hold whole nodes, as Slurm's backfill does (simple and
 * safe, at the price of leaving the rest of a reserved node to jobs that
 * end before it starts).
 *
 * At each t the same cheap necessary check, on counts kept over the
 * unblocked nodes (free GPUs in total, nodes with enough whole free GPUs,
 * idle nodes for an exclusive job, CPUs), skips most times; only then is
 * the select plugin asked, with per-node deadlines for the window:
 * INT64_MIN on a node inside a reservation at t, else the next
 * reservation start on it.
 *
 * Cost of one search: O(nodes) for the copy; O(snapshots x reserved
 * nodes) at most to pick the snapshot; O(nodes of the allocation) per
 * release replayed; O(reserved nodes) over the search for the blocked set
 * (between two reservation ends it only grows, so each reservation enters
 * and leaves once); O(candidates + reserved nodes) per select call, of
 * which there are at most max_tries.
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
    p->nblk = calloc(nnodes + 1, sizeof(*p->nblk));
    p->stamp = calloc(nnodes + 1, sizeof(*p->stamp));
    p->skip = malloc((nnodes + 1) * sizeof(*p->skip));
    if (!p->deadline_now || !p->deadline_win || !p->nblk || !p->stamp ||
        !p->skip)
        return -ENOMEM;
    for (uint32_t i = 0; i < nnodes; i++)
        p->deadline_win[i] = INT64_MAX;
    return 0;
}

void bf_plan_fini(bf_plan_t *p)
{
    free(p->ev);
    free(p->ev_tmp);
    free(p->resv);
    free(p->resv_nodes);
    free(p->by_start);
    free(p->by_end);
    free(p->resv_state);
    free(p->deadline_now);
    free(p->deadline_win);
    free(p->nblk);
    free(p->stamp);
    free(p->skip);
    bf_whatif_fini(&p->wi);
    bf_snaps_fini(&p->snaps);
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

/* job's allocation comes back at end_ms (never when INT64_MAX). */
static int add_event(bf_plan_t *p, const hub_job_t *job, int64_t end_ms)
{
    if (end_ms == INT64_MAX)
        return 0;
    if (grow_events(p, p->nev + 1) < 0)
        return -ENOMEM;
    p->ev[p->nev++] = (bf_event_t){end_ms, job->alloc, job->req.exclusive};
    return 0;
}

int bf_plan_started(bf_plan_t *p, const hub_job_t *job, int64_t end_ms)
{
    bf_event_t ev = {end_ms, job->alloc, job->req.exclusive};

    bf_snaps_started(&p->snaps, &ev);
    return add_event(p, job, end_ms);
}

int bf_plan_begin(bf_plan_t *p, const hub_sched_view_t *view)
{
    p->now_ms = view->now_ms;
    p->nev = p->nsorted = p->nresv = p->nresv_nodes = 0;
    p->snaps.valid = false;
    if (grow_events(p, view->nrunning) < 0)
        return -ENOMEM;
    for (uint32_t i = 0; i < view->nrunning; i++) {
        int64_t end = hub_job_expected_end_ms(view->running[i]);
        /* Cannot fail: the room was made above. */
        (void)add_event(p, view->running[i], end < p->now_ms ? p->now_ms : end);
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

/* ---- reservations ------------------------------------------------------- */

/* Deadlines for a window [t_ms, ...) (see the file header); NULL when
 * there is no reservation. Undo with window_done(). O(reserved nodes). */
static const int64_t *window_at(bf_plan_t *p, int64_t t_ms)
{
    int64_t *dl = p->deadline_win;

    if (!p->nresv)
        return NULL;
    for (uint32_t r = 0; r < p->nresv; r++) {
        const bf_resv_t *rv = &p->resv[r];
        bool inside = rv->start_ms <= t_ms && t_ms < rv->end_ms;
        for (uint32_t i = rv->first; i < rv->first + rv->n; i++) {
            uint32_t node = p->resv_nodes[i];
            if (inside)
                dl[node] = INT64_MIN;
            else if (rv->start_ms > t_ms && rv->start_ms < dl[node])
                dl[node] = rv->start_ms;
        }
    }
    return dl;
}

static void window_done(bf_plan_t *p)
{
    for (uint32_t i = 0; i < p->nresv_nodes; i++)
        p->deadline_win[p->resv_nodes[i]] = INT64_MAX;
}

static int grow_resv(bf_plan_t *p, uint32_t nnodes)
{
    uint32_t cap = (p->nresv + 1) * 2;
    void *v;

    if (p->nresv_nodes + nnodes > p->resv_nodes_cap) {
        uint32_t ncap = (p->nresv_nodes + nnodes) * 2;
        if (!(v = realloc(p->resv_nodes, ncap * sizeof(*p->resv_nodes))))
            return -ENOMEM;
        p->resv_nodes = v;
        p->resv_nodes_cap = ncap;
    }
    if (p->nresv + 1 <= p->resv_cap)
        return 0;
    if (!(v = realloc(p->resv, cap * sizeof(*p->resv))))
        return -ENOMEM;
    p->resv = v;
    if (!(v = realloc(p->by_start, cap * sizeof(*p->by_start))))
        return -ENOMEM;
    p->by_start = v;
    if (!(v = realloc(p->by_end, cap * sizeof(*p->by_end))))
        return -ENOMEM;
    p->by_end = v;
    p->resv_cap = cap;
    return 0;
}

/* Insert reservation r into order (n entries before) by key. */
static void insert_sorted(bf_plan_t *p, uint32_t *order, uint32_t n, uint32_t r,
                          bool by_start)
{
    int64_t key = by_start ? p->resv[r].start_ms : p->resv[r].end_ms;
    uint32_t i = n;

    for (; i > 0; i--) {
        const bf_resv_t *o = &p->resv[order[i - 1]];
        if ((by_start ? o->start_ms : o->end_ms) <= key)
            break;
        order[i] = order[i - 1];
    }
    order[i] = r;
}

/* Hold alloc's nodes over [start_ms, end_ms). */
static int add_resv(bf_plan_t *p, const hub_alloc_t *alloc, int64_t start_ms,
                    int64_t end_ms)
{
    uint32_t r = p->nresv;

    if (grow_resv(p, alloc->nnodes) < 0)
        return -ENOMEM;
    if (r == 0) {
        for (uint32_t i = 0; i < p->nnodes; i++)
            p->deadline_now[i] = INT64_MAX;
    }
    p->resv[r] = (bf_resv_t){start_ms, end_ms, p->nresv_nodes, alloc->nnodes};
    for (uint32_t i = 0; i < alloc->nnodes; i++) {
        uint32_t node = alloc->nodes[i].node;
        p->resv_nodes[p->nresv_nodes++] = node;
        if (start_ms < p->deadline_now[node])
            p->deadline_now[node] = start_ms;
    }
    insert_sorted(p, p->by_start, r, r, true);
    insert_sorted(p, p->by_end, r, r, false);
    p->nresv++;
    return 0;
}

/* ---- the search ---------------------------------------------------------- */

/* Where a search stands: events released, reservations that have begun
 * blocking the window (by start) and that have ended (by end). */
typedef struct cursor {
    uint32_t ev, enter, leave;
    int64_t limit_ms;
} cursor_t;

/* Reservation r starts (+1) or stops (-1) blocking the window. */
static void block(bf_plan_t *p, uint32_t r, int delta)
{
    const bf_resv_t *rv = &p->resv[r];

    for (uint32_t i = rv->first; i < rv->first + rv->n; i++) {
        uint32_t node = p->resv_nodes[i];
        uint32_t before = p->nblk[node];
        p->nblk[node] = delta > 0 ? before + 1 : before - 1;
        if (!before != !p->nblk[node]) /* first blocker came or went */
            bf_whatif_count(&p->wi, node, delta > 0 ? -1 : 1);
    }
}

/* Bring the blocked set to the window [t, t + limit): a reservation
 * blocks while it overlaps it. Between two reservation ends the set only
 * grows, so each reservation enters and leaves once per search. */
static void update_blocked(bf_plan_t *p, cursor_t *c, int64_t t)
{
    int64_t end = bf_time_add(t, c->limit_ms);

    while (c->leave < p->nresv && p->resv[p->by_end[c->leave]].end_ms <= t) {
        uint32_t r = p->by_end[c->leave++];
        if (p->resv_state[r] == 1)
            block(p, r, -1);
        p->resv_state[r] = 2;
    }
    while (c->enter < p->nresv &&
           p->resv[p->by_start[c->enter]].start_ms < end) {
        uint32_t r = p->by_start[c->enter++];
        if (p->resv_state[r] == 0 && p->resv[r].end_ms > t) {
            block(p, r, 1);
            p->resv_state[r] = 1;
        }
    }
}

/* The next candidate time - a release or a reservation end - with the
 * what-if cluster and blocked set brought to it; INT64_MAX at the end. */
static int64_t next_time(bf_plan_t *p, cursor_t *c)
{
    int64_t te = c->ev < p->nev ? p->ev[c->ev].t_ms : INT64_MAX;
    int64_t tr =
        c->leave < p->nresv ? p->resv[p->by_end[c->leave]].end_ms : INT64_MAX;
    int64_t t = te < tr ? te : tr;

    while (c->ev < p->nev && p->ev[c->ev].t_ms <= t)
        bf_whatif_release(&p->wi, p->nblk, &p->ev[c->ev++]);
    if (t != INT64_MAX)
        update_blocked(p, c, t);
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

/* Index of the first event after t_ms. */
static uint32_t first_after(const bf_plan_t *p, int64_t t_ms)
{
    uint32_t lo = 0, hi = p->nev;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->ev[mid].t_ms <= t_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Could d (limit_ms long) start at some t in (t[k-1], t[k]], snapshot
 * k's interval? Snapshot k has at least the free capacity of any time in
 * it. A reservation [rs, re) overlaps every window [t, t + limit) of the
 * interval when rs <= t[k-1] + limit and re > t[k]: its nodes are blocked
 * throughout and do not count. O(reserved nodes). */
static bool interval_may_fit(bf_plan_t *p, uint32_t k,
                             const hub_select_demand_t *d, int64_t limit_ms)
{
    int64_t lo = k > 1 ? bf_time_add(p->snaps.t_ms[k - 1], limit_ms)
                       : INT64_MIN; /* t[0] is "before any release" */
    int64_t hi = p->snaps.t_ms[k];
    uint32_t n = 0;

    if (!bf_whatif_may_fit(&p->snaps.v[k], d))
        return false;
    if (++p->gen == 0) {
        memset(p->stamp, 0, p->nnodes * sizeof(*p->stamp));
        p->gen = 1;
    }
    for (uint32_t r = 0; r < p->nresv; r++) {
        const bf_resv_t *rv = &p->resv[r];
        if (rv->start_ms > lo || rv->end_ms <= hi)
            continue;
        for (uint32_t i = rv->first; i < rv->first + rv->n; i++) {
            uint32_t node = p->resv_nodes[i];
            if (p->stamp[node] != p->gen) {
                p->stamp[node] = p->gen;
                p->skip[n++] = node;
            }
        }
    }
    return bf_snaps_may_fit(&p->snaps, k, d, p->skip, n);
}

/* The snapshot a search for d starts from: the one before the first
 * interval where d might fit, or the last one. */
static uint32_t search_start(bf_plan_t *p, const hub_select_demand_t *d,
                             int64_t limit_ms)
{
    uint32_t lo = 1, hi = p->snaps.n;

    /* Without reservations the check only gets easier with time: find
     * the first snapshot passing it by bisection, then go on one by one
     * with the blocked nodes left out. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (bf_whatif_may_fit(&p->snaps.v[mid], d))
            hi = mid;
        else
            lo = mid + 1;
    }
    while (lo < p->snaps.n && !interval_may_fit(p, lo, d, limit_ms))
        lo++;
    return lo - 1;
}

/* Ready a search for demand d: the what-if cluster is the snapshot it
 * starts from, nothing blocked yet. */
static int search_begin(bf_plan_t *p, const hub_cluster_t *live,
                        const hub_select_demand_t *d, cursor_t *c)
{
    uint32_t k;

    sync_events(p);
    if (!p->snaps.valid && bf_snaps_build(&p->snaps, live, p->ev, p->nev) < 0)
        return -ENOMEM;
    if (p->nresv > p->state_cap) {
        uint8_t *v = realloc(p->resv_state, p->resv_cap);
        if (!v)
            return -ENOMEM;
        p->resv_state = v;
        p->state_cap = p->resv_cap;
    }
    if (p->nresv)
        memset(p->resv_state, 0, p->nresv);
    memset(p->nblk, 0, p->nnodes * sizeof(*p->nblk));
    k = search_start(p, d, c->limit_ms);
    c->ev = k ? first_after(p, p->snaps.t_ms[k]) : 0;
    return bf_whatif_copy(&p->wi, &p->snaps.v[k]);
}

int bf_plan_reserve(bf_plan_t *p, hub_sched_t *s, const hub_sched_view_t *view,
                    const hub_job_t *job, int64_t limit_ms, uint32_t max_tries,
                    int64_t *start_ms)
{
    cursor_t c = {.limit_ms = limit_ms};
    hub_select_demand_t d;
    uint32_t tries = 0;
    int64_t t;
    int rc;

    hub_select_demand(&job->req, &d);
    if (search_begin(p, view->cluster, &d, &c) < 0)
        return -ENOMEM;
    while ((t = next_time(p, &c)) != INT64_MAX) {
        if (!bf_whatif_may_fit(&p->wi, &d))
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

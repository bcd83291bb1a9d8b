/* sched_place.c - what nodes a job may use, per-user and array limits,
 * and the placement/start calls sched plugins make (see sched.h). */
#include "sched_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static bool has_feature(const hub_conf_node_t *n, const char *feature)
{
    for (size_t i = 0; i < n->features.n; i++) {
        if (strcmp(n->features.v[i], feature) == 0)
            return true;
    }
    return false;
}

/* Can node i serve a job asking for hub, gpu_type and constraint? */
static bool node_matches(const hub_sched_t *s, uint32_t i, const char *hub,
                         const char *gpu_type, const char *constraint)
{
    const hub_conf_node_t *n = &s->conf->nodes[i];

    if (hub[0] && strcmp(n->hub_name, hub) != 0)
        return false;
    if (gpu_type[0] &&
        (!n->gpu_type_name || strcmp(n->gpu_type_name, gpu_type) != 0))
        return false;
    return !constraint[0] || has_feature(n, constraint);
}

uint32_t place_static_cands(const hub_sched_t *s, long part,
                            const hub_job_req_t *req, uint32_t *out)
{
    const hub_conf_partition_t *p = &s->conf->partitions[part];
    uint32_t n = 0;

    for (size_t k = 0; k < p->nnodes; k++) {
        uint32_t i = (uint32_t)p->node_idx[k];
        if (node_matches(s, i, req->hub, req->gpu_type, req->constraint))
            out[n++] = i;
    }
    return n;
}

static int build_cands(hub_sched_t *s, candset_t *c)
{
    const hub_conf_partition_t *p = &s->conf->partitions[c->partition];

    c->nodes = malloc((p->nnodes + 1) * sizeof(*c->nodes));
    if (!c->nodes)
        return -ENOMEM;
    c->n = 0;
    for (size_t k = 0; k < p->nnodes; k++) {
        uint32_t i = (uint32_t)p->node_idx[k];
        if (s->cluster->nodes[i].state == 0 &&
            node_matches(s, i, c->hub, c->gpu_type, c->constraint))
            c->nodes[c->n++] = i;
    }
    return 0;
}

static bool cand_key_equal(const candset_t *c, long part, const char *hub,
                           const hub_job_req_t *r)
{
    return c->partition == part && strcmp(c->hub, hub) == 0 &&
           strcmp(c->gpu_type, r->gpu_type) == 0 &&
           strcmp(c->constraint, r->constraint) == 0;
}

static candset_t *new_candset(hub_sched_t *s)
{
    if (s->ncands == s->cands_cap) {
        uint32_t cap = s->cands_cap ? s->cands_cap * 2 : 8;
        candset_t *v = realloc(s->cands, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->cands = v;
        s->cands_cap = cap;
    }
    return &s->cands[s->ncands++];
}

const candset_t *place_candidates(hub_sched_t *s, const hub_job_t *job,
                                  const char *hub)
{
    const hub_conf_partition_t *p =
        hub_conf_find_partition(s->conf, job->req.partition);
    long part = p ? p - s->conf->partitions : -1;
    candset_t *c;

    if (part < 0)
        return NULL;
    if (!hub[0])
        hub = job->req.hub;
    for (uint32_t i = 0; i < s->ncands; i++) {
        if (cand_key_equal(&s->cands[i], part, hub, &job->req))
            return &s->cands[i];
    }
    if (!(c = new_candset(s)))
        return NULL;
    memset(c, 0, sizeof(*c));
    c->partition = part;
    snprintf(c->hub, sizeof(c->hub), "%s", hub);
    memcpy(c->gpu_type, job->req.gpu_type, sizeof(c->gpu_type));
    memcpy(c->constraint, job->req.constraint, sizeof(c->constraint));
    if (build_cands(s, c) < 0) {
        s->ncands--;
        return NULL;
    }
    return c;
}

void place_free_cands(hub_sched_t *s)
{
    for (uint32_t i = 0; i < s->ncands; i++)
        free(s->cands[i].nodes);
    free(s->cands);
    s->cands = NULL;
    s->ncands = s->cands_cap = 0;
}

void place_begin_pass(hub_sched_t *s)
{
    countmap_clear(&s->user_running);
    countmap_clear(&s->array_running);
    /* per-user counts only where a partition limits them: counting costs
     * a partition lookup per running job and pass (a tenth of a 10,000-
     * node replay's time when done for nothing) */
    s->count_users = false;
    for (size_t i = 0; i < s->conf->npartitions; i++)
        if (s->conf->partitions[i].max_jobs_per_user != HUB_CONF_UNLIMITED)
            s->count_users = true;
}

void place_end_pass(hub_sched_t *s)
{
    /* Node states may change before the next pass: rebuild then. */
    for (uint32_t i = 0; i < s->ncands; i++)
        free(s->cands[i].nodes);
    s->ncands = 0;
}

static uint64_t user_key(hub_sched_t *s, const hub_job_t *job)
{
    const hub_conf_partition_t *p =
        hub_conf_find_partition(s->conf, job->req.partition);
    uint64_t part = p ? (uint64_t)(p - s->conf->partitions) : 0xffffffffu;
    return (uint64_t)job->uid << 32 | part;
}

void place_count_running(hub_sched_t *s, const hub_job_t *job, int delta)
{
    if (s->count_users)
        countmap_add(&s->user_running, user_key(s, job), (uint32_t)delta);
    if (job->array_job_id)
        countmap_add(&s->array_running, job->array_job_id, (uint32_t)delta);
}

bool hub_sched_within_limits(hub_sched_t *s, const hub_job_t *job)
{
    const hub_conf_partition_t *p =
        hub_conf_find_partition(s->conf, job->req.partition);

    if (p && p->max_jobs_per_user != HUB_CONF_UNLIMITED &&
        countmap_get(&s->user_running, user_key(s, job)) >=
            (uint64_t)p->max_jobs_per_user)
        return false;
    return !job->array_max_running ||
           countmap_get(&s->array_running, job->array_job_id) <
               job->array_max_running;
}

/* Ask the select plugin to place job on the candidates of hub ("": the
 * job's own --hub, or every hub). */
static int place_on(hub_sched_t *s, const hub_cluster_t *cluster,
                    const hub_job_t *job, const char *hub,
                    const int64_t *node_deadline_ms, int64_t end_ms,
                    hub_alloc_t *out)
{
    const candset_t *c = place_candidates(s, job, hub);
    hub_place_req_t req = {
        .cluster = cluster,
        .job = job,
        .node_deadline_ms = node_deadline_ms,
        .end_ms = end_ms,
    };

    if (!c)
        return -ENOSPC;
    req.cand = c->nodes;
    req.ncand = c->n;
    return s->select->place(s->select_ctx, &req, out);
}

/* A job with no --hub on a network of several hubs: the hubsel plugin
 * ranks the hubs, best first, and the job goes to the first one it could
 * ever fit on - now, or it waits for that hub (-EAGAIN): the score's wait
 * term already priced waiting against moving, and a hub whose wait grows
 * too dear drops down the ranking. Hubs it never fits on are skipped;
 * -ENOSPC when it fits on none. */
int hub_sched_place(hub_sched_t *s, const hub_cluster_t *cluster,
                    const hub_job_t *job, const int64_t *node_deadline_ms,
                    int64_t end_ms, hub_alloc_t *out)
{
    bool any = true;
    int n = 0;

    if (!job->req.hub[0] && s->conf->nhubs > 1 &&
        (n = hubsel_rank(s, cluster, job, &any)) < 0)
        return n;
    if (any)
        return place_on(s, cluster, job, "", node_deadline_ms, end_ms, out);
    for (int i = 0; i < n; i++) {
        const char *hub = s->conf->hubs[s->ranked[i].hub].name;
        int rc = place_on(s, cluster, job, hub, node_deadline_ms, end_ms, out);
        if (rc != -ENOSPC)
            return rc;
    }
    return -ENOSPC;
}

hub_job_reason_t place_limit_reason(hub_sched_t *s, const hub_job_t *job)
{
    if (hub_sched_within_limits(s, job))
        return HUB_REASON_NONE;
    if (job->array_max_running &&
        countmap_get(&s->array_running, job->array_job_id) >=
            job->array_max_running)
        return HUB_REASON_ARRAY_LIMIT;
    return HUB_REASON_JOB_LIMIT;
}

int hub_sched_start(hub_sched_t *s, hub_job_t *job, hub_alloc_t *alloc)
{
    hub_job_reason_t r = place_limit_reason(s, job);

    if (r != HUB_REASON_NONE) {
        job->reason = r;
        return -EAGAIN;
    }
    if (hub_cluster_take(s->cluster, alloc, job->req.exclusive) < 0)
        return -EBUSY;
    job->alloc = *alloc;
    alloc->nodes = NULL;
    alloc->nnodes = 0;
    job->hub =
        job->alloc.nnodes ? s->cluster->nodes[job->alloc.nodes[0].node].hub : 0;
    job->state = HUB_JOB_RUNNING;
    job->reason = HUB_REASON_NONE;
    job->start_ms = hub_sched_now(s);
    s->npending--;
    place_count_running(s, job, 1);
    if (s->host.job_started)
        s->host.job_started(s->host.arg, job);
    return 0;
}

/* bf_memo.c - sched/backfill: shapes that did not fit, within one pass.
 *
 * Most of a long queue repeats a few shapes (8 GPUs on 1 node, 8 on 4...).
 * Once a shape failed for a job ending at E, any job of that shape ending
 * at E or later fails too until the pass ends: a pass only takes resources
 * and adds reservations (which only lower node deadlines), and a later end
 * only makes fewer nodes eligible. The memo answers those in O(1), so a
 * pass over 10,000 pending jobs asks the select plugin only about shapes
 * or shorter limits it has not seen fail yet.
 *
 * A shape is every request field a select plugin may read: the demand
 * (hub_select_demand()) plus the fields it leaves out and the strings that
 * pick the candidate nodes. A select plugin that starts reading another
 * field must have it added to same_shape() and hash_shape().
 */
#include "backfill.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MEMO_MIN_CAP 64

void bf_memo_init(bf_memo_t *m)
{
    memset(m, 0, sizeof(*m));
}

void bf_memo_fini(bf_memo_t *m)
{
    free(m->v);
    bf_memo_init(m);
}

void bf_memo_clear(bf_memo_t *m)
{
    if (m->v && m->used)
        memset(m->v, 0, m->cap * sizeof(*m->v));
    m->used = 0;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
    return mix(h, 0xff);
}

static uint64_t hash_shape(const hub_select_demand_t *d, const hub_job_req_t *r)
{
    uint64_t h = 0xcbf29ce484222325ull;

    h = mix(h, (uint64_t)d->nodes_min << 32 | d->nodes_max);
    h = mix(h, (uint64_t)d->ntasks << 32 | d->tasks_per_node);
    h = mix(h, (uint64_t)d->cpus_per_task << 1 | d->exclusive);
    h = mix(h, d->mem_mb);
    h = mix(h, (uint64_t)d->node_gpus << 32 | d->node_gpu_frac);
    h = mix(h, (uint64_t)d->job_gpus << 32 | d->job_gpu_frac);
    h = mix(h, r->mem_per_cpu_mb << 1 | r->mem_all);
    h = mix(h, (uint64_t)r->spare_nodes << 32 | r->latency_slo_ms);
    h = mix(h, (uint64_t)r->kind);
    h = hash_str(h, r->partition);
    h = hash_str(h, r->hub);
    h = hash_str(h, r->gpu_type);
    h = hash_str(h, r->constraint);
    h = hash_str(h, r->data_hub);
    h = hash_str(h, r->region);
    return h ? h : 1;
}

void bf_shape_of(const hub_job_t *job, bf_shape_t *sh)
{
    hub_select_demand(&job->req, &sh->d);
    sh->req = &job->req;
    sh->hash = hash_shape(&sh->d, sh->req);
}

static bool same_shape(const bf_memo_entry_t *e, const bf_shape_t *sh)
{
    const hub_job_req_t *a = e->req, *b = sh->req;

    /* hub_select_demand() zeroes the struct first: padding compares. */
    return e->hash == sh->hash && memcmp(&e->d, &sh->d, sizeof(e->d)) == 0 &&
           a->mem_per_cpu_mb == b->mem_per_cpu_mb && a->mem_all == b->mem_all &&
           a->spare_nodes == b->spare_nodes &&
           a->latency_slo_ms == b->latency_slo_ms && a->kind == b->kind &&
           strcmp(a->partition, b->partition) == 0 &&
           strcmp(a->hub, b->hub) == 0 &&
           strcmp(a->gpu_type, b->gpu_type) == 0 &&
           strcmp(a->constraint, b->constraint) == 0 &&
           strcmp(a->data_hub, b->data_hub) == 0 &&
           strcmp(a->region, b->region) == 0;
}

/* The slot holding sh, or the empty slot where it would go. */
static bf_memo_entry_t *slot_of(const bf_memo_t *m, const bf_shape_t *sh)
{
    uint32_t i = (uint32_t)(sh->hash ^ sh->hash >> 32) & (m->cap - 1);

    while (m->v[i].hash && !same_shape(&m->v[i], sh))
        i = (i + 1) & (m->cap - 1);
    return &m->v[i];
}

int bf_memo_lookup(const bf_memo_t *m, const bf_shape_t *sh, int64_t end_ms)
{
    const bf_memo_entry_t *e;

    if (!m->used)
        return 0;
    e = slot_of(m, sh);
    if (!e->hash)
        return 0;
    if (e->never)
        return -ENOSPC;
    return end_ms >= e->fail_end_ms ? -EAGAIN : 0;
}

static int grow(bf_memo_t *m)
{
    bf_memo_t n = {.cap = m->cap ? m->cap * 2 : MEMO_MIN_CAP};

    n.v = calloc(n.cap, sizeof(*n.v));
    if (!n.v)
        return -ENOMEM;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (m->v[i].hash) {
            bf_shape_t sh = {m->v[i].hash, m->v[i].d, m->v[i].req};
            *slot_of(&n, &sh) = m->v[i];
            n.used++;
        }
    }
    free(m->v);
    *m = n;
    return 0;
}

int bf_memo_record(bf_memo_t *m, const bf_shape_t *sh, int64_t end_ms, int rc)
{
    bf_memo_entry_t *e;

    if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
        return -ENOMEM;
    e = slot_of(m, sh);
    if (!e->hash) {
        *e = (bf_memo_entry_t){.hash = sh->hash,
                               .d = sh->d,
                               .req = sh->req,
                               .fail_end_ms = INT64_MAX};
        m->used++;
    }
    e->never = e->never || rc == -ENOSPC;
    if (end_ms < e->fail_end_ms)
        e->fail_end_ms = end_ms;
    return 0;
}

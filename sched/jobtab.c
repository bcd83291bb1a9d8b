/* jobtab.c - job id -> job pointer table (see jobtab.h). */
#include "jobtab.h"

#include <errno.h>
#include <stdlib.h>

static hub_job_t tombstone_job;
#define TOMBSTONE (&tombstone_job)

static uint32_t hash_id(hub_job_id_t id)
{
    /* Ids are mostly sequential: a multiplicative hash spreads them. */
    return (uint32_t)(id * 2654435761u);
}

int jobtab_init(jobtab_t *t)
{
    t->cap = 1024;
    t->count = t->used = 0;
    t->slots = calloc(t->cap, sizeof(*t->slots));
    return t->slots ? 0 : -ENOMEM;
}

void jobtab_fini(jobtab_t *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = t->used = 0;
}

static void place(hub_job_t **slots, uint32_t cap, hub_job_t *job)
{
    uint32_t i = hash_id(job->id) & (cap - 1);
    while (slots[i])
        i = (i + 1) & (cap - 1);
    slots[i] = job;
}

static int grow(jobtab_t *t)
{
    /* Double when live entries fill half; rehash in place otherwise
     * (tombstones only). */
    uint32_t cap = t->count * 2 >= t->cap ? t->cap * 2 : t->cap;
    hub_job_t **slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (uint32_t i = 0; i < t->cap; i++) {
        if (t->slots[i] && t->slots[i] != TOMBSTONE)
            place(slots, cap, t->slots[i]);
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    t->used = t->count;
    return 0;
}

int jobtab_insert(jobtab_t *t, hub_job_t *job)
{
    if ((t->used + 1) * 4 >= t->cap * 3 && grow(t) < 0)
        return -ENOMEM;
    place(t->slots, t->cap, job);
    t->count++;
    t->used++;
    return 0;
}

static uint32_t find_slot(const jobtab_t *t, hub_job_id_t id)
{
    uint32_t i = hash_id(id) & (t->cap - 1);
    while (t->slots[i]) {
        if (t->slots[i] != TOMBSTONE && t->slots[i]->id == id)
            return i;
        i = (i + 1) & (t->cap - 1);
    }
    return UINT32_MAX;
}

hub_job_t *jobtab_find(const jobtab_t *t, hub_job_id_t id)
{
    uint32_t i = find_slot(t, id);
    return i == UINT32_MAX ? NULL : t->slots[i];
}

hub_job_t *jobtab_remove(jobtab_t *t, hub_job_id_t id)
{
    uint32_t i = find_slot(t, id);
    hub_job_t *job;

    if (i == UINT32_MAX)
        return NULL;
    job = t->slots[i];
    t->slots[i] = TOMBSTONE;
    t->count--;
    return job;
}

hub_job_t *jobtab_next(const jobtab_t *t, uint32_t *pos)
{
    while (*pos < t->cap) {
        hub_job_t *job = t->slots[(*pos)++];
        if (job && job != TOMBSTONE)
            return job;
    }
    return NULL;
}

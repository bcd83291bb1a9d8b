/* jobtab.h - job id -> job pointer table (open addressing, linear probing).
 *
 * Holds every job the scheduler keeps; O(1) lookup by id, and iteration
 * in insertion-independent order. Keys are job ids (never 0).
 */
#ifndef HUB_JOBTAB_H
#define HUB_JOBTAB_H

#include <stdint.h>

#include "job.h"

typedef struct jobtab {
    hub_job_t **slots; /* cap entries; NULL = empty, TOMBSTONE = deleted */
    uint32_t cap;      /* power of two */
    uint32_t count;    /* live entries */
    uint32_t used;     /* live + tombstones */
} jobtab_t;

int jobtab_init(jobtab_t *t);
void jobtab_fini(jobtab_t *t);

/* Insert job (its id must not be present). 0 or -ENOMEM. */
int jobtab_insert(jobtab_t *t, hub_job_t *job);

hub_job_t *jobtab_find(const jobtab_t *t, hub_job_id_t id);

/* Remove and return the job with id, or NULL. */
hub_job_t *jobtab_remove(jobtab_t *t, hub_job_id_t id);

/* Iterate: start with *pos = 0; returns NULL at the end. The table must
 * not change during iteration. */
hub_job_t *jobtab_next(const jobtab_t *t, uint32_t *pos);

#endif /* HUB_JOBTAB_H */

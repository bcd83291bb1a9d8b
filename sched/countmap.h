/* countmap.h - small uint64 key -> count map, rebuilt every pass.
 *
 * Counts running jobs per (user, partition) and per array, for the
 * per-user and array-throttle limits. Open addressing; no deletion.
 */
#ifndef HUB_COUNTMAP_H
#define HUB_COUNTMAP_H

#include <stdint.h>

typedef struct countmap {
    uint64_t *keys; /* key + 1; 0 marks an empty slot */
    uint32_t *counts;
    uint32_t cap; /* power of two */
    uint32_t used;
} countmap_t;

void countmap_init(countmap_t *m);
void countmap_fini(countmap_t *m);
void countmap_clear(countmap_t *m);

/* Add delta to key's count; returns the new count (0 on ENOMEM). */
uint32_t countmap_add(countmap_t *m, uint64_t key, uint32_t delta);

uint32_t countmap_get(const countmap_t *m, uint64_t key);

#endif /* HUB_COUNTMAP_H */

/* countmap.c - uint64 key -> count map (see countmap.h). */
#include "countmap.h"

#include <stdlib.h>
#include <string.h>

static uint32_t slot_of(uint64_t key, uint32_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (uint32_t)key & (cap - 1);
}

void countmap_init(countmap_t *m)
{
    memset(m, 0, sizeof(*m));
}

void countmap_fini(countmap_t *m)
{
    free(m->keys);
    free(m->counts);
    countmap_init(m);
}

void countmap_clear(countmap_t *m)
{
    if (m->keys)
        memset(m->keys, 0, m->cap * sizeof(*m->keys));
    m->used = 0;
}

static uint32_t *find(const countmap_t *m, uint64_t key, int insert_ok)
{
    uint32_t i = slot_of(key, m->cap);
    while (m->keys[i] && m->keys[i] != key + 1)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i] && !insert_ok)
        return NULL;
    return &m->counts[i];
}

static int grow(countmap_t *m)
{
    countmap_t n = {.cap = m->cap ? m->cap * 2 : 64};
    n.keys = calloc(n.cap, sizeof(*n.keys));
    n.counts = calloc(n.cap, sizeof(*n.counts));
    if (!n.keys || !n.counts) {
        countmap_fini(&n);
        return -1;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
        if (m->keys[i])
            countmap_add(&n, m->keys[i] - 1, m->counts[i]);
    }
    countmap_fini(m);
    *m = n;
    return 0;
}

uint32_t countmap_add(countmap_t *m, uint64_t key, uint32_t delta)
{
    uint32_t *count;

    if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
        return 0;
    count = find(m, key, 1);
    if (m->keys[count - m->counts] == 0) {
        m->keys[count - m->counts] = key + 1;
        *count = 0;
        m->used++;
    }
    *count += delta;
    return *count;
}

uint32_t countmap_get(const countmap_t *m, uint64_t key)
{
    const uint32_t *count = m->cap ? find(m, key, 0) : NULL;
    return count ? *count : 0;
}

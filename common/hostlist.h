/* hostlist.h - Slurm-compatible hostlist expressions.
 *
 * "gs-n[001-064,070]" expands to gs-n001 ... gs-n064, gs-n070 (zero padding
 * kept); several bracket groups multiply out ("rack[1-2]-n[1-3]" gives six
 * names, the last group varying fastest, as Slurm does); a comma outside
 * brackets separates expressions ("a[1-2],b,c[5]"). Compression is the
 * reverse: consecutive numeric suffixes with the same prefix and width fold
 * into ranges ("n1,n2,n3,n5" -> "n[1-3,5]").
 */
#ifndef HUB_HOSTLIST_H
#define HUB_HOSTLIST_H

#include <stddef.h>

#include "error.h"

/* Refuse expansions larger than this (a typo like "n[1-100000000]" must not
 * exhaust memory); well above any real cluster. */
#define HUB_HOSTLIST_MAX_HOSTS 1000000
/* Longest host name accepted (as HOST_NAME_MAX on Linux). */
#define HUB_HOSTNAME_MAX 64

typedef struct hub_hostlist hub_hostlist_t;

/* An empty list, or NULL on ENOMEM. */
hub_hostlist_t *hub_hostlist_create(void);

/* NULL-safe. */
void hub_hostlist_destroy(hub_hostlist_t *hl);

/* Expand expr and append its hosts in order (duplicates kept). On error
 * the list is unchanged and err says what and where, e.g.
 * "hostlist 'n[1-': unclosed '[' at column 2", "reversed range '9-3'",
 * "'x' is not a number", "expands to more than 1000000 hosts".
 * Returns 0 or a negative errno (-EINVAL, -E2BIG, -ENOMEM). */
int hub_hostlist_append(hub_hostlist_t *hl, const char *expr, hub_error_t *err);

/* Convenience: a new list holding expr's hosts, or NULL with err set. */
hub_hostlist_t *hub_hostlist_from_expr(const char *expr, hub_error_t *err);

/* Number of hosts. */
size_t hub_hostlist_count(const hub_hostlist_t *hl);

/* The i-th host (0-based, i < count); valid until the list changes. */
const char *hub_hostlist_nth(const hub_hostlist_t *hl, size_t i);

/* Index of the first occurrence of host, or -1. */
long hub_hostlist_find(const hub_hostlist_t *hl, const char *host);

/* Sort hosts (by prefix, then numeric suffix, so n2 < n10) and drop
 * duplicates. */
void hub_hostlist_uniq(hub_hostlist_t *hl);

/* The compressed expression of the list in its current order, e.g.
 * "gs-n[001-064,070],login1"; malloc'd, caller frees; NULL on ENOMEM.
 * An empty list gives "". Expanding the result gives the same hosts in
 * the same order. */
char *hub_hostlist_encode(const hub_hostlist_t *hl);

#endif /* HUB_HOSTLIST_H */

/* usage.h - decayed usage per account and per association (user, account)
 * for priority/multifactor's fair-share.
 *
 * As in Slurm, usage belongs to an association: a user charging two
 * accounts has two entries, one per account. Each account's usage is the
 * sum of its associations'; the table also keeps the total.
 *
 * Shares are split among the accounts and users the table has "seen":
 * an entry is seen from its first charge, or from the first promote after
 * it was noted (a job of it was priced). Noted entries wait for the next
 * promote so that, between promotes, the counts do not depend on the
 * order in which jobs are priced. Entries are never removed (usage decays
 * towards 0), so the counts only grow for the life of the table.
 *
 * Lookups are O(1): open addressing with linear probing over dense arrays,
 * keyed by account name and by (uid, account). Usage is in the caller's
 * unit (billing, GPU-seconds-equivalent).
 *
 * For persistence the table keeps the set of associations charged since
 * the last usage_save(), so that only those are written again.
 *
 * Internal to plugins/priority/multifactor: names carry the prefix usage_.
 */
#ifndef HUB_PRIO_USAGE_H
#define HUB_PRIO_USAGE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct usage_table usage_table_t;

/* One association's usage, as usage_save() hands it out. */
typedef struct usage_entry {
    uint32_t uid;
    const char *account; /* borrowed from the table; valid during the call */
    double usage;
} usage_entry_t;

/* What the fair-share formula needs about one association. */
typedef struct usage_view {
    double user;        /* the association's usage; 0 if never charged */
    double account;     /* its account's usage; 0 if never charged */
    double total;       /* all usage */
    uint32_t naccounts; /* accounts seen, counting this one if not yet */
    uint32_t nusers;    /* users seen in the account, counting this one */
} usage_view_t;

/* An empty table, or NULL when out of memory. */
usage_table_t *usage_create(void);

/* NULL-safe. */
void usage_destroy(usage_table_t *t);

/* Add amount (>= 0) to (uid, account), to account and to the total,
 * creating entries as needed; both are seen from now on, and the
 * association is changed (for usage_save). account is truncated to
 * HUB_NAME_MAX - 1 bytes. Returns 0 or -ENOMEM (and then changes
 * nothing). */
int usage_charge(usage_table_t *t, uint32_t uid, const char *account,
                 double amount);

/* usage_charge for usage read back from storage: the same, except that
 * the association is not marked changed (storage has it already). */
int usage_restore(usage_table_t *t, uint32_t uid, const char *account,
                  double amount);

/* Call fn for each association charged since the last usage_save(), in
 * no particular order; each leaves the changed set once fn returned 0 for
 * it. With all, call fn for every association with usage > 0 instead and
 * leave the changed set alone. fn's first non-zero return stops the walk
 * (what was not handed over stays changed) and is returned. fn must not
 * change the table. */
int usage_save(usage_table_t *t, bool all,
               int (*fn)(const usage_entry_t *e, void *arg), void *arg);

/* Create (uid, account) and its account with no usage if they do not
 * exist; they are seen from the next usage_promote(). Returns 0 or
 * -ENOMEM (and then changes nothing). */
int usage_note(usage_table_t *t, uint32_t uid, const char *account);

/* Make every noted entry seen. */
void usage_promote(usage_table_t *t);

/* Multiply every usage by factor (in [0, 1]). */
void usage_decay(usage_table_t *t, double factor);

/* Fill v for (uid, account), whether or not it was ever charged. */
void usage_lookup(const usage_table_t *t, uint32_t uid, const char *account,
                  usage_view_t *v);

#endif /* HUB_PRIO_USAGE_H */

/* usage.c - the decayed-usage table of priority/multifactor: dense arrays
 * of accounts and associations, each found through an open-addressing
 * index of positions (see usage.h).
 */
#include "usage.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

#define NONE UINT32_MAX            /* an empty index slot, or "not found" */
#define INDEX_MIN_CAP 16u          /* slots in a new index, a power of 2 */
#define KEY_MAX (HUB_NAME_MAX - 1) /* account name bytes that count */

typedef struct account {
    char name[HUB_NAME_MAX];
    uint64_t hash;
    double usage;
    uint32_t nusers; /* seen associations in this account */
    bool seen;
} account_t;

typedef struct assoc {
    uint32_t uid;
    uint32_t account; /* position in accounts */
    uint64_t hash;
    double usage;
    bool seen;
    bool changed; /* charged since the last usage_save(); in t->changed */
} assoc_t;

/* Positions into a dense array; cap is a power of 2 kept at least twice
 * the number of entries, so probes stay short and always end. */
typedef struct index {
    uint32_t *slot;
    uint32_t cap;
} index_t;

struct usage_table {
    account_t *accounts;
    uint32_t naccounts, cap_accounts;
    assoc_t *assocs;
    uint32_t nassocs, cap_assocs;
    index_t account_ix, assoc_ix;
    double total;
    uint32_t naccounts_seen;
    uint32_t nunseen;  /* noted associations not promoted yet */
    uint32_t *changed; /* positions of changed associations, nchanged of */
    uint32_t nchanged, cap_changed; /* cap_changed > nassocs: never full */
};

/* ---- hashing ---- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */

    for (size_t i = 0; i < KEY_MAX && s[i]; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t assoc_hash(uint32_t uid, uint32_t account)
{
    uint64_t x = ((uint64_t)account << 32 | uid) + 0x9e3779b97f4a7c15ull;

    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull; /* splitmix64 finaliser */
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- the index ---- */

static void index_put(index_t *ix, uint64_t hash, uint32_t pos)
{
    uint32_t mask = ix->cap - 1;
    uint32_t i = (uint32_t)hash & mask;

    while (ix->slot[i] != NONE)
        i = (i + 1) & mask;
    ix->slot[i] = pos;
}

/* Make room for one more of n entries whose hashes are at
 * entries + k*stride; -ENOMEM leaves ix as it was. */
static int index_reserve(index_t *ix, uint32_t n, const void *entries,
                         size_t stride, size_t hash_off)
{
    index_t grown;

    if (ix->cap >= 2 * (n + 1))
        return 0;
    grown.cap = ix->cap ? 2 * ix->cap : INDEX_MIN_CAP;
    if (!(grown.slot = malloc(grown.cap * sizeof(*grown.slot))))
        return -ENOMEM;
    memset(grown.slot, 0xff, grown.cap * sizeof(*grown.slot)); /* NONE */
    for (uint32_t k = 0; k < n; k++) {
        uint64_t h;
        memcpy(&h, (const char *)entries + k * stride + hash_off, sizeof(h));
        index_put(&grown, h, k);
    }
    free(ix->slot);
    *ix = grown;
    return 0;
}

/* ---- lookups ---- */

static uint32_t account_find(const usage_table_t *t, const char *name,
                             uint64_t hash)
{
    uint32_t mask = t->account_ix.cap - 1;

    if (t->account_ix.cap == 0)
        return NONE;
    for (uint32_t i = (uint32_t)hash & mask;; i = (i + 1) & mask) {
        uint32_t pos = t->account_ix.slot[i];
        if (pos == NONE || (t->accounts[pos].hash == hash &&
                            strncmp(t->accounts[pos].name, name, KEY_MAX) == 0))
            return pos;
    }
}

static uint32_t assoc_find(const usage_table_t *t, uint32_t uid,
                           uint32_t account, uint64_t hash)
{
    uint32_t mask = t->assoc_ix.cap - 1;

    if (t->assoc_ix.cap == 0)
        return NONE;
    for (uint32_t i = (uint32_t)hash & mask;; i = (i + 1) & mask) {
        uint32_t pos = t->assoc_ix.slot[i];
        if (pos == NONE ||
            (t->assocs[pos].uid == uid && t->assocs[pos].account == account))
            return pos;
    }
}

/* ---- growth ---- */

static int grow_array(void **arr, uint32_t n, uint32_t *cap, size_t size)
{
    uint32_t ncap;
    void *grown;

    if (n < *cap)
        return 0;
    ncap = *cap ? 2 * *cap : INDEX_MIN_CAP;
    if (!(grown = realloc(*arr, (size_t)ncap * size)))
        return -ENOMEM;
    *arr = grown;
    *cap = ncap;
    return 0;
}

/* Room for one more account and one more association, so that a charge
 * either fails before changing anything or cannot fail. */
static int reserve_one(usage_table_t *t)
{
    if (grow_array((void **)&t->accounts, t->naccounts, &t->cap_accounts,
                   sizeof(account_t)) < 0 ||
        grow_array((void **)&t->assocs, t->nassocs, &t->cap_assocs,
                   sizeof(assoc_t)) < 0 ||
        grow_array((void **)&t->changed, t->nassocs, &t->cap_changed,
                   sizeof(uint32_t)) < 0 ||
        index_reserve(&t->account_ix, t->naccounts, t->accounts,
                      sizeof(account_t), offsetof(account_t, hash)) < 0 ||
        index_reserve(&t->assoc_ix, t->nassocs, t->assocs, sizeof(assoc_t),
                      offsetof(assoc_t, hash)) < 0)
        return -ENOMEM;
    return 0;
}

static uint32_t account_add(usage_table_t *t, const char *name, uint64_t hash)
{
    account_t *a = &t->accounts[t->naccounts];

    *a = (account_t){.hash = hash};
    memcpy(a->name, name, strnlen(name, KEY_MAX)); /* stays terminated */
    index_put(&t->account_ix, hash, t->naccounts);
    return t->naccounts++;
}

static uint32_t assoc_add(usage_table_t *t, uint32_t uid, uint32_t account,
                          uint64_t hash)
{
    t->assocs[t->nassocs] =
        (assoc_t){.uid = uid, .account = account, .hash = hash};
    t->nunseen++;
    index_put(&t->assoc_ix, hash, t->nassocs);
    return t->nassocs++;
}

/* ---- the API ---- */

usage_table_t *usage_create(void)
{
    return calloc(1, sizeof(usage_table_t));
}

void usage_destroy(usage_table_t *t)
{
    if (!t)
        return;
    free(t->accounts);
    free(t->assocs);
    free(t->changed);
    free(t->account_ix.slot);
    free(t->assoc_ix.slot);
    free(t);
}

/* The position of (uid, account), created unseen if absent. */
static int find_or_add(usage_table_t *t, uint32_t uid, const char *account,
                       uint32_t *pos)
{
    uint64_t ah = name_hash(account);
    uint64_t uh;
    uint32_t a;

    if (reserve_one(t) < 0)
        return -ENOMEM;
    if ((a = account_find(t, account, ah)) == NONE)
        a = account_add(t, account, ah);
    uh = assoc_hash(uid, a);
    if ((*pos = assoc_find(t, uid, a, uh)) == NONE)
        *pos = assoc_add(t, uid, a, uh);
    return 0;
}

static void see(usage_table_t *t, assoc_t *u)
{
    account_t *a = &t->accounts[u->account];

    if (u->seen)
        return;
    u->seen = true;
    t->nunseen--;
    a->nusers++;
    if (!a->seen) {
        a->seen = true;
        t->naccounts_seen++;
    }
}

/* Charge (uid, account); a changed one joins t->changed, which has room
 * for every association (reserve_one). */
static int add_usage(usage_table_t *t, uint32_t uid, const char *account,
                     double amount, bool changed)
{
    uint32_t u;
    assoc_t *as;

    if (find_or_add(t, uid, account, &u) < 0)
        return -ENOMEM;
    as = &t->assocs[u];
    see(t, as);
    as->usage += amount;
    t->accounts[as->account].usage += amount;
    t->total += amount;
    if (changed && !as->changed) {
        as->changed = true;
        t->changed[t->nchanged++] = u;
    }
    return 0;
}

int usage_charge(usage_table_t *t, uint32_t uid, const char *account,
                 double amount)
{
    return add_usage(t, uid, account, amount, true);
}

int usage_restore(usage_table_t *t, uint32_t uid, const char *account,
                  double amount)
{
    return add_usage(t, uid, account, amount, false);
}

static int save_one(const usage_table_t *t, const assoc_t *as,
                    int (*fn)(const usage_entry_t *e, void *arg), void *arg)
{
    usage_entry_t e = {.uid = as->uid,
                       .account = t->accounts[as->account].name,
                       .usage = as->usage};

    return fn(&e, arg);
}

/* The changed set is walked from its end, so that a stop leaves the
 * unsaved ones in place. */
int usage_save(usage_table_t *t, bool all,
               int (*fn)(const usage_entry_t *e, void *arg), void *arg)
{
    int rc = 0;

    if (all) {
        for (uint32_t i = 0; rc == 0 && i < t->nassocs; i++)
            if (t->assocs[i].usage > 0)
                rc = save_one(t, &t->assocs[i], fn, arg);
        return rc;
    }
    while (rc == 0 && t->nchanged > 0) {
        assoc_t *as = &t->assocs[t->changed[t->nchanged - 1]];
        if ((rc = save_one(t, as, fn, arg)) == 0) {
            as->changed = false;
            t->nchanged--;
        }
    }
    return rc;
}

int usage_note(usage_table_t *t, uint32_t uid, const char *account)
{
    uint32_t u;

    return find_or_add(t, uid, account, &u);
}

void usage_promote(usage_table_t *t)
{
    for (uint32_t i = 0; i < t->nassocs && t->nunseen > 0; i++)
        see(t, &t->assocs[i]);
}

void usage_decay(usage_table_t *t, double factor)
{
    for (uint32_t i = 0; i < t->naccounts; i++)
        t->accounts[i].usage *= factor;
    for (uint32_t i = 0; i < t->nassocs; i++)
        t->assocs[i].usage *= factor;
    t->total *= factor;
}

void usage_lookup(const usage_table_t *t, uint32_t uid, const char *account,
                  usage_view_t *v)
{
    uint32_t a = account_find(t, account, name_hash(account));
    uint32_t u;

    *v = (usage_view_t){
        .total = t->total, .naccounts = t->naccounts_seen + 1, .nusers = 1};
    if (a == NONE)
        return;
    v->account = t->accounts[a].usage;
    v->naccounts -= t->accounts[a].seen;
    v->nusers = t->accounts[a].nusers + 1;
    u = assoc_find(t, uid, a, assoc_hash(uid, a));
    if (u == NONE)
        return;
    v->user = t->assocs[u].usage;
    v->nusers -= t->assocs[u].seen;
}

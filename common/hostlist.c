/* hostlist.c - Slurm-compatible hostlist expressions (see hostlist.h).
 *
 * Hosts live back to back in one NUL-separated string arena, indexed by an
 * array of offsets: two allocations however long the list. Expansion runs in
 * two passes over the expression: the first validates it and counts the
 * hosts (so an oversized range is refused before anything is allocated), the
 * second writes the names. Neither pass allocates parse structures: bracket
 * groups are re-read from the expression text.
 *
 * Non-goals: Slurm's multi-dimensional (BlueGene) "[000x133]" form, "^"
 * stride syntax, and folding any digit run but a name's last one.
 */
#include "hostlist.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds of at most this many digits fit in uint64_t with room for +1. */
#define MAX_NUMBER_DIGITS 18
/* Longest part of an expression quoted in a message, so that the "what and
 * where" after it survives the error buffer's limit. */
#define QUOTE_MAX 200

struct hub_hostlist {
    char *arena;      /* host names, each NUL-terminated, back to back */
    size_t arena_len; /* bytes of arena in use */
    size_t arena_cap; /* bytes allocated */
    size_t *off;      /* off[i]: offset of host i in arena */
    size_t count;     /* hosts in the list */
    size_t off_cap;   /* entries allocated in off */
};

/* What a parse pass needs to say where an error is. */
struct parse {
    const char *expr; /* the whole expression, for messages and columns */
    hub_error_t *err; /* NULL in the second pass, which cannot fail */
};

/* One element of a bracket group: "lo" or "lo-hi". */
struct range {
    uint64_t lo, hi;
    int width; /* zero-padded print width, 0 for none */
};

/* ---- the list ---------------------------------------------------------- */

hub_hostlist_t *hub_hostlist_create(void)
{
    return calloc(1, sizeof(hub_hostlist_t));
}

void hub_hostlist_destroy(hub_hostlist_t *hl)
{
    if (!hl)
        return;
    free(hl->arena);
    free(hl->off);
    free(hl);
}

size_t hub_hostlist_count(const hub_hostlist_t *hl)
{
    return hl ? hl->count : 0;
}

const char *hub_hostlist_nth(const hub_hostlist_t *hl, size_t i)
{
    if (!hl || i >= hl->count)
        return NULL;
    return hl->arena + hl->off[i];
}

long hub_hostlist_find(const hub_hostlist_t *hl, const char *host)
{
    for (size_t i = 0; hl && host && i < hl->count; i++)
        if (strcmp(hl->arena + hl->off[i], host) == 0)
            return (long)i;
    return -1;
}

/* Make room for n more offsets. */
static int reserve_hosts(hub_hostlist_t *hl, size_t n)
{
    size_t *off;

    if (hl->count + n <= hl->off_cap)
        return 0;
    if (n > SIZE_MAX / sizeof(*off) - hl->count)
        return -ENOMEM;
    off = realloc(hl->off, (hl->count + n) * sizeof(*off));
    if (!off)
        return -ENOMEM;
    hl->off = off;
    hl->off_cap = hl->count + n;
    return 0;
}

/* Append name (len bytes) as a new host; offsets must be reserved. */
static int push_host(hub_hostlist_t *hl, const char *name, size_t len)
{
    if (hl->arena_cap - hl->arena_len < len + 1) {
        size_t cap = hl->arena_cap ? hl->arena_cap : 256;
        char *arena;
        while (cap - hl->arena_len < len + 1) {
            if (cap > SIZE_MAX / 2)
                return -ENOMEM;
            cap *= 2;
        }
        if (!(arena = realloc(hl->arena, cap)))
            return -ENOMEM;
        hl->arena = arena;
        hl->arena_cap = cap;
    }
    memcpy(hl->arena + hl->arena_len, name, len);
    hl->arena[hl->arena_len + len] = '\0';
    hl->off[hl->count++] = hl->arena_len;
    hl->arena_len += len + 1;
    return 0;
}

/* ---- parsing ------------------------------------------------------------ */

static size_t column(const struct parse *ps, const char *p)
{
    return (size_t)(p - ps->expr) + 1;
}

/* "hostlist '<expr>': <what>", the expression shortened if very long. */
#define PARSE_ERROR(ps, errnum, fmt, ...)                                      \
    hub_errorf((ps)->err, errnum, "hostlist '%.*s%s': " fmt, QUOTE_MAX,        \
               (ps)->expr, strlen((ps)->expr) > QUOTE_MAX ? "..." : "",        \
               __VA_ARGS__)

static int is_separator(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n';
}

/* Find the next item (a host expression between separators outside
 * brackets) at or after *pos; set *start and *len and move *pos past it.
 * Returns 1 for an item, 0 at the end, or a negative errno. */
static int next_item(const struct parse *ps, const char **pos,
                     const char **start, size_t *len)
{
    const char *p = *pos, *open = NULL;

    while (is_separator(*p))
        p++;
    if (*p == '\0')
        return 0;
    for (*start = p; *p != '\0' && (open || !is_separator(*p)); p++) {
        if (*p == '[' && open)
            return PARSE_ERROR(ps, EINVAL,
                               "nested '[' at column %zu "
                               "(inside the '[' at column %zu)",
                               column(ps, p), column(ps, open));
        if (*p == ']' && !open)
            return PARSE_ERROR(ps, EINVAL, "unexpected ']' at column %zu",
                               column(ps, p));
        if (*p == '[')
            open = p;
        else if (*p == ']')
            open = NULL;
    }
    if (open)
        return PARSE_ERROR(ps, EINVAL, "unclosed '[' at column %zu",
                           column(ps, open));
    *len = (size_t)(p - *start);
    *pos = p;
    return 1;
}

/* Parse the n characters at s as a range bound. */
static int parse_bound(const struct parse *ps, const char *s, size_t n,
                       const char *elem, size_t elem_len, uint64_t *v)
{
    if (n == 0)
        return PARSE_ERROR(ps, EINVAL,
                           "missing bound in range '%.*s' at "
                           "column %zu",
                           (int)elem_len, elem, column(ps, elem));
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return PARSE_ERROR(ps, EINVAL,
                               "'%.*s' is not a number at column "
                               "%zu",
                               (int)n, s, column(ps, s));
    if (n > MAX_NUMBER_DIGITS)
        return PARSE_ERROR(ps, EINVAL, "'%.*s' is too large at column %zu",
                           (int)n, s, column(ps, s));
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    return 0;
}

/* Parse one group element ("7", "09-11") of n characters at s. */
static int parse_range(const struct parse *ps, const char *s, size_t n,
                       struct range *r)
{
    const char *dash = memchr(s, '-', n);
    size_t lo_len = dash ? (size_t)(dash - s) : n;
    int rc;

    if (n == 0)
        return PARSE_ERROR(ps, EINVAL, "empty range at column %zu",
                           column(ps, s));
    if ((rc = parse_bound(ps, s, lo_len, s, n, &r->lo)) < 0)
        return rc;
    r->hi = r->lo;
    if (dash &&
        (rc = parse_bound(ps, dash + 1, n - lo_len - 1, s, n, &r->hi)) < 0)
        return rc;
    if (r->hi < r->lo)
        return PARSE_ERROR(ps, EINVAL, "reversed range '%.*s' at column %zu",
                           (int)n, s, column(ps, s));
    r->width = (lo_len > 1 && s[0] == '0') ? (int)lo_len : 0;
    return 0;
}

/* Length of the next group element at s (up to ',' or ']'). */
static size_t element_len(const char *s)
{
    return strcspn(s, ",]");
}

static int decimal_digits(uint64_t v)
{
    int n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* Add with a ceiling above any limit we check, so sums cannot wrap. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return (a != 0 && b > UINT64_MAX / a) ? UINT64_MAX : a * b;
}

/* Validate the group whose '[' is at open; give its host count and the
 * longest number it prints. */
static int check_group(const struct parse *ps, const char *open,
                       uint64_t *count, size_t *longest)
{
    const char *p = open + 1;
    struct range r;
    int rc;

    *count = 0;
    *longest = 0;
    for (;; p++) {
        size_t n = element_len(p), w;
        if ((rc = parse_range(ps, p, n, &r)) < 0)
            return rc;
        *count = sat_add(*count, sat_add(r.hi - r.lo, 1));
        w = (size_t)decimal_digits(r.hi);
        w = w > (size_t)r.width ? w : (size_t)r.width;
        *longest = w > *longest ? w : *longest;
        p += n;
        if (*p == ']')
            return 0;
    }
}

/* Validate the item of len bytes at s; give its host count. */
static int check_item(const struct parse *ps, const char *s, size_t len,
                      uint64_t *count)
{
    const char *end = s + len;
    size_t name_len = 0, longest;
    uint64_t n;
    int rc;

    *count = 1;
    for (const char *p = s; p < end; p++) {
        if (*p != '[') {
            name_len++;
            continue;
        }
        if ((rc = check_group(ps, p, &n, &longest)) < 0)
            return rc;
        *count = sat_mul(*count, n);
        name_len += longest;
        p = strchr(p, ']');
    }
    if (name_len > HUB_HOSTNAME_MAX)
        return PARSE_ERROR(ps, EINVAL,
                           "host name from '%.*s' at column %zu "
                           "is longer than %d characters",
                           (int)len, s, column(ps, s), HUB_HOSTNAME_MAX);
    return 0;
}

/* First pass: validate expr and count its hosts. */
static int check_expr(const struct parse *ps, size_t *total)
{
    const char *pos = ps->expr, *item;
    uint64_t sum = 0, n;
    size_t len;
    int rc;

    while ((rc = next_item(ps, &pos, &item, &len)) > 0) {
        if ((rc = check_item(ps, item, len, &n)) < 0)
            return rc;
        sum = sat_add(sum, n);
        if (sum > HUB_HOSTLIST_MAX_HOSTS)
            return PARSE_ERROR(ps, E2BIG, "expands to more than %d hosts",
                               HUB_HOSTLIST_MAX_HOSTS);
    }
    *total = (size_t)sum;
    return rc;
}

/* Second pass: write the hosts of s..end into hl, name[0..len) being the
 * part already built. Recursion depth is the number of bracket groups;
 * the last group varies fastest. */
static int emit(hub_hostlist_t *hl, const struct parse *ps, const char *s,
                const char *end, char *name, size_t len)
{
    const char *open = memchr(s, '[', (size_t)(end - s));
    const char *lit_end = open ? open : end;
    struct range r;
    int rc = 0;

    memcpy(name + len, s, (size_t)(lit_end - s));
    len += (size_t)(lit_end - s);
    if (!open)
        return push_host(hl, name, len);
    for (const char *p = open + 1; *p != ']' && rc == 0; p++) {
        size_t n = element_len(p);
        parse_range(ps, p, n, &r); /* validated by the first pass */
        for (uint64_t v = r.lo; v <= r.hi && rc == 0; v++) {
            int w = sprintf(name + len, "%0*" PRIu64, r.width, v);
            rc = emit(hl, ps, strchr(open, ']') + 1, end, name, len + w);
        }
        p += n;
        if (*p == ']')
            break;
    }
    return rc;
}

int hub_hostlist_append(hub_hostlist_t *hl, const char *expr, hub_error_t *err)
{
    struct parse ps = {expr ? expr : "", err};
    const char *pos = ps.expr, *item;
    size_t total = 0, len, old_count, old_len;
    char name[HUB_HOSTNAME_MAX + MAX_NUMBER_DIGITS + 2];
    int rc;

    if (!hl)
        return hub_errorf(err, EINVAL, "no hostlist");
    if ((rc = check_expr(&ps, &total)) < 0)
        return rc;
    if (reserve_hosts(hl, total) < 0)
        return hub_errorf(err, ENOMEM, "hostlist: out of memory");
    old_count = hl->count;
    old_len = hl->arena_len;
    ps.err = NULL;
    while (rc == 0 && next_item(&ps, &pos, &item, &len) > 0)
        rc = emit(hl, &ps, item, item + len, name, 0);
    if (rc < 0) {
        hl->count = old_count;
        hl->arena_len = old_len;
        return hub_errorf(err, ENOMEM, "hostlist: out of memory");
    }
    return 0;
}

hub_hostlist_t *hub_hostlist_from_expr(const char *expr, hub_error_t *err)
{
    hub_hostlist_t *hl = hub_hostlist_create();

    if (!hl) {
        hub_errorf(err, ENOMEM, "hostlist: out of memory");
        return NULL;
    }
    if (hub_hostlist_append(hl, expr, err) < 0) {
        hub_hostlist_destroy(hl);
        return NULL;
    }
    return hl;
}

/* ---- names split at their last digit run -------------------------------- */

struct name_parts {
    size_t pre_len;     /* bytes before the last digit run (all if none) */
    size_t dig_len;     /* length of the last digit run, 0 if none */
    const char *suffix; /* what follows the digit run */
};

static void split_name(const char *h, struct name_parts *np)
{
    size_t end = strlen(h), start;

    while (end > 0 && !isdigit((unsigned char)h[end - 1]))
        end--;
    start = end;
    while (start > 0 && isdigit((unsigned char)h[start - 1]))
        start--;
    np->pre_len = end > 0 ? start : strlen(h);
    np->dig_len = end - start;
    np->suffix = h + np->pre_len + np->dig_len;
}

/* Compare digit strings by numeric value, then by length ("01" > "1"). */
static int compare_digits(const char *a, size_t na, const char *b, size_t nb)
{
    size_t za = 0, zb = 0;
    int c;

    if (na == 0 || nb == 0)
        return (na > 0) - (nb > 0);
    while (za + 1 < na && a[za] == '0')
        za++;
    while (zb + 1 < nb && b[zb] == '0')
        zb++;
    if (na - za != nb - zb)
        return na - za < nb - zb ? -1 : 1;
    if ((c = memcmp(a + za, b + zb, na - za)) != 0)
        return c;
    return (na > nb) - (na < nb);
}

/* Order by prefix, then number (n2 < n10), then suffix. Zero only for
 * equal names. */
static int compare_hosts(const char *a, const char *b)
{
    struct name_parts pa, pb;
    size_t n;
    int c;

    split_name(a, &pa);
    split_name(b, &pb);
    n = pa.pre_len < pb.pre_len ? pa.pre_len : pb.pre_len;
    if ((c = memcmp(a, b, n)) != 0)
        return c;
    if (pa.pre_len != pb.pre_len)
        return pa.pre_len < pb.pre_len ? -1 : 1;
    c = compare_digits(a + pa.pre_len, pa.dig_len, b + pb.pre_len, pb.dig_len);
    return c ? c : strcmp(pa.suffix, pb.suffix);
}

/* ---- uniq --------------------------------------------------------------- */

/* Heap sort of the offsets: in place, so uniq works without memory. */
static void sift_down(const char *arena, size_t *off, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n &&
            compare_hosts(arena + off[child], arena + off[child + 1]) < 0)
            child++;
        if (compare_hosts(arena + off[root], arena + off[child]) >= 0)
            return;
        size_t t = off[root];
        off[root] = off[child];
        off[child] = t;
    }
}

static void sort_offsets(const char *arena, size_t *off, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(arena, off, i, n);
    for (size_t end = n; end-- > 1;) {
        size_t t = off[0];
        off[0] = off[end];
        off[end] = t;
        sift_down(arena, off, 0, end);
    }
}

static int compare_names(const void *a, const void *b)
{
    return compare_hosts(*(const char *const *)a, *(const char *const *)b);
}

/* qsort on a temporary array of names (1M hosts: 0.8 s against the heap
 * sort's 2.7 s); the in-place heap sort when that array cannot be allocated. */
static void sort_hosts(hub_hostlist_t *hl)
{
    const char **names = malloc(hl->count * sizeof(*names));

    if (!names) {
        sort_offsets(hl->arena, hl->off, hl->count);
        return;
    }
    for (size_t i = 0; i < hl->count; i++)
        names[i] = hl->arena + hl->off[i];
    qsort(names, hl->count, sizeof(*names), compare_names);
    for (size_t i = 0; i < hl->count; i++)
        hl->off[i] = (size_t)(names[i] - hl->arena);
    free(names);
}

/* Dropped duplicates stay in the arena until the list is destroyed. */
void hub_hostlist_uniq(hub_hostlist_t *hl)
{
    size_t kept = 0;

    if (!hl || hl->count == 0)
        return;
    sort_hosts(hl);
    for (size_t i = 0; i < hl->count; i++)
        if (kept == 0 ||
            strcmp(hl->arena + hl->off[kept - 1], hl->arena + hl->off[i]) != 0)
            hl->off[kept++] = hl->off[i];
    hl->count = kept;
}

/* ---- encode ------------------------------------------------------------- */

/* A growable output string; oom sticks once set. */
struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
};

static void sb_put(struct sbuf *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->cap - sb->len < n + 1) {
        size_t cap = sb->cap ? sb->cap : 64;
        char *p;
        while (cap - sb->len < n + 1)
            cap *= 2;
        if (!(p = realloc(sb->s, cap))) {
            sb->oom = 1;
            return;
        }
        sb->s = p;
        sb->cap = cap;
    }
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

static void sb_num(struct sbuf *sb, uint64_t v, int width)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "%0*" PRIu64, width, v);

    sb_put(sb, num, (size_t)n);
}

/* A host that can join a bracket group: its last digit run ends the name
 * and is short enough to be a number. */
struct foldable {
    size_t pre_len;
    size_t dig_len;
    uint64_t value;
    int padded; /* the digits start with '0' and are more than one */
};

static int get_foldable(const char *h, struct foldable *f)
{
    struct name_parts np;

    split_name(h, &np);
    if (np.dig_len == 0 || np.dig_len > MAX_NUMBER_DIGITS || *np.suffix != '\0')
        return 0;
    f->pre_len = np.pre_len;
    f->dig_len = np.dig_len;
    f->value = strtoull(h + np.pre_len, NULL, 10);
    f->padded = np.dig_len > 1 && h[np.pre_len] == '0';
    return 1;
}

/* What the hosts of a run share: a run of width w > 0 prints every number
 * zero-padded to w, so it takes padded numbers of exactly w digits and
 * unpadded ones of at least w; a run of width 0 takes unpadded numbers. */
struct run {
    const char *prefix;
    size_t pre_len;
    int width;        /* 0 until a padded member fixes it */
    size_t min_plain; /* fewest digits of an unpadded member */
};

/* Add f (host h) to run if compatible; return whether it was. */
static int run_take(struct run *run, const char *h, const struct foldable *f)
{
    if (f->pre_len != run->pre_len || memcmp(h, run->prefix, f->pre_len))
        return 0;
    if (f->padded) {
        if (run->width ? (size_t)run->width != f->dig_len
                       : run->min_plain < f->dig_len)
            return 0;
        run->width = (int)f->dig_len;
    } else {
        if (f->dig_len < (size_t)run->width)
            return 0;
        if (f->dig_len < run->min_plain)
            run->min_plain = f->dig_len;
    }
    return 1;
}

/* The end (exclusive) of the run of foldable hosts starting at i. */
static size_t run_end(const hub_hostlist_t *hl, size_t i, struct run *run)
{
    const char *h = hub_hostlist_nth(hl, i);
    struct foldable f = {0, 0, 0, 0};

    if (!get_foldable(h, &f))
        return i + 1;
    run->prefix = h;
    run->pre_len = f.pre_len;
    run->width = 0;
    run->min_plain = SIZE_MAX;
    run_take(run, h, &f);
    for (i++; i < hl->count; i++) {
        h = hub_hostlist_nth(hl, i);
        if (!get_foldable(h, &f) || !run_take(run, h, &f))
            break;
    }
    return i;
}

/* Write hosts [i, end) as prefix[a-b,c,...]: consecutive ascending numbers
 * become ranges, anything else a new element, so order is kept. */
static void put_run(struct sbuf *sb, const hub_hostlist_t *hl, size_t i,
                    size_t end, const struct run *run)
{
    struct foldable f = {0, 0, 0, 0};

    sb_put(sb, run->prefix, run->pre_len);
    sb_put(sb, "[", 1);
    while (i < end) {
        uint64_t lo, hi;
        get_foldable(hub_hostlist_nth(hl, i++), &f);
        lo = hi = f.value;
        while (i < end && get_foldable(hub_hostlist_nth(hl, i), &f) &&
               f.value == hi + 1) {
            hi++;
            i++;
        }
        sb_num(sb, lo, run->width);
        if (hi > lo) {
            sb_put(sb, "-", 1);
            sb_num(sb, hi, run->width);
        }
        sb_put(sb, i < end ? "," : "]", 1);
    }
}

char *hub_hostlist_encode(const hub_hostlist_t *hl)
{
    struct sbuf sb = {NULL, 0, 0, 0};
    struct run run;

    sb_put(&sb, "", 0);
    for (size_t i = 0, end; hl && i < hl->count; i = end) {
        if (i > 0)
            sb_put(&sb, ",", 1);
        end = run_end(hl, i, &run);
        if (end - i == 1) {
            const char *h = hub_hostlist_nth(hl, i);
            sb_put(&sb, h, strlen(h));
        } else {
            put_run(&sb, hl, i, end, &run);
        }
    }
    if (sb.oom) {
        free(sb.s);
        return NULL;
    }
    return sb.s;
}

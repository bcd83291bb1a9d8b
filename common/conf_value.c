/* conf_value.c - hub.conf typed values: one small parser per key type.
 *
 * Every error names the key and quotes the value as written, e.g.
 * "CPUs='8x': expected an integer"; the caller adds "FILE:LINE: Record=N".
 */
#include "conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostlist.h"
#include "units.h"

#define FIELD(rec, k, type) ((type *)((char *)(rec) + (k)->off))

const conf_key_t *conf_key_find(const conf_key_t *keys, size_t n,
                                const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(keys[i].name, key) == 0)
            return &keys[i];
    return NULL;
}

static bool is_unlimited(const char *s)
{
    return strcasecmp(s, "UNLIMITED") == 0 || strcasecmp(s, "INFINITE") == 0;
}

int conf_parse_ll(const char *key, const char *s, long long min, long long max,
                  long long *out, hub_error_t *err)
{
    char *end;
    long long v;

    errno = 0;
    if (!isdigit((unsigned char)s[s[0] == '-' || s[0] == '+']))
        return hub_errorf(err, EINVAL, "%s='%s': expected an integer", key, s);
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        return hub_errorf(err, EINVAL, "%s='%s': expected an integer", key, s);
    if (errno == ERANGE || v > max)
        return hub_errorf(err, EINVAL, "%s='%s': must be at most %lld", key, s,
                          max);
    if (v < min)
        return hub_errorf(err, EINVAL, "%s='%s': must be at least %lld", key, s,
                          min);
    *out = v;
    return 0;
}

static int parse_int(const conf_key_t *k, void *rec, const char *val,
                     hub_error_t *err)
{
    long long v;
    int rc = conf_parse_ll(k->name, val, (long long)k->min, (long long)k->max,
                           &v, err);
    if (rc == 0)
        *FIELD(rec, k, int) = (int)v;
    return rc;
}

static int parse_i64(const conf_key_t *k, void *rec, const char *val,
                     hub_error_t *err)
{
    long long v;
    int rc;

    if ((k->flags & CKF_UNLIMITED) && is_unlimited(val)) {
        *FIELD(rec, k, int64_t) = HUB_CONF_UNLIMITED;
        return 0;
    }
    rc = conf_parse_ll(k->name, val, (long long)k->min, (long long)k->max, &v,
                       err);
    if (rc == 0)
        *FIELD(rec, k, int64_t) = v;
    return rc;
}

static int parse_double(const conf_key_t *k, void *rec, const char *val,
                        hub_error_t *err)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(val, &end);
    if (end == val || *end != '\0' || isspace((unsigned char)val[0]) ||
        !isfinite(v) || errno == ERANGE)
        return hub_errorf(err, EINVAL, "%s='%s': expected a number", k->name,
                          val);
    if ((k->flags & CKF_POSITIVE) && v <= 0)
        return hub_errorf(err, EINVAL, "%s='%s': must be greater than 0",
                          k->name, val);
    if (v < k->min)
        return hub_errorf(err, EINVAL, "%s='%s': must be at least %g", k->name,
                          val, k->min);
    if (v > k->max)
        return hub_errorf(err, EINVAL, "%s='%s': must be at most %g", k->name,
                          val, k->max);
    *FIELD(rec, k, double) = v;
    return 0;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* Durations: CK_SECONDS reads a bare number as seconds (Slurm's timeouts),
 * CK_DURATION as minutes (Slurm's time limits). */
static int parse_time(const conf_key_t *k, void *rec, const char *val,
                      hub_error_t *err)
{
    int64_t secs;
    int rc;

    if (k->type == CK_SECONDS && all_digits(val)) {
        long long v;
        if ((rc = conf_parse_ll(k->name, val, 0, (long long)k->max, &v, err)) <
            0)
            return rc;
        secs = v;
    } else if ((rc = hub_parse_duration(val, &secs, err)) < 0) {
        return hub_error_prefix(err, rc, "%s", k->name);
    }
    if (secs == HUB_DURATION_INFINITE && !(k->flags & CKF_UNLIMITED))
        return hub_errorf(err, EINVAL, "%s='%s': must be finite", k->name, val);
    if (secs != HUB_DURATION_INFINITE && secs < (int64_t)k->min)
        return hub_errorf(err, EINVAL, "%s='%s': must be at least %.0f s",
                          k->name, val, k->min);
    *FIELD(rec, k, int64_t) = secs;
    return 0;
}

static int parse_size_mb(const conf_key_t *k, void *rec, const char *val,
                         hub_error_t *err)
{
    const uint64_t mib = 1u << 20;
    uint64_t bytes;
    int rc = hub_parse_size(val, mib, &bytes, err);

    if (rc < 0)
        return hub_error_prefix(err, -EINVAL, "%s", k->name);
    if (bytes / mib < (uint64_t)k->min)
        return hub_errorf(err, EINVAL, "%s='%s': must be at least %.0f MB",
                          k->name, val, k->min);
    *FIELD(rec, k, uint64_t) = bytes / mib;
    return 0;
}

static int parse_bool(const conf_key_t *k, void *rec, const char *val,
                      hub_error_t *err)
{
    static const char *const yes[] = {"YES", "TRUE", "1"};
    static const char *const no[] = {"NO", "FALSE", "0"};

    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(val, yes[i]) == 0 || strcasecmp(val, no[i]) == 0) {
            *FIELD(rec, k, bool) = strcasecmp(val, yes[i]) == 0;
            return 0;
        }
    }
    return hub_errorf(err, EINVAL, "%s='%s': expected YES or NO", k->name, val);
}

static int parse_enum(const conf_key_t *k, void *rec, const char *val,
                      hub_error_t *err)
{
    char names[128] = "";
    size_t len = 0;

    for (const conf_enum_t *e = k->enums; e->name; e++) {
        if (strcasecmp(val, e->name) == 0) {
            *FIELD(rec, k, int) = e->value;
            return 0;
        }
        len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
                                len ? ", " : "", e->name);
        if (len >= sizeof(names))
            len = sizeof(names) - 1;
    }
    return hub_errorf(err, EINVAL, "%s='%s': expected one of %s", k->name, val,
                      names);
}

int conf_parse_list(conf_parser_t *p, const char *key, const char *val,
                    hub_conf_list_t *out, hub_error_t *err)
{
    char *copy = conf_strdup(p->conf, val);
    size_t n = 1;
    const char **v;

    if (!copy)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (const char *s = val; *s; s++)
        n += *s == ',';
    if (!(v = conf_alloc(p->conf, n * sizeof(*v))))
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(copy, ',');
        if (comma)
            *comma = '\0';
        v[i] = copy;
        if (*copy == '\0')
            return hub_errorf(err, EINVAL, "%s='%s': empty list item", key,
                              val);
        copy = comma + 1;
    }
    out->v = v;
    out->n = n;
    return 0;
}

int conf_parse_hostlist(conf_parser_t *p, const char *key, const char *val,
                        hub_conf_list_t *out, hub_error_t *err)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr(val, err);
    size_t n;
    const char **v;
    int rc = 0;

    if (!hl)
        return hub_error_prefix(err, -EINVAL, "%s", key);
    n = hub_hostlist_count(hl);
    if (!(v = conf_alloc(p->conf, (n ? n : 1) * sizeof(*v))))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!(v[i] = conf_strdup(p->conf, hub_hostlist_nth(hl, i))))
            rc = -ENOMEM;
    hub_hostlist_destroy(hl);
    if (rc == 0) {
        out->v = v;
        out->n = n;
    }
    return rc == -ENOMEM ? hub_errorf(err, ENOMEM, "out of memory") : rc;
}

static int parse_str(conf_parser_t *p, const conf_key_t *k, void *rec,
                     const char *val, hub_error_t *err)
{
    char *s = conf_strdup(p->conf, val);
    if (!s)
        return hub_errorf(err, ENOMEM, "out of memory");
    *FIELD(rec, k, const char *) = s;
    return 0;
}

int conf_apply_key(conf_parser_t *p, const conf_key_t *k, void *rec,
                   const char *val, hub_error_t *err)
{
    switch (k->type) {
    case CK_STR:
        return parse_str(p, k, rec, val, err);
    case CK_INT:
        return parse_int(k, rec, val, err);
    case CK_I64:
        return parse_i64(k, rec, val, err);
    case CK_DOUBLE:
        return parse_double(k, rec, val, err);
    case CK_SECONDS:
    case CK_DURATION:
        return parse_time(k, rec, val, err);
    case CK_SIZE_MB:
        return parse_size_mb(k, rec, val, err);
    case CK_BOOL:
        return parse_bool(k, rec, val, err);
    case CK_ENUM:
        return parse_enum(k, rec, val, err);
    case CK_LIST:
        return conf_parse_list(p, k->name, val, FIELD(rec, k, hub_conf_list_t),
                               err);
    case CK_HOSTLIST:
        return conf_parse_hostlist(p, k->name, val,
                                   FIELD(rec, k, hub_conf_list_t), err);
    case CK_CUSTOM:
        return k->custom(p, k, rec, val, err);
    }
    return hub_errorf(err, EINVAL, "%s: internal error: bad key type", k->name);
}

/* ---- unknown keys ---- */

/* Case-insensitive edit distance, capped: returns > cap when farther. */
static size_t distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b), row[64], i, j;

    if (la >= 64 || lb >= 64 || (la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diag = row[0], tmp;
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
                                 tolower((unsigned char)b[j - 1]));
            tmp = row[j];
            row[j] = sub;
            if (row[j - 1] + 1 < row[j])
                row[j] = row[j - 1] + 1;
            if (tmp + 1 < row[j])
                row[j] = tmp + 1;
            diag = tmp;
        }
    }
    return row[lb];
}

/* Words people write for keys that are spelled otherwise here. */
static const struct {
    const char *wrong, *right;
} aliases[] = {
    {"GPUs", "Gres"},         {"GPU", "Gres"},
    {"Memory", "RealMemory"}, {"Mem", "RealMemory"},
    {"Cores", "CPUs"},        {"Addr", "NodeAddr"},
    {"TimeLimit", "MaxTime"}, {"SlurmdTimeout", "NodeTimeout"},
};

static const char *suggest(const conf_key_t *keys, size_t n, const char *key)
{
    const char *best = NULL;
    size_t best_d = 3;

    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(key, aliases[i].wrong) == 0 &&
            conf_key_find(keys, n, aliases[i].right))
            return aliases[i].right;
    for (size_t i = 0; i < n; i++) {
        size_t d = distance(key, keys[i].name, 2);
        if (d < best_d) {
            best_d = d;
            best = keys[i].name;
        }
    }
    return best;
}

/* The first key of the other line kind that accepts key, "" for the
 * global keys, or NULL. */
static const char *owner_elsewhere(const conf_key_t *keys, const char *key)
{
    if (keys != conf_global_keys &&
        conf_key_find(conf_global_keys, conf_nglobal_keys, key))
        return "";
    for (size_t i = 0; i < CONF_NREC; i++) {
        const conf_rectype_t *rt = &conf_rectypes[i];
        if (rt->keys != keys && conf_key_find(rt->keys, rt->nkeys, key))
            return rt->key;
    }
    return NULL;
}

int conf_unknown_key(const conf_key_t *keys, size_t n, const char *key,
                     hub_error_t *err)
{
    const char *hint = suggest(keys, n, key);
    const char *other = hint ? NULL : owner_elsewhere(keys, key);

    if (hint)
        return hub_errorf(err, EINVAL, "unknown key '%s' (did you mean %s?)",
                          key, hint);
    if (other && !*other)
        return hub_errorf(err, EINVAL,
                          "unknown key '%s' (a global key: put it on a "
                          "line of its own)",
                          key);
    if (other)
        return hub_errorf(err, EINVAL,
                          "unknown key '%s' (it belongs on a %s line)", key,
                          other);
    return hub_errorf(err, EINVAL, "unknown key '%s'", key);
}

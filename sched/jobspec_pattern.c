/* jobspec_pattern.c - Slurm's "%j"-style file name patterns of -o, -e and
 * -i, expanded by the node agent when it opens the files and checked at
 * submission (see hub_jobspec_expand_pattern in jobspec.h).
 */
#include "jobspec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Slurm zero-pads to at most this width ("%12a" pads to 10). */
#define PAD_MAX 10
/* What Slurm prints for %a outside an array (NO_VAL - 1). */
#define NO_ARRAY_TASK 4294967294u

typedef struct out {
    char *buf;
    size_t len, used; /* used excludes the NUL */
    bool overflow;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->used + n >= o->len) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->used, s, n);
    o->used += n;
    o->buf[o->used] = '\0';
}

static void put_str(out_t *o, const char *s)
{
    if (s)
        put(o, s, strlen(s));
}

static void put_num(out_t *o, unsigned long long v, int width)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "%0*llu", width, v);

    put(o, num, (size_t)n);
}

/* One "%c" with its pad width; -1 for an unknown letter. */
static int expand_one(out_t *o, char c, int width, const hub_pattern_vars_t *v)
{
    switch (c) {
    case 'j':
        put_num(o, v->job_id, width);
        return 0;
    case 'A':
        put_num(o, v->array_job_id ? v->array_job_id : v->job_id, width);
        return 0;
    case 'a':
        put_num(o,
                v->array_task_id < 0 ? NO_ARRAY_TASK
                                     : (unsigned)v->array_task_id,
                width);
        return 0;
    case 'J':
        put_num(o, v->job_id, width);
        put_str(o, ".batch");
        return 0;
    case 'n':
    case 't':
        put_num(o, 0, width);
        return 0;
    case 's':
        put_str(o, "batch");
        return 0;
    case 'x':
        put_str(o, v->job_name);
        return 0;
    case 'u':
        put_str(o, v->user);
        return 0;
    case 'N':
        if (v->node)
            put(o, v->node, strcspn(v->node, "."));
        return 0;
    case '%':
        put(o, "%", 1);
        return 0;
    default:
        return -1;
    }
}

/* Slurm: a pattern with a backslash is taken literally, minus the
 * backslashes. */
static void copy_literal(out_t *o, const char *pattern)
{
    for (const char *p = pattern; *p; p++)
        if (*p != '\\')
            put(o, p, 1);
}

static int expand(out_t *o, const char *pattern, const hub_pattern_vars_t *v,
                  hub_error_t *err)
{
    for (const char *p = pattern; *p; p++) {
        int width = 0;
        if (*p != '%') {
            put(o, p, 1);
            continue;
        }
        while (p[1] >= '0' && p[1] <= '9') {
            width = width * 10 + (*++p - '0');
            width = width > PAD_MAX ? PAD_MAX : width;
        }
        if (!p[1])
            return hub_errorf(err, EINVAL, "'%s': '%%' at the end", pattern);
        if (expand_one(o, *++p, width, v) < 0)
            return hub_errorf(err, EINVAL,
                              "'%s': unknown '%%%c' (known: %%j %%A %%a %%x "
                              "%%u %%N %%n %%t %%s %%J %%%%)",
                              pattern, *p);
    }
    return 0;
}

int hub_jobspec_expand_pattern(const char *pattern,
                               const hub_pattern_vars_t *vars, char *buf,
                               size_t len, hub_error_t *err)
{
    out_t o = {buf, len, 0, false};
    int rc = 0;

    if (len == 0)
        return hub_errorf(err, ENAMETOOLONG, "no room for a file name");
    buf[0] = '\0';
    if (strchr(pattern, '\\'))
        copy_literal(&o, pattern);
    else
        rc = expand(&o, pattern, vars, err);
    if (rc == 0 && o.overflow)
        return hub_errorf(err, ENAMETOOLONG,
                          "'%s': expands to more than %zu bytes", pattern,
                          len - 1);
    return rc;
}

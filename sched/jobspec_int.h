/* jobspec_int.h - what the jobspec*.c files share: the option table, the
 * handlers' calling convention and the value parsers. Not installed. */
#ifndef HUB_JOBSPEC_INT_H
#define HUB_JOBSPEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jobspec.h"

typedef struct jobspec_opt jobspec_opt_t;

/* One option being applied: to which spec, from where ("command line" or
 * "FILE:LINE"). */
typedef struct jobspec_in {
    hub_jobspec_t *spec;
    const hub_jobspec_ctx_t *ctx;
    const jobspec_opt_t *opt;
    const char *where;
} jobspec_in_t;

/* Apply val (NULL for options without one) to in->spec. Errors describe
 * the value only; the caller prefixes where and the option name. */
typedef int (*jobspec_fn)(const jobspec_in_t *in, const char *val,
                          hub_error_t *err);

/* Option flags. */
enum {
    JOPT_ARGV_ONLY = 1u << 0, /* refused in a directive (--wrap) */
    JOPT_EXCL = 1u << 1,      /* conflicts with its family in one source */
    JOPT_SPACES = 1u << 2,    /* name field may hold spaces (-J) */
};

/* Families: options that set the same fields. A family given on the
 * command line masks the whole family in the directives. */
enum {
    JFAM_OWN = 0, /* the option alone */
    JFAM_MEM,     /* --mem, --mem-per-cpu */
    JFAM_GPN,     /* --gres, --gpus-per-node */
    JFAM_REQUEUE, /* --requeue, --no-requeue */
    JFAM_COUNT
};

struct jobspec_opt {
    const char *name;  /* long name without "--" */
    int short_opt;     /* letter, or 0 */
    int has_arg;       /* HUB_JOBSPEC_*_ARG */
    jobspec_fn fn;     /* NULL: an sbatch option hubsched does not do */
    size_t off;        /* field offset for the generic handlers */
    size_t size;       /* string: buffer size or longest length */
    uint32_t min, max; /* numbers: accepted range */
    uint8_t family;    /* JFAM_* */
    uint8_t flags;     /* JOPT_* */
};

/* The table (jobspec_opt.c), sbatch's options first. */
extern const jobspec_opt_t jobspec_opts[];
extern const size_t jobspec_nopts;

/* Append "where: --name: message" to spec->warnings (beyond
 * HUB_JOBSPEC_WARNINGS_MAX they are counted). Returns 0 or -ENOMEM. */
int jobspec_warn(const jobspec_in_t *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append a warning formatted from fmt. Returns 0 or -ENOMEM. */
int jobspec_warnf(hub_jobspec_t *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Replace *dst by a copy of val; -EINVAL if val is empty or longer than
 * max bytes, -ENOMEM. */
int jobspec_set_str(char **dst, const char *val, size_t max, hub_error_t *err);

/* Check a name for a char[size] field: 1..size-1 printable bytes, no
 * blanks unless spaces. */
int jobspec_check_name(const char *s, size_t size, bool spaces,
                       hub_error_t *err);

/* A whole decimal number in min..max, nothing else. */
int jobspec_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
                      hub_error_t *err);

/* "[type:]N" with N whole or a fraction below one (at most 3 decimals)
 * into milli-GPUs <= max_milli; type copied into type[type_size] (left
 * alone when absent). */
int jobspec_parse_gpus(const char *s, uint32_t max_milli, char *type,
                       size_t type_size, uint32_t *milli, hub_error_t *err);

/* --dependency into req's deps, ndeps, singleton and deps_any (all
 * replaced). *has_time is set when a "+time" suffix was dropped. */
int jobspec_parse_deps(const char *s, hub_job_req_t *req, bool *has_time,
                       hub_error_t *err);

/* --signal=[{R|B}:]SIG[@SECS]; *reservation for the "R" flag. */
int jobspec_parse_signal(const char *s, hub_job_req_t *req, bool *reservation,
                         hub_error_t *err);

/* --begin forms relative to now_ms (local time for clock times). */
int jobspec_parse_begin(const char *s, int64_t now_ms, int64_t *begin_ms,
                        hub_error_t *err);

/* --export syntax: ALL, NONE, or [ALL,]NAME[=value][,...]. */
int jobspec_check_export(const char *s, hub_error_t *err);

/* The -o, -e and -i patterns expand (unknown "%c" is an error). */
int jobspec_check_patterns(const hub_jobspec_t *spec, hub_error_t *err);

/* Script arguments and environment fit one execve(). */
int jobspec_check_exec_size(const hub_jobspec_t *spec, hub_error_t *err);

/* Valid environment variable name of n bytes at s. */
bool jobspec_env_name_ok(const char *s, size_t n);

#endif /* HUB_JOBSPEC_INT_H */

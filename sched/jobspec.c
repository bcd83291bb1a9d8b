/* jobspec.c - the submission spec's life: init and fini, warnings, and
 * finish (defaults that need the whole spec, the environment from
 * --export, final checks). Parsing is in jobspec_parse.c, options in
 * jobspec_opt.c, values in jobspec_value.c.
 */
#include "jobspec_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a pattern's expansion when checking it. */
#define PATTERN_BUF (2 * HUB_JOBSPEC_PATH_MAX)

static void free_strv(char **v, uint32_t n)
{
    for (uint32_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void hub_jobspec_init(hub_jobspec_t *spec)
{
    memset(spec, 0, sizeof(*spec));
}

void hub_jobspec_fini(hub_jobspec_t *spec)
{
    if (!spec)
        return;
    free(spec->script);
    free(spec->script_name);
    free_strv(spec->argv, spec->argc);
    free(spec->workdir);
    free_strv(spec->env, spec->nenv);
    free(spec->output);
    free(spec->error);
    free(spec->input);
    free(spec->comment);
    free(spec->array);
    free(spec->array_ids);
    free_strv(spec->warnings, spec->nwarnings);
    free(spec->priv.export_spec);
    memset(spec, 0, sizeof(*spec));
}

/* ---- helpers shared by jobspec*.c --------------------------------------- */

static int push_warning(hub_jobspec_t *spec, char *text)
{
    char **w;

    if (spec->nwarnings == HUB_JOBSPEC_WARNINGS_MAX) {
        spec->priv.dropped_warnings++;
        free(text);
        return 0;
    }
    w = realloc(spec->warnings, (spec->nwarnings + 1) * sizeof(*w));
    if (!w) {
        free(text);
        return -ENOMEM;
    }
    spec->warnings = w;
    w[spec->nwarnings++] = text;
    return 0;
}

/* vsnprintf into a new buffer of the right size; NULL on ENOMEM. */
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    char *text;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    text = n < 0 ? NULL : malloc((size_t)n + 1);
    if (text)
        vsnprintf(text, (size_t)n + 1, fmt, ap);
    return text;
}

int jobspec_warnf(hub_jobspec_t *spec, const char *fmt, ...)
{
    char *text;
    va_list ap;

    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    return text ? push_warning(spec, text) : -ENOMEM;
}

int jobspec_warn(const jobspec_in_t *in, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return jobspec_warnf(in->spec, "%s: --%s: %s", in->where, in->opt->name,
                         msg);
}

int jobspec_set_str(char **dst, const char *val, size_t max, hub_error_t *err)
{
    size_t len = strlen(val);
    char *copy;

    if (len == 0 || len > max)
        return hub_errorf(err, EINVAL, "expected 1 to %zu characters", max);
    copy = strdup(val);
    if (!copy)
        return -ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

/* ---- finish: names, paths, memory --------------------------------------- */

/* Slurm names a job after its script's base name ("wrap" for --wrap). */
static int default_name(hub_jobspec_t *spec)
{
    const char *name = spec->script_name, *slash;
    hub_job_req_t *req = &spec->req;
    int rc = 0;

    if (req->name[0])
        return 0;
    if (!name)
        name = "wrap";
    slash = strrchr(name, '/');
    name = slash ? slash + 1 : name;
    if (!name[0])
        name = "hbatch";
    if (strlen(name) >= sizeof(req->name))
        rc = jobspec_warnf(spec, "job name '%s' cut to %zu characters", name,
                           sizeof(req->name) - 1);
    snprintf(req->name, sizeof(req->name), "%s", name);
    return rc;
}

static int resolve_workdir(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                           hub_error_t *err)
{
    const char *cwd = ctx ? ctx->cwd : NULL;
    char *path;

    if (!cwd || (spec->workdir && spec->workdir[0] == '/'))
        return 0;
    if (!spec->workdir)
        return jobspec_set_str(&spec->workdir, cwd, HUB_JOBSPEC_PATH_MAX, err);
    path = malloc(strlen(cwd) + strlen(spec->workdir) + 2);
    if (!path)
        return -ENOMEM;
    sprintf(path, "%s/%s", cwd, spec->workdir);
    free(spec->workdir);
    spec->workdir = path;
    if (strlen(path) > HUB_JOBSPEC_PATH_MAX)
        return hub_errorf(err, EINVAL, "--chdir: '%s' longer than %d bytes",
                          path, HUB_JOBSPEC_PATH_MAX);
    return 0;
}

/* --mem-per-cpu becomes memory per node when the tasks per node are
 * known: given, or all tasks on one node. */
static void fold_mem_per_cpu(hub_job_req_t *r)
{
    uint64_t tpn, cpt = r->cpus_per_task ? r->cpus_per_task : 1;

    if (r->mem_per_cpu_mb == 0)
        return;
    if (r->ntasks_per_node)
        tpn = r->ntasks_per_node;
    else if (r->nodes_min == 1 && r->nodes_max <= 1)
        tpn = r->ntasks ? r->ntasks : 1;
    else if (r->nodes_min == 0 && r->ntasks <= 1)
        tpn = 1;
    else
        return;
    if (r->mem_per_cpu_mb > (uint64_t)INT64_MAX / cpt / tpn)
        return;
    r->mem_per_node_mb = r->mem_per_cpu_mb * cpt * tpn;
    r->mem_per_cpu_mb = 0;
}

int jobspec_check_patterns(const hub_jobspec_t *spec, hub_error_t *err)
{
    static const char *const names[] = {"output", "error", "input"};
    const char *patterns[] = {spec->output, spec->error, spec->input};
    hub_pattern_vars_t vars = {1, 1, 0, "name", "user", "node"};
    char *buf = malloc(PATTERN_BUF);
    int rc = buf ? 0 : -ENOMEM;

    for (int i = 0; i < 3 && rc == 0; i++) {
        if (patterns[i])
            rc = hub_jobspec_expand_pattern(patterns[i], &vars, buf,
                                            PATTERN_BUF, err);
        if (rc < 0 && rc != -ENOMEM)
            rc = hub_error_prefix(err, -EINVAL, "--%s", names[i]);
    }
    free(buf);
    return rc;
}

/* ---- finish: the environment --------------------------------------------- */

static int env_append(hub_jobspec_t *spec, const char *entry, size_t len)
{
    char **v, *copy;

    if (spec->nenv >= HUB_JOBSPEC_ENV_MAX)
        return -E2BIG;
    copy = strndup(entry, len);
    v = realloc(spec->env, (spec->nenv + 2) * sizeof(*v));
    if (!copy || !v) {
        free(copy);
        if (v)
            spec->env = v;
        return -ENOMEM;
    }
    spec->env = v;
    v[spec->nenv++] = copy;
    v[spec->nenv] = NULL;
    return 0;
}

/* Set "NAME=value" (len bytes), replacing an earlier NAME. */
static int env_set(hub_jobspec_t *spec, const char *entry, size_t len)
{
    size_t name = strcspn(entry, "=");

    for (uint32_t i = 0; i < spec->nenv; i++) {
        if (strncmp(spec->env[i], entry, name + 1) == 0) {
            char *copy = strndup(entry, len);
            if (!copy)
                return -ENOMEM;
            free(spec->env[i]);
            spec->env[i] = copy;
            return 0;
        }
    }
    return env_append(spec, entry, len);
}

static bool kept_without_all(const char *entry)
{
    return strncmp(entry, "SLURM_", 6) == 0 || strncmp(entry, "HUB_", 4) == 0;
}

/* The submitter's variables: all of them, or only SLURM_* and HUB_*. */
static int env_base(hub_jobspec_t *spec, char *const *environ, bool all)
{
    int rc = 0;

    for (size_t i = 0; environ && environ[i] && rc == 0; i++) {
        if (!strchr(environ[i], '='))
            rc = jobspec_warnf(spec,
                               "--export: environment entry '%.40s' "
                               "has no '='; ignored",
                               environ[i]);
        else if (all || kept_without_all(environ[i]))
            rc = env_append(spec, environ[i], strlen(environ[i]));
    }
    return rc;
}

static const char *env_lookup(char *const *environ, const char *name,
                              size_t len)
{
    for (size_t i = 0; environ && environ[i]; i++)
        if (strncmp(environ[i], name, len) == 0 && environ[i][len] == '=')
            return environ[i];
    return NULL;
}

/* One "NAME" or "NAME=value" item of --export. */
static int env_item(hub_jobspec_t *spec, char *const *environ, const char *p,
                    size_t n)
{
    size_t name = strcspn(p, "=,");
    const char *found;

    if ((n == 3 && strncmp(p, "ALL", 3) == 0) ||
        (n == 4 && strncmp(p, "NONE", 4) == 0))
        return 0;
    if (name < n)
        return env_set(spec, p, n);
    found = env_lookup(environ, p, name);
    if (!found)
        return jobspec_warnf(spec,
                             "--export: %.*s is not set in the "
                             "environment; not exported",
                             (int)n, p);
    return env_set(spec, found, strlen(found));
}

static int build_env(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                     hub_error_t *err)
{
    const char *spec_text =
        spec->priv.export_spec ? spec->priv.export_spec : "ALL";
    char *const *environ = ctx ? ctx->environ : NULL;
    const char *p = spec_text;
    bool all = strncmp(p, "ALL", 3) == 0 && (p[3] == ',' || !p[3]);
    int rc;

    for (const char *q = p; !all && (q = strstr(q, ",ALL")); q += 4)
        all = q[4] == ',' || !q[4];
    free_strv(spec->env, spec->nenv);
    spec->env = NULL;
    spec->nenv = 0;
    rc = env_base(spec, environ, all);
    while (rc == 0 && *p) {
        size_t n = strcspn(p, ",");
        rc = env_item(spec, environ, p, n);
        p += n + (p[n] == ',');
    }
    if (rc == -E2BIG)
        return hub_errorf(err, EINVAL, "--export: more than %d variables",
                          HUB_JOBSPEC_ENV_MAX);
    return rc;
}

/* ---- finish ---------------------------------------------------------------
 */

int jobspec_check_exec_size(const hub_jobspec_t *spec, hub_error_t *err)
{
    size_t total = 0;

    for (uint32_t i = 0; i < spec->argc; i++)
        total += strlen(spec->argv[i]) + 1;
    for (uint32_t i = 0; i < spec->nenv; i++) {
        size_t len = strlen(spec->env[i]);
        if (len > HUB_JOBSPEC_STRING_MAX)
            return hub_errorf(err, EINVAL,
                              "environment variable '%.40s...' "
                              "is longer than %u bytes",
                              spec->env[i], HUB_JOBSPEC_STRING_MAX);
        total += len + 1;
    }
    if (total > HUB_JOBSPEC_EXEC_BYTES_MAX)
        return hub_errorf(err, EINVAL,
                          "script arguments and environment "
                          "take %zu bytes, more than %u",
                          total, HUB_JOBSPEC_EXEC_BYTES_MAX);
    return 0;
}

/* The last kept warning gives way to a count of those not kept. */
static int note_dropped(hub_jobspec_t *spec)
{
    uint32_t n = spec->priv.dropped_warnings + 1;

    free(spec->warnings[--spec->nwarnings]);
    spec->priv.dropped_warnings = 0;
    return jobspec_warnf(spec, "%u more warnings not shown", n);
}

static int check_strict(const hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                        hub_error_t *err)
{
    if (!ctx || !ctx->strict || spec->nwarnings == 0)
        return 0;
    return hub_errorf(err, EINVAL, "strict mode: %s%s", spec->warnings[0],
                      spec->nwarnings > 1 ? " (and more warnings)" : "");
}

static int finish_defaults(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                           hub_error_t *err)
{
    const char *out = spec->narray ? "slurm-%A_%a.out" : "slurm-%j.out";
    int rc = default_name(spec);

    if (rc == 0)
        rc = resolve_workdir(spec, ctx, err);
    if (rc == 0 && !spec->output)
        rc = jobspec_set_str(&spec->output, out, HUB_JOBSPEC_PATH_MAX, err);
    if (rc == 0)
        fold_mem_per_cpu(&spec->req);
    return rc;
}

int hub_jobspec_finish(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                       hub_error_t *err)
{
    int rc;

    if (!spec->script)
        return hub_errorf(err, EINVAL,
                          "no batch script: give a file, "
                          "standard input or --wrap");
    rc = finish_defaults(spec, ctx, err);
    if (rc == 0)
        rc = jobspec_check_patterns(spec, err);
    if (rc == 0)
        rc = build_env(spec, ctx, err);
    if (rc == 0)
        rc = jobspec_check_exec_size(spec, err);
    if (rc == 0 && spec->priv.dropped_warnings)
        rc = note_dropped(spec);
    if (rc == 0)
        rc = check_strict(spec, ctx, err);
    if (rc == -ENOMEM)
        return hub_errorf(err, ENOMEM, "out of memory");
    return rc;
}

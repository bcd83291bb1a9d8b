/* exec_req.c - the exec request: decode, bind to its credential, check
 * the caller's rights, build hub-jobstart's argv and environment. */
#include "exec_req.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing NULL-terminated array of malloc'd strings; a failed push
 * marks it failed and frees nothing until strv_finish. */
typedef struct strv {
    char **v;
    size_t n, cap;
    int failed;
} strv_t;

static void strv_push_owned(strv_t *s, char *str)
{
    if (!str || s->failed) {
        s->failed = 1;
        free(str);
        return;
    }
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (!v) {
            s->failed = 1;
            free(str);
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
}

static void strv_pushf(strv_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void strv_pushf(strv_t *s, const char *fmt, ...)
{
    char *str = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&str, fmt, ap) < 0)
        str = NULL;
    va_end(ap);
    strv_push_owned(s, str);
}

/* The array, or NULL (everything freed) when a push failed. */
static char **strv_finish(strv_t *s)
{
    if (s->failed || !s->v) {
        exec_strv_free(s->v);
        return NULL;
    }
    return s->v;
}

void exec_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* A JSON array of strings as a NULL-terminated array of borrowed
 * pointers. Returns 0, -EINVAL (not an array of strings; each env entry
 * must hold '=') or -ENOMEM. */
static int borrow_strings(const json_t *arr, int need_eq, const char ***out)
{
    size_t n = json_array_size(arr), i;
    const char **v;

    if (!json_is_array(arr))
        return -EINVAL;
    if (!(v = calloc(n + 1, sizeof(*v))))
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        v[i] = json_string_value(json_array_get(arr, i));
        if (!v[i] || (need_eq && !strchr(v[i], '='))) {
            free(v);
            return -EINVAL;
        }
    }
    *out = v;
    return 0;
}

/* Decode job_id (an integer 1..UINT32_MAX). */
static int parse_job_id(const json_t *msg, uint32_t *id, hub_error_t *err)
{
    const json_t *j = json_object_get(msg, "job_id");
    json_int_t v = json_integer_value(j);

    if (!json_is_integer(j) || v < 1 || v > (json_int_t)UINT32_MAX)
        return hub_errorf(err, EINVAL,
                          "exec request: job_id must be a job id (1 to %u)",
                          (unsigned)UINT32_MAX);
    *id = (uint32_t)v;
    return 0;
}

/* Decode the optional non-empty string field key into *out (NULL when
 * absent or null). */
static int parse_opt_string(const json_t *msg, const char *key,
                            const char **out, hub_error_t *err)
{
    const json_t *j = json_object_get(msg, key);

    *out = NULL;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_string(j) || !json_string_value(j)[0])
        return hub_errorf(err, EINVAL,
                          "exec request: %s must be a non-empty string", key);
    *out = json_string_value(j);
    return 0;
}

static int parse_arrays(const json_t *msg, exec_req_t *req, hub_error_t *err)
{
    const json_t *env = json_object_get(msg, "env");
    int rc = borrow_strings(json_object_get(msg, "argv"), 0, &req->argv);

    if (rc == -ENOMEM)
        return hub_errorf(err, ENOMEM, "exec request: out of memory");
    if (rc < 0 || !req->argv[0] || !req->argv[0][0])
        return hub_errorf(err, EINVAL,
                          "exec request: argv must be a non-empty array "
                          "of strings, the first non-empty");
    if (!env || json_is_null(env))
        return 0;
    rc = borrow_strings(env, 1, &req->env);
    if (rc == -ENOMEM)
        return hub_errorf(err, ENOMEM, "exec request: out of memory");
    if (rc < 0)
        return hub_errorf(err, EINVAL,
                          "exec request: env must be an array of "
                          "\"NAME=VALUE\" strings");
    return 0;
}

int exec_req_parse(const json_t *msg, exec_req_t *req, hub_error_t *err)
{
    const char *op = json_string_value(json_object_get(msg, "op"));
    int rc;

    memset(req, 0, sizeof(*req));
    if (!op || strcmp(op, "exec") != 0)
        rc = hub_errorf(err, EINVAL, "exec service: unknown op \"%s\"",
                        op ? op : "(none)");
    else if ((rc = parse_job_id(msg, &req->job_id, err)) == 0 &&
             (rc = parse_opt_string(msg, "cwd", &req->cwd, err)) == 0 &&
             (rc = parse_opt_string(msg, "cred", &req->cred, err)) == 0)
        rc = parse_arrays(msg, req, err);
    if (rc == 0 && req->cwd && req->cwd[0] != '/')
        rc = hub_errorf(err, EINVAL,
                        "exec request: cwd \"%s\" is not an absolute path",
                        req->cwd);
    if (rc < 0)
        exec_req_fini(req);
    return rc;
}

void exec_req_fini(exec_req_t *req)
{
    if (!req)
        return;
    free(req->argv);
    free(req->env);
    memset(req, 0, sizeof(*req));
}

int exec_req_check_payload(const char *payload, uint32_t job_id,
                           const char *node, hub_error_t *err)
{
    char want[512];

    /* The payload format is the protocol's; hub-exec writes the same. */
    snprintf(want, sizeof(want), "exec %u %s", (unsigned)job_id, node);
    if (strcmp(payload, want) != 0)
        return hub_errorf(err, EPERM,
                          "credential is for \"%.200s\", not \"%.200s\"",
                          payload, want);
    return 0;
}

int exec_req_authorise(const exec_job_t *job, uint32_t job_id, uid_t uid,
                       const char *node, hub_error_t *err)
{
    if (!job)
        return hub_errorf(err, EPERM, "job %u is not running on node %s",
                          (unsigned)job_id, node);
    if (uid != job->uid && uid != 0)
        return hub_errorf(err, EPERM,
                          "uid %u may not start processes in job %u "
                          "(it belongs to uid %u)",
                          (unsigned)uid, (unsigned)job_id, (unsigned)job->uid);
    return 0;
}

char **exec_req_jobstart_argv(const char *jobstart, const exec_job_t *job,
                              const exec_req_t *req, int switch_user)
{
    const char *cwd = req->cwd ? req->cwd : job->workdir;
    strv_t s = {0};

    strv_pushf(&s, "%s", jobstart);
    if (switch_user) {
        strv_pushf(&s, "--uid=%u", (unsigned)job->uid);
        strv_pushf(&s, "--gid=%u", (unsigned)job->gid);
        if (job->user)
            strv_pushf(&s, "--user=%s", job->user);
    }
    for (size_t i = 0; job->cgroups && job->cgroups[i]; i++)
        strv_pushf(&s, "--cgroup=%s", job->cgroups[i]);
    if (cwd)
        strv_pushf(&s, "--chdir=%s", cwd);
    strv_pushf(&s, "--setsid");
    strv_pushf(&s, "--");
    for (size_t i = 0; req->argv[i]; i++)
        strv_pushf(&s, "%s", req->argv[i]);
    return strv_finish(&s);
}

/* True when env entries a and b ("NAME=...") name the same variable. */
static bool same_name(const char *a, const char *b)
{
    size_t n = strcspn(a, "=");
    return strncmp(a, b, n) == 0 && b[n] == '=';
}

/* Variables whose value depends on the node (and so are taken from the
 * job's environment on this node, not from the caller's node). */
static bool node_var(const char *e)
{
    return strncmp(e, "HUB_", 4) == 0 || strncmp(e, "SLURM_", 6) == 0 ||
           strncmp(e, "SLURMD_", 7) == 0 ||
           same_name("CUDA_VISIBLE_DEVICES=", e) || same_name("TMPDIR=", e);
}

/* Set last by exec_req_env, whatever the inputs say. */
static bool forced(const char *e)
{
    return same_name("HUB_JOB_ID=", e) || same_name("HUB_NODE=", e);
}

/* Whether the caller's variable e gives way to the job's on this node. */
static bool overridden(const char *e, char *const *job_env)
{
    for (size_t i = 0; job_env && job_env[i]; i++) {
        if (node_var(job_env[i]) && same_name(job_env[i], e))
            return true;
    }
    return false;
}

char **exec_req_env(const exec_job_t *job, const exec_req_t *req,
                    const char *node)
{
    strv_t s = {0};

    for (size_t i = 0; req->env && req->env[i]; i++) {
        if (!forced(req->env[i]) && !overridden(req->env[i], job->env))
            strv_pushf(&s, "%s", req->env[i]);
    }
    for (size_t i = 0; job->env && job->env[i]; i++) {
        if (!forced(job->env[i]) && (!req->env || node_var(job->env[i])))
            strv_pushf(&s, "%s", job->env[i]);
    }
    strv_pushf(&s, "HUB_JOB_ID=%u", (unsigned)job->id);
    strv_pushf(&s, "HUB_NODE=%s", node);
    return strv_finish(&s);
}

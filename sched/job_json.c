/* job_json.c - the JSON form of jobs and job requests (see job.h): what
 * the RPC carries and what the controller stores.
 *
 * Simple fields are described once in tables (name, type, offset, range)
 * and converted both ways by the same code; only enums (by name),
 * dependencies and the allocation have their own converters. Field names
 * are the struct members' names. Decoding is strict because the input may
 * come from an untrusted client: wrong types, out-of-range numbers, overlong
 * strings and unknown keys are refused with the field's path in err (e.g.
 * "req.deps[1].job_id: expected an integer in 1..4294967295"). Missing
 * fields take zero values (array_task_id: -1, "no array").
 *
 * This file is the object form; the table form (the queue answer's
 * columns and rows) is in job_json_table.c and shares the tables and
 * converters through job_json_int.h.
 */
#include "job_json_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nodes one allocation may list: well above any real job, low enough that
 * a hostile frame cannot make the controller allocate gigabytes. */
#define ALLOC_NODES_MAX 100000

#define MEMBER_SIZE(type, m) sizeof(((type *)0)->m)
#define STR(type, m)                                                           \
    {                                                                          \
#m, JF_STR, offsetof(type, m), MEMBER_SIZE(type, m), 0, 0, 0           \
    }
#define BOOL(type, m)                                                          \
    {                                                                          \
#m, JF_BOOL, offsetof(type, m), 0, 0, 1, 0                             \
    }
#define NUM(type, m, t, lo, hi)                                                \
    {                                                                          \
#m, t, offsetof(type, m), 0, lo, hi, 0                                 \
    }
#define U32(type, m) NUM(type, m, JF_U32, 0, UINT32_MAX)
#define I64(type, m) NUM(type, m, JF_I64, INT64_MIN, INT64_MAX)
#define TIME(type, m) NUM(type, m, JF_I64, 0, INT64_MAX)

const jobjson_field_t jobjson_req_fields[] = {
    STR(hub_job_req_t, name),
    STR(hub_job_req_t, partition),
    STR(hub_job_req_t, hub),
    STR(hub_job_req_t, account),
    STR(hub_job_req_t, qos),
    STR(hub_job_req_t, gpu_type),
    U32(hub_job_req_t, nodes_min),
    U32(hub_job_req_t, nodes_max),
    U32(hub_job_req_t, ntasks),
    U32(hub_job_req_t, ntasks_per_node),
    U32(hub_job_req_t, cpus_per_task),
    U32(hub_job_req_t, gpus_milli),
    U32(hub_job_req_t, gpus_per_node_milli),
    NUM(hub_job_req_t, mem_per_node_mb, JF_U64, 0, INT64_MAX),
    TIME(hub_job_req_t, time_limit_s),
    BOOL(hub_job_req_t, exclusive),
    BOOL(hub_job_req_t, requeue),
    BOOL(hub_job_req_t, hold),
    NUM(hub_job_req_t, nice, JF_I32, INT32_MIN, INT32_MAX),
    NUM(hub_job_req_t, signal_num, JF_I32, 0, 64),
    U32(hub_job_req_t, signal_secs),
    BOOL(hub_job_req_t, signal_batch_only),
    TIME(hub_job_req_t, begin_ms),
    BOOL(hub_job_req_t, singleton),
    BOOL(hub_job_req_t, deps_any),
    BOOL(hub_job_req_t, mem_all),
    NUM(hub_job_req_t, mem_per_cpu_mb, JF_U64, 0, INT64_MAX),
    STR(hub_job_req_t, constraint),
    U32(hub_job_req_t, spare_nodes),
    STR(hub_job_req_t, data_hub),
    STR(hub_job_req_t, region),
    U32(hub_job_req_t, latency_slo_ms),
};

const jobjson_field_t jobjson_job_fields[] = {
    U32(hub_job_t, id),
    U32(hub_job_t, array_job_id),
    {"array_task_id", JF_I32, offsetof(hub_job_t, array_task_id), 0, -1,
     INT32_MAX, -1},
    U32(hub_job_t, array_max_running),
    U32(hub_job_t, uid),
    U32(hub_job_t, gid),
    STR(hub_job_t, user),
    BOOL(hub_job_t, held),
    BOOL(hub_job_t, held_admin),
    TIME(hub_job_t, submit_ms),
    TIME(hub_job_t, eligible_ms),
    TIME(hub_job_t, start_ms),
    TIME(hub_job_t, end_ms),
    I64(hub_job_t, priority),
    I64(hub_job_t, priority_fixed),
    NUM(hub_job_t, exit_code, JF_I32, INT32_MIN, INT32_MAX),
    NUM(hub_job_t, term_signal, JF_I32, 0, 64),
    U32(hub_job_t, restart_count),
    U32(hub_job_t, hub),
    TIME(hub_job_t, hrun_step),
    U32(hub_job_t, hrun_restarts),
    NUM(hub_job_t, hrun_mfu_ppm, JF_U32, 0, 1000000),
    NUM(hub_job_t, hrun_mfu_mean_ppm, JF_U32, 0, 1000000),
    NUM(hub_job_t, hrun_goodput_ppm, JF_U32, 0, 1000000),
    TIME(hub_job_t, hrun_work_lost_ms),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

_Static_assert(NFIELDS(jobjson_job_fields) == JOBJSON_NJOB_FIELDS,
               "job_json_int.h: JOBJSON_NJOB_FIELDS");
_Static_assert(NFIELDS(jobjson_req_fields) == JOBJSON_NREQ_FIELDS,
               "job_json_int.h: JOBJSON_NREQ_FIELDS");

/* Keys handled outside the tables. */
static const char *const req_special[] = {"kind", "deps", NULL};
static const char *const job_special[] = {"req", "state", "reason", "alloc",
                                          NULL};

/* ---- encoding ----------------------------------------------------------- */

int64_t jobjson_field_get(const jobjson_field_t *f, const void *rec)
{
    const char *p = (const char *)rec + f->off;
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    int64_t i64;
    bool b;

    switch (f->type) {
    case JF_BOOL:
        memcpy(&b, p, sizeof(b));
        return b;
    case JF_U32:
        memcpy(&u32, p, sizeof(u32));
        return u32;
    case JF_I32:
        memcpy(&i32, p, sizeof(i32));
        return i32;
    case JF_U64:
        memcpy(&u64, p, sizeof(u64));
        return u64 > INT64_MAX ? INT64_MAX : (int64_t)u64;
    default:
        memcpy(&i64, p, sizeof(i64));
        return i64;
    }
}

static json_t *field_to_json(const jobjson_field_t *f, const void *rec)
{
    const char *p = (const char *)rec + f->off;

    if (f->type == JF_STR)
        return json_stringn(p, strnlen(p, f->size - 1));
    if (f->type == JF_BOOL)
        return json_boolean(jobjson_field_get(f, rec));
    return json_integer(jobjson_field_get(f, rec));
}

static int fields_to_json(json_t *obj, const jobjson_field_t *t, size_t n,
                          const void *rec)
{
    for (size_t i = 0; i < n; i++) {
        if (json_object_set_new(obj, t[i].name, field_to_json(&t[i], rec)))
            return -ENOMEM;
    }
    return 0;
}

static json_t *deps_to_json(const hub_job_req_t *req)
{
    json_t *arr = json_array();
    uint32_t n = req->ndeps < HUB_JOB_MAX_DEPS ? req->ndeps : HUB_JOB_MAX_DEPS;

    for (uint32_t i = 0; arr && i < n; i++) {
        json_t *d = json_pack("{s:s, s:I}", "type",
                              hub_dep_type_name(req->deps[i].type), "job_id",
                              (json_int_t)req->deps[i].job_id);
        if (json_array_append_new(arr, d)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *hub_job_req_to_json(const hub_job_req_t *req)
{
    json_t *obj = json_object();

    if (!obj ||
        fields_to_json(obj, jobjson_req_fields, NFIELDS(jobjson_req_fields),
                       req) ||
        json_object_set_new(obj, "kind",
                            json_string(hub_job_kind_name(req->kind))) ||
        json_object_set_new(obj, "deps", deps_to_json(req))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The used prefix of a node's GPU slots: up to the last non-zero one. */
static json_t *gpu_milli_to_json(const hub_alloc_node_t *an)
{
    json_t *arr = json_array();
    int used = HUB_NODE_MAX_GPUS;

    while (used > 0 && an->gpu_milli[used - 1] == 0)
        used--;
    for (int i = 0; arr && i < used; i++) {
        if (json_array_append_new(arr, json_integer(an->gpu_milli[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *alloc_to_json(const hub_alloc_t *alloc)
{
    json_t *arr = json_array();

    for (uint32_t i = 0; arr && alloc->nodes && i < alloc->nnodes; i++) {
        const hub_alloc_node_t *an = &alloc->nodes[i];
        json_t *o = json_pack(
            "{s:I, s:I, s:I, s:o}", "node", (json_int_t)an->node, "cpus",
            (json_int_t)an->cpus, "mem_mb", (json_int_t)an->mem_mb, "gpu_milli",
            gpu_milli_to_json(an));
        if (json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *hub_job_to_json(const hub_job_t *job)
{
    json_t *obj = json_object();

    if (!obj ||
        fields_to_json(obj, jobjson_job_fields, NFIELDS(jobjson_job_fields),
                       job) ||
        json_object_set_new(obj, "req", hub_job_req_to_json(&job->req)) ||
        json_object_set_new(obj, "state",
                            json_string(hub_job_state_name(job->state))) ||
        json_object_set_new(obj, "reason",
                            json_string(hub_job_reason_name(job->reason))) ||
        json_object_set_new(obj, "alloc", alloc_to_json(&job->alloc))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* ---- decoding ----------------------------------------------------------- */

/* path is a field prefix ("req.", "alloc[2].", "" for the job itself). */
static int want_object(const json_t *v, const char *path, hub_error_t *err)
{
    size_t n = strlen(path);

    if (json_is_object(v))
        return 0;
    if (n == 0)
        return hub_errorf(err, EINVAL, "job: expected an object");
    return hub_errorf(err, EINVAL, "%.*s: expected an object",
                      (int)(n - (path[n - 1] == '.')), path);
}

static const jobjson_field_t *find_field(const char *key,
                                         const jobjson_field_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, t[i].name) == 0)
            return &t[i];
    return NULL;
}

static bool is_special(const char *key, const char *const *special)
{
    for (size_t i = 0; special[i]; i++)
        if (strcmp(key, special[i]) == 0)
            return true;
    return false;
}

static int num_from_json(const jobjson_field_t *f, const json_t *v,
                         int64_t *out, const char *prefix, hub_error_t *err)
{
    json_int_t x;

    if (f->type == JF_BOOL) {
        if (!json_is_boolean(v))
            return hub_errorf(err, EINVAL, "%s%s: expected true or false",
                              prefix, f->name);
        *out = json_is_true(v);
        return 0;
    }
    x = json_is_integer(v) ? json_integer_value(v) : 0;
    if (!json_is_integer(v) || x < f->min || x > f->max)
        return hub_errorf(err, EINVAL,
                          "%s%s: expected an integer in %lld..%lld", prefix,
                          f->name, (long long)f->min, (long long)f->max);
    *out = x;
    return 0;
}

static void field_set(const jobjson_field_t *f, void *rec, int64_t x)
{
    char *p = (char *)rec + f->off;
    uint32_t u32 = (uint32_t)x;
    int32_t i32 = (int32_t)x;
    uint64_t u64 = (uint64_t)x;
    bool b = x != 0;

    switch (f->type) {
    case JF_BOOL:
        memcpy(p, &b, sizeof(b));
        break;
    case JF_U32:
        memcpy(p, &u32, sizeof(u32));
        break;
    case JF_I32:
        memcpy(p, &i32, sizeof(i32));
        break;
    case JF_U64:
        memcpy(p, &u64, sizeof(u64));
        break;
    default:
        memcpy(p, &x, sizeof(x));
        break;
    }
}

static int str_from_json(const jobjson_field_t *f, const json_t *v, void *rec,
                         const char *prefix, hub_error_t *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);

    if (!s)
        return hub_errorf(err, EINVAL, "%s%s: expected a string", prefix,
                          f->name);
    if (len >= f->size || strlen(s) != len)
        return hub_errorf(err, EINVAL,
                          "%s%s: expected at most %zu bytes without NUL",
                          prefix, f->name, f->size - 1);
    memcpy((char *)rec + f->off, s, len + 1);
    return 0;
}

int jobjson_field_from_json(const jobjson_field_t *f, const json_t *v,
                            void *rec, const char *prefix, hub_error_t *err)
{
    int64_t x;
    int rc;

    if (f->type == JF_STR)
        return str_from_json(f, v, rec, prefix, err);
    rc = num_from_json(f, v, &x, prefix, err);
    if (rc == 0)
        field_set(f, rec, x);
    return rc;
}

/* Decode the members of obj that t describes into rec; members named in
 * special are the caller's, any other is an error. One pass over the
 * members present: stored and compact jobs leave most fields out, and
 * restart decodes 100,000 of them (this pass instead of a lookup per
 * field plus a check per member: 20.6% -> 12.5% of recovery's time). */
static int fields_from_json(const json_t *obj, const jobjson_field_t *t,
                            size_t n, const char *const *special, void *rec,
                            const char *prefix, hub_error_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        const jobjson_field_t *f = find_field(key, t, n);
        int rc;

        if (!f && !is_special(key, special))
            return hub_errorf(err, EINVAL, "%s%s: unknown field", prefix, key);
        if (f && (rc = jobjson_field_from_json(f, v, rec, prefix, err)) < 0)
            return rc;
    }
    return 0;
}

const char *jobjson_state_name(int v)
{
    return hub_job_state_name((hub_job_state_t)v);
}

const char *jobjson_reason_name(int v)
{
    return hub_job_reason_name((hub_job_reason_t)v);
}

const char *jobjson_kind_name(int v)
{
    return hub_job_kind_name((hub_job_kind_t)v);
}

static const char *dep_name(int v)
{
    return hub_dep_type_name((hub_dep_type_t)v);
}

/* Decode v, the value of key, as one of the count names given by name();
 * an absent value (NULL) gives 0. */
int jobjson_enum_from_value(const json_t *v, const char *key,
                            jobjson_name_fn name, int count, int *out,
                            const char *prefix, hub_error_t *err)
{
    const char *s = json_string_value(v);

    *out = 0;
    if (!v)
        return 0;
    for (int i = 0; s && i < count; i++) {
        if (strcmp(s, name(i)) == 0) {
            *out = i;
            return 0;
        }
    }
    return hub_errorf(err, EINVAL, "%s%s: expected a name such as '%s'", prefix,
                      key, name(count - 1));
}

static int enum_from_json(const json_t *obj, const char *key,
                          jobjson_name_fn name, int count, int *out,
                          const char *prefix, hub_error_t *err)
{
    return jobjson_enum_from_value(json_object_get(obj, key), key, name, count,
                                   out, prefix, err);
}

static int dep_from_json(const json_t *d, size_t i, hub_job_dep_t *dep,
                         hub_error_t *err)
{
    static const jobjson_field_t id_field = {"job_id", JF_U32,     0, 0,
                                             1,        UINT32_MAX, 0};
    static const char *const keys[] = {"type", "job_id", NULL};
    char prefix[48];
    int64_t id = 0;
    int type = 0, rc;

    snprintf(prefix, sizeof(prefix), "req.deps[%zu].", i);
    rc = want_object(d, prefix, err);
    if (rc == 0)
        rc = fields_from_json(d, NULL, 0, keys, NULL, prefix, err);
    if (rc == 0)
        rc = enum_from_json(d, "type", dep_name, 4, &type, prefix, err);
    if (rc == 0)
        rc = num_from_json(&id_field, json_object_get(d, "job_id"), &id, prefix,
                           err);
    if (rc < 0)
        return rc;
    dep->type = (hub_dep_type_t)type;
    dep->job_id = (hub_job_id_t)id;
    return 0;
}

int jobjson_deps_from_value(const json_t *arr, hub_job_req_t *req,
                            hub_error_t *err)
{
    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > HUB_JOB_MAX_DEPS)
        return hub_errorf(err, EINVAL,
                          "req.deps: expected an array of at most %d",
                          HUB_JOB_MAX_DEPS);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        int rc = dep_from_json(json_array_get(arr, i), i, &req->deps[i], err);
        if (rc < 0)
            return rc;
    }
    req->ndeps = (uint32_t)json_array_size(arr);
    return 0;
}

int hub_job_req_from_json(const json_t *obj, hub_job_req_t *req,
                          hub_error_t *err)
{
    hub_job_req_t r;
    int kind = 0;
    int rc = want_object(obj, "req", err);

    memset(&r, 0, sizeof(r));
    if (rc == 0)
        rc = fields_from_json(obj, jobjson_req_fields,
                              NFIELDS(jobjson_req_fields), req_special, &r,
                              "req.", err);
    if (rc == 0)
        rc = enum_from_json(obj, "kind", jobjson_kind_name, 3, &kind, "req.",
                            err);
    if (rc == 0)
        rc = jobjson_deps_from_value(json_object_get(obj, "deps"), &r, err);
    if (rc < 0)
        return rc;
    r.kind = (hub_job_kind_t)kind;
    *req = r;
    return 0;
}

static int gpu_milli_from_json(const json_t *arr, hub_alloc_node_t *an,
                               const char *prefix, hub_error_t *err)
{
    static const jobjson_field_t milli = {"gpu_milli", JF_U32,        0, 0,
                                          0,           HUB_GPU_MILLI, 0};
    int64_t x;

    if (!arr)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > HUB_NODE_MAX_GPUS)
        return hub_errorf(err, EINVAL,
                          "%sgpu_milli: expected an array of at most %d",
                          prefix, HUB_NODE_MAX_GPUS);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        int rc = num_from_json(&milli, json_array_get(arr, i), &x, prefix, err);
        if (rc < 0)
            return rc;
        an->gpu_milli[i] = (uint16_t)x;
    }
    return 0;
}

static const jobjson_field_t alloc_fields[] = {
    U32(hub_alloc_node_t, node),
    U32(hub_alloc_node_t, cpus),
    NUM(hub_alloc_node_t, mem_mb, JF_U64, 0, INT64_MAX),
};

static int alloc_node_from_json(const json_t *o, size_t i, hub_alloc_node_t *an,
                                hub_error_t *err)
{
    static const char *const special[] = {"gpu_milli", NULL};
    char prefix[48];
    int rc;

    snprintf(prefix, sizeof(prefix), "alloc[%zu].", i);
    rc = want_object(o, prefix, err);
    if (rc == 0)
        rc = fields_from_json(o, alloc_fields, NFIELDS(alloc_fields), special,
                              an, prefix, err);
    if (rc == 0)
        rc = gpu_milli_from_json(json_object_get(o, "gpu_milli"), an, prefix,
                                 err);
    return rc;
}

int jobjson_alloc_from_json(const json_t *arr, hub_alloc_t *alloc,
                            hub_error_t *err)
{
    size_t n = json_array_size(arr);

    if (!arr)
        return 0;
    if (!json_is_array(arr) || n > ALLOC_NODES_MAX)
        return hub_errorf(err, EINVAL,
                          "alloc: expected an array of at most %d nodes",
                          ALLOC_NODES_MAX);
    if (n == 0)
        return 0;
    alloc->nodes = calloc(n, sizeof(*alloc->nodes));
    if (!alloc->nodes)
        return hub_errorf(err, ENOMEM, "alloc: out of memory");
    alloc->nnodes = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        int rc = alloc_node_from_json(json_array_get(arr, i), i,
                                      &alloc->nodes[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int job_enums_from_json(const json_t *obj, hub_job_t *j,
                               hub_error_t *err)
{
    int state, reason;
    int rc = enum_from_json(obj, "state", jobjson_state_name,
                            HUB_JOB_STATE_COUNT, &state, "", err);

    if (rc == 0)
        rc = enum_from_json(obj, "reason", jobjson_reason_name,
                            HUB_REASON_COUNT, &reason, "", err);
    if (rc < 0)
        return rc;
    j->state = (hub_job_state_t)state;
    j->reason = (hub_job_reason_t)reason;
    return 0;
}

static int job_parts_from_json(const json_t *obj, hub_job_t *j,
                               hub_error_t *err)
{
    const json_t *req = json_object_get(obj, "req");
    int rc =
        fields_from_json(obj, jobjson_job_fields, NFIELDS(jobjson_job_fields),
                         job_special, j, "", err);

    if (rc == 0)
        rc = job_enums_from_json(obj, j, err);
    if (rc == 0 && req)
        rc = hub_job_req_from_json(req, &j->req, err);
    if (rc == 0)
        rc = jobjson_alloc_from_json(json_object_get(obj, "alloc"), &j->alloc,
                                     err);
    return rc;
}

int hub_job_from_json(const json_t *obj, hub_job_t *job, hub_error_t *err)
{
    hub_job_t j;
    int rc = want_object(obj, "", err);

    if (rc < 0)
        return rc;
    memset(&j, 0, sizeof(j));
    j.array_task_id = -1;
    rc = job_parts_from_json(obj, &j, err);
    if (rc < 0) {
        hub_job_clear(&j);
        return rc;
    }
    *job = j;
    return 0;
}

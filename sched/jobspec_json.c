/* jobspec_json.c - the submission spec on the wire (hbatch -> hubctld).
 *
 * The controller decodes what an untrusted client sent, so decoding checks
 * everything a later stage relies on: types, unknown keys, every length
 * and count against the HUB_JOBSPEC_* limits, names free of control
 * characters, patterns that expand, an array spec that parses. Errors name
 * the field ("env[3]: expected NAME=value").
 */
#include "jobspec_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_OFF(m) offsetof(hub_jobspec_t, m)

/* The optional string members: key, offset of the char *, longest. */
static const struct str_field {
    const char *key;
    size_t off;
    size_t max;
} str_fields[] = {
    {"script", SPEC_OFF(script), HUB_JOBSPEC_SCRIPT_MAX},
    {"script_name", SPEC_OFF(script_name), HUB_JOBSPEC_PATH_MAX},
    {"workdir", SPEC_OFF(workdir), HUB_JOBSPEC_PATH_MAX},
    {"output", SPEC_OFF(output), HUB_JOBSPEC_PATH_MAX},
    {"error", SPEC_OFF(error), HUB_JOBSPEC_PATH_MAX},
    {"input", SPEC_OFF(input), HUB_JOBSPEC_PATH_MAX},
    {"comment", SPEC_OFF(comment), HUB_JOBSPEC_COMMENT_MAX},
    {"array", SPEC_OFF(array), HUB_JOBSPEC_ARRAY_TEXT_MAX},
};

#define NSTR (sizeof(str_fields) / sizeof(str_fields[0]))

static char **str_member(const hub_jobspec_t *spec, const struct str_field *f)
{
    return (char **)((char *)spec + f->off);
}

/* ---- encoding ------------------------------------------------------------ */

static json_t *strv_to_json(char *const *v, uint32_t n)
{
    json_t *arr = json_array();

    for (uint32_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, json_string(v[i]))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *hub_jobspec_to_json(const hub_jobspec_t *spec)
{
    json_t *o = json_object();
    int rc = o ? 0 : -1;

    if (rc == 0)
        rc = json_object_set_new(o, "req", hub_job_req_to_json(&spec->req));
    for (size_t i = 0; i < NSTR && rc == 0; i++) {
        const char *s = *str_member(spec, &str_fields[i]);
        if (s)
            rc = json_object_set_new(o, str_fields[i].key, json_string(s));
    }
    if (rc == 0)
        rc = json_object_set_new(o, "argv",
                                 strv_to_json(spec->argv, spec->argc));
    if (rc == 0)
        rc = json_object_set_new(o, "env", strv_to_json(spec->env, spec->nenv));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- decoding ------------------------------------------------------------ */

static int check_keys(const json_t *obj, hub_error_t *err)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        bool known = strcmp(key, "req") == 0 || strcmp(key, "argv") == 0 ||
                     strcmp(key, "env") == 0;
        for (size_t i = 0; i < NSTR && !known; i++)
            known = strcmp(key, str_fields[i].key) == 0;
        if (!known)
            return hub_errorf(err, EINVAL, "%s: unknown field", key);
    }
    return 0;
}

/* A JSON string without NUL of at most max bytes, copied to *dst. */
static int str_from_json(const json_t *v, size_t max, char **dst,
                         const char *what, hub_error_t *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);

    if (!s || strlen(s) != len || len > max)
        return hub_errorf(err, EINVAL,
                          "%s: expected a string of at most %zu bytes "
                          "without NUL",
                          what, max);
    *dst = strdup(s);
    return *dst ? 0 : -ENOMEM;
}

static int strs_from_json(const json_t *obj, hub_jobspec_t *s, hub_error_t *err)
{
    for (size_t i = 0; i < NSTR; i++) {
        const json_t *v = json_object_get(obj, str_fields[i].key);
        int rc;
        if (!v)
            continue;
        rc = str_from_json(v, str_fields[i].max, str_member(s, &str_fields[i]),
                           str_fields[i].key, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int env_entry_ok(const char *e, hub_error_t *err, size_t i)
{
    size_t name = strcspn(e, "=");

    if (name == 0 || e[name] != '=')
        return hub_errorf(err, EINVAL, "env[%zu]: expected NAME=value", i);
    return 0;
}

/* An array of at most max strings into *v (NULL-terminated), *n. */
static int strv_from_json(const json_t *arr, const char *what, uint32_t max,
                          char ***v, uint32_t *n, hub_error_t *err)
{
    size_t count = json_array_size(arr);
    char name[32];

    if (!arr)
        return 0;
    if (!json_is_array(arr) || count > max)
        return hub_errorf(err, EINVAL,
                          "%s: expected an array of at most %u "
                          "strings",
                          what, max);
    *v = calloc(count + 1, sizeof(char *));
    if (!*v)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        int rc;
        snprintf(name, sizeof(name), "%s[%zu]", what, i);
        rc = str_from_json(json_array_get(arr, i), HUB_JOBSPEC_STRING_MAX,
                           &(*v)[i], name, err);
        if (rc == 0)
            ++*n;
        if (rc == 0 && strcmp(what, "env") == 0)
            rc = env_entry_ok((*v)[i], err, i);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Name fields of the request: no control characters (and no blanks but
 * in the job name), as the options accept them. */
static int check_req_names(const hub_job_req_t *r, hub_error_t *err)
{
    const struct {
        const char *key;
        const char *val;
        size_t size;
    } names[] = {
        {"name", r->name, sizeof(r->name)},
        {"partition", r->partition, sizeof(r->partition)},
        {"hub", r->hub, sizeof(r->hub)},
        {"account", r->account, sizeof(r->account)},
        {"qos", r->qos, sizeof(r->qos)},
        {"gpu_type", r->gpu_type, sizeof(r->gpu_type)},
        {"constraint", r->constraint, sizeof(r->constraint)},
        {"data_hub", r->data_hub, sizeof(r->data_hub)},
        {"region", r->region, sizeof(r->region)},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int rc =
            names[i].val[0]
                ? jobspec_check_name(names[i].val, names[i].size, i == 0, err)
                : 0;
        if (rc < 0)
            return hub_error_prefix(err, rc, "req.%s", names[i].key);
    }
    if (r->gpus_per_node_milli > HUB_NODE_MAX_GPUS * HUB_GPU_MILLI)
        return hub_errorf(err, EINVAL,
                          "req.gpus_per_node_milli: more than "
                          "%d GPUs",
                          HUB_NODE_MAX_GPUS);
    return 0;
}

static int check_script(const hub_jobspec_t *s, hub_error_t *err)
{
    if (!s->script || strncmp(s->script, "#!", 2) != 0)
        return hub_errorf(err, EINVAL,
                          "script: expected a script starting "
                          "with #!");
    return 0;
}

static int array_from_text(hub_jobspec_t *s, hub_error_t *err)
{
    int rc;

    if (!s->array)
        return 0;
    rc = hub_jobspec_parse_array(s->array, &s->array_ids, &s->narray,
                                 &s->array_max_running, err);
    return rc == -EINVAL ? hub_error_prefix(err, rc, "array") : rc;
}

static int decode(const json_t *obj, hub_jobspec_t *s, hub_error_t *err)
{
    int rc = json_is_object(obj)
                 ? check_keys(obj, err)
                 : hub_errorf(err, EINVAL, "jobspec: expected an object");

    if (rc == 0 && !json_object_get(obj, "req"))
        rc = hub_errorf(err, EINVAL, "req: missing");
    if (rc == 0)
        rc = hub_job_req_from_json(json_object_get(obj, "req"), &s->req, err);
    if (rc == 0)
        rc = check_req_names(&s->req, err);
    if (rc == 0)
        rc = strs_from_json(obj, s, err);
    if (rc == 0)
        rc = check_script(s, err);
    if (rc == 0)
        rc = strv_from_json(json_object_get(obj, "argv"), "argv",
                            HUB_JOBSPEC_ARGS_MAX, &s->argv, &s->argc, err);
    if (rc == 0)
        rc = strv_from_json(json_object_get(obj, "env"), "env",
                            HUB_JOBSPEC_ENV_MAX, &s->env, &s->nenv, err);
    if (rc == 0)
        rc = jobspec_check_exec_size(s, err);
    if (rc == 0)
        rc = jobspec_check_patterns(s, err);
    if (rc == 0)
        rc = array_from_text(s, err);
    return rc;
}

int hub_jobspec_from_json(const json_t *obj, hub_jobspec_t *spec,
                          hub_error_t *err)
{
    hub_jobspec_t s;
    int rc;

    hub_jobspec_init(&s);
    rc = decode(obj, &s, err);
    if (rc < 0) {
        hub_jobspec_fini(&s);
        return rc == -ENOMEM ? hub_errorf(err, ENOMEM, "out of memory") : rc;
    }
    hub_jobspec_fini(spec);
    *spec = s;
    return 0;
}

/* op_query.c - read-only ops: ping, queue, job, info, acct. */
#include "config.h"

#include "ctld.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"
#include "log.h"
#include "meter.h"

json_t *op_ping(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    const char *cluster = c->conf->globals.cluster_name;

    return json_pack("{s:i, s:s, s:s, s:I, s:I, s:I}", "rc", 0, "version",
                     PACKAGE_VERSION, "cluster", cluster ? cluster : "",
                     "now_ms", (json_int_t)hub_sched_now(c->sched), "jobs",
                     (json_int_t)hub_sched_count(c->sched), "pending",
                     (json_int_t)hub_sched_count_pending(c->sched));
}

/* ---- queue ---------------------------------------------------------------
 */

/* A listed job, with its id at hand for sorting without touching it. */
typedef struct queue_hit {
    hub_job_id_t id;
    hub_job_t *job;
} queue_hit_t;

typedef struct queue_filter {
    job_ref_t *refs; /* nrefs parsed "ids", or NULL */
    size_t nrefs;
    json_t *partitions, *states, *names; /* arrays or NULL */
    const char *user, *hub;
    json_int_t uid; /* -1 = any */
    ctld_t *ctld;
    queue_hit_t *jobs; /* the matches, by id once op_queue sorted them */
    size_t njobs, cap;
    uint64_t want;  /* the table's columns asked for (~0: all) */
    bool placement; /* ... and "nodelist", "hub_name" */
} queue_filter_t;

static bool ref_match(const queue_filter_t *f, const hub_job_t *job)
{
    for (size_t i = 0; i < f->nrefs; i++) {
        if (job_ref_matches(&f->refs[i], job))
            return true;
    }
    return false;
}

/* Parse the table's "columns" (absent: all) into f->want and
 * f->placement; -EINVAL names an unknown one in err. */
static int parse_columns(json_t *names, queue_filter_t *f, hub_error_t *err)
{
    size_t i;
    json_t *x;

    f->want = names ? 0 : ~0ull;
    f->placement = !names;
    if (names && !json_is_array(names))
        return hub_errorf(err, EINVAL, "columns: expected an array of names");
    json_array_foreach(names, i, x)
    {
        const char *s = json_string_value(x);
        int col = s ? hub_job_column_find(s) : -1;

        if (col >= 0)
            f->want |= 1ull << col;
        else if (s && (!strcmp(s, "nodelist") || !strcmp(s, "hub_name")))
            f->placement = true;
        else
            return hub_errorf(err, EINVAL, "columns[%zu]: not a job column", i);
    }
    return 0;
}

/* Parse the "ids" filter; -EINVAL names the bad one in err. */
static int parse_refs(json_t *ids, queue_filter_t *f, hub_error_t *err)
{
    size_t i;
    json_t *x;

    if (!ids)
        return 0;
    f->refs = calloc(json_array_size(ids) + 1, sizeof(*f->refs));
    if (!f->refs)
        return hub_errorf(err, ENOMEM, "out of memory");
    json_array_foreach(ids, i, x)
    {
        if (job_ref_parse(x, &f->refs[f->nrefs++]) < 0)
            return hub_errorf(err, EINVAL, "ids[%zu]: not a job id", i);
    }
    return 0;
}

static bool in_str_array(json_t *a, const char *v)
{
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x)
    {
        const char *s = json_string_value(x);
        if (s && strcmp(s, v) == 0)
            return true;
    }
    return false;
}

static bool state_matches(json_t *states, hub_job_state_t st)
{
    size_t i;
    json_t *x;
    json_array_foreach(states, i, x)
    {
        const char *s = json_string_value(x);
        if (s && hub_job_state_parse(s) == (int)st)
            return true;
    }
    return false;
}

static bool queue_match(const queue_filter_t *f, const hub_job_t *job)
{
    if (f->uid >= 0 && job->uid != (uid_t)f->uid)
        return false;
    if (f->user && strcmp(f->user, job->user) != 0)
        return false;
    if (f->refs && !ref_match(f, job))
        return false;
    if (f->partitions && !in_str_array(f->partitions, job->req.partition))
        return false;
    if (f->names && !in_str_array(f->names, job->req.name))
        return false;
    if (f->states && !state_matches(f->states, job->state))
        return false;
    if (f->hub && strcmp(f->hub, job->req.hub) != 0 &&
        !(job->alloc.nnodes &&
          strcmp(f->hub, f->ctld->conf->hubs[job->hub].name) == 0))
        return false;
    return true;
}

static int queue_one(hub_job_t *job, void *arg)
{
    queue_filter_t *f = arg;

    if (!queue_match(f, job))
        return 0;
    if (f->njobs == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;
        queue_hit_t *v = realloc(f->jobs, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        f->jobs = v;
        f->cap = cap;
    }
    f->jobs[f->njobs++] = (queue_hit_t){job->id, job};
    return 0;
}

static json_t *queue_objects(const queue_filter_t *f)
{
    json_t *jobs = json_array();

    for (size_t i = 0; jobs && i < f->njobs; i++)
        json_array_append_new(jobs, run_job_json(f->ctld, f->jobs[i].job));
    return jobs;
}

/* Answers list jobs by id. The order also makes the two passes of the
 * table form over 100,000 jobs (1 KB each) walk memory about as it was
 * allocated rather than in the job table's hash order, which halves
 * their time (25 + 37 ms instead of 60 + 70 ms in a test program). */
static int by_id(const void *a, const void *b)
{
    const queue_hit_t *x = a, *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

/* A row's "nodelist" and "hub_name" cells, after the job's own. */
static void placement_write(ctld_t *c, const hub_job_t *job,
                            hub_rpc_writer_t *w)
{
    const char *hub = job->alloc.nnodes ? c->conf->hubs[job->hub].name : "";
    char *nodes = NULL;

    if (job->alloc.nnodes)
        nodes = hub_cluster_alloc_nodelist(hub_sched_cluster(c->sched),
                                           &job->alloc);
    hub_rpc_writer_text(w, ",");
    hub_rpc_writer_string(w, nodes ? nodes : "", nodes ? strlen(nodes) : 0);
    hub_rpc_writer_text(w, ",");
    hub_rpc_writer_string(w, hub, strlen(hub));
    free(nodes);
}

/* The columns asked for that some listed job needs (hub_job_columns),
 * and "nodelist" and "hub_name" (*placed) when asked for and some job
 * holds nodes. */
static json_t *table_columns(const queue_filter_t *f, uint64_t *cols,
                             bool *placed)
{
    json_t *names;

    *cols = 0;
    *placed = false;
    for (size_t i = 0; i < f->njobs; i++) {
        *cols |= hub_job_columns(f->jobs[i].job, f->want);
        *placed = *placed || (f->placement && f->jobs[i].job->alloc.nnodes);
    }
    names = hub_job_column_names(*cols);
    if (names && *placed &&
        (json_array_append_new(names, json_string("nodelist")) ||
         json_array_append_new(names, json_string("hub_name")))) {
        json_decref(names);
        return NULL;
    }
    return names;
}

/* The table form (doc/protocol.md) as a frame: head's members with
 * "columns", then "rows" written straight into the frame's text. At
 * 100,000 jobs, building the rows as 1.4 million jansson values and
 * encoding them (twice, then) cost about 0.5 s of CPU; written directly
 * the whole answer costs about 0.1 s, most of it reading the jobs. */
static int queue_table(const queue_filter_t *f, json_t *head, char **frame,
                       size_t *len, hub_error_t *err)
{
    hub_rpc_writer_t w;
    uint64_t cols;
    bool placed;
    json_t *names = table_columns(f, &cols, &placed);

    if (!names || json_object_set_new(head, "columns", names))
        return hub_errorf(err, ENOMEM, "out of memory");
    hub_rpc_writer_init(&w);
    hub_rpc_writer_open(&w, head);
    hub_rpc_writer_key(&w, "rows");
    hub_rpc_writer_text(&w, "[");
    for (size_t i = 0; i < f->njobs && !w.rc; i++) {
        hub_rpc_writer_text(&w, i ? ",[" : "[");
        hub_job_row_write(&w, f->jobs[i].job, cols);
        if (placed)
            placement_write(f->ctld, f->jobs[i].job, &w);
        hub_rpc_writer_text(&w, "]");
    }
    hub_rpc_writer_text(&w, "]}");
    return hub_rpc_writer_finish(&w, frame, len, err);
}

/* Reply with the table form; NULL once sent, else an error answer
 * (-EMSGSIZE: the rows do not fit a frame). head is stolen. */
static json_t *reply_table(conn_t *conn, reply_t *slot, const queue_filter_t *f,
                           json_t *head)
{
    hub_error_t err;
    char *frame;
    size_t len;
    int rc = json_object_set_new(head, "seq", json_integer(slot->seq))
                 ? hub_errorf(&err, ENOMEM, "out of memory")
                 : queue_table(f, head, &frame, &len, &err);

    json_decref(head);
    if (rc < 0)
        return answer_error(rc, &err);
    conn_reply_frame(conn, slot, frame, len);
    return NULL;
}

json_t *op_queue(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    json_t *juid = json_object_get(req, "uid");
    hub_error_t err;
    queue_filter_t f = {
        .partitions = json_object_get(req, "partitions"),
        .states = json_object_get(req, "states"),
        .names = json_object_get(req, "names"),
        .user = json_string_value(json_object_get(req, "user")),
        .hub = json_string_value(json_object_get(req, "hub")),
        .uid = json_is_integer(juid) ? json_integer_value(juid) : -1,
        .ctld = c,
    };
    json_t *answer = NULL;

    if (parse_refs(json_object_get(req, "ids"), &f, &err) < 0 ||
        parse_columns(json_object_get(req, "columns"), &f, &err) < 0)
        answer = answer_error(-EINVAL, &err);
    else if (hub_sched_foreach(c->sched, queue_one, &f) != 0)
        answer = answer_error(-ENOMEM, NULL);
    if (!answer) {
        if (f.njobs > 1)
            qsort(f.jobs, f.njobs, sizeof(*f.jobs), by_id);
        answer = json_pack("{s:i, s:I}", "rc", 0, "now_ms",
                           (json_int_t)hub_sched_now(c->sched));
        if (!answer)
            answer = answer_error(-ENOMEM, NULL);
        else if (json_is_true(json_object_get(req, "table")))
            answer = reply_table(conn, slot, &f, answer);
        else
            json_object_set_new(answer, "jobs", queue_objects(&f));
    }
    free(f.refs);
    free(f.jobs);
    return answer;
}

/* ---- job -----------------------------------------------------------------
 */

json_t *op_job(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    hub_error_t err;
    hub_job_t *job = job_ref_find(c, json_object_get(req, "id"), &err);
    json_t *answer, *factors, *hubsel, *spec;

    if (!job)
        return answer_error(-ENOENT, &err);
    answer = json_pack("{s:i, s:o, s:I}", "rc", 0, "job", run_job_json(c, job),
                       "now_ms", (json_int_t)hub_sched_now(c->sched));
    if ((factors = hub_sched_explain_priority(c->sched, job)))
        json_object_set_new(answer, "priority_factors", factors);
    if ((hubsel = hub_sched_explain_hub(c->sched, job)))
        json_object_set_new(answer, "hub_choice", hubsel);
    if (may_touch_job(conn, job) &&
        (spec = hub_store_get_spec(c->reader, job->id, &err)))
        json_object_set_new(answer, "spec", spec);
    return answer;
}

/* ---- info ----------------------------------------------------------------
 */

static json_t *node_json(const hub_node_t *n, const hub_conf_t *conf)
{
    json_t *gpus = json_array();
    const char *state = n->state & HUB_NODE_DOWN      ? "DOWN"
                        : n->state & HUB_NODE_DRAIN   ? "DRAIN"
                        : n->state & HUB_NODE_UNKNOWN ? "UNKNOWN"
                        : n->njobs == 0               ? "IDLE"
                        : n->cpus_free == 0 || n->exclusive ||
                                (n->ngpus && n->gpu_milli_free == 0)
                            ? "ALLOCATED"
                            : "MIXED";

    for (uint32_t g = 0; g < n->ngpus; g++)
        json_array_append_new(gpus, json_integer(n->gpu_free_milli[g]));
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:i, s:s, s:o, s:i}", "name",
        n->conf->name, "hub", conf->hubs[n->hub].name, "state", state, "reason",
        n->reason, "cpus", (int)n->cpus, "cpus_free", (int)n->cpus_free,
        "mem_mb", (json_int_t)n->mem_mb, "mem_free_mb",
        (json_int_t)n->mem_free_mb, "gpus", (int)n->ngpus, "gpu_type",
        n->conf->gpu_type_name ? n->conf->gpu_type_name : "", "gpu_free_milli",
        gpus, "jobs", (int)n->njobs);
}

static json_t *hubs_json(const hub_conf_t *conf)
{
    json_t *a = json_array();
    for (size_t i = 0; i < conf->nhubs; i++) {
        const hub_conf_hub_t *h = &conf->hubs[i];
        json_array_append_new(
            a,
            json_pack("{s:s, s:s, s:f, s:f, s:f}", "name", h->name, "region",
                      h->region ? h->region : "", "pue", h->pue, "power_price",
                      h->power_price, "carbon_intensity", h->carbon_intensity));
    }
    return a;
}

static json_t *partitions_json(const hub_conf_t *conf)
{
    json_t *a = json_array();
    for (size_t i = 0; i < conf->npartitions; i++) {
        const hub_conf_partition_t *p = &conf->partitions[i];
        json_t *nodes = json_array();
        for (size_t k = 0; k < p->nnodes; k++)
            json_array_append_new(
                nodes, json_string(conf->nodes[p->node_idx[k]].name));
        json_array_append_new(
            a, json_pack("{s:s, s:b, s:I, s:s, s:o}", "name", p->name,
                         "default", p->is_default, "max_time_s",
                         (json_int_t)p->max_time_s, "state",
                         hub_conf_part_state_name(p->state), "nodes", nodes));
    }
    return a;
}

json_t *op_info(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    hub_cluster_t *cl = hub_sched_cluster(c->sched);
    json_t *nodes = json_array();

    for (uint32_t i = 0; i < cl->nnodes; i++) {
        json_t *n = node_json(&cl->nodes[i], c->conf);
        nodes_info(c, i, n);
        json_array_append_new(nodes, n);
    }
    return json_pack("{s:i, s:o, s:o, s:o, s:I}", "rc", 0, "hubs",
                     hubs_json(c->conf), "partitions", partitions_json(c->conf),
                     "nodes", nodes, "now_ms",
                     (json_int_t)hub_sched_now(c->sched));
}

/* ---- acct ----------------------------------------------------------------
 */

typedef struct acct_ctx {
    ctld_t *ctld;
    json_t *out;
    bool job_file; /* the request asked for each job's job_file */
} acct_ctx_t;

static double gpu_hours(const hub_job_t *job)
{
    double gpus = 0;
    for (uint32_t i = 0; i < job->alloc.nnodes; i++) {
        for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
            gpus += job->alloc.nodes[i].gpu_milli[g] / (double)HUB_GPU_MILLI;
    }
    if (job->start_ms <= 0 || job->end_ms < job->start_ms)
        return 0;
    return gpus * (job->end_ms - job->start_ms) / 3600e3;
}

/* "NAME"'s non-empty value in the spec's env array, or NULL. */
static const char *spec_env(const json_t *spec, const char *name)
{
    size_t n = strlen(name), i;
    json_t *v;

    json_array_foreach(json_object_get(spec, "env"), i, v)
    {
        const char *e = json_string_value(v);
        if (e && strncmp(e, name, n) == 0 && e[n] == '=' && e[n + 1])
            return e + n + 1;
    }
    return NULL;
}

/* The job's HDF5 job file by hubd's rule (launcher/hubd/job_env.c,
 * set_job_file): the spec's HUB_JOB_FILE or HUB_METRICS_FILE (a relative
 * one against the working directory), else <workdir>/hubjob-<id>.h5.
 * NULL when the launch data are gone. */
static json_t *job_file_json(ctld_t *c, const hub_job_t *job)
{
    hub_error_t err;
    json_t *spec = hub_store_get_spec(c->reader, job->id, &err), *out = NULL;
    const char *wd = json_string_value(json_object_get(spec, "workdir"));
    const char *file = spec_env(spec, "HUB_JOB_FILE");
    char path[4096];

    if (!file)
        file = spec_env(spec, "HUB_METRICS_FILE");
    if (wd && file && file[0] == '/')
        snprintf(path, sizeof(path), "%s", file);
    else if (wd && file)
        snprintf(path, sizeof(path), "%s/%s", wd, file);
    else if (wd)
        snprintf(path, sizeof(path), "%s/hubjob-%u.h5", wd, job->id);
    if (wd)
        out = json_string(path);
    json_decref(spec);
    return out;
}

/* Compute metering (meter.h) into the job's answer. */
static void meter_json(ctld_t *c, const hub_job_t *job, json_t *j)
{
    hub_meter_t m;

    hub_meter_job(c->conf, job, hub_sched_now(c->sched), &m);
    json_object_set_new(j, "pflop_hours", json_real(m.pflop_hours));
    json_object_set_new(j, "energy_kwh", json_real(m.energy_kwh));
    json_object_set_new(j, "co2_kg", json_real(m.co2_kg));
    json_object_set_new(j, "cost", json_real(m.cost));
}

static int acct_one(hub_job_t *job, void *arg)
{
    acct_ctx_t *a = arg;
    json_t *j = run_job_json(a->ctld, job), *file;
    json_object_set_new(j, "gpu_hours", json_real(gpu_hours(job)));
    meter_json(a->ctld, job, j);
    if (a->job_file && (file = job_file_json(a->ctld, job)))
        json_object_set_new(j, "job_file", file);
    json_array_append_new(a->out, j);
    return 0;
}

static uint32_t state_mask(json_t *states)
{
    uint32_t mask = 0;
    size_t i;
    json_t *x;
    json_array_foreach(states, i, x)
    {
        int st = json_string_value(x)
                     ? hub_job_state_parse(json_string_value(x))
                     : -1;
        if (st >= 0)
            mask |= 1u << st;
    }
    return mask;
}

json_t *op_acct(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    json_t *juid = json_object_get(req, "uid");
    json_t *jend = json_object_get(req, "end_ms");
    hub_store_query_t q = {
        .start_ms = json_integer_value(json_object_get(req, "start_ms")),
        .end_ms = json_is_integer(jend) ? json_integer_value(jend) : INT64_MAX,
        .uid = json_is_integer(juid) ? json_integer_value(juid) : -1,
        .state_mask = state_mask(json_object_get(req, "states")),
        .limit = (uint32_t)json_integer_value(json_object_get(req, "limit")),
    };
    acct_ctx_t a = {.ctld = c,
                    .out = json_array(),
                    .job_file = json_is_true(json_object_get(req, "job_file"))};
    hub_error_t err;
    int rc = hub_store_query(c->reader, &q, acct_one, &a, &err);

    if (rc < 0) {
        json_decref(a.out);
        return answer_error(rc, &err);
    }
    return json_pack("{s:i, s:o}", "rc", 0, "jobs", a.out);
}

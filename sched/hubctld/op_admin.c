/* op_admin.c - ops that change jobs, nodes or the configuration: cancel,
 * hold, release, requeue, update, node_update, reconfigure. Each job-wide
 * op takes ids ("12", "12_3", "12" naming a whole array) and/or filters,
 * and answers which jobs it changed and why it refused the others. */
#include "ctld.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostlist.h"
#include "log.h"
#include "units.h"

/* ---- selecting jobs by ids and filters -----------------------------------
 */

typedef struct selection {
    hub_job_t **jobs;
    size_t n, cap;
    json_t *errors; /* [{id, error}] for ids that name no job */
} selection_t;

static int select_push(selection_t *sel, hub_job_t *job)
{
    for (size_t i = 0; i < sel->n; i++) {
        if (sel->jobs[i] == job)
            return 0;
    }
    if (sel->n == sel->cap) {
        size_t cap = sel->cap ? sel->cap * 2 : 16;
        hub_job_t **v = realloc(sel->jobs, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        sel->jobs = v;
        sel->cap = cap;
    }
    sel->jobs[sel->n++] = job;
    return 0;
}

static void push_error(selection_t *sel, const char *id, const char *msg)
{
    json_array_append_new(sel->errors,
                          json_pack("{s:s, s:s}", "id", id, "error", msg));
}

typedef struct id_match {
    job_ref_t ref;
    selection_t *sel;
    int found;       /* jobs the ref names */
    int live;        /* of them, not ended */
    bool skip_ended; /* a whole array with live tasks: leave ended ones */
} id_match_t;

static int count_ref(hub_job_t *job, void *arg)
{
    id_match_t *m = arg;
    if (job_ref_matches(&m->ref, job)) {
        m->found++;
        m->live += !hub_job_state_is_final(job->state);
    }
    return 0;
}

static int match_ref(hub_job_t *job, void *arg)
{
    id_match_t *m = arg;
    if (job_ref_matches(&m->ref, job) &&
        !(m->skip_ended && hub_job_state_is_final(job->state)))
        select_push(m->sel, job);
    return 0;
}

/* 12, "12" or "12_3": the job, a whole array, or an array's task. */
static void select_id(ctld_t *c, selection_t *sel, json_t *jid)
{
    id_match_t m = {.sel = sel};
    char text[48];

    if (json_is_integer(jid))
        snprintf(text, sizeof(text), "%lld",
                 (long long)json_integer_value(jid));
    else
        snprintf(text, sizeof(text), "%.40s",
                 json_string_value(jid) ? json_string_value(jid) : "?");
    if (job_ref_parse(jid, &m.ref) < 0) {
        push_error(sel, text, "not a job id");
        return;
    }
    hub_sched_foreach(c->sched, count_ref, &m);
    if (!m.found) {
        push_error(sel, text, "Invalid job id specified");
        return;
    }
    /* "12" naming an array whose tasks partly ended touches the others,
     * as scancel 12 does; errors for ended tasks only when all ended. */
    m.skip_ended = m.ref.task < 0 && m.found > 1 && m.live > 0;
    hub_sched_foreach(c->sched, match_ref, &m);
}

typedef struct filter {
    selection_t *sel;
    const char *user, *name, *partition;
    json_t *states;
} filter_t;

static int match_filter(hub_job_t *job, void *arg)
{
    filter_t *f = arg;
    bool state_ok = !f->states || json_array_size(f->states) == 0;
    size_t i;
    json_t *x;

    if (hub_job_state_is_final(job->state))
        return 0;
    json_array_foreach(f->states, i, x)
    {
        const char *s = json_string_value(x);
        state_ok = state_ok || (s && hub_job_state_parse(s) == (int)job->state);
    }
    if (state_ok && (!f->user || strcmp(f->user, job->user) == 0) &&
        (!f->name || strcmp(f->name, job->req.name) == 0) &&
        (!f->partition || strcmp(f->partition, job->req.partition) == 0))
        select_push(f->sel, job);
    return 0;
}

static void select_jobs(ctld_t *c, json_t *req, selection_t *sel)
{
    json_t *ids = json_object_get(req, "ids");
    filter_t f = {
        .sel = sel,
        .user = json_string_value(json_object_get(req, "user")),
        .name = json_string_value(json_object_get(req, "name")),
        .partition = json_string_value(json_object_get(req, "partition")),
        .states = json_object_get(req, "states"),
    };
    size_t i;
    json_t *x;

    sel->errors = json_array();
    json_array_foreach(ids, i, x) select_id(c, sel, x);
    if (json_array_size(ids) == 0 &&
        (f.user || f.name || f.partition || f.states))
        hub_sched_foreach(c->sched, match_filter, &f);
}

/* Apply fn to every selected job the caller may touch; answer with done
 * ids and per-job errors. */
typedef int (*job_fn)(conn_t *conn, hub_job_t *job, json_t *req,
                      hub_error_t *err);

static json_t *for_each_selected(conn_t *conn, json_t *req, job_fn fn)
{
    selection_t sel = {0};
    json_t *done = json_array();
    hub_error_t err;
    char id[32];

    select_jobs(conn->ctld, req, &sel);
    for (size_t i = 0; i < sel.n; i++) {
        hub_job_t *job = sel.jobs[i];
        int rc = may_touch_job(conn, job)
                     ? fn(conn, job, req, &err)
                     : hub_errorf(&err, EPERM, "Permission denied");
        job_ref_text(job, id, sizeof(id));
        if (rc < 0)
            push_error(&sel, id, err.text);
        else
            json_array_append_new(done, json_integer(job->id));
    }
    free(sel.jobs);
    run_pass_soon(conn->ctld);
    return json_pack("{s:i, s:o, s:o}", "rc", 0, "done", done, "errors",
                     sel.errors);
}

/* ---- the job ops ---------------------------------------------------------
 */

static int cancel_job(conn_t *conn, hub_job_t *job, json_t *req,
                      hub_error_t *err)
{
    json_t *jsig = json_object_get(req, "signal");
    int sig = json_is_integer(jsig) ? (int)json_integer_value(jsig) : 0;

    if (hub_job_state_is_final(job->state) || job->state == HUB_JOB_COMPLETING)
        return hub_errorf(err, EINVAL,
                          "Job/step already completing or "
                          "completed");
    if (sig && job->state != HUB_JOB_RUNNING)
        return hub_errorf(err, EINVAL, "job is not running: cannot signal");
    if (sig && sig != SIGKILL && sig != SIGTERM)
        return run_signal_job(conn->ctld, job, sig, err);
    run_cancel_job(conn->ctld, job, sig);
    return 0;
}

static int hold_job(conn_t *conn, hub_job_t *job, json_t *req, hub_error_t *err)
{
    bool admin = conn->privileged && conn->uid != job->uid;
    if (hub_sched_hold(conn->ctld->sched, job, admin) < 0)
        return hub_errorf(err, EINVAL, "Job is no longer pending");
    run_persist(conn->ctld, job);
    return 0;
}

static int release_job(conn_t *conn, hub_job_t *job, json_t *req,
                       hub_error_t *err)
{
    int rc = hub_sched_release(conn->ctld->sched, job, conn->privileged);
    if (rc == -EPERM)
        return hub_errorf(err, EPERM, "held by an administrator");
    if (rc < 0)
        return hub_errorf(err, EINVAL, "Job is no longer pending");
    run_persist(conn->ctld, job);
    return 0;
}

static int requeue_job(conn_t *conn, hub_job_t *job, json_t *req,
                       hub_error_t *err)
{
    if (job->state != HUB_JOB_RUNNING)
        return hub_errorf(err, EINVAL, "only running jobs can be requeued");
    run_requeue_job(conn->ctld, job);
    return 0;
}

json_t *op_cancel(conn_t *conn, json_t *req, reply_t *slot)
{
    return for_each_selected(conn, req, cancel_job);
}

json_t *op_hold(conn_t *conn, json_t *req, reply_t *slot)
{
    return for_each_selected(conn, req, hold_job);
}

json_t *op_release(conn_t *conn, json_t *req, reply_t *slot)
{
    return for_each_selected(conn, req, release_job);
}

json_t *op_requeue(conn_t *conn, json_t *req, reply_t *slot)
{
    return for_each_selected(conn, req, requeue_job);
}

/* ---- update --------------------------------------------------------------
 */

static int update_time(ctld_t *c, conn_t *conn, hub_job_t *job, json_t *v,
                       hub_error_t *err)
{
    json_int_t secs = json_integer_value(v);
    const hub_conf_partition_t *p =
        hub_conf_find_partition(c->conf, job->req.partition);

    if (!json_is_integer(v) || secs <= 0)
        return hub_errorf(err, EINVAL, "TimeLimit: not a positive duration");
    if (!conn->privileged && secs > job->req.time_limit_s)
        return hub_errorf(err, EPERM,
                          "TimeLimit: only root or an operator "
                          "may raise a time limit");
    if (p && secs > p->max_time_s)
        return hub_errorf(err, EINVAL,
                          "TimeLimit: exceeds partition '%s' "
                          "MaxTime",
                          p->name);
    job->req.time_limit_s = secs;
    return 0;
}

/* Move a pending job to another partition, checked as at submission. */
static int update_partition(ctld_t *c, hub_job_t *job, json_t *v,
                            hub_error_t *err)
{
    hub_job_req_t req = job->req;
    const char *name = json_string_value(v);

    if (job->state != HUB_JOB_PENDING)
        return hub_errorf(err, EINVAL, "Partition: the job is not pending");
    if (!name || strlen(name) >= sizeof(req.partition))
        return hub_errorf(err, EINVAL, "Partition: not a partition name");
    snprintf(req.partition, sizeof(req.partition), "%s", name);
    if (hub_sched_validate(c->sched, &req, err) < 0)
        return hub_error_prefix(err, -EINVAL, "Partition=%s", name);
    job->req = req;
    return 0;
}

static int update_fields(conn_t *conn, hub_job_t *job, json_t *req,
                         hub_error_t *err)
{
    ctld_t *c = conn->ctld;
    json_t *v;
    int rc = 0;

    if ((v = json_object_get(req, "time_limit_s")))
        rc = update_time(c, conn, job, v, err);
    if (rc == 0 && (v = json_object_get(req, "priority"))) {
        if (!conn->privileged)
            return hub_errorf(err, EPERM,
                              "Priority: only root or an "
                              "operator may set a priority");
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return hub_errorf(err, EINVAL, "Priority: not a number >= 0");
        job->priority_fixed = json_integer_value(v);
    }
    if (rc == 0 && (v = json_object_get(req, "partition")))
        rc = update_partition(c, job, v, err);
    if (rc == 0 && (v = json_object_get(req, "nice"))) {
        if (json_integer_value(v) < 0 && !conn->privileged)
            return hub_errorf(err, EPERM,
                              "Nice: only root or an operator "
                              "may set a negative nice");
        job->req.nice = (int32_t)json_integer_value(v);
    }
    if (rc == 0 && (v = json_object_get(req, "name")) && json_is_string(v))
        snprintf(job->req.name, sizeof(job->req.name), "%s",
                 json_string_value(v));
    return rc;
}

json_t *op_update(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    hub_error_t err;
    hub_job_t *job = job_ref_find(c, json_object_get(req, "id"), &err);
    int rc;

    if (!job)
        return answer_error(-ENOENT, &err);
    if (!may_touch_job(conn, job)) {
        hub_errorf(&err, EPERM, "job %u: Permission denied", job->id);
        return answer_error(-EPERM, &err);
    }
    if ((rc = update_fields(conn, job, req, &err)) < 0)
        return answer_error(rc, &err);
    run_persist(c, job);
    run_pass_soon(c);
    return json_pack("{s:i, s:o}", "rc", 0, "job", run_job_json(c, job));
}

/* ---- nodes and configuration ---------------------------------------------
 */

static int apply_node_state(ctld_t *c, uint32_t idx, const char *state,
                            const char *reason, hub_error_t *err)
{
    if (strcasecmp(state, "DRAIN") == 0)
        hub_sched_node_state(c->sched, idx, HUB_NODE_DRAIN, 0, reason);
    else if (strcasecmp(state, "RESUME") == 0)
        hub_sched_node_state(c->sched, idx, 0, HUB_NODE_DRAIN | HUB_NODE_DOWN,
                             NULL);
    else if (strcasecmp(state, "DOWN") == 0)
        run_node_down(c, idx, reason);
    else
        return hub_errorf(err, EINVAL, "State=%s: use DRAIN, RESUME or DOWN",
                          state);
    return 0;
}

static json_t *refuse(int rc, const char *fmt, const char *arg)
{
    hub_error_t err;
    hub_errorf(&err, -rc, fmt, arg);
    return answer_error(rc, &err);
}

json_t *op_node_update(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    const char *expr = json_string_value(json_object_get(req, "nodes"));
    const char *state = json_string_value(json_object_get(req, "state"));
    const char *reason = json_string_value(json_object_get(req, "reason"));
    hub_error_t err;
    hub_hostlist_t *hl;
    json_t *done;

    if (!conn->privileged)
        return refuse(-EPERM, "%s",
                      "only root or an operator may change "
                      "nodes");
    if (!expr || !state || !(hl = hub_hostlist_from_expr(expr, &err)))
        return refuse(-EINVAL, "%s",
                      expr && state ? err.text : "nodes and state needed");
    done = json_array();
    for (size_t i = 0; i < hub_hostlist_count(hl); i++) {
        const char *name = hub_hostlist_nth(hl, i);
        long idx = hub_cluster_find_node(hub_sched_cluster(c->sched), name);
        if (idx < 0 || apply_node_state(c, (uint32_t)idx, state,
                                        reason ? reason : "", &err) < 0) {
            /* name lives in hl: make the answer before freeing it. */
            json_t *answer =
                idx < 0 ? refuse(-ENOENT, "node '%s': no such node", name)
                        : answer_error(-EINVAL, &err);
            hub_hostlist_destroy(hl);
            json_decref(done);
            return answer;
        }
        json_array_append_new(done, json_string(name));
    }
    hub_hostlist_destroy(hl);
    run_pass_soon(c);
    return json_pack("{s:i, s:o}", "rc", 0, "done", done);
}

json_t *op_reconfigure(conn_t *conn, json_t *req, reply_t *slot)
{
    hub_error_t err;
    int rc;

    if (!conn->privileged)
        return refuse(-EPERM, "%s",
                      "only root or an operator may "
                      "reconfigure");
    if ((rc = run_reconfigure(conn->ctld, &err)) < 0)
        return answer_error(rc, &err);
    return json_pack("{s:i, s:s}", "rc", 0, "message",
                     "configuration reloaded");
}

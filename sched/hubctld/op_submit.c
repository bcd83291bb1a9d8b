/* op_submit.c - the submit op: check the spec, make the job (or an
 * array's tasks), queue it for the next group commit and acknowledge only
 * once it is durable. */
#include "ctld.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"
#include "log.h"

typedef struct submit {
    conn_t *conn;
    reply_t *slot;
    hub_job_t *jobs; /* n jobs, added to the scheduler once durable */
    uint32_t n;
} submit_t;

static void user_name(uid_t uid, char *buf, size_t len)
{
    static uid_t cached_uid = (uid_t)-1;
    static char cached[HUB_NAME_MAX];
    struct passwd pw, *res = NULL;
    char tmp[1024];

    if (uid != cached_uid) {
        if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
            snprintf(cached, sizeof(cached), "%s", pw.pw_name);
        else
            snprintf(cached, sizeof(cached), "%u", (unsigned)uid);
        cached_uid = uid;
    }
    snprintf(buf, len, "%s", cached);
}

static void fill_job(ctld_t *c, conn_t *conn, const hub_jobspec_t *spec,
                     const hub_job_req_t *req, hub_job_t *job)
{
    memset(job, 0, sizeof(*job));
    job->id = c->next_id++;
    job->array_task_id = -1;
    job->uid = conn->uid;
    job->gid = conn->gid;
    user_name(conn->uid, job->user, sizeof(job->user));
    job->req = *req;
    job->state = HUB_JOB_PENDING;
    job->submit_ms = hub_sched_now(c->sched);
    if (req->hold)
        job->held = true;
    job->reason = req->hold ? HUB_REASON_HELD_USER : HUB_REASON_NONE;
    (void)spec;
}

static int make_jobs(ctld_t *c, conn_t *conn, const hub_jobspec_t *spec,
                     const hub_job_req_t *req, submit_t *sub)
{
    uint32_t n = spec->narray ? spec->narray : 1;

    sub->jobs = calloc(n, sizeof(*sub->jobs));
    if (!sub->jobs)
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        hub_job_t *job = &sub->jobs[i];
        fill_job(c, conn, spec, req, job);
        if (spec->narray) {
            job->array_job_id = sub->jobs[0].id;
            job->array_task_id = (int32_t)spec->array_ids[i];
            job->array_max_running = spec->array_max_running;
        }
    }
    sub->n = n;
    hub_store_put_next_id(c->store, c->next_id);
    return 0;
}

static void submit_free(submit_t *sub)
{
    for (uint32_t i = 0; i < sub->n; i++)
        hub_job_clear(&sub->jobs[i]);
    free(sub->jobs);
    conn_unref(sub->conn);
    free(sub);
}

/* After the commit: the jobs are durable; schedule them and answer. */
static void submit_durable(ctld_t *c, void *arg, int rc, const hub_error_t *err)
{
    submit_t *sub = arg;
    hub_error_t add_err;

    if (rc < 0) {
        conn_reply(sub->conn, sub->slot, answer_error(rc, err));
        submit_free(sub);
        return;
    }
    for (uint32_t i = 0; i < sub->n; i++) {
        if (!hub_sched_add(c->sched, &sub->jobs[i], &add_err))
            hub_log_error("job %u: %s", sub->jobs[i].id, add_err.text);
    }
    conn_reply(sub->conn, sub->slot,
               json_pack("{s:i, s:I, s:I}", "rc", 0, "job_id",
                         (json_int_t)sub->jobs[0].id, "count",
                         (json_int_t)sub->n));
    submit_free(sub);
    run_pass_soon(c);
}

static int persist(ctld_t *c, submit_t *sub, const hub_jobspec_t *spec)
{
    json_t *spec_json = hub_jobspec_to_json(spec);
    int rc = spec_json ? 0 : -ENOMEM;

    for (uint32_t i = 0; rc == 0 && i < sub->n; i++)
        rc = hub_store_put_job(c->store, &sub->jobs[i], spec_json);
    json_decref(spec_json);
    return rc < 0 ? rc : commit_after(c, submit_durable, sub);
}

static json_t *test_only(ctld_t *c, const hub_job_req_t *req)
{
    hub_job_t probe = {.req = *req, .array_task_id = -1};
    hub_alloc_t alloc = {0};
    int64_t start_ms;
    hub_error_t err;
    char *nodes;
    json_t *answer;
    int rc = hub_sched_will_run(c->sched, &probe, &start_ms, &alloc);

    if (rc < 0) {
        hub_errorf(&err, -rc,
                   "the job could not start on the cluster as "
                   "it is now (nodes down or drained?)");
        return answer_error(rc, &err);
    }
    nodes = hub_cluster_alloc_nodelist(hub_sched_cluster(c->sched), &alloc);
    answer =
        json_pack("{s:i, s:I, s:I, s:s, s:s, s:i}", "rc", 0, "job_id",
                  (json_int_t)c->next_id, "start_ms", (json_int_t)start_ms,
                  "nodelist", nodes ? nodes : "", "partition", req->partition,
                  "cpus", (int)(req->ntasks * req->cpus_per_task));
    free(nodes);
    free(alloc.nodes);
    return answer;
}

/* --spare-nodes=K: K nodes more than the job's shape asks, which hrun
 * holds back for failures (HUB_SPARE_NODES). Done once, at submission:
 * hub_sched_validate runs again on updates and must stay idempotent. */
static int add_spares(hub_job_req_t *req, hub_error_t *err)
{
    if (req->spare_nodes == 0)
        return 0;
    hub_job_req_defaults(req);
    if (req->spare_nodes > UINT32_MAX / 2 - req->nodes_max)
        return hub_errorf(err, EINVAL, "--spare-nodes=%u: too many",
                          req->spare_nodes);
    req->nodes_min += req->spare_nodes;
    req->nodes_max += req->spare_nodes;
    return 0;
}

/* Decode and check: the spec, then the request against the cluster. */
static int check_spec(ctld_t *c, json_t *req, hub_jobspec_t *spec,
                      hub_job_req_t *jreq, hub_error_t *err)
{
    int rc = hub_jobspec_from_json(json_object_get(req, "spec"), spec, err);

    if (rc < 0)
        return rc;
    *jreq = spec->req;
    if ((rc = add_spares(jreq, err)) < 0 ||
        (rc = hub_sched_validate(c->sched, jreq, err)) < 0)
        return rc;
    return hub_sched_check_deps(c->sched, jreq, err);
}

json_t *op_submit(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    hub_jobspec_t spec;
    hub_job_req_t jreq;
    hub_error_t err;
    submit_t *sub = NULL;
    json_t *answer = NULL;
    int rc;

    hub_jobspec_init(&spec);
    rc = check_spec(c, req, &spec, &jreq, &err);
    if (rc == 0 && json_is_true(json_object_get(req, "test_only")))
        answer = test_only(c, &jreq);
    else if (rc == 0 && !(sub = calloc(1, sizeof(*sub))))
        rc = hub_errorf(&err, ENOMEM, "out of memory");
    if (rc == 0 && sub) {
        sub->conn = conn;
        sub->slot = slot;
        conn_ref(conn);
        rc = make_jobs(c, conn, &spec, &jreq, sub);
        rc = rc < 0 ? rc : persist(c, sub, &spec);
        if (rc < 0) {
            submit_free(sub);
            hub_errorf(&err, -rc, "cannot queue the job: %s", strerror(-rc));
        }
    }
    hub_jobspec_fini(&spec);
    return rc < 0 ? answer_error(rc, &err) : answer;
}

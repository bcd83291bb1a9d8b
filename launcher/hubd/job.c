/* job.c - the jobs of this node: job_launch and job_end from the
 * controller, the end of a batch script turned into job_exit, and the
 * table the exec service and node_register read.
 *
 * A job_launch for a job this node already runs (same restart count), or
 * whose exit is still queued, is ignored: a controller that restarted and
 * resent it must not make the job run twice.
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

/* This node's share of the allocation, from the job_launch event. */
typedef struct node_share {
    const char *nodelist;
    uint32_t nnodes;
    uint32_t cpus;
    uint64_t mem_mb;
    int gpus[HUB_NODE_MAX_GPUS];
    size_t ngpus;
} node_share_t;

int64_t hubd_now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

hubd_job_t *job_find(hubd_t *d, uint32_t id)
{
    for (hubd_job_t *j = d->jobs; j; j = j->next)
        if (j->job.id == id)
            return j;
    return NULL;
}

const exec_job_t *job_exec_lookup(void *arg, uint32_t id)
{
    hubd_job_t *j = job_find(arg, id);

    return j && !j->ending ? &j->exec : NULL;
}

void job_running_to_json(const hubd_t *d, json_t *arr)
{
    for (const hubd_job_t *j = d->jobs; j; j = j->next)
        if (!j->ending)
            json_array_append_new(
                arr,
                json_pack("{s:I, s:I}", "id", (json_int_t)j->job.id,
                          "restart_count", (json_int_t)j->job.restart_count));
}

void job_handle_closed(uv_handle_t *h)
{
    hubd_job_t *j = h->data;

    if (--j->open_handles > 0)
        return;
    hub_job_clear(&j->job);
    hub_jobspec_fini(&j->spec);
    jobenv_free(j->env);
    free(j);
}

static void unlink_job(hubd_job_t *j)
{
    hubd_job_t **pp;

    for (pp = &j->d->jobs; *pp && *pp != j; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = j->next;
}

/* Free j once its handles are closed. */
static void close_handles(hubd_job_t *j)
{
    uv_close((uv_handle_t *)&j->limit_timer, job_handle_closed);
    uv_close((uv_handle_t *)&j->kill_timer, job_handle_closed);
}

/* Kill what is left, drop the job from the table and free it. The batch
 * process must have exited. */
static void job_free(hubd_job_t *j)
{
    unlink_job(j);
    if (j->d->exec)
        exec_svc_job_ended(j->d->exec, j->job.id);
    proctrack_release(j->pt);
    j->pt = NULL;
    if (j->script[0])
        unlink(j->script);
    jobtmp_remove(j);
    close_handles(j);
}

void job_forget(hubd_job_t *j)
{
    j->ending = true;
    if (j->proc_running || j->pipe_open) {
        /* job_batch_done frees it once the batch process is gone. */
        j->message[0] = '\0';
        proctrack_signal(j->pt, SIGKILL, 0);
        return;
    }
    job_free(j);
}

static const char *exit_reason(hubd_job_t *j, bool launch_failed)
{
    if (launch_failed)
        return "launch_failed";
    if (j->kill_reason[0])
        return j->kill_reason;
    if (j->pt && proctrack_oom(j->pt)) {
        snprintf(j->message, sizeof(j->message),
                 "memory limit of %llu MB exceeded on %s",
                 (unsigned long long)j->job.req.mem_per_node_mb, j->d->name);
        return "oom";
    }
    return "exited";
}

static void report_exit(hubd_job_t *j, const char *reason)
{
    json_t *msg =
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:s, s:s, s:I, s:I}", "op",
                  "job_exit", "node", j->d->name, "id", (json_int_t)j->job.id,
                  "restart_count", (json_int_t)j->job.restart_count, "status",
                  (json_int_t)j->exit_status, "signal", j->term_signal,
                  "reason", reason, "message", j->message, "start_ms",
                  (json_int_t)j->start_ms, "end_ms", (json_int_t)hubd_now_ms());

    hub_log_info("job %u on %s ended: %s, status %lld, signal %d%s%s",
                 j->job.id, j->d->name, reason, (long long)j->exit_status,
                 j->term_signal, j->message[0] ? ": " : "", j->message);
    if (msg)
        ctl_send_exit(j->d, msg);
    else
        hub_log_error("job %u: out of memory: exit not reported", j->job.id);
}

void job_batch_done(hubd_job_t *j)
{
    bool launch_failed = (j->exit_status == 126 || j->exit_status == 127) &&
                         strncmp(j->errbuf, "hub-jobstart: ", 14) == 0;
    bool forgotten = j->ending;

    if (launch_failed)
        snprintf(j->message, sizeof(j->message), "%s", j->errbuf);
    else if (!j->message[0] && !proctrack_mem_enforced(j->pt))
        snprintf(j->message, sizeof(j->message),
                 "memory limit not enforced on %s: no writable memory cgroup",
                 j->d->name);
    j->ending = true;
    if (!forgotten)
        report_exit(j, exit_reason(j, launch_failed));
    job_free(j);
}

/* The launch could not start the script: report it, forget the job. */
static void launch_failed(hubd_job_t *j, const char *why)
{
    snprintf(j->message, sizeof(j->message), "%s: %s", j->d->name, why);
    j->exit_status = 1;
    j->ending = true;
    report_exit(j, "launch_failed");
    job_free(j);
}

/* alloc.nodelist and this node's entry of alloc.nodes. */
static int parse_share(const json_t *ev, uint32_t index, node_share_t *s,
                       hub_error_t *err)
{
    const json_t *alloc = json_object_get(ev, "alloc");
    const json_t *nodes = json_object_get(alloc, "nodes");
    const json_t *me = json_array_get(nodes, index);
    const json_t *gpus = json_object_get(me, "gpus");
    size_t i;
    json_t *g;

    memset(s, 0, sizeof(*s));
    s->nodelist = json_string_value(json_object_get(alloc, "nodelist"));
    if (!s->nodelist || !json_is_object(me))
        return hub_errorf(err, EINVAL, "alloc: no nodelist or no entry %u",
                          index);
    s->nnodes = (uint32_t)json_array_size(nodes);
    s->cpus = (uint32_t)json_integer_value(json_object_get(me, "cpus"));
    s->mem_mb = (uint64_t)json_integer_value(json_object_get(me, "mem_mb"));
    json_array_foreach(gpus, i, g)
    {
        if (i >= HUB_NODE_MAX_GPUS || !json_is_integer(g))
            return hub_errorf(err, EINVAL, "alloc: bad gpus[%zu]", i);
        s->gpus[s->ngpus++] = (int)json_integer_value(g);
    }
    return 0;
}

static uint64_t mem_limit_mb(const hub_job_req_t *req, const node_share_t *s)
{
    bool asked = req->mem_per_node_mb || req->mem_all || req->mem_per_cpu_mb;

    return asked ? s->mem_mb : 0;
}

/* Everything but the batch script itself: environment, tracking, the
 * exec service's view. */
static int job_prepare(hubd_job_t *j, const json_t *ev, hub_error_t *err)
{
    hubd_t *d = j->d;
    uint32_t index =
        (uint32_t)json_integer_value(json_object_get(ev, "node_index"));
    node_share_t s;
    int rc = parse_share(ev, index, &s, err);
    jobenv_in_t in = {
        .job = &j->job,
        .spec = &j->spec,
        .node = d->name,
        .node_index = index,
        .nodelist = s.nodelist,
        .nnodes = s.nnodes,
        .cpus_on_node = s.cpus,
        .mem_mb_on_node = s.mem_mb,
        .gpus = s.gpus,
        .ngpus = s.ngpus,
        .node_has_gpus = d->res.gpus > 0,
        .cluster = d->conf->globals.cluster_name,
        .conf = d->conf_path,
        .exec = d->hubexec,
        .extra = json_object_get(ev, "env"),
    };

    if (rc < 0 || (rc = jobtmp_create(j, err)) < 0)
        return rc;
    in.tmpdir = j->tmpdir;
    if (!(j->env = jobenv_build(&in, err)))
        return -EINVAL;
    if (!(j->pt = proctrack_create(j->job.id, mem_limit_mb(&j->job.req, &s))))
        return hub_errorf(err, ENOMEM, "out of memory");
    j->exec = (exec_job_t){
        .id = j->job.id,
        .uid = j->job.uid,
        .gid = j->job.gid,
        .user = j->job.user,
        .workdir = j->spec.workdir ? j->spec.workdir : "/",
        .env = j->env,
        .cgroups = proctrack_cgroups(j->pt),
    };
    return 0;
}

/* The job object of the event without the keys that answers listing jobs
 * add to hub_job_to_json()'s (protocol.md: nodelist, hub_name). */
static int job_from_event(const json_t *ev, hub_job_t *job, hub_error_t *err)
{
    json_t *obj = json_copy(json_object_get(ev, "job"));
    int rc;

    if (!obj)
        return hub_errorf(err, EINVAL, "job_launch: no job object");
    json_object_del(obj, "nodelist");
    json_object_del(obj, "hub_name");
    rc = hub_job_from_json(obj, job, err);
    json_decref(obj);
    return rc;
}

static hubd_job_t *job_new(hubd_t *d, const json_t *ev, hub_error_t *err)
{
    hubd_job_t *j = calloc(1, sizeof(*j));
    const json_t *spec = json_object_get(ev, "spec");
    json_t *kw = json_object_get(ev, "kill_wait_s");

    if (!j) {
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    j->d = d;
    hub_jobspec_init(&j->spec);
    j->kill_wait_s =
        json_is_integer(kw) ? json_integer_value(kw) : d->kill_wait_s;
    j->batch = json_is_true(json_object_get(ev, "batch"));
    j->start_ms = hubd_now_ms();
    if (job_from_event(ev, &j->job, err) < 0 ||
        (spec && hub_jobspec_from_json(spec, &j->spec, err) < 0) ||
        (j->batch && !j->spec.script &&
         hub_errorf(err, EINVAL, "job_launch: batch without a script") < 0)) {
        hub_job_clear(&j->job);
        hub_jobspec_fini(&j->spec);
        free(j);
        return NULL;
    }
    uv_timer_init(d->loop, &j->limit_timer);
    uv_timer_init(d->loop, &j->kill_timer);
    j->limit_timer.data = j->kill_timer.data = j;
    j->open_handles = 2;
    return j;
}

/* True when this launch must be ignored (the job already ran here). */
static bool duplicate_launch(hubd_t *d, const hub_job_t *job)
{
    hubd_job_t *old = job_find(d, job->id);

    if (ctl_exit_pending(d, job->id, job->restart_count)) {
        hub_log_notice("job %u: launch ignored: it already ended here",
                       job->id);
        return true;
    }
    if (old && old->job.restart_count == job->restart_count) {
        hub_log_notice("job %u: launch ignored: it already runs here", job->id);
        return true;
    }
    if (old) {
        hub_log_warn("job %u: restart %u replaces restart %u still here",
                     job->id, job->restart_count, old->job.restart_count);
        job_forget(old);
    }
    return false;
}

void job_on_launch(hubd_t *d, const json_t *ev)
{
    hub_error_t err;
    hubd_job_t *j = job_new(d, ev, &err);

    if (!j) {
        hub_log_error("%s: bad job_launch: %s", d->name, err.text);
        return;
    }
    if (duplicate_launch(d, &j->job)) {
        close_handles(j);
        return;
    }
    j->next = d->jobs;
    d->jobs = j;
    if (job_prepare(j, ev, &err) < 0 ||
        (j->batch && job_run_batch(j, &err) < 0)) {
        hub_log_error("job %u on %s: %s", j->job.id, d->name, err.text);
        if (j->batch)
            launch_failed(j, err.text);
        else
            job_free(j);
        return;
    }
    hub_log_info("job %u%s on %s (%s tracking)", j->job.id,
                 j->batch ? " started" : " allocated", d->name,
                 proctrack_mode(j->pt));
    if (j->batch)
        job_limits_start(j);
}

hubd_job_t *job_event_target(hubd_t *d, const json_t *ev)
{
    uint32_t id = (uint32_t)json_integer_value(json_object_get(ev, "id"));
    json_t *rc = json_object_get(ev, "restart_count");
    hubd_job_t *j = job_find(d, id);

    if (j && json_is_integer(rc) &&
        (uint32_t)json_integer_value(rc) != j->job.restart_count) {
        hub_log_warn("job %u: event for restart %lld ignored: restart %u "
                     "runs here",
                     id, (long long)json_integer_value(rc),
                     j->job.restart_count);
        return NULL;
    }
    return j;
}

void job_on_end(hubd_t *d, const json_t *ev)
{
    uint32_t id = (uint32_t)json_integer_value(json_object_get(ev, "id"));
    hubd_job_t *j = job_event_target(d, ev);

    if (j) {
        hub_log_info("job %u: ended by the controller on %s", id, d->name);
        job_forget(j);
    }
}

void job_kill_all(hubd_t *d)
{
    hubd_job_t *j, *next;

    for (j = d->jobs; j; j = next) {
        next = j->next;
        job_forget(j);
    }
}

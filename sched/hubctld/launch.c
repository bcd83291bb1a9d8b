/* launch.c - events from the controller to node agents: job_launch,
 * job_kill, job_signal, job_end (doc/protocol.md, "Node agents"), and the
 * set of jobs whose job_launch is still to come (started, waiting for
 * their RUNNING state to be durable). Events about a job carry its
 * restart_count so that an agent can tell incarnations apart. */
#include "ctld.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

/* ---- jobs whose launch is still to come ----------------------------------
 */

void launch_pending(ctld_t *c, hub_job_id_t id)
{
    if (c->nlaunching == c->launching_cap) {
        size_t cap = c->launching_cap ? c->launching_cap * 2 : 64;
        hub_job_id_t *v = realloc(c->launching, cap * sizeof(*v));
        if (!v) {
            hub_log_error("job %u: out of memory", id);
            return;
        }
        c->launching = v;
        c->launching_cap = cap;
    }
    c->launching[c->nlaunching++] = id;
}

void launch_done(ctld_t *c, hub_job_id_t id)
{
    for (size_t i = 0; i < c->nlaunching; i++) {
        if (c->launching[i] == id) {
            c->launching[i] = c->launching[--c->nlaunching];
            return;
        }
    }
}

bool launch_is_pending(const ctld_t *c, hub_job_id_t id)
{
    for (size_t i = 0; i < c->nlaunching; i++) {
        if (c->launching[i] == id)
            return true;
    }
    return false;
}

void launch_fini(ctld_t *c)
{
    free(c->launching);
    c->launching = NULL;
    c->nlaunching = c->launching_cap = 0;
}

/* ---- events --------------------------------------------------------------
 */

/* Send ev (reference stolen) to the agent of allocation node i. Returns
 * -ENOTCONN when that node has no agent connected. */
static int send_to(ctld_t *c, const hub_job_t *job, uint32_t i, json_t *ev)
{
    conn_t *agent = nodes_agent(c, job->alloc.nodes[i].node);

    if (agent)
        conn_send(agent, ev);
    json_decref(ev);
    return agent ? 0 : -ENOTCONN;
}

static json_t *job_event(const char *name, const hub_job_t *job)
{
    return json_pack("{s:s, s:I, s:I}", "event", name, "id",
                     (json_int_t)job->id, "restart_count",
                     (json_int_t)job->restart_count);
}

/* The job_launch of allocation node i (spec borrowed). */
static json_t *launch_event(ctld_t *c, const hub_job_t *job, uint32_t i,
                            json_t *spec)
{
    hub_cluster_t *cl = hub_sched_cluster(c->sched);

    return json_pack("{s:s, s:o, s:O, s:b, s:i, s:o, s:o, s:I}", "event",
                     "job_launch", "job", run_job_json(c, job), "spec", spec,
                     "batch", i == 0, "node_index", (int)i, "alloc",
                     agent_alloc_json(cl, &job->alloc), "env",
                     agent_launch_env(c->conf, cl, &job->alloc.nodes[i]),
                     "kill_wait_s", (json_int_t)c->conf->globals.kill_wait_s);
}

static json_t *get_spec(ctld_t *c, const hub_job_t *job)
{
    hub_error_t err;
    json_t *spec = hub_store_get_spec(c->reader, job->id, &err);

    if (!spec)
        hub_log_error("job %u: cannot read its spec: %s", job->id, err.text);
    return spec;
}

int launch_to_node(ctld_t *c, const hub_job_t *job, uint32_t i)
{
    json_t *spec;
    int rc;

    if (!nodes_agent(c, job->alloc.nodes[i].node))
        return -ENOTCONN;
    if (!(spec = get_spec(c, job)))
        return -ENOENT;
    rc = send_to(c, job, i, launch_event(c, job, i, spec));
    json_decref(spec);
    return rc;
}

int launch_job(ctld_t *c, const hub_job_t *job)
{
    json_t *spec;

    if (!job->alloc.nnodes || !nodes_agent(c, job->alloc.nodes[0].node))
        return -ENOTCONN;
    if (!(spec = get_spec(c, job)))
        return -ENOENT;
    /* The other nodes first: the batch script may reach them through the
     * exec service at once. An absent one gets its job_launch when its
     * agent registers (node_sync.c). */
    for (uint32_t i = job->alloc.nnodes; i-- > 0;) {
        if (send_to(c, job, i, launch_event(c, job, i, spec)) < 0)
            hub_log_warn("job %u: node %s has no agent connected", job->id,
                         hub_sched_cluster(c->sched)
                             ->nodes[job->alloc.nodes[i].node]
                             .conf->name);
    }
    json_decref(spec);
    hub_debug(HUB_DBG_LAUNCH, "job %u: launched on %u node(s)", job->id,
              job->alloc.nnodes);
    return 0;
}

int launch_kill(ctld_t *c, const hub_job_t *job, const char *reason)
{
    json_t *ev = job_event("job_kill", job);

    json_object_set_new(ev, "reason", json_string(reason));
    return send_to(c, job, 0, ev);
}

void launch_kill_stale(conn_t *conn, hub_job_id_t id, uint32_t restart_count)
{
    json_t *ev = json_pack("{s:s, s:I, s:I, s:s}", "event", "job_kill", "id",
                           (json_int_t)id, "restart_count",
                           (json_int_t)restart_count, "reason", "cancelled");

    conn_send(conn, ev);
    json_decref(ev);
}

int launch_signal(ctld_t *c, const hub_job_t *job, int sig, bool batch_only)
{
    uint32_t n = batch_only ? 1 : job->alloc.nnodes;
    int sent = 0;

    for (uint32_t i = 0; i < n; i++) {
        json_t *ev = job_event("job_signal", job);
        json_object_set_new(ev, "signal", json_integer(sig));
        json_object_set_new(ev, "batch_only", json_boolean(batch_only));
        sent += send_to(c, job, i, ev) == 0;
    }
    return sent ? 0 : -ENOTCONN;
}

void launch_end(ctld_t *c, const hub_job_t *job, bool skip_batch)
{
    for (uint32_t i = skip_batch ? 1 : 0; i < job->alloc.nnodes; i++)
        send_to(c, job, i, job_event("job_end", job));
}

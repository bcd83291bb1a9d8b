/* node_sync.c - reconciliation when a node's agent registers: what it
 * runs (node_register's `running`) against the jobs the controller runs
 * on the node.
 *
 *   job on the node, batch here, reported       keep (COMPLETING: job_kill
 *                                               again, the first may be lost)
 *   job on the node, batch here, not reported   it never started or its
 *                                               end was lost while the agent
 *                                               was away: NODE_FAIL or
 *                                               requeue (COMPLETING:
 *                                               CANCELLED)
 *   job on the node, not batch, not reported    job_launch again (unless
 *                                               COMPLETING)
 *   reported, not a job running here            job_kill
 *
 * Why a job that is not reported is not merely a launch in flight: a job
 * whose RUNNING state is not yet durable has not been sent (it is in the
 * launching set, skipped here), and its job_launch will go to the agent
 * registered now. Every job_launch sent before went over an earlier
 * connection of this agent; an agent closes that connection before it
 * registers on a new one, so what it did not read from it is lost and
 * what it read it reports. Nothing is in flight across a registration.
 */
#include "ctld.h"

#include <stdlib.h>

#include "log.h"

typedef struct incarnation {
    hub_job_id_t id;
    uint32_t restart_count;
} incarnation_t;

typedef struct sync {
    ctld_t *ctld;
    uint32_t node;
    incarnation_t *running; /* what the agent reported */
    size_t nrunning;
} sync_t;

static bool reported(const sync_t *s, const hub_job_t *job)
{
    for (size_t i = 0; i < s->nrunning; i++) {
        if (s->running[i].id == job->id &&
            s->running[i].restart_count == job->restart_count)
            return true;
    }
    return false;
}

static int sync_job(hub_job_t *job, void *arg)
{
    sync_t *s = arg;
    ctld_t *c = s->ctld;
    int i;

    if ((job->state != HUB_JOB_RUNNING && job->state != HUB_JOB_COMPLETING) ||
        (i = run_alloc_index(job, s->node)) < 0 ||
        launch_is_pending(c, job->id))
        return 0;
    if (i > 0) {
        if (!reported(s, job) && job->state == HUB_JOB_RUNNING)
            launch_to_node(c, job, (uint32_t)i);
    } else if (reported(s, job)) {
        if (job->state == HUB_JOB_COMPLETING)
            launch_kill(c, job, "cancelled");
    } else {
        hub_log_warn("job %u: the agent of its batch node %s does not run "
                     "it",
                     job->id,
                     hub_sched_cluster(c->sched)->nodes[s->node].conf->name);
        run_fail_job(c, job);
    }
    return 0;
}

/* Reported incarnations the controller does not run on this node. */
static void kill_unknown(sync_t *s, conn_t *agent)
{
    for (size_t i = 0; i < s->nrunning; i++) {
        hub_job_t *job = hub_sched_find(s->ctld->sched, s->running[i].id);
        if (job &&
            (job->state == HUB_JOB_RUNNING ||
             job->state == HUB_JOB_COMPLETING) &&
            job->restart_count == s->running[i].restart_count &&
            run_alloc_index(job, s->node) >= 0)
            continue;
        hub_log_info("job %u: node's agent runs it, the controller does not: "
                     "killing it",
                     s->running[i].id);
        launch_kill_stale(agent, s->running[i].id, s->running[i].restart_count);
    }
}

static void parse_running(sync_t *s, const json_t *running)
{
    size_t i;
    json_t *x;

    s->running = calloc(json_array_size(running) + 1, sizeof(*s->running));
    if (!s->running)
        return;
    json_array_foreach(running, i, x)
    {
        json_int_t id = json_integer_value(json_object_get(x, "id"));
        if (id <= 0 || id > UINT32_MAX)
            continue;
        s->running[s->nrunning].id = (hub_job_id_t)id;
        s->running[s->nrunning++].restart_count =
            (uint32_t)json_integer_value(json_object_get(x, "restart_count"));
    }
}

void node_sync(ctld_t *c, uint32_t node, const json_t *running)
{
    sync_t s = {.ctld = c, .node = node};
    conn_t *agent = nodes_agent(c, node);

    parse_running(&s, running);
    if (!s.running) {
        hub_log_error("node %s: out of memory reconciling its jobs",
                      hub_sched_cluster(c->sched)->nodes[node].conf->name);
        return;
    }
    if (agent)
        kill_unknown(&s, agent);
    hub_sched_foreach(c->sched, sync_job, &s);
    free(s.running);
}

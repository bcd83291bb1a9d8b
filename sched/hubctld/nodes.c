/* nodes.c - the node registry of hubctld: which connection is each
 * node's agent, when it was last heard, what it registered; nodes set up
 * at registration (drained when they have less than hub.conf says) and
 * DOWN "Not responding" after NodeTimeout of silence.
 *
 * Times are uv_now() (the loop's monotonic clock, ms), so that a wall
 * clock step does not set every node DOWN. Every node is watched from the
 * controller's start: a node whose agent never registers goes DOWN after
 * NodeTimeout, and the jobs recovered on it end (Slurm does the same for
 * nodes that do not respond after a slurmctld restart). */
#include "ctld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* How often silence is checked (ms). */
#define NODE_CHECK_MS 1000

static const char *node_name(ctld_t *c, uint32_t node)
{
    return hub_sched_cluster(c->sched)->nodes[node].conf->name;
}

/* hub_sched_node_state, but a reason already shown stays while the
 * bits it explains remain (a drain's reason outlives a disconnect). */
static void node_state(hub_sched_t *s, uint32_t node, uint32_t set,
                       uint32_t clear, const char *reason)
{
    hub_node_t *n = &hub_sched_cluster(s)->nodes[node];
    char keep[sizeof(n->reason)];

    snprintf(keep, sizeof(keep), "%s", n->reason);
    hub_sched_node_state(s, node, set, clear,
                         n->state & ~clear ? keep : reason);
}

/* A node with no agent runs no new job, whatever hub.conf's State=. */
static void no_agent_yet(ctld_t *c, hub_sched_t *s, ctld_node_t *n,
                         uint32_t node)
{
    n->heard_ms = uv_now(c->loop);
    node_state(s, node, HUB_NODE_UNKNOWN, 0, NULL);
}

conn_t *nodes_agent(ctld_t *c, uint32_t node)
{
    return node < c->nnodes ? c->nodes[node].agent : NULL;
}

void nodes_info(ctld_t *c, uint32_t node, json_t *info)
{
    const ctld_node_t *n = node < c->nnodes ? &c->nodes[node] : NULL;
    json_t *agent;

    if (!n)
        return;
    agent = json_pack("{s:b}", "connected", n->agent != NULL);
    if (n->registered)
        json_object_update_new(
            agent, json_pack("{s:i, s:I, s:i, s:s}", "cpus", (int)n->cpus,
                             "mem_mb", (json_int_t)n->mem_mb, "gpus",
                             (int)n->gpus, "gpu_source", n->gpu_source));
    json_object_set_new(info, "agent", agent);
}

void nodes_heard(ctld_t *c, conn_t *conn)
{
    if (conn->node >= 0 && (uint32_t)conn->node < c->nnodes)
        c->nodes[conn->node].heard_ms = uv_now(c->loop);
}

/* Forget conn as its node's agent (it stays open). */
static void detach(ctld_t *c, conn_t *conn)
{
    if (conn->node >= 0 && (uint32_t)conn->node < c->nnodes &&
        c->nodes[conn->node].agent == conn)
        c->nodes[conn->node].agent = NULL;
    conn->node = -1;
}

/* Its jobs go on (the agent may reconnect within NodeTimeout), but no
 * new job starts where no agent can launch it: UNKNOWN until it
 * registers again. */
void nodes_agent_closed(ctld_t *c, conn_t *conn)
{
    uint32_t node = (uint32_t)conn->node;

    if (conn->node >= 0 && node < c->nnodes && c->nodes[node].agent == conn &&
        !c->stopping) {
        hub_log_notice("node %s: agent disconnected (%s)", node_name(c, node),
                       conn->peer);
        node_state(c->sched, node, HUB_NODE_UNKNOWN, 0, "Agent disconnected");
    }
    detach(c, conn);
}

/* Silent too long: DOWN, and its agent (if a connection is still open)
 * closed, so that it registers again on a new one when it comes back. */
static void node_silent(ctld_t *c, uint32_t node)
{
    ctld_node_t *n = &c->nodes[node];

    if (n->agent)
        conn_close(n->agent);
    n->down_silent = true;
    run_node_down(c, node, "Not responding");
}

static void on_node_timer(uv_timer_t *t)
{
    ctld_t *c = t->data;
    hub_cluster_t *cl = hub_sched_cluster(c->sched);
    uint64_t now = uv_now(c->loop);
    uint64_t limit = (uint64_t)c->conf->globals.node_timeout_s * 1000;

    for (uint32_t i = 0; i < c->nnodes && i < cl->nnodes; i++) {
        if (cl->nodes[i].state & HUB_NODE_DOWN)
            continue; /* already down: its jobs have ended */
        if (now - c->nodes[i].heard_ms > limit)
            node_silent(c, i);
    }
}

int nodes_start(ctld_t *c)
{
    hub_cluster_t *cl = hub_sched_cluster(c->sched);

    if (c->virtual_nodes)
        return 0;
    if (!(c->nodes = calloc(cl->nnodes + 1, sizeof(*c->nodes))))
        return -ENOMEM;
    c->nnodes = cl->nnodes;
    for (uint32_t i = 0; i < c->nnodes; i++)
        no_agent_yet(c, c->sched, &c->nodes[i], i);
    uv_timer_init(c->loop, &c->node_timer);
    c->node_timer.data = c;
    uv_timer_start(&c->node_timer, on_node_timer, NODE_CHECK_MS, NODE_CHECK_MS);
    return 0;
}

void nodes_stop(ctld_t *c)
{
    if (c->virtual_nodes)
        return;
    uv_close((uv_handle_t *)&c->node_timer, NULL);
    free(c->nodes);
    c->nodes = NULL;
    c->nnodes = 0;
    launch_fini(c);
}

int nodes_remap(ctld_t *c, hub_sched_t *s)
{
    const hub_cluster_t *from = hub_sched_cluster(c->sched);
    const hub_cluster_t *to = hub_sched_cluster(s);
    ctld_node_t *v;

    if (c->virtual_nodes)
        return 0;
    if (!(v = calloc(to->nnodes + 1, sizeof(*v))))
        return -ENOMEM;
    for (uint32_t j = 0; j < to->nnodes; j++)
        no_agent_yet(c, s, &v[j], j); /* known nodes: states copied */
    for (uint32_t i = 0; i < c->nnodes; i++) {
        long j = hub_cluster_find_node(to, from->nodes[i].conf->name);
        if (j >= 0) {
            v[j] = c->nodes[i];
            if (v[j].agent)
                v[j].agent->node = j;
        } else if (c->nodes[i].agent) {
            conn_t *agent = c->nodes[i].agent;
            detach(c, agent);
            conn_close(agent);
        }
    }
    free(c->nodes);
    c->nodes = v;
    c->nnodes = to->nnodes;
    return 0;
}

/* Drain a node that registers less than hub.conf gives it (the scheduler
 * would place jobs on resources that are not there); lift a drain of
 * ours when it registers enough again. */
static void check_resources(ctld_t *c, uint32_t node, const node_report_t *r)
{
    const hub_conf_node_t *cn = hub_sched_cluster(c->sched)->nodes[node].conf;
    ctld_node_t *n = &c->nodes[node];
    char reason[128] = ""; /* hub_node_t keeps 64 */

    if (r->cpus < (uint32_t)cn->cpus)
        snprintf(reason, sizeof(reason), "Low CPUs (%u < %d)", r->cpus,
                 cn->cpus);
    else if (r->mem_mb < cn->real_memory_mb)
        snprintf(reason, sizeof(reason), "Low RealMemory (%llu < %llu MB)",
                 (unsigned long long)r->mem_mb,
                 (unsigned long long)cn->real_memory_mb);
    else if (r->gpus < (uint32_t)cn->gpus)
        snprintf(reason, sizeof(reason), "Low GPUs (%u < %d)", r->gpus,
                 cn->gpus);
    if (reason[0]) {
        hub_log_warn("node %s: drained: %s", cn->name, reason);
        node_state(c->sched, node, HUB_NODE_DRAIN, 0, reason);
        n->drained_low = true;
    } else if (n->drained_low) {
        node_state(c->sched, node, 0, HUB_NODE_DRAIN, NULL);
        n->drained_low = false;
    }
}

/* The node is up: UNKNOWN cleared, and DOWN when we set it for silence
 * (a DOWN set by an operator stays until hcontrol RESUME). */
static void set_up(ctld_t *c, uint32_t node)
{
    ctld_node_t *n = &c->nodes[node];
    uint32_t clear = HUB_NODE_UNKNOWN | (n->down_silent ? HUB_NODE_DOWN : 0);

    node_state(c->sched, node, 0, clear, NULL);
    n->down_silent = false;
}

static void take_agent(ctld_t *c, conn_t *conn, uint32_t node)
{
    ctld_node_t *n = &c->nodes[node];
    conn_t *old = n->agent;

    if (old && old != conn) {
        /* A new connection replaces the old one, which is dead or about
         * to be: the agent closes it before registering again. */
        detach(c, old);
        conn_close(old);
    }
    n->agent = conn;
    conn->node = node;
}

void nodes_register(ctld_t *c, conn_t *conn, uint32_t node,
                    const node_report_t *r)
{
    ctld_node_t *n = &c->nodes[node];

    take_agent(c, conn, node);
    n->heard_ms = uv_now(c->loop);
    n->registered = true;
    n->cpus = r->cpus;
    n->mem_mb = r->mem_mb;
    n->gpus = r->gpus;
    snprintf(n->gpu_source, sizeof(n->gpu_source), "%s",
             r->gpu_source ? r->gpu_source : "");
    hub_log_notice("node %s: agent registered (%s): %u CPUs, %llu MB, %u "
                   "GPUs (%s)",
                   node_name(c, node), conn->peer, r->cpus,
                   (unsigned long long)r->mem_mb, r->gpus, n->gpu_source);
    set_up(c, node);
    check_resources(c, node, r);
    node_sync(c, node, r->running);
    run_pass_soon(c);
}

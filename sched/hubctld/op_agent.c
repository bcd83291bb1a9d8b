/* op_agent.c - the ops node agents (hubd) send: node_register,
 * node_heartbeat, job_exit (doc/protocol.md, "Node agents"). Only a
 * connection that registered as a node's agent may speak for that node;
 * registering needs root or the controller's user (SO_PEERCRED on the
 * Unix socket, a MUNGE credential over TCP). */
#include "ctld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"

bool op_allowed(const conn_t *conn, const char *name)
{
    return !conn->tcp || strcmp(name, "node_register") == 0 ||
           strcmp(name, "node_heartbeat") == 0 || strcmp(name, "job_exit") == 0;
}

static bool agent_uid(uid_t uid)
{
    return uid == 0 || uid == getuid();
}

/* Over TCP: cred must prove root or our user, for "node_register NODE".
 * The decode asks the local munged (a short blocking round trip on the
 * loop thread, once per registration). */
static int check_cred(conn_t *conn, const char *cred, const char *node,
                      hub_error_t *err)
{
    char want[128];
    char *payload = NULL;
    uid_t uid;
    gid_t gid;
    int rc;

    if (!cred)
        return hub_errorf(err, EPERM,
                          "node_register over TCP needs a "
                          "MUNGE credential (cred)");
    if ((rc = hub_auth_decode(cred, &uid, &gid, &payload, err)) < 0)
        return rc;
    snprintf(want, sizeof(want), "node_register %s", node);
    if (strcmp(payload, want) != 0)
        rc = hub_errorf(err, EACCES,
                        "the credential is for '%.60s', not "
                        "'%.60s'",
                        payload, want);
    else if (!agent_uid(uid))
        rc = hub_errorf(err, EPERM,
                        "node_register: uid %u is neither root "
                        "nor the controller's user",
                        (unsigned)uid);
    else {
        conn->uid = uid;
        conn->gid = gid;
    }
    free(payload);
    return rc;
}

static int check_register(conn_t *conn, json_t *req, const char *node,
                          hub_error_t *err)
{
    if (conn->tcp)
        return check_cred(conn, json_string_value(json_object_get(req, "cred")),
                          node, err);
    if (!agent_uid(conn->uid))
        return hub_errorf(err, EPERM,
                          "node_register: only root or the "
                          "controller's user (uid %u) may "
                          "register a node agent",
                          (unsigned)getuid());
    return 0;
}

static uint64_t get_count(json_t *req, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(req, key));
    return v > 0 ? (uint64_t)v : 0;
}

json_t *op_node_register(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    const hub_conf_globals_t *g = &c->conf->globals;
    const char *node = json_string_value(json_object_get(req, "node"));
    node_report_t r = {
        .cpus = (uint32_t)get_count(req, "cpus"),
        .mem_mb = get_count(req, "mem_mb"),
        .gpus = (uint32_t)get_count(req, "gpus"),
        .gpu_source = json_string_value(json_object_get(req, "gpu_source")),
        .running = json_object_get(req, "running"),
    };
    hub_error_t err;
    long idx;
    int rc;

    if (c->virtual_nodes) {
        hub_errorf(&err, EINVAL,
                   "the controller runs --virtual-nodes: it "
                   "takes no node agents");
        return answer_error(-EINVAL, &err);
    }
    if (!node ||
        (idx = hub_cluster_find_node(hub_sched_cluster(c->sched), node)) < 0) {
        hub_errorf(&err, ENOENT, "node '%s' is not in hub.conf",
                   node ? node : "(none)");
        return answer_error(-ENOENT, &err);
    }
    if (conn->node >= 0 && conn->node != idx) {
        hub_errorf(&err, EBUSY,
                   "this connection is the agent of node %s: "
                   "one connection per node",
                   hub_sched_cluster(c->sched)->nodes[conn->node].conf->name);
        return answer_error(-EBUSY, &err);
    }
    if ((rc = check_register(conn, req, node, &err)) < 0) {
        hub_log_warn("%s: node_register %s refused: %s", conn->peer, node,
                     err.text);
        return answer_error(rc, &err);
    }
    nodes_register(c, conn, (uint32_t)idx, &r);
    return json_pack(
        "{s:i, s:I, s:I, s:I}", "rc", 0, "node_timeout_s",
        (json_int_t)g->node_timeout_s, "kill_wait_s",
        (json_int_t)g->kill_wait_s, "heartbeat_s",
        (json_int_t)(g->node_timeout_s / 3 > 1 ? g->node_timeout_s / 3 : 1));
}

/* The node conn is the registered agent of; -ENOTCONN otherwise. */
static int agent_node(conn_t *conn, json_t *req, hub_error_t *err)
{
    const char *node = json_string_value(json_object_get(req, "node"));
    hub_cluster_t *cl = hub_sched_cluster(conn->ctld->sched);

    if (conn->node < 0)
        return hub_errorf(err, ENOTCONN,
                          "not registered: send "
                          "node_register first");
    if (node && strcmp(node, cl->nodes[conn->node].conf->name) != 0)
        return hub_errorf(err, EPERM,
                          "this connection is the agent of "
                          "node %s, not %s",
                          cl->nodes[conn->node].conf->name, node);
    return (int)conn->node;
}

json_t *op_node_heartbeat(conn_t *conn, json_t *req, reply_t *slot)
{
    hub_error_t err;
    int rc = agent_node(conn, req, &err);

    return rc < 0 ? answer_error(rc, &err) : answer_ok();
}

/* ---- job_exit ------------------------------------------------------------
 */

typedef struct exit_reply {
    conn_t *conn;
    reply_t *slot;
} exit_reply_t;

static void exit_durable(ctld_t *c, void *arg, int rc, const hub_error_t *err)
{
    exit_reply_t *x = arg;

    conn_reply(x->conn, x->slot, rc < 0 ? answer_error(rc, err) : answer_ok());
    conn_unref(x->conn);
    free(x);
}

/* Answer once everything queued so far (this end included) is durable:
 * then the agent may forget the exit. */
static json_t *answer_when_durable(conn_t *conn, reply_t *slot)
{
    exit_reply_t *x = malloc(sizeof(*x));
    hub_error_t err;

    if (!x || commit_after(conn->ctld, exit_durable, x) < 0) {
        free(x);
        hub_errorf(&err, ENOMEM, "out of memory");
        return answer_error(-ENOMEM, &err);
    }
    x->conn = conn;
    x->slot = slot;
    conn_ref(conn);
    return NULL;
}

/* The job this exit ends, or NULL when it is stale (another incarnation,
 * a job already ended or forgotten, not the batch node's): the answer is
 * then ok all the same, so that the agent forgets it. */
static hub_job_t *exit_job(ctld_t *c, json_t *req, uint32_t node)
{
    json_int_t id = json_integer_value(json_object_get(req, "id"));
    json_int_t rc = json_integer_value(json_object_get(req, "restart_count"));
    hub_job_t *job = id > 0 && id <= UINT32_MAX
                         ? hub_sched_find(c->sched, (uint32_t)id)
                         : NULL;

    if (job && job->restart_count == rc &&
        (job->state == HUB_JOB_RUNNING || job->state == HUB_JOB_COMPLETING) &&
        run_alloc_index(job, node) == 0)
        return job;
    hub_debug(HUB_DBG_LAUNCH, "job %lld.%lld: stale exit, ignored",
              (long long)id, (long long)rc);
    return NULL;
}

json_t *op_job_exit(conn_t *conn, json_t *req, reply_t *slot)
{
    ctld_t *c = conn->ctld;
    const char *reason = json_string_value(json_object_get(req, "reason"));
    const char *msg = json_string_value(json_object_get(req, "message"));
    hub_job_state_t state;
    int node, exit_code, term_signal;
    hub_error_t err;
    hub_job_t *job;

    if ((node = agent_node(conn, req, &err)) < 0)
        return answer_error(node, &err);
    if (agent_exit_state(
            reason, (int)json_integer_value(json_object_get(req, "status")),
            (int)json_integer_value(json_object_get(req, "signal")), &state,
            &exit_code, &term_signal) < 0) {
        hub_errorf(&err, EINVAL,
                   "reason '%s': not one of exited, timeout, "
                   "cancelled, oom, launch_failed, node_lost",
                   reason ? reason : "(none)");
        return answer_error(-EINVAL, &err);
    }
    if ((job = exit_job(c, req, (uint32_t)node))) {
        if (msg && msg[0])
            hub_log_info("job %u: %s: %s", job->id, reason, msg);
        run_job_exit(c, job, state, exit_code, term_signal,
                     json_integer_value(json_object_get(req, "end_ms")));
    }
    return answer_when_durable(conn, slot);
}

/* dispatch.c - route a request to its op handler; answers and the
 * permission rule every job-changing op shares. */
#include "ctld.h"

#include <errno.h>
#include <string.h>

#include "log.h"

typedef json_t *(*op_fn)(conn_t *conn, json_t *req, reply_t *slot);

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"submit", op_submit},
    {"ping", op_ping},
    {"queue", op_queue},
    {"job", op_job},
    {"info", op_info},
    {"acct", op_acct},
    {"cancel", op_cancel},
    {"hold", op_hold},
    {"release", op_release},
    {"requeue", op_requeue},
    {"update", op_update},
    {"node_update", op_node_update},
    {"reconfigure", op_reconfigure},
    {"node_register", op_node_register},
    {"node_heartbeat", op_node_heartbeat},
    {"job_exit", op_job_exit},
    {"job_progress", op_job_progress},
    {"job_report", op_job_report},
};

json_t *answer_ok(void)
{
    return json_pack("{s:i}", "rc", 0);
}

json_t *answer_error(int rc, const hub_error_t *err)
{
    int code = rc < 0 ? rc : -EINVAL;
    json_t *a = json_pack("{s:i, s:s}", "rc", code, "error",
                          err && err->text[0] ? err->text : strerror(-code));

    /* A message that is not UTF-8 (it quotes the caller's bytes) must not
     * leave the request unanswered: fall back to the errno's text. */
    return a ? a
             : json_pack("{s:i, s:s}", "rc", code, "error", strerror(-code));
}

bool may_touch_job(const conn_t *conn, const hub_job_t *job)
{
    return conn->privileged || conn->uid == job->uid;
}

static op_fn find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(ops[i].name, name) == 0)
            return ops[i].fn;
    }
    return NULL;
}

void dispatch(conn_t *conn, json_t *req)
{
    json_t *jseq = json_object_get(req, "seq");
    const char *name = json_string_value(json_object_get(req, "op"));
    reply_t *slot = conn_reply_slot(conn, json_integer_value(jseq));
    hub_error_t err;
    json_t *answer;
    op_fn fn;

    if (!slot)
        return;
    nodes_heard(conn->ctld, conn); /* any message shows an agent alive */
    if (!name || !(fn = find_op(name))) {
        hub_errorf(&err, EPROTO, "unknown op '%s'", name ? name : "(none)");
        answer = answer_error(-EPROTO, &err);
    } else if (!op_allowed(conn, name)) {
        hub_errorf(&err, EPERM,
                   "op '%s' is not served over TCP: use the "
                   "controller's Unix socket",
                   name);
        answer = answer_error(-EPERM, &err);
    } else {
        hub_debug(HUB_DBG_RPC, "%s: %s", conn->peer, name);
        answer = fn(conn, req, slot);
    }
    if (answer)
        conn_reply(conn, slot, answer);
}

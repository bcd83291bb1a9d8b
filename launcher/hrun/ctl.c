/* ctl.c - hrun and hubctld (ctl.h): node states for lost nodes, the
 * job's progress while it runs and its goodput at the end. */
#include "ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"

#define CTL_TIMEOUT_MS 2000

static bool unsupported; /* the controller refused an op as unknown */

static bool under_hubsched(const hrun_t *h)
{
    return h->job_id[0] && strcmp(h->layout.source, "hubsched") == 0;
}

/* One call; *resp on success (caller decrefs). req is stolen. */
static int call(json_t *req, json_t **resp)
{
    hub_client_t *c;
    hub_error_t err;
    int rc;

    *resp = NULL;
    if (!req)
        return -ENOMEM;
    if (!(c = hub_client_connect(NULL, &err))) {
        json_decref(req);
        return -ECONNREFUSED;
    }
    rc = hub_client_call(c, req, resp, CTL_TIMEOUT_MS, &err);
    hub_client_close(c);
    json_decref(req);
    return rc;
}

/* Node name of the layout is active. */
static bool active(const hrun_t *h, const char *name)
{
    for (size_t i = 0; i < h->layout.nnodes; i++)
        if (strcmp(h->layout.nodes[i].name, name) == 0)
            return h->layout.nodes[i].state == LAYOUT_ACTIVE;
    return false;
}

void ctl_lost_nodes(hrun_t *h, char *nodes, size_t len)
{
    json_t *resp, *node;
    size_t i, used = strlen(nodes);

    if (!under_hubsched(h) || call(json_pack("{s:s}", "op", "info"), &resp) < 0)
        return;
    json_array_foreach(json_object_get(resp, "nodes"), i, node)
    {
        const char *name = json_string_value(json_object_get(node, "name"));
        const char *st = json_string_value(json_object_get(node, "state"));
        if (!name || !st || !active(h, name) ||
            (strcmp(st, "DOWN") != 0 && strcmp(st, "UNKNOWN") != 0))
            continue;
        hrun_say(h, 1, "the controller holds node %s %s", name, st);
        used += (size_t)snprintf(nodes + used, len > used ? len - used : 0,
                                 "%s%s", used ? " " : "", name);
    }
    json_decref(resp);
}

/* Send op with the job's id and fields (stolen); forget ops the
 * controller does not know. */
static void tell(const hrun_t *h, const char *op, json_t *fields)
{
    json_t *resp;
    int rc;

    if (!fields || unsupported || !under_hubsched(h)) {
        json_decref(fields);
        return;
    }
    json_object_set_new(fields, "op", json_string(op));
    json_object_set_new(fields, "id", json_integer(atoll(h->job_id)));
    rc = call(fields, &resp);
    json_decref(resp);
    if (rc == -EINVAL || rc == -ENOSYS || rc == -EOPNOTSUPP)
        unsupported = true;
}

void ctl_progress(hrun_t *h)
{
    tell(h, "job_progress",
         json_pack("{s:I, s:f, s:i}", "step", (json_int_t)h->best_step, "mfu",
                   h->mfu, "restarts", h->run));
}

void ctl_report(hrun_t *h, const jobread_summary_t *sum)
{
    tell(h, "job_report",
         json_pack("{s:f, s:f, s:i, s:f, s:I}", "goodput", sum->goodput,
                   "work_lost_s", sum->lost_time_s, "restarts", h->run, "mfu",
                   sum->mean_mfu, "step", (json_int_t)h->best_step));
}

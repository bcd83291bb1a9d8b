/* ctl_msgs.c - what hubd and hubctld say to each other (doc/protocol.md,
 * "Node agents"): node_register with the node's resources and the jobs it
 * still runs, the job_exit queue that survives reconnects, and the events
 * the controller sends (job_launch, job_signal, job_kill, job_end).
 *
 * No exit is lost: a job_exit stays queued until the controller answers
 * it with rc 0 (it answers once the end is durable). Until then the job
 * is listed as running in node_register, so that a restarted controller
 * keeps the job for the exit that follows instead of ending it NODE_FAIL.
 * One agent per process: the queue is module state.
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"

typedef struct exit_entry {
    struct exit_entry *next;
    json_t *msg;
    uint32_t id, restart_count;
    bool in_flight; /* sent on this connection, answer not yet in */
} exit_entry_t;

static exit_entry_t *exits;

static int add_cred(hubd_t *d, json_t *msg, hub_error_t *err)
{
    char payload[HUB_HOSTNAME_MAX + 32], *cred = NULL;
    int rc;

    if (d->ctl_unix)
        return 0; /* SO_PEERCRED tells the controller who we are */
    snprintf(payload, sizeof(payload), "node_register %s", d->name);
    rc = hub_auth_encode(payload, &cred, err);
    if (rc == 0)
        json_object_set_new(msg, "cred", json_string(cred));
    free(cred);
    return rc;
}

json_t *ctl_register_msg(hubd_t *d, hub_error_t *err)
{
    json_t *running = json_array();
    json_t *msg =
        json_pack("{s:s, s:s, s:i, s:I, s:i, s:s?, s:s, s:s, s:o}", "op",
                  "node_register", "node", d->name, "cpus", d->res.cpus,
                  "mem_mb", (json_int_t)d->res.mem_mb, "gpus", d->res.gpus,
                  "gpu_type", d->res.gpu_type, "gpu_source", d->res.gpu_source,
                  "version", HUBD_VERSION, "running", running);

    if (!msg) {
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    job_running_to_json(d, running);
    ctl_pending_to_json(d, running);
    if (add_cred(d, msg, err) < 0) {
        json_decref(msg);
        return NULL;
    }
    return msg;
}

void ctl_on_registered(hubd_t *d, const json_t *answer)
{
    json_t *v;

    if ((v = json_object_get(answer, "kill_wait_s")) && json_is_integer(v))
        d->kill_wait_s = json_integer_value(v);
    if ((v = json_object_get(answer, "heartbeat_s")) && json_is_integer(v) &&
        json_integer_value(v) > 0)
        d->heartbeat_s = json_integer_value(v);
    hub_log_notice("%s: registered with the controller (cpus %d, mem %llu "
                   "MB, gpus %d %s); heartbeat every %llds",
                   d->name, d->res.cpus, (unsigned long long)d->res.mem_mb,
                   d->res.gpus, d->res.gpu_source, (long long)d->heartbeat_s);
    for (exit_entry_t *e = exits; e; e = e->next)
        e->in_flight = false;
    ctl_resend_exits(d);
}

/* Errors that resending cannot cure: the controller does not know the
 * job (any more), or the message is wrong. */
static bool is_final_refusal(json_int_t rc)
{
    return rc == -ENOENT || rc == -ESRCH || rc == -EINVAL || rc == -EPERM ||
           rc == -EACCES || rc == -ESTALE;
}

static void on_exit_answer(hubd_t *d, void *arg, const json_t *answer)
{
    exit_entry_t *e = arg, **pp;
    json_int_t rc;

    e->in_flight = false;
    if (!answer)
        return; /* connection lost: resent after the next register */
    rc = json_integer_value(json_object_get(answer, "rc"));
    if (rc != 0 && !is_final_refusal(rc)) {
        hub_log_warn("job %u: controller could not take its exit (%s); will "
                     "resend",
                     e->id,
                     json_string_value(json_object_get(answer, "error")));
        return;
    }
    if (rc != 0)
        hub_log_warn("job %u: controller refused its exit: %s", e->id,
                     json_string_value(json_object_get(answer, "error")));
    for (pp = &exits; *pp && *pp != e; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = e->next;
    json_decref(e->msg);
    free(e);
}

void ctl_resend_exits(hubd_t *d)
{
    for (exit_entry_t *e = exits; e && ctl_registered(d); e = e->next) {
        if (e->in_flight)
            continue;
        if (ctl_request(d, json_deep_copy(e->msg), on_exit_answer, e) == 0)
            e->in_flight = true;
    }
}

void ctl_send_exit(hubd_t *d, json_t *msg)
{
    exit_entry_t *e = calloc(1, sizeof(*e)), **pp;

    if (!e) {
        hub_log_error("out of memory: job_exit lost");
        json_decref(msg);
        return;
    }
    e->msg = msg;
    e->id = (uint32_t)json_integer_value(json_object_get(msg, "id"));
    e->restart_count =
        (uint32_t)json_integer_value(json_object_get(msg, "restart_count"));
    for (pp = &exits; *pp; pp = &(*pp)->next)
        ;
    *pp = e;
    ctl_resend_exits(d);
}

bool ctl_exit_pending(const hubd_t *d, uint32_t id, uint32_t restart_count)
{
    for (const exit_entry_t *e = exits; e; e = e->next)
        if (e->id == id && e->restart_count == restart_count)
            return true;
    return false;
}

void ctl_pending_to_json(const hubd_t *d, json_t *arr)
{
    for (const exit_entry_t *e = exits; e; e = e->next)
        json_array_append_new(arr, json_pack("{s:I, s:I}", "id",
                                             (json_int_t)e->id, "restart_count",
                                             (json_int_t)e->restart_count));
}

void ctl_on_event(hubd_t *d, const json_t *msg)
{
    const char *ev = json_string_value(json_object_get(msg, "event"));

    if (!ev)
        hub_log_warn("%s: event without a name", d->name);
    else if (strcmp(ev, "job_launch") == 0)
        job_on_launch(d, msg);
    else if (strcmp(ev, "job_signal") == 0)
        job_on_signal(d, msg);
    else if (strcmp(ev, "job_kill") == 0)
        job_on_kill(d, msg);
    else if (strcmp(ev, "job_end") == 0)
        job_on_end(d, msg);
    else
        hub_log_warn("%s: unknown event '%s' ignored", d->name, ev);
}

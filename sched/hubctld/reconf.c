/* reconf.c - hcontrol reconfigure: re-read hub.conf, build a scheduler on
 * it and carry every job and the fair-share usage over (allocations
 * re-mapped by node name). If a job cannot be carried over (its node is
 * gone), nothing changes. */
#include "ctld.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

typedef struct carry {
    ctld_t *ctld;
    hub_sched_t *to;
    hub_error_t *err;
} carry_t;

/* Copy job with its allocation re-mapped onto the new cluster. */
static int remap(const hub_job_t *job, const hub_cluster_t *from,
                 const hub_cluster_t *to, hub_job_t *copy, hub_error_t *err)
{
    *copy = *job;
    copy->alloc.nodes = NULL;
    if (!job->alloc.nnodes)
        return 0;
    copy->alloc.nodes = malloc(job->alloc.nnodes * sizeof(hub_alloc_node_t));
    if (!copy->alloc.nodes)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (uint32_t i = 0; i < job->alloc.nnodes; i++) {
        const char *name = from->nodes[job->alloc.nodes[i].node].conf->name;
        long idx = hub_cluster_find_node(to, name);
        copy->alloc.nodes[i] = job->alloc.nodes[i];
        if (idx < 0) {
            free(copy->alloc.nodes);
            return hub_errorf(err, ENOENT,
                              "job %u runs on node %s, which the new "
                              "hub.conf does not have",
                              job->id, name);
        }
        copy->alloc.nodes[i].node = (uint32_t)idx;
    }
    return 0;
}

static int carry_one(hub_job_t *job, void *arg)
{
    carry_t *cr = arg;
    hub_job_t copy;

    if (remap(job, hub_sched_cluster(cr->ctld->sched),
              hub_sched_cluster(cr->to), &copy, cr->err) < 0)
        return -1;
    if (!hub_sched_add(cr->to, &copy, cr->err)) {
        hub_job_clear(&copy);
        return -1;
    }
    return 0;
}

static int carry_usage(const hub_usage_rec_t *rec, void *arg)
{
    return hub_sched_usage_restore(arg, rec);
}

/* The old scheduler's usage, queued for the store first (it should have
 * nothing unsaved: every charge is followed by run_persist). */
static int copy_usage(ctld_t *c, hub_sched_t *to)
{
    run_save_usage(c);
    return hub_sched_usage_save(c->sched, true, carry_usage, to);
}

static void copy_node_states(hub_sched_t *from, hub_sched_t *to)
{
    hub_cluster_t *a = hub_sched_cluster(from), *b = hub_sched_cluster(to);

    for (uint32_t i = 0; i < a->nnodes; i++) {
        long j = hub_cluster_find_node(b, a->nodes[i].conf->name);
        if (j >= 0)
            hub_sched_node_state(to, (uint32_t)j, a->nodes[i].state,
                                 ~a->nodes[i].state, a->nodes[i].reason);
    }
}

int run_set_operators(ctld_t *c, const hub_conf_t *conf, hub_error_t *err)
{
    const hub_conf_list_t *ops = &conf->globals.operators;
    uid_t *uids = calloc(ops->n + 1, sizeof(*uids));
    size_t n = 0;

    if (!uids)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < ops->n; i++) {
        struct passwd *pw = getpwnam(ops->v[i]);
        if (!pw) {
            hub_log_warn("Operators: no such user '%s'", ops->v[i]);
            continue;
        }
        uids[n++] = pw->pw_uid;
    }
    free(c->operators);
    c->operators = uids;
    c->noperators = n;
    return 0;
}

int run_reconfigure(ctld_t *c, hub_error_t *err)
{
    hub_sched_opts_t opts = {
        .host = {run_job_started, run_job_updated, c},
        .nodes_up = c->virtual_nodes,
    };
    hub_conf_t *conf = hub_conf_load(c->conf_path, err);
    hub_sched_t *s = conf ? hub_sched_create(conf, &opts, err) : NULL;
    carry_t cr = {.ctld = c, .to = s, .err = err};

    if (!s || hub_sched_foreach(c->sched, carry_one, &cr) != 0) {
        hub_sched_destroy(s);
        hub_conf_destroy(conf);
        return -EINVAL;
    }
    if (copy_usage(c, s) < 0 || nodes_remap(c, s) < 0) {
        hub_sched_destroy(s);
        hub_conf_destroy(conf);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    copy_node_states(c->sched, s);
    hub_sched_destroy(c->sched);
    hub_conf_destroy(c->conf);
    c->sched = s;
    c->conf = conf;
    /* Operators= changes too (new connections read it); out of memory
     * keeps the old list. */
    if (run_set_operators(c, conf, err) < 0)
        hub_log_error("reconfigure: Operators: %s", err->text);
    hub_log_notice("reconfigured from %s", c->conf_path);
    run_pass_soon(c);
    return 0;
}

/* plugins.h - the plugin types libhubsched calls: select, priority, sched,
 * hubsel.
 *
 * Each type is an ops table behind a typed descriptor (common/plugin.h).
 * hub.conf picks the implementation: SelectType=select/bestfit,
 * PriorityType=priority/multifactor, SchedulerType=sched/backfill,
 * HubSelectType=hubsel/cost. The
 * standard plugins are built into libhubsched (registered as built-ins
 * with the same descriptors); others load from PluginDir.
 *
 * Ops tables only grow at their end; bump the type's ABI minor when adding
 * an op, the major when changing one. Every op takes its context first.
 * Ops return 0 or a negative errno unless they say otherwise.
 */
#ifndef HUB_SCHED_PLUGINS_H
#define HUB_SCHED_PLUGINS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "conf.h"
#include "error.h"
#include "job.h"
#include "plugin.h"
#include "usage_rec.h"

typedef struct hub_sched hub_sched_t;

/* ---- select: which nodes and GPUs a job gets ---------------------------- */

#define HUB_SELECT_ABI_MAJOR 1
#define HUB_SELECT_ABI_MINOR 0

/* One placement question. */
typedef struct hub_place_req {
    const hub_cluster_t *cluster; /* live, or a what-if copy */
    const hub_job_t *job;         /* req holds the shape asked for */
    const uint32_t *cand; /* candidate nodes: partition, hub, GPU type and
                             state already checked; ascending index */
    uint32_t ncand;
    /* NULL, or per node index: the node must be free again by this time
     * (a backfill reservation starts then); the job may use the node only
     * if end_ms <= node_deadline_ms[node]. */
    const int64_t *node_deadline_ms;
    int64_t end_ms; /* when the job would end (start + time limit) */
} hub_place_req_t;

typedef struct hub_select_ops {
    /* Make the plugin's context for conf. Mandatory. */
    int (*create)(void **ctx, const hub_conf_t *conf, hub_error_t *err);
    /* NULL-safe. Mandatory. */
    void (*destroy)(void *ctx);
    /* Choose an allocation for req->job among req->cand on req->cluster
     * without changing the cluster. Returns 0 and fills *out (nodes
     * malloc'd; the batch node first); -EAGAIN when it does not fit now;
     * -ENOSPC when it could never fit on these candidates even if all
     * were free. The whole allocation lies inside one hub unless the job
     * may span hubs. Mandatory. */
    int (*place)(void *ctx, const hub_place_req_t *req, hub_alloc_t *out);
} hub_select_ops_t;

extern const hub_plugin_type_t hub_select_plugin_type;

/* ---- priority: the order of pending jobs --------------------------------- */

#define HUB_PRIORITY_ABI_MAJOR 1
#define HUB_PRIORITY_ABI_MINOR 1 /* 1: usage_save, usage_restore */

typedef struct hub_priority_ops {
    int (*create)(void **ctx, const hub_conf_t *conf, hub_error_t *err);
    void (*destroy)(void *ctx);
    /* Once per pass before priority() calls (decay usage here).
     * Optional. */
    void (*begin_pass)(void *ctx, int64_t now_ms);
    /* The job's priority now; higher runs first. Mandatory. */
    int64_t (*priority)(void *ctx, const hub_job_t *job, int64_t now_ms);
    /* A job used resources: called when it ends (and periodically while
     * it runs) with the billing it accrued since the last call, in
     * GPU-seconds-equivalent. Optional (fair-share). */
    void (*charge)(void *ctx, const hub_job_t *job, double billing,
                   int64_t now_ms);
    /* The factors behind priority() as a JSON object, for hcontrol show
     * job. Optional. */
    json_t *(*explain)(void *ctx, const hub_job_t *job, int64_t now_ms);
    /* Since minor 1. Fair-share usage for the host to persist: fn for
     * each association whose usage changed since the last call, or with
     * all for every association with usage, as of the plugin's last
     * decay. fn's first non-zero return stops the walk (what it did not
     * take stays changed) and is returned. Optional (with
     * usage_restore). */
    int (*usage_save)(void *ctx, bool all, hub_usage_fn fn, void *arg);
    /* Since minor 1. Add a record usage_save gave out (the host read it
     * back at recovery, or carries it over at reconfigure), decayed from
     * rec->decayed_ms to now_ms; it does not count as changed. Returns 0
     * or -ENOMEM. Optional (with usage_save). */
    int (*usage_restore)(void *ctx, const hub_usage_rec_t *rec, int64_t now_ms);
} hub_priority_ops_t;

extern const hub_plugin_type_t hub_priority_plugin_type;

/* ---- sched: the pass that starts jobs ------------------------------------ */

#define HUB_SCHED_ABI_MAJOR 1
#define HUB_SCHED_ABI_MINOR 0

/* What a pass sees. pending holds the jobs that may start now (eligible,
 * within limits), highest priority first; running holds every running job
 * with its expected end (start + time limit). */
typedef struct hub_sched_view {
    int64_t now_ms;
    hub_job_t **pending;
    uint32_t npending;
    hub_job_t **running;
    uint32_t nrunning;
    hub_cluster_t *cluster; /* live */
} hub_sched_view_t;

typedef struct hub_sched_ops {
    int (*create)(void **ctx, const hub_conf_t *conf, hub_error_t *err);
    void (*destroy)(void *ctx);
    /* Start what should start now, through hub_sched_place() and
     * hub_sched_start() (sched.h). Returns the number of jobs started or
     * a negative errno. Mandatory. */
    int (*pass)(void *ctx, hub_sched_t *s, const hub_sched_view_t *view);
} hub_sched_ops_t;

extern const hub_plugin_type_t hub_sched_plugin_type;

/* ---- hubsel: which hub a job without --hub goes to ---------------------- */

#define HUB_HUBSEL_ABI_MAJOR 1
#define HUB_HUBSEL_ABI_MINOR 0

/* What a ranking sees besides the job. */
typedef struct hub_hubsel_view {
    const hub_cluster_t *cluster; /* live, or a what-if copy */
    /* Per hub index, as of the start of the last pass: GPUs asked for by
     * pending jobs bound to the hub (--hub), plus those of pending jobs
     * with no hub shared evenly among all hubs; whole GPUs. */
    const double *pending_gpus;
    double mean_limit_s; /* mean time limit of those pending jobs, s */
} hub_hubsel_view_t;

/* One ranked hub: its score (lower is better; hubsel/cost: expected cost
 * in PowerPrice currency units) and the weighted terms it sums. */
typedef struct hub_hubsel_score {
    uint32_t hub; /* index into conf->hubs */
    double score;
    double energy, carbon, transfer, wait; /* weighted terms; 0 if unused */
} hub_hubsel_score_t;

typedef struct hub_hubsel_ops {
    /* Make the plugin's context for conf. Mandatory. */
    int (*create)(void **ctx, const hub_conf_t *conf, hub_error_t *err);
    /* NULL-safe. Mandatory. */
    void (*destroy)(void *ctx);
    /* Rank the hubs job (no --hub) may run on, best first, into out (room
     * for conf->nhubs entries), leaving out hubs it must not use (a
     * latency SLO). Returns how many were ranked (0: none may serve it),
     * or a negative errno. *any true: no preference - placement may pick
     * among all hubs at once (the select plugin chooses, as with no hub
     * selection); out then lists every hub for the explanation. The
     * allocation never spans hubs when *any is false. Mandatory. */
    int (*rank)(void *ctx, const hub_hubsel_view_t *view, const hub_job_t *job,
                hub_hubsel_score_t *out, bool *any);
} hub_hubsel_ops_t;

extern const hub_plugin_type_t hub_hubsel_plugin_type;

/* Register the standard plugins (select/bestfit, select/random,
 * select/fgd, select/topo, priority/basic,
 * priority/multifactor, sched/fifo, sched/backfill, hubsel/local,
 * hubsel/cost) as built-ins.
 * Idempotent. */
void hub_sched_register_builtins(void);

#endif /* HUB_SCHED_PLUGINS_H */

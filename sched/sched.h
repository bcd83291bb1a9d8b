/* sched.h - libhubsched: the scheduler, free of sockets, processes and MPI.
 *
 * A hub_sched_t holds the cluster's live resources and every job the
 * controller keeps in memory, and decides what starts when. Its host
 * (hubctld with the real clock, tests and hsim with a virtual one) feeds
 * it events - a job added, a job ended, a node changed - and runs passes;
 * the scheduler answers through the host's callbacks (a job started).
 *
 * A pass: pending jobs are checked for eligibility (hold, begin time,
 * dependencies, partition state and per-user limits, array throttles) and
 * given a priority by the priority plugin; the eligible ones, ordered by
 * partition tier, priority, submit time and id, go to the sched plugin,
 * which starts what it can through hub_sched_place() and hub_sched_start().
 *
 * Ownership: the scheduler owns its hub_job_t structs; pointers stay valid
 * until hub_sched_remove(). Not thread-safe: one thread drives it.
 */
#ifndef HUB_SCHED_H
#define HUB_SCHED_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "cluster.h"
#include "conf.h"
#include "error.h"
#include "job.h"
#include "plugins.h"

/* What the scheduler tells its host. */
typedef struct hub_sched_host {
    /* A pass started job: it is RUNNING with its allocation taken. The
     * host launches it (hubctld) or schedules its end (hsim). */
    void (*job_started)(void *arg, hub_job_t *job);
    /* A pending job's reason changed in a way the host may record
     * (e.g. DependencyNeverSatisfied). Optional. */
    void (*job_updated)(void *arg, hub_job_t *job);
    void *arg;
} hub_sched_host_t;

typedef struct hub_sched_opts {
    const hub_clock_t *clock; /* NULL = real clock */
    hub_sched_host_t host;
    bool nodes_up;           /* start nodes up (no agents: tests, hsim) */
    const char *plugin_path; /* extra plugin dirs; NULL = PluginDir */
} hub_sched_opts_t;

/* Pass statistics. */
typedef struct hub_pass_stats {
    uint32_t considered; /* pending jobs looked at */
    uint32_t eligible;   /* handed to the sched plugin */
    uint32_t started;
    int64_t duration_us; /* wall time of the pass (real clock) */
} hub_pass_stats_t;

/* A scheduler for conf (borrowed; must outlive it), with the plugins
 * hub.conf names. NULL with err on a plugin that does not load. */
hub_sched_t *hub_sched_create(const hub_conf_t *conf,
                              const hub_sched_opts_t *opts, hub_error_t *err);

/* NULL-safe; frees every job. */
void hub_sched_destroy(hub_sched_t *s);

hub_cluster_t *hub_sched_cluster(hub_sched_t *s);
const hub_conf_t *hub_sched_conf(const hub_sched_t *s);
int64_t hub_sched_now(const hub_sched_t *s);

/* Check a request against the configuration and complete it: default
 * partition and time limit, derived node and task counts. Rejects what can
 * never run with -EINVAL and a message naming the option, e.g.
 * "--gpus-per-node=16: no node of partition 'train' has 16 GPUs",
 * "--time=3-00:00:00 exceeds partition 'debug' MaxTime=1:00:00",
 * "--partition=foo: no such partition". Dependencies are checked by
 * hub_sched_add (they need the job table). */
int hub_sched_validate(hub_sched_t *s, hub_job_req_t *req, hub_error_t *err);

/* Add a job the host has made durable: a validated PENDING job, or at
 * recovery a job in any state (a RUNNING one takes its allocation back).
 * The struct is copied (the allocation's nodes array is taken over).
 * Dependencies are not checked here (a job they name may have been
 * forgotten since): call hub_sched_check_deps at submission. Returns the
 * scheduler's copy, or NULL with err: a duplicate id, an allocation that
 * is not free. */
hub_job_t *hub_sched_add(hub_sched_t *s, hub_job_t *job, hub_error_t *err);

/* Check job's dependencies (ids that exist) without adding it. */
int hub_sched_check_deps(hub_sched_t *s, const hub_job_req_t *req,
                         hub_error_t *err);

hub_job_t *hub_sched_find(hub_sched_t *s, hub_job_id_t id);

/* Call fn for every job (any order) until it returns non-zero; returns
 * that value or 0. fn must not add or remove jobs. */
int hub_sched_foreach(hub_sched_t *s, int (*fn)(hub_job_t *job, void *arg),
                      void *arg);

/* Number of jobs held, and of pending ones. */
uint32_t hub_sched_count(const hub_sched_t *s);
uint32_t hub_sched_count_pending(const hub_sched_t *s);

/* A running job ended (state one of COMPLETED, FAILED, CANCELLED, TIMEOUT,
 * NODE_FAIL, PREEMPTED, OUT_OF_MEMORY): its resources are given back (the
 * job keeps the record of its allocation for accounting), its usage
 * charged, end time set. A pending job may end CANCELLED too. */
int hub_sched_job_end(hub_sched_t *s, hub_job_t *job, hub_job_state_t state,
                      int exit_code, int term_signal);

/* Put a running job back to PENDING (node failure with --requeue, or
 * hcontrol requeue): allocation given back, restart_count incremented. */
int hub_sched_requeue(hub_sched_t *s, hub_job_t *job);

/* Hold or release a pending job. A hold by an admin can be released only
 * by an admin. Returns -EINVAL for a job that is not pending, -EPERM for a
 * user releasing an admin hold. */
int hub_sched_hold(hub_sched_t *s, hub_job_t *job, bool admin);
int hub_sched_release(hub_sched_t *s, hub_job_t *job, bool admin);

/* Forget a job in a final state (the host has recorded it). */
void hub_sched_remove(hub_sched_t *s, hub_job_t *job);

/* Set or clear node state bits (HUB_NODE_DOWN, _DRAIN, _UNKNOWN) with a
 * reason. Taking a node down does not end its jobs: the host does that. */
void hub_sched_node_state(hub_sched_t *s, uint32_t node, uint32_t set,
                          uint32_t clear, const char *reason);

/* Run one pass now. Returns jobs started, or a negative errno. */
int hub_sched_pass(hub_sched_t *s, hub_pass_stats_t *stats);

/* When and where job could start if nothing else were queued: now if it
 * fits, else after running jobs end (by their time limits). Fills
 * *start_ms and *out (nodes malloc'd). Returns 0, or -ENOSPC when it
 * never fits on the nodes now up. For hbatch --test-only. */
int hub_sched_will_run(hub_sched_t *s, const hub_job_t *job, int64_t *start_ms,
                       hub_alloc_t *out);

/* ---- for sched plugins --------------------------------------------------- */

/* Ask the select plugin for an allocation of job on cluster (the live one
 * or a what-if copy) among the nodes the job may use, honouring
 * node_deadline_ms (NULL or per node) for a job ending at end_ms. Returns
 * 0 with *out filled, -EAGAIN (not now) or -ENOSPC (never on these nodes).
 */
int hub_sched_place(hub_sched_t *s, const hub_cluster_t *cluster,
                    const hub_job_t *job, const int64_t *node_deadline_ms,
                    int64_t end_ms, hub_alloc_t *out);

/* Start job on alloc (taken from the live cluster; the nodes array is
 * taken over): RUNNING, start time now, host told. Returns 0 or -EBUSY. */
int hub_sched_start(hub_sched_t *s, hub_job_t *job, hub_alloc_t *alloc);

/* False when starting job now would break a per-user partition limit or
 * its array's %N throttle (hub_sched_start would refuse it). */
bool hub_sched_within_limits(hub_sched_t *s, const hub_job_t *job);

/* When a running job is expected to end: start + time limit. */
int64_t hub_job_expected_end_ms(const hub_job_t *job);

/* The priority plugin's explanation of job's priority (JSON object, new
 * reference) or NULL when the plugin gives none. */
json_t *hub_sched_explain_priority(hub_sched_t *s, const hub_job_t *job);

/* ---- fair-share usage (hubctld persists it) ----------------------------- */

/* Hand fn the priority plugin's fair-share usage (hub_usage_rec_t): each
 * association charged since the last call, or with all every association
 * with usage. Returns 0 (also when the plugin keeps no usage), or fn's
 * first non-zero return: what fn did not take stays for the next call. */
int hub_sched_usage_save(hub_sched_t *s, bool all, hub_usage_fn fn, void *arg);

/* Give the priority plugin back one record that usage_save handed out
 * (recovery, reconfigure); it is decayed from rec->decayed_ms to now.
 * Returns 0 (also when the plugin keeps no usage) or -ENOMEM. */
int hub_sched_usage_restore(hub_sched_t *s, const hub_usage_rec_t *rec);

/* Why job goes (or went) to its hub, for hcontrol show job: a new JSON
 * object {"plugin": "hubsel/cost", "any": bool, "hubs": [{"hub", "score",
 * "energy", "carbon", "transfer", "wait"}, ...]} with the hubs as the
 * HubSelectType plugin ranks them now, best first; {"hub": NAME,
 * "explicit": true} for a job with --hub; NULL on ENOMEM. */
json_t *hub_sched_explain_hub(hub_sched_t *s, const hub_job_t *job);

#endif /* HUB_SCHED_H */

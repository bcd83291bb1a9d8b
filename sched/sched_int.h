/* sched_int.h - the scheduler's internals shared by sched*.c. */
#ifndef HUB_SCHED_INT_H
#define HUB_SCHED_INT_H

#include "countmap.h"
#include "jobtab.h"
#include "sched.h"

/* Nodes a group of jobs may use: one partition, hub, GPU type and
 * constraint; rebuilt at the start of each pass. */
typedef struct candset {
    long partition;                /* index into conf->partitions */
    char hub[HUB_NAME_MAX];        /* "" = any */
    char gpu_type[HUB_NAME_MAX];   /* "" = any */
    char constraint[HUB_NAME_MAX]; /* required feature, "" = none */
    uint32_t *nodes;               /* usable node indexes, ascending */
    uint32_t n;
} candset_t;

/* A pending job's place in the queue, built once per pass for sorting. */
typedef struct sort_key {
    int tier;         /* its partition's PriorityTier */
    int64_t priority; /* from the priority plugin */
    int64_t submit_ms;
    hub_job_id_t id;
    hub_job_t *job;
} sort_key_t;

struct hub_sched {
    const hub_conf_t *conf;
    hub_clock_t clock;
    hub_sched_host_t host;
    hub_cluster_t *cluster;
    hub_cluster_t *empty; /* every node up and free: "could it ever fit?" */
    jobtab_t jobs;
    uint32_t npending;

    hub_plugin_t *select_pl, *priority_pl, *sched_pl, *hubsel_pl;
    const hub_select_ops_t *select;
    const hub_priority_ops_t *priority;
    const hub_sched_ops_t *sched;
    const hub_hubsel_ops_t *hubsel;
    void *select_ctx, *priority_ctx, *sched_ctx, *hubsel_ctx;
    /* hubsel: per hub, pending GPU demand as of the last pass (see
     * hub_hubsel_view_t) and a ranking's scratch; conf->nhubs each. */
    double *hub_pending_gpus;
    double hub_mean_limit_s;
    hub_hubsel_score_t *ranked;

    /* Per-pass scratch, reused across passes. */
    hub_job_t **pending, **running;
    uint32_t pending_cap, running_cap;
    sort_key_t *keys; /* keys_cap entries */
    uint32_t keys_cap;
    candset_t *cands;
    uint32_t ncands, cands_cap;
    countmap_t user_running;  /* (uid, partition) -> running jobs */
    bool count_users;         /* some partition has MaxJobsPerUser */
    countmap_t array_running; /* array_job_id -> running tasks */
};

/* sched_place.c */
void place_begin_pass(hub_sched_t *s);
void place_end_pass(hub_sched_t *s);
/* The live, usable nodes job may use on hub ("" = the job's own --hub,
 * or any hub when it gives none); cached per pass. NULL: no partition. */
const candset_t *place_candidates(hub_sched_t *s, const hub_job_t *job,
                                  const char *hub);
void place_count_running(hub_sched_t *s, const hub_job_t *job, int delta);
void place_free_cands(hub_sched_t *s);
/* Why job may not start now on a per-user or array limit
 * (HUB_REASON_JOB_LIMIT or _ARRAY_LIMIT), or HUB_REASON_NONE when
 * hub_sched_within_limits() allows it. */
hub_job_reason_t place_limit_reason(hub_sched_t *s, const hub_job_t *job);

/* Nodes of partition part matching req's hub, GPU type and constraint,
 * whatever their state, into out (room for every node); returns count. */
uint32_t place_static_cands(const hub_sched_t *s, long part,
                            const hub_job_req_t *req, uint32_t *out);

/* sched_hubsel.c */
/* Load HubSelectType and make the hubsel scratch. */
int hubsel_load(hub_sched_t *s, const char *path, hub_error_t *err);
void hubsel_unload(hub_sched_t *s);
/* Note the pending GPU demand per hub for the pass's rankings. */
void hubsel_begin_pass(hub_sched_t *s, const hub_sched_view_t *view);
/* Rank the hubs for job (no --hub) on cluster into s->ranked; returns
 * the count or a negative errno; *any as hub_hubsel_ops_t.rank. */
int hubsel_rank(hub_sched_t *s, const hub_cluster_t *cluster,
                const hub_job_t *job, bool *any);

/* sched_pass.c */
void pass_free(hub_sched_t *s);

/* sched.c */
/* Charge the job's usage since *since_ms to the priority plugin. */
void sched_charge(hub_sched_t *s, const hub_job_t *job, int64_t now_ms);

#endif /* HUB_SCHED_INT_H */

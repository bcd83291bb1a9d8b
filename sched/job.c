/* job.c - job vocabulary: state, reason, kind and dependency names. */
#include "job.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const state_names[HUB_JOB_STATE_COUNT] = {
    "PENDING",   "RUNNING",   "COMPLETING",    "COMPLETED",
    "FAILED",    "CANCELLED", "TIMEOUT",       "NODE_FAIL",
    "PREEMPTED", "REQUEUED",  "OUT_OF_MEMORY",
};

static const char *const state_short[HUB_JOB_STATE_COUNT] = {
    "PD", "R", "CG", "CD", "F", "CA", "TO", "NF", "PR", "RQ", "OOM",
};

static const char *const reason_names[HUB_REASON_COUNT] = {
    "None",
    "Priority",
    "Resources",
    "Dependency",
    "DependencyNeverSatisfied",
    "JobHeldUser",
    "JobHeldAdmin",
    "BeginTime",
    "PartitionDown",
    "MaxJobsPerUser",
    "ArrayTaskLimit",
    "ReqNodeNotAvail",
};

static const char *const kind_names[] = {"batch", "train", "infer"};

static const char *const dep_names[] = {"after", "afterany", "afterok",
                                        "afternotok"};

const char *hub_job_state_name(hub_job_state_t state)
{
    return (unsigned)state < HUB_JOB_STATE_COUNT ? state_names[state] : "?";
}

const char *hub_job_state_short(hub_job_state_t state)
{
    return (unsigned)state < HUB_JOB_STATE_COUNT ? state_short[state] : "?";
}

int hub_job_state_parse(const char *name)
{
    for (int i = 0; i < HUB_JOB_STATE_COUNT; i++) {
        if (strcasecmp(name, state_names[i]) == 0 ||
            strcasecmp(name, state_short[i]) == 0)
            return i;
    }
    return -1;
}

bool hub_job_state_is_final(hub_job_state_t state)
{
    switch (state) {
    case HUB_JOB_PENDING:
    case HUB_JOB_RUNNING:
    case HUB_JOB_COMPLETING:
    case HUB_JOB_REQUEUED:
        return false;
    default:
        return true;
    }
}

const char *hub_job_reason_name(hub_job_reason_t reason)
{
    return (unsigned)reason < HUB_REASON_COUNT ? reason_names[reason] : "?";
}

const char *hub_job_kind_name(hub_job_kind_t kind)
{
    return (unsigned)kind < 3 ? kind_names[kind] : "?";
}

int hub_job_kind_parse(const char *name)
{
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(name, kind_names[i]) == 0)
            return i;
    }
    return -1;
}

const char *hub_dep_type_name(hub_dep_type_t type)
{
    return (unsigned)type < 4 ? dep_names[type] : "?";
}

void hub_job_req_defaults(hub_job_req_t *req)
{
    uint32_t tpn = req->ntasks_per_node;

    if (req->ntasks == 0)
        req->ntasks = (req->nodes_min ? req->nodes_min : 1) * (tpn ? tpn : 1);
    if (req->cpus_per_task == 0)
        req->cpus_per_task = 1;
    if (req->nodes_min == 0 && tpn) {
        req->nodes_min = (req->ntasks + tpn - 1) / tpn;
    } else if (req->nodes_min == 0) {
        /* -n without -N: as Slurm, as few nodes as the tasks fit on. */
        req->nodes_min = 1;
        req->nodes_max = req->ntasks;
    }
    if (req->nodes_max < req->nodes_min)
        req->nodes_max = req->nodes_min;
}

void hub_job_clear(hub_job_t *job)
{
    if (!job)
        return;
    free(job->alloc.nodes);
    job->alloc.nodes = NULL;
    job->alloc.nnodes = 0;
}

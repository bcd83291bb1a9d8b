/* job.h - the job model: what a user asked for, and where the job stands.
 *
 * A job is a batch script plus a resource request (hub_job_req_t) and its
 * life: state, reason, times, allocation, exit code. Jobs are plain structs
 * owned by the queue (queue.h); this file gives their vocabulary (states,
 * reasons, kinds, dependency types) with Slurm's names, and their JSON form
 * (job_json.c), which is both the RPC representation and what the
 * controller stores in SQLite.
 *
 * Units: time points are milliseconds since the Unix epoch on the
 * scheduler's clock (virtual in tests and hsim); limits are seconds; memory
 * is MB as in Slurm; GPU amounts are milli-GPUs (1000 = one whole GPU, 250 =
 * a quarter of one), so that fractions and whole GPUs share one integer.
 */
#ifndef HUB_JOB_H
#define HUB_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "rpc.h"

#define HUB_NAME_MAX 64     /* job, partition, hub, account, user names */
#define HUB_GPU_MILLI 1000  /* milli-GPUs in one whole GPU */
#define HUB_JOB_MAX_DEPS 16 /* dependencies per job */
#define HUB_JOB_ID_NONE 0   /* job ids start at 1 */

typedef uint32_t hub_job_id_t;

typedef enum hub_job_state {
    HUB_JOB_PENDING = 0,
    HUB_JOB_RUNNING,
    HUB_JOB_COMPLETING,
    HUB_JOB_COMPLETED,
    HUB_JOB_FAILED,
    HUB_JOB_CANCELLED,
    HUB_JOB_TIMEOUT,
    HUB_JOB_NODE_FAIL,
    HUB_JOB_PREEMPTED,
    HUB_JOB_REQUEUED,
    HUB_JOB_OUT_OF_MEMORY,
    HUB_JOB_STATE_COUNT
} hub_job_state_t;

/* Why a job is pending (Slurm's names, shown by hqueue's %R). */
typedef enum hub_job_reason {
    HUB_REASON_NONE = 0,
    HUB_REASON_PRIORITY,       /* a higher-priority job goes first */
    HUB_REASON_RESOURCES,      /* waiting for resources to free up */
    HUB_REASON_DEPENDENCY,     /* waiting for dependencies */
    HUB_REASON_DEP_NEVER,      /* a dependency can never be satisfied */
    HUB_REASON_HELD_USER,      /* hbatch --hold or hcontrol hold by owner */
    HUB_REASON_HELD_ADMIN,     /* held by root or an operator */
    HUB_REASON_BEGIN_TIME,     /* --begin in the future */
    HUB_REASON_PARTITION_DOWN, /* its partition is DOWN */
    HUB_REASON_JOB_LIMIT,      /* partition MaxJobsPerUser reached */
    HUB_REASON_ARRAY_LIMIT,    /* --array=...%N throttle reached */
    HUB_REASON_NODE_DOWN,      /* nodes it needs are down or drained */
    HUB_REASON_COUNT
} hub_job_reason_t;

typedef enum hub_job_kind {
    HUB_KIND_BATCH = 0,
    HUB_KIND_TRAIN,
    HUB_KIND_INFER,
} hub_job_kind_t;

typedef enum hub_dep_type {
    HUB_DEP_AFTER = 0, /* after the job started */
    HUB_DEP_AFTERANY,  /* after it ended, any way */
    HUB_DEP_AFTEROK,   /* after it completed with exit code 0 */
    HUB_DEP_AFTERNOTOK /* after it failed, timed out, was cancelled... */
} hub_dep_type_t;

typedef struct hub_job_dep {
    hub_dep_type_t type;
    hub_job_id_t job_id;
} hub_job_dep_t;

/* What the user asked for. Zero means "not given" wherever a default
 * applies; hub_job_req_defaults() fills the defaults in. */
typedef struct hub_job_req {
    char name[HUB_NAME_MAX];
    char partition[HUB_NAME_MAX]; /* "" = the default partition */
    char hub[HUB_NAME_MAX];       /* "" = any hub */
    char account[HUB_NAME_MAX];
    char qos[HUB_NAME_MAX];
    char gpu_type[HUB_NAME_MAX];   /* "" = any type */
    char constraint[HUB_NAME_MAX]; /* -C: a node feature, "" = none */
    hub_job_kind_t kind;
    uint32_t nodes_min;           /* -N (min[-max]); 0 = derive from tasks */
    uint32_t nodes_max;           /* 0 = same as nodes_min */
    uint32_t ntasks;              /* -n */
    uint32_t ntasks_per_node;     /* --ntasks-per-node; 0 = not given */
    uint32_t cpus_per_task;       /* -c */
    uint32_t gpus_milli;          /* --gpus: total over the job, milli-GPUs */
    uint32_t gpus_per_node_milli; /* --gpus-per-node / --gres, milli-GPUs */
    uint64_t mem_per_node_mb;     /* --mem; 0 = none requested */
    int64_t time_limit_s;         /* -t; 0 = partition default */
    bool exclusive;               /* --exclusive: whole nodes */
    bool requeue;                 /* --requeue */
    bool hold;                    /* --hold */
    int32_t nice;                 /* --nice: subtracted from priority */
    int signal_num;               /* --signal=[B:]SIG@SECS: 0 = none */
    uint32_t signal_secs;         /* seconds before the limit */
    bool signal_batch_only;       /* the "B:" prefix */
    int64_t begin_ms;             /* --begin; 0 = now */
    uint32_t ndeps;
    hub_job_dep_t deps[HUB_JOB_MAX_DEPS];
    bool singleton; /* --dependency=singleton */
    bool deps_any;  /* deps joined with '?' (any) instead of ',' (all) */
    bool mem_all;   /* --mem=0: all of each node's memory (Slurm) */
    uint64_t mem_per_cpu_mb;     /* --mem-per-cpu, MB, kept only when the
                                  * shape does not give tasks per node; 0 =
                                  * none (else folded into mem_per_node_mb) */
    uint32_t spare_nodes;        /* --spare-nodes: extra nodes for restarts */
    char data_hub[HUB_NAME_MAX]; /* --data-hub: hub holding the data */
    char region[HUB_NAME_MAX];   /* --region: where users are (infer) */
    uint32_t latency_slo_ms;     /* --latency-slo, ms; 0 = none */
} hub_job_req_t;

#define HUB_NODE_MAX_GPUS 16 /* GPUs one node can have */

/* What a job holds on one node. */
typedef struct hub_alloc_node {
    uint32_t node;   /* index into the cluster's node table */
    uint32_t cpus;   /* CPUs taken */
    uint64_t mem_mb; /* memory taken, MB */
    uint16_t gpu_milli[HUB_NODE_MAX_GPUS]; /* milli-GPUs taken of each GPU */
} hub_alloc_node_t;

/* What a running job holds: nodes in rank order (the batch script runs
 * on nodes[0]). */
typedef struct hub_alloc {
    uint32_t nnodes;
    hub_alloc_node_t *nodes; /* nnodes entries, malloc'd */
} hub_alloc_t;

/* A job as the scheduler keeps it in memory. The script, environment and
 * other launch-only data live in the controller's store, not here, so that
 * 100,000 pending jobs stay small. */
typedef struct hub_job {
    hub_job_id_t id;
    hub_job_id_t array_job_id;  /* the array's first id; 0 if no array */
    int32_t array_task_id;      /* -1 if no array */
    uint32_t array_max_running; /* the %N throttle; 0 = none */
    uint32_t uid, gid;
    char user[HUB_NAME_MAX];
    hub_job_req_t req;
    hub_job_state_t state;
    hub_job_reason_t reason;
    bool held; /* held: by the user or, if held_admin, by admin */
    bool held_admin;
    int64_t submit_ms;      /* acknowledged */
    int64_t eligible_ms;    /* dependencies met, not held; 0 = not yet */
    int64_t start_ms;       /* 0 = not started */
    int64_t end_ms;         /* 0 = not ended */
    int64_t priority;       /* from the priority plugin, higher first */
    int64_t priority_fixed; /* set by an admin (hcontrol update
                               Priority=N): used instead; 0 = computed */
    int32_t exit_code;      /* the script's exit status */
    int32_t term_signal;    /* signal that ended it, 0 if none */
    uint32_t restart_count; /* requeues so far (SLURM_RESTART_COUNT) */
    uint32_t hub;           /* hub index of the allocation (when running) */
    hub_alloc_t alloc;      /* empty unless RUNNING or COMPLETING */
    /* Where the sched plugin plans to start this pending job: the start
     * of its backfill reservation as of the last pass (ms on the
     * scheduler's clock), or 0 when it has none. Slurm's "expected start"
     * (squeue --start); informational, not persisted. */
    int64_t planned_start_ms;
    /* What hrun reports (doc/hrun.md): job_progress while the job runs,
     * job_report at its end. Fixed point, so that the field tables stay
     * integer; 0 = not reported. Kept over requeues. */
    int64_t hrun_step;          /* last completed training step */
    uint32_t hrun_restarts;     /* hrun's in-place restarts (not requeues) */
    uint32_t hrun_mfu_ppm;      /* last MFU, parts per million (1e6 = 100%) */
    uint32_t hrun_mfu_mean_ppm; /* mean MFU over the run, ppm (job_report) */
    uint32_t hrun_goodput_ppm;  /* goodput, ppm of wall time (job_report) */
    int64_t hrun_work_lost_ms;  /* time of steps done again, ms (job_report) */
} hub_job_t;

/* Set defaults that do not depend on the cluster: ntasks from the nodes
 * (1 per node, or --ntasks-per-node), cpus_per_task 1, and the node range:
 * ntasks / ntasks_per_node when that is given, else 1 to ntasks nodes (as
 * few as fit, like Slurm's -n without -N). Idempotent. */
void hub_job_req_defaults(hub_job_req_t *req);

/* Names (Slurm's spelling) and their inverses; unknown input gives -1. */
const char *hub_job_state_name(hub_job_state_t state);
int hub_job_state_parse(const char *name); /* also accepts "PD", "R", ... */
const char *hub_job_state_short(hub_job_state_t state); /* "PD", "R"... */
const char *hub_job_reason_name(hub_job_reason_t reason);
const char *hub_job_kind_name(hub_job_kind_t kind);
int hub_job_kind_parse(const char *name);
const char *hub_dep_type_name(hub_dep_type_t type);

/* True for states a job never leaves (COMPLETED, FAILED, CANCELLED,
 * TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY). */
bool hub_job_state_is_final(hub_job_state_t state);

/* Release what the job owns (its allocation); the struct itself is the
 * caller's. NULL-safe. */
void hub_job_clear(hub_job_t *job);

/* The job's scheduling-relevant fields as a JSON object (the form hqueue
 * and the store read), and back. Launch-only data (script, env) is not
 * part of it. hub_job_from_json fills *job (allocation included) or
 * returns -EINVAL with err naming the bad field. */
json_t *hub_job_to_json(const hub_job_t *job);
int hub_job_from_json(const json_t *obj, hub_job_t *job, hub_error_t *err);
json_t *hub_job_req_to_json(const hub_job_req_t *req);
int hub_job_req_from_json(const json_t *obj, hub_job_req_t *req,
                          hub_error_t *err);

/* The table form of job lists (doc/protocol.md, "Jobs as a table"): a
 * list of column names and, per job, a row of the values the object form
 * has under those names ("req.NAME" for the request's fields). Columns a
 * job leaves at their default (0, "", false, none; array_task_id -1) may
 * be left out; absent columns decode to those defaults.
 *
 * hub_job_columns: the set of columns among want (bit c = column c; ~0:
 * all) that job needs, id and state always, to be OR-ed over the jobs of
 * one table; only the fields of want are looked at.
 * hub_job_column_names: the names of the set, in column order (a JSON
 * array; NULL on ENOMEM). hub_job_row_write: the job's values for the
 * set, in the same order, as JSON text separated by commas (the caller
 * writes the brackets and any cells of its own); written directly, with no
 * jansson values, for the controller's 100,000-row answers; errors are
 * w's (hub_rpc_writer_finish).
 * hub_job_column_find: the column called name, or -1 if the job has none
 * (an answer's own columns, such as "nodelist").
 * hub_job_column_from_json: decode v into column col of job (which starts
 * zeroed with array_task_id -1, as hub_job_from_json's jobs do); -EINVAL
 * with err naming the field when v is not a valid value for it. */
uint64_t hub_job_columns(const hub_job_t *job, uint64_t want);
json_t *hub_job_column_names(uint64_t cols);
void hub_job_row_write(hub_rpc_writer_t *w, const hub_job_t *job,
                       uint64_t cols);
int hub_job_column_find(const char *name);
int hub_job_column_from_json(hub_job_t *job, int col, const json_t *v,
                             hub_error_t *err);

#endif /* HUB_JOB_H */

/* conf.h - hub.conf: the typed configuration of a hubsched network.
 *
 * hub.conf is Slurm-style text (doc/hub.conf.md has every key): `Key=Value`
 * pairs separated by blanks, `#` comments, backslash-newline continuation,
 * double-quoted values, `Include <path>` and hostlist expressions. The first
 * key of a line decides what the line defines:
 *
 *   HubName=...        a hub (site of the network)        hub_conf_hub_t
 *   HubLink=A,B        a wide-area link between two hubs  hub_conf_link_t
 *   NodeName=HOSTLIST  one node per host                  hub_conf_node_t
 *   PartitionName=...  a named set of nodes with limits   hub_conf_partition_t
 *   SwitchName=...     a network switch (topology)        hub_conf_switch_t
 *   GpuType=...        peak FLOP/s and power of a GPU     hub_conf_gpu_type_t
 *   anything else      global keys                        hub_conf_globals_t
 *
 * Loading reads the whole file (and its includes), then checks names and
 * references; the result is either a fully consistent hub_conf_t or NULL
 * with a "FILE:LINE: ..." message in err. Every index field below has been
 * resolved and is valid when hub_conf_load() returns.
 *
 * The structs are public so that the scheduler reads them directly; treat
 * them as read-only. All strings and arrays belong to the hub_conf_t and
 * live until hub_conf_destroy().
 *
 * Non-goals: writing hub.conf back, reloading in place (load a new one and
 * swap), per-key Slurm compatibility beyond the keys documented.
 */
#ifndef HUB_CONF_H
#define HUB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "units.h" /* HUB_DURATION_INFINITE */

/* A count limit with no limit (MaxNodes=UNLIMITED, MaxJobsPerUser=...). */
#define HUB_CONF_UNLIMITED INT64_MAX
/* Include files may nest this deep (the top-level file is depth 0). */
#define HUB_CONF_INCLUDE_DEPTH_MAX 16

/* Defaults of the globals that are not obvious; doc/hub.conf.md says why. */
#define HUB_CONF_DEFAULT_SCHEDULER "sched/backfill"
#define HUB_CONF_DEFAULT_SELECT "select/bestfit"
#define HUB_CONF_DEFAULT_PRIORITY "priority/basic"
#define HUB_CONF_DEFAULT_HUBSEL "hubsel/local"
#define HUB_CONF_DEFAULT_STATE_DIR "/var/spool/hubsched"
#define HUB_CONF_DEFAULT_SOCKET "/run/hubsched/hubctld.sock"
#define HUB_CONF_DEFAULT_CONTROLLER_PORT 6917
#define HUB_CONF_DEFAULT_NODE_PORT 6918
/* Name of the hub made up when hub.conf defines none. */
#define HUB_CONF_IMPLICIT_HUB "default"

/* Where a record was defined, for messages ("hub.conf:12"). */
typedef struct hub_conf_origin {
    const char *file; /* path as opened (relative includes joined) */
    int line;         /* 1-based first physical line of the record */
} hub_conf_origin_t;

/* A list of strings (comma lists, expanded hostlists). */
typedef struct hub_conf_list {
    const char **v; /* n strings */
    size_t n;
} hub_conf_list_t;

typedef struct hub_conf_globals {
    const char *cluster_name;        /* NULL when unset */
    const char *scheduler_type;      /* plugin "sched/<name>" */
    const char *select_type;         /* plugin "select/<name>" */
    const char *priority_type;       /* plugin "priority/<name>" */
    const char *hubsel_type;         /* plugin "hubsel/<name>" */
    const char *plugin_dir;          /* NULL: the build's plugin dir */
    const char *state_save_location; /* directory for controller state */
    const char *controller_socket;   /* Unix socket path of hubctld */
    const char *tmp_fs;              /* where jobs' TMPDIRs are made */
    int controller_port;             /* TCP port hubd agents dial, 1-65535 */
    int64_t node_timeout_s;          /* node silent this long -> DOWN */
    int64_t kill_wait_s;             /* SIGTERM to SIGKILL delay */
    int64_t scheduler_interval_s;    /* full scheduling pass period */
    int64_t max_job_count;           /* jobs held (pending+running), >= 1 */
    hub_conf_list_t operators;       /* user names with operator rights */
    double priority_weight_age;      /* dimensionless priority weights */
    double priority_weight_fairshare;
    double priority_weight_job_size;
    double priority_weight_partition;
    int64_t priority_decay_half_life_s; /* usage half-life, seconds */
    int64_t priority_max_age_s;         /* age factor saturates here, s */
    int backfill_depth;                 /* jobs tried per backfill pass */
    double cost_weight_energy;          /* hubsel cost weights, >= 0 */
    double cost_weight_carbon;
    double cost_weight_transfer;
    double cost_weight_wait;
} hub_conf_globals_t;

typedef struct hub_conf_hub {
    const char *name;
    const char *region;      /* free text ("west"); NULL when unset */
    const char *description; /* free text; NULL when unset */
    double pue;              /* facility power / IT power, >= 1, default 1 */
    double power_price;      /* currency units per kWh, >= 0, default 0 */
    double carbon_intensity; /* gCO2 per kWh, >= 0, default 0 */
    bool has_location;       /* latitude/longitude given (both) */
    double latitude_deg;     /* -90..90 */
    double longitude_deg;    /* -180..180 */
    bool implicit;           /* made up because no HubName was given */
    hub_conf_origin_t origin;
} hub_conf_hub_t;

typedef struct hub_conf_link {
    const char *hub_a, *hub_b; /* as written; a != b */
    size_t a, b;               /* indexes into hub_conf_t.hubs */
    double latency_ms;         /* one-way, >= 0 */
    double bandwidth_gbps;     /* > 0, gigabits per second */
    double transfer_cost;      /* currency units per GB moved, >= 0 */
    hub_conf_origin_t origin;
} hub_conf_link_t;

typedef enum hub_conf_node_state {
    HUB_NODE_STATE_UNKNOWN = 0, /* until its hubd reports */
    HUB_NODE_STATE_IDLE,
    HUB_NODE_STATE_DOWN,
    HUB_NODE_STATE_DRAIN,
} hub_conf_node_state_t;

typedef struct hub_conf_node {
    const char *name;            /* one host of the NodeName hostlist */
    const char *hub_name;        /* Hub=; the only hub's name when omitted */
    size_t hub;                  /* index into hub_conf_t.hubs */
    int cpus;                    /* CPU cores usable by jobs, >= 1, default 1 */
    uint64_t real_memory_mb;     /* MiB usable by jobs, >= 1, default 1 */
    int gpus;                    /* from Gres=gpu[:TYPE]:N, default 0 */
    const char *gpu_type_name;   /* TYPE of Gres, NULL for "gpu:N" */
    long gpu_type;               /* index into gpu_types, -1 when untyped */
    int nvlink_domain_gpus;      /* GPUs per NVLink domain; divides gpus */
    const char *switch_name;     /* leaf switch; NULL when unknown */
    long switch_idx;             /* index into switches, -1 when unknown */
    const char *addr;            /* NodeAddr; the node name by default */
    int port;                    /* hubd TCP port, 1-65535 */
    hub_conf_list_t features;    /* Features=a,b */
    int weight;                  /* lower is allocated first, >= 0, default 1 */
    hub_conf_node_state_t state; /* initial state, default UNKNOWN */
    hub_conf_origin_t origin;    /* the NodeName line */
} hub_conf_node_t;

typedef enum hub_conf_part_state {
    HUB_PART_STATE_UP = 0,   /* accepts and runs jobs */
    HUB_PART_STATE_DOWN,     /* accepts, runs none */
    HUB_PART_STATE_DRAIN,    /* runs queued, accepts none */
    HUB_PART_STATE_INACTIVE, /* neither */
} hub_conf_part_state_t;

typedef struct hub_conf_partition {
    const char *name;
    const char *nodes_expr;     /* Nodes= as written; NULL when none */
    hub_conf_list_t node_names; /* Nodes= expanded; empty for ALL */
    size_t *node_idx;           /* nnodes indexes into hub_conf_t.nodes */
    size_t nnodes;
    bool is_default;           /* Default=YES */
    int64_t max_time_s;        /* HUB_DURATION_INFINITE by default */
    int64_t default_time_s;    /* <= max_time_s; max_time_s by default */
    int64_t max_nodes;         /* per job; HUB_CONF_UNLIMITED by default */
    int64_t max_jobs_per_user; /* running at once; HUB_CONF_UNLIMITED */
    int priority_tier;         /* higher tiers schedule first, default 1 */
    int priority_job_factor;   /* partition factor of priority, default 1 */
    hub_conf_part_state_t state;
    hub_conf_list_t allow_accounts; /* empty: every account */
    hub_conf_origin_t origin;
} hub_conf_partition_t;

typedef struct hub_conf_switch {
    const char *name;
    hub_conf_list_t node_names;   /* Nodes= expanded */
    size_t *node_idx;             /* node_names.n indexes into nodes */
    hub_conf_list_t switch_names; /* Switches= expanded (children) */
    size_t *switch_idx;           /* switch_names.n indexes into switches */
    long parent;                  /* switch listing this one, or -1 */
    double link_speed_gbps;       /* LinkSpeed, informational, >= 0 */
    hub_conf_origin_t origin;
} hub_conf_switch_t;

/* Dense (no sparsity) peak TFLOP/s per precision; 0 means unknown. */
typedef struct hub_conf_gpu_type {
    const char *name; /* matched against Gres=gpu:TYPE:N */
    double peak_tflops_bf16;
    double peak_tflops_fp16;
    double peak_tflops_tf32;
    double peak_tflops_fp32;
    double peak_tflops_fp64;
    double peak_tflops_fp8;
    double power_w;   /* board power (TDP), watts */
    double memory_gb; /* device memory, GB */
    hub_conf_origin_t origin;
} hub_conf_gpu_type_t;

struct hub_conf_priv; /* name indexes and storage; not for callers */

typedef struct hub_conf {
    hub_conf_globals_t globals;
    hub_conf_hub_t *hubs; /* nhubs >= 1 (an implicit one if none given) */
    size_t nhubs;
    hub_conf_link_t *links;
    size_t nlinks;
    hub_conf_node_t *nodes; /* in file order, hostlists expanded */
    size_t nnodes;
    hub_conf_partition_t *partitions;
    size_t npartitions;
    hub_conf_switch_t *switches;
    size_t nswitches;
    hub_conf_gpu_type_t *gpu_types;
    size_t ngpu_types;
    long default_partition; /* index of the Default=YES one, or -1 */
    struct hub_conf_priv *priv;
} hub_conf_t;

/* Read and check the file at path (and what it includes). Returns the
 * configuration, or NULL with err set ("FILE:LINE: Record=NAME: ...") and
 * errno set to the failure (EINVAL bad content, ENOENT/EACCES unreadable
 * file, ELOOP include cycle or depth, ENOMEM). */
hub_conf_t *hub_conf_load(const char *path, hub_error_t *err);

/* As hub_conf_load() for text held in memory; name labels messages and
 * relative Include paths resolve against its directory (the working
 * directory when name has no '/'). */
hub_conf_t *hub_conf_parse_string(const char *text, const char *name,
                                  hub_error_t *err);

/* NULL-safe. Invalidates every pointer obtained from conf. */
void hub_conf_destroy(hub_conf_t *conf);

/* Lookups by exact (case-sensitive) name, O(log n); NULL when absent. */
const hub_conf_hub_t *hub_conf_find_hub(const hub_conf_t *conf,
                                        const char *name);
const hub_conf_node_t *hub_conf_find_node(const hub_conf_t *conf,
                                          const char *name);
const hub_conf_partition_t *hub_conf_find_partition(const hub_conf_t *conf,
                                                    const char *name);
const hub_conf_switch_t *hub_conf_find_switch(const hub_conf_t *conf,
                                              const char *name);
const hub_conf_gpu_type_t *hub_conf_find_gpu_type(const hub_conf_t *conf,
                                                  const char *name);
/* The link between hubs a and b in either order, or NULL. */
const hub_conf_link_t *hub_conf_find_link(const hub_conf_t *conf, const char *a,
                                          const char *b);

/* Names of enum values as written in hub.conf ("IDLE", "UP"). */
const char *hub_conf_node_state_name(hub_conf_node_state_t state);
const char *hub_conf_part_state_name(hub_conf_part_state_t state);

#endif /* HUB_CONF_H */

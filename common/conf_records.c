/* conf_records.c - hub.conf key tables: per record type, which keys exist,
 * their types, units and ranges, the defaults, and the checks that need
 * only the record's own line (doc/hub.conf.md is the reader's version).
 */
#include "conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostlist.h"
#include "units.h"

/* An int64 upper bound that converts exactly through double. */
#define I64_BIG 1e15

/* ---- custom value parsers ---- */

#define FIELD(rec, k, type) ((type *)((char *)(rec) + (k)->off))

/* Hub, partition, switch and GPU type names: [A-Za-z0-9_.-]+, so that
 * they fit in lists, hostlists and Gres=gpu:TYPE:N. */
static int copy_name(conf_parser_t *p, const char *key, const char *val,
                     const char **dst, hub_error_t *err)
{
    const char *s;

    for (s = val; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
            break;
    if (*s || s == val)
        return hub_errorf(err, EINVAL,
                          "%s='%s': a name is letters, digits, '_', '.' "
                          "and '-'",
                          key, val);
    if (!(*dst = conf_strdup(p->conf, val)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

static int parse_name(conf_parser_t *p, const conf_key_t *k, void *rec,
                      const char *val, hub_error_t *err)
{
    return copy_name(p, k->name, val, FIELD(rec, k, const char *), err);
}

/* SchedulerType=sched/backfill: the part before '/' must match the key. */
static int parse_plugin(conf_parser_t *p, const conf_key_t *k, void *rec,
                        const char *val, hub_error_t *err)
{
    static const char *const kinds[][2] = {
        {"SchedulerType", "sched"},
        {"SelectType", "select"},
        {"PriorityType", "priority"},
        {"HubSelectType", "hubsel"},
    };
    const char *type = "?";
    size_t len;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(k->name, kinds[i][0]) == 0)
            type = kinds[i][1];
    len = strlen(type);
    if (strncmp(val, type, len) != 0 || val[len] != '/' || !val[len + 1] ||
        strchr(val + len + 1, '/'))
        return hub_errorf(err, EINVAL, "%s='%s': expected %s/<name>", k->name,
                          val, type);
    if (!(*FIELD(rec, k, const char *) = conf_strdup(p->conf, val)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* NodeName=HOSTLIST: kept as written; node_finish() expands it. */
static int parse_node_name(conf_parser_t *p, const conf_key_t *k, void *rec,
                           const char *val, hub_error_t *err)
{
    hub_conf_node_t *node = rec;
    if (!(node->name = conf_strdup(p->conf, val)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* Gres=gpu:N or gpu:TYPE:N (N >= 0); other generic resources are not
 * scheduled by hubsched and refused rather than ignored. */
static int parse_gres(conf_parser_t *p, const conf_key_t *k, void *rec,
                      const char *val, hub_error_t *err)
{
    hub_conf_node_t *node = rec;
    const char *count = strrchr(val, ':'), *type = val + 4;
    char name[HUB_HOSTNAME_MAX];
    long long n;

    if (strncasecmp(val, "gpu:", 4) != 0 || strchr(val, ',') ||
        conf_parse_ll(k->name, count + 1, 0, 1 << 16, &n, err) < 0)
        return hub_errorf(err, EINVAL,
                          "%s='%s': expected gpu:N or gpu:TYPE:N (N from 0 "
                          "to 65536; no other generic resources)",
                          k->name, val);
    node->gpus = (int)n;
    node->gpu_type_name = NULL;
    if (count == val + 3)
        return 0;
    if (count - type >= (long)sizeof(name))
        return hub_errorf(err, EINVAL, "%s='%s': GPU type name too long",
                          k->name, val);
    snprintf(name, sizeof(name), "%.*s", (int)(count - type), type);
    return copy_name(p, k->name, name, &node->gpu_type_name, err);
}

/* Port=N or Port=[N-M,...]: one port for all hosts, or one per host. */
static int parse_port(conf_parser_t *p, const conf_key_t *k, void *rec,
                      const char *val, hub_error_t *err)
{
    if (!(p->node_port = conf_strdup(p->conf, val)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* HubLink=A,B */
static int parse_link(conf_parser_t *p, const conf_key_t *k, void *rec,
                      const char *val, hub_error_t *err)
{
    const char *key = k->name;
    hub_conf_link_t *link = rec;
    hub_conf_list_t ends;
    int rc;

    if ((rc = conf_parse_list(p, key, val, &ends, err)) < 0)
        return rc;
    if (ends.n != 2)
        return hub_errorf(err, EINVAL, "%s='%s': expected two hub names A,B",
                          key, val);
    if ((rc = copy_name(p, key, ends.v[0], &link->hub_a, err)) < 0 ||
        (rc = copy_name(p, key, ends.v[1], &link->hub_b, err)) < 0)
        return rc;
    if (strcmp(link->hub_a, link->hub_b) == 0)
        return hub_errorf(err, EINVAL, "%s='%s': a hub cannot link to itself",
                          key, val);
    return 0;
}

/* Partition Nodes=HOSTLIST or ALL (resolved by conf_check). */
static int parse_part_nodes(conf_parser_t *p, const conf_key_t *k, void *rec,
                            const char *val, hub_error_t *err)
{
    hub_conf_partition_t *part = rec;

    if (!(part->nodes_expr = conf_strdup(p->conf, val)))
        return hub_errorf(err, ENOMEM, "out of memory");
    part->node_names.v = NULL;
    part->node_names.n = 0;
    if (strcasecmp(val, "ALL") == 0)
        return 0;
    return conf_parse_hostlist(p, k->name, val, &part->node_names, err);
}

/* AllowAccounts=a,b or ALL (the empty list). */
static int parse_accounts(conf_parser_t *p, const conf_key_t *k, void *rec,
                          const char *val, hub_error_t *err)
{
    hub_conf_partition_t *part = rec;

    part->allow_accounts.v = NULL;
    part->allow_accounts.n = 0;
    if (strcasecmp(val, "ALL") == 0)
        return 0;
    return conf_parse_list(p, k->name, val, &part->allow_accounts, err);
}

/* ---- globals ---- */

#define G(n, t, f, ...)                                                        \
    {                                                                          \
        .name = n, .type = t, .off = offsetof(hub_conf_globals_t, f),          \
        __VA_ARGS__                                                            \
    }

const conf_key_t conf_global_keys[] = {
    G("ClusterName", CK_CUSTOM, cluster_name, .custom = parse_name),
    G("SchedulerType", CK_CUSTOM, scheduler_type, .custom = parse_plugin),
    G("SelectType", CK_CUSTOM, select_type, .custom = parse_plugin),
    G("PriorityType", CK_CUSTOM, priority_type, .custom = parse_plugin),
    G("HubSelectType", CK_CUSTOM, hubsel_type, .custom = parse_plugin),
    G("PluginDir", CK_STR, plugin_dir),
    G("StateSaveLocation", CK_STR, state_save_location),
    G("ControllerSocket", CK_STR, controller_socket),
    G("TmpFS", CK_STR, tmp_fs),
    G("ControllerPort", CK_INT, controller_port, .min = 1, .max = 65535),
    G("NodeTimeout", CK_SECONDS, node_timeout_s, .min = 1, .max = I64_BIG),
    G("KillWait", CK_SECONDS, kill_wait_s, .min = 0, .max = I64_BIG),
    G("SchedulerInterval", CK_SECONDS, scheduler_interval_s, .min = 1,
      .max = I64_BIG),
    G("MaxJobCount", CK_I64, max_job_count, .min = 1, .max = I64_BIG),
    G("Operators", CK_LIST, operators),
    G("PriorityWeightAge", CK_DOUBLE, priority_weight_age, .max = 1e12),
    G("PriorityWeightFairshare", CK_DOUBLE, priority_weight_fairshare,
      .max = 1e12),
    G("PriorityWeightJobSize", CK_DOUBLE, priority_weight_job_size,
      .max = 1e12),
    G("PriorityWeightPartition", CK_DOUBLE, priority_weight_partition,
      .max = 1e12),
    G("PriorityDecayHalfLife", CK_DURATION, priority_decay_half_life_s),
    G("PriorityMaxAge", CK_DURATION, priority_max_age_s),
    G("BackfillDepth", CK_INT, backfill_depth, .min = 1, .max = 1000000),
    G("CostWeightEnergy", CK_DOUBLE, cost_weight_energy, .max = 1e12),
    G("CostWeightCarbon", CK_DOUBLE, cost_weight_carbon, .max = 1e12),
    G("CostWeightTransfer", CK_DOUBLE, cost_weight_transfer, .max = 1e12),
    G("CostWeightWait", CK_DOUBLE, cost_weight_wait, .max = 1e12),
};
const size_t conf_nglobal_keys =
    sizeof(conf_global_keys) / sizeof(conf_global_keys[0]);

/* Defaults follow Slurm where a Slurm key has the same meaning
 * (SlurmdTimeout, KillWait, MaxJobCount, PriorityDecayHalfLife, ...). */
void conf_globals_init(hub_conf_globals_t *g)
{
    memset(g, 0, sizeof(*g));
    g->scheduler_type = HUB_CONF_DEFAULT_SCHEDULER;
    g->select_type = HUB_CONF_DEFAULT_SELECT;
    g->priority_type = HUB_CONF_DEFAULT_PRIORITY;
    g->hubsel_type = HUB_CONF_DEFAULT_HUBSEL;
    g->state_save_location = HUB_CONF_DEFAULT_STATE_DIR;
    g->controller_socket = HUB_CONF_DEFAULT_SOCKET;
    g->tmp_fs = "/tmp";
    g->controller_port = HUB_CONF_DEFAULT_CONTROLLER_PORT;
    g->node_timeout_s = 10;
    g->kill_wait_s = 5;
    g->scheduler_interval_s = 30;
    g->max_job_count = 10000;
    g->priority_decay_half_life_s = 7 * 86400;
    g->priority_max_age_s = 7 * 86400;
    g->backfill_depth = 100;
    g->cost_weight_energy = 1.0;
    g->cost_weight_carbon = 1.0;
    g->cost_weight_transfer = 1.0;
    g->cost_weight_wait = 1.0;
}

/* ---- HubName ---- */

#define H(n, t, f, ...)                                                        \
    {                                                                          \
        .name = n, .type = t, .off = offsetof(hub_conf_hub_t, f), __VA_ARGS__  \
    }

static const conf_key_t hub_keys[] = {
    H("HubName", CK_CUSTOM, name, .custom = parse_name),
    H("Region", CK_STR, region),
    H("Description", CK_STR, description),
    H("PUE", CK_DOUBLE, pue, .min = 1, .max = 10),
    H("PowerPrice", CK_DOUBLE, power_price, .max = 1e6),
    H("CarbonIntensity", CK_DOUBLE, carbon_intensity, .max = 1e4),
    H("Latitude", CK_DOUBLE, latitude_deg, .min = -90, .max = 90),
    H("Longitude", CK_DOUBLE, longitude_deg, .min = -180, .max = 180),
};

static void hub_init(void *rec)
{
    hub_conf_hub_t *hub = rec;
    hub->pue = 1.0;
    hub->latitude_deg = NAN; /* NAN: not given, see hub_finish() */
    hub->longitude_deg = NAN;
}

static int hub_finish(conf_parser_t *p, void *rec, hub_error_t *err)
{
    hub_conf_hub_t *hub = rec;
    bool lat = !isnan(hub->latitude_deg), lon = !isnan(hub->longitude_deg);

    if (lat != lon)
        return hub_errorf(err, EINVAL, "%s given without %s",
                          lat ? "Latitude" : "Longitude",
                          lat ? "Longitude" : "Latitude");
    hub->has_location = lat;
    if (!lat)
        hub->latitude_deg = hub->longitude_deg = 0;
    return conf_append(p, &conf_rectypes[CONF_REC_HUB], rec, err);
}

/* ---- HubLink ---- */

#define L(n, t, f, ...)                                                        \
    {                                                                          \
        .name = n, .type = t, .off = offsetof(hub_conf_link_t, f), __VA_ARGS__ \
    }

static const conf_key_t link_keys[] = {
    L("HubLink", CK_CUSTOM, hub_a, .custom = parse_link),
    L("LatencyMs", CK_DOUBLE, latency_ms, .max = 1e6, .flags = CKF_REQUIRED),
    L("BandwidthGbps", CK_DOUBLE, bandwidth_gbps, .max = 1e9,
      .flags = CKF_REQUIRED | CKF_POSITIVE),
    L("TransferCost", CK_DOUBLE, transfer_cost, .max = 1e6),
};

static void no_init(void *rec)
{
}

static int link_finish(conf_parser_t *p, void *rec, hub_error_t *err)
{
    return conf_append(p, &conf_rectypes[CONF_REC_LINK], rec, err);
}

/* ---- NodeName ---- */

static const conf_enum_t node_states[] = {
    {"UNKNOWN", HUB_NODE_STATE_UNKNOWN},
    {"IDLE", HUB_NODE_STATE_IDLE},
    {"DOWN", HUB_NODE_STATE_DOWN},
    {"DRAIN", HUB_NODE_STATE_DRAIN},
    {NULL, 0},
};

#define N(n, t, f, ...)                                                        \
    {                                                                          \
        .name = n, .type = t, .off = offsetof(hub_conf_node_t, f), __VA_ARGS__ \
    }

static const conf_key_t node_keys[] = {
    N("NodeName", CK_CUSTOM, name, .custom = parse_node_name),
    N("Hub", CK_CUSTOM, hub_name, .custom = parse_name),
    N("CPUs", CK_INT, cpus, .min = 1, .max = 1 << 20),
    N("RealMemory", CK_SIZE_MB, real_memory_mb, .min = 1),
    N("Gres", CK_CUSTOM, gpus, .custom = parse_gres),
    N("NVLink", CK_INT, nvlink_domain_gpus, .min = 1, .max = 1 << 16),
    N("Switch", CK_CUSTOM, switch_name, .custom = parse_name),
    N("NodeAddr", CK_STR, addr),
    N("Port", CK_CUSTOM, port, .custom = parse_port),
    N("Features", CK_LIST, features),
    N("Weight", CK_INT, weight, .min = 0, .max = INT_MAX),
    N("State", CK_ENUM, state, .enums = node_states),
};

static void node_init(void *rec)
{
    hub_conf_node_t *node = rec;
    node->cpus = 1;
    node->real_memory_mb = 1;
    node->gpu_type = -1;
    node->switch_idx = -1;
    node->port = HUB_CONF_DEFAULT_NODE_PORT;
    node->weight = 1;
}

/* NVLink=K must split the node's GPUs into equal domains. */
static int node_check_gpus(hub_conf_node_t *node, hub_error_t *err)
{
    if (node->nvlink_domain_gpus == 0) {
        node->nvlink_domain_gpus = node->gpus;
        return 0;
    }
    if (node->gpus == 0)
        return hub_errorf(err, EINVAL, "NVLink=%d on a node without GPUs",
                          node->nvlink_domain_gpus);
    if (node->gpus % node->nvlink_domain_gpus != 0)
        return hub_errorf(err, EINVAL,
                          "NVLink=%d does not divide the node's %d GPUs",
                          node->nvlink_domain_gpus, node->gpus);
    return 0;
}

/* Expand key's hostlist value; it must give one item or one per node. */
static int expand_per_node(conf_parser_t *p, const char *key, const char *val,
                           size_t nnodes, hub_conf_list_t *out,
                           hub_error_t *err)
{
    int rc = conf_parse_hostlist(p, key, val, out, err);

    if (rc == 0 && out->n != 1 && out->n != nnodes)
        return hub_errorf(err, EINVAL,
                          "%s='%s' gives %zu values for %zu nodes (give one, "
                          "or one per node)",
                          key, val, out->n, nnodes);
    return rc;
}

/* The ports of Port=: a bare "[17001-17004]" is expanded by prefixing a
 * letter, since hostlist names start with one. */
static int expand_ports(conf_parser_t *p, size_t nnodes, int *ports,
                        hub_error_t *err)
{
    char expr[256];
    hub_conf_list_t list;
    long long port;
    int rc;

    if (snprintf(expr, sizeof(expr), "p%s", p->node_port) >= (int)sizeof(expr))
        return hub_errorf(err, EINVAL, "Port='%s': too long", p->node_port);
    if ((rc = expand_per_node(p, "Port", expr, nnodes, &list, err)) < 0)
        return hub_errorf(err, EINVAL,
                          "Port='%s': expected N or [N-M] "
                          "with one port per node",
                          p->node_port);
    for (size_t i = 0; i < list.n; i++) {
        if (list.v[i][0] != 'p') /* "N,M" without brackets */
            return hub_errorf(err, EINVAL, "Port='%s': expected N or [N-M,...]",
                              p->node_port);
        if ((rc = conf_parse_ll("Port", list.v[i] + 1, 1, 65535, &port, err)) <
            0)
            return rc;
        ports[i] = (int)port;
    }
    for (size_t i = list.n; i < nnodes; i++)
        ports[i] = ports[0];
    return 0;
}

static int node_append_all(conf_parser_t *p, hub_conf_node_t *tmpl,
                           const hub_conf_list_t *names,
                           const hub_conf_list_t *addrs, const int *ports,
                           hub_error_t *err)
{
    for (size_t i = 0; i < names->n; i++) {
        hub_conf_node_t node = *tmpl;
        int rc;
        node.name = names->v[i];
        if (addrs->n)
            node.addr = addrs->v[addrs->n == 1 ? 0 : i];
        else
            node.addr = node.name;
        if (ports)
            node.port = ports[i];
        if ((rc = conf_append(p, &conf_rectypes[CONF_REC_NODE], &node, err)) <
            0)
            return rc;
    }
    return 0;
}

static int node_finish(conf_parser_t *p, void *rec, hub_error_t *err)
{
    hub_conf_node_t *tmpl = rec;
    hub_conf_list_t names, addrs = {NULL, 0};
    int *ports = NULL, rc;

    if ((rc = conf_parse_hostlist(p, "NodeName", tmpl->name, &names, err)) < 0)
        return rc;
    if (names.n == 0)
        return hub_errorf(err, EINVAL, "NodeName='%s': no hosts", tmpl->name);
    if ((rc = node_check_gpus(tmpl, err)) < 0)
        return rc;
    if (tmpl->addr && (rc = expand_per_node(p, "NodeAddr", tmpl->addr, names.n,
                                            &addrs, err)) < 0)
        return rc;
    if (p->node_port) {
        if (!(ports = conf_alloc(p->conf, names.n * sizeof(*ports))))
            return hub_errorf(err, ENOMEM, "out of memory");
        if ((rc = expand_ports(p, names.n, ports, err)) < 0)
            return rc;
    }
    return node_append_all(p, tmpl, &names, &addrs, ports, err);
}

/* ---- PartitionName ---- */

static const conf_enum_t part_states[] = {
    {"UP", HUB_PART_STATE_UP},
    {"DOWN", HUB_PART_STATE_DOWN},
    {"DRAIN", HUB_PART_STATE_DRAIN},
    {"INACTIVE", HUB_PART_STATE_INACTIVE},
    {NULL, 0},
};

#define P(n, t, f, ...)                                                        \
    {                                                                          \
        .name = n, .type = t, .off = offsetof(hub_conf_partition_t, f),        \
        __VA_ARGS__                                                            \
    }

static const conf_key_t part_keys[] = {
    P("PartitionName", CK_CUSTOM, name, .custom = parse_name),
    P("Nodes", CK_CUSTOM, nodes_expr, .custom = parse_part_nodes),
    P("Default", CK_BOOL, is_default),
    P("MaxTime", CK_DURATION, max_time_s, .min = 1, .flags = CKF_UNLIMITED),
    P("DefaultTime", CK_DURATION, default_time_s, .min = 1,
      .flags = CKF_UNLIMITED),
    P("MaxNodes", CK_I64, max_nodes, .min = 1, .max = I64_BIG,
      .flags = CKF_UNLIMITED),
    P("MaxJobsPerUser", CK_I64, max_jobs_per_user, .min = 1, .max = I64_BIG,
      .flags = CKF_UNLIMITED),
    P("PriorityTier", CK_INT, priority_tier, .min = 0, .max = 65533),
    P("PriorityJobFactor", CK_INT, priority_job_factor, .min = 0, .max = 65533),
    P("State", CK_ENUM, state, .enums = part_states),
    P("AllowAccounts", CK_CUSTOM, allow_accounts, .custom = parse_accounts),
};

static void part_init(void *rec)
{
    hub_conf_partition_t *part = rec;
    part->max_time_s = HUB_DURATION_INFINITE;
    part->default_time_s = -1; /* -1: MaxTime, see part_finish() */
    part->max_nodes = HUB_CONF_UNLIMITED;
    part->max_jobs_per_user = HUB_CONF_UNLIMITED;
    part->priority_tier = 1;
    part->priority_job_factor = 1;
}

static int part_finish(conf_parser_t *p, void *rec, hub_error_t *err)
{
    hub_conf_partition_t *part = rec;
    char def[32], max[32];

    if (part->default_time_s < 0)
        part->default_time_s = part->max_time_s;
    if (part->default_time_s > part->max_time_s) {
        hub_format_duration(part->default_time_s, def, sizeof(def));
        hub_format_duration(part->max_time_s, max, sizeof(max));
        return hub_errorf(err, EINVAL, "DefaultTime=%s exceeds MaxTime=%s", def,
                          max);
    }
    return conf_append(p, &conf_rectypes[CONF_REC_PART], rec, err);
}

/* ---- SwitchName ---- */

#define S(n, t, f, ...)                                                        \
    {                                                                          \
        .name = n, .type = t, .off = offsetof(hub_conf_switch_t, f),           \
        __VA_ARGS__                                                            \
    }

static const conf_key_t switch_keys[] = {
    S("SwitchName", CK_CUSTOM, name, .custom = parse_name),
    S("Nodes", CK_HOSTLIST, node_names),
    S("Switches", CK_HOSTLIST, switch_names),
    S("LinkSpeed", CK_DOUBLE, link_speed_gbps, .max = 1e9),
};

static void switch_init(void *rec)
{
    ((hub_conf_switch_t *)rec)->parent = -1;
}

static int switch_finish(conf_parser_t *p, void *rec, hub_error_t *err)
{
    return conf_append(p, &conf_rectypes[CONF_REC_SWITCH], rec, err);
}

/* ---- GpuType ---- */

#define U(n, f)                                                                \
    {                                                                          \
        .name = n, .type = CK_DOUBLE, .off = offsetof(hub_conf_gpu_type_t, f), \
        .max = 1e9                                                             \
    }

static const conf_key_t gpu_keys[] = {
    {.name = "GpuType",
     .type = CK_CUSTOM,
     .off = offsetof(hub_conf_gpu_type_t, name),
     .custom = parse_name},
    U("PeakTFLOPS_BF16", peak_tflops_bf16),
    U("PeakTFLOPS_FP16", peak_tflops_fp16),
    U("PeakTFLOPS_TF32", peak_tflops_tf32),
    U("PeakTFLOPS_FP32", peak_tflops_fp32),
    U("PeakTFLOPS_FP64", peak_tflops_fp64),
    U("PeakTFLOPS_FP8", peak_tflops_fp8),
    U("PowerW", power_w),
    U("MemoryGB", memory_gb),
};

static int gpu_finish(conf_parser_t *p, void *rec, hub_error_t *err)
{
    return conf_append(p, &conf_rectypes[CONF_REC_GPU], rec, err);
}

/* ---- the table of record types ---- */

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))
#define REC(kind_, key_, T, arr, n, keys_, dflt, init_, finish_)               \
    [kind_] = {.key = key_,                                                    \
               .kind = kind_,                                                  \
               .size = sizeof(T),                                              \
               .name_off = 0, /* the name is every record's first field */     \
               .arr_off = offsetof(hub_conf_t, arr),                           \
               .n_off = offsetof(hub_conf_t, n),                               \
               .origin_off = offsetof(T, origin),                              \
               .keys = keys_,                                                  \
               .nkeys = NKEYS(keys_),                                          \
               .has_default = dflt,                                            \
               .init = init_,                                                  \
               .finish = finish_}

const conf_rectype_t conf_rectypes[CONF_NREC] = {
    REC(CONF_REC_HUB, "HubName", hub_conf_hub_t, hubs, nhubs, hub_keys, false,
        hub_init, hub_finish),
    REC(CONF_REC_LINK, "HubLink", hub_conf_link_t, links, nlinks, link_keys,
        false, no_init, link_finish),
    REC(CONF_REC_NODE, "NodeName", hub_conf_node_t, nodes, nnodes, node_keys,
        true, node_init, node_finish),
    REC(CONF_REC_PART, "PartitionName", hub_conf_partition_t, partitions,
        npartitions, part_keys, true, part_init, part_finish),
    REC(CONF_REC_SWITCH, "SwitchName", hub_conf_switch_t, switches, nswitches,
        switch_keys, false, switch_init, switch_finish),
    REC(CONF_REC_GPU, "GpuType", hub_conf_gpu_type_t, gpu_types, ngpu_types,
        gpu_keys, false, no_init, gpu_finish),
};

const conf_rectype_t *conf_rectype_find(const char *key)
{
    for (size_t i = 0; i < CONF_NREC; i++)
        if (strcasecmp(conf_rectypes[i].key, key) == 0)
            return &conf_rectypes[i];
    return NULL;
}

static const char *enum_name(const conf_enum_t *e, int value)
{
    for (; e->name; e++)
        if (e->value == value)
            return e->name;
    return "?";
}

const char *hub_conf_node_state_name(hub_conf_node_state_t state)
{
    return enum_name(node_states, (int)state);
}

const char *hub_conf_part_state_name(hub_conf_part_state_t state)
{
    return enum_name(part_states, (int)state);
}

/* agent_wire.c - pure translations between the scheduler's model and the
 * node agent protocol (doc/protocol.md, "Node agents"): a job_exit's
 * reason as a job state, and the per-node parts of job_launch (alloc,
 * env). No loop, no sockets: unit-tested in tests/unit/test_ctld_nodes.c.
 */
#include "ctld.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int agent_exit_state(const char *reason, int status, int sig,
                     hub_job_state_t *state, int *exit_code, int *term_signal)
{
    static const struct {
        const char *reason;
        hub_job_state_t state;
    } map[] = {
        {"timeout", HUB_JOB_TIMEOUT},     {"cancelled", HUB_JOB_CANCELLED},
        {"oom", HUB_JOB_OUT_OF_MEMORY},   {"launch_failed", HUB_JOB_FAILED},
        {"node_lost", HUB_JOB_NODE_FAIL},
    };

    *exit_code = status;
    *term_signal = sig;
    if (!reason)
        return -EINVAL;
    if (strcmp(reason, "exited") == 0) {
        *state = status == 0 && sig == 0 ? HUB_JOB_COMPLETED : HUB_JOB_FAILED;
        return 0;
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(reason, map[i].reason) == 0) {
            *state = map[i].state;
            return 0;
        }
    }
    return -EINVAL;
}

static void set_env(json_t *env, const char *name, const char *fmt, double v)
{
    char buf[64];
    snprintf(buf, sizeof(buf), fmt, v);
    json_object_set_new(env, name, json_string(buf));
}

json_t *agent_launch_env(const hub_conf_t *conf, const hub_cluster_t *cl,
                         const hub_alloc_node_t *an)
{
    const hub_conf_node_t *cn = cl->nodes[an->node].conf;
    const hub_conf_gpu_type_t *gt =
        cn->gpu_type >= 0 ? &conf->gpu_types[cn->gpu_type] : NULL;
    json_t *env = json_object();
    uint32_t milli = 0;

    if (conf->globals.cluster_name)
        json_object_set_new(env, "HUB_CLUSTER",
                            json_string(conf->globals.cluster_name));
    for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
        milli += an->gpu_milli[g];
    if (!milli || !gt)
        return env;
    json_object_set_new(env, "HUB_GPU_TYPE", json_string(gt->name));
    if (gt->peak_tflops_bf16 <= 0)
        return env; /* unknown peak: no variable rather than a wrong 0 */
    set_env(env, "HUB_GPU_PEAK_TFLOPS_BF16", "%g", gt->peak_tflops_bf16);
    set_env(env, "HUB_PEAK_FLOPS_BF16", "%.0f",
            gt->peak_tflops_bf16 * 1e12 * milli / HUB_GPU_MILLI);
    return env;
}

static json_t *alloc_node_json(const hub_cluster_t *cl,
                               const hub_alloc_node_t *an)
{
    json_t *gpus = json_array(), *milli = json_array();

    for (int g = 0; g < HUB_NODE_MAX_GPUS; g++) {
        if (!an->gpu_milli[g])
            continue;
        json_array_append_new(gpus, json_integer(g));
        json_array_append_new(milli, json_integer(an->gpu_milli[g]));
    }
    return json_pack("{s:s, s:i, s:I, s:o, s:o}", "name",
                     cl->nodes[an->node].conf->name, "cpus", (int)an->cpus,
                     "mem_mb", (json_int_t)an->mem_mb, "gpus", gpus,
                     "gpu_milli", milli);
}

json_t *agent_alloc_json(const hub_cluster_t *cl, const hub_alloc_t *alloc)
{
    json_t *nodes = json_array();
    char *list = hub_cluster_alloc_nodelist(cl, alloc);
    json_t *out;

    for (uint32_t i = 0; i < alloc->nnodes; i++)
        json_array_append_new(nodes, alloc_node_json(cl, &alloc->nodes[i]));
    out = json_pack("{s:s, s:o}", "nodelist", list ? list : "", "nodes", nodes);
    free(list);
    return out;
}

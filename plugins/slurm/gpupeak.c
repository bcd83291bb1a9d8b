/* gpupeak.c - find the job's GPU type in a GpuType table and turn its
 * peaks into HUB_GPU_* variables. */
#include "gpupeak.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The variables of a GPU request that may carry a type, in the order
 * they are looked at ("h100:2", "gpu:h100:2", "h100:1,a100:1"). */
static const char *const request_vars[] = {
    "SLURM_GPUS_PER_NODE", "SLURM_GPUS", "SLURM_GPUS_PER_TASK",
    "SLURM_GPUS_PER_SOCKET", "SLURM_TRES_PER_TASK"};

/* The value of name in env, or NULL. */
static const char *env_get(char *const *env, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

int gpupeak_job_has_gpus(char *const *env)
{
    const char *n = env_get(env, "SLURM_GPUS_ON_NODE");
    const char *ids = env_get(env, "SLURM_JOB_GPUS");

    if (n)
        return atoi(n) > 0;
    return ids && *ids;
}

/* The first type named in a request value that conf knows: every
 * ':'-separated word of every ','-separated entry that is neither a
 * count nor "gpu" (or "gres/gpu") is a type name. */
static const hub_conf_gpu_type_t *request_type(const hub_conf_t *conf,
                                               const char *value)
{
    char buf[256], *save = NULL;
    const hub_conf_gpu_type_t *t = NULL;

    snprintf(buf, sizeof(buf), "%s", value);
    for (char *w = strtok_r(buf, ",:", &save); w && !t;
         w = strtok_r(NULL, ",:", &save)) {
        if (strspn(w, "0123456789") == strlen(w) || strcmp(w, "gpu") == 0 ||
            strcmp(w, "gres/gpu") == 0)
            continue;
        t = hub_conf_find_gpu_type(conf, w);
    }
    return t;
}

/* The Gres type of this node (SLURMD_NODENAME) when conf describes it. */
static const hub_conf_gpu_type_t *node_type(const hub_conf_t *conf,
                                            char *const *env)
{
    const char *name = env_get(env, "SLURMD_NODENAME");
    const hub_conf_node_t *node = name ? hub_conf_find_node(conf, name) : NULL;

    if (!node || node->gpu_type < 0)
        return NULL;
    return &conf->gpu_types[node->gpu_type];
}

/* Look up a name the user or the site gave: NULL with err set if absent. */
static const hub_conf_gpu_type_t *named(const hub_conf_t *conf,
                                        const char *name, const char *who,
                                        hub_error_t *err)
{
    const hub_conf_gpu_type_t *t = hub_conf_find_gpu_type(conf, name);

    if (!t)
        hub_errorf(err, ENOENT, "%s GPU type '%s' is not a GpuType of %s", who,
                   name,
                   conf->ngpu_types ? "the table"
                                    : "the (empty) "
                                      "table");
    return t;
}

const hub_conf_gpu_type_t *gpupeak_resolve(const hub_conf_t *conf,
                                           const char *explicit_type,
                                           const char *site_default,
                                           char *const *env, hub_error_t *err)
{
    const hub_conf_gpu_type_t *t = NULL;
    const char *v;

    if (explicit_type)
        return named(conf, explicit_type, "--hub-gpu-type:", err);
    for (size_t i = 0; !t && i < sizeof(request_vars) / sizeof(*request_vars);
         i++)
        if ((v = env_get(env, request_vars[i])))
            t = request_type(conf, v);
    if (!t)
        t = node_type(conf, env);
    if (!t && site_default)
        t = named(conf, site_default, "gpu_type=", err);
    if (!t && conf->ngpu_types == 1)
        t = &conf->gpu_types[0];
    return t;
}

size_t gpupeak_vars(const hub_conf_gpu_type_t *t, gpupeak_var_t *vars)
{
    const struct {
        const char *p;
        double tflops;
    } peaks[] = {
        {"BF16", t->peak_tflops_bf16}, {"FP16", t->peak_tflops_fp16},
        {"TF32", t->peak_tflops_tf32}, {"FP32", t->peak_tflops_fp32},
        {"FP64", t->peak_tflops_fp64}, {"FP8", t->peak_tflops_fp8},
    };
    size_t n = 0;

    snprintf(vars[n].name, sizeof(vars[n].name), "HUB_GPU_TYPE");
    snprintf(vars[n].value, sizeof(vars[n].value), "%s", t->name);
    n++;
    for (size_t i = 0; i < sizeof(peaks) / sizeof(*peaks); i++) {
        if (!(peaks[i].tflops > 0))
            continue;
        snprintf(vars[n].name, sizeof(vars[n].name), "HUB_GPU_PEAK_TFLOPS_%s",
                 peaks[i].p);
        snprintf(vars[n].value, sizeof(vars[n].value), "%.10g",
                 peaks[i].tflops);
        n++;
    }
    return n;
}

/* alibaba.c - Alibaba's GPU cluster trace v2023 ("openb", the trace of
 * Weng et al., "Beware of Fragmentation", USENIX ATC'23) read into an
 * hsim trace: a node list and a pod list, both CSV with a header line.
 *
 * Nodes (sn, cpu_milli, memory_mib, gpu, model) become hub.conf nodes of
 * one hub: CPUs=cpu_milli (one hub.conf CPU is one milli-core, so that
 * pods' fractional cores are exact), RealMemory=memory_mib and
 * Gres=gpu:MODEL:N; nodes without GPUs are nodes without Gres. Each model
 * gets a GpuType line from gpu_models[] below.
 *
 * Pods (cpu_milli, memory_mib, num_gpu, gpu_milli, creation_time,
 * deletion_time, scheduled_time; other columns ignored) become one-node,
 * one-task jobs: cpu_milli CPUs, memory_mib MB, and GPUs per node of
 * gpu_milli when num_gpu is 1 (a share of one GPU when below 1000) or
 * num_gpu whole GPUs. A pod arrives at its creation time and runs from
 * then for deletion - scheduled time (deletion - creation for a pod never
 * scheduled); its time limit is that run time (the trace has no user
 * estimate). gpu_spec (GPU model constraints) is not modelled: the
 * default pod list has none. Columns are found by their header names.
 */
#include "hsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ALI_MAX_COLS 32

/* Peaks and power of the trace's GPU models, for MFU and energy.
 * Dense tensor peaks from NVIDIA's data sheets (P100 has no BF16: its
 * FP16 peak is given). G1-G3 are undisclosed internal models: peaks and
 * power unknown (0), so energy uses HSIM_GPU_W for them. */
static const struct {
    const char *model;
    double bf16_tflops, fp16_tflops, power_w, memory_gb;
} gpu_models[] = {
    {"P100", 0, 18.7, 250, 16},   {"T4", 0, 65, 70, 16},
    {"V100M16", 0, 125, 300, 16}, {"V100M32", 0, 125, 300, 32},
    {"A10", 125, 125, 150, 24},   {"G1", 0, 0, 0, 0},
    {"G2", 0, 0, 0, 0},           {"G3", 0, 0, 0, 0},
};

/* A CSV file's header: column index by name. */
typedef struct csv_cols {
    char *names[ALI_MAX_COLS];
    int n;
    char *line; /* owns the names */
} csv_cols_t;

static int read_header(hsim_lines_t *lr, csv_cols_t *h, hub_error_t *err)
{
    char *line = hsim_lines_next(lr);

    if (!line)
        return hub_errorf(err, EINVAL,
                          "%s:1: empty file, expected a "
                          "header line",
                          lr->path);
    if (!(h->line = strdup(line)))
        return hub_errorf(err, ENOMEM, "out of memory");
    h->n = hsim_split(h->line, ',', h->names, ALI_MAX_COLS);
    if (h->n > ALI_MAX_COLS)
        return hub_errorf(err, EINVAL, "%s:1: more than %d columns", lr->path,
                          ALI_MAX_COLS);
    return 0;
}

static int find_col(const hsim_lines_t *lr, const csv_cols_t *h,
                    const char *name, hub_error_t *err)
{
    for (int i = 0; i < h->n; i++)
        if (strcmp(h->names[i], name) == 0)
            return i;
    return hub_errorf(err, EINVAL, "%s:1: no column '%s' in the header",
                      lr->path, name);
}

/* Split a data line into the header's number of fields. */
static int split_row(hsim_lines_t *lr, const csv_cols_t *h, char *line,
                     char **f, hub_error_t *err)
{
    int n = hsim_split(line, ',', f, ALI_MAX_COLS);

    if (n != h->n)
        return hub_errorf(err, EINVAL, "%s:%ld: expected %d fields, found %d",
                          lr->path, lr->lineno, h->n, n);
    return 0;
}

/* Field col as an integer; "" gives dflt. */
static int get_int(hsim_lines_t *lr, const csv_cols_t *h, char **f, int col,
                   int64_t dflt, int64_t *v, hub_error_t *err)
{
    if (f[col][0] == '\0') {
        *v = dflt;
        return 0;
    }
    if (!hsim_parse_i64(f[col], v) || *v < 0)
        return hub_errorf(err, EINVAL,
                          "%s:%ld: column '%s': '%s' is not a non-negative "
                          "integer",
                          lr->path, lr->lineno, h->names[col], f[col]);
    return 0;
}

/* ---- nodes --------------------------------------------------------------- */

static bool valid_model(const char *m)
{
    return m[0] && strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                             "wxyz0123456789_.-") == strlen(m);
}

static void gpu_types(FILE *out)
{
    for (size_t i = 0; i < sizeof(gpu_models) / sizeof(gpu_models[0]); i++)
        fprintf(out,
                "GpuType=%s PeakTFLOPS_BF16=%g PeakTFLOPS_FP16=%g "
                "PowerW=%g MemoryGB=%g\n",
                gpu_models[i].model, gpu_models[i].bf16_tflops,
                gpu_models[i].fp16_tflops, gpu_models[i].power_w,
                gpu_models[i].memory_gb);
}

/* One node line; the model must be one of gpu_models[]. */
static int node_line(hsim_lines_t *lr, const csv_cols_t *h, char **f,
                     const int c[5], FILE *out, hub_error_t *err)
{
    int64_t cpu, mem, gpus;
    const char *model = f[c[4]];
    bool known = false;

    if (get_int(lr, h, f, c[1], -1, &cpu, err) < 0 ||
        get_int(lr, h, f, c[2], -1, &mem, err) < 0 ||
        get_int(lr, h, f, c[3], 0, &gpus, err) < 0)
        return -EINVAL;
    if (cpu < 1 || mem < 1 || !valid_model(f[c[0]]))
        return hub_errorf(err, EINVAL,
                          "%s:%ld: a node needs a name, "
                          "cpu_milli and memory_mib",
                          lr->path, lr->lineno);
    for (size_t i = 0; i < sizeof(gpu_models) / sizeof(gpu_models[0]); i++)
        known = known || strcmp(gpu_models[i].model, model) == 0;
    if (gpus > 0 && !known)
        return hub_errorf(err, EINVAL, "%s:%ld: unknown GPU model '%s'",
                          lr->path, lr->lineno, model);
    fprintf(out, "NodeName=%s CPUs=%lld RealMemory=%lld", f[c[0]],
            (long long)cpu, (long long)mem);
    if (gpus > 0)
        fprintf(out, " Gres=gpu:%s:%lld", model, (long long)gpus);
    fputc('\n', out);
    return 0;
}

static int read_nodes_from(hsim_lines_t *lr, FILE *out, hub_error_t *err)
{
    static const char *const names[5] = {"sn", "cpu_milli", "memory_mib", "gpu",
                                         "model"};
    csv_cols_t h = {0};
    char *f[ALI_MAX_COLS], *line;
    int c[5], rc = read_header(lr, &h, err);

    for (int i = 0; rc == 0 && i < 5; i++)
        rc = (c[i] = find_col(lr, &h, names[i], err)) < 0 ? -EINVAL : 0;
    while (rc == 0 && (line = hsim_lines_next(lr))) {
        if (line[0] == '\0')
            continue;
        rc = split_row(lr, &h, line, f, err);
        if (rc == 0)
            rc = node_line(lr, &h, f, c, out, err);
    }
    free(h.line);
    return rc;
}

static int read_nodes(const char *path, hsim_trace_t *tr, hub_error_t *err)
{
    size_t len = 0;
    FILE *out = open_memstream(&tr->conf, &len);
    hsim_lines_t lr;
    int rc;

    if (!out)
        return hub_errorf(err, ENOMEM, "out of memory");
    fprintf(out, "HubName=alibaba PUE=1.3 PowerPrice=0.10 "
                 "CarbonIntensity=550\n");
    gpu_types(out);
    rc = hsim_lines_open(&lr, path, err);
    if (rc == 0) {
        rc = read_nodes_from(&lr, out, err);
        hsim_lines_close(&lr, NULL);
    }
    fprintf(out, "PartitionName=all Nodes=ALL Default=YES MaxTime=UNLIMITED\n");
    fclose(out);
    return rc;
}

/* ---- pods ---------------------------------------------------------------- */

enum { P_CPU, P_MEM, P_NGPU, P_MILLI, P_CREATE, P_DELETE, P_SCHED, P_N };

static int pod_job(hsim_lines_t *lr, const csv_cols_t *h, char **f,
                   const int c[P_N], hsim_job_t *j, hub_error_t *err)
{
    int64_t v[P_N];

    for (int i = 0; i < P_N; i++)
        if (get_int(lr, h, f, c[i], i == P_SCHED ? -1 : 0, &v[i], err) < 0)
            return -EINVAL;
    if (v[P_SCHED] < 0)
        v[P_SCHED] = v[P_CREATE];
    if (v[P_DELETE] < v[P_SCHED])
        return hub_errorf(err, EINVAL,
                          "%s:%ld: deletion_time before "
                          "scheduled_time",
                          lr->path, lr->lineno);
    j->id = (uint32_t)(lr->lineno - 1);
    j->submit_s = v[P_CREATE];
    j->run_s = v[P_DELETE] - v[P_SCHED];
    j->limit_s = j->run_s > 0 ? j->run_s : 1;
    j->nodes = 1;
    j->ntasks = 1;
    j->cpus_per_task = v[P_CPU] > 0 ? (uint32_t)v[P_CPU] : 1;
    j->mem_mb = (uint64_t)v[P_MEM];
    if (v[P_NGPU] == 1)
        j->gpus_milli = v[P_MILLI] > 0 && v[P_MILLI] < HUB_GPU_MILLI
                            ? (uint32_t)v[P_MILLI]
                            : HUB_GPU_MILLI;
    else
        j->gpus_milli = (uint32_t)v[P_NGPU] * HUB_GPU_MILLI;
    return 0;
}

static int read_pods_from(hsim_lines_t *lr, size_t max_jobs, hsim_trace_t *tr,
                          hub_error_t *err)
{
    static const char *const names[P_N] = {
        "cpu_milli",     "memory_mib",    "num_gpu",       "gpu_milli",
        "creation_time", "deletion_time", "scheduled_time"};
    csv_cols_t h = {0};
    char *f[ALI_MAX_COLS], *line;
    int c[P_N], rc = read_header(lr, &h, err);
    hsim_job_t *j;

    for (int i = 0; rc == 0 && i < P_N; i++)
        rc = (c[i] = find_col(lr, &h, names[i], err)) < 0 ? -EINVAL : 0;
    while (rc == 0 && (!max_jobs || tr->njobs < max_jobs) &&
           (line = hsim_lines_next(lr))) {
        if (line[0] == '\0')
            continue;
        if ((rc = split_row(lr, &h, line, f, err)) < 0)
            break;
        if (!(j = hsim_trace_add(tr)))
            rc = hub_errorf(err, ENOMEM, "out of memory");
        else if ((rc = pod_job(lr, &h, f, c, j, err)) < 0)
            tr->njobs--;
    }
    free(h.line);
    return rc;
}

int hsim_alibaba_read(const char *node_csv, const char *pod_csv,
                      size_t max_jobs, hsim_trace_t *tr, hub_error_t *err)
{
    hsim_lines_t lr;
    int rc = read_nodes(node_csv, tr, err);

    snprintf(tr->name, sizeof(tr->name), "alibaba-v2023");
    tr->cpu_w = HSIM_CORE_W / 1000; /* one hub.conf CPU is a milli-core */
    tr->default_policies = "random,bestfit,fgd,fgdx";
    if (rc < 0 || (rc = hsim_lines_open(&lr, pod_csv, err)) < 0)
        return rc;
    rc = read_pods_from(&lr, max_jobs, tr, err);
    hsim_lines_close(&lr, NULL);
    hsim_trace_sort(tr);
    return rc;
}

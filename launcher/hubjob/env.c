/* env.c - the allocation from HUB_*, Slurm and Open MPI/PMIx variables;
 * env_init puts it, checked against MPI, into the context. */
#include "env.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* The first of names (NULL-terminated) that get finds set and non-empty. */
static const char *first_of(env_get_fn get, const char *const *names,
                            const char **which)
{
    for (; *names; names++) {
        const char *v = get(*names);
        if (v && *v) {
            *which = *names;
            return v;
        }
    }
    return NULL;
}

/* *out = the first set variable of names as an integer >= 0, or dflt. */
static int int_var(env_get_fn get, const char *const *names, int dflt, int *out,
                   hub_error_t *err)
{
    const char *which = NULL, *v = first_of(get, names, &which);
    char *end;
    long n;

    *out = dflt;
    if (!v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || n < 0 || n > 1 << 30)
        return hub_errorf(err, EINVAL, "%s='%s': not a count", which, v);
    *out = (int)n;
    return 0;
}

/* *out = variable name as a number >= 0 times scale, or 0 when unset. */
static int num_var(env_get_fn get, const char *name, double scale, double *out,
                   hub_error_t *err)
{
    const char *v = get(name);
    char *end;
    double x;

    *out = 0;
    if (!v || !*v)
        return 0;
    x = strtod(v, &end);
    if (end == v || *end || !(x >= 0) || x > 1e30)
        return hub_errorf(err, EINVAL, "%s='%s': not a FLOP/s figure", name, v);
    *out = x * scale;
    return 0;
}

static void str_var(env_get_fn get, const char *const *names, char *buf,
                    size_t size)
{
    const char *which, *v = first_of(get, names, &which);

    if (v)
        snprintf(buf, size, "%s", v);
}

/* GPUs in a device list "0,1,3" (or UUIDs); "", "-1", NoDevFiles: none. */
static int count_gpus(const char *list, uint64_t *hash)
{
    int n = 1;

    *hash = 1469598103934665603ull; /* FNV-1a over the list */
    for (const char *p = list; *p; p++)
        *hash = (*hash ^ (unsigned char)*p) * 1099511628211ull;
    if (!*list || strcmp(list, "-1") == 0 || strcmp(list, "NoDevFiles") == 0)
        return 0;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

static void read_ids(env_alloc_t *a, env_get_fn get)
{
    static const char *const node[] = {"HUB_NODE", "SLURMD_NODENAME", NULL};
    static const char *const job[] = {"HUB_JOB_ID", "SLURM_JOB_ID", NULL};
    static const char *const ckpt[] = {"HUB_CKPT_DIR", NULL};
    static const char *const file[] = {"HUB_JOB_FILE", "HUB_METRICS_FILE",
                                       NULL};
    static const char *const gpus[] = {"CUDA_VISIBLE_DEVICES", "HUB_GPUS",
                                       NULL};
    static const char *const type[] = {"HUB_GPU_TYPE", NULL};
    const char *which, *list;

    if (gethostname(a->node, sizeof(a->node)) < 0)
        snprintf(a->node, sizeof(a->node), "localhost");
    a->node[sizeof(a->node) - 1] = '\0';
    str_var(get, node, a->node, sizeof(a->node));
    str_var(get, job, a->job_id, sizeof(a->job_id));
    snprintf(a->ckpt_dir, sizeof(a->ckpt_dir), "./ckpt%s%s",
             a->job_id[0] ? "-" : "", a->job_id);
    str_var(get, ckpt, a->ckpt_dir, sizeof(a->ckpt_dir));
    snprintf(a->job_file, sizeof(a->job_file), "./hubjob%s%s.h5",
             a->job_id[0] ? "-" : "", a->job_id);
    str_var(get, file, a->job_file, sizeof(a->job_file));
    str_var(get, type, a->gpu_type, sizeof(a->gpu_type));
    list = first_of(get, gpus, &which);
    a->ngpus = count_gpus(list ? list : "", &a->gpu_set_hash);
}

static int read_ranks(env_alloc_t *a, env_get_fn get, hub_error_t *err)
{
    static const char *const rank[] = {"HUB_RANK", "OMPI_COMM_WORLD_RANK",
                                       "PMIX_RANK", "SLURM_PROCID", NULL};
    static const char *const world[] = {
        "HUB_WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS", NULL};
    static const char *const lrank[] = {
        "HUB_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", NULL};
    static const char *const lworld[] = {"HUB_LOCAL_SIZE",
                                         "OMPI_COMM_WORLD_LOCAL_SIZE", NULL};
    static const char *const restart[] = {"HUB_RESTART_COUNT",
                                          "SLURM_RESTART_COUNT", NULL};
    int rc;

    if ((rc = int_var(get, rank, -1, &a->rank, err)) < 0 ||
        (rc = int_var(get, world, -1, &a->world, err)) < 0 ||
        (rc = int_var(get, lrank, -1, &a->local_rank, err)) < 0 ||
        (rc = int_var(get, lworld, -1, &a->local_world, err)) < 0)
        return rc;
    return int_var(get, restart, 0, &a->restart_count, err);
}

/* Precision and the peaks at that precision. */
static int read_peaks(env_alloc_t *a, env_get_fn get, hub_error_t *err)
{
    static const char *const known[] = {"bf16", "fp16", "tf32", "fp32", "fp64"};
    const char *p = get("HUB_PRECISION");
    char up[8], name[64];
    int rc, ok = 0;

    snprintf(a->precision, sizeof(a->precision), "%s",
             p && *p        ? p
             : a->ngpus > 0 ? "bf16"
                            : "fp32");
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok |= strcmp(a->precision, known[i]) == 0;
    if (!ok)
        return hub_errorf(err, EINVAL,
                          "HUB_PRECISION='%s': use bf16, fp16, tf32, fp32 "
                          "or fp64",
                          p);
    for (int i = 0; i < 8; i++)
        up[i] = (char)toupper((unsigned char)a->precision[i]);
    for (int pass = 0; pass < 2 && a->gpu_peak_flops == 0; pass++) {
        const char *prec = pass == 0 ? up : "BF16";
        if (pass == 1 && strcmp(up, "FP16") != 0)
            break;
        snprintf(name, sizeof(name), "HUB_GPU_PEAK_TFLOPS_%s", prec);
        if ((rc = num_var(get, name, 1e12, &a->gpu_peak_flops, err)) < 0)
            return rc;
        snprintf(name, sizeof(name), "HUB_PEAK_FLOPS_%s", prec);
        if ((rc = num_var(get, name, 1, &a->node_peak_flops, err)) < 0)
            return rc;
    }
    return num_var(get, "HUB_CPU_PEAK_FLOPS", 1, &a->cpu_core_flops, err);
}

int env_read(env_alloc_t *a, env_get_fn get, hub_error_t *err)
{
    int rc;

    memset(a, 0, sizeof(*a));
    read_ids(a, get);
    if ((rc = read_ranks(a, get, err)) < 0)
        return rc;
    return read_peaks(a, get, err);
}

static const char *real_getenv(const char *name)
{
    return getenv(name);
}

/* Warn (rank 0) when the environment and MPI disagree on the world: the
 * usual sign of a launcher without PMI (each process a singleton). */
static void check_against_mpi(const hub_ctx_t *ctx, const env_alloc_t *a)
{
    if (a->world > 0 && a->world != ctx->world && ctx->rank == 0)
        hub_log_warn("hubjob: the environment says %d ranks but MPI has %d;"
                     " was the program started without PMI (srun --mpi=pmix"
                     " or mpirun)?",
                     a->world, ctx->world);
    if (a->rank >= 0 && a->world == ctx->world && a->rank != ctx->rank)
        hub_debug(HUB_DBG_LAUNCH, "hubjob: environment rank %d, MPI rank %d",
                  a->rank, ctx->rank);
}

int env_init(hub_ctx_t *ctx)
{
    hub_error_t err = {{0}};
    env_alloc_t a;
    int rc;

    if ((rc = env_read(&a, real_getenv, &err)) < 0)
        return ctx_error(ctx, -rc, "%s", err.text);
    MPI_Comm_rank(ctx->comm, &ctx->rank);
    MPI_Comm_size(ctx->comm, &ctx->world);
    check_against_mpi(ctx, &a);
    ctx->restart_count = a.restart_count;
    ctx->ngpus = a.ngpus;
    snprintf(ctx->node, sizeof(ctx->node), "%s", a.node);
    snprintf(ctx->job_id, sizeof(ctx->job_id), "%s", a.job_id);
    snprintf(ctx->ckpt_dir, sizeof(ctx->ckpt_dir), "%s", a.ckpt_dir);
    snprintf(ctx->job_file, sizeof(ctx->job_file), "%s", a.job_file);
    snprintf(ctx->precision, sizeof(ctx->precision), "%s", a.precision);
    if ((rc = peak_init(ctx, &a, &err)) < 0)
        return ctx_error(ctx, -rc, "%s", err.text);
    hub_log_set_rank(ctx->rank, ctx->world);
    return 0;
}

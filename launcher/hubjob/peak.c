/* peak.c - the job's dense peak FLOP/s: each rank's share of its node's
 * devices, summed over the ranks once at init. */
#include "env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpupeak.h"
#include "mpierr.h"

/* What one rank of a node tells the others. */
typedef struct rank_view {
    int64_t gpu_set_hash;
    int64_t ngpus;
    int64_t cores; /* 0 for a GPU rank */
} rank_view_t;

/* The node's view, from every local rank's rank_view_t. */
typedef struct node_view {
    double gpu_share;  /* this rank's GPUs: its count / ranks sharing */
    double node_gpus;  /* sum of the shares on the node */
    double core_scale; /* <= 1: cores are over-subscribed */
    int cores;         /* this rank's, 0 for a GPU rank */
    int cpu_ranks;     /* ranks without GPUs on the node */
} node_view_t;

static void summarise_node(const rank_view_t *all, int n, int me,
                           node_view_t *v)
{
    double cores = 0;
    int sharers = 0;
    long online = sysconf(_SC_NPROCESSORS_ONLN);

    memset(v, 0, sizeof(*v));
    for (int i = 0; i < n; i++) {
        int same = all[i].gpu_set_hash == all[me].gpu_set_hash;
        sharers += same && all[i].ngpus > 0;
        v->cpu_ranks += all[i].ngpus == 0;
        cores += (double)all[i].cores;
    }
    if (all[me].ngpus > 0)
        v->gpu_share = (double)all[me].ngpus / sharers;
    for (int i = 0; i < n; i++) {
        int s = 0;
        for (int j = 0; j < n; j++)
            s += all[j].ngpus > 0 && all[j].gpu_set_hash == all[i].gpu_set_hash;
        if (all[i].ngpus > 0)
            v->node_gpus += (double)all[i].ngpus / s;
    }
    v->core_scale = online > 0 && cores > online ? online / cores : 1.0;
}

/* Exchange rank views over the node; local rank and world come out. */
static int node_exchange(hub_ctx_t *ctx, const env_alloc_t *a, MPI_Comm node,
                         node_view_t *v, hub_error_t *err)
{
    rank_view_t mine = {(int64_t)a->gpu_set_hash, a->ngpus, 0}, *all;
    int rc;

    MPI_Comm_rank(node, &ctx->local_rank);
    MPI_Comm_size(node, &ctx->local_world);
    if (a->ngpus == 0)
        mine.cores = cpupeak_rank_cores();
    if (!(all = calloc((size_t)ctx->local_world, sizeof(*all))))
        return hub_errorf(err, ENOMEM, "peak: out of memory");
    rc = mpierr(MPI_Allgather(&mine, 3, MPI_INT64_T, all, 3, MPI_INT64_T, node),
                "peak: node exchange", err);
    if (rc == 0)
        summarise_node(all, ctx->local_world, ctx->local_rank, v);
    v->cores = (int)mine.cores;
    free(all);
    return rc;
}

/* FP32 FLOP/s of one core, the same on every rank of the node: the
 * configured value, or local rank 0's cached or measured one. */
static int core_flops(hub_ctx_t *ctx, const env_alloc_t *a, MPI_Comm node,
                      double *out, hub_error_t *err)
{
    *out = a->cpu_core_flops;
    if (*out > 0)
        return 0;
    if (ctx->local_rank == 0)
        *out = cpupeak_core_flops(ctx->node, NULL);
    return mpierr(MPI_Bcast(out, 1, MPI_DOUBLE, 0, node),
                  "peak: sharing the CPU peak", err);
}

static void describe(hub_ctx_t *ctx, const char *gpu_type)
{
    char gpus[64] = "", cores[64] = "";

    if (ctx->job_gpus > 0)
        snprintf(gpus, sizeof(gpus), "%g x %s", ctx->job_gpus,
                 gpu_type[0] ? gpu_type : "GPU");
    if (ctx->job_cores > 0)
        snprintf(cores, sizeof(cores), "%g CPU cores", ctx->job_cores);
    snprintf(ctx->devices, sizeof(ctx->devices), "%s%s%s", gpus,
             gpus[0] && cores[0] ? " + " : "", cores);
}

/* This rank's {peak, GPUs, cores} share. */
static int rank_share(hub_ctx_t *ctx, const env_alloc_t *a, MPI_Comm node,
                      double share[3], hub_error_t *err)
{
    node_view_t v = {0};
    double per_core = 0;
    int rc;

    if ((rc = node_exchange(ctx, a, node, &v, err)) < 0)
        return rc;
    if (v.cpu_ranks > 0 && (rc = core_flops(ctx, a, node, &per_core, err)))
        return rc;
    if (a->ngpus > 0) {
        share[0] = a->node_peak_flops > 0
                       ? a->node_peak_flops * v.gpu_share / v.node_gpus
                       : a->gpu_peak_flops * v.gpu_share;
        share[1] = v.gpu_share;
        return 0;
    }
    share[2] = v.cores * v.core_scale;
    share[0] = per_core * share[2] * (strcmp(a->precision, "fp64") ? 1 : 0.5);
    return 0;
}

int peak_init(hub_ctx_t *ctx, const env_alloc_t *a, hub_error_t *err)
{
    MPI_Comm node = MPI_COMM_NULL;
    double share[3] = {0}, sum[3] = {0};
    int rc;

    rc = mpierr(MPI_Comm_split_type(ctx->comm, MPI_COMM_TYPE_SHARED, ctx->rank,
                                    MPI_INFO_NULL, &node),
                "peak: node communicator", err);
    if (rc == 0)
        rc = rank_share(ctx, a, node, share, err);
    if (node != MPI_COMM_NULL)
        MPI_Comm_free(&node);
    if (rc == 0)
        rc =
            mpierr(MPI_Allreduce(share, sum, 3, MPI_DOUBLE, MPI_SUM, ctx->comm),
                   "peak: sum over the ranks", err);
    if (rc < 0)
        return rc;
    ctx->peak_flops = sum[0];
    ctx->job_gpus = sum[1];
    ctx->job_cores = sum[2];
    describe(ctx, a->gpu_type);
    return 0;
}

/* comm_nccl.c - comm/nccl: libhubjob's collectives on GPU memory with NCCL,
 * built as comm_nccl.so when configure finds CUDA and NCCL (contracts in
 * comm_plugin.h).
 *
 * Bootstrap as in llm.c: each rank picks device local_rank % devices (the
 * launcher's CUDA_VISIBLE_DEVICES already narrowed what it sees), rank 0
 * makes the NCCL unique id, MPI_Bcast gives it to the others, and every
 * rank calls ncclCommInitRank. Each op is enqueued on the plugin's own
 * stream and waited for (cudaStreamSynchronize), so the API stays
 * synchronous like comm/mpi's. AVG is ncclAvg. Without a CUDA device
 * probe and create fail with "no CUDA device visible (cudaGetDeviceCount:
 * ...)".
 *
 * Non-goals: streams of the caller's, group calls, several devices per
 * rank, host buffers (they fail in NCCL with an invalid-argument error).
 */
#include <errno.h>
#include <stdlib.h>

#include "comm_plugin.h"
#include "gpuerr.h"
#include "mpierr.h"

struct comm_nccl {
    MPI_Comm comm;       /* our dup of env->comm (id, barrier) */
    ncclComm_t nccl;     /* NULL until ncclCommInitRank succeeded */
    cudaStream_t stream; /* NULL until created */
    int device;          /* the CUDA device this rank uses */
};

static ncclDataType_t nccl_type(hub_dtype_t dtype)
{
    switch (dtype) {
    case HUB_DTYPE_BFLOAT16:
        return ncclBfloat16;
    case HUB_DTYPE_FLOAT16:
        return ncclFloat16;
    case HUB_DTYPE_FLOAT64:
        return ncclFloat64;
    case HUB_DTYPE_INT32:
        return ncclInt32;
    case HUB_DTYPE_INT64:
        return ncclInt64;
    case HUB_DTYPE_UINT8:
        return ncclUint8;
    case HUB_DTYPE_FLOAT32:
        break;
    }
    return ncclFloat32;
}

static ncclRedOp_t nccl_op(hub_redop_t op)
{
    switch (op) {
    case HUB_OP_AVG:
        return ncclAvg;
    case HUB_OP_MAX:
        return ncclMax;
    case HUB_OP_MIN:
        return ncclMin;
    case HUB_OP_SUM:
        break;
    }
    return ncclSum;
}

/* Number of CUDA devices this process sees, > 0, or -ENODEV. */
static int device_count(int *n, hub_error_t *err)
{
    hub_error_t why;
    int rc;

    *n = 0; /* without a driver, cudaGetDeviceCount leaves it untouched */
    rc = cudaerr(cudaGetDeviceCount(n), "cudaGetDeviceCount", &why);
    if (rc < 0)
        return hub_errorf(err, ENODEV, "no CUDA device visible (%s)", why.text);
    if (*n <= 0)
        return hub_errorf(err, ENODEV,
                          "no CUDA device visible "
                          "(cudaGetDeviceCount: 0 devices)");
    return 0;
}

static int nccl_probe(const comm_env_t *env, hub_error_t *err)
{
    int n;

    return device_count(&n, err);
}

/* Rank 0 makes the unique id and broadcasts it with its status, so that
 * a failure there does not leave the other ranks waiting for an id. */
static int share_id(struct comm_nccl *c, int rank, ncclUniqueId *id,
                    hub_error_t *err)
{
    struct {
        int rc; /* rank 0's result of ncclGetUniqueId */
        ncclUniqueId id;
    } msg = {0};
    int rc;

    if (rank == 0)
        msg.rc = ncclerr(ncclGetUniqueId(&msg.id), "ncclGetUniqueId", err);
    rc = mpierr(MPI_Bcast(&msg, sizeof(msg), MPI_BYTE, 0, c->comm),
                "MPI_Bcast of the NCCL id", err);
    if (rc == 0 && msg.rc < 0 && rank != 0)
        rc = hub_errorf(err, -msg.rc, "rank 0 could not make the NCCL id");
    *id = msg.id;
    return rc < 0 ? rc : msg.rc;
}

/* Collective: every rank's rc (0 or a negative errno) to all; returns
 * this rank's rc, or -EIO with err set when only another rank failed.
 * Keeps ranks from entering ncclCommInitRank when one will not. */
static int all_ok(struct comm_nccl *c, int rc, hub_error_t *err)
{
    int ok = rc == 0;
    int mrc =
        mpierr(MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, c->comm),
               "MPI_Allreduce", err);

    if (mrc < 0 || rc < 0)
        return mrc < 0 ? mrc : rc;
    if (!ok)
        return hub_errorf(err, EIO, "set-up failed on another rank");
    return 0;
}

/* Device, id and communicator; c->comm is already valid. */
static int nccl_setup(struct comm_nccl *c, const comm_env_t *env,
                      hub_error_t *err)
{
    ncclUniqueId id;
    int n, rc = device_count(&n, err);

    if (rc == 0) {
        c->device = env->local_rank % n;
        rc = cudaerr(cudaSetDevice(c->device), "cudaSetDevice", err);
    }
    rc = all_ok(c, rc, err);
    if (rc == 0)
        rc = all_ok(c, share_id(c, env->rank, &id, err), err);
    if (rc == 0)
        rc = ncclerr(ncclCommInitRank(&c->nccl, env->world, id, env->rank),
                     "ncclCommInitRank", err);
    if (rc == 0)
        rc = cudaerr(
            cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking),
            "cudaStreamCreateWithFlags", err);
    return rc;
}

static void nccl_destroy(void *ctx)
{
    struct comm_nccl *c = ctx;

    if (!c)
        return;
    if (c->stream)
        cudaStreamDestroy(c->stream);
    if (c->nccl)
        ncclCommDestroy(c->nccl);
    if (c->comm != MPI_COMM_NULL)
        MPI_Comm_free(&c->comm);
    free(c);
}

static int nccl_create(void **ctx, const comm_env_t *env, hub_error_t *err)
{
    struct comm_nccl *c = calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return hub_errorf(err, ENOMEM, "comm/nccl: out of memory");
    c->comm = MPI_COMM_NULL;
    rc = mpierr(MPI_Comm_dup(env->comm, &c->comm), "MPI_Comm_dup", err);
    if (rc == 0) {
        MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
        rc = nccl_setup(c, env, err);
    }
    if (rc < 0) {
        nccl_destroy(c);
        return hub_error_prefix(err, rc, "comm/nccl");
    }
    *ctx = c;
    return 0;
}

/* Wait for the op just enqueued (launch status: rc). */
static int finish(struct comm_nccl *c, int rc, hub_error_t *err)
{
    if (rc < 0)
        return rc;
    return cudaerr(cudaStreamSynchronize(c->stream), "cudaStreamSynchronize",
                   err);
}

static int nccl_allreduce(void *ctx, const void *sendbuf, void *recvbuf,
                          size_t count, hub_dtype_t dtype, hub_redop_t op,
                          hub_error_t *err)
{
    struct comm_nccl *c = ctx;

    return finish(
        c,
        ncclerr(ncclAllReduce(sendbuf, recvbuf, count, nccl_type(dtype),
                              nccl_op(op), c->nccl, c->stream),
                "ncclAllReduce", err),
        err);
}

static int nccl_broadcast(void *ctx, void *buf, size_t count, hub_dtype_t dtype,
                          int root, hub_error_t *err)
{
    struct comm_nccl *c = ctx;

    return finish(c,
                  ncclerr(ncclBroadcast(buf, buf, count, nccl_type(dtype), root,
                                        c->nccl, c->stream),
                          "ncclBroadcast", err),
                  err);
}

static int nccl_allgather(void *ctx, const void *sendbuf, void *recvbuf,
                          size_t count, hub_dtype_t dtype, hub_error_t *err)
{
    struct comm_nccl *c = ctx;

    return finish(c,
                  ncclerr(ncclAllGather(sendbuf, recvbuf, count,
                                        nccl_type(dtype), c->nccl, c->stream),
                          "ncclAllGather", err),
                  err);
}

static int nccl_reduce_scatter(void *ctx, const void *sendbuf, void *recvbuf,
                               size_t count, hub_dtype_t dtype, hub_redop_t op,
                               hub_error_t *err)
{
    struct comm_nccl *c = ctx;

    return finish(
        c,
        ncclerr(ncclReduceScatter(sendbuf, recvbuf, count, nccl_type(dtype),
                                  nccl_op(op), c->nccl, c->stream),
                "ncclReduceScatter", err),
        err);
}

/* The stream is idle after every op, so an MPI barrier is enough. */
static int nccl_barrier(void *ctx, hub_error_t *err)
{
    struct comm_nccl *c = ctx;
    int rc = finish(c, 0, err);

    if (rc < 0)
        return rc;
    return mpierr(MPI_Barrier(c->comm), "MPI_Barrier", err);
}

static const hub_comm_ops_t comm_nccl_ops = {
    .probe = nccl_probe,
    .create = nccl_create,
    .destroy = nccl_destroy,
    .allreduce = nccl_allreduce,
    .broadcast = nccl_broadcast,
    .allgather = nccl_allgather,
    .reduce_scatter = nccl_reduce_scatter,
    .barrier = nccl_barrier,
};

HUB_PLUGIN_DESCRIPTOR("comm", "nccl", HUB_COMM_ABI_MAJOR, HUB_COMM_ABI_MINOR,
                      comm_nccl_ops);

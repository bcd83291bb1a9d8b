/* comm.c - libhubjob's collectives: choose a comm plugin at init, check
 * every hub_comm_* call's arguments, dispatch to the plugin.
 *
 * Choice (comm_init, collective): HUB_COMM=mpi or HUB_COMM=nccl forces a
 * backend; unset, comm/nccl is used when every rank has GPUs allocated
 * and can use them (the plugin loads, a CUDA device is present), else
 * comm/mpi. The ranks agree on the outcome before any backend is
 * created, so they never end up with different backends. comm/mpi is
 * built in; comm/nccl is comm_nccl.so, looked up along HUB_PLUGIN_PATH,
 * then HUB_PLUGINDIR.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm_plugin.h"
#include "ctx.h"
#include "log.h"
#include "mpierr.h"

static const hub_plugin_op_t comm_mandatory[] = {
    HUB_PLUGIN_OP(hub_comm_ops_t, create),
    HUB_PLUGIN_OP(hub_comm_ops_t, destroy),
    HUB_PLUGIN_OP(hub_comm_ops_t, allreduce),
    HUB_PLUGIN_OP(hub_comm_ops_t, broadcast),
    HUB_PLUGIN_OP(hub_comm_ops_t, allgather),
    HUB_PLUGIN_OP(hub_comm_ops_t, reduce_scatter),
    HUB_PLUGIN_OP(hub_comm_ops_t, barrier),
};

const hub_plugin_type_t hub_comm_plugin_type = {
    .name = "comm",
    .abi_major = HUB_COMM_ABI_MAJOR,
    .abi_minor = HUB_COMM_ABI_MINOR,
    .ops_size = sizeof(hub_comm_ops_t),
    .mandatory = comm_mandatory,
    .n_mandatory = sizeof(comm_mandatory) / sizeof(comm_mandatory[0]),
};

struct comm_state {
    hub_plugin_t *plugin;
    const hub_comm_ops_t *ops; /* the plugin's, host-sized */
    void *backend;             /* what ops->create made */
    const char *name;          /* "mpi" or "nccl" */
};

/* ---- choosing and creating the backend ----------------------------------- */

/* Collective over ctx->comm. Every rank passes its own result (0 or a
 * negative errno with err); all return 0 if all succeeded, else the
 * result and message of the lowest failing rank ("rank N: " prepended
 * when N > 0), so that rank 0, which reports for the job, can say why. */
static int agree(hub_ctx_t *ctx, int rc, hub_error_t *err)
{
    struct {
        int rc;
        hub_error_t err;
    } first = {.rc = rc};
    int first_bad = rc < 0 ? ctx->rank : ctx->world;
    int mrc = mpierr(
        MPI_Allreduce(MPI_IN_PLACE, &first_bad, 1, MPI_INT, MPI_MIN, ctx->comm),
        "MPI_Allreduce", err);

    if (mrc < 0 || first_bad == ctx->world)
        return mrc;
    if (rc < 0)
        first.err = *err;
    mrc =
        mpierr(MPI_Bcast(&first, sizeof(first), MPI_BYTE, first_bad, ctx->comm),
               "MPI_Bcast", err);
    if (mrc < 0)
        return mrc;
    *err = first.err;
    if (first_bad == 0)
        return first.rc;
    return hub_error_prefix(err, first.rc, "rank %d", first_bad);
}

/* The directories comm_nccl.so is looked for in. */
static void search_path(char *buf, size_t len)
{
    const char *env = getenv("HUB_PLUGIN_PATH");

    if (env && *env)
        snprintf(buf, len, "%s:%s", env, HUB_PLUGINDIR);
    else
        snprintf(buf, len, "%s", HUB_PLUGINDIR);
}

/* Local part of opening backend `name`: load it and probe this rank. */
static int open_local(hub_ctx_t *ctx, struct comm_state *st,
                      const comm_env_t *env, const char *name, hub_error_t *err)
{
    char path[4096];

    search_path(path, sizeof(path));
    st->plugin = hub_plugin_load(&hub_comm_plugin_type, name, path, err);
    if (!st->plugin && errno == ENOENT)
        return hub_errorf(err, ENOENT,
                          "no comm_%s.so along HUB_PLUGIN_PATH "
                          "or in %s (was hubsched built with CUDA and "
                          "NCCL?)",
                          name, HUB_PLUGINDIR);
    if (!st->plugin)
        return errno ? -errno : -ENOENT;
    st->ops = hub_plugin_ops(st->plugin);
    st->name = name;
    if (st->ops->probe)
        return st->ops->probe(env, err);
    return 0;
}

/* Collective: load, probe and create backend `name` on every rank, or on
 * none (st left empty). */
static int open_backend(hub_ctx_t *ctx, struct comm_state *st, const char *name,
                        hub_error_t *err)
{
    comm_env_t env = {
        .comm = ctx->comm,
        .rank = ctx->rank,
        .world = ctx->world,
        .local_rank = ctx->local_rank,
        .ngpus = ctx->ngpus,
    };
    int rc = open_local(ctx, st, &env, name, err);

    rc = agree(ctx, rc, err);
    if (rc == 0)
        rc = agree(ctx, st->ops->create(&st->backend, &env, err), err);
    if (rc < 0) {
        if (st->backend)
            st->ops->destroy(st->backend);
        hub_plugin_unload(st->plugin);
        memset(st, 0, sizeof(*st));
    }
    return rc;
}

/* Collective: true when every rank has GPUs allocated (so that all try
 * comm/nccl, or none). */
static bool every_rank_has_gpus(hub_ctx_t *ctx)
{
    int have = ctx->ngpus > 0;

    if (MPI_Allreduce(MPI_IN_PLACE, &have, 1, MPI_INT, MPI_LAND, ctx->comm) !=
        MPI_SUCCESS)
        return false;
    return have;
}

/* The backend HUB_COMM asks for: "mpi", "nccl", or NULL when unset. */
static int wanted_backend(hub_ctx_t *ctx, const char **want)
{
    const char *env = getenv("HUB_COMM");

    *want = NULL;
    if (!env || !*env)
        return 0;
    if (strcmp(env, "mpi") != 0 && strcmp(env, "nccl") != 0)
        return ctx_error(ctx, EINVAL,
                         "HUB_COMM=%s: unknown backend (use mpi or nccl)", env);
    *want = env;
    return 0;
}

int comm_init(hub_ctx_t *ctx)
{
    struct comm_state *st;
    const char *want;
    hub_error_t err = {{0}};
    int rc = wanted_backend(ctx, &want);

    if (rc < 0)
        return rc;
    hub_plugin_register_builtin(&hub_comm_mpi_desc); /* -EEXIST: done */
    st = calloc(1, sizeof(*st));
    if (!st)
        return ctx_error(ctx, ENOMEM, "collectives: out of memory");
    if (want ? strcmp(want, "nccl") == 0 : every_rank_has_gpus(ctx)) {
        rc = open_backend(ctx, st, "nccl", &err);
        if (rc < 0 && want) {
            free(st);
            return ctx_error(ctx, -rc, "HUB_COMM=nccl: %s", err.text);
        }
        if (rc < 0 && ctx->rank == 0)
            hub_log_notice("comm: GPUs allocated but NCCL is not usable "
                           "(%s): collectives use MPI",
                           err.text);
    }
    if (!st->plugin && (rc = open_backend(ctx, st, "mpi", &err)) < 0) {
        free(st);
        return ctx_error(ctx, -rc, "collectives: %s", err.text);
    }
    hub_debug(HUB_DBG_COMM, "collectives use comm/%s", st->name);
    ctx->comm_state = st;
    return 0;
}

void comm_fini(hub_ctx_t *ctx)
{
    struct comm_state *st = ctx ? ctx->comm_state : NULL;

    if (!st)
        return;
    st->ops->destroy(st->backend);
    hub_plugin_unload(st->plugin);
    free(st);
    ctx->comm_state = NULL;
}

const char *hub_comm_backend(const hub_ctx_t *ctx)
{
    return ctx && ctx->comm_state ? ctx->comm_state->name : "";
}

/* ---- argument checks ----------------------------------------------------- */

/* 0 when ctx has collectives and dtype is known; *esize its size. */
static int check_common(hub_ctx_t *ctx, hub_dtype_t dtype, size_t *esize)
{
    if (!ctx)
        return -EINVAL;
    if (!ctx->comm_state)
        return ctx_error(ctx, EINVAL, "collectives are not initialised");
    *esize = hub_dtype_size(dtype);
    if (*esize == 0)
        return ctx_error(ctx, EINVAL, "collective: unknown dtype %d",
                         (int)dtype);
    return 0;
}

/* Reductions: every floating dtype and the integers; AVG only on
 * floating ones (an integer mean would silently truncate). */
static int check_redop(hub_ctx_t *ctx, hub_dtype_t dtype, hub_redop_t op)
{
    bool integer = dtype == HUB_DTYPE_INT32 || dtype == HUB_DTYPE_INT64;

    if (op < HUB_OP_SUM || op > HUB_OP_MIN)
        return ctx_error(ctx, EINVAL, "reduction: unknown operator %d",
                         (int)op);
    if (dtype == HUB_DTYPE_UINT8 || (integer && op == HUB_OP_AVG))
        return ctx_error(ctx, ENOTSUP,
                         "reduction: operator %d is not defined for dtype %d",
                         (int)op, (int)dtype);
    return 0;
}

/* Buffers of count elements at a and b either are the same or do not
 * overlap; NULL only when count is 0. */
static int check_buffers(hub_ctx_t *ctx, const void *a, size_t a_bytes,
                         const void *b, size_t b_bytes)
{
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;

    if ((a_bytes && !a) || (b_bytes && !b))
        return ctx_error(ctx, EINVAL, "collective: NULL buffer");
    if (pa == pb || pa + a_bytes <= pb || pb + b_bytes <= pa)
        return 0;
    return ctx_error(ctx, EINVAL,
                     "collective: send and receive buffers overlap (in "
                     "place means the same address, see hubjob.h)");
}

/* count x world elements of esize bytes fit in a size_t. */
static int check_total(hub_ctx_t *ctx, size_t count, size_t esize)
{
    if (count > SIZE_MAX / esize / (size_t)ctx->world)
        return ctx_error(ctx, EOVERFLOW,
                         "collective: %zu elements per rank "
                         "overflow the address space",
                         count);
    return 0;
}

/* Turn a backend's failure into the context's error. */
static int backend_failed(hub_ctx_t *ctx, int rc, const hub_error_t *err)
{
    return rc < 0 ? ctx_error(ctx, -rc, "%s", err->text) : 0;
}

/* ---- the public collectives ---------------------------------------------- */

int hub_comm_allreduce(hub_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                       size_t count, hub_dtype_t dtype, hub_redop_t op)
{
    hub_error_t err = {{0}};
    size_t esize;
    int rc = check_common(ctx, dtype, &esize);

    if (rc == 0)
        rc = check_redop(ctx, dtype, op);
    if (rc == 0)
        rc = check_total(ctx, count, esize);
    if (rc == 0)
        rc = check_buffers(ctx, sendbuf, count * esize, recvbuf, count * esize);
    if (rc < 0 || count == 0)
        return rc;
    rc = ctx->comm_state->ops->allreduce(ctx->comm_state->backend, sendbuf,
                                         recvbuf, count, dtype, op, &err);
    return backend_failed(ctx, rc, &err);
}

int hub_comm_broadcast(hub_ctx_t *ctx, void *buf, size_t count,
                       hub_dtype_t dtype, int root)
{
    hub_error_t err = {{0}};
    size_t esize;
    int rc = check_common(ctx, dtype, &esize);

    if (rc == 0 && (root < 0 || root >= ctx->world))
        rc = ctx_error(ctx, EINVAL,
                       "broadcast: root %d is not a rank "
                       "(0..%d)",
                       root, ctx->world - 1);
    if (rc == 0)
        rc = check_total(ctx, count, esize);
    if (rc == 0)
        rc = check_buffers(ctx, buf, count * esize, buf, count * esize);
    if (rc < 0 || count == 0)
        return rc;
    rc = ctx->comm_state->ops->broadcast(ctx->comm_state->backend, buf, count,
                                         dtype, root, &err);
    return backend_failed(ctx, rc, &err);
}

int hub_comm_allgather(hub_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                       size_t sendcount, hub_dtype_t dtype)
{
    hub_error_t err = {{0}};
    size_t esize, bytes;
    int rc = check_common(ctx, dtype, &esize);

    if (rc == 0)
        rc = check_total(ctx, sendcount, esize);
    if (rc < 0 || sendcount == 0)
        return rc;
    bytes = sendcount * esize;
    if (!sendbuf || !recvbuf)
        return ctx_error(ctx, EINVAL, "allgather: NULL buffer");
    /* in place: sendbuf is this rank's block of recvbuf */
    if (sendbuf != (char *)recvbuf + (size_t)ctx->rank * bytes)
        rc = check_buffers(ctx, sendbuf, bytes, recvbuf,
                           bytes * (size_t)ctx->world);
    if (rc < 0)
        return rc;
    rc = ctx->comm_state->ops->allgather(ctx->comm_state->backend, sendbuf,
                                         recvbuf, sendcount, dtype, &err);
    return backend_failed(ctx, rc, &err);
}

int hub_comm_reduce_scatter(hub_ctx_t *ctx, const void *sendbuf, void *recvbuf,
                            size_t recvcount, hub_dtype_t dtype, hub_redop_t op)
{
    hub_error_t err = {{0}};
    size_t esize, bytes;
    int rc = check_common(ctx, dtype, &esize);

    if (rc == 0)
        rc = check_redop(ctx, dtype, op);
    if (rc == 0)
        rc = check_total(ctx, recvcount, esize);
    if (rc < 0 || recvcount == 0)
        return rc;
    bytes = recvcount * esize;
    if (!sendbuf || !recvbuf)
        return ctx_error(ctx, EINVAL, "reduce_scatter: NULL buffer");
    /* in place: recvbuf is this rank's block of sendbuf */
    if (recvbuf != (const char *)sendbuf + (size_t)ctx->rank * bytes)
        rc = check_buffers(ctx, sendbuf, bytes * (size_t)ctx->world, recvbuf,
                           bytes);
    if (rc < 0)
        return rc;
    rc = ctx->comm_state->ops->reduce_scatter(
        ctx->comm_state->backend, sendbuf, recvbuf, recvcount, dtype, op, &err);
    return backend_failed(ctx, rc, &err);
}

int hub_comm_barrier(hub_ctx_t *ctx)
{
    hub_error_t err = {{0}};
    int rc;

    if (!ctx)
        return -EINVAL;
    if (!ctx->comm_state)
        return ctx_error(ctx, EINVAL, "collectives are not initialised");
    rc = ctx->comm_state->ops->barrier(ctx->comm_state->backend, &err);
    return backend_failed(ctx, rc, &err);
}

/* comm_mpi.c - comm/mpi: libhubjob's collectives on host memory with MPI,
 * built into libhubjob (contracts in comm_plugin.h).
 *
 * float32, float64, int32 and int64 map to MPI types and operators
 * directly. bfloat16 and float16 have no MPI type: reductions convert
 * them to float32, reduce with MPI_FLOAT and round the result back once,
 * so a sum accumulates in float32 as hubjob.h promises, and every rank
 * rounds the same float to the same 16 bits. (A user-defined MPI_Op on
 * 16-bit data would round after every pairwise step instead: less
 * traffic, more error.) Data movement sends 16-bit values as
 * MPI_UINT16_T. AVG is a SUM divided by the number of ranks before the
 * final rounding.
 *
 * Non-goals: counts above INT_MAX (-EOVERFLOW; MPI-3 counts are int),
 * device memory, overlapping communication with computation.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "comm_plugin.h"
#include "half.h"
#include "mpierr.h"

struct comm_mpi {
    MPI_Comm comm;      /* our dup of env->comm, errors returned */
    int rank, world;    /* in comm */
    float *scratch;     /* float32 staging for 16-bit reductions */
    size_t scratch_len; /* elements allocated in scratch */
};

static MPI_Datatype mpi_type(hub_dtype_t dtype)
{
    switch (dtype) {
    case HUB_DTYPE_FLOAT32:
        return MPI_FLOAT;
    case HUB_DTYPE_BFLOAT16:
    case HUB_DTYPE_FLOAT16:
        return MPI_UINT16_T;
    case HUB_DTYPE_FLOAT64:
        return MPI_DOUBLE;
    case HUB_DTYPE_INT32:
        return MPI_INT32_T;
    case HUB_DTYPE_INT64:
        return MPI_INT64_T;
    case HUB_DTYPE_UINT8:
        return MPI_UINT8_T;
    }
    return MPI_DATATYPE_NULL;
}

static MPI_Op mpi_op(hub_redop_t op)
{
    switch (op) {
    case HUB_OP_SUM:
    case HUB_OP_AVG:
        return MPI_SUM;
    case HUB_OP_MAX:
        return MPI_MAX;
    case HUB_OP_MIN:
        return MPI_MIN;
    }
    return MPI_OP_NULL;
}

static bool is_half(hub_dtype_t dtype)
{
    return dtype == HUB_DTYPE_BFLOAT16 || dtype == HUB_DTYPE_FLOAT16;
}

/* -EOVERFLOW for a count MPI cannot take. */
static int check_count(size_t count, hub_error_t *err)
{
    if (count > INT_MAX)
        return hub_errorf(err, EOVERFLOW,
                          "comm/mpi: %zu elements, the most is %d", count,
                          INT_MAX);
    return 0;
}

/* As check_count, and -ENOTSUP unless dtype/op is a reduction this
 * backend does. */
static int check_reduce(size_t count, hub_dtype_t dtype, hub_redop_t op,
                        hub_error_t *err)
{
    bool floating = dtype == HUB_DTYPE_FLOAT32 || dtype == HUB_DTYPE_FLOAT64 ||
                    is_half(dtype);

    if (mpi_op(op) == MPI_OP_NULL || dtype == HUB_DTYPE_UINT8 ||
        mpi_type(dtype) == MPI_DATATYPE_NULL || (op == HUB_OP_AVG && !floating))
        return hub_errorf(err, ENOTSUP, "comm/mpi: no reduction %d of dtype %d",
                          (int)op, (int)dtype);
    return check_count(count, err);
}

/* ---- 16-bit staging ---------------------------------------------------- */

static float *scratch_get(struct comm_mpi *c, size_t n, hub_error_t *err)
{
    float *p;

    if (n <= c->scratch_len)
        return c->scratch;
    p = realloc(c->scratch, n * sizeof(*p));
    if (!p) {
        hub_errorf(err, ENOMEM, "comm/mpi: no memory for %zu floats", n);
        return NULL;
    }
    c->scratch = p;
    c->scratch_len = n;
    return p;
}

static void halves_to_float(float *dst, const uint16_t *src, size_t n,
                            hub_dtype_t dtype)
{
    float (*to)(uint16_t) =
        dtype == HUB_DTYPE_BFLOAT16 ? half_bf16_to_float : half_fp16_to_float;

    for (size_t i = 0; i < n; i++)
        dst[i] = to(src[i]);
}

/* Round n floats to dtype into dst, dividing them by div first (1 for
 * anything but AVG). */
static void float_to_halves(uint16_t *dst, const float *src, size_t n,
                            hub_dtype_t dtype, float div)
{
    uint16_t (*from)(float) = dtype == HUB_DTYPE_BFLOAT16
                                  ? half_bf16_from_float
                                  : half_fp16_from_float;

    for (size_t i = 0; i < n; i++)
        dst[i] = from(src[i] / div);
}

/* AVG of a native floating dtype: divide the sums in place. */
static void divide(void *buf, size_t n, hub_dtype_t dtype, int world)
{
    if (dtype == HUB_DTYPE_FLOAT32) {
        float *f = buf;
        for (size_t i = 0; i < n; i++)
            f[i] /= (float)world;
    } else if (dtype == HUB_DTYPE_FLOAT64) {
        double *d = buf;
        for (size_t i = 0; i < n; i++)
            d[i] /= world;
    }
}

/* ---- the ops ------------------------------------------------------------- */

static int mpi_create(void **ctx, const comm_env_t *env, hub_error_t *err)
{
    struct comm_mpi *c = calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return hub_errorf(err, ENOMEM, "comm/mpi: out of memory");
    rc = mpierr(MPI_Comm_dup(env->comm, &c->comm), "comm/mpi: MPI_Comm_dup",
                err);
    if (rc < 0) {
        free(c);
        return rc;
    }
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    c->rank = env->rank;
    c->world = env->world;
    *ctx = c;
    return 0;
}

static void mpi_destroy(void *ctx)
{
    struct comm_mpi *c = ctx;

    if (!c)
        return;
    MPI_Comm_free(&c->comm);
    free(c->scratch);
    free(c);
}

static int half_allreduce(struct comm_mpi *c, const void *sendbuf,
                          void *recvbuf, size_t count, hub_dtype_t dtype,
                          hub_redop_t op, hub_error_t *err)
{
    float *f = scratch_get(c, count, err);
    int rc;

    if (!f)
        return -ENOMEM;
    halves_to_float(f, sendbuf, count, dtype);
    rc = mpierr(MPI_Allreduce(MPI_IN_PLACE, f, (int)count, MPI_FLOAT,
                              mpi_op(op), c->comm),
                "comm/mpi: MPI_Allreduce", err);
    if (rc == 0)
        float_to_halves(recvbuf, f, count, dtype,
                        op == HUB_OP_AVG ? (float)c->world : 1.0f);
    return rc;
}

static int mpi_allreduce(void *ctx, const void *sendbuf, void *recvbuf,
                         size_t count, hub_dtype_t dtype, hub_redop_t op,
                         hub_error_t *err)
{
    struct comm_mpi *c = ctx;
    const void *src = sendbuf == recvbuf ? MPI_IN_PLACE : sendbuf;
    int rc = check_reduce(count, dtype, op, err);

    if (rc < 0)
        return rc;
    if (is_half(dtype))
        return half_allreduce(c, sendbuf, recvbuf, count, dtype, op, err);
    rc = mpierr(MPI_Allreduce(src, recvbuf, (int)count, mpi_type(dtype),
                              mpi_op(op), c->comm),
                "comm/mpi: MPI_Allreduce", err);
    if (rc == 0 && op == HUB_OP_AVG)
        divide(recvbuf, count, dtype, c->world);
    return rc;
}

static int mpi_broadcast(void *ctx, void *buf, size_t count, hub_dtype_t dtype,
                         int root, hub_error_t *err)
{
    struct comm_mpi *c = ctx;
    int rc = check_count(count, err);

    if (rc < 0)
        return rc;
    return mpierr(MPI_Bcast(buf, (int)count, mpi_type(dtype), root, c->comm),
                  "comm/mpi: MPI_Bcast", err);
}

static int mpi_allgather(void *ctx, const void *sendbuf, void *recvbuf,
                         size_t count, hub_dtype_t dtype, hub_error_t *err)
{
    struct comm_mpi *c = ctx;
    MPI_Datatype t = mpi_type(dtype);
    const char *mine =
        (const char *)recvbuf + c->rank * count * hub_dtype_size(dtype);
    int rc = check_count(count, err);

    if (rc < 0)
        return rc;
    if (sendbuf == mine)
        return mpierr(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, recvbuf,
                                    (int)count, t, c->comm),
                      "comm/mpi: MPI_Allgather", err);
    return mpierr(
        MPI_Allgather(sendbuf, (int)count, t, recvbuf, (int)count, t, c->comm),
        "comm/mpi: MPI_Allgather", err);
}

static int half_reduce_scatter(struct comm_mpi *c, const void *sendbuf,
                               void *recvbuf, size_t count, hub_dtype_t dtype,
                               hub_redop_t op, hub_error_t *err)
{
    size_t total = count * (size_t)c->world;
    float *f = scratch_get(c, total, err);
    int rc;

    if (!f)
        return -ENOMEM;
    halves_to_float(f, sendbuf, total, dtype);
    /* in place: the reduced block lands at the start of f */
    rc = mpierr(MPI_Reduce_scatter_block(MPI_IN_PLACE, f, (int)count, MPI_FLOAT,
                                         mpi_op(op), c->comm),
                "comm/mpi: MPI_Reduce_scatter_block", err);
    if (rc == 0)
        float_to_halves(recvbuf, f, count, dtype,
                        op == HUB_OP_AVG ? (float)c->world : 1.0f);
    return rc;
}

static int mpi_reduce_scatter(void *ctx, const void *sendbuf, void *recvbuf,
                              size_t count, hub_dtype_t dtype, hub_redop_t op,
                              hub_error_t *err)
{
    struct comm_mpi *c = ctx;
    size_t block_bytes = count * hub_dtype_size(dtype);
    bool in_place = recvbuf == (const char *)sendbuf + c->rank * block_bytes;
    int rc = check_reduce(count, dtype, op, err);

    if (rc < 0)
        return rc;
    if (is_half(dtype))
        return half_reduce_scatter(c, sendbuf, recvbuf, count, dtype, op, err);
    /* MPI_IN_PLACE leaves the result at the start of the buffer; hubjob's
     * in-place convention wants it in this rank's block. */
    rc = mpierr(MPI_Reduce_scatter_block(in_place ? MPI_IN_PLACE : sendbuf,
                                         in_place ? (void *)sendbuf : recvbuf,
                                         (int)count, mpi_type(dtype),
                                         mpi_op(op), c->comm),
                "comm/mpi: MPI_Reduce_scatter_block", err);
    if (rc == 0 && in_place)
        memmove(recvbuf, sendbuf, block_bytes);
    if (rc == 0 && op == HUB_OP_AVG)
        divide(recvbuf, count, dtype, c->world);
    return rc;
}

static int mpi_barrier(void *ctx, hub_error_t *err)
{
    struct comm_mpi *c = ctx;

    return mpierr(MPI_Barrier(c->comm), "comm/mpi: MPI_Barrier", err);
}

static const hub_comm_ops_t comm_mpi_ops = {
    .create = mpi_create,
    .destroy = mpi_destroy,
    .allreduce = mpi_allreduce,
    .broadcast = mpi_broadcast,
    .allgather = mpi_allgather,
    .reduce_scatter = mpi_reduce_scatter,
    .barrier = mpi_barrier,
};

const hub_plugin_desc_t hub_comm_mpi_desc = HUB_PLUGIN_DESC_INIT(
    "comm", "mpi", HUB_COMM_ABI_MAJOR, HUB_COMM_ABI_MINOR, comm_mpi_ops);

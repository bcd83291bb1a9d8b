/* comm_plugin.h - the "comm" plugin type: backends of libhubjob's
 * collectives (hub_comm_* in hubjob.h).
 *
 * A backend is plugins/comm/<name>/: comm/mpi is built into libhubjob,
 * comm/nccl is comm_nccl.so, built when configure finds CUDA and NCCL.
 * comm.c chooses one, checks every argument (counts, dtype, operator,
 * root, buffer overlap) and then calls the ops below, so a backend sees
 * only valid calls; it still refuses a dtype/op pair it cannot do with
 * -ENOTSUP.
 *
 * Life cycle, on every rank, in this order:
 *   probe    (optional) can this rank use the backend? Local, cheap,
 *            no communication: comm.c agrees on the answer over the
 *            ranks before it calls create, so every rank creates the
 *            same backend.
 *   create   collective over env->comm: set the backend up.
 *   allreduce, broadcast, allgather, reduce_scatter, barrier
 *            collective; synchronous: when they return, recvbuf holds
 *            the result and sendbuf may be reused.
 *   destroy  collective, except after a create that failed on another
 *            rank: then only the ranks whose create succeeded call it,
 *            so it must not wait for the others. NULL-safe.
 *
 * Buffers are host memory for comm/mpi and device memory for comm/nccl
 * (hub_comm_backend() tells the program which). In place: allreduce when
 * sendbuf == recvbuf; allgather when sendbuf == recvbuf + rank x count
 * elements; reduce_scatter when recvbuf == sendbuf + rank x count
 * elements. Ops return 0 or a negative errno with the reason in err;
 * they never print or exit.
 */
#ifndef HUBJOB_COMM_PLUGIN_H
#define HUBJOB_COMM_PLUGIN_H

#include <mpi.h>
#include <stddef.h>

#include "error.h"
#include "hubjob.h"
#include "plugin.h"

#define HUB_COMM_ABI_MAJOR 1
#define HUB_COMM_ABI_MINOR 0

/* What a backend learns about where it runs. */
typedef struct comm_env {
    MPI_Comm comm;  /* all ranks of the job; the backend may dup it */
    int rank;       /* 0 .. world - 1 in comm */
    int world;      /* size of comm */
    int local_rank; /* rank among the ranks of this node */
    int ngpus;      /* GPUs allocated to this rank (0: a CPU rank) */
} comm_env_t;

typedef struct hub_comm_ops {
    /* Optional. 0 when this rank can use the backend, else a negative
     * errno and why (e.g. "no CUDA device visible (...)"). */
    int (*probe)(const comm_env_t *env, hub_error_t *err);
    /* Collective. *ctx is the backend's state, passed to every op. env
     * is only valid during the call. */
    int (*create)(void **ctx, const comm_env_t *env, hub_error_t *err);
    /* Release everything create made (see the life cycle). NULL-safe. */
    void (*destroy)(void *ctx);
    /* count elements of dtype, reduced with op into every rank's recvbuf. */
    int (*allreduce)(void *ctx, const void *sendbuf, void *recvbuf,
                     size_t count, hub_dtype_t dtype, hub_redop_t op,
                     hub_error_t *err);
    /* root's count elements into every rank's buf. */
    int (*broadcast)(void *ctx, void *buf, size_t count, hub_dtype_t dtype,
                     int root, hub_error_t *err);
    /* world x count elements in recvbuf, rank r's block at r x count. */
    int (*allgather)(void *ctx, const void *sendbuf, void *recvbuf,
                     size_t count, hub_dtype_t dtype, hub_error_t *err);
    /* sendbuf: world x count elements; rank r gets block r reduced. */
    int (*reduce_scatter)(void *ctx, const void *sendbuf, void *recvbuf,
                          size_t count, hub_dtype_t dtype, hub_redop_t op,
                          hub_error_t *err);
    /* Return once every rank has entered (and its queued work is done). */
    int (*barrier)(void *ctx, hub_error_t *err);
} hub_comm_ops_t;

/* The type for hub_plugin_load(): ABI above, every op but probe
 * mandatory. */
extern const hub_plugin_type_t hub_comm_plugin_type;

/* The built-in comm/mpi descriptor (plugins/comm/mpi/comm_mpi.c). */
extern const hub_plugin_desc_t hub_comm_mpi_desc;

#endif /* HUBJOB_COMM_PLUGIN_H */

/* ckpt.h - libhubjob's checkpoint module, internal: the state behind
 * ctx->ckpt and the functions its files share.
 *
 *   ckpt.c        the public calls, the request signal, the warning
 *   ckpt_write.c  one rank's file: layout through HDF5, bytes by pwrite
 *   ckpt_finish.c rank 0's part of a commit: index, marker, pruning
 *   ckpt_json.c   per-rank fragments and index.json, written and parsed
 *   ckpt_fs.c     durable small files, directory fsync, step listing
 *   ckpt_latest.c hub_ckpt_latest: the newest step whose structure is
 *                 sound and that no read found damaged
 *   ckpt_read.c   hub_ckpt_read (data and checksum in one pass),
 *                 hub_ckpt_read_end, the per-file checks
 *   ckpt_async.c  the staging copy and the background writer
 *
 * On disk (doc/hubjob.md, "Checkpoints"):
 *
 *   <ckpt_dir>/step-<N>/rank-<r>.h5   rank r's tensors (rank 0: also the
 *                                     replicated ones); contiguous
 *                                     datasets, written as <name>.tmp,
 *                                     fsynced, renamed
 *                      rank-<r>.json  rank r's fragment of the index,
 *                                     written once its file is durable
 *                      index.json     rank 0: all fragments, world size
 *                      COMPLETE       rank 0, last, after the others are
 *                                     durable; FAILED instead on failure
 *
 * Threads: only ckpt_write_rank, ckpt_finish and ckpt_await_complete run
 * on the background writer; they call neither MPI nor HDF5 (Debian's
 * parallel HDF5 is not thread-safe, and MPI may be MPI_THREAD_SINGLE).
 */
#ifndef HUBJOB_CKPT_H
#define HUBJOB_CKPT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "error.h"

#define CKPT_MAX_DIMS 8
#define CKPT_PATH_MAX 4200

/* One tensor of the checkpoint being written by this rank. */
struct ckpt_tensor {
    char *name;       /* owned; unique in the checkpoint */
    const void *data; /* bytes to write: the caller's (sync) or a copy */
    hub_dtype_t dtype;
    hub_shard_t shard;
    int ndims;                    /* 0 .. CKPT_MAX_DIMS */
    uint64_t dims[CKPT_MAX_DIMS]; /* this rank's shape */
    uint64_t bytes;               /* product of dims x element size */
    uint64_t offset;              /* of the data in the file (layout) */
    uint32_t crc;                 /* CRC32C of the bytes (write) */
};

/* A host buffer for asynchronous copies, kept between checkpoints. */
struct ckpt_buf {
    void *p;
    size_t cap_bytes;
};

/* One tensor as the index lists it. */
struct ckpt_entry {
    char *name; /* owned */
    hub_dtype_t dtype;
    hub_shard_t shard;
    int ndims;
    uint64_t dims[CKPT_MAX_DIMS];
    uint64_t bytes;
    uint32_t crc;
    uint64_t offset; /* of the data in the file, once the part is located */
};

/* One rank's part of a checkpoint as the index lists it. */
struct ckpt_part {
    uint64_t file_bytes; /* size of rank-<r>.h5 when it was durable */
    size_t n;
    struct ckpt_entry *e;
    bool located; /* the offsets of the entries this rank reads are set */
};

/* A step that hub_ckpt_read found damaged, and why ("corrupt (...)"). */
struct ckpt_bad {
    int64_t step;
    hub_error_t why;
};

/* A parsed index.json. */
struct ckpt_index {
    int64_t step;
    int world;               /* ranks that wrote it */
    struct ckpt_part *parts; /* [world] */
};

struct ckpt_state {
    char dir[4096]; /* the checkpoint directory */
    int rank, world;
    int keep;         /* HUB_CKPT_KEEP: complete checkpoints kept */
    double timeout_s; /* HUB_CKPT_TIMEOUT: async wait for the peers */

    /* the checkpoint being built, hub_ckpt_begin .. hub_ckpt_commit */
    bool open;
    int64_t step;
    int flags;
    double begin_s; /* monotonic time of hub_ckpt_begin */
    struct ckpt_tensor *t;
    size_t nt, cap_t;
    struct ckpt_buf *bufs; /* async copies: bufs[i] holds t[i] */
    size_t nbufs;

    /* the background writer (ckpt_async.c) */
    bool writing;    /* a started checkpoint's result is pending */
    bool has_thread; /* ... from thread, to be joined */
    pthread_t thread;
    int thread_rc;
    hub_error_t thread_err;
    double done_s; /* monotonic time the writer finished */

    /* restore (ckpt_read.c) */
    struct ckpt_index *index; /* of the last step looked at, or NULL */
    int64_t resumed_step;     /* metrics_resumed was called for it */
    bool damaged;             /* a read of index->step found damage ... */
    hub_error_t damage;       /* ... and why (the first) */
    struct ckpt_bad *bad;     /* steps hub_ckpt_read_end agreed are bad; */
    size_t nbad;              /* hub_ckpt_latest skips them */

    int signum; /* the checkpoint-request signal, 0 for none */
};

/* ---- ckpt.c ------------------------------------------------------------ */

/* "<dir>/step-<step>[/leaf]" into buf (CKPT_PATH_MAX bytes). */
void ckpt_path(char *buf, const struct ckpt_state *st, int64_t step,
               const char *leaf);

/* The module's one user-visible message: "hubjob: warning: ..." on
 * stderr, printed by rank 0 only. */
void ckpt_warn(const struct ckpt_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Monotonic seconds. */
double ckpt_now(void);

/* ---- ckpt_write.c ------------------------------------------------------ */

/* Main thread. Create rank-<r>.h5.tmp with one contiguous dataset per
 * stored tensor, space allocated, no data written; sets t[i].offset. */
int ckpt_write_layout(struct ckpt_state *st, hub_error_t *err);

/* Any thread. Checksum and write every tensor's bytes at its offset,
 * fsync, rename to rank-<r>.h5, fsync the directory, then write this
 * rank's fragment. On failure the temporary file is removed and an error
 * fragment written (so that rank 0 stops waiting). */
int ckpt_write_rank(struct ckpt_state *st, hub_error_t *err);

/* ---- ckpt_finish.c ----------------------------------------------------- */

/* Any thread, rank 0. Wait up to timeout_s for every rank's fragment,
 * write index.json and then COMPLETE (each durable), then prune to the
 * newest st->keep complete checkpoints. On failure writes FAILED. */
int ckpt_finish(struct ckpt_state *st, double timeout_s, hub_error_t *err);

/* Any thread, rank 0: write the FAILED marker (with why) instead. */
int ckpt_mark_failed(struct ckpt_state *st, const char *why, hub_error_t *err);

/* Any thread, ranks other than 0: wait up to timeout_s for COMPLETE
 * (0) or FAILED (-EIO) of checkpoint st->step. */
int ckpt_await_complete(struct ckpt_state *st, double timeout_s,
                        hub_error_t *err);

/* Main thread, rank 0: make <dir>/step-<step> exist and be empty (an
 * existing one loses its COMPLETE marker first). */
int ckpt_prepare_dir(struct ckpt_state *st, int64_t step, hub_error_t *err);

/* ---- ckpt_json.c ------------------------------------------------------- */

/* Write this rank's fragment (tensors, checksums, file size), or an
 * error fragment when msg is not NULL, durably. */
int ckpt_json_fragment(struct ckpt_state *st, uint64_t file_bytes,
                       const char *msg, hub_error_t *err);

/* Rank 0: read the fragments of ranks 0 .. world-1 and write index.json
 * durably; -EIO with the rank's message when a fragment is an error one. */
int ckpt_json_index(struct ckpt_state *st, hub_error_t *err);

/* Parse <dir>/step-<step>/index.json; *out is freed by ckpt_index_free. */
int ckpt_json_load(const struct ckpt_state *st, int64_t step,
                   struct ckpt_index **out, hub_error_t *err);
void ckpt_index_free(struct ckpt_index *idx);

/* The names used on disk, and back (-1 when unknown). */
const char *ckpt_dtype_name(hub_dtype_t dtype);
const char *ckpt_shard_name(hub_shard_t shard);
int ckpt_dtype_parse(const char *name);
int ckpt_shard_parse(const char *name);

/* ---- ckpt_fs.c --------------------------------------------------------- */

/* fsync a directory. */
int ckpt_fsync_dir(const char *path, hub_error_t *err);

/* Write len bytes as <dirpath>/<leaf> durably: <leaf>.tmp, fsync, rename,
 * fsync of dirpath. */
int ckpt_put_file(const char *dirpath, const char *leaf, const void *data,
                  size_t len, hub_error_t *err);

/* mkdir -p. */
int ckpt_mkdirs(const char *path, hub_error_t *err);

/* Remove a step directory and what it holds, COMPLETE first. */
int ckpt_remove_step(const char *path, hub_error_t *err);

/* The steps with a step-<N> directory under dir, ascending; *steps is
 * malloc'd (NULL when n is 0). -ENOENT when dir does not exist. */
int ckpt_list_steps(const char *dir, int64_t **steps, size_t *n,
                    hub_error_t *err);

/* Whether path exists. */
bool ckpt_exists(const char *path);

/* ---- ckpt_read.c ------------------------------------------------------- */

/* Forget the restore state (the index and damage seen by reads). */
void ckpt_read_reset(struct ckpt_state *st);

/* Forget the steps found bad as well (a new checkpoint may reuse one). */
void ckpt_read_forget_bad(struct ckpt_state *st);

/* Whether this rank reads entry e of part p (its own; rank 0's
 * replicated ones). */
bool ckpt_wanted(const struct ckpt_state *st, int p,
                 const struct ckpt_entry *e);

/* Check part p of idx without reading its data: rank-<p>.h5 exists, has
 * the recorded size, opens as HDF5 and holds every entry this rank reads
 * where (offsets set) and as large as the index says. 0, or a negative
 * errno with why ("truncated (...)", "damaged (...)") in err. */
int ckpt_part_check(const struct ckpt_state *st, struct ckpt_index *idx, int p,
                    hub_error_t *err);

/* Collective: 0 when every rank is ok, 1 when one is not (why, as the
 * first rank that is not ok gives it, then on every rank), or a negative
 * errno when MPI fails. */
int ckpt_agree_why(hub_ctx_t *ctx, bool ok, hub_error_t *why);

/* ---- ckpt_async.c ------------------------------------------------------ */

/* Main thread: hand the checkpoint described by st to the writer (or,
 * when no thread can be started, write it before returning). */
void ckpt_async_start(struct ckpt_state *st);

/* Main thread: wait for the writer (no-op when none); its result. */
int ckpt_async_join(struct ckpt_state *st, hub_error_t *err);

/* Copy data (bytes) into the host buffer for tensor i, growing it; the
 * copy runs on several threads (pcopy.h). */
int ckpt_async_copy(struct ckpt_state *st, size_t i, const void *data,
                    size_t bytes);

/* Free the host buffers. */
void ckpt_async_free(struct ckpt_state *st);

#endif /* HUBJOB_CKPT_H */

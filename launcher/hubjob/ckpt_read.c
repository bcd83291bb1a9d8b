/* ckpt_read.c - restoring: which checkpoint is good (hub_ckpt_latest) and
 * reading tensors back (hub_ckpt_read).
 *
 * hub_ckpt_latest tries step directories newest first. A rank accepts a
 * step when the COMPLETE marker and index are there, the files it will
 * read have the sizes the index recorded, and every tensor it will read
 * (its own, plus rank 0's replicated ones) matches its CRC32C. The ranks
 * agree with one MPI_Allreduce per step, so all pick the same one.
 *
 * Verification reads the files through a small buffer, the page cache
 * reading ahead while the CRC is computed; hub_ckpt_read then copies
 * from the page cache without checksumming again, as long as the file
 * is the one verified (same device, inode and mtime). Keeping verified
 * copies in memory instead was not faster here (1 GiB, cold: page faults
 * on the fresh buffers cost what the page-cache copy does) and needed
 * this rank's share in memory twice. doc/hubjob.md has the numbers.
 */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "h5util.h"
#include "mpierr.h"

/* Verification reads 4 MiB at a time and asks the kernel to read the
 * next 16 MiB ahead (POSIX_FADV_WILLNEED), so the disk is busy while the
 * CPU checksums. */
#define CHUNK_BYTES (4u << 20)
#define AHEAD_BYTES (16 << 20)

void ckpt_read_reset(struct ckpt_state *st)
{
    ckpt_index_free(st->index);
    st->index = NULL;
}

/* Whether rank will read e of part p (rank 0's replicated ones, its own). */
static bool wanted(const struct ckpt_state *st, int p,
                   const struct ckpt_entry *e)
{
    return p == st->rank || e->shard == HUB_SHARD_REPLICATED;
}

static hid_t open_h5(const char *path, hub_error_t *err)
{
    hid_t f;

    h5u_quiet();
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        h5u_fail(err, path);
    return f;
}

/* Where e's bytes start in the open file f. */
static int entry_offset(hid_t f, const struct ckpt_entry *e, uint64_t *off,
                        hub_error_t *err)
{
    hid_t d = H5Dopen2(f, e->name, H5P_DEFAULT);
    int rc = 0;

    if (d < 0)
        return h5u_fail(err, e->name);
    *off = (uint64_t)H5Dget_offset(d);
    if (*off == (uint64_t)HADDR_UNDEF || H5Dget_storage_size(d) != e->bytes)
        rc =
            hub_errorf(err, EIO, "tensor '%s': not as the index says", e->name);
    H5Dclose(d);
    return rc;
}

/* Read bytes at offset of fd into dst or, when dst is NULL, through
 * scratch (CHUNK_BYTES); their CRC32C into *crc unless crc is NULL. */
static int read_bytes(int fd, uint64_t offset, uint64_t bytes, char *dst,
                      char *scratch, uint32_t *crc)
{
    uint64_t done = 0;

    while (done < bytes) {
        size_t len = bytes - done < CHUNK_BYTES ? bytes - done : CHUNK_BYTES;
        off_t at = (off_t)(offset + done);
        char *p = dst ? dst + done : scratch;
        posix_fadvise(fd, at + (off_t)len, AHEAD_BYTES, POSIX_FADV_WILLNEED);
        for (size_t got = 0; got < len;) {
            ssize_t n = pread(fd, p + got, len - got, at + (off_t)got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? -errno : -EIO;
            got += (size_t)n;
        }
        if (crc)
            *crc = crc32c(*crc, p, len);
        done += len;
    }
    return 0;
}

static void part_path(char *buf, const struct ckpt_state *st, int64_t step,
                      int p)
{
    char leaf[64];

    snprintf(leaf, sizeof(leaf), "rank-%d.h5", p);
    ckpt_path(buf, st, step, leaf);
}

/* Read e (of part p, at offset of the open fd) into dst, or only
 * verify it when dst is NULL; check the CRC unless trusted. 0, -EBADMSG
 * on a mismatch, another negative errno when the file cannot be read. */
static int read_entry(int fd, int p, const struct ckpt_entry *e,
                      uint64_t offset, char *dst, char *scratch, bool trusted,
                      hub_error_t *err)
{
    uint32_t crc = 0;
    int rc =
        read_bytes(fd, offset, e->bytes, dst, scratch, trusted ? NULL : &crc);

    if (rc < 0)
        return hub_errorf(err, -rc, "rank-%d.h5: %s", p, strerror(-rc));
    if (!trusted && crc != e->crc)
        return hub_errorf(err, EBADMSG,
                          "corrupt (rank-%d.h5, tensor '%s': checksum "
                          "mismatch)",
                          p, e->name);
    return 0;
}

static int64_t mtime_ns(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* Open part p's file and check it is the size the index says. */
static int open_part(const struct ckpt_state *st, const struct ckpt_index *idx,
                     int p, struct stat *sb, hub_error_t *err)
{
    char path[CKPT_PATH_MAX];
    int fd;

    part_path(path, st, idx->step, p);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, sb) < 0) {
        if (fd >= 0)
            close(fd);
        return errno == ENOENT
                   ? hub_errorf(err, ENOENT, "missing rank-%d.h5", p)
                   : hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    }
    if ((uint64_t)sb->st_size != idx->parts[p].file_bytes) {
        close(fd);
        return hub_errorf(err, EIO,
                          "truncated (rank-%d.h5: %lld of %" PRIu64 " bytes)",
                          p, (long long)sb->st_size, idx->parts[p].file_bytes);
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return fd;
}

/* Checksum the wanted entries of part p of the open fd. */
static int verify_entries(const struct ckpt_state *st,
                          const struct ckpt_index *idx, int p, int fd,
                          hub_error_t *err)
{
    const struct ckpt_part *part = &idx->parts[p];
    char path[CKPT_PATH_MAX], *scratch = malloc(CHUNK_BYTES);
    uint64_t off = 0;
    hub_error_t h5err;
    hid_t f;
    int rc = 0;

    part_path(path, st, idx->step, p);
    if (!scratch)
        return hub_errorf(err, ENOMEM, "out of memory");
    if ((f = open_h5(path, &h5err)) < 0)
        rc = hub_errorf(err, EIO, "damaged (%s)", h5err.text);
    for (size_t i = 0; f >= 0 && rc == 0 && i < part->n; i++) {
        const struct ckpt_entry *e = &part->e[i];
        if (!wanted(st, p, e) || e->bytes == 0)
            continue;
        if ((rc = entry_offset(f, e, &off, &h5err)) < 0)
            hub_errorf(err, EIO, "damaged (%s)", h5err.text);
        else
            rc = read_entry(fd, p, e, off, NULL, scratch, false, err);
    }
    if (f >= 0)
        H5Fclose(f);
    free(scratch);
    return rc;
}

/* Verify the wanted entries of part p; remember the file verified. */
static int verify_part(const struct ckpt_state *st, struct ckpt_index *idx,
                       int p, hub_error_t *err)
{
    struct ckpt_part *part = &idx->parts[p];
    struct stat sb;
    int fd = open_part(st, idx, p, &sb, err), rc;

    if (fd < 0)
        return fd;
    rc = verify_entries(st, idx, p, fd, err);
    close(fd);
    if (rc == 0) {
        part->verified = true;
        part->dev = (uint64_t)sb.st_dev;
        part->ino = (uint64_t)sb.st_ino;
        part->mtime_ns = mtime_ns(&sb);
    }
    return rc;
}

/* This rank's verdict on step: 0 and *out, or -1 with why. */
static int verify_step(const struct ckpt_state *st, int64_t step,
                       struct ckpt_index **out, hub_error_t *why)
{
    char path[CKPT_PATH_MAX];
    struct ckpt_index *idx;
    hub_error_t jerr;
    int rc = 0;

    *out = NULL;
    ckpt_path(path, st, step, "COMPLETE");
    if (!ckpt_exists(path))
        return hub_errorf(why, ENOENT, "incomplete (no COMPLETE marker)");
    if (ckpt_json_load(st, step, &idx, &jerr) < 0)
        return hub_errorf(why, EIO, "unreadable (%s)", jerr.text);
    if (st->rank < idx->world)
        rc = verify_part(st, idx, st->rank, why);
    if (rc == 0 && st->rank != 0)
        rc = verify_part(st, idx, 0, why);
    if (rc < 0) {
        ckpt_index_free(idx);
        return -1;
    }
    *out = idx;
    return 0;
}

/* Collective: whether every rank accepts step; if not, why (as the first
 * rank that refused it says) into why on every rank. */
static int agree_step(hub_ctx_t *ctx, bool ok, hub_error_t *why)
{
    struct {
        int bad, rank;
    } mine = {!ok, ctx->rank}, all;
    int rc =
        mpierr(MPI_Allreduce(&mine, &all, 1, MPI_2INT, MPI_MAXLOC, ctx->comm),
               "checkpoint agreement", why);

    if (rc == 0 && all.bad)
        rc = mpierr(MPI_Bcast(why->text, sizeof(why->text), MPI_CHAR, all.rank,
                              ctx->comm),
                    "checkpoint agreement", why);
    return rc < 0 ? rc : all.bad ? 1 : 0;
}

/* Collective: the candidate steps as rank 0 sees them, oldest first. */
static int list_steps(hub_ctx_t *ctx, int64_t **steps, int *n)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t err;
    size_t count = 0;

    *steps = NULL;
    if (st->rank == 0 && ckpt_list_steps(st->dir, steps, &count, &err) < 0)
        count = 0; /* no directory: no checkpoint */
    *n = (int)count;
    MPI_Bcast(n, 1, MPI_INT, 0, ctx->comm);
    if (st->rank != 0 && *n > 0)
        *steps = malloc((size_t)*n * sizeof(**steps));
    if (agree_step(ctx, *n == 0 || *steps, &err) != 0) {
        free(*steps);
        return ctx_error(ctx, ENOMEM, "checkpoint scan: out of memory");
    }
    if (*n > 0)
        MPI_Bcast(*steps, *n, MPI_INT64_T, 0, ctx->comm);
    return 0;
}

/* Skipped steps remembered for the warning; more are counted. */
#define SKIPPED_MAX 8

struct skipped {
    int n;
    int64_t step[SKIPPED_MAX];
    hub_error_t why[SKIPPED_MAX];
};

/* Warn about the steps skipped before settling on `used` (-1: none). */
static void warn_skipped(const struct ckpt_state *st, const struct skipped *sk,
                         int64_t used)
{
    char tail[64] = "no older checkpoint is left";

    if (used >= 0)
        snprintf(tail, sizeof(tail), "using step-%" PRId64, used);
    for (int i = 0; i < sk->n && i < SKIPPED_MAX; i++)
        ckpt_warn(st, "checkpoint step-%" PRId64 " is %s: %s", sk->step[i],
                  sk->why[i].text, tail);
    if (sk->n > SKIPPED_MAX)
        ckpt_warn(st, "%d more checkpoints were skipped", sk->n - SKIPPED_MAX);
}

/* Collective. Walk steps newest first; the first that all ranks accept
 * goes into st->index and *used. 0, -ENOENT when none, or an error. */
static int pick(hub_ctx_t *ctx, const int64_t *steps, int n, int64_t *used)
{
    struct ckpt_state *st = ctx->ckpt;
    struct skipped sk = {0};
    int rc = -ENOENT;

    *used = -1;
    for (int i = n - 1; i >= 0 && rc == -ENOENT; i--) {
        hub_error_t err = {""};
        struct ckpt_index *idx;
        bool ok = verify_step(st, steps[i], &idx, &err) == 0;
        int verdict = agree_step(ctx, ok, &err);
        if (verdict == 0) {
            st->index = idx;
            *used = steps[i];
            rc = 0;
            break;
        }
        ckpt_index_free(idx);
        if (verdict < 0)
            return ctx_error(ctx, -verdict, "%s", err.text);
        if (sk.n < SKIPPED_MAX) {
            sk.why[sk.n] = err;
            sk.step[sk.n] = steps[i];
        }
        sk.n++;
    }
    warn_skipped(st, &sk, *used);
    return rc;
}

int hub_ckpt_latest(hub_ctx_t *ctx, int64_t *step)
{
    struct ckpt_state *st = ctx->ckpt;
    int64_t *steps, used;
    int n, rc;

    if (!st)
        return ctx_error(ctx, EINVAL, "checkpoints are not initialised");
    /* Our own writer first; the barrier waits for everyone's (rank 0's
     * may still be pruning the directories about to be scanned). */
    if (hub_ckpt_wait(ctx) < 0)
        ckpt_warn(st, "%s", ctx->error);
    MPI_Barrier(ctx->comm);
    ckpt_read_reset(st);
    if ((rc = list_steps(ctx, &steps, &n)) < 0)
        return rc;
    rc = pick(ctx, steps, n, &used);
    free(steps);
    if (rc == -ENOENT)
        return ctx_error(ctx, ENOENT, "no usable checkpoint in %s", st->dir);
    if (rc == 0)
        *step = used;
    return rc;
}

static struct ckpt_entry *find_in(const struct ckpt_state *st, int p,
                                  const char *name)
{
    const struct ckpt_part *part = &st->index->parts[p];

    for (size_t i = 0; i < part->n; i++)
        if (strcmp(part->e[i].name, name) == 0 && wanted(st, p, &part->e[i]))
            return &part->e[i];
    return NULL;
}

/* The entry this rank reads as name: its own, else rank 0's replicated
 * one; *part says whose. */
static struct ckpt_entry *find(const struct ckpt_state *st, const char *name,
                               int *part)
{
    struct ckpt_entry *e = NULL;

    if (st->rank < st->index->world)
        e = find_in(st, *part = st->rank, name);
    if (!e && st->rank != 0)
        e = find_in(st, *part = 0, name);
    return e;
}

static bool same_shape(const struct ckpt_entry *e, hub_dtype_t dtype, int ndims,
                       const uint64_t *dims)
{
    if (e->dtype != dtype || e->ndims != ndims)
        return false;
    for (int d = 0; d < ndims; d++)
        if (e->dims[d] != dims[d])
            return false;
    return true;
}

/* Read e of part p into data; checksum it unless hub_ckpt_latest
 * verified this very file. */
static int read_tensor(const struct ckpt_state *st, int p,
                       const struct ckpt_entry *e, void *data, hub_error_t *err)
{
    const struct ckpt_part *part = &st->index->parts[p];
    char path[CKPT_PATH_MAX];
    struct stat sb;
    uint64_t off = 0;
    hid_t f;
    int fd, rc;

    if ((fd = open_part(st, st->index, p, &sb, err)) < 0)
        return fd;
    part_path(path, st, st->index->step, p);
    if ((f = open_h5(path, err)) < 0)
        rc = -EIO;
    else {
        rc = entry_offset(f, e, &off, err);
        H5Fclose(f);
    }
    if (rc == 0)
        rc = read_entry(fd, p, e, off, data, NULL,
                        part->verified && part->dev == (uint64_t)sb.st_dev &&
                            part->ino == (uint64_t)sb.st_ino &&
                            part->mtime_ns == mtime_ns(&sb),
                        err);
    close(fd);
    return rc;
}

int hub_ckpt_read(hub_ctx_t *ctx, int64_t step, const char *name, void *data,
                  hub_dtype_t dtype, int ndims, const uint64_t *dims)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t err = {""};
    struct ckpt_entry *e;
    int p = 0, rc = 0;

    if (!st || !name || !data || ndims < 0 || ndims > CKPT_MAX_DIMS ||
        (ndims && !dims))
        return ctx_error(ctx, EINVAL, "hub_ckpt_read: bad arguments");
    if (!st->index || st->index->step != step) {
        ckpt_read_reset(st);
        if ((rc = ckpt_json_load(st, step, &st->index, &err)) < 0)
            return ctx_error(ctx, -rc, "%s", err.text);
    }
    if (!(e = find(st, name, &p)))
        return ctx_error(ctx, ENOENT,
                         "checkpoint step-%" PRId64 " has no tensor '%s' "
                         "for rank %d",
                         step, name, st->rank);
    if (!same_shape(e, dtype, ndims, dims))
        return ctx_error(ctx, EINVAL,
                         "tensor '%s': saved as %s with %d dims, asked for "
                         "%s with %d dims of other sizes",
                         name, ckpt_dtype_name(e->dtype), e->ndims,
                         ckpt_dtype_name(dtype), ndims);
    if (e->bytes > 0)
        rc = read_tensor(st, p, e, data, &err);
    if (rc < 0)
        return ctx_error(ctx, -rc, "checkpoint step-%" PRId64 ": %s", step,
                         err.text);
    if (st->resumed_step != step) {
        st->resumed_step = step;
        metrics_resumed(ctx, step);
    }
    return 0;
}

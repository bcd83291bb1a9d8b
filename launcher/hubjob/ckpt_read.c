/* ckpt_read.c - reading a checkpoint back: hub_ckpt_read (a tensor's
 * bytes into the caller's buffer, checksummed on the way) and
 * hub_ckpt_read_end (the ranks agree whether what they read was sound),
 * with the per-file checks that hub_ckpt_latest (ckpt_latest.c) shares.
 *
 * One pass: the bytes go from the file into the caller's buffer a chunk
 * at a time, each chunk checksummed while it is still in the CPU cache,
 * the kernel reading ahead meanwhile. The earlier design verified every
 * byte before choosing a step and then read it all again from the page
 * cache: 0.40-0.47 of plain read() on the CI VM (doc/hubjob.md). The
 * price is that damage is found after part of the state was overwritten;
 * hub_ckpt_read_end makes every rank see it and the program restores the
 * step before (the restore loop in hubjob.h).
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

/* Read and checksum 1 MiB at a time (it stays in L2/L3 between the copy
 * and the CRC) and ask the kernel for the next 64 MiB meanwhile
 * (POSIX_FADV_WILLNEED), so that the disk never waits for the CPU: with
 * 16 MiB ahead bench_ckpt measured 0.78 of read(), with 64 MiB 0.83. */
#define CHUNK_BYTES (1u << 20)
#define AHEAD_BYTES (64 << 20)

void ckpt_read_reset(struct ckpt_state *st)
{
    ckpt_index_free(st->index);
    st->index = NULL;
    st->damaged = false;
    hub_error_clear(&st->damage);
}

void ckpt_read_forget_bad(struct ckpt_state *st)
{
    free(st->bad);
    st->bad = NULL;
    st->nbad = 0;
}

bool ckpt_wanted(const struct ckpt_state *st, int p, const struct ckpt_entry *e)
{
    return p == st->rank || e->shard == HUB_SHARD_REPLICATED;
}

static void part_path(char *buf, const struct ckpt_state *st, int64_t step,
                      int p)
{
    char leaf[64];

    snprintf(leaf, sizeof(leaf), "rank-%d.h5", p);
    ckpt_path(buf, st, step, leaf);
}

/* Set e->offset from its dataset in the open file f. */
static int entry_offset(hid_t f, struct ckpt_entry *e, hub_error_t *err)
{
    hid_t d = H5Dopen2(f, e->name, H5P_DEFAULT);
    int rc = 0;

    if (d < 0)
        return h5u_fail(err, e->name);
    e->offset = (uint64_t)H5Dget_offset(d);
    if (e->offset == (uint64_t)HADDR_UNDEF ||
        H5Dget_storage_size(d) != e->bytes)
        rc =
            hub_errorf(err, EIO, "tensor '%s': not as the index says", e->name);
    H5Dclose(d);
    return rc;
}

/* Where the wanted entries of part p start, from its HDF5 metadata. */
static int locate(const struct ckpt_state *st, struct ckpt_index *idx, int p,
                  hub_error_t *err)
{
    struct ckpt_part *part = &idx->parts[p];
    char path[CKPT_PATH_MAX];
    hub_error_t h5err;
    hid_t f;
    int rc = 0;

    part_path(path, st, idx->step, p);
    h5u_quiet();
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
        h5u_fail(&h5err, path);
        return hub_errorf(err, EIO, "damaged (%s)", h5err.text);
    }
    for (size_t i = 0; rc == 0 && i < part->n; i++)
        if (ckpt_wanted(st, p, &part->e[i]) && part->e[i].bytes > 0 &&
            (rc = entry_offset(f, &part->e[i], &h5err)) < 0)
            hub_errorf(err, EIO, "damaged (%s)", h5err.text);
    H5Fclose(f);
    part->located = rc == 0;
    return rc;
}

/* Open part p's file, check it is the size the index says, and locate
 * its entries if that was not done yet: the fd, or a negative errno. */
static int open_part(const struct ckpt_state *st, struct ckpt_index *idx, int p,
                     hub_error_t *err)
{
    char path[CKPT_PATH_MAX];
    struct stat sb;
    int fd, rc;

    part_path(path, st, idx->step, p);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) < 0) {
        rc = errno;
        if (fd >= 0)
            close(fd);
        return rc == ENOENT ? hub_errorf(err, ENOENT, "missing rank-%d.h5", p)
                            : hub_errorf(err, rc, "unreadable (%s: %s)", path,
                                         strerror(rc));
    }
    if ((uint64_t)sb.st_size != idx->parts[p].file_bytes) {
        close(fd);
        return hub_errorf(err, EIO,
                          "truncated (rank-%d.h5: %lld of %" PRIu64 " bytes)",
                          p, (long long)sb.st_size, idx->parts[p].file_bytes);
    }
    if (!idx->parts[p].located && (rc = locate(st, idx, p, err)) < 0) {
        close(fd);
        return rc;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return fd;
}

int ckpt_part_check(const struct ckpt_state *st, struct ckpt_index *idx, int p,
                    hub_error_t *err)
{
    int fd = open_part(st, idx, p, err);

    if (fd < 0)
        return fd;
    close(fd);
    return 0;
}

static int pread_full(int fd, char *p, size_t len, off_t at)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = pread(fd, p + got, len - got, at + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        got += (size_t)n;
    }
    return 0;
}

/* Read e (of part p, from the open fd) into dst and check its CRC32C:
 * 0, -EBADMSG on a mismatch, or the errno of a failed read. */
static int read_entry(int fd, int p, const struct ckpt_entry *e, char *dst,
                      hub_error_t *err)
{
    uint32_t crc = 0;

    /* The window ahead is asked for once, then slid a chunk at a time:
     * asking for all of it at every chunk made the kernel look up 16 K
     * cached pages per MiB read. */
    posix_fadvise(fd, (off_t)e->offset, AHEAD_BYTES, POSIX_FADV_WILLNEED);
    for (uint64_t done = 0; done < e->bytes;) {
        size_t len =
            e->bytes - done < CHUNK_BYTES ? e->bytes - done : CHUNK_BYTES;
        off_t at = (off_t)(e->offset + done);
        posix_fadvise(fd, at + AHEAD_BYTES, (off_t)len, POSIX_FADV_WILLNEED);
        int rc = pread_full(fd, dst + done, len, at);
        if (rc < 0)
            return hub_errorf(err, -rc, "unreadable (rank-%d.h5: %s)", p,
                              strerror(-rc));
        crc = crc32c(crc, dst + done, len);
        done += len;
    }
    if (crc != e->crc)
        return hub_errorf(err, EBADMSG,
                          "corrupt (rank-%d.h5, tensor '%s': checksum "
                          "mismatch)",
                          p, e->name);
    return 0;
}

static struct ckpt_entry *find_in(const struct ckpt_state *st, int p,
                                  const char *name)
{
    const struct ckpt_part *part = &st->index->parts[p];

    for (size_t i = 0; i < part->n; i++)
        if (strcmp(part->e[i].name, name) == 0 &&
            ckpt_wanted(st, p, &part->e[i]))
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

/* Read e of part p into data. A failure here is damage to the step (the
 * arguments were checked): the first is kept for hub_ckpt_read_end. */
static int read_tensor(struct ckpt_state *st, int p, const struct ckpt_entry *e,
                       void *data, hub_error_t *err)
{
    int fd = open_part(st, st->index, p, err), rc = fd;

    if (fd >= 0) {
        rc = read_entry(fd, p, e, data, err);
        close(fd);
    }
    if (rc < 0 && !st->damaged) {
        st->damaged = true;
        st->damage = *err;
    }
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
    if (e->bytes > 0 && (rc = read_tensor(st, p, e, data, &err)) < 0)
        return ctx_error(ctx, -rc, "checkpoint step-%" PRId64 " is %s", step,
                         err.text);
    return 0;
}

int ckpt_agree_why(hub_ctx_t *ctx, bool ok, hub_error_t *why)
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

/* Remember step as bad, for hub_ckpt_latest to skip. */
static int add_bad(struct ckpt_state *st, int64_t step, const hub_error_t *why)
{
    struct ckpt_bad *nb = realloc(st->bad, (st->nbad + 1) * sizeof(*nb));

    if (!nb)
        return -ENOMEM;
    st->bad = nb;
    st->bad[st->nbad++] = (struct ckpt_bad){step, *why};
    return 0;
}

int hub_ckpt_read_end(hub_ctx_t *ctx, int64_t step)
{
    struct ckpt_state *st = ctx->ckpt;
    bool ok;
    hub_error_t why = {""};
    int verdict;

    if (!st)
        return ctx_error(ctx, EINVAL, "checkpoints are not initialised");
    ok = !(st->damaged && st->index && st->index->step == step);
    if (!ok)
        why = st->damage;
    if ((verdict = ckpt_agree_why(ctx, ok, &why)) < 0)
        return ctx_error(ctx, -verdict, "%s", why.text);
    if (verdict > 0) {
        ckpt_read_reset(st);
        if (add_bad(st, step, &why) < 0)
            return ctx_error(ctx, ENOMEM, "checkpoints: out of memory");
        return ctx_error(ctx, EBADMSG, "checkpoint step-%" PRId64 " is %s",
                         step, why.text);
    }
    if (st->resumed_step != step) {
        st->resumed_step = step;
        metrics_resumed(ctx, step);
    }
    return 0;
}

/* ckpt_write.c - one rank's checkpoint file.
 *
 * HDF5 lays the file out (main thread): one contiguous dataset per tensor,
 * its space allocated at creation and never filled, 4 KiB aligned; the
 * file is then closed. The bytes go in afterwards with pwrite() at each
 * dataset's address (H5Dget_offset), on whichever thread writes, together
 * with their CRC32C. The result is an ordinary HDF5 file (h5dump, h5py
 * read it); the bulk path is plain pwrite(), so it costs what write()
 * costs, and it needs no HDF5 on the background writer.
 */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "h5util.h"

/* Checksum and write this many bytes at a time: the chunk is still in
 * the CPU cache when pwrite copies it, and its writeback starts before
 * the next is copied. */
#define CHUNK_BYTES (4u << 20)
/* Objects of at least ALIGN_BYTES start on an ALIGN_BYTES boundary (page
 * size: what O_DIRECT and mmap want; measured no cost in file size worth
 * noting, a few KiB per tensor at most). */
#define ALIGN_BYTES 4096
#define META_BLOCK_BYTES 65536

static hid_t native_type(hub_dtype_t dtype)
{
    switch (dtype) {
    case HUB_DTYPE_FLOAT32:
        return H5T_NATIVE_FLOAT;
    case HUB_DTYPE_BFLOAT16:
    case HUB_DTYPE_FLOAT16:
        return H5T_NATIVE_UINT16;
    case HUB_DTYPE_FLOAT64:
        return H5T_NATIVE_DOUBLE;
    case HUB_DTYPE_INT32:
        return H5T_NATIVE_INT32;
    case HUB_DTYPE_INT64:
        return H5T_NATIVE_INT64;
    case HUB_DTYPE_UINT8:
        return H5T_NATIVE_UINT8;
    }
    return H5T_NATIVE_UINT8;
}

/* Property lists of the layout; closed by close_plists. */
struct plists {
    hid_t fapl, dcpl, lcpl;
};

static void close_plists(struct plists *pl)
{
    if (pl->fapl >= 0)
        H5Pclose(pl->fapl);
    if (pl->dcpl >= 0)
        H5Pclose(pl->dcpl);
    if (pl->lcpl >= 0)
        H5Pclose(pl->lcpl);
}

static int make_plists(struct plists *pl, hub_error_t *err)
{
    *pl = (struct plists){-1, -1, -1};
    if ((pl->fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 ||
        H5Pset_fapl_sec2(pl->fapl) < 0 ||
        H5Pset_alignment(pl->fapl, ALIGN_BYTES, ALIGN_BYTES) < 0 ||
        H5Pset_meta_block_size(pl->fapl, META_BLOCK_BYTES) < 0 ||
        H5Pset_libver_bounds(pl->fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) <
            0 ||
        (pl->dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        H5Pset_layout(pl->dcpl, H5D_CONTIGUOUS) < 0 ||
        H5Pset_alloc_time(pl->dcpl, H5D_ALLOC_TIME_EARLY) < 0 ||
        H5Pset_fill_time(pl->dcpl, H5D_FILL_TIME_NEVER) < 0 ||
        (pl->lcpl = H5Pcreate(H5P_LINK_CREATE)) < 0 ||
        H5Pset_create_intermediate_group(pl->lcpl, 1) < 0) {
        close_plists(pl);
        return h5u_fail(err, "checkpoint file properties");
    }
    return 0;
}

/* Create t's dataset in f and learn where its bytes go. */
static int layout_tensor(hid_t f, const struct plists *pl,
                         struct ckpt_tensor *t, hub_error_t *err)
{
    hsize_t dims[CKPT_MAX_DIMS];
    hid_t space, dset = -1;
    haddr_t addr;
    int rc = 0;

    for (int d = 0; d < t->ndims; d++)
        dims[d] = t->dims[d];
    space = t->ndims ? H5Screate_simple(t->ndims, dims, NULL)
                     : H5Screate(H5S_SCALAR);
    if (space < 0 ||
        (dset = H5Dcreate2(f, t->name, native_type(t->dtype), space, pl->lcpl,
                           pl->dcpl, H5P_DEFAULT)) < 0)
        rc = h5u_fail(err, t->name);
    if (rc == 0)
        rc = h5u_attr_str(dset, "dtype", ckpt_dtype_name(t->dtype), err);
    if (rc == 0)
        rc = h5u_attr_str(dset, "shard", ckpt_shard_name(t->shard), err);
    if (rc == 0 && t->bytes > 0) {
        addr = H5Dget_offset(dset);
        if (addr == HADDR_UNDEF)
            rc = h5u_fail(err, t->name);
        t->offset = (uint64_t)addr;
    }
    if (dset >= 0)
        H5Dclose(dset);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int ckpt_write_layout(struct ckpt_state *st, hub_error_t *err)
{
    char path[CKPT_PATH_MAX], leaf[64];
    struct plists pl;
    hid_t f;
    int rc;

    h5u_quiet();
    snprintf(leaf, sizeof(leaf), "rank-%d.h5.tmp", st->rank);
    ckpt_path(path, st, st->step, leaf);
    if ((rc = make_plists(&pl, err)) < 0)
        return rc;
    f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, pl.fapl);
    if (f < 0)
        rc = h5u_fail(err, path);
    for (size_t i = 0; rc == 0 && i < st->nt; i++)
        rc = layout_tensor(f, &pl, &st->t[i], err);
    if (f >= 0 && H5Fclose(f) < 0 && rc == 0)
        rc = h5u_fail(err, path);
    close_plists(&pl);
    if (rc < 0)
        unlink(path);
    return rc;
}

/* Checksum and write t's bytes at its offset. Each chunk's writeback is
 * started at once (sync_file_range), so that the disk works while the
 * next chunks are checksummed and copied: write() then fsync() does the
 * two one after the other. */
static int put_tensor(int fd, struct ckpt_tensor *t)
{
    const char *p = t->data;
    uint64_t done = 0;
    uint32_t crc = 0;

    while (done < t->bytes) {
        size_t len =
            t->bytes - done < CHUNK_BYTES ? t->bytes - done : CHUNK_BYTES;
        off_t at = (off_t)(t->offset + done);
        crc = crc32c(crc, p + done, len);
        for (size_t put = 0; put < len;) {
            ssize_t n = pwrite(fd, p + done + put, len - put, at + put);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? -errno : -EIO;
            put += (size_t)n;
        }
        sync_file_range(fd, at, (off_t)len, SYNC_FILE_RANGE_WRITE);
        done += len;
    }
    t->crc = crc;
    return 0;
}

/* Write, fsync and rename rank-<r>.h5; its size into *file_bytes. */
static int put_file(struct ckpt_state *st, uint64_t *file_bytes,
                    hub_error_t *err)
{
    char tmp[CKPT_PATH_MAX + 8], path[CKPT_PATH_MAX], leaf[64];
    struct stat sb;
    int fd, rc = 0;

    snprintf(leaf, sizeof(leaf), "rank-%d.h5", st->rank);
    ckpt_path(path, st, st->step, leaf);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((fd = open(tmp, O_WRONLY | O_CLOEXEC)) < 0)
        return hub_errorf(err, errno, "%s: %s", tmp, strerror(errno));
    for (size_t i = 0; rc == 0 && i < st->nt; i++)
        rc = put_tensor(fd, &st->t[i]);
    if (rc == 0 && (fsync(fd) < 0 || fstat(fd, &sb) < 0))
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return hub_errorf(err, -rc, "%s: %s", path, strerror(-rc));
    }
    *file_bytes = (uint64_t)sb.st_size;
    ckpt_path(path, st, st->step, NULL);
    return ckpt_fsync_dir(path, err);
}

int ckpt_write_rank(struct ckpt_state *st, hub_error_t *err)
{
    uint64_t file_bytes = 0;
    hub_error_t ignored;
    int rc = put_file(st, &file_bytes, err);

    if (rc == 0)
        return ckpt_json_fragment(st, file_bytes, NULL, err);
    ckpt_json_fragment(st, 0, err->text, &ignored);
    return rc;
}

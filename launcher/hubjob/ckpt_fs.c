/* ckpt_fs.c - the checkpoint module's filesystem helpers: durable small
 * files, directory fsync, removal and listing of step directories. No
 * MPI, no HDF5: safe on the background writer. */
#include "ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ckpt_fsync_dir(const char *path, hub_error_t *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    int rc = 0;

    if (fd < 0)
        return hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    if (fsync(fd) < 0)
        rc = hub_errorf(err, errno, "fsync %s: %s", path, strerror(errno));
    close(fd);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ckpt_put_file(const char *dirpath, const char *leaf, const void *data,
                  size_t len, hub_error_t *err)
{
    char tmp[CKPT_PATH_MAX + 8], path[CKPT_PATH_MAX];
    int fd, rc;

    snprintf(path, sizeof(path), "%s/%s", dirpath, leaf);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return hub_errorf(err, errno, "%s: %s", tmp, strerror(errno));
    rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return hub_errorf(err, -rc, "%s: %s", path, strerror(-rc));
    }
    return ckpt_fsync_dir(dirpath, err);
}

int ckpt_mkdirs(const char *path, hub_error_t *err)
{
    char buf[CKPT_PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(buf))
        return hub_errorf(err, EINVAL, "bad checkpoint directory '%s'", path);
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return hub_errorf(err, errno, "mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return hub_errorf(err, errno, "mkdir %s: %s", buf, strerror(errno));
    return 0;
}

int ckpt_remove_step(const char *path, hub_error_t *err)
{
    char leaf[CKPT_PATH_MAX];
    DIR *d;
    struct dirent *de;
    int rc = 0;

    /* The marker goes first: a half-removed step is never "complete". */
    snprintf(leaf, sizeof(leaf), "%s/COMPLETE", path);
    if (unlink(leaf) < 0 && errno != ENOENT)
        return hub_errorf(err, errno, "%s: %s", leaf, strerror(errno));
    if (!(d = opendir(path)))
        return errno == ENOENT
                   ? 0
                   : hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(leaf, sizeof(leaf), "%s/%s", path, de->d_name);
        if (unlink(leaf) < 0 && errno != ENOENT && rc == 0)
            rc = hub_errorf(err, errno, "%s: %s", leaf, strerror(errno));
    }
    closedir(d);
    if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
        rc = hub_errorf(err, errno, "rmdir %s: %s", path, strerror(errno));
    return rc;
}

/* The step of a directory entry named step-<N>, or -1. */
static int64_t step_of(const char *name)
{
    char *end;
    long long v;

    if (strncmp(name, "step-", 5) != 0 || name[5] < '0' || name[5] > '9')
        return -1;
    errno = 0;
    v = strtoll(name + 5, &end, 10);
    return errno || *end ? -1 : (int64_t)v;
}

static int cmp_step(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int ckpt_list_steps(const char *dir, int64_t **steps, size_t *n,
                    hub_error_t *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int64_t *v = NULL, s;
    size_t cap = 0;

    *steps = NULL;
    *n = 0;
    if (!d)
        return hub_errorf(err, errno, "%s: %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        if ((s = step_of(de->d_name)) < 0)
            continue;
        if (*n == cap) {
            int64_t *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
            if (!nv) {
                closedir(d);
                free(v);
                *n = 0;
                return hub_errorf(err, ENOMEM, "out of memory");
            }
            v = nv;
        }
        v[(*n)++] = s;
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_step);
    *steps = v;
    return 0;
}

bool ckpt_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* h5util.c - HDF5 error translation, scalar attributes and extendible
 * compound tables for libhubjob's job file. */
#include "h5util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The innermost entry of HDF5's error stack. */
typedef struct h5_cause {
    hid_t maj, min;
    char desc[160];
    char func[64];
} h5_cause_t;

void h5u_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *arg)
{
    h5_cause_t *c = arg;

    c->maj = e->maj_num;
    c->min = e->min_num;
    snprintf(c->desc, sizeof(c->desc), "%s", e->desc ? e->desc : "");
    snprintf(c->func, sizeof(c->func), "%s", e->func_name ? e->func_name : "?");
    return 0;
}

int h5u_fail(hub_error_t *err, const char *what)
{
    int saved_errno = errno;
    h5_cause_t c = {.maj = -1, .min = -1};
    int errnum = EIO;

    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &c);
    H5Eclear2(H5E_DEFAULT);
    if (c.maj == H5E_FILE && c.min == H5E_CANTOPENFILE &&
        (saved_errno == ENOENT || saved_errno == EACCES))
        errnum = saved_errno;
    else if (c.min == H5E_CANTALLOC || c.min == H5E_NOSPACE)
        errnum = ENOMEM;
    if (!c.desc[0])
        return hub_errorf(err, errnum, "%s: HDF5 error", what);
    return hub_errorf(err, errnum, "%s: %s (HDF5 %s)", what, c.desc, c.func);
}

hid_t h5u_str_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    if (t >= 0 &&
        (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Write value (memory type mtype) as scalar attribute name of file type
 * ftype, replacing any attribute of that name. */
static int attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                      const void *value, hub_error_t *err)
{
    hid_t space = -1, attr = -1;
    int rc = 0;

    if (H5Aexists(obj, name) > 0 && H5Adelete(obj, name) < 0)
        return h5u_fail(err, name);
    if ((space = H5Screate(H5S_SCALAR)) < 0 ||
        (attr = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)) <
            0 ||
        H5Awrite(attr, mtype, value) < 0)
        rc = h5u_fail(err, name);
    if (attr >= 0)
        H5Aclose(attr);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int h5u_attr_str(hid_t obj, const char *name, const char *value,
                 hub_error_t *err)
{
    hid_t t = h5u_str_type(strlen(value) + 1);
    int rc;

    if (t < 0)
        return h5u_fail(err, name);
    rc = attr_write(obj, name, t, t, value, err);
    H5Tclose(t);
    return rc;
}

int h5u_attr_double(hid_t obj, const char *name, double value, hub_error_t *err)
{
    return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value,
                      err);
}

int h5u_attr_int64(hid_t obj, const char *name, int64_t value, hub_error_t *err)
{
    return attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, err);
}

/* Open attribute name of obj: -ENOENT when absent. */
static hid_t attr_open(hid_t obj, const char *name, hub_error_t *err)
{
    htri_t e = H5Aexists(obj, name);

    if (e < 0)
        return h5u_fail(err, name);
    if (e == 0)
        return hub_errorf(err, ENOENT, "no attribute '%s'", name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    return a < 0 ? h5u_fail(err, name) : a;
}

static int attr_read(hid_t obj, const char *name, hid_t mtype, void *value,
                     hub_error_t *err)
{
    hid_t a = attr_open(obj, name, err);
    int rc = 0;

    if (a < 0)
        return (int)a;
    if (H5Aread(a, mtype, value) < 0)
        rc = h5u_fail(err, name);
    H5Aclose(a);
    return rc;
}

int h5u_read_attr_str(hid_t obj, const char *name, char *buf, size_t size,
                      hub_error_t *err)
{
    hid_t a = attr_open(obj, name, err), ftype = -1, mtype = -1;
    char *tmp = NULL;
    int rc = 0;

    if (a < 0)
        return (int)a;
    ftype = H5Aget_type(a);
    size_t len = ftype >= 0 ? H5Tget_size(ftype) : 0;
    if (ftype < 0 || H5Tget_class(ftype) != H5T_STRING ||
        H5Tis_variable_str(ftype) != 0)
        rc = hub_errorf(err, EINVAL, "attribute '%s' is not a fixed string",
                        name);
    else if (!(tmp = calloc(1, len + 1)) || (mtype = h5u_str_type(len + 1)) < 0)
        rc = hub_errorf(err, ENOMEM, "attribute '%s': out of memory", name);
    else if (H5Aread(a, mtype, tmp) < 0)
        rc = h5u_fail(err, name);
    else
        snprintf(buf, size, "%s", tmp);
    free(tmp);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    H5Aclose(a);
    return rc;
}

int h5u_read_attr_double(hid_t obj, const char *name, double *value,
                         hub_error_t *err)
{
    return attr_read(obj, name, H5T_NATIVE_DOUBLE, value, err);
}

int h5u_read_attr_int64(hid_t obj, const char *name, int64_t *value,
                        hub_error_t *err)
{
    return attr_read(obj, name, H5T_NATIVE_INT64, value, err);
}

hid_t h5u_table_create(hid_t loc, const char *name, hid_t ftype,
                       size_t chunk_rows, hub_error_t *err)
{
    hsize_t dims = 0, maxdims = H5S_UNLIMITED, chunk = chunk_rows;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), dset = -1;

    if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0)
        dset =
            H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset < 0)
        h5u_fail(err, name);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return dset < 0 ? -EIO : dset;
}

uint64_t h5u_table_rows(hid_t dset)
{
    hid_t space = H5Dget_space(dset);
    hsize_t n = 0;

    if (space < 0)
        return 0;
    if (H5Sget_simple_extent_dims(space, &n, NULL) != 1)
        n = 0;
    H5Sclose(space);
    return n;
}

/* Select rows first .. first + n - 1 of dset's (current) file space. */
static int select_rows(hid_t dset, hsize_t first, hsize_t n, hid_t *fspace,
                       hid_t *mspace)
{
    *fspace = H5Dget_space(dset);
    *mspace = H5Screate_simple(1, &n, NULL);
    if (*fspace < 0 || *mspace < 0)
        return -1;
    return H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, &first, NULL, &n,
                               NULL) < 0
               ? -1
               : 0;
}

/* Write (read when !write) n rows at first; fspace/mspace closed here. */
static int table_io(hid_t dset, hid_t mtype, uint64_t first, size_t n,
                    void *rows, int write, hub_error_t *err)
{
    hid_t fspace = -1, mspace = -1;
    int rc = 0;

    if (select_rows(dset, first, n, &fspace, &mspace) < 0)
        rc = h5u_fail(err, "select rows");
    else if (write &&
             H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, rows) < 0)
        rc = h5u_fail(err, "write rows");
    else if (!write &&
             H5Dread(dset, mtype, mspace, fspace, H5P_DEFAULT, rows) < 0)
        rc = h5u_fail(err, "read rows");
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    return rc;
}

int h5u_table_append(hid_t dset, hid_t mtype, const void *rows, size_t n,
                     hub_error_t *err)
{
    uint64_t first = h5u_table_rows(dset);
    hsize_t size = first + n;

    if (n == 0)
        return 0;
    if (H5Dset_extent(dset, &size) < 0)
        return h5u_fail(err, "extend table");
    return table_io(dset, mtype, first, n, (void *)rows, 1, err);
}

int h5u_table_read(hid_t dset, hid_t mtype, uint64_t first, size_t n,
                   void *rows, hub_error_t *err)
{
    if (n == 0)
        return 0;
    if (first + n > h5u_table_rows(dset))
        return hub_errorf(err, ERANGE, "rows %llu..%llu beyond the table",
                          (unsigned long long)first,
                          (unsigned long long)(first + n - 1));
    return table_io(dset, mtype, first, n, rows, 0, err);
}

/* h5util.h - the one place where HDF5 failures become a negative errno and
 * a message (STYLE.md: one small error wrapper per library), plus the few
 * HDF5 shapes libhubjob's files use: scalar attributes and extendible,
 * chunked one-dimensional tables of a compound type.
 *
 * HDF5 prints its error stack to stderr by default; h5u_quiet() turns that
 * off for the process, and every failure is reported through h5u_fail()
 * instead. Functions here return 0 or a negative errno with the reason in
 * err (never print); handle-returning ones return a negative hid_t.
 *
 * Non-goals: parallel (MPI-IO) access, variable-length types.
 */
#ifndef HUBJOB_H5UTIL_H
#define HUBJOB_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Turn off HDF5's automatic error printing (process-wide, idempotent). */
void h5u_quiet(void);

/* Write "<what>: <HDF5's innermost message>" into err, clear HDF5's error
 * stack and return the nearest negative errno: -ENOENT or -EACCES for a
 * file that cannot be opened (from errno), -ENOMEM, else -EIO. */
int h5u_fail(hub_error_t *err, const char *what);

/* Create or overwrite a scalar attribute of obj. */
int h5u_attr_str(hid_t obj, const char *name, const char *value,
                 hub_error_t *err);
int h5u_attr_double(hid_t obj, const char *name, double value,
                    hub_error_t *err);
int h5u_attr_int64(hid_t obj, const char *name, int64_t value,
                   hub_error_t *err);

/* Read a scalar attribute; -ENOENT when obj has none of that name. A
 * string longer than size - 1 is truncated; buf is NUL-terminated. */
int h5u_read_attr_str(hid_t obj, const char *name, char *buf, size_t size,
                      hub_error_t *err);
int h5u_read_attr_double(hid_t obj, const char *name, double *value,
                         hub_error_t *err);
int h5u_read_attr_int64(hid_t obj, const char *name, int64_t *value,
                        hub_error_t *err);

/* Create an empty table (1-D dataset, unlimited, chunks of chunk_rows)
 * named name under loc, rows of file type ftype. Returns the dataset. */
hid_t h5u_table_create(hid_t loc, const char *name, hid_t ftype,
                       size_t chunk_rows, hub_error_t *err);

/* Rows in table dset (0 on error). */
uint64_t h5u_table_rows(hid_t dset);

/* Append n rows laid out as memory type mtype. */
int h5u_table_append(hid_t dset, hid_t mtype, const void *rows, size_t n,
                     hub_error_t *err);

/* Read rows first .. first + n - 1 into rows as memory type mtype (which
 * may name a subset of the table's fields). */
int h5u_table_read(hid_t dset, hid_t mtype, uint64_t first, size_t n,
                   void *rows, hub_error_t *err);

/* A fixed-size, NUL-terminated string type of size bytes (caller closes). */
hid_t h5u_str_type(size_t size);

#endif /* HUBJOB_H5UTIL_H */

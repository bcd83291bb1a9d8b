/* jobread.c - read the runs' times and the summary from the job's HDF5
 * file (jobread.h). Only the fields hrun needs are read: HDF5 converts a
 * compound by member names, so these memory types are subsets of the
 * file's.
 */
#include "jobread.h"

#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAME_MAX_BYTES 32 /* the file's event name length */

typedef struct ev_row {
    double time_s;
    int32_t run;
    int64_t step;
    char name[NAME_MAX_BYTES];
} ev_row_t;

typedef struct metric_row {
    int32_t run;
    double time_s;
} metric_row_t;

/* The entry for run r in runs (added in order when new), or NULL. */
static jobread_run_t *run_of(jobread_run_t *runs, int max, int *n, int r)
{
    for (int i = 0; i < *n; i++)
        if (runs[i].run == r)
            return &runs[i];
    if (*n >= max || r < 0)
        return NULL;
    runs[*n] = (jobread_run_t){.run = r, .resume_step = -1};
    return &runs[(*n)++];
}

/* Read dataset name of the file with memory type t into a new buffer of
 * *rows rows of size bytes each; NULL (and *rows 0) when absent. */
static void *read_table(hid_t file, const char *name, hid_t t, size_t size,
                        hsize_t *rows)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT), sp;
    void *buf = NULL;

    *rows = 0;
    if (ds < 0)
        return NULL;
    if ((sp = H5Dget_space(ds)) >= 0) {
        H5Sget_simple_extent_dims(sp, rows, NULL);
        H5Sclose(sp);
    }
    if (*rows && (buf = calloc(*rows, size)) != NULL &&
        H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    if (!buf)
        *rows = 0;
    H5Dclose(ds);
    return buf;
}

static void read_events(hid_t file, jobread_run_t *runs, int max, int *n)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ev_row_t)), s = H5Tcopy(H5T_C_S1);
    hsize_t rows;
    ev_row_t *ev;

    H5Tset_size(s, NAME_MAX_BYTES);
    H5Tinsert(t, "time_s", HOFFSET(ev_row_t, time_s), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "run", HOFFSET(ev_row_t, run), H5T_NATIVE_INT32);
    H5Tinsert(t, "step", HOFFSET(ev_row_t, step), H5T_NATIVE_INT64);
    H5Tinsert(t, "name", HOFFSET(ev_row_t, name), s);
    ev = read_table(file, "/events", t, sizeof(*ev), &rows);
    for (hsize_t i = 0; i < rows; i++) {
        jobread_run_t *r = run_of(runs, max, n, ev[i].run);
        ev[i].name[NAME_MAX_BYTES - 1] = '\0';
        if (r && strcmp(ev[i].name, "start") == 0)
            r->start_s = ev[i].time_s;
        else if (r && strcmp(ev[i].name, "resume") == 0 && !r->resume_s) {
            r->resume_s = ev[i].time_s;
            r->resume_step = ev[i].step;
        }
    }
    free(ev);
    H5Tclose(s);
    H5Tclose(t);
}

static void read_metrics(hid_t file, jobread_run_t *runs, int max, int *n)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(metric_row_t));
    hsize_t rows;
    metric_row_t *m;

    H5Tinsert(t, "run", HOFFSET(metric_row_t, run), H5T_NATIVE_INT32);
    H5Tinsert(t, "time_s", HOFFSET(metric_row_t, time_s), H5T_NATIVE_DOUBLE);
    m = read_table(file, "/metrics", t, sizeof(*m), &rows);
    for (hsize_t i = 0; i < rows; i++) {
        jobread_run_t *r = run_of(runs, max, n, m[i].run);
        if (r && !r->first_step_s)
            r->first_step_s = m[i].time_s;
    }
    free(m);
    H5Tclose(t);
}

static void read_attr(hid_t g, const char *name, hid_t type, void *out)
{
    hid_t a = H5Aopen(g, name, H5P_DEFAULT);

    if (a >= 0) {
        H5Aread(a, type, out);
        H5Aclose(a);
    }
}

static void read_summary(hid_t file, jobread_summary_t *s)
{
    hid_t g = H5Gopen2(file, "/summary", H5P_DEFAULT);

    *s = (jobread_summary_t){0};
    if (g < 0)
        return;
    s->present = true;
    read_attr(g, "goodput", H5T_NATIVE_DOUBLE, &s->goodput);
    read_attr(g, "lost_time_s", H5T_NATIVE_DOUBLE, &s->lost_time_s);
    read_attr(g, "wall_time_s", H5T_NATIVE_DOUBLE, &s->wall_time_s);
    read_attr(g, "mean_mfu", H5T_NATIVE_DOUBLE, &s->mean_mfu);
    read_attr(g, "steps", H5T_NATIVE_INT64, &s->steps);
    read_attr(g, "lost_steps", H5T_NATIVE_INT64, &s->lost_steps);
    H5Gclose(g);
}

int jobread(const char *path, jobread_run_t *runs, int max, int *n,
            jobread_summary_t *sum, hub_error_t *err)
{
    hid_t file;

    *n = 0;
    *sum = (jobread_summary_t){0};
    if (access(path, R_OK) != 0)
        return -ENOENT;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return hub_errorf(err, EIO, "%s: HDF5 cannot open it", path);
    read_events(file, runs, max, n);
    read_metrics(file, runs, max, n);
    read_summary(file, sum);
    H5Fclose(file);
    return 0;
}

/* jobread.c - reading a job's HDF5 file for reports (see jobread.h): the
 * root attributes, /summary, and the fields of /metrics and /events that
 * a report uses (HDF5 reads a compound subset by field name). */
#include "jobread.h"

#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"

#define ADD(t, s, f, h) H5Tinsert(t, #f, HOFFSET(s, f), h)

static hid_t open_job_file(const char *path, hub_error_t *err)
{
    int64_t version;
    hid_t f;

    h5u_quiet();
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return h5u_fail(err, path);
    if (h5u_read_attr_int64(f, "schema_version", &version, err) < 0) {
        H5Fclose(f);
        return hub_errorf(err, EIO, "%s: not a job file (no schema_version)",
                          path);
    }
    return f;
}

/* The root attributes; absent ones stay "" or 0 (older files). */
static void read_info(hid_t f, jobread_info_t *in)
{
    hub_error_t ignored;

    memset(in, 0, sizeof(*in));
    h5u_read_attr_str(f, "job_id", in->job_id, sizeof(in->job_id), &ignored);
    h5u_read_attr_str(f, "model_name", in->model_name, sizeof(in->model_name),
                      &ignored);
    h5u_read_attr_str(f, "precision", in->precision, sizeof(in->precision),
                      &ignored);
    h5u_read_attr_str(f, "devices", in->devices, sizeof(in->devices), &ignored);
    h5u_read_attr_double(f, "start_time", &in->start_time_s, &ignored);
    h5u_read_attr_double(f, "peak_flops", &in->peak_flops, &ignored);
    h5u_read_attr_double(f, "model_flops_per_token", &in->model_flops_per_token,
                         &ignored);
    h5u_read_attr_int64(f, "runs", &in->runs, &ignored);
    h5u_read_attr_int64(f, "world_size", &in->world_size, &ignored);
}

static int read_summary(hid_t f, jobread_summary_t *s, hub_error_t *err)
{
    const struct {
        const char *name;
        double *v;
    } attrs[] = {
        {"step_time_s", &s->step_s},
        {"lost_time_s", &s->lost_s},
        {"wall_time_s", &s->wall_s},
        {"goodput", &s->goodput},
        {"mean_mfu", &s->mean_mfu},
        {"median_mfu", &s->median_mfu},
        {"tokens_per_s", &s->tokens_per_s},
        {"median_tokens_per_s", &s->median_tokens_per_s},
    };
    hid_t g;
    int rc;

    if (H5Lexists(f, "summary", H5P_DEFAULT) <= 0)
        return hub_errorf(err, ENODATA,
                          "no /summary (the job has not ended "
                          "cleanly yet)");
    if ((g = H5Gopen2(f, "summary", H5P_DEFAULT)) < 0)
        return h5u_fail(err, "/summary");
    if ((rc = h5u_read_attr_int64(g, "steps", &s->steps, err)) == 0)
        rc = h5u_read_attr_int64(g, "lost_steps", &s->lost_steps, err);
    for (size_t i = 0; rc == 0 && i < sizeof(attrs) / sizeof(attrs[0]); i++)
        rc = h5u_read_attr_double(g, attrs[i].name, attrs[i].v, err);
    H5Gclose(g);
    return rc;
}

static hid_t row_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(jobread_row_t));

    ADD(t, jobread_row_t, step, H5T_NATIVE_INT64);
    ADD(t, jobread_row_t, run, H5T_NATIVE_INT32);
    ADD(t, jobread_row_t, time_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobread_row_t, step_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobread_row_t, loss, H5T_NATIVE_DOUBLE);
    ADD(t, jobread_row_t, mfu, H5T_NATIVE_DOUBLE);
    return t;
}

static hid_t event_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(jobread_event_t));
    hid_t name = h5u_str_type(sizeof(((jobread_event_t *)0)->name));
    hid_t detail = h5u_str_type(sizeof(((jobread_event_t *)0)->detail));

    ADD(t, jobread_event_t, time_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobread_event_t, run, H5T_NATIVE_INT32);
    ADD(t, jobread_event_t, step, H5T_NATIVE_INT64);
    ADD(t, jobread_event_t, duration_s, H5T_NATIVE_DOUBLE);
    ADD(t, jobread_event_t, name, name);
    ADD(t, jobread_event_t, detail, detail);
    H5Tclose(name);
    H5Tclose(detail);
    return t;
}

/* Every row of table name (absent: none) as mtype, elem bytes each, into
 * a malloc'd *rows. */
static int read_table(hid_t f, const char *name, hid_t mtype, size_t elem,
                      void **rows, size_t *n, hub_error_t *err)
{
    hid_t d;
    int rc;

    *rows = NULL;
    *n = 0;
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0)
        return 0;
    if ((d = H5Dopen2(f, name, H5P_DEFAULT)) < 0)
        return h5u_fail(err, name);
    *n = (size_t)h5u_table_rows(d);
    if (*n > 0 && !(*rows = calloc(*n, elem)))
        rc = hub_errorf(err, ENOMEM, "%s: out of memory", name);
    else
        rc = h5u_table_read(d, mtype, 0, *n, *rows, err);
    H5Dclose(d);
    return rc;
}

static int read_tables(hid_t f, jobread_t *jr, hub_error_t *err)
{
    hid_t rt = row_type(), et = event_type();
    int rc = read_table(f, "metrics", rt, sizeof(jobread_row_t),
                        (void **)&jr->rows, &jr->nrows, err);

    if (rc == 0)
        rc = read_table(f, "events", et, sizeof(jobread_event_t),
                        (void **)&jr->events, &jr->nevents, err);
    H5Tclose(rt);
    H5Tclose(et);
    return rc;
}

int jobread_load(const char *path, jobread_t **out, hub_error_t *err)
{
    jobread_t *jr = calloc(1, sizeof(*jr));
    hub_error_t serr;
    hid_t f;
    int rc;

    *out = NULL;
    if (!jr)
        return hub_errorf(err, ENOMEM, "out of memory");
    if ((f = open_job_file(path, err)) < 0) {
        free(jr);
        return (int)f;
    }
    read_info(f, &jr->info);
    jr->has_summary = read_summary(f, &jr->summary, &serr) == 0;
    rc = read_tables(f, jr, err);
    H5Fclose(f);
    if (rc < 0) {
        jobread_free(jr);
        return rc;
    }
    *out = jr;
    return 0;
}

void jobread_free(jobread_t *jr)
{
    if (!jr)
        return;
    free(jr->rows);
    free(jr->events);
    free(jr);
}

int jobread_summary(const char *path, jobread_summary_t *out, hub_error_t *err)
{
    hid_t f = open_job_file(path, err);
    int rc;

    if (f < 0)
        return (int)f;
    rc = read_summary(f, out, err);
    H5Fclose(f);
    return rc;
}

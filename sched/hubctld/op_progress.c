/* op_progress.c - what hrun tells the controller about a job it runs
 * (doc/hrun.md): job_progress {id, step, mfu, restarts} every few seconds
 * while the job runs, job_report {id, goodput, work_lost_s, restarts, mfu,
 * step} at its end. Both come from the job's owner (or root and the
 * operators) and land in the job's hrun_* fields (job.h), which hqueue and
 * hacct show. Progress stays in memory until the job's next change is
 * stored (one SQLite write per job every 5 s is not worth it); the report
 * is stored at once. */
#include "ctld.h"

#include <errno.h>
#include <math.h>

#define PPM 1000000.0 /* parts per million in one */

/* A fraction 0..1 (JSON number) as ppm, clamped; -EINVAL if not a number. */
static int ppm_of(const json_t *v, const char *name, uint32_t *out,
                  hub_error_t *err)
{
    double x = json_number_value(v);

    if (!json_is_number(v) || isnan(x))
        return hub_errorf(err, EINVAL, "%s: expected a number", name);
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    *out = (uint32_t)lround(x * PPM);
    return 0;
}

static int count_of(const json_t *v, const char *name, int64_t max,
                    int64_t *out, hub_error_t *err)
{
    json_int_t x = json_integer_value(v);

    if (!json_is_integer(v) || x < 0 || x > max)
        return hub_errorf(err, EINVAL, "%s: expected an integer in 0..%lld",
                          name, (long long)max);
    *out = x;
    return 0;
}

/* The fields hrun may send; absent ones leave the job's value alone.
 * Decoded into a copy first: nothing changes when one field is bad. */
static int apply(hub_job_t *job, const json_t *req, hub_error_t *err)
{
    hub_job_t j = *job;
    json_t *v;
    int64_t n = 0;
    double s;

    if ((v = json_object_get(req, "step"))) {
        if (count_of(v, "step", INT64_MAX, &n, err) < 0)
            return -EINVAL;
        j.hrun_step = n;
    }
    if ((v = json_object_get(req, "restarts"))) {
        if (count_of(v, "restarts", UINT32_MAX, &n, err) < 0)
            return -EINVAL;
        j.hrun_restarts = (uint32_t)n;
    }
    if ((v = json_object_get(req, "work_lost_s"))) {
        s = json_number_value(v);
        if (!json_is_number(v) || !(s >= 0) || s > 1e15)
            return hub_errorf(err, EINVAL,
                              "work_lost_s: expected seconds, 0 or more");
        j.hrun_work_lost_ms = llround(s * 1000);
    }
    if ((v = json_object_get(req, "goodput")) &&
        ppm_of(v, "goodput", &j.hrun_goodput_ppm, err) < 0)
        return -EINVAL;
    *job = j;
    return 0;
}

/* Both ops: find the job, check the caller, decode, store the fields;
 * report: "mfu" is the run's mean, and the job is stored at once. */
static json_t *update(conn_t *conn, json_t *req, bool report)
{
    hub_error_t err;
    hub_job_t *job = job_ref_find(conn->ctld, json_object_get(req, "id"), &err);
    json_t *v = json_object_get(req, "mfu");
    hub_job_t j;

    if (!job)
        return answer_error(-ENOENT, &err);
    if (!may_touch_job(conn, job)) {
        hub_errorf(&err, EPERM, "job %u: Access/permission denied", job->id);
        return answer_error(-EPERM, &err);
    }
    j = *job;
    if (apply(&j, req, &err) < 0 ||
        (v && ppm_of(v, "mfu", report ? &j.hrun_mfu_mean_ppm : &j.hrun_mfu_ppm,
                     &err) < 0))
        return answer_error(-EINVAL, &err);
    *job = j; /* a shallow copy: the allocation is the same */
    if (report)
        run_persist(conn->ctld, job);
    return answer_ok();
}

json_t *op_job_progress(conn_t *conn, json_t *req, reply_t *slot)
{
    (void)slot;
    return update(conn, req, false);
}

json_t *op_job_report(conn_t *conn, json_t *req, reply_t *slot)
{
    (void)slot;
    return update(conn, req, true);
}

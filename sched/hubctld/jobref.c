/* jobref.c - job references in requests: 12, "12", "12_3" (see ctld.h). */
#include "ctld.h"

#include <errno.h>
#include <stdio.h>

int job_ref_parse(const json_t *ref, job_ref_t *out)
{
    const char *s = json_string_value(ref);
    char tail;

    out->task = -1;
    if (json_is_integer(ref)) {
        json_int_t v = json_integer_value(ref);
        if (v <= 0 || v > UINT32_MAX)
            return -EINVAL;
        out->id = (hub_job_id_t)v;
        return 0;
    }
    if (!s)
        return -EINVAL;
    if (sscanf(s, "%u_%d%c", &out->id, &out->task, &tail) == 2 &&
        out->task >= 0)
        return 0;
    out->task = -1;
    return sscanf(s, "%u%c", &out->id, &tail) == 1 && out->id ? 0 : -EINVAL;
}

bool job_ref_matches(const job_ref_t *ref, const hub_job_t *job)
{
    if (ref->task >= 0)
        return job->array_job_id == ref->id && job->array_task_id == ref->task;
    return job->id == ref->id || job->array_job_id == ref->id;
}

typedef struct find_task {
    job_ref_t ref;
    hub_job_t *found;
} find_task_t;

static int match_task(hub_job_t *job, void *arg)
{
    find_task_t *f = arg;
    if (!job_ref_matches(&f->ref, job))
        return 0;
    f->found = job;
    return 1;
}

hub_job_t *job_ref_find(ctld_t *c, const json_t *ref, hub_error_t *err)
{
    find_task_t f = {.found = NULL};

    if (job_ref_parse(ref, &f.ref) < 0) {
        hub_errorf(err, EINVAL, "not a job id (use 12 or 12_3)");
        return NULL;
    }
    if (f.ref.task < 0)
        f.found = hub_sched_find(c->sched, f.ref.id);
    else
        hub_sched_foreach(c->sched, match_task, &f);
    if (!f.found && f.ref.task >= 0)
        hub_errorf(err, ENOENT, "job %u_%d: Invalid job id specified", f.ref.id,
                   f.ref.task);
    else if (!f.found)
        hub_errorf(err, ENOENT,
                   "job %u: Invalid job id specified (it may have ended "
                   "more than 5 minutes ago: try hacct)",
                   f.ref.id);
    return f.found;
}

void job_ref_text(const hub_job_t *job, char *buf, size_t len)
{
    if (job->array_job_id)
        snprintf(buf, len, "%u_%d", job->array_job_id, job->array_task_id);
    else
        snprintf(buf, len, "%u", job->id);
}

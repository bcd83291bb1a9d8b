/* events.c - the job file's /events: hub_job_event, libhubjob's own
 * events and the launcher's timings. */
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobfile.h"
#include "log.h"

double events_epoch_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int record(hub_ctx_t *ctx, const char *name, int64_t step,
                  double duration_s, const char *detail)
{
    jobfile_event_t ev = {.time_s = events_epoch_s(),
                          .run = ctx->restart_count,
                          .step = step,
                          .duration_s = duration_s};
    hub_error_t err;
    int rc;

    if (!ctx->jobfile)
        return 0;
    snprintf(ev.name, sizeof(ev.name), "%s", name);
    snprintf(ev.detail, sizeof(ev.detail), "%s", detail ? detail : "");
    if ((rc = jobfile_append_event(ctx->jobfile, &ev, &err)) < 0)
        return ctx_error(ctx, -rc, "event '%s': %s", name, err.text);
    return 0;
}

int events_record(hub_ctx_t *ctx, const char *name, int64_t step,
                  double duration_s, const char *fmt, ...)
{
    char detail[JOBFILE_DETAIL_MAX];
    va_list ap;

    if (!ctx->jobfile)
        return 0;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return record(ctx, name, step, duration_s, detail);
}

int hub_job_event(hub_ctx_t *ctx, const char *name, double duration_s,
                  const char *detail)
{
    if (!ctx || !name || !*name)
        return ctx ? ctx_error(ctx, EINVAL, "hub_job_event: no name") : -EINVAL;
    if (strlen(name) >= JOBFILE_NAME_MAX)
        return ctx_error(ctx, EINVAL,
                         "hub_job_event: name '%s' is longer "
                         "than %d characters",
                         name, JOBFILE_NAME_MAX - 1);
    return record(ctx, name, -1, duration_s, detail);
}

/* One "phase=seconds" entry of HUB_LAUNCH_TIMINGS. */
static int launcher_phase(hub_ctx_t *ctx, const char *entry)
{
    char name[JOBFILE_NAME_MAX], *end;
    const char *eq = strchr(entry, '=');
    size_t len = eq ? (size_t)(eq - entry) : 0;
    double s = eq ? strtod(eq + 1, &end) : -1;

    if (!eq || len == 0 || len >= sizeof(name) || end == eq + 1 || *end ||
        !(s >= 0)) {
        hub_log_warn("hubjob: HUB_LAUNCH_TIMINGS: ignoring '%s' (want "
                     "phase=seconds)",
                     entry);
        return 0;
    }
    memcpy(name, entry, len);
    name[len] = '\0';
    return record(ctx, name, -1, s, "timed by the launcher");
}

int events_launcher(hub_ctx_t *ctx)
{
    const char *v = getenv("HUB_LAUNCH_TIMINGS");
    char *copy, *save = NULL;
    int rc = 0;

    if (!ctx->jobfile || !v || !*v)
        return 0;
    if (!(copy = strdup(v)))
        return ctx_error(ctx, ENOMEM, "HUB_LAUNCH_TIMINGS: out of memory");
    for (char *e = strtok_r(copy, ",", &save); e && rc == 0;
         e = strtok_r(NULL, ",", &save))
        rc = launcher_phase(ctx, e);
    free(copy);
    return rc;
}

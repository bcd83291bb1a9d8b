/* limits.c - when the stages of a job's time limit fall: the --signal
 * SECS before the limit, SIGTERM at the limit (SIGKILL follows KillWait
 * after the SIGTERM really went out, see job_kill.c). Pure arithmetic on
 * wall-clock milliseconds, so that the limit counts from job.start_ms as
 * the controller recorded it and survives a controller restart.
 */
#include "config.h"

#include "hubd.h"

#include <string.h>

#include "units.h"

/* Limits longer than this (about 292 000 years in ms) are no limit. */
#define LIMIT_S_MAX (INT64_MAX / 1000 / 2)

void limits_plan(int64_t start_ms, const hub_job_req_t *req,
                 limits_plan_t *plan)
{
    int64_t limit_s = req->time_limit_s;

    memset(plan, 0, sizeof(*plan));
    if (limit_s <= 0 || limit_s == HUB_DURATION_INFINITE ||
        limit_s > LIMIT_S_MAX)
        return;
    plan->term_at_ms = start_ms + limit_s * 1000;
    if (req->signal_num > 0) {
        int64_t secs = req->signal_secs;
        plan->signal = req->signal_num;
        plan->signal_batch_only = req->signal_batch_only;
        plan->signal_at_ms =
            secs >= limit_s ? start_ms : plan->term_at_ms - secs * 1000;
    }
}

uint64_t limits_delay_ms(int64_t at_ms, int64_t now_ms)
{
    return at_ms > now_ms ? (uint64_t)(at_ms - now_ms) : 0;
}

uint64_t limits_kill_wait_ms(int64_t kill_wait_s)
{
    if (kill_wait_s <= 0)
        return 0;
    if (kill_wait_s > LIMIT_S_MAX)
        kill_wait_s = LIMIT_S_MAX;
    return (uint64_t)kill_wait_s * 1000;
}

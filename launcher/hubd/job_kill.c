/* job_kill.c - signals to a job: job_signal and job_kill events, and the
 * time limit of a batch job (its --signal first, SIGTERM at the limit,
 * SIGKILL KillWait seconds after the SIGTERM), as Slurm does it.
 */
#include "config.h"

#include "hubd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static pid_t batch_pid(const hubd_job_t *j)
{
    return j->proc_running ? j->proc.pid : 0;
}

/* Slurm's --signal semantics: the batch shell only ("B:"), or every
 * process of the job but the batch shell. */
static int send_job_signal(hubd_job_t *j, int sig, bool batch_only)
{
    pid_t batch = batch_pid(j);

    if (batch_only)
        return batch && kill(batch, sig) == 0 ? 1 : 0;
    return proctrack_signal(j->pt, sig, batch);
}

static void on_kill_wait(uv_timer_t *t)
{
    hubd_job_t *j = t->data;
    int n = proctrack_signal(j->pt, SIGKILL, 0);

    if (n > 0)
        hub_log_info("job %u: SIGKILL to %d processes after KillWait",
                     j->job.id, n);
}

void job_terminate(hubd_job_t *j, const char *reason)
{
    int n;

    if (j->kill_reason[0]) {
        hub_debug(HUB_DBG_LAUNCH, "job %u: already terminating (%s)", j->job.id,
                  j->kill_reason);
        return;
    }
    snprintf(j->kill_reason, sizeof(j->kill_reason), "%s", reason);
    uv_timer_stop(&j->limit_timer);
    n = proctrack_signal(j->pt, SIGTERM, 0);
    /* A stopped process would sleep through SIGTERM. */
    proctrack_signal(j->pt, SIGCONT, 0);
    hub_log_info("job %u on %s: %s: SIGTERM to %d processes, SIGKILL in "
                 "%llds",
                 j->job.id, j->d->name, reason, n, (long long)j->kill_wait_s);
    uv_timer_start(&j->kill_timer, on_kill_wait,
                   limits_kill_wait_ms(j->kill_wait_s), 0);
}

static void arm_limit(hubd_job_t *j);

static void on_limit(uv_timer_t *t)
{
    hubd_job_t *j = t->data;
    limits_plan_t *p = &j->plan;

    if (p->signal_at_ms) {
        int n = send_job_signal(j, p->signal, p->signal_batch_only);
        hub_log_info("job %u: --signal %d to %d processes", j->job.id,
                     p->signal, n);
        p->signal_at_ms = 0;
        arm_limit(j);
        return;
    }
    hub_log_notice("job %u on %s: time limit reached", j->job.id, j->d->name);
    job_terminate(j, "timeout");
}

/* Start the timer for the next stage of the plan, if any. */
static void arm_limit(hubd_job_t *j)
{
    int64_t at =
        j->plan.signal_at_ms ? j->plan.signal_at_ms : j->plan.term_at_ms;

    if (at)
        uv_timer_start(&j->limit_timer, on_limit,
                       limits_delay_ms(at, hubd_now_ms()), 0);
}

void job_limits_start(hubd_job_t *j)
{
    int64_t start = j->job.start_ms > 0 ? j->job.start_ms : j->start_ms;

    limits_plan(start, &j->job.req, &j->plan);
    if (j->plan.term_at_ms)
        hub_debug(HUB_DBG_LAUNCH, "job %u: limit in %llu ms", j->job.id,
                  (unsigned long long)limits_delay_ms(j->plan.term_at_ms,
                                                      hubd_now_ms()));
    arm_limit(j);
}

static hubd_job_t *event_job(hubd_t *d, const json_t *ev, const char *what)
{
    uint32_t id = (uint32_t)json_integer_value(json_object_get(ev, "id"));
    hubd_job_t *j = job_event_target(d, ev);

    if (!j || j->ending) {
        hub_log_warn("%s for job %u, which does not run on %s", what, id,
                     d->name);
        return NULL;
    }
    return j;
}

void job_on_signal(hubd_t *d, const json_t *ev)
{
    hubd_job_t *j = event_job(d, ev, "job_signal");
    int sig = (int)json_integer_value(json_object_get(ev, "signal"));
    bool batch_only = json_is_true(json_object_get(ev, "batch_only"));

    if (!j)
        return;
    if (sig <= 0 || sig >= NSIG) {
        hub_log_warn("job %u: job_signal with bad signal %d", j->job.id, sig);
        return;
    }
    int n = send_job_signal(j, sig, batch_only);
    hub_log_info("job %u: signal %d to %d processes%s", j->job.id, sig, n,
                 batch_only ? " (batch shell)" : "");
}

void job_on_kill(hubd_t *d, const json_t *ev)
{
    hubd_job_t *j = event_job(d, ev, "job_kill");
    const char *reason = json_string_value(json_object_get(ev, "reason"));

    if (j)
        job_terminate(j, reason && reason[0] ? reason : "cancelled");
}

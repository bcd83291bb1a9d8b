/* supervise.c - watch a run: its end (mpirun's exit status or signal),
 * its progress (libhubjob's progress record, polled) and hangs (no new
 * step for --hang-timeout); tear it down on a failure or a user's signal.
 *
 * Teardown: SIGTERM to mpirun, which kills every rank (at once: hrun sets
 * odls_base_sigkill_timeout 0; ranks on other nodes through their orted),
 * then SIGKILL to mpirun's process group after TEARDOWN_GRACE_MS if it is
 * still there. A stopped (SIGSTOP) rank is killed all the same.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hrun.h"

/* How long mpirun gets to tear its ranks down before SIGKILL. */
#define TEARDOWN_GRACE_MS 3000
/* Progress polls: often enough to see a hang within a tenth of the
 * timeout, at most every second, at least every 100 ms (a stat and a
 * 300-byte read). */
#define WATCH_MIN_MS 100
#define WATCH_MAX_MS 1000
/* Controller updates (job_progress) while running. */
#define REPORT_EVERY_S 5.0

static hrun_recovery_t *last_rec(hrun_t *h)
{
    return h->nrecs ? &h->recs[h->nrecs - 1] : NULL;
}

/* A new record, a new step or checkpoint: progress. */
static void take_record(hrun_t *h, const hrun_progress_t *p, double now)
{
    hrun_recovery_t *r = last_rec(h);

    if (!p->present)
        return;
    if (!h->prog.present || p->pid != h->prog.pid || p->step != h->prog.step ||
        p->ckpt_step != h->prog.ckpt_step || p->finished != h->prog.finished)
        h->last_progress_s = now;
    if (r && r->run == h->run && r->resumed_s == 0) {
        r->resumed_s = now;
        r->resume_step = p->ckpt_step;
        r->job_run = p->restarts;
    }
    if (p->step >= 0) {
        h->stepped = true;
        if (r && r->run == h->run && r->first_step_s == 0)
            r->first_step_s = p->time_s > 0 ? p->time_s : now;
        h->best_step = p->step > h->best_step ? p->step : h->best_step;
        h->mfu = p->mfu;
    }
    h->prog = *p;
}

static void watch_cb(uv_timer_t *t)
{
    hrun_t *h = t->data;
    hrun_progress_t p;
    double now = hrun_now();
    /* A hang is judged once the program showed it writes the record
     * (in this run or an earlier one): a program without libhubjob is
     * never called hung. */
    bool armed = h->prog.present || h->nrecs > 0;

    record_read(h->progress, &p);
    take_record(h, &p, now);
    if (h->phase == HRUN_RUNNING && h->opt.hang_timeout_s > 0 && armed &&
        !h->prog.finished && now - h->last_progress_s > h->opt.hang_timeout_s)
        supervise_fail(h, "hang: no step for %.1f s (last step %lld)",
                       now - h->last_progress_s, (long long)h->prog.step);
    if (now - h->last_report_s >= REPORT_EVERY_S && h->prog.present) {
        h->last_report_s = now;
        ctl_progress(h);
    }
}

void supervise_start(hrun_t *h)
{
    uint64_t ms = (uint64_t)(h->opt.hang_timeout_s * 100);

    ms = ms < WATCH_MIN_MS   ? WATCH_MIN_MS
         : ms > WATCH_MAX_MS ? WATCH_MAX_MS
                             : ms;
    h->phase = HRUN_RUNNING;
    h->launch_s = h->last_progress_s = hrun_now();
    h->prog = (hrun_progress_t){.step = -1, .ckpt_step = -1};
    h->stepped = false;
    h->lost[0] = h->noticed[0] = '\0';
    h->nlast_err = 0;
    uv_timer_start(&h->watch, watch_cb, ms, ms);
}

static void kill_cb(uv_timer_t *t)
{
    hrun_t *h = t->data;

    if (!h->proc_alive)
        return;
    hrun_say(h, 0, "mpirun did not end in %d ms: killing it",
             TEARDOWN_GRACE_MS);
    kill(-h->proc.pid, SIGKILL);
    kill(h->proc.pid, SIGKILL);
}

/* Stop the run: SIGTERM to mpirun, SIGKILL later. */
static void teardown(hrun_t *h, int signum)
{
    if (!h->proc_alive)
        return;
    uv_process_kill(&h->proc, signum);
    uv_timer_start(&h->kill_timer, kill_cb, TEARDOWN_GRACE_MS, 0);
}

/* Open a recovery record for the failure just detected. */
static void note_failure(hrun_t *h, double now)
{
    hrun_recovery_t *r = NULL;
    void *more = realloc(h->recs, (size_t)(h->nrecs + 1) * sizeof(*h->recs));

    if (more) {
        h->recs = more;
        r = &h->recs[h->nrecs++];
        *r = (hrun_recovery_t){.run = h->run + 1,
                               .last_progress_s = h->last_progress_s,
                               .failed_s = now,
                               .resume_step = -1,
                               .job_run = -1};
        snprintf(r->cause, sizeof(r->cause), "%s", h->cause);
    }
}

void supervise_fail(hrun_t *h, const char *fmt, ...)
{
    va_list ap;

    if (h->phase != HRUN_RUNNING)
        return;
    va_start(ap, fmt);
    vsnprintf(h->cause, sizeof(h->cause), fmt, ap);
    va_end(ap);
    h->phase = HRUN_TEARDOWN;
    note_failure(h, hrun_now());
    hrun_say(h, 0, "run %d failed: %s; stopping every rank", h->run, h->cause);
    teardown(h, SIGTERM);
}

/* The loop ends (the caller reports). */
static void finish(hrun_t *h, int code)
{
    h->phase = HRUN_DONE;
    h->exit_code = code;
    uv_timer_stop(&h->watch);
    uv_timer_stop(&h->kill_timer);
    uv_timer_stop(&h->wait_timer);
    uv_stop(h->loop);
}

void supervise_exit(hrun_t *h, int64_t status, int signal)
{
    hrun_progress_t p;
    double now = hrun_now();

    uv_timer_stop(&h->watch);
    uv_timer_stop(&h->kill_timer);
    /* Ranks of this node still in mpirun's group (none, normally). */
    kill(-h->proc.pid, SIGKILL);
    record_read(h->progress, &p);
    take_record(h, &p, now);
    h->exit_status = status;
    h->term_signal = signal;
    if (h->stopping) /* mpirun says 1 when it was told to stop */
        return finish(h, 128 + h->stop_signal);
    if (h->phase == HRUN_RUNNING && status == 0 && signal == 0)
        return finish(h, 0);
    if (h->phase == HRUN_RUNNING) {
        if (h->noticed[0])
            snprintf(h->cause, sizeof(h->cause), "%s", h->noticed);
        else
            snprintf(h->cause, sizeof(h->cause), "mpirun %s %d",
                     signal ? "killed by signal" : "exited with status",
                     signal ? signal : (int)status);
        h->phase = HRUN_TEARDOWN;
        note_failure(h, now);
        hrun_say(h, 0, "run %d failed: %s", h->run, h->cause);
    }
    if (last_rec(h))
        last_rec(h)->down_s = now;
    recover_after_failure(h);
}

void supervise_stop(hrun_t *h, int signum)
{
    if (h->stopping && h->proc_alive) { /* asked twice: no more grace */
        kill(-h->proc.pid, SIGKILL);
        return;
    }
    h->stopping = true;
    h->stop_signal = signum;
    hrun_say(h, 0, "signal %d: stopping the job", signum);
    if (h->proc_alive)
        teardown(h, signum == SIGINT ? SIGINT : SIGTERM);
    else if (h->phase != HRUN_DONE)
        finish(h, 128 + signum);
}

/* recover.c - after a failed run is gone: which nodes were lost (their
 * launch agent died, mpirun named them, or the controller holds them DOWN
 * or without an agent), a spare in each one's place, whether to go on
 * (--max-restarts; a failure loop: --loop-limit runs in a row that ended
 * before their first step), the backoff, and the next launch with the
 * restart number one more and this recovery's phases in
 * HUB_LAUNCH_TIMINGS (libhubjob records them in the job file's /events).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "hrun.h"

int recover_read_agent_log(hrun_t *h, char *nodes, size_t len)
{
    char path[HRUN_PATH_MAX + 32], node[HUB_HOSTNAME_MAX + 1];
    size_t used = strlen(nodes);
    int status, n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/agent.%d", h->dir, h->run);
    if (!(f = fopen(path, "r")))
        return 0;
    while (fscanf(f, "%64s %d", node, &status) == 2) {
        hrun_say(h, 1, "launch agent of %s ended with status %d", node, status);
        used += (size_t)snprintf(nodes + used, len - used, "%s%s",
                                 used ? " " : "", node);
        n++;
        if (used >= len)
            break;
    }
    fclose(f);
    return n;
}

/* End the job without another run; reason printed. */
static void give_up(hrun_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void give_up(hrun_t *h, const char *fmt, ...)
{
    int st = h->term_signal ? 128 + h->term_signal : (int)h->exit_status;
    char reason[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    fprintf(stderr, "hrun: giving up: %s\n", reason);
    for (int i = 0; i < h->nlast_err; i++)
        fprintf(stderr, "hrun:   last error output: %s\n", h->last_err[i]);
    h->phase = HRUN_DONE;
    h->exit_code = st > 0 && st < 256 ? st : HRUN_EXIT_GAVE_UP;
    uv_stop(h->loop);
}

/* Exclude each lost node (space-separated names) and take a spare in its
 * place. 0, or -ENOSPC (given up) when no spare is left. */
static int replace_lost(hrun_t *h, char *names)
{
    char *save = NULL;

    for (char *n = strtok_r(names, " ", &save); n;
         n = strtok_r(NULL, " ", &save)) {
        const char *spare;
        int rc = layout_node_lost(&h->layout, n, &spare);
        if (rc == -ENOENT)
            continue; /* named twice, or not one of ours */
        if (rc == -ENOSPC) {
            give_up(h,
                    "node %s was lost and no spare node is left "
                    "(hbatch --spare-nodes, hrun --spare-nodes)",
                    n);
            return rc;
        }
        hrun_say(h, 0, "node %s lost: spare node %s takes its place", n, spare);
        snprintf(h->cause + strlen(h->cause),
                 sizeof(h->cause) - strlen(h->cause), " (node %s lost)", n);
    }
    return 0;
}

static void relaunch_cb(uv_timer_t *t)
{
    hrun_t *h = t->data;
    hrun_recovery_t *r = &h->recs[h->nrecs - 1];
    hub_error_t err;

    r->relaunch_s = hrun_now();
    snprintf(h->timings, sizeof(h->timings),
             "failure_detected=%.3f,teardown_done=%.3f,relaunch_started=%.3f",
             r->failed_s - r->last_progress_s, r->down_s - r->failed_s,
             r->relaunch_s - r->down_s);
    h->run++;
    hrun_say(h, 0, "restart %d: relaunching %s", h->run, h->opt.argv[0]);
    if (launch_start(h, &err) < 0)
        give_up(h, "relaunch failed: %s", err.text);
}

/* Seconds to wait before the next run: none after a run that made
 * progress (recovery time counts against goodput), doubling from
 * --backoff for runs in a row that did not. */
static double backoff_s(const hrun_t *h)
{
    double d;

    if (h->stalled == 0)
        return 0;
    d = h->opt.backoff_s * pow(2, h->stalled - 1);
    return d < h->opt.backoff_max_s ? d : h->opt.backoff_max_s;
}

void recover_after_failure(hrun_t *h)
{
    char lost[2 * HRUN_CAUSE_MAX];
    double delay;

    snprintf(lost, sizeof(lost), "%s", h->lost);
    recover_read_agent_log(h, lost, sizeof(lost));
    ctl_lost_nodes(h, lost, sizeof(lost));
    if (replace_lost(h, lost) < 0)
        return;
    snprintf(h->recs[h->nrecs - 1].cause, HRUN_CAUSE_MAX, "%s", h->cause);
    h->stalled = h->stepped ? 0 : h->stalled + 1;
    if (h->stalled >= h->opt.loop_limit)
        return give_up(h,
                       "failure loop: %d run%s in a row ended before their "
                       "first step%s (last: %s)",
                       h->stalled, h->stalled == 1 ? "" : "s",
                       h->prog.ckpt_step >= 0 ? " after resuming" : "",
                       h->cause);
    if (h->run >= h->opt.max_restarts)
        return give_up(h, "%d restart%s done (--max-restarts): %s", h->run,
                       h->run == 1 ? "" : "s", h->cause);
    delay = backoff_s(h);
    if (delay > 0)
        hrun_say(h, 0, "run %d made no step: waiting %.1f s", h->run, delay);
    h->phase = HRUN_BACKOFF;
    uv_timer_start(&h->wait_timer, relaunch_cb, (uint64_t)(delay * 1000), 0);
}

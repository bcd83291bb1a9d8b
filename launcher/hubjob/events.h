/* events.h - records in the job file's /events (rank 0 writes; on other
 * ranks these succeed without doing anything).
 *
 * Events libhubjob records itself: "start" (every run; restart number,
 * ranks, devices, peak), the launcher's timings (HUB_LAUNCH_TIMINGS),
 * "resume" (metrics_resumed), "ckpt_commit" (metrics_ckpt_committed) and
 * "end" (a clean finalize, with the summary). Programs add their own
 * through hub_job_event().
 */
#ifndef HUBJOB_EVENTS_H
#define HUBJOB_EVENTS_H

#include <stdint.h>

#include "ctx.h"

/* Record event name about step (-1: none) now; detail is printf-like.
 * 0, or a negative errno with the reason in ctx->error. */
int events_record(hub_ctx_t *ctx, const char *name, int64_t step,
                  double duration_s, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Record the phases the launcher timed, as events named after them with
 * their durations: HUB_LAUNCH_TIMINGS="phase=seconds,phase=seconds"
 * (e.g. "detect=0.8,teardown=0.1,relaunch=0.5"). Malformed entries are
 * skipped with a warning. */
int events_launcher(hub_ctx_t *ctx);

/* Seconds since the Epoch, now. */
double events_epoch_s(void);

#endif /* HUBJOB_EVENTS_H */

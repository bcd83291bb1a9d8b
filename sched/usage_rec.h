/* usage_rec.h - one association's fair-share usage as it travels between
 * the priority plugin, the scheduler and the store (which keeps it across
 * controller restarts).
 *
 * An association is a (uid, account) pair, as in Slurm. The record holds
 * the association's decayed usage as of decayed_ms; whoever reads it back
 * later decays it further, by the half-life it uses, for the time since.
 */
#ifndef HUB_USAGE_REC_H
#define HUB_USAGE_REC_H

#include <stdint.h>

#include "job.h"

typedef struct hub_usage_rec {
    uint32_t uid;
    char account[HUB_NAME_MAX]; /* "" = no account */
    double usage;       /* billing units (GPU-seconds-equivalent), >= 0 */
    int64_t decayed_ms; /* usage is as of this time, ms since the epoch */
} hub_usage_rec_t;

/* A callback that receives records one at a time (rec is a temporary);
 * a non-zero return stops the walk and is returned by the caller. */
typedef int (*hub_usage_fn)(const hub_usage_rec_t *rec, void *arg);

#endif /* HUB_USAGE_REC_H */

/* ctl.h - what hrun tells hubctld and asks it, under hubsched only (a job
 * id and HUB_NODELIST in the environment); elsewhere these do nothing.
 * Calls are short (a 2 s timeout) and their failures are not the job's:
 * a controller that does not know an op is not asked again.
 */
#ifndef HUB_HRUN_CTL_H
#define HUB_HRUN_CTL_H

#include <stddef.h>

#include "hrun.h"
#include "jobread.h"

/* Append (space-separated) the active nodes of the layout that the
 * controller holds DOWN or UNKNOWN (agent gone) to nodes. */
void ctl_lost_nodes(hrun_t *h, char *nodes, size_t len);

/* job_progress {id, step, mfu, restarts}: for hqueue while running. */
void ctl_progress(hrun_t *h);

/* job_report {id, goodput, work_lost_s, restarts, mfu}: for hacct. */
void ctl_report(hrun_t *h, const jobread_summary_t *sum);

#endif /* HUB_HRUN_CTL_H */

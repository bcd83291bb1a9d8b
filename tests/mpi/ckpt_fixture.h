/* ckpt_fixture.h - a checkpoint of every dtype and shard kind, with
 * contents that depend on (step, rank), for the checkpoint tests
 * (tests/unit/test_hubjob_ckpt.c, tests/mpi/ckpt_prog.c) and benchmark
 * correctness checks. */
#ifndef HUB_CKPT_FIXTURE_H
#define HUB_CKPT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "hubjob.h"

/* Collective: begin(step, flags), add every fixture tensor, commit (and
 * wait when flags has HUB_CKPT_ASYNC or HUB_CKPT_ASYNC_NOCOPY). big_elems:
 * float32 elements of the tensor "big" on each rank (0 for the default, 4096).
 */
int ckpt_fix_save(hub_ctx_t *ctx, int64_t step, int flags, uint64_t big_elems);

/* Read every fixture tensor of step back and compare it bit for bit with
 * what ckpt_fix_save(step) wrote: 0 when all are equal, 1 with the first
 * difference in why, or the negative errno of a failed read (why says
 * which tensor; hub_job_error says why). */
int ckpt_fix_check(hub_ctx_t *ctx, int64_t step, uint64_t big_elems, char *why,
                   size_t why_len);

/* Collective: the restore loop of hubjob.h over the fixture: hub_ckpt_
 * latest, every tensor read back and compared (ckpt_fix_check), hub_ckpt_
 * read_end; a step whose reads found damage is skipped and the one before
 * tried. What ckpt_fix_check returns for the step restored (its number in
 * *step), or the negative errno of hub_ckpt_latest (-ENOENT: none left)
 * or hub_ckpt_read_end. */
int ckpt_fix_restore(hub_ctx_t *ctx, int64_t *step, uint64_t big_elems,
                     char *why, size_t why_len);

#endif /* HUB_CKPT_FIXTURE_H */

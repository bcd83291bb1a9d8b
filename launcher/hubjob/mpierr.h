/* mpierr.h - the one place where MPI return codes become a negative errno
 * and a message (STYLE.md: one small error wrapper per library).
 *
 * MPI calls return their codes only on a communicator whose error handler
 * is MPI_ERRORS_RETURN; with the default handler an error aborts the job
 * before any code here runs.
 */
#ifndef HUBJOB_MPIERR_H
#define HUBJOB_MPIERR_H

#include "error.h"

/* 0 when rc is MPI_SUCCESS. Otherwise write "<what>: <MPI's message>"
 * into err and return the negative errno nearest to rc's error class:
 * -EINVAL (bad argument, count, type, root, op, communicator), -ENOMEM,
 * -EMSGSIZE (truncation), -ENOTSUP (unsupported operation), else -EIO. */
int mpierr(int rc, const char *what, hub_error_t *err);

#endif /* HUBJOB_MPIERR_H */

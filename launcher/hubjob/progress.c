/* progress.c - write the progress record: key=value lines, replaced
 * atomically by rename so that a reader sees the old or the new one. */
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int format(char *buf, size_t size, const progress_rec_t *r)
{
    return snprintf(buf, size,
                    "version=%d\njob_id=%s\npid=%ld\nstep=%lld\n"
                    "time=%.3f\nmfu=%.6f\ntokens_per_s=%.1f\n"
                    "restarts=%d\nckpt_step=%lld\ntotal_steps=%lld\n"
                    "eta_s=%.1f\nstate=%s\n",
                    PROGRESS_VERSION, r->job_id, (long)getpid(),
                    (long long)r->step, r->time_s, r->mfu, r->tokens_per_s,
                    r->restarts, (long long)r->ckpt_step,
                    (long long)r->total_steps, r->eta_s,
                    r->finished ? "finished" : "running");
}

int progress_write(const char *path, const progress_rec_t *r, hub_error_t *err)
{
    char buf[1024], tmp[4200];
    int n = format(buf, sizeof(buf), r), fd, rc = 0;

    if (n < 0 || (size_t)n >= sizeof(buf))
        return hub_errorf(err, EOVERFLOW, "progress record too long");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        return hub_errorf(err, errno, "progress record %s: %s", tmp,
                          strerror(errno));
    errno = 0;
    if (write(fd, buf, (size_t)n) != n)
        rc = hub_errorf(err, errno ? errno : EIO, "progress record %s: %s", tmp,
                        strerror(errno ? errno : EIO));
    if (close(fd) != 0 && rc == 0)
        rc = hub_errorf(err, errno, "progress record %s: %s", tmp,
                        strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = hub_errorf(err, errno, "progress record %s: %s", path,
                        strerror(errno));
    if (rc < 0)
        unlink(tmp);
    return rc;
}

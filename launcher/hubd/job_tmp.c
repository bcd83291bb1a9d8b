/* job_tmp.c - each job's private temporary directory on this node:
 * <TmpFS>/hubjob.<id>.<node>, made for the job's user when the job starts
 * here and removed, with everything the job left in it, when it ends.
 * The job's TMPDIR points at it (job_env.c), so programs that honour
 * TMPDIR (Open MPI's session directory among them) neither collide with
 * other jobs nor leave files behind. The node name is part of the path
 * because several agents may emulate nodes on one machine and share
 * /tmp: Open MPI's daemons of two such "nodes" would otherwise create
 * the same session directory at once and fail with EEXIST.
 */
#include "config.h"

#include "hubd.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int jobtmp_path(const hubd_job_t *j, char *buf, size_t len)
{
    const char *base = j->d->conf->globals.tmp_fs;
    int n = snprintf(buf, len, "%s%shubjob.%u.%s", base,
                     base[strlen(base) - 1] == '/' ? "" : "/",
                     (unsigned)j->job.id, j->d->name);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Give up on the directory: err says why; -errnum. */
static int no_tmpdir(hubd_job_t *j, int errnum, const char *why,
                     hub_error_t *err)
{
    hub_errorf(err, errnum, "TmpFS: cannot make %s: %s", j->tmpdir, why);
    j->tmpdir[0] = '\0';
    return -errnum;
}

int jobtmp_create(hubd_job_t *j, hub_error_t *err)
{
    struct stat st;

    if (jobtmp_path(j, j->tmpdir, sizeof(j->tmpdir)) < 0)
        return hub_errorf(err, ENAMETOOLONG, "TmpFS=%s: path too long",
                          j->d->conf->globals.tmp_fs);
    if (mkdir(j->tmpdir, 0700) < 0) {
        int e = errno;
        if (e != EEXIST)
            return no_tmpdir(j, e, strerror(e), err);
        /* left by an earlier run of the job (requeue, a crash of this
         * agent): reused only if it is a directory of the job's user,
         * not a link someone planted */
        if (lstat(j->tmpdir, &st) < 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != j->job.uid)
            return no_tmpdir(j, EEXIST,
                             "it exists and is not a directory of the job's "
                             "user",
                             err);
        return 0;
    }
    if (geteuid() == 0 && chown(j->tmpdir, j->job.uid, j->job.gid) < 0) {
        int e = errno;
        rmdir(j->tmpdir);
        return no_tmpdir(j, e, strerror(e), err);
    }
    return 0;
}

static void on_rm_closed(uv_handle_t *h)
{
    free(h);
}

static void on_rm_exit(uv_process_t *p, int64_t status, int term_signal)
{
    if (status != 0 || term_signal)
        hub_log_warn("job temporary directory: rm exited %lld (signal %d)",
                     (long long)status, term_signal);
    uv_close((uv_handle_t *)p, on_rm_closed);
}

void jobtmp_remove(hubd_job_t *j)
{
    char *argv[] = {"rm", "-rf", "--one-file-system", "--", j->tmpdir, NULL};
    uv_process_t *p;
    uv_process_options_t o = {
        .file = "rm",
        .args = argv,
        .exit_cb = on_rm_exit,
        /* as the job's user: it removes only what that user could */
        .flags = geteuid() == 0 ? UV_PROCESS_SETUID | UV_PROCESS_SETGID : 0,
        .uid = j->job.uid,
        .gid = j->job.gid,
    };
    int rc;

    if (!j->tmpdir[0])
        return;
    if (!(p = calloc(1, sizeof(*p)))) {
        hub_log_warn("job %u: %s left behind: out of memory", j->job.id,
                     j->tmpdir);
        return;
    }
    if ((rc = uv_spawn(j->d->loop, p, &o)) < 0) {
        hub_log_warn("job %u: %s left behind: rm: %s", j->job.id, j->tmpdir,
                     uv_strerror(rc));
        uv_close((uv_handle_t *)p, on_rm_closed);
    }
    j->tmpdir[0] = '\0';
}

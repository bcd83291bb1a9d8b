/* job_run.c - starting a batch script: the script goes to the spool dir
 * (mode 0700, owned by the job's user), its files come from the job's
 * patterns, and hub-jobstart (launcher/jobstart.c) joins the job's cgroups,
 * becomes the user and execs it. hub-jobstart's stderr is a pipe to hubd
 * until the job's own stderr file replaces it, so that a failure before
 * exec ("cannot open /x/out: Permission denied") reaches job_exit.
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* hub-jobstart's options before "--" and the script: at most this many
 * (uid, gid, user, 3 cgroups, chdir, 3 files, setsid, "--", script). */
#define JOBSTART_ARGS_MAX 16
#define DEFAULT_OUTPUT "slurm-%j.out"

typedef struct files {
    char out[PATH_MAX], err[PATH_MAX], in[PATH_MAX];
} files_t;

static int write_script(hubd_job_t *j, hub_error_t *err)
{
    const char *text = j->spec.script;
    size_t len = strlen(text);
    int fd;

    snprintf(j->script, sizeof(j->script), "%s/job_%u.sh", j->d->spool,
             j->job.id);
    unlink(j->script);
    fd = open(j->script, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0700);
    if (fd < 0)
        return hub_errorf(err, errno, "cannot create %s: %s", j->script,
                          strerror(errno));
    bool ok = write(fd, text, len) == (ssize_t)len;
    if (ok && geteuid() == 0)
        ok = fchown(fd, j->job.uid, j->job.gid) == 0;
    int e = errno;
    if (close(fd) < 0 || !ok)
        return hub_errorf(err, e ? e : EIO, "cannot write %s: %s", j->script,
                          strerror(e ? e : EIO));
    return 0;
}

static int resolve_files(hubd_job_t *j, files_t *f, hub_error_t *err)
{
    const hub_jobspec_t *s = &j->spec;
    bool array = j->job.array_task_id >= 0;
    hub_pattern_vars_t v = {
        .job_id = j->job.id,
        .array_job_id = array ? j->job.array_job_id : 0,
        .array_task_id = j->job.array_task_id,
        .job_name = j->job.req.name,
        .user = j->job.user,
        .node = j->d->name,
    };
    const char *out = s->output ? s->output : DEFAULT_OUTPUT;
    int rc = jobpath_resolve(out, &v, s->workdir, f->out, sizeof(f->out), err);

    if (rc == 0)
        rc = jobpath_resolve(s->error ? s->error : out, &v, s->workdir, f->err,
                             sizeof(f->err), err);
    if (rc == 0)
        rc = jobpath_resolve(s->input ? s->input : "/dev/null", &v, s->workdir,
                             f->in, sizeof(f->in), err);
    return rc;
}

/* The options strings live in opt (JOBSTART_ARGS_MAX x 4200 bytes). */
static char **build_argv(hubd_job_t *j, const files_t *f,
                         char (*opt)[PATH_MAX + 16])
{
    size_t n = 0, k = 0, total = JOBSTART_ARGS_MAX + j->spec.argc + 1;
    char **argv = calloc(total, sizeof(*argv));
    const char *const *cg = j->exec.cgroups;

    if (!argv)
        return NULL;
    argv[n++] = j->d->jobstart;
    snprintf(opt[k], sizeof(opt[k]), "--uid=%u", j->job.uid);
    argv[n++] = opt[k++];
    snprintf(opt[k], sizeof(opt[k]), "--gid=%u", j->job.gid);
    argv[n++] = opt[k++];
    snprintf(opt[k], sizeof(opt[k]), "--user=%s", j->job.user);
    argv[n++] = opt[k++];
    for (size_t i = 0; cg && cg[i] && i < 3; i++) {
        snprintf(opt[k], sizeof(opt[k]), "--cgroup=%s", cg[i]);
        argv[n++] = opt[k++];
    }
    if (j->spec.workdir) {
        snprintf(opt[k], sizeof(opt[k]), "--chdir=%s", j->spec.workdir);
        argv[n++] = opt[k++];
    }
    snprintf(opt[k], sizeof(opt[k]), "--stdin=%s", f->in);
    argv[n++] = opt[k++];
    snprintf(opt[k], sizeof(opt[k]), "--stdout=%s", f->out);
    argv[n++] = opt[k++];
    snprintf(opt[k], sizeof(opt[k]), "--stderr=%s", f->err);
    argv[n++] = opt[k++];
    argv[n++] = "--setsid";
    argv[n++] = "--";
    argv[n++] = j->script;
    for (uint32_t i = 0; i < j->spec.argc; i++)
        argv[n++] = j->spec.argv[i];
    return argv;
}

static void maybe_done(hubd_job_t *j)
{
    if (!j->proc_running && !j->pipe_open)
        job_batch_done(j);
}

static void on_proc_closed(uv_handle_t *h)
{
    hubd_job_t *j = h->data;

    j->open_handles--;
    maybe_done(j);
}

static void on_batch_exit(uv_process_t *p, int64_t status, int term_signal)
{
    hubd_job_t *j = p->data;

    j->exit_status = status;
    j->term_signal = term_signal;
    j->proc_running = false;
    uv_close((uv_handle_t *)p, on_proc_closed);
}

static void on_pipe_closed(uv_handle_t *h)
{
    hubd_job_t *j = h->data;

    j->open_handles--;
    j->pipe_open = false;
    maybe_done(j);
}

static void on_err_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    hubd_job_t *j = h->data;
    size_t room = sizeof(j->errbuf) - 1 - j->errlen;
    static char sink[256];

    /* Once full, further text is read and dropped. */
    *buf = room ? uv_buf_init(j->errbuf + j->errlen, (unsigned)room)
                : uv_buf_init(sink, sizeof(sink));
}

static void on_err_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    hubd_job_t *j = s->data;

    if (n > 0 && buf->base == j->errbuf + j->errlen) {
        j->errlen += (size_t)n;
        j->errbuf[j->errlen] = '\0';
        while (j->errlen && j->errbuf[j->errlen - 1] == '\n')
            j->errbuf[--j->errlen] = '\0';
    } else if (n < 0) {
        uv_close((uv_handle_t *)s, on_pipe_closed);
    }
}

static int spawn(hubd_job_t *j, char **argv, hub_error_t *err)
{
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = UV_IGNORE},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
         .data.stream = (uv_stream_t *)&j->errpipe},
    };
    uv_process_options_t o = {
        .exit_cb = on_batch_exit,
        .file = j->d->jobstart,
        .args = argv,
        .env = j->env,
        .stdio_count = 3,
        .stdio = stdio,
    };
    int rc;

    uv_pipe_init(j->d->loop, &j->errpipe, 0);
    j->errpipe.data = j->proc.data = j;
    rc = uv_spawn(j->d->loop, &j->proc, &o);
    j->open_handles += 2;
    if (rc < 0) {
        uv_close((uv_handle_t *)&j->proc, job_handle_closed);
        uv_close((uv_handle_t *)&j->errpipe, job_handle_closed);
        return hub_errorf(err, -rc, "cannot start %s: %s", j->d->jobstart,
                          uv_strerror(rc));
    }
    j->proc_running = j->pipe_open = true;
    proctrack_set_leader(j->pt, j->proc.pid);
    uv_read_start((uv_stream_t *)&j->errpipe, on_err_alloc, on_err_read);
    return 0;
}

int job_run_batch(hubd_job_t *j, hub_error_t *err)
{
    static char opt[JOBSTART_ARGS_MAX][PATH_MAX + 16];
    files_t f;
    char **argv;
    int rc;

    if (geteuid() != 0 && j->job.uid != geteuid())
        return hub_errorf(err, EPERM,
                          "hubd runs as uid %u and cannot start jobs of "
                          "uid %u",
                          (unsigned)geteuid(), j->job.uid);
    if ((rc = resolve_files(j, &f, err)) < 0 || (rc = write_script(j, err)) < 0)
        return rc;
    if (!(argv = build_argv(j, &f, opt)))
        return hub_errorf(err, ENOMEM, "out of memory");
    rc = spawn(j, argv, err);
    free(argv);
    if (rc == 0)
        hub_log_info("job %u: batch script pid %d, output %s", j->job.id,
                     (int)j->proc.pid, f.out);
    return rc;
}

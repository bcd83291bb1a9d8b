/* launch.c - start one run: write the hostfile of the layout, build
 * mpirun's command line and environment, and spawn it in a process group
 * of its own with its stderr (and, for labels, stdout) piped to hrun.
 *
 * What mpirun gets, and why:
 *   --hostfile, -np      the plan (layout.c); slots = ranks per node
 *   --mca odls_base_sigkill_timeout 0
 *                        a rank's death makes mpirun kill the others at
 *                        once instead of 1 s later (measured: 10-30 ms)
 *   --mca mpi_yield_when_idle 1
 *                        when a node gets more ranks than this one has
 *                        cores (below)
 *   --mca ras ^slurm     under Slurm (and hubsched's SLURM_* variables)
 *                        Open MPI's Slurm allocator replaces our slots
 *   --mca plm_rsh_agent "hrun --agent"
 *                        the real agent (hub-exec under hubsched, ssh)
 *                        wrapped, to learn which node's agent died
 *   -x HUB_...           restart number, launch timings, progress record
 *                        and job file, for ranks on every node
 *   hrun --rank-exec     with --gpus-per-task: picks each rank's GPUs
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrun.h"

extern char **environ;

/* A growing NULL-terminated vector of malloc'd strings. */
typedef struct strv {
    char **v;
    size_t n, cap;
    bool oom;
} strv_t;

static void push(strv_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void push(strv_t *s, const char *fmt, ...)
{
    char *str = NULL, **v;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&str, fmt, ap) < 0)
        str = NULL;
    va_end(ap);
    if (str && s->n + 2 > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        if ((v = realloc(s->v, cap * sizeof(*v))) != NULL) {
            s->v = v;
            s->cap = cap;
        }
    }
    if (!str || s->n + 2 > s->cap) {
        free(str);
        s->oom = true;
        return;
    }
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
}

static void strv_free(strv_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (strv_t){0};
}

/* Variables of the user's that ranks on other nodes need too (mpirun
 * passes only what -x names; hubd's exec service passes everything). */
static const char *const user_vars[] = {
    "HUB_CKPT_DIR",
    "HUB_CKPT_KEEP",
    "HUB_CKPT_SIGNAL",
    "HUB_CKPT_TIMEOUT",
    "HUB_TOTAL_STEPS",
    "HUB_FLUSH_STEPS",
    "HUB_PRECISION",
    "HUB_COMM",
    "HUB_CPU_PEAK_FLOPS",
    "HUB_TEST_KILL_AT_STEPS",
    NULL,
};

static void mpi_options(hrun_t *h, strv_t *a)
{
    const hrun_opts_t *o = &h->opt;

    push(a, "--mca");
    push(a, "odls_base_sigkill_timeout");
    push(a, "0");
    if (getenv("SLURM_JOB_ID")) {
        push(a, "--mca");
        push(a, "ras");
        push(a, "^slurm");
    }
    if (h->use_agent) {
        push(a, "--mca");
        push(a, "plm_rsh_agent");
        push(a, "%s --agent", h->self);
    }
    if (o->cpu_bind) {
        push(a, "--bind-to");
        push(a, "%s", o->cpu_bind);
    }
    if (o->cpus_per_task > 0) {
        push(a, "--map-by");
        push(a, "slot:PE=%d", o->cpus_per_task);
    }
    if (o->label)
        push(a, "--tag-output");
    if (o->req.oversubscribe ||
        h->max_per_node > sysconf(_SC_NPROCESSORS_ONLN)) {
        /* Ranks that busy-poll on shared cores starve each other: the
         * tiny GPT model took 86 s for 100 steps of 4 ranks on 2 cores
         * busy-polling, 1.7 s yielding. hrun's hostfile declares the
         * slots, so mpirun does not know it oversubscribes. */
        push(a, "--mca");
        push(a, "mpi_yield_when_idle");
        push(a, "1");
    }
}

static int build_argv(hrun_t *h, const char *hostfile, strv_t *a)
{
    static const char *const ours[] = {"HUB_RESTART_COUNT", "HUB_PROGRESS_FILE",
                                       "HUB_JOB_FILE", "HUB_FLUSH_SECONDS",
                                       NULL};
    const hrun_opts_t *o = &h->opt;

    push(a, "%s", o->mpirun);
    push(a, "--hostfile");
    push(a, "%s", hostfile);
    push(a, "-np");
    push(a, "%d", h->ntasks);
    mpi_options(h, a);
    for (size_t i = 0; ours[i]; i++)
        push(a, "-x"), push(a, "%s", ours[i]);
    if (h->timings[0])
        push(a, "-x"), push(a, "HUB_LAUNCH_TIMINGS");
    if (o->gpus_per_task > 0)
        push(a, "-x"), push(a, "HUB_GPUS_PER_TASK");
    for (size_t i = 0; user_vars[i]; i++)
        if (getenv(user_vars[i]))
            push(a, "-x"), push(a, "%s", user_vars[i]);
    for (size_t i = 0; o->mpi_args && o->mpi_args[i]; i++)
        push(a, "%s", o->mpi_args[i]);
    if (o->gpus_per_task > 0) {
        push(a, "%s", h->self);
        push(a, "--rank-exec");
        push(a, "--");
    }
    for (size_t i = 0; o->argv[i]; i++)
        push(a, "%s", o->argv[i]);
    return a->oom ? -ENOMEM : 0;
}

/* Is entry e ("NAME=...") one of the names we set? */
static bool ours(const char *e)
{
    static const char *const names[] = {
        "HUB_RESTART_COUNT=", "HUB_PROGRESS_FILE=",
        "HUB_JOB_FILE=",      "HUB_LAUNCH_TIMINGS=",
        "HUB_GPUS_PER_TASK=", "HRUN_AGENT=",
        "HRUN_AGENT_LOG=",    NULL};

    for (size_t i = 0; names[i]; i++)
        if (strncmp(e, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* The real launch agent hrun --agent runs: Open MPI's setting, else ssh. */
static const char *real_agent(void)
{
    const char *a = getenv("OMPI_MCA_plm_rsh_agent");

    return a && *a ? a : "ssh";
}

static int build_env(hrun_t *h, strv_t *e)
{
    double flush = h->opt.hang_timeout_s / 5;

    for (char **p = environ; *p; p++)
        if (!ours(*p))
            push(e, "%s", *p);
    push(e, "HUB_RESTART_COUNT=%d", h->restart_base + h->run);
    push(e, "HUB_PROGRESS_FILE=%s", h->progress);
    push(e, "HUB_JOB_FILE=%s", h->job_file);
    /* The record must change well within the hang timeout: libhubjob
     * rewrites it at each flush (every 5 s by default). */
    if (!getenv("HUB_FLUSH_SECONDS"))
        push(e, "HUB_FLUSH_SECONDS=%.3g",
             flush <= 0    ? 5
             : flush < 0.2 ? 0.2
             : flush > 5   ? 5
                           : flush);
    if (h->timings[0])
        push(e, "HUB_LAUNCH_TIMINGS=%s", h->timings);
    if (h->opt.gpus_per_task > 0)
        push(e, "HUB_GPUS_PER_TASK=%d", h->opt.gpus_per_task);
    if (h->use_agent) {
        push(e, "HRUN_AGENT=%s", real_agent());
        push(e, "HRUN_AGENT_LOG=%s/agent.%d", h->dir, h->run);
    }
    return e->oom ? -ENOMEM : 0;
}

/* Write the run's hostfile (dir/hostfile.RUN) into path. */
static int write_hostfile(hrun_t *h, char *path, size_t len, hub_error_t *err)
{
    layout_req_t req = h->opt.req;
    layout_plan_t plan;
    char *text;
    FILE *f;
    int rc;

    if ((rc = layout_plan(&h->layout, &req, &plan, err)) < 0)
        return rc;
    h->ntasks = plan.ntasks;
    h->max_per_node = plan.max_per_node;
    text = layout_hostfile_text(&plan);
    layout_plan_fini(&plan);
    if (!text)
        return hub_errorf(err, ENOMEM, "out of memory");
    snprintf(path, len, "%s/hostfile.%d", h->dir, h->run);
    if (!(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0) {
        rc = hub_errorf(err, errno ? errno : EIO, "%s: %s", path,
                        strerror(errno ? errno : EIO));
        free(text);
        return rc;
    }
    for (char *p = text; *p; p++) /* one line: "n1 slots=2, n2 slots=2" */
        if (*p == '\n')
            *p = p[1] ? ',' : '\0';
    hrun_say(h, 1, "run %d: %d ranks on %s", h->run, h->ntasks, text);
    free(text);
    return 0;
}

static void alloc_cb(uv_handle_t *handle, size_t size, uv_buf_t *buf)
{
    (void)handle;
    buf->base = malloc(size);
    buf->len = buf->base ? size : 0;
}

/* A pipe from mpirun and its line buffer, freed once closed. */
static void pipe_closed(uv_handle_t *handle)
{
    output_destroy(handle->data);
    free(handle);
}

static void read_cb(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
    if (n > 0)
        output_feed(stream->data, buf->base, (size_t)n);
    else if (n < 0) {
        output_feed(stream->data, NULL, 0);
        uv_close((uv_handle_t *)stream, pipe_closed);
    }
    free(buf->base);
}

static void exit_cb(uv_process_t *proc, int64_t status, int signal)
{
    hrun_t *h = proc->data;

    uv_close((uv_handle_t *)proc, NULL);
    h->proc_alive = false;
    supervise_exit(h, status, signal);
}

/* A pipe for mpirun's fd (1 or 2) into io, read into hrun's fd. */
static uv_pipe_t *new_pipe(hrun_t *h, int fd, uv_stdio_container_t *io)
{
    uv_pipe_t *p = malloc(sizeof(*p));

    if (!p)
        return NULL;
    uv_pipe_init(h->loop, p, 0);
    if (!(p->data = output_create(h, fd, fd == 2))) {
        uv_close((uv_handle_t *)p, pipe_closed);
        return NULL;
    }
    *io = (uv_stdio_container_t){.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE,
                                 .data.stream = (uv_stream_t *)p};
    return p;
}

static int spawn(hrun_t *h, char **args, char **env, hub_error_t *err)
{
    uv_stdio_container_t io[3];
    uv_process_options_t po;
    uv_pipe_t *out = NULL, *errp;
    int rc;

    io[0] = (uv_stdio_container_t){.flags = UV_INHERIT_FD, .data.fd = 0};
    io[1] = (uv_stdio_container_t){.flags = UV_INHERIT_FD, .data.fd = 1};
    if ((h->opt.label && !(out = new_pipe(h, 1, &io[1]))) ||
        !(errp = new_pipe(h, 2, &io[2]))) {
        if (out)
            uv_close((uv_handle_t *)out, pipe_closed);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    po = (uv_process_options_t){.file = args[0],
                                .args = args,
                                .env = env,
                                .stdio_count = 3,
                                .stdio = io,
                                .exit_cb = exit_cb,
                                /* its own process group: hrun forwards
                                 * the terminal's signals once */
                                .flags = UV_PROCESS_DETACHED};
    h->proc.data = h;
    if ((rc = uv_spawn(h->loop, &h->proc, &po)) < 0) {
        uv_close((uv_handle_t *)errp, pipe_closed);
        if (out)
            uv_close((uv_handle_t *)out, pipe_closed);
        return hub_errorf(err, -rc, "cannot start %s: %s", args[0],
                          uv_strerror(rc));
    }
    h->proc_alive = true;
    uv_read_start((uv_stream_t *)errp, alloc_cb, read_cb);
    if (out)
        uv_read_start((uv_stream_t *)out, alloc_cb, read_cb);
    return 0;
}

static void say_command(const hrun_t *h, char **args)
{
    char line[2048];
    size_t used = 0;

    for (size_t i = 0; args[i] && used + 2 < sizeof(line); i++)
        used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s",
                                 i ? " " : "", args[i]);
    hrun_say(h, 2, "%s", line);
}

int launch_start(hrun_t *h, hub_error_t *err)
{
    char hostfile[HRUN_PATH_MAX + 32];
    strv_t args = {0}, env = {0};
    int rc;

    h->use_agent =
        strcmp(h->layout.source, "slurm") != 0 ||
        (getenv("OMPI_MCA_plm") && strcmp(getenv("OMPI_MCA_plm"), "rsh") == 0);
    if ((rc = write_hostfile(h, hostfile, sizeof(hostfile), err)) < 0)
        return rc;
    /* What is there is the previous run's: the new run's rank 0 writes
     * a fresh one, and hrun reads no stale progress from it. */
    unlink(h->progress);
    if (build_argv(h, hostfile, &args) < 0 || build_env(h, &env) < 0) {
        rc = hub_errorf(err, ENOMEM, "out of memory");
    } else {
        say_command(h, args.v);
        rc = spawn(h, args.v, env.v, err);
    }
    strv_free(&args);
    strv_free(&env);
    if (rc < 0)
        return rc;
    supervise_start(h);
    return 0;
}

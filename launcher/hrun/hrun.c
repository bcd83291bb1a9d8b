/* hrun.c - hrun, the MPI launcher and supervisor of a job's ranks:
 *
 *   hrun [options] PROGRAM [ARGS...]
 *
 * Inside an allocation (hubsched's HUB_*, Slurm's SLURM_*, or a hostfile
 * or --host list under plain Open MPI) it lays the ranks out, starts them
 * through mpirun, forwards signals and output, and supervises them: a
 * failed rank, a lost node or a hang (no step in libhubjob's progress
 * record for --hang-timeout) tears every rank down and starts them again,
 * on a spare node in place of a lost one, with the restart count one
 * more, so that the ranks resume from their newest checkpoint. At the
 * end it prints the recovery timeline, goodput and work lost.
 *
 * This file: options, the allocation, signals and the event loop.
 * Non-goals: launching without mpirun (PMIx server of our own), growing
 * an allocation through the controller (doc/hrun.md, "Limits").
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hrun.h"

static const char usage_text[] =
    "Usage: hrun [OPTIONS] PROGRAM [ARGS...]\n"
    "Start PROGRAM's ranks with mpirun inside the allocation and keep them\n"
    "running: a failed rank, a lost node or a hang restarts every rank from\n"
    "the newest checkpoint (libhubjob).\n"
    "\n"
    "Layout:\n"
    "  -n, --ntasks=N           ranks (default: the allocation's tasks)\n"
    "      --ntasks-per-node=N  ranks per node\n"
    "      --gpus-per-task=N    GPUs per rank (CUDA_VISIBLE_DEVICES)\n"
    "  -c, --cpus-per-task=N    cores per rank (with --cpu-bind)\n"
    "      --cpu-bind=WHAT      none, core, socket or numa\n"
    "      --hostfile=FILE      nodes from an Open MPI hostfile\n"
    "  -H, --host=LIST          nodes: a,b:2 or n[1-4]:2\n"
    "      --spare-nodes=K      hold the last K nodes back for failures\n"
    "                           (default $HUB_SPARE_NODES or 0)\n"
    "      --oversubscribe      more ranks than slots\n"
    "Supervision:\n"
    "      --hang-timeout=S     no step for S seconds is a hang (60; 0 off)\n"
    "      --max-restarts=N     restarts before giving up (10)\n"
    "      --backoff=S          delay after a run that made no step (1)\n"
    "      --backoff-max=S      longest such delay (30)\n"
    "      --loop-limit=N       runs in a row without a step stop (2)\n"
    "Output:\n"
    "  -l, --label              prefix each line with [rank]\n"
    "      --timeline=FILE      recovery timeline as JSON lines\n"
    "  -v, --verbose            say more (twice: mpirun's command)\n"
    "Other:\n"
    "      --mpirun=PATH        mpirun to use ($HUB_MPIRUN, mpirun)\n"
    "      --mpi-arg=ARG        extra mpirun argument (repeatable)\n"
    "      --help               this text\n"
    "\n"
    "Signals: SIGINT/SIGTERM end the job; SIGUSR1 asks every rank for a\n"
    "checkpoint at its next step. Exit status: the program's, or 1 when hrun\n"
    "gave up (the reason is printed), 2 for bad options.\n";

double hrun_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void hrun_say(const hrun_t *h, int verbose_level, const char *fmt, ...)
{
    va_list ap;

    if (verbose_level > h->opt.verbose)
        return;
    fputs("hrun: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

enum {
    OPT_TPN = 256,
    OPT_GPT,
    OPT_CPU_BIND,
    OPT_HOSTFILE,
    OPT_SPARE,
    OPT_OVERSUB,
    OPT_HANG,
    OPT_MAX_RESTARTS,
    OPT_BACKOFF,
    OPT_BACKOFF_MAX,
    OPT_LOOP,
    OPT_TIMELINE,
    OPT_MPIRUN,
    OPT_MPI_ARG,
    OPT_HELP,
};

static const struct option longopts[] = {
    {"ntasks", required_argument, NULL, 'n'},
    {"ntasks-per-node", required_argument, NULL, OPT_TPN},
    {"gpus-per-task", required_argument, NULL, OPT_GPT},
    {"cpus-per-task", required_argument, NULL, 'c'},
    {"cpu-bind", required_argument, NULL, OPT_CPU_BIND},
    {"hostfile", required_argument, NULL, OPT_HOSTFILE},
    {"host", required_argument, NULL, 'H'},
    {"spare-nodes", required_argument, NULL, OPT_SPARE},
    {"oversubscribe", no_argument, NULL, OPT_OVERSUB},
    {"hang-timeout", required_argument, NULL, OPT_HANG},
    {"max-restarts", required_argument, NULL, OPT_MAX_RESTARTS},
    {"backoff", required_argument, NULL, OPT_BACKOFF},
    {"backoff-max", required_argument, NULL, OPT_BACKOFF_MAX},
    {"loop-limit", required_argument, NULL, OPT_LOOP},
    {"label", no_argument, NULL, 'l'},
    {"timeline", required_argument, NULL, OPT_TIMELINE},
    {"mpirun", required_argument, NULL, OPT_MPIRUN},
    {"mpi-arg", required_argument, NULL, OPT_MPI_ARG},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* An integer in [lo, hi] from option name's value s into *out. */
static int int_arg(const char *name, const char *s, int lo, int hi, int *out,
                   hub_error_t *err)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end || v < lo || v > hi)
        return hub_errorf(err, EINVAL, "--%s=%s: want an integer %d..%d", name,
                          s, lo, hi);
    *out = (int)v;
    return 0;
}

/* Seconds >= 0 from option name's value s into *out. */
static int secs_arg(const char *name, const char *s, double *out,
                    hub_error_t *err)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !(v >= 0) || v > 1e7)
        return hub_errorf(err, EINVAL, "--%s=%s: want seconds >= 0", name, s);
    *out = v;
    return 0;
}

static int add_mpi_arg(hrun_opts_t *o, const char *arg, hub_error_t *err)
{
    size_t n = 0;
    char **v;

    while (o->mpi_args && o->mpi_args[n])
        n++;
    if (!(v = realloc(o->mpi_args, (n + 2) * sizeof(*v))))
        return hub_errorf(err, ENOMEM, "out of memory");
    v[n] = (char *)arg;
    v[n + 1] = NULL;
    o->mpi_args = v;
    return 0;
}

/* Options that take a number. */
static int number_opt(hrun_opts_t *o, int c, const char *a, hub_error_t *err)
{
    switch (c) {
    case 'n':
        return int_arg("ntasks", a, 1, 1 << 20, &o->req.ntasks, err);
    case OPT_TPN:
        return int_arg("ntasks-per-node", a, 1, 4096, &o->req.ntasks_per_node,
                       err);
    case OPT_GPT:
        return int_arg("gpus-per-task", a, 0, 1024, &o->gpus_per_task, err);
    case 'c':
        return int_arg("cpus-per-task", a, 1, 4096, &o->cpus_per_task, err);
    case OPT_SPARE:
        return int_arg("spare-nodes", a, 0, LAYOUT_MAX_NODES,
                       &o->req.spare_nodes, err);
    case OPT_HANG:
        return secs_arg("hang-timeout", a, &o->hang_timeout_s, err);
    case OPT_MAX_RESTARTS:
        return int_arg("max-restarts", a, 0, 1 << 20, &o->max_restarts, err);
    case OPT_BACKOFF:
        return secs_arg("backoff", a, &o->backoff_s, err);
    case OPT_BACKOFF_MAX:
        return secs_arg("backoff-max", a, &o->backoff_max_s, err);
    case OPT_LOOP:
        return int_arg("loop-limit", a, 1, 1 << 20, &o->loop_limit, err);
    }
    return hub_errorf(err, EINVAL, "unknown option");
}

static int one_opt(hrun_opts_t *o, int c, const char *a, hub_error_t *err)
{
    switch (c) {
    case OPT_CPU_BIND:
        if (strcmp(a, "none") && strcmp(a, "core") && strcmp(a, "socket") &&
            strcmp(a, "numa"))
            return hub_errorf(err, EINVAL,
                              "--cpu-bind=%s: want none, core, socket or "
                              "numa",
                              a);
        o->cpu_bind = a;
        return 0;
    case OPT_HOSTFILE:
        o->hostfile = a;
        return 0;
    case 'H':
        o->hosts = a;
        return 0;
    case OPT_OVERSUB:
        o->req.oversubscribe = 1;
        return 0;
    case 'l':
        o->label = true;
        return 0;
    case OPT_TIMELINE:
        o->timeline = a;
        return 0;
    case OPT_MPIRUN:
        o->mpirun = a;
        return 0;
    case OPT_MPI_ARG:
        return add_mpi_arg(o, a, err);
    case 'v':
        o->verbose++;
        return 0;
    }
    return number_opt(o, c, a, err);
}

static void set_defaults(hrun_opts_t *o)
{
    const char *mpirun = getenv("HUB_MPIRUN");

    *o = (hrun_opts_t){.hang_timeout_s = 60,
                       .max_restarts = 10,
                       .backoff_s = 1,
                       .backoff_max_s = 30,
                       .loop_limit = 2,
                       .mpirun = mpirun && *mpirun ? mpirun : "mpirun"};
    o->req.spare_nodes = -1;
}

/* 0 to go on, else the exit status for main. */
static int parse(int argc, char **argv, hrun_opts_t *o)
{
    hub_error_t err;
    int c;

    set_defaults(o);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+n:c:H:lv", longopts, NULL)) != -1) {
        if (c == OPT_HELP) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "hrun: error: bad option '%s' (--help for usage)\n",
                    argv[optind - 1]);
            return HRUN_EXIT_USAGE;
        }
        if (one_opt(o, c, optarg, &err) < 0) {
            fprintf(stderr, "hrun: error: %s\n", err.text);
            return HRUN_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "hrun: error: no program given (--help for usage)\n");
        return HRUN_EXIT_USAGE;
    }
    if (o->hostfile && o->hosts) {
        fprintf(stderr, "hrun: error: --hostfile and --host exclude each "
                        "other\n");
        return HRUN_EXIT_USAGE;
    }
    o->argv = argv + optind;
    return 0;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

static int read_file(const char *path, char **text, hub_error_t *err)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16, n;

    if (!f)
        return hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    if (!(*text = malloc(cap))) {
        fclose(f);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    n = fread(*text, 1, cap - 1, f);
    (*text)[n] = '\0';
    fclose(f);
    if (n == cap - 1) {
        free(*text);
        return hub_errorf(err, E2BIG, "%s: larger than 64 KiB", path);
    }
    return 0;
}

/* The nodes: --hostfile, --host, else the allocation; then spares. */
static int setup_layout(hrun_t *h, hub_error_t *err)
{
    const char *env_spares = getenv("HUB_SPARE_NODES");
    int spares = h->opt.req.spare_nodes, rc;
    char *text = NULL;

    if (h->opt.hostfile) {
        if ((rc = read_file(h->opt.hostfile, &text, err)) < 0)
            return rc;
        rc = layout_from_hostfile(&h->layout, text, err);
        free(text);
        if (rc < 0)
            return hub_error_prefix(err, rc, "%s", h->opt.hostfile);
    } else if (h->opt.hosts) {
        rc = layout_from_hosts(&h->layout, h->opt.hosts, err);
    } else {
        rc = layout_from_env(&h->layout, env_get, err);
    }
    if (rc < 0)
        return rc;
    if (spares < 0)
        spares = env_spares && *env_spares ? atoi(env_spares) : 0;
    return spares > 0 ? layout_set_spares(&h->layout, spares, err) : 0;
}

/* Refuse at once a layout that cannot run (too many ranks). */
static int check_plan(hrun_t *h, hub_error_t *err)
{
    layout_plan_t plan;
    int rc = layout_plan(&h->layout, &h->opt.req, &plan, err);

    layout_plan_fini(&plan);
    return rc;
}

/* path made absolute against the working directory into out; -1 when
 * it does not fit. */
static int absolute(const char *path, char *out, size_t len)
{
    char cwd[HRUN_PATH_MAX];
    int n;

    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        n = snprintf(out, len, "%s", path);
    else
        n = snprintf(out, len, "%s/%s", cwd,
                     path[0] == '.' && path[1] == '/' ? path + 2 : path);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The job id, job file and progress record, as libhubjob finds them. */
static int setup_paths(hrun_t *h, hub_error_t *err)
{
    const char *id = getenv("HUB_JOB_ID"), *file = getenv("HUB_JOB_FILE"),
               *prog = getenv("HUB_PROGRESS_FILE"), *rc;
    char dflt[128];
    int n;

    if (!id || !*id)
        id = getenv("SLURM_JOB_ID");
    snprintf(h->job_id, sizeof(h->job_id), "%s", id ? id : "");
    if (!file || !*file)
        file = getenv("HUB_METRICS_FILE");
    snprintf(dflt, sizeof(dflt), "hubjob%s%s.h5", h->job_id[0] ? "-" : "",
             h->job_id);
    if (absolute(file && *file ? file : dflt, h->job_file,
                 sizeof(h->job_file)) < 0)
        return hub_errorf(err, ENAMETOOLONG, "job file path too long");
    if (prog && *prog)
        n = absolute(prog, h->progress, sizeof(h->progress));
    else
        n = snprintf(h->progress, sizeof(h->progress), "%s.progress",
                     h->job_file) >= (int)sizeof(h->progress)
                ? -1
                : 0;
    if (n < 0)
        return hub_errorf(err, ENAMETOOLONG, "progress record path too long");
    rc = getenv("HUB_RESTART_COUNT");
    if (!rc || !*rc)
        rc = getenv("SLURM_RESTART_COUNT");
    h->restart_base = rc ? atoi(rc) : 0;
    return 0;
}

static int setup(hrun_t *h, hub_error_t *err)
{
    const char *tmp = getenv("TMPDIR");
    ssize_t n = readlink("/proc/self/exe", h->self, sizeof(h->self) - 1);
    int rc;

    if (n <= 0)
        return hub_errorf(err, errno, "cannot find my own executable");
    h->self[n] = '\0';
    if ((rc = setup_layout(h, err)) < 0)
        return rc;
    if ((rc = check_plan(h, err)) < 0 || (rc = setup_paths(h, err)) < 0)
        return rc;
    snprintf(h->dir, sizeof(h->dir), "%s/hrun.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(h->dir))
        return hub_errorf(err, errno, "%s: %s", h->dir, strerror(errno));
    h->best_step = -1;
    h->start_s = hrun_now();
    return 0;
}

static void on_signal(uv_signal_t *s, int signum)
{
    hrun_t *h = s->data;

    if (signum == SIGUSR1 || signum == SIGUSR2) {
        /* mpirun forwards SIGUSR1/2 to every rank (Open MPI 4.1):
         * libhubjob's checkpoint request. */
        if (h->proc_alive)
            uv_process_kill(&h->proc, signum);
        hrun_say(h, 1, "forwarded signal %d to the ranks", signum);
        return;
    }
    supervise_stop(h, signum);
}

static void start_signals(hrun_t *h)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        uv_signal_init(h->loop, &h->sig[i]);
        h->sig[i].data = h;
        uv_signal_start(&h->sig[i], on_signal, sigs[i]);
    }
}

static void close_cb(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The private directory and what is in it (hostfiles, agent logs). */
static void remove_dir(const char *dir)
{
    if (dir[0] && nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "hrun: warning: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    hrun_t h = {0};
    hub_error_t err;
    int rc;

    if (argc > 1 && strcmp(argv[1], "--agent") == 0)
        return wrap_agent_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "--rank-exec") == 0)
        return wrap_rank_exec_main(argc - 1, argv + 1);
    if ((rc = parse(argc, argv, &h.opt)) != 0)
        return rc < 0 ? 0 : rc;
    if (setup(&h, &err) < 0) {
        fprintf(stderr, "hrun: error: %s\n", err.text);
        return HRUN_EXIT_USAGE;
    }
    h.loop = uv_default_loop();
    start_signals(&h);
    uv_timer_init(h.loop, &h.watch);
    uv_timer_init(h.loop, &h.kill_timer);
    uv_timer_init(h.loop, &h.wait_timer);
    h.watch.data = h.kill_timer.data = h.wait_timer.data = &h;
    if (launch_start(&h, &err) < 0) {
        fprintf(stderr, "hrun: error: %s\n", err.text);
        h.exit_code = HRUN_EXIT_GAVE_UP;
    } else {
        uv_run(h.loop, UV_RUN_DEFAULT);
        report_final(&h);
    }
    uv_walk(h.loop, close_cb, NULL);
    uv_run(h.loop, UV_RUN_DEFAULT);
    uv_loop_close(h.loop);
    remove_dir(h.dir);
    layout_fini(&h.layout);
    free(h.recs);
    free(h.opt.mpi_args);
    return h.exit_code;
}

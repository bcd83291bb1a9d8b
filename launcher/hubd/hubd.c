/* hubd.c - the hubsched node agent: registers this node with hubctld, runs
 * the batch scripts the controller sends, tracks and stops every process
 * of a job, enforces time and memory limits, reports job ends, and serves
 * hub-exec (Open MPI's launch agent) for the jobs of this node. Runs in
 * the foreground; several agents with distinct node names may share one
 * machine (each with its own Port= and spool dir).
 *
 * hubd finds its helper programs hub-jobstart and hub-exec in, in order:
 * --libexec-dir or $HUB_LIBEXECDIR; the directory of its own executable
 * and up to two levels above it (the build tree, where libtool puts the
 * real binary in .libs/); the install's libexec and bin directories.
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const char usage[] =
    "Usage: hubd [OPTIONS]\n"
    "Run the hubsched node agent in the foreground.\n"
    "\n"
    "  -f, --conf=FILE            hub.conf (default $HUB_CONF "
    "or " HUB_SYSCONFDIR "/hub.conf)\n"
    "  -N, --node=NAME            node name (default: the short host name)\n"
    "      --controller=HOST:PORT reach hubctld over TCP (MUNGE)\n"
    "      --controller-socket=PATH  hubctld's Unix socket (default:\n"
    "                             ControllerSocket of hub.conf)\n"
    "      --spool=DIR            job scripts (default /tmp/hubd-NODE)\n"
    "      --fake-gpus            declare hub.conf's GPUs as fake devices\n"
    "      --conf-resources       report hub.conf's CPUs/memory/GPUs even\n"
    "                             when the machine has less (automatic when\n"
    "                             another node shares this NodeAddr)\n"
    "      --no-cgroups           track processes by process group only\n"
    "      --libexec-dir=DIR      where hub-jobstart and hub-exec are\n"
    "  -l, --log-level=LVL        error, warn, notice (default), info, debug\n"
    "  -d, --debug=LIST           debug subsystems (node,launch,rpc,...)\n"
    "  -h, --help                 this text\n";

typedef struct opts {
    const char *conf, *node, *controller, *ctl_socket, *spool;
    const char *libexec, *log_level, *debug;
    bool fake_gpus, conf_resources, no_cgroups;
} opts_t;

enum {
    OPT_CTL = 256,
    OPT_SOCK,
    OPT_SPOOL,
    OPT_FAKE,
    OPT_CONFRES,
    OPT_NOCG,
    OPT_LIBEXEC
};

static const struct option longopts[] = {
    {"conf", required_argument, NULL, 'f'},
    {"node", required_argument, NULL, 'N'},
    {"controller", required_argument, NULL, OPT_CTL},
    {"controller-socket", required_argument, NULL, OPT_SOCK},
    {"spool", required_argument, NULL, OPT_SPOOL},
    {"fake-gpus", no_argument, NULL, OPT_FAKE},
    {"conf-resources", no_argument, NULL, OPT_CONFRES},
    {"no-cgroups", no_argument, NULL, OPT_NOCG},
    {"libexec-dir", required_argument, NULL, OPT_LIBEXEC},
    {"log-level", required_argument, NULL, 'l'},
    {"debug", required_argument, NULL, 'd'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void parse_opts(int argc, char **argv, opts_t *o)
{
    int ch;

    while ((ch = getopt_long(argc, argv, "f:N:l:d:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            o->conf = optarg;
            break;
        case 'N':
            o->node = optarg;
            break;
        case OPT_CTL:
            o->controller = optarg;
            break;
        case OPT_SOCK:
            o->ctl_socket = optarg;
            break;
        case OPT_SPOOL:
            o->spool = optarg;
            break;
        case OPT_FAKE:
            o->fake_gpus = true;
            break;
        case OPT_CONFRES:
            o->conf_resources = true;
            break;
        case OPT_NOCG:
            o->no_cgroups = true;
            break;
        case OPT_LIBEXEC:
            o->libexec = optarg;
            break;
        case 'l':
            o->log_level = optarg;
            break;
        case 'd':
            o->debug = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            exit(0);
        default:
            fputs(usage, stderr);
            exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hubd: error: unexpected argument '%s'\n%s",
                argv[optind], usage);
        exit(2);
    }
}

/* dir/name when it is an executable file (malloc'd), else NULL. */
static char *try_helper(const char *dir, const char *name)
{
    char path[PATH_MAX];

    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= sizeof(path))
        return NULL;
    return access(path, X_OK) == 0 ? realpath(path, NULL) : NULL;
}

static char *find_helper(const char *explicit_dir, const char *name)
{
    const char *env = getenv("HUB_LIBEXECDIR");
    const char *fixed[] = {HUB_PKGLIBEXECDIR, HUB_BINDIR};
    char exe[PATH_MAX], *found = NULL;
    ssize_t n;

    if (explicit_dir || env)
        return try_helper(explicit_dir ? explicit_dir : env, name);
    if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3 && !found; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
            found = try_helper(exe[0] ? exe : "/", name);
        }
    }
    for (size_t i = 0; i < 2 && !found; i++)
        found = try_helper(fixed[i], name);
    return found;
}

/* The spool dir holds scripts that run as their users: it must be ours,
 * a real directory, and writable by nobody else. */
static int make_spool(hubd_t *d, const char *dir, hub_error_t *err)
{
    char path[PATH_MAX];
    struct stat st;

    if (!dir)
        snprintf(path, sizeof(path), "/tmp/hubd-%s", d->name);
    else
        snprintf(path, sizeof(path), "%s", dir);
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return hub_errorf(err, errno, "cannot create spool dir %s: %s", path,
                          strerror(errno));
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
        st.st_uid != geteuid() || (st.st_mode & 022))
        return hub_errorf(err, EPERM,
                          "spool dir %s: not a directory of uid %u writable "
                          "only by it",
                          path, (unsigned)geteuid());
    chmod(path, 0755);
    d->spool = strdup(path);
    return d->spool ? 0 : hub_errorf(err, ENOMEM, "out of memory");
}

/* HOST:PORT of --controller, else the Unix socket. */
static int controller_addr(hubd_t *d, const opts_t *o, hub_error_t *err)
{
    const char *colon = o->controller ? strrchr(o->controller, ':') : NULL;

    if (!o->controller) {
        d->ctl_unix = strdup(
            o->ctl_socket ? o->ctl_socket : d->conf->globals.controller_socket);
        return d->ctl_unix ? 0 : hub_errorf(err, ENOMEM, "out of memory");
    }
    if (!colon || colon == o->controller || atoi(colon + 1) <= 0 ||
        atoi(colon + 1) > 65535)
        return hub_errorf(err, EINVAL, "--controller=%s: expected HOST:PORT",
                          o->controller);
    d->ctl_host = strndup(o->controller, (size_t)(colon - o->controller));
    d->ctl_port = atoi(colon + 1);
    return d->ctl_host ? 0 : hub_errorf(err, ENOMEM, "out of memory");
}

/* Several nodes of hub.conf at this node's address: agents emulating a
 * cluster on one machine, which report hub.conf's resources. */
static bool shares_addr(const hub_conf_t *conf, const hub_conf_node_t *me)
{
    for (size_t i = 0; i < conf->nnodes; i++)
        if (&conf->nodes[i] != me && strcmp(conf->nodes[i].addr, me->addr) == 0)
            return true;
    return false;
}

static int load_conf(hubd_t *d, const opts_t *o, hub_error_t *err)
{
    const char *path = o->conf              ? o->conf
                       : getenv("HUB_CONF") ? getenv("HUB_CONF")
                                            : HUB_SYSCONFDIR "/hub.conf";
    static char host[HUB_HOSTNAME_MAX + 1];

    if (!(d->conf = hub_conf_load(path, err)))
        return -EINVAL;
    d->conf_path = realpath(path, NULL);
    if (!o->node) {
        gethostname(host, sizeof(host) - 1);
        host[strcspn(host, ".")] = '\0';
    }
    d->name = o->node ? o->node : host;
    if (!(d->node = hub_conf_find_node(d->conf, d->name)))
        return hub_errorf(err, ENOENT, "%s: no NodeName=%s in the file", path,
                          d->name);
    d->kill_wait_s = d->conf->globals.kill_wait_s;
    d->heartbeat_s = d->conf->globals.node_timeout_s / 3;
    if (d->heartbeat_s < 1)
        d->heartbeat_s = 1;
    return d->conf_path
               ? 0
               : hub_errorf(err, errno, "%s: %s", path, strerror(errno));
}

static void discover(hubd_t *d, const opts_t *o)
{
    disc_actual_t act;
    bool overrides = o->conf_resources || shares_addr(d->conf, d->node);

    disc_probe(o->fake_gpus, &act);
    disc_decide(d->node, &act, overrides, o->fake_gpus, &d->res);
    if (act.gpus >= 0)
        hub_log_info("NVML: %d GPUs (%s)", act.gpus, act.gpu_name);
    if (!overrides && (d->res.cpus < d->node->cpus ||
                       d->res.mem_mb < d->node->real_memory_mb ||
                       d->res.gpus < d->node->gpus))
        hub_log_warn("%s has less than hub.conf says (cpus %d/%d, memory "
                     "%llu/%llu MB, gpus %d/%d): the controller will drain it",
                     d->name, d->res.cpus, d->node->cpus,
                     (unsigned long long)d->res.mem_mb,
                     (unsigned long long)d->node->real_memory_mb, d->res.gpus,
                     d->node->gpus);
}

static int start_exec(hubd_t *d, hub_error_t *err)
{
    exec_svc_opts_t eo = {
        .loop = d->loop,
        .node = d->name,
        .addr = d->node->addr,
        .port = d->node->port,
        .jobstart = d->jobstart,
        .lookup = job_exec_lookup,
        .lookup_arg = d,
    };

    d->exec = exec_svc_start(&eo, err);
    return d->exec ? 0 : -EADDRINUSE;
}

static int setup(hubd_t *d, const opts_t *o, hub_error_t *err)
{
    proctrack_cfg_t pc = {.use_cgroups = !o->no_cgroups};

    if (load_conf(d, o, err) < 0 || controller_addr(d, o, err) < 0 ||
        make_spool(d, o->spool, err) < 0)
        return -EINVAL;
    if (!(d->jobstart = find_helper(o->libexec, "hub-jobstart")))
        return hub_errorf(err, ENOENT,
                          "cannot find hub-jobstart (set "
                          "--libexec-dir or HUB_LIBEXECDIR)");
    if (!(d->hubexec = find_helper(o->libexec, "hub-exec")))
        hub_log_warn("cannot find hub-exec: mpirun in jobs cannot reach "
                     "other nodes");
    discover(d, o);
    pc.node = d->name;
    if (proctrack_init(d->loop, &pc, err) < 0)
        return -EINVAL;
    /* The exec service's port is this node's: holding it proves no other
     * agent of the node runs, so that what is left of jobs is stale. */
    if (start_exec(d, err) < 0)
        return -EINVAL;
    proctrack_sweep_stale();
    if (ctl_start(d, err) < 0)
        return -EINVAL;
    return 0;
}

static void on_stop_signal(uv_signal_t *sig, int signum)
{
    hubd_t *d = sig->data;

    if (d->stopping)
        return;
    hub_log_notice("%s: signal %d: killing jobs and shutting down", d->name,
                   signum);
    d->stopping = true;
    ctl_stop(d);
    exec_svc_stop(d->exec);
    d->exec = NULL;
    job_kill_all(d);
    proctrack_fini();
    uv_close((uv_handle_t *)&d->sig_term, NULL);
    uv_close((uv_handle_t *)&d->sig_int, NULL);
}

static void watch_signals(hubd_t *d)
{
    signal(SIGPIPE, SIG_IGN); /* libuv's children get SIG_DFL back */
    uv_signal_init(d->loop, &d->sig_term);
    uv_signal_init(d->loop, &d->sig_int);
    d->sig_term.data = d->sig_int.data = d;
    uv_signal_start(&d->sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&d->sig_int, on_stop_signal, SIGINT);
}

static void teardown(hubd_t *d)
{
    hub_conf_destroy(d->conf);
    free(d->conf_path);
    free(d->spool);
    free(d->jobstart);
    free(d->hubexec);
    free(d->ctl_unix);
    free(d->ctl_host);
}

int main(int argc, char **argv)
{
    hubd_t d = {.loop = uv_default_loop()};
    opts_t o = {0};
    hub_error_t err;
    int rc;

    parse_opts(argc, argv, &o);
    if (hub_log_setup("hubd", o.log_level, o.debug, &err) < 0) {
        fprintf(stderr, "hubd: error: %s\n", err.text);
        return 2;
    }
    watch_signals(&d);
    if (setup(&d, &o, &err) < 0) {
        hub_log_error("%s", err.text);
        teardown(&d);
        return 1;
    }
    if (d.ctl_unix)
        hub_log_notice("%s: node agent up (hubd %s), controller at %s", d.name,
                       HUBD_VERSION, d.ctl_unix);
    else
        hub_log_notice("%s: node agent up (hubd %s), controller at %s:%d",
                       d.name, HUBD_VERSION, d.ctl_host, d.ctl_port);
    rc = uv_run(d.loop, UV_RUN_DEFAULT);
    teardown(&d);
    uv_loop_close(d.loop);
    return rc < 0 ? 1 : 0;
}

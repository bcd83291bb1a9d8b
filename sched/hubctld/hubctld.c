/* hubctld.c - the hubsched controller: keeps the queue durably in SQLite,
 * schedules jobs with libhubsched and answers the user commands over a
 * Unix socket. Runs in the foreground (use a service manager to detach).
 */
#include "config.h"

#include "ctld.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "log.h"

static const char usage[] =
    "Usage: hubctld [OPTIONS]\n"
    "Run the hubsched controller in the foreground.\n"
    "\n"
    "  -f, --conf=FILE       hub.conf to use (default $HUB_CONF "
    "or " HUB_SYSCONFDIR "/hub.conf)\n"
    "  -s, --socket=PATH     Unix socket (default: ControllerSocket)\n"
    "  -L, --state-dir=DIR   state directory (default: StateSaveLocation)\n"
    "      --virtual-nodes   no node agents: nodes are up, a job runs for\n"
    "                        HUB_VIRTUAL_RUNTIME seconds of its environment\n"
    "      --listen=ADDR     address for node agents over TCP (default\n"
    "                        0.0.0.0)\n"
    "      --port=PORT       TCP port for node agents (default:\n"
    "                        ControllerPort; 0: none, agents use the socket)\n"
    "  -l, --log-level=LVL   error, warn, notice (default), info, debug\n"
    "  -d, --debug=LIST      debug subsystems (conf,rpc,sched,state,...)\n"
    "  -h, --help            this text\n";

typedef struct opts {
    const char *conf, *socket, *state_dir, *log_level, *debug, *listen;
    int port; /* -1: ControllerPort */
    bool virtual_nodes;
} opts_t;

enum { OPT_LISTEN = 256, OPT_PORT };

static int parse_port(const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);

    if (*arg == '\0' || *end != '\0' || v < 0 || v > 65535) {
        fprintf(stderr, "hubctld: error: --port=%s: expected 0-65535\n%s", arg,
                usage);
        exit(2);
    }
    return (int)v;
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option longopts[] = {
        {"conf", required_argument, NULL, 'f'},
        {"socket", required_argument, NULL, 's'},
        {"state-dir", required_argument, NULL, 'L'},
        {"virtual-nodes", no_argument, NULL, 'V'},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"port", required_argument, NULL, OPT_PORT},
        {"log-level", required_argument, NULL, 'l'},
        {"debug", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "f:s:L:l:d:h", longopts, NULL)) !=
           -1) {
        switch (ch) {
        case 'f':
            o->conf = optarg;
            break;
        case 's':
            o->socket = optarg;
            break;
        case 'L':
            o->state_dir = optarg;
            break;
        case 'V':
            o->virtual_nodes = true;
            break;
        case OPT_LISTEN:
            o->listen = optarg;
            break;
        case OPT_PORT:
            o->port = parse_port(optarg);
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
        fprintf(stderr, "hubctld: error: unexpected argument '%s'\n%s",
                argv[optind], usage);
        exit(2);
    }
    return 0;
}

static int recover_one(hub_job_t *job, void *arg)
{
    ctld_t *c = arg;
    hub_error_t err;

    if (!hub_sched_add(c->sched, job, &err))
        hub_log_error("recovery: job %u: %s", job->id, err.text);
    return 0;
}

/* Fair-share usage, decayed for the time since it was written (the time
 * the controller was down included). */
static int recover_usage(const hub_usage_rec_t *rec, void *arg)
{
    ctld_t *c = arg;

    if (hub_sched_usage_restore(c->sched, rec) < 0)
        hub_log_error("recovery: fair-share usage of uid %u account '%s': "
                      "out of memory",
                      rec->uid, rec->account);
    return 0;
}

static int open_state(ctld_t *c, const char *dir, hub_error_t *err)
{
    int64_t since;

    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return hub_errorf(err, errno, "cannot create state dir %s: %s", dir,
                          strerror(errno));
    if (!(c->store = hub_store_open(dir, err)) ||
        !(c->reader = hub_store_open_reader(dir, err)))
        return -EIO;
    c->next_id = hub_store_next_job_id(c->store);
    since = hub_sched_now(c->sched) - CTLD_MIN_JOB_AGE_MS;
    if (hub_store_load(c->store, since, recover_one, c, err) < 0 ||
        hub_store_load_usage(c->store, recover_usage, c, err) < 0)
        return -EIO;
    hub_log_notice("recovered %u jobs (%u pending); next job id %u",
                   hub_sched_count(c->sched), hub_sched_count_pending(c->sched),
                   c->next_id);
    return 0;
}

/* Node agents on other hosts: TCP, proven by MUNGE. None with virtual
 * nodes, --port=0 or without MUNGE (agents then use the Unix socket). */
static int listen_agents(ctld_t *c, const opts_t *o, hub_error_t *err)
{
    if (c->virtual_nodes)
        return 0;
    c->listen_addr = o->listen ? o->listen : "0.0.0.0";
    c->listen_port = o->port >= 0 ? o->port : c->conf->globals.controller_port;
    if (c->listen_port == 0) {
        hub_log_notice("no TCP listener (--port=0): node agents use %s",
                       c->socket_path);
        return 0;
    }
    if (!hub_auth_available()) {
        hub_log_notice("built without MUNGE: no TCP listener; node agents "
                       "use %s",
                       c->socket_path);
        return 0;
    }
    if (conn_listen_tcp(c, err) < 0)
        return -EINVAL;
    hub_log_notice("node agents: TCP %s port %d", c->listen_addr,
                   c->listen_port);
    return 0;
}

static int setup(ctld_t *c, const opts_t *o, hub_error_t *err)
{
    hub_sched_opts_t sopts = {
        .host = {run_job_started, run_job_updated, c},
        .nodes_up = o->virtual_nodes,
    };
    const hub_conf_globals_t *g;

    c->conf_path = strdup(o->conf              ? o->conf
                          : getenv("HUB_CONF") ? getenv("HUB_CONF")
                                               : HUB_SYSCONFDIR "/hub.conf");
    if (!c->conf_path || !(c->conf = hub_conf_load(c->conf_path, err)))
        return -EINVAL;
    g = &c->conf->globals;
    c->virtual_nodes = o->virtual_nodes;
    c->socket_path = o->socket ? o->socket : g->controller_socket;
    c->open_tail = &c->open_waiters;
    if (run_set_operators(c, c->conf, err) < 0 ||
        !(c->sched = hub_sched_create(c->conf, &sopts, err)) ||
        open_state(c, o->state_dir ? o->state_dir : g->state_save_location,
                   err) < 0 ||
        conn_listen(c, err) < 0 || listen_agents(c, o, err) < 0)
        return -EINVAL;
    if (nodes_start(c) < 0)
        return hub_errorf(err, ENOMEM, "out of memory");
    if (run_start(c) < 0)
        return -EINVAL;
    /* Jobs recovered RUNNING carry on (virtual nodes: their end timers). */
    run_resume_running(c);
    return 0;
}

static void on_stop_signal(uv_signal_t *sig, int signum)
{
    ctld_t *c = sig->data;

    if (c->stopping)
        return;
    hub_log_notice("signal %d: shutting down", signum);
    c->stopping = true;
    conn_close_all(c);
    run_stop(c);
    nodes_stop(c);
    uv_close((uv_handle_t *)&c->sig_term, NULL);
    uv_close((uv_handle_t *)&c->sig_int, NULL);
    uv_close((uv_handle_t *)&c->sig_hup, NULL);
}

static void on_hup(uv_signal_t *sig, int signum)
{
    hub_error_t err;
    if (run_reconfigure(sig->data, &err) < 0)
        hub_log_error("SIGHUP: reconfigure failed: %s", err.text);
}

static void watch_signals(ctld_t *c)
{
    uv_signal_init(c->loop, &c->sig_term);
    uv_signal_init(c->loop, &c->sig_int);
    uv_signal_init(c->loop, &c->sig_hup);
    c->sig_term.data = c->sig_int.data = c->sig_hup.data = c;
    uv_signal_start(&c->sig_term, on_stop_signal, SIGTERM);
    uv_signal_start(&c->sig_int, on_stop_signal, SIGINT);
    uv_signal_start(&c->sig_hup, on_hup, SIGHUP);
}

static void teardown(ctld_t *c)
{
    hub_error_t err;

    if (c->store && commit_drain(c, &err) < 0)
        hub_log_error("final commit failed: %s", err.text);
    hub_sched_destroy(c->sched);
    hub_store_close(c->reader);
    hub_store_close(c->store);
    hub_conf_destroy(c->conf);
    free(c->operators);
    free(c->conf_path);
}

int main(int argc, char **argv)
{
    ctld_t c = {.loop = uv_default_loop()};
    opts_t o = {.port = -1};
    hub_error_t err;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    parse_opts(argc, argv, &o);
    if (hub_log_setup("hubctld", o.log_level, o.debug, &err) < 0 ||
        setup(&c, &o, &err) < 0) {
        fprintf(stderr, "hubctld: error: %s\n", err.text);
        teardown(&c);
        return 1;
    }
    watch_signals(&c);
    hub_log_notice("listening on %s%s", c.socket_path,
                   c.virtual_nodes ? " (virtual nodes)" : "");
    rc = uv_run(c.loop, UV_RUN_DEFAULT);
    teardown(&c);
    uv_loop_close(c.loop);
    return rc == 0 ? 0 : 1;
}

/* hub-exec.c - run a command on a node of the caller's job, through that
 * node's hubd: Open MPI's launch agent (`--mca plm_rsh_agent hub-exec`),
 * used as ssh would be:
 *
 *   hub-exec [-f hub.conf] HOST COMMAND [ARGS...]
 *
 * As with ssh, COMMAND and ARGS are joined with spaces and run by
 * `/bin/sh -c` on HOST: Open MPI 4.1 passes its orted command line as
 * words already quoted for the remote shell (`orted -mca ess "env" ...`,
 * with a `PATH=...; export PATH; ...` prefix when it has a prefix dir). HOST is
 * a node's name or NodeAddr in hub.conf (-f, else $HUB_CONF, else the installed
 * one); the job is $HUB_JOB_ID (or $SLURM_JOB_ID). The request carries this
 * process's environment and working directory, and a MUNGE credential
 * bound to the job and node. HOST may be this node: the process is still
 * started by hubd (over TCP, like any other), so that it belongs to the
 * job.
 *
 * The remote output is copied to stdout and stderr; SIGINT, SIGTERM and
 * SIGHUP are forwarded; the exit status is the remote one (128 + signal
 * when it was killed), or 255 when hub-exec itself failed (as ssh).
 * Wire format: doc/protocol.md, "Exec service".
 * Non-goals: stdin (Open MPI forwards it itself), ssh's options.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "base64.h"
#include "conf.h"
#include "rpc.h"

extern char **environ;

/* ssh's status for its own failures; Open MPI reports it as a failed
 * daemon launch. */
#define EXIT_AGENT_FAILED 255
/* How long hubd may take to accept or refuse (it answers from memory,
 * after one munged round trip). */
#define ANSWER_TIMEOUT_MS 30000

static const char usage_text[] =
    "Usage: hub-exec [-f HUB_CONF] HOST COMMAND [ARGS...]\n"
    "Run COMMAND (through /bin/sh -c) on HOST, a node of the job in\n"
    "$HUB_JOB_ID, through its hubd; Open MPI's plm_rsh_agent.\n"
    "\n"
    "  -f, --conf=FILE  hub.conf to find HOST in (default: $HUB_CONF)\n"
    "      --help       this text\n"
    "\n"
    "Exit status: the command's (128 + N when killed by signal N), or\n"
    "255 when hub-exec could not run it.\n";

typedef struct target {
    char name[256]; /* the node's name in hub.conf */
    char addr[256]; /* its NodeAddr */
    int port;       /* its hubd port */
} target_t;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "hub-exec: MESSAGE" on stderr; returns EXIT_AGENT_FAILED. */
static int fail(const char *fmt, ...)
{
    va_list ap;

    fputs("hub-exec: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_AGENT_FAILED;
}

static int job_id_from_env(uint32_t *id, hub_error_t *err)
{
    const char *s = getenv("HUB_JOB_ID");
    char *end;
    unsigned long v;

    if (!s || !*s)
        s = getenv("SLURM_JOB_ID");
    if (!s || !*s)
        return hub_errorf(err, ENOENT,
                          "not inside a hubsched job (no HUB_JOB_ID)");
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < 1 || v > UINT32_MAX)
        return hub_errorf(err, EINVAL, "bad job id in HUB_JOB_ID: \"%s\"", s);
    *id = (uint32_t)v;
    return 0;
}

/* HOST as a node's name, its NodeAddr, or its name without a domain. */
static const hub_conf_node_t *find_node(const hub_conf_t *conf,
                                        const char *host)
{
    const hub_conf_node_t *n = hub_conf_find_node(conf, host);
    char shortname[256];

    for (size_t i = 0; !n && i < conf->nnodes; i++) {
        if (strcmp(conf->nodes[i].addr, host) == 0)
            n = &conf->nodes[i];
    }
    if (!n && strchr(host, '.')) {
        snprintf(shortname, sizeof(shortname), "%.*s", (int)strcspn(host, "."),
                 host);
        n = hub_conf_find_node(conf, shortname);
    }
    return n;
}

static int find_target(const char *conf_path, const char *host, target_t *t,
                       hub_error_t *err)
{
    hub_conf_t *conf;
    const hub_conf_node_t *n;

    if (!conf_path)
        conf_path = getenv("HUB_CONF");
    if (!conf_path)
        conf_path = HUB_SYSCONFDIR "/hub.conf";
    if (!(conf = hub_conf_load(conf_path, err)))
        return errno ? -errno : -EINVAL;
    n = find_node(conf, host);
    if (n) {
        snprintf(t->name, sizeof(t->name), "%s", n->name);
        snprintf(t->addr, sizeof(t->addr), "%s", n->addr);
        t->port = n->port;
    }
    hub_conf_destroy(conf);
    if (!n)
        return hub_errorf(err, ENOENT, "%s: no such node in %s", host,
                          conf_path);
    return 0;
}

static int connect_tcp(const target_t *t, hub_error_t *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL, *ai;
    char port[16];
    int fd = -1, rc;

    snprintf(port, sizeof(port), "%d", t->port);
    if ((rc = getaddrinfo(t->addr, port, &hints, &res)) != 0)
        return hub_errorf(err, EHOSTUNREACH, "%s: cannot resolve %s: %s",
                          t->name, t->addr, gai_strerror(rc));
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        rc = errno;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return hub_errorf(err, rc, "%s: cannot reach hubd at %s:%d: %s",
                          t->name, t->addr, t->port, strerror(rc));
    return fd;
}

/* The command as ssh runs it: the words joined with spaces, for sh -c. */
static json_t *remote_argv(int argc, char **argv)
{
    size_t len = 1;
    char *cmd, *p;
    json_t *a;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (!(p = cmd = calloc(1, len)))
        return NULL;
    for (int i = 0; i < argc; i++)
        p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
    a = json_pack("[s, s, s]", "/bin/sh", "-c", cmd);
    free(cmd);
    return a;
}

static json_t *environ_array(void)
{
    json_t *a = json_array();

    for (char **e = environ; a && *e; e++) {
        if (strchr(*e, '='))
            json_array_append_new(a, json_string(*e));
    }
    return a;
}

/* {"op": "exec", "job_id", "argv", "env", "cwd", "cred"}. */
static json_t *build_request(uint32_t job_id, int argc, char **argv,
                             const char *cred)
{
    char cwd[PATH_MAX];
    json_t *req = json_pack("{s:s, s:I, s:o, s:o}", "op", "exec", "job_id",
                            (json_int_t)job_id, "argv", remote_argv(argc, argv),
                            "env", environ_array());

    if (req && getcwd(cwd, sizeof(cwd)))
        json_object_set_new(req, "cwd", json_string(cwd));
    if (req)
        json_object_set_new(req, "cred", json_string(cred));
    return req;
}

/* Connect to t's hubd and send the request. Returns the socket or a
 * negative errno with err. */
static int send_request(const target_t *t, uint32_t job_id, int argc,
                        char **argv, hub_error_t *err)
{
    char payload[512], *cred = NULL;
    json_t *req = NULL;
    int fd, rc;

    /* The payload format is the protocol's; exec_req.c checks it. */
    snprintf(payload, sizeof(payload), "exec %u %s", (unsigned)job_id, t->name);
    if ((rc = hub_auth_encode(payload, &cred, err)) < 0)
        return rc;
    fd = connect_tcp(t, err);
    if (fd >= 0 && !(req = build_request(job_id, argc, argv, cred)))
        rc = hub_errorf(err, EINVAL,
                        "cannot encode the request (out of memory, or a "
                        "command word that is not UTF-8)");
    else
        rc = fd < 0 ? fd : hub_rpc_send(fd, req, err);
    free(cred);
    json_decref(req);
    if (rc < 0 && fd >= 0)
        close(fd);
    return rc < 0 ? rc : fd;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Copy a {"stream", "data"} frame to stdout or stderr. */
static int copy_stream(const json_t *msg, hub_error_t *err)
{
    const char *name = json_string_value(json_object_get(msg, "stream"));
    const char *data = json_string_value(json_object_get(msg, "data"));
    int fd = name && strcmp(name, "stderr") == 0 ? 2 : 1;
    unsigned char *bytes;
    size_t len;
    int rc;

    if (!data || (rc = hub_base64_decode(data, &bytes, &len, err)) < 0)
        return hub_errorf(err, EPROTO, "bad output frame from hubd");
    rc = write_all(fd, bytes, len);
    free(bytes);
    if (rc < 0)
        return hub_errorf(err, -rc, "cannot write to %s: %s",
                          fd == 1 ? "stdout" : "stderr", strerror(-rc));
    return 0;
}

/* State of one run: what hubd answered so far. */
typedef struct run {
    const char *host;
    int answered; /* got {"rc": 0} */
    int status;   /* exit status to return, -1 until {"exit"} */
} run_t;

/* Act on one frame from hubd. Returns 0 or a negative errno with err. */
static int handle_frame(run_t *r, const json_t *msg, hub_error_t *err)
{
    const json_t *rc = json_object_get(msg, "rc");
    const json_t *ex = json_object_get(msg, "exit");
    int sig;

    if (!r->answered) {
        const char *why = json_string_value(json_object_get(msg, "error"));
        if (!json_is_integer(rc) || json_integer_value(rc) != 0)
            return hub_errorf(err, EPERM, "%s: %s", r->host,
                              why ? why : "refused by hubd");
        r->answered = 1;
        return 0;
    }
    if (json_object_get(msg, "stream"))
        return copy_stream(msg, err);
    if (json_is_integer(ex)) {
        sig = (int)json_integer_value(json_object_get(msg, "signal"));
        r->status = sig ? 128 + sig : (int)(json_integer_value(ex) & 0xff);
    }
    return 0;
}

/* Block the forwarded signals and read them through a signalfd. */
static int signal_fd(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &set, SFD_CLOEXEC);
}

static int forward_signal(int sfd, int fd, hub_error_t *err)
{
    struct signalfd_siginfo si;
    json_t *msg;
    int rc;

    if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return 0;
    msg = json_pack("{s:i}", "signal", (int)si.ssi_signo);
    rc = hub_rpc_send(fd, msg, err);
    json_decref(msg);
    return rc;
}

/* Act on every complete frame the reader holds, up to {"exit"}. */
static int drain(run_t *r, hub_rpc_reader_t *reader, hub_error_t *err)
{
    json_t *msg;
    int rc = 0;

    while (r->status < 0 &&
           (rc = hub_rpc_reader_next(reader, &msg, err)) == 1) {
        rc = handle_frame(r, msg, err);
        json_decref(msg);
        if (rc < 0)
            return rc;
    }
    return rc < 0 ? rc : 0;
}

static int read_frames(run_t *r, hub_rpc_reader_t *reader, int fd,
                       hub_error_t *err)
{
    ssize_t n = hub_rpc_read_fd(reader, fd, err);

    if (n == 0)
        return hub_errorf(err, ECONNRESET,
                          "%s: hubd closed the connection before the "
                          "command's exit status",
                          r->host);
    if (n < 0)
        return n == -EAGAIN ? 0 : (int)n;
    return drain(r, reader, err);
}

/* Read frames until {"exit"}; forward signals meanwhile. */
static int relay(run_t *r, int fd, int sfd, hub_error_t *err)
{
    hub_rpc_reader_t *reader = hub_rpc_reader_create(0);
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = sfd, .events = POLLIN}};
    int rc = reader ? 0 : hub_errorf(err, ENOMEM, "out of memory");

    while (rc == 0 && r->status < 0) {
        int n =
            poll(pfd, sfd >= 0 ? 2 : 1, r->answered ? -1 : ANSWER_TIMEOUT_MS);
        if (n < 0 && errno != EINTR)
            rc = hub_errorf(err, errno, "poll: %s", strerror(errno));
        else if (n == 0)
            rc = hub_errorf(err, ETIMEDOUT, "%s: hubd did not answer", r->host);
        else if (n > 0 && sfd >= 0 && pfd[1].revents)
            rc = forward_signal(sfd, fd, err);
        else if (n > 0 && pfd[0].revents)
            rc = read_frames(r, reader, fd, err);
    }
    hub_rpc_reader_destroy(reader);
    return rc;
}

static const struct option longopts[] = {
    {"conf", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
    const char *conf = NULL;
    run_t run = {.status = -1};
    target_t t;
    hub_error_t err;
    uint32_t job_id = 0;
    int opt, fd, sfd, rc;

    while ((opt = getopt_long(argc, argv, "+f:", longopts, NULL)) != -1) {
        if (opt == 'f')
            conf = optarg;
        else if (opt == 'h')
            return fputs(usage_text, stdout) == EOF;
        else
            return fail("try 'hub-exec --help'");
    }
    if (argc - optind < 2)
        return fail("need HOST and COMMAND; try 'hub-exec --help'");
    run.host = argv[optind];
    sfd = signal_fd();
    if (job_id_from_env(&job_id, &err) < 0 ||
        find_target(conf, run.host, &t, &err) < 0 ||
        (fd = send_request(&t, job_id, argc - optind - 1, argv + optind + 1,
                           &err)) < 0)
        return fail("%s", err.text);
    rc = relay(&run, fd, sfd, &err);
    close(fd);
    if (rc < 0)
        return fail("%s", err.text);
    return run.status;
}

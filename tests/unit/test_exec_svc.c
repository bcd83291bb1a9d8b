/* test_exec_svc.c - the exec service on its own: a libuv loop thread runs
 * it on loopback with a fake job table, the test speaks the wire protocol
 * as hub-exec does, and the real hub-jobstart ($HUB_BUILDDIR/launcher)
 * starts the processes. Covered: output and exit status relayed, refusals
 * (unknown job, another user's job, a credential for something else, no
 * credential), signals forwarded, the process killed when the client goes
 * away or the job ends, and the Unix socket's peer credentials.
 * Skips (77) without hub-jobstart; the TCP tests need MUNGE and run only
 * when munged answers (or can be started), the Unix socket tests always. */
#include "cmocka_all.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "base64.h"
#include "exec_svc.h"
#include "munge_setup.h"
#include "rpc.h"

#define NODE "n1"
#define MY_JOB 42    /* owned by the test's uid */
#define OTHER_JOB 43 /* owned by OTHER_UID */
#define OTHER_UID 12345
#define NOBODY 65534
#define WAIT_MS 10000
#define UNIX_TESTS 3 /* the first tests of main's list */

enum { CMD_NONE, CMD_JOB_ENDED, CMD_STOP };

static struct server {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t thread;
    exec_svc_t *svc;
    atomic_int cmd;
    atomic_uint cmd_job;
    int port;
    char unix_path[108];
    char tmpdir[64];
    char jobstart[4096];
    exec_job_t jobs[2];
} srv;

static char *job_env[] = {"PATH=/usr/bin:/bin", "FROM_JOB=yes", NULL};
static const char *const no_cgroups[] = {NULL};

static const exec_job_t *lookup(void *arg, uint32_t id)
{
    for (size_t i = 0; i < 2; i++) {
        if (srv.jobs[i].id == id)
            return &srv.jobs[i];
    }
    return NULL;
}

/* ---- the server thread -------------------------------------------------- */

static void on_async(uv_async_t *a)
{
    int cmd = atomic_exchange(&srv.cmd, CMD_NONE);

    if (cmd == CMD_JOB_ENDED)
        exec_svc_job_ended(srv.svc, atomic_load(&srv.cmd_job));
    if (cmd == CMD_STOP) {
        exec_svc_stop(srv.svc);
        uv_close((uv_handle_t *)a, NULL);
    }
}

static void *loop_thread(void *arg)
{
    uv_run(&srv.loop, UV_RUN_DEFAULT);
    return NULL;
}

static void post(int cmd, uint32_t job)
{
    atomic_store(&srv.cmd_job, job);
    atomic_store(&srv.cmd, cmd);
    uv_async_send(&srv.async);
}

/* A port free on 127.0.0.1 now (the kernel's choice). */
static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void fill_jobs(void)
{
    struct passwd *pw = getpwuid(getuid());
    exec_job_t mine = {.id = MY_JOB,
                       .uid = getuid(),
                       .gid = getgid(),
                       .user = pw ? pw->pw_name : NULL,
                       .workdir = "/",
                       .env = job_env,
                       .cgroups = no_cgroups};
    exec_job_t other = mine;

    other.id = OTHER_JOB;
    other.uid = OTHER_UID;
    srv.jobs[0] = mine;
    srv.jobs[1] = other;
}

static int server_start(void **state)
{
    exec_svc_opts_t o = {.loop = &srv.loop,
                         .node = NODE,
                         .addr = "127.0.0.1",
                         .jobstart = srv.jobstart,
                         .unix_path = srv.unix_path,
                         .lookup = lookup};
    hub_error_t err;

    fill_jobs();
    uv_loop_init(&srv.loop);
    uv_async_init(&srv.loop, &srv.async, on_async);
    o.port = srv.port = free_port();
    srv.svc = exec_svc_start(&o, &err);
    if (!srv.svc) {
        fprintf(stderr, "exec_svc_start: %s\n", err.text);
        return -1;
    }
    return pthread_create(&srv.thread, NULL, loop_thread, NULL);
}

static int server_stop(void **state)
{
    post(CMD_STOP, 0);
    pthread_join(srv.thread, NULL);
    uv_loop_close(&srv.loop);
    return 0;
}

/* ---- the client side ----------------------------------------------------
 * Every descriptor is close-on-exec: the service forks in this process,
 * and a client socket inherited by its children would stay open after
 * the test closes it. */

typedef struct result {
    int rc;          /* the answer's rc */
    char error[512]; /* its error */
    char out[256 * 1024], err[4096];
    size_t out_len, err_len;
    int exit_status, signal; /* -1 until {"exit"} */
} result_t;

static int connect_tcp(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)srv.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static int connect_unix(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memcpy(sa.sun_path, srv.unix_path, strlen(srv.unix_path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* A credential for payload made by uid (root may make one as another
 * user, through a child that becomes that user). */
static char *cred_as(uid_t uid, const char *payload)
{
    char buf[4096] = "", *cred = NULL;
    int p[2], status;
    ssize_t n;
    pid_t pid;

    if (uid == getuid()) {
        assert_int_equal(hub_auth_encode(payload, &cred, NULL), 0);
        return cred;
    }
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    if ((pid = fork()) == 0) {
        if (setgid(uid) == 0 && setuid(uid) == 0 &&
            hub_auth_encode(payload, &cred, NULL) == 0)
            (void)!write(p[1], cred, strlen(cred));
        _exit(0);
    }
    close(p[1]);
    n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    waitpid(pid, &status, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    return strdup(buf);
}

/* Send an exec request for job running sh -c cmd, with a credential for
 * payload unless it is NULL. */
static void send_exec(int fd, uint32_t job, const char *cmd, uid_t uid,
                      const char *payload)
{
    json_t *req =
        json_pack("{s:s, s:i, s:[s,s,s], s:[s,s,s]}", "op", "exec", "job_id",
                  (int)job, "argv", "/bin/sh", "-c", cmd, "env",
                  "PATH=/usr/bin:/bin", "FOO=bar", "HUB_JOB_ID=1");
    char *cred = payload ? cred_as(uid, payload) : NULL;

    if (cred)
        json_object_set_new(req, "cred", json_string(cred));
    assert_int_equal(hub_rpc_send(fd, req, NULL), 0);
    json_decref(req);
    free(cred);
}

static void append(char *buf, size_t cap, size_t *len, const char *b64)
{
    unsigned char *data;
    size_t n;

    assert_int_equal(hub_base64_decode(b64, &data, &n, NULL), 0);
    assert_true(*len + n < cap);
    memcpy(buf + *len, data, n);
    *len += n;
    buf[*len] = '\0';
    free(data);
}

/* Take one frame into res. Returns 0 when more are expected. */
static int take_frame(result_t *res, const json_t *msg)
{
    const char *stream = json_string_value(json_object_get(msg, "stream"));
    const char *data = json_string_value(json_object_get(msg, "data"));
    const char *why = json_string_value(json_object_get(msg, "error"));

    if (json_object_get(msg, "rc")) {
        res->rc = (int)json_integer_value(json_object_get(msg, "rc"));
        snprintf(res->error, sizeof(res->error), "%s", why ? why : "");
        return res->rc < 0;
    }
    if (stream && strcmp(stream, "stdout") == 0)
        append(res->out, sizeof(res->out), &res->out_len, data);
    else if (stream)
        append(res->err, sizeof(res->err), &res->err_len, data);
    if (!json_object_get(msg, "exit"))
        return 0;
    res->exit_status = (int)json_integer_value(json_object_get(msg, "exit"));
    res->signal = (int)json_integer_value(json_object_get(msg, "signal"));
    return 1;
}

/* Read frames into res until a refusal, the exit status, or until
 * stdout holds until_out (NULL: no such stop). */
static void collect(int fd, hub_rpc_reader_t *r, result_t *res,
                    const char *until_out)
{
    json_t *msg;
    int done = 0;

    while (!done && !(until_out && strstr(res->out, until_out))) {
        assert_int_equal(hub_rpc_recv(fd, r, &msg, WAIT_MS, NULL), 0);
        done = take_frame(res, msg);
        json_decref(msg);
    }
}

static result_t *run_on(int fd, uint32_t job, const char *cmd, uid_t uid,
                        const char *payload)
{
    result_t *res = calloc(1, sizeof(*res));
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);

    res->rc = 1;
    res->exit_status = res->signal = -1;
    send_exec(fd, job, cmd, uid, payload);
    collect(fd, r, res, NULL);
    hub_rpc_reader_destroy(r);
    close(fd);
    return res;
}

static void expect_refused(result_t *res, int rc, const char *why)
{
    assert_int_equal(res->rc, rc);
    if (!strstr(res->error, why))
        fail_msg("error \"%s\" does not say \"%s\"", res->error, why);
    free(res);
}

/* ---- tests over TCP with MUNGE ------------------------------------------ */

static void test_output_and_exit_status_are_relayed(void **state)
{
    result_t *res = run_on(connect_tcp(), MY_JOB,
                           "echo $FOO $HUB_JOB_ID $HUB_NODE; echo oops >&2; "
                           "exit 3",
                           getuid(), "exec 42 " NODE);

    assert_int_equal(res->rc, 0);
    assert_string_equal(res->out, "bar 42 n1\n");
    assert_string_equal(res->err, "oops\n");
    assert_int_equal(res->exit_status, 3);
    assert_int_equal(res->signal, 0);
    free(res);
}

static void test_large_output_arrives_whole(void **state)
{
    result_t *res =
        run_on(connect_tcp(), MY_JOB, "head -c 200000 /dev/zero | tr '\\0' a",
               getuid(), "exec 42 " NODE);

    assert_int_equal(res->exit_status, 0);
    assert_int_equal(res->out_len, 200000);
    assert_int_equal(strspn(res->out, "a"), 200000);
    free(res);
}

static void test_unknown_job_is_refused(void **state)
{
    expect_refused(
        run_on(connect_tcp(), 999, "true", getuid(), "exec 999 " NODE), -EPERM,
        "job 999 is not running on node n1");
}

/* Root may use any job, so as root the stranger is "nobody" asking for
 * root's job; otherwise we ask for another uid's job. */
static void test_another_users_job_is_refused(void **state)
{
    uid_t who = getuid() == 0 ? NOBODY : getuid();
    uint32_t job = getuid() == 0 ? MY_JOB : OTHER_JOB;
    char payload[64];

    snprintf(payload, sizeof(payload), "exec %u " NODE, (unsigned)job);
    expect_refused(run_on(connect_tcp(), job, "true", who, payload), -EPERM,
                   "may not start processes in job");
}

static void test_credential_for_another_node_is_refused(void **state)
{
    expect_refused(
        run_on(connect_tcp(), MY_JOB, "true", getuid(), "exec 42 n2"), -EPERM,
        "credential is for \"exec 42 n2\"");
}

static void test_tcp_without_credential_is_refused(void **state)
{
    expect_refused(run_on(connect_tcp(), MY_JOB, "true", getuid(), NULL),
                   -EACCES, "needs a MUNGE credential");
}

/* Start "echo ready; exec sleep 30" and read up to "ready". */
static int start_sleeper(hub_rpc_reader_t *r, result_t *res)
{
    int fd = connect_tcp();

    memset(res, 0, sizeof(*res));
    res->exit_status = res->signal = -1;
    send_exec(fd, MY_JOB, "echo ready $$; exec sleep 30", getuid(),
              "exec 42 " NODE);
    collect(fd, r, res, "\n");
    assert_int_equal(res->rc, 0);
    return fd;
}

static void test_signal_frame_reaches_the_process(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    result_t *res = malloc(sizeof(*res));
    int fd = start_sleeper(r, res);
    json_t *sig = json_pack("{s:i}", "signal", SIGUSR1);

    assert_int_equal(hub_rpc_send(fd, sig, NULL), 0);
    collect(fd, r, res, NULL);
    assert_int_equal(res->signal, SIGUSR1);
    json_decref(sig);
    hub_rpc_reader_destroy(r);
    close(fd);
    free(res);
}

static bool gone_within(pid_t pid, int ms)
{
    struct timespec ts = {0, 20 * 1000 * 1000};

    for (int waited = 0; waited < ms; waited += 20) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return true;
        nanosleep(&ts, NULL);
    }
    return false;
}

static void test_client_leaving_kills_the_process(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    result_t *res = malloc(sizeof(*res));
    int fd = start_sleeper(r, res);
    pid_t pid = (pid_t)atoi(res->out + strlen("ready "));

    assert_true(pid > 0);
    close(fd);
    assert_true(gone_within(pid, WAIT_MS));
    hub_rpc_reader_destroy(r);
    free(res);
}

static void test_job_end_kills_its_processes(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    result_t *res = malloc(sizeof(*res));
    int fd = start_sleeper(r, res);

    post(CMD_JOB_ENDED, MY_JOB);
    collect(fd, r, res, NULL);
    assert_int_equal(res->signal, SIGKILL);
    hub_rpc_reader_destroy(r);
    close(fd);
    free(res);
}

/* ---- tests over the Unix socket ----------------------------------------- */

static void test_unix_socket_trusts_the_peer_uid(void **state)
{
    result_t *res = run_on(connect_unix(), MY_JOB, "echo $FROM_JOB-$FOO; pwd",
                           getuid(), NULL);

    assert_int_equal(res->rc, 0);
    assert_string_equal(res->out, "-bar\n/\n");
    assert_int_equal(res->exit_status, 0);
    free(res);
}

static void test_unix_socket_refuses_unknown_job(void **state)
{
    expect_refused(run_on(connect_unix(), 7, "true", getuid(), NULL), -EPERM,
                   "job 7 is not running on node n1");
}

static void test_jobstart_failure_is_relayed(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    result_t *res = calloc(1, sizeof(*res));
    json_t *req = json_pack("{s:s, s:i, s:[s], s:s}", "op", "exec", "job_id",
                            MY_JOB, "argv", "true", "cwd", "/nonexistent");
    int fd = connect_unix();

    assert_int_equal(hub_rpc_send(fd, req, NULL), 0);
    collect(fd, r, res, NULL);
    assert_int_equal(res->rc, 0);
    assert_int_equal(res->exit_status, 126);
    assert_non_null(strstr(res->err, "hub-jobstart: "));
    json_decref(req);
    hub_rpc_reader_destroy(r);
    close(fd);
    free(res);
}

/* ---- main --------------------------------------------------------------- */

static int find_jobstart(char *why, size_t len)
{
    const char *b = getenv("HUB_BUILDDIR");

    if (!b) {
        snprintf(why, len, "HUB_BUILDDIR is not set (run through make)");
        return 77;
    }
    snprintf(srv.jobstart, sizeof(srv.jobstart), "%s/launcher/hub-jobstart", b);
    if (access(srv.jobstart, X_OK) != 0) {
        snprintf(why, len, "%.400s not built", srv.jobstart);
        return 77;
    }
    return 0;
}

int main(void)
{
    /* The Unix socket tests first: the TCP ones need MUNGE. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix_socket_trusts_the_peer_uid),
        cmocka_unit_test(test_unix_socket_refuses_unknown_job),
        cmocka_unit_test(test_jobstart_failure_is_relayed),
        cmocka_unit_test(test_output_and_exit_status_are_relayed),
        cmocka_unit_test(test_large_output_arrives_whole),
        cmocka_unit_test(test_unknown_job_is_refused),
        cmocka_unit_test(test_another_users_job_is_refused),
        cmocka_unit_test(test_credential_for_another_node_is_refused),
        cmocka_unit_test(test_tcp_without_credential_is_refused),
        cmocka_unit_test(test_signal_frame_reaches_the_process),
        cmocka_unit_test(test_client_leaving_kills_the_process),
        cmocka_unit_test(test_job_end_kills_its_processes),
    };
    size_t ntests = sizeof(tests) / sizeof(tests[0]);
    char why[HUB_ERROR_TEXT_MAX + 64];
    int failed;

    signal(SIGPIPE, SIG_IGN);
    if (find_jobstart(why, sizeof(why)) != 0) {
        fprintf(stderr, "test_exec_svc: skipped: %s\n", why);
        return 77;
    }
    if (test_munge_ready(why, sizeof(why)) != 0) {
        fprintf(stderr, "test_exec_svc: TCP tests not run: %s\n", why);
        ntests = UNIX_TESTS;
    }
    snprintf(srv.tmpdir, sizeof(srv.tmpdir), "/tmp/test_exec_svc.XXXXXX");
    if (!mkdtemp(srv.tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(srv.unix_path, sizeof(srv.unix_path), "%s/exec.sock", srv.tmpdir);
    /* One group (one TAP plan) whose length depends on MUNGE. */
    failed = _cmocka_run_group_tests("exec_svc", tests, ntests, server_start,
                                     server_stop);
    rmdir(srv.tmpdir);
    return failed;
}

/* exec_proc.c - the exec service's process: hub-jobstart spawned as the
 * job's owner in a session of its own (so that its process group is the
 * whole process tree it does not move elsewhere), its stdout and stderr
 * relayed as base64 frames, its exit reported once both pipes are at EOF,
 * signals forwarded to its process group. */
#include "exec_svc_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "base64.h"
#include "log.h"

static const char *const stream_names[2] = {"stdout", "stderr"};

static void on_output(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* {"exit", "signal"} once the process exited and its output is all
 * sent; then the connection drains and closes. */
static void send_exit_when_done(exec_conn_t *c)
{
    if (c->proc_state != PROC_EXITED || c->out_open[0] || c->out_open[1])
        return;
    if (c->peer_state != PEER_OPEN) {
        exec_conn_maybe_release(c);
        return;
    }
    exec_conn_send(c,
                   json_pack("{s:I, s:i}", "exit", (json_int_t)c->exit_status,
                             "signal", c->term_signal));
    exec_conn_finish(c);
}

static void close_pipe(exec_conn_t *c, int i)
{
    if (!c->out_open[i])
        return;
    c->out_open[i] = false;
    exec_conn_close_handle(c, (uv_handle_t *)&c->out[i]);
}

static void pause_output(exec_conn_t *c)
{
    for (int i = 0; i < 2; i++) {
        if (c->out_open[i])
            uv_read_stop((uv_stream_t *)&c->out[i]);
    }
    c->out_paused = true;
}

void exec_proc_writes_drained(exec_conn_t *c)
{
    if (!c->out_paused)
        return;
    c->out_paused = false;
    for (int i = 0; i < 2; i++) {
        if (c->out_open[i])
            uv_read_start((uv_stream_t *)&c->out[i], exec_conn_alloc,
                          on_output);
    }
}

static void on_output(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    exec_conn_t *c = s->data;
    int i = s == (uv_stream_t *)&c->out[1];
    char *data;

    if (nread < 0) {
        close_pipe(c, i);
        send_exit_when_done(c);
        return;
    }
    if (nread == 0)
        return;
    if (!(data = hub_base64_encode(buf->base, (size_t)nread))) {
        hub_log_error("exec service: job %u: out of memory, output lost",
                      (unsigned)c->job_id);
        return;
    }
    exec_conn_send(
        c, json_pack("{s:s, s:s}", "stream", stream_names[i], "data", data));
    free(data);
    if (c->peer_state == PEER_OPEN &&
        uv_stream_get_write_queue_size(&c->peer.stream) >
            EXEC_WRITE_QUEUE_MAX_BYTES)
        pause_output(c);
}

static void proc_exited(uv_process_t *p, int64_t status, int sig)
{
    exec_conn_t *c = p->data;

    c->proc_state = PROC_EXITED;
    c->exit_status = status;
    c->term_signal = sig;
    uv_timer_stop(&c->timer);
    hub_debug(HUB_DBG_LAUNCH,
              "exec service: job %u: pid %d exited %d "
              "signal %d",
              (unsigned)c->job_id, (int)c->pid, (int)status, sig);
    send_exit_when_done(c);
}

void exec_proc_signal(exec_conn_t *c, int sig)
{
    if (c->proc_state != PROC_RUNNING)
        return;
    /* Before hub-jobstart's setsid() the group does not exist yet. */
    if (kill(-c->pid, sig) < 0 && errno == ESRCH)
        kill(c->pid, sig);
}

void exec_proc_peer_gone(exec_conn_t *c)
{
    close_pipe(c, 0);
    close_pipe(c, 1);
    if (c->proc_state != PROC_RUNNING)
        return;
    exec_proc_signal(c, SIGTERM);
    uv_timer_start(&c->timer, exec_conn_on_timer, EXEC_KILL_WAIT_MS, 0);
}

/* uv_spawn argv with stdin on /dev/null and both outputs on pipes. */
static int spawn(exec_conn_t *c, char **argv, char **env, hub_error_t *err)
{
    uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE}};
    uv_process_options_t o = {0};
    int rc;

    for (int i = 0; i < 2; i++) {
        uv_pipe_init(c->svc->loop, &c->out[i], 0);
        c->out[i].data = c;
        c->out_open[i] = true;
        c->handles++;
        stdio[i + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
        stdio[i + 1].data.stream = (uv_stream_t *)&c->out[i];
    }
    o.exit_cb = proc_exited;
    o.file = argv[0];
    o.args = argv;
    o.env = env;
    o.stdio = stdio;
    o.stdio_count = 3;
    rc = uv_spawn(c->svc->loop, &c->proc, &o);
    c->proc.data = c; /* initialised even when the spawn failed */
    c->proc_open = true;
    c->handles++;
    if (rc < 0) {
        close_pipe(c, 0);
        close_pipe(c, 1);
        return hub_errorf(err, -rc, "cannot start %s: %s", argv[0],
                          uv_strerror(rc));
    }
    c->pid = c->proc.pid;
    c->proc_state = PROC_RUNNING;
    for (int i = 0; i < 2; i++)
        uv_read_start((uv_stream_t *)&c->out[i], exec_conn_alloc, on_output);
    return 0;
}

int exec_proc_start(exec_conn_t *c, const exec_job_t *job,
                    const exec_req_t *req, hub_error_t *err)
{
    int switch_user = geteuid() == 0;
    char **argv, **env;
    int rc;

    if (!switch_user && job->uid != geteuid())
        return hub_errorf(err, EPERM,
                          "hubd runs as uid %u, not root: it cannot start "
                          "processes as uid %u",
                          (unsigned)geteuid(), (unsigned)job->uid);
    argv = exec_req_jobstart_argv(c->svc->jobstart, job, req, switch_user);
    env = exec_req_env(job, req, c->svc->node);
    if (!argv || !env)
        rc = hub_errorf(err, ENOMEM, "out of memory");
    else
        rc = spawn(c, argv, env, err);
    exec_strv_free(argv);
    exec_strv_free(env);
    return rc;
}

/* exec_conn.c - one exec service connection: authenticate and authorise
 * the request, answer, take control frames ({"signal"}), send frames, and
 * close without losing the last ones. Timeline: exec_svc_int.h. */
#include "exec_svc_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"

typedef struct write_req {
    uv_write_t req;
    char *buf;
} write_req_t;

static void handle_closed(uv_handle_t *h)
{
    exec_conn_t *c = h->data;
    exec_svc_t *svc = c->svc;

    if (--c->handles > 0)
        return;
    hub_rpc_reader_destroy(c->reader);
    free(c);
    exec_svc_unref(svc);
}

void exec_conn_close_handle(exec_conn_t *c, uv_handle_t *h)
{
    h->data = c;
    uv_close(h, handle_closed);
}

static void unlink_conn(exec_conn_t *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->svc->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* Close what is still open; the last close callback frees c. */
static void close_all(exec_conn_t *c)
{
    if (c->released)
        return;
    c->released = true;
    unlink_conn(c);
    if (c->peer_state != PEER_CLOSED) {
        c->peer_state = PEER_CLOSED;
        exec_conn_close_handle(c, (uv_handle_t *)&c->peer.stream);
    }
    for (int i = 0; i < 2; i++) {
        if (c->out_open[i]) {
            c->out_open[i] = false;
            exec_conn_close_handle(c, (uv_handle_t *)&c->out[i]);
        }
    }
    if (c->proc_open) {
        c->proc_open = false;
        exec_conn_close_handle(c, (uv_handle_t *)&c->proc);
    }
    exec_conn_close_handle(c, (uv_handle_t *)&c->timer);
}

void exec_conn_maybe_release(exec_conn_t *c)
{
    if (c->peer_state == PEER_CLOSED && c->proc_state != PROC_RUNNING &&
        !c->out_open[0] && !c->out_open[1])
        close_all(c);
}

void exec_conn_abort(exec_conn_t *c)
{
    exec_proc_signal(c, SIGKILL);
    close_all(c);
}

/* The client closed, or its socket failed. */
static void peer_gone(exec_conn_t *c)
{
    if (c->peer_state == PEER_CLOSED)
        return;
    c->peer_state = PEER_CLOSED;
    exec_conn_close_handle(c, (uv_handle_t *)&c->peer.stream);
    exec_proc_peer_gone(c);
    exec_conn_maybe_release(c);
}

static void write_done(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    exec_conn_t *c = req->data;

    free(w->buf);
    free(w);
    if (status < 0) {
        peer_gone(c);
        return;
    }
    if (uv_stream_get_write_queue_size(&c->peer.stream) <=
        EXEC_WRITE_QUEUE_MAX_BYTES / 2)
        exec_proc_writes_drained(c);
}

void exec_conn_send(exec_conn_t *c, json_t *msg)
{
    write_req_t *w = NULL;
    hub_error_t err;
    uv_buf_t buf;
    size_t len;

    if (c->peer_state != PEER_OPEN)
        goto done;
    if (!(w = malloc(sizeof(*w))) ||
        hub_rpc_encode(msg, &w->buf, &len, &err) < 0) {
        hub_log_error("exec service: cannot encode a frame");
        free(w);
        peer_gone(c);
        goto done;
    }
    buf = uv_buf_init(w->buf, (unsigned)len);
    w->req.data = c;
    if (uv_write(&w->req, &c->peer.stream, &buf, 1, write_done) < 0) {
        free(w->buf);
        free(w);
        peer_gone(c);
    }
done:
    json_decref(msg);
}

void exec_conn_finish(exec_conn_t *c)
{
    if (c->peer_state != PEER_OPEN) {
        exec_conn_maybe_release(c);
        return;
    }
    c->peer_state = PEER_DRAINING;
    if (uv_shutdown(&c->shutdown_req, &c->peer.stream, NULL) < 0) {
        peer_gone(c);
        return;
    }
    uv_timer_start(&c->timer, exec_conn_on_timer, EXEC_LINGER_MS, 0);
}

void exec_conn_on_timer(uv_timer_t *t)
{
    exec_conn_t *c = t->data;

    if (c->proc_state == PROC_RUNNING)
        exec_proc_signal(c, SIGKILL);
    else if (c->peer_state == PEER_DRAINING)
        peer_gone(c);
}

/* Refuse the request: {"rc", "error"}, then close. */
static void refuse(exec_conn_t *c, int rc, const char *why)
{
    hub_log_warn("exec service: refused a request: %s", why);
    exec_conn_send(c, json_pack("{s:i, s:s}", "rc", rc, "error", why));
    exec_conn_finish(c);
}

/* Who sent req: the Unix socket's peer, or the MUNGE credential's uid
 * (bound to this job and node by its payload). munged answers in well
 * under a millisecond, so decoding on the loop thread is acceptable. */
static int authenticate(exec_conn_t *c, const exec_req_t *req, uid_t *uid,
                        hub_error_t *err)
{
    char *payload = NULL;
    gid_t gid;
    int rc;

    if (c->is_unix) {
        *uid = c->peer_uid;
        return 0;
    }
    if (!req->cred)
        return hub_errorf(err, EACCES,
                          "exec over TCP needs a MUNGE credential (cred)");
    rc = hub_auth_decode(req->cred, uid, &gid, &payload, err);
    if (rc == 0)
        rc = exec_req_check_payload(payload, req->job_id, c->svc->node, err);
    free(payload);
    return rc;
}

static void handle_request(exec_conn_t *c, const json_t *msg)
{
    exec_svc_t *svc = c->svc;
    const exec_job_t *job = NULL;
    exec_req_t req;
    hub_error_t err;
    uid_t uid = (uid_t)-1;
    int rc;

    c->have_request = true;
    rc = exec_req_parse(msg, &req, &err);
    if (rc == 0)
        rc = authenticate(c, &req, &uid, &err);
    if (rc == 0) {
        job = svc->lookup(svc->lookup_arg, req.job_id);
        rc = exec_req_authorise(job, req.job_id, uid, svc->node, &err);
    }
    if (rc == 0)
        rc = exec_proc_start(c, job, &req, &err);
    if (rc < 0) {
        refuse(c, rc, err.text);
    } else {
        c->job_id = req.job_id;
        hub_log_info("exec service: job %u: uid %u started %s (pid %d)",
                     (unsigned)req.job_id, (unsigned)uid, req.argv[0],
                     (int)c->pid);
        exec_conn_send(c, json_pack("{s:i}", "rc", 0));
    }
    exec_req_fini(&req);
}

/* A frame after the request: {"signal": N} forwards a signal. */
static void handle_control(exec_conn_t *c, const json_t *msg)
{
    json_t *sig = json_object_get(msg, "signal");

    if (json_is_integer(sig) && json_integer_value(sig) >= 1 &&
        json_integer_value(sig) <= SIGRTMAX)
        exec_proc_signal(c, (int)json_integer_value(sig));
    else
        hub_log_warn("exec service: job %u: ignoring a frame that is not "
                     "{\"signal\": N}",
                     (unsigned)c->job_id);
}

static void drain_frames(exec_conn_t *c)
{
    json_t *msg;
    hub_error_t err;
    int rc = 0;

    while (c->peer_state == PEER_OPEN &&
           (rc = hub_rpc_reader_next(c->reader, &msg, &err)) == 1) {
        if (c->have_request)
            handle_control(c, msg);
        else
            handle_request(c, msg);
        json_decref(msg);
    }
    if (c->peer_state == PEER_OPEN && rc < 0) {
        hub_log_warn("exec service: closing a connection: %s", err.text);
        peer_gone(c);
    }
}

void exec_conn_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    exec_conn_t *c = h->data;
    (void)size;
    *buf = uv_buf_init(c->svc->slab, sizeof(c->svc->slab));
}

static void on_peer_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    exec_conn_t *c = s->data;
    hub_error_t err;

    if (nread < 0) {
        peer_gone(c);
        return;
    }
    if (nread == 0 || c->peer_state != PEER_OPEN)
        return; /* draining: what the client still sends is moot */
    if (hub_rpc_reader_feed(c->reader, buf->base, (size_t)nread, &err) < 0) {
        hub_log_warn("exec service: closing a connection: %s", err.text);
        peer_gone(c);
        return;
    }
    drain_frames(c);
}

static int peer_uid(exec_conn_t *c, uid_t *uid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uv_os_fd_t fd;

    if (uv_fileno((uv_handle_t *)&c->peer.stream, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    *uid = cred.uid;
    return 0;
}

/* Allocate a connection with its peer and timer handles initialised. */
static exec_conn_t *conn_create(exec_svc_t *svc, bool is_unix)
{
    exec_conn_t *c = calloc(1, sizeof(*c));

    if (!c || !(c->reader = hub_rpc_reader_create(EXEC_FRAME_MAX_BYTES))) {
        free(c);
        return NULL;
    }
    c->svc = svc;
    c->is_unix = is_unix;
    if (is_unix)
        uv_pipe_init(svc->loop, &c->peer.pipe, 0);
    else
        uv_tcp_init(svc->loop, &c->peer.tcp);
    uv_timer_init(svc->loop, &c->timer);
    c->peer.stream.data = c;
    c->timer.data = c;
    c->handles = 2;
    svc->refs++;
    c->next = svc->conns;
    if (c->next)
        c->next->prev = c;
    svc->conns = c;
    return c;
}

void exec_conn_accept(exec_svc_t *svc, uv_stream_t *server, bool is_unix)
{
    exec_conn_t *c = conn_create(svc, is_unix);
    int rc;

    if (!c) {
        hub_log_error("exec service: out of memory for a connection");
        return;
    }
    rc = uv_accept(server, &c->peer.stream);
    if (rc == 0 && is_unix)
        rc = peer_uid(c, &c->peer_uid);
    if (rc == 0)
        rc = uv_read_start(&c->peer.stream, exec_conn_alloc, on_peer_read);
    if (rc < 0) {
        hub_log_warn("exec service: dropping a connection: %s",
                     uv_strerror(rc));
        close_all(c);
    }
}

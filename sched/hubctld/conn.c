/* conn.c - hubctld's Unix socket: connections, frames in, replies out in
 * request order. A bad frame closes its connection only. */
#include "ctld.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

typedef struct write_req {
    uv_write_t req;
    char *buf;
} write_req_t;

static bool is_privileged(const ctld_t *c, uid_t uid)
{
    if (uid == 0 || uid == getuid())
        return true;
    for (size_t i = 0; i < c->noperators; i++) {
        if (c->operators[i] == uid)
            return true;
    }
    return false;
}

static void free_conn(uv_handle_t *h)
{
    conn_t *conn = h->data;
    conn_unref(conn);
}

void conn_ref(conn_t *conn)
{
    conn->refs++;
}

void conn_unref(conn_t *conn)
{
    reply_t *r;

    if (--conn->refs > 0)
        return;
    while ((r = conn->head)) {
        conn->head = r->next;
        json_decref(r->answer);
        free(r);
    }
    hub_rpc_reader_destroy(conn->reader);
    free(conn);
}

static void unlink_conn(conn_t *conn)
{
    ctld_t *c = conn->ctld;
    if (conn->prev_conn)
        conn->prev_conn->next_conn = conn->next_conn;
    else
        c->conns = conn->next_conn;
    if (conn->next_conn)
        conn->next_conn->prev_conn = conn->prev_conn;
}

static void close_conn(conn_t *conn)
{
    if (conn->closed)
        return;
    conn->closed = true;
    unlink_conn(conn);
    uv_close((uv_handle_t *)&conn->pipe, free_conn);
}

static void write_done(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    conn_t *conn = req->data;

    free(w->buf);
    free(w);
    if (status < 0 && !conn->closed)
        close_conn(conn);
    conn_unref(conn);
}

static void send_answer(conn_t *conn, json_t *answer)
{
    write_req_t *w = malloc(sizeof(*w));
    size_t len;
    hub_error_t err;
    uv_buf_t buf;

    if (!w || hub_rpc_encode(answer, &w->buf, &len, &err) < 0) {
        hub_log_error("uid %u: cannot encode an answer: %s",
                      (unsigned)conn->uid, w ? err.text : "out of memory");
        free(w);
        close_conn(conn);
        return;
    }
    buf = uv_buf_init(w->buf, (unsigned)len);
    w->req.data = conn;
    conn_ref(conn);
    if (uv_write(&w->req, (uv_stream_t *)&conn->pipe, &buf, 1, write_done)) {
        free(w->buf);
        free(w);
        conn_unref(conn);
        close_conn(conn);
    }
}

reply_t *conn_reply_slot(conn_t *conn, json_int_t seq)
{
    reply_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->seq = seq;
    if (conn->tail)
        conn->tail->next = r;
    else
        conn->head = r;
    conn->tail = r;
    return r;
}

void conn_reply(conn_t *conn, reply_t *slot, json_t *answer)
{
    reply_t *r;

    json_object_set_new(answer, "seq", json_integer(slot->seq));
    slot->answer = answer;
    while ((r = conn->head) && r->answer) {
        conn->head = r->next;
        if (!conn->head)
            conn->tail = NULL;
        if (!conn->closed)
            send_answer(conn, r->answer);
        json_decref(r->answer);
        free(r);
    }
}

static void alloc_buf(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    static char slab[64 * 1024]; /* one loop thread: one slab */
    (void)h;
    (void)size;
    *buf = uv_buf_init(slab, sizeof(slab));
}

static void drain_frames(conn_t *conn)
{
    json_t *msg;
    hub_error_t err;
    int rc;

    while ((rc = hub_rpc_reader_next(conn->reader, &msg, &err)) == 1) {
        dispatch(conn, msg);
        json_decref(msg);
        if (conn->closed)
            return;
    }
    if (rc < 0) {
        hub_log_warn("uid %u: closing connection: %s", (unsigned)conn->uid,
                     err.text);
        close_conn(conn);
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *conn = stream->data;
    hub_error_t err;

    if (nread < 0) {
        close_conn(conn);
        return;
    }
    if (nread == 0)
        return;
    if (hub_rpc_reader_feed(conn->reader, buf->base, (size_t)nread, &err) < 0) {
        hub_log_warn("uid %u: closing connection: %s", (unsigned)conn->uid,
                     err.text);
        close_conn(conn);
        return;
    }
    drain_frames(conn);
    commit_kick(conn->ctld);
}

static int peer_creds(conn_t *conn)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    uv_os_fd_t fd;

    if (uv_fileno((uv_handle_t *)&conn->pipe, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    conn->uid = cred.uid;
    conn->gid = cred.gid;
    conn->privileged = is_privileged(conn->ctld, cred.uid);
    return 0;
}

static conn_t *new_conn(ctld_t *c)
{
    conn_t *conn = calloc(1, sizeof(*conn));
    if (!conn || !(conn->reader = hub_rpc_reader_create(0))) {
        free(conn);
        return NULL;
    }
    conn->ctld = c;
    conn->refs = 1;
    uv_pipe_init(c->loop, &conn->pipe, 0);
    conn->pipe.data = conn;
    conn->next_conn = c->conns;
    if (c->conns)
        c->conns->prev_conn = conn;
    c->conns = conn;
    return conn;
}

static void on_connect(uv_stream_t *server, int status)
{
    ctld_t *c = server->data;
    conn_t *conn;

    if (status < 0 || !(conn = new_conn(c)))
        return;
    if (uv_accept(server, (uv_stream_t *)&conn->pipe) < 0 ||
        peer_creds(conn) < 0 ||
        uv_read_start((uv_stream_t *)&conn->pipe, alloc_buf, on_read) < 0) {
        close_conn(conn);
        return;
    }
    hub_debug(HUB_DBG_RPC, "connection from uid %u", (unsigned)conn->uid);
}

int conn_listen(ctld_t *c, hub_error_t *err)
{
    int rc;

    unlink(c->socket_path);
    uv_pipe_init(c->loop, &c->server, 0);
    c->server.data = c;
    if ((rc = uv_pipe_bind(&c->server, c->socket_path)) < 0)
        return hub_errorf(err, -rc, "cannot bind %s: %s", c->socket_path,
                          uv_strerror(rc));
    /* Everyone may connect; who they are comes from SO_PEERCRED. */
    chmod(c->socket_path, 0666);
    if ((rc = uv_listen((uv_stream_t *)&c->server, 1024, on_connect)) < 0)
        return hub_errorf(err, -rc, "cannot listen on %s: %s", c->socket_path,
                          uv_strerror(rc));
    return 0;
}

void conn_close_all(ctld_t *c)
{
    while (c->conns)
        close_conn(c->conns);
    if (!uv_is_closing((uv_handle_t *)&c->server))
        uv_close((uv_handle_t *)&c->server, NULL);
}

/* conn.c - hubctld's servers: the Unix socket (everyone, identified by
 * SO_PEERCRED) and the TCP port for node agents on other hosts (identified
 * by the MUNGE credential of node_register); connections, frames in,
 * replies out in request order, events out at once. A bad frame closes
 * its connection only. */
#include "ctld.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Largest frame a TCP peer may send: a node agent's biggest message is
 * node_register with its running jobs (~40 bytes each), and a peer that
 * has not proven who it is must not make us buffer 16 MiB. */
#define TCP_FRAME_MAX (1024 * 1024)

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
        free(r->frame);
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

void conn_close(conn_t *conn)
{
    if (conn->closed)
        return;
    conn->closed = true;
    if (conn->node >= 0)
        nodes_agent_closed(conn->ctld, conn);
    unlink_conn(conn);
    uv_close(&conn->h.handle, free_conn);
}

static void write_done(uv_write_t *req, int status)
{
    write_req_t *w = (write_req_t *)req;
    conn_t *conn = req->data;

    free(w->buf);
    free(w);
    if (status < 0 && !conn->closed)
        conn_close(conn);
    conn_unref(conn);
}

/* Write frame (len bytes, malloc'd, stolen) to the peer. */
static void send_frame(conn_t *conn, char *frame, size_t len)
{
    write_req_t *w = conn->closed ? NULL : malloc(sizeof(*w));
    uv_buf_t buf = uv_buf_init(frame, (unsigned)len);

    if (!w) {
        free(frame);
        conn_close(conn); /* out of memory, unless closed already */
        return;
    }
    w->buf = frame;
    w->req.data = conn;
    conn_ref(conn);
    if (uv_write(&w->req, &conn->h.stream, &buf, 1, write_done)) {
        free(w->buf);
        free(w);
        conn_unref(conn);
        conn_close(conn);
    }
}

void conn_send(conn_t *conn, const json_t *msg)
{
    char *frame;
    size_t len;
    hub_error_t err;

    if (conn->closed)
        return;
    if (hub_rpc_encode(msg, &frame, &len, &err) < 0) {
        hub_log_error("%s: cannot encode a message: %s", conn->peer, err.text);
        conn_close(conn);
        return;
    }
    send_frame(conn, frame, len);
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

/* Send the answers that are ready, in request order. */
static void send_ready(conn_t *conn)
{
    reply_t *r;

    while ((r = conn->head) && (r->answer || r->frame)) {
        conn->head = r->next;
        if (!conn->head)
            conn->tail = NULL;
        if (r->frame)
            send_frame(conn, r->frame, r->frame_len);
        else
            conn_send(conn, r->answer);
        json_decref(r->answer);
        free(r);
    }
}

void conn_reply(conn_t *conn, reply_t *slot, json_t *answer)
{
    json_object_set_new(answer, "seq", json_integer(slot->seq));
    slot->answer = answer;
    send_ready(conn);
}

void conn_reply_frame(conn_t *conn, reply_t *slot, char *frame, size_t len)
{
    slot->frame = frame;
    slot->frame_len = len;
    send_ready(conn);
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
        hub_log_warn("%s: closing connection: %s", conn->peer, err.text);
        conn_close(conn);
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *conn = stream->data;
    hub_error_t err;

    if (nread < 0) {
        conn_close(conn);
        return;
    }
    if (nread == 0)
        return;
    if (hub_rpc_reader_feed(conn->reader, buf->base, (size_t)nread, &err) < 0) {
        hub_log_warn("%s: closing connection: %s", conn->peer, err.text);
        conn_close(conn);
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

    if (uv_fileno(&conn->h.handle, &fd) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -errno;
    snprintf(conn->peer, sizeof(conn->peer), "uid %u", (unsigned)cred.uid);
    conn->uid = cred.uid;
    conn->gid = cred.gid;
    conn->privileged = is_privileged(conn->ctld, cred.uid);
    return 0;
}

/* The peer's address as text, for messages. */
static void tcp_peer(conn_t *conn)
{
    struct sockaddr_storage sa;
    int len = sizeof(sa);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;

    if (uv_tcp_getpeername(&conn->h.tcp, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
        } else {
            uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        }
    }
    snprintf(conn->peer, sizeof(conn->peer), "%s:%d", ip, port);
}

static conn_t *new_conn(ctld_t *c, bool tcp)
{
    conn_t *conn = calloc(1, sizeof(*conn));
    if (!conn ||
        !(conn->reader = hub_rpc_reader_create(tcp ? TCP_FRAME_MAX : 0))) {
        free(conn);
        return NULL;
    }
    conn->ctld = c;
    conn->refs = 1;
    conn->tcp = tcp;
    conn->node = -1;
    conn->uid = (uid_t)-1;
    conn->gid = (gid_t)-1;
    if (tcp)
        uv_tcp_init(c->loop, &conn->h.tcp);
    else
        uv_pipe_init(c->loop, &conn->h.pipe, 0);
    conn->h.handle.data = conn;
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

    if (status < 0 || !(conn = new_conn(c, false)))
        return;
    if (uv_accept(server, &conn->h.stream) < 0 || peer_creds(conn) < 0 ||
        uv_read_start(&conn->h.stream, alloc_buf, on_read) < 0) {
        conn_close(conn);
        return;
    }
    hub_debug(HUB_DBG_RPC, "connection from %s", conn->peer);
}

static void on_tcp_connect(uv_stream_t *server, int status)
{
    ctld_t *c = server->data;
    conn_t *conn;

    if (status < 0 || !(conn = new_conn(c, true)))
        return;
    if (uv_accept(server, &conn->h.stream) < 0) {
        conn_close(conn);
        return;
    }
    tcp_peer(conn);
    /* Events are small and latency matters; dead peers are found by
     * NodeTimeout, keepalive only frees their sockets. */
    uv_tcp_nodelay(&conn->h.tcp, 1);
    uv_tcp_keepalive(&conn->h.tcp, 1, 60);
    if (uv_read_start(&conn->h.stream, alloc_buf, on_read) < 0) {
        conn_close(conn);
        return;
    }
    hub_debug(HUB_DBG_RPC, "TCP connection from %s", conn->peer);
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

int conn_listen_tcp(ctld_t *c, hub_error_t *err)
{
    struct sockaddr_storage sa;
    const char *addr = c->listen_addr ? c->listen_addr : "0.0.0.0";
    int rc;

    if ((rc = uv_ip4_addr(addr, c->listen_port, (struct sockaddr_in *)&sa)) &&
        (rc = uv_ip6_addr(addr, c->listen_port, (struct sockaddr_in6 *)&sa)))
        return hub_errorf(err, EINVAL, "--listen=%s: not an IP address", addr);
    uv_tcp_init(c->loop, &c->tcp_server);
    c->tcp_server.data = c;
    c->tcp_listening = true;
    if ((rc = uv_tcp_bind(&c->tcp_server, (struct sockaddr *)&sa, 0)) < 0 ||
        (rc = uv_listen((uv_stream_t *)&c->tcp_server, 1024, on_tcp_connect)) <
            0)
        return hub_errorf(err, -rc,
                          "cannot listen on %s port %d: %s (another "
                          "hubctld? set ControllerPort, or --port=0 for "
                          "no TCP listener)",
                          addr, c->listen_port, uv_strerror(rc));
    return 0;
}

void conn_close_all(ctld_t *c)
{
    while (c->conns)
        conn_close(c->conns);
    if (!uv_is_closing((uv_handle_t *)&c->server))
        uv_close((uv_handle_t *)&c->server, NULL);
    if (c->tcp_listening && !uv_is_closing((uv_handle_t *)&c->tcp_server))
        uv_close((uv_handle_t *)&c->tcp_server, NULL);
}

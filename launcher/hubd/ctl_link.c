/* ctl_link.c - hubd's connection to hubctld: connect over the controller's
 * Unix socket or TCP, register, heartbeat, read frames (answers and
 * events), and reconnect with exponential backoff when the controller goes
 * away. What the messages say is ctl_msgs.c's business.
 *
 * Requests wait for their answer in a list (the controller answers in
 * request order, the seq check is a guard); when the connection drops,
 * every waiting request is answered with NULL so that its owner can keep
 * it for the next connection (job_exit does).
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rpc.h"

/* Reconnect delays: start small (a restarting controller is back within
 * a second) and double up to a cap that keeps agents of a large cluster
 * from hammering a controller that is down for long. */
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
/* The controller is presumed gone when silent this many heartbeats. */
#define SILENT_HEARTBEATS 3

typedef struct waiting {
    struct waiting *next;
    json_int_t seq;
    ctl_answer_fn fn;
    void *arg;
} waiting_t;

struct ctl {
    hubd_t *d;
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } h;
    uv_connect_t creq;
    uv_timer_t retry, heartbeat;
    bool open;       /* h is initialized (connecting or connected) */
    bool connected;  /* connect succeeded, reading */
    bool registered; /* node_register answered with rc 0 */
    bool stopped;
    int closing; /* handles still closing after ctl_stop */
    uint64_t backoff_ms;
    hub_rpc_reader_t *reader;
    json_int_t next_seq;
    waiting_t *head, **tail;
    int64_t last_rx_ms;
};

static void start_connect(ctl_t *c);

static void fail_waiting(ctl_t *c)
{
    waiting_t *w;

    while ((w = c->head)) {
        c->head = w->next;
        if (w->fn)
            w->fn(c->d, w->arg, NULL);
        free(w);
    }
    c->tail = &c->head;
}

static void on_stop_closed(uv_handle_t *h)
{
    ctl_t *c = h->data;

    if (--c->closing == 0)
        free(c);
}

static void on_retry(uv_timer_t *t)
{
    start_connect(t->data);
}

static void on_closed(uv_handle_t *h)
{
    ctl_t *c = h->data;

    c->open = false;
    if (c->stopped) {
        on_stop_closed(h);
        return;
    }
    uv_timer_start(&c->retry, on_retry, c->backoff_ms, 0);
    c->backoff_ms =
        c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

/* Drop the connection; reconnect later unless stopped. */
static void drop(ctl_t *c, const char *why)
{
    if (!c->open || uv_is_closing(&c->h.handle))
        return;
    if (c->registered)
        hub_log_warn("%s: lost the controller: %s", c->d->name, why);
    else
        hub_debug(HUB_DBG_NODE, "controller: %s", why);
    c->connected = c->registered = false;
    uv_timer_stop(&c->heartbeat);
    hub_rpc_reader_destroy(c->reader);
    c->reader = NULL;
    uv_close(&c->h.handle, on_closed);
    fail_waiting(c);
}

static void on_written(uv_write_t *req, int status)
{
    free(req->data);
    free(req);
}

static int send_msg(ctl_t *c, const json_t *msg)
{
    uv_write_t *req = malloc(sizeof(*req));
    hub_error_t err;
    uv_buf_t buf;
    size_t len;
    char *data;

    if (!req || hub_rpc_encode(msg, &data, &len, &err) < 0) {
        free(req);
        return -ENOMEM;
    }
    req->data = data;
    buf = uv_buf_init(data, (unsigned)len);
    if (uv_write(req, &c->h.stream, &buf, 1, on_written) < 0) {
        free(data);
        free(req);
        return -EPIPE;
    }
    return 0;
}

int ctl_request(hubd_t *d, json_t *msg, ctl_answer_fn on_answer, void *arg)
{
    ctl_t *c = d->ctl;
    const char *op = json_string_value(json_object_get(msg, "op"));
    bool is_register = op && strcmp(op, "node_register") == 0;
    waiting_t *w = NULL;
    int rc = -ENOTCONN;

    if (c && c->connected && (c->registered || is_register) &&
        (w = calloc(1, sizeof(*w)))) {
        w->seq = ++c->next_seq;
        w->fn = on_answer;
        w->arg = arg;
        json_object_set_new(msg, "seq", json_integer(w->seq));
        rc = send_msg(c, msg);
    }
    if (rc == 0) {
        *c->tail = w;
        c->tail = &w->next;
    } else {
        free(w);
    }
    json_decref(msg);
    return rc;
}

static void on_answer(ctl_t *c, const json_t *msg)
{
    json_int_t seq = json_integer_value(json_object_get(msg, "seq"));
    waiting_t *w = c->head;

    if (!w || w->seq != seq) {
        hub_log_warn("controller answered seq %" JSON_INTEGER_FORMAT
                     " out of order",
                     seq);
        return;
    }
    c->head = w->next;
    if (!c->head)
        c->tail = &c->head;
    if (w->fn)
        w->fn(c->d, w->arg, msg);
    free(w);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    static char chunk[64 * 1024];

    *buf = uv_buf_init(chunk, sizeof(chunk));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    ctl_t *c = s->data;
    hub_error_t err;
    json_t *msg;
    int rc;

    if (n < 0) {
        drop(c, n == UV_EOF ? "connection closed" : uv_strerror((int)n));
        return;
    }
    c->last_rx_ms = hubd_now_ms();
    if (hub_rpc_reader_feed(c->reader, buf->base, (size_t)n, &err) < 0) {
        drop(c, err.text);
        return;
    }
    while (c->reader && (rc = hub_rpc_reader_next(c->reader, &msg, &err))) {
        if (rc < 0) {
            drop(c, err.text);
            return;
        }
        if (json_object_get(msg, "event"))
            ctl_on_event(c->d, msg);
        else
            on_answer(c, msg);
        json_decref(msg);
    }
}

static void on_heartbeat(uv_timer_t *t)
{
    ctl_t *c = t->data;
    hubd_t *d = c->d;
    json_t *msg;

    if (hubd_now_ms() - c->last_rx_ms >
        SILENT_HEARTBEATS * d->heartbeat_s * 1000) {
        drop(c, "no answer to heartbeats");
        return;
    }
    msg = json_pack("{s:s, s:s}", "op", "node_heartbeat", "node", d->name);
    if (msg)
        ctl_request(d, msg, NULL, NULL);
    ctl_resend_exits(d);
}

static void on_register_answer(hubd_t *d, void *arg, const json_t *answer)
{
    ctl_t *c = d->ctl;

    if (!answer)
        return;
    if (json_integer_value(json_object_get(answer, "rc")) != 0) {
        hub_log_error("%s: controller refused node_register: %s", d->name,
                      json_string_value(json_object_get(answer, "error")));
        c->backoff_ms = BACKOFF_MAX_MS;
        drop(c, "registration refused");
        return;
    }
    c->registered = true;
    c->backoff_ms = BACKOFF_MIN_MS;
    ctl_on_registered(d, answer);
    uint64_t hb_ms = (uint64_t)(d->heartbeat_s > 0 ? d->heartbeat_s : 1) * 1000;
    uv_timer_start(&c->heartbeat, on_heartbeat, hb_ms, hb_ms);
}

static void on_connect(uv_connect_t *req, int status)
{
    ctl_t *c = req->data;
    hub_error_t err;
    json_t *msg;

    if (status < 0) {
        drop(c, uv_strerror(status));
        return;
    }
    c->connected = true;
    c->last_rx_ms = hubd_now_ms();
    if (!(c->reader = hub_rpc_reader_create(0)) ||
        uv_read_start(&c->h.stream, on_alloc, on_read) < 0) {
        drop(c, "out of memory");
        return;
    }
    if (!(msg = ctl_register_msg(c->d, &err))) {
        hub_log_error("%s: cannot register: %s", c->d->name, err.text);
        c->backoff_ms = BACKOFF_MAX_MS;
        drop(c, err.text);
        return;
    }
    if (ctl_request(c->d, msg, on_register_answer, NULL) < 0)
        drop(c, "cannot send node_register");
}

/* Resolve host:port now (blocking: the loop has nothing else to do while
 * the controller is unreachable). */
static int resolve(const char *host, int port, struct sockaddr_storage *sa)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    char service[16];
    int rc;

    snprintf(service, sizeof(service), "%d", port);
    rc = getaddrinfo(host, service, &hints, &ai);
    if (rc != 0)
        return -EHOSTUNREACH;
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

static void start_connect(ctl_t *c)
{
    hubd_t *d = c->d;
    struct sockaddr_storage sa;

    c->creq.data = c;
    if (d->ctl_unix) {
        uv_pipe_init(d->loop, &c->h.pipe, 0);
        c->h.handle.data = c;
        c->open = true;
        uv_pipe_connect(&c->creq, &c->h.pipe, d->ctl_unix, on_connect);
        return;
    }
    uv_tcp_init(d->loop, &c->h.tcp);
    c->h.handle.data = c;
    c->open = true;
    int rc = resolve(d->ctl_host, d->ctl_port, &sa);
    if (rc == 0)
        rc = uv_tcp_connect(&c->creq, &c->h.tcp, (struct sockaddr *)&sa,
                            on_connect);
    if (rc < 0)
        drop(c, rc == -EHOSTUNREACH ? "cannot resolve the controller"
                                    : uv_strerror(rc));
}

int ctl_start(hubd_t *d, hub_error_t *err)
{
    ctl_t *c = calloc(1, sizeof(*c));

    if (!c)
        return hub_errorf(err, ENOMEM, "out of memory");
    c->d = d;
    c->tail = &c->head;
    c->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(d->loop, &c->retry);
    uv_timer_init(d->loop, &c->heartbeat);
    c->retry.data = c->heartbeat.data = c;
    d->ctl = c;
    start_connect(c);
    return 0;
}

bool ctl_registered(const hubd_t *d)
{
    return d->ctl && d->ctl->registered;
}

void ctl_stop(hubd_t *d)
{
    ctl_t *c = d->ctl;

    if (!c)
        return;
    c->stopped = true;
    c->closing = 2 + (c->open ? 1 : 0);
    drop(c, "stopping");
    uv_close((uv_handle_t *)&c->retry, on_stop_closed);
    uv_close((uv_handle_t *)&c->heartbeat, on_stop_closed);
    d->ctl = NULL;
}

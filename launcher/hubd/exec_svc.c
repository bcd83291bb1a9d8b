/* exec_svc.c - the exec service's listening sockets (TCP, where hub-exec
 * on other nodes connects with a MUNGE credential, and optionally a Unix
 * socket, where SO_PEERCRED names the caller), its lifetime, and ending a
 * job's processes. Connections are in exec_conn.c, processes in
 * exec_proc.c. */
#include "exec_svc_int.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Pending connections the kernel holds: mpirun on a large allocation
 * starts one hub-exec per node at once (without tree spawn). */
#define EXEC_LISTEN_BACKLOG 512

void exec_svc_unref(exec_svc_t *svc)
{
    if (--svc->refs > 0)
        return;
    free(svc->node);
    free(svc->jobstart);
    free(svc->unix_path);
    free(svc);
}

static void listener_closed(uv_handle_t *h)
{
    exec_svc_unref(h->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    exec_svc_t *svc = server->data;

    if (status < 0) {
        hub_log_warn("exec service: accept failed: %s", uv_strerror(status));
        return;
    }
    exec_conn_accept(svc, server, server == (uv_stream_t *)&svc->unix_sock);
}

/* addr (a name or a numeric address) and port as a socket address. */
static int resolve(const char *addr, int port, struct sockaddr_storage *ss,
                   hub_error_t *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[16];
    int rc;

    snprintf(service, sizeof(service), "%d", port);
    rc = getaddrinfo(addr, service, &hints, &res);
    if (rc != 0)
        return hub_errorf(err, EADDRNOTAVAIL,
                          "exec service: cannot resolve \"%s\": %s", addr,
                          gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static int listen_tcp(exec_svc_t *svc, const char *addr, int port,
                      hub_error_t *err)
{
    struct sockaddr_storage ss;
    int rc = resolve(addr, port, &ss, err);

    if (rc < 0)
        return rc;
    uv_tcp_init(svc->loop, &svc->tcp);
    svc->tcp.data = svc;
    svc->tcp_open = true;
    svc->refs++;
    rc = uv_tcp_bind(&svc->tcp, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&svc->tcp, EXEC_LISTEN_BACKLOG,
                       on_connection);
    if (rc < 0)
        return hub_errorf(err, -rc, "exec service: cannot listen on %s:%d: %s",
                          addr, port, uv_strerror(rc));
    return 0;
}

/* Anyone may connect to the Unix socket (mode 0666): the kernel says who
 * did, and the job's owner check follows. */
static int listen_unix(exec_svc_t *svc, const char *path, hub_error_t *err)
{
    int rc;

    if (!(svc->unix_path = strdup(path)))
        return hub_errorf(err, ENOMEM, "out of memory");
    unlink(path);
    uv_pipe_init(svc->loop, &svc->unix_sock, 0);
    svc->unix_sock.data = svc;
    svc->unix_open = true;
    svc->refs++;
    rc = uv_pipe_bind(&svc->unix_sock, path);
    if (rc == 0 && chmod(path, 0666) < 0)
        rc = -errno;
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&svc->unix_sock, EXEC_LISTEN_BACKLOG,
                       on_connection);
    if (rc < 0)
        return hub_errorf(err, -rc, "exec service: cannot listen on %s: %s",
                          path, uv_strerror(rc));
    return 0;
}

static int check_opts(const exec_svc_opts_t *o, hub_error_t *err)
{
    if (!o->loop || !o->node || !o->addr || !o->jobstart || !o->lookup)
        return hub_errorf(err, EINVAL,
                          "exec service: loop, node, addr, jobstart and "
                          "lookup are required");
    if (o->port < 1 || o->port > 65535)
        return hub_errorf(err, EINVAL, "exec service: bad port %d", o->port);
    return 0;
}

exec_svc_t *exec_svc_start(const exec_svc_opts_t *opts, hub_error_t *err)
{
    exec_svc_t *svc;

    if (check_opts(opts, err) < 0)
        return NULL;
    if (!(svc = calloc(1, sizeof(*svc)))) {
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    svc->refs = 1;
    svc->loop = opts->loop;
    svc->lookup = opts->lookup;
    svc->lookup_arg = opts->lookup_arg;
    svc->node = strdup(opts->node);
    svc->jobstart = strdup(opts->jobstart);
    if (!svc->node || !svc->jobstart) {
        hub_errorf(err, ENOMEM, "out of memory");
        exec_svc_stop(svc);
        return NULL;
    }
    if (listen_tcp(svc, opts->addr, opts->port, err) < 0 ||
        (opts->unix_path && listen_unix(svc, opts->unix_path, err) < 0)) {
        exec_svc_stop(svc);
        return NULL;
    }
    hub_log_info("exec service: node %s listening on %s:%d%s%s", svc->node,
                 opts->addr, opts->port, svc->unix_path ? " and " : "",
                 svc->unix_path ? svc->unix_path : "");
    return svc;
}

void exec_svc_job_ended(exec_svc_t *svc, uint32_t job_id)
{
    if (!svc)
        return;
    for (exec_conn_t *c = svc->conns; c; c = c->next) {
        if (c->job_id == job_id)
            exec_proc_signal(c, SIGKILL);
    }
}

void exec_svc_stop(exec_svc_t *svc)
{
    if (!svc || svc->stopped)
        return;
    svc->stopped = true;
    if (svc->tcp_open)
        uv_close((uv_handle_t *)&svc->tcp, listener_closed);
    if (svc->unix_open) {
        uv_close((uv_handle_t *)&svc->unix_sock, listener_closed);
        unlink(svc->unix_path);
    }
    while (svc->conns)
        exec_conn_abort(svc->conns);
    exec_svc_unref(svc);
}

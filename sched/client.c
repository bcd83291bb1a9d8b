/* client.c - talk to hubctld over its Unix socket (see client.h). */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "rpc.h"

struct hub_client {
    int fd;
    int64_t next_seq;
    hub_rpc_reader_t *reader;
};

static const char *socket_from_conf(void)
{
    static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *file = getenv("HUB_CONF");
    hub_conf_t *conf;

    if (!file)
        file = HUB_SYSCONFDIR "/hub.conf";
    if (access(file, R_OK) != 0 || !(conf = hub_conf_load(file, NULL)))
        return NULL;
    snprintf(path, sizeof(path), "%s", conf->globals.controller_socket);
    hub_conf_destroy(conf);
    return path;
}

const char *hub_client_socket_path(void)
{
    const char *env = getenv("HUB_SOCKET");
    const char *conf;

    if (env && env[0])
        return env;
    conf = socket_from_conf();
    return conf ? conf : HUB_CONF_DEFAULT_SOCKET;
}

static int dial(const char *path, hub_error_t *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return hub_errorf(err, ENAMETOOLONG, "socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hub_errorf(err, errno, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return hub_errorf(err, e,
                          "cannot reach hubctld at %s: %s; is it running? "
                          "(set HUB_SOCKET or HUB_CONF to point elsewhere)",
                          path, strerror(e));
    }
    return fd;
}

hub_client_t *hub_client_connect(const char *path, hub_error_t *err)
{
    hub_client_t *c = calloc(1, sizeof(*c));
    int fd;

    if (!c || !(c->reader = hub_rpc_reader_create(0))) {
        free(c);
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    fd = dial(path ? path : hub_client_socket_path(), err);
    if (fd < 0) {
        hub_rpc_reader_destroy(c->reader);
        free(c);
        return NULL;
    }
    c->fd = fd;
    c->next_seq = 1;
    return c;
}

void hub_client_close(hub_client_t *c)
{
    if (!c)
        return;
    close(c->fd);
    hub_rpc_reader_destroy(c->reader);
    free(c);
}

int hub_client_send(hub_client_t *c, json_t *req, hub_error_t *err)
{
    json_object_set_new(req, "seq", json_integer(c->next_seq++));
    return hub_rpc_send(c->fd, req, err);
}

/* The controller refused: turn its answer into rc and message. */
static int refusal(json_t *resp, hub_error_t *err)
{
    json_int_t rc = json_integer_value(json_object_get(resp, "rc"));
    const char *msg = json_string_value(json_object_get(resp, "error"));

    hub_errorf(err, rc < 0 ? (int)-rc : EPROTO, "%s",
               msg ? msg : "the controller refused without a reason");
    json_decref(resp);
    return rc < 0 ? (int)rc : -EPROTO;
}

int hub_client_recv(hub_client_t *c, json_t **resp, int timeout_ms,
                    hub_error_t *err)
{
    json_t *msg;
    int rc = hub_rpc_recv(c->fd, c->reader, &msg, timeout_ms, err);

    if (rc < 0)
        return rc;
    if (!json_is_integer(json_object_get(msg, "rc")))
        return refusal(msg, err);
    if (json_integer_value(json_object_get(msg, "rc")) != 0)
        return refusal(msg, err);
    *resp = msg;
    return 0;
}

int hub_client_call(hub_client_t *c, json_t *req, json_t **resp, int timeout_ms,
                    hub_error_t *err)
{
    int rc = hub_client_send(c, req, err);
    return rc < 0 ? rc : hub_client_recv(c, resp, timeout_ms, err);
}

int hub_client_call_text(hub_client_t *c, json_t *req, const char **text,
                         size_t *len, int timeout_ms, hub_error_t *err)
{
    int rc = hub_client_send(c, req, err);
    return rc < 0 ? rc
                  : hub_rpc_recv_text(c->fd, c->reader, text, len, timeout_ms,
                                      err);
}

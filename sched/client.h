/* client.h - talk to hubctld over its Unix socket (the user commands'
 * side of doc/protocol.md).
 *
 * A request is a JSON object with "op" and arguments; the client adds a
 * sequence number. The answer has "rc" (0 or a negative errno) and either
 * the results or "error", a message for the user. The controller knows
 * who is asking from the socket (SO_PEERCRED): there are no passwords.
 */
#ifndef HUB_CLIENT_H
#define HUB_CLIENT_H

#include <jansson.h>

#include "error.h"

typedef struct hub_client hub_client_t;

/* The socket path to use: $HUB_SOCKET if set, else ControllerSocket of the
 * hub.conf at $HUB_CONF (or the installed default), else the built-in
 * default. Returns a static or environment string. */
const char *hub_client_socket_path(void);

/* Connect to the controller at path (NULL: hub_client_socket_path()).
 * NULL + err ("cannot reach hubctld at PATH: ...; is it running?"). */
hub_client_t *hub_client_connect(const char *path, hub_error_t *err);

/* NULL-safe. */
void hub_client_close(hub_client_t *c);

/* Send req (borrowed; "seq" is added) and wait up to timeout_ms (< 0:
 * forever) for its answer. Returns 0 with *resp (new reference) when the
 * controller answered rc 0; the negative rc with err set to the
 * controller's message when it refused; another negative errno with err
 * for a transport failure. */
int hub_client_call(hub_client_t *c, json_t *req, json_t **resp, int timeout_ms,
                    hub_error_t *err);

/* hub_client_call for an answer the caller reads itself, too large for
 * jansson's parser to be quick (hqueue's table of 100,000 jobs; see
 * cmd_call_table). Returns 0 with *text pointing at the answer's *len
 * bytes of JSON text (not NUL-terminated, not checked), valid until the
 * next call on c, whatever the answer's "rc" (the caller checks it); or a
 * negative errno with err for a transport failure. */
int hub_client_call_text(hub_client_t *c, json_t *req, const char **text,
                         size_t *len, int timeout_ms, hub_error_t *err);

/* Pipelining for throughput (benchmarks): send without waiting, then
 * receive answers in order. */
int hub_client_send(hub_client_t *c, json_t *req, hub_error_t *err);
int hub_client_recv(hub_client_t *c, json_t **resp, int timeout_ms,
                    hub_error_t *err);

#endif /* HUB_CLIENT_H */

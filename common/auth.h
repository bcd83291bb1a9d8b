/* auth.h - who is on the other end of a TCP connection: MUNGE credentials.
 *
 * Over a Unix socket the kernel tells who connected (SO_PEERCRED). Over TCP
 * (node agents on other hosts, hub-exec reaching another node's hubd) the
 * sender puts a MUNGE credential in its first message; the receiver decodes
 * it with the local munged, which proves the sender's uid and gid (munged
 * on both hosts share a key) and that the credential is fresh and used
 * once. The payload binds the credential to the request (e.g. "exec job
 * 12 on node3"), so that a captured credential cannot be replayed for
 * another purpose.
 *
 * Built without MUNGE (configure found no libmunge), every function
 * returns -ENOTSUP with a message saying so: TCP peers are then refused,
 * and node agents must use the controller's Unix socket.
 */
#ifndef HUB_AUTH_H
#define HUB_AUTH_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* True when built with MUNGE. */
int hub_auth_available(void);

/* A credential for the calling process's uid/gid carrying payload (a
 * NUL-terminated string), as a malloc'd NUL-terminated string. Returns 0,
 * or a negative errno with err (munged not running: "cannot reach munged:
 * ... start it with `runuser -u munge -- munged`"). */
int hub_auth_encode(const char *payload, char **cred, hub_error_t *err);

/* Check cred: valid, not expired, not replayed. Fills *uid, *gid and
 * *payload (malloc'd, NUL-terminated; caller frees). Returns 0, or
 * -EACCES (bad, expired or replayed credential) / -ENOTSUP / -EIO with
 * err saying which. */
int hub_auth_decode(const char *cred, uid_t *uid, gid_t *gid, char **payload,
                    hub_error_t *err);

#endif /* HUB_AUTH_H */

/* rpc.h - length-prefixed JSON frames over stream sockets.
 *
 * Wire format, one frame per message:
 *
 *   +----------------------------+---------------------------------+
 *   | length: uint32, big-endian | length bytes of UTF-8 JSON text |
 *   +----------------------------+---------------------------------+
 *
 * The JSON text is exactly one JSON object (a request, a response or an
 * event; their fields are defined by the callers, not here). A length of 0
 * or above the reader's maximum is a protocol error.
 *
 * Two ways to use it:
 *  - event-driven servers (hubctld/hubd on libuv) own the socket and hand
 *    every chunk they read to hub_rpc_reader_feed(), then drain complete
 *    messages with hub_rpc_reader_next(); chunks may split or coalesce
 *    frames arbitrarily;
 *  - blocking clients (hctl, hrun) call hub_rpc_send() and hub_rpc_recv().
 *
 * Any negative return from the reader is fatal for the connection: the
 * caller logs err and closes the socket. There is no resynchronisation.
 *
 * Non-goals: authentication (MUNGE sits in front of this), request ids and
 * routing (callers put them in the JSON), thread safety of one reader.
 */
#ifndef HUB_RPC_H
#define HUB_RPC_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

/* Bytes of the length prefix. */
#define HUB_RPC_HEADER_BYTES 4

/* Default and largest sensible frame body, in bytes: 16 MiB holds the
 * state of ~100 000 jobs in one reply (about 150 bytes each) with room to
 * spare, while a single bad peer cannot make a daemon allocate more. */
#define HUB_RPC_FRAME_MAX (16u * 1024 * 1024)

typedef struct hub_rpc_reader hub_rpc_reader_t;

/* Create an incremental frame reader accepting bodies of at most
 * max_frame_bytes (0 means HUB_RPC_FRAME_MAX; values above UINT32_MAX are
 * clamped). Returns NULL on allocation failure (errno = ENOMEM). */
hub_rpc_reader_t *hub_rpc_reader_create(size_t max_frame_bytes);

/* Free the reader and any buffered bytes. NULL-safe. */
void hub_rpc_reader_destroy(hub_rpc_reader_t *r);

/* Append len bytes read from the connection. Every frame header is checked
 * as soon as its 4 bytes are in, before any of its body is buffered, so a
 * reader never holds more than max_frame + 4 bytes of a frame not yet
 * complete (complete frames wait until hub_rpc_reader_next() takes them).
 * Returns 0, or
 *   -EMSGSIZE  a header announces more than max_frame bytes,
 *   -EPROTO    a header announces 0 bytes,
 *   -ENOMEM    out of memory,
 * or the error that already made the reader fail. After a failure the
 * reader drops all further bytes and keeps returning the same error. */
int hub_rpc_reader_feed(hub_rpc_reader_t *r, const void *data, size_t len,
                        hub_error_t *err);

/* Take the next complete message out of the reader.
 * Returns 1 and a new reference in *msg (the caller json_decref()s it),
 * 0 when more bytes are needed (*msg = NULL), or a negative errno with
 * *msg = NULL:
 *   -EBADMSG   the frame is not valid JSON, or its JSON is not an object,
 *   or any error hub_rpc_reader_feed() reported. Errors are sticky. */
int hub_rpc_reader_next(hub_rpc_reader_t *r, json_t **msg, hub_error_t *err);

/* Bytes held that were not yet returned as messages (part of a frame, or
 * complete frames not yet taken). 0 means the reader is at a frame
 * boundary, which is where a peer may close the connection cleanly. */
size_t hub_rpc_reader_pending_bytes(const hub_rpc_reader_t *r);

/* One read(2) from fd into the reader, for non-blocking servers.
 * Returns the number of bytes read (> 0), 0 on end of file, -EAGAIN when
 * nothing is available now, another negative errno when read(2) failed,
 * or the error from hub_rpc_reader_feed(). EINTR is retried. */
ssize_t hub_rpc_read_fd(hub_rpc_reader_t *r, int fd, hub_error_t *err);

/* Encode msg (a JSON object) as one frame: header and compact JSON text.
 * On success *buf is a malloc()ed buffer of *len bytes that the caller
 * frees. Returns 0, -EINVAL when msg is not an object, -EMSGSIZE when the
 * text exceeds HUB_RPC_FRAME_MAX, or -ENOMEM. */
int hub_rpc_encode(const json_t *msg, char **buf, size_t *len,
                   hub_error_t *err);

/* Encode msg and write the whole frame to the stream socket fd, waiting
 * in poll(2) if fd is non-blocking and full. Partial writes and EINTR are
 * handled; a closed peer gives -EPIPE, never SIGPIPE (MSG_NOSIGNAL).
 * Returns 0 or a negative errno (see hub_rpc_encode() and send(2)). */
int hub_rpc_send(int fd, const json_t *msg, hub_error_t *err);

/* Wait up to timeout_ms (< 0: forever) for the next message on fd, reading
 * through r, which keeps any bytes past that message for the next call.
 * Returns 0 with a new reference in *msg, or a negative errno with
 * *msg = NULL:
 *   -ETIMEDOUT    no complete message in time (the reader keeps any part
 *                 already read, so a later call can continue),
 *   -ECONNRESET   the peer closed the connection (err says whether it did
 *                 so in the middle of a frame),
 *   or any error of hub_rpc_reader_next(), poll(2) or read(2). */
int hub_rpc_recv(int fd, hub_rpc_reader_t *r, json_t **msg, int timeout_ms,
                 hub_error_t *err);

#endif /* HUB_RPC_H */

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
 * Answers too large to handle as jansson values (the queue's table) are
 * written piece by piece into their frame (hub_rpc_writer_t) and read as
 * text (hub_rpc_reader_next_text(), hub_rpc_recv_text()).
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
#include <stdint.h>
#include <string.h>
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

/* As hub_rpc_reader_next(), but the frame's JSON text is handed out
 * unparsed, for answers the caller reads itself (hqueue's table of
 * 100,000 jobs is 8.7 MB, which json_loadb() reads at 25-45 MB/s).
 * Returns 1 with *body pointing at *len bytes inside the reader (not
 * NUL-terminated, not checked to be JSON), valid until the next call on
 * r; 0 when more bytes are needed (*body = NULL); or an error of
 * hub_rpc_reader_feed(). */
int hub_rpc_reader_next_text(hub_rpc_reader_t *r, const char **body,
                             size_t *len, hub_error_t *err);

/* Bytes held that were not yet returned as messages (part of a frame, or
 * complete frames not yet taken). 0 means the reader is at a frame
 * boundary, which is where a peer may close the connection cleanly. */
size_t hub_rpc_reader_pending_bytes(const hub_rpc_reader_t *r);

/* One read(2) from fd into the reader, for non-blocking servers.
 * Returns the number of bytes read (> 0), 0 on end of file, -EAGAIN when
 * nothing is available now, another negative errno when read(2) failed,
 * or the error from hub_rpc_reader_feed(). EINTR is retried. */
ssize_t hub_rpc_read_fd(hub_rpc_reader_t *r, int fd, hub_error_t *err);

/* Encode msg (a JSON object) as one frame: header and compact JSON text,
 * encoded once (through a hub_rpc_writer_t). On success *buf is a
 * malloc()ed buffer of *len bytes that the caller frees. Returns 0,
 * -EINVAL when msg is not an object, -EMSGSIZE when the text exceeds
 * HUB_RPC_FRAME_MAX, or -ENOMEM. */
int hub_rpc_encode(const json_t *msg, char **buf, size_t *len,
                   hub_error_t *err);

/* ---- writing a frame's text directly ----------------------------------
 *
 * For answers too large to build as jansson values first (hubctld's queue
 * table: 100,000 rows of 14 values): the caller writes the JSON text
 * piece by piece, and the writer escapes strings and keeps the header's
 * room. Errors are sticky: after one, writes do nothing and
 * hub_rpc_writer_finish() reports it. The text is the caller's to make
 * one JSON object (only the pieces are checked); hub_rpc_encode() is
 * the writer fed one jansson object.
 */
typedef struct hub_rpc_writer {
    char *buf;  /* header room + text written so far, malloc'd, or NULL */
    size_t len; /* bytes of buf used, header room included */
    size_t cap; /* bytes allocated */
    int rc;     /* 0, or the sticky -ENOMEM or -EMSGSIZE */
} hub_rpc_writer_t;

/* Start an empty frame; allocates nothing yet. */
void hub_rpc_writer_init(hub_rpc_writer_t *w);

/* Free what w holds (after a failure, or instead of finishing).
 * NULL-safe; w may be initialised again. */
void hub_rpc_writer_fini(hub_rpc_writer_t *w);

/* Append n bytes of text as they are: punctuation ("[", ",", "]}") and
 * other JSON the caller knows to be well formed. */
void hub_rpc_writer_raw(hub_rpc_writer_t *w, const char *text, size_t n);

/* hub_rpc_writer_raw() of a NUL-terminated text ("{\"type\":"); inline,
 * so that the length of a literal is known at compile time (strlen was 8%
 * of the controller's queue table). */
static inline void hub_rpc_writer_text(hub_rpc_writer_t *w, const char *text)
{
    hub_rpc_writer_raw(w, text, strlen(text));
}

/* Append the JSON string of the n bytes at s: '"', '\\' and control
 * characters are escaped, and bytes that do not form UTF-8 are written as
 * U+FFFD, so that any input gives valid JSON. */
void hub_rpc_writer_string(hub_rpc_writer_t *w, const char *s, size_t n);

/* Append v as a JSON integer. */
void hub_rpc_writer_int(hub_rpc_writer_t *w, int64_t v);

/* Append v (any JSON value) as json_dumpb(JSON_COMPACT) writes it. */
void hub_rpc_writer_json(hub_rpc_writer_t *w, const json_t *v);

/* Append obj, an object, without its closing '}', for the caller to add
 * members with hub_rpc_writer_key() and close with "}". */
void hub_rpc_writer_open(hub_rpc_writer_t *w, const json_t *obj);

/* Append the member name key ("\"key\":"), after a ',' unless it is the
 * object's first member (the text so far ends with '{'). */
void hub_rpc_writer_key(hub_rpc_writer_t *w, const char *key);

/* The frame: its header is written and the buffer handed to the caller
 * (*frame, *len bytes, header included; w is left empty). Returns 0, or
 * with err set and w's memory freed: -EMSGSIZE when the text exceeds
 * HUB_RPC_FRAME_MAX, -EINVAL when nothing was written, -ENOMEM. */
int hub_rpc_writer_finish(hub_rpc_writer_t *w, char **frame, size_t *len,
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

/* hub_rpc_recv() for hub_rpc_reader_next_text(): 0 with *body and *len,
 * valid until the next call on r, or the errors of hub_rpc_recv(). */
int hub_rpc_recv_text(int fd, hub_rpc_reader_t *r, const char **body,
                      size_t *len, int timeout_ms, hub_error_t *err);

#endif /* HUB_RPC_H */

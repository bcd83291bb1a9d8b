/* rpc.c - length-prefixed JSON frames over stream sockets (see rpc.h).
 *
 * The reader keeps one byte buffer: [off, used) holds bytes not yet
 * returned as messages, and `mark` is where the first frame whose header
 * was not yet checked starts. Consumed frames only advance `off`; the
 * unconsumed tail is moved to the front only when that frees at least half
 * the buffer, so each byte is moved O(1) times on average. A body that
 * hub_rpc_reader_next_text() handed out stays in place until the next
 * call, which releases it (consumed()).
 *
 * The writer grows one buffer that starts with the header's room, so a
 * frame is encoded once and sent without a copy.
 */
#include "rpc.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* An emptied buffer above this size is freed, so that one large reply does
 * not pin megabytes per idle connection. */
#define KEEP_BYTES (64 * 1024)

/* Stack chunk for hub_rpc_read_fd(): the size of libuv's default read. */
#define READ_CHUNK_BYTES (64 * 1024)

struct hub_rpc_reader {
    char *buf;        /* cap bytes, or NULL */
    size_t cap;       /* allocated bytes */
    size_t off;       /* start of the first frame not yet returned */
    size_t used;      /* end of the buffered bytes */
    size_t mark;      /* start of the first frame with an unchecked header */
    size_t max_frame; /* largest accepted body, bytes */
    int rc;           /* 0, or the sticky negative errno */
    hub_error_t why;  /* the message that goes with rc */
};

static uint32_t get_be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 |
           (uint32_t)u[3];
}

static void put_be32(char *p, uint32_t v)
{
    unsigned char *u = (unsigned char *)p;
    u[0] = v >> 24;
    u[1] = v >> 16;
    u[2] = v >> 8;
    u[3] = v;
}

hub_rpc_reader_t *hub_rpc_reader_create(size_t max_frame_bytes)
{
    hub_rpc_reader_t *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    if (max_frame_bytes == 0)
        max_frame_bytes = HUB_RPC_FRAME_MAX;
    if (max_frame_bytes > UINT32_MAX)
        max_frame_bytes = UINT32_MAX;
    r->max_frame = max_frame_bytes;
    return r;
}

void hub_rpc_reader_destroy(hub_rpc_reader_t *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

size_t hub_rpc_reader_pending_bytes(const hub_rpc_reader_t *r)
{
    return r->used - r->off;
}

/* Report the sticky error (its text is in r->why). */
static int failed(const hub_rpc_reader_t *r, hub_error_t *err)
{
    return hub_errorf(err, -r->rc, "%s", r->why.text);
}

/* Put the reader in the failed state with rc, whose message the caller
 * wrote into r->why: drop the buffer, report it. */
static int fail(hub_rpc_reader_t *r, int rc, hub_error_t *err)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->off = r->used = r->mark = 0;
    r->rc = rc;
    return failed(r, err);
}

/* Move the unconsumed bytes to the front of the buffer. */
static void compact(hub_rpc_reader_t *r)
{
    memmove(r->buf, r->buf + r->off, r->used - r->off);
    r->used -= r->off;
    r->mark -= r->off;
    r->off = 0;
}

/* Make room for n more bytes: compact when that frees half, else grow. */
static int reserve(hub_rpc_reader_t *r, size_t n)
{
    size_t want, cap;
    char *p;

    if (r->cap - r->used >= n)
        return 0;
    if (r->off > 0 && r->off >= r->cap / 2)
        compact(r);
    if (r->cap - r->used >= n)
        return 0;
    want = r->used + n;
    cap = r->cap ? r->cap : 4096;
    while (cap < want)
        cap *= 2;
    if (!(p = realloc(r->buf, cap)))
        return -ENOMEM;
    r->buf = p;
    r->cap = cap;
    return 0;
}

/* Check the header that has just become complete at mark, if any, and
 * move mark past its frame. */
static int check_header(hub_rpc_reader_t *r, hub_error_t *err)
{
    uint32_t n;

    if (r->used != r->mark + HUB_RPC_HEADER_BYTES)
        return 0;
    n = get_be32(r->buf + r->mark);
    if (n == 0)
        return hub_errorf(err, EPROTO,
                          "rpc: peer sent a frame of length 0; it does "
                          "not speak the hubsched protocol");
    if (n > r->max_frame)
        return hub_errorf(err, EMSGSIZE,
                          "rpc: peer announced a frame of %lu bytes, more "
                          "than the maximum of %zu; it does not speak the "
                          "hubsched protocol, or the message is too large",
                          (unsigned long)n, r->max_frame);
    r->mark += HUB_RPC_HEADER_BYTES + n;
    return 0;
}

/* How many of len new bytes to append before the next check: up to the
 * end of the current body, or of the current header. */
static size_t piece_bytes(const hub_rpc_reader_t *r, size_t len)
{
    size_t stop = r->used < r->mark ? r->mark : r->mark + HUB_RPC_HEADER_BYTES;
    size_t room = stop - r->used;
    return len < room ? len : room;
}

/* Drop consumed bytes: reset an empty buffer, free a large one. */
static void consumed(hub_rpc_reader_t *r)
{
    if (r->off != r->used)
        return;
    r->off = r->used = r->mark = 0;
    if (r->cap > KEEP_BYTES) {
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
    }
}

int hub_rpc_reader_feed(hub_rpc_reader_t *r, const void *data, size_t len,
                        hub_error_t *err)
{
    const char *p = data;

    if (r->rc)
        return failed(r, err);
    consumed(r);
    while (len > 0) {
        size_t n = piece_bytes(r, len);
        int rc;

        if (reserve(r, n) < 0)
            return fail(r,
                        hub_errorf(&r->why, ENOMEM,
                                   "rpc: out of memory "
                                   "buffering a frame"),
                        err);
        memcpy(r->buf + r->used, p, n);
        r->used += n;
        p += n;
        len -= n;
        if ((rc = check_header(r, &r->why)) < 0)
            return fail(r, rc, err);
    }
    return 0;
}

/* Parse one frame body into an object. */
static int parse_body(const char *body, size_t len, json_t **msg,
                      hub_error_t *err)
{
    json_error_t jerr;
    json_t *o = json_loadb(body, len, JSON_DECODE_ANY, &jerr);

    if (!o)
        return hub_errorf(err, EBADMSG,
                          "rpc: frame is not valid JSON (%s at byte %d)",
                          jerr.text, jerr.position);
    if (!json_is_object(o)) {
        const char *what = json_is_array(o) ? "array" : "scalar";
        json_decref(o);
        return hub_errorf(err, EBADMSG,
                          "rpc: frame holds a JSON %s, not an object", what);
    }
    *msg = o;
    return 0;
}

/* The next complete frame's body, or NULL when more bytes are needed. */
static const char *next_body(hub_rpc_reader_t *r, size_t *len)
{
    size_t have = r->used - r->off;
    uint32_t n;

    if (have < HUB_RPC_HEADER_BYTES)
        return NULL;
    n = get_be32(r->buf + r->off);
    if (have - HUB_RPC_HEADER_BYTES < n)
        return NULL;
    *len = n;
    return r->buf + r->off + HUB_RPC_HEADER_BYTES;
}

int hub_rpc_reader_next(hub_rpc_reader_t *r, json_t **msg, hub_error_t *err)
{
    const char *body;
    size_t n;
    int rc;

    *msg = NULL;
    if (r->rc)
        return failed(r, err);
    consumed(r);
    if (!(body = next_body(r, &n)))
        return 0;
    rc = parse_body(body, n, msg, &r->why);
    if (rc < 0)
        return fail(r, rc, err);
    r->off += HUB_RPC_HEADER_BYTES + n;
    consumed(r);
    return 1;
}

int hub_rpc_reader_next_text(hub_rpc_reader_t *r, const char **body,
                             size_t *len, hub_error_t *err)
{
    *body = NULL;
    if (r->rc)
        return failed(r, err);
    consumed(r);
    if (!(*body = next_body(r, len)))
        return 0;
    r->off += HUB_RPC_HEADER_BYTES + *len;
    return 1;
}

ssize_t hub_rpc_read_fd(hub_rpc_reader_t *r, int fd, hub_error_t *err)
{
    char chunk[READ_CHUNK_BYTES];
    ssize_t n;
    int rc;

    if (r->rc)
        return failed(r, err);
    do {
        n = read(fd, chunk, sizeof(chunk));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return -EAGAIN;
        return hub_errorf(err, errno, "rpc: read: %s", strerror(errno));
    }
    if (n > 0 && (rc = hub_rpc_reader_feed(r, chunk, (size_t)n, err)) < 0)
        return rc;
    return n;
}

/* ---- the writer --------------------------------------------------------- */

/* First allocation: most frames are small answers and events. */
#define WRITER_START_BYTES 256

/* Bytes of a string escaped per reservation (string_piece). */
#define STRING_PIECE_BYTES 4096

void hub_rpc_writer_init(hub_rpc_writer_t *w)
{
    memset(w, 0, sizeof(*w));
}

void hub_rpc_writer_fini(hub_rpc_writer_t *w)
{
    if (!w)
        return;
    free(w->buf);
    hub_rpc_writer_init(w);
}

/* Room for n more bytes at w->buf + w->len; false after an error. */
static bool writer_reserve(hub_rpc_writer_t *w, size_t n)
{
    size_t cap = w->cap ? w->cap : WRITER_START_BYTES;
    char *p;

    if (w->rc)
        return false;
    if (w->len == 0)
        w->len = HUB_RPC_HEADER_BYTES;
    if (n > HUB_RPC_HEADER_BYTES + HUB_RPC_FRAME_MAX - w->len) {
        w->rc = -EMSGSIZE;
        return false;
    }
    if (w->len + n <= w->cap)
        return true;
    while (cap < w->len + n)
        cap *= 2;
    if (!(p = realloc(w->buf, cap))) {
        w->rc = -ENOMEM;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

void hub_rpc_writer_raw(hub_rpc_writer_t *w, const char *text, size_t n)
{
    if (!writer_reserve(w, n))
        return;
    memcpy(w->buf + w->len, text, n);
    w->len += n;
}

/* Bytes of the UTF-8 sequence at s (n bytes there), or 0 where none is
 * valid: overlong forms, surrogates and code points above U+10FFFF are
 * not (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80                 ? 1
                 : c >= 0xC2 && c <= 0xDF ? 2
                 : c >= 0xE0 && c <= 0xEF ? 3
                 : c >= 0xF0 && c <= 0xF4 ? 4
                                          : 0;

    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) ||
        (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return len;
}

/* Write the escaped form of the byte or sequence at s; returns the input
 * bytes it stands for. */
static size_t escape_one(const unsigned char *s, size_t n, char **out)
{
    static const char hex[] = "0123456789abcdef";
    size_t len = s[0] < 0x80 ? 1 : utf8_len(s, n);
    char *o = *out;

    if (s[0] == '"' || s[0] == '\\') {
        *o++ = '\\';
        *o++ = (char)s[0];
    } else if (s[0] < 0x20) {
        memcpy(o, "\\u00", 4);
        o[4] = hex[s[0] >> 4];
        o[5] = hex[s[0] & 0xF];
        o += 6;
    } else if (len == 0) {
        memcpy(o, "\\ufffd", 6); /* not UTF-8: the replacement character */
        o += 6;
        len = 1;
    } else {
        memcpy(o, s, len);
        o += len;
    }
    *out = o;
    return len;
}

/* Escape up to STRING_PIECE_BYTES of the n bytes at s (a sequence that
 * straddles the end is taken whole); returns the bytes taken. Pieces keep
 * the room reserved ahead (6 bytes out per byte in at most: "\u001f",
 * "\ufffd") small, so that long strings are not refused early. */
static size_t string_piece(hub_rpc_writer_t *w, const unsigned char *s,
                           size_t n)
{
    size_t max = n < STRING_PIECE_BYTES ? n : STRING_PIECE_BYTES, i = 0;
    char *o;

    if (!writer_reserve(w, 6 * max + 6))
        return n;
    o = w->buf + w->len;
    while (i < max) {
        if (s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
            *o++ = (char)s[i++];
        else
            i += escape_one(s + i, n - i, &o);
    }
    w->len = (size_t)(o - w->buf);
    return i;
}

void hub_rpc_writer_string(hub_rpc_writer_t *w, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    hub_rpc_writer_text(w, "\"");
    for (size_t i = 0; i < n;)
        i += string_piece(w, u + i, n - i);
    hub_rpc_writer_text(w, "\"");
}

void hub_rpc_writer_int(hub_rpc_writer_t *w, int64_t v)
{
    char digits[24], *p = digits + sizeof(digits);
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    hub_rpc_writer_raw(w, p, (size_t)(digits + sizeof(digits) - p));
}

static int dump_piece(const char *text, size_t n, void *arg)
{
    hub_rpc_writer_t *w = arg;

    hub_rpc_writer_raw(w, text, n);
    return w->rc ? -1 : 0;
}

void hub_rpc_writer_json(hub_rpc_writer_t *w, const json_t *v)
{
    int rc;

    if (w->rc)
        return;
    rc = json_dump_callback(v, dump_piece, w, JSON_COMPACT | JSON_ENCODE_ANY);
    if (rc < 0 && w->rc == 0)
        w->rc = -ENOMEM; /* jansson's own allocation failed */
}

void hub_rpc_writer_open(hub_rpc_writer_t *w, const json_t *obj)
{
    hub_rpc_writer_json(w, obj);
    if (w->rc == 0)
        w->len--; /* the '}' */
}

void hub_rpc_writer_key(hub_rpc_writer_t *w, const char *key)
{
    if (w->rc == 0 && w->len > 0 && w->buf[w->len - 1] != '{')
        hub_rpc_writer_text(w, ",");
    hub_rpc_writer_string(w, key, strlen(key));
    hub_rpc_writer_text(w, ":");
}

int hub_rpc_writer_finish(hub_rpc_writer_t *w, char **frame, size_t *len,
                          hub_error_t *err)
{
    int rc = w->rc ? w->rc : w->len <= HUB_RPC_HEADER_BYTES ? -EINVAL : 0;

    if (rc < 0) {
        hub_rpc_writer_fini(w);
        if (rc == -EMSGSIZE)
            return hub_errorf(err, EMSGSIZE,
                              "rpc: message exceeds the frame maximum of "
                              "%u bytes",
                              HUB_RPC_FRAME_MAX);
        if (rc == -EINVAL)
            return hub_errorf(err, EINVAL, "rpc: empty message");
        return hub_errorf(err, ENOMEM, "rpc: out of memory encoding");
    }
    put_be32(w->buf, (uint32_t)(w->len - HUB_RPC_HEADER_BYTES));
    *frame = w->buf;
    *len = w->len;
    hub_rpc_writer_init(w);
    return 0;
}

int hub_rpc_encode(const json_t *msg, char **buf, size_t *len, hub_error_t *err)
{
    hub_rpc_writer_t w;

    if (!json_is_object(msg))
        return hub_errorf(err, EINVAL,
                          "rpc: a message must be a JSON "
                          "object");
    hub_rpc_writer_init(&w);
    hub_rpc_writer_json(&w, msg);
    return hub_rpc_writer_finish(&w, buf, len, err);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or the deadline (ms on the monotonic
 * clock, < 0: none) passes. Returns 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, long long deadline_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int timeout = -1, n;

    for (;;) {
        if (deadline_ms >= 0) {
            long long left = deadline_ms - now_ms();
            timeout = left > 0 ? (left > 1 << 30 ? 1 << 30 : (int)left) : 0;
        }
        n = poll(&pfd, 1, timeout);
        if (n >= 0)
            return n > 0;
        if (errno != EINTR)
            return -errno;
    }
}

/* Write all of buf to the socket, waiting when it is full. */
static int send_all(int fd, const char *buf, size_t len, hub_error_t *err)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        int rc;

        if (n >= 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return hub_errorf(err, errno, "rpc: send: %s", strerror(errno));
        if ((rc = wait_fd(fd, POLLOUT, -1)) < 0)
            return hub_errorf(err, -rc, "rpc: poll: %s", strerror(-rc));
    }
    return 0;
}

int hub_rpc_send(int fd, const json_t *msg, hub_error_t *err)
{
    char *buf;
    size_t len;
    int rc;

    if ((rc = hub_rpc_encode(msg, &buf, &len, err)) < 0)
        return rc;
    rc = send_all(fd, buf, len, err);
    free(buf);
    return rc;
}

/* Explain an end of file: clean at a frame boundary or not. */
static int peer_closed(const hub_rpc_reader_t *r, hub_error_t *err)
{
    size_t pending = hub_rpc_reader_pending_bytes(r);

    if (pending > 0)
        return hub_errorf(err, ECONNRESET,
                          "rpc: peer closed the connection in the middle "
                          "of a frame (%zu bytes of it received)",
                          pending);
    return hub_errorf(err, ECONNRESET, "rpc: peer closed the connection");
}

/* What a receive waits for: a parsed message (msg), or a frame's text. */
typedef struct take {
    json_t **msg;
    const char **body;
    size_t *len;
} take_t;

static int take_next(hub_rpc_reader_t *r, const take_t *t, hub_error_t *err)
{
    if (t->msg)
        return hub_rpc_reader_next(r, t->msg, err);
    return hub_rpc_reader_next_text(r, t->body, t->len, err);
}

static int recv_frame(int fd, hub_rpc_reader_t *r, const take_t *t,
                      int timeout_ms, hub_error_t *err)
{
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    ssize_t n;
    int rc;

    while ((rc = take_next(r, t, err)) == 0) {
        if ((rc = wait_fd(fd, POLLIN, deadline)) < 0)
            return hub_errorf(err, -rc, "rpc: poll: %s", strerror(-rc));
        if (rc == 0)
            return hub_errorf(err, ETIMEDOUT, "rpc: no reply within %d ms",
                              timeout_ms);
        n = hub_rpc_read_fd(r, fd, err);
        if (n == 0)
            return peer_closed(r, err);
        if (n < 0 && n != -EAGAIN)
            return (int)n;
    }
    return rc < 0 ? rc : 0;
}

int hub_rpc_recv(int fd, hub_rpc_reader_t *r, json_t **msg, int timeout_ms,
                 hub_error_t *err)
{
    take_t t = {.msg = msg};

    return recv_frame(fd, r, &t, timeout_ms, err);
}

int hub_rpc_recv_text(int fd, hub_rpc_reader_t *r, const char **body,
                      size_t *len, int timeout_ms, hub_error_t *err)
{
    take_t t = {.body = body, .len = len};

    return recv_frame(fd, r, &t, timeout_ms, err);
}

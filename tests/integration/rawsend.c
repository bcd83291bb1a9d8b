/* rawsend.c - a test client that writes arbitrary bytes to a Unix socket
 * (hubctld's), then reports what comes back: the integration tests use
 * it to send frames no real client would (garbage, lying length headers).
 *
 *   rawsend SOCKET ITEM...
 *
 * ITEMs are written in order:
 *   raw:TEXT     the bytes of TEXT
 *   len:N        a 4-byte big-endian length header claiming N bytes
 *   frame:TEXT   a whole frame: TEXT's length, then TEXT
 *   sleep:MS     pause MS milliseconds (the connection stays open)
 *   shut         shut down the writing side (the peer reads EOF)
 *
 * Then it reads until the peer closes, printing each complete frame's
 * body on a line of its own, and "EOF" when the peer closed the
 * connection. Exit status: 0 on EOF, 3 when nothing ended the
 * connection within 10 s, 1 on an error (connect, write).
 * Not a goal: speaking the protocol (use the commands for that).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define READ_TIMEOUT_MS 10000

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_header(int fd, uint32_t n)
{
    unsigned char h[4] = {n >> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff};
    return write_all(fd, h, sizeof(h));
}

static int send_item(int fd, const char *item)
{
    if (strncmp(item, "raw:", 4) == 0)
        return write_all(fd, item + 4, strlen(item + 4));
    if (strncmp(item, "len:", 4) == 0)
        return write_header(fd, (uint32_t)strtoul(item + 4, NULL, 0));
    if (strncmp(item, "frame:", 6) == 0) {
        size_t n = strlen(item + 6);
        int rc = write_header(fd, (uint32_t)n);
        return rc < 0 ? rc : write_all(fd, item + 6, n);
    }
    if (strncmp(item, "sleep:", 6) == 0) {
        long ms = strtol(item + 6, NULL, 10);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return 0;
    }
    if (strcmp(item, "shut") == 0)
        return shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
    fprintf(stderr, "rawsend: unknown item '%s'\n", item);
    return -EINVAL;
}

/* Print the complete frames at the start of buf; return bytes used. */
static size_t print_frames(const unsigned char *buf, size_t len)
{
    size_t used = 0;

    while (len - used >= 4) {
        const unsigned char *h = buf + used;
        size_t n = ((size_t)h[0] << 24) | ((size_t)h[1] << 16) |
                   ((size_t)h[2] << 8) | h[3];
        if (len - used - 4 < n)
            break;
        printf("%.*s\n", (int)n, (const char *)h + 4);
        used += 4 + n;
    }
    fflush(stdout);
    return used;
}

static int read_until_eof(int fd)
{
    static unsigned char buf[1 << 20];
    size_t len = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    for (;;) {
        int rc = poll(&pfd, 1, READ_TIMEOUT_MS);
        ssize_t n;
        size_t used;

        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0) {
            printf("TIMEOUT\n");
            return 3;
        }
        n = read(fd, buf + len, sizeof(buf) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* EOF, or ECONNRESET: the peer closed */
            printf("EOF\n");
            return 0;
        }
        len += (size_t)n;
        used = print_frames(buf, len);
        memmove(buf, buf + used, len - used);
        len -= used;
        if (len == sizeof(buf)) {
            fprintf(stderr, "rawsend: an answer over %zu bytes\n", len);
            return 1;
        }
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (argc < 2) {
        fprintf(stderr, "usage: rawsend SOCKET ITEM...\n");
        return 2;
    }
    if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "rawsend: socket path too long\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "rawsend: connect %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        int rc = send_item(fd, argv[i]);
        /* EPIPE: the peer already closed on an earlier item; say so. */
        if (rc == -EPIPE || rc == -ECONNRESET)
            break;
        if (rc < 0) {
            fprintf(stderr, "rawsend: write: %s\n", strerror(-rc));
            return 1;
        }
    }
    return read_until_eof(fd);
}

/* output.c - mpirun's output, line by line: with --label, Open MPI's
 * "[1,R]<stdout>:" tags (--tag-output) become "[R] "; on stderr, the
 * lines in which mpirun names a failed rank or a lost node are noted for
 * the failure's cause, and the ranks' last lines kept for a failure
 * loop's reason. Everything is passed on to hrun's own stdout/stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrun.h"

#define LINE_MAX_BYTES 8192

struct hrun_lines {
    hrun_t *h;
    int fd;      /* where lines go: 1 or 2 */
    bool is_err; /* mpirun's stderr: scanned */
    size_t n;    /* bytes in buf */
    char buf[LINE_MAX_BYTES];
};

hrun_lines_t *output_create(hrun_t *h, int fd_out, bool is_err)
{
    hrun_lines_t *l = calloc(1, sizeof(*l));

    if (l) {
        l->h = h;
        l->fd = fd_out;
        l->is_err = is_err;
    }
    return l;
}

void output_destroy(hrun_lines_t *lines)
{
    free(lines);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

const char *output_untag(const char *line, int *rank)
{
    int job, r, used = 0;

    if (sscanf(line, "[%d,%d]<std%*[a-z]>:%n", &job, &r, &used) == 2 &&
        used > 0) {
        *rank = r;
        return line + used;
    }
    return NULL;
}

int output_scan(hrun_t *h, const char *line)
{
    char node[HUB_HOSTNAME_MAX + 1];
    int rank, pid, sig, a, b, c;
    const char *p;

    if (sscanf(line,
               "mpirun noticed that process rank %d with PID %d on "
               "node %64s exited on signal %d",
               &rank, &pid, node, &sig) == 4) {
        snprintf(h->noticed, sizeof(h->noticed),
                 "rank %d (pid %d) on %s killed by signal %d", rank, pid, node,
                 sig);
        return 1;
    }
    if ((p = strstr(line, "Remote daemon:")) != NULL &&
        sscanf(p, "Remote daemon: [[%d,%d],%d] on node %64s", &a, &b, &c,
               node) == 4) {
        size_t used = strlen(h->lost);
        snprintf(h->lost + used, sizeof(h->lost) - used, "%s%s",
                 used ? " " : "", node);
        return 1;
    }
    return 0;
}

/* Keep the ranks' last lines (not mpirun's boxes) for a loop's reason. */
static void keep_last(hrun_t *h, const char *line)
{
    if (!line[0] || strncmp(line, "---", 3) == 0 ||
        strncmp(line, "mpirun", 6) == 0)
        return;
    if (h->nlast_err == 4) {
        memmove(h->last_err[0], h->last_err[1], 3 * sizeof(h->last_err[0]));
        h->nlast_err = 3;
    }
    snprintf(h->last_err[h->nlast_err++], sizeof(h->last_err[0]), "%s", line);
}

/* One complete line (no newline): scan, relabel, pass on. */
static void emit(hrun_lines_t *l, char *line)
{
    const char *text;
    char label[32];
    int rank;

    if (l->is_err && output_scan(l->h, line) == 0)
        keep_last(l->h, line);
    if (l->h->opt.label && (text = output_untag(line, &rank)) != NULL) {
        snprintf(label, sizeof(label), "[%d] ", rank);
        write_all(l->fd, label, strlen(label));
        line = (char *)text;
    }
    write_all(l->fd, line, strlen(line));
    write_all(l->fd, "\n", 1);
}

void output_feed(hrun_lines_t *l, const char *buf, size_t n)
{
    if (!buf) { /* EOF: what is left is a last, unterminated line */
        if (l->n) {
            l->buf[l->n] = '\0';
            emit(l, l->buf);
            l->n = 0;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || l->n == sizeof(l->buf) - 1) {
            l->buf[l->n] = '\0';
            emit(l, l->buf);
            l->n = 0;
            if (buf[i] == '\n')
                continue;
        }
        l->buf[l->n++] = buf[i];
    }
}

/* trace.c - hsim traces in memory and the line reading the trace readers
 * share (plain or gzip files, field splitting, number parsing). */
#include "hsim.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void hsim_trace_init(hsim_trace_t *tr)
{
    memset(tr, 0, sizeof(*tr));
    tr->cpu_w = HSIM_CORE_W;
}

void hsim_trace_fini(hsim_trace_t *tr)
{
    free(tr->conf);
    free(tr->jobs);
    memset(tr, 0, sizeof(*tr));
}

hsim_job_t *hsim_trace_add(hsim_trace_t *tr)
{
    if (tr->njobs == tr->cap) {
        size_t cap = tr->cap ? tr->cap * 2 : 1024;
        hsim_job_t *v = realloc(tr->jobs, cap * sizeof(*v));
        if (!v)
            return NULL;
        tr->jobs = v;
        tr->cap = cap;
    }
    memset(&tr->jobs[tr->njobs], 0, sizeof(tr->jobs[0]));
    return &tr->jobs[tr->njobs++];
}

static int by_submit(const void *pa, const void *pb)
{
    const hsim_job_t *a = pa, *b = pb;

    if (a->submit_s != b->submit_s)
        return a->submit_s < b->submit_s ? -1 : 1;
    return a->id < b->id ? -1 : (a->id > b->id);
}

void hsim_trace_sort(hsim_trace_t *tr)
{
    if (tr->njobs > 1) /* an empty trace has no array: qsort(NULL) is UB */
        qsort(tr->jobs, tr->njobs, sizeof(*tr->jobs), by_submit);
}

uint64_t hsim_trace_gpus(const hsim_trace_t *tr)
{
    hub_conf_t *conf = hub_conf_parse_string(tr->conf, "hsim.conf", NULL);
    uint64_t total = 0;

    for (size_t i = 0; conf && i < conf->nnodes; i++)
        total += (uint64_t)conf->nodes[i].gpus * HUB_GPU_MILLI;
    hub_conf_destroy(conf);
    return total;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Quote path for sh: single quotes, with ' written as '\''. */
static char *shell_quote(const char *path)
{
    size_t n = 3;
    char *q, *p;

    for (const char *s = path; *s; s++)
        n += *s == '\'' ? 4 : 1;
    if (!(q = malloc(n)))
        return NULL;
    p = q;
    *p++ = '\'';
    for (const char *s = path; *s; s++) {
        if (*s == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return q;
}

int hsim_lines_open(hsim_lines_t *lr, const char *path, hub_error_t *err)
{
    memset(lr, 0, sizeof(*lr));
    lr->path = path;
    lr->f = fopen(path, "r");
    if (!lr->f)
        return hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    if (ends_with(path, ".gz")) {
        char *q = shell_quote(path), cmd[64 + 4096];
        fclose(lr->f);
        if (!q || strlen(q) > 4096) {
            free(q);
            return hub_errorf(err, ENAMETOOLONG, "%s: path too long", path);
        }
        snprintf(cmd, sizeof(cmd), "gzip -dc %s", q);
        free(q);
        lr->f = popen(cmd, "r");
        lr->piped = true;
        if (!lr->f)
            return hub_errorf(err, errno, "%s: gzip: %s", path,
                              strerror(errno));
    }
    return 0;
}

char *hsim_lines_next(hsim_lines_t *lr)
{
    ssize_t n = getline(&lr->buf, &lr->cap, lr->f);

    if (n < 0)
        return NULL;
    lr->lineno++;
    while (n > 0 && (lr->buf[n - 1] == '\n' || lr->buf[n - 1] == '\r'))
        lr->buf[--n] = '\0';
    return lr->buf;
}

int hsim_lines_close(hsim_lines_t *lr, hub_error_t *err)
{
    int rc = 0;

    if (lr->f && lr->piped) {
        /* a reader that stops early closes the pipe under gzip: its
         * SIGPIPE is no failure */
        bool at_end = feof(lr->f);
        int st = pclose(lr->f);
        if (at_end && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0))
            rc = hub_errorf(err, EIO, "%s: gzip -dc failed (status %d)",
                            lr->path, st);
    } else if (lr->f) {
        fclose(lr->f);
    }
    free(lr->buf);
    memset(lr, 0, sizeof(*lr));
    return rc;
}

int hsim_split(char *s, char sep, char **fields, int max)
{
    char *save = NULL, *e;
    int n = 0;

    if (!sep) {
        for (char *t = strtok_r(s, " \t", &save); t;
             t = strtok_r(NULL, " \t", &save)) {
            if (n < max)
                fields[n] = t;
            n++;
        }
        return n;
    }
    for (;;) {
        e = strchr(s, sep);
        if (n < max)
            fields[n] = s;
        n++;
        if (!e)
            return n;
        *e = '\0';
        s = e + 1;
    }
}

bool hsim_parse_i64(const char *s, int64_t *v)
{
    char *end;
    long long x;

    errno = 0;
    x = strtoll(s, &end, 10);
    if (end == s || errno)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    *v = x;
    return *end == '\0';
}

bool hsim_parse_double(const char *s, double *v)
{
    char *end;
    double x;

    errno = 0;
    x = strtod(s, &end);
    if (end == s || errno || !isfinite(x))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    *v = x;
    return *end == '\0';
}

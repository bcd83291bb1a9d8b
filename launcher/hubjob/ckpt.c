/* ckpt.c - checkpoints: the module's life cycle, hub_ckpt_begin/add/
 * commit/wait, the checkpoint-request signal and the module's warning.
 * Writing is in ckpt_write.c and ckpt_finish.c, restoring in ckpt_read.c
 * (see ckpt.h for the map and doc/hubjob.md for the layout). */
#include "ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mpierr.h"

#define NAME_MAX_BYTES 1024

/* Checkpoint-request signals received and acted on. Only the handler
 * writes `received`; hub_ckpt_requested compares, so none is lost. */
static volatile sig_atomic_t received;
static sig_atomic_t acted_on;
static struct sigaction old_action;

static void on_request(int signum)
{
    (void)signum;
    received++;
}

double ckpt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ckpt_path(char *buf, const struct ckpt_state *st, int64_t step,
               const char *leaf)
{
    snprintf(buf, CKPT_PATH_MAX, "%s/step-%" PRId64 "%s%s", st->dir, step,
             leaf ? "/" : "", leaf ? leaf : "");
}

void ckpt_warn(const struct ckpt_state *st, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    if (st->rank != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    fprintf(stderr, "hubjob: warning: %s\n", text);
}

/* HUB_CKPT_SIGNAL: a number or a name ("USR1", "SIGUSR1"); "none" or 0
 * for none; -1 when not understood. */
static int parse_signal(const char *s)
{
    static const struct {
        const char *name;
        int num;
    } sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},
                {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"ALRM", SIGALRM},
                {"TERM", SIGTERM}, {"URG", SIGURG},   {"XCPU", SIGXCPU}};
    char *end;
    long v;

    if (!s || !*s)
        return SIGUSR1;
    if (strcmp(s, "none") == 0)
        return 0;
    v = strtol(s, &end, 10);
    if (*end == '\0')
        return v >= 0 && v < NSIG && v != SIGKILL && v != SIGSTOP ? (int)v : -1;
    if (strncmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (strcmp(s, sigs[i].name) == 0)
            return sigs[i].num;
    return -1;
}

/* A positive number from the environment, or dflt when unset. */
static int env_positive(hub_ctx_t *ctx, const char *var, double dflt,
                        double *out)
{
    const char *s = getenv(var);
    char *end;

    *out = dflt;
    if (!s || !*s)
        return 0;
    *out = strtod(s, &end);
    if (*end || !(*out > 0))
        return ctx_error(ctx, EINVAL, "%s=%s: not a positive number", var, s);
    return 0;
}

static int read_config(hub_ctx_t *ctx, struct ckpt_state *st)
{
    const char *sig = getenv("HUB_CKPT_SIGNAL");
    double keep;
    int rc;

    if ((rc = env_positive(ctx, "HUB_CKPT_KEEP", 2, &keep)) < 0 ||
        (rc = env_positive(ctx, "HUB_CKPT_TIMEOUT", 600, &st->timeout_s)) < 0)
        return rc;
    if (keep != (int)keep)
        return ctx_error(ctx, EINVAL, "HUB_CKPT_KEEP=%g: not an integer", keep);
    st->keep = (int)keep;
    if ((st->signum = parse_signal(sig)) < 0)
        return ctx_error(ctx, EINVAL, "HUB_CKPT_SIGNAL=%s: not a signal", sig);
    return 0;
}

int ckpt_init(hub_ctx_t *ctx)
{
    struct ckpt_state *st = calloc(1, sizeof(*st));
    struct sigaction sa = {.sa_handler = on_request, .sa_flags = SA_RESTART};
    int rc;

    if (!st)
        return ctx_error(ctx, ENOMEM, "checkpoints: out of memory");
    snprintf(st->dir, sizeof(st->dir), "%s", ctx->ckpt_dir);
    st->rank = ctx->rank;
    st->world = ctx->world;
    st->resumed_step = -1;
    if ((rc = read_config(ctx, st)) < 0) {
        free(st);
        return rc;
    }
    sigemptyset(&sa.sa_mask);
    if (st->signum && sigaction(st->signum, &sa, &old_action) < 0) {
        rc = ctx_error(ctx, errno, "checkpoint signal %d: %s", st->signum,
                       strerror(errno));
        free(st);
        return rc;
    }
    ctx->ckpt = st;
    return 0;
}

static void clear_tensors(struct ckpt_state *st)
{
    for (size_t i = 0; i < st->nt; i++)
        free(st->t[i].name);
    st->nt = 0;
}

/* Wait for the background writer; report its checkpoint to the metrics
 * (seconds from begin to durable) when it completed. */
static int join_writer(hub_ctx_t *ctx)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t err;
    bool was_writing = st->writing;
    int rc = ckpt_async_join(st, &err);

    if (rc < 0)
        return ctx_error(ctx, -rc, "checkpoint step-%" PRId64 ": %s", st->step,
                         err.text);
    if (was_writing)
        metrics_ckpt_committed(ctx, st->step, st->done_s - st->begin_s);
    return 0;
}

void ckpt_fini(hub_ctx_t *ctx)
{
    struct ckpt_state *st = ctx->ckpt;

    if (!st)
        return;
    if (join_writer(ctx) < 0)
        ckpt_warn(st, "%s", ctx->error);
    if (st->signum)
        sigaction(st->signum, &old_action, NULL);
    clear_tensors(st);
    free(st->t);
    ckpt_async_free(st);
    ckpt_read_reset(st);
    ckpt_read_forget_bad(st);
    free(st);
    ctx->ckpt = NULL;
}

/* Collective: the smallest rc of all ranks (the first error, if any). */
static int agree(hub_ctx_t *ctx, int rc)
{
    int all = rc;
    hub_error_t err;
    int mrc = mpierr(MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, ctx->comm),
                     "checkpoint agreement", &err);
    return mrc < 0 ? ctx_error(ctx, -mrc, "%s", err.text) : all;
}

int hub_ckpt_begin(hub_ctx_t *ctx, int64_t step, int flags)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t err = {""};
    int rc = 0;

    if (!st)
        return ctx_error(ctx, EINVAL, "checkpoints are not initialised");
    if (st->open)
        return ctx_error(ctx, EINVAL,
                         "checkpoint step-%" PRId64 " is not committed yet",
                         st->step);
    if (step < 0 || (flags & ~(HUB_CKPT_ASYNC | HUB_CKPT_ASYNC_NOCOPY)))
        return ctx_error(ctx, EINVAL, "hub_ckpt_begin: bad step or flags");
    if (join_writer(ctx) < 0)
        ckpt_warn(st, "%s", ctx->error);
    ckpt_read_reset(st);
    ckpt_read_forget_bad(st);
    if (st->rank == 0)
        rc = ckpt_prepare_dir(st, step, &err);
    MPI_Bcast(&rc, 1, MPI_INT, 0, ctx->comm);
    if (rc < 0)
        return ctx_error(ctx, -rc, "checkpoint step-%" PRId64 ": %s", step,
                         err.text[0] ? err.text : "rank 0 failed");
    clear_tensors(st);
    st->open = true;
    st->step = step;
    st->flags = flags & HUB_CKPT_ASYNC_NOCOPY ? flags | HUB_CKPT_ASYNC : flags;
    st->begin_s = ckpt_now();
    return 0;
}

static int check_tensor(hub_ctx_t *ctx, const char *name, const void *data,
                        hub_dtype_t dtype, int ndims, const uint64_t *dims,
                        hub_shard_t shard, uint64_t *bytes)
{
    size_t len = name ? strlen(name) : 0;
    uint64_t n = hub_dtype_size(dtype);

    if (len == 0 || len >= NAME_MAX_BYTES || name[0] == '/' ||
        name[len - 1] == '/' || strstr(name, "//"))
        return ctx_error(ctx, EINVAL, "bad tensor name '%s'",
                         name ? name : "(null)");
    if (n == 0 || ndims < 0 || ndims > CKPT_MAX_DIMS || (ndims > 0 && !dims) ||
        (unsigned)shard > HUB_SHARD_PRIVATE)
        return ctx_error(ctx, EINVAL, "tensor '%s': bad dtype, dims or shard",
                         name);
    for (int d = 0; d < ndims; d++) {
        if (dims[d] && n > UINT64_MAX / dims[d])
            return ctx_error(ctx, EOVERFLOW, "tensor '%s' is too big", name);
        n *= dims[d];
    }
    if (n && !data)
        return ctx_error(ctx, EINVAL, "tensor '%s': no data", name);
    *bytes = n;
    return 0;
}

/* The next free slot of st->t, named name; NULL when out of memory. */
static struct ckpt_tensor *new_tensor(struct ckpt_state *st, const char *name)
{
    if (st->nt == st->cap_t) {
        size_t cap = st->cap_t ? 2 * st->cap_t : 32;
        struct ckpt_tensor *nt = realloc(st->t, cap * sizeof(*nt));
        if (!nt)
            return NULL;
        st->t = nt;
        st->cap_t = cap;
    }
    memset(&st->t[st->nt], 0, sizeof(st->t[0]));
    st->t[st->nt].name = strdup(name);
    return st->t[st->nt].name ? &st->t[st->nt] : NULL;
}

int hub_ckpt_add(hub_ctx_t *ctx, const char *name, const void *data,
                 hub_dtype_t dtype, int ndims, const uint64_t *dims,
                 hub_shard_t shard)
{
    struct ckpt_state *st = ctx->ckpt;
    struct ckpt_tensor *t;
    uint64_t bytes = 0;
    int rc;

    if (!st || !st->open)
        return ctx_error(ctx, EINVAL, "hub_ckpt_add outside begin/commit");
    if ((rc = check_tensor(ctx, name, data, dtype, ndims, dims, shard,
                           &bytes)) < 0)
        return rc;
    if (shard == HUB_SHARD_REPLICATED && st->rank != 0)
        return 0; /* rank 0 saves it */
    for (size_t i = 0; i < st->nt; i++)
        if (strcmp(st->t[i].name, name) == 0)
            return ctx_error(ctx, EEXIST, "tensor '%s' added twice", name);
    if (!(t = new_tensor(st, name)))
        return ctx_error(ctx, ENOMEM, "checkpoint: out of memory");
    *t = (struct ckpt_tensor){.name = t->name,
                              .data = data,
                              .dtype = dtype,
                              .shard = shard,
                              .ndims = ndims,
                              .bytes = bytes};
    memcpy(t->dims, dims, (size_t)ndims * sizeof(*dims));
    if ((st->flags & HUB_CKPT_ASYNC) && !(st->flags & HUB_CKPT_ASYNC_NOCOPY) &&
        ckpt_async_copy(st, st->nt, data, bytes) < 0) {
        free(t->name);
        return ctx_error(ctx, ENOMEM, "tensor '%s': no memory for its copy",
                         name);
    }
    st->nt++;
    return 0;
}

/* Collective. The synchronous commit after the layout: every rank's
 * file, then rank 0's index and marker; all ranks return rank 0's rc. */
static int commit_sync(hub_ctx_t *ctx, hub_error_t *err)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t ignored;
    int rc = agree(ctx, ckpt_write_rank(st, err));

    if (st->rank == 0 && rc == 0)
        rc = ckpt_finish(st, 0, err);
    else if (st->rank == 0)
        ckpt_mark_failed(st, err->text[0] ? err->text : "a rank failed",
                         &ignored);
    MPI_Bcast(&rc, 1, MPI_INT, 0, ctx->comm);
    return rc;
}

int hub_ckpt_commit(hub_ctx_t *ctx)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t err = {""};
    int rc;

    if (!st || !st->open)
        return ctx_error(ctx, EINVAL, "hub_ckpt_commit without begin");
    st->open = false;
    rc = agree(ctx, ckpt_write_layout(st, &err));
    if (rc == 0 && (st->flags & HUB_CKPT_ASYNC)) {
        ckpt_async_start(st);
    } else if (rc == 0) {
        rc = commit_sync(ctx, &err);
        if (rc == 0)
            metrics_ckpt_committed(ctx, st->step, ckpt_now() - st->begin_s);
    }
    if (rc < 0)
        return ctx_error(ctx, -rc, "checkpoint step-%" PRId64 ": %s", st->step,
                         err.text[0] ? err.text : "failed on another rank");
    return 0;
}

int hub_ckpt_wait(hub_ctx_t *ctx)
{
    if (!ctx->ckpt)
        return ctx_error(ctx, EINVAL, "checkpoints are not initialised");
    return join_writer(ctx);
}

int hub_ckpt_requested(hub_ctx_t *ctx)
{
    sig_atomic_t seen = received;
    int mine = seen != acted_on, any = 0;
    hub_error_t err;
    int rc = mpierr(MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, ctx->comm),
                    "hub_ckpt_requested", &err);

    if (rc < 0)
        return ctx_error(ctx, -rc, "%s", err.text);
    if (any)
        acted_on = seen;
    return any;
}

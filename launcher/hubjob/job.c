/* job.c - hub_job_init/finalize: MPI, the modules in the order ctx.h
 * gives, the job file on rank 0; the accessors and ctx_error. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "env.h"
#include "events.h"
#include "h5util.h"
#include "jobfile.h"
#include "log.h"
#include "mpierr.h"

int ctx_error(hub_ctx_t *ctx, int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
    va_end(ap);
    return -errnum;
}

size_t hub_dtype_size(hub_dtype_t dtype)
{
    switch (dtype) {
    case HUB_DTYPE_FLOAT64:
    case HUB_DTYPE_INT64:
        return 8;
    case HUB_DTYPE_FLOAT32:
    case HUB_DTYPE_INT32:
        return 4;
    case HUB_DTYPE_BFLOAT16:
    case HUB_DTYPE_FLOAT16:
        return 2;
    case HUB_DTYPE_UINT8:
        return 1;
    }
    return 0;
}

/* MPI up (unless the program started it), and our own communicator. */
static int mpi_start(hub_ctx_t *c, int *argc, char ***argv)
{
    hub_error_t err;
    int inited = 0, finalized = 0, rc;

    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (finalized)
        return ctx_error(c, EINVAL, "MPI was already finalized");
    if (!inited) {
        rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &c->mpi_thread);
        if (rc != MPI_SUCCESS)
            return ctx_error(c, EIO, "MPI_Init_thread failed (%d)", rc);
        c->mpi_inited_here = true;
    } else {
        MPI_Query_thread(&c->mpi_thread);
    }
    if ((rc = mpierr(MPI_Comm_dup(MPI_COMM_WORLD, &c->comm), "MPI_Comm_dup",
                     &err)) < 0)
        return ctx_error(c, -rc, "%s", err.text);
    MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
    return 0;
}

/* Collective: every rank's rc agreed on. A rank that succeeded while
 * another failed says which one did. */
static int agree(hub_ctx_t *c, int rc)
{
    int mine[2] = {rc, c->rank}, worst[2];

    if (MPI_Allreduce(mine, worst, 1, MPI_2INT, MPI_MINLOC, c->comm) !=
        MPI_SUCCESS)
        return rc < 0 ? rc : ctx_error(c, EIO, "init: ranks cannot agree");
    if (worst[0] < 0 && rc == 0)
        return ctx_error(c, -worst[0],
                         "rank %d failed to initialise (see "
                         "its message)",
                         worst[1]);
    return worst[0];
}

/* What rank 0 learns from the job file and every rank needs. */
typedef struct file_news {
    int64_t last_step;
    int32_t rc, restart;
} file_news_t;

/* Rank 0: open the file, settle the restart number, record "start". */
static void open_on_root(hub_ctx_t *c, file_news_t *news)
{
    double now = events_epoch_s();
    jobfile_prev_t prev;
    hub_error_t err;

    news->rc = jobfile_open(c, now, &c->jobfile, &prev, &err);
    if (news->rc < 0) {
        news->rc = ctx_error(c, -news->rc, "%s", err.text);
        return;
    }
    news->last_step = prev.last_step;
    news->restart = c->restart_count > prev.last_run + 1 ? c->restart_count
                                                         : prev.last_run + 1;
    c->restart_count = news->restart;
    news->rc = jobfile_set_run(c->jobfile, news->restart, &err);
    if (news->rc < 0)
        news->rc = ctx_error(c, -news->rc, "job file: %s", err.text);
    else
        news->rc = events_record(c, "start", -1, 0,
                                 "restart=%d ranks=%d devices=%s "
                                 "peak_flops=%.6g precision=%s node=%s",
                                 c->restart_count, c->world, c->devices,
                                 c->peak_flops, c->precision, c->node);
}

static int open_jobfile(hub_ctx_t *c)
{
    file_news_t news = {-1, 0, 0};

    if (c->rank == 0)
        open_on_root(c, &news);
    if (MPI_Bcast(&news, sizeof(news), MPI_BYTE, 0, c->comm) != MPI_SUCCESS)
        return ctx_error(c, EIO, "init: cannot share the job file's state");
    if (news.rc < 0)
        return c->rank == 0 ? news.rc
                            : ctx_error(c, -news.rc,
                                        "rank 0 could not "
                                        "open the job file %s",
                                        c->job_file);
    c->prev_last_step = news.last_step;
    c->restart_count = news.restart;
    return events_launcher(c);
}

/* comm, metrics, ckpt, each agreed on; unwound on failure. */
static int start_modules(hub_ctx_t *c)
{
    int rc = agree(c, comm_init(c));

    if (rc < 0)
        return rc;
    if ((rc = agree(c, metrics_init(c))) < 0) {
        comm_fini(c);
        return rc;
    }
    if ((rc = agree(c, ckpt_init(c))) < 0) {
        metrics_fini(c);
        comm_fini(c);
    }
    return rc;
}

static void destroy(hub_ctx_t *c)
{
    jobfile_close(c->jobfile);
    if (c->comm != MPI_COMM_NULL)
        MPI_Comm_free(&c->comm);
    if (c->mpi_inited_here)
        MPI_Finalize();
    free(c);
}

int hub_job_init(hub_ctx_t **ctx, int *argc, char ***argv)
{
    hub_ctx_t *c;
    int rc;

    if (!ctx)
        return -EINVAL;
    *ctx = NULL;
    if (!(c = calloc(1, sizeof(*c)))) {
        hub_log_error("hubjob: out of memory");
        return -ENOMEM;
    }
    c->comm = MPI_COMM_NULL;
    c->prev_last_step = -1;
    h5u_quiet();
    rc = mpi_start(c, argc, argv);
    if (rc == 0)
        rc = agree(c, env_init(c));
    if (rc == 0)
        rc = agree(c, open_jobfile(c));
    if (rc == 0)
        rc = start_modules(c);
    if (rc < 0) {
        if (c->rank == 0)
            hub_log_error("hubjob: %s", c->error);
        destroy(c);
        return rc;
    }
    *ctx = c;
    return 0;
}

int hub_job_finalize(hub_ctx_t *ctx)
{
    int rc;

    if (!ctx)
        return -EINVAL;
    ckpt_fini(ctx);
    rc = metrics_fini(ctx);
    comm_fini(ctx);
    if (rc < 0 && ctx->rank == 0)
        hub_log_error("hubjob: finalize: %s", ctx->error);
    destroy(ctx);
    return rc;
}

const char *hub_job_error(const hub_ctx_t *ctx)
{
    return ctx ? ctx->error : "no job context";
}

int hub_job_rank(const hub_ctx_t *ctx)
{
    return ctx ? ctx->rank : 0;
}

int hub_job_world(const hub_ctx_t *ctx)
{
    return ctx ? ctx->world : 1;
}

int hub_job_local_rank(const hub_ctx_t *ctx)
{
    return ctx ? ctx->local_rank : 0;
}

int hub_job_local_world(const hub_ctx_t *ctx)
{
    return ctx ? ctx->local_world : 1;
}

const char *hub_job_node(const hub_ctx_t *ctx)
{
    return ctx ? ctx->node : "";
}

const char *hub_job_id(const hub_ctx_t *ctx)
{
    return ctx ? ctx->job_id : "";
}

int hub_job_restart_count(const hub_ctx_t *ctx)
{
    return ctx ? ctx->restart_count : 0;
}

const char *hub_job_ckpt_dir(const hub_ctx_t *ctx)
{
    return ctx ? ctx->ckpt_dir : "";
}

const char *hub_job_file(const hub_ctx_t *ctx)
{
    return ctx ? ctx->job_file : "";
}

int hub_job_gpus(const hub_ctx_t *ctx)
{
    return ctx ? ctx->ngpus : 0;
}

double hub_job_peak_flops(const hub_ctx_t *ctx)
{
    return ctx ? ctx->peak_flops : 0;
}

/* hubjob_check.c - libhubjob under mpirun, driven by tests/mpi/hubjob_*.sh.
 *
 *   hubjob_check facts
 *       every rank checks its rank, world and local rank against Open
 *       MPI's OMPI_COMM_WORLD_* variables ("ok - ..." / "not ok - ..."
 *       lines from rank 0), then rank 0 prints "fact key=value" lines
 *       (world, job id, restart count, paths, peak FLOP/s, devices) for
 *       the script to compare with what it set.
 *   hubjob_check steps FIRST LAST [RESUME]
 *       a training loop over steps FIRST..LAST (4096 tokens, loss 2.5,
 *       GPT-2 small); after a restart, RESUME is the checkpoint step the
 *       run resumed from (metrics_resumed, as the checkpoint module
 *       calls it).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "hubjob.h"

/* Collective: "ok"/"not ok - what" on rank 0, failed anywhere = not ok. */
static int check(hub_ctx_t *ctx, int ok, const char *what)
{
    int all = 0;

    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (hub_job_rank(ctx) == 0)
        printf("%s - %s\n", all ? "ok" : "not ok", what);
    return all ? 0 : 1;
}

static int env_int(const char *name)
{
    const char *v = getenv(name);

    return v ? atoi(v) : -1;
}

static int facts(hub_ctx_t *ctx)
{
    int bad = 0;

    bad |= check(ctx, hub_job_rank(ctx) == env_int("OMPI_COMM_WORLD_RANK"),
                 "rank is OMPI_COMM_WORLD_RANK");
    bad |= check(ctx, hub_job_world(ctx) == env_int("OMPI_COMM_WORLD_SIZE"),
                 "world is OMPI_COMM_WORLD_SIZE");
    bad |= check(
        ctx, hub_job_local_rank(ctx) == env_int("OMPI_COMM_WORLD_LOCAL_RANK"),
        "local rank is OMPI_COMM_WORLD_LOCAL_RANK");
    if (hub_job_rank(ctx) == 0)
        printf("fact world=%d\nfact local_world=%d\nfact job_id=%s\n"
               "fact restart=%d\nfact ckpt_dir=%s\nfact job_file=%s\n"
               "fact peak_flops=%.6g\nfact gpus=%g\nfact cores=%g\n"
               "fact devices=%s\n",
               hub_job_world(ctx), hub_job_local_world(ctx), hub_job_id(ctx),
               hub_job_restart_count(ctx), hub_job_ckpt_dir(ctx),
               hub_job_file(ctx), hub_job_peak_flops(ctx), ctx->job_gpus,
               ctx->job_cores, ctx->devices);
    return bad;
}

static int steps(hub_ctx_t *ctx, int64_t first, int64_t last, int64_t resume)
{
    hub_model_t m = {.params = 124e6,
                     .layers = 12,
                     .heads = 12,
                     .head_dim = 64,
                     .seq_len = 1024,
                     .name = "gpt2-small"};
    int bad = 0, rc = 0;

    bad |= check(ctx, hub_job_set_model(ctx, &m) == 0, "set the model");
    if (resume >= 0)
        metrics_resumed(ctx, resume);
    for (int64_t s = first; s <= last && rc == 0; s++) {
        hub_step_begin(ctx, s);
        rc = hub_step_end(ctx, 4096, 2.5);
    }
    bad |= check(ctx, rc == 0, "steps end without error");
    return bad;
}

int main(int argc, char **argv)
{
    hub_ctx_t *ctx;
    int bad;

    if (argc < 2 || hub_job_init(&ctx, &argc, &argv) < 0)
        return 2;
    if (strcmp(argv[1], "facts") == 0)
        bad = facts(ctx);
    else if (strcmp(argv[1], "steps") == 0 && argc >= 4)
        bad = steps(ctx, atoll(argv[2]), atoll(argv[3]),
                    argc > 4 ? atoll(argv[4]) : -1);
    else
        bad = 2;
    if (hub_job_finalize(ctx) < 0)
        bad = 1;
    return bad;
}

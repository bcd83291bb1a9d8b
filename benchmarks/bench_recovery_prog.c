/* bench_recovery_prog.c - the MPI program that hrun's recovery benchmark
 * (bench_recovery) and tests (tests/mpi/hrun_*.sh) run: a data-parallel
 * "training" loop through libhubjob with a state of a chosen size,
 * checkpointed and resumed bit for bit.
 *
 *   bench_recovery_prog [--steps N] [--state-mb M] [--step-ms T]
 *                       [--ckpt-every K] [--stop-file F] [--hello] [--fail]
 *
 * Each rank holds M MiB / world of floats (a dim0 shard: the checkpoint
 * is M MiB in all). A step updates every element deterministically from
 * the step number, all-reduces one value (so that the ranks stay in step
 * and a dead rank stops the others) and sleeps T ms. Every K steps and
 * on request (SIGUSR1 to hrun) it saves a checkpoint (asynchronously:
 * the step loop stalls for one copy of the state). It resumes from the
 * newest checkpoint. It stops after N steps, or at the first step after
 * file F appears (rank 0 looks; the all-reduce tells the others). At the end
 * rank 0 prints "state-hash H" (over every rank's shard): equal hashes mean
 * equal final states.
 *
 * --hello prints "rank R/N local L gpus CUDA_VISIBLE_DEVICES" and exits;
 * --fail exits 3 before the first step (a failure loop).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hubjob.h"

typedef struct opts {
    int64_t steps, ckpt_every;
    double state_mb, step_ms;
    const char *stop_file;
    int hello, fail;
} opts_t;

static int parse(int argc, char **argv, opts_t *o)
{
    *o = (opts_t){.steps = 100, .ckpt_every = 10, .state_mb = 1, .step_ms = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--hello") == 0)
            o->hello = 1;
        else if (strcmp(a, "--fail") == 0)
            o->fail = 1;
        else if (v && strcmp(a, "--steps") == 0 && ++i)
            o->steps = atoll(v);
        else if (v && strcmp(a, "--ckpt-every") == 0 && ++i)
            o->ckpt_every = atoll(v);
        else if (v && strcmp(a, "--state-mb") == 0 && ++i)
            o->state_mb = atof(v);
        else if (v && strcmp(a, "--step-ms") == 0 && ++i)
            o->step_ms = atof(v);
        else if (v && strcmp(a, "--stop-file") == 0 && ++i)
            o->stop_file = v;
        else
            return -1;
    }
    return 0;
}

static void update(float *x, size_t n, int64_t step)
{
    float a = 0.999f, b = (float)(step % 97) * 1e-3f;

    for (size_t i = 0; i < n; i++)
        x[i] = x[i] * a + b;
}

static uint64_t hash(const float *x, size_t n)
{
    const unsigned char *p = (const unsigned char *)x;
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < n * sizeof(*x); i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int save(hub_ctx_t *ctx, int64_t step, float *x, size_t n)
{
    uint64_t dims[1] = {n}, one[1] = {1};
    int64_t next = step + 1;
    int rc;

    if ((rc = hub_ckpt_begin(ctx, next, HUB_CKPT_ASYNC)) < 0 ||
        (rc = hub_ckpt_add(ctx, "state", x, HUB_DTYPE_FLOAT32, 1, dims,
                           HUB_SHARD_DIM0)) < 0 ||
        (rc = hub_ckpt_add(ctx, "next_step", &next, HUB_DTYPE_INT64, 1, one,
                           HUB_SHARD_REPLICATED)) < 0)
        return rc;
    return hub_ckpt_commit(ctx);
}

/* Resume: *step is where to start (0 without a checkpoint). A damaged
 * checkpoint is skipped for the one before (hubjob.h's restore loop). */
static int resume(hub_ctx_t *ctx, float *x, size_t n, int64_t *step)
{
    uint64_t dims[1] = {n}, one[1] = {1};
    int64_t ck;
    int rc;

    *step = 0;
    while ((rc = hub_ckpt_latest(ctx, &ck)) == 0) {
        int r1 = hub_ckpt_read(ctx, ck, "state", x, HUB_DTYPE_FLOAT32, 1, dims);
        int r2 =
            hub_ckpt_read(ctx, ck, "next_step", step, HUB_DTYPE_INT64, 1, one);
        if ((r1 < 0 && r1 != -EBADMSG) || (r2 < 0 && r2 != -EBADMSG))
            return r1 < 0 ? r1 : r2;
        if ((rc = hub_ckpt_read_end(ctx, ck)) != -EBADMSG)
            return rc;
    }
    *step = 0;
    return rc == -ENOENT ? 0 : rc;
}

static int train(hub_ctx_t *ctx, const opts_t *o, float *x, size_t n)
{
    struct timespec nap = {0, (long)(o->step_ms * 1e6)};
    int64_t step;
    double v[2]; /* x[0] summed, stop flag */
    int rc, req;

    if ((rc = resume(ctx, x, n, &step)) < 0)
        return rc;
    for (v[1] = 0; step < o->steps && v[1] == 0; step++) {
        hub_step_begin(ctx, step);
        update(x, n, step);
        v[0] = x[0];
        v[1] = hub_job_rank(ctx) == 0 && o->stop_file &&
               access(o->stop_file, F_OK) == 0;
        if ((rc = hub_comm_allreduce(ctx, v, v, 2, HUB_DTYPE_FLOAT64,
                                     HUB_OP_SUM)) < 0)
            return rc;
        nanosleep(&nap, NULL);
        hub_step_end(ctx, 1000, v[0]);
        if ((req = hub_ckpt_requested(ctx)) < 0)
            return req;
        if (req && hub_job_rank(ctx) == 0)
            printf("checkpoint on request at step %" PRId64 "\n", step);
        if ((req || (o->ckpt_every > 0 && (step + 1) % o->ckpt_every == 0)) &&
            (rc = save(ctx, step, x, n)) < 0)
            return rc;
    }
    return hub_ckpt_wait(ctx);
}

static void hello(hub_ctx_t *ctx)
{
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES");

    printf("rank %d/%d local %d gpus %s\n", hub_job_rank(ctx),
           hub_job_world(ctx), hub_job_local_rank(ctx), cvd ? cvd : "-");
}

int main(int argc, char **argv)
{
    hub_ctx_t *ctx;
    opts_t o;
    float *x = NULL;
    size_t n;
    uint64_t h, all = 0;
    int rc = 0;

    if (parse(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: bench_recovery_prog [--steps N] [--state-mb M]"
                        " [--step-ms T] [--ckpt-every K] [--stop-file F]"
                        " [--hello] [--fail]\n");
        return 2;
    }
    if (o.fail)
        return 3;
    if (hub_job_init(&ctx, &argc, &argv) < 0)
        return 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    n = (size_t)(o.state_mb * 1048576 / 4 / hub_job_world(ctx));
    if (o.hello)
        hello(ctx);
    else if (!(x = calloc(n ? n : 1, sizeof(*x))))
        rc = -ENOMEM;
    else if ((rc = train(ctx, &o, x, n)) == 0) {
        h = hash(x, n);
        hub_comm_allreduce(ctx, &h, &all, 1, HUB_DTYPE_INT64, HUB_OP_SUM);
        if (hub_job_rank(ctx) == 0)
            printf("state-hash %016" PRIx64 "\n", all);
    }
    if (rc < 0)
        fprintf(stderr, "bench_recovery_prog: rank %d: %s\n", hub_job_rank(ctx),
                hub_job_error(ctx));
    free(x);
    hub_job_finalize(ctx);
    return rc < 0 ? 1 : 0;
}

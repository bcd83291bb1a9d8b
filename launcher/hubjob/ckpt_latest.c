/* ckpt_latest.c - hub_ckpt_latest: which checkpoint to restore.
 *
 * Steps are tried newest first (rank 0's listing, broadcast). A rank
 * accepts a step when no earlier hub_ckpt_read_end found it bad, its
 * COMPLETE marker and index are there, and the files the rank will read
 * (its own, rank 0's for replicated tensors) have the sizes the index
 * recorded and HDF5 metadata that place every tensor it will read where
 * and as large as the index says. The data's checksums are checked by
 * hub_ckpt_read, in the same pass that fills the caller's buffers
 * (ckpt_read.c says why). The ranks agree with one MPI_Allreduce per
 * step, so all pick the same one; rank 0 warns about the steps skipped.
 */
#include "ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Why an earlier hub_ckpt_read_end refused step, or NULL. */
static const hub_error_t *known_bad(const struct ckpt_state *st, int64_t step)
{
    for (size_t i = 0; i < st->nbad; i++)
        if (st->bad[i].step == step)
            return &st->bad[i].why;
    return NULL;
}

/* This rank's verdict on step: 0 and *out, or -1 with why. */
static int check_step(const struct ckpt_state *st, int64_t step,
                      struct ckpt_index **out, hub_error_t *why)
{
    const hub_error_t *bad = known_bad(st, step);
    char path[CKPT_PATH_MAX];
    struct ckpt_index *idx;
    hub_error_t jerr;
    int rc = 0;

    *out = NULL;
    if (bad) {
        *why = *bad;
        return -1;
    }
    ckpt_path(path, st, step, "COMPLETE");
    if (!ckpt_exists(path))
        return hub_errorf(why, ENOENT, "incomplete (no COMPLETE marker)");
    if (ckpt_json_load(st, step, &idx, &jerr) < 0)
        return hub_errorf(why, EIO, "unreadable (%s)", jerr.text);
    if (st->rank < idx->world)
        rc = ckpt_part_check(st, idx, st->rank, why);
    if (rc == 0 && st->rank != 0)
        rc = ckpt_part_check(st, idx, 0, why);
    if (rc < 0) {
        ckpt_index_free(idx);
        return -1;
    }
    *out = idx;
    return 0;
}

/* Collective: the candidate steps as rank 0 sees them, oldest first. */
static int list_steps(hub_ctx_t *ctx, int64_t **steps, int *n)
{
    struct ckpt_state *st = ctx->ckpt;
    hub_error_t err;
    size_t count = 0;

    *steps = NULL;
    if (st->rank == 0 && ckpt_list_steps(st->dir, steps, &count, &err) < 0)
        count = 0; /* no directory: no checkpoint */
    *n = (int)count;
    MPI_Bcast(n, 1, MPI_INT, 0, ctx->comm);
    if (st->rank != 0 && *n > 0)
        *steps = malloc((size_t)*n * sizeof(**steps));
    if (ckpt_agree_why(ctx, *n == 0 || *steps, &err) != 0) {
        free(*steps);
        return ctx_error(ctx, ENOMEM, "checkpoint scan: out of memory");
    }
    if (*n > 0)
        MPI_Bcast(*steps, *n, MPI_INT64_T, 0, ctx->comm);
    return 0;
}

/* Skipped steps remembered for the warning; more are counted. */
#define SKIPPED_MAX 8

struct skipped {
    int n;
    int64_t step[SKIPPED_MAX];
    hub_error_t why[SKIPPED_MAX];
};

/* Warn about the steps skipped before settling on `used` (-1: none). */
static void warn_skipped(const struct ckpt_state *st, const struct skipped *sk,
                         int64_t used)
{
    char tail[64] = "no older checkpoint is left";

    if (used >= 0)
        snprintf(tail, sizeof(tail), "using step-%" PRId64, used);
    for (int i = 0; i < sk->n && i < SKIPPED_MAX; i++)
        ckpt_warn(st, "checkpoint step-%" PRId64 " is %s: %s", sk->step[i],
                  sk->why[i].text, tail);
    if (sk->n > SKIPPED_MAX)
        ckpt_warn(st, "%d more checkpoints were skipped", sk->n - SKIPPED_MAX);
}

/* Collective. Walk steps newest first; the first that all ranks accept
 * goes into st->index and *used. 0, -ENOENT when none, or an error. */
static int pick(hub_ctx_t *ctx, const int64_t *steps, int n, int64_t *used)
{
    struct ckpt_state *st = ctx->ckpt;
    struct skipped sk = {0};
    int rc = -ENOENT;

    *used = -1;
    for (int i = n - 1; i >= 0 && rc == -ENOENT; i--) {
        hub_error_t err = {""};
        struct ckpt_index *idx;
        bool ok = check_step(st, steps[i], &idx, &err) == 0;
        int verdict = ckpt_agree_why(ctx, ok, &err);
        if (verdict == 0) {
            st->index = idx;
            *used = steps[i];
            rc = 0;
            break;
        }
        ckpt_index_free(idx);
        if (verdict < 0)
            return ctx_error(ctx, -verdict, "%s", err.text);
        if (sk.n < SKIPPED_MAX) {
            sk.why[sk.n] = err;
            sk.step[sk.n] = steps[i];
        }
        sk.n++;
    }
    warn_skipped(st, &sk, *used);
    return rc;
}

int hub_ckpt_latest(hub_ctx_t *ctx, int64_t *step)
{
    struct ckpt_state *st = ctx->ckpt;
    int64_t *steps, used;
    int n, rc;

    if (!st)
        return ctx_error(ctx, EINVAL, "checkpoints are not initialised");
    /* Our own writer first; the barrier waits for everyone's (rank 0's
     * may still be pruning the directories about to be scanned). */
    if (hub_ckpt_wait(ctx) < 0)
        ckpt_warn(st, "%s", ctx->error);
    MPI_Barrier(ctx->comm);
    ckpt_read_reset(st);
    if ((rc = list_steps(ctx, &steps, &n)) < 0)
        return rc;
    rc = pick(ctx, steps, n, &used);
    free(steps);
    if (rc == -ENOENT)
        return ctx_error(ctx, ENOENT, "no usable checkpoint in %s", st->dir);
    if (rc == 0)
        *step = used;
    return rc;
}

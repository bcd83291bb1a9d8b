/* ckpt_fixture.c - the checkpoint tests' tensors (see ckpt_fixture.h). */
#include "ckpt_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BIG 4096

/* One fixture tensor; dims[0] of DIM0 ones grows with the rank. */
struct fix {
    const char *name;
    hub_dtype_t dtype;
    hub_shard_t shard;
    int ndims;
    uint64_t dims[3];
};

static const struct fix fixtures[] = {
    {"model/w_f32", HUB_DTYPE_FLOAT32, HUB_SHARD_DIM0, 2, {2, 3}},
    {"model/w_bf16", HUB_DTYPE_BFLOAT16, HUB_SHARD_REPLICATED, 2, {5, 7}},
    {"model/w_f16", HUB_DTYPE_FLOAT16, HUB_SHARD_DIM0, 1, {4}},
    {"opt/m_f64", HUB_DTYPE_FLOAT64, HUB_SHARD_REPLICATED, 3, {2, 2, 2}},
    {"opt/v_f64", HUB_DTYPE_FLOAT64, HUB_SHARD_DIM0, 1, {3}},
    {"rng/state", HUB_DTYPE_INT32, HUB_SHARD_PRIVATE, 1, {6}},
    {"data/cursor", HUB_DTYPE_INT64, HUB_SHARD_PRIVATE, 0, {0}},
    {"step_i64", HUB_DTYPE_INT64, HUB_SHARD_REPLICATED, 1, {1}},
    {"bytes_u8", HUB_DTYPE_UINT8, HUB_SHARD_DIM0, 1, {1000}},
    {"empty", HUB_DTYPE_FLOAT32, HUB_SHARD_REPLICATED, 1, {0}},
    {"big", HUB_DTYPE_FLOAT32, HUB_SHARD_DIM0, 1, {0}},
};
#define NFIX (sizeof(fixtures) / sizeof(fixtures[0]))

/* This rank's dims of fixture k; returns its size in bytes. */
static size_t fix_dims(const struct fix *f, int rank, uint64_t big,
                       uint64_t *dims)
{
    size_t n = hub_dtype_size(f->dtype);

    for (int d = 0; d < f->ndims; d++) {
        dims[d] = f->dims[d];
        if (d == 0 && f->shard == HUB_SHARD_DIM0)
            dims[d] += (uint64_t)rank;
        n *= dims[d];
    }
    if (strcmp(f->name, "big") == 0) {
        dims[0] = big;
        n = big * hub_dtype_size(f->dtype);
    }
    return n;
}

/* Deterministic bytes for (step, owner, k): xorshift64. */
static void fill(unsigned char *p, size_t n, int64_t step, int owner, size_t k)
{
    uint64_t x = 0x9e3779b97f4a7c15ull ^ ((uint64_t)step * 1000003u) ^
                 ((uint64_t)owner << 20) ^ ((uint64_t)k << 40);

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)(x >> 24);
    }
}

static int owner_of(const struct fix *f, int rank)
{
    return f->shard == HUB_SHARD_REPLICATED ? 0 : rank;
}

int ckpt_fix_save(hub_ctx_t *ctx, int64_t step, int flags, uint64_t big_elems)
{
    uint64_t big = big_elems ? big_elems : DEFAULT_BIG;
    int rank = hub_job_rank(ctx);
    unsigned char *bufs[NFIX] = {0};
    int rc = hub_ckpt_begin(ctx, step, flags);

    for (size_t k = 0; rc == 0 && k < NFIX; k++) {
        uint64_t dims[3];
        size_t n = fix_dims(&fixtures[k], rank, big, dims);
        if (!(bufs[k] = malloc(n ? n : 1))) {
            rc = -ENOMEM;
            break;
        }
        fill(bufs[k], n, step, owner_of(&fixtures[k], rank), k);
        rc = hub_ckpt_add(ctx, fixtures[k].name, bufs[k], fixtures[k].dtype,
                          fixtures[k].ndims, dims, fixtures[k].shard);
        /* An asynchronous checkpoint copied the data: scribble on it. */
        if ((flags & HUB_CKPT_ASYNC) && !(flags & HUB_CKPT_ASYNC_NOCOPY))
            memset(bufs[k], 0xee, n);
    }
    if (rc == 0)
        rc = hub_ckpt_commit(ctx);
    if (rc == 0 && (flags & (HUB_CKPT_ASYNC | HUB_CKPT_ASYNC_NOCOPY)))
        rc = hub_ckpt_wait(ctx);
    for (size_t k = 0; k < NFIX; k++)
        free(bufs[k]);
    return rc;
}

/* Compare tensor k as read back with what was saved. */
static int check_one(hub_ctx_t *ctx, int64_t step, size_t k, uint64_t big,
                     char *why, size_t why_len)
{
    const struct fix *f = &fixtures[k];
    int rank = hub_job_rank(ctx);
    uint64_t dims[3];
    size_t n = fix_dims(f, rank, big, dims);
    unsigned char *want = malloc(n + 1), *got = malloc(n + 1);
    int rc = want && got ? 0 : -ENOMEM;

    if (rc == 0) {
        fill(want, n, step, owner_of(f, rank), k);
        memset(got, 0x5a, n);
        rc = hub_ckpt_read(ctx, step, f->name, got, f->dtype, f->ndims, dims);
    }
    if (rc < 0)
        snprintf(why, why_len, "%s: read failed: %s", f->name,
                 hub_job_error(ctx));
    else if (memcmp(want, got, n) != 0) {
        snprintf(why, why_len, "%s: bytes differ", f->name);
        rc = 1;
    }
    free(want);
    free(got);
    return rc;
}

int ckpt_fix_check(hub_ctx_t *ctx, int64_t step, uint64_t big_elems, char *why,
                   size_t why_len)
{
    uint64_t big = big_elems ? big_elems : DEFAULT_BIG;
    int rc = 0;

    for (size_t k = 0; rc == 0 && k < NFIX; k++)
        rc = check_one(ctx, step, k, big, why, why_len);
    return rc;
}

int ckpt_fix_restore(hub_ctx_t *ctx, int64_t *step, uint64_t big_elems,
                     char *why, size_t why_len)
{
    int rc;

    while ((rc = hub_ckpt_latest(ctx, step)) == 0) {
        int check;

        why[0] = '\0';
        check = ckpt_fix_check(ctx, *step, big_elems, why, why_len);
        rc = hub_ckpt_read_end(ctx, *step);
        if (rc != -EBADMSG)
            return rc < 0 ? rc : check;
    }
    return rc;
}

/* state.c - checkpoint and resume of the training state through
 * libhubjob (tensors listed in trainer.h): what a resume restores is
 * everything a step reads, so the resumed run is bitwise the run that
 * did not stop. On an accelerator the state goes through the host model
 * (gpt_trainer_sync before a save, put after a restore): a checkpoint is
 * the same bytes whichever device wrote it, and either can resume it. */
#include "trainer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define HEADER_LEN 8
#define CURSOR_LEN 5

static void header(const gpt_trainer_t *tr, int64_t h[HEADER_LEN])
{
    const gpt_config_t *c = &tr->model->cfg;

    h[0] = GPT_CKPT_MAGIC;
    h[1] = GPT_CKPT_VERSION;
    h[2] = c->vocab;
    h[3] = c->max_seq;
    h[4] = c->layers;
    h[5] = c->heads;
    h[6] = c->channels;
    h[7] = ((int64_t)tr->Bg << 20) + tr->T;
}

static void cursor_pack(const gpt_cursor_t *c, int64_t out[CURSOR_LEN])
{
    memcpy(out, c->rng.s, sizeof(c->rng.s));
    out[4] = c->seqs;
}

static void cursor_unpack(gpt_cursor_t *c, const int64_t in[CURSOR_LEN])
{
    memcpy(c->rng.s, in, sizeof(c->rng.s));
    c->seqs = in[4];
}

/* The checkpoint's tensors, for saving (want NULL) or restoring (want:
 * the header the checkpoint must have; -EPROTO, with nothing else read,
 * when it has another). */
static int transfer(gpt_trainer_t *tr, int64_t step, const int64_t *want,
                    int64_t *hdr, int64_t *cursor, const char **failed)
{
    uint64_t n = tr->model->nparams, nh = HEADER_LEN, nc = CURSOR_LEN;
    struct {
        const char *name;
        void *data;
        hub_dtype_t dtype;
        const uint64_t *dims;
    } t[] = {
        {"gpt/header", hdr, HUB_DTYPE_INT64, &nh},
        {"params", tr->model->params, HUB_DTYPE_FLOAT32, &n},
        {"adam/m", tr->m, HUB_DTYPE_FLOAT32, &n},
        {"adam/v", tr->v, HUB_DTYPE_FLOAT32, &n},
        {"data/cursor", cursor, HUB_DTYPE_INT64, &nc},
    };
    int rc = 0;

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && rc == 0; i++) {
        if (want)
            rc = hub_ckpt_read(tr->ctx, step, t[i].name, t[i].data, t[i].dtype,
                               1, t[i].dims);
        else
            rc = hub_ckpt_add(tr->ctx, t[i].name, t[i].data, t[i].dtype, 1,
                              t[i].dims, HUB_SHARD_REPLICATED);
        *failed = t[i].name;
        if (want && i == 0 && rc == 0 &&
            memcmp(hdr, want, HEADER_LEN * sizeof(*hdr)) != 0)
            return -EPROTO;
    }
    return rc;
}

void gpt_trainer_ckpt_wait(gpt_trainer_t *tr)
{
    double t0 = gpt_now();

    if (!tr->ckpt_writing)
        return;
    tr->ckpt_writing = false;
    if (hub_ckpt_wait(tr->ctx) < 0)
        fprintf(stderr, "gpt: warning: %s\n", hub_job_error(tr->ctx));
    tr->times.ckpt_s += gpt_now() - t0;
}

int gpt_trainer_save(gpt_trainer_t *tr, hub_error_t *err)
{
    const char *failed = "";
    double t0;
    int rc;

    gpt_trainer_ckpt_wait(tr); /* the sync below writes the host state */
    t0 = gpt_now();
    if ((rc = gpt_trainer_sync(tr, err)) < 0)
        return rc;
    header(tr, tr->ckpt_header);
    cursor_pack(&tr->cursor, tr->ckpt_cursor);
    if ((rc = hub_ckpt_begin(tr->ctx, tr->step, HUB_CKPT_ASYNC_NOCOPY)) < 0 ||
        (rc = transfer(tr, tr->step, NULL, tr->ckpt_header, tr->ckpt_cursor,
                       &failed)) < 0 ||
        (rc = hub_ckpt_commit(tr->ctx)) < 0)
        rc = hub_errorf(err, -rc, "checkpoint %" PRId64 " (%s): %s", tr->step,
                        failed, hub_job_error(tr->ctx));
    else
        tr->ckpt_writing = true;
    tr->times.ckpt_s += gpt_now() - t0;
    return rc;
}

/* Read checkpoint step into the trainer: 0, -EBADMSG when a rank found
 * it damaged (hub_ckpt_latest then offers the one before), or an error. */
static int restore_step(gpt_trainer_t *tr, int64_t step, hub_error_t *err)
{
    int64_t want[HEADER_LEN], hdr[HEADER_LEN], cursor[CURSOR_LEN];
    const char *failed = "";
    int rc, end;

    header(tr, want);
    rc = transfer(tr, step, want, hdr, cursor, &failed);
    if ((end = hub_ckpt_read_end(tr->ctx, step)) == -EBADMSG)
        return end;
    if (rc == -EPROTO && (hdr[0] != want[0] || hdr[1] != want[1]))
        return hub_errorf(err, EPROTO,
                          "checkpoint %" PRId64 " is not a GPT checkpoint "
                          "of format %d",
                          step, GPT_CKPT_VERSION);
    if (rc == -EPROTO)
        return hub_errorf(err, EINVAL,
                          "checkpoint %" PRId64 " is of another model or "
                          "batch shape than --config/--batch/--seq ask for",
                          step);
    if (rc < 0 || end < 0)
        return hub_errorf(err, rc < 0 ? -rc : -end,
                          "checkpoint %" PRId64 " (%s): %s", step,
                          rc < 0 ? failed : "read end", hub_job_error(tr->ctx));
    if (tr->accel && (rc = tr->accel->put(tr->acc, tr->model->params, tr->m,
                                          tr->v, err)) < 0)
        return rc;
    cursor_unpack(&tr->cursor, cursor);
    tr->step = step;
    return 0;
}

int gpt_trainer_resume(gpt_trainer_t *tr, hub_error_t *err)
{
    int64_t step;
    int rc;

    /* hubjob.h's restore loop: a damaged step is skipped next time. */
    while ((rc = hub_ckpt_latest(tr->ctx, &step)) == 0)
        if ((rc = restore_step(tr, step, err)) != -EBADMSG)
            return rc;
    if (rc == -ENOENT)
        return rc;
    return hub_errorf(err, -rc, "finding a checkpoint: %s",
                      hub_job_error(tr->ctx));
}

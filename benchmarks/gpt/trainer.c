/* trainer.c - one data-parallel training step and the validation loss
 * (see trainer.h); checkpoints are in state.c. */
#include "trainer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* rc from libhubjob as an error with its message. */
static int hub_fail(gpt_trainer_t *tr, int rc, const char *what,
                    hub_error_t *err)
{
    return hub_errorf(err, rc < 0 ? -rc : EIO, "%s: %s", what,
                      hub_job_error(tr->ctx));
}

/* The accelerator's state for tr, its parameters those of the host model
 * (already initialised). */
static int accel_create(gpt_trainer_t *tr, hub_error_t *err)
{
    hub_error_t e = {{0}};
    int rc = tr->accel->create(&tr->acc, tr->ctx, tr->model, tr->Bl, tr->T, &e);

    return rc < 0 ? hub_errorf(err, -rc, "%s: %s", tr->accel->name, e.text) : 0;
}

int gpt_trainer_create(gpt_trainer_t **out, hub_ctx_t *ctx,
                       const gpt_data_t *data, const gpt_config_t *cfg, int Bg,
                       int T, const gpt_adamw_t *opt,
                       const gpt_accel_ops_t *accel, uint64_t seed,
                       hub_error_t *err)
{
    int world = hub_job_world(ctx), rc;
    gpt_trainer_t *tr;

    *out = NULL;
    if (Bg <= 0 || Bg % world != 0)
        return hub_errorf(err, EINVAL,
                          "global batch %d is not a multiple of %d ranks", Bg,
                          world);
    if (T <= 0 || T > cfg->max_seq)
        return hub_errorf(err, EINVAL, "sequence length %d not in 1..%d", T,
                          cfg->max_seq);
    if (!(tr = calloc(1, sizeof(*tr))))
        return hub_errorf(err, ENOMEM, "out of memory");
    tr->ctx = ctx;
    tr->data = data;
    tr->opt = *opt;
    tr->Bg = Bg;
    tr->Bl = Bg / world;
    tr->T = T;
    tr->rank = hub_job_rank(ctx);
    tr->world = world;
    tr->accel = accel;
    /* on an accelerator the host model holds no activations */
    tr->model =
        accel ? gpt_model_create(cfg, 1, 1) : gpt_model_create(cfg, tr->Bl, T);
    tr->tokens = calloc((size_t)tr->Bl * T, sizeof(int));
    tr->targets = calloc((size_t)tr->Bl * T, sizeof(int));
    if (tr->model) {
        tr->m = calloc(tr->model->nparams, sizeof(float));
        tr->v = calloc(tr->model->nparams, sizeof(float));
    }
    if (!tr->model || !tr->tokens || !tr->targets || !tr->m || !tr->v) {
        gpt_trainer_destroy(tr);
        return hub_errorf(err, ENOMEM, "out of memory for the %s model",
                          cfg->name);
    }
    gpt_model_init(tr->model, seed);
    gpt_cursor_init(&tr->cursor, seed);
    if (accel && (rc = accel_create(tr, err)) < 0) {
        gpt_trainer_destroy(tr);
        return rc;
    }
    *out = tr;
    return 0;
}

void gpt_trainer_destroy(gpt_trainer_t *tr)
{
    if (!tr)
        return;
    gpt_trainer_ckpt_wait(tr); /* no writer may read what is freed */
    if (tr->accel)
        tr->accel->destroy(tr->acc);
    gpt_model_destroy(tr->model);
    free(tr->m);
    free(tr->v);
    free(tr->tokens);
    free(tr->targets);
    free(tr);
}

/* gpt_bucket_fn: average one gradient bucket over the ranks. */
static int allreduce_bucket(void *arg, size_t offset, size_t count)
{
    gpt_trainer_t *tr = arg;
    float *g = tr->model->grads + offset;
    double t0 = gpt_now();
    int rc =
        hub_comm_allreduce(tr->ctx, g, g, count, HUB_DTYPE_FLOAT32, HUB_OP_AVG);

    tr->times.comm_s += gpt_now() - t0;
    return rc;
}

/* The global mean of a per-rank mean (equal slices). */
static int average_loss(gpt_trainer_t *tr, float *loss, hub_error_t *err)
{
    int rc;

    if (tr->world == 1)
        return 0;
    if (tr->accel)
        return tr->accel->average(tr->acc, loss, err);
    rc = hub_comm_allreduce(tr->ctx, loss, loss, 1, HUB_DTYPE_FLOAT32,
                            HUB_OP_AVG);
    return rc < 0 ? hub_fail(tr, rc, "loss all-reduce", err) : 0;
}

/* Clip the gradients and apply AdamW at tr->step. */
static int optimise(gpt_trainer_t *tr, hub_error_t *err)
{
    gpt_model_t *m = tr->model;
    double t0;
    int rc = 0;

    /* the host state is about to change: a checkpoint reading it must be
     * done (an accelerator's update leaves the host copy alone) */
    if (!tr->accel)
        gpt_trainer_ckpt_wait(tr);
    t0 = gpt_now();
    tr->last_lr = gpt_adamw_lr(&tr->opt, tr->step);
    if (tr->accel) {
        rc = tr->accel->optimise(tr->acc, &tr->opt, tr->step, tr->last_lr,
                                 &tr->last_norm, err);
    } else {
        tr->last_norm = gpt_grad_norm(m->grads, m->nparams);
        gpt_grad_clip(&tr->opt, m->grads, m->nparams, tr->last_norm);
        gpt_adamw_update(&tr->opt, m, tr->m, tr->v, tr->step, tr->last_lr);
    }
    tr->times.optim_s += gpt_now() - t0;
    return rc;
}

/* This rank's forward pass: *loss its mean loss. */
static int forward(gpt_trainer_t *tr, float *loss, hub_error_t *err)
{
    if (tr->accel)
        return tr->accel->forward(tr->acc, tr->tokens, tr->targets, tr->Bl,
                                  tr->T, loss, err);
    *loss =
        gpt_model_forward(tr->model, tr->tokens, tr->targets, tr->Bl, tr->T);
    return 0;
}

/* Backward pass with the gradients averaged over the ranks. */
static int backward(gpt_trainer_t *tr, hub_error_t *err)
{
    int rc;

    if (tr->accel)
        return tr->accel->backward(tr->acc, &tr->times.comm_s, err);
    rc = gpt_model_backward(tr->model, tr->world > 1 ? allreduce_bucket : NULL,
                            tr);
    return rc < 0 ? hub_fail(tr, rc, "gradient all-reduce", err) : 0;
}

int gpt_trainer_step(gpt_trainer_t *tr, float *loss, hub_error_t *err)
{
    int rc, T = tr->T, Bl = tr->Bl;
    double t0;

    if ((rc = hub_step_begin(tr->ctx, tr->step)) < 0)
        return hub_fail(tr, rc, "hub_step_begin", err);
    t0 = gpt_now();
    gpt_data_train_batch(tr->data, &tr->cursor, tr->Bg, T, tr->rank * Bl, Bl,
                         tr->tokens, tr->targets);
    tr->times.data_s += gpt_now() - t0;
    if ((rc = forward(tr, loss, err)) < 0 || (rc = backward(tr, err)) < 0)
        return rc;
    t0 = gpt_now();
    rc = average_loss(tr, loss, err);
    tr->times.comm_s += gpt_now() - t0;
    if (rc < 0 || (rc = optimise(tr, err)) < 0)
        return rc;
    tr->step++;
    rc = hub_step_end(tr->ctx, (int64_t)tr->Bg * T, *loss);
    return rc < 0 ? hub_fail(tr, rc, "hub_step_end", err) : 0;
}

int gpt_trainer_val(gpt_trainer_t *tr, int nbatches, float *loss,
                    hub_error_t *err)
{
    int Bl = tr->Bl, T = tr->T, profile = tr->model->profile, rc = 0;
    double sum = 0;
    float l;

    tr->model->profile = 0; /* the profile is of training steps */
    for (int i = 0; i < nbatches; i++) {
        gpt_data_val_batch(tr->data, i, tr->Bg, T, tr->rank * Bl, Bl,
                           tr->tokens, tr->targets);
        if ((rc = forward(tr, &l, err)) < 0 ||
            (rc = average_loss(tr, &l, err)) < 0)
            break;
        sum += l;
    }
    tr->model->profile = profile;
    *loss = nbatches > 0 ? (float)(sum / nbatches) : 0.0f;
    return rc;
}

int gpt_trainer_sync(gpt_trainer_t *tr, hub_error_t *err)
{
    if (!tr->accel)
        return 0;
    gpt_trainer_ckpt_wait(tr); /* the host copy is about to change */
    return tr->accel->get(tr->acc, tr->model->params, tr->m, tr->v, err);
}

uint64_t gpt_trainer_param_hash(const gpt_trainer_t *tr)
{
    const unsigned char *p = (const unsigned char *)tr->model->params;
    size_t n = tr->model->nparams * sizeof(float);
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

hub_model_t gpt_trainer_hub_model(const gpt_trainer_t *tr)
{
    const gpt_config_t *c = &tr->model->cfg;
    hub_model_t m = {
        .params = (double)gpt_model_nonembedding_params(tr->model),
        .layers = c->layers,
        .heads = c->heads,
        .head_dim = c->channels / c->heads,
        .seq_len = tr->T,
        .name = c->name,
    };
    return m;
}

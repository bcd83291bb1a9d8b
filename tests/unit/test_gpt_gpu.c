/* test_gpt_gpu.c - the GPT model on a GPU (benchmarks/gpt/gpu.h) against
 * the CPU model (model.h): the tiny config with the same seed on both,
 * the GPU's parameters copied from the CPU's, one forward and backward on
 * the same batch, then the logits, the probabilities, the loss and every
 * parameter tensor's gradient compared, and one clipped AdamW step. The
 * GPU runs cuBLAS in pedantic float32 (no TF32) for this, so both sides
 * compute in float32 and differ only in the order of their sums and in
 * expf/tanhf: every element must lie within
 *     |gpu - cpu| <= RTOL x (|cpu| + max |cpu| over its tensor)
 * with RTOL = 1e-4 (the tensor's largest magnitude guards elements that
 * cancel to near zero). The GPU's own results must repeat bit for bit.
 *
 * Without a CUDA device (cudaGetDeviceCount fails or finds none) it says
 * why on stderr and exits 77, which tests/run-test.sh reports as SKIP.
 */
#include "cmocka_all.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"
#include "model.h"
#include "rng.h"

#define RTOL 1e-4
#define SEED 1337
#define B 4
#define T 32 /* tiny's maxT */

/* Both models and a batch, made once for all tests. */
typedef struct fixture {
    gpt_model_t *cpu;
    gpt_gpu_t *gpu;
    int tok[B * T], tgt[B * T];
    float *buf; /* scratch, as large as the largest host array */
} fixture_t;

/* Largest |x| of n floats. */
static double max_abs(const float *x, size_t n)
{
    double m = 0;

    for (size_t i = 0; i < n; i++)
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* gpu within the tolerance of cpu (n floats); what differs most. */
static void assert_close(const char *what, const float *gpu, const float *cpu,
                         size_t n)
{
    double scale = max_abs(cpu, n), worst = 0;
    size_t at = 0;

    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)gpu[i] - cpu[i]);
        double tol = RTOL * (fabs(cpu[i]) + scale);
        if (d / (tol > 0 ? tol : 1e-30) > worst) {
            worst = d / (tol > 0 ? tol : 1e-30);
            at = i;
        }
    }
    if (worst > 1.0)
        fail_msg("%s[%zu]: gpu %.9g cpu %.9g (%.2f x the tolerance)", what, at,
                 gpu[at], cpu[at], worst);
    printf("# %-12s %zu floats, worst %.3f of the tolerance\n", what, n, worst);
}

static void check(int rc, const hub_error_t *err)
{
    if (rc < 0)
        fail_msg("%s", err->text);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    hub_error_t err = {{0}};
    gpt_rng_t r;

    assert_non_null(f);
    f->cpu = gpt_model_create(gpt_config_find("tiny"), B, T);
    assert_non_null(f->cpu);
    gpt_model_init(f->cpu, SEED);
    gpt_rng_seed(&r, SEED);
    for (int i = 0; i < B * T; i++) {
        f->tok[i] = (int)gpt_rng_below(&r, 256);
        f->tgt[i] = (int)gpt_rng_below(&r, 256);
    }
    f->buf = calloc(f->cpu->nparams > (size_t)B * T * 256 ? f->cpu->nparams
                                                          : (size_t)B * T * 256,
                    sizeof(float));
    assert_non_null(f->buf);
    check(gpt_gpu_create(&f->gpu, f->cpu, B, T, 0, 0, &err), &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    gpt_gpu_destroy(f->gpu);
    gpt_model_destroy(f->cpu);
    free(f->buf);
    free(f);
    return 0;
}

static void test_parameters_copy_both_ways_unchanged(void **state)
{
    fixture_t *f = *state;
    hub_error_t err = {{0}};

    check(gpt_gpu_get(f->gpu, f->buf, NULL, NULL, NULL, &err), &err);
    assert_memory_equal(f->buf, f->cpu->params,
                        f->cpu->nparams * sizeof(float));
}

static void test_logits_match_cpu(void **state)
{
    fixture_t *f = *state;
    hub_error_t err = {{0}};
    size_t n = (size_t)B * T * 256;
    float loss;

    gpt_model_forward(f->cpu, f->tok, NULL, B, T);
    check(gpt_gpu_forward(f->gpu, f->tok, NULL, B, T, &loss, &err), &err);
    check(gpt_gpu_probs(f->gpu, f->buf, &err), &err);
    assert_close("logits", f->buf, f->cpu->a.probs, n);
}

static void test_loss_and_probs_match_cpu(void **state)
{
    fixture_t *f = *state;
    hub_error_t err = {{0}};
    float cpu, gpu;

    cpu = gpt_model_forward(f->cpu, f->tok, f->tgt, B, T);
    check(gpt_gpu_forward(f->gpu, f->tok, f->tgt, B, T, &gpu, &err), &err);
    printf("# loss cpu %.9g gpu %.9g\n", cpu, gpu);
    assert_true(fabs(gpu - cpu) <= RTOL * fabs(cpu));
    assert_true(fabs(cpu - logf(256.0f)) < 0.3f); /* untrained: ~ln V */
    check(gpt_gpu_probs(f->gpu, f->buf, &err), &err);
    assert_close("probs", f->buf, f->cpu->a.probs, (size_t)B * T * 256);
}

/* Forward and backward on both; the GPU's gradients into f->buf. */
static void both_backward(fixture_t *f)
{
    hub_error_t err = {{0}};
    float loss;

    gpt_model_forward(f->cpu, f->tok, f->tgt, B, T);
    assert_int_equal(gpt_model_backward(f->cpu, NULL, NULL), 0);
    check(gpt_gpu_forward(f->gpu, f->tok, f->tgt, B, T, &loss, &err), &err);
    check(gpt_gpu_backward(f->gpu, NULL, NULL, &err), &err);
    check(gpt_gpu_get(f->gpu, NULL, f->buf, NULL, NULL, &err), &err);
}

static void test_every_gradient_matches_cpu(void **state)
{
    fixture_t *f = *state;

    both_backward(f);
    for (int i = 0; i < f->cpu->ntensors; i++) {
        const gpt_tensor_t *t = &f->cpu->tensors[i];
        assert_close(t->name, f->buf + t->offset, f->cpu->grads + t->offset,
                     t->count);
    }
}

/* gpt_bucket_fn: the ranges must tile the buffer downwards from its end
 * (lnf, blocks L-1 .. 0, embeddings). */
static int bucket_order(void *arg, size_t offset, size_t count)
{
    size_t *end = arg;

    assert_int_equal(offset + count, *end);
    *end = offset;
    return 0;
}

static void test_gradients_repeat_bitwise_and_buckets_tile(void **state)
{
    fixture_t *f = *state;
    hub_error_t err = {{0}};
    size_t n = f->cpu->nparams, end = n;
    float *first = malloc(n * sizeof(float)), loss;

    assert_non_null(first);
    both_backward(f);
    memcpy(first, f->buf, n * sizeof(float));
    check(gpt_gpu_forward(f->gpu, f->tok, f->tgt, B, T, &loss, &err), &err);
    check(gpt_gpu_backward(f->gpu, bucket_order, &end, &err), &err);
    assert_int_equal(end, 0);
    check(gpt_gpu_get(f->gpu, NULL, f->buf, NULL, NULL, &err), &err);
    assert_memory_equal(first, f->buf, n * sizeof(float));
    free(first);
}

static void test_clipped_adamw_step_matches_cpu(void **state)
{
    fixture_t *f = *state;
    hub_error_t err = {{0}};
    gpt_adamw_t o = {.lr = 1e-3f,
                     .beta1 = 0.9f,
                     .beta2 = 0.95f,
                     .eps = 1e-8f,
                     .weight_decay = 0.1f,
                     .clip = 0.5f};
    size_t n = f->cpu->nparams;
    float *m = calloc(n, sizeof(float)), *v = calloc(n, sizeof(float));
    double cpu_norm, gpu_norm;

    assert_true(m && v);
    both_backward(f);
    cpu_norm = gpt_grad_norm(f->cpu->grads, n);
    gpt_grad_clip(&o, f->cpu->grads, n, cpu_norm);
    gpt_adamw_update(&o, f->cpu, m, v, 0, o.lr);
    check(gpt_gpu_optimise(f->gpu, &o, 0, o.lr, &gpu_norm, &err), &err);
    printf("# grad norm cpu %.12g gpu %.12g\n", cpu_norm, gpu_norm);
    assert_true(fabs(gpu_norm - cpu_norm) <= RTOL * cpu_norm);
    check(gpt_gpu_get(f->gpu, f->buf, NULL, NULL, NULL, &err), &err);
    assert_close("params", f->buf, f->cpu->params, n);
    check(gpt_gpu_get(f->gpu, NULL, NULL, f->buf, NULL, &err), &err);
    assert_close("adam m", f->buf, m, n);
    free(m);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameters_copy_both_ways_unchanged),
        cmocka_unit_test(test_logits_match_cpu),
        cmocka_unit_test(test_loss_and_probs_match_cpu),
        cmocka_unit_test(test_every_gradient_matches_cpu),
        cmocka_unit_test(test_gradients_repeat_bitwise_and_buckets_tile),
        cmocka_unit_test(test_clipped_adamw_step_matches_cpu),
    };
    hub_error_t err = {{0}};
    int n;

    if (gpt_gpu_devices(&n, &err) < 0) {
        fprintf(stderr, "test_gpt_gpu: skipped: %s\n", err.text);
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}

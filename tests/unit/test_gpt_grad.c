/* test_gpt_grad.c - the GPT layers (benchmarks/gpt/layers.c) against
 * double-precision references: each layer's float forward must match a
 * plain double implementation, and its float backward must match the
 * central finite differences of that double implementation, for every
 * input and parameter element (tiny sizes). The whole model's backward
 * is checked along directions (its wiring), and its results must repeat
 * bit for bit.
 */
#include "cmocka_all.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "model.h"
#include "rng.h"

#define MAXIN 3
#define FD_H 1e-5 /* step of the central differences (double) */

/* One layer under test: its inputs (double, and float copies for the
 * layer), a random output weighting R (the objective is sum(out x R)),
 * the float gradients from the layer's backward, and the reference. */
typedef struct gcase {
    int nin;
    size_t n[MAXIN]; /* elements of each input */
    double *x[MAXIN];
    float *xf[MAXIN];
    float *g[MAXIN]; /* d objective / d x from the float backward */
    size_t nout;
    double *R; /* [nout] */
    float *Rf;
    double *out; /* [nout]: reference output scratch */
    int dims[6]; /* the layer's sizes */
    int *tok;    /* token ids (embedding, cross-entropy) */
    /* out = reference forward of x; returns the objective */
    double (*ref)(struct gcase *c);
} gcase_t;

static gpt_rng_t rng;

static void fill(double *x, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = scale * gpt_rng_normal(&rng);
}

/* Inputs of the given sizes (normal * scale), R, float copies. */
static void setup(gcase_t *c, int nin, const size_t *n, size_t nout,
                  double scale)
{
    c->nin = nin;
    c->nout = nout;
    for (int k = 0; k < nin; k++) {
        c->n[k] = n[k];
        c->x[k] = calloc(n[k], sizeof(double));
        c->xf[k] = calloc(n[k], sizeof(float));
        c->g[k] = calloc(n[k], sizeof(float));
        fill(c->x[k], n[k], scale);
        for (size_t i = 0; i < n[k]; i++)
            c->xf[k][i] = (float)c->x[k][i];
    }
    c->R = calloc(nout, sizeof(double));
    c->Rf = calloc(nout, sizeof(float));
    c->out = calloc(nout, sizeof(double));
    fill(c->R, nout, 1.0);
    for (size_t i = 0; i < nout; i++)
        c->Rf[i] = (float)c->R[i];
}

static void teardown(gcase_t *c)
{
    for (int k = 0; k < c->nin; k++) {
        free(c->x[k]);
        free(c->xf[k]);
        free(c->g[k]);
    }
    free(c->R);
    free(c->Rf);
    free(c->out);
    free(c->tok);
}

static double weighted(const gcase_t *c)
{
    double s = 0;
    for (size_t i = 0; i < c->nout; i++)
        s += c->out[i] * c->R[i];
    return s;
}

/* The float forward's output against the reference's. */
static void check_forward(gcase_t *c, const float *out, double tol)
{
    c->ref(c);
    for (size_t i = 0; i < c->nout; i++)
        assert_true(fabs(out[i] - c->out[i]) <= tol * (1 + fabs(c->out[i])));
}

/* Every element of every input: float backward against the central
 * difference of the double reference. */
static void check_grads(gcase_t *c, double atol, double rtol)
{
    for (int k = 0; k < c->nin; k++) {
        for (size_t i = 0; i < c->n[k]; i++) {
            double x0 = c->x[k][i], fp, fm, fd;
            c->x[k][i] = x0 + FD_H;
            fp = c->ref(c);
            c->x[k][i] = x0 - FD_H;
            fm = c->ref(c);
            c->x[k][i] = x0;
            fd = (fp - fm) / (2 * FD_H);
            if (fabs(c->g[k][i] - fd) > atol + rtol * fabs(fd))
                fail_msg("input %d element %zu: backward %.8g, finite "
                         "difference %.8g",
                         k, i, c->g[k][i], fd);
        }
    }
}

/* ---- matmul ------------------------------------------------------------ */

static double ref_matmul(gcase_t *c)
{
    int N = c->dims[0], C = c->dims[1], OC = c->dims[2];

    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double s = c->x[2][o];
            for (int k = 0; k < C; k++)
                s += c->x[0][i * C + k] * c->x[1][o * C + k];
            c->out[i * OC + o] = s;
        }
    return weighted(c);
}

static void test_matmul_matches_double_reference(void **state)
{
    enum { N = 5, C = 7, OC = 6 };
    size_t n[] = {N * C, OC * C, OC};
    gcase_t c = {.dims = {N, C, OC}, .ref = ref_matmul};
    float out[N * OC];

    setup(&c, 3, n, N * OC, 1.0);
    gpt_matmul_forward(out, c.xf[0], c.xf[1], c.xf[2], N, C, OC);
    check_forward(&c, out, 1e-5);
    gpt_matmul_backward(c.g[0], c.g[1], c.g[2], c.Rf, c.xf[0], c.xf[1], N, C,
                        OC);
    check_grads(&c, 1e-5, 1e-4);
    teardown(&c);
}

/* ---- layernorm --------------------------------------------------------- */

static double ref_layernorm(gcase_t *c)
{
    int N = c->dims[0], C = c->dims[1];

    for (int i = 0; i < N; i++) {
        const double *x = c->x[0] + i * C;
        double m = 0, v = 0, s;
        for (int k = 0; k < C; k++)
            m += x[k] / C;
        for (int k = 0; k < C; k++)
            v += (x[k] - m) * (x[k] - m) / C;
        s = 1 / sqrt(v + 1e-5);
        for (int k = 0; k < C; k++)
            c->out[i * C + k] = (x[k] - m) * s * c->x[1][k] + c->x[2][k];
    }
    return weighted(c);
}

static void test_layernorm_matches_double_reference(void **state)
{
    enum { N = 4, C = 8 };
    size_t n[] = {N * C, C, C};
    gcase_t c = {.dims = {N, C}, .ref = ref_layernorm};
    float out[N * C], mean[N], rstd[N];

    setup(&c, 3, n, N * C, 1.0);
    gpt_layernorm_forward(out, mean, rstd, c.xf[0], c.xf[1], c.xf[2], N, C);
    check_forward(&c, out, 1e-5);
    gpt_layernorm_backward(c.g[0], c.g[1], c.g[2], c.Rf, c.xf[0], c.xf[1], mean,
                           rstd, N, C);
    check_grads(&c, 1e-4, 1e-3);
    teardown(&c);
}

/* ---- attention --------------------------------------------------------- */

/* One query row i of head h of sequence b: softmax over j <= i. */
static void ref_attention_row(gcase_t *c, int b, int h, int i)
{
    int T = c->dims[1], C = c->dims[2], NH = c->dims[3], hs = C / NH;
    const double *qkv = c->x[0] + (size_t)b * T * 3 * C;
    const double *q = qkv + i * 3 * C + h * hs;
    double a[80], max = -INFINITY, sum = 0;

    for (int j = 0; j <= i; j++) {
        const double *k = qkv + j * 3 * C + C + h * hs;
        a[j] = 0;
        for (int d = 0; d < hs; d++)
            a[j] += q[d] * k[d] / sqrt((double)hs);
        max = a[j] > max ? a[j] : max;
    }
    for (int j = 0; j <= i; j++)
        sum += a[j] = exp(a[j] - max);
    for (int d = 0; d < hs; d++) {
        double y = 0;
        for (int j = 0; j <= i; j++)
            y += a[j] / sum * qkv[j * 3 * C + 2 * C + h * hs + d];
        c->out[((size_t)b * T + i) * C + h * hs + d] = y;
    }
}

static double ref_attention(gcase_t *c)
{
    for (int b = 0; b < c->dims[0]; b++)
        for (int h = 0; h < c->dims[3]; h++)
            for (int i = 0; i < c->dims[1]; i++)
                ref_attention_row(c, b, h, i);
    return weighted(c);
}

/* Attention at B x T x C with NH heads (T <= 80). */
static void check_attention(int B, int T, int C, int NH)
{
    size_t n[] = {(size_t)B * T * 3 * C};
    gcase_t c = {.dims = {B, T, C, NH}, .ref = ref_attention};
    float *out = calloc((size_t)B * T * C, sizeof(float));
    float *att = calloc((size_t)B * NH * T * T, sizeof(float));
    float *datt = calloc((size_t)B * NH * T * T, sizeof(float));

    setup(&c, 1, n, (size_t)B * T * C, 1.0);
    gpt_attention_forward(out, att, c.xf[0], B, T, C, NH);
    check_forward(&c, out, 1e-5);
    for (int r = 0; r < B * NH * T; r++) /* causal: zero above diagonal */
        for (int j = r % T + 1; j < T; j++)
            assert_true(att[r * T + j] == 0.0f);
    gpt_attention_backward(c.g[0], datt, c.Rf, c.xf[0], att, B, T, C, NH);
    check_grads(&c, 1e-5, 1e-4);
    free(out);
    free(att);
    free(datt);
    teardown(&c);
}

static void test_attention_matches_double_reference(void **state)
{
    check_attention(2, 5, 8, 2);
}

/* Longer than one block of query rows (64): the causal blocking. */
static void test_blocked_attention_matches_double_reference(void **state)
{
    check_attention(1, 70, 4, 2);
}

/* ---- gelu -------------------------------------------------------------- */

static double ref_gelu(gcase_t *c)
{
    const double s = sqrt(2 / M_PI);

    for (size_t i = 0; i < c->nout; i++) {
        double x = c->x[0][i];
        c->out[i] = 0.5 * x * (1 + tanh(s * (x + 0.044715 * x * x * x)));
    }
    return weighted(c);
}

static void test_gelu_matches_double_reference(void **state)
{
    enum { N = 64 };
    size_t n[] = {N};
    gcase_t c = {.ref = ref_gelu};
    float out[N];

    setup(&c, 1, n, N, 3.0); /* reaches both saturated tails */
    gpt_gelu_forward(out, c.xf[0], N);
    check_forward(&c, out, 1e-6);
    gpt_gelu_backward(c.g[0], c.xf[0], c.Rf, N);
    check_grads(&c, 1e-5, 1e-4);
    teardown(&c);
}

/* ---- softmax cross-entropy ---------------------------------------------- */

static double ref_crossentropy(gcase_t *c)
{
    int N = c->dims[0], V = c->dims[1];
    double total = 0;

    for (int i = 0; i < N; i++) {
        const double *z = c->x[0] + i * V;
        double max = z[0], sum = 0;
        for (int v = 1; v < V; v++)
            max = z[v] > max ? z[v] : max;
        for (int v = 0; v < V; v++)
            sum += exp(z[v] - max);
        c->out[i] = log(sum) + max - z[c->tok[i]];
        total += c->out[i] / N;
    }
    return total; /* the mean loss */
}

static void test_crossentropy_matches_double_reference(void **state)
{
    enum { N = 6, V = 11 };
    size_t n[] = {N * V};
    gcase_t c = {.dims = {N, V}, .ref = ref_crossentropy};
    float losses[N], probs[N * V];

    setup(&c, 1, n, N, 2.0);
    c.tok = calloc(N, sizeof(int));
    for (int i = 0; i < N; i++)
        c.tok[i] = (int)gpt_rng_below(&rng, V);
    gpt_crossentropy_forward(losses, probs, c.xf[0], c.tok, N, V);
    check_forward(&c, losses, 1e-5);
    gpt_crossentropy_backward(c.g[0], probs, c.tok, 1.0f / N, N, V);
    check_grads(&c, 1e-6, 1e-4);
    teardown(&c);
}

/* ---- embedding --------------------------------------------------------- */

static double ref_encoder(gcase_t *c)
{
    int BT = c->dims[0], T = c->dims[1], C = c->dims[2];

    for (int i = 0; i < BT; i++)
        for (int k = 0; k < C; k++)
            c->out[i * C + k] =
                c->x[0][c->tok[i] * C + k] + c->x[1][(i % T) * C + k];
    return weighted(c);
}

static void test_encoder_matches_double_reference(void **state)
{
    enum { B = 2, T = 4, C = 5, V = 7 };
    size_t n[] = {V * C, T * C};
    gcase_t c = {.dims = {B * T, T, C}, .ref = ref_encoder};
    float out[B * T * C];

    setup(&c, 2, n, B * T * C, 1.0);
    c.tok = calloc(B * T, sizeof(int));
    for (int i = 0; i < B * T; i++)
        c.tok[i] = (int)gpt_rng_below(&rng, 3); /* repeats: accumulation */
    gpt_encoder_forward(out, c.tok, c.xf[0], c.xf[1], B, T, C);
    check_forward(&c, out, 1e-6);
    gpt_encoder_backward(c.g[0], c.g[1], c.Rf, c.tok, B, T, C);
    check_grads(&c, 1e-6, 1e-5);
    teardown(&c);
}

static void test_expf_is_accurate_over_its_range(void **state)
{
    for (double x = -87.0; x <= 88.0; x += 0.01) {
        double want = exp((float)x), got = gpt_expf((float)x);
        assert_true(fabs(got - want) <= 4e-7 * want);
    }
}

/* ---- the whole model --------------------------------------------------- */

static gpt_model_t *tiny_model(int *tok, int *tgt, int B, int T)
{
    gpt_model_t *m = gpt_model_create(gpt_config_find("tiny"), B, T);

    assert_non_null(m);
    gpt_model_init(m, 7);
    for (int i = 0; i < B * T; i++) {
        tok[i] = (int)gpt_rng_below(&rng, 256);
        tgt[i] = (int)gpt_rng_below(&rng, 256);
    }
    return m;
}

/* (L(p + h d) - L(p - h d)) / 2h for direction d. */
static double directional_fd(gpt_model_t *m, const float *d, const int *tok,
                             const int *tgt, double h)
{
    float *p0 = malloc(m->nparams * sizeof(float));
    double lp, lm;

    memcpy(p0, m->params, m->nparams * sizeof(float));
    for (size_t i = 0; i < m->nparams; i++)
        m->params[i] = p0[i] + (float)(h * d[i]);
    lp = gpt_model_forward(m, tok, tgt, m->B, m->T);
    for (size_t i = 0; i < m->nparams; i++)
        m->params[i] = p0[i] - (float)(h * d[i]);
    lm = gpt_model_forward(m, tok, tgt, m->B, m->T);
    memcpy(m->params, p0, m->nparams * sizeof(float));
    free(p0);
    return (lp - lm) / (2 * h);
}

/* d = v / |v|. */
static void normalise(float *d, const float *v, size_t n)
{
    double norm = 0;

    for (size_t i = 0; i < n; i++)
        norm += (double)v[i] * v[i];
    for (size_t i = 0; i < n; i++)
        d[i] = (float)(v[i] / sqrt(norm));
}

/* The model's gradient (already computed) along d against the loss's
 * finite difference along d. */
static void check_direction(gpt_model_t *m, const float *d, const int *tok,
                            const int *tgt)
{
    double gd = 0, fd;

    for (size_t i = 0; i < m->nparams; i++)
        gd += (double)d[i] * m->grads[i];
    fd = directional_fd(m, d, tok, tgt, 1e-2);
    if (fabs(fd - gd) > 2e-3 + 2e-2 * fabs(gd))
        fail_msg("g.d %.6g, finite difference %.6g", gd, fd);
}

/* The model's gradient along its own direction and along a random one
 * equals the finite difference of its loss: the layers are wired right
 * (every block's range, the tied head, the residual stream). */
static void test_model_gradient_matches_directional_differences(void **st)
{
    enum { B = 2, T = 8 };
    int tok[B * T], tgt[B * T];
    gpt_model_t *m = tiny_model(tok, tgt, B, T);
    float *d = malloc(m->nparams * sizeof(float));
    float *r = malloc(m->nparams * sizeof(float));

    gpt_model_forward(m, tok, tgt, B, T);
    assert_int_equal(gpt_model_backward(m, NULL, NULL), 0);
    normalise(d, m->grads, m->nparams);
    check_direction(m, d, tok, tgt);
    for (size_t i = 0; i < m->nparams; i++)
        r[i] = (float)gpt_rng_normal(&rng);
    normalise(d, r, m->nparams);
    check_direction(m, d, tok, tgt);
    free(d);
    free(r);
    gpt_model_destroy(m);
}

/* The same inputs give the same loss and gradients, bit for bit. */
static void test_model_is_deterministic(void **state)
{
    enum { B = 2, T = 16 };
    int tok[B * T], tgt[B * T];
    gpt_model_t *m = tiny_model(tok, tgt, B, T);
    float *g = malloc(m->nparams * sizeof(float)), l1, l2;

    l1 = gpt_model_forward(m, tok, tgt, B, T);
    gpt_model_backward(m, NULL, NULL);
    memcpy(g, m->grads, m->nparams * sizeof(float));
    l2 = gpt_model_forward(m, tok, tgt, B, T);
    gpt_model_backward(m, NULL, NULL);
    assert_memory_equal(&l1, &l2, sizeof(l1));
    assert_memory_equal(g, m->grads, m->nparams * sizeof(float));
    free(g);
    gpt_model_destroy(m);
}

/* Buckets come last block first and cover the buffer exactly once. */
static int record_bucket(void *arg, size_t offset, size_t count)
{
    size_t *next = arg; /* [0]: floats seen, [1]: buckets */
    next[0] += count;
    next[1]++;
    return offset + count <= 1u << 30 ? 0 : -1;
}

static void test_model_buckets_cover_the_buffer(void **state)
{
    enum { B = 1, T = 4 };
    int tok[B * T], tgt[B * T];
    gpt_model_t *m = tiny_model(tok, tgt, B, T);
    size_t seen[2] = {0, 0};

    gpt_model_forward(m, tok, tgt, B, T);
    assert_int_equal(gpt_model_backward(m, record_bucket, seen), 0);
    assert_int_equal(seen[0], m->nparams);
    assert_int_equal(seen[1], m->cfg.layers + 2);
    gpt_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_matches_double_reference),
        cmocka_unit_test(test_layernorm_matches_double_reference),
        cmocka_unit_test(test_attention_matches_double_reference),
        cmocka_unit_test(test_blocked_attention_matches_double_reference),
        cmocka_unit_test(test_gelu_matches_double_reference),
        cmocka_unit_test(test_crossentropy_matches_double_reference),
        cmocka_unit_test(test_encoder_matches_double_reference),
        cmocka_unit_test(test_expf_is_accurate_over_its_range),
        cmocka_unit_test(test_model_gradient_matches_directional_differences),
        cmocka_unit_test(test_model_is_deterministic),
        cmocka_unit_test(test_model_buckets_cover_the_buffer),
    };

    gpt_rng_seed(&rng, 42);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

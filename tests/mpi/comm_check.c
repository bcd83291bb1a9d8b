/* comm_check.c - libhubjob's collectives against a reference computed
 * locally in double: every collective x {float32, bf16, fp16} x {SUM, AVG,
 * MAX, MIN}, in place and not, broadcast from a non-zero root, the other
 * dtypes, the barrier, and argument checks. Run under mpirun by
 * comm_mpi.sh and comm_nccl.sh; rank 0 prints one TAP line per check
 * (numbers and plan are the script's), failing ranks say why on stderr.
 *
 *   comm_check [--label L] [--backend NAME]   run the checks (NAME: the
 *                                             backend hub_job_init must
 *                                             have chosen)
 *   comm_check --init-only                    print "backend=NAME" (rank 0)
 *   comm_check --probe                        print "devices=N" (0 for
 *                                             host memory), or exit 77
 *                                             when this build's buffers
 *                                             cannot be had
 *
 * float32 inputs are small integers, so its sums must be bit-exact;
 * bf16/fp16 inputs are thirds, rounded to the dtype, and a result may be
 * off by world x max|input| x the dtype's epsilon (NCCL may round after
 * every step).
 */
#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm_check.h"
#include "half.h"
#include "hubjob.h"

#define COUNT 1031 /* elements per rank: odd, so no vector width divides */

struct run {
    hub_ctx_t *ctx;
    int rank, world;
    const char *label; /* prefix of every TAP line */
    int failed;        /* checks that failed */
};

/* What a check's results must be. */
struct want {
    hub_dtype_t dt;
    hub_redop_t op; /* reductions */
    size_t offset;  /* reduce_scatter: first index of this rank's block */
    int root;       /* broadcast */
    /* the expected result at i */
    double (*at)(const struct run *r, const struct want *w, size_t i);
};

static const char *dtype_name(hub_dtype_t dt)
{
    static const char *names[] = {"float32", "bf16",  "fp16", "float64",
                                  "int32",   "int64", "uint8"};
    return names[dt];
}

static const char *op_name(hub_redop_t op)
{
    static const char *names[] = {"SUM", "AVG", "MAX", "MIN"};
    return names[op];
}

/* ---- values and their reference --------------------------------------- */

/* The input of `rank` at index i before rounding to dtype. */
static double raw_value(int rank, size_t i, hub_dtype_t dt)
{
    double v = (double)((long)((i * 7 + (size_t)rank * 13) % 33) - 16);

    if (dt == HUB_DTYPE_BFLOAT16 || dt == HUB_DTYPE_FLOAT16)
        return v / 3;
    return dt == HUB_DTYPE_UINT8 ? v + 16 : v;
}

static void put(void *buf, hub_dtype_t dt, size_t i, double v)
{
    switch (dt) {
    case HUB_DTYPE_FLOAT32:
        ((float *)buf)[i] = (float)v;
        break;
    case HUB_DTYPE_BFLOAT16:
        ((uint16_t *)buf)[i] = half_bf16_from_float((float)v);
        break;
    case HUB_DTYPE_FLOAT16:
        ((uint16_t *)buf)[i] = half_fp16_from_float((float)v);
        break;
    case HUB_DTYPE_FLOAT64:
        ((double *)buf)[i] = v;
        break;
    case HUB_DTYPE_INT32:
        ((int32_t *)buf)[i] = (int32_t)v;
        break;
    case HUB_DTYPE_INT64:
        ((int64_t *)buf)[i] = (int64_t)v;
        break;
    case HUB_DTYPE_UINT8:
        ((uint8_t *)buf)[i] = (uint8_t)v;
        break;
    }
}

static double get(const void *buf, hub_dtype_t dt, size_t i)
{
    switch (dt) {
    case HUB_DTYPE_FLOAT32:
        return ((const float *)buf)[i];
    case HUB_DTYPE_BFLOAT16:
        return half_bf16_to_float(((const uint16_t *)buf)[i]);
    case HUB_DTYPE_FLOAT16:
        return half_fp16_to_float(((const uint16_t *)buf)[i]);
    case HUB_DTYPE_FLOAT64:
        return ((const double *)buf)[i];
    case HUB_DTYPE_INT32:
        return ((const int32_t *)buf)[i];
    case HUB_DTYPE_INT64:
        return (double)((const int64_t *)buf)[i];
    case HUB_DTYPE_UINT8:
        return ((const uint8_t *)buf)[i];
    }
    return NAN;
}

/* rank's input at i exactly as the dtype holds it. */
static double value(int rank, size_t i, hub_dtype_t dt)
{
    unsigned char cell[8];

    put(cell, dt, 0, raw_value(rank, i, dt));
    return get(cell, dt, 0);
}

/* The reduction over all ranks of their inputs at w->offset + i, in
 * double. */
static double reduced(const struct run *r, const struct want *w, size_t i)
{
    hub_dtype_t dt = w->dt;
    hub_redop_t op = w->op;
    double acc;

    i += w->offset;
    acc = value(0, i, dt);
    for (int q = 1; q < r->world; q++) {
        double v = value(q, i, dt);
        if (op == HUB_OP_MAX)
            acc = v > acc ? v : acc;
        else if (op == HUB_OP_MIN)
            acc = v < acc ? v : acc;
        else
            acc += v;
    }
    return op == HUB_OP_AVG ? acc / r->world : acc;
}

static double tolerance(const struct run *r, hub_dtype_t dt)
{
    double max_abs = 16.0 / 3;

    if (dt == HUB_DTYPE_BFLOAT16)
        return r->world * max_abs * 0x1p-8;
    if (dt == HUB_DTYPE_FLOAT16)
        return r->world * max_abs * 0x1p-11;
    return 0;
}

/* ---- reporting ----------------------------------------------------------- */

/* Agree on a check's outcome and print its TAP line on rank 0. */
static void report(struct run *r, bool ok, const char *fmt, ...)
{
    int all = ok;
    char desc[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(desc, sizeof(desc), fmt, ap);
    va_end(ap);
    MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (!all)
        r->failed++;
    if (r->rank == 0)
        printf("%sok - [%s] %s\n", all ? "" : "not ", r->label, desc);
    fflush(stdout);
}

/* Compare n results at host with want(i); say on stderr where they
 * differ first. */
static bool compare(const struct run *r, const void *host, size_t n,
                    const struct want *w, const char *what)
{
    double tol = tolerance(r, w->dt);

    for (size_t i = 0; i < n; i++) {
        double got = get(host, w->dt, i), exp = w->at(r, w, i);
        if (!(fabs(got - exp) <= tol)) {
            fprintf(stderr, "# rank %d: %s: [%zu] = %.9g, want %.9g (+-%g)\n",
                    r->rank, what, i, got, exp, tol);
            return false;
        }
    }
    return true;
}

/* The call's return code, reported on stderr when negative. */
static bool call_ok(const struct run *r, int rc, const char *what)
{
    if (rc < 0)
        fprintf(stderr, "# rank %d: %s: %d: %s\n", r->rank, what, rc,
                hub_job_error(r->ctx));
    return rc == 0;
}

/* ---- the checks ---------------------------------------------------------- */

/* Host copy of this rank's n inputs from index `from`, uploaded into a new
 * buffer (or into `into` when given). */
static void *upload_inputs(const struct run *r, hub_dtype_t dt, size_t from,
                           size_t n, void *into)
{
    size_t es = hub_dtype_size(dt);
    unsigned char *host = malloc(n * es);
    void *dev = into ? into : buf_alloc(n * es);

    for (size_t i = 0; i < n; i++)
        put(host, dt, i, raw_value(r->rank, from + i, dt));
    if (!host || !dev || buf_upload(dev, host, n * es) < 0) {
        fprintf(stderr, "# rank %d: buffer set-up failed\n", r->rank);
        exit(1);
    }
    free(host);
    return dev;
}

/* Download n elements and compare them with w. */
static bool check_result(const struct run *r, const void *dev, size_t n,
                         const struct want *w, const char *what)
{
    size_t bytes = n * hub_dtype_size(w->dt);
    void *host = malloc(bytes);
    bool ok = host && buf_download(host, dev, bytes) == 0 &&
              compare(r, host, n, w, what);

    free(host);
    return ok;
}

static void check_allreduce(struct run *r, hub_dtype_t dt, hub_redop_t op,
                            bool in_place)
{
    void *send = upload_inputs(r, dt, 0, COUNT, NULL);
    void *recv = in_place ? send : buf_alloc(COUNT * hub_dtype_size(dt));
    bool ok = call_ok(r, hub_comm_allreduce(r->ctx, send, recv, COUNT, dt, op),
                      "allreduce");

    struct want w = {.dt = dt, .op = op, .at = reduced};

    ok = ok && check_result(r, recv, COUNT, &w, "allreduce");
    report(r, ok, "allreduce %s %s%s", dtype_name(dt), op_name(op),
           in_place ? " in place" : "");
    if (recv != send)
        buf_free(recv);
    buf_free(send);
}

static void check_reduce_scatter(struct run *r, hub_dtype_t dt, hub_redop_t op,
                                 bool in_place)
{
    size_t es = hub_dtype_size(dt);
    void *send = upload_inputs(r, dt, 0, COUNT * (size_t)r->world, NULL);
    void *recv = in_place ? (char *)send + (size_t)r->rank * COUNT * es
                          : buf_alloc(COUNT * es);
    bool ok =
        call_ok(r, hub_comm_reduce_scatter(r->ctx, send, recv, COUNT, dt, op),
                "reduce_scatter");

    struct want w = {
        .dt = dt, .op = op, .offset = (size_t)r->rank * COUNT, .at = reduced};

    ok = ok && check_result(r, recv, COUNT, &w, "reduce_scatter");
    report(r, ok, "reduce_scatter %s %s%s", dtype_name(dt), op_name(op),
           in_place ? " in place" : "");
    if (!in_place)
        buf_free(recv);
    buf_free(send);
}

/* allgather: element q * COUNT + i is rank q's input i. */
static double gathered(const struct run *r, const struct want *w, size_t i)
{
    return value((int)(i / COUNT), i % COUNT, w->dt);
}

static void check_allgather(struct run *r, hub_dtype_t dt, bool in_place)
{
    size_t es = hub_dtype_size(dt);
    void *recv = buf_alloc(COUNT * (size_t)r->world * es);
    void *mine = in_place ? (char *)recv + (size_t)r->rank * COUNT * es : NULL;
    void *send = upload_inputs(r, dt, 0, COUNT, mine);
    bool ok = call_ok(r, hub_comm_allgather(r->ctx, send, recv, COUNT, dt),
                      "allgather");

    struct want w = {.dt = dt, .at = gathered};

    ok = ok && check_result(r, recv, COUNT * (size_t)r->world, &w, "allgather");
    report(r, ok, "allgather %s%s", dtype_name(dt),
           in_place ? " in place" : "");
    if (!in_place)
        buf_free(send);
    buf_free(recv);
}

static double broadcasted(const struct run *r, const struct want *w, size_t i)
{
    return value(w->root, i, w->dt);
}

static void check_broadcast(struct run *r, hub_dtype_t dt, int root)
{
    void *buf = upload_inputs(r, dt, 0, COUNT, NULL);
    bool ok = call_ok(r, hub_comm_broadcast(r->ctx, buf, COUNT, dt, root),
                      "broadcast");

    struct want w = {.dt = dt, .root = root, .at = broadcasted};

    ok = ok && check_result(r, buf, COUNT, &w, "broadcast");
    report(r, ok, "broadcast %s from rank %d", dtype_name(dt), root);
    buf_free(buf);
}

/* Rank 0 enters late: nobody may leave before it entered. */
static void check_barrier(struct run *r)
{
    double t0, waited;
    bool ok;

    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    if (r->rank == 0)
        usleep(200 * 1000);
    ok = call_ok(r, hub_comm_barrier(r->ctx), "barrier");
    waited = MPI_Wtime() - t0;
    if (waited < 0.19) {
        fprintf(stderr, "# rank %d: left the barrier after %.3f s\n", r->rank,
                waited);
        ok = false;
    }
    report(r, ok, "barrier waits for the last rank");
}

/* Calls refused before any communication, identically on every rank. */
static void check_refusals(struct run *r)
{
    void *a = buf_alloc(16 * sizeof(float));
    char *b = a;

    report(r,
           hub_comm_broadcast(r->ctx, a, 4, HUB_DTYPE_FLOAT32, r->world) ==
                   -EINVAL &&
               *hub_job_error(r->ctx),
           "broadcast from root = world is -EINVAL with a message");
    report(r,
           hub_comm_allreduce(r->ctx, a, a, 4, HUB_DTYPE_INT32, HUB_OP_AVG) ==
               -ENOTSUP,
           "AVG of int32 is -ENOTSUP");
    report(r,
           hub_comm_allreduce(r->ctx, a, a, 4, HUB_DTYPE_UINT8, HUB_OP_SUM) ==
               -ENOTSUP,
           "reduction of uint8 is -ENOTSUP");
    report(r,
           hub_comm_allreduce(r->ctx, a, a, 4, (hub_dtype_t)99, HUB_OP_SUM) ==
               -EINVAL,
           "an unknown dtype is -EINVAL");
    report(r,
           hub_comm_allreduce(r->ctx, a, b + 4, 4, HUB_DTYPE_FLOAT32,
                              HUB_OP_SUM) == -EINVAL,
           "overlapping send and receive buffers are -EINVAL");
    report(r,
           hub_comm_allreduce(r->ctx, a, a, 0, HUB_DTYPE_FLOAT32, HUB_OP_SUM) ==
               0,
           "a count of 0 does nothing");
    buf_free(a);
}

static void run_checks(struct run *r)
{
    const hub_dtype_t halves[] = {HUB_DTYPE_FLOAT32, HUB_DTYPE_BFLOAT16,
                                  HUB_DTYPE_FLOAT16};
    const hub_dtype_t others[] = {HUB_DTYPE_FLOAT64, HUB_DTYPE_INT32,
                                  HUB_DTYPE_INT64};

    for (int d = 0; d < 3; d++) {
        for (int op = HUB_OP_SUM; op <= HUB_OP_MIN; op++) {
            for (int in_place = 0; in_place < 2; in_place++) {
                check_allreduce(r, halves[d], op, in_place);
                check_reduce_scatter(r, halves[d], op, in_place);
            }
        }
        check_allgather(r, halves[d], false);
        check_allgather(r, halves[d], true);
        check_broadcast(r, halves[d], r->world - 1);
        check_broadcast(r, halves[d], 0);
    }
    for (int d = 0; d < 3; d++) {
        check_allreduce(r, others[d], HUB_OP_SUM, false);
        check_allreduce(r, others[d], HUB_OP_MAX, true);
    }
    check_broadcast(r, HUB_DTYPE_UINT8, r->world - 1);
    check_barrier(r);
    check_refusals(r);
}

int main(int argc, char **argv)
{
    struct run r = {.label = "", .failed = 0};
    const char *backend = NULL;
    bool init_only = false;
    char why[200];
    int ndevices;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--probe") == 0) {
            if (buf_probe(&ndevices, why, sizeof(why)) == 0) {
                printf("devices=%d\n", ndevices);
                return 0;
            }
            fprintf(stderr, "%s\n", why);
            return 77;
        } else if (strcmp(argv[i], "--init-only") == 0) {
            init_only = true;
        } else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
            r.label = argv[++i];
        } else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            backend = argv[++i];
        }
    }
    if (hub_job_init(&r.ctx, &argc, &argv) < 0)
        return 1; /* rank 0 printed why */
    r.rank = hub_job_rank(r.ctx);
    r.world = hub_job_world(r.ctx);
    if (init_only && r.rank == 0)
        printf("backend=%s\n", hub_comm_backend(r.ctx));
    if (!init_only && backend)
        report(&r, strcmp(hub_comm_backend(r.ctx), backend) == 0,
               "hub_job_init chose comm/%s", backend);
    if (!init_only)
        run_checks(&r);
    if (hub_job_finalize(r.ctx) < 0)
        return 1;
    return r.failed ? 1 : 0;
}

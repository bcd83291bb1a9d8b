/* cpupeak.c - FP32 FMA peak of one CPU core: a microbenchmark dispatched
 * at run time to the widest vector unit, cached per node. */
#include "cpupeak.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

/* Twelve independent chains: FMA latency (4 cycles) x 2 ports = 8 in
 * flight are needed; 12 leave slack and fit in 16 AVX2 registers. */
#define CHAINS 12
#define REPEAT12(X)                                                            \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Each kernel: iters rounds of CHAINS vector FMAs (x = x * a + b, which
 * stays finite and normal); returns a value derived from every chain so
 * that none can be optimised away. */
#ifdef HAVE_X86
#define INIT512(i) __m512 x##i = _mm512_set1_ps(1.0f + (i)*1e-3f);
#define FMA512(i) x##i = _mm512_fmadd_ps(x##i, a, b);
#define SUM512(i) s = _mm512_add_ps(s, x##i);
__attribute__((target("avx512f"))) static float kernel_avx512(long iters)
{
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
    __m512 s = _mm512_setzero_ps();
    REPEAT12(INIT512)

    for (long n = 0; n < iters; n++) {
        REPEAT12(FMA512)
    }
    REPEAT12(SUM512)
    return _mm512_reduce_add_ps(s);
}

#define INIT256(i) __m256 x##i = _mm256_set1_ps(1.0f + (i)*1e-3f);
#define FMA256(i) x##i = _mm256_fmadd_ps(x##i, a, b);
#define SUM256(i) s = _mm256_add_ps(s, x##i);
__attribute__((target("avx2,fma"))) static float kernel_avx2(long iters)
{
    __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    __m256 s = _mm256_setzero_ps();
    float out[8];
    REPEAT12(INIT256)

    for (long n = 0; n < iters; n++) {
        REPEAT12(FMA256)
    }
    REPEAT12(SUM256)
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}
#endif

typedef float v4sf __attribute__((vector_size(16)));
#define INITV(i) v4sf x##i = a * 0 + 1.0f + (i)*1e-3f;
#define FMAV(i) x##i = x##i * a + b;
#define SUMV(i) s += x##i;
static float kernel_generic(long iters)
{
    v4sf a = {0.999999f, 0.999999f, 0.999999f, 0.999999f};
    v4sf b = a * 0 + 1e-6f, s = a * 0;
    REPEAT12(INITV)

    for (long n = 0; n < iters; n++) {
        REPEAT12(FMAV)
    }
    REPEAT12(SUMV)
    return s[0] + s[3];
}

typedef float (*kernel_fn)(long iters);

static kernel_fn pick_kernel(const char **isa, int *lanes)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        *isa = "avx512f", *lanes = 16;
        return kernel_avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        *isa = "avx2", *lanes = 8;
        return kernel_avx2;
    }
#endif
    *isa = "generic", *lanes = 4;
    return kernel_generic;
}

/* Timed runs of about 20 ms each; the best counts. A run that shared its
 * core with another thread reads low, and a single such run once halved
 * the peak (and doubled an MFU) in bench_gpt_mfu, so there are several. */
#define CPUPEAK_REPEATS 7

/* Where kernel results go, so that the compiler keeps the kernels. */
static volatile float sink;

double cpupeak_measure(const char **isa)
{
    const char *name;
    int lanes;
    kernel_fn k = pick_kernel(&name, &lanes);
    long iters = 1 << 14;
    double t, best = 0;

    for (t = 0; t < 0.02 && iters < (1L << 40); iters *= 2) {
        double t0 = now_s();
        sink = k(iters);
        t = now_s() - t0;
    }
    for (int r = 0; r < CPUPEAK_REPEATS; r++) {
        double t0 = now_s(), rate;
        sink = k(iters);
        rate = 2.0 * CHAINS * lanes * (double)iters / (now_s() - t0);
        best = rate > best ? rate : best;
    }
    if (isa)
        *isa = name;
    return best;
}

static double read_cache(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[128];
    double v = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "fp32_core_flops=%lf", &v) == 1)
            break;
    fclose(f);
    return v > 0 ? v : 0;
}

static void write_cache(const char *path, double flops, const char *isa)
{
    char tmp[4200];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "w")))
        return;
    fprintf(f,
            "# hubjob: FP32 FMA FLOP/s of one core, measured\n"
            "fp32_core_flops=%.6e\nisa=%s\n",
            flops, isa);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        unlink(tmp);
}

double cpupeak_core_flops(const char *node, const char *cache_path)
{
    char path[4096];
    const char *isa;
    double v;

    if (!cache_path)
        cache_path = getenv("HUB_CPU_PEAK_CACHE");
    if (!cache_path || !*cache_path) {
        snprintf(path, sizeof(path), "/tmp/hubjob-cpupeak-%s.txt", node);
        cache_path = path;
    }
    if ((v = read_cache(cache_path)) > 0)
        return v;
    v = cpupeak_measure(&isa);
    write_cache(cache_path, v, isa);
    return v;
}

int cpupeak_rank_cores(void)
{
    cpu_set_t set;
    const char *omp = getenv("OMP_NUM_THREADS");
    int n = 1, t = omp ? atoi(omp) : 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (t > 0 && t < n)
        n = t;
    return n > 0 ? n : 1;
}

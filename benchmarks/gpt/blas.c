/* blas.c - OpenBLAS kernel family and threads (see blas.h). */
#include "blas.h"

#include <cblas.h>
#include <stdbool.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* The kernel family to ask OpenBLAS for, or NULL to leave its choice. */
static const char *wanted_core(void)
{
    if (getenv("OPENBLAS_CORETYPE") ||
        strcasecmp(openblas_get_corename(), "prescott") != 0)
        return NULL;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

void gpt_blas_kernels(char **argv)
{
    const char *core = wanted_core();
    bool again = false;

    if (core) {
        setenv("OPENBLAS_CORETYPE", core, 1);
        again = true;
    }
#ifdef _OPENMP
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        again = true;
    }
#endif
    if (again)
        execv("/proc/self/exe", argv);
}

const char *gpt_blas_core(void)
{
    return openblas_get_corename();
}

void gpt_blas_threads(int threads)
{
    openblas_set_num_threads(threads);
#ifdef _OPENMP
    omp_set_num_threads(threads); /* the layers' own parallel loops */
#endif
}

int gpt_blas_nests(void)
{
    return openblas_get_parallel() == 2; /* 0 serial, 1 pthreads, 2 OpenMP */
}

int gpt_blas_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* blas.c - OpenBLAS kernel family and threads (see blas.h). */
#include "blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void gpt_blas_kernels(char **argv)
{
    const char *want = NULL;

    if (getenv("OPENBLAS_CORETYPE") ||
        strcasecmp(openblas_get_corename(), "prescott") != 0)
        return;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        want = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        want = "Haswell";
#endif
    if (!want)
        return;
    setenv("OPENBLAS_CORETYPE", want, 1);
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

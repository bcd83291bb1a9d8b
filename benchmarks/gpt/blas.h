/* blas.h - OpenBLAS set-up for the GPT programs: the kernel family and
 * the thread count.
 *
 * Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH and picks its
 * kernels when the library loads; a CPU newer than the library (here an
 * Intel family 6 model 207) is not recognised and gets the Prescott (SSE3)
 * kernels: sgemm at 25 GFLOP/s instead of 110-130 with the SkylakeX
 * (AVX-512) ones on one core of this machine. The only way to choose is
 * OPENBLAS_CORETYPE in the environment at load time, so
 * gpt_blas_kernels() re-executes the program once with it set.
 *
 * Non-goals: choosing between kernel families OpenBLAS did recognise;
 * other BLAS libraries.
 */
#ifndef GPT_BLAS_H
#define GPT_BLAS_H

/* Call first in main, before MPI is initialised, with main's argv. If
 * OpenBLAS chose its generic Prescott kernels and OPENBLAS_CORETYPE is
 * unset, set it to the widest family the CPU runs (SkylakeX with
 * AVX-512F, Haswell with AVX2 + FMA) and re-execute /proc/self/exe;
 * returns when nothing is to be done or the exec failed (the program then
 * runs on the slow kernels). */
void gpt_blas_kernels(char **argv);

/* The kernel family in use ("SkylakeX", "Prescott", ...). */
const char *gpt_blas_core(void);

/* Threads of this process: OpenBLAS's and the layers' OpenMP loops
 * (before the first GEMM). */
void gpt_blas_threads(int threads);

/* Whether a GEMM may be called inside an OpenMP parallel loop: true with
 * OpenBLAS's OpenMP build (the GEMM then runs on its caller's thread);
 * false with its pthread build, whose own threads would compete with
 * the loop's for the cores (measured: attention 30x slower). */
int gpt_blas_nests(void);

#endif /* GPT_BLAS_H */

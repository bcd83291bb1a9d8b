/* blas.h - OpenBLAS set-up for the GPT programs: the kernel family and
 * the thread count.
 *
 * Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH and picks its
 * kernels when the library loads; a CPU newer than the library (here an
 * Intel family 6 model 207) is not recognised and gets the Prescott (SSE3)
 * kernels: sgemm at 25 GFLOP/s instead of 110-130 with the SkylakeX
 * (AVX-512) ones on one core of this machine. The only way to choose is
 * OPENBLAS_CORETYPE in the environment at load time, so
 * gpt_blas_kernels() re-executes the program once with it set (and the
 * OpenMP wait policy, read at load time too).
 *
 * Non-goals: choosing between kernel families OpenBLAS did recognise;
 * other BLAS libraries.
 */
#ifndef GPT_BLAS_H
#define GPT_BLAS_H

/* Call first in main, before MPI is initialised, with main's argv: sets
 * what must be in the environment when the libraries load and
 * re-executes /proc/self/exe once if it changed anything:
 * - OPENBLAS_CORETYPE, when OpenBLAS chose its generic Prescott kernels
 *   and it is unset: the widest family the CPU runs (SkylakeX with
 *   AVX-512F, Haswell with AVX2 + FMA);
 * - OMP_WAIT_POLICY=PASSIVE, when unset: threads waiting at the end of a
 *   parallel loop sleep instead of spinning. Spinning gains little on
 *   cores of one's own and is ruinous on shared ones (measured: the tiny
 *   config at 2 threads while another process kept both cores busy took
 *   0.8 s a step spinning, 0.003 s sleeping); OMP_WAIT_POLICY=ACTIVE
 *   restores it.
 * Returns when nothing is to be done or the exec failed (the program
 * then runs as it is). */
void gpt_blas_kernels(char **argv);

/* The kernel family in use ("SkylakeX", "Prescott", ...). */
const char *gpt_blas_core(void);

/* Threads of this process: OpenBLAS's and the layers' OpenMP loops
 * (before the first GEMM). */
void gpt_blas_threads(int threads);

/* The threads a parallel loop gets (1 without OpenMP). */
int gpt_blas_max_threads(void);

/* Whether a GEMM may be called inside an OpenMP parallel loop: true with
 * OpenBLAS's OpenMP build (the GEMM then runs on its caller's thread);
 * false with its pthread build, whose own threads would compete with
 * the loop's for the cores (measured: attention 30x slower). */
int gpt_blas_nests(void);

#endif /* GPT_BLAS_H */

/* cpupeak.h - the dense FP32 peak of a CPU core, measured by an FMA
 * microbenchmark once per node and cached, and the cores a rank uses.
 *
 * The kernel runs independent chains of vector FMAs (enough to cover
 * the FMA latency on two ports) with the widest instruction set the CPU
 * has, chosen at run time (AVX-512F, AVX2+FMA, else portable vectors), so
 * the library is built without -march=native and still measures what
 * the machine can do. Sustained, not turbo-peak: the best of a few
 * 20-ms runs.
 *
 * Non-goals: FP64/BF16 kernels (FP64 is taken as half of FP32), the
 * memory-bound rate, several cores at once (the caller multiplies).
 */
#ifndef HUBJOB_CPUPEAK_H
#define HUBJOB_CPUPEAK_H

#include "error.h"

/* FP32 FLOP/s of one core, measured now; *isa names the kernel used
 * ("avx512f", "avx2", "generic"). */
double cpupeak_measure(const char **isa);

/* FP32 FLOP/s of one core of this node: the cache file if it holds a
 * value, else measured and written there atomically (a failed write is
 * not an error). cache_path NULL means $HUB_CPU_PEAK_CACHE, else
 * /tmp/hubjob-cpupeak-<node>.txt. */
double cpupeak_core_flops(const char *node, const char *cache_path);

/* Cores this process may use: OMP_NUM_THREADS when set and smaller than
 * its CPU affinity mask, else the mask's count (at least 1). */
int cpupeak_rank_cores(void);

#endif /* HUBJOB_CPUPEAK_H */

/* pcopy.h - libhubjob, internal: copy many large buffers at the memory
 * system's speed, for the asynchronous checkpoint's staging copy.
 *
 * One thread copying with ordinary stores reaches about half of what
 * this machine's memory can move (the destination is read before it is
 * written, and one core cannot keep enough misses in flight): measured
 * 5.3 GB/s for 64 MiB buffers against 12.3 GB/s with two threads and
 * non-temporal stores (benchmarks/bench_ckpt.c, case "async").
 */
#ifndef HUB_PCOPY_H
#define HUB_PCOPY_H

#include <stddef.h>

/* One copy: bytes from src to dst; the two must not overlap. */
struct pcopy_item {
    void *dst;
    const void *src;
    size_t bytes;
};

/* Do every copy of items[0..n). The bytes are split evenly over up to
 * `threads` threads (the calling one among them; fewer when the total is
 * small or a thread cannot be created, so the copy always completes), and
 * large stretches are written with non-temporal stores where the CPU has
 * them. The destination is not in the caller's cache afterwards. */
void pcopy_run(const struct pcopy_item *items, size_t n, int threads);

/* The thread count pcopy_run is worth giving on this process: the CPUs
 * it may run on, at most 4 (two already reach the memory bandwidth of
 * the 2-core machines we measured on). */
int pcopy_threads(void);

#endif

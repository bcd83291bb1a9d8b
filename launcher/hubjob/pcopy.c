/* pcopy.c - copy many large buffers over several threads with
 * non-temporal stores (see pcopy.h). */
#include "pcopy.h"

#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h> /* SSE2: part of the x86-64 baseline */
#endif

/* Below this, a thread costs more than it saves. */
#define PCOPY_MIN_PER_THREAD (4u << 20)
#define PCOPY_MAX_THREADS 4

/* One thread's share: the byte range [from, to) of the items laid end
 * to end. */
struct pcopy_share {
    const struct pcopy_item *items;
    size_t n;
    size_t from, to;
};

/* memcpy, with the 16-byte-aligned middle of the destination written by
 * streaming stores that bypass the cache. */
static void stream_copy(char *dst, const char *src, size_t bytes)
{
#if defined(__x86_64__)
    size_t head = (16 - ((uintptr_t)dst & 15)) & 15, i;

    if (bytes < 4096 || head > bytes) {
        memcpy(dst, src, bytes);
        return;
    }
    memcpy(dst, src, head);
    for (i = head; i + 64 <= bytes; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(src + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(src + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(src + i + 48));
        _mm_stream_si128((__m128i *)(dst + i), a);
        _mm_stream_si128((__m128i *)(dst + i + 16), b);
        _mm_stream_si128((__m128i *)(dst + i + 32), c);
        _mm_stream_si128((__m128i *)(dst + i + 48), d);
    }
    _mm_sfence(); /* the streamed stores are visible before we return */
    memcpy(dst + i, src + i, bytes - i);
#else
    memcpy(dst, src, bytes);
#endif
}

static void *copy_share(void *arg)
{
    const struct pcopy_share *s = arg;
    size_t start = 0; /* offset of item k in the end-to-end layout */

    for (size_t k = 0; k < s->n && start < s->to; k++) {
        const struct pcopy_item *it = &s->items[k];
        size_t end = start + it->bytes;
        size_t lo = s->from > start ? s->from - start : 0;
        size_t hi = s->to < end ? s->to - start : it->bytes;

        if (lo < hi)
            stream_copy((char *)it->dst + lo, (const char *)it->src + lo,
                        hi - lo);
        start = end;
    }
    return NULL;
}

void pcopy_run(const struct pcopy_item *items, size_t n, int threads)
{
    struct pcopy_share share[PCOPY_MAX_THREADS];
    pthread_t tid[PCOPY_MAX_THREADS];
    bool started[PCOPY_MAX_THREADS] = {false};
    size_t total = 0;

    for (size_t k = 0; k < n; k++)
        total += items[k].bytes;
    if (threads > PCOPY_MAX_THREADS)
        threads = PCOPY_MAX_THREADS;
    while (threads > 1 && total / (size_t)threads < PCOPY_MIN_PER_THREAD)
        threads--;
    if (threads < 1)
        threads = 1;
    for (int t = 0; t < threads; t++) {
        /* 4 KiB-aligned cuts keep each page with one thread */
        size_t from = (total / threads * t) & ~(size_t)4095;
        size_t to = t == threads - 1
                        ? total
                        : (total / threads * (t + 1)) & ~(size_t)4095;
        share[t] = (struct pcopy_share){items, n, from, to};
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, copy_share, &share[t]) == 0;
    copy_share(&share[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            copy_share(&share[t]); /* no thread: this one does it */
    }
}

int pcopy_threads(void)
{
    cpu_set_t set;
    int n = 1;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    return n < 1 ? 1 : n > PCOPY_MAX_THREADS ? PCOPY_MAX_THREADS : n;
}

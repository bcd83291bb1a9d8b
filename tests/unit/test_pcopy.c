/* test_pcopy.c - the staging copy of asynchronous checkpoints: every
 * byte lands, whatever the sizes, alignments, thread counts and cuts
 * between threads, and nothing outside the destinations is written. */
#include "cmocka_all.h"

#include <stdlib.h>
#include <string.h>

#include "pcopy.h"

#define GUARD 64

/* A destination with GUARD bytes of 0xA5 on each side. */
static unsigned char *guarded(size_t bytes)
{
    unsigned char *p = malloc(bytes + 2 * GUARD);

    assert_non_null(p);
    memset(p, 0xA5, bytes + 2 * GUARD);
    return p + GUARD;
}

static void check_guards(const unsigned char *dst, size_t bytes)
{
    for (size_t i = 1; i <= GUARD; i++) {
        assert_int_equal(dst[-(ptrdiff_t)i], 0xA5);
        assert_int_equal(dst[bytes + i - 1], 0xA5);
    }
}

static unsigned char *pattern(size_t bytes, unsigned seed)
{
    unsigned char *p = malloc(bytes ? bytes : 1);

    assert_non_null(p);
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)(i * 131 + seed * 7 + (i >> 12));
    return p;
}

/* Copy items of the given sizes, the sources and destinations offset
 * from their allocations by src_off and dst_off, with threads. */
static void copy_and_check(const size_t *sizes, size_t n, size_t src_off,
                           size_t dst_off, int threads)
{
    struct pcopy_item items[8];
    unsigned char *src[8], *dst[8];

    assert_true(n <= 8);
    for (size_t k = 0; k < n; k++) {
        src[k] = pattern(sizes[k] + src_off, (unsigned)k);
        dst[k] = guarded(sizes[k] + dst_off);
        items[k] =
            (struct pcopy_item){dst[k] + dst_off, src[k] + src_off, sizes[k]};
    }
    pcopy_run(items, n, threads);
    for (size_t k = 0; k < n; k++) {
        assert_memory_equal(dst[k] + dst_off, src[k] + src_off, sizes[k]);
        for (size_t i = 0; i < dst_off; i++)
            assert_int_equal(dst[k][i], 0xA5);
        check_guards(dst[k], sizes[k] + dst_off);
        free(src[k]);
        free(dst[k] - GUARD);
    }
}

static void test_small_items_on_one_thread(void **state)
{
    (void)state;
    size_t sizes[] = {0, 1, 15, 16, 17, 4095, 4096, 4097};
    copy_and_check(sizes, 8, 0, 0, 1);
    copy_and_check(sizes, 8, 3, 5, 4);
}

/* Big enough that two, three and four threads each get a share whose
 * cuts fall inside items, not on their boundaries. */
static void test_large_items_split_over_threads(void **state)
{
    (void)state;
    size_t sizes[] = {(9u << 20) + 13, 1, (5u << 20) + 4093, 64,
                      (3u << 20) + 7};

    for (int threads = 1; threads <= 4; threads++) {
        copy_and_check(sizes, 5, 0, 0, threads);
        copy_and_check(sizes, 5, 1, 9, threads); /* unaligned both sides */
    }
}

static void test_one_huge_item_and_odd_thread_requests(void **state)
{
    (void)state;
    size_t sizes[] = {(17u << 20) + 1};

    copy_and_check(sizes, 1, 0, 7, 3);
    copy_and_check(sizes, 1, 0, 0, 64); /* more than the cap: capped */
    copy_and_check(sizes, 1, 0, 0, 0);  /* none asked: the caller copies */
}

static void test_no_items(void **state)
{
    (void)state;
    pcopy_run(NULL, 0, 4);
}

static void test_thread_count_is_bounded(void **state)
{
    (void)state;
    int n = pcopy_threads();
    assert_true(n >= 1 && n <= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_items_on_one_thread),
        cmocka_unit_test(test_large_items_split_over_threads),
        cmocka_unit_test(test_one_huge_item_and_odd_thread_requests),
        cmocka_unit_test(test_no_items),
        cmocka_unit_test(test_thread_count_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

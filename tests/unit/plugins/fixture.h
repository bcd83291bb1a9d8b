/* fixture.h - the "fixture" plugin type that test_plugin.c loads: its ABI
 * version and ops struct as the host knows them (ABI 1.1). */
#ifndef HUB_TEST_FIXTURE_H
#define HUB_TEST_FIXTURE_H

#define FIXTURE_ABI_MAJOR 1
#define FIXTURE_ABI_MINOR 1

/* Values the fixtures return, so the test can tell which one ran. */
#define FIXTURE_EXTRA_RESULT 42

struct fixture_ops {
    int (*init)(void *ctx);       /* mandatory: sets *(int *)ctx = 1 */
    int (*run)(void *ctx, int x); /* mandatory: a fixture-specific f(x) */
    int (*extra)(void *ctx);      /* optional, since 1.1 */
};

#endif /* HUB_TEST_FIXTURE_H */

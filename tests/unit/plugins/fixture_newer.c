/* fixture_newer.c - a fixture plugin built for ABI 1.2, whose ops table
 * has one op more at its end than this host (1.1) knows. */
#include "plugin.h"

/* The fixture ops struct as a future 1.2 might define it. */
struct fixture_ops_1_2 {
    int (*init)(void *ctx);
    int (*run)(void *ctx, int x);
    int (*extra)(void *ctx);
    int (*later)(void *ctx, const char *what);
};

static int newer_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static int newer_run(void *ctx, int x)
{
    (void)ctx;
    return x + 1000;
}

static int newer_extra(void *ctx)
{
    (void)ctx;
    return 7;
}

static int newer_later(void *ctx, const char *what)
{
    (void)ctx;
    return what != 0;
}

static const struct fixture_ops_1_2 ops = {
    .init = newer_init,
    .run = newer_run,
    .extra = newer_extra,
    .later = newer_later,
};

HUB_PLUGIN_DESCRIPTOR("fixture", "newer", 1, 2, ops);

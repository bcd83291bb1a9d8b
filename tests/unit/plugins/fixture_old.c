/* fixture_old.c - a fixture plugin built for ABI 1.0, before the optional
 * `extra` op existed: its ops table is one pointer shorter. */
#include "plugin.h"

/* The fixture ops struct as it was in 1.0 (fixture.h has 1.1). */
struct fixture_ops_1_0 {
    int (*init)(void *ctx);
    int (*run)(void *ctx, int x);
};

static int old_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static int old_run(void *ctx, int x)
{
    (void)ctx;
    return x + 100;
}

static const struct fixture_ops_1_0 ops = {
    .init = old_init,
    .run = old_run,
};

HUB_PLUGIN_DESCRIPTOR("fixture", "old", 1, 0, ops);

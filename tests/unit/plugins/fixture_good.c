/* fixture_good.c - a complete fixture plugin of the current ABI (1.1). */
#include "plugin.h"

#include "fixture.h"

static int good_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static int good_run(void *ctx, int x)
{
    (void)ctx;
    return 2 * x;
}

static int good_extra(void *ctx)
{
    (void)ctx;
    return FIXTURE_EXTRA_RESULT;
}

static const struct fixture_ops ops = {
    .init = good_init,
    .run = good_run,
    .extra = good_extra,
};

HUB_PLUGIN_DESCRIPTOR("fixture", "good", FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR,
                      ops);

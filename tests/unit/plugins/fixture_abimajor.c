/* fixture_abimajor.c - a fixture plugin built for the next ABI major. */
#include "plugin.h"

#include "fixture.h"

static int major_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static int major_run(void *ctx, int x)
{
    (void)ctx;
    return x;
}

static const struct fixture_ops ops = {.init = major_init, .run = major_run};

HUB_PLUGIN_DESCRIPTOR("fixture", "abimajor", FIXTURE_ABI_MAJOR + 1, 0, ops);

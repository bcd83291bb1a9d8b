/* fixture_misnamed.c - a fixture plugin whose descriptor names it "other"
 * while its file is fixture_misnamed.so. */
#include "plugin.h"

#include "fixture.h"

static int misnamed_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static int misnamed_run(void *ctx, int x)
{
    (void)ctx;
    return x;
}

static const struct fixture_ops ops = {.init = misnamed_init,
                                       .run = misnamed_run};

HUB_PLUGIN_DESCRIPTOR("fixture", "other", FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR,
                      ops);

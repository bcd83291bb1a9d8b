/* fixture_badmagic.c - a fixture plugin whose descriptor has a wrong magic,
 * as one built against an incompatible plugin.h would. */
#include "plugin.h"

#include "fixture.h"

static int bad_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static int bad_run(void *ctx, int x)
{
    (void)ctx;
    return x;
}

static const struct fixture_ops ops = {.init = bad_init, .run = bad_run};

__attribute__((visibility("default"))) const hub_plugin_desc_t hub_plugin = {
    .magic = 0xdeadbeefu,
    .abi_major = FIXTURE_ABI_MAJOR,
    .abi_minor = FIXTURE_ABI_MINOR,
    .type = "fixture",
    .name = "badmagic",
    .ops = &ops,
    .ops_size = sizeof(ops),
};

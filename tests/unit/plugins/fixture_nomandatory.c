/* fixture_nomandatory.c - a fixture plugin that leaves the mandatory `run`
 * op NULL. */
#include "plugin.h"

#include "fixture.h"

static int nomandatory_init(void *ctx)
{
    *(int *)ctx = 1;
    return 0;
}

static const struct fixture_ops ops = {.init = nomandatory_init};

HUB_PLUGIN_DESCRIPTOR("fixture", "nomandatory", FIXTURE_ABI_MAJOR,
                      FIXTURE_ABI_MINOR, ops);

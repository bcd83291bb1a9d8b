/* hubsel_local.c - hubsel/local: no hub preference (the default).
 *
 * Every hub is listed in index order with score 0 and the ranking says
 * "any": placement considers the nodes of all hubs at once and the select
 * plugin picks, exactly as before hub selection existed. Latency SLOs are
 * not looked at (hubsel/cost honours them).
 * Built into libhubsched as hub_hubsel_local_desc.
 */
#include <string.h>

#include "plugins.h"

/* The context is the conf (for the hub count); it is never NULL. */
static int local_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    *ctx = (void *)conf;
    return 0;
}

static void local_destroy(void *ctx)
{
}

static int local_rank(void *ctx, const hub_hubsel_view_t *view,
                      const hub_job_t *job, hub_hubsel_score_t *out, bool *any)
{
    const hub_conf_t *conf = ctx;

    for (size_t h = 0; h < conf->nhubs; h++) {
        memset(&out[h], 0, sizeof(out[h]));
        out[h].hub = (uint32_t)h;
    }
    *any = true;
    return (int)conf->nhubs;
}

static const hub_hubsel_ops_t local_ops = {
    .create = local_create,
    .destroy = local_destroy,
    .rank = local_rank,
};

const hub_plugin_desc_t hub_hubsel_local_desc = HUB_PLUGIN_DESC_INIT(
    "hubsel", "local", HUB_HUBSEL_ABI_MAJOR, HUB_HUBSEL_ABI_MINOR, local_ops);

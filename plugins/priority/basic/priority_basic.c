/* priority_basic.c - priority/basic: Slurm's job factors without fair-share.
 *
 * priority = round(w_age*age + w_size*job_size + w_part*partition) - nice,
 * never below 0, with the factors of factors.h. No state beyond what
 * hub.conf gives: no usage is kept, so begin_pass and charge are absent.
 * Built into libhubsched as hub_priority_basic_desc.
 */
#include <errno.h>
#include <stdlib.h>

#include "factors.h"
#include "plugins.h"

static int basic_create(void **ctx, const hub_conf_t *conf, hub_error_t *err)
{
    prio_base_t *b = malloc(sizeof(*b));
    int rc;

    if (!b)
        return hub_errorf(err, ENOMEM, "priority/basic: out of memory");
    if ((rc = prio_base_init(b, conf, false, err)) < 0) {
        free(b);
        return rc;
    }
    *ctx = b;
    return 0;
}

static void basic_destroy(void *ctx)
{
    free(ctx);
}

static int64_t basic_priority(void *ctx, const hub_job_t *job, int64_t now_ms)
{
    prio_factors_t f;

    prio_factors_compute(ctx, job, now_ms, &f);
    return prio_combine(ctx, &f, job->req.nice);
}

static json_t *basic_explain(void *ctx, const hub_job_t *job, int64_t now_ms)
{
    prio_factors_t f;

    prio_factors_compute(ctx, job, now_ms, &f);
    return prio_explain(ctx, &f, job->req.nice);
}

static const hub_priority_ops_t basic_ops = {
    .create = basic_create,
    .destroy = basic_destroy,
    .priority = basic_priority,
    .explain = basic_explain,
};

const hub_plugin_desc_t hub_priority_basic_desc =
    HUB_PLUGIN_DESC_INIT("priority", "basic", HUB_PRIORITY_ABI_MAJOR,
                         HUB_PRIORITY_ABI_MINOR, basic_ops);

/* sched_hubsel.c - the host side of hub selection: loading the hubsel
 * plugin, the pending demand its rankings see, and the explanation for
 * hcontrol show job. Placement in ranked order is in sched_place.c.
 */
#include "sched_int.h"

#include <errno.h>
#include <stdlib.h>

#include "hubsel_util.h"

/* Mean time limit assumed when nothing is pending: one hour. */
#define HUBSEL_LIMIT_S 3600.0

int hubsel_load(hub_sched_t *s, const char *path, hub_error_t *err)
{
    const char *name = s->conf->globals.hubsel_type;

    s->hubsel_pl = hub_plugin_load(&hub_hubsel_plugin_type, name, path, err);
    if (!s->hubsel_pl)
        return hub_error_prefix(err, -EINVAL, "HubSelectType=%s", name);
    s->hubsel = hub_plugin_ops(s->hubsel_pl);
    s->hub_pending_gpus = calloc(s->conf->nhubs, sizeof(double));
    s->ranked = calloc(s->conf->nhubs, sizeof(*s->ranked));
    s->hub_mean_limit_s = HUBSEL_LIMIT_S;
    if (!s->hub_pending_gpus || !s->ranked)
        return hub_errorf(err, ENOMEM, "out of memory");
    return s->hubsel->create(&s->hubsel_ctx, s->conf, err);
}

void hubsel_unload(hub_sched_t *s)
{
    if (s->hubsel && s->hubsel_ctx)
        s->hubsel->destroy(s->hubsel_ctx);
    hub_plugin_unload(s->hubsel_pl);
    free(s->hub_pending_gpus);
    free(s->ranked);
}

void hubsel_begin_pass(hub_sched_t *s, const hub_sched_view_t *view)
{
    size_t nhubs = s->conf->nhubs;
    double limit_sum = 0, shared = 0;

    for (size_t h = 0; h < nhubs; h++)
        s->hub_pending_gpus[h] = 0;
    for (uint32_t i = 0; i < view->npending; i++) {
        const hub_job_req_t *r = &view->pending[i]->req;
        const hub_conf_hub_t *h =
            r->hub[0] ? hub_conf_find_hub(s->conf, r->hub) : NULL;
        if (h)
            s->hub_pending_gpus[h - s->conf->hubs] += hub_req_gpus(r);
        else
            shared += hub_req_gpus(r);
        limit_sum +=
            r->time_limit_s > 0 ? (double)r->time_limit_s : HUBSEL_LIMIT_S;
    }
    for (size_t h = 0; h < nhubs; h++)
        s->hub_pending_gpus[h] += shared / (double)nhubs;
    s->hub_mean_limit_s =
        view->npending ? limit_sum / view->npending : HUBSEL_LIMIT_S;
}

int hubsel_rank(hub_sched_t *s, const hub_cluster_t *cluster,
                const hub_job_t *job, bool *any)
{
    hub_hubsel_view_t v = {
        .cluster = cluster,
        .pending_gpus = s->hub_pending_gpus,
        .mean_limit_s = s->hub_mean_limit_s,
    };
    int n = s->hubsel->rank(s->hubsel_ctx, &v, job, s->ranked, any);

    return n > (int)s->conf->nhubs ? -EINVAL : n;
}

static json_t *score_json(const hub_conf_t *conf, const hub_hubsel_score_t *r)
{
    return json_pack("{s:s, s:f, s:f, s:f, s:f, s:f}", "hub",
                     conf->hubs[r->hub].name, "score", r->score, "energy",
                     r->energy, "carbon", r->carbon, "transfer", r->transfer,
                     "wait", r->wait);
}

json_t *hub_sched_explain_hub(hub_sched_t *s, const hub_job_t *job)
{
    json_t *hubs, *o;
    bool any = false;
    int n;

    if (job->req.hub[0])
        return json_pack("{s:s, s:b}", "hub", job->req.hub, "explicit", 1);
    if (!(hubs = json_array()))
        return NULL;
    n = hubsel_rank(s, s->cluster, job, &any);
    for (int i = 0; i < n; i++)
        json_array_append_new(hubs, score_json(s->conf, &s->ranked[i]));
    o = json_pack("{s:s, s:b, s:o}", "plugin", s->conf->globals.hubsel_type,
                  "any", any, "hubs", hubs);
    return o;
}

/* factors.c - age, job size, partition and QoS factors, their weighted sum
 * and its JSON explanation (see factors.h).
 */
#include "factors.h"

#include <errno.h>
#include <math.h>

static double clamp01(double x)
{
    return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

static void weights_init(prio_weights_t *w, const hub_conf_globals_t *g,
                         bool fairshare)
{
    w->age = g->priority_weight_age;
    w->job_size = g->priority_weight_job_size;
    w->partition = g->priority_weight_partition;
    w->fairshare = fairshare ? g->priority_weight_fairshare : 0.0;
    if (w->age == 0 && w->job_size == 0 && w->partition == 0 &&
        w->fairshare == 0) {
        w->age = w->job_size = w->partition = PRIO_DEFAULT_WEIGHT;
        w->fairshare = fairshare ? PRIO_DEFAULT_WEIGHT : 0.0;
    }
}

int64_t prio_secs_to_ms(int64_t secs)
{
    return secs >= INT64_MAX / 1000 ? INT64_MAX : secs * 1000;
}

int prio_base_init(prio_base_t *b, const hub_conf_t *conf, bool fairshare,
                   hub_error_t *err)
{
    const hub_conf_globals_t *g;

    if (!conf)
        return hub_errorf(err, EINVAL, "priority: no configuration");
    g = &conf->globals;
    *b = (prio_base_t){.conf = conf, .fairshare = fairshare};
    weights_init(&b->w, g, fairshare);
    b->max_age_ms = g->priority_max_age_s > 0
                        ? prio_secs_to_ms(g->priority_max_age_s)
                        : PRIO_DEFAULT_MAX_AGE_MS;
    for (size_t i = 0; i < conf->nnodes; i++) {
        b->cluster_cpus += (uint64_t)conf->nodes[i].cpus;
        b->cluster_gpus_milli += (uint64_t)conf->nodes[i].gpus * HUB_GPU_MILLI;
    }
    for (size_t i = 0; i < conf->npartitions; i++)
        if (conf->partitions[i].priority_job_factor > b->max_part_factor)
            b->max_part_factor = conf->partitions[i].priority_job_factor;
    return 0;
}

/* Time waited, from eligibility (or submission while not yet eligible),
 * over PriorityMaxAge. */
static double age_factor(const prio_base_t *b, const hub_job_t *job,
                         int64_t now_ms)
{
    int64_t since = job->eligible_ms > 0 ? job->eligible_ms : job->submit_ms;

    return clamp01((double)(now_ms - since) / (double)b->max_age_ms);
}

/* GPUs asked for over the whole job, milli-GPUs. */
static uint64_t job_gpus_milli(const hub_job_req_t *req)
{
    uint32_t nodes = req->nodes_min > 0 ? req->nodes_min : 1;

    if (req->gpus_milli > 0)
        return req->gpus_milli;
    return (uint64_t)req->gpus_per_node_milli * nodes;
}

/* The job's share of the cluster: by GPUs for a GPU job, else by CPUs. */
static double size_factor(const prio_base_t *b, const hub_job_t *job)
{
    const hub_job_req_t *req = &job->req;
    uint64_t gpus = job_gpus_milli(req);
    uint64_t cpus;

    if (gpus > 0 && b->cluster_gpus_milli > 0)
        return clamp01((double)gpus / (double)b->cluster_gpus_milli);
    if (b->cluster_cpus == 0)
        return 0.0;
    cpus = (uint64_t)(req->ntasks ? req->ntasks : 1) *
           (req->cpus_per_task ? req->cpus_per_task : 1);
    return clamp01((double)cpus / (double)b->cluster_cpus);
}

/* The job's partition ("" = the default one), or NULL. */
static const hub_conf_partition_t *job_partition(const hub_conf_t *conf,
                                                 const hub_job_t *job)
{
    if (job->req.partition[0])
        return hub_conf_find_partition(conf, job->req.partition);
    if (conf->default_partition >= 0)
        return &conf->partitions[conf->default_partition];
    return NULL;
}

static double partition_factor(const prio_base_t *b, const hub_job_t *job)
{
    const hub_conf_partition_t *p = job_partition(b->conf, job);

    if (!p || b->max_part_factor <= 0)
        return 0.0;
    return (double)p->priority_job_factor / (double)b->max_part_factor;
}

void prio_factors_compute(const prio_base_t *b, const hub_job_t *job,
                          int64_t now_ms, prio_factors_t *f)
{
    *f = (prio_factors_t){
        .age = age_factor(b, job, now_ms),
        .job_size = size_factor(b, job),
        .partition = partition_factor(b, job),
    };
}

static double weighted_sum(const prio_base_t *b, const prio_factors_t *f)
{
    return b->w.age * f->age + b->w.job_size * f->job_size +
           b->w.partition * f->partition + b->w.fairshare * f->fairshare;
}

int64_t prio_combine(const prio_base_t *b, const prio_factors_t *f,
                     int32_t nice)
{
    int64_t p = llround(weighted_sum(b, f)) - nice;

    return p > 0 ? p : 0;
}

static int add_factor(json_t *factors, const char *name, double factor,
                      double weight)
{
    json_t *o = json_pack("{s:f, s:f, s:f}", "factor", factor, "weight", weight,
                          "value", factor * weight);

    return json_object_set_new(factors, name, o);
}

json_t *prio_explain(const prio_base_t *b, const prio_factors_t *f,
                     int32_t nice)
{
    json_t *factors = json_object();
    int rc = 0;

    if (!factors)
        return NULL;
    rc |= add_factor(factors, "age", f->age, b->w.age);
    rc |= add_factor(factors, "job_size", f->job_size, b->w.job_size);
    rc |= add_factor(factors, "partition", f->partition, b->w.partition);
    rc |= add_factor(factors, "qos", f->qos, 0.0);
    if (b->fairshare)
        rc |= add_factor(factors, "fairshare", f->fairshare, b->w.fairshare);
    if (rc != 0) {
        json_decref(factors);
        return NULL;
    }
    return json_pack("{s:I, s:i, s:o}", "priority",
                     (json_int_t)prio_combine(b, f, nice), "nice", nice,
                     "factors", factors);
}

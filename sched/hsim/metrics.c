/* metrics.c - what a replay measures, per policy: waits, bounded
 * slowdown, job completion time, makespan, time-weighted GPU and CPU
 * allocation and fragmentation, pass durations, and energy, cost and
 * emissions per hub.
 *
 * Allocation is integrated exactly (it changes only at events).
 * Fragmentation - hub_cluster_stranded_gpu_milli() for the trace's most
 * common GPU request per GPU - costs a scan of the nodes, so it is taken
 * at the series points (about HSIM_SERIES_POINTS over the trace) and
 * integrated from them. A job's energy is its GPUs' board power (the
 * GpuType's PowerW, else HSIM_GPU_W) per GPU held plus trace->cpu_w per
 * CPU held, times its run time, times its hub's PUE; cost and CO2 follow
 * from the hub's PowerPrice and CarbonIntensity.
 */
#include "hsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Series points over a trace: enough for a plot, few enough that the
 * fragmentation scans cost nothing next to the passes. */
#define HSIM_SERIES_POINTS 500

/* The most common GPU request per GPU among the trace's GPU jobs (a
 * fraction, or HUB_GPU_MILLI for whole GPUs); 0 without GPU jobs. */
static uint32_t common_size(const hsim_trace_t *tr)
{
    uint32_t best = 0, best_n = 0, sizes[64] = {0}, counts[64] = {0};
    size_t nsizes = 0;

    for (size_t i = 0; i < tr->njobs; i++) {
        uint32_t g = tr->jobs[i].gpus_milli, k;
        if (g == 0)
            continue;
        g = g < HUB_GPU_MILLI ? g : HUB_GPU_MILLI;
        for (k = 0; k < nsizes && sizes[k] != g; k++)
            ;
        if (k == nsizes && nsizes < 64)
            sizes[nsizes++] = g;
        if (k < nsizes && ++counts[k] > best_n) {
            best_n = counts[k];
            best = g;
        }
    }
    return best;
}

static double trace_span(const hsim_trace_t *tr)
{
    double first = tr->njobs ? (double)tr->jobs[0].submit_s : 0, last = 0;

    for (size_t i = 0; i < tr->njobs; i++) {
        double end = (double)(tr->jobs[i].submit_s + tr->jobs[i].run_s);
        last = end > last ? end : last;
    }
    return last > first ? last - first : 1;
}

int hsim_metrics_init(hsim_metrics_t *m, const hub_conf_t *conf,
                      const hsim_trace_t *tr, const char *label)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->label, sizeof(m->label), "%s", label);
    for (size_t i = 0; i < conf->nnodes; i++) {
        m->gpu_total += (uint64_t)conf->nodes[i].gpus * HUB_GPU_MILLI;
        m->cpu_total += (uint64_t)conf->nodes[i].cpus;
    }
    m->frag_size = common_size(tr);
    m->njobs = tr->njobs;
    m->start_s = malloc((tr->njobs + 1) * sizeof(*m->start_s));
    m->end_s = malloc((tr->njobs + 1) * sizeof(*m->end_s));
    m->hubs = calloc(conf->nhubs, sizeof(*m->hubs));
    m->nhubs = conf->nhubs;
    if (!m->start_s || !m->end_s || !m->hubs)
        return -ENOMEM;
    for (size_t i = 0; i < tr->njobs; i++)
        m->start_s[i] = m->end_s[i] = -1;
    for (size_t i = 0; i < conf->nhubs; i++)
        snprintf(m->hubs[i].name, sizeof(m->hubs[i].name), "%s",
                 conf->hubs[i].name);
    m->first_submit_s = tr->njobs ? (double)tr->jobs[0].submit_s : 0;
    m->t_last = m->first_submit_s;
    m->series_step_s = trace_span(tr) / HSIM_SERIES_POINTS;
    m->next_sample_s = m->first_submit_s;
    return 0;
}

void hsim_metrics_fini(hsim_metrics_t *m)
{
    free(m->start_s);
    free(m->end_s);
    free(m->series);
    free(m->pass_us);
    free(m->hubs);
    memset(m, 0, sizeof(*m));
}

void hsim_metrics_advance(hsim_metrics_t *m, double t_s)
{
    double dt = t_s - m->t_last;

    if (dt <= 0)
        return;
    m->gpu_int += dt * (double)m->gpu_used;
    m->cpu_int += dt * (double)m->cpu_used;
    m->t_last = t_s;
}

static void alloc_sums(const hub_alloc_t *a, uint64_t *gpu, uint64_t *cpu)
{
    *gpu = *cpu = 0;
    for (uint32_t i = 0; i < a->nnodes; i++) {
        *cpu += a->nodes[i].cpus;
        for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
            *gpu += a->nodes[i].gpu_milli[g];
    }
}

void hsim_metrics_started(hsim_metrics_t *m, const hub_job_t *job, size_t idx,
                          double t_s, double submit_s)
{
    uint64_t gpu, cpu;

    alloc_sums(&job->alloc, &gpu, &cpu);
    m->gpu_used += gpu;
    m->cpu_used += cpu;
    m->start_s[idx] = t_s;
    if (t_s - submit_s > m->wait_max)
        m->wait_max = t_s - submit_s;
}

/* IT power of what one allocation entry holds, W. */
static double node_watts(const hub_cluster_t *c, const hsim_trace_t *tr,
                         const hub_alloc_node_t *an)
{
    const hub_conf_node_t *cn = c->nodes[an->node].conf;
    double gpu_w = HSIM_GPU_W, milli = 0;

    if (cn && cn->gpu_type >= 0 && c->conf->gpu_types[cn->gpu_type].power_w > 0)
        gpu_w = c->conf->gpu_types[cn->gpu_type].power_w;
    for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
        milli += an->gpu_milli[g];
    return milli / HUB_GPU_MILLI * gpu_w + an->cpus * tr->cpu_w;
}

static void charge_energy(hsim_metrics_t *m, const hub_cluster_t *c,
                          const hsim_trace_t *tr, const hub_alloc_t *a,
                          double run_s)
{
    for (uint32_t i = 0; i < a->nnodes; i++) {
        uint32_t hub = c->nodes[a->nodes[i].node].hub;
        const hub_conf_hub_t *h = &c->conf->hubs[hub];
        double kwh = node_watts(c, tr, &a->nodes[i]) * run_s / 3.6e6 * h->pue;
        m->hubs[hub].kwh += kwh;
        m->hubs[hub].cost += kwh * h->power_price;
        m->hubs[hub].co2_kg += kwh * h->carbon_intensity / 1000;
    }
}

void hsim_metrics_ended(hsim_metrics_t *m, const hub_cluster_t *c,
                        const hsim_trace_t *tr, const hub_job_t *job,
                        size_t idx, double t_s, bool timeout)
{
    double submit = (double)tr->jobs[idx].submit_s, start = m->start_s[idx];
    double run = t_s - start, wait = start - submit;
    uint64_t gpu, cpu;

    alloc_sums(&job->alloc, &gpu, &cpu);
    m->gpu_used -= gpu;
    m->cpu_used -= cpu;
    m->end_s[idx] = t_s;
    m->done++;
    m->timeouts += timeout;
    m->wait_sum += wait;
    m->bsld_sum += hsim_bsld(wait, run);
    m->jct_sum += t_s - submit;
    if (t_s > m->last_end_s)
        m->last_end_s = t_s;
    charge_energy(m, c, tr, &job->alloc, run);
}

static int series_add(hsim_metrics_t *m, const hsim_sample_t *s)
{
    if (m->nseries == m->series_cap) {
        size_t cap = m->series_cap ? m->series_cap * 2 : 256;
        hsim_sample_t *v = realloc(m->series, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        m->series = v;
        m->series_cap = cap;
    }
    m->series[m->nseries++] = *s;
    return 0;
}

int hsim_metrics_sample(hsim_metrics_t *m, const hub_cluster_t *c, double t_s,
                        uint32_t pending, uint32_t running, bool force)
{
    hsim_sample_t s = {.t_s = t_s, .pending = pending, .running = running};

    if (!force && t_s < m->next_sample_s)
        return 0;
    s.gpu_alloc = m->gpu_total ? (double)m->gpu_used / m->gpu_total : 0;
    s.cpu_alloc = m->cpu_total ? (double)m->cpu_used / m->cpu_total : 0;
    s.frag = m->gpu_total && m->frag_size
                 ? (double)hub_cluster_stranded_gpu_milli(c, m->frag_size) /
                       m->gpu_total
                 : 0;
    if (m->nseries) {
        const hsim_sample_t *p = &m->series[m->nseries - 1];
        m->frag_int += (t_s - p->t_s) * (p->frag + s.frag) / 2;
        m->frag_t += t_s - p->t_s;
    }
    while (m->next_sample_s <= t_s)
        m->next_sample_s += m->series_step_s;
    return series_add(m, &s);
}

int hsim_metrics_pass(hsim_metrics_t *m, int64_t us)
{
    if (m->npass == m->pass_cap) {
        size_t cap = m->pass_cap ? m->pass_cap * 2 : 4096;
        uint32_t *v = realloc(m->pass_us, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        m->pass_us = v;
        m->pass_cap = cap;
    }
    m->pass_us[m->npass++] = us > 0 ? (uint32_t)us : 0;
    return 0;
}

double hsim_metrics_avg_wait(const hsim_metrics_t *m)
{
    return m->done ? m->wait_sum / m->done : 0;
}

double hsim_metrics_avg_bsld(const hsim_metrics_t *m)
{
    return m->done ? m->bsld_sum / m->done : 0;
}

double hsim_metrics_avg_jct(const hsim_metrics_t *m)
{
    return m->done ? m->jct_sum / m->done : 0;
}

double hsim_metrics_makespan(const hsim_metrics_t *m)
{
    return m->done ? m->last_end_s - m->first_submit_s : 0;
}

static double span(const hsim_metrics_t *m)
{
    return m->t_last - m->first_submit_s;
}

double hsim_metrics_gpu_alloc(const hsim_metrics_t *m)
{
    return m->gpu_total && span(m) > 0 ? m->gpu_int / span(m) / m->gpu_total
                                       : 0;
}

double hsim_metrics_cpu_alloc(const hsim_metrics_t *m)
{
    return m->cpu_total && span(m) > 0 ? m->cpu_int / span(m) / m->cpu_total
                                       : 0;
}

double hsim_metrics_frag(const hsim_metrics_t *m)
{
    return m->frag_t > 0 ? m->frag_int / m->frag_t : 0;
}

static int by_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

void hsim_metrics_done(hsim_metrics_t *m)
{
    if (m->npass > 1) /* no passes: no array, and qsort(NULL) is UB */
        qsort(m->pass_us, m->npass, sizeof(*m->pass_us), by_u32);
}

double hsim_metrics_pass_ms(const hsim_metrics_t *m, double p)
{
    size_t k;

    if (m->npass == 0)
        return 0;
    k = (size_t)(p / 100 * (double)(m->npass - 1) + 0.5);
    return m->pass_us[k < m->npass ? k : m->npass - 1] / 1000.0;
}

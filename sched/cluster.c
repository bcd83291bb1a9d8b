/* cluster.c - live node resources: build from hub.conf, take, give, copy.
 *
 * Every change of a node's free counts goes through take_node() and
 * give_node(), which keep cpus_free, mem_free_mb, gpu_free_milli[],
 * gpus_idle, gpu_milli_free and njobs in agreement. hub_cluster_take() is
 * all-or-nothing: it applies node by node and rolls back on the first part
 * that is not free, which also covers an allocation naming a node twice.
 */
#include "cluster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

static uint32_t initial_state(hub_conf_node_state_t s, bool registered_up)
{
    switch (s) {
    case HUB_NODE_STATE_IDLE:
        return 0;
    case HUB_NODE_STATE_DOWN:
        return HUB_NODE_DOWN;
    case HUB_NODE_STATE_DRAIN:
        return HUB_NODE_DRAIN;
    default:
        return registered_up ? 0 : HUB_NODE_UNKNOWN;
    }
}

static void node_init(hub_node_t *n, const hub_conf_node_t *cn, uint32_t idx,
                      bool registered_up)
{
    memset(n, 0, sizeof(*n));
    n->conf = cn;
    n->idx = idx;
    n->hub = (uint32_t)cn->hub;
    n->state = initial_state(cn->state, registered_up);
    n->cpus = n->cpus_free = (uint32_t)cn->cpus;
    n->mem_mb = n->mem_free_mb = cn->real_memory_mb;
    n->ngpus = n->gpus_idle = (uint32_t)cn->gpus;
    n->gpu_milli_free = n->ngpus * HUB_GPU_MILLI;
    for (uint32_t g = 0; g < n->ngpus; g++)
        n->gpu_free_milli[g] = HUB_GPU_MILLI;
}

static int check_conf(const hub_conf_t *conf, hub_error_t *err)
{
    for (size_t i = 0; i < conf->nnodes; i++) {
        const hub_conf_node_t *cn = &conf->nodes[i];
        if (cn->gpus < 0 || cn->gpus > HUB_NODE_MAX_GPUS)
            return hub_errorf(err, EINVAL,
                              "node '%s' has %d GPUs; at most %d are "
                              "supported",
                              cn->name, cn->gpus, HUB_NODE_MAX_GPUS);
        if (cn->cpus < 0)
            return hub_errorf(err, EINVAL, "node '%s' has %d CPUs", cn->name,
                              cn->cpus);
    }
    return 0;
}

hub_cluster_t *hub_cluster_create(const hub_conf_t *conf, bool registered_up,
                                  hub_error_t *err)
{
    hub_cluster_t *c;
    int rc = check_conf(conf, err);

    if (rc < 0) {
        errno = -rc;
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c)
        c->nodes = calloc(conf->nnodes ? conf->nnodes : 1, sizeof(*c->nodes));
    if (!c || !c->nodes) {
        free(c);
        hub_errorf(err, ENOMEM, "out of memory for %zu nodes", conf->nnodes);
        errno = ENOMEM;
        return NULL;
    }
    c->conf = conf;
    c->nnodes = (uint32_t)conf->nnodes;
    for (uint32_t i = 0; i < c->nnodes; i++)
        node_init(&c->nodes[i], &conf->nodes[i], i, registered_up);
    return c;
}

hub_cluster_t *hub_cluster_clone(const hub_cluster_t *c)
{
    hub_cluster_t *copy = malloc(sizeof(*copy));

    if (!copy)
        return NULL;
    *copy = *c;
    copy->nodes = malloc((c->nnodes ? c->nnodes : 1) * sizeof(*c->nodes));
    if (!copy->nodes) {
        free(copy);
        return NULL;
    }
    memcpy(copy->nodes, c->nodes, c->nnodes * sizeof(*c->nodes));
    return copy;
}

void hub_cluster_copy(hub_cluster_t *dst, const hub_cluster_t *src)
{
    uint32_t n = dst->nnodes < src->nnodes ? dst->nnodes : src->nnodes;

    memcpy(dst->nodes, src->nodes, n * sizeof(*src->nodes));
}

void hub_cluster_destroy(hub_cluster_t *c)
{
    if (!c)
        return;
    free(c->nodes);
    free(c);
}

/* True when every part of a is free on n (exclusive: nobody else on it). */
static bool node_has(const hub_node_t *n, const hub_alloc_node_t *a,
                     bool exclusive)
{
    if (n->exclusive || (exclusive && n->njobs > 0))
        return false;
    if (a->cpus > n->cpus_free || a->mem_mb > n->mem_free_mb)
        return false;
    for (uint32_t g = 0; g < HUB_NODE_MAX_GPUS; g++) {
        uint16_t avail = g < n->ngpus ? n->gpu_free_milli[g] : 0;
        if (a->gpu_milli[g] > avail)
            return false;
    }
    return true;
}

static void take_node(hub_node_t *n, const hub_alloc_node_t *a, bool exclusive)
{
    n->cpus_free -= a->cpus;
    n->mem_free_mb -= a->mem_mb;
    for (uint32_t g = 0; g < n->ngpus; g++) {
        uint16_t want = a->gpu_milli[g];
        if (want == 0)
            continue;
        if (n->gpu_free_milli[g] == HUB_GPU_MILLI)
            n->gpus_idle--;
        n->gpu_free_milli[g] -= want;
        n->gpu_milli_free -= want;
    }
    n->njobs++;
    if (exclusive)
        n->exclusive = true;
}

static void give_node(hub_node_t *n, const hub_alloc_node_t *a, bool exclusive)
{
    n->cpus_free += a->cpus;
    n->mem_free_mb += a->mem_mb;
    for (uint32_t g = 0; g < n->ngpus; g++) {
        uint16_t back = a->gpu_milli[g];
        if (back == 0)
            continue;
        n->gpu_free_milli[g] += back;
        n->gpu_milli_free += back;
        if (n->gpu_free_milli[g] == HUB_GPU_MILLI)
            n->gpus_idle++;
    }
    if (n->njobs > 0)
        n->njobs--;
    if (exclusive)
        n->exclusive = false;
}

int hub_cluster_take(hub_cluster_t *c, const hub_alloc_t *alloc, bool exclusive)
{
    for (uint32_t i = 0; i < alloc->nnodes; i++) {
        if (alloc->nodes[i].node >= c->nnodes)
            return -EINVAL;
    }
    for (uint32_t i = 0; i < alloc->nnodes; i++) {
        const hub_alloc_node_t *a = &alloc->nodes[i];
        hub_node_t *n = &c->nodes[a->node];
        if (!node_has(n, a, exclusive)) {
            while (i-- > 0)
                give_node(&c->nodes[alloc->nodes[i].node], &alloc->nodes[i],
                          exclusive);
            return -EBUSY;
        }
        take_node(n, a, exclusive);
    }
    return 0;
}

void hub_cluster_give(hub_cluster_t *c, const hub_alloc_t *alloc,
                      bool exclusive)
{
    for (uint32_t i = 0; i < alloc->nnodes; i++) {
        const hub_alloc_node_t *a = &alloc->nodes[i];
        if (a->node < c->nnodes)
            give_node(&c->nodes[a->node], a, exclusive);
    }
}

long hub_cluster_find_node(const hub_cluster_t *c, const char *name)
{
    const hub_conf_node_t *cn = hub_conf_find_node(c->conf, name);

    if (!cn)
        return -1;
    return (long)(cn - c->conf->nodes);
}

char *hub_cluster_alloc_nodelist(const hub_cluster_t *c,
                                 const hub_alloc_t *alloc)
{
    hub_hostlist_t *hl = hub_hostlist_create();
    char *s = NULL;

    if (!hl)
        return NULL;
    for (uint32_t i = 0; i < alloc->nnodes; i++) {
        uint32_t idx = alloc->nodes[i].node;
        if (idx >= c->nnodes ||
            hub_hostlist_append(hl, c->nodes[idx].conf->name, NULL) < 0)
            goto out;
    }
    s = hub_hostlist_encode(hl);
out:
    hub_hostlist_destroy(hl);
    return s;
}

/* Free milli-GPUs of n that a job wanting size_milli per GPU slot cannot
 * use: see cluster.h. */
static uint64_t node_stranded(const hub_node_t *n, uint32_t size_milli)
{
    uint64_t stranded = 0;

    if (n->cpus_free == 0)
        return n->gpu_milli_free;
    for (uint32_t g = 0; g < n->ngpus; g++) {
        uint32_t free_milli = n->gpu_free_milli[g];
        if (size_milli >= HUB_GPU_MILLI)
            stranded += free_milli < HUB_GPU_MILLI ? free_milli : 0;
        else
            stranded += free_milli % size_milli;
    }
    return stranded;
}

uint64_t hub_cluster_stranded_gpu_milli(const hub_cluster_t *c,
                                        uint32_t size_milli)
{
    uint64_t stranded = 0;

    if (size_milli == 0)
        return 0;
    for (uint32_t i = 0; i < c->nnodes; i++) {
        if (hub_node_usable(&c->nodes[i]))
            stranded += node_stranded(&c->nodes[i], size_milli);
    }
    return stranded;
}

/* conf_check.c - hub.conf whole-file checks, run once every line is read:
 * unique names, references between records (node -> hub, GPU type and
 * switch; link -> hubs; switch -> nodes and switches; partition -> nodes),
 * and the sorted name indexes behind the lookups.
 *
 * Rules (doc/hub.conf.md, "Checks"): with no HubName at all, one implicit
 * hub "default" holds every node; with exactly one hub, Hub= defaults to it;
 * with several, every node needs Hub=. Errors point at the line of the
 * record that refers, or of the second definition of a name.
 */
#include "conf_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_AT(conf, rt, i)                                                    \
    ((char *)*(void **)((char *)(conf) + (rt)->arr_off) + (i) * (rt)->size)
#define REC_NAME(rec, rt) (*(const char **)((char *)(rec) + (rt)->name_off))
#define REC_ORIGIN(rec, rt)                                                    \
    ((const hub_conf_origin_t *)((char *)(rec) + (rt)->origin_off))

/* err = "FILE:LINE: <fmt>"; returns -EINVAL. */
static int at(hub_error_t *err, const hub_conf_origin_t *o, const char *fmt,
              ...) __attribute__((format(printf, 3, 4)));

static int at(hub_error_t *err, const hub_conf_origin_t *o, const char *fmt,
              ...)
{
    char msg[HUB_ERROR_TEXT_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hub_errorf(err, EINVAL, "%s:%d: %s", o->file, o->line, msg);
}

/* ---- indexes ---- */

static int ix_cmp(const void *a, const void *b)
{
    const conf_name_ix_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int build_index(hub_conf_t *conf, const conf_rectype_t *rt,
                       hub_error_t *err)
{
    size_t n = *(size_t *)((char *)conf + rt->n_off);
    conf_name_ix_t *ix = malloc((n ? n : 1) * sizeof(*ix));

    if (!ix)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ix[i].name = REC_NAME(REC_AT(conf, rt, i), rt);
        ix[i].idx = i;
    }
    qsort(ix, n, sizeof(*ix), ix_cmp);
    conf->priv->ix[rt->kind] = ix;
    for (size_t i = 1; i < n; i++) {
        const char *later = REC_AT(conf, rt, ix[i].idx);
        const char *first = REC_AT(conf, rt, ix[i - 1].idx);
        if (strcmp(ix[i].name, ix[i - 1].name) == 0)
            return at(err, REC_ORIGIN(later, rt),
                      "%s=%s: defined twice (first at %s:%d)", rt->key,
                      ix[i].name, REC_ORIGIN(first, rt)->file,
                      REC_ORIGIN(first, rt)->line);
    }
    return 0;
}

static int build_indexes(hub_conf_t *conf, hub_error_t *err)
{
    for (size_t k = 0; k < CONF_NREC; k++) {
        int rc;
        if (k == CONF_REC_LINK)
            continue;
        if ((rc = build_index(conf, &conf_rectypes[k], err)) < 0)
            return rc;
    }
    return 0;
}

static int ix_find_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const conf_name_ix_t *)elem)->name);
}

long conf_index_of(const hub_conf_t *conf, enum conf_kind kind,
                   const char *name)
{
    const conf_rectype_t *rt = &conf_rectypes[kind];
    size_t n = *(const size_t *)((const char *)conf + rt->n_off);
    const conf_name_ix_t *hit;

    if (!conf->priv->ix[kind] || !name)
        return -1;
    hit = bsearch(name, conf->priv->ix[kind], n, sizeof(*hit), ix_find_cmp);
    return hit ? (long)hit->idx : -1;
}

/* ---- hubs and links ---- */

static int add_implicit_hub(hub_conf_t *conf, hub_error_t *err)
{
    conf_parser_t p = {.conf = conf};
    hub_conf_hub_t hub = {.name = HUB_CONF_IMPLICIT_HUB,
                          .pue = 1.0,
                          .implicit = true,
                          .origin = {"(implicit)", 0}};

    if (conf->nhubs > 0)
        return 0;
    return conf_append(&p, &conf_rectypes[CONF_REC_HUB], &hub, err);
}

static int check_link(hub_conf_t *conf, size_t i, hub_error_t *err)
{
    hub_conf_link_t *l = &conf->links[i];
    long a = conf_index_of(conf, CONF_REC_HUB, l->hub_a);
    long b = conf_index_of(conf, CONF_REC_HUB, l->hub_b);

    if (a < 0 || b < 0)
        return at(err, &l->origin, "HubLink=%s,%s: hub '%s' is not defined",
                  l->hub_a, l->hub_b, a < 0 ? l->hub_a : l->hub_b);
    l->a = (size_t)a;
    l->b = (size_t)b;
    for (size_t j = 0; j < i; j++) {
        const hub_conf_link_t *o = &conf->links[j];
        if ((o->a == l->a && o->b == l->b) || (o->a == l->b && o->b == l->a))
            return at(err, &l->origin,
                      "HubLink=%s,%s: defined twice (first at %s:%d)", l->hub_a,
                      l->hub_b, o->origin.file, o->origin.line);
    }
    return 0;
}

/* ---- nodes ---- */

static int resolve_node_hub(hub_conf_t *conf, hub_conf_node_t *node,
                            hub_error_t *err)
{
    long hub;

    if (!node->hub_name && conf->nhubs > 1)
        return at(err, &node->origin,
                  "NodeName=%s: Hub is required when %zu hubs are defined",
                  node->name, conf->nhubs);
    if (!node->hub_name) {
        node->hub_name = conf->hubs[0].name;
        node->hub = 0;
        return 0;
    }
    if ((hub = conf_index_of(conf, CONF_REC_HUB, node->hub_name)) < 0 ||
        conf->hubs[hub].implicit)
        return at(err, &node->origin,
                  "NodeName=%s: Hub=%s: no HubName=%s is defined", node->name,
                  node->hub_name, node->hub_name);
    node->hub = (size_t)hub;
    return 0;
}

static int check_node(hub_conf_t *conf, hub_conf_node_t *node, hub_error_t *err)
{
    int rc = resolve_node_hub(conf, node, err);

    if (rc < 0)
        return rc;
    if (node->gpu_type_name &&
        (node->gpu_type =
             conf_index_of(conf, CONF_REC_GPU, node->gpu_type_name)) < 0)
        return at(err, &node->origin,
                  "NodeName=%s: Gres=gpu:%s:%d: no GpuType=%s is defined",
                  node->name, node->gpu_type_name, node->gpus,
                  node->gpu_type_name);
    if (node->switch_name &&
        (node->switch_idx =
             conf_index_of(conf, CONF_REC_SWITCH, node->switch_name)) < 0)
        return at(err, &node->origin,
                  "NodeName=%s: Switch=%s: no SwitchName=%s is defined",
                  node->name, node->switch_name, node->switch_name);
    return 0;
}

/* ---- switches ---- */

/* Put node name under switch si (Nodes=). */
static int attach_node(hub_conf_t *conf, size_t si, size_t j, hub_error_t *err)
{
    hub_conf_switch_t *sw = &conf->switches[si];
    const char *name = sw->node_names.v[j];
    long ni = conf_index_of(conf, CONF_REC_NODE, name);
    hub_conf_node_t *node;

    if (ni < 0)
        return at(err, &sw->origin, "SwitchName=%s: node '%s' is not defined",
                  sw->name, name);
    node = &conf->nodes[ni];
    if (node->switch_idx >= 0 && (size_t)node->switch_idx != si)
        return at(err, &sw->origin,
                  "SwitchName=%s: node '%s' is already under switch '%s'",
                  sw->name, name, conf->switches[node->switch_idx].name);
    node->switch_idx = (long)si;
    node->switch_name = sw->name;
    sw->node_idx[j] = (size_t)ni;
    return 0;
}

/* Put switch name under switch si (Switches=). */
static int attach_switch(hub_conf_t *conf, size_t si, size_t j,
                         hub_error_t *err)
{
    hub_conf_switch_t *sw = &conf->switches[si];
    const char *name = sw->switch_names.v[j];
    long ci = conf_index_of(conf, CONF_REC_SWITCH, name);

    if (ci < 0)
        return at(err, &sw->origin, "SwitchName=%s: switch '%s' is not defined",
                  sw->name, name);
    if ((size_t)ci == si)
        return at(err, &sw->origin, "SwitchName=%s: lists itself", sw->name);
    if (conf->switches[ci].parent >= 0 &&
        (size_t)conf->switches[ci].parent != si)
        return at(err, &sw->origin,
                  "SwitchName=%s: switch '%s' is already under switch '%s'",
                  sw->name, name,
                  conf->switches[conf->switches[ci].parent].name);
    conf->switches[ci].parent = (long)si;
    sw->switch_idx[j] = (size_t)ci;
    return 0;
}

static int check_switch(hub_conf_t *conf, size_t si, hub_error_t *err)
{
    hub_conf_switch_t *sw = &conf->switches[si];
    size_t nn = sw->node_names.n, ns = sw->switch_names.n;
    int rc = 0;

    sw->node_idx = conf_alloc(conf, (nn ? nn : 1) * sizeof(size_t));
    sw->switch_idx = conf_alloc(conf, (ns ? ns : 1) * sizeof(size_t));
    if (!sw->node_idx || !sw->switch_idx)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t j = 0; rc == 0 && j < nn; j++)
        rc = attach_node(conf, si, j, err);
    for (size_t j = 0; rc == 0 && j < ns; j++)
        rc = attach_switch(conf, si, j, err);
    return rc;
}

/* With one parent each, a cycle shows as a walk longer than nswitches. */
static int check_switch_cycles(hub_conf_t *conf, hub_error_t *err)
{
    for (size_t i = 0; i < conf->nswitches; i++) {
        long s = (long)i;
        for (size_t steps = 0; s >= 0; steps++) {
            if (steps > conf->nswitches)
                return at(err, &conf->switches[i].origin,
                          "SwitchName=%s: switches form a cycle",
                          conf->switches[i].name);
            s = conf->switches[s].parent;
        }
    }
    return 0;
}

/* ---- partitions ---- */

static int resolve_part_nodes(hub_conf_t *conf, hub_conf_partition_t *part,
                              hub_error_t *err)
{
    bool all = part->nodes_expr && part->node_names.n == 0;
    size_t n = all ? conf->nnodes : part->node_names.n;

    if (!(part->node_idx = conf_alloc(conf, (n ? n : 1) * sizeof(size_t))))
        return hub_errorf(err, ENOMEM, "out of memory");
    part->nnodes = n;
    for (size_t j = 0; j < n; j++) {
        long ni =
            all ? (long)j
                : conf_index_of(conf, CONF_REC_NODE, part->node_names.v[j]);
        if (ni < 0)
            return at(err, &part->origin,
                      "PartitionName=%s: Nodes: node '%s' is not defined",
                      part->name, part->node_names.v[j]);
        part->node_idx[j] = (size_t)ni;
    }
    return 0;
}

static int check_partition(hub_conf_t *conf, size_t pi, hub_error_t *err)
{
    hub_conf_partition_t *part = &conf->partitions[pi];
    const hub_conf_partition_t *other;

    if (part->is_default && conf->default_partition >= 0) {
        other = &conf->partitions[conf->default_partition];
        return at(err, &part->origin,
                  "PartitionName=%s: Default=YES, but PartitionName=%s at "
                  "%s:%d is the default already",
                  part->name, other->name, other->origin.file,
                  other->origin.line);
    }
    if (part->is_default)
        conf->default_partition = (long)pi;
    return resolve_part_nodes(conf, part, err);
}

/* ---- all of it ---- */

#define EACH(n, call)                                                          \
    for (size_t i = 0; i < (n); i++)                                           \
        if ((rc = (call)) < 0)                                                 \
            return rc;

int conf_check(hub_conf_t *conf, hub_error_t *err)
{
    int rc;

    if ((rc = add_implicit_hub(conf, err)) < 0 ||
        (rc = build_indexes(conf, err)) < 0)
        return rc;
    EACH(conf->nlinks, check_link(conf, i, err));
    EACH(conf->nnodes, check_node(conf, &conf->nodes[i], err));
    EACH(conf->nswitches, check_switch(conf, i, err));
    if ((rc = check_switch_cycles(conf, err)) < 0)
        return rc;
    EACH(conf->npartitions, check_partition(conf, i, err));
    return 0;
}

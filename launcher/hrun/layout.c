/* layout.c - the allocation's nodes, spares and exclusions, the rank
 * placement and hostfile, and a rank's GPUs (layout.h). */
#include "layout.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Append node name with slots (0: not given). */
static int add_node(layout_t *l, const char *name, int slots, hub_error_t *err)
{
    layout_node_t *nodes;

    if (strlen(name) > HUB_HOSTNAME_MAX)
        return hub_errorf(err, EINVAL, "host name '%s' is too long", name);
    if (l->nnodes >= LAYOUT_MAX_NODES)
        return hub_errorf(err, E2BIG, "more than %d nodes", LAYOUT_MAX_NODES);
    nodes = realloc(l->nodes, (l->nnodes + 1) * sizeof(*nodes));
    if (!nodes)
        return hub_errorf(err, ENOMEM, "out of memory");
    l->nodes = nodes;
    nodes[l->nnodes] = (layout_node_t){.slots = slots};
    snprintf(nodes[l->nnodes].name, sizeof(nodes->name), "%s", name);
    l->nnodes++;
    return 0;
}

/* Every host of hostlist expr, each with slots. */
static int add_hostlist(layout_t *l, const char *expr, int slots,
                        hub_error_t *err)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr(expr, err);
    int rc = 0;

    if (!hl)
        return -EINVAL;
    for (size_t i = 0; rc == 0 && i < hub_hostlist_count(hl); i++)
        rc = add_node(l, hub_hostlist_nth(hl, i), slots, err);
    hub_hostlist_destroy(hl);
    return rc;
}

/* A count >= 1 in s (the whole string), else -1. */
static int count_of(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);

    return s != end && *end == '\0' && n >= 1 && n <= 1 << 20 ? (int)n : -1;
}

static int env_count(layout_getenv_fn get, const char *name)
{
    const char *v = get(name);
    int n = v ? count_of(v) : -1;

    return n > 0 ? n : 0;
}

int layout_from_env(layout_t *l, layout_getenv_fn get, hub_error_t *err)
{
    const char *hub = get("HUB_NODELIST"), *slurm = get("SLURM_JOB_NODELIST");
    char host[HUB_HOSTNAME_MAX + 1];

    *l = (layout_t){0};
    l->ntasks_hint = env_count(get, "SLURM_NTASKS");
    l->tpn_hint = env_count(get, "SLURM_NTASKS_PER_NODE");
    if (hub && *hub) {
        l->source = "hubsched";
        return add_hostlist(l, hub, 0, err);
    }
    if (slurm && *slurm) {
        l->source = "slurm";
        return add_hostlist(l, slurm, 0, err);
    }
    l->source = "local";
    l->ntasks_hint = l->tpn_hint = 0;
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    return add_node(l, host, 0, err);
}

/* One hostfile line (comments stripped, not blank). */
static int hostfile_line(layout_t *l, char *line, int lineno, hub_error_t *err)
{
    char *save = NULL, *host = strtok_r(line, " \t", &save), *word, *colon;
    int slots = 0;

    if ((colon = strchr(host, ':')) != NULL) {
        *colon = '\0';
        if ((slots = count_of(colon + 1)) < 0)
            return hub_errorf(err, EINVAL,
                              "hostfile line %d: bad slot count "
                              "'%s'",
                              lineno, colon + 1);
    }
    while ((word = strtok_r(NULL, " \t", &save)) != NULL) {
        if (strncmp(word, "slots=", 6) == 0) {
            if ((slots = count_of(word + 6)) < 0)
                return hub_errorf(err, EINVAL, "hostfile line %d: bad '%s'",
                                  lineno, word);
        } else if (strncmp(word, "max_slots=", 10) != 0) {
            return hub_errorf(err, EINVAL,
                              "hostfile line %d: unknown '%s' "
                              "(want slots=N)",
                              lineno, word);
        }
    }
    return add_node(l, host, slots, err);
}

int layout_from_hostfile(layout_t *l, const char *text, hub_error_t *err)
{
    char *copy = strdup(text), *save = NULL, *line;
    int rc = 0, lineno = 0;

    *l = (layout_t){.source = "hostfile"};
    if (!copy)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (line = strtok_r(copy, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        line[strcspn(line, "#")] = '\0';
        if (line[strspn(line, " \t\r")] != '\0')
            rc = hostfile_line(l, line, lineno, err);
    }
    free(copy);
    if (rc == 0 && l->nnodes == 0)
        rc = hub_errorf(err, EINVAL, "hostfile names no host");
    if (rc < 0)
        layout_fini(l);
    return rc;
}

/* One --host word: "expr" or "expr:N", split at the last ':' outside
 * brackets. */
static int hosts_word(layout_t *l, char *word, hub_error_t *err)
{
    char *colon = strrchr(word, ':');
    int slots = 0;

    if (colon && !strchr(colon, ']')) {
        *colon = '\0';
        if ((slots = count_of(colon + 1)) < 0)
            return hub_errorf(err, EINVAL, "--host: bad slot count '%s'",
                              colon + 1);
    }
    return add_hostlist(l, word, slots, err);
}

int layout_from_hosts(layout_t *l, const char *list, hub_error_t *err)
{
    char *copy = strdup(list), *start, *p;
    int rc = 0, depth = 0;

    *l = (layout_t){.source = "host"};
    if (!copy)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (start = p = copy; rc == 0; p++) {
        depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
        if (*p && (*p != ',' || depth > 0))
            continue;
        char end = *p;
        *p = '\0';
        if (*start)
            rc = hosts_word(l, start, err);
        if (!end)
            break;
        start = p + 1;
    }
    free(copy);
    if (rc == 0 && l->nnodes == 0)
        rc = hub_errorf(err, EINVAL, "--host names no host");
    if (rc < 0)
        layout_fini(l);
    return rc;
}

void layout_fini(layout_t *l)
{
    if (!l)
        return;
    free(l->nodes);
    l->nodes = NULL;
    l->nnodes = 0;
}

int layout_set_spares(layout_t *l, int k, hub_error_t *err)
{
    if (k < 0 || (size_t)k >= l->nnodes)
        return hub_errorf(err, EINVAL,
                          "%d spare node%s of an allocation of %zu: at least "
                          "one node must run ranks",
                          k, k == 1 ? "" : "s", l->nnodes);
    for (size_t i = l->nnodes - (size_t)k; i < l->nnodes; i++)
        l->nodes[i].state = LAYOUT_SPARE;
    return 0;
}

int layout_node_lost(layout_t *l, const char *name, const char **spare)
{
    layout_node_t *lost = NULL;

    *spare = "";
    for (size_t i = 0; i < l->nnodes && !lost; i++)
        if (strcmp(l->nodes[i].name, name) == 0 &&
            l->nodes[i].state == LAYOUT_ACTIVE)
            lost = &l->nodes[i];
    if (!lost)
        return -ENOENT;
    lost->failures++;
    lost->state = LAYOUT_EXCLUDED;
    for (size_t i = 0; i < l->nnodes; i++) {
        if (l->nodes[i].state == LAYOUT_SPARE) {
            /* The spare takes the lost node's place in the rank order. */
            layout_node_t tmp = l->nodes[i];
            tmp.state = LAYOUT_ACTIVE;
            l->nodes[i] = *lost;
            *lost = tmp;
            *spare = lost->name;
            return 0;
        }
    }
    return -ENOSPC;
}

/* Ranks per node and the total from req and the allocation's hints. */
static int plan_shape(const layout_t *l, const layout_req_t *req, size_t nact,
                      int *tpn, int *ntasks, hub_error_t *err)
{
    int slots = 0;

    *tpn = req->ntasks_per_node;
    *ntasks = req->ntasks;
    for (size_t i = 0; i < l->nnodes; i++)
        if (l->nodes[i].state == LAYOUT_ACTIVE)
            slots += l->nodes[i].slots ? l->nodes[i].slots : 1;
    if (*ntasks <= 0)
        *ntasks = *tpn > 0         ? *tpn * (int)nact
                  : l->tpn_hint    ? l->tpn_hint * (int)nact
                  : l->ntasks_hint ? l->ntasks_hint
                                   : slots;
    if (*tpn <= 0)
        *tpn = (*ntasks + (int)nact - 1) / (int)nact;
    if ((long)*tpn * (long)nact < *ntasks)
        return hub_errorf(
            err, EINVAL, "-n %d does not fit %zu node%s x %d task%s per node",
            *ntasks, nact, nact == 1 ? "" : "s", *tpn, *tpn == 1 ? "" : "s");
    return 0;
}

int layout_plan(const layout_t *l, const layout_req_t *req, layout_plan_t *plan,
                hub_error_t *err)
{
    size_t nact = 0, k = 0;
    int tpn, ntasks, left, rc;

    *plan = (layout_plan_t){0};
    for (size_t i = 0; i < l->nnodes; i++)
        nact += l->nodes[i].state == LAYOUT_ACTIVE;
    if (nact == 0)
        return hub_errorf(err, ENOSPC, "no node left to run on");
    if ((rc = plan_shape(l, req, nact, &tpn, &ntasks, err)) < 0)
        return rc;
    plan->per_node = calloc(nact, sizeof(*plan->per_node));
    plan->names = calloc(nact, sizeof(*plan->names));
    if (!plan->per_node || !plan->names) {
        layout_plan_fini(plan);
        return hub_errorf(err, ENOMEM, "out of memory");
    }
    left = ntasks;
    for (size_t i = 0; i < l->nnodes && left > 0; i++) {
        const layout_node_t *n = &l->nodes[i];
        int here = left < tpn ? left : tpn;
        if (n->state != LAYOUT_ACTIVE)
            continue;
        if (n->slots && here > n->slots && !req->oversubscribe) {
            layout_plan_fini(plan);
            return hub_errorf(err, EINVAL,
                              "%d ranks on %s, which has %d slot%s "
                              "(--oversubscribe to allow)",
                              here, n->name, n->slots,
                              n->slots == 1 ? "" : "s");
        }
        plan->names[k] = (char *)n->name;
        plan->per_node[k++] = here;
        plan->max_per_node =
            here > plan->max_per_node ? here : plan->max_per_node;
        left -= here;
    }
    plan->nactive = k;
    plan->ntasks = ntasks;
    return 0;
}

void layout_plan_fini(layout_plan_t *plan)
{
    if (!plan)
        return;
    free(plan->per_node);
    free(plan->names);
    *plan = (layout_plan_t){0};
}

char *layout_hostfile_text(const layout_plan_t *plan)
{
    size_t cap = plan->nactive * (HUB_HOSTNAME_MAX + 24) + 1, used = 0;
    char *text = malloc(cap);

    if (!text)
        return NULL;
    text[0] = '\0';
    for (size_t i = 0; i < plan->nactive; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s slots=%d\n",
                                 plan->names[i], plan->per_node[i]);
    return text;
}

int layout_rank_gpus(const char *node_gpus, int lr, int per_task, char *out,
                     size_t len, hub_error_t *err)
{
    const char *p = node_gpus;
    int first = lr * per_task, have = 0;
    size_t used = 0;

    out[0] = '\0';
    if (lr < 0 || per_task < 1)
        return hub_errorf(err, EINVAL, "local rank %d, %d GPUs per task", lr,
                          per_task);
    for (int i = 0; *p; i++) {
        size_t n = strcspn(p, ",");
        if (i >= first && i < first + per_task) {
            if (used + n + 2 > len)
                return hub_errorf(err, ERANGE, "GPU list too long");
            used += (size_t)snprintf(out + used, len - used, "%s%.*s",
                                     used ? "," : "", (int)n, p);
            have++;
        }
        p += n + (p[n] == ',');
    }
    if (have < per_task)
        return hub_errorf(err, ERANGE,
                          "local rank %d needs GPUs %d-%d of the node's "
                          "'%s'",
                          lr, first, first + per_task - 1, node_gpus);
    return 0;
}

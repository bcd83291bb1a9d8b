/* hinfo.c - partitions, nodes and hubs at a glance, as sinfo does.
 *
 * One "info" request gives every hub, partition and node. The default
 * view has a row per partition, hub and node state (sinfo's grouping plus
 * the hub) with the node count, GPU use and the compressed node list:
 *
 *   PARTITION AVAIL  TIMELIMIT HUB   NODES STATE GPUS               NODELIST
 *   gpu*         up 2-00:00:00 west      1   mix 4.25/8 (0.75 frac) n2
 *
 * (columns narrowed here).
 * GPUS is used/total in GPUs; "(F frac)" is free capacity on partly used
 * GPUs, which only fractional jobs (--gpus=0.25) can take. -N lists
 * nodes one per line, --hubs sums up each hub with its PUE, power price
 * and region.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "units.h"

static const char usage_text[] =
    "Usage: hinfo [OPTIONS]\n"
    "Show partitions, nodes and hubs, as sinfo.\n"
    "\n"
    "  -p, --partition=LIST  only these partitions\n"
    "      --hub=LIST        only nodes of these hubs\n"
    "  -N, --Node            one line per node: state, free CPUs, memory\n"
    "                        and GPUs (whole + fractional)\n"
    "      --hubs            one line per hub: nodes, GPUs, PUE, price\n"
    "  -h, --noheader        no header line\n"
    "      --json            the controller's answer as JSON\n"
    "      --help            this text\n"
    "\n"
    "GPUS reads USED/TOTAL; \"(F frac)\" is free capacity on partly used\n"
    "GPUs. Node states: idle, mix, alloc, drain (drng while jobs still\n"
    "run), down, unk.\n";

enum { OPT_HUB = 256, OPT_HUBS, OPT_JSON, OPT_HELP };

static const struct option longopts[] = {
    {"partition", required_argument, NULL, 'p'},
    {"hub", required_argument, NULL, OPT_HUB},
    {"Node", no_argument, NULL, 'N'},
    {"hubs", no_argument, NULL, OPT_HUBS},
    {"noheader", no_argument, NULL, 'h'},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef enum view { VIEW_PARTITIONS, VIEW_NODES, VIEW_HUBS } view_t;

typedef struct opts {
    json_t *partitions; /* names to show; empty: all */
    json_t *hubs;       /* hub names to show; empty: all */
    view_t view;
    bool noheader, json, help;
} opts_t;

/* ---- a small table ----------------------------------------------------- */

typedef struct col {
    const char *header;
    int width;
    bool right;
} col_t;

/* Print one line of ncols cells; the last one is not padded. */
static void print_cells(const col_t *cols, size_t ncols,
                        const char *const *cells)
{
    for (size_t i = 0; i < ncols; i++) {
        if (i + 1 == ncols && cells[i][0] == '\0')
            break;
        if (i > 0)
            putchar(' ');
        cmd_cell(stdout, cells[i], i + 1 == ncols ? 0 : cols[i].width,
                 cols[i].right ? CMD_CELL_RIGHT : 0);
    }
    putchar('\n');
}

static void print_header(const opts_t *o, const col_t *cols, size_t ncols)
{
    const char *cells[16];

    if (o->noheader)
        return;
    for (size_t i = 0; i < ncols && i < 16; i++)
        cells[i] = cols[i].header;
    print_cells(cols, ncols, cells);
}

/* ---- nodes ------------------------------------------------------------- */

static const char *node_str(const json_t *node, const char *key)
{
    const char *s = json_string_value(json_object_get(node, key));

    return s ? s : "";
}

static json_int_t node_int(const json_t *node, const char *key)
{
    return json_integer_value(json_object_get(node, key));
}

/* sinfo's short state of a node. */
static const char *node_state(const json_t *node)
{
    const char *st = node_str(node, "state");
    bool busy = node_int(node, "jobs") > 0;

    if (strncasecmp(st, "DOWN", 4) == 0)
        return "down";
    if (strncasecmp(st, "DRAIN", 5) == 0)
        return busy ? "drng" : "drain";
    if (strncasecmp(st, "UNKNOWN", 7) == 0)
        return "unk";
    if (strcasecmp(st, "ALLOCATED") == 0)
        return "alloc";
    if (strcasecmp(st, "MIXED") == 0)
        return "mix";
    return busy ? "mix" : "idle";
}

static bool hub_shown(const opts_t *o, const json_t *node)
{
    return json_array_size(o->hubs) == 0 ||
           cmd_list_has(o->hubs, node_str(node, "hub"));
}

/* ---- partition view ---------------------------------------------------- */

/* Nodes of one partition sharing a hub and a state. */
typedef struct group {
    const char *hub, *state;
    size_t count;
    cmd_gpus_t gpus;
    hub_hostlist_t *hosts;
} group_t;

typedef struct groups {
    group_t *v;
    size_t n;
} groups_t;

static group_t *group_for(groups_t *gs, const char *hub, const char *state)
{
    group_t *v;

    for (size_t i = 0; i < gs->n; i++) {
        if (strcmp(gs->v[i].hub, hub) == 0 &&
            strcmp(gs->v[i].state, state) == 0)
            return &gs->v[i];
    }
    v = realloc(gs->v, (gs->n + 1) * sizeof(*v));
    if (!v)
        return NULL;
    gs->v = v;
    v = &gs->v[gs->n];
    *v = (group_t){.hub = hub, .state = state};
    if (!(v->hosts = hub_hostlist_create()))
        return NULL;
    gs->n++;
    return v;
}

static void groups_fini(groups_t *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        hub_hostlist_destroy(gs->v[i].hosts);
    free(gs->v);
}

static int group_node(const opts_t *o, groups_t *gs, const json_t *node)
{
    group_t *g;

    if (!node || !hub_shown(o, node))
        return 0;
    g = group_for(gs, node_str(node, "hub"), node_state(node));
    if (!g || hub_hostlist_append(g->hosts, node_str(node, "name"), NULL))
        return -ENOMEM;
    g->count++;
    cmd_gpus_add_node(&g->gpus, node);
    return 0;
}

/* The partition's nodes grouped by hub and state. */
static int group_partition(const opts_t *o, const json_t *part,
                           const json_t *nodes, groups_t *gs)
{
    const json_t *node;
    size_t i;
    int rc = 0;

    json_array_foreach((json_t *)nodes, i, node)
    {
        if (rc == 0 && cmd_partition_has_node(part, i, node))
            rc = group_node(o, gs, node);
    }
    return rc;
}

static const col_t part_cols[] = {
    {"PARTITION", 9, false}, {"AVAIL", 5, true},     {"TIMELIMIT", 10, true},
    {"HUB", 8, false},       {"NODES", 6, true},     {"STATE", 6, true},
    {"GPUS", 20, false},     {"NODELIST", 0, false},
};

static void part_head(const json_t *part, char *name, size_t nlen, char *avail,
                      size_t alen, char *limit, size_t llen)
{
    const char *st = json_string_value(json_object_get(part, "state"));
    json_int_t max = json_integer_value(json_object_get(part, "max_time_s"));

    snprintf(name, nlen, "%s%s",
             json_string_value(json_object_get(part, "name")),
             json_is_true(json_object_get(part, "default")) ? "*" : "");
    snprintf(avail, alen, "%s", st ? st : "up");
    for (char *p = avail; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    if (strcmp(avail, "inactive") == 0)
        snprintf(avail, alen, "inact");
    if (max <= 0 || max == HUB_DURATION_INFINITE)
        snprintf(limit, llen, "infinite");
    else
        hub_format_duration(max, limit, llen);
}

static int print_partition(const opts_t *o, const json_t *part,
                           const json_t *nodes)
{
    char name[80], avail[16], limit[32], count[16], gpus[64];
    groups_t gs = {0};
    int rc = group_partition(o, part, nodes, &gs);

    part_head(part, name, sizeof(name), avail, sizeof(avail), limit,
              sizeof(limit));
    for (size_t i = 0; rc == 0 && i < gs.n; i++) {
        char *list = hub_hostlist_encode(gs.v[i].hosts);
        const char *cells[] = {name,  avail,         limit, gs.v[i].hub,
                               count, gs.v[i].state, gpus,  list ? list : ""};
        snprintf(count, sizeof(count), "%zu", gs.v[i].count);
        cmd_format_gpu_use(&gs.v[i].gpus, gpus, sizeof(gpus));
        print_cells(part_cols, 8, cells);
        free(list);
    }
    if (rc == 0 && gs.n == 0 && json_array_size(o->hubs) == 0) {
        const char *cells[] = {name, avail, limit, "", "0", "n/a", "0/0", ""};
        print_cells(part_cols, 8, cells);
    }
    groups_fini(&gs);
    return rc;
}

static int view_partitions(const opts_t *o, const json_t *resp)
{
    const json_t *parts = json_object_get(resp, "partitions");
    const json_t *nodes = json_object_get(resp, "nodes");
    const json_t *part;
    size_t i;

    print_header(o, part_cols, 8);
    json_array_foreach((json_t *)parts, i, part)
    {
        const char *name = json_string_value(json_object_get(part, "name"));
        if (!name || (json_array_size(o->partitions) > 0 &&
                      !cmd_list_has(o->partitions, name)))
            continue;
        if (print_partition(o, part, nodes) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* ---- node view --------------------------------------------------------- */

static const col_t node_cols[] = {
    {"NODE", 12, false},    {"HUB", 8, false},         {"STATE", 6, true},
    {"CPUS(F/T)", 9, true}, {"MEMORY(F/T)", 13, true}, {"GPUS", 10, true},
    {"GPU_FREE", 10, true}, {"REASON", 0, false},
};

/* "3+0.75": wholly free GPUs, then free capacity on partly used ones. */
static void format_gpu_free(const cmd_gpus_t *g, char *buf, size_t len)
{
    uint64_t frac = g->free_milli - g->idle * HUB_GPU_MILLI;
    char part[32];

    if (g->free_milli < g->idle * HUB_GPU_MILLI || frac == 0) {
        snprintf(buf, len, "%llu", (unsigned long long)g->idle);
        return;
    }
    cmd_format_milli(frac, part, sizeof(part));
    snprintf(buf, len, "%llu+%s", (unsigned long long)g->idle, part);
}

static void print_node(const json_t *node)
{
    char cpus[32], mem[48], memf[16], memt[16], gpus[80], gfree[48];
    const char *type = node_str(node, "gpu_type");
    cmd_gpus_t g = {0};
    const char *cells[] = {node_str(node, "name"),
                           node_str(node, "hub"),
                           node_state(node),
                           cpus,
                           mem,
                           gpus,
                           gfree,
                           node_str(node, "reason")};

    snprintf(cpus, sizeof(cpus), "%lld/%lld",
             (long long)node_int(node, "cpus_free"),
             (long long)node_int(node, "cpus"));
    hub_format_size((uint64_t)node_int(node, "mem_free_mb") << 20, memf,
                    sizeof(memf));
    hub_format_size((uint64_t)node_int(node, "mem_mb") << 20, memt,
                    sizeof(memt));
    snprintf(mem, sizeof(mem), "%s/%s", memf, memt);
    snprintf(gpus, sizeof(gpus), "%s%s%lld", type, type[0] ? ":" : "",
             (long long)node_int(node, "gpus"));
    cmd_gpus_add_node(&g, node);
    format_gpu_free(&g, gfree, sizeof(gfree));
    print_cells(node_cols, 8, cells);
}

/* Whether the idx-th node is in one of the partitions asked for. */
static bool node_in_partitions(const opts_t *o, const json_t *resp, size_t idx,
                               const json_t *node)
{
    const json_t *part;
    size_t i;

    if (json_array_size(o->partitions) == 0)
        return true;
    json_array_foreach(json_object_get(resp, "partitions"), i, part)
    {
        if (cmd_list_has(o->partitions, node_str(part, "name")) &&
            cmd_partition_has_node(part, idx, node))
            return true;
    }
    return false;
}

static int view_nodes(const opts_t *o, const json_t *resp)
{
    const json_t *node;
    size_t i;

    print_header(o, node_cols, 8);
    json_array_foreach(json_object_get(resp, "nodes"), i, node)
    {
        if (hub_shown(o, node) && node_in_partitions(o, resp, i, node))
            print_node(node);
    }
    return 0;
}

/* ---- hub view ---------------------------------------------------------- */

static const col_t hub_cols[] = {
    {"HUB", 10, false},       {"REGION", 10, false},  {"NODES", 6, true},
    {"DOWN/DRAIN", 10, true}, {"GPUS", 22, true},     {"PUE", 5, true},
    {"PRICE/KWH", 9, true},   {"GCO2/KWH", 0, false},
};

static void print_hub(const json_t *hub, const json_t *nodes)
{
    const char *name = node_str(hub, "name");
    char count[16], down[16], gpus[64], pue[16], price[24], carbon[24];
    const char *cells[] = {
        name, node_str(hub, "region"), count, down, gpus, pue, price, carbon};
    cmd_gpus_t g = {0};
    size_t n = 0, ndown = 0, i;
    const json_t *node;

    json_array_foreach((json_t *)nodes, i, node)
    {
        if (strcmp(node_str(node, "hub"), name) != 0)
            continue;
        n++;
        ndown += strcmp(node_state(node), "down") == 0 ||
                 strncmp(node_state(node), "dr", 2) == 0;
        cmd_gpus_add_node(&g, node);
    }
    snprintf(count, sizeof(count), "%zu", n);
    snprintf(down, sizeof(down), "%zu", ndown);
    cmd_format_gpu_use(&g, gpus, sizeof(gpus));
    snprintf(pue, sizeof(pue), "%.2f",
             json_number_value(json_object_get(hub, "pue")));
    snprintf(price, sizeof(price), "%.3f",
             json_number_value(json_object_get(hub, "power_price")));
    snprintf(carbon, sizeof(carbon), "%.0f",
             json_number_value(json_object_get(hub, "carbon_intensity")));
    print_cells(hub_cols, 8, cells);
}

static int view_hubs(const opts_t *o, const json_t *resp)
{
    const json_t *hub;
    size_t i;

    print_header(o, hub_cols, 8);
    json_array_foreach(json_object_get(resp, "hubs"), i, hub)
    {
        if (json_array_size(o->hubs) == 0 ||
            cmd_list_has(o->hubs, node_str(hub, "name")))
            print_hub(hub, json_object_get(resp, "nodes"));
    }
    return 0;
}

/* ---- main -------------------------------------------------------------- */

static int apply_option(void *opts, int c, const char *arg, hub_error_t *err)
{
    opts_t *o = opts;

    switch (c) {
    case 'p':
        return cmd_list_append(o->partitions, arg, "partition", err);
    case OPT_HUB:
        return cmd_list_append(o->hubs, arg, "hub", err);
    case 'N':
    case OPT_HUBS:
        o->view = c == 'N' ? VIEW_NODES : VIEW_HUBS;
        return 0;
    case 'h':
        o->noheader = true;
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    default:
        o->help = true;
        return 0;
    }
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(opts_t *o, int argc, char **argv)
{
    int rc = cmd_parse_options(argc, argv, "p:Nh", longopts, apply_option, o);

    if (rc != -1)
        return rc;
    if (optind < argc)
        return cmd_usage_error("unexpected argument '%s'", argv[optind]);
    return -1;
}

static int run(const opts_t *o)
{
    hub_error_t err;
    json_t *resp = NULL;
    int rc = cmd_call("info", NULL, &resp, &err);

    if (rc < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    if (o->json)
        rc = cmd_print_json(resp);
    else if (o->view == VIEW_NODES)
        rc = view_nodes(o, resp);
    else if (o->view == VIEW_HUBS)
        rc = view_hubs(o, resp);
    else
        rc = view_partitions(o, resp);
    json_decref(resp);
    if (rc < 0 || fflush(stdout) != 0) {
        cmd_error("cannot write the list: %s", strerror(rc < 0 ? -rc : errno));
        return CMD_EXIT_FAIL;
    }
    return rc;
}

int main(int argc, char **argv)
{
    opts_t o = {.partitions = json_array(), .hubs = json_array()};
    int rc;

    cmd_init("hinfo");
    rc = !o.partitions || !o.hubs ? CMD_EXIT_FAIL : parse_args(&o, argc, argv);
    if (rc < 0 && o.help) {
        fputs(usage_text, stdout);
        rc = CMD_EXIT_OK;
    }
    if (rc < 0)
        rc = run(&o);
    json_decref(o.partitions);
    json_decref(o.hubs);
    return rc;
}

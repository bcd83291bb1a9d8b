/* policy.c - hsim policies: which scheduler, select and priority plugins
 * (and which hub.conf globals) one replay runs with. */
#include "hsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The named policies. EASY is sched/backfill with one reservation: the
 * first job that cannot start holds its start, later jobs backfill only
 * where they do not delay it (Lifka 1995; Mu'alem and Feitelson 2001). */
static const struct {
    const char *label, *items;
} builtins[] = {
    {"fifo", "sched/fifo,select/bestfit"},
    {"easy", "sched/backfill,select/bestfit,BackfillDepth=1"},
    {"backfill", "sched/backfill,select/bestfit"},
    {"random", "sched/backfill,select/random"},
    {"bestfit", "sched/backfill,select/bestfit"},
    {"fgd", "sched/backfill,select/fgd"},
    {"fgdx", "sched/backfill,select/fgdx"},
    {"topo", "sched/backfill,select/topo"},
    {"local", "sched/backfill,select/bestfit,hubsel/local"},
    {"cost", "sched/backfill,select/bestfit,hubsel/cost"},
};

static int add_line(hsim_policy_t *p, const char *key, const char *val,
                    hub_error_t *err)
{
    size_t len = strlen(p->globals);
    int n = snprintf(p->globals + len, sizeof(p->globals) - len, "%s%s\n", key,
                     val);

    if (n < 0 || (size_t)n >= sizeof(p->globals) - len)
        return hub_errorf(err, EINVAL, "policy '%s': too many settings",
                          p->label);
    return 0;
}

/* One item: a plugin or a Key=Value global. */
static int add_item(hsim_policy_t *p, const char *item, bool *has_sched,
                    bool *has_select, bool *has_prio, hub_error_t *err)
{
    if (strncmp(item, "sched/", 6) == 0) {
        *has_sched = true;
        return add_line(p, "SchedulerType=", item, err);
    }
    if (strncmp(item, "select/", 7) == 0) {
        *has_select = true;
        return add_line(p, "SelectType=", item, err);
    }
    if (strncmp(item, "hubsel/", 7) == 0)
        return add_line(p, "HubSelectType=", item, err);
    if (strncmp(item, "priority/", 9) == 0) {
        *has_prio = true;
        return add_line(p, "PriorityType=", item, err);
    }
    if (!strchr(item, '=') || item[0] == '=')
        return hub_errorf(err, EINVAL,
                          "policy '%s': '%s' is neither a plugin "
                          "(sched/..., select/..., priority/..., "
                          "hubsel/...) nor "
                          "Key=Value",
                          p->label, item);
    return add_line(p, item, "", err);
}

static int parse_items(hsim_policy_t *p, const char *items, hub_error_t *err)
{
    bool s = false, sel = false, pr = false;
    char buf[256], *save = NULL;
    int rc = 0;

    if (snprintf(buf, sizeof(buf), "%s", items) >= (int)sizeof(buf))
        return hub_errorf(err, EINVAL, "policy '%s': too long", p->label);
    for (char *t = strtok_r(buf, ",", &save); t && rc == 0;
         t = strtok_r(NULL, ",", &save))
        rc = add_item(p, t, &s, &sel, &pr, err);
    if (rc == 0 && !s)
        rc = add_line(p, "SchedulerType=", "sched/backfill", err);
    if (rc == 0 && !sel)
        rc = add_line(p, "SelectType=", "select/bestfit", err);
    /* priority/basic with the age factor alone, weighted 1: below one
     * unit of priority until a job is days old, and monotone in age, so
     * the queue is in submit order (FCFS, as the HPC literature's
     * policies are defined). With no weight given, basic would weigh job
     * size in too. */
    if (rc == 0 && !pr)
        rc = add_line(p, "PriorityType=", "priority/basic\nPriorityWeightAge=1",
                      err);
    return rc;
}

int hsim_policy_parse(const char *spec, hsim_policy_t *p, hub_error_t *err)
{
    const char *eq = strchr(spec, '=');
    size_t n = eq ? (size_t)(eq - spec) : strlen(spec);

    memset(p, 0, sizeof(*p));
    if (n == 0 || n >= sizeof(p->label))
        return hub_errorf(err, EINVAL,
                          "policy '%s': a label of 1-%zu "
                          "characters comes first",
                          spec, sizeof(p->label) - 1);
    memcpy(p->label, spec, n);
    if (strspn(p->label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789_.-") != n)
        return hub_errorf(err, EINVAL,
                          "policy '%s': a label is letters, "
                          "digits, '_', '.' and '-'",
                          spec);
    if (eq)
        return parse_items(p, eq + 1, err);
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcmp(builtins[i].label, p->label) == 0)
            return parse_items(p, builtins[i].items, err);
    return hub_errorf(err, EINVAL,
                      "policy '%s': not one of fifo, easy, backfill, random, "
                      "bestfit, fgd, fgdx, topo, local, cost (or give "
                      "LABEL=sched/...,select/...)",
                      spec);
}

char *hsim_policy_conf(const hsim_policy_t *p, const hsim_trace_t *tr)
{
    char *text = NULL;

    if (asprintf(&text, "%s%s", p->globals, tr->conf ? tr->conf : "") < 0)
        return NULL;
    return text;
}

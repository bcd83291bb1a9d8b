/* hcontrol.c - look at and change jobs, nodes, partitions and hubs, as
 * scontrol does.
 *
 *   hcontrol show job [ID] | node [NAMES] | partition [NAME] | hub [NAME]
 *   hcontrol show hostnames [EXPR] | hostlist LIST     (local, no daemon)
 *   hcontrol hold | release | requeue ID...
 *   hcontrol update job ID Key=Value...   (or: update JobId=ID ...)
 *   hcontrol update node NAMES State=DRAIN|RESUME|DOWN Reason="..."
 *   hcontrol reconfigure
 *
 * "show" prints scontrol's records: "Key=Value" pairs, the first line of
 * a record at the margin and the rest indented by three spaces, a blank
 * line between records. Changes print nothing on success, as scontrol;
 * refusals are "hcontrol: error: ..." and exit 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdutil.h"
#include "hostlist.h"
#include "units.h"

static const char usage_text[] =
    "Usage: hcontrol [--json] COMMAND [ARGS...]\n"
    "Look at and change jobs, nodes, partitions and hubs, as scontrol.\n"
    "\n"
    "  show job [ID]                 a job (all jobs without ID)\n"
    "  show node [NAMES]             nodes (a hostlist; all without)\n"
    "  show partition [NAME]         partitions\n"
    "  show hub [NAME]               hubs\n"
    "  show hostnames [EXPR]         expand a hostlist, one name a line\n"
    "                                (default $SLURM_JOB_NODELIST)\n"
    "  show hostlist LIST            compress names into a hostlist\n"
    "  hold ID...                    keep pending jobs from starting\n"
    "  release ID...                 undo hold\n"
    "  requeue ID...                 end running jobs and queue them again\n"
    "  update job ID KEY=VALUE...    TimeLimit, Priority, Nice, Name,\n"
    "                                Partition (also: update JobId=ID ...)\n"
    "  update node NAMES KEY=VALUE...  State=DRAIN|RESUME|DOWN, Reason\n"
    "                                (also: update NodeName=NAMES ...)\n"
    "  reconfigure                   reread hub.conf\n"
    "\n"
    "  --json                        the controller's answer as JSON\n"
    "  --help                        this text\n"
    "\n"
    "IDs: 123, 123_4 (an array task), 123_[1-3]; comma lists allowed.\n";

enum { OPT_JSON = 256, OPT_HELP };

static const struct option longopts[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct opts {
    bool json, help;
} opts_t;

/* ---- shared ------------------------------------------------------------ */

/* Call op; print the error or, with --json, the answer. Returns 0 with
 * *resp, CMD_EXIT_FAIL after printing the error. */
static int call(const char *op, json_t *args, json_t **resp)
{
    hub_error_t err;

    if (cmd_call(op, args, resp, &err) < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    return 0;
}

static const char *str_or(const char *s, const char *none)
{
    return s && s[0] ? s : none;
}

static const char *obj_str(const json_t *o, const char *key)
{
    return str_or(json_string_value(json_object_get(o, key)), "(null)");
}

/* The controller's integer id of a job id argument: "A_T" is looked up
 * in the queue (ops job and update take numbers). */
static int resolve_id(const char *arg, json_int_t *id, hub_error_t *err)
{
    cmd_jobid_t jid;
    json_t *resp = NULL, *jobs, *job;
    size_t i;
    int rc = cmd_parse_jobid(arg, &jid, err);

    *id = jid.id;
    if (rc < 0 || jid.task < 0)
        return rc;
    rc = cmd_call("queue", json_pack("{s:[I]}", "ids", (json_int_t)jid.id),
                  &resp, err);
    jobs = json_object_get(resp, "jobs");
    json_array_foreach(jobs, i, job)
    {
        if (json_integer_value(json_object_get(job, "array_task_id")) ==
            jid.task) {
            *id = json_integer_value(json_object_get(job, "id"));
            json_decref(resp);
            return 0;
        }
    }
    json_decref(resp);
    return rc < 0 ? rc : hub_errorf(err, ENOENT, "Invalid job id %s", arg);
}

/* ---- show job ---------------------------------------------------------- */

static void show_job_identity(const hub_job_t *j)
{
    char user[HUB_NAME_MAX];

    printf("JobId=%u", j->id);
    if (j->array_task_id >= 0)
        printf(" ArrayJobId=%u ArrayTaskId=%d", j->array_job_id,
               j->array_task_id);
    printf(" JobName=%s\n", str_or(j->req.name, "(null)"));
    if (j->user[0])
        snprintf(user, sizeof(user), "%s", j->user);
    else
        cmd_user_name(j->uid, user, sizeof(user));
    printf("   UserId=%s(%u) GroupId=%u Account=%s QOS=%s\n", user, j->uid,
           j->gid, str_or(j->req.account, "(null)"),
           str_or(j->req.qos, "(null)"));
    printf("   Priority=%" PRId64 " Nice=%d Kind=%s\n", j->priority,
           j->req.nice, hub_job_kind_name(j->req.kind));
}

static void format_deps(const hub_job_req_t *r, char *buf, size_t len)
{
    size_t used = 0;

    snprintf(buf, len, "%s", r->singleton ? "singleton" : "(null)");
    if (r->singleton || r->ndeps == 0)
        return;
    for (uint32_t i = 0; i < r->ndeps && i < HUB_JOB_MAX_DEPS; i++) {
        int n = snprintf(buf + used, len - used, "%s%s:%u",
                         i == 0 ? "" : (r->deps_any ? "?" : ","),
                         hub_dep_type_name(r->deps[i].type), r->deps[i].job_id);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

static void show_job_state(const hub_job_t *j)
{
    char deps[512];

    format_deps(&j->req, deps, sizeof(deps));
    printf("   JobState=%s Reason=%s Dependency=%s\n",
           hub_job_state_name(j->state), hub_job_reason_name(j->reason), deps);
    printf("   Requeue=%d Restarts=%u Held=%s ExitCode=%d:%d\n", j->req.requeue,
           j->restart_count,
           j->held ? (j->held_admin ? "admin" : "user") : "no", j->exit_code,
           j->term_signal);
}

/* When the job ends or must end: its end, else start + limit. */
static int64_t end_ms(const hub_job_t *j)
{
    if (j->end_ms > 0 || j->start_ms <= 0 || j->req.time_limit_s <= 0 ||
        j->req.time_limit_s == HUB_DURATION_INFINITE)
        return j->end_ms;
    return j->start_ms + j->req.time_limit_s * 1000;
}

static void show_job_times(const hub_job_t *j, int64_t now_ms)
{
    char run[32], limit[32], sub[32], elig[32], start[32], end[32];

    hub_format_duration(cmd_job_elapsed_s(j, now_ms), run, sizeof(run));
    hub_format_duration(j->req.time_limit_s, limit, sizeof(limit));
    cmd_format_time(j->submit_ms, "Unknown", sub, sizeof(sub));
    cmd_format_time(j->eligible_ms, "Unknown", elig, sizeof(elig));
    cmd_format_time(j->start_ms, "Unknown", start, sizeof(start));
    cmd_format_time(end_ms(j), "Unknown", end, sizeof(end));
    printf("   RunTime=%s TimeLimit=%s\n", run, limit);
    printf("   SubmitTime=%s EligibleTime=%s\n", sub, elig);
    printf("   StartTime=%s EndTime=%s\n", start, end);
}

static void show_job_resources(const cmd_job_t *row)
{
    const hub_job_t *j = &row->job;
    char gres[64], mem[32];

    cmd_format_gres(&j->req, gres, sizeof(gres));
    hub_format_size(j->req.mem_per_node_mb << 20, mem, sizeof(mem));
    printf("   Partition=%s Hub=%s ReqHub=%s NodeList=%s\n",
           str_or(j->req.partition, "(null)"), str_or(row->hub_name, "(null)"),
           str_or(j->req.hub, "(any)"), str_or(row->nodelist, "(null)"));
    printf("   NumNodes=%u NumTasks=%u CPUs/Task=%u Gres=%s MinMemoryNode=%s "
           "Exclusive=%s\n",
           j->alloc.nnodes ? j->alloc.nnodes : j->req.nodes_min, j->req.ntasks,
           j->req.cpus_per_task, gres, mem, j->req.exclusive ? "YES" : "NO");
}

/* Launch data, shown to the owner, root and operators only. */
static void show_job_spec(const json_t *spec)
{
    if (!spec)
        return;
    printf("   Command=%s\n", json_object_get(spec, "script_name")
                                  ? obj_str(spec, "script_name")
                                  : "(wrap)");
    printf("   WorkDir=%s\n", obj_str(spec, "workdir"));
    printf(
        "   StdOut=%s StdErr=%s StdIn=%s\n", obj_str(spec, "output"),
        str_or(json_string_value(json_object_get(spec, "error")),
               obj_str(spec, "output")),
        str_or(json_string_value(json_object_get(spec, "input")), "/dev/null"));
    if (json_object_get(spec, "comment"))
        printf("   Comment=%s\n", obj_str(spec, "comment"));
}

/* One " name=value" of PriorityFactors: a number or a string as is, an
 * object by its "factor" (the standard plugins' shape, see
 * plugins/priority/factors.h). */
static void show_factor(const char *key, const json_t *v)
{
    if (json_is_object(v))
        v = json_object_get(v, "factor");
    if (json_is_number(v))
        printf(" %s=%g", key, json_number_value(v));
    else if (json_is_string(v))
        printf(" %s=%s", key, json_string_value(v));
}

/* What the priority plugin says the priority is made of: the members of
 * its "factors" object (or of the whole answer when it has none). */
static void show_priority_factors(const json_t *explained)
{
    const json_t *factors = json_object_get(explained, "factors");
    const char *key;
    json_t *v;

    if (!json_is_object(factors))
        factors = explained;
    if (!json_is_object(factors))
        return;
    printf("   PriorityFactors:");
    json_object_foreach((json_t *)factors, key, v)
    {
        show_factor(key, v);
    }
    putchar('\n');
}

/* Why the job's hub: --hub, or the HubSelectType ranking, best first
 * ("HubChoice=hubsel/cost west=12.3 east=40.1"). */
static void show_hub_choice(const json_t *choice)
{
    size_t i;
    json_t *h;

    if (!json_is_object(choice))
        return;
    if (json_is_true(json_object_get(choice, "explicit"))) {
        printf("   HubChoice=--hub=%s\n", obj_str(choice, "hub"));
        return;
    }
    printf("   HubChoice=%s%s", obj_str(choice, "plugin"),
           json_is_true(json_object_get(choice, "any")) ? " (any hub)" : "");
    json_array_foreach(json_object_get(choice, "hubs"), i, h)
        printf(" %s=%.4g", obj_str(h, "hub"),
               json_number_value(json_object_get(h, "score")));
    putchar('\n');
}

static int show_one_job(const json_t *obj, const json_t *extra, int64_t now)
{
    cmd_job_t row;
    hub_error_t err;
    int rc = cmd_job_from_json(obj, &row, &err);

    if (rc == 0) {
        show_job_identity(&row.job);
        show_job_state(&row.job);
        show_job_times(&row.job, now);
        show_job_resources(&row);
        show_job_spec(json_object_get(extra, "spec"));
        show_priority_factors(json_object_get(extra, "priority_factors"));
        show_hub_choice(json_object_get(extra, "hub_choice"));
    } else {
        cmd_error("bad answer from hubctld: %s", err.text);
    }
    cmd_job_fini(&row);
    return rc < 0 ? CMD_EXIT_FAIL : CMD_EXIT_OK;
}

static int64_t answer_now(const json_t *resp)
{
    const json_t *now = json_object_get(resp, "now_ms");

    return json_is_integer(now) ? json_integer_value(now) : cmd_now_ms();
}

static int show_job_by_id(const opts_t *o, const char *arg)
{
    json_t *resp = NULL;
    hub_error_t err;
    json_int_t id;
    int rc;

    if (resolve_id(arg, &id, &err) < 0) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    rc = call("job", json_pack("{s:I}", "id", id), &resp);
    if (rc == 0)
        rc = o->json ? cmd_print_json(resp)
                     : show_one_job(json_object_get(resp, "job"), resp,
                                    answer_now(resp));
    json_decref(resp);
    return rc;
}

static int show_all_jobs(const opts_t *o)
{
    json_t *resp = NULL, *job;
    size_t i;
    int rc = call("queue", NULL, &resp);

    if (rc == 0 && o->json) {
        rc = cmd_print_json(resp);
        json_decref(resp);
        return rc;
    }
    json_array_foreach(json_object_get(resp, "jobs"), i, job)
    {
        printf("%s", i > 0 ? "\n" : "");
        rc |= show_one_job(job, NULL, answer_now(resp));
    }
    if (rc == 0 && json_array_size(json_object_get(resp, "jobs")) == 0)
        printf("No jobs in the system\n");
    json_decref(resp);
    return rc;
}

static int show_jobs(const opts_t *o, int argc, char **argv)
{
    if (argc > 1)
        return cmd_usage_error("show job: one job id at most");
    return argc == 1 ? show_job_by_id(o, argv[0]) : show_all_jobs(o);
}

/* ---- show node, partition, hub ----------------------------------------- */

static json_int_t obj_int(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static void show_node(const json_t *node)
{
    const char *type = json_string_value(json_object_get(node, "gpu_type"));
    cmd_gpus_t g = {0};
    char used[64];

    cmd_gpus_add_node(&g, node);
    cmd_format_gpu_use(&g, used, sizeof(used));
    printf("NodeName=%s Hub=%s State=%s Jobs=%lld\n", obj_str(node, "name"),
           obj_str(node, "hub"), obj_str(node, "state"),
           (long long)obj_int(node, "jobs"));
    printf("   CPUTot=%lld CPUAlloc=%lld RealMemory=%lld FreeMem=%lld\n",
           (long long)obj_int(node, "cpus"),
           (long long)(obj_int(node, "cpus") - obj_int(node, "cpus_free")),
           (long long)obj_int(node, "mem_mb"),
           (long long)obj_int(node, "mem_free_mb"));
    printf("   Gres=gpu:%s%s%lld GpuUse=%s GpuIdle=%llu\n", str_or(type, ""),
           type && type[0] ? ":" : "", (long long)obj_int(node, "gpus"), used,
           (unsigned long long)g.idle);
    if (json_string_value(json_object_get(node, "reason")) &&
        json_string_value(json_object_get(node, "reason"))[0])
        printf("   Reason=%s\n", obj_str(node, "reason"));
}

/* Nodes of the info answer that pick() accepts: a hostlist, GPU use. */
typedef bool (*node_pick_fn)(const json_t *node, size_t idx, const void *arg);

static int nodes_summary(const json_t *resp, node_pick_fn pick, const void *arg,
                         char **list, size_t *count, cmd_gpus_t *g)
{
    hub_hostlist_t *hl = hub_hostlist_create();
    const json_t *node;
    size_t i;

    *count = 0;
    json_array_foreach(json_object_get(resp, "nodes"), i, node)
    {
        if (!hl || !pick(node, i, arg))
            continue;
        if (hub_hostlist_append(hl, obj_str(node, "name"), NULL) < 0)
            break;
        cmd_gpus_add_node(g, node);
        ++*count;
    }
    *list = hl ? hub_hostlist_encode(hl) : NULL;
    hub_hostlist_destroy(hl);
    return *list ? 0 : -ENOMEM;
}

static bool pick_partition(const json_t *node, size_t idx, const void *arg)
{
    return cmd_partition_has_node(arg, idx, node);
}

static bool pick_hub(const json_t *node, size_t idx, const void *arg)
{
    return strcmp(obj_str(node, "hub"), obj_str(arg, "name")) == 0;
}

static void show_nodes_line(const json_t *resp, node_pick_fn pick,
                            const void *arg)
{
    cmd_gpus_t g = {0};
    char *list = NULL, use[64];
    size_t count;

    if (nodes_summary(resp, pick, arg, &list, &count, &g) < 0)
        return;
    cmd_format_gpu_use(&g, use, sizeof(use));
    printf("   Nodes=%s TotalNodes=%zu GPUs=%s\n", list, count, use);
    free(list);
}

static void show_partition(const json_t *part, const json_t *resp)
{
    json_int_t max = obj_int(part, "max_time_s");
    char limit[32] = "UNLIMITED";

    if (max > 0)
        hub_format_duration(max, limit, sizeof(limit));
    printf("PartitionName=%s\n", obj_str(part, "name"));
    printf("   Default=%s State=%s MaxTime=%s\n",
           json_is_true(json_object_get(part, "default")) ? "YES" : "NO",
           obj_str(part, "state"), limit);
    show_nodes_line(resp, pick_partition, part);
}

static void show_hub(const json_t *hub, const json_t *resp)
{
    printf("HubName=%s Region=%s\n", obj_str(hub, "name"),
           obj_str(hub, "region"));
    printf("   PUE=%.2f PowerPrice=%.3f CarbonIntensity=%g\n",
           json_number_value(json_object_get(hub, "pue")),
           json_number_value(json_object_get(hub, "power_price")),
           json_number_value(json_object_get(hub, "carbon_intensity")));
    show_nodes_line(resp, pick_hub, hub);
}

/* Show the records of array key of the info answer named in names (a
 * hostlist for nodes; NULL: all). */
static int show_records(const json_t *resp, const char *key,
                        const hub_hostlist_t *names, const char *what)
{
    const json_t *rec;
    size_t i, shown = 0;

    json_array_foreach(json_object_get(resp, key), i, rec)
    {
        if (names && hub_hostlist_find(names, obj_str(rec, "name")) < 0)
            continue;
        printf("%s", shown++ > 0 ? "\n" : "");
        if (strcmp(key, "nodes") == 0)
            show_node(rec);
        else if (strcmp(key, "partitions") == 0)
            show_partition(rec, resp);
        else
            show_hub(rec, resp);
    }
    for (size_t k = 0; names && k < hub_hostlist_count(names); k++) {
        const char *n = hub_hostlist_nth(names, k);
        bool found = false;
        json_array_foreach(json_object_get(resp, key), i, rec) found =
            found || strcmp(obj_str(rec, "name"), n) == 0;
        if (!found) {
            cmd_error("%s %s not found", what, n);
            return CMD_EXIT_FAIL;
        }
    }
    return CMD_EXIT_OK;
}

static int show_info(const opts_t *o, const char *key, const char *what,
                     int argc, char **argv)
{
    hub_hostlist_t *names = NULL;
    json_t *resp = NULL;
    hub_error_t err;
    int rc;

    if (argc > 1)
        return cmd_usage_error("show %s: one name at most", what);
    if (argc == 1 && !(names = hub_hostlist_from_expr(argv[0], &err)))
        return cmd_usage_error("%s", err.text);
    rc = call("info", NULL, &resp);
    if (rc == 0)
        rc = o->json ? cmd_print_json(resp)
                     : show_records(resp, key, names, what);
    hub_hostlist_destroy(names);
    json_decref(resp);
    return rc;
}

/* ---- show hostnames, hostlist (local) ---------------------------------- */

static int show_hostnames(int argc, char **argv)
{
    const char *expr = argc > 0 ? argv[0] : getenv("SLURM_JOB_NODELIST");
    hub_error_t err;
    hub_hostlist_t *hl;

    if (argc > 1 || !expr)
        return cmd_usage_error("show hostnames: give one hostlist "
                               "expression (or set SLURM_JOB_NODELIST)");
    hl = hub_hostlist_from_expr(expr, &err);
    if (!hl) {
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    for (size_t i = 0; i < hub_hostlist_count(hl); i++)
        puts(hub_hostlist_nth(hl, i));
    hub_hostlist_destroy(hl);
    return CMD_EXIT_OK;
}

static int show_hostlist(int argc, char **argv, bool sorted)
{
    hub_hostlist_t *hl = hub_hostlist_create();
    hub_error_t err;
    char *list;
    int rc = hl ? 0 : -ENOMEM;

    if (argc < 1)
        return cmd_usage_error("show hostlist: give the host names");
    for (int i = 0; rc == 0 && i < argc; i++)
        rc = hub_hostlist_append(hl, argv[i], &err);
    if (rc == 0 && sorted)
        hub_hostlist_uniq(hl);
    list = rc == 0 ? hub_hostlist_encode(hl) : NULL;
    hub_hostlist_destroy(hl);
    if (!list) {
        cmd_error("%s", rc == -ENOMEM ? "out of memory" : err.text);
        return CMD_EXIT_FAIL;
    }
    puts(list);
    free(list);
    return CMD_EXIT_OK;
}

static int do_show(const opts_t *o, int argc, char **argv)
{
    const char *what = argc > 0 ? argv[0] : "";

    argc--;
    argv++;
    if (strcasecmp(what, "job") == 0 || strcasecmp(what, "jobs") == 0)
        return show_jobs(o, argc, argv);
    if (strcasecmp(what, "node") == 0 || strcasecmp(what, "nodes") == 0)
        return show_info(o, "nodes", "Node", argc, argv);
    if (strncasecmp(what, "partition", 9) == 0)
        return show_info(o, "partitions", "Partition", argc, argv);
    if (strcasecmp(what, "hub") == 0 || strcasecmp(what, "hubs") == 0)
        return show_info(o, "hubs", "Hub", argc, argv);
    if (strcasecmp(what, "hostnames") == 0)
        return show_hostnames(argc, argv);
    if (strcasecmp(what, "hostlist") == 0 ||
        strcasecmp(what, "hostlistsorted") == 0)
        return show_hostlist(argc, argv, strlen(what) > 8);
    return cmd_usage_error("show: unknown entity '%s' (job, node, partition, "
                           "hub, hostnames, hostlist)",
                           what);
}

/* ---- hold, release, requeue -------------------------------------------- */

static int job_op(const opts_t *o, const char *op, const char *what, int argc,
                  char **argv)
{
    json_t *ids = json_array(), *resp = NULL;
    hub_error_t err;
    int rc = 0;

    if (argc == 0) {
        json_decref(ids);
        return cmd_usage_error("%s: give at least one job id", op);
    }
    for (int i = 0; rc == 0 && i < argc; i++)
        rc = cmd_jobids_append(ids, argv[i], &err);
    if (rc < 0) {
        json_decref(ids);
        return cmd_usage_error("%s", err.text);
    }
    rc = call(op, json_pack("{s:o}", "ids", ids), &resp);
    if (rc == 0) {
        size_t failed = o->json
                            ? json_array_size(json_object_get(resp, "errors"))
                            : cmd_report_job_errors(resp, what);
        if (o->json)
            rc = cmd_print_json(resp);
        if (failed > 0)
            rc = CMD_EXIT_FAIL;
    }
    json_decref(resp);
    return rc;
}

/* ---- update ------------------------------------------------------------ */

static int put(json_t *args, const char *key, json_t *v, hub_error_t *err)
{
    if (json_object_set_new(args, key, v) < 0)
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* One Key=Value of "update job" into the update request. */
static int job_kv(json_t *args, const char *key, const char *val,
                  hub_error_t *err)
{
    int64_t secs;
    char *end;
    long long n = strtoll(val, &end, 10);
    bool is_num = val[0] && *end == '\0';

    if (strcasecmp(key, "TimeLimit") == 0) {
        if (hub_parse_duration(val, &secs, err) < 0)
            return -EINVAL;
        return put(args, "time_limit_s", json_integer(secs), err);
    }
    if (strcasecmp(key, "Priority") == 0 || strcasecmp(key, "Nice") == 0) {
        if (!is_num || n < INT32_MIN || n > INT32_MAX)
            return hub_errorf(err, EINVAL, "%s=%s: not a number", key, val);
        return put(args, strcasecmp(key, "Nice") == 0 ? "nice" : "priority",
                   json_integer(n), err);
    }
    if (strcasecmp(key, "Name") == 0 || strcasecmp(key, "JobName") == 0)
        return put(args, "name", json_string(val), err);
    if (strcasecmp(key, "Partition") == 0)
        return put(args, "partition", json_string(val), err);
    return hub_errorf(err, EINVAL,
                      "update job: unknown key '%s' (TimeLimit, Priority, "
                      "Nice, Name, Partition)",
                      key);
}

/* One Key=Value of "update node". */
static int node_kv(json_t *args, const char *key, const char *val,
                   hub_error_t *err)
{
    static const char *const states[] = {"DRAIN", "RESUME", "DOWN", NULL};

    if (strcasecmp(key, "Reason") == 0)
        return put(args, "reason", json_string(val), err);
    if (strcasecmp(key, "State") != 0)
        return hub_errorf(err, EINVAL,
                          "update node: unknown key '%s' (State, "
                          "Reason)",
                          key);
    for (size_t i = 0; states[i]; i++) {
        if (strcasecmp(val, states[i]) == 0)
            return put(args, "state", json_string(states[i]), err);
    }
    return hub_errorf(err, EINVAL, "State=%s: use DRAIN, RESUME or DOWN", val);
}

typedef int (*kv_fn)(json_t *args, const char *key, const char *val,
                     hub_error_t *err);

static int parse_kvs(json_t *args, int argc, char **argv, kv_fn fn,
                     hub_error_t *err)
{
    if (argc == 0)
        return hub_errorf(err, EINVAL,
                          "update: nothing to change (give "
                          "Key=Value pairs)");
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        char key[64];
        int rc;
        if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key))
            return hub_errorf(err, EINVAL,
                              "update: expected Key=Value, "
                              "not '%s'",
                              argv[i]);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
        rc = fn(args, key, eq + 1, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int update_job(const opts_t *o, const char *id_arg, int argc,
                      char **argv)
{
    json_t *args = json_object(), *resp = NULL;
    hub_error_t err;
    json_int_t id;
    int rc = parse_kvs(args, argc, argv, job_kv, &err);

    if (rc < 0) {
        json_decref(args);
        return cmd_usage_error("%s", err.text);
    }
    if (resolve_id(id_arg, &id, &err) < 0) {
        json_decref(args);
        cmd_error("%s", err.text);
        return CMD_EXIT_FAIL;
    }
    json_object_set_new(args, "id", json_integer(id));
    rc = call("update", args, &resp);
    if (rc == 0 && o->json)
        rc = cmd_print_json(resp);
    json_decref(resp);
    return rc;
}

static int update_node(const opts_t *o, const char *names, int argc,
                       char **argv)
{
    json_t *args = json_pack("{s:s}", "nodes", names), *resp = NULL;
    const char *state;
    hub_error_t err;
    int rc = parse_kvs(args, argc, argv, node_kv, &err);

    state = json_string_value(json_object_get(args, "state"));
    if (rc == 0 && !state)
        rc = hub_errorf(&err, EINVAL, "update node: State= is required");
    if (rc == 0 && strcmp(state, "RESUME") != 0 &&
        !json_object_get(args, "reason"))
        rc = hub_errorf(&err, EINVAL,
                        "You must specify a reason when "
                        "DOWNING or DRAINING a node");
    if (rc < 0) {
        json_decref(args);
        return cmd_usage_error("%s", err.text);
    }
    rc = call("node_update", args, &resp);
    if (rc == 0 && o->json)
        rc = cmd_print_json(resp);
    json_decref(resp);
    return rc;
}

/* "job ID ..." / "JobId=ID ..." / "node NAMES ..." / "NodeName=NAMES". */
static int do_update(const opts_t *o, int argc, char **argv)
{
    const char *first = argc > 0 ? argv[0] : "";

    if (strncasecmp(first, "JobId=", 6) == 0)
        return update_job(o, first + 6, argc - 1, argv + 1);
    if (strncasecmp(first, "NodeName=", 9) == 0)
        return update_node(o, first + 9, argc - 1, argv + 1);
    if (argc < 2)
        return cmd_usage_error("update: expected 'job ID' or 'node NAMES' "
                               "then Key=Value pairs");
    if (strcasecmp(first, "job") == 0)
        return update_job(o, argv[1], argc - 2, argv + 2);
    if (strcasecmp(first, "node") == 0)
        return update_node(o, argv[1], argc - 2, argv + 2);
    return cmd_usage_error("update: unknown entity '%s' (job, node)", first);
}

/* ---- main -------------------------------------------------------------- */

static int do_reconfigure(const opts_t *o, int argc, char **argv)
{
    json_t *resp = NULL;
    int rc;

    if (argc > 0)
        return cmd_usage_error("reconfigure takes no arguments");
    rc = call("reconfigure", NULL, &resp);
    if (rc == 0 && o->json)
        rc = cmd_print_json(resp);
    json_decref(resp);
    return rc;
}

static int dispatch(const opts_t *o, int argc, char **argv)
{
    const char *cmd = argv[0];

    if (strcasecmp(cmd, "show") == 0)
        return do_show(o, argc - 1, argv + 1);
    if (strcasecmp(cmd, "update") == 0)
        return do_update(o, argc - 1, argv + 1);
    if (strcasecmp(cmd, "hold") == 0)
        return job_op(o, "hold", "Hold job", argc - 1, argv + 1);
    if (strcasecmp(cmd, "release") == 0)
        return job_op(o, "release", "Release job", argc - 1, argv + 1);
    if (strcasecmp(cmd, "requeue") == 0)
        return job_op(o, "requeue", "Requeue job", argc - 1, argv + 1);
    if (strcasecmp(cmd, "reconfigure") == 0)
        return do_reconfigure(o, argc - 1, argv + 1);
    return cmd_usage_error("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    opts_t o = {false, false};
    int c;

    cmd_init("hcontrol");
    while ((c = cmd_getopt(argc, argv, "+", longopts)) != -1) {
        if (c == '?')
            return CMD_EXIT_USAGE;
        if (c == OPT_JSON)
            o.json = true;
        else
            o.help = true;
    }
    if (o.help) {
        fputs(usage_text, stdout);
        return CMD_EXIT_OK;
    }
    if (optind >= argc)
        return cmd_usage_error("no command given");
    return dispatch(&o, argc - optind, argv + optind);
}

/* jobspec_opt.c - the option table shared by hbatch's command line and the
 * script directives, and the handlers that store each option in the spec.
 *
 * Every sbatch option is listed, so that its argument is consumed the way
 * sbatch would: the ones with a handler are implemented, the ones without
 * (fn NULL) are real sbatch options hubsched does not implement and only
 * produce a warning. hubsched's own options come last.
 */
#include "jobspec_int.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"
#include "units.h"

#define REQ_OFF(m) offsetof(hub_job_req_t, m)
#define REQ_SIZE(m) sizeof(((hub_job_req_t *)0)->m)
#define SPEC_OFF(m) offsetof(hub_jobspec_t, m)

/* Largest task, CPU or node count accepted: above any machine, below
 * overflow when multiplied by a few. */
#define COUNT_MAX 1000000u
#define MB (1u << 20)

static char *req_field(const jobspec_in_t *in)
{
    return (char *)&in->spec->req + in->opt->off;
}

/* ---- generic handlers, parameterised by the table ---------------------- */

static int h_name(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    int rc = jobspec_check_name(val, in->opt->size,
                                in->opt->flags & JOPT_SPACES, err);
    if (rc == 0)
        memcpy(req_field(in), val, strlen(val) + 1);
    return rc;
}

static int h_string(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    char **dst = (char **)((char *)in->spec + in->opt->off);

    return jobspec_set_str(dst, val, in->opt->size, err);
}

static int h_u32(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    uint32_t v;
    int rc = jobspec_parse_u32(val, in->opt->min, in->opt->max, &v, err);

    if (rc == 0)
        memcpy(req_field(in), &v, sizeof(v));
    return rc;
}

static int h_true(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    bool yes = true;

    memcpy(req_field(in), &yes, sizeof(yes));
    return 0;
}

static int h_false(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    bool no = false;

    memcpy(req_field(in), &no, sizeof(no));
    return 0;
}

/* ---- handlers of single options --------------------------------------- */

static int h_nodes(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    hub_job_req_t *req = &in->spec->req;
    const char *dash = strchr(val, '-');
    char min_text[16];
    uint32_t lo, hi = 0;
    int rc;

    if (dash && (size_t)(dash - val) >= sizeof(min_text))
        return hub_errorf(err, EINVAL, "'%s': expected N or MIN-MAX", val);
    snprintf(min_text, sizeof(min_text), "%.*s",
             (int)(dash ? dash - val : (ptrdiff_t)strlen(val)), val);
    rc = jobspec_parse_u32(min_text, 1, COUNT_MAX, &lo, err);
    if (rc == 0 && dash)
        rc = jobspec_parse_u32(dash + 1, 1, COUNT_MAX, &hi, err);
    if (rc < 0)
        return hub_error_prefix(err, rc, "'%s'", val);
    if (dash && hi < lo)
        return hub_errorf(err, EINVAL, "'%s': maximum below minimum", val);
    req->nodes_min = lo;
    req->nodes_max = hi;
    return 0;
}

/* --constraint: the scheduler matches one feature name (sched_place.c), so
 * Slurm's feature expressions are refused rather than misread. */
static int h_constraint(const jobspec_in_t *in, const char *val,
                        hub_error_t *err)
{
    int rc = jobspec_check_name(val, in->opt->size, false, err);

    if (rc == 0 && strpbrk(val, "&|[]*(),:!"))
        return hub_errorf(err, EINVAL,
                          "'%s': feature expressions are not supported; "
                          "give one feature",
                          val);
    if (rc == 0)
        memcpy(req_field(in), val, strlen(val) + 1);
    return rc;
}

static int h_time(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    int64_t secs;
    int rc = hub_parse_duration(val, &secs, err);

    if (rc < 0)
        return rc;
    /* Slurm: a limit of 0 means no limit; our 0 means "partition
     * default". */
    in->spec->req.time_limit_s = secs == 0 ? HUB_DURATION_INFINITE : secs;
    return 0;
}

static int parse_mb(const char *val, uint64_t *mb, hub_error_t *err)
{
    uint64_t bytes;
    int rc = hub_parse_size(val, MB, &bytes, err);

    if (rc == 0)
        *mb = bytes / MB + (bytes % MB != 0); /* round up, as Slurm */
    return rc;
}

static int h_mem(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    hub_job_req_t *req = &in->spec->req;
    uint64_t mb = 0;
    int rc = parse_mb(val, &mb, err);

    if (rc < 0)
        return rc;
    req->mem_per_node_mb = mb;
    req->mem_all = mb == 0;
    req->mem_per_cpu_mb = 0;
    return 0;
}

static int h_mem_per_cpu(const jobspec_in_t *in, const char *val,
                         hub_error_t *err)
{
    hub_job_req_t *req = &in->spec->req;
    uint64_t mb = 0;
    int rc = parse_mb(val, &mb, err);

    if (rc < 0)
        return rc;
    if (mb == 0)
        return hub_errorf(err, EINVAL, "'%s': must be more than 0", val);
    req->mem_per_cpu_mb = mb;
    req->mem_per_node_mb = 0;
    req->mem_all = false;
    return 0;
}

static int h_exclusive(const jobspec_in_t *in, const char *val,
                       hub_error_t *err)
{
    if (!val) {
        in->spec->req.exclusive = true;
        return 0;
    }
    if (strcmp(val, "user") && strcmp(val, "mcs") && strcmp(val, "topo"))
        return hub_errorf(err, EINVAL, "'%s': expected user, mcs or topo", val);
    return jobspec_warn(in,
                        "'%s' is not supported; ignored (nodes may be "
                        "shared)",
                        val);
}

/* "gpu:TYPE" (a type, no count) means one GPU of that type. */
static int gres_gpu_type_only(const char *rest, hub_job_req_t *req,
                              hub_error_t *err)
{
    int rc = jobspec_check_name(rest, sizeof(req->gpu_type), false, err);

    if (rc < 0)
        return rc;
    memcpy(req->gpu_type, rest, strlen(rest) + 1);
    req->gpus_per_node_milli = HUB_GPU_MILLI;
    return 0;
}

/* One --gres item: GPUs are stored, other resources only warned about. */
static int gres_item(const jobspec_in_t *in, const char *item, bool *seen_gpu,
                     hub_error_t *err)
{
    hub_job_req_t *req = &in->spec->req;
    const char *rest;

    if (strncmp(item, "gres/", 5) == 0)
        item += 5;
    if (strcmp(item, "gpu") != 0 && strncmp(item, "gpu:", 4) != 0)
        return jobspec_warn(in, "'%s' is not supported; ignored", item);
    if (*seen_gpu)
        return hub_errorf(err, EINVAL, "gpu given twice");
    *seen_gpu = true;
    rest = item[3] == ':' ? item + 4 : "1";
    if (!strchr(rest, ':') && !isdigit((unsigned char)rest[0]))
        return gres_gpu_type_only(rest, req, err);
    return jobspec_parse_gpus(rest, HUB_NODE_MAX_GPUS * HUB_GPU_MILLI,
                              req->gpu_type, sizeof(req->gpu_type),
                              &req->gpus_per_node_milli, err);
}

static int h_gres(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    char *copy, *save = NULL, *item;
    bool seen_gpu = false;
    int rc = 0;

    if (!*val)
        return hub_errorf(err, EINVAL, "empty value");
    copy = strdup(val);
    if (!copy)
        return -ENOMEM;
    for (item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save))
        rc = gres_item(in, item, &seen_gpu, err);
    free(copy);
    return rc;
}

static int h_gpus(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    hub_job_req_t *req = &in->spec->req;

    return jobspec_parse_gpus(val, UINT32_MAX / 2, req->gpu_type,
                              sizeof(req->gpu_type), &req->gpus_milli, err);
}

static int h_gpus_per_node(const jobspec_in_t *in, const char *val,
                           hub_error_t *err)
{
    hub_job_req_t *req = &in->spec->req;

    return jobspec_parse_gpus(val, HUB_NODE_MAX_GPUS * HUB_GPU_MILLI,
                              req->gpu_type, sizeof(req->gpu_type),
                              &req->gpus_per_node_milli, err);
}

static int h_array(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    hub_jobspec_t *spec = in->spec;
    uint32_t *ids, n, max_running;
    int rc = hub_jobspec_parse_array(val, &ids, &n, &max_running, err);

    if (rc < 0)
        return rc;
    rc = jobspec_set_str(&spec->array, val, HUB_JOBSPEC_ARRAY_TEXT_MAX, err);
    if (rc < 0) {
        free(ids);
        return rc;
    }
    free(spec->array_ids);
    spec->array_ids = ids;
    spec->narray = n;
    spec->array_max_running = max_running;
    return 0;
}

static int h_dependency(const jobspec_in_t *in, const char *val,
                        hub_error_t *err)
{
    bool has_time = false;
    int rc = jobspec_parse_deps(val, &in->spec->req, &has_time, err);

    if (rc == 0 && has_time)
        rc = jobspec_warn(in, "'+time' delays are not supported; the "
                              "dependency applies without delay");
    return rc;
}

static int h_signal(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    bool reservation = false;
    int rc = jobspec_parse_signal(val, &in->spec->req, &reservation, err);

    if (rc == 0 && reservation)
        rc = jobspec_warn(in, "the 'R:' flag (reservations) is not "
                              "supported; ignored");
    return rc;
}

static int h_export(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    int rc = jobspec_check_export(val, err);

    if (rc == 0)
        rc = jobspec_set_str(&in->spec->priv.export_spec, val,
                             HUB_JOBSPEC_EXEC_BYTES_MAX, err);
    return rc;
}

static int h_nice(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    bool neg = val && val[0] == '-';
    uint32_t mag = HUB_JOBSPEC_NICE_DEFAULT;
    /* Slurm's bound: NICE_OFFSET - 3. */
    int rc = val ? jobspec_parse_u32(val + (neg || val[0] == '+'), 0,
                                     2147483645u, &mag, err)
                 : 0;

    if (rc == 0)
        in->spec->req.nice = neg ? -(int32_t)mag : (int32_t)mag;
    return rc;
}

static int h_begin(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    return jobspec_parse_begin(val, in->ctx ? in->ctx->now_ms : 0,
                               &in->spec->req.begin_ms, err);
}

static int h_wrap(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    hub_jobspec_t *spec = in->spec;
    size_t len = strlen(val);
    char *script;

    if (len == 0 || len > HUB_JOBSPEC_SCRIPT_MAX - 16)
        return hub_errorf(err, EINVAL,
                          "expected a command of 1 to %u "
                          "bytes",
                          HUB_JOBSPEC_SCRIPT_MAX - 16);
    script = malloc(len + 12);
    if (!script)
        return -ENOMEM;
    sprintf(script, "#!/bin/sh\n%s\n", val);
    free(spec->script);
    free(spec->script_name);
    spec->script = script;
    spec->script_name = NULL;
    return 0;
}

static int h_kind(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    int kind = hub_job_kind_parse(val);

    if (kind < 0)
        return hub_errorf(err, EINVAL,
                          "'%s': expected train, infer or "
                          "batch",
                          val);
    in->spec->req.kind = (hub_job_kind_t)kind;
    return 0;
}

/* ---- the table --------------------------------------------------------- */

#define NO HUB_JOBSPEC_NO_ARG
#define RQ HUB_JOBSPEC_REQUIRED_ARG
#define OP HUB_JOBSPEC_OPTIONAL_ARG
#define NAME(n, s, m, fl)                                                      \
    {                                                                          \
        n, s, RQ, h_name, REQ_OFF(m), REQ_SIZE(m), 0, 0, JFAM_OWN, fl          \
    }
#define STRING(n, s, m, max)                                                   \
    {                                                                          \
        n, s, RQ, h_string, SPEC_OFF(m), max, 0, 0, JFAM_OWN, 0                \
    }
#define U32(n, s, m, lo, hi)                                                   \
    {                                                                          \
        n, s, RQ, h_u32, REQ_OFF(m), 0, lo, hi, JFAM_OWN, 0                    \
    }
#define FLAG(n, s, fn, m, fam)                                                 \
    {                                                                          \
        n, s, NO, fn, REQ_OFF(m), 0, 0, 0, fam, 0                              \
    }
#define CALL(n, s, arg, fn, fam, fl)                                           \
    {                                                                          \
        n, s, arg, fn, 0, 0, 0, 0, fam, fl                                     \
    }
#define UNSUPPORTED(n, s, arg)                                                 \
    {                                                                          \
        n, s, arg, NULL, 0, 0, 0, 0, JFAM_OWN, 0                               \
    }

const jobspec_opt_t jobspec_opts[] = {
    /* sbatch options hubsched implements */
    CALL("nodes", 'N', RQ, h_nodes, JFAM_OWN, 0),
    U32("ntasks", 'n', ntasks, 1, COUNT_MAX),
    U32("ntasks-per-node", 0, ntasks_per_node, 1, COUNT_MAX),
    U32("cpus-per-task", 'c', cpus_per_task, 1, COUNT_MAX),
    CALL("gres", 0, RQ, h_gres, JFAM_GPN, JOPT_EXCL),
    CALL("gpus", 'G', RQ, h_gpus, JFAM_OWN, 0),
    CALL("gpus-per-node", 0, RQ, h_gpus_per_node, JFAM_GPN, JOPT_EXCL),
    CALL("time", 't', RQ, h_time, JFAM_OWN, 0),
    NAME("job-name", 'J', name, JOPT_SPACES),
    STRING("output", 'o', output, HUB_JOBSPEC_PATH_MAX),
    STRING("error", 'e', error, HUB_JOBSPEC_PATH_MAX),
    STRING("input", 'i', input, HUB_JOBSPEC_PATH_MAX),
    NAME("partition", 'p', partition, 0),
    CALL("mem", 0, RQ, h_mem, JFAM_MEM, JOPT_EXCL),
    CALL("mem-per-cpu", 0, RQ, h_mem_per_cpu, JFAM_MEM, JOPT_EXCL),
    CALL("exclusive", 0, OP, h_exclusive, JFAM_OWN, 0),
    CALL("array", 'a', RQ, h_array, JFAM_OWN, 0),
    CALL("dependency", 'd', RQ, h_dependency, JFAM_OWN, 0),
    FLAG("requeue", 0, h_true, requeue, JFAM_REQUEUE),
    FLAG("no-requeue", 0, h_false, requeue, JFAM_REQUEUE),
    CALL("signal", 0, RQ, h_signal, JFAM_OWN, 0),
    NAME("account", 'A', account, 0),
    NAME("qos", 'q', qos, 0),
    STRING("chdir", 'D', workdir, HUB_JOBSPEC_PATH_MAX),
    CALL("export", 0, RQ, h_export, JFAM_OWN, 0),
    FLAG("hold", 'H', h_true, hold, JFAM_OWN),
    CALL("nice", 0, OP, h_nice, JFAM_OWN, 0),
    CALL("begin", 'b', RQ, h_begin, JFAM_OWN, 0),
    STRING("comment", 0, comment, HUB_JOBSPEC_COMMENT_MAX),
    CALL("wrap", 0, RQ, h_wrap, JFAM_OWN, JOPT_ARGV_ONLY),
    {"constraint", 'C', RQ, h_constraint, REQ_OFF(constraint),
     REQ_SIZE(constraint), 0, 0, JFAM_OWN, 0},
    /* sbatch options hubsched does not implement: a warning each */
    UNSUPPORTED("acctg-freq", 0, RQ),
    UNSUPPORTED("batch", 0, RQ),
    UNSUPPORTED("bb", 0, RQ),
    UNSUPPORTED("bbf", 0, RQ),
    UNSUPPORTED("cluster-constraint", 0, RQ),
    UNSUPPORTED("clusters", 'M', RQ),
    UNSUPPORTED("container", 0, RQ),
    UNSUPPORTED("contiguous", 0, NO),
    UNSUPPORTED("core-spec", 'S', RQ),
    UNSUPPORTED("cores-per-socket", 0, RQ),
    UNSUPPORTED("cpu-freq", 0, RQ),
    UNSUPPORTED("cpus-per-gpu", 0, RQ),
    UNSUPPORTED("deadline", 0, RQ),
    UNSUPPORTED("delay-boot", 0, RQ),
    UNSUPPORTED("distribution", 'm', RQ),
    UNSUPPORTED("exclude", 'x', RQ),
    UNSUPPORTED("export-file", 0, RQ),
    UNSUPPORTED("extra-node-info", 'B', RQ),
    UNSUPPORTED("get-user-env", 0, OP),
    UNSUPPORTED("gid", 0, RQ),
    UNSUPPORTED("gpu-bind", 0, RQ),
    UNSUPPORTED("gpu-freq", 0, RQ),
    UNSUPPORTED("gpus-per-socket", 0, RQ),
    UNSUPPORTED("gpus-per-task", 0, RQ),
    UNSUPPORTED("gres-flags", 0, RQ),
    UNSUPPORTED("help", 'h', NO),
    UNSUPPORTED("hint", 0, RQ),
    UNSUPPORTED("ignore-pbs", 0, NO),
    UNSUPPORTED("kill-on-invalid-dep", 0, RQ),
    UNSUPPORTED("licenses", 'L', RQ),
    UNSUPPORTED("mail-type", 0, RQ),
    UNSUPPORTED("mail-user", 0, RQ),
    UNSUPPORTED("mcs-label", 0, RQ),
    UNSUPPORTED("mem-bind", 0, RQ),
    UNSUPPORTED("mem-per-gpu", 0, RQ),
    UNSUPPORTED("mincpus", 0, RQ),
    UNSUPPORTED("network", 0, RQ),
    UNSUPPORTED("no-kill", 'k', OP),
    UNSUPPORTED("nodefile", 'F', RQ),
    UNSUPPORTED("nodelist", 'w', RQ),
    UNSUPPORTED("ntasks-per-core", 0, RQ),
    UNSUPPORTED("ntasks-per-gpu", 0, RQ),
    UNSUPPORTED("ntasks-per-socket", 0, RQ),
    UNSUPPORTED("open-mode", 0, RQ),
    UNSUPPORTED("overcommit", 'O', NO),
    UNSUPPORTED("oversubscribe", 's', NO),
    UNSUPPORTED("parsable", 0, NO),
    UNSUPPORTED("power", 0, RQ),
    UNSUPPORTED("prefer", 0, RQ),
    UNSUPPORTED("priority", 0, RQ),
    UNSUPPORTED("profile", 0, RQ),
    UNSUPPORTED("propagate", 0, OP),
    UNSUPPORTED("quiet", 'Q', NO),
    UNSUPPORTED("reboot", 0, NO),
    UNSUPPORTED("reservation", 0, RQ),
    UNSUPPORTED("sockets-per-node", 0, RQ),
    UNSUPPORTED("spread-job", 0, NO),
    UNSUPPORTED("switches", 0, RQ),
    UNSUPPORTED("test-only", 0, NO),
    UNSUPPORTED("thread-spec", 0, RQ),
    UNSUPPORTED("threads-per-core", 0, RQ),
    UNSUPPORTED("time-min", 0, RQ),
    UNSUPPORTED("tmp", 0, RQ),
    UNSUPPORTED("tres-bind", 0, RQ),
    UNSUPPORTED("tres-per-task", 0, RQ),
    UNSUPPORTED("uid", 0, RQ),
    UNSUPPORTED("usage", 0, NO),
    UNSUPPORTED("use-min-nodes", 0, NO),
    UNSUPPORTED("verbose", 'v', NO),
    UNSUPPORTED("version", 'V', NO),
    UNSUPPORTED("wait", 'W', NO),
    UNSUPPORTED("wait-all-nodes", 0, RQ),
    UNSUPPORTED("wckey", 0, RQ),
    /* hubsched's own */
    NAME("hub", 0, hub, 0),
    CALL("kind", 0, RQ, h_kind, JFAM_OWN, 0),
    U32("spare-nodes", 0, spare_nodes, 0, 1024),
    NAME("data-hub", 0, data_hub, 0),
    NAME("region", 0, region, 0),
    U32("latency-slo", 0, latency_slo_ms, 1, 24u * 3600 * 1000),
};

const size_t jobspec_nopts = sizeof(jobspec_opts) / sizeof(jobspec_opts[0]);

/* job_env.c - the environment a job's processes see: what the submitter
 * captured (hbatch --export), then hubsched's HUB_* variables and the
 * Slurm variables that scripts written for sbatch read (SLURM_JOB_ID,
 * SLURM_JOB_NODELIST, SLURM_NTASKS, CUDA_VISIBLE_DEVICES ...), which
 * replace any captured variable of the same name. Open MPI's launcher is
 * pointed at hub-exec (OMPI_MCA_plm=rsh, OMPI_MCA_plm_rsh_agent) so that
 * mpirun in a job reaches the other nodes through their hubd instead of
 * ssh (or srun, which the Slurm variables would otherwise select).
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct envb {
    char **v; /* n entries + NULL */
    size_t n, cap;
    bool oom;
} envb_t;

static long find(const envb_t *b, const char *name, size_t nlen)
{
    for (size_t i = 0; i < b->n; i++)
        if (strncmp(b->v[i], name, nlen) == 0 && b->v[i][nlen] == '=')
            return (long)i;
    return -1;
}

/* Add or replace entry ("NAME=value", malloc'd; the builder owns it). */
static void put_entry(envb_t *b, char *entry)
{
    size_t nlen = entry ? strcspn(entry, "=") : 0;
    long i = entry ? find(b, entry, nlen) : -1;

    if (!entry) {
        b->oom = true;
        return;
    }
    if (i >= 0) {
        free(b->v[i]);
        b->v[i] = entry;
        return;
    }
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char **v = realloc(b->v, cap * sizeof(*v));
        if (!v) {
            free(entry);
            b->oom = true;
            return;
        }
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = entry;
    b->v[b->n] = NULL;
}

static void setf(envb_t *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void setf(envb_t *b, const char *name, const char *fmt, ...)
{
    char *value = NULL, *entry = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&value, fmt, ap) < 0)
        value = NULL;
    va_end(ap);
    if (value && asprintf(&entry, "%s=%s", name, value) < 0)
        entry = NULL;
    free(value);
    put_entry(b, entry);
}

static void unset(envb_t *b, const char *name)
{
    long i = find(b, name, strlen(name));

    if (i < 0)
        return;
    free(b->v[i]);
    memmove(&b->v[i], &b->v[i + 1], (b->n - (size_t)i) * sizeof(*b->v));
    b->n--;
}

/* "0,1,3" from the GPU indices. */
static void gpu_list(const jobenv_in_t *in, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < in->ngpus && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "",
                                 in->gpus[i]);
}

/* Slurm's SLURM_TASKS_PER_NODE: tasks spread block-wise as evenly as
 * possible, the first nodes taking one more ("3(x2),2"). */
static void tasks_per_node(uint32_t ntasks, uint32_t nnodes, char *buf,
                           size_t len)
{
    uint32_t base = ntasks / nnodes, extra = ntasks % nnodes;
    int n = 0;

    if (extra)
        n = snprintf(buf, len, extra > 1 ? "%u(x%u)" : "%u", base + 1, extra);
    if (extra && extra == nnodes)
        return;
    if (n >= 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n,
                 nnodes - extra > 1 ? "%s%u(x%u)" : "%s%u", n ? "," : "", base,
                 nnodes - extra);
}

static void set_slurm_shape(envb_t *b, const jobenv_in_t *in)
{
    const hub_job_req_t *r = &in->job->req;
    uint32_t ntasks = r->ntasks ? r->ntasks : in->nnodes;
    char tpn[64];

    setf(b, "SLURM_NNODES", "%u", in->nnodes);
    setf(b, "SLURM_JOB_NUM_NODES", "%u", in->nnodes);
    setf(b, "SLURM_NTASKS", "%u", ntasks);
    setf(b, "SLURM_NPROCS", "%u", ntasks);
    tasks_per_node(ntasks, in->nnodes ? in->nnodes : 1, tpn, sizeof(tpn));
    setf(b, "SLURM_TASKS_PER_NODE", "%s", tpn);
    if (r->ntasks_per_node)
        setf(b, "SLURM_NTASKS_PER_NODE", "%u", r->ntasks_per_node);
    else if (in->nnodes && ntasks % in->nnodes == 0)
        setf(b, "SLURM_NTASKS_PER_NODE", "%u", ntasks / in->nnodes);
    setf(b, "SLURM_CPUS_PER_TASK", "%u",
         r->cpus_per_task ? r->cpus_per_task : 1);
    setf(b, "SLURM_CPUS_ON_NODE", "%u", in->cpus_on_node);
    setf(b, "SLURM_JOB_CPUS_PER_NODE", "%u", in->cpus_on_node);
    if (r->mem_per_node_mb || r->mem_all)
        setf(b, "SLURM_MEM_PER_NODE", "%" PRIu64, in->mem_mb_on_node);
}

static void set_slurm_ids(envb_t *b, const jobenv_in_t *in)
{
    const hub_job_t *job = in->job;
    const char *pwd = in->spec ? jobenv_get(in->spec->env, "PWD") : NULL;

    setf(b, "SLURM_JOB_ID", "%u", job->id);
    setf(b, "SLURM_JOBID", "%u", job->id);
    setf(b, "SLURM_JOB_NAME", "%s", job->req.name);
    setf(b, "SLURM_JOB_USER", "%s", job->user);
    setf(b, "SLURM_JOB_UID", "%u", job->uid);
    setf(b, "SLURM_JOB_GID", "%u", job->gid);
    setf(b, "SLURM_JOB_NODELIST", "%s", in->nodelist);
    setf(b, "SLURM_NODELIST", "%s", in->nodelist);
    setf(b, "SLURM_NODEID", "%u", in->node_index);
    setf(b, "SLURMD_NODENAME", "%s", in->node);
    setf(b, "SLURM_RESTART_COUNT", "%u", job->restart_count);
    if (job->req.partition[0])
        setf(b, "SLURM_JOB_PARTITION", "%s", job->req.partition);
    if (in->cluster)
        setf(b, "SLURM_CLUSTER_NAME", "%s", in->cluster);
    if (pwd || (in->spec && in->spec->workdir))
        setf(b, "SLURM_SUBMIT_DIR", "%s", pwd ? pwd : in->spec->workdir);
    unset(b, "SLURM_ARRAY_JOB_ID");
    unset(b, "SLURM_ARRAY_TASK_ID");
    if (job->array_task_id >= 0) {
        setf(b, "SLURM_ARRAY_JOB_ID", "%u", job->array_job_id);
        setf(b, "SLURM_ARRAY_TASK_ID", "%d", job->array_task_id);
    }
}

static void set_gpus(envb_t *b, const jobenv_in_t *in)
{
    char list[HUB_NODE_MAX_GPUS * 4 + 1];

    gpu_list(in, list, sizeof(list));
    unset(b, "SLURM_JOB_GPUS");
    unset(b, "SLURM_GPUS_ON_NODE");
    if (in->ngpus) {
        setf(b, "SLURM_JOB_GPUS", "%s", list);
        setf(b, "SLURM_GPUS_ON_NODE", "%zu", in->ngpus);
        setf(b, "CUDA_VISIBLE_DEVICES", "%s", list);
        setf(b, "HUB_GPUS", "%s", list);
    } else if (in->node_has_gpus) {
        /* An empty list hides every device from CUDA. */
        setf(b, "CUDA_VISIBLE_DEVICES", "%s", "");
    }
}

static int set_extra(envb_t *b, const json_t *extra, hub_error_t *err)
{
    const char *name;
    json_t *v;

    json_object_foreach((json_t *)extra, name, v)
    {
        if (strncmp(name, "HUB_", 4) != 0 || strchr(name, '='))
            return hub_errorf(err, EINVAL,
                              "env: '%s' is not a HUB_* variable name", name);
        if (json_is_string(v))
            setf(b, name, "%s", json_string_value(v));
        else if (json_is_integer(v))
            setf(b, name, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            setf(b, name, "%.17g", json_real_value(v));
        else
            return hub_errorf(err, EINVAL, "env: %s: not a string or number",
                              name);
    }
    return 0;
}

static void set_hub(envb_t *b, const jobenv_in_t *in)
{
    setf(b, "HUB_JOB_ID", "%u", in->job->id);
    setf(b, "HUB_JOB_NAME", "%s", in->job->req.name);
    setf(b, "HUB_NODE", "%s", in->node);
    setf(b, "HUB_NODE_INDEX", "%u", in->node_index);
    setf(b, "HUB_NODELIST", "%s", in->nodelist);
    setf(b, "HUB_NNODES", "%u", in->nnodes);
    setf(b, "HUB_RESTART_COUNT", "%u", in->job->restart_count);
    setf(b, "HUB_JOB_KIND", "%s", hub_job_kind_name(in->job->req.kind));
    if (in->job->req.spare_nodes) /* hrun holds these back (doc/hrun.md) */
        setf(b, "HUB_SPARE_NODES", "%u", in->job->req.spare_nodes);
    if (in->conf)
        setf(b, "HUB_CONF", "%s", in->conf);
    if (in->exec) {
        setf(b, "HUB_EXEC", "%s", in->exec);
        setf(b, "OMPI_MCA_plm_rsh_agent", "%s", in->exec);
        /* The SLURM_* variables would make Open MPI launch with srun;
         * hubsched nodes are reached through the rsh agent. */
        setf(b, "OMPI_MCA_plm", "%s", "rsh");
    }
}

/* Whether the builder holds name with a non-empty value. */
static bool has_value(const envb_t *b, const char *name)
{
    long i = find(b, name, strlen(name));

    return i >= 0 && b->v[i][strlen(name) + 1] != '\0';
}

/* libhubjob's job file, made explicit so that a script that changes
 * directory still writes it where accounting looks: the user's
 * HUB_JOB_FILE or HUB_METRICS_FILE when set, else <workdir>/hubjob-<job
 * id>.h5. hubctld's acct answer (op_query.c, job_file) follows the same
 * rule; doc/commands.md (hacct) states it. */
static void set_job_file(envb_t *b, const jobenv_in_t *in)
{
    const char *wd = in->spec ? in->spec->workdir : NULL;

    if (!wd || !wd[0] || has_value(b, "HUB_JOB_FILE") ||
        has_value(b, "HUB_METRICS_FILE"))
        return;
    setf(b, "HUB_JOB_FILE", "%s%shubjob-%u.h5", wd,
         wd[strlen(wd) - 1] == '/' ? "" : "/", in->job->id);
}

/* Open MPI's daemons share the node topology through a memory segment
 * mapped at a "hole" of their address space; an orted started through
 * hub-exec crashed there (hwloc_shmem_topology_write) under load, while
 * the segment only saves each rank a topology discovery. Off unless the
 * job chose otherwise. */
static void set_mpi_defaults(envb_t *b)
{
    if (!has_value(b, "OMPI_MCA_rtc_hwloc_vmhole"))
        setf(b, "OMPI_MCA_rtc_hwloc_vmhole", "%s", "none");
}

char **jobenv_build(const jobenv_in_t *in, hub_error_t *err)
{
    envb_t b = {0};
    int rc = 0;

    for (uint32_t i = 0; in->spec && i < in->spec->nenv; i++)
        put_entry(&b, strdup(in->spec->env[i]));
    set_slurm_ids(&b, in);
    set_slurm_shape(&b, in);
    set_gpus(&b, in);
    set_hub(&b, in);
    if (in->extra)
        rc = set_extra(&b, in->extra, err);
    set_job_file(&b, in);
    set_mpi_defaults(&b);
    if (in->tmpdir && in->tmpdir[0]) /* the node's, not the submitter's */
        setf(&b, "TMPDIR", "%s", in->tmpdir);
    if (rc == 0 && b.oom)
        rc = hub_errorf(err, ENOMEM, "job environment: out of memory");
    if (rc < 0) {
        jobenv_free(b.v);
        return NULL;
    }
    return b.v;
}

void jobenv_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

const char *jobenv_get(char *const *env, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

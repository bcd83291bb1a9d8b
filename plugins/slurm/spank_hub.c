/* spank_hub.c - SPANK plugin "hub": hubsched's options for sbatch, salloc
 * and srun, passed to the job's tasks as the variables hrun and libhubjob
 * read; the peaks of the job's GPUs from a hub.conf GpuType table; a
 * one-line summary at the end of a batch job. doc/slurm.md is the admin's
 * page (installation, arguments, what runs in which context).
 *
 * A job that uses no --hub* option sees no difference: every callback
 * returns at once unless an option was given (the option table only
 * appears in --help). Options are checked where they are given (sbatch or
 * srun refuses a bad value with the reason) and again in slurmstepd.
 *
 * Plugin arguments (plugstack.conf): gpu_conf=PATH (hub.conf with the
 * GpuType table), gpu_type=NAME (default type), summary=yes|no (default
 * yes), comment=yes|no (default no: also set the job's Comment),
 * summary_prog=PATH (hub-jobsummary; the installed one by default).
 *
 * Non-goals: job_submit-style policy (Debian ships no headers for it),
 * changing how Slurm launches or requeues (hrun does the restarts).
 */
#include <limits.h>
#include <slurm/slurm.h> /* SLURM_BATCH_SCRIPT */
#include <slurm/spank.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "gpupeak.h"
#include "hubopt.h"
#include "summary.h"

#ifndef HUB_JOBSUMMARY
#define HUB_JOBSUMMARY "/usr/local/libexec/hubsched/hub-jobsummary"
#endif

SPANK_PLUGIN(hub, 1);

/* Plugin arguments: the site's choices. */
static struct {
    char *gpu_conf;     /* hub.conf with GpuType lines, NULL: no peaks */
    char *gpu_type;     /* default GPU type, NULL: none */
    char *summary_prog; /* hub-jobsummary */
    int summary;        /* print the summary at the end of batch jobs */
    int comment;        /* and set it as the job's comment */
} site = {NULL, NULL, NULL, 1, 0};

static struct spank_option options[HUBOPT_COUNT];
static char *values[HUBOPT_COUNT]; /* what the user gave, NULL: not */
static int used;                   /* any --hub* option was given */
static char job_cwd[PATH_MAX];     /* the job's directory (user_init) */

static int option_cb(int val, const char *optarg, int remote)
{
    hub_error_t err;
    char *copy;

    if (hubopt_check((hubopt_id_t)val, optarg, &err) < 0) {
        slurm_error("hub: %s", err.text);
        return -1;
    }
    if (!(copy = strdup(optarg ? optarg : "")))
        return -1;
    free(values[val]);
    values[val] = copy;
    used = 1;
    return 0;
}

/* yes/no argument value into *out; -1 for anything else. */
static int yes_no(const char *v, int *out)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
        *out = strcmp(v, "yes") == 0;
        return 0;
    }
    return -1;
}

/* Set *field to a copy of v (replacing an earlier one). */
static int set_str(char **field, const char *v)
{
    char *copy = strdup(v);

    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* One plugin argument "key=value". */
static int parse_arg(const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t k = eq ? (size_t)(eq - arg) : 0;
    const char *v = eq ? eq + 1 : "";

    if (k == 8 && strncmp(arg, "gpu_conf", k) == 0 && *v)
        return set_str(&site.gpu_conf, v);
    if (k == 8 && strncmp(arg, "gpu_type", k) == 0 && *v)
        return set_str(&site.gpu_type, v);
    if (k == 12 && strncmp(arg, "summary_prog", k) == 0 && *v == '/')
        return set_str(&site.summary_prog, v);
    if (k == 7 && strncmp(arg, "summary", k) == 0)
        return yes_no(v, &site.summary);
    if (k == 7 && strncmp(arg, "comment", k) == 0)
        return yes_no(v, &site.comment);
    return -1;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    for (int i = 0; i < ac; i++)
        if (parse_arg(av[i]) < 0) {
            slurm_error("hub: plugin argument '%s' is not one of gpu_conf=PATH "
                        "gpu_type=NAME summary=yes|no comment=yes|no "
                        "summary_prog=/PATH",
                        av[i]);
            return -1;
        }
    for (int i = 0; i < HUBOPT_COUNT; i++) {
        const hubopt_desc_t *d = hubopt_desc((hubopt_id_t)i);
        options[i] = (struct spank_option){(char *)d->name,
                                           (char *)d->arginfo,
                                           (char *)d->usage,
                                           d->arginfo != NULL,
                                           i,
                                           option_cb};
        if (spank_option_register(sp, &options[i]) != ESPANK_SUCCESS) {
            slurm_error("hub: cannot register --%s", d->name);
            return -1;
        }
    }
    return 0;
}

/* Where the user named a GPU type and the table is readable here (sbatch,
 * srun), refuse a type the table lacks before the job is queued. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    hub_error_t err;
    hub_conf_t *conf;
    int rc = 0;

    if (spank_remote(sp) || !values[HUBOPT_GPU_TYPE] || !site.gpu_conf ||
        access(site.gpu_conf, R_OK) != 0)
        return 0;
    if (!(conf = hub_conf_load(site.gpu_conf, &err)))
        return 0; /* the admin's problem, reported where peaks are set */
    if (!hub_conf_find_gpu_type(conf, values[HUBOPT_GPU_TYPE])) {
        slurm_error("hub: --hub-gpu-type=%s: not a GpuType of %s",
                    values[HUBOPT_GPU_TYPE], site.gpu_conf);
        rc = -1;
    }
    hub_conf_destroy(conf);
    return rc;
}

/* Set name=value in the step's environment; overwrite as spank_setenv. */
static void set_env(spank_t sp, const char *name, const char *value,
                    int overwrite)
{
    spank_err_t rc = spank_setenv(sp, name, value, overwrite);

    if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_EXISTS)
        slurm_error("hub: cannot set %s: %s", name, spank_strerror(rc));
}

/* HUB_GPU_TYPE and HUB_GPU_PEAK_TFLOPS_<P> for the job's GPUs; variables
 * the job already has are left as they are. */
static void set_peaks(spank_t sp)
{
    char **env = NULL;
    hub_error_t err = {{0}};
    hub_conf_t *conf;
    const hub_conf_gpu_type_t *t;
    gpupeak_var_t vars[GPUPEAK_VARS_MAX];

    if (!site.gpu_conf || spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS)
        return;
    if (!values[HUBOPT_GPU_TYPE] && !gpupeak_job_has_gpus(env))
        return;
    if (!(conf = hub_conf_load(site.gpu_conf, &err))) {
        slurm_error("hub: gpu_conf: %s (no GPU peaks passed)", err.text);
        return;
    }
    t = gpupeak_resolve(conf, values[HUBOPT_GPU_TYPE], site.gpu_type, env,
                        &err);
    if (t) {
        size_t n = gpupeak_vars(t, vars);
        for (size_t i = 0; i < n; i++)
            set_env(sp, vars[i].name, vars[i].value, 0);
    } else if (err.text[0]) {
        slurm_error("hub: %s (no GPU peaks passed)", err.text);
    }
    hub_conf_destroy(conf);
}

/* In slurmstepd, before the tasks start: the options and the peaks into
 * the step's environment, which every task inherits. */
int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
    if (!used)
        return 0;
    if (!getcwd(job_cwd, sizeof(job_cwd)))
        job_cwd[0] = '\0';
    for (int i = 0; i < HUBOPT_COUNT; i++) {
        const char *env = hubopt_desc((hubopt_id_t)i)->env;
        if (env && values[i])
            set_env(sp, env, values[i], 1);
    }
    set_peaks(sp);
    return 0;
}

/* libhubjob's job file: --hub-metrics, else its default name. */
static const char *job_file(uint32_t job_id, char *buf, size_t size)
{
    if (values[HUBOPT_METRICS])
        return values[HUBOPT_METRICS];
    snprintf(buf, size, "hubjob-%u.h5", job_id);
    return buf;
}

/* At the end of the batch step (its one task has exited): the summary. */
int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
    uint32_t step = 0;
    char name[64];
    hub_error_t err;
    summary_job_t job = {.out_fd = STDERR_FILENO, .comment = site.comment};

    if (!used || !site.summary || !job_cwd[0] ||
        spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS ||
        step != SLURM_BATCH_SCRIPT)
        return 0;
    if (spank_get_item(sp, S_JOB_ID, &job.job_id) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_UID, &job.uid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_GID, &job.gid) != ESPANK_SUCCESS ||
        spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &job.gids, &job.ngids) !=
            ESPANK_SUCCESS)
        return 0;
    job.prog = site.summary_prog ? site.summary_prog : HUB_JOBSUMMARY;
    job.job_file = job_file(job.job_id, name, sizeof(name));
    job.cwd = job_cwd;
    if (summary_run(&job, &err) < 0)
        slurm_error("hub: summary of job %u: %s", job.job_id, err.text);
    return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
    for (int i = 0; i < HUBOPT_COUNT; i++) {
        free(values[i]);
        values[i] = NULL;
    }
    free(site.gpu_conf);
    free(site.gpu_type);
    free(site.summary_prog);
    site.gpu_conf = site.gpu_type = site.summary_prog = NULL;
    return 0;
}

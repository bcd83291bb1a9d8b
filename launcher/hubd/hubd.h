/* hubd.h - hubd internals shared by its files.
 *
 * hubd is the node agent: one libuv loop thread runs everything. It keeps
 * one connection to hubctld (ctl_link.c), runs batch scripts and keeps the
 * jobs of this node (job*.c), tracks and stops every process of a job
 * (proctrack.c), enforces time limits (limits.c, job_kill.c) and lets
 * hub-exec start processes of a job here (exec_svc.c).
 *
 *   hubd.c       main: options, config, helper paths, signals
 *   discover.c   CPUs, memory, GPUs (NVML through dlopen, else hub.conf)
 *   ctl_link.c   controller connection: connect/backoff, frames, requests
 *   ctl_msgs.c   node_register, heartbeats, job_exit queue, events
 *   job.c        job table, job_launch/job_end, batch exit -> job_exit
 *   job_run.c    the batch script: spool file, hub-jobstart, uv_spawn
 *   job_env.c    the job's environment (HUB_*, SLURM_*, CUDA_VISIBLE_...)
 *   job_paths.c  output/error/input file names from the patterns
 *   job_kill.c   job_signal, job_kill, time limit timers
 *   limits.c     when the --signal, SIGTERM and SIGKILL of a limit fall
 *   proctrack.c  per-job cgroup v2 / v1 / process group tracking
 *   procscan.c   /proc scan for escaped processes, reaping orphans
 *
 * Lifetimes: hubd_t lives for the whole run; a hubd_job_t from job_launch
 * until its end is reported (batch node) or job_end (other nodes).
 */
#ifndef HUB_HUBD_H
#define HUB_HUBD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "conf.h"
#include "error.h"
#include "exec_svc.h"
#include "hostlist.h"
#include "job.h"
#include "jobspec.h"

#define HUBD_VERSION PACKAGE_VERSION

typedef struct hubd hubd_t;
typedef struct hubd_job hubd_job_t;
typedef struct ctl ctl_t;
typedef struct proctrack proctrack_t;

/* ---- discovery (discover.c) ------------------------------------------- */

/* What this machine has, as detected. */
typedef struct disc_actual {
    int cpus;          /* CPUs this process may run on */
    uint64_t mem_mb;   /* MemTotal, MiB */
    int gpus;          /* NVML device count; -1 when NVML is absent */
    char gpu_name[96]; /* NVML name of device 0, "" when unknown */
} disc_actual_t;

/* What the agent reports in node_register. */
typedef struct disc_res {
    int cpus;
    uint64_t mem_mb;
    int gpus;
    const char *gpu_type;   /* hub.conf's Gres type; NULL when untyped */
    const char *gpu_source; /* "nvml", "conf" or "fake" */
} disc_res_t;

/* MemTotal of a /proc/meminfo text in MiB. Returns 0 or -EINVAL when the
 * line is missing or malformed. */
int disc_parse_meminfo(const char *text, uint64_t *mem_mb);

/* Detect CPUs (affinity mask), memory (/proc/meminfo) and, unless
 * skip_nvml, GPUs through NVML. Never fails: what cannot be read is
 * reported as 0 (GPUs: -1) with a warning logged. */
void disc_probe(bool skip_nvml, disc_actual_t *act);

/* Decide what to report. hub.conf is authoritative when the machine has
 * at least what it says; a machine with less reports what it has, so that
 * the controller drains the node. With conf_overrides (several agents
 * emulating nodes on one machine) the hub.conf values are reported as
 * they are. GPUs: NVML's count when NVML is present (source "nvml");
 * hub.conf's count otherwise ("conf"), or fake devices ("fake"). */
void disc_decide(const hub_conf_node_t *node, const disc_actual_t *act,
                 bool conf_overrides, bool fake_gpus, disc_res_t *res);

/* ---- limits (limits.c) -------------------------------------------------- */

/* When the stages of a time limit fall, ms since the epoch; 0 = never. */
typedef struct limits_plan {
    int64_t signal_at_ms; /* --signal: the job's signal */
    int signal;           /* its number; 0 = none */
    bool signal_batch_only;
    int64_t term_at_ms; /* SIGTERM to everything: the limit itself */
} limits_plan_t;

/* Plan the limit of a job started at start_ms (> 0) with
 * req->time_limit_s (0 or HUB_DURATION_INFINITE: no limit) and
 * req->signal_num/signal_secs: the signal falls signal_secs before the
 * limit, or at the start when the limit is shorter. */
void limits_plan(int64_t start_ms, const hub_job_req_t *req,
                 limits_plan_t *plan);

/* Delay from now_ms until at_ms for a timer: 0 when at_ms has passed. */
uint64_t limits_delay_ms(int64_t at_ms, int64_t now_ms);

/* kill_wait_s as a timer delay in ms (negative is 0). */
uint64_t limits_kill_wait_ms(int64_t kill_wait_s);

/* ---- environment and files (job_env.c, job_paths.c) ------------------ */

/* Everything the job's environment is made of. */
typedef struct jobenv_in {
    const hub_job_t *job;
    const hub_jobspec_t *spec; /* env: the captured environment */
    const char *node;          /* this node's name */
    uint32_t node_index;       /* in the allocation, 0 = batch node */
    const char *nodelist;      /* the allocation as a hostlist */
    uint32_t nnodes;
    uint32_t cpus_on_node;
    uint64_t mem_mb_on_node;
    const int *gpus; /* GPU indices allocated on this node */
    size_t ngpus;
    bool node_has_gpus;  /* hide every GPU when the job got none */
    const char *cluster; /* ClusterName; NULL when unset */
    const char *conf;    /* absolute path of hub.conf */
    const char *exec;    /* absolute path of hub-exec */
    const char *tmpdir;  /* the job's TMPDIR on this node; NULL: none */
    const json_t *extra; /* the controller's HUB_* variables, or NULL */
} jobenv_in_t;

/* The job's environment: the captured one, then HUB_* and Slurm's
 * variables replacing any captured value of the same name. Returns a
 * NULL-terminated malloc'd array of malloc'd "NAME=value" strings (free
 * with jobenv_free), or NULL with err (ENOMEM, or a bad extra variable). */
char **jobenv_build(const jobenv_in_t *in, hub_error_t *err);

/* NULL-safe. */
void jobenv_free(char **env);

/* The value of name in env, or NULL. */
const char *jobenv_get(char *const *env, const char *name);

/* Expand pattern (hub_jobspec_expand_pattern) and make it absolute
 * against workdir. Returns 0, or a negative errno with err. */
int jobpath_resolve(const char *pattern, const hub_pattern_vars_t *vars,
                    const char *workdir, char *buf, size_t len,
                    hub_error_t *err);

/* ---- process tracking (proctrack.c) ----------------------------------- */

/* How processes of jobs are tracked on this node, chosen at start. */
typedef struct proctrack_cfg {
    const char *node; /* cgroup dirs are .../hubsched/<node>/job_<id> */
    bool use_cgroups; /* false: process group + /proc scan only */
} proctrack_cfg_t;

/* Make hubd a child subreaper and reap orphans it inherits (on SIGCHLD,
 * leaving libuv's own children to libuv). */
int proctrack_init(uv_loop_t *loop, const proctrack_cfg_t *cfg,
                   hub_error_t *err);
void proctrack_fini(void);

/* Kill processes left by an earlier hubd of this node (stale cgroups,
 * processes whose environment names this node and a job). */
void proctrack_sweep_stale(void);

/* Tracking for job id: a cgroup v2 dir (cgroup.kill) when usable, a v1
 * memory cgroup with memory.limit_in_bytes when mem_limit_mb > 0 (or when
 * v2 is unusable), and always the process group of the batch shell and a
 * /proc scan for HUB_JOB_ID=<id> as the fallback. NULL on ENOMEM. */
proctrack_t *proctrack_create(uint32_t id, uint64_t mem_limit_mb);

/* The cgroup dirs a process of the job joins (NULL-terminated). */
const char *const *proctrack_cgroups(const proctrack_t *pt);

/* "cgroup2", "cgroup1" or "pgrp". */
const char *proctrack_mode(const proctrack_t *pt);

/* The batch shell's pid (it leads its own session and process group). */
void proctrack_set_leader(proctrack_t *pt, pid_t pid);

/* Send sig to every process of the job except pid except (0: none).
 * Returns how many were signalled. */
int proctrack_signal(proctrack_t *pt, int sig, pid_t except);

/* True when the memory cgroup saw the OOM killer. */
bool proctrack_oom(const proctrack_t *pt);

/* True when the job asked for memory and a memory cgroup enforces it. */
bool proctrack_mem_enforced(const proctrack_t *pt);

/* SIGKILL what is left, remove the cgroups (retrying while they drain)
 * and free. NULL-safe. */
void proctrack_release(proctrack_t *pt);

/* procscan.c: send sig to every process (hubd excepted, and except) in
 * process group pgid (> 0) or whose environment carries HUB_JOB_ID=id
 * (id 0: any job) and does not name another node in HUB_NODE (id 0: names
 * this node). Returns how many were signalled. */
int procscan_signal(uint32_t id, const char *node, pid_t pgid, int sig,
                    pid_t except);

/* procscan.c: reap children of hubd that no uv_process_t owns. */
void procscan_reap_orphans(uv_loop_t *loop);

/* ---- the agent ---------------------------------------------------------- */

struct hubd {
    uv_loop_t *loop;
    hub_conf_t *conf;
    const hub_conf_node_t *node;
    const char *name; /* node name */
    char *conf_path;  /* absolute */
    char *spool;      /* spool dir (scripts), 0755 root */
    char *jobstart;   /* hub-jobstart */
    char *hubexec;    /* hub-exec */
    char *ctl_unix;   /* controller Unix socket, or NULL for TCP */
    char *ctl_host;   /* controller host for TCP */
    int ctl_port;
    disc_res_t res;
    int64_t kill_wait_s; /* hub.conf's KillWait, then the controller's */
    int64_t heartbeat_s; /* from the controller's register answer */
    ctl_t *ctl;
    hubd_job_t *jobs;
    exec_svc_t *exec;
    bool stopping;
    uv_signal_t sig_term, sig_int;
};

/* ---- controller link (ctl_link.c, ctl_msgs.c) ------------------------- */

/* Start connecting (and reconnecting, with backoff) to the controller. */
int ctl_start(hubd_t *d, hub_error_t *err);

/* Close the connection for good. */
void ctl_stop(hubd_t *d);

/* Queue a job_exit request (msg's reference is taken): sent now when
 * connected, kept and resent after every reconnect until the controller
 * answers it. */
void ctl_send_exit(hubd_t *d, json_t *msg);

/* True when a job_exit for id/restart_count waits for its answer. */
bool ctl_exit_pending(const hubd_t *d, uint32_t id, uint32_t restart_count);

/* Send the queued job_exit requests that wait for no answer (after a
 * reconnect, or after the controller could not make one durable). */
void ctl_resend_exits(hubd_t *d);

/* True once the controller accepted node_register on this connection. */
bool ctl_registered(const hubd_t *d);

/* Append {id, restart_count} of every job whose exit is not answered yet
 * to arr (they count as running until the controller has their end). */
void ctl_pending_to_json(const hubd_t *d, json_t *arr);

/* ctl_msgs.c, called by ctl_link.c. */
json_t *ctl_register_msg(hubd_t *d, hub_error_t *err);
void ctl_on_registered(hubd_t *d, const json_t *answer);
void ctl_on_event(hubd_t *d, const json_t *msg);

/* ctl_link.c, for ctl_msgs.c: send a request; on_answer (may be NULL)
 * runs with the answer, or with NULL when the connection was lost first.
 * msg's reference is taken. Returns 0 or -ENOTCONN. */
typedef void (*ctl_answer_fn)(hubd_t *d, void *arg, const json_t *answer);
int ctl_request(hubd_t *d, json_t *msg, ctl_answer_fn on_answer, void *arg);

/* ---- jobs (job*.c) --------------------------------------------------------
 */

struct hubd_job {
    hubd_job_t *next;
    hubd_t *d;
    hub_job_t job;      /* as the controller sent it */
    hub_jobspec_t spec; /* batch node: the script, patterns, env */
    bool batch;         /* the batch script runs here */
    char **env;         /* the job's environment */
    exec_job_t exec;    /* the exec service's view of it */
    proctrack_t *pt;
    int64_t start_ms;
    int64_t kill_wait_s;
    char script[4096]; /* spool file of the script; "" = none */
    char tmpdir[4096]; /* the job's TMPDIR here (job_tmp.c); "" = none */
    /* The batch process and the pipe of hub-jobstart's errors. */
    uv_process_t proc;
    uv_pipe_t errpipe;
    char errbuf[512];
    size_t errlen;
    bool proc_running, pipe_open;
    int64_t exit_status;
    int term_signal;
    /* Kill sequence and time limit. */
    uv_timer_t limit_timer, kill_timer;
    limits_plan_t plan;
    char kill_reason[16]; /* "timeout", "cancelled", ...; "" = none */
    char message[640];    /* for job_exit: errbuf + context */
    bool ending;          /* exit reported or being reported */
    int open_handles;     /* freed when the last one is closed */
};

/* The job with this id on this node, or NULL. */
hubd_job_t *job_find(hubd_t *d, uint32_t id);

/* job_tmp.c: the job's temporary directory on this node,
 * <TmpFS>/hubjob.<id>.<node>. jobtmp_path writes it into buf
 * (-ENAMETOOLONG). jobtmp_create makes it (mode 0700, the job's user's;
 * an existing one is reused only if it is that user's directory) and
 * keeps its name in j->tmpdir; -errno with err. jobtmp_remove deletes it
 * and its contents, in the background as the job's user; no-op when
 * there is none. */
int jobtmp_path(const hubd_job_t *j, char *buf, size_t len);
int jobtmp_create(hubd_job_t *j, hub_error_t *err);
void jobtmp_remove(hubd_job_t *j);

/* The job an event ({id, restart_count}) is about, or NULL when this
 * node does not run it or runs another restart of it. */
hubd_job_t *job_event_target(hubd_t *d, const json_t *ev);

/* The exec service's lookup (exec_lookup_fn; arg is the hubd_t): jobs
 * that run on this node and are not ending. */
const exec_job_t *job_exec_lookup(void *arg, uint32_t id);

/* Events from the controller (ctl_msgs.c). */
void job_on_launch(hubd_t *d, const json_t *ev);
void job_on_signal(hubd_t *d, const json_t *ev);
void job_on_kill(hubd_t *d, const json_t *ev);
void job_on_end(hubd_t *d, const json_t *ev);

/* Append {id, restart_count} of every job of this node to arr. */
void job_running_to_json(const hubd_t *d, json_t *arr);

/* Stop every job (hubd is shutting down): SIGKILL, no reports. */
void job_kill_all(hubd_t *d);

/* job_run.c: start the batch script of j. Returns 0, or a negative errno
 * with err (j->message is then what job_exit says). */
int job_run_batch(hubd_job_t *j, hub_error_t *err);

/* job.c: the batch process ended and its error pipe is drained: report
 * and forget the job. */
void job_batch_done(hubd_job_t *j);

/* job.c: close callback of a job's handles: frees the job after its
 * last handle (h->data is the job). */
void job_handle_closed(uv_handle_t *h);

/* job.c: forget j (no report), closing its handles. */
void job_forget(hubd_job_t *j);

/* job_kill.c: arm the time limit timers of a batch job. */
void job_limits_start(hubd_job_t *j);

/* job_kill.c: SIGTERM everything now and SIGKILL after kill_wait_s;
 * reason ("timeout", "cancelled", ...) goes into job_exit. */
void job_terminate(hubd_job_t *j, const char *reason);

/* Milliseconds since the epoch (wall clock, as job.start_ms). */
int64_t hubd_now_ms(void);

#endif /* HUB_HUBD_H */

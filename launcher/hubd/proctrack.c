/* proctrack.c - every process a job starts, found and stopped.
 *
 * Per job, in order of preference:
 *  - cgroup v2: <root>/hubsched/<node>/job_<id>, root being
 *    /sys/fs/cgroup/unified (hybrid hosts) or /sys/fs/cgroup (pure v2).
 *    Membership is inherited and cannot be left without root, and
 *    cgroup.kill (Linux 5.14) kills the whole tree atomically, forks in
 *    flight included.
 *  - cgroup v1 memory: /sys/fs/cgroup/memory/hubsched/<node>/job_<id>,
 *    created when the job asked for memory (memory.limit_in_bytes; OOM
 *    kills counted in memory.oom_control) and as the tracker when v2 is
 *    unusable; its cgroup.procs lists the job's processes.
 *  - neither: the batch shell's process group plus the /proc scan of
 *    procscan.c, with hubd a child subreaper.
 * The node name in the path keeps several agents on one machine apart.
 */
#include "config.h"

#include "hubd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define V2_HYBRID_ROOT "/sys/fs/cgroup/unified"
#define V2_PURE_ROOT "/sys/fs/cgroup"
#define V1_MEM_ROOT "/sys/fs/cgroup/memory"
/* A killed job's cgroup empties within milliseconds; retry rmdir every
 * RMDIR_RETRY_MS for up to RMDIR_TRIES times before leaving it. */
#define RMDIR_RETRY_MS 100
#define RMDIR_TRIES 100

static struct {
    uv_loop_t *loop;
    char node[HUB_HOSTNAME_MAX + 1];
    char v2_base[PATH_MAX]; /* "" = cgroup v2 unusable */
    char v1_base[PATH_MAX]; /* "" = v1 memory controller unusable */
    uv_signal_t sigchld;
    bool sigchld_on;
} g;

struct proctrack {
    uint32_t id;
    pid_t leader;
    char v2[PATH_MAX], v1[PATH_MAX]; /* "" = not used */
    const char *cgroups[3];
    bool mem_requested, mem_enforced;
    uv_timer_t timer; /* rmdir retries after release */
    int tries;
};

static int write_file(const char *dir, const char *file, const char *text)
{
    char path[PATH_MAX + 64];
    size_t len = strlen(text);

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, len);
    int rc = n == (ssize_t)len ? 0 : -(n < 0 ? errno : EIO);
    close(fd);
    return rc;
}

/* root/hubsched/<node>, created; "" in base when that fails or when the
 * file probe (a control file we need) is not writable there. */
static void make_base(const char *root, const char *probe, char *base,
                      size_t len)
{
    char path[PATH_MAX + 64];

    snprintf(base, len, "%s/hubsched", root);
    if (mkdir(base, 0755) < 0 && errno != EEXIST)
        goto unusable;
    snprintf(base, len, "%s/hubsched/%s", root, g.node);
    if (mkdir(base, 0755) < 0 && errno != EEXIST)
        goto unusable;
    snprintf(path, sizeof(path), "%s/%s", base, probe);
    if (access(path, W_OK) == 0)
        return;
unusable:
    base[0] = '\0';
}

static void on_sigchld(uv_signal_t *h, int signum)
{
    procscan_reap_orphans(h->loop);
}

static void detect_cgroups(void)
{
    struct stat st;
    const char *v2_root = stat(V2_HYBRID_ROOT "/cgroup.procs", &st) == 0
                              ? V2_HYBRID_ROOT
                              : V2_PURE_ROOT;

    if (stat(V2_PURE_ROOT "/cgroup.controllers", &st) == 0 ||
        strcmp(v2_root, V2_HYBRID_ROOT) == 0)
        make_base(v2_root, "cgroup.kill", g.v2_base, sizeof(g.v2_base));
    make_base(V1_MEM_ROOT, "memory.limit_in_bytes", g.v1_base,
              sizeof(g.v1_base));
}

int proctrack_init(uv_loop_t *loop, const proctrack_cfg_t *cfg,
                   hub_error_t *err)
{
    g.loop = loop;
    snprintf(g.node, sizeof(g.node), "%s", cfg->node);
    if (cfg->use_cgroups)
        detect_cgroups();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        hub_log_warn("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    uv_signal_init(loop, &g.sigchld);
    uv_signal_start(&g.sigchld, on_sigchld, SIGCHLD);
    uv_unref((uv_handle_t *)&g.sigchld);
    g.sigchld_on = true;
    hub_log_info("process tracking: cgroup v2 %s, v1 memory %s, process "
                 "groups and /proc scan otherwise",
                 g.v2_base[0] ? g.v2_base : "unusable",
                 g.v1_base[0] ? g.v1_base : "unusable");
    return 0;
}

void proctrack_fini(void)
{
    if (g.sigchld_on)
        uv_close((uv_handle_t *)&g.sigchld, NULL);
    g.sigchld_on = false;
}

/* Send sig to each pid of dir/cgroup.procs but except; returns how many
 * were signalled. */
static int each_pid(const char *dir, int sig, pid_t except)
{
    char path[PATH_MAX + 32];
    int pid, n = 0;

    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    while (fscanf(f, "%d", &pid) == 1)
        if ((pid_t)pid != except && kill((pid_t)pid, sig) == 0)
            n++;
    fclose(f);
    return n;
}

static bool make_job_dir(const char *base, uint32_t id, char *dir, size_t len)
{
    if (!base[0])
        return false;
    snprintf(dir, len, "%s/job_%" PRIu32, base, id);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        hub_log_warn("job %u: cannot create cgroup %s: %s", id, dir,
                     strerror(errno));
        dir[0] = '\0';
        return false;
    }
    return true;
}

static void set_mem_limit(proctrack_t *pt, uint64_t mem_limit_mb)
{
    char bytes[32];
    int rc = -ENOENT;

    snprintf(bytes, sizeof(bytes), "%" PRIu64, mem_limit_mb << 20);
    if (pt->v1[0])
        rc = write_file(pt->v1, "memory.limit_in_bytes", bytes);
    pt->mem_enforced = rc == 0;
    if (rc < 0)
        hub_log_warn("job %u: memory limit of %" PRIu64 " MB not enforced:"
                     " no writable memory cgroup (%s)",
                     pt->id, mem_limit_mb, strerror(-rc));
}

proctrack_t *proctrack_create(uint32_t id, uint64_t mem_limit_mb)
{
    proctrack_t *pt = calloc(1, sizeof(*pt));
    int n = 0;

    if (!pt)
        return NULL;
    pt->id = id;
    pt->mem_requested = mem_limit_mb > 0;
    if (make_job_dir(g.v2_base, id, pt->v2, sizeof(pt->v2))) {
        write_file(pt->v2, "cgroup.kill", "1"); /* a requeued job's rest */
        pt->cgroups[n++] = pt->v2;
    }
    if ((mem_limit_mb > 0 || !pt->v2[0]) &&
        make_job_dir(g.v1_base, id, pt->v1, sizeof(pt->v1)))
        pt->cgroups[n++] = pt->v1;
    if (mem_limit_mb > 0)
        set_mem_limit(pt, mem_limit_mb);
    return pt;
}

const char *const *proctrack_cgroups(const proctrack_t *pt)
{
    return pt->cgroups;
}

const char *proctrack_mode(const proctrack_t *pt)
{
    return pt->v2[0] ? "cgroup2" : pt->v1[0] ? "cgroup1" : "pgrp";
}

void proctrack_set_leader(proctrack_t *pt, pid_t pid)
{
    pt->leader = pid;
}

int proctrack_signal(proctrack_t *pt, int sig, pid_t except)
{
    if (pt->v2[0] && sig == SIGKILL && !except) {
        int n = each_pid(pt->v2, 0, 0); /* signal 0: count them */
        if (n > 0)
            write_file(pt->v2, "cgroup.kill", "1");
        return n;
    }
    if (pt->v2[0])
        return each_pid(pt->v2, sig, except);
    if (pt->v1[0])
        return each_pid(pt->v1, sig, except);
    return procscan_signal(pt->id, g.node, pt->leader, sig, except);
}

bool proctrack_oom(const proctrack_t *pt)
{
    char path[PATH_MAX + 32], key[32];
    long long value;
    bool oom = false;

    if (!pt->v1[0])
        return false;
    snprintf(path, sizeof(path), "%s/memory.oom_control", pt->v1);
    FILE *f = fopen(path, "re");
    while (f && fscanf(f, "%31s %lld", key, &value) == 2)
        if (strcmp(key, "oom_kill") == 0 && value > 0)
            oom = true;
    if (f)
        fclose(f);
    return oom;
}

bool proctrack_mem_enforced(const proctrack_t *pt)
{
    return !pt->mem_requested || pt->mem_enforced;
}

/* Remove what is left of the cgroups; true when nothing is. */
static bool remove_dirs(proctrack_t *pt)
{
    if (pt->v2[0] && (rmdir(pt->v2) == 0 || errno == ENOENT))
        pt->v2[0] = '\0';
    if (pt->v1[0] && (rmdir(pt->v1) == 0 || errno == ENOENT))
        pt->v1[0] = '\0';
    return !pt->v2[0] && !pt->v1[0];
}

static void free_on_close(uv_handle_t *h)
{
    free(h->data);
}

static void on_rmdir_retry(uv_timer_t *t)
{
    proctrack_t *pt = t->data;

    proctrack_signal(pt, SIGKILL, 0);
    if (!remove_dirs(pt) && ++pt->tries < RMDIR_TRIES)
        return;
    if (pt->tries >= RMDIR_TRIES)
        hub_log_warn("job %u: cgroup %s%s not removed: still busy", pt->id,
                     pt->v2, pt->v1);
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, free_on_close);
}

void proctrack_release(proctrack_t *pt)
{
    if (!pt)
        return;
    proctrack_signal(pt, SIGKILL, 0);
    if (!pt->v2[0] && !pt->v1[0]) {
        /* Escaped processes could still be starting: one more pass. */
        procscan_signal(pt->id, g.node, pt->leader, SIGKILL, 0);
        free(pt);
        return;
    }
    if (remove_dirs(pt)) {
        free(pt);
        return;
    }
    uv_timer_init(g.loop, &pt->timer);
    pt->timer.data = pt;
    uv_timer_start(&pt->timer, on_rmdir_retry, RMDIR_RETRY_MS, RMDIR_RETRY_MS);
}

/* Kill and remove the job_* cgroups under base (an earlier hubd's). */
static void sweep_base(const char *base)
{
    char dir[PATH_MAX + 300];
    struct dirent *de;
    DIR *d = base[0] ? opendir(base) : NULL;

    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "job_", 4) != 0)
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
        write_file(dir, "cgroup.kill", "1");
        for (int i = 0; i < RMDIR_TRIES && rmdir(dir) < 0 && errno == EBUSY;
             i++) {
            each_pid(dir, SIGKILL, 0);
            usleep(10 * 1000);
        }
        hub_log_notice("removed stale cgroup %s", dir);
    }
    if (d)
        closedir(d);
}

void proctrack_sweep_stale(void)
{
    int n;

    sweep_base(g.v2_base);
    sweep_base(g.v1_base);
    n = procscan_signal(0, g.node, 0, SIGKILL, 0);
    if (n > 0)
        hub_log_notice("killed %d stale processes of earlier jobs of %s", n,
                       g.node);
}

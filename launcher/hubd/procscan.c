/* procscan.c - finding a job's processes without cgroups, and reaping the
 * orphans hubd adopts as a child subreaper.
 *
 * Without cgroups a job's processes are its batch shell's process group
 * plus anything carrying HUB_JOB_ID=<id> in /proc/PID/environ: a daemon
 * that double-forked and called setsid() left the group but keeps the
 * environment it was started with (a process that scrubs its environment
 * escapes; cgroups are the cure). A process whose HUB_NODE names another
 * node belongs to another agent on the same machine and is left alone.
 *
 * Orphans of a job are re-parented to hubd (PR_SET_CHILD_SUBREAPER), so
 * hubd must reap them; libuv reaps the children it spawned itself with
 * waitpid(pid) and would lose their exit status if we took it, so only
 * children that no uv_process_t handle owns are reaped here.
 */
#include "config.h"

#include "hubd.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Largest environ read per process: the job's variables come first in
 * practice (hub-jobstart passes the job's environment unchanged) but a
 * big captured environment can push them back, so read generously. */
#define ENVIRON_MAX (256u << 10)

/* Process group of pid from /proc/PID/stat, or -1. */
static pid_t read_pgid(pid_t pid)
{
    char path[64], buf[512];
    int pgid = -1;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'. */
    char *p = strrchr(buf, ')');
    if (!p || sscanf(p + 1, " %*c %*d %d", &pgid) != 1)
        return -1;
    return pgid;
}

/* True when the NUL-separated block env holds entry "NAME=value" exactly;
 * *has_name tells whether NAME= appeared at all. */
static bool env_has(const char *env, size_t len, const char *entry,
                    bool *has_name)
{
    size_t nlen = strcspn(entry, "=") + 1;

    *has_name = false;
    for (size_t off = 0; off < len; off += strlen(env + off) + 1) {
        if (strncmp(env + off, entry, nlen) != 0)
            continue;
        *has_name = true;
        return strcmp(env + off, entry) == 0;
    }
    return false;
}

/* Does pid's environment mark it as a process of job id (id 0: of any
 * job) on this node? */
static bool environ_matches(pid_t pid, uint32_t id, const char *node)
{
    char path[64], want[64], want_node[HUB_HOSTNAME_MAX + 16];
    static char buf[ENVIRON_MAX];
    bool has_name, node_named, ok;
    size_t len = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    while (len < sizeof(buf) - 1 &&
           (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    snprintf(want, sizeof(want), "HUB_JOB_ID=%u", id);
    ok = env_has(buf, len, want, &has_name);
    if (id == 0)
        ok = has_name;
    snprintf(want_node, sizeof(want_node), "HUB_NODE=%s", node);
    if (ok && !env_has(buf, len, want_node, &node_named) && node_named)
        return false;
    return ok && (id != 0 || node_named);
}

int procscan_signal(uint32_t id, const char *node, pid_t pgid, int sig,
                    pid_t except)
{
    DIR *dir = opendir("/proc");
    struct dirent *de;
    pid_t self = getpid();
    int count = 0;

    if (!dir)
        return 0;
    while ((de = readdir(dir))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(de->d_name);
        if (pid == self || pid == except || pid <= 1)
            continue;
        if ((pgid > 0 && read_pgid(pid) == pgid) ||
            environ_matches(pid, id, node))
            count += kill(pid, sig) == 0;
    }
    closedir(dir);
    return count;
}

typedef struct pidset {
    pid_t *v;
    size_t n, cap;
} pidset_t;

static void note_process(uv_handle_t *h, void *arg)
{
    pidset_t *owned = arg;

    if (h->type != UV_PROCESS || owned->n == SIZE_MAX)
        return;
    if (owned->n == owned->cap) {
        size_t cap = owned->cap ? owned->cap * 2 : 64;
        pid_t *v = realloc(owned->v, cap * sizeof(*v));
        if (!v) {
            owned->n = SIZE_MAX; /* unknown: reap nothing this time */
            return;
        }
        owned->v = v;
        owned->cap = cap;
    }
    owned->v[owned->n++] = ((uv_process_t *)h)->pid;
}

static bool owned_by_uv(const pidset_t *owned, pid_t pid)
{
    for (size_t i = 0; i < owned->n; i++)
        if (owned->v[i] == pid)
            return true;
    return false;
}

/* Reap the children listed in one /proc/self/task/TID/children file. */
static void reap_listed(const char *path, const pidset_t *owned)
{
    FILE *f = fopen(path, "re");
    int pid, status;

    if (!f)
        return;
    while (fscanf(f, "%d", &pid) == 1)
        if (!owned_by_uv(owned, (pid_t)pid))
            waitpid((pid_t)pid, &status, WNOHANG);
    fclose(f);
}

void procscan_reap_orphans(uv_loop_t *loop)
{
    pidset_t owned = {0};
    char path[300];
    struct dirent *de;
    DIR *dir = opendir("/proc/self/task");

    uv_walk(loop, note_process, &owned);
    while (owned.n != SIZE_MAX && dir && (de = readdir(dir))) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/children", de->d_name);
        reap_listed(path, &owned);
    }
    if (dir)
        closedir(dir);
    free(owned.v);
}

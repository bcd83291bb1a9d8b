/* wrap.c - the two helpers mpirun runs on hrun's behalf, as modes of the
 * hrun binary (so that they are installed wherever hrun is):
 *
 *   hrun --agent HOST COMMAND...      Open MPI's plm_rsh_agent: runs the
 *       real agent ($HRUN_AGENT: hub-exec under hubsched, else ssh) and,
 *       when it fails as an agent (status 255, as ssh and hub-exec do
 *       when the connection to the node is lost, or a signal nobody
 *       forwarded), appends "HOST STATUS" to $HRUN_AGENT_LOG: that is how
 *       hrun learns which node was lost (mpirun's own message does not
 *       name it when the agent dies).
 *   hrun --rank-exec -- PROGRAM...    sets CUDA_VISIBLE_DEVICES to the
 *       rank's $HUB_GPUS_PER_TASK GPUs of the node's list (the node's
 *       CUDA_VISIBLE_DEVICES, else $HUB_GPUS, else 0..N-1), chosen by its
 *       local rank, and execs PROGRAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hrun.h"

#define AGENT_FAILED 255 /* ssh's status for its own failures */
#define MAX_AGENT_WORDS 32

static volatile sig_atomic_t child_pid, forwarded;

static void forward(int signum)
{
    forwarded = signum;
    if (child_pid > 0)
        kill(child_pid, signum);
}

/* The real agent's words (split at blanks; Open MPI's "ssh : rsh"
 * alternatives: the first) followed by args, into words. */
static int agent_argv(char *agent, char **args, char **words, int max)
{
    char *save = NULL, *w;
    int n = 0;

    agent[strcspn(agent, ":")] = '\0';
    for (w = strtok_r(agent, " \t", &save); w && n < max - 1;
         w = strtok_r(NULL, " \t", &save))
        words[n++] = w;
    for (; *args && n < max - 1; args++)
        words[n++] = *args;
    words[n] = NULL;
    return n;
}

static void log_failure(const char *host, int status)
{
    const char *path = getenv("HRUN_AGENT_LOG");
    char line[HUB_HOSTNAME_MAX + 32];
    int fd, n;

    if (!path ||
        (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
        return;
    n = snprintf(line, sizeof(line), "%s %d\n", host, status);
    if (write(fd, line, (size_t)n) != n)
        n = -1;
    close(fd);
}

int wrap_agent_main(int argc, char **argv)
{
    const char *env = getenv("HRUN_AGENT");
    char agent[1024], *words[MAX_AGENT_WORDS + 256];
    struct sigaction sa = {.sa_handler = forward};
    int status = 0;
    pid_t pid;

    if (argc < 3) {
        fprintf(stderr, "usage: hrun --agent HOST COMMAND...\n");
        return AGENT_FAILED;
    }
    snprintf(agent, sizeof(agent), "%s", env && *env ? env : "ssh");
    if (agent_argv(agent, argv + 1, words, MAX_AGENT_WORDS + 256) < 2)
        return AGENT_FAILED;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if ((pid = fork()) < 0)
        return AGENT_FAILED;
    if (pid == 0) {
        execvp(words[0], words);
        fprintf(stderr, "hrun --agent: %s: %s\n", words[0], strerror(errno));
        _exit(AGENT_FAILED);
    }
    child_pid = pid;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == AGENT_FAILED)
        log_failure(argv[1], AGENT_FAILED);
    else if (WIFSIGNALED(status) && WTERMSIG(status) != forwarded)
        log_failure(argv[1], 128 + WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The first of names set and not empty, or NULL. */
static const char *first_env(const char *const *names)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v)
            return v;
    }
    return NULL;
}

/* The node's GPU list into buf. */
static const char *node_gpus(int per_task, char *buf, size_t len)
{
    static const char *const sizes[] = {"OMPI_COMM_WORLD_LOCAL_SIZE",
                                        "HUB_LOCAL_SIZE", NULL};
    const char *cvd = getenv("CUDA_VISIBLE_DEVICES"), *hub = getenv("HUB_GPUS"),
               *ls = first_env(sizes);
    int n = (ls ? atoi(ls) : 1) * per_task;
    size_t used = 0;

    if (cvd && *cvd && strcmp(cvd, "NoDevFiles") != 0)
        return cvd;
    if (hub && *hub)
        return hub;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used +=
            (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "", i);
    return buf;
}

int wrap_rank_exec_main(int argc, char **argv)
{
    static const char *const lranks[] = {
        "OMPI_COMM_WORLD_LOCAL_RANK", "HUB_LOCAL_RANK", "SLURM_LOCALID", NULL};
    const char *g = getenv("HUB_GPUS_PER_TASK"), *lr = first_env(lranks);
    char list[4096], mine[4096];
    hub_error_t err;
    int per_task = g ? atoi(g) : 0, i = 1;

    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        fprintf(stderr, "usage: hrun --rank-exec -- PROGRAM [ARGS...]\n");
        return 2;
    }
    if (per_task > 0) {
        if (layout_rank_gpus(node_gpus(per_task, list, sizeof(list)),
                             lr ? atoi(lr) : 0, per_task, mine, sizeof(mine),
                             &err) < 0) {
            fprintf(stderr, "hrun --rank-exec: %s\n", err.text);
            return 2;
        }
        setenv("CUDA_VISIBLE_DEVICES", mine, 1);
    }
    execvp(argv[i], argv + i);
    fprintf(stderr, "hrun --rank-exec: %s: %s\n", argv[i], strerror(errno));
    return 127;
}

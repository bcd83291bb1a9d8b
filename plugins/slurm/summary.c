/* summary.c - fork, become the job's user, exec hub-jobsummary; wait
 * with a time limit. Called from slurmstepd, which runs threads: the
 * child calls only async-signal-safe functions before execve. */
#include "summary.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* In the child: drop to the user, go to the job's directory, send
 * stdout and stderr to out_fd, exec. Never returns. */
static void child(const summary_job_t *job, char *const argv[],
                  char *const envp[])
{
    if (setgroups((size_t)job->ngids, job->gids) != 0 ||
        setgid(job->gid) != 0 || setuid(job->uid) != 0)
        _exit(126);
    if (chdir(job->cwd) != 0)
        _exit(126);
    if (dup2(job->out_fd, STDOUT_FILENO) < 0 ||
        dup2(job->out_fd, STDERR_FILENO) < 0)
        _exit(126);
    execve(job->prog, argv, envp);
    _exit(127);
}

/* Wait for pid at most timeout_ms (polling every 10 ms); kill it after. */
static int wait_for(pid_t pid, int timeout_ms, int *status)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};

    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
        nanosleep(&tick, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return -ETIMEDOUT;
}

int summary_run(const summary_job_t *job, hub_error_t *err)
{
    char comment[32], conf[4200];
    const char *slurm_conf = getenv("SLURM_CONF");
    char *argv[] = {(char *)job->prog, comment, (char *)job->job_file, NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", conf, NULL};
    int status = 0, rc;
    pid_t pid;

    snprintf(comment, sizeof(comment), "--comment=%u", job->job_id);
    if (!job->comment) /* no comment: the file moves up in argv */
        argv[1] = (char *)job->job_file, argv[2] = NULL;
    snprintf(conf, sizeof(conf), "SLURM_CONF=%s", slurm_conf ? slurm_conf : "");
    if (!slurm_conf)
        envp[1] = NULL;
    if ((pid = fork()) < 0)
        return hub_errorf(err, errno, "fork: %s", strerror(errno));
    if (pid == 0)
        child(job, argv, envp);
    if ((rc = wait_for(pid, SUMMARY_TIMEOUT_MS, &status)) < 0)
        return hub_errorf(err, -rc, "%s: %s", job->prog,
                          rc == -ETIMEDOUT ? "killed after 10 s" : "wait");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) >= 126)
        return hub_errorf(err, ENOEXEC, "%s: cannot run it as uid %u in %s",
                          job->prog, (unsigned)job->uid, job->cwd);
    return hub_errorf(err, EIO, "%s exited with status %d", job->prog,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

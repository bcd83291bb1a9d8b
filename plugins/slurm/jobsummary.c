/* jobsummary.c - hub-jobsummary: print the one-line summary of a job
 * file written by libhubjob ("hubsched: MFU 41.2% goodput 98.1% restarts
 * 1") and, with --comment=JOBID, set it as the Slurm job's comment.
 *
 * spank_hub runs it as the job's user at the end of a batch job (see
 * summary.h). Usage: hub-jobsummary [--comment=JOBID] FILE. A missing
 * FILE prints nothing and exits 0 (the job did not use libhubjob).
 * Reads /summary's goodput and mean_mfu and the root attribute last_run
 * (doc/hubjob.md). Non-goals: anything the progress record or h5dump
 * already show.
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read a scalar attribute of object obj (relative to file) as type. */
static int read_attr(hid_t file, const char *obj, const char *name, hid_t type,
                     void *out)
{
    hid_t a;
    herr_t rc;

    if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) <= 0)
        return -1;
    if ((a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT)) < 0)
        return -1;
    rc = H5Aread(a, type, out);
    H5Aclose(a);
    return rc < 0 ? -1 : 0;
}

/* Format the line for the file at path into line; -1 if unreadable. */
static int summarise(const char *path, char *line, size_t size)
{
    double goodput = 0, mfu = 0;
    long long restarts = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int has;

    if (f < 0)
        return -1;
    read_attr(f, ".", "last_run", H5T_NATIVE_LLONG, &restarts);
    has =
        H5Lexists(f, "summary", H5P_DEFAULT) > 0 &&
        read_attr(f, "summary", "goodput", H5T_NATIVE_DOUBLE, &goodput) == 0 &&
        read_attr(f, "summary", "mean_mfu", H5T_NATIVE_DOUBLE, &mfu) == 0;
    H5Fclose(f);
    if (has)
        snprintf(line, size,
                 "hubsched: MFU %.1f%% goodput %.1f%% restarts %lld", 100 * mfu,
                 100 * goodput, restarts);
    else
        snprintf(line, size,
                 "hubsched: no summary (the program did not finish), "
                 "restarts %lld",
                 restarts);
    return 0;
}

/* scontrol update JobId=job Comment=line; its status. */
static int set_comment(const char *job, const char *line)
{
    char id[64], comment[300];
    int status;
    pid_t pid;

    snprintf(id, sizeof(id), "JobId=%s", job);
    snprintf(comment, sizeof(comment), "Comment=%s", line);
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        execlp("scontrol", "scontrol", "update", id, comment, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *job = NULL, *path;
    char line[256];

    if (argc > 1 && strncmp(argv[1], "--comment=", 10) == 0)
        job = argv[1] + 10, argv++, argc--;
    if (argc != 2) {
        fprintf(stderr, "usage: hub-jobsummary [--comment=JOBID] FILE\n");
        return 2;
    }
    path = argv[1];
    if (access(path, F_OK) != 0)
        return 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (summarise(path, line, sizeof(line)) < 0) {
        printf("hubsched: no summary (%s is not a readable job file)\n", path);
        return 1;
    }
    printf("%s\n", line);
    fflush(stdout);
    if (job && set_comment(job, line) < 0) {
        fprintf(stderr, "hub-jobsummary: could not set job %s's comment\n",
                job);
        return 1;
    }
    return 0;
}

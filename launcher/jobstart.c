/* jobstart.c - hub-jobstart: the last step between hubd (root) and a job's
 * program. It joins the job's cgroups, optionally starts a new session,
 * becomes the job's user, changes directory, opens the job's files as that
 * user and execs the program with the environment it was given.
 *
 *   hub-jobstart [--uid=UID --gid=GID --user=NAME] [--cgroup=DIR]...
 *                [--chdir=DIR] [--stdin=FILE] [--stdout=FILE]
 *                [--stderr=FILE] [--append] [--setsid] -- PROGRAM [ARGS...]
 *
 * Order (each step needs the privileges the previous ones leave): write
 * getpid() to DIR/cgroup.procs of each --cgroup while still root; setsid
 * if asked; when --uid differs from the current uid: initgroups(NAME, GID),
 * setgid(GID), setuid(UID), then check that neither the real nor the
 * effective ids can be root again; chdir; open the files as the user
 * (O_CREAT, O_TRUNC unless --append, mode 0666 & ~022) and dup2 them onto
 * 0, 1, 2 (a --stderr equal to --stdout shares its descriptor, so that
 * both streams interleave in one file as in Slurm); execvp.
 *
 * Any failure before exec prints "hub-jobstart: <what>: <strerror>" to
 * stderr (which hubd reads through a pipe) and exits 126, or 127 when
 * PROGRAM is not found, as a shell does. Used by hubd for batch scripts
 * and by its exec service for processes started through hub-exec, so the
 * command line above is a contract.
 *
 * Non-goals: resource limits (cgroups do that), PAM sessions, namespaces.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
#define CGROUPS_MAX 8

typedef struct opts {
    long uid, gid; /* -1 = keep */
    const char *user;
    const char *cgroups[CGROUPS_MAX];
    int ncgroups;
    const char *chdir_to, *in, *out, *errf;
    bool append, setsid;
    char **argv; /* PROGRAM and ARGS */
} opts_t;

static void fail(int code, const char *what, const char *arg, int errnum)
{
    if (arg)
        fprintf(stderr, "hub-jobstart: %s %s: %s\n", what, arg,
                strerror(errnum));
    else
        fprintf(stderr, "hub-jobstart: %s: %s\n", what, strerror(errnum));
    exit(code);
}

static long parse_id(const char *s, const char *opt)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > (long)UINT_MAX - 1)
        fail(EXIT_CANNOT_RUN, opt, s, EINVAL);
    return v;
}

static void parse_one(opts_t *o, int ch)
{
    switch (ch) {
    case 'u':
        o->uid = parse_id(optarg, "--uid");
        break;
    case 'g':
        o->gid = parse_id(optarg, "--gid");
        break;
    case 'U':
        o->user = optarg;
        break;
    case 'c':
        if (o->ncgroups == CGROUPS_MAX)
            fail(EXIT_CANNOT_RUN, "--cgroup", optarg, E2BIG);
        o->cgroups[o->ncgroups++] = optarg;
        break;
    case 'C':
        o->chdir_to = optarg;
        break;
    case 'i':
        o->in = optarg;
        break;
    case 'o':
        o->out = optarg;
        break;
    case 'e':
        o->errf = optarg;
        break;
    case 'a':
        o->append = true;
        break;
    case 's':
        o->setsid = true;
        break;
    default:
        fail(EXIT_CANNOT_RUN, "usage", "(see jobstart.c)", EINVAL);
    }
}

static void parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option longopts[] = {
        {"uid", required_argument, NULL, 'u'},
        {"gid", required_argument, NULL, 'g'},
        {"user", required_argument, NULL, 'U'},
        {"cgroup", required_argument, NULL, 'c'},
        {"chdir", required_argument, NULL, 'C'},
        {"stdin", required_argument, NULL, 'i'},
        {"stdout", required_argument, NULL, 'o'},
        {"stderr", required_argument, NULL, 'e'},
        {"append", no_argument, NULL, 'a'},
        {"setsid", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
        parse_one(o, ch);
    if (optind >= argc)
        fail(EXIT_CANNOT_RUN, "no program after --", NULL, EINVAL);
    if (o->uid >= 0 && (o->gid < 0 || !o->user))
        fail(EXIT_CANNOT_RUN, "--uid needs --gid and --user", NULL, EINVAL);
    o->argv = argv + optind;
}

static void join_cgroups(const opts_t *o)
{
    char path[PATH_MAX], pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

    for (int i = 0; i < o->ncgroups; i++) {
        snprintf(path, sizeof(path), "%s/cgroup.procs", o->cgroups[i]);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pid, (size_t)n) != n)
            fail(EXIT_CANNOT_RUN, "cannot join cgroup", o->cgroups[i], errno);
        close(fd);
    }
}

/* Drop to uid/gid for good: a half-done change (groups set, uid still 0)
 * never reaches exec. */
static void become_user(const opts_t *o)
{
    if (o->uid < 0 || (uid_t)o->uid == getuid())
        return;
    if (o->uid == 0)
        fail(EXIT_CANNOT_RUN, "refusing to switch to uid 0 from uid", o->user,
             EPERM);
    if (initgroups(o->user, (gid_t)o->gid) < 0)
        fail(EXIT_CANNOT_RUN, "initgroups", o->user, errno);
    if (setgid((gid_t)o->gid) < 0)
        fail(EXIT_CANNOT_RUN, "setgid", o->user, errno);
    if (setuid((uid_t)o->uid) < 0)
        fail(EXIT_CANNOT_RUN, "setuid", o->user, errno);
    if (getuid() != (uid_t)o->uid || geteuid() != (uid_t)o->uid ||
        getgid() != (gid_t)o->gid || getegid() != (gid_t)o->gid ||
        setuid(0) == 0)
        fail(EXIT_CANNOT_RUN, "could not drop privileges to", o->user, EPERM);
}

static void open_onto(const char *path, int target, int flags)
{
    int fd = open(path, flags | O_CLOEXEC, 0666);

    if (fd < 0)
        fail(EXIT_CANNOT_RUN, "cannot open", path, errno);
    if (dup2(fd, target) < 0)
        fail(EXIT_CANNOT_RUN, "dup2", path, errno);
    close(fd);
}

static void open_files(const opts_t *o)
{
    int wflags = O_WRONLY | O_CREAT | (o->append ? O_APPEND : O_TRUNC);

    umask(022);
    if (o->in)
        open_onto(o->in, STDIN_FILENO, O_RDONLY);
    if (o->out)
        open_onto(o->out, STDOUT_FILENO, wflags);
    if (o->errf && o->out && strcmp(o->errf, o->out) == 0) {
        if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
            fail(EXIT_CANNOT_RUN, "dup2", o->errf, errno);
    } else if (o->errf) {
        open_onto(o->errf, STDERR_FILENO, wflags);
    }
}

int main(int argc, char **argv)
{
    opts_t o = {.uid = -1, .gid = -1};

    parse_opts(argc, argv, &o);
    join_cgroups(&o);
    if (o.setsid && setsid() < 0)
        fail(EXIT_CANNOT_RUN, "setsid", NULL, errno);
    become_user(&o);
    if (o.chdir_to && chdir(o.chdir_to) < 0)
        fail(EXIT_CANNOT_RUN, "cannot change directory to", o.chdir_to, errno);
    /* stderr goes to the job's file from here on: say what fails on the
     * pipe to hubd while it is still there. */
    int saved_err = dup(STDERR_FILENO);
    if (saved_err >= 0)
        fcntl(saved_err, F_SETFD, FD_CLOEXEC);
    open_files(&o);
    execvp(o.argv[0], o.argv);
    int e = errno;
    if (saved_err >= 0)
        dup2(saved_err, STDERR_FILENO);
    fail(e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN, "cannot execute",
         o.argv[0], e);
    return EXIT_CANNOT_RUN;
}

/* bench_recovery.c - two questions about hrun (issue 6):
 *
 * 1. How long from SIGKILL of one rank to the next completed step, with 4
 *    ranks and a 100 MiB checkpoint? (target: median <= 5 s, max <= 15 s
 *    on the 2-core CI machine). One hrun runs bench_recovery_prog; a rank
 *    other than 0 is killed REPEATS times, each once the run before it
 *    has made steps; the phases come from hrun's --timeline (detection,
 *    teardown, relaunch: timed by hrun; MPI up, checkpoint loaded, first
 *    step: from the job file's /events and /metrics).
 * 2. What does hrun add to a launch? hrun -n N against mpirun -np N of
 *    the same program (bench_recovery_prog --hello), N = 2, 4, 8,
 *    alternating, in the same run (target: ratio of medians <= 1.1).
 *
 * Correctness before timing: every recovery resumed from a checkpoint,
 * the job ended with exit 0 and as many restarts as kills; every launch
 * printed all its ranks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#define BENCH "recovery"
#define RANKS 4
#define MAX_KILLS 64

static char hrun[4096], hrun_bin[4300], prog[4096], dir[4096];

static double epoch(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Run argv with stdout to path (NULL: /dev/null); its exit status. */
static int run_cmd(char **argv, const char *out)
{
    pid_t pid = fork();
    int st;

    if (pid == 0) {
        if (!freopen(out ? out : "/dev/null", "w", stdout) ||
            !freopen("/dev/null", "w", stderr))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* "key=" integer of the progress record (-2 when absent). */
static long long record_value(const char *key)
{
    char path[4200], line[256];
    long long v = -2;
    size_t n = strlen(key);
    FILE *f;

    snprintf(path, sizeof(path), "%s/job.h5.progress", dir);
    if (!(f = fopen(path, "r")))
        return v;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, n) == 0 && line[n] == '=')
            v = atoll(line + n + 1);
    fclose(f);
    return v;
}

/* A rank other than 0 of hrun's mpirun (children of its child). */
static pid_t victim(pid_t hrun_pid)
{
    char cmd[256], line[64];
    pid_t pids[16];
    int n = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "for m in $(pgrep -P %d -x mpirun); do pgrep -P $m; done",
             (int)hrun_pid);
    if (!(p = popen(cmd, "r")))
        return -1;
    while (n < 16 && fgets(line, sizeof(line), p))
        pids[n++] = (pid_t)atoi(line);
    pclose(p);
    return n == RANKS ? pids[1 + rand() % (RANKS - 1)] : -1;
}

/* Wait until a run whose rank 0 is not old_pid has a checkpoint and
 * `steps` steps after it; rank 0's pid, or -1 after 120 s. (The pid, not
 * the restart number: the record of the run just killed stays until hrun
 * relaunches, and a run may fail by itself in between.) */
static long long wait_steps(long long old_pid, long long steps)
{
    for (int i = 0; i < 12000; i++, nap_ms(10)) {
        long long pid = record_value("pid"), ck = record_value("ckpt_step");
        if (pid > 0 && pid != old_pid && ck >= 0 &&
            record_value("step") >= ck + steps && record_value("pid") == pid)
            return pid;
    }
    return -1;
}

static pid_t start_hrun(int kills, double mb, const char *stop)
{
    char tl[4200], mbs[32], maxr[48];
    pid_t pid;

    snprintf(tl, sizeof(tl), "--timeline=%s/timeline.json", dir);
    snprintf(mbs, sizeof(mbs), "%g", mb);
    snprintf(maxr, sizeof(maxr), "--max-restarts=%d", kills + 1);
    if ((pid = fork()) == 0) {
        char *argv[] = {hrun,         "-n",
                        "4",          tl,
                        maxr,         "--hang-timeout=60",
                        prog,         "--steps",
                        "1000000",    "--state-mb",
                        mbs,          "--step-ms",
                        "20",         "--ckpt-every",
                        "10",         "--stop-file",
                        (char *)stop, NULL};
        if (!freopen("/dev/null", "w", stdout) ||
            !freopen("/dev/null", "w", stderr))
            _exit(127);
        execv(hrun, argv);
        _exit(127);
    }
    return pid;
}

/* Kill a rank `kills` times; t_kill[i] Epoch of each. */
static int kill_loop(pid_t h, int kills, double *t_kill)
{
    long long pid0 = -1;
    pid_t v;

    for (int i = 0; i < kills; i++) {
        /* a checkpoint exists and the run has made steps since */
        if ((pid0 = wait_steps(pid0, 3)) < 0)
            return -1;
        nap_ms(100 + rand() % 300);
        if ((v = victim(h)) <= 0)
            return -1;
        t_kill[i] = epoch();
        kill(v, SIGKILL);
        fprintf(stderr, "recovery: kill %d: rank pid %d\n", i + 1, (int)v);
    }
    return wait_steps(pid0, 1) < 0 ? -1 : 0;
}

/* Phases of one recovery (seconds): kill->detected, teardown, relaunch,
 * MPI up, checkpoint loaded, first step; and the total. */
enum { P_DETECT, P_TEARDOWN, P_RELAUNCH, P_MPI, P_CKPT, P_STEP, P_TOTAL, NP };
static const char *const phase_names[NP] = {
    "detect",    "teardown",   "relaunch", "mpi_init",
    "ckpt_load", "first_step", "total"};

static double num(json_t *j, const char *k)
{
    return json_number_value(json_object_get(j, k));
}

/* The phases of kill n from the recoveries it caused: detection by the
 * first, the rest from the one whose run completed a step (a run that
 * failed again by itself is part of the recovery). 1 when complete. */
static int phases(json_t *first, json_t *last, double t_kill, double *ph)
{
    double t[NP] = {num(first, "detected"),        num(last, "teardown_done"),
                    num(last, "relaunch_started"), num(last, "mpi_init"),
                    num(last, "ckpt_loaded"),      num(last, "first_step")};
    double prev = t_kill;

    for (int p = 0; p < P_TOTAL; p++) {
        ph[p] = t[p] - (p == P_TEARDOWN ? num(last, "detected") : prev);
        prev = t[p];
    }
    ph[P_TOTAL] = t[P_STEP] - t_kill;
    return num(last, "resume_step") >= 0 && num(last, "first_step") > 0;
}

/* Read the timeline's recovery lines into ph[kills][NP]; how many kills
 * were followed by a resumed run that completed a step. */
static int read_timeline(int kills, const double *t_kill, double (*ph)[NP])
{
    char path[4200];
    json_t *j, *first = NULL;
    int n = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/timeline.json", dir);
    if (!(f = fopen(path, "r")))
        return -1;
    while (n < kills && (j = json_loadf(f, JSON_DISABLE_EOF_CHECK, NULL))) {
        if (!json_object_get(j, "cause") || num(j, "detected") < t_kill[n]) {
            json_decref(j);
            continue;
        }
        if (!first)
            first = json_incref(j);
        if (num(j, "first_step") > 0 &&
            (n + 1 == kills || num(j, "first_step") < t_kill[n + 1])) {
            n += phases(first, j, t_kill[n], ph[n]);
            json_decref(first);
            first = NULL;
        }
        json_decref(j);
    }
    json_decref(first);
    fclose(f);
    return n;
}

static void report_recovery(int kills, double (*ph)[NP], double mb)
{
    double s[MAX_KILLS];
    char name[128];

    for (int p = NP - 1; p >= 0; p--) {
        hub_bench_case_t c = {.bench = BENCH,
                              .name = name,
                              .unit = "s",
                              .target = p == P_TOTAL ? 5.0 : 0};
        for (int i = 0; i < kills; i++)
            s[i] = ph[i][p];
        snprintf(name, sizeof(name),
                 "SIGKILL of 1 of %d ranks, %g MiB "
                 "checkpoint: %s",
                 RANKS, mb, phase_names[p]);
        hub_bench_summarise(s, kills, &c.stats);
        hub_bench_report(&c);
        if (p == P_TOTAL)
            fprintf(stderr,
                    "recovery: total: median %.2f s, max %.2f s "
                    "(targets 5 s, 15 s)\n",
                    c.stats.median, c.stats.max);
    }
}

static void bench_recovery(int kills, double mb)
{
    char stop[4200];
    double t_kill[MAX_KILLS], ph[MAX_KILLS][NP];
    pid_t h;
    int st, got;

    snprintf(stop, sizeof(stop), "%s/stop", dir);
    unlink(stop);
    if ((h = start_hrun(kills, mb, stop)) < 0)
        hub_bench_fail(BENCH, "cannot start hrun");
    if (kill_loop(h, kills, t_kill) < 0) {
        kill(h, SIGTERM);
        waitpid(h, &st, 0);
        hub_bench_fail(BENCH, "the job did not make progress");
    }
    fclose(fopen(stop, "w"));
    if (waitpid(h, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        hub_bench_fail(BENCH, "hrun did not end cleanly (status %d)", st);
    if ((got = read_timeline(kills, t_kill, ph)) != kills)
        hub_bench_fail(BENCH,
                       "%d of %d recoveries resumed from a "
                       "checkpoint and completed a step",
                       got, kills);
    report_recovery(kills, ph, mb);
}

/* Wall seconds of one launch of n ranks, by hrun or by mpirun. */
static double one_launch(int n, int by_hrun)
{
    char np[16], out[4200], line[4200];
    char *hr[] = {hrun_bin, "-n", np, prog, "--hello", NULL};
    char *mr[] = {"/usr/bin/env", "mpirun", "--oversubscribe", "-np", np, prog,
                  "--hello",      NULL};
    double t0 = hub_bench_now(), dt;
    int lines = 0;
    FILE *f;

    snprintf(np, sizeof(np), "%d", n);
    snprintf(out, sizeof(out), "%s/hello.out", dir);
    /* a fresh job file each time: a job's file grows with every run */
    snprintf(line, sizeof(line), "%s/hello.h5", dir);
    unlink(line);
    setenv("HUB_JOB_FILE", line, 1);
    if (run_cmd(by_hrun ? hr : mr, out) != 0)
        hub_bench_fail(BENCH, "%s -n %d failed", by_hrun ? "hrun" : "mpirun",
                       n);
    dt = hub_bench_now() - t0;
    if ((f = fopen(out, "r"))) {
        while (fgets(line, sizeof(line), f))
            lines += strncmp(line, "rank ", 5) == 0;
        fclose(f);
    }
    if (lines != n)
        hub_bench_fail(BENCH, "%s -n %d printed %d ranks",
                       by_hrun ? "hrun" : "mpirun", n, lines);
    return dt;
}

static void bench_launch(int repeats)
{
    static const int sizes[] = {2, 4, 8};
    double h[HUB_BENCH_MAX_SAMPLES], m[HUB_BENCH_MAX_SAMPLES];
    char name[64];

    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        hub_bench_case_t c = {.bench = BENCH,
                              .name = name,
                              .unit = "s",
                              .has_baseline = true,
                              .baseline_name = "mpirun"};
        one_launch(sizes[k], 1); /* warm the page cache */
        for (int i = 0; i < repeats; i++) {
            h[i] = one_launch(sizes[k], 1);
            m[i] = one_launch(sizes[k], 0);
        }
        snprintf(name, sizeof(name), "launch of %d ranks", sizes[k]);
        hub_bench_summarise(h, repeats, &c.stats);
        hub_bench_summarise(m, repeats, &c.baseline);
        hub_bench_report(&c);
        fprintf(stderr,
                "launch: %d ranks: hrun/mpirun = %.3f (target <= "
                "1.1)\n",
                sizes[k], c.stats.median / c.baseline.median);
    }
}

/* In the build tree hrun is libtool's wrapper script, which costs a
 * bash start (25 ms here) that the installed hrun does not: the launch
 * comparison runs the binary behind it, with the wrapper's library
 * path. */
static void launch_binary(const char *b)
{
    char real[4200], libs[8400];
    const char *old = getenv("LD_LIBRARY_PATH");

    snprintf(hrun_bin, sizeof(hrun_bin), "%s", hrun);
    snprintf(real, sizeof(real), "%s/launcher/hrun/.libs/hrun", b);
    if (access(real, X_OK) != 0)
        return;
    snprintf(hrun_bin, sizeof(hrun_bin), "%s", real);
    snprintf(libs, sizeof(libs), "%s/common/.libs:%s/sched/.libs%s%s", b, b,
             old ? ":" : "", old ? old : "");
    setenv("LD_LIBRARY_PATH", libs, 1);
}

static void setup(void)
{
    const char *b = getenv("HUB_BUILDDIR");
    char tmpl[] = "/tmp/bench_recovery.XXXXXX", path[4200];

    snprintf(hrun, sizeof(hrun), "%s/launcher/hrun/hrun", b ? b : ".");
    snprintf(prog, sizeof(prog), "%s/benchmarks/bench_recovery_prog",
             b ? b : ".");
    if (access(hrun, X_OK) != 0 || access(prog, X_OK) != 0)
        hub_bench_fail(BENCH, "%s or %s not built (set HUB_BUILDDIR)", hrun,
                       prog);
    launch_binary(b ? b : ".");
    if (!mkdtemp(tmpl))
        hub_bench_fail(BENCH, "mkdtemp: %s", strerror(errno));
    snprintf(dir, sizeof(dir), "%s", tmpl);
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    setenv("HUB_CPU_PEAK_FLOPS", "1e10", 0);
    setenv("HUB_FLUSH_SECONDS", "0.2", 1);
    snprintf(path, sizeof(path), "%s/job.h5", dir);
    setenv("HUB_JOB_FILE", path, 1);
    snprintf(path, sizeof(path), "%s/ckpt", dir);
    setenv("HUB_CKPT_DIR", path, 1);
    unsetenv("HUB_PROGRESS_FILE");
}

int main(int argc, char **argv)
{
    bool smoke;
    int kills;
    double mb;

    hub_bench_init(argc, argv);
    smoke = hub_bench_smoke();
    kills = hub_bench_repeats(smoke ? 1 : 7);
    kills = kills > MAX_KILLS ? MAX_KILLS : kills;
    mb = smoke ? 4 : 100;
    srand((unsigned)time(NULL));
    setup();
    bench_recovery(kills, mb);
    bench_launch(smoke ? 1 : hub_bench_repeats(7));
    if (!getenv("BENCH_KEEP") &&
        strncmp(dir, "/tmp/bench_recovery.", 20) == 0) {
        char cmd[4300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "recovery: could not remove %s\n", dir);
    }
    return 0;
}

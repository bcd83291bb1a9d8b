/* bench_submit.c - how many jobs per second does hubctld accept durably?
 * (issue target: >= 5,000 jobs/s with 8 concurrent clients over the Unix
 * socket on this 2-core machine).
 *
 * Case 1, the controller: 8 clients, each keeping 32 submissions in flight
 * on its connection; a job counts when its acknowledgement arrives, which
 * hubctld sends only after the job is committed to SQLite
 * (synchronous=FULL). Correctness first: every job acknowledged is there,
 * also after the controller is killed with SIGKILL and restarted.
 *
 * Case 2, the command line: 8 shell loops of `hbatch --hold --wrap true`
 * against the same load of `sbatch --hold --wrap true` when a Slurm
 * controller answers on this machine (SchedMD validates 500 jobs/s for
 * Slurm); without Slurm, hbatch alone is reported. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctld_fixture.h"
#include "harness.h"

#define BENCH "submit"
#define CLIENTS 8
#define WINDOW 32

static void check_durable(ctld_fixture_t *f, int n)
{
    uint32_t first;
    long count;

    fixture_submit(f, n, CLIENTS, WINDOW, 1, &first);
    if ((count = fixture_count(f)) != n)
        hub_bench_fail(BENCH, "%d acknowledged, controller holds %ld", n,
                       count);
    fixture_stop(f, SIGKILL);
    fixture_start(f);
    if ((count = fixture_count(f)) != n)
        hub_bench_fail(BENCH, "%d acknowledged, %ld after kill -9", n, count);
}

static void rpc_case(int n, int reps)
{
    double samples[HUB_BENCH_MAX_SAMPLES];
    hub_bench_case_t c = {.bench = BENCH,
                          .unit = "jobs/s",
                          .higher_better = true,
                          .target = 5000};
    char name[96];

    for (int r = 0; r < reps; r++) {
        ctld_fixture_t f;
        uint32_t first;
        fixture_init(&f, 16);
        fixture_start(&f);
        samples[r] = n / fixture_submit(&f, n, CLIENTS, WINDOW, 1, &first);
        fixture_fini(&f);
    }
    snprintf(name, sizeof(name), "rpc, %d clients x %d in flight, %d jobs",
             CLIENTS, WINDOW, n);
    c.name = name;
    hub_bench_summarise(samples, reps, &c.stats);
    if (hub_bench_smoke())
        c.target = 0;
    hub_bench_report(&c);
}

/* Run `cmd` in CLIENTS parallel shells, per_client times each, its output
 * (job ids with --parsable) appended to out; seconds. */
static double cli_load(const char *cmd, int per_client, const char *env,
                       const char *out)
{
    char script[1024];
    double t0 = hub_bench_now();

    snprintf(script, sizeof(script),
             "%s; pids=; for c in $(seq %d); do (for i in $(seq %d); do %s "
             ">>%s || exit 1; done) & pids=\"$pids $!\"; done; rc=0; "
             "for p in $pids; do wait $p || rc=1; done; exit $rc",
             env, CLIENTS, per_client, cmd, out);
    if (system(script) != 0)
        hub_bench_fail(BENCH, "command failed: %s", cmd);
    return hub_bench_now() - t0;
}

/* Compare with Slurm only in full runs (never in make check's smoke run,
 * where the Slurm tests may be using the cluster) and when a controller
 * answers. */
static int slurm_running(void)
{
    return !hub_bench_smoke() &&
           system("command -v sbatch >/dev/null && scontrol ping 2>/dev/null "
                  "| grep -q UP") == 0;
}

/* Submit n held jobs to Slurm; cancel exactly those afterwards. */
static double slurm_load(int per_client)
{
    char ids[] = "/tmp/hubbench-slurm-ids.XXXXXX", cmd[128];
    int fd = mkstemp(ids);
    double secs;

    if (fd < 0)
        hub_bench_fail(BENCH, "mkstemp: cannot record Slurm job ids");
    close(fd);
    secs = cli_load("sbatch --parsable --hold --wrap true", per_client, "true",
                    ids);
    snprintf(cmd, sizeof(cmd), "scancel $(cat %s) 2>/dev/null", ids);
    if (system(cmd) != 0)
        fprintf(stderr, "%s: could not cancel the Slurm jobs in %s\n", BENCH,
                ids);
    unlink(ids);
    return secs;
}

static void cli_case(int per_client, int reps)
{
    double ours[HUB_BENCH_MAX_SAMPLES], slurm[HUB_BENCH_MAX_SAMPLES];
    hub_bench_case_t c = {
        .bench = BENCH, .unit = "jobs/s", .higher_better = true};
    const char *build = getenv("HUB_BUILDDIR");
    char cmd[512], env[768], name[96];
    int n = per_client * CLIENTS;

    /* The program itself, not the build tree's libtool wrapper script (a
     * shell that would add its own start-up to every submission). */
    snprintf(cmd, sizeof(cmd), "%s/sched/cmd/.libs/hbatch --hold --wrap true",
             build ? build : ".");
    c.has_baseline = slurm_running();
    for (int r = 0; r < reps; r++) {
        ctld_fixture_t f;
        fixture_init(&f, 16);
        fixture_start(&f);
        snprintf(env, sizeof(env),
                 "export HUB_SOCKET=%s LD_LIBRARY_PATH=%s/sched/.libs:%s/"
                 "common/.libs",
                 f.socket, build ? build : ".", build ? build : ".");
        ours[r] = n / cli_load(cmd, per_client, env, "/dev/null");
        fixture_fini(&f);
        if (c.has_baseline)
            slurm[r] = n / slurm_load(per_client);
    }
    if (c.has_baseline) {
        c.baseline_name = "slurm sbatch";
        hub_bench_summarise(slurm, reps, &c.baseline);
    }
    snprintf(name, sizeof(name), "cli, %d shells, %d jobs (hbatch)", CLIENTS,
             n);
    c.name = name;
    hub_bench_summarise(ours, reps, &c.stats);
    hub_bench_report(&c);
}

int main(int argc, char **argv)
{
    ctld_fixture_t f;
    int smoke;

    hub_bench_init(argc, argv);
    smoke = hub_bench_smoke();
    fixture_init(&f, 16);
    fixture_start(&f);
    check_durable(&f, smoke ? 200 : 2000);
    fixture_fini(&f);
    rpc_case(smoke ? 400 : 20000, hub_bench_repeats(5));
    cli_case(smoke ? 2 : 25, hub_bench_repeats(3));
    return 0;
}

/* bench_restart.c - how long from exec to serving does hubctld take to
 * restart with 100,000 jobs in its state (issue target: <= 2 s)?
 *
 * The state holds what a busy controller holds: jobs pending (held), a
 * few running on the virtual nodes (HUB_VIRTUAL_RUNTIME of a day) and
 * some that ran and completed within MinJobAge, which recovery loads too.
 * The controller is stopped by SIGKILL (a crash) and by SIGTERM (clean
 * shutdown), alternately, and restarted; a sample is the time from fork
 * to the first answered ping (hubctld listens only once it has recovered
 * its state). Correctness before a sample counts: the controller holds
 * every job acknowledged, as many pending, running and completed as
 * before. Starting on an empty state is reported beside, as the fixed
 * cost of a start.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ctld_fixture.h"
#include "harness.h"

#define BENCH "restart"
#define CLIENTS 8
#define WINDOW 64

/* What the controller holds, by state. */
typedef struct counts {
    long jobs, pending, running, completed;
} counts_t;

static json_t *call(ctld_fixture_t *f, json_t *req)
{
    hub_client_t *c;
    json_t *resp = NULL;
    hub_error_t err;

    if (!(c = hub_client_connect(f->socket, &err)) ||
        hub_client_call(c, req, &resp, 60000, &err) < 0)
        hub_bench_fail(BENCH, "%s: %s",
                       json_string_value(json_object_get(req, "op")), err.text);
    json_decref(req);
    hub_client_close(c);
    return resp;
}

static long count_state(ctld_fixture_t *f, const char *state)
{
    json_t *resp =
        call(f, json_pack("{s:s, s:[s]}", "op", "queue", "states", state));
    long n = (long)json_array_size(json_object_get(resp, "jobs"));

    json_decref(resp);
    return n;
}

static void get_counts(ctld_fixture_t *f, counts_t *out)
{
    json_t *resp = call(f, json_pack("{s:s}", "op", "ping"));

    out->jobs = (long)json_integer_value(json_object_get(resp, "jobs"));
    out->pending = (long)json_integer_value(json_object_get(resp, "pending"));
    json_decref(resp);
    out->running = count_state(f, "RUNNING");
    out->completed = count_state(f, "COMPLETED");
}

static void check_counts(ctld_fixture_t *f, const counts_t *want,
                         const char *when)
{
    counts_t got;

    get_counts(f, &got);
    if (got.jobs != want->jobs || got.pending != want->pending ||
        got.running != want->running || got.completed != want->completed)
        hub_bench_fail(BENCH,
                       "%s: %ld jobs (%ld pending, %ld running, %ld "
                       "completed), expected %ld (%ld, %ld, %ld)",
                       when, got.jobs, got.pending, got.running, got.completed,
                       want->jobs, want->pending, want->running,
                       want->completed);
}

/* Fill the state: held, then running, then quickly completed jobs;
 * returns what the controller must hold. */
static void fill(ctld_fixture_t *f, int n, counts_t *want)
{
    int running = n >= 10000 ? 64 : 8, completed = n / 100;
    int held = n - running - completed;
    uint32_t first;
    counts_t got;
    double t0;

    fixture_submit(f, held, CLIENTS, WINDOW, 1, &first);
    fixture_submit_env(f, running, 1, WINDOW, 0, "HUB_VIRTUAL_RUNTIME=86400",
                       &first);
    fixture_submit_env(f, completed, CLIENTS, WINDOW, 0,
                       "HUB_VIRTUAL_RUNTIME=0", &first);
    *want = (counts_t){n, held, running, completed};
    t0 = hub_bench_now();
    do {
        if (hub_bench_now() - t0 > 60)
            hub_bench_fail(BENCH, "%d jobs did not complete in 60 s",
                           completed);
        usleep(100000);
        get_counts(f, &got);
    } while (got.completed < completed || got.running < running);
    check_counts(f, want, "before restart");
}

/* Stop with sig, restart; seconds from exec to serving. */
static double restart(ctld_fixture_t *f, int sig, const counts_t *want)
{
    double s;

    fixture_stop(f, sig);
    s = fixture_start(f);
    check_counts(f, want, sig == SIGKILL ? "after SIGKILL" : "after SIGTERM");
    return s;
}

static void report(const char *what, int n, double *samples, int reps,
                   double target)
{
    hub_bench_case_t c = {.bench = BENCH, .unit = "s", .target = target};
    char name[96];

    snprintf(name, sizeof(name), "%s, %d jobs in state", what, n);
    c.name = name;
    hub_bench_summarise(samples, reps, &c.stats);
    if (hub_bench_smoke())
        c.target = 0;
    hub_bench_report(&c);
}

static void empty_case(int reps)
{
    double samples[HUB_BENCH_MAX_SAMPLES];
    ctld_fixture_t f;

    fixture_init(&f, 16);
    for (int r = 0; r < reps; r++) {
        samples[r] = fixture_start(&f);
        fixture_stop(&f, SIGTERM);
    }
    fixture_fini(&f);
    report("start", 0, samples, reps, 0);
}

int main(int argc, char **argv)
{
    double killed[HUB_BENCH_MAX_SAMPLES], stopped[HUB_BENCH_MAX_SAMPLES];
    ctld_fixture_t f;
    counts_t want;
    int n, reps;

    hub_bench_init(argc, argv);
    n = hub_bench_smoke() ? 1000 : 100000;
    reps = hub_bench_repeats(7);
    fixture_init(&f, 16);
    fixture_start(&f);
    fill(&f, n, &want);
    /* SIGTERM first: a clean stop commits the completions. */
    for (int r = 0; r < reps; r++) {
        stopped[r] = restart(&f, SIGTERM, &want);
        killed[r] = restart(&f, SIGKILL, &want);
    }
    fixture_fini(&f);
    report("restart after SIGKILL", n, killed, reps, 2.0);
    report("restart after SIGTERM", n, stopped, reps, 2.0);
    empty_case(reps);
    return 0;
}

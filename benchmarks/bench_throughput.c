/* bench_throughput.c - how many trivial jobs per second go through a
 * small real cluster, from submission to their end in accounting? (issue
 * target: 1,000 jobs through 4 agents at >= 200 jobs/s.)
 *
 * hubctld and four node agents on this machine (agents_fixture.h), 32
 * CPUs in all. A sample: 1,000 one-CPU jobs running `true`, submitted
 * pipelined on one connection (64 in flight), from the first request
 * sent until the store records the last one ended (what hacct reads) -
 * each job committed, scheduled, made RUNNING, launched by an agent
 * (spool file, hub-jobstart, /bin/sh), its exit reported and made
 * durable. The queue is polled every 20 ms until no job is left in it,
 * then accounting until it holds all of them. Each sample starts on a
 * fresh cluster. Correctness: every job is recorded COMPLETED with exit
 * code 0, none twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agents_fixture.h"
#include "harness.h"

#define BENCH "throughput"
#define AGENTS 4
#define WINDOW 64
/* A run slower than this (jobs/s) is a failure, not a sample. */
#define MIN_RATE 5.0

/* Submit n jobs pipelined; returns the first id. */
static uint32_t submit_all(agents_fixture_t *a, hub_client_t *c, int n)
{
    json_t *req = agents_job_req(a, "#!/bin/sh\ntrue\n"), *resp;
    hub_error_t err;
    uint32_t first = 0;
    int sent = 0, got = 0;

    while (got < n) {
        while (sent < n && sent - got < WINDOW) {
            if (hub_client_send(c, req, &err) < 0)
                hub_bench_fail(BENCH, "send: %s", err.text);
            sent++;
        }
        if (hub_client_recv(c, &resp, 60000, &err) < 0)
            hub_bench_fail(BENCH, "submit: %s", err.text);
        if (!first)
            first =
                (uint32_t)json_integer_value(json_object_get(resp, "job_id"));
        json_decref(resp);
        got++;
    }
    json_decref(req);
    return first;
}

/* One run on a fresh cluster: jobs/s from first submit to last record. */
static double sample(int n)
{
    agents_fixture_t a;
    hub_client_t *c;
    hub_error_t err;
    int64_t since;
    long recorded, ok;
    double t0, t;

    agents_init(&a, AGENTS);
    agents_start(&a);
    if (!(c = hub_client_connect(a.ctld.socket, &err)))
        hub_bench_fail(BENCH, "%s", err.text);
    since = agents_now_ms() - 1000;
    t0 = hub_bench_now();
    submit_all(&a, c, n);
    while (agents_unfinished(c) > 0) {
        if (hub_bench_now() - t0 > n / MIN_RATE + 10)
            hub_bench_fail(BENCH, "jobs still queued after %.0f s",
                           hub_bench_now() - t0);
        usleep(20000);
    }
    while ((recorded = agents_recorded(c, since, &ok)) < n) {
        if (hub_bench_now() - t0 > n / MIN_RATE + 10)
            hub_bench_fail(BENCH, "%ld of %d jobs recorded after %.0f s",
                           recorded, n, hub_bench_now() - t0);
        usleep(20000);
    }
    t = hub_bench_now() - t0;
    if (recorded != n || ok != n)
        hub_bench_fail(BENCH, "%ld recorded (want %d), %ld COMPLETED 0:0",
                       recorded, n, ok);
    hub_client_close(c);
    agents_fini(&a);
    return n / t;
}

int main(int argc, char **argv)
{
    double s[HUB_BENCH_MAX_SAMPLES];
    char name[96];
    int n, reps;
    hub_bench_case_t bc = {
        .bench = BENCH, .unit = "jobs/s", .higher_better = true};

    hub_bench_init(argc, argv);
    n = hub_bench_smoke() ? 20 : 1000;
    reps = hub_bench_repeats(3);
    if (reps > HUB_BENCH_MAX_SAMPLES)
        reps = HUB_BENCH_MAX_SAMPLES;
    bc.target = hub_bench_smoke() ? 0 : 200;
    for (int r = 0; r < reps; r++)
        s[r] = sample(n);
    snprintf(name, sizeof(name),
             "%d jobs (true), %d agents, submit -> all recorded", n, AGENTS);
    bc.name = name;
    hub_bench_summarise(s, reps, &bc.stats);
    hub_bench_report(&bc);
    return 0;
}

/* agents_fixture.h - a small real cluster for benchmarks: hubctld and
 * nagents node agents (hubd) on this machine, in a temp dir (config,
 * state, sockets, spool dirs, logs). Nodes are bn1..bnN (names no test
 * uses, since an agent kills what it finds of its node's jobs), each with
 * 8 CPUs and 2 fake GPUs on a free loopback port; the agents reach the
 * controller over its Unix socket. Non-goals: TCP/MUNGE, several hosts.
 */
#ifndef HUB_BENCH_AGENTS_FIXTURE_H
#define HUB_BENCH_AGENTS_FIXTURE_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "client.h"
#include "ctld_fixture.h"

#define AGENTS_MAX 16

typedef struct agents_fixture {
    ctld_fixture_t ctld; /* dir, conf, socket, the controller's pid */
    int nagents;
    pid_t hubd[AGENTS_MAX]; /* 0 when stopped */
} agents_fixture_t;

/* Make the temp dir and config for nagents (1..AGENTS_MAX) nodes. Exits
 * on failure. */
void agents_init(agents_fixture_t *a, int nagents);

/* Start hubctld and every agent; return once every node is IDLE (the
 * agents registered). Exits on failure, naming the log to read. */
void agents_start(agents_fixture_t *a);

/* Stop the agents (SIGTERM: they kill their jobs) and the controller,
 * and remove the temp dir. */
void agents_fini(agents_fixture_t *a);

/* A submit request for a one-CPU job running script (a "#!" text), its
 * output and error to /dev/null, working dir the fixture's dir. New
 * reference. */
json_t *agents_job_req(const agents_fixture_t *a, const char *script);

/* Submit req on c and wait for the answer; returns the job id. Exits on
 * failure. */
uint32_t agents_submit(hub_client_t *c, json_t *req);

/* The state of job id as the queue shows it ("COMPLETED" ...), in buf;
 * "" when the controller no longer lists it. */
const char *agents_job_state(hub_client_t *c, uint32_t id, char *buf,
                             size_t len);

/* How many jobs the store records (hacct) as ended since since_ms, and
 * how many of them COMPLETED with exit code 0 (*ok may be NULL). */
long agents_recorded(hub_client_t *c, int64_t since_ms, long *ok);

/* How many jobs are PENDING, RUNNING or COMPLETING (the queue's table
 * form: cheap to poll, unlike accounting, which sends every job). */
long agents_unfinished(hub_client_t *c);

/* Wall clock, ms since the epoch (jobs' times are in it). */
int64_t agents_now_ms(void);

#endif

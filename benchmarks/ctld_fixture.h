/* ctld_fixture.h - a hubctld for benchmarks: started in a temp dir on a
 * one-hub config with virtual nodes, fed by pipelined RPC clients. */
#ifndef HUB_BENCH_CTLD_FIXTURE_H
#define HUB_BENCH_CTLD_FIXTURE_H

#include <stdint.h>
#include <sys/types.h>

typedef struct ctld_fixture {
    char dir[64]; /* temp dir holding conf, state and socket */
    char conf[128];
    char socket[128];
    pid_t pid;  /* hubctld, 0 when stopped */
    int agents; /* 0: --virtual-nodes; else node agents run the jobs
                 * (agents_fixture.h) and hubctld has no TCP listener */
} ctld_fixture_t;

/* Make the temp dir and config (nnodes nodes x 8 GPUs; jobs held with
 * --hold so that none starts unless hold is false). Exits on failure. */
void fixture_init(ctld_fixture_t *f, int nnodes);

/* Start hubctld and wait until it answers ping; returns seconds from
 * exec to the first answer. */
double fixture_start(ctld_fixture_t *f);

/* Stop it with sig (SIGTERM: clean; SIGKILL: crash) and reap it. */
void fixture_stop(ctld_fixture_t *f, int sig);

/* Remove the temp dir (the controller must be stopped). */
void fixture_fini(ctld_fixture_t *f);

/* Submit n one-GPU jobs from nclients concurrent connections, each with
 * window requests in flight; held jobs stay pending. Returns the seconds
 * it took; every job acknowledged or the process exits. *first_id gets
 * the smallest id acknowledged. */
double fixture_submit(ctld_fixture_t *f, int n, int nclients, int window,
                      int hold, uint32_t *first_id);

/* fixture_submit with one more environment entry in every job (NULL:
 * none), e.g. "HUB_VIRTUAL_RUNTIME=60" for jobs that run a minute on
 * the virtual nodes. */
double fixture_submit_env(ctld_fixture_t *f, int n, int nclients, int window,
                          int hold, const char *env, uint32_t *first_id);

/* Number of jobs the controller holds (ping). */
long fixture_count(ctld_fixture_t *f);

#endif

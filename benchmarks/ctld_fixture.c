/* ctld_fixture.c - a hubctld for benchmarks (see ctld_fixture.h). */
#include "ctld_fixture.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "harness.h"

static void die(const char *what, const char *why)
{
    fprintf(stderr, "ctld_fixture: %s: %s\n", what, why);
    exit(1);
}

void fixture_init(ctld_fixture_t *f, int nnodes)
{
    FILE *out;

    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hubbench.XXXXXX");
    if (!mkdtemp(f->dir))
        die("mkdtemp", strerror(errno));
    snprintf(f->conf, sizeof(f->conf), "%s/hub.conf", f->dir);
    snprintf(f->socket, sizeof(f->socket), "%s/ctld.sock", f->dir);
    if (!(out = fopen(f->conf, "w")))
        die(f->conf, strerror(errno));
    fprintf(out,
            "ClusterName=bench\nStateSaveLocation=%s/state\n"
            "ControllerSocket=%s\nSchedulerInterval=5\n"
            "GpuType=h100 PeakTFLOPS_BF16=989.4 PowerW=700\n"
            "HubName=west\n"
            "NodeName=n[1-%d] Hub=west CPUs=96 RealMemory=1000000 "
            "Gres=gpu:h100:8\n"
            "PartitionName=gpu Nodes=ALL Default=YES MaxTime=7-00:00:00\n",
            f->dir, f->socket, nnodes);
    fclose(out);
}

static const char *hubctld_path(void)
{
    static char path[512];
    const char *build = getenv("HUB_BUILDDIR");
    snprintf(path, sizeof(path), "%s/sched/hubctld/hubctld",
             build ? build : ".");
    return path;
}

static int ping(ctld_fixture_t *f)
{
    hub_client_t *c = hub_client_connect(f->socket, NULL);
    json_t *req, *resp = NULL;
    int rc;

    if (!c)
        return -1;
    req = json_pack("{s:s}", "op", "ping");
    rc = hub_client_call(c, req, &resp, 5000, NULL);
    json_decref(req);
    json_decref(resp);
    hub_client_close(c);
    return rc;
}

/* The controllers running, killed at exit: a benchmark that fails its
 * check exits without stopping its fixture. */
static pid_t live[16];

static void kill_live(void)
{
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
        if (live[i] > 0)
            kill(live[i], SIGKILL);
}

static void track(pid_t old, pid_t now)
{
    static bool registered;

    if (!registered)
        registered = atexit(kill_live) == 0;
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
        if (live[i] == old) {
            live[i] = now;
            return;
        }
    }
}

double fixture_start(ctld_fixture_t *f)
{
    double t0 = hub_bench_now();
    char log[160];

    snprintf(log, sizeof(log), "%s/ctld.log", f->dir);
    if ((f->pid = fork()) == 0) {
        freopen(log, "a", stderr);
        freopen(log, "a", stdout);
        execl(hubctld_path(), "hubctld", "-f", f->conf,
              f->agents ? "--port=0" : "--virtual-nodes", (char *)NULL);
        _exit(127);
    }
    track(0, f->pid);
    while (ping(f) < 0) {
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid)
            die("hubctld exited at start; see", log);
        usleep(2000);
    }
    return hub_bench_now() - t0;
}

void fixture_stop(ctld_fixture_t *f, int sig)
{
    if (f->pid <= 0)
        return;
    kill(f->pid, sig);
    waitpid(f->pid, NULL, 0);
    track(f->pid, 0);
    f->pid = 0;
}

void fixture_fini(ctld_fixture_t *f)
{
    char cmd[128];
    fixture_stop(f, SIGTERM);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "ctld_fixture: could not remove %s\n", f->dir);
}

typedef struct client_arg {
    ctld_fixture_t *f;
    int n, window, hold;
    const char *env;
    uint32_t first_id;
} client_arg_t;

static json_t *submit_req(int hold, const char *env)
{
    json_t *req = json_pack("{s:s, s:{s:{s:i, s:i, s:b}, s:s, s:s, s:[s]}}",
                            "op", "submit", "spec", "req",
                            "gpus_per_node_milli", 1000, "time_limit_s", 3600,
                            "hold", hold, "script", "#!/bin/sh\ntrue\n",
                            "workdir", "/tmp", "env", "PATH=/usr/bin:/bin");

    if (env)
        json_array_append_new(
            json_object_get(json_object_get(req, "spec"), "env"),
            json_string(env));
    return req;
}

static void recv_one(hub_client_t *c, client_arg_t *a)
{
    json_t *resp;
    hub_error_t err;
    uint32_t id;

    if (hub_client_recv(c, &resp, 60000, &err) < 0)
        die("submit", err.text);
    id = (uint32_t)json_integer_value(json_object_get(resp, "job_id"));
    if (id == 0)
        die("submit", "no job id in the answer");
    if (a->first_id == 0 || id < a->first_id)
        a->first_id = id;
    json_decref(resp);
}

static void *client_main(void *p)
{
    client_arg_t *a = p;
    hub_error_t err;
    hub_client_t *c = hub_client_connect(a->f->socket, &err);
    json_t *req = submit_req(a->hold, a->env);
    int sent = 0, got = 0;

    if (!c)
        die("connect", err.text);
    while (got < a->n) {
        while (sent < a->n && sent - got < a->window) {
            if (hub_client_send(c, req, &err) < 0)
                die("send", err.text);
            sent++;
        }
        recv_one(c, a);
        got++;
    }
    json_decref(req);
    hub_client_close(c);
    return NULL;
}

double fixture_submit(ctld_fixture_t *f, int n, int nclients, int window,
                      int hold, uint32_t *first_id)
{
    return fixture_submit_env(f, n, nclients, window, hold, NULL, first_id);
}

double fixture_submit_env(ctld_fixture_t *f, int n, int nclients, int window,
                          int hold, const char *env, uint32_t *first_id)
{
    pthread_t tid[64];
    client_arg_t args[64];
    double t0 = hub_bench_now();

    *first_id = 0;
    for (int i = 0; i < nclients && i < 64; i++) {
        args[i] = (client_arg_t){
            f, n / nclients + (i < n % nclients), window, hold, env, 0};
        pthread_create(&tid[i], NULL, client_main, &args[i]);
    }
    for (int i = 0; i < nclients && i < 64; i++) {
        pthread_join(tid[i], NULL);
        if (args[i].first_id && (!*first_id || args[i].first_id < *first_id))
            *first_id = args[i].first_id;
    }
    return hub_bench_now() - t0;
}

long fixture_count(ctld_fixture_t *f)
{
    hub_client_t *c = hub_client_connect(f->socket, NULL);
    json_t *req = json_pack("{s:s}", "op", "ping"), *resp = NULL;
    long n = -1;

    if (c && hub_client_call(c, req, &resp, 30000, NULL) == 0)
        n = (long)json_integer_value(json_object_get(resp, "jobs"));
    json_decref(req);
    json_decref(resp);
    hub_client_close(c);
    return n;
}

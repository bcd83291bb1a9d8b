/* agents_fixture.c - hubctld plus node agents for benchmarks (see
 * agents_fixture.h). */
#include "agents_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* How long agents may take to register (a loaded 2-core machine). */
#define AGENTS_START_TIMEOUT_S 30

static void die(const char *what, const char *why)
{
    fprintf(stderr, "agents_fixture: %s: %s\n", what, why);
    exit(1);
}

int64_t agents_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n distinct free loopback ports: bound to port 0 together, then closed. */
static void free_ports(int n, int *ports)
{
    int fds[AGENTS_MAX];

    for (int i = 0; i < n; i++) {
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(sa);
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, len) < 0 ||
            getsockname(fds[i], (struct sockaddr *)&sa, &len) < 0)
            die("free port", strerror(errno));
        ports[i] = ntohs(sa.sin_port);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

void agents_init(agents_fixture_t *a, int nagents)
{
    int ports[AGENTS_MAX];
    FILE *out;

    if (nagents < 1 || nagents > AGENTS_MAX)
        die("agents_init", "1 to AGENTS_MAX agents");
    memset(a, 0, sizeof(*a));
    fixture_init(&a->ctld, nagents); /* the dir; the config is ours */
    a->ctld.agents = nagents;
    a->nagents = nagents;
    free_ports(nagents, ports);
    if (!(out = fopen(a->ctld.conf, "w")))
        die(a->ctld.conf, strerror(errno));
    fprintf(out,
            "ClusterName=bench\nStateSaveLocation=%s/state\n"
            "ControllerSocket=%s\nSchedulerInterval=5\nNodeTimeout=30\n"
            "KillWait=1\nGpuType=fake PeakTFLOPS_BF16=100 PowerW=300\n"
            "HubName=local\n"
            "NodeName=bn[1-%d] Hub=local CPUs=8 RealMemory=16000 "
            "Gres=gpu:fake:2 NodeAddr=127.0.0.1 Port=[",
            a->ctld.dir, a->ctld.socket, nagents);
    for (int i = 0; i < nagents; i++)
        fprintf(out, "%s%d", i ? "," : "", ports[i]);
    fprintf(out, "]\nPartitionName=debug Nodes=ALL Default=YES "
                 "MaxTime=1:00:00\n");
    fclose(out);
}

/* The agents running, killed at exit: a benchmark that fails its check
 * exits without stopping its fixture. */
static pid_t live[AGENTS_MAX];

static void kill_agents(void)
{
    for (int i = 0; i < AGENTS_MAX; i++) {
        if (live[i] > 0) {
            kill(live[i], SIGTERM);
            waitpid(live[i], NULL, 0);
        }
    }
}

static pid_t start_hubd(agents_fixture_t *a, int i)
{
    const char *build = getenv("HUB_BUILDDIR");
    char hubd[512], node[16], spool[160], log[160];
    pid_t pid;

    snprintf(hubd, sizeof(hubd), "%s/launcher/hubd/hubd", build ? build : ".");
    snprintf(node, sizeof(node), "bn%d", i + 1);
    snprintf(spool, sizeof(spool), "--spool=%s/spool-%s", a->ctld.dir, node);
    snprintf(log, sizeof(log), "%s/hubd-%s.log", a->ctld.dir, node);
    if ((pid = fork()) == 0) {
        freopen(log, "a", stderr);
        freopen(log, "a", stdout);
        execl(hubd, "hubd", "-f", a->ctld.conf, "-N", node, spool,
              "--fake-gpus", "--conf-resources", (char *)NULL);
        _exit(127);
    }
    if (pid < 0)
        die("fork", strerror(errno));
    return pid;
}

/* Every node IDLE in the controller's info. */
static int all_idle(agents_fixture_t *a)
{
    hub_client_t *c = hub_client_connect(a->ctld.socket, NULL);
    json_t *req = json_pack("{s:s}", "op", "info"), *resp = NULL, *node;
    size_t i;
    int idle = 0;

    if (c && hub_client_call(c, req, &resp, 10000, NULL) == 0) {
        json_array_foreach(json_object_get(resp, "nodes"), i, node) idle +=
            strcmp(json_string_value(json_object_get(node, "state")), "IDLE") ==
            0;
    }
    json_decref(req);
    json_decref(resp);
    hub_client_close(c);
    return idle == a->nagents;
}

void agents_start(agents_fixture_t *a)
{
    static int registered;
    double t0;

    if (!registered)
        registered = atexit(kill_agents) == 0;
    fixture_start(&a->ctld);
    for (int i = 0; i < a->nagents; i++)
        live[i] = a->hubd[i] = start_hubd(a, i);
    t0 = hub_bench_now();
    while (!all_idle(a)) {
        if (hub_bench_now() - t0 > AGENTS_START_TIMEOUT_S)
            die("agents did not register; see the logs in", a->ctld.dir);
        usleep(10000);
    }
}

void agents_fini(agents_fixture_t *a)
{
    for (int i = 0; i < a->nagents; i++) {
        if (a->hubd[i] > 0) {
            kill(a->hubd[i], SIGTERM);
            waitpid(a->hubd[i], NULL, 0);
        }
        a->hubd[i] = live[i] = 0;
    }
    fixture_fini(&a->ctld);
}

json_t *agents_job_req(const agents_fixture_t *a, const char *script)
{
    return json_pack("{s:s, s:{s:{s:i, s:i}, s:s, s:s, s:s, s:s, s:[s]}}", "op",
                     "submit", "spec", "req", "ntasks", 1, "time_limit_s", 600,
                     "script", script, "workdir", a->ctld.dir, "output",
                     "/dev/null", "error", "/dev/null", "env",
                     "PATH=/usr/bin:/bin");
}

uint32_t agents_submit(hub_client_t *c, json_t *req)
{
    json_t *resp = NULL;
    hub_error_t err;
    uint32_t id;

    if (hub_client_call(c, req, &resp, 60000, &err) < 0)
        die("submit", err.text);
    id = (uint32_t)json_integer_value(json_object_get(resp, "job_id"));
    json_decref(resp);
    if (id == 0)
        die("submit", "no job id in the answer");
    return id;
}

const char *agents_job_state(hub_client_t *c, uint32_t id, char *buf,
                             size_t len)
{
    json_t *req = json_pack("{s:s, s:[i]}", "op", "queue", "ids", (int)id);
    json_t *resp = NULL, *job;
    hub_error_t err;

    buf[0] = '\0';
    if (hub_client_call(c, req, &resp, 30000, &err) < 0)
        die("queue", err.text);
    job = json_array_get(json_object_get(resp, "jobs"), 0);
    if (job)
        snprintf(buf, len, "%s",
                 json_string_value(json_object_get(job, "state")));
    json_decref(req);
    json_decref(resp);
    return buf;
}

long agents_recorded(hub_client_t *c, int64_t since_ms, long *ok)
{
    json_t *req =
        json_pack("{s:s, s:I}", "op", "acct", "start_ms", (json_int_t)since_ms);
    json_t *resp = NULL, *jobs, *job;
    hub_error_t err;
    size_t i;
    long n;

    if (hub_client_call(c, req, &resp, 30000, &err) < 0)
        die("acct", err.text);
    jobs = json_object_get(resp, "jobs");
    n = (long)json_array_size(jobs);
    if (ok) {
        *ok = 0;
        json_array_foreach(jobs, i, job) *ok +=
            strcmp(json_string_value(json_object_get(job, "state")),
                   "COMPLETED") == 0 &&
            json_integer_value(json_object_get(job, "exit_code")) == 0;
    }
    json_decref(req);
    json_decref(resp);
    return n;
}

long agents_unfinished(hub_client_t *c)
{
    json_t *req = json_pack("{s:s, s:b, s:[s,s,s]}", "op", "queue", "table", 1,
                            "states", "PENDING", "RUNNING", "COMPLETING");
    json_t *resp = NULL;
    hub_error_t err;
    long n;

    if (hub_client_call(c, req, &resp, 30000, &err) < 0)
        die("queue", err.text);
    n = (long)json_array_size(json_object_get(resp, "rows"));
    json_decref(req);
    json_decref(resp);
    return n;
}

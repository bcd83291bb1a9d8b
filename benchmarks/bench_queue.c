/* bench_queue.c - how long does `hqueue` take over 100,000 pending jobs
 * (issue target: <= 0.5 s end to end)?
 *
 * Case 1, the command: the real hqueue binary (the build's libtool
 * wrapper), fork/exec to exit, its output drained from a pipe as a
 * terminal or `| wc -l` would. Case 2, the controller side alone: the
 * `queue` RPC in the table form hqueue asks for, round trip through
 * hub_client_call_text (request, controller's answer, frame read, no
 * parse: hqueue reads the rows itself), so the breakdown between
 * controller and command is visible.
 * When a Slurm controller answers on this machine, `squeue` over whatever
 * jobs it holds is timed as the baseline of case 1.
 *
 * Correctness first: hqueue prints a header and one line per job, and the
 * first column holds every id acknowledged, once; the RPC answer, parsed
 * by jansson before timing, lists them all.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "ctld_fixture.h"
#include "harness.h"

#define BENCH "queue"
#define CLIENTS 8
#define WINDOW 64

/* What one run of a command printed. */
typedef struct listing {
    char *text; /* stdout, malloc'd, NUL-terminated (when kept) */
    size_t len, lines;
} listing_t;

/* Read fd to its end; count lines, keep the text if keep. */
static void drain(int fd, bool keep, listing_t *out)
{
    static char chunk[1 << 16];
    size_t cap = 0;
    ssize_t n;

    memset(out, 0, sizeof(*out));
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            hub_bench_fail(BENCH, "read: %s", strerror(errno));
        for (ssize_t i = 0; i < n; i++)
            out->lines += chunk[i] == '\n';
        if (keep && out->len + (size_t)n + 1 > cap) {
            cap = (out->len + (size_t)n + 1) * 2;
            if (!(out->text = realloc(out->text, cap)))
                hub_bench_fail(BENCH, "out of memory");
        }
        if (keep)
            memcpy(out->text + out->len, chunk, (size_t)n);
        out->len += (size_t)n;
    }
    if (keep && out->text)
        out->text[out->len] = '\0';
}

/* Run argv with HUB_SOCKET=socket (NULL: environment as is), stdout to a
 * pipe drained into *out; seconds from fork to exit. Fails on non-zero
 * exit. */
static double run_cmd(char *const argv[], const char *socket, bool keep,
                      listing_t *out)
{
    double t0 = hub_bench_now();
    int fds[2], status;
    pid_t pid;

    if (pipe(fds) < 0)
        hub_bench_fail(BENCH, "pipe: %s", strerror(errno));
    if ((pid = fork()) == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (socket)
            setenv("HUB_SOCKET", socket, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    drain(fds[0], keep, out);
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        hub_bench_fail(BENCH, "%s exited with status %d", argv[0], status);
    return hub_bench_now() - t0;
}

static char *hqueue_path(void)
{
    static char path[512];
    const char *build = getenv("HUB_BUILDDIR");

    snprintf(path, sizeof(path), "%s/sched/cmd/hqueue", build ? build : ".");
    return path;
}

/* The listing has the header and exactly the ids first..first+n-1. */
static void check_listing(const listing_t *l, uint32_t first, int n)
{
    char *seen = calloc((size_t)n, 1);
    char *line = l->text, *next;

    if (!seen)
        hub_bench_fail(BENCH, "out of memory");
    if (l->lines != (size_t)n + 1)
        hub_bench_fail(BENCH, "hqueue printed %zu lines for %d jobs", l->lines,
                       n);
    if (!line || !strstr(line, "JOBID") || !(next = strchr(line, '\n')))
        hub_bench_fail(BENCH, "hqueue printed no header");
    for (line = next + 1; *line; line = next + 1) {
        unsigned long id = strtoul(line, &next, 10);
        if (id < first || id >= first + (unsigned long)n || seen[id - first])
            hub_bench_fail(BENCH, "hqueue listed job %lu: unknown or twice",
                           id);
        seen[id - first] = 1;
        if (!(next = strchr(next, '\n')))
            break;
    }
    free(seen);
}

static void hqueue_case(ctld_fixture_t *f, uint32_t first, int n, int reps)
{
    double ours[HUB_BENCH_MAX_SAMPLES], slurm[HUB_BENCH_MAX_SAMPLES];
    char *hqueue[] = {hqueue_path(), NULL};
    char *squeue[] = {"squeue", NULL};
    hub_bench_case_t c = {.bench = BENCH, .unit = "s", .target = 0.5};
    size_t slurm_lines = 0;
    char name[96], base[64];
    listing_t l;

    run_cmd(hqueue, f->socket, true, &l);
    check_listing(&l, first, n);
    free(l.text);
    c.has_baseline = system("command -v squeue >/dev/null && scontrol ping "
                            "2>/dev/null | grep -q UP") == 0;
    for (int r = 0; r < reps; r++) {
        ours[r] = run_cmd(hqueue, f->socket, false, &l);
        if (l.lines != (size_t)n + 1)
            hub_bench_fail(BENCH, "hqueue printed %zu lines", l.lines);
        if (c.has_baseline) {
            slurm[r] = run_cmd(squeue, NULL, false, &l);
            slurm_lines = l.lines;
        }
    }
    if (c.has_baseline) {
        snprintf(base, sizeof(base), "slurm squeue (%zu lines)", slurm_lines);
        c.baseline_name = base;
        hub_bench_summarise(slurm, reps, &c.baseline);
    }
    snprintf(name, sizeof(name), "hqueue, %d pending jobs", n);
    c.name = name;
    hub_bench_summarise(ours, reps, &c.stats);
    if (hub_bench_smoke())
        c.target = 0;
    hub_bench_report(&c);
}

/* One queue RPC in the table form: seconds to the whole answer's text;
 * with check, the answer's rows are counted into *njobs (not timed). */
static double queue_rpc(ctld_fixture_t *f, bool check, size_t *njobs)
{
    json_t *req = json_pack("{s:s, s:b}", "op", "queue", "table", 1);
    double t0 = hub_bench_now(), t;
    hub_error_t err;
    hub_client_t *cl = hub_client_connect(f->socket, &err);
    const char *text;
    json_t *resp;
    size_t len;

    if (!cl || hub_client_call_text(cl, req, &text, &len, 60000, &err) < 0)
        hub_bench_fail(BENCH, "queue: %s", err.text);
    t = hub_bench_now() - t0;
    if (check && !(resp = json_loadb(text, len, 0, NULL)))
        hub_bench_fail(BENCH, "queue: the answer is not JSON");
    if (check) {
        *njobs = json_array_size(json_object_get(resp, "rows"));
        json_decref(resp);
    }
    json_decref(req);
    hub_client_close(cl);
    return t;
}

static void rpc_case(ctld_fixture_t *f, int n, int reps)
{
    double samples[HUB_BENCH_MAX_SAMPLES];
    hub_bench_case_t c = {.bench = BENCH, .unit = "s"};
    char name[96];
    size_t got = 0;

    queue_rpc(f, true, &got);
    if (got != (size_t)n)
        hub_bench_fail(BENCH, "queue answered %zu jobs of %d", got, n);
    for (int r = 0; r < reps; r++)
        samples[r] = queue_rpc(f, false, NULL);
    snprintf(name, sizeof(name), "queue rpc (table), answer text, %d jobs", n);
    c.name = name;
    hub_bench_summarise(samples, reps, &c.stats);
    hub_bench_report(&c);
}

int main(int argc, char **argv)
{
    ctld_fixture_t f;
    uint32_t first;
    long count;
    int n, reps;

    hub_bench_init(argc, argv);
    n = hub_bench_smoke() ? 1000 : 100000;
    reps = hub_bench_repeats(11);
    fixture_init(&f, 16);
    fixture_start(&f);
    fixture_submit(&f, n, CLIENTS, WINDOW, 1, &first);
    if ((count = fixture_count(&f)) != n)
        hub_bench_fail(BENCH, "%d acknowledged, controller holds %ld", n,
                       count);
    hqueue_case(&f, first, n, reps);
    rpc_case(&f, n, reps);
    fixture_fini(&f);
    return 0;
}

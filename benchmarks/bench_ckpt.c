/* bench_ckpt.c - how fast do checkpoints write and restore, next to plain
 * write()+fsync and read() of the same bytes on the same disk, and how
 * long does an asynchronous checkpoint stall the training loop?
 *
 * Issue targets: checkpoint write bandwidth / write()+fsync >= 0.8,
 * restore bandwidth / read() >= 0.8, async stall / sync save time <= 0.1.
 *
 * One rank (an MPI singleton) saves 1 GiB in 16 float32 tensors of 64
 * MiB (--smoke: 8 MiB) under HUB_BENCH_DIR (default: the current
 * directory). Each repeat measures, in alternating order, the baseline
 * (one file: write() of every tensor, fsync) and a synchronous checkpoint
 * (begin, add, commit); then, with the page cache dropped before each
 * (when /proc/sys/vm/drop_caches is writable, else the case says "warm"),
 * read() of the baseline file and a restore (hub_ckpt_latest,
 * hub_ckpt_read of every tensor, hub_ckpt_read_end); then memcpy of every
 * tensor (the baseline of the staging copy), an asynchronous checkpoint
 * (HUB_CKPT_ASYNC: the tensors are copied) and one without the
 * copy (HUB_CKPT_ASYNC_NOCOPY: the tensors must stay unchanged until
 * hub_ckpt_wait), whose stalls are begin..commit. Restored bytes are
 * compared with the saved ones before anything is timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "hubjob.h"

#define BENCH "ckpt"
#define NTENSORS 16
#define MAX_REPEATS 64

static hub_ctx_t *ctx;
static float *tensors[NTENSORS], *restored[NTENSORS];
static uint64_t elems; /* per tensor */
static char dir[4096], base_file[4200];
static bool cold;

static double tensor_bytes(void)
{
    return (double)elems * sizeof(float);
}

static void fill(void)
{
    uint64_t x = 88172645463325252ull;

    for (int k = 0; k < NTENSORS; k++) {
        if (!(tensors[k] = malloc(elems * sizeof(float))) ||
            !(restored[k] = malloc(elems * sizeof(float))))
            hub_bench_fail(BENCH, "out of memory");
        uint32_t *w = (uint32_t *)tensors[k];
        for (uint64_t i = 0; i < elems; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            w[i] = (uint32_t)x;
        }
        memset(restored[k], 0, elems * sizeof(float));
    }
}

static void drop_caches(void)
{
    int fd;

    sync();
    fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    cold = fd >= 0 && write(fd, "3\n", 2) == 2;
    if (fd >= 0)
        close(fd);
}

static void must(int rc, const char *what)
{
    if (rc < 0)
        hub_bench_fail(BENCH, "%s: %s", what, hub_job_error(ctx));
}

/* A checkpoint of every tensor; its begin..commit seconds. */
static double save(int64_t step, int flags)
{
    uint64_t dims[1] = {elems};
    double t0 = hub_bench_now();

    must(hub_ckpt_begin(ctx, step, flags), "begin");
    for (int k = 0; k < NTENSORS; k++) {
        char name[32];
        snprintf(name, sizeof(name), "layer%02d/w", k);
        must(hub_ckpt_add(ctx, name, tensors[k], HUB_DTYPE_FLOAT32, 1, dims,
                          HUB_SHARD_DIM0),
             "add");
    }
    must(hub_ckpt_commit(ctx), "commit");
    return hub_bench_now() - t0;
}

/* The restore: hub_ckpt_latest, every tensor read back, and
 * hub_ckpt_read_end; seconds. */
static double restore(int64_t want)
{
    uint64_t dims[1] = {elems};
    int64_t step = -1;
    double t0 = hub_bench_now();

    must(hub_ckpt_latest(ctx, &step), "latest");
    if (step != want)
        hub_bench_fail(BENCH, "restored step %lld, not %lld", (long long)step,
                       (long long)want);
    for (int k = 0; k < NTENSORS; k++) {
        char name[32];
        snprintf(name, sizeof(name), "layer%02d/w", k);
        must(hub_ckpt_read(ctx, step, name, restored[k], HUB_DTYPE_FLOAT32, 1,
                           dims),
             "read");
    }
    must(hub_ckpt_read_end(ctx, step), "read end");
    return hub_bench_now() - t0;
}

static void check_restored(int64_t step)
{
    for (int k = 0; k < NTENSORS; k++)
        memset(restored[k], 0, elems * sizeof(float));
    restore(step);
    for (int k = 0; k < NTENSORS; k++)
        if (memcmp(tensors[k], restored[k], elems * sizeof(float)) != 0)
            hub_bench_fail(BENCH, "tensor %d of step %lld differs", k,
                           (long long)step);
}

/* The baseline: every tensor write()n to one file, then fsync. */
static double plain_write(void)
{
    double t0 = hub_bench_now();
    int fd = open(base_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd < 0)
        hub_bench_fail(BENCH, "%s: %s", base_file, strerror(errno));
    for (int k = 0; k < NTENSORS; k++)
        for (size_t done = 0; done < tensor_bytes();) {
            ssize_t n = write(fd, (char *)tensors[k] + done,
                              (size_t)tensor_bytes() - done);
            if (n <= 0)
                hub_bench_fail(BENCH, "write: %s", strerror(errno));
            done += (size_t)n;
        }
    if (fsync(fd) < 0 || close(fd) < 0)
        hub_bench_fail(BENCH, "fsync: %s", strerror(errno));
    return hub_bench_now() - t0;
}

static double plain_read(void)
{
    double t0 = hub_bench_now();
    int fd = open(base_file, O_RDONLY);

    if (fd < 0)
        hub_bench_fail(BENCH, "%s: %s", base_file, strerror(errno));
    for (int k = 0; k < NTENSORS; k++)
        for (size_t done = 0; done < tensor_bytes();) {
            ssize_t n = read(fd, (char *)restored[k] + done,
                             (size_t)tensor_bytes() - done);
            if (n <= 0)
                hub_bench_fail(BENCH, "read: %s", strerror(errno));
            done += (size_t)n;
        }
    close(fd);
    return hub_bench_now() - t0;
}

/* Samples of one repeat: seconds. */
struct sample {
    double ckpt_w, base_w, ckpt_r, base_r, stall, async_total, stall_nocopy;
    double copy; /* memcpy of the same tensors: the staging baseline */
};

/* An asynchronous checkpoint with flags: its stall (begin..commit); the
 * seconds until it is durable into *total when total is not NULL. */
static double save_async(int64_t step, int flags, double *total)
{
    double t0 = hub_bench_now(), stall = save(step, flags);

    must(hub_ckpt_wait(ctx), "wait");
    if (total)
        *total = hub_bench_now() - t0;
    return stall;
}

/* One memcpy per tensor into the (warm) restore buffers, as a program
 * would stage its state by hand: the baseline of the async copy. */
static double plain_copy(void)
{
    double t0 = hub_bench_now();

    for (int k = 0; k < NTENSORS; k++)
        memcpy(restored[k], tensors[k], elems * sizeof(float));
    return hub_bench_now() - t0;
}

static void measure(int64_t step, struct sample *s, bool ckpt_first)
{
    if (ckpt_first)
        s->ckpt_w = save(step, 0);
    s->base_w = plain_write();
    if (!ckpt_first)
        s->ckpt_w = save(step, 0);
    drop_caches();
    s->base_r = plain_read();
    drop_caches();
    s->ckpt_r = restore(step);
    unlink(base_file);
    s->copy = plain_copy();
    s->stall = save_async(step + 1, HUB_CKPT_ASYNC, &s->async_total);
    s->stall_nocopy = save_async(step + 2, HUB_CKPT_ASYNC_NOCOPY, NULL);
}

static void report_bw(const char *name, double *ours, double *base, int n,
                      const char *base_name)
{
    double total = NTENSORS * tensor_bytes();
    double bw[MAX_REPEATS], bbw[MAX_REPEATS];

    for (int i = 0; i < n; i++) {
        bw[i] = total / ours[i] / 1e9;
        bbw[i] = total / base[i] / 1e9;
    }
    hub_bench_case_t c = {.bench = BENCH,
                          .name = name,
                          .unit = "GB/s",
                          .higher_better = true,
                          .has_baseline = true,
                          .baseline_name = base_name};
    hub_bench_summarise(bw, n, &c.stats);
    hub_bench_summarise(bbw, n, &c.baseline);
    hub_bench_report(&c);
}

static void report_ratio(const char *name, double *num, double *den, int n,
                         bool higher_better, double target)
{
    double r[MAX_REPEATS];

    for (int i = 0; i < n; i++)
        r[i] = num[i] / den[i];
    hub_bench_case_t c = {.bench = BENCH,
                          .name = name,
                          .unit = "x",
                          .higher_better = higher_better,
                          .target = target};
    hub_bench_summarise(r, n, &c.stats);
    hub_bench_report(&c);
}

static void report(const struct sample *s, int n)
{
    double cw[MAX_REPEATS], bw[MAX_REPEATS], cr[MAX_REPEATS], br[MAX_REPEATS],
        st[MAX_REPEATS], at[MAX_REPEATS], sn[MAX_REPEATS], cp[MAX_REPEATS];
    char name[4][96];
    const char *temp = cold ? "cold" : "warm";
    int mib = (int)(NTENSORS * tensor_bytes() / (1 << 20));

    for (int i = 0; i < n; i++) {
        cw[i] = s[i].ckpt_w, bw[i] = s[i].base_w, cr[i] = s[i].ckpt_r;
        br[i] = s[i].base_r, st[i] = s[i].stall, at[i] = s[i].async_total;
        sn[i] = s[i].stall_nocopy, cp[i] = s[i].copy;
    }
    snprintf(name[0], sizeof(name[0]), "sync save %d MiB, 1 rank", mib);
    snprintf(name[1], sizeof(name[1]), "restore %d MiB, 1 rank, %s", mib, temp);
    snprintf(name[2], sizeof(name[2]), "async %d MiB: stall / sync save", mib);
    snprintf(name[3], sizeof(name[3]), "async nocopy %d MiB: stall / sync save",
             mib);
    report_bw(name[0], cw, bw, n, "write()+fsync");
    report_bw(name[1], cr, br, n, "read()");
    /* bandwidth ratio = baseline seconds / our seconds */
    report_ratio("save bandwidth / write()+fsync", bw, cw, n, true, 0.8);
    report_ratio("restore bandwidth / read()", br, cr, n, true, 0.8);
    report_ratio(name[2], st, cw, n, false, 0.1);
    report_ratio(name[3], sn, cw, n, false, 0.1);
    report_bw("async save until durable", at, bw, n, "write()+fsync");
    report_bw("async stall as copy bandwidth", st, cp, n, "memcpy");
}

int main(int argc, char **argv)
{
    struct sample s[MAX_REPEATS];
    const char *d = getenv("HUB_BENCH_DIR");
    int repeats;

    hub_bench_init(argc, argv);
    repeats = hub_bench_repeats(5);
    repeats = repeats > MAX_REPEATS ? MAX_REPEATS : repeats;
    elems = (hub_bench_smoke() ? (8u << 20) : (1u << 30)) / NTENSORS /
            sizeof(float);
    snprintf(dir, sizeof(dir), "%s/bench-ckpt.%d", d ? d : ".", (int)getpid());
    if (mkdir(dir, 0755) < 0)
        hub_bench_fail(BENCH, "%s: %s", dir, strerror(errno));
    snprintf(base_file, sizeof(base_file), "%s/job.h5", dir);
    setenv("HUB_JOB_FILE", base_file, 1);
    snprintf(base_file, sizeof(base_file), "%s/baseline.bin", dir);
    setenv("HUB_CKPT_DIR", dir, 1);
    setenv("HUB_CKPT_KEEP", "2", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0); /* singleton init as root */
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    if (hub_job_init(&ctx, &argc, &argv) < 0)
        return 1;
    fill();
    /* Correctness first (and the async buffers allocated once). */
    save(1, 0);
    check_restored(1);
    save_async(2, HUB_CKPT_ASYNC, NULL);
    check_restored(2);
    save_async(3, HUB_CKPT_ASYNC_NOCOPY, NULL);
    check_restored(3);
    for (int i = 0; i < repeats; i++)
        measure(10 + 3 * i, &s[i], i % 2 == 0);
    report(s, repeats);
    hub_job_finalize(ctx);
    char cmd[4300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

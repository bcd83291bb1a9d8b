/* test_hubjob_metrics.c - libhubjob at one rank (MPI as a singleton):
 * MFU against a hand-computed value with the step clock replaced
 * (metrics_set_clock), the job file's /metrics, /events and /summary,
 * goodput and work lost across a restart, the progress record, and the
 * refusals (another job's file, a step ended before it began). */
#include "cmocka_all.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "h5util.h"
#include "hubjob.h"

static char dir[] = "/tmp/hub-test-metrics.XXXXXX";
static double fake_t;

static double fake_now(void)
{
    return fake_t;
}

/* Init with the job file dir/name and the fake clock at 1000 s. */
static hub_ctx_t *start(const char *name)
{
    char path[256];
    hub_ctx_t *ctx = NULL;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    setenv("HUB_JOB_FILE", path, 1);
    assert_int_equal(hub_job_init(&ctx, NULL, NULL), 0);
    fake_t = 1000;
    metrics_set_clock(ctx, fake_now);
    return ctx;
}

/* Steps first..last: `busy` seconds each, `gap` seconds between. */
static void run_steps(hub_ctx_t *ctx, int64_t first, int64_t last, double busy,
                      double gap)
{
    for (int64_t s = first; s <= last; s++) {
        assert_int_equal(hub_step_begin(ctx, s), 0);
        fake_t += busy;
        assert_int_equal(hub_step_end(ctx, 16384, 2.5), 0);
        fake_t += gap;
    }
}

static hid_t open_file(const char *name)
{
    char path[256];
    hid_t f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    return f;
}

static double summary(hid_t f, const char *attr)
{
    hid_t g = H5Gopen2(f, "summary", H5P_DEFAULT);
    double v = NAN;

    assert_true(g >= 0);
    assert_int_equal(h5u_read_attr_double(g, attr, &v, NULL), 0);
    H5Gclose(g);
    return v;
}

/* The columns of /events a test looks at. */
typedef struct ev {
    char name[32];
    int64_t step;
    int32_t run;
    char detail[256];
} ev_t;

/* Index of the n-th (from 0) event called name, its row in *out; -1. */
static int find_event(hid_t f, const char *name, int n, ev_t *out)
{
    hid_t d = H5Dopen2(f, "events", H5P_DEFAULT);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ev_t));
    hid_t s32 = h5u_str_type(32), s256 = h5u_str_type(256);
    uint64_t rows = h5u_table_rows(d);
    int found = -1;

    H5Tinsert(t, "name", HOFFSET(ev_t, name), s32);
    H5Tinsert(t, "step", HOFFSET(ev_t, step), H5T_NATIVE_INT64);
    H5Tinsert(t, "run", HOFFSET(ev_t, run), H5T_NATIVE_INT32);
    H5Tinsert(t, "detail", HOFFSET(ev_t, detail), s256);
    for (uint64_t i = 0; i < rows && found < 0; i++) {
        assert_int_equal(h5u_table_read(d, t, i, 1, out, NULL), 0);
        if (strcmp(out->name, name) == 0 && n-- == 0)
            found = (int)i;
    }
    H5Tclose(s32), H5Tclose(s256), H5Tclose(t), H5Dclose(d);
    return found;
}

static char *slurp(const char *name, char *buf, size_t size)
{
    char path[256];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "r"));
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_mfu_equals_the_hand_computed_value(void **state)
{
    /* GPT-2 small on 4 A100s (312 TFLOP/s BF16 each): 16384 tokens in a
     * 2-s step make 857246208 x 16384 / 2 FLOP/s of 4 x 312e12. */
    const double want = 857246208.0 * 16384 / 2.0 / (4 * 312e12);
    hub_model_t m = {.params = 124e6,
                     .layers = 12,
                     .heads = 12,
                     .head_dim = 64,
                     .seq_len = 1024,
                     .name = "gpt2"};
    hub_ctx_t *ctx;
    hub_stats_t st;
    double mfu = 0;
    hid_t f, d, t;

    setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3", 1);
    setenv("HUB_GPU_PEAK_TFLOPS_BF16", "312", 1);
    ctx = start("mfu.h5");
    assert_float_equal(hub_job_peak_flops(ctx), 4 * 312e12, 1);
    assert_int_equal(hub_job_gpus(ctx), 4);
    assert_int_equal(hub_job_set_model(ctx, &m), 0);
    run_steps(ctx, 0, 2, 2.0, 0.0);
    assert_int_equal(hub_job_stats(ctx, &st), 0);
    assert_int_equal(st.steps, 3);
    assert_int_equal(st.last_step, 2);
    assert_float_equal(st.last_step_s, 2.0, 1e-12);
    assert_float_equal(st.mfu, want, want * 1e-9);
    assert_float_equal(st.mean_mfu, want, want * 1e-9);
    assert_float_equal(st.tokens_per_s, 8192, 1e-6);
    assert_int_equal(hub_job_finalize(ctx), 0);
    unsetenv("CUDA_VISIBLE_DEVICES");
    unsetenv("HUB_GPU_PEAK_TFLOPS_BF16");

    f = open_file("mfu.h5");
    d = H5Dopen2(f, "metrics", H5P_DEFAULT);
    assert_int_equal(h5u_table_rows(d), 3);
    t = H5Tcreate(H5T_COMPOUND, sizeof(double));
    H5Tinsert(t, "mfu", 0, H5T_NATIVE_DOUBLE);
    assert_int_equal(h5u_table_read(d, t, 2, 1, &mfu, NULL), 0);
    assert_float_equal(mfu, want, want * 1e-9);
    assert_float_equal(summary(f, "median_mfu"), want, want * 1e-6);
    H5Tclose(t), H5Dclose(d), H5Fclose(f);
}

static void test_goodput_is_step_time_over_wall_time(void **state)
{
    hub_ctx_t *ctx = start("goodput.h5");
    hid_t f;

    /* 10 steps of 1 s, 0.5 s between: 10 s of steps in 14.5 s. */
    run_steps(ctx, 0, 9, 1.0, 0.5);
    fake_t -= 0.5;
    assert_int_equal(hub_job_finalize(ctx), 0);
    f = open_file("goodput.h5");
    assert_float_equal(summary(f, "step_time_s"), 10, 1e-9);
    assert_float_equal(summary(f, "goodput"), 10 / 14.5, 0.01);
    assert_float_equal(summary(f, "lost_time_s"), 0, 0);
    H5Fclose(f);
}

static void test_restart_appends_and_counts_lost_work(void **state)
{
    hub_ctx_t *ctx = start("restart.h5");
    char text[1024];
    ev_t ev;
    hid_t f;

    run_steps(ctx, 0, 9, 1.0, 0.0);
    metrics_ckpt_committed(ctx, 5, 0.25);
    assert_int_equal(hub_job_finalize(ctx), 0);

    setenv("HUB_RESTART_COUNT", "1", 1);
    ctx = start("restart.h5");
    unsetenv("HUB_RESTART_COUNT");
    assert_int_equal(hub_job_restart_count(ctx), 1);
    assert_int_equal(ctx->prev_last_step, 9);
    metrics_resumed(ctx, 6);
    run_steps(ctx, 6, 11, 1.0, 0.0);
    assert_int_equal(hub_job_finalize(ctx), 0);

    f = open_file("restart.h5");
    assert_float_equal(summary(f, "step_time_s"), 16, 1e-9);
    assert_float_equal(summary(f, "lost_time_s"), 4, 1e-9); /* 6..9 */
    assert_true(find_event(f, "start", 1, &ev) >= 0);
    assert_int_equal(ev.run, 1);
    assert_true(find_event(f, "resume", 0, &ev) >= 0);
    assert_int_equal(ev.step, 6);
    assert_int_equal(ev.run, 1);
    assert_non_null(strstr(ev.detail, "redo_steps=4"));
    assert_true(find_event(f, "ckpt_commit", 0, &ev) >= 0);
    assert_int_equal(ev.step, 5);
    H5Fclose(f);
    slurp("restart.h5.progress", text, sizeof(text));
    assert_non_null(strstr(text, "\nstep=11\n"));
    assert_non_null(strstr(text, "\nrestarts=1\n"));
    assert_non_null(strstr(text, "\nckpt_step=6\n"));
    assert_non_null(strstr(text, "\nstate=finished\n"));

    /* Run again without a restart count: the file says it is the third. */
    ctx = start("restart.h5");
    assert_int_equal(hub_job_restart_count(ctx), 2);
    assert_int_equal(hub_job_finalize(ctx), 0);
}

static void test_progress_record_has_the_eta(void **state)
{
    hub_ctx_t *ctx;
    char text[1024];

    setenv("HUB_TOTAL_STEPS", "100", 1);
    ctx = start("eta.h5");
    run_steps(ctx, 0, 9, 2.0, 0.0); /* every step flushes: 2 s >= 1 s */
    slurp("eta.h5.progress", text, sizeof(text));
    assert_non_null(strstr(text, "\nstep=9\n"));
    assert_non_null(strstr(text, "\neta_s=180.0\n"));
    assert_non_null(strstr(text, "\ntotal_steps=100\n"));
    assert_non_null(strstr(text, "\nstate=running\n"));
    assert_non_null(strstr(text, "\nrestarts=0\n"));
    assert_int_equal(hub_job_finalize(ctx), 0);
    unsetenv("HUB_TOTAL_STEPS");
}

static void test_events_from_program_and_launcher(void **state)
{
    hub_ctx_t *ctx;
    ev_t ev;
    hid_t f;

    setenv("HUB_LAUNCH_TIMINGS", "detect=0.8,relaunch=0.5", 1);
    ctx = start("events.h5");
    unsetenv("HUB_LAUNCH_TIMINGS");
    assert_int_equal(hub_job_event(ctx, "ckpt_loaded", 1.5, "from disk"), 0);
    assert_int_equal(hub_job_event(ctx, "", 0, NULL), -EINVAL);
    assert_int_equal(hub_job_finalize(ctx), 0);
    f = open_file("events.h5");
    assert_true(find_event(f, "detect", 0, &ev) >= 0);
    assert_true(find_event(f, "relaunch", 0, &ev) >= 0);
    assert_true(find_event(f, "ckpt_loaded", 0, &ev) >= 0);
    assert_string_equal(ev.detail, "from disk");
    assert_true(find_event(f, "end", 0, &ev) >= 0);
    H5Fclose(f);
}

static void test_refuses_another_jobs_file(void **state)
{
    hub_ctx_t *ctx = start("other.h5");
    char path[256];

    assert_int_equal(hub_job_finalize(ctx), 0);
    setenv("HUB_JOB_ID", "77", 1);
    snprintf(path, sizeof(path), "%s/other.h5", dir);
    setenv("HUB_JOB_FILE", path, 1);
    assert_int_equal(hub_job_init(&ctx, NULL, NULL), -EEXIST);
    assert_null(ctx);
    unsetenv("HUB_JOB_ID");
}

static void test_unreadable_file_is_moved_aside(void **state)
{
    char path[256], cmd[512];
    hub_ctx_t *ctx;
    FILE *f;

    snprintf(path, sizeof(path), "%s/torn.h5", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("not an HDF5 file", f);
    fclose(f);
    ctx = start("torn.h5");
    assert_int_equal(hub_job_restart_count(ctx), 0);
    assert_int_equal(hub_job_finalize(ctx), 0);
    snprintf(cmd, sizeof(cmd), "ls %s/torn.h5.corrupt-* >/dev/null", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_misuse_is_refused(void **state)
{
    hub_model_t bad = {.params = -1};
    hub_ctx_t *ctx = start("misuse.h5");

    assert_int_equal(hub_step_end(ctx, 1, 0), -EINVAL);
    assert_non_null(strstr(hub_job_error(ctx), "hub_step_begin"));
    assert_int_equal(hub_job_set_model(ctx, &bad), -EINVAL);
    assert_int_equal(hub_job_init(NULL, NULL, NULL), -EINVAL);
    assert_int_equal(hub_job_finalize(ctx), 0);
}

static int setup(void **state)
{
    static const char *const clear[] = {
        "HUB_JOB_ID",          "SLURM_JOB_ID",         "HUB_RESTART_COUNT",
        "SLURM_RESTART_COUNT", "CUDA_VISIBLE_DEVICES", "HUB_GPUS",
        "HUB_PRECISION",       "HUB_PROGRESS_FILE",    "HUB_TOTAL_STEPS",
        "HUB_LAUNCH_TIMINGS",  "HUB_FLUSH_SECONDS",    NULL};

    for (int i = 0; clear[i]; i++)
        unsetenv(clear[i]);
    setenv("HUB_CPU_PEAK_FLOPS", "1e9", 1);
    setenv("HUB_FLUSH_STEPS", "1", 1);
    setenv("HUB_COMM", "mpi", 1);
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return -1;
    return MPI_Init(NULL, NULL) == MPI_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[256];

    MPI_Finalize();
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mfu_equals_the_hand_computed_value),
        cmocka_unit_test(test_goodput_is_step_time_over_wall_time),
        cmocka_unit_test(test_restart_appends_and_counts_lost_work),
        cmocka_unit_test(test_progress_record_has_the_eta),
        cmocka_unit_test(test_events_from_program_and_launcher),
        cmocka_unit_test(test_refuses_another_jobs_file),
        cmocka_unit_test(test_unreadable_file_is_moved_aside),
        cmocka_unit_test(test_misuse_is_refused),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

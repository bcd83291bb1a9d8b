/* test_hubjob_env.c - libhubjob's pure parts: the allocation read from
 * HUB_*, Slurm and Open MPI/PMIx variables (env_read), dtype sizes, the
 * PaLM model-FLOPs formula, the progress record's format and the CPU
 * peak's cache and core count. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpupeak.h"
#include "env.h"
#include "hubjob.h"
#include "progress.h"

/* The fake environment: NULL-terminated name, value pairs. */
static const char *const *fake_env;

static const char *fake_get(const char *name)
{
    for (const char *const *p = fake_env; p && *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static env_alloc_t read_ok(const char *const *vars)
{
    hub_error_t err = {{0}};
    env_alloc_t a;

    fake_env = vars;
    assert_int_equal(env_read(&a, fake_get, &err), 0);
    return a;
}

static void test_env_hub_variables_win_over_slurm_and_ompi(void **state)
{
    const char *vars[] = {"HUB_RANK",
                          "3",
                          "OMPI_COMM_WORLD_RANK",
                          "1",
                          "SLURM_PROCID",
                          "2",
                          "HUB_WORLD_SIZE",
                          "8",
                          "SLURM_NTASKS",
                          "4",
                          "HUB_JOB_ID",
                          "12",
                          "SLURM_JOB_ID",
                          "99",
                          "HUB_RESTART_COUNT",
                          "2",
                          "SLURM_RESTART_COUNT",
                          "5",
                          "HUB_NODE",
                          "gs-n001",
                          "SLURMD_NODENAME",
                          "other",
                          NULL};
    env_alloc_t a = read_ok(vars);

    assert_int_equal(a.rank, 3);
    assert_int_equal(a.world, 8);
    assert_string_equal(a.job_id, "12");
    assert_int_equal(a.restart_count, 2);
    assert_string_equal(a.node, "gs-n001");
    assert_string_equal(a.ckpt_dir, "./ckpt-12");
    assert_string_equal(a.job_file, "./hubjob-12.h5");
}

static void test_env_slurm_alone(void **state)
{
    const char *vars[] = {"SLURM_PROCID",
                          "5",
                          "SLURM_NTASKS",
                          "16",
                          "SLURM_LOCALID",
                          "1",
                          "SLURM_JOB_ID",
                          "4242",
                          "SLURM_RESTART_COUNT",
                          "1",
                          "SLURMD_NODENAME",
                          "n7",
                          NULL};
    env_alloc_t a = read_ok(vars);

    assert_int_equal(a.rank, 5);
    assert_int_equal(a.world, 16);
    assert_int_equal(a.local_rank, 1);
    assert_int_equal(a.local_world, -1);
    assert_string_equal(a.job_id, "4242");
    assert_int_equal(a.restart_count, 1);
    assert_string_equal(a.node, "n7");
    assert_string_equal(a.job_file, "./hubjob-4242.h5");
}

static void test_env_ompi_and_pmix(void **state)
{
    const char *ompi[] = {"OMPI_COMM_WORLD_RANK",
                          "2",
                          "OMPI_COMM_WORLD_SIZE",
                          "4",
                          "OMPI_COMM_WORLD_LOCAL_RANK",
                          "0",
                          "OMPI_COMM_WORLD_LOCAL_SIZE",
                          "2",
                          "PMIX_RANK",
                          "3",
                          NULL};
    const char *pmix[] = {"PMIX_RANK", "3", NULL};
    env_alloc_t a = read_ok(ompi);

    assert_int_equal(a.rank, 2);
    assert_int_equal(a.world, 4);
    assert_int_equal(a.local_rank, 0);
    assert_int_equal(a.local_world, 2);
    a = read_ok(pmix);
    assert_int_equal(a.rank, 3);
    assert_int_equal(a.world, -1);
}

static void test_env_defaults_outside_a_job(void **state)
{
    const char *vars[] = {NULL};
    char host[64] = "";
    env_alloc_t a = read_ok(vars);

    gethostname(host, sizeof(host) - 1);
    assert_int_equal(a.rank, -1);
    assert_int_equal(a.restart_count, 0);
    assert_string_equal(a.job_id, "");
    assert_string_equal(a.node, host);
    assert_string_equal(a.ckpt_dir, "./ckpt");
    assert_string_equal(a.job_file, "./hubjob.h5");
    assert_int_equal(a.ngpus, 0);
    assert_string_equal(a.precision, "fp32");
}

static void test_env_paths_from_variables(void **state)
{
    const char *vars[] = {"HUB_CKPT_DIR", "/scratch/ck", "HUB_METRICS_FILE",
                          "/scratch/m.h5", NULL};
    const char *both[] = {"HUB_JOB_FILE", "/a.h5", "HUB_METRICS_FILE", "/b.h5",
                          NULL};
    env_alloc_t a = read_ok(vars);

    assert_string_equal(a.ckpt_dir, "/scratch/ck");
    assert_string_equal(a.job_file, "/scratch/m.h5");
    a = read_ok(both);
    assert_string_equal(a.job_file, "/a.h5");
}

static void test_env_counts_visible_gpus(void **state)
{
    const char *four[] = {"CUDA_VISIBLE_DEVICES", "0,1,2,3", NULL};
    const char *none[] = {"CUDA_VISIBLE_DEVICES", "-1", "HUB_GPUS", "0,1",
                          NULL};
    const char *hub[] = {"HUB_GPUS", "4,5", NULL};
    env_alloc_t a = read_ok(four), b;

    assert_int_equal(a.ngpus, 4);
    assert_string_equal(a.precision, "bf16");
    assert_int_equal(read_ok(none).ngpus, 0);
    b = read_ok(hub);
    assert_int_equal(b.ngpus, 2);
    assert_true(a.gpu_set_hash != b.gpu_set_hash);
}

static void test_env_gpu_peaks_at_the_precision(void **state)
{
    const char *bf16[] = {"CUDA_VISIBLE_DEVICES",
                          "0,1",
                          "HUB_GPU_PEAK_TFLOPS_BF16",
                          "989.4",
                          "HUB_PEAK_FLOPS_BF16",
                          "1978800000000000",
                          "HUB_GPU_TYPE",
                          "H100",
                          NULL};
    const char *fp16[] = {"CUDA_VISIBLE_DEVICES",
                          "0",
                          "HUB_PRECISION",
                          "fp16",
                          "HUB_GPU_PEAK_TFLOPS_BF16",
                          "312",
                          NULL};
    const char *fp32[] = {"CUDA_VISIBLE_DEVICES",
                          "0",
                          "HUB_PRECISION",
                          "fp32",
                          "HUB_GPU_PEAK_TFLOPS_BF16",
                          "312",
                          "HUB_GPU_PEAK_TFLOPS_FP32",
                          "19.5",
                          NULL};
    env_alloc_t a = read_ok(bf16);

    assert_float_equal(a.gpu_peak_flops, 989.4e12, 1);
    assert_float_equal(a.node_peak_flops, 1978.8e12, 1);
    assert_string_equal(a.gpu_type, "H100");
    assert_float_equal(read_ok(fp16).gpu_peak_flops, 312e12, 1);
    assert_float_equal(read_ok(fp32).gpu_peak_flops, 19.5e12, 1);
}

static void test_env_rejects_bad_values(void **state)
{
    const char *prec[] = {"HUB_PRECISION", "fp8", NULL};
    const char *rank[] = {"SLURM_PROCID", "x1", NULL};
    const char *peak[] = {"HUB_CPU_PEAK_FLOPS", "-3", NULL};
    hub_error_t err = {{0}};
    env_alloc_t a;

    fake_env = prec;
    assert_int_equal(env_read(&a, fake_get, &err), -EINVAL);
    assert_non_null(strstr(err.text, "HUB_PRECISION"));
    fake_env = rank;
    assert_int_equal(env_read(&a, fake_get, &err), -EINVAL);
    assert_non_null(strstr(err.text, "SLURM_PROCID"));
    fake_env = peak;
    assert_int_equal(env_read(&a, fake_get, &err), -EINVAL);
    assert_non_null(strstr(err.text, "HUB_CPU_PEAK_FLOPS"));
}

static void test_dtype_sizes(void **state)
{
    assert_int_equal(hub_dtype_size(HUB_DTYPE_FLOAT32), 4);
    assert_int_equal(hub_dtype_size(HUB_DTYPE_BFLOAT16), 2);
    assert_int_equal(hub_dtype_size(HUB_DTYPE_FLOAT16), 2);
    assert_int_equal(hub_dtype_size(HUB_DTYPE_FLOAT64), 8);
    assert_int_equal(hub_dtype_size(HUB_DTYPE_INT32), 4);
    assert_int_equal(hub_dtype_size(HUB_DTYPE_INT64), 8);
    assert_int_equal(hub_dtype_size(HUB_DTYPE_UINT8), 1);
    assert_int_equal(hub_dtype_size((hub_dtype_t)99), 0);
}

static void test_model_flops_follow_palm(void **state)
{
    /* GPT-2 small: 6 x 124e6 + 12 x 12 x 12 x 64 x 1024. */
    hub_model_t m = {.params = 124e6,
                     .layers = 12,
                     .heads = 12,
                     .head_dim = 64,
                     .seq_len = 1024};

    assert_float_equal(hub_model_flops_per_token(&m), 857246208.0, 0.5);
    m.flops_per_token = 1e9;
    assert_float_equal(hub_model_flops_per_token(&m), 1e9, 0);
    assert_float_equal(hub_model_flops_per_token(NULL), 0, 0);
}

static void test_progress_record_format(void **state)
{
    char dir[] = "/tmp/hub-test-progress.XXXXXX", path[256], text[1024];
    progress_rec_t r = {.job_id = "12",
                        .step = 99,
                        .time_s = 1700000000.5,
                        .mfu = 0.4125,
                        .tokens_per_s = 5000,
                        .restarts = 1,
                        .ckpt_step = 90,
                        .total_steps = 200,
                        .eta_s = 100};
    hub_error_t err = {{0}};
    FILE *f;
    size_t n;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/p", dir);
    assert_int_equal(progress_write(path, &r, &err), 0);
    assert_non_null(f = fopen(path, "r"));
    n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "version=1\njob_id=12\n"));
    assert_non_null(strstr(text, "\nstep=99\ntime=1700000000.500\n"
                                 "mfu=0.412500\ntokens_per_s=5000.0\n"
                                 "restarts=1\nckpt_step=90\n"
                                 "total_steps=200\neta_s=100.0\n"
                                 "state=running\n"));
    snprintf(text, sizeof(text), "%s.tmp", path);
    assert_int_not_equal(access(text, F_OK), 0); /* renamed away */
    unlink(path);
    snprintf(path, sizeof(path), "%s/missing/p", dir);
    assert_int_equal(progress_write(path, &r, &err), -ENOENT);
    rmdir(dir);
}

static void test_cpu_peak_cache_and_cores(void **state)
{
    char dir[] = "/tmp/hub-test-cpupeak.XXXXXX", path[256];
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cache.txt", dir);
    assert_non_null(f = fopen(path, "w"));
    fprintf(f, "fp32_core_flops=1.25e+11\nisa=avx2\n");
    fclose(f);
    assert_float_equal(cpupeak_core_flops("n", path), 1.25e11, 1);
    unlink(path);
    /* Measured then cached: the second call reads what the first wrote. */
    double v = cpupeak_core_flops("n", path);
    assert_true(v > 1e8);
    assert_float_equal(cpupeak_core_flops("n", path), v, v * 1e-6);
    unlink(path);
    rmdir(dir);
    setenv("OMP_NUM_THREADS", "1", 1);
    assert_int_equal(cpupeak_rank_cores(), 1);
    unsetenv("OMP_NUM_THREADS");
    assert_true(cpupeak_rank_cores() >= 1);
}

static void test_cpu_peak_measures_a_known_kernel(void **state)
{
    const char *isa = NULL;
    double v = cpupeak_measure(&isa);

    assert_non_null(isa);
    assert_true(v > 1e8 && v < 1e13); /* 0.1 GFLOP/s .. 10 TFLOP/s a core */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_hub_variables_win_over_slurm_and_ompi),
        cmocka_unit_test(test_env_slurm_alone),
        cmocka_unit_test(test_env_ompi_and_pmix),
        cmocka_unit_test(test_env_defaults_outside_a_job),
        cmocka_unit_test(test_env_paths_from_variables),
        cmocka_unit_test(test_env_counts_visible_gpus),
        cmocka_unit_test(test_env_gpu_peaks_at_the_precision),
        cmocka_unit_test(test_env_rejects_bad_values),
        cmocka_unit_test(test_dtype_sizes),
        cmocka_unit_test(test_model_flops_follow_palm),
        cmocka_unit_test(test_progress_record_format),
        cmocka_unit_test(test_cpu_peak_cache_and_cores),
        cmocka_unit_test(test_cpu_peak_measures_a_known_kernel),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_spank_opts.c - the SPANK plugin's Slurm-free parts: the checks of
 * --hub* values (hubopt.c) and the choice of GPU type and its peak
 * variables (gpupeak.c). */
#include "cmocka_all.h"

#include <errno.h>
#include <string.h>

#include "gpupeak.h"
#include "hubopt.h"

static void test_hubopt_accepts_good_values(void **state)
{
    assert_int_equal(hubopt_check(HUBOPT_RESTARTS, "0", NULL), 0);
    assert_int_equal(hubopt_check(HUBOPT_RESTARTS, "1000", NULL), 0);
    assert_int_equal(hubopt_check(HUBOPT_HANG, "0", NULL), 0);
    assert_int_equal(hubopt_check(HUBOPT_PRECISION, "tf32", NULL), 0);
    assert_int_equal(hubopt_check(HUBOPT_CKPT, "ck/run 1", NULL), 0);
    assert_int_equal(hubopt_check(HUBOPT_GPU_TYPE, "h100-sxm_80.g", NULL), 0);
    assert_int_equal(hubopt_check(HUBOPT_ENABLE, NULL, NULL), 0);
}

static void test_hubopt_refuses_bad_values_with_reason(void **state)
{
    hub_error_t err;

    assert_int_equal(hubopt_check(HUBOPT_RESTARTS, "1001", &err), -EINVAL);
    assert_string_equal(err.text,
                        "--hub-restarts=1001: not a whole number from 0 to "
                        "1000");
    assert_int_equal(hubopt_check(HUBOPT_RESTARTS, "+3", NULL), -EINVAL);
    assert_int_equal(hubopt_check(HUBOPT_RESTARTS, "3s", NULL), -EINVAL);
    assert_int_equal(hubopt_check(HUBOPT_HANG, "", NULL), -EINVAL);
    assert_int_equal(hubopt_check(HUBOPT_SPARES, "99999999999999", NULL),
                     -EINVAL);
    assert_int_equal(hubopt_check(HUBOPT_PRECISION, "BF16", NULL), -EINVAL);
    assert_int_equal(hubopt_check(HUBOPT_METRICS, "a\nb", NULL), -EINVAL);
    assert_int_equal(hubopt_check(HUBOPT_GPU_TYPE, "h100;rm", NULL), -EINVAL);
}

static void test_hubopt_every_value_option_names_a_variable(void **state)
{
    for (int i = 0; i < HUBOPT_COUNT; i++) {
        const hubopt_desc_t *d = hubopt_desc((hubopt_id_t)i);
        assert_non_null(d->name);
        assert_true(strncmp(d->name, "hub", 3) == 0);
        if (d->arginfo)
            assert_non_null(d->env);
    }
}

static const char table[] =
    "GpuType=h100 PeakTFLOPS_BF16=989.4 PeakTFLOPS_FP32=66.9\n"
    "GpuType=a100 PeakTFLOPS_BF16=312\n"
    "NodeName=g1 Gres=gpu:a100:4\n";

static void test_gpupeak_resolution_order(void **state)
{
    hub_error_t err = {{0}};
    hub_conf_t *c = hub_conf_parse_string(table, "t.conf", &err);
    char *typed[] = {"SLURM_GPUS_PER_NODE=gpu:h100:2", "SLURMD_NODENAME=g1",
                     NULL};
    char *node[] = {"SLURM_GPUS_ON_NODE=1", "SLURMD_NODENAME=g1", NULL};
    char *none[] = {"SLURM_GPUS_ON_NODE=1", NULL};

    assert_non_null(c);
    assert_string_equal(gpupeak_resolve(c, "a100", NULL, typed, &err)->name,
                        "a100");
    assert_string_equal(gpupeak_resolve(c, NULL, NULL, typed, &err)->name,
                        "h100");
    assert_string_equal(gpupeak_resolve(c, NULL, "h100", node, &err)->name,
                        "a100");
    assert_string_equal(gpupeak_resolve(c, NULL, "h100", none, &err)->name,
                        "h100");
    assert_null(gpupeak_resolve(c, NULL, NULL, none, &err));
    assert_null(gpupeak_resolve(c, "v100", NULL, none, &err));
    assert_non_null(strstr(err.text, "'v100' is not a GpuType"));
    hub_conf_destroy(c);
}

static void test_gpupeak_vars_skip_unknown_precisions(void **state)
{
    hub_conf_gpu_type_t t = {
        .name = "h100", .peak_tflops_bf16 = 989.4, .peak_tflops_fp32 = 66.9};
    gpupeak_var_t v[GPUPEAK_VARS_MAX];
    char *gpus[] = {"SLURM_JOB_GPUS=0,1", NULL};
    char *cpus[] = {"SLURM_GPUS_ON_NODE=0", "SLURM_JOB_GPUS=0", NULL};

    assert_int_equal(gpupeak_vars(&t, v), 3);
    assert_string_equal(v[0].name, "HUB_GPU_TYPE");
    assert_string_equal(v[1].name, "HUB_GPU_PEAK_TFLOPS_BF16");
    assert_string_equal(v[1].value, "989.4");
    assert_string_equal(v[2].name, "HUB_GPU_PEAK_TFLOPS_FP32");
    assert_true(gpupeak_job_has_gpus(gpus));
    assert_false(gpupeak_job_has_gpus(cpus));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hubopt_accepts_good_values),
        cmocka_unit_test(test_hubopt_refuses_bad_values_with_reason),
        cmocka_unit_test(test_hubopt_every_value_option_names_a_variable),
        cmocka_unit_test(test_gpupeak_resolution_order),
        cmocka_unit_test(test_gpupeak_vars_skip_unknown_precisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

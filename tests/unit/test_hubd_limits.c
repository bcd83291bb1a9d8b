/* test_hubd_limits.c - the node agent's arithmetic: when a time limit's
 * --signal, SIGTERM and SIGKILL fall, what /proc/meminfo says, and what
 * resources an agent reports against hub.conf. */
#include "cmocka_all.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "hubd.h"
#include "units.h"

#define START_MS 1700000000000LL

static void test_limit_signal_before_term(void **state)
{
    hub_job_req_t req = {.time_limit_s = 600,
                         .signal_num = SIGUSR1,
                         .signal_secs = 60,
                         .signal_batch_only = true};
    limits_plan_t p;

    limits_plan(START_MS, &req, &p);
    assert_int_equal(p.term_at_ms, START_MS + 600000);
    assert_int_equal(p.signal_at_ms, START_MS + 540000);
    assert_int_equal(p.signal, SIGUSR1);
    assert_true(p.signal_batch_only);
}

static void test_limit_signal_longer_than_limit_fires_at_start(void **state)
{
    hub_job_req_t req = {
        .time_limit_s = 30, .signal_num = SIGUSR2, .signal_secs = 60};
    limits_plan_t p;

    limits_plan(START_MS, &req, &p);
    assert_int_equal(p.signal_at_ms, START_MS);
    assert_int_equal(p.term_at_ms, START_MS + 30000);
    assert_false(p.signal_batch_only);
}

static void test_limit_none_when_unlimited_or_unset(void **state)
{
    hub_job_req_t req = {.time_limit_s = HUB_DURATION_INFINITE,
                         .signal_num = SIGUSR1,
                         .signal_secs = 5};
    limits_plan_t p;

    limits_plan(START_MS, &req, &p);
    assert_int_equal(p.term_at_ms, 0);
    assert_int_equal(p.signal_at_ms, 0);
    req.time_limit_s = 0;
    limits_plan(START_MS, &req, &p);
    assert_int_equal(p.term_at_ms, 0);
}

static void test_limit_delays(void **state)
{
    assert_int_equal(limits_delay_ms(START_MS + 1500, START_MS), 1500);
    assert_int_equal(limits_delay_ms(START_MS - 10, START_MS), 0);
    assert_int_equal(limits_kill_wait_ms(30), 30000);
    assert_int_equal(limits_kill_wait_ms(-1), 0);
}

static void test_meminfo_parse(void **state)
{
    uint64_t mb = 0;

    assert_int_equal(disc_parse_meminfo("MemTotal:       24576000 kB\n"
                                        "MemFree:         1000 kB\n",
                                        &mb),
                     0);
    assert_int_equal(mb, 24000);
    assert_int_equal(
        disc_parse_meminfo("Cached: 5 kB\nMemTotal: 2048 kB\n", &mb), 0);
    assert_int_equal(mb, 2);
    assert_int_equal(disc_parse_meminfo("MemFree: 1 kB\n", &mb), -EINVAL);
    assert_int_equal(disc_parse_meminfo("MemTotal: lots\n", &mb), -EINVAL);
}

static hub_conf_node_t conf_node(void)
{
    hub_conf_node_t n = {.name = "n1",
                         .cpus = 8,
                         .real_memory_mb = 16000,
                         .gpus = 2,
                         .gpu_type_name = "h100"};
    return n;
}

static void test_report_conf_values_when_machine_is_bigger(void **state)
{
    hub_conf_node_t n = conf_node();
    disc_actual_t act = {.cpus = 64, .mem_mb = 512000, .gpus = -1};
    disc_res_t r;

    disc_decide(&n, &act, false, false, &r);
    assert_int_equal(r.cpus, 8);
    assert_int_equal(r.mem_mb, 16000);
    assert_int_equal(r.gpus, 2);
    assert_string_equal(r.gpu_source, "conf");
    assert_string_equal(r.gpu_type, "h100");
}

static void test_report_actual_when_machine_is_smaller(void **state)
{
    hub_conf_node_t n = conf_node();
    disc_actual_t act = {.cpus = 2, .mem_mb = 4000, .gpus = 1};
    disc_res_t r;

    disc_decide(&n, &act, false, false, &r);
    assert_int_equal(r.cpus, 2);
    assert_int_equal(r.mem_mb, 4000);
    assert_int_equal(r.gpus, 1);
    assert_string_equal(r.gpu_source, "nvml");
}

static void test_report_conf_values_when_overridden_or_fake(void **state)
{
    hub_conf_node_t n = conf_node();
    disc_actual_t act = {.cpus = 2, .mem_mb = 4000, .gpus = -1};
    disc_res_t r;

    disc_decide(&n, &act, true, true, &r);
    assert_int_equal(r.cpus, 8);
    assert_int_equal(r.mem_mb, 16000);
    assert_int_equal(r.gpus, 2);
    assert_string_equal(r.gpu_source, "fake");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_signal_before_term),
        cmocka_unit_test(test_limit_signal_longer_than_limit_fires_at_start),
        cmocka_unit_test(test_limit_none_when_unlimited_or_unset),
        cmocka_unit_test(test_limit_delays),
        cmocka_unit_test(test_meminfo_parse),
        cmocka_unit_test(test_report_conf_values_when_machine_is_bigger),
        cmocka_unit_test(test_report_actual_when_machine_is_smaller),
        cmocka_unit_test(test_report_conf_values_when_overridden_or_fake),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

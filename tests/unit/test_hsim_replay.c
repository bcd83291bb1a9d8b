/* test_hsim_replay.c - hsim replays of tiny SWF traces whose schedules are
 * worked out by hand, for FCFS without backfill and for EASY backfilling:
 * every job's start time, the waits and bounded slowdowns that follow,
 * time-outs at the requested time, and events of one second coalesced.
 *
 * The machine: 4 nodes of 1 CPU. The jobs (submit, processors, run time,
 * requested time):
 *   1: t=0,  2 procs, runs 150, asks 100  -> killed at its limit (TIMEOUT)
 *   2: t=0,  4 procs, runs 50,  asks 50
 *   3: t=10, 1 proc,  runs 20,  asks 20
 *   4: t=20, 2 procs, runs 200, asks 200
 *   5: t=40, 1 proc,  runs 50,  asks 60
 * FCFS: 1 at 0; 2 needs all 4 nodes, so waits for 1's end at 100; 3, 4
 * and 5 queue behind 2 and start together when 2 ends at 150.
 * EASY: 2 holds a reservation at 100 (1 ends by its limit then). 3 ends by
 * 30 <= 100 on the free nodes: it starts at 10. 4 would end after 100:
 * it waits until 2 ends at 150. 5 asks 60 s at t=40, ending by 100: it
 * backfills at 40.
 */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsim.h"

static const char tiny_swf[] =
    "; Version: 2.2\n"
    "; Computer: a test machine\n"
    "; MaxNodes: 4\n"
    "; MaxProcs: 4\n"
    ";\n"
    "1 0 -1 150 2 -1 -1 2 100 -1 1 1 1 -1 1 -1 -1 -1\n"
    "2 0 -1 50 4 -1 -1 4 50 -1 1 1 1 -1 1 -1 -1 -1\n"
    "3 10 -1 20 1 -1 -1 1 20 -1 1 2 1 -1 1 -1 -1 -1\n"
    "4 20 -1 200 2 -1 -1 2 200 -1 1 2 1 -1 1 -1 -1 -1\n"
    "5 40 -1 50 1 -1 -1 1 60 -1 1 3 1 -1 1 -1 -1 -1\n";

/* Write text to a fresh temporary file; its path goes in path. */
static void write_tmp(char *path, size_t size, const char *suffix,
                      const char *text)
{
    int fd;

    snprintf(path, size, "/tmp/hsim-test-XXXXXX%s", suffix);
    fd = mkstemps(path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void replay(const char *swf, const char *policy, hsim_trace_t *tr,
                   hsim_metrics_t *m)
{
    char path[64];
    hsim_policy_t p;
    hub_error_t err;

    write_tmp(path, sizeof(path), ".swf", swf);
    hsim_trace_init(tr);
    if (hsim_swf_read(path, 0, tr, &err) < 0)
        fail_msg("swf: %s", err.text);
    unlink(path);
    assert_int_equal(hsim_policy_parse(policy, &p, &err), 0);
    if (hsim_run(tr, &p, 0, m, &err) < 0)
        fail_msg("run: %s", err.text);
}

/* Start time of the job with trace id `id`. */
static double start_of(const hsim_trace_t *tr, const hsim_metrics_t *m,
                       uint32_t id)
{
    for (size_t i = 0; i < tr->njobs; i++)
        if (tr->jobs[i].id == id)
            return m->start_s[i];
    fail_msg("no job %u", id);
    return -1;
}

static void test_swf_machine_comes_from_the_header(void **state)
{
    hsim_trace_t tr;
    hsim_metrics_t m;

    replay(tiny_swf, "fifo", &tr, &m);
    assert_int_equal(tr.njobs, 5);
    assert_int_equal(m.cpu_total, 4);
    assert_int_equal(m.gpu_total, 0);
    assert_non_null(strstr(tr.conf, "NodeName=n[1-4] CPUs=1"));
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static void test_fifo_starts_jobs_in_strict_order(void **state)
{
    static const double want[] = {0, 100, 150, 150, 150};
    hsim_trace_t tr;
    hsim_metrics_t m;

    replay(tiny_swf, "fifo", &tr, &m);
    for (uint32_t id = 1; id <= 5; id++)
        assert_true(start_of(&tr, &m, id) == want[id - 1]);
    assert_int_equal(m.done, 5);
    /* waits 0, 100, 140, 130, 110 */
    assert_true(hsim_metrics_avg_wait(&m) == 96.0);
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static void test_easy_backfills_without_delaying_the_head(void **state)
{
    static const double want[] = {0, 100, 10, 150, 40};
    hsim_trace_t tr;
    hsim_metrics_t m;

    replay(tiny_swf, "easy", &tr, &m);
    for (uint32_t id = 1; id <= 5; id++)
        assert_true(start_of(&tr, &m, id) == want[id - 1]);
    /* waits 0, 100, 0, 130, 0 */
    assert_true(hsim_metrics_avg_wait(&m) == 46.0);
    /* slowdowns 1, 150/50, 1, 330/200, 1 */
    assert_true(hsim_metrics_avg_bsld(&m) > 1.5299 &&
                hsim_metrics_avg_bsld(&m) < 1.5301);
    assert_true(hsim_metrics_makespan(&m) == 350);
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static void test_job_running_past_its_request_times_out(void **state)
{
    hsim_trace_t tr;
    hsim_metrics_t m;

    replay(tiny_swf, "easy", &tr, &m);
    assert_int_equal(m.timeouts, 1);
    assert_true(m.end_s[0] == 100); /* job 1: asked 100, would run 150 */
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static void test_bounded_slowdown_uses_a_ten_second_floor(void **state)
{
    assert_true(hsim_bsld(0, 1) == 1.0);
    assert_true(hsim_bsld(20, 2) == 2.2);   /* (20 + 2) / 10 */
    assert_true(hsim_bsld(100, 50) == 3.0); /* (100 + 50) / 50 */
}

/* Ten one-CPU jobs submitted in the same second on 4 CPUs: one pass
 * starts four; each batch of ends gives one more pass. */
static void test_events_of_one_second_share_a_pass(void **state)
{
    char swf[2048] = "; MaxNodes: 4\n; MaxProcs: 4\n";
    hsim_trace_t tr;
    hsim_metrics_t m;

    for (int i = 1; i <= 10; i++) {
        char line[128];
        snprintf(line, sizeof(line),
                 "%d 5 -1 100 1 -1 -1 1 100 -1 1 1 1 -1 1 -1 -1 -1\n", i);
        strcat(swf, line);
    }
    replay(swf, "fifo", &tr, &m);
    assert_int_equal(m.npass, 3); /* t = 5, 105, 205 */
    assert_true(start_of(&tr, &m, 10) == 205);
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

static void test_energy_is_charged_to_the_hub(void **state)
{
    hsim_trace_t tr;
    hsim_metrics_t m;
    double cpu_s = 2 * 100 + 4 * 50 + 20 + 2 * 200 + 50;

    replay(tiny_swf, "easy", &tr, &m);
    assert_int_equal(m.nhubs, 1);
    /* CPU-seconds x 10 W x PUE 1.3, in kWh */
    assert_true(m.hubs[0].kwh > cpu_s * HSIM_CORE_W * 1.3 / 3.6e6 - 1e-9 &&
                m.hubs[0].kwh < cpu_s * HSIM_CORE_W * 1.3 / 3.6e6 + 1e-9);
    hsim_metrics_fini(&m);
    hsim_trace_fini(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swf_machine_comes_from_the_header),
        cmocka_unit_test(test_fifo_starts_jobs_in_strict_order),
        cmocka_unit_test(test_easy_backfills_without_delaying_the_head),
        cmocka_unit_test(test_job_running_past_its_request_times_out),
        cmocka_unit_test(test_bounded_slowdown_uses_a_ten_second_floor),
        cmocka_unit_test(test_events_of_one_second_share_a_pass),
        cmocka_unit_test(test_energy_is_charged_to_the_hub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

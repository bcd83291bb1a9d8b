/* test_hsim_trace.c - hsim's trace readers: what they take from SWF,
 * Alibaba v2023 and hsim CSV files, and how they refuse a malformed line
 * (an error naming FILE:LINE and the field, never a crash). */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsim.h"

static char tmp_path[64];

static const char *write_tmp(const char *suffix, const char *text)
{
    int fd;

    snprintf(tmp_path, sizeof(tmp_path), "/tmp/hsim-test-XXXXXX%s", suffix);
    fd = mkstemps(tmp_path, (int)strlen(suffix));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return tmp_path;
}

/* Read text as an SWF file; returns the reader's answer, err filled. */
static int read_swf(const char *text, size_t max, hsim_trace_t *tr,
                    hub_error_t *err)
{
    const char *path = write_tmp(".swf", text);
    int rc;

    hsim_trace_init(tr);
    rc = hsim_swf_read(path, max, tr, err);
    unlink(path);
    return rc;
}

/* err's text contains "<file>:<line>:" and want. */
static void assert_error_at(const hub_error_t *err, int line, const char *want)
{
    char where[96];

    snprintf(where, sizeof(where), "%s:%d:", tmp_path, line);
    if (!strstr(err->text, where) || !strstr(err->text, want))
        fail_msg("error '%s' lacks '%s' or '%s'", err->text, where, want);
}

static const char good_line[] =
    "1 0 -1 10 1 -1 -1 1 20 -1 1 1 1 -1 1 -1 -1 -1\n";

static void test_swf_uses_requested_processors_and_time(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    /* field 8 -1: falls back to allocated (5); field 9 -1: run time */
    assert_int_equal(read_swf("; MaxNodes: 8\n; MaxProcs: 16\n"
                              "7 30 5 100 6 -1 -1 4 200 -1 1 3 1 -1 1 -1 "
                              "-1 -1\n"
                              "8 40 5 100 6 -1 -1 -1 -1 -1 1 3 1 -1 1 -1 "
                              "-1 -1\n",
                              0, &tr, &err),
                     0);
    assert_int_equal(tr.njobs, 2);
    assert_int_equal(tr.jobs[0].ntasks, 4);
    assert_int_equal(tr.jobs[0].limit_s, 200);
    assert_int_equal(tr.jobs[0].run_s, 100);
    assert_int_equal(tr.jobs[0].submit_s, 30);
    assert_int_equal(tr.jobs[1].ntasks, 6);
    assert_int_equal(tr.jobs[1].limit_s, 100);
    assert_non_null(strstr(tr.conf, "NodeName=n[1-8] CPUs=2"));
    hsim_trace_fini(&tr);
}

static void test_swf_skips_cancelled_and_oversized_jobs(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    assert_int_equal(read_swf("; MaxNodes: 4\n; MaxProcs: 4\n"
                              "1 0 -1 -1 1 -1 -1 1 20 -1 5 1 1 -1 1 -1 -1 "
                              "-1\n"
                              "2 0 -1 10 8 -1 -1 8 20 -1 1 1 1 -1 1 -1 -1 "
                              "-1\n"
                              "3 0 -1 10 1 -1 -1 1 20 -1 1 1 1 -1 1 -1 -1 "
                              "-1\n",
                              0, &tr, &err),
                     0);
    assert_int_equal(tr.njobs, 1);
    assert_int_equal(tr.skipped, 2);
    hsim_trace_fini(&tr);
}

static void test_swf_stops_after_max_jobs(void **state)
{
    char text[1024] = "";
    hsim_trace_t tr;
    hub_error_t err;

    for (int i = 0; i < 5; i++)
        strcat(text, good_line);
    assert_int_equal(read_swf(text, 3, &tr, &err), 0);
    assert_int_equal(tr.njobs, 3);
    hsim_trace_fini(&tr);
}

static void test_swf_short_line_names_file_and_line(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    assert_int_equal(read_swf("; MaxNodes: 4\n"
                              "1 0 -1 10 1 -1 -1 1 20 -1 1 1 1 -1 1 -1 -1 -1\n"
                              "2 0 -1 10 1 -1 -1 1 20 -1 1 1 1 -1 1 -1 -1\n",
                              0, &tr, &err),
                     -EINVAL);
    assert_error_at(&err, 3, "expected 18 fields, found 17");
    hsim_trace_fini(&tr);
}

static void test_swf_non_number_names_the_field(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    assert_int_equal(read_swf("1 0 -1 ten 1 -1 -1 1 20 -1 1 1 1 -1 1 -1 -1 "
                              "-1\n",
                              0, &tr, &err),
                     -EINVAL);
    assert_error_at(&err, 1, "field 4 (run time): 'ten' is not an integer");
    hsim_trace_fini(&tr);
}

static void test_swf_gzip_is_read_through_gzip(void **state)
{
    char cmd[160];
    hsim_trace_t tr;
    hub_error_t err;
    const char *path = write_tmp(".swf", good_line);

    snprintf(cmd, sizeof(cmd), "gzip -f '%s'", path);
    assert_int_equal(system(cmd), 0);
    strcat(tmp_path, ".gz");
    hsim_trace_init(&tr);
    assert_int_equal(hsim_swf_read(tmp_path, 0, &tr, &err), 0);
    assert_int_equal(tr.njobs, 1);
    unlink(tmp_path);
    hsim_trace_fini(&tr);
}

static void test_missing_file_is_an_error_not_a_crash(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    hsim_trace_init(&tr);
    assert_true(hsim_swf_read("/nonexistent/x.swf", 0, &tr, &err) < 0);
    assert_non_null(strstr(err.text, "/nonexistent/x.swf"));
    hsim_trace_fini(&tr);
}

static const char ali_nodes[] = "sn,cpu_milli,memory_mib,gpu,model\n"
                                "node-a,32000,262144,0,\n"
                                "node-b,96000,786432,8,G2\n";

static const char ali_pod_head[] =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
    "creation_time,deletion_time,scheduled_time\n";

static int read_alibaba(const char *nodes, const char *pods, hsim_trace_t *tr,
                        hub_error_t *err)
{
    char npath[64];
    int rc;

    write_tmp(".csv", nodes);
    memcpy(npath, tmp_path, sizeof(npath));
    write_tmp(".csv", pods);
    hsim_trace_init(tr);
    rc = hsim_alibaba_read(npath, tmp_path, 0, tr, err);
    unlink(npath);
    unlink(tmp_path);
    return rc;
}

static void test_alibaba_pods_become_one_node_jobs(void **state)
{
    char pods[1024];
    hsim_trace_t tr;
    hub_error_t err;

    snprintf(pods, sizeof(pods),
             "%sp0,6000,12288,1,460,,LS,Running,100,1100,150\n"
             "p1,88000,327680,8,1000,,LS,Running,200,900,\n"
             "p2,4000,8000,0,0,,BE,Running,300,400,300\n",
             ali_pod_head);
    assert_int_equal(read_alibaba(ali_nodes, pods, &tr, &err), 0);
    assert_int_equal(tr.njobs, 3);
    assert_int_equal(tr.jobs[0].gpus_milli, 460);
    assert_int_equal(tr.jobs[0].run_s, 950); /* deletion - scheduled */
    assert_int_equal(tr.jobs[0].cpus_per_task, 6000);
    assert_int_equal(tr.jobs[1].gpus_milli, 8000);
    assert_int_equal(tr.jobs[1].run_s, 700); /* never scheduled: creation */
    assert_int_equal(tr.jobs[2].gpus_milli, 0);
    assert_non_null(strstr(tr.conf, "NodeName=node-a CPUs=32000 "
                                    "RealMemory=262144\n"));
    assert_non_null(strstr(tr.conf, "Gres=gpu:G2:8"));
    hsim_trace_fini(&tr);
}

static void test_alibaba_short_pod_line_names_file_and_line(void **state)
{
    char pods[1024];
    hsim_trace_t tr;
    hub_error_t err;

    snprintf(pods, sizeof(pods),
             "%sp0,6000,12288,1,460,,LS,Running,100,1100,150\n"
             "p1,6000,12288,1,460\n",
             ali_pod_head);
    assert_int_equal(read_alibaba(ali_nodes, pods, &tr, &err), -EINVAL);
    assert_error_at(&err, 3, "expected 11 fields, found 5");
    hsim_trace_fini(&tr);
}

static void test_alibaba_bad_number_names_the_column(void **state)
{
    char pods[1024];
    hsim_trace_t tr;
    hub_error_t err;

    snprintf(pods, sizeof(pods),
             "%sp0,lots,12288,1,460,,LS,Running,100,1100,150\n", ali_pod_head);
    assert_int_equal(read_alibaba(ali_nodes, pods, &tr, &err), -EINVAL);
    assert_error_at(&err, 2, "column 'cpu_milli': 'lots'");
    hsim_trace_fini(&tr);
}

static void test_alibaba_unknown_gpu_model_is_refused(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    assert_int_equal(read_alibaba("sn,cpu_milli,memory_mib,gpu,model\n"
                                  "n1,8000,1000,2,XYZ\n",
                                  ali_pod_head, &tr, &err),
                     -EINVAL);
    assert_non_null(strstr(err.text, ":2: unknown GPU model 'XYZ'"));
    hsim_trace_fini(&tr);
}

static int read_csv(const char *text, hsim_trace_t *tr, hub_error_t *err)
{
    const char *path = write_tmp(".csv", text);
    int rc;

    hsim_trace_init(tr);
    rc = hsim_csv_read(path, "NodeName=n[1-2] CPUs=8 Gres=gpu:4\n", 0, tr, err);
    unlink(path);
    return rc;
}

static void test_csv_reads_fractional_gpus(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    assert_int_equal(read_csv("# a comment\n"
                              "id,submit_s,run_s,limit_s,nodes,tasks,"
                              "cpus_per_task,mem_mb,gpus,user\n"
                              "1,0,60,0,1,1,2,100,0.25,7\n"
                              "2,5,60,120,2,2,1,0,4,\n",
                              &tr, &err),
                     0);
    assert_int_equal(tr.njobs, 2);
    assert_int_equal(tr.jobs[0].gpus_milli, 250);
    assert_int_equal(tr.jobs[0].limit_s, 60);
    assert_int_equal(tr.jobs[0].uid, 7);
    assert_int_equal(tr.jobs[1].gpus_milli, 4000);
    assert_int_equal(tr.jobs[1].nodes, 2);
    hsim_trace_fini(&tr);
}

static void test_csv_malformed_lines_name_file_line_and_column(void **state)
{
    hsim_trace_t tr;
    hub_error_t err;

    assert_int_equal(read_csv("1,0,60,0,1,1,2,100,1.5,7\n", &tr, &err),
                     -EINVAL);
    assert_error_at(&err, 1, "column 9 (gpus): '1.5'");
    hsim_trace_fini(&tr);
    assert_int_equal(read_csv("\n1,0,60,0,1,0,2,100,1,7\n", &tr, &err),
                     -EINVAL);
    assert_error_at(&err, 2, "column 6 (tasks): '0'");
    hsim_trace_fini(&tr);
    assert_int_equal(read_csv("1,0,60\n", &tr, &err), -EINVAL);
    assert_error_at(&err, 1, "expected 10 fields, found 3");
    hsim_trace_fini(&tr);
}

static void test_policy_spec_names_plugins_and_settings(void **state)
{
    hsim_policy_t p;
    hub_error_t err;

    assert_int_equal(hsim_policy_parse("easy", &p, &err), 0);
    assert_non_null(strstr(p.globals, "BackfillDepth=1\n"));
    assert_int_equal(
        hsim_policy_parse("x=select/fgd,BackfillDepth=5", &p, &err), 0);
    assert_non_null(strstr(p.globals, "SelectType=select/fgd\n"));
    assert_non_null(strstr(p.globals, "SchedulerType=sched/backfill\n"));
    assert_int_equal(hsim_policy_parse("nosuch", &p, &err), -EINVAL);
    assert_int_equal(hsim_policy_parse("x=bogus", &p, &err), -EINVAL);
    assert_non_null(strstr(err.text, "'bogus'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swf_uses_requested_processors_and_time),
        cmocka_unit_test(test_swf_skips_cancelled_and_oversized_jobs),
        cmocka_unit_test(test_swf_stops_after_max_jobs),
        cmocka_unit_test(test_swf_short_line_names_file_and_line),
        cmocka_unit_test(test_swf_non_number_names_the_field),
        cmocka_unit_test(test_swf_gzip_is_read_through_gzip),
        cmocka_unit_test(test_missing_file_is_an_error_not_a_crash),
        cmocka_unit_test(test_alibaba_pods_become_one_node_jobs),
        cmocka_unit_test(test_alibaba_short_pod_line_names_file_and_line),
        cmocka_unit_test(test_alibaba_bad_number_names_the_column),
        cmocka_unit_test(test_alibaba_unknown_gpu_model_is_refused),
        cmocka_unit_test(test_csv_reads_fractional_gpus),
        cmocka_unit_test(test_csv_malformed_lines_name_file_line_and_column),
        cmocka_unit_test(test_policy_spec_names_plugins_and_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_qformat.c - hqueue's squeue-style format language: fields, widths,
 * headers, errors and the listing order, on rows built in memory. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qformat.h"
#include "units.h"

/* 2025-11-21T21:55:00Z and ten minutes later. */
#define START_MS 1763762100000LL
#define NOW_MS (START_MS + 600000LL)

static int set_utc(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    return 0;
}

static hub_alloc_node_t alloc_nodes[2];

/* A job running for ten minutes on two nodes with 8 GPUs each. */
static cmd_job_t running_row(void)
{
    cmd_job_t r;

    memset(&r, 0, sizeof(r));
    memset(alloc_nodes, 0, sizeof(alloc_nodes));
    r.job.id = 12;
    r.job.array_task_id = -1;
    snprintf(r.job.user, sizeof(r.job.user), "alice");
    snprintf(r.job.req.name, sizeof(r.job.req.name), "train-gpt");
    snprintf(r.job.req.partition, sizeof(r.job.req.partition), "gpu");
    snprintf(r.job.req.gpu_type, sizeof(r.job.req.gpu_type), "h100");
    r.job.req.kind = HUB_KIND_TRAIN;
    r.job.req.nodes_min = 2;
    r.job.req.gpus_per_node_milli = 8000;
    r.job.req.time_limit_s = 3600;
    r.job.state = HUB_JOB_RUNNING;
    r.job.priority = 50;
    r.job.submit_ms = START_MS - 100000;
    r.job.start_ms = START_MS;
    alloc_nodes[0].cpus = alloc_nodes[1].cpus = 32;
    r.job.alloc.nnodes = 2;
    r.job.alloc.nodes = alloc_nodes;
    r.nodelist = "gs-n[001-002]";
    snprintf(r.hub_name, sizeof(r.hub_name), "west");
    return r;
}

/* A pending job waiting for resources, asking for a quarter GPU. */
static cmd_job_t pending_row(void)
{
    cmd_job_t r;

    memset(&r, 0, sizeof(r));
    r.job.id = 13;
    r.job.array_task_id = -1;
    snprintf(r.job.user, sizeof(r.job.user), "bob");
    snprintf(r.job.req.name, sizeof(r.job.req.name), "infer");
    snprintf(r.job.req.partition, sizeof(r.job.req.partition), "gpu");
    r.job.req.gpus_milli = 250;
    r.job.req.ntasks = 4;
    r.job.req.cpus_per_task = 2;
    r.job.req.time_limit_s = HUB_DURATION_INFINITE;
    r.job.state = HUB_JOB_PENDING;
    r.job.reason = HUB_REASON_RESOURCES;
    r.job.priority = 100;
    r.nodelist = "";
    return r;
}

/* What hqueue writes for row (the header when row is NULL) through
 * qformat_print_job / qformat_print_header: the line without its
 * newline; malloc'd. */
static char *printed(const qformat_t *f, const cmd_job_t *row)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);

    assert_non_null(m);
    if (row)
        qformat_print_job(f, row, NOW_MS, m);
    else
        qformat_print_header(f, m);
    assert_int_equal(fclose(m), 0);
    assert_true(size > 0 && buf[size - 1] == '\n');
    buf[size - 1] = '\0';
    return buf;
}

/* The line of row in fmt; asserts the format parses. */
static char *line_of(const char *fmt, const cmd_job_t *row)
{
    hub_error_t err;
    qformat_t *f = qformat_create(fmt, &err);
    char *line;

    assert_non_null(f);
    line = printed(f, row);
    qformat_destroy(f);
    assert_non_null(line);
    return line;
}

static void assert_line(const char *fmt, const cmd_job_t *row, const char *want)
{
    char *got = line_of(fmt, row);

    assert_string_equal(got, want);
    free(got);
}

static void test_default_header_matches_squeue(void **state)
{
    qformat_t *f = qformat_create(QFORMAT_DEFAULT, NULL);
    char *h = printed(f, NULL);

    assert_string_equal(h, "             JOBID PARTITION     NAME     USER ST"
                           "       TIME  NODES NODELIST(REASON)");
    free(h);
    qformat_destroy(f);
}

static void test_default_line_of_running_job_shows_nodelist(void **state)
{
    cmd_job_t r = running_row();

    assert_line(QFORMAT_DEFAULT, &r,
                "                12       gpu train-gp    alice  R      "
                "10:00      2 gs-n[001-002]");
}

static void test_pending_job_shows_reason_in_parentheses(void **state)
{
    cmd_job_t r = pending_row();

    assert_line("%R|%r|%N|%t|%T", &r, "(Resources)|Resources||PD|PENDING");
}

static void test_array_task_prints_as_array_id_underscore_task(void **state)
{
    cmd_job_t r = pending_row();

    r.job.id = 20;
    r.job.array_job_id = 14;
    r.job.array_task_id = 3;
    assert_line("%i %A %K", &r, "14_3 14 3");
    r = pending_row();
    assert_line("%i %A %K", &r, "13 13 N/A");
}

static void test_width_dot_right_justifies_and_cuts(void **state)
{
    cmd_job_t r = running_row();

    assert_line("[%.6u]", &r, "[ alice]");
    assert_line("[%.4j]", &r, "[trai]");
}

static void test_width_without_dot_left_justifies_and_cuts(void **state)
{
    cmd_job_t r = running_row();

    assert_line("[%6u][%-6u][%4j]", &r, "[alice ][alice ][trai]");
}

static void test_literal_text_and_double_percent_are_kept(void **state)
{
    cmd_job_t r = running_row();

    assert_line("job=%i 100%% done%%", &r, "job=12 100% done%");
    assert_line("", &r, "");
}

static void test_header_follows_widths(void **state)
{
    qformat_t *f = qformat_create("%.5i|%-9P|%h|%k|%.3b", NULL);
    char *h = printed(f, NULL);

    assert_string_equal(h, "JOBID|PARTITION|HUB|KIND|GRE");
    free(h);
    qformat_destroy(f);
}

static void test_unknown_field_is_refused_with_column(void **state)
{
    hub_error_t err;

    assert_null(qformat_create("%i %z", &err));
    assert_string_equal(err.text, "invalid field '%z' at column 4 of the "
                                  "format");
}

static void test_trailing_percent_is_refused(void **state)
{
    hub_error_t err;

    assert_null(qformat_create("%i %.8", &err));
    assert_non_null(strstr(err.text, "unfinished field at column 4"));
}

static void test_huge_width_is_refused(void **state)
{
    hub_error_t err;

    assert_null(qformat_create("%99999i", &err));
    assert_non_null(strstr(err.text, "field width"));
}

static void test_gres_shows_per_node_type_or_fraction(void **state)
{
    cmd_job_t run = running_row(), pend = pending_row();

    assert_line("%b", &run, "gpu:h100:8");
    assert_line("%b", &pend, "gpu:0.25");
    pend.job.req.gpus_milli = 0;
    assert_line("%b", &pend, "N/A");
}

static void test_times_used_limit_and_left(void **state)
{
    cmd_job_t run = running_row(), pend = pending_row();

    assert_line("%M %l %L", &run, "10:00 1:00:00 50:00");
    assert_line("%M %l %L", &pend, "0:00 UNLIMITED UNLIMITED");
    run.job.req.time_limit_s = 0;
    assert_line("%l %L", &run, "N/A N/A");
}

static void test_time_left_is_zero_after_the_end(void **state)
{
    cmd_job_t r = running_row();

    r.job.state = HUB_JOB_COMPLETED;
    r.job.end_ms = START_MS + 60000;
    assert_line("%M %L %t", &r, "1:00 0:00 CD");
}

static void test_nodes_and_cpus_from_allocation_or_request(void **state)
{
    cmd_job_t run = running_row(), pend = pending_row();

    assert_line("%D %C", &run, "2 64");
    assert_line("%D %C", &pend, "1 8");
}

static void test_submit_and_start_times_are_local_iso(void **state)
{
    cmd_job_t run = running_row(), pend = pending_row();

    assert_line("%V %S %e", &run,
                "2025-11-21T21:53:20 2025-11-21T21:55:00 N/A");
    assert_line("%S", &pend, "N/A");
}

static void test_hub_kind_priority_account_memory(void **state)
{
    cmd_job_t run = running_row(), pend = pending_row();

    assert_line("%h %k %Q %a %m", &run, "west train 50 (null) 0");
    snprintf(pend.job.req.hub, sizeof(pend.job.req.hub), "north");
    pend.job.req.mem_per_node_mb = 4096;
    assert_line("%h %k %Q %m", &pend, "north batch 100 4G");
    pend.job.req.hub[0] = '\0';
    assert_line("%h", &pend, "N/A");
}

static void test_sort_running_first_then_pending_by_priority(void **state)
{
    cmd_job_t rows[4] = {pending_row(), running_row(), pending_row(),
                         running_row()};

    rows[0].job.priority = 10;
    rows[2].job.id = 15;
    rows[3].job.state = HUB_JOB_COMPLETED;
    rows[3].job.id = 5;
    qformat_sort(rows, 4);
    assert_int_equal(rows[0].job.id, 12); /* running */
    assert_int_equal(rows[1].job.id, 15); /* pending, priority 100 */
    assert_int_equal(rows[2].job.id, 13); /* pending, priority 10 */
    assert_int_equal(rows[3].job.id, 5);  /* ended */
}

static void test_long_format_has_state_names_and_limits(void **state)
{
    cmd_job_t r = running_row();

    assert_line(QFORMAT_LONG, &r,
                "                12       gpu train-gp    alice  RUNNING"
                "      10:00   1:00:00      2      N/A    N/A        0"
                " gs-n[001-002]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_header_matches_squeue),
        cmocka_unit_test(test_default_line_of_running_job_shows_nodelist),
        cmocka_unit_test(test_pending_job_shows_reason_in_parentheses),
        cmocka_unit_test(test_array_task_prints_as_array_id_underscore_task),
        cmocka_unit_test(test_width_dot_right_justifies_and_cuts),
        cmocka_unit_test(test_width_without_dot_left_justifies_and_cuts),
        cmocka_unit_test(test_literal_text_and_double_percent_are_kept),
        cmocka_unit_test(test_header_follows_widths),
        cmocka_unit_test(test_unknown_field_is_refused_with_column),
        cmocka_unit_test(test_trailing_percent_is_refused),
        cmocka_unit_test(test_huge_width_is_refused),
        cmocka_unit_test(test_gres_shows_per_node_type_or_fraction),
        cmocka_unit_test(test_times_used_limit_and_left),
        cmocka_unit_test(test_time_left_is_zero_after_the_end),
        cmocka_unit_test(test_nodes_and_cpus_from_allocation_or_request),
        cmocka_unit_test(test_submit_and_start_times_are_local_iso),
        cmocka_unit_test(test_hub_kind_priority_account_memory),
        cmocka_unit_test(test_sort_running_first_then_pending_by_priority),
        cmocka_unit_test(test_long_format_has_state_names_and_limits),
    };
    return cmocka_run_group_tests(tests, set_utc, NULL);
}

/* test_cmdutil.c - the user commands' shared parsers and formatters: job
 * ids, state lists, time arguments, signals, users, GPU amounts, job rows
 * of answers, table cells and option errors. No controller needed. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdutil.h"

/* 2026-11-21T23:05:12Z */
#define NOW_MS 1795302312000LL
#define DAY_MS 86400000LL

static int set_utc(void **state)
{
    setenv("TZ", "UTC", 1);
    tzset();
    cmd_init("htest");
    return 0;
}

/* ids as compact JSON text, for comparisons. */
static char *ids_text(const char *arg, int *rc, hub_error_t *err)
{
    json_t *ids = json_array();
    char *text;

    *rc = cmd_jobids_append(ids, arg, err);
    text = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    return text;
}

static void assert_ids(const char *arg, const char *want)
{
    hub_error_t err;
    int rc;
    char *got = ids_text(arg, &rc, &err);

    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    free(got);
}

static void assert_bad_ids(const char *arg, int want_rc)
{
    hub_error_t err;
    int rc;
    char *got = ids_text(arg, &rc, &err);

    assert_int_equal(rc, want_rc);
    free(got);
}

/* ---- job ids ----------------------------------------------------------- */

static void test_parse_jobid_plain_and_array_task(void **state)
{
    cmd_jobid_t id;

    assert_int_equal(cmd_parse_jobid("123", &id, NULL), 0);
    assert_int_equal(id.id, 123);
    assert_int_equal(id.task, -1);
    assert_int_equal(cmd_parse_jobid("123_4", &id, NULL), 0);
    assert_int_equal(id.id, 123);
    assert_int_equal(id.task, 4);
}

static void test_parse_jobid_rejects_garbage(void **state)
{
    static const char *const bad[] = {
        "", "0", "12x", "_3", "12_", "-1", "1 ", "12_3_4", "99999999999", NULL};
    hub_error_t err;
    cmd_jobid_t id;

    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(cmd_parse_jobid(bad[i], &id, &err), -EINVAL);
    assert_string_equal(err.text, "invalid job id '99999999999'");
}

static void test_jobids_expand_lists_and_task_ranges(void **state)
{
    assert_ids("12", "[12]");
    assert_ids("12,13_4", "[12,\"13_4\"]");
    assert_ids("14_[1-3,7],15", "[\"14_1\",\"14_2\",\"14_3\",\"14_7\",15]");
}

static void test_jobids_reject_bad_ranges(void **state)
{
    assert_bad_ids("14_[3-1]", -EINVAL);
    assert_bad_ids("14_[1-", -EINVAL);
    assert_bad_ids("14_[]", -EINVAL);
    assert_bad_ids("14_[1,]", -EINVAL);
    assert_bad_ids("12,,13", -EINVAL);
    assert_bad_ids("1_[0-100000]", -E2BIG);
}

static void test_jobids_match_job_task_and_whole_array(void **state)
{
    json_t *task = json_pack("{s:i, s:i, s:i}", "id", 20, "array_job_id", 14,
                             "array_task_id", 3);
    json_t *plain = json_pack("{s:i}", "id", 12);
    json_t *ids = json_pack("[s]", "14_3");

    assert_true(cmd_jobids_match(ids, task));
    assert_false(cmd_jobids_match(ids, plain));
    json_array_clear(ids);
    json_array_append_new(ids, json_integer(14));
    assert_true(cmd_jobids_match(ids, task));
    json_array_append_new(ids, json_integer(12));
    assert_true(cmd_jobids_match(ids, plain));
    json_decref(task);
    json_decref(plain);
    json_decref(ids);
}

static void test_jobids_numeric_turns_tasks_into_array_ids(void **state)
{
    json_t *ids = json_pack("[i, s]", 12, "14_3");
    json_t *num = cmd_jobids_numeric(ids);
    char *text = json_dumps(num, JSON_COMPACT);

    assert_string_equal(text, "[12,14]");
    free(text);
    json_decref(num);
    json_decref(ids);
}

static void test_format_jobid_uses_array_form_for_tasks(void **state)
{
    hub_job_t job = {.id = 20, .array_job_id = 14, .array_task_id = 3};
    char buf[32];

    cmd_format_jobid(&job, buf, sizeof(buf));
    assert_string_equal(buf, "14_3");
    job.array_task_id = -1;
    cmd_format_jobid(&job, buf, sizeof(buf));
    assert_string_equal(buf, "20");
}

/* ---- lists ------------------------------------------------------------- */

static void test_states_accept_long_short_any_case(void **state)
{
    json_t *arr = json_array();
    char *text;

    assert_int_equal(cmd_states_append(arr, "PD,running,cd", NULL), 0);
    text = json_dumps(arr, JSON_COMPACT);
    assert_string_equal(text, "[\"PENDING\",\"RUNNING\",\"COMPLETED\"]");
    free(text);
    json_array_clear(arr);
    assert_int_equal(cmd_states_append(arr, "all", NULL), 0);
    assert_int_equal(json_array_size(arr), HUB_JOB_STATE_COUNT);
    json_decref(arr);
}

static void test_states_reject_unknown_names(void **state)
{
    json_t *arr = json_array();
    hub_error_t err;

    assert_int_equal(cmd_states_append(arr, "R,SLEEPY", &err), -EINVAL);
    assert_non_null(strstr(err.text, "invalid job state specified: SLEEPY"));
    json_decref(arr);
}

static void test_list_refuses_empty_items(void **state)
{
    json_t *arr = json_array();
    hub_error_t err;

    assert_int_equal(cmd_list_append(arr, "a,b", "partition", NULL), 0);
    assert_true(cmd_list_has(arr, "b"));
    assert_false(cmd_list_has(arr, "c"));
    assert_int_equal(cmd_list_append(arr, "a,", "partition", &err), -EINVAL);
    assert_string_equal(err.text, "empty partition in 'a,'");
    json_decref(arr);
}

/* ---- times ------------------------------------------------------------- */

static int64_t parse_time(const char *s)
{
    int64_t ms = -1;
    hub_error_t err;

    assert_int_equal(cmd_parse_time_arg(s, NOW_MS, &ms, &err), 0);
    return ms;
}

static void test_time_arg_dates_and_clock_times(void **state)
{
    int64_t midnight = NOW_MS - (23 * 3600 + 5 * 60 + 12) * 1000LL;

    assert_true(parse_time("2026-11-21") == midnight);
    assert_true(parse_time("2026-11-21T23:05") == NOW_MS - 12000);
    assert_true(parse_time("2026-11-21T23:05:12") == NOW_MS);
    assert_true(parse_time("12:30") == midnight + 45000000LL);
    assert_true(parse_time("12:30:15") == midnight + 45015000LL);
}

static void test_time_arg_now_relative_like_sacct(void **state)
{
    assert_true(parse_time("now") == NOW_MS);
    assert_true(parse_time("now-1hour") == NOW_MS - 3600000LL);
    assert_true(parse_time("now-2days") == NOW_MS - 2 * DAY_MS);
    assert_true(parse_time("now+30") == NOW_MS + 30000);
    assert_true(parse_time("now-90min") == NOW_MS - 5400000LL);
    assert_true(parse_time("NOW-1w") == NOW_MS - 7 * DAY_MS);
}

static void test_time_arg_words(void **state)
{
    int64_t midnight = NOW_MS - (23 * 3600 + 5 * 60 + 12) * 1000LL;

    assert_true(parse_time("today") == midnight);
    assert_true(parse_time("midnight") == midnight);
    assert_true(parse_time("noon") == midnight + 12 * 3600000LL);
    assert_true(parse_time("tomorrow") == midnight + DAY_MS);
    assert_true(cmd_midnight_ms(NOW_MS) == midnight);
}

static void test_time_arg_rejects_bad_input(void **state)
{
    static const char *const bad[] = {"2026-02-30",
                                      "2026-13-01",
                                      "2026-11-21T",
                                      "2026-11-21T24:00",
                                      "now1",
                                      "now-1fortnight",
                                      "now-",
                                      "25:00",
                                      "12:60",
                                      "garbage",
                                      "",
                                      "1969-12-31",
                                      NULL};
    hub_error_t err;
    int64_t ms = 7;

    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(cmd_parse_time_arg(bad[i], NOW_MS, &ms, &err),
                         -EINVAL);
    assert_int_equal(ms, 7);
    assert_non_null(strstr(err.text, "invalid time '1969-12-31'"));
}

static void test_format_time_is_local_iso_or_placeholder(void **state)
{
    char buf[32];

    cmd_format_time(NOW_MS, "Unknown", buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-21T23:05:12");
    cmd_format_time(0, "Unknown", buf, sizeof(buf));
    assert_string_equal(buf, "Unknown");
}

static void test_elapsed_of_pending_running_and_ended_jobs(void **state)
{
    hub_job_t job = {0};

    assert_int_equal(cmd_job_elapsed_s(&job, NOW_MS), 0);
    job.start_ms = NOW_MS - 65000;
    assert_int_equal(cmd_job_elapsed_s(&job, NOW_MS), 65);
    job.end_ms = job.start_ms + 3000;
    assert_int_equal(cmd_job_elapsed_s(&job, NOW_MS), 3);
}

/* ---- users and signals ------------------------------------------------- */

static void test_signals_by_name_or_number(void **state)
{
    hub_error_t err;
    int sig = 0;

    assert_int_equal(cmd_parse_signal("TERM", &sig, NULL), 0);
    assert_int_equal(sig, 15);
    assert_int_equal(cmd_parse_signal("SIGUSR1", &sig, NULL), 0);
    assert_int_equal(sig, 10);
    assert_int_equal(cmd_parse_signal("usr2", &sig, NULL), 0);
    assert_int_equal(sig, 12);
    assert_int_equal(cmd_parse_signal("9", &sig, NULL), 0);
    assert_int_equal(sig, 9);
    assert_int_equal(cmd_parse_signal("0", &sig, &err), -EINVAL);
    assert_int_equal(cmd_parse_signal("65", &sig, &err), -EINVAL);
    assert_int_equal(cmd_parse_signal("9x", &sig, &err), -EINVAL);
    assert_string_equal(err.text, "invalid signal '9x'");
}

static void test_users_by_name_or_uid(void **state)
{
    char name[64];
    uint32_t uid = 7;
    hub_error_t err;

    assert_int_equal(cmd_user_uid("root", &uid, NULL), 0);
    assert_int_equal(uid, 0);
    assert_int_equal(cmd_user_uid("4242", &uid, NULL), 0);
    assert_int_equal(uid, 4242);
    assert_int_equal(cmd_user_uid("no-such-user-xyz", &uid, &err), -EINVAL);
    assert_string_equal(err.text, "invalid user: no-such-user-xyz");
    cmd_user_name(0, name, sizeof(name));
    assert_string_equal(name, "root");
    cmd_user_name(3999999999u, name, sizeof(name));
    assert_string_equal(name, "3999999999");
    assert_int_equal(cmd_user_canon("0", name, sizeof(name), NULL), 0);
    assert_string_equal(name, "root");
}

/* ---- GPU amounts ------------------------------------------------------- */

static void assert_milli(uint64_t milli, const char *want)
{
    char buf[32];

    cmd_format_milli(milli, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_milli_gpus_print_without_trailing_zeros(void **state)
{
    assert_milli(0, "0");
    assert_milli(8000, "8");
    assert_milli(250, "0.25");
    assert_milli(500, "0.5");
    assert_milli(12750, "12.75");
    assert_milli(5, "0.005");
    assert_milli(1050, "1.05");
}

static void test_job_gpus_from_allocation_else_request(void **state)
{
    hub_alloc_node_t nodes[2] = {{.gpu_milli = {1000, 250}},
                                 {.gpu_milli = {1000}}};
    hub_job_t job = {0};

    job.req.gpus_per_node_milli = 4000;
    job.req.nodes_min = 2;
    assert_int_equal(cmd_job_gpus_milli(&job), 8000);
    job.req.gpus_milli = 500;
    assert_int_equal(cmd_job_gpus_milli(&job), 500);
    job.alloc.nodes = nodes;
    job.alloc.nnodes = 2;
    assert_int_equal(cmd_job_gpus_milli(&job), 2250);
}

static void test_gpu_use_shows_fraction_of_free_capacity(void **state)
{
    json_t *mixed = json_pack("{s:i, s:[i,i,i,i]}", "gpus", 4, "gpu_free_milli",
                              1000, 750, 0, 1000);
    json_t *idle =
        json_pack("{s:i, s:[i,i]}", "gpus", 2, "gpu_free_milli", 1000, 1000);
    cmd_gpus_t g = {0};
    char buf[64];

    cmd_gpus_add_node(&g, mixed);
    cmd_format_gpu_use(&g, buf, sizeof(buf));
    assert_string_equal(buf, "1.25/4 (0.75 frac)");
    assert_int_equal(g.idle, 2);
    cmd_gpus_add_node(&g, idle);
    cmd_format_gpu_use(&g, buf, sizeof(buf));
    assert_string_equal(buf, "1.25/6 (0.75 frac)");
    memset(&g, 0, sizeof(g));
    cmd_gpus_add_node(&g, idle);
    cmd_format_gpu_use(&g, buf, sizeof(buf));
    assert_string_equal(buf, "0/2");
    json_decref(mixed);
    json_decref(idle);
}

static void test_partition_nodes_by_index_name_or_all(void **state)
{
    json_t *node = json_pack("{s:s}", "name", "n2");
    json_t *by_idx = json_pack("{s:[i,i]}", "nodes", 0, 1);
    json_t *by_name = json_pack("{s:[s]}", "nodes", "n2");
    json_t *all = json_pack("{s:[]}", "nodes");

    assert_true(cmd_partition_has_node(by_idx, 1, node));
    assert_false(cmd_partition_has_node(by_idx, 2, node));
    assert_true(cmd_partition_has_node(by_name, 9, node));
    assert_true(cmd_partition_has_node(all, 9, node));
    json_decref(node);
    json_decref(by_idx);
    json_decref(by_name);
    json_decref(all);
}

/* ---- job rows ---------------------------------------------------------- */

static void test_job_row_keeps_answer_extras(void **state)
{
    json_t *obj =
        json_pack("{s:i, s:s, s:s, s:s, s:f, s:{s:s}}", "id", 12, "state",
                  "RUNNING", "nodelist", "n[1-2]", "hub_name", "west",
                  "gpu_hours", 1.5, "req", "name", "x");
    cmd_job_t row;

    assert_int_equal(cmd_job_from_json(obj, &row, NULL), 0);
    assert_int_equal(row.job.id, 12);
    assert_int_equal(row.job.state, HUB_JOB_RUNNING);
    assert_int_equal(row.job.array_task_id, -1);
    assert_string_equal(row.nodelist, "n[1-2]");
    assert_string_equal(row.hub_name, "west");
    assert_true(row.gpu_hours == 1.5);
    assert_string_equal(row.job.req.name, "x");
    cmd_job_fini(&row);
    json_decref(obj);
}

static void test_bad_job_in_answer_names_its_index(void **state)
{
    json_t *resp =
        json_pack("{s:[{s:i}, {s:s}]}", "jobs", "id", 1, "state", "SLEEPY");
    cmd_job_t *rows = (cmd_job_t *)1;
    size_t n = 9;
    hub_error_t err;

    assert_int_equal(cmd_jobs_from_answer(resp, &rows, &n, &err), -EINVAL);
    assert_null(rows);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.text, "bad answer from hubctld: jobs[1]: "));
    json_decref(resp);
}

static bool keep_even(const json_t *job, const void *arg)
{
    return json_integer_value(json_object_get(job, "id")) % 2 == 0;
}

static void test_jobs_filter_removes_refused_jobs(void **state)
{
    json_t *resp = json_pack("{s:[{s:i},{s:i},{s:i},{s:i}]}", "jobs", "id", 1,
                             "id", 2, "id", 3, "id", 4);
    cmd_job_t *rows;
    size_t n;

    cmd_jobs_filter(resp, keep_even, NULL);
    assert_int_equal(cmd_jobs_from_answer(resp, &rows, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].job.id, 2);
    assert_int_equal(rows[1].job.id, 4);
    cmd_jobs_destroy(rows, n);
    json_decref(resp);
}

/* ---- cells and options ------------------------------------------------- */

static char *cell(const char *s, int width, unsigned flags)
{
    static char buf[64];
    FILE *f = fmemopen(buf, sizeof(buf), "w");

    cmd_cell(f, s, width, flags);
    fclose(f);
    return buf;
}

static void test_cells_pad_cut_and_mark(void **state)
{
    assert_string_equal(cell("abc", 5, 0), "abc  ");
    assert_string_equal(cell("abc", 5, CMD_CELL_RIGHT), "  abc");
    assert_string_equal(cell("abcdef", 4, CMD_CELL_CUT), "abcd");
    assert_string_equal(cell("abcdef", 4, CMD_CELL_PLUS), "abc+");
    assert_string_equal(cell("abcdef", 4, 0), "abcdef");
    assert_string_equal(cell("abcdef", 0, CMD_CELL_CUT), "abcdef");
}

/* Run cmd_getopt over args with stderr captured; returns the options
 * seen ("-1" style codes joined) and the message in msg. */
static int getopt_capture(int argc, char **argv, char *msg, size_t len)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'},
        {"format", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO), c, last = 0;
    size_t n;

    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    optind = 0;
    while ((c = cmd_getopt(argc, argv, "o:h", longopts)) != -1 && c != '?')
        last = c;
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    n = fread(msg, 1, len - 1, tmp);
    msg[n] = '\0';
    fclose(tmp);
    return c == '?' ? '?' : last;
}

static void test_getopt_errors_read_like_ours(void **state)
{
    char msg[256];
    char *unknown[] = {"htest", "--x", NULL};
    char *missing[] = {"htest", "-o", NULL};
    char *extra[] = {"htest", "--json=1", NULL};
    char *good[] = {"htest", "--format=%i", "-h", NULL};

    assert_int_equal(getopt_capture(2, unknown, msg, sizeof(msg)), '?');
    assert_string_equal(msg, "htest: error: unrecognized option '--x'\n"
                             "Try 'htest --help' for more information.\n");
    assert_int_equal(getopt_capture(2, missing, msg, sizeof(msg)), '?');
    assert_non_null(strstr(msg, "option requires an argument -- 'o'"));
    assert_int_equal(getopt_capture(2, extra, msg, sizeof(msg)), '?');
    assert_non_null(strstr(msg, "option '--json' doesn't allow an argument"));
    assert_int_equal(getopt_capture(3, good, msg, sizeof(msg)), 'h');
    assert_string_equal(msg, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_jobid_plain_and_array_task),
        cmocka_unit_test(test_parse_jobid_rejects_garbage),
        cmocka_unit_test(test_jobids_expand_lists_and_task_ranges),
        cmocka_unit_test(test_jobids_reject_bad_ranges),
        cmocka_unit_test(test_jobids_match_job_task_and_whole_array),
        cmocka_unit_test(test_jobids_numeric_turns_tasks_into_array_ids),
        cmocka_unit_test(test_format_jobid_uses_array_form_for_tasks),
        cmocka_unit_test(test_states_accept_long_short_any_case),
        cmocka_unit_test(test_states_reject_unknown_names),
        cmocka_unit_test(test_list_refuses_empty_items),
        cmocka_unit_test(test_time_arg_dates_and_clock_times),
        cmocka_unit_test(test_time_arg_now_relative_like_sacct),
        cmocka_unit_test(test_time_arg_words),
        cmocka_unit_test(test_time_arg_rejects_bad_input),
        cmocka_unit_test(test_format_time_is_local_iso_or_placeholder),
        cmocka_unit_test(test_elapsed_of_pending_running_and_ended_jobs),
        cmocka_unit_test(test_signals_by_name_or_number),
        cmocka_unit_test(test_users_by_name_or_uid),
        cmocka_unit_test(test_milli_gpus_print_without_trailing_zeros),
        cmocka_unit_test(test_job_gpus_from_allocation_else_request),
        cmocka_unit_test(test_gpu_use_shows_fraction_of_free_capacity),
        cmocka_unit_test(test_partition_nodes_by_index_name_or_all),
        cmocka_unit_test(test_job_row_keeps_answer_extras),
        cmocka_unit_test(test_bad_job_in_answer_names_its_index),
        cmocka_unit_test(test_jobs_filter_removes_refused_jobs),
        cmocka_unit_test(test_cells_pad_cut_and_mark),
        cmocka_unit_test(test_getopt_errors_read_like_ours),
    };
    return cmocka_run_group_tests(tests, set_utc, NULL);
}

/* test_queue_table.c - the queue's table form as text: the frame writer
 * (common/rpc.h), the job row writer (hub_job_row_write) and the
 * commands' reader of table answers (cmd_table_from_text). What the
 * controller writes must be JSON that says what the object form says, and
 * the reader must take any JSON jansson takes and refuse the rest. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "job.h"
#include "qformat.h"
#include "rpc.h"

/* The answers' now: 2026-11-21T23:05:20Z. */
#define NOW_MS 1795302320000LL

/* The text a writer fed by fn holds, parsed (any value). */
static json_t *written(void (*fn)(hub_rpc_writer_t *w, const void *arg),
                       const void *arg)
{
    hub_rpc_writer_t w;
    json_t *v;

    hub_rpc_writer_init(&w);
    fn(&w, arg);
    assert_int_equal(w.rc, 0);
    v = json_loadb(w.buf + HUB_RPC_HEADER_BYTES, w.len - HUB_RPC_HEADER_BYTES,
                   JSON_DECODE_ANY, NULL);
    hub_rpc_writer_fini(&w);
    assert_non_null(v);
    return v;
}

static void write_str(hub_rpc_writer_t *w, const void *arg)
{
    hub_rpc_writer_string(w, arg, strlen(arg));
}

/* s written by the writer reads back as want. */
static void assert_string_reads(const char *s, const char *want)
{
    json_t *v = written(write_str, s);

    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
    json_decref(v);
}

static void test_writer_escapes_quotes_backslashes_and_controls(void **state)
{
    assert_string_reads("plain", "plain");
    assert_string_reads("", "");
    assert_string_reads("a\"b\\c", "a\"b\\c");
    assert_string_reads("tab\there\nnew\x01\x1f", "tab\there\nnew\x01\x1f");
    assert_string_reads("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x9a\x80",
                        "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x9a\x80");
}

static void test_writer_replaces_bytes_that_are_not_utf8(void **state)
{
    /* U+FFFD is EF BF BD. */
    assert_string_reads("a\xff"
                        "b",
                        "a\xef\xbf\xbd"
                        "b");
    assert_string_reads("cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd");
    assert_string_reads("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
    assert_string_reads("\xed\xa0\x80", /* a surrogate */
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_reads("\xf4\x90\x80\x80x", /* above U+10FFFF */
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
}

static void write_ints(hub_rpc_writer_t *w, const void *arg)
{
    const int64_t v[] = {0, -1, 7, INT64_MAX, INT64_MIN};

    hub_rpc_writer_text(w, "[");
    for (size_t i = 0; i < 5; i++) {
        if (i)
            hub_rpc_writer_text(w, ",");
        hub_rpc_writer_int(w, v[i]);
    }
    hub_rpc_writer_text(w, "]");
}

static void test_writer_ints_cover_int64(void **state)
{
    json_t *v = written(write_ints, NULL);

    assert_int_equal(json_integer_value(json_array_get(v, 0)), 0);
    assert_int_equal(json_integer_value(json_array_get(v, 1)), -1);
    assert_int_equal(json_integer_value(json_array_get(v, 2)), 7);
    assert_true(json_integer_value(json_array_get(v, 3)) == INT64_MAX);
    assert_true(json_integer_value(json_array_get(v, 4)) == INT64_MIN);
    json_decref(v);
}

static void test_writer_frame_extends_an_object(void **state)
{
    json_t *head = json_pack("{s:i, s:s}", "rc", 0, "q", "\"x\"");
    json_t *empty = json_object(), *msg;
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    hub_rpc_writer_t w;
    hub_error_t err;
    char *frame;
    size_t len;

    hub_rpc_writer_init(&w);
    hub_rpc_writer_open(&w, head);
    hub_rpc_writer_key(&w, "rows");
    hub_rpc_writer_text(&w, "[]}");
    assert_int_equal(hub_rpc_writer_finish(&w, &frame, &len, &err), 0);
    assert_int_equal(hub_rpc_reader_feed(r, frame, len, &err), 0);
    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), 1);
    assert_string_equal(json_string_value(json_object_get(msg, "q")), "\"x\"");
    assert_true(json_is_array(json_object_get(msg, "rows")));
    json_decref(msg);
    free(frame);
    /* The first member of an empty object takes no comma. */
    hub_rpc_writer_open(&w, empty);
    hub_rpc_writer_key(&w, "a");
    hub_rpc_writer_text(&w, "1}");
    assert_int_equal(hub_rpc_writer_finish(&w, &frame, &len, &err), 0);
    assert_int_equal(len, HUB_RPC_HEADER_BYTES + strlen("{\"a\":1}"));
    assert_memory_equal(frame + HUB_RPC_HEADER_BYTES, "{\"a\":1}", len - 4);
    free(frame);
    hub_rpc_reader_destroy(r);
    json_decref(head);
    json_decref(empty);
}

static void test_writer_refuses_frames_over_the_maximum(void **state)
{
    size_t n = HUB_RPC_FRAME_MAX;
    char *big = malloc(n + 1);
    hub_rpc_writer_t w;
    hub_error_t err;
    char *frame;
    size_t len;

    assert_non_null(big);
    memset(big, 'x', n);
    hub_rpc_writer_init(&w);
    hub_rpc_writer_text(&w, "[");
    hub_rpc_writer_string(&w, big, n); /* with quotes: over */
    hub_rpc_writer_text(&w, "]");
    assert_int_equal(hub_rpc_writer_finish(&w, &frame, &len, &err), -EMSGSIZE);
    assert_non_null(strstr(err.text, "frame maximum"));
    assert_null(w.buf);
    hub_rpc_writer_init(&w);
    assert_int_equal(hub_rpc_writer_finish(&w, &frame, &len, &err), -EINVAL);
    free(big);
}

static void test_reader_text_stays_until_the_next_call(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    json_t *one = json_pack("{s:i}", "n", 1), *two = json_pack("{s:i}", "n", 2);
    char *f1, *f2;
    size_t l1, l2, len;
    const char *body;
    json_t *msg;
    hub_error_t err;

    assert_int_equal(hub_rpc_encode(one, &f1, &l1, &err), 0);
    assert_int_equal(hub_rpc_encode(two, &f2, &l2, &err), 0);
    assert_int_equal(hub_rpc_reader_feed(r, f1, l1, &err), 0);
    assert_int_equal(hub_rpc_reader_feed(r, f2, l2 - 1, &err), 0);
    assert_int_equal(hub_rpc_reader_next_text(r, &body, &len, &err), 1);
    assert_int_equal(len, strlen("{\"n\":1}"));
    assert_memory_equal(body, "{\"n\":1}", len);
    assert_int_equal(hub_rpc_reader_next_text(r, &body, &len, &err), 0);
    assert_null(body);
    assert_int_equal(hub_rpc_reader_feed(r, f2 + l2 - 1, 1, &err), 0);
    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), 1);
    assert_int_equal(json_integer_value(json_object_get(msg, "n")), 2);
    assert_int_equal(hub_rpc_reader_pending_bytes(r), 0);
    json_decref(msg);
    json_decref(one);
    json_decref(two);
    free(f1);
    free(f2);
    hub_rpc_reader_destroy(r);
}

/* ---- rows ---------------------------------------------------------------
 */

/* A running job that leaves few fields at their defaults, with names that
 * need escaping. */
static void busy_job(hub_job_t *job, uint32_t id)
{
    static hub_alloc_node_t nodes[2] = {
        {.node = 3, .cpus = 8, .mem_mb = 4096, .gpu_milli = {1000, 250}},
        {.node = 5, .cpus = 2, .mem_mb = 1024},
    };

    memset(job, 0, sizeof(*job));
    job->id = id;
    job->array_job_id = id - 1;
    job->array_task_id = 1;
    job->uid = 1000;
    job->gid = 100;
    snprintf(job->user, sizeof(job->user), "o\"neil");
    snprintf(job->req.name, sizeof(job->req.name), "train \\ \xe6\x97\xa5\n");
    snprintf(job->req.partition, sizeof(job->req.partition), "gpu");
    job->req.kind = HUB_KIND_TRAIN;
    job->req.nodes_min = 2;
    job->req.gpus_per_node_milli = 1250;
    job->req.mem_per_node_mb = 4096;
    job->req.time_limit_s = 3600;
    job->req.nice = -5;
    job->req.exclusive = true;
    job->req.ndeps = 2;
    job->req.deps[0] = (hub_job_dep_t){HUB_DEP_AFTEROK, 7};
    job->req.deps[1] = (hub_job_dep_t){HUB_DEP_AFTERANY, 8};
    job->state = HUB_JOB_RUNNING;
    job->reason = HUB_REASON_NONE;
    job->submit_ms = 1795302312000LL;
    job->start_ms = 1795302313000LL;
    job->priority = -42;
    job->hub = 1;
    job->alloc.nnodes = 2;
    job->alloc.nodes = nodes;
}

static void write_row(hub_rpc_writer_t *w, const void *arg)
{
    const hub_job_t *job = arg;

    hub_rpc_writer_text(w, "[");
    hub_job_row_write(w, job, ~0ull);
    hub_rpc_writer_text(w, "]");
}

/* The object form's value under a column name ("req.NAME" in "req"). */
static json_t *object_value(json_t *obj, const char *name)
{
    if (strncmp(name, "req.", 4) == 0)
        return json_object_get(json_object_get(obj, "req"), name + 4);
    return json_object_get(obj, name);
}

static void test_row_cells_are_the_object_form_values(void **state)
{
    hub_job_t job;
    json_t *row, *names, *obj;
    size_t i;
    json_t *name;

    busy_job(&job, 12);
    row = written(write_row, &job);
    names = hub_job_column_names(~0ull);
    obj = hub_job_to_json(&job);
    assert_int_equal(json_array_size(row), json_array_size(names));
    json_array_foreach(names, i, name)
    {
        const char *n = json_string_value(name);
        json_t *want = object_value(obj, n);

        assert_non_null(want);
        if (!json_equal(json_array_get(row, i), want))
            fail_msg("column %s differs", n);
    }
    json_decref(row);
    json_decref(names);
    json_decref(obj);
}

/* ---- the reader ---------------------------------------------------------
 */

/* A table answer for jobs, as the controller writes it: the columns of
 * want they need, and with placement "nodelist" and "hub_name". */
static char *table_text(const hub_job_t *jobs, size_t n, uint64_t want,
                        bool placement, size_t *len)
{
    uint64_t cols = 0;
    json_t *head = json_pack("{s:i, s:I, s:i}", "rc", 0, "now_ms",
                             (json_int_t)NOW_MS, "seq", 3);
    json_t *names;
    hub_rpc_writer_t w;
    hub_error_t err;
    char *frame;

    for (size_t i = 0; i < n; i++)
        cols |= hub_job_columns(&jobs[i], want);
    names = hub_job_column_names(cols);
    if (placement)
        json_array_extend(names, json_pack("[s, s]", "nodelist", "hub_name"));
    json_object_set_new(head, "columns", names);
    hub_rpc_writer_init(&w);
    hub_rpc_writer_open(&w, head);
    hub_rpc_writer_key(&w, "rows");
    hub_rpc_writer_text(&w, "[");
    for (size_t i = 0; i < n; i++) {
        hub_rpc_writer_text(&w, i ? ",[" : "[");
        hub_job_row_write(&w, &jobs[i], cols);
        if (placement)
            hub_rpc_writer_text(&w, ",\"n[3,5]\",\"hubB\"");
        hub_rpc_writer_text(&w, "]");
    }
    hub_rpc_writer_text(&w, "]}");
    assert_int_equal(hub_rpc_writer_finish(&w, &frame, len, &err), 0);
    json_decref(head);
    *len -= HUB_RPC_HEADER_BYTES;
    memmove(frame, frame + HUB_RPC_HEADER_BYTES, *len);
    return frame;
}

/* The reader's job equals the original, field by field in JSON. */
static void assert_same_job(const cmd_job_t *row, const hub_job_t *job)
{
    json_t *got = hub_job_to_json(&row->job), *want = hub_job_to_json(job);

    if (!json_equal(got, want)) {
        char *a = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *b = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("read %s\nwant %s", a, b);
    }
    json_decref(got);
    json_decref(want);
}

static void test_table_text_reads_back_the_rows(void **state)
{
    hub_job_t jobs[3];
    cmd_job_t *rows;
    json_t *resp;
    size_t n, len;
    hub_error_t err;
    char *text;

    busy_job(&jobs[0], 12);
    memset(&jobs[1], 0, sizeof(jobs[1]));
    jobs[1].id = 13;
    jobs[1].array_task_id = -1;
    busy_job(&jobs[2], 14);
    jobs[2].state = HUB_JOB_PENDING;
    jobs[2].reason = HUB_REASON_PRIORITY;
    jobs[2].priority = INT64_MIN;
    text = table_text(jobs, 3, ~0ull, true, &len);
    assert_int_equal(cmd_table_from_text(text, len, &resp, &rows, &n, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_same_job(&rows[i], &jobs[i]);
        assert_string_equal(rows[i].nodelist, "n[3,5]");
        assert_string_equal(rows[i].hub_name, "hubB");
    }
    assert_null(json_object_get(resp, "rows"));
    assert_int_equal(json_integer_value(json_object_get(resp, "now_ms")),
                     NOW_MS);
    cmd_jobs_destroy(rows, n);
    json_decref(resp);
    free(text);
}

/* The same answer built by jansson: keys sorted (rows before columns),
 * indented, cells with escapes jansson chose. */
static void test_table_text_takes_any_json_layout(void **state)
{
    const char *text = "{\n  \"rows\": [\n    [ 5 , \"R\\u0055NNING\", "
                       "-0, 1.5e3, [ ] ],\n [6,\"PENDING\",7,null,[]]\n ],\n"
                       "  \"seq\": 1, \"rc\" : 0,\n  \"columns\": [\"id\", "
                       "\"state\", \"priority\", \"gpu_hours\", "
                       "\"req.deps\"]\n}\n";
    cmd_job_t *rows;
    json_t *resp;
    size_t n;
    hub_error_t err;

    assert_int_equal(
        cmd_table_from_text(text, strlen(text), &resp, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].job.id, 5);
    assert_int_equal(rows[0].job.state, HUB_JOB_RUNNING);
    assert_int_equal(rows[0].job.priority, 0);
    assert_true(rows[0].gpu_hours == 1500.0);
    assert_int_equal(rows[1].job.priority, 7);
    assert_true(rows[1].gpu_hours < 0);
    cmd_jobs_destroy(rows, n);
    json_decref(resp);
}

/* text is refused with -EPROTO (not JSON) or -EINVAL (JSON, wrong value),
 * and nothing is left to free. */
static void assert_refused(const char *text, int want)
{
    cmd_job_t *rows = (cmd_job_t *)1;
    json_t *resp = (json_t *)1;
    size_t n = 1;
    hub_error_t err;
    int rc = cmd_table_from_text(text, strlen(text), &resp, &rows, &n, &err);

    if (rc != want)
        fail_msg("%s: rc %d, want %d (%s)", text, rc, want, err.text);
    assert_null(rows);
    assert_null(resp);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err.text, "bad answer from hubctld"));
}

#define HEAD "{\"rc\":0,\"columns\":[\"id\",\"state\",\"req.name\"],\"rows\":"

static void test_table_text_refuses_what_is_not_json(void **state)
{
    assert_refused("", -EPROTO);
    assert_refused("[]", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\"]", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\"]]", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\"]]} x", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\"],]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\"]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\",4]]}", -EPROTO);
    assert_refused(HEAD "[[01,\"PENDING\",\"a\"]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",tru]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\tb\"]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"\\x\"]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"\xff\"]]}", -EPROTO);
    assert_refused(HEAD "[[99999999999999999999,\"PENDING\",\"a\"]]}", -EPROTO);
    assert_refused(HEAD "[[1,\"PENDING\",\"a\"]],\"seq\":}", -EPROTO);
    assert_refused("{\"rc\":0,\"rows\":[[1]]}", -EPROTO);
}

static void test_table_text_refuses_wrong_values(void **state)
{
    assert_refused(HEAD "[[1.5,\"PENDING\",\"a\"]]}", -EINVAL);
    assert_refused(HEAD "[[-1,\"PENDING\",\"a\"]]}", -EINVAL);
    assert_refused(HEAD "[[1,\"WAITING\",\"a\"]]}", -EINVAL);
    assert_refused(HEAD "[[1,\"PENDING\",7]]}", -EINVAL);
    assert_refused(HEAD "[[1,\"PENDING\",\"" /* 64 bytes: one too many */
                        "0123456789012345678901234567890123456789012345678901"
                        "234567890123\"]]}",
                   -EINVAL);
}

/* The column set a format asks for (qformat_columns); *placement when
 * it names "nodelist" or "hub_name". */
static uint64_t format_columns(const qformat_t *f, bool *placement)
{
    json_t *names = json_array(), *name;
    uint64_t want = 0;
    size_t i;

    assert_int_equal(qformat_columns(f, names, NULL), 0);
    *placement = false;
    json_array_foreach(names, i, name)
    {
        int col = hub_job_column_find(json_string_value(name));

        if (col >= 0)
            want |= 1ull << col;
        else
            *placement = true;
    }
    json_decref(names);
    return want;
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

/* job read back from a table of only the columns f asks for prints as
 * the whole job does. */
static void assert_columns_suffice(const qformat_t *f, char type,
                                   const hub_job_t *job)
{
    cmd_job_t whole = {.job = *job, .nodelist = "n[3,5]", .hub_name = "hubB"};
    bool placement;
    uint64_t want = format_columns(f, &placement);
    cmd_job_t *rows;
    json_t *resp;
    size_t n, len;
    hub_error_t err;
    char *text = table_text(job, 1, want, placement, &len);
    char *got, *full;

    assert_int_equal(cmd_table_from_text(text, len, &resp, &rows, &n, &err), 0);
    got = printed(f, &rows[0]);
    full = printed(f, &whole);
    if (strcmp(got, full) != 0)
        fail_msg("%%%c of job %u: '%s' from its columns, '%s' whole", type,
                 job->id, got, full);
    free(got);
    free(full);
    cmd_jobs_destroy(rows, n);
    json_decref(resp);
    free(text);
}

static void test_format_columns_hold_what_fields_read(void **state)
{
    hub_job_t jobs[2];

    busy_job(&jobs[0], 12);
    busy_job(&jobs[1], 14);
    jobs[1].state = HUB_JOB_PENDING;
    jobs[1].reason = HUB_REASON_DEPENDENCY;
    jobs[1].alloc.nnodes = 0;
    jobs[1].req.gpus_per_node_milli = 0;
    jobs[1].req.gpus_milli = 500;
    jobs[1].req.mem_all = true;
    jobs[1].end_ms = jobs[1].start_ms + 90000;
    snprintf(jobs[1].req.gpu_type, HUB_NAME_MAX, "h100");
    snprintf(jobs[1].req.account, HUB_NAME_MAX, "physics");
    snprintf(jobs[1].req.hub, HUB_NAME_MAX, "hubA");
    jobs[0].hrun_step = 420;
    jobs[0].hrun_mfu_ppm = 412000;
    jobs[0].hrun_restarts = 2;
    for (char t = 'A'; t <= 'z'; t++) {
        char fmt[] = {'%', t, '\0'};
        qformat_t *f = qformat_create(fmt, NULL);

        for (size_t i = 0; f && i < 2; i++)
            assert_columns_suffice(f, t, &jobs[i]);
        qformat_destroy(f);
    }
}

static void test_table_text_reports_the_refusal(void **state)
{
    const char *text = "{\"rc\":-2,\"error\":\"no job 99\",\"seq\":4}";
    cmd_job_t *rows;
    json_t *resp;
    size_t n;
    hub_error_t err;

    assert_int_equal(
        cmd_table_from_text(text, strlen(text), &resp, &rows, &n, &err),
        -ENOENT);
    assert_string_equal(err.text, "no job 99");
    assert_null(resp);
}

static void test_table_text_reads_the_object_form(void **state)
{
    const char *text = "{\"rc\":0,\"jobs\":[{\"id\":4,\"state\":\"RUNNING\","
                       "\"nodelist\":\"n1\"}]}";
    cmd_job_t *rows;
    json_t *resp;
    size_t n;
    hub_error_t err;

    assert_int_equal(
        cmd_table_from_text(text, strlen(text), &resp, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].job.id, 4);
    assert_string_equal(rows[0].nodelist, "n1");
    cmd_jobs_destroy(rows, n);
    json_decref(resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_escapes_quotes_backslashes_and_controls),
        cmocka_unit_test(test_writer_replaces_bytes_that_are_not_utf8),
        cmocka_unit_test(test_writer_ints_cover_int64),
        cmocka_unit_test(test_writer_frame_extends_an_object),
        cmocka_unit_test(test_writer_refuses_frames_over_the_maximum),
        cmocka_unit_test(test_reader_text_stays_until_the_next_call),
        cmocka_unit_test(test_row_cells_are_the_object_form_values),
        cmocka_unit_test(test_table_text_reads_back_the_rows),
        cmocka_unit_test(test_table_text_takes_any_json_layout),
        cmocka_unit_test(test_table_text_refuses_what_is_not_json),
        cmocka_unit_test(test_table_text_refuses_wrong_values),
        cmocka_unit_test(test_format_columns_hold_what_fields_read),
        cmocka_unit_test(test_table_text_reports_the_refusal),
        cmocka_unit_test(test_table_text_reads_the_object_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

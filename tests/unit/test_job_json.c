/* test_job_json.c - JSON form of jobs and requests: exact round trips,
 * names for enums, strict rejection of bad input naming the field. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

static void fill_req(hub_job_req_t *r)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->name, "gpt 1.3b");
    strcpy(r->partition, "gpu");
    strcpy(r->hub, "gansu");
    strcpy(r->account, "llm");
    strcpy(r->qos, "high");
    strcpy(r->gpu_type, "h100");
    strcpy(r->constraint, "nvlink");
    r->kind = HUB_KIND_TRAIN;
    r->nodes_min = 4;
    r->nodes_max = 8;
    r->ntasks = 32;
    r->ntasks_per_node = 8;
    r->cpus_per_task = 12;
    r->gpus_milli = 32000;
    r->gpus_per_node_milli = 8000;
    r->mem_per_node_mb = 491520;
    r->time_limit_s = INT64_MAX;
    r->exclusive = true;
    r->requeue = true;
    r->nice = -5;
    r->signal_num = 10;
    r->signal_secs = 120;
    r->signal_batch_only = true;
    r->begin_ms = 1700000000123;
    r->ndeps = 2;
    r->deps[0] = (hub_job_dep_t){HUB_DEP_AFTEROK, 12};
    r->deps[1] = (hub_job_dep_t){HUB_DEP_AFTERNOTOK, UINT32_MAX};
    r->deps_any = true;
    r->mem_per_cpu_mb = 7;
    r->spare_nodes = 1;
    strcpy(r->data_hub, "shanghai");
    strcpy(r->region, "east");
    r->latency_slo_ms = 200;
}

static void assert_req_equal(const hub_job_req_t *a, const hub_job_req_t *b)
{
    json_t *ja = hub_job_req_to_json(a), *jb = hub_job_req_to_json(b);
    assert_true(json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->data_hub, b->data_hub);
    assert_int_equal(a->time_limit_s, b->time_limit_s);
    assert_int_equal(a->nice, b->nice);
    assert_int_equal(a->ndeps, b->ndeps);
    assert_memory_equal(a->deps, b->deps, sizeof(a->deps));
    assert_int_equal(a->mem_per_node_mb, b->mem_per_node_mb);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->signal_batch_only, b->signal_batch_only);
}

/* Encode, print, parse the text and decode: what the store does. */
static json_t *through_text(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    json_t *back = json_loads(text, 0, NULL);
    free(text);
    json_decref(j);
    assert_non_null(back);
    return back;
}

static void test_req_round_trip_is_exact(void **state)
{
    hub_job_req_t a, b;
    hub_error_t err;
    json_t *j;

    fill_req(&a);
    j = through_text(hub_job_req_to_json(&a));
    memset(&b, 0xff, sizeof(b));
    assert_int_equal(hub_job_req_from_json(j, &b, &err), 0);
    assert_req_equal(&a, &b);
    json_decref(j);
}

static void fill_job(hub_job_t *job)
{
    memset(job, 0, sizeof(*job));
    job->id = 77;
    job->array_job_id = 70;
    job->array_task_id = 7;
    job->array_max_running = 4;
    job->uid = 1000;
    job->gid = 100;
    strcpy(job->user, "alice");
    fill_req(&job->req);
    job->state = HUB_JOB_RUNNING;
    job->reason = HUB_REASON_NONE;
    job->held = true;
    job->held_admin = true;
    job->submit_ms = 1;
    job->eligible_ms = 2;
    job->start_ms = 3;
    job->end_ms = 4;
    job->priority = -9;
    job->exit_code = 137;
    job->term_signal = 9;
    job->restart_count = 2;
    job->hub = 1;
    job->alloc.nnodes = 2;
    job->alloc.nodes = calloc(2, sizeof(hub_alloc_node_t));
    job->alloc.nodes[0] = (hub_alloc_node_t){3, 4, 100, {1000, 250}};
    job->alloc.nodes[1].node = 9;
    job->alloc.nodes[1].gpu_milli[HUB_NODE_MAX_GPUS - 1] = 1000;
}

static void test_job_round_trip_with_allocation(void **state)
{
    hub_job_t a, b;
    hub_error_t err;
    json_t *j, *j2;

    fill_job(&a);
    j = through_text(hub_job_to_json(&a));
    assert_int_equal(hub_job_from_json(j, &b, &err), 0);
    j2 = hub_job_to_json(&b);
    assert_true(json_equal(j, j2));
    assert_int_equal(b.alloc.nnodes, 2);
    assert_memory_equal(a.alloc.nodes, b.alloc.nodes,
                        2 * sizeof(hub_alloc_node_t));
    assert_int_equal(b.array_task_id, 7);
    assert_int_equal(b.priority, -9);
    assert_string_equal(b.user, "alice");
    assert_req_equal(&a.req, &b.req);
    json_decref(j);
    json_decref(j2);
    hub_job_clear(&a);
    hub_job_clear(&b);
}

/* hrun's reports (job_progress, job_report) survive the store's trip and
 * keep their fixed-point units; an MFU above 100% is refused. */
static void test_hrun_fields_round_trip_and_are_range_checked(void **state)
{
    hub_job_t a, b;
    hub_error_t err;
    json_t *j;

    memset(&a, 0, sizeof(a));
    a.id = 5;
    a.array_task_id = -1;
    a.hrun_step = 123456789012LL;
    a.hrun_restarts = 3;
    a.hrun_mfu_ppm = 412345;
    a.hrun_mfu_mean_ppm = 400000;
    a.hrun_goodput_ppm = 987654;
    a.hrun_work_lost_ms = 61500;
    j = through_text(hub_job_to_json(&a));
    assert_int_equal(json_integer_value(json_object_get(j, "hrun_mfu_ppm")),
                     412345);
    assert_int_equal(hub_job_from_json(j, &b, &err), 0);
    assert_int_equal(b.hrun_step, 123456789012LL);
    assert_int_equal(b.hrun_restarts, 3);
    assert_int_equal(b.hrun_mfu_ppm, 412345);
    assert_int_equal(b.hrun_mfu_mean_ppm, 400000);
    assert_int_equal(b.hrun_goodput_ppm, 987654);
    assert_int_equal(b.hrun_work_lost_ms, 61500);
    json_decref(j);

    j = json_pack("{s:i, s:i}", "id", 5, "hrun_mfu_ppm", 1000001);
    assert_int_equal(hub_job_from_json(j, &b, &err), -EINVAL);
    assert_non_null(strstr(err.text, "hrun_mfu_ppm"));
    json_decref(j);
}

static void test_json_uses_names_and_trims_gpu_slots(void **state)
{
    hub_job_t a;
    json_t *j;
    const json_t *n0, *n1, *dep;

    fill_job(&a);
    j = hub_job_to_json(&a);
    assert_string_equal(json_string_value(json_object_get(j, "state")),
                        "RUNNING");
    assert_string_equal(json_string_value(json_object_get(j, "reason")),
                        "None");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "req"), "kind")),
        "train");
    dep = json_array_get(json_object_get(json_object_get(j, "req"), "deps"), 0);
    assert_string_equal(json_string_value(json_object_get(dep, "type")),
                        "afterok");
    assert_int_equal(json_integer_value(json_object_get(dep, "job_id")), 12);
    n0 = json_array_get(json_object_get(j, "alloc"), 0);
    n1 = json_array_get(json_object_get(j, "alloc"), 1);
    assert_int_equal(json_array_size(json_object_get(n0, "gpu_milli")), 2);
    assert_int_equal(json_array_size(json_object_get(n1, "gpu_milli")),
                     HUB_NODE_MAX_GPUS);
    assert_int_equal(json_integer_value(json_object_get(n0, "mem_mb")), 100);
    json_decref(j);
    hub_job_clear(&a);
}

static void test_missing_fields_take_zero_defaults(void **state)
{
    hub_job_t job;
    hub_error_t err;
    json_t *j = json_pack("{s:i}", "id", 5);

    assert_int_equal(hub_job_from_json(j, &job, &err), 0);
    assert_int_equal(job.id, 5);
    assert_int_equal(job.state, HUB_JOB_PENDING);
    assert_int_equal(job.req.nodes_min, 0);
    assert_int_equal(job.req.kind, HUB_KIND_BATCH);
    assert_int_equal(job.array_task_id, -1);
    assert_int_equal(job.alloc.nnodes, 0);
    assert_null(job.alloc.nodes);
    json_decref(j);
}

/* Each bad request and the text its error must contain. */
static const struct {
    const char *json;
    const char *want;
} bad_reqs[] = {
    {"{\"nodes_min\": -1}", "req.nodes_min: expected an integer"},
    {"{\"nodes_min\": \"2\"}", "req.nodes_min"},
    {"{\"nodes_min\": 1.5}", "req.nodes_min"},
    {"{\"nodes_min\": 4294967296}", "req.nodes_min"},
    {"{\"exclusive\": 1}", "req.exclusive: expected true or false"},
    {"{\"name\": \"0123456789012345678901234567890123456789012345678901234"
     "567890123\"}",
     "req.name: expected at most 63 bytes"},
    {"{\"partition\": 3}", "req.partition: expected a string"},
    {"{\"kind\": \"weird\"}", "req.kind"},
    {"{\"deps\": {}}", "req.deps: expected an array"},
    {"{\"deps\": [{\"type\": \"afterok\", \"job_id\": 0}]}",
     "req.deps[0].job_id"},
    {"{\"deps\": [{\"type\": \"before\", \"job_id\": 3}]}", "req.deps[0].type"},
    {"{\"deps\": [{\"type\": \"afterok\", \"job_id\": 3, \"x\": 1}]}",
     "req.deps[0].x: unknown field"},
    {"{\"deps\": [1]}", "req.deps[0]"},
    {"{\"bogus\": 1}", "req.bogus: unknown field"},
    {"{\"signal_num\": 65}", "req.signal_num"},
    {"{\"mem_per_node_mb\": -1}", "req.mem_per_node_mb"},
    {"{\"time_limit_s\": -5}", "req.time_limit_s"},
    {"[]", "req: expected an object"},
};

static void test_req_rejects_bad_types_ranges_and_keys(void **state)
{
    for (size_t i = 0; i < sizeof(bad_reqs) / sizeof(bad_reqs[0]); i++) {
        hub_job_req_t req;
        hub_error_t err;
        json_t *j = json_loads(bad_reqs[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        assert_int_equal(hub_job_req_from_json(j, &req, &err), -EINVAL);
        if (!strstr(err.text, bad_reqs[i].want))
            fail_msg("%s: got '%s'", bad_reqs[i].json, err.text);
        json_decref(j);
    }
}

static void test_req_rejects_too_many_deps_and_nul_in_strings(void **state)
{
    hub_job_req_t req;
    hub_error_t err;
    json_t *deps = json_array();
    json_t *j;

    for (int i = 0; i <= HUB_JOB_MAX_DEPS; i++)
        json_array_append_new(
            deps, json_pack("{s:s,s:i}", "type", "after", "job_id", i + 1));
    j = json_pack("{s:o}", "deps", deps);
    assert_int_equal(hub_job_req_from_json(j, &req, &err), -EINVAL);
    assert_non_null(strstr(err.text, "req.deps"));
    json_decref(j);
    j = json_pack("{s:s%}", "name", "a\0b", (size_t)3);
    assert_int_equal(hub_job_req_from_json(j, &req, &err), -EINVAL);
    assert_non_null(strstr(err.text, "req.name"));
    json_decref(j);
}

static const struct {
    const char *json;
    const char *want;
} bad_jobs[] = {
    {"{\"state\": \"RUN\"}", "state"},
    {"{\"state\": \"R\"}", "state"},
    {"{\"reason\": \"Because\"}", "reason"},
    {"{\"alloc\": {}}", "alloc: expected an array"},
    {"{\"alloc\": [3]}", "alloc[0]"},
    {"{\"alloc\": [{\"node\": 1, \"gpu_milli\": [1001]}]}",
     "alloc[0].gpu_milli"},
    {"{\"alloc\": [{\"node\": 1, \"gpu_milli\": [0,0,0,0,0,0,0,0,0,0,0,0,0,"
     "0,0,0,0]}]}",
     "alloc[0].gpu_milli"},
    {"{\"alloc\": [{\"node\": 1}, {\"node\": 2, \"disk\": 1}]}",
     "alloc[1].disk: unknown field"},
    {"{\"array_task_id\": -2}", "array_task_id"},
    {"{\"req\": {\"ntasks\": -1}}", "req.ntasks"},
    {"{\"id\": 1, \"extra\": true}", "extra: unknown field"},
    {"\"job\"", "expected an object"},
};

static void test_job_rejects_bad_state_alloc_and_fields(void **state)
{
    for (size_t i = 0; i < sizeof(bad_jobs) / sizeof(bad_jobs[0]); i++) {
        hub_job_t job;
        hub_error_t err;
        json_t *j = json_loads(bad_jobs[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        assert_int_equal(hub_job_from_json(j, &job, &err), -EINVAL);
        if (!strstr(err.text, bad_jobs[i].want))
            fail_msg("%s: got '%s'", bad_jobs[i].json, err.text);
        json_decref(j);
    }
}

static void test_failed_decode_leaves_job_unchanged(void **state)
{
    hub_job_t job, before;
    hub_error_t err;
    json_t *j =
        json_loads("{\"id\": 9, \"alloc\": [{\"node\": 1}, 7]}", 0, NULL);

    memset(&job, 0x5a, sizeof(job));
    before = job;
    assert_int_equal(hub_job_from_json(j, &job, &err), -EINVAL);
    assert_memory_equal(&job, &before, sizeof(job));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_req_round_trip_is_exact),
        cmocka_unit_test(test_job_round_trip_with_allocation),
        cmocka_unit_test(test_hrun_fields_round_trip_and_are_range_checked),
        cmocka_unit_test(test_json_uses_names_and_trims_gpu_slots),
        cmocka_unit_test(test_missing_fields_take_zero_defaults),
        cmocka_unit_test(test_req_rejects_bad_types_ranges_and_keys),
        cmocka_unit_test(test_req_rejects_too_many_deps_and_nul_in_strings),
        cmocka_unit_test(test_job_rejects_bad_state_alloc_and_fields),
        cmocka_unit_test(test_failed_decode_leaves_job_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

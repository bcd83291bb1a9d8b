/* test_exec_req.c - the exec service's request: decoding and its
 * refusals, the credential's binding to job and node, who may run what,
 * and the hub-jobstart command line and environment built from it. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec_req.h"

static char *job_env[] = {"PATH=/usr/bin:/bin",
                          "HUB_NODE=n2",
                          "HUB_NODE_INDEX=1",
                          "SLURM_NODEID=1",
                          "CUDA_VISIBLE_DEVICES=3",
                          "HOME=/home/ann",
                          NULL};
static const char *const job_cgroups[] = {"/sys/fs/cgroup/pids/hub/job_7",
                                          NULL};
static const exec_job_t job = {.id = 7,
                               .uid = 1000,
                               .gid = 100,
                               .user = "ann",
                               .workdir = "/home/ann/run",
                               .env = job_env,
                               .cgroups = job_cgroups};

static int parse(const char *text, exec_req_t *req, hub_error_t *err)
{
    json_t *msg = json_loads(text, 0, NULL);
    int rc;

    assert_non_null(msg);
    rc = exec_req_parse(msg, req, err);
    json_decref(msg); /* the tests below only look at rc and err */
    return rc;
}

static void expect_refused(const char *text, const char *what)
{
    exec_req_t req;
    hub_error_t err;

    assert_int_equal(parse(text, &req, &err), -EINVAL);
    assert_non_null(strstr(err.text, what));
    assert_null(req.argv);
    assert_null(req.env);
}

static void test_full_request_is_decoded(void **state)
{
    json_t *msg = json_loads("{\"op\":\"exec\",\"job_id\":7,"
                             "\"argv\":[\"/bin/sh\",\"-c\",\"echo hi\"],"
                             "\"env\":[\"A=1\",\"B=\"],\"cwd\":\"/tmp\","
                             "\"cred\":\"MUNGE:x\"}",
                             0, NULL);
    exec_req_t req;

    assert_int_equal(exec_req_parse(msg, &req, NULL), 0);
    assert_int_equal(req.job_id, 7);
    assert_string_equal(req.argv[2], "echo hi");
    assert_null(req.argv[3]);
    assert_string_equal(req.env[1], "B=");
    assert_null(req.env[2]);
    assert_string_equal(req.cwd, "/tmp");
    assert_string_equal(req.cred, "MUNGE:x");
    exec_req_fini(&req);
    json_decref(msg);
}

static void test_optional_fields_may_be_absent(void **state)
{
    exec_req_t req;

    assert_int_equal(
        parse("{\"op\":\"exec\",\"job_id\":1,\"argv\":[\"x\"]}", &req, NULL),
        0);
    assert_null(req.env);
    assert_null(req.cwd);
    assert_null(req.cred);
    exec_req_fini(&req);
}

static void test_malformed_requests_are_refused(void **state)
{
    expect_refused("{\"op\":\"run\",\"job_id\":1,\"argv\":[\"x\"]}",
                   "unknown op \"run\"");
    expect_refused("{\"op\":\"exec\",\"argv\":[\"x\"]}", "job_id");
    expect_refused("{\"op\":\"exec\",\"job_id\":0,\"argv\":[\"x\"]}", "job_id");
    expect_refused("{\"op\":\"exec\",\"job_id\":4294967296,\"argv\":[\"x\"]}",
                   "job_id");
    expect_refused("{\"op\":\"exec\",\"job_id\":1,\"argv\":[]}", "argv");
    expect_refused("{\"op\":\"exec\",\"job_id\":1,\"argv\":[\"\"]}", "argv");
    expect_refused("{\"op\":\"exec\",\"job_id\":1,\"argv\":[\"x\",2]}", "argv");
    expect_refused("{\"op\":\"exec\",\"job_id\":1,\"argv\":\"x\"}", "argv");
    expect_refused(
        "{\"op\":\"exec\",\"job_id\":1,\"argv\":[\"x\"],\"env\":[\"NOEQ\"]}",
        "env");
    expect_refused(
        "{\"op\":\"exec\",\"job_id\":1,\"argv\":[\"x\"],\"cwd\":\"tmp\"}",
        "not an absolute path");
    expect_refused("{\"op\":\"exec\",\"job_id\":1,\"argv\":[\"x\"],"
                   "\"cred\":5}",
                   "cred");
}

static void test_payload_must_name_this_job_and_node(void **state)
{
    hub_error_t err;

    assert_int_equal(exec_req_check_payload("exec 7 n2", 7, "n2", &err), 0);
    assert_int_equal(exec_req_check_payload("exec 8 n2", 7, "n2", &err),
                     -EPERM);
    assert_non_null(strstr(err.text, "not \"exec 7 n2\""));
    assert_int_equal(exec_req_check_payload("exec 7 n3", 7, "n2", &err),
                     -EPERM);
    assert_int_equal(exec_req_check_payload("node_register n2", 7, "n2", &err),
                     -EPERM);
}

static void test_only_owner_and_root_may_exec(void **state)
{
    hub_error_t err;

    assert_int_equal(exec_req_authorise(&job, 7, 1000, "n2", &err), 0);
    assert_int_equal(exec_req_authorise(&job, 7, 0, "n2", &err), 0);
    assert_int_equal(exec_req_authorise(&job, 7, 1001, "n2", &err), -EPERM);
    assert_non_null(strstr(err.text, "uid 1001 may not"));
    assert_int_equal(exec_req_authorise(NULL, 9, 1000, "n2", &err), -EPERM);
    assert_string_equal(err.text, "job 9 is not running on node n2");
}

static void expect_argv(char **got, const char *const *want)
{
    size_t i;

    assert_non_null(got);
    for (i = 0; want[i]; i++)
        assert_string_equal(got[i], want[i]);
    assert_null(got[i]);
}

static void test_jobstart_command_line_follows_its_contract(void **state)
{
    const char *argv[] = {"/bin/sh", "-c", "echo hi", NULL};
    exec_req_t req = {.job_id = 7, .argv = argv};
    const char *const as_root[] = {"/x/hub-jobstart",
                                   "--uid=1000",
                                   "--gid=100",
                                   "--user=ann",
                                   "--cgroup=/sys/fs/cgroup/pids/hub/job_7",
                                   "--chdir=/home/ann/run",
                                   "--setsid",
                                   "--",
                                   "/bin/sh",
                                   "-c",
                                   "echo hi",
                                   NULL};
    const char *const as_user_in_tmp[] = {
        "/x/hub-jobstart",
        "--cgroup=/sys/fs/cgroup/pids/hub/job_7",
        "--chdir=/tmp",
        "--setsid",
        "--",
        "/bin/sh",
        "-c",
        "echo hi",
        NULL};
    char **v = exec_req_jobstart_argv("/x/hub-jobstart", &job, &req, 1);

    expect_argv(v, as_root);
    exec_strv_free(v);
    req.cwd = "/tmp";
    v = exec_req_jobstart_argv("/x/hub-jobstart", &job, &req, 0);
    expect_argv(v, as_user_in_tmp);
    exec_strv_free(v);
}

static void test_env_takes_node_variables_from_the_job(void **state)
{
    const char *argv[] = {"x", NULL};
    const char *env[] = {"PATH=/opt/bin",
                         "HUB_NODE=n1",
                         "HUB_NODE_INDEX=0",
                         "CUDA_VISIBLE_DEVICES=0",
                         "HUB_JOB_ID=999",
                         "OMPI_MCA_x=1",
                         NULL};
    exec_req_t req = {.job_id = 7, .argv = argv, .env = env};
    const char *const want[] = {"PATH=/opt/bin",
                                "OMPI_MCA_x=1",
                                "HUB_NODE_INDEX=1",
                                "SLURM_NODEID=1",
                                "CUDA_VISIBLE_DEVICES=3",
                                "HUB_JOB_ID=7",
                                "HUB_NODE=n2",
                                NULL};
    char **v = exec_req_env(&job, &req, "n2");

    expect_argv(v, want);
    exec_strv_free(v);
}

static void test_env_is_the_jobs_when_the_request_has_none(void **state)
{
    const char *argv[] = {"x", NULL};
    exec_req_t req = {.job_id = 7, .argv = argv};
    const char *const want[] = {"PATH=/usr/bin:/bin", "HUB_NODE_INDEX=1",
                                "SLURM_NODEID=1",     "CUDA_VISIBLE_DEVICES=3",
                                "HOME=/home/ann",     "HUB_JOB_ID=7",
                                "HUB_NODE=n2",        NULL};
    char **v = exec_req_env(&job, &req, "n2");

    expect_argv(v, want);
    exec_strv_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_request_is_decoded),
        cmocka_unit_test(test_optional_fields_may_be_absent),
        cmocka_unit_test(test_malformed_requests_are_refused),
        cmocka_unit_test(test_payload_must_name_this_job_and_node),
        cmocka_unit_test(test_only_owner_and_root_may_exec),
        cmocka_unit_test(test_jobstart_command_line_follows_its_contract),
        cmocka_unit_test(test_env_takes_node_variables_from_the_job),
        cmocka_unit_test(test_env_is_the_jobs_when_the_request_has_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_auth.c - MUNGE credentials: round trip with payload and identity,
 * replays and garbage refused. Skips (77) without MUNGE or munged. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "munge_setup.h"

static char *encode(const char *payload)
{
    hub_error_t err;
    char *cred = NULL;

    assert_int_equal(hub_auth_encode(payload, &cred, &err), 0);
    assert_non_null(cred);
    return cred;
}

static void test_credential_round_trips_payload_and_identity(void **state)
{
    char *cred = encode("exec 12 node3");
    char *payload = NULL;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    hub_error_t err;

    assert_int_equal(hub_auth_decode(cred, &uid, &gid, &payload, &err), 0);
    assert_string_equal(payload, "exec 12 node3");
    assert_int_equal(uid, getuid());
    assert_int_equal(gid, getgid());
    free(payload);
    free(cred);
}

static void test_empty_payload_round_trips(void **state)
{
    char *cred = encode("");
    char *payload = NULL;
    uid_t uid;
    gid_t gid;

    assert_int_equal(hub_auth_decode(cred, &uid, &gid, &payload, NULL), 0);
    assert_string_equal(payload, "");
    free(payload);
    free(cred);
}

static void test_replayed_credential_is_refused(void **state)
{
    char *cred = encode("node_register n1");
    char *payload = NULL;
    uid_t uid;
    gid_t gid;
    hub_error_t err;

    assert_int_equal(hub_auth_decode(cred, &uid, &gid, &payload, &err), 0);
    free(payload);
    assert_int_equal(hub_auth_decode(cred, &uid, &gid, &payload, &err),
                     -EACCES);
    assert_null(payload);
    assert_non_null(strstr(err.text, "eplayed"));
    free(cred);
}

static void test_garbage_credential_is_refused(void **state)
{
    char *payload = NULL;
    uid_t uid;
    gid_t gid;
    hub_error_t err;

    assert_int_equal(
        hub_auth_decode("MUNGE:garbage:", &uid, &gid, &payload, &err), -EACCES);
    assert_null(payload);
    assert_int_equal(
        hub_auth_decode("not a credential", &uid, &gid, &payload, &err),
        -EACCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_credential_round_trips_payload_and_identity),
        cmocka_unit_test(test_empty_payload_round_trips),
        cmocka_unit_test(test_replayed_credential_is_refused),
        cmocka_unit_test(test_garbage_credential_is_refused),
    };
    char why[HUB_ERROR_TEXT_MAX + 64];

    if (test_munge_ready(why, sizeof(why)) != 0) {
        fprintf(stderr, "test_auth: skipped: %s\n", why);
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

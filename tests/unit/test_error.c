/* test_error.c - error buffers and the logger's line shape and filters. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"

static void test_errorf_formats_and_returns_negative_errno(void **state)
{
    hub_error_t err;
    int rc = hub_errorf(&err, EINVAL, "bad %s at %d", "thing", 7);
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(err.text, "bad thing at 7");
}

static void test_errorf_accepts_null_buffer(void **state)
{
    assert_int_equal(hub_errorf(NULL, ENOENT, "x"), -ENOENT);
}

static void test_error_prefix_adds_context(void **state)
{
    hub_error_t err;
    int rc = hub_errorf(&err, EINVAL, "unknown key 'Foo'");
    rc = hub_error_prefix(&err, rc, "%s:%d", "hub.conf", 12);
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(err.text, "hub.conf:12: unknown key 'Foo'");
}

static void test_error_truncates_long_text(void **state)
{
    hub_error_t err;
    char big[2 * HUB_ERROR_TEXT_MAX];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    hub_errorf(&err, EINVAL, "%s", big);
    assert_int_equal(strlen(err.text), HUB_ERROR_TEXT_MAX - 1);
}

static char *capture(void (*emit)(void))
{
    static char buf[4096];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    hub_log_set_stream(f);
    emit();
    fclose(f);
    hub_log_set_stream(NULL);
    return buf;
}

static void emit_levels(void)
{
    hub_log_init("tester", HUB_LOG_NOTICE);
    hub_log_info("hidden info");
    hub_log_warn("shown %d", 42);
}

static void test_log_filters_by_level_one_line_per_event(void **state)
{
    char *out = capture(emit_levels);
    assert_null(strstr(out, "hidden"));
    assert_non_null(strstr(out, "tester["));
    assert_non_null(strstr(out, "warn: shown 42\n"));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
}

static void emit_debug(void)
{
    hub_log_init("tester", HUB_LOG_ERROR);
    assert_int_equal(hub_log_set_debug("rpc,sched", NULL), 0);
    hub_debug(HUB_DBG_CONF, "conf line");
    hub_debug(HUB_DBG_RPC, "rpc line");
    hub_log_set_rank(3, 8);
    hub_debug(HUB_DBG_SCHED, "ranked");
    hub_log_set_rank(-1, 0);
}

static void test_log_debug_per_subsystem_and_rank_tag(void **state)
{
    char *out = capture(emit_debug);
    assert_null(strstr(out, "conf line"));
    assert_non_null(strstr(out, "debug: rpc line"));
    assert_non_null(strstr(out, "[rank 3/8] debug: ranked"));
}

static void test_log_rejects_unknown_subsystem_and_level(void **state)
{
    hub_error_t err;
    hub_log_level_t level;
    assert_int_equal(hub_log_set_debug("rpc,bogus", &err), -EINVAL);
    assert_non_null(strstr(err.text, "'bogus'"));
    assert_int_equal(hub_log_parse_level("loud", &level, &err), -EINVAL);
    assert_non_null(strstr(err.text, "'loud'"));
    assert_int_equal(hub_log_parse_level("debug", &level, &err), 0);
    assert_int_equal(level, HUB_LOG_DEBUG);
}

/* A daemon's options: each bad one named in the message. */
static void test_log_setup_names_the_bad_option(void **state)
{
    hub_error_t err;

    assert_int_equal(hub_log_setup("t", "loud", NULL, &err), -EINVAL);
    assert_non_null(strstr(err.text, "--log-level"));
    assert_non_null(strstr(err.text, "'loud'"));
    assert_int_equal(hub_log_setup("t", "info", "bogus", &err), -EINVAL);
    assert_non_null(strstr(err.text, "--debug"));
    assert_non_null(strstr(err.text, "'bogus'"));
    assert_int_equal(hub_log_setup("t", NULL, NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errorf_formats_and_returns_negative_errno),
        cmocka_unit_test(test_errorf_accepts_null_buffer),
        cmocka_unit_test(test_error_prefix_adds_context),
        cmocka_unit_test(test_error_truncates_long_text),
        cmocka_unit_test(test_log_filters_by_level_one_line_per_event),
        cmocka_unit_test(test_log_debug_per_subsystem_and_rank_tag),
        cmocka_unit_test(test_log_rejects_unknown_subsystem_and_level),
        cmocka_unit_test(test_log_setup_names_the_bad_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

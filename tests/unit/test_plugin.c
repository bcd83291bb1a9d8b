/* test_plugin.c - the plugin loader against the fixture plugins in
 * tests/unit/plugins/: what loads, what is refused and why.
 *
 * The fixture .so files are found in $HUB_PLUGIN_TEST_DIR (set by the
 * automake harness); without it the test is a hard error (exit 99). */
#include "cmocka_all.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"
#include "plugins/fixture.h"

static const char *plugin_dir;

static const hub_plugin_op_t fixture_mandatory[] = {
    HUB_PLUGIN_OP(struct fixture_ops, init),
    HUB_PLUGIN_OP(struct fixture_ops, run),
};

static const hub_plugin_type_t fixture_type = {
    .name = "fixture",
    .abi_major = FIXTURE_ABI_MAJOR,
    .abi_minor = FIXTURE_ABI_MINOR,
    .ops_size = sizeof(struct fixture_ops),
    .mandatory = fixture_mandatory,
    .n_mandatory = 2,
};

static const struct fixture_ops *ops_of(const hub_plugin_t *p)
{
    return hub_plugin_ops(p);
}

/* Load name from the fixture directory and expect a refusal with errnum
 * and a message containing each of the NULL-terminated strings. */
static void expect_refused(const char *name, int errnum, ...)
{
    hub_error_t err;
    const char *s;
    va_list ap;

    errno = 0;
    assert_null(hub_plugin_load(&fixture_type, name, plugin_dir, &err));
    assert_int_equal(errno, errnum);
    va_start(ap, errnum);
    while ((s = va_arg(ap, const char *)))
        if (!strstr(err.text, s))
            fail_msg("'%s' not in: %s", s, err.text);
    va_end(ap);
}

static void test_good_plugin_loads_and_its_ops_are_callable(void **state)
{
    hub_error_t err;
    hub_plugin_t *p = hub_plugin_load(&fixture_type, "good", plugin_dir, &err);
    const struct fixture_ops *ops;
    int ctx = 0;

    if (!p)
        fail_msg("%s", err.text);
    ops = ops_of(p);
    assert_int_equal(ops->init(&ctx), 0);
    assert_int_equal(ctx, 1);
    assert_int_equal(ops->run(&ctx, 21), 42);
    assert_non_null(ops->extra);
    assert_int_equal(ops->extra(&ctx), FIXTURE_EXTRA_RESULT);
    assert_string_equal(hub_plugin_desc(p)->name, "good");
    assert_int_equal(hub_plugin_desc(p)->abi_minor, 1);
    assert_non_null(strstr(hub_plugin_path(p), "/fixture_good.so"));
    hub_plugin_unload(p);
}

static void test_name_may_carry_its_type(void **state)
{
    hub_plugin_t *p =
        hub_plugin_load(&fixture_type, "fixture/good", plugin_dir, NULL);
    assert_non_null(p);
    hub_plugin_unload(p);
}

static void test_name_of_another_type_is_refused(void **state)
{
    expect_refused("sched/good", EINVAL, "not a fixture plugin", NULL);
}

static void test_name_with_path_characters_is_refused(void **state)
{
    expect_refused("fixture/../good", EINVAL, "bad fixture plugin name", NULL);
    expect_refused("good.so", EINVAL, "bad fixture plugin name", NULL);
    expect_refused("fixture/", EINVAL, "bad fixture plugin name", NULL);
}

static void test_older_minor_plugin_reads_newer_op_as_null(void **state)
{
    hub_plugin_t *p = hub_plugin_load(&fixture_type, "old", plugin_dir, NULL);
    int ctx = 0;

    assert_non_null(p);
    assert_int_equal(hub_plugin_desc(p)->abi_minor, 0);
    assert_true(hub_plugin_desc(p)->ops_size < sizeof(struct fixture_ops));
    assert_null(ops_of(p)->extra);
    assert_int_equal(ops_of(p)->init(&ctx), 0);
    assert_int_equal(ops_of(p)->run(&ctx, 1), 101);
    hub_plugin_unload(p);
}

static void test_newer_minor_plugin_loads_ignoring_unknown_ops(void **state)
{
    hub_plugin_t *p = hub_plugin_load(&fixture_type, "newer", plugin_dir, NULL);

    assert_non_null(p);
    assert_int_equal(hub_plugin_desc(p)->abi_minor, 2);
    assert_true(hub_plugin_desc(p)->ops_size > sizeof(struct fixture_ops));
    assert_int_equal(ops_of(p)->run(NULL, 1), 1001);
    assert_int_equal(ops_of(p)->extra(NULL), 7);
    hub_plugin_unload(p);
}

static void test_wrong_magic_is_refused(void **state)
{
    expect_refused("badmagic", ENOEXEC, "fixture_badmagic.so", "0xdeadbeef",
                   "rebuild it against this hubsched", NULL);
}

static void test_other_abi_major_is_refused(void **state)
{
    expect_refused("abimajor", EPROTO, "fixture_abimajor.so", "ABI 2.0",
                   "provides 1.1", "rebuild the plugin", NULL);
}

static void test_name_not_matching_the_file_is_refused(void **state)
{
    expect_refused("misnamed", EPROTO, "'fixture/other'", "'fixture/misnamed'",
                   "rename the file", NULL);
}

static void test_missing_mandatory_op_is_refused(void **state)
{
    expect_refused("nomandatory", EPROTO, "mandatory op 'run'",
                   "pointer is NULL", NULL);
}

/* A host whose 1.1 made `extra` mandatory refuses a 1.0 plugin, whose
 * ops table is too short to hold it. */
static void test_mandatory_op_past_a_short_ops_table_is_refused(void **state)
{
    const hub_plugin_op_t all[] = {
        HUB_PLUGIN_OP(struct fixture_ops, init),
        HUB_PLUGIN_OP(struct fixture_ops, run),
        HUB_PLUGIN_OP(struct fixture_ops, extra),
    };
    hub_plugin_type_t strict = fixture_type;
    hub_error_t err;

    strict.mandatory = all;
    strict.n_mandatory = 3;
    assert_null(hub_plugin_load(&strict, "old", plugin_dir, &err));
    assert_int_equal(errno, EPROTO);
    assert_non_null(strstr(err.text, "mandatory op 'extra'"));
    assert_non_null(strstr(err.text, "ends before it"));
}

static void test_file_without_descriptor_is_refused(void **state)
{
    expect_refused("nosymbol", ENOEXEC, "fixture_nosymbol.so",
                   "no 'hub_plugin' descriptor symbol", NULL);
}

static void test_unloadable_file_is_refused_with_dlerror(void **state)
{
    char dir[] = "/tmp/hub_test_plugin_XXXXXX", path[64], why[256];
    hub_error_t err;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/fixture_junk.so", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("this is not an ELF file\n", f);
    fclose(f);
    assert_null(dlopen(path, RTLD_NOW | RTLD_LOCAL));
    snprintf(why, sizeof(why), "%s", dlerror());
    assert_null(hub_plugin_load(&fixture_type, "junk", dir, &err));
    assert_int_equal(errno, ENOEXEC);
    assert_non_null(strstr(err.text, "cannot load plugin"));
    assert_non_null(strstr(err.text, why));
    unlink(path);
    rmdir(dir);
}

static void test_not_found_lists_the_directories_searched(void **state)
{
    hub_error_t err;

    assert_null(
        hub_plugin_load(&fixture_type, "good", "/nonexistent/a::/b", &err));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err.text, "fixture_good.so"));
    assert_non_null(strstr(err.text, "in /nonexistent/a, /b;"));
    assert_non_null(strstr(err.text, "PluginDir"));
}

static void test_no_search_path_asks_for_plugindir(void **state)
{
    hub_error_t err;

    assert_null(hub_plugin_load(&fixture_type, "good", NULL, &err));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err.text, "set PluginDir"));
    assert_null(hub_plugin_load(&fixture_type, "good", ":", &err));
    assert_non_null(strstr(err.text, "set PluginDir"));
}

static void test_later_directory_is_searched_after_earlier(void **state)
{
    char path[4096];
    hub_plugin_t *p;

    snprintf(path, sizeof(path), "/nonexistent:%s", plugin_dir);
    p = hub_plugin_load(&fixture_type, "good", path, NULL);
    assert_non_null(p);
    hub_plugin_unload(p);
}

static int builtin_run(void *ctx, int x)
{
    return x - 1;
}

static int builtin_init(void *ctx)
{
    return 0;
}

static const struct fixture_ops builtin_ops = {
    .init = builtin_init,
    .run = builtin_run,
};

static const hub_plugin_desc_t builtin_desc = HUB_PLUGIN_DESC_INIT(
    "fixture", "builtin", FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR, builtin_ops);

static void test_builtin_loads_without_a_file(void **state)
{
    hub_error_t err;
    hub_plugin_t *p;

    assert_int_equal(hub_plugin_register_builtin(&builtin_desc), 0);
    p = hub_plugin_load(&fixture_type, "fixture/builtin", NULL, &err);
    if (!p)
        fail_msg("%s", err.text);
    assert_ptr_equal(hub_plugin_desc(p), &builtin_desc);
    assert_null(hub_plugin_path(p));
    assert_int_equal(ops_of(p)->run(NULL, 5), 4);
    assert_null(ops_of(p)->extra);
    hub_plugin_unload(p);
}

static void test_builtin_registration_refuses_bad_and_duplicate(void **state)
{
    hub_plugin_desc_t bad = builtin_desc;

    bad.name = "builtin2";
    bad.magic = 1;
    assert_int_equal(hub_plugin_register_builtin(NULL), -EINVAL);
    assert_int_equal(hub_plugin_register_builtin(&bad), -EINVAL);
    hub_plugin_register_builtin(&builtin_desc);
    assert_int_equal(hub_plugin_register_builtin(&builtin_desc), -EEXIST);
}

static void test_builtin_is_checked_like_a_file(void **state)
{
    static const hub_plugin_desc_t future = HUB_PLUGIN_DESC_INIT(
        "fixture", "future", FIXTURE_ABI_MAJOR + 3, 0, builtin_ops);
    hub_error_t err;

    assert_int_equal(hub_plugin_register_builtin(&future), 0);
    assert_null(hub_plugin_load(&fixture_type, "future", NULL, &err));
    assert_int_equal(errno, EPROTO);
    assert_non_null(strstr(err.text, "built-in plugin"));
    assert_non_null(strstr(err.text, "ABI 4.0"));
}

static void test_unload_accepts_null(void **state)
{
    hub_plugin_unload(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_plugin_loads_and_its_ops_are_callable),
        cmocka_unit_test(test_name_may_carry_its_type),
        cmocka_unit_test(test_name_of_another_type_is_refused),
        cmocka_unit_test(test_name_with_path_characters_is_refused),
        cmocka_unit_test(test_older_minor_plugin_reads_newer_op_as_null),
        cmocka_unit_test(test_newer_minor_plugin_loads_ignoring_unknown_ops),
        cmocka_unit_test(test_wrong_magic_is_refused),
        cmocka_unit_test(test_other_abi_major_is_refused),
        cmocka_unit_test(test_name_not_matching_the_file_is_refused),
        cmocka_unit_test(test_missing_mandatory_op_is_refused),
        cmocka_unit_test(test_mandatory_op_past_a_short_ops_table_is_refused),
        cmocka_unit_test(test_file_without_descriptor_is_refused),
        cmocka_unit_test(test_unloadable_file_is_refused_with_dlerror),
        cmocka_unit_test(test_not_found_lists_the_directories_searched),
        cmocka_unit_test(test_no_search_path_asks_for_plugindir),
        cmocka_unit_test(test_later_directory_is_searched_after_earlier),
        cmocka_unit_test(test_builtin_loads_without_a_file),
        cmocka_unit_test(test_builtin_registration_refuses_bad_and_duplicate),
        cmocka_unit_test(test_builtin_is_checked_like_a_file),
        cmocka_unit_test(test_unload_accepts_null),
    };

    plugin_dir = getenv("HUB_PLUGIN_TEST_DIR");
    if (!plugin_dir || !plugin_dir[0]) {
        fprintf(stderr, "test_plugin: HUB_PLUGIN_TEST_DIR is not set; point "
                        "it at the directory holding fixture_good.so etc.\n");
        return 99;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

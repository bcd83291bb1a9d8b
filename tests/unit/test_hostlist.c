/* test_hostlist.c - hostlist expansion against Slurm's documented examples,
 * refusal of every kind of bad input with a message naming the offending
 * part, compression, uniq, and encode/expand round trips. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

/* Expand expr; check it gives exactly the comma-separated names in want. */
static void assert_expands(const char *expr, const char *want)
{
    hub_error_t err = {""};
    hub_hostlist_t *hl = hub_hostlist_from_expr(expr, &err);
    char *copy = strdup(want), *save = NULL;
    size_t i = 0;

    if (!hl)
        fail_msg("'%s': %s", expr, err.text);
    for (char *h = strtok_r(copy, ",", &save); h;
         h = strtok_r(NULL, ",", &save), i++) {
        assert_true(i < hub_hostlist_count(hl));
        assert_string_equal(hub_hostlist_nth(hl, i), h);
    }
    assert_int_equal(hub_hostlist_count(hl), i);
    free(copy);
    hub_hostlist_destroy(hl);
}

/* expr is refused with rc, a list it was appended to is unchanged, and the
 * message contains the expression and each non-NULL fragment. */
static void assert_refused(const char *expr, int rc, const char *frag1,
                           const char *frag2)
{
    hub_error_t err = {""};
    hub_hostlist_t *hl = hub_hostlist_from_expr("keep[1-2]", NULL);

    assert_int_equal(hub_hostlist_append(hl, expr, &err), rc);
    assert_int_equal(hub_hostlist_count(hl), 2);
    assert_string_equal(hub_hostlist_nth(hl, 1), "keep2");
    if (!strstr(err.text, "hostlist '") || !strstr(err.text, frag1) ||
        (frag2 && !strstr(err.text, frag2)))
        fail_msg("'%s': message '%s' lacks '%s' / '%s'", expr, err.text, frag1,
                 frag2 ? frag2 : "");
    assert_null(hub_hostlist_from_expr(expr, NULL));
    hub_hostlist_destroy(hl);
}

/* Encoding the expansion of expr gives want (if non-NULL), and expanding
 * that gives the same hosts in the same order. */
static void assert_round_trip(const char *expr, const char *want)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr(expr, NULL);
    hub_hostlist_t *back;
    char *enc;

    assert_non_null(hl);
    enc = hub_hostlist_encode(hl);
    assert_non_null(enc);
    if (want && strcmp(enc, want) != 0)
        fail_msg("'%s' encodes as '%s', want '%s'", expr, enc, want);
    back = hub_hostlist_from_expr(enc, NULL);
    assert_non_null(back);
    assert_int_equal(hub_hostlist_count(back), hub_hostlist_count(hl));
    for (size_t i = 0; i < hub_hostlist_count(hl); i++)
        assert_string_equal(hub_hostlist_nth(back, i), hub_hostlist_nth(hl, i));
    free(enc);
    hub_hostlist_destroy(back);
    hub_hostlist_destroy(hl);
}

/* ---- Slurm's documented examples --------------------------------------- */

static void test_hostlist_expands_slurm_range_example(void **state)
{
    assert_expands("lx[10-20]", "lx10,lx11,lx12,lx13,lx14,lx15,lx16,lx17,"
                                "lx18,lx19,lx20");
    assert_expands("linux[0-3]", "linux0,linux1,linux2,linux3");
}

static void test_hostlist_expands_slurm_list_example(void **state)
{
    assert_expands("tux[1,3,5-7]", "tux1,tux3,tux5,tux6,tux7");
}

static void test_hostlist_expands_slurm_two_group_example(void **state)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr("rack[0-63]_blade[0-41]", NULL);

    assert_non_null(hl);
    assert_int_equal(hub_hostlist_count(hl), 2688);
    assert_string_equal(hub_hostlist_nth(hl, 0), "rack0_blade0");
    assert_string_equal(hub_hostlist_nth(hl, 1), "rack0_blade1");
    assert_string_equal(hub_hostlist_nth(hl, 42), "rack1_blade0");
    assert_string_equal(hub_hostlist_nth(hl, 2687), "rack63_blade41");
    hub_hostlist_destroy(hl);
}

static void test_hostlist_keeps_text_after_brackets(void **state)
{
    assert_expands("n[1-3]-ib", "n1-ib,n2-ib,n3-ib");
    assert_expands("[1-2]x", "1x,2x");
    assert_expands("[7]", "7");
}

/* ---- padding, groups, lists --------------------------------------------- */

static void test_hostlist_keeps_zero_padding(void **state)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr("gs-n[001-064,070]", NULL);

    assert_int_equal(hub_hostlist_count(hl), 65);
    assert_string_equal(hub_hostlist_nth(hl, 0), "gs-n001");
    assert_string_equal(hub_hostlist_nth(hl, 63), "gs-n064");
    assert_string_equal(hub_hostlist_nth(hl, 64), "gs-n070");
    hub_hostlist_destroy(hl);
    assert_expands("n[8-12]", "n8,n9,n10,n11,n12");
    assert_expands("n[09-11]", "n09,n10,n11");
    assert_expands("n[098-101]", "n098,n099,n100,n101");
    assert_expands("n[0-1]", "n0,n1");
    assert_expands("n[00-01]", "n00,n01");
}

static void test_hostlist_multiplies_groups_last_fastest(void **state)
{
    assert_expands("rack[1-2]-n[1-3]",
                   "rack1-n1,rack1-n2,rack1-n3,rack2-n1,rack2-n2,rack2-n3");
    assert_expands("a[1,3]b[01-02]", "a1b01,a1b02,a3b01,a3b02");
}

static void test_hostlist_expands_three_groups(void **state)
{
    assert_expands("r[1-2]c[0-1]n[5,7]", "r1c0n5,r1c0n7,r1c1n5,r1c1n7,"
                                         "r2c0n5,r2c0n7,r2c1n5,r2c1n7");
}

static void test_hostlist_splits_lists_of_expressions(void **state)
{
    assert_expands("a[1-2],b,c[5]", "a1,a2,b,c5");
    assert_expands("login1,gs-n[1-2],login2", "login1,gs-n1,gs-n2,login2");
    assert_expands("a b\tc\nd", "a,b,c,d"); /* Slurm's other separators */
    assert_expands(",a,,b,", "a,b");
}

static void test_hostlist_empty_expression_gives_no_hosts(void **state)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr("", NULL);
    char *enc;

    assert_non_null(hl);
    assert_int_equal(hub_hostlist_count(hl), 0);
    assert_null(hub_hostlist_nth(hl, 0));
    enc = hub_hostlist_encode(hl);
    assert_string_equal(enc, "");
    free(enc);
    hub_hostlist_destroy(hl);
}

static void test_hostlist_append_accumulates_and_keeps_duplicates(void **s)
{
    hub_hostlist_t *hl = hub_hostlist_create();

    assert_int_equal(hub_hostlist_append(hl, "n[1-2]", NULL), 0);
    assert_int_equal(hub_hostlist_append(hl, "n2,m1", NULL), 0);
    assert_int_equal(hub_hostlist_count(hl), 4);
    assert_string_equal(hub_hostlist_nth(hl, 2), "n2");
    assert_int_equal(hub_hostlist_find(hl, "n2"), 1);
    assert_int_equal(hub_hostlist_find(hl, "m1"), 3);
    assert_int_equal(hub_hostlist_find(hl, "n3"), -1);
    assert_null(hub_hostlist_nth(hl, 4));
    hub_hostlist_destroy(hl);
    hub_hostlist_destroy(NULL);
}

static void test_hostlist_accepts_names_up_to_the_limit(void **state)
{
    char name[HUB_HOSTNAME_MAX + 16];

    memset(name, 'a', HUB_HOSTNAME_MAX);
    name[HUB_HOSTNAME_MAX] = '\0';
    assert_expands(name, name);
    memset(name, 'a', HUB_HOSTNAME_MAX - 2);
    strcpy(name + HUB_HOSTNAME_MAX - 2, "[98-99]");
    assert_round_trip(name, name);
}

static void test_hostlist_accepts_the_maximum_count(void **state)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr("n[1-1000000]", NULL);
    char *enc;

    assert_non_null(hl);
    assert_int_equal(hub_hostlist_count(hl), HUB_HOSTLIST_MAX_HOSTS);
    assert_string_equal(hub_hostlist_nth(hl, 999999), "n1000000");
    enc = hub_hostlist_encode(hl);
    assert_string_equal(enc, "n[1-1000000]");
    free(enc);
    hub_hostlist_destroy(hl);
}

/* ---- refusals ----------------------------------------------------------- */

static void test_hostlist_rejects_unclosed_bracket(void **state)
{
    hub_error_t err;

    assert_null(hub_hostlist_from_expr("n[1-", &err));
    assert_string_equal(err.text, "hostlist 'n[1-': unclosed '[' at column 2");
    assert_refused("n[1-", -EINVAL, "'n[1-'", "unclosed '[' at column 2");
    assert_refused("a,n[1,2", -EINVAL, "unclosed '[' at column 4", NULL);
    assert_refused("n[1]x[", -EINVAL, "unclosed '[' at column 6", NULL);
}

static void test_hostlist_rejects_unexpected_close_bracket(void **state)
{
    assert_refused("n1]", -EINVAL, "'n1]'", "unexpected ']' at column 3");
    assert_refused("n[1]]", -EINVAL, "unexpected ']' at column 5", NULL);
    assert_refused("]", -EINVAL, "unexpected ']' at column 1", NULL);
}

static void test_hostlist_rejects_nested_bracket(void **state)
{
    assert_refused("n[1-[2]]", -EINVAL, "'n[1-[2]]'", "nested '[' at column 5");
    assert_refused("n[[1]]", -EINVAL, "nested '[' at column 3", NULL);
    assert_refused("ab[1,c[2]", -EINVAL, "nested '[' at column 7",
                   "(inside the '[' at column 3)");
}

static void test_hostlist_rejects_empty_range(void **state)
{
    assert_refused("n[]", -EINVAL, "'n[]'", "empty range at column 3");
    assert_refused("n[1,]", -EINVAL, "empty range at column 5", NULL);
    assert_refused("n[,1]", -EINVAL, "empty range at column 3", NULL);
    assert_refused("n[1,,2]", -EINVAL, "empty range at column 5", NULL);
}

static void test_hostlist_rejects_reversed_range(void **state)
{
    assert_refused("n[9-3]", -EINVAL, "'n[9-3]'",
                   "reversed range '9-3' at column 3");
    assert_refused("n[1,10-09]", -EINVAL, "reversed range '10-09'", NULL);
}

static void test_hostlist_rejects_non_numeric_bounds(void **state)
{
    assert_refused("n[x-3]", -EINVAL, "'x' is not a number at column 3", NULL);
    assert_refused("n[1-y]", -EINVAL, "'y' is not a number at column 5", NULL);
    assert_refused("n[a]", -EINVAL, "'a' is not a number", NULL);
    assert_refused("n[1-2-3]", -EINVAL, "'2-3' is not a number", NULL);
    assert_refused("n[1, 2]", -EINVAL, "' 2' is not a number", NULL);
    assert_refused("n[+1]", -EINVAL, "'+1' is not a number", NULL);
}

static void test_hostlist_rejects_missing_bound(void **state)
{
    assert_refused("n[1-]", -EINVAL, "missing bound in range '1-'", NULL);
    assert_refused("n[-3]", -EINVAL, "missing bound in range '-3'", "column 3");
}

static void test_hostlist_rejects_huge_number(void **state)
{
    assert_refused("n[1-9999999999999999999]", -EINVAL,
                   "'9999999999999999999' is too large", NULL);
}

static void test_hostlist_rejects_too_many_hosts(void **state)
{
    assert_refused("n[1-1000001]", -E2BIG, "'n[1-1000001]'",
                   "expands to more than 1000000 hosts");
    assert_refused("n[1-100000000]", -E2BIG, "more than 1000000", NULL);
    assert_refused("a[1-1000]b[1-1001]", -E2BIG, "more than 1000000", NULL);
    assert_refused("a[1-600000],b[1-400001]", -E2BIG, "more than 1000000",
                   NULL);
    /* products that wrap 64 bits must not slip under the limit */
    assert_refused("a[0-999999999999999999]b[0-999999999999999999]"
                   "c[0-999999999999999999]",
                   -E2BIG, "more than 1000000", NULL);
    assert_refused("a[0-999999999999999999,0-999999999999999999]", -E2BIG,
                   "more than 1000000", NULL);
}

static void test_hostlist_rejects_long_host_name(void **state)
{
    char expr[2 * HUB_HOSTNAME_MAX];

    memset(expr, 'a', HUB_HOSTNAME_MAX + 1);
    expr[HUB_HOSTNAME_MAX + 1] = '\0';
    assert_refused(expr, -EINVAL, "longer than 64 characters", "column 1");
    memset(expr, 'a', HUB_HOSTNAME_MAX - 2);
    strcpy(expr + HUB_HOSTNAME_MAX - 2, "[98-100]");
    assert_refused(expr, -EINVAL, "longer than 64", "aaa[98-100]'");
    memset(expr, 'a', HUB_HOSTNAME_MAX - 2);
    strcpy(expr + HUB_HOSTNAME_MAX - 2, "[001]");
    assert_refused(expr, -EINVAL, "longer than 64", NULL);
}

static void test_hostlist_error_quotes_long_expression_shortened(void **s)
{
    char expr[1024];
    hub_error_t err;
    hub_hostlist_t *hl = hub_hostlist_create();

    for (int i = 0; i < 450; i++)
        memcpy(expr + 2 * i, "a,", 2);
    strcpy(expr + 900, "n[9-3]");
    assert_int_equal(hub_hostlist_append(hl, expr, &err), -EINVAL);
    assert_non_null(strstr(err.text, "...': reversed range '9-3' at column "
                                     "903"));
    hub_hostlist_destroy(hl);
}

static void test_hostlist_reports_first_error_left_to_right(void **state)
{
    assert_refused("n[9-3],m[", -EINVAL, "reversed range '9-3' at column 3",
                   NULL);
    assert_refused("m[,n[9-3]", -EINVAL, "nested '[' at column 5",
                   "inside the '[' at column 2");
    assert_refused("aa,n[x],m]", -EINVAL, "'x' is not a number at column 6",
                   NULL);
}

/* ---- encode ------------------------------------------------------------- */

static void test_hostlist_encode_folds_adjacent_runs(void **state)
{
    assert_round_trip("n1,n2,n3,n5", "n[1-3,5]");
    assert_round_trip("gs-n[001-064],gs-n070", "gs-n[001-064,070]");
    assert_round_trip("gs-n[001-064,070],login1", "gs-n[001-064,070],login1");
    assert_round_trip("lx[10-20]", "lx[10-20]");
    assert_round_trip("n7", "n7");
    assert_round_trip("n1,n1", "n[1,1]");
}

static void test_hostlist_encode_keeps_order(void **state)
{
    assert_round_trip("n3,n2,n1", "n[3,2,1]");
    assert_round_trip("n1,m1,n2", "n1,m1,n2");
    assert_round_trip("n[5-6],n[1-2]", "n[5-6,1-2]");
}

static void test_hostlist_encode_leaves_names_without_number(void **state)
{
    assert_round_trip("head,login", "head,login");
    assert_round_trip("head,n1,n2,login", "head,n[1-2],login");
    assert_round_trip("n1-ib,n2-ib", "n1-ib,n2-ib");
}

static void test_hostlist_encode_folds_last_number_only(void **state)
{
    assert_round_trip("rack1-n5,rack1-n6,rack1-n7", "rack1-n[5-7]");
    assert_round_trip("rack[1-2]-n[1-2]", "rack1-n[1-2],rack2-n[1-2]");
}

static void test_hostlist_encode_respects_width(void **state)
{
    assert_round_trip("n9,n10,n11", "n[9-11]");
    assert_round_trip("n09,n10,n11", "n[09-11]");
    assert_round_trip("n099,n100", "n[099-100]");
    assert_round_trip("n100,n099", "n[100,099]");
    assert_round_trip("n1,n01", "n1,n01");
    assert_round_trip("n01,n001", "n01,n001");
    assert_round_trip("n5,n10,n010", "n[5,10],n010");
    assert_round_trip("n0,n00", "n0,n00");
}

static void test_hostlist_round_trips_many_inputs(void **state)
{
    const char *inputs[] = {
        "lx[10-20]",
        "tux[1,3,5-7]",
        "linux[0-3]",
        "rack[0-63]_blade[0-41]",
        "n[1-3]-ib",
        "gs-n[001-064,070]",
        "n[8-12]",
        "n[09-11]",
        "a[1-2],b,c[5]",
        "x,y,z",
        "n[1-5],n[3-8]",
        "n[10-1000],n[1-9]",
        "r[1-3]c[1-2]n[01-12]",
        "[1-20]",
        "0,00,000,1,01,001",
        "n[998-1002],n0999",
        "a1b2,a1b3,a2b2",
        "n18446744073709551615",
        "n123456789012345678901234567890,n123456789012345678901234567891",
        "node-[1-2].dc1,node-3.dc1",
        "n1,n2,n1,n2",
        "",
    };

    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
        assert_round_trip(inputs[i], NULL);
}

/* After uniq, every host of expr is present exactly once, numbers ascend
 * within a prefix, and the list still round-trips through encode. */
static void assert_uniq_is_sorted_set(const char *expr)
{
    hub_hostlist_t *all = hub_hostlist_from_expr(expr, NULL);
    hub_hostlist_t *hl = hub_hostlist_from_expr(expr, NULL);
    char *enc;

    hub_hostlist_uniq(hl);
    for (size_t i = 0; i < hub_hostlist_count(all); i++)
        assert_true(hub_hostlist_find(hl, hub_hostlist_nth(all, i)) >= 0);
    for (size_t i = 0; i < hub_hostlist_count(hl); i++) {
        const char *h = hub_hostlist_nth(hl, i);
        assert_int_equal(hub_hostlist_find(hl, h), (long)i);
        if (i > 0 && strncmp(h, "n", 1) == 0 &&
            strspn(h + 1, "0123456789") == strlen(h + 1) &&
            strncmp(hub_hostlist_nth(hl, i - 1), "n", 1) == 0 &&
            strspn(hub_hostlist_nth(hl, i - 1) + 1, "0123456789") ==
                strlen(hub_hostlist_nth(hl, i - 1) + 1))
            assert_true(atoi(hub_hostlist_nth(hl, i - 1) + 1) <= atoi(h + 1));
    }
    enc = hub_hostlist_encode(hl);
    assert_round_trip(enc, enc);
    free(enc);
    hub_hostlist_destroy(hl);
    hub_hostlist_destroy(all);
}

/* Random lists over a few prefixes, widths and suffixes round-trip. */
static void test_hostlist_round_trips_random_lists(void **state)
{
    const char *prefixes[] = {"n", "gs-n", "r1-n", "x", ""};
    const char *suffixes[] = {"", "", "", "-ib"};
    char expr[8192], host[64];
    unsigned seed = 12345;

    for (int round = 0; round < 300; round++) {
        size_t len = 0;
        int count = 1 + (int)(rand_r(&seed) % 60);
        for (int i = 0; i < count; i++) {
            int width = (int)(rand_r(&seed) % 4);
            snprintf(host, sizeof(host), "%s%0*u%s",
                     prefixes[rand_r(&seed) % 5], width, rand_r(&seed) % 130,
                     suffixes[rand_r(&seed) % 4]);
            len += (size_t)snprintf(expr + len, sizeof(expr) - len, "%s%s",
                                    i ? "," : "", host);
        }
        assert_round_trip(expr, NULL);
        assert_uniq_is_sorted_set(expr);
    }
}

/* ---- uniq --------------------------------------------------------------- */

static void test_hostlist_uniq_sorts_numerically_and_dedups(void **state)
{
    hub_hostlist_t *hl =
        hub_hostlist_from_expr("n10,n2,n1,n2,login,m5,n10,n[1-3],n02", NULL);
    char *enc;

    hub_hostlist_uniq(hl);
    enc = hub_hostlist_encode(hl);
    assert_string_equal(enc, "login,m5,n[1-2],n02,n[3,10]");
    free(enc);
    hub_hostlist_destroy(hl);
}

static void test_hostlist_uniq_folds_shuffled_ranges(void **state)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr(
        "n[60-64],gs-n[005-009],n[1-59],gs-n[001-006],n7", NULL);
    char *enc;

    hub_hostlist_uniq(hl);
    assert_int_equal(hub_hostlist_count(hl), 64 + 9);
    enc = hub_hostlist_encode(hl);
    assert_string_equal(enc, "gs-n[001-009],n[1-64]");
    free(enc);
    hub_hostlist_uniq(hl); /* idempotent */
    assert_int_equal(hub_hostlist_count(hl), 64 + 9);
    hub_hostlist_destroy(hl);
    hub_hostlist_uniq(NULL);
}

static void test_hostlist_uniq_then_append_still_works(void **state)
{
    hub_hostlist_t *hl = hub_hostlist_from_expr("b2,b1,b2,a1", NULL);

    hub_hostlist_uniq(hl);
    assert_int_equal(hub_hostlist_count(hl), 3);
    assert_int_equal(hub_hostlist_append(hl, "c[1-2]", NULL), 0);
    assert_int_equal(hub_hostlist_count(hl), 5);
    assert_string_equal(hub_hostlist_nth(hl, 0), "a1");
    assert_string_equal(hub_hostlist_nth(hl, 2), "b2");
    assert_string_equal(hub_hostlist_nth(hl, 4), "c2");
    hub_hostlist_destroy(hl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostlist_expands_slurm_range_example),
        cmocka_unit_test(test_hostlist_expands_slurm_list_example),
        cmocka_unit_test(test_hostlist_expands_slurm_two_group_example),
        cmocka_unit_test(test_hostlist_keeps_text_after_brackets),
        cmocka_unit_test(test_hostlist_keeps_zero_padding),
        cmocka_unit_test(test_hostlist_multiplies_groups_last_fastest),
        cmocka_unit_test(test_hostlist_expands_three_groups),
        cmocka_unit_test(test_hostlist_splits_lists_of_expressions),
        cmocka_unit_test(test_hostlist_empty_expression_gives_no_hosts),
        cmocka_unit_test(test_hostlist_append_accumulates_and_keeps_duplicates),
        cmocka_unit_test(test_hostlist_accepts_names_up_to_the_limit),
        cmocka_unit_test(test_hostlist_accepts_the_maximum_count),
        cmocka_unit_test(test_hostlist_rejects_unclosed_bracket),
        cmocka_unit_test(test_hostlist_rejects_unexpected_close_bracket),
        cmocka_unit_test(test_hostlist_rejects_nested_bracket),
        cmocka_unit_test(test_hostlist_rejects_empty_range),
        cmocka_unit_test(test_hostlist_rejects_reversed_range),
        cmocka_unit_test(test_hostlist_rejects_non_numeric_bounds),
        cmocka_unit_test(test_hostlist_rejects_missing_bound),
        cmocka_unit_test(test_hostlist_rejects_huge_number),
        cmocka_unit_test(test_hostlist_rejects_too_many_hosts),
        cmocka_unit_test(test_hostlist_rejects_long_host_name),
        cmocka_unit_test(test_hostlist_error_quotes_long_expression_shortened),
        cmocka_unit_test(test_hostlist_reports_first_error_left_to_right),
        cmocka_unit_test(test_hostlist_encode_folds_adjacent_runs),
        cmocka_unit_test(test_hostlist_encode_keeps_order),
        cmocka_unit_test(test_hostlist_encode_leaves_names_without_number),
        cmocka_unit_test(test_hostlist_encode_folds_last_number_only),
        cmocka_unit_test(test_hostlist_encode_respects_width),
        cmocka_unit_test(test_hostlist_round_trips_many_inputs),
        cmocka_unit_test(test_hostlist_round_trips_random_lists),
        cmocka_unit_test(test_hostlist_uniq_sorts_numerically_and_dedups),
        cmocka_unit_test(test_hostlist_uniq_folds_shuffled_ranges),
        cmocka_unit_test(test_hostlist_uniq_then_append_still_works),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

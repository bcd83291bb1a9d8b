/* test_hrun_layout.c - hrun's layout (launcher/hrun/layout.c): nodes from
 * hubsched's and Slurm's variables, hostfiles and --host lists; spares
 * held back and taking a lost node's place; rank placement and the
 * hostfile mpirun gets; each rank's GPUs. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"

static const char *const *fake_env;

/* Getter over fake_env: "NAME=value" entries, NULL-terminated. */
static const char *get(const char *name)
{
    size_t n = strlen(name);

    for (const char *const *e = fake_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* The plan of req on l as hostfile text (asserts it succeeds). */
static char *plan_text(const layout_t *l, layout_req_t req)
{
    layout_plan_t plan;
    hub_error_t err = {""};
    char *text;

    if (layout_plan(l, &req, &plan, &err) < 0)
        fail_msg("plan: %s", err.text);
    text = layout_hostfile_text(&plan);
    layout_plan_fini(&plan);
    return text;
}

static void test_layout_takes_hubsched_nodes_before_slurm(void **state)
{
    static const char *const env[] = {"HUB_NODELIST=gs-n[01-03]",
                                      "SLURM_JOB_NODELIST=other",
                                      "SLURM_NTASKS=6", NULL};
    layout_t l;
    char *text;

    (void)state;
    fake_env = env;
    assert_int_equal(layout_from_env(&l, get, NULL), 0);
    assert_string_equal(l.source, "hubsched");
    assert_int_equal(l.nnodes, 3);
    assert_string_equal(l.nodes[2].name, "gs-n03");
    text = plan_text(&l, (layout_req_t){0});
    assert_string_equal(text, "gs-n01 slots=2\ngs-n02 slots=2\n"
                              "gs-n03 slots=2\n");
    free(text);
    layout_fini(&l);
}

static void test_layout_reads_slurm_nodelist_and_tasks_per_node(void **state)
{
    static const char *const env[] = {"SLURM_JOB_NODELIST=n[1-2]",
                                      "SLURM_NTASKS_PER_NODE=3", NULL};
    layout_t l;
    char *text;

    (void)state;
    fake_env = env;
    assert_int_equal(layout_from_env(&l, get, NULL), 0);
    assert_string_equal(l.source, "slurm");
    text = plan_text(&l, (layout_req_t){0});
    assert_string_equal(text, "n1 slots=3\nn2 slots=3\n");
    free(text);
    layout_fini(&l);
}

static void test_layout_without_allocation_is_this_host(void **state)
{
    static const char *const env[] = {NULL};
    layout_t l;

    (void)state;
    fake_env = env;
    assert_int_equal(layout_from_env(&l, get, NULL), 0);
    assert_string_equal(l.source, "local");
    assert_int_equal(l.nnodes, 1);
    layout_fini(&l);
}

static void test_layout_parses_hostfile_forms(void **state)
{
    layout_t l;
    hub_error_t err = {""};

    (void)state;
    assert_int_equal(layout_from_hostfile(&l,
                                          "# comment\n\na slots=2 max_slots=4\n"
                                          "b:3\n  c  # trailing\n",
                                          &err),
                     0);
    assert_int_equal(l.nnodes, 3);
    assert_int_equal(l.nodes[0].slots, 2);
    assert_int_equal(l.nodes[1].slots, 3);
    assert_string_equal(l.nodes[2].name, "c");
    assert_int_equal(l.nodes[2].slots, 0);
    layout_fini(&l);
}

static void test_layout_refuses_bad_hostfile_with_line(void **state)
{
    layout_t l;
    hub_error_t err = {""};

    (void)state;
    assert_int_equal(layout_from_hostfile(&l, "a\nb slots=x\n", &err), -EINVAL);
    assert_non_null(strstr(err.text, "line 2"));
    assert_int_equal(layout_from_hostfile(&l, "a cpus=3\n", &err), -EINVAL);
    assert_non_null(strstr(err.text, "cpus=3"));
    assert_int_equal(layout_from_hostfile(&l, "# nothing\n", &err), -EINVAL);
}

static void test_layout_parses_host_list_with_ranges(void **state)
{
    layout_t l;
    hub_error_t err = {""};

    (void)state;
    assert_int_equal(layout_from_hosts(&l, "n[1-2,4]:2,login", &err), 0);
    assert_int_equal(l.nnodes, 4);
    assert_string_equal(l.nodes[2].name, "n4");
    assert_int_equal(l.nodes[2].slots, 2);
    assert_int_equal(l.nodes[3].slots, 0);
    layout_fini(&l);
    assert_int_equal(layout_from_hosts(&l, "a:0", &err), -EINVAL);
}

static void test_layout_fills_nodes_block_wise(void **state)
{
    layout_t l;
    char *text;

    (void)state;
    assert_int_equal(layout_from_hosts(&l, "n[1-3]", NULL), 0);
    text = plan_text(&l, (layout_req_t){.ntasks = 5});
    assert_string_equal(text, "n1 slots=2\nn2 slots=2\nn3 slots=1\n");
    free(text);
    text = plan_text(&l, (layout_req_t){.ntasks = 2, .ntasks_per_node = 1});
    assert_string_equal(text, "n1 slots=1\nn2 slots=1\n");
    free(text);
    layout_fini(&l);
}

static void test_layout_refuses_more_ranks_than_fit(void **state)
{
    layout_t l;
    layout_plan_t plan;
    hub_error_t err = {""};
    layout_req_t req = {.ntasks = 5, .ntasks_per_node = 2};

    (void)state;
    assert_int_equal(layout_from_hosts(&l, "a:4,b:4", NULL), 0);
    assert_int_equal(layout_plan(&l, &req, &plan, &err), -EINVAL);
    assert_non_null(strstr(err.text, "-n 5"));
    req = (layout_req_t){.ntasks = 10};
    assert_int_equal(layout_plan(&l, &req, &plan, &err), -EINVAL);
    assert_non_null(strstr(err.text, "slots"));
    req.oversubscribe = 1;
    assert_int_equal(layout_plan(&l, &req, &plan, &err), 0);
    assert_int_equal(plan.max_per_node, 5);
    layout_plan_fini(&plan);
    layout_fini(&l);
}

static void test_layout_spares_are_the_last_nodes(void **state)
{
    layout_t l;
    hub_error_t err = {""};
    char *text;

    (void)state;
    assert_int_equal(layout_from_hosts(&l, "n[1-4]", NULL), 0);
    assert_int_equal(layout_set_spares(&l, 1, &err), 0);
    assert_int_equal(l.nodes[3].state, LAYOUT_SPARE);
    text = plan_text(&l, (layout_req_t){.ntasks_per_node = 1});
    assert_string_equal(text, "n1 slots=1\nn2 slots=1\nn3 slots=1\n");
    free(text);
    assert_int_equal(layout_set_spares(&l, 4, &err), -EINVAL);
    layout_fini(&l);
}

static void test_layout_spare_takes_lost_node_place(void **state)
{
    layout_t l;
    const char *spare;
    char *text;

    (void)state;
    assert_int_equal(layout_from_hosts(&l, "n[1-4]", NULL), 0);
    assert_int_equal(layout_set_spares(&l, 1, NULL), 0);
    assert_int_equal(layout_node_lost(&l, "n2", &spare), 0);
    assert_string_equal(spare, "n4");
    text = plan_text(&l, (layout_req_t){.ntasks_per_node = 1});
    assert_string_equal(text, "n1 slots=1\nn4 slots=1\nn3 slots=1\n");
    free(text);
    /* n2 is out; losing it again changes nothing */
    assert_int_equal(layout_node_lost(&l, "n2", &spare), -ENOENT);
    assert_int_equal(layout_node_lost(&l, "n3", &spare), -ENOSPC);
    assert_string_equal(spare, "");
    text = plan_text(&l, (layout_req_t){.ntasks_per_node = 1});
    assert_string_equal(text, "n1 slots=1\nn4 slots=1\n");
    free(text);
    layout_fini(&l);
}

static void test_layout_rank_gpus_slices_node_list(void **state)
{
    char out[64];
    hub_error_t err = {""};

    (void)state;
    assert_int_equal(layout_rank_gpus("4,5,6,7", 2, 1, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "6");
    assert_int_equal(layout_rank_gpus("0,1,2,3", 1, 2, out, sizeof(out), &err),
                     0);
    assert_string_equal(out, "2,3");
    assert_int_equal(
        layout_rank_gpus("GPU-a,GPU-b", 0, 1, out, sizeof(out), &err), 0);
    assert_string_equal(out, "GPU-a");
    assert_int_equal(layout_rank_gpus("0,1", 1, 2, out, sizeof(out), &err),
                     -ERANGE);
    assert_non_null(strstr(err.text, "local rank 1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_takes_hubsched_nodes_before_slurm),
        cmocka_unit_test(test_layout_reads_slurm_nodelist_and_tasks_per_node),
        cmocka_unit_test(test_layout_without_allocation_is_this_host),
        cmocka_unit_test(test_layout_parses_hostfile_forms),
        cmocka_unit_test(test_layout_refuses_bad_hostfile_with_line),
        cmocka_unit_test(test_layout_parses_host_list_with_ranges),
        cmocka_unit_test(test_layout_fills_nodes_block_wise),
        cmocka_unit_test(test_layout_refuses_more_ranks_than_fit),
        cmocka_unit_test(test_layout_spares_are_the_last_nodes),
        cmocka_unit_test(test_layout_spare_takes_lost_node_place),
        cmocka_unit_test(test_layout_rank_gpus_slices_node_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

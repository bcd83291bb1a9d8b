/* test_cluster.c - live resources: take/give bookkeeping, copies and the
 * GPU fragmentation measure. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"

static const char *const conf_text =
    "HubName=a\n"
    "HubName=b\n"
    "NodeName=n[1-3] Hub=a CPUs=16 RealMemory=64000 Gres=gpu:8 NVLink=4\n"
    "NodeName=n4 Hub=b CPUs=8 RealMemory=32000 State=DOWN\n"
    "PartitionName=p Nodes=ALL Default=YES\n";

typedef struct fixture {
    hub_conf_t *conf;
    hub_cluster_t *c;
} fixture_t;

static int setup(void **state)
{
    fixture_t *fx = calloc(1, sizeof(*fx));
    hub_error_t err;

    fx->conf = hub_conf_parse_string(conf_text, "test.conf", &err);
    if (!fx->conf)
        fail_msg("conf: %s", err.text);
    fx->c = hub_cluster_create(fx->conf, true, &err);
    assert_non_null(fx->c);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *fx = *state;
    hub_cluster_destroy(fx->c);
    hub_conf_destroy(fx->conf);
    free(fx);
    return 0;
}

/* Every node's derived counts agree with its per-GPU fractions. */
static void assert_consistent(const hub_cluster_t *c)
{
    for (uint32_t i = 0; i < c->nnodes; i++) {
        const hub_node_t *n = &c->nodes[i];
        uint32_t idle = 0, sum = 0;
        for (uint32_t g = 0; g < n->ngpus; g++) {
            assert_true(n->gpu_free_milli[g] <= HUB_GPU_MILLI);
            idle += n->gpu_free_milli[g] == HUB_GPU_MILLI;
            sum += n->gpu_free_milli[g];
        }
        assert_int_equal(n->gpus_idle, idle);
        assert_int_equal(n->gpu_milli_free, sum);
        assert_true(n->cpus_free <= n->cpus);
        assert_true(n->mem_free_mb <= n->mem_mb);
    }
}

static hub_alloc_node_t part(uint32_t node, uint32_t cpus, uint64_t mem_mb)
{
    hub_alloc_node_t an;
    memset(&an, 0, sizeof(an));
    an.node = node;
    an.cpus = cpus;
    an.mem_mb = mem_mb;
    return an;
}

static void assert_same_nodes(const hub_cluster_t *a, const hub_cluster_t *b)
{
    assert_int_equal(a->nnodes, b->nnodes);
    assert_memory_equal(a->nodes, b->nodes, a->nnodes * sizeof(*a->nodes));
}

static void test_cluster_starts_free_in_conf_state(void **state)
{
    fixture_t *fx = *state;
    const hub_node_t *n1 = &fx->c->nodes[0], *n4 = &fx->c->nodes[3];

    assert_int_equal(fx->c->nnodes, 4);
    assert_int_equal(n1->cpus_free, 16);
    assert_int_equal(n1->mem_free_mb, 64000);
    assert_int_equal(n1->gpus_idle, 8);
    assert_int_equal(n1->gpu_milli_free, 8000);
    assert_int_equal(n1->hub, 0);
    assert_true(hub_node_usable(n1));
    assert_int_equal(n4->hub, 1);
    assert_int_equal(n4->state, HUB_NODE_DOWN);
    assert_false(hub_node_usable(n4));
    assert_consistent(fx->c);
}

static void test_cluster_nodes_wait_for_registration_unless_told(void **state)
{
    fixture_t *fx = *state;
    hub_cluster_t *c = hub_cluster_create(fx->conf, false, NULL);

    assert_non_null(c);
    assert_int_equal(c->nodes[0].state, HUB_NODE_UNKNOWN);
    assert_int_equal(c->nodes[3].state, HUB_NODE_DOWN);
    hub_cluster_destroy(c);
}

static void test_cluster_refuses_node_with_too_many_gpus(void **state)
{
    hub_error_t err;
    hub_conf_t *conf =
        hub_conf_parse_string("NodeName=big Gres=gpu:17\n", "big.conf", &err);
    if (!conf)
        fail_msg("conf: %s", err.text);
    assert_null(hub_cluster_create(conf, true, &err));
    assert_non_null(strstr(err.text, "big"));
    assert_non_null(strstr(err.text, "17"));
    hub_conf_destroy(conf);
}

static void test_take_then_give_restores_every_count(void **state)
{
    fixture_t *fx = *state;
    hub_cluster_t *before = hub_cluster_clone(fx->c);
    hub_alloc_node_t an[2] = {part(0, 4, 1000), part(1, 16, 64000)};
    hub_alloc_t alloc = {2, an};

    an[0].gpu_milli[0] = 250;
    an[0].gpu_milli[1] = HUB_GPU_MILLI;
    for (int g = 0; g < 8; g++)
        an[1].gpu_milli[g] = HUB_GPU_MILLI;
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), 0);
    assert_consistent(fx->c);
    assert_int_equal(fx->c->nodes[0].cpus_free, 12);
    assert_int_equal(fx->c->nodes[0].mem_free_mb, 63000);
    assert_int_equal(fx->c->nodes[0].gpus_idle, 6);
    assert_int_equal(fx->c->nodes[0].gpu_milli_free, 6750);
    assert_int_equal(fx->c->nodes[0].gpu_free_milli[0], 750);
    assert_int_equal(fx->c->nodes[1].gpus_idle, 0);
    assert_int_equal(fx->c->nodes[0].njobs, 1);
    hub_cluster_give(fx->c, &alloc, false);
    assert_consistent(fx->c);
    assert_same_nodes(fx->c, before);
    hub_cluster_destroy(before);
}

static void test_take_is_all_or_nothing(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t first = part(0, 16, 0);
    hub_alloc_t busy = {1, &first};
    hub_alloc_node_t an[2] = {part(1, 2, 0), part(0, 1, 0)};
    hub_alloc_t alloc = {2, an};
    hub_cluster_t *before;

    assert_int_equal(hub_cluster_take(fx->c, &busy, false), 0);
    before = hub_cluster_clone(fx->c);
    an[0].gpu_milli[3] = 500;
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), -EBUSY);
    assert_same_nodes(fx->c, before);
    hub_cluster_destroy(before);
}

static void test_take_refuses_more_than_a_gpu_has_free(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t a = part(0, 1, 0), b = part(0, 1, 0);
    hub_alloc_t first = {1, &a}, second = {1, &b};

    a.gpu_milli[2] = 600;
    b.gpu_milli[2] = 500;
    assert_int_equal(hub_cluster_take(fx->c, &first, false), 0);
    assert_int_equal(hub_cluster_take(fx->c, &second, false), -EBUSY);
    b.gpu_milli[2] = 400;
    assert_int_equal(hub_cluster_take(fx->c, &second, false), 0);
    assert_int_equal(fx->c->nodes[0].gpu_free_milli[2], 0);
    assert_int_equal(fx->c->nodes[0].gpus_idle, 7);
    assert_consistent(fx->c);
}

static void test_take_refuses_gpu_the_node_lacks(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t a = part(0, 1, 0);
    hub_alloc_t alloc = {1, &a};

    a.gpu_milli[8] = 100; /* n1 has GPUs 0-7 */
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), -EBUSY);
    assert_int_equal(fx->c->nodes[0].njobs, 0);
}

static void test_take_counts_a_node_named_twice(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t an[2] = {part(0, 10, 0), part(0, 10, 0)};
    hub_alloc_t alloc = {2, an};
    hub_cluster_t *before = hub_cluster_clone(fx->c);

    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), -EBUSY);
    assert_same_nodes(fx->c, before);
    hub_cluster_destroy(before);
}

static void test_take_rejects_node_out_of_range(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t a = part(99, 1, 0);
    hub_alloc_t alloc = {1, &a};

    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), -EINVAL);
}

static void test_exclusive_take_holds_node_whole(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t a = part(0, 1, 0), b = part(0, 1, 0);
    hub_alloc_t excl = {1, &a}, other = {1, &b};

    assert_int_equal(hub_cluster_take(fx->c, &other, false), 0);
    assert_int_equal(hub_cluster_take(fx->c, &excl, true), -EBUSY);
    hub_cluster_give(fx->c, &other, false);
    assert_int_equal(hub_cluster_take(fx->c, &excl, true), 0);
    assert_false(hub_node_usable(&fx->c->nodes[0]));
    assert_int_equal(hub_cluster_take(fx->c, &other, false), -EBUSY);
    hub_cluster_give(fx->c, &excl, true);
    assert_true(hub_node_usable(&fx->c->nodes[0]));
    assert_int_equal(fx->c->nodes[0].njobs, 0);
}

static void test_clone_and_copy_are_independent(void **state)
{
    fixture_t *fx = *state;
    hub_cluster_t *copy = hub_cluster_clone(fx->c);
    hub_alloc_node_t a = part(2, 8, 100);
    hub_alloc_t alloc = {1, &a};

    a.gpu_milli[0] = HUB_GPU_MILLI;
    assert_int_equal(hub_cluster_take(copy, &alloc, false), 0);
    assert_int_equal(fx->c->nodes[2].cpus_free, 16);
    assert_int_equal(fx->c->nodes[2].gpus_idle, 8);
    assert_int_equal(copy->nodes[2].cpus_free, 8);
    hub_cluster_copy(copy, fx->c);
    assert_same_nodes(copy, fx->c);
    assert_int_equal(hub_cluster_take(fx->c, &alloc, false), 0);
    assert_int_equal(copy->nodes[2].cpus_free, 16);
    hub_cluster_destroy(copy);
}

static void test_find_node_and_nodelist(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t an[3] = {part(0, 1, 0), part(1, 1, 0), part(3, 1, 0)};
    hub_alloc_t alloc = {3, an};
    char *list;

    assert_int_equal(hub_cluster_find_node(fx->c, "n3"), 2);
    assert_int_equal(hub_cluster_find_node(fx->c, "nope"), -1);
    list = hub_cluster_alloc_nodelist(fx->c, &alloc);
    assert_non_null(list);
    assert_string_equal(list, "n[1-2,4]");
    free(list);
}

/* Take milli-GPUs of GPU g on node with one CPU. */
static void take_gpu(hub_cluster_t *c, uint32_t node, int g, uint16_t milli)
{
    hub_alloc_node_t a = part(node, 1, 0);
    hub_alloc_t alloc = {1, &a};

    a.gpu_milli[g] = milli;
    assert_int_equal(hub_cluster_take(c, &alloc, false), 0);
}

static void test_stranded_counts_partial_gpus_for_whole_requests(void **state)
{
    fixture_t *fx = *state;

    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 1000), 0);
    take_gpu(fx->c, 0, 0, 250);  /* 750 left on a partial GPU */
    take_gpu(fx->c, 0, 1, 600);  /* 400 left */
    take_gpu(fx->c, 1, 5, 1000); /* nothing left, nothing stranded */
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 1000), 1150);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 2000), 1150);
}

static void test_stranded_counts_remainders_for_fractions(void **state)
{
    fixture_t *fx = *state;

    take_gpu(fx->c, 0, 0, 250); /* 750: three 250s, none stranded */
    take_gpu(fx->c, 0, 1, 600); /* 400: one 250 + 150 stranded */
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 250), 150);
    /* 500 slots: 750 -> 250 stranded, 400 -> 400, idle GPUs -> 0 */
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 500), 650);
    /* 300 slots: idle GPUs leave 100 each (22 of them), 750 -> 150,
     * 400 -> 100 */
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 300),
                     22 * 100 + 150 + 100);
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 0), 0);
}

static void test_stranded_skips_unusable_and_cpu_less_nodes(void **state)
{
    fixture_t *fx = *state;
    hub_alloc_node_t a = part(1, 16, 0);
    hub_alloc_t all_cpus = {1, &a};

    take_gpu(fx->c, 0, 0, 500);
    fx->c->nodes[0].state = HUB_NODE_DRAIN;
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 1000), 0);
    assert_int_equal(hub_cluster_take(fx->c, &all_cpus, false), 0);
    /* n2's eight idle GPUs have no CPU to go with them */
    assert_int_equal(hub_cluster_stranded_gpu_milli(fx->c, 1000), 8000);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_cluster_starts_free_in_conf_state),
        T(test_cluster_nodes_wait_for_registration_unless_told),
        T(test_cluster_refuses_node_with_too_many_gpus),
        T(test_take_then_give_restores_every_count),
        T(test_take_is_all_or_nothing),
        T(test_take_refuses_more_than_a_gpu_has_free),
        T(test_take_refuses_gpu_the_node_lacks),
        T(test_take_counts_a_node_named_twice),
        T(test_take_rejects_node_out_of_range),
        T(test_exclusive_take_holds_node_whole),
        T(test_clone_and_copy_are_independent),
        T(test_find_node_and_nodelist),
        T(test_stranded_counts_partial_gpus_for_whole_requests),
        T(test_stranded_counts_remainders_for_fractions),
        T(test_stranded_skips_unusable_and_cpu_less_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

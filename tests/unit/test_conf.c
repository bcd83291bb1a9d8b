/* test_conf.c - the hub.conf parser: syntax, records, defaults, includes,
 * every class of error (with FILE:LINE and the key in the message), the
 * shipped example files, and that doc/hub.conf.md documents every key. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_int.h" /* the key tables, for the documentation test */
#include "units.h"

/* ---- helpers ---- */

static hub_conf_t *parse_ok(const char *text)
{
    hub_error_t err = {""};
    hub_conf_t *conf = hub_conf_parse_string(text, "t.conf", &err);
    if (!conf)
        fail_msg("rejected: %s\n--- text:\n%s", err.text, text);
    return conf;
}

/* The text must be refused with a message holding every needle. */
static void expect_error(const char *text, ...)
{
    hub_error_t err = {""};
    hub_conf_t *conf = hub_conf_parse_string(text, "t.conf", &err);
    va_list ap;
    const char *needle;

    if (conf) {
        hub_conf_destroy(conf);
        fail_msg("accepted:\n%s", text);
    }
    va_start(ap, text);
    while ((needle = va_arg(ap, const char *)))
        if (!strstr(err.text, needle))
            fail_msg("message '%s' lacks '%s'", err.text, needle);
    va_end(ap);
}

static const char *srcdir(void)
{
    const char *dir = getenv("HUB_SRCDIR");
    return dir && *dir ? dir : ".";
}

/* A temp directory with files; removed by the test's teardown. */
static char tmpdir[64];
static char tmpfiles[32][128];
static int ntmpfiles;

static int make_tmpdir(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_conf.XXXXXX");
    ntmpfiles = 0;
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* Files and subdirectories go in reverse order of creation. */
static int remove_tmpdir(void **state)
{
    while (ntmpfiles > 0)
        remove(tmpfiles[--ntmpfiles]);
    return rmdir(tmpdir);
}

static char *tmp_path(const char *name)
{
    char *path = tmpfiles[ntmpfiles++];
    snprintf(path, sizeof(tmpfiles[0]), "%s/%s", tmpdir, name);
    return path;
}

static void make_subdir(const char *name)
{
    assert_int_equal(mkdir(tmp_path(name), 0700), 0);
}

/* Write text to tmpdir/name (name may lie in a made subdirectory). */
static const char *write_tmp(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    FILE *f;

    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
    return path;
}

/* ---- the shipped files ---- */

static void test_example_config_parses_into_two_hubs(void **state)
{
    char path[512];
    hub_error_t err = {""};
    hub_conf_t *conf;
    const hub_conf_node_t *node;
    const hub_conf_gpu_type_t *h100;

    snprintf(path, sizeof(path), "%s/etc/hub.conf.example", srcdir());
    conf = hub_conf_load(path, &err);
    if (!conf)
        fail_msg("%s", err.text);
    assert_int_equal(conf->nhubs, 2);
    assert_int_equal(conf->nnodes, 56);
    assert_int_equal(conf->npartitions, 3);
    assert_string_equal(conf->globals.hubsel_type, "hubsel/cost");
    assert_int_equal(conf->globals.operators.n, 2);
    assert_non_null(h100 = hub_conf_find_gpu_type(conf, "h100"));
    assert_true(h100->peak_tflops_bf16 == 989.4);
    assert_non_null(node = hub_conf_find_node(conf, "gs-n017"));
    assert_string_equal(conf->hubs[node->hub].name, "gansu");
    assert_ptr_equal(&conf->gpu_types[node->gpu_type], h100);
    assert_string_equal(conf->switches[node->switch_idx].name, "gs-leaf3");
    assert_non_null(node = hub_conf_find_node(conf, "sh-n16"));
    assert_string_equal(node->addr, "10.20.0.16");
    assert_int_equal(node->nvlink_domain_gpus, 1);
    assert_non_null(hub_conf_find_link(conf, "shanghai", "gansu"));
    assert_string_equal(conf->partitions[conf->default_partition].name,
                        "debug");
    hub_conf_destroy(conf);
}

static void test_local_config_gives_four_nodes_on_own_ports(void **state)
{
    char path[512];
    hub_error_t err = {""};
    hub_conf_t *conf;

    snprintf(path, sizeof(path), "%s/etc/hub.conf.local", srcdir());
    if (!(conf = hub_conf_load(path, &err)))
        fail_msg("%s", err.text);
    assert_int_equal(conf->nhubs, 1);
    assert_string_equal(conf->hubs[0].name, "local");
    assert_int_equal(conf->nnodes, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(conf->nodes[i].port, 17001 + (int)i);
        assert_int_equal(conf->nodes[i].gpus, 2);
        assert_int_equal(conf->nodes[i].cpus, 8);
        assert_int_equal(conf->nodes[i].real_memory_mb, 16000);
    }
    assert_int_equal(conf->partitions[0].nnodes, 4);
    assert_int_equal(conf->default_partition, 0);
    hub_conf_destroy(conf);
}

/* ---- values and defaults ---- */

static void test_omitted_keys_take_documented_defaults(void **state)
{
    hub_conf_t *conf = parse_ok("NodeName=n1\nPartitionName=p Nodes=ALL\n");
    const hub_conf_globals_t *g = &conf->globals;
    const hub_conf_node_t *n = &conf->nodes[0];
    const hub_conf_partition_t *p = &conf->partitions[0];

    assert_string_equal(g->scheduler_type, "sched/backfill");
    assert_string_equal(g->select_type, "select/bestfit");
    assert_string_equal(g->priority_type, "priority/basic");
    assert_string_equal(g->hubsel_type, "hubsel/local");
    assert_int_equal(g->node_timeout_s, 10);
    assert_int_equal(g->kill_wait_s, 5);
    assert_null(g->cluster_name);
    /* no HubName: one implicit hub holds the node */
    assert_int_equal(conf->nhubs, 1);
    assert_true(conf->hubs[0].implicit);
    assert_string_equal(n->hub_name, HUB_CONF_IMPLICIT_HUB);
    assert_int_equal(n->cpus, 1);
    assert_int_equal(n->gpus, 0);
    assert_int_equal(n->gpu_type, -1);
    assert_string_equal(n->addr, "n1");
    assert_int_equal(n->port, HUB_CONF_DEFAULT_NODE_PORT);
    assert_int_equal(n->state, HUB_NODE_STATE_UNKNOWN);
    assert_true(p->max_time_s == HUB_DURATION_INFINITE);
    assert_true(p->default_time_s == HUB_DURATION_INFINITE);
    assert_true(p->max_nodes == HUB_CONF_UNLIMITED);
    assert_int_equal(p->nnodes, 1);
    assert_int_equal(conf->default_partition, -1);
    hub_conf_destroy(conf);
}

static void test_values_are_converted_to_their_units(void **state)
{
    hub_conf_t *conf = parse_ok(
        "NodeTimeout=300 KillWait=2m PriorityDecayHalfLife=7-0\n"
        "HubName=h PUE=1.2 Latitude=35.7 Longitude=107.6\n"
        "NodeName=n1 RealMemory=2G Gres=gpu:8 NVLink=4 State=drain\n"
        "PartitionName=p MaxTime=90 DefaultTime=1:00:00 MaxNodes=UNLIMITED "
        "AllowAccounts=ml,vision State=Down\n");

    assert_int_equal(conf->globals.node_timeout_s, 300); /* bare = s */
    assert_int_equal(conf->globals.kill_wait_s, 120);
    assert_int_equal(conf->globals.priority_decay_half_life_s, 7 * 86400);
    assert_true(conf->hubs[0].has_location);
    assert_int_equal(conf->nodes[0].real_memory_mb, 2048);
    assert_int_equal(conf->nodes[0].gpus, 8);
    assert_null(conf->nodes[0].gpu_type_name);
    assert_int_equal(conf->nodes[0].nvlink_domain_gpus, 4);
    assert_int_equal(conf->nodes[0].state, HUB_NODE_STATE_DRAIN);
    assert_int_equal(conf->partitions[0].max_time_s, 90 * 60); /* bare = m */
    assert_int_equal(conf->partitions[0].default_time_s, 3600);
    assert_int_equal(conf->partitions[0].allow_accounts.n, 2);
    assert_int_equal(conf->partitions[0].state, HUB_PART_STATE_DOWN);
    assert_string_equal(hub_conf_part_state_name(HUB_PART_STATE_DOWN), "DOWN");
    hub_conf_destroy(conf);
}

static void test_keys_and_record_types_are_case_insensitive(void **state)
{
    hub_conf_t *conf = parse_ok("clustername=c\nhubname=h pue=1.5\n"
                                "NODENAME=n1 hub=h cpus=4\n");
    assert_string_equal(conf->globals.cluster_name, "c");
    assert_true(conf->hubs[0].pue == 1.5);
    assert_int_equal(conf->nodes[0].cpus, 4);
    hub_conf_destroy(conf);
}

/* ---- syntax ---- */

static void test_continuation_joins_lines_and_keeps_line_numbers(void **state)
{
    hub_conf_t *conf = parse_ok("NodeName=n1 \\\n    CPUs=4 \\\n"
                                "    Features=a,\\\nb\n");
    assert_int_equal(conf->nodes[0].cpus, 4);
    assert_int_equal(conf->nodes[0].features.n, 2);
    assert_string_equal(conf->nodes[0].features.v[1], "b");
    assert_int_equal(conf->nodes[0].origin.line, 1);
    hub_conf_destroy(conf);
    /* an error after a continued line still names the right line */
    expect_error("HubName=h \\\n PUE=1.1\n\nNodeName=n1 Bogus=1\n",
                 "t.conf:4: NodeName=n1: unknown key 'Bogus'", NULL);
}

static void test_comments_end_lines_except_inside_quotes(void **state)
{
    hub_conf_t *conf =
        parse_ok("# a comment line\n"
                 "   \n"
                 "HubName=h Region=west # PUE=9 is not read\n"
                 "HubName=k Description=\"room #3 # not a comment\"\n"
                 "# a comment ending in a backslash does not continue \\\n"
                 "ClusterName=c\r\n");
    assert_true(conf->hubs[0].pue == 1.0);
    assert_string_equal(conf->hubs[1].description, "room #3 # not a comment");
    assert_string_equal(conf->globals.cluster_name, "c");
    hub_conf_destroy(conf);
}

static void test_quoted_values_keep_blanks_and_may_be_empty(void **state)
{
    hub_conf_t *conf =
        parse_ok("HubName=h Description=\"two  words\" Region=\"\"\n"
                 "PluginDir=\"/opt/hub sched/lib\"\n");
    assert_string_equal(conf->hubs[0].description, "two  words");
    assert_string_equal(conf->hubs[0].region, "");
    assert_string_equal(conf->globals.plugin_dir, "/opt/hub sched/lib");
    hub_conf_destroy(conf);
}

static void test_malformed_lines_are_rejected(void **state)
{
    expect_error("HubName=h Region\n", "t.conf:1:", "'Region' is not Key=Value",
                 NULL);
    expect_error("\nHubName=h Description=\"open\n",
                 "t.conf:2:", "Description: unterminated quote", NULL);
    expect_error("HubName=h Region=\n", "t.conf:1:", "Region: missing value",
                 NULL);
    expect_error("=x\n", "t.conf:1:", "'=' without a key", NULL);
}

static void test_node_default_line_sets_later_nodes(void **state)
{
    hub_conf_t *conf =
        parse_ok("NodeName=DEFAULT CPUs=32 Gres=gpu:2 Port=7000\n"
                 "NodeName=a[1-2]\n"
                 "NodeName=b1 CPUs=8\n"
                 "PartitionName=DEFAULT MaxTime=60\n"
                 "PartitionName=p\n");
    assert_int_equal(conf->nnodes, 3);
    assert_int_equal(conf->nodes[1].cpus, 32);
    assert_int_equal(conf->nodes[1].gpus, 2);
    assert_int_equal(conf->nodes[1].port, 7000);
    assert_int_equal(conf->nodes[2].cpus, 8);
    assert_null(hub_conf_find_node(conf, "DEFAULT"));
    assert_int_equal(conf->partitions[0].max_time_s, 3600);
    hub_conf_destroy(conf);
}

static void test_node_hostlist_pairs_addresses_and_ports(void **state)
{
    hub_conf_t *conf =
        parse_ok("NodeName=n[1-3] NodeAddr=10.0.0.[7-9] Port=[17001-17003]\n"
                 "NodeName=m[1-2] NodeAddr=localhost Port=[18001,18005]\n");
    assert_int_equal(conf->nnodes, 5);
    assert_string_equal(conf->nodes[2].name, "n3");
    assert_string_equal(conf->nodes[2].addr, "10.0.0.9");
    assert_int_equal(conf->nodes[2].port, 17003);
    assert_string_equal(conf->nodes[4].addr, "localhost");
    assert_int_equal(conf->nodes[4].port, 18005);
    hub_conf_destroy(conf);
    expect_error("NodeName=n[1-3] Port=[17001-17002]\n",
                 "t.conf:1:", "NodeName=n[1-3]", "Port", NULL);
    expect_error("NodeName=n[1-2] Port=17001,17002\n",
                 "t.conf:1:", "Port='17001,17002': expected N or [N-M,...]",
                 NULL);
    expect_error("NodeName=n[1-3] NodeAddr=a[1-2]\n",
                 "t.conf:1:", "NodeAddr='a[1-2]' gives 2 values for 3 nodes",
                 NULL);
}

/* ---- includes ---- */

static void test_include_resolves_relative_to_including_file(void **state)
{
    hub_error_t err = {""};
    hub_conf_t *conf;
    const char *top;

    make_subdir("sub");
    write_tmp("sub/nodes.conf", "Include gpus.conf\n"
                                "NodeName=n[1-2] Gres=gpu:x:4\n");
    write_tmp("sub/gpus.conf", "GpuType=x PeakTFLOPS_BF16=10\n");
    top = write_tmp("hub.conf", "HubName=h\nInclude \"sub/nodes.conf\"\n"
                                "PartitionName=p Nodes=n[1-2]\n");
    if (!(conf = hub_conf_load(top, &err)))
        fail_msg("%s", err.text);
    assert_int_equal(conf->nnodes, 2);
    assert_string_equal(conf->gpu_types[conf->nodes[0].gpu_type].name, "x");
    assert_non_null(strstr(conf->nodes[0].origin.file, "sub/nodes.conf"));
    assert_int_equal(conf->nodes[0].origin.line, 2);
    assert_int_equal(conf->partitions[0].origin.line, 3);
    hub_conf_destroy(conf);
}

static void test_include_errors_name_the_file_and_line(void **state)
{
    hub_error_t err = {""};
    const char *top = write_tmp("top.conf", "HubName=h\nInclude bad.conf\n");

    write_tmp("bad.conf", "\n\nNodeName=n1 Hub=h CPUs=zero\n");
    assert_null(hub_conf_load(top, &err));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(err.text, "bad.conf:3: NodeName=n1: CPUs='zero'"));
    assert_null(strstr(err.text, "top.conf")); /* prefixed once only */
}

static void test_include_of_missing_file_is_an_error(void **state)
{
    expect_error("HubName=h\n\nInclude /nonexistent/hub-extra.conf\n",
                 "t.conf:3: Include '/nonexistent/hub-extra.conf'",
                 "No such file", NULL);
}

static void test_include_cycle_is_detected(void **state)
{
    hub_error_t err = {""};
    const char *a = write_tmp("a.conf", "ClusterName=c\nInclude b.conf\n");

    write_tmp("b.conf", "Include a.conf\n");
    assert_null(hub_conf_load(a, &err));
    assert_int_equal(errno, ELOOP);
    assert_non_null(strstr(err.text, "b.conf:1: Include 'a.conf'"));
    assert_non_null(strstr(err.text, "cycle"));
}

/* d00.conf includes d01.conf ... includes d17.conf: 17 levels. */
static void test_include_deeper_than_16_is_refused(void **state)
{
    char name[32], text[64];
    hub_error_t err = {""};
    const char *top = NULL, *path;

    for (int i = 0; i <= HUB_CONF_INCLUDE_DEPTH_MAX + 1; i++) {
        snprintf(name, sizeof(name), "d%02d.conf", i);
        snprintf(text, sizeof(text), "Include d%02d.conf\n", i + 1);
        path = write_tmp(name, i <= HUB_CONF_INCLUDE_DEPTH_MAX ? text : "");
        top = top ? top : path;
    }
    assert_null(hub_conf_load(top, &err));
    assert_int_equal(errno, ELOOP);
    assert_non_null(strstr(err.text, "d16.conf:1: Include 'd17.conf'"));
    assert_non_null(strstr(err.text, "nested deeper than 16"));
}

/* ---- errors ---- */

static void test_unknown_key_names_file_line_and_suggests(void **state)
{
    expect_error("HubName=gansu\n\nNodeName=gs-n[001-004] Hub=gansu GPUs=8\n",
                 "t.conf:3: NodeName=gs-n[001-004]: unknown key 'GPUs' "
                 "(did you mean Gres?)",
                 NULL);
    expect_error("ClusterNmae=x\n",
                 "t.conf:1: unknown key 'ClusterNmae' "
                 "(did you mean ClusterName?)",
                 NULL);
    expect_error("NodeName=n1 KillWait=3\n",
                 "t.conf:1:", "unknown key 'KillWait' (a global key", NULL);
    expect_error("HubName=h Nodes=n1\n", "t.conf:1: HubName=h:",
                 "unknown key 'Nodes' (it belongs on a PartitionName line)",
                 NULL);
    expect_error("Frobnicate=1\n", "t.conf:1: unknown key 'Frobnicate'", NULL);
}

static void test_bad_numbers_are_rejected_with_key_and_value(void **state)
{
    static const char *const cases[][2] = {
        {"NodeName=n1 CPUs=8x\n", "CPUs='8x': expected an integer"},
        {"NodeName=n1 CPUs=-1\n", "CPUs='-1': must be at least 1"},
        {"NodeName=n1 CPUs=\" 8\"\n", "CPUs=' 8': expected an integer"},
        {"NodeName=n1 Weight=99999999999\n", "Weight='99999999999'"},
        {"NodeName=n1 RealMemory=lots\n", "RealMemory"},
        {"NodeName=n1 Port=70000\n", "Port='70000': must be at most 65535"},
        {"NodeName=n1 Gres=gpu:h100:eight\n", "Gres='gpu:h100:eight'"},
        {"NodeName=n1 Gres=nic:2\n", "Gres='nic:2'"},
        {"NodeName=n1 State=SLEEPY\n", "State='SLEEPY': expected one of"},
        {"HubName=h PUE=0.9\n", "PUE='0.9': must be at least 1"},
        {"HubName=h PowerPrice=-0.1\n", "PowerPrice='-0.1'"},
        {"HubName=h CarbonIntensity=12g\n", "CarbonIntensity='12g'"},
        {"HubName=h Latitude=nan Longitude=1\n", "Latitude='nan'"},
        {"HubName=h Latitude=91 Longitude=1\n", "Latitude='91'"},
        {"HubName=a\nHubName=b\nHubLink=a,b LatencyMs=5 BandwidthGbps=0\n",
         "BandwidthGbps='0': must be greater than 0"},
        {"PartitionName=p MaxNodes=0\n", "MaxNodes='0': must be at least 1"},
        {"PartitionName=p MaxTime=forever\n", "MaxTime"},
        {"PartitionName=p Default=maybe\n", "Default='maybe': expected YES"},
        {"NodeTimeout=-5\n", "NodeTimeout"},
        {"NodeTimeout=UNLIMITED\n", "NodeTimeout='UNLIMITED': must be"},
        {"ControllerPort=0\n", "ControllerPort='0': must be at least 1"},
        {"MaxJobCount=1e3\n", "MaxJobCount='1e3': expected an integer"},
        {"GpuType=g PeakTFLOPS_BF16=fast\n", "PeakTFLOPS_BF16='fast'"},
        {"Operators=a,,b\n", "Operators='a,,b': empty list item"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i][0], "t.conf:", cases[i][1], NULL);
}

static void test_names_and_plugin_types_are_checked(void **state)
{
    expect_error("HubName=\"bad name\"\n",
                 "t.conf:1:", "HubName='bad name': a name is letters", NULL);
    expect_error("SchedulerType=select/bestfit\n", "t.conf:1:",
                 "SchedulerType='select/bestfit': expected sched/<name>", NULL);
    expect_error("HubName=a\nHubLink=a,a LatencyMs=1 BandwidthGbps=1\n",
                 "t.conf:2:", "a hub cannot link to itself", NULL);
    expect_error("HubLink=a LatencyMs=1 BandwidthGbps=1\n",
                 "t.conf:1:", "expected two hub names", NULL);
}

static void test_duplicate_names_are_rejected(void **state)
{
    expect_error("HubName=gansu\nClusterName=c\nHubName=gansu\n",
                 "t.conf:3: HubName=gansu: defined twice (first at t.conf:1)",
                 NULL);
    expect_error("NodeName=n[1-4]\nNodeName=n[4-5]\n",
                 "t.conf:2: NodeName=n4: defined twice (first at t.conf:1)",
                 NULL);
    expect_error("PartitionName=p\nPartitionName=p\n",
                 "t.conf:2: PartitionName=p: defined twice", NULL);
    expect_error("SwitchName=s\nSwitchName=s\n",
                 "t.conf:2: SwitchName=s: defined twice", NULL);
    expect_error("GpuType=g\n\nGpuType=g\n",
                 "t.conf:3: GpuType=g: defined twice", NULL);
    expect_error("HubName=a\nHubName=b\n"
                 "HubLink=a,b LatencyMs=1 BandwidthGbps=1\n"
                 "HubLink=b,a LatencyMs=1 BandwidthGbps=1\n",
                 "t.conf:4: HubLink=b,a: defined twice (first at t.conf:3)",
                 NULL);
}

static void test_keys_given_twice_are_rejected(void **state)
{
    expect_error("NodeName=n1 CPUs=2 CPUs=4\n",
                 "t.conf:1: NodeName=n1:", "CPUs given twice", NULL);
    expect_error("ClusterName=a\nClusterName=b\n",
                 "t.conf:2: ClusterName='b': already set at t.conf:1", NULL);
}

static void test_undefined_references_name_the_referring_line(void **state)
{
    expect_error("HubName=a\nNodeName=n1 Hub=b\n",
                 "t.conf:2: NodeName=n1: Hub=b: no HubName=b is defined", NULL);
    expect_error("NodeName=n1 Hub=x\n", "t.conf:1:", "no HubName=x", NULL);
    expect_error("NodeName=n1 Gres=gpu:h100:8\nGpuType=a100\n",
                 "t.conf:1: NodeName=n1: Gres=gpu:h100:8: no GpuType=h100",
                 NULL);
    expect_error("NodeName=n1 Switch=leaf9\n",
                 "t.conf:1: NodeName=n1: Switch=leaf9: no SwitchName=leaf9",
                 NULL);
    expect_error("NodeName=n[1-2]\nPartitionName=p Nodes=n[1-3]\n",
                 "t.conf:2: PartitionName=p: Nodes: node 'n3' is not defined",
                 NULL);
    expect_error("HubName=a\nHubLink=a,z LatencyMs=1 BandwidthGbps=1\n",
                 "t.conf:2: HubLink=a,z: hub 'z' is not defined", NULL);
    expect_error("NodeName=n1\nSwitchName=s Nodes=n[1-2]\n",
                 "t.conf:2: SwitchName=s: node 'n2' is not defined", NULL);
    expect_error("SwitchName=s Switches=leaf[1-2]\nSwitchName=leaf1\n",
                 "t.conf:1: SwitchName=s: switch 'leaf2' is not defined", NULL);
}

static void test_missing_mandatory_keys_are_rejected(void **state)
{
    expect_error("HubName=a\nHubName=b\nHubLink=a,b LatencyMs=30\n",
                 "t.conf:3: HubLink=a,b: BandwidthGbps is required", NULL);
    expect_error("HubName=a\nHubName=b\nNodeName=n1 CPUs=2\n",
                 "t.conf:3: NodeName=n1: Hub is required when 2 hubs", NULL);
    expect_error("HubName=h Latitude=30\n",
                 "t.conf:1: HubName=h:", "Latitude given without Longitude",
                 NULL);
}

static void test_inconsistent_records_are_rejected(void **state)
{
    expect_error("NodeName=n1 Gres=gpu:8 NVLink=3\n",
                 "t.conf:1:", "NVLink=3 does not divide the node's 8 GPUs",
                 NULL);
    expect_error("NodeName=n1 NVLink=2\n",
                 "t.conf:1:", "NVLink=2 on a node without GPUs", NULL);
    expect_error("PartitionName=p MaxTime=1:00:00 DefaultTime=2:00:00\n",
                 "t.conf:1: PartitionName=p: DefaultTime=2:00:00 exceeds "
                 "MaxTime=1:00:00",
                 NULL);
    expect_error("PartitionName=p Default=YES\nPartitionName=q Default=YES\n",
                 "t.conf:2: PartitionName=q: Default=YES, but "
                 "PartitionName=p at t.conf:1",
                 NULL);
    expect_error("NodeName=n1 Switch=a\nSwitchName=a\nSwitchName=b Nodes=n1\n",
                 "t.conf:3: SwitchName=b: node 'n1' is already under switch "
                 "'a'",
                 NULL);
    expect_error("SwitchName=a Switches=b\nSwitchName=b Switches=a\n",
                 "switches form a cycle", NULL);
    expect_error("SwitchName=a Switches=a\n", "t.conf:1:", "lists itself",
                 NULL);
}

static void test_missing_top_file_is_enoent(void **state)
{
    hub_error_t err = {""};
    assert_null(hub_conf_load("/nonexistent/hub.conf", &err));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err.text, "'/nonexistent/hub.conf'"));
}

/* ---- lookups ---- */

static void test_lookups_find_records_by_exact_name(void **state)
{
    hub_conf_t *conf = parse_ok("HubName=a\nHubName=b\n"
                                "HubLink=a,b LatencyMs=1 BandwidthGbps=10\n"
                                "GpuType=g\nSwitchName=s Nodes=n[1-9]\n"
                                "NodeName=n[1-9] Hub=b Gres=gpu:g:1\n"
                                "PartitionName=p Nodes=n[2-3]\n");
    const hub_conf_node_t *n7 = hub_conf_find_node(conf, "n7");

    assert_non_null(n7);
    assert_string_equal(n7->name, "n7");
    assert_int_equal(n7->switch_idx, 0);
    assert_string_equal(n7->switch_name, "s");
    assert_null(hub_conf_find_node(conf, "N7"));
    assert_ptr_equal(hub_conf_find_hub(conf, "b"), &conf->hubs[1]);
    assert_ptr_equal(hub_conf_find_gpu_type(conf, "g"), &conf->gpu_types[0]);
    assert_ptr_equal(hub_conf_find_switch(conf, "s"), &conf->switches[0]);
    assert_ptr_equal(hub_conf_find_partition(conf, "p"), &conf->partitions[0]);
    assert_int_equal(conf->partitions[0].node_idx[1], 2);
    assert_ptr_equal(hub_conf_find_link(conf, "b", "a"), &conf->links[0]);
    assert_null(hub_conf_find_link(conf, "a", "c"));
    assert_null(hub_conf_find_hub(NULL, "a"));
    hub_conf_destroy(conf);
    hub_conf_destroy(NULL);
}

/* ---- documentation ---- */

/* Keys documented in doc/hub.conf.md: rows "| `Key` |" under headings
 * "## Globals", "## HubName", ...; returns how many rows matched a table
 * and fails on a documented key that the parser does not know. */
static size_t check_doc_keys(FILE *f, bool seen[CONF_NREC + 1][64])
{
    char line[1024], key[64];
    int section = -1; /* CONF_NREC: globals */
    size_t rows = 0;

    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "## ", 3) == 0) {
            const conf_rectype_t *rt;
            line[3 + strcspn(line + 3, " \n")] = '\0';
            section = -1;
            if (strncmp(line + 3, "Globals", 7) == 0)
                section = CONF_NREC;
            else if ((rt = conf_rectype_find(line + 3)))
                section = (int)rt->kind;
            continue;
        }
        if (section < 0 || sscanf(line, "| `%63[^`]`", key) != 1)
            continue;
        const conf_key_t *keys = section == CONF_NREC
                                     ? conf_global_keys
                                     : conf_rectypes[section].keys;
        size_t n = section == CONF_NREC ? conf_nglobal_keys
                                        : conf_rectypes[section].nkeys;
        const conf_key_t *k = conf_key_find(keys, n, key);
        if (!k)
            fail_msg("doc/hub.conf.md documents unknown key '%s'", key);
        seen[section][k - keys] = true;
        rows++;
    }
    return rows;
}

static void test_doc_lists_exactly_the_accepted_keys(void **state)
{
    bool seen[CONF_NREC + 1][64] = {{false}};
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/doc/hub.conf.md", srcdir());
    assert_non_null(f = fopen(path, "r"));
    assert_true(check_doc_keys(f, seen) > 0);
    fclose(f);
    for (size_t i = 0; i < conf_nglobal_keys; i++)
        if (!seen[CONF_NREC][i])
            fail_msg("global key %s is not documented",
                     conf_global_keys[i].name);
    for (size_t r = 0; r < CONF_NREC; r++)
        for (size_t i = 0; i < conf_rectypes[r].nkeys; i++)
            if (!seen[r][i])
                fail_msg("%s key %s is not documented", conf_rectypes[r].key,
                         conf_rectypes[r].keys[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_config_parses_into_two_hubs),
        cmocka_unit_test(test_local_config_gives_four_nodes_on_own_ports),
        cmocka_unit_test(test_omitted_keys_take_documented_defaults),
        cmocka_unit_test(test_values_are_converted_to_their_units),
        cmocka_unit_test(test_keys_and_record_types_are_case_insensitive),
        cmocka_unit_test(test_continuation_joins_lines_and_keeps_line_numbers),
        cmocka_unit_test(test_comments_end_lines_except_inside_quotes),
        cmocka_unit_test(test_quoted_values_keep_blanks_and_may_be_empty),
        cmocka_unit_test(test_malformed_lines_are_rejected),
        cmocka_unit_test(test_node_default_line_sets_later_nodes),
        cmocka_unit_test(test_node_hostlist_pairs_addresses_and_ports),
        cmocka_unit_test_setup_teardown(
            test_include_resolves_relative_to_including_file, make_tmpdir,
            remove_tmpdir),
        cmocka_unit_test_setup_teardown(
            test_include_errors_name_the_file_and_line, make_tmpdir,
            remove_tmpdir),
        cmocka_unit_test(test_include_of_missing_file_is_an_error),
        cmocka_unit_test_setup_teardown(test_include_cycle_is_detected,
                                        make_tmpdir, remove_tmpdir),
        cmocka_unit_test_setup_teardown(test_include_deeper_than_16_is_refused,
                                        make_tmpdir, remove_tmpdir),
        cmocka_unit_test(test_unknown_key_names_file_line_and_suggests),
        cmocka_unit_test(test_bad_numbers_are_rejected_with_key_and_value),
        cmocka_unit_test(test_names_and_plugin_types_are_checked),
        cmocka_unit_test(test_duplicate_names_are_rejected),
        cmocka_unit_test(test_keys_given_twice_are_rejected),
        cmocka_unit_test(test_undefined_references_name_the_referring_line),
        cmocka_unit_test(test_missing_mandatory_keys_are_rejected),
        cmocka_unit_test(test_inconsistent_records_are_rejected),
        cmocka_unit_test(test_missing_top_file_is_enoent),
        cmocka_unit_test(test_lookups_find_records_by_exact_name),
        cmocka_unit_test(test_doc_lists_exactly_the_accepted_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

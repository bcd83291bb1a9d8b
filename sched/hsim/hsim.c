/* hsim.c - replay a workload trace through libhubsched on a virtual clock,
 * several policies side by side; or run the inflation experiment.
 *
 *   hsim --swf KTH-SP2-1996-2.1-cln.swf.gz  (fifo vs easy)
 *   hsim --alibaba DIR                      (random, bestfit, fgd, fgdx)
 *   hsim --alibaba DIR --inflate 130        (allocation vs demand)
 *   hsim --csv jobs.csv --conf hub.conf -p fifo -p easy
 *   hsim --synthetic 100000 10000           (the scale run)
 *
 * The table goes to stdout (--json: JSON lines instead); --out DIR also
 * writes summary.jsonl, the time series and gnuplot scripts, and PNG
 * plots when gnuplot is installed. doc/hsim.md has the details.
 * Exit status: 0, 1 on a failed run, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hsim.h"

#define MAX_POLICIES 16
#define DEFAULT_SEED 42

typedef struct opts {
    const char *swf, *alibaba, *nodes, *pods, *csv, *conf, *out, *scenario;
    uint32_t syn_jobs, syn_nodes;
    size_t max_jobs;
    double inflate_pct; /* 0: replay */
    double interval_s;  /* least time between passes */
    uint64_t seed;
    bool json;
    const char *policy[MAX_POLICIES];
    int npolicy;
} opts_t;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: hsim TRACE [OPTIONS]\n"
            "Traces (one):\n"
            "  --swf FILE              Parallel Workloads Archive log "
            "(.swf, .swf.gz)\n"
            "  --alibaba DIR           Alibaba GPU trace v2023 (openb_*.csv)\n"
            "    --nodes FILE          its node list instead of DIR's\n"
            "    --pods FILE           its pod list instead of DIR's\n"
            "  --csv FILE --conf FILE  hsim CSV trace on a hub.conf cluster\n"
            "  --synthetic NJOBS NNODES  synthetic AI workload, 8 GPUs/node\n"
            "  --scenario twohub       train + infer jobs on two hubs, "
            "hubsel/local vs\n"
            "                          hubsel/cost (-n jobs, 2000)\n"
            "Options:\n"
            "  -p, --policy SPEC       fifo, easy, backfill, random, bestfit, "
            "fgd, fgdx,\n"
            "                          topo, local, cost, or\n"
            "                          LABEL=sched/X,select/Y[,Key=Value...]"
            " (repeat)\n"
            "  -n, --max-jobs N        read the first N jobs only\n"
            "  --inflate PCT           inflation experiment up to PCT %% of "
            "the GPUs\n"
            "  --seed N                sampling and synthetic seed (%d)\n"
            "  --pass-interval S       passes at least S seconds apart (0)\n"
            "  -o, --out DIR           summary.jsonl, series, plots\n"
            "  --json                  JSON lines on stdout, no table\n",
            DEFAULT_SEED);
}

static bool parse_count(const char *s, uint64_t max, uint64_t *v)
{
    int64_t x;

    if (!hsim_parse_i64(s, &x) || x < 0 || (uint64_t)x > max)
        return false;
    *v = (uint64_t)x;
    return true;
}

/* One option with its argument; 0, or 2 (usage error). */
static int take_opt(int c, const char *arg, char **argv, opts_t *o)
{
    uint64_t v = 0;

    switch (c) {
    case 'S':
        o->swf = arg;
        return 0;
    case 'A':
        o->alibaba = arg;
        return 0;
    case 'N':
        o->nodes = arg;
        return 0;
    case 'P':
        o->pods = arg;
        return 0;
    case 'C':
        o->csv = arg;
        return 0;
    case 'c':
        o->conf = arg;
        return 0;
    case 'T':
        o->scenario = arg;
        return strcmp(arg, "twohub") == 0 ? 0 : 2;
    case 'o':
        o->out = arg;
        return 0;
    case 'j':
        o->json = true;
        return 0;
    case 'p':
        if (o->npolicy == MAX_POLICIES)
            return 2;
        o->policy[o->npolicy++] = arg;
        return 0;
    case 'n':
        if (!parse_count(arg, SIZE_MAX, &v))
            return 2;
        o->max_jobs = (size_t)v;
        return 0;
    case 's':
        return parse_count(arg, UINT64_MAX, &o->seed) ? 0 : 2;
    case 'i':
        return hsim_parse_double(arg, &o->interval_s) && o->interval_s >= 0 ? 0
                                                                            : 2;
    case 'I':
        return hsim_parse_double(arg, &o->inflate_pct) && o->inflate_pct > 0 &&
                       o->inflate_pct <= 1000
                   ? 0
                   : 2;
    }
    return 2;
}

static int parse_args(int argc, char **argv, opts_t *o)
{
    static const struct option longs[] = {
        {"swf", 1, NULL, 'S'},
        {"alibaba", 1, NULL, 'A'},
        {"nodes", 1, NULL, 'N'},
        {"pods", 1, NULL, 'P'},
        {"csv", 1, NULL, 'C'},
        {"conf", 1, NULL, 'c'},
        {"synthetic", 1, NULL, 'Y'},
        {"policy", 1, NULL, 'p'},
        {"max-jobs", 1, NULL, 'n'},
        {"inflate", 1, NULL, 'I'},
        {"seed", 1, NULL, 's'},
        {"out", 1, NULL, 'o'},
        {"pass-interval", 1, NULL, 'i'},
        {"json", 0, NULL, 'j'},
        {"scenario", 1, NULL, 'T'},
        {"help", 0, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t a, b;
    int c;

    o->seed = DEFAULT_SEED;
    while ((c = getopt_long(argc, argv, "+p:n:o:h", longs, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (c == 'Y') {
            /* two values: NJOBS is optarg, NNODES the next word */
            if (optind >= argc || !parse_count(optarg, UINT32_MAX, &a) ||
                !parse_count(argv[optind++], UINT32_MAX, &b))
                return 2;
            o->syn_jobs = (uint32_t)a;
            o->syn_nodes = (uint32_t)b;
        } else if (c == '?' || take_opt(c, optarg, argv, o) != 0) {
            return 2;
        }
    }
    return optind == argc ? 0 : 2;
}

/* ---- loading ------------------------------------------------------------- */

static char *read_file(const char *path, hub_error_t *err)
{
    FILE *f = fopen(path, "r");
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    int c;

    if (!f) {
        hub_errorf(err, errno, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if ((out = open_memstream(&text, &len))) {
        while ((c = getc(f)) != EOF)
            putc(c, out);
        fclose(out);
    }
    fclose(f);
    if (!text)
        hub_errorf(err, ENOMEM, "out of memory");
    return text;
}

static int load_alibaba(const opts_t *o, hsim_trace_t *tr, hub_error_t *err)
{
    char nodes[4096], pods[4096];

    /* the FGD paper's cluster is the GPU nodes (6,212 GPUs); a replay
     * takes every node, CPU-only ones included */
    snprintf(nodes, sizeof(nodes), "%s/%s", o->alibaba,
             o->inflate_pct > 0 ? "openb_node_list_gpu_node.csv"
                                : "openb_node_list_all_node.csv");
    snprintf(pods, sizeof(pods), "%s/openb_pod_list_default.csv", o->alibaba);
    return hsim_alibaba_read(o->nodes ? o->nodes : nodes,
                             o->pods ? o->pods : pods, o->max_jobs, tr, err);
}

static int load_trace(const opts_t *o, hsim_trace_t *tr, hub_error_t *err)
{
    int n = !!o->swf + !!o->alibaba + !!o->csv + !!o->syn_jobs + !!o->scenario;
    char *conf;
    int rc;

    if (n != 1)
        return hub_errorf(err, EINVAL,
                          "give one trace: --swf, --alibaba, "
                          "--csv, --synthetic or --scenario (see --help)");
    if (o->swf)
        return hsim_swf_read(o->swf, o->max_jobs, tr, err);
    if (o->alibaba)
        return load_alibaba(o, tr, err);
    if (o->scenario)
        return hsim_twohub(o->max_jobs ? (uint32_t)o->max_jobs : 2000, o->seed,
                           tr, err);
    if (o->syn_jobs)
        return hsim_synth(o->syn_jobs, o->syn_nodes, o->seed, tr, err);
    if (!o->conf)
        return hub_errorf(err, EINVAL, "--csv needs --conf hub.conf");
    if (!(conf = read_file(o->conf, err)))
        return -EINVAL;
    rc = hsim_csv_read(o->csv, conf, o->max_jobs, tr, err);
    free(conf);
    return rc;
}

/* The policies asked for, or the trace's defaults. */
static int load_policies(const opts_t *o, const hsim_trace_t *tr,
                         hsim_policy_t *p, size_t *n, hub_error_t *err)
{
    char buf[256], *save = NULL;

    *n = 0;
    for (int i = 0; i < o->npolicy; i++)
        if (hsim_policy_parse(o->policy[i], &p[(*n)++], err) < 0)
            return -EINVAL;
    if (*n)
        return 0;
    snprintf(buf, sizeof(buf), "%s",
             o->inflate_pct > 0 ? "random,bestfit,fgd,fgdx"
                                : tr->default_policies);
    for (char *t = strtok_r(buf, ",", &save); t && *n < MAX_POLICIES;
         t = strtok_r(NULL, ",", &save))
        if (hsim_policy_parse(t, &p[(*n)++], err) < 0)
            return -EINVAL;
    return 0;
}

/* ---- running ------------------------------------------------------------- */

static int make_dir(const char *dir, hub_error_t *err)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        return hub_errorf(err, errno, "%s: %s", dir, strerror(errno));
    return 0;
}

static int write_summary(const opts_t *o, const hsim_trace_t *tr,
                         hsim_metrics_t *m, size_t n, hub_error_t *err)
{
    char path[4096];
    bool plotted;
    FILE *f;

    snprintf(path, sizeof(path), "%s/summary.jsonl", o->out);
    if (!(f = fopen(path, "w")))
        return hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    hsim_report_json(f, tr, m, n);
    if (fclose(f) != 0)
        return hub_errorf(err, EIO, "%s: write failed", path);
    if (hsim_report_plots(o->out, m, n, &plotted, err) < 0)
        return -EIO;
    fprintf(stderr, "hsim: wrote %s/summary.jsonl, series-*.dat%s\n", o->out,
            plotted ? ", *.png" : " (no gnuplot: no PNG)");
    return 0;
}

static int run_replays(const opts_t *o, const hsim_trace_t *tr,
                       const hsim_policy_t *p, size_t n, hub_error_t *err)
{
    hsim_metrics_t m[MAX_POLICIES];
    size_t done = 0;
    int rc = 0;

    for (; done < n && rc == 0; done++)
        rc = hsim_run(tr, &p[done], o->interval_s, &m[done], err);
    if (rc == 0 && o->json)
        hsim_report_json(stdout, tr, m, n);
    else if (rc == 0)
        hsim_report_table(stdout, tr, m, n);
    if (rc == 0 && o->out)
        rc = make_dir(o->out, err) < 0 ? -EIO : write_summary(o, tr, m, n, err);
    for (size_t i = 0; i < done; i++)
        hsim_metrics_fini(&m[i]);
    return rc;
}

static int report_inflation(const opts_t *o, hsim_inflate_t *r, size_t n,
                            hub_error_t *err)
{
    bool plotted = false;

    hsim_report_inflate(stdout, r, n, o->json);
    if (!o->out)
        return 0;
    if (make_dir(o->out, err) < 0 ||
        hsim_report_inflate_plot(o->out, r, n, &plotted, err) < 0)
        return -EIO;
    fprintf(stderr, "hsim: wrote %s/inflate-*.dat%s\n", o->out,
            plotted ? ", inflate.png" : " (no gnuplot: no PNG)");
    return 0;
}

static int run_inflation(const opts_t *o, const hsim_trace_t *tr,
                         const hsim_policy_t *p, size_t n, hub_error_t *err)
{
    hsim_inflate_t r[MAX_POLICIES];
    uint64_t total = hsim_trace_gpus(tr);
    uint32_t *order = NULL;
    size_t norder = 0, done = 0;
    int rc;

    if (total == 0)
        return hub_errorf(err, EINVAL, "--inflate: the cluster has no GPUs");
    rc = hsim_inflate_sample(tr, total, o->inflate_pct, o->seed, &order,
                             &norder);
    if (rc < 0)
        return hub_errorf(err, -rc, "--inflate: %s",
                          rc == -EINVAL ? "the trace has no jobs"
                                        : "out of memory");
    if (!o->json)
        printf("hsim: inflation of %s to %g %% of %.0f GPUs: %zu tasks "
               "(seed %llu)\n",
               tr->name, o->inflate_pct, total / 1000.0, norder,
               (unsigned long long)o->seed);
    for (; done < n && rc == 0; done++)
        rc = hsim_inflate_run(tr, &p[done], order, norder, &r[done], err);
    if (rc == 0)
        rc = report_inflation(o, r, n, err);
    for (size_t i = 0; i < done; i++)
        hsim_inflate_fini(&r[i]);
    free(order);
    return rc;
}

int main(int argc, char **argv)
{
    hsim_policy_t policies[MAX_POLICIES];
    hsim_trace_t tr;
    hub_error_t err;
    opts_t o = {0};
    size_t npol;
    int rc;

    if (parse_args(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    hsim_trace_init(&tr);
    rc = load_trace(&o, &tr, &err);
    if (rc == 0)
        rc = load_policies(&o, &tr, policies, &npol, &err);
    if (rc == 0 && o.inflate_pct > 0)
        rc = run_inflation(&o, &tr, policies, npol, &err);
    else if (rc == 0)
        rc = run_replays(&o, &tr, policies, npol, &err);
    if (rc < 0)
        fprintf(stderr, "hsim: %s\n", err.text);
    hsim_trace_fini(&tr);
    return rc < 0 ? 1 : 0;
}

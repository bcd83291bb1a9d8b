/* hub-report.c - a job's report from its HDF5 job file: the summary
 * (job, model, peak, steps, MFU, tokens/s, goodput, work lost, restarts
 * and their phase timings) as text or JSON, and a PNG plot of MFU and
 * loss over wall time with the restarts marked (gnuplot).
 *
 *     hub-report [--png FILE | --no-png] [--json] JOBFILE.h5
 *
 * The plot goes to FILE, by default the job file's name with .png
 * instead of .h5 in the current directory. Without gnuplot the report is
 * printed, a warning says why there is no plot, and the exit status is
 * still 0; a gnuplot that fails is an error (1). hacct --report JOB runs
 * this with the job's file. Exit status: 0, 1 (the file cannot be read,
 * the plot failed), 2 (usage).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobread.h"
#include "report.h"

#define PROG "hub-report"

static const char usage_text[] =
    "Usage: hub-report [--png FILE | --no-png] [--json] JOBFILE.h5\n"
    "Print a job's summary from its HDF5 job file and plot its MFU and\n"
    "loss over wall time, restarts marked (needs gnuplot).\n"
    "\n"
    "      --png FILE   the plot (default: JOBFILE's name, .png, here)\n"
    "      --no-png     no plot\n"
    "      --json       the summary as one JSON object\n"
    "      --help       this text\n";

struct opts {
    const char *file;
    char png[4096]; /* "" for none */
    bool json, no_png, help;
};

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr,
            PROG ": error: %s%s\nTry '" PROG " --help' for more "
                 "information.\n",
            msg, arg ? arg : "");
    return 2;
}

/* basename(file) with .h5 replaced by (or .png appended). */
static void default_png(const char *file, char *buf, size_t len)
{
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    size_t n = strlen(base);

    if (n > 3 && strcmp(base + n - 3, ".h5") == 0)
        n -= 3;
    snprintf(buf, len, "%.*s.png", (int)n, base);
}

/* -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct opts *o)
{
    enum { OPT_PNG = 256, OPT_NO_PNG, OPT_JSON, OPT_HELP };
    static const struct option longopts[] = {
        {"png", required_argument, NULL, OPT_PNG},
        {"no-png", no_argument, NULL, OPT_NO_PNG},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == OPT_PNG)
            snprintf(o->png, sizeof(o->png), "%s", optarg);
        else if (c == OPT_NO_PNG)
            o->no_png = true;
        else if (c == OPT_JSON)
            o->json = true;
        else if (c == OPT_HELP)
            o->help = true;
        else
            return usage_error("unrecognized option ", argv[optind - 1]);
    }
    if (o->help)
        return -1;
    if (optind != argc - 1)
        return usage_error("one job file, please", NULL);
    o->file = argv[optind];
    if (o->no_png)
        o->png[0] = '\0';
    else if (!o->png[0])
        default_png(o->file, o->png, sizeof(o->png));
    return -1;
}

/* The plot, if asked for: 0, or 1 when gnuplot failed (no gnuplot and
 * nothing to plot are warnings; *done says whether png was written). */
static int plot(const struct opts *o, const jobread_t *jr,
                const report_run_t *runs, size_t nruns, bool *done)
{
    hub_error_t err;
    int rc;

    *done = false;
    if (!o->png[0])
        return 0;
    rc = report_plot(jr, runs, nruns, o->png, &err);
    if (rc == -ENOENT || rc == -ENODATA)
        fprintf(stderr, PROG ": warning: no plot: %s\n", err.text);
    else if (rc < 0)
        fprintf(stderr, PROG ": error: plot: %s\n", err.text);
    *done = rc == 0;
    return rc == 0 || rc == -ENOENT || rc == -ENODATA ? 0 : 1;
}

static int report(const struct opts *o)
{
    jobread_t *jr;
    report_run_t *runs = NULL;
    size_t nruns = 0;
    hub_error_t err;
    bool plotted;
    int rc;

    if (jobread_load(o->file, &jr, &err) < 0) {
        fprintf(stderr, PROG ": error: %s\n", err.text);
        return 1;
    }
    if (report_runs(jr, &runs, &nruns) < 0) {
        fprintf(stderr, PROG ": error: out of memory\n");
        jobread_free(jr);
        return 1;
    }
    rc = plot(o, jr, runs, nruns, &plotted);
    if (o->json && report_print_json(stdout, o->file, jr, runs, nruns,
                                     plotted ? o->png : NULL) < 0)
        rc = 1;
    else if (!o->json)
        report_print_text(stdout, o->file, jr, runs, nruns,
                          plotted ? o->png : NULL);
    free(runs);
    jobread_free(jr);
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    int rc = parse(argc, argv, &o);

    if (rc >= 0)
        return rc;
    if (o.help) {
        fputs(usage_text, stdout);
        return 0;
    }
    return report(&o);
}

/* report_plot.c - hub-report's plot: MFU and loss over wall time, with
 * the restarts marked, drawn by gnuplot from a data file and a script
 * written to a temporary directory.
 *
 * gnuplot rather than a plotting library: it is one package on every
 * distribution (gnuplot-nox without X), and its "png" terminal (libgd)
 * is in every build, where "pngcairo" is not.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATH_BYTES 4096

/* gnuplot's path: HUB_GNUPLOT, else the first "gnuplot" in PATH; false
 * when there is none. */
static bool find_gnuplot(char *buf, size_t len)
{
    const char *env = getenv("HUB_GNUPLOT"), *path = getenv("PATH");

    if (env && *env) {
        snprintf(buf, len, "%s", env);
        return access(buf, X_OK) == 0;
    }
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, len, "%.*s/gnuplot", (int)n, p);
        if (n > 0 && access(buf, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* The time axis: seconds, minutes or hours since the job's start, as
 * suits the wall time. */
struct axis {
    double t0_s, scale;
    const char *unit;
};

static struct axis pick_axis(const jobread_t *jr)
{
    double t0 =
        jr->info.start_time_s > 0 ? jr->info.start_time_s : jr->rows[0].time_s;
    double span = jr->rows[jr->nrows - 1].time_s - t0;

    if (span > 2 * 3600)
        return (struct axis){t0, 3600, "h"};
    if (span > 120)
        return (struct axis){t0, 60, "min"};
    return (struct axis){t0, 1, "s"};
}

static int write_data(const char *path, const jobread_t *jr,
                      const struct axis *ax)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -errno;
    for (size_t i = 0; i < jr->nrows; i++) {
        const jobread_row_t *r = &jr->rows[i];
        if (i > 0 && r->run != jr->rows[i - 1].run)
            fputc('\n', f); /* a blank line: no line across a restart */
        fprintf(f, "%.6f %.4f ", (r->time_s - ax->t0_s) / ax->scale,
                100 * r->mfu);
        if (isfinite(r->loss))
            fprintf(f, "%.6g\n", r->loss);
        else
            fputs("?\n", f);
    }
    return fclose(f) == 0 ? 0 : -EIO;
}

/* A red vertical line where each restarted run started (the png
 * terminal draws it solid; pngcairo would dash it). */
static void restart_lines(FILE *f, const report_run_t *runs, size_t nruns,
                          const struct axis *ax)
{
    for (size_t i = 1; i < nruns; i++) {
        double t = runs[i].start_s > 0 ? runs[i].start_s : runs[i].first_s;
        if (t <= 0)
            continue;
        fprintf(f,
                "set arrow from %.6f, graph 0 to %.6f, graph 1 nohead "
                "lc rgb 'red' dt 2\n",
                (t - ax->t0_s) / ax->scale, (t - ax->t0_s) / ax->scale);
    }
}

static int write_script(const char *path, const char *data, const char *png,
                        const jobread_t *jr, const report_run_t *runs,
                        size_t nruns, const struct axis *ax)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return -errno;
    fprintf(f, "set terminal png size 1000,700\nset output '%s'\n", png);
    fprintf(f, "set datafile missing '?'\nset grid\nset key top right\n");
    fprintf(f,
            "set multiplot layout 2,1 title 'job %s: MFU and loss "
            "(red lines: restarts)'\n",
            jr->info.job_id[0] ? jr->info.job_id : "-");
    fprintf(f, "set xlabel 'wall time since the job started (%s)'\n", ax->unit);
    restart_lines(f, runs, nruns, ax);
    fprintf(f, "set ylabel 'MFU (%%)'\n");
    fprintf(f, "plot '%s' using 1:2 with lines lw 2 title 'MFU'\n", data);
    fprintf(f, "set ylabel 'loss'\n");
    fprintf(f, "plot '%s' using 1:3 with lines lw 2 title 'loss'\n", data);
    fprintf(f, "unset multiplot\n");
    return fclose(f) == 0 ? 0 : -EIO;
}

/* Run gnuplot on script, its output to stderr; 0 when it exits 0. */
static int run_gnuplot(const char *gnuplot, const char *script)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return -errno;
    if (pid == 0) {
        dup2(2, 1);
        execl(gnuplot, "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Write data and script under dir and run gnuplot. */
static int plot_in(const char *dir, const char *gnuplot, const jobread_t *jr,
                   const report_run_t *runs, size_t nruns, const char *png,
                   hub_error_t *err)
{
    char data[PATH_BYTES + 16], script[PATH_BYTES + 16];
    struct axis ax = pick_axis(jr);
    int rc;

    snprintf(data, sizeof(data), "%s/metrics.dat", dir);
    snprintf(script, sizeof(script), "%s/plot.gp", dir);
    if ((rc = write_data(data, jr, &ax)) < 0 ||
        (rc = write_script(script, data, png, jr, runs, nruns, &ax)) < 0)
        hub_errorf(err, -rc, "%s: %s", dir, strerror(-rc));
    else if ((rc = run_gnuplot(gnuplot, script)) < 0)
        hub_errorf(err, EIO, "%s failed (its messages are above)", gnuplot);
    unlink(data);
    unlink(script);
    return rc;
}

int report_plot(const jobread_t *jr, const report_run_t *runs, size_t nruns,
                const char *png, hub_error_t *err)
{
    const char *tmp = getenv("TMPDIR");
    char gnuplot[PATH_BYTES], dir[PATH_BYTES];
    int rc;

    if (!find_gnuplot(gnuplot, sizeof(gnuplot)))
        return hub_errorf(err, ENOENT,
                          "gnuplot not found (install gnuplot "
                          "or gnuplot-nox, or set HUB_GNUPLOT)");
    if (jr->nrows == 0)
        return hub_errorf(err, ENODATA, "the job file has no steps to plot");
    snprintf(dir, sizeof(dir), "%s/hub-report.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    /* gnuplot's script quotes both names */
    if (strpbrk(png, "'\n") || strpbrk(dir, "'\n"))
        return hub_errorf(err, EINVAL, "%s or %s: a quote in the name", png,
                          dir);
    if (!mkdtemp(dir))
        return hub_errorf(err, errno, "%s: %s", dir, strerror(errno));
    rc = plot_in(dir, gnuplot, jr, runs, nruns, png, err);
    rmdir(dir);
    return rc;
}

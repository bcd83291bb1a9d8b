/* test_jobread_report.c - the job file reader that hub-report and hacct
 * share (launcher/hubjob/report/jobread.c), hacct's MFU and Goodput
 * cells (sched/cmd/hacct_perf.c) and hub-report's runs (report_text.c).
 * Files are written here with HDF5 as libhubjob lays them out; a file
 * that libhubjob itself wrote is tests/mpi/hub_report.sh's. */
#include "cmocka_all.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5util.h"
#include "hacct_perf.h"
#include "jobread.h"
#include "report.h"

static char dir[256], file[300];

/* A job file: schema_version and job_id, and /summary when summary. */
static void write_job_file(const char *path, bool summary)
{
    hub_error_t err;
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), g;

    assert_true(f >= 0);
    assert_int_equal(h5u_attr_int64(f, "schema_version", 1, &err), 0);
    assert_int_equal(h5u_attr_str(f, "job_id", "42", &err), 0);
    if (summary) {
        g = H5Gcreate2(f, "summary", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        assert_true(g >= 0);
        assert_int_equal(h5u_attr_int64(g, "steps", 100, &err), 0);
        assert_int_equal(h5u_attr_int64(g, "lost_steps", 7, &err), 0);
        const char *names[] = {"step_time_s",  "lost_time_s",
                               "wall_time_s",  "goodput",
                               "mean_mfu",     "median_mfu",
                               "tokens_per_s", "median_tokens_per_s"};
        const double v[] = {90, 6, 120, 0.7, 0.4125, 0.42, 1e6, 1.1e6};
        for (size_t i = 0; i < 8; i++)
            assert_int_equal(h5u_attr_double(g, names[i], v[i], &err), 0);
        H5Gclose(g);
    }
    H5Fclose(f);
}

static void test_summary_reads_what_the_file_holds(void **state)
{
    jobread_summary_t s;
    hub_error_t err;

    (void)state;
    write_job_file(file, true);
    assert_int_equal(jobread_summary(file, &s, &err), 0);
    assert_int_equal(s.steps, 100);
    assert_int_equal(s.lost_steps, 7);
    assert_true(s.goodput == 0.7 && s.mean_mfu == 0.4125);
    assert_true(s.wall_s == 120 && s.median_tokens_per_s == 1.1e6);
}

static void test_summary_refuses_missing_and_foreign_files(void **state)
{
    jobread_summary_t s;
    hub_error_t err;
    FILE *f;

    (void)state;
    write_job_file(file, false);
    assert_int_equal(jobread_summary(file, &s, &err), -ENODATA);
    unlink(file);
    assert_int_equal(jobread_summary(file, &s, &err), -ENOENT);
    assert_non_null(f = fopen(file, "w"));
    fputs("not HDF5\n", f);
    fclose(f);
    assert_true(jobread_summary(file, &s, &err) < 0);
}

static void test_load_without_tables_has_no_rows(void **state)
{
    jobread_t *jr;
    hub_error_t err;

    (void)state;
    write_job_file(file, true);
    assert_int_equal(jobread_load(file, &jr, &err), 0);
    assert_string_equal(jr->info.job_id, "42");
    assert_true(jr->has_summary);
    assert_int_equal(jr->nrows, 0);
    assert_int_equal(jr->nevents, 0);
    jobread_free(jr);
}

static void test_hacct_cells_show_percent_or_nothing(void **state)
{
    hacct_perf_t p;
    char cell[16];

    (void)state;
    write_job_file(file, true);
    hacct_perf_read(file, &p);
    assert_true(p.known);
    hacct_perf_cell(p.known, p.mfu, cell, sizeof(cell));
    assert_string_equal(cell, "41.2");
    hacct_perf_cell(p.known, p.goodput, cell, sizeof(cell));
    assert_string_equal(cell, "70.0");
    hacct_perf_read(NULL, &p);
    assert_false(p.known);
    hacct_perf_cell(p.known, p.mfu, cell, sizeof(cell));
    assert_string_equal(cell, "");
    write_job_file(file, false); /* no run finished cleanly yet */
    hacct_perf_read(file, &p);
    assert_false(p.known);
}

static void test_runs_show_restarts_resume_gap_and_phases(void **state)
{
    jobread_row_t rows[] = {
        {0, 0, 100, 1, 2.5, 0.4}, {1, 0, 101, 1, 2.4, 0.4},
        {2, 0, 102, 1, 2.3, 0.4}, {1, 1, 110, 1, 2.4, 0.4},
        {2, 1, 111, 1, 2.3, 0.4},
    };
    jobread_event_t ev[] = {
        {99, 0, -1, 0, "start", "restart=0"},
        {105, 1, -1, 0, "start", "restart=1"},
        {105, 1, -1, 2.5, "relaunch", "timed by the launcher"},
        {106, 1, 0, 0, "resume", "restart=1"},
        {107, 1, 0, 0.5, "mine", "a program's own event"},
    };
    jobread_t jr = {.info = {.runs = 2},
                    .rows = rows,
                    .nrows = 5,
                    .events = ev,
                    .nevents = 5};
    report_run_t *runs;
    size_t n;

    (void)state;
    assert_int_equal(report_runs(&jr, &runs, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(runs[0].rows, 3);
    assert_int_equal(runs[0].resume_step, -1);
    assert_true(runs[0].gap_s < 0);
    assert_int_equal(runs[1].first_step, 1);
    assert_int_equal(runs[1].last_step, 2);
    assert_int_equal(runs[1].resume_step, 0);
    assert_true(runs[1].gap_s == 8 && runs[1].start_s == 105);
    assert_int_equal(runs[1].nphases, 1);
    assert_string_equal(runs[1].phase[0].name, "relaunch");
    free(runs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_reads_what_the_file_holds),
        cmocka_unit_test(test_summary_refuses_missing_and_foreign_files),
        cmocka_unit_test(test_load_without_tables_has_no_rows),
        cmocka_unit_test(test_hacct_cells_show_percent_or_nothing),
        cmocka_unit_test(test_runs_show_restarts_resume_gap_and_phases),
    };
    char cmd[300];
    int failed;

    snprintf(dir, sizeof(dir), "%s/hub-jobread.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    snprintf(file, sizeof(file), "%s/job.h5", dir);
    h5u_quiet();
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? failed : 1;
}

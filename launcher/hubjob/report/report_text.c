/* report_text.c - what hub-report prints: the runs of a job file derived
 * from /metrics and /events, and the summary as text or JSON. */
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* events.c's detail of the events it makes from HUB_LAUNCH_TIMINGS. */
#define LAUNCHER_DETAIL "timed by the launcher"

static void add_row(report_run_t *r, const jobread_row_t *row)
{
    if (r->rows++ == 0) {
        r->first_step = row->step;
        r->first_s = row->time_s;
    }
    r->last_step = row->step;
    r->last_s = row->time_s;
}

static void add_event(report_run_t *r, const jobread_event_t *ev)
{
    if (strcmp(ev->name, "start") == 0)
        r->start_s = ev->time_s;
    else if (strcmp(ev->name, "resume") == 0)
        r->resume_step = ev->step;
    else if (strcmp(ev->detail, LAUNCHER_DETAIL) == 0 &&
             r->nphases < REPORT_PHASES_MAX) {
        snprintf(r->phase[r->nphases].name, sizeof(r->phase[0].name), "%s",
                 ev->name);
        r->phase[r->nphases++].s = ev->duration_s;
    }
}

int report_runs(const jobread_t *jr, report_run_t **runs, size_t *n)
{
    int last = jr->info.runs > 0 ? (int)jr->info.runs - 1 : 0;

    for (size_t i = 0; i < jr->nrows; i++)
        last = jr->rows[i].run > last ? jr->rows[i].run : last;
    for (size_t i = 0; i < jr->nevents; i++)
        last = jr->events[i].run > last ? jr->events[i].run : last;
    if (!(*runs = calloc((size_t)last + 1, sizeof(**runs))))
        return -ENOMEM;
    *n = (size_t)last + 1;
    for (int r = 0; r <= last; r++)
        (*runs)[r] = (report_run_t){.run = r,
                                    .first_step = -1,
                                    .last_step = -1,
                                    .resume_step = -1,
                                    .gap_s = -1};
    for (size_t i = 0; i < jr->nrows; i++)
        if (jr->rows[i].run >= 0)
            add_row(&(*runs)[jr->rows[i].run], &jr->rows[i]);
    for (size_t i = 0; i < jr->nevents; i++)
        if (jr->events[i].run >= 0)
            add_event(&(*runs)[jr->events[i].run], &jr->events[i]);
    for (size_t r = 1; r < *n; r++)
        if ((*runs)[r - 1].rows && (*runs)[r].rows)
            (*runs)[r].gap_s = (*runs)[r].first_s - (*runs)[r - 1].last_s;
    return 0;
}

static void print_summary(FILE *out, const jobread_summary_t *s)
{
    fprintf(out, "Steps:          %lld (%lld lost)\n", (long long)s->steps,
            (long long)s->lost_steps);
    fprintf(out, "Wall time:      %.4g s (in steps %.4g s, lost %.4g s)\n",
            s->wall_s, s->step_s, s->lost_s);
    fprintf(out, "MFU:            mean %.2f %%, median %.2f %%\n",
            100 * s->mean_mfu, 100 * s->median_mfu);
    fprintf(out, "Tokens/s:       mean %.6g, median %.6g\n", s->tokens_per_s,
            s->median_tokens_per_s);
    fprintf(out, "Goodput:        %.2f %%\n", 100 * s->goodput);
    fprintf(out, "Work lost:      %lld steps, %.4g s\n",
            (long long)s->lost_steps, s->lost_s);
}

static void print_run(FILE *out, const report_run_t *r)
{
    fprintf(out, "  run %d: ", r->run);
    if (r->rows)
        fprintf(out, "steps %lld..%lld (%zu)", (long long)r->first_step,
                (long long)r->last_step, r->rows);
    else
        fprintf(out, "no steps");
    if (r->resume_step >= 0)
        fprintf(out, ", resumed from checkpoint %lld",
                (long long)r->resume_step);
    if (r->gap_s >= 0)
        fprintf(out, ", %.4g s after the previous run's last step", r->gap_s);
    for (size_t i = 0; i < r->nphases; i++)
        fprintf(out, "%s%s %.2f s", i ? ", " : "; phases: ", r->phase[i].name,
                r->phase[i].s);
    fputc('\n', out);
}

void report_print_text(FILE *out, const char *path, const jobread_t *jr,
                       const report_run_t *runs, size_t nruns, const char *png)
{
    const jobread_info_t *in = &jr->info;

    fprintf(out, "Job file:       %s\n", path);
    fprintf(out, "Job:            %s\n", in->job_id[0] ? in->job_id : "-");
    fprintf(out, "Model:          %s (%.4g FLOPs/token)\n",
            in->model_name[0] ? in->model_name : "-",
            in->model_flops_per_token);
    fprintf(out, "Devices:        %s, %lld ranks, %s, peak %.4g FLOP/s\n",
            in->devices[0] ? in->devices : "-", (long long)in->world_size,
            in->precision[0] ? in->precision : "-", in->peak_flops);
    if (jr->has_summary)
        print_summary(out, &jr->summary);
    else
        fprintf(out,
                "Summary:        none (no run has finished cleanly; "
                "%zu steps recorded)\n",
                jr->nrows);
    fprintf(out, "Restarts:       %zu\n", nruns ? nruns - 1 : 0);
    for (size_t i = 0; i < nruns; i++)
        print_run(out, &runs[i]);
    if (png)
        fprintf(out, "Plot:           %s\n", png);
}

static json_t *summary_json(const jobread_summary_t *s)
{
    return json_pack(
        "{s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "steps",
        (json_int_t)s->steps, "lost_steps", (json_int_t)s->lost_steps,
        "step_time_s", s->step_s, "lost_time_s", s->lost_s, "wall_time_s",
        s->wall_s, "goodput", s->goodput, "mean_mfu", s->mean_mfu, "median_mfu",
        s->median_mfu, "tokens_per_s", s->tokens_per_s, "median_tokens_per_s",
        s->median_tokens_per_s);
}

static json_t *run_json(const report_run_t *r)
{
    json_t *phases = json_object();

    for (size_t i = 0; i < r->nphases; i++)
        json_object_set_new(phases, r->phase[i].name, json_real(r->phase[i].s));
    return json_pack(
        "{s:i, s:f, s:I, s:I, s:I, s:I, s:o*, s:o}", "run", r->run,
        "start_time", r->start_s, "steps", (json_int_t)r->rows, "first_step",
        (json_int_t)r->first_step, "last_step", (json_int_t)r->last_step,
        "resume_step", (json_int_t)r->resume_step, "gap_s",
        r->gap_s >= 0 ? json_real(r->gap_s) : NULL, "phases", phases);
}

int report_print_json(FILE *out, const char *path, const jobread_t *jr,
                      const report_run_t *runs, size_t nruns, const char *png)
{
    const jobread_info_t *in = &jr->info;
    json_t *jruns = json_array(), *o;
    int rc;

    for (size_t i = 0; jruns && i < nruns; i++)
        json_array_append_new(jruns, run_json(&runs[i]));
    o = json_pack("{s:s, s:s, s:s, s:f, s:s, s:s, s:f, s:I, s:o, s:o, s:s?}",
                  "file", path, "job_id", in->job_id, "model_name",
                  in->model_name, "model_flops_per_token",
                  in->model_flops_per_token, "devices", in->devices,
                  "precision", in->precision, "peak_flops", in->peak_flops,
                  "world_size", (json_int_t)in->world_size, "summary",
                  jr->has_summary ? summary_json(&jr->summary) : json_null(),
                  "runs", jruns, "png", png);
    if (!o)
        return -ENOMEM;
    rc = json_dumpf(o, out, JSON_COMPACT) == 0 ? 0 : -EIO;
    fputc('\n', out);
    json_decref(o);
    return rc;
}

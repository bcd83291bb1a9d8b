/* report.c - the model description, FLOP formula and per-layer profile
 * printed by gpt-train and the MFU benchmark (see report.h). */
#include "report.h"

double gpt_report_flops(FILE *f, const gpt_trainer_t *tr)
{
    hub_model_t hm = gpt_trainer_hub_model(tr);
    double fpt = hub_model_flops_per_token(&hm);

    fprintf(f,
            "FLOPs/token      6 x N + 12 x L x H x Q x T = 6 x %.0f + 12 x "
            "%d x %d x %d x %d = %.6g\n",
            hm.params, hm.layers, hm.heads, hm.head_dim, hm.seq_len, fpt);
    return fpt;
}

void gpt_report_model(FILE *f, const gpt_trainer_t *tr, int threads,
                      double peak_flops)
{
    const gpt_model_t *m = tr->model;
    const gpt_config_t *c = &m->cfg;

    fprintf(f, "config           %s: L %d, C %d, heads %d, maxT %d, V %d\n",
            c->name, c->layers, c->channels, c->heads, c->max_seq, c->vocab);
    fprintf(f, "parameters       %zu (non-embedding N = %zu)\n", m->nparams,
            gpt_model_nonembedding_params(m));
    fprintf(f, "global batch     %d x %d = %d tokens/step\n", tr->Bg, tr->T,
            tr->Bg * tr->T);
    if (tr->accel)
        fprintf(f, "ranks x device   %d x %s\n", tr->world, tr->accel->name);
    else
        fprintf(f, "ranks x threads  %d x %d\n", tr->world, threads);
    gpt_report_flops(f, tr);
    fprintf(f, "peak FLOP/s      %.4g (hub_job_peak_flops: %s)\n", peak_flops,
            tr->accel ? "the job's GPUs, dense, at HUB_PRECISION"
                      : "the job's FP32 peak, FMA-measured on CPUs");
}

static void profile_row(FILE *f, const char *name, double fwd, double bwd,
                        double total)
{
    fprintf(f, "  %-16s %10.2f %10.2f %7.1f%%\n", name, fwd * 1e3, bwd * 1e3,
            total > 0 ? 100.0 * (fwd + bwd) / total : 0.0);
}

void gpt_report_profile(FILE *f, const gpt_trainer_t *tr, int64_t steps,
                        double total_s)
{
    const gpt_model_t *m = tr->model;
    const gpt_phase_times_t *t = &tr->times;
    double n = steps > 0 ? (double)steps : 1.0, accounted = 0;

    fprintf(f, "profile (ms per step, rank %d, %lld steps):\n", tr->rank,
            (long long)steps);
    fprintf(f, "  %-16s %10s %10s %8s\n", "layer", "forward", "backward",
            "share");
    for (int k = 0; k < GPT_PROF_N && !tr->accel; k++) {
        profile_row(f, gpt_prof_names[k], m->prof_fwd_s[k] / n,
                    m->prof_bwd_s[k] / n, total_s / n);
        accounted += m->prof_fwd_s[k] + m->prof_bwd_s[k];
    }
    if (tr->accel) /* kernels run asynchronously: no time per layer */
        fprintf(f,
                "  (per layer: not measured on %s; forward and backward "
                "are in other)\n",
                tr->accel->name);
    profile_row(f, "data", t->data_s / n, 0, total_s / n);
    profile_row(f, "all-reduce", 0, t->comm_s / n, total_s / n);
    profile_row(f, "clip + adamw", 0, t->optim_s / n, total_s / n);
    profile_row(f, "checkpoint", 0, t->ckpt_s / n, total_s / n);
    accounted += t->data_s + t->comm_s + t->optim_s + t->ckpt_s;
    profile_row(f, "other", 0, (total_s - accounted) / n, total_s / n);
    fprintf(f, "  %-16s %21.2f\n", "step", total_s / n * 1e3);
}

/* report.h - what the GPT programs print for people: the model and its
 * FLOP formula (so that MFU can be checked by hand) and the profile of
 * the steps by layer type.
 *
 * Non-goals: the machine-readable record, which is the job's HDF5 file
 * (hub_step_end) and the benchmark's JSON line.
 */
#ifndef GPT_REPORT_H
#define GPT_REPORT_H

#include <stdio.h>

#include "trainer.h"

/* Model FLOPs per token by libhubjob's formula (hub_model_flops_per_token)
 * with each term printed: "6 x N + 12 x L x H x Q x T = ...". */
double gpt_report_flops(FILE *f, const gpt_trainer_t *tr);

/* The configuration, parameter counts, batch, ranks and threads, the FLOP
 * formula and the peak. */
void gpt_report_model(FILE *f, const gpt_trainer_t *tr, int threads,
                      double peak_flops);

/* Time per layer type (forward, backward, share of the total) and per
 * phase over `steps` profiled steps taking total_s. */
void gpt_report_profile(FILE *f, const gpt_trainer_t *tr, int64_t steps,
                        double total_s);

#endif /* GPT_REPORT_H */

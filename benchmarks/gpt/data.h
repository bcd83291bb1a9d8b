/* data.h - the training corpus: byte-level tokens (vocabulary 256) read
 * from text files, split into training and validation bytes, and a data
 * cursor whose state fits in a checkpoint.
 *
 * The default corpus is /usr/share/common-licenses, the licence texts
 * every Debian system ships (about 230 kB of English prose). Each file's
 * first (1 - val_frac) bytes are training data and the rest validation,
 * so that both splits see every text.
 *
 * Batches are global: every rank draws the same windows and keeps its
 * slice, so that the run's data does not depend on the number of ranks.
 *
 * Non-goals: BPE tokenisation, corpora larger than memory, shuffling
 * without replacement (training windows are drawn at random positions).
 */
#ifndef GPT_DATA_H
#define GPT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "rng.h"

#define GPT_DATA_DEFAULT "/usr/share/common-licenses"

typedef struct gpt_data {
    uint8_t *train; /* [ntrain] tokens (bytes) */
    size_t ntrain;
    uint8_t *val; /* [nval] */
    size_t nval;
    int nfiles; /* files read */
} gpt_data_t;

/* Read path: a directory (its regular files, in byte order of their
 * names; symbolic links are skipped, so that aliases such as GPL ->
 * GPL-3 are read once) or one file. 0 < val_frac < 1. Fails with a
 * message when nothing could be read. */
int gpt_data_load(gpt_data_t *d, const char *path, double val_frac,
                  hub_error_t *err);
void gpt_data_free(gpt_data_t *d); /* NULL-safe */

/* -EINVAL unless both splits hold a window of T + 1 tokens. */
int gpt_data_check(const gpt_data_t *d, int T, hub_error_t *err);

/* Where training is in the data: saved and restored with checkpoints. */
typedef struct gpt_cursor {
    gpt_rng_t rng; /* draws the start of each training window */
    int64_t seqs;  /* training windows drawn so far (all ranks) */
} gpt_cursor_t;

void gpt_cursor_init(gpt_cursor_t *c, uint64_t seed);

/* The next global batch of Bg training windows of T + 1 tokens: this
 * rank keeps windows [first, first + count) as tokens and targets
 * (shifted by one), [count, T] each. Every rank must call it with the
 * same Bg and T: the cursor advances by Bg windows. */
void gpt_data_train_batch(const gpt_data_t *d, gpt_cursor_t *c, int Bg, int T,
                          int first, int count, int *tokens, int *targets);

/* Validation batch i (0, 1, ...): Bg windows at fixed, evenly spaced
 * positions of the validation split; this rank's slice as above. */
void gpt_data_val_batch(const gpt_data_t *d, int64_t i, int Bg, int T,
                        int first, int count, int *tokens, int *targets);

#endif /* GPT_DATA_H */

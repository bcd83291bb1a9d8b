/* data.c - corpus loading, the train/validation split and batches (see
 * data.h). */
#include "data.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A growing byte buffer. */
typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes_t;

static int bytes_add(bytes_t *b, const uint8_t *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        uint8_t *p;
        while (cap < b->n + n)
            cap *= 2;
        if (!(p = realloc(b->p, cap)))
            return -ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

/* Append file's bytes: the head to train, the tail to val. */
static int load_file(const char *file, double val_frac, bytes_t *train,
                     bytes_t *val, hub_error_t *err)
{
    FILE *f = fopen(file, "rb");
    uint8_t *buf = NULL;
    long n = 0;
    size_t ntrain;
    int rc = 0;

    if (!f)
        return hub_errorf(err, errno, "%s: %s", file, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n)
        rc = hub_errorf(err, EIO, "%s: cannot read", file);
    if (rc == 0) {
        ntrain = (size_t)((double)n * (1.0 - val_frac));
        if (bytes_add(train, buf, ntrain) < 0 ||
            bytes_add(val, buf + ntrain, (size_t)n - ntrain) < 0)
            rc = hub_errorf(err, ENOMEM, "%s: out of memory", file);
    }
    free(buf);
    fclose(f);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file (not a link) of dir, in name order. */
static int load_dir(gpt_data_t *d, const char *dir, double val_frac,
                    bytes_t *train, bytes_t *val, hub_error_t *err)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, by_name), rc = 0;
    char file[4096];
    struct stat st;

    if (n < 0)
        return hub_errorf(err, errno, "%s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        snprintf(file, sizeof(file), "%s/%s", dir, ents[i]->d_name);
        if (rc == 0 && lstat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = load_file(file, val_frac, train, val, err);
            d->nfiles += rc == 0;
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

int gpt_data_load(gpt_data_t *d, const char *path, double val_frac,
                  hub_error_t *err)
{
    bytes_t train = {0}, val = {0};
    struct stat st;
    int rc;

    memset(d, 0, sizeof(*d));
    if (!(val_frac > 0 && val_frac < 1))
        return hub_errorf(err, EINVAL, "validation fraction %g not in (0,1)",
                          val_frac);
    if (stat(path, &st) != 0)
        return hub_errorf(err, errno, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        rc = load_dir(d, path, val_frac, &train, &val, err);
    } else {
        rc = load_file(path, val_frac, &train, &val, err);
        d->nfiles = rc == 0;
    }
    if (rc == 0 && (train.n == 0 || val.n == 0))
        rc = hub_errorf(err, ENODATA, "%s: no text found", path);
    if (rc < 0) {
        free(train.p);
        free(val.p);
        d->nfiles = 0;
        return rc;
    }
    d->train = train.p;
    d->ntrain = train.n;
    d->val = val.p;
    d->nval = val.n;
    return 0;
}

void gpt_data_free(gpt_data_t *d)
{
    if (!d)
        return;
    free(d->train);
    free(d->val);
    memset(d, 0, sizeof(*d));
}

int gpt_data_check(const gpt_data_t *d, int T, hub_error_t *err)
{
    if (d->ntrain < (size_t)T + 2 || d->nval < (size_t)T + 2)
        return hub_errorf(err, EINVAL,
                          "corpus too small for sequences of %d: %zu "
                          "training and %zu validation bytes",
                          T, d->ntrain, d->nval);
    return 0;
}

void gpt_cursor_init(gpt_cursor_t *c, uint64_t seed)
{
    /* a stream apart from the weights' (seeded with seed itself) */
    gpt_rng_seed(&c->rng, seed ^ 0x6461746163757273ULL);
    c->seqs = 0;
}

/* Window at src[start .. start + T] into tokens and targets. */
static void window(const uint8_t *src, size_t start, int T, int *tokens,
                   int *targets)
{
    for (int t = 0; t < T; t++) {
        tokens[t] = src[start + t];
        targets[t] = src[start + t + 1];
    }
}

void gpt_data_train_batch(const gpt_data_t *d, gpt_cursor_t *c, int Bg, int T,
                          int first, int count, int *tokens, int *targets)
{
    for (int b = 0; b < Bg; b++) {
        size_t start = gpt_rng_below(&c->rng, d->ntrain - (size_t)T - 1);
        if (b >= first && b < first + count)
            window(d->train, start, T, tokens + (size_t)(b - first) * T,
                   targets + (size_t)(b - first) * T);
    }
    c->seqs += Bg;
}

void gpt_data_val_batch(const gpt_data_t *d, int64_t i, int Bg, int T,
                        int first, int count, int *tokens, int *targets)
{
    size_t span = d->nval - (size_t)T - 1;

    for (int b = first; b < first + count; b++) {
        size_t start = ((size_t)(i * Bg + b) * (size_t)T) % span;
        window(d->val, start, T, tokens + (size_t)(b - first) * T,
               targets + (size_t)(b - first) * T);
    }
}

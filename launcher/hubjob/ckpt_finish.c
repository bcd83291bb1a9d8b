/* ckpt_finish.c - the end of a commit: rank 0 waits for every rank's
 * fragment, writes index.json and then the COMPLETE marker, and prunes
 * old checkpoints; the other ranks of an asynchronous commit wait for the
 * marker. Only the filesystem carries the handshake, so this runs on the
 * background writer without MPI (which may be MPI_THREAD_SINGLE). */
#include "ckpt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Polling: start at 1 ms, back off to 20 ms (a marker appears within a
 * disk flush; 20 ms is small beside a checkpoint's seconds). */
#define POLL_FIRST_S 0.001
#define POLL_MAX_S 0.020

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Wait until path or alt (may be NULL) exists: 0 for path, 1 for alt,
 * -ETIMEDOUT after timeout_s. */
static int wait_for(const char *path, const char *alt, double timeout_s)
{
    double deadline = ckpt_now() + timeout_s, pause = POLL_FIRST_S;

    for (;;) {
        if (ckpt_exists(path))
            return 0;
        if (alt && ckpt_exists(alt))
            return 1;
        if (ckpt_now() >= deadline)
            return -ETIMEDOUT;
        sleep_s(pause);
        pause = pause * 2 < POLL_MAX_S ? pause * 2 : POLL_MAX_S;
    }
}

static int wait_fragments(struct ckpt_state *st, double timeout_s,
                          hub_error_t *err)
{
    char path[CKPT_PATH_MAX], leaf[64];
    double deadline = ckpt_now() + timeout_s;

    for (int r = 0; r < st->world; r++) {
        double left = deadline - ckpt_now();
        snprintf(leaf, sizeof(leaf), "rank-%d.json", r);
        ckpt_path(path, st, st->step, leaf);
        if (wait_for(path, NULL, left > 0 ? left : 0) < 0)
            return hub_errorf(err, ETIMEDOUT,
                              "rank %d did not finish its part in %.0f s", r,
                              timeout_s);
    }
    return 0;
}

/* Keep the newest st->keep complete checkpoints up to st->step; remove
 * older ones and older incomplete ones. Newer steps (another timeline of
 * a restarted job) are left alone. A failure here is only warned about:
 * the new checkpoint is complete. */
static void prune(struct ckpt_state *st)
{
    char path[CKPT_PATH_MAX];
    int64_t *steps;
    size_t n;
    int kept = 0;
    hub_error_t err;

    if (ckpt_list_steps(st->dir, &steps, &n, &err) < 0) {
        ckpt_warn(st, "cannot prune checkpoints: %s", err.text);
        return;
    }
    for (size_t i = n; i-- > 0;) {
        if (steps[i] > st->step)
            continue;
        ckpt_path(path, st, steps[i], "COMPLETE");
        if (ckpt_exists(path) && kept < st->keep) {
            kept++;
            continue;
        }
        ckpt_path(path, st, steps[i], NULL);
        if (ckpt_remove_step(path, &err) < 0)
            ckpt_warn(st, "cannot prune checkpoint: %s", err.text);
    }
    free(steps);
}

/* The marker's text: what a person running cat wants to know. */
static int put_marker(struct ckpt_state *st, const char *leaf, const char *why,
                      hub_error_t *err)
{
    char dir[CKPT_PATH_MAX], text[640];
    int len = snprintf(text, sizeof(text), "step %" PRId64 " world %d%s%s\n",
                       st->step, st->world, why ? ": " : "", why ? why : "");

    ckpt_path(dir, st, st->step, NULL);
    return ckpt_put_file(dir, leaf, text, (size_t)len, err);
}

int ckpt_finish(struct ckpt_state *st, double timeout_s, hub_error_t *err)
{
    hub_error_t ignored;
    int rc = wait_fragments(st, timeout_s, err);

    if (rc == 0)
        rc = ckpt_json_index(st, err);
    if (rc == 0)
        rc = put_marker(st, "COMPLETE", NULL, err);
    if (rc < 0) {
        ckpt_mark_failed(st, err->text, &ignored);
        return rc;
    }
    prune(st);
    return 0;
}

int ckpt_mark_failed(struct ckpt_state *st, const char *why, hub_error_t *err)
{
    return put_marker(st, "FAILED", why, err);
}

int ckpt_await_complete(struct ckpt_state *st, double timeout_s,
                        hub_error_t *err)
{
    char done[CKPT_PATH_MAX], failed[CKPT_PATH_MAX];
    int rc;

    ckpt_path(done, st, st->step, "COMPLETE");
    ckpt_path(failed, st, st->step, "FAILED");
    rc = wait_for(done, failed, timeout_s);
    if (rc == 1)
        return hub_errorf(err, EIO,
                          "checkpoint step-%" PRId64
                          " failed on rank 0 (see its FAILED file)",
                          st->step);
    if (rc < 0)
        return hub_errorf(err, ETIMEDOUT,
                          "checkpoint step-%" PRId64
                          " was not completed by rank 0 in %.0f s",
                          st->step, timeout_s);
    return 0;
}

int ckpt_prepare_dir(struct ckpt_state *st, int64_t step, hub_error_t *err)
{
    char path[CKPT_PATH_MAX];
    int rc = ckpt_mkdirs(st->dir, err);

    ckpt_path(path, st, step, NULL);
    if (rc == 0 && ckpt_exists(path))
        rc = ckpt_remove_step(path, err);
    if (rc == 0)
        rc = ckpt_mkdirs(path, err);
    if (rc == 0)
        rc = ckpt_fsync_dir(st->dir, err);
    return rc;
}

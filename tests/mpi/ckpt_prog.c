/* ckpt_prog.c - the MPI checkpoint tests' program (tests/mpi/ckpt_*.sh),
 * run under mpirun with HUB_CKPT_DIR set:
 *
 *   ckpt_prog save STEP [async] [kill=R] [big=N]
 *       save the fixture (ckpt_fixture.h) as checkpoint STEP; with kill=R
 *       rank R kills itself (SIGKILL) as soon as its file exists
 *   ckpt_prog restore STEP [big=N]
 *       the restore loop (hub_ckpt_latest, reads, hub_ckpt_read_end) must
 *       end at STEP (-1: none) with every tensor read back bit for bit
 *   ckpt_prog request
 *       step until hub_ckpt_requested (a signal to any one rank; each
 *       rank writes its pid to $HUB_CKPT_DIR/pid-<rank>), then save that
 *       step and print "requested at step N"
 *
 * Exit status 0 when it did what was asked, 1 otherwise (rank 0 says why
 * on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckpt_fixture.h"
#include "hubjob.h"

#define REQUEST_MAX_STEPS 3000 /* x 10 ms: give up after 30 s */

struct opts {
    const char *mode;
    int64_t step;
    int flags;
    int kill_rank;
    uint64_t big;
};

static char watch_path[4300];

/* Kill this process once watch_path exists (a rank dying mid-save). */
static void *killer(void *arg)
{
    struct stat sb;
    struct timespec pause = {0, 20000};

    (void)arg;
    for (;;) {
        if (stat(watch_path, &sb) == 0)
            raise(SIGKILL);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.kill_rank = -1};
    if (argc < 2)
        return -1;
    o->mode = argv[1];
    if (strcmp(o->mode, "request") != 0) {
        if (argc < 3)
            return -1;
        o->step = strtoll(argv[2], NULL, 10);
    }
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "async") == 0)
            o->flags |= HUB_CKPT_ASYNC;
        else if (strncmp(argv[i], "kill=", 5) == 0)
            o->kill_rank = atoi(argv[i] + 5);
        else if (strncmp(argv[i], "big=", 4) == 0)
            o->big = strtoull(argv[i] + 4, NULL, 10);
        else
            return -1;
    }
    return 0;
}

static int do_save(hub_ctx_t *ctx, const struct opts *o)
{
    pthread_t t;

    if (o->kill_rank == hub_job_rank(ctx)) {
        snprintf(watch_path, sizeof(watch_path),
                 "%s/step-%" PRId64 "/rank-%d.h5.tmp", hub_job_ckpt_dir(ctx),
                 o->step, o->kill_rank);
        pthread_create(&t, NULL, killer, NULL);
    }
    return ckpt_fix_save(ctx, o->step, o->flags, o->big) == 0 ? 0 : 1;
}

static int do_restore(hub_ctx_t *ctx, const struct opts *o)
{
    char why[512] = "";
    int64_t step = -1;
    int rc = ckpt_fix_restore(ctx, &step, o->big, why, sizeof(why));

    if (rc == -ENOENT && o->step == -1)
        return 0;
    if (rc < 0 || step != o->step) {
        if (hub_job_rank(ctx) == 0)
            fprintf(stderr,
                    "restore: rc %d step %" PRId64 ", wanted %" PRId64
                    " (%s)\n",
                    rc, step, o->step, hub_job_error(ctx));
        return 1;
    }
    if (rc != 0)
        fprintf(stderr, "rank %d: %s\n", hub_job_rank(ctx), why);
    return rc != 0;
}

static int do_request(hub_ctx_t *ctx, const struct opts *o)
{
    struct timespec pause = {0, 10000000};
    char path[4200];
    FILE *f;

    snprintf(path, sizeof(path), "%s/pid-%d", hub_job_ckpt_dir(ctx),
             hub_job_rank(ctx));
    if (!(f = fopen(path, "w")))
        return 1;
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    for (int64_t step = 1; step <= REQUEST_MAX_STEPS; step++) {
        nanosleep(&pause, NULL);
        int r = hub_ckpt_requested(ctx);
        if (r < 0)
            return 1;
        if (r == 0)
            continue;
        if (ckpt_fix_save(ctx, step, o->flags, o->big) < 0)
            return 1;
        if (hub_job_rank(ctx) == 0)
            printf("requested at step %" PRId64 "\n", step);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    hub_ctx_t *ctx;
    struct opts o;
    int rc;

    if (parse(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: ckpt_prog save|restore STEP [async] "
                        "[kill=R] [big=N] | request\n");
        return 2;
    }
    if (hub_job_init(&ctx, &argc, &argv) < 0)
        return 1;
    if (strcmp(o.mode, "save") == 0)
        rc = do_save(ctx, &o);
    else if (strcmp(o.mode, "restore") == 0)
        rc = do_restore(ctx, &o);
    else
        rc = do_request(ctx, &o);
    if (rc && hub_job_rank(ctx) == 0)
        fprintf(stderr, "ckpt_prog %s: %s\n", o.mode, hub_job_error(ctx));
    hub_job_finalize(ctx);
    return rc;
}

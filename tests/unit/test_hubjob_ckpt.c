/* test_hubjob_ckpt.c - libhubjob's checkpoints on one rank (MPI singleton):
 * CRC32C, save and restore bit for bit, async (with and without the
 * copy) equal to sync, the restore loop falling back from a torn or
 * corrupted checkpoint with the warning, keep-K pruning,
 * argument checks and the request signal. Many ranks and killed ranks:
 * tests/mpi/ckpt_*.sh. */
#include "cmocka_all.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt_fixture.h"
#include "crc32c.h"
#include "hubjob.h"

static hub_ctx_t *ctx;
static char tmp[256], ckdir[300];
static char captured[8192];

static int clean(void **state)
{
    char cmd[400];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ckdir);
    return system(cmd);
}

static char *path(int64_t step, const char *leaf)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "%s/step-%lld/%s", ckdir, (long long)step, leaf);
    return buf;
}

/* The restore loop (ckpt_fix_restore) when why is not NULL, else
 * hub_ckpt_latest alone, with stderr captured into `captured`. */
static int restore_captured(int64_t *step, char *why, size_t why_len)
{
    char file[300];
    int saved, fd, rc;
    ssize_t n;

    snprintf(file, sizeof(file), "%s/stderr", tmp);
    fflush(stderr);
    saved = dup(2);
    fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    rc = why ? ckpt_fix_restore(ctx, step, 0, why, why_len)
             : hub_ckpt_latest(ctx, step);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, captured, sizeof(captured) - 1, 0);
    captured[n > 0 ? n : 0] = '\0';
    close(fd);
    return rc;
}

/* The restore loop picks want and reads it back bit for bit. */
static void assert_restores(int64_t want)
{
    char why[512] = "";
    int64_t step = -1;
    int rc = restore_captured(&step, why, sizeof(why));

    if (rc != 0)
        fail_msg("restore: %d (%s; %s)", rc, why, hub_job_error(ctx));
    assert_int_equal(step, want);
}

static void test_crc32c_matches_the_check_value_and_the_table(void **state)
{
    unsigned char buf[100003];

    (void)state;
    assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283u);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + (i >> 7));
    for (size_t len = 0; len < sizeof(buf); len = len * 3 + 1) {
        uint32_t whole = crc32c(0, buf + 1, len);
        assert_int_equal(whole, crc32c_sw(0, buf + 1, len));
        assert_int_equal(whole, crc32c(crc32c(0, buf + 1, len / 2),
                                       buf + 1 + len / 2, len - len / 2));
    }
}

static void test_save_restores_every_dtype_and_shard_bitwise(void **state)
{
    (void)state;
    assert_int_equal(ckpt_fix_save(ctx, 7, 0, 0), 0);
    assert_true(access(path(7, "COMPLETE"), F_OK) == 0);
    assert_restores(7);
    assert_string_equal(captured, "");
}

/* index.json of step as a string (checksums, shapes, file size). */
static char *index_text(int64_t step)
{
    static char buf[2][8192];
    static int which;
    FILE *f = fopen(path(step, "index.json"), "r");
    size_t n;

    assert_non_null(f);
    which ^= 1;
    n = fread(buf[which], 1, sizeof(buf[which]) - 1, f);
    buf[which][n] = '\0';
    fclose(f);
    return buf[which];
}

/* A checkpoint saved with flags has the index of a synchronous one and
 * restores bit for bit. */
static void assert_equals_sync(int flags)
{
    char sync_index[8192];

    assert_int_equal(ckpt_fix_save(ctx, 3, 0, 100000), 0);
    snprintf(sync_index, sizeof(sync_index), "%s", index_text(3));
    assert_int_equal(ckpt_fix_save(ctx, 3, flags, 100000), 0);
    assert_string_equal(index_text(3), sync_index);
    char why[512] = "";
    int64_t step = -1;
    if (ckpt_fix_restore(ctx, &step, 100000, why, sizeof(why)) != 0)
        fail_msg("%s", why);
    assert_int_equal(step, 3);
}

static void test_async_save_equals_sync(void **state)
{
    (void)state;
    assert_equals_sync(HUB_CKPT_ASYNC);
}

static void test_async_nocopy_save_equals_sync(void **state)
{
    (void)state;
    assert_equals_sync(HUB_CKPT_ASYNC_NOCOPY);
}

static void save_two(void)
{
    assert_int_equal(ckpt_fix_save(ctx, 1, 0, 0), 0);
    assert_int_equal(ckpt_fix_save(ctx, 2, HUB_CKPT_ASYNC, 0), 0);
}

static void test_truncated_rank_file_falls_back_with_warning(void **state)
{
    (void)state;
    save_two();
    assert_int_equal(truncate(path(2, "rank-0.h5"), 4096), 0);
    assert_restores(1);
    assert_non_null(strstr(captured, "hubjob: warning: checkpoint step-2 is "
                                     "truncated (rank-0.h5: 4096 of"));
    assert_non_null(strstr(captured, "): using step-1\n"));
}

/* Flip a bit of tensor 'big' (the last in the file) of step. */
static void flip_byte(int64_t step)
{
    struct stat sb;
    unsigned char b;
    int fd;

    assert_int_equal(stat(path(step, "rank-0.h5"), &sb), 0);
    fd = open(path(step, "rank-0.h5"), O_RDWR);
    assert_int_equal(pread(fd, &b, 1, sb.st_size - 100), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, sb.st_size - 100), 1);
    close(fd);
}

static void test_flipped_byte_falls_back_with_warning(void **state)
{
    (void)state;
    save_two();
    flip_byte(2);
    assert_restores(1);
    assert_string_equal(captured,
                        "hubjob: warning: checkpoint step-2 is corrupt "
                        "(rank-0.h5, tensor 'big': checksum mismatch): "
                        "using step-1\n");
}

static void test_read_finds_a_flipped_byte_and_read_end_refuses_it(void **state)
{
    uint64_t dims[1] = {4096};
    float *big = malloc(dims[0] * sizeof(float));
    int64_t step = -1;

    (void)state;
    save_two();
    flip_byte(2);
    assert_int_equal(hub_ckpt_latest(ctx, &step), 0);
    assert_int_equal(step, 2); /* the structure is sound */
    assert_int_equal(
        hub_ckpt_read(ctx, 2, "big", big, HUB_DTYPE_FLOAT32, 1, dims),
        -EBADMSG);
    assert_non_null(strstr(hub_job_error(ctx), "checksum mismatch"));
    assert_int_equal(hub_ckpt_read_end(ctx, 2), -EBADMSG);
    assert_int_equal(restore_captured(&step, NULL, 0), 0);
    assert_int_equal(step, 1);
    assert_string_equal(captured,
                        "hubjob: warning: checkpoint step-2 is corrupt "
                        "(rank-0.h5, tensor 'big': checksum mismatch): "
                        "using step-1\n");
    assert_int_equal(hub_ckpt_read_end(ctx, 1), 0);
    /* A new checkpoint of the same step is not held against it. */
    assert_int_equal(ckpt_fix_save(ctx, 2, 0, 0), 0);
    assert_restores(2);
    free(big);
}

static void test_missing_marker_falls_back_with_warning(void **state)
{
    (void)state;
    save_two();
    assert_int_equal(unlink(path(2, "COMPLETE")), 0);
    assert_restores(1);
    assert_string_equal(captured,
                        "hubjob: warning: checkpoint step-2 is incomplete "
                        "(no COMPLETE marker): using step-1\n");
}

static void test_nothing_usable_is_enoent_with_warning(void **state)
{
    int64_t step = -1;
    char why[512];

    (void)state;
    assert_int_equal(restore_captured(&step, why, sizeof(why)), -ENOENT);
    assert_int_equal(ckpt_fix_save(ctx, 4, 0, 0), 0);
    assert_int_equal(unlink(path(4, "index.json")), 0);
    assert_int_equal(restore_captured(&step, why, sizeof(why)), -ENOENT);
    assert_non_null(strstr(captured, "checkpoint step-4 is unreadable ("));
    assert_non_null(strstr(captured, "no older checkpoint is left\n"));
}

static void test_keeps_the_last_two_complete(void **state)
{
    (void)state;
    for (int64_t s = 10; s <= 40; s += 10)
        assert_int_equal(ckpt_fix_save(ctx, s, s == 30 ? HUB_CKPT_ASYNC : 0, 0),
                         0);
    assert_true(access(path(10, ""), F_OK) < 0);
    assert_true(access(path(20, ""), F_OK) < 0);
    assert_true(access(path(30, "COMPLETE"), F_OK) == 0);
    assert_true(access(path(40, "COMPLETE"), F_OK) == 0);
}

static void test_read_checks_name_dtype_and_dims(void **state)
{
    uint64_t dims[2] = {2, 3};
    float buf[6];

    (void)state;
    assert_int_equal(ckpt_fix_save(ctx, 5, 0, 0), 0);
    assert_int_equal(
        hub_ckpt_read(ctx, 5, "model/w_f32", buf, HUB_DTYPE_FLOAT32, 2, dims),
        0);
    assert_int_equal(
        hub_ckpt_read(ctx, 5, "model/w_f32", buf, HUB_DTYPE_INT32, 2, dims),
        -EINVAL);
    dims[1] = 2;
    assert_int_equal(
        hub_ckpt_read(ctx, 5, "model/w_f32", buf, HUB_DTYPE_FLOAT32, 2, dims),
        -EINVAL);
    assert_int_equal(
        hub_ckpt_read(ctx, 5, "nope", buf, HUB_DTYPE_FLOAT32, 2, dims),
        -ENOENT);
    assert_int_equal(
        hub_ckpt_read(ctx, 99, "model/w_f32", buf, HUB_DTYPE_FLOAT32, 2, dims),
        -ENOENT);
}

static void test_add_rejects_bad_names_and_duplicates(void **state)
{
    uint64_t dims[1] = {1};
    float x = 1;

    (void)state;
    assert_int_equal(hub_ckpt_add(ctx, "x", &x, HUB_DTYPE_FLOAT32, 1, dims,
                                  HUB_SHARD_PRIVATE),
                     -EINVAL);
    assert_int_equal(hub_ckpt_begin(ctx, 1, 0), 0);
    assert_int_equal(hub_ckpt_begin(ctx, 2, 0), -EINVAL);
    assert_int_equal(hub_ckpt_add(ctx, "/abs", &x, HUB_DTYPE_FLOAT32, 1, dims,
                                  HUB_SHARD_PRIVATE),
                     -EINVAL);
    assert_int_equal(hub_ckpt_add(ctx, "a//b", &x, HUB_DTYPE_FLOAT32, 1, dims,
                                  HUB_SHARD_PRIVATE),
                     -EINVAL);
    assert_int_equal(hub_ckpt_add(ctx, "x", &x, HUB_DTYPE_FLOAT32, 9, dims,
                                  HUB_SHARD_PRIVATE),
                     -EINVAL);
    assert_int_equal(hub_ckpt_add(ctx, "x", &x, HUB_DTYPE_FLOAT32, 1, dims,
                                  HUB_SHARD_PRIVATE),
                     0);
    assert_int_equal(hub_ckpt_add(ctx, "x", &x, HUB_DTYPE_FLOAT32, 1, dims,
                                  HUB_SHARD_PRIVATE),
                     -EEXIST);
    assert_int_equal(hub_ckpt_commit(ctx), 0);
    assert_int_equal(hub_ckpt_commit(ctx), -EINVAL);
}

static void test_signal_requests_one_checkpoint(void **state)
{
    (void)state;
    assert_int_equal(hub_ckpt_requested(ctx), 0);
    raise(SIGUSR1);
    assert_int_equal(hub_ckpt_requested(ctx), 1);
    assert_int_equal(hub_ckpt_requested(ctx), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_matches_the_check_value_and_the_table),
#define T(f) cmocka_unit_test_setup_teardown(f, clean, clean)
        T(test_save_restores_every_dtype_and_shard_bitwise),
        T(test_async_save_equals_sync),
        T(test_async_nocopy_save_equals_sync),
        T(test_truncated_rank_file_falls_back_with_warning),
        T(test_flipped_byte_falls_back_with_warning),
        T(test_read_finds_a_flipped_byte_and_read_end_refuses_it),
        T(test_missing_marker_falls_back_with_warning),
        T(test_nothing_usable_is_enoent_with_warning),
        T(test_keeps_the_last_two_complete),
        T(test_read_checks_name_dtype_and_dims),
        T(test_add_rejects_bad_names_and_duplicates),
        T(test_signal_requests_one_checkpoint),
#undef T
    };
    char cmd[300];
    int failed;

    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    snprintf(tmp, sizeof(tmp), "%s/hub-ckpt.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp))
        return 1;
    snprintf(ckdir, sizeof(ckdir), "%s/ck", tmp);
    setenv("HUB_CKPT_DIR", ckdir, 1);
    snprintf(cmd, sizeof(cmd), "%s/job.h5", tmp);
    setenv("HUB_JOB_FILE", cmd, 1);
    setenv("HUB_CKPT_KEEP", "2", 1);
    unsetenv("HUB_CKPT_SIGNAL");
    if (hub_job_init(&ctx, NULL, NULL) < 0)
        return 1;
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    hub_job_finalize(ctx);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        return 1;
    return failed;
}

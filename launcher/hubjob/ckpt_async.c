/* ckpt_async.c - asynchronous checkpoints: host copies of the tensors
 * and the background writer.
 *
 * hub_ckpt_add copies each tensor into a host buffer (kept and reused by
 * the next checkpoint, so later copies do not page-fault) over several
 * threads with streaming stores (pcopy.h: twice one memcpy's speed here,
 * and the copy is all the training loop waits for); the commit
 * lays the file out through HDF5 on the main thread and starts one
 * thread that writes this rank's file and fragment. Rank 0's thread then
 * waits for every rank's fragment on the filesystem and writes the index
 * and the marker; the other ranks' threads wait for the marker, so that
 * hub_ckpt_wait means "complete" on every rank. The thread calls neither
 * MPI nor HDF5 (see ckpt.h), so MPI_THREAD_SINGLE suffices. A barrier at
 * the next begin would be the alternative; it was not chosen because a
 * job that dies before that begin would lose a checkpoint whose bytes
 * were all on disk.
 */
#include "ckpt.h"
#include "pcopy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *writer(void *arg)
{
    struct ckpt_state *st = arg;
    hub_error_t *err = &st->thread_err;
    int rc = ckpt_write_rank(st, err);

    if (st->rank == 0 && rc == 0)
        rc = ckpt_finish(st, st->timeout_s, err);
    else if (st->rank == 0) {
        hub_error_t ignored; /* the others stop waiting on FAILED */
        ckpt_mark_failed(st, err->text, &ignored);
    } else if (rc == 0)
        rc = ckpt_await_complete(st, st->timeout_s, err);
    st->thread_rc = rc;
    st->done_s = ckpt_now();
    return NULL;
}

void ckpt_async_start(struct ckpt_state *st)
{
    hub_error_clear(&st->thread_err);
    st->thread_rc = 0;
    st->writing = true;
    st->has_thread = pthread_create(&st->thread, NULL, writer, st) == 0;
    if (!st->has_thread)
        writer(st); /* no thread to be had: write now, on this one */
}

int ckpt_async_join(struct ckpt_state *st, hub_error_t *err)
{
    if (!st->writing)
        return 0;
    if (st->has_thread)
        pthread_join(st->thread, NULL);
    st->writing = false;
    if (st->thread_rc < 0)
        *err = st->thread_err;
    return st->thread_rc;
}

int ckpt_async_copy(struct ckpt_state *st, size_t i, const void *data,
                    size_t bytes)
{
    if (i >= st->nbufs) {
        size_t n = st->nbufs ? st->nbufs : 16;
        while (n <= i)
            n *= 2;
        struct ckpt_buf *nb = realloc(st->bufs, n * sizeof(*nb));
        if (!nb)
            return -ENOMEM;
        memset(nb + st->nbufs, 0, (n - st->nbufs) * sizeof(*nb));
        st->bufs = nb;
        st->nbufs = n;
    }
    if (st->bufs[i].cap_bytes < bytes) {
        void *p = malloc(bytes ? bytes : 1);
        if (!p)
            return -ENOMEM;
        free(st->bufs[i].p);
        st->bufs[i] = (struct ckpt_buf){p, bytes};
    }
    pcopy_run(&(struct pcopy_item){st->bufs[i].p, data, bytes}, 1,
              pcopy_threads());
    st->t[i].data = st->bufs[i].p;
    return 0;
}

void ckpt_async_free(struct ckpt_state *st)
{
    for (size_t i = 0; i < st->nbufs; i++)
        free(st->bufs[i].p);
    free(st->bufs);
    st->bufs = NULL;
    st->nbufs = 0;
}

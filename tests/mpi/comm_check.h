/* comm_check.h - where comm_check's buffers live: host memory for comm/mpi
 * (comm_buf_host.c) or device memory for comm/nccl (comm_buf_cuda.c); the
 * checks themselves (comm_check.c) are the same for both.
 */
#ifndef HUB_TESTS_COMM_CHECK_H
#define HUB_TESTS_COMM_CHECK_H

#include <stddef.h>

/* 0 and the number of devices (0 for host memory) when buffers of this
 * kind can be had here; else -1 and why (the test then skips). Call
 * before MPI or libhubjob start. */
int buf_probe(int *ndevices, char *why, size_t len);

/* bytes of buffer memory (never NULL for bytes > 0 unless out of memory). */
void *buf_alloc(size_t bytes);

/* NULL-safe. */
void buf_free(void *p);

/* Copy host memory into a buffer, and a buffer into host memory: 0 or -1. */
int buf_upload(void *dst, const void *host, size_t bytes);
int buf_download(void *host, const void *src, size_t bytes);

#endif /* HUB_TESTS_COMM_CHECK_H */

/* comm_buf_host.c - comm_check's buffers in host memory (comm/mpi). */
#include "comm_check.h"

#include <stdlib.h>
#include <string.h>

int buf_probe(int *ndevices, char *why, size_t len)
{
    *ndevices = 0;
    return 0;
}

void *buf_alloc(size_t bytes)
{
    return malloc(bytes);
}

void buf_free(void *p)
{
    free(p);
}

int buf_upload(void *dst, const void *host, size_t bytes)
{
    memmove(dst, host, bytes);
    return 0;
}

int buf_download(void *host, const void *src, size_t bytes)
{
    memmove(host, src, bytes);
    return 0;
}

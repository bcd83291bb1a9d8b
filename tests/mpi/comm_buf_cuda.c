/* comm_buf_cuda.c - comm_check's buffers in device memory (comm/nccl), on
 * the device comm/nccl made current. */
#include "comm_check.h"

#include <cuda_runtime_api.h>
#include <stdio.h>

int buf_probe(int *ndevices, char *why, size_t len)
{
    int n = 0; /* without a driver, cudaGetDeviceCount leaves it as is */
    cudaError_t rc = cudaGetDeviceCount(&n);

    *ndevices = n;
    if (rc != cudaSuccess) {
        snprintf(why, len, "no GPU: cudaGetDeviceCount returned %d (%s)",
                 (int)rc, cudaGetErrorName(rc));
        return -1;
    }
    if (n == 0) {
        snprintf(why, len, "no GPU: cudaGetDeviceCount found 0 devices");
        return -1;
    }
    return 0;
}

void *buf_alloc(size_t bytes)
{
    void *p = NULL;

    return cudaMalloc(&p, bytes) == cudaSuccess ? p : NULL;
}

void buf_free(void *p)
{
    cudaFree(p);
}

int buf_upload(void *dst, const void *host, size_t bytes)
{
    return cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice) == cudaSuccess
               ? 0
               : -1;
}

int buf_download(void *host, const void *src, size_t bytes)
{
    return cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost) == cudaSuccess
               ? 0
               : -1;
}

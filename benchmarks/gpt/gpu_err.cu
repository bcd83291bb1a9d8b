/* gpu_err.cu - CUDA runtime and cuBLAS failures of the GPU model as a
 * negative errno and a message naming the call and where it was made
 * (STYLE.md: one error wrapper per library; CUDA's codes map through the
 * NCCL plugin's cudaerr), and the device queries. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gpu_impl.h"

extern "C" {
#include "gpuerr.h" /* cudaerr, shared with the NCCL plugin */
}

/* The file's name without its directories (messages stay short). */
static const char *base(const char *file)
{
    const char *s = strrchr(file, '/');
    return s ? s + 1 : file;
}

int gpu_cuda_fail(cudaError_t rc, const char *call, const char *file, int line,
                  hub_error_t *err)
{
    char what[512];

    snprintf(what, sizeof(what), "%s:%d: %s", base(file), line, call);
    return cudaerr(rc, what, err);
}

static int blas_errno(cublasStatus_t rc)
{
    switch (rc) {
    case CUBLAS_STATUS_ALLOC_FAILED:
        return ENOMEM;
    case CUBLAS_STATUS_INVALID_VALUE:
        return EINVAL;
    case CUBLAS_STATUS_NOT_INITIALIZED:
    case CUBLAS_STATUS_ARCH_MISMATCH:
        return ENODEV;
    default:
        return EIO;
    }
}

int gpu_blas_fail(cublasStatus_t rc, const char *call, const char *file,
                  int line, hub_error_t *err)
{
    return hub_errorf(err, blas_errno(rc), "%s:%d: %s: %s (%s)", base(file),
                      line, call, cublasGetStatusString(rc),
                      cublasGetStatusName(rc));
}

int gpt_gpu_devices(int *n, hub_error_t *err)
{
    cudaError_t rc;

    *n = 0; /* without a driver, cudaGetDeviceCount leaves it untouched */
    rc = cudaGetDeviceCount(n);
    if (rc != cudaSuccess)
        return hub_errorf(err, ENODEV,
                          "no CUDA device: cudaGetDeviceCount: %s (%s)",
                          cudaGetErrorString(rc), cudaGetErrorName(rc));
    if (*n <= 0)
        return hub_errorf(err, ENODEV,
                          "no CUDA device: cudaGetDeviceCount found 0");
    return 0;
}

int gpt_gpu_device_name(int dev, char *name, size_t size, hub_error_t *err)
{
    cudaDeviceProp prop;

    GPU_CUDA(cudaGetDeviceProperties(&prop, dev));
    snprintf(name, size, "%s", prop.name);
    return 0;
}

/* cudaerr.c - CUDA runtime return codes to negative errno values and
 * messages. */
#include "gpuerr.h"

#include <errno.h>

static int cuda_errno(cudaError_t rc)
{
    switch (rc) {
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
        return ENODEV;
    case cudaErrorMemoryAllocation:
        return ENOMEM;
    case cudaErrorInvalidValue:
        return EINVAL;
    default:
        return EIO;
    }
}

int cudaerr(cudaError_t rc, const char *what, hub_error_t *err)
{
    if (rc == cudaSuccess)
        return 0;
    return hub_errorf(err, cuda_errno(rc), "%s: %s (%s, %d)", what,
                      cudaGetErrorString(rc), cudaGetErrorName(rc), (int)rc);
}

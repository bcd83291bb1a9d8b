/* gpuerr.h - CUDA and NCCL return codes as a negative errno and a message
 * (STYLE.md: one small error wrapper per library: cudaerr.c, ncclerr.c).
 * Part of comm_nccl.so only.
 */
#ifndef HUB_COMM_NCCL_GPUERR_H
#define HUB_COMM_NCCL_GPUERR_H

#include <cuda_runtime_api.h>
#include <nccl.h>

#include "error.h"

/* 0 for cudaSuccess. Otherwise "<what>: <CUDA's message> (<error name>,
 * <code>)" in err and -ENODEV (no device, driver too old), -ENOMEM, -EINVAL
 * or -EIO. */
int cudaerr(cudaError_t rc, const char *what, hub_error_t *err);

/* 0 for ncclSuccess. Otherwise "<what>: <NCCL's message>[: <NCCL's last
 * error detail>]" in err and -EINVAL (invalid argument or usage), -EIO
 * (system, CUDA, internal or remote error) or -EAGAIN (in progress). */
int ncclerr(ncclResult_t rc, const char *what, hub_error_t *err);

#endif /* HUB_COMM_NCCL_GPUERR_H */

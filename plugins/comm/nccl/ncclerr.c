/* ncclerr.c - NCCL return codes to negative errno values and messages. */
#include "gpuerr.h"

#include <errno.h>

static int nccl_errno(ncclResult_t rc)
{
    switch (rc) {
    case ncclInvalidArgument:
    case ncclInvalidUsage:
        return EINVAL;
    case ncclInProgress:
        return EAGAIN;
    default:
        return EIO;
    }
}

int ncclerr(ncclResult_t rc, const char *what, hub_error_t *err)
{
    const char *detail;

    if (rc == ncclSuccess)
        return 0;
    detail = ncclGetLastError(NULL); /* NCCL's words on its last failure */
    return hub_errorf(err, nccl_errno(rc), "%s: %s%s%s", what,
                      ncclGetErrorString(rc), detail && *detail ? ": " : "",
                      detail ? detail : "");
}

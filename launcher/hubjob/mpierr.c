/* mpierr.c - MPI return codes to negative errno values and messages. */
#include "mpierr.h"

#include <errno.h>
#include <mpi.h>

static int class_errno(int cls)
{
    switch (cls) {
    case MPI_ERR_BUFFER:
    case MPI_ERR_COUNT:
    case MPI_ERR_TYPE:
    case MPI_ERR_ROOT:
    case MPI_ERR_OP:
    case MPI_ERR_ARG:
    case MPI_ERR_COMM:
    case MPI_ERR_RANK:
        return EINVAL;
    case MPI_ERR_NO_MEM:
        return ENOMEM;
    case MPI_ERR_TRUNCATE:
        return EMSGSIZE;
    case MPI_ERR_UNSUPPORTED_OPERATION:
        return ENOTSUP;
    default:
        return EIO;
    }
}

int mpierr(int rc, const char *what, hub_error_t *err)
{
    char text[MPI_MAX_ERROR_STRING + 1];
    int len = 0, cls = MPI_ERR_OTHER;

    if (rc == MPI_SUCCESS)
        return 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        len = 0;
    text[len] = '\0';
    MPI_Error_class(rc, &cls);
    return hub_errorf(err, class_errno(cls), "%s: %s (MPI error %d)", what,
                      len ? text : "unknown error", rc);
}

/* hubopt.c - the --hub-* option table and the checks of their values. */
#include "hubopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const hubopt_desc_t descs[HUBOPT_COUNT] = {
    [HUBOPT_ENABLE] = {"hub", NULL,
                       "hubsched: pass GPU peaks and report a summary", NULL},
    [HUBOPT_CKPT] = {"hub-ckpt", "DIR",
                     "hubsched: checkpoint directory (HUB_CKPT_DIR)",
                     "HUB_CKPT_DIR"},
    [HUBOPT_RESTARTS] = {"hub-restarts", "N",
                         "hubsched: hrun restarts failed ranks up to N times",
                         "HUB_MAX_RESTARTS"},
    [HUBOPT_HANG] = {"hub-hang-timeout", "SECS",
                     "hubsched: hrun restarts a job without progress for SECS",
                     "HUB_HANG_TIMEOUT"},
    [HUBOPT_METRICS] = {"hub-metrics", "FILE",
                        "hubsched: the job's HDF5 file (HUB_JOB_FILE)",
                        "HUB_JOB_FILE"},
    [HUBOPT_PRECISION] = {"hub-precision", "P",
                          "hubsched: precision for MFU: bf16 fp16 tf32 fp32 "
                          "fp64",
                          "HUB_PRECISION"},
    [HUBOPT_SPARES] = {"hub-spares", "K",
                       "hubsched: hrun keeps K nodes of the allocation spare",
                       "HUB_SPARE_NODES"},
    [HUBOPT_GPU_TYPE] = {"hub-gpu-type", "NAME",
                         "hubsched: GPU type for peaks (GpuType of hub.conf)",
                         "HUB_GPU_TYPE"},
};

const hubopt_desc_t *hubopt_desc(hubopt_id_t id)
{
    return &descs[id < HUBOPT_COUNT ? id : HUBOPT_ENABLE];
}

/* A whole number from lo to hi in decimal digits only (no sign, no
 * blanks, no suffix), so that what hrun parses is what was checked. */
static int whole(const char *v, long lo, long hi)
{
    char *end;
    long n;

    if (!v || !*v || strspn(v, "0123456789") != strlen(v))
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    return errno == 0 && n >= lo && n <= hi;
}

/* A path: not empty, no newline (it ends up in environment and in
 * key=value records), not longer than a path may be. */
static int path(const char *v)
{
    return v && *v && !strchr(v, '\n') && strlen(v) <= HUBOPT_PATH_MAX;
}

static int precision(const char *v)
{
    static const char *const names[] = {"bf16", "fp16", "tf32", "fp32", "fp64"};

    for (size_t i = 0; v && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v, names[i]) == 0)
            return 1;
    return 0;
}

/* A GpuType name as hub.conf writes them: letters, digits, "_.-". */
static int type_name(const char *v)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

    return v && *v && strlen(v) < 64 && strspn(v, ok) == strlen(v);
}

int hubopt_check(hubopt_id_t id, const char *value, hub_error_t *err)
{
    const char *what = NULL, *name = hubopt_desc(id)->name;

    switch (id) {
    case HUBOPT_ENABLE:
        return 0;
    case HUBOPT_CKPT:
    case HUBOPT_METRICS:
        if (!path(value))
            what = "not a path (empty, too long or with a newline)";
        break;
    case HUBOPT_RESTARTS:
        if (!whole(value, 0, HUBOPT_RESTARTS_MAX))
            what = "not a whole number from 0 to 1000";
        break;
    case HUBOPT_HANG:
        if (!whole(value, 0, HUBOPT_HANG_MAX_S))
            what = "not a whole number of seconds from 0 (off) to 604800";
        break;
    case HUBOPT_PRECISION:
        if (!precision(value))
            what = "not one of bf16, fp16, tf32, fp32, fp64";
        break;
    case HUBOPT_SPARES:
        if (!whole(value, 0, HUBOPT_SPARES_MAX))
            what = "not a whole number of nodes from 0 to 4096";
        break;
    case HUBOPT_GPU_TYPE:
        if (!type_name(value))
            what = "not a GPU type name (letters, digits, '_', '.', '-')";
        break;
    default:
        return hub_errorf(err, EINVAL, "unknown option %d", (int)id);
    }
    if (what)
        return hub_errorf(err, EINVAL, "--%s=%s: %s", name, value ? value : "",
                          what);
    return 0;
}

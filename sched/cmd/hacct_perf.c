/* hacct_perf.c - hacct's MFU and Goodput cells from job files (see
 * hacct_perf.h). */
#include "hacct_perf.h"

#include <stdio.h>
#include <unistd.h>

#include "jobread.h"

void hacct_perf_read(const char *path, hacct_perf_t *out)
{
    jobread_summary_t s;
    hub_error_t err;

    *out = (hacct_perf_t){0};
    if (!path || !path[0] || access(path, R_OK) != 0 ||
        jobread_summary(path, &s, &err) < 0)
        return;
    *out = (hacct_perf_t){true, s.mean_mfu, s.goodput};
}

void hacct_perf_cell(bool known, double fraction, char *buf, size_t len)
{
    if (known)
        snprintf(buf, len, "%.1f", 100 * fraction);
    else if (len > 0)
        buf[0] = '\0';
}

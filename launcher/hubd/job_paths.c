/* job_paths.c - the files of a batch job: Slurm's %j-style patterns of
 * -o/-e/-i expanded for this run, relative names taken against the job's
 * working directory (as slurmstepd does).
 */
#include "config.h"

#include "hubd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int jobpath_resolve(const char *pattern, const hub_pattern_vars_t *vars,
                    const char *workdir, char *buf, size_t len,
                    hub_error_t *err)
{
    char name[HUB_JOBSPEC_PATH_MAX + 1];
    int rc = hub_jobspec_expand_pattern(pattern, vars, name, sizeof(name), err);
    int n;

    if (rc < 0)
        return rc;
    if (name[0] == '/' || !workdir || !workdir[0])
        n = snprintf(buf, len, "%s", name);
    else
        n = snprintf(buf, len, "%s%s%s", workdir,
                     workdir[strlen(workdir) - 1] == '/' ? "" : "/", name);
    if (n < 0 || (size_t)n >= len)
        return hub_errorf(err, ENAMETOOLONG, "'%s': file name too long",
                          pattern);
    return 0;
}

/* record.c - read libhubjob's progress record (doc/hubjob.md, "The
 * progress record"): key=value lines, replaced atomically by rank 0, so a
 * read sees one whole version. Unknown keys are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrun.h"

/* One "key=value" line into p. */
static void take(hrun_progress_t *p, const char *key, const char *v)
{
    if (strcmp(key, "pid") == 0)
        p->pid = strtol(v, NULL, 10);
    else if (strcmp(key, "step") == 0)
        p->step = strtoll(v, NULL, 10);
    else if (strcmp(key, "time") == 0)
        p->time_s = strtod(v, NULL);
    else if (strcmp(key, "mfu") == 0)
        p->mfu = strtod(v, NULL);
    else if (strcmp(key, "restarts") == 0)
        p->restarts = (int)strtol(v, NULL, 10);
    else if (strcmp(key, "ckpt_step") == 0)
        p->ckpt_step = strtoll(v, NULL, 10);
    else if (strcmp(key, "state") == 0)
        p->finished = strncmp(v, "finished", 8) == 0;
}

int record_read(const char *path, hrun_progress_t *p)
{
    char line[512], *eq;
    FILE *f = fopen(path, "r");

    *p = (hrun_progress_t){.step = -1, .ckpt_step = -1};
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if ((eq = strchr(line, '=')) == NULL)
            continue;
        *eq = '\0';
        take(p, line, eq + 1);
    }
    fclose(f);
    p->present = p->pid > 0;
    return 0;
}

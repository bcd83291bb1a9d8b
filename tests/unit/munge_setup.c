/* munge_setup.c - start munged for a test when it is down and we may. */
#include "munge_setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"

#define MUNGED_START_WAIT_MS 5000

/* Try one credential; 0 when munged answered. */
static int probe(hub_error_t *err)
{
    char *cred = NULL;
    int rc = hub_auth_encode("probe", &cred, err);
    free(cred);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int test_munge_ready(char *why, size_t len)
{
    hub_error_t err;
    int rc;

    if (!hub_auth_available()) {
        snprintf(why, len, "built without MUNGE");
        return 77;
    }
    if ((rc = probe(&err)) == 0)
        return 0;
    if (rc != -EIO || geteuid() != 0) {
        snprintf(why, len, "munged not usable (%s) and not root to start it",
                 err.text);
        return 77;
    }
    if (system("install -d -o munge -g munge -m 0755 /run/munge && "
               "runuser -u munge -- /usr/sbin/munged") != 0) {
        snprintf(why, len, "cannot start munged (see its message above)");
        return 77;
    }
    for (int waited = 0; waited < MUNGED_START_WAIT_MS; waited += 50) {
        if (probe(&err) == 0)
            return 0;
        sleep_ms(50);
    }
    snprintf(why, len, "munged started but does not answer: %s", err.text);
    return 77;
}

/* clock.c - real and virtual clocks (see clock.h). */
#include "clock.h"

#include <time.h>

static int64_t real_now(void *arg)
{
    struct timespec ts;
    (void)arg;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const hub_clock_t hub_clock_real = {.now_ms = real_now, .arg = NULL};

int64_t hub_clock_virtual_now(void *arg)
{
    return *(const int64_t *)arg;
}

/* clock.h - the scheduler's notion of "now", real or virtual.
 *
 * libhubsched never reads the system clock itself: hubctld passes the real
 * clock, tests and hsim a virtual one they advance by hand, so that the same
 * scheduling code runs in the daemon, in unit tests and in the simulator.
 */
#ifndef HUB_CLOCK_H
#define HUB_CLOCK_H

#include <stdint.h>

typedef struct hub_clock {
    /* Milliseconds since the Unix epoch (or any fixed virtual epoch). */
    int64_t (*now_ms)(void *arg);
    void *arg;
} hub_clock_t;

/* The real clock (CLOCK_REALTIME). */
extern const hub_clock_t hub_clock_real;

/* A virtual clock: now_ms returns *(int64_t *)arg. */
int64_t hub_clock_virtual_now(void *arg);

static inline int64_t hub_clock_now(const hub_clock_t *clock)
{
    return clock->now_ms(clock->arg);
}

#endif /* HUB_CLOCK_H */

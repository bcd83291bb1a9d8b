/* hubsched_all.h - the libhubsched headers a benchmark needs. */
#ifndef HUB_BENCH_HUBSCHED_ALL_H
#define HUB_BENCH_HUBSCHED_ALL_H

#include "clock.h"
#include "cluster.h"
#include "conf.h"
#include "job.h"
#include "sched.h"

#endif

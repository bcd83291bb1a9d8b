/* log.h - one-line-per-event logging with levels and per-subsystem debug.
 *
 * Every line reads
 *   2026-11-21T22:55:03.123Z host component[pid] [rank r/n] level: message
 * (the rank part only once hub_log_set_rank() was called, as in hrun and
 * libhubjob). Lines go to stderr unless hub_log_set_stream() says otherwise.
 * Debug lines are printed only for the subsystems enabled by name, e.g.
 * `hubctld --debug=sched,rpc`; other levels are filtered by threshold.
 *
 * Libraries may log (debug mostly); only main() decides where and how much.
 */
#ifndef HUB_LOG_H
#define HUB_LOG_H

#include <stdio.h>

#include "error.h"

typedef enum hub_log_level {
    HUB_LOG_ERROR = 0,
    HUB_LOG_WARN,
    HUB_LOG_NOTICE,
    HUB_LOG_INFO,
    HUB_LOG_DEBUG,
} hub_log_level_t;

/* Debug subsystems: bit flags, enabled by the names in hub_log_subsys[]. */
enum {
    HUB_DBG_CONF = 1u << 0,
    HUB_DBG_RPC = 1u << 1,
    HUB_DBG_PLUGIN = 1u << 2,
    HUB_DBG_SCHED = 1u << 3,
    HUB_DBG_STATE = 1u << 4,
    HUB_DBG_NODE = 1u << 5,
    HUB_DBG_LAUNCH = 1u << 6,
    HUB_DBG_CKPT = 1u << 7,
    HUB_DBG_COMM = 1u << 8,
    HUB_DBG_ALL = ~0u,
};

/* Set the component name (e.g. "hubctld") and the threshold. Thread-safe
 * to call once before threads start; component is copied. */
void hub_log_init(const char *component, hub_log_level_t level);

/* Enable debug output for a comma-separated list of subsystem names
 * ("conf,rpc,plugin,sched,state,node,launch,ckpt,comm" or "all").
 * Returns 0, or -EINVAL with err naming the unknown subsystem. */
int hub_log_set_debug(const char *names, hub_error_t *err);

/* Parse a level name ("error", "warn", "notice", "info", "debug").
 * Returns 0 or -EINVAL with err saying which names are accepted. */
int hub_log_parse_level(const char *name, hub_log_level_t *level,
                        hub_error_t *err);

/* A daemon's logging from its --log-level and --debug options (either
 * may be NULL: notice, no debug): hub_log_init(component, level), then
 * the debug subsystems. Returns 0, or -EINVAL with err naming the
 * option and what is wrong with it. */
int hub_log_setup(const char *component, const char *level_name,
                  const char *debug, hub_error_t *err);

/* Tag every following line with "[rank r/n]". r < 0 removes the tag. */
void hub_log_set_rank(int rank, int size);

/* Send lines to f (default stderr). f must stay open while in use. */
void hub_log_set_stream(FILE *f);

/* Emit one line at level if level <= threshold. */
void hub_log(hub_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Emit one debug line if any of the subsys bits is enabled. */
void hub_debug(unsigned subsys, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True when a debug line for subsys would be printed (to skip costly
 * argument preparation). */
int hub_debug_enabled(unsigned subsys);

#define hub_log_error(...) hub_log(HUB_LOG_ERROR, __VA_ARGS__)
#define hub_log_warn(...) hub_log(HUB_LOG_WARN, __VA_ARGS__)
#define hub_log_notice(...) hub_log(HUB_LOG_NOTICE, __VA_ARGS__)
#define hub_log_info(...) hub_log(HUB_LOG_INFO, __VA_ARGS__)

#endif /* HUB_LOG_H */

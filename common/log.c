/* log.c - one-line-per-event logging (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"error", "warn", "notice", "info",
                                          "debug"};

static const struct {
    const char *name;
    unsigned bit;
} subsystems[] = {
    {"conf", HUB_DBG_CONF},     {"rpc", HUB_DBG_RPC},
    {"plugin", HUB_DBG_PLUGIN}, {"sched", HUB_DBG_SCHED},
    {"state", HUB_DBG_STATE},   {"node", HUB_DBG_NODE},
    {"launch", HUB_DBG_LAUNCH}, {"ckpt", HUB_DBG_CKPT},
    {"comm", HUB_DBG_COMM},     {"all", HUB_DBG_ALL},
};

static struct {
    char component[32];
    char host[64];
    hub_log_level_t level;
    unsigned debug_mask;
    int rank, size;
    FILE *stream;
} logger = {.component = "hub", .level = HUB_LOG_NOTICE, .rank = -1};

void hub_log_init(const char *component, hub_log_level_t level)
{
    snprintf(logger.component, sizeof(logger.component), "%s", component);
    logger.level = level;
    if (gethostname(logger.host, sizeof(logger.host)) < 0)
        snprintf(logger.host, sizeof(logger.host), "?");
    logger.host[sizeof(logger.host) - 1] = '\0';
    char *dot = strchr(logger.host, '.');
    if (dot)
        *dot = '\0';
}

static int subsys_bit(const char *name, size_t len, unsigned *bit)
{
    for (size_t i = 0; i < sizeof(subsystems) / sizeof(subsystems[0]); i++) {
        if (strlen(subsystems[i].name) == len &&
            strncmp(subsystems[i].name, name, len) == 0) {
            *bit = subsystems[i].bit;
            return 0;
        }
    }
    return -1;
}

int hub_log_set_debug(const char *names, hub_error_t *err)
{
    unsigned mask = 0;
    const char *p = names;

    while (*p) {
        size_t len = strcspn(p, ",");
        unsigned bit;
        if (len > 0 && subsys_bit(p, len, &bit) < 0)
            return hub_errorf(err, EINVAL,
                              "unknown debug subsystem '%.*s' (known: conf, "
                              "rpc, plugin, sched, state, node, launch, "
                              "ckpt, comm, all)",
                              (int)len, p);
        if (len > 0)
            mask |= bit;
        p += len;
        if (*p == ',')
            p++;
    }
    logger.debug_mask = mask;
    return 0;
}

int hub_log_parse_level(const char *name, hub_log_level_t *level,
                        hub_error_t *err)
{
    for (int i = 0; i <= HUB_LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (hub_log_level_t)i;
            return 0;
        }
    }
    return hub_errorf(err, EINVAL,
                      "unknown log level '%s' (use error, warn, notice, "
                      "info or debug)",
                      name);
}

int hub_log_setup(const char *component, const char *level_name,
                  const char *debug, hub_error_t *err)
{
    hub_log_level_t level = HUB_LOG_NOTICE;

    if (level_name && hub_log_parse_level(level_name, &level, err) < 0)
        return hub_error_prefix(err, -EINVAL, "--log-level");
    hub_log_init(component, level);
    if (debug && hub_log_set_debug(debug, err) < 0)
        return hub_error_prefix(err, -EINVAL, "--debug");
    return 0;
}

void hub_log_set_rank(int rank, int size)
{
    logger.rank = rank;
    logger.size = size;
}

void hub_log_set_stream(FILE *f)
{
    logger.stream = f;
}

static void emit(hub_log_level_t level, const char *fmt, va_list ap)
{
    char line[1024];
    struct timeval tv;
    struct tm tm;
    size_t n;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s[%d] ",
                  (long)tv.tv_usec / 1000, logger.host[0] ? logger.host : "-",
                  logger.component, (int)getpid());
    if (logger.rank >= 0 && n < sizeof(line))
        n += snprintf(line + n, sizeof(line) - n, "[rank %d/%d] ", logger.rank,
                      logger.size);
    if (n < sizeof(line))
        n += snprintf(line + n, sizeof(line) - n, "%s: ", level_names[level]);
    if (n < sizeof(line))
        vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    /* One write per line so concurrent writers do not interleave. */
    fprintf(logger.stream ? logger.stream : stderr, "%s\n", line);
}

void hub_log(hub_log_level_t level, const char *fmt, ...)
{
    va_list ap;

    if (level > logger.level)
        return;
    va_start(ap, fmt);
    emit(level, fmt, ap);
    va_end(ap);
}

int hub_debug_enabled(unsigned subsys)
{
    return (logger.debug_mask & subsys) != 0;
}

void hub_debug(unsigned subsys, const char *fmt, ...)
{
    va_list ap;

    if (!hub_debug_enabled(subsys))
        return;
    va_start(ap, fmt);
    emit(HUB_LOG_DEBUG, fmt, ap);
    va_end(ap);
}

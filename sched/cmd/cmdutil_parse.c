/* cmdutil_parse.c - the user commands' parsers and small formatters: job
 * ids, comma lists, job states, time arguments, users, signals, GPU
 * amounts (see cmdutil.h). No controller needed: unit-tested whole. */
#include "cmdutil.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- numbers ----------------------------------------------------------- */

/* Read 1..maxdigits decimal digits at *p into *out, advancing *p. */
static bool take_digits(const char **p, int maxdigits, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;

    while (isdigit((unsigned char)(*p)[n]) && n < maxdigits)
        v = v * 10 + (uint64_t)((*p)[n++] - '0');
    if (n == 0 || isdigit((unsigned char)(*p)[n]))
        return false;
    *p += n;
    *out = v;
    return true;
}

/* ---- job ids ----------------------------------------------------------- */

/* A job id "A" or a task "A_T" taking the whole of [s, s + len). */
static int jobid_span(const char *s, size_t len, cmd_jobid_t *id)
{
    const char *p = s;
    uint64_t job, task;

    if (!take_digits(&p, 10, &job) || job == 0 || job > UINT32_MAX)
        return -EINVAL;
    id->id = (hub_job_id_t)job;
    id->task = -1;
    if ((size_t)(p - s) == len)
        return 0;
    if (*p++ != '_' || !take_digits(&p, 10, &task) || task > INT32_MAX ||
        (size_t)(p - s) != len)
        return -EINVAL;
    id->task = (int32_t)task;
    return 0;
}

int cmd_parse_jobid(const char *s, cmd_jobid_t *id, hub_error_t *err)
{
    if (jobid_span(s, strlen(s), id) < 0)
        return hub_errorf(err, EINVAL, "invalid job id '%s'", s);
    return 0;
}

json_t *cmd_jobid_to_json(const cmd_jobid_t *id)
{
    char buf[32];

    if (id->task < 0)
        return json_integer(id->id);
    snprintf(buf, sizeof(buf), "%u_%d", id->id, id->task);
    return json_string(buf);
}

static int append_id(json_t *ids, const cmd_jobid_t *id, size_t *count,
                     const char *arg, hub_error_t *err)
{
    if (++*count > CMD_JOBIDS_MAX)
        return hub_errorf(err, E2BIG, "job id '%s': more than %d ids", arg,
                          CMD_JOBIDS_MAX);
    if (json_array_append_new(ids, cmd_jobid_to_json(id)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

/* "1-3,7" of "A_[1-3,7]": append A_1, A_2, A_3, A_7. */
static int append_tasks(json_t *ids, hub_job_id_t job, const char *p,
                        size_t *count, const char *arg, hub_error_t *err)
{
    for (;;) {
        uint64_t lo, hi;
        int rc = 0;

        if (!take_digits(&p, 10, &lo) || lo > INT32_MAX)
            break;
        hi = lo;
        if (*p == '-' && (++p, !take_digits(&p, 10, &hi) || hi > INT32_MAX))
            break;
        for (uint64_t t = lo; t <= hi && rc == 0; t++) {
            cmd_jobid_t id = {job, (int32_t)t};
            rc = append_id(ids, &id, count, arg, err);
        }
        if (rc < 0)
            return rc;
        if (*p == ']' && p[1] == '\0' && lo <= hi)
            return 0;
        if (*p++ != ',' || lo > hi)
            break;
    }
    return hub_errorf(err, EINVAL, "invalid job id '%s'", arg);
}

/* One item of a job id list: "A", "A_T" or "A_[...]". */
static int append_item(json_t *ids, const char *item, size_t *count,
                       const char *arg, hub_error_t *err)
{
    const char *bracket = strstr(item, "_[");
    cmd_jobid_t id;

    if (!bracket) {
        if (jobid_span(item, strlen(item), &id) < 0)
            return hub_errorf(err, EINVAL, "invalid job id '%s'", item);
        return append_id(ids, &id, count, arg, err);
    }
    if (jobid_span(item, (size_t)(bracket - item), &id) < 0)
        return hub_errorf(err, EINVAL, "invalid job id '%s'", item);
    return append_tasks(ids, id.id, bracket + 2, count, item, err);
}

/* The end of the list item starting at p: the next ',' outside []. */
static const char *item_end(const char *p)
{
    int depth = 0;

    for (; *p && (*p != ',' || depth > 0); p++)
        depth += *p == '[' ? 1 : (*p == ']' ? -1 : 0);
    return p;
}

int cmd_jobids_append(json_t *ids, const char *arg, hub_error_t *err)
{
    const char *p = arg;
    size_t count = 0;

    do {
        const char *end = item_end(p);
        char *item = strndup(p, (size_t)(end - p));
        int rc = item ? append_item(ids, item, &count, arg, err)
                      : hub_errorf(err, ENOMEM, "out of memory");

        free(item);
        if (rc < 0)
            return rc;
        p = *end ? end + 1 : end;
    } while (*p);
    return 0;
}

static bool ids_match(const json_t *ids, json_int_t id, json_int_t array,
                      json_int_t task)
{
    char name[48] = "";
    const json_t *v;
    size_t i;

    if (array > 0 && task >= 0)
        snprintf(name, sizeof(name), "%lld_%lld", (long long)array,
                 (long long)task);
    json_array_foreach((json_t *)ids, i, v)
    {
        json_int_t n = json_integer_value(v);
        if (json_is_integer(v) && (n == id || (array > 0 && n == array)))
            return true;
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

bool cmd_jobids_match(const json_t *ids, const json_t *job)
{
    const json_t *jtask = json_object_get(job, "array_task_id");

    return ids_match(ids, json_integer_value(json_object_get(job, "id")),
                     json_integer_value(json_object_get(job, "array_job_id")),
                     json_is_integer(jtask) ? json_integer_value(jtask) : -1);
}

bool cmd_jobids_match_job(const json_t *ids, const hub_job_t *job)
{
    return ids_match(ids, job->id, job->array_job_id, job->array_task_id);
}

json_t *cmd_jobids_numeric(const json_t *ids)
{
    json_t *out = json_array();
    const json_t *v;
    size_t i;

    json_array_foreach((json_t *)ids, i, v)
    {
        cmd_jobid_t id = {0, -1};
        json_t *n = json_is_string(v) &&
                            jobid_span(json_string_value(v),
                                       strlen(json_string_value(v)), &id) == 0
                        ? json_integer(id.id)
                        : json_incref((json_t *)v);
        if (!out || json_array_append_new(out, n)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int cmd_format_jobid(const hub_job_t *job, char *buf, size_t len)
{
    if (job->array_task_id >= 0 && job->array_job_id != 0)
        return snprintf(buf, len, "%u_%d", job->array_job_id,
                        job->array_task_id);
    return snprintf(buf, len, "%u", job->id);
}

/* ---- lists ------------------------------------------------------------- */

/* Call fn on each item of a comma list; empty items are errors. */
static int list_foreach(const char *list, const char *what,
                        int (*fn)(json_t *arr, const char *item,
                                  hub_error_t *err),
                        json_t *arr, hub_error_t *err)
{
    const char *p = list;

    for (;;) {
        size_t n = strcspn(p, ",");
        char *item = n > 0 ? strndup(p, n) : NULL;
        int rc;

        if (n == 0)
            return hub_errorf(err, EINVAL, "empty %s in '%s'", what, list);
        rc = item ? fn(arr, item, err) : hub_errorf(err, ENOMEM, "no memory");
        free(item);
        if (rc < 0)
            return rc;
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

static int add_string(json_t *arr, const char *item, hub_error_t *err)
{
    if (json_array_append_new(arr, json_string(item)))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

int cmd_list_append(json_t *arr, const char *list, const char *what,
                    hub_error_t *err)
{
    return list_foreach(list, what, add_string, arr, err);
}

static int add_state(json_t *arr, const char *item, hub_error_t *err)
{
    int st;

    if (strcasecmp(item, "all") == 0) {
        for (st = 0; st < HUB_JOB_STATE_COUNT; st++) {
            if (add_string(arr, hub_job_state_name(st), err) < 0)
                return -ENOMEM;
        }
        return 0;
    }
    st = hub_job_state_parse(item);
    if (st < 0)
        return hub_errorf(err, EINVAL,
                          "invalid job state specified: %s (expected "
                          "names such as PENDING, PD, RUNNING, R)",
                          item);
    return add_string(arr, hub_job_state_name(st), err);
}

int cmd_states_append(json_t *arr, const char *list, hub_error_t *err)
{
    return list_foreach(list, "state", add_state, arr, err);
}

bool cmd_list_has(const json_t *arr, const char *name)
{
    const json_t *v;
    size_t i;

    json_array_foreach((json_t *)arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

/* ---- times ------------------------------------------------------------- */

int64_t cmd_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cmd_format_time(int64_t ms, const char *none, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0 || !localtime_r(&t, &tm))
        return snprintf(buf, len, "%s", none);
    return (int)strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* The local day of now_ms shifted by days, at h:m:s, in ms. */
static int64_t local_day_at(int64_t now_ms, int days, int h, int m, int s)
{
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    tm.tm_mday += days;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

int64_t cmd_midnight_ms(int64_t now_ms)
{
    return local_day_at(now_ms, 0, 0, 0, 0);
}

/* Seconds per unit of "now-COUNTUNIT"; 0 for an unknown unit. */
static int64_t unit_secs(const char *u)
{
    static const struct {
        const char *name;
        int64_t secs;
    } units[] = {
        {"", 1},         {"s", 1},        {"sec", 1},       {"secs", 1},
        {"second", 1},   {"seconds", 1},  {"m", 60},        {"min", 60},
        {"mins", 60},    {"minute", 60},  {"minutes", 60},  {"h", 3600},
        {"hour", 3600},  {"hours", 3600}, {"d", 86400},     {"day", 86400},
        {"days", 86400}, {"w", 604800},   {"week", 604800}, {"weeks", 604800},
    };

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(u, units[i].name) == 0)
            return units[i].secs;
    }
    return 0;
}

/* After "now": "", or [+-]COUNT[UNIT]. */
static int parse_now(const char *p, int64_t now_ms, int64_t *ms)
{
    int sign = *p == '-' ? -1 : 1;
    uint64_t count;
    int64_t unit;

    if (*p == '\0') {
        *ms = now_ms;
        return 0;
    }
    if (*p != '+' && *p != '-')
        return -EINVAL;
    p++;
    if (!take_digits(&p, 9, &count) || (unit = unit_secs(p)) == 0)
        return -EINVAL;
    *ms = now_ms + sign * (int64_t)count * unit * 1000;
    return 0;
}

/* "HH:MM[:SS]" at p into h, m, s (s = 0 when absent); p must end there. */
static int parse_clock(const char *p, int *h, int *m, int *s)
{
    uint64_t hh, mm, ss = 0;

    if (!take_digits(&p, 2, &hh) || *p++ != ':' || !take_digits(&p, 2, &mm))
        return -EINVAL;
    if (*p == ':' && (++p, !take_digits(&p, 2, &ss)))
        return -EINVAL;
    if (*p != '\0' || hh > 23 || mm > 59 || ss > 59)
        return -EINVAL;
    *h = (int)hh;
    *m = (int)mm;
    *s = (int)ss;
    return 0;
}

/* "YYYY-MM-DD[THH:MM[:SS]]" as local time. */
static int parse_date(const char *p, int64_t *ms)
{
    struct tm tm = {.tm_isdst = -1};
    uint64_t y, mo, d;
    time_t t;

    if (!take_digits(&p, 4, &y) || y < 1970 || *p++ != '-' ||
        !take_digits(&p, 2, &mo) || *p++ != '-' || !take_digits(&p, 2, &d))
        return -EINVAL;
    if (*p == 'T' &&
        parse_clock(p + 1, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) < 0)
        return -EINVAL;
    if (*p != 'T' && *p != '\0')
        return -EINVAL;
    tm.tm_year = (int)y - 1900;
    tm.tm_mon = (int)mo - 1;
    tm.tm_mday = (int)d;
    t = mktime(&tm);
    /* mktime normalizes Feb 30 to Mar 2: refuse what moved. */
    if (t == (time_t)-1 || tm.tm_mday != (int)d || tm.tm_mon != (int)mo - 1)
        return -EINVAL;
    *ms = (int64_t)t * 1000;
    return 0;
}

static int parse_time_word(const char *s, int64_t now_ms, int64_t *ms)
{
    if (strcasecmp(s, "today") == 0 || strcasecmp(s, "midnight") == 0)
        *ms = local_day_at(now_ms, 0, 0, 0, 0);
    else if (strcasecmp(s, "noon") == 0)
        *ms = local_day_at(now_ms, 0, 12, 0, 0);
    else if (strcasecmp(s, "tomorrow") == 0)
        *ms = local_day_at(now_ms, 1, 0, 0, 0);
    else
        return -EINVAL;
    return 0;
}

int cmd_parse_time_arg(const char *s, int64_t now_ms, int64_t *ms,
                       hub_error_t *err)
{
    int64_t v = 0;
    int h, m, sec, rc;

    if (strncasecmp(s, "now", 3) == 0)
        rc = parse_now(s + 3, now_ms, &v);
    else if (isalpha((unsigned char)s[0]))
        rc = parse_time_word(s, now_ms, &v);
    else if (strlen(s) > 4 && s[4] == '-')
        rc = parse_date(s, &v);
    else if ((rc = parse_clock(s, &h, &m, &sec)) == 0)
        v = local_day_at(now_ms, 0, h, m, sec);
    if (rc < 0)
        return hub_errorf(err, EINVAL,
                          "invalid time '%s' (expected YYYY-MM-DD[THH:MM"
                          "[:SS]], HH:MM[:SS], now[-COUNT[UNIT]], today, "
                          "midnight, noon or tomorrow)",
                          s);
    *ms = v;
    return 0;
}

int64_t cmd_job_elapsed_s(const hub_job_t *job, int64_t now_ms)
{
    int64_t end = job->end_ms > 0 ? job->end_ms : now_ms;

    if (job->start_ms <= 0 || end < job->start_ms)
        return 0;
    return (end - job->start_ms) / 1000;
}

/* ---- users and signals ------------------------------------------------- */

int cmd_user_uid(const char *name, uint32_t *uid, hub_error_t *err)
{
    const char *p = name;
    struct passwd *pw;
    uint64_t n;

    if (take_digits(&p, 10, &n) && *p == '\0' && n < UINT32_MAX) {
        *uid = (uint32_t)n;
        return 0;
    }
    pw = getpwnam(name);
    if (!pw)
        return hub_errorf(err, EINVAL, "invalid user: %s", name);
    *uid = (uint32_t)pw->pw_uid;
    return 0;
}

int cmd_user_name(uint32_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid((uid_t)uid);

    if (pw)
        return snprintf(buf, len, "%s", pw->pw_name);
    return snprintf(buf, len, "%u", uid);
}

int cmd_user_canon(const char *name, char *buf, size_t len, hub_error_t *err)
{
    uint32_t uid;
    int rc = cmd_user_uid(name, &uid, err);

    if (rc == 0)
        cmd_user_name(uid, buf, len);
    return rc;
}

static int add_user(json_t *arr, const char *item, hub_error_t *err)
{
    char name[HUB_NAME_MAX];
    int rc = cmd_user_canon(item, name, sizeof(name), err);

    return rc < 0 ? rc : add_string(arr, name, err);
}

int cmd_users_append(json_t *arr, const char *list, hub_error_t *err)
{
    return list_foreach(list, "user", add_user, arr, err);
}

static const struct {
    const char *name;
    int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},
    {"ABRT", SIGABRT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},
    {"ALRM", SIGALRM}, {"TERM", SIGTERM}, {"CHLD", SIGCHLD},
    {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"WINCH", SIGWINCH},
};

int cmd_parse_signal(const char *s, int *sig, hub_error_t *err)
{
    const char *arg = s, *p = s;
    uint64_t n;

    if (take_digits(&p, 2, &n) && *p == '\0' && n >= 1 && n <= 64) {
        *sig = (int)n;
        return 0;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        if (strcasecmp(s, signals[i].name) == 0) {
            *sig = signals[i].sig;
            return 0;
        }
    }
    return hub_errorf(err, EINVAL, "invalid signal '%s'", arg);
}

/* ---- GPU amounts ------------------------------------------------------- */

int cmd_format_milli(uint64_t milli, char *buf, size_t len)
{
    unsigned frac = (unsigned)(milli % HUB_GPU_MILLI);
    int n;

    if (frac == 0)
        return snprintf(buf, len, "%llu",
                        (unsigned long long)(milli / HUB_GPU_MILLI));
    while (frac % 10 == 0)
        frac /= 10;
    n = snprintf(buf, len, "%llu.%0*u",
                 (unsigned long long)(milli / HUB_GPU_MILLI),
                 milli % 100 == 0 ? 1 : (milli % 10 == 0 ? 2 : 3), frac);
    return n;
}

int cmd_format_gres(const hub_job_req_t *req, char *buf, size_t len)
{
    uint64_t milli =
        req->gpus_per_node_milli ? req->gpus_per_node_milli : req->gpus_milli;
    char n[32];

    if (milli == 0)
        return snprintf(buf, len, "N/A");
    cmd_format_milli(milli, n, sizeof(n));
    return snprintf(buf, len, "gpu:%s%s%s", req->gpu_type,
                    req->gpu_type[0] ? ":" : "", n);
}

uint64_t cmd_job_gpus_milli(const hub_job_t *job)
{
    uint64_t held = 0;
    uint32_t nodes;

    for (uint32_t i = 0; job->alloc.nodes && i < job->alloc.nnodes; i++) {
        for (int g = 0; g < HUB_NODE_MAX_GPUS; g++)
            held += job->alloc.nodes[i].gpu_milli[g];
    }
    if (held > 0 || job->req.gpus_milli > 0)
        return held > 0 ? held : job->req.gpus_milli;
    nodes = job->alloc.nnodes > 0 ? job->alloc.nnodes : job->req.nodes_min;
    return (uint64_t)job->req.gpus_per_node_milli * (nodes > 0 ? nodes : 1);
}

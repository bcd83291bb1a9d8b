/* jobspec_value.c - parsers for the option values with a syntax of their
 * own: counts, GPU amounts, dependencies, signals, array ranges, --begin
 * times and --export lists. Each error quotes the value; the caller adds
 * where it came from and the option's name.
 */
#include "jobspec_int.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* GPUs one job may ask for in total, whole: far above any cluster. */
#define GPUS_MAX 1000000u
/* Digits of a number parsed here: 10 fits uint32_t after a range check. */
#define DIGITS_MAX 10
/* Furthest --begin=now+N accepted: 100 years, in seconds. */
#define BEGIN_AHEAD_MAX_S (100ull * 366 * 86400)

int jobspec_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
                      hub_error_t *err)
{
    size_t n = strspn(s, "0123456789");
    unsigned long long v;

    if (n == 0 || s[n] != '\0' || n > DIGITS_MAX + 8)
        return hub_errorf(err, EINVAL, "'%s': expected a whole number", s);
    v = strtoull(s, NULL, 10);
    if (v < min || v > max)
        return hub_errorf(err, EINVAL, "'%s': must be from %u to %u", s, min,
                          max);
    *out = (uint32_t)v;
    return 0;
}

int jobspec_check_name(const char *s, size_t size, bool spaces,
                       hub_error_t *err)
{
    size_t len = strlen(s);

    if (len == 0 || len >= size)
        return hub_errorf(err, EINVAL, "'%s': expected 1 to %zu characters", s,
                          size - 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (!spaces && c == ' '))
            return hub_errorf(err, EINVAL,
                              "'%s': control characters%s are not allowed", s,
                              spaces ? "" : " and blanks");
    }
    return 0;
}

/* ---- GPU amounts --------------------------------------------------------- */

/* "N" or "0.NNN" into milli-GPUs. */
static int gpu_count(const char *s, uint32_t max_milli, uint32_t *milli,
                     hub_error_t *err)
{
    size_t whole = strspn(s, "0123456789");
    size_t frac = s[whole] == '.' ? strspn(s + whole + 1, "0123456789") : 0;
    uint32_t w = 0, f = 0;

    if (whole == 0 || whole > DIGITS_MAX ||
        s[whole + (s[whole] == '.' ? frac + 1 : 0)] != '\0' ||
        (s[whole] == '.' && frac == 0))
        return hub_errorf(err, EINVAL, "'%s': expected a GPU count", s);
    w = (uint32_t)strtoul(s, NULL, 10);
    if (frac > 3)
        return hub_errorf(err, EINVAL, "'%s': finer than a thousandth of a GPU",
                          s);
    for (size_t i = 0; i < 3; i++)
        f = f * 10 + (i < frac ? (uint32_t)(s[whole + 1 + i] - '0') : 0);
    if (f && w)
        return hub_errorf(err, EINVAL, "'%s': a fraction must be below one GPU",
                          s);
    if (w > max_milli / HUB_GPU_MILLI || w > GPUS_MAX)
        return hub_errorf(err, EINVAL, "'%s': more than %u GPUs", s,
                          max_milli / HUB_GPU_MILLI);
    *milli = w * HUB_GPU_MILLI + f;
    return 0;
}

int jobspec_parse_gpus(const char *s, uint32_t max_milli, char *type,
                       size_t type_size, uint32_t *milli, hub_error_t *err)
{
    const char *colon = strrchr(s, ':');
    char t[HUB_NAME_MAX];
    uint32_t m = 0;
    int rc;

    if (colon &&
        ((size_t)(colon - s) >= sizeof(t) || (size_t)(colon - s) >= type_size))
        return hub_errorf(err, EINVAL, "'%s': GPU type too long", s);
    if (colon) {
        snprintf(t, sizeof(t), "%.*s", (int)(colon - s), s);
        rc = jobspec_check_name(t, type_size, false, err);
        if (rc == 0 && strchr(t, ':'))
            rc = hub_errorf(err, EINVAL, "'%s': expected [TYPE:]COUNT", s);
        if (rc < 0)
            return rc;
    }
    rc = gpu_count(colon ? colon + 1 : s, max_milli, &m, err);
    if (rc < 0)
        return rc;
    if (colon)
        memcpy(type, t, strlen(t) + 1);
    *milli = m;
    return 0;
}

/* ---- dependencies -------------------------------------------------------- */

static int dep_type(const char *name, hub_dep_type_t *type, hub_error_t *err)
{
    static const char *const unsupported[] = {"aftercorr", "afterburstbuffer",
                                              "expand", NULL};

    for (int i = HUB_DEP_AFTER; i <= HUB_DEP_AFTERNOTOK; i++) {
        if (strcmp(name, hub_dep_type_name((hub_dep_type_t)i)) == 0) {
            *type = (hub_dep_type_t)i;
            return 0;
        }
    }
    /* Dropping a dependency would start the job early: refuse instead. */
    for (int i = 0; unsupported[i]; i++)
        if (strcmp(name, unsupported[i]) == 0)
            return hub_errorf(err, EINVAL, "'%s' is not supported", name);
    return hub_errorf(err, EINVAL,
                      "'%s': expected after, afterany, afterok, afternotok "
                      "or singleton",
                      name);
}

/* One "ID[+TIME]" of a dependency item. */
static int dep_id(const char *s, hub_job_id_t *id, bool *has_time,
                  hub_error_t *err)
{
    char text[DIGITS_MAX + 2];
    size_t n = strcspn(s, "+");
    uint32_t v, t;
    int rc;

    if (strchr(s, '_'))
        return hub_errorf(err, EINVAL,
                          "'%s': array task dependencies are not supported", s);
    if (n >= sizeof(text))
        return hub_errorf(err, EINVAL, "'%s': expected a job id", s);
    snprintf(text, sizeof(text), "%.*s", (int)n, s);
    rc = jobspec_parse_u32(text, 1, UINT32_MAX, &v, err);
    if (rc == 0 && s[n] == '+') {
        rc = jobspec_parse_u32(s + n + 1, 0, UINT32_MAX, &t, err);
        *has_time = true;
    }
    if (rc == 0)
        *id = v;
    return rc;
}

/* "TYPE:ID[:ID...]" or "singleton", appended to r. */
static int dep_item(char *item, hub_job_req_t *r, bool *has_time,
                    hub_error_t *err)
{
    char *save = NULL, *tok, *colon = strchr(item, ':');
    hub_dep_type_t type = HUB_DEP_AFTER;
    int rc;

    if (strcmp(item, "singleton") == 0) {
        r->singleton = true;
        return 0;
    }
    if (!colon || colon[1] == '\0')
        return hub_errorf(err, EINVAL, "'%s': expected TYPE:JOBID[:JOBID...]",
                          item);
    *colon = '\0';
    rc = dep_type(item, &type, err);
    for (tok = strtok_r(colon + 1, ":", &save); rc == 0 && tok;
         tok = strtok_r(NULL, ":", &save)) {
        if (r->ndeps == HUB_JOB_MAX_DEPS)
            return hub_errorf(err, EINVAL, "more than %d dependencies",
                              HUB_JOB_MAX_DEPS);
        r->deps[r->ndeps].type = type;
        rc = dep_id(tok, &r->deps[r->ndeps].job_id, has_time, err);
        r->ndeps++;
    }
    return rc;
}

static int deps_split(char *copy, char sep, hub_job_req_t *r, bool *has_time,
                      hub_error_t *err)
{
    char *item = copy, *next;
    int rc = 0;

    for (; rc == 0 && item; item = next) {
        next = strchr(item, sep);
        if (next)
            *next++ = '\0';
        rc = *item ? dep_item(item, r, has_time, err)
                   : hub_errorf(err, EINVAL, "empty dependency");
    }
    return rc;
}

int jobspec_parse_deps(const char *s, hub_job_req_t *req, bool *has_time,
                       hub_error_t *err)
{
    hub_job_req_t r;
    char *copy;
    char sep = strchr(s, '?') ? '?' : ',';
    int rc;

    if (strchr(s, '?') && strchr(s, ','))
        return hub_errorf(err, EINVAL, "'%s': mixes ',' (all) and '?' (any)",
                          s);
    copy = strdup(s);
    if (!copy)
        return -ENOMEM;
    memset(&r, 0, sizeof(r));
    r.deps_any = sep == '?';
    rc = deps_split(copy, sep, &r, has_time, err);
    free(copy);
    if (rc < 0)
        return hub_error_prefix(err, rc, "'%s'", s);
    memcpy(req->deps, r.deps, sizeof(r.deps));
    req->ndeps = r.ndeps;
    req->singleton = r.singleton;
    req->deps_any = r.deps_any;
    return 0;
}

/* ---- signals ------------------------------------------------------------- */

static const struct {
    const char *name;
    int num;
} signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},
    {"ABRT", SIGABRT},     {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM},     {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
};

static int signal_number(const char *s, int *num, hub_error_t *err)
{
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    uint32_t v;

    if (isdigit((unsigned char)s[0])) {
        if (jobspec_parse_u32(s, 1, 64, &v, err) < 0)
            return hub_errorf(err, EINVAL, "'%s': signal numbers are 1-64", s);
        *num = (int)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        if (strcasecmp(name, signals[i].name) == 0) {
            *num = signals[i].num;
            return 0;
        }
    }
    return hub_errorf(err, EINVAL, "'%s': unknown signal", s);
}

/* The "B:", "R:", "BR:" or "RB:" prefix; returns its length. */
static size_t signal_flags(const char *s, bool *batch, bool *resv)
{
    size_t n = strspn(s, "BR");

    if (n == 0 || n > 2 || s[n] != ':' || (n == 2 && s[0] == s[1]))
        return 0;
    *batch = memchr(s, 'B', n) != NULL;
    *resv = memchr(s, 'R', n) != NULL;
    return n + 1;
}

int jobspec_parse_signal(const char *s, hub_job_req_t *req, bool *reservation,
                         hub_error_t *err)
{
    bool batch = false, resv = false;
    const char *p = s + signal_flags(s, &batch, &resv);
    const char *at = strchr(p, '@');
    char name[16];
    uint32_t secs = HUB_JOBSPEC_SIGNAL_SECS_DEFAULT;
    int num = 0, rc;

    if ((size_t)(at ? at - p : (ptrdiff_t)strlen(p)) >= sizeof(name))
        return hub_errorf(err, EINVAL, "'%s': unknown signal", s);
    snprintf(name, sizeof(name), "%.*s",
             (int)(at ? at - p : (ptrdiff_t)strlen(p)), p);
    rc = signal_number(name, &num, err);
    if (rc == 0 && at)
        rc = jobspec_parse_u32(at + 1, 0, 65535, &secs, err);
    if (rc < 0)
        return hub_error_prefix(err, rc, "'%s'", s);
    req->signal_num = num;
    req->signal_secs = secs;
    req->signal_batch_only = batch;
    *reservation = resv;
    return 0;
}

/* ---- arrays -------------------------------------------------------------- */

/* "A", "A-B" or "A-B:S" into the index bitmap. */
static int array_range(const char *tok, bool *set, hub_error_t *err)
{
    char *end;
    unsigned long a = strtoul(tok, &end, 10), b = a, step = 1;

    if (!isdigit((unsigned char)tok[0]))
        return hub_errorf(err, EINVAL, "'%s': expected N, N-M or N-M:S", tok);
    if (*end == '-' && isdigit((unsigned char)end[1]))
        b = strtoul(end + 1, &end, 10);
    if (*end == ':' && b != a && isdigit((unsigned char)end[1]))
        step = strtoul(end + 1, &end, 10);
    if (*end != '\0' || step == 0)
        return hub_errorf(err, EINVAL, "'%s': expected N, N-M or N-M:S", tok);
    if (b < a)
        return hub_errorf(err, EINVAL, "'%s': reversed range", tok);
    if (b >= HUB_JOBSPEC_ARRAY_SIZE_MAX)
        return hub_errorf(
            err, EINVAL, "'%s': index above %d (MaxArraySize is %d)", tok,
            HUB_JOBSPEC_ARRAY_SIZE_MAX - 1, HUB_JOBSPEC_ARRAY_SIZE_MAX);
    for (unsigned long i = a; i <= b; i += step)
        set[i] = true;
    return 0;
}

static int array_ranges(char *list, bool *set, hub_error_t *err)
{
    char *tok = list, *next;
    int rc = 0;

    for (; rc == 0 && tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        rc = array_range(tok, set, err);
    }
    return rc;
}

static int array_collect(const bool *set, uint32_t **ids, uint32_t *nids)
{
    uint32_t n = 0;

    for (int i = 0; i < HUB_JOBSPEC_ARRAY_SIZE_MAX; i++)
        n += set[i];
    *ids = malloc(n * sizeof(**ids));
    if (!*ids)
        return -ENOMEM;
    n = 0;
    for (uint32_t i = 0; i < HUB_JOBSPEC_ARRAY_SIZE_MAX; i++)
        if (set[i])
            (*ids)[n++] = i;
    *nids = n;
    return 0;
}

int hub_jobspec_parse_array(const char *s, uint32_t **ids, uint32_t *nids,
                            uint32_t *max_running, hub_error_t *err)
{
    bool set[HUB_JOBSPEC_ARRAY_SIZE_MAX] = {false};
    char *copy, *pct;
    uint32_t limit = 0;
    int rc;

    if (strlen(s) > HUB_JOBSPEC_ARRAY_TEXT_MAX)
        return hub_errorf(err, EINVAL, "array spec longer than %d bytes",
                          HUB_JOBSPEC_ARRAY_TEXT_MAX);
    copy = strdup(s);
    if (!copy)
        return -ENOMEM;
    pct = strchr(copy, '%');
    if (pct)
        *pct++ = '\0';
    rc = array_ranges(copy, set, err);
    if (rc == 0 && pct)
        rc = jobspec_parse_u32(pct, 1, 65535, &limit, err);
    if (rc == 0)
        rc = array_collect(set, ids, nids);
    free(copy);
    if (rc < 0)
        return rc == -ENOMEM ? rc : hub_error_prefix(err, rc, "'%s'", s);
    *max_running = limit;
    return 0;
}

/* ---- --begin ------------------------------------------------------------- */

/* "now+N[units]": seconds by default, as Slurm. */
static int begin_relative(const char *s, int64_t now_ms, int64_t *out,
                          hub_error_t *err)
{
    static const struct {
        const char *word;
        int64_t secs;
    } units[] = {{"seconds", 1},
                 {"minutes", 60},
                 {"hours", 3600},
                 {"days", 86400},
                 {"weeks", 604800}};
    size_t n = strspn(s, "0123456789");
    uint64_t v;

    if (n == 0 || n > 9)
        return hub_errorf(err, EINVAL, "'%s': expected now+N[units]", s);
    v = strtoull(s, NULL, 10);
    if (s[n] == '\0' && v > BEGIN_AHEAD_MAX_S)
        return hub_errorf(err, EINVAL, "'%s': too far ahead", s);
    if (s[n] == '\0') {
        *out = now_ms + (int64_t)v * 1000;
        return 0;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strncasecmp(s + n, units[i].word, strlen(s + n)) == 0) {
            if (v > BEGIN_AHEAD_MAX_S / (uint64_t)units[i].secs)
                return hub_errorf(err, EINVAL, "'%s': too far ahead", s);
            *out = now_ms + (int64_t)v * units[i].secs * 1000;
            return 0;
        }
    }
    return hub_errorf(err, EINVAL,
                      "'%s': unit must be seconds, minutes, hours, days or "
                      "weeks",
                      s + n);
}

/* Local time of day "HH:MM[:SS]" into tm (fields checked). */
static bool begin_clock(const char *s, struct tm *tm)
{
    int h, m, sec = 0, used = 0;

    if (sscanf(s, "%2d:%2d%n:%2d%n", &h, &m, &used, &sec, &used) < 2 ||
        s[used] != '\0')
        return false;
    if (h > 23 || m > 59 || sec > 59 || h < 0 || m < 0 || sec < 0)
        return false;
    tm->tm_hour = h;
    tm->tm_min = m;
    tm->tm_sec = sec;
    return true;
}

/* "YYYY-MM-DD[THH:MM[:SS]]" into tm. */
static bool begin_date(const char *s, struct tm *tm)
{
    int y, mo, d, used = 0;

    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
        return false;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    tm->tm_year = y - 1900;
    tm->tm_mon = mo - 1;
    tm->tm_mday = d;
    tm->tm_hour = tm->tm_min = tm->tm_sec = 0;
    return s[10] == '\0' || (s[10] == 'T' && begin_clock(s + 11, tm));
}

/* Named times of day (Slurm's words), in hours. */
static int begin_word_hour(const char *s)
{
    static const struct {
        const char *word;
        int hour;
    } words[] = {{"midnight", 0}, {"noon", 12}, {"fika", 15},
                 {"teatime", 16}, {"today", 0}, {"tomorrow", 24}};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s, words[i].word) == 0)
            return words[i].hour;
    return -1;
}

/* A time of day today, or tomorrow if it has passed (except "today"). */
static int begin_of_day(const char *s, time_t now, struct tm *tm)
{
    int hour = begin_word_hour(s);

    localtime_r(&now, tm);
    if (hour >= 0) {
        tm->tm_hour = hour;
        tm->tm_min = tm->tm_sec = 0;
        if (strcasecmp(s, "today") == 0)
            return 0;
    } else if (!begin_clock(s, tm)) {
        return -1;
    }
    tm->tm_isdst = -1;
    if (mktime(tm) <= now)
        tm->tm_mday++;
    return 0;
}

int jobspec_parse_begin(const char *s, int64_t now_ms, int64_t *begin_ms,
                        hub_error_t *err)
{
    time_t now = (time_t)(now_ms / 1000);
    struct tm tm;
    time_t t;

    if (strncasecmp(s, "now", 3) == 0 && (s[3] == '\0' || s[3] == '+'))
        return s[3] ? begin_relative(s + 4, now_ms, begin_ms, err)
                    : (*begin_ms = now_ms, 0);
    memset(&tm, 0, sizeof(tm));
    if (!begin_date(s, &tm) && begin_of_day(s, now, &tm) < 0)
        return hub_errorf(err, EINVAL,
                          "'%s': expected now[+N[units]], HH:MM[:SS], "
                          "YYYY-MM-DD[THH:MM[:SS]], midnight, noon, "
                          "teatime, today or tomorrow",
                          s);
    tm.tm_isdst = -1;
    t = mktime(&tm);
    if (t == (time_t)-1)
        return hub_errorf(err, EINVAL, "'%s': not a valid local time", s);
    *begin_ms = (int64_t)t * 1000;
    return 0;
}

/* ---- --export ------------------------------------------------------------ */

bool jobspec_env_name_ok(const char *s, size_t n)
{
    if (n == 0 || isdigit((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

int jobspec_check_export(const char *s, hub_error_t *err)
{
    const char *p = s;
    int items = 0;
    bool none = false;

    while (*p || items == 0) {
        size_t n = strcspn(p, ",");
        size_t name = strcspn(p, "=,");
        bool is_none = n == 4 && strncmp(p, "NONE", 4) == 0;
        bool is_all = n == 3 && strncmp(p, "ALL", 3) == 0;

        if (!is_none && !is_all && !jobspec_env_name_ok(p, name))
            return hub_errorf(err, EINVAL,
                              "'%s': expected ALL, NONE or "
                              "NAME[=value],...",
                              s);
        none |= is_none;
        items++;
        p += n + (p[n] == ',');
    }
    if (none && items > 1)
        return hub_errorf(err, EINVAL, "'%s': NONE stands alone", s);
    return 0;
}

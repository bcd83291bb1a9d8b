/* qformat.c - squeue's -o format language: parse a format once, then
 * print a header and one line per job (see qformat.h). */
#include "qformat.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define VALUE_MAX 256 /* one field's text, before padding */

typedef struct fctx {
    const cmd_job_t *row;
    const hub_job_t *job;
    int64_t now_ms;
} fctx_t;

typedef void (*field_fn)(const fctx_t *c, char *buf, size_t len);

typedef struct field {
    char type;
    const char *header;
    field_fn fn;
    const char *columns; /* the answer's columns fn reads, space-separated
                          * (tests/unit/test_queue_table.c checks them) */
} field_t;

/* One piece of a format: literal text (field NULL) or a field. */
typedef struct item {
    const field_t *field;
    char *text; /* literal text, malloc'd */
    int width;  /* 0: as is */
    bool right; /* '.' */
} item_t;

struct qformat {
    item_t *items;
    size_t nitems;
    char *line; /* one line as rendered, line_max bytes (see render) */
    size_t line_max;
};

/* ---- fields ------------------------------------------------------------ */

/* s cut to fit buf, without printf: most cells of hqueue's 100,000 lines
 * are strings, and snprintf was a seventh of its time. */
static void put_text(const char *s, char *buf, size_t len)
{
    size_t n = strnlen(s, len - 1);

    memcpy(buf, s, n);
    buf[n] = '\0';
}

/* s, or "(null)" when empty, as squeue prints names. */
static void put_str(const char *s, char *buf, size_t len)
{
    put_text(s && s[0] ? s : "(null)", buf, len);
}

static void put_uint(uint64_t v, char *buf, size_t len)
{
    char digits[24], *p = digits + sizeof(digits);

    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_text(p, buf, len);
}

static void put_duration(int64_t secs, char *buf, size_t len)
{
    if (secs < 0)
        snprintf(buf, len, "N/A");
    else
        hub_format_duration(secs, buf, len);
}

static void f_id(const fctx_t *c, char *buf, size_t len)
{
    cmd_format_jobid(c->job, buf, len);
}

static void f_name(const fctx_t *c, char *buf, size_t len)
{
    put_str(c->job->req.name, buf, len);
}

static void f_user(const fctx_t *c, char *buf, size_t len)
{
    if (c->job->user[0])
        put_str(c->job->user, buf, len);
    else
        cmd_user_name(c->job->uid, buf, len);
}

static void f_state(const fctx_t *c, char *buf, size_t len)
{
    put_str(hub_job_state_name(c->job->state), buf, len);
}

static void f_state_short(const fctx_t *c, char *buf, size_t len)
{
    put_str(hub_job_state_short(c->job->state), buf, len);
}

static void f_time_used(const fctx_t *c, char *buf, size_t len)
{
    put_duration(cmd_job_elapsed_s(c->job, c->now_ms), buf, len);
}

static void f_time_limit(const fctx_t *c, char *buf, size_t len)
{
    int64_t limit = c->job->req.time_limit_s;

    put_duration(limit > 0 ? limit : -1, buf, len);
}

static void f_time_left(const fctx_t *c, char *buf, size_t len)
{
    const hub_job_t *j = c->job;
    int64_t limit = j->req.time_limit_s;
    int64_t left;

    if (limit <= 0 || limit == HUB_DURATION_INFINITE) {
        put_duration(limit > 0 ? limit : -1, buf, len);
        return;
    }
    left = hub_job_state_is_final(j->state)
               ? 0
               : limit - cmd_job_elapsed_s(j, c->now_ms);
    put_duration(left > 0 ? left : 0, buf, len);
}

static void f_nodes(const fctx_t *c, char *buf, size_t len)
{
    uint32_t n = c->job->alloc.nnodes;

    if (n == 0)
        n = c->job->req.nodes_min > 0 ? c->job->req.nodes_min : 1;
    put_uint(n, buf, len);
}

static void f_cpus(const fctx_t *c, char *buf, size_t len)
{
    const hub_job_t *j = c->job;
    uint64_t cpus = 0;

    for (uint32_t i = 0; j->alloc.nodes && i < j->alloc.nnodes; i++)
        cpus += j->alloc.nodes[i].cpus;
    if (cpus == 0)
        cpus = (uint64_t)(j->req.ntasks ? j->req.ntasks : 1) *
               (j->req.cpus_per_task ? j->req.cpus_per_task : 1);
    put_uint(cpus, buf, len);
}

static void f_gres(const fctx_t *c, char *buf, size_t len)
{
    cmd_format_gres(&c->job->req, buf, len);
}

static void f_nodelist(const fctx_t *c, char *buf, size_t len)
{
    put_text(c->row->nodelist ? c->row->nodelist : "", buf, len);
}

/* "(Reason)" while pending, else the nodelist. */
static void f_reason_or_nodes(const fctx_t *c, char *buf, size_t len)
{
    size_t n;

    if (c->job->state != HUB_JOB_PENDING) {
        f_nodelist(c, buf, len);
        return;
    }
    buf[0] = '(';
    put_text(hub_job_reason_name(c->job->reason), buf + 1, len - 2);
    n = strlen(buf);
    memcpy(buf + n, ")", 2);
}

static void f_partition(const fctx_t *c, char *buf, size_t len)
{
    put_str(c->job->req.partition, buf, len);
}

static void f_priority(const fctx_t *c, char *buf, size_t len)
{
    snprintf(buf, len, "%" PRId64, c->job->priority);
}

static void f_reason(const fctx_t *c, char *buf, size_t len)
{
    put_str(hub_job_reason_name(c->job->reason), buf, len);
}

static void f_submit(const fctx_t *c, char *buf, size_t len)
{
    cmd_format_time(c->job->submit_ms, "N/A", buf, len);
}

static void f_start(const fctx_t *c, char *buf, size_t len)
{
    cmd_format_time(c->job->start_ms, "N/A", buf, len);
}

static void f_end(const fctx_t *c, char *buf, size_t len)
{
    cmd_format_time(c->job->end_ms, "N/A", buf, len);
}

static void f_account(const fctx_t *c, char *buf, size_t len)
{
    put_str(c->job->req.account, buf, len);
}

/* The hub it runs on, else the hub it asked for. */
static void f_hub(const fctx_t *c, char *buf, size_t len)
{
    const char *hub = c->row->hub_name[0] ? c->row->hub_name : c->job->req.hub;

    snprintf(buf, len, "%s", hub[0] ? hub : "N/A");
}

static void f_kind(const fctx_t *c, char *buf, size_t len)
{
    put_str(hub_job_kind_name(c->job->req.kind), buf, len);
}

static void f_memory(const fctx_t *c, char *buf, size_t len)
{
    const hub_job_req_t *r = &c->job->req;
    uint64_t mb = r->mem_per_node_mb ? r->mem_per_node_mb : r->mem_per_cpu_mb;

    if (mb == 0 || r->mem_all)
        snprintf(buf, len, "0");
    else
        hub_format_size(mb << 20, buf, len);
}

static void f_array_job(const fctx_t *c, char *buf, size_t len)
{
    const hub_job_t *j = c->job;

    put_uint(j->array_job_id ? j->array_job_id : j->id, buf, len);
}

static void f_array_task(const fctx_t *c, char *buf, size_t len)
{
    if (c->job->array_task_id >= 0)
        snprintf(buf, len, "%d", c->job->array_task_id);
    else
        snprintf(buf, len, "N/A");
}

/* hrun's reports (job.h): N/A until the job's hrun sends one. */
static void f_hrun_step(const fctx_t *c, char *buf, size_t len)
{
    if (c->job->hrun_step > 0)
        put_uint((uint64_t)c->job->hrun_step, buf, len);
    else
        put_text("N/A", buf, len);
}

static void f_hrun_mfu(const fctx_t *c, char *buf, size_t len)
{
    if (c->job->hrun_mfu_ppm)
        snprintf(buf, len, "%.1f%%", c->job->hrun_mfu_ppm / 1e4);
    else
        put_text("N/A", buf, len);
}

static void f_hrun_restarts(const fctx_t *c, char *buf, size_t len)
{
    put_uint(c->job->hrun_restarts, buf, len);
}

static const field_t fields[] = {
    {'i', "JOBID", f_id, "id array_job_id array_task_id"},
    {'j', "NAME", f_name, "req.name"},
    {'u', "USER", f_user, "user uid"},
    {'T', "STATE", f_state, "state"},
    {'t', "ST", f_state_short, "state"},
    {'M', "TIME", f_time_used, "start_ms end_ms"},
    {'l', "TIME_LIMIT", f_time_limit, "req.time_limit_s"},
    {'L', "TIME_LEFT", f_time_left, "req.time_limit_s state start_ms end_ms"},
    {'D', "NODES", f_nodes, "alloc req.nodes_min"},
    {'C', "CPUS", f_cpus, "alloc req.ntasks req.cpus_per_task"},
    {'b', "GRES", f_gres,
     "req.gpus_per_node_milli req.gpus_milli req.gpu_type"},
    {'R', "NODELIST(REASON)", f_reason_or_nodes, "state reason nodelist"},
    {'N', "NODELIST", f_nodelist, "nodelist"},
    {'P', "PARTITION", f_partition, "req.partition"},
    {'Q', "PRIORITY", f_priority, "priority"},
    {'r', "REASON", f_reason, "reason"},
    {'V', "SUBMIT_TIME", f_submit, "submit_ms"},
    {'S', "START_TIME", f_start, "start_ms"},
    {'e', "END_TIME", f_end, "end_ms"},
    {'a', "ACCOUNT", f_account, "req.account"},
    {'h', "HUB", f_hub, "hub_name req.hub"},
    {'k', "KIND", f_kind, "req.kind"},
    {'m', "MIN_MEMORY", f_memory,
     "req.mem_per_node_mb req.mem_per_cpu_mb req.mem_all"},
    {'A', "ARRAY_JOB_ID", f_array_job, "array_job_id id"},
    {'K', "ARRAY_TASK_ID", f_array_task, "array_task_id"},
    {'I', "STEP", f_hrun_step, "hrun_step"},
    {'Y', "MFU", f_hrun_mfu, "hrun_mfu_ppm"},
    {'X', "RESTARTS", f_hrun_restarts, "hrun_restarts"},
};

/* What qformat_sort reads. */
static const char sort_columns[] = "state priority id array_task_id";

static const field_t *find_field(char type)
{
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (fields[i].type == type)
            return &fields[i];
    }
    return NULL;
}

/* ---- parsing ----------------------------------------------------------- */

static int add_item(qformat_t *f, const item_t *it, hub_error_t *err)
{
    item_t *items = realloc(f->items, (f->nitems + 1) * sizeof(*items));

    if (!items)
        return hub_errorf(err, ENOMEM, "out of memory");
    f->items = items;
    f->items[f->nitems++] = *it;
    return 0;
}

static int add_literal(qformat_t *f, const char *s, size_t n, hub_error_t *err)
{
    item_t it = {.text = strndup(s, n)};

    if (!it.text)
        return hub_errorf(err, ENOMEM, "out of memory");
    if (add_item(f, &it, err) < 0) {
        free(it.text);
        return -ENOMEM;
    }
    return 0;
}

/* The field at p (just after a '%'); *end is set past it. */
static int parse_field(const char *fmt, const char *p, item_t *it,
                       const char **end, hub_error_t *err)
{
    long width = 0;
    size_t col = (size_t)(p - fmt);

    it->right = *p == '.';
    if (*p == '.' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9' && width <= QFORMAT_WIDTH_MAX)
        width = width * 10 + (*p++ - '0');
    if (width > QFORMAT_WIDTH_MAX)
        return hub_errorf(err, EINVAL,
                          "field width at column %zu of the format is over "
                          "%d",
                          col, QFORMAT_WIDTH_MAX);
    if (*p == '\0')
        return hub_errorf(err, EINVAL,
                          "unfinished field at column %zu of the format", col);
    it->field = find_field(*p);
    if (!it->field)
        return hub_errorf(err, EINVAL,
                          "invalid field '%%%c' at column %zu of the format",
                          *p, col);
    it->width = (int)width;
    *end = p + 1;
    return 0;
}

static int parse_items(qformat_t *f, const char *fmt, hub_error_t *err)
{
    const char *p = fmt;

    while (*p) {
        size_t lit = strcspn(p, "%");
        bool percent = p[lit] == '%' && p[lit + 1] == '%';
        item_t it = {0};
        int rc = 0;

        /* "%%" ends the literal with one '%'. */
        if (lit > 0 || percent)
            rc = add_literal(f, p, lit + (percent ? 1 : 0), err);
        if (rc < 0)
            return rc;
        if (p[lit] == '\0')
            return 0;
        if (percent) {
            p += lit + 2;
            continue;
        }
        rc = parse_field(fmt, p + lit + 1, &it, &p, err);
        if (rc == 0)
            rc = add_item(f, &it, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The line buffer: the longest line the items can make, and a newline. */
static int alloc_line(qformat_t *f, hub_error_t *err)
{
    size_t max = 1;

    for (size_t i = 0; i < f->nitems; i++) {
        const item_t *it = &f->items[i];
        size_t cell = it->width > VALUE_MAX ? (size_t)it->width : VALUE_MAX;

        max += it->field ? cell : strlen(it->text);
    }
    if (!(f->line = malloc(max)))
        return hub_errorf(err, ENOMEM, "out of memory");
    f->line_max = max;
    return 0;
}

qformat_t *qformat_create(const char *fmt, hub_error_t *err)
{
    qformat_t *f;

    if (strlen(fmt) > QFORMAT_MAX) {
        hub_errorf(err, EINVAL, "format longer than %d bytes", QFORMAT_MAX);
        return NULL;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    if (parse_items(f, fmt, err) < 0 || alloc_line(f, err) < 0) {
        qformat_destroy(f);
        return NULL;
    }
    return f;
}

void qformat_destroy(qformat_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nitems; i++)
        free(f->items[i].text);
    free(f->items);
    free(f->line);
    free(f);
}

/* ---- printing ---------------------------------------------------------- */

/* s as a cell of it (padded to its width, cut to it; squeue's rule) at o;
 * returns the end. */
static char *put_cell(char *o, const char *s, const item_t *it)
{
    size_t len = strlen(s), width = (size_t)it->width;
    size_t gap = width > len ? width - len : 0;

    if (width > 0 && len > width)
        len = width;
    if (it->right)
        o = (char *)memset(o, ' ', gap) + gap;
    o = (char *)memcpy(o, s, len) + len;
    if (!it->right)
        o = (char *)memset(o, ' ', gap) + gap;
    return o;
}

/* The line of format f in f->line, without a newline: field headers when
 * c is NULL, else the job's values. Returns its length. One buffer per
 * line rather than stdio per cell: hqueue prints 100,000 lines. */
static size_t render(const qformat_t *f, const fctx_t *c)
{
    char *o = f->line;

    for (size_t i = 0; i < f->nitems; i++) {
        const item_t *it = &f->items[i];
        char value[VALUE_MAX];

        if (!it->field) {
            o = stpcpy(o, it->text);
            continue;
        }
        if (c)
            it->field->fn(c, value, sizeof(value));
        o = put_cell(o, c ? value : it->field->header, it);
    }
    return (size_t)(o - f->line);
}

/* f->line and a newline to out. */
static void print_line(const qformat_t *f, size_t len, FILE *out)
{
    f->line[len] = '\n';
    fwrite(f->line, 1, len + 1, out);
}

void qformat_print_header(const qformat_t *f, FILE *out)
{
    print_line(f, render(f, NULL), out);
}

void qformat_print_job(const qformat_t *f, const cmd_job_t *row, int64_t now_ms,
                       FILE *out)
{
    fctx_t c = {row, &row->job, now_ms};

    print_line(f, render(f, &c), out);
}

/* Append the space-separated names of list to names. */
static int add_names(json_t *names, const char *list, hub_error_t *err)
{
    while (*list) {
        size_t n = strcspn(list, " ");
        if (json_array_append_new(names, json_stringn(list, n)))
            return hub_errorf(err, ENOMEM, "out of memory");
        list += n + (list[n] == ' ');
    }
    return 0;
}

int qformat_columns(const qformat_t *f, json_t *names, hub_error_t *err)
{
    int rc = add_names(names, sort_columns, err);

    for (size_t i = 0; rc == 0 && i < f->nitems; i++) {
        if (f->items[i].field)
            rc = add_names(names, f->items[i].field->columns, err);
    }
    return rc;
}

/* 0: running or completing, 1: pending, 2: the rest. */
static int sort_class(const hub_job_t *j)
{
    if (j->state == HUB_JOB_RUNNING || j->state == HUB_JOB_COMPLETING)
        return 0;
    return j->state == HUB_JOB_PENDING ? 1 : 2;
}

static int compare_rows(const void *a, const void *b)
{
    const hub_job_t *x = &((const cmd_job_t *)a)->job;
    const hub_job_t *y = &((const cmd_job_t *)b)->job;
    int cx = sort_class(x), cy = sort_class(y);

    if (cx != cy)
        return cx < cy ? -1 : 1;
    if (cx == 1 && x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->array_task_id > y->array_task_id) -
           (x->array_task_id < y->array_task_id);
}

void qformat_sort(cmd_job_t *rows, size_t n)
{
    if (n > 1)
        qsort(rows, n, sizeof(*rows), compare_rows);
}

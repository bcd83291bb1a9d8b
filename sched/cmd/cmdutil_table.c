/* cmdutil_table.c - the job rows of the commands' answers (see cmdutil.h):
 * decoding job objects and the table form ("columns" and "rows") from
 * JSON, and reading a table answer straight from its text without making
 * a JSON value per cell (cmd_table_from_text, for hqueue on 100,000 jobs).
 */
#include "cmdutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- job rows ---------------------------------------------------------- */

/* Keys that answers add around hub_job_to_json()'s object. */
/* job_file (acct answers when asked) is read by hacct from the answer. */
static const char *const row_extras[] = {
    "nodelist",   "hub_name", "gpu_hours", "job_file", "pflop_hours",
    "energy_kwh", "co2_kg",   "cost",      NULL};

/* A number of the answer, or -1 when absent. */
static double num_or_absent(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : -1;
}

static int row_extras_from_json(const json_t *obj, cmd_job_t *row,
                                hub_error_t *err)
{
    const char *nodelist = json_string_value(json_object_get(obj, "nodelist"));
    const char *hub = json_string_value(json_object_get(obj, "hub_name"));
    const json_t *hours = json_object_get(obj, "gpu_hours");

    row->nodelist = strdup(nodelist ? nodelist : "");
    if (!row->nodelist)
        return hub_errorf(err, ENOMEM, "out of memory");
    snprintf(row->hub_name, sizeof(row->hub_name), "%s", hub ? hub : "");
    row->gpu_hours = json_is_number(hours) ? json_number_value(hours) : -1;
    row->pflop_hours = num_or_absent(obj, "pflop_hours");
    row->energy_kwh = num_or_absent(obj, "energy_kwh");
    row->co2_kg = num_or_absent(obj, "co2_kg");
    return 0;
}

int cmd_job_from_json(const json_t *obj, cmd_job_t *row, hub_error_t *err)
{
    json_t *core;
    int rc;

    memset(row, 0, sizeof(*row));
    row->job.array_task_id = -1;
    row->gpu_hours = -1;
    row->pflop_hours = row->energy_kwh = row->co2_kg = -1;
    if (!json_is_object(obj))
        return hub_errorf(err, EPROTO, "expected a job object");
    rc = row_extras_from_json(obj, row, err);
    if (rc < 0)
        return rc;
    core = json_copy((json_t *)obj);
    if (!core)
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; row_extras[i]; i++)
        json_object_del(core, row_extras[i]);
    rc = hub_job_from_json(core, &row->job, err);
    json_decref(core);
    return rc;
}

void cmd_job_fini(cmd_job_t *row)
{
    if (!row)
        return;
    hub_job_clear(&row->job);
    free(row->nodelist);
    row->nodelist = NULL;
}

/* The answer's own columns in the table form, beside the job's. */
enum { COL_NODELIST = -2, COL_HUB_NAME = -3, COL_GPU_HOURS = -4 };

static int column_of(const json_t *name, size_t i, int *col, hub_error_t *err)
{
    const char *s = json_string_value(name);

    *col = s ? hub_job_column_find(s) : -1;
    if (*col >= 0)
        return 0;
    *col = !s                            ? -1
           : strcmp(s, "nodelist") == 0  ? COL_NODELIST
           : strcmp(s, "hub_name") == 0  ? COL_HUB_NAME
           : strcmp(s, "gpu_hours") == 0 ? COL_GPU_HOURS
                                         : -1;
    if (*col == -1)
        return hub_errorf(err, EPROTO, "columns[%zu]: not a job column", i);
    return 0;
}

static int row_cell(cmd_job_t *row, int col, const json_t *v, hub_error_t *err)
{
    const char *s = json_string_value(v);

    switch (col) {
    case COL_NODELIST:
        free(row->nodelist);
        row->nodelist = strdup(s ? s : "");
        return row->nodelist ? 0 : hub_errorf(err, ENOMEM, "out of memory");
    case COL_HUB_NAME:
        snprintf(row->hub_name, sizeof(row->hub_name), "%s", s ? s : "");
        return 0;
    case COL_GPU_HOURS:
        row->gpu_hours = json_is_number(v) ? json_number_value(v) : -1;
        return 0;
    default:
        return hub_job_column_from_json(&row->job, col, v, err);
    }
}

/* A row before its cells: every column at its default. */
static void row_init(cmd_job_t *row)
{
    memset(row, 0, sizeof(*row));
    row->job.array_task_id = -1;
    row->gpu_hours = -1;
    row->pflop_hours = row->energy_kwh = row->co2_kg = -1;
}

/* A row after its cells: "nodelist" is "" when it had none. */
static int row_done(cmd_job_t *row, hub_error_t *err)
{
    if (!row->nodelist && !(row->nodelist = strdup("")))
        return hub_errorf(err, ENOMEM, "out of memory");
    return 0;
}

static int job_from_row(const json_t *cells, const int *cols, size_t ncols,
                        cmd_job_t *row, hub_error_t *err)
{
    row_init(row);
    if (!json_is_array(cells) || json_array_size(cells) != ncols)
        return hub_errorf(err, EPROTO, "expected a row of %zu values", ncols);
    for (size_t i = 0; i < ncols; i++) {
        int rc = row_cell(row, cols[i], json_array_get(cells, i), err);
        if (rc < 0)
            return rc;
    }
    return row_done(row, err);
}

/* The cells' columns from the answer's "columns": *cols, ncols entries
 * (malloc'd). */
static int table_columns(const json_t *names, int **cols, hub_error_t *err)
{
    size_t ncols = json_array_size(names);
    int rc = 0;

    if (!json_is_array(names))
        return hub_errorf(err, EPROTO, "no columns");
    if (!(*cols = calloc(ncols + 1, sizeof(**cols))))
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t c = 0; rc == 0 && c < ncols; c++)
        rc = column_of(json_array_get(names, c), c, &(*cols)[c], err);
    if (rc < 0) {
        free(*cols);
        *cols = NULL;
    }
    return rc;
}

/* The table form of doc/protocol.md: "columns" and "rows". */
static int jobs_from_table(const json_t *resp, cmd_job_t **rows, size_t *n,
                           hub_error_t *err)
{
    const json_t *names = json_object_get(resp, "columns");
    const json_t *cells = json_object_get(resp, "rows");
    size_t ncols = json_array_size(names), count = json_array_size(cells);
    int *cols = NULL;
    cmd_job_t *r = calloc(count + 1, sizeof(*r));
    size_t i = 0;
    int rc = r ? 0 : hub_errorf(err, ENOMEM, "out of memory");

    if (rc == 0 && !json_is_array(cells))
        rc = hub_errorf(err, EPROTO, "no rows");
    if (rc == 0)
        rc = table_columns(names, &cols, err);
    for (; rc == 0 && i < count; i++) {
        rc = job_from_row(json_array_get(cells, i), cols, ncols, &r[i], err);
        if (rc < 0)
            rc = hub_error_prefix(err, rc, "rows[%zu]", i);
    }
    free(cols);
    if (rc < 0) {
        cmd_jobs_destroy(r, i);
        return hub_error_prefix(err, rc, "bad answer from hubctld");
    }
    *rows = r;
    *n = count;
    return 0;
}

int cmd_jobs_from_answer(const json_t *resp, cmd_job_t **rows, size_t *n,
                         hub_error_t *err)
{
    const json_t *jobs = json_object_get(resp, "jobs");
    size_t count = json_array_size(jobs);
    cmd_job_t *r = NULL;

    *rows = NULL;
    *n = 0;
    if (json_object_get(resp, "rows"))
        return jobs_from_table(resp, rows, n, err);
    if (!json_is_array(jobs))
        return hub_errorf(err, EPROTO, "bad answer from hubctld: no jobs");
    if (count > 0 && !(r = calloc(count, sizeof(*r))))
        return hub_errorf(err, ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        int rc = cmd_job_from_json(json_array_get(jobs, i), &r[i], err);
        if (rc < 0) {
            cmd_jobs_destroy(r, i + 1);
            return hub_error_prefix(err, rc,
                                    "bad answer from hubctld: "
                                    "jobs[%zu]",
                                    i);
        }
    }
    *rows = r;
    *n = count;
    return 0;
}

void cmd_jobs_destroy(cmd_job_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        cmd_job_fini(&rows[i]);
    free(rows);
}

void cmd_jobs_filter(json_t *resp,
                     bool (*keep)(const json_t *job, const void *arg),
                     const void *arg)
{
    json_t *jobs = json_object_get(resp, "jobs");
    size_t i = 0;

    while (i < json_array_size(jobs)) {
        if (keep(json_array_get(jobs, i), arg))
            i++;
        else
            json_array_remove(jobs, i);
    }
}

/* ---- a table answer's text ---------------------------------------------
 *
 * The rows are read here and every other member by jansson. Cells that
 * are integers or strings without escapes (nearly all) go to the column
 * decoders through two scratch values set in place; anything else (an
 * escaped string, "alloc", a real) is handed to json_loadb(), so what is
 * accepted is what jansson accepts.
 */

typedef struct cursor {
    const char *p, *end;
    json_t *num, *str; /* scratch cells */
} cursor_t;

static bool json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void skip_space(cursor_t *c)
{
    while (c->p < c->end && json_space(*c->p))
        c->p++;
}

/* Skip white space; then take ch if it is next. */
static bool take(cursor_t *c, char ch)
{
    skip_space(c);
    if (c->p == c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

/* Past the string whose '"' is at p, or NULL if it does not end; *plain
 * when it holds neither escapes nor control characters. */
static const char *string_end(const char *p, const char *end, bool *plain)
{
    *plain = true;
    for (p++; p < end; p++) {
        if (*p == '"')
            return p + 1;
        if ((unsigned char)*p < 0x20)
            *plain = false;
        if (*p == '\\') {
            *plain = false;
            p++;
        }
    }
    return NULL;
}

/* Past the value at p: to its matching bracket, past its string, or to
 * the next delimiter; NULL if it does not end. Only the extent is found
 * here; json_loadb() checks the value. */
static const char *value_end(const char *p, const char *end)
{
    int depth = 0;
    bool plain;

    while (p < end) {
        if (*p == '"') {
            if (!(p = string_end(p, end, &plain)) || depth == 0)
                return p;
            continue;
        }
        if (*p == '[' || *p == '{')
            depth++;
        else if ((*p == ']' || *p == '}') && depth == 0)
            return p;
        else if ((*p == ']' || *p == '}') && --depth == 0)
            return p + 1;
        else if (depth == 0 && (*p == ',' || json_space(*p)))
            return p;
        p++;
    }
    return depth == 0 ? p : NULL;
}

/* Past the integer at p, with its value in *v; NULL when it is not one
 * of at most 18 digits (JSON's form: no '+', no leading zero), which
 * json_loadb() then reads. */
static const char *int_end(const char *p, const char *end, int64_t *v)
{
    bool neg = p < end && *p == '-';
    const char *digits = p + neg;
    int64_t x = 0;

    for (p = digits; p < end && *p >= '0' && *p <= '9'; p++)
        x = x * 10 + (*p - '0');
    if (p == digits || p - digits > 18 || (*digits == '0' && p - digits > 1))
        return NULL;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E'))
        return NULL;
    *v = neg ? -x : x;
    return p;
}

/* A literal true, false or null at c->p, or NULL. */
static json_t *literal(cursor_t *c)
{
    static const char *const words[] = {"true", "false", "null"};
    size_t left = (size_t)(c->end - c->p);

    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (left >= n && memcmp(c->p, words[i], n) == 0) {
            c->p += n;
            return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
        }
    }
    return NULL;
}

/* The cell at c->p (white space skipped), borrowed: a scratch value, a
 * literal, or one json_loadb() made (*own, the caller's to decref). NULL
 * when the text there is not a JSON value. */
static json_t *read_cell(cursor_t *c, json_t **own)
{
    const char *e;
    int64_t v;
    bool plain;
    json_t *lit;

    *own = NULL;
    skip_space(c);
    if (c->p < c->end && *c->p == '"' &&
        (e = string_end(c->p, c->end, &plain)) && plain &&
        json_string_setn(c->str, c->p + 1, (size_t)(e - c->p - 2)) == 0) {
        c->p = e;
        return c->str;
    }
    if ((e = int_end(c->p, c->end, &v))) {
        c->p = e;
        json_integer_set(c->num, v);
        return c->num;
    }
    if ((lit = literal(c)))
        return lit;
    if (!(e = value_end(c->p, c->end)) || e == c->p)
        return NULL;
    *own = json_loadb(c->p, (size_t)(e - c->p), JSON_DECODE_ANY, NULL);
    c->p = e;
    return *own;
}

/* One row, '[' ncols cells ']', into row (row_init'ed here). */
static int read_row(cursor_t *c, const int *cols, size_t ncols, cmd_job_t *row,
                    hub_error_t *err)
{
    row_init(row);
    if (!take(c, '['))
        return hub_errorf(err, EPROTO, "expected a row of %zu values", ncols);
    for (size_t i = 0; i < ncols; i++) {
        json_t *own = NULL, *v = NULL;
        int rc;

        if (i == 0 || take(c, ','))
            v = read_cell(c, &own);
        if (!v)
            return hub_errorf(err, EPROTO, "[%zu]: expected a value", i);
        rc = row_cell(row, cols[i], v, err);
        json_decref(own);
        if (rc < 0)
            return hub_error_prefix(err, rc, "[%zu]", i);
    }
    if (!take(c, ']'))
        return hub_errorf(err, EPROTO, "expected a row of %zu values", ncols);
    return row_done(row, err);
}

/* Room for one more row in *rows (*cap entries). */
static int grow_rows(cmd_job_t **rows, size_t n, size_t *cap, hub_error_t *err)
{
    size_t want = *cap ? *cap * 2 : 1024;
    cmd_job_t *r;

    if (n < *cap)
        return 0;
    if (!(r = realloc(*rows, want * sizeof(*r))))
        return hub_errorf(err, ENOMEM, "out of memory");
    *rows = r;
    *cap = want;
    return 0;
}

/* The "rows" array at c->p, with the cells' columns. */
static int read_rows(cursor_t *c, const int *cols, size_t ncols,
                     cmd_job_t **rows, size_t *n, hub_error_t *err)
{
    size_t cap = 0;
    int rc = take(c, '[') ? 0 : hub_errorf(err, EPROTO, "no rows");

    if (rc == 0 && take(c, ']'))
        return 0;
    while (rc == 0 && (rc = grow_rows(rows, *n, &cap, err)) == 0) {
        rc = read_row(c, cols, ncols, &(*rows)[(*n)++], err);
        if (rc < 0)
            return hub_error_prefix(err, rc, "rows[%zu]", *n - 1);
        if (take(c, ']'))
            return 0;
        if (!take(c, ','))
            rc = hub_errorf(err, EPROTO, "rows: expected ',' or ']'");
    }
    return rc;
}

/* The member name at c->p and its ':', or NULL. */
static json_t *read_key(cursor_t *c)
{
    const char *e;
    json_t *key;

    skip_space(c);
    if (c->p == c->end || *c->p != '"' || !(e = value_end(c->p, c->end)))
        return NULL;
    key = json_loadb(c->p, (size_t)(e - c->p), JSON_DECODE_ANY, NULL);
    c->p = e;
    if (json_is_string(key) && take(c, ':'))
        return key;
    json_decref(key);
    return NULL;
}

/* One member at c->p into resp; of "rows", only where its value starts
 * (*rows_at), to be read once "columns" is known. */
static int read_member(cursor_t *c, json_t *resp, const char **rows_at,
                       hub_error_t *err)
{
    json_t *key = read_key(c), *v;
    const char *e;
    int rc = 0;

    if (!key)
        return hub_errorf(err, EPROTO, "expected a member name");
    skip_space(c);
    if (!(e = value_end(c->p, c->end)) || e == c->p) {
        rc = hub_errorf(err, EPROTO, "%s: expected a value",
                        json_string_value(key));
    } else if (strcmp(json_string_value(key), "rows") == 0) {
        *rows_at = c->p;
    } else {
        v = json_loadb(c->p, (size_t)(e - c->p), JSON_DECODE_ANY, NULL);
        if (!v || json_object_set_new(resp, json_string_value(key), v))
            rc = hub_errorf(err, EPROTO, "%s: not a JSON value",
                            json_string_value(key));
    }
    json_decref(key);
    c->p = e;
    return rc;
}

/* The answer's members into resp, except "rows" (see read_member). */
static int read_members(cursor_t *c, json_t *resp, const char **rows_at,
                        hub_error_t *err)
{
    int rc;

    if (!take(c, '{'))
        return hub_errorf(err, EPROTO, "not a JSON object");
    if (!take(c, '}')) {
        do {
            if ((rc = read_member(c, resp, rows_at, err)) < 0)
                return rc;
        } while (take(c, ','));
        if (!take(c, '}'))
            return hub_errorf(err, EPROTO, "expected ',' or '}'");
    }
    skip_space(c);
    return c->p == c->end ? 0 : hub_errorf(err, EPROTO, "text after the end");
}

/* The rows at rows_at, in the columns resp names. */
static int table_rows(cursor_t *c, const char *rows_at, const json_t *resp,
                      cmd_job_t **rows, size_t *n, hub_error_t *err)
{
    const json_t *names = json_object_get(resp, "columns");
    int *cols = NULL;
    int rc = table_columns(names, &cols, err);

    c->p = rows_at;
    if (rc == 0)
        rc = read_rows(c, cols, json_array_size(names), rows, n, err);
    free(cols);
    if (rc < 0) {
        cmd_jobs_destroy(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* The controller's refusal ("rc" other than 0) as err, or 0. */
static int refusal(const json_t *resp, hub_error_t *err)
{
    const json_t *rc = json_object_get(resp, "rc");
    const char *msg = json_string_value(json_object_get(resp, "error"));
    json_int_t v = json_is_integer(rc) ? json_integer_value(rc) : 1;

    if (v == 0)
        return 0;
    return hub_errorf(err, v < 0 && v >= -4095 ? (int)-v : EPROTO, "%s",
                      msg ? msg : "the controller refused without a reason");
}

int cmd_table_from_text(const char *text, size_t len, json_t **resp,
                        cmd_job_t **rows, size_t *n, hub_error_t *err)
{
    cursor_t c = {text, text + len, json_integer(0), json_string("")};
    json_t *head = json_object();
    const char *rows_at = NULL;
    int rc =
        c.num && c.str && head ? 0 : hub_errorf(err, ENOMEM, "out of memory");

    *rows = NULL;
    *n = 0;
    *resp = NULL;
    if (rc == 0 && (rc = read_members(&c, head, &rows_at, err)) < 0)
        rc = hub_error_prefix(err, rc, "bad answer from hubctld");
    if (rc == 0)
        rc = refusal(head, err);
    if (rc == 0 && !rows_at)
        rc = cmd_jobs_from_answer(head, rows, n, err); /* the object form */
    else if (rc == 0 && (rc = table_rows(&c, rows_at, head, rows, n, err)) < 0)
        rc = hub_error_prefix(err, rc, "bad answer from hubctld");
    json_decref(c.num);
    json_decref(c.str);
    if (rc < 0)
        json_decref(head);
    else
        *resp = head;
    return rc;
}

/* job_json_table.c - the table form of jobs (see job.h): which columns a
 * job needs, their names, a row written as text for the queue answer and
 * a cell read back; the cells use the object form's converters
 * (job_json.c) so that both forms agree.
 */
#include "job_json_int.h"

#include <errno.h>
#include <string.h>

/* ---- the table form ------------------------------------------------------
 *
 * Columns: the job's fields, the request's fields ("req.NAME"), then the
 * converted ones. A cell holds the value the object form has under that
 * name, so both forms share their converters.
 */

enum {
    COL_REQ = JOBJSON_NJOB_FIELDS,
    COL_KIND = COL_REQ + JOBJSON_NREQ_FIELDS,
    COL_DEPS,
    COL_STATE,
    COL_REASON,
    COL_ALLOC,
    COL_COUNT
};

_Static_assert(COL_COUNT <= 64, "a column set is a uint64_t");

static const char *const special_cols[] = {"req.kind", "req.deps", "state",
                                           "reason", "alloc"};

static bool field_is_default(const jobjson_field_t *f, const void *rec)
{
    if (f->type == JF_STR)
        return ((const char *)rec + f->off)[0] == '\0';
    return jobjson_field_get(f, rec) == f->dflt;
}

uint64_t hub_job_columns(const hub_job_t *job, uint64_t want)
{
    uint64_t always = 1ull << 0 | 1ull << COL_STATE; /* id and state */
    uint64_t cols = always;

    for (size_t i = 0; i < JOBJSON_NJOB_FIELDS; i++)
        if ((want >> i & 1) && !field_is_default(&jobjson_job_fields[i], job))
            cols |= 1ull << i;
    for (size_t i = 0; i < JOBJSON_NREQ_FIELDS; i++)
        if ((want >> (COL_REQ + i) & 1) &&
            !field_is_default(&jobjson_req_fields[i], &job->req))
            cols |= 1ull << (COL_REQ + i);
    cols |= (uint64_t)(job->req.kind != 0) << COL_KIND;
    cols |= (uint64_t)(job->req.ndeps != 0) << COL_DEPS;
    cols |= (uint64_t)(job->reason != 0) << COL_REASON;
    cols |= (uint64_t)(job->alloc.nnodes != 0) << COL_ALLOC;
    return cols & (want | always);
}

static json_t *column_name(int col)
{
    if (col < COL_REQ)
        return json_string(jobjson_job_fields[col].name);
    if (col < COL_KIND)
        return json_sprintf("req.%s", jobjson_req_fields[col - COL_REQ].name);
    return json_string(special_cols[col - COL_KIND]);
}

json_t *hub_job_column_names(uint64_t cols)
{
    json_t *arr = json_array();

    for (int c = 0; arr && c < COL_COUNT; c++) {
        if ((cols >> c & 1) && json_array_append_new(arr, column_name(c))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* The text forms below write what the converters above give as jansson
 * values (tests/unit/test_queue_table.c compares the two). */
static void field_write(hub_rpc_writer_t *w, const jobjson_field_t *f,
                        const void *rec)
{
    const char *p = (const char *)rec + f->off;

    if (f->type == JF_STR)
        hub_rpc_writer_string(w, p, strnlen(p, f->size - 1));
    else if (f->type == JF_BOOL)
        hub_rpc_writer_text(w, jobjson_field_get(f, rec) ? "true" : "false");
    else
        hub_rpc_writer_int(w, jobjson_field_get(f, rec));
}

static void name_write(hub_rpc_writer_t *w, const char *name)
{
    hub_rpc_writer_string(w, name, strlen(name));
}

static void deps_write(hub_rpc_writer_t *w, const hub_job_req_t *req)
{
    uint32_t n = req->ndeps < HUB_JOB_MAX_DEPS ? req->ndeps : HUB_JOB_MAX_DEPS;

    hub_rpc_writer_text(w, "[");
    for (uint32_t i = 0; i < n; i++) {
        hub_rpc_writer_text(w, i ? ",{\"type\":" : "{\"type\":");
        name_write(w, hub_dep_type_name(req->deps[i].type));
        hub_rpc_writer_text(w, ",\"job_id\":");
        hub_rpc_writer_int(w, req->deps[i].job_id);
        hub_rpc_writer_text(w, "}");
    }
    hub_rpc_writer_text(w, "]");
}

static void alloc_node_write(hub_rpc_writer_t *w, const hub_alloc_node_t *an)
{
    int used = HUB_NODE_MAX_GPUS;

    while (used > 0 && an->gpu_milli[used - 1] == 0)
        used--;
    hub_rpc_writer_text(w, "{\"node\":");
    hub_rpc_writer_int(w, an->node);
    hub_rpc_writer_text(w, ",\"cpus\":");
    hub_rpc_writer_int(w, an->cpus);
    hub_rpc_writer_text(w, ",\"mem_mb\":");
    hub_rpc_writer_int(w, an->mem_mb > INT64_MAX ? INT64_MAX
                                                 : (int64_t)an->mem_mb);
    hub_rpc_writer_text(w, ",\"gpu_milli\":[");
    for (int g = 0; g < used; g++) {
        if (g)
            hub_rpc_writer_text(w, ",");
        hub_rpc_writer_int(w, an->gpu_milli[g]);
    }
    hub_rpc_writer_text(w, "]}");
}

static void alloc_write(hub_rpc_writer_t *w, const hub_alloc_t *alloc)
{
    hub_rpc_writer_text(w, "[");
    for (uint32_t i = 0; alloc->nodes && i < alloc->nnodes; i++) {
        if (i)
            hub_rpc_writer_text(w, ",");
        alloc_node_write(w, &alloc->nodes[i]);
    }
    hub_rpc_writer_text(w, "]");
}

static void column_write(hub_rpc_writer_t *w, const hub_job_t *job, int col)
{
    if (col < COL_REQ)
        field_write(w, &jobjson_job_fields[col], job);
    else if (col < COL_KIND)
        field_write(w, &jobjson_req_fields[col - COL_REQ], &job->req);
    else if (col == COL_KIND)
        name_write(w, hub_job_kind_name(job->req.kind));
    else if (col == COL_DEPS)
        deps_write(w, &job->req);
    else if (col == COL_STATE)
        name_write(w, hub_job_state_name(job->state));
    else if (col == COL_REASON)
        name_write(w, hub_job_reason_name(job->reason));
    else
        alloc_write(w, &job->alloc);
}

void hub_job_row_write(hub_rpc_writer_t *w, const hub_job_t *job, uint64_t cols)
{
    bool first = true;

    for (int c = 0; c < COL_COUNT; c++) {
        if (!(cols >> c & 1))
            continue;
        if (!first)
            hub_rpc_writer_text(w, ",");
        column_write(w, job, c);
        first = false;
    }
}

int hub_job_column_find(const char *name)
{
    if (strncmp(name, "req.", 4) == 0) {
        for (size_t i = 0; i < JOBJSON_NREQ_FIELDS; i++)
            if (strcmp(name + 4, jobjson_req_fields[i].name) == 0)
                return COL_REQ + (int)i;
    }
    for (size_t i = 0; i < JOBJSON_NJOB_FIELDS; i++)
        if (strcmp(name, jobjson_job_fields[i].name) == 0)
            return (int)i;
    for (int c = COL_KIND; c < COL_COUNT; c++)
        if (strcmp(name, special_cols[c - COL_KIND]) == 0)
            return c;
    return -1;
}

static int enum_column(const json_t *v, int col, int *out, hub_error_t *err)
{
    switch (col) {
    case COL_KIND:
        return jobjson_enum_from_value(v, "kind", jobjson_kind_name, 3, out,
                                       "req.", err);
    case COL_STATE:
        return jobjson_enum_from_value(v, "state", jobjson_state_name,
                                       HUB_JOB_STATE_COUNT, out, "", err);
    default:
        return jobjson_enum_from_value(v, "reason", jobjson_reason_name,
                                       HUB_REASON_COUNT, out, "", err);
    }
}

int hub_job_column_from_json(hub_job_t *job, int col, const json_t *v,
                             hub_error_t *err)
{
    int x = 0, rc;

    if (col < 0 || col >= COL_COUNT)
        return hub_errorf(err, EINVAL, "no job column %d", col);
    if (col < COL_REQ)
        return jobjson_field_from_json(&jobjson_job_fields[col], v, job, "",
                                       err);
    if (col < COL_KIND)
        return jobjson_field_from_json(&jobjson_req_fields[col - COL_REQ], v,
                                       &job->req, "req.", err);
    if (col == COL_DEPS)
        return jobjson_deps_from_value(v, &job->req, err);
    if (col == COL_ALLOC)
        return job->alloc.nodes ? hub_errorf(err, EINVAL, "alloc: given twice")
                                : jobjson_alloc_from_json(v, &job->alloc, err);
    rc = enum_column(v, col, &x, err);
    if (rc == 0 && col == COL_KIND)
        job->req.kind = (hub_job_kind_t)x;
    else if (rc == 0 && col == COL_STATE)
        job->state = (hub_job_state_t)x;
    else if (rc == 0)
        job->reason = (hub_job_reason_t)x;
    return rc;
}

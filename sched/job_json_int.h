/* job_json_int.h - what the two halves of jobs' JSON share: the field
 * tables and the converters of the object form (job_json.c) that the
 * table form (job_json_table.c) reuses for its cells, so that a cell
 * holds exactly what the object form has under that name.
 *
 * Internal to sched/job_json*.c: names carry the prefix jobjson_.
 */
#ifndef HUB_JOB_JSON_INT_H
#define HUB_JOB_JSON_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "job.h"

/* How a simple field is stored in its struct. */
typedef enum jobjson_ftype {
    JF_STR,  /* char[size], NUL-terminated */
    JF_BOOL, /* bool */
    JF_U32,  /* uint32_t */
    JF_I32,  /* int32_t or int */
    JF_U64,  /* uint64_t, limited to INT64_MAX in JSON */
    JF_I64,  /* int64_t */
} jobjson_ftype_t;

typedef struct jobjson_field {
    const char *name;
    jobjson_ftype_t type;
    size_t off;
    size_t size;      /* JF_STR: buffer size including the NUL */
    int64_t min, max; /* numbers: accepted range */
    int64_t dflt;     /* numbers: the value an absent field takes */
} jobjson_field_t;

/* The simple fields of hub_job_t and of hub_job_req_t, in column order
 * (the counts are checked against the tables in job_json.c). */
#define JOBJSON_NJOB_FIELDS 25
#define JOBJSON_NREQ_FIELDS 32
extern const jobjson_field_t jobjson_job_fields[JOBJSON_NJOB_FIELDS];
extern const jobjson_field_t jobjson_req_fields[JOBJSON_NREQ_FIELDS];

/* Field f of the struct at rec as an integer (bool 0/1; a uint64_t above
 * INT64_MAX reads as INT64_MAX). Not for JF_STR. */
int64_t jobjson_field_get(const jobjson_field_t *f, const void *rec);

/* Decode v into field f of the struct at rec, checking type, range and
 * length (NULL is refused like a wrong type). err names the field as
 * prefix + f->name. Returns 0 or -EINVAL. */
int jobjson_field_from_json(const jobjson_field_t *f, const json_t *v,
                            void *rec, const char *prefix, hub_error_t *err);

/* Names of an enum's values, for lookups by name. */
typedef const char *(*jobjson_name_fn)(int value);

/* hub_job_state_name, hub_job_reason_name and hub_job_kind_name as
 * jobjson_name_fn. */
const char *jobjson_state_name(int v);
const char *jobjson_reason_name(int v);
const char *jobjson_kind_name(int v);

/* Decode v, the value of key, as one of the count names given by name();
 * an absent value (NULL) gives 0. -EINVAL names prefix + key. */
int jobjson_enum_from_value(const json_t *v, const char *key,
                            jobjson_name_fn name, int count, int *out,
                            const char *prefix, hub_error_t *err);

/* Decode the array of dependencies arr ({type, job_id} objects) into req;
 * NULL leaves none. Returns 0 or -EINVAL with the entry's path in err. */
int jobjson_deps_from_value(const json_t *arr, hub_job_req_t *req,
                            hub_error_t *err);

/* Decode an allocation's node array into alloc (nodes malloc'd; NULL
 * gives none). Returns 0, -EINVAL with the entry's path in err, or
 * -ENOMEM. */
int jobjson_alloc_from_json(const json_t *arr, hub_alloc_t *alloc,
                            hub_error_t *err);

#endif /* HUB_JOB_JSON_INT_H */

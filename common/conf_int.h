/* conf_int.h - internals shared by the files of the hub.conf parser.
 *
 *   conf.c         entry points, files, includes, line dispatch, lookups
 *   conf_lex.c     logical lines (comments, continuations) and Key=Value
 *   conf_value.c   typed value parsers driven by key descriptors
 *   conf_records.c key tables per record type, defaults, per-line checks
 *   conf_check.c   whole-file checks: duplicates, references, indexes
 *
 * Storage: every string and array a record points to is allocated with
 * conf_alloc()/conf_strdup() and owned by the hub_conf_t, so records are
 * plain values that may be copied with memcpy (NodeName hostlists, DEFAULT
 * templates) and hub_conf_destroy() frees everything at once.
 */
#ifndef HUB_CONF_INT_H
#define HUB_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"

/* Most Key=Value pairs on one logical line. */
#define CONF_PAIRS_MAX 64

typedef struct conf_pair {
    char *key; /* NUL-terminated, points into the line buffer */
    char *val; /* quotes removed */
} conf_pair_t;

typedef struct conf_line {
    const char *file; /* conf-owned copy of the path */
    int line;         /* first physical line */
    bool include;     /* "Include PATH": the path is pairs[0].val */
    size_t npairs;
    conf_pair_t pairs[CONF_PAIRS_MAX];
} conf_line_t;

/* ---- conf_lex.c ---- */

typedef struct conf_lexer {
    const char *text;
    size_t len, pos;
    int lineno; /* physical line at text[pos], 1-based */
    char *buf;  /* the current logical line */
    size_t cap;
} conf_lexer_t;

void conf_lex_init(conf_lexer_t *lx, const char *text, size_t len);
void conf_lex_fini(conf_lexer_t *lx);
/* Put the next non-blank logical line (comments dropped, continuations
 * joined) in lx->buf and its first physical line in *line. Returns 1, 0 at
 * the end of the text, or -ENOMEM. */
int conf_lex_next(conf_lexer_t *lx, int *line);
/* Split a logical line in place into pairs (or an Include). Returns 0 or
 * -EINVAL with err saying what is malformed (no line prefix). */
int conf_split(char *buf, conf_line_t *ln, hub_error_t *err);

/* ---- storage (conf.c) ---- */

enum conf_kind {
    CONF_REC_HUB,
    CONF_REC_LINK,
    CONF_REC_NODE,
    CONF_REC_PART,
    CONF_REC_SWITCH,
    CONF_REC_GPU,
    CONF_NREC
};

typedef struct conf_name_ix {
    const char *name;
    size_t idx;
} conf_name_ix_t;

struct hub_conf_priv {
    void **allocs; /* everything conf_alloc() returned */
    size_t nallocs, cap_allocs;
    size_t cap[CONF_NREC];         /* capacity of each record array */
    conf_name_ix_t *ix[CONF_NREC]; /* sorted by name (conf_check.c) */
};

/* Zeroed memory owned by conf; NULL on ENOMEM. */
void *conf_alloc(hub_conf_t *conf, size_t size);
char *conf_strdup(hub_conf_t *conf, const char *s);

/* ---- key descriptors (conf_value.c, conf_records.c) ---- */

typedef struct conf_parser conf_parser_t;

typedef enum conf_ktype {
    CK_STR,      /* const char * */
    CK_INT,      /* int in [min, max] */
    CK_I64,      /* int64_t in [min, max]; UNLIMITED if CKF_UNLIMITED */
    CK_DOUBLE,   /* finite double in [min, max] */
    CK_SECONDS,  /* int64_t s; bare number = seconds, else a duration */
    CK_DURATION, /* int64_t s; hub_parse_duration (bare = minutes) */
    CK_SIZE_MB,  /* uint64_t MiB; bare number = MiB, suffixes K..P */
    CK_BOOL,     /* bool: YES/NO, TRUE/FALSE, 1/0 */
    CK_ENUM,     /* int-sized enum by name from k->enums */
    CK_LIST,     /* hub_conf_list_t from a comma list */
    CK_HOSTLIST, /* hub_conf_list_t from a hostlist expression */
    CK_CUSTOM,   /* k->custom does it */
} conf_ktype_t;

#define CKF_UNLIMITED 0x1u /* accepts UNLIMITED/INFINITE */
#define CKF_REQUIRED 0x2u  /* must be given on every record line */
#define CKF_POSITIVE 0x4u  /* CK_DOUBLE: must be > 0 */

typedef struct conf_enum {
    const char *name; /* NULL ends the table */
    int value;
} conf_enum_t;

struct conf_key;
/* Parse val for key k into rec (fields at k->off or wherever it must). */
typedef int conf_custom_fn(conf_parser_t *p, const struct conf_key *k,
                           void *rec, const char *val, hub_error_t *err);

typedef struct conf_key {
    const char *name;
    conf_ktype_t type;
    size_t off; /* of the field in the record */
    double min, max;
    unsigned flags;
    const conf_enum_t *enums;
    conf_custom_fn *custom;
} conf_key_t;

typedef struct conf_rectype {
    const char *key; /* the first key of its lines, also keys[0] */
    enum conf_kind kind;
    size_t size;     /* of one record */
    size_t arr_off;  /* offsetof(hub_conf_t, <array>) */
    size_t n_off;    /* offsetof(hub_conf_t, <count>) */
    size_t name_off; /* offsetof(record, name); hub_a for links */
    size_t origin_off;
    const conf_key_t *keys; /* keys[0] names the record */
    size_t nkeys;
    bool has_default; /* KEY=DEFAULT sets defaults for later lines */
    void (*init)(void *rec);
    /* Check the record once its line is applied and append it (or, for
     * nodes, one per host) with conf_append(). */
    int (*finish)(conf_parser_t *p, void *rec, hub_error_t *err);
} conf_rectype_t;

/* The parser state that outlives a line. */
struct conf_parser {
    hub_conf_t *conf;
    char *stack[HUB_CONF_INCLUDE_DEPTH_MAX + 1]; /* realpaths, or NULL */
    int depth;                                   /* of the file being read */
    bool err_prefixed; /* err already says FILE:LINE (from an include) */
    hub_conf_origin_t global_seen[64]; /* where each global was set */
    void *defaults[CONF_NREC];         /* DEFAULT templates */
    uint64_t default_seen[CONF_NREC];  /* keys set in the templates */
    const char *node_port;             /* raw Port= of this line */
    const char *node_port_default;     /* Port= of NodeName=DEFAULT */
};

extern const conf_rectype_t conf_rectypes[CONF_NREC];
extern const conf_key_t conf_global_keys[];
extern const size_t conf_nglobal_keys;
void conf_globals_init(hub_conf_globals_t *g);

/* The record type whose first key is key (case-insensitive), or NULL. */
const conf_rectype_t *conf_rectype_find(const char *key);
/* The descriptor named key in keys[0..n), or NULL. */
const conf_key_t *conf_key_find(const conf_key_t *keys, size_t n,
                                const char *key);
/* Parse val as k says and store it into rec. Errors name key and value. */
int conf_apply_key(conf_parser_t *p, const conf_key_t *k, void *rec,
                   const char *val, hub_error_t *err);
/* "unknown key 'X'" with a did-you-mean from keys or other tables. */
int conf_unknown_key(const conf_key_t *keys, size_t n, const char *key,
                     hub_error_t *err);
/* Comma-split val into a conf-owned list; empty items are an error. */
int conf_parse_list(conf_parser_t *p, const char *key, const char *val,
                    hub_conf_list_t *out, hub_error_t *err);
/* Expand a hostlist into a conf-owned list. */
int conf_parse_hostlist(conf_parser_t *p, const char *key, const char *val,
                        hub_conf_list_t *out, hub_error_t *err);
/* Strict integer parse of s into [min, max]. */
int conf_parse_ll(const char *key, const char *s, long long min, long long max,
                  long long *out, hub_error_t *err);

/* Append a copy of rec to its array in conf. */
int conf_append(conf_parser_t *p, const conf_rectype_t *rt, const void *rec,
                hub_error_t *err);

/* ---- conf_check.c ---- */

/* Whole-file checks and index resolution; 0 or -EINVAL with
 * "FILE:LINE: ..." in err. */
int conf_check(hub_conf_t *conf, hub_error_t *err);
/* Index of name among records of kind, or -1 (after conf_check sorted). */
long conf_index_of(const hub_conf_t *conf, enum conf_kind kind,
                   const char *name);

#endif /* HUB_CONF_INT_H */

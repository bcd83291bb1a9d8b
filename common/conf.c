/* conf.c - hub.conf loading: files and includes, applying each line to its
 * record type or to the globals, storage, lookups (see conf.h).
 */
#include "conf_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- storage ---- */

void *conf_alloc(hub_conf_t *conf, size_t size)
{
    struct hub_conf_priv *priv = conf->priv;
    void *mem;

    if (priv->nallocs == priv->cap_allocs) {
        size_t cap = priv->cap_allocs ? 2 * priv->cap_allocs : 64;
        void **allocs = realloc(priv->allocs, cap * sizeof(*allocs));
        if (!allocs)
            return NULL;
        priv->allocs = allocs;
        priv->cap_allocs = cap;
    }
    if (!(mem = calloc(1, size ? size : 1)))
        return NULL;
    priv->allocs[priv->nallocs++] = mem;
    return mem;
}

char *conf_strdup(hub_conf_t *conf, const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = conf_alloc(conf, len);

    if (copy)
        memcpy(copy, s, len);
    return copy;
}

int conf_append(conf_parser_t *p, const conf_rectype_t *rt, const void *rec,
                hub_error_t *err)
{
    char *base = (char *)p->conf;
    char **arr = (char **)(base + rt->arr_off);
    size_t *n = (size_t *)(base + rt->n_off);
    size_t *cap = &p->conf->priv->cap[rt->kind];

    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 8;
        char *grown = realloc(*arr, ncap * rt->size);
        if (!grown)
            return hub_errorf(err, ENOMEM, "out of memory");
        *arr = grown;
        *cap = ncap;
    }
    memcpy(*arr + *n * rt->size, rec, rt->size);
    (*n)++;
    return 0;
}

static hub_conf_t *conf_create(void)
{
    hub_conf_t *conf = calloc(1, sizeof(*conf));

    if (!conf || !(conf->priv = calloc(1, sizeof(*conf->priv)))) {
        free(conf);
        return NULL;
    }
    conf_globals_init(&conf->globals);
    conf->default_partition = -1;
    return conf;
}

void hub_conf_destroy(hub_conf_t *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < CONF_NREC; i++) {
        free(*(void **)((char *)conf + conf_rectypes[i].arr_off));
        free(conf->priv->ix[i]);
    }
    for (size_t i = 0; i < conf->priv->nallocs; i++)
        free(conf->priv->allocs[i]);
    free(conf->priv->allocs);
    free(conf->priv);
    free(conf);
}

/* ---- applying lines ---- */

static int apply_globals(conf_parser_t *p, const conf_line_t *ln,
                         hub_error_t *err)
{
    for (size_t i = 0; i < ln->npairs; i++) {
        const conf_pair_t *pair = &ln->pairs[i];
        const conf_key_t *k =
            conf_key_find(conf_global_keys, conf_nglobal_keys, pair->key);
        hub_conf_origin_t *seen;
        int rc;

        if (!k)
            return conf_unknown_key(conf_global_keys, conf_nglobal_keys,
                                    pair->key, err);
        seen = &p->global_seen[k - conf_global_keys];
        if (seen->file)
            return hub_errorf(err, EINVAL, "%s='%s': already set at %s:%d",
                              k->name, pair->val, seen->file, seen->line);
        if ((rc = conf_apply_key(p, k, &p->conf->globals, pair->val, err)) < 0)
            return rc;
        seen->file = ln->file;
        seen->line = ln->line;
    }
    return 0;
}

/* Apply pairs[first..] of ln to rec; *seen collects the keys' bits. */
static int apply_pairs(conf_parser_t *p, const conf_rectype_t *rt,
                       const conf_line_t *ln, size_t first, void *rec,
                       uint64_t *seen, hub_error_t *err)
{
    for (size_t i = first; i < ln->npairs; i++) {
        const conf_pair_t *pair = &ln->pairs[i];
        const conf_key_t *k = conf_key_find(rt->keys, rt->nkeys, pair->key);
        uint64_t bit;
        int rc;

        if (!k)
            return conf_unknown_key(rt->keys, rt->nkeys, pair->key, err);
        bit = 1ull << (k - rt->keys);
        if (*seen & bit)
            return hub_errorf(err, EINVAL, "%s given twice on one line",
                              k->name);
        if ((rc = conf_apply_key(p, k, rec, pair->val, err)) < 0)
            return rc;
        *seen |= bit;
    }
    return 0;
}

static int check_required(const conf_rectype_t *rt, uint64_t seen,
                          hub_error_t *err)
{
    for (size_t i = 0; i < rt->nkeys; i++)
        if ((rt->keys[i].flags & CKF_REQUIRED) && !(seen & (1ull << i)))
            return hub_errorf(err, EINVAL, "%s is required", rt->keys[i].name);
    return 0;
}

/* Start rec from the DEFAULT template of its type, or from the defaults. */
static void record_start(conf_parser_t *p, const conf_rectype_t *rt,
                         const conf_line_t *ln, void *rec)
{
    hub_conf_origin_t *origin = (void *)((char *)rec + rt->origin_off);

    if (p->defaults[rt->kind])
        memcpy(rec, p->defaults[rt->kind], rt->size);
    else
        rt->init(rec);
    p->node_port = p->node_port_default;
    origin->file = ln->file;
    origin->line = ln->line;
}

/* NodeName=DEFAULT CPUs=8 ...: later lines of the type start from these. */
static int apply_default(conf_parser_t *p, const conf_rectype_t *rt,
                         const conf_line_t *ln, void *rec, hub_error_t *err)
{
    uint64_t seen = 0;
    int rc = apply_pairs(p, rt, ln, 1, rec, &seen, err);

    if (rc < 0)
        return rc;
    if (!p->defaults[rt->kind] && !(p->defaults[rt->kind] = malloc(rt->size)))
        return hub_errorf(err, ENOMEM, "out of memory");
    memcpy(p->defaults[rt->kind], rec, rt->size);
    p->default_seen[rt->kind] |= seen;
    if (rt->kind == CONF_REC_NODE)
        p->node_port_default = p->node_port;
    return 0;
}

static int apply_record(conf_parser_t *p, const conf_rectype_t *rt,
                        const conf_line_t *ln, hub_error_t *err)
{
    const char *name = ln->pairs[0].val;
    void *rec = calloc(1, rt->size);
    uint64_t seen = 0;
    int rc;

    if (!rec)
        return hub_errorf(err, ENOMEM, "out of memory");
    record_start(p, rt, ln, rec);
    if (rt->has_default && strcasecmp(name, "DEFAULT") == 0) {
        rc = apply_default(p, rt, ln, rec, err);
    } else {
        rc = apply_pairs(p, rt, ln, 0, rec, &seen, err);
        if (rc == 0)
            rc = check_required(rt, seen | p->default_seen[rt->kind], err);
        if (rc == 0)
            rc = rt->finish(p, rec, err);
    }
    free(rec);
    if (rc < 0)
        return hub_error_prefix(err, rc, "%s=%s", rt->key, name);
    return 0;
}

/* ---- files and includes ---- */

static int parse_text(conf_parser_t *p, const char *text, size_t len,
                      const char *file, hub_error_t *err);

/* Read the whole file; *text is malloc'd and NUL-terminated. */
static int read_file(const char *path, char **text, size_t *len,
                     hub_error_t *err)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int e = 0;

    if (!f)
        return hub_errorf(err, errno, "cannot open '%s': %s", path,
                          strerror(errno));
    while (!e) {
        if (n + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap = 2 * cap + 8192);
            if (!grown) {
                e = ENOMEM;
                break;
            }
            buf = grown;
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f))
            e = errno ? errno : EIO;
        else if (feof(f))
            break;
    }
    fclose(f);
    if (e) {
        free(buf);
        return hub_errorf(err, e, "cannot read '%s': %s", path, strerror(e));
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Read path as a file nested in the current one (depth + 1). */
static int parse_file(conf_parser_t *p, const char *path, hub_error_t *err)
{
    char *text, *real = realpath(path, NULL), *file;
    size_t len;
    int rc;

    for (int i = 0; i <= p->depth && real; i++) {
        if (p->stack[i] && strcmp(p->stack[i], real) == 0) {
            free(real);
            return hub_errorf(
                err, ELOOP, "include cycle: '%s' is already being read", path);
        }
    }
    if ((rc = read_file(path, &text, &len, err)) < 0) {
        free(real);
        return rc;
    }
    if (!(file = conf_strdup(p->conf, path))) {
        rc = hub_errorf(err, ENOMEM, "out of memory");
    } else {
        p->stack[++p->depth] = real;
        rc = parse_text(p, text, len, file, err);
        p->stack[p->depth--] = NULL;
    }
    free(real);
    free(text);
    return rc;
}

/* "Include x.conf" in dir/hub.conf reads dir/x.conf. */
static int apply_include(conf_parser_t *p, const conf_line_t *ln,
                         hub_error_t *err)
{
    const char *inc = ln->pairs[0].val, *slash = strrchr(ln->file, '/');
    char path[PATH_MAX];
    int n, rc;

    if (p->depth >= HUB_CONF_INCLUDE_DEPTH_MAX)
        return hub_errorf(err, ELOOP, "Include '%s': nested deeper than %d",
                          inc, HUB_CONF_INCLUDE_DEPTH_MAX);
    if (inc[0] == '/' || !slash)
        n = snprintf(path, sizeof(path), "%s", inc);
    else
        n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - ln->file),
                     ln->file, inc);
    if (n >= (int)sizeof(path))
        return hub_errorf(err, ENAMETOOLONG, "Include '%s': path too long",
                          inc);
    rc = parse_file(p, path, err);
    if (rc < 0 && !p->err_prefixed)
        return hub_error_prefix(err, rc, "Include '%s'", inc);
    return rc;
}

static int apply_line(conf_parser_t *p, const conf_line_t *ln, hub_error_t *err)
{
    const conf_rectype_t *rt;

    if (ln->include)
        return apply_include(p, ln, err);
    if ((rt = conf_rectype_find(ln->pairs[0].key)))
        return apply_record(p, rt, ln, err);
    return apply_globals(p, ln, err);
}

static int parse_text(conf_parser_t *p, const char *text, size_t len,
                      const char *file, hub_error_t *err)
{
    conf_lexer_t lx;
    conf_line_t ln = {.file = file};
    int rc;

    conf_lex_init(&lx, text, len);
    while ((rc = conf_lex_next(&lx, &ln.line)) > 0) {
        if ((rc = conf_split(lx.buf, &ln, err)) < 0 ||
            (rc = apply_line(p, &ln, err)) < 0)
            break;
    }
    conf_lex_fini(&lx);
    if (rc == -ENOMEM && !p->err_prefixed)
        hub_errorf(err, ENOMEM, "out of memory");
    if (rc < 0 && !p->err_prefixed) {
        p->err_prefixed = true;
        return hub_error_prefix(err, rc, "%s:%d", file, ln.line);
    }
    return rc < 0 ? rc : 0;
}

/* ---- entry points ---- */

static void parser_fini(conf_parser_t *p)
{
    free(p->stack[0]);
    for (size_t i = 0; i < CONF_NREC; i++)
        free(p->defaults[i]);
}

static hub_conf_t *parse_top(const char *text, size_t len, const char *name,
                             hub_error_t *err)
{
    conf_parser_t p = {.conf = conf_create()};
    const char *file;
    int rc;

    if (!p.conf || !(file = conf_strdup(p.conf, name))) {
        hub_conf_destroy(p.conf);
        errno = ENOMEM;
        hub_errorf(err, ENOMEM, "out of memory");
        return NULL;
    }
    p.stack[0] = realpath(name, NULL);
    rc = parse_text(&p, text, len, file, err);
    if (rc == 0)
        rc = conf_check(p.conf, err);
    parser_fini(&p);
    if (rc < 0) {
        hub_conf_destroy(p.conf);
        errno = -rc;
        return NULL;
    }
    return p.conf;
}

hub_conf_t *hub_conf_load(const char *path, hub_error_t *err)
{
    hub_conf_t *conf;
    char *text;
    size_t len;
    int rc;

    if ((rc = read_file(path, &text, &len, err)) < 0) {
        errno = -rc;
        return NULL;
    }
    conf = parse_top(text, len, path, err);
    free(text);
    return conf;
}

hub_conf_t *hub_conf_parse_string(const char *text, const char *name,
                                  hub_error_t *err)
{
    return parse_top(text, strlen(text), name, err);
}

/* ---- lookups ---- */

#define FIND(kind, field)                                                      \
    long i = conf ? conf_index_of(conf, kind, name) : -1;                      \
    return i < 0 ? NULL : &conf->field[i]

const hub_conf_hub_t *hub_conf_find_hub(const hub_conf_t *conf,
                                        const char *name)
{
    FIND(CONF_REC_HUB, hubs);
}

const hub_conf_node_t *hub_conf_find_node(const hub_conf_t *conf,
                                          const char *name)
{
    FIND(CONF_REC_NODE, nodes);
}

const hub_conf_partition_t *hub_conf_find_partition(const hub_conf_t *conf,
                                                    const char *name)
{
    FIND(CONF_REC_PART, partitions);
}

const hub_conf_switch_t *hub_conf_find_switch(const hub_conf_t *conf,
                                              const char *name)
{
    FIND(CONF_REC_SWITCH, switches);
}

const hub_conf_gpu_type_t *hub_conf_find_gpu_type(const hub_conf_t *conf,
                                                  const char *name)
{
    FIND(CONF_REC_GPU, gpu_types);
}

const hub_conf_link_t *hub_conf_find_link(const hub_conf_t *conf, const char *a,
                                          const char *b)
{
    for (size_t i = 0; conf && i < conf->nlinks; i++) {
        const hub_conf_link_t *l = &conf->links[i];
        if ((strcmp(l->hub_a, a) == 0 && strcmp(l->hub_b, b) == 0) ||
            (strcmp(l->hub_a, b) == 0 && strcmp(l->hub_b, a) == 0))
            return l;
    }
    return NULL;
}

/* jobspec_parse.c - getopt_long-compatible parsing of the option table, for
 * the command line and for "#SBATCH" / "#HUB" directive lines.
 *
 * Not getopt_long itself: it cannot report where an option came from,
 * would print to stderr, keeps global state, and cannot tell sbatch
 * options we do not implement from unknown ones. The rules are its rules
 * (see hub_jobspec_parse_args in jobspec.h).
 */
#include "jobspec_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Option families and table entries as bits of one set: room for twice
 * the table's ~120 entries. */
#define KEY_BITS 512

/* An option found by name: from the table or the client's list. */
typedef struct found {
    const jobspec_opt_t *job;
    const hub_jobspec_client_opt_t *client;
} found_t;

/* Where options are being read from. */
typedef struct source {
    hub_jobspec_t *spec;
    const hub_jobspec_ctx_t *ctx;
    const char *where;            /* "command line" or "FILE:LINE" */
    bool directive;               /* from the script (the command line wins) */
    uint64_t seen[KEY_BITS / 64]; /* table entries seen in this source */
} source_t;

static const char *found_name(const found_t *f)
{
    return f->job ? f->job->name : f->client->name;
}

static int found_has_arg(const found_t *f)
{
    return f->job ? f->job->has_arg : f->client->has_arg;
}

static bool bit_get(const uint64_t *set, unsigned k)
{
    return (set[k / 64] >> (k % 64)) & 1;
}

static void bit_set(uint64_t *set, unsigned k)
{
    set[k / 64] |= 1ull << (k % 64);
}

/* The option's key in the command-line mask: its family, or itself. */
static unsigned opt_key(const jobspec_opt_t *o)
{
    return o->family ? o->family : JFAM_COUNT + (unsigned)(o - jobspec_opts);
}

/* ---- lookup -------------------------------------------------------------- */

static size_t client_count(const source_t *src)
{
    return src->ctx && src->ctx->client_opts ? src->ctx->nclient : 0;
}

/* Exact long name, client options first. */
static bool find_exact(const source_t *src, const char *name, size_t len,
                       found_t *f)
{
    for (size_t i = 0; i < client_count(src); i++) {
        const hub_jobspec_client_opt_t *c = &src->ctx->client_opts[i];
        if (strlen(c->name) == len && strncmp(c->name, name, len) == 0)
            return (f->client = c), true;
    }
    for (size_t i = 0; i < jobspec_nopts; i++) {
        const jobspec_opt_t *o = &jobspec_opts[i];
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return (f->job = o), true;
    }
    return false;
}

/* Unique prefix of a long name; counts the candidates. */
static int find_prefix(const source_t *src, const char *name, size_t len,
                       found_t *f, char *list, size_t list_len)
{
    int n = 0;

    for (size_t i = 0; i < client_count(src); i++) {
        const hub_jobspec_client_opt_t *c = &src->ctx->client_opts[i];
        if (strncmp(c->name, name, len) == 0 && n++ < 4) {
            f->client = c;
            snprintf(list + strlen(list), list_len - strlen(list), " --%s",
                     c->name);
        }
    }
    for (size_t i = 0; i < jobspec_nopts; i++) {
        const jobspec_opt_t *o = &jobspec_opts[i];
        if (strncmp(o->name, name, len) == 0 && n++ < 4) {
            f->job = o;
            snprintf(list + strlen(list), list_len - strlen(list), " --%s",
                     o->name);
        }
    }
    return n;
}

static int lookup_long(const source_t *src, const char *name, size_t len,
                       found_t *f, hub_error_t *err)
{
    char list[160] = "";
    int n;

    memset(f, 0, sizeof(*f));
    if (len > 0 && find_exact(src, name, len, f))
        return 0;
    n = len > 0 ? find_prefix(src, name, len, f, list, sizeof(list)) : 0;
    if (n == 1)
        return 0;
    if (n > 1)
        return hub_errorf(err, EINVAL,
                          "%s: option '--%.*s' is ambiguous "
                          "(could be%s%s)",
                          src->where, (int)len, name, list,
                          n > 4 ? " ..." : "");
    return hub_errorf(err, EINVAL, "%s: unrecognized option '--%.*s'",
                      src->where, (int)len, name);
}

static int lookup_short(const source_t *src, char c, found_t *f,
                        hub_error_t *err)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < client_count(src); i++) {
        if (src->ctx->client_opts[i].short_opt == c) {
            f->client = &src->ctx->client_opts[i];
            return 0;
        }
    }
    for (size_t i = 0; i < jobspec_nopts; i++) {
        if (jobspec_opts[i].short_opt == c) {
            f->job = &jobspec_opts[i];
            return 0;
        }
    }
    return hub_errorf(err, EINVAL, "%s: invalid option -- '%c'", src->where, c);
}

/* ---- applying ------------------------------------------------------------ */

static int apply_client(const source_t *src, const found_t *f, const char *val,
                        hub_error_t *err)
{
    if (!src->ctx || !src->ctx->on_client)
        return hub_errorf(err, EINVAL, "%s: --%s is not accepted here",
                          src->where, f->client->name);
    return src->ctx->on_client(src->ctx->client_arg, f->client->id, val,
                               src->where, err);
}

/* Two options of one exclusive family in one source are an error. */
static int check_conflict(const source_t *src, const jobspec_opt_t *o,
                          hub_error_t *err)
{
    if (!(o->flags & JOPT_EXCL))
        return 0;
    for (size_t i = 0; i < jobspec_nopts; i++) {
        const jobspec_opt_t *p = &jobspec_opts[i];
        if (p != o && p->family == o->family && bit_get(src->seen, (unsigned)i))
            return hub_errorf(err, EINVAL,
                              "%s: --%s and --%s are mutually exclusive",
                              src->where, p->name, o->name);
    }
    return 0;
}

/* A directive overridden by the command line: check it on a scratch spec
 * so that its errors still show, keep its warnings, store nothing. */
static int run_masked(const jobspec_in_t *in, const char *val, hub_error_t *err)
{
    hub_jobspec_t scratch;
    jobspec_in_t s = *in;
    int rc;

    hub_jobspec_init(&scratch);
    s.spec = &scratch;
    rc = in->opt->fn(&s, val, err);
    for (uint32_t i = 0; rc >= 0 && i < scratch.nwarnings; i++)
        rc = jobspec_warnf(in->spec, "%s", scratch.warnings[i]);
    hub_jobspec_fini(&scratch);
    return rc;
}

static int apply_job(source_t *src, const jobspec_opt_t *o, const char *val,
                     hub_error_t *err)
{
    jobspec_in_t in = {src->spec, src->ctx, o, src->where};
    unsigned key = opt_key(o);
    int rc;

    if (src->directive && (o->flags & JOPT_ARGV_ONLY))
        return hub_errorf(err, EINVAL,
                          "%s: --%s is only accepted on the "
                          "command line",
                          src->where, o->name);
    if (!o->fn)
        return jobspec_warn(&in, "not supported by hubsched; ignored");
    rc = check_conflict(src, o, err);
    if (rc < 0)
        return rc;
    bit_set(src->seen, (unsigned)(o - jobspec_opts));
    if (src->directive && bit_get(src->spec->priv.cli_keys, key))
        rc = run_masked(&in, val, err);
    else
        rc = o->fn(&in, val, err);
    if (rc == 0 && !src->directive)
        bit_set(src->spec->priv.cli_keys, key);
    if (rc < 0 && rc != -ENOMEM)
        return hub_error_prefix(err, rc, "%s: --%s", src->where, o->name);
    return rc;
}

static int apply(source_t *src, const found_t *f, const char *val,
                 hub_error_t *err)
{
    return f->client ? apply_client(src, f, val, err)
                     : apply_job(src, f->job, val, err);
}

/* ---- getopt_long's rules ------------------------------------------------- */

static int long_opt(source_t *src, int n, char *const args[], int *i,
                    hub_error_t *err)
{
    const char *a = args[*i] + 2, *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const char *val = eq ? eq + 1 : NULL;
    found_t f;
    int rc = lookup_long(src, a, len, &f, err);

    if (rc < 0)
        return rc;
    if (found_has_arg(&f) == HUB_JOBSPEC_NO_ARG && eq)
        return hub_errorf(err, EINVAL,
                          "%s: option '--%s' doesn't allow an argument",
                          src->where, found_name(&f));
    if (found_has_arg(&f) == HUB_JOBSPEC_REQUIRED_ARG && !eq) {
        if (*i + 1 >= n)
            return hub_errorf(err, EINVAL,
                              "%s: option '--%s' requires an argument",
                              src->where, found_name(&f));
        val = args[++*i];
    }
    ++*i;
    return apply(src, &f, val, err);
}

/* "-Hv", "-t5", "-t 5": flags bundle until one takes a value. */
static int short_opts(source_t *src, int n, char *const args[], int *i,
                      hub_error_t *err)
{
    const char *a = args[*i];
    found_t f;
    int rc = 0;

    for (size_t j = 1; a[j] && rc == 0; j++) {
        int has;
        rc = lookup_short(src, a[j], &f, err);
        has = rc == 0 ? found_has_arg(&f) : HUB_JOBSPEC_NO_ARG;
        if (rc < 0 || has == HUB_JOBSPEC_NO_ARG) {
            rc = rc < 0 ? rc : apply(src, &f, NULL, err);
            continue;
        }
        if (!a[j + 1] && has == HUB_JOBSPEC_REQUIRED_ARG && *i + 1 >= n)
            return hub_errorf(err, EINVAL,
                              "%s: option requires an argument -- '%c'",
                              src->where, a[j]);
        if (a[j + 1])
            rc = apply(src, &f, a + j + 1, err);
        else
            rc =
                apply(src, &f,
                      has == HUB_JOBSPEC_REQUIRED_ARG ? args[++*i] : NULL, err);
        break;
    }
    ++*i;
    return rc;
}

/* Options from args[from..n) up to the first non-option; returns the
 * index of that one (n if none) or a negative errno. */
static int walk(source_t *src, int n, char *const args[], int from,
                hub_error_t *err)
{
    int i = from, rc = 0;

    while (i < n && rc == 0) {
        const char *a = args[i];
        if (strcmp(a, "--") == 0)
            return i + 1;
        if (a[0] != '-' || a[1] == '\0')
            return i;
        rc = a[1] == '-' ? long_opt(src, n, args, &i, err)
                         : short_opts(src, n, args, &i, err);
    }
    return rc < 0 ? rc : i;
}

/* ---- the command line ---------------------------------------------------- */

static int copy_script_args(hub_jobspec_t *spec, int argc, char *const argv[],
                            int first, hub_error_t *err)
{
    int n = argc - first;

    if (n > HUB_JOBSPEC_ARGS_MAX)
        return hub_errorf(err, EINVAL,
                          "command line: more than %d script "
                          "arguments",
                          HUB_JOBSPEC_ARGS_MAX);
    for (uint32_t i = 0; i < spec->argc; i++)
        free(spec->argv[i]);
    free(spec->argv);
    spec->argc = 0;
    spec->argv = calloc((size_t)n + 1, sizeof(char *));
    if (!spec->argv)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        spec->argv[i] = strdup(argv[first + i]);
        if (!spec->argv[i])
            return -ENOMEM;
        spec->argc++;
    }
    return 0;
}

int hub_jobspec_parse_args(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                           int argc, char *const argv[], hub_error_t *err)
{
    source_t src = {spec, ctx, "command line", false, {0}};
    int idx, rc;

    if (argc < 1)
        return hub_errorf(err, EINVAL, "command line: empty");
    idx = walk(&src, argc, argv, 1, err);
    if (idx < 0 || idx >= argc)
        return idx;
    if (spec->script && !spec->script_name)
        return hub_errorf(err, EINVAL,
                          "command line: --wrap: no script or "
                          "script arguments expected, got '%s'",
                          argv[idx]);
    rc = jobspec_set_str(&spec->script_name, argv[idx], HUB_JOBSPEC_PATH_MAX,
                         err);
    if (rc == 0)
        rc = copy_script_args(spec, argc, argv, idx + 1, err);
    if (rc < 0 && rc != -ENOMEM)
        return hub_error_prefix(err, rc, "command line: script");
    return rc < 0 ? rc : idx;
}

/* ---- directives ---------------------------------------------------------- */

/* Length of "#SBATCH" or "#HUB" opening the line and followed by a blank
 * or its end; 0 if the line is no directive. */
static size_t directive_prefix(const char *line, size_t len)
{
    static const char *const prefixes[] = {"#SBATCH", "#HUB"};

    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(prefixes[i]);
        if (len >= n && strncmp(line, prefixes[i], n) == 0 &&
            (len == n || line[n] == ' ' || line[n] == '\t'))
            return n;
    }
    return 0;
}

static bool comment_or_blank(const char *line, size_t len)
{
    size_t i = 0;

    while (i < len && isspace((unsigned char)line[i]))
        i++;
    return i == len || line[i] == '#';
}

/* One word of a directive, as sbatch splits them: quotes group and are
 * removed, '\' escapes, an unquoted '#' starts a comment. Advances *i;
 * sets *stop at a comment. */
static int split_word(const char *s, size_t len, size_t *i, char **out,
                      bool *stop)
{
    char quote = 0;
    bool esc = false;

    for (; *i < len; ++*i) {
        char c = s[*i];
        if (esc || (quote && c != quote)) {
            *(*out)++ = c;
            esc = false;
        } else if (quote) {
            quote = 0;
        } else if (c == '\\') {
            esc = true;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == ' ' || c == '\t') {
            break;
        } else if (c == '#') {
            *stop = true;
            break;
        } else {
            *(*out)++ = c;
        }
    }
    *(*out)++ = '\0';
    return quote ? -1 : 0;
}

static int split_words(const char *s, size_t len, char *buf, char **words,
                       int *n)
{
    size_t i = 0;
    bool stop = false;

    *n = 0;
    while (!stop) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == len || s[i] == '#')
            break;
        words[(*n)++] = buf;
        if (split_word(s, len, &i, &buf, &stop) < 0)
            return -1;
    }
    return 0;
}

static int directive_line(source_t *src, const char *s, size_t len,
                          hub_error_t *err)
{
    char *buf = malloc(len + 1);
    char **words = malloc((len / 2 + 2) * sizeof(char *));
    int n = 0, rc = buf && words ? 0 : -ENOMEM;

    if (rc == 0 && split_words(s, len, buf, words, &n) < 0)
        rc = hub_errorf(err, EINVAL, "%s: unterminated quote", src->where);
    if (rc == 0)
        rc = walk(src, n, words, 0, err);
    if (rc >= 0 && rc < n)
        rc = hub_errorf(err, EINVAL,
                        "%s: unexpected argument '%s' (directives hold "
                        "options only)",
                        src->where, words[rc]);
    free(buf);
    free(words);
    return rc < 0 ? rc : 0;
}

static int directives(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                      const char *name, hub_error_t *err)
{
    char where[HUB_JOBSPEC_PATH_MAX + 16];
    source_t src = {spec, ctx, where, true, {0}};
    const char *line = spec->script;
    bool header = true;
    int rc = 0;

    for (int lineno = 1; *line && rc == 0; lineno++) {
        size_t len = strcspn(line, "\n");
        size_t plen = directive_prefix(line, len);
        snprintf(where, sizeof(where), "%s:%d", name, lineno);
        if (header && !comment_or_blank(line, len))
            header = false;
        if (header && plen)
            rc = directive_line(&src, line + plen, len - plen, err);
        else if (plen)
            rc = jobspec_warnf(spec,
                               "%s: %.*s after the first command is "
                               "ignored (as sbatch does)",
                               where, (int)plen, line);
        line += len + (line[len] == '\n');
    }
    return rc;
}

/* sbatch's checks of the text itself (len bytes at text). */
static int check_script(const char *text, size_t len, const char *name,
                        hub_error_t *err)
{
    const char *lf;

    if (len > HUB_JOBSPEC_SCRIPT_MAX)
        return hub_errorf(err, EINVAL, "%s: larger than %u bytes", name,
                          HUB_JOBSPEC_SCRIPT_MAX);
    if (len == 0)
        return hub_errorf(err, EINVAL, "%s: the script is empty", name);
    if (memchr(text, '\0', len))
        return hub_errorf(err, EINVAL, "%s: holds a NUL byte (binary file?)",
                          name);
    if (len < 2 || text[0] != '#' || text[1] != '!')
        return hub_errorf(err, EINVAL,
                          "%s:1: the first line must start "
                          "with #! and an interpreter",
                          name);
    lf = memchr(text, '\n', len);
    for (; lf; lf = memchr(lf + 1, '\n', len - (size_t)(lf + 1 - text))) {
        if (lf[-1] == '\r')
            return hub_errorf(err, EINVAL,
                              "%s: DOS line breaks (\\r\\n); "
                              "convert it with dos2unix",
                              name);
        if (lf + 1 == text + len)
            break;
    }
    return 0;
}

int hub_jobspec_parse_script(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                             const char *text, size_t len, const char *name,
                             hub_error_t *err)
{
    char *copy, *name_copy;
    int rc;

    if (spec->script && !spec->script_name)
        return hub_errorf(err, EINVAL,
                          "%s: --wrap was given, no script "
                          "expected",
                          name);
    if (strlen(name) > HUB_JOBSPEC_PATH_MAX)
        return hub_errorf(err, EINVAL, "script name longer than %d bytes",
                          HUB_JOBSPEC_PATH_MAX);
    rc = check_script(text, len, name[0] ? name : "(stdin)", err);
    if (rc < 0)
        return rc;
    copy = strndup(text, len);
    name_copy = strdup(name);
    if (!copy || !name_copy) {
        free(copy);
        free(name_copy);
        return -ENOMEM;
    }
    free(spec->script);
    free(spec->script_name);
    spec->script = copy;
    spec->script_name = name_copy;
    return directives(spec, ctx, name[0] ? name : "(stdin)", err);
}

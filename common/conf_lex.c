/* conf_lex.c - hub.conf lexing: logical lines and Key=Value splitting.
 *
 * A logical line is one or more physical lines joined where a backslash
 * ends the line (the backslash and newline vanish, nothing is inserted).
 * '#' outside double quotes starts a comment that runs to the end of the
 * physical line; a backslash inside a comment does not continue the line.
 * Values may be double-quoted, in whole or in part (Description="a b");
 * there are no escapes inside quotes.
 */
#include "conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void conf_lex_init(conf_lexer_t *lx, const char *text, size_t len)
{
    memset(lx, 0, sizeof(*lx));
    lx->text = text;
    lx->len = len;
    lx->lineno = 1;
}

void conf_lex_fini(conf_lexer_t *lx)
{
    free(lx->buf);
    lx->buf = NULL;
    lx->cap = 0;
}

static int buf_put(conf_lexer_t *lx, size_t *n, char c)
{
    if (*n + 1 >= lx->cap) {
        size_t cap = lx->cap ? 2 * lx->cap : 256;
        char *buf = realloc(lx->buf, cap);
        if (!buf)
            return -ENOMEM;
        lx->buf = buf;
        lx->cap = cap;
    }
    lx->buf[(*n)++] = c;
    lx->buf[*n] = '\0';
    return 0;
}

/* Length of a line break at text[pos]: "\n" 1, "\r\n" 2, else 0. */
static size_t newline_at(const conf_lexer_t *lx, size_t pos)
{
    if (pos < lx->len && lx->text[pos] == '\n')
        return 1;
    if (pos + 1 < lx->len && lx->text[pos] == '\r' && lx->text[pos + 1] == '\n')
        return 2;
    return 0;
}

static void skip_comment(conf_lexer_t *lx)
{
    while (lx->pos < lx->len && !newline_at(lx, lx->pos))
        lx->pos++;
}

/* Read one logical line into lx->buf (possibly blank). */
static int read_logical(conf_lexer_t *lx, size_t *n)
{
    bool quoted = false;
    size_t nl;

    while (lx->pos < lx->len) {
        char c = lx->text[lx->pos];
        if ((nl = newline_at(lx, lx->pos))) {
            lx->pos += nl;
            lx->lineno++;
            return 0;
        }
        if (!quoted && c == '#') {
            skip_comment(lx);
            continue;
        }
        if (c == '\\' && (nl = newline_at(lx, lx->pos + 1))) {
            lx->pos += 1 + nl;
            lx->lineno++;
            continue;
        }
        if (c == '"')
            quoted = !quoted;
        if (buf_put(lx, n, c) < 0)
            return -ENOMEM;
        lx->pos++;
    }
    return 0;
}

static bool is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

int conf_lex_next(conf_lexer_t *lx, int *line)
{
    while (lx->pos < lx->len) {
        size_t n = 0;
        int rc;

        *line = lx->lineno;
        if ((rc = read_logical(lx, &n)) < 0)
            return rc;
        if (n > 0 && !is_blank(lx->buf))
            return 1;
    }
    return 0;
}

/* Copy one blank-delimited word starting at *r to *w with quotes removed,
 * stopping at the first '=' outside quotes when stop_at_eq. Returns the
 * character that ended it ('=', ' ' or '\0') or -1 on an open quote. */
static int take_word(char **r, char **w, bool stop_at_eq)
{
    bool quoted = false;

    for (; **r; (*r)++) {
        char c = **r;
        if (c == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && (isspace((unsigned char)c) || (stop_at_eq && c == '=')))
            break;
        *(*w)++ = c;
    }
    if (quoted)
        return -1;
    return **r ? (isspace((unsigned char)**r) ? ' ' : **r) : '\0';
}

static char *skip_space(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

static int split_include(char *r, conf_line_t *ln, hub_error_t *err)
{
    char *w = r, *path = r;
    int end = take_word(&r, &w, false);

    if (end < 0)
        return hub_errorf(err, EINVAL, "Include: unterminated quote");
    if (w == path)
        return hub_errorf(err, EINVAL, "Include: missing file name");
    if (*skip_space(r))
        return hub_errorf(err, EINVAL,
                          "Include: one file name expected, got more");
    *w = '\0';
    ln->include = true;
    ln->npairs = 1;
    ln->pairs[0].key = "Include";
    ln->pairs[0].val = path;
    return 0;
}

/* Is the line "Include PATH" (a word Include not followed by '=')? */
static char *include_arg(char *s)
{
    if (strncasecmp(s, "include", 7) != 0 || !isspace((unsigned char)s[7]))
        return NULL;
    s = skip_space(s + 7);
    return *s == '=' ? NULL : s;
}

static int split_pair(char **r, conf_pair_t *pair, hub_error_t *err)
{
    char *start = *r, *w = *r;
    int end = take_word(r, &w, true);

    if (end != '=') {
        *w = '\0';
        return hub_errorf(err, EINVAL, "'%s' is not Key=Value", start);
    }
    *w = '\0';
    if (w == start)
        return hub_errorf(err, EINVAL, "'=' without a key");
    pair->key = start;
    (*r)++; /* the '=' */
    pair->val = w = *r;
    if (**r == '\0' || isspace((unsigned char)**r))
        return hub_errorf(err, EINVAL, "%s: missing value", pair->key);
    end = take_word(r, &w, false);
    if (end < 0)
        return hub_errorf(err, EINVAL, "%s: unterminated quote", pair->key);
    if (end)
        (*r)++;
    *w = '\0';
    return 0;
}

int conf_split(char *buf, conf_line_t *ln, hub_error_t *err)
{
    char *r = skip_space(buf), *inc;
    int rc;

    ln->include = false;
    ln->npairs = 0;
    if ((inc = include_arg(r)))
        return split_include(inc, ln, err);
    while (*(r = skip_space(r))) {
        if (ln->npairs == CONF_PAIRS_MAX)
            return hub_errorf(err, EINVAL, "more than %d keys on one line",
                              CONF_PAIRS_MAX);
        if ((rc = split_pair(&r, &ln->pairs[ln->npairs], err)) < 0)
            return rc;
        ln->npairs++;
    }
    return 0;
}

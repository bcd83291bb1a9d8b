/* error.c - caller-owned error buffers (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hub_errorf(hub_error_t *err, int errnum, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
    }
    return errnum > 0 ? -errnum : errnum;
}

int hub_error_prefix(hub_error_t *err, int rc, const char *fmt, ...)
{
    char joined[2 * HUB_ERROR_TEXT_MAX + 2];
    va_list ap;
    int n;

    if (!err)
        return rc;
    va_start(ap, fmt);
    n = vsnprintf(joined, HUB_ERROR_TEXT_MAX, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n >= HUB_ERROR_TEXT_MAX)
        n = HUB_ERROR_TEXT_MAX - 1;
    memcpy(joined + n, ": ", 2);
    memcpy(joined + n + 2, err->text, strnlen(err->text, HUB_ERROR_TEXT_MAX));
    joined[n + 2 + strnlen(err->text, HUB_ERROR_TEXT_MAX)] = '\0';
    memcpy(err->text, joined, HUB_ERROR_TEXT_MAX - 1);
    err->text[HUB_ERROR_TEXT_MAX - 1] = '\0';
    return rc;
}

void hub_error_clear(hub_error_t *err)
{
    if (err)
        err->text[0] = '\0';
}

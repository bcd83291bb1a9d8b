/* error.h - caller-owned error buffers for messages a person must read.
 *
 * Functions that can fail for a reason a user must understand (bad config
 * line, malformed hostlist, refused plugin) take `hub_error_t *err` as their
 * last argument and return `hub_errorf(err, EINVAL, "...")`: the message is
 * written into the caller's fixed buffer and the negative errno is returned.
 * `err` may be NULL when the caller does not want the text.
 */
#ifndef HUB_ERROR_H
#define HUB_ERROR_H

#include <stddef.h>

#define HUB_ERROR_TEXT_MAX 512

typedef struct hub_error {
    char text[HUB_ERROR_TEXT_MAX]; /* NUL-terminated, possibly truncated */
} hub_error_t;

/* Format a message into err (if non-NULL) and return -errnum.
 * errnum must be a positive errno value (EINVAL, ENOENT, ...). */
int hub_errorf(hub_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend "prefix: " to the message already in err and return rc unchanged,
 * so that a caller can add context: `return hub_error_prefix(err, rc,
 * "%s:%d", file, line);`. */
int hub_error_prefix(hub_error_t *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err to the empty message. NULL-safe. */
void hub_error_clear(hub_error_t *err);

#endif /* HUB_ERROR_H */

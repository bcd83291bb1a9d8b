/* base64.h - base64 (RFC 4648, standard alphabet, '=' padding) for binary
 * data carried in JSON strings, e.g. the output frames of the exec service.
 *
 * Non-goals: the URL-safe alphabet, line breaks, streaming (callers encode
 * whole chunks; every chunk is a complete base64 text).
 */
#ifndef HUB_BASE64_H
#define HUB_BASE64_H

#include <stddef.h>

#include "error.h"

/* Characters of the encoding of len bytes, without the NUL. */
size_t hub_base64_encoded_len(size_t len);

/* Encode len bytes of data as a malloc'd NUL-terminated string (""
 * for len 0). NULL on allocation failure (errno = ENOMEM). */
char *hub_base64_encode(const void *data, size_t len);

/* Decode text (NUL-terminated; length a multiple of 4, padded) into a
 * malloc'd buffer of *len bytes, NUL-terminated one byte past the end for
 * callers that decode text. Returns 0, -EINVAL with err naming the
 * offending offset, or -ENOMEM. On failure *data is NULL. */
int hub_base64_decode(const char *text, unsigned char **data, size_t *len,
                      hub_error_t *err);

#endif /* HUB_BASE64_H */

/* base64.c - RFC 4648 base64 encoder and strict decoder. */
#include "base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t hub_base64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

char *hub_base64_encode(const void *data, size_t len)
{
    const unsigned char *in = data;
    char *out = malloc(hub_base64_encoded_len(len) + 1);
    char *p = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        size_t left = len - i;
        uint32_t v = (uint32_t)in[i] << 16;
        if (left > 1)
            v |= (uint32_t)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        *p++ = alphabet[(v >> 18) & 63];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = left > 1 ? alphabet[(v >> 6) & 63] : '=';
        *p++ = left > 2 ? alphabet[v & 63] : '=';
    }
    *p = '\0';
    return out;
}

/* Value of one base64 character, or -1 (arithmetic: ASCII only). */
static int char_value(char ch)
{
    unsigned char c = (unsigned char)ch;

    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    return c == '/' ? 63 : -1;
}

/* Decode one group of 4 characters at in into out; the last group may
 * end in one or two '='. Returns the bytes written (1-3) or -1. */
static int decode_group(const char *in, int last, unsigned char *out)
{
    int pad = last ? (in[3] == '=') + (in[2] == '=' && in[3] == '=') : 0;
    uint32_t v = 0;

    for (int i = 0; i < 4 - pad; i++) {
        int d = char_value(in[i]);
        if (d < 0)
            return -1;
        v = v << 6 | (uint32_t)d;
    }
    v <<= 6 * pad;
    out[0] = (unsigned char)(v >> 16);
    out[1] = (unsigned char)(v >> 8);
    out[2] = (unsigned char)v;
    return 3 - pad;
}

int hub_base64_decode(const char *text, unsigned char **data, size_t *len,
                      hub_error_t *err)
{
    size_t n = strlen(text), ngroups = n / 4, out_len = 0;
    unsigned char *out;

    *data = NULL;
    *len = 0;
    if (n % 4)
        return hub_errorf(err, EINVAL,
                          "base64: length %zu is not a multiple of 4", n);
    if (!(out = malloc(ngroups * 3 + 1)))
        return hub_errorf(err, ENOMEM, "base64: out of memory");
    for (size_t g = 0; g < ngroups; g++) {
        int got = decode_group(text + 4 * g, g + 1 == ngroups, out + out_len);
        if (got < 0) {
            free(out);
            return hub_errorf(err, EINVAL,
                              "base64: bad character in group at offset %zu",
                              4 * g);
        }
        out_len += (size_t)got;
    }
    out[out_len] = '\0';
    *data = out;
    *len = out_len;
    return 0;
}

/* auth.c - MUNGE credentials (libmunge), or -ENOTSUP stubs when built
 * without it. libmunge's error codes are translated here only. */
#include "config.h"

#include "auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MUNGE
#include <munge.h>
#endif

#ifdef HAVE_MUNGE

int hub_auth_available(void)
{
    return 1;
}

/* libmunge's error as a negative errno, with a message in err. */
static int munge_error(munge_err_t e, const char *what, hub_error_t *err)
{
    switch (e) {
    case EMUNGE_SOCKET:
        return hub_errorf(err, EIO,
                          "cannot reach munged: %s; start it with "
                          "`runuser -u munge -- munged`",
                          munge_strerror(e));
    case EMUNGE_NO_MEMORY:
        return hub_errorf(err, ENOMEM, "%s: out of memory", what);
    case EMUNGE_BAD_CRED:
    case EMUNGE_BAD_VERSION:
    case EMUNGE_BAD_CIPHER:
    case EMUNGE_BAD_MAC:
    case EMUNGE_BAD_ZIP:
    case EMUNGE_BAD_REALM:
    case EMUNGE_CRED_INVALID:
    case EMUNGE_CRED_EXPIRED:
    case EMUNGE_CRED_REWOUND:
    case EMUNGE_CRED_REPLAYED:
    case EMUNGE_CRED_UNAUTHORIZED:
        return hub_errorf(err, EACCES, "%s: %s", what, munge_strerror(e));
    default:
        return hub_errorf(err, EIO, "%s: %s", what, munge_strerror(e));
    }
}

int hub_auth_encode(const char *payload, char **cred, hub_error_t *err)
{
    munge_err_t e;

    *cred = NULL;
    e = munge_encode(cred, NULL, payload, (int)strlen(payload));
    if (e != EMUNGE_SUCCESS) {
        free(*cred);
        *cred = NULL;
        return munge_error(e, "cannot make a MUNGE credential", err);
    }
    return 0;
}

/* Copy the decoded payload (len bytes, not NUL-terminated) as a string;
 * a payload with a NUL byte inside is refused, since callers compare it
 * as a string. */
static int payload_string(const void *buf, int len, char **payload,
                          hub_error_t *err)
{
    if (len < 0 || (len > 0 && memchr(buf, '\0', (size_t)len)))
        return hub_errorf(err, EACCES,
                          "MUNGE credential refused: payload holds a NUL");
    if (!(*payload = malloc((size_t)len + 1)))
        return hub_errorf(err, ENOMEM, "out of memory");
    if (len > 0)
        memcpy(*payload, buf, (size_t)len);
    (*payload)[len] = '\0';
    return 0;
}

int hub_auth_decode(const char *cred, uid_t *uid, gid_t *gid, char **payload,
                    hub_error_t *err)
{
    void *buf = NULL;
    int len = 0, rc;
    munge_err_t e;

    *payload = NULL;
    e = munge_decode(cred, NULL, &buf, &len, uid, gid);
    if (e != EMUNGE_SUCCESS)
        rc = munge_error(e, "MUNGE credential refused", err);
    else
        rc = payload_string(buf, len, payload, err);
    free(buf);
    return rc;
}

#else /* !HAVE_MUNGE */

#define NO_MUNGE                                                               \
    "hubsched was built without MUNGE (no libmunge at configure time): "       \
    "TCP peers cannot be authenticated"

int hub_auth_available(void)
{
    return 0;
}

int hub_auth_encode(const char *payload, char **cred, hub_error_t *err)
{
    (void)payload;
    *cred = NULL;
    return hub_errorf(err, ENOTSUP, NO_MUNGE);
}

int hub_auth_decode(const char *cred, uid_t *uid, gid_t *gid, char **payload,
                    hub_error_t *err)
{
    (void)cred;
    (void)uid;
    (void)gid;
    *payload = NULL;
    return hub_errorf(err, ENOTSUP, NO_MUNGE);
}

#endif /* HAVE_MUNGE */

/* plugin.c - finding, checking and loading "<type>/<name>" plugins from
 * the built-in registry or <type>_<name>.so files (see plugin.h). */
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

/* Longest plugin name accepted, bytes including the NUL. */
#define NAME_BYTES 64

struct hub_plugin {
    const hub_plugin_desc_t *desc; /* the plugin's, in the .so or built in */
    void *dl;                      /* dlopen() handle, NULL for a built-in */
    void *ops;                     /* host-sized, zero-filled copy */
    char *path;                    /* file loaded, NULL for a built-in */
};

static struct {
    const hub_plugin_desc_t *desc[HUB_PLUGIN_BUILTIN_MAX];
    size_t n;
} builtins;

static const hub_plugin_desc_t *find_builtin(const char *type, const char *name)
{
    size_t i;

    for (i = 0; i < builtins.n; i++) {
        const hub_plugin_desc_t *d = builtins.desc[i];
        if (strcmp(d->type, type) == 0 && strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

int hub_plugin_register_builtin(const hub_plugin_desc_t *desc)
{
    if (!desc || desc->magic != HUB_PLUGIN_MAGIC || !desc->type ||
        !desc->name || !desc->ops)
        return -EINVAL;
    if (find_builtin(desc->type, desc->name))
        return -EEXIST;
    if (builtins.n == HUB_PLUGIN_BUILTIN_MAX)
        return -ENOSPC;
    builtins.desc[builtins.n++] = desc;
    return 0;
}

/* Strip an optional "<type>/" from name into out and check what is left
 * can be part of a file name: letters, digits, '_' and '-'. */
static int plain_name(const char *type, const char *name, char *out,
                      size_t size, hub_error_t *err)
{
    const char *slash = name ? strchr(name, '/') : NULL;
    size_t tlen = slash ? (size_t)(slash - name) : 0;

    if (!name)
        return hub_errorf(err, EINVAL, "no %s plugin name given", type);
    if (slash && (strlen(type) != tlen || strncmp(name, type, tlen) != 0))
        return hub_errorf(err, EINVAL,
                          "'%s' is not a %s plugin; name one as '%s/<name>'",
                          name, type, type);
    if (slash)
        name = slash + 1;
    if (name[0] == '\0' || strlen(name) >= size ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(name))
        return hub_errorf(err, EINVAL,
                          "bad %s plugin name '%s': use up to %d letters, "
                          "digits, '_' or '-'",
                          type, name, (int)size - 1);
    strcpy(out, name);
    return 0;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Append ", dir" (or "dir" first) to list, truncating silently. */
static void append_dir(char *list, size_t size, const char *dir, size_t len)
{
    size_t used = strlen(list);

    snprintf(list + used, size - used, "%s%.*s", used ? ", " : "", (int)len,
             dir);
}

/* Find <type>_<name>.so in the first directory of search_path that has
 * it; path receives it. -ENOENT lists the directories searched. */
static int find_file(const char *type, const char *name,
                     const char *search_path, char *path, size_t size,
                     hub_error_t *err)
{
    char looked[HUB_ERROR_TEXT_MAX] = "";
    const char *dir = search_path ? search_path : "";

    while (*dir) {
        size_t len = strcspn(dir, ":");
        if (len > 0) {
            int n = snprintf(path, size, "%.*s/%s_%s.so", (int)len, dir, type,
                             name);
            if (n > 0 && (size_t)n < size && is_file(path))
                return 0;
            append_dir(looked, sizeof(looked), dir, len);
        }
        dir += len + (dir[len] == ':');
    }
    if (!looked[0])
        return hub_errorf(err, ENOENT,
                          "%s plugin '%s' is not built in and no plugin "
                          "directory is set; set PluginDir in hub.conf",
                          type, name);
    return hub_errorf(err, ENOENT,
                      "%s plugin '%s' not found: no %s_%s.so in %s; check "
                      "PluginDir in hub.conf and that the plugin is "
                      "installed",
                      type, name, type, name, looked);
}

/* dlopen() path and look up its descriptor. */
static int open_file(const char *path, void **dl, const hub_plugin_desc_t **d,
                     hub_error_t *err)
{
    const char *why;

    if (!(*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
        why = dlerror();
        return hub_errorf(err, ENOEXEC,
                          "cannot load plugin %s: %s; rebuild the plugin "
                          "against this hubsched or remove it from PluginDir",
                          path, why ? why : "unknown dlopen error");
    }
    dlerror();
    if (!(*d = dlsym(*dl, HUB_PLUGIN_SYMBOL)))
        return hub_errorf(err, ENOEXEC,
                          "%s has no '%s' descriptor symbol, so it is not a "
                          "hubsched plugin; rebuild it with "
                          "HUB_PLUGIN_DESCRIPTOR() or remove it from "
                          "PluginDir",
                          path, HUB_PLUGIN_SYMBOL);
    return 0;
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

/* Magic, then type and name as the file name promised them. */
static int check_identity(const hub_plugin_type_t *type,
                          const hub_plugin_desc_t *d, const char *name,
                          const char *origin, hub_error_t *err)
{
    if (d->magic != HUB_PLUGIN_MAGIC)
        return hub_errorf(err, ENOEXEC,
                          "%s: descriptor has magic 0x%08x, not 0x%08x: it "
                          "is not a hubsched plugin or was built against an "
                          "incompatible plugin.h; rebuild it against this "
                          "hubsched",
                          origin, (unsigned)d->magic, HUB_PLUGIN_MAGIC);
    if (!d->type || !d->name || strcmp(d->type, type->name) != 0 ||
        strcmp(d->name, name) != 0)
        return hub_errorf(err, EPROTO,
                          "%s: descriptor says it is plugin '%s/%s', not "
                          "'%s/%s' as its file name says; rename the file "
                          "to %s_%s.so or fix the plugin's descriptor",
                          origin, or_null(d->type), or_null(d->name),
                          type->name, name, or_null(d->type), or_null(d->name));
    return 0;
}

/* Why the mandatory function pointer at offset is unusable in the
 * plugin's ops table, or NULL when it is set. */
static const char *op_missing(const hub_plugin_desc_t *d, size_t offset)
{
    void (*fn)(void);

    if (offset > d->ops_size || d->ops_size - offset < sizeof(fn))
        return "the plugin's ops table ends before it";
    memcpy(&fn, (const char *)d->ops + offset, sizeof(fn));
    return fn ? NULL : "its pointer is NULL";
}

/* ABI major, ops table, mandatory ops. */
static int check_abi(const hub_plugin_type_t *type, const hub_plugin_desc_t *d,
                     const char *origin, hub_error_t *err)
{
    size_t i;

    if (d->abi_major != type->abi_major)
        return hub_errorf(err, EPROTO,
                          "%s: built for %s plugin ABI %u.%u, but this "
                          "hubsched provides %u.%u; rebuild the plugin "
                          "against this hubsched",
                          origin, type->name, (unsigned)d->abi_major,
                          (unsigned)d->abi_minor, (unsigned)type->abi_major,
                          (unsigned)type->abi_minor);
    if (!d->ops || d->ops_size == 0)
        return hub_errorf(err, EPROTO,
                          "%s: descriptor has no ops table; fix the "
                          "plugin's HUB_PLUGIN_DESCRIPTOR()",
                          origin);
    for (i = 0; i < type->n_mandatory; i++) {
        const hub_plugin_op_t *op = &type->mandatory[i];
        const char *why = op_missing(d, op->offset);
        if (why)
            return hub_errorf(err, EPROTO,
                              "%s: mandatory op '%s' is missing (%s); a %s "
                              "plugin must implement it: fix the plugin "
                              "and rebuild it against this hubsched",
                              origin, op->name, why, type->name);
    }
    return 0;
}

/* Build the handle: copy min(plugin, host) ops bytes into a zero-filled
 * host-sized table. Takes ownership of dl only on success. */
static int make_handle(const hub_plugin_type_t *type,
                       const hub_plugin_desc_t *d, void *dl, const char *path,
                       hub_plugin_t **out, hub_error_t *err)
{
    hub_plugin_t *p = calloc(1, sizeof(*p));
    size_t n = d->ops_size < type->ops_size ? d->ops_size : type->ops_size;

    if (!p || !(p->ops = calloc(1, type->ops_size)) ||
        (path && !(p->path = strdup(path)))) {
        hub_plugin_unload(p);
        return hub_errorf(err, ENOMEM, "out of memory loading a plugin");
    }
    memcpy(p->ops, d->ops, n);
    p->desc = d;
    p->dl = dl;
    hub_debug(HUB_DBG_PLUGIN, "plugin %s/%s ABI %u.%u loaded from %s", d->type,
              d->name, (unsigned)d->abi_major, (unsigned)d->abi_minor,
              path ? path : "built-ins");
    *out = p;
    return 0;
}

/* Check a descriptor found under origin and make a handle for it. */
static int adopt(const hub_plugin_type_t *type, const hub_plugin_desc_t *d,
                 const char *name, void *dl, const char *path,
                 hub_plugin_t **out, hub_error_t *err)
{
    const char *origin = path ? path : "built-in plugin";
    int rc;

    if ((rc = check_identity(type, d, name, origin, err)) < 0 ||
        (rc = check_abi(type, d, origin, err)) < 0)
        return rc;
    return make_handle(type, d, dl, path, out, err);
}

static int load_file(const hub_plugin_type_t *type, const char *name,
                     const char *search_path, hub_plugin_t **out,
                     hub_error_t *err)
{
    char path[PATH_MAX];
    const hub_plugin_desc_t *d = NULL;
    void *dl = NULL;
    int rc;

    rc = find_file(type->name, name, search_path, path, sizeof(path), err);
    if (rc == 0)
        rc = open_file(path, &dl, &d, err);
    if (rc == 0)
        rc = adopt(type, d, name, dl, path, out, err);
    if (rc < 0 && dl)
        dlclose(dl);
    return rc;
}

hub_plugin_t *hub_plugin_load(const hub_plugin_type_t *type, const char *name,
                              const char *search_path, hub_error_t *err)
{
    char base[NAME_BYTES];
    const hub_plugin_desc_t *d = NULL;
    hub_plugin_t *p = NULL;
    int rc;

    rc = plain_name(type->name, name, base, sizeof(base), err);
    if (rc == 0 && (d = find_builtin(type->name, base)))
        rc = adopt(type, d, base, NULL, NULL, &p, err);
    else if (rc == 0)
        rc = load_file(type, base, search_path, &p, err);
    if (rc < 0) {
        errno = -rc;
        return NULL;
    }
    return p;
}

const void *hub_plugin_ops(const hub_plugin_t *p)
{
    return p->ops;
}

const hub_plugin_desc_t *hub_plugin_desc(const hub_plugin_t *p)
{
    return p->desc;
}

const char *hub_plugin_path(const hub_plugin_t *p)
{
    return p->path;
}

void hub_plugin_unload(hub_plugin_t *p)
{
    if (!p)
        return;
    if (p->dl)
        dlclose(p->dl);
    free(p->ops);
    free(p->path);
    free(p);
}

/* plugin.h - loading "<type>/<name>" plugins through one typed descriptor.
 *
 * A plugin of type "sched" named "backfill" is the file sched_backfill.so,
 * found in a colon-separated search path (PluginDir in hub.conf), or a
 * built-in registered with hub_plugin_register_builtin(). Either way it is
 * described by one hub_plugin_desc_t; a .so exports it under the symbol
 * name "hub_plugin", which HUB_PLUGIN_DESCRIPTOR() defines:
 *
 *     static const struct sched_ops ops = {.init = bf_init, ...};
 *     HUB_PLUGIN_DESCRIPTOR("sched", "backfill", SCHED_ABI_MAJOR,
 *                           SCHED_ABI_MINOR, ops);
 *
 * Versioning, per plugin type: the host and the plugin must agree on the
 * ABI major; an ops struct only grows at its end, and each addition bumps
 * the minor. The loader copies the plugin's ops into a zero-filled struct
 * of the host's size, so an op that a plugin built for an older minor does
 * not have reads as NULL. Ops that every plugin must have are checked at
 * load time; any other op is optional and the host tests it before the
 * call (`if (ops->resize) ops->resize(ctx, ...)`). Every op takes its
 * context first.
 *
 * The loader refuses, with a message saying what to do: a file found in
 * no search directory, a file dlopen() cannot load, a file without the
 * descriptor, a wrong magic, a type or name that does not match the file
 * name, another ABI major, a missing mandatory op. The first file found
 * along the search path is the one used: a bad one is refused, not skipped.
 *
 * Non-goals: unloading while ops are in use (the host stops using them
 * first), dependencies between plugins, thread safety (load plugins from
 * the main thread during start-up, before other threads run).
 */
#ifndef HUB_PLUGIN_H
#define HUB_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* "HUBP" in ASCII. Changes if hub_plugin_desc_t itself ever changes. */
#define HUB_PLUGIN_MAGIC 0x48554250u

/* The name of the descriptor symbol exported by every plugin .so. */
#define HUB_PLUGIN_SYMBOL "hub_plugin"

/* What a plugin says about itself. Its layout is fixed for as long as
 * HUB_PLUGIN_MAGIC keeps its value. */
typedef struct hub_plugin_desc {
    uint32_t magic;     /* HUB_PLUGIN_MAGIC */
    uint32_t abi_major; /* the type's ABI major the plugin was built for */
    uint32_t abi_minor; /* ... and minor */
    const char *type;   /* plugin type, e.g. "sched" */
    const char *name;   /* plugin name within the type, e.g. "backfill" */
    const void *ops;    /* the plugin's ops struct for its type */
    size_t ops_size;    /* sizeof that ops struct as the plugin compiled it */
} hub_plugin_desc_t;

/* One op the host requires, located in the host's ops struct. */
typedef struct hub_plugin_op {
    size_t offset;    /* offsetof(host ops struct, field) */
    const char *name; /* field name, for messages */
} hub_plugin_op_t;

/* Initialiser: HUB_PLUGIN_OP(struct sched_ops, init). */
#define HUB_PLUGIN_OP(ops_type, field)                                         \
    {                                                                          \
        offsetof(ops_type, field), #field                                      \
    }

/* What the host expects of one plugin type. */
typedef struct hub_plugin_type {
    const char *name;                 /* type name, e.g. "sched" */
    uint32_t abi_major;               /* host's ABI version of the type */
    uint32_t abi_minor;               /* (for messages only) */
    size_t ops_size;                  /* sizeof the host's ops struct */
    const hub_plugin_op_t *mandatory; /* n_mandatory function pointers */
    size_t n_mandatory;
} hub_plugin_type_t;

typedef struct hub_plugin hub_plugin_t;

/* Initialiser of a hub_plugin_desc_t for ops_var, a struct variable. */
#define HUB_PLUGIN_DESC_INIT(type_str, name_str, major, minor, ops_var)        \
    {                                                                          \
        .magic = HUB_PLUGIN_MAGIC, .abi_major = (major), .abi_minor = (minor), \
        .type = (type_str), .name = (name_str), .ops = &(ops_var),             \
        .ops_size = sizeof(ops_var),                                           \
    }

/* Define the exported descriptor of a plugin .so (once per .so; built-ins
 * use HUB_PLUGIN_DESC_INIT for a variable of their own name instead). */
#define HUB_PLUGIN_DESCRIPTOR(type_str, name_str, major, minor, ops_var)       \
    __attribute__((visibility("default")))                                     \
    const hub_plugin_desc_t hub_plugin =                                       \
        HUB_PLUGIN_DESC_INIT(type_str, name_str, major, minor, ops_var)

/* Size of the built-in registry. */
#define HUB_PLUGIN_BUILTIN_MAX 64

/* Make desc loadable by hub_plugin_load() without a file; desc must stay
 * valid for the life of the process. It is checked against the type when
 * loaded, like a .so. Returns 0, -EINVAL for a NULL desc, wrong magic or
 * missing type/name/ops, -EEXIST when that type/name is already
 * registered, -ENOSPC when the registry is full. Not thread-safe: call it
 * from main() before loading plugins. */
int hub_plugin_register_builtin(const hub_plugin_desc_t *desc);

/* Load the plugin `name` ("backfill" or "sched/backfill") of `type`: a
 * built-in of that name if one is registered, else the first
 * <type>_<name>.so along search_path (directories separated by ':'; NULL
 * or "" means none). Returns a handle, or NULL with the reason in err
 * and errno set to:
 *   ENOENT   not built in and no file in any directory (err lists them),
 *   EINVAL   a malformed name, or a name of another type,
 *   ENOEXEC  dlopen() failed, no descriptor symbol, or a wrong magic,
 *   EPROTO   type or name in the descriptor differs from the file name,
 *            another ABI major, no ops table, or a mandatory op missing,
 *   ENOMEM   out of memory. */
hub_plugin_t *hub_plugin_load(const hub_plugin_type_t *type, const char *name,
                              const char *search_path, hub_error_t *err);

/* The host-sized copy of the plugin's ops: cast it to the type's ops
 * struct. Ops beyond the plugin's ops_size are NULL. Valid until unload. */
const void *hub_plugin_ops(const hub_plugin_t *p);

/* The plugin's own descriptor (type, name, ABI version it was built for).
 */
const hub_plugin_desc_t *hub_plugin_desc(const hub_plugin_t *p);

/* The file the plugin was loaded from, or NULL for a built-in. */
const char *hub_plugin_path(const hub_plugin_t *p);

/* Release the plugin (dlclose() for a .so). Its ops must no longer be in
 * use. NULL-safe. */
void hub_plugin_unload(hub_plugin_t *p);

#endif /* HUB_PLUGIN_H */

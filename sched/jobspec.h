/* jobspec.h - the submission spec: what hbatch builds from its command line
 * and the script's directives, and sends to the controller.
 *
 * A spec is a resource request (hub_job_req_t) plus launch data: the script
 * text and its arguments, working directory, environment, output patterns,
 * array indices. It is built in sbatch's order:
 *
 *   hub_jobspec_init(&spec);
 *   i = hub_jobspec_parse_args(&spec, &ctx, argc, argv, &err);  // >= 1
 *   if (!spec.script)          // no --wrap: read argv[i] (or stdin)
 *       hub_jobspec_parse_script(&spec, &ctx, text, len, path, &err);
 *   hub_jobspec_finish(&spec, &ctx, &err);   // defaults, env, checks
 *   json_t *j = hub_jobspec_to_json(&spec);  // -> controller
 *   hub_jobspec_fini(&spec);
 *
 * Options come from one table shared by the command line and the script's
 * "#SBATCH" and "#HUB" directive lines; the command line wins over the
 * directives (an option, or an option of the same family such as --mem and
 * --mem-per-cpu, given on the command line makes the script's ones
 * ignored, after they were still checked). Real sbatch options hubsched
 * does not implement are warnings (hub_jobspec_t.warnings, errors under
 * ctx->strict); anything else unknown or malformed is an error naming the
 * option and where it came from ("command line" or "FILE:LINE").
 *
 * Non-goals: SBATCH_* input environment variables, heterogeneous jobs
 * ("#SBATCH hetjob"), variable expansion in directives (sbatch has none).
 */
#ifndef HUB_JOBSPEC_H
#define HUB_JOBSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "job.h"

/* Slurm's default MaxArraySize: array indices are 0..1000. */
#define HUB_JOBSPEC_ARRAY_SIZE_MAX 1001
/* Largest script accepted (sbatch's default max_script_size is 4 MB). */
#define HUB_JOBSPEC_SCRIPT_MAX (4u << 20)
/* One argument or environment string, as Linux's MAX_ARG_STRLEN. */
#define HUB_JOBSPEC_STRING_MAX (128u << 10)
/* Script arguments plus environment, in bytes: what one execve() takes
 * with the default 8 MiB stack (a quarter of it). */
#define HUB_JOBSPEC_EXEC_BYTES_MAX (2u << 20)
/* Environment variables and script arguments, in count. */
#define HUB_JOBSPEC_ENV_MAX 16384
#define HUB_JOBSPEC_ARGS_MAX 4096
/* Paths and patterns (-D, -o, -e, -i, the script name), bytes. */
#define HUB_JOBSPEC_PATH_MAX 4096
/* --comment and --array text, bytes. */
#define HUB_JOBSPEC_COMMENT_MAX 1024
#define HUB_JOBSPEC_ARRAY_TEXT_MAX 1024
/* Warnings kept; later ones are counted in the last one. */
#define HUB_JOBSPEC_WARNINGS_MAX 64
/* Slurm's default for --signal without "@SECS". */
#define HUB_JOBSPEC_SIGNAL_SECS_DEFAULT 60
/* Slurm's default for --nice without a value. */
#define HUB_JOBSPEC_NICE_DEFAULT 100

typedef struct hub_jobspec {
    hub_job_req_t req; /* zeros where not given; see job.h */
    char *script;      /* script text (NUL-terminated); NULL = not yet */
    char *script_name; /* the path as given, "" for stdin, NULL if
                        * --wrap; job name default is its basename */
    char **argv;       /* script arguments (not the script path) */
    uint32_t argc;
    char *workdir; /* -D, absolute after finish when ctx->cwd */
    char **env;    /* "NAME=value" strings, set by finish */
    uint32_t nenv;
    char *output;               /* -o pattern; finish sets slurm-%j.out or
                                 * slurm-%A_%a.out for arrays */
    char *error;                /* -e pattern; NULL = into the output file */
    char *input;                /* -i pattern; NULL = /dev/null */
    char *comment;              /* --comment; NULL = none */
    char *array;                /* --array as written; NULL = not an array */
    uint32_t *array_ids;        /* indices, ascending, no duplicates */
    uint32_t narray;            /* entries in array_ids (<= ARRAY_SIZE_MAX) */
    uint32_t array_max_running; /* the "%N" throttle; 0 = none */
    char **warnings;            /* "WHERE: --opt: message", in order */
    uint32_t nwarnings;
    struct {                  /* private to jobspec*.c */
        char *export_spec;    /* --export as written; NULL = "ALL" */
        uint64_t cli_keys[8]; /* option families (KEY_BITS) given on the
                               * command line */
        uint32_t dropped_warnings;
    } priv;
} hub_jobspec_t;

/* has_arg of an option, as getopt_long's. */
enum {
    HUB_JOBSPEC_NO_ARG = 0,
    HUB_JOBSPEC_REQUIRED_ARG = 1,
    HUB_JOBSPEC_OPTIONAL_ARG = 2,
};

/* An option of the submitting command itself (hbatch's --parsable,
 * --wait, --help...): parsed with the same rules as the job options,
 * never stored in the spec, reported through ctx->on_client instead. */
typedef struct hub_jobspec_client_opt {
    const char *name; /* long name without "--" */
    int short_opt;    /* letter, or 0 */
    int has_arg;      /* HUB_JOBSPEC_*_ARG */
    int id;           /* passed back to on_client */
} hub_jobspec_client_opt_t;

/* Called for each client option in the order given, from the command line
 * (where = "command line") or a directive (where = "FILE:LINE"); value is
 * NULL for options without one. Returns 0, or a negative errno with err
 * set to stop the parse. */
typedef int (*hub_jobspec_client_fn)(void *arg, int id, const char *value,
                                     const char *where, hub_error_t *err);

/* What the parser needs from the submitting process; all optional. */
typedef struct hub_jobspec_ctx {
    const hub_jobspec_client_opt_t *client_opts; /* client options */
    size_t nclient;
    hub_jobspec_client_fn on_client; /* NULL: client options are errors */
    void *client_arg;
    char *const *environ; /* the submitter's environment (for --export);
                           * NULL = empty */
    const char *cwd;      /* the submitter's directory: default and base
                           * of -D; NULL = leave workdir as given */
    int64_t now_ms;       /* "now" for --begin, ms since the epoch */
    bool strict;          /* finish refuses a spec with warnings */
} hub_jobspec_ctx_t;

/* Expansion values for hub_jobspec_expand_pattern. */
typedef struct hub_pattern_vars {
    hub_job_id_t job_id;       /* %j */
    hub_job_id_t array_job_id; /* %A; 0 = not an array (then %A = %j) */
    int32_t array_task_id;     /* %a; -1 = not an array */
    const char *job_name;      /* %x; NULL = "" */
    const char *user;          /* %u; NULL = "" */
    const char *node;          /* %N: the batch node's short name */
} hub_pattern_vars_t;

/* An empty spec (all zero). */
void hub_jobspec_init(hub_jobspec_t *spec);

/* Release everything the spec owns and leave it empty. NULL-safe. */
void hub_jobspec_fini(hub_jobspec_t *spec);

/* Parse options from argv[1..] up to the first non-option argument or
 * "--" (as sbatch: what follows is the script and its arguments) with
 * getopt_long's rules: "--opt=val", "--opt val", unambiguous prefixes of
 * long names, "-t5", "-t 5", bundled flags ("-Hv"), optional values only
 * as "--opt=val". The script's arguments (after its path) go to spec->argv
 * and the path to spec->script_name. --wrap makes spec->script here.
 * Returns the index of the script path (argc when there is none), or a
 * negative errno with err naming the option, e.g. "command line: --nodes:
 * '0': must be at least 1". On failure the spec holds what was parsed so
 * far and must still be released with fini. */
int hub_jobspec_parse_args(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                           int argc, char *const argv[], hub_error_t *err);

/* Take text (len bytes, no NUL inside) as the batch script and apply its
 * directives: "#SBATCH" or "#HUB" at the start of a line, followed by
 * blanks and options (quotes group words, an unquoted '#' starts a
 * comment), read until the first line that is neither blank nor a comment
 * (later directives are ignored with a warning, as sbatch ignores them).
 * Options also given on the command line are checked, not applied. name
 * is the path for messages ("job.sh:12: ...") and the default job name.
 * The script must start with "#!" and use Unix line ends. Returns 0 or a
 * negative errno with err set; the spec must be released either way. */
int hub_jobspec_parse_script(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                             const char *text, size_t len, const char *name,
                             hub_error_t *err);

/* Complete a parsed spec: the job name from the script name, workdir from
 * ctx->cwd, the environment from --export and ctx->environ (sbatch's
 * ALL by default; NONE or a list keep the submitter's SLURM_* and HUB_*
 * variables), output defaults, --mem-per-cpu folded into memory per node
 * when the tasks per node are known; then check the whole (script present,
 * patterns valid, sizes within limits, no warnings when ctx->strict).
 * Returns 0 or -EINVAL with err set. */
int hub_jobspec_finish(hub_jobspec_t *spec, const hub_jobspec_ctx_t *ctx,
                       hub_error_t *err);

/* Parse an --array value ("0-99%10", "1,3,5-7", "0-15:4") into ascending
 * unique indices below HUB_JOBSPEC_ARRAY_SIZE_MAX and the throttle (0 =
 * none). *ids is malloc'd (caller frees). Returns 0 or -EINVAL / -ENOMEM
 * with err quoting the value. */
int hub_jobspec_parse_array(const char *s, uint32_t **ids, uint32_t *nids,
                            uint32_t *max_running, hub_error_t *err);

/* Expand Slurm's file name pattern: %j job id, %A array job id, %a array
 * task id, %x job name, %u user, %N node, %n and %t (node and task rank:
 * 0 for the batch script), %s (step: "batch"), %J ("%j.batch"), %%; a
 * number after '%' zero-pads numbers ("%4a" -> 0007). As Slurm: a pattern
 * holding '\' is not expanded, only the backslashes removed, and %a of a
 * job outside an array is 4294967294. Writes a NUL-terminated name into
 * buf. Returns 0, -EINVAL for an unknown or unfinished "%" (err quotes
 * it), -ENAMETOOLONG when len is too small. */
int hub_jobspec_expand_pattern(const char *pattern,
                               const hub_pattern_vars_t *vars, char *buf,
                               size_t len, hub_error_t *err);

/* The whole spec as JSON for the submit RPC: {"req":{...}, "script",
 * "script_name", "argv", "workdir", "env", "output", "error", "input",
 * "comment", "array"} (absent strings omitted; warnings are not sent).
 * NULL on ENOMEM. */
json_t *hub_jobspec_to_json(const hub_jobspec_t *spec);

/* Decode and check a spec received from an untrusted client: types,
 * unknown keys, string lengths and characters, counts and total sizes
 * (HUB_JOBSPEC_* limits), the array re-parsed. spec must be initialized;
 * on success its old content is released and replaced, on failure it is
 * unchanged. Returns 0, -EINVAL with err naming the field, or -ENOMEM. */
int hub_jobspec_from_json(const json_t *obj, hub_jobspec_t *spec,
                          hub_error_t *err);

#endif /* HUB_JOBSPEC_H */

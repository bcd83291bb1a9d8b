/* cmdutil.h - what the user commands (hbatch, hqueue, hcancel, hinfo,
 * hacct, hcontrol) share: messages and exit codes, option errors, calls
 * to hubctld, job ids, times, users, signals, GPU amounts, the job rows
 * of answers, and --json output.
 *
 * Messages read as Slurm's: "hqueue: error: ...", "hbatch: warning: ...".
 * Exit codes: 0 success, 1 an error (the controller refused, a job could
 * not be cancelled), 2 a usage error (unknown option, bad argument).
 * Only main() exits; the functions that print say so below.
 *
 * Implemented in cmdutil.c (messages, calls, GPU capacity, cells),
 * cmdutil_table.c (job rows: objects, the table form and its text) and
 * cmdutil_parse.c (parsers and small formatters). Everything here but
 * cmd_call and cmd_call_on works without a controller, so that parsing
 * and formatting are unit-tested (tests/unit/test_cmdutil.c).
 * Non-goals: Slurm's multi-cluster options (-M), SLURM_* input variables.
 */
#ifndef HUB_CMDUTIL_H
#define HUB_CMDUTIL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "client.h"
#include "error.h"
#include "job.h"

enum {
    CMD_EXIT_OK = 0,
    CMD_EXIT_FAIL = 1,  /* the command could not do (all of) its work */
    CMD_EXIT_USAGE = 2, /* bad options or arguments */
};

/* How long a command waits for one answer. The controller answers from
 * memory except for submit (one SQLite group commit) and acct (a store
 * query), so a minute only expires when it is stuck. */
#define CMD_TIMEOUT_MS 60000

/* Ids one job id argument may expand to ("12_[0-999]"). */
#define CMD_JOBIDS_MAX 100000

/* ---- messages and options --------------------------------------------- */

/* Set the program name used in messages ("hqueue"); call first in main.
 * The string must outlive the program (a literal). */
void cmd_init(const char *prog);

const char *cmd_prog(void);

/* "prog: error: MESSAGE\n" and "prog: warning: MESSAGE\n" on stderr. */
void cmd_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "prog: error: MESSAGE" and "Try 'prog --help' for more
 * information." on stderr; returns CMD_EXIT_USAGE for main to return. */
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* getopt_long with our messages instead of getopt's: returns the option,
 * -1 after the last one, or '?' after printing a usage error such as
 * "hqueue: error: unrecognized option '--x'" or "option '--format'
 * requires an argument" (main then returns CMD_EXIT_USAGE). shortopts is
 * as getopt's, without a leading ':'. */
int cmd_getopt(int argc, char *const argv[], const char *shortopts,
               const struct option *longopts);

/* Apply one option (c as cmd_getopt returns it, arg its value or NULL) to
 * a command's options; 0, or a negative errno with err saying why. */
typedef int (*cmd_option_fn)(void *opts, int c, const char *arg,
                             hub_error_t *err);

/* Run cmd_getopt over argv and hand every option to apply. Returns -1
 * when all applied (optind is then the first operand), or the exit code
 * (CMD_EXIT_USAGE, the message printed) for a bad option or value. */
int cmd_parse_options(int argc, char **argv, const char *shortopts,
                      const struct option *longopts, cmd_option_fn apply,
                      void *opts);

/* ---- talking to hubctld ------------------------------------------------ */

/* Send {"op": op, ...args} on c and wait for the answer (CMD_TIMEOUT_MS).
 * args is stolen (NULL: no arguments). Returns 0 with *resp (caller
 * decrefs) or a negative errno with err holding the controller's message
 * or the transport failure. */
int cmd_call_on(hub_client_t *c, const char *op, json_t *args, json_t **resp,
                hub_error_t *err);

/* Connect (hub_client_connect: $HUB_SOCKET, $HUB_CONF), call once, close. */
int cmd_call(const char *op, json_t *args, json_t **resp, hub_error_t *err);

/* Print the answer as JSON on stdout (indented, without "rc" and "seq").
 * Returns CMD_EXIT_OK, or CMD_EXIT_FAIL when stdout fails. */
int cmd_print_json(const json_t *resp);

/* For answers with "errors": [{"id", "error"}], print one line per entry,
 * "prog: error: WHAT error on job id ID: MESSAGE" (scancel's wording with
 * WHAT = "Kill job"). Returns the number of entries. */
size_t cmd_report_job_errors(const json_t *resp, const char *what);

/* ---- job ids ----------------------------------------------------------- */

typedef struct cmd_jobid {
    hub_job_id_t id; /* the job, or the array's job id when task >= 0 */
    int32_t task;    /* array task, -1 for a plain id */
} cmd_jobid_t;

/* Parse "123" or "123_4". Returns 0 or -EINVAL with err quoting s. */
int cmd_parse_jobid(const char *s, cmd_jobid_t *id, hub_error_t *err);

/* The protocol's form of an id: the number, or the string "A_T". */
json_t *cmd_jobid_to_json(const cmd_jobid_t *id);

/* Append to the JSON array ids every id of arg: a comma list of "123",
 * "123_4" and "123_[1-3,7]" (an array's tasks). At most CMD_JOBIDS_MAX
 * ids per arg. Returns 0 or -EINVAL / -E2BIG / -ENOMEM with err set; on
 * failure ids may hold some of arg's ids. */
int cmd_jobids_append(json_t *ids, const char *arg, hub_error_t *err);

/* True when the job object (hub_job_to_json's form) is named by one of
 * ids (as cmd_jobids_append makes them): a number naming the job or its
 * whole array, or "A_T" naming the array task. */
bool cmd_jobids_match(const json_t *ids, const json_t *job);

/* cmd_jobids_match for a decoded job. */
bool cmd_jobids_match_job(const json_t *ids, const hub_job_t *job);

/* ids with every "A_T" replaced by A: the form the controller's queue
 * filter takes (numbers only); the caller then keeps the exact ids with
 * cmd_jobids_match. New reference, NULL on ENOMEM. */
json_t *cmd_jobids_numeric(const json_t *ids);

/* A job's id as the commands show it: "A_T" for an array task, else the
 * id. Returns the snprintf length. */
int cmd_format_jobid(const hub_job_t *job, char *buf, size_t len);

/* ---- lists ------------------------------------------------------------- */

/* Append the items of a comma list ("a,b") to the JSON array arr as
 * strings. Empty items are refused (-EINVAL naming what, e.g.
 * "partition"). */
int cmd_list_append(json_t *arr, const char *list, const char *what,
                    hub_error_t *err);

/* Append the job states of a comma list, long or short names in any case
 * ("PD,running,CD"), to arr as long names ("PENDING", ...). "all" adds
 * every state. -EINVAL names an unknown state. */
int cmd_states_append(json_t *arr, const char *list, hub_error_t *err);

/* True when name (a string) is in the JSON array of strings arr. */
bool cmd_list_has(const json_t *arr, const char *name);

/* ---- times ------------------------------------------------------------- */

/* Now, ms since the epoch (CLOCK_REALTIME). */
int64_t cmd_now_ms(void);

/* ms since the epoch as local time "2026-11-21T23:05:12" (sacct's form);
 * ms <= 0 is written as none ("Unknown", "N/A"). Returns the length. */
int cmd_format_time(int64_t ms, const char *none, char *buf, size_t len);

/* Midnight (local) starting the day that holds now_ms. */
int64_t cmd_midnight_ms(int64_t now_ms);

/* Parse a time argument as sacct's -S/-E (local time):
 * "YYYY-MM-DD[THH:MM[:SS]]", "HH:MM[:SS]" (today), "now",
 * "now[+-]COUNT[UNIT]" (UNIT: seconds (default), minutes, hours, days,
 * weeks, as words, their singular or s/min/h/d/w; "now-1hour",
 * "now-2days"), "today" / "midnight", "noon", "tomorrow". Returns 0 or
 * -EINVAL with err quoting s; *ms is untouched on failure. */
int cmd_parse_time_arg(const char *s, int64_t now_ms, int64_t *ms,
                       hub_error_t *err);

/* Seconds the job has run: to end_ms when it ended, to now_ms while it
 * runs, 0 before it started. */
int64_t cmd_job_elapsed_s(const hub_job_t *job, int64_t now_ms);

/* ---- users and signals ------------------------------------------------- */

/* A user name or a numeric uid to a uid. Returns 0 or -EINVAL with err
 * "invalid user: NAME". */
int cmd_user_uid(const char *name, uint32_t *uid, hub_error_t *err);

/* The name of uid, or its number when it has none. Returns the length. */
int cmd_user_name(uint32_t uid, char *buf, size_t len);

/* A user name or uid to the user's name (the uid's number when it has
 * none) in buf. -EINVAL with err "invalid user: NAME". */
int cmd_user_canon(const char *name, char *buf, size_t len, hub_error_t *err);

/* Append the users of a comma list (names or uids) to arr as names.
 * -EINVAL with err "invalid user: NAME" for one that does not exist. */
int cmd_users_append(json_t *arr, const char *list, hub_error_t *err);

/* A signal by name ("TERM", "SIGUSR1", any case) or number (1..64).
 * Returns 0 or -EINVAL with err quoting s. */
int cmd_parse_signal(const char *s, int *sig, hub_error_t *err);

/* ---- GPU amounts ------------------------------------------------------- */

/* milli-GPUs as a number of GPUs without trailing zeros: 8000 -> "8",
 * 250 -> "0.25", 12750 -> "12.75". Returns the length. */
int cmd_format_milli(uint64_t milli, char *buf, size_t len);

/* The job's GPUs in milli-GPUs: what its allocation holds when it has
 * one, else what it asked for (--gpus, or --gpus-per-node times its
 * nodes). */
uint64_t cmd_job_gpus_milli(const hub_job_t *job);

/* A request's GPUs as squeue's TRES column: per node when asked so
 * ("gpu:h100:8"), else the job's total ("gpu:0.25"); "N/A" for none.
 * Returns the length. */
int cmd_format_gres(const hub_job_req_t *req, char *buf, size_t len);

/* GPU capacity summed over nodes of the info answer. */
typedef struct cmd_gpus {
    uint64_t total_milli; /* every GPU, whole */
    uint64_t free_milli;  /* free capacity, whole and partial GPUs */
    uint64_t idle;        /* GPUs wholly free */
} cmd_gpus_t;

/* Add a node object of the info answer ("gpus", "gpu_free_milli") to g. */
void cmd_gpus_add_node(cmd_gpus_t *g, const json_t *node);

/* "USED/TOTAL" in GPUs, and " (F frac)" when F GPUs of the free capacity
 * lie on partly used GPUs (usable by fractional jobs only): "12.25/16
 * (0.75 frac)". Returns the length. */
int cmd_format_gpu_use(const cmd_gpus_t *g, char *buf, size_t len);

/* Whether partition part of the info answer holds the idx-th node of
 * its "nodes": part's "nodes" lists node indexes (or names); an empty
 * list means every node. */
bool cmd_partition_has_node(const json_t *part, size_t idx, const json_t *node);

/* ---- job rows ---------------------------------------------------------- */

/* A job of an answer: the job (hub_job_from_json) plus what answers add
 * around it. */
typedef struct cmd_job {
    hub_job_t job;
    char *nodelist;              /* allocation as a hostlist, "" if none */
    char hub_name[HUB_NAME_MAX]; /* hub of the allocation, "" if none */
    double gpu_hours;            /* acct answers; < 0 when absent */
    /* acct answers' compute metering (sched/meter.h); < 0 when absent */
    double pflop_hours, energy_kwh, co2_kg;
} cmd_job_t;

/* Decode one job object. Returns 0 or a negative errno with err naming
 * the bad field; row must be released with cmd_job_fini either way. */
int cmd_job_from_json(const json_t *obj, cmd_job_t *row, hub_error_t *err);

/* Release what row owns. NULL-safe. */
void cmd_job_fini(cmd_job_t *row);

/* Decode the answer's "jobs" array into *rows (malloc'd, *n entries;
 * NULL when empty). Returns 0 or a negative errno with err set ("bad
 * answer from hubctld: jobs[3].state: ..."). */
int cmd_jobs_from_answer(const json_t *resp, cmd_job_t **rows, size_t *n,
                         hub_error_t *err);

/* Call op with args (stolen) as cmd_call does, asking for an answer
 * that lists jobs (the queue's table form), and decode its rows as
 * cmd_jobs_from_answer does, but from the answer's text: jansson reads
 * the 8.7 MB table of 100,000 jobs at 25-45 MB/s and makes 1.4 million
 * values of it; cmd_table_from_text makes none for the rows. *resp gets
 * the answer's other members ("now_ms", "columns"). Returns 0, or a
 * negative errno with err: the controller's refusal, a transport
 * failure, or "bad answer from hubctld: rows[3][2]: ...". */
int cmd_call_table(const char *op, json_t *args, json_t **resp,
                   cmd_job_t **rows, size_t *n, hub_error_t *err);

/* cmd_call_table's reader: text (len bytes) is an answer, one JSON
 * object whose members may come in any order. Everything but "rows" goes
 * to *resp through jansson; "rows" is read here, in the columns
 * "columns" names; an answer with "jobs" instead is decoded with
 * cmd_jobs_from_answer. Only JSON is accepted, as jansson would. Returns
 * 0 with *resp, *rows and *n set, or a negative errno with err and
 * nothing to free. */
int cmd_table_from_text(const char *text, size_t len, json_t **resp,
                        cmd_job_t **rows, size_t *n, hub_error_t *err);

/* Release n rows and the array. NULL-safe. */
void cmd_jobs_destroy(cmd_job_t *rows, size_t n);

/* Remove from the answer's "jobs" array the jobs keep() refuses (the
 * filters a command applies itself, before printing or --json). */
void cmd_jobs_filter(json_t *resp,
                     bool (*keep)(const json_t *job, const void *arg),
                     const void *arg);

/* ---- cells ------------------------------------------------------------- */

enum {
    CMD_CELL_RIGHT = 1u << 0, /* right-justify (default: left) */
    CMD_CELL_CUT = 1u << 1,   /* cut text longer than width (squeue) */
    CMD_CELL_PLUS = 1u << 2,  /* cut and mark with '+' (sacct) */
};

/* Write s into a cell of width characters (0: as is) to f. */
void cmd_cell(FILE *f, const char *s, int width, unsigned flags);

#endif /* HUB_CMDUTIL_H */

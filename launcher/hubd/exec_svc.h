/* exec_svc.h - hubd's exec service: start a process for a job on this node
 * on behalf of its owner, so that Open MPI's launcher (through hub-exec as
 * its plm_rsh_agent) reaches the other nodes of an allocation without ssh.
 *
 * A request is accepted only when the MUNGE-proven uid (or, on the local
 * Unix socket, SO_PEERCRED) is the job's owner, or root, and the job runs
 * on this node (hubd learned its allocation from the controller). The
 * process starts as the owner inside the job's process tracking (so that
 * cancelling the job ends it), with its output streamed back to hub-exec
 * and its exit status returned; a signal hub-exec receives is forwarded.
 * Wire format: doc/protocol.md, "Exec service".
 */
#ifndef HUB_EXEC_SVC_H
#define HUB_EXEC_SVC_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "error.h"

/* What the exec service needs to know about a job running on this node;
 * owned by hubd's job table, valid until the job ends on this node. */
typedef struct exec_job {
    uint32_t id;
    uid_t uid;
    gid_t gid;
    const char *user;           /* owner's name (for initgroups) */
    const char *workdir;        /* default working directory */
    char *const *env;           /* the job's environment (NULL-terminated) */
    const char *const *cgroups; /* dirs whose cgroup.procs the process
                                   joins (NULL-terminated), may be empty */
} exec_job_t;

/* Look up a job running on this node, or NULL. */
typedef const exec_job_t *(*exec_lookup_fn)(void *arg, uint32_t job_id);

/* Where and how to serve; the strings are copied. */
typedef struct exec_svc_opts {
    uv_loop_t *loop;
    const char *node;      /* this node's name (bound into credentials) */
    const char *addr;      /* TCP address to listen on ("127.0.0.1") */
    int port;              /* TCP port (Port= of this node) */
    const char *unix_path; /* also listen here (NULL: no Unix socket) */
    const char *jobstart;  /* path of hub-jobstart */
    exec_lookup_fn lookup;
    void *lookup_arg;
} exec_svc_opts_t;

typedef struct exec_svc exec_svc_t;

/* Listen; NULL with err (port in use, ...). */
exec_svc_t *exec_svc_start(const exec_svc_opts_t *opts, hub_error_t *err);

/* Kill every process the service started for job id (the job ended). */
void exec_svc_job_ended(exec_svc_t *svc, uint32_t job_id);

/* Stop listening, kill what runs, close. NULL-safe. */
void exec_svc_stop(exec_svc_t *svc);

#endif /* HUB_EXEC_SVC_H */

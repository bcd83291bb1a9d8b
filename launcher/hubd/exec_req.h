/* exec_req.h - the exec service's request, apart from any socket: parse
 * and check it, decide whether the caller may run it, and build the
 * hub-jobstart command line and environment that run it. Private to the
 * exec service (exec_svc.c, exec_proc.c); unit-tested on its own.
 * Wire format: doc/protocol.md, "Exec service".
 */
#ifndef HUB_EXEC_REQ_H
#define HUB_EXEC_REQ_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"
#include "exec_svc.h"

/* {"op": "exec", "job_id", "argv", "env", "cwd", "cred"} decoded. The
 * strings are borrowed from the message, which must outlive the request;
 * the pointer arrays are the request's own (exec_req_fini frees them). */
typedef struct exec_req {
    uint32_t job_id;   /* >= 1 */
    const char **argv; /* NULL-terminated, at least one entry */
    const char **env;  /* NULL-terminated "K=V", NULL when not given */
    const char *cwd;   /* absolute path, NULL when not given */
    const char *cred;  /* MUNGE credential, NULL when not given */
} exec_req_t;

/* Decode msg into req. Returns 0, or -EINVAL with err naming the field
 * ("exec request: argv must be a non-empty array of strings"), or
 * -ENOMEM; req is left empty (safe to fini) on failure. */
int exec_req_parse(const json_t *msg, exec_req_t *req, hub_error_t *err);

/* Release what req owns. NULL-safe. */
void exec_req_fini(exec_req_t *req);

/* Check that a credential's payload binds it to this request:
 * "exec <JOB_ID> <NODE>". Returns 0 or -EPERM with err. */
int exec_req_check_payload(const char *payload, uint32_t job_id,
                           const char *node, hub_error_t *err);

/* May uid start processes in job job_id (job: what the lookup found, or
 * NULL) on node? Its owner and root may. Returns 0 or -EPERM with err
 * ("job 12 is not running on node n3"). */
int exec_req_authorise(const exec_job_t *job, uint32_t job_id, uid_t uid,
                       const char *node, hub_error_t *err);

/* hub-jobstart's argv (NULL-terminated, malloc'd strings; free with
 * exec_strv_free): [--uid --gid --user] when switch_user, one --cgroup
 * per job cgroup, --chdir (the request's cwd, else the job's workdir),
 * --setsid, "--", the request's argv. NULL on ENOMEM. */
char **exec_req_jobstart_argv(const char *jobstart, const exec_job_t *job,
                              const exec_req_t *req, int switch_user);

/* The process's environment: the request's env with the job's variables
 * that depend on the node (HUB_*, SLURM_*, SLURMD_*, CUDA_VISIBLE_DEVICES,
 * TMPDIR as hubd set them for this node) replacing the caller's, or the job's
 * env when the request has none; then HUB_JOB_ID and HUB_NODE (node),
 * whatever the inputs said, since hubd finds a job's processes by them.
 * NULL-terminated, malloc'd; free with exec_strv_free. NULL on ENOMEM. */
char **exec_req_env(const exec_job_t *job, const exec_req_t *req,
                    const char *node);

/* Free a NULL-terminated array of malloc'd strings. NULL-safe. */
void exec_strv_free(char **v);

#endif /* HUB_EXEC_REQ_H */

/* exec_svc_int.h - the exec service's insides, shared by exec_svc.c (the
 * listening sockets), exec_conn.c (one connection: the request, frames,
 * closing) and exec_proc.c (its process: spawn, output relay, signals).
 *
 * One connection runs at most one process, so the two share a struct.
 * Timeline of a connection:
 *   accept -> request frame -> refused: {"rc"<0} -> drain -> close
 *                           -> accepted: {"rc":0} -> stream frames ...
 *   process exited and both output pipes at EOF -> {"exit"} -> drain ->
 *   close. "drain" = shut our side down, then wait (EXEC_LINGER_MS at
 *   most) for the client to close, so that the last frames are not lost
 *   to a TCP reset.
 *   The client closing early -> SIGTERM to the process group, SIGKILL
 *   EXEC_KILL_WAIT_MS later, output discarded.
 * Everything runs on the service's loop thread.
 */
#ifndef HUB_EXEC_SVC_INT_H
#define HUB_EXEC_SVC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <uv.h>

#include "exec_req.h"
#include "exec_svc.h"
#include "rpc.h"

/* SIGTERM to SIGKILL when the client went away. Short, unlike a job's
 * KillWait: a process whose client is gone has nobody to report to; an
 * MPI daemon tears its ranks down in about 1 s (doc recipes). */
#define EXEC_KILL_WAIT_MS 5000
/* How long a finished connection waits for the client to close. */
#define EXEC_LINGER_MS 5000
/* Output queued towards a slow client before the pipes stop being read
 * (the process then blocks on write, as under ssh). */
#define EXEC_WRITE_QUEUE_MAX_BYTES (1024u * 1024)
/* One read from a pipe or socket. */
#define EXEC_READ_BYTES (64u * 1024)
/* Exec requests are small; frames above this close the connection. */
#define EXEC_FRAME_MAX_BYTES (4u * 1024 * 1024)

typedef struct exec_conn exec_conn_t;

struct exec_svc {
    uv_loop_t *loop;
    char *node;      /* this node's name */
    char *jobstart;  /* hub-jobstart's path */
    char *unix_path; /* NULL: no Unix socket */
    exec_lookup_fn lookup;
    void *lookup_arg;
    uv_tcp_t tcp;
    uv_pipe_t unix_sock;
    bool tcp_open, unix_open; /* handle initialised and not closed */
    int refs; /* the owner's, one per open listener, one per conn */
    bool stopped;
    exec_conn_t *conns;         /* doubly linked through prev/next */
    char slab[EXEC_READ_BYTES]; /* read buffer: one loop thread */
};

typedef enum peer_state {
    PEER_OPEN,     /* reading requests and control frames */
    PEER_DRAINING, /* all sent, our side shut down: waiting for EOF */
    PEER_CLOSED,
} peer_state_t;

typedef enum proc_state {
    PROC_NONE, /* not spawned (or spawn failed) */
    PROC_RUNNING,
    PROC_EXITED,
} proc_state_t;

struct exec_conn {
    exec_svc_t *svc;
    exec_conn_t *prev, *next;
    union {
        uv_stream_t stream;
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } peer;
    bool is_unix;
    uid_t peer_uid; /* SO_PEERCRED on the Unix socket */
    peer_state_t peer_state;
    uv_shutdown_t shutdown_req;
    hub_rpc_reader_t *reader;
    bool have_request; /* the first frame was taken */
    uint32_t job_id;   /* accepted request's job, 0 before */
    uv_process_t proc;
    bool proc_open; /* proc handle initialised and not closed */
    proc_state_t proc_state;
    pid_t pid; /* also the process group: hub-jobstart --setsid */
    int64_t exit_status;
    int term_signal;
    uv_pipe_t out[2]; /* the process's stdout and stderr */
    bool out_open[2];
    bool out_paused;  /* pipes not read: the client is behind */
    uv_timer_t timer; /* SIGKILL after SIGTERM, or the linger limit */
    int handles;      /* handles not yet through their close callback */
    bool released;    /* every handle closed or closing */
};

/* exec_svc.c */
void exec_svc_unref(exec_svc_t *svc);

/* exec_conn.c */

/* A connection accepted on server (is_unix: the Unix socket); on failure
 * the peer is just closed. */
void exec_conn_accept(exec_svc_t *svc, uv_stream_t *server, bool is_unix);

/* Send msg (stolen) to the client if it is still there. */
void exec_conn_send(exec_conn_t *c, json_t *msg);

/* Nothing more to send: shut down our side and wait for the client to
 * close (or EXEC_LINGER_MS). */
void exec_conn_finish(exec_conn_t *c);

/* Free the connection once the client is gone and the process and its
 * pipes are done. */
void exec_conn_maybe_release(exec_conn_t *c);

/* Close every handle now (service stopping); the process is SIGKILLed. */
void exec_conn_abort(exec_conn_t *c);

/* The connection's timer: SIGKILL a process still running after the
 * client left, or close a client that did not close in EXEC_LINGER_MS. */
void exec_conn_on_timer(uv_timer_t *t);

/* libuv alloc callback for the peer and the pipes: the service's slab
 * (handle->data is the connection). */
void exec_conn_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf);

/* uv_close h, counting it in c->handles; the last one frees c. */
void exec_conn_close_handle(exec_conn_t *c, uv_handle_t *h);

/* exec_proc.c */

/* Start the request's process through hub-jobstart. Returns 0, or a
 * negative errno with err (hubd cannot switch user, spawn failed). */
int exec_proc_start(exec_conn_t *c, const exec_job_t *job,
                    const exec_req_t *req, hub_error_t *err);

/* Send sig to the process group while the process runs. */
void exec_proc_signal(exec_conn_t *c, int sig);

/* The client went away: stop relaying, SIGTERM, SIGKILL later. */
void exec_proc_peer_gone(exec_conn_t *c);

/* Read the pipes again once the client caught up (write queue drained). */
void exec_proc_writes_drained(exec_conn_t *c);

#endif /* HUB_EXEC_SVC_INT_H */

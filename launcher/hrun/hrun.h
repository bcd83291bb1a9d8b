/* hrun.h - what hrun's files share: its options, the state of the job it
 * supervises, and the functions each file offers the others.
 *
 * hrun runs one mpirun at a time (a "run"); a failed run is torn down and
 * replaced by the next, whose restart number is one more. Data flow and
 * policy: doc/hrun.md.
 *
 *   hrun.c      main: options, the allocation, signals, the event loop
 *   launch.c    one run: hostfile, mpirun's argv and environment, spawn
 *   output.c    mpirun's stdout/stderr: [rank] labels, failure lines
 *   supervise.c a run's end, the progress watch (hangs), teardown
 *   recover.c   after a failure: lost nodes, spares, loops, backoff
 *   record.c    the progress record libhubjob writes
 *   report.c    the timeline and goodput at the end
 *   jobread.c   reading the job's HDF5 file
 *   ctl.c       hubctld: node states, job_progress, job_report
 *   wrap.c      hrun --agent and hrun --rank-exec (helpers mpirun runs)
 */
#ifndef HUB_HRUN_H
#define HUB_HRUN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "error.h"
#include "layout.h"

#define HRUN_PATH_MAX 4096
#define HRUN_CAUSE_MAX 256

/* Exit statuses of hrun itself (otherwise the program's). */
enum {
    HRUN_EXIT_USAGE = 2,   /* bad options */
    HRUN_EXIT_GAVE_UP = 1, /* failed and not restarted (reason printed) */
};

typedef struct hrun_opts {
    layout_req_t req;      /* -n, --ntasks-per-node, --spare-nodes */
    int gpus_per_task;     /* --gpus-per-task; 0: no GPU binding */
    const char *cpu_bind;  /* --cpu-bind: none|core|socket|numa; NULL */
    int cpus_per_task;     /* --cpus-per-task (mpirun PE=); 0 */
    const char *hostfile;  /* --hostfile */
    const char *hosts;     /* --host */
    double hang_timeout_s; /* --hang-timeout; 0: off */
    int max_restarts;      /* --max-restarts */
    double backoff_s;      /* --backoff: first delay after a stalled run */
    double backoff_max_s;  /* --backoff-max */
    int loop_limit;        /* --loop-limit: stalled runs in a row to stop */
    bool label;            /* --label: "[rank] " before each line */
    const char *timeline;  /* --timeline=FILE: JSON lines */
    const char *mpirun;    /* --mpirun (or $HUB_MPIRUN), default "mpirun" */
    char **mpi_args;       /* --mpi-arg (repeatable), NULL-terminated */
    int verbose;           /* -v */
    char **argv;           /* the program and its arguments */
} hrun_opts_t;

/* The progress record as last read (doc/hubjob.md). */
typedef struct hrun_progress {
    bool present;
    long pid;          /* rank 0's */
    int64_t step;      /* last step ended in that run, -1 none */
    double time_s;     /* its end (Epoch) */
    double mfu;        /* 0..1 */
    int restarts;      /* the run's restart number */
    int64_t ckpt_step; /* last durable or resumed checkpoint, -1 */
    bool finished;
} hrun_progress_t;

/* One failure and the relaunch that followed, all times Epoch seconds. */
typedef struct hrun_recovery {
    int run; /* the launch it led to (1, 2, ...) */
    char cause[HRUN_CAUSE_MAX];
    double last_progress_s; /* the failed run's last sign of progress */
    double failed_s;        /* failure detected */
    double down_s;          /* every rank gone */
    double relaunch_s;      /* the next mpirun started */
    double resumed_s;       /* first record of the new run (0: none) */
    double first_step_s;    /* a step of the new run seen (0: none) */
    int64_t resume_step;    /* checkpoint the new run resumed, -1 */
    int job_run;            /* the new run's number in the job file */
} hrun_recovery_t;

typedef enum hrun_phase {
    HRUN_STARTING = 0,
    HRUN_RUNNING,  /* mpirun is up */
    HRUN_TEARDOWN, /* failure seen, waiting for mpirun to go */
    HRUN_BACKOFF,  /* waiting before the next launch */
    HRUN_DONE,
} hrun_phase_t;

typedef struct hrun_lines hrun_lines_t; /* output.c */

typedef struct hrun {
    uv_loop_t *loop;
    hrun_opts_t opt;
    layout_t layout;
    char self[HRUN_PATH_MAX];     /* this executable, for the helpers */
    char dir[HRUN_PATH_MAX];      /* private temp dir (hostfiles, logs) */
    char progress[HRUN_PATH_MAX]; /* the progress record */
    char job_file[HRUN_PATH_MAX]; /* the job's HDF5 file */
    char job_id[64];              /* "" outside a job */
    int restart_base;             /* restart number of the first run */
    bool use_agent;               /* mpirun reaches nodes through rsh */

    hrun_phase_t phase;
    int run;          /* launches so far - 1 */
    int ntasks;       /* ranks of the current run */
    int max_per_node; /* the most ranks on one node */
    uv_process_t proc;
    bool proc_alive;
    uv_timer_t watch, kill_timer, wait_timer;
    uv_signal_t sig[5];

    double launch_s;        /* Epoch, current run started */
    double last_progress_s; /* Epoch, last sign of progress */
    hrun_progress_t prog;   /* of the current run */
    bool stepped;           /* the current run ended a step */
    int stalled;            /* runs in a row that ended before a step */
    int64_t best_step;      /* highest step seen in any run */
    double mfu;             /* last MFU seen */
    double last_report_s;   /* Epoch, last job_progress sent */

    bool stopping;       /* a signal told us to stop: no restart */
    int stop_signal;     /* that signal */
    int64_t exit_status; /* mpirun's last */
    int term_signal;
    char cause[HRUN_CAUSE_MAX];   /* the current failure */
    char lost[HRUN_CAUSE_MAX];    /* nodes named lost by mpirun's output */
    char noticed[HRUN_CAUSE_MAX]; /* mpirun's "process rank R ... exited" */
    char last_err[4][256];        /* the ranks' last stderr lines */
    int nlast_err;

    hrun_recovery_t *recs;
    int nrecs;
    char timings[512]; /* HUB_LAUNCH_TIMINGS of the next run */
    int exit_code;
    double start_s; /* Epoch, hrun started */
} hrun_t;

/* Seconds since the Epoch. */
double hrun_now(void);

/* "hrun: ..." on stderr (notice level unless -v says more). */
void hrun_say(const hrun_t *h, int verbose_level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* launch.c: start the next run (h->run) on the layout. 0, or a negative
 * errno with err (no run started). */
int launch_start(hrun_t *h, hub_error_t *err);

/* output.c */
hrun_lines_t *output_create(hrun_t *h, int fd_out, bool is_err);
void output_destroy(hrun_lines_t *lines);
/* Feed bytes read from mpirun; NULL/0 at EOF flushes a partial line. */
void output_feed(hrun_lines_t *lines, const char *buf, size_t n);
/* Rewrite "[1,R]<stdout>:" style tags into "[R] " (label mode);
 * returns the start of the text in line and sets *rank, or NULL. */
const char *output_untag(const char *line, int *rank);
/* Nodes named in mpirun's failure lines go into h->lost (space
 * separated); returns 1 when line was such a line. */
int output_scan(hrun_t *h, const char *line);

/* supervise.c */
void supervise_start(hrun_t *h); /* watch a run just started */
void supervise_exit(hrun_t *h, int64_t status, int signal);
void supervise_fail(hrun_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void supervise_stop(hrun_t *h, int signum); /* user signal: end the job */

/* recover.c: after the failed run is gone: relaunch, or stop. */
void recover_after_failure(hrun_t *h);
/* The agent log of the run that just ended: nodes whose agent died. */
int recover_read_agent_log(hrun_t *h, char *nodes, size_t len);

/* record.c: read the progress record at path (absent: present=false). */
int record_read(const char *path, hrun_progress_t *p);

/* report.c: at the end: the timeline of every recovery (stderr and
 * --timeline), goodput and work lost, and the controller's job_report. */
void report_final(hrun_t *h);

/* wrap.c: the helpers' main functions (hrun --agent, --rank-exec). */
int wrap_agent_main(int argc, char **argv);
int wrap_rank_exec_main(int argc, char **argv);

#endif /* HUB_HRUN_H */

/* hacct_perf.h - hacct's MFU and Goodput columns: a job's summary read
 * from its HDF5 job file (launcher/hubjob/report/jobread.h), and the
 * cells as hacct prints them.
 *
 * The controller's acct answer names each job's file (job_file, by the
 * rule in doc/commands.md); hacct reads it as the caller, so a file the
 * caller may not read shows nothing, as a job without a file does.
 */
#ifndef HUB_HACCT_PERF_H
#define HUB_HACCT_PERF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct hacct_perf {
    bool known;     /* the file was read and has a /summary */
    double mfu;     /* mean MFU over the job's steps, 0..1 */
    double goodput; /* 0..1 */
} hacct_perf_t;

/* The summary of the job file at path (NULL or "" for none) into *out;
 * out->known is false when there is none, the caller cannot read it, or
 * no run finished cleanly. Never prints: most jobs have no file. */
void hacct_perf_read(const char *path, hacct_perf_t *out);

/* A fraction as a percentage with one decimal ("41.3"), or "" when
 * unknown (sacct leaves fields it does not know blank). */
void hacct_perf_cell(bool known, double fraction, char *buf, size_t len);

#endif /* HUB_HACCT_PERF_H */

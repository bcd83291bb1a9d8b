/* units.h - parse and print durations and sizes the way Slurm users write
 * them: time limits ("30", "30s", "90m", "2h", "1d", "MM:SS", "HH:MM:SS",
 * "D-HH", "D-HH:MM", "D-HH:MM:SS", "UNLIMITED") and memory ("512M", "4G",
 * "1.5T", a bare number in the caller's default unit).
 */
#ifndef HUB_UNITS_H
#define HUB_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* A duration with no limit ("UNLIMITED", "INFINITE", "infinite"). */
#define HUB_DURATION_INFINITE INT64_MAX

/* Parse a duration into seconds.
 * - A bare number is minutes, as in Slurm's --time ("30" = 1800 s).
 * - A number with one suffix s, m, h or d ("30s", "90m", "2h", "1d").
 * - Slurm's forms: "MM:SS", "HH:MM:SS", "D-HH", "D-HH:MM", "D-HH:MM:SS".
 * - "UNLIMITED" / "INFINITE" (any case) give HUB_DURATION_INFINITE.
 * Fields after the first must be in range (minutes and seconds < 60, hours
 * < 24 after a day). Returns 0, or -EINVAL with err quoting the input and
 * saying what is wrong; *secs is untouched on failure. */
int hub_parse_duration(const char *s, int64_t *secs, hub_error_t *err);

/* Write secs as squeue prints it: "M:SS", "H:MM:SS" or "D-HH:MM:SS";
 * HUB_DURATION_INFINITE as "UNLIMITED". Returns the snprintf length. */
int hub_format_duration(int64_t secs, char *buf, size_t len);

/* Parse a size into bytes. Suffixes K, M, G, T, P (powers of 1024, case
 * insensitive, optional trailing "B" or "iB"); a bare number is multiplied
 * by default_unit (e.g. 1 << 20 for Slurm's --mem, which defaults to MB).
 * Decimal fractions are accepted ("1.5G"). Returns 0, or -EINVAL (garbage,
 * negative) / -ERANGE (overflow) with err quoting the input. */
int hub_parse_size(const char *s, uint64_t default_unit, uint64_t *bytes,
                   hub_error_t *err);

/* Write bytes with the largest binary suffix that keeps one decimal
 * ("512M", "4G", "1.5T", "100" for under 1K). Returns the snprintf length. */
int hub_format_size(uint64_t bytes, char *buf, size_t len);

#endif /* HUB_UNITS_H */

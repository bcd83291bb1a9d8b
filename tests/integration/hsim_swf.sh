#!/bin/sh
# hsim_swf.sh - hsim on the Parallel Workloads Archive's KTH-SP2 and HPC2N
# logs (gzip as distributed, first jobs only): FCFS and EASY side by side,
# EASY waiting less; JSON, series and plots written; a malformed log
# refused with its file and line.
. "$HUB_SRCDIR/tests/integration/lib.sh"
export PATH="$HUB_BUILDDIR/sched/hsim:$PATH"

DATA=${HUB_SWF_DIR:-$HUB_SRCDIR/../shared/data/pwa-swf}
KTH=$DATA/KTH-SP2-1996-2.1-cln.swf.gz
HPC2N=$DATA/HPC2N-2002-2.2-cln.swf.gz
[ -r "$KTH" ] || skip_all "no KTH-SP2 log in $DATA"
command -v gzip >/dev/null 2>&1 || skip_all "no gzip"

# jget JSON KEY: the value of KEY in a one-line JSON object.
jget() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"*\([^,\"}]*\).*/\1/p"; }
# lt A B: A < B as numbers.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

plan 9

out=$(hsim --swf "$KTH" -n 5000 --json 2>"$T/err")
ok $? "hsim replays the first 5000 KTH-SP2 jobs"
fifo=$(printf '%s\n' "$out" | grep '"policy":"fifo"')
easy=$(printf '%s\n' "$out" | grep '"policy":"easy"')
is "$(jget "$fifo" jobs_done)" 5000 "every job ran under FCFS"
is "$(jget "$easy" jobs_done)" 5000 "every job ran under EASY"
lt "$(jget "$easy" avg_wait_s)" "$(jget "$fifo" avg_wait_s)"
ok $? "EASY waits less than FCFS ($(jget "$easy" avg_wait_s) s vs $(jget "$fifo" avg_wait_s) s)"
lt "$(jget "$easy" avg_bsld)" "$(jget "$fifo" avg_bsld)"
ok $? "EASY's bounded slowdown is lower ($(jget "$easy" avg_bsld) vs $(jget "$fifo" avg_bsld))"
lt "$(jget "$easy" pass_p99_ms)" 50
ok $? "pass p99 under 50 ms ($(jget "$easy" pass_p99_ms) ms)"

hsim --swf "$HPC2N" -n 2000 -o "$T/out" >"$T/table" 2>"$T/err"
ok $? "hsim replays the first 2000 HPC2N jobs with -o"
if [ -s "$T/out/summary.jsonl" ] && [ -s "$T/out/series-easy.dat" ] &&
    { ! command -v gnuplot >/dev/null 2>&1 || [ -s "$T/out/gpu_alloc.png" ]; }; then
    ok 0 "summary, series and plots written"
else
    ok 1 "summary, series and plots written"; ls -l "$T/out" | sed 's/^/# /'
fi

{ zcat "$KTH" | head -30; echo "99 1 2 3"; } > "$T/bad.swf"
hsim --swf "$T/bad.swf" >/dev/null 2>"$T/err"
rc=$?
like "$rc $(cat "$T/err")" "^1 hsim: $T/bad.swf:31: expected 18 fields, found 4" \
    "a malformed line is refused with its file and line"
done_testing

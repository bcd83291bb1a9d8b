# benchmarks/local.mk - benchmark programs (one question each) sharing the
# harness; `make bench` runs them all, `make check` runs each with --smoke.
noinst_LTLIBRARIES += benchmarks/libbench.la
benchmarks_libbench_la_SOURCES = benchmarks/harness.c benchmarks/harness.h \
	benchmarks/ctld_fixture.c benchmarks/ctld_fixture.h \
	benchmarks/hubsched_all.h
benchmarks_libbench_la_CFLAGS = $(AM_CFLAGS) -iquote $(srcdir)/sched \
	$(JANSSON_CFLAGS)
BENCH_CFLAGS = $(AM_CFLAGS) -iquote $(srcdir)/sched $(JANSSON_CFLAGS)
BENCH_LDADD = benchmarks/libbench.la sched/libhubsched.la \
	common/libhubcommon.la $(JANSSON_LIBS) -lm $(PTHREAD_LIBS)

BENCH_PROGS = benchmarks/bench_sched_pass benchmarks/bench_submit \
	benchmarks/bench_queue benchmarks/bench_restart
noinst_PROGRAMS += $(BENCH_PROGS)

benchmarks_bench_sched_pass_SOURCES = benchmarks/bench_sched_pass.c
benchmarks_bench_sched_pass_CFLAGS = $(BENCH_CFLAGS)
benchmarks_bench_sched_pass_LDADD = $(BENCH_LDADD)

benchmarks_bench_submit_SOURCES = benchmarks/bench_submit.c
benchmarks_bench_submit_CFLAGS = $(BENCH_CFLAGS)
benchmarks_bench_submit_LDADD = $(BENCH_LDADD)

benchmarks_bench_queue_SOURCES = benchmarks/bench_queue.c
benchmarks_bench_queue_CFLAGS = $(BENCH_CFLAGS)
benchmarks_bench_queue_LDADD = $(BENCH_LDADD)

benchmarks_bench_restart_SOURCES = benchmarks/bench_restart.c
benchmarks_bench_restart_CFLAGS = $(BENCH_CFLAGS)
benchmarks_bench_restart_LDADD = $(BENCH_LDADD)

# libhubjob's step reporting (MPI singleton, no mpirun).
BENCH_PROGS += benchmarks/bench_step
benchmarks_bench_step_SOURCES = benchmarks/bench_step.c
benchmarks_bench_step_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob
benchmarks_bench_step_LDADD = benchmarks/libbench.la \
	launcher/hubjob/libhubjob.la $(MPI_LIBS) -lm

# libhubjob's checkpoints: save/restore bandwidth beside write()/read(),
# async stall (MPI singleton, no mpirun).
BENCH_PROGS += benchmarks/bench_ckpt
benchmarks_bench_ckpt_SOURCES = benchmarks/bench_ckpt.c
benchmarks_bench_ckpt_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob
benchmarks_bench_ckpt_LDADD = benchmarks/libbench.la \
	launcher/hubjob/libhubjob.la $(MPI_LIBS) -lm

# Smoke runs in make check: every benchmark at tiny size, one repeat.
TESTS += benchmarks/smoke.sh
EXTRA_DIST += benchmarks/smoke.sh benchmarks/run.sh

bench: $(BENCH_PROGS)
	HUB_BUILDDIR=$(abs_top_builddir) $(SHELL) $(srcdir)/benchmarks/run.sh \
		$(BENCH_PROGS)
.PHONY: bench

# what smoke.sh leaves behind
CLEANFILES += $(BENCH_PROGS:=.smoke.json)

# Node agents: submit -> script started, and throughput through 4 agents
# (hubctld and hubd on this machine, agents_fixture.[ch]).
benchmarks_libbench_la_SOURCES += benchmarks/agents_fixture.c \
	benchmarks/agents_fixture.h
BENCH_PROGS += benchmarks/bench_launch benchmarks/bench_throughput
benchmarks_bench_launch_SOURCES = benchmarks/bench_launch.c
benchmarks_bench_launch_CFLAGS = $(BENCH_CFLAGS)
benchmarks_bench_launch_LDADD = $(BENCH_LDADD)
benchmarks_bench_throughput_SOURCES = benchmarks/bench_throughput.c
benchmarks_bench_throughput_CFLAGS = $(BENCH_CFLAGS)
benchmarks_bench_throughput_LDADD = $(BENCH_LDADD)

# hrun: recovery time after SIGKILL of a rank (4 ranks, 100 MiB
# checkpoint) with its phases, and launch overhead against mpirun at 2, 4
# and 8 ranks; bench_recovery_prog is the MPI program both run (and the
# hrun tests, tests/mpi/hrun_*.sh).
BENCH_PROGS += benchmarks/bench_recovery
benchmarks_bench_recovery_SOURCES = benchmarks/bench_recovery.c
benchmarks_bench_recovery_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
benchmarks_bench_recovery_LDADD = benchmarks/libbench.la $(JANSSON_LIBS) -lm
noinst_PROGRAMS += benchmarks/bench_recovery_prog
benchmarks_bench_recovery_prog_SOURCES = benchmarks/bench_recovery_prog.c
benchmarks_bench_recovery_prog_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob
benchmarks_bench_recovery_prog_LDADD = launcher/hubjob/libhubjob.la \
	$(MPI_LIBS)

# hrun's recovery inside a Slurm allocation beside outside Slurm: a script
# that starts its own localhost Slurm (tests/slurm/slurm_up.sh; root).
# `make bench-slurm` runs it at full size; smoke.sh runs it with --smoke.
EXTRA_DIST += benchmarks/bench_slurm_recovery.sh \
	benchmarks/hsim_inflation_seeds.sh
CLEANFILES += benchmarks/bench_slurm_recovery.smoke.json
bench-slurm:
	HUB_BUILDDIR=$(abs_top_builddir) HUB_SRCDIR=$(abs_top_srcdir) \
		$(SHELL) $(srcdir)/benchmarks/bench_slurm_recovery.sh \
		>> bench-results.jsonl
.PHONY: bench-slurm

# hsim at scale and the inflation experiment (links libhsim).
BENCH_PROGS += benchmarks/bench_hsim
benchmarks_bench_hsim_SOURCES = benchmarks/bench_hsim.c
benchmarks_bench_hsim_CFLAGS = $(BENCH_CFLAGS) -iquote $(srcdir)/sched/hsim
benchmarks_bench_hsim_LDADD = sched/hsim/libhsim.la $(BENCH_LDADD)

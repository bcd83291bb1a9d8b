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

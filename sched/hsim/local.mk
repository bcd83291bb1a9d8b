# sched/hsim/local.mk - hsim, the trace replayer, and libhsim (everything
# but main), which the unit tests link too.
noinst_LTLIBRARIES += sched/hsim/libhsim.la
sched_hsim_libhsim_la_SOURCES = sched/hsim/hsim.h \
	sched/hsim/trace.c sched/hsim/swf.c sched/hsim/alibaba.c \
	sched/hsim/csvtrace.c sched/hsim/synth.c sched/hsim/policy.c \
	sched/hsim/sim.c sched/hsim/metrics.c sched/hsim/report.c \
	sched/hsim/inflation.c sched/hsim/twohub.c
HSIM_CFLAGS = $(SCHED_CFLAGS) -iquote $(srcdir)/sched/hsim
HSIM_LDADD = sched/hsim/libhsim.la sched/libhubsched.la \
	common/libhubcommon.la $(JANSSON_LIBS) -lm
sched_hsim_libhsim_la_CFLAGS = $(HSIM_CFLAGS)

bin_PROGRAMS += sched/hsim/hsim
sched_hsim_hsim_SOURCES = sched/hsim/hsim.c
sched_hsim_hsim_CFLAGS = $(HSIM_CFLAGS)
sched_hsim_hsim_LDADD = $(HSIM_LDADD)
EXTRA_DIST += doc/hsim.md

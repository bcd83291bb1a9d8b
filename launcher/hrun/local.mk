# launcher/hrun/local.mk - hrun, the MPI launcher and supervisor (doc/hrun.md).
# HDF5 only to read the job file at the end (jobread.c); no MPI calls.
HRUN_CFLAGS = $(AM_CFLAGS) -iquote $(srcdir)/sched \
	-iquote $(srcdir)/launcher/hrun $(UV_CFLAGS) $(JANSSON_CFLAGS) \
	$(HDF5_CFLAGS)
HRUN_SOURCES = launcher/hrun/hrun.h launcher/hrun/launch.c \
	launcher/hrun/output.c launcher/hrun/supervise.c \
	launcher/hrun/recover.c launcher/hrun/record.c launcher/hrun/report.c \
	launcher/hrun/jobread.c launcher/hrun/jobread.h launcher/hrun/ctl.c \
	launcher/hrun/ctl.h launcher/hrun/wrap.c launcher/hrun/layout.c \
	launcher/hrun/layout.h
bin_PROGRAMS += launcher/hrun/hrun
launcher_hrun_hrun_SOURCES = launcher/hrun/hrun.c $(HRUN_SOURCES)
launcher_hrun_hrun_CFLAGS = $(HRUN_CFLAGS)
launcher_hrun_hrun_LDADD = sched/libhubsched.la common/libhubcommon.la \
	$(UV_LIBS) $(JANSSON_LIBS) $(HDF5_LIBS) -lm
EXTRA_DIST += doc/hrun.md

# launcher/hubjob/local.mk - libhubjob, what training programs link: the
# job context and MFU (job, env, peak, cpupeak, metrics, events, jobfile,
# h5util, progress), checkpoints (ckpt*), collectives (comm, with the
# built-in comm/mpi backend). Installed with hubjob.h and hubjob.pc.
lib_LTLIBRARIES += launcher/hubjob/libhubjob.la
launcher_hubjob_libhubjob_la_SOURCES = \
	launcher/hubjob/hubjob.h launcher/hubjob/ctx.h \
	launcher/hubjob/job.c \
	launcher/hubjob/env.c launcher/hubjob/env.h launcher/hubjob/peak.c \
	launcher/hubjob/cpupeak.c launcher/hubjob/cpupeak.h \
	launcher/hubjob/metrics.c \
	launcher/hubjob/events.c launcher/hubjob/events.h \
	launcher/hubjob/jobfile.c launcher/hubjob/jobfile.h \
	launcher/hubjob/h5util.c launcher/hubjob/h5util.h \
	launcher/hubjob/progress.c launcher/hubjob/progress.h \
	launcher/hubjob/mpierr.c launcher/hubjob/mpierr.h \
	launcher/hubjob/ckpt.c launcher/hubjob/ckpt.h \
	launcher/hubjob/ckpt_write.c launcher/hubjob/ckpt_finish.c \
	launcher/hubjob/ckpt_json.c launcher/hubjob/ckpt_fs.c \
	launcher/hubjob/ckpt_read.c launcher/hubjob/ckpt_latest.c \
	launcher/hubjob/ckpt_async.c launcher/hubjob/pcopy.c launcher/hubjob/pcopy.h \
	launcher/hubjob/crc32c.c launcher/hubjob/crc32c.h \
	launcher/hubjob/comm.c launcher/hubjob/comm_plugin.h \
	launcher/hubjob/half.c launcher/hubjob/half.h \
	plugins/comm/mpi/comm_mpi.c
launcher_hubjob_libhubjob_la_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) \
	$(HDF5_CFLAGS) $(JANSSON_CFLAGS) -iquote $(srcdir)/launcher/hubjob
launcher_hubjob_libhubjob_la_LIBADD = common/libhubcommon.la $(MPI_LIBS) \
	$(HDF5_LIBS) $(JANSSON_LIBS) -lm $(PTHREAD_LIBS)
launcher_hubjob_libhubjob_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0
include_HEADERS += launcher/hubjob/hubjob.h

pkgconfig_DATA = launcher/hubjob/hubjob.pc
EXTRA_DIST += launcher/hubjob/hubjob.pc.in
EXTRA_DIST += doc/hubjob.md

# The job file reader (HDF5, no MPI calls) that hub-report and hacct
# (sched/local.mk) share; h5util.c is compiled in again for its HDF5
# error translation.
noinst_LTLIBRARIES += launcher/hubjob/report/libjobread.la
launcher_hubjob_report_libjobread_la_SOURCES = \
	launcher/hubjob/report/jobread.c launcher/hubjob/report/jobread.h \
	launcher/hubjob/h5util.c launcher/hubjob/h5util.h
JOBREAD_CFLAGS = $(HDF5_CFLAGS) -iquote $(srcdir)/launcher/hubjob \
	-iquote $(srcdir)/launcher/hubjob/report
launcher_hubjob_report_libjobread_la_CFLAGS = $(AM_CFLAGS) $(JOBREAD_CFLAGS)
launcher_hubjob_report_libjobread_la_LIBADD = common/libhubcommon.la \
	$(HDF5_LIBS)

# hub-report: a job's summary and plot from its job file.
bin_PROGRAMS += launcher/hubjob/report/hub-report
launcher_hubjob_report_hub_report_SOURCES = \
	launcher/hubjob/report/hub-report.c launcher/hubjob/report/report.h \
	launcher/hubjob/report/report_text.c launcher/hubjob/report/report_plot.c
launcher_hubjob_report_hub_report_CFLAGS = $(AM_CFLAGS) $(JOBREAD_CFLAGS) \
	$(JANSSON_CFLAGS)
launcher_hubjob_report_hub_report_LDADD = \
	launcher/hubjob/report/libjobread.la $(JANSSON_LIBS) -lm

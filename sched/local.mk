# sched/local.mk - libhubsched (scheduling logic and its built-in plugins,
# the job model, the store), hubctld and the user commands.
lib_LTLIBRARIES += sched/libhubsched.la
sched_libhubsched_la_SOURCES = \
	sched/clock.c sched/clock.h \
	sched/job.c sched/job.h sched/job_json.c \
	sched/jobspec.c sched/jobspec.h sched/jobspec_int.h sched/jobspec_opt.c \
	sched/jobspec_json.c sched/jobspec_pattern.c \
	sched/jobspec_parse.c sched/jobspec_value.c \
	sched/jobtab.c sched/jobtab.h \
	sched/countmap.c sched/countmap.h \
	sched/cluster.c sched/cluster.h \
	sched/select_util.c sched/select_util.h \
	sched/plugins.c sched/plugins.h \
	sched/sched.c sched/sched.h sched/sched_int.h \
	sched/sched_pass.c sched/sched_place.c sched/sched_validate.c \
	sched/sched_willrun.c \
	sched/store.c sched/store.h sched/store_int.h sched/store_batch.c \
	sched/store_query.c \
	sched/client.c sched/client.h \
	plugins/select/bestfit/select_bestfit.c \
	plugins/priority/factors.c plugins/priority/factors.h \
	plugins/priority/basic/priority_basic.c \
	plugins/priority/multifactor/priority_multifactor.c \
	plugins/priority/multifactor/usage.c \
	plugins/priority/multifactor/usage.h \
	plugins/sched/fifo/sched_fifo.c \
	plugins/sched/backfill/sched_backfill.c \
	plugins/sched/backfill/backfill.h \
	plugins/sched/backfill/bf_plan.c plugins/sched/backfill/bf_memo.c
SCHED_CFLAGS = $(AM_CFLAGS) -iquote $(srcdir)/sched \
	-iquote $(srcdir)/plugins/priority \
	$(JANSSON_CFLAGS) $(SQLITE_CFLAGS)
sched_libhubsched_la_CFLAGS = $(SCHED_CFLAGS)
sched_libhubsched_la_LIBADD = common/libhubcommon.la $(JANSSON_LIBS) \
	$(SQLITE_LIBS) -lm
sched_libhubsched_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0

sbin_PROGRAMS += sched/hubctld/hubctld
sched_hubctld_hubctld_SOURCES = \
	sched/hubctld/hubctld.c sched/hubctld/ctld.h \
	sched/hubctld/conn.c sched/hubctld/commit.c \
	sched/hubctld/dispatch.c sched/hubctld/op_submit.c \
	sched/hubctld/op_query.c sched/hubctld/op_admin.c \
	sched/hubctld/run.c sched/hubctld/reconf.c
sched_hubctld_hubctld_CFLAGS = $(SCHED_CFLAGS) $(UV_CFLAGS)
sched_hubctld_hubctld_LDADD = sched/libhubsched.la common/libhubcommon.la \
	$(UV_LIBS) $(JANSSON_LIBS)

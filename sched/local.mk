# sched/local.mk - libhubsched (scheduling logic and its built-in plugins,
# the job model, the store), hubctld and the user commands.
lib_LTLIBRARIES += sched/libhubsched.la
sched_libhubsched_la_SOURCES = \
	sched/clock.c sched/clock.h \
	sched/job.c sched/job.h sched/job_json.c sched/job_json_int.h \
	sched/job_json_table.c \
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
	sched/sched_willrun.c sched/sched_hubsel.c \
	sched/hubsel_util.c sched/hubsel_util.h \
	sched/meter.c sched/meter.h \
	sched/store.c sched/store.h sched/store_int.h sched/store_batch.c \
	sched/store_query.c sched/store_usage.c sched/usage_rec.h \
	sched/client.c sched/client.h \
	plugins/select/bestfit/select_bestfit.c \
	plugins/select/random/select_random.c \
	plugins/select/fgd/fgd.h plugins/select/fgd/fgd_dist.c \
	plugins/select/fgd/select_fgd.c \
	plugins/select/fgdx/select_fgdx.c \
	plugins/select/topo/topo.h plugins/select/topo/topo_leaf.c \
	plugins/select/topo/select_topo.c \
	plugins/priority/factors.c plugins/priority/factors.h \
	plugins/priority/basic/priority_basic.c \
	plugins/priority/multifactor/priority_multifactor.c \
	plugins/priority/multifactor/usage.c \
	plugins/priority/multifactor/usage.h \
	plugins/sched/fifo/sched_fifo.c \
	plugins/sched/backfill/backfill.h \
	plugins/sched/backfill/bf_memo.c \
	plugins/sched/backfill/bf_plan.c \
	plugins/sched/backfill/bf_whatif.c \
	plugins/sched/backfill/sched_backfill.c \
	plugins/hubsel/local/hubsel_local.c \
	plugins/hubsel/cost/hubsel_cost.c
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
	sched/hubctld/op_progress.c \
	sched/hubctld/run.c sched/hubctld/reconf.c sched/hubctld/jobref.c \
	sched/hubctld/nodes.c sched/hubctld/node_sync.c \
	sched/hubctld/op_agent.c sched/hubctld/launch.c \
	sched/hubctld/agent_wire.c
sched_hubctld_hubctld_CFLAGS = $(SCHED_CFLAGS) $(UV_CFLAGS)
sched_hubctld_hubctld_LDADD = sched/libhubsched.la common/libhubcommon.la \
	$(UV_LIBS) $(JANSSON_LIBS) -lm

# The user commands: one file each, sharing cmdutil and qformat.
noinst_LTLIBRARIES += sched/cmd/libcmd.la
sched_cmd_libcmd_la_SOURCES = sched/cmd/cmdutil.c sched/cmd/cmdutil.h \
	sched/cmd/cmdutil_parse.c sched/cmd/cmdutil_table.c \
	sched/cmd/qformat.c sched/cmd/qformat.h
sched_cmd_libcmd_la_CFLAGS = $(SCHED_CFLAGS) -iquote $(srcdir)/sched/cmd
CMD_LDADD = sched/cmd/libcmd.la sched/libhubsched.la common/libhubcommon.la \
	$(JANSSON_LIBS)
CMD_CFLAGS = $(SCHED_CFLAGS) -iquote $(srcdir)/sched/cmd
bin_PROGRAMS += sched/cmd/hbatch sched/cmd/hqueue sched/cmd/hcancel \
	sched/cmd/hinfo sched/cmd/hacct sched/cmd/hcontrol
sched_cmd_hbatch_SOURCES = sched/cmd/hbatch.c
sched_cmd_hbatch_CFLAGS = $(CMD_CFLAGS)
sched_cmd_hbatch_LDADD = $(CMD_LDADD)
sched_cmd_hqueue_SOURCES = sched/cmd/hqueue.c
sched_cmd_hqueue_CFLAGS = $(CMD_CFLAGS)
sched_cmd_hqueue_LDADD = $(CMD_LDADD)
sched_cmd_hcancel_SOURCES = sched/cmd/hcancel.c
sched_cmd_hcancel_CFLAGS = $(CMD_CFLAGS)
sched_cmd_hcancel_LDADD = $(CMD_LDADD)
sched_cmd_hinfo_SOURCES = sched/cmd/hinfo.c
sched_cmd_hinfo_CFLAGS = $(CMD_CFLAGS)
sched_cmd_hinfo_LDADD = $(CMD_LDADD)
# hacct reads the MFU and goodput of job files with libhubjob's reader.
sched_cmd_hacct_SOURCES = sched/cmd/hacct.c sched/cmd/hacct_perf.c \
	sched/cmd/hacct_perf.h
sched_cmd_hacct_CFLAGS = $(CMD_CFLAGS) $(JOBREAD_CFLAGS)
sched_cmd_hacct_LDADD = $(CMD_LDADD) launcher/hubjob/report/libjobread.la
sched_cmd_hcontrol_SOURCES = sched/cmd/hcontrol.c
sched_cmd_hcontrol_CFLAGS = $(CMD_CFLAGS)
sched_cmd_hcontrol_LDADD = $(CMD_LDADD)

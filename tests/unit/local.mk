# tests/unit/local.mk - cmocka unit tests, one binary per module, TAP output.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
UNIT_LDADD = common/libhubcommon.la $(CMOCKA_LIBS) $(JANSSON_LIBS)
SCHED_UNIT_CFLAGS = $(UNIT_CFLAGS) -iquote $(srcdir)/sched \
	-iquote $(srcdir)/plugins/priority
SCHED_UNIT_LDADD = sched/libhubsched.la $(UNIT_LDADD) -lm

UNIT_TESTS = tests/unit/test_error tests/unit/test_rpc tests/unit/test_plugin \
	tests/unit/test_units tests/unit/test_hostlist tests/unit/test_conf \
	tests/unit/test_half tests/unit/test_pcopy \
	$(SCHED_UNIT_TESTS)
SCHED_UNIT_TESTS = tests/unit/test_cluster tests/unit/test_select_bestfit \
	tests/unit/test_select_topo tests/unit/test_select_fgdx \
	tests/unit/test_priority tests/unit/test_store \
	tests/unit/test_store_usage tests/unit/test_job_json \
	tests/unit/test_jobspec tests/unit/test_qformat tests/unit/test_cmdutil \
	tests/unit/test_sched
EXTRA_DIST += tests/unit/scripts
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
noinst_HEADERS += tests/unit/cmocka_all.h

tests_unit_test_error_SOURCES = tests/unit/test_error.c
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)

tests_unit_test_units_SOURCES = tests/unit/test_units.c
tests_unit_test_units_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_units_LDADD = $(UNIT_LDADD)

tests_unit_test_hostlist_SOURCES = tests/unit/test_hostlist.c
tests_unit_test_hostlist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hostlist_LDADD = $(UNIT_LDADD)

tests_unit_test_conf_SOURCES = tests/unit/test_conf.c
tests_unit_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_conf_LDADD = $(UNIT_LDADD)

tests_unit_test_rpc_SOURCES = tests/unit/test_rpc.c
tests_unit_test_rpc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rpc_LDADD = $(UNIT_LDADD) $(PTHREAD_LIBS)

# The plugin loader's fixtures: tiny plugins, each wrong in one way.
FIXTURE_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
FIXTURE_CFLAGS = $(AM_CFLAGS) -I$(srcdir)/tests/unit
check_LTLIBRARIES += tests/unit/plugins/fixture_good.la \
	tests/unit/plugins/fixture_old.la \
	tests/unit/plugins/fixture_badmagic.la \
	tests/unit/plugins/fixture_abimajor.la \
	tests/unit/plugins/fixture_misnamed.la \
	tests/unit/plugins/fixture_nomandatory.la \
	tests/unit/plugins/fixture_nosymbol.la \
	tests/unit/plugins/fixture_newer.la
noinst_HEADERS += tests/unit/plugins/fixture.h
tests_unit_plugins_fixture_good_la_SOURCES = tests/unit/plugins/fixture_good.c
tests_unit_plugins_fixture_good_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_good_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_old_la_SOURCES = tests/unit/plugins/fixture_old.c
tests_unit_plugins_fixture_old_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_old_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_badmagic_la_SOURCES = tests/unit/plugins/fixture_badmagic.c
tests_unit_plugins_fixture_badmagic_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_badmagic_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_abimajor_la_SOURCES = tests/unit/plugins/fixture_abimajor.c
tests_unit_plugins_fixture_abimajor_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_abimajor_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_misnamed_la_SOURCES = tests/unit/plugins/fixture_misnamed.c
tests_unit_plugins_fixture_misnamed_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_misnamed_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_nomandatory_la_SOURCES = tests/unit/plugins/fixture_nomandatory.c
tests_unit_plugins_fixture_nomandatory_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_nomandatory_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_nosymbol_la_SOURCES = tests/unit/plugins/fixture_nosymbol.c
tests_unit_plugins_fixture_nosymbol_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_nosymbol_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_unit_plugins_fixture_newer_la_SOURCES = tests/unit/plugins/fixture_newer.c
tests_unit_plugins_fixture_newer_la_CFLAGS = $(FIXTURE_CFLAGS)
tests_unit_plugins_fixture_newer_la_LDFLAGS = $(FIXTURE_LDFLAGS)

tests_unit_test_plugin_SOURCES = tests/unit/test_plugin.c
tests_unit_test_plugin_CFLAGS = $(UNIT_CFLAGS) -I$(srcdir)/tests/unit
tests_unit_test_plugin_LDADD = $(UNIT_LDADD)
AM_TESTS_ENVIRONMENT += \
	HUB_PLUGIN_TEST_DIR='$(abs_top_builddir)/tests/unit/plugins/.libs'; \
	export HUB_PLUGIN_TEST_DIR;

tests_unit_test_cluster_SOURCES = tests/unit/test_cluster.c
tests_unit_test_cluster_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_cluster_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_select_bestfit_SOURCES = tests/unit/test_select_bestfit.c
tests_unit_test_select_bestfit_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_select_bestfit_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_select_topo_SOURCES = tests/unit/test_select_topo.c
tests_unit_test_select_topo_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_select_topo_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_select_fgdx_SOURCES = tests/unit/test_select_fgdx.c
tests_unit_test_select_fgdx_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_select_fgdx_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_priority_SOURCES = tests/unit/test_priority.c
tests_unit_test_priority_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_priority_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_store_SOURCES = tests/unit/test_store.c $(STORE_FIXTURE)
tests_unit_test_store_CFLAGS = $(SCHED_UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = $(SCHED_UNIT_LDADD) $(SQLITE_LIBS) $(PTHREAD_LIBS)

STORE_FIXTURE = tests/unit/store_fixture.c tests/unit/store_fixture.h
tests_unit_test_store_usage_SOURCES = tests/unit/test_store_usage.c $(STORE_FIXTURE)
tests_unit_test_store_usage_CFLAGS = $(SCHED_UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_usage_LDADD = $(SCHED_UNIT_LDADD) $(SQLITE_LIBS)

tests_unit_test_job_json_SOURCES = tests/unit/test_job_json.c
tests_unit_test_job_json_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_job_json_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_jobspec_SOURCES = tests/unit/test_jobspec.c
tests_unit_test_jobspec_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_jobspec_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_qformat_SOURCES = tests/unit/test_qformat.c
tests_unit_test_qformat_CFLAGS = $(SCHED_UNIT_CFLAGS) -iquote $(srcdir)/sched/cmd
tests_unit_test_qformat_LDADD = sched/cmd/libcmd.la $(SCHED_UNIT_LDADD)

tests_unit_test_cmdutil_SOURCES = tests/unit/test_cmdutil.c
tests_unit_test_cmdutil_CFLAGS = $(SCHED_UNIT_CFLAGS) -iquote $(srcdir)/sched/cmd
tests_unit_test_cmdutil_LDADD = sched/cmd/libcmd.la $(SCHED_UNIT_LDADD)

tests_unit_test_sched_SOURCES = tests/unit/test_sched.c
tests_unit_test_sched_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_sched_LDADD = $(SCHED_UNIT_LDADD)

# MUNGE credentials, base64 and the exec service (launcher/hubd/exec_*).
UNIT_TESTS += tests/unit/test_auth tests/unit/test_base64 \
	tests/unit/test_exec_req tests/unit/test_exec_svc
noinst_HEADERS += tests/unit/munge_setup.h
EXEC_UNIT_CFLAGS = $(UNIT_CFLAGS) $(UV_CFLAGS) -iquote $(srcdir)/launcher/hubd

tests_unit_test_auth_SOURCES = tests/unit/test_auth.c tests/unit/munge_setup.c
tests_unit_test_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_auth_LDADD = $(UNIT_LDADD)

tests_unit_test_base64_SOURCES = tests/unit/test_base64.c
tests_unit_test_base64_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_base64_LDADD = $(UNIT_LDADD)

tests_unit_test_exec_req_SOURCES = tests/unit/test_exec_req.c \
	launcher/hubd/exec_req.c
tests_unit_test_exec_req_CFLAGS = $(EXEC_UNIT_CFLAGS)
tests_unit_test_exec_req_LDADD = $(UNIT_LDADD)

# Runs launcher/hub-jobstart (found through HUB_BUILDDIR).
tests_unit_test_exec_svc_SOURCES = tests/unit/test_exec_svc.c \
	tests/unit/munge_setup.c $(EXEC_SVC_SOURCES)
tests_unit_test_exec_svc_CFLAGS = $(EXEC_UNIT_CFLAGS)
tests_unit_test_exec_svc_LDADD = $(UNIT_LDADD) $(UV_LIBS) $(PTHREAD_LIBS)

# The unit tests alone (CI runs them under ASan+UBSan: scripts/test.sh
# --sanitizers).
check-unit:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(UNIT_TESTS)'
.PHONY: check-unit

# hubctld's translations for node agents, built from its source file.
UNIT_TESTS += tests/unit/test_ctld_nodes
tests_unit_test_ctld_nodes_SOURCES = tests/unit/test_ctld_nodes.c \
	sched/hubctld/agent_wire.c
tests_unit_test_ctld_nodes_CFLAGS = $(SCHED_UNIT_CFLAGS) $(UV_CFLAGS) \
	-iquote $(srcdir)/sched/hubctld
tests_unit_test_ctld_nodes_LDADD = $(SCHED_UNIT_LDADD)

# hubd's pure parts (environment, file names, limits, discovery), built
# from its source files.
UNIT_TESTS += tests/unit/test_hubd_env tests/unit/test_hubd_limits
HUBD_UNIT_CFLAGS = $(SCHED_UNIT_CFLAGS) $(UV_CFLAGS) \
	-iquote $(srcdir)/launcher/hubd
tests_unit_test_hubd_env_SOURCES = tests/unit/test_hubd_env.c \
	launcher/hubd/job_env.c launcher/hubd/job_paths.c
tests_unit_test_hubd_env_CFLAGS = $(HUBD_UNIT_CFLAGS)
tests_unit_test_hubd_env_LDADD = $(SCHED_UNIT_LDADD)
tests_unit_test_hubd_limits_SOURCES = tests/unit/test_hubd_limits.c \
	launcher/hubd/limits.c launcher/hubd/discover.c
tests_unit_test_hubd_limits_CFLAGS = $(HUBD_UNIT_CFLAGS)
tests_unit_test_hubd_limits_LDADD = $(SCHED_UNIT_LDADD)

# float <-> bf16/fp16 (libhubjob's half.c, compiled in: no MPI needed).
check_PROGRAMS += tests/unit/test_half
TESTS += tests/unit/test_half
tests_unit_test_half_SOURCES = tests/unit/test_half.c \
	launcher/hubjob/half.c launcher/hubjob/half.h
tests_unit_test_half_CFLAGS = $(UNIT_CFLAGS) -iquote $(srcdir)/launcher/hubjob
tests_unit_test_half_LDADD = $(CMOCKA_LIBS) -lm

# The checkpoint staging copy (libhubjob's pcopy.c, compiled in).
check_PROGRAMS += tests/unit/test_pcopy
TESTS += tests/unit/test_pcopy
tests_unit_test_pcopy_SOURCES = tests/unit/test_pcopy.c \
	launcher/hubjob/pcopy.c launcher/hubjob/pcopy.h
tests_unit_test_pcopy_CFLAGS = $(UNIT_CFLAGS) -iquote $(srcdir)/launcher/hubjob
tests_unit_test_pcopy_LDADD = $(CMOCKA_LIBS) -lpthread

# libhubjob's checkpoints on one rank (MPI singleton); many ranks and
# killed ranks are tests/mpi/ckpt_*.sh.
check_PROGRAMS += tests/unit/test_hubjob_ckpt
TESTS += tests/unit/test_hubjob_ckpt
tests_unit_test_hubjob_ckpt_SOURCES = tests/unit/test_hubjob_ckpt.c \
	tests/mpi/ckpt_fixture.c tests/mpi/ckpt_fixture.h \
	launcher/hubjob/crc32c.c launcher/hubjob/crc32c.h
tests_unit_test_hubjob_ckpt_CFLAGS = $(UNIT_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob -iquote $(srcdir)/tests/mpi
tests_unit_test_hubjob_ckpt_LDADD = launcher/hubjob/libhubjob.la \
	$(CMOCKA_LIBS) $(MPI_LIBS) $(PTHREAD_LIBS)

# libhubjob (one rank; MPI_Init works as a singleton without mpirun). As
# root, Open MPI wants the two variables below even for a singleton.
HUBJOB_UNIT_CFLAGS = $(UNIT_CFLAGS) $(MPI_CFLAGS) $(HDF5_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob
HUBJOB_UNIT_LDADD = launcher/hubjob/libhubjob.la $(UNIT_LDADD) \
	$(MPI_LIBS) $(HDF5_LIBS) -lm
HUBJOB_UNIT_TESTS = tests/unit/test_hubjob_env tests/unit/test_hubjob_metrics
check_PROGRAMS += $(HUBJOB_UNIT_TESTS)
TESTS += $(HUBJOB_UNIT_TESTS)
tests_unit_test_hubjob_env_SOURCES = tests/unit/test_hubjob_env.c
tests_unit_test_hubjob_env_CFLAGS = $(HUBJOB_UNIT_CFLAGS)
tests_unit_test_hubjob_env_LDADD = $(HUBJOB_UNIT_LDADD)
tests_unit_test_hubjob_metrics_SOURCES = tests/unit/test_hubjob_metrics.c
tests_unit_test_hubjob_metrics_CFLAGS = $(HUBJOB_UNIT_CFLAGS)
tests_unit_test_hubjob_metrics_LDADD = $(HUBJOB_UNIT_LDADD)
AM_TESTS_ENVIRONMENT += \
	OMPI_ALLOW_RUN_AS_ROOT=1; export OMPI_ALLOW_RUN_AS_ROOT; \
	OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM;

# The GPT model's layers against double-precision references and finite
# differences (benchmarks/gpt; needs OpenBLAS).
if HAVE_OPENBLAS
UNIT_TESTS += tests/unit/test_gpt_grad
tests_unit_test_gpt_grad_SOURCES = tests/unit/test_gpt_grad.c
tests_unit_test_gpt_grad_CFLAGS = $(UNIT_CFLAGS) $(openblas_CFLAGS) \
	-iquote $(srcdir)/benchmarks/gpt
tests_unit_test_gpt_grad_LDFLAGS = $(GPT_LINKFLAGS)
tests_unit_test_gpt_grad_LDADD = benchmarks/gpt/libgpt.la \
	launcher/hubjob/libhubjob.la $(UNIT_LDADD) $(openblas_LIBS) -lm

# The GPT model on a GPU against the CPU model (benchmarks/gpt/gpu.h);
# exits 77 (SKIP) where no CUDA device is visible.
if HAVE_NVCC
UNIT_TESTS += tests/unit/test_gpt_gpu
tests_unit_test_gpt_gpu_SOURCES = tests/unit/test_gpt_gpu.c
tests_unit_test_gpt_gpu_CFLAGS = $(UNIT_CFLAGS) $(openblas_CFLAGS) \
	-iquote $(srcdir)/benchmarks/gpt -iquote $(srcdir)/launcher/hubjob
tests_unit_test_gpt_gpu_LDFLAGS = $(GPT_LINKFLAGS)
tests_unit_test_gpt_gpu_LDADD = benchmarks/gpt/libgpt.la $(GPT_GPU_LDADD) \
	launcher/hubjob/libhubjob.la $(UNIT_LDADD) $(openblas_LIBS) -lm
endif
endif

# hsim: trace readers, replays worked out by hand, the inflation
# experiment and the select plugins it compares (link libhsim).
HSIM_UNIT_TESTS = tests/unit/test_hsim_trace tests/unit/test_hsim_replay \
	tests/unit/test_hsim_inflation
UNIT_TESTS += $(HSIM_UNIT_TESTS)
HSIM_UNIT_CFLAGS = $(SCHED_UNIT_CFLAGS) -iquote $(srcdir)/sched/hsim
HSIM_UNIT_LDADD = sched/hsim/libhsim.la $(SCHED_UNIT_LDADD)
tests_unit_test_hsim_trace_SOURCES = tests/unit/test_hsim_trace.c
tests_unit_test_hsim_trace_CFLAGS = $(HSIM_UNIT_CFLAGS)
tests_unit_test_hsim_trace_LDADD = $(HSIM_UNIT_LDADD)
tests_unit_test_hsim_replay_SOURCES = tests/unit/test_hsim_replay.c
tests_unit_test_hsim_replay_CFLAGS = $(HSIM_UNIT_CFLAGS)
tests_unit_test_hsim_replay_LDADD = $(HSIM_UNIT_LDADD)
tests_unit_test_hsim_inflation_SOURCES = tests/unit/test_hsim_inflation.c
tests_unit_test_hsim_inflation_CFLAGS = $(HSIM_UNIT_CFLAGS)
tests_unit_test_hsim_inflation_LDADD = $(HSIM_UNIT_LDADD)

# The job file reader of hub-report and hacct, hacct's MFU and Goodput
# cells, and hub-report's runs.
check_PROGRAMS += tests/unit/test_jobread_report
TESTS += tests/unit/test_jobread_report
tests_unit_test_jobread_report_SOURCES = tests/unit/test_jobread_report.c \
	sched/cmd/hacct_perf.c sched/cmd/hacct_perf.h \
	launcher/hubjob/report/report_text.c launcher/hubjob/report/report.h
tests_unit_test_jobread_report_CFLAGS = $(UNIT_CFLAGS) $(JOBREAD_CFLAGS) \
	-iquote $(srcdir)/sched/cmd
tests_unit_test_jobread_report_LDADD = launcher/hubjob/report/libjobread.la \
	$(UNIT_LDADD)

# hrun's layout: allocation sources, spares, placement, GPUs per rank.
check_PROGRAMS += tests/unit/test_hrun_layout
TESTS += tests/unit/test_hrun_layout
tests_unit_test_hrun_layout_SOURCES = tests/unit/test_hrun_layout.c \
	launcher/hrun/layout.c launcher/hrun/layout.h
tests_unit_test_hrun_layout_CFLAGS = $(UNIT_CFLAGS) \
	-iquote $(srcdir)/launcher/hrun
tests_unit_test_hrun_layout_LDADD = $(UNIT_LDADD)

# The queue's table form as text: frame writer, row writer, commands' reader.
check_PROGRAMS += tests/unit/test_queue_table
TESTS += tests/unit/test_queue_table
tests_unit_test_queue_table_SOURCES = tests/unit/test_queue_table.c
tests_unit_test_queue_table_CFLAGS = $(SCHED_UNIT_CFLAGS) \
	-iquote $(srcdir)/sched/cmd
tests_unit_test_queue_table_LDADD = sched/cmd/libcmd.la $(SCHED_UNIT_LDADD)

# hubsel/cost scoring and SLO filter, hubsel/local order, SLO refusal at
# submission.
UNIT_TESTS += tests/unit/test_hubsel
tests_unit_test_hubsel_SOURCES = tests/unit/test_hubsel.c
tests_unit_test_hubsel_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_hubsel_LDADD = $(SCHED_UNIT_LDADD) -lm

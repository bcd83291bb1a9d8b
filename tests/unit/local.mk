# tests/unit/local.mk - cmocka unit tests, one binary per module, TAP output.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
UNIT_LDADD = common/libhubcommon.la $(CMOCKA_LIBS) $(JANSSON_LIBS)
SCHED_UNIT_CFLAGS = $(UNIT_CFLAGS) -iquote $(srcdir)/sched \
	-iquote $(srcdir)/plugins/priority
SCHED_UNIT_LDADD = sched/libhubsched.la $(UNIT_LDADD) -lm

UNIT_TESTS = tests/unit/test_error tests/unit/test_rpc tests/unit/test_plugin \
	tests/unit/test_units tests/unit/test_hostlist tests/unit/test_conf \
	$(SCHED_UNIT_TESTS)
SCHED_UNIT_TESTS = tests/unit/test_cluster tests/unit/test_select_bestfit \
	tests/unit/test_priority tests/unit/test_store tests/unit/test_job_json \
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

tests_unit_test_priority_SOURCES = tests/unit/test_priority.c
tests_unit_test_priority_CFLAGS = $(SCHED_UNIT_CFLAGS)
tests_unit_test_priority_LDADD = $(SCHED_UNIT_LDADD)

tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(SCHED_UNIT_CFLAGS) $(SQLITE_CFLAGS)
tests_unit_test_store_LDADD = $(SCHED_UNIT_LDADD) $(SQLITE_LIBS) $(PTHREAD_LIBS)

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

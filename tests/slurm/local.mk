# tests/slurm/local.mk - tests against a real Slurm 22.05 that each test
# starts on localhost and stops again (root only; SKIP otherwise, and when
# Slurm cannot start here). One runs at a time (flock in slurm_lib.sh).
# slurm_spank.sh: the plugin's options, peaks, summary, and a plain job
# unchanged (single node, ~25 s); slurm_hrun.sh: hrun restarting a killed
# rank of a 4-node job (4 emulated nodes, ~30 s).
SLURM_TESTS = tests/slurm/slurm_spank.sh tests/slurm/slurm_hrun.sh
TESTS += $(SLURM_TESTS)
EXTRA_DIST += $(SLURM_TESTS) tests/slurm/slurm_lib.sh \
	tests/slurm/slurm_up.sh tests/slurm/slurm_down.sh

# The plugin's Slurm-free parts (option checks, GPU type and peaks), with
# cmocka; built with the plugin.
if HAVE_SLURM
check_PROGRAMS += tests/slurm/test_spank_opts
TESTS += tests/slurm/test_spank_opts
tests_slurm_test_spank_opts_SOURCES = tests/slurm/test_spank_opts.c \
	plugins/slurm/hubopt.c plugins/slurm/gpupeak.c
tests_slurm_test_spank_opts_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	-iquote $(srcdir)/plugins/slurm -iquote $(srcdir)/tests/unit
tests_slurm_test_spank_opts_LDADD = common/libhubcommon.la $(CMOCKA_LIBS)
endif

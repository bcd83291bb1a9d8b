# tests/integration/local.mk - integration tests: each script starts its
# own hubctld (ctld_*: virtual nodes; hubd_*: with node agents) in a temp
# dir and drives it with the user commands, speaking TAP
# (tests/integration/lib.sh).
INTEGRATION_TESTS = tests/integration/ctld_basic.sh \
	tests/integration/ctld_sched.sh \
	tests/integration/ctld_perms.sh \
	tests/integration/ctld_crash.sh \
	tests/integration/ctld_progress.sh \
	tests/integration/hubd_basic.sh \
	tests/integration/hubd_multi.sh \
	tests/integration/hubd_perms.sh \
	tests/integration/hubd_netns.sh
TESTS += $(INTEGRATION_TESTS)

EXTRA_DIST += tests/integration/lib.sh $(INTEGRATION_TESTS)

# rawsend: writes arbitrary bytes (garbage, lying frame headers) to a Unix
# socket, for ctld_crash.sh. Found by the tests in $HUB_BUILDDIR.
check_PROGRAMS += tests/integration/rawsend
tests_integration_rawsend_SOURCES = tests/integration/rawsend.c

# hsim on the public traces (skipped when ../shared/data is absent).
HSIM_INTEGRATION_TESTS = tests/integration/hsim_swf.sh \
	tests/integration/hsim_alibaba.sh
TESTS += $(HSIM_INTEGRATION_TESTS)
EXTRA_DIST += $(HSIM_INTEGRATION_TESTS)

# hrun under hubsched: a node's hubd killed, the spare node takes over.
INTEGRATION_TESTS += tests/integration/hrun_node.sh

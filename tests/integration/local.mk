# tests/integration/local.mk - integration tests: each script starts its
# own hubctld (virtual nodes) in a temp dir and drives it with the user
# commands, speaking TAP (tests/integration/lib.sh).
INTEGRATION_TESTS = tests/integration/ctld_basic.sh \
	tests/integration/ctld_sched.sh \
	tests/integration/ctld_perms.sh \
	tests/integration/ctld_crash.sh
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += tests/integration/lib.sh $(INTEGRATION_TESTS)

# rawsend: writes arbitrary bytes (garbage, lying frame headers) to a Unix
# socket, for ctld_crash.sh. Found by the tests in $HUB_BUILDDIR.
check_PROGRAMS += tests/integration/rawsend
tests_integration_rawsend_SOURCES = tests/integration/rawsend.c

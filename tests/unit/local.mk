# tests/unit/local.mk - cmocka unit tests, one binary per module, TAP output.
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JANSSON_CFLAGS)
UNIT_LDADD = common/libhubcommon.la $(CMOCKA_LIBS) $(JANSSON_LIBS)

UNIT_TESTS = tests/unit/test_error
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
noinst_HEADERS += tests/unit/cmocka_all.h

tests_unit_test_error_SOURCES = tests/unit/test_error.c
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)

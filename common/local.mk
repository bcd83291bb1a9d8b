# common/local.mk - libhubcommon: errors, logging, units, hostlists, hub.conf,
# RPC framing, the plugin loader, MUNGE credentials and base64.
lib_LTLIBRARIES += common/libhubcommon.la
common_libhubcommon_la_SOURCES = \
	common/error.c common/error.h \
	common/log.c common/log.h \
	common/units.c common/units.h \
	common/hostlist.c common/hostlist.h \
	common/conf.c common/conf.h common/conf_int.h common/conf_lex.c \
	common/conf_value.c common/conf_records.c common/conf_check.c \
	common/rpc.c common/rpc.h \
	common/plugin.c common/plugin.h \
	common/auth.c common/auth.h \
	common/base64.c common/base64.h
# munge_* are empty when configure found no libmunge (auth.c then stubs).
common_libhubcommon_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(munge_CFLAGS)
common_libhubcommon_la_LIBADD = $(JANSSON_LIBS) $(munge_LIBS) $(LIBS)
common_libhubcommon_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0

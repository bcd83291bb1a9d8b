# launcher/local.mk - the node side: hubd, hub-jobstart, hub-exec.

# The exec service, part of hubd (and of its unit test).
EXEC_SVC_SOURCES = \
	launcher/hubd/exec_svc.c launcher/hubd/exec_svc.h \
	launcher/hubd/exec_svc_int.h launcher/hubd/exec_conn.c \
	launcher/hubd/exec_proc.c launcher/hubd/exec_req.c \
	launcher/hubd/exec_req.h

bin_PROGRAMS += launcher/hub-exec
launcher_hub_exec_SOURCES = launcher/hub-exec.c
launcher_hub_exec_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
launcher_hub_exec_LDADD = common/libhubcommon.la $(JANSSON_LIBS)

# hub-jobstart: becomes the job's user and execs its program (hubd and the
# exec service run it); not for users, so it lives in libexec.
pkglibexec_PROGRAMS = launcher/hub-jobstart
launcher_hub_jobstart_SOURCES = launcher/jobstart.c
launcher_hub_jobstart_CFLAGS = $(AM_CFLAGS)

# hubd: the node agent. HUB_PKGLIBEXECDIR and HUB_BINDIR are where it
# looks for hub-jobstart and hub-exec once installed (hubd.c says the order).
HUBD_CFLAGS = $(AM_CFLAGS) -iquote $(srcdir)/sched \
	-iquote $(srcdir)/launcher/hubd $(UV_CFLAGS) $(JANSSON_CFLAGS) \
	-DHUB_PKGLIBEXECDIR='"$(pkglibexecdir)"' -DHUB_BINDIR='"$(bindir)"'
HUBD_SOURCES = \
	launcher/hubd/hubd.h launcher/hubd/ctl_link.c launcher/hubd/ctl_msgs.c \
	launcher/hubd/discover.c launcher/hubd/job.c launcher/hubd/job_run.c \
	launcher/hubd/job_env.c launcher/hubd/job_paths.c launcher/hubd/job_tmp.c \
	launcher/hubd/job_kill.c launcher/hubd/limits.c \
	launcher/hubd/proctrack.c launcher/hubd/procscan.c
sbin_PROGRAMS += launcher/hubd/hubd
launcher_hubd_hubd_SOURCES = launcher/hubd/hubd.c $(HUBD_SOURCES) \
	$(EXEC_SVC_SOURCES)
launcher_hubd_hubd_CFLAGS = $(HUBD_CFLAGS)
launcher_hubd_hubd_LDADD = sched/libhubsched.la common/libhubcommon.la \
	$(UV_LIBS) $(JANSSON_LIBS)

# plugins/comm/local.mk - libhubjob's collective backends (comm_plugin.h).
# comm/mpi is built into libhubjob (launcher/hubjob/local.mk lists it);
# comm/nccl is comm_nccl.so, built when configure found CUDA and NCCL. It
# exports only its descriptor; its MPI error wrapper is its own copy.
if HAVE_CUDA
pluginexec_LTLIBRARIES += plugins/comm/nccl/comm_nccl.la
plugins_comm_nccl_comm_nccl_la_SOURCES = plugins/comm/nccl/comm_nccl.c \
	plugins/comm/nccl/gpuerr.h plugins/comm/nccl/cudaerr.c \
	plugins/comm/nccl/ncclerr.c \
	launcher/hubjob/mpierr.c launcher/hubjob/mpierr.h
plugins_comm_nccl_comm_nccl_la_CFLAGS = $(AM_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob $(MPI_CFLAGS) $(CUDA_CFLAGS)
plugins_comm_nccl_comm_nccl_la_LDFLAGS = $(AM_LDFLAGS) -module \
	-avoid-version -export-symbols-regex '^hub_plugin$$'
plugins_comm_nccl_comm_nccl_la_LIBADD = common/libhubcommon.la \
	$(MPI_LIBS) $(CUDA_LIBS) $(NCCL_LIBS)
endif

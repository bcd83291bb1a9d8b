# tests/mpi/local.mk - tests that run MPI programs under mpirun (2 and 4
# ranks, oversubscribed), speaking TAP; programs are found by the scripts
# in $HUB_BUILDDIR.
MPI_TESTS =
TESTS += $(MPI_TESTS)
EXTRA_DIST += $(MPI_TESTS)

# Collectives (libhubjob's hub_comm_*): comm_check runs every check on host
# buffers (comm/mpi); comm_check_nccl, the same on device buffers
# (comm/nccl), is built when configure found CUDA and NCCL.
MPI_TESTS += tests/mpi/comm_mpi.sh tests/mpi/comm_select.sh \
	tests/mpi/comm_nccl.sh
EXTRA_DIST += tests/mpi/comm_lib.sh
check_PROGRAMS += tests/mpi/comm_check
COMM_CHECK_SOURCES = tests/mpi/comm_check.c tests/mpi/comm_check.h \
	launcher/hubjob/half.c launcher/hubjob/half.h
COMM_CHECK_CFLAGS = $(AM_CFLAGS) -iquote $(srcdir)/launcher/hubjob \
	-iquote $(srcdir)/tests/mpi $(MPI_CFLAGS)
tests_mpi_comm_check_SOURCES = $(COMM_CHECK_SOURCES) \
	tests/mpi/comm_buf_host.c
tests_mpi_comm_check_CFLAGS = $(COMM_CHECK_CFLAGS)
tests_mpi_comm_check_LDADD = launcher/hubjob/libhubjob.la $(MPI_LIBS) -lm
if HAVE_CUDA
check_PROGRAMS += tests/mpi/comm_check_nccl
tests_mpi_comm_check_nccl_SOURCES = $(COMM_CHECK_SOURCES) \
	tests/mpi/comm_buf_cuda.c
tests_mpi_comm_check_nccl_CFLAGS = $(COMM_CHECK_CFLAGS) $(CUDA_CFLAGS)
tests_mpi_comm_check_nccl_LDADD = launcher/hubjob/libhubjob.la \
	$(MPI_LIBS) $(CUDA_LIBS) -lm
endif

# Checkpoints (libhubjob's hub_ckpt_*): save/restore, fallback from torn
# or corrupted checkpoints, keep-K (ckpt_save.sh); a rank killed during a
# save and the request signal (ckpt_fail.sh). ckpt_prog runs the cases.
MPI_TESTS += tests/mpi/ckpt_save.sh tests/mpi/ckpt_fail.sh
EXTRA_DIST += tests/mpi/ckpt_lib.sh
check_PROGRAMS += tests/mpi/ckpt_prog
tests_mpi_ckpt_prog_SOURCES = tests/mpi/ckpt_prog.c \
	tests/mpi/ckpt_fixture.c tests/mpi/ckpt_fixture.h
tests_mpi_ckpt_prog_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob -iquote $(srcdir)/tests/mpi
tests_mpi_ckpt_prog_LDADD = launcher/hubjob/libhubjob.la $(PTHREAD_LIBS)

# libhubjob's job context, job file and progress record at 2 and 4 ranks
# (tests/mpi/hubjob_check.c driven by the scripts; h5dump reads the file).
MPI_TESTS += tests/mpi/hubjob_env.sh tests/mpi/hubjob_file.sh
EXTRA_DIST += tests/mpi/hubjob_lib.sh
check_PROGRAMS += tests/mpi/hubjob_check
tests_mpi_hubjob_check_SOURCES = tests/mpi/hubjob_check.c
tests_mpi_hubjob_check_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob
tests_mpi_hubjob_check_LDADD = launcher/hubjob/libhubjob.la $(MPI_LIBS)

# gpt-train end to end (benchmarks/gpt): learning, bitwise resume, 2 ranks
# against 1; skips where OpenBLAS was not found.
MPI_TESTS += tests/mpi/gpt_train.sh

# hub-report on a job file that hubjob_check writes (two runs).
MPI_TESTS += tests/mpi/hub_report.sh

# hrun without a scheduler (hostfile, labels, GPUs per rank, a killed and
# a stopped rank, failure loop, signals) and the acceptance case: gpt-train
# on 4 ranks killed at 5 random steps ends bitwise as an uninterrupted run.
# Both run benchmarks/bench_recovery_prog or gpt-train under hrun.
MPI_TESTS += tests/mpi/hrun_basic.sh tests/mpi/hrun_gpt.sh
EXTRA_DIST += tests/mpi/hrun_lib.sh

# benchmarks/gpt/local.mk - the GPT-2 style model trained on CPUs with
# OpenBLAS through libhubjob: libgpt (model, layers, optimiser, data,
# trainer), gpt-train (the training program), bench_gpt_mfu (MFU against
# the measured CPU peak). Built when configure found OpenBLAS (its
# variables are lower-case: openblas_CFLAGS, openblas_LIBS).
#
# Flags: the element-wise loops must vectorise, and a user's CFLAGS=-O2
# comes after ours, so vectorisation is asked for explicitly (an explicit
# -f flag outlives a later -O). -ffp-contract=off: no FMA contraction,
# so that every ISA clone of a loop gives the same bits. No -ffast-math:
# it reorders sums and would break run-to-run reproducibility.
# -fno-trapping-math lets the clamps in the exp kernel become selects
# (vectorisable); no program here enables FP traps.
if HAVE_OPENBLAS
GPT_CFLAGS = $(AM_CFLAGS) $(openblas_CFLAGS) $(MPI_CFLAGS) \
	-iquote $(srcdir)/launcher/hubjob -iquote $(srcdir)/benchmarks/gpt \
	-O3 -ftree-vectorize -fvect-cost-model=dynamic -fno-math-errno \
	-fno-trapping-math \
	-ffp-contract=off $(OPENMP_CFLAGS) $(GPT_GPU_CFLAGS)
GPT_LINKFLAGS = $(OPENMP_CFLAGS)
GPT_LDADD = benchmarks/gpt/libgpt.la $(GPT_GPU_LDADD) \
	launcher/hubjob/libhubjob.la common/libhubcommon.la $(openblas_LIBS) \
	$(MPI_LIBS) -lm

noinst_LTLIBRARIES += benchmarks/gpt/libgpt.la
benchmarks_gpt_libgpt_la_SOURCES = \
	benchmarks/gpt/model.c benchmarks/gpt/model.h \
	benchmarks/gpt/layers.c benchmarks/gpt/layers.h \
	benchmarks/gpt/rng.c benchmarks/gpt/rng.h \
	benchmarks/gpt/adamw.c benchmarks/gpt/adamw.h \
	benchmarks/gpt/data.c benchmarks/gpt/data.h \
	benchmarks/gpt/trainer.c benchmarks/gpt/state.c \
	benchmarks/gpt/trainer.h \
	benchmarks/gpt/report.c benchmarks/gpt/report.h \
	benchmarks/gpt/blas.c benchmarks/gpt/blas.h \
	benchmarks/gpt/accel.h
benchmarks_gpt_libgpt_la_CFLAGS = $(GPT_CFLAGS)

# The GPU path (gpu.h, accel.h), when configure found CUDA with nvcc and
# cuBLAS: the .cu files are compiled by nvcc (the suffix rule below) into
# a plain static library, without libtool, that the GPU-capable programs
# link right after libgpt (before the libraries both use: the linker
# only looks forward); accel_cuda.c, the trainer's side, is C in libgpt.
# -fPIC: the objects end up in PIE programs. Sources under a false
# conditional are still distributed (make dist), .cu files included.
if HAVE_NVCC
GPT_GPU_CFLAGS = -DGPT_GPU=1
GPT_GPU_LDADD = benchmarks/gpt/libgptgpu.a $(CUDA_LIBS) $(CUBLAS_LIBS) \
	-lstdc++
benchmarks_gpt_libgpt_la_SOURCES += benchmarks/gpt/accel_cuda.c
noinst_LIBRARIES += benchmarks/gpt/libgptgpu.a
benchmarks_gpt_libgptgpu_a_SOURCES = \
	benchmarks/gpt/gpu.h benchmarks/gpt/gpu_impl.h \
	benchmarks/gpt/gpu_err.cu benchmarks/gpt/gpu_kernels.cu \
	benchmarks/gpt/gpu_adamw.cu benchmarks/gpt/gpu_matmul.cu \
	benchmarks/gpt/gpu_model.cu benchmarks/gpt/gpu_passes.cu \
	plugins/comm/nccl/cudaerr.c plugins/comm/nccl/gpuerr.h
# cudaerr.c: the NCCL plugin's CUDA error wrapper, shared (plain C)
benchmarks_gpt_libgptgpu_a_CFLAGS = $(AM_CFLAGS) $(CUDA_CFLAGS) -fPIC
endif

noinst_PROGRAMS += benchmarks/gpt/gpt-train
benchmarks_gpt_gpt_train_SOURCES = benchmarks/gpt/train.c
benchmarks_gpt_gpt_train_CFLAGS = $(GPT_CFLAGS)
benchmarks_gpt_gpt_train_LDFLAGS = $(GPT_LINKFLAGS)
benchmarks_gpt_gpt_train_LDADD = $(GPT_LDADD)

BENCH_PROGS += benchmarks/gpt/bench_gpt_mfu
benchmarks_gpt_bench_gpt_mfu_SOURCES = benchmarks/gpt/bench_gpt_mfu.c
benchmarks_gpt_bench_gpt_mfu_CFLAGS = $(GPT_CFLAGS) -iquote $(srcdir)/benchmarks
benchmarks_gpt_bench_gpt_mfu_LDFLAGS = $(GPT_LINKFLAGS)
benchmarks_gpt_bench_gpt_mfu_LDADD = benchmarks/libbench.la $(GPT_LDADD)

BENCH_PROGS += benchmarks/gpt/bench_gpt_ckpt
benchmarks_gpt_bench_gpt_ckpt_SOURCES = benchmarks/gpt/bench_gpt_ckpt.c
benchmarks_gpt_bench_gpt_ckpt_CFLAGS = $(GPT_CFLAGS) -iquote $(srcdir)/benchmarks
benchmarks_gpt_bench_gpt_ckpt_LDFLAGS = $(GPT_LINKFLAGS)
benchmarks_gpt_bench_gpt_ckpt_LDADD = benchmarks/libbench.la $(GPT_LDADD)
endif
EXTRA_DIST += doc/gpt.md

# nvcc for .cu files (only the GPU path has any): host compiler $(CC),
# Hopper code + PTX by default (NVCC_GENCODE, configure), our warnings,
# -Werror with --enable-werror.
SUFFIXES = .cu
ARFLAGS = cr
GPT_NVCCFLAGS = -ccbin $(CC) -std=c++17 -O3 $(NVCC_GENCODE) \
	-Xcompiler -fPIC,-Wall,-Wextra,-Wno-unused-parameter $(NVCC_WERROR) \
	-I$(top_srcdir)/common -I$(srcdir)/benchmarks/gpt \
	-I$(srcdir)/plugins/comm/nccl
.cu.o:
	$(AM_V_GEN)$(MKDIR_P) $(@D) && \
	$(NVCC) $(GPT_NVCCFLAGS) $(NVCCFLAGS) -c -o $@ $<

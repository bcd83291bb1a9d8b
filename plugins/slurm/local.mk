# plugins/slurm/local.mk - the SPANK plugin spank_hub.so and its helper
# hub-jobsummary, built when configure found <slurm/spank.h>.
#
# The plugin is loaded by sbatch, srun, slurmd and slurmstepd: it links no
# libslurm (the loading process has the symbols), carries its own copy of
# the hub.conf parser (no libhubcommon, hence no jansson or MUNGE in
# Slurm's processes), exports only the SPANK symbols and is built without
# sanitizers (ASan cannot be loaded into a process that was not started
# with it). It is stamped with the Slurm release of the headers it was
# built against and Slurm refuses it under any other (doc/slurm.md).
# Installed into $(spankplugindir): `make install
# spankplugindir=/usr/lib/x86_64-linux-gnu/slurm-wlm` for Debian's own.
if HAVE_SLURM
spankplugindir = $(libdir)/slurm
spankplugin_LTLIBRARIES = plugins/slurm/spank_hub.la
plugins_slurm_spank_hub_la_SOURCES = plugins/slurm/spank_hub.c \
	plugins/slurm/hubopt.c plugins/slurm/hubopt.h \
	plugins/slurm/gpupeak.c plugins/slurm/gpupeak.h \
	plugins/slurm/summary.c plugins/slurm/summary.h \
	common/conf.c common/conf_lex.c common/conf_value.c \
	common/conf_records.c common/conf_check.c common/hostlist.c \
	common/units.c common/error.c
plugins_slurm_spank_hub_la_CFLAGS = \
	$(filter-out -fsanitize=% -fno-sanitize-recover=%,$(AM_CFLAGS)) \
	$(SLURM_CFLAGS) -DHUB_JOBSUMMARY='"$(pkglibexecdir)/hub-jobsummary"'
plugins_slurm_spank_hub_la_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex \
	'^(slurm_spank_.*|plugin_name|plugin_type|plugin_version|spank_plugin_version)$$'

pkglibexec_PROGRAMS += plugins/slurm/hub-jobsummary
plugins_slurm_hub_jobsummary_SOURCES = plugins/slurm/jobsummary.c
plugins_slurm_hub_jobsummary_CFLAGS = $(AM_CFLAGS) $(HDF5_CFLAGS)
plugins_slurm_hub_jobsummary_LDADD = $(HDF5_LIBS)
endif
EXTRA_DIST += doc/slurm.md

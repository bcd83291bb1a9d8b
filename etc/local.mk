# etc/local.mk - example configurations shipped with the sources.
dist_sysconf_DATA = etc/hub.conf.example
EXTRA_DIST += etc/hub.conf.local

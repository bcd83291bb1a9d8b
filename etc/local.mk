# etc/local.mk - example configuration shipped with the sources.

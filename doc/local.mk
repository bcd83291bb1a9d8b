# doc/local.mk - documentation shipped with the sources.

# doc/local.mk - documentation shipped with the sources.
EXTRA_DIST += doc/architecture.md doc/hub.conf.md doc/protocol.md doc/commands.md

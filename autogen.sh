#!/bin/sh
# autogen.sh - generate configure and Makefile.in (never committed).
set -e
cd "$(dirname "$0")"
autoreconf --force --install --verbose

#!/bin/sh
# setup.sh - install the Debian packages hubsched needs (idempotent,
# non-interactive, one `apt-get update`), then configure and build it out
# of tree. Usage: scripts/setup.sh [configure options...]
# The build directory is $HUB_BUILD (default: _build in the source tree).
# Set HUB_SKIP_APT=1 to skip the package step (packages already there).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/debian-packages.txt)

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        missing="$missing $p"
done
if [ -n "$missing" ] && [ "${HUB_SKIP_APT:-0}" != 1 ]; then
    echo "setup: installing:$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing
else
    echo "setup: all Debian packages present"
fi

[ -x configure ] && [ configure -nt configure.ac ] &&
    [ Makefile.in -nt Makefile.am ] || ./autogen.sh >/dev/null 2>&1
build=${HUB_BUILD:-$top/_build}
mkdir -p "$build"
cd "$build"
if [ ! -f config.status ] || [ "$#" -gt 0 ]; then
    "$top/configure" --enable-werror "$@"
fi
make -j"$(nproc)"

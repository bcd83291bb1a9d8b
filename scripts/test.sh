#!/bin/sh
# test.sh - set up a fresh Debian 12 machine (packages, build) and run the
# whole test suite: `make check` (unit, integration, MPI, Slurm and
# benchmark smoke tests; those whose prerequisite is missing SKIP).
#   scripts/test.sh               build in _build, run make check
#   scripts/test.sh --sanitizers  build in _build-san with ASan+UBSan and
#                                 run the unit tests there
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}

case "$mode" in
--sanitizers)
    HUB_BUILD="$top/_build-san" "$top/scripts/setup.sh" --enable-sanitizers
    build="$top/_build-san"
    ;;
"")
    "$top/scripts/setup.sh"
    build="$top/_build"
    ;;
*)
    echo "usage: scripts/test.sh [--sanitizers]" >&2
    exit 2
    ;;
esac

cd "$build"
target=check
[ "$mode" = --sanitizers ] && target=check-unit
# Print the failing logs so that a CI transcript says why.
if ! make -j"$(nproc)" $target; then
    for f in $(find . -name '*.trs' -exec grep -l -E ':test-result: (FAIL|ERROR)' {} +); do
        echo "==== ${f%.trs}.log"
        tail -n 60 "${f%.trs}.log"
    done
    exit 1
fi

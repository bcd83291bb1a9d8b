# comm_lib.sh - sourced by the comm_*.sh tests: Open MPI settings for CI
# (root, more ranks than cores), a temp dir to run in (libhubjob writes
# its job file to the current directory), and helpers that turn runs of
# comm_check into one TAP stream whose plan comes last.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
B=${HUB_BUILDDIR:-$(pwd)}
T=$(mktemp -d "${TMPDIR:-/tmp}/hub-comm.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
tap_count=0

# mpirun with the options every test needs: NP PROGRAM ARGS...
comm_mpirun() {
    np=$1
    shift
    mpirun --oversubscribe --timeout 300 -np "$np" "$@"
}

# One TAP line: ok|not ok, description.
tap() {
    tap_count=$((tap_count + 1))
    echo "$1 $tap_count - $2"
}

# Run comm_check under mpirun (NP PROGRAM ARGS...) and pass its TAP lines
# on, numbered; a run that fails without a failing line is one failure.
comm_checks() {
    comm_mpirun "$@" >"$T/out" 2>"$T/err"
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok - "*) tap ok "${line#ok - }" ;;
        "not ok - "*) tap "not ok" "${line#not ok - }" ;;
        esac
    done <"$T/out"
    sed 's/^/# /' "$T/err" | grep -v '^# *$' | head -40
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$T/out"; then
        tap "not ok" "mpirun -np $1 $2 exited $rc"
    fi
}

# Print the plan; exit 0 (the driver judges the lines).
tap_done() {
    echo "1..$tap_count"
    exit 0
}

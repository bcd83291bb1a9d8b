#!/bin/bash
# hubd_netns.sh - node agents on separate network "hosts": two network
# namespaces (hubt1 10.99.3.1, hubt2 10.99.3.2) on a bridge of their own
# (hubtbr0, the controller at 10.99.3.254), one hubd in each reaching
# hubctld over TCP with MUNGE credentials. A job runs on node2 (in its
# namespace), and mpirun runs a job's ranks in both namespaces through
# hub-exec, each node's Open MPI session directory in that node's job
# TMPDIR (sharing /tmp, two emulated nodes once raced to create the same
# one). Needs root, iproute2 and MUNGE; removes what it creates.
. "$HUB_SRCDIR/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
command -v ip >/dev/null 2>&1 || skip_all "needs iproute2"
why=$(need_munge 2>&1) || skip_all "needs MUNGE: $why"
command -v mpirun >/dev/null 2>&1 || skip_all "needs Open MPI's mpirun"

BR=hubtbr0 NET=10.99.3
for name in hubt1 hubt2; do
    [ -e "/run/netns/$name" ] && skip_all "namespace $name exists (another run?)"
done
ip link show "$BR" >/dev/null 2>&1 && skip_all "bridge $BR exists (another run?)"

made_ns= made_br=
teardown() {
    cleanup
    for name in $made_ns; do ip netns delete "$name" 2>/dev/null; done
    [ -n "$made_br" ] && ip link delete "$BR" 2>/dev/null
}
trap teardown EXIT

setup_net() {
    ip link add "$BR" type bridge || return 1
    made_br=1
    ip addr add "$NET.254/24" dev "$BR" && ip link set "$BR" up || return 1
    for i in 1 2; do
        ip netns add "hubt$i" || return 1
        made_ns="$made_ns hubt$i"
        ip link add "hubtv$i" type veth peer name eth0 netns "hubt$i" &&
            ip link set "hubtv$i" master "$BR" up &&
            ip -n "hubt$i" addr add "$NET.$i/24" dev eth0 &&
            ip -n "hubt$i" link set eth0 up &&
            ip -n "hubt$i" link set lo up || return 1
    done
}
setup_net 2>"$T/net.err" || skip_all "cannot make namespaces: $(head -1 "$T/net.err")"

plan 11
AGENT_ADDR="$NET.[1-2]" write_agent_conf 2
start_ctld --listen="$NET.254" --port="$CTLD_PORT" || exit 1
for i in 1 2; do
    HUBD_WRAP="ip netns exec hubt$i" start_hubd "node$i" \
        --controller="$NET.254:$CTLD_PORT" || exit 1
done
is "$(grep -c 'node node[12]: agent registered' "$T/ctld.log")" 2 \
    "both agents register"
is "$(cat "$T"/hubd-node[12].log | grep -c "controller at $NET.254:$CTLD_PORT")" 2 \
    "... with the controller over TCP (MUNGE)"
is "$(hinfo -N -h | awk '{print $3}' | sort -u)" idle "... both nodes are idle"

hcontrol update node node1 State=DRAIN Reason=netns-test
j=$(hbatch --parsable -o "$T/on2.out" --wrap 'echo "$HUB_NODE"; ip -4 -o addr show eth0')
is "$(wait_job "$j" 20)" COMPLETED "with node1 drained, a job runs and completes"
is "$(head -1 "$T/on2.out")" node2 "... on node2"
like "$(cat "$T/on2.out")" "inet $NET.2/24" "... inside node2's namespace"
hcontrol update node node1 State=RESUME

cat > "$T/hello.c" <<'EOF'
#include <dirent.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Whether Open MPI's session directory (ompi.*) is in TMPDIR. */
static const char *session_in_tmpdir(void)
{
    DIR *d = opendir(getenv("TMPDIR") ? getenv("TMPDIR") : "/nonexistent");
    struct dirent *e;
    const char *found = "no";
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, "ompi.", 5) == 0)
            found = "yes";
    if (d)
        closedir(d);
    return found;
}
int main(int argc, char **argv)
{
    int rank, size, sum = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d/%d on %s sum %d\n", rank, size, getenv("HUB_NODE"), sum);
    printf("tmp %s session %s\n", getenv("TMPDIR"), session_in_tmpdir());
    MPI_Finalize();
    return 0;
}
EOF
mpicc -o "$T/hello" "$T/hello.c" || exit 1
prog="$T/hello"
{
    echo '#!/bin/bash'
    echo '#SBATCH -N 2 -n 2'
    mpi_env
    echo "export OMPI_MCA_oob_tcp_if_include=$NET.0/24"
    echo "export OMPI_MCA_btl_tcp_if_include=$NET.0/24"
    echo "mpirun -np 2 $prog | sort"
    echo 'echo "mpirun rc $?"'
} > "$T/mpi.sh"
m=$(hbatch --parsable -o "$T/mpi.out" "$T/mpi.sh")
is "$(wait_job "$m" 30)" COMPLETED "a 2-node MPI job across the namespaces completes"
is "$(grep -c '^rank [01].* on node[12] sum 1$' "$T/mpi.out")" 2 \
    "... both ranks ran and their Allreduce agrees"
is "$(grep '^rank' "$T/mpi.out" | awk '{print $4}' | sort -u | tr '\n' ' ')" \
    "node1 node2 " "... one rank in each namespace"
is "$(sed -n 's/^mpirun rc //p' "$T/mpi.out")" 0 "... mpirun exited 0"
is "$(grep '^tmp' "$T/mpi.out" | sort | tr '\n' ' ')" \
    "tmp /tmp/hubjob.$m.node1 session yes tmp /tmp/hubjob.$m.node2 session yes " \
    "... each node's Open MPI session directory in that node's job TMPDIR"
[ "$tap_failed" = 0 ] || sed 's/^/# /' "$T/mpi.out"

done_testing

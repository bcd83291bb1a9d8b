#!/bin/bash
# hubd_multi.sh - hubctld and four node agents on this machine: a 2-node
# job gets both nodes, mpirun inside it reaches the second node through
# hub-exec; kill -9 of an agent ends its job NODE_FAIL within NodeTimeout
# and requeues a --requeue job elsewhere; kill -9 of the controller while
# jobs run: they finish and each is recorded once.
. "$HUB_SRCDIR/tests/integration/lib.sh"

why=$(need_munge 2>&1) || skip_all "needs MUNGE for hub-exec: $why"
command -v mpirun >/dev/null 2>&1 || skip_all "needs Open MPI's mpirun"

plan 21
write_agent_conf 4
start_ctld --port=0 || exit 1
for n in 1 2 3 4; do start_hubd node$n || exit 1; done
is "$(hinfo -N -h | awk '{print $3}' | sort -u)" idle "four agents: four idle nodes"

# ---- a 2-node job and MPI through hub-exec -------------------------------

cat > "$T/hello.c" <<'EOF'
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
    int rank, size, sum = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d/%d on %s sum %d\n", rank, size, getenv("HUB_NODE"), sum);
    MPI_Finalize();
    return 0;
}
EOF
hello=
command -v mpicc >/dev/null 2>&1 && mpicc -o "$T/hello" "$T/hello.c" 2>/dev/null &&
    hello="$T/hello"
{
    echo '#!/bin/bash'
    echo '#SBATCH -N 2 -n 2'
    mpi_env
    echo 'echo "nodelist $SLURM_JOB_NODELIST"'
    echo "mpirun -np 2 sh -c 'echo host \$HUB_NODE' | sort"
    echo 'echo "mpirun rc $?"'
    [ -n "$hello" ] && echo "mpirun -np 2 $hello | sort"
} > "$T/two.sh"
two=$(hbatch --parsable -o "$T/two.out" "$T/two.sh")
is "$(wait_job "$two" 30)" COMPLETED "a 2-node job with mpirun completes"
nodes=$(sed -n 's/^nodelist //p' "$T/two.out")
like "$nodes" '^node\[[1-4][-,][1-4]\]$' "... SLURM_JOB_NODELIST has two nodes ($nodes)"
want=$(hqueue -h -t all -j "$two" -o '%N')
is "$nodes" "$want" "... the nodes hqueue shows"
is "$(grep -c '^host node' "$T/two.out")|$(grep '^host' "$T/two.out" | sort -u | wc -l)" \
    "2|2" "mpirun -np 2 ran one process on each node (through hub-exec)"
is "$(sed -n 's/^mpirun rc //p' "$T/two.out")" 0 "... and exited 0"
if [ -n "$hello" ]; then
    is "$(grep -c '^rank [01]/2 on node[1-4] sum 1$' "$T/two.out")" 2 \
        "an MPI hello (mpicc) runs 2 ranks across the nodes, Allreduce right"
    is "$(grep '^rank' "$T/two.out" | awk '{print $4}' | sort -u | wc -l)" 2 \
        "... on two distinct nodes"
else
    ok 0 "# SKIP no mpicc"
    ok 0 "# SKIP no mpicc"
fi
[ "$tap_failed" = 0 ] || sed 's/^/# /' "$T/two.out"

# ---- kill -9 of an agent -------------------------------------------------

# A plain job and a --requeue job, each writing where it runs.
where='echo "$SLURM_RESTART_COUNT $HUB_NODE $$" >> '
a=$(hbatch --parsable -o /dev/null -c 8 --wrap "$where $T/a.where; sleep 300")
wait_for 15 test -s "$T/a.where"
node_a=$(awk '{print $2}' "$T/a.where")
# -c 8 fills a node, so the second job runs on another one; both
# nodes' agents are killed.
b=$(hbatch --parsable -o /dev/null --requeue -c 8 \
    --wrap "$where $T/b.where; sleep 300")
wait_for 15 test -s "$T/b.where"
node_b=$(awk '{print $2}' "$T/b.where")
ok $? "a plain job runs on $node_a, a --requeue job on $node_b"
t0=$(date +%s.%N)
stop_hubd "$node_a" -KILL
stop_hubd "$node_b" -KILL
is "$(wait_job "$a" 10)" NODE_FAIL "kill -9 of its agent: the job ends NODE_FAIL"
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
awk -v t="$took" 'BEGIN {exit !(t <= 3 + 3)}'
ok $? "... within NodeTimeout (3 s) + 3 s ($took s)"
is "$(node_state "$node_a")" down "... its node is down"
wait_for 15 sh -c "[ \$(wc -l < $T/b.where) -ge 2 ]"
second=$(sed -n 2p "$T/b.where")
like "$second" "^1 node[1-4] " "the --requeue job is requeued and runs again (restart 1)"
new_node=$(echo "$second" | awk '{print $2}')
[ "$new_node" != "$node_a" ] && [ "$new_node" != "$node_b" ]
ok $? "... on another node ($new_node)"
is "$(job_state "$b")" RUNNING "... and is RUNNING"

# The processes the dead agents left are killed by the next agent.
left_a=$(awk '{print $3}' "$T/a.where")
start_hubd "$node_a" || exit 1
[ "$node_b" != "$node_a" ] && { start_hubd "$node_b" || exit 1; }
wait_for 10 sh -c "! kill -0 $left_a 2>/dev/null"
ok $? "the restarted agent kills what the dead one left of its job"
wait_for 10 sh -c "[ \"\$(hinfo -N -h | awk '{print \$3}' | sort -u | grep -v mix | grep -v alloc)\" = idle ]"
ok $? "... and its node is up again"
hcancel "$b"
wait_job "$b" >/dev/null

# ---- kill -9 of the controller ---------------------------------------------

ids=
for i in 1 2 3 4 5 6; do
    ids="$ids $(hbatch --parsable -o "$T/k$i.out" \
        --wrap "sleep \$((1 + $i % 3)); echo ran")"
done
wait_for 15 sh -c "[ \$(hqueue -h -t R -o %i | wc -l) -ge 4 ]"
ok $? "jobs run ($(hqueue -h -t R -o %i | wc -l) of 6)"
stop_ctld -KILL
sleep 2 # some jobs end while the controller is down
start_ctld --port=0 || exit 1
for id in $ids; do wait_job "$id" 30 >/dev/null; done
is "$(for id in $ids; do job_state "$id"; done | sort -u)" COMPLETED \
    "after kill -9 and restart of hubctld, every job completes"
is "$(hacct -n -P -o jobid | grep -cxE "$(echo $ids | tr ' ' '|')")" 6 \
    "... and hacct records each exactly once"
is "$(cat $(for i in 1 2 3 4 5 6; do echo "$T/k$i.out"; done) | grep -c '^ran$')" 6 \
    "... each ran exactly once"

done_testing

#!/bin/bash
# hrun_node.sh - hrun under hubsched, speaking TAP: four emulated nodes
# (four hubd on this machine), a 4-node job whose hrun holds one node as
# a spare (--spare-nodes=1) and runs 3 ranks; kill -9 of the hubd of a
# node with ranks: hrun sees the node lost (its launch agent, hub-exec,
# dies; the controller holds the node without an agent), tears down,
# puts the spare in its place and the job completes there.
# NodeTimeout is raised so that the controller does not end the job for
# the dead node first (doc/hrun.md, "Limits").
. "$HUB_SRCDIR/tests/integration/lib.sh"

why=$(need_munge 2>&1) || skip_all "needs MUNGE for hub-exec: $why"
command -v mpirun >/dev/null 2>&1 || skip_all "needs Open MPI's mpirun"
PROG="$HUB_BUILDDIR/benchmarks/bench_recovery_prog"
HRUN="$HUB_BUILDDIR/launcher/hrun/hrun"
[ -x "$PROG" ] && [ -x "$HRUN" ] || skip_all "hrun or bench_recovery_prog not built"

plan 5
write_agent_conf 4
sed -i 's/^NodeTimeout=.*/NodeTimeout=300/' "$HUB_CONF"
start_ctld --port=0 || exit 1
for n in 1 2 3 4; do start_hubd node$n || exit 1; done

{
    echo '#!/bin/bash'
    echo '#SBATCH -N 4 -n 4'
    mpi_env
    echo "export HUB_CPU_PEAK_FLOPS=1e10 HUB_FLUSH_SECONDS=0.2"
    echo "export HUB_JOB_FILE=$T/job.h5 HUB_CKPT_DIR=$T/ckpt"
    echo 'echo "nodelist $SLURM_JOB_NODELIST"'
    echo "exec $HRUN -v --ntasks-per-node 1 --spare-nodes 1 --timeline $T/tl \\"
    echo "    $PROG --steps 300 --step-ms 20 --ckpt-every 10"
} > "$T/job.sh"
id=$(hbatch --parsable -o "$T/job.out" "$T/job.sh")
wait_for 60 sh -c "grep -q '^step=[2-9][0-9]' $T/job.h5.progress 2>/dev/null"
ok $? "a 4-node job runs hrun with 3 ranks and one spare node"
# the node of rank 1 (node2: nodes fill in order, node4 is the spare)
victim=node2
diag "kill -9 of $victim's hubd at step $(sed -n 's/^step=//p' "$T/job.h5.progress")"
stop_hubd $victim -KILL
is "$(wait_job "$id" 120)" COMPLETED "kill -9 of a node's hubd: the job completes"
grep -q "node $victim lost: spare node node4 takes its place" "$T/job.out"
ok $? "hrun names the lost node and the spare that takes its place"
grep -q '"resume_step":[1-9]' "$T/tl"
ok $? "the relaunched ranks resumed from a checkpoint"
grep -q '^state-hash' "$T/job.out"
ok $? "the job ran to its last step"
grep "^hrun" "$T/job.out" | sed "s/^/# /"
[ "$tap_failed" = 0 ] || { diag "job output:"; sed "s/^/# /" "$T/job.out" | tail -40; }
done_testing

#!/bin/bash
# hubd_perms.sh - jobs of unprivileged users on node agents run by root:
# a job runs as its user and its files are the user's; the user cannot
# cancel another user's job, nor start processes through the exec service
# (hub-exec) on a node outside its job or in another user's job. Needs
# root (creates users hubtest3 and hubtest4) and MUNGE.
. "$HUB_SRCDIR/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (creates users hubtest3/4)"
command -v runuser >/dev/null 2>&1 && command -v useradd >/dev/null 2>&1 ||
    skip_all "needs runuser and useradd"
why=$(need_munge 2>&1) || skip_all "needs MUNGE for hub-exec: $why"

# Not ctld_perms.sh's users: the two tests may run at the same time.
created=
for u in hubtest3 hubtest4; do
    if ! id "$u" >/dev/null 2>&1; then
        useradd -M -N -s /usr/sbin/nologin "$u" || skip_all "useradd $u failed"
        created="$created $u"
    fi
done
remove_users() {
    cleanup
    for u in $created; do userdel "$u" 2>/dev/null; done
}
trap remove_users EXIT

# as USER DIR CMD...: run CMD as USER in DIR.
as() {
    _u=$1 _d=$2; shift 2
    (cd "$_d" && runuser -u "$_u" -- env PATH="$PATH" HUB_SOCKET="$HUB_SOCKET" \
        HUB_CONF="$HUB_CONF" "$@")
}
as hubtest3 / hqueue --help >/dev/null 2>&1 ||
    skip_all "hubtest3 cannot run the build's commands (directory modes?)"

plan 14
write_agent_conf 3
start_ctld --port=0 || exit 1
for n in 1 2 3; do start_hubd node$n || exit 1; done
for u in hubtest3 hubtest4; do
    install -d -o "$u" -m 0755 "$T/$u"
done
uid3=$(id -u hubtest3)

# hubtest4's job fills a node.
x=$(as hubtest4 "$T/hubtest4" hbatch --parsable -c 8 -o x.out \
    --wrap 'echo $HUB_NODE > where; sleep 300')
wait_for 15 test -s "$T/hubtest4/where"
node_x=$(cat "$T/hubtest4/where")
is "$(job_state "$x")" RUNNING "hubtest4's job runs on $node_x"

# hubtest3's job: who it is, its files, and the exec service.
cat > "$T/hubtest3/job.sh" <<EOF
#!/bin/sh
echo "uid \$(id -u) user \$(id -un)"
touch made
for n in node1 node2 node3; do
    [ "\$n" = "\$HUB_NODE" ] || [ "\$n" = $node_x ] || outside=\$n
done
echo "own \$("\$HUB_EXEC" "\$HUB_NODE" id -u 2>&1) rc \$?"
out=\$("\$HUB_EXEC" "\$outside" id -u 2>&1)
echo "outside \$outside rc \$? \$out"
out=\$(HUB_JOB_ID=$x "\$HUB_EXEC" $node_x id -u 2>&1)
echo "other rc \$? \$out"
EOF
y=$(as hubtest3 "$T/hubtest3" hbatch --parsable -o y.out job.sh)
is "$(wait_job "$y" 30)" COMPLETED "hubtest3's job completes"
is "$(hqueue -h -t all -j "$y" -o '%u')" hubtest3 "... it is hubtest3's"
y_out=$(cat "$T/hubtest3/y.out")
like "$y_out" "uid $uid3 user hubtest3" "... and ran as hubtest3"
is "$(stat -c %U "$T/hubtest3/y.out")" hubtest3 "... its output file is hubtest3's"
is "$(stat -c %U "$T/hubtest3/made")" hubtest3 "... so is a file it made"
like "$y_out" "own $uid3 rc 0" \
    "hub-exec to its own node runs as hubtest3"
like "$y_out" "outside node[1-3] rc 255 .*not running on node" \
    "hub-exec to a node outside its job is refused"
like "$y_out" "other rc 255 .*uid $uid3 may not start processes in job $x" \
    "hub-exec into hubtest4's job on its node is refused"
[ "$tap_failed" = 0 ] || echo "$y_out" | sed 's/^/# /'

err=$(as hubtest3 / hcancel "$x" 2>&1)
is $? 1 "hubtest3 cannot cancel hubtest4's running job"
like "$err" "Permission denied" "... Permission denied"
is "$(job_state "$x")" RUNNING "... it still runs"
as hubtest4 / hcancel "$x"
is "$(wait_job "$x")" CANCELLED "its owner cancels it"
is "$(stat -c %U "$T/hubtest4/x.out")" hubtest4 "... its output file is hubtest4's"

done_testing

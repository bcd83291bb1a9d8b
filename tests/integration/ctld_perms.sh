#!/bin/bash
# ctld_perms.sh - who may do what (doc/protocol.md): two users, hubtest1
# and hubtest2, against one controller run by root. Needs root, to make
# the users and to run commands as them.
. "$HUB_SRCDIR/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (creates users hubtest1/2)"
command -v runuser >/dev/null 2>&1 && command -v useradd >/dev/null 2>&1 ||
    skip_all "needs runuser and useradd"

created=
for u in hubtest1 hubtest2; do
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

# as USER CMD...: run CMD as USER, in a directory USER may enter.
as() {
    _u=$1; shift
    (cd / && runuser -u "$_u" -- env PATH="$PATH" HUB_SOCKET="$HUB_SOCKET" \
        HUB_CONF="$HUB_CONF" "$@")
}
# The build's binaries must be reachable by the test users.
as hubtest1 hqueue --help >/dev/null 2>&1 ||
    skip_all "hubtest1 cannot run the build's commands (directory modes?)"

plan 35
write_conf "Operators=hubtest_nosuch"
start_ctld --virtual-nodes || exit 1

# ---- a user's job and another user -------------------------------------

j=$(as hubtest1 hbatch --parsable --hold -J mine --wrap true)
like "$j" '^[0-9]+$' "hubtest1 submits a job"
is "$(hqueue -h -j "$j" -o '%u %T %r')" "hubtest1 PENDING JobHeldUser" \
    "... it belongs to hubtest1"
is "$(as hubtest2 hqueue -h -o '%i %u')" "$j hubtest1" \
    "hubtest2's hqueue shows hubtest1's job"

err=$(as hubtest2 hcancel "$j" 2>&1)
is $? 1 "hubtest2 cannot cancel hubtest1's job"
like "$err" "job id $j: Permission denied" "... Permission denied"
err=$(as hubtest2 hcontrol release "$j" 2>&1)
is $? 1 "hubtest2 cannot release it"
like "$err" "Permission denied" "... Permission denied"
err=$(as hubtest2 hcontrol update job "$j" TimeLimit=5 2>&1)
is $? 1 "hubtest2 cannot update it"
like "$err" "Permission denied" "... Permission denied"
err=$(as hubtest2 hcancel -u hubtest1 2>&1)
is $? 1 "hcancel -u hubtest1 as hubtest2 fails"
like "$err" "Permission denied" "... Permission denied"
is "$(hqueue -h -j "$j" -o '%T %r %l')" "PENDING JobHeldUser 1:00:00" \
    "the job is untouched"

j2=$(as hubtest1 env HUB_VIRTUAL_RUNTIME=60 hbatch --parsable -J running \
    --wrap true)
wait_for 10 sh -c "[ \"\$(hqueue -h -j $j2 -o %T)\" = RUNNING ]"
ok $? "hubtest1's second job runs"
err=$(as hubtest2 hcontrol hold "$j" 2>&1)
is $? 1 "hubtest2 cannot hold hubtest1's job"
as hubtest2 hcancel "$j2" >/dev/null 2>&1
is $? 1 "hubtest2 cannot cancel hubtest1's running job"
is "$(job_state "$j2")" RUNNING "... it still runs"

# ---- what hcontrol show job reveals ------------------------------------

is "$(as hubtest1 hcontrol show job "$j" | grep -c 'Command=')" 1 \
    "the owner sees the job's command"
is "$(hcontrol show job "$j" | grep -c 'Command=')" 1 "root does too"
show=$(as hubtest2 hcontrol show job "$j")
like "$show" "JobId=$j JobName=mine" "hubtest2 sees the job..."
is "$(echo "$show" | grep -cE 'Command=|WorkDir=')" 0 \
    "... but not its command or working directory"

# ---- the owner and root ------------------------------------------------

as hubtest1 hcontrol update job "$j" TimeLimit=30
is "$(hqueue -h -j "$j" -o '%l')" 30:00 "the owner may lower the time limit"
as hubtest1 hcancel "$j2"
ok $? "the owner cancels its own running job"
is "$(job_state "$j2")" CANCELLED "... CANCELLED"
is "$(as hubtest2 hacct -a -n -P -j "$j2" -o jobid,user,state)" \
    "$j2|hubtest1|CANCELLED" "hubtest2's hacct -a shows hubtest1's ended job"
is "$(as hubtest2 hacct -n -P -o jobid | grep -cx "$j2")" 0 \
    "... plain hacct shows only hubtest2's own"
j3=$(as hubtest2 hbatch --parsable --hold --wrap true)
hcancel "$j3"
ok $? "root cancels hubtest2's job"
is "$(job_state "$j3")" CANCELLED "... CANCELLED"

# ---- nodes and configuration are for root and operators ------------------

err=$(as hubtest1 hcontrol update node node1 State=DRAIN Reason=mine 2>&1)
is $? 1 "a user cannot drain a node"
like "$err" "only root or an operator" "... saying who may"
like "$(hinfo -N | grep '^node1')" "idle" "... node1 is still idle"
as hubtest1 hcontrol reconfigure >/dev/null 2>&1
is $? 1 "a user cannot reconfigure"

# ---- an operator -------------------------------------------------------

write_conf "Operators=hubtest2"
hcontrol reconfigure
as hubtest2 hcancel "$j"
ok $? "after Operators=hubtest2 and reconfigure, hubtest2 cancels hubtest1's job"
is "$(job_state "$j")" CANCELLED "... CANCELLED"
as hubtest2 hcontrol update node node1 State=DRAIN Reason=op
ok $? "the operator drains a node"
as hubtest2 hcontrol update node node1 State=RESUME
like "$(hinfo -N | grep '^node1')" "idle" "... and resumes it"

done_testing

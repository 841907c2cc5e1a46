# test-workflow.sh: the service workflow's connection procedure, connection
# work and disconnection (issue 4), with real processes on 127.0.0.1: a
# throwaway CA, rsgate-hub, rsgate-ap (admin socket), an echo device, and
# the engineers' and the hospital's commands.
#  - R14: a request needs a ticket and a reason; R29: view-phi a purpose;
#  - R11/R12: request -> the hospital approves at the AP (admin socket) ->
#    the AP-signed grant reaches the hub -> the tunnel works; R38: both
#    sides keep the ticket and audit every step;
#  - refusals: no approval yet; an approval that widens the request; a
#    denied ticket; another device or capability than granted; a second
#    session on the device (R22); idle timeout (R25); the window's end /
#    expiry (R26); the kill switch, streams gone within 5 s (R24); close by
#    the engineer; a deactivated engineer, streams gone within 10 s (R5);
#  - R13: emergency access granted at once, flagged, shown as unconfirmed
#    until the hospital confirms; standing policy approves by itself (R12 b);
#  - a forged or altered grant is refused by signature: tests/unit/
#    test-grant.c (the hub's check, grant_verify);
#  - both audit logs verify at the end (R36).
. "$RSG_SRC/tests/integration/lib.sh"

TCP=$RSG_BUILD/tcpclient
cd "$T" || exit 1


"$RSGATE" pki init --dir ca --name "Workflow Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out sato >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Ken Ito" --out ito >/dev/null &&
"$RSGATE" pki issue --dir ca --role admin --name "Admin Yamada" --out admin >/dev/null ||
    { fail "test PKI"; finish; }

echo_start || finish

hub_conf hub.conf
cat >>hub.conf <<CONF
crl ca/crl.pem
engineer "Hanako Sato"
engineer "Ken Ito"
heartbeat 1s
dead_after 5s
CONF
hub_start hub.conf || finish

ap_conf ap.conf ap1
cat >>ap.conf <<CONF
crl ca/crl.pem
device "ct-01 site=radiology model=Acme-CT-9000"
service "ct-01 remote-shell 127.0.0.1:$ECHOPORT"
service "ct-01 remote-desktop 127.0.0.1:$ECHOPORT"
device "mri-01 model=Acme-MR"
service "mri-01 remote-shell 127.0.0.1:$ECHOPORT"
allow "engineer=Ken Ito; device=mri-01; service=remote-shell; max=1h"
admin_socket $T/ap.sock
emergency_access yes
idle_timeout 3s
sessions_per_device 1
heartbeat 1s
dead_after 5s
reconnect_max 2s
CONF
ap_start ap.conf || finish
expect_mode ap.sock 660 "admin socket is 0660"

for who in sato ito admin; do
	engineer_conf $who
done
SATO="$RSGATE -c sato.conf"
ITO="$RSGATE -c ito.conf"
APC="$RSGATE ap"

# wait_state T STATE: the hub's record of T reaches STATE, an ERE (10 s).
# An ended ticket moves on to purged once its data is destroyed (R44).
wait_state() {
	i=0
	while [ $i -lt 50 ]; do
		$SATO ticket show "$1" --json >state.json 2>/dev/null
		grep -Eq "\"state\": \"($2)\"" state.json && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# connect_start TAG ARGS...: `rsgate connect` on an ephemeral port.
connect_start() {
	tag=$1
	shift
	"$RSGATE" "$@" --listen 127.0.0.1:0 >"$tag.out" 2>"$tag.err" &
	CPID=$!
	PIDS="$PIDS $CPID"
	wait_line "$tag.out" '^listening on' || { fail "$tag: connect did not listen"; cat "$tag.err" >&2; return 1; }
	LPORT=$(port_of "$tag.out" "")
}
# try_stream TAG PATTERN DESC ARGS...: one stream that must be refused.
try_stream() {
	tag=$1
	pat=$2
	desc=$3
	shift 3
	connect_start "$tag" "$@" || return
	printf 'x\n' | "$TCP" -t 10 127.0.0.1 "$LPORT" >"$tag.reply" 2>&1
	wait_line "$tag.err" 'refused' 50
	expect_grep "$tag.err" "$pat" "$desc"
	expect_no_grep "$tag.reply" '^x$' "$desc: nothing reached the device"
	kill "$CPID"
}
# hold_stream TAG SECS ARGS...: a stream kept open (and quiet) SECS.
hold_stream() {
	tag=$1
	secs=$2
	shift 2
	connect_start "$tag" "$@" || return
	(printf 'ping\n'; sleep "$secs") | "$TCP" -t 60 127.0.0.1 "$LPORT" \
	    >"$tag.reply" 2>&1 &
	HOLD=$!
	wait_line "$tag.out" 'open:' 50 || fail "$tag: stream did not open"
}
# talk_stream TAG SECS ARGS...: a stream that sends a line every 0.5 s.
talk_stream() {
	tag=$1
	secs=$2
	shift 2
	connect_start "$tag" "$@" || return
	(i=0; while [ $i -lt $((secs * 2)) ]; do echo tick; sleep 0.5;
	    i=$((i + 1)); done) | "$TCP" -t 60 127.0.0.1 "$LPORT" \
	    >"$tag.reply" 2>&1 &
	HOLD=$!
	wait_line "$tag.out" 'open:' 50 || fail "$tag: stream did not open"
}
now_ms() { date +%s%3N; }

# --- the request (R14, R29) ------------------------------------------------------
expect_exit 2 "request without a reason (R14)" -- $SATO request --ticket T-100 \
    --device ct-01 --capabilities remote-shell --duration 10m
expect_grep "$T/err" 'reason is required' "R14: reason required"
expect_exit 2 "request without a ticket (R14)" -- $SATO request --device ct-01 \
    --capabilities remote-shell --duration 10m --reason "fix"
expect_exit 1 "view-phi without a purpose (R29)" -- $SATO request --ticket T-101 \
    --device ct-01 --capabilities view-phi --duration 10m --reason "images"
expect_grep "$T/err" 'purpose.*R29' "R29: purpose required for view-phi"
expect_exit 0 "request T-100" -- $SATO request --ticket T-100 --device ct-01 \
    --capabilities remote-shell --duration 10m --reason "CT error E-231"
expect_grep "$T/out" 'T-100 requested' "request acknowledged"
wait_line ap.out 'T-100.*waiting for approval' 50
expect_grep ap.out 'ticket T-100: "Hanako Sato" requests ct-01 \(remote-shell\)' "AP shows the request (R38)"
expect_exit 0 "ap pending" -- $APC pending -c ap.conf
expect_grep "$T/out" '^T-100 +requested +ct-01 +Hanako Sato' "ap pending lists T-100"
expect_exit 2 "ap pending without a socket" -- $APC pending
# Peer credentials: a user who is not root, the AP's user or in admin_users
# is refused and audited even when the socket's mode would let them in.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 711 "$T"
	chmod 666 ap.sock
	expect_exit 1 "a stranger on the admin socket" -- setpriv --reuid=65534 \
	    --regid=65534 --clear-groups $APC pending --socket "$T/ap.sock"
	expect_grep "$T/err" 'not allowed' "stranger refused by peer credentials"
	chmod 660 ap.sock
	chmod 700 "$T"
	wait_line ap.err 'admin socket: .*uid 65534' 30
	expect_grep ap.err 'is not root, the access point.s user or in admin_users' \
	    "the refusal is logged"
fi

# --- no approval yet: refused -------------------------------------------------------
try_stream noappr 'refused by the hub.*T-100 is requested' "no approval: refused" \
    -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell

# --- an approval may narrow, never widen ----------------------------------------------
expect_exit 1 "approval widening capabilities" -- $APC approve T-100 -c ap.conf \
    --capabilities remote-shell,remote-desktop
expect_grep "$T/err" 'widens' "widening refused with the guard's reason"
expect_exit 1 "approval widening the duration" -- $APC approve T-100 -c ap.conf \
    --duration 2h
expect_exit 0 "approve T-100 for 5m" -- $APC approve T-100 -c ap.conf --duration 5m
expect_grep "$T/out" 'T-100 approved' "approve says so"
wait_state T-100 approved && ok || fail "hub did not record the approval"
expect_grep state.json '"approver": "root|"approver": "[a-z]' "approver recorded at the hub"
# What was asked stays on record beside what was granted (R27).
expect_grep state.json '"duration_s": 600' "the hub keeps the requested length"
$SATO ticket show T-100 >show.txt 2>/dev/null
expect_grep show.txt '^requested: +remote-shell for 600s' "ticket show: the request as made"
$SATO ticket show T-100 --grant >grant.txt 2>/dev/null
expect_grep grant.txt '"kind": ?"rsgate.grant.v1"' "hub keeps the AP-signed grant"
# A grant stands as issued: approving again would re-sign it with all
# that was first requested (R27); refused and audited.
expect_exit 1 "a second approval of T-100" -- $APC approve T-100 -c ap.conf
expect_grep "$T/err" 'already approved' "the grant stands as issued"

# --- request -> approve -> tunnel --------------------------------------------------------
connect_start ok1 -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell
printf 'hello through the grant\n' | "$TCP" -t 10 127.0.0.1 "$LPORT" >ok1.reply 2>&1
expect_grep ok1.reply '^hello through the grant$' "tunnel under the grant works"
wait_line ok1.out 'closed' 50
kill "$CPID"
wait_state T-100 active && ok || fail "ticket not active after the first stream"

# --- only what was granted: device, capability; one session per device (R22) --------------
try_stream othercap 'refused by the hub.*does not grant remote-desktop' \
    "another capability refused" \
    -c sato.conf connect --ticket T-100 --device ct-01 --service remote-desktop
try_stream otherdev 'refused by the hub.*grants device ct-01, not mri-01' \
    "another device refused" \
    -c sato.conf connect --ticket T-100 --device mri-01 --service remote-shell
try_stream otheng 'refused by the hub.*another engineer' \
    "another engineer refused" \
    -c ito.conf connect --ticket T-100 --device ct-01 --service remote-shell
hold_stream held1 2 -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell
H1=$CPID
try_stream second 'refused by the access point.*sessions_per_device' \
    "a second session on the device refused (R22)" \
    -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell
wait "$HOLD"
kill "$H1"

# --- idle timeout (R25) ---------------------------------------------------------------------
hold_stream idle 30 -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell
IDLEPID=$CPID
t0=$(now_ms)
if wait_line idle.out 'closed' 100; then
	dt=$(( $(now_ms) - t0 ))
	if [ "$dt" -ge 1500 ]; then ok; else fail "idle stream ended too early (${dt} ms)"; fi
else
	fail "idle stream not ended by the idle timeout (R25)"
fi
expect_grep ap.err 'idle timeout' "AP names the idle timeout"
kill "$HOLD" 2>/dev/null
kill "$IDLEPID"

# --- the kill switch (R24): streams gone within 5 s ------------------------------------------
hold_stream kill 30 -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell
KPID=$CPID
expect_exit 0 "ap sessions" -- $APC sessions -c ap.conf
expect_grep "$T/out" 'Hanako Sato +ct-01 +remote-shell +T-100' "ap sessions shows who is connected (R23)"
t0=$(now_ms)
expect_exit 0 "ap terminate T-100" -- $APC terminate T-100 -c ap.conf --reason "kill switch test"
if wait_line kill.out 'closed' 50; then
	dt=$(( $(now_ms) - t0 ))
	if [ "$dt" -le 5000 ]; then ok; else fail "terminate took ${dt} ms (R24: 5 s)"; fi
else
	fail "stream still open 5 s after terminate (R24)"
fi
kill "$HOLD" 2>/dev/null
kill "$KPID"
expect_exit 0 "ap sessions after terminate" -- $APC sessions -c ap.conf
expect_grep "$T/out" '^no sessions' "no session left after terminate"
wait_state T-100 'terminated|purged' && ok || fail "hub did not record the termination"
try_stream afterterm 'refused by the hub.*T-100 is terminated' "after terminate: refused" \
    -c sato.conf connect --ticket T-100 --device ct-01 --service remote-shell
expect_exit 1 "approve after terminate" -- $APC approve T-100 -c ap.conf
expect_grep "$T/err" 'illegal transition' "illegal transition refused"

# --- denied --------------------------------------------------------------------------------------
expect_exit 0 "request T-200" -- $SATO request --ticket T-200 --device ct-01 \
    --capabilities remote-shell --duration 10m --reason "second opinion"
wait_line ap.out 'T-200.*waiting for approval' 50
expect_exit 2 "deny without a reason" -- $APC deny T-200 -c ap.conf
expect_exit 0 "deny T-200" -- $APC deny T-200 -c ap.conf --reason "not during surgery"
wait_state T-200 'denied|purged' && ok || fail "hub did not record the denial"
try_stream denied 'refused by the hub.*T-200 is denied' "denied ticket: refused" \
    -c sato.conf connect --ticket T-200 --device ct-01 --service remote-shell

# --- close by the engineer --------------------------------------------------------------------------
expect_exit 0 "request T-300" -- $SATO request --ticket T-300 --device ct-01 \
    --capabilities remote-shell --duration 10m --reason "calibration"
wait_line ap.out 'T-300.*waiting for approval' 50
expect_exit 0 "approve T-300" -- $APC approve T-300 --socket "$T/ap.sock"
wait_state T-300 approved && ok || fail "T-300 not approved at the hub"
hold_stream close1 30 -c sato.conf connect --ticket T-300 --device ct-01 --service remote-shell
CL=$CPID
expect_exit 1 "another engineer cannot close" -- $ITO close --ticket T-300
expect_exit 0 "close T-300" -- $SATO close --ticket T-300 --reason "done"
wait_line close1.out 'closed' 50 && ok || fail "close did not end the stream"
kill "$HOLD" 2>/dev/null
kill "$CL"
wait_state T-300 'closed|purged' && ok || fail "T-300 not closed"
try_stream afterclose 'refused by the hub.*T-300 is (closed|purged)' "closed ticket: refused" \
    -c sato.conf connect --ticket T-300 --device ct-01 --service remote-shell
sleep 1
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl '"ticket.close".*"approval":"T-300"' "AP records the close (R38)"

# --- the window ends: expiry (R26) ---------------------------------------------------------------------
expect_exit 0 "request T-400 (4 s)" -- $SATO request --ticket T-400 --device ct-01 \
    --capabilities remote-shell --duration 4s --reason "quick look"
wait_line ap.out 'T-400.*waiting for approval' 50
expect_exit 0 "approve T-400" -- $APC approve T-400 -c ap.conf
talk_stream exp 30 -c sato.conf connect --ticket T-400 --device ct-01 --service remote-shell
EX=$CPID
wait_line exp.out 'closed' 100 && ok || fail "stream not ended at the window's end"
wait_line ap.err "stream .* closed: the grant's window ended" 30 && ok ||
    fail "AP did not end the busy stream at the window's end (R26)"
kill "$HOLD" 2>/dev/null
kill "$EX"
wait_state T-400 'expired|purged' && ok || fail "T-400 did not expire"
try_stream afterexp 'refused by the hub.*T-400 is (expired|purged)' "after expiry: refused" \
    -c sato.conf connect --ticket T-400 --device ct-01 --service remote-shell

# --- standing policy approves by itself (R12 b) -----------------------------------------------------------
expect_exit 0 "request T-500 (policy)" -- $ITO request --ticket T-500 --device mri-01 \
    --capabilities remote-shell --duration 30m --reason "coil check"
wait_state T-500 approved && ok || fail "standing policy did not approve T-500"
expect_grep state.json '"approver": "policy:rule 1"' "approver is the policy rule"

# --- a deactivated engineer: streams gone within 10 s (R5) --------------------------------------------------
hold_stream deact 30 -c ito.conf connect --ticket T-500 --device mri-01 --service remote-shell
DP=$CPID
expect_exit 1 "an engineer cannot deactivate" -- $SATO engineer deactivate "Ken Ito"
t0=$(now_ms)
expect_exit 0 "admin deactivates Ken Ito" -- "$RSGATE" -c admin.conf engineer deactivate \
    "Ken Ito" --reason "left the company"
if wait_line deact.out 'closed' 100; then
	dt=$(( $(now_ms) - t0 ))
	if [ "$dt" -le 10000 ]; then ok; else fail "deactivation took ${dt} ms (R5: 10 s)"; fi
else
	fail "stream still open 10 s after deactivation (R5)"
fi
kill "$HOLD" 2>/dev/null
kill "$DP"
expect_exit 1 "deactivated engineer refused" -- $ITO tickets
expect_grep "$T/err" 'engineer deactivated' "the hub says why"
wait_line ap.err 'Ken Ito.*deactivated' 50
expect_grep ap.err 'engineer "Ken Ito" deactivated by the hub' "the AP tore down its side"
expect_exit 0 "admin activates Ken Ito" -- "$RSGATE" -c admin.conf engineer activate "Ken Ito"
expect_exit 0 "activated engineer accepted" -- $ITO tickets

# --- emergency access (R13) ------------------------------------------------------------------------------------
expect_exit 0 "emergency request T-600" -- $SATO request --ticket T-600 --device ct-01 \
    --capabilities remote-shell --duration 10m --reason "scanner down in ER" --emergency
wait_state T-600 approved && ok || fail "emergency request not granted at once"
expect_grep state.json '"emergency": true' "ticket flagged emergency"
expect_grep ap.out 'EMERGENCY access granted at once.*T-600' "the hospital is told at once"
expect_exit 0 "ap pending (emergency)" -- $APC pending -c ap.conf
expect_grep "$T/out" 'T-600.*EMERGENCY, unconfirmed' "pending shows it unconfirmed"
expect_exit 1 "a confirmation with a length" -- $APC approve T-600 -c ap.conf --duration 5m
expect_grep "$T/err" 'keeps the emergency window' "a confirmation cannot change the window"
expect_exit 0 "the hospital confirms T-600" -- $APC approve T-600 -c ap.conf
expect_exit 0 "ap pending after confirmation" -- $APC pending -c ap.conf
expect_no_grep "$T/out" 'T-600' "confirmed: no longer pending"

# --- view-phi needs an approval that names the purpose (R29) -------------------------------------------------------
# Not by a rule: emergency access (on here) grants at once, but not patient data.
expect_exit 0 "emergency request T-601 with view-phi" -- $SATO request --ticket T-601 \
    --device ct-01 --capabilities remote-shell,view-phi --duration 10m \
    --reason "scanner down in ER" --purpose "one study" --emergency
wait_line ap.out 'T-601.*patient data, waiting for an administrator' 50 && ok ||
    fail "emergency access granted patient data (R29)"
$SATO ticket show T-601 --json >state.json 2>/dev/null
expect_grep state.json '"state": "requested"' "T-601 waits for the hospital"
expect_exit 0 "request T-700 (view-phi)" -- $SATO request --ticket T-700 --device ct-01 \
    --capabilities view-phi --duration 10m --reason "image artefacts" \
    --purpose "check reconstruction of one study"
wait_line ap.out 'T-700.*patient data, waiting for an administrator' 50 && ok ||
    fail "T-700 (view-phi) does not wait for an administrator"
expect_exit 1 "view-phi approved without a purpose" -- $APC approve T-700 -c ap.conf
expect_grep "$T/err" 'purpose' "R29: the approval must name the purpose"
expect_exit 0 "view-phi approved with a purpose" -- $APC approve T-700 -c ap.conf \
    --purpose "reconstruction check, study 4711 only"
wait_state T-700 approved && ok || fail "T-700 not approved at the hub"
expect_grep state.json '"purpose": "reconstruction check, study 4711 only"' \
    "the approved purpose reaches the hub in the grant"

# --- the record ------------------------------------------------------------------------------------------------------
expect_exit 0 "tickets --state purged" -- $SATO tickets --state purged
expect_grep "$T/out" '^T-100 +purged' "tickets lists by state (terminated, then purged: R44)"
expect_exit 0 "ticket show" -- $SATO ticket show T-100
expect_grep "$T/out" 'approve +requested -> approved' "history shows the approval"
sleep 1
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
for ev in ticket.request ticket.approve ticket.deny ticket.close ticket.expire ticket.terminate ticket.refuse; do
	expect_grep hub.jsonl "\"$ev\"" "hub audits $ev"
	expect_grep ap.jsonl "\"$ev\"" "AP audits $ev"
done
expect_grep hub.jsonl '"engineer.deactivate".*"user":"Admin Yamada"' "hub audits the deactivation with who"
expect_grep ap.jsonl '"ticket.approve".*"approval":"T-100"' "AP audits the approval"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	expect_grep ap.jsonl '"admin.action","outcome":"denied".*"source":"admin_socket"' \
	    "the stranger is audited"
fi
cleanup_procs
PIDS=""
expect_exit 0 "hub audit log verifies" -- "$RSGATE" audit verify --db hub-audit.db
expect_exit 0 "AP audit log verifies" -- "$RSGATE" audit verify --db ap-audit.db
finish

# test-tunnel.sh: the data path of remote service, end to end, as a field
# engineer and a hospital see it. A throwaway CA; rsgate-hub, rsgate-ap and
# a simulated device (rsgate-devsim) on 127.0.0.1 with ephemeral ports; an
# engineer's `rsgate connect` listening locally like `ssh -L`.
#  - data reaches the device's service through the tunnel and back;
#  - a log download (with synthetic patient data) arrives intact, and no
#    patient data appears in the hub's audit log;
#  - a standing policy decides at the AP (R12 b, R20): an engineer or
#    service outside it is refused with the AP's reason, on both sides'
#    audit logs (R33, R34), with the same stream id in both (R38);
#  - an unknown device is a clear error;
#  - the AP killed mid-transfer: the engineer's stream closes, the hub
#    releases it; the hub killed mid-transfer: the AP notices, retries with
#    back-off and reconnects when the hub returns, and new streams work;
#  - both audit logs verify at the end (R36).
. "$RSG_SRC/tests/integration/lib.sh"

HUB=$RSG_BUILD/rsgate-hub
AP=$RSG_BUILD/rsgate-ap
DEVSIM=$RSG_BUILD/rsgate-devsim
TCP=$RSG_BUILD/tcpclient
cd "$T" || exit 1

"$RSGATE" pki init --dir ca --name "Tunnel Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out sato >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Ken Ito" --out ito >/dev/null ||
    { fail "test PKI"; finish; }

# --- the device --------------------------------------------------------------
"$DEVSIM" --listen 127.0.0.1:0 --name ct-01 --model "Acme CT-9000" --logs 2 \
    --seed 7 >devsim.out 2>devsim.err &
PIDS="$PIDS $!"
wait_line devsim.out '^listening on' || { fail "devsim did not start"; finish; }
DEVPORT=$(port_of devsim.out "")
echo_start || finish

# --- the hub -------------------------------------------------------------------
hub_conf hub.conf
cat >>hub.conf <<CONF
crl ca/crl.pem
engineer "Hanako Sato"
engineer "Ken Ito"
heartbeat 1s
dead_after 3s
CONF
start_hub() {
	"$HUB" -c hub.conf >>hub.out 2>>hub.err &
	HPID=$!
	PIDS="$PIDS $HPID"
}
: >hub.out
start_hub
wait_line hub.out '^relay listening on' || { fail "hub did not start"; cat hub.err >&2; finish; }
API=$(port_of hub.out api)
CP=$(port_of hub.out control)
RP=$(port_of hub.out relay)

# --- the access point ----------------------------------------------------------
# A one-hour window that is not now (the AP's local time), for Ken Ito.
h=$(( ($(date +%H | sed 's/^0//') + 3) % 24 ))
NOTNOW=$(printf '%02d:00-%02d:00' "$h" $(( (h + 1) % 24 )))
[ "$h" -eq 23 ] && NOTNOW="23:00-24:00"
ap_conf ap.conf ap1
cat >>ap.conf <<CONF
crl ca/crl.pem
device "ct-01 site=radiology model=Acme-CT-9000"
service "ct-01 remote-shell 127.0.0.1:$DEVPORT"
service "ct-01 echo 127.0.0.1:$ECHOPORT"
service "ct-01 remote-desktop 127.0.0.1:$ECHOPORT"
group "ct-vendor Hanako Sato"
allow "engineer=@ct-vendor; device=ct-01; service=remote-shell,echo; max=1h"
allow "engineer=Ken Ito; device=ct-01; service=echo; hours=$NOTNOW"
heartbeat 1s
dead_after 3s
reconnect_max 2s
CONF
expect_exit 0 "ap -t" -- "$AP" -c ap.conf -t
ap_start ap.conf || finish
ok

# --- the engineer's view ---------------------------------------------------------
engineer_conf sato
expect_exit 0 "rsgate devices" -- "$RSGATE" -c sato.conf devices
expect_grep "$T/out" 'ct-01' "devices lists ct-01"
expect_grep "$T/out" 'remote-shell' "devices lists its services"

# connect_start TAG ARGS...: an `rsgate connect` on an ephemeral port.
connect_start() {
	tag=$1
	shift
	"$RSGATE" "$@" --listen 127.0.0.1:0 >"$tag.out" 2>"$tag.err" &
	CPID=$!
	PIDS="$PIDS $CPID"
	wait_line "$tag.out" '^listening on' || { fail "$tag: connect did not listen"; cat "$tag.err" >&2; return 1; }
	LPORT=$(port_of "$tag.out" "")
}

connect_start shell -c sato.conf connect --device ct-01 --service remote-shell
printf 'HELLO\nECHO through the tunnel\nGET %s\nQUIT\n' "$(printf 'LIST\n' |
    "$TCP" -t 5 127.0.0.1 "$DEVPORT" | sed -n '2s/ .*//p')" >req.txt
"$TCP" -t 10 127.0.0.1 "$LPORT" <req.txt >reply.txt 2>reply.err
expect_grep reply.txt '^OK rsgate-devsim name=ct-01' "device banner through the tunnel"
expect_grep reply.txt '^through the tunnel$' "echo through the tunnel"
expect_grep reply.txt 'PatientName=' "log download through the tunnel"
wait_line shell.out 'closed' 50
expect_grep shell.out '^stream [0-9a-f]+ open: ct-01/remote-shell' "connect reports the stream"
expect_grep shell.out '^stream [0-9a-f]+ closed' "connect reports the close"
SID=$(sed -n 's/^stream \([0-9a-f]*\) open.*/\1/p' shell.out | head -n 1)
kill "$CPID"

# Both logs hold the stream, under the same id (R38).
sleep 0.5
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep hub.jsonl "\"session.open\".*\"user\":\"Hanako Sato\".*\"session\":\"$SID\"" "hub audits the open"
expect_grep ap.jsonl "\"session.open\".*\"outcome\":\"success\".*\"user\":\"Hanako Sato\".*\"session\":\"$SID\".*\"device\":\"ct-01\"" "AP audits the open"
expect_grep ap.jsonl "\"session.close\".*\"session\":\"$SID\"" "AP audits the close"
expect_no_grep hub.jsonl 'PatientName' "no patient data in the hub's log"

# --- TLS session resumption inside the pair ------------------------------------
# The second stream of one `rsgate connect` resumes its session with the AP;
# a reloaded revocation list at the AP voids the ticket (a full handshake,
# with every certificate check, follows); then resumption works again.
connect_start res -c sato.conf connect --device ct-01 --service echo
res_stream() {	# res_stream N: one echoed line, then the stream's id
	printf 'resume %s\n' "$1" | "$TCP" -t 10 127.0.0.1 "$LPORT" >"res$1.reply" 2>&1
	expect_grep "res$1.reply" "^resume $1\$" "stream $1 of one connect echoes"
	wait_line res.out "closed" 50
	sed -n 's/^stream \([0-9a-f]*\) open.*/\1/p' res.out | sed -n "${1}p"
}
# auth_of SID: the AP's auth.success record of that stream.
auth_of() {
	"$RSGATE" audit export --db ap-audit.db --format jsonl |
	    grep '"auth.success"' | grep "\"session\":\"$1\""
}
R1=$(res_stream 1)
R2=$(res_stream 2)
if auth_of "$R1" | grep -q 'verified inside the tunnel"' &&
    ! auth_of "$R1" | grep -q 'resumed'; then ok; else
	fail "first stream: not a full handshake ($(auth_of "$R1"))"; fi
if auth_of "$R2" | grep -q 'TLS session resumed'; then ok; else
	fail "second stream did not resume ($(auth_of "$R2"))"; fi
cp ca/crl.pem crl.new && mv crl.new ca/crl.pem
wait_line ap.out 'reloaded the revocation list' 50 ||
    wait_line ap.err 'reloaded the revocation list' 30 ||
    fail "AP did not reload the rewritten CRL"
R3=$(res_stream 3)
R4=$(res_stream 4)
if [ -n "$R3" ] && auth_of "$R3" | grep -q 'verified inside the tunnel"'; then ok; else
	fail "after a CRL reload the ticket was honoured ($(auth_of "$R3"))"; fi
if auth_of "$R4" | grep -q 'TLS session resumed'; then ok; else
	fail "no resumption after the full handshake ($(auth_of "$R4"))"; fi
kill "$CPID"

# --- refusals decided at the AP (R20) ------------------------------------------
engineer_conf ito
connect_start ito -c ito.conf connect --device ct-01 --service remote-shell
printf 'HELLO\n' | "$TCP" -t 10 127.0.0.1 "$LPORT" >ito.reply 2>&1
wait_line ito.err 'refused' 50
expect_grep ito.err 'refused by the access point.*Ken Ito' "engineer outside the policy: the AP's reason"
expect_no_grep ito.reply 'OK rsgate-devsim' "no byte of the device reached him"
kill "$CPID"
connect_start rd -c sato.conf connect --device ct-01 --service remote-desktop
printf 'x' | "$TCP" -t 10 127.0.0.1 "$LPORT" >/dev/null 2>&1
wait_line rd.err 'refused' 50
expect_grep rd.err 'refused by the access point.*remote-desktop' "service outside the policy refused"
kill "$CPID"
connect_start hours -c ito.conf connect --device ct-01 --service echo
printf 'x' | "$TCP" -t 10 127.0.0.1 "$LPORT" >hours.reply 2>&1
wait_line hours.err 'refused' 50
expect_grep hours.err "refused by the access point: outside the allowed hours \\($NOTNOW" "outside the policy's hours refused"
expect_no_grep hours.reply 'x' "nothing echoed outside the hours"
kill "$CPID"
connect_start nodev -c sato.conf connect --device mr-09 --service remote-shell
printf 'x' | "$TCP" -t 10 127.0.0.1 "$LPORT" >/dev/null 2>&1
wait_line nodev.err 'unknown device' 50
expect_grep nodev.err 'unknown device' "unknown device: clear error"
kill "$CPID"
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl '"session.open".*"outcome":"denied".*"user":"Ken Ito"' "AP audits the refusal"
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
expect_grep hub.jsonl '"session.open".*"outcome":"denied".*"user":"Ken Ito"' "hub audits the refusal"

# --- the AP killed mid-transfer -------------------------------------------------
connect_start echo1 -c sato.conf connect --device ct-01 --service echo
(
	i=0
	while [ $i -lt 100 ]; do head -c 65536 /dev/zero; sleep 0.05; i=$((i + 1)); done
) | "$TCP" -t 20 127.0.0.1 "$LPORT" >/dev/null 2>&1 &
XFER=$!
wait_line echo1.out 'open:' 50
sleep 0.5
kill -9 "$APID"
wait "$APID" 2>/dev/null
wait "$XFER"
rc=$?
if [ "$rc" -ne 3 ]; then ok; else fail "engineer's stream hung after the AP died"; fi
wait_line echo1.out 'closed' 50 && ok || fail "connect did not report the close"
kill "$CPID"
SID1=$(sed -n 's/^stream \([0-9a-f]*\) open.*/\1/p' echo1.out | head -n 1)
sleep 0.5
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
expect_grep hub.jsonl "\"session.close\".*\"session\":\"$SID1\"" "hub released the stream of the dead AP"

# --- the hub killed mid-transfer, then back --------------------------------------
# wait_connected N: until ap.out has more than N "connected" lines (25 s:
# back-off is capped at reconnect_max, 2 s, and an attempt may take up to
# the AP's 10 s connect timeout).
wait_connected() {
	i=0
	while [ $i -lt 250 ] && [ "$(grep -c '^connected to hub' ap.out)" -le "$1" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(grep -c '^connected to hub' ap.out)" -gt "$1" ]
}
n0=$(grep -c '^connected to hub' ap.out)
"$AP" -c ap.conf >>ap.out 2>>ap.err &
APID=$!
PIDS="$PIDS $APID"
wait_connected "$n0" && ok || fail "ap did not connect after its restart"
n0=$(grep -c '^connected to hub' ap.out)
connect_start echo2 -c sato.conf connect --device ct-01 --service echo
(
	i=0
	while [ $i -lt 100 ]; do head -c 65536 /dev/zero; sleep 0.05; i=$((i + 1)); done
) | "$TCP" -t 20 127.0.0.1 "$LPORT" >/dev/null 2>&1 &
XFER=$!
wait_line echo2.out 'open:' 50
sleep 0.5
kill -9 "$HPID"
wait "$HPID" 2>/dev/null
wait_line ap.out 'hub connection lost' 60 && ok || fail "AP did not notice the dead hub"
wait_line ap.out 'retrying in' 60 && ok || fail "AP does not say when it retries"
wait "$XFER"
rc=$?
if [ "$rc" -ne 3 ]; then ok; else fail "engineer's stream hung after the hub died"; fi
wait_line echo2.out 'closed' 50 && ok || fail "connect did not report the close (hub died)"
SID2=$(sed -n 's/^stream \([0-9a-f]*\) open.*/\1/p' echo2.out | head -n 1)
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl "\"session.close\".*\"session\":\"$SID2\"" "AP closed and audited the stream cut by the hub's death"
kill "$CPID"
sed -i "s/^api_listen .*/api_listen 127.0.0.1:$API/; s/^control_listen .*/control_listen 127.0.0.1:$CP/; s/^relay_listen .*/relay_listen 127.0.0.1:$RP/" hub.conf
start_hub
wait_connected "$n0" && ok || fail "AP did not reconnect to the restarted hub"
connect_start again -c sato.conf connect --device ct-01 --service echo
printf 'after the restart\n' | "$TCP" -t 10 127.0.0.1 "$LPORT" >again.reply 2>&1
expect_grep again.reply '^after the restart$' "a new stream works after the hub returned"
kill "$CPID"

# --- both logs verify -------------------------------------------------------------
kill "$HPID" "$APID"
wait "$HPID" "$APID" 2>/dev/null
expect_exit 0 "hub audit log verifies" -- "$RSGATE" audit verify --db hub-audit.db --key hub-audit.key.pub
expect_exit 0 "AP audit log verifies" -- "$RSGATE" audit verify --db ap-audit.db --key ap-audit.key.pub
finish

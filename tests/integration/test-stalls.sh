# test-stalls.sh: peers that stall instead of failing (issue 3, R36).
#  - A "engineer" that presents a good relay preamble and then trickles its
#    TLS ClientHello a byte a second: idle timeouts restart with every
#    byte, so only the AP's absolute handshake deadline (handshake_timeout)
#    ends it; the AP audits the failure and the relay connection closes.
#  - `rsgate connect` whose hub accepts connections and never answers: the
#    first local connection's set-up is stuck, yet the second one starts
#    its own set-up at once (set-up is asynchronous), and SIGTERM still
#    ends the command at once.
. "$RSG_SRC/tests/integration/lib.sh"

TCP=$RSG_BUILD/tcpclient
HOLD=$RSG_BUILD/holdserver
cd "$T" || exit 1

bin() {
	h=$1
	while [ -n "$h" ]; do
		rest=${h#??}
		printf "\\$(printf '%03o' "0x${h%"$rest"}")"
		h=$rest
	done
}

"$RSGATE" pki init --dir ca --name "Stall Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out sato >/dev/null ||
    { fail "test PKI"; finish; }

echo_start || finish

hub_conf hub.conf hub-stall
cat >>hub.conf <<CONF
engineer "Hanako Sato"
heartbeat 1s
dead_after 3s
relay_unpaired_timeout 30s
CONF
hub_start hub.conf || finish

ap_conf ap.conf ap1
cat >>ap.conf <<CONF
device "ct-01 site=radiology"
service "ct-01 echo 127.0.0.1:$ECHOPORT"
allow "engineer=Hanako Sato; device=ct-01; service=echo; max=1h"
heartbeat 1s
dead_after 3s
handshake_timeout 4s
CONF
ap_start ap.conf || finish

# --- a trickling engineer meets the AP's handshake deadline -------------------
curl -sS -o stream.json -w '%{http_code}' --cert sato.crt --key sato.key \
    --cacert ca/ca.crt -d '{"device":"ct-01","service":"echo"}' \
    "https://127.0.0.1:$API/v1/streams" >stream.code 2>stream.err
expect_grep stream.code '^201$' "stream granted"
SID=$(sed -n 's/.*"stream_id":"\([0-9a-f]*\)".*/\1/p' stream.json)
TOK=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' stream.json)
t0=$(date +%s)
# A TLS record header announcing 16 KiB, then its body a byte a second.
{ bin 525347520101; bin "$SID"; bin "$TOK"; bin 1603014000
  i=0
  while [ $i -lt 20 ]; do bin 01; sleep 1; i=$((i + 1)); done
} | "$TCP" -t 40 127.0.0.1 "$RP" >trickle.out 2>trickle.err
t1=$(date +%s)
if [ $((t1 - t0)) -le 10 ]; then ok; else
	fail "a trickling handshake held the stream for $((t1 - t0)) s (deadline 4 s)"; fi
sleep 0.5
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap-audit.jsonl
expect_grep ap-audit.jsonl \
    "auth.failure.*\"session\":\"$SID\".*not finished within 4s \\(handshake_timeout\\)" \
    "the AP audits the handshake deadline"
expect_grep ap-audit.jsonl "session.close.*\"session\":\"$SID\".*handshake_timeout" \
    "the AP closes the stream"

# --- connect: a stalled set-up does not hold up the next ------------------------
"$HOLD" -t 60 >hold.out 2>hold.err &
HPID=$!
PIDS="$PIDS $HPID"
wait_line hold.out '^listening on' || { fail "holdserver did not start"; finish; }
HOLDPORT=$(port_of hold.out "")
"$RSGATE" connect --hub "127.0.0.1:$HOLDPORT" --cert sato.crt --key sato.key \
    --ca ca/ca.crt --device ct-01 --service echo --listen 127.0.0.1:0 \
    >stall.out 2>stall.err &
CPID=$!
PIDS="$PIDS $CPID"
wait_line stall.out '^listening on' || { fail "connect did not listen"; cat stall.err >&2; finish; }
LPORT=$(port_of stall.out "")
sleep 1 | "$TCP" -t 30 127.0.0.1 "$LPORT" >/dev/null 2>&1 &
L1=$!
wait_line hold.out '^accepted 1$' 50 || fail "the first set-up did not reach the hub"
sleep 1 | "$TCP" -t 30 127.0.0.1 "$LPORT" >/dev/null 2>&1 &
L2=$!
# The first set-up waits for its hub (up to its timeouts); the second starts now.
if wait_line hold.out '^accepted 2$' 30; then ok; else
	fail "the second local connection waited for the first one's set-up"; fi
t0=$(date +%s)
kill -TERM "$CPID"
wait "$CPID"
rc=$?
t1=$(date +%s)
if [ "$rc" -eq 0 ] && [ $((t1 - t0)) -le 2 ]; then ok; else
	fail "connect with stalled set-ups: exit $rc after $((t1 - t0)) s on SIGTERM"; fi
wait "$L1" "$L2"
finish

# test-hub.sh: rsgate-hub on 127.0.0.1 with ephemeral ports and a throwaway
# CA. Config checks (-t, -T); the engineers' API (devices, streams, 404,
# 400, 403 for an engineer not listed); every refusal at a TLS listener --
# a certificate of another CA, the wrong role, a revoked one (the CRL is
# re-read while running), TLS 1.2, plaintext -- on the API and control
# ports (R31, R36); the control channel (HELLO name = certificate CN,
# oversized and malformed frames answered with ERROR, the hub stays up);
# STREAM_OPEN answered OK (201 with token and relay) or refused (403 with
# the AP's reason); the relay refusing garbage, guessed, reused and expired
# tokens, unpaired connections and too many from one address. Each refusal
# must be in the hub's audit log (R33, R34), which verifies at the end.
# An expired certificate comes from tests/integration/mkcert (rsgate pki
# issue rightly cannot backdate).
. "$RSG_SRC/tests/integration/lib.sh"

HUB=$RSG_BUILD/rsgate-hub
CTL=$RSG_BUILD/ctlclient
TCP=$RSG_BUILD/tcpclient
cd "$T" || exit 1

"$RSGATE" pki init --dir ca --name "Test CA" >/dev/null &&
"$RSGATE" pki init --dir ca2 --name "Other CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out eng >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Ken Ito" --out unlisted >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Rev Oked" --out rev >/dev/null &&
"$RSGATE" pki issue --dir ca2 --role engineer --name "Hanako Sato" --out foreign >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki issue --dir ca --role admin --name "Admin Abe" --out adm >/dev/null &&
"$RSG_BUILD/mkcert" ca engineer "Hanako Sato" expired 30 10 &&
"$RSGATE" pki issue --dir ca2 --role ap --name ap1 --out ap1foreign >/dev/null ||
    { fail "test PKI"; finish; }

cat >hub.conf <<CONF
name hub-test
cert hub.crt
key hub.key
ca ca/ca.crt
crl ca/crl.pem
api_listen 127.0.0.1:0
control_listen 127.0.0.1:0
relay_listen 127.0.0.1:0
engineer "Hanako Sato"
engineer "Rev Oked"
audit_db hub-audit.db
audit_key hub-audit.key
heartbeat 5s
pairing_timeout 3s
relay_unpaired_timeout 1s
relay_per_source_max 2
refusal_audit_burst 1000
CONF

# --- config -----------------------------------------------------------------
expect_exit 0 "--help" -- "$HUB" --help
expect_grep "$T/out" '^usage: rsgate-hub' "--help prints usage"
expect_grep "$T/out" 'relay_unpaired_timeout' "--help lists the keys"
expect_exit 2 "no -c" -- "$HUB"
expect_exit 0 "-t good config" -- "$HUB" -c hub.conf -t
expect_exit 0 "-T" -- "$HUB" -c hub.conf -T
expect_grep "$T/out" '^key <redacted>|^key "?<' "-T redacts the key"
expect_no_grep "$T/out" 'hub\.key' "-T does not show the key path"
printf 'name x\nbogus_key 1\n' >bad.conf
expect_exit 1 "-t unknown key" -- "$HUB" -c bad.conf -t
expect_grep "$T/err" 'bad.conf:2' "-t names FILE:LINE"
sed 's/^relay_listen .*/relay_listen 127.0.0.1:99999/' hub.conf >bad2.conf
expect_exit 1 "-t bad port" -- "$HUB" -c bad2.conf -t
expect_grep "$T/err" 'relay_listen' "-t names the bad key"

# --- start ------------------------------------------------------------------
"$HUB" -c hub.conf >hub.out 2>hub.err &
HPID=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^relay listening on' hub.out; do
	sleep 0.1
	i=$((i + 1))
done
API=$(sed -n 's/^api listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' hub.out)
CP=$(sed -n 's/^control listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' hub.out)
RP=$(sed -n 's/^relay listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' hub.out)
if [ -n "$API" ] && [ -n "$CP" ] && [ -n "$RP" ]; then ok; else
	fail "no listening lines"; cat hub.out hub.err >&2; kill $HPID; finish
fi
expect_file hub-audit.db "audit log created on first start"

# api METHOD PATH [BODY] [CERTPREFIX] [extra curl args]: body to api.body,
# HTTP status to api.code, curl's exit status in $CURLRC.
api() {
	m=$1 p=$2 b=${3:-} who=${4:-eng}
	if [ $# -ge 4 ]; then shift 4; else shift $#; fi
	if [ -n "$b" ]; then set -- "$@" -d "$b"; fi
	curl -sS -o api.body -w '%{http_code}' -X "$m" --cert "$who.crt" \
	    --key "$who.key" --cacert ca/ca.crt "$@" \
	    "https://127.0.0.1:$API$p" >api.code 2>api.err
	CURLRC=$?
}
audit_has() {
	"$RSGATE" audit export --db hub-audit.db --format jsonl >audit.jsonl
	expect_grep audit.jsonl "$1" "$2"
}

# --- API, good paths ------------------------------------------------------------
api GET /v1/devices
expect_grep api.code '^200$' "devices: 200"
expect_grep api.body '^\{"aps":\[\]\}$' "devices: empty list"
api POST /v1/streams '{"device":"ct-01","service":"remote-shell"}'
expect_grep api.code '^404$' "unknown device: 404"
expect_grep api.body '"error":"unknown device"' "unknown device: JSON"
api POST /v1/streams '{"device":'
expect_grep api.code '^400$' "bad JSON: 400"
api GET /nope
expect_grep api.code '^404$' "unknown path: 404"
api POST /v1/streams "{\"device\":\"$(head -c 20000 /dev/zero | tr '\0' a)\"}"
expect_grep api.code '^413$' "body over 16 KiB: 413"
api GET /v1/devices "" unlisted
expect_grep api.code '^403$' "engineer not listed: 403"
expect_grep api.body 'engineer not active' "engineer not listed: reason"
audit_has '"auth.failure".*"user":"Ken Ito".*engineer not active' \
    "unlisted engineer audited"

# --- API refusals at the handshake (R31) -----------------------------------------------
api GET /v1/devices "" foreign
if [ "$CURLRC" -ne 0 ]; then ok; else fail "foreign CA accepted"; fi
api GET /v1/devices "" ap1
if [ "$CURLRC" -ne 0 ]; then ok; else fail "ap certificate accepted on the API"; fi
api GET /v1/devices "" eng --tls-max 1.2
if [ "$CURLRC" -ne 0 ]; then ok; else fail "TLS 1.2 accepted"; fi
api GET /v1/devices "" expired
if [ "$CURLRC" -ne 0 ]; then ok; else fail "expired certificate accepted"; fi
printf 'GET / HTTP/1.0\r\n\r\n' | "$TCP" -t 5 127.0.0.1 "$API" >plain.out 2>&1
expect_no_grep plain.out 'HTTP/1' "plaintext on the API gets no HTTP answer"
sleep 0.3
audit_has 'auth.failure.*api listener: peer certificate not issued by a trusted CA' \
    "foreign CA audited"
audit_has 'auth.failure.*api listener: peer certificate not valid for this role' \
    "wrong role audited"
audit_has 'auth.failure.*api listener: peer does not speak TLS 1.3' \
    "TLS 1.2 audited"
audit_has 'auth.failure.*api listener: peer certificate expired' \
    "expired certificate audited"
audit_has 'auth.failure.*api listener: peer does not speak TLS \(plaintext' \
    "plaintext on the API audited"

# --- control channel -------------------------------------------------------------------
printf 'GET / HTTP/1.0\r\n\r\n' | "$TCP" -t 5 127.0.0.1 "$CP" >plain.out 2>&1
"$CTL" ap1foreign.crt ap1foreign.key ca/ca.crt 127.0.0.1 "$CP" read \
    >ctl.out 2>&1
expect_no_grep ctl.out '^recv' "foreign AP gets nothing"
"$CTL" eng.crt eng.key ca/ca.crt 127.0.0.1 "$CP" read >ctl.out 2>&1
expect_no_grep ctl.out '^recv' "engineer certificate on the control port"
sleep 0.3
audit_has 'auth.failure.*control listener: peer does not speak TLS \(plaintext' \
    "plaintext on the control port audited"
audit_has 'auth.failure.*control listener: peer certificate not issued by a trusted CA' \
    "foreign AP audited"
audit_has 'auth.failure.*control listener: peer certificate not valid for this role' \
    "wrong role on the control port audited"

"$CTL" ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" hello ap2 read >ctl.out 2>&1
expect_grep ctl.out "^recv ERROR PROTOCOL: the access point's name is not" \
    "HELLO name must be the certificate's CN"
# A frame whose length says 16 MiB: LIMIT before any body is awaited.
"$CTL" ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" raw 0100000001000100000001 \
    read >ctl.out 2>&1
expect_grep ctl.out '^recv ERROR LIMIT' "oversized frame: ERROR LIMIT"
expect_grep ctl.out '^closed' "oversized frame: closed"
# A PING before HELLO, then a HELLO cut short inside its payload.
"$CTL" ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" \
    raw 0000000f0100030000000100000000000000ff read >ctl.out 2>&1
expect_grep ctl.out '^recv ERROR UNEXPECTED' "PING before HELLO: UNEXPECTED"
"$CTL" ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" \
    raw 0000000b01000100000001000000ff read >ctl.out 2>&1
expect_grep ctl.out '^recv ERROR PROTOCOL: malformed message' \
    "malformed HELLO: ERROR PROTOCOL"
audit_has 'auth.failure.*control channel: frame over the size limit \(LIMIT\)' \
    "oversized frame audited"
audit_has 'auth.failure.*control channel: malformed message' \
    "malformed frame audited"
api GET /v1/devices
expect_grep api.code '^200$' "hub still up after bad frames"

# An AP with one device; it refuses the first stream and accepts the second.
"$CTL" -t 20 ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" \
    hello ap1 ct-01 remote-shell 127.0.0.1:2222 open err open ok read \
    >ap.out 2>&1 &
APID=$!
i=0
while [ $i -lt 50 ] && ! grep -q '"connected":true' api.body; do
	sleep 0.1
	api GET /v1/devices
	i=$((i + 1))
done
expect_grep api.body '"name":"ap1","site":"site-a","connected":true' \
    "devices: the AP is connected"
expect_grep api.body '"name":"ct-01".*"services":\["remote-shell"\]' \
    "devices: its inventory"
api POST /v1/streams '{"device":"ct-01","service":"remote-desktop"}'
expect_grep api.code '^404$' "unknown service: 404"
expect_grep api.body 'unknown service' "unknown service: JSON"
api POST /v1/streams '{"device":"ct-01","service":"remote-shell"}'
expect_grep api.code '^403$' "AP refused: 403"
expect_grep api.body '"error":"refused by the access point","reason":"outside the allowed hours"' \
    "AP refused: its reason"
# A ticket the hub does not know never reaches the AP (issue 4).
api POST /v1/streams '{"device":"ct-01","service":"remote-shell","ticket":"T-1"}'
expect_grep api.code '^403$' "unknown ticket: 403 at the hub"
expect_grep api.body '"error":"refused by the hub","reason":"no such ticket: T-1"' \
    "unknown ticket: the hub's reason"
api POST /v1/streams '{"device":"ct-01","service":"remote-shell"}'
expect_grep api.code '^201$' "AP accepted: 201"
expect_grep api.body "\"relay\":\"127.0.0.1:$RP\"" "201: relay address"
expect_grep api.body '"stream_id":"[0-9a-f]{32}","token":"[0-9a-f]{64}"' \
    "201: stream id and token"
expect_grep api.body '"ap":\{"name":"ap1","fingerprint":"[0-9a-f]{64}"\}' \
    "201: the AP's fingerprint"
expect_grep ap.out '^recv STREAM_OPEN device=ct-01 service=remote-shell engineer=Hanako Sato source=127.0.0.1' \
    "STREAM_OPEN as the contract says"
SID=$(sed -n 's/.*"stream_id":"\([0-9a-f]*\)".*/\1/p' api.body)
TOK=$(sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' api.body)
audit_has "\"session.open\",\"outcome\":\"denied\".*\"user\":\"Hanako Sato\".*outside the allowed hours" \
    "refused stream audited"
audit_has "\"session.open\",\"outcome\":\"success\".*\"session\":\"$SID\",\"device\":\"ct-01\".*\"capability\":\"remote-shell\"" \
    "opened stream audited with the stream id"

# --- relay -----------------------------------------------------------------------------
# bin HEX: the bytes (POSIX printf has octal escapes only).
bin() {
	h=$1
	while [ -n "$h" ]; do
		rest=${h#??}
		printf "\\$(printf '%03o' "0x${h%"$rest"}")"
		h=$rest
	done
}
ZERO=0000000000000000000000000000000000000000000000000000000000000000
printf 'GET / HTTP/1.0\r\n\r\n' | "$TCP" -t 5 127.0.0.1 "$RP" >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "relay garbage: not closed ($rc)"; fi
{ bin 525347520101; bin "$SID"; bin "$ZERO"; } >guess.bin
"$TCP" -t 5 127.0.0.1 "$RP" <guess.bin >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "guessed token: not closed ($rc)"; fi
{ bin 525347520101; bin "$SID"; bin "$TOK"; } >eng.bin
# The real engineer token waits for its partner (which never comes) ...
{ cat eng.bin; sleep 3; } | "$TCP" -t 10 127.0.0.1 "$RP" >/dev/null 2>&1 &
WPID=$!
sleep 0.3
# ... so presenting it again is a reuse.
"$TCP" -t 5 127.0.0.1 "$RP" <eng.bin >/dev/null 2>&1
wait $WPID
sleep 2.5
# By now (3 s) the tokens have expired.
"$TCP" -t 5 127.0.0.1 "$RP" <eng.bin >/dev/null 2>&1
# Idle connections: dropped after relay_unpaired_timeout; at most 2 at once.
sleep 3 | "$TCP" -t 10 127.0.0.1 "$RP" >/dev/null 2>&1 &
I1=$!
sleep 3 | "$TCP" -t 10 127.0.0.1 "$RP" >/dev/null 2>&1 &
I2=$!
sleep 0.3
sleep 3 | "$TCP" -t 10 127.0.0.1 "$RP" >/dev/null 2>&1
wait $I1 $I2
sleep 0.3
audit_has 'auth.failure.*relay: not a relay preamble' "relay garbage audited"
audit_has "auth.failure.*\"session\":\"$SID\".*relay: wrong pairing token" \
    "guessed token audited"
audit_has "auth.failure.*relay: pairing token already used" "reused token audited"
audit_has "auth.failure.*relay: the other side of the stream did not arrive in time" \
    "unpaired side dropped and audited"
audit_has "auth.failure.*relay: pairing token expired" "expired token audited"
audit_has "auth.failure.*relay: no relay preamble in time" "idle connection dropped"
audit_has "auth.failure.*relay: too many relay connections from this address" \
    "per-source cap audited"
audit_has "session.close.*\"session\":\"$SID\".*not paired before its tokens expired" \
    "unused stream closed in the audit log"

# --- strangers on the control port -------------------------------------------------------
# A connection that says nothing is dropped after 5 s (not dead_after, 30 s),
# and one address may hold at most 8 connections that have not said HELLO.
count_audit() {
	"$RSGATE" audit export --db hub-audit.db --format jsonl | grep -c -- "$1"
}
n0=$(count_audit 'TLS handshake not finished in time')
sleep 9 | "$TCP" -t 20 127.0.0.1 "$CP" >/dev/null 2>&1 &
SIL=$!
sleep 6.5
n1=$(count_audit 'TLS handshake not finished in time')
if [ "$n1" -gt "$n0" ]; then ok; else
	fail "a silent control connection was not dropped within 6.5 s"; fi
wait "$SIL"
i=0
HOLD=""
while [ $i -lt 9 ]; do
	sleep 3 | "$TCP" -t 20 127.0.0.1 "$CP" >/dev/null 2>&1 &
	HOLD="$HOLD $!"
	i=$((i + 1))
done
sleep 1
n=$(count_audit 'too many connections from this address before HELLO')
if [ "$n" -eq 1 ]; then ok; else
	fail "9 pending control connections from one address: $n refusals, want 1"; fi
for p in $HOLD; do wait "$p"; done

# --- revocation while running ----------------------------------------------------------
api GET /v1/devices "" rev
expect_grep api.code '^200$' "before revocation: 200"
"$RSGATE" pki revoke --dir ca --cert rev.crt >/dev/null || fail "revoke"
sleep 3
api GET /v1/devices "" rev
if [ "$CURLRC" -ne 0 ]; then ok; else fail "revoked certificate accepted"; fi
sleep 0.3
audit_has 'auth.failure.*api listener: peer certificate revoked' \
    "revoked certificate audited"

# --- malformed and repeated ALERT / DECISION bodies (R6, R8, R12, R27) -------------------
# A table: each malformed body gets an ACK with an error and changes
# nothing; a resent alert (same id) maps to the same ticket, once.
TID=$(date -u +T-%Y%m%d-0001)
AL='"ap":"ap1","device":"ct-01","model":"Test CT","error_code":"E-1","severity":"critical","time":"2026-11-26T10:00:00Z","message_id":"m1"'
"$CTL" -t 20 ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" \
    hello ap1 ct-01 remote-shell 127.0.0.1:2222 ct-02 remote-shell 127.0.0.1:2223 \
    json ALERT 101 "{\"alert_id\":\"a-1\",$AL}" ack \
    json ALERT 101 "{\"alert_id\":\"a-1\",$AL}" ack \
    json ALERT 102 "{\"alert_id\":\"a-2\",$AL,\"patient\":\"YAMADA TARO\"}" ack \
    json ALERT 103 '{}' ack \
    json ALERT 104 "{\"alert_id\":\"a-4\",$(echo "$AL" | sed 's/"ap1"/"ap2"/')}" ack \
    json ALERT 105 "{\"alert_id\":\"a-5\",$(echo "$AL" | sed 's/ct-01/ct-99/')}" ack \
    json DECISION 201 '{}' ack \
    json DECISION 202 "{\"op\":\"approve\",\"ticket\":\"$TID\"}" ack \
    json DECISION 203 "{\"op\":\"approve\",\"ticket\":\"$TID\",\"grant\":\"{}\"}" ack \
    json DECISION 204 "{\"op\":\"approve\",\"ticket\":\"$TID\",\"grant\":5}" ack \
    json DECISION 205 "{\"op\":\"deny\",\"ticket\":\"$TID\"}" ack \
    json DECISION 206 "{\"op\":\"launch\",\"ticket\":\"$TID\"}" ack \
    json DECISION 207 "{\"op\":\"expire\",\"ticket\":\"$TID\"}" ack \
    json DECISION 208 "{\"op\":[],\"ticket\":[\"$TID\"]}" ack \
    read >tab.out 2>&1 &
TAB=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^recv ACK id=208' tab.out; do
	sleep 0.1
	i=$((i + 1))
done
n=$(grep -Ec '^recv ACK id=101 \{"ok":true,"ticket":"'"$TID"'"\}$' tab.out)
[ "$n" -eq 2 ] && ok || fail "an alert and its resend: one ticket, the same id ($n)"
[ "$(sqlite3 hub-audit.db "SELECT count(*) FROM ticket_history WHERE ticket = '$TID'")" = 1 ] &&
    ok || fail "a resent alert changed the ticket again"
audit_has '"alert.receive","outcome":"success".*a resend of alert a-1, already on ticket' \
    "the resend is audited (no acknowledged alert without a record)"
expect_grep tab.out '^recv ACK id=102 \{"error":"unexpected field in ALERT"\}' \
    "an alert with a patient field is refused"
expect_no_grep hub.err 'YAMADA' "the patient name is not in the hub's log"
for n in 103 104 105 201 202 203 204 205 206 207 208; do
	expect_grep tab.out "^recv ACK id=$n \\{\"error\":" "malformed body $n: an error ACK"
done
expect_grep tab.out '^recv ACK id=104 .*another access point' "an alert for another AP"
expect_grep tab.out '^recv ACK id=105 .*not in the inventory' "an alert for an unknown device"
expect_grep tab.out '^recv ACK id=203 .*grant refused' "an approval with a bad grant"
expect_grep tab.out '^recv ACK id=206 .*unknown DECISION op' "an unknown op"
[ "$(sqlite3 hub-audit.db "SELECT state FROM ticket WHERE id = '$TID'")" = notified ] &&
    ok || fail "malformed decisions changed the ticket"
audit_has '"ticket.refuse","outcome":"denied".*"object":"deny".*illegal transition' \
    "a refused transition is audited"
# A request under the alert's ticket for another device is refused (409).
api POST /v1/tickets "{\"ticket\":\"$TID\",\"device\":\"ct-02\",\"capabilities\":\"remote-shell\",\"duration\":\"1h\",\"reason\":\"fix\"}"
expect_grep api.code '^409$' "a request under a ct-01 alert ticket for ct-02: 409"
expect_grep api.body 'opened for device ct-01' "the refusal says which device"
api POST /v1/tickets "{\"ticket\":\"T-X1\",\"device\":\"ct-01\",\"capabilities\":\"remote-shell\",\"duration\":99999999999,\"reason\":\"fix\"}"
expect_grep api.code '^400$' "a duration beyond a year is refused"
api POST /v1/tickets "{\"ticket\":\"$TID\",\"device\":\"ct-01\",\"capabilities\":\"remote-shell\",\"duration\":\"1h\",\"reason\":\"fix\"}"
expect_grep api.code '^201$' "the request for the alert's own device: 201"
kill "$TAB" 2>/dev/null
wait "$TAB" 2>/dev/null

# --- deactivated while the AP was still answering (R5) ----------------------------------
# The AP takes 3 s to say OK; meanwhile an administrator deactivates the
# engineer. The hub decides again on the answer: no stream, 403.
"$CTL" -t 20 ap1.crt ap1.key ca/ca.crt 127.0.0.1 "$CP" \
    hello ap1 ct-01 remote-shell 127.0.0.1:2222 open ok@3 read \
    >ap2.out 2>&1 &
AP2=$!
i=0
while [ $i -lt 50 ] && ! grep -q '^recv HELLO\|connected' ap2.out; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
curl -sS -o slow.body -w '%{http_code}' -X POST --cert eng.crt --key eng.key \
    --cacert ca/ca.crt -d '{"device":"ct-01","service":"remote-shell"}' \
    "https://127.0.0.1:$API/v1/streams" >slow.code 2>slow.err &
SLOW=$!
i=0
while [ $i -lt 50 ] && ! grep -q '^recv STREAM_OPEN' ap2.out; do
	sleep 0.1
	i=$((i + 1))
done
expect_grep ap2.out '^recv STREAM_OPEN' "slow AP: the request reached it"
api POST /v1/engineers/Hanako%20Sato/deactivate '{"reason":"left"}' adm
expect_grep api.code '^200$' "admin deactivates Hanako Sato mid-open"
wait "$SLOW"
expect_grep slow.code '^403$' "slow AP said OK after deactivation: 403"
expect_grep slow.body '"refused by the hub".*deactivated while the stream was opening' \
    "slow AP: the hub's reason"
audit_has '"session.open","outcome":"denied".*deactivated while the stream was opening' \
    "the late refusal is audited"
api POST /v1/engineers/Hanako%20Sato/activate '{}' adm
expect_grep api.code '^200$' "admin activates Hanako Sato again"
kill "$AP2" 2>/dev/null
wait "$AP2" 2>/dev/null

# --- stop ----------------------------------------------------------------------------------
kill "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
sleep 0.3
audit_has '"session.close".*"user":"ap1","role":"ap"' "AP disconnect audited"
kill -TERM "$HPID"
wait "$HPID"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "hub exit status $rc after SIGTERM"; fi
expect_exit 0 "audit verify" -- "$RSGATE" audit verify --db hub-audit.db
expect_grep "$T/out" 'intact' "hub audit log intact"
# The final checkpoint on SIGTERM covers every record.
expect_no_grep "$T/out" 'unproven|not covered' "nothing after the last checkpoint"
finish

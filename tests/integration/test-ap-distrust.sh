# test-ap-distrust.sh: the access point decides for the hospital whatever
# the hub says (R20, R38). A scripted hub (fakehub) sends what a real hub
# never would, and the AP must refuse, answer with an error ACK and audit
# the refusal (R33):
#  - a request with an absurd duration (would overflow the request timer),
#    an unknown capability, a device this AP does not serve, a reused
#    ticket id for another engineer: refused, each audited ticket.refuse;
#  - a resend of a request it has (the outbox repeats ids): ACKed, once;
#  - a close for a ticket it never saw: ACKed, nothing changes;
#  - any workflow message before HELLO_ACK: the AP drops the channel
#    (ctl_type_allowed), the message is not acted on.
. "$RSG_SRC/tests/integration/lib.sh"

AP=$RSG_BUILD/rsgate-ap
FAKEHUB=$RSG_BUILD/fakehub
cd "$T" || exit 1


"$RSGATE" pki init --dir ca --name "Distrust Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null ||
    { fail "test PKI"; finish; }

# fakehub STEPS...: start it, wait for its port; FHPID, FHPORT.
fakehub() {
	: >fh.out
	"$FAKEHUB" -t 20 hub.crt hub.key ca/ca.crt 127.0.0.1 "$@" >fh.out 2>fh.err &
	FHPID=$!
	PIDS="$PIDS $FHPID"
	wait_line fh.out '^listening on' || { fail "fakehub did not start"; finish; }
	FHPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' fh.out)
}
start_ap() {
	cat >ap.conf <<CONF
name ap1
site kyoto-central
hub 127.0.0.1:$FHPORT
cert ap1.crt
key ap1.key
ca ca/ca.crt
device "ct-01 site=radiology"
service "ct-01 remote-shell 127.0.0.1:9"
audit_db ap.db
audit_key ap-audit.key
admin_socket $T/ap.sock
heartbeat 30s
dead_after 60s
reconnect_max 1s
CONF
	"$AP" -c ap.conf >>ap.out 2>>ap.err &
	APID=$!
	PIDS="$PIDS $APID"
}
REQ='"op":"request","device":"ct-01","engineer":"Hanako Sato","engineer_fpr":"00","capabilities":["remote-shell"],"reason":"fix","purpose":"","emergency":false,"requested_ms":0'

fakehub hello \
    ticket "{$REQ,\"ticket\":\"T-1\",\"duration_s\":9223372036854775}" \
    ticket "{$REQ,\"ticket\":\"T-2\",\"duration_s\":600,\"capabilities\":[\"teleport\"]}" \
    ticket "{$REQ,\"ticket\":\"T-3\",\"duration_s\":600,\"device\":\"pump-9\"}" \
    ticket "{$REQ,\"ticket\":\"T-4\",\"duration_s\":600}" \
    ticket "{$REQ,\"ticket\":\"T-4\",\"duration_s\":600}" \
    ticket "{$REQ,\"ticket\":\"T-4\",\"duration_s\":600,\"engineer\":\"Ken Ito\"}" \
    ticket '{"op":"close","ticket":"T-404","reason":"never seen"}'
start_ap
wait "$FHPID"
expect_grep fh.out '^hello done' "the AP said hello to the scripted hub"
expect_grep fh.out '^ack 100 \{"error":"malformed ticket request"\}' \
    "an absurd duration is refused (no timer overflow)"
expect_grep fh.out '^ack 101 \{"error":"unknown capability"\}' "an unknown capability is refused"
expect_grep fh.out '^ack 102 \{"error":"the device is not served by this access point"\}' \
    "a device this AP does not serve is refused"
expect_grep fh.out '^ack 103 \{"ok":true\}' "a good request is ACKed"
expect_grep fh.out '^ack 104 \{"ok":true\}' "its resend is ACKed (idempotent)"
expect_grep fh.out '^ack 105 \{"error":"the ticket exists for another request"\}' \
    "a reused ticket id for another engineer is refused"
expect_grep fh.out '^ack 106 \{"ok":true\}' "a close for an unknown ticket changes nothing"
kill "$APID"
wait "$APID" 2>/dev/null
"$RSGATE" audit export --db ap.db >ap.jsonl
for t in T-1 T-2 T-3; do
	expect_grep ap.jsonl "\"event\":\"ticket.refuse\",\"outcome\":\"denied\".*\"approval\":\"$t\"" \
	    "R33: the refusal of $t is audited"
done
expect_grep ap.jsonl '"event":"ticket.refuse".*"user":"Ken Ito".*"approval":"T-4"' \
    "R33: the reused id is audited with who asked"
[ "$(grep -c '"event":"ticket.request".*"approval":"T-4"' ap.jsonl)" = 1 ] && ok ||
    fail "T-4 was requested more than once at the AP"

# A workflow message before HELLO_ACK: the AP drops the channel.
: >ap.out
fakehub early "{$REQ,\"ticket\":\"T-5\",\"duration_s\":600}"
start_ap
wait "$FHPID"
expect_grep fh.out '^closed' "the AP closed the channel"
expect_no_grep fh.out '^ack ' "the early TICKET was not acted on"
expect_grep ap.err 'bad message from the hub \(UNEXPECTED\)' "the AP says why"
kill "$APID"
wait "$APID" 2>/dev/null
"$RSGATE" audit export --db ap.db >ap.jsonl
expect_no_grep ap.jsonl '"approval":"T-5"' "no ticket T-5 at the AP"
expect_exit 0 "the AP's audit log verifies" -- "$RSGATE" audit verify --db ap.db
for f in ap.err; do
	expect_no_grep "$f" 'Sanitizer|runtime error' "no sanitizer report in $f"
done
finish

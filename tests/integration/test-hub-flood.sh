# test-hub-flood.sh: strangers flood rsgate-hub (issue 3; R36 the relay and
# control ports face strangers, R33 refusals are audited). The hub runs
# with a low descriptor limit (soft 128, hard 256): it must raise the soft
# limit to the hard one and derive its caps from it (logged at start), so
# that hundreds of garbage and silent connections on the relay and control
# ports never make accept fail, an engineer is still served, and the audit
# log holds a bounded number of refusal records -- the first few from the
# address one by one, the rest counted in one summary -- without losing
# the count. The log verifies at the end.
. "$RSG_SRC/tests/integration/lib.sh"

HUB=$RSG_BUILD/rsgate-hub
FLOOD=$RSG_BUILD/flood
cd "$T" || exit 1

"$RSGATE" pki init --dir ca --name "Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out eng >/dev/null ||
    { fail "test PKI"; finish; }

hub_conf hub.conf hub-flood
cat >>hub.conf <<CONF
engineer "Hanako Sato"
relay_unpaired_timeout 3s
relay_per_source_max 100000
refusal_audit_burst 3
CONF

(ulimit -Sn 128 && ulimit -Hn 256 && exec "$HUB" -c hub.conf) \
    >hub.out 2>hub.err &
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
# 256 - 64 reserved = 192: control 24, api 24, relay 144 / 3 = 48 (24 unpaired).
expect_grep hub.err 'file descriptors: limit 256 \(hard 256\), 64 in reserve; caps: control 24, api 24, relay 48 \(unpaired 24\)' \
    "soft limit raised to the hard one, caps derived and logged"

devices() {
	curl -sS -o api.body -w '%{http_code}' --cert eng.crt --key eng.key \
	    --cacert ca/ca.crt --max-time 10 \
	    "https://127.0.0.1:$API/v1/devices" >api.code 2>api.err
}
count() {
	"$RSGATE" audit export --db hub-audit.db --format jsonl >audit.jsonl
	grep -c -- "$1" audit.jsonl
}

# Garbage on the relay (each refused at once), silent holders on the relay
# (beyond the unpaired cap) and plaintext on the control port, at once.
"$FLOOD" -n 300 -t 4 127.0.0.1 "$RP" >flood1.out 2>&1 &
F1=$!
"$FLOOD" -n 300 -t 4 -d "" 127.0.0.1 "$RP" >flood2.out 2>&1 &
F2=$!
"$FLOOD" -n 200 -t 4 127.0.0.1 "$CP" >flood3.out 2>&1 &
F3=$!
sleep 1.5
# The engineer is served during the flood.
devices
expect_grep api.code '^200$' "an engineer is served during the flood"
wait $F1 $F2 $F3
# Every garbage connection was refused and closed.
expect_grep flood1.out '^connected 300 closed 300$' \
    "relay: every garbage connection closed"
expect_grep flood3.out '^connected 200 closed 200$' \
    "control: every plaintext connection closed"
expect_no_grep hub.err 'accept failed' "accept never failed (no EMFILE)"
sleep 0.5
n=$(count '"auth.failure"')
if [ "$n" -eq 3 ]; then ok; else
	fail "during the flood: $n refusal records from 127.0.0.1, want 3"; fi
devices
expect_grep api.code '^200$' "an engineer is served after the flood"

kill -TERM "$HPID"
wait "$HPID"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "hub exit status $rc after SIGTERM"; fi
# The rest is one summary, written at the latest on stop, with its count.
n=$(count '"auth.failure"')
if [ "$n" -eq 4 ]; then ok; else fail "$n refusal records after stop, want 4"; fi
expect_grep audit.jsonl \
    'auth.failure.*"source":"127\.0\.0\.1".*[0-9]+ more refusals from 127\.0\.0\.1 in the last' \
    "summary record of the counted refusals"
more=$(sed -n 's/.*"reason":"\([0-9][0-9]*\) more refusals from 127.0.0.1.*/\1/p' audit.jsonl)
# 300 garbage + 200 plaintext at least (the silent holders add more).
if [ -n "$more" ] && [ "$more" -ge 497 ]; then ok; else
	fail "summary counts '$more' refusals, want at least 497"; fi
expect_exit 0 "audit verify" -- "$RSGATE" audit verify --db hub-audit.db
expect_grep "$T/out" 'intact' "hub audit log intact"
finish

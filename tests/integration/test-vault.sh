# test-vault.sh: evidence collection, the vault, certified deletion and
# the work report, with real processes (hub, AP, devsim) on 127.0.0.1.
#  - R42: `rsgate collect` fetches a log with synthetic patient data from
#    the device through the AP into the hub's vault; the vault holds only
#    ciphertext (no patient name anywhere in the evidence folder or the
#    hub's store); the file reads back intact with its SHA-256; every read
#    is audited (evidence.read); another engineer may not read it.
#  - R20/R29 (fail closed): the hub refuses a collect without a ticket
#    that grants log-collect, and the AP refuses one its own record of the
#    ticket does not grant, even when the hub asks.
#  - R44: when the ticket ends, the evidence is destroyed (no file, no
#    ticket key row left), the deletion certificate reaches the AP, which
#    verifies and stores it; it verifies offline with the CA; an altered
#    certificate is refused (offline and by the AP, audited).
#  - R58: the work report lists the file with its hash and the
#    certificate's digest.
#  - R44: the hub killed in the middle of a purge (test hook
#    RSGATE_TEST_PURGE_PAUSE) finishes it when it starts again.
#  - R38: the AP's own record of the ticket ends purged when the
#    certificate arrives (ticket.purge audited at the AP, once).
#  - R12 (labs): `approval none` grants every request at once, warned at
#    start, the approver named in the grant.
#  - R36: both audit logs verify at the end.
# Tickets go through the real workflow (rsgate request, rsgate ap approve,
# rsgate close). Checks that need a forged store (the AP's own refusal when
# the hub's record differs, a tampered outbox) run only with sqlite3.
. "$RSG_SRC/tests/integration/lib.sh"

HUB=$RSG_BUILD/rsgate-hub
AP=$RSG_BUILD/rsgate-ap
DEVSIM=$RSG_BUILD/rsgate-devsim
cd "$T" || exit 1

HAVE_SQLITE=0
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE=1

sql() {
	db=$1
	shift
	sqlite3 -cmd ".timeout 10000" "$db" "$@"
}
# request ID CAPS [DURATION]: Hanako Sato asks for ct-01.
request() {
	expect_exit 0 "request $1 ($2)" -- $S request --ticket "$1" --device "${DEV:-ct-01}" \
	    --capabilities "$2" --duration "${3:-1h}" --reason "detector drift alarm"
}
# approve ID: the hospital approves at its AP (admin socket).
approve() {
	wait_line ap.out "$1.*waiting for approval" 50 ||
	    fail "the AP did not show the request $1"
	expect_exit 0 "ap approve $1" -- "$RSGATE" ap approve "$1" -c ap.conf
	wait_state "$1" approved || fail "the hub did not record the approval of $1"
}
# wait_state ID STATE: the hub's record of ID reaches STATE, an ERE (10 s).
wait_state() {
	i=0
	while [ $i -lt 50 ]; do
		$S ticket show "$1" --json >state.json 2>/dev/null
		grep -Eq "\"state\": \"($2)\"" state.json && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# ap_ticket_row DB ID STATE CAPS: forge the AP's record (sqlite3 only).
ap_ticket_row() {
	n=$(($(date +%s) * 1000))
	sql "$1" "INSERT OR REPLACE INTO ticket VALUES('$2', '$3', 'ap1',
	    'ct-01', 'Hanako Sato', $4, $4, 3600, 'detector drift alarm',
	    'diagnose the detector', 'Dr. Suzuki', 0, $((n - 60000)),
	    $((n + 3600000)), NULL, NULL, $n, $n);"
}

"$RSGATE" pki init --dir ca --name "Vault Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out sato >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Ken Ito" --out ito >/dev/null ||
    { fail "test PKI"; finish; }

# Logs of 1.5 MiB: more than one API reply (1 MiB) holds (evidence get).
"$DEVSIM" --listen 127.0.0.1:0 --name ct-01 --model "Acme CT-9000" --logs 2 \
    --log-bytes 1572864 --seed 7 >devsim.out 2>devsim.err &
PIDS="$PIDS $!"
wait_line devsim.out '^listening on' || { fail "devsim did not start"; finish; }
DEVPORT=$(port_of devsim.out "")
# A device that stops in the middle of a file (the kill switch test).
"$DEVSIM" --listen 127.0.0.1:0 --name ct-02 --logs 1 --stall-after 100 \
    >devsim2.out 2>devsim2.err &
PIDS="$PIDS $!"
wait_line devsim2.out '^listening on' || { fail "devsim 2 did not start"; finish; }
DEV2PORT=$(port_of devsim2.out "")

# --- the hub, with its vault -------------------------------------------------
expect_exit 0 "vault keygen" -- "$RSGATE" vault keygen --out master.key
expect_mode master.key 600 "the master key is 0600"
expect_exit 1 "vault keygen never overwrites" -- "$RSGATE" vault keygen --out master.key
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
engineer "Ken Ito"
audit_db hub.db
audit_key hub-audit.key
evidence_dir evidence
master_key master.key
evidence_retention 0s
heartbeat 1s
dead_after 3s
CONF
# A master key others can read is refused (R42).
chmod 644 master.key
expect_exit 1 "hub refuses a readable master key" -- "$HUB" -c hub.conf
expect_grep "$T/err" 'master key' "the refusal names the master key"
chmod 600 master.key
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
sed -i "s/^api_listen .*/api_listen 127.0.0.1:$API/; s/^control_listen .*/control_listen 127.0.0.1:$CP/; s/^relay_listen .*/relay_listen 127.0.0.1:$RP/" hub.conf

cat >ap.conf <<CONF
name ap1
site kyoto-central
hub 127.0.0.1:$CP
cert ap1.crt
key ap1.key
ca ca/ca.crt
crl ca/crl.pem
device "ct-01 site=radiology model=Acme-CT-9000"
service "ct-01 log-collect 127.0.0.1:$DEVPORT"
device "ct-02 site=radiology"
service "ct-02 log-collect 127.0.0.1:$DEV2PORT"
audit_db ap.db
audit_key ap-audit.key
admin_socket $T/ap.sock
heartbeat 1s
dead_after 3s
reconnect_max 1s
CONF
start_ap() {
	"$AP" -c ap.conf >>ap.out 2>>ap.err &
	APID=$!
	PIDS="$PIDS $APID"
}
: >ap.out
start_ap
wait_line ap.out '^connected to hub' || { fail "ap did not connect"; cat ap.err >&2; finish; }

for who in sato ito; do
	cat >$who.conf <<CONF
hub 127.0.0.1:$API
cert $T/$who.crt
key $T/$who.key
ca $T/ca/ca.crt
CONF
done
S="$RSGATE -c sato.conf"

# --- collect: refusals first (fail closed) -----------------------------------
expect_exit 1 "collect without a ticket" -- $S collect --ticket T-1 --device ct-01 --file service-01.log
expect_grep "$T/err" 'no such ticket' "the hub knows no such ticket"
request T-0 remote-shell
approve T-0
expect_exit 1 "collect not granted (R29)" -- $S collect --ticket T-0 --device ct-01 --file service-01.log
expect_grep "$T/err" 'capability was not granted' "the hub names the missing capability"
expect_exit 0 "close T-0" -- $S close --ticket T-0 --reason "not needed"
if [ $HAVE_SQLITE = 1 ]; then
	# The AP's own check, when the hub's record says more than the AP's.
	request T-9 log-collect
	approve T-9
	sql ap.db "DELETE FROM ticket WHERE id = 'T-9'"
	expect_exit 1 "the AP refuses a ticket it does not know (R20)" -- $S collect --ticket T-9 --device ct-01 --file service-01.log
	expect_grep "$T/err" 'access point knows no such ticket' "the AP's own check refused it"
	ap_ticket_row ap.db T-9 approved 1
	expect_exit 1 "the AP refuses what its record does not grant" -- $S collect --ticket T-9 --device ct-01 --file service-01.log
	expect_grep "$T/err" 'refused by the access point' "the AP refused it"
	expect_exit 0 "evidence list is empty" -- $S evidence list --ticket T-9
	expect_grep "$T/out" 'no evidence' "nothing was stored by refused collects"
fi

# --- collect (R42) ----------------------------------------------------------------
request T-1 log-collect
approve T-1
expect_exit 0 "collect a log with patient data" -- $S collect --ticket T-1 --device ct-01 --file service-01.log
expect_grep "$T/out" 'collected service-01.log from ct-01' "collect says what it did"
SHA=$(sed -n 's/.*SHA-256 \([0-9a-f]*\)$/\1/p' "$T/out")
[ ${#SHA} -eq 64 ] && ok || fail "collect printed no SHA-256"
expect_exit 1 "the same name twice is refused" -- $S collect --ticket T-1 --device ct-01 --file service-01.log
expect_exit 1 "a file the device does not have" -- $S collect --ticket T-1 --device ct-01 --file nosuch.log
expect_grep "$T/err" 'no such file' "the device's refusal reaches the engineer"

if grep -rq "YAMADA" evidence; then fail "R42: patient name in the evidence folder"; else ok; fi
if grep -aq "YAMADA" hub.db hub.db-wal 2>/dev/null; then fail "R42: patient name in the hub's store"; else ok; fi
if grep -aq "YAMADA" ap.db ap.db-wal 2>/dev/null; then fail "R42: patient name in the AP's store"; else ok; fi
NFILES=$(find evidence -type f | wc -l)
[ "$NFILES" -eq 1 ] && ok || fail "one encrypted file in the vault, found $NFILES"

expect_exit 0 "evidence list" -- $S evidence list --ticket T-1
expect_grep "$T/out" "service-01.log .* $SHA" "the list names the file and its hash"
expect_exit 0 "evidence get" -- $S evidence get --ticket T-1 --name service-01.log --out got.log
expect_grep got.log 'PatientName=YAMADA\^TARO' "the file reads back intact"
[ "$(wc -c <got.log)" -gt 1572000 ] && ok || fail "evidence get: the file over 1 MiB came back whole"
expect_exit 0 "evidence get to stdout" -- $S evidence get --ticket T-1 --name service-01.log
[ "$(sha256sum <"$T/out" | cut -d' ' -f1)" = "$SHA" ] && ok || fail "SHA-256 of the file on stdout"
sql hub.db "SELECT count(*) FROM audit_record WHERE event = 'evidence.read' AND object LIKE 'service-01.log sha256=% bytes %'" >reads.txt
[ "$(cat reads.txt)" -ge 6 ] && ok || fail "R42: every chunk read is audited ($(cat reads.txt) records)"
[ "$(sha256sum got.log | cut -d' ' -f1)" = "$SHA" ] && ok || fail "SHA-256 of the file read back"
expect_exit 1 "another engineer may not read it" -- "$RSGATE" -c ito.conf evidence get --ticket T-1 --name service-01.log

# --- close: purge, certificate, report (R44, R58) ----------------------------------
expect_exit 0 "close T-1" -- $S close --ticket T-1 --reason "diagnosed"
wait_line ap.out 'deletion certificate received for ticket T-1' 100 ||
    fail "R44: the AP did not receive the deletion certificate"
NFILES=$(find evidence -type f | wc -l)
[ "$NFILES" -eq 0 ] && ok || fail "R44: $NFILES evidence file(s) left after the purge"
if [ $HAVE_SQLITE = 1 ]; then
	[ "$(sql hub.db "SELECT count(*) FROM evidence_key WHERE ticket = 'T-1'")" = 0 ] && ok ||
	    fail "R44: the ticket key row is still there"
fi
wait_state T-1 purged && ok || fail "the ticket is not purged at the hub"
# R38: the AP's own record shows the whole life, purge included.
i=0
while [ $i -lt 50 ]; do
	"$RSGATE" audit export --db ap.db >ap.jsonl 2>/dev/null
	grep -q '"event":"ticket.purge".*"approval":"T-1"' ap.jsonl && break
	sleep 0.2
	i=$((i + 1))
done
expect_grep ap.jsonl '"event":"ticket.purge","outcome":"success".*"approval":"T-1".*closed -> purged' \
    "R38: the AP's record of T-1 moved to purged"
expect_exit 1 "the evidence is gone" -- $S evidence get --ticket T-1 --name service-01.log

expect_exit 0 "report (Markdown)" -- $S report --ticket T-1
expect_grep "$T/out" '^# Work report: ticket T-1' "R58: the report's title"
expect_grep "$T/out" "service-01.log .*$SHA" "R58: the report lists the file and its hash"
expect_grep "$T/out" 'Deletion certificate SHA-256: `[0-9a-f]{64}`' "R58: the certificate's digest"
expect_exit 0 "certificate (JSON)" -- $S report --ticket T-1 --certificate --format json
cp "$T/out" cert.json
expect_exit 0 "the certificate verifies offline (R44)" -- "$RSGATE" verify-document cert.json --ca ca/ca.crt --crl ca/crl.pem
expect_grep "$T/out" '^verified: rsgate.deletion-certificate.v1 signed by "127.0.0.1"' "verified by the hub's certificate"
expect_grep "$T/out" "service-01.log .*$SHA" "the certificate names the item and its hash"
sed 's/service-01\.log/service-09.log/' cert.json >altered.json
expect_exit 1 "an altered certificate is refused" -- "$RSGATE" verify-document altered.json --ca ca/ca.crt
expect_grep "$T/err" 'NOT VERIFIED' "the refusal is plain"
expect_exit 0 "report (JSON)" -- $S report --ticket T-1 --format json
cp "$T/out" report.json
expect_exit 0 "the report verifies offline" -- "$RSGATE" verify-document report.json --ca ca/ca.crt

# At the AP: stored as received, verified again when shown.
expect_exit 0 "ap certificates" -- "$RSGATE" ap certificates -c ap.conf
expect_grep "$T/out" '^T-1 .* ct-01 +1 +yes$' "the AP lists the certificate, verified"
expect_exit 0 "ap certificates --ticket" -- "$RSGATE" ap certificates -c ap.conf --ticket T-1
expect_grep "$T/out" '^# Deletion certificate: ticket T-1' "the hospital reads the certificate"
expect_grep "$T/out" "service-01.log .*$SHA" "with the item and its hash"
expect_exit 0 "ap report" -- "$RSGATE" ap report T-1 -c ap.conf
expect_grep "$T/out" '^# Work report: ticket T-1' "R58: the AP has the work report"
expect_exit 1 "ap report of an unknown ticket" -- "$RSGATE" ap report T-9 -c ap.conf
if [ $HAVE_SQLITE = 1 ]; then
	sql ap.db "SELECT body FROM document WHERE ticket = 'T-1' AND kind = 'rsgate.deletion-certificate.v1'" >ap-cert.json
	expect_exit 0 "the AP's copy verifies" -- "$RSGATE" verify-document ap-cert.json --ca ca/ca.crt
fi

# --- the kill switch ends a collect in progress (R24) ---------------------------------------
DEV=ct-02 request T-3 log-collect
approve T-3
$S collect --ticket T-3 --device ct-02 --file service-01.log >collect3.out 2>collect3.err &
CPID=$!
wait_line ap.err 'collect service-01.log from ct-02 for ticket T-3' 50 ||
    fail "the stuck collect did not start"
expect_exit 0 "ap terminate T-3" -- "$RSGATE" ap terminate T-3 -c ap.conf --reason "stop the copy"
i=0
while kill -0 "$CPID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$CPID" 2>/dev/null; then
	fail "R24: the collect still runs 5 s after terminate"
	kill "$CPID"
fi
wait "$CPID" && fail "the terminated collect succeeded" || ok
expect_grep collect3.err 'terminated' "the engineer is told the collect was terminated"
expect_exit 0 "nothing was kept of T-3" -- $S evidence list --ticket T-3
expect_grep "$T/out" 'no evidence' "no partial file in the vault"
wait_state T-3 purged && ok || fail "T-3 was not purged after terminate"

# --- approval none (labs): granted at once, warned at start ------------------------------
kill "$APID"
wait "$APID" 2>/dev/null
echo "approval none" >>ap.conf
: >ap.out
start_ap
wait_line ap.out '^connected to hub' 100 || fail "ap did not reconnect"
expect_grep ap.err 'approval none: every request the hub announces is granted at once' \
    "approval none is warned at start"
request T-2 log-collect
wait_state T-2 approved && ok || fail "approval none did not grant T-2 at once"
expect_grep state.json '"approver": "policy:approval=none"' "the grant names lab mode as approver"
expect_no_grep ap.out 'T-2.*waiting for approval' "nobody had to approve T-2"

# --- the hub killed in the middle of a purge (R44) --------------------------------------
expect_exit 0 "collect for T-2" -- $S collect --ticket T-2 --device ct-01 --file service-02.log
# The engineer closes; the hub goes down before it can purge.
kill "$HPID"
wait "$HPID" 2>/dev/null
RSGATE_TEST_PURGE_PAUSE=60 start_hub
wait_line ap.out 'connected to hub' 100
sleep 1
expect_exit 0 "close T-2" -- $S close --ticket T-2 --reason "diagnosed"
wait_line hub.err 'test hook: purge of T-2 paused' 100 || fail "the purge did not reach the pause"
kill -9 "$HPID"
wait "$HPID" 2>/dev/null
NFILES=$(find evidence -type f | wc -l)
[ "$NFILES" -eq 0 ] && ok || fail "the evidence was not destroyed before the pause"
if [ $HAVE_SQLITE = 1 ]; then
	[ "$(sql hub.db "SELECT count(*) FROM document WHERE ticket = 'T-2' AND kind = 'rsgate.deletion-certificate.v1'")" = 0 ] && ok ||
	    fail "a certificate before the purge finished"
	[ "$(sql hub.db "SELECT count(*) FROM purge_job WHERE ticket = 'T-2'")" = 1 ] && ok ||
	    fail "the purge job is gone"
	# While the hub is down: an altered certificate queued for the AP.
	sql hub.db "INSERT INTO outbox (peer, type, body, created_ms, attempts, next_ms)
	    VALUES ('ap1', 37, json_object('ticket', 'T-1', 'kind',
	    'rsgate.deletion-certificate.v1', 'document',
	    CAST(readfile('altered.json') AS TEXT)), 0, 0, 0);"
fi
start_hub
wait_line ap.out 'deletion certificate received for ticket T-2' 150 ||
    fail "R44: the purge did not finish after the restart"
wait_state T-2 purged && ok || fail "T-2 is not purged after the restart"
expect_exit 0 "T-2 certificate" -- $S report --ticket T-2 --certificate --format json
cp "$T/out" cert2.json
expect_exit 0 "T-2 certificate verifies" -- "$RSGATE" verify-document cert2.json --ca ca/ca.crt
expect_grep "$T/out" 'service-02.log' "the certificate still names the item destroyed before the crash"
if [ $HAVE_SQLITE = 1 ]; then
	wait_line hub.err 'the access point refused the document' 50 ||
	    fail "the hub did not hear the AP refuse the altered certificate"
	wait_line ap.err 'document refused' 10 || fail "the AP did not refuse the altered certificate"
	[ "$(sql ap.db "SELECT count(*) FROM document WHERE ticket = 'T-1' AND body LIKE '%service-09%'")" = 0 ] && ok ||
	    fail "the AP stored the altered certificate"
fi

# --- audit: reads and purges recorded, both logs intact (R33, R36) -----------------------
kill "$HPID"
wait "$HPID" 2>/dev/null
expect_exit 0 "hub audit export" -- "$RSGATE" audit export --db hub.db
expect_grep "$T/out" '"event":"evidence.read"' "evidence reads are audited"
expect_grep "$T/out" '"event":"evidence.collect"' "collects are audited"
expect_grep "$T/out" '"event":"evidence.destroy"' "destruction is audited"
expect_grep "$T/out" '"event":"ticket.purge"' "the purge is audited"
expect_no_grep "$T/out" 'YAMADA' "no patient data in the hub's audit log"
expect_exit 0 "ap audit export" -- "$RSGATE" audit export --db ap.db
[ $HAVE_SQLITE = 0 ] || expect_grep "$T/out" '"event":"document.receive","outcome":"denied"' "the refused document is audited at the AP"
expect_grep "$T/out" '"event":"document.receive","outcome":"success".*"user":"[^"]+","role":"hub"' \
    "a received document names the hub that signed it"
[ "$(grep -c '"event":"ticket.purge".*"approval":"T-2"' "$T/out")" = 1 ] && ok ||
    fail "R38: T-2 purged at the AP exactly once"
[ $HAVE_SQLITE = 0 ] || expect_grep "$T/out" '"event":"evidence.collect","outcome":"denied"' "the AP's refusal is audited"
# --- documents follow the CRL: a revoked hub's certificate no longer verifies --------------
"$RSGATE" pki revoke --dir ca --cert hub.crt >/dev/null || fail "revoke the hub"
wait_line ap.err 'documents: checked against the new revocation list' 100 ||
    fail "the AP did not re-read the CRL for documents"
expect_exit 0 "ap certificates after the revocation" -- "$RSGATE" ap certificates -c ap.conf
expect_grep "$T/out" '^T-1 .* NO$' "a certificate signed by a revoked hub no longer verifies"

expect_exit 0 "hub audit log verifies" -- "$RSGATE" audit verify --db hub.db
expect_exit 0 "ap audit log verifies" -- "$RSGATE" audit verify --db ap.db
for f in hub.err ap.err; do
	expect_no_grep "$f" 'Sanitizer|runtime error' "no sanitizer report in $f"
done
finish

#!/bin/sh
# demo.sh: what `make demo` runs. In a throwaway folder, on 127.0.0.1 only,
# the guideline's failure-response flow end to end with real processes:
#  0. a deployment: CA and certificates, a simulated CT scanner, a local mail
#     server, the vendor's hub and the hospital's access point;
#  1. failure notification: the scanner's alert (with a patient name the
#     access point drops) opens a ticket at the hub and mail arrives;
#  2. connection procedure: the engineer requests access under the ticket;
#     the hospital sees it pending and approves a narrower window;
#  3. connection work: the tunnel to the scanner's service port; a log with
#     synthetic patient data collected into the hub's encrypted vault;
#  4. disconnection: the hospital's kill switch on a second session, and
#     the engineer closing the ticket;
#  5. data deletion: the evidence destroyed, the signed deletion certificate
#     and the work report at the hospital's access point;
# then both audit logs verified (and tampering detected), and the live risk
# assessment computed from the running configuration.
#
# Usage: scripts/demo.sh [BUILD_DIR]     (default: build)
set -eu

BUILD=${1:-build}
B=$(cd "$BUILD" && pwd)
RSGATE=$B/rsgate
for p in rsgate rsgate-hub rsgate-ap rsgate-devsim tcpclient smtpsink; do
	[ -x "$B/$p" ] || { echo "demo: $B/$p not built; run make build" >&2; exit 1; }
done
D=$(mktemp -d "${TMPDIR:-/tmp}/rsgate-demo.XXXXXX")
PIDS=""
finish() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -n "${RSG_DEMO_KEEP:-}" ] || rm -rf "$D"
}
trap finish EXIT

# wait_for FILE ERE: up to 10 s for a line to appear (daemons print their
# bound ports and their state on stdout).
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "demo: no line matching '$2' in $1:" >&2
	cat "$1" "${1%.out}.err" >&2 2>/dev/null
	exit 1
}
port_of() {
	sed -n "s/^$2 *listening on 127\.0\.0\.1:\([0-9][0-9]*\)\$/\1/p" "$1" | tail -n 1
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$ %s\n' "$*" | sed "s#$RSGATE#rsgate#g; s#$D#\$DEMO#g"
	"$@" 2>&1 | sed "s#$D#\$DEMO#g"
}
# run_fail: a command that must fail (exit 1): the demo shows the refusal.
run_fail() {
	printf '$ %s\n' "$*" | sed "s#$RSGATE#rsgate#g; s#$D#\$DEMO#g"
	set +e
	"$@" >"$D/.out" 2>&1
	rc=$?
	set -e
	sed "s#$D#\$DEMO#g" "$D/.out"
	echo "(exit status $rc)"
	if [ "$rc" -ne 1 ]; then
		echo "demo: expected exit status 1" >&2
		exit 1
	fi
}

echo "rsgate demo in \$DEMO=$D"
# say: a line of narration.
say() { printf '%s\n' "$*"; }
# show FILE PREFIX: a daemon's or file's lines, indented.
show() { sed "s#$D#\$DEMO#g; s/^/  $2/" "$1"; }

step "0. A deployment: identities, a CT scanner, a mail server, the hub, the access point"
run "$RSGATE" pki init --dir "$D/ca" --name "Demo Remote Service CA"
for id in "hub hub.rsc.example hub" "ap ap1.hospital.example ap1" \
    "engineer Hanako_Sato sato" "engineer Ken_Ito ito" "hub 127.0.0.1 mail"; do
	set -- $id
	"$RSGATE" pki issue --dir "$D/ca" --role "$1" --name "$(echo "$2" | tr _ ' ')" \
	    --out "$D/$3" >/dev/null
done
say "issued: hub.rsc.example (hub), ap1.hospital.example (access point),"
say "        Hanako Sato and Ken Ito (engineers), 127.0.0.1 (the demo's mail server)"
run "$RSGATE" pki verify --dir "$D/ca" --role engineer "$D/sato.crt"
run_fail "$RSGATE" pki verify --dir "$D/ca" --role ap "$D/sato.crt"

"$B/rsgate-devsim" --listen 127.0.0.1:0 --name ct-01 --model "Acme CT-9000" \
    --logs 2 --seed 7 >"$D/devsim.out" 2>"$D/devsim.err" &
PIDS="$PIDS $!"
wait_for "$D/devsim.out" '^listening on'
DEVPORT=$(port_of "$D/devsim.out" "")
say "rsgate-devsim: CT scanner ct-01, service port 127.0.0.1:$DEVPORT (line protocol: HELLO, ECHO, LIST, GET)"

mkdir "$D/mail"
"$B/smtpsink" -l 127.0.0.1:0 -d "$D/mail" --tls "$D/mail.crt" "$D/mail.key" \
    >"$D/smtp.out" 2>"$D/smtp.err" &
PIDS="$PIDS $!"
wait_for "$D/smtp.out" '^listening on'
SMTPPORT=$(port_of "$D/smtp.out" "")
say "smtpsink: the service center's mail server on 127.0.0.1:$SMTPPORT (offers STARTTLS)"

cat >"$D/hub.conf" <<CONF
name hub.rsc.example
cert $D/hub.crt
key $D/hub.key
ca $D/ca/ca.crt
crl $D/ca/crl.pem
api_listen 127.0.0.1:0
control_listen 127.0.0.1:0
relay_listen 127.0.0.1:0
engineer "Hanako Sato"
engineer "Ken Ito"
audit_db $D/hub.db
audit_key $D/hub-audit.key
smtp_url smtp://127.0.0.1:$SMTPPORT
smtp_ca $D/ca/ca.crt
smtp_from rsgate@rsc.example
smtp_to service-desk@rsc.example
evidence_dir $D/evidence
master_key $D/vault-master.key
evidence_retention 0s
CONF
run cat "$D/hub.conf"
"$B/rsgate-hub" -c "$D/hub.conf" >"$D/hub.out" 2>"$D/hub.err" &
HUBPID=$!
PIDS="$PIDS $HUBPID"
wait_for "$D/hub.out" '^relay listening on'
show "$D/hub.out" 'rsgate-hub: '
API=$(port_of "$D/hub.out" api)
CTLPORT=$(port_of "$D/hub.out" control)

mkdir "$D/tokens"
printf 'ct01-demo-9f3b2c7a51e84d06\n' >"$D/tokens/ct-01"
chmod 600 "$D/tokens/ct-01"
cat >"$D/ap.conf" <<CONF
name ap1.hospital.example
site kyoto-central
hub 127.0.0.1:$CTLPORT
cert $D/ap1.crt
key $D/ap1.key
ca $D/ca/ca.crt
crl $D/ca/crl.pem
device "ct-01 site=radiology model=Acme-CT-9000"
service "ct-01 remote-shell 127.0.0.1:$DEVPORT"
service "ct-01 log-collect 127.0.0.1:$DEVPORT"
audit_db $D/ap1.db
audit_key $D/ap1-audit.key
admin_socket $D/ap.sock
alert_listen 127.0.0.1:0
alert_token "ct-01 $D/tokens/ct-01"
idle_timeout 15m
sessions_per_device 1
CONF
run cat "$D/ap.conf"
"$B/rsgate-ap" -c "$D/ap.conf" >"$D/ap.out" 2>"$D/ap.err" &
APPID=$!
PIDS="$PIDS $APPID"
wait_for "$D/ap.out" '^connected to hub'
show "$D/ap.out" 'rsgate-ap: '
ALERTPORT=$(port_of "$D/ap.out" alert)
for who in sato ito; do
	cat >"$D/$who.conf" <<CONF
hub 127.0.0.1:$API
cert $D/$who.crt
key $D/$who.key
ca $D/ca/ca.crt
CONF
done
SATO="$RSGATE -c $D/sato.conf"
ITO="$RSGATE -c $D/ito.conf"

step "1. Failure notification: the scanner reports a fault; the service center is told (R6-R8)"
say "The scanner's alert carries a patient name and a free-text comment; the access"
say "point keeps only device, model, error code, severity, time and message id."
run "$B/rsgate-devsim" --alert "127.0.0.1:$ALERTPORT" --token-file "$D/tokens/ct-01" \
    --name ct-01 --model "Acme CT-9000" --error-code E-4711 --severity critical \
    --patient "YAMADA^TARO"
wait_for "$D/ap.out" '^alert [0-9a-f]* delivered: ticket '
TICKET=$(sed -n 's/^alert [0-9a-f]* delivered: ticket \(T-[0-9-]*\)$/\1/p' "$D/ap.out" | head -n 1)
grep 'alert' "$D/ap.out" | show /dev/stdin 'rsgate-ap: '
grep "ticket $TICKET" "$D/hub.out" | show /dev/stdin 'rsgate-hub: '
say "The access point recorded what it dropped (field names, never values):"
"$RSGATE" audit export --db "$D/ap1.db" --format jsonl | grep '"alert.drop"' |
    sed 's/.*"reason":"\([^"]*\)".*/  alert.drop: \1/'
wait_for "$D/smtp.out" '^message '
MAIL=$(ls "$D"/mail/*.eml | head -n 1)
say "The mail that reached the service desk (over STARTTLS):"
grep -Ev '^(Received|Message-ID|X-Sink-From|Date):' "$MAIL" | show /dev/stdin '| '
if grep -q YAMADA "$MAIL" "$D/hub.out" "$D/hub.err" "$D"/hub.db*; then
	echo "demo: the patient name reached the hub" >&2
	exit 1
fi
say "(the patient name is nowhere at the hub: not in the mail, its logs or its audit log)"

step "2. Connection procedure: the engineer asks, the hospital decides (R11-R14, R27-R29)"
run $SATO request --ticket "$TICKET" --device ct-01 \
    --capabilities remote-shell,log-collect --duration 2h \
    --reason "CT error E-4711: tube arcing, check the generator log"
wait_for "$D/ap.out" "$TICKET.*waiting for approval"
say "Before the hospital has decided, the tunnel is refused:"
"$RSGATE" -c "$D/sato.conf" connect --ticket "$TICKET" --device ct-01 \
    --service remote-shell --listen 127.0.0.1:0 >"$D/early.out" 2>"$D/early.err" &
EPID=$!
PIDS="$PIDS $EPID"
wait_for "$D/early.out" '^listening on'
printf 'HELLO\n' | "$B/tcpclient" -t 10 127.0.0.1 "$(port_of "$D/early.out" "")" >/dev/null 2>&1 || true
wait_for "$D/early.err" 'refused'
show "$D/early.err" ''
kill "$EPID" 2>/dev/null || true
say "At the hospital, over the access point's local admin socket:"
run "$RSGATE" ap pending -c "$D/ap.conf"
run "$RSGATE" ap approve "$TICKET" --duration 1h -c "$D/ap.conf"
i=0
until $SATO ticket show "$TICKET" 2>/dev/null | grep -q 'approved'; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "demo: no approval at the hub" >&2; exit 1; }
	sleep 0.2
done
run $SATO ticket show "$TICKET"

step "3. Connection work: the tunnel, and a log collected into the vault (R20-R23, R42)"
"$RSGATE" -c "$D/sato.conf" connect --ticket "$TICKET" --device ct-01 \
    --service remote-shell --listen 127.0.0.1:0 >"$D/connect.out" 2>"$D/connect.err" &
CPID=$!
PIDS="$PIDS $CPID"
wait_for "$D/connect.out" '^listening on'
LPORT=$(port_of "$D/connect.out" "")
say "\$ rsgate connect --ticket $TICKET --device ct-01 --service remote-shell --listen 127.0.0.1:$LPORT &"
say "TLS 1.3 runs end to end between the engineer and the access point; the hub relays ciphertext:"
printf 'HELLO\nECHO hello from the service center\nLIST\nQUIT\n' >"$D/req.txt"
sed 's/^/  > /' "$D/req.txt"
"$B/tcpclient" -t 10 127.0.0.1 "$LPORT" <"$D/req.txt" | sed 's/^/  < /'
wait_for "$D/connect.out" 'closed'
grep stream "$D/connect.out" | show /dev/stdin 'rsgate connect: '
run $SATO collect --ticket "$TICKET" --device ct-01 --file service-01.log
run $SATO evidence list --ticket "$TICKET"
run $SATO evidence get --ticket "$TICKET" --name service-01.log --out "$D/service-01.log"
say "The log holds (synthetic) patient data, e.g.:"
grep -m 1 PatientName "$D/service-01.log" | show /dev/stdin ''
say "In the hub's vault it is ciphertext only, under the ticket's own key:"
run find "$D/evidence" -type f
if grep -rq 'Patient' "$D/evidence"; then
	echo "demo: plaintext in the vault" >&2
	exit 1
fi
say "(no patient data readable in \$DEMO/evidence)"

step "4. Disconnection: the hospital's kill switch, then the engineer closes (R24, R5)"
run $ITO request --ticket T-KS-1 --device ct-01 --capabilities remote-shell \
    --duration 30m --reason "remote check of the console"
wait_for "$D/ap.out" 'T-KS-1.*waiting for approval'
run "$RSGATE" ap approve T-KS-1 -c "$D/ap.conf"
"$RSGATE" -c "$D/ito.conf" connect --ticket T-KS-1 --device ct-01 \
    --service remote-shell --listen 127.0.0.1:0 >"$D/ks.out" 2>"$D/ks.err" &
KPID=$!
PIDS="$PIDS $KPID"
wait_for "$D/ks.out" '^listening on'
(printf 'HELLO\n'; sleep 30) | "$B/tcpclient" -t 60 127.0.0.1 "$(port_of "$D/ks.out" "")" >/dev/null 2>&1 &
HOLD=$!
PIDS="$PIDS $HOLD"
wait_for "$D/ks.out" 'open:'
run "$RSGATE" ap sessions -c "$D/ap.conf"
run "$RSGATE" ap terminate T-KS-1 --reason "not during patient scanning" -c "$D/ap.conf"
wait_for "$D/ks.out" 'closed'
grep stream "$D/ks.out" | show /dev/stdin 'rsgate connect (Ken Ito): '
run "$RSGATE" ap sessions -c "$D/ap.conf"
say "The engineer finishes the job and closes the ticket:"
run $SATO close --ticket "$TICKET" --reason "generator log collected; arcing fixed by recalibration"

step "5. Data deletion: destroyed, certified, reported to the hospital (R44, R45, R58)"
wait_for "$D/ap.out" "deletion certificate received for ticket $TICKET"
run find "$D/evidence" -type f
say "(the evidence files and the ticket's key are gone)"
run "$RSGATE" ap certificates -c "$D/ap.conf" --ticket "$TICKET"
$SATO report --ticket "$TICKET" --certificate --format json >"$D/certificate.json"
say "Anyone holding the CA can check the certificate offline:"
say "\$ rsgate verify-document \$DEMO/certificate.json --ca \$DEMO/ca/ca.crt"
"$RSGATE" verify-document "$D/certificate.json" --ca "$D/ca/ca.crt" | head -n 1
sed 's/service-01\.log/service-09.log/' "$D/certificate.json" >"$D/altered.json"
say "and an altered copy is refused:"
run_fail "$RSGATE" verify-document "$D/altered.json" --ca "$D/ca/ca.crt"
run "$RSGATE" ap report "$TICKET" -c "$D/ap.conf"

step "6. Both parties recorded everything, each in its own signed log (R33-R38)"
kill "$CPID" "$KPID" "$HOLD" 2>/dev/null || true
kill "$APPID" "$HUBPID"
wait "$APPID" "$HUBPID" 2>/dev/null || true
say "The access point's record of the ticket (hospital side):"
"$RSGATE" audit export --db "$D/ap1.db" --format jsonl |
    grep "\"approval\":\"$TICKET\"\|\"object\":\"$TICKET\"" |
    sed 's/.*"time":"\([^"]*\)".*"event":"\([^"]*\)","outcome":"\([^"]*\)".*"user":"\([^"]*\)".*/  \1  \2 (\3) by \4/'
run "$RSGATE" audit verify --db "$D/hub.db" --key "$D/hub-audit.key.pub"
run "$RSGATE" audit verify --db "$D/ap1.db" --key "$D/ap1-audit.key.pub"
DB="$D/ap1.db"
KEY="$D/ap1-audit.key"
SEQ=$("$RSGATE" audit export --db "$DB" --format jsonl |
    sed -n 's/^{"seq":\([0-9]*\),.*"event":"ticket\.approve".*/\1/p' | head -n 1)
say "Someone rewrites the approval with the sqlite3 shell..."
run sqlite3 "$DB" "UPDATE audit_record SET user_id='someone else' WHERE seq=$SEQ;"
run_fail "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"
say "...or deletes it:"
run sqlite3 "$DB" "DELETE FROM audit_record WHERE seq=$SEQ;"
run_fail "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"

step "7. The risk assessment, computed from the configuration that ran (R61-R70)"
set +e
"$RSGATE" risk report --hub-config "$D/hub.conf" --ap-config "$D/ap.conf" \
    --format md --out "$D/risk-assessment.md" --summary
set -e
say "(the full guideline table for all seven sites, the Statement of Applicability and"
say " the MDS2 remote-service answers are in \$DEMO/risk-assessment.md; keep it with"
say " RSG_DEMO_KEEP=1)"

printf '\n\033[1mdemo finished: fault reported without patient data, access approved by the hospital, device reached end to end, evidence vaulted then destroyed with a signed certificate, both logs verified and tampering detected.\033[0m\n'

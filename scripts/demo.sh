#!/bin/sh
# demo.sh: what `make demo` runs. In a throwaway folder, on 127.0.0.1 only:
#  1. the trust of a remote-service deployment: a CA, certificates for a hub,
#     a hospital's access point, engineers and a hospital administrator;
#  2. the data path: a simulated CT scanner, the vendor's hub, the
#     hospital's access point with a standing policy, and an engineer's
#     `rsgate connect` reaching the scanner's service port through the
#     end-to-end tunnel; another engineer refused by the hospital's policy;
#  3. both parties' audit logs verified, then one record edited and another
#     deleted behind the log's back with the sqlite3 shell, and
#     `rsgate audit verify` naming each.
#
# Usage: scripts/demo.sh [BUILD_DIR]     (default: build)
set -eu

BUILD=${1:-build}
B=$(cd "$BUILD" && pwd)
RSGATE=$B/rsgate
for p in rsgate rsgate-hub rsgate-ap rsgate-devsim tcpclient; do
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

step "1. A certificate authority and the identities of a deployment"
run "$RSGATE" pki init --dir "$D/ca" --name "Demo Remote Service CA"
run "$RSGATE" pki issue --dir "$D/ca" --role hub --name hub.rsc.example --out "$D/hub"
run "$RSGATE" pki issue --dir "$D/ca" --role ap --name ap1.hospital.example --out "$D/ap1"
run "$RSGATE" pki issue --dir "$D/ca" --role engineer --name "Hanako Sato" --out "$D/sato"
run "$RSGATE" pki issue --dir "$D/ca" --role engineer --name "Ken Ito" --out "$D/ito"
run "$RSGATE" pki issue --dir "$D/ca" --role admin --name "HCF Admin Mori" --out "$D/mori"
run ls -l "$D"

step "2. Whoever relies on a certificate checks its role"
run "$RSGATE" pki verify --dir "$D/ca" --role engineer "$D/sato.crt"
run_fail "$RSGATE" pki verify --dir "$D/ca" --role ap "$D/sato.crt"

step "3. A simulated CT scanner inside the hospital"
"$B/rsgate-devsim" --listen 127.0.0.1:0 --name ct-01 --model "Acme CT-9000" \
    --logs 2 >"$D/devsim.out" 2>"$D/devsim.err" &
PIDS="$PIDS $!"
wait_for "$D/devsim.out" '^listening on'
DEVPORT=$(port_of "$D/devsim.out" "")
echo "rsgate-devsim: ct-01's service port is 127.0.0.1:$DEVPORT (it speaks a line protocol: HELLO, ECHO, LIST, GET)"

step "4. The vendor's hub (engineers' API, control channel, relay)"
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
audit_db $D/hub-audit.db
audit_key $D/hub-audit.key
CONF
run cat "$D/hub.conf"
"$B/rsgate-hub" -c "$D/hub.conf" >"$D/hub.out" 2>"$D/hub.err" &
HUBPID=$!
PIDS="$PIDS $HUBPID"
wait_for "$D/hub.out" '^relay listening on'
sed 's/^/rsgate-hub: /' "$D/hub.out"
API=$(port_of "$D/hub.out" api)
CTLPORT=$(port_of "$D/hub.out" control)

step "5. The hospital's access point: inventory and a standing policy"
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
allow "engineer=Hanako Sato; device=ct-01; service=remote-shell; max=2h"
audit_db $D/ap1-audit.db
audit_key $D/ap1-audit.key
CONF
run cat "$D/ap.conf"
"$B/rsgate-ap" -c "$D/ap.conf" >"$D/ap.out" 2>"$D/ap.err" &
APPID=$!
PIDS="$PIDS $APPID"
wait_for "$D/ap.out" '^connected to hub'
sed 's/^/rsgate-ap: /' "$D/ap.out"

step "6. The engineer sees the device and opens a tunnel to its service port"
cat >"$D/sato.conf" <<CONF
hub 127.0.0.1:$API
cert $D/sato.crt
key $D/sato.key
ca $D/ca/ca.crt
CONF
run "$RSGATE" -c "$D/sato.conf" devices
"$RSGATE" -c "$D/sato.conf" connect --device ct-01 --service remote-shell \
    --listen 127.0.0.1:0 >"$D/connect.out" 2>"$D/connect.err" &
CPID=$!
PIDS="$PIDS $CPID"
wait_for "$D/connect.out" '^listening on'
LPORT=$(port_of "$D/connect.out" "")
echo "\$ rsgate connect --device ct-01 --service remote-shell --listen 127.0.0.1:$LPORT &"
sed 's/^/rsgate connect: /' "$D/connect.out"
echo "Talking to 127.0.0.1:$LPORT reaches ct-01 through hub and access point;"
echo "TLS 1.3 runs end to end between the engineer and the access point:"
printf 'HELLO\nECHO hello from the service center\nLIST\nQUIT\n' >"$D/req.txt"
sed 's/^/  > /' "$D/req.txt"
"$B/tcpclient" -t 10 127.0.0.1 "$LPORT" <"$D/req.txt" | sed 's/^/  < /'
wait_for "$D/connect.out" 'closed'
sed -n 's/^/rsgate connect: /; /stream/p' "$D/connect.out"

step "7. An engineer the hospital's policy does not name is refused at the access point"
cat >"$D/ito.conf" <<CONF
hub 127.0.0.1:$API
cert $D/ito.crt
key $D/ito.key
ca $D/ca/ca.crt
CONF
"$RSGATE" -c "$D/ito.conf" connect --device ct-01 --service remote-shell \
    --listen 127.0.0.1:0 >"$D/ito.out" 2>"$D/ito.err" &
IPID=$!
PIDS="$PIDS $IPID"
wait_for "$D/ito.out" '^listening on'
printf 'HELLO\n' | "$B/tcpclient" -t 10 127.0.0.1 "$(port_of "$D/ito.out" "")" >/dev/null 2>&1 || true
wait_for "$D/ito.err" 'refused'
sed 's/^rsgate connect: /rsgate connect (Ken Ito): /' "$D/ito.err"

step "8. Both parties recorded the session, each in its own signed log"
kill "$CPID" "$IPID" 2>/dev/null || true
kill "$APPID" "$HUBPID"
wait "$APPID" "$HUBPID" 2>/dev/null || true
echo "The hub's record (vendor side):"
"$RSGATE" audit export --db "$D/hub-audit.db" --format jsonl |
    grep '"session\.open"' | sed "s#$D#\$DEMO#g; s/^/  /"
echo "The access point's record (hospital side), same stream id:"
"$RSGATE" audit export --db "$D/ap1-audit.db" --format jsonl |
    grep '"session\.' | sed "s#$D#\$DEMO#g; s/^/  /"
run "$RSGATE" audit verify --db "$D/hub-audit.db" --key "$D/hub-audit.key.pub"
run "$RSGATE" audit verify --db "$D/ap1-audit.db" --key "$D/ap1-audit.key.pub"
DB="$D/ap1-audit.db"
KEY="$D/ap1-audit.key"
SEQ=$("$RSGATE" audit export --db "$DB" --format jsonl |
    sed -n 's/^{"seq":\([0-9]*\),.*"event":"session\.open".*"outcome":"success".*/\1/p' | head -n 1)

step "9. Someone rewrites history with the sqlite3 shell..."
run sqlite3 "$DB" "UPDATE audit_record SET user_id='someone else' WHERE seq=$SEQ;"
run_fail "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"

step "10. ...or deletes the record of a session"
run sqlite3 "$DB" "UPDATE audit_record SET user_id='Hanako Sato' WHERE seq=$SEQ;"
run "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"
run sqlite3 "$DB" "DELETE FROM audit_record WHERE seq=$SEQ;"
run_fail "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"

step "11. A revoked engineer is refused"
run "$RSGATE" pki revoke --dir "$D/ca" --cert "$D/sato.crt"
run_fail "$RSGATE" pki verify --dir "$D/ca" --role engineer "$D/sato.crt"

printf '\n\033[1mdemo finished: the device was reached through the tunnel, the policy refused an engineer, both logs verified, tampering was detected and the revoked certificate refused.\033[0m\n'

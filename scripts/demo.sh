#!/bin/sh
# demo.sh: what `make demo` runs. In a throwaway folder it sets up the trust
# of a remote-service deployment (a CA, certificates for a hub, a hospital's
# access point, an engineer and a hospital administrator), records one
# remote-service session in the access point's tamper-evident audit log,
# verifies the log, then edits one record behind the log's back with the
# sqlite3 shell and shows `rsgate audit verify` catching it.
#
# Usage: scripts/demo.sh [BUILD_DIR]     (default: build)
set -eu

BUILD=${1:-build}
RSGATE=$(cd "$BUILD" && pwd)/rsgate
[ -x "$RSGATE" ] || { echo "demo: $RSGATE not built; run make build" >&2; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/rsgate-demo.XXXXXX")
if [ -z "${RSG_DEMO_KEEP:-}" ]; then
	trap 'rm -rf "$D"' EXIT
fi

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
run "$RSGATE" pki issue --dir "$D/ca" --role admin --name "HCF Admin Ito" --out "$D/ito"
run ls -l "$D"

step "2. Whoever relies on a certificate checks its role"
run "$RSGATE" pki verify --dir "$D/ca" --role engineer "$D/sato.crt"
run_fail "$RSGATE" pki verify --dir "$D/ca" --role ap "$D/sato.crt"

step "3. The access point's audit log, with its own Ed25519 key"
DB="$D/ap1-audit.db"
KEY="$D/ap1-audit.key"
run "$RSGATE" audit init --db "$DB" --key "$KEY"

step "4. One remote-service session, as the access point records it"
A="$RSGATE audit append --db $DB --key $KEY --hcf hcf-kyoto-01 --vendor rsc-medtech --site radiology --device ct-01"
# shellcheck disable=SC2086
{
	$A --event ticket.request --user "Hanako Sato" --role engineer \
	    --session T-1001 --capability log-collect --source 198.51.100.7 \
	    --reason "E1234 tube overheating reported by the device"
	$A --event ticket.approve --user "HCF Admin Ito" --role admin \
	    --session T-1001 --approval A-77 --capability log-collect \
	    --reason "approved for 2h, log collection only"
	$A --event auth.success --user "Hanako Sato" --role engineer \
	    --session T-1001 --source 198.51.100.7
	$A --event session.open --user "Hanako Sato" --role engineer \
	    --session T-1001 --approval A-77 --capability remote-shell \
	    --source 198.51.100.7
	$A --event capability.use --user "Hanako Sato" --role engineer \
	    --session T-1001 --approval A-77 --capability log-collect \
	    --object "tube.log"
	$A --event file.transfer --user "Hanako Sato" --role engineer \
	    --session T-1001 --approval A-77 --capability log-collect \
	    --object "tube.log sha256=9f2c0e6d1b7a" --reason "de-identified"
	$A --event session.close --user "Hanako Sato" --role engineer \
	    --session T-1001 --approval A-77 --reason "work finished"
	$A --event data.delete --user "rsc-vault" --role hub \
	    --session T-1001 --object "tube.log sha256=9f2c0e6d1b7a" \
	    --reason "ticket closed: evidence destroyed"
} | sed "s#$D#\$DEMO#g"
run "$RSGATE" audit export --db "$DB" --format jsonl --since 3
run "$RSGATE" audit export --db "$DB" --format syslog --since 8

step "5. Verification against the access point's public key"
run "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"

step "6. Someone rewrites history with the sqlite3 shell..."
run sqlite3 "$DB" "UPDATE audit_record SET user_id='someone else' WHERE seq=5;"
run_fail "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"

step "7. ...or deletes the record of a session"
run sqlite3 "$DB" "UPDATE audit_record SET user_id='Hanako Sato' WHERE seq=5;"
run "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"
run sqlite3 "$DB" "DELETE FROM audit_record WHERE seq=5;"
run_fail "$RSGATE" audit verify --db "$DB" --key "$KEY.pub"

step "8. A revoked engineer is refused"
run "$RSGATE" pki revoke --dir "$D/ca" --cert "$D/sato.crt"
run_fail "$RSGATE" pki verify --dir "$D/ca" --role engineer "$D/sato.crt"

printf '\n\033[1mdemo finished: tampering was detected and the revoked certificate refused.\033[0m\n'

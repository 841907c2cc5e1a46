#!/bin/sh
# test-pki-cli.sh: `rsgate pki` as an operator uses it: create a CA, issue a
# certificate for every role, check file permissions, show and verify, revoke
# and see the refusal (R15 mutual authentication with certificates, R5 a
# leaver's credentials stop working), and the usage errors (exit 2).
. "$(dirname "$0")/lib.sh"

CA="$T/ca"

# --- init ------------------------------------------------------------------
expect_exit 0 "init" -- "$RSGATE" pki init --dir "$CA" --name "Test RSC CA"
expect_grep "$T/out" 'created CA "Test RSC CA"' "init says what it made"
expect_mode "$CA/ca.key" 600 "CA key is private"
expect_mode "$CA/ca.crt" 644 "CA certificate is public"
expect_mode "$CA/crl.pem" 644 "CRL is public"
expect_mode "$CA" 700 "CA folder is private"
expect_exit 1 "init refuses an existing CA" -- \
	"$RSGATE" pki init --dir "$CA" --name "Again"
expect_grep "$T/err" "^rsgate pki init: .*exists" "overwrite refusal names it"
expect_lines "$T/err" 1 "one-line error"
expect_exit 0 "init ed25519" -- \
	"$RSGATE" pki init --dir "$T/ed" --name "Ed CA" --key-type ed25519
expect_exit 2 "init bad key type" -- \
	"$RSGATE" pki init --dir "$T/x" --name X --key-type rsa
expect_exit 2 "init missing --name" -- "$RSGATE" pki init --dir "$T/x"

# --- issue every role --------------------------------------------------------
for role in hub ap engineer admin; do
	case $role in
	hub) name=hub.rsc.example ;;
	ap) name=ap.hospital.example ;;
	engineer) name="Alice Engineer" ;;
	admin) name="Bob Admin" ;;
	esac
	expect_exit 0 "issue $role" -- "$RSGATE" pki issue --dir "$CA" \
		--role $role --name "$name" --out "$T/$role"
	expect_grep "$T/out" "role $role" "issue $role reports the role"
	expect_mode "$T/$role.key" 600 "$role key is private"
	expect_mode "$T/$role.crt" 644 "$role certificate is public"
	expect_exit 0 "show $role" -- "$RSGATE" pki show --dir "$CA" "$T/$role.crt"
	expect_grep "$T/out" "^roles: +$role\$" "show $role: role"
	expect_grep "$T/out" "^verdict: +valid\$" "show $role: verdict"
	expect_exit 0 "verify $role" -- \
		"$RSGATE" pki verify --dir "$CA" --role $role "$T/$role.crt"
done
expect_exit 0 "show without CA" -- "$RSGATE" pki show "$T/hub.crt"
expect_grep "$T/out" "^subject: +CN=hub.rsc.example\$" "show subject"
expect_grep "$T/out" "^issuer: +CN=Test RSC CA\$" "show issuer"
expect_grep "$T/out" "^serial: +[0-9a-f]+\$" "show serial"
expect_grep "$T/out" "^key: +ECDSA P-256\$" "show key type"
expect_grep "$T/out" "^sha256: +[0-9a-f]{64}\$" "show fingerprint"
expect_no_grep "$T/out" "^verdict" "no verdict without a CA"
n=$(ls "$CA/certs" | wc -l)
if [ "$n" -eq 4 ]; then ok; else fail "index holds $n certificates, wanted 4"; fi

# Days: default for people is 90, the maximum is enforced.
expect_exit 2 "issue too many days" -- "$RSGATE" pki issue --dir "$CA" \
	--role engineer --name carol --days 1000 --out "$T/carol"
expect_exit 2 "issue unknown role" -- "$RSGATE" pki issue --dir "$CA" \
	--role root --name carol --out "$T/carol"
expect_exit 1 "issue refuses to overwrite" -- "$RSGATE" pki issue \
	--dir "$CA" --role hub --name other --out "$T/hub"
expect_grep "$T/err" "^rsgate pki issue: .*hub.crt: file exists" \
	"overwrite refusal names the file"
n=$(ls "$CA/certs" | wc -l)
if [ "$n" -eq 4 ]; then ok; else fail "a refused issue was indexed"; fi

# --- wrong role, other CA ----------------------------------------------------
expect_exit 1 "engineer is not a hub" -- \
	"$RSGATE" pki verify --dir "$CA" --role hub "$T/engineer.crt"
expect_grep "$T/err" "role" "role refusal says role"
expect_exit 0 "engineer or admin" -- \
	"$RSGATE" pki verify --dir "$CA" --role engineer,admin "$T/admin.crt"
expect_exit 1 "other CA untrusted" -- \
	"$RSGATE" pki verify --ca "$T/ed/ca.crt" --role hub "$T/hub.crt"
expect_grep "$T/err" "untrusted" "other-CA refusal says untrusted"
expect_exit 1 "show with other CA" -- \
	"$RSGATE" pki show --ca "$T/ed/ca.crt" "$T/hub.crt"
expect_grep "$T/out" "^verdict: +untrusted" "show verdict untrusted"
expect_exit 1 "foreign CRL refused" -- "$RSGATE" pki verify \
	--ca "$CA/ca.crt" --crl "$T/ed/crl.pem" --role hub "$T/hub.crt"

# --- revoke ------------------------------------------------------------------
expect_exit 0 "revoke engineer" -- \
	"$RSGATE" pki revoke --dir "$CA" --cert "$T/engineer.crt"
expect_grep "$T/out" "^revoked serial [0-9a-f]+" "revoke reports the serial"
expect_exit 1 "revoked engineer refused" -- \
	"$RSGATE" pki verify --dir "$CA" --role engineer "$T/engineer.crt"
expect_grep "$T/err" "revoked" "refusal says revoked"
expect_exit 1 "show revoked" -- \
	"$RSGATE" pki show --dir "$CA" "$T/engineer.crt"
expect_grep "$T/out" "^verdict: +revoked" "show verdict revoked"
expect_exit 0 "admin still valid" -- \
	"$RSGATE" pki verify --dir "$CA" --role admin "$T/admin.crt"
expect_exit 1 "revoke twice" -- \
	"$RSGATE" pki revoke --dir "$CA" --cert "$T/engineer.crt"
expect_grep "$T/err" "already revoked" "second revoke says so"
serial=$(sed -n 's/^serial: *//p' "$T/out" 2>/dev/null)
"$RSGATE" pki show "$T/admin.crt" >"$T/show"
serial=$(sed -n 's/^serial: *//p' "$T/show")
expect_exit 0 "revoke by serial" -- \
	"$RSGATE" pki revoke --dir "$CA" --serial "$serial"
expect_exit 1 "admin revoked by serial" -- \
	"$RSGATE" pki verify --ca "$CA/ca.crt" --crl "$CA/crl.pem" \
	--role admin "$T/admin.crt"
expect_exit 1 "revoke unknown serial" -- \
	"$RSGATE" pki revoke --dir "$CA" --serial 0123abcd
expect_exit 2 "revoke needs one of --cert/--serial" -- \
	"$RSGATE" pki revoke --dir "$CA"
expect_exit 0 "crl refresh" -- "$RSGATE" pki crl --dir "$CA" --days 7
expect_exit 1 "still revoked after refresh" -- \
	"$RSGATE" pki verify --dir "$CA" --role engineer "$T/engineer.crt"

# --- private key permissions ---------------------------------------------------
chmod 644 "$CA/ca.key"
expect_exit 1 "world-readable CA key refused" -- "$RSGATE" pki issue \
	--dir "$CA" --role hub --name h2 --out "$T/h2"
expect_grep "$T/err" "ca.key: unsafe permissions" "names the key file"
chmod 600 "$CA/ca.key"
expect_exit 1 "missing CA" -- "$RSGATE" pki issue --dir "$T/nope" \
	--role hub --name h2 --out "$T/h2"
expect_grep "$T/err" "^rsgate pki issue: .*nope/ca.crt: no such file\$" \
	"missing file named"

# --- usage errors and --help -------------------------------------------------------
for cmd in init issue revoke crl show verify; do
	expect_exit 2 "$cmd unknown option" -- "$RSGATE" pki $cmd --bogus
	expect_grep "$T/err" "unknown option" "$cmd unknown option message"
	expect_exit 0 "$cmd --help" -- "$RSGATE" pki $cmd --help
	expect_grep "$T/out" "^usage: rsgate pki $cmd" "$cmd help"
done
expect_exit 2 "issue without --dir" -- env -u RSGATE_CONFIG \
	"$RSGATE" pki issue --role hub --name h --out "$T/h"
expect_grep "$T/err" "--dir" "missing --dir named"
expect_exit 2 "show without file" -- "$RSGATE" pki show
expect_exit 2 "verify without role" -- \
	"$RSGATE" pki verify --dir "$CA" "$T/hub.crt"

# --dir from the config file (pki_dir).
printf 'pki_dir %s\n' "$CA" >"$T/rsgate.conf"
expect_exit 0 "issue with pki_dir from config" -- "$RSGATE" -c "$T/rsgate.conf" \
	pki issue --role ap --name ap2.hospital.example --out "$T/ap2"
expect_exit 0 "verify with pki_dir from config" -- \
	"$RSGATE" -c "$T/rsgate.conf" pki verify --role ap "$T/ap2.crt"

finish

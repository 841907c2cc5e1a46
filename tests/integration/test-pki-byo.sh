#!/bin/sh
# test-pki-byo.sh: a deployment brings its own CA (docs/PKI.md). A root and
# an intermediate made with the openssl tool issue an engineer certificate
# carrying the rsgate role OID; `rsgate pki verify` accepts it with the
# bundle as trust file, refuses it for another role, refuses a certificate of
# that PKI without a role OID, and honours the intermediate's CRL (R15).
. "$(dirname "$0")/lib.sh"

if ! command -v openssl >/dev/null 2>&1; then
	echo "test-pki-byo.sh: skipped, no openssl tool"
	exit 0
fi
# The steps below run inside $T; keep the binary reachable.
case $RSGATE in /*) ;; *) RSGATE=$PWD/$RSGATE ;; esac
ARC=2.25.224203575153668486410630175879743435226
cd "$T" || exit 1

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$1" 2>/dev/null; }
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth,%s.1.3\n' $ARC >eng.ext
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >plain.ext

key root.key && openssl req -x509 -key root.key -out root.crt -days 30 \
	-subj /CN=HospitalRoot -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
key int.key && openssl req -new -key int.key -subj /CN=HospitalIssuing \
	-out int.csr 2>/dev/null
openssl x509 -req -in int.csr -CA root.crt -CAkey root.key \
	-CAcreateserial -days 20 -extfile ca.ext -out int.crt 2>/dev/null
for who in eng plain; do
	key $who.key
	openssl req -new -key $who.key -subj "/CN=carol-$who" -out $who.csr \
		2>/dev/null
	openssl x509 -req -in $who.csr -CA int.crt -CAkey int.key \
		-CAcreateserial -days 10 -extfile $who.ext -out $who.crt \
		2>/dev/null
	cat $who.crt int.crt >$who-chain.pem
done
expect_file eng-chain.pem "openssl made the BYO certificates"
cat root.crt int.crt >bundle.pem

expect_exit 0 "BYO engineer with chain" -- \
	"$RSGATE" pki verify --ca root.crt --role engineer eng-chain.pem
expect_grep "$T/out" 'valid: role engineer, name "carol-eng"' "verdict"
expect_exit 1 "BYO engineer without its intermediate" -- \
	"$RSGATE" pki verify --ca root.crt --role engineer eng.crt
expect_grep "$T/err" "untrusted" "missing intermediate is untrusted"
expect_exit 0 "intermediate as the only anchor" -- \
	"$RSGATE" pki verify --ca int.crt --role engineer eng.crt
expect_exit 1 "BYO engineer is not an admin" -- \
	"$RSGATE" pki verify --ca root.crt --role admin eng-chain.pem
expect_exit 1 "BYO certificate without role OID" -- \
	"$RSGATE" pki verify --ca root.crt --role engineer plain-chain.pem
expect_grep "$T/err" "role 'none'" "no role OID is a role refusal"
expect_exit 1 "a leaf is no trust anchor" -- \
	"$RSGATE" pki verify --ca eng.crt --role engineer eng.crt

# The intermediate's CRL: empty first, then with the engineer on it.
: >index.txt
echo 01 >crlnumber
cat >ca.cnf <<EOC
[ ca ]
default_ca = issuing
[ issuing ]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 7
EOC
openssl ca -config ca.cnf -gencrl -keyfile int.key -cert int.crt \
	-out int.crl 2>/dev/null
expect_exit 0 "BYO with empty CRL" -- "$RSGATE" pki verify \
	--ca bundle.pem --crl int.crl --role engineer eng-chain.pem
expect_exit 1 "CRL of a CA outside the trust file" -- "$RSGATE" pki verify \
	--ca root.crt --crl int.crl --role engineer eng-chain.pem
openssl ca -config ca.cnf -revoke eng.crt -keyfile int.key -cert int.crt \
	2>/dev/null
openssl ca -config ca.cnf -gencrl -keyfile int.key -cert int.crt \
	-out int.crl 2>/dev/null
expect_exit 1 "BYO revoked engineer" -- "$RSGATE" pki verify \
	--ca bundle.pem --crl int.crl --role engineer eng-chain.pem
expect_grep "$T/err" "revoked" "BYO revocation honoured"
expect_exit 1 "show says revoked" -- \
	"$RSGATE" pki show --ca bundle.pem --crl int.crl eng-chain.pem
expect_grep "$T/out" "^verdict: +revoked" "show verdict"

finish

#!/bin/sh
# test-risk.sh: `rsgate risk report|diff|check` as a hospital would run
# them (issue 5, R61-R70): the guideline table for all seven sites from
# real hub and AP config files, the exit status that cron alarms on, the
# formats (JSON, HTML well-formed, CSV with BOM, XLSX that unzips), the
# diff naming the fact that re-opened a row after a config change, what-if
# facts, register validation with FILE:LINE, issue 4's config keys each
# re-opening exactly their rows, and --live against a running hub (GET
# /v1/facts with an engineer's certificate) and access point (its admin
# socket).
. "$RSG_SRC/tests/integration/lib.sh"

HUB=$RSG_BUILD/rsgate-hub
cd "$T" || exit 1

"$RSGATE" pki init --dir ca --name "Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" --out eng >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki crl --dir ca >/dev/null ||
    { fail "test PKI"; finish; }
CRL=$(ls ca/*.pem 2>/dev/null | grep -i crl | head -1)

cat >hub.conf <<CONF
name hub-test
cert hub.crt
key hub.key
ca ca/ca.crt
crl $CRL
api_listen 127.0.0.1:0
control_listen 127.0.0.1:0
relay_listen 127.0.0.1:0
engineer "Hanako Sato"
audit_db hub-audit.db
audit_key hub-audit.key
CONF
cat >ap.conf <<CONF
name ap1
site kyoto-central
hub 127.0.0.1:9
cert ap1.crt
key ap1.key
ca ca/ca.crt
crl $CRL
device "ct-01 site=radiology"
service "ct-01 remote-shell 127.0.0.1:2222"
allow "engineer=Hanako Sato; device=ct-01; service=remote-shell; max=2h"
audit_db ap1-audit.db
audit_key ap1-audit.key
CONF

R="$RSGATE risk report --hub-config hub.conf --ap-config ap.conf --at 2026-12-01"

# --- help, usage ------------------------------------------------------------
expect_exit 0 "risk report --help" -- "$RSGATE" risk report --help
expect_grep "$T/out" '--hub-config' "help lists --hub-config"
expect_exit 2 "no --format" -- "$RSGATE" risk report
expect_exit 2 "bad format" -- "$RSGATE" risk report --format doc
expect_exit 2 "xlsx needs --out" -- "$RSGATE" risk report --format xlsx
expect_exit 2 "diff needs two files" -- "$RSGATE" risk diff a.json

# --- the guideline table from the config files (R69) -----------------------
$R --format md >report.md 2>report.err
rc=$?
# Some rows depend on facts no config key establishes yet: treat, exit 1.
if [ "$rc" -eq 1 ]; then ok; else fail "report exit $rc, wanted 1"; fi
for s in "1: HCF maintained device" "2: HCF internal network" \
    "3: HCF access point" "4: External network / ISP" "5: RSC exit" \
    "6: RSC internal network" "7: RSC devices"; do
	expect_grep report.md "^### Site $s\$" "site $s in the table"
done
expect_grep report.md '^## Summary per site' "per-site summary"
expect_grep report.md '^## Statement of Applicability' "SoA"
expect_grep report.md '^\| NAUT-3 \| \(see HN 1-2019\) \| Yes \|' "MDS2 answer from a fact"
expect_grep report.md '^\| A\.11 \| A\.11\.4 \| Access control \| A\.11\.4\.2 \(C-MTLS\) \| R-41-SPOOF \|' \
    "deck asset 41 row with its Annex A clause"
expect_grep report.md 'R-41-SPOOF .*\| 3 \| 3 \| 2 \| 18 \| 1 \| 2 \| 6 \| low \|.*\| ok \|' \
    "mutual TLS credited from the code"
expect_grep report.md 'R-32-KEYLEAK .*\| ok \|' "CRL in both configs credits C-REVOKE"
expect_grep report.md 'register sha256 [0-9a-f]{64}; facts sha256 [0-9a-f]{64}' "digests in the footer"

# --- the summary the demo prints ------------------------------------------
expect_exit 1 "--summary" -- $R --summary
expect_grep "$T/out" '^risk: RSGATE-RA v1, 45 rows: [0-9]+ ok, [0-9]+ treat' "summary line"

# --- a config change re-opens the dependent rows; diff names the cause ----
$R --format json --out before.json
grep -v '^crl ' ap.conf >ap-nocrl.conf
"$RSGATE" risk report --hub-config hub.conf --ap-config ap-nocrl.conf \
    --at 2026-12-01 --format json --out after.json
expect_file after.json "json written"
expect_grep before.json '"schema": "rmsrisk-eval/1"' "evaluation record"
expect_exit 1 "diff exits 1 with rows to treat" -- "$RSGATE" risk diff before.json after.json
expect_grep "$T/out" '^- `ap.crl`: true → false$' "diff: the fact"
expect_grep "$T/out" 'R-32-KEYLEAK\*\*: `ap.crl` true→false ⇒ C-REVOKE unsatisfied ⇒ V 1→3 ⇒ R 6→18 ⇒ ok→treat' \
    "diff: the causal chain"
expect_grep "$T/out" 'R-56-KEYLEAK' "diff: every dependent row"
expect_no_grep "$T/out" 'R-41-SPOOF' "diff: no unrelated row"
expect_exit 1 "diff of bad input" -- "$RSGATE" risk diff before.json hub.conf

# Issue 4's keys: each change re-opens exactly the rows that depend on it.
# changed_rows OLD NEW: the ids of the rows the diff reports, sorted.
changed_rows() {
	"$RSGATE" risk diff "$1" "$2" >diff.out 2>diff.err
	sed -n 's/^- \*\*\([^*]*\)\*\*: .*/\1/p' diff.out | sort | tr '\n' ' '
}
expect_changed() {
	got=$(changed_rows before.json "$1")
	if [ "$got" = "$2" ]; then ok; else
		fail "$3: rows '$got', wanted '$2'"; sed 's/^/  | /' diff.out >&2; fi
	expect_grep diff.out "$4" "$3: the cause"
}
sed 's/^allow /approval none\nallow /' ap.conf >ap-none.conf
grep -q '^approval none' ap-none.conf || printf 'approval none\n' >>ap-none.conf
"$RSGATE" risk report --hub-config hub.conf --ap-config ap-none.conf \
    --at 2026-12-01 --format json --out none.json
expect_changed none.json "R-11-CHANGE R-12-BROWSE R-34-STANDING " \
    "approval none" '`session.approval` standing→none ⇒ C-APPROVAL unsatisfied ⇒ V 1→2 ⇒ R 6→12 ⇒ ok→treat'
{ cat hub.conf; echo "evidence_retention 60d"; } >hub-keep.conf
"$RSGATE" risk report --hub-config hub-keep.conf --ap-config ap.conf \
    --at 2026-12-01 --format json --out keep.json
expect_changed keep.json "R-13-LEAK R-71-FORGET-PHI R-73-BREACH " \
    "evidence retention above policy" \
    'R-71-FORGET-PHI\*\*: `evidence.retention_secs` 0→5184000 ⇒ C-AUTODEL unsatisfied ⇒ V 2→3 ⇒ R 6→9 ⇒ ok→treat'
{ cat ap.conf; echo "emergency_access yes"; } >ap-emerg.conf
"$RSGATE" risk report --hub-config hub.conf --ap-config ap-emerg.conf \
    --at 2026-12-01 --format json --out emerg.json
expect_changed emerg.json "R-52-LINE R-55-DOS " "emergency access on" \
    'R-52-LINE\*\*: `session.emergency_access` false→true ⇒ acceptance invalid ⇒ accepted→reopened'
{ cat ap.conf; echo "idle_timeout 2h"; } >ap-idle.conf
"$RSGATE" risk report --hub-config hub.conf --ap-config ap-idle.conf \
    --at 2026-12-01 --format json --out idle.json
expect_changed idle.json "R-15-HUNG " "idle timeout too long" \
    '`session.idle_timeout_secs` 900→7200 ⇒ C-TIMEOUT unsatisfied'

# --- what-if facts (mutual TLS cannot be turned off in a config) ----------
printf '{"tls.mutual_auth": false}\n' >nomtls.json
$R --format json --facts nomtls.json --out nomtls-eval.json
"$RSGATE" risk diff before.json nomtls-eval.json >diff2.md
expect_grep diff2.md 'R-41-SPOOF\*\*: `tls.mutual_auth` true→false ⇒ C-MTLS unsatisfied' \
    "what-if: mutual TLS off re-opens R-41-SPOOF"
printf '{"tls.mutual_auth": [1]}\n' >bad-facts.json
expect_exit 1 "bad facts file" -- $R --format md --facts bad-facts.json
expect_grep "$T/err" 'bad-facts.json' "bad facts file named"
# Every fact the deck's rows need: nothing left to treat, exit 0.
cat >all.json <<'JSON'
{"auth.mfa_required": true, "evidence.retention_secs": 0,
 "evidence.encrypted": true, "session.approval": "per_session",
 "session.emergency_access": false, "session.idle_timeout_secs": 900,
 "session.max_secs": 28800, "session.per_device": 1,
 "alert.enabled": true, "alert.fixed_fields": true}
JSON
expect_exit 0 "all controls in place: exit 0" -- $R --format md --facts all.json
expect_grep "$T/out" 'R-61-SPOOF-RSC .*\| 3 \| 3 \| 1 \| 9 \| 2 \| 1 \| 6 \| low \|' \
    "deck A.11 row 9->6"
expect_grep "$T/out" 'R-71-FORGET-PHI .*\| 3 \| 3 \| 1 \| 9 \| 2 \| 1 \| 6 \| low \|' \
    "deck A.9 row 9->6"
# After the attestations expire, the organisational controls earn nothing.
expect_exit 1 "expired attestations" -- "$RSGATE" risk report \
    --hub-config hub.conf --ap-config ap.conf --facts all.json \
    --at 2027-06-01 --format md
expect_grep "$T/out" 'C-HCF-MEDIA: Trace printouts and media kept locked and shredded \[expired\]' \
    "expired attestation shown"

# --- formats ------------------------------------------------------------------
$R --format html --out r.html
expect_grep r.html '<svg xmlns="http://www.w3.org/2000/svg"' "HTML heat map"
if command -v xmllint >/dev/null 2>&1; then
	expect_exit 0 "HTML is well-formed XML" -- xmllint --noout r.html
fi
$R --format csv --out r.csv
if [ "$(head -c 3 r.csv | od -An -tx1 | tr -d ' ')" = "efbbbf" ]; then ok; else
	fail "CSV has no UTF-8 BOM"; fi
expect_lines r.csv 46 "CSV: header and 45 rows"
$R --format csv --report soa --out soa.csv
expect_grep soa.csv '^"A\.11\.4\.2","C-MTLS' "CSV SoA"
$R --format xlsx --out r.xlsx
if command -v unzip >/dev/null 2>&1; then
	unzip -p r.xlsx xl/workbook.xml >wb.xml
	expect_grep wb.xml 'name="Risk assessment"' "XLSX sheet names"
	unzip -p r.xlsx xl/sharedStrings.xml >ss.xml
	expect_grep ss.xml 'R-61-SPOOF-RSC' "XLSX holds the rows"
else
	expect_file r.xlsx "XLSX written"
fi

# --- register validation ------------------------------------------------------
expect_exit 0 "check the built-in register" -- "$RSGATE" risk check
expect_grep "$T/out" '7 sites, 27 assets' "built-in register counts"
expect_exit 0 "check the shipped file" -- "$RSGATE" risk check --register "$RSG_SRC/data/register.yaml"
sed 's/^  - {number: 42, site: 2,/  - {number: 41, site: 2,/' "$RSG_SRC/data/register.yaml" >dup.yaml
expect_exit 1 "duplicate asset number" -- "$RSGATE" risk check --register dup.yaml
expect_grep "$T/err" 'dup\.yaml:[0-9]+: duplicate asset number 41' "FILE:LINE error"
expect_exit 1 "report refuses a bad register" -- "$RSGATE" risk report --register dup.yaml --format md

# --- --live: the running hub's facts ----------------------------------------
"$HUB" -c hub.conf >hub.out 2>hub.err &
HPID=$!
i=0
while [ $i -lt 100 ] && ! grep -q '^api listening on' hub.out; do
	sleep 0.1
	i=$((i + 1))
done
API=$(sed -n 's/^api listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' hub.out)
if [ -n "$API" ]; then ok; else fail "hub did not start"; cat hub.err >&2; fi
cat >eng.conf <<CONF
hub 127.0.0.1:$API
cert eng.crt
key eng.key
ca ca/ca.crt
CONF
"$RSGATE" -c eng.conf risk report --live --at 2026-12-01 --format json --out live.json
expect_grep live.json '"auth.personal_accounts": "true"' "live: hub config fact"
expect_grep live.json '"hub.crl": "true"' "live: hub CRL fact"
expect_grep live.json '"tls.mutual_auth": "true"' "live: code fact"
expect_grep live.json '"ap.crl": "unknown"' "live: no AP, AP facts unknown"
code=$(curl -sS -o facts.body -w '%{http_code}' --cert eng.crt --key eng.key \
    --cacert ca/ca.crt "https://127.0.0.1:$API/v1/facts" 2>/dev/null)
if [ "$code" = "200" ]; then ok; else fail "GET /v1/facts: HTTP $code"; fi
expect_grep facts.body '"tls.mutual_auth": true' "GET /v1/facts: typed JSON"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -d '{}' --cert eng.crt \
    --key eng.key --cacert ca/ca.crt "https://127.0.0.1:$API/v1/facts" 2>/dev/null)
if [ "$code" = "405" ]; then ok; else fail "POST /v1/facts: HTTP $code, wanted 405"; fi
# The access point's admin socket (GET /v1/facts over a Unix socket).
CP=$(sed -n 's/^control listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' hub.out)
sed "s/^hub .*/hub 127.0.0.1:$CP/" ap.conf >ap-live.conf
printf 'admin_socket %s/ap.sock\nidle_timeout 20m\n' "$T" >>ap-live.conf
"$RSG_BUILD/rsgate-ap" -c ap-live.conf >ap.out 2>ap.err &
APID=$!
i=0
while [ $i -lt 100 ] && [ ! -S "$T/ap.sock" ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -S "$T/ap.sock" ]; then ok; else fail "AP admin socket"; cat ap.err >&2; fi
"$RSGATE" -c eng.conf risk report --live --ap-socket "$T/ap.sock" \
    --at 2026-12-01 --format json --out live-ap.json
expect_grep live-ap.json '"session.approval": "standing"' "live AP: approval mode"
expect_grep live-ap.json '"session.idle_timeout_secs": "1200"' "live AP: idle timeout"
expect_grep live-ap.json '"policy.standing_rules": "1"' "live AP: standing policy"
expect_grep live-ap.json '"ap.admin_socket": "true"' "live AP: admin socket"
expect_grep live-ap.json '"auth.personal_accounts": "true"' "live AP: hub facts too"
kill "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
expect_exit 2 "--ap-socket needs --live" -- "$RSGATE" risk report --ap-socket x --format md
expect_exit 1 "live: AP socket missing" -- "$RSGATE" -c eng.conf risk report --live --ap-socket "$T/none.sock" --format md
expect_grep "$T/err" 'access point' "live: AP socket error named"
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null

finish

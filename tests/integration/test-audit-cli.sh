#!/bin/sh
# test-audit-cli.sh: the audit log as an operator uses it (R36, R40):
# `rsgate audit init|append|verify|export`, exit codes, the key file's
# mode, and tampering with the sqlite3 shell caught by verify, which names
# the record.
. "$(dirname "$0")/lib.sh"

DB="$T/audit.db"
KEY="$T/audit.key"

expect_exit 2 "init without --db is a usage error" -- \
	"$RSGATE" audit init --key "$KEY"
expect_exit 0 "audit init --help" -- "$RSGATE" audit init --help
expect_grep "$T/out" "--db FILE" "init --help lists --db"
expect_exit 0 "audit init" -- "$RSGATE" audit init --db "$DB" --key "$KEY"
expect_grep "$T/out" "created audit key" "init says it created the key"
expect_mode "$KEY" 600 "private key is 0600"
expect_file "$KEY.pub" "public key written"
expect_exit 1 "re-init refused" -- \
	"$RSGATE" audit init --db "$DB" --key "$KEY"
expect_grep "$T/err" "already holds an audit log" "re-init says why"

expect_exit 2 "append needs --event" -- \
	"$RSGATE" audit append --db "$DB" --key "$KEY"
expect_exit 2 "append refuses an unknown event" -- \
	"$RSGATE" audit append --db "$DB" --key "$KEY" --event bogus.event
expect_exit 2 "append refuses a bad outcome" -- \
	"$RSGATE" audit append --db "$DB" --key "$KEY" --event session.open \
	--outcome maybe
i=1
for ev in ticket.request ticket.approve auth.success session.open \
    capability.use file.transfer phi.access session.close; do
	expect_exit 0 "append $ev" -- "$RSGATE" audit append --db "$DB" \
		--key "$KEY" --event "$ev" --user engineer-1 --role rsc \
		--hcf HCF-Tokyo --vendor ACME --session S-1 --device CT-7 \
		--site tokyo --approval A-1 --capability VIEW_LOGS \
		--object "trace-$i.bin" --source 192.0.2.7 --reason "step $i"
	expect_grep "$T/out" "^appended record $i\$" "append prints seq $i"
	i=$((i + 1))
done
expect_exit 0 "append a denial" -- "$RSGATE" audit append --db "$DB" \
	--key "$KEY" --event capability.use --outcome denied \
	--capability VIEW_PHI --reason 'not in grant "A-1"'

expect_exit 0 "verify intact" -- "$RSGATE" audit verify --db "$DB"
expect_grep "$T/out" "^audit log intact: 9 records, 9 checkpoints, last sequence 9; signatures checked against the key stored in the log itself" \
	"verify summary"
expect_exit 0 "verify with --key" -- \
	"$RSGATE" audit verify --db "$DB" --key "$KEY.pub"
expect_grep "$T/out" "checked against the key given with --key" \
	"verify says it used --key"

expect_exit 0 "export jsonl" -- "$RSGATE" audit export --db "$DB" \
	--format jsonl
expect_lines "$T/out" 9 "one JSON line per record"
expect_grep "$T/out" '^\{"seq":9,.*"outcome":"denied".*"reason":"not in grant \\"A-1\\""' \
	"JSON escapes quotes"
expect_exit 0 "export syslog --since 7" -- "$RSGATE" audit export \
	--db "$DB" --format syslog --since 7
expect_lines "$T/out" 3 "since 7: three lines"
expect_grep "$T/out" '^<109>1 [0-9T:.-]+Z [^ ]+ rsgate - phi\.access \[rsgate@32473 seq="7" outcome="success" ' \
	"RFC 5424 header and structured data"
expect_exit 2 "export refuses an unknown format" -- \
	"$RSGATE" audit export --db "$DB" --format csv

# Another key cannot append.
OTHER="$T/other.key"
expect_exit 0 "init a second log" -- \
	"$RSGATE" audit init --db "$T/other.db" --key "$OTHER"
expect_exit 1 "append with the wrong key refused" -- \
	"$RSGATE" audit append --db "$DB" --key "$OTHER" --event session.open
expect_exit 1 "verify against the wrong --key fails" -- \
	"$RSGATE" audit verify --db "$DB" --key "$OTHER.pub"

# The config file supplies --db and --key.
printf 'audit_db %s\naudit_key %s\naudit_pubkey %s.pub\n' "$DB" "$KEY" \
	"$KEY" >"$T/rsgate.conf"
expect_exit 0 "append via config" -- "$RSGATE" -c "$T/rsgate.conf" \
	audit append --event report.submit --user engineer-1
expect_exit 0 "verify via config" -- "$RSGATE" -c "$T/rsgate.conf" \
	audit verify
expect_grep "$T/out" "10 records" "config log has 10 records"

# Tamper with the sqlite3 shell, the way an intruder would.
if command -v sqlite3 >/dev/null 2>&1; then
	cp "$DB" "$T/t1.db"
	sqlite3 "$T/t1.db" "UPDATE audit_record SET user_id = 'nobody' WHERE seq = 4"
	expect_exit 1 "verify catches an edited column" -- \
		"$RSGATE" audit verify --db "$T/t1.db"
	expect_grep "$T/out" "^audit log TAMPERED: record 4: column user_id was changed" \
		"verify names record 4"
	cp "$DB" "$T/t2.db"
	sqlite3 "$T/t2.db" "DELETE FROM audit_record WHERE seq = 6"
	expect_exit 1 "verify catches a deleted record" -- \
		"$RSGATE" audit verify --db "$T/t2.db"
	expect_grep "$T/out" "record 6 is missing" "verify names record 6"
	cp "$DB" "$T/t3.db"
	sqlite3 "$T/t3.db" "DELETE FROM audit_record WHERE seq >= 9"
	expect_exit 1 "verify catches a cut tail" -- \
		"$RSGATE" audit verify --db "$T/t3.db"
	expect_grep "$T/out" "records 9 to 10 are missing from the end" \
		"verify names the cut tail"
else
	fail "sqlite3 shell not installed (scripts/deps.sh installs it)"
fi

expect_exit 1 "verify of a missing file fails" -- \
	"$RSGATE" audit verify --db "$T/none.db"
expect_grep "$T/err" "no audit log there" "missing log says so"
expect_exit 1 "verify with a missing --key fails" -- \
	"$RSGATE" audit verify --db "$DB" --key "$T/none.pub"
expect_grep "$T/err" "cannot read key" "missing key says so"
finish

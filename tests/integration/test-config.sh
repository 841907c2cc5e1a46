#!/bin/sh
# test-config.sh: the rsgate command line's configuration as a user meets
# it: docs/CONFIG.md matches the code, `-t` accepts good files and names
# FILE:LINE for bad ones, `-T` redacts secrets, $RSGATE_CONFIG is read,
# usage errors exit 2 with one line, and the sample in contrib/ is valid.
. "$(dirname "$0")/lib.sh"
: "${RSG_SRC:?RSG_SRC must name the source tree}"
unset RSGATE_CONFIG

# --- docs/CONFIG.md is exactly what the code generates ---------------------
expect_exit 0 "config doc" -- "$RSGATE" config doc
if cmp -s "$T/out" "$RSG_SRC/docs/CONFIG.md"; then ok; else
	fail "docs/CONFIG.md differs from 'rsgate config doc'; regenerate it" \
	    "with: build/rsgate config doc > docs/CONFIG.md"
	diff -u "$RSG_SRC/docs/CONFIG.md" "$T/out" | head -40 >&2
fi
for key in pki_dir audit_db audit_key audit_pubkey log_level; do
	expect_grep "$T/out" "^\| \`$key\` \|" "config doc lists $key"
done
expect_exit 0 "config doc --help" -- "$RSGATE" config doc --help
expect_grep "$T/out" "^usage: rsgate config doc" "config doc --help text"
expect_exit 2 "config doc with an argument" -- "$RSGATE" config doc extra
expect_lines "$T/err" 1 "config doc extra: one line"
expect_exit 2 "config doc unknown option" -- "$RSGATE" config doc --bogus
expect_grep "$T/err" "unknown option '--bogus'" "config doc --bogus named"
expect_lines "$T/err" 1 "config doc --bogus: one line"

# --- -t on a good file ------------------------------------------------------
cat >"$T/good.conf" <<'CONF'
# a good file
pki_dir "/srv/rsgate pki"   # quoted: keeps the space
audit_db /srv/audit.db
audit_key /very/secret/signing.key
log_level info
CONF
expect_exit 0 "-t good file" -- "$RSGATE" -c "$T/good.conf" -t
expect_grep "$T/out" "configuration is valid" "-t says valid"
expect_lines "$T/err" 0 "-t good file: quiet stderr"
printf 'log_level debug\r\naudit_db /x\r\n' >"$T/crlf.conf"
expect_exit 0 "-t CRLF file" -- "$RSGATE" -c "$T/crlf.conf" -t
: >"$T/empty.conf"
expect_exit 0 "-t empty file" -- "$RSGATE" -c "$T/empty.conf" -t

# --- -t on bad files: exit 1, one line naming FILE:LINE ---------------------
bad() {	# bad NAME LINE REASON CONTENT
	printf '%b' "$4" >"$T/$1.conf"
	expect_exit 1 "-t $1" -- "$RSGATE" -c "$T/$1.conf" -t
	expect_grep "$T/err" "^rsgate: $T/$1.conf:$2: .*$3" "-t $1 names FILE:LINE"
	expect_lines "$T/err" 1 "-t $1: one line on stderr"
	expect_no_grep "$T/out" "valid" "-t $1: not called valid"
}
bad unknown-key 2 "unknown option \"pki_folder\"" '# c\npki_folder /x\n'
bad bad-enum 1 "must be one of: error warn info debug" 'log_level loud\n'
bad repeated 3 "given more than once" 'audit_db /a\n\naudit_db /b\n'
bad missing-value 1 "missing value" 'pki_dir\n'
bad unterminated 2 "unterminated" 'audit_db /a\npki_dir "/x\n'
bad empty-path 1 "must be a path" 'pki_dir ""\n'
bad bad-key 1 "key value" 'PKI_DIR /x\n'
bad nul-byte 2 "NUL" 'audit_db /a\npki_dir /x\000y\n'
awk 'BEGIN { printf "pki_dir /"; for (i = 0; i < 5000; i++) printf "a"; print "" }' \
    >"$T/long.conf"
expect_exit 1 "-t over-long line" -- "$RSGATE" -c "$T/long.conf" -t
expect_grep "$T/err" "^rsgate: $T/long.conf:1: line longer than" "long line named"
# A bad sensitive value is not echoed back.
printf 'audit_key "/x\001topsecret"\n' >"$T/badkey.conf"
expect_exit 1 "-t bad audit_key" -- "$RSGATE" -c "$T/badkey.conf" -t
expect_grep "$T/err" "badkey.conf:1: audit_key: bad value \(redacted\)" \
    "bad audit_key reported"
expect_no_grep "$T/err" "topsecret" "bad audit_key not echoed"

expect_exit 1 "-t missing file" -- "$RSGATE" -c "$T/nonexistent.conf" -t
expect_grep "$T/err" "^rsgate: $T/nonexistent.conf: no such file" \
    "missing file named"
expect_lines "$T/err" 1 "missing file: one line"
head -c 1048577 /dev/zero | tr '\0' '\n' >"$T/huge.conf"
expect_exit 1 "-t file over the size cap" -- "$RSGATE" -c "$T/huge.conf" -t
expect_grep "$T/err" "^rsgate: $T/huge.conf: file larger than" "huge file named"
# A bad config stops every command, not only -t.
expect_exit 1 "command with a bad config" -- \
    "$RSGATE" -c "$T/unknown-key.conf" config doc
expect_exit 2 "-t without a config" -- "$RSGATE" -t
expect_grep "$T/err" "need a config file" "-t without a config explained"

# --- -T prints the effective config, secrets redacted ------------------------
expect_exit 0 "-T good file" -- "$RSGATE" -c "$T/good.conf" -T
expect_grep "$T/out" "^audit_key <redacted>$" "-T redacts audit_key"
expect_no_grep "$T/out" "very/secret" "-T hides the audit_key value"
expect_grep "$T/out" "^pki_dir \"?/srv/rsgate pki\"?$" "-T shows a spaced value"
expect_grep "$T/out" "^log_level info$" "-T shows log_level"
expect_grep "$T/out" "^# audit_pubkey \(not set\)$" "-T marks unset keys"
# The -T output is itself a valid config file.
grep -v '^audit_key' "$T/out" >"$T/dumped.conf"
expect_exit 0 "-T output re-checks" -- "$RSGATE" -c "$T/dumped.conf" -T
grep -v 'audit_key' "$T/out" >"$T/dumped2.conf"
if cmp -s "$T/dumped2.conf" "$T/dumped.conf"; then ok; else
	fail "-T of the -T output differs"
	diff -u "$T/dumped.conf" "$T/dumped2.conf" >&2
fi

# --- $RSGATE_CONFIG ------------------------------------------------------------
RSGATE_CONFIG="$T/good.conf" expect_exit 0 "RSGATE_CONFIG -T" -- "$RSGATE" -T
expect_grep "$T/out" "^audit_db /srv/audit.db$" "RSGATE_CONFIG is read"
RSGATE_CONFIG="$T/repeated.conf" expect_exit 1 "RSGATE_CONFIG bad file" -- \
    "$RSGATE" -t
expect_grep "$T/err" "repeated.conf:3: " "RSGATE_CONFIG error names FILE:LINE"
# -c wins over the environment.
RSGATE_CONFIG="$T/repeated.conf" expect_exit 0 "-c overrides RSGATE_CONFIG" -- \
    "$RSGATE" -c "$T/good.conf" -t
RSGATE_CONFIG="" expect_exit 0 "empty RSGATE_CONFIG means none" -- \
    "$RSGATE" config doc

# --- usage errors: exit 2, one line on stderr ---------------------------------
expect_exit 2 "unknown global option" -- "$RSGATE" --bogus config doc
expect_grep "$T/err" "^rsgate: unknown option '--bogus'" "unknown option named"
expect_lines "$T/err" 1 "unknown global option: one line"
expect_exit 2 "unknown command" -- "$RSGATE" frobnicate
expect_grep "$T/err" "^rsgate: unknown command 'frobnicate'" "unknown command named"
expect_lines "$T/err" 1 "unknown command: one line"
expect_exit 2 "-c without a file" -- "$RSGATE" -c
expect_lines "$T/err" 1 "-c without a file: one line"
expect_exit 2 "no command" -- "$RSGATE"
expect_grep "$T/err" "^usage: rsgate" "no command prints usage"

# --- help --------------------------------------------------------------------
expect_exit 0 "--help" -- "$RSGATE" --help
expect_grep "$T/out" "^usage: rsgate" "--help usage line"
expect_grep "$T/out" "config doc" "--help lists config doc"
expect_lines "$T/err" 0 "--help: nothing on stderr"
expect_exit 0 "group --help" -- "$RSGATE" config --help
expect_grep "$T/out" "config doc" "group --help lists the group on stdout"
expect_exit 0 "--version" -- "$RSGATE" --version
expect_grep "$T/out" "^rsgate [0-9]" "--version"

# --- the sample in contrib/ is valid and covers every key ----------------------
SAMPLE="$RSG_SRC/contrib/rsgate.conf.sample"
expect_exit 0 "contrib sample passes -t" -- "$RSGATE" -c "$SAMPLE" -t
"$RSGATE" config doc | sed -n '/^## rsgate$/,/^## /s/^| `\([a-z0-9_]*\)` |.*/\1/p' \
    >"$T/keys"
expect_file "$T/keys" "keys of the rsgate table"
for key in $(cat "$T/keys"); do
	expect_grep "$SAMPLE" "^$key " "sample sets $key"
done

finish

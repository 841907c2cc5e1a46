# lib.sh: shared by the integration tests (after OpenSSH regress/test-exec.sh).
# Each test is a POSIX sh script run by ctest with:
#   RSGATE     the rsgate binary under test
#   RSG_SRC    the source tree, RSG_BUILD the build tree
# It sources this file, runs the real programs in a throwaway folder ($T)
# and asserts on what a user sees: exit codes, output, files, permissions.
# The folder is removed on exit unless RSG_TEST_KEEP is set.

set -u
: "${RSGATE:?RSGATE must name the rsgate binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/rsgate-it.XXXXXX")
FAILS=0
CHECKS=0
cleanup() {
	if [ -z "${RSG_TEST_KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
# Background processes a test starts go in PIDS; they are ended on exit.
PIDS=""
cleanup_procs() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
}
trap 'cleanup_procs; cleanup' EXIT

# wait_line FILE ERE [TENTHS]: until a line of FILE matches (default 10 s).
wait_line() {
	i=0
	while [ $i -lt "${3:-100}" ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# echo_start: an echo device (rsgate-devsim --echo) on an ephemeral port,
# its port in ECHOPORT.
echo_start() {
	"$RSG_BUILD/rsgate-devsim" --listen 127.0.0.1:0 --echo >echo.out \
	    2>echo.err &
	PIDS="$PIDS $!"
	wait_line echo.out '^listening on' ||
	    { fail "echo device did not start"; cat echo.err >&2; return 1; }
	ECHOPORT=$(port_of echo.out "")
}

# hub_conf FILE [NAME]: a hub configuration with the test PKI's hub.crt, all
# listeners on ephemeral ports and its audit log; append what a test needs.
hub_conf() {
	cat >"$1" <<CONF
name ${2:-hub-test}
cert hub.crt
key hub.key
ca ca/ca.crt
api_listen 127.0.0.1:0
control_listen 127.0.0.1:0
relay_listen 127.0.0.1:0
audit_db hub-audit.db
audit_key hub-audit.key
CONF
}

# ap_conf FILE NAME: access point NAME (NAME.crt) of the hub started by
# hub_start, with its audit log; append the inventory and the policy.
ap_conf() {
	cat >"$1" <<CONF
name $2
site kyoto-central
hub 127.0.0.1:$CP
cert $2.crt
key $2.key
ca ca/ca.crt
audit_db ap-audit.db
audit_key ap-audit.key
CONF
}

# hub_start CONF: rsgate-hub -c CONF (output in hub.out, hub.err), once
# its listeners are up; its pid in HPID, its ports in API, CP and RP.
hub_start() {
	"$RSG_BUILD/rsgate-hub" -c "$1" >>hub.out 2>>hub.err &
	HPID=$!
	PIDS="$PIDS $HPID"
	wait_line hub.out '^relay listening on' ||
	    { fail "hub did not start"; cat hub.err >&2; return 1; }
	API=$(port_of hub.out api)
	CP=$(port_of hub.out control)
	RP=$(port_of hub.out relay)
}

# ap_start CONF: rsgate-ap -c CONF (output in ap.out, ap.err), once it is
# connected to its hub; its pid in APID.
ap_start() {
	"$RSG_BUILD/rsgate-ap" -c "$1" >>ap.out 2>>ap.err &
	APID=$!
	PIDS="$PIDS $APID"
	wait_line ap.out '^connected to hub' ||
	    { fail "ap did not connect"; cat ap.err >&2; return 1; }
}

# engineer_conf WHO: WHO.conf for `rsgate -c`, with $T/WHO.crt and .key
# and the hub's API port from hub_start.
engineer_conf() {
	cat >"$1.conf" <<CONF
hub 127.0.0.1:$API
cert $T/$1.crt
key $T/$1.key
ca $T/ca/ca.crt
CONF
}

# port_of FILE [WHAT]: the port of the last "[WHAT ]listening on
# 127.0.0.1:PORT" line of FILE (the daemons print one per listener).
port_of() {
	sed -n "s/^${2:+$2 }listening on 127\\.0\\.0\\.1:\\([0-9][0-9]*\\)\$/\\1/p" "$1" |
	    tail -n 1
}

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

ok() {
	CHECKS=$((CHECKS + 1))
}

# expect_exit CODE DESC -- CMD...: run CMD, output to $T/out and $T/err.
expect_exit() {
	want=$1
	desc=$2
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$desc: exit $got, wanted $want: $*"
		sed 's/^/  stdout: /' "$T/out" >&2
		sed 's/^/  stderr: /' "$T/err" >&2
	else
		ok
	fi
}

# expect_grep FILE PATTERN DESC: FILE has a line matching the ERE PATTERN.
expect_grep() {
	if grep -Eq -- "$2" "$1"; then ok; else
		fail "$3: no line matching '$2' in $(basename "$1")"
		sed 's/^/  | /' "$1" >&2
	fi
}

# expect_no_grep FILE PATTERN DESC
expect_no_grep() {
	if grep -Eq -- "$2" "$1"; then
		fail "$3: unexpected line matching '$2' in $(basename "$1")"
		sed 's/^/  | /' "$1" >&2
	else ok; fi
}

# expect_lines FILE N DESC: FILE has exactly N lines.
expect_lines() {
	n=$(wc -l <"$1")
	if [ "$n" -eq "$2" ]; then ok; else fail "$3: $n lines, wanted $2"; fi
}

# expect_mode FILE MODE DESC: octal permission bits, e.g. 600.
expect_mode() {
	m=$(stat -c %a "$1" 2>/dev/null)
	if [ "$m" = "$2" ]; then ok; else fail "$3: mode $m, wanted $2 ($1)"; fi
}

expect_file() {
	if [ -s "$1" ]; then ok; else fail "$2: $1 missing or empty"; fi
}

# finish: print the tally in the plain "N passed, N failed" form and exit.
finish() {
	echo "$(basename "$0"): $CHECKS passed, $FAILS failed"
	[ "$FAILS" -eq 0 ] && [ "$CHECKS" -gt 0 ]
	exit $?
}

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

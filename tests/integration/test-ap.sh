#!/bin/sh
# test-ap.sh: rsgate-ap as an operator meets it without a hub: -t accepts a
# good config and refuses bad inventory and policy lines with the key and
# reason, -T redacts the key paths, and against a fake hub (openssl
# s_server, which never answers HELLO) the AP notices the silent hub within
# dead_after, reconnects with growing delays, keeps retrying while the hub
# is down and never exits; SIGTERM ends it with status 0 and an audit log
# that verifies (R33, R36).
. "$(dirname "$0")/lib.sh"
: "${RSG_BUILD:?RSG_BUILD must name the build tree}"
AP="$RSG_BUILD/rsgate-ap"
cd "$T" || exit 1

"$RSGATE" pki init --dir ca --name "Test CA" >/dev/null || fail "pki init"
"$RSGATE" pki issue --dir ca --role hub --name hub1 --out hub >/dev/null
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap >/dev/null
# openssl s_server needs its port named in advance: take one below the
# kernel's ephemeral range (32768-60999), where no other test's port-0
# listener or outgoing connection can be holding it.
PORT=$(( 20000 + $$ % 12000 ))

conf() {	# conf FILE EXTRA-LINES
	cat >"$1" <<CONF
name ap1
site tokyo-1
hub 127.0.0.1:$PORT
cert ap.crt
key ap.key
ca ca/ca.crt
audit_db audit.db
audit_key audit.key
device ct-01 site=tokyo-1 model=CT-9000
service ct-01 remote-shell 127.0.0.1:2222
group "fse Hanako Sato, sha256:00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"
allow "engineer=@fse; device=ct-01; service=remote-shell; days=mon-fri; hours=08:00-18:00; max=2h"
heartbeat 1s
dead_after 3s
reconnect_max 4s
CONF
	printf '%b' "$2" >>"$1"
}

# --- -t, -T, usage --------------------------------------------------------
conf good.conf ""
expect_exit 0 "-t good" -- "$AP" -c good.conf -t
expect_grep "$T/out" "configuration is valid" "-t says valid"
expect_exit 0 "-T" -- "$AP" -c good.conf -T
expect_grep "$T/out" "^device ct-01 site=tokyo-1" "-T shows the inventory"
expect_no_grep "$T/out" "^(key|audit_key) .*key" "-T redacts the keys"
expect_exit 0 "--help" -- "$AP" --help
expect_grep "$T/out" "reconnect_max" "--help lists the keys"
expect_exit 2 "no -c" -- "$AP"
expect_exit 2 "unknown option" -- "$AP" --bogus
bad() {	# bad NAME EXTRA PATTERN
	conf "$1.conf" "$2"
	expect_exit 1 "-t $1" -- "$AP" -c "$1.conf" -t
	expect_grep "$T/err" "$3" "-t $1 reason"
	expect_lines "$T/err" 1 "-t $1: one line"
}
bad dupdev 'device ct-01\n' "device #2 .*listed twice"
bad svcdev 'service mr-1 shell 10.0.0.1:22\n' "service #2 .*unknown device"
bad svcport 'service ct-01 shell 10.0.0.1:0\n' "service #2 .*bad address"
bad devattr 'device mr-1 colour=red\n' "device #2 .*unknown attribute"
bad rule 'allow "device=ct-01; service=*"\n' "allow #2 "
bad hub 'hub nowhere\n' ":[0-9]+: .*hub"
bad unknown 'listen 0.0.0.0:1\n' "good|unknown.conf:[0-9]+: "
conf missing.conf ""
grep -v '^audit_db' missing.conf >m2.conf
expect_exit 1 "-t missing audit_db" -- "$AP" -c m2.conf -t
expect_grep "$T/err" "audit_db" "-t names the missing key"

# --- reconnect against a fake hub ----------------------------------------
if command -v openssl >/dev/null 2>&1; then
	start_hub() {
		# stdin held open: s_server closes the connection at EOF.
		(sleep 60 | exec openssl s_server -tls1_3 -Verify 1 \
		    -cert hub.crt -key hub.key -CAfile ca/ca.crt \
		    -accept "127.0.0.1:$PORT" -quiet >/dev/null 2>hub.err) &
		HUBPID=$!
		sleep 1
		# A port already taken would send the AP to a stranger.
		if grep -q 'bind' hub.err; then
			fail "fake hub could not listen on $PORT"
			sed 's/^/  | /' hub.err >&2
		fi
	}
	stop_hub() {
		# The children first: once the subshell is gone they are
		# orphans pkill -P cannot find, and s_server would keep the
		# port (and answer the AP) until its 60 s stdin ran out.
		pkill -P "$HUBPID" 2>/dev/null
		kill "$HUBPID" 2>/dev/null
		wait "$HUBPID" 2>/dev/null
	}
	start_hub
	"$AP" -c good.conf >ap.out 2>ap.err &
	APPID=$!
	# The fake hub completes TLS but never answers HELLO: the AP must not
	# call itself connected (that needs the hub's HELLO_ACK) and must give
	# up on the silent hub after dead_after (waited for up to 10 s: the
	# line itself says after how long the AP gave up).
	wait_line ap.out '^hub connection lost: no data' 100
	expect_no_grep ap.out "^connected to hub" "no 'connected' without the hub's HELLO_ACK"
	expect_grep ap.out "^hub connection lost: no data from the hub for 3s; retrying in [12]s$" \
	    "silent hub noticed within dead_after"
	stop_hub
	# Retries while the hub is away: at least 3, the back-off reaching
	# reconnect_max (4 s); waited for up to 25 s.
	i=0
	while [ $i -lt 250 ] && { [ "$(grep -c '^hub connection lost' ap.out)" -lt 3 ] ||
	    ! grep -q 'retrying in 4s$' ap.out; }; do
		sleep 0.1
		i=$((i + 1))
	done
	n=$(grep -c '^hub connection lost' ap.out)
	if [ "$n" -ge 3 ]; then ok; else fail "expected >= 3 retries, got $n"; fi
	expect_grep ap.out "retrying in 4s$" "back-off reaches reconnect_max"
	if kill -0 "$APPID" 2>/dev/null; then ok; else fail "AP exited"; fi
	n=$(grep -c 'no data from the hub' ap.out)
	start_hub
	# The next attempt (at most reconnect_max away) finds the hub again,
	# and silent again after dead_after; waited for up to 20 s.
	i=0
	while [ $i -lt 200 ] && [ "$(grep -c 'no data from the hub' ap.out)" -le "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	c=$(grep -c 'no data from the hub' ap.out)
	# Another TLS session with the returned hub, again found silent.
	if [ "$c" -gt "$n" ]; then ok; else fail "AP did not reconnect ($n, $c)"; fi
	kill "$APPID"
	wait "$APPID"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok; else fail "SIGTERM: exit $rc"; fi
	stop_hub
	expect_exit 0 "AP audit log verifies" -- "$RSGATE" audit verify --db audit.db
fi
finish

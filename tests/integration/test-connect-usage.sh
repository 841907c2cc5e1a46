#!/bin/sh
# test-connect-usage.sh: `rsgate connect` and `rsgate devices` without a
# hub: --help, missing options (exit 2, one line), the config keys hub,
# cert, key, ca as fallbacks, and an unreachable hub as a one-line error
# while the local connection is closed and the command keeps listening.
. "$(dirname "$0")/lib.sh"
: "${RSG_BUILD:?RSG_BUILD must name the build tree}"
unset RSGATE_CONFIG
cd "$T" || exit 1

expect_exit 0 "connect --help" -- "$RSGATE" connect --help
expect_grep "$T/out" "^usage: rsgate connect --device DEV" "connect usage"
expect_exit 2 "connect without options" -- "$RSGATE" connect
expect_lines "$T/err" 1 "connect: one line"
expect_exit 2 "connect without hub" -- "$RSGATE" connect --device d \
    --service s --listen 127.0.0.1:0
expect_grep "$T/err" "--hub, --cert, --key and --ca" "names the options"
expect_exit 2 "connect bad listen" -- "$RSGATE" connect --device d \
    --service s --listen nowhere --hub h:1 --cert c --key k --ca a
expect_exit 2 "devices extra argument" -- "$RSGATE" devices extra
expect_exit 0 "devices --help" -- "$RSGATE" devices --help

"$RSGATE" pki init --dir ca --name "Test CA" >/dev/null
"$RSGATE" pki issue --dir ca --role engineer --name "Hanako Sato" \
    --out eng >/dev/null
cat >rs.conf <<CONF
hub 127.0.0.1:1
cert eng.crt
key eng.key
ca ca/ca.crt
CONF
expect_exit 1 "devices: hub unreachable" -- "$RSGATE" -c rs.conf devices
expect_lines "$T/err" 1 "devices: one line"
"$RSGATE" -c rs.conf connect --device ct-01 --service remote-shell \
    --listen 127.0.0.1:0 >c.out 2>c.err &
PID=$!
sleep 1
expect_grep c.out "^listening on 127\.0\.0\.1:[1-9][0-9]*$" "actual port printed"
port=$(sed -n 's/^listening on 127\.0\.0\.1://p' c.out)
echo hi | "$RSG_BUILD/tcpclient" 127.0.0.1 "$port" >/dev/null 2>&1
sleep 1
expect_grep c.err "^rsgate connect: hub 127.0.0.1:1: " "one-line hub error"
if kill -0 "$PID" 2>/dev/null; then ok; else fail "connect exited"; fi
kill "$PID"
wait "$PID"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "SIGTERM: exit $rc"; fi
finish

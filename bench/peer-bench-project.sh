#!/bin/sh
# peer-bench-project.sh: sets up rsgate's tunnel on 127.0.0.1 for a
# benchmark and stays in the foreground until SIGTERM. It is both the
# `project` row of ../shared/tools/peer-bench (PROJECT_CHAIN_SETUP) and the
# rsgate row of build/bench/tunnel, which runs it the same way.
#
#   engineer's client (rsgate connect, listening on BENCH_LOCAL_PORT)
#     -> hub (API, relay) -> access point -> device (BENCH_DEVICE_PORT)
#
# A throwaway CA, a hub, an access point and an engineer are made in
# BENCH_TMP; the AP serves device "bench" with service "echo" at
# 127.0.0.1:BENCH_DEVICE_PORT, under a standing policy for the engineer.
#
# Environment (from peer-bench or build/bench/tunnel):
#   BENCH_DEVICE_PORT  the device the access point connects to (required)
#   BENCH_LOCAL_PORT   where rsgate connect listens (required)
#   BENCH_TMP          an empty scratch folder (required)
#   RSG_BUILD          the build folder (default: ../build beside this script)
#   RSG_BENCH_BULK_PORT, RSG_BENCH_BULK_LOCAL_PORT  optional second service
#                      "bulk" and a second rsgate connect for it
# Writes BENCH_TMP/hub.pid, ap.pid, connect.pid (memory figures) and
# BENCH_TMP/ready once every listener is up. Exit 77: rsgate's hub, AP or
# connect is not built (the caller reports the row as skipped).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
B=${RSG_BUILD:-$here/../build}
B=$(cd "$B" && pwd)
T=${BENCH_TMP:?BENCH_TMP not set}
: "${BENCH_DEVICE_PORT:?BENCH_DEVICE_PORT not set}"
: "${BENCH_LOCAL_PORT:?BENCH_LOCAL_PORT not set}"
H=127.0.0.1
R=$B/rsgate

skip() {
	echo "peer-bench-project: skipped: $*" >&2
	exit 77
}
[ -x "$R" ] || skip "$R is not built"
[ -x "$B/rsgate-hub" ] || skip "$B/rsgate-hub is not built yet"
[ -x "$B/rsgate-ap" ] || skip "$B/rsgate-ap is not built yet"
"$R" connect --help >/dev/null 2>&1 || skip "'rsgate connect' is not built yet"

pids=""
stop() {
	trap - TERM INT EXIT
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	exit 0
}
trap stop TERM INT
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done' EXIT

# wait_line FILE PREFIX: print what follows PREFIX on a line of FILE (30 s).
wait_line() {
	i=0
	while [ "$i" -lt 300 ]; do
		v=$(sed -n "s/^$2//p" "$1" 2>/dev/null | head -n 1)
		if [ -n "$v" ]; then
			echo "$v"
			return 0
		fi
		i=$((i + 1))
		sleep 0.1
	done
	echo "peer-bench-project: no \"$2\" line in $1 after 30 s:" >&2
	cat "$1" "$1.err" >&2 2>/dev/null || true
	return 1
}

"$R" pki init --dir "$T/ca" --name "rsgate bench CA" >/dev/null
"$R" pki issue --dir "$T/ca" --role hub --name hub.bench --out "$T/hub" >/dev/null
"$R" pki issue --dir "$T/ca" --role ap --name ap.bench --out "$T/ap" >/dev/null
"$R" pki issue --dir "$T/ca" --role engineer --name "Bench Engineer" \
    --out "$T/eng" >/dev/null

cat >"$T/hub.conf" <<EOF
name hub.bench
cert $T/hub.crt
key $T/hub.key
ca $T/ca/ca.crt
crl $T/ca/crl.pem
api_listen $H:0
control_listen $H:0
relay_listen $H:0
engineer "Bench Engineer"
audit_db $T/hub-audit.db
audit_key $T/hub-audit.key
relay_per_source_max 100000
log_level warn
EOF
"$B/rsgate-hub" -c "$T/hub.conf" >"$T/hub.out" 2>"$T/hub.out.err" &
pids="$pids $!"
echo $! >"$T/hub.pid"
api=$(wait_line "$T/hub.out" "api listening on ")
ctl=$(wait_line "$T/hub.out" "control listening on ")

bulk_service=""
if [ -n "${RSG_BENCH_BULK_PORT:-}" ]; then
	bulk_service="service \"bench bulk $H:$RSG_BENCH_BULK_PORT\""
fi
cat >"$T/ap.conf" <<EOF
name ap.bench
site bench
hub $ctl
cert $T/ap.crt
key $T/ap.key
ca $T/ca/ca.crt
crl $T/ca/crl.pem
device "bench site=bench model=bench"
service "bench echo $H:$BENCH_DEVICE_PORT"
$bulk_service
allow "engineer=Bench Engineer; device=bench; service=*; max=1d"
audit_db $T/ap-audit.db
audit_key $T/ap-audit.key
max_streams 100000
log_level warn
EOF
"$B/rsgate-ap" -c "$T/ap.conf" >"$T/ap.out" 2>"$T/ap.out.err" &
pids="$pids $!"
echo $! >"$T/ap.pid"
wait_line "$T/ap.out" "connected to hub" >/dev/null

# connect_start SERVICE PORT TAG
connect_start() {
	"$R" connect --device bench --service "$1" --listen "$H:$2" \
	    --hub "$api" --cert "$T/eng.crt" --key "$T/eng.key" \
	    --ca "$T/ca/ca.crt" >"$T/$3.out" 2>"$T/$3.out.err" &
	pids="$pids $!"
	echo $! >"$T/$3.pid"
	wait_line "$T/$3.out" "listening on " >/dev/null
}
connect_start echo "$BENCH_LOCAL_PORT" connect
if [ -n "${RSG_BENCH_BULK_LOCAL_PORT:-}" ]; then
	connect_start bulk "$RSG_BENCH_BULK_LOCAL_PORT" connect-bulk
fi
: >"$T/ready"
wait

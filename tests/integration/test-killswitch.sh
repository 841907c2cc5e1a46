#!/bin/sh
# test-killswitch.sh: the hospital's kill switch on a ticket with many
# streams (R24), with the hub's and the AP's default limits. One engineer's
# `rsgate connect` opens 70 streams to one device under one ticket (the AP
# allows 100 per device): the AP's 70 relay connections from one address
# are more than the relay's per-address cap (here 100 for the engineer's
# 70; an AP's paired connections stop counting), and more than the hub's
# batch of 64 when it cuts a ticket's relay
# pairs. `rsgate ap terminate T` must end every one of them within 5 s, both
# audit logs must hold all 70 closes, and `rsgate ap sessions` must be empty.
. "$RSG_SRC/tests/integration/lib.sh"

FLOOD=$RSG_BUILD/flood
N=70
cd "$T" || exit 1

"$RSGATE" pki init --dir ca --name "Kill Switch Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null &&
"$RSGATE" pki issue --dir ca --role engineer --name "Ken Ito" --out ito >/dev/null ||
    { fail "test PKI"; finish; }

echo_start || finish

hub_conf hub.conf
# The engineer's 70 streams come from one address and keep counting
# against the per-address cap (the AP's stop counting once paired).
printf 'engineer "Ken Ito"\nrelay_per_source_max 100\n' >>hub.conf
hub_start hub.conf || finish

ap_conf ap.conf ap1
cat >>ap.conf <<CONF
device "mri-01 model=Acme-MR"
service "mri-01 remote-shell 127.0.0.1:$ECHOPORT"
allow "engineer=Ken Ito; device=mri-01; service=remote-shell; max=1h"
sessions_per_device 100
admin_socket $T/ap.sock
CONF
ap_start ap.conf || finish
engineer_conf ito
ITO="$RSGATE -c ito.conf"

expect_exit 0 "request T-900" -- $ITO request --ticket T-900 --device mri-01 \
    --capabilities remote-shell --duration 30m --reason "many consoles at once"
i=0
until $ITO ticket show T-900 --json 2>/dev/null | grep -q '"state": "approved"'; do
	i=$((i + 1))
	[ $i -lt 50 ] || { fail "the standing policy did not approve T-900"; finish; }
	sleep 0.2
done

$ITO connect --ticket T-900 --device mri-01 --service remote-shell \
    --listen 127.0.0.1:0 >connect.out 2>connect.err &
CPID=$!
PIDS="$PIDS $CPID"
wait_line connect.out '^listening on' || { fail "connect did not listen"; cat connect.err >&2; finish; }
LPORT=$(port_of connect.out "")

# N engineer connections in waves of at most 18 (36 relay connections set
# up at once from 127.0.0.1, where the engineer and the AP both are); each
# sends a byte and is held for 25 s. The engineer's 70 paired connections
# and the next wave stay under the cap of 100; the AP's would not if they
# still counted once paired.
opened() { grep -c ' open: ' connect.out; }
FPIDS=""
w=0
for k in 18 18 17 17; do
	w=$((w + k))
	"$FLOOD" -n "$k" -t 25 -d x 127.0.0.1 "$LPORT" >"flood.$w" 2>&1 &
	FPIDS="$FPIDS $!"
	i=0
	while [ "$(opened)" -lt "$w" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
done
PIDS="$PIDS $FPIDS"
n=$(opened)
if [ "$n" -eq "$N" ]; then ok; else
	fail "$n of $N streams opened"
	sed 's/^/  | /' connect.err | tail -5 >&2
	grep 'refused' hub.err | tail -3 | sed 's/^/  | /' >&2
fi
expect_exit 0 "ap sessions with $N streams" -- "$RSGATE" ap sessions -c ap.conf
n=$(grep -c 'mri-01' "$T/out")
if [ "$n" -eq "$N" ]; then ok; else fail "ap sessions lists $n of $N streams (R23)"; fi

# The kill switch: every stream gone within 5 s (R24).
t0=$(date +%s%3N)
expect_exit 0 "ap terminate T-900" -- "$RSGATE" ap terminate T-900 -c ap.conf \
    --reason "kill switch with $N streams"
i=0
while [ "$(grep -c ' closed' connect.out)" -lt "$N" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
dt=$(( $(date +%s%3N) - t0 ))
n=$(grep -c ' closed' connect.out)
if [ "$n" -eq "$N" ] && [ "$dt" -le 5000 ]; then ok; else
	fail "$n of $N streams closed after $dt ms (R24: all within 5 s)"
fi
expect_exit 0 "ap sessions after terminate" -- "$RSGATE" ap sessions -c ap.conf
expect_grep "$T/out" '^no sessions' "no session left after terminate"
for p in $FPIDS; do wait "$p"; done
n=$(cat flood.* | awk '$1 == "connected" && $2 == $4 { c += $4 } END { print c + 0 }')
if [ "$n" -eq "$N" ]; then ok; else
	fail "the engineer's side saw $n of $N streams close"
	cat flood.* >&2
fi

# Both logs: every close, and both verify.
sleep 1
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
n=$(grep -c '"event":"session.close"' hub.jsonl)
if [ "$n" -eq "$N" ]; then ok; else fail "hub audited $n of $N closes"; fi
n=$(grep -c '"event":"session.close"' ap.jsonl)
if [ "$n" -eq "$N" ]; then ok; else fail "AP audited $n of $N closes"; fi
expect_grep ap.jsonl '"event":"ticket.terminate"' "the AP audits the kill switch"
kill "$CPID" 2>/dev/null
expect_exit 0 "hub audit log verifies" -- "$RSGATE" audit verify --db hub-audit.db --key hub-audit.key.pub
expect_exit 0 "AP audit log verifies" -- "$RSGATE" audit verify --db ap-audit.db --key ap-audit.key.pub
finish

# test-devsim.sh: rsgate-devsim, the simulated device behind the tunnel
# tests, the demo and the benchmarks. Its log files carry synthetic patient
# data so that later tests can follow PHI (R29, R35, R42); here we check
# that the device itself behaves: each command's reply, deterministic logs,
# an over-long line, concurrent clients, raw echo with back-pressure, and a
# clean exit (status 0) on SIGTERM and SIGINT.
. "$RSG_SRC/tests/integration/lib.sh"

DEVSIM=$RSG_BUILD/rsgate-devsim
TCP=$RSG_BUILD/tcpclient

# start_devsim TAG ARGS...: start it on an ephemeral port; sets PID, PORT.
start_devsim() {
	tag=$1
	shift
	: >"$T/$tag.out"
	"$DEVSIM" --listen 127.0.0.1:0 "$@" >"$T/$tag.out" 2>"$T/$tag.err" &
	PID=$!
	PORT=
	i=0
	while [ $i -lt 50 ]; do
		PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
		    "$T/$tag.out")
		[ -n "$PORT" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "$tag: no 'listening on' line"
	cat "$T/$tag.err" >&2
	return 1
}

# talk FILE: send FILE's bytes, the replies go to $T/reply.
talk() {
	"$TCP" -t 10 127.0.0.1 "$PORT" <"$1" >"$T/reply" 2>"$T/reply.err"
}

# stop_devsim SIGNAL: the program must exit with status 0.
stop_devsim() {
	kill -"$1" "$PID"
	wait "$PID"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok; else fail "exit status $rc after SIG$1"; fi
}

# --- usage ---------------------------------------------------------------
expect_exit 0 "--help" -- "$DEVSIM" --help
expect_grep "$T/out" '^usage: rsgate-devsim' "--help prints usage"
expect_grep "$T/out" 'GET NAME' "--help documents the protocol"
expect_exit 2 "unknown flag" -- "$DEVSIM" --bogus
expect_exit 2 "too many logs" -- "$DEVSIM" --logs 1000
expect_exit 2 "bad listen address" -- "$DEVSIM" --listen localhost:99999
expect_exit 2 "name with a space" -- "$DEVSIM" --name "a b"
expect_exit 2 "model with a newline" -- "$DEVSIM" --model "$(printf 'a\nOK forged')"

# --- line protocol ----------------------------------------------------------
start_devsim ds --name ct-01 --model "Acme CT-9000" --logs 2 --seed 7 \
    --pidfile "$T/ds.pid" || finish
if [ "$(cat "$T/ds.pid")" = "$PID" ]; then ok; else fail "pidfile"; fi

printf 'HELLO\nECHO hello device\nECHO\nLIST\nNOPE\nGET nothing.log\n' \
    >"$T/in"
talk "$T/in"
cat >"$T/want" <<EOF
OK rsgate-devsim name=ct-01 model=Acme CT-9000
hello device

OK 2
EOF
head -n 4 "$T/reply" >"$T/got"
if cmp -s "$T/got" "$T/want"; then ok; else
	fail "HELLO/ECHO/LIST replies"
	diff "$T/want" "$T/got" >&2
fi
expect_lines "$T/reply" 8 "one reply line per command, two for LIST"
expect_grep "$T/reply" '^service-01\.log [0-9]+$' "LIST names log 1"
expect_grep "$T/reply" '^service-02\.log [0-9]+$' "LIST names log 2"
expect_grep "$T/reply" '^ERR unknown command$' "unknown command"
expect_grep "$T/reply" '^ERR no such file$' "GET of a missing file"
size1=$(sed -n 's/^service-01\.log //p' "$T/reply")

# GET: "OK SIZE" then exactly SIZE bytes, then the next reply.
printf 'GET service-01.log\nECHO after\n' >"$T/in"
talk "$T/in"
head -n 1 "$T/reply" >"$T/got"
expect_grep "$T/got" "^OK $size1\$" "GET header has the LIST size"
total=$(wc -c <"$T/reply")
hdr=$(head -n 1 "$T/reply" | wc -c)
if [ "$total" -eq $((hdr + size1 + 6)) ]; then ok; else
	fail "GET: $total bytes, wanted $hdr + $size1 + 6"
fi
tail -n 1 "$T/reply" >"$T/got"
expect_grep "$T/got" '^after$' "the command after GET is answered"
tail -c +$((hdr + 1)) "$T/reply" | head -c "$size1" >"$T/log1"
expect_grep "$T/log1" 'PatientName=YAMADA\^TARO PatientID=P000123 ' \
    "the first log holds the known synthetic patient"
expect_grep "$T/log1" 'PatientName=[A-Z]+\^[A-Z]+ PatientID=P[0-9]{6} ' \
    "patient name and ID fields"
expect_grep "$T/log1" '^# rsgate-devsim .*fictitious' "marked fictitious"

# Pipelined: 200 GETs in one go produce ~2 MB of replies, more than the
# output cap, so reading pauses and resumes (back-pressure) and every
# reply still arrives whole and in order.
i=0
: >"$T/in"
while [ $i -lt 200 ]; do
	echo "GET service-01.log" >>"$T/in"
	i=$((i + 1))
done
echo "ECHO end" >>"$T/in"
talk "$T/in"
total=$(wc -c <"$T/reply")
if [ "$total" -eq $((200 * (hdr + size1) + 4)) ]; then ok; else
	fail "pipelined GETs: $total bytes, wanted $((200 * (hdr + size1) + 4))"
fi
tail -n 1 "$T/reply" >"$T/got"
expect_grep "$T/got" '^end$' "the command after 200 GETs is answered"

# QUIT closes the connection even though the client keeps it open.
(printf 'QUIT\nHELLO\n'; sleep 3) | "$TCP" -t 2 127.0.0.1 "$PORT" \
    >"$T/reply" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "QUIT did not close (rc $rc)"; fi
printf 'OK bye\n' >"$T/want"
if cmp -s "$T/reply" "$T/want"; then ok; else fail "QUIT reply"; fi

# Over-long lines: one ERR line, then the connection closes.
head -c 2000 /dev/zero | tr '\0' A >"$T/in"
printf '\nHELLO\n' >>"$T/in"
talk "$T/in"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "over-long line: client rc $rc"; fi
printf 'ERR line too long\n' >"$T/want"
if cmp -s "$T/reply" "$T/want"; then ok; else
	fail "over-long line reply"
	sed 's/^/  | /' "$T/reply" >&2
fi
# ... also without a newline, and with the client holding its side open.
(head -c 5000 /dev/zero | tr '\0' B; sleep 3) | "$TCP" -t 2 127.0.0.1 \
    "$PORT" >"$T/reply" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "endless line: rc $rc"; fi
if cmp -s "$T/reply" "$T/want"; then ok; else fail "endless line reply"; fi

# A line of exactly the limit (1024 bytes) is still served.
printf 'ECHO ' >"$T/in"
head -c 1019 /dev/zero | tr '\0' C >>"$T/in"
printf '\n' >>"$T/in"
talk "$T/in"
if [ "$(wc -c <"$T/reply")" -eq 1020 ]; then ok; else
	fail "1024-byte line not echoed"
fi

# Twenty clients at once.
i=0
pids=
while [ $i -lt 20 ]; do
	printf 'ECHO client %d\nHELLO\n' $i >"$T/in.$i"
	"$TCP" -t 10 127.0.0.1 "$PORT" <"$T/in.$i" >"$T/reply.$i" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p" || fail "concurrent client exited non-zero"
done
i=0
while [ $i -lt 20 ]; do
	head -n 1 "$T/reply.$i" >"$T/got"
	expect_grep "$T/got" "^client $i\$" "concurrent client $i"
	expect_lines "$T/reply.$i" 2 "concurrent client $i: two replies"
	i=$((i + 1))
done

# Same seed, same logs (a second instance); another seed, other logs.
DS1=$PID
PORT1=$PORT
start_devsim ds2 --logs 1 --seed 7 || finish
printf 'GET service-01.log\n' >"$T/in"
talk "$T/in"
tail -c +$((hdr + 1)) "$T/reply" >"$T/log1b"
if cmp -s "$T/log1" "$T/log1b"; then ok; else fail "logs not deterministic"; fi
stop_devsim TERM
start_devsim ds3 --logs 1 --seed 8 || finish
talk "$T/in"
tail -c +$((hdr + 1)) "$T/reply" >"$T/log1c"
if cmp -s "$T/log1" "$T/log1c"; then fail "seed has no effect"; else ok; fi
expect_grep "$T/log1c" 'PatientName=YAMADA\^TARO PatientID=P000123 ' \
    "known patient with any seed"
stop_devsim INT

# SIGTERM with a client connected: exit 0, pidfile removed.
PID=$DS1
PORT=$PORT1
(sleep 5) 2>/dev/null | "$TCP" -t 10 127.0.0.1 "$PORT" >/dev/null 2>&1 &
sleep 0.3
stop_devsim TERM
if [ -e "$T/ds.pid" ]; then fail "pidfile left behind"; else ok; fi

# --- raw echo mode -----------------------------------------------------------
start_devsim echo --echo || finish
head -c 3000000 /dev/urandom >"$T/blob"
talk "$T/blob"
rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "echo: client rc $rc"; fi
if cmp -s "$T/blob" "$T/reply"; then ok; else
	fail "echo: $(wc -c <"$T/reply") bytes back of 3000000"
fi
printf 'HELLO\n' >"$T/in"
talk "$T/in"
if cmp -s "$T/in" "$T/reply"; then ok; else fail "echo mode is raw"; fi
stop_devsim INT

finish

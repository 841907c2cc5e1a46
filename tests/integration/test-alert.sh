# test-alert.sh: failure notification, step 1 of the service workflow
# (R6-R8), with real processes: rsgate-hub, rsgate-ap, the simulated device
# and a local SMTP server (smtpsink, STARTTLS with the test CA) and webhook
# receiver (smtpsink --http).
#  - R6: a device alert over HTTP (its own token) reaches the hub, which
#    opens a ticket (ticket.notify audited) and mails it over STARTTLS with
#    the filtered fields; a syslog (RFC 5424) alert does the same;
#  - R7, R8: an alert carrying a patient name is accepted but the name is
#    dropped (alert.drop audited with the field names only) and appears in
#    no mail, no audit log and no output of either daemon;
#  - a bad token is refused (401) and audited; a device's token cannot
#    post for another device (403); a token file readable by others stops
#    the AP's config check;
#  - the hub down: the alert waits in the AP's outbox, survives an AP
#    restart, and is delivered (acknowledged) when the hub returns;
#  - the mail server down: the mail is retried with back-off and arrives
#    when the server returns (notify.send failure, then success, audited);
#  - R36: both audit logs verify at the end.
. "$RSG_SRC/tests/integration/lib.sh"

HUB=$RSG_BUILD/rsgate-hub
AP=$RSG_BUILD/rsgate-ap
DEVSIM=$RSG_BUILD/rsgate-devsim
SINK=$RSG_BUILD/smtpsink
PATIENT="YAMADA^TARO"
cd "$T" || exit 1

# count FILE ERE: matching lines (0 if none or no file)
count() {
	grep -Ec -- "$2" "$1" 2>/dev/null || true
}
# wait_count FILE ERE N [TRIES]: until FILE has at least N matching lines.
wait_count() {
	i=0
	while [ $i -lt "${4:-200}" ]; do
		[ "$(count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
mails() {
	cat mail/*.eml 2>/dev/null
}

"$RSGATE" pki init --dir ca --name "Alert Test CA" >/dev/null &&
"$RSGATE" pki issue --dir ca --role hub --name 127.0.0.1 --out hub >/dev/null &&
"$RSGATE" pki issue --dir ca --role ap --name ap1 --out ap1 >/dev/null ||
    { fail "test PKI"; finish; }

# --- the mail server (STARTTLS with the hub's test certificate) -------------
mkdir mail
start_sink() {
	"$SINK" -l "127.0.0.1:${SP:-0}" -d mail --tls hub.crt hub.key \
	    --require-tls >>sink.out 2>>sink.err &
	SPID=$!
	PIDS="$PIDS $SPID"
}
: >sink.out
start_sink
wait_line sink.out '^listening on' || { fail "smtpsink did not start"; finish; }
SP=$(port_of sink.out "")
mkdir hooks
"$SINK" --http -l 127.0.0.1:0 -d hooks >hook.out 2>hook.err &
PIDS="$PIDS $!"
wait_line hook.out '^listening on' || { fail "webhook sink did not start"; finish; }
WP=$(port_of hook.out "")

# --- the hub -------------------------------------------------------------------
hub_conf hub.conf
cat >>hub.conf <<CONF
heartbeat 1s
dead_after 3s
smtp_url smtp://127.0.0.1:$SP
smtp_tls require
smtp_ca ca/ca.crt
smtp_from rsgate@vendor.example
smtp_to service@vendor.example
smtp_to oncall@vendor.example
notify_retry_max 2s
webhook_url http://127.0.0.1:$WP/rsgate
CONF
expect_exit 0 "hub -t with the mail keys" -- "$HUB" -c hub.conf -t
start_hub() {
	"$HUB" -c hub.conf >>hub.out 2>>hub.err &
	HPID=$!
	PIDS="$PIDS $HPID"
}
: >hub.out
start_hub
wait_line hub.out '^relay listening on' || { fail "hub did not start"; cat hub.err >&2; finish; }
API=$(port_of hub.out api)
CP=$(port_of hub.out control)
RP=$(port_of hub.out relay)
sed -i "s/^api_listen .*/api_listen 127.0.0.1:$API/; s/^control_listen .*/control_listen 127.0.0.1:$CP/; s/^relay_listen .*/relay_listen 127.0.0.1:$RP/" hub.conf

# --- the access point ----------------------------------------------------------
mkdir tokens
printf 'ct01-7f3a9c1e5b2d4086a1f0\n' >tokens/ct-01
printf 'not-the-token-of-anyone-at-all\n' >tokens/wrong
chmod 600 tokens/ct-01 tokens/wrong
cat >ap.conf <<CONF
name ap1
site kyoto-central
hub 127.0.0.1:$CP
cert ap1.crt
key ap1.key
ca ca/ca.crt
device "ct-01 site=radiology model=Acme-CT-9000"
device "mri-02 site=radiology"
service "ct-01 remote-shell 127.0.0.1:9"
service "mri-02 remote-shell 127.0.0.1:9"
alert_listen 127.0.0.1:0
syslog_listen 127.0.0.1:0
alert_token "ct-01 tokens/ct-01"
audit_db ap-audit.db
audit_key ap-audit.key
heartbeat 1s
dead_after 3s
reconnect_max 1s
CONF
chmod 644 tokens/ct-01
expect_exit 1 "a token file others can read is refused" -- "$AP" -c ap.conf -t
expect_grep "$T/err" 'tokens/ct-01.*chmod 600' "the refusal names the file and the fix"
chmod 600 tokens/ct-01
expect_exit 0 "ap -t" -- "$AP" -c ap.conf -t
start_ap() {
	"$AP" -c ap.conf >>ap.out 2>>ap.err &
	APID=$!
	PIDS="$PIDS $APID"
}
: >ap.out
start_ap
wait_line ap.out '^syslog listening on' || { fail "ap did not start"; cat ap.err >&2; finish; }
wait_line ap.out '^connected to hub' 100 || { fail "ap did not connect"; cat ap.err >&2; finish; }
AL=$(port_of ap.out alert)
SL=$(port_of ap.out syslog)

alert() {
	"$DEVSIM" --alert "127.0.0.1:$AL" --token-file tokens/ct-01 --name ct-01 \
	    --model "Acme CT-9000" "$@"
}

# --- R6: an alert becomes a ticket and a mail -----------------------------------
expect_exit 0 "devsim posts an alert" -- alert --error-code E-1001 --severity critical
expect_grep "$T/out" '^alert: HTTP 202 .*"ok":true' "the AP accepts it (202)"
wait_line ap.out '^alert [0-9a-f]{32} delivered: ticket T-[0-9]{8}-[0-9]{4}' 100 &&
    ok || fail "the hub did not acknowledge the alert"
TICKET=$(sed -n 's/^alert [0-9a-f]* delivered: ticket \(T-[0-9-]*\)$/\1/p' ap.out | head -n 1)
expect_grep hub.out "^ticket $TICKET opened: ct-01 E-1001 critical" "the hub opened a ticket"
wait_count sink.out '^message ' 1 100 && ok || fail "no mail arrived"
M1=$(ls mail/*.eml | head -n 1)
expect_grep "$M1" '^X-Sink-TLS: yes' "the mail went over STARTTLS"
expect_grep "$M1" '^X-Sink-To: <oncall@vendor.example>' "every smtp_to gets it"
expect_grep "$M1" "^Subject: \\[rsgate\\] $TICKET opened: ct-01 E-1001 \\(critical\\)" "the subject names ticket, device, code"
expect_grep "$M1" '^Model: +Acme CT-9000' "the mail has the model"
expect_grep "$M1" '^Severity: +critical' "the mail has the severity"
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
expect_grep hub.jsonl "\"ticket.notify\".*\"object\":\"$TICKET\"" "ticket.notify audited at the hub"
wait_count hook.out '^request ' 1 100 && ok || fail "no webhook call"
H1=$(ls hooks/* | head -n 1)
expect_grep "$H1" '^POST /rsgate HTTP/1.1' "the webhook is a POST to the URL's path"
expect_grep "$H1" '^Content-Type: application/json' "with a JSON body"
expect_grep "$H1" "\"event\":\"opened\".*\"ticket\":\"$TICKET\"" "naming the ticket and the event"
expect_grep "$H1" '"error_code":"E-1001"' "with the filtered fields"
wait_line hub.err 'mail sent to 2 recipient' 50
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
expect_grep hub.jsonl "\"notify.send\".*\"success\".*\"object\":\"$TICKET\"" "notify.send audited"
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl '"alert.receive".*"success".*"device":"ct-01"' "alert.receive audited at the AP"

# --- R7, R8: a patient name is dropped, audited by name, never forwarded --------
expect_exit 0 "an alert with a patient name is accepted" -- alert --error-code E-2002 --patient "$PATIENT"
expect_grep "$T/out" '"dropped":\["patient_name","comment"\]' "the AP says what it dropped"
wait_count ap.out '^alert .* delivered' 2 100 && ok || fail "the second alert was not delivered"
expect_grep hub.out "^ticket $TICKET updated: ct-01 E-2002" "the open ticket is updated, not duplicated"
wait_count sink.out '^message ' 2 100 && ok || fail "no mail for the update"
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl '"alert.drop".*"device":"ct-01".*fields not forwarded: patient_name,comment' "alert.drop names the fields"

# --- syslog (RFC 5424) -------------------------------------------------------------
expect_exit 0 "devsim sends a syslog alert" -- "$DEVSIM" --syslog "127.0.0.1:$SL" \
    --name mri-02 --model "MR 3T" --error-code S-17 --patient "$PATIENT"
wait_line hub.out '^ticket T-[0-9-]* opened: mri-02 S-17 critical' 100 &&
    ok || fail "the syslog alert did not open a ticket"
wait_count sink.out '^message ' 3 100 && ok || fail "no mail for the syslog alert"
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl '"alert.drop".*"device":"mri-02".*patient_name,msg' "syslog drop audited (parameter and MSG)"

# --- refusals ---------------------------------------------------------------------
expect_exit 1 "a wrong token is refused" -- "$DEVSIM" --alert "127.0.0.1:$AL" \
    --token-file tokens/wrong --name ct-01
expect_grep "$T/out" '^alert: HTTP 401' "401 for a wrong token"
expect_exit 1 "a device cannot post for another" -- "$DEVSIM" --alert "127.0.0.1:$AL" \
    --token-file tokens/ct-01 --name mri-02
expect_grep "$T/out" '^alert: HTTP 403' "403 for another device's alert"
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
expect_grep ap.jsonl '"auth.failure".*unknown token' "the bad token is audited"
expect_grep ap.jsonl '"alert.receive".*"denied".*another device' "the wrong device is audited"

# --- the hub down: the alert waits, survives an AP restart, arrives ---------------
n_ack=$(count ap.out '^alert .* delivered')
kill "$HPID"
wait "$HPID" 2>/dev/null
wait_line ap.out 'hub connection lost' 60 && ok || fail "AP did not notice the hub stop"
expect_exit 0 "an alert while the hub is down is accepted" -- alert --error-code E-3003
kill "$APID"
wait "$APID" 2>/dev/null
start_ap
wait_count ap.out '^alert listening on' 2 100 || fail "ap did not restart"
AL=$(port_of ap.out alert)
start_hub
wait_count ap.out '^alert .* delivered' $((n_ack + 1)) 250 &&
    ok || fail "the queued alert was not delivered after the hub returned"
expect_grep hub.out "^ticket $TICKET updated: ct-01 E-3003" "it updated the ticket"

# --- the mail server down: the mail is retried until it arrives ------------------
n_mail=$(count sink.out '^message ')
kill "$SPID"
wait "$SPID" 2>/dev/null
expect_exit 0 "an alert while the mail server is down" -- alert --error-code E-4004
wait_line hub.err 'mail failed \(attempt 1\)' 100 && ok || fail "no failed mail attempt"
start_sink
wait_count sink.out '^message ' $((n_mail + 2)) 250 &&
    ok || fail "the mails did not arrive after the server returned"
mails | grep -q 'E-4004' && ok || fail "the retried mail has the alert"
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
expect_grep hub.jsonl '"notify.send".*"failure".*mail failed' "the failed attempt is audited"

# --- R36: a flood of idle connections is capped; alerts flow again after -------------
# The AP serves at most 32 alert connections at once (AP_ALERT_CONNS_MAX);
# more wait in the kernel's backlog instead of costing descriptors.
fds() { ls /proc/"$APID"/fd 2>/dev/null | wc -l; }
if [ -d /proc/"$APID"/fd ]; then
	FD0=$(fds)
	"$RSG_BUILD/flood" -n 60 -t 4 -d "" 127.0.0.1 "$AL" >flood.out 2>&1 &
	FPID=$!
	wait_line ap.err 'alert: 32 connections at once' 50 && ok ||
	    fail "the AP did not stop at its connection cap"
	sleep 1
	FD1=$(fds)
	[ $((FD1 - FD0)) -le 34 ] && ok ||
	    fail "the AP holds $((FD1 - FD0)) more descriptors under a flood of 60"
	wait "$FPID"
	wait_line ap.err 'alert: accepting connections again' 100 && ok ||
	    fail "the AP did not accept again after the flood"
	expect_exit 0 "an alert after the flood" -- alert --error-code E-5005
	expect_grep "$T/out" '^alert: HTTP 202' "accepted once the flood is gone"
fi

# --- no patient data anywhere -------------------------------------------------------
for f in mail/*.eml hooks/* hub.out hub.err ap.out ap.err; do
	expect_no_grep "$f" 'YAMADA' "no patient name in $(basename "$f")"
done
"$RSGATE" audit export --db ap-audit.db --format jsonl >ap.jsonl
"$RSGATE" audit export --db hub-audit.db --format jsonl >hub.jsonl
expect_no_grep ap.jsonl 'YAMADA' "no patient name in the AP's audit log"
expect_no_grep hub.jsonl 'YAMADA' "no patient name in the hub's audit log"

# --- no sanitizer report (ASan build) ---------------------------------------------------
for f in hub.err ap.err sink.err; do
	expect_no_grep "$f" 'Sanitizer|runtime error' "no sanitizer report in $f"
done

# --- both logs verify ------------------------------------------------------------------
kill "$HPID" "$APID"
wait "$HPID" "$APID" 2>/dev/null
expect_exit 0 "hub audit log verifies" -- "$RSGATE" audit verify --db hub-audit.db --key hub-audit.key.pub
expect_exit 0 "AP audit log verifies" -- "$RSGATE" audit verify --db ap-audit.db --key ap-audit.key.pub
finish

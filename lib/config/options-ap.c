/*
 * options-ap.c: the option table of rsgate-ap, the access point at the
 * hospital. Its config names the hub to dial, the AP's own certificate, the
 * device inventory (device, service) and the standing policy (group,
 * allow) that decides which engineer may reach which device service.
 */
#include "rsgate/config.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug",
	NULL };
static const char *const approval_modes[] = { "required", "none", NULL };

static const struct config_option ap_options[] = {
	{ "name", CONFIG_STRING, 1, 64, NULL, NULL, CONFIG_F_REQUIRED,
	    "This access point's name; must equal the subject CN of its "
	    "certificate (the hub checks it)." },
	{ "site", CONFIG_STRING, 1, 255, NULL, NULL, CONFIG_F_REQUIRED,
	    "The hospital site of the access point; the default site of its "
	    "devices." },
	{ "hub", CONFIG_STRING, 3, 255, NULL, NULL, CONFIG_F_REQUIRED,
	    "HOST:PORT of the hub's control listener (control_listen), "
	    "dialled outbound." },
	{ "cert", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "The access point's certificate (role ap), PEM." },
	{ "key", CONFIG_PATH, 0, 0, NULL, NULL,
	    CONFIG_F_REQUIRED | CONFIG_F_SENSITIVE,
	    "The private key of the certificate (mode 0600)." },
	{ "ca", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "CA certificate(s) that issued the hub's and the engineers' "
	    "certificates." },
	{ "crl", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "The CA's revocation list; when set, revoked hub and engineer "
	    "certificates are refused. Re-read within 5 seconds whenever the "
	    "file changes (after `rsgate pki revoke`)." },
	{ "device", CONFIG_STRING, 1, 1024, NULL, NULL, CONFIG_F_MULTI,
	    "A device behind this access point: `NAME [site=SITE] "
	    "[model=MODEL]` (NAME: letters, digits, `.`, `_`, `-`)." },
	{ "service", CONFIG_STRING, 1, 1024, NULL, NULL, CONFIG_F_MULTI,
	    "A service of a device: `DEVICE SERVICE HOST:PORT`, e.g. "
	    "`ct-01 remote-shell 127.0.0.1:2222`." },
	{ "group", CONFIG_STRING, 1, 1024, NULL, NULL, CONFIG_F_MULTI,
	    "A group of engineers for `allow`: `NAME MEMBER[, MEMBER...]`, "
	    "members being certificate CNs or `sha256:FINGERPRINT`." },
	{ "allow", CONFIG_STRING, 1, 1024, NULL, NULL, CONFIG_F_MULTI,
	    "A standing policy rule (R12 b), `;`-separated `key=value`: "
	    "engineer (CN, `sha256:FP`, `@group`, `|` list; required), "
	    "device and service (comma lists or `*`; required), days "
	    "(`mon-fri`, `sat,sun`, `*`), hours (`HH:MM-HH:MM`, local time), "
	    "max (longest stream, default 1h). Anything no rule allows is "
	    "refused." },
	{ "audit_db", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "The access point's own audit log (SQLite), created on first "
	    "start." },
	{ "audit_key", CONFIG_PATH, 0, 0, NULL, NULL,
	    CONFIG_F_REQUIRED | CONFIG_F_SENSITIVE,
	    "Ed25519 key that signs the audit log's checkpoints, created "
	    "with the log if missing." },
	{ "heartbeat", CONFIG_DURATION, 1, 300, "10s", NULL, 0,
	    "Send PING when nothing was sent to the hub for this long." },
	{ "dead_after", CONFIG_DURATION, 2, 900, "30s", NULL, 0,
	    "Treat the hub as dead and reconnect after this long without a "
	    "byte from it." },
	{ "reconnect_max", CONFIG_DURATION, 1, 3600, "60s", NULL, 0,
	    "Cap of the jittered exponential back-off between attempts to "
	    "reach the hub (which never stop)." },
	{ "handshake_timeout", CONFIG_DURATION, 2, 600, "20s", NULL, 0,
	    "Absolute deadline for a stream's TLS handshake with the engineer, "
	    "counted from the moment the access point has reached the relay "
	    "(its partner may still be on the way: keep it above the hub's "
	    "`relay_unpaired_timeout`, default 5s). Idle timeouts restart "
	    "with every byte; this one does not, so a peer trickling bytes "
	    "cannot hold a stream open." },
	{ "stream_resumption", CONFIG_DURATION, 0, 86400, "10m", NULL, 0,
	    "How long an engineer's client may resume its TLS session with "
	    "this access point instead of a full handshake (a TLS 1.3 "
	    "ticket under keys that live in this process only; 0s: never). "
	    "A ticket is honoured only while the CA and revocation list are "
	    "the ones it was issued under and the engineer's certificate is "
	    "valid; every stream is still announced by the hub, checked "
	    "against the ticket or policy, and bound to the certificate's "
	    "fingerprint." },
	{ "max_streams", CONFIG_INT, 1, 100000, "1024", NULL, 0,
	    "Most streams open at once; more are refused with BUSY." },
	{ "admin_socket", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Unix socket of the hospital's admin commands (`rsgate ap "
	    "pending|approve|deny|terminate|sessions`), e.g. "
	    "`/run/rsgate/ap.sock`; mode 0660. Callers are checked by peer "
	    "credentials: root, the access point's own user and admin_users "
	    "only; anyone else is refused and audited. Unset: no admin "
	    "commands (requests wait, or standing policy decides)." },
	{ "admin_users", CONFIG_STRING, 1, 64, NULL, NULL, CONFIG_F_MULTI,
	    "A user name or numeric uid allowed on admin_socket besides root "
	    "and the access point's own user." },
	{ "approval", CONFIG_ENUM, 0, 0, "required", approval_modes, 0,
	    "`required`: a ticket's access needs a hospital approval (or a "
	    "standing policy rule that allows every requested capability). "
	    "`none`: every request the hub announces is granted at once, "
	    "for labs only (warned at start)." },
	{ "emergency_access", CONFIG_BOOL, 0, 0, "no", NULL, 0,
	    "Emergency access with approval afterwards (R13): a request "
	    "flagged emergency is granted at once, the ticket flagged, and "
	    "the hospital told at once (a warning and an audit record); "
	    "`rsgate ap pending` shows it until an administrator approves "
	    "or terminates it." },
	{ "idle_timeout", CONFIG_DURATION, 1, 86400, "15m", NULL, 0,
	    "A ticket's stream with no byte either way for this long is "
	    "ended (R25)." },
	{ "max_session", CONFIG_DURATION, 60, 604800, "8h", NULL, 0,
	    "Longest window any grant may have; longer approvals are cut "
	    "to it (R26)." },
	{ "sessions_per_device", CONFIG_INT, 1, 1000, "1", NULL, 0,
	    "Ticket streams open at once to one device (R22)." },
	{ "alert_listen", CONFIG_STRING, 3, 255, NULL, NULL, 0,
	    "host:port where devices POST failure alerts (HTTP, JSON body, "
	    "`Authorization: Bearer TOKEN`; docs/ALERTS.md). Unset: no HTTP "
	    "alert input. Port 0 picks a free port; the AP prints `alert "
	    "listening on HOST:PORT`. Keep it on the device network." },
	{ "alert_token", CONFIG_STRING, 3, 1024, NULL, NULL, CONFIG_F_MULTI,
	    "`DEVICE TOKENFILE`: the file holding the device's alert token "
	    "(16 to 256 printable bytes, one line; mode 0600 or 0400, owned "
	    "by the AP's user). A device without a token cannot post "
	    "alerts." },
	{ "syslog_listen", CONFIG_STRING, 3, 255, NULL, NULL, 0,
	    "host:port (UDP) for RFC 5424 syslog alerts with the fields in "
	    "the structured-data element `alert@32473`. Accepted only from "
	    "an address the inventory gives one of the device's services. "
	    "Port 0 as for `alert_listen` (`syslog listening on ...`)." },
	{ "log_level", CONFIG_ENUM, 0, 0, "info", log_levels, 0,
	    "Least severe log level written to stderr." },
};

const struct config_table ap_config_table = {
	"rsgate-ap",
	"The access point at the hospital: the hub it dials, its identity, "
	"the device inventory and the standing policy.",
	ap_options,
	sizeof(ap_options) / sizeof(ap_options[0]),
};

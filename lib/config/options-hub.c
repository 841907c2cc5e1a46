/*
 * options-hub.c: the option table of rsgate-hub, the vendor-side daemon
 * (engineers' HTTPS API, the access points' control listener and the
 * relay). Lives in the library so that `rsgate config doc` documents it
 * beside the other programs' tables.
 */
#include "rsgate/config.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug",
	NULL };

static const char *const smtp_tls_modes[] = { "try", "require", NULL };

static const struct config_option hub_options[] = {
	{ "name", CONFIG_STRING, 1, 255, NULL, NULL, CONFIG_F_REQUIRED,
	    "The hub's name, sent to access points in HELLO_ACK and written "
	    "in log lines." },
	{ "cert", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "The hub's certificate (PEM, role hub), shown on every listener." },
	{ "key", CONFIG_PATH, 0, 0, NULL, NULL,
	    CONFIG_F_REQUIRED | CONFIG_F_SENSITIVE,
	    "The private key of `cert` (mode 0600)." },
	{ "ca", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "CA certificate that engineers' and access points' certificates "
	    "must chain to." },
	{ "crl", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Revocation list of the CA. Re-read within 2 seconds whenever the "
	    "file changes (after `rsgate pki revoke`); later handshakes use "
	    "the new list." },
	{ "api_listen", CONFIG_STRING, 1, 255, "127.0.0.1:8443", NULL, 0,
	    "host:port of the engineers' HTTPS API (TLS 1.3, client "
	    "certificate with the engineer role). Port 0 picks a free port; "
	    "the hub prints `api listening on HOST:PORT`." },
	{ "control_listen", CONFIG_STRING, 1, 255, "127.0.0.1:8444", NULL, 0,
	    "host:port of the access points' control channel (TLS 1.3, "
	    "client certificate with the ap role). Port 0 as for "
	    "`api_listen`." },
	{ "relay_listen", CONFIG_STRING, 1, 255, "127.0.0.1:8445", NULL, 0,
	    "host:port of the relay (plain TCP; carries a pairing preamble, "
	    "then ciphertext only). Port 0 as for `api_listen`." },
	{ "relay_advertise", CONFIG_STRING, 1, 255, NULL, NULL, 0,
	    "host:port of the relay as engineers and access points reach it "
	    "(behind NAT, a load balancer). Default: the address the relay "
	    "is actually bound to." },
	{ "engineer", CONFIG_STRING, 1, 255, NULL, NULL, CONFIG_F_MULTI,
	    "Subject CN of an active engineer; repeat for each. An engineer "
	    "with a valid certificate who is not listed is refused with "
	    "403 and audited (fail closed)." },
	{ "audit_db", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_REQUIRED,
	    "The hub's audit log database (created on first start)." },
	{ "audit_key", CONFIG_PATH, 0, 0, NULL, NULL,
	    CONFIG_F_REQUIRED | CONFIG_F_SENSITIVE,
	    "Private Ed25519 key that signs the audit checkpoints (generated "
	    "with the log on first start if missing)." },
	{ "heartbeat", CONFIG_DURATION, 1, 300, "10s", NULL, 0,
	    "Heartbeat interval told to access points in HELLO_ACK; the hub "
	    "pings an access point it has sent nothing to for this long." },
	{ "dead_after", CONFIG_DURATION, 2, 3600, "30s", NULL, 0,
	    "An access point silent for this long is dropped (its devices "
	    "show connected:false). Also the deadline for the TLS handshake "
	    "and HELLO of a new control connection." },
	{ "pairing_timeout", CONFIG_DURATION, 1, 300, "10s", NULL, 0,
	    "Lifetime of a stream's one-time pairing tokens, counted from "
	    "the moment the access point accepts the stream." },
	{ "relay_unpaired_timeout", CONFIG_DURATION, 1, 300, "5s", NULL, 0,
	    "A relay connection that has not sent a valid preamble, or whose "
	    "partner has not arrived, within this long is dropped." },
	{ "relay_per_source_max", CONFIG_INT, 1, 100000, "64", NULL, 0,
	    "Most relay connections open at once from one source address (an "
	    "IPv6 source counts for its whole /64). An access point's "
	    "connection leaves this count once it is paired (it came with a "
	    "one-time token), so an AP's streams are bounded by its own "
	    "`max_streams`, not by this; an engineer's address keeps "
	    "counting its streams (raise it for many engineers behind one "
	    "NAT address). The relay's global caps, "
	    "on unpaired connections and on connections in all, are derived "
	    "at start from the file descriptors available and logged." },
	{ "relay_idle", CONFIG_DURATION, 60, 2592000, "1h", NULL, 0,
	    "A paired relay stream on which no byte moved either way for this "
	    "long is closed (audited as its session.close, reason \"idle\"). "
	    "Neither `rsgate connect` nor the access point sends keep-alives "
	    "inside a tunnel, so this is how long an engineer may leave an "
	    "open session untouched." },
	{ "refusal_audit_burst", CONFIG_INT, 1, 100000, "10", NULL, 0,
	    "Refusals of strangers (failed TLS handshakes, relay refusals, "
	    "connection caps) are audited one by one up to this many per "
	    "source address (IPv6: per /64) and minute; the rest of that "
	    "minute is counted and written as one record \"N more refusals "
	    "from ADDRESS in the last minute\", so a flood cannot turn into "
	    "a flood of synchronous audit writes." },
	{ "evidence_dir", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "Folder of the evidence vault (created with mode 0700): files "
	    "collected from devices (`rsgate collect`), encrypted at rest "
	    "under a per-ticket key (docs/EVIDENCE.md). Unset: no vault, "
	    "collect is refused." },
	{ "master_key", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_SENSITIVE,
	    "The vault's master key (32 bytes, mode 0600; refused if group "
	    "or others may read it) that wraps every ticket key. Created at "
	    "first start if missing, or beforehand with `rsgate vault "
	    "keygen`. Required with `evidence_dir`." },
	{ "evidence_retention", CONFIG_DURATION, 0, 365 * 86400, "0s", NULL,
	    0,
	    "How long a ticket's evidence is kept after the ticket ends "
	    "(closed, expired, terminated, denied) before it is destroyed and "
	    "the deletion certificate issued (R44). 0: at once." },
	{ "collect_max", CONFIG_INT, 1, 64 * 1024 * 1024, "16777216", NULL, 0,
	    "Largest file, in bytes, that one `rsgate collect` may bring into "
	    "the vault; the access point stops at this size." },
	{ "smtp_url", CONFIG_STRING, 8, 255, NULL, NULL, 0,
	    "Mail server for failure notifications: `smtp://HOST:PORT` "
	    "(STARTTLS when the server offers it, see `smtp_tls`) or "
	    "`smtps://HOST:PORT`. Unset: no mail." },
	{ "smtp_tls", CONFIG_ENUM, 0, 0, "try", smtp_tls_modes, 0,
	    "`try`: use STARTTLS when the server offers it; `require`: "
	    "refuse to send without TLS." },
	{ "smtp_ca", CONFIG_PATH, 0, 0, NULL, NULL, 0,
	    "CA certificate(s) to verify the mail server with (default: the "
	    "system's)." },
	{ "smtp_from", CONFIG_STRING, 3, 255, NULL, NULL, 0,
	    "Sender address of notification mail (required with "
	    "`smtp_url`)." },
	{ "smtp_to", CONFIG_STRING, 3, 255, NULL, NULL, CONFIG_F_MULTI,
	    "A recipient of notification mail; repeat for each (at least one "
	    "with `smtp_url`)." },
	{ "smtp_user", CONFIG_STRING, 1, 255, NULL, NULL, 0,
	    "User name for SMTP authentication (with "
	    "`smtp_password_file`)." },
	{ "smtp_password_file", CONFIG_PATH, 0, 0, NULL, NULL,
	    CONFIG_F_SENSITIVE,
	    "File holding the SMTP password (one line, mode 0600)." },
	{ "webhook_url", CONFIG_STRING, 8, 1024, NULL, NULL, 0,
	    "`http(s)://` URL that receives a JSON POST for every opened or "
	    "updated alert ticket (the filtered fields only)." },
	{ "notify_retry_max", CONFIG_DURATION, 1, 86400, "5m", NULL, 0,
	    "Cap of the back-off (2 s doubling) between attempts to deliver "
	    "a mail or webhook that failed; attempts never stop." },
	{ "log_level", CONFIG_ENUM, 0, 0, "info", log_levels, 0,
	    "Least severe log level written to stderr." },
};

const struct config_table hub_config_table = {
	"rsgate-hub",
	"The hub: the engineers' HTTPS API, the access points' control "
	"channel and the relay (`rsgate-hub -c FILE`).",
	hub_options,
	sizeof(hub_options) / sizeof(hub_options[0]),
};

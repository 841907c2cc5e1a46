/*
 * options-ap.c: the option table of rsgate-ap, the access point at the
 * hospital. Its config names the hub to dial, the AP's own certificate, the
 * device inventory (device, service) and the standing policy (group,
 * allow) that decides which engineer may reach which device service.
 */
#include "rsgate/config.h"

static const char *const log_levels[] = { "error", "warn", "info", "debug",
	NULL };

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
	{ "max_streams", CONFIG_INT, 1, 100000, "1024", NULL, 0,
	    "Most streams open at once; more are refused with BUSY." },
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

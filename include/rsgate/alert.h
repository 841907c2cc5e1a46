/*
 * alert: device failure alerts (R6-R8) and the filter that keeps patient
 * data out of them. A device reports a failure to its access point as a
 * JSON object (HTTP) or as an RFC 5424 syslog message whose
 * STRUCTURED-DATA element "alert@32473" carries the fields. Whatever the
 * input, only the allow-listed fields survive: device, model, error_code,
 * severity, time and message_id, each validated (length, characters, the
 * severity enum, RFC 3339 time). Every other field, and a syslog message's
 * free text, is dropped; the caller audits the drop by the NAMES the
 * parser reports (never their values). docs/ALERTS.md describes the
 * formats.
 *
 * Pure parsing: no I/O, no clock, no inventory (the caller checks that the
 * device is its own).
 */
#ifndef RSGATE_ALERT_H
#define RSGATE_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define ALERT_BODY_MAX (8u * 1024)	/* JSON body or syslog datagram */
#define ALERT_DEVICE_MAX 255		/* = INVENTORY_NAME_MAX */
#define ALERT_MODEL_MAX 64
#define ALERT_CODE_MAX 64
#define ALERT_MSGID_MAX 128
#define ALERT_TIME_MAX 40		/* an RFC 3339 timestamp */
#define ALERT_ID_MAX 64			/* the AP's alert id */
/* Dropped field names reported, and the longest name kept (cut). */
#define ALERT_DROP_MAX 16
#define ALERT_DROP_NAME_MAX 32
/* The SD-ID of the syslog structured-data element with the fields. */
#define ALERT_SD_ID "alert@32473"

/* Syslog severity names (RFC 5424 section 6.2.1), 0..7. */
enum alert_severity {
	ALERT_SEV_EMERGENCY = 0,
	ALERT_SEV_ALERT,
	ALERT_SEV_CRITICAL,
	ALERT_SEV_ERROR,
	ALERT_SEV_WARNING,
	ALERT_SEV_NOTICE,
	ALERT_SEV_INFO,
	ALERT_SEV_DEBUG,
};

/* A filtered alert: only allow-listed, validated fields. "" when absent. */
struct alert {
	char device[ALERT_DEVICE_MAX + 1];	/* required */
	char model[ALERT_MODEL_MAX + 1];
	char error_code[ALERT_CODE_MAX + 1];	/* required */
	enum alert_severity severity;		/* required */
	char time[ALERT_TIME_MAX + 1];		/* RFC 3339 as given, or "" */
	int64_t time_ms;			/* of time; 0 when absent */
	char message_id[ALERT_MSGID_MAX + 1];
};

/*
 * What the filter dropped: the names (sanitised to [A-Za-z0-9._@-], cut at
 * ALERT_DROP_NAME_MAX) of up to ALERT_DROP_MAX fields; n counts them all.
 */
struct alert_drop {
	size_t n;
	char names[ALERT_DROP_MAX][ALERT_DROP_NAME_MAX + 1];
};

const char *alert_severity_name(enum alert_severity s);	/* NULL if bad */
int alert_severity_parse(const char *name, enum alert_severity *out) RSG_WUR;

/*
 * Parse an RFC 3339 date-time ("2026-11-26T12:45:22Z", fractions and a
 * numeric offset allowed) to ms since the epoch. RSG_ERR_FORMAT.
 */
int alert_time_parse(const char *s, int64_t *ms) RSG_WUR;

/*
 * Filter a JSON alert body of len bytes (at most ALERT_BODY_MAX, one
 * object, no duplicate keys). Allow-listed fields must be strings that
 * validate; any other member is dropped and named in *drop. RSG_ERR_LIMIT
 * (too large), RSG_ERR_FORMAT (not a JSON object, an allow-listed field
 * malformed, a required one missing), RSG_ERR_NOMEM. err (may be NULL)
 * gets a one-line reason naming the field. *out and *drop are written only
 * on success.
 */
int alert_parse_json(const void *p, size_t len, struct alert *out,
    struct alert_drop *drop, char *err, size_t errlen) RSG_WUR;

/*
 * Filter one RFC 5424 syslog message (a UDP datagram, at most
 * ALERT_BODY_MAX). The fields come from the SD element ALERT_SD_ID; the
 * HEADER supplies defaults: severity from PRI, time from TIMESTAMP,
 * message_id from MSGID, device from HOSTNAME. Other SD elements and
 * parameters are dropped by name ("origin", "alert@32473/patient"), and
 * a non-empty MSG is dropped as "msg". Errors as for alert_parse_json.
 */
int alert_parse_syslog(const void *p, size_t len, struct alert *out,
    struct alert_drop *drop, char *err, size_t errlen) RSG_WUR;

/*
 * The dropped names as "patient_name,comment" (truncated with "..." if
 * outlen is short); "" when nothing was dropped. Returns out.
 */
char *alert_drop_format(const struct alert_drop *d, char *out, size_t outlen);

struct json_t;
/*
 * The ALERT control message body (docs/WORKFLOW.md):
 * {"alert_id","ap","device","model","error_code","severity","time",
 * "message_id"}; time is normalised to RFC 3339 UTC (now_ms when the
 * device gave none). *out: a new object (json_decref). RSG_ERR_NOMEM.
 */
int alert_to_json(const struct alert *a, const char *alert_id,
    const char *ap, int64_t now_ms, struct json_t **out) RSG_WUR;

/*
 * The hub's strict reading of an ALERT body: every field above present and
 * valid, nothing else (an AP never forwards more). alert_id and ap are
 * copied to buffers of ALERT_ID_MAX + 1 and ALERT_DEVICE_MAX + 1 bytes.
 * RSG_ERR_FORMAT with a reason in err.
 */
int alert_from_msg(const struct json_t *body, struct alert *out,
    char *alert_id, char *ap, char *err, size_t errlen) RSG_WUR;

#endif /* RSGATE_ALERT_H */

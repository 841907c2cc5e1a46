/*
 * audit-record.c: event names and the canonical record and checkpoint
 * encodings (docs/AUDIT-FORMAT.md). The encoding is what is hashed and
 * chained, so it has exactly one form: fixed field order, big-endian
 * integers, u32-length-prefixed UTF-8 strings. The decoder is strict (it
 * is fuzzed): anything it did not write itself is rejected.
 */
#include <string.h>

#include "audit-int.h"

static const char *const event_names[AUDIT_EV_MAX + 1] = {
	[AUDIT_EV_LOG_OPEN] = "log.open",
	[AUDIT_EV_LOG_CLOSE] = "log.close",
	[AUDIT_EV_TICKET_REQUEST] = "ticket.request",
	[AUDIT_EV_TICKET_APPROVE] = "ticket.approve",
	[AUDIT_EV_TICKET_DENY] = "ticket.deny",
	[AUDIT_EV_TICKET_CANCEL] = "ticket.cancel",
	[AUDIT_EV_AUTH_SUCCESS] = "auth.success",
	[AUDIT_EV_AUTH_FAILURE] = "auth.failure",
	[AUDIT_EV_SESSION_OPEN] = "session.open",
	[AUDIT_EV_SESSION_CLOSE] = "session.close",
	[AUDIT_EV_CAPABILITY_USE] = "capability.use",
	[AUDIT_EV_FILE_TRANSFER] = "file.transfer",
	[AUDIT_EV_CONFIG_CHANGE] = "config.change",
	[AUDIT_EV_SOFTWARE_INSTALL] = "software.install",
	[AUDIT_EV_PHI_ACCESS] = "phi.access",
	[AUDIT_EV_DATA_DELETE] = "data.delete",
	[AUDIT_EV_REPORT_SUBMIT] = "report.submit",
	[AUDIT_EV_REPORT_REVIEW] = "report.review",
	[AUDIT_EV_ADMIN_ACTION] = "admin.action",
	[AUDIT_EV_KEY_CREATE] = "key.create",
	[AUDIT_EV_KEY_ROTATE] = "key.rotate",
	[AUDIT_EV_CERT_ISSUE] = "cert.issue",
	[AUDIT_EV_CERT_REVOKE] = "cert.revoke",
	[AUDIT_EV_CONFIG_BACKUP] = "config.backup",
	[AUDIT_EV_CONFIG_RESTORE] = "config.restore",
	[AUDIT_EV_TIME_DRIFT] = "time.drift",
	[AUDIT_EV_TICKET_NOTIFY] = "ticket.notify",
	[AUDIT_EV_TICKET_CLOSE] = "ticket.close",
	[AUDIT_EV_TICKET_EXPIRE] = "ticket.expire",
	[AUDIT_EV_TICKET_TERMINATE] = "ticket.terminate",
	[AUDIT_EV_TICKET_PURGE] = "ticket.purge",
	[AUDIT_EV_TICKET_REFUSE] = "ticket.refuse",
	[AUDIT_EV_ALERT_RECEIVE] = "alert.receive",
	[AUDIT_EV_ALERT_DROP] = "alert.drop",
	[AUDIT_EV_NOTIFY_SEND] = "notify.send",
	[AUDIT_EV_EVIDENCE_COLLECT] = "evidence.collect",
	[AUDIT_EV_EVIDENCE_READ] = "evidence.read",
	[AUDIT_EV_EVIDENCE_DESTROY] = "evidence.destroy",
	[AUDIT_EV_DOCUMENT_ISSUE] = "document.issue",
	[AUDIT_EV_DOCUMENT_RECEIVE] = "document.receive",
	[AUDIT_EV_ENGINEER_DEACTIVATE] = "engineer.deactivate",
};

static const char *const outcome_names[AUDIT_OUTCOME_MAX + 1] = {
	[AUDIT_OUTCOME_SUCCESS] = "success",
	[AUDIT_OUTCOME_FAILURE] = "failure",
	[AUDIT_OUTCOME_DENIED] = "denied",
};

static const char *const field_names[AUDIT_NFIELDS] = {
	[AUDIT_F_HCF] = "hcf",
	[AUDIT_F_VENDOR] = "vendor",
	[AUDIT_F_USER] = "user",
	[AUDIT_F_ROLE] = "role",
	[AUDIT_F_SESSION] = "session",
	[AUDIT_F_DEVICE] = "device",
	[AUDIT_F_SITE] = "site",
	[AUDIT_F_APPROVAL] = "approval",
	[AUDIT_F_CAPABILITY] = "capability",
	[AUDIT_F_OBJECT] = "object",
	[AUDIT_F_SOURCE] = "source",
	[AUDIT_F_REASON] = "reason",
};

const char *
audit_event_name(enum audit_event ev)
{
	if ((int)ev < AUDIT_EV_LOG_OPEN || (int)ev > AUDIT_EV_MAX)
		return NULL;
	return event_names[ev];
}

const char *
audit_outcome_name(enum audit_outcome o)
{
	if ((int)o < AUDIT_OUTCOME_SUCCESS || (int)o > AUDIT_OUTCOME_MAX)
		return NULL;
	return outcome_names[o];
}

const char *
audit_field_name(enum audit_field f)
{
	if ((int)f < 0 || (int)f >= AUDIT_NFIELDS)
		return NULL;
	return field_names[f];
}

int
audit_event_parse(const char *name, enum audit_event *ev)
{
	int i;

	for (i = AUDIT_EV_LOG_OPEN; name != NULL && i <= AUDIT_EV_MAX; i++) {
		if (strcmp(name, event_names[i]) == 0) {
			*ev = (enum audit_event)i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

int
audit_outcome_parse(const char *name, enum audit_outcome *o)
{
	int i;

	for (i = AUDIT_OUTCOME_SUCCESS; name != NULL &&
	    i <= AUDIT_OUTCOME_MAX; i++) {
		if (strcmp(name, outcome_names[i]) == 0) {
			*o = (enum audit_outcome)i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

int
audit_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		uint8_t c = s[i];

		/* Most audit text is ASCII: skip it a byte at a time, fast. */
		if (c - 1u < 0x7f) {
			i++;
			continue;
		}
		if (c == 0)
			return 0;
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* No overlong forms, surrogates or code points past Unicode. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
audit_record_encode(const struct audit_record *r, struct rsg_buf *out)
{
	size_t len[AUDIT_NFIELDS];
	int i, e;

	if (audit_event_name(r->event) == NULL ||
	    audit_outcome_name(r->outcome) == NULL || r->seq == 0 ||
	    r->seq > INT64_MAX || r->time_ms < 0)
		return RSG_ERR_INVALID_ARG;
	for (i = 0; i < AUDIT_NFIELDS; i++) {
		len[i] = r->f[i] == NULL ? 0 : strlen(r->f[i]);
		if (len[i] > AUDIT_STR_MAX)
			return RSG_ERR_LIMIT;
		if (!audit_utf8_valid((const uint8_t *)r->f[i], len[i]))
			return RSG_ERR_FORMAT;
	}
	if ((e = buf_put_u8(out, AUDIT_RECORD_VERSION)) != 0 ||
	    (e = buf_put_u64(out, r->seq)) != 0 ||
	    (e = buf_put_u64(out, (uint64_t)r->time_ms)) != 0 ||
	    (e = buf_put_u16(out, (uint16_t)r->event)) != 0 ||
	    (e = buf_put_u8(out, (uint8_t)r->outcome)) != 0 ||
	    (e = buf_put(out, r->prev_hash, AUDIT_HASH_LEN)) != 0)
		return e;
	for (i = 0; i < AUDIT_NFIELDS; i++)
		if ((e = buf_put_string(out, r->f[i], len[i])) != 0)
			return e;
	return 0;
}

int
audit_record_decode_nohash(const uint8_t *p, size_t len,
    struct audit_record *r)
{
	struct rsg_buf b;
	const uint8_t *s;
	uint64_t seq, t;
	uint16_t ev;
	uint8_t ver, oc;
	size_t slen, used = 0;
	int e, i;

	buf_init_ro(&b, p, len);
	if ((e = buf_get_u8(&b, &ver)) != 0)
		return e;
	if (ver != AUDIT_RECORD_VERSION)
		return RSG_ERR_VERSION;
	if ((e = buf_get_u64(&b, &seq)) != 0 ||
	    (e = buf_get_u64(&b, &t)) != 0 ||
	    (e = buf_get_u16(&b, &ev)) != 0 ||
	    (e = buf_get_u8(&b, &oc)) != 0 ||
	    (e = buf_get(&b, r->prev_hash, AUDIT_HASH_LEN)) != 0)
		return e;
	if (seq == 0 || seq > INT64_MAX || t > INT64_MAX ||
	    audit_event_name((enum audit_event)ev) == NULL ||
	    audit_outcome_name((enum audit_outcome)oc) == NULL)
		return RSG_ERR_FORMAT;
	for (i = 0; i < AUDIT_NFIELDS; i++) {
		if ((e = buf_get_string_direct(&b, AUDIT_STR_MAX, &s,
		    &slen)) != 0)
			return e;
		if (!audit_utf8_valid(s, slen))
			return RSG_ERR_FORMAT;
		/* Fits: each field has AUDIT_STR_MAX + 1 bytes of room. */
		memcpy(r->strings + used, s, slen);
		r->strings[used + slen] = '\0';
		r->f[i] = r->strings + used;
		used += slen + 1;
	}
	if ((e = buf_get_end(&b)) != 0)
		return e;
	r->seq = seq;
	r->time_ms = (int64_t)t;
	r->event = (enum audit_event)ev;
	r->outcome = (enum audit_outcome)oc;
	return 0;
}

int
audit_record_decode(const uint8_t *p, size_t len, struct audit_record *r)
{
	struct audit_hasher h;
	int e;

	if ((e = audit_record_decode_nohash(p, len, r)) != 0)
		return e;
	if ((e = audit_hasher_init(&h)) != 0)
		return e;
	e = audit_hash(&h, p, len, r->hash);
	audit_hasher_done(&h);
	return e;
}

int
audit_checkpoint_encode(const struct audit_checkpoint *c, struct rsg_buf *out)
{
	int e;

	if (c->n == 0 || c->last_seq == 0 || c->time_ms < 0)
		return RSG_ERR_INVALID_ARG;
	if ((e = buf_put_cstring(out, AUDIT_CHECKPOINT_DOMAIN)) != 0 ||
	    (e = buf_put(out, c->log_id, AUDIT_LOG_ID_LEN)) != 0 ||
	    (e = buf_put_u64(out, c->n)) != 0 ||
	    (e = buf_put_u64(out, c->last_seq)) != 0 ||
	    (e = buf_put(out, c->last_hash, AUDIT_HASH_LEN)) != 0 ||
	    (e = buf_put_u64(out, (uint64_t)c->time_ms)) != 0 ||
	    (e = buf_put(out, c->prev_hash, AUDIT_HASH_LEN)) != 0)
		return e;
	return 0;
}

int
audit_checkpoint_decode(const uint8_t *p, size_t len, struct audit_checkpoint *c)
{
	struct audit_checkpoint tmp;
	struct rsg_buf b;
	const uint8_t *dom;
	size_t domlen;
	uint64_t t;
	int e;

	buf_init_ro(&b, p, len);
	if ((e = buf_get_string_direct(&b, 64, &dom, &domlen)) != 0)
		return e;
	if (domlen != strlen(AUDIT_CHECKPOINT_DOMAIN) ||
	    memcmp(dom, AUDIT_CHECKPOINT_DOMAIN, domlen) != 0)
		return RSG_ERR_VERSION;
	if ((e = buf_get(&b, tmp.log_id, AUDIT_LOG_ID_LEN)) != 0 ||
	    (e = buf_get_u64(&b, &tmp.n)) != 0 ||
	    (e = buf_get_u64(&b, &tmp.last_seq)) != 0 ||
	    (e = buf_get(&b, tmp.last_hash, AUDIT_HASH_LEN)) != 0 ||
	    (e = buf_get_u64(&b, &t)) != 0 ||
	    (e = buf_get(&b, tmp.prev_hash, AUDIT_HASH_LEN)) != 0 ||
	    (e = buf_get_end(&b)) != 0)
		return e;
	if (tmp.n == 0 || tmp.n > INT64_MAX || tmp.last_seq == 0 ||
	    tmp.last_seq > INT64_MAX || t > INT64_MAX)
		return RSG_ERR_FORMAT;
	tmp.time_ms = (int64_t)t;
	*c = tmp;
	return 0;
}

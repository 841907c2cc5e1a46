/*
 * audit-export.c: the log for SIEMs (R40), one line per record, in JSON
 * lines or RFC 5424 syslog (docs/AUDIT-FORMAT.md). Lines are built from
 * the decoded canonical encoding, not from the columns, so what is exported
 * is what the hash chain covers. Escaping is done here by hand: strings are
 * known UTF-8 (the decoder checks), so only the syntax characters and
 * control bytes need care.
 */
#include <stdlib.h>
#include <string.h>

#include "rsgate/store.h"

#include "audit-int.h"

/* RFC 5424 structured-data id; 32473 is the documentation PEN (RFC 5612). */
#define AUDIT_SD_ID "rsgate@32473"
/* syslog facility 13 ("log audit"); notice for success, warning else. */
#define AUDIT_SYSLOG_FACILITY 13
#define AUDIT_SYSLOG_NOTICE 5
#define AUDIT_SYSLOG_WARNING 4

static int
put_json_string(struct rsg_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	const char *esc;
	size_t run;
	int e;

	if ((e = buf_put_u8(b, '"')) != 0)
		return e;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		/* Copy runs of plain bytes at once. */
		for (run = 0; p[run] >= 0x20 && p[run] != '"' &&
		    p[run] != '\\' && p[run] != 0x7f; run++)
			;
		if (run > 0) {
			if ((e = buf_put(b, p, run)) != 0)
				return e;
			p += run;
			if (*p == '\0')
				break;
		}
		esc = NULL;
		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			break;
		}
		if (esc != NULL)
			e = buf_put(b, esc, 2);
		else
			e = buf_putf(b, "\\u00%c%c", hex[*p >> 4],
			    hex[*p & 0xf]);
		if (e != 0)
			return e;
	}
	return buf_put_u8(b, '"');
}

/* RFC 5424 PARAM-VALUE: escape '"', '\\' and ']'; control bytes as \xNN. */
static int
put_sd_value(struct rsg_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	int e;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == ']') {
			if ((e = buf_put_u8(b, '\\')) == 0)
				e = buf_put_u8(b, *p);
		} else if (*p < 0x20 || *p == 0x7f)
			e = buf_putf(b, "\\x%c%c", hex[*p >> 4],
			    hex[*p & 0xf]);
		else
			e = buf_put_u8(b, *p);
		if (e != 0)
			return e;
	}
	return 0;
}

/* A syslog header field: printable US-ASCII, at most max, else "-". */
static int
put_header_field(struct rsg_buf *b, const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || *s == '\0')
		return buf_put_u8(b, '-');
	n = strlen(s);
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		if (s[i] < 33 || s[i] > 126)
			return RSG_ERR_INVALID_ARG;
	return buf_put(b, s, n);
}

static int
format_jsonl(const struct audit_record *r, struct rsg_buf *out)
{
	char ts[40], hx[2 * AUDIT_HASH_LEN + 1];
	int e, i;

	time_format_rfc3339(r->time_ms, ts, sizeof(ts));
	if ((e = buf_putf(out, "{\"seq\":%llu,\"time\":\"%s\","
	    "\"time_ms\":%lld,\"event\":\"%s\",\"outcome\":\"%s\"",
	    (unsigned long long)r->seq, ts, (long long)r->time_ms,
	    audit_event_name(r->event), audit_outcome_name(r->outcome))) != 0)
		return e;
	for (i = 0; i < AUDIT_NFIELDS; i++) {
		if ((e = buf_putf(out, ",\"%s\":",
		    audit_field_name((enum audit_field)i))) != 0 ||
		    (e = put_json_string(out, r->f[i] == NULL ? "" :
		    r->f[i])) != 0)
			return e;
	}
	hex_encode(r->prev_hash, AUDIT_HASH_LEN, hx);
	if ((e = buf_putf(out, ",\"prev_hash\":\"%s\"", hx)) != 0)
		return e;
	hex_encode(r->hash, AUDIT_HASH_LEN, hx);
	return buf_putf(out, ",\"hash\":\"%s\"}", hx);
}

static int
format_syslog(const struct audit_record *r, const struct audit_export_opts *o,
    struct rsg_buf *out)
{
	char ts[40], hx[2 * AUDIT_HASH_LEN + 1];
	int sev, e, i;

	sev = r->outcome == AUDIT_OUTCOME_SUCCESS ? AUDIT_SYSLOG_NOTICE :
	    AUDIT_SYSLOG_WARNING;
	time_format_rfc3339(r->time_ms, ts, sizeof(ts));
	if ((e = buf_putf(out, "<%d>1 %s ", AUDIT_SYSLOG_FACILITY * 8 + sev,
	    ts)) != 0 ||
	    (e = put_header_field(out, o->hostname, 255)) != 0 ||
	    (e = buf_put_u8(out, ' ')) != 0 ||
	    (e = put_header_field(out, o->app_name == NULL ? "rsgate" :
	    o->app_name, 48)) != 0 ||
	    (e = buf_put_u8(out, ' ')) != 0 ||
	    (e = put_header_field(out, o->procid, 128)) != 0 ||
	    (e = buf_putf(out, " %s [" AUDIT_SD_ID " seq=\"%llu\" "
	    "outcome=\"%s\"", audit_event_name(r->event),
	    (unsigned long long)r->seq,
	    audit_outcome_name(r->outcome))) != 0)
		return e;
	for (i = 0; i < AUDIT_NFIELDS; i++) {
		if (r->f[i] == NULL || r->f[i][0] == '\0')
			continue;
		if ((e = buf_putf(out, " %s=\"",
		    audit_field_name((enum audit_field)i))) != 0 ||
		    (e = put_sd_value(out, r->f[i])) != 0 ||
		    (e = buf_put_u8(out, '"')) != 0)
			return e;
	}
	hex_encode(r->hash, AUDIT_HASH_LEN, hx);
	return buf_putf(out, " hash=\"%s\"]", hx);
}

int
audit_record_format(const struct audit_record *r,
    const struct audit_export_opts *o, struct rsg_buf *out)
{
	if (audit_event_name(r->event) == NULL ||
	    audit_outcome_name(r->outcome) == NULL)
		return RSG_ERR_INVALID_ARG;
	switch (o->format) {
	case AUDIT_EXPORT_JSONL:
		return format_jsonl(r, out);
	case AUDIT_EXPORT_SYSLOG:
		return format_syslog(r, o, out);
	}
	return RSG_ERR_INVALID_ARG;
}

struct export_ctx {
	const struct audit_export_opts *o;
	audit_line_fn fn;
	void *arg;
	struct audit_hasher h;
	struct rsg_buf *line;
	struct audit_record rec;
};

static int
export_one(const struct store_audit_row *row, void *arg)
{
	struct export_ctx *x = arg;
	int e;

	if ((e = audit_record_decode_nohash(row->enc, row->enc_len,
	    &x->rec)) != 0 ||
	    (e = audit_hash(&x->h, row->enc, row->enc_len, x->rec.hash)) != 0)
		return e;
	buf_reset(x->line);
	if ((e = audit_record_format(&x->rec, x->o, x->line)) != 0 ||
	    (e = buf_put_u8(x->line, '\n')) != 0)
		return e;
	return x->fn((const char *)buf_ptr(x->line), buf_len(x->line),
	    x->arg);
}

int
audit_export(const char *dbpath, const struct audit_export_opts *o,
    audit_line_fn fn, void *arg)
{
	struct export_ctx *x;
	struct store *st = NULL;
	struct rsg_buf *b = NULL;
	int r;

	if (dbpath == NULL || o == NULL || fn == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return RSG_ERR_NOMEM;
	x->o = o;
	x->fn = fn;
	x->arg = arg;
	if ((r = audit_hasher_init(&x->h)) != 0)
		goto out;
	if ((x->line = buf_new(0)) == NULL ||
	    (b = buf_new(STORE_META_VALUE_MAX)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((r = store_open(dbpath, STORE_RDONLY, &st)) != 0)
		goto out;
	/* Only a database holding a log has anything to export. */
	if ((r = store_meta_get(st, AUDIT_META_LOG_ID, b)) != 0)
		goto out;
	r = store_audit_foreach(st, o->since, export_one, x);
 out:
	store_close(st);
	audit_hasher_done(&x->h);
	buf_free(x->line);
	buf_free(b);
	free(x);
	return r;
}

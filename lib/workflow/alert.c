/*
 * alert.c: the alert filter (R6-R8). Two bounded parsers, JSON and RFC 5424
 * syslog, feed one allow-list: a field is kept only if its name is on the
 * list and its value validates; everything else is dropped and only its
 * name is reported. No value of a dropped field is ever copied out of the
 * input, so patient data cannot leak through this module.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "rsgate/alert.h"

static const char *const severity_names[] = {
	"emergency", "alert", "critical", "error", "warning", "notice",
	"info", "debug",
};
#define NSEV (sizeof(severity_names) / sizeof(severity_names[0]))

enum field {
	F_DEVICE, F_MODEL, F_ERROR_CODE, F_SEVERITY, F_TIME, F_MESSAGE_ID,
	F_N
};
static const char *const field_names[F_N] = {
	"device", "model", "error_code", "severity", "time", "message_id",
};
#define SEEN(f) (1u << (f))

const char *
alert_severity_name(enum alert_severity s)
{
	if ((unsigned)s >= NSEV)
		return NULL;
	return severity_names[s];
}

int
alert_severity_parse(const char *name, enum alert_severity *out)
{
	size_t i;

	for (i = 0; i < NSEV; i++)
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (enum alert_severity)i;
			return 0;
		}
	return RSG_ERR_FORMAT;
}

/* ---- value checks -------------------------------------------------------- */

/* n decimal digits at s into *v. */
static int
digits(const char *s, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
alert_time_parse(const char *s, int64_t *ms)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, frac_ms = 0, nf = 0, sign;
	const char *p;
	time_t t;

	if (strlen(s) > ALERT_TIME_MAX || strlen(s) < 20)
		return RSG_ERR_FORMAT;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return RSG_ERR_FORMAT;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 60)
		return RSG_ERR_FORMAT;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nf++)
			if (nf < 3)
				frac_ms = frac_ms * 10 + (*p - '0');
		if (nf == 0 || nf > 9)
			return RSG_ERR_FORMAT;
		for (; nf < 3; nf++)
			frac_ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		if (p[1] != '\0')
			return RSG_ERR_FORMAT;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om) || p[6] != '\0' || oh > 23 ||
		    om > 59)
			return RSG_ERR_FORMAT;
		oh *= sign;
		om *= sign;
	} else
		return RSG_ERR_FORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;	/* a leap second */
	if ((t = timegm(&tm)) == (time_t)-1)
		return RSG_ERR_FORMAT;
	t -= (time_t)oh * 3600 + (time_t)om * 60;
	if (t < 0)
		return RSG_ERR_FORMAT;
	*ms = (int64_t)t * 1000 + frac_ms;
	return 0;
}

/* Every byte of s[0..n) in the class; n within [1, max]. */
static int
chars_ok(const char *s, size_t n, size_t max, const char *extra, int space)
{
	size_t i;
	unsigned char c;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (c == ' ' && space && i > 0 && i + 1 < n)
			continue;
		if (c == '\0' || strchr(extra, c) == NULL)
			return 0;
	}
	return 1;
}

static void
copy_n(char *dst, const char *v, size_t n)
{
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/*
 * Validate and store one allow-listed field's value (v, n bytes; not
 * NUL-terminated). The error names the field, never the value.
 */
static int
field_set(struct alert *a, enum field f, const char *v, size_t n,
    char *err, size_t errlen)
{
	char tmp[ALERT_TIME_MAX + 1];
	int64_t ms;
	enum alert_severity sev;
	size_t i;
	int good = 0;

	switch (f) {
	case F_DEVICE:
		if ((good = chars_ok(v, n, ALERT_DEVICE_MAX, "._-", 0)))
			copy_n(a->device, v, n);
		break;
	case F_MODEL:
		if ((good = chars_ok(v, n, ALERT_MODEL_MAX, "._-+/()", 1)))
			copy_n(a->model, v, n);
		break;
	case F_ERROR_CODE:
		if ((good = chars_ok(v, n, ALERT_CODE_MAX, "._:/-", 0)))
			copy_n(a->error_code, v, n);
		break;
	case F_MESSAGE_ID:
		if ((good = chars_ok(v, n, ALERT_MSGID_MAX, "._:/@-", 0)))
			copy_n(a->message_id, v, n);
		break;
	case F_SEVERITY:
		if (n < sizeof(tmp)) {
			memcpy(tmp, v, n);
			tmp[n] = '\0';
			if (strlen(tmp) == n &&
			    alert_severity_parse(tmp, &sev) == 0) {
				a->severity = sev;
				good = 1;
			}
		}
		break;
	case F_TIME:
		if (n <= ALERT_TIME_MAX) {
			memcpy(tmp, v, n);
			tmp[n] = '\0';
			for (i = 0; i < n && tmp[i] != '\0'; i++)
				;
			if (i == n && alert_time_parse(tmp, &ms) == 0) {
				memcpy(a->time, tmp, n + 1);
				a->time_ms = ms;
				good = 1;
			}
		}
		break;
	default:
		break;
	}
	if (good)
		return 0;
	if (err != NULL)
		snprintf(err, errlen, "field \"%s\" is not valid%s",
		    field_names[f], f == F_SEVERITY ? " (emergency, alert, "
		    "critical, error, warning, notice, info or debug)" :
		    f == F_TIME ? " (RFC 3339)" : "");
	return RSG_ERR_FORMAT;
}

static int
field_lookup(const char *name, size_t n, enum field *f)
{
	int i;

	for (i = 0; i < F_N; i++)
		if (strlen(field_names[i]) == n &&
		    memcmp(field_names[i], name, n) == 0) {
			*f = (enum field)i;
			return 0;
		}
	return -1;
}

/* Record a dropped name, sanitised and cut; count them all. */
static void
drop_add(struct alert_drop *d, const char *name, size_t n)
{
	char *o;
	size_t i, k;
	unsigned char c;

	if (d->n < ALERT_DROP_MAX) {
		o = d->names[d->n];
		for (i = 0, k = 0; i < n && k < ALERT_DROP_NAME_MAX; i++) {
			c = (unsigned char)name[i];
			o[k++] = ((c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '.' || c == '_' || c == '@' || c == '-') ?
			    (char)c : '_';
		}
		if (k == 0)
			o[k++] = '_';
		o[k] = '\0';
	}
	d->n++;
}

char *
alert_drop_format(const struct alert_drop *d, char *out, size_t outlen)
{
	size_t i, used = 0, l, m = d->n < ALERT_DROP_MAX ? d->n :
	    ALERT_DROP_MAX;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	for (i = 0; i < m; i++) {
		l = strlen(d->names[i]) + (i > 0);
		if (l >= outlen - used || (i + 1 == m && d->n > m &&
		    l + 4 >= outlen - used)) {
			if (outlen - used > 3)
				memcpy(out + used, "...", 4);
			return out;
		}
		snprintf(out + used, outlen - used, "%s%s", i > 0 ? "," : "",
		    d->names[i]);
		used += l;
	}
	if (d->n > m && outlen - used > 4)
		memcpy(out + used, ",...", 5);
	return out;
}

static int
required_ok(const struct alert *a, unsigned seen, char *err, size_t errlen)
{
	static const enum field req[] = { F_DEVICE, F_ERROR_CODE,
		F_SEVERITY };
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if ((seen & SEEN(req[i])) == 0) {
			if (err != NULL)
				snprintf(err, errlen, "field \"%s\" is "
				    "required", field_names[req[i]]);
			return RSG_ERR_FORMAT;
		}
	(void)a;
	return 0;
}

/* ---- JSON ------------------------------------------------------------------ */

int
alert_parse_json(const void *p, size_t len, struct alert *out,
    struct alert_drop *drop, char *err, size_t errlen)
{
	struct alert a;
	struct alert_drop d;
	json_t *root = NULL, *v;
	const char *key;
	enum field f;
	unsigned seen = 0;
	int r = RSG_ERR_FORMAT;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > ALERT_BODY_MAX) {
		if (err != NULL)
			snprintf(err, errlen, "alert larger than %u bytes",
			    ALERT_BODY_MAX);
		return RSG_ERR_LIMIT;
	}
	memset(&a, 0, sizeof(a));
	memset(&d, 0, sizeof(d));
	root = json_loadb(p, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		if (err != NULL)
			snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (field_lookup(key, strlen(key), &f) != 0) {
			drop_add(&d, key, strlen(key));
			continue;
		}
		if (!json_is_string(v)) {
			if (err != NULL)
				snprintf(err, errlen, "field \"%s\" must be "
				    "a string", field_names[f]);
			goto out;
		}
		if ((r = field_set(&a, f, json_string_value(v),
		    json_string_length(v), err, errlen)) != 0)
			goto out;
		seen |= SEEN(f);
		r = RSG_ERR_FORMAT;
	}
	if ((r = required_ok(&a, seen, err, errlen)) != 0)
		goto out;
	*out = a;
	*drop = d;
	r = 0;
 out:
	json_decref(root);
	return r;
}

/* ---- RFC 5424 syslog ------------------------------------------------------ */

struct cur {
	const char *p;
	size_t len, off;
};

/* A header field: 1..max bytes of PRINTUSASCII up to SP. */
static int
cur_token(struct cur *c, size_t max, const char **s, size_t *n)
{
	size_t i = c->off;

	while (i < c->len && c->p[i] > 32 && c->p[i] < 127)
		i++;
	if (i == c->off || i - c->off > max || i >= c->len || c->p[i] != ' ')
		return RSG_ERR_FORMAT;
	*s = c->p + c->off;
	*n = i - c->off;
	c->off = i + 1;
	return 0;
}

static int
is_nil(const char *s, size_t n)
{
	return n == 1 && s[0] == '-';
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']', '"'. */
static int
cur_sdname(struct cur *c, const char **s, size_t *n)
{
	size_t i = c->off;
	char ch;

	while (i < c->len && (ch = c->p[i]) > 32 && ch < 127 && ch != '=' &&
	    ch != ']' && ch != '"')
		i++;
	if (i == c->off || i - c->off > 32)
		return RSG_ERR_FORMAT;
	*s = c->p + c->off;
	*n = i - c->off;
	c->off = i;
	return 0;
}

/*
 * A quoted PARAM-VALUE, unescaped into val (valmax bytes). A value longer
 * than valmax is still parsed (and *n says so, set to valmax + 1) so that a
 * dropped parameter of any length does not stop the message.
 */
static int
cur_value(struct cur *c, char *val, size_t valmax, size_t *n)
{
	size_t k = 0;
	char ch;

	if (c->off >= c->len || c->p[c->off] != '"')
		return RSG_ERR_FORMAT;
	for (c->off++; c->off < c->len; c->off++) {
		ch = c->p[c->off];
		if (ch == '"') {
			c->off++;
			*n = k > valmax ? valmax + 1 : k;
			return 0;
		}
		if (ch == '\\' && c->off + 1 < c->len &&
		    (c->p[c->off + 1] == '"' || c->p[c->off + 1] == '\\' ||
		    c->p[c->off + 1] == ']'))
			ch = c->p[++c->off];
		else if (ch == ']')
			return RSG_ERR_FORMAT;	/* must be escaped */
		if (k < valmax)
			val[k] = ch;
		if (k <= valmax)
			k++;
	}
	return RSG_ERR_FORMAT;
}

static int
syslog_sd(struct cur *c, struct alert *a, struct alert_drop *d,
    unsigned *seen, char *err, size_t errlen)
{
	char val[ALERT_DEVICE_MAX + 1];
	const char *id, *name;
	size_t idn, nn, vn;
	enum field f;
	int ours, r;

	if (c->off < c->len && c->p[c->off] == '-') {
		c->off++;
		return 0;
	}
	if (c->off >= c->len || c->p[c->off] != '[')
		return RSG_ERR_FORMAT;
	while (c->off < c->len && c->p[c->off] == '[') {
		c->off++;
		if ((r = cur_sdname(c, &id, &idn)) != 0)
			return r;
		ours = idn == strlen(ALERT_SD_ID) &&
		    memcmp(id, ALERT_SD_ID, idn) == 0;
		if (!ours)
			drop_add(d, id, idn);
		while (c->off < c->len && c->p[c->off] == ' ') {
			c->off++;
			if ((r = cur_sdname(c, &name, &nn)) != 0)
				return r;
			if (c->off >= c->len || c->p[c->off] != '=')
				return RSG_ERR_FORMAT;
			c->off++;
			if ((r = cur_value(c, val, sizeof(val) - 1, &vn)) != 0)
				return r;
			if (!ours)
				continue;
			if (field_lookup(name, nn, &f) != 0) {
				drop_add(d, name, nn);
				continue;
			}
			if (*seen & SEEN(f)) {
				if (err != NULL)
					snprintf(err, errlen, "field \"%s\" "
					    "given twice", field_names[f]);
				return RSG_ERR_FORMAT;
			}
			if ((r = field_set(a, f, val, vn, err, errlen)) != 0)
				return r;
			*seen |= SEEN(f);
		}
		if (c->off >= c->len || c->p[c->off] != ']')
			return RSG_ERR_FORMAT;
		c->off++;
	}
	return 0;
}

int
alert_parse_syslog(const void *p, size_t len, struct alert *out,
    struct alert_drop *drop, char *err, size_t errlen)
{
	struct cur c;
	struct alert a;
	struct alert_drop d;
	const char *ts, *host, *app, *proc, *msgid;
	size_t tsn, hostn, appn, procn, msgidn, i;
	unsigned seen = 0;
	int pri = 0, r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > ALERT_BODY_MAX) {
		if (err != NULL)
			snprintf(err, errlen, "message larger than %u bytes",
			    ALERT_BODY_MAX);
		return RSG_ERR_LIMIT;
	}
	memset(&a, 0, sizeof(a));
	memset(&d, 0, sizeof(d));
	c.p = p;
	c.len = len;
	c.off = 0;
	/* PRI: "<" 1..3 digits ">" (0..191), then VERSION "1" SP. */
	if (len < 1 || c.p[0] != '<')
		goto bad;
	for (i = 1; i < len && i <= 4 && c.p[i] >= '0' && c.p[i] <= '9'; i++)
		pri = pri * 10 + (c.p[i] - '0');
	if (i == 1 || i > 4 || i >= len || c.p[i] != '>' || pri > 191 ||
	    (c.p[1] == '0' && i > 2))
		goto bad;
	c.off = i + 1;
	if (c.off + 2 > len || c.p[c.off] != '1' || c.p[c.off + 1] != ' ')
		goto bad;
	c.off += 2;
	if (cur_token(&c, ALERT_TIME_MAX, &ts, &tsn) != 0 ||
	    cur_token(&c, 255, &host, &hostn) != 0 ||
	    cur_token(&c, 48, &app, &appn) != 0 ||
	    cur_token(&c, 128, &proc, &procn) != 0 ||
	    cur_token(&c, 32, &msgid, &msgidn) != 0)
		goto bad;
	(void)app;
	(void)proc;
	if ((r = syslog_sd(&c, &a, &d, &seen, err, errlen)) != 0) {
		if (r == RSG_ERR_FORMAT && err != NULL && err[0] == '\0')
			goto bad;
		return r;
	}
	/* MSG is free text (where patient data would hide): never kept. */
	if (c.off < len) {
		if (c.p[c.off] != ' ')
			goto bad;
		if (c.off + 1 < len)
			drop_add(&d, "msg", 3);
	}
	/* The header's values stand in for fields the SD element lacks. */
	if ((seen & SEEN(F_SEVERITY)) == 0) {
		a.severity = (enum alert_severity)(pri & 7);
		seen |= SEEN(F_SEVERITY);
	}
	if ((seen & SEEN(F_TIME)) == 0 && !is_nil(ts, tsn)) {
		if ((r = field_set(&a, F_TIME, ts, tsn, err, errlen)) != 0)
			return r;
		seen |= SEEN(F_TIME);
	}
	if ((seen & SEEN(F_MESSAGE_ID)) == 0 && !is_nil(msgid, msgidn)) {
		if ((r = field_set(&a, F_MESSAGE_ID, msgid, msgidn, err,
		    errlen)) != 0)
			return r;
		seen |= SEEN(F_MESSAGE_ID);
	}
	if ((seen & SEEN(F_DEVICE)) == 0 && !is_nil(host, hostn)) {
		if ((r = field_set(&a, F_DEVICE, host, hostn, err,
		    errlen)) != 0)
			return r;
		seen |= SEEN(F_DEVICE);
	}
	if ((r = required_ok(&a, seen, err, errlen)) != 0)
		return r;
	*out = a;
	*drop = d;
	return 0;
 bad:
	if (err != NULL)
		snprintf(err, errlen, "not an RFC 5424 syslog message");
	return RSG_ERR_FORMAT;
}

/* ---- the control message ----------------------------------------------------- */

int
alert_to_json(const struct alert *a, const char *alert_id, const char *ap,
    int64_t now_ms, json_t **out)
{
	char t[64];
	json_t *o;

	time_format_rfc3339(a->time_ms != 0 ? a->time_ms : now_ms, t,
	    sizeof(t));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "alert_id", alert_id, "ap", ap, "device", a->device,
	    "model", a->model, "error_code", a->error_code,
	    "severity", alert_severity_name(a->severity), "time", t,
	    "message_id", a->message_id);
	if (o == NULL)
		return RSG_ERR_NOMEM;
	*out = o;
	return 0;
}

int
alert_from_msg(const json_t *body, struct alert *out, char *alert_id,
    char *ap, char *err, size_t errlen)
{
	struct alert a;
	const char *key, *s;
	json_t *v;
	enum field f;
	size_t n;
	unsigned seen = 0, extra = 0;
	char id[ALERT_ID_MAX + 1], apn[ALERT_DEVICE_MAX + 1];

	memset(&a, 0, sizeof(a));
	id[0] = apn[0] = '\0';
	if (!json_is_object(body))
		goto bad;
	json_object_foreach((json_t *)body, key, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "\"%s\" must be a string",
			    field_lookup(key, strlen(key), &f) == 0 ?
			    field_names[f] : "a field");
			return RSG_ERR_FORMAT;
		}
		s = json_string_value(v);
		n = json_string_length(v);
		if (strcmp(key, "alert_id") == 0) {
			if (!chars_ok(s, n, ALERT_ID_MAX, "._-", 0))
				goto bad;
			memcpy(id, s, n + 1);
			extra |= 1;
		} else if (strcmp(key, "ap") == 0) {
			if (!chars_ok(s, n, ALERT_DEVICE_MAX, "._-@", 1))
				goto bad;
			memcpy(apn, s, n + 1);
			extra |= 2;
		} else if (field_lookup(key, strlen(key), &f) == 0) {
			/* model and message_id may be empty. */
			if (n == 0 && (f == F_MODEL || f == F_MESSAGE_ID)) {
				seen |= SEEN(f);
				continue;
			}
			if (field_set(&a, f, s, n, err, errlen) != 0)
				return RSG_ERR_FORMAT;
			seen |= SEEN(f);
		} else {
			snprintf(err, errlen, "unexpected field in ALERT");
			return RSG_ERR_FORMAT;
		}
	}
	if (extra != 3 || seen != (1u << F_N) - 1)
		goto bad;
	*out = a;
	memcpy(alert_id, id, sizeof(id));
	memcpy(ap, apn, sizeof(apn));
	return 0;
 bad:
	snprintf(err, errlen, "ALERT needs alert_id, ap, device, model, "
	    "error_code, severity, time and message_id, all valid");
	return RSG_ERR_FORMAT;
}

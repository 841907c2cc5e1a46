/*
 * ctlmsg.c: framing and the message codec of the AP <-> hub control channel
 * (docs/PROTOCOL.md). One table holds every message type with its senders,
 * its state flags and its decode/encode/clear functions, after OpenSSH
 * monitor.c's dispatch table; the daemons add their handlers on top.
 *
 * Every field is read through the bounded buffer API from a read-only view
 * of the frame. Counts are checked against both their limit and what the
 * remaining payload could hold before anything is allocated, so the memory
 * a peer can make us allocate is proportional to the bytes it has sent.
 * The encoder applies the decoder's rules, so we never send what a peer of
 * the same version would reject.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/ctlmsg.h"

/* Smallest wire size of a device and of a service, for count checks. */
#define DEVICE_WIRE_MIN (4 + 1 + 4 + 4 + 4)	/* name>=1, site, model, n */
#define SERVICE_WIRE_MIN (4 + 1 + 4 + 3)	/* name>=1, target>="h:1" */

/* Whether a string may be empty on the wire. */
#define STR_OPTIONAL 0
#define STR_REQUIRED 1

struct ctl_codec {
	struct ctl_type_info info;
	int (*dec)(struct rsg_buf *, struct ctl_msg *);
	int (*enc)(const struct ctl_msg *, struct rsg_buf *);
	void (*clear)(struct ctl_msg *);
};

/* ---- strings ---------------------------------------------------------- */

/* Reject control characters: names and reasons end up in logs and audit. */
static int
str_check(const uint8_t *p, size_t n, size_t max, int required)
{
	size_t i;

	if (n > max)
		return RSG_ERR_LIMIT;
	if (n == 0 && required)
		return RSG_ERR_FORMAT;
	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return RSG_ERR_FORMAT;
	return 0;
}

static int
get_str(struct rsg_buf *b, size_t max, int required, char **out)
{
	const uint8_t *p;
	size_t n;
	char *s;
	int r;

	if ((r = buf_get_string_direct(b, max, &p, &n)) != 0)
		return r;
	if ((r = str_check(p, n, max, required)) != 0)
		return r;
	if ((s = malloc(n + 1)) == NULL)
		return RSG_ERR_NOMEM;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	return 0;
}

static int
put_str(struct rsg_buf *b, const char *s, size_t max, int required)
{
	size_t n;
	int r;

	if (s == NULL)
		s = "";
	n = strnlen(s, max + 1);
	if ((r = str_check((const uint8_t *)s, n, max, required)) != 0)
		return r;
	return buf_put_string(b, s, n);
}

int
ctl_hostport_split(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon, *h, *he, *c;
	uint64_t v;
	size_t hl;
	int r;

	if (s == NULL || (colon = strrchr(s, ':')) == NULL)
		return RSG_ERR_FORMAT;
	if (s[0] == '[') {
		/* "[v6]:port": the bracket must close right before the colon. */
		if (colon == s || colon[-1] != ']')
			return RSG_ERR_FORMAT;
		h = s + 1;
		he = colon - 1;
		for (c = h; c < he; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' &&
			    *c <= 'f') || (*c >= 'A' && *c <= 'F') ||
			    *c == ':' || *c == '.'))
				return RSG_ERR_FORMAT;
	} else {
		h = s;
		he = colon;
		for (c = h; c < he; c++)
			if (!((*c >= '0' && *c <= '9') || (*c >= 'a' &&
			    *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			    *c == '.' || *c == '-' || *c == '_'))
				return RSG_ERR_FORMAT;
	}
	if (he <= h)
		return RSG_ERR_FORMAT;
	/* A leading zero or sign is not a canonical port. */
	if (colon[1] < '1' || colon[1] > '9')
		return RSG_ERR_FORMAT;
	if ((r = parse_u64(colon + 1, 1, 65535, &v)) != 0)
		return r;
	hl = (size_t)(he - h);
	if (hl >= hostlen)
		return RSG_ERR_LIMIT;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)v;
	return 0;
}

static int
check_hostport(const char *s)
{
	char host[CTL_NAME_MAX + 1];
	uint16_t port;

	return ctl_hostport_split(s, host, sizeof(host), &port) == 0 ?
	    0 : RSG_ERR_FORMAT;
}

static int
get_hostport(struct rsg_buf *b, char **out)
{
	char *s = NULL;
	int r;

	if ((r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &s)) != 0)
		return r;
	if ((r = check_hostport(s)) != 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int
put_hostport(struct rsg_buf *b, const char *s)
{
	int r;

	if ((r = put_str(b, s, CTL_NAME_MAX, STR_REQUIRED)) != 0)
		return r;
	return check_hostport(s);
}

/* ---- HELLO -------------------------------------------------------------- */

static void
device_clear(struct ctl_device *d)
{
	size_t i;

	for (i = 0; i < d->nservices; i++) {
		free(d->services[i].name);
		free(d->services[i].target);
	}
	free(d->services);
	free(d->name);
	free(d->site);
	free(d->model);
}

static void
hello_clear(struct ctl_msg *m)
{
	struct ctl_hello *h = &m->u.hello;
	size_t i;

	for (i = 0; i < h->ndevices; i++)
		device_clear(&h->devices[i]);
	free(h->devices);
	free(h->ap_name);
	free(h->version);
	free(h->site);
}

static int
device_dec(struct rsg_buf *b, struct ctl_device *d)
{
	uint32_t n;
	size_t i, j;
	int r;

	if ((r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &d->name)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_OPTIONAL, &d->site)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_OPTIONAL, &d->model)) != 0 ||
	    (r = buf_get_u32(b, &n)) != 0)
		return r;
	if (n > CTL_SERVICES_MAX)
		return RSG_ERR_LIMIT;
	if (n > buf_len(b) / SERVICE_WIRE_MIN)
		return RSG_ERR_FORMAT;
	if (n == 0)
		return 0;
	if ((d->services = calloc(n, sizeof(*d->services))) == NULL)
		return RSG_ERR_NOMEM;
	d->nservices = n;
	for (i = 0; i < n; i++) {
		if ((r = get_str(b, CTL_NAME_MAX, STR_REQUIRED,
		    &d->services[i].name)) != 0 ||
		    (r = get_hostport(b, &d->services[i].target)) != 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(d->services[j].name,
			    d->services[i].name) == 0)
				return RSG_ERR_FORMAT;
	}
	return 0;
}

static int
hello_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	struct ctl_hello *h = &m->u.hello;
	uint32_t n;
	size_t i, j;
	int r;

	if ((r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &h->ap_name)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &h->version)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &h->site)) != 0 ||
	    (r = buf_get_u32(b, &n)) != 0)
		return r;
	if (n > CTL_DEVICES_MAX)
		return RSG_ERR_LIMIT;
	if (n > buf_len(b) / DEVICE_WIRE_MIN)
		return RSG_ERR_FORMAT;
	if (n == 0)
		return 0;
	if ((h->devices = calloc(n, sizeof(*h->devices))) == NULL)
		return RSG_ERR_NOMEM;
	h->ndevices = n;
	for (i = 0; i < n; i++) {
		if ((r = device_dec(b, &h->devices[i])) != 0)
			return r;
		for (j = 0; j < i; j++)
			if (strcmp(h->devices[j].name,
			    h->devices[i].name) == 0)
				return RSG_ERR_FORMAT;
	}
	return 0;
}

static int
hello_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const struct ctl_hello *h = &m->u.hello;
	const struct ctl_device *d;
	size_t i, j, k;
	int r;

	if (h->ndevices > CTL_DEVICES_MAX ||
	    (h->ndevices > 0 && h->devices == NULL))
		return RSG_ERR_LIMIT;
	if ((r = put_str(b, h->ap_name, CTL_NAME_MAX, STR_REQUIRED)) != 0 ||
	    (r = put_str(b, h->version, CTL_NAME_MAX, STR_REQUIRED)) != 0 ||
	    (r = put_str(b, h->site, CTL_NAME_MAX, STR_REQUIRED)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)h->ndevices)) != 0)
		return r;
	for (i = 0; i < h->ndevices; i++) {
		d = &h->devices[i];
		if (d->nservices > CTL_SERVICES_MAX ||
		    (d->nservices > 0 && d->services == NULL))
			return RSG_ERR_LIMIT;
		for (k = 0; k < i; k++)
			if (d->name != NULL && h->devices[k].name != NULL &&
			    strcmp(d->name, h->devices[k].name) == 0)
				return RSG_ERR_FORMAT;
		if ((r = put_str(b, d->name, CTL_NAME_MAX,
		    STR_REQUIRED)) != 0 ||
		    (r = put_str(b, d->site, CTL_NAME_MAX,
		    STR_OPTIONAL)) != 0 ||
		    (r = put_str(b, d->model, CTL_NAME_MAX,
		    STR_OPTIONAL)) != 0 ||
		    (r = buf_put_u32(b, (uint32_t)d->nservices)) != 0)
			return r;
		for (j = 0; j < d->nservices; j++) {
			for (k = 0; k < j; k++)
				if (d->services[j].name != NULL &&
				    d->services[k].name != NULL &&
				    strcmp(d->services[j].name,
				    d->services[k].name) == 0)
					return RSG_ERR_FORMAT;
			if ((r = put_str(b, d->services[j].name, CTL_NAME_MAX,
			    STR_REQUIRED)) != 0 ||
			    (r = put_hostport(b, d->services[j].target)) != 0)
				return r;
		}
	}
	return 0;
}

/* ---- HELLO_ACK ---------------------------------------------------------- */

static void
hello_ack_clear(struct ctl_msg *m)
{
	free(m->u.hello_ack.hub_name);
}

static int
hello_ack_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	struct ctl_hello_ack *a = &m->u.hello_ack;
	int r;

	if ((r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &a->hub_name)) != 0 ||
	    (r = buf_get_u32(b, &a->heartbeat_s)) != 0)
		return r;
	if (a->heartbeat_s < CTL_HEARTBEAT_MIN ||
	    a->heartbeat_s > CTL_HEARTBEAT_MAX)
		return RSG_ERR_RANGE;
	return 0;
}

static int
hello_ack_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const struct ctl_hello_ack *a = &m->u.hello_ack;
	int r;

	if (a->heartbeat_s < CTL_HEARTBEAT_MIN ||
	    a->heartbeat_s > CTL_HEARTBEAT_MAX)
		return RSG_ERR_RANGE;
	if ((r = put_str(b, a->hub_name, CTL_NAME_MAX, STR_REQUIRED)) != 0)
		return r;
	return buf_put_u32(b, a->heartbeat_s);
}

/* ---- PING, PONG ---------------------------------------------------------- */

static void
nothing_clear(struct ctl_msg *m)
{
	(void)m;
}

static int
ping_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	return buf_get_u64(b, &m->u.ping.time_ms);
}

static int
ping_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	return buf_put_u64(b, m->u.ping.time_ms);
}

/* ---- ERROR --------------------------------------------------------------- */

static void
error_clear(struct ctl_msg *m)
{
	free(m->u.error.reason);
}

static int
error_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	struct ctl_error *e = &m->u.error;
	int r;

	if ((r = buf_get_u32(b, &e->code)) != 0)
		return r;
	if (e->code == 0)
		return RSG_ERR_FORMAT;
	return get_str(b, CTL_REASON_MAX, STR_OPTIONAL, &e->reason);
}

static int
error_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const struct ctl_error *e = &m->u.error;
	int r;

	if (e->code == 0)
		return RSG_ERR_FORMAT;
	if ((r = buf_put_u32(b, e->code)) != 0)
		return r;
	return put_str(b, e->reason, CTL_REASON_MAX, STR_OPTIONAL);
}

/* ---- STREAM_OPEN ------------------------------------------------------------ */

static void
stream_open_clear(struct ctl_msg *m)
{
	struct ctl_stream_open *o = &m->u.stream_open;

	mem_wipe(o->token, sizeof(o->token));
	free(o->relay);
	free(o->engineer_cn);
	free(o->device);
	free(o->service);
	free(o->ticket);
	free(o->source);
}

static int
stream_open_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	struct ctl_stream_open *o = &m->u.stream_open;
	int r;

	if ((r = buf_get(b, o->stream_id, sizeof(o->stream_id))) != 0 ||
	    (r = buf_get(b, o->token, sizeof(o->token))) != 0 ||
	    (r = get_hostport(b, &o->relay)) != 0 ||
	    (r = buf_get(b, o->engineer_fpr, sizeof(o->engineer_fpr))) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_REQUIRED,
	    &o->engineer_cn)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &o->device)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &o->service)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_OPTIONAL, &o->ticket)) != 0 ||
	    (r = get_str(b, CTL_NAME_MAX, STR_REQUIRED, &o->source)) != 0)
		return r;
	return 0;
}

static int
stream_open_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const struct ctl_stream_open *o = &m->u.stream_open;
	int r;

	if ((r = buf_put(b, o->stream_id, sizeof(o->stream_id))) != 0 ||
	    (r = buf_put(b, o->token, sizeof(o->token))) != 0 ||
	    (r = put_hostport(b, o->relay)) != 0 ||
	    (r = buf_put(b, o->engineer_fpr, sizeof(o->engineer_fpr))) != 0 ||
	    (r = put_str(b, o->engineer_cn, CTL_NAME_MAX,
	    STR_REQUIRED)) != 0 ||
	    (r = put_str(b, o->device, CTL_NAME_MAX, STR_REQUIRED)) != 0 ||
	    (r = put_str(b, o->service, CTL_NAME_MAX, STR_REQUIRED)) != 0 ||
	    (r = put_str(b, o->ticket, CTL_NAME_MAX, STR_OPTIONAL)) != 0 ||
	    (r = put_str(b, o->source, CTL_NAME_MAX, STR_REQUIRED)) != 0)
		return r;
	return 0;
}

/* ---- STREAM_OPEN_OK, STREAM_OPEN_ERR ----------------------------------------- */

static int
stream_open_ok_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	return buf_get(b, m->u.stream_open_ok.stream_id, CTL_STREAM_ID_LEN);
}

static int
stream_open_ok_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	return buf_put(b, m->u.stream_open_ok.stream_id, CTL_STREAM_ID_LEN);
}

static void
stream_open_err_clear(struct ctl_msg *m)
{
	free(m->u.stream_open_err.reason);
}

static int
stream_open_err_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	struct ctl_stream_open_err *e = &m->u.stream_open_err;
	int r;

	if ((r = buf_get(b, e->stream_id, sizeof(e->stream_id))) != 0 ||
	    (r = buf_get_u32(b, &e->code)) != 0)
		return r;
	if (e->code == 0)
		return RSG_ERR_FORMAT;
	return get_str(b, CTL_REASON_MAX, STR_OPTIONAL, &e->reason);
}

static int
stream_open_err_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const struct ctl_stream_open_err *e = &m->u.stream_open_err;
	int r;

	if (e->code == 0)
		return RSG_ERR_FORMAT;
	if ((r = buf_put(b, e->stream_id, sizeof(e->stream_id))) != 0 ||
	    (r = buf_put_u32(b, e->code)) != 0)
		return r;
	return put_str(b, e->reason, CTL_REASON_MAX, STR_OPTIONAL);
}

/* ---- STREAM_CLOSE -------------------------------------------------------- */

static void
stream_close_clear(struct ctl_msg *m)
{
	free(m->u.stream_close.reason);
}

static int
stream_close_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	struct ctl_stream_close *c = &m->u.stream_close;
	int r;

	if ((r = buf_get(b, c->stream_id, sizeof(c->stream_id))) != 0 ||
	    (r = get_str(b, CTL_REASON_MAX, STR_OPTIONAL, &c->reason)) != 0 ||
	    (r = buf_get_u64(b, &c->bytes_up)) != 0 ||
	    (r = buf_get_u64(b, &c->bytes_down)) != 0 ||
	    (r = buf_get_u64(b, &c->duration_ms)) != 0)
		return r;
	return 0;
}

static int
stream_close_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const struct ctl_stream_close *c = &m->u.stream_close;
	int r;

	if ((r = buf_put(b, c->stream_id, sizeof(c->stream_id))) != 0 ||
	    (r = put_str(b, c->reason, CTL_REASON_MAX, STR_OPTIONAL)) != 0 ||
	    (r = buf_put_u64(b, c->bytes_up)) != 0 ||
	    (r = buf_put_u64(b, c->bytes_down)) != 0 ||
	    (r = buf_put_u64(b, c->duration_ms)) != 0)
		return r;
	return 0;
}

/* ---- the JSON-bodied workflow messages -------------------------------------- */

static int
json_depth_ok(const json_t *v, int depth)
{
	const char *key;
	json_t *child;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (depth > CTL_JSON_DEPTH_MAX)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if (!json_depth_ok(child, depth + 1))
				return 0;
	} else {
		json_array_foreach(v, i, child)
			if (!json_depth_ok(child, depth + 1))
				return 0;
	}
	return 1;
}

static void
json_clear(struct ctl_msg *m)
{
	json_decref(m->u.json.body);
}

static int
json_dec(struct rsg_buf *b, struct ctl_msg *m)
{
	json_error_t jerr;
	size_t n = buf_len(b);
	json_t *v;
	int r;

	if (n == 0)
		return RSG_ERR_INCOMPLETE;
	/* jansson refuses NUL bytes and \u0000 unless told otherwise. */
	if ((v = json_loadb((const char *)buf_ptr(b), n,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return RSG_ERR_FORMAT;
	if (!json_is_object(v) || !json_depth_ok(v, 1)) {
		json_decref(v);
		return RSG_ERR_FORMAT;
	}
	if ((r = buf_consume(b, n)) != 0) {
		json_decref(v);
		return r;
	}
	m->u.json.body = v;
	return 0;
}

static int
json_enc(const struct ctl_msg *m, struct rsg_buf *b)
{
	const json_t *v = m->u.json.body;
	char *text;
	int r;

	if (!json_is_object(v) || !json_depth_ok(v, 1))
		return RSG_ERR_FORMAT;
	if ((text = json_dumps(v, JSON_COMPACT)) == NULL)
		return RSG_ERR_NOMEM;
	r = buf_put(b, text, strlen(text));
	free(text);
	return r;
}

/* ---- the table ------------------------------------------------------------ */

#define BOTH (CTL_ROLE_AP | CTL_ROLE_HUB)

static const struct ctl_codec ctl_codecs[] = {
	{ { CTL_HELLO, "HELLO", CTL_ROLE_AP, CTL_F_FIRST },
	    hello_dec, hello_enc, hello_clear },
	{ { CTL_HELLO_ACK, "HELLO_ACK", CTL_ROLE_HUB, CTL_F_FIRST },
	    hello_ack_dec, hello_ack_enc, hello_ack_clear },
	{ { CTL_PING, "PING", BOTH, 0 },
	    ping_dec, ping_enc, nothing_clear },
	{ { CTL_PONG, "PONG", BOTH, 0 },
	    ping_dec, ping_enc, nothing_clear },
	{ { CTL_ERROR, "ERROR", BOTH, CTL_F_ANYTIME },
	    error_dec, error_enc, error_clear },
	{ { CTL_STREAM_OPEN, "STREAM_OPEN", CTL_ROLE_HUB, 0 },
	    stream_open_dec, stream_open_enc, stream_open_clear },
	{ { CTL_STREAM_OPEN_OK, "STREAM_OPEN_OK", CTL_ROLE_AP, 0 },
	    stream_open_ok_dec, stream_open_ok_enc, nothing_clear },
	{ { CTL_STREAM_OPEN_ERR, "STREAM_OPEN_ERR", CTL_ROLE_AP, 0 },
	    stream_open_err_dec, stream_open_err_enc, stream_open_err_clear },
	{ { CTL_STREAM_CLOSE, "STREAM_CLOSE", BOTH, 0 },
	    stream_close_dec, stream_close_enc, stream_close_clear },
	{ { CTL_ALERT, "ALERT", CTL_ROLE_AP, 0 },
	    json_dec, json_enc, json_clear },
	{ { CTL_TICKET, "TICKET", CTL_ROLE_HUB, 0 },
	    json_dec, json_enc, json_clear },
	{ { CTL_DECISION, "DECISION", CTL_ROLE_AP, 0 },
	    json_dec, json_enc, json_clear },
	{ { CTL_COLLECT, "COLLECT", CTL_ROLE_HUB, 0 },
	    json_dec, json_enc, json_clear },
	{ { CTL_COLLECT_DATA, "COLLECT_DATA", CTL_ROLE_AP, 0 },
	    json_dec, json_enc, json_clear },
	{ { CTL_DOCUMENT, "DOCUMENT", CTL_ROLE_HUB, 0 },
	    json_dec, json_enc, json_clear },
	{ { CTL_ACK, "ACK", BOTH, 0 },
	    json_dec, json_enc, json_clear },
};

static const struct ctl_codec *
codec_lookup(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_codecs) / sizeof(ctl_codecs[0]); i++)
		if (ctl_codecs[i].info.type == type)
			return &ctl_codecs[i];
	return NULL;
}

const struct ctl_type_info *
ctl_type_lookup(uint16_t type)
{
	const struct ctl_codec *c = codec_lookup(type);

	return c != NULL ? &c->info : NULL;
}

const char *
ctl_type_name(uint16_t type)
{
	const struct ctl_codec *c = codec_lookup(type);

	return c != NULL ? c->info.name : "UNKNOWN";
}

int
ctl_type_allowed(uint16_t type, enum ctl_role sender, int hello_done)
{
	const struct ctl_codec *c = codec_lookup(type);

	if (c == NULL || (c->info.senders & (unsigned)sender) == 0)
		return RSG_ERR_FORMAT;
	if (c->info.flags & CTL_F_ANYTIME)
		return 0;
	if (c->info.flags & CTL_F_FIRST)
		return hello_done ? RSG_ERR_INVALID_ARG : 0;
	return hello_done ? 0 : RSG_ERR_INVALID_ARG;
}

const char *
ctl_errcode_name(uint32_t code)
{
	static const struct {
		uint32_t code;
		const char *name;
	} names[] = {
		{ CTL_E_PROTOCOL, "PROTOCOL" },
		{ CTL_E_LIMIT, "LIMIT" },
		{ CTL_E_VERSION, "VERSION" },
		{ CTL_E_UNKNOWN_TYPE, "UNKNOWN_TYPE" },
		{ CTL_E_UNEXPECTED, "UNEXPECTED" },
		{ CTL_E_INTERNAL, "INTERNAL" },
		{ CTL_E_SHUTDOWN, "SHUTDOWN" },
		{ CTL_E_UNKNOWN_DEVICE, "UNKNOWN_DEVICE" },
		{ CTL_E_UNKNOWN_SERVICE, "UNKNOWN_SERVICE" },
		{ CTL_E_DENIED, "DENIED" },
		{ CTL_E_DEVICE_UNREACHABLE, "DEVICE_UNREACHABLE" },
		{ CTL_E_RELAY, "RELAY" },
		{ CTL_E_BUSY, "BUSY" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "UNKNOWN";
}

/* ---- framing --------------------------------------------------------------- */

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

int
ctl_frame_parse(const void *vp, size_t len, size_t max, struct ctl_frame *f,
    size_t *used)
{
	const uint8_t *p = vp;
	uint32_t n;
	uint16_t type;

	if (max > CTL_FRAME_MAX)
		max = CTL_FRAME_MAX;
	/*
	 * Judge each header field as soon as it has arrived, so that a bad
	 * peer is refused before we wait for (or buffer) its frame body.
	 */
	if (len < 4)
		return RSG_ERR_INCOMPLETE;
	n = get_be32(p);
	if (n > max)
		return RSG_ERR_LIMIT;
	if (n < CTL_FRAME_HDR_LEN - 4)
		return RSG_ERR_FORMAT;
	if (len < 5)
		return RSG_ERR_INCOMPLETE;
	if (p[4] != CTL_PROTO_VERSION)
		return RSG_ERR_VERSION;
	if (len < 7)
		return RSG_ERR_INCOMPLETE;
	type = (uint16_t)((p[5] << 8) | p[6]);
	if (codec_lookup(type) == NULL)
		return RSG_ERR_FORMAT;
	if (len - 4 < n)
		return RSG_ERR_INCOMPLETE;
	f->version = p[4];
	f->type = type;
	f->id = get_be32(p + 7);
	f->payload = p + CTL_FRAME_HDR_LEN;
	f->payload_len = n - (CTL_FRAME_HDR_LEN - 4);
	*used = 4 + (size_t)n;
	return 0;
}

/* ---- messages -------------------------------------------------------------- */

void
ctl_msg_free(struct ctl_msg *m)
{
	const struct ctl_codec *c;

	if (m == NULL)
		return;
	if ((c = codec_lookup(m->type)) != NULL)
		c->clear(m);
	mem_wipe(m, sizeof(*m));
	free(m);
}

int
ctl_msg_decode(const struct ctl_frame *f, struct ctl_msg **mp)
{
	const struct ctl_codec *c;
	struct ctl_msg *m = NULL;
	struct rsg_buf b;
	int r;

	if (f->version != CTL_PROTO_VERSION)
		return RSG_ERR_VERSION;
	if ((c = codec_lookup(f->type)) == NULL)
		return RSG_ERR_FORMAT;
	if (f->payload_len > CTL_FRAME_MAX - (CTL_FRAME_HDR_LEN - 4))
		return RSG_ERR_LIMIT;
	/*
	 * A first message is held to the pre-hello cap even when it arrives
	 * later (where it is refused as unexpected anyway), so the decoder
	 * accepts exactly what the encoder produces.
	 */
	if ((c->info.flags & CTL_F_FIRST) &&
	    f->payload_len > CTL_FRAME_MAX_HELLO - (CTL_FRAME_HDR_LEN - 4))
		return RSG_ERR_LIMIT;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return RSG_ERR_NOMEM;
	m->type = f->type;
	m->id = f->id;
	buf_init_ro(&b, f->payload, f->payload_len);
	if ((r = c->dec(&b, m)) != 0)
		goto out;
	if ((r = buf_get_end(&b)) != 0)
		goto out;
	*mp = m;
	m = NULL;
 out:
	ctl_msg_free(m);
	return r;
}

int
ctl_msg_encode(const struct ctl_msg *m, struct rsg_buf *out)
{
	const struct ctl_codec *c;
	struct rsg_buf *tmp = NULL;
	size_t cap, n;
	uint8_t *p;
	int r;

	if ((c = codec_lookup(m->type)) == NULL)
		return RSG_ERR_FORMAT;
	/* The first message of either side must fit the receiver's hello cap. */
	cap = (c->info.flags & CTL_F_FIRST) ? CTL_FRAME_MAX_HELLO :
	    CTL_FRAME_MAX;
	if ((tmp = buf_new(4 + cap)) == NULL)
		return RSG_ERR_NOMEM;
	/* The length is patched in once the payload is known. */
	if ((r = buf_put_u32(tmp, 0)) != 0 ||
	    (r = buf_put_u8(tmp, CTL_PROTO_VERSION)) != 0 ||
	    (r = buf_put_u16(tmp, m->type)) != 0 ||
	    (r = buf_put_u32(tmp, m->id)) != 0 ||
	    (r = c->enc(m, tmp)) != 0)
		goto out;
	n = buf_len(tmp) - 4;
	if ((p = buf_mutable_ptr(tmp)) == NULL) {
		r = RSG_ERR_INTERNAL;
		goto out;
	}
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	r = buf_put(out, buf_ptr(tmp), buf_len(tmp));
 out:
	buf_free(tmp);	/* wipes: the frame may hold a pairing token */
	return r;
}

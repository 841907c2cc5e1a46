/*
 * grant.c: the access point's grant as a signed document (grant.h).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/grant.h"
#include "rsgate/pki.h"
#include "rsgate/store.h"
#include "rsgate/workflow.h"

int
grant_to_json(const struct grant *g, json_t **out)
{
	json_t *o = NULL, *caps = NULL;
	unsigned bit;
	int r = RSG_ERR_NOMEM;

	if ((caps = json_array()) == NULL)
		goto out;
	for (bit = 1; bit <= CAP_ALL; bit <<= 1) {
		if ((g->caps & bit) == 0)
			continue;
		if (capability_name((enum capability)bit) == NULL ||
		    json_array_append_new(caps, json_string(capability_name(
		    (enum capability)bit))) != 0)
			goto out;
	}
	if ((o = json_pack("{s:s,s:s,s:s,s:s,s:O,s:I,s:I,s:s,s:s,s:b,s:I,"
	    "s:I,s:I}", "ticket", g->ticket, "ap", g->ap, "device", g->device,
	    "engineer", g->engineer, "capabilities", caps, "not_before_ms",
	    (json_int_t)g->not_before_ms, "not_after_ms",
	    (json_int_t)g->not_after_ms, "purpose", g->purpose, "approver",
	    g->approver, "emergency", g->emergency, "issued_ms",
	    (json_int_t)g->issued_ms, "idle_timeout_s",
	    (json_int_t)g->idle_timeout_s, "sessions_per_device",
	    (json_int_t)g->sessions_per_device)) == NULL)
		goto out;
	*out = o;
	r = 0;
 out:
	json_decref(caps);
	return r;
}

static int
get_str(const json_t *o, const char *key, int empty_ok, char *out,
    size_t outlen)
{
	const json_t *v = json_object_get(o, key);
	const char *s;
	size_t i, n;

	if (!json_is_string(v))
		return RSG_ERR_FORMAT;
	s = json_string_value(v);
	n = json_string_length(v);
	if ((n == 0 && !empty_ok) || n >= outlen || strlen(s) != n)
		return RSG_ERR_FORMAT;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return RSG_ERR_FORMAT;
	memcpy(out, s, n + 1);
	return 0;
}

static int
get_int(const json_t *o, const char *key, int64_t min, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min)
		return RSG_ERR_FORMAT;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int
grant_from_json(const json_t *o, struct grant *g, const char **why)
{
	struct grant t;
	const json_t *caps, *c, *em;
	unsigned bit;
	size_t i;

	memset(&t, 0, sizeof(t));
	*why = "the grant is not an object";
	if (!json_is_object(o))
		return RSG_ERR_FORMAT;
	*why = "bad ticket, ap, device or engineer";
	if (get_str(o, "ticket", 0, t.ticket, sizeof(t.ticket)) != 0 ||
	    get_str(o, "ap", 0, t.ap, sizeof(t.ap)) != 0 ||
	    get_str(o, "device", 0, t.device, sizeof(t.device)) != 0 ||
	    get_str(o, "engineer", 0, t.engineer, sizeof(t.engineer)) != 0)
		return RSG_ERR_FORMAT;
	*why = "bad purpose or approver";
	if (get_str(o, "purpose", 1, t.purpose, sizeof(t.purpose)) != 0 ||
	    get_str(o, "approver", 0, t.approver, sizeof(t.approver)) != 0)
		return RSG_ERR_FORMAT;
	*why = "bad capabilities";
	caps = json_object_get(o, "capabilities");
	if (!json_is_array(caps) || json_array_size(caps) == 0)
		return RSG_ERR_FORMAT;
	json_array_foreach(caps, i, c) {
		if (!json_is_string(c) ||
		    capability_parse(json_string_value(c), &bit) != 0)
			return RSG_ERR_FORMAT;
		t.caps |= bit;
	}
	*why = "bad window, idle_timeout_s or sessions_per_device";
	if (get_int(o, "not_before_ms", 0, &t.not_before_ms) != 0 ||
	    get_int(o, "not_after_ms", 0, &t.not_after_ms) != 0 ||
	    get_int(o, "issued_ms", 0, &t.issued_ms) != 0 ||
	    get_int(o, "idle_timeout_s", 1, &t.idle_timeout_s) != 0 ||
	    get_int(o, "sessions_per_device", 1,
	    &t.sessions_per_device) != 0 ||
	    t.not_after_ms <= t.not_before_ms)
		return RSG_ERR_FORMAT;
	*why = "bad emergency flag";
	if (!json_is_boolean(em = json_object_get(o, "emergency")))
		return RSG_ERR_FORMAT;
	t.emergency = json_is_true(em);
	*why = NULL;
	*g = t;
	return 0;
}

int
grant_sign(const struct grant *g, struct evp_pkey_st *key,
    const struct x509_st *cert, struct rsg_buf **out)
{
	json_t *o = NULL;
	int r;

	if ((r = grant_to_json(g, &o)) != 0)
		return r;
	r = signed_doc_create(SIGNED_KIND_GRANT, o, key, cert, out);
	json_decref(o);
	return r;
}

int
grant_verify(const void *doc, size_t len, const struct pki_trust *trust,
    const char *ap, int64_t now, struct grant *g, char *err, size_t errlen)
{
	json_t *payload = NULL;
	struct grant t;
	const char *why = NULL;
	char cn[4 * 64 + 1];
	int r;

	if ((r = signed_doc_verify(doc, len, SIGNED_KIND_GRANT, trust,
	    PKI_ROLE_AP, now, &payload, cn, sizeof(cn), NULL, err,
	    errlen)) != 0)
		return r;
	if ((r = grant_from_json(payload, &t, &why)) != 0) {
		snprintf(err, errlen, "grant payload: %s", why);
		goto out;
	}
	if (strcmp(cn, ap) != 0 || strcmp(t.ap, ap) != 0) {
		snprintf(err, errlen, "grant signed by \"%s\" for \"%s\", not "
		    "by the access point \"%s\" that serves the device", cn,
		    t.ap, ap);
		r = RSG_ERR_VERIFY;
		goto out;
	}
	*g = t;
	r = 0;
 out:
	json_decref(payload);
	return r;
}

json_t *
capabilities_json(unsigned mask)
{
	json_t *a = json_array();
	unsigned bit;

	for (bit = 1; a != NULL && bit <= CAP_ALL; bit <<= 1) {
		if ((mask & bit) == 0 ||
		    capability_name((enum capability)bit) == NULL)
			continue;
		if (json_array_append_new(a, json_string(capability_name(
		    (enum capability)bit))) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *
time_json(int64_t ms)
{
	char s[40];

	if (ms <= 0 || time_format_rfc3339(ms, s, sizeof(s)) == NULL)
		return json_string("");
	return json_string(s);
}

static int
history_cb(const struct store_ticket_step *st, void *arg)
{
	char when[40];

	if (time_format_rfc3339(st->time_ms, when, sizeof(when)) == NULL)
		when[0] = '\0';
	return json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:s,"
	    "s:s,s:s}", "time", when, "event", st->event, "actor", st->actor,
	    "who", st->who, "from", st->from_state, "to", st->to_state,
	    "detail", st->detail != NULL ? st->detail : "")) != 0 ?
	    RSG_ERR_NOMEM : 0;
}

void
ticket_history_json(struct store *s, const char *id, json_t *o)
{
	json_t *h;

	if ((h = json_array()) != NULL &&
	    store_ticket_history_foreach(s, id, history_cb, h) == 0)
		json_object_set_new(o, "history", h);
	else
		json_decref(h);
}

int
ticket_row_json(const struct store_ticket *t, json_t **out)
{
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:s,s:s,s:s,s:b,"
	    "s:o,s:o,s:o,s:o,s:I,s:I}",
	    "id", t->id != NULL ? t->id : "",
	    "state", t->state != NULL ? t->state : "",
	    "ap", t->ap != NULL ? t->ap : "",
	    "device", t->device != NULL ? t->device : "",
	    "engineer", t->engineer != NULL ? t->engineer : "",
	    "capabilities_requested", capabilities_json(t->caps_requested),
	    "capabilities_granted", capabilities_json(t->caps_granted),
	    "duration_s", (json_int_t)t->duration_s,
	    "reason", t->reason != NULL ? t->reason : "",
	    "purpose", t->purpose != NULL ? t->purpose : "",
	    "approver", t->approver != NULL ? t->approver : "",
	    "emergency", t->emergency,
	    "not_before", time_json(t->not_before_ms),
	    "not_after", time_json(t->not_after_ms),
	    "created", time_json(t->created_ms),
	    "updated", time_json(t->updated_ms),
	    "not_before_ms", (json_int_t)t->not_before_ms,
	    "not_after_ms", (json_int_t)t->not_after_ms);
	if (o == NULL)
		return RSG_ERR_NOMEM;
	if (json_object_set_new(o, "grant", t->grant_doc != NULL &&
	    t->grant_doc[0] != '\0' ? json_string(t->grant_doc) :
	    json_null()) != 0) {
		json_decref(o);
		return RSG_ERR_NOMEM;
	}
	*out = o;
	return 0;
}

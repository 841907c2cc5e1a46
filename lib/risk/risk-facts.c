/*
 * risk-facts.c: the fact set the risk engine evaluates against (name ->
 * value; absent means unknown), and where facts come from: constants in
 * the code for what the code guarantees, the hub's and the AP's
 * configuration for what an operator chose, and JSON (a daemon's
 * GET /v1/facts, or --facts for what-if analysis). Values are canonical
 * text: "true"/"false", decimal integers (durations in seconds), enum
 * words and dotted versions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/audit.h"
#include "rsgate/config.h"
#include "rsgate/policy.h"
#include "rsgate/risk.h"
#include "rsgate/tls.h"
#include "risk-int.h"

extern const struct config_table hub_config_table;
extern const struct config_table ap_config_table;

struct fact {
	char *name, *value;
};

struct risk_facts {
	struct fact *v;		/* sorted by name */
	size_t n;
};

int
risk_facts_new(struct risk_facts **out)
{
	struct risk_facts *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return RSG_ERR_NOMEM;
	*out = f;
	return 0;
}

void
risk_facts_free(struct risk_facts *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	free(f);
}

/* Index of name, or where it would go (*found 0). */
static size_t
find(const struct risk_facts *f, const char *name, int *found)
{
	size_t lo = 0, hi = f->n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((d = strcmp(f->v[mid].name, name)) == 0) {
			*found = 1;
			return mid;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static int
value_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > RISK_FACT_VALUE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int
risk_facts_set(struct risk_facts *f, const char *name, const char *value)
{
	struct fact *nv;
	char *n = NULL, *v = NULL;
	size_t i;
	int found;

	if (!name_ok(name) || (value != NULL && !value_ok(value)))
		return RSG_ERR_INVALID_ARG;
	i = find(f, name, &found);
	if (value == NULL) {
		if (found) {
			free(f->v[i].name);
			free(f->v[i].value);
			memmove(&f->v[i], &f->v[i + 1],
			    (f->n - i - 1) * sizeof(*f->v));
			f->n--;
		}
		return 0;
	}
	if ((v = strdup(value)) == NULL)
		return RSG_ERR_NOMEM;
	if (found) {
		free(f->v[i].value);
		f->v[i].value = v;
		return 0;
	}
	if (f->n >= RISK_FACTS_MAX) {
		free(v);
		return RSG_ERR_LIMIT;
	}
	if ((n = strdup(name)) == NULL ||
	    (nv = realloc(f->v, (f->n + 1) * sizeof(*nv))) == NULL) {
		free(n);
		free(v);
		return RSG_ERR_NOMEM;
	}
	f->v = nv;
	memmove(&f->v[i + 1], &f->v[i], (f->n - i) * sizeof(*f->v));
	f->v[i].name = n;
	f->v[i].value = v;
	f->n++;
	return 0;
}

const char *
risk_facts_get(const struct risk_facts *f, const char *name)
{
	size_t i;
	int found;

	if (f == NULL)
		return NULL;
	i = find(f, name, &found);
	return found ? f->v[i].value : NULL;
}

size_t
risk_facts_count(const struct risk_facts *f)
{
	return f->n;
}

int
risk_facts_merge(struct risk_facts *dst, const struct risk_facts *src)
{
	size_t i;
	int r;

	for (i = 0; i < src->n; i++)
		if ((r = risk_facts_set(dst, src->v[i].name,
		    src->v[i].value)) != 0)
			return r;
	return 0;
}

static int
set_bool(struct risk_facts *f, const char *name, int v)
{
	return risk_facts_set(f, name, v ? "true" : "false");
}

static int
set_int(struct risk_facts *f, const char *name, int64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return risk_facts_set(f, name, s);
}

int
risk_facts_add_code(struct risk_facts *f)
{
	struct audit_opts o;
	char ver[16];
	int r;

	audit_opts_default(&o);
	/* 0x0304 is TLS 1.3: the minor number is one above the low byte. */
	snprintf(ver, sizeof(ver), "%d.%d", (TLS_PROTO_VERSION >> 8) - 2,
	    (TLS_PROTO_VERSION & 0xff) - 1);
	if ((r = risk_facts_set(f, "tls.min_version", ver)) != 0 ||
	    (r = set_bool(f, "tls.mutual_auth", TLS_PEER_CERT_REQUIRED)) != 0 ||
	    (r = set_bool(f, "audit.hash_chain", AUDIT_HASH_LEN >= 32)) != 0 ||
	    (r = set_bool(f, "audit.signed_checkpoints", 1)) != 0 ||
	    (r = set_int(f, "audit.checkpoint_secs", o.checkpoint_secs)) != 0 ||
	    (r = set_int(f, "audit.checkpoint_records",
	    o.checkpoint_records)) != 0)
		return r;
	return 0;
}

/* Whether table t has key: keys another branch adds are unknown until then. */
static int
has_key(const struct config_table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n_options; i++)
		if (strcmp(t->options[i].key, key) == 0)
			return 1;
	return 0;
}

/* fact <- duration/int key (seconds), if the key exists. */
static int
bind_int(struct risk_facts *f, const struct config_table *t,
    const struct config *c, const char *fact, const char *key)
{
	if (!has_key(t, key) || config_get_string(c, key) == NULL)
		return 0;
	return set_int(f, fact, config_get_int(c, key));
}

static int
bind_bool(struct risk_facts *f, const struct config_table *t,
    const struct config *c, const char *fact, const char *key)
{
	if (!has_key(t, key) || config_get_string(c, key) == NULL)
		return 0;
	return set_bool(f, fact, config_get_bool(c, key));
}

/* fact <- whether an optional key is set, if the key exists. */
static int
bind_set(struct risk_facts *f, const struct config_table *t,
    const struct config *c, const char *fact, const char *key)
{
	if (!has_key(t, key))
		return 0;
	return set_bool(f, fact, config_get_string(c, key) != NULL);
}

int
risk_facts_add_hub(struct risk_facts *f, const struct config *hub)
{
	const struct config_table *t = &hub_config_table;
	int r;

	if ((r = set_bool(f, "remote.enabled", 1)) != 0 ||
	    /* Engineers are admitted one by one, each by a personal certificate. */
	    (r = set_bool(f, "auth.personal_accounts",
	    config_get_count(hub, "engineer") > 0)) != 0 ||
	    (r = set_bool(f, "hub.crl", config_get_string(hub, "crl") !=
	    NULL)) != 0 ||
	    (r = set_bool(f, "audit.enabled", config_get_string(hub,
	    "audit_db") != NULL)) != 0 ||
	    (r = bind_bool(f, t, hub, "auth.mfa_required",
	    "engineer_second_factor")) != 0 ||
	    (r = bind_int(f, t, hub, "evidence.retention_secs",
	    "evidence_retention")) != 0 ||
	    (r = bind_set(f, t, hub, "evidence.encrypted", "master_key")) != 0 ||
	    (r = bind_set(f, t, hub, "notify.email", "smtp_url")) != 0)
		return r;
	return 0;
}

/* Whether the AP's group and allow lines form a valid standing policy. */
static int
policy_valid(const struct config *ap, int *valid)
{
	struct policy *p = NULL;
	char err[256];
	size_t i, n;
	int r, ok = 1;

	if ((r = policy_new(&p)) != 0)
		return r;
	n = config_get_count(ap, "group");
	for (i = 0; ok && i < n; i++)
		if (policy_add_group(p, config_get_nth(ap, "group", i), err,
		    sizeof(err)) != 0)
			ok = 0;
	n = config_get_count(ap, "allow");
	for (i = 0; ok && i < n; i++)
		if (policy_add_rule(p, config_get_nth(ap, "allow", i), err,
		    sizeof(err)) != 0)
			ok = 0;
	policy_free(p);
	*valid = ok;
	return 0;
}

int
risk_facts_add_ap(struct risk_facts *f, const struct config *ap)
{
	const struct config_table *t = &ap_config_table;
	const char *mode;
	size_t allows = config_get_count(ap, "allow");
	int r, valid;

	if ((r = policy_valid(ap, &valid)) != 0 ||
	    (r = set_int(f, "policy.standing_rules", (int64_t)allows)) != 0 ||
	    (r = set_bool(f, "policy.valid", valid)) != 0 ||
	    (r = set_bool(f, "ap.crl", config_get_string(ap, "crl") !=
	    NULL)) != 0 ||
	    (r = set_int(f, "ap.max_streams", config_get_int(ap,
	    "max_streams"))) != 0 ||
	    (r = bind_bool(f, t, ap, "session.emergency_access",
	    "emergency_access")) != 0 ||
	    (r = bind_int(f, t, ap, "session.idle_timeout_secs",
	    "idle_timeout")) != 0 ||
	    (r = bind_int(f, t, ap, "session.max_secs", "max_session")) != 0 ||
	    (r = bind_int(f, t, ap, "session.per_device",
	    "sessions_per_device")) != 0 ||
	    (r = bind_int(f, t, ap, "tls.resumption_secs",
	    "stream_resumption")) != 0 ||
	    (r = bind_set(f, t, ap, "alert.enabled", "alert_listen")) != 0 ||
	    (r = bind_set(f, t, ap, "ap.admin_socket", "admin_socket")) != 0)
		return r;
	/* The alert field allow-list is fixed in the code that adds alerts. */
	if (has_key(t, "alert_listen") &&
	    (r = set_bool(f, "alert.fixed_fields", 1)) != 0)
		return r;
	if (has_key(t, "approval") &&
	    (mode = config_get_string(ap, "approval")) != NULL) {
		if (strcmp(mode, "none") == 0)
			mode = "none";
		else if (allows > 0)
			mode = "standing";
		else
			mode = "per_session";
		if ((r = risk_facts_set(f, "session.approval", mode)) != 0)
			return r;
	}
	return 0;
}

int
risk_facts_from_json(struct risk_facts *f, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct risk_facts *tmp = NULL;
	json_error_t je;
	json_t *root, *v, *obj;
	const char *k;
	char num[32];
	const char *s;
	size_t i;
	int r = RSG_ERR_FORMAT;

	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		snprintf(err, errlen, "line %d: %s", je.line, je.text);
		return RSG_ERR_FORMAT;
	}
	/* A bare object, or {"facts": {...}} as an evaluation record has. */
	obj = json_is_object(json_object_get(root, "facts")) ?
	    json_object_get(root, "facts") : root;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "facts: not a JSON object");
		goto out;
	}
	/* Into a scratch set first: f changes only if all of it is good. */
	if ((r = risk_facts_new(&tmp)) != 0)
		goto out;
	r = RSG_ERR_FORMAT;
	json_object_foreach(obj, k, v) {
		s = NULL;
		if (json_is_true(v))
			s = "true";
		else if (json_is_false(v))
			s = "false";
		else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
			s = num;
		} else if (json_is_string(v))
			s = json_string_value(v);
		else if (!json_is_null(v)) {
			snprintf(err, errlen, "fact '%.100s': not a boolean, "
			    "integer or string", k);
			goto out;
		}
		/* Unknown: kept as "unknown" here, removed from f below. */
		if (s == NULL)
			s = "unknown";
		if ((r = risk_facts_set(tmp, k, s)) != 0) {
			snprintf(err, errlen, "fact '%.100s': %s", k,
			    r == RSG_ERR_INVALID_ARG ? "bad name or value" :
			    rsg_strerror(r));
			if (r == RSG_ERR_INVALID_ARG)
				r = RSG_ERR_FORMAT;
			goto out;
		}
	}
	for (i = 0; i < tmp->n; i++) {
		s = tmp->v[i].value;
		if ((r = risk_facts_set(f, tmp->v[i].name,
		    strcmp(s, "unknown") == 0 ? NULL : s)) != 0)
			goto out;
	}
	r = 0;
 out:
	risk_facts_free(tmp);
	json_decref(root);
	return r;
}

/* A value as JSON: booleans and plain integers typed, the rest strings. */
static int
put_value(struct rsg_buf *b, const char *v)
{
	size_t n = strlen(v);

	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
	    (n > 0 && n <= 15 && strspn(v, "0123456789") == n &&
	    (v[0] != '0' || n == 1)))
		return buf_putf(b, "%s", v);
	return risk_put_json(b, v);
}

int
risk_facts_to_json(const struct risk_facts *f, struct rsg_buf *out)
{
	size_t i;
	int r;

	if ((r = buf_putf(out, "{")) != 0)
		return r;
	for (i = 0; i < f->n; i++) {
		if ((r = buf_putf(out, "%s\n  ", i > 0 ? "," : "")) != 0 ||
		    (r = risk_put_json(out, f->v[i].name)) != 0 ||
		    (r = buf_putf(out, ": ")) != 0 ||
		    (r = put_value(out, f->v[i].value)) != 0)
			return r;
	}
	return buf_putf(out, "\n}\n");
}

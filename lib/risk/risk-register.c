/*
 * risk-register.c: loading the risk register (docs/RISK.md) from YAML and
 * validating it strictly: unknown keys, values outside the scales,
 * undefined ids, duplicates, predicates over unknown facts or of the wrong
 * type, Annex A ids missing from their catalogue and treatments without
 * what R65 requires are all errors reported as "FILE:LINE: reason".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "rsgate/risk.h"
#include "risk-int.h"
#include "risk-yaml.h"

struct lctx {
	const char *name;
	char *err;
	size_t errlen;
	struct risk_register *r;
};

static const char *const parties[] = { "hcf", "provider", "isp", "shared",
	NULL };

static int RSG_PRINTF(3, 4)
fail(struct lctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[RISK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%zu: %s", c->name,
	    n != NULL ? n->line : (size_t)1, msg);
	return RSG_ERR_FORMAT;
}

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* n must be a mapping whose keys are all in allowed, none repeated. */
static int
check_map(struct lctx *c, const struct ynode *n, const char *what,
    const char *const *allowed)
{
	size_t i, j;

	if (n->type != YN_MAP)
		return fail(c, n, "%s: expected a mapping", what);
	for (i = 0; i < n->n; i += 2) {
		if (!in_list(n->kids[i]->val, allowed))
			return fail(c, n->kids[i], "%s: unknown key '%.60s'",
			    what, n->kids[i]->val);
		for (j = 0; j < i; j += 2)
			if (strcmp(n->kids[i]->val, n->kids[j]->val) == 0)
				return fail(c, n->kids[i], "%s: key '%.60s' "
				    "given twice", what, n->kids[i]->val);
	}
	return 0;
}

static const struct ynode *
get(const struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->val, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

/* A scalar value of key: required (or optional: *out stays NULL). */
static int
get_str(struct lctx *c, const struct ynode *m, const char *what,
    const char *key, int required, char **out)
{
	const struct ynode *v = get(m, key);

	if (v == NULL) {
		if (required)
			return fail(c, m, "%s: missing '%s'", what, key);
		return 0;
	}
	if (v->type != YN_SCALAR || v->val[0] == '\0')
		return fail(c, v, "%s: '%s' must be a non-empty value", what,
		    key);
	if (strlen(v->val) > 4096)
		return fail(c, v, "%s: '%s' is too long", what, key);
	if ((*out = strdup(v->val)) == NULL)
		return RSG_ERR_NOMEM;
	return 0;
}

static int
node_int(struct lctx *c, const struct ynode *v, const char *what,
    const char *key, int min, int max, int *out)
{
	int64_t x;

	if (v->type != YN_SCALAR || parse_i64(v->val, min, max, &x) != 0)
		return fail(c, v, "%s: '%s' must be an integer in %d..%d",
		    what, key, min, max);
	*out = (int)x;
	return 0;
}

static int
get_int(struct lctx *c, const struct ynode *m, const char *what,
    const char *key, int required, int min, int max, int *out)
{
	const struct ynode *v = get(m, key);

	if (v == NULL) {
		if (required)
			return fail(c, m, "%s: missing '%s'", what, key);
		return 0;
	}
	return node_int(c, v, what, key, min, max, out);
}

static int
get_bool(struct lctx *c, const struct ynode *m, const char *what,
    const char *key, int *out)
{
	const struct ynode *v = get(m, key);

	if (v == NULL)
		return fail(c, m, "%s: missing '%s'", what, key);
	if (v->type == YN_SCALAR && strcmp(v->val, "true") == 0)
		*out = 1;
	else if (v->type == YN_SCALAR && strcmp(v->val, "false") == 0)
		*out = 0;
	else
		return fail(c, v, "%s: '%s' must be true or false", what, key);
	return 0;
}

static int
get_enum(struct lctx *c, const struct ynode *m, const char *what,
    const char *key, const char *const *choices, char **out)
{
	const struct ynode *v = get(m, key);
	int rc;

	if ((rc = get_str(c, m, what, key, 1, out)) != 0)
		return rc;
	if (!in_list(*out, choices)) {
		rc = fail(c, v, "%s: '%s' has an unknown value '%.60s'",
		    what, key, *out);
		free(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

static int
seq_of(struct lctx *c, const struct ynode *top, const char *key,
    int required, const struct ynode **out)
{
	const struct ynode *v = get(top, key);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return fail(c, top, "missing section '%s'", key);
		return 0;
	}
	if (v->type != YN_SEQ)
		return fail(c, v, "'%s' must be a list", key);
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int
risk_date_end(const char *s, int64_t *out)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
		31, 30, 31 };
	char part[5];
	uint64_t y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return RSG_ERR_FORMAT;
	memcpy(part, s, 4);
	part[4] = '\0';
	if (parse_u64(part, 1970, 9999, &y) != 0)
		return RSG_ERR_FORMAT;
	memcpy(part, s + 5, 2);
	part[2] = '\0';
	if (parse_u64(part, 1, 12, &m) != 0)
		return RSG_ERR_FORMAT;
	memcpy(part, s + 8, 2);
	if (parse_u64(part, 1, mdays[m - 1], &d) != 0)
		return RSG_ERR_FORMAT;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) ||
	    y % 400 == 0))
		return RSG_ERR_FORMAT;
	/* The end of that day: valid through the date written. */
	*out = (days_from_civil((int64_t)y, (unsigned)m, (unsigned)d) + 1) *
	    86400;
	return 0;
}

static int
get_date(struct lctx *c, const struct ynode *m, const char *what,
    const char *key, char **out, int64_t *end)
{
	int64_t e;
	int r;

	if ((r = get_str(c, m, what, key, 1, out)) != 0)
		return r;
	if (risk_date_end(*out, &e) != 0)
		return fail(c, get(m, key), "%s: '%s' must be a date "
		    "YYYY-MM-DD", what, key);
	if (end != NULL)
		*end = e;
	return 0;
}

/* A predicate: a string, or {all: [..]}, {any: [..]}, {not: P}. */
static int
load_pred(struct lctx *c, const struct ynode *n, int depth,
    struct risk_pred **out)
{
	static const char *const keys[] = { "all", "any", "not", NULL };
	struct risk_pred *p = NULL, *k = NULL;
	const struct ynode *v;
	char perr[256];
	size_t i;
	int r;

	if (depth > RISK_DEPTH_MAX)
		return fail(c, n, "predicate nested too deeply");
	if (n->type == YN_SCALAR) {
		if ((r = risk_pred_parse(n->val, &p, perr, sizeof(perr))) != 0)
			return r == RSG_ERR_NOMEM ? r : fail(c, n, "%s", perr);
		if ((r = risk_pred_check(p, c->r, perr, sizeof(perr))) != 0) {
			risk_pred_free(p);
			return fail(c, n, "%s", perr);
		}
		*out = p;
		return 0;
	}
	if ((r = check_map(c, n, "predicate", keys)) != 0)
		return r;
	if (n->n != 2)
		return fail(c, n, "predicate: exactly one of all, any, not");
	v = n->kids[1];
	if (strcmp(n->kids[0]->val, "not") == 0) {
		if ((r = load_pred(c, v, depth + 1, &k)) != 0)
			return r;
		if ((p = risk_pred_node(PRED_NOT)) == NULL ||
		    (r = risk_pred_add_kid(p, k)) != 0) {
			risk_pred_free(k);
			risk_pred_free(p);
			return RSG_ERR_NOMEM;
		}
		*out = p;
		return 0;
	}
	if (v->type != YN_SEQ || v->n == 0)
		return fail(c, v, "predicate: '%s' needs a non-empty list",
		    n->kids[0]->val);
	if ((p = risk_pred_node(strcmp(n->kids[0]->val, "all") == 0 ?
	    PRED_ALL : PRED_ANY)) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < v->n; i++) {
		if ((r = load_pred(c, v->kids[i], depth + 1, &k)) != 0)
			goto fail;
		if ((r = risk_pred_add_kid(p, k)) != 0) {
			risk_pred_free(k);
			if (r == RSG_ERR_LIMIT)
				r = fail(c, v, "predicate has too many parts");
			goto fail;
		}
	}
	*out = p;
	return 0;
 fail:
	risk_pred_free(p);
	return r;
}

static int
load_method(struct lctx *c, const struct ynode *top)
{
	static const char *const mkeys[] = { "scales", "formula", "cia_rule",
		"levels", "accept_max", NULL };
	static const char *const skeys[] = { "asset", "threat", "vuln", NULL };
	static const char *const sckeys[] = { "min", "max", "labels", NULL };
	static const char *const lkeys[] = { "upto", "name", "colour", NULL };
	static const char *const formulas[] = { "product", NULL };
	static const char *const rules[] = { "max", "per_property", NULL };
	const struct ynode *m = get(top, "method"), *s, *sc, *lv;
	struct risk_register *r = c->r;
	char *tmp = NULL;
	size_t i;
	int rc, prev = 0;

	if (m == NULL)
		return fail(c, top, "missing section 'method'");
	if ((rc = check_map(c, m, "method", mkeys)) != 0)
		return rc;
	if ((s = get(m, "scales")) == NULL)
		return fail(c, m, "method: missing 'scales'");
	if ((rc = check_map(c, s, "scales", skeys)) != 0)
		return rc;
	for (i = 0; i < 3; i++) {
		if ((sc = get(s, skeys[i])) == NULL)
			return fail(c, s, "scales: missing '%s'", skeys[i]);
		if ((rc = check_map(c, sc, skeys[i], sckeys)) != 0 ||
		    (rc = get_int(c, sc, skeys[i], "min", 1, 1, 5,
		    &r->smin[i])) != 0 ||
		    (rc = get_int(c, sc, skeys[i], "max", 1, 1, 5,
		    &r->smax[i])) != 0)
			return rc;
		if (r->smin[i] > r->smax[i])
			return fail(c, sc, "%s: min above max", skeys[i]);
		if ((lv = get(sc, "labels")) != NULL && lv->type != YN_MAP)
			return fail(c, lv, "%s: labels must be a mapping",
			    skeys[i]);
	}
	if ((rc = get_enum(c, m, "method", "formula", formulas, &tmp)) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	if ((rc = get_enum(c, m, "method", "cia_rule", rules, &tmp)) != 0)
		goto out;
	r->per_property = strcmp(tmp, "per_property") == 0;
	if ((rc = get_int(c, m, "method", "accept_max", 1, 1, 125,
	    &r->accept_max)) != 0)
		goto out;
	if ((lv = get(m, "levels")) == NULL || lv->type != YN_SEQ ||
	    lv->n == 0) {
		rc = fail(c, lv != NULL ? lv : m, "method: 'levels' must be a "
		    "non-empty list");
		goto out;
	}
	if ((r->levels = calloc(lv->n, sizeof(*r->levels))) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < lv->n; i++) {
		struct risk_level *l = &r->levels[r->n_levels++];

		if ((rc = check_map(c, lv->kids[i], "level", lkeys)) != 0 ||
		    (rc = get_int(c, lv->kids[i], "level", "upto", 1, 1, 125,
		    &l->upto)) != 0 ||
		    (rc = get_str(c, lv->kids[i], "level", "name", 1,
		    &l->name)) != 0 ||
		    (rc = get_str(c, lv->kids[i], "level", "colour", 0,
		    &l->colour)) != 0)
			goto out;
		if (l->upto <= prev) {
			rc = fail(c, lv->kids[i], "level: 'upto' must rise");
			goto out;
		}
		prev = l->upto;
	}
	if (prev < r->smax[0] * r->smax[1] * r->smax[2]) {
		rc = fail(c, lv, "levels do not reach the highest risk %d",
		    r->smax[0] * r->smax[1] * r->smax[2]);
		goto out;
	}
 out:
	free(tmp);
	return rc;
}

static int
load_facts(struct lctx *c, const struct ynode *top)
{
	static const char *const keys[] = { "name", "type", "enum", "source",
		"doc", NULL };
	static const char *const types[] = { "bool", "int", "enum", "version",
		NULL };
	static const char *const sources[] = { "runtime", "file", "code",
		"attest", NULL };
	const struct ynode *s, *e;
	struct risk_register *r = c->r;
	char *type = NULL;
	size_t i, j;
	int rc;

	if ((rc = seq_of(c, top, "facts", 1, &s)) != 0)
		return rc;
	if ((r->facts = calloc(s->n + 1, sizeof(*r->facts))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		const struct ynode *n = s->kids[i];
		struct risk_fact_def *d = &r->facts[i];

		if ((rc = check_map(c, n, "fact", keys)) != 0 ||
		    (rc = get_str(c, n, "fact", "name", 1, &d->name)) != 0)
			return rc;
		r->n_facts = i + 1;
		if (risk_fact_find(r, d->name) != d)
			return fail(c, n, "fact '%.60s' defined twice", d->name);
		if ((rc = get_enum(c, n, "fact", "type", types, &type)) != 0)
			return rc;
		for (j = 0; types[j] != NULL; j++)
			if (strcmp(type, types[j]) == 0)
				d->type = (enum fact_type)j;
		free(type);
		type = NULL;
		if ((rc = get_str(c, n, "fact", "doc", 0, &d->doc)) != 0)
			return rc;
		if (get(n, "source") != NULL && (rc = get_enum(c, n, "fact",
		    "source", sources, &d->source)) != 0)
			return rc;
		e = get(n, "enum");
		if ((e != NULL) != (d->type == FACT_ENUM))
			return fail(c, n, "fact '%.60s': 'enum' goes with "
			    "type enum, and only there", d->name);
		if (e == NULL)
			continue;
		if (e->type != YN_SEQ || e->n == 0)
			return fail(c, e, "fact: 'enum' must be a non-empty "
			    "list");
		if ((d->enums = calloc(e->n, sizeof(char *))) == NULL)
			return RSG_ERR_NOMEM;
		for (j = 0; j < e->n; j++) {
			if (e->kids[j]->type != YN_SCALAR)
				return fail(c, e->kids[j], "fact: enum values "
				    "must be plain values");
			if ((d->enums[j] = strdup(e->kids[j]->val)) == NULL)
				return RSG_ERR_NOMEM;
			d->n_enums = j + 1;
		}
	}
	return 0;
}

static int
load_sites_assets(struct lctx *c, const struct ynode *top)
{
	static const char *const skeys[] = { "id", "name", "party", NULL };
	static const char *const akeys[] = { "number", "site", "name",
		"owner", "c", "i", "a", "phi", NULL };
	struct risk_register *r = c->r;
	const struct ynode *s;
	size_t i;
	int rc;

	if ((rc = seq_of(c, top, "sites", 1, &s)) != 0)
		return rc;
	if ((r->sites = calloc(s->n + 1, sizeof(*r->sites))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		struct risk_site *x = &r->sites[i];

		if ((rc = check_map(c, s->kids[i], "site", skeys)) != 0 ||
		    (rc = get_int(c, s->kids[i], "site", "id", 1, 1, 99,
		    &x->id)) != 0)
			return rc;
		if (risk_site_find(r, x->id) != NULL)
			return fail(c, s->kids[i], "site %d defined twice",
			    x->id);
		r->n_sites = i + 1;
		if ((rc = get_str(c, s->kids[i], "site", "name", 1,
		    &x->name)) != 0 || (rc = get_enum(c, s->kids[i], "site",
		    "party", parties, &x->party)) != 0)
			return rc;
	}
	if ((rc = seq_of(c, top, "assets", 1, &s)) != 0)
		return rc;
	if ((r->assets = calloc(s->n + 1, sizeof(*r->assets))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		const struct ynode *n = s->kids[i];
		struct risk_asset *x = &r->assets[i];

		if ((rc = check_map(c, n, "asset", akeys)) != 0 ||
		    (rc = get_int(c, n, "asset", "number", 1, 1, 99999,
		    &x->number)) != 0)
			return rc;
		if (risk_asset_find(r, x->number) != NULL)
			return fail(c, n, "duplicate asset number %d",
			    x->number);
		r->n_assets = i + 1;
		if ((rc = get_int(c, n, "asset", "site", 1, 1, 99,
		    &x->site)) != 0)
			return rc;
		if (risk_site_find(r, x->site) == NULL)
			return fail(c, get(n, "site"), "asset %d: undefined "
			    "site %d", x->number, x->site);
		if ((rc = get_str(c, n, "asset", "name", 1, &x->name)) != 0 ||
		    (rc = get_enum(c, n, "asset", "owner", parties,
		    &x->owner)) != 0 ||
		    (rc = get_int(c, n, "asset", "c", 1, r->smin[0], r->smax[0],
		    &x->c)) != 0 ||
		    (rc = get_int(c, n, "asset", "i", 1, r->smin[0], r->smax[0],
		    &x->i)) != 0 ||
		    (rc = get_int(c, n, "asset", "a", 1, r->smin[0], r->smax[0],
		    &x->a)) != 0 ||
		    (rc = get_bool(c, n, "asset", "phi", &x->phi)) != 0)
			return rc;
	}
	return 0;
}

static int
load_threats_vulns(struct lctx *c, const struct ynode *top)
{
	static const char *const tkeys[] = { "id", "name", "cia", "t",
		"source", NULL };
	static const char *const vkeys[] = { "id", "name", "v", NULL };
	static const char *const sources[] = { "deliberate", "accidental",
		"environmental", NULL };
	struct risk_register *r = c->r;
	const struct ynode *s, *cia;
	size_t i, j, k;
	int rc;

	if ((rc = seq_of(c, top, "threats", 1, &s)) != 0)
		return rc;
	if ((r->threats = calloc(s->n + 1, sizeof(*r->threats))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		const struct ynode *n = s->kids[i];
		struct risk_threat *x = &r->threats[i];

		if ((rc = check_map(c, n, "threat", tkeys)) != 0 ||
		    (rc = get_str(c, n, "threat", "id", 1, &x->id)) != 0)
			return rc;
		r->n_threats = i + 1;
		for (k = 0; k < i; k++)
			if (strcmp(r->threats[k].id, x->id) == 0)
				return fail(c, n, "threat '%.60s' defined "
				    "twice", x->id);
		if ((rc = get_str(c, n, "threat", "name", 1, &x->name)) != 0 ||
		    (rc = get_int(c, n, "threat", "t", 1, r->smin[1],
		    r->smax[1], &x->t)) != 0 ||
		    (rc = get_enum(c, n, "threat", "source", sources,
		    &x->source)) != 0)
			return rc;
		if ((cia = get(n, "cia")) == NULL || cia->type != YN_SEQ ||
		    cia->n == 0)
			return fail(c, cia != NULL ? cia : n, "threat '%.60s': "
			    "'cia' must be a non-empty list of c, i, a", x->id);
		for (j = 0; j < cia->n; j++) {
			const char *v = cia->kids[j]->val;

			if (v == NULL || (strcmp(v, "c") != 0 &&
			    strcmp(v, "i") != 0 && strcmp(v, "a") != 0))
				return fail(c, cia->kids[j], "threat: 'cia' "
				    "takes c, i and a only");
			x->cia |= v[0] == 'c' ? 1 : v[0] == 'i' ? 2 : 4;
		}
	}
	if ((rc = seq_of(c, top, "vulns", 1, &s)) != 0)
		return rc;
	if ((r->vulns = calloc(s->n + 1, sizeof(*r->vulns))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		struct risk_vuln *x = &r->vulns[i];

		if ((rc = check_map(c, s->kids[i], "vuln", vkeys)) != 0 ||
		    (rc = get_str(c, s->kids[i], "vuln", "id", 1,
		    &x->id)) != 0)
			return rc;
		r->n_vulns = i + 1;
		for (k = 0; k < i; k++)
			if (strcmp(r->vulns[k].id, x->id) == 0)
				return fail(c, s->kids[i], "vuln '%.60s' "
				    "defined twice", x->id);
		if ((rc = get_str(c, s->kids[i], "vuln", "name", 1,
		    &x->name)) != 0 || (rc = get_int(c, s->kids[i], "vuln",
		    "v", 1, r->smin[2], r->smax[2], &x->v)) != 0)
			return rc;
	}
	return 0;
}

static int
load_attest(struct lctx *c, const struct ynode *n, struct risk_attest **out)
{
	static const char *const keys[] = { "by", "date", "expires", "ref",
		NULL };
	struct risk_attest *a;
	int rc;

	if ((rc = check_map(c, n, "attestation", keys)) != 0)
		return rc;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return RSG_ERR_NOMEM;
	*out = a;
	if ((rc = get_str(c, n, "attestation", "by", 1, &a->by)) != 0 ||
	    (rc = get_date(c, n, "attestation", "date", &a->date, NULL)) != 0 ||
	    (rc = get_date(c, n, "attestation", "expires", &a->expires,
	    &a->expires_at)) != 0 ||
	    (rc = get_str(c, n, "attestation", "ref", 1, &a->ref)) != 0)
		return rc;
	return 0;
}

static int
load_controls(struct lctx *c, const struct ynode *top)
{
	static const char *const keys[] = { "id", "annex_a", "title",
		"responsible", "evidence", "effect", NULL };
	static const char *const ekeys[] = { "predicate", "attestation", NULL };
	static const char *const fkeys[] = { "v_max", "t_max", "v_minus",
		NULL };
	static const char *const cats[] = { "2005", "2013", "2022", NULL };
	struct risk_register *r = c->r;
	const struct ynode *s, *an, *ev, *ef, *v;
	size_t i, j, k;
	int rc;

	if ((rc = seq_of(c, top, "controls", 1, &s)) != 0)
		return rc;
	if ((r->controls = calloc(s->n + 1, sizeof(*r->controls))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		const struct ynode *n = s->kids[i];
		struct risk_control *x = &r->controls[i];

		if ((rc = check_map(c, n, "control", keys)) != 0 ||
		    (rc = get_str(c, n, "control", "id", 1, &x->id)) != 0)
			return rc;
		r->n_controls = i + 1;
		for (k = 0; k < i; k++)
			if (strcmp(r->controls[k].id, x->id) == 0)
				return fail(c, n, "control '%.60s' defined "
				    "twice", x->id);
		if ((rc = get_str(c, n, "control", "title", 1,
		    &x->title)) != 0 || (rc = get_enum(c, n, "control",
		    "responsible", parties, &x->responsible)) != 0)
			return rc;
		if ((an = get(n, "annex_a")) == NULL)
			return fail(c, n, "control '%.60s': missing 'annex_a'",
			    x->id);
		if ((rc = check_map(c, an, "annex_a", cats)) != 0)
			return rc;
		for (j = 0; j < 3; j++) {
			if ((v = get(an, cats[j])) == NULL)
				continue;
			if (v->type != YN_SCALAR ||
			    !risk_annex_known((int)j, v->val))
				return fail(c, v, "control '%.60s': '%.40s' is "
				    "not in the Annex A of ISO/IEC 27001:%s",
				    x->id, v->val != NULL ? v->val : "",
				    cats[j]);
			if ((x->annex[j] = strdup(v->val)) == NULL)
				return RSG_ERR_NOMEM;
		}
		if (x->annex[r->catalogue] == NULL)
			return fail(c, an, "control '%.60s': no id for the "
			    "register's catalogue %s", x->id,
			    risk_catalogue_name(r->catalogue));
		if ((ev = get(n, "evidence")) == NULL)
			return fail(c, n, "control '%.60s': missing "
			    "'evidence'", x->id);
		if ((rc = check_map(c, ev, "evidence", ekeys)) != 0)
			return rc;
		if (ev->n == 0)
			return fail(c, ev, "evidence: a predicate, an "
			    "attestation or both");
		if ((v = get(ev, "predicate")) != NULL &&
		    (rc = load_pred(c, v, 0, &x->pred)) != 0)
			return rc;
		if ((v = get(ev, "attestation")) != NULL &&
		    (rc = load_attest(c, v, &x->att)) != 0)
			return rc;
		if ((ef = get(n, "effect")) == NULL)
			return fail(c, n, "control '%.60s': missing 'effect'",
			    x->id);
		if ((rc = check_map(c, ef, "effect", fkeys)) != 0 ||
		    (rc = get_int(c, ef, "effect", "v_max", 0, r->smin[2],
		    r->smax[2], &x->v_max)) != 0 ||
		    (rc = get_int(c, ef, "effect", "t_max", 0, r->smin[1],
		    r->smax[1], &x->t_max)) != 0 ||
		    (rc = get_int(c, ef, "effect", "v_minus", 0, 1, 1,
		    &x->v_minus)) != 0)
			return rc;
		if (ef->n == 0)
			return fail(c, ef, "effect: v_max, t_max or v_minus");
	}
	return 0;
}

static int
find_named(const struct lctx *c, int what, const char *id, size_t *out)
{
	const struct risk_register *r = c->r;
	size_t i, n = what == 0 ? r->n_threats : what == 1 ? r->n_vulns :
	    r->n_controls;

	for (i = 0; i < n; i++) {
		const char *x = what == 0 ? r->threats[i].id : what == 1 ?
		    r->vulns[i].id : r->controls[i].id;

		if (strcmp(x, id) == 0) {
			*out = i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

static int
load_override(struct lctx *c, const struct ynode *row, const char *key,
    int min, int max, int *val, char **why)
{
	static const char *const keys[] = { "value", "why", NULL };
	const struct ynode *n = get(row, key);
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_map(c, n, key, keys)) != 0 ||
	    (rc = get_int(c, n, key, "value", 1, min, max, val)) != 0 ||
	    (rc = get_str(c, n, key, "why", 1, why)) != 0)
		return rc;
	return 0;
}

static int
load_acceptance(struct lctx *c, const struct ynode *n, struct risk_accept **out)
{
	static const char *const keys[] = { "by", "date", "expires", "why",
		"bound_to", NULL };
	struct risk_accept *a;
	const struct ynode *b;
	size_t i;
	int rc;

	if ((rc = check_map(c, n, "acceptance", keys)) != 0)
		return rc;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return RSG_ERR_NOMEM;
	*out = a;
	if ((rc = get_str(c, n, "acceptance", "by", 1, &a->by)) != 0 ||
	    (rc = get_date(c, n, "acceptance", "date", &a->date, NULL)) != 0 ||
	    (rc = get_date(c, n, "acceptance", "expires", &a->expires,
	    &a->expires_at)) != 0 ||
	    (rc = get_str(c, n, "acceptance", "why", 1, &a->why)) != 0)
		return rc;
	if ((b = get(n, "bound_to")) == NULL)
		return 0;
	if (b->type != YN_SEQ)
		return fail(c, b, "acceptance: 'bound_to' must be a list");
	if ((a->bound = calloc(b->n + 1, sizeof(*a->bound))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < b->n; i++) {
		if ((rc = load_pred(c, b->kids[i], 0, &a->bound[i])) != 0)
			return rc;
		a->n_bound = i + 1;
	}
	return 0;
}

static int
load_rows(struct lctx *c, const struct ynode *top)
{
	static const char *const keys[] = { "id", "site", "asset", "threat",
		"vuln", "t", "v", "controls", "treatment", "owner", "review",
		"note", "transfer_ref", "avoid_when", "acceptance", NULL };
	static const char *const treatments[] = { "reduce", "retain",
		"transfer", "avoid", NULL };
	struct risk_register *r = c->r;
	const struct ynode *s, *v;
	const struct risk_asset *as;
	char *tmp = NULL;
	size_t i, j, k;
	int rc;

	if ((rc = seq_of(c, top, "risks", 1, &s)) != 0)
		return rc;
	if ((r->rows = calloc(s->n + 1, sizeof(*r->rows))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < s->n; i++) {
		const struct ynode *n = s->kids[i];
		struct risk_row *x = &r->rows[i];

		if ((rc = check_map(c, n, "risk", keys)) != 0 ||
		    (rc = get_str(c, n, "risk", "id", 1, &x->id)) != 0)
			return rc;
		r->n_rows = i + 1;
		for (k = 0; k < i; k++)
			if (strcmp(r->rows[k].id, x->id) == 0)
				return fail(c, n, "risk '%.60s' defined twice",
				    x->id);
		if ((rc = get_int(c, n, "risk", "site", 1, 1, 99,
		    &x->site)) != 0 || (rc = get_int(c, n, "risk", "asset", 1,
		    1, 99999, &x->asset)) != 0)
			return rc;
		if (risk_site_find(r, x->site) == NULL)
			return fail(c, get(n, "site"), "risk '%.60s': "
			    "undefined site %d", x->id, x->site);
		if ((as = risk_asset_find(r, x->asset)) == NULL)
			return fail(c, get(n, "asset"), "risk '%.60s': "
			    "undefined asset %d", x->id, x->asset);
		if (as->site != x->site)
			return fail(c, get(n, "site"), "risk '%.60s': asset %d "
			    "belongs to site %d", x->id, x->asset, as->site);
		if ((rc = get_str(c, n, "risk", "threat", 1, &tmp)) != 0)
			return rc;
		rc = find_named(c, 0, tmp, &x->threat);
		free(tmp);
		tmp = NULL;
		if (rc != 0)
			return fail(c, get(n, "threat"), "risk '%.60s': "
			    "undefined threat", x->id);
		if ((rc = get_str(c, n, "risk", "vuln", 1, &tmp)) != 0)
			return rc;
		rc = find_named(c, 1, tmp, &x->vuln);
		free(tmp);
		tmp = NULL;
		if (rc != 0)
			return fail(c, get(n, "vuln"), "risk '%.60s': "
			    "undefined vulnerability", x->id);
		if ((rc = load_override(c, n, "t", r->smin[1], r->smax[1],
		    &x->t_over, &x->t_why)) != 0 ||
		    (rc = load_override(c, n, "v", r->smin[2], r->smax[2],
		    &x->v_over, &x->v_why)) != 0)
			return rc;
		if ((v = get(n, "controls")) == NULL || v->type != YN_SEQ)
			return fail(c, v != NULL ? v : n, "risk '%.60s': "
			    "'controls' must be a list", x->id);
		if ((x->controls = calloc(v->n + 1, sizeof(size_t))) == NULL)
			return RSG_ERR_NOMEM;
		for (j = 0; j < v->n; j++) {
			if (v->kids[j]->type != YN_SCALAR ||
			    find_named(c, 2, v->kids[j]->val,
			    &x->controls[j]) != 0)
				return fail(c, v->kids[j], "risk '%.60s': "
				    "undefined control '%.60s'", x->id,
				    v->kids[j]->val != NULL ?
				    v->kids[j]->val : "");
			x->n_controls = j + 1;
		}
		if ((rc = get_enum(c, n, "risk", "treatment", treatments,
		    &tmp)) != 0)
			return rc;
		for (j = 0; treatments[j] != NULL; j++)
			if (strcmp(tmp, treatments[j]) == 0)
				x->treatment = (enum risk_treatment)j;
		free(tmp);
		tmp = NULL;
		if ((rc = get_str(c, n, "risk", "owner", 1, &x->owner)) != 0 ||
		    (rc = get_date(c, n, "risk", "review", &x->review,
		    NULL)) != 0 ||
		    (rc = get_str(c, n, "risk", "note", 0, &x->note)) != 0 ||
		    (rc = get_str(c, n, "risk", "transfer_ref", 0,
		    &x->transfer_ref)) != 0)
			return rc;
		if ((v = get(n, "avoid_when")) != NULL &&
		    (rc = load_pred(c, v, 0, &x->avoid_when)) != 0)
			return rc;
		if ((v = get(n, "acceptance")) != NULL &&
		    (rc = load_acceptance(c, v, &x->acc)) != 0)
			return rc;
		/* R65: what each treatment needs. */
		if (x->treatment == TR_REDUCE && x->n_controls == 0)
			return fail(c, n, "risk '%.60s': reduce needs at least "
			    "one control", x->id);
		if (x->treatment == TR_RETAIN && x->acc == NULL)
			return fail(c, n, "risk '%.60s': retain needs an "
			    "acceptance", x->id);
		if (x->treatment == TR_TRANSFER && x->transfer_ref == NULL)
			return fail(c, n, "risk '%.60s': transfer needs "
			    "'transfer_ref'", x->id);
		if (x->treatment == TR_AVOID && x->avoid_when == NULL)
			return fail(c, n, "risk '%.60s': avoid needs "
			    "'avoid_when'", x->id);
	}
	return 0;
}

static int
load_soa_disc(struct lctx *c, const struct ynode *top)
{
	static const char *const skeys[] = { "annex_a", "applicable",
		"reasons", "why", NULL };
	static const char *const dkeys[] = { "mds2", "when", "note", NULL };
	static const char *const reasons[] = { "RRA", "LR", "CO", "BR", "BP",
		NULL };
	struct risk_register *r = c->r;
	const struct ynode *s, *v;
	struct rsg_buf *b = NULL;
	size_t i, j;
	int rc;

	if ((rc = seq_of(c, top, "soa", 0, &s)) != 0)
		return rc;
	if (s != NULL && (r->soa = calloc(s->n + 1, sizeof(*r->soa))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; s != NULL && i < s->n; i++) {
		struct risk_soa *x = &r->soa[i];

		if ((rc = check_map(c, s->kids[i], "soa", skeys)) != 0 ||
		    (rc = get_str(c, s->kids[i], "soa", "annex_a", 1,
		    &x->annex_a)) != 0)
			return rc;
		r->n_soa = i + 1;
		if (!risk_annex_known(r->catalogue, x->annex_a))
			return fail(c, s->kids[i], "soa: '%.40s' is not in "
			    "%s", x->annex_a, risk_catalogue_name(r->catalogue));
		if ((rc = get_bool(c, s->kids[i], "soa", "applicable",
		    &x->applicable)) != 0 || (rc = get_str(c, s->kids[i],
		    "soa", "why", 0, &x->why)) != 0)
			return rc;
		if ((v = get(s->kids[i], "reasons")) == NULL)
			continue;
		if (v->type != YN_SEQ)
			return fail(c, v, "soa: 'reasons' must be a list");
		if ((b = buf_new(4096)) == NULL)
			return RSG_ERR_NOMEM;
		for (j = 0; j < v->n; j++) {
			if (v->kids[j]->type != YN_SCALAR ||
			    !in_list(v->kids[j]->val, reasons)) {
				buf_free(b);
				return fail(c, v->kids[j], "soa: reasons are "
				    "RRA, LR, CO, BR, BP");
			}
			if ((rc = buf_putf(b, "%s%s", j > 0 ? ", " : "",
			    v->kids[j]->val)) != 0) {
				buf_free(b);
				return rc;
			}
		}
		x->reasons = buf_dup_cstring(b);
		buf_free(b);
		if (x->reasons == NULL)
			return RSG_ERR_NOMEM;
	}
	if ((rc = seq_of(c, top, "disclosure", 0, &s)) != 0)
		return rc;
	if (s != NULL &&
	    (r->disc = calloc(s->n + 1, sizeof(*r->disc))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; s != NULL && i < s->n; i++) {
		struct risk_disc *x = &r->disc[i];

		if ((rc = check_map(c, s->kids[i], "disclosure", dkeys)) != 0 ||
		    (rc = get_str(c, s->kids[i], "disclosure", "mds2", 1,
		    &x->mds2)) != 0)
			return rc;
		r->n_disc = i + 1;
		if ((rc = get_str(c, s->kids[i], "disclosure", "note", 0,
		    &x->note)) != 0)
			return rc;
		if ((v = get(s->kids[i], "when")) == NULL)
			return fail(c, s->kids[i], "disclosure: missing "
			    "'when'");
		if ((rc = load_pred(c, v, 0, &x->when)) != 0)
			return rc;
	}
	return 0;
}

static int
load_top(struct lctx *c, const struct ynode *top)
{
	static const char *const keys[] = { "schema", "id", "title",
		"version", "catalogue", "method", "facts", "sites", "assets",
		"threats", "vulns", "controls", "risks", "soa", "disclosure",
		NULL };
	struct risk_register *r = c->r;
	char *tmp = NULL;
	int rc, i;

	if ((rc = check_map(c, top, "register", keys)) != 0)
		return rc;
	if ((rc = get_str(c, top, "register", "schema", 1, &tmp)) != 0)
		return rc;
	if (strcmp(tmp, "rmsrisk/1") != 0) {
		free(tmp);
		return fail(c, get(top, "schema"), "schema must be rmsrisk/1");
	}
	free(tmp);
	tmp = NULL;
	if ((rc = get_str(c, top, "register", "id", 1, &r->id)) != 0 ||
	    (rc = get_str(c, top, "register", "title", 1, &r->title)) != 0 ||
	    (rc = get_str(c, top, "register", "version", 1, &r->version)) != 0 ||
	    (rc = get_str(c, top, "register", "catalogue", 1, &tmp)) != 0)
		return rc;
	r->catalogue = -1;
	for (i = 0; i < 3; i++)
		if (strcmp(tmp, risk_catalogue_name(i)) == 0)
			r->catalogue = i;
	free(tmp);
	if (r->catalogue < 0)
		return fail(c, get(top, "catalogue"), "catalogue must be "
		    "iso27001:2005, iso27001:2013 or iso27001:2022");
	if ((rc = load_method(c, top)) != 0 ||
	    (rc = load_facts(c, top)) != 0 ||
	    (rc = load_sites_assets(c, top)) != 0 ||
	    (rc = load_threats_vulns(c, top)) != 0 ||
	    (rc = load_controls(c, top)) != 0 ||
	    (rc = load_rows(c, top)) != 0 ||
	    (rc = load_soa_disc(c, top)) != 0)
		return rc;
	return 0;
}

int
risk_register_load(const char *name, const char *text, size_t len,
    struct risk_register **out, char *err, size_t errlen)
{
	struct lctx c;
	struct ynode *top = NULL;
	struct risk_register *r = NULL;
	int rc;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	if ((rc = yaml_tree_load(name, text, len, &top, err, errlen)) != 0)
		goto out;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto out;
	}
	c.r = r;
	if ((rc = load_top(&c, top)) != 0) {
		if (rc == RSG_ERR_NOMEM)
			snprintf(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (SHA256((const unsigned char *)text, len, r->sha256) == NULL) {
		snprintf(err, errlen, "%s: SHA-256 failed", name);
		rc = RSG_ERR_CRYPTO;
		goto out;
	}
	*out = r;
	r = NULL;
 out:
	ynode_free(top);
	risk_register_free(r);
	return rc;
}

int
risk_register_load_file(const char *path, struct risk_register **out,
    char *err, size_t errlen)
{
	struct rsg_buf *b = NULL;
	int rc;

	if ((rc = file_read_all(path, RISK_FILE_MAX, &b)) != 0) {
		snprintf(err, errlen, "%s: %s", path, rsg_strerror(rc));
		return rc;
	}
	rc = risk_register_load(path, (const char *)buf_ptr(b), buf_len(b),
	    out, err, errlen);
	buf_free(b);
	return rc;
}

int
risk_register_load_builtin(struct risk_register **out, char *err,
    size_t errlen)
{
	const char *t = risk_builtin_register();

	return risk_register_load("(built-in register)", t, strlen(t), out,
	    err, errlen);
}

static void
free_pred_list(struct risk_pred **p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		risk_pred_free(p[i]);
	free(p);
}

void
risk_register_free(struct risk_register *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	free(r->id);
	free(r->title);
	free(r->version);
	for (i = 0; i < r->n_levels; i++) {
		free(r->levels[i].name);
		free(r->levels[i].colour);
	}
	free(r->levels);
	for (i = 0; i < r->n_facts; i++) {
		for (j = 0; j < r->facts[i].n_enums; j++)
			free(r->facts[i].enums[j]);
		free(r->facts[i].enums);
		free(r->facts[i].name);
		free(r->facts[i].source);
		free(r->facts[i].doc);
	}
	free(r->facts);
	for (i = 0; i < r->n_sites; i++) {
		free(r->sites[i].name);
		free(r->sites[i].party);
	}
	free(r->sites);
	for (i = 0; i < r->n_assets; i++) {
		free(r->assets[i].name);
		free(r->assets[i].owner);
	}
	free(r->assets);
	for (i = 0; i < r->n_threats; i++) {
		free(r->threats[i].id);
		free(r->threats[i].name);
		free(r->threats[i].source);
	}
	free(r->threats);
	for (i = 0; i < r->n_vulns; i++) {
		free(r->vulns[i].id);
		free(r->vulns[i].name);
	}
	free(r->vulns);
	for (i = 0; i < r->n_controls; i++) {
		struct risk_control *x = &r->controls[i];

		free(x->id);
		free(x->title);
		free(x->responsible);
		for (j = 0; j < 3; j++)
			free(x->annex[j]);
		risk_pred_free(x->pred);
		if (x->att != NULL) {
			free(x->att->by);
			free(x->att->date);
			free(x->att->expires);
			free(x->att->ref);
			free(x->att);
		}
	}
	free(r->controls);
	for (i = 0; i < r->n_rows; i++) {
		struct risk_row *x = &r->rows[i];

		free(x->id);
		free(x->t_why);
		free(x->v_why);
		free(x->controls);
		free(x->owner);
		free(x->review);
		free(x->transfer_ref);
		free(x->note);
		risk_pred_free(x->avoid_when);
		if (x->acc != NULL) {
			free(x->acc->by);
			free(x->acc->date);
			free(x->acc->expires);
			free(x->acc->why);
			free_pred_list(x->acc->bound, x->acc->n_bound);
			free(x->acc);
		}
	}
	free(r->rows);
	for (i = 0; i < r->n_soa; i++) {
		free(r->soa[i].annex_a);
		free(r->soa[i].why);
		free(r->soa[i].reasons);
	}
	free(r->soa);
	for (i = 0; i < r->n_disc; i++) {
		free(r->disc[i].mds2);
		free(r->disc[i].note);
		risk_pred_free(r->disc[i].when);
	}
	free(r->disc);
	free(r);
}

void
risk_register_counts(const struct risk_register *r, size_t *rows,
    size_t *controls, size_t *facts, size_t *sites, size_t *assets)
{
	*rows = r->n_rows;
	*controls = r->n_controls;
	*facts = r->n_facts;
	*sites = r->n_sites;
	*assets = r->n_assets;
}

const struct risk_site *
risk_site_find(const struct risk_register *r, int id)
{
	size_t i;

	for (i = 0; i < r->n_sites; i++)
		if (r->sites[i].id == id)
			return &r->sites[i];
	return NULL;
}

const struct risk_asset *
risk_asset_find(const struct risk_register *r, int number)
{
	size_t i;

	for (i = 0; i < r->n_assets; i++)
		if (r->assets[i].number == number)
			return &r->assets[i];
	return NULL;
}

/*
 * ap-policy-shim.c: a small implementation of include/rsgate/policy.h for
 * the access point until lib/policy lands; it follows the same rule syntax
 * (docs/CONFIG.md, `allow`) and fails closed. Removed when lib/policy is
 * merged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsgate/policy.h"

#define SHIM_ITEMS_MAX 64
#define SHIM_MAX_DEFAULT 3600
#define SHIM_MAX_LIMIT (7 * 86400)

struct shim_list {
	char *v[SHIM_ITEMS_MAX];
	size_t n;
	int any;
};

struct shim_group {
	char *name;
	struct shim_list members;
};

struct shim_rule {
	struct shim_list eng, dev, svc;
	unsigned days;		/* bit 0 = Sunday */
	int from, to;		/* minutes; from == to: all day */
	uint64_t max;
};

struct policy {
	struct shim_group *groups;
	size_t ngroups;
	struct shim_rule *rules;
	size_t nrules;
};

static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

static void
list_clear(struct shim_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	memset(l, 0, sizeof(*l));
}

int
policy_new(struct policy **out)
{
	struct policy *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return RSG_ERR_NOMEM;
	*out = p;
	return 0;
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		list_clear(&p->groups[i].members);
	}
	for (i = 0; i < p->nrules; i++) {
		list_clear(&p->rules[i].eng);
		list_clear(&p->rules[i].dev);
		list_clear(&p->rules[i].svc);
	}
	free(p->groups);
	free(p->rules);
	free(p);
}

/* Trimmed copy of [s, e). */
static char *
trim_dup(const char *s, const char *e)
{
	while (s < e && *s == ' ')
		s++;
	while (e > s && e[-1] == ' ')
		e--;
	return strndup(s, (size_t)(e - s));
}

/* Split s at sep into l; empty items are an error. */
static int
list_parse(const char *s, char sep, int star_ok, struct shim_list *l)
{
	const char *e;
	char *item;

	memset(l, 0, sizeof(*l));
	for (;;) {
		if ((e = strchr(s, sep)) == NULL)
			e = s + strlen(s);
		if ((item = trim_dup(s, e)) == NULL)
			goto fail;
		if (*item == '\0' || l->n == SHIM_ITEMS_MAX) {
			free(item);
			goto fail;
		}
		if (strcmp(item, "*") == 0) {
			free(item);
			if (!star_ok)
				goto fail;
			l->any = 1;
		} else
			l->v[l->n++] = item;
		if (*e == '\0')
			break;
		s = e + 1;
	}
	return 0;
 fail:
	list_clear(l);
	return RSG_ERR_FORMAT;
}

static int
list_has(const struct shim_list *l, const char *s)
{
	size_t i;

	if (l->any)
		return 1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int
policy_add_group(struct policy *p, const char *line, char *err,
    size_t errlen)
{
	struct shim_group g, *ng;
	const char *sp;

	memset(&g, 0, sizeof(g));
	if ((sp = strchr(line, ' ')) == NULL || sp == line) {
		snprintf(err, errlen, "want NAME MEMBER[, MEMBER...]");
		return RSG_ERR_FORMAT;
	}
	if ((g.name = strndup(line, (size_t)(sp - line))) == NULL)
		return RSG_ERR_NOMEM;
	if (list_parse(sp + 1, ',', 0, &g.members) != 0) {
		free(g.name);
		snprintf(err, errlen, "bad member list");
		return RSG_ERR_FORMAT;
	}
	if ((ng = realloc(p->groups, (p->ngroups + 1) * sizeof(*ng))) ==
	    NULL) {
		free(g.name);
		list_clear(&g.members);
		return RSG_ERR_NOMEM;
	}
	p->groups = ng;
	p->groups[p->ngroups++] = g;
	return 0;
}

static int
day_index(const char *s, size_t len)
{
	int i;

	for (i = 0; i < 7; i++)
		if (len == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

static int
days_parse(const char *s, unsigned *out)
{
	struct shim_list l;
	unsigned m = 0;
	size_t i;
	int a, b;
	char *dash;

	if (list_parse(s, ',', 1, &l) != 0)
		return RSG_ERR_FORMAT;
	if (l.any)
		m = 0x7f;
	for (i = 0; i < l.n; i++) {
		if ((dash = strchr(l.v[i], '-')) != NULL) {
			a = day_index(l.v[i], (size_t)(dash - l.v[i]));
			b = day_index(dash + 1, strlen(dash + 1));
		} else
			a = b = day_index(l.v[i], strlen(l.v[i]));
		if (a < 0 || b < 0) {
			list_clear(&l);
			return RSG_ERR_FORMAT;
		}
		for (;; a = (a + 1) % 7) {
			m |= 1u << a;
			if (a == b)
				break;
		}
	}
	list_clear(&l);
	*out = m;
	return 0;
}

static int
hhmm_parse(const char *s, int *out)
{
	if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' ||
	    s[1] < '0' || s[1] > '9' || s[3] < '0' || s[3] > '5' ||
	    s[4] < '0' || s[4] > '9')
		return RSG_ERR_FORMAT;
	*out = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 +
	    (s[4] - '0');
	return *out <= 24 * 60 ? 0 : RSG_ERR_FORMAT;
}

static int
hours_parse(const char *s, int *from, int *to)
{
	char a[6], b[6];
	const char *dash = strchr(s, '-');

	if (dash == NULL || dash - s != 5 || strlen(dash + 1) != 5)
		return RSG_ERR_FORMAT;
	memcpy(a, s, 5);
	a[5] = '\0';
	memcpy(b, dash + 1, 5);
	b[5] = '\0';
	if (hhmm_parse(a, from) != 0 || hhmm_parse(b, to) != 0 || *from == *to)
		return RSG_ERR_FORMAT;
	return 0;
}

int
policy_add_rule(struct policy *p, const char *line, char *err,
    size_t errlen)
{
	struct shim_rule r, *nr;
	const char *s = line, *e, *eq;
	char key[16], *val = NULL, *sp;
	int have_e = 0, have_d = 0, have_s = 0, rc = RSG_ERR_FORMAT;

	memset(&r, 0, sizeof(r));
	r.days = 0x7f;
	r.max = SHIM_MAX_DEFAULT;
	for (;;) {
		if ((e = strchr(s, ';')) == NULL)
			e = s + strlen(s);
		while (s < e && *s == ' ')
			s++;
		if (s < e) {
			if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL ||
			    eq - s >= (long)sizeof(key)) {
				snprintf(err, errlen, "want key=value items "
				    "separated by ';'");
				goto out;
			}
			memcpy(key, s, (size_t)(eq - s));
			key[eq - s] = '\0';
			if ((sp = strchr(key, ' ')) != NULL)
				*sp = '\0';
			if ((val = trim_dup(eq + 1, e)) == NULL) {
				rc = RSG_ERR_NOMEM;
				goto out;
			}
			if (strcmp(key, "engineer") == 0 && !have_e) {
				have_e = 1;
				if (list_parse(val, '|', 0, &r.eng) != 0)
					goto bad;
			} else if (strcmp(key, "device") == 0 && !have_d) {
				have_d = 1;
				if (list_parse(val, ',', 1, &r.dev) != 0)
					goto bad;
			} else if (strcmp(key, "service") == 0 && !have_s) {
				have_s = 1;
				if (list_parse(val, ',', 1, &r.svc) != 0)
					goto bad;
			} else if (strcmp(key, "days") == 0) {
				if (days_parse(val, &r.days) != 0)
					goto bad;
			} else if (strcmp(key, "hours") == 0) {
				if (hours_parse(val, &r.from, &r.to) != 0)
					goto bad;
			} else if (strcmp(key, "max") == 0) {
				if (parse_duration(val, 1, SHIM_MAX_LIMIT,
				    &r.max) != 0)
					goto bad;
			} else {
				snprintf(err, errlen, "unknown or repeated key "
				    "'%s'", key);
				goto out;
			}
			free(val);
			val = NULL;
		}
		if (*e == '\0')
			break;
		s = e + 1;
	}
	if (!have_e || !have_d || !have_s) {
		snprintf(err, errlen, "a rule needs engineer=, device= and "
		    "service=");
		goto out;
	}
	if ((nr = realloc(p->rules, (p->nrules + 1) * sizeof(*nr))) == NULL) {
		rc = RSG_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	p->rules = nr;
	p->rules[p->nrules++] = r;
	return 0;
 bad:
	snprintf(err, errlen, "bad value for %s", key);
 out:
	free(val);
	list_clear(&r.eng);
	list_clear(&r.dev);
	list_clear(&r.svc);
	return rc;
}

static int
who_matches(const struct policy *p, const char *m,
    const struct policy_request *req, int depth)
{
	size_t i, j;

	if (strncmp(m, "sha256:", 7) == 0)
		return req->engineer_fpr_hex != NULL &&
		    strcasecmp(m + 7, req->engineer_fpr_hex) == 0;
	if (m[0] == '@') {
		if (depth > 0)
			return 0;
		for (i = 0; i < p->ngroups; i++) {
			if (strcmp(p->groups[i].name, m + 1) != 0)
				continue;
			for (j = 0; j < p->groups[i].members.n; j++)
				if (who_matches(p, p->groups[i].members.v[j],
				    req, depth + 1))
					return 1;
		}
		return 0;
	}
	return req->engineer_cn != NULL && strcmp(m, req->engineer_cn) == 0;
}

int
policy_check(const struct policy *p, const struct policy_request *req,
    struct policy_decision *out)
{
	struct policy_decision d;
	const struct shim_rule *r;
	struct tm tm;
	time_t now = (time_t)req->now;
	size_t i, j;
	int stage = 0, min, in;

	memset(&d, 0, sizeof(d));
	if (localtime_r(&now, &tm) == NULL) {
		snprintf(d.reason, sizeof(d.reason), "cannot read the clock");
		*out = d;
		return RSG_ERR_INTERNAL;
	}
	min = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		for (j = 0; j < r->eng.n; j++)
			if (who_matches(p, r->eng.v[j], req, 0))
				break;
		if (j == r->eng.n)
			continue;
		stage = stage < 1 ? 1 : stage;
		if (!list_has(&r->dev, req->device))
			continue;
		stage = stage < 2 ? 2 : stage;
		if (!list_has(&r->svc, req->service))
			continue;
		stage = 3;
		in = r->from == r->to ? 1 : r->from < r->to ?
		    (min >= r->from && min < r->to) :
		    (min >= r->from || min < r->to);
		if ((r->days & (1u << tm.tm_wday)) == 0 || !in) {
			snprintf(d.reason, sizeof(d.reason), "outside the "
			    "allowed days or hours (%02d:%02d-%02d:%02d)",
			    r->from / 60, r->from % 60, r->to / 60,
			    r->to % 60);
			continue;
		}
		d.allowed = 1;
		d.rule = i;
		d.max_secs = r->max;
		snprintf(d.reason, sizeof(d.reason), "allowed by rule %zu",
		    i + 1);
		*out = d;
		return 0;
	}
	if (stage == 0)
		snprintf(d.reason, sizeof(d.reason), "no rule for this "
		    "engineer");
	else if (stage == 1)
		snprintf(d.reason, sizeof(d.reason), "no rule for this "
		    "engineer and device");
	else if (stage == 2)
		snprintf(d.reason, sizeof(d.reason), "no rule for this "
		    "service");
	*out = d;
	return RSG_ERR_VERIFY;
}

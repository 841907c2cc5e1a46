/*
 * policy.c: parser and evaluator of the access point's standing policy
 * (include/rsgate/policy.h has the syntax). Each group and rule keeps one
 * copy of its line, cut in place; names point into it. A line is checked
 * whole before anything is added, so a bad line leaves the policy as it
 * was. Evaluation is a plain first-match scan: at most 1024 rules, each a
 * few string compares, once per stream.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rsgate/policy.h"

#define FPR_LEN 32
#define DAYS_ALL 0x7fu
#define MINUTES_PER_DAY (24 * 60)

enum principal_kind {
	PRINCIPAL_CN,
	PRINCIPAL_FPR,
	PRINCIPAL_GROUP,
};

struct principal {
	enum principal_kind kind;
	const char *cn;			/* PRINCIPAL_CN, into the line copy */
	size_t group;			/* PRINCIPAL_GROUP: index in groups */
	uint8_t fpr[FPR_LEN];		/* PRINCIPAL_FPR */
};

struct policy_group {
	char *text;			/* the line copy; name and CNs point in */
	const char *name;
	struct principal *members;
	size_t n_members;
};

/* A device or service list; any = '*'. */
struct name_list {
	int any;
	const char **names;
	size_t n;
};

struct policy_rule {
	char *text;
	struct principal *engineers;
	size_t n_engineers;
	struct name_list devices;
	struct name_list services;
	unsigned days;			/* bit tm_wday (0 = Sunday) */
	int all_day;
	unsigned start, end;		/* minutes; end may be < start (wrap) */
	char days_text[48];		/* canonical, for deny reasons */
	char hours_text[32];
	uint64_t max_secs;
};

struct policy {
	struct policy_group **groups;
	size_t n_groups;
	struct policy_rule **rules;
	size_t n_rules;
};

static const char *const day_names[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

enum rule_key {
	KEY_ENGINEER,
	KEY_DEVICE,
	KEY_SERVICE,
	KEY_DAYS,
	KEY_HOURS,
	KEY_MAX,
	KEY_COUNT,
};

static const char *const key_names[KEY_COUNT] = {
	"engineer", "device", "service", "days", "hours", "max",
};

static void RSG_PRINTF(3, 4)
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, errlen, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

/* Quote a user string for a message (escaped, cut to fit). */
static const char *
q(const char *s, char *buf, size_t len)
{
	return str_escape(s, buf, len);
}

/*
 * Valid UTF-8 without control characters (C0, DEL, C1): what a name in
 * a config line may contain. Rejects overlong forms and surrogates.
 */
static int
text_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp, min;
	size_t i, n;

	while (*s != '\0') {
		if (*s < 0x80) {
			if (*s < 0x20 || *s == 0x7f)
				return 0;
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1;
			cp = *s & 0x1f;
			min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2;
			cp = *s & 0x0f;
			min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3;
			cp = *s & 0x07;
			min = 0x10000;
		} else
			return 0;
		/* A NUL fails the continuation test, so no over-read. */
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 &&
		    cp <= 0xdfff) || cp < 0xa0)
			return 0;
		s += n + 1;
	}
	return 1;
}

/* Strip spaces at both ends, in place. */
static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* How many sep-separated items s has (separators + 1). */
static size_t
count_items(const char *s, char sep)
{
	size_t n = 1;

	for (; *s != '\0'; s++)
		if (*s == sep)
			n++;
	return n;
}

/* Check a whole input line and copy it. */
static int
line_copy(const char *line, const char *what, char **out, char *err,
    size_t errlen)
{
	char *copy;

	if (line == NULL) {
		set_err(err, errlen, "no %s given", what);
		return RSG_ERR_INVALID_ARG;
	}
	if (strnlen(line, POLICY_LINE_MAX + 1) > POLICY_LINE_MAX) {
		set_err(err, errlen, "%s longer than %u bytes", what,
		    (unsigned)POLICY_LINE_MAX);
		return RSG_ERR_LIMIT;
	}
	if (!text_valid(line)) {
		set_err(err, errlen, "%s has control characters or is not "
		    "valid UTF-8", what);
		return RSG_ERR_FORMAT;
	}
	if ((copy = strdup(line)) == NULL) {
		set_err(err, errlen, "out of memory");
		return RSG_ERR_NOMEM;
	}
	*out = copy;
	return 0;
}

static int
group_find(const struct policy *p, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < p->n_groups; i++) {
		if (strcmp(p->groups[i]->name, name) == 0) {
			*idx = i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

static int
group_name_valid(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-'))
			return 0;
	}
	return n > 0 && n <= POLICY_GROUP_NAME_MAX;
}

/*
 * One engineer: a CN, sha256:HEX64 or (in rules only) @group. s is trimmed
 * and not empty.
 */
static int
principal_parse(const struct policy *p, char *s, int in_group,
    struct principal *out, char *err, size_t errlen)
{
	char e[96];

	if (strncasecmp(s, "sha256:", 7) == 0) {
		if (hex_decode(s + 7, out->fpr, FPR_LEN) != 0) {
			set_err(err, errlen, "bad fingerprint \"%s\" (want "
			    "sha256: and 64 hex digits)", q(s, e, sizeof(e)));
			return RSG_ERR_FORMAT;
		}
		out->kind = PRINCIPAL_FPR;
		return 0;
	}
	if (*s == '@') {
		if (in_group) {
			set_err(err, errlen, "a group cannot contain a group "
			    "(\"%s\")", q(s, e, sizeof(e)));
			return RSG_ERR_FORMAT;
		}
		if (!group_name_valid(s + 1)) {
			set_err(err, errlen, "bad group name \"%s\"",
			    q(s, e, sizeof(e)));
			return RSG_ERR_FORMAT;
		}
		if (group_find(p, s + 1, &out->group) != 0) {
			set_err(err, errlen, "undefined group \"%s\" (groups "
			    "must be defined before the rules that use them)",
			    q(s, e, sizeof(e)));
			return RSG_ERR_NOT_FOUND;
		}
		out->kind = PRINCIPAL_GROUP;
		return 0;
	}
	if (strcmp(s, "*") == 0) {
		set_err(err, errlen, "engineer=* is not allowed: name the "
		    "engineers, or use a group");
		return RSG_ERR_FORMAT;
	}
	if (strchr(s, ',') != NULL) {
		set_err(err, errlen, "bad engineer \"%s\" (separate engineers "
		    "with |, not a comma)", q(s, e, sizeof(e)));
		return RSG_ERR_FORMAT;
	}
	if (strlen(s) > POLICY_NAME_MAX) {
		set_err(err, errlen, "engineer name longer than %u bytes",
		    (unsigned)POLICY_NAME_MAX);
		return RSG_ERR_LIMIT;
	}
	out->kind = PRINCIPAL_CN;
	out->cn = s;
	return 0;
}

/* Split s on sep into a new array of principals. */
static int
principals_parse(const struct policy *p, char *s, char sep, int in_group,
    size_t max, struct principal **out, size_t *nout, char *err,
    size_t errlen)
{
	struct principal *v = NULL;
	char *item, *cursor = s;
	char sepstr[2] = { sep, '\0' };
	size_t n = count_items(s, sep), i = 0;
	int r;

	if (n > max) {
		set_err(err, errlen, "more than %zu engineers in one %s", max,
		    in_group ? "group" : "rule");
		r = RSG_ERR_LIMIT;
		goto out;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		set_err(err, errlen, "out of memory");
		r = RSG_ERR_NOMEM;
		goto out;
	}
	while ((item = strsep(&cursor, sepstr)) != NULL) {
		item = trim(item);
		if (*item == '\0') {
			set_err(err, errlen, "empty engineer in a %c-separated "
			    "list", sep);
			r = RSG_ERR_FORMAT;
			goto out;
		}
		if ((r = principal_parse(p, item, in_group, &v[i], err,
		    errlen)) != 0)
			goto out;
		i++;
	}
	*out = v;
	*nout = n;
	v = NULL;
	r = 0;
 out:
	free(v);
	return r;
}

static void
group_free(struct policy_group *g)
{
	if (g == NULL)
		return;
	free(g->members);
	free(g->text);
	free(g);
}

static void
rule_free(struct policy_rule *r)
{
	if (r == NULL)
		return;
	free(r->engineers);
	free(r->devices.names);
	free(r->services.names);
	free(r->text);
	free(r);
}

int
policy_new(struct policy **out)
{
	struct policy *p;

	if (out == NULL)
		return RSG_ERR_INVALID_ARG;
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
	for (i = 0; i < p->n_groups; i++)
		group_free(p->groups[i]);
	for (i = 0; i < p->n_rules; i++)
		rule_free(p->rules[i]);
	free(p->groups);
	free(p->rules);
	free(p);
}

size_t
policy_rule_count(const struct policy *p)
{
	return p == NULL ? 0 : p->n_rules;
}

int
policy_add_group(struct policy *p, const char *line, char *err, size_t errlen)
{
	struct policy_group *g = NULL, **v;
	char *s, *name, e[96];
	size_t i, idx;
	int r;

	if (p == NULL) {
		set_err(err, errlen, "no policy");
		return RSG_ERR_INVALID_ARG;
	}
	if (p->n_groups >= POLICY_GROUPS_MAX) {
		set_err(err, errlen, "more than %u groups",
		    (unsigned)POLICY_GROUPS_MAX);
		return RSG_ERR_LIMIT;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		set_err(err, errlen, "out of memory");
		return RSG_ERR_NOMEM;
	}
	if ((r = line_copy(line, "group line", &g->text, err, errlen)) != 0)
		goto out;
	s = trim(g->text);
	name = s;
	for (i = 0; s[i] != '\0' && s[i] != ' '; i++)
		;
	if (s[i] == '\0') {
		set_err(err, errlen, "group \"%s\" has no members (want NAME "
		    "MEMBER[, MEMBER...])", q(name, e, sizeof(e)));
		r = RSG_ERR_FORMAT;
		goto out;
	}
	s[i] = '\0';
	if (!group_name_valid(name)) {
		set_err(err, errlen, "bad group name \"%s\" (letters, digits, "
		    "'.', '_', '-'; at most %u)", q(name, e, sizeof(e)),
		    (unsigned)POLICY_GROUP_NAME_MAX);
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if (group_find(p, name, &idx) == 0) {
		set_err(err, errlen, "group \"%s\" defined twice", name);
		r = RSG_ERR_EXISTS;
		goto out;
	}
	g->name = name;
	if ((r = principals_parse(p, trim(s + i + 1), ',', 1,
	    POLICY_GROUP_MEMBERS_MAX, &g->members, &g->n_members, err,
	    errlen)) != 0)
		goto out;
	if ((v = realloc(p->groups, (p->n_groups + 1) * sizeof(*v))) == NULL) {
		set_err(err, errlen, "out of memory");
		r = RSG_ERR_NOMEM;
		goto out;
	}
	p->groups = v;
	p->groups[p->n_groups++] = g;
	g = NULL;
	r = 0;
 out:
	group_free(g);
	return r;
}

/* A device or service name: no spaces and none of the syntax characters. */
static int
name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= POLICY_NAME_MAX && strpbrk(s, " ,;|=*@") == NULL;
}

static int
names_parse(char *s, const char *what, struct name_list *out, char *err,
    size_t errlen)
{
	const char **v = NULL;
	char *item, *cursor = s, e[96];
	size_t n, i = 0;
	int r;

	if (strcmp(s, "*") == 0) {
		out->any = 1;
		return 0;
	}
	if ((n = count_items(s, ',')) > POLICY_LIST_MAX) {
		set_err(err, errlen, "more than %u names in %s=",
		    (unsigned)POLICY_LIST_MAX, what);
		r = RSG_ERR_LIMIT;
		goto out;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		set_err(err, errlen, "out of memory");
		r = RSG_ERR_NOMEM;
		goto out;
	}
	while ((item = strsep(&cursor, ",")) != NULL) {
		item = trim(item);
		if (!name_valid(item)) {
			set_err(err, errlen, "bad %s name \"%s\" in %s= (a "
			    "comma list of names, or * alone)", what,
			    q(item, e, sizeof(e)), what);
			r = RSG_ERR_FORMAT;
			goto out;
		}
		v[i++] = item;
	}
	out->names = v;
	out->n = n;
	v = NULL;
	r = 0;
 out:
	free(v);
	return r;
}

static int
day_parse(const char *s, unsigned *day)
{
	unsigned i;

	for (i = 0; i < 7; i++) {
		if (strcasecmp(s, day_names[i]) == 0) {
			*day = i;
			return 0;
		}
	}
	return RSG_ERR_FORMAT;
}

/* "*", or a comma list of days and day ranges ("mon-fri", "fri-mon"). */
static int
days_parse(char *s, unsigned *out, char *err, size_t errlen)
{
	char *item, *cursor = s, *dash, e[96];
	unsigned a, b, mask = 0;

	if (strcmp(s, "*") == 0) {
		*out = DAYS_ALL;
		return 0;
	}
	while ((item = strsep(&cursor, ",")) != NULL) {
		item = trim(item);
		if ((dash = strchr(item, '-')) != NULL) {
			*dash = '\0';
			if (day_parse(trim(item), &a) != 0 ||
			    day_parse(trim(dash + 1), &b) != 0 || a == b) {
				*dash = '-';
				set_err(err, errlen, "bad day range \"%s\" "
				    "(want e.g. mon-fri, days from mon tue wed "
				    "thu fri sat sun)", q(item, e, sizeof(e)));
				return RSG_ERR_FORMAT;
			}
			/* A range may wrap the week: fri-mon. */
			for (;; a = (a + 1) % 7) {
				mask |= 1u << a;
				if (a == b)
					break;
			}
			continue;
		}
		if (day_parse(item, &a) != 0) {
			set_err(err, errlen, "bad day \"%s\" (mon tue wed thu "
			    "fri sat sun, ranges like mon-fri, or *)",
			    q(item, e, sizeof(e)));
			return RSG_ERR_FORMAT;
		}
		mask |= 1u << a;
	}
	*out = mask;
	return 0;
}

/* "HH:MM", 00:00..23:59, or 24:00 when end is set. */
static int
hhmm_parse(const char *s, int end, unsigned *out)
{
	unsigned h, m;

	if (strlen(s) != 5 || s[2] != ':')
		return RSG_ERR_FORMAT;
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[3] < '0' || s[3] > '9' || s[4] < '0' || s[4] > '9')
		return RSG_ERR_FORMAT;
	h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (!end || m != 0)))
		return RSG_ERR_RANGE;
	*out = h * 60 + m;
	return 0;
}

static int
hours_parse(char *s, struct policy_rule *rule, char *err, size_t errlen)
{
	char *dash, e[96];
	unsigned a, b;

	if (strcmp(s, "*") == 0) {
		rule->all_day = 1;
		return 0;
	}
	if ((dash = strchr(s, '-')) == NULL)
		goto bad;
	*dash = '\0';
	if (hhmm_parse(trim(s), 0, &a) != 0 ||
	    hhmm_parse(trim(dash + 1), 1, &b) != 0) {
		*dash = '-';
		goto bad;
	}
	*dash = '-';
	if (a == b || (a == 0 && b == MINUTES_PER_DAY)) {
		set_err(err, errlen, "hours window \"%s\" is empty or the "
		    "whole day (use hours=* for all day)", q(s, e, sizeof(e)));
		return RSG_ERR_FORMAT;
	}
	rule->all_day = 0;
	rule->start = a;
	rule->end = b;
	return 0;
 bad:
	set_err(err, errlen, "bad hours \"%s\" (want HH:MM-HH:MM from 00:00 "
	    "to 24:00, e.g. 08:00-18:00 or 22:00-06:00, or *)",
	    q(s, e, sizeof(e)));
	return RSG_ERR_FORMAT;
}

static int
rule_item(const struct policy *p, struct policy_rule *rule, enum rule_key k,
    char *val, char *err, size_t errlen)
{
	char e[96];

	switch (k) {
	case KEY_ENGINEER:
		return principals_parse(p, val, '|', 0, POLICY_LIST_MAX,
		    &rule->engineers, &rule->n_engineers, err, errlen);
	case KEY_DEVICE:
		return names_parse(val, "device", &rule->devices, err, errlen);
	case KEY_SERVICE:
		return names_parse(val, "service", &rule->services, err,
		    errlen);
	case KEY_DAYS:
		return days_parse(val, &rule->days, err, errlen);
	case KEY_HOURS:
		return hours_parse(val, rule, err, errlen);
	case KEY_MAX:
		if (parse_duration(val, 1, POLICY_MAX_LIMIT,
		    &rule->max_secs) != 0) {
			set_err(err, errlen, "bad max \"%s\" (a duration from "
			    "1s to 1w, e.g. 90s, 15m, 2h, 1d)",
			    q(val, e, sizeof(e)));
			return RSG_ERR_FORMAT;
		}
		return 0;
	case KEY_COUNT:
		break;
	}
	return RSG_ERR_INTERNAL;
}

static void rule_window_text(struct policy_rule *rule);

int
policy_add_rule(struct policy *p, const char *line, char *err, size_t errlen)
{
	struct policy_rule *rule = NULL, **v;
	char *cursor, *item, *eq, *key, *val, e[96];
	unsigned seen = 0, k;
	int r;

	if (p == NULL) {
		set_err(err, errlen, "no policy");
		return RSG_ERR_INVALID_ARG;
	}
	if (p->n_rules >= POLICY_RULES_MAX) {
		set_err(err, errlen, "more than %u rules",
		    (unsigned)POLICY_RULES_MAX);
		return RSG_ERR_LIMIT;
	}
	if ((rule = calloc(1, sizeof(*rule))) == NULL) {
		set_err(err, errlen, "out of memory");
		return RSG_ERR_NOMEM;
	}
	rule->days = DAYS_ALL;
	rule->all_day = 1;
	rule->max_secs = POLICY_MAX_DEFAULT;
	if ((r = line_copy(line, "rule", &rule->text, err, errlen)) != 0)
		goto out;
	cursor = rule->text;
	while ((item = strsep(&cursor, ";")) != NULL) {
		item = trim(item);
		if (*item == '\0') {
			/* One trailing ';' is fine; other empty items not. */
			if (cursor == NULL && seen != 0)
				break;
			set_err(err, errlen, "empty item in the rule (want "
			    "key=value; key=value...)");
			r = RSG_ERR_FORMAT;
			goto out;
		}
		if ((eq = strchr(item, '=')) == NULL) {
			set_err(err, errlen, "\"%s\" is not key=value",
			    q(item, e, sizeof(e)));
			r = RSG_ERR_FORMAT;
			goto out;
		}
		*eq = '\0';
		key = trim(item);
		val = trim(eq + 1);
		for (k = 0; k < KEY_COUNT; k++)
			if (strcmp(key, key_names[k]) == 0)
				break;
		if (k == KEY_COUNT) {
			set_err(err, errlen, "unknown key \"%s\" (known: "
			    "engineer, device, service, days, hours, max)",
			    q(key, e, sizeof(e)));
			r = RSG_ERR_FORMAT;
			goto out;
		}
		if (seen & (1u << k)) {
			set_err(err, errlen, "%s= given twice", key_names[k]);
			r = RSG_ERR_FORMAT;
			goto out;
		}
		seen |= 1u << k;
		if (*val == '\0') {
			set_err(err, errlen, "empty value for %s=",
			    key_names[k]);
			r = RSG_ERR_FORMAT;
			goto out;
		}
		if ((r = rule_item(p, rule, (enum rule_key)k, val, err,
		    errlen)) != 0)
			goto out;
	}
	for (k = KEY_ENGINEER; k <= KEY_SERVICE; k++) {
		if ((seen & (1u << k)) == 0) {
			set_err(err, errlen, "%s= is required", key_names[k]);
			r = RSG_ERR_FORMAT;
			goto out;
		}
	}
	if (rule->days == 0) {
		set_err(err, errlen, "days= names no day");
		r = RSG_ERR_FORMAT;
		goto out;
	}
	rule_window_text(rule);
	if ((v = realloc(p->rules, (p->n_rules + 1) * sizeof(*v))) == NULL) {
		set_err(err, errlen, "out of memory");
		r = RSG_ERR_NOMEM;
		goto out;
	}
	p->rules = v;
	p->rules[p->n_rules++] = rule;
	rule = NULL;
	r = 0;
 out:
	rule_free(rule);
	return r;
}

/* ---- evaluation ------------------------------------------------------- */

static int
principal_match(const struct policy *p, const struct principal *pr,
    const char *cn, const uint8_t fpr[FPR_LEN])
{
	const struct policy_group *g;
	size_t i;

	switch (pr->kind) {
	case PRINCIPAL_CN:
		return strcmp(pr->cn, cn) == 0;
	case PRINCIPAL_FPR:
		return memcmp(pr->fpr, fpr, FPR_LEN) == 0;
	case PRINCIPAL_GROUP:
		g = p->groups[pr->group];
		for (i = 0; i < g->n_members; i++)
			if (principal_match(p, &g->members[i], cn, fpr))
				return 1;
		return 0;
	}
	return 0;
}

static int
engineer_match(const struct policy *p, const struct policy_rule *rule,
    const char *cn, const uint8_t fpr[FPR_LEN])
{
	size_t i;

	for (i = 0; i < rule->n_engineers; i++)
		if (principal_match(p, &rule->engineers[i], cn, fpr))
			return 1;
	return 0;
}

static int
names_match(const struct name_list *l, const char *name)
{
	size_t i;

	if (l->any)
		return 1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 1;
	return 0;
}

/* A window that wraps midnight belongs to the day it starts on. */
static int
time_match(const struct policy_rule *rule, unsigned wday, unsigned minute)
{
	unsigned day = wday;

	if (!rule->all_day) {
		if (rule->start < rule->end) {
			if (minute < rule->start || minute >= rule->end)
				return 0;
		} else if (minute < rule->end)
			day = (wday + 6) % 7;
		else if (minute < rule->start)
			return 0;
	}
	return (rule->days & (1u << day)) != 0;
}

/*
 * The rule's window in canonical form for deny reasons: "08:00-18:00" and
 * days Monday first, runs of three or more as ranges ("mon-fri",
 * "sat,sun", "mon,fri-sun"). Empty strings for all day / every day.
 */
static void
rule_window_text(struct policy_rule *rule)
{
	static const unsigned order[7] = { 1, 2, 3, 4, 5, 6, 0 };
	char *d = rule->days_text;
	size_t len = sizeof(rule->days_text), o = 0;
	unsigned i, j;
	int n;

	rule->hours_text[0] = '\0';
	if (!rule->all_day)
		snprintf(rule->hours_text, sizeof(rule->hours_text),
		    "%02u:%02u-%02u:%02u", rule->start / 60, rule->start % 60,
		    rule->end / 60, rule->end % 60);
	d[0] = '\0';
	if (rule->days == DAYS_ALL)
		return;
	for (i = 0; i < 7; i = j) {
		if ((rule->days & (1u << order[i])) == 0) {
			j = i + 1;
			continue;
		}
		for (j = i; j < 7 && (rule->days & (1u << order[j])); j++)
			;
		/* At most 7 names of 3 bytes with separators: fits. */
		if (j - i >= 3)
			n = snprintf(d + o, len - o, "%s%s-%s", o ? "," : "",
			    day_names[order[i]], day_names[order[j - 1]]);
		else if (j - i == 2)
			n = snprintf(d + o, len - o, "%s%s,%s", o ? "," : "",
			    day_names[order[i]], day_names[order[i + 1]]);
		else
			n = snprintf(d + o, len - o, "%s%s", o ? "," : "",
			    day_names[order[i]]);
		if (n < 0 || (size_t)n >= len - o)
			return;
		o += (size_t)n;
	}
}

static void
deny_time(const struct policy_rule *rule, char *out, size_t len)
{
	if (rule->hours_text[0] == '\0')
		snprintf(out, len, "outside the allowed days (%s)",
		    rule->days_text);
	else if (rule->days_text[0] == '\0')
		snprintf(out, len, "outside the allowed hours (%s)",
		    rule->hours_text);
	else
		snprintf(out, len, "outside the allowed hours (%s %s)",
		    rule->hours_text, rule->days_text);
}

int
policy_check(const struct policy *p, const struct policy_request *req,
    struct policy_decision *out)
{
	struct policy_decision d;
	const struct policy_rule *rule;
	uint8_t fpr[FPR_LEN];
	char cn[64], dev[48], svc[48];
	struct tm tm;
	time_t t;
	unsigned stage, best = 0, wday, minute;
	size_t i, best_rule = POLICY_RULE_NONE;
	int r;

	memset(&d, 0, sizeof(d));
	d.rule = POLICY_RULE_NONE;
	if (out == NULL)
		return RSG_ERR_INVALID_ARG;
	if (p == NULL || req == NULL || req->engineer_cn == NULL ||
	    req->engineer_fpr_hex == NULL || req->device == NULL ||
	    req->service == NULL) {
		snprintf(d.reason, sizeof(d.reason), "invalid request: a "
		    "field is missing");
		r = RSG_ERR_INVALID_ARG;
		goto out;
	}
	if (hex_decode(req->engineer_fpr_hex, fpr, FPR_LEN) != 0) {
		snprintf(d.reason, sizeof(d.reason), "invalid request: the "
		    "engineer's fingerprint is not 64 hex digits");
		r = RSG_ERR_INVALID_ARG;
		goto out;
	}
	t = (time_t)req->now;
	if ((int64_t)t != req->now || localtime_r(&t, &tm) == NULL ||
	    tm.tm_wday < 0 || tm.tm_wday > 6) {
		snprintf(d.reason, sizeof(d.reason), "invalid request: the "
		    "time cannot be converted to local time");
		r = RSG_ERR_INVALID_ARG;
		goto out;
	}
	wday = (unsigned)tm.tm_wday;
	minute = (unsigned)(tm.tm_hour * 60 + tm.tm_min);

	for (i = 0; i < p->n_rules; i++) {
		rule = p->rules[i];
		stage = 0;
		if (engineer_match(p, rule, req->engineer_cn, fpr)) {
			stage = 1;
			if (names_match(&rule->devices, req->device)) {
				stage = 2;
				if (names_match(&rule->services,
				    req->service)) {
					stage = 3;
					if (time_match(rule, wday, minute))
						stage = 4;
				}
			}
		}
		if (stage == 4) {
			d.allowed = 1;
			d.rule = i;
			d.max_secs = rule->max_secs;
			snprintf(d.reason, sizeof(d.reason), "allowed by "
			    "standing policy rule %zu", i + 1);
			r = 0;
			goto out;
		}
		if (stage > best) {
			best = stage;
			best_rule = i;
		}
	}

	q(req->engineer_cn, cn, sizeof(cn));
	q(req->device, dev, sizeof(dev));
	q(req->service, svc, sizeof(svc));
	d.rule = best_rule;
	switch (best) {
	case 0:
		snprintf(d.reason, sizeof(d.reason), "no standing policy "
		    "allows engineer \"%s\"", cn);
		break;
	case 1:
		snprintf(d.reason, sizeof(d.reason), "no standing policy "
		    "allows engineer \"%s\" to reach device \"%s\"", cn, dev);
		break;
	case 2:
		snprintf(d.reason, sizeof(d.reason), "no standing policy "
		    "allows engineer \"%s\" to use service \"%s\" on device "
		    "\"%s\"", cn, svc, dev);
		break;
	default:
		deny_time(p->rules[best_rule], d.reason, sizeof(d.reason));
		break;
	}
	r = RSG_ERR_NOT_FOUND;
 out:
	if (r != 0) {
		d.allowed = 0;
		d.max_secs = 0;
	}
	*out = d;
	return r;
}

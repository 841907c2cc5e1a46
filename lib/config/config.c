/*
 * config.c: the table-driven configuration parser. A file is parsed into a
 * scratch copy and swapped in only when every line is good, so a bad file
 * changes nothing. Values are checked against the table as they are read and
 * kept as the text the user wrote (dumps show what was configured); typed
 * getters convert the already-checked text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/config.h"

#define CONFIG_STRING_DEFAULT_MAX 1024
#define CONFIG_PATH_MAX 4096

struct config_value {
	char **v;	/* values as written */
	size_t n;
};

struct config {
	const struct config_table *t;
	struct config_value *vals;	/* one per table option */
};

static const char *const type_names[] = {
	"string", "path", "integer", "yes/no", "duration", "choice",
};

int
config_new(const struct config_table *t, struct config **out)
{
	struct config *c;

	if (t == NULL || t->n_options == 0)
		return RSG_ERR_INVALID_ARG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return RSG_ERR_NOMEM;
	if ((c->vals = calloc(t->n_options, sizeof(*c->vals))) == NULL) {
		free(c);
		return RSG_ERR_NOMEM;
	}
	c->t = t;
	*out = c;
	return 0;
}

static void
values_free(struct config_value *vals, size_t n, const struct config_table *t)
{
	size_t i, j;

	if (vals == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < vals[i].n; j++) {
			if (t->options[i].flags & CONFIG_F_SENSITIVE)
				mem_wipe(vals[i].v[j], strlen(vals[i].v[j]));
			free(vals[i].v[j]);
		}
		free(vals[i].v);
	}
	free(vals);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	values_free(c->vals, c->t->n_options, c->t);
	free(c);
}

static int
option_index(const struct config_table *t, const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < t->n_options; i++) {
		if (strcmp(t->options[i].key, key) == 0) {
			*idx = i;
			return 0;
		}
	}
	return RSG_ERR_NOT_FOUND;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Check value against option o; on error, reason gets why. */
static int
check_value(const struct config_option *o, const char *value, char *reason,
    size_t rlen)
{
	const char *const *ch;
	uint64_t u;
	int64_t i;
	size_t len = strlen(value), max;
	int b;

	switch (o->type) {
	case CONFIG_STRING:
		max = o->max > 0 ? (size_t)o->max : CONFIG_STRING_DEFAULT_MAX;
		if (len < (size_t)(o->min > 0 ? o->min : 0) || len > max) {
			snprintf(reason, rlen, "must be %lld to %zu characters",
			    (long long)(o->min > 0 ? o->min : 0), max);
			return RSG_ERR_RANGE;
		}
		break;
	case CONFIG_PATH:
		if (len == 0 || len > CONFIG_PATH_MAX) {
			snprintf(reason, rlen, "must be a path of 1 to %d "
			    "characters", CONFIG_PATH_MAX);
			return RSG_ERR_RANGE;
		}
		break;
	case CONFIG_INT:
		if (parse_i64(value, o->min, o->max, &i) != 0) {
			snprintf(reason, rlen, "must be an integer from "
			    "%lld to %lld", (long long)o->min, (long long)o->max);
			return RSG_ERR_RANGE;
		}
		break;
	case CONFIG_BOOL:
		if (parse_bool(value, &b) != 0) {
			snprintf(reason, rlen, "must be yes or no");
			return RSG_ERR_FORMAT;
		}
		break;
	case CONFIG_DURATION:
		if (parse_duration(value, (uint64_t)o->min, (uint64_t)o->max,
		    &u) != 0) {
			snprintf(reason, rlen, "must be a duration from %llds "
			    "to %llds (units s, m, h, d, w)", (long long)o->min,
			    (long long)o->max);
			return RSG_ERR_RANGE;
		}
		break;
	case CONFIG_ENUM:
		for (ch = o->choices; ch != NULL && *ch != NULL; ch++)
			if (strcmp(*ch, value) == 0)
				return 0;
		snprintf(reason, rlen, "must be one of:");
		for (ch = o->choices; ch != NULL && *ch != NULL; ch++) {
			size_t used = strlen(reason);
			snprintf(reason + used, rlen - used, " %s", *ch);
		}
		return RSG_ERR_RANGE;
	}
	if (has_control(value)) {
		snprintf(reason, rlen, "must not contain control characters");
		return RSG_ERR_FORMAT;
	}
	return 0;
}

static int
value_add(struct config_value *cv, const char *value)
{
	char **nv, *s;

	if (cv->n >= CONFIG_VALUES_MAX)
		return RSG_ERR_LIMIT;
	if ((s = strdup(value)) == NULL)
		return RSG_ERR_NOMEM;
	if ((nv = realloc(cv->v, (cv->n + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return RSG_ERR_NOMEM;
	}
	nv[cv->n++] = s;
	cv->v = nv;
	return 0;
}

static void
value_clear(struct config_value *cv, int sensitive)
{
	size_t j;

	for (j = 0; j < cv->n; j++) {
		if (sensitive)
			mem_wipe(cv->v[j], strlen(cv->v[j]));
		free(cv->v[j]);
	}
	free(cv->v);
	cv->v = NULL;
	cv->n = 0;
}

/* Apply key = value to vals; where is "FILE:LINE" for messages. */
static int
apply(const struct config_table *t, struct config_value *vals,
    const char *where, const char *key, const char *value, char *err,
    size_t errlen)
{
	const struct config_option *o;
	char reason[256], qkey[96], qval[96];
	size_t idx;
	int r;

	str_escape(key, qkey, sizeof(qkey));
	if (option_index(t, key, &idx) != 0) {
		snprintf(err, errlen, "%s: unknown option \"%s\"", where, qkey);
		return RSG_ERR_CONFIG;
	}
	o = &t->options[idx];
	if ((r = check_value(o, value, reason, sizeof(reason))) != 0) {
		if (o->flags & CONFIG_F_SENSITIVE)
			snprintf(err, errlen, "%s: %s: bad value (redacted): %s",
			    where, qkey, reason);
		else
			snprintf(err, errlen, "%s: %s: bad value \"%s\": %s",
			    where, qkey, str_escape(value, qval, sizeof(qval)),
			    reason);
		return RSG_ERR_CONFIG;
	}
	if (vals[idx].n > 0 && !(o->flags & CONFIG_F_MULTI)) {
		snprintf(err, errlen, "%s: %s: given more than once", where,
		    qkey);
		return RSG_ERR_CONFIG;
	}
	if ((r = value_add(&vals[idx], value)) != 0) {
		snprintf(err, errlen, "%s: %s: %s", where, qkey,
		    r == RSG_ERR_LIMIT ? "too many values" : rsg_strerror(r));
		return r == RSG_ERR_NOMEM ? r : RSG_ERR_CONFIG;
	}
	return 0;
}

/*
 * Split one line into key and value, in place. Returns 0 with *key NULL for
 * a blank or comment line.
 */
static int
split_line(char *line, char **keyp, char **valp, const char **reason)
{
	char *p = line, *key, *val, *w;

	*keyp = *valp = NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	key = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	if (p == key || (*p != ' ' && *p != '\t' && *p != '\0')) {
		*reason = "expected \"key value\" (keys are lower-case letters, "
		    "digits and _)";
		return RSG_ERR_FORMAT;
	}
	if (*p != '\0')
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#') {
		*reason = "missing value";
		return RSG_ERR_FORMAT;
	}
	if (*p == '"') {
		/* Quoted: \" and \\ are the only escapes. */
		val = w = ++p;
		for (;;) {
			if (*p == '\0') {
				*reason = "unterminated quoted value";
				return RSG_ERR_FORMAT;
			}
			if (*p == '"')
				break;
			if (*p == '\\') {
				if (p[1] != '"' && p[1] != '\\') {
					*reason = "bad escape in quoted value "
					    "(only \\\" and \\\\)";
					return RSG_ERR_FORMAT;
				}
				p++;
			}
			*w++ = *p++;
		}
		p++;
		*w = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#') {
			*reason = "text after quoted value";
			return RSG_ERR_FORMAT;
		}
	} else {
		val = p;
		while (*p != '\0' && *p != '#')
			p++;
		while (p > val && (p[-1] == ' ' || p[-1] == '\t'))
			p--;
		*p = '\0';
	}
	*keyp = key;
	*valp = val;
	return 0;
}

static int
values_clone(const struct config *c, struct config_value **out)
{
	struct config_value *v;
	size_t i, j;

	if ((v = calloc(c->t->n_options, sizeof(*v))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < c->t->n_options; i++) {
		for (j = 0; j < c->vals[i].n; j++) {
			if (value_add(&v[i], c->vals[i].v[j]) != 0) {
				values_free(v, c->t->n_options, c->t);
				return RSG_ERR_NOMEM;
			}
		}
	}
	*out = v;
	return 0;
}

int
config_load_string(struct config *c, const char *name, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct config_value *scratch = NULL;
	char line[CONFIG_LINE_MAX + 2], where[512], qname[256];
	const char *reason, *p = text, *end = text + len, *nl, *nul, *q;
	const char *next;
	char *key, *val;
	size_t n, lineno = 0;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	str_escape(name, qname, sizeof(qname));
	if (len > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: file larger than %d bytes", qname,
		    CONFIG_FILE_MAX);
		return RSG_ERR_LIMIT;
	}
	if (len > 0 && (nul = memchr(text, '\0', len)) != NULL) {
		/* Name the line, like every other error, so it can be found. */
		for (q = text; q < nul; q++)
			if (*q == '\n')
				lineno++;
		snprintf(err, errlen, "%s:%zu: contains a NUL byte: not a "
		    "text file", qname, lineno + 1);
		return RSG_ERR_FORMAT;
	}
	if ((r = values_clone(c, &scratch)) != 0) {
		snprintf(err, errlen, "%s: %s", qname, rsg_strerror(r));
		return r;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		next = p + n + (nl != NULL ? 1 : 0);
		/* A CRLF line is as long as its LF twin. */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		snprintf(where, sizeof(where), "%s:%zu", qname, lineno);
		if (n > CONFIG_LINE_MAX) {
			snprintf(err, errlen, "%s: line longer than %d bytes",
			    where, CONFIG_LINE_MAX);
			r = RSG_ERR_LIMIT;
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = next;
		if (split_line(line, &key, &val, &reason) != 0) {
			snprintf(err, errlen, "%s: %s", where, reason);
			r = RSG_ERR_CONFIG;
			goto out;
		}
		if (key == NULL)
			continue;
		if ((r = apply(c->t, scratch, where, key, val, err,
		    errlen)) != 0)
			goto out;
	}
	/* Every line was good: swap the scratch copy in. */
	values_free(c->vals, c->t->n_options, c->t);
	c->vals = scratch;
	scratch = NULL;
	r = 0;
 out:
	mem_wipe(line, sizeof(line));
	values_free(scratch, c->t->n_options, c->t);
	return r;
}

int
config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	struct rsg_buf *b = NULL;
	char qpath[256];
	int r;

	if ((r = file_read_all(path, CONFIG_FILE_MAX, &b)) != 0) {
		str_escape(path, qpath, sizeof(qpath));
		if (r == RSG_ERR_LIMIT)
			snprintf(err, errlen, "%s: file larger than %d bytes",
			    qpath, CONFIG_FILE_MAX);
		else if (r == RSG_ERR_NOT_FOUND)
			snprintf(err, errlen, "%s: no such file", qpath);
		else
			snprintf(err, errlen, "%s: cannot read: %s", qpath,
			    rsg_strerror(r));
		return r;
	}
	r = config_load_string(c, path, (const char *)buf_ptr(b), buf_len(b),
	    err, errlen);
	buf_free(b);
	return r;
}

int
config_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct config_value *scratch = NULL;
	size_t idx;
	int r;

	if ((r = values_clone(c, &scratch)) != 0) {
		snprintf(err, errlen, "%s", rsg_strerror(r));
		return r;
	}
	/* An override replaces a single-valued key rather than repeating it. */
	if (option_index(c->t, key, &idx) == 0 &&
	    !(c->t->options[idx].flags & CONFIG_F_MULTI))
		value_clear(&scratch[idx],
		    c->t->options[idx].flags & CONFIG_F_SENSITIVE);
	if ((r = apply(c->t, scratch, "command line", key, value, err,
	    errlen)) != 0) {
		values_free(scratch, c->t->n_options, c->t);
		return r;
	}
	values_free(c->vals, c->t->n_options, c->t);
	c->vals = scratch;
	return 0;
}

int
config_validate(const struct config *c, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < c->t->n_options; i++) {
		const struct config_option *o = &c->t->options[i];
		if ((o->flags & CONFIG_F_REQUIRED) && c->vals[i].n == 0 &&
		    o->def == NULL) {
			snprintf(err, errlen, "required option \"%s\" is not set",
			    o->key);
			return RSG_ERR_CONFIG;
		}
	}
	return 0;
}

static const char *
get_raw(const struct config *c, const char *key, const struct config_option **op)
{
	size_t idx;

	if (c == NULL || option_index(c->t, key, &idx) != 0)
		return NULL;
	*op = &c->t->options[idx];
	if (c->vals[idx].n > 0)
		return c->vals[idx].v[0];
	return c->t->options[idx].def;
}

const char *
config_get_string(const struct config *c, const char *key)
{
	const struct config_option *o;

	return get_raw(c, key, &o);
}

int64_t
config_get_int(const struct config *c, const char *key)
{
	const struct config_option *o;
	const char *s = get_raw(c, key, &o);
	uint64_t u;
	int64_t v;

	if (s == NULL)
		return 0;
	if (o->type == CONFIG_DURATION)
		return parse_duration(s, 0, INT64_MAX, &u) == 0 ? (int64_t)u : 0;
	return parse_i64(s, INT64_MIN, INT64_MAX, &v) == 0 ? v : 0;
}

int
config_get_bool(const struct config *c, const char *key)
{
	const struct config_option *o;
	const char *s = get_raw(c, key, &o);
	int b;

	return s != NULL && parse_bool(s, &b) == 0 ? b : 0;
}

int
config_is_set(const struct config *c, const char *key)
{
	size_t idx;

	if (c == NULL || option_index(c->t, key, &idx) != 0)
		return 0;
	return c->vals[idx].n > 0;
}

size_t
config_get_count(const struct config *c, const char *key)
{
	size_t idx;

	if (c == NULL || option_index(c->t, key, &idx) != 0)
		return 0;
	if (c->vals[idx].n == 0 && c->t->options[idx].def != NULL)
		return 1;
	return c->vals[idx].n;
}

const char *
config_get_nth(const struct config *c, const char *key, size_t i)
{
	size_t idx;

	if (c == NULL || option_index(c->t, key, &idx) != 0)
		return NULL;
	if (c->vals[idx].n == 0)
		return i == 0 ? c->t->options[idx].def : NULL;
	return i < c->vals[idx].n ? c->vals[idx].v[i] : NULL;
}

/* Write value so that the parser reads it back unchanged. */
static int
put_value(struct rsg_buf *out, const char *v)
{
	int r = 0;

	if (*v != '\0' && strpbrk(v, "\"\\#") == NULL && v[0] != ' ' &&
	    v[strlen(v) - 1] != ' ' && v[0] != '\t')
		return buf_putf(out, "%s", v);
	if ((r = buf_put_u8(out, '"')) != 0)
		return r;
	for (; *v != '\0' && r == 0; v++) {
		if (*v == '"' || *v == '\\')
			r = buf_put_u8(out, '\\');
		if (r == 0)
			r = buf_put_u8(out, (uint8_t)*v);
	}
	return r != 0 ? r : buf_put_u8(out, '"');
}

int
config_dump(const struct config *c, struct rsg_buf *out)
{
	size_t i, j;
	int r = 0;

	r = buf_putf(out, "# effective configuration of %s; sensitive values "
	    "redacted\n", c->t->program);
	for (i = 0; i < c->t->n_options && r == 0; i++) {
		const struct config_option *o = &c->t->options[i];
		const struct config_value *cv = &c->vals[i];
		size_t n = cv->n;

		if (n == 0 && o->def == NULL) {
			r = buf_putf(out, "# %s (not set)\n", o->key);
			continue;
		}
		for (j = 0; j < (n > 0 ? n : 1) && r == 0; j++) {
			const char *v = n > 0 ? cv->v[j] : o->def;
			if ((r = buf_putf(out, "%s ", o->key)) != 0)
				break;
			if (o->flags & CONFIG_F_SENSITIVE)
				r = buf_putf(out, "<redacted>");
			else
				r = put_value(out, v);
			if (r == 0)
				r = buf_putf(out, "%s\n", n == 0 ?
				    "  # default" : "");
		}
	}
	return r;
}

/*
 * Text inside a Markdown table cell: a '|' would end the cell (even inside
 * a code span, in GitHub's tables), so it is escaped; newlines would end
 * the row, so they become spaces.
 */
static int
put_md_cell(struct rsg_buf *out, const char *s)
{
	int r = 0;

	for (; s != NULL && *s != '\0' && r == 0; s++) {
		if (*s == '|')
			r = buf_put(out, "\\|", 2);
		else if (*s == '\n')
			r = buf_put_u8(out, ' ');
		else
			r = buf_put_u8(out, (uint8_t)*s);
	}
	return r;
}

static int
put_range(struct rsg_buf *out, const struct config_option *o)
{
	const char *const *ch;
	int r = 0;

	switch (o->type) {
	case CONFIG_INT:
		return buf_putf(out, "%lld to %lld", (long long)o->min,
		    (long long)o->max);
	case CONFIG_DURATION:
		return buf_putf(out, "%llds to %llds", (long long)o->min,
		    (long long)o->max);
	case CONFIG_STRING:
		return buf_putf(out, "%lld to %lld characters",
		    (long long)(o->min > 0 ? o->min : 0),
		    (long long)(o->max > 0 ? o->max : CONFIG_STRING_DEFAULT_MAX));
	case CONFIG_ENUM:
		for (ch = o->choices; ch != NULL && *ch != NULL && r == 0;
		    ch++) {
			if (ch != o->choices)
				r = buf_putf(out, ", ");
			if (r == 0)
				r = put_md_cell(out, *ch);
		}
		return r;
	case CONFIG_PATH:
	case CONFIG_BOOL:
		break;
	}
	return buf_putf(out, "-");
}

int
config_doc_markdown(const struct config_table *t, struct rsg_buf *out)
{
	size_t i;
	int r;

	r = buf_putf(out, "## %s\n\n%s\n\n| key | type | default | allowed "
	    "| description |\n|---|---|---|---|---|\n", t->program, t->summary);
	for (i = 0; i < t->n_options && r == 0; i++) {
		const struct config_option *o = &t->options[i];
		r = buf_putf(out, "| `%s` | %s | ", o->key,
		    type_names[o->type]);
		if (r == 0 && o->def != NULL) {
			r = buf_putf(out, "`");
			if (r == 0)
				r = put_md_cell(out, o->def);
			if (r == 0)
				r = buf_putf(out, "`");
		} else if (r == 0)
			r = buf_putf(out, "(none)");
		if (r == 0)
			r = buf_putf(out, " | ");
		if (r == 0)
			r = put_range(out, o);
		if (r == 0)
			r = buf_putf(out, " | ");
		if (r == 0)
			r = put_md_cell(out, o->help);
		if (r == 0)
			r = buf_putf(out, "%s%s%s |\n",
			    (o->flags & CONFIG_F_REQUIRED) ? " Required." : "",
			    (o->flags & CONFIG_F_MULTI) ? " May be repeated." : "",
			    (o->flags & CONFIG_F_SENSITIVE) ?
			    " Sensitive: redacted in `-T` output." : "");
	}
	if (r == 0)
		r = buf_putf(out, "\n");
	return r;
}

int
config_help_text(const struct config_table *t, struct rsg_buf *out)
{
	size_t i;
	int r;

	r = buf_putf(out, "Configuration keys of %s (\"key value\" per line):\n",
	    t->program);
	for (i = 0; i < t->n_options && r == 0; i++) {
		const struct config_option *o = &t->options[i];
		r = buf_putf(out, "  %-22s %s [%s; default %s]\n", o->key,
		    o->help, type_names[o->type],
		    o->def != NULL ? o->def : "none");
	}
	return r;
}

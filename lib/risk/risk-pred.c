/*
 * risk-pred.c: the predicate language of the risk register, a small
 * recursive-descent parser over a token list and a tri-state evaluator.
 * Comparisons "fact op literal" joined by and/or/not and parentheses; no
 * functions, no eval. Every input is bounded (bytes, nodes, depth) because
 * registers are edited by people and fuzzed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/risk.h"
#include "risk-int.h"

enum tok_kind { TK_WORD, TK_OP, TK_LP, TK_RP, TK_END };

struct pctx {
	const char *s;
	size_t pos;
	enum tok_kind kind;
	char tok[RISK_PRED_MAX + 1];
	enum pred_op op;
	int quoted;
	size_t nodes;
	char *err;
	size_t errlen;
};

static const char *const op_names[] = { "==", "!=", "<", "<=", ">", ">=" };

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	    c == ':' || c == '/';
}

static int
perr(struct pctx *c, const char *what)
{
	if (c->err != NULL)
		snprintf(c->err, c->errlen, "predicate: %s at offset %zu",
		    what, c->pos);
	return RSG_ERR_FORMAT;
}

static int
next(struct pctx *c)
{
	const char *s = c->s;
	size_t n = 0;

	while (s[c->pos] == ' ' || s[c->pos] == '\t')
		c->pos++;
	c->quoted = 0;
	c->tok[0] = '\0';
	if (s[c->pos] == '\0') {
		c->kind = TK_END;
		return 0;
	}
	if (s[c->pos] == '(' || s[c->pos] == ')') {
		c->kind = s[c->pos] == '(' ? TK_LP : TK_RP;
		c->pos++;
		return 0;
	}
	if (strchr("=!<>", s[c->pos]) != NULL) {
		c->kind = TK_OP;
		if (s[c->pos + 1] == '=') {
			switch (s[c->pos]) {
			case '=': c->op = OP_EQ; break;
			case '!': c->op = OP_NE; break;
			case '<': c->op = OP_LE; break;
			default: c->op = OP_GE; break;
			}
			c->pos += 2;
			return 0;
		}
		if (s[c->pos] == '<' || s[c->pos] == '>') {
			c->op = s[c->pos] == '<' ? OP_LT : OP_GT;
			c->pos++;
			return 0;
		}
		return perr(c, "bad operator");
	}
	c->kind = TK_WORD;
	if (s[c->pos] == '"') {
		c->pos++;
		while (s[c->pos] != '"') {
			if (s[c->pos] == '\0')
				return perr(c, "unterminated string");
			if ((unsigned char)s[c->pos] < 0x20)
				return perr(c, "control character");
			c->tok[n++] = s[c->pos++];
		}
		c->pos++;
		c->tok[n] = '\0';
		c->quoted = 1;
		return 0;
	}
	while (word_char(s[c->pos]))
		c->tok[n++] = s[c->pos++];
	c->tok[n] = '\0';
	if (n == 0)
		return perr(c, "unexpected character");
	return 0;
}

struct risk_pred *
risk_pred_node(enum pred_kind kind)
{
	struct risk_pred *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->kind = kind;
	return p;
}

int
risk_pred_add_kid(struct risk_pred *p, struct risk_pred *kid)
{
	struct risk_pred **k;

	if (p->n_kids >= RISK_PRED_NODES_MAX)
		return RSG_ERR_LIMIT;
	if ((k = realloc(p->kids, (p->n_kids + 1) * sizeof(*k))) == NULL)
		return RSG_ERR_NOMEM;
	p->kids = k;
	p->kids[p->n_kids++] = kid;
	return 0;
}

void
risk_pred_free(struct risk_pred *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_kids; i++)
		risk_pred_free(p->kids[i]);
	free(p->kids);
	free(p->fact);
	free(p->lit);
	free(p);
}

static int parse_or(struct pctx *c, int depth, struct risk_pred **out);

static int
new_node(struct pctx *c, enum pred_kind kind, struct risk_pred **out)
{
	if (++c->nodes > RISK_PRED_NODES_MAX) {
		(void)perr(c, "too many nodes");
		return RSG_ERR_LIMIT;
	}
	if ((*out = risk_pred_node(kind)) == NULL)
		return RSG_ERR_NOMEM;
	return 0;
}

static int
parse_unary(struct pctx *c, int depth, struct risk_pred **out)
{
	struct risk_pred *p = NULL, *k = NULL;
	int r;

	if (depth > RISK_DEPTH_MAX) {
		(void)perr(c, "nested too deeply");
		return RSG_ERR_LIMIT;
	}
	if (c->kind == TK_LP) {
		if ((r = next(c)) != 0 || (r = parse_or(c, depth + 1, &p)) != 0)
			return r;
		if (c->kind != TK_RP) {
			risk_pred_free(p);
			return perr(c, "expected ')'");
		}
		if ((r = next(c)) != 0) {
			risk_pred_free(p);
			return r;
		}
		*out = p;
		return 0;
	}
	if (c->kind == TK_WORD && !c->quoted && strcmp(c->tok, "not") == 0) {
		if ((r = next(c)) != 0 ||
		    (r = parse_unary(c, depth + 1, &k)) != 0)
			return r;
		if ((r = new_node(c, PRED_NOT, &p)) != 0 ||
		    (r = risk_pred_add_kid(p, k)) != 0) {
			risk_pred_free(k);
			risk_pred_free(p);
			return r;
		}
		*out = p;
		return 0;
	}
	if (c->kind != TK_WORD || c->quoted)
		return perr(c, "expected a fact name");
	if ((r = new_node(c, PRED_CMP, &p)) != 0)
		return r;
	if ((p->fact = strdup(c->tok)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto fail;
	}
	if ((r = next(c)) != 0)
		goto fail;
	if (c->kind != TK_OP) {
		r = perr(c, "expected an operator");
		goto fail;
	}
	p->op = c->op;
	if ((r = next(c)) != 0)
		goto fail;
	if (c->kind != TK_WORD) {
		r = perr(c, "expected a value");
		goto fail;
	}
	if ((p->lit = strdup(c->tok)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto fail;
	}
	if ((r = next(c)) != 0)
		goto fail;
	*out = p;
	return 0;
 fail:
	risk_pred_free(p);
	return r;
}

static int
parse_seq(struct pctx *c, int depth, const char *kw, enum pred_kind kind,
    struct risk_pred **out)
{
	struct risk_pred *first = NULL, *p = NULL, *k = NULL;
	int r;

	r = kind == PRED_ALL ? parse_unary(c, depth, &first) :
	    parse_seq(c, depth, "and", PRED_ALL, &first);
	if (r != 0)
		return r;
	while (c->kind == TK_WORD && !c->quoted && strcmp(c->tok, kw) == 0) {
		if (p == NULL) {
			if ((r = new_node(c, kind, &p)) != 0 ||
			    (r = risk_pred_add_kid(p, first)) != 0) {
				risk_pred_free(first);
				goto fail;
			}
		}
		if ((r = next(c)) != 0)
			goto fail;
		r = kind == PRED_ALL ? parse_unary(c, depth, &k) :
		    parse_seq(c, depth, "and", PRED_ALL, &k);
		if (r != 0)
			goto fail;
		if ((r = risk_pred_add_kid(p, k)) != 0) {
			risk_pred_free(k);
			goto fail;
		}
	}
	*out = p != NULL ? p : first;
	return 0;
 fail:
	risk_pred_free(p);
	return r;
}

static int
parse_or(struct pctx *c, int depth, struct risk_pred **out)
{
	return parse_seq(c, depth, "or", PRED_ANY, out);
}

int
risk_pred_parse(const char *text, struct risk_pred **out, char *err,
    size_t errlen)
{
	struct pctx *c;
	struct risk_pred *p = NULL;
	int r;

	if (strlen(text) > RISK_PRED_MAX) {
		if (err != NULL)
			snprintf(err, errlen, "predicate: longer than %d bytes",
			    RISK_PRED_MAX);
		return RSG_ERR_LIMIT;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return RSG_ERR_NOMEM;
	c->s = text;
	c->err = err;
	c->errlen = errlen;
	if ((r = next(c)) != 0 || (r = parse_or(c, 0, &p)) != 0)
		goto out;
	if (c->kind != TK_END) {
		r = perr(c, "unexpected text after the predicate");
		goto out;
	}
	*out = p;
	p = NULL;
 out:
	risk_pred_free(p);
	free(c);
	return r;
}

/* Dotted non-negative numbers: "1.3", "900". 0 if not one. */
static int
is_dotted(const char *s)
{
	int digit = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9')
			digit = 1;
		else if (*s == '.' && digit)
			digit = 0;
		else
			return 0;
	}
	return digit;
}

/* Compare dotted numbers component by component ("1.10" > "1.9"). */
static int
cmp_dotted(const char *a, const char *b)
{
	while (*a != '\0' || *b != '\0') {
		size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
		const char *pa = a, *pb = b;
		int d;

		while (la > 1 && *pa == '0') {
			pa++;
			la--;
		}
		while (lb > 1 && *pb == '0') {
			pb++;
			lb--;
		}
		if (la != lb)
			return la < lb ? -1 : 1;
		if ((d = strncmp(pa, pb, la)) != 0)
			return d < 0 ? -1 : 1;
		a = pa + la;
		b = pb + lb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return 0;
}

static int
eval_cmp(const struct risk_pred *p, const struct risk_facts *f)
{
	const char *v = risk_facts_get(f, p->fact);
	int d;

	if (v == NULL)
		return -1;
	if (is_dotted(v) && is_dotted(p->lit))
		d = cmp_dotted(v, p->lit);
	else if (p->op == OP_EQ || p->op == OP_NE)
		d = strcmp(v, p->lit) != 0;
	else
		return -1;
	switch (p->op) {
	case OP_EQ: return d == 0;
	case OP_NE: return d != 0;
	case OP_LT: return d < 0;
	case OP_LE: return d <= 0;
	case OP_GT: return d > 0;
	default: return d >= 0;
	}
}

int
risk_pred_eval(const struct risk_pred *p, const struct risk_facts *f)
{
	size_t i;
	int v, unknown = 0;

	switch (p->kind) {
	case PRED_TRUE:
		return 1;
	case PRED_CMP:
		return eval_cmp(p, f);
	case PRED_NOT:
		v = risk_pred_eval(p->kids[0], f);
		return v < 0 ? -1 : !v;
	case PRED_ALL:
		for (i = 0; i < p->n_kids; i++) {
			if ((v = risk_pred_eval(p->kids[i], f)) == 0)
				return 0;
			if (v < 0)
				unknown = 1;
		}
		return unknown ? -1 : 1;
	default:
		for (i = 0; i < p->n_kids; i++) {
			if ((v = risk_pred_eval(p->kids[i], f)) == 1)
				return 1;
			if (v < 0)
				unknown = 1;
		}
		return unknown ? -1 : 0;
	}
}

static int
format_rec(const struct risk_pred *p, struct rsg_buf *out, int top)
{
	size_t i;
	int r;

	switch (p->kind) {
	case PRED_TRUE:
		return buf_putf(out, "true");
	case PRED_CMP:
		/* Quote a literal that is not one word, and the keywords. */
		if (strspn(p->lit, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
		    "QRSTUVWXYZ0123456789_.-:/") != strlen(p->lit) ||
		    p->lit[0] == '\0' || strcmp(p->lit, "and") == 0 ||
		    strcmp(p->lit, "or") == 0 || strcmp(p->lit, "not") == 0)
			return buf_putf(out, "%s %s \"%s\"", p->fact,
			    op_names[p->op], p->lit);
		return buf_putf(out, "%s %s %s", p->fact, op_names[p->op],
		    p->lit);
	case PRED_NOT:
		if ((r = buf_putf(out, "not ")) != 0)
			return r;
		return format_rec(p->kids[0], out, 0);
	default:
		if (!top && (r = buf_putf(out, "(")) != 0)
			return r;
		for (i = 0; i < p->n_kids; i++) {
			if (i > 0 && (r = buf_putf(out, p->kind == PRED_ALL ?
			    " and " : " or ")) != 0)
				return r;
			if ((r = format_rec(p->kids[i], out, 0)) != 0)
				return r;
		}
		if (!top && (r = buf_putf(out, ")")) != 0)
			return r;
		return 0;
	}
}

int
risk_pred_format(const struct risk_pred *p, struct rsg_buf *out)
{
	return format_rec(p, out, 1);
}

const struct risk_fact_def *
risk_fact_find(const struct risk_register *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_facts; i++)
		if (strcmp(r->facts[i].name, name) == 0)
			return &r->facts[i];
	return NULL;
}

/* Type check against the register's fact schema. */
int
risk_pred_check(const struct risk_pred *p, const struct risk_register *r,
    char *err, size_t errlen)
{
	const struct risk_fact_def *d;
	size_t i;
	int ok = 0, rc;

	if (p->kind != PRED_CMP) {
		for (i = 0; i < p->n_kids; i++)
			if ((rc = risk_pred_check(p->kids[i], r, err,
			    errlen)) != 0)
				return rc;
		return 0;
	}
	if ((d = risk_fact_find(r, p->fact)) == NULL) {
		snprintf(err, errlen, "predicate names unknown fact '%.100s'",
		    p->fact);
		return RSG_ERR_FORMAT;
	}
	switch (d->type) {
	case FACT_BOOL:
		ok = (strcmp(p->lit, "true") == 0 ||
		    strcmp(p->lit, "false") == 0) &&
		    (p->op == OP_EQ || p->op == OP_NE);
		break;
	case FACT_INT:
		ok = strspn(p->lit, "0123456789") == strlen(p->lit) &&
		    p->lit[0] != '\0' && strlen(p->lit) <= 18;
		break;
	case FACT_VERSION:
		ok = is_dotted(p->lit);
		break;
	case FACT_ENUM:
		for (i = 0; i < d->n_enums; i++)
			if (strcmp(d->enums[i], p->lit) == 0)
				ok = p->op == OP_EQ || p->op == OP_NE;
		break;
	}
	if (!ok) {
		snprintf(err, errlen, "predicate '%.60s %s %.60s' does not fit "
		    "the fact's type", p->fact, op_names[p->op], p->lit);
		return RSG_ERR_FORMAT;
	}
	return 0;
}

int
risk_pred_explain(const struct risk_pred *p, const struct risk_facts *f,
    struct rsg_buf *out)
{
	const char *v;
	size_t i;
	int r;

	if (p->kind == PRED_CMP) {
		if (eval_cmp(p, f) == 1)
			return 0;
		v = risk_facts_get(f, p->fact);
		return buf_putf(out, "%s%s %s %s (is %s)",
		    buf_len(out) > 0 ? "; " : "", p->fact, op_names[p->op],
		    p->lit, v != NULL ? v : "unknown");
	}
	if (p->kind == PRED_NOT) {
		if (risk_pred_eval(p, f) == 1)
			return 0;
		if ((r = buf_putf(out, "%snot(", buf_len(out) > 0 ? "; " :
		    "")) != 0 || (r = format_rec(p->kids[0], out, 1)) != 0)
			return r;
		return buf_putf(out, ")");
	}
	for (i = 0; i < p->n_kids; i++)
		if ((r = risk_pred_explain(p->kids[i], f, out)) != 0)
			return r;
	return 0;
}

/*
 * risk-diff.c: the diff report between two evaluation records
 * (RISK-ENGINE.md §5.4): facts that changed, control states that changed,
 * rows whose value, level or status changed, each with its causal chain
 * ("`tls.mutual_auth` true→false ⇒ C-TLS unsatisfied ⇒ V 1→3 ⇒ R 6→18 ⇒
 * treat"), and register changes. The JSON is read here and nowhere else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rsgate/risk.h"
#include "risk-int.h"

static const char *
sget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
iget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int)json_integer_value(v) : -1;
}

static json_t *
find_row(json_t *rows, const char *id)
{
	size_t i;
	json_t *r;
	const char *x;

	json_array_foreach(rows, i, r) {
		if ((x = sget(r, "id")) != NULL && strcmp(x, id) == 0)
			return r;
	}
	return NULL;
}

static int
load(const char *text, size_t len, const char *what, json_t **out,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *rows, *r;
	size_t i;

	if ((j = json_loadb(text, len, 0, &je)) == NULL) {
		snprintf(err, errlen, "%s: line %d: %s", what, je.line, je.text);
		return RSG_ERR_FORMAT;
	}
	rows = json_object_get(j, "rows");
	if (!json_is_object(j) || sget(j, "schema") == NULL ||
	    strcmp(sget(j, "schema"), "rmsrisk-eval/1") != 0 ||
	    !json_is_object(json_object_get(j, "facts")) ||
	    !json_is_object(json_object_get(j, "controls")) ||
	    !json_is_array(rows))
		goto bad;
	json_array_foreach(rows, i, r) {
		if (sget(r, "id") == NULL || sget(r, "status") == NULL ||
		    iget(r, "r_now") < 0 || iget(r, "v_now") < 0 ||
		    iget(r, "t_now") < 0 || iget(r, "r_before") < 0 ||
		    !json_is_array(json_object_get(r, "controls")))
			goto bad;
	}
	*out = j;
	return 0;
 bad:
	json_decref(j);
	snprintf(err, errlen, "%s: not an rsgate risk evaluation record "
	    "(rmsrisk-eval/1)", what);
	return RSG_ERR_FORMAT;
}

/* "`f` a→b" for each fact of list that changed between the fact sets. */
static int
fact_causes(json_t *names, json_t *fo, json_t *fn, struct rsg_buf *o,
    int *any)
{
	size_t i;
	json_t *n;
	const char *a, *b;
	int rc;

	json_array_foreach(names, i, n) {
		if (!json_is_string(n))
			continue;
		a = sget(fo, json_string_value(n));
		b = sget(fn, json_string_value(n));
		if (a == NULL || b == NULL || strcmp(a, b) == 0)
			continue;
		if ((rc = buf_putf(o, "%s`%s` %s→%s", *any ? " + " : "",
		    json_string_value(n), a, b)) != 0)
			return rc;
		*any = 1;
	}
	return 0;
}

static int
row_chain(json_t *ro, json_t *rn, json_t *jo, json_t *jn, struct rsg_buf *o)
{
	json_t *co = json_object_get(jo, "controls");
	json_t *cn = json_object_get(jn, "controls");
	json_t *fo = json_object_get(jo, "facts"), *fn = json_object_get(jn,
	    "facts"), *c;
	const char *so, *sn;
	size_t i;
	int rc, any = 0, links = 0;

	if ((rc = buf_putf(o, "- **%s**: ", sget(rn, "id"))) != 0)
		return rc;
	json_array_foreach(json_object_get(rn, "controls"), i, c) {
		json_t *a, *b;

		if (!json_is_string(c))
			continue;
		a = json_object_get(co, json_string_value(c));
		b = json_object_get(cn, json_string_value(c));
		so = a != NULL ? sget(a, "state") : NULL;
		sn = b != NULL ? sget(b, "state") : NULL;
		if (so == NULL || sn == NULL || strcmp(so, sn) == 0)
			continue;
		any = 0;
		if ((rc = buf_putf(o, "%s", links > 0 ? "; " : "")) != 0 ||
		    (rc = fact_causes(json_object_get(b, "facts"), fo, fn, o,
		    &any)) != 0 || (rc = buf_putf(o, "%s%s %s", any ? " ⇒ " :
		    "", json_string_value(c), sn)) != 0)
			return rc;
		links++;
	}
	so = sget(ro, "acceptance");
	sn = sget(rn, "acceptance");
	if (so != NULL && sn != NULL && strcmp(so, sn) != 0) {
		any = 0;
		if ((rc = buf_putf(o, "%s", links > 0 ? "; " : "")) != 0 ||
		    (rc = fact_causes(json_object_get(rn, "acceptance_facts"),
		    fo, fn, o, &any)) != 0 ||
		    (rc = buf_putf(o, "%sacceptance %s", any ? " ⇒ " : "",
		    sn)) != 0)
			return rc;
		links++;
	}
	if (links == 0 && (rc = buf_putf(o, "register edited")) != 0)
		return rc;
	if (iget(ro, "t_now") != iget(rn, "t_now") && (rc = buf_putf(o,
	    " ⇒ T %d→%d", iget(ro, "t_now"), iget(rn, "t_now"))) != 0)
		return rc;
	if (iget(ro, "v_now") != iget(rn, "v_now") && (rc = buf_putf(o,
	    " ⇒ V %d→%d", iget(ro, "v_now"), iget(rn, "v_now"))) != 0)
		return rc;
	if (iget(ro, "r_now") != iget(rn, "r_now") && (rc = buf_putf(o,
	    " ⇒ R %d→%d", iget(ro, "r_now"), iget(rn, "r_now"))) != 0)
		return rc;
	so = sget(ro, "status");
	sn = sget(rn, "status");
	return buf_putf(o, " ⇒ %s%s%s\n", strcmp(so, sn) != 0 ? so : "",
	    strcmp(so, sn) != 0 ? "→" : "", sn);
}

int
risk_diff(const char *old_json, size_t old_len, const char *new_json,
    size_t new_len, struct rsg_buf *o, size_t *bad, char *err,
    size_t errlen)
{
	json_t *jo = NULL, *jn = NULL, *v, *r, *ro;
	const char *k, *a, *b;
	size_t i, nbad = 0;
	int rc, n;

	if ((rc = load(old_json, old_len, "old record", &jo, err,
	    errlen)) != 0 || (rc = load(new_json, new_len, "new record", &jn,
	    err, errlen)) != 0)
		goto out;
	a = sget(jo, "register_sha256");
	b = sget(jn, "register_sha256");
	if ((rc = buf_putf(o, "# Risk evaluation diff\n\nold: %s, facts %.16s"
	    "\nnew: %s, facts %.16s\n\n## Facts that changed\n\n",
	    sget(jo, "at") != NULL ? sget(jo, "at") : "?",
	    sget(jo, "facts_sha256") != NULL ? sget(jo, "facts_sha256") : "?",
	    sget(jn, "at") != NULL ? sget(jn, "at") : "?",
	    sget(jn, "facts_sha256") != NULL ? sget(jn, "facts_sha256") :
	    "?")) != 0)
		goto out;
	n = 0;
	json_object_foreach(json_object_get(jn, "facts"), k, v) {
		a = sget(json_object_get(jo, "facts"), k);
		b = json_string_value(v);
		if (b == NULL || (a != NULL && strcmp(a, b) == 0))
			continue;
		if ((rc = buf_putf(o, "- `%s`: %s → %s\n", k, a != NULL ? a :
		    "(absent)", b)) != 0)
			goto out;
		n++;
	}
	if ((rc = buf_putf(o, "%s\n## Control states that changed\n\n",
	    n == 0 ? "(none)\n" : "")) != 0)
		goto out;
	n = 0;
	json_object_foreach(json_object_get(jn, "controls"), k, v) {
		a = sget(json_object_get(json_object_get(jo, "controls"), k),
		    "state");
		b = sget(v, "state");
		if (b == NULL || (a != NULL && strcmp(a, b) == 0))
			continue;
		if ((rc = buf_putf(o, "- %s: %s → %s (%s)\n", k, a != NULL ? a :
		    "(absent)", b, sget(v, "because") != NULL ?
		    sget(v, "because") : "")) != 0)
			goto out;
		n++;
	}
	if ((rc = buf_putf(o, "%s\n## Rows that changed\n\n", n == 0 ?
	    "(none)\n" : "")) != 0)
		goto out;
	n = 0;
	json_array_foreach(json_object_get(jn, "rows"), i, r) {
		a = sget(r, "status");
		if (strcmp(a, "treat") == 0 || strcmp(a, "reopened") == 0)
			nbad++;
		if ((ro = find_row(json_object_get(jo, "rows"),
		    sget(r, "id"))) == NULL)
			continue;
		if (iget(ro, "r_now") == iget(r, "r_now") &&
		    strcmp(sget(ro, "status"), a) == 0 &&
		    (sget(ro, "level_now") == NULL || sget(r, "level_now") ==
		    NULL || strcmp(sget(ro, "level_now"),
		    sget(r, "level_now")) == 0))
			continue;
		if ((rc = row_chain(ro, r, jo, jn, o)) != 0)
			goto out;
		n++;
	}
	if ((rc = buf_putf(o, "%s\n## Register changes\n\n", n == 0 ?
	    "(none)\n" : "")) != 0)
		goto out;
	n = 0;
	a = sget(jo, "register_sha256");
	b = sget(jn, "register_sha256");
	if (a != NULL && b != NULL && strcmp(a, b) != 0) {
		if ((rc = buf_putf(o, "- register digest %.16s → %.16s\n", a,
		    b)) != 0)
			goto out;
		n++;
	}
	json_array_foreach(json_object_get(jn, "rows"), i, r) {
		ro = find_row(json_object_get(jo, "rows"), sget(r, "id"));
		if (ro == NULL)
			rc = buf_putf(o, "- row added: %s\n", sget(r, "id"));
		else if (iget(ro, "r_before") != iget(r, "r_before"))
			rc = buf_putf(o, "- row %s: values edited, R before "
			    "%d→%d\n", sget(r, "id"), iget(ro, "r_before"),
			    iget(r, "r_before"));
		else
			continue;
		if (rc != 0)
			goto out;
		n++;
	}
	json_array_foreach(json_object_get(jo, "rows"), i, r) {
		if (find_row(json_object_get(jn, "rows"), sget(r, "id")) != NULL)
			continue;
		if ((rc = buf_putf(o, "- row removed: %s\n", sget(r, "id"))) != 0)
			goto out;
		n++;
	}
	if ((rc = buf_putf(o, "%s\n%zu row(s) of the new evaluation need "
	    "treatment (treat or reopened).\n", n == 0 ? "(none)\n" : "",
	    nbad)) != 0)
		goto out;
	*bad = nbad;
 out:
	json_decref(jo);
	json_decref(jn);
	return rc;
}

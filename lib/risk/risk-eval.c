/*
 * risk-eval.c: one evaluation of a register against a fact set
 * (RISK-ENGINE.md §3): control states, per row before / now / target
 * values and the status, disclosure answers, and the digests that every
 * report carries. Integer arithmetic; rows sorted by site, asset number,
 * row id so that output is deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "rsgate/risk.h"
#include "risk-int.h"

const char *
risk_status_name(enum risk_status st)
{
	static const char *const n[] = { "ok", "treat", "accepted",
		"reopened", "avoided" };

	return (unsigned)st < 5 ? n[st] : "?";
}

const char *
risk_ctl_state_name(enum ctl_state s)
{
	static const char *const n[] = { "satisfied", "unsatisfied",
		"unknown", "expired" };

	return (unsigned)s < 4 ? n[s] : "?";
}

const char *
risk_treatment_name(enum risk_treatment t)
{
	static const char *const n[] = { "reduce", "retain", "transfer",
		"avoid" };

	return (unsigned)t < 4 ? n[t] : "?";
}

const char *
risk_level_name(const struct risk_register *r, int value)
{
	size_t i;

	for (i = 0; i < r->n_levels; i++)
		if (value <= r->levels[i].upto)
			return r->levels[i].name;
	return r->levels[r->n_levels - 1].name;
}

const char *
risk_level_colour(const struct risk_register *r, int value)
{
	static const char *const defaults[] = { "#8fd19e", "#ffe08a",
		"#f5a3a3" };
	size_t i;

	for (i = 0; i < r->n_levels; i++)
		if (value <= r->levels[i].upto)
			break;
	if (i == r->n_levels)
		i--;
	if (r->levels[i].colour != NULL)
		return r->levels[i].colour;
	return defaults[i < 3 ? i : 2];
}

/* Collect fact names used by p into names (deduplicated). */
static void
pred_names(const struct risk_pred *p, const char **names, size_t *n,
    size_t max)
{
	size_t i;

	if (p == NULL)
		return;
	if (p->kind == PRED_CMP) {
		for (i = 0; i < *n; i++)
			if (strcmp(names[i], p->fact) == 0)
				return;
		if (*n < max)
			names[(*n)++] = p->fact;
		return;
	}
	for (i = 0; i < p->n_kids; i++)
		pred_names(p->kids[i], names, n, max);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
facts_digest(struct risk_eval *e)
{
	const struct risk_register *r = e->reg;
	const char **names;
	struct rsg_buf *b;
	const char *v;
	size_t i;
	int rc = 0;

	if ((names = calloc(r->n_facts + 1, sizeof(*names))) == NULL)
		return RSG_ERR_NOMEM;
	if ((b = buf_new(0)) == NULL) {
		free(names);
		return RSG_ERR_NOMEM;
	}
	for (i = 0; i < r->n_facts; i++)
		names[i] = r->facts[i].name;
	qsort(names, r->n_facts, sizeof(*names), cmp_str);
	/* Canonical: sorted "name=value\n", unknown facts as "unknown". */
	for (i = 0; rc == 0 && i < r->n_facts; i++) {
		v = risk_facts_get(e->facts, names[i]);
		rc = buf_putf(b, "%s=%s\n", names[i], v != NULL ? v : "unknown");
	}
	if (rc == 0 && SHA256(buf_ptr(b), buf_len(b), e->facts_sha256) == NULL)
		rc = RSG_ERR_CRYPTO;
	buf_free(b);
	free(names);
	return rc;
}

static int
eval_controls(struct risk_eval *e)
{
	const struct risk_register *r = e->reg;
	struct rsg_buf *b = NULL;
	size_t i;
	int rc = 0, v;

	if ((e->ctl = calloc(r->n_controls + 1, sizeof(*e->ctl))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < r->n_controls; i++) {
		const struct risk_control *c = &r->controls[i];
		struct risk_eval_ctl *s = &e->ctl[i];

		if ((b = buf_new(0)) == NULL)
			return RSG_ERR_NOMEM;
		s->state = CTL_SATISFIED;
		if (c->pred != NULL) {
			v = risk_pred_eval(c->pred, e->facts);
			if (v != 1) {
				s->state = v == 0 ? CTL_UNSATISFIED :
				    CTL_UNKNOWN;
				if ((rc = risk_pred_explain(c->pred, e->facts,
				    b)) != 0)
					goto out;
			} else if ((rc = buf_putf(b, "evidence holds: ")) != 0 ||
			    (rc = risk_pred_format(c->pred, b)) != 0)
				goto out;
		}
		if (c->att != NULL) {
			if (e->at >= c->att->expires_at) {
				if (s->state == CTL_SATISFIED)
					s->state = CTL_EXPIRED;
				rc = buf_putf(b, "%sattestation by %s expired "
				    "%s", buf_len(b) > 0 ? "; " : "",
				    c->att->by, c->att->expires);
			} else
				rc = buf_putf(b, "%sattested by %s (%s), valid "
				    "until %s", buf_len(b) > 0 ? "; " : "",
				    c->att->by, c->att->ref, c->att->expires);
			if (rc != 0)
				goto out;
		}
		if ((s->because = buf_dup_cstring(b)) == NULL) {
			rc = RSG_ERR_NOMEM;
			goto out;
		}
		buf_free(b);
		b = NULL;
	}
 out:
	buf_free(b);
	return rc;
}

/* Apply the ceilings of the controls (all listed if all, else satisfied). */
static void
apply(const struct risk_eval *e, const struct risk_row *row, int all,
    int t, int v, int *t_out, int *v_out)
{
	const struct risk_register *r = e->reg;
	size_t i;
	int minus = 0;

	for (i = 0; i < row->n_controls; i++) {
		const struct risk_control *c = &r->controls[row->controls[i]];

		if (!all && e->ctl[row->controls[i]].state != CTL_SATISFIED)
			continue;
		if (c->v_max != 0 && c->v_max < v)
			v = c->v_max;
		if (c->t_max != 0 && c->t_max < t)
			t = c->t_max;
		if (c->v_minus)
			minus = 1;
	}
	/* One step in total, however many controls claim it. */
	if (minus && v > r->smin[2])
		v--;
	*t_out = t;
	*v_out = v;
}

static int
row_texts(struct risk_eval *e, const struct risk_row *row,
    struct risk_eval_row *x)
{
	const struct risk_register *r = e->reg;
	const char *names[64], *v;
	struct rsg_buf *b;
	size_t i, n = 0;
	int rc = 0, first = 1;

	if ((b = buf_new(0)) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; rc == 0 && i < row->n_controls; i++) {
		if (e->ctl[row->controls[i]].state != CTL_SATISFIED)
			continue;
		rc = buf_putf(b, "%s%s", first ? "" : ", ",
		    r->controls[row->controls[i]].id);
		first = 0;
	}
	if (rc != 0 || (x->credited = buf_dup_cstring(b)) == NULL) {
		buf_free(b);
		return rc != 0 ? rc : RSG_ERR_NOMEM;
	}
	buf_reset(b);
	for (i = 0; i < row->n_controls; i++)
		pred_names(r->controls[row->controls[i]].pred, names, &n, 64);
	pred_names(row->avoid_when, names, &n, 64);
	for (i = 0; row->acc != NULL && i < row->acc->n_bound; i++)
		pred_names(row->acc->bound[i], names, &n, 64);
	for (i = 0; rc == 0 && i < n; i++) {
		v = risk_facts_get(e->facts, names[i]);
		rc = buf_putf(b, "%s%s=%s", i > 0 ? ", " : "", names[i],
		    v != NULL ? v : "unknown");
	}
	if (rc == 0 && (x->facts_used = buf_dup_cstring(b)) == NULL)
		rc = RSG_ERR_NOMEM;
	buf_free(b);
	return rc;
}

static int
cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct risk_register *r = arg;
	const struct risk_row *a = &r->rows[
	    ((const struct risk_eval_row *)pa)->row];
	const struct risk_row *b = &r->rows[
	    ((const struct risk_eval_row *)pb)->row];

	if (a->site != b->site)
		return a->site < b->site ? -1 : 1;
	if (a->asset != b->asset)
		return a->asset < b->asset ? -1 : 1;
	return strcmp(((const struct risk_eval_row *)pa)->id,
	    ((const struct risk_eval_row *)pb)->id);
}

/* Evaluation rows: one per register row, or one per tagged property. */
static int
expand_rows(struct risk_eval *e)
{
	const struct risk_register *r = e->reg;
	size_t i, n = 0;
	unsigned bit;
	char id[300];

	for (i = 0; i < r->n_rows; i++)
		n += r->per_property ? (size_t)__builtin_popcount(
		    r->threats[r->rows[i].threat].cia) : 1;
	if ((e->rows = calloc(n + 1, sizeof(*e->rows))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < r->n_rows; i++) {
		for (bit = 1; bit <= 4; bit <<= 1) {
			struct risk_eval_row *x = &e->rows[e->n_rows];

			if (r->per_property &&
			    !(r->threats[r->rows[i].threat].cia & bit))
				continue;
			x->row = i;
			x->prop = r->per_property ? bit : 0;
			snprintf(id, sizeof(id), "%s%s", r->rows[i].id,
			    !r->per_property ? "" : bit == 1 ? "/C" : bit == 2 ?
			    "/I" : "/A");
			if ((x->id = strdup(id)) == NULL)
				return RSG_ERR_NOMEM;
			e->n_rows++;
			if (!r->per_property)
				break;
		}
	}
	return 0;
}

static int
eval_rows(struct risk_eval *e)
{
	const struct risk_register *r = e->reg;
	size_t i, j;
	unsigned cia;
	int rc, ok;

	if ((rc = expand_rows(e)) != 0)
		return rc;
	for (i = 0; i < e->n_rows; i++) {
		struct risk_eval_row *x = &e->rows[i];
		const struct risk_row *row = &r->rows[x->row];
		const struct risk_asset *as = risk_asset_find(r, row->asset);
		const struct risk_threat *th = &r->threats[row->threat];

		/*
		 * R63: the highest value over the properties the threat tags
		 * (per_property: the one property of this row).
		 */
		cia = x->prop != 0 ? x->prop : th->cia;
		x->a = 0;
		if ((cia & 1) && as->c > x->a)
			x->a = as->c;
		if ((cia & 2) && as->i > x->a)
			x->a = as->i;
		if ((cia & 4) && as->a > x->a)
			x->a = as->a;
		x->t = row->t_over != 0 ? row->t_over : th->t;
		x->v = row->v_over != 0 ? row->v_over : r->vulns[row->vuln].v;
		x->r_before = x->a * x->t * x->v;
		apply(e, row, 0, x->t, x->v, &x->t_now, &x->v_now);
		apply(e, row, 1, x->t, x->v, &x->t_target, &x->v_target);
		x->r_now = x->a * x->t_now * x->v_now;
		x->r_target = x->a * x->t_target * x->v_target;
		x->acc_valid = -1;
		if (row->acc != NULL) {
			ok = e->at < row->acc->expires_at;
			for (j = 0; ok && j < row->acc->n_bound; j++)
				if (risk_pred_eval(row->acc->bound[j],
				    e->facts) != 1)
					ok = 0;
			x->acc_valid = ok;
		}
		if (row->treatment == TR_AVOID) {
			x->avoid_holds = risk_pred_eval(row->avoid_when,
			    e->facts) == 1;
			if (x->avoid_holds) {
				x->status = RISK_AVOIDED;
				x->r_now = 0;
			} else
				x->status = RISK_REOPENED;
		} else if (x->r_now <= r->accept_max &&
		    !(x->a == r->smax[0] && x->v_now == r->smax[2]))
			/* R64: A and V both at the top are always flagged. */
			x->status = RISK_OK;
		else if (row->acc != NULL)
			x->status = x->acc_valid ? RISK_ACCEPTED :
			    RISK_REOPENED;
		else
			x->status = RISK_TREAT;
		if ((rc = row_texts(e, row, x)) != 0)
			return rc;
	}
	qsort_r(e->rows, e->n_rows, sizeof(*e->rows), cmp_rows,
	    (void *)r);
	return 0;
}

int
risk_eval_run(const struct risk_register *r, const struct risk_facts *f,
    int64_t now, struct risk_eval **out)
{
	struct risk_eval *e;
	size_t i;
	int rc;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return RSG_ERR_NOMEM;
	e->reg = r;
	e->at = now;
	if ((rc = risk_facts_new(&e->facts)) != 0 ||
	    (f != NULL && (rc = risk_facts_merge(e->facts, f)) != 0) ||
	    (rc = facts_digest(e)) != 0 || (rc = eval_controls(e)) != 0 ||
	    (rc = eval_rows(e)) != 0)
		goto fail;
	if ((e->disc = calloc(r->n_disc + 1, sizeof(int))) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto fail;
	}
	for (i = 0; i < r->n_disc; i++)
		e->disc[i] = risk_pred_eval(r->disc[i].when, e->facts);
	*out = e;
	return 0;
 fail:
	risk_eval_free(e);
	return rc;
}

void
risk_eval_free(struct risk_eval *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; e->ctl != NULL && i < e->reg->n_controls; i++)
		free(e->ctl[i].because);
	free(e->ctl);
	for (i = 0; i < e->n_rows; i++) {
		free(e->rows[i].id);
		free(e->rows[i].credited);
		free(e->rows[i].facts_used);
	}
	free(e->rows);
	free(e->disc);
	risk_facts_free(e->facts);
	free(e);
}

size_t
risk_eval_count(const struct risk_eval *e, enum risk_status st)
{
	size_t i, n = 0;

	for (i = 0; i < e->n_rows; i++)
		if (e->rows[i].status == st)
			n++;
	return n;
}

int
risk_eval_row(const struct risk_eval *e, const char *id,
    struct risk_row_values *out)
{
	const struct risk_eval_row *x;
	size_t i;

	for (i = 0; i < e->n_rows; i++) {
		x = &e->rows[i];
		if (strcmp(x->id, id) != 0)
			continue;
		out->a = x->a;
		out->t = x->t;
		out->v = x->v;
		out->r_before = x->r_before;
		out->t_now = x->t_now;
		out->v_now = x->v_now;
		out->r_now = x->r_now;
		out->t_target = x->t_target;
		out->v_target = x->v_target;
		out->r_target = x->r_target;
		out->status = x->status;
		return 0;
	}
	return RSG_ERR_NOT_FOUND;
}

const char *
risk_eval_control_state(const struct risk_eval *e, const char *id)
{
	size_t i;

	for (i = 0; i < e->reg->n_controls; i++)
		if (strcmp(e->reg->controls[i].id, id) == 0)
			return risk_ctl_state_name(e->ctl[i].state);
	return NULL;
}

/*
 * risk-json.c: the evaluation record (RISK-ENGINE.md §3, "Evaluation") as
 * JSON: digests, the fact values used, every control's state with its
 * reason and the facts it reads, every row's numbers and status. It is the
 * input of `rsgate risk diff`, so it carries what a causal chain needs
 * (the controls of each row, the facts of each control and acceptance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/risk.h"
#include "risk-int.h"
#include "risk-table.h"

static int
names_json(const struct risk_pred *p, struct rsg_buf *o, int *first)
{
	size_t i;
	int rc;

	if (p == NULL)
		return 0;
	if (p->kind == PRED_CMP) {
		if ((rc = buf_putf(o, "%s", *first ? "" : ", ")) != 0)
			return rc;
		*first = 0;
		return risk_put_json(o, p->fact);
	}
	for (i = 0; i < p->n_kids; i++)
		if ((rc = names_json(p->kids[i], o, first)) != 0)
			return rc;
	return 0;
}

static int
facts_json(const struct risk_eval *e, struct rsg_buf *o)
{
	const struct risk_register *r = e->reg;
	const char **names;
	const char *v;
	size_t i, j;
	int rc = 0;

	if ((names = calloc(r->n_facts + 1, sizeof(*names))) == NULL)
		return RSG_ERR_NOMEM;
	for (i = 0; i < r->n_facts; i++) {
		/* Sorted by name: insertion, the list is short. */
		for (j = i; j > 0 && strcmp(names[j - 1],
		    r->facts[i].name) > 0; j--)
			names[j] = names[j - 1];
		names[j] = r->facts[i].name;
	}
	rc = buf_putf(o, "  \"facts\": {");
	for (i = 0; rc == 0 && i < r->n_facts; i++) {
		v = risk_facts_get(e->facts, names[i]);
		if ((rc = buf_putf(o, "%s\n    ", i > 0 ? "," : "")) == 0 &&
		    (rc = risk_put_json(o, names[i])) == 0 &&
		    (rc = buf_putf(o, ": ")) == 0)
			rc = risk_put_json(o, v != NULL ? v : "unknown");
	}
	free(names);
	return rc != 0 ? rc : buf_putf(o, "\n  },\n");
}

static int
list_json(struct rsg_buf *o, const char *csv)
{
	const char *p = csv, *q;
	char item[256];
	int rc, first = 1;

	if ((rc = buf_putf(o, "[")) != 0)
		return rc;
	while (*p != '\0') {
		q = strstr(p, ", ");
		snprintf(item, sizeof(item), "%.*s", q != NULL ?
		    (int)(q - p) : (int)strlen(p), p);
		if ((rc = buf_putf(o, "%s", first ? "" : ", ")) != 0 ||
		    (rc = risk_put_json(o, item)) != 0)
			return rc;
		first = 0;
		p = q != NULL ? q + 2 : p + strlen(p);
	}
	return buf_putf(o, "]");
}

int
risk_report_json(const struct risk_eval *e, struct rsg_buf *o)
{
	const struct risk_register *r = e->reg;
	char rdig[65], fdig[65], at[40];
	size_t i, j;
	int rc, first;

	hex_encode(r->sha256, 32, rdig);
	hex_encode(e->facts_sha256, 32, fdig);
	time_format_rfc3339(e->at * 1000, at, sizeof(at));
	if ((rc = buf_putf(o, "{\n  \"schema\": \"rmsrisk-eval/1\",\n"
	    "  \"at\": \"%s\",\n  \"engine\": \"rsgate %s\",\n"
	    "  \"register_id\": ", at, RSGATE_VERSION)) != 0 ||
	    (rc = risk_put_json(o, r->id)) != 0 ||
	    (rc = buf_putf(o, ",\n  \"register_version\": ")) != 0 ||
	    (rc = risk_put_json(o, r->version)) != 0 ||
	    (rc = buf_putf(o, ",\n  \"register_sha256\": \"%s\",\n"
	    "  \"facts_sha256\": \"%s\",\n  \"accept_max\": %d,\n", rdig, fdig,
	    r->accept_max)) != 0 || (rc = facts_json(e, o)) != 0 ||
	    (rc = buf_putf(o, "  \"controls\": {")) != 0)
		return rc;
	for (i = 0; i < r->n_controls; i++) {
		first = 1;
		if ((rc = buf_putf(o, "%s\n    ", i > 0 ? "," : "")) != 0 ||
		    (rc = risk_put_json(o, r->controls[i].id)) != 0 ||
		    (rc = buf_putf(o, ": {\"state\": \"%s\", \"because\": ",
		    risk_ctl_state_name(e->ctl[i].state))) != 0 ||
		    (rc = risk_put_json(o, e->ctl[i].because)) != 0 ||
		    (rc = buf_putf(o, ", \"facts\": [")) != 0 ||
		    (rc = names_json(r->controls[i].pred, o, &first)) != 0 ||
		    (rc = buf_putf(o, "]}")) != 0)
			return rc;
	}
	if ((rc = buf_putf(o, "\n  },\n  \"rows\": [")) != 0)
		return rc;
	for (i = 0; i < e->n_rows; i++) {
		const struct risk_eval_row *x = &e->rows[i];
		const struct risk_row *row = &r->rows[x->row];

		if ((rc = buf_putf(o, "%s\n    {\"id\": ", i > 0 ? "," : "")) !=
		    0 || (rc = risk_put_json(o, x->id)) != 0 ||
		    (rc = buf_putf(o, ", \"site\": %d, \"asset_no\": %d, "
		    "\"a_used\": %d, \"t\": %d, \"v\": %d, \"r_before\": %d, "
		    "\"t_now\": %d, \"v_now\": %d, \"r_now\": %d, "
		    "\"level_now\": ", row->site, row->asset, x->a, x->t, x->v,
		    x->r_before, x->t_now, x->v_now, x->r_now)) != 0 ||
		    (rc = risk_put_json(o, risk_level_name(r, x->r_now))) != 0 ||
		    (rc = buf_putf(o, ", \"t_target\": %d, \"v_target\": %d, "
		    "\"r_target\": %d, \"controls\": [", x->t_target,
		    x->v_target, x->r_target)) != 0)
			return rc;
		for (j = 0; j < row->n_controls; j++)
			if ((rc = buf_putf(o, "%s", j > 0 ? ", " : "")) != 0 ||
			    (rc = risk_put_json(o,
			    r->controls[row->controls[j]].id)) != 0)
				return rc;
		if ((rc = buf_putf(o, "], \"credited\": ")) != 0 ||
		    (rc = list_json(o, x->credited)) != 0 ||
		    (rc = buf_putf(o, ", \"treatment\": \"%s\", \"acceptance\":"
		    " \"%s\", \"acceptance_facts\": [",
		    risk_treatment_name(row->treatment), x->acc_valid < 0 ?
		    "none" : x->acc_valid ? "valid" : "invalid")) != 0)
			return rc;
		first = 1;
		for (j = 0; row->acc != NULL && j < row->acc->n_bound; j++)
			if ((rc = names_json(row->acc->bound[j], o,
			    &first)) != 0)
				return rc;
		if ((rc = names_json(row->avoid_when, o, &first)) != 0 ||
		    (rc = buf_putf(o, "], \"status\": \"%s\"}",
		    risk_status_name(x->status))) != 0)
			return rc;
	}
	if ((rc = buf_putf(o, "\n  ],\n  \"disclosure\": {")) != 0)
		return rc;
	for (i = 0; i < r->n_disc; i++)
		if ((rc = buf_putf(o, "%s\n    ", i > 0 ? "," : "")) != 0 ||
		    (rc = risk_put_json(o, r->disc[i].mds2)) != 0 ||
		    (rc = buf_putf(o, ": \"%s\"", e->disc[i] == 1 ? "Yes" :
		    e->disc[i] == 0 ? "No" : "Unknown")) != 0)
			return rc;
	return buf_putf(o, "\n  },\n  \"summary\": {\"rows\": %zu, \"ok\": "
	    "%zu, \"treat\": %zu, \"accepted\": %zu, \"reopened\": %zu, "
	    "\"avoided\": %zu}\n}\n", e->n_rows, risk_eval_count(e, RISK_OK),
	    risk_eval_count(e, RISK_TREAT), risk_eval_count(e, RISK_ACCEPTED),
	    risk_eval_count(e, RISK_REOPENED),
	    risk_eval_count(e, RISK_AVOIDED));
}

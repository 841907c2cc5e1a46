/*
 * risk-report.c: the reports drawn from one evaluation (RISK-ENGINE.md §5):
 * the guideline-style risk-assessment table grouped by site with a per-site
 * summary (R69), the Statement of Applicability, the MDS2-style remote
 * service disclosure and the treatment plan, as Markdown, self-contained
 * HTML with an SVG heat map, CSV (UTF-8 with BOM) and the JSON evaluation
 * record. Every report is built as a table of cells first, so all formats
 * (and the XLSX writer) show the same content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/risk.h"
#include "risk-int.h"
#include "risk-table.h"

/* ---- escaping ---------------------------------------------------------- */

int
risk_put_md(struct rsg_buf *b, const char *s)
{
	int r = 0;

	for (; r == 0 && *s != '\0'; s++) {
		/* Enough that a cell stays one cell and no markup. */
		if (*s == '|' || *s == '\\' || *s == '*' || *s == '`' ||
		    *s == '<' || *s == '>')
			r = buf_putf(b, "\\%c", *s);
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			r = buf_put_u8(b, ' ');
		else
			r = buf_put_u8(b, (uint8_t)*s);
	}
	return r;
}

int
risk_put_html(struct rsg_buf *b, const char *s)
{
	int r = 0;

	for (; r == 0 && *s != '\0'; s++) {
		switch (*s) {
		case '<': r = buf_putf(b, "&lt;"); break;
		case '>': r = buf_putf(b, "&gt;"); break;
		case '&': r = buf_putf(b, "&amp;"); break;
		case '"': r = buf_putf(b, "&quot;"); break;
		case '\'': r = buf_putf(b, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n')
				r = buf_put_u8(b, ' ');
			else
				r = buf_put_u8(b, (uint8_t)*s);
		}
	}
	return r;
}

int
risk_put_csv(struct rsg_buf *b, const char *s)
{
	int r;

	/* Quote always; a leading = + - @ would be a formula in a sheet. */
	if ((r = buf_put_u8(b, '"')) != 0)
		return r;
	if (s[0] != '\0' && s[1] != '\0' && strchr("=+-@", s[0]) != NULL &&
	    (r = buf_put_u8(b, '\'')) != 0)
		return r;
	for (; r == 0 && *s != '\0'; s++)
		r = *s == '"' ? buf_putf(b, "\"\"") : buf_put_u8(b,
		    (uint8_t)*s);
	return r != 0 ? r : buf_put_u8(b, '"');
}

int
risk_put_json(struct rsg_buf *b, const char *s)
{
	int r;

	if ((r = buf_put_u8(b, '"')) != 0)
		return r;
	for (; r == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			r = buf_putf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			r = buf_putf(b, "\\u%04x", c);
		else
			r = buf_put_u8(b, c);
	}
	return r != 0 ? r : buf_put_u8(b, '"');
}

/* ---- tables ------------------------------------------------------------ */

void
rtable_free(struct rtable *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->group);
	free(t);
}

static int
rtable_new(const char *title, const char *const *heads, size_t ncols,
    struct rtable **out)
{
	struct rtable *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return RSG_ERR_NOMEM;
	t->title = title;
	t->heads = heads;
	t->ncols = ncols;
	*out = t;
	return 0;
}

/* Append a row of ncols strings (copied); group -1 for none. */
static int
rtable_add(struct rtable *t, int group, char **cells)
{
	char **c;
	int *g;
	size_t i;

	if ((c = realloc(t->cells, (t->n + 1) * t->ncols * sizeof(*c))) == NULL)
		return RSG_ERR_NOMEM;
	t->cells = c;
	if ((g = realloc(t->group, (t->n + 1) * sizeof(*g))) == NULL)
		return RSG_ERR_NOMEM;
	t->group = g;
	for (i = 0; i < t->ncols; i++) {
		if ((t->cells[t->n * t->ncols + i] = strdup(cells[i] != NULL ?
		    cells[i] : "")) == NULL) {
			while (i-- > 0)
				free(t->cells[t->n * t->ncols + i]);
			return RSG_ERR_NOMEM;
		}
	}
	t->group[t->n++] = group;
	return 0;
}

/* Formatted cell: a small helper for numbers. */
static char *
num(char *buf, size_t len, int v)
{
	snprintf(buf, len, "%d", v);
	return buf;
}

static const char *const table_heads[] = {
	"Annex A clause", "Sub-clause", "Control objective", "Controls",
	"Row", "Site", "Asset", "Threat (C/I/A)", "Example controls",
	"V", "A", "T", "R", "V'", "T'", "R'", "Level", "Treatment", "Owner",
	"Acceptance", "Status", "Target R", "Facts used",
};
#define TABLE_COLS (sizeof(table_heads) / sizeof(table_heads[0]))

static int
row_cells(const struct risk_eval *e, const struct risk_eval_row *x,
    struct rtable *t)
{
	const struct risk_register *r = e->reg;
	const struct risk_row *row = &r->rows[x->row];
	const struct risk_asset *as = risk_asset_find(r, row->asset);
	const struct risk_site *site = risk_site_find(r, row->site);
	const struct risk_threat *th = &r->threats[row->threat];
	const char *annex = NULL;
	char *cells[TABLE_COLS];
	char clause[32] = "-", sub[32] = "-", nums[10][16], cia[8];
	struct rsg_buf *b[6];
	size_t i, k;
	int rc = RSG_ERR_NOMEM;

	memset(b, 0, sizeof(b));
	for (i = 0; i < 6; i++)
		if ((b[i] = buf_new(0)) == NULL)
			goto out;
	if (row->n_controls > 0)
		annex = r->controls[row->controls[0]].annex[r->catalogue];
	if (annex != NULL) {
		/* "A.11.5.2" -> clause "A.11", sub-clause "A.11.5". */
		const char *d1 = strchr(annex + 2, '.');

		snprintf(clause, sizeof(clause), "%.*s", d1 != NULL ?
		    (int)(d1 - annex) : (int)strlen(annex), annex);
		if (d1 != NULL && strchr(d1 + 1, '.') != NULL)
			snprintf(sub, sizeof(sub), "%.*s",
			    (int)(strchr(d1 + 1, '.') - annex), annex);
		else
			snprintf(sub, sizeof(sub), "%s", annex);
	}
	rc = 0;
	for (i = 0; rc == 0 && i < row->n_controls; i++) {
		const struct risk_control *c = &r->controls[row->controls[i]];

		rc = buf_putf(b[0], "%s%s (%s)", i > 0 ? "; " : "",
		    c->annex[r->catalogue], c->id);
		if (rc == 0)
			rc = buf_putf(b[1], "%s%s: %s [%s]", i > 0 ? "; " : "",
			    c->id, c->title,
			    risk_ctl_state_name(e->ctl[row->controls[i]].state));
	}
	k = 0;
	if ((x->prop != 0 ? x->prop : th->cia) & 1)
		cia[k++] = 'C';
	if ((x->prop != 0 ? x->prop : th->cia) & 2)
		cia[k++] = 'I';
	if ((x->prop != 0 ? x->prop : th->cia) & 4)
		cia[k++] = 'A';
	cia[k] = '\0';
	if (rc == 0)
		rc = buf_putf(b[2], "%d %s", site->id, site->name);
	if (rc == 0)
		rc = buf_putf(b[3], "%d %s", as->number, as->name);
	if (rc == 0)
		rc = buf_putf(b[4], "%s %s (%s)", th->id, th->name, cia);
	if (rc == 0 && row->acc != NULL)
		rc = buf_putf(b[5], "%s %s until %s: %s", row->acc->by,
		    row->acc->date, row->acc->expires, x->acc_valid ?
		    "valid" : "invalid");
	if (rc != 0)
		goto out;
	for (i = 0; i < 6; i++)
		if ((rc = buf_put_u8(b[i], 0)) != 0)
			goto out;
	cells[0] = clause;
	cells[1] = sub;
	cells[2] = (char *)(annex != NULL ?
	    risk_annex_clause_title(r->catalogue, annex) : "-");
	cells[3] = (char *)buf_ptr(b[0]);
	cells[4] = x->id;
	cells[5] = (char *)buf_ptr(b[2]);
	cells[6] = (char *)buf_ptr(b[3]);
	cells[7] = (char *)buf_ptr(b[4]);
	cells[8] = (char *)buf_ptr(b[1]);
	cells[9] = num(nums[0], 16, x->v);
	cells[10] = num(nums[1], 16, x->a);
	cells[11] = num(nums[2], 16, x->t);
	cells[12] = num(nums[3], 16, x->r_before);
	cells[13] = num(nums[4], 16, x->v_now);
	cells[14] = num(nums[5], 16, x->t_now);
	cells[15] = num(nums[6], 16, x->r_now);
	cells[16] = (char *)(x->status == RISK_AVOIDED ? "avoided" :
	    risk_level_name(r, x->r_now));
	cells[17] = (char *)risk_treatment_name(row->treatment);
	cells[18] = row->owner;
	cells[19] = (char *)(row->acc != NULL ? (char *)buf_ptr(b[5]) : "-");
	cells[20] = (char *)risk_status_name(x->status);
	cells[21] = num(nums[7], 16, x->r_target);
	cells[22] = x->facts_used;
	rc = rtable_add(t, row->site, cells);
 out:
	for (i = 0; i < 6; i++)
		buf_free(b[i]);
	return rc;
}

int
risk_table_risks(const struct risk_eval *e, struct rtable **out)
{
	struct rtable *t = NULL;
	size_t i;
	int rc;

	if ((rc = rtable_new("Risk assessment", table_heads, TABLE_COLS,
	    &t)) != 0)
		return rc;
	for (i = 0; i < e->n_rows; i++)
		if ((rc = row_cells(e, &e->rows[i], t)) != 0) {
			rtable_free(t);
			return rc;
		}
	*out = t;
	return 0;
}

static const char *const site_heads[] = {
	"Site", "Party", "Rows", "Max R before", "Max R now",
	"Over threshold before", "Over threshold now", "Retained risks (owner)",
};

int
risk_table_sites(const struct risk_eval *e, struct rtable **out)
{
	const struct risk_register *r = e->reg;
	struct rtable *t = NULL;
	struct rsg_buf *b = NULL;
	char *cells[8], n[5][16];
	size_t s, i;
	int rc;

	if ((rc = rtable_new("Summary per site", site_heads, 8, &t)) != 0)
		return rc;
	for (s = 0; s < r->n_sites; s++) {
		int rows = 0, maxb = 0, maxn = 0, overb = 0, overn = 0;

		if ((b = buf_new(0)) == NULL) {
			rc = RSG_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < e->n_rows; i++) {
			const struct risk_eval_row *x = &e->rows[i];
			const struct risk_row *row = &r->rows[x->row];

			if (row->site != r->sites[s].id)
				continue;
			rows++;
			maxb = x->r_before > maxb ? x->r_before : maxb;
			maxn = x->r_now > maxn ? x->r_now : maxn;
			overb += x->r_before > r->accept_max;
			overn += x->r_now > r->accept_max;
			if ((row->treatment == TR_RETAIN ||
			    x->status == RISK_ACCEPTED) &&
			    (rc = buf_putf(b, "%s%s (%s)", buf_len(b) > 0 ?
			    "; " : "", x->id, row->owner)) != 0)
				goto out;
		}
		if ((rc = buf_put_u8(b, 0)) != 0)
			goto out;
		cells[0] = r->sites[s].name;
		cells[1] = r->sites[s].party;
		cells[2] = num(n[0], 16, rows);
		cells[3] = num(n[1], 16, maxb);
		cells[4] = num(n[2], 16, maxn);
		cells[5] = num(n[3], 16, overb);
		cells[6] = num(n[4], 16, overn);
		cells[7] = buf_len(b) > 1 ? (char *)buf_ptr(b) : "-";
		if ((rc = rtable_add(t, -1, cells)) != 0)
			goto out;
		buf_free(b);
		b = NULL;
	}
	*out = t;
	t = NULL;
 out:
	buf_free(b);
	rtable_free(t);
	return rc;
}

static const char *const soa_heads[] = {
	"Control", "Our title", "Applicable", "Reasons",
	"Justification for exclusion", "Implementation", "Evidence",
	"Responsible",
};

int
risk_table_soa(const struct risk_eval *e, struct rtable **out)
{
	const struct risk_register *r = e->reg;
	struct rtable *t = NULL;
	struct rsg_buf *b[4] = { NULL, NULL, NULL, NULL };
	const struct risk_soa *ov;
	char id[32], *cells[8];
	size_t n, i, j, k;
	int rc;

	if ((rc = rtable_new("Statement of Applicability", soa_heads, 8,
	    &t)) != 0)
		return rc;
	for (n = 0; risk_annex_nth(r->catalogue, n, id, sizeof(id)); n++) {
		int linked = 0, sat = 0, unknown = 0, used = 0;

		for (k = 0; k < 4; k++) {
			buf_free(b[k]);
			if ((b[k] = buf_new(0)) == NULL) {
				rc = RSG_ERR_NOMEM;
				goto out;
			}
		}
		rc = 0;
		for (i = 0; rc == 0 && i < r->n_controls; i++) {
			const struct risk_control *c = &r->controls[i];

			if (c->annex[r->catalogue] == NULL ||
			    strcmp(c->annex[r->catalogue], id) != 0)
				continue;
			linked++;
			sat += e->ctl[i].state == CTL_SATISFIED;
			unknown += e->ctl[i].state == CTL_UNKNOWN;
			rc = buf_putf(b[0], "%s%s %s", buf_len(b[0]) > 0 ?
			    "; " : "", c->id, c->title);
			if (rc == 0)
				rc = buf_putf(b[1], "%s%s: %s (%s)",
				    buf_len(b[1]) > 0 ? "; " : "", c->id,
				    risk_ctl_state_name(e->ctl[i].state),
				    e->ctl[i].because);
			if (rc == 0)
				rc = buf_putf(b[2], "%s%s",
				    buf_len(b[2]) > 0 ? ", " : "",
				    c->responsible);
			for (j = 0; rc == 0 && j < r->n_rows; j++) {
				for (k = 0; k < r->rows[j].n_controls; k++)
					if (r->rows[j].controls[k] == i)
						break;
				if (k == r->rows[j].n_controls)
					continue;
				used++;
				rc = buf_putf(b[3], "%s%s", used == 1 ?
				    "RRA: " : ", ", r->rows[j].id);
			}
		}
		if (rc != 0)
			goto out;
		ov = NULL;
		for (i = 0; i < r->n_soa; i++)
			if (strcmp(r->soa[i].annex_a, id) == 0)
				ov = &r->soa[i];
		if (used == 0 && ov != NULL && ov->reasons != NULL &&
		    (rc = buf_putf(b[3], "%s", ov->reasons)) != 0)
			goto out;
		for (k = 0; k < 4; k++)
			if ((rc = buf_put_u8(b[k], 0)) != 0)
				goto out;
		cells[0] = id;
		cells[1] = linked ? (char *)buf_ptr(b[0]) : "-";
		cells[2] = used > 0 || (ov != NULL && ov->applicable) ? "yes" :
		    "no";
		cells[3] = buf_len(b[3]) > 1 ? (char *)buf_ptr(b[3]) : "-";
		cells[4] = used > 0 || (ov != NULL && ov->applicable) ? "-" :
		    ov != NULL && ov->why != NULL ? ov->why :
		    "not selected by this risk assessment";
		cells[5] = linked == 0 ? (used > 0 || (ov != NULL &&
		    ov->applicable) ? "planned" : "-") : sat == linked ?
		    "implemented" : sat > 0 ? "partially" : unknown > 0 ?
		    "unknown" : "not implemented";
		cells[6] = linked ? (char *)buf_ptr(b[1]) : "-";
		cells[7] = linked ? (char *)buf_ptr(b[2]) : "-";
		if ((rc = rtable_add(t, -1, cells)) != 0)
			goto out;
	}
	*out = t;
	t = NULL;
 out:
	for (k = 0; k < 4; k++)
		buf_free(b[k]);
	rtable_free(t);
	return rc;
}

static const char *const mds2_heads[] = {
	"ID", "Question", "Answer", "Note",
};

int
risk_table_mds2(const struct risk_eval *e, struct rtable **out)
{
	const struct risk_register *r = e->reg;
	struct rtable *t = NULL;
	struct rsg_buf *b = NULL;
	char *cells[4], dig[65];
	size_t i;
	int rc;

	if ((rc = rtable_new("MDS2-style remote service disclosure",
	    mds2_heads, 4, &t)) != 0)
		return rc;
	hex_encode(e->facts_sha256, 8, dig);
	for (i = 0; i < r->n_disc; i++) {
		if ((b = buf_new(0)) == NULL) {
			rc = RSG_ERR_NOMEM;
			goto out;
		}
		if ((rc = buf_putf(b, "%s%sfrom: ", r->disc[i].note != NULL ?
		    r->disc[i].note : "", r->disc[i].note != NULL ? "; " :
		    "")) != 0 || (rc = risk_pred_format(r->disc[i].when,
		    b)) != 0 || (rc = buf_putf(b, " (facts %s)", dig)) != 0 ||
		    (rc = buf_put_u8(b, 0)) != 0)
			goto out;
		cells[0] = r->disc[i].mds2;
		/* Question texts are the user's to supply (RISK-ENGINE §5.3). */
		cells[1] = "(see HN 1-2019)";
		cells[2] = e->disc[i] == 1 ? "Yes" : e->disc[i] == 0 ? "No" :
		    "Unknown";
		cells[3] = (char *)buf_ptr(b);
		if ((rc = rtable_add(t, -1, cells)) != 0)
			goto out;
		buf_free(b);
		b = NULL;
	}
	*out = t;
	t = NULL;
 out:
	buf_free(b);
	rtable_free(t);
	return rc;
}

static const char *const plan_heads[] = {
	"Row", "R now", "R target", "Missing controls", "Facts that must hold",
	"Owner", "Review",
};

int
risk_table_plan(const struct risk_eval *e, struct rtable **out)
{
	const struct risk_register *r = e->reg;
	struct rtable *t = NULL;
	struct rsg_buf *b[2] = { NULL, NULL };
	char *cells[7], n1[16], n2[16];
	size_t i, j;
	int rc;

	if ((rc = rtable_new("Treatment plan", plan_heads, 7, &t)) != 0)
		return rc;
	for (i = 0; i < e->n_rows; i++) {
		const struct risk_eval_row *x = &e->rows[i];
		const struct risk_row *row = &r->rows[x->row];

		if (x->r_now == x->r_target || x->status == RISK_AVOIDED)
			continue;
		for (j = 0; j < 2; j++) {
			buf_free(b[j]);
			if ((b[j] = buf_new(0)) == NULL) {
				rc = RSG_ERR_NOMEM;
				goto out;
			}
		}
		for (j = 0; rc == 0 && j < row->n_controls; j++) {
			const struct risk_control *c =
			    &r->controls[row->controls[j]];

			if (e->ctl[row->controls[j]].state == CTL_SATISFIED)
				continue;
			rc = buf_putf(b[0], "%s%s (%s)", buf_len(b[0]) > 0 ?
			    "; " : "", c->id,
			    risk_ctl_state_name(e->ctl[row->controls[j]].state));
			if (rc == 0 && c->pred != NULL)
				rc = buf_putf(b[1], "%s", buf_len(b[1]) > 0 ?
				    "; " : "");
			if (rc == 0 && c->pred != NULL)
				rc = risk_pred_format(c->pred, b[1]);
			if (rc == 0 && c->att != NULL)
				rc = buf_putf(b[1], "%sa current attestation "
				    "for %s", buf_len(b[1]) > 0 ? "; " : "",
				    c->id);
		}
		if (rc != 0 || (rc = buf_put_u8(b[0], 0)) != 0 ||
		    (rc = buf_put_u8(b[1], 0)) != 0)
			goto out;
		cells[0] = x->id;
		cells[1] = num(n1, sizeof(n1), x->r_now);
		cells[2] = num(n2, sizeof(n2), x->r_target);
		cells[3] = (char *)buf_ptr(b[0]);
		cells[4] = (char *)buf_ptr(b[1]);
		cells[5] = row->owner;
		cells[6] = row->review;
		if ((rc = rtable_add(t, -1, cells)) != 0)
			goto out;
	}
	*out = t;
	t = NULL;
 out:
	buf_free(b[0]);
	buf_free(b[1]);
	rtable_free(t);
	return rc;
}

/* ---- Markdown, HTML, CSV ---------------------------------------------- */

static int
md_table(const struct risk_eval *e, const struct rtable *t, int by_site,
    struct rsg_buf *o)
{
	size_t i, j;
	int rc, g = -2;

	if ((rc = buf_putf(o, "\n## %s\n", t->title)) != 0)
		return rc;
	for (i = 0; i < t->n; i++) {
		if (i == 0 || (by_site && t->group[i] != g)) {
			g = t->group[i];
			if (by_site) {
				const struct risk_site *s =
				    risk_site_find(e->reg, g);

				if ((rc = buf_putf(o, "\n### Site %d: ", g)) != 0 ||
				    (rc = risk_put_md(o, s->name)) != 0 ||
				    (rc = buf_putf(o, "\n")) != 0)
					return rc;
			}
			if ((rc = buf_putf(o, "\n|")) != 0)
				return rc;
			for (j = 0; j < t->ncols; j++)
				if ((rc = buf_putf(o, " %s |",
				    t->heads[j])) != 0)
					return rc;
			if ((rc = buf_putf(o, "\n|")) != 0)
				return rc;
			for (j = 0; j < t->ncols; j++)
				if ((rc = buf_putf(o, "---|")) != 0)
					return rc;
			if ((rc = buf_putf(o, "\n")) != 0)
				return rc;
		}
		if ((rc = buf_putf(o, "|")) != 0)
			return rc;
		for (j = 0; j < t->ncols; j++)
			if ((rc = buf_putf(o, " ")) != 0 ||
			    (rc = risk_put_md(o, t->cells[i * t->ncols + j])) !=
			    0 || (rc = buf_putf(o, " |")) != 0)
				return rc;
		if ((rc = buf_putf(o, "\n")) != 0)
			return rc;
	}
	if (t->n == 0)
		return buf_putf(o, "\n(none)\n");
	return 0;
}

static int
html_table(const struct risk_eval *e, const struct rtable *t, int by_site,
    struct rsg_buf *o)
{
	size_t i, j;
	int rc, g = -2, open = 0;

	if ((rc = buf_putf(o, "<h2>")) != 0 ||
	    (rc = risk_put_html(o, t->title)) != 0 ||
	    (rc = buf_putf(o, "</h2>\n")) != 0)
		return rc;
	for (i = 0; i < t->n; i++) {
		if (i == 0 || (by_site && t->group[i] != g)) {
			g = t->group[i];
			if (open && (rc = buf_putf(o, "</table>\n")) != 0)
				return rc;
			if (by_site) {
				if ((rc = buf_putf(o, "<h3>Site %d: ", g)) != 0 ||
				    (rc = risk_put_html(o, risk_site_find(
				    e->reg, g)->name)) != 0 ||
				    (rc = buf_putf(o, "</h3>\n")) != 0)
					return rc;
			}
			if ((rc = buf_putf(o, "<table>\n<tr>")) != 0)
				return rc;
			open = 1;
			for (j = 0; j < t->ncols; j++)
				if ((rc = buf_putf(o, "<th>")) != 0 ||
				    (rc = risk_put_html(o, t->heads[j])) != 0 ||
				    (rc = buf_putf(o, "</th>")) != 0)
					return rc;
			if ((rc = buf_putf(o, "</tr>\n")) != 0)
				return rc;
		}
		if ((rc = buf_putf(o, "<tr>")) != 0)
			return rc;
		for (j = 0; j < t->ncols; j++) {
			const char *c = t->cells[i * t->ncols + j];
			const char *cls = strcmp(c, "treat") == 0 ||
			    strcmp(c, "reopened") == 0 ? " class=\"bad\"" : "";

			if ((rc = buf_putf(o, "<td%s>", cls)) != 0 ||
			    (rc = risk_put_html(o, c)) != 0 ||
			    (rc = buf_putf(o, "</td>")) != 0)
				return rc;
		}
		if ((rc = buf_putf(o, "</tr>\n")) != 0)
			return rc;
	}
	if (open)
		return buf_putf(o, "</table>\n");
	return buf_putf(o, "<p>(none)</p>\n");
}

static int
csv_table(const struct rtable *t, struct rsg_buf *o)
{
	size_t i, j;
	int rc;

	for (j = 0; j < t->ncols; j++)
		if ((rc = buf_putf(o, "%s", j > 0 ? "," : "")) != 0 ||
		    (rc = risk_put_csv(o, t->heads[j])) != 0)
			return rc;
	if ((rc = buf_putf(o, "\r\n")) != 0)
		return rc;
	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->ncols; j++)
			if ((rc = buf_putf(o, "%s", j > 0 ? "," : "")) != 0 ||
			    (rc = risk_put_csv(o, t->cells[i * t->ncols + j])) !=
			    0)
				return rc;
		if ((rc = buf_putf(o, "\r\n")) != 0)
			return rc;
	}
	return 0;
}

/* The heat map: impact A (rows) against likelihood T x V (columns). */
static int
html_heatmap(const struct risk_eval *e, struct rsg_buf *o)
{
	const struct risk_register *r = e->reg;
	int tv[64], ntv = 0, a, i, j, k, cnt, seen, cw = 56, ch = 40;
	int amax = r->smax[0], amin = r->smin[0];
	size_t n;
	int rc;

	for (i = r->smin[1]; i <= r->smax[1]; i++)
		for (j = r->smin[2]; j <= r->smax[2]; j++) {
			for (seen = 0, k = 0; k < ntv; k++)
				seen |= tv[k] == i * j;
			if (!seen && ntv < 64)
				tv[ntv++] = i * j;
		}
	for (i = 1; i < ntv; i++)	/* insertion sort, tiny */
		for (j = i; j > 0 && tv[j - 1] > tv[j]; j--) {
			k = tv[j];
			tv[j] = tv[j - 1];
			tv[j - 1] = k;
		}
	if ((rc = buf_putf(o, "<h2>Heat map (now)</h2>\n<svg xmlns=\"http://"
	    "www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">\n"
	    "<title>rows by asset value and likelihood T x V, now</title>\n",
	    80 + cw * ntv, 60 + ch * (amax - amin + 1))) != 0)
		return rc;
	for (a = amax; a >= amin; a--) {
		int y = 10 + ch * (amax - a);

		if ((rc = buf_putf(o, "<text x=\"10\" y=\"%d\">A=%d</text>\n",
		    y + 25, a)) != 0)
			return rc;
		for (k = 0; k < ntv; k++) {
			for (cnt = 0, n = 0; n < e->n_rows; n++)
				if (e->rows[n].status != RISK_AVOIDED &&
				    e->rows[n].a == a &&
				    e->rows[n].t_now * e->rows[n].v_now ==
				    tv[k])
					cnt++;
			if ((rc = buf_putf(o, "<rect x=\"%d\" y=\"%d\" width=\""
			    "%d\" height=\"%d\" fill=\"", 70 + cw * k, y, cw - 2,
			    ch - 2)) != 0 || (rc = risk_put_html(o,
			    risk_level_colour(r, a * tv[k]))) != 0 ||
			    (rc = buf_putf(o, "\"/><text x=\"%d\" y=\"%d\">%d"
			    "</text>\n", 70 + cw * k + 20, y + 25, cnt)) != 0)
				return rc;
		}
	}
	for (k = 0; k < ntv; k++)
		if ((rc = buf_putf(o, "<text x=\"%d\" y=\"%d\">TV=%d</text>\n",
		    70 + cw * k + 8, 30 + ch * (amax - amin + 1), tv[k])) != 0)
			return rc;
	return buf_putf(o, "</svg>\n");
}

static int
put_counts(const struct risk_eval *e, struct rsg_buf *o)
{
	return buf_putf(o, "%zu rows: %zu ok, %zu treat, %zu accepted, "
	    "%zu reopened, %zu avoided", e->n_rows,
	    risk_eval_count(e, RISK_OK), risk_eval_count(e, RISK_TREAT),
	    risk_eval_count(e, RISK_ACCEPTED),
	    risk_eval_count(e, RISK_REOPENED),
	    risk_eval_count(e, RISK_AVOIDED));
}

int
risk_report_summary(const struct risk_eval *e, struct rsg_buf *out)
{
	int rc;

	if ((rc = buf_putf(out, "risk: %s v%s, ", e->reg->id,
	    e->reg->version)) != 0 || (rc = put_counts(e, out)) != 0)
		return rc;
	return buf_putf(out, " (accept_max %d)\n", e->reg->accept_max);
}

static int
footer(const struct risk_eval *e, char *rdig, char *fdig, char *at)
{
	hex_encode(e->reg->sha256, 32, rdig);
	hex_encode(e->facts_sha256, 32, fdig);
	time_format_rfc3339(e->at * 1000, at, 40);
	return 0;
}

int
risk_report(const struct risk_eval *e, enum risk_format fmt,
    enum risk_report which, struct rsg_buf *o)
{
	struct rtable *t[5] = { NULL, NULL, NULL, NULL, NULL };
	const struct risk_register *r = e->reg;
	char rdig[65], fdig[65], at[40];
	size_t i;
	int rc;

	if (fmt == RISK_FMT_JSON)
		return risk_report_json(e, o);
	footer(e, rdig, fdig, at);
	if ((rc = risk_table_risks(e, &t[0])) != 0 ||
	    (rc = risk_table_sites(e, &t[1])) != 0 ||
	    (rc = risk_table_soa(e, &t[2])) != 0 ||
	    (rc = risk_table_mds2(e, &t[3])) != 0 ||
	    (rc = risk_table_plan(e, &t[4])) != 0)
		goto out;
	switch (fmt) {
	case RISK_FMT_CSV:
		/* UTF-8 BOM, so that spreadsheet programs read UTF-8. */
		if ((rc = buf_put(o, "\xef\xbb\xbf", 3)) != 0)
			goto out;
		rc = csv_table(t[which == RISK_REPORT_SOA ? 2 :
		    which == RISK_REPORT_MDS2 ? 3 : 0], o);
		goto out;
	case RISK_FMT_MD:
		if ((rc = buf_putf(o, "# ")) != 0 ||
		    (rc = risk_put_md(o, r->title)) != 0 ||
		    (rc = buf_putf(o, "\n\nRegister %s version %s, catalogue "
		    "%s, evaluated %s. Risk = A x T x V; accept_max %d.\n\n"
		    "Summary: ", r->id, r->version,
		    risk_catalogue_name(r->catalogue), at, r->accept_max)) != 0 ||
		    (rc = put_counts(e, o)) != 0 || (rc = buf_putf(o, ".\n")) != 0)
			goto out;
		for (i = 0; i < 5; i++)
			if ((rc = md_table(e, t[i], i == 0, o)) != 0)
				goto out;
		rc = buf_putf(o, "\n---\nregister sha256 %s; facts sha256 %s; "
		    "rsgate %s\n", rdig, fdig, RSGATE_VERSION);
		goto out;
	case RISK_FMT_HTML:
		if ((rc = buf_putf(o, "<!DOCTYPE html>\n<html lang=\"en\">\n"
		    "<head>\n<meta charset=\"utf-8\"/>\n<title>")) != 0 ||
		    (rc = risk_put_html(o, r->title)) != 0 ||
		    (rc = buf_putf(o, "</title>\n<style>body{font-family:"
		    "sans-serif;font-size:13px}table{border-collapse:collapse;"
		    "margin-bottom:1em}td,th{border:1px solid #999;padding:2px"
		    " 4px;vertical-align:top}th{background:#eee}.bad{background:"
		    "#f5a3a3;font-weight:bold}</style>\n</head>\n<body>\n"
		    "<h1>")) != 0 || (rc = risk_put_html(o, r->title)) != 0 ||
		    (rc = buf_putf(o, "</h1>\n<p>Register %s version %s, "
		    "catalogue %s, evaluated %s. Risk = A &#215; T &#215; V; "
		    "accept_max %d.</p>\n<p>Summary: ", r->id, r->version,
		    risk_catalogue_name(r->catalogue), at, r->accept_max)) != 0 ||
		    (rc = put_counts(e, o)) != 0 ||
		    (rc = buf_putf(o, ".</p>\n")) != 0 ||
		    (rc = html_heatmap(e, o)) != 0)
			goto out;
		for (i = 0; i < 5; i++)
			if ((rc = html_table(e, t[i], i == 0, o)) != 0)
				goto out;
		rc = buf_putf(o, "<hr/>\n<p>register sha256 %s; facts sha256 "
		    "%s; rsgate %s</p>\n</body>\n</html>\n", rdig, fdig,
		    RSGATE_VERSION);
		goto out;
	default:
		rc = RSG_ERR_INVALID_ARG;
	}
 out:
	for (i = 0; i < 5; i++)
		rtable_free(t[i]);
	return rc;
}

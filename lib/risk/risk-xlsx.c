/*
 * risk-xlsx.c: the reports as an XLSX workbook (libxlsxwriter), one sheet
 * per report, from the same tables as the text formats. Columns follow the
 * text reports, so a hospital can paste the MDS2 sheet's answers into its
 * copy of the official workbook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "rsgate/risk.h"
#include "risk-int.h"
#include "risk-table.h"

static int
is_number(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 10 && strspn(s, "0123456789") == n;
}

static int
write_sheet(lxw_workbook *wb, const char *name, const struct rtable *t,
    lxw_format *bold)
{
	lxw_worksheet *ws;
	size_t i, j;

	if ((ws = workbook_add_worksheet(wb, name)) == NULL)
		return RSG_ERR_NOMEM;
	for (j = 0; j < t->ncols; j++)
		if (worksheet_write_string(ws, 0, (lxw_col_t)j, t->heads[j],
		    bold) != LXW_NO_ERROR)
			return RSG_ERR_IO;
	for (i = 0; i < t->n; i++)
		for (j = 0; j < t->ncols; j++) {
			const char *c = t->cells[i * t->ncols + j];
			lxw_error er;

			if (is_number(c))
				er = worksheet_write_number(ws,
				    (lxw_row_t)(i + 1), (lxw_col_t)j,
				    (double)strtol(c, NULL, 10), NULL);
			else
				er = worksheet_write_string(ws,
				    (lxw_row_t)(i + 1), (lxw_col_t)j, c, NULL);
			if (er != LXW_NO_ERROR)
				return RSG_ERR_IO;
		}
	worksheet_freeze_panes(ws, 1, 0);
	return 0;
}

int
risk_report_xlsx(const struct risk_eval *e, const char *path)
{
	static const char *const names[] = { "Risk assessment",
		"Summary per site", "Statement of Applicability", "MDS2",
		"Treatment plan" };
	struct rtable *t[5] = { NULL, NULL, NULL, NULL, NULL };
	lxw_workbook *wb = NULL;
	lxw_format *bold;
	size_t i;
	int rc;

	if ((rc = risk_table_risks(e, &t[0])) != 0 ||
	    (rc = risk_table_sites(e, &t[1])) != 0 ||
	    (rc = risk_table_soa(e, &t[2])) != 0 ||
	    (rc = risk_table_mds2(e, &t[3])) != 0 ||
	    (rc = risk_table_plan(e, &t[4])) != 0)
		goto out;
	if ((wb = workbook_new(path)) == NULL) {
		rc = RSG_ERR_IO;
		goto out;
	}
	if ((bold = workbook_add_format(wb)) == NULL) {
		rc = RSG_ERR_NOMEM;
		goto out;
	}
	format_set_bold(bold);
	for (i = 0; i < 5; i++)
		if ((rc = write_sheet(wb, names[i], t[i], bold)) != 0)
			goto out;
	rc = workbook_close(wb) == LXW_NO_ERROR ? 0 : RSG_ERR_IO;
	wb = NULL;
 out:
	if (wb != NULL)
		(void)workbook_close(wb);
	for (i = 0; i < 5; i++)
		rtable_free(t[i]);
	return rc;
}

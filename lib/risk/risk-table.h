/*
 * risk-table.h: a report as a table of strings (private to the risk
 * module), shared by the text formats and the XLSX writer.
 */
#ifndef RSGATE_RISK_TABLE_H
#define RSGATE_RISK_TABLE_H

#include <stddef.h>

struct risk_eval;

struct rtable {
	const char *title;
	const char *const *heads;
	size_t ncols, n;
	char **cells;		/* n * ncols */
	int *group;		/* per row: site id, or -1 */
};

void rtable_free(struct rtable *t);
int risk_table_risks(const struct risk_eval *e, struct rtable **out);
int risk_table_sites(const struct risk_eval *e, struct rtable **out);
int risk_table_soa(const struct risk_eval *e, struct rtable **out);
int risk_table_mds2(const struct risk_eval *e, struct rtable **out);
int risk_table_plan(const struct risk_eval *e, struct rtable **out);
/* The evaluation record as JSON. */
int risk_report_json(const struct risk_eval *e, struct rsg_buf *o);

#endif

/*
 * risk-annex.c: the control ids of ISO/IEC 27001 Annex A in its 2005, 2013
 * and 2022 editions, as compact tables (clause, sub-clause, number of
 * controls), and the clause titles. Ids only and our own short clause
 * names: no text of the standard is shipped. Register controls must name
 * ids that exist here (R67); the Statement of Applicability lists them all.
 */
#include <stdio.h>
#include <string.h>

#include "rsgate/risk.h"
#include "risk-int.h"

struct annex_group {
	unsigned char clause, sub, count;	/* sub 0: two-level ids */
};

static const struct annex_group cat2005[] = {
	{ 5, 1, 2 }, { 6, 1, 8 }, { 6, 2, 3 }, { 7, 1, 3 }, { 7, 2, 2 },
	{ 8, 1, 3 }, { 8, 2, 3 }, { 8, 3, 3 }, { 9, 1, 6 }, { 9, 2, 7 },
	{ 10, 1, 4 }, { 10, 2, 3 }, { 10, 3, 2 }, { 10, 4, 2 }, { 10, 5, 1 },
	{ 10, 6, 2 }, { 10, 7, 4 }, { 10, 8, 5 }, { 10, 9, 3 }, { 10, 10, 6 },
	{ 11, 1, 1 }, { 11, 2, 4 }, { 11, 3, 3 }, { 11, 4, 7 }, { 11, 5, 6 },
	{ 11, 6, 2 }, { 11, 7, 2 }, { 12, 1, 1 }, { 12, 2, 4 }, { 12, 3, 2 },
	{ 12, 4, 3 }, { 12, 5, 5 }, { 12, 6, 1 }, { 13, 1, 2 }, { 13, 2, 3 },
	{ 14, 1, 5 }, { 15, 1, 6 }, { 15, 2, 2 }, { 15, 3, 2 }, { 0, 0, 0 },
};

static const struct annex_group cat2013[] = {
	{ 5, 1, 2 }, { 6, 1, 5 }, { 6, 2, 2 }, { 7, 1, 2 }, { 7, 2, 3 },
	{ 7, 3, 1 }, { 8, 1, 4 }, { 8, 2, 3 }, { 8, 3, 3 }, { 9, 1, 2 },
	{ 9, 2, 6 }, { 9, 3, 1 }, { 9, 4, 5 }, { 10, 1, 2 }, { 11, 1, 6 },
	{ 11, 2, 9 }, { 12, 1, 4 }, { 12, 2, 1 }, { 12, 3, 1 }, { 12, 4, 4 },
	{ 12, 5, 1 }, { 12, 6, 2 }, { 12, 7, 1 }, { 13, 1, 3 }, { 13, 2, 4 },
	{ 14, 1, 3 }, { 14, 2, 9 }, { 14, 3, 1 }, { 15, 1, 3 }, { 15, 2, 2 },
	{ 16, 1, 7 }, { 17, 1, 3 }, { 17, 2, 1 }, { 18, 1, 5 }, { 18, 2, 3 },
	{ 0, 0, 0 },
};

static const struct annex_group cat2022[] = {
	{ 5, 0, 37 }, { 6, 0, 8 }, { 7, 0, 14 }, { 8, 0, 34 }, { 0, 0, 0 },
};

static const struct annex_group *const cats[] = { cat2005, cat2013, cat2022 };

static const char *const titles2005[] = {
	[5] = "Security policy",
	[6] = "Organization of information security",
	[7] = "Asset management",
	[8] = "Human resources security",
	[9] = "Physical and environmental security",
	[10] = "Communications and operations management",
	[11] = "Access control",
	[12] = "Information systems acquisition, development and maintenance",
	[13] = "Information security incident management",
	[14] = "Business continuity management",
	[15] = "Compliance",
};

static const char *const titles2013[] = {
	[5] = "Information security policies",
	[6] = "Organization of information security",
	[7] = "Human resource security",
	[8] = "Asset management",
	[9] = "Access control",
	[10] = "Cryptography",
	[11] = "Physical and environmental security",
	[12] = "Operations security",
	[13] = "Communications security",
	[14] = "System acquisition, development and maintenance",
	[15] = "Supplier relationships",
	[16] = "Information security incident management",
	[17] = "Business continuity",
	[18] = "Compliance",
};

static const char *const titles2022[] = {
	[5] = "Organizational controls",
	[6] = "People controls",
	[7] = "Physical controls",
	[8] = "Technological controls",
};

const char *
risk_catalogue_name(int cat)
{
	static const char *const names[] = { "iso27001:2005", "iso27001:2013",
		"iso27001:2022" };

	return cat >= 0 && cat < 3 ? names[cat] : "?";
}

int
risk_annex_nth(int cat, size_t n, char *out, size_t outlen)
{
	const struct annex_group *g;

	if (cat < 0 || cat > 2)
		return 0;
	for (g = cats[cat]; g->count != 0; g++) {
		if (n < g->count) {
			if (g->sub == 0)
				snprintf(out, outlen, "A.%u.%zu", g->clause,
				    n + 1);
			else
				snprintf(out, outlen, "A.%u.%u.%zu", g->clause,
				    g->sub, n + 1);
			return 1;
		}
		n -= g->count;
	}
	return 0;
}

int
risk_annex_known(int cat, const char *id)
{
	char buf[32];
	size_t i;

	for (i = 0; risk_annex_nth(cat, i, buf, sizeof(buf)); i++)
		if (strcmp(buf, id) == 0)
			return 1;
	return 0;
}

const char *
risk_annex_clause_title(int cat, const char *id)
{
	uint64_t clause;
	char num[8];
	size_t n;

	if (strncmp(id, "A.", 2) != 0)
		return "";
	n = strspn(id + 2, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return "";
	memcpy(num, id + 2, n);
	num[n] = '\0';
	if (parse_u64(num, 5, 18, &clause) != 0)
		return "";
	if (cat == 0 && clause <= 15)
		return titles2005[clause];
	if (cat == 1)
		return titles2013[clause];
	if (cat == 2 && clause <= 8)
		return titles2022[clause];
	return "";
}

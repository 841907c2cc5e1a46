/*
 * risk-int.h: the risk module's private structures, shared by its files
 * (register loader, predicates, facts, evaluation, reports). Nothing here
 * is part of the library's interface.
 */
#ifndef RSGATE_RISK_INT_H
#define RSGATE_RISK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/risk.h"

enum fact_type { FACT_BOOL, FACT_INT, FACT_ENUM, FACT_VERSION };

struct risk_fact_def {
	char *name;
	enum fact_type type;
	char **enums;
	size_t n_enums;
	char *source;
	char *doc;
};

enum pred_kind { PRED_CMP, PRED_ALL, PRED_ANY, PRED_NOT, PRED_TRUE };
enum pred_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct risk_pred {
	enum pred_kind kind;
	enum pred_op op;
	char *fact;
	char *lit;
	struct risk_pred **kids;
	size_t n_kids;
};

struct risk_site {
	int id;
	char *name, *party;
};

struct risk_asset {
	int number, site;
	char *name, *owner;
	int c, i, a, phi;
};

struct risk_threat {
	char *id, *name, *source;
	unsigned cia;	/* 1 c, 2 i, 4 a */
	int t;
};

struct risk_vuln {
	char *id, *name;
	int v;
};

struct risk_attest {
	char *by, *date, *expires, *ref;
	int64_t expires_at;
};

struct risk_control {
	char *id, *title, *responsible;
	char *annex[3];			/* 2005, 2013, 2022 */
	struct risk_pred *pred;		/* NULL: none */
	struct risk_attest *att;	/* NULL: none */
	int v_max, t_max, v_minus;	/* 0: absent */
};

struct risk_accept {
	char *by, *date, *expires, *why;
	int64_t expires_at;
	struct risk_pred **bound;
	size_t n_bound;
};

enum risk_treatment { TR_REDUCE, TR_RETAIN, TR_TRANSFER, TR_AVOID };

struct risk_row {
	char *id;
	int site, asset;
	size_t threat, vuln;		/* indexes */
	int t_over, v_over;		/* 0: none */
	char *t_why, *v_why;
	size_t *controls;
	size_t n_controls;
	enum risk_treatment treatment;
	char *owner, *review, *transfer_ref, *note;
	struct risk_pred *avoid_when;
	struct risk_accept *acc;
};

struct risk_soa {
	char *annex_a, *why;
	int applicable;
	char *reasons;
};

struct risk_disc {
	char *mds2, *note;
	struct risk_pred *when;
};

struct risk_level {
	int upto;
	char *name, *colour;
};

struct risk_register {
	char *id, *title, *version;
	int catalogue;			/* 0 2005, 1 2013, 2 2022 */
	int smin[3], smax[3];		/* asset, threat, vuln */
	int per_property;
	struct risk_level *levels;
	size_t n_levels;
	int accept_max;
	uint8_t sha256[32];
	struct risk_fact_def *facts;
	size_t n_facts;
	struct risk_site *sites;
	size_t n_sites;
	struct risk_asset *assets;
	size_t n_assets;
	struct risk_threat *threats;
	size_t n_threats;
	struct risk_vuln *vulns;
	size_t n_vulns;
	struct risk_control *controls;
	size_t n_controls;
	struct risk_row *rows;
	size_t n_rows;
	struct risk_soa *soa;
	size_t n_soa;
	struct risk_disc *disc;
	size_t n_disc;
};

/* Catalogue ids: whether id is in catalogue cat (0 2005, 1 2013, 2 2022). */
int risk_annex_known(int cat, const char *id);
/* The nth id of catalogue cat into out, 0 at the end (no more). */
int risk_annex_nth(int cat, size_t n, char *out, size_t outlen);
/* Catalogue name "iso27001:2005". */
const char *risk_catalogue_name(int cat);
/* The clause title of a 2005/2013/2022 clause ("A.11" -> "Access control"). */
const char *risk_annex_clause_title(int cat, const char *id);

/* Predicate helpers for the loader. */
struct risk_pred *risk_pred_node(enum pred_kind kind);
int risk_pred_add_kid(struct risk_pred *p, struct risk_pred *kid);
/* Type-check p against the fact schema of r; err gets the reason. */
int risk_pred_check(const struct risk_pred *p, const struct risk_register *r,
    char *err, size_t errlen);
const struct risk_fact_def *risk_fact_find(const struct risk_register *r,
    const char *name);
/* Append the comparisons of p that are not true, as "x == y (is z)". */
int risk_pred_explain(const struct risk_pred *p, const struct risk_facts *f,
    struct rsg_buf *out);

/* Dates "YYYY-MM-DD" -> unix seconds at 00:00 UTC of the next day. */
int risk_date_end(const char *s, int64_t *out);

/* Escaping for the report writers. */
int risk_put_md(struct rsg_buf *b, const char *s);
int risk_put_html(struct rsg_buf *b, const char *s);
int risk_put_csv(struct rsg_buf *b, const char *s);
int risk_put_json(struct rsg_buf *b, const char *s);

/* ---- the evaluation ---- */

enum ctl_state { CTL_SATISFIED, CTL_UNSATISFIED, CTL_UNKNOWN, CTL_EXPIRED };

struct risk_eval_ctl {
	enum ctl_state state;
	char *because;
};

struct risk_eval_row {
	size_t row;			/* index into reg->rows */
	char *id;			/* row id, "ID/C" per property */
	unsigned prop;			/* per_property: 1 C, 2 I, 4 A; else 0 */
	int a, t, v, r_before, t_now, v_now, r_now, t_target, v_target,
	    r_target;
	enum risk_status status;
	int acc_valid;			/* -1 none, 0 invalid, 1 valid */
	int avoid_holds;
	char *credited;			/* "C-TLS, C-AGREE" */
	char *facts_used;		/* "tls.mutual_auth=true, ..." */
};

struct risk_eval {
	const struct risk_register *reg;	/* borrowed: outlive e */
	struct risk_facts *facts;		/* copy */
	int64_t at;
	uint8_t facts_sha256[32];
	struct risk_eval_ctl *ctl;		/* per reg->controls */
	struct risk_eval_row *rows;		/* sorted */
	size_t n_rows;
	int *disc;				/* 1 yes, 0 no, -1 unknown */
};

const char *risk_ctl_state_name(enum ctl_state s);
const char *risk_level_name(const struct risk_register *r, int value);
const char *risk_level_colour(const struct risk_register *r, int value);
const char *risk_treatment_name(enum risk_treatment t);
/* "site: name" of site id. */
const struct risk_site *risk_site_find(const struct risk_register *r, int id);
const struct risk_asset *risk_asset_find(const struct risk_register *r,
    int number);

#endif /* RSGATE_RISK_INT_H */

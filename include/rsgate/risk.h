/*
 * risk: the guideline's ISMS risk assessment (REQUIREMENTS.md §3, R61-R70)
 * computed from facts the running system establishes (docs/RISK.md, design
 * in RISK-ENGINE.md). A register (YAML) holds the judgement: scales, sites,
 * assets, threats, vulnerabilities, controls with evidence predicates or
 * attestations, risk rows, acceptances, SoA overrides and disclosure items.
 * A fact set (name -> value, absent = unknown) comes from the hub and AP
 * configurations, from constants in the code, from a daemon's GET /v1/facts
 * or from a JSON file. One evaluation turns both into numbers; every report
 * is drawn from that one evaluation, so they cannot contradict each other.
 *
 * Fail-safe: an unknown fact or an expired attestation earns no credit, and
 * a change of facts can only invalidate an acceptance, never create one.
 * Integer arithmetic only; output order is site, asset number, row id.
 */
#ifndef RSGATE_RISK_H
#define RSGATE_RISK_H

#include <stddef.h>
#include <stdint.h>

#include "rsgate/util.h"

#define RISK_FILE_MAX (4u * 1024 * 1024)	/* bytes of a register */
#define RISK_NODES_MAX 200000			/* YAML nodes in a register */
#define RISK_DEPTH_MAX 32			/* nesting of YAML and predicates */
#define RISK_PRED_MAX 4096			/* bytes of one predicate string */
#define RISK_PRED_NODES_MAX 256			/* nodes of one predicate */
#define RISK_FACTS_MAX 1024			/* facts in a set */
#define RISK_FACT_VALUE_MAX 256			/* bytes of one fact value */
#define RISK_ERR_MAX 512			/* room for a file:line error */

struct config;
struct risk_register;
struct risk_facts;
struct risk_pred;
struct risk_eval;

/* ---- register ---------------------------------------------------------- */

/*
 * Load and strictly validate a register from YAML text; name appears in
 * errors as "NAME:LINE: reason" (written to err). RSG_ERR_FORMAT for any
 * invalid content, RSG_ERR_LIMIT for input over the limits above.
 */
int risk_register_load(const char *name, const char *text, size_t len,
    struct risk_register **out, char *err, size_t errlen) RSG_WUR;
/* As risk_register_load from a file. */
int risk_register_load_file(const char *path, struct risk_register **out,
    char *err, size_t errlen) RSG_WUR;
/* The register compiled into the program (data/register.yaml). */
int risk_register_load_builtin(struct risk_register **out, char *err,
    size_t errlen) RSG_WUR;
void risk_register_free(struct risk_register *r);
/* Counts for `risk check` (rows, controls, facts, sites, assets). */
void risk_register_counts(const struct risk_register *r, size_t *rows,
    size_t *controls, size_t *facts, size_t *sites, size_t *assets);
/* Text of the built-in register (NUL-terminated, static). */
const char *risk_builtin_register(void);

/* ---- predicates -------------------------------------------------------- */

/*
 * A predicate in the string form: comparisons "fact op literal" (op one of
 * == != < <= > >=) joined by "and", "or", "not" and parentheses. Facts are
 * names only; the type check against a schema happens at register load.
 * Bounded: RISK_PRED_MAX bytes, RISK_PRED_NODES_MAX nodes, RISK_DEPTH_MAX.
 */
int risk_pred_parse(const char *text, struct risk_pred **out, char *err,
    size_t errlen) RSG_WUR;
void risk_pred_free(struct risk_pred *p);
/*
 * Tri-state evaluation against f: 1 true, 0 false, -1 unknown (a fact it
 * names is absent or malformed for the comparison).
 */
int risk_pred_eval(const struct risk_pred *p, const struct risk_facts *f);
/* The predicate back as canonical text into out (appended). */
int risk_pred_format(const struct risk_pred *p, struct rsg_buf *out) RSG_WUR;

/* ---- facts ------------------------------------------------------------- */

int risk_facts_new(struct risk_facts **out) RSG_WUR;
void risk_facts_free(struct risk_facts *f);
/* Set (or replace) a fact; value NULL removes it (unknown). */
int risk_facts_set(struct risk_facts *f, const char *name,
    const char *value) RSG_WUR;
/* The value, or NULL when unknown. */
const char *risk_facts_get(const struct risk_facts *f, const char *name);
size_t risk_facts_count(const struct risk_facts *f);
/* Merge: every fact of src replaces the same fact in dst. */
int risk_facts_merge(struct risk_facts *dst,
    const struct risk_facts *src) RSG_WUR;
/*
 * Facts the code guarantees whatever the configuration: TLS 1.3 only,
 * mutual TLS, hash-chained audit with signed checkpoints (from tls.h and
 * audit.h constants).
 */
int risk_facts_add_code(struct risk_facts *f) RSG_WUR;
/* Facts the hub's (resp. the AP's) configuration establishes. */
int risk_facts_add_hub(struct risk_facts *f, const struct config *hub) RSG_WUR;
int risk_facts_add_ap(struct risk_facts *f, const struct config *ap) RSG_WUR;
/*
 * Facts as JSON: an object name -> true/false/number/string; null or
 * "unknown" means unknown (dropped). The format of --facts and of
 * GET /v1/facts. err gets a one-line reason.
 */
int risk_facts_from_json(struct risk_facts *f, const char *text, size_t len,
    char *err, size_t errlen) RSG_WUR;
int risk_facts_to_json(const struct risk_facts *f, struct rsg_buf *out) RSG_WUR;

/* ---- evaluation -------------------------------------------------------- */

enum risk_status {
	RISK_OK,
	RISK_TREAT,
	RISK_ACCEPTED,
	RISK_REOPENED,
	RISK_AVOIDED,
};

/*
 * Evaluate r against f at now (unix seconds, for attestation and
 * acceptance expiry). The result holds copies of what the reports need.
 */
int risk_eval_run(const struct risk_register *r, const struct risk_facts *f,
    int64_t now, struct risk_eval **out) RSG_WUR;
void risk_eval_free(struct risk_eval *e);
/* Rows in a status (for exit codes and summaries). */
size_t risk_eval_count(const struct risk_eval *e, enum risk_status st);
/* Status name: "ok", "treat", "accepted", "reopened", "avoided". */
const char *risk_status_name(enum risk_status st);
/*
 * One row's values by id, for tests: a, t, v, r_before, t_now, v_now,
 * r_now, v_target, r_target; returns RSG_ERR_NOT_FOUND for no such row.
 */
struct risk_row_values {
	int a, t, v, r_before, t_now, v_now, r_now, t_target, v_target, r_target;
	enum risk_status status;
};
int risk_eval_row(const struct risk_eval *e, const char *id,
    struct risk_row_values *out) RSG_WUR;
/* A control's state name ("satisfied" ...) or NULL for no such control. */
const char *risk_eval_control_state(const struct risk_eval *e, const char *id);

/* ---- reports ----------------------------------------------------------- */

enum risk_format {
	RISK_FMT_MD,
	RISK_FMT_HTML,
	RISK_FMT_CSV,
	RISK_FMT_JSON,
};

/* "table", "soa", "mds2": which report a CSV holds (the others hold all). */
enum risk_report {
	RISK_REPORT_TABLE,
	RISK_REPORT_SOA,
	RISK_REPORT_MDS2,
};

/* Render e as a text format into out. */
int risk_report(const struct risk_eval *e, enum risk_format fmt,
    enum risk_report which, struct rsg_buf *out) RSG_WUR;
/* Write e as an XLSX workbook at path, one sheet per report. */
int risk_report_xlsx(const struct risk_eval *e, const char *path) RSG_WUR;
/* One-line summary: "risk: 42 rows: 38 ok, 2 treat, ..." into out. */
int risk_report_summary(const struct risk_eval *e, struct rsg_buf *out) RSG_WUR;

/*
 * Compare two evaluation records (JSON as written by RISK_FMT_JSON) and
 * write the diff report (Markdown) into out: changed facts, changed
 * control states, changed rows with their causal chain ("fact -> control
 * -> V -> R -> status"), register changes. *bad gets the number of rows of
 * the new record that are treat or reopened.
 */
int risk_diff(const char *old_json, size_t old_len, const char *new_json,
    size_t new_len, struct rsg_buf *out, size_t *bad, char *err,
    size_t errlen) RSG_WUR;

#endif /* RSGATE_RISK_H */

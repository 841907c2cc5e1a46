/*
 * test-risk.c: unit tests of the risk engine (R61-R70, RISK-ENGINE.md).
 * Covered: the deck's worked rows (A.11 password spoofing, A.9 forgotten
 * PHI deletion: V 3->2, A 3, T 1, R 9->6 when their facts hold, back to 9
 * when not, R62/R66); turning off mutual TLS, approval none and evidence
 * retention above policy re-open exactly the rows that depend on them and
 * `risk diff` names the cause; expired attestations and unknown facts earn
 * no credit (fail-safe); acceptances bound to facts (R64, R65); avoidance;
 * R63's C/I/A rule; one test per register validation error with FILE:LINE;
 * the predicate language; facts from config files and JSON; the reports
 * (XLSX unzipped and its sheet XML checked, HTML well-formed, CSV BOM,
 * Markdown with all seven sites, R69); an allocation-failure loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsgate/config.h"
#include "rsgate/risk.h"
#include "testutil.h"

extern const struct config_table hub_config_table;
extern const struct config_table ap_config_table;

#define JUNE_2026 INT64_C(1780272000)	/* attestations and acceptances valid */
#define APR_2027 INT64_C(1807747200)	/* attestations expired, acceptances not */
#define JUNE_2027 INT64_C(1811808000)	/* acceptances expired too */

static char *
read_text(const char *name)
{
	const char *dir = getenv("RSG_TEST_DATA");
	struct rsg_buf *b = NULL;
	char path[1024];
	char *s;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/risk/%s", dir, name);
	assert_int_equal(file_read_all(path, RISK_FILE_MAX, &b), 0);
	s = buf_dup_cstring(b);
	buf_free(b);
	assert_non_null(s);
	return s;
}

/* text with the first occurrence of from replaced by to (must occur). */
static char *
mutate(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	size_t n;
	char *s;

	assert_non_null(p);
	n = strlen(text) - strlen(from) + strlen(to) + 1;
	s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
	return s;
}

static struct risk_register *
load_ok(const char *text)
{
	struct risk_register *r = NULL;
	char err[RISK_ERR_MAX] = "";
	int rc = risk_register_load("t.yaml", text, strlen(text), &r, err,
	    sizeof(err));

	if (rc != 0)
		fail_msg("load failed: %s", err);
	return r;
}

static struct risk_register *
builtin(void)
{
	struct risk_register *r = NULL;
	char err[RISK_ERR_MAX] = "";

	if (risk_register_load_builtin(&r, err, sizeof(err)) != 0)
		fail_msg("built-in register: %s", err);
	return r;
}

/* Facts where every technical control of the shipped register holds. */
static struct risk_facts *
good_facts(void)
{
	static const char *const kv[] = {
		"remote.enabled", "true", "auth.personal_accounts", "true",
		"auth.mfa_required", "true", "hub.crl", "true", "ap.crl", "true",
		"audit.enabled", "true", "evidence.retention_secs", "604800",
		"evidence.encrypted", "true", "notify.email", "true",
		"policy.standing_rules", "2", "policy.valid", "true",
		"session.approval", "per_session",
		"session.emergency_access", "false",
		"session.idle_timeout_secs", "900", "session.max_secs", "28800",
		"session.per_device", "1", "alert.enabled", "true",
		"alert.fixed_fields", "true", NULL,
	};
	struct risk_facts *f = NULL;
	size_t i;

	assert_int_equal(risk_facts_new(&f), 0);
	assert_int_equal(risk_facts_add_code(f), 0);
	for (i = 0; kv[i] != NULL; i += 2)
		assert_int_equal(risk_facts_set(f, kv[i], kv[i + 1]), 0);
	return f;
}

static struct risk_eval *
run(const struct risk_register *r, const struct risk_facts *f, int64_t at)
{
	struct risk_eval *e = NULL;

	assert_int_equal(risk_eval_run(r, f, at, &e), 0);
	return e;
}

static void
expect_row(const struct risk_eval *e, const char *id, int a, int t, int v,
    int rb, int vn, int rn, enum risk_status st)
{
	struct risk_row_values x;

	if (risk_eval_row(e, id, &x) != 0)
		fail_msg("no row %s", id);
	if (x.a != a || x.t != t || x.v != v || x.r_before != rb ||
	    x.v_now != vn || x.r_now != rn || x.status != st)
		fail_msg("%s: A %d T %d V %d R %d V' %d R' %d %s; wanted A %d T "
		    "%d V %d R %d V' %d R' %d %s", id, x.a, x.t, x.v,
		    x.r_before, x.v_now, x.r_now, risk_status_name(x.status),
		    a, t, v, rb, vn, rn, risk_status_name(st));
}

/* ---- the deck's worked rows (REQUIREMENTS.md §3.1) ------------------- */

static void
test_deck_rows(void **state)
{
	struct risk_register *r = builtin();
	struct risk_facts *f = good_facts();
	struct risk_eval *e;

	(void)state;
	/* R62, R66: V 3->2, asset 3, threat 1, risk 9->6 with the facts. */
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-61-SPOOF-RSC", 3, 1, 3, 9, 2, 6, RISK_OK);
	expect_row(e, "R-71-FORGET-PHI", 3, 1, 3, 9, 2, 6, RISK_OK);
	risk_eval_free(e);
	/* Without them: back to 9, which needs treatment. */
	assert_int_equal(risk_facts_set(f, "tls.mutual_auth", "false"), 0);
	assert_int_equal(risk_facts_set(f, "evidence.retention_secs",
	    "99999999"), 0);
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-61-SPOOF-RSC", 3, 1, 3, 9, 3, 9, RISK_TREAT);
	expect_row(e, "R-71-FORGET-PHI", 3, 1, 3, 9, 3, 9, RISK_TREAT);
	risk_eval_free(e);
	risk_facts_free(f);
	risk_register_free(r);
}

/* ---- flipping one fact re-opens exactly the dependent rows ----------- */

static int
in_list(const char *id, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, id) == 0)
			return 1;
	return 0;
}

static void
flip(const char *fact, const char *value, const char *const *expect,
    const char *cause)
{
	struct risk_register *r = builtin();
	struct risk_facts *f = good_facts();
	struct risk_eval *e0, *e1;
	struct rsg_buf *j0, *j1, *d;
	struct risk_row_values a, b;
	const char *ids[128];
	char err[RISK_ERR_MAX], *text;
	size_t i, n = 0, bad = 99;

	e0 = run(r, f, JUNE_2026);
	/* The baseline has nothing to treat. */
	assert_int_equal(risk_eval_count(e0, RISK_TREAT), 0);
	assert_int_equal(risk_eval_count(e0, RISK_REOPENED), 0);
	assert_int_equal(risk_facts_set(f, fact, value), 0);
	e1 = run(r, f, JUNE_2026);
	/* Walk every row of the register through the JSON ids. */
	j0 = buf_new(0);
	j1 = buf_new(0);
	d = buf_new(0);
	assert_non_null(d);
	assert_int_equal(risk_report(e0, RISK_FMT_JSON, RISK_REPORT_TABLE,
	    j0), 0);
	assert_int_equal(risk_report(e1, RISK_FMT_JSON, RISK_REPORT_TABLE,
	    j1), 0);
	text = buf_dup_cstring(j0);
	for (char *p = text; (p = strstr(p, "{\"id\": \"")) != NULL && n < 128;) {
		p += 8;
		*strchr(p, '"') = '\0';
		ids[n++] = p;
		p += strlen(p) + 1;
	}
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		assert_int_equal(risk_eval_row(e0, ids[i], &a), 0);
		assert_int_equal(risk_eval_row(e1, ids[i], &b), 0);
		if (in_list(ids[i], expect)) {
			if (b.status != RISK_TREAT && b.status != RISK_REOPENED)
				fail_msg("%s did not re-open after %s=%s",
				    ids[i], fact, value);
		} else if (a.status != b.status || a.r_now != b.r_now)
			fail_msg("%s changed after %s=%s but does not depend "
			    "on it", ids[i], fact, value);
	}
	/* The diff names the cause and the chain. */
	assert_int_equal(risk_diff((const char *)buf_ptr(j0), buf_len(j0),
	    (const char *)buf_ptr(j1), buf_len(j1), d, &bad, err,
	    sizeof(err)), 0);
	assert_int_equal(buf_put_u8(d, 0), 0);
	for (i = 0; expect[i] != NULL; i++)
		if (strstr((const char *)buf_ptr(d), expect[i]) == NULL)
			fail_msg("diff does not name %s:\n%s", expect[i],
			    (const char *)buf_ptr(d));
	if (strstr((const char *)buf_ptr(d), cause) == NULL)
		fail_msg("diff does not say '%s':\n%s", cause,
		    (const char *)buf_ptr(d));
	for (i = 0; expect[i] != NULL; i++)
		;
	assert_int_equal(bad, i);
	free(text);
	buf_free(j0);
	buf_free(j1);
	buf_free(d);
	risk_eval_free(e0);
	risk_eval_free(e1);
	risk_facts_free(f);
	risk_register_free(r);
}

static void
test_flip_mutual_tls(void **state)
{
	static const char *const rows[] = { "R-41-SPOOF", "R-51-SPOOF",
		"R-56-LOGIN", "R-61-SPOOF-RSC", NULL };

	(void)state;
	flip("tls.mutual_auth", "false", rows,
	    "`tls.mutual_auth` true→false ⇒ C-MTLS unsatisfied ⇒ V 1→3 ⇒ "
	    "R 6→18 ⇒ ok→treat");
}

static void
test_flip_approval_none(void **state)
{
	static const char *const rows[] = { "R-11-CHANGE", "R-12-BROWSE",
		"R-34-STANDING", NULL };

	(void)state;
	flip("session.approval", "none", rows,
	    "`session.approval` per_session→none ⇒ C-APPROVAL unsatisfied");
}

static void
test_flip_retention(void **state)
{
	static const char *const rows[] = { "R-71-FORGET-PHI", NULL };

	(void)state;
	/* Policy: 30 days (2592000 s); one second more re-opens. */
	flip("evidence.retention_secs", "2592001", rows,
	    "`evidence.retention_secs` 604800→2592001 ⇒ C-AUTODEL "
	    "unsatisfied ⇒ V 2→3 ⇒ R 6→9 ⇒ ok→treat");
}

/* ---- fail-safe: expired and unknown earn nothing -------------------- */

static void
test_expired_attestation(void **state)
{
	struct risk_register *r = builtin();
	struct risk_facts *f = good_facts();
	struct risk_eval *e;

	(void)state;
	e = run(r, f, JUNE_2026);
	assert_string_equal(risk_eval_control_state(e, "C-HCF-MEDIA"),
	    "satisfied");
	expect_row(e, "R-42-PEEK", 3, 1, 3, 9, 1, 3, RISK_OK);
	risk_eval_free(e);
	e = run(r, f, APR_2027);
	assert_string_equal(risk_eval_control_state(e, "C-HCF-MEDIA"),
	    "expired");
	expect_row(e, "R-42-PEEK", 3, 1, 3, 9, 3, 9, RISK_TREAT);
	risk_eval_free(e);
	risk_facts_free(f);
	risk_register_free(r);
}

static void
test_unknown_fact(void **state)
{
	char *text = read_text("mini.yaml");
	struct risk_register *r = load_ok(text);
	struct risk_facts *f = NULL;
	struct risk_eval *e;

	(void)state;
	assert_int_equal(risk_facts_new(&f), 0);
	/* No facts at all: C-TLS is unknown, not satisfied; no credit. */
	e = run(r, f, JUNE_2026);
	assert_string_equal(risk_eval_control_state(e, "C-TLS"), "unknown");
	expect_row(e, "R-61-T01", 3, 2, 3, 18, 3, 18, RISK_TREAT);
	risk_eval_free(e);
	/* One of the two facts known and true: still unknown. */
	assert_int_equal(risk_facts_set(f, "tls.mutual_auth", "true"), 0);
	e = run(r, f, JUNE_2026);
	assert_string_equal(risk_eval_control_state(e, "C-TLS"), "unknown");
	expect_row(e, "R-61-T01", 3, 2, 3, 18, 3, 18, RISK_TREAT);
	/* RISK-ENGINE.md §4: C-AGREE credited, C-NEVER (unknown) not. */
	expect_row(e, "R-14-T02", 3, 2, 3, 18, 2, 12, RISK_TREAT);
	risk_eval_free(e);
	assert_int_equal(risk_facts_set(f, "tls.min_version", "1.3"), 0);
	e = run(r, f, JUNE_2026);
	assert_string_equal(risk_eval_control_state(e, "C-TLS"), "satisfied");
	expect_row(e, "R-61-T01", 3, 2, 3, 18, 1, 6, RISK_OK);
	risk_eval_free(e);
	/* A fact JSON "unknown" or null removes the fact again. */
	assert_int_equal(risk_facts_from_json(f, "{\"tls.min_version\":null}",
	    24, NULL, 0), 0);
	assert_null(risk_facts_get(f, "tls.min_version"));
	risk_facts_free(f);
	risk_register_free(r);
	free(text);
}

static void
test_acceptance_and_avoid(void **state)
{
	char *text = read_text("mini.yaml");
	struct risk_register *r = load_ok(text);
	struct risk_facts *f = NULL;
	struct risk_eval *e;

	(void)state;
	assert_int_equal(risk_facts_new(&f), 0);
	/* Bound fact unknown: the acceptance does not hold. */
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-62-T03", 2, 2, 3, 12, 3, 12, RISK_REOPENED);
	expect_row(e, "R-14-AVOID", 3, 2, 3, 18, 3, 18, RISK_REOPENED);
	risk_eval_free(e);
	assert_int_equal(risk_facts_set(f, "service.mode", "on_demand"), 0);
	assert_int_equal(risk_facts_set(f, "capability.download_phi",
	    "false"), 0);
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-62-T03", 2, 2, 3, 12, 3, 12, RISK_ACCEPTED);
	expect_row(e, "R-14-AVOID", 3, 2, 3, 18, 3, 0, RISK_AVOIDED);
	risk_eval_free(e);
	/* A change of configuration invalidates the acceptance. */
	assert_int_equal(risk_facts_set(f, "service.mode", "always_on"), 0);
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-62-T03", 2, 2, 3, 12, 3, 12, RISK_REOPENED);
	risk_eval_free(e);
	/* So does its expiry. */
	assert_int_equal(risk_facts_set(f, "service.mode", "on_demand"), 0);
	e = run(r, f, JUNE_2027);
	expect_row(e, "R-62-T03", 2, 2, 3, 12, 3, 12, RISK_REOPENED);
	risk_eval_free(e);
	risk_facts_free(f);
	risk_register_free(r);
	free(text);
}

static void
test_cia_rule_and_ceilings(void **state)
{
	char *base = read_text("mini.yaml"), *t1, *t2;
	struct risk_row_values x;
	struct risk_register *r;
	struct risk_facts *f = NULL;
	struct risk_eval *e;

	(void)state;
	assert_int_equal(risk_facts_new(&f), 0);
	/* R63: A is the max over the tagged properties: [a] uses a = 2. */
	t1 = mutate(base, "cia: [c, i], t: 2, source: deliberate}\n"
	    "  - {id: T02", "cia: [a], t: 2, source: deliberate}\n"
	    "  - {id: T02");
	r = load_ok(t1);
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-61-T01", 2, 2, 3, 12, 3, 12, RISK_TREAT);
	risk_eval_free(e);
	risk_register_free(r);
	/* v_minus: one step in total; a row override of T with a reason. */
	t2 = mutate(base, "effect: {v_max: 2}", "effect: {v_minus: 1}");
	free(t1);
	t1 = mutate(t2, "vuln: V02, controls", "vuln: V02, t: {value: 1, why: "
	    "rare here}, controls");
	r = load_ok(t1);
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-14-T02", 3, 1, 3, 9, 2, 6, RISK_OK);
	risk_eval_free(e);
	risk_register_free(r);
	/* per_property: one row per tagged property, each with its value. */
	free(t1);
	t1 = mutate(base, "cia_rule: max", "cia_rule: per_property");
	r = load_ok(t1);
	e = run(r, f, JUNE_2026);
	expect_row(e, "R-61-T01/C", 3, 2, 3, 18, 3, 18, RISK_TREAT);
	expect_row(e, "R-61-T01/I", 3, 2, 3, 18, 3, 18, RISK_TREAT);
	expect_row(e, "R-62-T03/A", 2, 2, 3, 12, 3, 12, RISK_REOPENED);
	assert_int_equal(risk_eval_row(e, "R-61-T01", &x), RSG_ERR_NOT_FOUND);
	assert_int_equal(risk_eval_row(e, "R-62-T03/C", &x), RSG_ERR_NOT_FOUND);
	risk_eval_free(e);
	risk_register_free(r);
	risk_facts_free(f);
	free(t1);
	free(t2);
	free(base);
}

/* ---- validation: one test per error, each with FILE:LINE ------------ */

struct bad_case {
	const char *from, *to, *where, *why;
};

static const struct bad_case bad_cases[] = {
	{ "title: minimal", "titel: minimal", "t.yaml:3:", "unknown key 'titel'" },
	{ "phi: true}", "phi: true, colour: red}", "t.yaml:25:",
	  "unknown key 'colour'" },
	{ "c: 3, i: 3, a: 2, phi: true", "c: 4, i: 3, a: 2, phi: true",
	  "t.yaml:25:", "'c' must be an integer in 1..3" },
	{ "t: 2, source: deliberate}", "t: 0, source: deliberate}",
	  "t.yaml:29:", "'t' must be an integer in 1..3" },
	{ "v: 3}", "v: 9}", "t.yaml:33:", "'v' must be an integer" },
	{ "{number: 62, site: 4", "{number: 61, site: 4", "t.yaml:26:",
	  "duplicate asset number 61" },
	{ "{number: 14, site: 1", "{number: 14, site: 9", "t.yaml:27:",
	  "undefined site 9" },
	{ "threat: T01, vuln: V01, controls: [C-TLS]",
	  "threat: T09, vuln: V01, controls: [C-TLS]", "t.yaml:56:",
	  "undefined threat" },
	{ "vuln: V01, controls: [C-TLS]", "vuln: V07, controls: [C-TLS]",
	  "t.yaml:56:", "undefined vulnerability" },
	{ "controls: [C-TLS]", "controls: [C-TLX]", "t.yaml:56:",
	  "undefined control 'C-TLX'" },
	{ "\"never.exported == true\"", "\"nobody.knows == true\"",
	  "t.yaml:47:", "unknown fact 'nobody.knows'" },
	{ "\"never.exported == true\"", "\"never.exported == 3\"",
	  "t.yaml:47:", "does not fit the fact's type" },
	{ "\"service.mode == on_demand\"", "\"service.mode == sometimes\"",
	  "t.yaml:", "does not fit the fact's type" },
	{ "\"never.exported == true\"", "\"never.exported ==\"",
	  "t.yaml:47:", "expected a value" },
	{ "{\"2005\": A.12.3.1", "{\"2005\": A.12.3.9", "t.yaml:38:",
	  "not in the Annex A of ISO/IEC 27001:2005" },
	{ "annex_a: {\"2005\": A.11.5.2}", "annex_a: {\"2022\": A.8.5}",
	  "t.yaml:", "no id for the register's catalogue" },
	{ "expires: 2027-03-31", "expires: 2027-02-30", "t.yaml:", "must be a "
	  "date" },
	{ "treatment: retain", "treatment: transfer", "t.yaml:", "transfer "
	  "needs 'transfer_ref'" },
	{ "    acceptance:\n      by: head\n      date: 2026-05-02\n      "
	  "expires: 2027-05-01\n      why: on demand only\n      bound_to: "
	  "[\"service.mode == on_demand\"]\n", "", "t.yaml:", "retain needs an "
	  "acceptance" },
	{ "avoid_when: \"capability.download_phi == false\", ", "",
	  "t.yaml:", "avoid needs 'avoid_when'" },
	{ "controls: [C-TLS], treatment: reduce",
	  "controls: [], treatment: reduce", "t.yaml:", "reduce needs at "
	  "least one control" },
	{ "treatment: reduce", "treatment: ignore", "t.yaml:56:",
	  "unknown value 'ignore'" },
	{ "  - id: C-NEVER", "  - id: C-TLS", "t.yaml:43:",
	  "control 'C-TLS' defined twice" },
	{ "{id: T02,", "{id: T01,", "t.yaml:30:", "threat 'T01' defined "
	  "twice" },
	{ "{id: R-14-T02,", "{id: R-61-T01,", "t.yaml:57:", "defined twice" },
	{ "site: 4, asset: 61", "site: 1, asset: 61", "t.yaml:56:",
	  "asset 61 belongs to site 4" },
	{ "schema: rmsrisk/1", "schema: rmsrisk/2", "t.yaml:1:", "schema must "
	  "be rmsrisk/1" },
	{ "catalogue: iso27001:2005", "catalogue: iso27001:1999", "t.yaml:5:",
	  "catalogue must be" },
	{ "{upto: 27, name: high}", "{upto: 20, name: high}", "t.yaml:13:",
	  "levels do not reach the highest risk 27" },
	{ "{upto: 12, name: medium}", "{upto: 5, name: medium}", "t.yaml:13:",
	  "'upto' must rise" },
	{ "type: enum, enum: [on_demand, always_on]", "type: bool, enum: "
	  "[on_demand, always_on]", "t.yaml:18:", "'enum' goes with type enum" },
	{ "type: version}", "type: float}", "t.yaml:17:", "unknown value "
	  "'float'" },
	{ "formula: product", "formula: sum", "t.yaml:11:", "unknown value "
	  "'sum'" },
	{ "cia_rule: max", "cia_rule: min", "t.yaml:12:", "unknown value "
	  "'min'" },
	{ "cia: [c, i], t: 2", "cia: [x], t: 2", "t.yaml:29:", "c, i and a" },
	{ "party: isp}", "party: vendor}", "t.yaml:", "unknown value 'vendor'" },
	{ "{annex_a: A.9.1.6", "{annex_a: A.99.1", "t.yaml:", "is not in "
	  "iso27001:2005" },
	{ "sites:\n", "sitez:\n", "t.yaml:", "unknown key 'sitez'" },
	{ "id: MINI\n", "id: MINI\nid: TWICE\n", "t.yaml:", "given twice" },
	{ "  - {id: V03, name: Single line, v: 3}\n", "  - {id: V03, name: "
	  "*x, v: 3}\n", "t.yaml:", "aliases are not allowed" },
	{ "version: \"1\"\n", "version: \"1\"\n---\nx: 1\n", "t.yaml:",
	  "more than one YAML document" },
	{ "title: minimal register for tests", "title: [a, b]", "t.yaml:3:",
	  "must be a non-empty value" },
	{ "effect: {v_max: 2}", "effect: {}", "t.yaml:", "v_max, t_max or "
	  "v_minus" },
	{ "effect: {v_max: 1}\n  - id: C-NEVER", "effect: {v_max: 4}\n  - id: "
	  "C-NEVER", "t.yaml:42:", "'v_max' must be an integer in 1..3" },
	{ "bound_to: [\"service.mode == on_demand\"]", "bound_to: [\"service."
	  "mode == on_demand and\"]", "t.yaml:", "expected a fact name" },
	{ "    evidence: {attestation: {by: QA manager, date: 2026-04-01, "
	  "expires: 2027-03-31, ref: RM-17}}", "    evidence: {}", "t.yaml:",
	  "a predicate, an attestation or both" },
	{ NULL, NULL, NULL, NULL },
};

static void
test_validation_errors(void **state)
{
	char *base = read_text("mini.yaml"), *t;
	struct risk_register *r;
	char err[RISK_ERR_MAX];
	size_t i;
	int rc;

	(void)state;
	r = load_ok(base);
	risk_register_free(r);
	for (i = 0; bad_cases[i].from != NULL; i++) {
		t = mutate(base, bad_cases[i].from, bad_cases[i].to);
		r = NULL;
		err[0] = '\0';
		rc = risk_register_load("t.yaml", t, strlen(t), &r, err,
		    sizeof(err));
		if (rc == 0)
			fail_msg("case %zu (%s) loaded", i, bad_cases[i].why);
		assert_null(r);
		if (strncmp(err, bad_cases[i].where,
		    strlen(bad_cases[i].where)) != 0 ||
		    strstr(err, bad_cases[i].why) == NULL)
			fail_msg("case %zu: got \"%s\", wanted \"%s...%s\"", i,
			    err, bad_cases[i].where, bad_cases[i].why);
		free(t);
	}
	/* Syntax errors and the size limit. */
	assert_int_equal(risk_register_load("t.yaml", "a: [b", 5, &r, err,
	    sizeof(err)), RSG_ERR_FORMAT);
	assert_non_null(strstr(err, "t.yaml:"));
	assert_int_equal(risk_register_load("t.yaml", base, RISK_FILE_MAX + 1,
	    &r, err, sizeof(err)), RSG_ERR_LIMIT);
	free(base);
}

static void
test_deep_nesting(void **state)
{
	char buf[4096];
	struct risk_register *r = NULL;
	char err[RISK_ERR_MAX];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 100; i++)
		buf[n++] = '[';
	for (i = 0; i < 100; i++)
		buf[n++] = ']';
	buf[n] = '\0';
	assert_int_equal(risk_register_load("deep", buf, n, &r, err,
	    sizeof(err)), RSG_ERR_LIMIT);
	assert_non_null(strstr(err, "nested deeper"));
}

/* ---- predicates ------------------------------------------------------ */

static int
pred(const char *text, struct risk_facts *f)
{
	struct risk_pred *p = NULL;
	char err[256];
	int v;

	if (risk_pred_parse(text, &p, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", text, err);
	v = risk_pred_eval(p, f);
	risk_pred_free(p);
	return v;
}

static void
test_predicates(void **state)
{
	static const char *const bad[] = { "", "a", "a ==", "== 1", "a = 1",
		"a == 1 and", "(a == 1", "a == 1)", "a == \"x", "a ! 1",
		"not", "a == 1 b == 2", NULL };
	struct risk_facts *f = NULL;
	struct risk_pred *p = NULL;
	struct rsg_buf *b;
	char err[256], deep[600];
	size_t i;

	(void)state;
	assert_int_equal(risk_facts_new(&f), 0);
	assert_int_equal(risk_facts_set(f, "v", "1.10"), 0);
	assert_int_equal(risk_facts_set(f, "b", "true"), 0);
	assert_int_equal(risk_facts_set(f, "n", "900"), 0);
	assert_int_equal(risk_facts_set(f, "m", "per_session"), 0);
	assert_int_equal(pred("v > 1.9", f), 1);	/* numeric, not text */
	assert_int_equal(pred("v >= 1.10.0", f), 0);
	assert_int_equal(pred("n <= 1800", f), 1);
	assert_int_equal(pred("n < 900", f), 0);
	assert_int_equal(pred("b == true and m != none", f), 1);
	assert_int_equal(pred("b == false or m == per_session", f), 1);
	assert_int_equal(pred("not b == true", f), 0);
	/* and binds tighter than or. */
	assert_int_equal(pred("b == true or b == false and x == 1", f), 1);
	assert_int_equal(pred("(b == true or b == false) and x == 1", f), -1);
	/* Unknown facts: unknown, unless the outcome is decided anyway. */
	assert_int_equal(pred("x == 1", f), -1);
	assert_int_equal(pred("not x == 1", f), -1);
	assert_int_equal(pred("x == 1 and b == false", f), 0);
	assert_int_equal(pred("x == 1 or b == true", f), 1);
	/* Ordering on words is unknown, not a string comparison. */
	assert_int_equal(pred("m > abc", f), -1);
	for (i = 0; bad[i] != NULL; i++) {
		if (risk_pred_parse(bad[i], &p, err, sizeof(err)) == 0)
			fail_msg("'%s' parsed", bad[i]);
		assert_non_null(strstr(err, "predicate:"));
	}
	/* Bounded nesting. */
	for (i = 0; i < 200; i++)
		deep[i] = '(';
	snprintf(deep + 200, sizeof(deep) - 200, "a == 1");
	assert_int_not_equal(risk_pred_parse(deep, &p, err, sizeof(err)), 0);
	/* Canonical text. */
	assert_int_equal(risk_pred_parse("not(a==1) or b ==\"x y\" and c<2",
	    &p, err, sizeof(err)), 0);
	b = buf_new(0);
	assert_int_equal(risk_pred_format(p, b), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
	assert_string_equal((const char *)buf_ptr(b),
	    "not a == 1 or (b == \"x y\" and c < 2)");
	buf_free(b);
	risk_pred_free(p);
	risk_facts_free(f);
}

/* ---- facts ---------------------------------------------------------- */

static struct config *
cfg(const struct config_table *t, const char *text)
{
	struct config *c = NULL;
	char err[256];

	assert_int_equal(config_new(t, &c), 0);
	if (config_load_string(c, "x.conf", text, strlen(text), err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	return c;
}

static void
test_facts_from_config(void **state)
{
	struct config *hub, *ap;
	struct risk_facts *f = NULL, *g = NULL;
	struct rsg_buf *b;
	char err[256];

	(void)state;
	hub = cfg(&hub_config_table, "name h\ncert c\nkey k\nca a\n"
	    "audit_db d\naudit_key k2\nengineer Hanako Sato\ncrl x.crl\n");
	ap = cfg(&ap_config_table, "name a\nsite s\nhub h:1\ncert c\nkey k\n"
	    "ca a\naudit_db d\naudit_key k2\n"
	    "allow engineer=Hanako Sato; device=*; service=*\n");
	assert_int_equal(risk_facts_new(&f), 0);
	assert_int_equal(risk_facts_add_code(f), 0);
	/* From the code: TLS 1.3 only, mutual TLS, sealed audit chain. */
	assert_string_equal(risk_facts_get(f, "tls.min_version"), "1.3");
	assert_string_equal(risk_facts_get(f, "tls.mutual_auth"), "true");
	assert_string_equal(risk_facts_get(f, "audit.signed_checkpoints"),
	    "true");
	assert_int_equal(risk_facts_add_hub(f, hub), 0);
	assert_int_equal(risk_facts_add_ap(f, ap), 0);
	assert_string_equal(risk_facts_get(f, "auth.personal_accounts"),
	    "true");
	assert_string_equal(risk_facts_get(f, "hub.crl"), "true");
	assert_string_equal(risk_facts_get(f, "ap.crl"), "false");
	assert_string_equal(risk_facts_get(f, "policy.standing_rules"), "1");
	assert_string_equal(risk_facts_get(f, "policy.valid"), "true");
	assert_string_equal(risk_facts_get(f, "ap.max_streams"), "1024");
	/* Issue 4's keys, with their defaults: allow lines make it standing. */
	assert_string_equal(risk_facts_get(f, "session.approval"), "standing");
	assert_string_equal(risk_facts_get(f, "session.emergency_access"),
	    "false");
	assert_string_equal(risk_facts_get(f, "session.idle_timeout_secs"),
	    "900");
	assert_string_equal(risk_facts_get(f, "session.max_secs"), "28800");
	assert_string_equal(risk_facts_get(f, "session.per_device"), "1");
	assert_string_equal(risk_facts_get(f, "tls.resumption_secs"), "600");
	assert_string_equal(risk_facts_get(f, "alert.enabled"), "false");
	assert_string_equal(risk_facts_get(f, "evidence.retention_secs"), "0");
	assert_string_equal(risk_facts_get(f, "evidence.encrypted"), "false");
	/* No key for a second factor: unknown, so no credit. */
	assert_null(risk_facts_get(f, "auth.mfa_required"));
	config_free(ap);
	ap = cfg(&ap_config_table, "name a\nsite s\nhub h:1\ncert c\n"
	    "key k\nca a\naudit_db d\naudit_key k2\n");
	assert_int_equal(risk_facts_add_ap(f, ap), 0);
	assert_string_equal(risk_facts_get(f, "session.approval"),
	    "per_session");
	config_free(ap);
	ap = cfg(&ap_config_table, "name a\nsite s\nhub h:1\ncert c\n"
	    "key k\nca a\naudit_db d\naudit_key k2\napproval none\n"
	    "emergency_access yes\nidle_timeout 2h\nmax_session 1d\n"
	    "sessions_per_device 3\nalert_listen 127.0.0.1:9514\n"
	    "stream_resumption 0s\n");
	assert_int_equal(risk_facts_add_ap(f, ap), 0);
	assert_string_equal(risk_facts_get(f, "session.approval"), "none");
	assert_string_equal(risk_facts_get(f, "session.emergency_access"),
	    "true");
	assert_string_equal(risk_facts_get(f, "session.idle_timeout_secs"),
	    "7200");
	assert_string_equal(risk_facts_get(f, "session.max_secs"), "86400");
	assert_string_equal(risk_facts_get(f, "session.per_device"), "3");
	assert_string_equal(risk_facts_get(f, "tls.resumption_secs"), "0");
	assert_string_equal(risk_facts_get(f, "alert.enabled"), "true");
	config_free(hub);
	hub = cfg(&hub_config_table, "name h\ncert c\nkey k\nca a\n"
	    "audit_db d\naudit_key k2\nevidence_retention 60d\n"
	    "master_key mk\n");
	assert_int_equal(risk_facts_add_hub(f, hub), 0);
	assert_string_equal(risk_facts_get(f, "evidence.retention_secs"),
	    "5184000");
	assert_string_equal(risk_facts_get(f, "evidence.encrypted"), "true");
	/* No engineer listed: no personal accounts. */
	assert_string_equal(risk_facts_get(f, "auth.personal_accounts"),
	    "false");
	/* JSON round trip keeps every fact and its type. */
	b = buf_new(0);
	assert_int_equal(risk_facts_to_json(f, b), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
	/* Typed: booleans and integers are not strings. */
	assert_non_null(strstr((const char *)buf_ptr(b),
	    "\"tls.mutual_auth\": true"));
	assert_non_null(strstr((const char *)buf_ptr(b),
	    "\"ap.max_streams\": 1024"));
	assert_non_null(strstr((const char *)buf_ptr(b),
	    "\"tls.min_version\": \"1.3\""));
	assert_int_equal(risk_facts_new(&g), 0);
	assert_int_equal(risk_facts_from_json(g, (const char *)buf_ptr(b),
	    buf_len(b) - 1, err, sizeof(err)), 0);
	assert_int_equal(risk_facts_count(g), risk_facts_count(f));
	assert_string_equal(risk_facts_get(g, "ap.max_streams"), "1024");
	/* Bad JSON and bad names are refused with a reason. */
	assert_int_equal(risk_facts_from_json(g, "[1]", 3, err, sizeof(err)),
	    RSG_ERR_FORMAT);
	assert_int_equal(risk_facts_from_json(g, "{\"Bad Name\":1}", 14, err,
	    sizeof(err)), RSG_ERR_FORMAT);
	assert_int_equal(risk_facts_from_json(g, "{\"a\":[1]}", 9, err,
	    sizeof(err)), RSG_ERR_FORMAT);
	buf_free(b);
	risk_facts_free(f);
	risk_facts_free(g);
	config_free(hub);
	config_free(ap);
}

/* ---- reports -------------------------------------------------------- */

/* Tags balance and every '&' starts an entity: a small XML check. */
static void
check_well_formed(const char *s)
{
	const char *stack[256];
	size_t lens[256], depth = 0, n;
	const char *p = s, *q;

	while ((p = strchr(p, '<')) != NULL) {
		if (strncmp(p, "<!DOCTYPE", 9) == 0) {
			p++;
			continue;
		}
		q = strchr(p, '>');
		assert_non_null(q);
		if (p[1] == '/') {
			n = strcspn(p + 2, " >");
			assert_true(depth > 0);
			depth--;
			if (lens[depth] != n || strncmp(stack[depth], p + 2,
			    n) != 0)
				fail_msg("</%.*s> closes <%.*s>", (int)n, p + 2,
				    (int)lens[depth], stack[depth]);
		} else if (q[-1] != '/') {
			assert_true(depth < 256);
			stack[depth] = p + 1;
			lens[depth++] = strcspn(p + 1, " >");
		}
		p = q + 1;
	}
	assert_int_equal(depth, 0);
	for (p = s; (p = strchr(p, '&')) != NULL; p++)
		assert_true(strncmp(p, "&lt;", 4) == 0 ||
		    strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&amp;", 5) == 0 ||
		    strncmp(p, "&quot;", 6) == 0 || strncmp(p, "&#", 2) == 0);
}

static char *
run_cmd(const char *cmd)
{
	struct rsg_buf *b = buf_new(0);
	char chunk[4096];
	size_t n;
	FILE *p = popen(cmd, "r");
	char *s;

	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(buf_put(b, chunk, n), 0);
	assert_int_equal(pclose(p), 0);
	s = buf_dup_cstring(b);
	buf_free(b);
	return s;
}

static void
test_reports(void **state)
{
	struct risk_register *r = builtin();
	struct risk_facts *f = good_facts();
	struct risk_eval *e;
	struct rsg_buf *b = buf_new(0);
	char *dir = tmpdir_new("risk"), cmd[2048], *s;
	const char *x;
	int i;

	(void)state;
	e = run(r, f, JUNE_2026);
	/* Markdown (R69): all seven sites, the summary, the digests. */
	assert_int_equal(risk_report(e, RISK_FMT_MD, RISK_REPORT_TABLE, b), 0);
	s = buf_dup_cstring(b);
	for (i = 1; i <= 7; i++) {
		snprintf(cmd, sizeof(cmd), "### Site %d: ", i);
		assert_non_null(strstr(s, cmd));
	}
	assert_non_null(strstr(s, "## Summary per site"));
	assert_non_null(strstr(s, "## Statement of Applicability"));
	assert_non_null(strstr(s, "| A.11.4.2 | C-MTLS Mutually authenticated "
	    "TLS on every connection | yes | RRA: "));
	assert_non_null(strstr(s, "| A.9.1.6 | - | no | - | no public access"));
	assert_non_null(strstr(s, "| NAUT-3 | (see HN 1-2019) | Yes |"));
	assert_non_null(strstr(s, "register sha256 "));
	free(s);
	/* HTML: well-formed, self-contained, with the SVG heat map. */
	buf_reset(b);
	assert_int_equal(risk_report(e, RISK_FMT_HTML, RISK_REPORT_TABLE, b), 0);
	s = buf_dup_cstring(b);
	check_well_formed(s);
	assert_non_null(strstr(s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_null(strstr(s, "<script"));
	assert_null(strstr(s, "http://www.w3.org/2000/svg\"/>"));
	free(s);
	/* CSV: BOM, CRLF, quoted cells. */
	buf_reset(b);
	assert_int_equal(risk_report(e, RISK_FMT_CSV, RISK_REPORT_TABLE, b), 0);
	assert_memory_equal(buf_ptr(b), "\xef\xbb\xbf\"Annex A clause\"", 19);
	buf_reset(b);
	assert_int_equal(risk_report(e, RISK_FMT_CSV, RISK_REPORT_MDS2, b), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
	assert_non_null(strstr((const char *)buf_ptr(b),
	    "\"AUDT-2.8.1\",\"(see HN 1-2019)\",\"Yes\""));
	/* XLSX: a zip whose sheets hold the rows. */
	x = tmppath(dir, "r.xlsx");
	assert_int_equal(risk_report_xlsx(e, x), 0);
	snprintf(cmd, sizeof(cmd), "unzip -p '%s' xl/workbook.xml", x);
	s = run_cmd(cmd);
	assert_non_null(strstr(s, "name=\"Risk assessment\""));
	assert_non_null(strstr(s, "name=\"Statement of Applicability\""));
	assert_non_null(strstr(s, "name=\"MDS2\""));
	free(s);
	snprintf(cmd, sizeof(cmd), "unzip -p '%s' xl/sharedStrings.xml", x);
	s = run_cmd(cmd);
	assert_non_null(strstr(s, "R-61-SPOOF-RSC"));
	assert_non_null(strstr(s, "PHI on the HCF internal network"));
	free(s);
	snprintf(cmd, sizeof(cmd), "unzip -p '%s' xl/worksheets/sheet1.xml", x);
	s = run_cmd(cmd);
	/* Header row, then one row per risk: 46 rows in all. */
	assert_non_null(strstr(s, "<row r=\"46\""));
	assert_null(strstr(s, "<row r=\"47\""));
	assert_non_null(strstr(s, "<v>18</v>"));
	free(s);
	/* The one-line summary. */
	buf_reset(b);
	assert_int_equal(risk_report_summary(e, b), 0);
	assert_int_equal(buf_put_u8(b, 0), 0);
	assert_non_null(strstr((const char *)buf_ptr(b), "45 rows: "));
	buf_free(b);
	risk_eval_free(e);
	risk_facts_free(f);
	risk_register_free(r);
	tmpdir_rm(dir);
}

static void
test_deterministic(void **state)
{
	struct risk_register *r = builtin();
	struct risk_facts *f = good_facts();
	struct risk_eval *e1, *e2;
	struct rsg_buf *a = buf_new(0), *b = buf_new(0);

	(void)state;
	e1 = run(r, f, JUNE_2026);
	e2 = run(r, f, JUNE_2026);
	assert_int_equal(risk_report(e1, RISK_FMT_JSON, 0, a), 0);
	assert_int_equal(risk_report(e2, RISK_FMT_JSON, 0, b), 0);
	assert_int_equal(buf_len(a), buf_len(b));
	assert_memory_equal(buf_ptr(a), buf_ptr(b), buf_len(a));
	/* Rows sorted by site, then asset number. */
	assert_int_equal(buf_put_u8(a, 0), 0);
	assert_true(strstr((const char *)buf_ptr(a), "\"R-11-CHANGE\"") <
	    strstr((const char *)buf_ptr(a), "\"R-41-EAVES\""));
	assert_true(strstr((const char *)buf_ptr(a), "\"R-48-MISCONFIG\"") <
	    strstr((const char *)buf_ptr(a), "\"R-31-CHANGE\""));
	buf_free(a);
	buf_free(b);
	risk_eval_free(e1);
	risk_eval_free(e2);
	risk_facts_free(f);
	risk_register_free(r);
}

static void
test_allocfail(void **state)
{
	char *text = read_text("mini.yaml");
	struct risk_register *r;
	struct risk_eval *e;
	struct rsg_buf *b, *ref;
	char err[RISK_ERR_MAX];
	unsigned long n;
	int rc, done = 0;

	(void)state;
	/* The reference output. */
	r = load_ok(text);
	e = run(r, NULL, JUNE_2026);
	ref = buf_new(0);
	assert_int_equal(risk_report(e, RISK_FMT_HTML, 0, ref), 0);
	risk_eval_free(e);
	risk_register_free(r);
	for (n = 1; !done && n < 100000; n++) {
		r = NULL;
		e = NULL;
		b = NULL;
		failalloc_arm(n);
		rc = risk_register_load("t.yaml", text, strlen(text), &r, err,
		    sizeof(err));
		if (rc == 0)
			rc = risk_eval_run(r, NULL, JUNE_2026, &e);
		if (rc == 0 && (b = buf_new(0)) == NULL)
			rc = RSG_ERR_NOMEM;
		if (rc == 0)
			rc = risk_report(e, RISK_FMT_HTML, 0, b);
		done = !failalloc_fired();
		failalloc_disarm();
		if (done)
			assert_int_equal(rc, 0);
		else if (rc == 0) {
			/*
			 * OpenSSL's digest fetch may absorb a failure of its
			 * own and succeed; then the output must be right.
			 */
			if (buf_len(b) != buf_len(ref) || memcmp(buf_ptr(b),
			    buf_ptr(ref), buf_len(ref)) != 0)
				fail_msg("allocation %lu failed, output wrong",
				    n);
		} else if (rc != RSG_ERR_NOMEM && rc != RSG_ERR_CRYPTO)
			fail_msg("allocation %lu failed, rc %d", n, rc);
		buf_free(b);
		risk_eval_free(e);
		risk_register_free(r);
	}
	assert_true(done);
	buf_free(ref);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deck_rows),
		cmocka_unit_test(test_flip_mutual_tls),
		cmocka_unit_test(test_flip_approval_none),
		cmocka_unit_test(test_flip_retention),
		cmocka_unit_test(test_expired_attestation),
		cmocka_unit_test(test_unknown_fact),
		cmocka_unit_test(test_acceptance_and_avoid),
		cmocka_unit_test(test_cia_rule_and_ceilings),
		cmocka_unit_test(test_validation_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_facts_from_config),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_allocfail),
	};

	failalloc_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}

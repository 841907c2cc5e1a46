/*
 * test-workflow.c: the ticket transition table and its guards, the
 * capability set, and signed documents (grants, deletion certificates).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rsgate/pki.h"
#include "rsgate/workflow.h"
#include "testutil.h"

static struct ticket_guard
guard(enum ticket_actor a)
{
	struct ticket_guard g;

	memset(&g, 0, sizeof(g));
	g.actor = a;
	g.now_ms = 1000;
	g.not_after_ms = 2000;
	g.has_reason = g.has_ticket_ref = g.narrows = g.phi_purpose_ok = 1;
	g.evidence_destroyed = 1;
	return g;
}

static enum ticket_state
step(enum ticket_state from, enum ticket_event ev, struct ticket_guard g)
{
	enum ticket_state to = TICKET_NONE;
	const char *why = NULL;
	int r;

	r = ticket_transition(from, ev, &g, &to, &why);
	if (r != 0)
		fail_msg("%s from %s: %s", ticket_event_name(ev),
		    ticket_state_name(from), why);
	return to;
}

static int
refused(enum ticket_state from, enum ticket_event ev, struct ticket_guard g,
    const char *want_why)
{
	enum ticket_state to = TICKET_PURGED + 1;
	const char *why = NULL;
	int r;

	r = ticket_transition(from, ev, &g, &to, &why);
	assert_int_not_equal(r, 0);
	assert_int_equal(to, TICKET_PURGED + 1);	/* untouched */
	assert_non_null(why);
	if (want_why != NULL)
		assert_string_equal(why, want_why);
	return r;
}

/* The five steps in order (REQUIREMENTS §1.3): notify .. purge. */
static void
test_happy_path(void **state)
{
	enum ticket_state s = TICKET_NONE;

	(void)state;
	s = step(s, TEV_NOTIFY, guard(TACT_DEVICE));
	assert_int_equal(s, TICKET_NOTIFIED);
	s = step(s, TEV_NOTIFY, guard(TACT_DEVICE));	/* a second alert */
	assert_int_equal(s, TICKET_NOTIFIED);
	s = step(s, TEV_REQUEST, guard(TACT_ENGINEER));
	assert_int_equal(s, TICKET_REQUESTED);
	s = step(s, TEV_APPROVE, guard(TACT_HOSPITAL));
	assert_int_equal(s, TICKET_APPROVED);
	s = step(s, TEV_ACTIVATE, guard(TACT_HUB));
	assert_int_equal(s, TICKET_ACTIVE);
	s = step(s, TEV_CLOSE, guard(TACT_ENGINEER));
	assert_int_equal(s, TICKET_CLOSED);
	s = step(s, TEV_PURGE, guard(TACT_HUB));
	assert_int_equal(s, TICKET_PURGED);
	assert_true(ticket_state_is_final(s));
}

/* R14: a request needs a ticket and a reason. */
static void
test_request_guards(void **state)
{
	struct ticket_guard g = guard(TACT_ENGINEER);

	(void)state;
	g.has_reason = 0;
	assert_int_equal(refused(TICKET_NONE, TEV_REQUEST, g,
	    "a reason is required"), RSG_ERR_PERM);
	g = guard(TACT_ENGINEER);
	g.has_ticket_ref = 0;
	assert_int_equal(refused(TICKET_NOTIFIED, TEV_REQUEST, g,
	    "a ticket reference is required"), RSG_ERR_PERM);
	/* only an engineer requests; a device alert cannot */
	assert_int_equal(refused(TICKET_NOTIFIED, TEV_REQUEST,
	    guard(TACT_DEVICE), "not allowed for this party"), RSG_ERR_PERM);
	/* a denied ticket cannot be requested again */
	assert_int_equal(refused(TICKET_DENIED, TEV_REQUEST,
	    guard(TACT_ENGINEER), "illegal transition"), RSG_ERR_STATE);
}

/* R12, R29: only the hospital approves; never wider; PHI needs a purpose. */
static void
test_approve_guards(void **state)
{
	struct ticket_guard g;

	(void)state;
	assert_int_equal(refused(TICKET_REQUESTED, TEV_APPROVE,
	    guard(TACT_ENGINEER), NULL), RSG_ERR_PERM);
	assert_int_equal(refused(TICKET_REQUESTED, TEV_APPROVE,
	    guard(TACT_HUB), NULL), RSG_ERR_PERM);
	g = guard(TACT_HOSPITAL);
	g.narrows = 0;
	assert_int_equal(refused(TICKET_REQUESTED, TEV_APPROVE, g,
	    "the approval widens the request"), RSG_ERR_PERM);
	g = guard(TACT_HOSPITAL);
	g.phi_purpose_ok = 0;
	assert_int_equal(refused(TICKET_REQUESTED, TEV_APPROVE, g,
	    "access to patient data needs a purpose"), RSG_ERR_PERM);
	assert_int_equal(step(TICKET_REQUESTED, TEV_APPROVE,
	    guard(TACT_POLICY)), TICKET_APPROVED);
	/* R29: patient data is granted by a person, never by a rule */
	g = guard(TACT_POLICY);
	g.grants_phi = 1;
	assert_int_equal(refused(TICKET_REQUESTED, TEV_APPROVE, g,
	    "access to patient data needs a hospital administrator's "
	    "approval (R29)"), RSG_ERR_PERM);
	g = guard(TACT_HOSPITAL);
	g.grants_phi = 1;
	assert_int_equal(step(TICKET_REQUESTED, TEV_APPROVE, g),
	    TICKET_APPROVED);
	/* a decision is final: no approval after a denial */
	assert_int_equal(refused(TICKET_DENIED, TEV_APPROVE,
	    guard(TACT_HOSPITAL), "illegal transition"), RSG_ERR_STATE);
	g = guard(TACT_HOSPITAL);
	g.has_reason = 0;
	assert_int_equal(refused(TICKET_REQUESTED, TEV_DENY, g,
	    "a reason is required"), RSG_ERR_PERM);
	/* more than one actor bit is not an actor */
	g = guard(TACT_HOSPITAL);
	g.actor = (enum ticket_actor)(TACT_HOSPITAL | TACT_ENGINEER);
	assert_int_equal(refused(TICKET_REQUESTED, TEV_APPROVE, g, NULL),
	    RSG_ERR_PERM);
}

/* R21, R24, R26: streams only inside the window; terminate; expiry. */
static void
test_window_and_end(void **state)
{
	struct ticket_guard g = guard(TACT_HUB);

	(void)state;
	g.now_ms = g.not_after_ms;
	assert_int_equal(refused(TICKET_APPROVED, TEV_ACTIVATE, g,
	    "outside the approved window"), RSG_ERR_PERM);
	assert_int_equal(step(TICKET_ACTIVE, TEV_EXPIRE, g), TICKET_EXPIRED);
	g.now_ms = g.not_after_ms - 1;
	assert_int_equal(refused(TICKET_ACTIVE, TEV_EXPIRE, g,
	    "the window has not ended"), RSG_ERR_PERM);
	assert_int_equal(step(TICKET_ACTIVE, TEV_TERMINATE,
	    guard(TACT_HOSPITAL)), TICKET_TERMINATED);
	assert_int_equal(refused(TICKET_ACTIVE, TEV_TERMINATE,
	    guard(TACT_ENGINEER), NULL), RSG_ERR_PERM);
	/* nothing runs again after an end state */
	assert_int_equal(refused(TICKET_TERMINATED, TEV_ACTIVATE,
	    guard(TACT_HUB), "illegal transition"), RSG_ERR_STATE);
	assert_int_equal(refused(TICKET_CLOSED, TEV_APPROVE,
	    guard(TACT_HOSPITAL), NULL), RSG_ERR_STATE);
	assert_false(ticket_state_allows_streams(TICKET_CLOSED));
	assert_true(ticket_state_allows_streams(TICKET_ACTIVE));
}

/* R44: purge only once the evidence is gone, and only by the hub. */
static void
test_purge_guard(void **state)
{
	struct ticket_guard g = guard(TACT_HUB);

	(void)state;
	g.evidence_destroyed = 0;
	assert_int_equal(refused(TICKET_CLOSED, TEV_PURGE, g,
	    "the evidence is not destroyed yet"), RSG_ERR_PERM);
	assert_int_equal(refused(TICKET_CLOSED, TEV_PURGE, guard(TACT_AP),
	    NULL), RSG_ERR_PERM);
	assert_int_equal(refused(TICKET_ACTIVE, TEV_PURGE, guard(TACT_HUB),
	    NULL), RSG_ERR_STATE);
	assert_int_equal(refused(TICKET_PURGED, TEV_PURGE, guard(TACT_HUB),
	    NULL), RSG_ERR_STATE);
}

/* Every (state, event) pair: either a defined transition or a refusal. */
static void
test_table_total(void **state)
{
	unsigned s, e, allowed = 0;
	enum ticket_state to;
	struct ticket_guard g;
	const char *why;
	int r, a;

	(void)state;
	for (s = TICKET_NONE; s <= TICKET_STATE_MAX + 1; s++) {
		for (e = 0; e <= TEV_MAX + 1; e++) {
			for (a = TACT_DEVICE; a <= TACT_AP; a <<= 1) {
				g = guard((enum ticket_actor)a);
				why = NULL;
				r = ticket_transition((enum ticket_state)s,
				    (enum ticket_event)e, &g, &to, &why);
				if (r == 0) {
					allowed++;
					assert_true(to <= TICKET_STATE_MAX);
					assert_true(to != TICKET_NONE);
				} else {
					assert_non_null(why);
				}
			}
		}
	}
	assert_true(allowed > 20);
	assert_null(ticket_state_name((enum ticket_state)99));
	assert_null(ticket_event_name((enum ticket_event)0));
	assert_int_equal(ticket_transition(TICKET_NONE, TEV_NOTIFY, NULL, &to,
	    NULL), RSG_ERR_INVALID_ARG);
}

static void
test_names(void **state)
{
	enum ticket_state s;
	enum ticket_event e;

	(void)state;
	assert_int_equal(ticket_state_parse("terminated", &s), 0);
	assert_int_equal(s, TICKET_TERMINATED);
	assert_int_equal(ticket_state_parse("none", &s), RSG_ERR_NOT_FOUND);
	assert_int_equal(ticket_state_parse("Approved", &s),
	    RSG_ERR_NOT_FOUND);
	/* A stored row: empty is new, a damaged name is refused. */
	assert_int_equal(ticket_state_stored(NULL, &s), 0);
	assert_int_equal(s, TICKET_NONE);
	assert_int_equal(ticket_state_stored("", &s), 0);
	assert_int_equal(s, TICKET_NONE);
	assert_int_equal(ticket_state_stored("closed", &s), 0);
	assert_int_equal(s, TICKET_CLOSED);
	assert_int_equal(ticket_state_stored("closed!", &s), RSG_ERR_STATE);
	assert_int_equal(ticket_state_stored("none", &s), RSG_ERR_STATE);
	assert_int_equal(ticket_event_parse("purge", &e), 0);
	assert_int_equal(e, TEV_PURGE);
	assert_string_equal(ticket_actor_name(TACT_HOSPITAL), "hospital");
	/* R33: each transition is recorded under its own audit event */
	assert_int_equal(ticket_event_audit(TEV_APPROVE),
	    AUDIT_EV_TICKET_APPROVE);
	assert_int_equal(ticket_event_audit(TEV_TERMINATE),
	    AUDIT_EV_TICKET_TERMINATE);
	assert_int_equal(ticket_event_audit(TEV_PURGE), AUDIT_EV_TICKET_PURGE);
	assert_int_equal(ticket_event_audit(TEV_ACTIVATE),
	    AUDIT_EV_SESSION_OPEN);
	assert_int_equal(ticket_event_audit((enum ticket_event)0),
	    AUDIT_EV_TICKET_REFUSE);
}

static void
test_capabilities(void **state)
{
	unsigned m = 0;
	char out[128];

	(void)state;
	assert_int_equal(capabilities_parse("log-collect,remote-shell", &m), 0);
	assert_int_equal(m, CAP_LOG_COLLECT | CAP_REMOTE_SHELL);
	assert_int_equal(capabilities_format(m, out, sizeof(out)), 0);
	assert_string_equal(out, "remote-shell,log-collect");
	assert_int_equal(capabilities_parse("", &m), RSG_ERR_FORMAT);
	assert_int_equal(capabilities_parse("remote-shell,", &m),
	    RSG_ERR_FORMAT);
	assert_int_equal(capabilities_parse("remote-shel", &m),
	    RSG_ERR_FORMAT);
	assert_int_equal(capabilities_parse("root", &m), RSG_ERR_FORMAT);
	assert_int_equal(capabilities_format(CAP_ALL, out, 10), RSG_ERR_LIMIT);
	assert_int_equal(capabilities_format(CAP_ALL, out, sizeof(out)), 0);
	assert_string_equal(out, "remote-shell,remote-desktop,log-collect,"
	    "file-upload,software-update,view-phi");
	assert_int_equal(capabilities_format(0x40, out, sizeof(out)),
	    RSG_ERR_INVALID_ARG);
	assert_int_equal(capabilities_format(0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(capability_parse("view-phi", &m), 0);
	assert_int_equal(m, CAP_VIEW_PHI);
}

/* ---- signed documents ---------------------------------------------------- */

struct pkifix {
	char *tmp;
	struct pki_ca *ca, *other;
	X509 *ap, *hub, *oap;
	EVP_PKEY *ap_key, *hub_key, *oap_key;
	struct pki_trust *trust;
};

static void
issue(struct pki_ca *ca, enum pki_role role, const char *name,
    enum pki_key_type kt, X509 **certp, EVP_PKEY **keyp)
{
	struct pki_issue_req req = { role, name, kt, 30,
	    (int64_t)time(NULL) };
	char err[512];

	if (pki_ca_issue(ca, &req, certp, keyp, err, sizeof(err)) != 0)
		fail_msg("issue %s: %s", name, err);
}

static int
pki_setup(void **state)
{
	struct pkifix *f = calloc(1, sizeof(*f));
	char dir[4096], err[512];
	int64_t now = (int64_t)time(NULL);

	assert_non_null(f);
	assert_non_null(f->tmp = tmpdir_new("workflow"));
	snprintf(dir, sizeof(dir), "%s/ca", f->tmp);
	assert_int_equal(pki_ca_create(dir, "Hospital CA", PKI_KEY_ED25519,
	    100, now, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(dir, &f->ca, err, sizeof(err)), 0);
	snprintf(dir, sizeof(dir), "%s/other", f->tmp);
	assert_int_equal(pki_ca_create(dir, "Other CA", PKI_KEY_ECDSA_P256,
	    100, now, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(dir, &f->other, err, sizeof(err)), 0);
	issue(f->ca, PKI_ROLE_AP, "ap1", PKI_KEY_ED25519, &f->ap, &f->ap_key);
	issue(f->ca, PKI_ROLE_HUB, "hub", PKI_KEY_ECDSA_P256, &f->hub,
	    &f->hub_key);
	issue(f->other, PKI_ROLE_AP, "ap1", PKI_KEY_ECDSA_P256, &f->oap,
	    &f->oap_key);
	snprintf(dir, sizeof(dir), "%s/ca/ca.crt", f->tmp);
	assert_int_equal(pki_trust_load(dir, NULL, &f->trust, err,
	    sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
pki_teardown(void **state)
{
	struct pkifix *f = *state;

	pki_trust_free(f->trust);
	X509_free(f->ap);
	X509_free(f->hub);
	X509_free(f->oap);
	EVP_PKEY_free(f->ap_key);
	EVP_PKEY_free(f->hub_key);
	EVP_PKEY_free(f->oap_key);
	pki_ca_free(f->ca);
	pki_ca_free(f->other);
	tmpdir_rm(f->tmp);
	free(f);
	return 0;
}

static json_t *
grant_payload(void)
{
	return json_pack("{s:s, s:s, s:[s], s:I}", "ticket", "T-1",
	    "device", "ct-01", "capabilities", "remote-shell",
	    "not_after", (json_int_t)2000);
}

static struct rsg_buf *
make_doc(EVP_PKEY *key, X509 *cert, const char *kind)
{
	struct rsg_buf *doc = NULL;
	json_t *p = grant_payload();

	assert_int_equal(signed_doc_create(kind, p, key, cert, &doc), 0);
	json_decref(p);
	return doc;
}

static int
verify(struct pkifix *f, const void *doc, size_t len, const char *kind,
    unsigned roles, json_t **pl, char *err)
{
	char cn[128];

	return signed_doc_verify(doc, len, kind, f->trust, roles,
	    (int64_t)time(NULL), pl, cn, sizeof(cn), NULL, err, 256);
}

/* R12, R45: a grant signed by the AP verifies, with its payload intact. */
static void
test_signed_roundtrip(void **state)
{
	struct pkifix *f = *state;
	struct rsg_buf *doc;
	json_t *pl = NULL;
	char err[256], cn[128], fpr[PKI_FINGERPRINT_HEX], want[PKI_FINGERPRINT_HEX];

	doc = make_doc(f->ap_key, f->ap, SIGNED_KIND_GRANT);
	assert_int_equal(signed_doc_verify(buf_ptr(doc), buf_len(doc),
	    SIGNED_KIND_GRANT, f->trust, PKI_ROLE_AP, (int64_t)time(NULL),
	    &pl, cn, sizeof(cn), fpr, err, sizeof(err)), 0);
	assert_string_equal(cn, "ap1");
	assert_int_equal(pki_cert_fingerprint(f->ap, want, sizeof(want)), 0);
	assert_string_equal(fpr, want);
	assert_string_equal(json_string_value(json_object_get(pl, "device")),
	    "ct-01");
	json_decref(pl);
	buf_free(doc);
	/* ECDSA signer (the hub) works the same */
	doc = make_doc(f->hub_key, f->hub, SIGNED_KIND_DELETION);
	assert_int_equal(verify(f, buf_ptr(doc), buf_len(doc),
	    SIGNED_KIND_DELETION, PKI_ROLE_HUB, &pl, err), 0);
	json_decref(pl);
	buf_free(doc);
}

static struct rsg_buf *
with_payload(const struct rsg_buf *doc, const char *from, const char *to)
{
	json_t *env = json_loadb((const char *)buf_ptr(doc), buf_len(doc), 0,
	    NULL);
	const char *p = json_string_value(json_object_get(env, "payload"));
	char *np, *at, *text;
	struct rsg_buf *out;

	assert_non_null(p);
	assert_non_null(at = strstr(p, from));
	assert_non_null(np = malloc(strlen(p) + strlen(to) + 1));
	memcpy(np, p, (size_t)(at - p));
	strcpy(np + (at - p), to);
	strcat(np, at + strlen(from));
	json_object_set_new(env, "payload", json_string(np));
	text = json_dumps(env, JSON_COMPACT);
	assert_non_null(out = buf_new(strlen(text)));
	assert_int_equal(buf_put(out, text, strlen(text)), 0);
	free(text);
	free(np);
	json_decref(env);
	return out;
}

/* R45: an altered or forged document is refused by its signature. */
static void
test_signed_refusals(void **state)
{
	struct pkifix *f = *state;
	struct rsg_buf *doc, *bad;
	json_t *pl = (json_t *)1;
	char err[256];

	doc = make_doc(f->ap_key, f->ap, SIGNED_KIND_GRANT);
	/* widen the grant after signing */
	bad = with_payload(doc, "\"remote-shell\"", "\"remote-shell\",\"view-phi\"");
	assert_int_equal(verify(f, buf_ptr(bad), buf_len(bad),
	    SIGNED_KIND_GRANT, PKI_ROLE_AP, &pl, err), RSG_ERR_VERIFY);
	assert_non_null(strstr(err, "bad signature"));
	assert_ptr_equal(pl, (json_t *)1);
	buf_free(bad);
	/* a grant is not a deletion certificate */
	assert_int_equal(verify(f, buf_ptr(doc), buf_len(doc),
	    SIGNED_KIND_DELETION, PKI_ROLE_AP, &pl, err), RSG_ERR_VERIFY);
	/* signed by an AP, but a hub's signature is wanted */
	assert_int_equal(verify(f, buf_ptr(doc), buf_len(doc),
	    SIGNED_KIND_GRANT, PKI_ROLE_HUB, &pl, err), RSG_ERR_CERT_ROLE);
	/* truncated, and garbage */
	assert_int_equal(verify(f, buf_ptr(doc), buf_len(doc) - 1,
	    SIGNED_KIND_GRANT, PKI_ROLE_AP, &pl, err), RSG_ERR_FORMAT);
	assert_int_equal(verify(f, "{}", 2, SIGNED_KIND_GRANT, PKI_ROLE_AP,
	    &pl, err), RSG_ERR_FORMAT);
	buf_free(doc);
	/* a forged grant from another CA's "ap1" */
	doc = make_doc(f->oap_key, f->oap, SIGNED_KIND_GRANT);
	assert_int_equal(verify(f, buf_ptr(doc), buf_len(doc),
	    SIGNED_KIND_GRANT, PKI_ROLE_AP, &pl, err), RSG_ERR_CERT_UNTRUSTED);
	buf_free(doc);
	/* the key must belong to the certificate */
	{
		json_t *p = grant_payload();

		assert_int_equal(signed_doc_create(SIGNED_KIND_GRANT, p,
		    f->ap_key, f->hub, &doc), RSG_ERR_INVALID_ARG);
		json_decref(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_request_guards),
		cmocka_unit_test(test_approve_guards),
		cmocka_unit_test(test_window_and_end),
		cmocka_unit_test(test_purge_guard),
		cmocka_unit_test(test_table_total),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test_setup_teardown(test_signed_roundtrip,
		    pki_setup, pki_teardown),
		cmocka_unit_test_setup_teardown(test_signed_refusals,
		    pki_setup, pki_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

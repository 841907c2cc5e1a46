/*
 * test-grant.c: the AP's signed grant and the hub's check of it (R12,
 * R20): a genuine grant verifies; an altered payload, a grant signed by
 * another access point, by a certificate of another CA or of the wrong
 * role, and a malformed payload are all refused. Also the ticket row as
 * the APIs show it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rsgate/grant.h"
#include "rsgate/pki.h"
#include "rsgate/store.h"
#include "rsgate/workflow.h"
#include "testutil.h"

struct fix {
	char *tmp;
	struct pki_ca *ca, *other;
	X509 *ap, *ap2, *hub, *oap;
	EVP_PKEY *ap_key, *ap2_key, *hub_key, *oap_key;
	struct pki_trust *trust;
};

static void
issue(struct pki_ca *ca, enum pki_role role, const char *name, X509 **certp,
    EVP_PKEY **keyp)
{
	struct pki_issue_req req = { role, name, PKI_KEY_ED25519, 30,
	    (int64_t)time(NULL) - 60 };
	char err[512];

	if (pki_ca_issue(ca, &req, certp, keyp, err, sizeof(err)) != 0)
		fail_msg("issue %s: %s", name, err);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char dir[4096], err[512];
	int64_t now = (int64_t)time(NULL) - 120;

	assert_non_null(f);
	assert_non_null(f->tmp = tmpdir_new("grant"));
	snprintf(dir, sizeof(dir), "%s/ca", f->tmp);
	assert_int_equal(pki_ca_create(dir, "Grant CA", PKI_KEY_ED25519, 100,
	    now, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(dir, &f->ca, err, sizeof(err)), 0);
	snprintf(dir, sizeof(dir), "%s/other", f->tmp);
	assert_int_equal(pki_ca_create(dir, "Other CA", PKI_KEY_ED25519, 100,
	    now, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(dir, &f->other, err, sizeof(err)), 0);
	issue(f->ca, PKI_ROLE_AP, "ap1", &f->ap, &f->ap_key);
	issue(f->ca, PKI_ROLE_AP, "ap2", &f->ap2, &f->ap2_key);
	issue(f->ca, PKI_ROLE_HUB, "ap1", &f->hub, &f->hub_key);
	issue(f->other, PKI_ROLE_AP, "ap1", &f->oap, &f->oap_key);
	snprintf(dir, sizeof(dir), "%s/ca/ca.crt", f->tmp);
	assert_int_equal(pki_trust_load(dir, NULL, &f->trust, err,
	    sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	pki_trust_free(f->trust);
	X509_free(f->ap);
	X509_free(f->ap2);
	X509_free(f->hub);
	X509_free(f->oap);
	EVP_PKEY_free(f->ap_key);
	EVP_PKEY_free(f->ap2_key);
	EVP_PKEY_free(f->hub_key);
	EVP_PKEY_free(f->oap_key);
	pki_ca_free(f->ca);
	pki_ca_free(f->other);
	tmpdir_rm(f->tmp);
	free(f);
	return 0;
}

static void
sample(struct grant *g, const char *ap)
{
	int64_t now = (int64_t)time(NULL) * 1000;

	memset(g, 0, sizeof(*g));
	snprintf(g->ticket, sizeof(g->ticket), "T-1");
	snprintf(g->ap, sizeof(g->ap), "%s", ap);
	snprintf(g->device, sizeof(g->device), "ct-01");
	snprintf(g->engineer, sizeof(g->engineer), "Hanako Sato");
	g->caps = CAP_REMOTE_SHELL | CAP_LOG_COLLECT;
	g->not_before_ms = now;
	g->not_after_ms = now + 3600 * 1000;
	snprintf(g->approver, sizeof(g->approver), "root");
	g->issued_ms = now;
	g->idle_timeout_s = 900;
	g->sessions_per_device = 1;
}

static int
verify(struct fix *f, struct rsg_buf *doc, const char *ap, struct grant *out)
{
	char err[512];

	return grant_verify(buf_ptr(doc), buf_len(doc), f->trust, ap,
	    (int64_t)time(NULL), out, err, sizeof(err));
}

static void
test_genuine(void **state)
{
	struct fix *f = *state;
	struct grant g, back;
	struct rsg_buf *doc = NULL;

	sample(&g, "ap1");
	assert_int_equal(grant_sign(&g, f->ap_key, f->ap, &doc), 0);
	assert_int_equal(verify(f, doc, "ap1", &back), 0);
	assert_string_equal(back.ticket, "T-1");
	assert_string_equal(back.engineer, "Hanako Sato");
	assert_int_equal(back.caps, CAP_REMOTE_SHELL | CAP_LOG_COLLECT);
	assert_int_equal(back.not_after_ms, g.not_after_ms);
	assert_int_equal(back.emergency, 0);
	/* The hub expects the AP that serves the device: not ap2. */
	assert_int_not_equal(verify(f, doc, "ap2", &back), 0);
	buf_free(doc);
}

/* Replace the first "from" by "to" (same length) inside the envelope. */
static void
alter(struct rsg_buf *doc, const char *from, const char *to)
{
	char *p = (char *)(uintptr_t)buf_ptr(doc), *hit;
	char *s = strndup(p, buf_len(doc));

	assert_non_null(s);
	assert_non_null(hit = strstr(s, from));
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p + (hit - s), to, strlen(to));
	free(s);
}

static void
test_altered(void **state)
{
	struct fix *f = *state;
	struct grant g, back;
	struct rsg_buf *doc = NULL;

	sample(&g, "ap1");
	assert_int_equal(grant_sign(&g, f->ap_key, f->ap, &doc), 0);
	/* Another device in the payload: the signature no longer matches. */
	alter(doc, "ct-01", "ct-02");
	assert_int_equal(verify(f, doc, "ap1", &back), RSG_ERR_VERIFY);
	buf_free(doc);
	doc = NULL;
	assert_int_equal(grant_sign(&g, f->ap_key, f->ap, &doc), 0);
	/* Another capability than the one granted. */
	alter(doc, "log-collect", "file-upload");
	assert_int_not_equal(verify(f, doc, "ap1", &back), 0);
	buf_free(doc);
}

static void
test_forged(void **state)
{
	struct fix *f = *state;
	struct grant g, back;
	struct rsg_buf *doc = NULL;

	/* ap2 signs a grant naming ap1. */
	sample(&g, "ap1");
	assert_int_equal(grant_sign(&g, f->ap2_key, f->ap2, &doc), 0);
	assert_int_equal(verify(f, doc, "ap1", &back), RSG_ERR_VERIFY);
	buf_free(doc);
	doc = NULL;
	/* A certificate "ap1" from another CA. */
	assert_int_equal(grant_sign(&g, f->oap_key, f->oap, &doc), 0);
	assert_int_not_equal(verify(f, doc, "ap1", &back), 0);
	buf_free(doc);
	doc = NULL;
	/* A hub certificate named ap1: wrong role. */
	assert_int_equal(grant_sign(&g, f->hub_key, f->hub, &doc), 0);
	assert_int_not_equal(verify(f, doc, "ap1", &back), 0);
	buf_free(doc);
}

static void
test_payload_rules(void **state)
{
	struct grant g;
	const char *why = NULL;
	json_t *o = NULL;

	(void)state;
	sample(&g, "ap1");
	assert_int_equal(grant_to_json(&g, &o), 0);
	assert_int_equal(grant_from_json(o, &g, &why), 0);
	/* An empty window, an unknown capability, a missing field. */
	json_object_set_new(o, "not_after_ms", json_integer(g.not_before_ms));
	assert_int_equal(grant_from_json(o, &g, &why), RSG_ERR_FORMAT);
	assert_non_null(why);
	json_object_set_new(o, "not_after_ms", json_integer(g.not_after_ms));
	json_object_set_new(o, "capabilities", json_pack("[s]", "root"));
	assert_int_equal(grant_from_json(o, &g, &why), RSG_ERR_FORMAT);
	json_object_set_new(o, "capabilities", json_pack("[s]",
	    "remote-shell"));
	json_object_del(o, "engineer");
	assert_int_equal(grant_from_json(o, &g, &why), RSG_ERR_FORMAT);
	json_decref(o);
}

static void
test_ticket_row(void **state)
{
	struct store_ticket t;
	json_t *o = NULL;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.id = "T-9";
	t.state = "approved";
	t.device = "ct-01";
	t.caps_requested = CAP_REMOTE_SHELL | CAP_VIEW_PHI;
	t.caps_granted = CAP_REMOTE_SHELL;
	t.not_after_ms = 1000;
	assert_int_equal(ticket_row_json(&t, &o), 0);
	assert_string_equal(json_string_value(json_object_get(o, "id")),
	    "T-9");
	assert_int_equal(json_array_size(json_object_get(o,
	    "capabilities_requested")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    o, "capabilities_granted"), 0)), "remote-shell");
	assert_true(json_is_null(json_object_get(o, "grant")));
	assert_string_equal(json_string_value(json_object_get(o, "engineer")),
	    "");
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_genuine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged, setup, teardown),
		cmocka_unit_test(test_payload_rules),
		cmocka_unit_test(test_ticket_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test-pki.c: the CA, the role certificates and the verification decision.
 *
 * Requirements checked here:
 *   R15  mutual authentication with X.509: a certificate of another CA, an
 *        expired, not-yet-valid or revoked one, or one for another role is
 *        refused; a CRL signed by another CA is refused.
 *   R5   deactivating a person invalidates their credentials at once: a
 *        revoked engineer certificate fails verification.
 *   R4   personal identities: each certificate names one holder (CN) and
 *        one role, and carries a unique random serial.
 *   R16  the certificates fit TLS mutual authentication (EKU serverAuth /
 *        clientAuth per role).
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rsgate/pki.h"
#include "rsgate/util.h"

#include "testutil.h"

struct fixture {
	char *tmp;
	const char *dir_a;	/* ECDSA CA "Test CA" */
	const char *dir_b;	/* another CA with the same name */
	struct pki_ca *ca_a, *ca_b;
	int64_t now;
};

static char dir_a_buf[4096], dir_b_buf[4096];

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];

	assert_non_null(f);
	f->now = (int64_t)time(NULL);
	assert_non_null(f->tmp = tmpdir_new("pki"));
	snprintf(dir_a_buf, sizeof(dir_a_buf), "%s/ca-a", f->tmp);
	snprintf(dir_b_buf, sizeof(dir_b_buf), "%s/ca-b", f->tmp);
	f->dir_a = dir_a_buf;
	f->dir_b = dir_b_buf;
	/* CA A started a month ago, so certificates can be backdated. */
	assert_int_equal(pki_ca_create(f->dir_a, "Test CA", PKI_KEY_ECDSA_P256,
	    3650, f->now - 30 * 86400, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_create(f->dir_b, "Test CA", PKI_KEY_ECDSA_P256,
	    3650, f->now - 30 * 86400, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(f->dir_a, &f->ca_a, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(f->dir_b, &f->ca_b, err, sizeof(err)), 0);
	/* CA A's CRL is refreshed now, so it is current at f->now. */
	assert_int_equal(pki_ca_crl_refresh(f->ca_a, 30, f->now, err,
	    sizeof(err)), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pki_ca_free(f->ca_a);
	pki_ca_free(f->ca_b);
	tmpdir_rm(f->tmp);
	free(f);
	return 0;
}

static void
issue(struct pki_ca *ca, enum pki_role role, const char *name,
    int64_t not_before, unsigned days, X509 **certp, EVP_PKEY **keyp)
{
	struct pki_issue_req req = { role, name, PKI_KEY_ECDSA_P256, days,
	    not_before };
	char err[512];
	EVP_PKEY *key = NULL;
	int r;

	r = pki_ca_issue(ca, &req, certp, &key, err, sizeof(err));
	if (r != 0)
		fail_msg("issue %s: %s", name, err);
	if (keyp != NULL)
		*keyp = key;
	else
		EVP_PKEY_free(key);
}

static struct pki_trust *
trust_of(const char *dir, int with_crl)
{
	struct pki_trust *t = NULL;
	char err[512];

	if (pki_trust_load(tmppath(dir, "ca.crt"), with_crl ?
	    tmppath(dir, "crl.pem") : NULL, &t, err, sizeof(err)) != 0)
		fail_msg("trust %s: %s", dir, err);
	return t;
}

static mode_t
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* R15: a CA for either key type, with the extensions a CA needs. */
static void
check_new_ca(enum pki_key_type kt, const char *keydesc)
{
	struct pki_ca *ca = NULL;
	char *tmp, dir[4096], err[512], desc[64];
	const X509 *x;
	int64_t nb, na, now = (int64_t)time(NULL);

	assert_non_null(tmp = tmpdir_new("pki-ca"));
	snprintf(dir, sizeof(dir), "%s/ca", tmp);
	assert_int_equal(pki_ca_create(dir, "Hospital CA", kt, 100, now, err,
	    sizeof(err)), 0);
	assert_int_equal(file_mode(tmppath(dir, "ca.key")), 0600);
	assert_int_equal(file_mode(tmppath(dir, "ca.crt")), 0644);
	assert_int_equal(file_mode(tmppath(dir, "crl.pem")), 0644);
	assert_int_equal(file_mode(dir), 0700);
	assert_int_equal(pki_ca_open(dir, &ca, err, sizeof(err)), 0);
	assert_int_equal(pki_ca_key_type(ca), kt);
	x = pki_ca_cert(ca);
	assert_int_equal(X509_check_ca((X509 *)x), 1);
	assert_true((X509_get_extension_flags((X509 *)x) & EXFLAG_CA) != 0);
	assert_int_equal(X509_get_key_usage((X509 *)x),
	    KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_non_null(X509_get0_subject_key_id((X509 *)x));
	assert_int_equal(pki_cert_key_desc(x, desc, sizeof(desc)), 0);
	assert_string_equal(desc, keydesc);
	assert_int_equal(pki_cert_validity(x, &nb, &na), 0);
	assert_true(nb <= now && na == now + 100 * 86400);
	assert_int_equal(pki_cert_roles(x), 0);
	pki_ca_free(ca);
	/* Never overwritten. */
	assert_int_equal(pki_ca_create(dir, "Other", kt, 100, now, err,
	    sizeof(err)), RSG_ERR_EXISTS);
	assert_non_null(strstr(err, "exists"));
	tmpdir_rm(tmp);
}

static void
test_ca_create_ecdsa(void **state)
{
	(void)state;
	check_new_ca(PKI_KEY_ECDSA_P256, "ECDSA P-256");
}

static void
test_ca_create_ed25519(void **state)
{
	struct pki_ca *ca = NULL;
	struct pki_trust *t;
	char *tmp, dir[4096], err[512];
	X509 *cert = NULL;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	check_new_ca(PKI_KEY_ED25519, "Ed25519");
	/* An Ed25519 CA issues, signs its CRL and verifies end to end. */
	assert_non_null(tmp = tmpdir_new("pki-ed"));
	snprintf(dir, sizeof(dir), "%s/ca", tmp);
	assert_int_equal(pki_ca_create(dir, "Ed CA", PKI_KEY_ED25519, 100, now,
	    err, sizeof(err)), 0);
	assert_int_equal(pki_ca_open(dir, &ca, err, sizeof(err)), 0);
	issue(ca, PKI_ROLE_ENGINEER, "eve", now - 60, 30, &cert, NULL);
	assert_int_equal(pki_ca_revoke_cert(ca, cert, now, err, sizeof(err)),
	    0);
	t = trust_of(dir, 1);
	assert_int_equal(pki_verify_cert(t, cert, NULL, PKI_ROLE_ENGINEER, now,
	    NULL, 0), RSG_ERR_CERT_REVOKED);
	pki_trust_free(t);
	X509_free(cert);
	pki_ca_free(ca);
	tmpdir_rm(tmp);
}

static void
test_ca_bad_args(void **state)
{
	struct fixture *f = *state;
	struct pki_issue_req req = { PKI_ROLE_ENGINEER, "bob",
	    PKI_KEY_ECDSA_P256, 0, f->now };
	char err[512], dir[4096];
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;

	snprintf(dir, sizeof(dir), "%s/bad", f->tmp);
	assert_int_equal(pki_ca_create(dir, "", PKI_KEY_ECDSA_P256, 10, f->now,
	    err, sizeof(err)), RSG_ERR_INVALID_ARG);
	assert_int_equal(pki_ca_create(dir, "x\ny", PKI_KEY_ECDSA_P256, 10,
	    f->now, err, sizeof(err)), RSG_ERR_INVALID_ARG);
	assert_int_equal(pki_ca_create(dir, "x", PKI_KEY_ECDSA_P256,
	    PKI_CA_DAYS_MAX + 1, f->now, err, sizeof(err)), RSG_ERR_RANGE);
	/* Validity bounds per role, and never beyond the CA's own. */
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_RANGE);
	req.days = PKI_PERSON_DAYS_MAX + 1;
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_RANGE);
	req.days = 10;
	req.not_before = f->now + 3650 * 86400LL;
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_RANGE);
	assert_non_null(strstr(err, "outlive"));
	req.not_before = f->now;
	req.role = (enum pki_role)3;	/* two roles at once: refused */
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_INVALID_ARG);
	assert_null(cert);
	assert_null(key);
}

/*
 * R4: engineers are personal identities, named as they are named: a UTF-8
 * (Japanese) name is issued and shown readably; names that could disguise
 * themselves (bidi override, quotes, control bytes) are refused.
 */
static void
test_issue_utf8_name(void **state)
{
	struct fixture *f = *state;
	struct pki_issue_req req = { PKI_ROLE_ENGINEER,
	    "\xe4\xbd\x90\xe8\x97\xa4 \xe8\x8a\xb1\xe5\xad\x90",
	    PKI_KEY_ECDSA_P256, 30, f->now };
	char err[512], subj[512];
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;

	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_cert_subject(cert, subj, sizeof(subj)), 0);
	assert_string_equal(subj,
	    "CN=\xe4\xbd\x90\xe8\x97\xa4 \xe8\x8a\xb1\xe5\xad\x90");
	X509_free(cert);
	EVP_PKEY_free(key);
	cert = NULL;
	key = NULL;
	req.name = "admin\xe2\x80\xae" "gnp.exe";
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_INVALID_ARG);
	req.name = "a\"b";
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_INVALID_ARG);
	req.name = "\xff\xfe";
	assert_int_equal(pki_ca_issue(f->ca_a, &req, &cert, &key, err,
	    sizeof(err)), RSG_ERR_INVALID_ARG);
	assert_null(cert);
	assert_null(key);
}

/* R4, R16: each role's certificate carries its role and the right EKUs. */
static void
test_issue_each_role(void **state)
{
	static const struct {
		enum pki_role role;
		const char *name;
		int server;
		const char *san;
	} cases[] = {
		{ PKI_ROLE_HUB, "hub.example.org", 1, "hub.example.org" },
		{ PKI_ROLE_AP, "192.0.2.7", 1, NULL },
		{ PKI_ROLE_ENGINEER, "Alice Example", 0, NULL },
		{ PKI_ROLE_ADMIN, "admin-7", 0, NULL },
	};
	struct fixture *f = *state;
	struct pki_trust *t = trust_of(f->dir_a, 1);
	char cn[PKI_NAME_MAX + 1], serial[PKI_SERIAL_HEX_MAX], prev[8][64];
	char fp[PKI_FINGERPRINT_HEX], hex[65], path[64];
	unsigned char md[32];
	unsigned int mdlen = 0;
	GENERAL_NAMES *sans;
	int64_t nb, na;
	size_t i, j;
	uint32_t xku;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509 *cert = NULL;
		unsigned days = pki_role_days_default(cases[i].role);

		issue(f->ca_a, cases[i].role, cases[i].name, f->now - 60, days,
		    &cert, NULL);
		assert_int_equal(pki_cert_roles(cert), cases[i].role);
		assert_int_equal(pki_cert_subject_cn(cert, cn, sizeof(cn)), 0);
		assert_string_equal(cn, cases[i].name);
		assert_int_equal(pki_cert_validity(cert, &nb, &na), 0);
		assert_int_equal(nb, f->now - 60);
		assert_int_equal(na - nb, (int64_t)days * 86400);
		xku = X509_get_extended_key_usage(cert);
		assert_true((xku & XKU_SSL_CLIENT) != 0);
		assert_int_equal((xku & XKU_SSL_SERVER) != 0, cases[i].server);
		assert_int_equal(X509_get_key_usage(cert), KU_DIGITAL_SIGNATURE);
		assert_int_equal(X509_check_ca(cert), 0);
		/* 127 random bits: at most 32 hex digits, distinct each time. */
		assert_int_equal(pki_cert_serial_hex(cert, serial,
		    sizeof(serial)), 0);
		assert_true(strlen(serial) >= 16 && strlen(serial) <= 32);
		for (j = 0; j < i; j++)
			assert_string_not_equal(serial, prev[j]);
		snprintf(prev[i], sizeof(prev[i]), "%s", serial);
		/* Indexed in the CA folder. */
		snprintf(path, sizeof(path), "certs/%s.crt", serial);
		assert_int_equal(access(tmppath(f->dir_a, path), F_OK), 0);
		/* Fingerprint is SHA-256 of the DER. */
		assert_int_equal(pki_cert_fingerprint(cert, fp, sizeof(fp)), 0);
		assert_int_equal(X509_digest(cert, EVP_sha256(), md, &mdlen), 1);
		assert_string_equal(fp, hex_encode(md, mdlen, hex));
		/* SAN for hub and AP names that are hosts or addresses. */
		sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
		assert_int_equal(sans != NULL, cases[i].server);
		if (sans != NULL) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, 0);
			assert_int_equal(gn->type, cases[i].san != NULL ?
			    GEN_DNS : GEN_IPADD);
			GENERAL_NAMES_free(sans);
		}
		/* It passes for its own role, and for a mask holding it. */
		assert_int_equal(pki_verify_cert(t, cert, NULL, cases[i].role,
		    f->now, NULL, 0), 0);
		assert_int_equal(pki_verify_cert(t, cert, NULL, PKI_ROLE_ALL,
		    f->now, NULL, 0), 0);
		X509_free(cert);
	}
	pki_trust_free(t);
}

/* R15: a certificate for another role is refused. */
static void
test_verify_wrong_role(void **state)
{
	struct fixture *f = *state;
	struct pki_trust *t = trust_of(f->dir_a, 1);
	char detail[256];
	X509 *cert = NULL;

	issue(f->ca_a, PKI_ROLE_ENGINEER, "mallory", f->now - 60, 30, &cert,
	    NULL);
	assert_int_equal(pki_verify_cert(t, cert, NULL, PKI_ROLE_HUB, f->now,
	    detail, sizeof(detail)), RSG_ERR_CERT_ROLE);
	assert_non_null(strstr(detail, "engineer"));
	assert_int_equal(pki_verify_cert(t, cert, NULL,
	    PKI_ROLE_AP | PKI_ROLE_ADMIN, f->now, NULL, 0), RSG_ERR_CERT_ROLE);
	assert_int_equal(pki_verify_cert(t, cert, NULL, 0, f->now, NULL, 0),
	    RSG_ERR_INVALID_ARG);
	/* The CA certificate itself is no identity. */
	assert_int_equal(pki_verify_cert(t, pki_ca_cert(f->ca_a), NULL,
	    PKI_ROLE_ALL, f->now, NULL, 0), RSG_ERR_CERT_ROLE);
	X509_free(cert);
	pki_trust_free(t);
}

/* R15: expired and not-yet-valid certificates are refused. */
static void
test_verify_expired(void **state)
{
	struct fixture *f = *state;
	struct pki_trust *t = trust_of(f->dir_a, 0);
	char detail[256];
	X509 *old = NULL, *good = NULL, *future = NULL;
	int64_t nb, na;

	/* Issued with a validity wholly in the past. */
	issue(f->ca_a, PKI_ROLE_ENGINEER, "old", f->now - 10 * 86400, 1, &old,
	    NULL);
	assert_int_equal(pki_verify_cert(t, old, NULL, PKI_ROLE_ENGINEER,
	    f->now, detail, sizeof(detail)), RSG_ERR_CERT_EXPIRED);
	assert_non_null(strstr(detail, "expired"));
	/* A good certificate, asked about after its notAfter. */
	issue(f->ca_a, PKI_ROLE_HUB, "hub", f->now - 60, 10, &good, NULL);
	assert_int_equal(pki_cert_validity(good, &nb, &na), 0);
	assert_int_equal(pki_verify_cert(t, good, NULL, PKI_ROLE_HUB, na - 1,
	    NULL, 0), 0);
	assert_int_equal(pki_verify_cert(t, good, NULL, PKI_ROLE_HUB, na + 1,
	    NULL, 0), RSG_ERR_CERT_EXPIRED);
	assert_int_equal(pki_verify_cert(t, good, NULL, PKI_ROLE_HUB, nb - 1,
	    NULL, 0), RSG_ERR_CERT_EXPIRED);
	/* Not yet valid. */
	issue(f->ca_a, PKI_ROLE_AP, "ap", f->now + 86400, 10, &future, NULL);
	assert_int_equal(pki_verify_cert(t, future, NULL, PKI_ROLE_AP, f->now,
	    detail, sizeof(detail)), RSG_ERR_CERT_EXPIRED);
	assert_non_null(strstr(detail, "not valid before"));
	X509_free(old);
	X509_free(good);
	X509_free(future);
	pki_trust_free(t);
}

/* R5, R15: a revoked certificate is refused once the CRL is loaded. */
static void
test_verify_revoked(void **state)
{
	struct fixture *f = *state;
	struct pki_trust *t;
	char detail[256], err[512], serial[PKI_SERIAL_HEX_MAX];
	X509 *eng = NULL, *adm = NULL, *keep = NULL;

	issue(f->ca_a, PKI_ROLE_ENGINEER, "leaver", f->now - 60, 30, &eng,
	    NULL);
	issue(f->ca_a, PKI_ROLE_ADMIN, "admin", f->now - 60, 30, &adm, NULL);
	issue(f->ca_a, PKI_ROLE_ENGINEER, "stayer", f->now - 60, 30, &keep,
	    NULL);
	assert_int_equal(pki_ca_revoke_cert(f->ca_a, eng, f->now, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_ca_revoke_cert(f->ca_a, eng, f->now, err,
	    sizeof(err)), RSG_ERR_EXISTS);
	/* By serial, upper case accepted. */
	assert_int_equal(pki_cert_serial_hex(adm, serial, sizeof(serial)), 0);
	for (size_t i = 0; serial[i] != '\0'; i++)
		if (serial[i] >= 'a' && serial[i] <= 'f')
			serial[i] = (char)(serial[i] - 'a' + 'A');
	assert_int_equal(pki_ca_revoke_serial(f->ca_a, serial, f->now, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_ca_revoke_serial(f->ca_a, "abcdef0123", f->now,
	    err, sizeof(err)), RSG_ERR_NOT_FOUND);
	assert_int_equal(pki_ca_revoke_serial(f->ca_a, "xyz", f->now, err,
	    sizeof(err)), RSG_ERR_FORMAT);

	t = trust_of(f->dir_a, 1);
	assert_true(pki_trust_has_crl(t));
	assert_int_equal(pki_verify_cert(t, eng, NULL, PKI_ROLE_ENGINEER,
	    f->now, detail, sizeof(detail)), RSG_ERR_CERT_REVOKED);
	assert_non_null(strstr(detail, "revocation list"));
	assert_int_equal(pki_verify_cert(t, adm, NULL, PKI_ROLE_ADMIN, f->now,
	    NULL, 0), RSG_ERR_CERT_REVOKED);
	assert_int_equal(pki_verify_cert(t, keep, NULL, PKI_ROLE_ENGINEER,
	    f->now, NULL, 0), 0);
	/* A CRL past its nextUpdate covers nothing: fail closed. */
	assert_int_equal(pki_verify_cert(t, keep, NULL, PKI_ROLE_ENGINEER,
	    f->now + 31 * 86400, detail, sizeof(detail)),
	    RSG_ERR_CERT_UNTRUSTED);
	assert_non_null(strstr(detail, "revocation list"));
	pki_trust_free(t);
	/* Revoking another CA's certificate is refused. */
	assert_int_equal(pki_ca_revoke_cert(f->ca_b, keep, f->now, err,
	    sizeof(err)), RSG_ERR_CERT_UNTRUSTED);
	assert_int_equal(pki_ca_revoke_cert(f->ca_a, pki_ca_cert(f->ca_a),
	    f->now, err, sizeof(err)), RSG_ERR_INVALID_ARG);
	X509_free(eng);
	X509_free(adm);
	X509_free(keep);
}

/* R15: a certificate of another CA (even one with the same name). */
static void
test_verify_other_ca(void **state)
{
	struct fixture *f = *state;
	struct pki_trust *t = trust_of(f->dir_a, 1), *tb = trust_of(f->dir_b,
	    0);
	char detail[256];
	X509 *cert = NULL;

	issue(f->ca_b, PKI_ROLE_HUB, "hub.evil.example", f->now - 60, 30,
	    &cert, NULL);
	assert_int_equal(pki_verify_cert(t, cert, NULL, PKI_ROLE_HUB, f->now,
	    detail, sizeof(detail)), RSG_ERR_CERT_UNTRUSTED);
	assert_int_equal(pki_verify_cert(tb, cert, NULL, PKI_ROLE_HUB, f->now,
	    NULL, 0), 0);
	X509_free(cert);
	pki_trust_free(t);
	pki_trust_free(tb);
}

/* R15: a CRL signed by another CA is refused when loaded. */
static void
test_crl_other_ca(void **state)
{
	struct fixture *f = *state;
	struct pki_trust *t = NULL;
	char err[512];

	assert_int_equal(pki_trust_load(tmppath(f->dir_a, "ca.crt"),
	    tmppath(f->dir_b, "crl.pem"), &t, err, sizeof(err)),
	    RSG_ERR_VERIFY);
	assert_null(t);
	assert_non_null(strstr(err, "not signed"));
	assert_int_equal(pki_trust_load(tmppath(f->dir_a, "nothing.crt"), NULL,
	    &t, err, sizeof(err)), RSG_ERR_NOT_FOUND);
	/* A leaf certificate is no trust anchor. */
	assert_int_equal(pki_trust_load(tmppath(f->dir_a, "crl.pem"), NULL, &t,
	    err, sizeof(err)), RSG_ERR_FORMAT);
}

/* A bundle of two CAs: certificates from either pass, with both CRLs. */
static void
test_trust_bundle(void **state)
{
	struct fixture *f = *state;
	struct rsg_buf *a = NULL, *b = NULL, *la = NULL, *lb = NULL;
	struct pki_trust *t = NULL;
	char err[512], *ca_path, *crl_path;
	X509 *ca = NULL, *cb = NULL;

	assert_int_equal(file_read_all(tmppath(f->dir_a, "ca.crt"), 65536, &a),
	    0);
	assert_int_equal(file_read_all(tmppath(f->dir_b, "ca.crt"), 65536, &b),
	    0);
	assert_int_equal(file_read_all(tmppath(f->dir_a, "crl.pem"), 65536,
	    &la), 0);
	assert_int_equal(file_read_all(tmppath(f->dir_b, "crl.pem"), 65536,
	    &lb), 0);
	assert_int_equal(buf_put(a, buf_ptr(b), buf_len(b)), 0);
	assert_int_equal(buf_put(la, buf_ptr(lb), buf_len(lb)), 0);
	ca_path = strdup(tmppath(f->tmp, "bundle.crt"));
	crl_path = strdup(tmppath(f->tmp, "bundle.crl"));
	assert_int_equal(file_write_atomic(ca_path, buf_ptr(a), buf_len(a),
	    0644, 0), 0);
	assert_int_equal(file_write_atomic(crl_path, buf_ptr(la), buf_len(la),
	    0644, 0), 0);
	/* CA B's CRL was signed a month ago, valid 30 days: refresh it. */
	assert_int_equal(pki_ca_crl_refresh(f->ca_b, 30, f->now, err,
	    sizeof(err)), 0);
	buf_free(lb);
	lb = NULL;
	assert_int_equal(file_read_all(tmppath(f->dir_b, "crl.pem"), 65536,
	    &lb), 0);
	buf_reset(la);
	buf_free(b);
	b = NULL;
	assert_int_equal(file_read_all(tmppath(f->dir_a, "crl.pem"), 65536,
	    &b), 0);
	assert_int_equal(buf_put(la, buf_ptr(b), buf_len(b)), 0);
	assert_int_equal(buf_put(la, buf_ptr(lb), buf_len(lb)), 0);
	assert_int_equal(file_write_atomic(crl_path, buf_ptr(la), buf_len(la),
	    0644, 0), 0);

	assert_int_equal(pki_trust_load(ca_path, crl_path, &t, err,
	    sizeof(err)), 0);
	issue(f->ca_a, PKI_ROLE_HUB, "hub-a", f->now - 60, 30, &ca, NULL);
	issue(f->ca_b, PKI_ROLE_HUB, "hub-b", f->now - 60, 30, &cb, NULL);
	assert_int_equal(pki_verify_cert(t, ca, NULL, PKI_ROLE_HUB, f->now,
	    err, sizeof(err)), 0);
	assert_int_equal(pki_verify_cert(t, cb, NULL, PKI_ROLE_HUB, f->now,
	    err, sizeof(err)), 0);
	assert_non_null(pki_trust_store(t));
	X509_free(ca);
	X509_free(cb);
	pki_trust_free(t);
	free(ca_path);
	free(crl_path);
	buf_free(a);
	buf_free(b);
	buf_free(la);
	buf_free(lb);
}

/* Keys are written 0600 and a key readable by others is refused. */
static void
test_key_files(void **state)
{
	struct fixture *f = *state;
	char err[512], prefix[4096], cpath[4200], kpath[4200];
	X509 *cert = NULL, *c2 = NULL, *other = NULL;
	EVP_PKEY *key = NULL, *k2 = NULL;
	STACK_OF(X509) *chain = NULL;

	issue(f->ca_a, PKI_ROLE_AP, "ap.hospital.example", f->now - 60, 30,
	    &cert, &key);
	snprintf(prefix, sizeof(prefix), "%s/ap1", f->tmp);
	snprintf(cpath, sizeof(cpath), "%s.crt", prefix);
	snprintf(kpath, sizeof(kpath), "%s.key", prefix);
	assert_int_equal(pki_certkey_write(prefix, cert, key, err,
	    sizeof(err)), 0);
	assert_int_equal(file_mode(kpath), 0600);
	assert_int_equal(file_mode(cpath), 0644);
	/* Never overwritten. */
	assert_int_equal(pki_certkey_write(prefix, cert, key, err,
	    sizeof(err)), RSG_ERR_EXISTS);
	assert_int_equal(pki_certkey_load(cpath, kpath, &c2, &chain, &k2), 0);
	assert_int_equal(X509_cmp(c2, cert), 0);
	assert_int_equal(sk_X509_num(chain), 0);
	assert_int_equal(EVP_PKEY_eq(k2, key), 1);
	X509_free(c2);
	EVP_PKEY_free(k2);
	pki_chain_free(chain);
	c2 = NULL;
	k2 = NULL;
	chain = NULL;
	/* 0644 and 0640 keys are refused. */
	assert_int_equal(chmod(kpath, 0644), 0);
	assert_int_equal(pki_key_load(kpath, &k2), RSG_ERR_PERM);
	assert_int_equal(pki_certkey_load(cpath, kpath, &c2, NULL, &k2),
	    RSG_ERR_PERM);
	assert_int_equal(chmod(kpath, 0640), 0);
	assert_int_equal(pki_key_load(kpath, &k2), RSG_ERR_PERM);
	assert_null(k2);
	assert_null(c2);
	/* The CA's own key too. */
	assert_int_equal(chmod(tmppath(f->dir_b, "ca.key"), 0644), 0);
	{
		struct pki_ca *ca = NULL;
		assert_int_equal(pki_ca_open(f->dir_b, &ca, err, sizeof(err)),
		    RSG_ERR_PERM);
		assert_non_null(strstr(err, "ca.key"));
	}
	assert_int_equal(chmod(tmppath(f->dir_b, "ca.key"), 0600), 0);
	/* A key that is not the certificate's. */
	assert_int_equal(chmod(kpath, 0600), 0);
	issue(f->ca_a, PKI_ROLE_AP, "ap2", f->now - 60, 30, &other, NULL);
	snprintf(prefix, sizeof(prefix), "%s/ap2", f->tmp);
	assert_int_equal(pki_certkey_write(prefix, other, key, err,
	    sizeof(err)), 0);
	assert_int_equal(pki_certkey_load(tmppath(f->tmp, "ap1.crt"),
	    tmppath(f->tmp, "ap2.key"), &c2, NULL, &k2), 0);
	X509_free(c2);
	EVP_PKEY_free(k2);
	assert_int_equal(pki_certkey_load(tmppath(f->tmp, "ap2.crt"),
	    tmppath(f->tmp, "ap2.key"), &c2, NULL, &k2), RSG_ERR_VERIFY);
	assert_int_equal(pki_key_load(tmppath(f->tmp, "none.key"), &k2),
	    RSG_ERR_NOT_FOUND);
	X509_free(cert);
	X509_free(other);
	EVP_PKEY_free(key);
}

static void
test_roles_parse(void **state)
{
	enum pki_role role;
	unsigned mask;
	char out[64];

	(void)state;
	assert_int_equal(pki_role_parse("ap", &role), 0);
	assert_int_equal(role, PKI_ROLE_AP);
	assert_int_equal(pki_role_parse("root", &role), RSG_ERR_FORMAT);
	assert_int_equal(pki_roles_parse("engineer,admin", &mask), 0);
	assert_int_equal(mask, PKI_ROLE_ENGINEER | PKI_ROLE_ADMIN);
	assert_int_equal(pki_roles_parse("engineer,", &mask), RSG_ERR_FORMAT);
	assert_int_equal(pki_roles_parse("", &mask), RSG_ERR_FORMAT);
	assert_int_equal(pki_roles_parse("hubx", &mask), RSG_ERR_FORMAT);
	assert_int_equal(pki_roles_format(PKI_ROLE_ALL, out, sizeof(out)), 0);
	assert_string_equal(out, "hub,ap,engineer,admin");
	assert_int_equal(pki_roles_format(PKI_ROLE_ALL, out, 8),
	    RSG_ERR_LIMIT);
	assert_string_equal(pki_role_oid(PKI_ROLE_ADMIN), PKI_OID_ARC ".1.4");
	assert_null(pki_role_name((enum pki_role)0));
}

/* Allocation failure anywhere in issue + verify: an error, never a pass. */
static void
test_alloc_failure(void **state)
{
	struct fixture *f = *state;
	struct pki_issue_req req = { PKI_ROLE_ENGINEER, "alloc",
	    PKI_KEY_ECDSA_P256, 30, 0 };
	struct pki_trust *t = trust_of(f->dir_a, 1);
	char err[512];
	unsigned long n;
	X509 *cert, *good = NULL;
	EVP_PKEY *key;
	int r, passes = 0;

	req.not_before = f->now - 60;
	issue(f->ca_a, PKI_ROLE_ENGINEER, "good", f->now - 60, 30, &good,
	    NULL);
	for (n = 1; n < 100000; n++) {
		cert = NULL;
		key = NULL;
		failalloc_arm(n);
		r = pki_ca_issue(f->ca_a, &req, &cert, &key, err, sizeof(err));
		if (r == 0)
			r = pki_verify_cert(t, cert, NULL, PKI_ROLE_ENGINEER,
			    f->now, err, sizeof(err));
		failalloc_disarm();
		if (r != 0) {
			assert_null(key);
			assert_true(failalloc_fired());
		}
		/* A failed verification of the good cert must not pass... */
		failalloc_arm(n);
		if (pki_verify_cert(t, good, NULL, PKI_ROLE_HUB, f->now, NULL,
		    0) == 0)
			fail_msg("wrong role passed at allocation %lu", n);
		failalloc_disarm();
		X509_free(cert);
		EVP_PKEY_free(key);
		if (r == 0 && !failalloc_fired()) {
			passes++;
			break;
		}
	}
	assert_int_equal(passes, 1);
	/* Every allocation of issue and verify was failed once. */
	assert_true(n > 100);
	X509_free(good);
	pki_trust_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_parse),
		cmocka_unit_test(test_ca_create_ecdsa),
		cmocka_unit_test(test_ca_create_ed25519),
		cmocka_unit_test(test_ca_bad_args),
		cmocka_unit_test(test_issue_utf8_name),
		cmocka_unit_test(test_issue_each_role),
		cmocka_unit_test(test_verify_wrong_role),
		cmocka_unit_test(test_verify_expired),
		cmocka_unit_test(test_verify_revoked),
		cmocka_unit_test(test_verify_other_ca),
		cmocka_unit_test(test_crl_other_ca),
		cmocka_unit_test(test_trust_bundle),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_alloc_failure),
	};

	failalloc_install();
	return cmocka_run_group_tests(tests, setup, teardown);
}

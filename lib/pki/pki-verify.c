/*
 * pki-verify.c: the trust anchors and the one decision every rsgate peer
 * makes about another's certificate: chain to a trusted CA, validity at a
 * given time, revocation, role. Fails closed: anything but an explicit pass
 * is a refusal with a specific reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki-int.h"

struct pki_trust {
	X509_STORE *store;
	STACK_OF(X509) *cas;
	int has_crl;
};

/* Every certificate in a PEM file; at least one. */
static int
pem_read_certs(const char *path, STACK_OF(X509) **out)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x;
	BIO *bio = NULL;
	int r;

	if ((r = pki_pem_bio(path, &bio)) != 0)
		return r;
	r = RSG_ERR_NOMEM;
	if ((sk = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto out;
		}
	}
	r = RSG_ERR_FORMAT;
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    sk_X509_num(sk) == 0)
		goto out;
	*out = sk;
	sk = NULL;
	r = 0;
 out:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	return r;
}

/* Is crl signed by one of the CAs? */
static int
crl_signed_by(X509_CRL *crl, STACK_OF(X509) *cas)
{
	X509 *ca;
	int i;

	for (i = 0; i < sk_X509_num(cas); i++) {
		ca = sk_X509_value(cas, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_subject_name(ca)) != 0)
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
			return 1;
	}
	ERR_clear_error();
	return 0;
}

static int
load_crls(struct pki_trust *t, const char *path, char *err, size_t errlen)
{
	X509_CRL *crl = NULL;
	BIO *bio = NULL;
	int r, n = 0;

	if ((r = pki_pem_bio(path, &bio)) != 0) {
		pki_seterr(err, errlen, "%s: %s", path, pki_file_strerror(r));
		return r;
	}
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		/* Fail at load: a foreign CRL would silently cover nothing. */
		if (!crl_signed_by(crl, t->cas)) {
			r = RSG_ERR_VERIFY;
			pki_seterr(err, errlen, "%s: a CRL not signed by any "
			    "trusted CA", path);
			goto out;
		}
		r = RSG_ERR_NOMEM;
		if (X509_STORE_add_crl(t->store, crl) != 1)
			goto out;
		X509_CRL_free(crl);
		crl = NULL;
		n++;
	}
	r = RSG_ERR_FORMAT;
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    n == 0) {
		pki_seterr(err, errlen, "%s: not a PEM CRL file", path);
		goto out;
	}
	t->has_crl = 1;
	r = 0;
 out:
	if (r == RSG_ERR_NOMEM)
		pki_seterr(err, errlen, "%s", rsg_strerror(r));
	ERR_clear_error();
	X509_CRL_free(crl);
	BIO_free(bio);
	return r;
}

int
pki_trust_load(const char *ca_path, const char *crl_path,
    struct pki_trust **out, char *err, size_t errlen)
{
	struct pki_trust *t = NULL;
	unsigned long flags;
	int i, r;

	if ((r = pki_init()) != 0)
		return r;
	r = RSG_ERR_NOMEM;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->store = X509_STORE_new()) == NULL)
		goto out;
	if ((r = pem_read_certs(ca_path, &t->cas)) != 0) {
		pki_seterr(err, errlen, "%s: %s", ca_path,
		    r == RSG_ERR_FORMAT ? "not a PEM certificate file" :
		    pki_file_strerror(r));
		goto out;
	}
	for (i = 0; i < sk_X509_num(t->cas); i++) {
		X509 *ca = sk_X509_value(t->cas, i);
		/* A leaf as trust anchor would trust whoever holds its key. */
		if (X509_check_ca(ca) == 0) {
			r = RSG_ERR_FORMAT;
			pki_seterr(err, errlen, "%s: certificate %d is not a "
			    "CA certificate", ca_path, i + 1);
			goto out;
		}
		r = RSG_ERR_NOMEM;
		if (X509_STORE_add_cert(t->store, ca) != 1)
			goto out;
	}
	/*
	 * Any certificate in the trust file is an anchor (PARTIAL_CHAIN), so
	 * a deployment may trust an intermediate of its own PKI rather than
	 * the whole root. With CRLs, the leaf must be covered by one.
	 */
	flags = X509_V_FLAG_PARTIAL_CHAIN;
	if (crl_path != NULL) {
		if ((r = load_crls(t, crl_path, err, errlen)) != 0)
			goto out;
		flags |= X509_V_FLAG_CRL_CHECK;
	}
	r = RSG_ERR_NOMEM;
	if (X509_STORE_set_flags(t->store, flags) != 1)
		goto out;
	*out = t;
	t = NULL;
	r = 0;
 out:
	if (r == RSG_ERR_NOMEM)
		pki_seterr(err, errlen, "%s", rsg_strerror(r));
	ERR_clear_error();
	pki_trust_free(t);
	return r;
}

void
pki_trust_free(struct pki_trust *trust)
{
	if (trust == NULL)
		return;
	X509_STORE_free(trust->store);
	sk_X509_pop_free(trust->cas, X509_free);
	free(trust);
}

struct x509_store_st *
pki_trust_store(const struct pki_trust *trust)
{
	return trust->store;
}

int
pki_trust_has_crl(const struct pki_trust *trust)
{
	return trust->has_crl;
}

static void
fmt_time(const ASN1_TIME *t, char *out, size_t outlen)
{
	struct tm tm;
	int64_t v;
	time_t tt;

	if (pki_asn1_time_get(t, &v) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	tt = (time_t)v;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "?");
}

/* Turn an X509_verify_cert failure into our error and a reason. */
static int
map_verify_error(X509_STORE_CTX *ctx, const X509 *leaf, char *detail,
    size_t detaillen)
{
	int e = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
	const char *who = depth == 0 ? "certificate" : "issuing CA certificate";
	char when[32], serial[PKI_SERIAL_HEX_MAX];

	if (bad == NULL)
		bad = (X509 *)leaf;
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		fmt_time(X509_get0_notAfter(bad), when, sizeof(when));
		pki_seterr(detail, detaillen, "%s expired at %s", who, when);
		return RSG_ERR_CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		fmt_time(X509_get0_notBefore(bad), when, sizeof(when));
		pki_seterr(detail, detaillen, "%s not valid before %s", who,
		    when);
		return RSG_ERR_CERT_EXPIRED;
	case X509_V_ERR_CERT_REVOKED:
		if (pki_serial_hex(X509_get0_serialNumber(bad), serial,
		    sizeof(serial)) != 0)
			serial[0] = '\0';
		pki_seterr(detail, detaillen, "%s with serial %s is on the "
		    "revocation list", who, serial);
		return RSG_ERR_CERT_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
		pki_seterr(detail, detaillen, "no revocation list of the "
		    "issuing CA is loaded");
		return RSG_ERR_CERT_UNTRUSTED;
	case X509_V_ERR_CRL_HAS_EXPIRED:
		pki_seterr(detail, detaillen, "the revocation list has expired "
		    "(re-sign it: rsgate pki crl)");
		return RSG_ERR_CERT_UNTRUSTED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		pki_seterr(detail, detaillen, "not issued by a trusted CA (%s)",
		    X509_verify_cert_error_string(e));
		return RSG_ERR_CERT_UNTRUSTED;
	default:
		pki_seterr(detail, detaillen, "%s at depth %d: %s",
		    "chain does not verify", depth,
		    X509_verify_cert_error_string(e));
		return RSG_ERR_CERT_UNTRUSTED;
	}
}

int
pki_verify_cert(const struct pki_trust *trust, const struct x509_st *cert,
    struct stack_st_X509 *chain, unsigned roles, int64_t now, char *detail,
    size_t detaillen)
{
	X509_STORE_CTX *ctx = NULL;
	char want[64], have[64];
	unsigned got;
	int r;

	if (trust == NULL || cert == NULL || roles == 0 ||
	    (roles & ~PKI_ROLE_ALL) != 0) {
		pki_seterr(detail, detaillen, "invalid arguments");
		return RSG_ERR_INVALID_ARG;
	}
	if ((r = pki_init()) != 0) {
		pki_seterr(detail, detaillen, "%s", rsg_strerror(r));
		return r;
	}
	r = RSG_ERR_NOMEM;
	/* OpenSSL's API is not const-clean; X509_verify_cert does not write. */
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, trust->store, (X509 *)cert, chain) != 1) {
		pki_seterr(detail, detaillen, "%s", rsg_strerror(r));
		goto out;
	}
	/* The caller's clock, so that tests and audits can ask "at when". */
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
	    (time_t)now);
	if (X509_verify_cert(ctx) != 1) {
		r = map_verify_error(ctx, cert, detail, detaillen);
		goto out;
	}
	/* A CA certificate is never a peer identity, whatever it claims. */
	r = RSG_ERR_CERT_ROLE;
	if (X509_check_ca((X509 *)cert) != 0) {
		pki_seterr(detail, detaillen, "a CA certificate is not an "
		    "identity");
		goto out;
	}
	got = pki_cert_roles(cert);
	if ((got & roles) == 0) {
		if (pki_roles_format(roles, want, sizeof(want)) != 0)
			want[0] = '\0';
		if (pki_roles_format(got, have, sizeof(have)) != 0)
			have[0] = '\0';
		pki_seterr(detail, detaillen, "certificate is for role '%s', "
		    "needed '%s'", got != 0 ? have : "none", want);
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	return r;
}

/*
 * Signed documents: a JSON envelope around a canonical JSON payload, signed
 * by the party that made the decision (grant: the AP; deletion certificate
 * and work report: the hub) and verifiable by anyone with the CA.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "rsgate/pki.h"
#include "rsgate/workflow.h"

#define SIG_DOMAIN "rsgate-signed-document"
#define SIG_MAX 256		/* bytes of a signature (ECDSA DER ~72) */
#define KIND_MAX 64

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* The bytes signed: domain, NUL, kind, NUL, payload. */
static int
tbs_build(const char *kind, const char *payload, size_t plen,
    struct rsg_buf **out)
{
	struct rsg_buf *b;
	size_t klen = strlen(kind);
	int r;

	if (plen > SIGNED_DOC_MAX)
		return RSG_ERR_LIMIT;
	if ((b = buf_new(sizeof(SIG_DOMAIN) + klen + 1 + plen)) == NULL)
		return RSG_ERR_NOMEM;
	if ((r = buf_put(b, SIG_DOMAIN, sizeof(SIG_DOMAIN))) != 0 ||
	    (r = buf_put(b, kind, klen)) != 0 ||
	    (r = buf_put_u8(b, 0)) != 0 ||
	    (r = buf_put(b, payload, plen)) != 0) {
		buf_free(b);
		return r;
	}
	*out = b;
	return 0;
}

static const char *
alg_name(EVP_PKEY *key)
{
	/* A certificate whose key OpenSSL cannot decode has none (NULL). */
	if (key == NULL)
		return NULL;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
		return "ed25519";
	case EVP_PKEY_EC:
		return "ecdsa-sha256";
	default:
		return NULL;
	}
}

static const EVP_MD *
alg_md(const char *alg)
{
	return strcmp(alg, "ed25519") == 0 ? NULL : EVP_sha256();
}

int
signed_doc_create(const char *kind, const json_t *payload, EVP_PKEY *key,
    const X509 *cert, struct rsg_buf **out)
{
	struct rsg_buf *tbs = NULL, *pem = NULL, *res = NULL;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pub;
	json_t *env = NULL;
	char *ptext = NULL, *etext = NULL, *pemstr = NULL;
	unsigned char sig[SIG_MAX];
	char sig64[((SIG_MAX + 2) / 3) * 4 + 1];
	size_t siglen = sizeof(sig), plen;
	const char *alg;
	int r;

	if (kind == NULL || strlen(kind) > KIND_MAX || payload == NULL ||
	    !json_is_object(payload) || key == NULL || cert == NULL ||
	    out == NULL)
		return RSG_ERR_INVALID_ARG;
	if ((alg = alg_name(key)) == NULL)
		return RSG_ERR_INVALID_ARG;
	pub = X509_get0_pubkey(cert);
	if (pub == NULL || EVP_PKEY_eq(pub, key) != 1)
		return RSG_ERR_INVALID_ARG;
	ptext = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	if (ptext == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	plen = strlen(ptext);
	if ((r = tbs_build(kind, ptext, plen, &tbs)) != 0)
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, alg_md(alg), NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, buf_ptr(tbs), buf_len(tbs)) != 1) {
		r = RSG_ERR_CRYPTO;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)sig64, sig, (int)siglen);
	if ((r = pki_cert_to_pem(cert, &pem)) != 0)
		goto out;
	if ((pemstr = strndup((const char *)buf_ptr(pem), buf_len(pem))) ==
	    NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	env = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", kind,
	    "payload", ptext, "alg", alg, "cert", pemstr, "sig", sig64);
	if (env == NULL ||
	    (etext = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if (strlen(etext) > SIGNED_DOC_MAX) {
		r = RSG_ERR_LIMIT;
		goto out;
	}
	if ((res = buf_new(strlen(etext))) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((r = buf_put(res, etext, strlen(etext))) != 0)
		goto out;
	*out = res;
	res = NULL;
	r = 0;
 out:
	buf_free(res);
	buf_free(tbs);
	buf_free(pem);
	EVP_MD_CTX_free(md);
	json_decref(env);
	free(ptext);
	free(etext);
	free(pemstr);
	return r;
}

/* Base64 (standard alphabet, padded) into out; the decoded length. */
static int
b64_decode(const char *s, unsigned char *out, size_t outlen, size_t *n)
{
	size_t len = strlen(s), pad = 0;
	int dl;

	if (len == 0 || len % 4 != 0 || (len / 4) * 3 > outlen)
		return RSG_ERR_FORMAT;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	dl = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (dl < 0 || (size_t)dl < pad)
		return RSG_ERR_FORMAT;
	*n = (size_t)dl - pad;
	return 0;
}

static const char *
get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
signed_doc_verify(const void *doc, size_t len, const char *kind,
    const struct pki_trust *trust, unsigned roles, int64_t now,
    json_t **payload, char *signer_cn, size_t cnlen, char *signer_fpr,
    char *err, size_t errlen)
{
	json_t *env = NULL, *pl = NULL;
	json_error_t jerr;
	struct rsg_buf *tbs = NULL;
	EVP_MD_CTX *md = NULL;
	BIO *bio = NULL;
	X509 *cert = NULL;
	const char *k, *ptext, *alg, *pem, *sig64, *want;
	unsigned char sig[SIG_MAX];
	char detail[256], cn[PKI_NAME_MAX + 1], fpr[PKI_FINGERPRINT_HEX];
	size_t siglen;
	int r;

	if (doc == NULL || kind == NULL || trust == NULL || payload == NULL)
		return RSG_ERR_INVALID_ARG;
	if (len > SIGNED_DOC_MAX) {
		set_err(err, errlen, "document too large");
		return RSG_ERR_LIMIT;
	}
	env = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
	if (env == NULL || !json_is_object(env) ||
	    json_object_size(env) != 5 ||
	    (k = get_str(env, "kind")) == NULL ||
	    (ptext = get_str(env, "payload")) == NULL ||
	    (alg = get_str(env, "alg")) == NULL ||
	    (pem = get_str(env, "cert")) == NULL ||
	    (sig64 = get_str(env, "sig")) == NULL) {
		set_err(err, errlen, "malformed signed document");
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if (strcmp(k, kind) != 0) {
		snprintf(detail, sizeof(detail), "not a %s document", kind);
		set_err(err, errlen, detail);
		r = RSG_ERR_VERIFY;
		goto out;
	}
	if (b64_decode(sig64, sig, sizeof(sig), &siglen) != 0) {
		set_err(err, errlen, "malformed signature");
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		set_err(err, errlen, "malformed signer certificate");
		r = RSG_ERR_FORMAT;
		goto out;
	}
	want = alg_name(X509_get0_pubkey(cert));
	if (want == NULL || strcmp(want, alg) != 0) {
		set_err(err, errlen, "signature algorithm does not match the "
		    "signer's key");
		r = RSG_ERR_VERIFY;
		goto out;
	}
	if ((r = tbs_build(k, ptext, strlen(ptext), &tbs)) != 0)
		goto out;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		r = RSG_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(md, NULL, alg_md(alg), NULL,
	    X509_get0_pubkey(cert)) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, buf_ptr(tbs),
	    buf_len(tbs)) != 1) {
		set_err(err, errlen, "bad signature: the document was altered "
		    "or not signed by this certificate");
		r = RSG_ERR_VERIFY;
		goto out;
	}
	detail[0] = '\0';
	if ((r = pki_verify_cert(trust, cert, NULL, roles, now, detail,
	    sizeof(detail))) != 0) {
		char m[320];

		snprintf(m, sizeof(m), "signer certificate: %s", detail);
		set_err(err, errlen, m);
		goto out;
	}
	pl = json_loads(ptext, JSON_REJECT_DUPLICATES, &jerr);
	if (pl == NULL || !json_is_object(pl)) {
		set_err(err, errlen, "malformed payload");
		r = RSG_ERR_FORMAT;
		goto out;
	}
	if (signer_cn != NULL) {
		if (pki_cert_subject_cn(cert, cn, sizeof(cn)) != 0)
			cn[0] = '\0';
		if (cnlen > 0)
			snprintf(signer_cn, cnlen, "%s", cn);
	}
	if (signer_fpr != NULL) {
		if ((r = pki_cert_fingerprint(cert, fpr, sizeof(fpr))) != 0)
			goto out;
		memcpy(signer_fpr, fpr, sizeof(fpr));
	}
	*payload = pl;
	pl = NULL;
	r = 0;
 out:
	json_decref(pl);
	json_decref(env);
	buf_free(tbs);
	EVP_MD_CTX_free(md);
	BIO_free(bio);
	X509_free(cert);
	return r;
}

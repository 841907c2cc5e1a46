/*
 * fuzz-signed-doc.c: libFuzzer target for the signed-document verifier
 * (lib/workflow/signed.c: signed_doc_verify), which the AP runs on every
 * DOCUMENT from the hub and `rsgate verify-document` on any file. A test
 * CA with a hub certificate is built once at start-up (in a temporary
 * folder, removed at exit).
 *
 * Each input is, first, an envelope to verify as each kind: whatever it
 * is, no crash, and success only with an object payload and a signer CN.
 * Then, if the input is a JSON object, it is signed as a deletion
 * certificate with the test hub key and must verify to an equal payload;
 * the same envelope with one byte of its payload changed, or verified as
 * another kind, must not. A normal build replays
 * tests/fuzz/corpus/signed-doc/.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rsgate/pki.h"
#include "rsgate/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pki_trust *fz_trust;
static EVP_PKEY *fz_key;
static X509 *fz_cert;
static char fz_dir[] = "/tmp/rsgate-fuzz-signed.XXXXXX";

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
fz_cleanup(void)
{
	pki_trust_free(fz_trust);
	EVP_PKEY_free(fz_key);
	X509_free(fz_cert);
	(void)nftw(fz_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void
fz_setup(void)
{
	struct pki_issue_req req;
	struct pki_ca *ca = NULL;
	char dir[512], err[512];
	int64_t now = (int64_t)time(NULL);

	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_cleanup);
	snprintf(dir, sizeof(dir), "%s/ca", fz_dir);
	if (pki_ca_create(dir, "Fuzz CA", PKI_KEY_ED25519, 30, now, err,
	    sizeof(err)) != 0 || pki_ca_open(dir, &ca, err, sizeof(err)) != 0)
		abort();
	memset(&req, 0, sizeof(req));
	req.role = PKI_ROLE_HUB;
	req.name = "hub.fuzz";
	req.key_type = PKI_KEY_ECDSA_P256;
	req.days = 20;
	req.not_before = now;
	if (pki_ca_issue(ca, &req, &fz_cert, &fz_key, err, sizeof(err)) != 0)
		abort();
	pki_ca_free(ca);
	snprintf(dir, sizeof(dir), "%s/ca/ca.crt", fz_dir);
	if (pki_trust_load(dir, NULL, &fz_trust, err, sizeof(err)) != 0)
		abort();
}

static const char *const fz_kinds[] = { SIGNED_KIND_GRANT,
	SIGNED_KIND_DELETION, SIGNED_KIND_REPORT };

static int
verify(const void *p, size_t n, const char *kind, json_t **pl)
{
	char cn[256], fpr[PKI_FINGERPRINT_HEX], err[512];
	int r;

	*pl = NULL;
	cn[0] = '\0';
	r = signed_doc_verify(p, n, kind, fz_trust, PKI_ROLE_HUB | PKI_ROLE_AP,
	    (int64_t)time(NULL), pl, cn, sizeof(cn), fpr, err, sizeof(err));
	if (r == 0 && (!json_is_object(*pl) || cn[0] == '\0'))
		abort();
	if (r != 0 && *pl != NULL)
		abort();	/* output written on error */
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsg_buf *env = NULL;
	json_error_t jerr;
	json_t *in = NULL, *pl = NULL;
	uint8_t *copy;
	size_t i, n;
	char *pos;

	if (fz_trust == NULL)
		fz_setup();
	for (i = 0; i < 3; i++) {
		if (verify(data, size, fz_kinds[i], &pl) == 0)
			json_decref(pl);
	}
	in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (!json_is_object(in)) {
		json_decref(in);
		return 0;
	}
	if (signed_doc_create(SIGNED_KIND_DELETION, in, fz_key, fz_cert,
	    &env) != 0) {
		json_decref(in);	/* too large, or out of memory */
		return 0;
	}
	n = buf_len(env);
	if (verify(buf_ptr(env), n, SIGNED_KIND_DELETION, &pl) != 0 ||
	    !json_equal(pl, in))
		abort();
	json_decref(pl);
	if (verify(buf_ptr(env), n, SIGNED_KIND_REPORT, &pl) == 0)
		abort();
	/* One byte of the payload text changed: refused. */
	if ((copy = malloc(n + 1)) == NULL)
		abort();
	memcpy(copy, buf_ptr(env), n);
	copy[n] = '\0';
	if ((pos = strstr((char *)copy, "\"payload\":\"{")) != NULL &&
	    pos[12] != '}') {
		pos[12] ^= 0x01;
		if (verify(copy, n, SIGNED_KIND_DELETION, &pl) == 0)
			abort();
	}
	free(copy);
	buf_free(env);
	json_decref(in);
	return 0;
}
